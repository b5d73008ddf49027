// The study's analyses. Every figure is computed from the runs' stored
// epochs (equation 1 energies, already multiplied by each run's PUE).
#include "powertrain/report/analysis.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "powertrain/store/run_roles.h"
#include "powertrain/sweep/plan.h"

namespace powertrain {
namespace {

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

std::string wh(double mwh) { return fmt::format("{:.3f} Wh", mwh / 1000.0); }
std::string pct(double percent) { return fmt::format("{:.1f}%", percent); }
std::string lr_text(double lr) { return fmt::format("{:g}", lr); }
std::string setup_text(int setup, int batch_size, double lr) {
  return fmt::format("setup {} (batch {}, lr {})", setup_label(setup, batch_size, lr), batch_size,
                     lr_text(lr));
}

template <typename T>
double mean_of(const std::vector<T>& values) {
  if (values.empty()) return 0;
  double sum = 0;
  for (const auto& v : values) sum += v;
  return sum / static_cast<double>(values.size());
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

EnergyMatrix energy_matrix(const ScenarioKey& scenario,
                           const std::vector<const RunSummary*>& runs) {
  EnergyMatrix m;
  m.scenario = scenario;
  m.energy_basis = energy_basis(runs);
  std::set<int> batch_sizes;
  std::set<double, std::greater<double>> learning_rates;
  for (const auto* r : runs) {
    if (r->run.batch_size && r->run.learning_rate && r->n_epochs > 0) {
      batch_sizes.insert(*r->run.batch_size);
      learning_rates.insert(*r->run.learning_rate);
    }
  }
  m.batch_sizes.assign(batch_sizes.begin(), batch_sizes.end());
  m.learning_rates.assign(learning_rates.begin(), learning_rates.end());
  const size_t rows = m.batch_sizes.size(), cols = m.learning_rates.size();
  m.cells.assign(rows, std::vector<std::optional<Measure>>(cols));
  m.node_cells.assign(rows, std::vector<std::optional<Measure>>(cols));
  m.n_runs.assign(rows, std::vector<int>(cols, 0));
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < cols; ++j) {
      std::vector<double> values, node_values;
      bool modelled = false;
      for (const auto* r : runs) {
        if (r->n_epochs > 0 && r->run.batch_size == m.batch_sizes[i] &&
            r->run.learning_rate == m.learning_rates[j]) {
          values.push_back(r->study_mean_epoch_energy_mwh);
          node_values.push_back(r->mean_epoch_energy_mwh);
          modelled = modelled || r->modelled;
        }
      }
      m.n_runs[i][j] = static_cast<int>(values.size());
      if (!values.empty()) {
        m.cells[i][j] = Measure{mean_of(values), modelled};
        m.node_cells[i][j] = Measure{mean_of(node_values), modelled};
      }
    }
  }
  // Two-way decomposition without replication over the cells that exist:
  // how much of the spread lies between batch-size rows and between
  // learning-rate columns.
  std::vector<double> all;
  std::vector<std::vector<double>> row_values(rows), col_values(cols);
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < cols; ++j) {
      if (!m.cells[i][j]) continue;
      all.push_back(m.cells[i][j]->value);
      row_values[i].push_back(m.cells[i][j]->value);
      col_values[j].push_back(m.cells[i][j]->value);
    }
  }
  const double grand = mean_of(all);
  double ss_total = 0, ss_rows = 0, ss_cols = 0;
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < cols; ++j) {
      if (!m.cells[i][j]) continue;
      ss_total += std::pow(m.cells[i][j]->value - grand, 2);
      ss_rows += std::pow(mean_of(row_values[i]) - grand, 2);
      ss_cols += std::pow(mean_of(col_values[j]) - grand, 2);
    }
  }
  if (ss_total > 0) {
    m.batch_size_share_percent = 100.0 * ss_rows / ss_total;
    m.learning_rate_share_percent = 100.0 * ss_cols / ss_total;
  }
  return m;
}

