// What a Slurm job tells its processes through the environment: the job,
// the array task, the node and the GPUs allotted. Stored with every run
// (config_json "slurm") by `sweep` and `track`, so that a figure can be
// traced to the allocation it was measured in.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace powertrain {

struct SlurmEnv {
  std::string job_id;                // SLURM_JOB_ID (an array task has its own)
  std::string array_job_id;          // SLURM_ARRAY_JOB_ID, "" outside an array
  std::string array_task_id;         // SLURM_ARRAY_TASK_ID
  int restart_count = 0;             // SLURM_RESTART_COUNT: times the job was requeued
  std::string node;                  // SLURMD_NODENAME
  std::string gpus;                  // SLURM_JOB_GPUS, else SLURM_STEP_GPUS
  std::string cuda_visible_devices;  // CUDA_VISIBLE_DEVICES as the job sees it
  std::optional<int> cpus_on_node;   // SLURM_CPUS_ON_NODE: the job's CPUs there
  int node_cpus = 0;                 // the node's online CPUs (sysconf)

  // True when the job holds fewer CPUs than the node has: other jobs may
  // run beside it, so node-level sensors (RAPL, the CPU model) measure them
  // too.
  bool shares_node() const { return cpus_on_node && *cpus_on_node < node_cpus; }
  // How node-level figures (RAPL, model) relate to this job, in words.
  std::string node_energy_scope() const;
  nlohmann::json to_json() const;
};

// The job this process runs in; nullopt outside Slurm (no SLURM_JOB_ID).
// A malformed SLURM_RESTART_COUNT or SLURM_CPUS_ON_NODE is ignored (kept as
// its default) rather than stopping a measurement.
std::optional<SlurmEnv> slurm_env_from_environment();

// Whether run_config_json (a run's config_json) was claimed by an earlier
// incarnation of this very Slurm job: same SLURM_JOB_ID and a lower
// SLURM_RESTART_COUNT. Slurm runs one incarnation of a job at a time, so
// that process is gone, on whichever node it ran.
bool claimed_by_earlier_incarnation(const std::string& run_config_json,
                                    const std::optional<SlurmEnv>& now);

}  // namespace powertrain
