// Table 4 and Figure 5: multitask against one model per task.
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

Section table4_section(const StudyReport& report) {
  Section section;
  section.id = "table4";
  section.title = "Table 4 and Figure 5: multitask against separate tasks";
  section.paragraphs.push_back(
      "Attribute classifier, identity classifier, and both heads on one shared encoder: mean "
      "total energy of a run, mean energy per epoch and mean epochs to convergence, over all "
      "setups and repeats.");
  for (const auto& m : report.table4) {
    const std::string id = scenario_slug(m.scenario);
    Table t;
    t.id = "table4_" + id;
    t.title = "Table 4: " + m.scenario.name() + " (" + m.energy_basis + " energy)";
    t.columns = {"task",   "runs",        "total energy (Wh)", "energy per epoch (mWh)",
                 "epochs", "final metric"};
    for (const auto& r : m.roles) {
      t.rows.push_back({text_cell(r.role), number_cell(r.n_runs, 0),
                        number_cell(r.total_wh.value, 3, r.total_wh.modelled),
                        number_cell(r.epoch_mwh.value, 2, r.epoch_mwh.modelled),
                        number_cell(r.mean_epochs, 1), optional_cell(r.mean_metric, 4)});
    }
    section.tables.push_back(t);
    if (m.per_setup.empty()) continue;
    json values = json::array();
    bool modelled = false;
    Table data;
    data.id = "figure5_" + id;
    data.title = "Figure 5 data: mean total energy per setup (Wh, " + m.energy_basis + "), " +
                 m.scenario.name();
    data.columns = {"setup", "task", "energy (Wh)"};
    for (const auto& e : m.per_setup) {
      modelled = modelled || e.modelled;
      values.push_back({{"setup", e.setup},
                        {"task", e.role},
                        {"energy_wh", e.energy_wh},
                        {"source", e.modelled ? "modelled" : "measured"}});
      data.rows.push_back({text_cell(setup_label(e.setup, e.batch_size, e.learning_rate)),
                           text_cell(e.role), number_cell(e.energy_wh, 3, e.modelled)});
    }
    Figure f;
    f.id = "figure5_" + id;
    f.title = "Figure 5: energy of separate tasks and multitask, " + m.scenario.name();
    json spec = base_spec(f.title, modelled);
    spec["data"] = {{"values", values}};
    spec["mark"] = "bar";
    spec["encoding"] = {{"x", {{"field", "setup"}, {"type", "ordinal"}, {"title", "setup"}}},
                        {"xOffset", {{"field", "task"}, {"type", "nominal"}}},
                        {"y",
                         {{"field", "energy_wh"},
                          {"type", "quantitative"},
                          {"title", "total energy per run (Wh)"}}},
                        {"color", {{"field", "task"}, {"type", "nominal"}}},
                        {"tooltip", json::array({{{"field", "setup"}},
                                                 {{"field", "task"}},
                                                 {{"field", "energy_wh"}, {"format", ".3f"}},
                                                 {{"field", "source"}}})}};
    f.vega_lite = spec.dump();
    f.data = data;
    section.figures.push_back(std::move(f));
  }
  if (report.table4.empty()) section.paragraphs.push_back("No counted multitask runs.");
  return section;
}

}  // namespace document_internal
}  // namespace powertrain
