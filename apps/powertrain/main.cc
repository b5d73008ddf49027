// powertrain: measure, compare and reduce the energy of training neural networks.
#include <cstdio>
#include <exception>
#include <stdexcept>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"powertrain: measures, compares and reduces the energy that training costs"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "powertrain 0.1.0");
  powertrain::cli::add_devices_command(app);
  powertrain::cli::add_track_command(app);
  powertrain::cli::add_export_command(app);
  powertrain::cli::add_report_command(app);
  powertrain::cli::add_synth_command(app);
  powertrain::cli::add_data_command(app);
  powertrain::cli::add_sweep_command(app);
  powertrain::cli::add_status_command(app);
  powertrain::cli::add_merge_command(app);
#ifdef POWERTRAIN_WITH_TORCH
  powertrain::cli::add_train_command(app);
#endif
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
