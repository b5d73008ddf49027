// What a sweep tells the outside while it runs: events to an observer, and a
// stop flag the outside sets. The sweep itself never prints, installs signal
// handlers or ends the process; a program (the CLI) draws progress from the
// events and turns its signals into a stop request.
//
//   struct Log : SweepObserver {
//     void on_epoch(const SweepEpochEvent& e) override { ... e.progress.epoch ... }
//   };
//   Log log;  SweepStop stop;
//   options.observer = &log;  options.stop = &stop;  // stop.request(SIGINT) from a handler
//   run_sweep(config, options, runner);
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/store/store.h"
#include "powertrain/sweep/plan.h"

namespace powertrain {

struct ExperimentConfig;
struct SweepSummary;

// What a runner reports after each epoch (for the live progress line).
struct RunProgress {
  int epoch = 0;
  int max_epochs = 0;
  std::optional<double> loss;
  std::optional<double> metric;
  std::string metric_name;
  double energy_mwh = 0;  // whole run so far
};

// A stop request, set from outside the sweep (a signal handler, another
// thread). request() is async-signal-safe (a lock-free atomic store). The
// sweep looks at it before each run and after each epoch: a run in progress
// is then set back to pending (its rows marked partial) and the sweep
// returns with SweepSummary::interrupted_by set.
class SweepStop {
 public:
  void request(int signal = 0) noexcept {
    signal_.store(signal, std::memory_order_relaxed);
    requested_.store(true, std::memory_order_release);
  }
  bool requested() const noexcept { return requested_.load(std::memory_order_acquire); }
  int signal() const noexcept { return signal_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> requested_{false};
  std::atomic<int> signal_{0};
};
static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free,
              "SweepStop::request must be callable from a signal handler");

// The sweep's plan, once checked and before any run: the first event.
struct SweepStartEvent {
  const ExperimentConfig* config = nullptr;
  std::string db_path;
  Shard shard;
  bool dry_run = false;
  int planned = 0;           // runs of this shard
  int to_run = 0;            // runs this call means to do (before --max-runs)
  int already_finished = 0;  // done or diverged before
  int skipped_failed = 0;    // failed before and not retried
  bool fixed_order = false;
  uint64_t order_seed = 0;
};

// A planned run this call does not simply run: why, in plan order of the
// sweep's run order.
enum class RunNote {
  kSkippedFinished,      // done or diverged before: skipped
  kSkippedFailed,        // failed before and not retried: skipped
  kResumedInterrupted,   // found running from a dead process: rerun (rows kept, partial)
  kRetryingFailed,       // failed before, --retry-failed: rerun (rows kept, partial)
  kTakenByOtherProcess,  // another process claimed it first: skipped
  kWouldRun,             // dry run: would be run
};
struct SweepNoteEvent {
  RunNote note = RunNote::kSkippedFinished;
  const PlannedRun* run = nullptr;
  int64_t run_id = 0;                      // 0 when it has no row yet (a dry run's new run)
  int repeats = 0;                         // the experiment's repeats, for "repeat 1/3"
  std::string detail;                      // e.g. "process 41 on node7 died during it", "pending"
  RunStatus status = RunStatus::kPending;  // the row's status when noted
  int would_run_index = 0;                 // kWouldRun: 1-based
};

// A run claimed and about to be handed to the runner.
struct SweepRunEvent {
  const PlannedRun* run = nullptr;
  int64_t run_id = 0;
  int position = 0;  // 1-based place among the runs of this call
  int total = 0;
  int repeats = 0;
  int max_epochs = 0;
  std::optional<double> eta_s;  // time left for the whole call, when known
};

// An extra figure for the progress line, e.g. {"predicted", "41.2 mWh"}.
struct ProgressFigure {
  std::string label;
  std::string value;
};

// An epoch finished (as the runner reported it).
struct SweepEpochEvent {
  SweepRunEvent run;
  RunProgress progress;
  double elapsed_s = 0;  // since the run started
  std::optional<double> eta_s;
  // Further figures to show after the epoch's own (a prediction of the run's
  // energy, say); filled by SweepOptions::epoch_figures.
  std::vector<ProgressFigure> extra;
};

// A run ended: its status and figures as stored.
struct SweepRunEndEvent {
  SweepRunEvent run;
  RunStatus status = RunStatus::kDone;
  std::string error;
  int epochs = 0;  // rows stored for it
  std::optional<double> final_metric;
  std::string metric_name;
  double energy_mwh = 0;  // its epochs as stored
  double duration_s = 0;
};

// A stop request was honoured: the run in progress (if any) was set back to
// pending with its rows marked partial; the sweep returns next.
struct SweepInterruptEvent {
  int signal = 0;
  int64_t run_id = 0;  // 0: between runs
};

// Every method has an empty default, so an observer overrides what it needs.
// Events come from the thread that called run_sweep, in this order:
// on_start, notes of skipped and resumed runs, then per run on_run_start,
// on_epoch..., on_run_end (or on_interrupt), and last on_finish.
class SweepObserver {
 public:
  virtual ~SweepObserver() = default;
  virtual void on_start(const SweepStartEvent&) {}
  virtual void on_note(const SweepNoteEvent&) {}
  virtual void on_run_start(const SweepRunEvent&) {}
  virtual void on_epoch(const SweepEpochEvent&) {}
  virtual void on_run_end(const SweepRunEndEvent&) {}
  virtual void on_interrupt(const SweepInterruptEvent&) {}
  virtual void on_finish(const SweepSummary&) {}
};

}  // namespace powertrain
