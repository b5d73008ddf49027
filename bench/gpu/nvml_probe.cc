// Reads the project's NVML sensor every --interval-ms for --seconds and
// prints one CSV line per reading and device: time, power (the sensor's
// figure), the energy counter and any error. scripts/gpu-check.sh runs it
// through idle / burn / idle to see how often the counter moves and how far
// power and counter lag the load (bench/gpu/probe_summary.py).
//
//   nvml_probe [--interval-ms 10] [--seconds 7] [--gpu cuda:0] [--nvml-library PATH]
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "powertrain/energy/sensor.h"

namespace {

struct Args {
  double interval_ms = 10;
  double seconds = 7;
  std::string gpu;
  std::string library;  // NVML library; empty = the sensor's default
};

Args parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const std::string value = argv[i + 1];
    if (key == "--interval-ms") {
      args.interval_ms = std::atof(value.c_str());
    } else if (key == "--seconds") {
      args.seconds = std::atof(value.c_str());
    } else if (key == "--gpu") {
      args.gpu = value;
    } else if (key == "--nvml-library") {
      args.library = value;
    } else {
      throw std::invalid_argument("unknown option " + key);
    }
  }
  if (!(args.interval_ms > 0) || !(args.seconds > 0)) {
    throw std::invalid_argument("--interval-ms and --seconds must be positive");
  }
  return args;
}

std::string figure(const std::optional<double>& v) {
  return v ? fmt::format("{:.3f}", *v) : std::string();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args args = parse(argc, argv);
    powertrain::SensorOptions options;
    if (!args.library.empty()) options.nvml_library = args.library;
    if (!args.gpu.empty()) {
      options.gpus = std::vector<std::string>{args.gpu};
      options.gpu_required = true;
    }
    auto sensor = powertrain::make_sensor("nvml", options);
    if (!sensor->available()) {
      fmt::print(stderr, "nvml_probe: NVML not available: {}\n", sensor->reason());
      return 2;
    }
    fmt::print("t_s,device,power_mw,energy_mj,error\n");
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    const auto period = std::chrono::duration<double, std::milli>(args.interval_ms);
    for (long k = 0;; ++k) {
      const auto due = start + std::chrono::duration_cast<Clock::duration>(period * k);
      std::this_thread::sleep_until(due);
      const double t = std::chrono::duration<double>(Clock::now() - start).count();
      if (t > args.seconds) break;
      for (const auto& r : sensor->read()) {
        fmt::print("{:.4f},{},{},{},{}\n", t, r.device, figure(r.power_mw), figure(r.energy_mj),
                   r.error);
      }
    }
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "nvml_probe: {}\n", e.what());
    return 2;
  }
}
