// GPU-side training pieces that a CPU can check: boundaries marked only after
// the device is synchronised, the graph-safe optimiser against torch::optim,
// and the GPU options refused on a CPU with one clear error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "fake_sensor.h"
#include "powertrain/train/trainer.h"
#include "train/device_sync.h"
#include "train/train_step.h"

namespace powertrain {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A device and marks that write what happens, in order, into one log.
struct Log {
  std::vector<std::string> events;
};
class FakeDevice : public train::DeviceHooks {
 public:
  explicit FakeDevice(Log& log) : log_(log) {}
  void synchronize() override { log_.events.push_back("sync"); }

 private:
  Log& log_;
};
class FakeMarks : public train::EpochMarks {
 public:
  explicit FakeMarks(Log& log) : log_(log) {}
  void begin_epoch(int epoch) override { log_.events.push_back("begin " + std::to_string(epoch)); }
  void set_phase(Phase phase) override {
    log_.events.push_back("phase " + std::string(to_string(phase)));
  }
  EpochEnergy end_epoch(const EpochMetrics&) override {
    log_.events.push_back("end");
    return {};
  }

 private:
  Log& log_;
};

TEST(DeviceSync, EveryBoundaryIsMarkedAfterTheDeviceIsSynchronised) {
  Log log;
  FakeDevice device(log);
  FakeMarks marks(log);
  train::SynchronisingMarks sync(device, marks);
  sync.begin_epoch(1);
  sync.set_phase(Phase::kValidate);
  sync.end_epoch({});
  EXPECT_THAT(log.events, ElementsAre("sync", "begin 1", "sync", "phase validate", "sync", "end"));
}

// The real trainer through a fake device: at each synchronisation the
// tracker has not yet seen the boundary that follows it.
class RecordingDevice : public train::DeviceHooks {
 public:
  explicit RecordingDevice(Tracker& tracker) : tracker_(tracker) {}
  void synchronize() override {
    seen.push_back(tracker_.in_epoch() ? "in epoch " + std::to_string(tracker_.current_epoch())
                                       : "between epochs");
  }
  std::vector<std::string> seen;

