// `powertrain track` and `powertrain devices` run as a user runs them.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <regex>
#include <thread>

#include "powertrain/store/store.h"
#include "support/test_util.h"
#include "util/subprocess.h"

namespace powertrain {
namespace {

using testing::powertrain_binary;
using testing::run_program;
using testing::TempDir;

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
  spawn.argv = {powertrain_binary(), "track", "--interval", "0.05", "--sensors", "model", "--db",
                dir / "t.db", "--", "sh", "-c",
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
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("powertrain-no-such-command"), std::string::npos) << missing.err;

  Store store(db);
  auto runs = store.runs();
  ASSERT_EQ(runs.size(), 2u);  // the good run, and the failed start recorded as failed
  EXPECT_EQ(runs[0].status, RunStatus::kDone);
  EXPECT_EQ(runs[1].status, RunStatus::kFailed);
  EXPECT_NE(runs[1].error.find("powertrain-no-such-command"), std::string::npos);
}

TEST(DevicesCli, ListsEverySensorWithAvailabilityAndReason) {
  TempDir dir;
  auto r = run_program({powertrain_binary(), "devices", "--rapl-root", dir / "none",
                        "--nvml-library",
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
