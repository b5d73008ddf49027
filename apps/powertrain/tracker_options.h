// Command-line options shared by every subcommand that measures energy.
#pragma once

#include <CLI/CLI.hpp>

#include "powertrain/energy/tracker.h"

namespace powertrain::cli {

// Adds --interval, --sensors, --pue, --cpu-tdp, --rapl-root, --proc-root, --nvml-library.
void add_tracker_options(CLI::App* command, TrackerOptions& options);

// "model (modelled)" / "rapl (counter)" for each sensor in use.
std::string describe_sensors(const Tracker& tracker);

}  // namespace powertrain::cli
