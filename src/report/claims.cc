// The study's claims tested on the counted runs (diverged runs are not in
// StudyReport::runs). Each finding quotes the study's figure, states ours with
// an interval over repeats (or a test), and gives a verdict with why.
#include "powertrain/report/claims.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "powertrain/report/analysis.h"
#include "powertrain/report/stats.h"
#include "powertrain/store/run_roles.h"

namespace powertrain {
namespace {

std::string p_text(double p) { return p < 0.0001 ? "p < 0.0001" : fmt::format("p = {:.4f}", p); }

std::string f_text(const stats::AnovaTerm& t, int error_df) {
  return std::isinf(t.f) ? fmt::format("F({}, {}) = inf (repeats identical)", t.df, error_df)
                         : fmt::format("F({}, {}) = {:.2f}", t.df, error_df, t.f);
}

// "21.3 % (95 % interval 18.0 to 24.6 %, 2 repeats)" or "(one repeat: no interval)".
std::string interval_text(const stats::Interval& i, const char* unit, int digits = 1) {
  std::string mean = fmt::format("{:.{}f}{}", i.mean, digits, unit);
  if (!i.low) return mean + fmt::format(" ({} value{}: no interval)", i.n, i.n == 1 ? "" : "s");
  return mean + fmt::format(" (95 % interval {:.{}f} to {:.{}f}{}, over {} repeats)", *i.low,
                            digits, *i.high, digits, unit, i.n);
}

// Whether [low, high] of the interval (the mean alone without one) meets [a, b].
bool overlaps(const stats::Interval& i, double a, double b) {
  const double low = i.low.value_or(i.mean), high = i.high.value_or(i.mean);
  return high >= a && low <= b;
}

// An interval that meets the band but is more than kTooWide x as wide as it
// cannot confirm anything: it would also have met a band far away.
constexpr double kTooWide = 4;
bool too_wide(const stats::Interval& i, double a, double b) {
  return i.low && i.high && overlaps(i, a, b) && (*i.high - *i.low) > kTooWide * (b - a);
}
std::string too_wide_why(const stats::Interval& i, double a, double b, const char* unit) {
  return fmt::format(
      "the interval ({:.1f} to {:.1f}{} over {} repeats) meets the study's {:g} to {:g}{} but is "
      "more than {:g} x as wide: more repeats are needed to tell",
      *i.low, *i.high, unit, i.n, a, b, unit, kTooWide);
}

// The verdict of a figure read as the study's band [low, high]: not testable
// when its interval is too wide to tell, confirmed when it meets the band.
// Returns false, verdict unset, when it lies outside: each claim says how.
bool band_verdict(ClaimFinding& f, const stats::Interval& i, double low, double high,
                  const char* unit) {
  if (too_wide(i, low, high)) {
    f.verdict = kNotTestable;
    f.why = too_wide_why(i, low, high, unit);
    return true;
  }
  if (overlaps(i, low, high)) {
    f.verdict = kConfirmed;
    f.why = fmt::format("the {} meets the study's {:g} to {:g}{}", i.low ? "interval" : "figure",
                        low, high, unit);
    return true;
  }
  return false;
}

bool any_modelled(const std::vector<const RunSummary*>& runs) {
  return std::any_of(runs.begin(), runs.end(), [](const auto* r) { return r->modelled; });
}

std::map<ScenarioKey, std::vector<const RunSummary*>> by_scenario(const StudyReport& report,
                                                                  const std::string& paradigm) {
  std::map<ScenarioKey, std::vector<const RunSummary*>> out;
  for (const auto& r : report.runs) {
    if (r.run.paradigm == paradigm) out[scenario_of(r)].push_back(&r);
  }
  return out;
}

ClaimFinding not_testable(std::string id, std::string claim, std::string study, std::string why,
                          std::string scenario = "") {
  ClaimFinding f;
  f.id = std::move(id);
  f.scenario = std::move(scenario);
  f.claim = std::move(claim);
  f.study = std::move(study);
  f.ours = "-";
  f.verdict = kNotTestable;
  f.why = std::move(why);
  return f;
}

// Batch size x learning rate cells of one value per run, for the analysis of
// variance: every cell trimmed to the smallest number of repeats (by repeat).
std::vector<std::vector<std::vector<double>>> grid_cells(const std::vector<const RunSummary*>& runs,
                                                         double (*value)(const RunSummary&),
                                                         std::vector<int>& batch_sizes,
                                                         std::vector<double>& learning_rates) {
  std::set<int> bs;
  std::set<double> lrs;
  for (const auto* r : runs) {
    if (r->run.batch_size && r->run.learning_rate && r->n_epochs > 0) {
      bs.insert(*r->run.batch_size);
      lrs.insert(*r->run.learning_rate);
    }
  }
  batch_sizes.assign(bs.begin(), bs.end());
  learning_rates.assign(lrs.begin(), lrs.end());
  std::vector<std::vector<std::vector<std::pair<int, double>>>> keyed(
      batch_sizes.size(), std::vector<std::vector<std::pair<int, double>>>(learning_rates.size()));
  for (const auto* r : runs) {
    if (!r->run.batch_size || !r->run.learning_rate || r->n_epochs <= 0) continue;
    const auto i =
        std::find(batch_sizes.begin(), batch_sizes.end(), *r->run.batch_size) - batch_sizes.begin();
    const auto j = std::find(learning_rates.begin(), learning_rates.end(), *r->run.learning_rate) -
                   learning_rates.begin();
    keyed[i][j].push_back({r->run.repeat.value_or(0), value(*r)});
  }
  std::size_t n = SIZE_MAX;
  for (auto& row : keyed) {
    for (auto& cell : row) {
      std::sort(cell.begin(), cell.end());
      n = std::min(n, cell.size());
    }
  }
  std::vector<std::vector<std::vector<double>>> cells(
      batch_sizes.size(), std::vector<std::vector<double>>(learning_rates.size()));
  for (std::size_t i = 0; i < keyed.size(); ++i) {
    for (std::size_t j = 0; j < keyed[i].size(); ++j) {
      for (std::size_t k = 0; k < n && k < keyed[i][j].size(); ++k) {
        cells[i][j].push_back(keyed[i][j][k].second);
      }
    }
  }
  return cells;
}

// Runs that stopped at their max_epochs (recorded in their config), not by
// early stopping.
int runs_at_max_epochs(const std::vector<const RunSummary*>& runs) {
  int at_max = 0;
  for (const auto* r : runs) {
    const auto cfg = nlohmann::json::parse(r->run.config_json, nullptr, false);
    if (cfg.is_object() && cfg.contains("max_epochs") && cfg["max_epochs"].is_number() &&
        r->n_epochs >= cfg["max_epochs"].get<int>()) {
      ++at_max;
    }
  }
  return at_max;
}

// Claims 1 and 2: one factor rules a quantity (two-way ANOVA, repeats as error).
ClaimFinding factor_claim(const ScenarioKey& scenario, const std::vector<const RunSummary*>& runs,
                          bool batch_size_rules) {
  const std::string id = batch_size_rules ? "batch-size-energy-per-epoch" : "learning-rate-epochs";
  const std::string claim =
      batch_size_rules
          ? "Batch size rules the energy per epoch; the learning rate has little to no influence "
            "on it."
          : "The learning rate rules the training duration (the number of epochs until early "
            "stopping); batch size rules the energy per epoch instead.";
  const std::string study =
      batch_size_rules
          ? "Table 2: PAMAP2 on CUDA 30.8 to 110.4 mWh per epoch between batch sizes, within "
            "3 mWh between learning rates at one batch size; no test or interval given."
          : "Conclusion and Figure 3 (\"the learning rate determines the training duration\"); "
            "no figure given for epochs.";
  std::vector<int> bs;
  std::vector<double> lrs;
  auto cells =
      batch_size_rules
          ? grid_cells(
                runs, [](const RunSummary& r) { return r.study_mean_epoch_energy_mwh; }, bs, lrs)
          : grid_cells(
                runs, [](const RunSummary& r) { return static_cast<double>(r.n_epochs); }, bs, lrs);
  auto anova = stats::two_way_anova(cells);
  if (!anova) {
    return not_testable(
        id, claim, study,
        fmt::format("the analysis of variance needs at least 2 batch sizes, 2 learning rates "
                    "and at least 2 repeats in every cell; these runs have {} batch sizes, {} "
                    "learning rates and {} repeats in the emptiest cell",
                    bs.size(), lrs.size(),
                    cells.empty() || cells[0].empty() ? 0 : cells[0][0].size()),
        scenario.name());
  }
  ClaimFinding f;
  f.id = id;
  f.scenario = scenario.name();
  f.claim = claim;
  f.study = study;
  f.modelled = batch_size_rules && any_modelled(runs);
  const auto& a = anova->a;  // batch size
  const auto& b = anova->b;  // learning rate
  const int edf = anova->error.df;
  f.ours = fmt::format(
      "two-way analysis of variance of {} over {} batch sizes x {} learning rates x {} repeats "
      "(repeats as the error term): batch size {}, {}, {:.1f} % of the variance; learning rate "
      "{}, {}, {:.1f} %; interaction {}, {:.1f} %; between repeats {:.1f} %.",
      batch_size_rules ? "the energy per epoch" : "the number of epochs", anova->a_levels,
      anova->b_levels, anova->replicates, f_text(a, edf), p_text(a.p), a.share_percent,
      f_text(b, edf), p_text(b.p), b.share_percent, p_text(anova->interaction.p),
      anova->interaction.share_percent, anova->error.share_percent);
  const auto& ruling = batch_size_rules ? a : b;
  const auto& other = batch_size_rules ? b : a;
  const char* ruling_name = batch_size_rules ? "batch size" : "learning rate";
  const char* other_name = batch_size_rules ? "learning rate" : "batch size";
  if (ruling.p < kAlpha && ruling.ss > other.ss) {
    f.verdict = kConfirmed;
    f.why = fmt::format("{}'s effect is significant at {} and larger than {}'s", ruling_name,
                        kAlpha, other_name);
  } else if (ruling.p >= kAlpha) {
    f.verdict = kNotConfirmed;
    f.why = fmt::format("{}'s effect is not significant at {} against the spread between repeats",
                        ruling_name, kAlpha);
  } else {
    f.verdict = kNotConfirmed;
    f.why = fmt::format("{}'s effect is significant but {}'s is larger", ruling_name, other_name);
  }
  if (!batch_size_rules) {
    const int at_max = runs_at_max_epochs(runs);
    if (at_max > 0) {
      f.why += fmt::format(
          "; {} of {} runs stopped at max_epochs, not by early stopping, so their epoch counts "
          "are a ceiling, not a convergence",
          at_max, runs.size());
    }
  }
  return f;
}

// Claim 3: the best setup uses about 20 % of the worst's energy.
ClaimFinding best_of_worst_claim(const SetupRanking& ranking,
                                 const std::vector<const RunSummary*>& runs) {
  ClaimFinding f;
  f.id = "best-vs-worst";
  f.scenario = ranking.scenario.name();
  f.claim =
      "The best setup usually uses only around 20 % of the worst setup's energy (\"energy "
      "savings of up to 80 %\").";
  f.study = "Figure 3 and Conclusion: around 20 % (read here as 15 to 25 %).";
  const SetupEnergy* best = nullptr;
  const SetupEnergy* worst = nullptr;
  for (const auto& e : ranking.setups) {
    if (e.setup == ranking.best_setup) best = &e;
    if (e.setup == ranking.worst_setup) worst = &e;
  }
  if (!best || !worst || ranking.setups.size() < 2) {
    f.ours = "-";
    f.verdict = kNotTestable;
    f.why = "fewer than two setups with counted runs";
    return f;
  }
  if (worst->mean_energy_mwh <= 0) {
    f.ours = "-";
    f.verdict = kNotTestable;
    f.why = "the runs carry no energy (a simulated sweep?)";
    return f;
  }
  // Per repeat: that repeat's best-setup run over its worst-setup run.
  std::map<int, double> best_by_repeat, worst_by_repeat;
  for (const auto* r : runs) {
    if (!r->run.repeat || !r->run.batch_size || !r->run.learning_rate) continue;
    if (*r->run.batch_size == best->batch_size && *r->run.learning_rate == best->learning_rate) {
      best_by_repeat[*r->run.repeat] = r->study_energy_mwh;
    }
    if (*r->run.batch_size == worst->batch_size && *r->run.learning_rate == worst->learning_rate) {
      worst_by_repeat[*r->run.repeat] = r->study_energy_mwh;
    }
  }
  std::vector<double> ratios;
  for (const auto& [repeat, e] : best_by_repeat) {
    auto w = worst_by_repeat.find(repeat);
    if (w != worst_by_repeat.end() && w->second > 0) ratios.push_back(100.0 * e / w->second);
  }
  stats::Interval i = stats::mean_interval(ratios);
  if (ratios.empty()) i.mean = best->percent_of_worst;
  f.modelled = best->modelled || worst->modelled;
  f.ours = fmt::format("setup {} (batch {}, lr {:g}) used {} of setup {}'s (batch {}, lr {:g})",
                       setup_label(best->setup, best->batch_size, best->learning_rate),
                       best->batch_size, best->learning_rate, interval_text(i, " %"),
                       setup_label(worst->setup, worst->batch_size, worst->learning_rate),
                       worst->batch_size, worst->learning_rate);
  if (!band_verdict(f, i, kBestOfWorstLowPercent, kBestOfWorstHighPercent, " %")) {
    f.verdict = kNotConfirmed;
    f.why = fmt::format("the {} lies {} {:g} to {:g} %: the setups differ {} than in the study",
                        i.low ? "interval" : "figure",
                        i.mean < kBestOfWorstLowPercent ? "below" : "above", kBestOfWorstLowPercent,
                        kBestOfWorstHighPercent, i.mean < kBestOfWorstLowPercent ? "more" : "less");
  }
  f.why += "; the best and worst setups are picked from the same runs, which favours a wide gap";
  return f;
}

// Runs of one role by (batch size, learning rate, repeat).
using PairKey = std::tuple<int, double, int>;
std::map<PairKey, const RunSummary*> by_setup_repeat(const std::vector<const RunSummary*>& runs,
                                                     const std::string& role) {
  std::map<PairKey, const RunSummary*> out;
  for (const auto* r : runs) {
    if (r->run.role != role || !r->run.batch_size || !r->run.learning_rate) continue;
    out[{*r->run.batch_size, *r->run.learning_rate, r->run.repeat.value_or(0)}] = r;
  }
  return out;
}

// Claim 4: a frozen encoder saves 46-62 % of the classifier's energy.
ClaimFinding freeze_claim(const ScenarioKey& scenario, const std::vector<const RunSummary*>& runs) {
  ClaimFinding f;
  f.id = "freezing";
  f.scenario = scenario.name();
  f.claim = "Freezing the pretrained encoder saves energy when training the classifier.";
  f.study = "Table 3: 61.5 % saved on CUDA (4.26 vs 1.64 Wh), 46.1 % on MPS (1.42 vs 0.76 Wh).";
  const auto frozen = by_setup_repeat(runs, roles::kFrozen);
  const auto unfrozen = by_setup_repeat(runs, roles::kUnfrozen);
  std::vector<double> savings;
  std::vector<const RunSummary*> used;
  for (const auto& [key, fr] : frozen) {
    auto u = unfrozen.find(key);
    if (u == unfrozen.end() || u->second->study_energy_mwh <= 0) continue;
    savings.push_back(100.0 * (u->second->study_energy_mwh - fr->study_energy_mwh) /
                      u->second->study_energy_mwh);
    used.push_back(fr);
    used.push_back(u->second);
  }
  if (savings.empty()) {
    f.ours = "-";
    f.verdict = kNotTestable;
    f.why = "no setup and repeat has both a frozen- and an unfrozen-encoder classifier run";
    return f;
  }
  // Repeats: mean saving of each repeat over its setups, then the interval.
  std::map<int, std::vector<double>> per_repeat;
  {
    std::size_t k = 0;
    for (const auto& [key, fr] : frozen) {
      if (unfrozen.count(key) && unfrozen.at(key)->study_energy_mwh > 0) {
        per_repeat[std::get<2>(key)].push_back(savings[k++]);
      }
    }
  }
  std::vector<double> repeat_means;
  for (const auto& [repeat, v] : per_repeat) repeat_means.push_back(stats::mean_interval(v).mean);
  stats::Interval i = stats::mean_interval(repeat_means);
  f.modelled = any_modelled(used);
  f.ours = fmt::format(
      "freezing saved {} of the unfrozen classifier's energy, mean over {} "
      "paired setups and repeats",
      interval_text(i, " %"), savings.size());
  if (band_verdict(f, i, kFreezeLowPercent, kFreezeHighPercent, " %")) {
    // not testable, or confirmed
  } else if (i.low.value_or(i.mean) > 0) {
    f.verdict = kNotConfirmed;
    f.why = fmt::format("freezing saves energy, but {} than the study's {:g} to {:g} %",
                        i.mean < kFreezeLowPercent ? "less" : "more", kFreezeLowPercent,
                        kFreezeHighPercent);
  } else {
    f.verdict = kNotConfirmed;
    f.why = "no saving is shown";
  }
  return f;
}

// Claim 5: break-even after about 10 to 13 reuses (equation 2, average setup).
ClaimFinding break_even_claim(const BreakEvenSummary& b) {
  ClaimFinding f;
  f.id = "break-even";
  f.scenario = b.scenario.name();
  f.claim =
      "A pretrained (frozen) encoder pays back its pretraining after about 10 to 13 reuses "
      "on average (equation 2).";
  f.study = "Figure 4: average 10 to 13 cycles; best 1, worst up to 43 (CUDA) and 23 (MPS).";
  // Average setup per repeat: energies averaged over the repeat's setups.
  std::map<int, std::vector<const BreakEven*>> per_repeat;
  for (const auto& e : b.per_repeat) per_repeat[e.repeat.value_or(0)].push_back(&e);
  std::vector<double> cycles;
  int never = 0;
  bool modelled = false;
  for (const auto& [repeat, items] : per_repeat) {
    double enc = 0, base = 0, frozen = 0;
    for (const auto* e : items) {
      enc += e->autoencoder_mwh / items.size();
      base += e->baseline_mwh / items.size();
      frozen += e->frozen_mwh / items.size();
      modelled = modelled || e->modelled;
    }
    if (auto x = break_even_cycles(enc, base, frozen)) {
      cycles.push_back(*x);
    } else {
      ++never;
    }
  }
  f.modelled = modelled;
  if (cycles.empty() && never == 0) {
    f.ours = "-";
    f.verdict = kNotTestable;
    f.why = "no setup has autoencoder, baseline and frozen runs of one repeat";
    return f;
  }
  if (never > 0) {
    f.ours = fmt::format(
        "the average setup never breaks even in {} of {} repeats (the frozen "
        "classifier costs at least as much as the baseline)",
        never, per_repeat.size());
    f.verdict = kNotConfirmed;
    f.why = "without a saving per reuse, the pretraining is never paid back";
    return f;
  }
  stats::Interval i = stats::mean_interval(cycles);
  f.ours = "the average setup breaks even after " + interval_text(i, " cycles", 2);
  if (!band_verdict(f, i, kBreakEvenLowCycles, kBreakEvenHighCycles, " cycles")) {
    f.verdict = kNotConfirmed;
    f.why = fmt::format("the {} lies {} {:g} to {:g} cycles", i.low ? "interval" : "figure",
                        i.mean < kBreakEvenLowCycles ? "below" : "above", kBreakEvenLowCycles,
                        kBreakEvenHighCycles);
  }
  return f;
}

// Claim 6: one two-headed model costs less than the two tasks trained apart.
ClaimFinding multitask_claim(const ScenarioKey& scenario,
                             const std::vector<const RunSummary*>& runs) {
  ClaimFinding f;
  f.id = "multitask";
  f.scenario = scenario.name();
  f.claim =
      "Training attributes and identities in one two-headed model uses less energy than "
      "training the two classifiers apart.";
  f.study =
      "Figure 5: lower for every setup; Table 4: 142-145 epochs for both vs 150-161 "
      "(identity) and 359-368 (attributes) at about the same energy per epoch.";
  const auto attributes = by_setup_repeat(runs, roles::kAttributes);
  const auto identity = by_setup_repeat(runs, roles::kIdentity);
  const auto both = by_setup_repeat(runs, roles::kBoth);
  std::map<int, std::vector<double>> per_repeat;
  std::vector<const RunSummary*> used;
  int n = 0;
  for (const auto& [key, b] : both) {
    auto a = attributes.find(key);
    auto id = identity.find(key);
    if (a == attributes.end() || id == identity.end()) continue;
    const double apart = a->second->study_energy_mwh + id->second->study_energy_mwh;
    if (apart <= 0) continue;
    per_repeat[std::get<2>(key)].push_back(100.0 * (apart - b->study_energy_mwh) / apart);
    used.insert(used.end(), {a->second, id->second, b});
    ++n;
  }
  if (n == 0) {
    f.ours = "-";
    f.verdict = kNotTestable;
    f.why = "no setup and repeat has the attribute, identity and two-headed runs";
    return f;
  }
  std::vector<double> repeat_means;
  for (const auto& [repeat, v] : per_repeat) repeat_means.push_back(stats::mean_interval(v).mean);
  stats::Interval i = stats::mean_interval(repeat_means);
  f.modelled = any_modelled(used);
  f.ours = fmt::format(
      "the two-headed model saved {} of the two tasks' energy apart, mean over "
      "{} paired setups and repeats",
      interval_text(i, " %"), n);
  const double low = i.low.value_or(i.mean);
  if (low > 0) {
    f.verdict = kConfirmed;
    f.why = i.low ? "the whole interval lies above 0 %" : "the saving is above 0 % (no interval)";
  } else if (i.mean <= 0) {
    f.verdict = kNotConfirmed;
    f.why = "the two-headed model cost as much as or more than the two apart";
  } else {
    f.verdict = kNotConfirmed;
    f.why = "the saving's interval includes 0 %: not shown beyond the spread between repeats";
  }
  return f;
}

}  // namespace

std::string ClaimFinding::text() const {
  return fmt::format("Claim{}: {} Study: {} Ours: {} Verdict: {}, {}.{}",
                     scenario.empty() ? "" : " (" + scenario + ")", claim, study, ours, verdict,
                     why, modelled ? " [includes modelled energy]" : "");
}

std::vector<ClaimFinding> test_claims(const StudyReport& report) {
  std::vector<ClaimFinding> out;
  const auto regime = by_scenario(report, roles::kRegime);
  const auto pretraining = by_scenario(report, roles::kPretraining);
  const auto multitask = by_scenario(report, roles::kMultitask);
  auto classifier_runs = [](const std::vector<const RunSummary*>& runs) {
    std::vector<const RunSummary*> out;
    for (const auto* r : runs) {
      if (r->run.role == roles::kClassifier) out.push_back(r);
    }
    return out;
  };
  const char* no_regime = "no counted regime runs (a regime sweep tests it)";
  if (regime.empty()) {
    out.push_back(not_testable("batch-size-energy-per-epoch",
                               "Batch size rules the energy per epoch.", "Table 2.", no_regime));
    out.push_back(not_testable("learning-rate-epochs",
                               "The learning rate rules the number of epochs.", "Conclusion.",
                               no_regime));
    out.push_back(not_testable("best-vs-worst",
                               "The best setup uses around 20 % of the worst's energy.",
                               "Figure 3: around 20 %.", no_regime));
  }
  for (const auto& [scenario, runs] : regime) {
    out.push_back(factor_claim(scenario, classifier_runs(runs), true));
    out.push_back(factor_claim(scenario, classifier_runs(runs), false));
  }
  for (const auto& ranking : report.figure3) {
    auto it = regime.find(ranking.scenario);
    if (it != regime.end())
      out.push_back(best_of_worst_claim(ranking, classifier_runs(it->second)));
  }
  const char* no_pretraining = "no counted pretraining runs (a pretraining sweep tests it)";
  if (pretraining.empty()) {
    out.push_back(not_testable("freezing", "Freezing the pretrained encoder saves energy.",
                               "Table 3: 46.1 to 61.5 %.", no_pretraining));
    out.push_back(not_testable("break-even", "Pretraining breaks even after about 10 to 13 reuses.",
                               "Figure 4: 10 to 13 cycles.", no_pretraining));
  }
  for (const auto& [scenario, runs] : pretraining) out.push_back(freeze_claim(scenario, runs));
  for (const auto& b : report.break_even) out.push_back(break_even_claim(b));
  if (!pretraining.empty() && report.break_even.empty()) {
    out.push_back(not_testable("break-even", "Pretraining breaks even after about 10 to 13 reuses.",
                               "Figure 4: 10 to 13 cycles.",
                               "no setup has counted autoencoder, baseline and frozen runs of one "
                               "repeat"));
  }
  if (multitask.empty()) {
    out.push_back(
        not_testable("multitask", "A two-headed model costs less than the two tasks apart.",
                     "Figure 5.", "no counted multitask runs (a multitask sweep tests it)"));
  }
  for (const auto& [scenario, runs] : multitask) out.push_back(multitask_claim(scenario, runs));
  return out;
}

}  // namespace powertrain
