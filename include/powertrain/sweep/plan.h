// Expanding an experiment into the runs it needs, and splitting them into
// shards.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "powertrain/store/setups.h"
#include "powertrain/store/store.h"
#include "powertrain/sweep/experiment.h"

namespace powertrain {

// One training the sweep must do.
struct PlannedRun {
  int index = 0;  // position in the plan, 0-based
  int group = 0;  // runs of one setup and repeat share a group (0-based)
  int setup = 0;  // Table 1's number (1..16) of (batch_size, learning_rate); 0 = not in Table 1
  std::string setup_name;  // "7", or "bs128-lr0.05" for a setup outside Table 1
  int batch_size = 0;
  double learning_rate = 0;
  int repeat = 0;               // 1..repeats
  std::string role;             // roles::kClassifier, kAutoencoder, ...
  std::string task;             // trainer task: "pamap2", "pamap2-autoencoder", ...
  std::optional<double> alpha;  // multitask role only
  bool freeze_encoder = false;
  // Pretraining: the autoencoder saves its encoder; frozen and unfrozen read
  // the one saved by the autoencoder of the same group.
  bool saves_encoder = false;
  bool needs_encoder = false;
  int64_t seed = 0;

  // "setup 3 repeat 1 frozen": stable identity of a run within an experiment.
  std::string key() const;
};

// A stored run's key as PlannedRun::key() makes it, from its batch size and
// learning rate (the stored setup number only when they are missing).
std::string run_key(const RunRecord& run);
// Roles of a paradigm, in the order they run within a group.
std::vector<std::string> paradigm_roles(const std::string& paradigm);

// Every run of the experiment: repeats outer (so that a stopped sweep has
// covered whole grids first), setups in the grid's order (batch sizes outer),
// roles in order. The sweep shuffles the groups unless asked for this order.
std::vector<PlannedRun> expand_plan(const ExperimentConfig& config);

// Shard I of N (1-based I), for --shard I/N.
struct Shard {
  int index = 1;
  int count = 1;
  bool active() const { return count > 1; }
  // Whether a group belongs to this shard: every N-th group, so that a
  // pretraining group (autoencoder and the classifiers on its encoder) stays
  // in one shard.
  bool owns_group(int group) const { return group % count == index - 1; }
  std::string to_string() const;
};

// Parses "I/N" (1 <= I <= N). Throws std::invalid_argument.
Shard parse_shard(const std::string& text);
// From SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT and SLURM_ARRAY_TASK_MIN
// when set (the task id minus the minimum gives the 0-based shard); nullopt
// when not in a job array. Throws std::invalid_argument for inconsistent values.
std::optional<Shard> shard_from_environment();

}  // namespace powertrain
