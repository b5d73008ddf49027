// What a search decides, from its stored runs alone.
#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "powertrain/predict/prediction_store.h"
#include "powertrain/store/run_roles.h"
#include "search_internal.h"

namespace powertrain::search_detail {
namespace {

using nlohmann::json;

struct Latest {
  const RungRun* run = nullptr;
  int rung = -1;
};

Latest latest_run(const RungRuns& runs, const std::string& setup, int rung) {
  Latest out;
  auto it = runs.find(setup);
  if (it == runs.end()) return out;
  for (const auto& [k, r] : it->second) {
    if (k <= rung && r.finished()) out = {&r, k};
  }
  return out;
}

double spent_of(const RungRuns& runs, const std::string& setup) {
  double sum = 0;
  auto it = runs.find(setup);
  if (it == runs.end()) return 0;
  for (const auto& [k, r] : it->second) {
    for (const auto& e : r.epochs) sum += e.energy_mwh;
  }
  return sum;
}

// A setup's candidate from its latest finished run up to `rung`. The
// prediction of a finished run never changes: kept in `cache` by run id.
SearchCandidate candidate_of(const RungRuns& runs, const PlannedRun& plan, int rung,
                             const EarlyStoppingRule& rule, std::optional<double> target,
                             PredictionCache& cache) {
  SearchCandidate c;
  c.plan = plan;
  c.spent_mwh = spent_of(runs, plan.setup_name);
  const Latest latest = latest_run(runs, plan.setup_name, rung);
  if (!latest.run) return c;
  c.rung = latest.rung;
  c.status = std::string(to_string(latest.run->run.status));
  c.epochs = static_cast<int>(latest.run->epochs.size());
  if (latest.run->run.status != RunStatus::kDone) return c;
  const auto seen = predict::observations(latest.run->epochs, rule.minimise);
  if (seen.empty()) return c;
  auto it = cache.find(latest.run->run.id);
  if (it == cache.end())
    it = cache.emplace(latest.run->run.id, predict::predict_run(seen, rule)).first;
  c.prediction = it->second;
  if (target) {
    predict::apply_target(*c.prediction, seen, *target, rule.minimise);
    if (c.prediction->target_energy_mwh) c.cost_mwh = *c.prediction->target_energy_mwh;
  }
  return c;
}

bool better(const SearchCandidate& a, const SearchCandidate& b, bool minimise) {
  if (a.cost_mwh != b.cost_mwh) return a.cost_mwh < b.cost_mwh;
  const double pa = a.prediction ? a.prediction->predicted_best : (minimise ? INFINITY : -INFINITY);
  const double pb = b.prediction ? b.prediction->predicted_best : (minimise ? INFINITY : -INFINITY);
  if (pa != pb) return minimise ? pa < pb : pa > pb;
  return a.plan.index < b.plan.index;
}

}  // namespace

bool rung_of(const RunRecord& run, RungRun& out) {
  try {
    const json cfg = json::parse(run.config_json.empty() ? "{}" : run.config_json);
    if (!cfg.is_object() || !cfg.contains("search")) return false;
    out.rung = cfg["search"].at("rung").get<int>();
    out.epochs_allotted = cfg["search"].at("epochs").get<int>();
    out.plan_index = cfg["search"].at("index").get<int>();
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

RungRuns load_rung_runs(const Store& store) {
  RungRuns out;
  for (auto& r : store.runs()) {
    RungRun rr;
    if (!rung_of(r, rr) || !r.batch_size || !r.learning_rate) continue;
    rr.epochs = store.epochs(r.id);
    rr.run = std::move(r);
    const std::string name = setup_name(*rr.run.batch_size, *rr.run.learning_rate);
    out[name][rr.rung] = std::move(rr);
  }
  return out;
}

bool complete(const RungRun& r, int max_epochs) {
  if (r.run.status != RunStatus::kDone) return r.finished();
  return static_cast<int>(r.epochs.size()) < r.epochs_allotted || r.epochs_allotted >= max_epochs;
}

Ranking rank_members(const RungRuns& runs, const std::vector<PlannedRun>& members, int rung,
                     const SearchTarget& target, const EarlyStoppingRule& rule,
                     PredictionCache& cache) {
  Ranking out;
  out.target_score = target.value;
  if (target.relative) {
    // The best score any setup is predicted to reach, from its latest run.
    std::optional<double> best;
    for (const auto& [name, by_rung] : runs) {
      PlannedRun p;
      p.setup_name = name;
      const SearchCandidate c = candidate_of(runs, p, rung, rule, std::nullopt, cache);
      if (!c.prediction) continue;
      const double v = c.prediction->predicted_best;
      if (!best || (rule.minimise ? v < *best : v > *best)) best = v;
    }
    const double b = best.value_or(rule.minimise ? INFINITY : -INFINITY);
    out.target_score = rule.minimise ? b + target.value : b - target.value;
  }
  for (const auto& m : members)
    out.ranked.push_back(candidate_of(runs, m, rung, rule, out.target_score, cache));
  std::stable_sort(out.ranked.begin(), out.ranked.end(),
                   [&](const auto& a, const auto& b) { return better(a, b, rule.minimise); });
  return out;
}

std::vector<PlannedRun> grid_setups(const ExperimentConfig& config) {
  std::vector<PlannedRun> out;
  for (auto& p : expand_plan(config)) {
    if (p.repeat == 1 && p.role == roles::kClassifier) out.push_back(std::move(p));
  }
  return out;
}

std::vector<PlannedRun> stored_setups(const RungRuns& runs) {
  std::vector<PlannedRun> out;
  for (const auto& [name, by_rung] : runs) {
    const RunRecord& r = by_rung.begin()->second.run;
    PlannedRun p;
    p.index = by_rung.begin()->second.plan_index;
    p.setup = r.setup.value_or(0);
    p.setup_name = name;
    p.batch_size = r.batch_size.value_or(0);
    p.learning_rate = r.learning_rate.value_or(0);
    p.repeat = 1;
    p.role = r.role;
    p.task = r.task;
    out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  return out;
}

}  // namespace powertrain::search_detail

namespace powertrain::search_detail {
namespace {

SearchRung rung_summary(const RungRuns& runs, const std::vector<PlannedRun>& members, int k,
                        double budget) {
  SearchRung rung;
  rung.index = k;
  rung.budget_mwh = budget;
  rung.complete = true;
  for (const auto& m : members) {
    rung.setups.push_back(m.index);
    int epochs = 0;
    auto it = runs.find(m.setup_name);
    if (it != runs.end()) {
      for (const auto& [rk, r] : it->second) {
        if (rk > k) break;
        epochs = r.epochs_allotted;
        if (rk != k) continue;
        for (const auto& e : r.epochs) rung.spent_mwh += e.energy_mwh;
        if (!r.finished()) rung.complete = false;
      }
    }
    rung.epochs.push_back(epochs);
  }
  return rung;
}

void finish(SearchResult& result, const RungRuns& runs, const std::vector<PlannedRun>& setups,
            int last_rung, const SearchTarget& target, const EarlyStoppingRule& rule,
            PredictionCache& cache) {
  result.spent_mwh = 0;
  for (const auto& [name, by_rung] : runs) {
    for (const auto& [k, r] : by_rung) {
      for (const auto& e : r.epochs) result.spent_mwh += e.energy_mwh;
      if (result.metric_name.empty()) result.metric_name = r.run.metric_name;
    }
  }
  if (last_rung < 0) return;
  const Ranking all = rank_members(runs, setups, last_rung, target, rule, cache);
  result.candidates = all.ranked;
  if (!result.finished) result.target_score = all.target_score;
  result.grid_predicted_mwh = 0;
  for (const auto& c : all.ranked) {
    if (c.prediction) result.grid_predicted_mwh += c.prediction->energy_mwh;
  }
}

}  // namespace

SearchResult replay(const Store& store, const std::vector<PlannedRun>& setups,
                    const SearchTarget& target, int first_epochs, int eta,
                    const EarlyStoppingRule& rule, const RungStep& step) {
  (void)first_epochs;  // in the stored rows' allotted epochs
  SearchResult result;
  PredictionCache cache;
  const std::vector<int> sizes = rung_sizes(static_cast<int>(setups.size()), eta);
  std::vector<PlannedRun> members = setups;
  double budget = 0;
  EpochCaps caps;
  int last = -1;
  for (int k = 0; k < static_cast<int>(sizes.size()); ++k) {
    if (!step(k, members, budget, caps)) break;
    const RungRuns runs = load_rung_runs(store);
    result.rungs.push_back(rung_summary(runs, members, k, budget));
    if (k == 0) budget = result.rungs.back().spent_mwh;
    const Ranking ranking = rank_members(runs, members, k, target, rule, cache);
    result.target_score = ranking.target_score;
    last = k;
    const bool final_rung = k + 1 == static_cast<int>(sizes.size());
    const int keep = final_rung ? 1 : sizes[k + 1];
    members.clear();
    caps.clear();
    for (int i = 0; i < keep && i < static_cast<int>(ranking.ranked.size()); ++i) {
      const SearchCandidate& c = ranking.ranked[i];
      members.push_back(c.plan);
      // Epochs past the predicted target add nothing to the decision.
      if (c.prediction && c.prediction->target_epoch)
        caps[c.plan.setup_name] = *c.prediction->target_epoch + 1;
    }
    if (final_rung && !ranking.ranked.empty()) {
      result.finished = true;
      result.chosen = ranking.ranked.front();
    }
  }
  finish(result, load_rung_runs(store), setups, last, target, rule, cache);
  return result;
}

}  // namespace powertrain::search_detail
