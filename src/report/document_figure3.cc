// Figure 3: each setup's energy as a share of the worst.
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

namespace {

// Bars of the setups' means, a dot per repeat.
Figure bars_and_dots(const SetupRanking& r, const Table& t, const json& bars, const json& dots,
                     bool modelled) {
  Figure f;
  f.id = "figure3_" + scenario_slug(r.scenario);
  f.title = "Figure 3: energy of each setup as % of the worst, " + r.scenario.name() + " (" +
            r.energy_basis + " energy)";
  json spec = base_spec(f.title, modelled);
  json x = {{"field", "setup"}, {"type", "ordinal"}, {"title", "setup"}};
  json y = {{"field", "percent"}, {"type", "quantitative"}, {"title", "% of worst setup"}};
  spec["layer"] =
      json::array({{{"data", {{"values", bars}}},
                    {"mark", "bar"},
                    {"encoding",
                     {{"x", x},
                      {"y", y},
                      {"color", {{"field", "source"}, {"type", "nominal"}, {"title", "energy"}}},
                      {"tooltip", json::array({{{"field", "setup"}},
                                               {{"field", "batch_size"}},
                                               {{"field", "learning_rate"}},
                                               {{"field", "percent"}, {"format", ".1f"}},
                                               {{"field", "energy_wh"}, {"format", ".3f"}},
                                               {{"field", "metric"}, {"format", ".4f"}},
                                               {{"field", "source"}}})}}}},
                   {{"data", {{"values", dots}}},
                    {"mark", {{"type", "point"}, {"filled", true}, {"color", "black"}}},
                    {"encoding",
                     {{"x", x},
                      {"y", y},
                      {"tooltip", json::array({{{"field", "run"}},
                                               {{"field", "percent"}, {"format", ".1f"}},
                                               {{"field", "energy_wh"}, {"format", ".3f"}}})}}}}});
  f.vega_lite = spec.dump();
  f.data = t;
  return f;
}

}  // namespace

Section figure3_section(const StudyReport& report) {
  Section section;
  section.id = "figure3";
  section.title = "Figure 3: total energy of each setup as a share of the worst";
  section.paragraphs.push_back(
      "Bars: mean total energy of a setup over its repeats, in percent of the setup with the "
      "highest mean; dots: each repeat against the same reference. Final accuracy stands "
      "beside energy.");
  for (const auto& r : report.figure3) {
    Table t;
    t.id = "figure3_" + scenario_slug(r.scenario);
    t.title = "Figure 3 data: " + r.scenario.name() + " (" + r.energy_basis + " energy)";
    const std::string metric = r.metric_name.empty() ? "metric" : r.metric_name;
    t.columns = {"setup",
                 "batch size",
                 "learning rate",
                 "repeats",
                 "energy per repeat (Wh, " + r.energy_basis + ")",
                 "mean energy (Wh, " + r.energy_basis + ")",
                 "% of worst",
                 "repeats % of worst",
                 "mean epochs",
                 "mean " + metric,
                 "mean energy (Wh, whole node)"};
    json bars = json::array(), dots = json::array();
    bool modelled = false;
    for (const auto& e : r.setups) {
      std::string per_repeat, per_repeat_pct;
      for (size_t k = 0; k < e.repeat_energy_mwh.size(); ++k) {
        per_repeat += (k ? ", " : "") + format_number(e.repeat_energy_mwh[k] / 1000.0, 3);
        if (k < e.repeat_percent_of_worst.size()) {
          per_repeat_pct += (k ? ", " : "") + format_number(e.repeat_percent_of_worst[k], 1);
          dots.push_back({{"setup", e.setup},
                          {"percent", e.repeat_percent_of_worst[k]},
                          {"run", e.repeat_labels[k]},
                          {"energy_wh", e.repeat_energy_mwh[k] / 1000.0}});
        }
      }
      modelled = modelled || e.modelled;
      t.rows.push_back({text_cell(setup_label(e.setup, e.batch_size, e.learning_rate)),
                        number_cell(e.batch_size, 0),
                        Cell{lr_text(e.learning_rate), e.learning_rate, false},
                        number_cell(static_cast<double>(e.repeat_energy_mwh.size()), 0),
                        Cell{per_repeat, std::nullopt, e.modelled},
                        number_cell(e.mean_energy_mwh / 1000.0, 3, e.modelled),
                        number_cell(e.percent_of_worst, 1, e.modelled),
                        Cell{per_repeat_pct, std::nullopt, e.modelled},
                        number_cell(e.mean_epochs, 1), optional_cell(e.mean_metric, 4),
                        number_cell(e.mean_node_energy_mwh / 1000.0, 3, e.modelled)});
      json bar = {{"setup", e.setup},
                  {"percent", e.percent_of_worst},
                  {"energy_wh", e.mean_energy_mwh / 1000.0},
                  {"batch_size", e.batch_size},
                  {"learning_rate", lr_text(e.learning_rate)},
                  {"source", e.modelled ? "modelled" : "measured"}};
      if (e.mean_metric) bar["metric"] = *e.mean_metric;
      bars.push_back(bar);
    }
    t.notes.push_back(fmt::format("Worst setup: {}; best setup: {}.", r.worst_setup, r.best_setup));
    if (r.cheapest_on_target_setup) {
      t.notes.push_back(fmt::format("Cheapest setup within the target {} {:.4g}: setup {}.", metric,
                                    *r.target_metric, *r.cheapest_on_target_setup));
    }
    Figure f = bars_and_dots(r, t, bars, dots, modelled);
    section.figures.push_back(std::move(f));
  }
  if (report.figure3.empty()) section.paragraphs.push_back("No counted regime runs.");
  return section;
}

}  // namespace document_internal
}  // namespace powertrain
