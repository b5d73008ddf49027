// Batches of one epoch, gathered by a background thread a few batches ahead
// of the training step, so that the step rarely waits on data.
#pragma once

#include <torch/torch.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "task_data.h"

namespace powertrain::train {

struct Batch {
  torch::Tensor inputs;      // float32
  torch::Tensor labels;      // int64, may be undefined
  torch::Tensor attributes;  // float32, may be undefined
  int64_t size() const { return inputs.size(0); }
};

struct BatchLoaderOptions {
  int64_t batch_size = 64;
  bool shuffle = true;
  uint64_t seed = 1;
  bool threaded = true;      // false: batches are gathered inside next()
  int prefetch = 4;          // batches ready ahead of the step
  bool pin_memory = false;   // for a CUDA device
  // Drops a last batch of one sample, which batch norm cannot train on.
  bool drop_single = true;
};

class BatchLoader {
 public:
  BatchLoader(const SplitTensors& split, const BatchLoaderOptions& options);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // The next batch, or nullopt after the last one. Rethrows a loader error.
  std::optional<Batch> next();
  int64_t batches() const { return static_cast<int64_t>(starts_.size()); }
  // Seconds next() spent waiting for a batch.
  double wait_s() const { return wait_s_; }

 private:
  Batch gather(size_t index) const;
  void produce();

  const SplitTensors& split_;
  BatchLoaderOptions options_;
  std::vector<int64_t> order_;
  std::vector<int64_t> starts_;
  size_t next_index_ = 0;  // consumer side
  double wait_s_ = 0;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Batch> ready_;
  size_t produced_ = 0;
  bool finished_ = false;
  std::exception_ptr error_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace powertrain::train
