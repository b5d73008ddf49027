// Table 3: classifiers on a frozen against an unfrozen pretrained encoder.
#include "report/analysis_internal.h"

#include "powertrain/store/run_roles.h"

namespace powertrain {
namespace analysis_internal {

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

}  // namespace analysis_internal

}  // namespace powertrain
