// The emissions table.
#include "report/document_internal.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "powertrain/energy/sensors/model.h"
#include "powertrain/store/run_roles.h"
#include "powertrain/train/divergence.h"

namespace powertrain {
namespace document_internal {

Section carbon_section(const StudyReport& report) {
  const auto& c = report.carbon;
  Section section;
  section.id = "carbon";
  section.title = "Carbon";
  section.paragraphs.push_back(fmt::format(
      "Carbon intensity used: {:g} g CO2e/kWh for {} ({}); source: {}. Override with --country "
      "or --intensity.",
      c.setting.g_per_kwh, c.setting.country, c.setting.iso_code, c.setting.source));
  section.paragraphs.push_back(fmt::format("Car equivalent: {:.1f} g CO2 per km; source: {}.",
                                           c.setting.car_g_per_km, kCarEmissionsSource));
  Table t;
  t.id = "carbon";
  t.title = "Carbon of the counted runs";
  t.columns = {"scenario", "runs", "energy (Wh)", "CO2e (g)", "km by car"};
  for (const auto& row : c.rows) {
    t.rows.push_back({text_cell(row.name), number_cell(row.n_runs, 0),
                      number_cell(row.energy_mwh / 1000.0, 3, row.modelled),
                      number_cell(row.grams_co2e, 3, row.modelled),
                      number_cell(row.car_km, 4, row.modelled)});
  }
  section.tables.push_back(std::move(t));
  return section;
}

}  // namespace document_internal
}  // namespace powertrain
