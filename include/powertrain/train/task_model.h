// The model of each training task (encoder + heads) and its loss and metric.
// Includes LibTorch: only the train module and its tests use it.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include "powertrain/models/pamap2_cnn.h"
#include "powertrain/models/resnet.h"
#include "powertrain/train/trainer.h"

namespace powertrain::train {

// What a task's data looks like, from the loaded dataset.
struct TaskShape {
  int64_t in_channels = 27;     // PAMAP2
  int64_t window_length = 128;  // PAMAP2
  int64_t classes = 12;         // PAMAP2 activities or CelebA identities
  int64_t attributes = 40;      // CelebA
};

struct TaskOutputs {
  torch::Tensor class_logits;      // [N, classes]
  torch::Tensor attribute_logits;  // [N, attributes]
  torch::Tensor reconstruction;    // [N, C, L]
};

struct TaskTargets {
  torch::Tensor inputs;      // reconstruction target
  torch::Tensor labels;      // int64 [N]
  torch::Tensor attributes;  // float 0/1 [N, A]
};

// Encoder plus the task's heads. Submodule names: "encoder" (PAMAP2 CNN or
// ResNet18 with timm names), "classifier", "decoder", "identity_head",
// "attribute_head".
class TaskModelImpl : public torch::nn::Module {
 public:
  TaskModelImpl(const TrainConfig& config, const TaskShape& shape);
  TaskOutputs forward(torch::Tensor inputs);
  torch::nn::Module& encoder();
  std::shared_ptr<torch::nn::Module> encoder_ptr();
  // Freezing: encoder parameters get requires_grad=false and the encoder
  // stays in eval mode (batch-norm statistics fixed, no dropout).
  void set_encoder_frozen(bool frozen);
  bool encoder_frozen() const { return frozen_; }
  void train(bool on = true) override;
  // Parameters the optimiser gets: everything but a frozen encoder.
  std::vector<torch::Tensor> trainable_parameters();
  const std::string& task() const { return task_; }

 private:
  std::string task_;
  bool frozen_ = false;
  models::Pamap2Encoder pamap2_encoder_{nullptr};
  models::ResNet18 resnet_{nullptr};
  models::ClassifierHead classifier_{nullptr};
  models::Pamap2Decoder decoder_{nullptr};
  torch::nn::Linear identity_head_{nullptr};
  torch::nn::Linear attribute_head_{nullptr};
};
TORCH_MODULE(TaskModel);

// Loss of a batch: cross entropy (classifier, identity), mean BCE with logits
// (attributes), MSE (autoencoder), alpha * L_attr + (1 - alpha) * L_id (multitask).
torch::Tensor task_loss(const std::string& task, const TaskOutputs& outputs,
                        const TaskTargets& targets, double alpha);

// Sums for the validation metric, accumulated over batches.
struct MetricSums {
  double correct = 0;            // correct class predictions
  double attribute_correct = 0;  // correct attribute predictions (over N * A)
  double attribute_count = 0;
  double count = 0;              // samples
  double loss_sum = 0;           // loss * batch size
};
void accumulate_metric(const std::string& task, const TaskOutputs& outputs,
                       const TaskTargets& targets, double batch_loss, MetricSums& sums);

// The task's metric from the sums: accuracy, mean attribute accuracy, the mean
// of both (multitask), or the mean loss (autoencoder).
double metric_value(const std::string& task, const MetricSums& sums);
// "accuracy", "mean_attribute_accuracy", "mean_task_accuracy", "mse".
std::string metric_name(const std::string& task);
// Whether early stopping follows the validation loss (else the metric).
bool stops_on_loss(const std::string& task);

}  // namespace powertrain::train
