// The study's analyses. Every figure is computed from the runs' stored
// epochs (equation 1 energies, already multiplied by each run's PUE).
#include "powertrain/report/analysis.h"

#include "report/analysis_internal.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "powertrain/store/run_roles.h"
#include "powertrain/store/setups.h"

namespace powertrain {
namespace analysis_internal {

// Pairs outside Table 1 found in the runs being analysed, each with an
// internal id above 16 (never shown: reports name them with setup_label()).
// Set by analyze() for the duration of one analysis.
const std::map<std::pair<int, double>, int>* g_extra_setups = nullptr;

// The setup of a run: Table 1's number of its batch size and learning rate
// (whatever number an older sweep stored), else its internal id.
std::optional<int> setup_of(const RunRecord& run) {
  if (!run.batch_size || !run.learning_rate) return run.setup;
  if (int n = table1_setup(*run.batch_size, *run.learning_rate)) return n;
  if (g_extra_setups) {
    auto it = g_extra_setups->find({*run.batch_size, *run.learning_rate});
    if (it != g_extra_setups->end()) return it->second;
  }
  return std::nullopt;
}

// Runs the analyses count: those that ended `done` (diverged runs are kept apart).
bool counted(RunStatus status) { return status == RunStatus::kDone; }

std::string wh(double mwh) { return fmt::format("{:.3f} Wh", mwh / 1000.0); }

std::string pct(double percent) { return fmt::format("{:.1f}%", percent); }

std::string lr_text(double lr) { return fmt::format("{:g}", lr); }

std::string setup_text(int setup, int batch_size, double lr) {
  return fmt::format("setup {} (batch {}, lr {})", setup_label(setup, batch_size, lr), batch_size,
                     lr_text(lr));
}

// Mean of the runs' metrics that have one.
std::optional<double> mean_metric(const std::vector<const RunSummary*>& runs) {
  std::vector<double> values;
  for (const auto* r : runs) {
    if (r->run.final_metric) values.push_back(*r->run.final_metric);
  }
  if (values.empty()) return std::nullopt;
  return mean_of(values);
}

// Counted runs of one paradigm and role, by scenario.
std::map<ScenarioKey, std::vector<const RunSummary*>> by_scenario(
    const std::vector<RunSummary>& runs, const std::string& paradigm, const std::string& role) {
  std::map<ScenarioKey, std::vector<const RunSummary*>> out;
  for (const auto& r : runs) {
    if (r.run.paradigm == paradigm && (role.empty() || r.run.role == role)) {
      out[scenario_of(r)].push_back(&r);
    }
  }
  return out;
}

// Which figure the study's tables show for these runs: the GPU's where a GPU
// was measured (as the study did), else the whole node's.
std::string energy_basis(const std::vector<const RunSummary*>& runs) {
  size_t gpu = 0;
  for (const auto* r : runs) gpu += r->gpu_measured ? 1 : 0;
  if (gpu == 0) return kBasisNode;
  if (gpu == runs.size()) return kBasisGpu;
  return kBasisMixed;
}

std::string cycles_text(const std::optional<double>& cycles) {
  if (!cycles) return "never breaks even";
  return fmt::format("breaks even after {:.2f} cycles (reuse {} times)", *cycles,
                     static_cast<long>(std::ceil(*cycles - 1e-9)));
}

}  // namespace analysis_internal

using namespace analysis_internal;

namespace {

bool is_gpu_name(const std::string& name) {
  return name.rfind("cuda", 0) == 0 || name.rfind("gpu", 0) == 0 || name.rfind("mps", 0) == 0;
}

// Adds an epoch's energy to the CPU / GPU / RAM split of its run.
void split_components(const EpochRecord& e, const std::string& run_device, RunSummary& s) {
  double streams_mwh = 0;
  for (const auto& stream : e.streams) streams_mwh += stream.energy_mwh;
  if (streams_mwh <= 0) {
    (is_gpu_name(run_device) ? s.gpu_mwh : s.cpu_mwh) += e.energy_mwh;
    return;
  }
  for (const auto& stream : e.streams) {
    const double share = e.energy_mwh * stream.energy_mwh / streams_mwh;
    if (stream.sensor == "nvml" || is_gpu_name(stream.device)) {
      s.gpu_mwh += share;
    } else if (stream.device.find("ram") != std::string::npos) {
      s.ram_mwh += share;
    } else {
      s.cpu_mwh += share;
    }
  }
}

// The sweep names each role's trainer task ("pamap2-autoencoder",
// "celeba-identity", ...); a paradigm compares roles on one dataset, so its
// scenario is the dataset: the task up to the first '-'.
std::string scenario_task(const RunRecord& run) {
  if (run.paradigm == roles::kPretraining || run.paradigm == roles::kMultitask) {
    return run.task.substr(0, run.task.find('-'));
  }
  return run.task;
}

}  // namespace

ScenarioKey scenario_of(const RunSummary& s) { return {scenario_task(s.run), s.run.device}; }

std::string setup_label(int setup, int batch_size, double learning_rate) {
  if (batch_size <= 0) return setup > 0 ? std::to_string(setup) : "-";
  return setup_name(batch_size, learning_rate);
}

std::vector<RunData> load_runs(const Store& store, const std::string& db_prefix) {
  std::vector<RunData> out;
  for (auto& run : store.runs()) {
    RunData data;
    data.label = db_prefix + std::to_string(run.id);
    data.epochs = store.epochs(run.id);
    data.energy = store.run_energy(run.id);
    data.run = std::move(run);
    out.push_back(std::move(data));
  }
  return out;
}

RunSummary summarize_run(const RunData& data) {
  RunSummary s;
  s.label = data.label;
  s.run = data.run;
  s.n_epochs = static_cast<int>(data.epochs.size());
  std::map<EnergySource, int> sources;
  bool all_counter = !data.epochs.empty();
  double counter_mwh = 0, weighted_coverage = 0, coverage_sum = 0;
  for (const auto& e : data.epochs) {
    s.duration_s += e.duration_s;
    s.energy_mwh += e.energy_mwh;
    s.n_samples += e.n_samples;
    weighted_coverage += e.coverage * e.duration_s;
    coverage_sum += e.coverage;
    ++sources[e.source];
    split_components(e, data.run.device, s);
    s.components.add(e.components);
    if (e.short_epoch) ++s.n_short_epochs;
    if (e.counter_energy_mwh) {
      counter_mwh += *e.counter_energy_mwh;
    } else {
      all_counter = false;
    }
  }
  if (all_counter) s.counter_energy_mwh = counter_mwh;
  s.whole = data.energy;
  s.gpu_measured = s.components.get(Component::kGpu).has_value();
  s.study_energy_mwh = s.gpu_measured ? *s.components.get(Component::kGpu) : s.energy_mwh;
  if (s.n_epochs > 0) {
    s.mean_epoch_energy_mwh = s.energy_mwh / s.n_epochs;
    s.study_mean_epoch_energy_mwh = s.study_energy_mwh / s.n_epochs;
    s.coverage = s.duration_s > 0 ? weighted_coverage / s.duration_s : coverage_sum / s.n_epochs;
  }
  s.modelled = sources.count(EnergySource::kModelled) > 0;
  if (sources.empty()) {
    s.source = "none";
  } else if (sources.size() == 1) {
    s.source = std::string(to_string(sources.begin()->first));
  } else {
    s.source = "mixed (";
    bool first = true;
    for (const auto& [source, n] : sources) {
      s.source += fmt::format("{}{} {}", first ? "" : ", ", to_string(source), n);
      first = false;
    }
    s.source += " epochs)";
  }
  return s;
}

StudyReport analyze(const std::vector<RunData>& runs, const ReportOptions& options) {
  StudyReport report;
  // Setups outside Table 1: ids 17, 18, ... by batch size and learning rate.
  std::map<std::pair<int, double>, int> extra_setups;
  for (const auto& data : runs) {
    const auto& r = data.run;
    if (r.batch_size && r.learning_rate && !table1_setup(*r.batch_size, *r.learning_rate)) {
      extra_setups.emplace(std::make_pair(*r.batch_size, *r.learning_rate), 0);
    }
  }
  int next_id = 17;
  for (auto& [pair, id] : extra_setups) id = next_id++;
  struct Guard {
    explicit Guard(const std::map<std::pair<int, double>, int>* m) { g_extra_setups = m; }
    ~Guard() { g_extra_setups = nullptr; }
  } guard(&extra_setups);

  for (const auto& data : runs) {
    // emissions.csv lists every run that started: failed and diverged too.
    if (data.run.status != RunStatus::kPending) report.started_runs.push_back(summarize_run(data));
    if (data.run.status == RunStatus::kDiverged) {
      ++report.left_out[std::string(to_string(data.run.status))];
      report.diverged.push_back(summarize_run(data));
      report.any_modelled = report.any_modelled || report.diverged.back().modelled;
      continue;
    }
    if (!counted(data.run.status)) {
      ++report.left_out[std::string(to_string(data.run.status))];
      continue;
    }
    report.runs.push_back(summarize_run(data));
    report.any_modelled = report.any_modelled || report.runs.back().modelled;
  }
  for (const auto& [scenario, scenario_runs] :
       by_scenario(report.runs, roles::kRegime, roles::kClassifier)) {
    report.table2.push_back(energy_matrix(scenario, scenario_runs));
    report.figure3.push_back(rank_setups(scenario, roles::kRegime, roles::kClassifier,
                                         scenario_runs, options.target_tolerance_points));
  }
  for (const auto& [scenario, scenario_runs] : by_scenario(report.runs, roles::kPretraining, "")) {
    auto summary = break_even_summary(scenario, scenario_runs);
    if (!summary.per_repeat.empty()) report.break_even.push_back(std::move(summary));
    auto freeze = freeze_comparison(scenario, scenario_runs);
    if (freeze.n_frozen > 0 || freeze.n_unfrozen > 0) report.table3.push_back(freeze);
  }
  for (const auto& [scenario, scenario_runs] : by_scenario(report.runs, roles::kMultitask, "")) {
    auto summary = multitask_summary(scenario, scenario_runs);
    if (!summary.roles.empty()) report.table4.push_back(std::move(summary));
  }
  add_findings(report, options.target_tolerance_points);
  report.claims = test_claims(report);
  // Carbon counts every joule spent, diverged runs included.
  std::vector<RunSummary> spent = report.runs;
  spent.insert(spent.end(), report.diverged.begin(), report.diverged.end());
  report.carbon = carbon_summary(spent, options.carbon);
  return report;
}

}  // namespace powertrain