SetupRanking rank_setups(const ScenarioKey& scenario, const std::string& paradigm,
                         const std::string& role, const std::vector<const RunSummary*>& runs,
                         double tolerance_points) {
  SetupRanking ranking;
  ranking.scenario = scenario;
  ranking.paradigm = paradigm;
  ranking.role = role;
  ranking.energy_basis = energy_basis(runs);
  std::map<int, std::vector<const RunSummary*>> per_setup;
  for (const auto* r : runs) {
    if (auto setup = setup_of(r->run)) per_setup[*setup].push_back(r);
  }
  for (auto& [setup, setup_runs] : per_setup) {
    std::sort(setup_runs.begin(), setup_runs.end(), [](const auto* a, const auto* b) {
      return a->run.repeat.value_or(0) < b->run.repeat.value_or(0);
    });
    SetupEnergy e;
    e.setup = setup;
    e.batch_size = setup_runs.front()->run.batch_size.value_or(0);
    e.learning_rate = setup_runs.front()->run.learning_rate.value_or(0);
    std::vector<double> epochs, node;
    for (const auto* r : setup_runs) {
      e.repeat_energy_mwh.push_back(r->study_energy_mwh);
      node.push_back(r->energy_mwh);
      e.repeat_labels.push_back(r->label);
      epochs.push_back(r->n_epochs);
      e.modelled = e.modelled || r->modelled;
      if (ranking.metric_name.empty()) ranking.metric_name = r->run.metric_name;
    }
    e.mean_energy_mwh = mean_of(e.repeat_energy_mwh);
    e.mean_node_energy_mwh = mean_of(node);
    e.mean_epochs = mean_of(epochs);
    e.mean_metric = mean_metric(setup_runs);
    ranking.setups.push_back(e);
  }
  if (ranking.setups.empty()) return ranking;
  const auto worst = std::max_element(
      ranking.setups.begin(), ranking.setups.end(),
      [](const auto& a, const auto& b) { return a.mean_energy_mwh < b.mean_energy_mwh; });
  const auto best = std::min_element(
      ranking.setups.begin(), ranking.setups.end(),
      [](const auto& a, const auto& b) { return a.mean_energy_mwh < b.mean_energy_mwh; });
  ranking.worst_setup = worst->setup;
  ranking.best_setup = best->setup;
  const double worst_mwh = worst->mean_energy_mwh;
  for (auto& e : ranking.setups) {
    if (worst_mwh <= 0) continue;
    e.percent_of_worst = 100.0 * e.mean_energy_mwh / worst_mwh;
    for (double r : e.repeat_energy_mwh) e.repeat_percent_of_worst.push_back(100.0 * r / worst_mwh);
  }
  for (const auto& e : ranking.setups) {
    if (e.mean_metric && (!ranking.best_metric || *e.mean_metric > *ranking.best_metric)) {
      ranking.best_metric = e.mean_metric;
    }
  }
  if (ranking.best_metric) {
    // A metric stored as a fraction (accuracy 0..1) has 0.01 per point.
    const double point = *ranking.best_metric <= 1.0 ? 0.01 : 1.0;
    ranking.target_metric = *ranking.best_metric - tolerance_points * point;
    const SetupEnergy* cheapest = nullptr;
    for (const auto& e : ranking.setups) {
      if (!e.mean_metric || *e.mean_metric < *ranking.target_metric - 1e-12) continue;
      if (!cheapest || e.mean_energy_mwh < cheapest->mean_energy_mwh) cheapest = &e;
    }
    if (cheapest) ranking.cheapest_on_target_setup = cheapest->setup;
  }
  return ranking;
}

void fill_cycles(BreakEven& b) {
  b.cycles_frozen = break_even_cycles(b.autoencoder_mwh, b.baseline_mwh, b.frozen_mwh);
  if (b.unfrozen_mwh) {
    b.cycles_unfrozen = break_even_cycles(b.autoencoder_mwh, b.baseline_mwh, *b.unfrozen_mwh);
  }
}

