// Slurm: the job's fields from the environment, the takeover of an earlier
// incarnation's run after a requeue, the job script, sbatch and squeue
// (stand-in programs with set answers), status over shard databases.
#include "powertrain/sweep/slurm.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "powertrain/sweep/simulated_runner.h"
#include "powertrain/sweep/sweep.h"
#include "unit/sweep/sweep_test_util.h"
#include "util/slurm_env.h"

namespace powertrain {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;

const char* const kSlurmVars[] = {
    "SLURM_JOB_ID",       "SLURM_ARRAY_JOB_ID",     "SLURM_ARRAY_TASK_ID", "SLURM_RESTART_COUNT",
    "SLURMD_NODENAME",    "SLURM_JOB_GPUS",         "SLURM_STEP_GPUS",     "CUDA_VISIBLE_DEVICES",
    "SLURM_CPUS_ON_NODE", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN"};

// Sets Slurm variables for one test and restores the environment after.
class SlurmEnvironment {
 public:
  explicit SlurmEnvironment(const std::map<std::string, std::string>& vars) {
    for (const char* name : kSlurmVars) {
      const char* v = std::getenv(name);
      if (v) saved_[name] = v;
      unsetenv(name);
    }
    for (const auto& [k, v] : vars) setenv(k.c_str(), v.c_str(), 1);
  }
  ~SlurmEnvironment() {
    for (const char* name : kSlurmVars) unsetenv(name);
    for (const auto& [k, v] : saved_) setenv(k.c_str(), v.c_str(), 1);
  }

 private:
  std::map<std::string, std::string> saved_;
};

int online_cpus() { return static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)); }

TEST(SlurmEnv, NoneOutsideAJob) {
  SlurmEnvironment env({});
  EXPECT_FALSE(slurm_env_from_environment());
}

TEST(SlurmEnv, ReadsTheJobArrayNodeAndGpus) {
  SlurmEnvironment env({{"SLURM_JOB_ID", "1234"},
                        {"SLURM_ARRAY_JOB_ID", "1230"},
                        {"SLURM_ARRAY_TASK_ID", "4"},
                        {"SLURM_RESTART_COUNT", "2"},
                        {"SLURMD_NODENAME", "gpu-07"},
                        {"SLURM_JOB_GPUS", "2,3"},
                        {"CUDA_VISIBLE_DEVICES", "0,1"},
                        {"SLURM_CPUS_ON_NODE", "1"}});
  auto s = slurm_env_from_environment();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->job_id, "1234");
  EXPECT_EQ(s->array_job_id, "1230");
  EXPECT_EQ(s->array_task_id, "4");
  EXPECT_EQ(s->restart_count, 2);
  EXPECT_EQ(s->node, "gpu-07");
  EXPECT_EQ(s->gpus, "2,3");
  EXPECT_EQ(s->cuda_visible_devices, "0,1");
  ASSERT_TRUE(s->cpus_on_node);
  EXPECT_EQ(*s->cpus_on_node, 1);
  EXPECT_EQ(s->node_cpus, online_cpus());
  // One CPU of a bigger node: shared, and the node-level figures say so.
  EXPECT_EQ(s->shares_node(), online_cpus() > 1);
  auto j = s->to_json();
  EXPECT_EQ(j["array_task_id"], "4");
  EXPECT_EQ(j["gpus"], "2,3");
  EXPECT_EQ(j["restart_count"], 2);
  if (online_cpus() > 1) {
    EXPECT_THAT(j["node_energy"].get<std::string>(), HasSubstr("other jobs on it included"));
  }
}

TEST(SlurmEnv, TheWholeNodeIsNotShared) {
  SlurmEnvironment env({{"SLURM_JOB_ID", "9"},
                        {"SLURM_CPUS_ON_NODE", std::to_string(online_cpus())},
                        {"SLURM_RESTART_COUNT", "x"}});
  auto s = slurm_env_from_environment();
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->shares_node());
  EXPECT_EQ(s->restart_count, 0);  // malformed: ignored
  EXPECT_THAT(s->node_energy_scope(), HasSubstr("holds all"));
}

TEST(SlurmEnv, EarlierIncarnationOfTheSameJobOnly) {
  SlurmEnv now;
  now.job_id = "77";
  now.restart_count = 1;
  auto claimed = [](const std::string& job, int restarts) {
    return nlohmann::json{{"slurm", {{"job_id", job}, {"restart_count", restarts}}}}.dump();
  };
  EXPECT_TRUE(claimed_by_earlier_incarnation(claimed("77", 0), now));
  EXPECT_FALSE(claimed_by_earlier_incarnation(claimed("77", 1), now));  // this incarnation
  EXPECT_FALSE(claimed_by_earlier_incarnation(claimed("78", 0), now));  // another job
  EXPECT_FALSE(claimed_by_earlier_incarnation(claimed("77", 0), std::nullopt));
  EXPECT_FALSE(claimed_by_earlier_incarnation("{}", now));
  EXPECT_FALSE(claimed_by_earlier_incarnation("not json", now));
}

