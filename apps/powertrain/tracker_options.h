// Command-line options shared by every subcommand that measures energy.
#pragma once

#include <CLI/CLI.hpp>

#include "powertrain/energy/tracker.h"

namespace powertrain::cli {

// Adds --interval, --sensors, --pue, --cpu-tdp, --rapl-root, --hwmon-root,
// --proc-root, --nvml-library, and checks them (check_tracker_options) as
// soon as the command line is parsed, before the subcommand runs anything.
void add_tracker_options(CLI::App* command, TrackerOptions& options);

// Throws std::invalid_argument naming the option and its value: --interval
// outside 0.01..60 s, --pue outside 1..5, --cpu-tdp not above 0 (or absurd),
// an empty --rapl-root, --proc-root or --nvml-library.
void check_tracker_options(const TrackerOptions& options);

// Adds --gpus (which GPUs NVML measures) and --cuda-library to a command
// that measures a workload: track, devices.
void add_gpu_options(CLI::App* command, SensorOptions& options);

// Each line of a sensor's provenance() in words (NVML: driver, boards, power
// field, power limit, MIG); empty when there is none.
std::vector<std::string> describe_provenance(const std::string& provenance);

// "model (modelled)" / "rapl (counter)" for each sensor in use.
std::string describe_sensors(const Tracker& tracker);

}  // namespace powertrain::cli
