#include "tracker_options.h"

#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "powertrain/energy/sensors/nvml.h"
#include "util/strings.h"

namespace powertrain::cli {

namespace {

std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

void check_tracker_options(const TrackerOptions& options) {
  if (!(options.interval_s >= 0.01 && options.interval_s <= 60)) {
    throw std::invalid_argument("--interval " + number(options.interval_s) +
                                ": out of range (0.01 to 60 seconds)");
  }
  if (!(options.pue >= 1.0 && options.pue <= 5.0)) {
    throw std::invalid_argument("--pue " + number(options.pue) +
                                ": out of range (1.0 = off, up to 5.0)");
  }
  if (const auto& tdp = options.sensor_options.cpu_tdp_w) {
    if (!(*tdp > 0 && *tdp <= 10000)) {
      throw std::invalid_argument("--cpu-tdp " + number(*tdp) +
                                  ": must be a power above 0 W (and at most 10000 W)");
    }
  }
  if (options.sensor_options.rapl_root.empty()) {
    throw std::invalid_argument("--rapl-root is empty: name the powercap folder");
  }
  if (options.sensor_options.proc_root.empty()) {
    throw std::invalid_argument("--proc-root is empty: name the procfs folder");
  }
  if (options.sensor_options.nvml_library.empty()) {
    throw std::invalid_argument("--nvml-library is empty: name the NVML library");
  }
  for (const std::string& s : options.sensors) {
    if (trim(s).empty()) throw std::invalid_argument("--sensors has an empty name");
  }
}

void add_tracker_options(CLI::App* command, TrackerOptions& options) {
  command
      ->add_option("--interval", options.interval_s,
                   "Sampling interval in seconds (0.01 to 60; the study used 1)")
      ->capture_default_str();
  command
      ->add_option(
          "--sensors", options.sensors,
          "Sensors to read: auto, or any of " + join(sensor_names(), ", ") + " (comma separated)")
      ->delimiter(',');
  command
      ->add_option("--pue", options.pue,
                   "Power usage effectiveness to multiply energy by (1 = off, as in the study)")
      ->capture_default_str();
  command->add_option("--cpu-tdp", options.sensor_options.cpu_tdp_w,
                      "CPU TDP in watts for the model sensor (overrides its table)");
  command
      ->add_option("--rapl-root", options.sensor_options.rapl_root,
                   "Root of the powercap sysfs tree")
      ->capture_default_str();
  command
      ->add_option("--hwmon-root", options.sensor_options.hwmon_root,
                   "Root of the hwmon sysfs tree (rapl reads amd_energy there without powercap)")
      ->capture_default_str();
  command
      ->add_option("--proc-root", options.sensor_options.proc_root,
                   "Root of the procfs tree (CPU utilisation, process attribution)")
      ->capture_default_str();
  command
      ->add_option("--nvml-library", options.sensor_options.nvml_library,
                   "NVML shared library to dlopen")
      ->capture_default_str();
  // Checked once the command line is parsed, before the subcommand's callback
  // opens a database or starts anything.
  command->parse_complete_callback([&options] { check_tracker_options(options); });
}

void add_gpu_options(CLI::App* command, SensorOptions& options) {
  command
      ->add_option_function<std::vector<std::string>>(
          "--gpus",
          [&options](const std::vector<std::string>& list) {
            std::vector<std::string> gpus;
            for (const std::string& g : list) {
              if (trim(g).empty()) throw CLI::ValidationError("--gpus", "has an empty entry");
              if (trim(g) != "none" && !is_gpu_selector(g)) {
                throw CLI::ValidationError(
                    "--gpus", "'" + trim(g) +
                                  "' is not a GPU (cuda:N, a PCI bus id, GPU-..., MIG-..., none)");
              }
              if (trim(g) != "none") gpus.push_back(trim(g));
            }
            options.gpus = gpus;
          },
          "GPUs to measure (comma separated): cuda:N, a PCI bus id, a UUID or unique UUID "
          "prefix (GPU-...), MIG-..., or none. Default: the GPUs the command can see (its "
          "CUDA_VISIBLE_DEVICES, numbered by the CUDA driver)")
      ->delimiter(',');
  command
      ->add_option("--cuda-library", options.cuda_library,
                   "CUDA driver library to dlopen (maps cuda:N to a board)")
      ->capture_default_str();
}

std::vector<std::string> describe_provenance(const std::string& provenance) {
  std::vector<std::string> out;
  for (const std::string& line : split(provenance, '\n')) {
    if (trim(line).empty()) continue;
    nlohmann::json p = nlohmann::json::parse(line, nullptr, false);
    if (p.is_discarded() || !p.is_object()) continue;
    if (p.contains("driver_version")) {
      out.push_back("driver " + p.value("driver_version", std::string("?")) + ", NVML " +
                    p.value("nvml_version", std::string("?")));
    }
    for (const auto& b : p.value("boards", nlohmann::json::array())) {
      std::string text = b.value("id", std::string("?")) + ": " + b.value("name", std::string()) +
                         ", UUID " + b.value("uuid", std::string("?")) + ", bus " +
                         b.value("bus_id", std::string("?")) + ", power from " +
                         b.value("power_field", std::string("?"));
      if (b.contains("power_limit_w")) {
        text += ", limit " + number(b["power_limit_w"].get<double>()) + " W";
      }
      text += ", MIG " + b.value("mig_mode", std::string("?"));
      text += ", selected by " + b.value("selected_by", std::string("?"));
      out.push_back(text);
    }
  }
  return out;
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
