// The tracker embedded in a program (no LibTorch): each "epoch" keeps a core
// busy for a while; the tracker samples power in the background and gives
// each epoch's energy, printed as it ends.
//
//   tracker_minimal [--epochs N] [--seconds S] [--interval S] [--sensor NAME]
//                   [--nvml-library PATH]
//
// Without --sensor the tracker picks every available sensor (the model when
// none is). Each epoch line carries its duration, mean power and energy, so
// energy = power x time can be checked from the output alone.
#include <powertrain/energy/tracker.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

namespace {

// Work that keeps one core busy for `seconds`.
double busy(double seconds) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  double x = 0;
  while (std::chrono::steady_clock::now() < end) {
    for (int i = 1; i < 10000; ++i) x += 1.0 / i;
  }
  return x;
}

int usage(const char* what) {
  std::fprintf(stderr, "tracker_minimal: %s\n", what);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int epochs = 3;
  double seconds = 0.5;
  powertrain::TrackerOptions options;
  options.interval_s = 0.05;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return usage(("no value after " + arg).c_str());
    std::string value = argv[++i];
    if (arg == "--epochs") {
      epochs = std::atoi(value.c_str());
    } else if (arg == "--seconds") {
      seconds = std::atof(value.c_str());
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
  if (epochs < 1 || seconds <= 0) return usage("--epochs and --seconds must be positive");

  try {
    powertrain::Tracker tracker(options);
    std::printf("sensors: %s, sampled every %.3f s\n", tracker.sensor_summary().c_str(),
                options.interval_s);
    tracker.start();
    double sink = 0;
    for (int epoch = 1; epoch <= epochs; ++epoch) {
      tracker.begin_epoch(epoch);
      sink += busy(seconds);
      powertrain::EpochEnergy e = tracker.end_epoch();
      std::printf("epoch %d: %.6f s, %.6f W, %.6f mWh (%s, %d samples)\n", e.epoch, e.duration_s,
                  e.mean_power_mw / 1000.0, e.energy_mwh,
                  std::string(powertrain::to_string(e.source)).c_str(), e.n_samples);
    }
    tracker.stop();
    powertrain::EnergyTotals total = tracker.totals();
    std::printf("total: %.6f s, %.6f mWh (%s)\n", total.duration_s, total.energy_mwh,
                std::string(powertrain::to_string(total.source)).c_str());
    return sink > 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tracker_minimal: %s\n", e.what());
    return 1;
  }
}
