#include "tracker_options.h"

#include "util/strings.h"

namespace powertrain::cli {

void add_tracker_options(CLI::App* command, TrackerOptions& options) {
  command->add_option("--interval", options.interval_s,
                      "Sampling interval in seconds (0.01 to 60; the study used 1)")
      ->capture_default_str();
  command->add_option("--sensors", options.sensors,
                      "Sensors to read: auto, or any of " + join(sensor_names(), ", ") +
                          " (comma separated)")
      ->delimiter(',');
  command->add_option("--pue", options.pue,
                      "Power usage effectiveness to multiply energy by (1 = off, as in the study)")
      ->capture_default_str();
  command->add_option("--cpu-tdp", options.sensor_options.cpu_tdp_w,
                      "CPU TDP in watts for the model sensor (overrides its table)");
  command->add_option("--rapl-root", options.sensor_options.rapl_root,
                      "Root of the powercap sysfs tree")
      ->capture_default_str();
  command->add_option("--proc-root", options.sensor_options.proc_root,
                      "Root of the procfs tree (CPU utilisation, process attribution)")
      ->capture_default_str();
  command->add_option("--nvml-library", options.sensor_options.nvml_library,
                      "NVML shared library to dlopen")
      ->capture_default_str();
}

std::string describe_sensors(const Tracker& tracker) {
  std::vector<std::string> parts;
  for (const auto& s : tracker.sensors()) {
    bool counter = false;
    for (const DeviceInfo& d : s->devices()) counter = counter || d.has_counter;
    std::string how = s->name() == "model" ? "modelled" : counter ? "counter" : "sampled";
    parts.push_back(s->name() + " (" + how + ")");
  }
  return join(parts, ", ");
}

}  // namespace powertrain::cli
