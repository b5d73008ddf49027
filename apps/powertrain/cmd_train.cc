// powertrain train: trains one of the study's models and records its energy
// per epoch into the run database.
#include <fmt/format.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>

#include "commands.h"
#include "powertrain/energy/tracker.h"
#include "powertrain/report/carbon.h"
#include "powertrain/store/run_recorder.h"
#include "powertrain/store/run_roles.h"
#include "powertrain/store/store.h"
#include "powertrain/store/store_sink.h"
#include "powertrain/train/options.h"
#include "powertrain/train/trainer.h"
#include "tracker_options.h"

namespace powertrain::cli {

namespace {

struct TrainCommandOptions {
  TrainConfig config;
  TrackerOptions tracker;
  std::string db_path = "powertrain.db";
  bool quiet = false;
};

std::string host_name() {
  char buffer[256] = {};
  return gethostname(buffer, sizeof(buffer) - 1) == 0 ? std::string(buffer) : std::string();
}

nlohmann::json config_json(const TrainConfig& c) {
  return nlohmann::json::parse(train_config_json(c));
}

std::string fixed(double v, int digits) {
  return std::isfinite(v) ? fmt::format("{:.{}f}", v, digits) : fmt::format("{}", v);
}

void print_epoch(const EpochProgress& p) {
  fmt::print(
      "epoch {:>3}/{}  loss {}  val_loss {}  {} {}  {:.1f} s  {:.0f} samples/s  "
      "data wait {:.1f}%  energy {:.4f} mWh  total {:.4f} mWh{}\n",
      p.epoch, p.max_epochs, fixed(p.train_loss, 4), fixed(p.val_loss, 4), p.metric_name,
      fixed(p.metric, 4), p.duration_s, p.samples_per_s, p.data_wait_share * 100, p.energy_mwh,
      p.total_energy_mwh, p.improved ? "  *" : "");
  std::fflush(stdout);
}

// The run's row before training: what it is, where, with which settings.
RunRecord train_record(const TrainCommandOptions& options, const std::string& device) {
  const TrainConfig& config = options.config;
  RunRecord run;
  run.kind = "train";
  run.command = "train " + config.task;
  run.task = config.task;
  run.batch_size = static_cast<int>(config.batch_size);
  run.learning_rate = config.learning_rate;
  if (config.task == tasks::kCelebaMultitask) run.alpha = config.alpha;
  run.host = host_name();
  run.pid = static_cast<int64_t>(getpid());
  run.device = device;
  run.interval_s = options.tracker.interval_s;
  run.pue = options.tracker.pue;
  run.config_json = config_json(config).dump();
  return run;
}

void run(const TrainCommandOptions& options) {
  const TrainConfig& config = options.config;
  validate(config);
  validate(options.tracker);
  const std::string device = resolve_device(config.device);
  if (config.data_dir.empty()) {
    // Said even with --quiet: a run on generated data is not a run on the study's data.
    fmt::print(stderr,
               "powertrain: warning: no --data: training on GENERATED data ({} train / {} val / "
               "{} test samples made in memory), not on PAMAP2 or CelebA; pass --data DIR "
               "(docs/data.md)\n",
               config.data.synthetic_train, config.data.synthetic_val, config.data.synthetic_test);
  }
  // The GPU that trains is the GPU measured (a CUDA run whose GPU cannot be
  // measured fails); a CPU run measures no GPU.
  TrackerOptions tracker_options = options.tracker;
  select_training_gpus(tracker_options.sensor_options, tracker_options.sensors, device);
  Store store(options.db_path);
  RunRecorder run(store, train_record(options, device));
  try {
    Tracker tracker(tracker_options, make_store_sink(store), run.id());
    run.edit().sensors = tracker.sensor_summary();
    run.update();
    if (!options.quiet) {
      fmt::print("powertrain: run {} in {}: {} on {} ({}), batch {}, lr {}, {}, sensors {}\n",
                 run.id(), options.db_path, config.task, device,
                 config.data_dir.empty() ? "generated data" : config.data_dir, config.batch_size,
                 config.learning_rate, config.optimizer, describe_sensors(tracker));
    }
    tracker.start();
    TrainResult result =
        run_training(config, tracker, &store, run.id(), [&](const EpochProgress& p) {
          if (!options.quiet) print_epoch(p);
        });
    tracker.stop();
    RunRecord end = run.record();
    end.status = result.status == TrainStatus::kDiverged ? RunStatus::kDiverged : RunStatus::kDone;
    end.error = result.error;
    end.final_metric = result.final_metric;
    end.metric_name = result.metric_name;
    {
      auto provenance = config_json(config);
      provenance["samples"] = {{"train", result.train_samples},
                               {"val", result.val_samples},
                               {"test", result.test_samples}};
      provenance["weights"] = result.weights;
      provenance["step"] = result.step;
      end.config_json = provenance.dump();
    }
    end.exit_code = result.status == TrainStatus::kDiverged ? 3 : 0;
    run.finish(end);
    fmt::print(
        "{}: {} epoch(s){}, best epoch {}, {} {}, energy {} over {:.1f} s, "
        "data wait {:.1f}% of step time\n",
        to_string(result.status), result.epochs_run, result.early_stopped ? " (early stop)" : "",
        result.best_epoch,
        config.test_after ? "test " + result.metric_name : "val " + result.metric_name,
        result.final_metric ? fixed(*result.final_metric, 4) : std::string("-"),
        energy_and_carbon(result.total_energy_mwh, resolve_carbon({})), result.total_duration_s,
        result.data_wait_share * 100);
    if (result.status == TrainStatus::kDiverged) {
      fmt::print(stderr, "powertrain: run diverged: {}\n", result.error);
      throw CLI::RuntimeError(3);
    }
  } catch (const CLI::RuntimeError&) {
    throw;
  } catch (const std::exception& e) {
    // A failed run ends too: its ended_at tells how long it ran before
    // failing. The first error is the one to report.
    run.fail(e.what(), 1);
    throw;
  }
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("train",
                                 "Train one of the study's models and record its energy per epoch");
  auto o = std::make_shared<TrainCommandOptions>();
  // Every training option from the one table (powertrain/train/options.h):
  // the same names, defaults and ranges as an experiment file's.
  add_train_cli_options(*cmd, o->config);
  for (const char* flag : {"--task", "--batch-size", "--lr"}) cmd->get_option(flag)->required();
  cmd->add_option("--db", o->db_path, "SQLite database to record into")->capture_default_str();
  cmd->add_flag("--quiet", o->quiet, "No per-epoch lines");
  add_tracker_options(cmd, o->tracker);
  cmd->footer(
      "Exit status 3 when the run diverges (stored as diverged): a loss that is not finite, a "
      "training loss above 10 x the untrained model's, or an autoencoder that reconstructs worse "
      "than predicting the mean.");
  cmd->callback([o] { run(*o); });
}

}  // namespace powertrain::cli
