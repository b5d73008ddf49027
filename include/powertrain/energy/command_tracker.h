// Tracks any command: runs it without a shell, passes its output through,
// and splits the energy per epoch where its output (or a marker file) says
// an epoch begins.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "powertrain/energy/tracker.h"

namespace powertrain {

// The environment variable that names the marker file given to the command.
// Lines it may append: "epoch N" (epoch N begins; the previous one ends),
// "phase train|validate|other", "end" (the current epoch ends).
inline constexpr const char* kMarkerFileEnv = "POWERTRAIN_MARKER_FILE";

// Matches "Epoch 3", "epoch 3/100", "Epoch: 3", "[epoch=3]" (case-insensitive).
inline constexpr const char* kDefaultEpochRegex = R"(\bepoch\s*[:=#]?\s*(\d+))";

struct CommandTrackOptions {
  std::vector<std::string> command;   // argv; argv[0] is looked up on PATH
  std::string epoch_regex = kDefaultEpochRegex;  // group 1, if any, is the epoch number
  TrackerOptions tracker;
  std::string db_path = "powertrain.db";
  int stdout_fd = 1;                  // where the child's output goes
  int stderr_fd = 2;
};

struct CommandTrackResult {
  int exit_code = 0;                  // the child's, or 128 + signal
  int64_t run_id = 0;
  std::vector<EpochEnergy> epochs;
  EpochEnergy outside;                // time outside every epoch
  EpochEnergy whole;                  // the whole run
  std::string sensors;                // "model (modelled)" ...
  bool used_markers = false;          // epochs came from the marker file
};

// Throws std::invalid_argument for bad options (empty command or regex, a
// regex that does not compile, interval out of range, unknown sensor) and
// std::runtime_error when the database cannot be written or the command cannot
// be started (the run is then recorded as failed). Forwards SIGINT/SIGTERM.
CommandTrackResult track_command(const CommandTrackOptions& options);

}  // namespace powertrain
