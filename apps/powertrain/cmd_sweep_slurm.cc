#include "cmd_sweep_slurm.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <set>

#include <fmt/format.h>

#include "powertrain/sweep/slurm.h"
#include "powertrain/sweep/sweep.h"

namespace powertrain::cli {
namespace {

// This program's own path, for the tasks to run the same build.
std::string self_path() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("powertrain") : p.string();
}

// The options of `sweep` given on the command line that the tasks need too.
std::vector<std::string> passed_on(const CLI::App& sweep) {
  static const std::set<std::string> kept_here = {"--db", "--shard", "--help", "--dry-run"};
  std::vector<std::string> args;
  for (const CLI::Option* opt : sweep.get_options()) {
    // Hidden options have no get_name(); their long name is the first lname.
    if (opt->count() == 0 || !opt->nonpositional() || opt->get_lnames().empty()) continue;
    const std::string name = "--" + opt->get_lnames().front();
    if (name.rfind("--slurm", 0) == 0 || kept_here.count(name)) continue;
    if (opt->get_expected_max() == 0) {  // a flag
      args.push_back(name);
      continue;
    }
    for (const auto& value : opt->results()) {
      args.push_back(name);
      args.push_back(value);
    }
  }
  return args;
}

// A database left by an earlier --slurm-wait of these shards (every run of
// it is in a shard, which holds it as well or further along) is rebuilt from
// the shards rather than merged into twice. One with runs of its own is
// kept, and merge refuses what it holds twice.
void drop_earlier_merge(const std::string& db_path, const std::vector<std::string>& shards) {
  std::error_code ec;
  if (!std::filesystem::exists(db_path, ec)) return;
  auto key = [](const RunRecord& r) {
    return fmt::format("{}/{}/{}/{}/{}", r.setup.value_or(0), r.batch_size.value_or(0),
                       r.learning_rate.value_or(0), r.repeat.value_or(0), r.role);
  };
  std::set<std::string> in_shards;
  for (const auto& path : shards) {
    for (const auto& r : Store(path).runs()) in_shards.insert(key(r));
  }
  for (const auto& r : Store(db_path).runs()) {
    if (!in_shards.count(key(r))) return;
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_path + suffix, ec);
  std::cout << fmt::format("merge: {} was an earlier merge of these shards; merged anew\n",
                           db_path);
}

}  // namespace

std::shared_ptr<SlurmCliArgs> add_slurm_options(CLI::App* cmd) {
  auto a = std::make_shared<SlurmCliArgs>();
  const char* group = "Slurm";
  cmd->add_flag("--slurm", a->submit,
                "submit the sweep as a Slurm job array (one shard a task) and print the job id")
      ->group(group);
  cmd->add_flag("--slurm-wait", a->wait,
                "with --slurm: wait for the array, then merge the shard databases into --db")
      ->group(group);
  cmd->add_option("--slurm-tasks", a->tasks,
                  "array size = shards (default one per setup and repeat)")
      ->check(CLI::Range(1, 100000))
      ->group(group);
  cmd->add_option("--slurm-partition", a->partition, "sbatch --partition")->group(group);
  cmd->add_option("--slurm-time", a->time, "sbatch --time, a task's limit (e.g. 04:00:00)")
      ->group(group);
  cmd->add_option("--slurm-gpus-per-task", a->gpus_per_task, "sbatch --gpus-per-task")
      ->group(group);
  cmd->add_option("--slurm-account", a->account, "sbatch --account")->group(group);
  cmd->add_option("--slurm-option", a->extra,
                  "any other sbatch option, one #SBATCH line each (e.g. --slurm-option=--mem=8G)")
      ->allow_extra_args(false)
      ->group(group);
  cmd->add_option("--slurm-poll-s", a->poll_s, "--slurm-wait: seconds between squeue calls")
      ->check(CLI::Range(0.1, 3600.0))
      ->group("");
  return a;
}

void run_slurm_sweep(const SlurmCliArgs& slurm, const CLI::App& sweep, const std::string& file,
                     const std::string& db, const std::string& data) {
  ExperimentConfig config = load_experiment(file);
  if (!data.empty()) config.data_dir = data;
  const std::string db_path = db.empty() ? default_db_path(config, Shard{}) : db;
  SlurmSubmitOptions o;
  o.tasks = slurm.tasks;
  o.partition = slurm.partition;
  o.time = slurm.time;
  o.gpus_per_task = slurm.gpus_per_task;
  o.account = slurm.account;
  o.extra = slurm.extra;
  o.powertrain = self_path();
  o.sweep_args = passed_on(sweep);
  SlurmSubmission s = submit_slurm_sweep(config, db_path, o);
  std::cout << fmt::format("submitted {} as Slurm job {}: {} tasks, shard databases {} ... {}\n",
                           s.script_path, s.job_id, s.shard_databases.size(),
                           s.shard_databases.front(), s.shard_databases.back())
            << std::flush;
  if (!slurm.wait) {
    std::cout << fmt::format(
        "progress: powertrain status {}{}; then powertrain merge {} <shards>\n", file,
        db.empty() ? "" : " --db " + db, db_path);
    return;
  }
  wait_for_slurm_job(s.job_id, slurm.poll_s, &std::cout);
  std::vector<std::string> present;
  for (const auto& path : s.shard_databases) {
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) present.push_back(path);
  }
  if (present.empty()) {
    throw std::runtime_error(fmt::format(
        "job {} ended without writing any shard database; see its logs {}.slurm-{}_*.out", s.job_id,
        (std::filesystem::path(db_path).parent_path() / std::filesystem::path(db_path).stem())
            .string(),
        s.job_id));
  }
  // One task (--slurm-tasks 1) writes the database itself: nothing to merge.
  std::error_code same_ec;
  if (!(present.size() == 1 && std::filesystem::equivalent(present[0], db_path, same_ec))) {
    std::cout << shards_status_text(config, db_path);
    drop_earlier_merge(db_path, present);
    merge_databases(db_path, present, &std::cout);
  }
  SweepStatus status = sweep_status(config, db_path, Shard{});
  std::cout << format_status(config, db_path, status);
  if (status.done + status.diverged < status.planned) throw CLI::RuntimeError(3);
}

std::string shards_status_text(const ExperimentConfig& config, const std::string& db) {
  auto shards = find_shard_databases(config, db);
  return shards.empty() ? std::string() : format_shards_status(config, shards);
}

}  // namespace powertrain::cli
