// Subcommands of the powertrain program. Each lives in its own cmd_<name>.cc
// and registers itself on the top-level CLI::App; main.cc calls them in order.
#pragma once

#include <CLI/CLI.hpp>

namespace powertrain::cli {

void add_devices_command(CLI::App& app);
void add_track_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_report_command(CLI::App& app);
void add_synth_command(CLI::App& app);
void add_data_command(CLI::App& app);
void add_sweep_command(CLI::App& app);
void add_status_command(CLI::App& app);
void add_merge_command(CLI::App& app);
void add_train_command(CLI::App& app);

}  // namespace powertrain::cli
