#include "powertrain/sweep/simulated_runner.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <cmath>

#include <fmt/format.h>

#include "powertrain/train/divergence.h"

namespace powertrain {
namespace {

void append_line(const std::string& path, const std::string& line) {
  if (path.empty()) return;
  std::ofstream log(path, std::ios::app);
  log << line << "\n" << std::flush;
  if (!log) throw std::runtime_error("cannot write " + path);
}

double unix_now_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

SweepRunner make_simulated_runner(const SimulatedRunnerOptions& options) {
  return [options](const RunRequest& request, const RunProgressFn& progress) {
    const auto& p = request.plan;
    const std::string key = p.key();
    append_line(options.log_path, fmt::format("start {} {} {}", getpid(), key, request.run_id));
    if (p.needs_encoder) {
      // The encoder file names the run that wrote it, so tests can check
      // which autoencoder a classifier was given.
      std::ifstream in(request.encoder_in);
      if (!in) throw std::runtime_error("cannot read encoder " + request.encoder_in);
    }
    const int epochs = options.epochs > 0 ? options.epochs : request.experiment->max_epochs;
    RunOutcome outcome;
    for (int epoch = 1; epoch <= epochs; ++epoch) {
      const double t0 = unix_now_s();
      if (options.epoch_ms > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(options.epoch_ms));
      EpochRecord e;
      e.run_id = request.run_id;
      e.epoch = epoch;
      e.started_at_s = t0;
      e.duration_s = unix_now_s() - t0;
      // A learning rate above 1 blows the loss up by that factor each epoch.
      const double blow_up = p.learning_rate > 1 ? std::pow(p.learning_rate, epoch - 1) : 1.0;
      e.train_loss = blow_up / epoch;
      e.val_loss = 1.1 * blow_up / epoch;
      e.metric = 1.0 - 0.5 / epoch;
      e.energy_mwh = options.epoch_mwh;
      e.source = EnergySource::kModelled;
      if (request.store) request.store->put_epoch(e);
      if (progress) progress(RunProgress{epoch, epochs, e.train_loss, e.metric, "simulated", 0});
      outcome.epochs_run = epoch;
      outcome.energy_mwh += e.energy_mwh;
      // The untrained model's loss is 1 (epoch 1 before any blow-up).
      const std::string diverged = loss_divergence(epoch, *e.train_loss, 1.0);
      if (!diverged.empty()) {
        outcome.status = RunStatus::kDiverged;
        outcome.error = diverged;
        outcome.metric_name = "simulated";
        outcome.sensors = "simulated";
        append_line(options.log_path, fmt::format("end {} {} {}", getpid(), key, request.run_id));
        return outcome;
      }
    }
    if (p.saves_encoder) {
      std::ofstream out(request.encoder_out, std::ios::trunc);
      out << fmt::format("simulated encoder of run {} ({})\n", request.run_id, key);
      if (!out) throw std::runtime_error("cannot write encoder " + request.encoder_out);
    }
    outcome.status = RunStatus::kDone;
    outcome.final_metric = 1.0 - 0.5 / epochs;
    outcome.metric_name = "simulated";
    outcome.sensors = "simulated";
    append_line(options.log_path, fmt::format("end {} {} {}", getpid(), key, request.run_id));
    return outcome;
  };
}

}  // namespace powertrain
