// CPU package and DRAM energy through Linux RAPL powercap sysfs.
#pragma once

#include <memory>

#include "powertrain/energy/sensor.h"

namespace powertrain {

// Reads every package and dram zone under options.rapl_root
// (/sys/class/powercap by default), counter wraparound included.
std::unique_ptr<Sensor> make_rapl_sensor(const SensorOptions& options);

}  // namespace powertrain
