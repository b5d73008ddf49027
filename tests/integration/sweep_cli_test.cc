// `powertrain sweep|status|merge` run as a user runs them: kill -9 in the
// middle of a run and resume, shards and merge, bad input.
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "powertrain/store/store.h"
#include "unit/sweep/sweep_test_util.h"

namespace powertrain {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::TempDir;

struct Result {
  int exit_code = -1;
  std::string output;
};

// Starts the program with stdout and stderr into `log`; returns its pid.
pid_t spawn(const std::vector<std::string>& args, const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    std::string program = POWERTRAIN_BINARY;
    argv.push_back(program.data());
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

Result run(const std::vector<std::string>& args, const TempDir& dir) {
  std::string log = dir / "out.txt";
  pid_t pid = spawn(args, log);
  int status = 0;
  waitpid(pid, &status, 0);
  return Result{WIFEXITED(status) ? WEXITSTATUS(status) : -1, testing::read_file(log)};
}

int count_lines(const std::string& text, const std::string& prefix) {
  int n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) n += line.rfind(prefix, 0) == 0;
  return n;
}

struct SweepDir {
  TempDir dir;
  std::string toml, db;
  explicit SweepDir(const std::string& paradigm = "regime", int repeats = 1) {
    std::string data = testing::make_pamap2_dir(dir);
    toml = dir / "quick.toml";
    testing::write_file(toml, testing::experiment_text("quick-cli", paradigm, data, repeats, 4));
    db = dir / "quick.db";
  }
};

TEST(SweepCli, ResumeAfterKillNineLosesAndRepeatsNothing) {
  SweepDir s;
  const std::string events = s.dir / "events.txt";
  const std::vector<std::string> args = {
      "sweep", s.toml,           "--db", s.db, "--simulate-ms", "60", "--simulate-epochs",
      "4",     "--simulate-log", events};
  pid_t pid = spawn(args, s.dir / "first.txt");
  // Wait until a few runs have finished and the next one is mid-way.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    std::string log = testing::read_file(events);
    if (count_lines(log, "end ") >= 3 &&
        count_lines(log, "start ") == count_lines(log, "end ") + 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // into its epochs
      break;
    }
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "sweep did not progress";
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  std::map<std::string, RunRecord> before;
  int running = 0;
  int64_t killed_id = 0;
  {
    Store store(s.db);
    for (auto& r : store.runs()) {
      if (r.status == RunStatus::kRunning) {
        ++running;
        killed_id = r.id;
        EXPECT_EQ(r.pid, static_cast<int64_t>(pid));
      }
      before[fmt::format("setup {}", *r.setup)] = r;
    }
  }
  ASSERT_EQ(before.size(), 16u);  // all written as pending up front
  ASSERT_EQ(running, 1);
  // `status` sees the dead process.
  Result st = run({"status", s.toml, "--db", s.db}, s.dir);
  EXPECT_EQ(st.exit_code, 0) << st.output;
  EXPECT_THAT(st.output, AllOf(HasSubstr("1 running"), HasSubstr("dead")));

  Result resumed = run(args, s.dir);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_THAT(resumed.output, HasSubstr("rerunning run"));

  // Every run ended exactly once over both processes; only the killed one
  // was started twice.
  std::string log = testing::read_file(events);
  std::map<std::string, int> starts, ends;
  std::istringstream in(log);
  for (std::string word, p, setup_word, setup; in >> word >> p >> setup_word >> setup;) {
    std::string rest;
    std::getline(in, rest);
    (word == "start" ? starts : ends)["setup " + setup]++;
  }
  ASSERT_EQ(ends.size(), 16u);
  int restarted = 0;
  for (const auto& [key, n] : ends) {
    EXPECT_EQ(n, 1) << key;
    restarted += starts[key] - 1;
  }
  EXPECT_EQ(restarted, 1);

  Store store(s.db);
  auto runs = store.runs();
  ASSERT_EQ(runs.size(), 16u);
  std::set<int> setups;
  for (const auto& r : runs) {
    setups.insert(*r.setup);
    EXPECT_EQ(r.status, RunStatus::kDone);
    EXPECT_EQ(store.epochs(r.id).size(), 4u);  // the killed attempt's rows are partial
    const RunRecord& old = before[fmt::format("setup {}", *r.setup)];
    if (old.status == RunStatus::kDone) {
      EXPECT_EQ(r.started_at_s, old.started_at_s);
      EXPECT_EQ(r.ended_at_s, old.ended_at_s);
    }
  }
  EXPECT_EQ(setups.size(), 16u);
  auto cfg = nlohmann::json::parse(store.run(killed_id)->config_json);
  ASSERT_EQ(cfg["interrupted_attempts"].size(), 1u);
  EXPECT_EQ(cfg["interrupted_attempts"][0]["pid"], static_cast<int64_t>(pid));
}

TEST(SweepCli, SigtermSetsTheRunInProgressBackToPending) {
  SweepDir s;
  const std::string events = s.dir / "events.txt";
  const std::vector<std::string> args = {
      "sweep", s.toml,           "--db", s.db,      "--simulate-ms", "60", "--simulate-epochs",
      "4",     "--simulate-log", events, "--order", "fixed"};  // setup 3 runs third
  pid_t pid = spawn(args, s.dir / "first.txt");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!(count_lines(testing::read_file(events), "end ") >= 2 &&
           count_lines(testing::read_file(events), "start ") == 3)) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "sweep did not progress";
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
  EXPECT_THAT(testing::read_file(s.dir / "first.txt"), HasSubstr("set back to pending"));
  {
    Store store(s.db);
    int done = 0;
    for (const auto& r : store.runs()) {
      EXPECT_NE(r.status, RunStatus::kRunning);
      done += r.status == RunStatus::kDone;
      if (*r.setup == 3) {
        EXPECT_EQ(r.status, RunStatus::kPending);
        auto cfg = nlohmann::json::parse(r.config_json);
        ASSERT_EQ(cfg["interrupted_attempts"].size(), 1u);
        EXPECT_EQ(cfg["interrupted_attempts"][0]["error"], "signal 15");
        EXPECT_TRUE(store.epochs(r.id).empty());  // the interrupted rows are partial
      }
    }
    EXPECT_EQ(done, 2);
  }
  Result resumed = run(args, s.dir);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  Store store(s.db);
  for (const auto& r : store.runs()) {
    EXPECT_EQ(r.status, RunStatus::kDone);
    EXPECT_EQ(store.epochs(r.id).size(), 4u);
  }
}

