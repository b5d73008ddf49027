// The sweep's progress as text: the live line (fitted to a terminal's width),
// the estimate of the time left, and an observer that writes plain lines.
#pragma once

#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/sweep/observer.h"
#include "powertrain/sweep/plan.h"

namespace powertrain {

// "12s", "3m05s", "1h02m".
std::string format_duration(double seconds);

// Estimates the time left from the durations of finished runs, per role
// (an autoencoder and a frozen classifier take very different times).
class EtaEstimator {
 public:
  void add(const std::string& role, double duration_s);
  // Time for the given runs still to do, of which the first has been running
  // for current_elapsed_s; nullopt until some run has finished.
  std::optional<double> remaining_s(const std::vector<std::string>& roles_left,
                                    double current_elapsed_s) const;

 private:
  std::optional<double> mean_s(const std::string& role) const;
  std::map<std::string, std::pair<double, int>> by_role_;  // sum, count
  double total_s_ = 0;
  int count_ = 0;
};

// "setup 7/16 (bs 64, lr 0.001) repeat 1/3 classifier": Table 1's number out
// of its 16; a setup outside it by name.
std::string describe_run(const PlannedRun& run, int repeats);

// The live line: setup, repeat, role, epoch, loss, metric, energy so far,
// the event's extra figures, elapsed, place in the sweep and time left
// (an event with epoch 0 reads "starting"). With width > 0 the line fits in
// width columns (UTF-8 characters): it drops, in this order, the setup's
// batch size and learning rate, the elapsed time, the loss, the metric, the
// setup and repeat (keeping the role), the extra figures, the time left and
// the role, then cuts.
// width <= 0: the whole line.
std::string format_live_line(const SweepEpochEvent& event, int width = 0);

// Columns a line takes (UTF-8 characters).
std::size_t display_width(const std::string& text);

// Writes a sweep's events as text: the plan, each run's progress and
// result, the summary. Live: the progress line is redrawn in place ("\r",
// erase line) and fitted to the width; otherwise one plain line per event.
class ProgressPrinter : public SweepObserver {
 public:
  struct Style {
    bool live = false;
    int width = 0;  // live only; <= 0: no limit
  };
  ProgressPrinter(std::ostream& out, Style style) : out_(out), style_(style) {}

  void set_width(int width) { style_.width = width; }

  void on_start(const SweepStartEvent& e) override;
  void on_note(const SweepNoteEvent& e) override;
  void on_run_start(const SweepRunEvent& e) override;
  void on_epoch(const SweepEpochEvent& e) override;
  void on_run_end(const SweepRunEndEvent& e) override;
  void on_interrupt(const SweepInterruptEvent& e) override;
  void on_finish(const SweepSummary& summary) override;

 private:
  void progress_line(const SweepEpochEvent& e);
  std::ostream& out_;
  Style style_;
  SweepStartEvent start_;
};

}  // namespace powertrain
