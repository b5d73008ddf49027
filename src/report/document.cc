// Lays the analyses out as sections of tables and Vega-Lite figures.
#include "powertrain/report/document.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "powertrain/energy/sensors/model.h"
#include "powertrain/store/run_roles.h"
#include "powertrain/train/divergence.h"

namespace powertrain {

const char* const kModelledNote =
    "* modelled: estimated by a power model (no readable sensor), not measured";

namespace {

using nlohmann::json;

Cell text_cell(std::string text) { return Cell{std::move(text), std::nullopt, false}; }

Cell number_cell(double value, int digits, bool modelled = false) {
  return Cell{format_number(value, digits), value, modelled};
}

Cell optional_cell(const std::optional<double>& value, int digits, bool modelled = false,
                   const std::string& missing = "-") {
  if (!value) return text_cell(missing);
  return number_cell(*value, digits, modelled);
}

std::string slug(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-';
  }
  return out;
}

std::string scenario_slug(const ScenarioKey& s) { return slug(s.task) + "_" + slug(s.device); }

std::string lr_text(double lr) { return fmt::format("{:g}", lr); }

std::string modelled_suffix(bool modelled) { return modelled ? " (includes modelled energy)" : ""; }

json base_spec(const std::string& title, bool modelled) {
  return json{{"title", title + modelled_suffix(modelled)},
              {"width", 560},
              {"height", 260},
              {"config", {{"font", "sans-serif"}}}};
}

// What shaped the figures beyond the grid: the data each role trained on,
// the weights each model started from, and the settings that scale energy.
std::vector<std::string> provenance_paragraphs(const StudyReport& report) {
  std::map<std::string, std::set<std::string>> samples, weights;
  std::set<std::string> pues, intervals, sensors;
  bool modelled = false;
  auto note = [&](const RunSummary& r) {
    const std::string who =
        scenario_of(r).name() + ", " + (r.run.role.empty() ? r.run.task : r.run.role);
    const auto cfg =
        json::parse(r.run.config_json.empty() ? "{}" : r.run.config_json, nullptr, false);
    if (cfg.is_object() && cfg.contains("samples") && cfg["samples"].is_object()) {
      const auto& n = cfg["samples"];
      samples[who].insert(
          fmt::format("{} / {} / {}", n.value("train", 0), n.value("val", 0), n.value("test", 0)));
    }
    if (cfg.is_object() && cfg.contains("weights") && cfg["weights"].is_string()) {
      weights[who].insert(cfg["weights"].get<std::string>());
    }
    pues.insert(fmt::format("{:g}", r.run.pue));
    intervals.insert(fmt::format("{:g} s", r.run.interval_s));
    if (!r.run.sensors.empty()) sensors.insert(r.run.sensors);
    modelled = modelled || r.modelled;
  };
  for (const auto& r : report.runs) note(r);
  for (const auto& r : report.diverged) note(r);
  auto join_set = [](const std::set<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
    return out;
  };
  auto per_role = [&](const std::map<std::string, std::set<std::string>>& m) {
    std::string out;
    for (const auto& [who, values] : m)
      out += (out.empty() ? "" : "; ") + who + ": " + join_set(values);
    return out;
  };
  std::vector<std::string> out;
  if (!samples.empty()) {
    out.push_back(
        "Samples each role trained, validated and tested on (train / validation / test; "
        "roles compared in one paradigm should show the same): " +
        per_role(samples) + ".");
  }
  if (!weights.empty()) {
    out.push_back("Weights each model started from (ImageNet, a pretrained encoder, or random): " +
                  per_role(weights) + ".");
  }
  if (!pues.empty()) {
    std::string text = fmt::format(
        "Settings that scale the energy figures: PUE {} (1 = none applied), sampling interval {}, "
        "sensors {}.",
        join_set(pues), join_set(intervals), sensors.empty() ? "-" : join_set(sensors));
    if (modelled) {
      text += fmt::format(
          " Modelled energy is CPU TDP x utilisation, the TDP taken from --cpu-tdp, the CPU "
          "table, or else the default {:g} W (said per device by `powertrain devices`).",
          kDefaultCpuTdpW);
    }
    out.push_back(text);
  }
  return out;
}

Section runs_section(const StudyReport& report) {
  Section section;
  section.id = "runs";
  section.title = "Runs and provenance";
  std::string dbs;
  for (const auto& db : report.databases) dbs += (dbs.empty() ? "" : ", ") + db;
  if (!dbs.empty()) section.paragraphs.push_back("Databases: " + dbs + ".");
  section.paragraphs.push_back(fmt::format(
      "{} runs counted (status done); {} diverged, left out of the analyses and listed under "
      "\"Diverged runs\" with the energy they used.",
      report.runs.size(), report.diverged.size()));
  int left_out = 0;
  std::string detail;
  for (const auto& [status, n] : report.left_out) {
    left_out += n;
    detail += fmt::format("{}{}: {}", detail.empty() ? "" : ", ", status, n);
  }
  section.paragraphs.push_back(
      left_out == 0
          ? std::string("No run was left out.")
          : fmt::format("{} runs left out of the analyses: not finished, failed or diverged ({}).",
                        left_out, detail));
  for (auto& paragraph : provenance_paragraphs(report)) {
    section.paragraphs.push_back(std::move(paragraph));
  }
  section.paragraphs.push_back(
      "Energy is the study's equation 1 per epoch, E_k = mean power x time(k) / 3600, summed "
      "over the devices and epochs of a run and multiplied by the run's PUE. Where a device has "
      "an energy counter, its total is shown beside it with the difference. Coverage is the "
      "share of the epochs within one sampling interval of a successful periodic sample; an "
      "epoch shorter than two intervals rests on its boundary readings alone and is counted "
      "under short epochs. The energy by component (GPU, CPU package, DRAM, modelled CPU and "
      "RAM) adds up to the energy; 'attributed' is the CPU-side energy charged to the tracked "
      "process tree by its share of the machine's busy CPU time.");

  Table t;
  t.id = "runs";
  t.title = "Runs: energy and where each number came from";
  t.columns = {"run",
               "task",
               "device",
               "paradigm",
               "role",
               "setup",
               "repeat",
               "batch size",
               "learning rate",
               "status",
               "epochs",
               "duration (s)",
               "energy (mWh)",
               "counter energy (mWh)",
               "counter vs eq. 1 (%)",
               "source",
               "sensors",
               "interval (s)",
               "coverage (%)",
               "samples",
               "PUE",
               "metric",
               "final metric",
               "short epochs (< 2 intervals)",
               "GPU (mWh)",
               "CPU package (mWh)",
               "DRAM (mWh)",
               "modelled CPU (mWh)",
               "modelled RAM (mWh)",
               "attributed CPU-side (mWh)",
               "whole run incl. outside epochs (mWh)",
               "whole run (s)"};
  for (const auto& r : report.runs) {
    std::vector<Cell> row;
    row.push_back(text_cell(r.label));
    row.push_back(text_cell(r.run.task));
    row.push_back(text_cell(r.run.device));
    row.push_back(text_cell(r.run.paradigm));
    row.push_back(text_cell(r.run.role));
    row.push_back(text_cell(setup_label(r.run.setup.value_or(0), r.run.batch_size.value_or(0),
                                        r.run.learning_rate.value_or(0))));
    row.push_back(r.run.repeat ? number_cell(*r.run.repeat, 0) : text_cell("-"));
    row.push_back(r.run.batch_size ? number_cell(*r.run.batch_size, 0) : text_cell("-"));
    row.push_back(r.run.learning_rate
                      ? Cell{lr_text(*r.run.learning_rate), *r.run.learning_rate, false}
                      : text_cell("-"));
    row.push_back(text_cell(std::string(to_string(r.run.status))));
    row.push_back(number_cell(r.n_epochs, 0));
    row.push_back(number_cell(r.duration_s, 1));
    row.push_back(number_cell(r.energy_mwh, 3, r.modelled));
    row.push_back(optional_cell(r.counter_energy_mwh, 3));
    if (r.counter_energy_mwh && r.energy_mwh > 0) {
      row.push_back(number_cell(100.0 * (*r.counter_energy_mwh - r.energy_mwh) / r.energy_mwh, 2));
    } else {
      row.push_back(text_cell("-"));
    }
    row.push_back(Cell{r.source, std::nullopt, r.modelled});
    row.push_back(text_cell(r.run.sensors));
    row.push_back(number_cell(r.run.interval_s, 3));
    row.push_back(number_cell(100.0 * r.coverage, 1));
    row.push_back(number_cell(r.n_samples, 0));
    row.push_back(number_cell(r.run.pue, 2));
    row.push_back(text_cell(r.run.metric_name));
    row.push_back(optional_cell(r.run.final_metric, 4));
    row.push_back(number_cell(r.n_short_epochs, 0));
    for (Component c : {Component::kGpu, Component::kCpuPackage, Component::kDram,
                        Component::kModelledCpu, Component::kModelledRam}) {
      const bool modelled_part = c == Component::kModelledCpu || c == Component::kModelledRam;
      auto v = r.components.get(c);
      row.push_back(v ? number_cell(*v, 3, modelled_part) : text_cell("-"));
    }
    row.push_back(r.whole && r.whole->attributed_mwh ? number_cell(*r.whole->attributed_mwh, 3)
                                                     : text_cell("-"));
    row.push_back(r.whole ? number_cell(r.whole->energy_mwh, 3, r.modelled) : text_cell("-"));
    row.push_back(r.whole ? number_cell(r.whole->duration_s, 1) : text_cell("-"));
    t.rows.push_back(std::move(row));
  }
  section.tables.push_back(std::move(t));
  return section;
}

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
    if (m.energy_basis != std::string(kBasisNode)) {
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
      section.tables.push_back(std::move(node));
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
    json encoding = {
        {"x",
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
    section.tables.push_back(std::move(t));
    section.figures.push_back(std::move(f));
  }
  if (report.table2.empty()) section.paragraphs.push_back("No counted regime runs.");
  return section;
}

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
    Figure f;
    f.id = "figure3_" + scenario_slug(r.scenario);
    f.title = "Figure 3: energy of each setup as % of the worst, " + r.scenario.name() + " (" +
              r.energy_basis + " energy)";
    json spec = base_spec(f.title, modelled);
    json x = {{"field", "setup"}, {"type", "ordinal"}, {"title", "setup"}};
    json y = {{"field", "percent"}, {"type", "quantitative"}, {"title", "% of worst setup"}};
    spec["layer"] = json::array(
        {{{"data", {{"values", bars}}},
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
    section.figures.push_back(std::move(f));
  }
  if (report.figure3.empty()) section.paragraphs.push_back("No counted regime runs.");
  return section;
}

std::string cycles_cell_text(const std::optional<double>& cycles) {
  return cycles ? format_number(*cycles, 2) : "never breaks even";
}

Section break_even_section(const StudyReport& report) {
  Section section;
  section.id = "break-even";
  section.title = "Equation 2: break-even of pretraining, and Figure 4";
  section.paragraphs.push_back(
      "x = E_enc / (E_enc+class - E_class): the number of times the pretrained encoder must be "
      "reused before pretraining once and training only the classifier each time costs less "
      "than training encoder and classifier from scratch each time. E_enc is the autoencoder "
      "run, E_enc+class the baseline run (encoder and classifier from scratch), and E_class, as "
      "in the study, the classifier trained on the frozen pretrained encoder; the unfrozen "
      "(fine-tuned) variant is given beside it. Runs are paired by setup and repeat; a setup's "
      "figure uses the means of its paired repeats, the average setup the means over setups. "
      "When E_enc+class - E_class <= 0 pretraining never breaks even.");
  for (const auto& b : report.break_even) {
    const std::string id = scenario_slug(b.scenario);
    Table t;
    t.id = "break_even_" + id;
    t.title = "Break-even per setup: " + b.scenario.name() + " (" + b.energy_basis + " energy)";
    t.columns = {"setup",
                 "batch size",
                 "learning rate",
                 "paired repeats",
                 "E_enc (Wh)",
                 "E_enc+class (Wh)",
                 "E_class frozen (Wh)",
                 "x frozen (cycles)",
                 "E_class unfrozen (Wh)",
                 "x unfrozen (cycles)"};
    for (const auto& e : b.per_setup) {
      t.rows.push_back(
          {text_cell(setup_label(e.setup, e.batch_size, e.learning_rate)),
           number_cell(e.batch_size, 0), Cell{lr_text(e.learning_rate), e.learning_rate, false},
           number_cell(e.n_repeats, 0), number_cell(e.autoencoder_mwh / 1000.0, 3, e.modelled),
           number_cell(e.baseline_mwh / 1000.0, 3, e.modelled),
           number_cell(e.frozen_mwh / 1000.0, 3, e.modelled),
           Cell{cycles_cell_text(e.cycles_frozen), e.cycles_frozen, e.modelled},
           e.unfrozen_mwh ? number_cell(*e.unfrozen_mwh / 1000.0, 3, e.modelled) : text_cell("-"),
           e.has_unfrozen ? Cell{cycles_cell_text(e.cycles_unfrozen), e.cycles_unfrozen, e.modelled}
                          : text_cell("-")});
    }
    t.notes.push_back(
        fmt::format("{} of {} setups never break even with the frozen encoder, {} "
                    "with the unfrozen one.",
                    b.n_never, b.per_setup.size(), b.n_never_unfrozen));
    section.tables.push_back(t);

    // Each paired (setup, repeat), when some setup has more than one repeat.
    const bool repeats = std::any_of(b.per_setup.begin(), b.per_setup.end(),
                                     [](const BreakEven& e) { return e.n_repeats > 1; });
    if (repeats) {
      Table r;
      r.id = "break_even_repeats_" + id;
      r.title = "Break-even per setup and repeat: " + b.scenario.name() + " (" + b.energy_basis +
                " energy)";
      r.columns = {"setup",
                   "repeat",
                   "E_enc (Wh)",
                   "E_enc+class (Wh)",
                   "E_class frozen (Wh)",
                   "x frozen (cycles)",
                   "E_class unfrozen (Wh)",
                   "x unfrozen (cycles)"};
      for (const auto& e : b.per_repeat) {
        r.rows.push_back(
            {text_cell(setup_label(e.setup, e.batch_size, e.learning_rate)),
             number_cell(e.repeat.value_or(0), 0),
             number_cell(e.autoencoder_mwh / 1000.0, 3, e.modelled),
             number_cell(e.baseline_mwh / 1000.0, 3, e.modelled),
             number_cell(e.frozen_mwh / 1000.0, 3, e.modelled),
             Cell{cycles_cell_text(e.cycles_frozen), e.cycles_frozen, e.modelled},
             e.unfrozen_mwh ? number_cell(*e.unfrozen_mwh / 1000.0, 3, e.modelled) : text_cell("-"),
             e.has_unfrozen
                 ? Cell{cycles_cell_text(e.cycles_unfrozen), e.cycles_unfrozen, e.modelled}
                 : text_cell("-")});
      }
      section.tables.push_back(r);
    }

    Table s;
    s.id = "break_even_summary_" + id;
    s.title = "Break-even, best / worst / average setup: " + b.scenario.name() + " (" +
              b.energy_basis + " energy)";
    s.columns = {"case",
                 "setup",
                 "E_enc (Wh)",
                 "E_enc+class (Wh)",
                 "E_class frozen (Wh)",
                 "x frozen (cycles)",
                 "x unfrozen (cycles)"};
    std::vector<std::pair<std::string, const BreakEven*>> cases;
    if (b.best) cases.emplace_back("best", &*b.best);
    if (b.worst) cases.emplace_back("worst", &*b.worst);
    if (b.average) cases.emplace_back("average", &*b.average);
    for (const auto& [name, e] : cases) {
      s.rows.push_back({text_cell(name),
                        e->setup ? text_cell(setup_label(e->setup, e->batch_size, e->learning_rate))
                                 : text_cell("mean of setups"),
                        number_cell(e->autoencoder_mwh / 1000.0, 3, e->modelled),
                        number_cell(e->baseline_mwh / 1000.0, 3, e->modelled),
                        number_cell(e->frozen_mwh / 1000.0, 3, e->modelled),
                        Cell{cycles_cell_text(e->cycles_frozen), e->cycles_frozen, e->modelled},
                        e->has_unfrozen ? Cell{cycles_cell_text(e->cycles_unfrozen),
                                               e->cycles_unfrozen, e->modelled}
                                        : text_cell("-")});
    }
    section.tables.push_back(s);

    // Figure 4: cumulative energy after c cycles, pretraining (E_enc + c
    // E_class) against training from scratch (c E_enc+class).
    double horizon = 5;
    for (const auto& [name, e] : cases) {
      if (e->cycles_frozen) horizon = std::max(horizon, std::ceil(*e->cycles_frozen) + 2);
    }
    horizon = std::min(horizon, 100.0);
    json values = json::array();
    bool modelled = false;
    Table data;
    data.id = "figure4_" + id;
    data.title = "Figure 4 data: cumulative energy (Wh) after c cycles, " + b.scenario.name();
    data.columns = {"case", "method", "cycles", "cumulative energy (Wh)"};
    for (const auto& [name, e] : cases) {
      modelled = modelled || e->modelled;
      for (int c = 0; c <= static_cast<int>(horizon); ++c) {
        const double pre = (e->autoencoder_mwh + c * e->frozen_mwh) / 1000.0;
        const double scratch = c * e->baseline_mwh / 1000.0;
        const std::string label =
            name + (e->setup ? fmt::format(" (setup {})",
                                           setup_label(e->setup, e->batch_size, e->learning_rate))
                             : "");
        values.push_back({{"case", label},
                          {"method", "pretrained, frozen encoder"},
                          {"cycles", c},
                          {"energy_wh", pre}});
        values.push_back(
            {{"case", label}, {"method", "from scratch"}, {"cycles", c}, {"energy_wh", scratch}});
        data.rows.push_back({text_cell(label), text_cell("pretrained, frozen encoder"),
                             number_cell(c, 0), number_cell(pre, 3, e->modelled)});
        data.rows.push_back({text_cell(label), text_cell("from scratch"), number_cell(c, 0),
                             number_cell(scratch, 3, e->modelled)});
      }
    }
    if (values.empty()) continue;
    Figure f;
    f.id = "figure4_" + id;
    f.title = "Figure 4: cumulative energy against cycles, " + b.scenario.name();
    json spec = base_spec(f.title, modelled);
    spec["data"] = {{"values", values}};
    spec["mark"] = {{"type", "line"}, {"point", true}};
    spec["encoding"] = {
        {"x", {{"field", "cycles"}, {"type", "quantitative"}, {"title", "cycles (reuses)"}}},
        {"y",
         {{"field", "energy_wh"}, {"type", "quantitative"}, {"title", "cumulative energy (Wh)"}}},
        {"color", {{"field", "case"}, {"type", "nominal"}}},
        {"strokeDash", {{"field", "method"}, {"type", "nominal"}}},
        {"tooltip", json::array({{{"field", "case"}},
                                 {{"field", "method"}},
                                 {{"field", "cycles"}},
                                 {{"field", "energy_wh"}, {"format", ".3f"}}})}};
    f.vega_lite = spec.dump();
    f.data = data;
    section.figures.push_back(std::move(f));
  }
  if (report.break_even.empty()) {
    section.paragraphs.push_back(
        "No setup has counted autoencoder, baseline and frozen-encoder runs of the same repeat.");
  }
  return section;
}

Section table3_section(const StudyReport& report) {
  Section section;
  section.id = "table3";
  section.title = "Table 3: classifier energy with a frozen or unfrozen encoder (Wh)";
  section.paragraphs.push_back(
      "Mean total energy of one classifier run on the pretrained encoder, over all setups and "
      "repeats; saving = (unfrozen - frozen) / unfrozen. The energy column says which figure: "
      "the GPU's where a GPU was measured (as the study did), else the whole node's.");
  Table t;
  t.id = "table3";
  t.title = "Table 3: classifier on the pretrained encoder (Wh per run)";
  t.columns = {"scenario",    "energy",     "frozen runs",   "unfrozen runs",  "unfrozen (Wh)",
               "frozen (Wh)", "saving (%)", "frozen metric", "unfrozen metric"};
  for (const auto& c : report.table3) {
    const bool both = c.n_frozen > 0 && c.n_unfrozen > 0;
    t.rows.push_back(
        {text_cell(c.scenario.name()), text_cell(c.energy_basis), number_cell(c.n_frozen, 0),
         number_cell(c.n_unfrozen, 0),
         c.n_unfrozen ? number_cell(c.unfrozen_wh.value, 3, c.unfrozen_wh.modelled)
                      : text_cell("-"),
         c.n_frozen ? number_cell(c.frozen_wh.value, 3, c.frozen_wh.modelled) : text_cell("-"),
         both ? number_cell(c.saving_percent, 1, c.frozen_wh.modelled || c.unfrozen_wh.modelled)
              : text_cell("-"),
         optional_cell(c.frozen_metric, 4), optional_cell(c.unfrozen_metric, 4)});
  }
  if (report.table3.empty()) {
    section.paragraphs.push_back("No counted frozen or unfrozen classifier runs.");
  } else {
    section.tables.push_back(std::move(t));
  }
  return section;
}

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

Section findings_section(const StudyReport& report) {
  Section section;
  section.id = "findings";
  section.title = "Findings";
  for (const auto& f : report.findings) section.paragraphs.push_back(f.text);
  if (report.findings.empty()) {
    section.paragraphs.push_back("Too few counted runs for any finding.");
  }
  if (!report.diverged.empty()) {
    double spent_mwh = 0;
    for (const auto& r : report.diverged) spent_mwh += r.energy_mwh;
    section.paragraphs.push_back(fmt::format(
        "{} run{} diverged and {} left out of the findings, the claims, Tables 2 to 4, Figure 3 "
        "and equation 2; {} used {:.3f} Wh (listed under \"Diverged runs\", counted in the "
        "carbon).",
        report.diverged.size(), report.diverged.size() == 1 ? "" : "s",
        report.diverged.size() == 1 ? "is" : "are", report.diverged.size() == 1 ? "it" : "they",
        spent_mwh / 1000.0));
  }
  return section;
}

Section claims_section(const StudyReport& report) {
  Section section;
  section.id = "claims";
  section.title = "The study's claims, tested";
  section.paragraphs.push_back(fmt::format(
      "Each claim of the study against these runs (done runs only; diverged runs are left out). "
      "Intervals are two-sided 95 % Student t intervals over repeats; the analyses of variance "
      "use the spread between repeats as the error term and call an effect significant at p < "
      "{:g}. \"About\" figures are read as bands: best vs worst {:g} to {:g} %, freezing {:g} "
      "to {:g} %, break-even {:g} to {:g} cycles.",
      kAlpha, kBestOfWorstLowPercent, kBestOfWorstHighPercent, kFreezeLowPercent,
      kFreezeHighPercent, kBreakEvenLowCycles, kBreakEvenHighCycles));
  Table t;
  t.id = "claims";
  t.title = "Claims: the study's figure, ours, verdict";
  t.columns = {"claim", "scenario", "study", "ours", "verdict", "why"};
  for (const auto& c : report.claims) {
    t.rows.push_back({text_cell(c.claim), text_cell(c.scenario.empty() ? "-" : c.scenario),
                      text_cell(c.study), Cell{c.ours, std::nullopt, c.modelled},
                      text_cell(c.verdict), text_cell(c.why)});
  }
  section.tables.push_back(std::move(t));
  return section;
}

Section diverged_section(const StudyReport& report) {
  Section section;
  section.id = "diverged";
  section.title = "Diverged runs";
  section.paragraphs.push_back(fmt::format(
      "A run diverges when its loss is not finite, when an epoch's training loss is above {:g} "
      "times the untrained model's (its first batch), or when an autoencoder reconstructs "
      "worse than predicting the mean (include/powertrain/train/divergence.h). Its figures "
      "describe the blow-up, "
      "not the setup: it is left out of every table, figure, finding and claim, and listed "
      "here with the energy it used. Its epochs, the last possibly cut short, are never "
      "counted as whole epochs of a setup.",
      kDivergenceFactor));
  Table t;
  t.id = "diverged";
  t.title = "Diverged runs and the energy they used";
  t.columns = {"run",        "task",          "device", "role",         "setup", "repeat",
               "batch size", "learning rate", "epochs", "energy (mWh)", "why"};
  for (const auto& r : report.diverged) {
    const int bs = r.run.batch_size.value_or(0);
    const double lr = r.run.learning_rate.value_or(0);
    t.rows.push_back({text_cell(r.label), text_cell(r.run.task), text_cell(r.run.device),
                      text_cell(r.run.role),
                      text_cell(setup_label(r.run.setup.value_or(0), bs, lr)),
                      r.run.repeat ? number_cell(*r.run.repeat, 0) : text_cell("-"),
                      r.run.batch_size ? number_cell(bs, 0) : text_cell("-"),
                      r.run.learning_rate ? Cell{lr_text(lr), lr, false} : text_cell("-"),
                      number_cell(r.n_epochs, 0), number_cell(r.energy_mwh, 3, r.modelled),
                      text_cell(r.run.error.empty() ? "-" : r.run.error)});
  }
  if (report.diverged.empty()) section.paragraphs.push_back("No run diverged.");
  section.tables.push_back(std::move(t));
  return section;
}

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

}  // namespace

bool Table::any_modelled() const {
  for (const auto& row : rows) {
    for (const auto& cell : row) {
      if (cell.modelled) return true;
    }
  }
  return false;
}

std::string format_number(double value, int digits) {
  if (std::isnan(value)) return "nan";
  std::string text = fmt::format("{:.{}f}", value, digits);
  if (text == "-" + fmt::format("{:.{}f}", 0.0, digits)) text.erase(0, 1);
  return text;
}

ReportDocument build_document(const StudyReport& report) {
  ReportDocument doc;
  doc.title = "powertrain report: the energy of training";
  doc.any_modelled = report.any_modelled;
  doc.preamble.push_back(
      "Tables and figures of the study \"The Power of Training\" (Geissler et al., 2024), "
      "computed from the run databases below.");
  if (report.any_modelled) {
    doc.preamble.push_back(std::string("Some energy figures are modelled, not measured; they "
                                       "are marked. ") +
                           kModelledNote + ".");
  }
  doc.sections.push_back(findings_section(report));
  doc.sections.push_back(claims_section(report));
  doc.sections.push_back(table2_section(report));
  doc.sections.push_back(figure3_section(report));
  doc.sections.push_back(break_even_section(report));
  doc.sections.push_back(table3_section(report));
  doc.sections.push_back(table4_section(report));
  doc.sections.push_back(diverged_section(report));
  doc.sections.push_back(carbon_section(report));
  doc.sections.push_back(runs_section(report));
  return doc;
}

}  // namespace powertrain
