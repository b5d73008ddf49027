// The command line forgives what a first-day user types: a misspelt
// subcommand gets a suggestion, `track CMD` needs no `--`, usage errors exit
// with 2, and an invocation that fails before anything runs leaves no
// database behind.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "powertrain/store/store.h"
#include "support/test_util.h"

namespace powertrain {
namespace {

using testing::powertrain_binary;
using testing::run_program;
using testing::TempDir;

// Runs powertrain with `args` in `dir` (its current folder).
testing::CommandResult run_in(const std::string& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", dir,
                                   powertrain_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv);
}

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  return names;
}

TEST(CliForgiving, MisspeltSubcommandGetsASuggestionAndExitTwo) {
  TempDir dir;
  auto r = run_in(dir.path(), {"trian"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("'trian' is not a powertrain command; did you mean `train`?"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("A subcommand is required"), std::string::npos) << r.err;

  r = run_in(dir.path(), {"devcies"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean `devices`?"), std::string::npos) << r.err;

  // One level down: synth's own subcommands.
  r = run_in(dir.path(), {"synth", "pamap", "--out", "x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'pamap' is not a `synth` subcommand; did you mean `pamap2`?"),
            std::string::npos)
      << r.err;

  // Nothing close: no suggestion, still a usage error.
  r = run_in(dir.path(), {"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.find("did you mean"), std::string::npos) << r.err;
  EXPECT_TRUE(entries(dir.path()).empty());
}

TEST(CliForgiving, ParseErrorsExitTwoAndHelpExitsZero) {
  TempDir dir;
  auto r = run_in(dir.path(), {"track", "--bogus", "--", "true"});
  EXPECT_EQ(r.exit_code, 2) << r.err;  // CLI11 alone says 109
  EXPECT_NE(r.err.find("--bogus"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Run `powertrain track --help`"), std::string::npos) << r.err;
  r = run_in(dir.path(), {"report"});
  EXPECT_EQ(r.exit_code, 2) << r.err;  // CLI11 alone says 106
  r = run_in(dir.path(), {"report", "missing.db"});
  EXPECT_EQ(r.exit_code, 2) << r.err;  // CLI11 alone says 105
  r = run_in(dir.path(), {"devices", "--interval", "100"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = run_in(dir.path(), {"track", "--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("--epoch-regex"), std::string::npos);
  r = run_in(dir.path(), {"--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(entries(dir.path()).empty());
}

TEST(CliForgiving, TrackRunsACommandWithoutDoubleDash) {
  TempDir dir;
  auto r = run_in(dir.path(), {"track", "--sensors", "model", "/usr/bin/true"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("command exited with status 0"), std::string::npos) << r.err;
  {
    Store store(dir / "powertrain.db", Store::Mode::kReadOnly);
    auto runs = store.runs();
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].exit_code, 0);
    EXPECT_NE(runs[0].command.find("/usr/bin/true"), std::string::npos) << runs[0].command;
  }

  // The command's own options stay its own (-c is not track's), and
  // --sensors takes one value: `sh` is the command, not a sensor.
  r = run_in(dir.path(), {"track", "--sensors", "model", "--interval", "0.05", "--db", "t.db", "sh",
                          "-c", "echo Epoch 1; echo Epoch 2; exit 4"});
  EXPECT_EQ(r.exit_code, 4) << r.err;  // the child's code
  EXPECT_EQ(r.out, "Epoch 1\nEpoch 2\n");
  Store store(dir / "t.db", Store::Mode::kReadOnly);
  auto runs = store.runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].exit_code, 4);
  EXPECT_EQ(store.epochs(runs[0].id).size(), 2u);

  // A list option (--sensors) right before the command, with and without
  // `--`: CLI11 alone ends the list at `--` and then reads -c as track's.
  for (bool dashes : {false, true}) {
    std::vector<std::string> args = {"track", "--db",      "u.db", "--interval",
                                     "0.05",  "--sensors", "model"};
    if (dashes) args.push_back("--");
    for (const char* a : {"sh", "-c", "echo Epoch 1; exit 6"}) args.push_back(a);
    r = run_in(dir.path(), args);
    EXPECT_EQ(r.exit_code, 6) << dashes << r.err;
    EXPECT_EQ(r.out, "Epoch 1\n") << dashes;
  }
}

TEST(CliForgiving, FailedStartLeavesNoDatabaseInAnEmptyFolder) {
  TempDir dir;
  auto r = run_in(dir.path(), {"track", "--sensors", "model", "/nonexistent/train.py"});
  EXPECT_EQ(r.exit_code, 127) << r.err;
  EXPECT_NE(r.err.find("command not found"), std::string::npos) << r.err;
  EXPECT_TRUE(entries(dir.path()).empty()) << entries(dir.path()).front();

  r = run_in(dir.path(), {"track", "--sensors", "nosuchsensor", "true"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(entries(dir.path()).empty()) << entries(dir.path()).front();
}

bool has_torch_program() {
  std::string bin = powertrain_binary();
  return std::filesystem::exists(bin.substr(0, bin.rfind('/')) + "/powertrain-torch");
}

TEST(CliForgiving, TrainWithAMissingDataFolderLeavesNoDatabase) {
  if (!has_torch_program()) GTEST_SKIP() << "built without LibTorch: no powertrain-torch";
  TempDir dir;
  auto r = run_in(dir.path(), {"train", "--task", "pamap2", "--data", "no-such-folder",
                               "--batch-size", "8", "--lr", "0.01", "--sensors", "model"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("no-such-folder"), std::string::npos) << r.err;
  EXPECT_TRUE(entries(dir.path()).empty()) << entries(dir.path()).front();

  r = run_in(dir.path(), {"trian", "--task", "pamap2"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(entries(dir.path()).empty());
}

TEST(CliForgiving, TrainWithoutDataSaysItUsesGeneratedData) {
  if (!has_torch_program()) GTEST_SKIP() << "built without LibTorch: no powertrain-torch";
  TempDir dir;
  auto r = run_in(dir.path(), {"train", "--task", "pamap2", "--batch-size", "32", "--lr", "0.01",
                               "--max-epochs", "1", "--generated-train", "64", "--generated-val",
                               "32", "--generated-test", "32", "--sensors", "model", "--quiet"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("no --data: training on GENERATED data (64 train / 32 val / 32 test"),
            std::string::npos)
      << r.err;
}

TEST(CliForgiving, ACommandThatRanAndExited127KeepsItsDatabase) {
  TempDir dir;
  auto r = run_in(dir.path(), {"track", "--sensors", "model", "sh", "-c", "exit 127"});
  EXPECT_EQ(r.exit_code, 127) << r.err;
  Store store(dir / "powertrain.db", Store::Mode::kReadOnly);
  auto runs = store.runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].exit_code, 127);
  EXPECT_EQ(runs[0].error, "command exited with status 127");
}

TEST(CliForgiving, FailedStartKeepsADatabaseThatWasThere) {
  TempDir dir;
  ASSERT_EQ(run_in(dir.path(), {"track", "--sensors", "model", "true"}).exit_code, 0);
  auto r = run_in(dir.path(), {"track", "--sensors", "model", "/nonexistent/train.py"});
  EXPECT_EQ(r.exit_code, 127) << r.err;
  Store store(dir / "powertrain.db", Store::Mode::kReadOnly);
  auto runs = store.runs();
  ASSERT_EQ(runs.size(), 2u);  // the earlier run, and the failed start recorded beside it
  EXPECT_EQ(runs[0].exit_code, 0);
}

}  // namespace
}  // namespace powertrain
