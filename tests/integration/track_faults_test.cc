// `powertrain track` when things go wrong: signals, commands that will not
// stop or cannot start, a database that is locked or a disk that is full.
// The command and its output must never be lost, nor the samples silently.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <regex>
#include <string>
#include <thread>

#include "powertrain/store/store.h"
#include "support/test_util.h"
#include "util/subprocess.h"

namespace powertrain {
namespace {

using testing::powertrain_binary;
using testing::run_program;
using testing::TempDir;

// Reads fd until `text` has been seen (or end of file); returns all read.
std::string read_until(int fd, const std::string& text, std::string so_far = "") {
  char buf[4096];
  while (so_far.find(text) == std::string::npos) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    so_far.append(buf, static_cast<size_t>(n));
  }
  return so_far;
}

std::string read_all(int fd) { return read_until(fd, std::string(1, '\0')); }

std::vector<std::string> track_args(const std::string& db, std::vector<std::string> extra,
                                    const std::string& script) {
  std::vector<std::string> argv = {powertrain_binary(), "track", "--interval", "0.05",
                                   "--sensors",         "model", "--db",       db};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.insert(argv.end(), {"--", "sh", "-c", script});
  return argv;
}

SpawnOptions captured(std::vector<std::string> argv) {
  SpawnOptions spawn;
  spawn.argv = std::move(argv);
  spawn.capture_stdout = true;
  spawn.capture_stderr = true;
  return spawn;
}

TEST(TrackFaults, ExitCodesAreThoseOfEnvAndTimeout) {
  TempDir dir;
  std::string db = dir / "t.db";
  testing::write_file(dir / "not-executable", "#!/bin/sh\necho hi\n");
  chmod((dir / "not-executable").c_str(), 0644);

  auto missing = run_program({powertrain_binary(), "track", "--sensors", "model", "--db", db, "--",
                              "powertrain-no-such-command"});
  EXPECT_EQ(missing.exit_code, 127) << missing.err;
  EXPECT_NE(missing.err.find("command not found"), std::string::npos) << missing.err;
  auto denied = run_program({powertrain_binary(), "track", "--sensors", "model", "--db", db, "--",
                             dir / "not-executable"});
  EXPECT_EQ(denied.exit_code, 126) << denied.err;
  EXPECT_NE(denied.err.find("Permission denied"), std::string::npos) << denied.err;
  auto signalled = run_program(track_args(db, {}, "kill -TERM $$"));
  EXPECT_EQ(signalled.exit_code, 128 + SIGTERM) << signalled.err;
  EXPECT_NE(signalled.err.find("command killed by SIGTERM"), std::string::npos) << signalled.err;
  auto failed = run_program(track_args(db, {}, "exit 3"));
  EXPECT_EQ(failed.exit_code, 3) << failed.err;

  Store store(db);
  auto runs = store.runs();
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs[0].exit_code, 127);
  EXPECT_EQ(runs[1].exit_code, 126);
  EXPECT_EQ(runs[2].exit_code, 128 + SIGTERM);
  EXPECT_EQ(runs[2].error, "command killed by SIGTERM");
  EXPECT_EQ(runs[3].exit_code, 3);
  EXPECT_EQ(runs[3].error, "command exited with status 3");
  for (const RunRecord& r : runs) EXPECT_EQ(r.status, RunStatus::kFailed);
}

TEST(TrackFaults, ACommandIgnoringSigtermIsKilledAfterKillAfter) {
  TempDir dir;
  Subprocess track(captured(track_args(dir / "t.db", {"--kill-after", "0.3"},
                                       "trap 'echo ignored TERM' TERM; echo Epoch 1; "
                                       "while :; do sleep 0.05; done")));
  std::string out = read_until(track.stdout_fd(), "Epoch 1");
  ::kill(track.pid(), SIGTERM);
  out += read_all(track.stdout_fd());
  std::string err = read_all(track.stderr_fd());
  EXPECT_EQ(track.wait(), 128 + SIGKILL) << err;
  EXPECT_NE(out.find("ignored TERM"), std::string::npos) << out;  // it did get the SIGTERM
  EXPECT_NE(err.find("still runs 0.3 s after SIGTERM: sending SIGKILL"), std::string::npos) << err;
  Store store(dir / "t.db");
  RunRecord run = store.runs().at(0);
  EXPECT_EQ(run.exit_code, 137);
  EXPECT_NE(run.error.find("killed by SIGKILL"), std::string::npos) << run.error;
  EXPECT_EQ(store.epochs(run.id).size(), 1u);
}

TEST(TrackFaults, ASecondSignalKillsAtOnce) {
  TempDir dir;
  // With an hour's grace only the second signal can end it.
  Subprocess track(captured(track_args(dir / "t.db", {"--kill-after", "3600"},
                                       "trap 'echo ignored' TERM INT; echo Epoch 1; "
                                       "while :; do sleep 0.05; done")));
  std::string out = read_until(track.stdout_fd(), "Epoch 1");
  ::kill(track.pid(), SIGTERM);
  out = read_until(track.stdout_fd(), "ignored", out);
  ::kill(track.pid(), SIGINT);
  std::string err = read_all(track.stderr_fd());
  EXPECT_EQ(track.wait(), 128 + SIGKILL) << err;
  EXPECT_NE(err.find("got a second SIGINT: sending SIGKILL"), std::string::npos) << err;
}

