// Table 2: energy per epoch by batch size and learning rate.
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

// The same cells on the whole node (every component), beside a GPU table.
Table node_table(const EnergyMatrix& m, const Table& t) {
  Table node;
  node.id = t.id + "_node";
  node.title = "Table 2: " + m.scenario.name() + " (whole node energy, mWh per epoch)";
  node.columns = t.columns;
  for (size_t i = 0; i < m.batch_sizes.size(); ++i) {
    std::vector<Cell> row{number_cell(m.batch_sizes[i], 0)};
    for (size_t j = 0; j < m.learning_rates.size(); ++j) {
      const auto& c = m.node_cells[i][j];
      row.push_back(c ? number_cell(c->value, 2, c->modelled) : text_cell("-"));
    }
    node.rows.push_back(std::move(row));
  }
  return node;
}

// The table as a heat map, its values labelled.
Figure heatmap(const EnergyMatrix& m, const Table& t, const json& values, bool modelled) {
  double low_mwh = 0, high_mwh = 0;
  bool first = true;
  for (const auto& row : m.cells) {
    for (const auto& c : row) {
      if (!c) continue;
      low_mwh = first ? c->value : std::min(low_mwh, c->value);
      high_mwh = first ? c->value : std::max(high_mwh, c->value);
      first = false;
    }
  }
  Figure f;
  f.id = "figure_table2_" + scenario_slug(m.scenario);
  f.title = "Energy per epoch, " + m.scenario.name();
  std::vector<std::string> lr_order;
  for (double lr : m.learning_rates) lr_order.push_back(lr_text(lr));
  json spec = base_spec(f.title + " (mWh)", modelled);
  spec["width"] = 320;
  spec["height"] = 220;
  spec["data"] = {{"values", values}};
  json encoding = {{"x",
                    {{"field", "learning_rate"},
                     {"type", "ordinal"},
                     {"sort", lr_order},
                     {"title", "learning rate"}}},
                   {"y", {{"field", "batch_size"}, {"type", "ordinal"}, {"title", "batch size"}}}};
  spec["encoding"] = encoding;
  spec["layer"] = json::array(
      {{{"mark", "rect"},
        {"encoding",
         {{"color", {{"field", "energy_mwh"}, {"type", "quantitative"}, {"title", "mWh/epoch"}}},
          {"tooltip", json::array({{{"field", "batch_size"}},
                                   {{"field", "learning_rate"}},
                                   {{"field", "energy_mwh"}, {"format", ".2f"}},
                                   {{"field", "runs"}},
                                   {{"field", "source"}}})}}}},
       {{"mark", "text"},
        {"encoding",
         {{"text", {{"field", "energy_mwh"}, {"format", ".2f"}}},
          // Light text on the dark half of the colour scale.
          {"color",
           {{"condition",
             {{"test", fmt::format("datum.energy_mwh > {}", (low_mwh + high_mwh) / 2)},
              {"value", "white"}}},
            {"value", "black"}}}}}}});
  f.vega_lite = spec.dump();
  f.data = t;
  return f;
}

}  // namespace

Section table2_section(const StudyReport& report) {
  Section section;
  section.id = "table2";
  section.title = "Table 2: mean energy per epoch (mWh)";
  section.paragraphs.push_back(
      "Regime paradigm (encoder and classifier trained together). Each cell is the mean over "
      "repeats of a run's energy per epoch (its equation 1 total divided by its epochs); rows "
      "are batch sizes, columns learning rates.");
  for (const auto& m : report.table2) {
    Table t;
    t.id = "table2_" + scenario_slug(m.scenario);
    t.title = "Table 2: " + m.scenario.name() + " (" + m.energy_basis + " energy, mWh per epoch)";
    t.columns.push_back("batch size \\ learning rate");
    for (double lr : m.learning_rates) t.columns.push_back(lr_text(lr));
    json values = json::array();
    bool modelled = false;
    for (size_t i = 0; i < m.batch_sizes.size(); ++i) {
      std::vector<Cell> row{number_cell(m.batch_sizes[i], 0)};
      for (size_t j = 0; j < m.learning_rates.size(); ++j) {
        const auto& c = m.cells[i][j];
        if (!c) {
          row.push_back(text_cell("-"));
          continue;
        }
        row.push_back(number_cell(c->value, 2, c->modelled));
        modelled = modelled || c->modelled;
        values.push_back({{"batch_size", m.batch_sizes[i]},
                          {"learning_rate", lr_text(m.learning_rates[j])},
                          {"energy_mwh", c->value},
                          {"runs", m.n_runs[i][j]},
                          {"source", c->modelled ? "modelled" : "measured"}});
      }
      t.rows.push_back(std::move(row));
    }
    t.notes.push_back(
        fmt::format("Share of the spread between the cells: batch size {:.1f}%, "
                    "learning rate {:.1f}%.",
                    m.batch_size_share_percent, m.learning_rate_share_percent));
    // Beside a GPU table, the same cells on the whole node (every component).
    if (m.energy_basis != std::string(kBasisNode)) section.tables.push_back(node_table(m, t));
    Figure f = heatmap(m, t, values, modelled);
    section.tables.push_back(std::move(t));
    section.figures.push_back(std::move(f));
  }
  if (report.table2.empty()) section.paragraphs.push_back("No counted regime runs.");
  return section;
}

}  // namespace document_internal
}  // namespace powertrain
