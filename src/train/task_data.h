// A task's data as in-memory tensors, from the real loaders or generated.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "powertrain/train/task_model.h"
#include "powertrain/train/trainer.h"

namespace powertrain::train {

// Fills `count` samples (rows of the split) into float inputs, and where not
// null int64 labels and float 0/1 attributes. Must be thread-safe.
using FillFn = std::function<void(const int64_t* rows, int64_t count, float* inputs,
                                  int64_t* labels, float* attributes)>;

// One split: either in-memory tensors, or a fill function (CelebA images are
// decoded and normalised by the data module as batches are made).
struct SplitTensors {
  torch::Tensor inputs;      // float32 [N, C, L] or [N, 3, S, S], normalised
  torch::Tensor labels;      // int64 [N]; undefined for tasks without classes
  torch::Tensor attributes;  // float 0/1 [N, 40]; undefined unless CelebA attributes
  FillFn fill;               // when set, used instead of the tensors
  int64_t n = 0;
  std::vector<int64_t> sample_shape;  // one input's shape, e.g. {27, 128}
  bool has_labels = false;
  int64_t attribute_count = 0;        // 0 = none
  int64_t size() const { return n; }
};

// Wraps in-memory tensors as a split (inputs float32 [N, ...]).
SplitTensors make_split(torch::Tensor inputs, torch::Tensor labels, torch::Tensor attributes);

struct TaskData {
  SplitTensors train, val, test;
  TaskShape shape;
  std::string source;  // "generated" or the data directory
  std::shared_ptr<void> keep_alive;  // the loaded dataset the splits point into
  // CelebA from a folder: each split's image files, in row order.
  std::vector<std::string> train_files, val_files, test_files;
};

// Loads config.data_dir, or generates data when it is empty. Throws
// std::runtime_error for unreadable data, std::invalid_argument for bad options.
TaskData load_task_data(const TrainConfig& config);

// Generated data with learnable class structure: PAMAP2-like windows (class
// = frequency and amplitude pattern per channel) or CelebA-like images
// (identity = colour and stripe pattern, attributes = bright patches).
TaskData make_generated_data(const TrainConfig& config);

}  // namespace powertrain::train