BreakEvenSummary break_even_summary(const ScenarioKey& scenario,
                                    const std::vector<const RunSummary*>& runs) {
  BreakEvenSummary summary;
  summary.scenario = scenario;
  // (setup, repeat) -> role -> runs; the formula pairs runs of one setup and repeat.
  std::map<std::pair<int, int>, std::map<std::string, std::vector<const RunSummary*>>> groups;
  for (const auto* r : runs) {
    auto setup = setup_of(r->run);
    if (!setup) continue;
    groups[{*setup, r->run.repeat.value_or(0)}][r->run.role].push_back(r);
  }
  summary.energy_basis = energy_basis(runs);
  auto energy = [](const std::vector<const RunSummary*>& rs) {
    std::vector<double> values;
    for (const auto* r : rs) values.push_back(r->study_energy_mwh);
    return mean_of(values);
  };
  auto any_modelled = [](const std::vector<const RunSummary*>& rs) {
    return std::any_of(rs.begin(), rs.end(), [](const auto* r) { return r->modelled; });
  };
  for (const auto& [key, roles_map] : groups) {
    auto enc = roles_map.find(roles::kAutoencoder);
    auto base = roles_map.find(roles::kBaseline);
    auto frozen = roles_map.find(roles::kFrozen);
    if (enc == roles_map.end() || base == roles_map.end() || frozen == roles_map.end()) continue;
    BreakEven b;
    b.setup = key.first;
    b.repeat = key.second;
    const auto& any_run = base->second.front()->run;
    b.batch_size = any_run.batch_size.value_or(0);
    b.learning_rate = any_run.learning_rate.value_or(0);
    b.autoencoder_mwh = energy(enc->second);
    b.baseline_mwh = energy(base->second);
    b.frozen_mwh = energy(frozen->second);
    b.modelled =
        any_modelled(enc->second) || any_modelled(base->second) || any_modelled(frozen->second);
    auto unfrozen = roles_map.find(roles::kUnfrozen);
    if (unfrozen != roles_map.end()) {
      b.unfrozen_mwh = energy(unfrozen->second);
      b.has_unfrozen = true;
      b.modelled = b.modelled || any_modelled(unfrozen->second);
    }
    fill_cycles(b);
    summary.per_repeat.push_back(b);
  }
  // Per setup: the matched repeats' energies averaged, then equation 2.
  std::map<int, std::vector<const BreakEven*>> per_setup;
  for (const auto& b : summary.per_repeat) per_setup[b.setup].push_back(&b);
  auto average = [](const std::vector<const BreakEven*>& items, int setup) {
    BreakEven m;
    m.setup = setup;
    m.batch_size = items.front()->batch_size;
    m.learning_rate = items.front()->learning_rate;
    m.n_repeats = static_cast<int>(items.size());
    std::vector<double> enc, base, frozen, unfrozen;
    for (const auto* b : items) {
      enc.push_back(b->autoencoder_mwh);
      base.push_back(b->baseline_mwh);
      frozen.push_back(b->frozen_mwh);
      if (b->unfrozen_mwh) unfrozen.push_back(*b->unfrozen_mwh);
      m.modelled = m.modelled || b->modelled;
    }
    m.autoencoder_mwh = mean_of(enc);
    m.baseline_mwh = mean_of(base);
    m.frozen_mwh = mean_of(frozen);
    if (!unfrozen.empty()) {
      m.unfrozen_mwh = mean_of(unfrozen);
      m.has_unfrozen = true;
    }
    fill_cycles(m);
    return m;
  };
  for (const auto& [setup, items] : per_setup) {
    summary.per_setup.push_back(average(items, setup));
  }
  if (summary.per_setup.empty()) return summary;
  for (const auto& b : summary.per_setup) {
    if (!b.cycles_frozen) {
      ++summary.n_never;
      continue;
    }
    if (!summary.best || *b.cycles_frozen < *summary.best->cycles_frozen) summary.best = b;
    if (!summary.worst || *b.cycles_frozen > *summary.worst->cycles_frozen) summary.worst = b;
  }
  for (const auto& b : summary.per_setup) {
    if (b.has_unfrozen && !b.cycles_unfrozen) ++summary.n_never_unfrozen;
  }
  // The average setup: each energy averaged over the setups (setup 0).
  std::vector<const BreakEven*> all;
  for (const auto& b : summary.per_setup) all.push_back(&b);
  BreakEven avg = average(all, 0);
  avg.batch_size = 0;
  avg.learning_rate = 0;
  avg.n_repeats = static_cast<int>(summary.per_repeat.size());
  summary.average = avg;
  return summary;
}

