// The sweep's real runner: one training through run_training (LibTorch),
// with its own energy Tracker. Only built with LibTorch.
#pragma once

#include "powertrain/sweep/sweep.h"

namespace powertrain::cli {

#ifdef POWERTRAIN_WITH_TORCH
SweepRunner make_training_runner();
#endif

}  // namespace powertrain::cli
