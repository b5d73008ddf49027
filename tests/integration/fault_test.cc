// The program under faults, as a user meets them: a full disk, a read-only
// folder, a locked, empty, foreign or corrupt database, truncated data, and
// options out of range. Each must end in one clear error that names the file
// and the reason, change nothing it should not, and leave no partial file.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "powertrain/store/store.h"
#include "support/test_util.h"

namespace powertrain {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using ::testing::HasSubstr;
using testing::TempDir;

CommandResult pt(const std::vector<std::string>& args,
                 const std::vector<std::pair<std::string, std::string>>& env = {}) {
  std::vector<std::string> argv = {testing::powertrain_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return testing::run_program(argv, env);
}

// Runs powertrain with a file size limit (RLIMIT_FSIZE) of `blocks` x 512
// bytes; SIGXFSZ is ignored so that a write past it fails with EFBIG, as on
// a full disk, instead of killing the process.
CommandResult pt_with_file_limit(int blocks, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {
      "/bin/sh", "-c",
      "trap '' XFSZ; ulimit -f " + std::to_string(blocks) + " && exec \"$0\" \"$@\"",
      testing::powertrain_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return testing::run_program(argv);
}

// Runs powertrain as a user who cannot write `dir` (chmod 0555; as root, the
// program runs as nobody, since root ignores permission bits).
CommandResult pt_unprivileged(const std::vector<std::string>& args,
                              const std::vector<std::pair<std::string, std::string>>& env = {}) {
  std::vector<std::string> argv;
  if (::geteuid() == 0)
    argv = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"};
  argv.push_back(testing::powertrain_binary());
  argv.insert(argv.end(), args.begin(), args.end());
  return testing::run_program(argv, env);
}

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

size_t lines(const std::string& text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

// A database with one run, `epochs` epochs and `samples` samples.
void make_db(const std::string& path, int epochs, int samples) {
  Store store(path);
  RunRecord run;
  run.kind = "track";
  run.command = "sleep";
  run.status = RunStatus::kDone;
  run.started_at_s = 1700000000;
  run.ended_at_s = 1700000100;
  int64_t id = store.add_run(run);
  for (int e = 1; e <= epochs; ++e) {
    EpochRecord epoch;
    epoch.run_id = id;
    epoch.epoch = e;
    epoch.started_at_s = 1700000000 + e;
    epoch.duration_s = 1;
    epoch.energy_mwh = 2.5 * e;
    epoch.mean_power_mw = 9000;
    epoch.n_samples = 10;
    epoch.coverage = 1;
    store.put_epoch(epoch);
  }
  std::vector<Sample> rows;
  for (int i = 0; i < samples; ++i) {
    Sample s;
    s.run_id = id;
    s.wall_time_s = 1700000000 + i * 0.1;
    s.mono_s = i * 0.1;
    s.epoch = 1;
    s.sensor = "model";
    s.reading.device = "cpu";
    s.reading.power_mw = 9000 + i;
    rows.push_back(s);
  }
  store.add_samples(rows);
}

TEST(FaultDiskFull, ExportSaysWhyAndLeavesNoPartialFile) {
  TempDir dir;
  make_db(dir / "runs.db", 3, 200);
  auto whole = pt({"export", dir / "runs.db", "--samples", dir / "whole.csv"});
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  EXPECT_EQ(lines(testing::slurp(dir / "whole.csv")), 201u);  // header + 200 samples
  ASSERT_GT(testing::slurp(dir / "whole.csv").size(), 4096u);
  fs::remove(dir / "whole.csv");
  auto full = pt_with_file_limit(2, {"export", dir / "runs.db", "--samples", dir / "out.csv"});
  EXPECT_EQ(full.exit_code, 1);
  EXPECT_EQ(full.err,
            "powertrain: error: cannot write '" + (dir / "out.csv") + "': File too large\n");
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"runs.db"});
}

TEST(FaultDiskFull, SynthLeavesNoTemporaryFiles) {
  TempDir dir;
  auto full = pt_with_file_limit(
      64, {"synth", "pamap2", "--out", dir.path(), "--subjects", "101", "--minutes", "0.5"});
  EXPECT_EQ(full.exit_code, 1);
  EXPECT_EQ(full.err, "powertrain: error: cannot write '" + (dir / "Protocol/subject101.dat") +
                          "': File too large\n");
  EXPECT_TRUE(names_in(dir / "Protocol").empty());  // no .tmp files, no half subject file
}

TEST(FaultDiskFull, ReportOutSaysWhyAndLeavesNoPartialFile) {
  TempDir dir;
  make_db(dir / "runs.db", 3, 10);
  auto whole = pt({"report", dir / "runs.db", "--format", "md", "--out", dir / "whole"});
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  ASSERT_GT(fs::file_size(dir / "whole/report.md"), 2048u);
  auto full =
      pt_with_file_limit(2, {"report", dir / "runs.db", "--format", "md", "--out", dir / "out"});
  EXPECT_EQ(full.exit_code, 1);
  EXPECT_EQ(full.err,
            "powertrain: error: cannot write '" + (dir / "out/report.md") + "': File too large\n");
  EXPECT_TRUE(names_in(dir / "out").empty());
}

TEST(FaultDiskFull, ATmpfsThatFillsUpSaysNoSpaceLeft) {
  if (::geteuid() != 0 || ::access("/usr/bin/unshare", X_OK) != 0)
    GTEST_SKIP() << "needs root and unshare";
  TempDir dir;
  // A private mount namespace: the 64 KiB tmpfs disappears with the shell.
  auto result = testing::run_program({"unshare", "-m", "/bin/sh", "-c",
                                      "mount -t tmpfs -o size=64k tmpfs \"$1\" || exit 77; \"$0\" "
                                      "synth pamap2 --out \"$1\" --subjects 101 "
                                      "--minutes 0.5; rc=$?; ls -A \"$1/Protocol\"; exit $rc",
                                      testing::powertrain_binary(), dir.path()});
  if (result.exit_code == 77) GTEST_SKIP() << "cannot mount a tmpfs here: " << result.err;
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("cannot write '" + (dir / "Protocol/subject101.dat") +
                                    "': No space left on device"));
  EXPECT_EQ(result.out, "");  // ls: nothing left in Protocol/
}

TEST(FaultReadOnly, ReadingCommandsWorkInAFolderTheUserCannotWrite) {
  TempDir dir, out;
  fs::create_directories(dir / "shared");
  make_db(dir / "shared/runs.db", 3, 10);
  const std::string before = testing::slurp(dir / "shared/runs.db");
  ::chmod((dir / "shared").c_str(), 0555);
  ::chmod(dir.path().c_str(), 0755);
  ::chmod(out.path().c_str(), 0777);
  auto report = pt_unprivileged({"report", dir / "shared/runs.db"});
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_THAT(report.out, HasSubstr(dir / "shared/runs.db"));
  auto exported =
      pt_unprivileged({"export", dir / "shared/runs.db", "--epochs", out / "epochs.csv"});
  EXPECT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(lines(testing::slurp(out / "epochs.csv")), 4u);  // header + 3 epochs
  ::chmod((dir / "shared").c_str(), 0755);
  EXPECT_EQ(names_in(dir / "shared"), std::vector<std::string>{"runs.db"});
  EXPECT_EQ(testing::slurp(dir / "shared/runs.db"), before);
}

TEST(FaultReadOnly, StatusOfASweepInAFolderTheUserCannotWrite) {
  TempDir dir;
  fs::create_directories(dir / "data/Protocol");
  fs::create_directories(dir / "shared");
  const std::string experiment = std::string(POWERTRAIN_SOURCE_DIR) + "/experiments/quick.toml";
  auto sweep = pt({"sweep", experiment, "--data", dir / "data", "--db", dir / "shared/quick.db",
                   "--simulate-ms", "1", "--simulate-epochs", "1", "--max-runs", "3"});
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  const std::string before = testing::slurp(dir / "shared/quick.db");
  ::chmod((dir / "shared").c_str(), 0555);
  ::chmod(dir.path().c_str(), 0755);
  auto status = pt_unprivileged({"status", experiment, "--db", dir / "shared/quick.db"});
  ::chmod((dir / "shared").c_str(), 0755);
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("3/16 runs finished"));  // quick.toml: 16 setups x 1 repeat
  EXPECT_EQ(names_in(dir / "shared"), std::vector<std::string>{"quick.db"});
  EXPECT_EQ(testing::slurp(dir / "shared/quick.db"), before);
  testing::write_file(dir / "empty.db", "");
  auto empty = pt({"status", experiment, "--db", dir / "empty.db"});
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_EQ(empty.err, "powertrain: error: cannot open database '" + (dir / "empty.db") +
                           "': empty file (0 bytes), not a powertrain database\n");
  EXPECT_EQ(fs::file_size(dir / "empty.db"), 0u);
}

