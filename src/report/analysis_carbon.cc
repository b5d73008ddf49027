// The emissions table: every run's energy as CO2e and car kilometres.
#include "report/analysis_internal.h"

#include <map>

#include "powertrain/report/carbon.h"

namespace powertrain {
namespace analysis_internal {

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

}  // namespace analysis_internal

}  // namespace powertrain