struct Fixture {
  TempDir dir;
  ExperimentConfig config;
  std::string db;
  std::ostringstream log;
  Fixture() {
    config = parse_experiment(
        testing::experiment_text("slurm-test", "regime", testing::make_pamap2_dir(dir)),
        dir / "e.toml");
    db = dir / "sweep.db";
  }
  SweepOptions options() {
    SweepOptions o;
    o.db_path = db;
    o.out = &log;
    return o;
  }
};

// A run left `running` on another node by a task that was then requeued:
// the requeued task (same job, higher restart count) reruns it without
// --takeover; any other process still refuses.
TEST(SlurmSweep, RequeuedTaskTakesOverItsOwnRunningRunFromAnyNode) {
  Fixture f;
  auto runner = make_simulated_runner({0, 1, ""});
  auto o = f.options();
  o.max_runs = 1;
  run_sweep(f.config, o, runner);
  RunRecord r2;
  for (const auto& r : Store(f.db).runs())
    if (r.setup == 2) r2 = r;
  ASSERT_EQ(r2.status, RunStatus::kPending);
  r2.status = RunStatus::kRunning;
  r2.host = "node-that-died";
  r2.pid = 4242;
  r2.config_json = nlohmann::json{{"slurm", {{"job_id", "77"}, {"restart_count", 0}}}}.dump();
  Store(f.db).update_run(r2);
  {
    SlurmEnvironment env({{"SLURM_JOB_ID", "78"}, {"SLURM_RESTART_COUNT", "1"}});
    EXPECT_THROW(run_sweep(f.config, f.options(), runner), std::invalid_argument);
  }
  {
    SlurmEnvironment env({{"SLURM_JOB_ID", "77"}, {"SLURM_RESTART_COUNT", "0"}});
    EXPECT_THROW(run_sweep(f.config, f.options(), runner), std::invalid_argument);
  }
  SlurmEnvironment env(
      {{"SLURM_JOB_ID", "77"}, {"SLURM_RESTART_COUNT", "1"}, {"SLURMD_NODENAME", "node-b"}});
  auto summary = run_sweep(f.config, f.options(), runner);
  EXPECT_EQ(summary.resumed_interrupted, 1);
  EXPECT_EQ(summary.ran, 15);
  auto after = Store(f.db).run(r2.id);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, RunStatus::kDone);
  auto cfg = nlohmann::json::parse(after->config_json);
  EXPECT_EQ(cfg["slurm"]["job_id"], "77");
  EXPECT_EQ(cfg["slurm"]["restart_count"], 1);
  EXPECT_EQ(cfg["slurm"]["node"], "node-b");
  ASSERT_EQ(cfg["interrupted_attempts"].size(), 1u);
  EXPECT_EQ(cfg["interrupted_attempts"][0]["host"], "node-that-died");
}

TEST(SlurmScript, OneSbatchLineAnOptionAndOneShardATask) {
  Fixture f;
  SlurmSubmitOptions o;
  o.tasks = 4;
  o.partition = "gpu";
  o.time = "02:00:00";
  o.gpus_per_task = "1";
  o.account = "proj-7";
  o.extra = {"--mem=8G"};
  o.powertrain = "/opt/pt/powertrain";
  o.sweep_args = {"--simulate-ms", "5"};
  const std::string text = slurm_job_script(f.config, f.dir / "out/q.db", o);
  for (const char* line :
       {"#SBATCH --array=0-3\n", "#SBATCH --partition=gpu\n", "#SBATCH --time=02:00:00\n",
        "#SBATCH --gpus-per-task=1\n", "#SBATCH --account=proj-7\n", "#SBATCH --mem=8G\n",
        "#SBATCH --requeue\n", "SHARD=$((SLURM_ARRAY_TASK_ID + 1))\n"}) {
    EXPECT_THAT(text, HasSubstr(line));
  }
  EXPECT_THAT(text, HasSubstr("exec '/opt/pt/powertrain' sweep '" + f.dir / "e.toml" +
                              "' --shard \"$SHARD/4\" --db '" + f.dir / "out" +
                              "'/'slurm-test'\".shard-$SHARD-of-4.db\" '--simulate-ms' '5'\n"));
  // Unset options give no line; the default array is one task a group (16 here).
  SlurmSubmitOptions d;
  const std::string plain = slurm_job_script(f.config, f.db, d);
  EXPECT_THAT(plain, HasSubstr("#SBATCH --array=0-15\n"));
  EXPECT_THAT(plain, Not(HasSubstr("--partition")));
  // A database in the current folder: logs there, no "//".
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(f.dir.path());
  const std::string here = slurm_job_script(f.config, "q.db", d);
  std::filesystem::current_path(cwd);
  EXPECT_THAT(here,
              HasSubstr("#SBATCH --output=" + f.dir.path().string() + "/q.slurm-%A_%a.out\n"));
  auto shards = slurm_shard_databases(f.config, f.dir / "out/q.db", 4);
  ASSERT_EQ(shards.size(), 4u);
  EXPECT_EQ(shards[2], f.dir / "out/slurm-test.shard-3-of-4.db");
}