// An epoch longer than the CLI's grace (5 s): the sweep cannot stop at an
// epoch's end, so the CLI sets the run back itself and ends with 128 + signal.
TEST(SweepCli, SigtermInAnEpochLongerThanTheGraceStillSetsTheRunBack) {
  SweepDir s;
  const std::string events = s.dir / "events.txt";
  const std::vector<std::string> args = {
      "sweep", s.toml,           "--db", s.db,      "--simulate-ms", "600000", "--simulate-epochs",
      "1",     "--simulate-log", events, "--order", "fixed"};
  pid_t pid = spawn(args, s.dir / "first.txt");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (count_lines(testing::read_file(events), "start ") < 1) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "sweep did not start a run";
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  waitpid(pid, &status, 0);  // a ten-minute epoch: only the forced stop ends it
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
  EXPECT_THAT(testing::read_file(s.dir / "first.txt"),
              HasSubstr("interrupted (signal 15): run 1 set back to pending"));
  Store store(s.db);
  const auto r = store.run(1);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, RunStatus::kPending);
  auto cfg = nlohmann::json::parse(r->config_json);
  ASSERT_EQ(cfg["interrupted_attempts"].size(), 1u);
  EXPECT_EQ(cfg["interrupted_attempts"][0]["error"], "signal 15");
  for (const auto& other : store.runs()) EXPECT_NE(other.status, RunStatus::kRunning);
}

