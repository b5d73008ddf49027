// `powertrain track` and `powertrain devices` run as a user runs them.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "powertrain/store/store.h"
#include "support/test_util.h"
#include "util/subprocess.h"

namespace powertrain {
namespace {

using testing::powertrain_binary;
using testing::run_program;
using testing::TempDir;
using testing::write_file;

// The per-epoch rows of the printed table: epoch number -> energy mWh.
std::vector<std::pair<int, double>> epoch_rows(const std::string& err) {
  std::vector<std::pair<int, double>> rows;
  std::regex row(R"(^\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s)");
  std::istringstream in(err);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, row)) rows.emplace_back(std::stoi(m[1]), std::stod(m[4]));
  }
  return rows;
}

double total_row(const std::string& err, const std::string& label) {
  std::smatch m;
  std::regex re("\\n\\s+" + label + R"(\s+[\d.]+\s+([\d.]+))");
  if (!std::regex_search(err, m, re)) return -1;
  return std::stod(m[1]);
}

TEST(TrackCli, SplitsEpochsFromOutputAndReturnsTheChildsExitCode) {
  TempDir dir;
  auto r = run_program({powertrain_binary(), "track", "--interval", "0.05", "--sensors", "model",
                        "--db", dir / "t.db", "--", "sh", "-c",
                        "for i in 1 2 3; do echo \"Epoch $i/3\"; echo progress; sleep 0.2; done; "
                        "echo done >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  // Output passes through unchanged.
  EXPECT_EQ(r.out, "Epoch 1/3\nprogress\nEpoch 2/3\nprogress\nEpoch 3/3\nprogress\n");
  EXPECT_EQ(r.err.rfind("done\n", 0), 0u) << r.err;
  auto rows = epoch_rows(r.err);
  ASSERT_EQ(rows.size(), 3u) << r.err;
  double sum = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].first, static_cast<int>(i + 1));
    EXPECT_GT(rows[i].second, 0);
    sum += rows[i].second;
  }
  EXPECT_NEAR(total_row(r.err, "epochs"), sum, 2e-4) << r.err;
  EXPECT_GE(total_row(r.err, "total"), total_row(r.err, "epochs"));
  EXPECT_NE(r.err.find("modelled"), std::string::npos);

  Store store(dir / "t.db");
  auto runs = store.runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, RunStatus::kFailed);  // non-zero exit
  EXPECT_EQ(runs[0].exit_code, 3);
  auto epochs = store.epochs(runs[0].id);
  ASSERT_EQ(epochs.size(), 3u);
  double stored = 0;
  for (const auto& e : epochs) {
    stored += e.energy_mwh;
    EXPECT_EQ(e.source, EnergySource::kModelled);
  }
  EXPECT_NEAR(stored, sum, 2e-4);
  EXPECT_GT(store.sample_count(runs[0].id), 6);
}

