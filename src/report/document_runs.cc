// The runs section: every counted run, and what shaped the figures.
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

// Which databases and runs the report rests on, and what shaped them.
std::vector<std::string> run_paragraphs(const StudyReport& report) {
  std::vector<std::string> paragraphs;
  std::string dbs;
  for (const auto& db : report.databases) dbs += (dbs.empty() ? "" : ", ") + db;
  if (!dbs.empty()) paragraphs.push_back("Databases: " + dbs + ".");
  paragraphs.push_back(fmt::format(
      "{} runs counted (status done); {} diverged, left out of the analyses and listed under "
      "\"Diverged runs\" with the energy they used.",
      report.runs.size(), report.diverged.size()));
  int left_out = 0;
  std::string detail;
  for (const auto& [status, n] : report.left_out) {
    left_out += n;
    detail += fmt::format("{}{}: {}", detail.empty() ? "" : ", ", status, n);
  }
  paragraphs.push_back(
      left_out == 0
          ? std::string("No run was left out.")
          : fmt::format("{} runs left out of the analyses: not finished, failed or diverged ({}).",
                        left_out, detail));
  for (auto& paragraph : provenance_paragraphs(report)) {
    paragraphs.push_back(std::move(paragraph));
  }
  return paragraphs;
}

// One row of the runs table: a run's settings, energy and provenance.
std::vector<Cell> run_row(const RunSummary& r) {
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
  return row;
}

}  // namespace

Section runs_section(const StudyReport& report) {
  Section section;
  section.id = "runs";
  section.title = "Runs and provenance";
  section.paragraphs = run_paragraphs(report);
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
    t.rows.push_back(run_row(r));
  }
  section.tables.push_back(std::move(t));
  return section;
}

}  // namespace document_internal
}  // namespace powertrain
