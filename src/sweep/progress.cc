#include "powertrain/sweep/progress.h"

#include <cmath>
#include <ostream>

#include <fmt/format.h>

#include "powertrain/report/carbon.h"
#include "powertrain/sweep/experiment.h"
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

std::string describe_run(const PlannedRun& run, int repeats) {
  return fmt::format("setup {}{} (bs {}, lr {:g}) repeat {}/{} {}", run.setup_name,
                     run.setup > 0 ? "/16" : "", run.batch_size, run.learning_rate, run.repeat,
                     repeats, run.role);
}

std::size_t display_width(const std::string& text) {
  std::size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;  // not a continuation byte
  return n;
}

namespace {

// The first width characters of text (UTF-8).
std::string cut_to_width(const std::string& text, std::size_t width) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && n++ == width)
      return text.substr(0, i);
  }
  return text;
}

// The live line's parts, each with the shorter forms it takes as the
// terminal narrows ("" = left out).
struct LiveLineParts {
  std::vector<std::string> setup;  // full, without batch size and learning rate, role only
  std::vector<std::string> epoch;  // full, without loss, epoch only
  std::string energy, elapsed, place, left;
  std::vector<std::string> extra;

  std::string join(std::size_t setup_form, std::size_t epoch_form, bool with_elapsed,
                   bool with_extra, bool with_left) const {
    std::string line;
    auto add = [&line](const std::string& part) {
      if (part.empty()) return;
      if (!line.empty()) line += " | ";
      line += part;
    };
    add(setup_form < setup.size() ? setup[setup_form] : "");
    add(epoch[epoch_form]);
    add(energy);
    if (with_extra)
      for (const auto& x : extra) add(x);
    if (with_elapsed) add(elapsed);
    add(place);
    if (with_left) add(left);
    return line;
  }
};

LiveLineParts live_line_parts(const SweepEpochEvent& e) {
  const PlannedRun& run = *e.run.run;
  const RunProgress& progress = e.progress;
  LiveLineParts parts;
  parts.setup = {describe_run(run, e.run.repeats),
                 fmt::format("setup {}{} repeat {}/{} {}", run.setup_name,
                             run.setup > 0 ? "/16" : "", run.repeat, e.run.repeats, run.role),
                 run.role};
  if (progress.epoch > 0) {
    const std::string epoch = fmt::format("epoch {}/{}", progress.epoch, progress.max_epochs);
    const std::string loss = progress.loss ? fmt::format(" loss {:.4f}", *progress.loss) : "";
    const std::string metric =
        progress.metric
            ? fmt::format(" {} {:.4f}",
                          progress.metric_name.empty() ? "metric" : progress.metric_name,
                          *progress.metric)
            : "";
    parts.epoch = {epoch + loss + metric, epoch + metric, epoch};
  } else {
    parts.epoch = {"starting", "starting", "starting"};
  }
  parts.energy = fmt::format("{:.2f} mWh", progress.energy_mwh);
  for (const auto& x : e.extra) parts.extra.push_back(x.label + " " + x.value);
  parts.elapsed = format_duration(e.elapsed_s);
  parts.place = fmt::format("run {}/{}", e.run.position, e.run.total);
  parts.left = "left " + (e.eta_s ? "~" + format_duration(*e.eta_s) : std::string("?"));
  return parts;
}

}  // namespace

std::string format_live_line(const SweepEpochEvent& e, int width) {
  const LiveLineParts parts = live_line_parts(e);
  struct Form {
    std::size_t setup, epoch;
    bool elapsed, extra, left;
  };
  static constexpr Form kForms[] = {
      {0, 0, true, true, true},     // whole
      {1, 0, true, true, true},     // setup without batch size and learning rate
      {1, 0, false, true, true},    // no elapsed time
      {1, 1, false, true, true},    // no loss
      {1, 2, false, true, true},    // no metric
      {2, 2, false, true, true},    // role only
      {2, 2, false, false, true},   // no extra figures
      {2, 2, false, false, false},  // no time left
      {3, 2, false, false, false},  // no role
  };
  std::string line;
  for (const Form& f : kForms) {
    line = parts.join(f.setup, f.epoch, f.elapsed, f.extra, f.left);
    if (width <= 0 || display_width(line) <= static_cast<std::size_t>(width)) return line;
  }
  return cut_to_width(line, static_cast<std::size_t>(width));
}

