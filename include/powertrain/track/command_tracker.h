// Tracks any command: runs it without a shell in a process group of its own,
// passes its output through, and splits the energy per epoch where its output
// (or a marker file) says an epoch begins or ends.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/energy/tracker.h"

namespace powertrain {

// The environment variable that names the marker file given to the command.
// Lines it may append: "epoch N" (epoch N begins; the previous one ends),
// "phase train|validate|other", "end" (the current epoch ends).
inline constexpr const char* kMarkerFileEnv = "POWERTRAIN_MARKER_FILE";

// Matches "Epoch 3", "epoch 3/100", "Epoch: 3", "[epoch=3]" (case-insensitive).
// RE2 syntax: linear time, no backtracking, so no line can blow the stack.
inline constexpr const char* kDefaultEpochRegex = R"(\bepoch\s*[:=#]?\s*(\d+))";

// Exit status of `track` when the command ran but its measurements could not
// all be written to the database (sysexits' EX_IOERR).
inline constexpr int kStoreFailedExitCode = 74;

// Whether a line matching the epoch regex starts an epoch (progress lines,
// "Epoch 3/10" printed first) or ends one ("Epoch 3/10 loss 0.2" printed when
// the epoch is over).
enum class EpochAt { kStart, kEnd };
EpochAt parse_epoch_at(const std::string& text);  // "start" / "end"; throws invalid_argument

struct CommandTrackOptions {
  std::vector<std::string> command;              // argv; argv[0] is looked up on PATH
  std::string epoch_regex = kDefaultEpochRegex;  // group 1, if any, is the epoch number
  EpochAt epoch_at = EpochAt::kStart;
  // Sets PYTHONUNBUFFERED=1 for the command unless the caller's environment
  // has it: Python block-buffers stdout to a pipe, and epoch lines that
  // arrive all at the end would make every epoch 0 s long.
  bool unbuffer = true;
  double kill_after_s = 10;  // after a forwarded SIGINT/SIGTERM: then SIGKILL
  double db_timeout_s = 10;  // how long one write waits for a locked database
  TrackerOptions tracker;
  std::string db_path = "powertrain.db";
  int stdout_fd = 1;  // where the child's output goes
  int stderr_fd = 2;  // ... and powertrain's own messages
};

// Energy of one marker-file phase within an epoch.
struct PhaseEnergy {
  double duration_s = 0;
  std::optional<double> energy_mwh;  // none when no sample fell in the phase
};

struct CommandTrackResult {
  int exit_code = 0;   // the child's, or 128 + signal
  std::string status;  // "exited with status 0", "killed by SIGKILL"
  int64_t run_id = 0;
  std::vector<EpochEnergy> epochs;
  EpochEnergy outside;        // time outside every epoch
  EpochEnergy whole;          // the whole run
  std::string sensors;        // "model" ...
  bool used_markers = false;  // epochs came from the marker file
  // Per epoch, with markers: the train and validate phases (sampled power of
  // the phase's samples times the phase's duration, per stream).
  std::map<int, PhaseEnergy> train, validate;
  std::vector<std::string> warnings;     // shown under the table
  std::vector<std::string> left_behind;  // "1234 (sleep)": still running in its group
  std::string store_error;               // non-empty: samples or the run record not written
};

// Throws std::invalid_argument for bad options (empty command or regex, a
// regex that does not compile, interval out of range, unknown sensor),
// SpawnError (util/subprocess.h) when the command cannot be started (the run
// is then recorded as failed) and std::runtime_error when the database cannot
// be opened. Once the command runs, a database that fails is reported in
// store_error and never stops the command or its output. Forwards the first
// SIGINT/SIGTERM to the command's process group; a second one, or the command
// still running kill_after_s later, SIGKILLs the group.
CommandTrackResult track_command(const CommandTrackOptions& options);

}  // namespace powertrain