TEST(FaultReadOnly, ReadingCommandsCreateNothingBesideADatabase) {
  TempDir dir;
  make_db(dir / "runs.db", 2, 5);
  const std::string before = testing::slurp(dir / "runs.db");
  EXPECT_EQ(pt({"report", dir / "runs.db"}).exit_code, 0);
  EXPECT_EQ(pt({"export", dir / "runs.db", "--epochs", dir / "e.csv"}).exit_code, 0);
  EXPECT_EQ(names_in(dir.path()),
            (std::vector<std::string>{"e.csv", "runs.db"}));  // no -wal, no -shm
  EXPECT_EQ(testing::slurp(dir / "runs.db"), before);
}

TEST(FaultReadOnly, DataCheckOnAReadOnlyDataSetCachesInTheCacheFolder) {
  TempDir data, cache;
  ASSERT_EQ(
      pt({"synth", "pamap2", "--out", data.path(), "--subjects", "101,105,106", "--minutes", "0.5"})
          .exit_code,
      0);
  ::chmod(data.path().c_str(), 0555);
  ::chmod((data / "Protocol").c_str(), 0555);
  ::chmod(cache.path().c_str(), 0777);
  const std::vector<std::pair<std::string, std::string>> env = {{"XDG_CACHE_HOME", cache.path()}};
  auto check = pt_unprivileged({"data", "check", "pamap2", data.path(), "--drop", "none"}, env);
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_THAT(check.out, HasSubstr("cache: " + (cache / "powertrain/pamap2-")));
  EXPECT_THAT(check.out, HasSubstr("(written)"));
  auto again = pt_unprivileged({"data", "check", "pamap2", data.path(), "--drop", "none"}, env);
  EXPECT_THAT(again.out, HasSubstr("(read)"));
  auto off = pt_unprivileged({"data", "check", "pamap2", data.path(), "--drop", "none",
                              "--no-cache", "--window-length", "50"},
                             env);
  EXPECT_EQ(off.exit_code, 0) << off.err;
  EXPECT_THAT(off.out, HasSubstr("cache: off\n"));
  EXPECT_EQ(names_in(cache / "powertrain").size(), 1u);  // --no-cache wrote nothing
  ::chmod(data.path().c_str(), 0755);
  EXPECT_EQ(names_in(data.path()), std::vector<std::string>{"Protocol"});
  ::chmod((data / "Protocol").c_str(), 0755);
}