void ProgressPrinter::on_start(const SweepStartEvent& e) {
  start_ = e;
  const std::string shard = e.shard.active() ? " in shard " + e.shard.to_string() : "";
  if (e.dry_run) return;  // its summary comes last, after the runs it lists
  out_ << fmt::format(
              "{}: {} runs{} into {}: {} to run, {} finished before{}; {}\n", e.config->name,
              e.planned, shard, e.db_path, e.to_run, e.already_finished,
              e.skipped_failed
                  ? fmt::format(", {} failed (--retry-failed reruns them)", e.skipped_failed)
                  : std::string(),
              e.fixed_order ? std::string("fixed order")
                            : fmt::format("random order, seed {} (--order fixed keeps the plan's)",
                                          e.order_seed))
       << std::flush;
}

void ProgressPrinter::on_note(const SweepNoteEvent& e) {
  const PlannedRun& p = *e.run;
  switch (e.note) {
    case RunNote::kSkippedFinished:
    case RunNote::kSkippedFailed:
      return;  // counted in the first line
    case RunNote::kResumedInterrupted:
    case RunNote::kRetryingFailed:
      out_ << fmt::format("{} run {} ({}): {}; its rows are kept, marked partial\n",
                          e.note == RunNote::kResumedInterrupted ? "rerunning" : "retrying",
                          e.run_id, p.key(), e.detail);
      break;
    case RunNote::kTakenByOtherProcess:
      if (style_.live) out_ << "\r\033[K";
      out_ << fmt::format("skipping run {} ({}): another process took it ({})\n", e.run_id, p.key(),
                          e.detail);
      break;
    case RunNote::kWouldRun:
      out_ << fmt::format("would run {} {}, task {} ({})\n", e.would_run_index,
                          describe_run(p, e.repeats), p.task, e.detail);
      break;
  }
  out_ << std::flush;
}

void ProgressPrinter::progress_line(const SweepEpochEvent& e) {
  if (style_.live) {
    out_ << "\r\033[K" << format_live_line(e, style_.width) << std::flush;
  } else {
    out_ << format_live_line(e) << "\n" << std::flush;
  }
}

void ProgressPrinter::on_run_start(const SweepRunEvent& e) {
  SweepEpochEvent starting;
  starting.run = e;
  starting.progress.max_epochs = e.max_epochs;
  starting.eta_s = e.eta_s;
  progress_line(starting);
}

void ProgressPrinter::on_epoch(const SweepEpochEvent& e) { progress_line(e); }

void ProgressPrinter::on_run_end(const SweepRunEndEvent& e) {
  std::string result = std::string(to_string(e.status));
  if (e.epochs > 0) result += fmt::format(", {} epochs", e.epochs);
  if (e.final_metric) {
    result += fmt::format(", {} {:.4f}", e.metric_name.empty() ? "metric" : e.metric_name,
                          *e.final_metric);
  }
  result += fmt::format(", {:.2f} mWh", e.energy_mwh);
  if (!e.error.empty()) result += ": " + e.error;
  if (style_.live) out_ << "\r\033[K";
  out_ << fmt::format("[{}/{}] {}: {} in {}\n", e.run.position, e.run.total,
                      describe_run(*e.run.run, e.run.repeats), result,
                      format_duration(e.duration_s))
       << std::flush;
}

void ProgressPrinter::on_interrupt(const SweepInterruptEvent& e) {
  const std::string why =
      e.signal > 0 ? fmt::format("interrupted (signal {})", e.signal) : "stopped on request";
  if (e.run_id > 0) {
    out_ << fmt::format("\n{}: run {} set back to pending; run the same command to continue\n", why,
                        e.run_id);
  } else {
    out_ << fmt::format("\n{} between runs; run the same command to continue\n", why);
  }
  out_ << std::flush;
}

void ProgressPrinter::on_finish(const SweepSummary& s) {
  const std::string order = start_.fixed_order
                                ? std::string("fixed order")
                                : fmt::format("random order, seed {}", start_.order_seed);
  if (start_.dry_run) {
    out_ << fmt::format("{}: {} runs{}: {} to run, {} finished, {} failed and not retried; {}\n",
                        start_.config->name, s.planned,
                        start_.shard.active() ? " in shard " + start_.shard.to_string() : "",
                        s.would_run.size(), s.already_finished, s.skipped_failed, order)
         << std::flush;
    return;
  }
  out_ << fmt::format(
      "{}: ran {} runs in {} ({} done, {} diverged, {} failed); {} of {} finished in {}\n",
      start_.config->name, s.ran, format_duration(s.duration_s), s.done, s.diverged, s.failed,
      s.already_finished + s.done + s.diverged, s.planned, start_.db_path);
  if (s.ran > 0) {
    out_ << fmt::format("energy of the epochs of these runs: {}\n",
                        energy_and_carbon(s.energy_mwh, resolve_carbon({})));
  }
  out_ << std::flush;
}

}  // namespace powertrain