TEST(SlurmScript, RefusesOptionsThatWouldBreakTheScript) {
  Fixture f;
  SlurmSubmitOptions o;
  o.partition = "gpu\n#SBATCH --evil";
  EXPECT_THROW(slurm_job_script(f.config, f.db, o), std::invalid_argument);
  SlurmSubmitOptions e;
  e.extra = {"mem=8G"};
  try {
    slurm_job_script(f.config, f.db, e);
    FAIL();
  } catch (const std::invalid_argument& x) {
    EXPECT_THAT(x.what(), HasSubstr("'mem=8G' is not an sbatch option"));
  }
}

// A stand-in program: a shell script with a set answer.
std::string stand_in(const TempDir& dir, const std::string& name, const std::string& body) {
  const std::string path = dir / name;
  testing::write_file(path, "#!/bin/sh\n" + body);
  chmod(path.c_str(), 0755);
  return path;
}

TEST(SlurmSubmit, WritesTheScriptBesideTheDatabaseAndReadsTheJobId) {
  Fixture f;
  SlurmSubmitOptions o;
  o.tasks = 2;
  o.sbatch = stand_in(f.dir, "sbatch",
                      "echo \"$@\" > " + f.dir / "sbatch.args" + "\necho '4242;cluster-a'\n");
  auto s = submit_slurm_sweep(f.config, f.db, o);
  EXPECT_EQ(s.job_id, "4242");
  EXPECT_EQ(s.script_path, f.dir / "sweep.slurm.sh");
  EXPECT_THAT(testing::read_file(s.script_path), HasSubstr("#SBATCH --array=0-1\n"));
  EXPECT_EQ(testing::read_file(f.dir / "sbatch.args"), "--parsable " + f.dir / "sweep.slurm.sh\n");
  ASSERT_EQ(s.shard_databases.size(), 2u);
  EXPECT_EQ(s.shard_databases[1], f.dir / "slurm-test.shard-2-of-2.db");

  o.sbatch = stand_in(f.dir, "sbatch-no", "echo 'sbatch: error: invalid partition' >&2\nexit 1\n");
  try {
    submit_slurm_sweep(f.config, f.db, o);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("sbatch refused"));
    EXPECT_THAT(e.what(), HasSubstr("invalid partition"));
  }
  o.sbatch = f.dir / "no-such-sbatch";
  EXPECT_THROW(submit_slurm_sweep(f.config, f.db, o), std::runtime_error);
}

TEST(SlurmWait, PollsUntilNoTaskIsLeft) {
  TempDir dir;
  // Answers: 2 tasks running, then 1 pending (a requeue), then none.
  const std::string counter = dir / "n";
  testing::write_file(counter, "0");
  const std::string squeue = stand_in(
      dir, "squeue",
      "n=$(cat " + counter + "); echo $((n + 1)) > " + counter +
          "\ncase $n in 0) printf '5_0 RUNNING\\n5_1 RUNNING\\n';; 1) echo '5_1 PENDING';; esac\n");
  std::ostringstream out;
  wait_for_slurm_job("5", 0.01, &out, squeue);
  EXPECT_EQ(testing::read_file(counter), "3\n");
  EXPECT_EQ(out.str(), "job 5: 2 RUNNING\njob 5: 1 PENDING\njob 5: no task left in the queue\n");
}

TEST(SlurmStatus, EveryShardAndTheWhole) {
  Fixture f;
  auto runner = make_simulated_runner({0, 1, ""});
  for (int i = 1; i <= 2; ++i) {
    auto o = f.options();
    o.shard = Shard{i, 2};
    o.db_path = f.dir / default_db_path(f.config, o.shard);
    o.max_runs = i == 1 ? 8 : 3;  // shard 1 complete, shard 2 with 5 left
    run_sweep(f.config, o, runner);
  }
  auto shards = find_shard_databases(f.config, f.db);
  ASSERT_EQ(shards.size(), 2u);
  EXPECT_EQ(shards[0].second.index, 1);
  EXPECT_EQ(shards[1].second.index, 2);
  const std::string text = format_shards_status(f.config, shards);
  EXPECT_THAT(text, HasSubstr("shard 1/2 (" + f.dir / "slurm-test.shard-1-of-2.db" +
                              "): 8/8 finished, 0 failed, 0 running, 0 pending\n"));
  EXPECT_THAT(text, HasSubstr("shard 2/2 (" + f.dir / "slurm-test.shard-2-of-2.db" +
                              "): 3/8 finished, 0 failed, 0 running, 5 pending\n"));
  EXPECT_THAT(text, HasSubstr("whole experiment over 2 shards: 11/16 runs finished (11 done"));
}

}  // namespace
}  // namespace powertrain
