#include <stdexcept>

#include "powertrain/energy/sensor.h"
#include "powertrain/energy/sensors/model.h"
#include "powertrain/energy/sensors/nvml.h"
#include "powertrain/energy/sensors/powermetrics.h"
#include "powertrain/energy/sensors/rapl.h"
#include "util/strings.h"

namespace powertrain {

namespace {

struct Entry {
  const char* name;
  std::unique_ptr<Sensor> (*make)(const SensorOptions&);
};

// The order `auto` tries them in; the model comes last and only as a fallback.
constexpr Entry kSensors[] = {
    {"nvml", make_nvml_sensor},
    {"rapl", make_rapl_sensor},
    {"powermetrics", make_powermetrics_sensor},
    {"model", make_model_sensor},
};

}  // namespace

std::vector<std::string> sensor_names() {
  std::vector<std::string> names;
  for (const Entry& e : kSensors) names.emplace_back(e.name);
  return names;
}

std::unique_ptr<Sensor> make_sensor(const std::string& name, const SensorOptions& options) {
  for (const Entry& e : kSensors) {
    if (name == e.name) return e.make(options);
  }
  throw std::invalid_argument("unknown sensor '" + name +
                              "' (known: " + join(sensor_names(), ", ") + ", auto)");
}

std::vector<std::unique_ptr<Sensor>> make_sensors(const std::vector<std::string>& names,
                                                  const SensorOptions& options) {
  std::vector<std::unique_ptr<Sensor>> out;
  bool automatic = names.empty() || (names.size() == 1 && names[0] == "auto");
  if (!automatic) {
    // Check every name before opening anything (powermetrics spawns a process).
    for (const std::string& n : names) {
      if (n == "auto") throw std::invalid_argument("'auto' cannot be combined with other sensors");
      bool known = false;
      for (const Entry& e : kSensors) known = known || n == e.name;
      if (!known) make_sensor(n, options);  // throws the listing error
    }
    for (const std::string& n : names) {
      auto s = make_sensor(n, options);
      if (!s->available()) {
        throw std::runtime_error("sensor '" + n + "' is not available: " + s->reason());
      }
      out.push_back(std::move(s));
    }
    return out;
  }
  for (const Entry& e : kSensors) {
    if (std::string(e.name) == "model") continue;
#ifndef __APPLE__
    // powermetrics exists only on macOS; trying it elsewhere costs a spawn.
    if (std::string(e.name) == "powermetrics") continue;
#endif
    auto s = e.make(options);
    if (s->available()) {
      out.push_back(std::move(s));
    } else if (s->required()) {
      // A CUDA run whose GPU cannot be measured: not a silent CPU-only figure.
      throw std::runtime_error("sensor '" + std::string(e.name) +
                               "' is needed here but not available: " + s->reason());
    }
  }
  if (out.empty()) {
    auto model = make_model_sensor(options);
    if (!model->available()) {
      throw std::runtime_error("no sensor is available, not even the model: " + model->reason());
    }
    out.push_back(std::move(model));
  }
  return out;
}

}  // namespace powertrain