TEST(FaultReadOnly, AnUnreadableProtocolFolderIsNamedWithTheReason) {
  TempDir data;
  ASSERT_EQ(pt({"synth", "pamap2", "--out", data.path(), "--subjects", "101", "--minutes", "0.2"})
                .exit_code,
            0);
  ::chmod(data.path().c_str(), 0755);
  ::chmod((data / "Protocol").c_str(), 0);
  auto check = pt_unprivileged({"data", "check", "pamap2", data.path(), "--no-cache"});
  ::chmod((data / "Protocol").c_str(), 0755);
  EXPECT_EQ(check.exit_code, 1);
  EXPECT_EQ(check.err, "powertrain: error: cannot list PAMAP2 folder '" + (data / "Protocol") +
                           "': Permission denied\n");
}

TEST(FaultDatabase, ALockedDatabaseStillReadsItsCommittedRows) {
  TempDir dir;
  make_db(dir / "runs.db", 3, 5);
  // Another process holds the write lock, with an uncommitted fourth epoch.
  Store writer(dir / "runs.db");
  writer.exec("BEGIN IMMEDIATE");
  writer.exec(
      "INSERT INTO epochs(run_id, epoch, started_at, duration_s, energy_mwh, mean_power_mw, "
      "n_samples, "
      "coverage, source) VALUES(1, 4, 1700000004, 1, 10, 9000, 10, 1, 'sampled')");
  auto exported = pt({"export", dir / "runs.db", "--epochs", dir / "e.csv"});
  writer.exec("ROLLBACK");
  EXPECT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(lines(testing::slurp(dir / "e.csv")), 4u);  // header + the 3 committed epochs
}

