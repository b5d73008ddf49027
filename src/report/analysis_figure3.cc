// Figure 3: each setup's energy as a share of the worst, and the cheapest
// setup that reaches the target metric.
#include "report/analysis_internal.h"

#include <algorithm>
#include <map>

namespace powertrain {
namespace analysis_internal {

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

}  // namespace analysis_internal

}  // namespace powertrain