// On a terminal the progress line is redrawn in place and fits its width.
TEST(SweepCli, OnATerminalTheLineIsRedrawnWithinTheWidth) {
  SweepDir s;
  for (int columns : {40, 80, 200}) {
    int master = -1;
    winsize size{};
    size.ws_col = static_cast<unsigned short>(columns);
    size.ws_row = 24;
    pid_t pid = forkpty(&master, nullptr, nullptr, &size);
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      std::string program = POWERTRAIN_BINARY;
      const std::string db = s.dir / fmt::format("tty{}.db", columns);
      execl(program.c_str(), program.c_str(), "sweep", s.toml.c_str(), "--db", db.c_str(),
            "--simulate-ms", "0", "--simulate-epochs", "2", "--max-runs", "2", nullptr);
      _exit(127);
    }
    std::string text;
    char buffer[4096];
    for (;;) {
      ssize_t n = read(master, buffer, sizeof buffer);
      if (n <= 0) break;  // EIO once the child has closed the terminal
      text.append(buffer, static_cast<std::size_t>(n));
    }
    int status = 0;
    waitpid(pid, &status, 0);
    close(master);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text;
    // Each redraw starts with "\r\033[K"; the line it draws ends at the next
    // "\r" (the next redraw) or newline.
    int redraws = 0;
    for (std::size_t at = text.find("\r\033[K"); at != std::string::npos;
         at = text.find("\r\033[K", at + 1)) {
      const std::size_t start = at + 4;
      const std::size_t end = text.find_first_of("\r\n", start);
      const std::string line = text.substr(start, end - start);
      if (line.rfind("[", 0) == 0) continue;  // a run's result: a log line, not redrawn
      ++redraws;
      EXPECT_LE(line.size(), static_cast<std::size_t>(columns)) << line;
      EXPECT_THAT(line, HasSubstr("run ")) << line;
    }
    EXPECT_EQ(redraws, 2 * 3) << text;  // per run: starting and 2 epochs
    EXPECT_THAT(text, HasSubstr("epoch 2/2"));
  }
}

TEST(SweepCli, ShardsAndMerge) {
  SweepDir s("pretraining", 1);
  std::vector<std::string> dbs;
  for (int i = 1; i <= 2; ++i) {
    std::string db = s.dir / fmt::format("shard{}.db", i);
    Result r = run({"sweep", s.toml, "--db", db, "--shard", fmt::format("{}/2", i), "--simulate-ms",
                    "0", "--simulate-epochs", "1"},
                   s.dir);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    dbs.push_back(db);
  }
  // The Slurm array's variables pick the shard when --shard is not given.
  {
    setenv("SLURM_ARRAY_TASK_ID", "1", 1);
    setenv("SLURM_ARRAY_TASK_COUNT", "2", 1);
    Result dry = run({"sweep", s.toml, "--db", dbs[1], "--dry-run"}, s.dir);
    unsetenv("SLURM_ARRAY_TASK_ID");
    unsetenv("SLURM_ARRAY_TASK_COUNT");
    EXPECT_EQ(dry.exit_code, 0) << dry.output;
    EXPECT_THAT(dry.output, HasSubstr("in shard 2/2: 0 to run, 32 finished"));
  }
  Result whole =
      run({"sweep", s.toml, "--db", s.db, "--simulate-ms", "0", "--simulate-epochs", "1"}, s.dir);
  ASSERT_EQ(whole.exit_code, 0) << whole.output;

  std::string merged = s.dir / "merged.db";
  Result m = run({"merge", merged, dbs[0], dbs[1]}, s.dir);
  ASSERT_EQ(m.exit_code, 0) << m.output;
  EXPECT_THAT(m.output, HasSubstr("64 runs"));
  auto keys = [](const std::string& db) {
    std::multiset<std::string> out;
    Store store(db);
    for (const auto& r : store.runs()) {
      out.insert(fmt::format("{} {} {} {} {}", *r.setup, *r.repeat, r.role, to_string(r.status),
                             store.epochs(r.id).size()));
    }
    return out;
  };
  EXPECT_EQ(keys(merged), keys(s.db));
  Result st = run({"status", s.toml, "--db", merged}, s.dir);
  EXPECT_THAT(st.output, HasSubstr("64/64 runs finished"));
}