TEST(FaultDatabase, EmptyForeignAndCorruptFilesAreRefusedByNameAndLeftAlone) {
  TempDir dir;
  testing::write_file(dir / "empty.db", "");
  for (const char* command : {"report", "export"}) {
    std::vector<std::string> args = {command, dir / "empty.db"};
    if (std::string(command) == "export") args.insert(args.end(), {"--epochs", dir / "e.csv"});
    auto r = pt(args);
    EXPECT_EQ(r.exit_code, 1) << command;
    EXPECT_EQ(r.err, "powertrain: error: cannot open database '" + (dir / "empty.db") +
                         "': empty file (0 bytes), not a powertrain database\n")
        << command;
  }
  EXPECT_EQ(fs::file_size(dir / "empty.db"), 0u);  // used to grow to 45 kB of schema
  testing::write_file(dir / "notes.db", "these are my notes, not a database\n");
  auto foreign = pt({"report", dir / "notes.db"});
  EXPECT_EQ(foreign.err, "powertrain: error: cannot open database '" + (dir / "notes.db") +
                             "': not a powertrain database (not an SQLite file)\n");
  sqlite3* other = nullptr;  // an SQLite file of another program
  ASSERT_EQ(sqlite3_open((dir / "other.db").c_str(), &other), SQLITE_OK);
  sqlite3_exec(other, "CREATE TABLE notes(text)", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  auto foreign_sqlite = pt({"export", dir / "other.db", "--epochs", dir / "e.csv"});
  EXPECT_EQ(foreign_sqlite.err,
            "powertrain: error: cannot use database '" + (dir / "other.db") +
                "': not a powertrain database (an SQLite file without its tables)\n");
  make_db(dir / "runs.db", 3, 2000);
  const std::string whole = testing::slurp(dir / "runs.db");
  ASSERT_GT(whole.size(), 32768u);
  testing::write_file(dir / "cut.db", whole.substr(0, 16384));  // a copy that was cut short
  auto cut = pt({"report", dir / "cut.db"});
  EXPECT_EQ(cut.exit_code, 1);
  EXPECT_EQ(cut.err, "powertrain: error: cannot use database '" + (dir / "cut.db") +
                         "': database disk image is malformed\n");
  EXPECT_EQ(count(cut.err, dir / "cut.db"), 1u);  // the path once, not twice
  EXPECT_EQ(names_in(dir.path()),
            (std::vector<std::string>{"cut.db", "empty.db", "notes.db", "other.db", "runs.db"}));
}

TEST(FaultData, ATruncatedSubjectFileNamesItsLastLine) {
  TempDir data;
  ASSERT_EQ(pt({"synth", "pamap2", "--out", data.path(), "--subjects", "101", "--minutes", "0.2"})
                .exit_code,
            0);
  std::string text = testing::slurp(data / "Protocol/subject101.dat");
  const size_t rows = lines(text);  // 0.2 min at 100 Hz
  ASSERT_EQ(rows, 1200u);
  size_t cut = text.rfind(' ', text.size() - 200);  // mid-way through the last line
  testing::write_file(data / "Protocol/subject101.dat", text.substr(0, cut));
  auto check = pt({"data", "check", "pamap2", data.path(), "--no-cache", "--validate", "none",
                   "--test", "none"});
  EXPECT_EQ(check.exit_code, 2);
  EXPECT_THAT(check.err,
              ::testing::StartsWith("powertrain: error: " + (data / "Protocol/subject101.dat") +
                                    ":1200: expected 54 columns, got "));
}

TEST(FaultData, DataCheckFailsWhereTrainingWouldOnAnEmptiedValidationSubject) {
  TempDir data;
  ASSERT_EQ(
      pt({"synth", "pamap2", "--out", data.path(), "--subjects", "101,105,106", "--minutes", "0.2"})
          .exit_code,
      0);
  // hand.acc16.x (column 5) missing in every row of the validation subject.
  std::string text = testing::slurp(data / "Protocol/subject105.dat"), out;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    std::string line = text.substr(start, end - start);
    size_t at = 0;
    for (int column = 1; column < 5; ++column) at = line.find(' ', at) + 1;
    line.replace(at, line.find(' ', at) - at, "NaN");
    out += line + "\n";
    start = end + 1;
  }
  testing::write_file(data / "Protocol/subject105.dat", out);
  auto check = pt({"data", "check", "pamap2", data.path(), "--no-cache", "--drop", "none"});
  EXPECT_EQ(check.exit_code, 2);  // used to exit 0 with "validation 0"
  EXPECT_EQ(
      check.err,
      "powertrain: error: " + data.path() +
          ": PAMAP2 validation subject 105 yields no windows: selected channel(s) hand.acc16.x "
          "are NaN in every row, so every row is dropped\n");
  auto none = pt({"data", "check", "pamap2", data.path(), "--no-cache", "--drop", "105",
                  "--validate", "none"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_EQ(
      none.err,
      "powertrain: error: " + data.path() +
          ": PAMAP2 validation split has no windows, so training on these settings would fail "
          "(check --validate)\n");
}

TEST(FaultOptions, OutOfRangeOptionsAreRefusedByName) {
  TempDir dir;
  make_db(dir / "runs.db", 1, 1);
  for (const char* bad : {"nan", "-50", "inf"}) {
    auto r = pt({"report", dir / "runs.db", "--target-tolerance", bad});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_EQ(r.err,
              std::string(
                  "powertrain: error: --target-tolerance: expected a finite number >= 0 (accuracy "
                  "points), got ") +
                  bad + "\n");
  }
  const std::string experiment = std::string(POWERTRAIN_SOURCE_DIR) + "/experiments/quick.toml";
  auto shard = pt({"status", experiment, "--db", dir / "none.db", "--shard", "1/99999999999"});
  EXPECT_EQ(shard.exit_code, 2);
  EXPECT_EQ(shard.err,
            "powertrain: error: --shard: N must be at most 100000, got '1/99999999999'\n");
  auto wrapped =
      pt({"status", experiment, "--db", dir / "none.db", "--shard", "4294967297/4294967298"});
  EXPECT_EQ(wrapped.exit_code, 2);  // used to wrap to 1/2
}

TEST(FaultOptions, AGridOfTooManyRunsIsRefusedBeforeAllocation) {
  TempDir dir;
  const std::string quick =
      testing::slurp(std::string(POWERTRAIN_SOURCE_DIR) + "/experiments/quick.toml");
  fs::create_directories(dir / "data/Protocol");
  auto dry_run = [&](const std::string& name, const std::string& text) {
    testing::write_file(dir / name, text);
    return pt({"sweep", dir / name, "--dry-run", "--data", dir / "data", "--db", dir / "big.db"});
  };
  // A typo in repeats is refused by the file check, naming file, line and key.
  std::string typo = quick;
  size_t at = typo.find("repeats = 1\n");
  ASSERT_NE(at, std::string::npos);
  typo.replace(at, 12, "repeats = 100000000\n");
  auto r = dry_run("typo.toml", typo);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "powertrain: error: " + (dir / "typo.toml") +
                       ":11: 'repeats' must lie in [1, 1000], got 100000000\n");
  // Settings each within range can still multiply past the plan's limit:
  // 1000 repeats x 32 batch sizes x 32 learning rates = 1,024,000 runs.
  std::string grid = quick;
  grid.replace(grid.find("repeats = 1\n"), 12, "repeats = 1000\n");
  std::string sizes, rates;
  for (int i = 1; i <= 32; ++i) {
    sizes += (i > 1 ? ", " : "") + std::to_string(16 * i);
    rates += (i > 1 ? ", " : "") + fmt::format("{:g}", 0.001 * i);
  }
  auto replace = [&grid](const std::string& from, const std::string& to) {
    size_t at = grid.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    grid.replace(at, from.size(), to);
  };
  replace("batch_sizes = [64, 256, 1024, 4096]", "batch_sizes = [" + sizes + "]");
  replace("learning_rates = [0.1, 0.01, 0.001, 0.0001]", "learning_rates = [" + rates + "]");
  r = dry_run("grid.toml", grid);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "powertrain: error: " + (dir / "grid.toml") +
                       ": 1000 repeats x 32 batch sizes x 32 learning rates x 1 roles = 1024000 "
                       "runs, more than the limit of 1000000\n");
  EXPECT_FALSE(fs::exists(dir / "big.db"));
}

}  // namespace
}  // namespace powertrain
