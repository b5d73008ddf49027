// Table 4 and Figure 5: one model for both tasks against one per task.
#include "report/analysis_internal.h"

#include <algorithm>
#include <map>

#include "powertrain/store/run_roles.h"

namespace powertrain {
namespace analysis_internal {

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

}  // namespace analysis_internal

}  // namespace powertrain