TEST(SweepCli, BadInputIsAClearErrorAndWritesNothing) {
  SweepDir s;
  std::string bad = s.dir / "bad.toml";
  auto expect_error = [&](const std::string& text, const std::vector<std::string>& needles,
                          std::vector<std::string> extra = {}) {
    testing::write_file(bad, text);
    std::vector<std::string> args = {"sweep", bad, "--db", s.db, "--simulate-ms", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    Result r = run(args, s.dir);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_THAT(r.output, HasSubstr("powertrain: error: "));
    for (const auto& n : needles) EXPECT_THAT(r.output, HasSubstr(n));
    EXPECT_FALSE(fs::exists(s.db)) << text;
  };
  std::string good = testing::read_file(s.toml);
  std::string typo = good;
  typo.replace(typo.find("max_epochs"), 10, "max_epoch");
  expect_error(typo, {"bad.toml:", "unknown key 'training.max_epoch'"});
  expect_error("colour = 1\n" + good, {"bad.toml:1", "unknown key 'colour'"});
  std::string zero = good;
  zero.replace(zero.find("[64, "), 5, "[0, ");
  expect_error(zero, {"bad.toml:", "batch size must be a positive integer, got 0"});
  std::string negative = good;
  negative.replace(negative.find("[0.1, "), 6, "[-0.1, ");
  expect_error(negative, {"learning rate must be a positive number, got -0.1"});
  std::string empty = good;
  empty.replace(empty.find("[64, 256, 1024, 4096]"), 21, "[]");
  expect_error(empty, {"grid is empty"});
  expect_error(good, {"data folder", "does not exist"}, {"--data", s.dir / "missing"});

  // A database of another experiment: refused, left as it was.
  Result first =
      run({"sweep", s.toml, "--db", s.db, "--simulate-ms", "0", "--max-runs", "1"}, s.dir);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  std::string other = good;
  other.replace(other.find("quick-cli"), 9, "other-exp");
  testing::write_file(bad, other);
  size_t runs_before = Store(s.db).runs().size();
  Result r = run({"sweep", bad, "--db", s.db, "--simulate-ms", "0"}, s.dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("belongs to experiment 'quick-cli', not 'other-exp'"));
  EXPECT_EQ(Store(s.db).runs().size(), runs_before);
  EXPECT_EQ(Store(s.db).meta("experiment"), "quick-cli");
}

// The settings that used to pass --dry-run and then fail every run:
// each now stops --dry-run with exit status 2, naming file, line and key.
TEST(SweepCli, DryRunRefusesSettingsThatCouldNeverRun) {
  SweepDir s;
  const std::string good = testing::read_file(s.toml);  // ends with [energy] interval_s
  const std::string bad = s.dir / "bad.toml";
  struct Case {
    std::string text, line, key;
  };
  // Line 1 (top-level keys before the first table) or the appended table's line.
  const int next = static_cast<int>(std::count(good.begin(), good.end(), '\n')) + 1;
  const std::vector<Case> cases = {
      {"device = \"tpu\"\n" + good, "bad.toml:1", "unknown device 'tpu'"},
      {good + "sensors = [\"foo\"]\n", fmt::format("bad.toml:{}", next), "unknown sensor 'foo'"},
      {good + "pue = 7\n", fmt::format("bad.toml:{}", next), "'energy.pue' must lie in [1, 5]"},
      {"repeats_x = 1\n" + good, "bad.toml:1", "unknown key 'repeats_x'"},
      {good + "[model]\nconv_channels = [-4, 16, 16]\n", fmt::format("bad.toml:{}", next + 1),
       "'model.conv_channels' must be at least 1, got -4"},
      {good + "[model]\nhidden_units = -5\n", fmt::format("bad.toml:{}", next + 1),
       "'model.hidden_units' must be 0 or more, got -5"},
      {good + "[dataset]\nwindow_length = 0\n", fmt::format("bad.toml:{}", next + 1),
       "'dataset.window_length' must be at least 2, got 0"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.key);
    testing::write_file(bad, c.text);
    Result r = run({"sweep", bad, "--db", s.db, "--dry-run"}, s.dir);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_THAT(r.output, AllOf(HasSubstr(c.line), HasSubstr(c.key)));
    EXPECT_FALSE(fs::exists(s.db));
  }
  // repeats = 100000000 is refused before anything is planned or allocated.
  std::string many = good;
  many.replace(many.find("repeats = 1"), 11, "repeats = 100000000");
  testing::write_file(bad, many);
  Result r = run({"sweep", bad, "--db", s.db, "--dry-run"}, s.dir);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("'repeats' must lie in [1, 1000], got 100000000"));
}

