#include "powertrain/train/task_model.h"

#include <stdexcept>

namespace powertrain::train {

namespace {

bool is_celeba(const std::string& task) { return task.rfind("celeba", 0) == 0; }

}  // namespace

TaskModelImpl::TaskModelImpl(const TrainConfig& config, const TaskShape& shape)
    : task_(config.task) {
  if (is_celeba(task_)) {
    resnet_ = register_module("encoder", models::ResNet18());
    if (task_ == "celeba-identity" || task_ == "celeba-multitask") {
      identity_head_ = register_module(
          "identity_head", torch::nn::Linear(models::ResNet18Impl::kFeatures, shape.classes));
    }
    if (task_ == "celeba-attributes" || task_ == "celeba-multitask") {
      attribute_head_ = register_module(
          "attribute_head", torch::nn::Linear(models::ResNet18Impl::kFeatures, shape.attributes));
    }
    if (!identity_head_ && !attribute_head_) {
      throw std::invalid_argument("unknown task '" + task_ + "'");
    }
    return;
  }
  models::Pamap2CnnOptions cnn;
  cnn.in_channels = shape.in_channels;
  cnn.window_length = shape.window_length;
  cnn.channels.assign(config.model.conv_channels.begin(), config.model.conv_channels.end());
  cnn.kernels.assign(config.model.conv_kernels.begin(), config.model.conv_kernels.end());
  cnn.dropout = config.model.dropout;
  pamap2_encoder_ = register_module("encoder", models::Pamap2Encoder(cnn));
  if (task_ == "pamap2-autoencoder") {
    decoder_ = register_module("decoder", models::Pamap2Decoder(cnn));
  } else if (task_ == "pamap2" || task_ == "pamap2-classifier") {
    classifier_ = register_module(
        "classifier", models::ClassifierHead(pamap2_encoder_->feature_size(), shape.classes,
                                             config.model.hidden_units, config.model.dropout));
  } else {
    throw std::invalid_argument("unknown task '" + task_ + "'");
  }
}

torch::nn::Module& TaskModelImpl::encoder() { return *encoder_ptr(); }

std::shared_ptr<torch::nn::Module> TaskModelImpl::encoder_ptr() {
  if (resnet_) return resnet_.ptr();
  return pamap2_encoder_.ptr();
}

void TaskModelImpl::set_encoder_frozen(bool frozen) {
  frozen_ = frozen;
  for (auto& p : encoder().parameters()) p.requires_grad_(!frozen);
  if (frozen) encoder().eval();
}

void TaskModelImpl::train(bool on) {
  torch::nn::Module::train(on);
  if (frozen_) encoder().eval();
}

std::vector<torch::Tensor> TaskModelImpl::trainable_parameters() {
  std::vector<torch::Tensor> out;
  for (auto& p : parameters()) {
    if (p.requires_grad()) out.push_back(p);
  }
  return out;
}

TaskOutputs TaskModelImpl::forward(torch::Tensor inputs) {
  torch::Tensor features;
  {
    // A frozen encoder needs no autograd graph at all.
    std::optional<torch::NoGradGuard> no_grad;
    if (frozen_) no_grad.emplace();
    features = resnet_ ? resnet_->forward(inputs) : pamap2_encoder_->forward(inputs);
  }
  TaskOutputs out;
  if (classifier_) out.class_logits = classifier_->forward(features);
  if (decoder_) out.reconstruction = decoder_->forward(features);
  if (identity_head_) out.class_logits = identity_head_->forward(features);
  if (attribute_head_) out.attribute_logits = attribute_head_->forward(features);
  return out;
}

torch::Tensor task_loss(const std::string& task, const TaskOutputs& outputs,
                        const TaskTargets& targets, double alpha) {
  namespace F = torch::nn::functional;
  if (task == "pamap2-autoencoder") return F::mse_loss(outputs.reconstruction, targets.inputs);
  if (task == "celeba-attributes") {
    return F::binary_cross_entropy_with_logits(outputs.attribute_logits, targets.attributes);
  }
  if (task == "celeba-multitask") {
    torch::Tensor attribute_loss =
        F::binary_cross_entropy_with_logits(outputs.attribute_logits, targets.attributes);
    torch::Tensor identity_loss = F::cross_entropy(outputs.class_logits, targets.labels);
    return alpha * attribute_loss + (1.0 - alpha) * identity_loss;
  }
  return F::cross_entropy(outputs.class_logits, targets.labels);
}

void accumulate_metric(const std::string& task, const TaskOutputs& outputs,
                       const TaskTargets& targets, double batch_loss, MetricSums& sums) {
  const int64_t n = targets.inputs.size(0);
  sums.count += static_cast<double>(n);
  sums.loss_sum += batch_loss * static_cast<double>(n);
  if (outputs.class_logits.defined()) {
    sums.correct += outputs.class_logits.argmax(1).eq(targets.labels).sum().item<double>();
  }
  if (outputs.attribute_logits.defined()) {
    torch::Tensor predicted = outputs.attribute_logits.gt(0);
    sums.attribute_correct += predicted.eq(targets.attributes.gt(0.5)).sum().item<double>();
    sums.attribute_count += static_cast<double>(outputs.attribute_logits.numel());
  }
  (void)task;
}

double metric_value(const std::string& task, const MetricSums& sums) {
  if (sums.count == 0) return 0;
  const double accuracy = sums.correct / sums.count;
  const double attribute_accuracy =
      sums.attribute_count > 0 ? sums.attribute_correct / sums.attribute_count : 0;
  if (task == "pamap2-autoencoder") return sums.loss_sum / sums.count;
  if (task == "celeba-attributes") return attribute_accuracy;
  if (task == "celeba-multitask") return 0.5 * (accuracy + attribute_accuracy);
  return accuracy;
}

std::string metric_name(const std::string& task) {
  if (task == "pamap2-autoencoder") return "mse";
  if (task == "celeba-attributes") return "mean_attribute_accuracy";
  if (task == "celeba-multitask") return "mean_task_accuracy";
  return "accuracy";
}

bool stops_on_loss(const std::string& task) { return task == "pamap2-autoencoder"; }

}  // namespace powertrain::train
