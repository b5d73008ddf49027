// The sweep's real runner: one training through run_training (LibTorch),
// with its own energy Tracker. Only powertrain-torch has it.
#pragma once

#include "powertrain/sweep/sweep.h"

namespace powertrain::cli {

// Defined in sweep_torch_runner.cc (powertrain-torch only).
SweepRunner make_training_runner();

// powertrain-torch registers make_training_runner here at start.
using TrainingRunnerFactory = SweepRunner (*)();
void set_training_runner_factory(TrainingRunnerFactory factory);

// The real runner: the registered one, else (in powertrain) this command line
// is handed to powertrain-torch (exec: does not return). Throws
// std::invalid_argument when there is no powertrain-torch.
SweepRunner training_runner();

}  // namespace powertrain::cli
