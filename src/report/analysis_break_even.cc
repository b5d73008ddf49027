// Equation 2 and Figure 4: after how many reuses pretraining an encoder
// pays for itself.
#include "report/analysis_internal.h"

#include <algorithm>
#include <map>

#include "powertrain/store/run_roles.h"

namespace powertrain {
namespace analysis_internal {

namespace {

void fill_cycles(BreakEven& b) {
  b.cycles_frozen = break_even_cycles(b.autoencoder_mwh, b.baseline_mwh, b.frozen_mwh);
  if (b.unfrozen_mwh) {
    b.cycles_unfrozen = break_even_cycles(b.autoencoder_mwh, b.baseline_mwh, *b.unfrozen_mwh);
  }
}

// Equation 2 on the mean energies of several repeats or setups.
BreakEven average(const std::vector<const BreakEven*>& items, int setup) {
  BreakEven m;
  m.setup = setup;
  m.batch_size = items.front()->batch_size;
  m.learning_rate = items.front()->learning_rate;
  m.n_repeats = static_cast<int>(items.size());
  std::vector<double> enc, base, frozen, unfrozen;
  for (const auto* b : items) {
    enc.push_back(b->autoencoder_mwh);
    base.push_back(b->baseline_mwh);
    frozen.push_back(b->frozen_mwh);
    if (b->unfrozen_mwh) unfrozen.push_back(*b->unfrozen_mwh);
    m.modelled = m.modelled || b->modelled;
  }
  m.autoencoder_mwh = mean_of(enc);
  m.baseline_mwh = mean_of(base);
  m.frozen_mwh = mean_of(frozen);
  if (!unfrozen.empty()) {
    m.unfrozen_mwh = mean_of(unfrozen);
    m.has_unfrozen = true;
  }
  fill_cycles(m);
  return m;
}

}  // namespace

BreakEvenSummary break_even_summary(const ScenarioKey& scenario,
                                    const std::vector<const RunSummary*>& runs) {
  BreakEvenSummary summary;
  summary.scenario = scenario;
  // (setup, repeat) -> role -> runs; the formula pairs runs of one setup and repeat.
  std::map<std::pair<int, int>, std::map<std::string, std::vector<const RunSummary*>>> groups;
  for (const auto* r : runs) {
    auto setup = setup_of(r->run);
    if (!setup) continue;
    groups[{*setup, r->run.repeat.value_or(0)}][r->run.role].push_back(r);
  }
  summary.energy_basis = energy_basis(runs);
  auto energy = [](const std::vector<const RunSummary*>& rs) {
    std::vector<double> values;
    for (const auto* r : rs) values.push_back(r->study_energy_mwh);
    return mean_of(values);
  };
  auto any_modelled = [](const std::vector<const RunSummary*>& rs) {
    return std::any_of(rs.begin(), rs.end(), [](const auto* r) { return r->modelled; });
  };
  for (const auto& [key, roles_map] : groups) {
    auto enc = roles_map.find(roles::kAutoencoder);
    auto base = roles_map.find(roles::kBaseline);
    auto frozen = roles_map.find(roles::kFrozen);
    if (enc == roles_map.end() || base == roles_map.end() || frozen == roles_map.end()) continue;
    BreakEven b;
    b.setup = key.first;
    b.repeat = key.second;
    const auto& any_run = base->second.front()->run;
    b.batch_size = any_run.batch_size.value_or(0);
    b.learning_rate = any_run.learning_rate.value_or(0);
    b.autoencoder_mwh = energy(enc->second);
    b.baseline_mwh = energy(base->second);
    b.frozen_mwh = energy(frozen->second);
    b.modelled =
        any_modelled(enc->second) || any_modelled(base->second) || any_modelled(frozen->second);
    auto unfrozen = roles_map.find(roles::kUnfrozen);
    if (unfrozen != roles_map.end()) {
      b.unfrozen_mwh = energy(unfrozen->second);
      b.has_unfrozen = true;
      b.modelled = b.modelled || any_modelled(unfrozen->second);
    }
    fill_cycles(b);
    summary.per_repeat.push_back(b);
  }
  // Per setup: the matched repeats' energies averaged, then equation 2.
  std::map<int, std::vector<const BreakEven*>> per_setup;
  for (const auto& b : summary.per_repeat) per_setup[b.setup].push_back(&b);

  for (const auto& [setup, items] : per_setup) {
    summary.per_setup.push_back(average(items, setup));
  }
  if (summary.per_setup.empty()) return summary;
  for (const auto& b : summary.per_setup) {
    if (!b.cycles_frozen) {
      ++summary.n_never;
      continue;
    }
    if (!summary.best || *b.cycles_frozen < *summary.best->cycles_frozen) summary.best = b;
    if (!summary.worst || *b.cycles_frozen > *summary.worst->cycles_frozen) summary.worst = b;
  }
  for (const auto& b : summary.per_setup) {
    if (b.has_unfrozen && !b.cycles_unfrozen) ++summary.n_never_unfrozen;
  }
  // The average setup: each energy averaged over the setups (setup 0).
  std::vector<const BreakEven*> all;
  for (const auto& b : summary.per_setup) all.push_back(&b);
  BreakEven avg = average(all, 0);
  avg.batch_size = 0;
  avg.learning_rate = 0;
  avg.n_repeats = static_cast<int>(summary.per_repeat.size());
  summary.average = avg;
  return summary;
}

}  // namespace analysis_internal

std::optional<double> break_even_cycles(double encoder_mwh, double baseline_mwh,
                                        double classifier_mwh) {
  const double denominator = baseline_mwh - classifier_mwh;
  if (denominator <= 0) return std::nullopt;
  return encoder_mwh / denominator;
}

}  // namespace powertrain
