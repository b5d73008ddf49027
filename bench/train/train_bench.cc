// Samples per second of training epochs through run_training (the real
// trainer: batch loader thread, model, optimiser), on generated data.
//   train_bench --model pamap2|resnet18 --batch-size 64 --threads 2 --epochs 3
// Prints one JSON line: per-epoch samples/s, the best epoch after the first
// (warm-up), and the share of step time spent waiting on data.
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "powertrain/energy/sensor.h"
#include "powertrain/energy/tracker.h"
#include "powertrain/train/trainer.h"

namespace {

// No hardware is read: the benchmark measures training speed, not energy.
class NullSensor : public powertrain::Sensor {
 public:
  std::string name() const override { return "model"; }
  bool available() const override { return true; }
  std::string reason() const override { return ""; }
  std::vector<powertrain::DeviceInfo> devices() const override { return {}; }
  std::vector<powertrain::PowerReading> read() override { return {}; }
};

}  // namespace

int main(int argc, char** argv) {
  std::string model = "pamap2";
  powertrain::TrainConfig config;
  config.batch_size = 64;
  config.threads = 2;
  config.max_epochs = 3;
  config.patience = 0;
  config.optimizer = "sgd";
  config.learning_rate = 0.01;
  config.momentum = 0.9;
  config.test_after = false;
  int64_t samples = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--model") model = value;
    else if (key == "--batch-size") config.batch_size = std::atoll(value.c_str());
    else if (key == "--threads") config.threads = std::atoi(value.c_str());
    else if (key == "--epochs") config.max_epochs = std::atoi(value.c_str());
    else if (key == "--samples") samples = std::atoll(value.c_str());
    else if (key == "--image-size") config.data.image_size = std::atoi(value.c_str());
    else if (key == "--loader-threads") config.data.loader_threads = std::atoi(value.c_str());
    else {
      fmt::print(stderr, "unknown option {}\n", key);
      return 2;
    }
  }
  if (model == "pamap2") {
    config.task = "pamap2";
    config.data.window_length = 128;
    config.data.synthetic_train = samples > 0 ? samples : 8192;
  } else if (model == "resnet18") {
    config.task = "celeba-identity";
    config.data.identities = 40;
    config.data.synthetic_train = samples > 0 ? samples : 512;
  } else {
    fmt::print(stderr, "unknown model {} (pamap2, resnet18)\n", model);
    return 2;
  }
  config.data.synthetic_val = config.batch_size;
  config.data.synthetic_test = 0;

  powertrain::TrackerOptions tracker_options;
  std::vector<std::unique_ptr<powertrain::Sensor>> sensors;
  sensors.push_back(std::make_unique<NullSensor>());
  powertrain::Tracker tracker(tracker_options, std::move(sensors));
  tracker.start();
  std::vector<double> rates, waits;
  powertrain::run_training(config, tracker, nullptr, 0, [&](const powertrain::EpochProgress& p) {
    rates.push_back(p.samples_per_s);
    waits.push_back(p.data_wait_share);
  });
  tracker.stop();
  const double best = rates.size() > 1 ? *std::max_element(rates.begin() + 1, rates.end()) : rates.at(0);
  double wait = 0;
  for (size_t i = rates.size() > 1 ? 1 : 0; i < waits.size(); ++i) wait = std::max(wait, waits[i]);
  fmt::print("{{\"side\": \"cpp\", \"model\": \"{}\", \"batch_size\": {}, \"threads\": {}, "
             "\"samples\": {}, \"epoch_samples_per_s\": [{}], \"samples_per_s\": {:.2f}, "
             "\"data_wait_share\": {:.4f}}}\n",
             model, config.batch_size, config.threads, config.data.synthetic_train,
             fmt::join(rates, ", "), best, wait);
  return 0;
}
