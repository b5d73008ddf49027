// A model for machines with no readable sensor: CPU power = TDP x utilisation
// (from /proc/stat), RAM power from its size. Every figure is `modelled`.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "powertrain/energy/sensor.h"

namespace powertrain {

// Watts per GB of RAM (CodeCarbon's figure: 3 W per 8 GB).
inline constexpr double kRamWattsPerGb = 3.0 / 8.0;
// TDP assumed when the CPU is not in the table and no --cpu-tdp is given.
inline constexpr double kDefaultCpuTdpW = 85.0;

// TDP in watts of a CPU model name from /proc/cpuinfo, if the table knows it.
std::optional<double> lookup_cpu_tdp_w(const std::string& model_name);

std::unique_ptr<Sensor> make_model_sensor(const SensorOptions& options);

}  // namespace powertrain
