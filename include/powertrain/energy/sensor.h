// The sensor interface: every power backend (NVML, RAPL, powermetrics, the
// model) implements it, and the registry makes one by name.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/energy/sample.h"

namespace powertrain {

// One thing a sensor measures: a GPU, a CPU package, a DRAM zone...
struct DeviceInfo {
  std::string id;        // stable within the sensor: "gpu0", "package-0", "dram-0"
  std::string name;      // what the hardware calls itself
  std::string measures;  // what the figure covers, in words
  bool has_counter = false;                 // reports cumulative energy
  std::optional<double> power_limit_mw;     // e.g. the GPU's enforced limit
};

class Sensor {
 public:
  virtual ~Sensor() = default;
  // Registry name: "nvml", "rapl", "powermetrics", "model".
  virtual std::string name() const = 0;
  // Whether the sensor can be read here; if not, reason() says why.
  virtual bool available() const = 0;
  virtual std::string reason() const = 0;
  virtual std::vector<DeviceInfo> devices() const = 0;
  // One reading per device. A device that fails yields a reading with an
  // error; read() itself throws only for programming errors.
  virtual std::vector<PowerReading> read() = 0;
};

// Settings that let tests point the real code paths at fakes.
struct SensorOptions {
  std::string nvml_library = "libnvidia-ml.so.1";
  std::string rapl_root = "/sys/class/powercap";
  std::string hwmon_root = "/sys/class/hwmon";  // rapl: amd_energy where powercap is absent
  std::string powermetrics_program = "powermetrics";
  std::string proc_root = "/proc";
  double interval_s = 1.0;           // powermetrics samples at this rate
  std::optional<double> cpu_tdp_w;   // model: overrides the TDP table
  // nvml: which GPUs to measure. nullopt = all visible, {} = no GPU, else
  // selectors like "cuda:N".
  std::optional<std::vector<std::string>> gpus;
  // nvml: a selected GPU that cannot be measured is an error, not a skip.
  bool gpu_required = false;
};

// Names of every known sensor, in the order `auto` tries them.
std::vector<std::string> sensor_names();

// Makes a sensor by name. Throws std::invalid_argument for an unknown name,
// listing the known ones. The sensor may be unavailable (see available()).
std::unique_ptr<Sensor> make_sensor(const std::string& name, const SensorOptions& options);

// Resolves a user's sensor list. {"auto"} or {} picks every available
// measuring sensor, and the model only when none is available. Explicitly
// named sensors that are unavailable are an error that says why.
std::vector<std::unique_ptr<Sensor>> make_sensors(const std::vector<std::string>& names,
                                                  const SensorOptions& options);

}  // namespace powertrain
