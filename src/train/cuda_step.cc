// The CUDA-only parts of training, compiled only against a LibTorch with
// CUDA and POWERTRAIN_CUDA_CODE on (src/train/CMakeLists.txt): batches copied
// on a side stream, and the training step as one CUDA graph (--cuda-graphs).
//
// The first kWarmupSteps batches train eagerly on a side stream (cuDNN and
// cuBLAS pick their kernels and workspaces, autograd builds its graph), the
// next one is captured (forward, loss, backward and DeviceOptimizer's update,
// with the gradients allocated inside the capture) and every batch from then
// on is copied into the captured input tensors and replayed: one launch per
// step instead of one per kernel.
#include <ATen/autocast_mode.h>
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/cuda.h>

#include "train_step.h"

namespace powertrain::train {
namespace {

constexpr int kWarmupSteps = 3;

// Copies on a stream of its own; the training stream waits for a batch's
// copy (an event) only when the batch is used, and the device tensors are
// marked as used on the training stream for the caching allocator.
class SideStreamCopier : public AsyncCopier {
 public:
  explicit SideStreamCopier(const torch::Device& device)
      : device_(device), stream_(c10::cuda::getStreamFromPool(false, device.index())) {}

  Batch copy(const Batch& host) override {
    Batch out;
    {
      c10::cuda::CUDAStreamGuard guard(stream_);
      out = to_device(host, device_);
    }
    copied_.record(stream_);
    return out;
  }

  void ready(Batch& batch) override {
    const c10::cuda::CUDAStream training = c10::cuda::getCurrentCUDAStream(device_.index());
    copied_.block(training);
    for (torch::Tensor* t : {&batch.inputs, &batch.labels, &batch.attributes}) {
      if (t->defined()) t->record_stream(training);
    }
  }

 private:
  torch::Device device_;
  c10::cuda::CUDAStream stream_;
  at::cuda::CUDAEvent copied_;
};

class GraphStepper : public Stepper {
 public:
  GraphStepper(const TrainConfig& config, TaskModel& model, const torch::Device& device)
      : config_(config),
        model_(model),
        device_(device),
        optimizer_(config, model->trainable_parameters()),
        side_(c10::cuda::getStreamFromPool(false, device.index())) {}

  torch::Tensor step(const Batch& b) override {
    if (warmup_left_ > 0) {
      --warmup_left_;
      return on_side_stream([&] { return body(b.inputs, b.labels, b.attributes); });
    }
    if (!captured_) capture(b);
    inputs_.copy_(b.inputs, /*non_blocking=*/true);
    if (labels_.defined()) labels_.copy_(b.labels, true);
    if (attributes_.defined()) attributes_.copy_(b.attributes, true);
    graph_.replay();
    return loss_.clone();  // the next replay overwrites loss_
  }
  bool needs_full_batches() const override { return true; }
  std::string describe() const override {
    return std::string("cuda graph (captured after ") + std::to_string(kWarmupSteps) +
           " warm-up steps)" + (config_.amp == "bf16" ? ", bf16 autocast" : "");
  }

 private:
  torch::Tensor body(const torch::Tensor& inputs, const torch::Tensor& labels,
                     const torch::Tensor& attributes) {
    optimizer_.zero_grad();
    torch::Tensor loss;
    {
      AutocastScope amp(config_.amp == "bf16");
      TaskOutputs outputs = model_->forward(inputs);
      loss = task_loss(config_.task, outputs, {inputs, labels, attributes}, config_.alpha);
    }
    loss.backward();
    optimizer_.step();
    return loss.detach();
  }

  template <typename F>
  torch::Tensor on_side_stream(F work) {
    torch::cuda::synchronize(device_.index());
    torch::Tensor out;
    {
      c10::cuda::CUDAStreamGuard guard(side_);
      out = work();
    }
    torch::cuda::synchronize(device_.index());
    return out;
  }

  void capture(const Batch& b) {
    inputs_ = torch::empty_like(b.inputs);
    if (b.labels.defined()) labels_ = torch::empty_like(b.labels);
    if (b.attributes.defined()) attributes_ = torch::empty_like(b.attributes);
    // Autocast's weight cache would hold tensors made during capture.
    if (config_.amp == "bf16") at::autocast::set_autocast_cache_enabled(false);
    on_side_stream([&] {
      graph_.capture_begin();
      loss_ = body(inputs_, labels_, attributes_);
      graph_.capture_end();
      return loss_;
    });
    captured_ = true;
  }

  const TrainConfig& config_;
  TaskModel& model_;
  torch::Device device_;
  DeviceOptimizer optimizer_;
  c10::cuda::CUDAStream side_;
  at::cuda::CUDAGraph graph_;
  int warmup_left_ = kWarmupSteps;
  bool captured_ = false;
  torch::Tensor inputs_, labels_, attributes_, loss_;
};

}  // namespace

std::unique_ptr<AsyncCopier> make_side_stream_copier(const torch::Device& device) {
  if (!device.is_cuda()) return nullptr;
  return std::make_unique<SideStreamCopier>(device);
}

std::unique_ptr<Stepper> make_graph_stepper(const TrainConfig& config, TaskModel& model,
                                            const torch::Device& device) {
  if (!device.is_cuda()) {
    throw std::invalid_argument("cuda_graphs: device " + device.str() + " is not a CUDA device");
  }
  return std::make_unique<GraphStepper>(config, model, device);
}

}  // namespace powertrain::train
