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

namespace powertrain {

class Tracker;
class Store;

// Task names accepted by TrainConfig::task, in a stable order.
//   pamap2              encoder + classifier trained together (training regime)
//   pamap2-autoencoder  encoder + decoder, reconstruction loss (pretraining)
//   pamap2-classifier   classifier on a given encoder (frozen or fine-tuned)
//   celeba-identity     ResNet18 + identity head (K-way softmax)
//   celeba-attributes   ResNet18 + 40 binary attributes (BCE), on the top-K
//                       identities' images: the same images, split the same
//                       way, as celeba-identity and celeba-multitask, so the
//                       three compare on one data set
//   celeba-attributes-full  the same model on every image of
//                       list_attr_celeba.txt with the official partition
//   celeba-multitask    both heads on one encoder, alpha*L_attr + (1-alpha)*L_id
std::vector<std::string> train_task_names();
// Whether the task trains on PAMAP2 (else CelebA).
bool is_pamap2_task(const std::string& task);

// Dataset settings. They are passed on to the data loaders; the defaults are
// the common preprocessing (see SPEC section 2).
struct TrainDataOptions {
  // PAMAP2
  int window_length = 128;          // samples per window (after downsampling)
  int window_stride = 64;           // 50 % overlap
  int downsample = 3;               // 100 Hz -> 33.3 Hz; 1 = off
  std::vector<int> val_subjects = {105};
  std::vector<int> test_subjects = {106};
  std::vector<int> drop_subjects = {109};
  // CelebA
  int image_size = 64;              // square side in pixels after resizing
  int identities = 40;              // most frequent identities kept
  double val_fraction = 0.1;        // per-identity split for the identity task
  double test_fraction = 0.1;
  int64_t max_images = 0;           // 0 = all; caps each split's images
  // Generated in-memory data when data_dir is empty: for tests and benchmarks.
  int64_t synthetic_train = 1024;
  int64_t synthetic_val = 256;
  int64_t synthetic_test = 256;
  // Loader threads that prepare batches ahead of the step (0 = in the step).
  int loader_threads = 1;
  int prefetch_batches = 4;
};

// Model sizes. Defaults follow the HAR literature / the study.
struct TrainModelOptions {
  std::vector<int> conv_channels = {64, 64, 64};  // PAMAP2 encoder
  std::vector<int> conv_kernels = {9, 5, 5};
  double dropout = 0.2;
  int hidden_units = 128;          // classifier head hidden layer; 0 = linear head
};

struct TrainConfig {
  std::string task = "pamap2";     // one of train_task_names()
  std::string data_dir;            // empty = generated in-memory data
  TrainDataOptions data;
  TrainModelOptions model;
  // Encoder checkpoint (our .safetensors format; for CelebA also an ImageNet
  // ResNet18 .safetensors from timm/torchvision). Empty = random init.
  std::string encoder_in;
  std::string encoder_out;         // where to save the trained encoder
  std::string checkpoint_out;      // whole model at its best epoch; empty = none
  bool freeze_encoder = false;     // no gradients, not in the optimiser, eval mode
  double alpha = 0.5;              // multitask weight of the attribute loss
  std::string optimizer = "sgd";   // "sgd" | "adam"
  double momentum = 0.9;           // sgd only
  int64_t batch_size = 64;
  double learning_rate = 0.01;
  double weight_decay = 0.0;
  int max_epochs = 50;
  int patience = 5;                // epochs without improvement before stopping; 0 = off
  double min_delta = 0.0;          // smallest change that counts as improvement
  uint64_t seed = 1;
  int threads = 0;                 // intra-op threads; 0 = hardware concurrency
  std::string device = "cpu";      // "cpu", "cuda", "cuda:N", "mps"
  bool test_after = true;          // evaluate the best model on the test split
};

// Throws std::invalid_argument naming the setting and its value (unknown task
// or optimiser, batch size < 1, lr <= 0, alpha outside [0, 1], ...).
void validate(const TrainConfig& config);

enum class TrainStatus { kDone, kDiverged };
const char* to_string(TrainStatus status);

// Figures of one finished epoch, handed to the progress callback.
struct EpochProgress {
  int epoch = 0;
  int max_epochs = 0;
  double train_loss = 0;
  double val_loss = 0;
  double metric = 0;               // validation metric (see metric_name)
  std::string metric_name;         // "accuracy", "mean_attribute_accuracy", "loss", ...
  double duration_s = 0;
  double samples_per_s = 0;
  double data_wait_share = 0;      // share of train step time spent waiting on data, 0..1
  double energy_mwh = 0;           // this epoch
  double total_energy_mwh = 0;     // all epochs so far
  bool improved = false;           // new best on the early-stopping criterion
};
using ProgressFn = std::function<void(const EpochProgress&)>;

struct TrainResult {
  TrainStatus status = TrainStatus::kDone;
  int epochs_run = 0;
  int best_epoch = 0;              // 0 when no epoch finished
  std::optional<double> final_metric;  // test metric of the best model (validation if no test split)
  std::string metric_name;
  std::optional<double> best_val_loss;
  double total_energy_mwh = 0;
  double total_duration_s = 0;
  double data_wait_share = 0;      // over the whole run
  bool early_stopped = false;
  std::string error;               // why it diverged
  // Samples (windows or images) per split, for provenance.
  int64_t train_samples = 0, val_samples = 0, test_samples = 0;
  // The weights the model started from: "random", "ImageNet (FILE)" or
  // "pretrained encoder (FILE)".
  std::string weights;
};

// Trains as configured. Every epoch is tagged on the tracker (begin_epoch,
// set_phase(kValidate), end_epoch; the tracker must be started); the
// tracker writes each epoch's one row, energy and training figures together,
// into its own store (`store` and `run_id` are kept for callers and unused). Throws std::invalid_argument
// for a bad config or device and std::runtime_error for data or checkpoint
// I/O. A run that diverges (divergence.h: a non-finite loss, a training loss
// above kDivergenceFactor x the untrained model's, or an autoencoder that
// reconstructs worse than predicting the mean) ends with status kDiverged.
TrainResult run_training(const TrainConfig& config, Tracker& tracker, Store* store,
                         int64_t run_id, const ProgressFn& progress = {});

// The device string normalised ("cuda" -> "cuda:0"), or std::invalid_argument
// saying why it is not usable here (not built in, no such device).
std::string resolve_device(const std::string& device);

}  // namespace powertrain
