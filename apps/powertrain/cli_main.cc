// The main shared by powertrain and powertrain-torch, and the hand-over from
// the first to the second.
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <vector>

#include "commands.h"

namespace powertrain::cli {

namespace {

std::vector<char*> g_argv;  // this process's command line, for exec_torch_program

}  // namespace

std::string torch_program_path() {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return "";
  std::string path(self, static_cast<size_t>(n));
  std::string dir = path.substr(0, path.rfind('/'));
  std::string torch = dir + "/powertrain-torch";
  if (torch == path || access(torch.c_str(), X_OK) != 0) return "";
  return torch;
}

void exec_torch_program(const std::string& why) {
  std::string torch = torch_program_path();
  if (torch.empty()) {
    throw std::invalid_argument(
        why + " needs LibTorch, and this powertrain has no powertrain-torch beside it (built "
              "with -DPOWERTRAIN_WITH_TORCH=OFF)");
  }
  std::fflush(nullptr);
  std::cout.flush();
  std::vector<char*> argv = g_argv;
  if (argv.empty() || argv.back() != nullptr) argv.push_back(nullptr);
  // argv[0] stays: help and errors name the program the user ran.
  execv(torch.c_str(), argv.data());
  throw std::runtime_error("cannot run " + torch + ": " + std::strerror(errno));
}

int run_cli(int argc, char** argv, void (*extra)(CLI::App&)) {
  g_argv.assign(argv, argv + argc);
  g_argv.push_back(nullptr);
  CLI::App app{"powertrain: measures, compares and reduces the energy that training costs"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "powertrain 0.1.0");
  add_devices_command(app);
  add_track_command(app);
  add_export_command(app);
  add_report_command(app);
  add_synth_command(app);
  add_data_command(app);
  add_sweep_command(app);
  add_status_command(app);
  add_merge_command(app);
  if (extra) extra(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    // A subcommand that finished with a non-zero status (e.g. track passing on
    // its child's exit code); it has already said what happened.
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "powertrain: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "powertrain: error: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace powertrain::cli

#include "sweep_runner.h"

namespace powertrain::cli {

namespace {
TrainingRunnerFactory g_training_runner_factory = nullptr;
}  // namespace

void set_training_runner_factory(TrainingRunnerFactory factory) {
  g_training_runner_factory = factory;
}

SweepRunner training_runner() {
  if (g_training_runner_factory) return g_training_runner_factory();
  exec_torch_program("a `sweep` that trains (not --dry-run or --simulate-ms)");
}

}  // namespace powertrain::cli
