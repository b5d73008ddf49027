// CPU package and DRAM energy through Linux RAPL powercap sysfs, or the
// amd_energy hwmon driver where powercap is absent.
#pragma once

#include <functional>
#include <memory>

#include "powertrain/energy/sensor.h"

namespace powertrain {

// Seconds on a monotonic clock. Tests pass a fake one to set the interval
// between two reads exactly.
using MonotonicClock = std::function<double()>;

// One reading per socket and kind (package-N, dram-N), N taken from the zone's
// name (package-N, package-N-die-M), never from the directory index.
//
// powercap (options.rapl_root, /sys/class/powercap by default): control types
// intel-rapl (MSR), intel-rapl-tpmi and intel-rapl-mmio, one per socket in that
// order of preference, so that the mmio twin of an MSR package is never added
// to it. Dies of one package that mirror the same socket-wide counter (AMD
// package-N-die-M) are read once; dies with counters of their own are summed.
// psys (platform, overlaps the package), core and uncore (inside it) are
// skipped. Counter wraparound goes through max_energy_range_uj.
//
// hwmon (options.hwmon_root, /sys/class/hwmon), only when powercap gives no
// readable zone: the amd_energy driver's EsocketN counters (energyN_input, uJ);
// its per-core Ecore counters are inside the socket and skipped.
//
// reason() says which source was read and why the others were skipped.
std::unique_ptr<Sensor> make_rapl_sensor(const SensorOptions& options);
std::unique_ptr<Sensor> make_rapl_sensor(const SensorOptions& options, MonotonicClock clock);

}  // namespace powertrain
