#include "util/slurm_env.h"

#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

namespace powertrain {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::optional<int> env_int(const char* name) {
  std::string text = env(name);
  if (text.empty()) return std::nullopt;
  try {
    std::size_t used = 0;
    int value = std::stoi(text, &used);
    if (used != text.size() || value < 0) return std::nullopt;
    return value;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::string SlurmEnv::node_energy_scope() const {
  if (shares_node()) {
    return fmt::format(
        "node-wide: the job holds {} of node {}'s {} CPUs; RAPL and modelled CPU figures count "
        "the whole node, other jobs on it included",
        *cpus_on_node, node, node_cpus);
  }
  return fmt::format("node-wide: the job holds all {} CPUs of node {}", node_cpus, node);
}

nlohmann::json SlurmEnv::to_json() const {
  nlohmann::json j;
  j["job_id"] = job_id;
  if (!array_job_id.empty()) j["array_job_id"] = array_job_id;
  if (!array_task_id.empty()) j["array_task_id"] = array_task_id;
  j["restart_count"] = restart_count;
  j["node"] = node;
  j["gpus"] = gpus;
  j["cuda_visible_devices"] = cuda_visible_devices;
  if (cpus_on_node) j["cpus_on_node"] = *cpus_on_node;
  j["node_cpus"] = node_cpus;
  j["node_energy"] = node_energy_scope();
  return j;
}

std::optional<SlurmEnv> slurm_env_from_environment() {
  SlurmEnv s;
  s.job_id = env("SLURM_JOB_ID");
  if (s.job_id.empty()) return std::nullopt;
  s.array_job_id = env("SLURM_ARRAY_JOB_ID");
  s.array_task_id = env("SLURM_ARRAY_TASK_ID");
  s.restart_count = env_int("SLURM_RESTART_COUNT").value_or(0);
  s.node = env("SLURMD_NODENAME");
  s.gpus = env("SLURM_JOB_GPUS");
  if (s.gpus.empty()) s.gpus = env("SLURM_STEP_GPUS");
  s.cuda_visible_devices = env("CUDA_VISIBLE_DEVICES");
  s.cpus_on_node = env_int("SLURM_CPUS_ON_NODE");
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  s.node_cpus = online > 0 ? static_cast<int>(online) : 0;
  return s;
}

bool claimed_by_earlier_incarnation(const std::string& run_config_json,
                                    const std::optional<SlurmEnv>& now) {
  if (!now || run_config_json.empty()) return false;
  nlohmann::json cfg = nlohmann::json::parse(run_config_json, nullptr, false);
  if (!cfg.is_object() || !cfg.contains("slurm") || !cfg["slurm"].is_object()) return false;
  const auto& s = cfg["slurm"];
  if (!s.contains("job_id") || !s["job_id"].is_string()) return false;
  if (!s.contains("restart_count") || !s["restart_count"].is_number_integer()) return false;
  return s["job_id"].get<std::string>() == now->job_id &&
         s["restart_count"].get<int>() < now->restart_count;
}

}  // namespace powertrain
