// One training step, three ways: eager with torch::optim (CPU, and CUDA by
// default), eager under bf16 autocast (--amp bf16, CUDA), and replayed as a
// CUDA graph (--cuda-graphs). Plus the input side on a GPU: batches copied
// from pinned memory without blocking, the next one issued while the current
// step runs.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>

#include "batch_loader.h"
#include "powertrain/train/config.h"
#include "powertrain/train/task_model.h"

namespace powertrain::train {

// bf16 autocast of the CUDA forward pass while alive (LibTorch 1.13's API or
// the device-typed one of >= 2.4, chosen at compile time). Does nothing when
// not enabled.
class AutocastScope {
 public:
  explicit AutocastScope(bool enabled);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool enabled_;
};

// Adam or SGD (torch::optim's update rules: L2 weight decay added to the
// gradient; SGD without dampening or Nesterov) written as tensor operations
// whose step count lives on the device, so that a captured CUDA graph
// replays the right bias correction at every step (torch::optim::Adam keeps
// its count on the host: a graph would freeze it at the captured step).
class DeviceOptimizer {
 public:
  DeviceOptimizer(const TrainConfig& config, std::vector<torch::Tensor> params);
  // Updates every parameter that has a gradient; no host synchronisation.
  void step();
  void zero_grad();  // gradients set to none

 private:
  std::string kind_;
  double lr_, momentum_, weight_decay_;
  std::vector<torch::Tensor> params_, first_, second_;
  torch::Tensor count_;  // steps taken, on the parameters' device
};

// Runs training steps. step() queues forward, loss, backward and update and
// returns the batch's mean loss as a tensor on the device (reading it is the
// caller's choice: on a GPU that waits for the step).
class Stepper {
 public:
  virtual ~Stepper() = default;
  virtual torch::Tensor step(const Batch& batch) = 0;
  // Whether every batch must have the same size (a CUDA graph's shapes).
  virtual bool needs_full_batches() const { return false; }
  // What the run's provenance records: "eager", "eager, bf16 autocast",
  // "cuda graph (captured after 3 warm-up steps)".
  virtual std::string describe() const = 0;
};

// Eager steps with torch::optim. When `check_finite`, a step whose loss is
// not finite is not applied (the loss is read, which waits for the device).
std::unique_ptr<Stepper> make_eager_stepper(const TrainConfig& config, TaskModel& model,
                                            torch::optim::Optimizer& optimizer, bool check_finite);
// The step as one CUDA graph, captured on the first full batch. Throws
// std::invalid_argument when this LibTorch has no CUDA graphs.
std::unique_ptr<Stepper> make_graph_stepper(const TrainConfig& config, TaskModel& model,
                                            const torch::Device& device);

// Copies batches to the device on a stream of their own, so that the copy of
// the next batch overlaps the step on the current one.
class AsyncCopier {
 public:
  virtual ~AsyncCopier() = default;
  // Queues the copy of a host batch (pinned) and returns the device batch.
  virtual Batch copy(const Batch& host) = 0;
  // Before the last copied batch is used: the training stream waits for its copy.
  virtual void ready(Batch& batch) = 0;
};
// On a CUDA device with the CUDA code compiled in: a copier on a side
// stream. Else nullptr (copies then go on the training stream, still ahead).
std::unique_ptr<AsyncCopier> make_side_stream_copier(const torch::Device& device);

// The loader's batches on the device: each copied from pinned memory without
// blocking, the next one issued before the current one is handed out. On the
// CPU (without a copier) the batches pass through unchanged.
class DevicePrefetcher {
 public:
  DevicePrefetcher(BatchLoader& loader, const torch::Device& device, bool full_batches_only,
                   int64_t batch_size, AsyncCopier* copier = nullptr);
  std::optional<Batch> next();

 private:
  std::optional<Batch> fetch();
  BatchLoader& loader_;
  torch::Device device_;
  bool full_only_;
  int64_t batch_size_;
  AsyncCopier* copier_;
  std::optional<Batch> pending_;
};

// The batch on `device` (non-blocking from pinned memory).
Batch to_device(const Batch& batch, const torch::Device& device);

}  // namespace powertrain::train
