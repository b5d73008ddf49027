// The analyses' findings in words, next to the study's.
#include "report/analysis_internal.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "powertrain/store/run_roles.h"

namespace powertrain {
namespace analysis_internal {

namespace {

// Adds a finding, saying when its energy is partly modelled.
void add_finding(StudyReport& report, std::string topic, std::string text, bool modelled) {
  if (modelled) text += " [includes modelled energy]";
  report.findings.push_back({std::move(topic), std::move(text), modelled});
}

// Table 2: what explains the spread of energy per epoch.
void table2_findings(StudyReport& report) {
  for (const auto& m : report.table2) {
    std::optional<Measure> low, high;
    std::string low_at, high_at;
    bool modelled = false;
    for (size_t i = 0; i < m.batch_sizes.size(); ++i) {
      for (size_t j = 0; j < m.learning_rates.size(); ++j) {
        const auto& c = m.cells[i][j];
        if (!c) continue;
        modelled = modelled || c->modelled;
        const std::string at =
            fmt::format("batch {}, lr {}", m.batch_sizes[i], lr_text(m.learning_rates[j]));
        if (!low || c->value < low->value) low = c, low_at = at;
        if (!high || c->value > high->value) high = c, high_at = at;
      }
    }
    if (!low) continue;
    add_finding(
        report, "spread",
        fmt::format("{}: batch size explains {} of the spread (sum of squares) in energy per "
                    "epoch between the cells' means, learning rate {} (the rest is interaction; "
                    "the spread between repeats is not in these shares: the claims below test "
                    "it); energy per epoch ranges from {:.2f} mWh ({}) to {:.2f} mWh ({}).",
                    m.scenario.name(), pct(m.batch_size_share_percent),
                    pct(m.learning_rate_share_percent), low->value, low_at, high->value, high_at),
        modelled);
  }
}

// Figure 3: the cheapest against the most expensive setup, and the cheapest on target.
void figure3_findings(StudyReport& report, double tolerance_points) {
  for (const auto& r : report.figure3) {
    const SetupEnergy* best = nullptr;
    const SetupEnergy* worst = nullptr;
    bool modelled = false;
    for (const auto& e : r.setups) {
      if (e.setup == r.best_setup) best = &e;
      if (e.setup == r.worst_setup) worst = &e;
      modelled = modelled || e.modelled;
    }
    if (!best || !worst) continue;
    add_finding(report, "best-vs-worst",
                fmt::format("{}: the cheapest {} used {} of the energy of the most expensive {} "
                            "({} vs {} per run, means over repeats; {:.1f} vs {:.1f} epochs).",
                            r.scenario.name(),
                            setup_text(best->setup, best->batch_size, best->learning_rate),
                            pct(best->percent_of_worst),
                            setup_text(worst->setup, worst->batch_size, worst->learning_rate),
                            wh(best->mean_energy_mwh), wh(worst->mean_energy_mwh),
                            best->mean_epochs, worst->mean_epochs),
                modelled);
    if (r.best_metric && r.target_metric) {
      const std::string metric = r.metric_name.empty() ? "metric" : r.metric_name;
      std::string text = fmt::format(
          "{}: the best mean final {} is {:.4g}; the target is {:.4g} (within {:g} point of the "
          "best). ",
          r.scenario.name(), metric, *r.best_metric, *r.target_metric, tolerance_points);
      const SetupEnergy* cheapest = nullptr;
      for (const auto& e : r.setups) {
        if (r.cheapest_on_target_setup && e.setup == *r.cheapest_on_target_setup) cheapest = &e;
      }
      if (cheapest) {
        text += fmt::format(
            "The cheapest setup that reaches it is {}: {} per run ({} of the "
            "worst setup), {} {:.4g}.",
            setup_text(cheapest->setup, cheapest->batch_size, cheapest->learning_rate),
            wh(cheapest->mean_energy_mwh), pct(cheapest->percent_of_worst), metric,
            *cheapest->mean_metric);
      }
      add_finding(report, "accuracy", text, cheapest && cheapest->modelled);
    }
  }
}

// Equation 2: when pretraining breaks even.
void break_even_findings(StudyReport& report) {
  for (const auto& b : report.break_even) {
    if (b.per_setup.empty()) continue;
    std::string text = fmt::format("{}: with the frozen encoder as E_class, ", b.scenario.name());
    bool modelled = false;
    if (b.best) {
      text += fmt::format("the best {} {}; the worst that breaks even, {}, after {:.2f}; ",
                          setup_text(b.best->setup, b.best->batch_size, b.best->learning_rate),
                          cycles_text(b.best->cycles_frozen),
                          setup_text(b.worst->setup, b.worst->batch_size, b.worst->learning_rate),
                          *b.worst->cycles_frozen);
      modelled = b.best->modelled || b.worst->modelled;
    }
    if (b.average) {
      text += fmt::format("the average setup {}", cycles_text(b.average->cycles_frozen));
      modelled = modelled || b.average->modelled;
      if (b.average->has_unfrozen) {
        text += fmt::format(" (with the unfrozen encoder as E_class: {})",
                            cycles_text(b.average->cycles_unfrozen));
      }
    }
    text += fmt::format("; {} of {} setups never break even.", b.n_never, b.per_setup.size());
    add_finding(report, "break-even", text, modelled);
  }
}

// Table 3: what freezing the encoder saves.
void table3_findings(StudyReport& report) {
  for (const auto& c : report.table3) {
    if (c.n_frozen == 0 || c.n_unfrozen == 0) continue;
    const bool saves = c.saving_percent > 0;
    add_finding(
        report, "freezing",
        fmt::format("{}: the classifier on the frozen encoder used {:.3f} Wh per run, on the "
                    "unfrozen encoder {:.3f} Wh: freezing {} {}.",
                    c.scenario.name(), c.frozen_wh.value, c.unfrozen_wh.value,
                    saves ? "saves" : "costs",
                    pct(std::fabs(c.saving_percent)) + (saves ? "" : " more")),
        c.frozen_wh.modelled || c.unfrozen_wh.modelled);
  }
}

// Table 4: one multitask model against one model per task.
void table4_findings(StudyReport& report) {
  for (const auto& m : report.table4) {
    const TaskCost* attributes = nullptr;
    const TaskCost* identity = nullptr;
    const TaskCost* both = nullptr;
    for (const auto& t : m.roles) {
      if (t.role == roles::kAttributes) attributes = &t;
      if (t.role == roles::kIdentity) identity = &t;
      if (t.role == roles::kBoth) both = &t;
    }
    if (!both || !attributes || !identity) continue;
    const double apart = attributes->total_wh.value + identity->total_wh.value;
    const bool below_one =
        both->total_wh.value < std::min(attributes->total_wh.value, identity->total_wh.value);
    add_finding(
        report, "multitask",
        fmt::format("{}: one multitask run used {:.3f} Wh ({:.1f} epochs), the two tasks apart "
                    "{:.3f} Wh (attributes {:.3f} Wh, {:.1f} epochs + identity {:.3f} Wh, {:.1f} "
                    "epochs): multitask costs {} of the two apart, and {} than {}.",
                    m.scenario.name(), both->total_wh.value, both->mean_epochs, apart,
                    attributes->total_wh.value, attributes->mean_epochs, identity->total_wh.value,
                    identity->mean_epochs,
                    pct(apart > 0 ? 100.0 * both->total_wh.value / apart : 0),
                    below_one ? "less" : "not less",
                    below_one ? "either task alone" : "the cheaper task alone"),
        both->total_wh.modelled || attributes->total_wh.modelled || identity->total_wh.modelled);
  }
}

}  // namespace

void add_findings(StudyReport& report, double tolerance_points) {
  table2_findings(report);
  figure3_findings(report, tolerance_points);
  break_even_findings(report);
  table3_findings(report);
  table4_findings(report);
}

}  // namespace analysis_internal

}  // namespace powertrain
