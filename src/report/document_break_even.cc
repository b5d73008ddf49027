// Equation 2 and Figure 4: the break-even of pretraining.
#include "report/document_internal.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "powertrain/energy/sensors/model.h"
#include "powertrain/store/run_roles.h"
#include "powertrain/train/divergence.h"

namespace powertrain {
namespace document_internal {
namespace {

std::string cycles_cell_text(const std::optional<double>& cycles) {
  return cycles ? format_number(*cycles, 2) : "never breaks even";
}

using Cases = std::vector<std::pair<std::string, const BreakEven*>>;

// The best, worst and average setup, those that exist.
Cases summary_cases(const BreakEvenSummary& b) {
  Cases cases;
  if (b.best) cases.emplace_back("best", &*b.best);
  if (b.worst) cases.emplace_back("worst", &*b.worst);
  if (b.average) cases.emplace_back("average", &*b.average);
  return cases;
}

Table per_setup_table(const BreakEvenSummary& b, const std::string& id) {
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
  return t;
}

Table per_repeat_table(const BreakEvenSummary& b, const std::string& id) {
  Table r;
  r.id = "break_even_repeats_" + id;
  r.title =
      "Break-even per setup and repeat: " + b.scenario.name() + " (" + b.energy_basis + " energy)";
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
         e.has_unfrozen ? Cell{cycles_cell_text(e.cycles_unfrozen), e.cycles_unfrozen, e.modelled}
                        : text_cell("-")});
  }
  return r;
}

Table summary_table(const BreakEvenSummary& b, const std::string& id, const Cases& cases) {
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
  return s;
}

// Figure 4: cumulative energy after c cycles, pretraining (E_enc + c
// E_class) against training from scratch (c E_enc+class).
std::optional<Figure> figure4(const BreakEvenSummary& b, const std::string& id,
                              const Cases& cases) {
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
  if (values.empty()) return std::nullopt;
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
  return f;
}

}  // namespace

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
    section.tables.push_back(per_setup_table(b, id));
    // Each paired (setup, repeat), when some setup has more than one repeat.
    const bool repeats = std::any_of(b.per_setup.begin(), b.per_setup.end(),
                                     [](const BreakEven& e) { return e.n_repeats > 1; });
    if (repeats) section.tables.push_back(per_repeat_table(b, id));
    const Cases cases = summary_cases(b);
    section.tables.push_back(summary_table(b, id, cases));
    if (auto f = figure4(b, id, cases)) section.figures.push_back(std::move(*f));
  }
  if (report.break_even.empty()) {
    section.paragraphs.push_back(
        "No setup has counted autoencoder, baseline and frozen-encoder runs of the same repeat.");
  }
  return section;
}

}  // namespace document_internal
}  // namespace powertrain
