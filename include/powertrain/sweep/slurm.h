// A sweep as a Slurm job array: one array task per shard, each writing its
// own shard database beside the experiment's database; waited for by
// polling squeue and merged into the experiment's database at the end.
//
//   SlurmSubmitOptions o;  o.tasks = 4;  o.partition = "gpu";
//   SlurmSubmission s = submit_slurm_sweep(config, "quick.db", o, std::cout);
//   wait_for_slurm_job(s.job_id, {}, &std::cout);
//   merge_databases("quick.db", s.shard_databases, &std::cout);
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "powertrain/sweep/experiment.h"
#include "powertrain/sweep/plan.h"

namespace powertrain {

struct SlurmSubmitOptions {
  int tasks = 0;                   // array size = shards; 0 = one per setup and repeat
  std::string partition;           // #SBATCH --partition
  std::string time;                // #SBATCH --time (e.g. 02:00:00)
  std::string gpus_per_task;       // #SBATCH --gpus-per-task
  std::string account;             // #SBATCH --account
  std::vector<std::string> extra;  // further sbatch options, one #SBATCH line each
  std::string powertrain;          // the program the tasks run (absolute path)
  // Arguments passed on to each task's `powertrain sweep` (--data, ...).
  std::vector<std::string> sweep_args;
  std::string sbatch = "sbatch";
};

struct SlurmSubmission {
  std::string job_id;
  std::string script_path;
  std::vector<std::string> shard_databases;  // in shard order
};

// The shard databases of an experiment whose database is db_path:
// "<dir of db_path>/<name>.shard-I-of-N.db", I = 1..N.
std::vector<std::string> slurm_shard_databases(const ExperimentConfig& config,
                                               const std::string& db_path, int tasks);

// The job script's text. Throws std::invalid_argument for an option with a
// newline or an empty value, or tasks < 1.
std::string slurm_job_script(const ExperimentConfig& config, const std::string& db_path,
                             const SlurmSubmitOptions& options);

// Writes the script beside the database ("<db stem>.slurm.sh") and submits
// it with sbatch --parsable. Checks the experiment's data folder and every
// shard database's identity first. Throws std::runtime_error with sbatch's
// own message when it refuses.
SlurmSubmission submit_slurm_sweep(const ExperimentConfig& config, const std::string& db_path,
                                   const SlurmSubmitOptions& options);

// Waits until squeue lists none of the job's tasks (a requeued task is
// listed as pending, so it is waited for). Polls every poll_s seconds and
// prints a line when the tasks' states change.
void wait_for_slurm_job(const std::string& job_id, double poll_s, std::ostream* out,
                        const std::string& squeue = "squeue");

// The shard databases found beside db_path ("<name>.shard-I-of-N.db" in its
// folder), with their shard, sorted by N then I.
std::vector<std::pair<std::string, Shard>> find_shard_databases(const ExperimentConfig& config,
                                                                const std::string& db_path);

// Text for `powertrain status` over the shard databases: one line a shard
// and one for the whole experiment.
std::string format_shards_status(const ExperimentConfig& config,
                                 const std::vector<std::pair<std::string, Shard>>& shards);

}  // namespace powertrain
