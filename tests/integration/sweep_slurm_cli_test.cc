// `powertrain sweep --slurm --slurm-wait` as a user runs it, with stand-in
// sbatch and squeue on PATH: the stand-in sbatch runs the written job
// script once per array task with the variables Slurm sets, so that what
// the tasks get (shard, database, the options passed on) and what the runs
// record is checked end to end. The real Slurm is scripts/slurm-test.sh.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include <nlohmann/json.hpp>

#include "powertrain/store/store.h"
#include "unit/sweep/sweep_test_util.h"

namespace powertrain {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;

struct Result {
  int exit_code = -1;
  std::string output;
};

// Runs the program with PATH starting at bin_dir.
Result run(const std::vector<std::string>& args, const TempDir& dir, const std::string& bin_dir) {
  const std::string log = dir / "out.txt";
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    if (chdir(dir.path().c_str()) != 0) _exit(126);
    const char* path = std::getenv("PATH");
    setenv("PATH", (bin_dir + ":" + (path ? path : "/usr/bin:/bin")).c_str(), 1);
    for (const char* v : {"SLURM_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT"})
      unsetenv(v);
    std::vector<char*> argv;
    std::string program = POWERTRAIN_BINARY;
    argv.push_back(program.data());
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return Result{WIFEXITED(status) ? WEXITSTATUS(status) : -1, testing::read_file(log)};
}

void write_program(const std::string& path, const std::string& body) {
  testing::write_file(path, "#!/bin/sh\n" + body);
  chmod(path.c_str(), 0755);
}

TEST(SweepSlurmCli, ArrayTasksRunTheirShardsAndTheWaitMergesThem) {
  TempDir dir;
  const std::string toml = dir / "quick.toml";
  testing::write_file(
      toml, testing::experiment_text("quick-slurm", "regime", testing::make_pamap2_dir(dir), 1, 4));
  const std::string bin = dir / "bin";
  std::filesystem::create_directories(bin);
  // Job 900, array tasks 0 and 1 (job ids 901, 902) on "fake-node".
  write_program(bin + "/sbatch",
                "[ \"$1\" = --parsable ] || exit 2\n"
                "for i in 0 1; do\n"
                "  SLURM_JOB_ID=$((901 + i)) SLURM_ARRAY_JOB_ID=900 SLURM_ARRAY_TASK_ID=$i "
                "SLURMD_NODENAME=fake-node SLURM_JOB_GPUS=$i bash \"$2\" > \"$2.task$i.log\" 2>&1 "
                "|| exit 3\n"
                "done\necho 900\n");
  write_program(bin + "/squeue", "echo \"$@\" >> " + dir / "squeue.calls" + "\n");
  Result r = run({"sweep", toml, "--slurm", "--slurm-tasks", "2", "--slurm-wait",
                  "--slurm-partition", "short", "--simulate-ms", "0", "--simulate-epochs", "2"},
                 dir, bin);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("as Slurm job 900: 2 tasks"));
  EXPECT_THAT(r.output, HasSubstr("job 900: no task left in the queue"));
  EXPECT_THAT(r.output, HasSubstr("16/16 runs finished (100 %)"));
  EXPECT_EQ(testing::read_file(dir / "squeue.calls"), "--noheader --jobs=900 --format=%i %T\n");
  const std::string script = testing::read_file(dir / "quick-slurm.slurm.sh");
  EXPECT_THAT(script, HasSubstr("#SBATCH --partition=short\n"));
  EXPECT_THAT(script, HasSubstr("'--simulate-ms' '0' '--simulate-epochs' '2'"));

  Store store(dir / "quick-slurm.db");
  auto runs = store.runs();
  ASSERT_EQ(runs.size(), 16u);
  std::set<int> setups;
  for (const auto& run : runs) {
    setups.insert(*run.setup);
    EXPECT_EQ(run.status, RunStatus::kDone);
    EXPECT_EQ(store.epochs(run.id).size(), 2u);
    auto slurm = nlohmann::json::parse(run.config_json)["slurm"];
    // Setup s is group s-1; shard I of 2 holds groups with (s-1) % 2 == I-1.
    const int task = (*run.setup - 1) % 2;
    EXPECT_EQ(slurm["array_job_id"], "900");
    EXPECT_EQ(slurm["array_task_id"], std::to_string(task)) << "setup " << *run.setup;
    EXPECT_EQ(slurm["job_id"], std::to_string(901 + task));
    EXPECT_EQ(slurm["node"], "fake-node");
    EXPECT_EQ(slurm["gpus"], std::to_string(task));
  }
  EXPECT_EQ(setups.size(), 16u);

  // The same command again (e.g. after --retry-failed): the tasks find their
  // shards finished and the database is merged anew, not twice.
  Result again = run({"sweep", toml, "--slurm", "--slurm-tasks", "2", "--slurm-wait",
                      "--simulate-ms", "0", "--simulate-epochs", "2"},
                     dir, bin);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr("was an earlier merge of these shards; merged anew"));
  EXPECT_EQ(Store(dir / "quick-slurm.db").runs().size(), 16u);
  EXPECT_THAT(testing::read_file(dir / "quick-slurm.slurm.sh.task0.log"),
              HasSubstr("0 to run, 8 finished before"));
}

// One task writes the experiment's database itself; the wait must neither
// merge it into itself nor drop it as an earlier merge.
TEST(SweepSlurmCli, OneTaskWritesTheDatabaseItself) {
  TempDir dir;
  const std::string toml = dir / "quick.toml";
  testing::write_file(
      toml, testing::experiment_text("quick-slurm", "regime", testing::make_pamap2_dir(dir), 1, 4));
  const std::string bin = dir / "bin";
  std::filesystem::create_directories(bin);
  write_program(bin + "/sbatch",
                "SLURM_JOB_ID=5 SLURM_ARRAY_JOB_ID=5 SLURM_ARRAY_TASK_ID=0 bash \"$2\" > "
                "\"$2.log\" 2>&1 || exit 3\necho 5\n");
  write_program(bin + "/squeue", "exit 0\n");
  for (int call = 0; call < 2; ++call) {
    Result r = run({"sweep", toml, "--slurm", "--slurm-tasks", "1", "--slurm-wait", "--simulate-ms",
                    "0", "--simulate-epochs", "1"},
                   dir, bin);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("16/16 runs finished (100 %)"));
    EXPECT_THAT(r.output, Not(HasSubstr("merge")));
    EXPECT_EQ(Store(dir / "quick-slurm.db").runs().size(), 16u);
  }
}

TEST(SweepSlurmCli, SbatchRefusalIsReportedWithItsMessage) {
  TempDir dir;
  const std::string toml = dir / "quick.toml";
  testing::write_file(
      toml, testing::experiment_text("quick-slurm", "regime", testing::make_pamap2_dir(dir), 1, 4));
  const std::string bin = dir / "bin";
  std::filesystem::create_directories(bin);
  write_program(bin + "/sbatch",
                "echo 'sbatch: error: invalid partition specified: nope' >&2\nexit 1\n");
  Result r =
      run({"sweep", toml, "--slurm", "--slurm-partition", "nope", "--simulate-ms", "0"}, dir, bin);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("sbatch refused"));
  EXPECT_THAT(r.output, HasSubstr("invalid partition specified: nope"));
  EXPECT_FALSE(std::filesystem::exists(dir / "quick-slurm.db"));
}

}  // namespace
}  // namespace powertrain
