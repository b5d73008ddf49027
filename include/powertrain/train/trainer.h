// Training of the study's models with per-epoch energy, behind a header that
// does not include LibTorch (the sweep and the CLI compile against it fast).
//
//   TrainConfig config;  config.task = "pamap2"; config.data_dir = "data/pamap2";
//   validate(config);
//   TrainResult result = run_training(config, tracker, &store, run_id, on_epoch);
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/train/config.h"

namespace powertrain {

class Tracker;
class Store;
namespace train {
class DeviceHooks;
}

enum class TrainStatus { kDone, kDiverged };
const char* to_string(TrainStatus status);

// Figures of one finished epoch, handed to the progress callback.
struct EpochProgress {
  int epoch = 0;
  int max_epochs = 0;
  double train_loss = 0;
  double val_loss = 0;
  double metric = 0;        // validation metric (see metric_name)
  std::string metric_name;  // "accuracy", "mean_attribute_accuracy", "loss", ...
  double duration_s = 0;
  double samples_per_s = 0;
  double data_wait_share = 0;   // share of train step time spent waiting on data, 0..1
  double energy_mwh = 0;        // this epoch
  double total_energy_mwh = 0;  // all epochs so far
  bool improved = false;        // new best on the early-stopping criterion
};
using ProgressFn = std::function<void(const EpochProgress&)>;

struct TrainResult {
  TrainStatus status = TrainStatus::kDone;
  int epochs_run = 0;
  int best_epoch = 0;  // 0 when no epoch finished
  std::optional<double>
      final_metric;  // test metric of the best model (validation if no test split)
  std::string metric_name;
  std::optional<double> best_val_loss;
  double total_energy_mwh = 0;
  double total_duration_s = 0;
  double data_wait_share = 0;  // over the whole run
  bool early_stopped = false;
  std::string error;  // why it diverged
  // Samples (windows or images) per split, for provenance.
  int64_t train_samples = 0, val_samples = 0, test_samples = 0;
  // The weights the model started from: "random", "ImageNet (FILE)" or
  // "pretrained encoder (FILE)".
  std::string weights;
  // How each step ran: "eager", "eager, bf16 autocast", "cuda graph (...)".
  std::string step;
};

// Trains as configured. Every epoch is tagged on the tracker (begin_epoch,
// set_phase(kValidate), end_epoch; the tracker must be started); the
// tracker writes each epoch's one row, energy and training figures together,
// into its own store (`store` and `run_id` are kept for callers and unused). Throws
// std::invalid_argument for a bad config or device and std::runtime_error for data or checkpoint
// I/O. A run that diverges (divergence.h: a non-finite loss, a training loss
// above kDivergenceFactor x the untrained model's, or an autoencoder that
// reconstructs worse than predicting the mean) ends with status kDiverged.
// On a GPU, the device is synchronised before every epoch and phase boundary
// is marked, so that no kernel's energy spills into the next epoch; the
// batches come from pinned memory, copied on a side stream one step ahead.
TrainResult run_training(const TrainConfig& config, Tracker& tracker, Store* store, int64_t run_id,
                         const ProgressFn& progress = {});
// The same, with the device's synchronisation given (tests: a fake that
// records when it is called); nullptr = the training device's own.
TrainResult run_training(const TrainConfig& config, Tracker& tracker, Store* store, int64_t run_id,
                         const ProgressFn& progress, train::DeviceHooks* device_hooks);

// The device string normalised ("cuda" -> "cuda:0"), or std::invalid_argument
// saying why it is not usable here (not built in, no such device).
std::string resolve_device(const std::string& device);

}  // namespace powertrain
