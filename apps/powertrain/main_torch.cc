// powertrain-torch: the powertrain program with LibTorch, for `train` and
// sweeps that train. `powertrain` runs it (exec) for those commands; it also
// has every other command, so that it can be used on its own.
#include "commands.h"
#include "sweep_runner.h"

int main(int argc, char** argv) {
  powertrain::cli::set_training_runner_factory(&powertrain::cli::make_training_runner);
  return powertrain::cli::run_cli(argc, argv, &powertrain::cli::add_train_command);
}