// A changed file on an existing database: the error offers --fork, and
// --fork NEW.db goes on, recording where it came from.
TEST(SweepCli, ChangedExperimentOffersForkAndForkGoesOn) {
  SweepDir s;
  Result first =
      run({"sweep", s.toml, "--db", s.db, "--simulate-ms", "0", "--max-runs", "1"}, s.dir);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  std::string changed = testing::read_file(s.toml);
  changed.replace(changed.find("max_epochs = 4"), 14, "max_epochs = 5");
  testing::write_file(s.toml, changed);
  Result refused = run({"sweep", s.toml, "--db", s.db, "--simulate-ms", "0"}, s.dir);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.output, HasSubstr("--fork NEW.db"));
  const std::string forked = s.dir / "forked.db";
  Result go = run({"sweep", s.toml, "--db", s.db, "--fork", forked, "--simulate-ms", "0",
                   "--simulate-epochs", "1"},
                  s.dir);
  ASSERT_EQ(go.exit_code, 0) << go.output;
  EXPECT_EQ(Store(forked).runs().size(), 16u);
  EXPECT_EQ(Store(forked).meta("forked_from").value_or(""), s.db);
  EXPECT_EQ(Store(s.db).runs().size(), 16u);  // the old one as it was (16 pending or done)
}

