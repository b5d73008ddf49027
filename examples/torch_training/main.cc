// A LibTorch training loop that embeds powertrain's tracker: a linear
// regression learns y = w.x + b from noisy samples (a small learning rate, so
// that the loss falls over several epochs); each epoch trains, then validates
// (phase validate), and prints its loss beside its energy.
//
//   torch_training [--epochs N] [--interval S] [--sensor NAME] [--nvml-library PATH]
//
// Each epoch line carries its duration, mean power and energy, so energy =
// power x time can be checked from the output alone.
#include <powertrain/energy/tracker.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

namespace {

int usage(const char* what) {
  std::fprintf(stderr, "torch_training: %s\n", what);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int epochs = 3;
  powertrain::TrackerOptions options;
  options.interval_s = 0.05;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return usage(("no value after " + arg).c_str());
    std::string value = argv[++i];
    if (arg == "--epochs") {
      epochs = std::atoi(value.c_str());
    } else if (arg == "--interval") {
      options.interval_s = std::atof(value.c_str());
    } else if (arg == "--sensor") {
      options.sensors.push_back(value);
    } else if (arg == "--nvml-library") {
      options.sensor_options.nvml_library = value;
    } else {
      return usage(("unknown option " + arg).c_str());
    }
  }
  if (epochs < 1) return usage("--epochs must be positive");

  try {
    torch::manual_seed(1);
    const int64_t n = 262144, features = 16, batch = 64;
    torch::Tensor w_true = torch::randn({features, 1});
    torch::Tensor x = torch::randn({n, features});
    torch::Tensor y = x.matmul(w_true) + 0.5 + 0.01 * torch::randn({n, 1});
    torch::Tensor x_val = x.slice(0, 0, n / 8), y_val = y.slice(0, 0, n / 8);
    torch::Tensor x_train = x.slice(0, n / 8), y_train = y.slice(0, n / 8);

    torch::nn::Linear model(features, 1);
    torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(2e-4));

    powertrain::Tracker tracker(options);
    std::printf("sensors: %s, sampled every %.3f s\n", tracker.sensor_summary().c_str(),
                options.interval_s);
    tracker.start();
    for (int epoch = 1; epoch <= epochs; ++epoch) {
      tracker.begin_epoch(epoch);  // phase train
      model->train();
      double train_loss = 0;
      int64_t batches = 0;
      for (int64_t i = 0; i < x_train.size(0); i += batch) {
        torch::Tensor xb = x_train.slice(0, i, i + batch), yb = y_train.slice(0, i, i + batch);
        optimizer.zero_grad();
        torch::Tensor loss = torch::mse_loss(model->forward(xb), yb);
        loss.backward();
        optimizer.step();
        train_loss += loss.item<double>();
        ++batches;
      }
      tracker.set_phase(powertrain::Phase::kValidate);
      model->eval();
      double val_loss = 0;
      {
        torch::NoGradGuard no_grad;
        val_loss = torch::mse_loss(model->forward(x_val), y_val).item<double>();
      }
      powertrain::EpochMetrics metrics;
      metrics.train_loss = train_loss / static_cast<double>(batches);
      metrics.val_loss = val_loss;
      powertrain::EpochEnergy e = tracker.end_epoch(metrics);
      std::printf("epoch %d: %.6f s, %.6f W, %.6f mWh (%s, %d samples), val_loss %.6f\n", e.epoch,
                  e.duration_s, e.mean_power_mw / 1000.0, e.energy_mwh,
                  std::string(powertrain::to_string(e.source)).c_str(), e.n_samples, val_loss);
    }
    tracker.stop();
    powertrain::EnergyTotals total = tracker.totals();
    std::printf("total: %.6f s, %.6f mWh (%s)\n", total.duration_s, total.energy_mwh,
                std::string(powertrain::to_string(total.source)).c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "torch_training: %s\n", e.what());
    return 1;
  }
}
