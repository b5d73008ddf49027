// The sweep's progress line and its estimate of the time left.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/sweep/plan.h"

namespace powertrain {

struct RunProgress;

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

// The live line: setup n/16, repeat, role, epoch, loss, metric, energy so
// far, elapsed, place in the sweep and time left.
std::string format_live_line(const PlannedRun& run, int setup_count, int repeats,
                             const RunProgress& progress, double elapsed_s, int position, int total,
                             std::optional<double> eta_s);

}  // namespace powertrain
