#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "powertrain/train/task_model.h"

namespace powertrain::train {
namespace {

TEST(TaskLoss, MultitaskIsAlphaWeightedByHand) {
  // One sample, two attributes, three identities.
  TaskOutputs outputs;
  outputs.attribute_logits = torch::tensor({{0.0, 2.0}}, torch::kFloat64);
  outputs.class_logits = torch::tensor({{1.0, 0.0, 0.0}}, torch::kFloat64);
  TaskTargets targets;
  targets.inputs = torch::zeros({1, 3});
  targets.attributes = torch::tensor({{1.0, 0.0}}, torch::kFloat64);
  targets.labels = torch::tensor({2}, torch::kInt64);
  // BCE: attribute 1: -log(sigmoid(0)) = log 2; attribute 2: -log(1 - sigmoid(2)) = log(1 + e^2).
  const double attribute_loss = (std::log(2.0) + std::log(1.0 + std::exp(2.0))) / 2.0;
  // CE: -log(e^0 / (e^1 + 2)).
  const double identity_loss = std::log(std::exp(1.0) + 2.0);
  for (double alpha : {0.0, 0.25, 0.5, 1.0}) {
    const double expected = alpha * attribute_loss + (1 - alpha) * identity_loss;
    EXPECT_NEAR(task_loss("celeba-multitask", outputs, targets, alpha).item<double>(), expected,
                1e-12)
        << alpha;
  }
  EXPECT_NEAR(task_loss("celeba-attributes", outputs, targets, 0.3).item<double>(), attribute_loss,
              1e-12);
  EXPECT_NEAR(task_loss("celeba-identity", outputs, targets, 0.3).item<double>(), identity_loss,
              1e-12);
}

TEST(TaskMetric, AccuracyAndMeanAttributeAccuracy) {
  TaskOutputs outputs;
  outputs.class_logits = torch::tensor({{2.0, 0.0}, {2.0, 0.0}, {0.0, 1.0}, {0.0, 1.0}});
  outputs.attribute_logits = torch::tensor({{1.0, -1.0}, {1.0, 1.0}, {-1.0, -1.0}, {1.0, 1.0}});
  TaskTargets targets;
  targets.inputs = torch::zeros({4, 1});
  targets.labels = torch::tensor({0, 1, 1, 1}, torch::kInt64);
  targets.attributes = torch::tensor({{1.0, 0.0}, {0.0, 0.0}, {0.0, 0.0}, {1.0, 1.0}});
  MetricSums sums;
  accumulate_metric("celeba-multitask", outputs, targets, 1.0, sums);
  EXPECT_DOUBLE_EQ(metric_value("celeba-identity", sums), 0.75);
  EXPECT_DOUBLE_EQ(metric_value("celeba-attributes", sums), 6.0 / 8.0);
  EXPECT_DOUBLE_EQ(metric_value("celeba-multitask", sums), 0.5 * (0.75 + 0.75));
  EXPECT_DOUBLE_EQ(metric_value("pamap2-autoencoder", sums), 1.0);
  EXPECT_TRUE(stops_on_loss("pamap2-autoencoder"));
  EXPECT_FALSE(stops_on_loss("pamap2"));
}

TEST(TaskModel, FrozenEncoderIsOutOfTheOptimiserAndInEvalMode) {
  TrainConfig config;
  config.task = "pamap2-classifier";
  TaskShape shape;
  shape.in_channels = 6;
  shape.window_length = 32;
  shape.classes = 4;
  TaskModel model(config, shape);
  const size_t all = model->parameters().size();
  const size_t encoder = model->encoder().parameters().size();
  EXPECT_EQ(model->trainable_parameters().size(), all);
  model->set_encoder_frozen(true);
  EXPECT_EQ(model->trainable_parameters().size(), all - encoder);
  model->train();
  EXPECT_FALSE(model->encoder().is_training());
  EXPECT_TRUE(model->is_training());
  TaskOutputs out = model->forward(torch::randn({3, 6, 32}));
  EXPECT_EQ(out.class_logits.sizes(), (std::vector<int64_t>{3, 4}));
  model->set_encoder_frozen(false);
  model->train();
  EXPECT_TRUE(model->encoder().is_training());
}

TEST(TaskModel, HeadsPerTask) {
  TaskShape shape;
  shape.classes = 5;
  shape.attributes = 40;
  TrainConfig config;
  config.task = "celeba-multitask";
  TaskModel model(config, shape);
  model->eval();
  torch::NoGradGuard no_grad;
  TaskOutputs out = model->forward(torch::randn({2, 3, 32, 32}));
  EXPECT_EQ(out.class_logits.sizes(), (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(out.attribute_logits.sizes(), (std::vector<int64_t>{2, 40}));
  config.task = "pamap2-autoencoder";
  TaskShape pamap2;
  pamap2.in_channels = 27;
  pamap2.window_length = 64;
  TaskModel autoencoder(config, pamap2);
  TaskOutputs rec = autoencoder->forward(torch::randn({2, 27, 64}));
  EXPECT_EQ(rec.reconstruction.sizes(), (std::vector<int64_t>{2, 27, 64}));
  EXPECT_FALSE(rec.class_logits.defined());
}

}  // namespace
}  // namespace powertrain::train
