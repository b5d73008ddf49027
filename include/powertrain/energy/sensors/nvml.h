// NVIDIA GPUs through NVML, loaded at run time (no CUDA toolkit at build time).
#pragma once

#include <memory>
#include <string>

#include "powertrain/energy/sensor.h"

namespace powertrain {

// Opens options.nvml_library with dlopen; the sensor is unavailable (with the
// reason) when the library or a GPU is missing. Measures options.gpus, by
// default the GPUs CUDA_VISIBLE_DEVICES shows, as the CUDA driver numbers them.
std::unique_ptr<Sensor> make_nvml_sensor(const SensorOptions& options);

// Whether `selector` has the form of a SensorOptions::gpus entry (cuda:N, N,
// a PCI bus id, GPU-..., MIG-...); whether it names a GPU is for the sensor.
bool is_gpu_selector(const std::string& selector);

}  // namespace powertrain
