// The sweep as an engine: the exact order of its events for a small plan
// (a fresh call, a resumed one that skips finished runs, a stop in the
// middle of a run and one between runs), through the simulated runner.
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "powertrain/sweep/observer.h"
#include "powertrain/sweep/progress.h"
#include "powertrain/sweep/simulated_runner.h"
#include "powertrain/sweep/sweep.h"
#include "unit/sweep/sweep_test_util.h"

namespace powertrain {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using testing::TempDir;

const char* note_name(RunNote n) {
  switch (n) {
    case RunNote::kSkippedFinished:
      return "skip-finished";
    case RunNote::kSkippedFailed:
      return "skip-failed";
    case RunNote::kResumedInterrupted:
      return "resume";
    case RunNote::kRetryingFailed:
      return "retry";
    case RunNote::kTakenByOtherProcess:
      return "taken";
    case RunNote::kWouldRun:
      return "would-run";
  }
  return "?";
}

// Writes each event as one short line; may request a stop on a given epoch
// of a given run.
struct Recorder : SweepObserver {
  std::vector<std::string> events;
  SweepStop* stop = nullptr;
  std::string stop_run;  // key of the run whose epoch stop_epoch requests the stop
  int stop_epoch = 0;

  void on_start(const SweepStartEvent& e) override {
    events.push_back(fmt::format("start planned {} to_run {} finished {}", e.planned, e.to_run,
                                 e.already_finished));
  }
  void on_note(const SweepNoteEvent& e) override {
    events.push_back(fmt::format("{} {}", note_name(e.note), e.run->key()));
  }
  void on_run_start(const SweepRunEvent& e) override {
    events.push_back(fmt::format("run {} {}/{}", e.run->key(), e.position, e.total));
  }
  void on_epoch(const SweepEpochEvent& e) override {
    events.push_back(
        fmt::format("epoch {} {}/{}", e.run.run->key(), e.progress.epoch, e.progress.max_epochs));
    if (stop && e.run.run->key() == stop_run && e.progress.epoch == stop_epoch) stop->request(15);
  }
  void on_run_end(const SweepRunEndEvent& e) override {
    events.push_back(fmt::format("end {} {} {} epochs {:.1f} mWh", e.run.run->key(),
                                 to_string(e.status), e.epochs, e.energy_mwh));
  }
  void on_interrupt(const SweepInterruptEvent& e) override {
    events.push_back(fmt::format("interrupt signal {} run {}", e.signal, e.run_id));
  }
  void on_finish(const SweepSummary& s) override {
    events.push_back(fmt::format("finish ran {} interrupted {}", s.ran, int(s.interrupted)));
  }
};

// Two setups (Table 1's 6 and 7: batch size 256, learning rates 0.01 and
// 0.001), one repeat, three epochs each of 2 mWh, in the plan's order.
struct SmallPlan {
  TempDir dir;
  ExperimentConfig config;
  std::string db = dir / "small.db";
  SmallPlan() {
    const std::string data = testing::make_pamap2_dir(dir);
    config = parse_experiment(
        "name = \"small\"\nparadigm = \"regime\"\ntask = \"pamap2\"\ndata = \"" + data +
            "\"\nrepeats = 1\n[grid]\nbatch_sizes = [256]\nlearning_rates = [0.01, 0.001]\n"
            "[training]\nmax_epochs = 3\n[energy]\ninterval_s = 0.1\n",
        dir / "small.toml");
  }
  SweepSummary sweep(Recorder& rec, int max_runs = -1, const SweepStop* stop = nullptr) {
    SweepOptions o;
    o.db_path = db;
    o.fixed_order = true;
    o.observer = &rec;
    o.max_runs = max_runs;
    o.stop = stop;
    SimulatedRunnerOptions sim;
    sim.epoch_ms = 0;
    sim.epoch_mwh = 2.0;
    return run_sweep(config, o, make_simulated_runner(sim));
  }
};

const std::string kRun6 = "setup 6 repeat 1 classifier";
const std::string kRun7 = "setup 7 repeat 1 classifier";

std::vector<std::string> whole_run(const std::string& key, int position, int total) {
  return {fmt::format("run {} {}/{}", key, position, total), "epoch " + key + " 1/3",
          "epoch " + key + " 2/3", "epoch " + key + " 3/3",
          "end " + key + " done 3 epochs 6.0 mWh"};  // 3 epochs x 2 mWh
}

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(SweepEngine, EventsOfAFreshSweepInOrder) {
  SmallPlan s;
  Recorder rec;
  SweepSummary summary = s.sweep(rec);
  EXPECT_THAT(rec.events,
              ElementsAreArray(std::vector<std::string>{"start planned 2 to_run 2 finished 0"} +
                               whole_run(kRun6, 1, 2) + whole_run(kRun7, 2, 2) +
                               std::vector<std::string>{"finish ran 2 interrupted 0"}));
  EXPECT_EQ(summary.done, 2);
  EXPECT_DOUBLE_EQ(summary.energy_mwh, 12.0);
}

TEST(SweepEngine, ResumeSkipsTheFinishedRun) {
  SmallPlan s;
  Recorder first;
  s.sweep(first, /*max_runs=*/1);
  EXPECT_THAT(first.events,
              ElementsAreArray(std::vector<std::string>{"start planned 2 to_run 2 finished 0"} +
                               whole_run(kRun6, 1, 2) +
                               std::vector<std::string>{"finish ran 1 interrupted 0"}));
  Recorder second;
  s.sweep(second);
  EXPECT_THAT(second.events,
              ElementsAreArray(std::vector<std::string>{"start planned 2 to_run 1 finished 1",
                                                        "skip-finished " + kRun6} +
                               whole_run(kRun7, 1, 1) +
                               std::vector<std::string>{"finish ran 1 interrupted 0"}));
}

TEST(SweepEngine, ARunLeftRunningByADeadProcessIsNotedAndRerun) {
  SmallPlan s;
  Recorder first;
  s.sweep(first, /*max_runs=*/1);
  // A process on this host that has ended: its pid is free (reaped).
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  ASSERT_GT(dead, 0);
  waitpid(dead, nullptr, 0);
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  {
    Store store(s.db);
    for (auto r : store.runs()) {
      if (run_key(r) != kRun7) continue;
      r.status = RunStatus::kRunning;
      r.pid = dead;
      r.host = host;
      store.update_run(r);
    }
  }
  Recorder second;
  SweepSummary summary = s.sweep(second);
  EXPECT_THAT(second.events,
              ElementsAreArray(
                  std::vector<std::string>{"start planned 2 to_run 1 finished 1",
                                           "skip-finished " + kRun6, "resume " + kRun7} +
                  whole_run(kRun7, 1, 1) + std::vector<std::string>{"finish ran 1 interrupted 0"}));
  EXPECT_EQ(summary.resumed_interrupted, 1);
}

TEST(SweepEngine, DryRunNotesWhatItWouldRunAndRunsNothing) {
  SmallPlan s;
  Recorder first;
  s.sweep(first, /*max_runs=*/1);
  SweepOptions o;
  o.db_path = s.db;
  o.fixed_order = true;
  o.dry_run = true;
  Recorder rec;
  o.observer = &rec;
  SweepSummary summary = run_sweep(s.config, o, {});
  EXPECT_THAT(rec.events,
              ElementsAre("start planned 2 to_run 1 finished 1", "skip-finished " + kRun6,
                          "would-run " + kRun7, "finish ran 0 interrupted 0"));
  ASSERT_EQ(summary.would_run.size(), 1u);
  EXPECT_EQ(summary.would_run[0].key(), kRun7);
}

TEST(SweepEngine, StopInTheMiddleOfARunSetsItBackToPending) {
  SmallPlan s;
  SweepStop stop;
  Recorder rec;
  rec.stop = &stop;
  rec.stop_run = kRun7;
  rec.stop_epoch = 2;
  SweepSummary summary = s.sweep(rec, -1, &stop);

  Store store(s.db);
  int64_t id7 = 0;
  for (const auto& r : store.runs()) {
    if (run_key(r) == kRun7) id7 = r.id;
  }
  ASSERT_GT(id7, 0);
  EXPECT_THAT(
      rec.events,
      ElementsAreArray(
          std::vector<std::string>{"start planned 2 to_run 2 finished 0"} + whole_run(kRun6, 1, 2) +
          std::vector<std::string>{"run " + kRun7 + " 2/2", "epoch " + kRun7 + " 1/3",
                                   "epoch " + kRun7 + " 2/3",  // the stop is asked for here
                                   fmt::format("interrupt signal 15 run {}", id7),
                                   "finish ran 1 interrupted 1"}));
  EXPECT_TRUE(summary.interrupted);
  EXPECT_EQ(summary.interrupt_signal, 15);
  EXPECT_EQ(summary.ran, 1);
  const RunRecord r7 = *store.run(id7);
  EXPECT_EQ(r7.status, RunStatus::kPending);
  EXPECT_FALSE(r7.pid.has_value());
  EXPECT_TRUE(store.epochs(id7).empty());  // its two epochs are kept but marked partial
  auto cfg = nlohmann::json::parse(r7.config_json);
  ASSERT_EQ(cfg["interrupted_attempts"].size(), 1u);
  EXPECT_EQ(cfg["interrupted_attempts"][0]["error"], "signal 15");

  // The next call runs only the interrupted run, from its first epoch.
  Recorder again;
  s.sweep(again);
  EXPECT_THAT(again.events,
              ElementsAreArray(std::vector<std::string>{"start planned 2 to_run 1 finished 1",
                                                        "skip-finished " + kRun6} +
                               whole_run(kRun7, 1, 1) +
                               std::vector<std::string>{"finish ran 1 interrupted 0"}));
  EXPECT_EQ(store.epochs(id7).size(), 3u);
}

TEST(SweepEngine, StopBeforeARunRunsNothing) {
  SmallPlan s;
  SweepStop stop;
  stop.request(2);
  Recorder rec;
  SweepSummary summary = s.sweep(rec, -1, &stop);
  EXPECT_THAT(rec.events, ElementsAre("start planned 2 to_run 2 finished 0",
                                      "interrupt signal 2 run 0", "finish ran 0 interrupted 1"));
  EXPECT_EQ(summary.interrupt_signal, 2);
  Store store(s.db);
  for (const auto& r : store.runs()) EXPECT_EQ(r.status, RunStatus::kPending);
}

TEST(SweepEngine, EpochFiguresReachTheEventAndTheLine) {
  SmallPlan s;
  struct Lines : SweepObserver {
    std::vector<std::string> lines;
    void on_epoch(const SweepEpochEvent& e) override { lines.push_back(format_live_line(e)); }
  } lines;
  SweepOptions o;
  o.db_path = s.db;
  o.fixed_order = true;
  o.observer = &lines;
  o.max_runs = 1;
  // A stand-in prediction: twice the energy so far.
  o.epoch_figures = [](const SweepEpochEvent& e) {
    return std::vector<ProgressFigure>{
        {"predicted", fmt::format("{:.1f} mWh", 2 * (e.progress.epoch * 2.0))}};
  };
  SimulatedRunnerOptions sim;
  sim.epoch_mwh = 2.0;
  run_sweep(s.config, o, make_simulated_runner(sim));
  ASSERT_EQ(lines.lines.size(), 3u);
  EXPECT_THAT(lines.lines[0], ::testing::HasSubstr("| predicted 4.0 mWh |"));
  EXPECT_THAT(lines.lines[2], ::testing::HasSubstr("| predicted 12.0 mWh |"));
}

}  // namespace
}  // namespace powertrain
