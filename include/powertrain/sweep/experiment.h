// An experiment: the TOML file that describes a sweep (dataset, paradigm,
// grid, repeats, training and energy settings).
//
//   name = "regime-pamap2"
//   paradigm = "regime"            # regime | pretraining | multitask
//   task = "pamap2"                # regime only: pamap2, celeba-identity, celeba-attributes,
//                                  # celeba-attributes-full (every image, official partition)
//   data = "data/pamap2"           # overridable with --data
//   [grid]     batch_sizes = [...], learning_rates = [...]
//   [training] optimizer, momentum, weight_decay, max_epochs, patience, min_delta, alpha,
//              amp, cuda_graphs
//   [energy]   interval_s, sensors, pue
//   [dataset]  loader options (window_length, image_size, ...)
//   [model]    model sizes (conv_channels, hidden_units, pretrained ResNet18 weights)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace powertrain {

// `data = "<generated>"`: the trainer's in-memory generated data (sizes from
// [dataset] synthetic_train/val/test) instead of a folder; for tests.
inline constexpr const char* kGeneratedData = "<generated>";

// Limits checked when a file is read, so that nothing out of them reaches a
// run: the tracker accepts PUE in [1, 5]; more repeats or epochs than these
// are a typo, refused before anything is allocated.
inline constexpr double kMinPue = 1.0;
inline constexpr double kMaxPue = 5.0;
inline constexpr int kMaxRepeats = 1000;
inline constexpr int kMaxEpochs = 100000;

struct ExperimentConfig {
  std::string name;
  std::string file;      // where it was read from ("" for text)
  std::string paradigm;  // roles::kRegime, kPretraining, kMultitask
  std::string dataset;   // "pamap2" or "celeba" (follows from paradigm/task)
  std::string task;      // regime: the trainer task; other paradigms: derived per role
  std::string data_dir;  // folder of the dataset

  // Table 1: batch sizes outer, learning rates inner; setup numbers follow.
  std::vector<int> batch_sizes = {64, 256, 1024, 4096};
  std::vector<double> learning_rates = {0.1, 0.01, 0.001, 0.0001};
  int repeats = 2;
  int64_t seed = 1;
  std::string device = "cpu";
  int threads = 0;  // 0 = the trainer's default

  // [training]: read through the option table (powertrain/train/options.h);
  // these defaults equal TrainConfig's (tested).
  std::string optimizer = "adam";  // "adam" or "sgd"
  double momentum = 0.9;
  double weight_decay = 0.0;
  int max_epochs = 100;
  int patience = 5;
  double min_delta = 0.0;
  double alpha = 0.5;        // multitask: alpha * L_attr + (1 - alpha) * L_id
  std::string amp = "off";   // "off" | "bf16" (CUDA only)
  bool cuda_graphs = false;  // CUDA only

  double interval_s = 1.0;
  std::vector<std::string> sensors = {"auto"};
  double pue = 1.0;

  // [dataset] and [model] as JSON objects, keys checked against the
  // trainer's data and model options.
  std::string dataset_options_json = "{}";
  std::string model_options_json = "{}";

  int setup_count() const { return static_cast<int>(batch_sizes.size() * learning_rates.size()); }
  // Everything that defines the experiment, as canonical JSON. The data
  // folder is left out: the same experiment may read its data from another
  // place on another machine (shards on a cluster).
  std::string canonical_json() const;
  // 16 hex digits (FNV-1a 64 of canonical_json()); stored in the database.
  std::string hash() const;
};

// Parses an experiment from TOML text. Throws std::invalid_argument naming
// the source, line and key for syntax errors, unknown keys, wrong types and
// values out of range. Does not look at the file system.
ExperimentConfig parse_experiment(std::string_view toml_text, const std::string& source_name);

// Reads and parses a file; relative `data` paths are taken as they are
// (relative to the working directory). Throws std::runtime_error if the file
// cannot be read.
ExperimentConfig load_experiment(const std::string& path);

// Checks that the data folder exists and looks like the dataset (PAMAP2:
// Protocol/; CelebA: list_attr_celeba.txt), and that [model] pretrained
// names a file. Throws std::invalid_argument.
void check_data_dir(const ExperimentConfig& config);

// Keys allowed in [dataset] for a dataset ("pamap2", "celeba"), or in
// [model] for "model".
std::vector<std::string> option_keys(const std::string& kind);

}  // namespace powertrain
