#include "train_step.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <cmath>
#include <stdexcept>

namespace powertrain::train {

// The device-typed autocast API arrived in LibTorch 2.4; 1.13 (Debian) has
// the GPU-only one.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define POWERTRAIN_AUTOCAST_BY_DEVICE 1
#endif

AutocastScope::AutocastScope(bool enabled) : enabled_(enabled) {
  if (!enabled_) return;
#ifdef POWERTRAIN_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
  at::autocast::set_autocast_enabled(at::kCUDA, true);
#else
  at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
  at::autocast::set_enabled(true);
#endif
}

AutocastScope::~AutocastScope() {
  if (!enabled_) return;
#ifdef POWERTRAIN_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_enabled(at::kCUDA, false);
#else
  at::autocast::set_enabled(false);
#endif
  at::autocast::clear_cache();
}

namespace {
constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEps = 1e-8;  // torch::optim::AdamOptions
}

DeviceOptimizer::DeviceOptimizer(const TrainConfig& config, std::vector<torch::Tensor> params)
    : kind_(config.optimizer),
      lr_(config.learning_rate),
      momentum_(config.momentum),
      weight_decay_(config.weight_decay),
      params_(std::move(params)) {
  torch::NoGradGuard no_grad;
  for (const auto& p : params_) {
    first_.push_back(torch::zeros_like(p));
    if (kind_ == "adam") second_.push_back(torch::zeros_like(p));
  }
  const auto options = params_.empty() ? torch::TensorOptions() : params_[0].options();
  count_ = torch::zeros({}, options.dtype(torch::kFloat32));
}

void DeviceOptimizer::zero_grad() {
  for (auto& p : params_) p.mutable_grad() = torch::Tensor();
}

void DeviceOptimizer::step() {
  torch::NoGradGuard no_grad;
  count_.add_(1);
  torch::Tensor bias1, bias2_sqrt;
  if (kind_ == "adam") {
    bias1 = 1 - torch::pow(kBeta1, count_);
    bias2_sqrt = (1 - torch::pow(kBeta2, count_)).sqrt();
  }
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor& p = params_[i];
    if (!p.grad().defined()) continue;
    torch::Tensor g = p.grad();
    if (weight_decay_ != 0) g = g.add(p, weight_decay_);
    if (kind_ == "adam") {
      first_[i].mul_(kBeta1).add_(g, 1 - kBeta1);
      second_[i].mul_(kBeta2).addcmul_(g, g, 1 - kBeta2);
      const torch::Tensor denom = (second_[i].sqrt() / bias2_sqrt).add_(kEps);
      p.addcdiv_(first_[i], denom * bias1, -lr_);
    } else {
      if (momentum_ != 0) {
        first_[i].mul_(momentum_).add_(g);
        g = first_[i];
      }
      p.add_(g, -lr_);
    }
  }
}

namespace {

class EagerStepper : public Stepper {
 public:
  EagerStepper(const TrainConfig& config, TaskModel& model, torch::optim::Optimizer& optimizer,
               bool check_finite)
      : config_(config), model_(model), optimizer_(optimizer), check_finite_(check_finite) {}

  torch::Tensor step(const Batch& b) override {
    // Gradients set to none rather than zeroed: autograd then writes the
    // new gradient in place of a memset plus an add.
    for (auto& group : optimizer_.param_groups()) {
      for (auto& p : group.params()) p.mutable_grad() = torch::Tensor();
    }
    torch::Tensor loss;
    {
      AutocastScope amp(config_.amp == "bf16");
      TaskOutputs outputs = model_->forward(b.inputs);
      loss = task_loss(config_.task, outputs, {b.inputs, b.labels, b.attributes}, config_.alpha);
    }
    if (check_finite_ && !std::isfinite(loss.item<double>())) return loss.detach();
    loss.backward();
    optimizer_.step();
    return loss.detach();
  }
  std::string describe() const override {
    return config_.amp == "bf16" ? "eager, bf16 autocast" : "eager";
  }

 private:
  const TrainConfig& config_;
  TaskModel& model_;
  torch::optim::Optimizer& optimizer_;
  bool check_finite_;
};

}  // namespace

std::unique_ptr<Stepper> make_eager_stepper(const TrainConfig& config, TaskModel& model,
                                            torch::optim::Optimizer& optimizer, bool check_finite) {
  return std::make_unique<EagerStepper>(config, model, optimizer, check_finite);
}

#ifndef POWERTRAIN_CUDA_CODE
std::unique_ptr<Stepper> make_graph_stepper(const TrainConfig&, TaskModel&,
                                            const torch::Device& device) {
  throw std::invalid_argument(
      "cuda_graphs: this build has no CUDA graph step (LibTorch " + std::string(TORCH_VERSION) +
      " without CUDA, or POWERTRAIN_CUDA_CODE=OFF); device " + device.str());
}

std::unique_ptr<AsyncCopier> make_side_stream_copier(const torch::Device&) { return nullptr; }
#endif

Batch to_device(const Batch& batch, const torch::Device& device) {
  if (device.is_cpu()) return batch;
  Batch out;
  out.inputs = batch.inputs.to(device, /*non_blocking=*/true);
  if (batch.labels.defined()) out.labels = batch.labels.to(device, true);
  if (batch.attributes.defined()) out.attributes = batch.attributes.to(device, true);
  return out;
}

DevicePrefetcher::DevicePrefetcher(BatchLoader& loader, const torch::Device& device,
                                   bool full_batches_only, int64_t batch_size, AsyncCopier* copier)
    : loader_(loader),
      device_(device),
      full_only_(full_batches_only),
      batch_size_(batch_size),
      copier_(copier) {
  if (copier_ || !device_.is_cpu()) pending_ = fetch();
}

std::optional<Batch> DevicePrefetcher::fetch() {
  while (auto batch = loader_.next()) {
    if (full_only_ && batch->size() != batch_size_) continue;
    return copier_ ? copier_->copy(*batch) : to_device(*batch, device_);
  }
  return std::nullopt;
}

std::optional<Batch> DevicePrefetcher::next() {
  if (!copier_ && device_.is_cpu()) return full_only_ ? fetch() : loader_.next();
  std::optional<Batch> current = std::move(pending_);
  if (!current) return std::nullopt;
  // This batch's copy is waited for (on the device) before the next one is
  // queued, and the next one before the caller queues this step.
  if (copier_) copier_->ready(*current);
  pending_ = fetch();
  return current;
}

}  // namespace powertrain::train
