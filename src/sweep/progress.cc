#include "powertrain/sweep/progress.h"

#include <cmath>

#include <fmt/format.h>

#include "powertrain/sweep/sweep.h"

namespace powertrain {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  auto s = static_cast<long long>(std::llround(seconds));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

void EtaEstimator::add(const std::string& role, double duration_s) {
  auto& [sum, n] = by_role_[role];
  sum += duration_s;
  ++n;
  total_s_ += duration_s;
  ++count_;
}

std::optional<double> EtaEstimator::mean_s(const std::string& role) const {
  auto it = by_role_.find(role);
  if (it != by_role_.end() && it->second.second > 0) return it->second.first / it->second.second;
  if (count_ > 0) return total_s_ / count_;
  return std::nullopt;
}

std::optional<double> EtaEstimator::remaining_s(const std::vector<std::string>& roles_left,
                                                double current_elapsed_s) const {
  if (count_ == 0) return std::nullopt;
  double total = 0;
  for (std::size_t i = 0; i < roles_left.size(); ++i) {
    double mean = *mean_s(roles_left[i]);
    // The current run is assumed to need at least its mean; once past it,
    // nothing more is counted for it rather than a negative time.
    total += i == 0 ? std::max(0.0, mean - current_elapsed_s) : mean;
  }
  return total;
}

std::string format_live_line(const PlannedRun& run, int /*setup_count*/, int repeats,
                             const RunProgress& progress, double elapsed_s, int position, int total,
                             std::optional<double> eta_s) {
  std::string line = fmt::format("setup {}{} (bs {}, lr {:g}) repeat {}/{} {}", run.setup_name,
                                 run.setup > 0 ? "/16" : "", run.batch_size, run.learning_rate,
                                 run.repeat, repeats, run.role);
  if (progress.epoch > 0) {
    line += fmt::format(" | epoch {}/{}", progress.epoch, progress.max_epochs);
    if (progress.loss) line += fmt::format(" loss {:.4f}", *progress.loss);
    if (progress.metric) {
      line +=
          fmt::format(" {} {:.4f}", progress.metric_name.empty() ? "metric" : progress.metric_name,
                      *progress.metric);
    }
  } else {
    line += " | starting";
  }
  line += fmt::format(" | {:.2f} mWh | {} | run {}/{} | left {}", progress.energy_mwh,
                      format_duration(elapsed_s), position, total,
                      eta_s ? "~" + format_duration(*eta_s) : std::string("?"));
  return line;
}

}  // namespace powertrain
