// powertrain: measure, compare and reduce the energy of training neural
// networks. This program never loads LibTorch; `train` (and a sweep that
// trains) run in powertrain-torch, next to it.
#include "commands.h"

namespace {

// Takes any arguments (its own --help too) and hands the whole command line
// to powertrain-torch.
void add_train_handover(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "train",
      "Train one of the study's models and record its energy per epoch (runs powertrain-torch)");
  cmd->set_help_flag();
  cmd->prefix_command();
  cmd->allow_extras();
  cmd->callback([] { powertrain::cli::exec_torch_program("`powertrain train`"); });
}

}  // namespace

int main(int argc, char** argv) { return powertrain::cli::run_cli(argc, argv, add_train_handover); }