FreezeComparison freeze_comparison(const ScenarioKey& scenario,
                                   const std::vector<const RunSummary*>& runs) {
  FreezeComparison c;
  c.scenario = scenario;
  std::vector<const RunSummary*> frozen, unfrozen;
  for (const auto* r : runs) {
    if (r->run.role == roles::kFrozen) frozen.push_back(r);
    if (r->run.role == roles::kUnfrozen) unfrozen.push_back(r);
  }
  auto measure = [](const std::vector<const RunSummary*>& rs) {
    Measure m;
    std::vector<double> values;
    for (const auto* r : rs) {
      values.push_back(r->study_energy_mwh / 1000.0);
      m.modelled = m.modelled || r->modelled;
    }
    m.value = mean_of(values);
    return m;
  };
  std::vector<const RunSummary*> both = frozen;
  both.insert(both.end(), unfrozen.begin(), unfrozen.end());
  c.energy_basis = energy_basis(both);
  c.n_frozen = static_cast<int>(frozen.size());
  c.n_unfrozen = static_cast<int>(unfrozen.size());
  c.frozen_wh = measure(frozen);
  c.unfrozen_wh = measure(unfrozen);
  if (c.unfrozen_wh.value > 0) {
    c.saving_percent = 100.0 * (c.unfrozen_wh.value - c.frozen_wh.value) / c.unfrozen_wh.value;
  }
  c.frozen_metric = mean_metric(frozen);
  c.unfrozen_metric = mean_metric(unfrozen);
  return c;
}

MultitaskSummary multitask_summary(const ScenarioKey& scenario,
                                   const std::vector<const RunSummary*>& runs) {
  MultitaskSummary summary;
  summary.scenario = scenario;
  summary.energy_basis = energy_basis(runs);
  for (const char* role : {roles::kAttributes, roles::kIdentity, roles::kBoth}) {
    std::vector<const RunSummary*> role_runs;
    for (const auto* r : runs) {
      if (r->run.role == role) role_runs.push_back(r);
    }
    if (role_runs.empty()) continue;
    TaskCost cost;
    cost.role = role;
    cost.n_runs = static_cast<int>(role_runs.size());
    std::vector<double> totals, per_epoch, epochs;
    for (const auto* r : role_runs) {
      totals.push_back(r->study_energy_mwh / 1000.0);
      if (r->n_epochs > 0) per_epoch.push_back(r->study_mean_epoch_energy_mwh);
      epochs.push_back(r->n_epochs);
      cost.total_wh.modelled = cost.total_wh.modelled || r->modelled;
    }
    cost.total_wh.value = mean_of(totals);
    cost.epoch_mwh = Measure{mean_of(per_epoch), cost.total_wh.modelled};
    cost.mean_epochs = mean_of(epochs);
    cost.mean_metric = mean_metric(role_runs);
    summary.roles.push_back(cost);

    std::map<int, std::vector<const RunSummary*>> per_setup;
    for (const auto* r : role_runs) {
      if (auto setup = setup_of(r->run)) per_setup[*setup].push_back(r);
    }
    for (const auto& [setup, setup_runs] : per_setup) {
      SetupTaskEnergy e;
      e.setup = setup;
      e.batch_size = setup_runs.front()->run.batch_size.value_or(0);
      e.learning_rate = setup_runs.front()->run.learning_rate.value_or(0);
      e.role = role;
      std::vector<double> values;
      for (const auto* r : setup_runs) {
        values.push_back(r->study_energy_mwh / 1000.0);
        e.modelled = e.modelled || r->modelled;
      }
      e.energy_wh = mean_of(values);
      summary.per_setup.push_back(e);
    }
  }
  std::sort(summary.per_setup.begin(), summary.per_setup.end(),
            [](const auto& a, const auto& b) { return a.setup < b.setup; });
  return summary;
}

std::string cycles_text(const std::optional<double>& cycles) {
  if (!cycles) return "never breaks even";
  return fmt::format("breaks even after {:.2f} cycles (reuse {} times)", *cycles,
                     static_cast<long>(std::ceil(*cycles - 1e-9)));
}

