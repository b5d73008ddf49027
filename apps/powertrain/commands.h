// Subcommands of the powertrain programs. Each lives in its own cmd_<name>.cc
// and registers itself on the top-level CLI::App.
//
// Two programs share them: `powertrain` (no LibTorch: devices, track, export,
// report, synth, data, sweep --dry-run/--simulate-ms, status, merge), and
// `powertrain-torch` beside it, which adds `train` and the real sweep runner.
// `powertrain train ...` and a real `powertrain sweep ...` re-run the same
// command line in powertrain-torch (exec, git-style), so that commands that
// never train never load LibTorch.
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
void add_search_command(CLI::App& app);
void add_train_command(CLI::App& app);  // powertrain-torch only (cmd_train.cc)

// The program's main: registers every LibTorch-free command, then calls
// `extra` (train, in powertrain-torch), parses and runs. Returns the exit code.
int run_cli(int argc, char** argv, void (*extra)(CLI::App&));

// The program that has LibTorch: powertrain-torch in this program's folder.
// Empty when it is not there (a build without LibTorch).
std::string torch_program_path();

// Replaces this process with powertrain-torch running this process's command
// line. Throws std::invalid_argument when there is no powertrain-torch (built
// without LibTorch), std::runtime_error when exec fails.
[[noreturn]] void exec_torch_program(const std::string& why);

}  // namespace powertrain::cli