#ifdef SWEEP_TEST_REAL_TRAINER
// The real trainer (run_training with a Tracker per run) on tiny generated
// data: all 16 setups of a quick-like regime sweep, and one pretraining group
// whose classifiers load the autoencoder's saved encoder.
TEST(SweepCli, RealTrainerOnTinyGeneratedData) {
  TempDir dir;
  const std::string top = "repeats = 1\nthreads = 1\ndata = \"<generated>\"\n";
  const std::string tiny =
      "[training]\nmax_epochs = 1\n[energy]\ninterval_s = 0.05\n"
      "[dataset]\nsynthetic_train = 96\nsynthetic_val = 32\nsynthetic_test = 32\n"
      "[model]\nconv_channels = [4, 4, 4]\nhidden_units = 4\n";
  // The autoencoder needs a few epochs to reconstruct better than the mean
  // (else it is diverged and its encoder is not reused).
  std::string tiny_pre = tiny;
  tiny_pre.replace(tiny_pre.find("max_epochs = 1"), 14, "max_epochs = 4");
  tiny_pre.replace(tiny_pre.find("synthetic_train = 96"), 20, "synthetic_train = 384");
  tiny_pre.replace(tiny_pre.find("[4, 4, 4]"), 9, "[16, 16, 16]");
  testing::write_file(dir / "regime.toml", "name = \"tiny-regime\"\ntask = \"pamap2\"\n" + top +
                                               "[grid]\nbatch_sizes = [64, 256, 1024, 4096]\n"
                                               "learning_rates = [0.1, 0.01, 0.001, 0.0001]\n" +
                                               tiny);
  Result r =
      run({"sweep", dir / "regime.toml", "--db", dir / "regime.db", "--order", "fixed"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("[16/16] setup 16/16 (bs 4096, lr 0.0001)"));
  {
    Store store(dir / "regime.db");
    auto runs = store.runs();
    ASSERT_EQ(runs.size(), 16u);
    std::set<int> setups;
    for (const auto& run : runs) {
      setups.insert(*run.setup);
      EXPECT_TRUE(run.status == RunStatus::kDone || run.status == RunStatus::kDiverged);
      EXPECT_EQ(run.device, "cpu");
      EXPECT_FALSE(run.sensors.empty());
      ASSERT_EQ(store.epochs(run.id).size(), 1u);
      EXPECT_GT(store.sample_count(run.id), 0);
    }
    EXPECT_EQ(setups.size(), 16u);
  }

  testing::write_file(dir / "pre.toml",
                      "name = \"tiny-pre\"\nparadigm = \"pretraining\"\n" + top +
                          "[grid]\nbatch_sizes = [32]\nlearning_rates = [0.01]\n" + tiny_pre);
  r = run({"sweep", dir / "pre.toml", "--db", dir / "pre.db"}, dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  Store store(dir / "pre.db");
  std::map<std::string, RunRecord> by_role;
  for (auto& run : store.runs()) by_role[run.role] = run;
  ASSERT_EQ(by_role.size(), 4u);
  const auto ae = nlohmann::json::parse(by_role["autoencoder"].config_json);
  ASSERT_TRUE(fs::exists(ae["encoder_out"].get<std::string>()));
  for (const char* role : {"frozen", "unfrozen"}) {
    EXPECT_EQ(by_role[role].status, RunStatus::kDone) << by_role[role].error;
    EXPECT_EQ(nlohmann::json::parse(by_role[role].config_json)["encoder_in"], ae["encoder_out"]);
  }
  EXPECT_EQ(by_role["baseline"].status, RunStatus::kDone);
}

// The truth through a sweep: the real trainer under the sweep's own tracker,
// reading a fake libnvidia-ml (found by dlopen's usual search) at a steady
// 100 W with an energy counter on the clock. Every epoch row must be the
// truth of its duration, and the epochs plus "outside" the run's whole.
TEST(SweepCli, RealTrainerOnASteadyHundredWattGpuGivesTheTruth) {
  TempDir dir;
  fs::create_directories(dir / "lib");
  fs::create_symlink(std::string(POWERTRAIN_FIXTURES_BINARY_DIR) + "/libnvidia-ml-fake.so",
                     dir / "lib/libnvidia-ml.so.1");
  testing::write_file(dir / "gpus.txt", "gpu name=Steady power=100000 energy=clock\n");
  testing::write_file(dir / "truth.toml",
                      "name = \"truth\"\ntask = \"pamap2\"\nrepeats = 1\nthreads = 1\n"
                      "data = \"<generated>\"\n"
                      "[grid]\nbatch_sizes = [64]\nlearning_rates = [0.01, 0.001]\n"
                      "[training]\nmax_epochs = 2\n"
                      "[dataset]\nsynthetic_train = 256\nsynthetic_val = 64\nsynthetic_test = 64\n"
                      "[model]\nconv_channels = [8, 8, 8]\nhidden_units = 8\n"
                      "[energy]\ninterval_s = 0.02\nsensors = [\"nvml\"]\n");
  // The program inherits these (and hands them on to powertrain-torch).
  setenv("LD_LIBRARY_PATH", (dir / "lib").c_str(), 1);
  setenv("FAKE_NVML_SCRIPT", (dir / "gpus.txt").c_str(), 1);
  Result r = run({"sweep", dir / "truth.toml", "--db", dir / "truth.db"}, dir);
  unsetenv("LD_LIBRARY_PATH");
  unsetenv("FAKE_NVML_SCRIPT");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  Store store(dir / "truth.db");
  auto runs = store.runs();
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& run : runs) {
    EXPECT_EQ(run.status, RunStatus::kDone) << run.error;
    EXPECT_NE(run.sensors.find("nvml"), std::string::npos) << run.sensors;
    auto epochs = store.epochs(run.id);
    ASSERT_EQ(epochs.size(), 2u);
    double epochs_mwh = 0;
    for (const EpochRecord& e : epochs) {
      const double truth = 100.0 * 1000.0 * e.duration_s / 3600.0;  // 100 W for duration_s
      EXPECT_NEAR(e.mean_power_mw, 100000.0, 1000.0);
      EXPECT_NEAR(e.energy_mwh, truth, 0.01 * truth);
      ASSERT_TRUE(e.counter_energy_mwh);
      EXPECT_NEAR(*e.counter_energy_mwh, truth, 0.005 * truth);
      EXPECT_TRUE(e.train_loss && e.metric);  // one row: energy, loss and metric together
      epochs_mwh += e.energy_mwh;
    }
    auto whole = store.run_energy(run.id);
    ASSERT_TRUE(whole && whole->counter_energy_mwh);
    const double whole_truth = 100.0 * 1000.0 * whole->duration_s / 3600.0;
    EXPECT_NEAR(*whole->counter_energy_mwh, whole_truth, 0.005 * whole_truth);
    // The epochs lie inside the run: the rest is "outside", never negative.
    EXPECT_LE(epochs_mwh, whole->energy_mwh * 1.001);
  }
}
#endif

}  // namespace
}  // namespace powertrain
