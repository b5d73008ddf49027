// A runner that trains nothing: it writes made-up epochs at a fixed pace.
// It exercises the sweep machinery (resume, shards, merge, progress) in
// tests and with `powertrain sweep --simulate-ms`; its epochs carry no
// energy (0 mWh, source `modelled`) and its metric is named "simulated", so
// they can never pass for measurements. A learning rate above 1 multiplies
// the loss by itself each epoch, so the run diverges (divergence.h) in
// epoch 2: a stand-in for a setup that blows up.
#pragma once

#include <string>

#include "powertrain/sweep/sweep.h"

namespace powertrain {

struct SimulatedRunnerOptions {
  int epoch_ms = 0;      // sleep per epoch
  int epochs = 0;        // 0 = the experiment's max_epochs
  std::string log_path;  // if set, appends "start|end <pid> <run key> <run id>" lines
  double epoch_mwh = 0;  // energy of each epoch (source modelled)
};

SweepRunner make_simulated_runner(const SimulatedRunnerOptions& options);

}  // namespace powertrain