TEST(TrackFaults, EndsWithTheCommandNotWithAGrandchildHoldingItsOutput) {
  TempDir dir;
  auto r = run_program(track_args(dir / "t.db", {}, "sleep 30 & echo started"), {}, 25);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "started\n");
  // Had track waited for the end of its output, the sleep would be over and
  // not named here. (Named "sh" when seen between its fork and its exec.)
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.err, m, std::regex(R"(left behind.*: (\d+) \((sleep|sh)\))")))
      << r.err;
  ::kill(std::stoi(m[1]), SIGKILL);
}

TEST(TrackFaults, KillingTrackKillsTheCommand) {
  TempDir dir;
  Subprocess track(captured(track_args(dir / "t.db", {}, "echo pid $$; exec sleep 1000")));
  std::string out = read_until(track.stdout_fd(), "\n");
  pid_t child = std::stoi(out.substr(out.find(' ') + 1));
  ::kill(track.pid(), SIGKILL);
  track.wait();
  // PR_SET_PDEATHSIG: the command gets SIGKILL when track dies. A guard of
  // 10 s against a hang (the sleep would last 1000 s), not a timing.
  auto alive = [child] {
    if (::kill(child, 0) != 0) return false;
    try {
      return testing::slurp("/proc/" + std::to_string(child) + "/stat").find(") Z") ==
             std::string::npos;  // a zombie waiting for init is dead
    } catch (const std::exception&) {
      return false;
    }
  };
  for (int i = 0; i < 500 && alive(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  bool survived = alive();
  if (survived) ::kill(child, SIGKILL);
  EXPECT_FALSE(survived) << "the command outlived a kill -9 of track";
}

// Holds a write lock on the database, as another writer would.
class WriteLock {
 public:
  explicit WriteLock(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
    sqlite3_busy_timeout(db_, 5000);
    EXPECT_EQ(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  }
  ~WriteLock() {
    sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
  }

 private:
  sqlite3* db_ = nullptr;
};

TEST(TrackFaults, ADatabaseLockedLongerThanTheBusyTimeoutLosesNothing) {
  TempDir dir;
  std::string db = dir / "t.db";
  Subprocess track(captured(track_args(db, {"--db-timeout", "0.1"},
                                       "for i in 1 2 3 4 5 6; do echo Epoch $i; sleep 0.3; done")));
  std::string out = read_until(track.stdout_fd(), "Epoch 1");
  {
    WriteLock lock(db);
    // The command's output keeps flowing while the database is locked, for
    // many times the 0.1 s busy timeout.
    out = read_until(track.stdout_fd(), "Epoch 5", out);
    EXPECT_NE(out.find("Epoch 5"), std::string::npos);
  }
  out += read_all(track.stdout_fd());
  std::string err = read_all(track.stderr_fd());
  ASSERT_EQ(track.wait(), 0) << err;
  EXPECT_EQ(out, "Epoch 1\nEpoch 2\nEpoch 3\nEpoch 4\nEpoch 5\nEpoch 6\n");
  Store store(db);
  RunRecord run = store.runs().at(0);
  EXPECT_EQ(run.status, RunStatus::kDone) << run.error;
  EXPECT_EQ(store.epochs(run.id).size(), 6u);
  // Every interval has its sample: no gap where the lock was.
  std::vector<Sample> samples = store.samples(run.id);
  ASSERT_GT(samples.size(), 20u);
  double widest = 0;
  for (size_t i = 1; i < samples.size(); ++i) {
    widest = std::max(widest, samples[i].mono_s - samples[i - 1].mono_s);
  }
  EXPECT_LT(widest, 0.5) << "a gap of " << widest << " s in the samples";
}

TEST(TrackFaults, ADatabaseThatStaysLockedEndsWithAClearErrorAndTheCommandUntouched) {
  TempDir dir;
  std::string db = dir / "t.db";
  Subprocess track(captured(track_args(db, {"--db-timeout", "0.1"},
                                       "echo Epoch 1; sleep 0.3; echo Epoch 2; sleep 0.3; "
                                       "echo finished; exit 0")));
  std::string out = read_until(track.stdout_fd(), "Epoch 1");
  WriteLock lock(db);
  out += read_all(track.stdout_fd());
  std::string err = read_all(track.stderr_fd());
  EXPECT_EQ(track.wait(), 74) << err;
  EXPECT_EQ(out, "Epoch 1\nEpoch 2\nfinished\n");  // the command ran to its end
  EXPECT_NE(err.find("powertrain: error: could not write"), std::string::npos) << err;
  EXPECT_NE(err.find(db + ": database is locked"), std::string::npos) << err;
  EXPECT_NE(err.find("the command exited with status 0"), std::string::npos) << err;
  EXPECT_EQ(err.find("terminate"), std::string::npos) << err;
}

TEST(TrackFaults, AFullDiskEndsWithAClearErrorAndTheCommandUntouched) {
  TempDir dir;
  std::string db = dir / "t.db";
  // Files may grow to 200 kB: enough for the database to be created, not
  // for 0.01 s samples over a second and a half.
  std::vector<std::string> argv = {
      "prlimit",
      "--fsize=200000",
      powertrain_binary(),
      "track",
      "--interval",
      "0.01",
      "--sensors",
      "model",
      "--db",
      db,
      "--",
      "sh",
      "-c",
      "for i in 1 2 3; do echo Epoch $i; sleep 0.5; done; echo finished"};
  auto r = run_program(argv);
  EXPECT_EQ(r.exit_code, 74) << r.err;
  EXPECT_EQ(r.out, "Epoch 1\nEpoch 2\nEpoch 3\nfinished\n");
  EXPECT_NE(r.err.find("powertrain: error: could not write"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("to " + db + ": "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the command exited with status 0"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("terminate"), std::string::npos) << r.err;
  // The table was still computed from the samples kept in memory.
  EXPECT_NE(r.err.find("3 epoch(s)"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace powertrain
