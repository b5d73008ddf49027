// NVIDIA GPUs through NVML, loaded at run time (no CUDA toolkit at build time).
#pragma once

#include <memory>

#include "powertrain/energy/sensor.h"

namespace powertrain {

// Opens options.nvml_library with dlopen; the sensor is unavailable (with the
// reason) when the library or a GPU is missing. Honours CUDA_VISIBLE_DEVICES.
std::unique_ptr<Sensor> make_nvml_sensor(const SensorOptions& options);

}  // namespace powertrain