void add_findings(StudyReport& report, double tolerance_points) {
  auto add = [&report](std::string topic, std::string text, bool modelled) {
    if (modelled) text += " [includes modelled energy]";
    report.findings.push_back({std::move(topic), std::move(text), modelled});
  };
  for (const auto& m : report.table2) {
    std::optional<Measure> low, high;
    std::string low_at, high_at;
    bool modelled = false;
    for (size_t i = 0; i < m.batch_sizes.size(); ++i) {
      for (size_t j = 0; j < m.learning_rates.size(); ++j) {
        const auto& c = m.cells[i][j];
        if (!c) continue;
        modelled = modelled || c->modelled;
        const std::string at =
            fmt::format("batch {}, lr {}", m.batch_sizes[i], lr_text(m.learning_rates[j]));
        if (!low || c->value < low->value) low = c, low_at = at;
        if (!high || c->value > high->value) high = c, high_at = at;
      }
    }
    if (!low) continue;
    add("spread",
        fmt::format("{}: batch size explains {} of the spread (sum of squares) in energy per "
                    "epoch between the cells' means, learning rate {} (the rest is interaction; "
                    "the spread between repeats is not in these shares: the claims below test "
                    "it); energy per epoch ranges from {:.2f} mWh ({}) to {:.2f} mWh ({}).",
                    m.scenario.name(), pct(m.batch_size_share_percent),
                    pct(m.learning_rate_share_percent), low->value, low_at, high->value, high_at),
        modelled);
  }
  for (const auto& r : report.figure3) {
    const SetupEnergy* best = nullptr;
    const SetupEnergy* worst = nullptr;
    bool modelled = false;
    for (const auto& e : r.setups) {
      if (e.setup == r.best_setup) best = &e;
      if (e.setup == r.worst_setup) worst = &e;
      modelled = modelled || e.modelled;
    }
    if (!best || !worst) continue;
    add("best-vs-worst",
        fmt::format("{}: the cheapest {} used {} of the energy of the most expensive {} "
                    "({} vs {} per run, means over repeats; {:.1f} vs {:.1f} epochs).",
                    r.scenario.name(),
                    setup_text(best->setup, best->batch_size, best->learning_rate),
                    pct(best->percent_of_worst),
                    setup_text(worst->setup, worst->batch_size, worst->learning_rate),
                    wh(best->mean_energy_mwh), wh(worst->mean_energy_mwh), best->mean_epochs,
                    worst->mean_epochs),
        modelled);
    if (r.best_metric && r.target_metric) {
      const std::string metric = r.metric_name.empty() ? "metric" : r.metric_name;
      std::string text = fmt::format(
          "{}: the best mean final {} is {:.4g}; the target is {:.4g} (within {:g} point of the "
          "best). ",
          r.scenario.name(), metric, *r.best_metric, *r.target_metric, tolerance_points);
      const SetupEnergy* cheapest = nullptr;
      for (const auto& e : r.setups) {
        if (r.cheapest_on_target_setup && e.setup == *r.cheapest_on_target_setup) cheapest = &e;
      }
      if (cheapest) {
        text += fmt::format(
            "The cheapest setup that reaches it is {}: {} per run ({} of the "
            "worst setup), {} {:.4g}.",
            setup_text(cheapest->setup, cheapest->batch_size, cheapest->learning_rate),
            wh(cheapest->mean_energy_mwh), pct(cheapest->percent_of_worst), metric,
            *cheapest->mean_metric);
      }
      add("accuracy", text, cheapest && cheapest->modelled);
    }
  }
  for (const auto& b : report.break_even) {
    if (b.per_setup.empty()) continue;
    std::string text = fmt::format("{}: with the frozen encoder as E_class, ", b.scenario.name());
    bool modelled = false;
    if (b.best) {
      text += fmt::format("the best {} {}; the worst that breaks even, {}, after {:.2f}; ",
                          setup_text(b.best->setup, b.best->batch_size, b.best->learning_rate),
                          cycles_text(b.best->cycles_frozen),
                          setup_text(b.worst->setup, b.worst->batch_size, b.worst->learning_rate),
                          *b.worst->cycles_frozen);
      modelled = b.best->modelled || b.worst->modelled;
    }
    if (b.average) {
      text += fmt::format("the average setup {}", cycles_text(b.average->cycles_frozen));
      modelled = modelled || b.average->modelled;
      if (b.average->has_unfrozen) {
        text += fmt::format(" (with the unfrozen encoder as E_class: {})",
                            cycles_text(b.average->cycles_unfrozen));
      }
    }
    text += fmt::format("; {} of {} setups never break even.", b.n_never, b.per_setup.size());
    add("break-even", text, modelled);
  }
  for (const auto& c : report.table3) {
    if (c.n_frozen == 0 || c.n_unfrozen == 0) continue;
    const bool saves = c.saving_percent > 0;
    add("freezing",
        fmt::format("{}: the classifier on the frozen encoder used {:.3f} Wh per run, on the "
                    "unfrozen encoder {:.3f} Wh: freezing {} {}.",
                    c.scenario.name(), c.frozen_wh.value, c.unfrozen_wh.value,
                    saves ? "saves" : "costs",
                    pct(std::fabs(c.saving_percent)) + (saves ? "" : " more")),
        c.frozen_wh.modelled || c.unfrozen_wh.modelled);
  }
  for (const auto& m : report.table4) {
    const TaskCost* attributes = nullptr;
    const TaskCost* identity = nullptr;
    const TaskCost* both = nullptr;
    for (const auto& t : m.roles) {
      if (t.role == roles::kAttributes) attributes = &t;
      if (t.role == roles::kIdentity) identity = &t;
      if (t.role == roles::kBoth) both = &t;
    }
    if (!both || !attributes || !identity) continue;
    const double apart = attributes->total_wh.value + identity->total_wh.value;
    const bool below_one =
        both->total_wh.value < std::min(attributes->total_wh.value, identity->total_wh.value);
    add("multitask",
        fmt::format("{}: one multitask run used {:.3f} Wh ({:.1f} epochs), the two tasks apart "
                    "{:.3f} Wh (attributes {:.3f} Wh, {:.1f} epochs + identity {:.3f} Wh, {:.1f} "
                    "epochs): multitask costs {} of the two apart, and {} than {}.",
                    m.scenario.name(), both->total_wh.value, both->mean_epochs, apart,
                    attributes->total_wh.value, attributes->mean_epochs, identity->total_wh.value,
                    identity->mean_epochs,
                    pct(apart > 0 ? 100.0 * both->total_wh.value / apart : 0),
                    below_one ? "less" : "not less",
                    below_one ? "either task alone" : "the cheaper task alone"),
        both->total_wh.modelled || attributes->total_wh.modelled || identity->total_wh.modelled);
  }
}

