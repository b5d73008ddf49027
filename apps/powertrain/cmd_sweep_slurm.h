// `powertrain sweep FILE --slurm`: the sweep as a Slurm job array (see
// include/powertrain/sweep/slurm.h); `status` over shard databases.
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "powertrain/sweep/experiment.h"

namespace powertrain::cli {

struct SlurmCliArgs {
  bool submit = false;
  bool wait = false;
  int tasks = 0;
  double poll_s = 2;
  std::string partition, time, gpus_per_task, account;
  std::vector<std::string> extra;
  bool requested() const { return submit || wait; }
};

// Adds --slurm, --slurm-wait, --slurm-tasks, --slurm-partition, ... to `sweep`.
std::shared_ptr<SlurmCliArgs> add_slurm_options(CLI::App* sweep);

// Submits the sweep (every other option of `sweep` given on the command line
// is passed on to the tasks), prints the job id, and with --slurm-wait waits
// and merges the shard databases into db (default <name>.db).
void run_slurm_sweep(const SlurmCliArgs& slurm, const CLI::App& sweep, const std::string& file,
                     const std::string& db, const std::string& data);

// The shard databases beside db, as `status` prints them; "" when none.
std::string shards_status_text(const ExperimentConfig& config, const std::string& db);

}  // namespace powertrain::cli
