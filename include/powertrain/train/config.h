// The settings of one training run, without LibTorch: the sweep, the CLI and
// the option table (powertrain/train/options.h) use them, and trainer.h
// trains with them. Every field is listed once in the option table, which
// gives its TOML key, CLI flag, range and help; the defaults are the
// initialisers below (the study's: Adam, 100 epochs, patience 5).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace powertrain {

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
  int window_length = 128;  // samples per window (after downsampling)
  int window_stride = 64;   // 50 % overlap
  int downsample = 3;       // 100 Hz -> 33.3 Hz; 1 = off
  std::vector<int> val_subjects = {105};
  std::vector<int> test_subjects = {106};
  std::vector<int> drop_subjects = {109};
  // CelebA
  int image_size = 64;        // square side in pixels after resizing
  int identities = 40;        // most frequent identities kept
  double val_fraction = 0.1;  // per-identity split for the identity task
  double test_fraction = 0.1;
  int64_t max_images = 0;  // 0 = all; caps each split's images
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
  int hidden_units = 128;  // classifier head hidden layer; 0 = linear head
};

struct TrainConfig {
  std::string task = "pamap2";  // one of train_task_names()
  std::string data_dir;         // empty = generated in-memory data
  TrainDataOptions data;
  TrainModelOptions model;
  // Encoder checkpoint (our .safetensors format; for CelebA also an ImageNet
  // ResNet18 .safetensors from timm/torchvision). Empty = random init.
  std::string encoder_in;
  std::string encoder_out;         // where to save the trained encoder
  std::string checkpoint_out;      // whole model at its best epoch; empty = none
  bool freeze_encoder = false;     // no gradients, not in the optimiser, eval mode
  double alpha = 0.5;              // multitask weight of the attribute loss
  std::string optimizer = "adam";  // "adam" | "sgd"
  double momentum = 0.9;           // sgd only
  int64_t batch_size = 64;
  double learning_rate = 0.01;
  double weight_decay = 0.0;
  int max_epochs = 100;
  int patience = 5;        // epochs without improvement before stopping; 0 = off
  double min_delta = 0.0;  // smallest change that counts as improvement
  uint64_t seed = 1;
  int threads = 0;             // intra-op threads; 0 = hardware concurrency
  std::string device = "cpu";  // "cpu", "cuda", "cuda:N", "mps"
  bool test_after = true;      // evaluate the best model on the test split
  // GPU only (refused on other devices): bf16 autocast of the forward pass
  // ("off" | "bf16"), and the training step replayed as one CUDA graph
  // (static shapes: the last, smaller batch of an epoch is dropped).
  std::string amp = "off";
  bool cuda_graphs = false;
};

// Throws std::invalid_argument naming the setting and its value (unknown task
// or optimiser, batch size < 1, lr <= 0, alpha outside [0, 1], ...): every
// range of the option table, then the settings that cannot run together.
// Torch-free (src/sweep/train_options.cc).
void validate(const TrainConfig& config);

}  // namespace powertrain