CarbonSummary carbon_summary(const std::vector<RunSummary>& runs, const CarbonOptions& options) {
  CarbonSummary summary;
  summary.setting = resolve_carbon(options);
  std::map<ScenarioKey, CarbonRow> rows;
  CarbonRow total;
  total.name = "all runs";
  auto add = [](CarbonRow& row, const RunSummary& r) {
    ++row.n_runs;
    row.energy_mwh += r.energy_mwh;
    row.modelled = row.modelled || r.modelled;
  };
  for (const auto& r : runs) {
    auto& row = rows[scenario_of(r)];
    row.name = scenario_of(r).name();
    add(row, r);
    add(total, r);
  }
  for (auto& [key, row] : rows) summary.rows.push_back(row);
  summary.rows.push_back(total);
  for (auto& row : summary.rows) {
    row.grams_co2e = grams_co2e(row.energy_mwh, summary.setting.g_per_kwh);
    row.car_km = row.grams_co2e / summary.setting.car_g_per_km;
  }
  return summary;
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

std::optional<double> break_even_cycles(double encoder_mwh, double baseline_mwh,
                                        double classifier_mwh) {
  const double denominator = baseline_mwh - classifier_mwh;
  if (denominator <= 0) return std::nullopt;
  return encoder_mwh / denominator;
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