 private:
  Tracker& tracker_;
};

TrainConfig tiny() {
  TrainConfig c;
  c.task = "pamap2";
  c.threads = 1;
  c.batch_size = 32;
  c.learning_rate = 1e-3;
  c.max_epochs = 2;
  c.patience = 0;
  c.test_after = false;
  c.data.window_length = 32;
  c.data.window_stride = 16;
  c.data.synthetic_train = 64;
  c.data.synthetic_val = 32;
  c.data.synthetic_test = 0;
  c.model.conv_channels = {4, 4, 4};
  c.model.hidden_units = 8;
  return c;
}

TEST(DeviceSync, TheTrainerSynchronisesBeforeEachBoundary) {
  auto tracker = testing::make_test_tracker();
  RecordingDevice device(*tracker);
  TrainResult result = run_training(tiny(), *tracker, nullptr, 0, {}, &device);
  tracker->stop();
  ASSERT_EQ(result.epochs_run, 2);
  // Per epoch: before begin (no epoch open), before validate and before end
  // (the epoch open).
  EXPECT_THAT(device.seen, ElementsAre("between epochs", "in epoch 1", "in epoch 1",
                                       "between epochs", "in epoch 2", "in epoch 2"));
  EXPECT_EQ(result.step, "eager");
}

// DeviceOptimizer (the CUDA graph's update, step count on the device) makes
// the same steps as torch::optim on the same gradients.
void expect_same_steps(TrainConfig config) {
  torch::manual_seed(3);
  auto a = torch::randn({5, 4}, torch::requires_grad());
  auto b = a.detach().clone().requires_grad_(true);
  const torch::Tensor start = a.detach().clone();
  auto target = torch::randn({5, 4});
  std::unique_ptr<torch::optim::Optimizer> reference;
  if (config.optimizer == "adam") {
    reference = std::make_unique<torch::optim::Adam>(
        std::vector<torch::Tensor>{a},
        torch::optim::AdamOptions(config.learning_rate).weight_decay(config.weight_decay));
  } else {
    reference = std::make_unique<torch::optim::SGD>(std::vector<torch::Tensor>{a},
                                                    torch::optim::SGDOptions(config.learning_rate)
                                                        .momentum(config.momentum)
                                                        .weight_decay(config.weight_decay));
  }
  train::DeviceOptimizer ours(config, {b});
  for (int step = 0; step < 20; ++step) {
    reference->zero_grad();
    ((a - target).pow(3).sum()).backward();
    reference->step();
    ours.zero_grad();
    ((b - target).pow(3).sum()).backward();
    ours.step();
  }
  // The parameters moved (by far more than the tolerance), and moved alike.
  EXPECT_GT((a.detach() - start).abs().max().item<double>(), 1e-2) << config.optimizer;
  EXPECT_LT((a.detach() - b.detach()).abs().max().item<double>(), 1e-5) << config.optimizer;
}

TEST(DeviceOptimizer, MatchesTorchOptim) {
  TrainConfig c;
  c.optimizer = "adam";
  c.learning_rate = 0.05;
  c.weight_decay = 0.01;
  expect_same_steps(c);
  c.optimizer = "sgd";
  c.momentum = 0.9;
  c.learning_rate = 0.001;
  expect_same_steps(c);
  c.momentum = 0;
  expect_same_steps(c);
}

TEST(GpuOptions, AreRefusedOnTheCpuWithOneClearError) {
  for (int which = 0; which < 2; ++which) {
    TrainConfig c = tiny();
    if (which == 0) c.cuda_graphs = true;
    if (which == 1) c.amp = "bf16";
    auto tracker = testing::make_test_tracker();
    try {
      run_training(c, *tracker, nullptr, 0);
      ADD_FAILURE() << "accepted on the CPU";
    } catch (const std::invalid_argument& e) {
      EXPECT_THAT(e.what(), HasSubstr(which == 0 ? "cuda_graphs" : "amp"));
      EXPECT_THAT(e.what(), HasSubstr("device = cpu"));
    }
    tracker->stop();
  }
}

// On the CPU the prefetcher hands the loader's batches through unchanged;
// with full batches only, the short last one is left out.
TEST(DevicePrefetcher, PassesCpuBatchesThroughAndDropsShortOnesWhenAsked) {
  const train::SplitTensors split = train::make_split(
      torch::arange(10, torch::kFloat32).reshape({10, 1}), torch::arange(10, torch::kInt64), {});
  for (bool full : {false, true}) {
    train::BatchLoaderOptions options;
    options.batch_size = 4;
    options.shuffle = false;
    options.threaded = false;
    train::BatchLoader loader(split, options);
    train::DevicePrefetcher batches(loader, torch::Device(torch::kCPU), full, 4);
    std::vector<int64_t> sizes;
    double first = -1;
    while (auto b = batches.next()) {
      if (first < 0) first = b->inputs[0][0].item<double>();
      sizes.push_back(b->size());
    }
    EXPECT_EQ(first, 0);
    EXPECT_EQ(sizes, full ? std::vector<int64_t>({4, 4}) : std::vector<int64_t>({4, 4, 2}));
  }
}

// With a copier (a side stream on a GPU): the copy of batch k+1 is queued
// before batch k is handed out, and batch k is made ready (its copy waited
// for on the training stream) before that.
class LoggingCopier : public train::AsyncCopier {
 public:
  train::Batch copy(const train::Batch& host) override {
    log.push_back("copy " + std::to_string(host.inputs[0][0].item<int64_t>()));
    return host;
  }
  void ready(train::Batch& batch) override {
    log.push_back("ready " + std::to_string(batch.inputs[0][0].item<int64_t>()));
  }
  std::vector<std::string> log;
};

TEST(DevicePrefetcher, QueuesTheNextCopyBeforeHandingOutABatch) {
  const train::SplitTensors split = train::make_split(
      torch::arange(6, torch::kFloat32).reshape({6, 1}), torch::arange(6, torch::kInt64), {});
  train::BatchLoaderOptions options;
  options.batch_size = 2;
  options.shuffle = false;
  options.threaded = false;
  train::BatchLoader loader(split, options);
  LoggingCopier copier;
  train::DevicePrefetcher batches(loader, torch::Device(torch::kCPU), false, 2, &copier);
  while (auto b = batches.next()) {
    copier.log.push_back("use " + std::to_string(b->inputs[0][0].item<int64_t>()));
  }
  EXPECT_THAT(copier.log, ElementsAre("copy 0", "ready 0", "copy 2", "use 0", "ready 2", "copy 4",
                                      "use 2", "ready 4", "use 4"));
}

}  // namespace
}  // namespace powertrain