TEST(TrackCli, MarkerFileSplitsEpochsAndPhases) {
  TempDir dir;
  auto r = run_program({powertrain_binary(), "track", "--interval", "0.05", "--sensors", "model",
                        "--db", dir / "t.db", "--", "sh", "-c",
                        "for i in 1 2; do echo \"epoch $i\" >> \"$POWERTRAIN_MARKER_FILE\"; "
                        "sleep 0.15; echo 'phase validate' >> \"$POWERTRAIN_MARKER_FILE\"; "
                        "sleep 0.15; done; echo end >> \"$POWERTRAIN_MARKER_FILE\"; "
                        "echo 'Epoch 99 is ignored once markers are used'"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("from the marker file"), std::string::npos) << r.err;
  auto rows = epoch_rows(r.err);
  ASSERT_EQ(rows.size(), 2u) << r.err;
  Store store(dir / "t.db");
  int64_t id = store.runs()[0].id;
  int validate = 0;
  for (const Sample& s : store.samples(id)) validate += s.phase == Phase::kValidate;
  EXPECT_GT(validate, 0);
}

TEST(TrackCli, ForwardsSigtermToTheCommand) {
  TempDir dir;
  SpawnOptions spawn;
  spawn.argv = {powertrain_binary(),
                "track",
                "--interval",
                "0.05",
                "--sensors",
                "model",
                "--db",
                dir / "t.db",
                "--",
                "sh",
                "-c",
                "trap 'echo got-term; exit 7' TERM; echo Epoch 1; while :; do sleep 0.05; done"};
  spawn.capture_stdout = true;
  spawn.capture_stderr = true;
  Subprocess p(spawn);
  std::string out;
  char buf[256];
  while (out.find("Epoch 1") == std::string::npos) {
    ssize_t n = read(p.stdout_fd(), buf, sizeof(buf));
    ASSERT_GT(n, 0);
    out.append(buf, n);
  }
  ::kill(p.pid(), SIGTERM);
  ssize_t n;
  while ((n = read(p.stdout_fd(), buf, sizeof(buf))) > 0) out.append(buf, n);
  EXPECT_EQ(p.wait(), 7);
  EXPECT_NE(out.find("got-term"), std::string::npos);
  Store store(dir / "t.db");
  EXPECT_EQ(store.epochs(store.runs()[0].id).size(), 1u);
}

TEST(TrackCli, BadInputIsOneClearLineAndNothingRecordedIsLost) {
  TempDir dir;
  std::string db = dir / "t.db";
  auto ok = run_program({powertrain_binary(), "track", "--sensors", "model", "--interval", "0.05",
                         "--db", db, "--", "true"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;

  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  std::vector<Case> cases = {
      {{"--interval", "0"}, "interval"},
      {{"--interval", "-1"}, "interval"},
      {{"--sensors", "thermometer"}, "known: nvml, rapl, powermetrics, model"},
      {{"--epoch-regex", ""}, "--epoch-regex is empty"},
      {{"--epoch-regex", "("}, "not a valid regular expression"},
      {{"--db", "/nonexistent/dir/x.db"}, "/nonexistent/dir/x.db"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {powertrain_binary(), "track"};
    if (c.args[0] != "--db") argv.insert(argv.end(), {"--db", db});
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    argv.insert(argv.end(), {"--", "true"});
    auto r = run_program(argv);
    EXPECT_NE(r.exit_code, 0) << c.says;
    EXPECT_NE(r.err.find("powertrain: error: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  auto missing = run_program({powertrain_binary(), "track", "--sensors", "model", "--db", db, "--",
                              "powertrain-no-such-command"});
  EXPECT_EQ(missing.exit_code, 127);
  EXPECT_NE(missing.err.find("powertrain-no-such-command"), std::string::npos) << missing.err;

  Store store(db);
  auto runs = store.runs();
  ASSERT_EQ(runs.size(), 2u);  // the good run, and the failed start recorded as failed
  EXPECT_EQ(runs[0].status, RunStatus::kDone);
  EXPECT_EQ(runs[1].status, RunStatus::kFailed);
  EXPECT_NE(runs[1].error.find("powertrain-no-such-command"), std::string::npos);
  EXPECT_EQ(runs[1].exit_code, 127);
}

// Every option is checked before anything runs: the error names the option,
// and no run is recorded.
TEST(TrackCli, EveryOptionIsCheckedBeforeAnythingRuns) {
  TempDir dir;
  std::string db = dir / "t.db";
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  std::vector<Case> cases = {
      {{"--cpu-tdp", "-500"}, "--cpu-tdp -500"},
      {{"--cpu-tdp", "0"}, "--cpu-tdp 0"},
      {{"--pue", "0.5"}, "--pue 0.5"},
      {{"--pue", "9"}, "--pue 9"},
      {{"--interval", "100"}, "--interval 100"},
      {{"--interval", "0.001"}, "--interval 0.001"},
      {{"--kill-after", "-1"}, "--kill-after -1"},
      {{"--db-timeout", "-2"}, "--db-timeout -2"},
      {{"--epoch-at", "middle"}, "--epoch-at 'middle'"},
      {{"--db", ""}, "--db is empty"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {powertrain_binary(), "track", "--sensors", "model"};
    if (c.args[0] != "--db") argv.insert(argv.end(), {"--db", db});
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    // The command would leave a file behind if it ran.
    argv.insert(argv.end(), {"--", "touch", dir / "ran"});
    auto r = run_program(argv);
    EXPECT_EQ(r.exit_code, 2) << c.says << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("powertrain: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(access((dir / "ran").c_str(), F_OK), 0) << c.says << ": the command ran";
    EXPECT_NE(access(db.c_str(), F_OK), 0) << c.says << ": a database was created";
  }
}

// The issue's done-when: a Python script under /usr/bin/python3 that prints
// "Epoch N/5 loss ..." at the END of each epoch, with its own timing of the
// epoch, tracked with --epoch-at end and no PYTHONUNBUFFERED: every epoch's
// duration within 5 % of the script's own figure.
constexpr const char* kEndOfEpochScript = R"(import time
print("Training 5 epochs on cpu")
start = time.monotonic()
for epoch in range(1, 6):
    time.sleep(0.3 + 0.1 * epoch)
    now = time.monotonic()
    print(f"Epoch {epoch}/5 loss {1.0 / epoch:.4f} took {now - start:.6f}")
    start = now
print("Best epoch: 2")
time.sleep(0.3)
)";

std::map<int, double> script_timings(const std::string& out) {
  std::map<int, double> took;
  std::regex line(R"(Epoch (\d+)/5 loss [\d.]+ took ([\d.]+))");
  for (std::sregex_iterator it(out.begin(), out.end(), line), end; it != end; ++it) {
    took[std::stoi((*it)[1])] = std::stod((*it)[2]);
  }
  return took;
}

TEST(TrackCli, EpochAtEndGivesThePythonScriptsOwnEpochDurations) {
  TempDir dir;
  write_file(dir / "train.py", kEndOfEpochScript);
  // No PYTHONUNBUFFERED, whatever the test's own environment has.
  auto r = run_program({"/usr/bin/env", "-u", "PYTHONUNBUFFERED", powertrain_binary(), "track",
                        "--epoch-at", "end", "--interval", "0.05", "--sensors", "model", "--db",
                        dir / "t.db", "--", "/usr/bin/python3", dir / "train.py"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::map<int, double> truth = script_timings(r.out);
  ASSERT_EQ(truth.size(), 5u) << r.out;
  Store store(dir / "t.db");
  auto epochs = store.epochs(store.runs()[0].id);
  ASSERT_EQ(epochs.size(), 5u) << r.err;
  for (const EpochRecord& e : epochs) {
    ASSERT_TRUE(truth.count(e.epoch)) << e.epoch;
    double want = truth[e.epoch];  // 0.4 .. 0.8 s
    EXPECT_NEAR(e.duration_s, want, 0.05 * want) << "epoch " << e.epoch << "\n" << r.err;
  }
  // "Best epoch: 2" goes backwards: a warning, not a new epoch 2.
  EXPECT_NE(r.err.find("1 epoch line(s) ignored"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Best epoch: 2"), std::string::npos) << r.err;
  // The teardown after the last epoch line is outside (the 0.3 s sleep at least).
  EXPECT_GE(total_row(r.err, "outside"), 0.29) << r.err;
}

// The control: the same script with --no-unbuffer is block-buffered, every
// line arrives at exit, and the epochs collapse (and say so).
TEST(TrackCli, WithoutUnbufferPythonsEpochLinesArriveAtTheEnd) {
  TempDir dir;
  write_file(dir / "train.py", kEndOfEpochScript);
  auto r = run_program({"/usr/bin/env", "-u", "PYTHONUNBUFFERED", powertrain_binary(), "track",
                        "--no-unbuffer", "--epoch-at", "end", "--interval", "0.05", "--sensors",
                        "model", "--db", dir / "t.db", "--", "/usr/bin/python3", dir / "train.py"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Store store(dir / "t.db");
  double longest = 0;
  for (const EpochRecord& e : store.epochs(store.runs()[0].id))
    longest = std::max(longest, e.duration_s);
  EXPECT_LT(longest, 0.2) << r.err;  // the script's shortest epoch is 0.4 s
  EXPECT_NE(r.err.find("outside every epoch"), std::string::npos) << r.err;
}

TEST(TrackCli, RepeatedOrBackwardsEpochNumbersAreAWarningNotAnEpoch) {
  TempDir dir;
  auto r = run_program({powertrain_binary(), "track", "--interval", "0.05", "--sensors", "model",
                        "--db", dir / "t.db", "--", "sh", "-c",
                        "echo 'Epoch 1'; sleep 0.1; echo 'Epoch 1 50%'; sleep 0.1; echo 'Epoch 2'; "
                        "sleep 0.1; echo 'Epoch 1 again'; echo 'best epoch: 1'; sleep 0.1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = epoch_rows(r.err);
  ASSERT_EQ(rows.size(), 2u) << r.err;
  EXPECT_EQ(rows[0].first, 1);
  EXPECT_EQ(rows[1].first, 2);
  // The repeat of the open epoch is a progress line; 1 and 2 after 2 are not.
  EXPECT_NE(r.err.find("2 epoch line(s) ignored"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'Epoch 1 again'"), std::string::npos) << r.err;
}

TEST(TrackCli, EpochsShorterThanOneIntervalGetAWarning) {
  TempDir dir;
  auto r = run_program({powertrain_binary(), "track", "--interval", "0.5", "--sensors", "model",
                        "--db", dir / "t.db", "--", "sh", "-c",
                        "echo Epoch 1; sleep 0.02; echo Epoch 2; sleep 0.02; echo Epoch 3; "
                        "sleep 1.2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("warning: epoch(s) 1, 2 lasted less than one sampling interval (0.5 s)"),
            std::string::npos)
      << r.err;
}

// RE2 is linear: a 1 MB line with a user regex that std::regex recursed on.
TEST(TrackCli, OneMegabyteLineWithAUserRegex) {
  TempDir dir;
  auto r = run_program({powertrain_binary(), "track", "--interval", "0.05", "--sensors", "model",
                        "--epoch-regex", R"(epoch (\d+).*loss)", "--db", dir / "t.db", "--",
                        "/usr/bin/python3", "-c",
                        "import sys, time\n"
                        "sys.stdout.write('Epoch 7 ' + 'x' * (1 << 20) + ' loss 0.5\\n')\n"
                        "sys.stdout.flush(); time.sleep(0.2)\n"
                        "print('epoch 8 without the word')\n"});
  ASSERT_EQ(r.exit_code, 0) << r.err.substr(0, 2000);
  EXPECT_EQ(r.out.size(), 8 + (1u << 20) + 10 + 25) << "output passes through whole";
  auto rows = epoch_rows(r.err);
  ASSERT_EQ(rows.size(), 1u) << r.err;
  EXPECT_EQ(rows[0].first, 7);
}

// Marker phases are two columns; with a constant modelled power their sum is
// the epoch's energy.
TEST(TrackCli, MarkerPhasesAreTrainAndValidateColumns) {
  TempDir dir;
  // A GPU at a steady 100 W (set physics), so that the phases' energies must
  // add up to the epoch's whatever the machine's load does meanwhile.
  write_file(dir / "gpus.txt", "gpu name=Steady power=100000 energy=clock\n");
  auto r = run_program(
      {powertrain_binary(), "track", "--interval", "0.02", "--sensors", "nvml", "--nvml-library",
       std::string(POWERTRAIN_FIXTURES_BINARY_DIR) + "/libnvidia-ml-fake.so", "--db", dir / "t.db",
       "--", "sh", "-c",
       "for i in 1 2; do echo \"epoch $i\" >> \"$POWERTRAIN_MARKER_FILE\"; "
       "sleep 0.3; echo 'phase validate' >> \"$POWERTRAIN_MARKER_FILE\"; "
       "sleep 0.3; done; echo end >> \"$POWERTRAIN_MARKER_FILE\""},
      {{"FAKE_NVML_SCRIPT", dir / "gpus.txt"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("train_mWh validate_mWh"), std::string::npos) << r.err;
  std::regex row(
      R"(^\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+\S+\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)$)");
  std::istringstream in(r.err);
  std::string line;
  int seen = 0;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    ++seen;
    double epoch = std::stod(m[4]), train = std::stod(m[5]), validate = std::stod(m[6]);
    EXPECT_GT(train, 0.3 * epoch) << line;
    EXPECT_GT(validate, 0.3 * epoch) << line;
    EXPECT_NEAR(train + validate, epoch, 0.02 * epoch) << line;
  }
  EXPECT_EQ(seen, 2) << r.err;
}

TEST(DevicesCli, ListsEverySensorWithAvailabilityAndReason) {
  TempDir dir;
  auto r =
      run_program({powertrain_binary(), "devices", "--rapl-root", dir / "none", "--nvml-library",
                   std::string(POWERTRAIN_FIXTURES_BINARY_DIR) + "/libnvidia-ml-fake.so"},
                  {{"FAKE_NVML_SCRIPT", dir / "none.txt"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"nvml", "rapl", "powermetrics", "model"}) {
    EXPECT_NE(r.out.find(std::string("\n") + name), std::string::npos) << name << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("no powercap tree"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("modelled"), std::string::npos);
}

}  // namespace
}  // namespace powertrain

namespace powertrain {
namespace {

TEST(ExportCli, WritesSamplesAndEpochsCsv) {
  testing::TempDir dir;
  auto t = testing::run_program({testing::powertrain_binary(), "track", "--interval", "0.05",
                                 "--sensors", "model", "--db", dir / "t.db", "--", "sh", "-c",
                                 "echo Epoch 1; sleep 0.1; echo Epoch 2; sleep 0.1"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  auto r = testing::run_program({testing::powertrain_binary(), "export", dir / "t.db", "--samples",
                                 dir / "s.csv", "--epochs", dir / "e.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string epochs = testing::slurp(dir / "e.csv");
  EXPECT_EQ(std::count(epochs.begin(), epochs.end(), '\n'), 3) << epochs;  // header + 2 epochs
  EXPECT_NE(epochs.find(",modelled\n"), std::string::npos);
  std::string samples = testing::slurp(dir / "s.csv");
  EXPECT_GT(std::count(samples.begin(), samples.end(), '\n'), 4);

  auto bad = testing::run_program({testing::powertrain_binary(), "export", dir / "t.db", "--run",
                                   "99", "--epochs", dir / "x.csv"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("no run with id 99"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace powertrain

namespace powertrain {
namespace {

// The whole run's energy in the unit that reads best, with its CO2e at the
// named country's intensity: a steady 100 W GPU for about 0.5 s is tens of
// mWh, and DEU's 381 g/kWh makes that a hundredth of a gram.
TEST(TrackCli, SummaryGivesTheWholeRunInReadableUnitsWithItsCo2e) {
  testing::TempDir dir;
  testing::write_file(dir / "gpus.txt", "gpu name=Steady power=100000 energy=clock\n");
  auto r = testing::run_program(
      {testing::powertrain_binary(), "track", "--interval", "0.05", "--sensors", "nvml",
       "--nvml-library", std::string(POWERTRAIN_FIXTURES_BINARY_DIR) + "/libnvidia-ml-fake.so",
       "--country", "DEU", "--db", dir / "t.db", "--", "sh", "-c", "echo Epoch 1; sleep 0.5"},
      {{"FAKE_NVML_SCRIPT", dir / "gpus.txt"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::smatch total, line;
  ASSERT_TRUE(std::regex_search(
      r.err, total, std::regex(R"(\n\s+total\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+counter)")))
      << r.err;
  const double seconds = std::stod(total[1]), equation1_mwh = std::stod(total[2]);
  EXPECT_NEAR(equation1_mwh, 100.0 * seconds / 3.6, 0.01 * equation1_mwh);  // 100 W x t s
  // The summary gives the board's counter, the primary figure where there is one.
  const double mwh = std::stod(total[3]);
  EXPECT_NEAR(mwh, 100.0 * seconds / 3.6, 0.02 * mwh);
  ASSERT_TRUE(std::regex_search(
      r.err, line,
      std::regex(
          R"(energy of the whole run: ([\d.]+) mWh, about ([\d.]+) g CO2e at 381 g/kWh \(DEU, )")))
      << r.err;
  EXPECT_NEAR(std::stod(line[1]), mwh, 0.006 * mwh);  // three significant figures
  EXPECT_NEAR(std::stod(line[2]), mwh / 1e6 * 381, 0.006 * mwh / 1e6 * 381);
}

}  // namespace
}  // namespace powertrain
