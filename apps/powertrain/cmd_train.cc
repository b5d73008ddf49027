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
  return {{"task", c.task},
          {"data_dir", c.data_dir},
          {"encoder_in", c.encoder_in},
          {"encoder_out", c.encoder_out},
          {"checkpoint_out", c.checkpoint_out},
          {"freeze_encoder", c.freeze_encoder},
          {"alpha", c.alpha},
          {"optimizer", c.optimizer},
          {"momentum", c.momentum},
          {"batch_size", c.batch_size},
          {"learning_rate", c.learning_rate},
          {"weight_decay", c.weight_decay},
          {"max_epochs", c.max_epochs},
          {"patience", c.patience},
          {"min_delta", c.min_delta},
          {"seed", c.seed},
          {"threads", c.threads},
          {"device", c.device},
          {"window_length", c.data.window_length},
          {"window_stride", c.data.window_stride},
          {"downsample", c.data.downsample},
          {"image_size", c.data.image_size},
          {"identities", c.data.identities},
          {"max_images", c.data.max_images},
          {"conv_channels", c.model.conv_channels},
          {"conv_kernels", c.model.conv_kernels},
          {"dropout", c.model.dropout},
          {"hidden_units", c.model.hidden_units}};
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
  Store store(options.db_path);
  RunRecorder run(store, train_record(options, device));
  try {
    Tracker tracker(options.tracker, make_store_sink(store), run.id());
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
  TrainConfig& c = o->config;
  // The same defaults as an experiment file (include/powertrain/sweep/experiment.h)
  // and the README, so that `train` and `sweep` runs compare.
  c.optimizer = "adam";
  c.max_epochs = 100;
  c.patience = 5;
  cmd->add_option("--task", c.task,
                  "pamap2 | pamap2-autoencoder | pamap2-classifier | celeba-identity | "
                  "celeba-attributes (top identities' images) | celeba-multitask | "
                  "celeba-attributes-full (every image)")
      ->required();
  cmd->add_option("--data", c.data_dir,
                  "Dataset folder (raw PAMAP2 or CelebA); none = generated in memory");
  cmd->add_option("--encoder", c.encoder_in,
                  "Encoder weights (.safetensors): ours, or ImageNet ResNet18 from timm");
  cmd->add_flag("--freeze", c.freeze_encoder, "Freeze the loaded encoder (no gradient, eval mode)");
  cmd->add_option("--encoder-out", c.encoder_out,
                  "Save the best epoch's encoder here (.safetensors)");
  cmd->add_option("--checkpoint-out", c.checkpoint_out, "Save the best epoch's whole model here");
  cmd->add_option("--alpha", c.alpha, "Multitask weight: alpha * L_attr + (1 - alpha) * L_id")
      ->capture_default_str();
  cmd->add_option("--batch-size", c.batch_size, "Batch size")->required();
  cmd->add_option("--lr", c.learning_rate, "Learning rate")->required();
  cmd->add_option("--optimizer", c.optimizer, "sgd | adam")->capture_default_str();
  cmd->add_option("--momentum", c.momentum, "SGD momentum")->capture_default_str();
  cmd->add_option("--weight-decay", c.weight_decay, "Weight decay")->capture_default_str();
  cmd->add_option("--max-epochs", c.max_epochs, "Epoch limit")->capture_default_str();
  cmd->add_option("--patience", c.patience, "Epochs without improvement before stopping (0 = off)")
      ->capture_default_str();
  cmd->add_option("--min-delta", c.min_delta, "Smallest change that counts as an improvement")
      ->capture_default_str();
  cmd->add_option("--seed", c.seed, "Random seed")->capture_default_str();
  cmd->add_option("--threads", c.threads, "Intra-op threads (0 = all cores)")
      ->capture_default_str();
  cmd->add_option("--device", c.device, "cpu | cuda | cuda:N | mps")->capture_default_str();
  cmd->add_option("--window-length", c.data.window_length, "PAMAP2 window length (samples)")
      ->capture_default_str();
  cmd->add_option("--window-stride", c.data.window_stride, "PAMAP2 window stride (samples)")
      ->capture_default_str();
  cmd->add_option("--downsample", c.data.downsample, "PAMAP2: keep every k-th row")
      ->capture_default_str();
  cmd->add_option("--image-size", c.data.image_size, "CelebA image side in pixels")
      ->capture_default_str();
  cmd->add_option("--identities", c.data.identities, "CelebA: most frequent identities kept")
      ->capture_default_str();
  cmd->add_option("--max-images", c.data.max_images, "CelebA: cap on images per split (0 = all)")
      ->capture_default_str();
  cmd->add_option("--generated-train", c.data.synthetic_train,
                  "Generated data (no --data): training samples")
      ->capture_default_str();
  cmd->add_option("--generated-val", c.data.synthetic_val, "Generated data: validation samples")
      ->capture_default_str();
  cmd->add_option("--generated-test", c.data.synthetic_test, "Generated data: test samples")
      ->capture_default_str();
  cmd->add_option("--loader-threads", c.data.loader_threads,
                  "Background batch loader threads (0 = load inside the step)")
      ->capture_default_str();
  cmd->add_option("--conv-channels", c.model.conv_channels, "PAMAP2 CNN filters per block")
      ->capture_default_str();
  cmd->add_option("--conv-kernels", c.model.conv_kernels, "PAMAP2 CNN kernel size per block")
      ->capture_default_str();
  cmd->add_option("--dropout", c.model.dropout, "Dropout")->capture_default_str();
  cmd->add_option("--hidden-units", c.model.hidden_units, "Classifier hidden layer (0 = linear)")
      ->capture_default_str();
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
