// `powertrain status`: how far a sweep is, read from its database.
#include <algorithm>
#include <filesystem>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "powertrain/sweep/progress.h"
#include "powertrain/sweep/sweep.h"

namespace powertrain {
namespace {

void add_unique(std::vector<std::string>& items, const std::string& item) {
  if (std::find(items.begin(), items.end(), item) == items.end()) items.push_back(item);
}
std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : "; ") + s;
  return out;
}
}  // namespace

SweepStatus sweep_status(const ExperimentConfig& config, const std::string& db_path,
                         const Shard& shard) {
  SweepStatus status;
  std::error_code ec;
  status.database_exists = std::filesystem::exists(db_path, ec);
  Shard effective = shard;
  std::map<std::string, RunRecord> rows;
  if (status.database_exists) {
    check_database_identity(config, shard, db_path);
    const Store store(db_path, Store::Mode::kReadOnly);
    for (auto& r : store.runs()) {
      if (r.experiment != config.name) continue;
      // Finished runs' energy: the sum of their epochs.
      if (r.status == RunStatus::kDone || r.status == RunStatus::kDiverged) {
        for (const auto& e : store.epochs(r.id)) {
          status.energy_mwh += e.energy_mwh;
          add_unique(status.sources, std::string(to_string(e.source)));
        }
        if (!r.sensors.empty()) add_unique(status.sensors, r.sensors);
        if (r.started_at_s && r.ended_at_s) status.run_time_s += *r.ended_at_s - *r.started_at_s;
      }
      rows[run_key(r)] = std::move(r);
    }
  }
  status.shard = effective.active() ? effective.to_string() : "";
  EtaEstimator eta;
  std::vector<std::string> roles_left;
  for (const auto& p : expand_plan(config)) {
    if (!effective.owns_group(p.group)) continue;
    ++status.planned;
    auto it = rows.find(p.key());
    if (it == rows.end()) {
      ++status.missing;
      roles_left.push_back(p.role);
      continue;
    }
    const RunRecord& r = it->second;
    switch (r.status) {
      case RunStatus::kDone:
        ++status.done;
        break;
      case RunStatus::kDiverged:
        ++status.diverged;
        break;
      case RunStatus::kFailed:
        ++status.failed;
        status.failed_runs.push_back(r);
        break;
      case RunStatus::kRunning:
        ++status.running;
        status.running_runs.push_back(r);
        roles_left.push_back(p.role);
        break;
      case RunStatus::kPending:
        ++status.pending;
        roles_left.push_back(p.role);
        break;
    }
    if ((r.status == RunStatus::kDone || r.status == RunStatus::kDiverged) && r.started_at_s &&
        r.ended_at_s) {
      eta.add(r.role, *r.ended_at_s - *r.started_at_s);
    }
  }
  status.eta_s = eta.remaining_s(roles_left, 0);
  if (roles_left.empty()) status.eta_s = 0;
  return status;
}

std::string format_status(const ExperimentConfig& config, const std::string& db_path,
                          const SweepStatus& s) {
  std::string text = fmt::format("experiment {} ({}, {} setups x {} repeats{}), database {}\n",
                                 config.name, config.paradigm, config.setup_count(), config.repeats,
                                 s.shard.empty() ? "" : ", shard " + s.shard, db_path);
  if (!s.database_exists) {
    text += fmt::format("not started: 0/{} runs finished (no database yet)\n", s.planned);
    return text;
  }
  const int finished = s.done + s.diverged;
  text += fmt::format(
      "{}/{} runs finished ({:.0f} %): {} done, {} diverged; {} failed, {} "
      "running, {} pending\n",
      finished, s.planned, s.planned ? 100.0 * finished / s.planned : 0.0, s.done, s.diverged,
      s.failed, s.running, s.pending + s.missing);
  text += fmt::format("energy of finished runs: {:.2f} mWh over {} of training", s.energy_mwh,
                      format_duration(s.run_time_s));
  // Where the figure came from, so a modelled one is never read as measured.
  if (!s.sources.empty()) {
    text += fmt::format(" (sensors {}; {})", join(s.sensors), join(s.sources));
  }
  text += "\n";
  if (finished < s.planned) {
    text += fmt::format("time left: {}\n", s.eta_s ? "~" + format_duration(*s.eta_s)
                                                   : std::string("unknown until a run finishes"));
  }
  for (const auto& r : s.running_runs) {
    auto dead = run_process_dead(r);
    text += fmt::format("running: run {} {} (process {} on {}, {})\n", r.id, run_key(r),
                        r.pid.value_or(0), r.host,
                        !dead   ? "cannot be checked from here"
                        : *dead ? "dead: `powertrain sweep` reruns it"
                                : "alive");
  }
  for (const auto& r : s.failed_runs) {
    text += fmt::format("failed: run {} {}: {}\n", r.id, run_key(r), r.error);
  }
  if (s.failed > 0) text += "(`powertrain sweep --retry-failed` runs failed runs again)\n";
  return text;
}

}  // namespace powertrain
