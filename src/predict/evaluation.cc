#include "powertrain/predict/evaluation.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "powertrain/predict/prediction_store.h"

namespace powertrain::predict {
namespace {

using nlohmann::json;

bool is_search_rung(const RunRecord& r) {
  try {
    const json cfg = json::parse(r.config_json.empty() ? "{}" : r.config_json);
    return cfg.is_object() && cfg.contains("search");
  } catch (const json::exception&) {
    return false;
  }
}

std::string setup_of(const RunRecord& r) {
  if (r.setup) return std::to_string(*r.setup);
  if (r.batch_size && r.learning_rate)
    return fmt::format("bs{}-lr{:g}", *r.batch_size, *r.learning_rate);
  return "-";
}

// The checkpoints of a run of n epochs: 1, 3, 5 (when the run is longer)
// and 10 % of n (at least 1).
std::vector<std::pair<std::string, int>> checkpoints(int n) {
  std::vector<std::pair<std::string, int>> out;
  for (int k : {1, 3, 5}) {
    if (k < n) out.emplace_back(fmt::format("{} epoch{}", k, k == 1 ? "" : "s"), k);
  }
  out.emplace_back("10 %", std::max(1, static_cast<int>(std::ceil(0.1 * n))));
  return out;
}

std::optional<RunEvaluation> evaluate_run(const Store& store, const RunRecord& r,
                                          std::set<std::string>& sources) {
  if (r.status != RunStatus::kDone || is_search_rung(r)) return std::nullopt;
  const EarlyStoppingRule rule = rule_of_run(r);
  const auto epochs = store.epochs(r.id);
  const auto seen = observations(epochs, rule.minimise);
  if (seen.empty() || seen.size() != epochs.size()) return std::nullopt;
  RunEvaluation ev;
  ev.database = store.path();
  ev.run_id = r.id;
  ev.setup = setup_of(r);
  ev.role = r.role;
  ev.repeat = r.repeat.value_or(0);
  ev.epochs = static_cast<int>(seen.size());
  for (const auto& e : epochs) {
    ev.measured_mwh += e.energy_mwh;
    sources.insert(std::string(to_string(e.source)));
  }
  if (!(ev.measured_mwh > 0)) return std::nullopt;
  const auto stored = load_predictions(store, r.id);
  ev.stored = !stored.empty();
  for (const auto& [label, k] : checkpoints(ev.epochs)) {
    double ours = 0, baseline = 0;
    const int epoch = k;  // a structured binding cannot be captured in C++17 (clang)
    auto it = std::find_if(stored.begin(), stored.end(),
                           [epoch](const auto& s) { return s.epoch == epoch; });
    if (it != stored.end()) {
      ours = it->energy_mwh;
      baseline = it->baseline_energy_mwh;
    } else {
      const Prediction p = predict_run({seen.begin(), seen.begin() + k}, rule);
      ours = p.energy_mwh;
      baseline = p.baseline_energy_mwh;
      ev.stored = false;
    }
    ev.errors.push_back({label, k, (ours - ev.measured_mwh) / ev.measured_mwh,
                         (baseline - ev.measured_mwh) / ev.measured_mwh});
  }
  return ev;
}

double median_abs(std::vector<double> v) {
  for (double& x : v) x = std::abs(x);
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  if (n == 0) return NAN;
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::vector<ErrorSummary> summarise(const std::vector<RunEvaluation>& runs) {
  // (setup, label) -> errors; "all" gathers every run.
  std::map<std::pair<std::string, std::string>, std::pair<std::vector<double>, std::vector<double>>>
      groups;
  std::vector<std::string> setups{"all"};
  for (const auto& r : runs) {
    if (std::find(setups.begin(), setups.end(), r.setup) == setups.end()) setups.push_back(r.setup);
    for (const auto& e : r.errors) {
      for (const std::string& s : {std::string("all"), r.setup}) {
        groups[{s, e.label}].first.push_back(e.ours);
        groups[{s, e.label}].second.push_back(e.baseline);
      }
    }
  }
  std::vector<ErrorSummary> out;
  for (const auto& s : setups) {
    for (const char* label : {"1 epoch", "3 epochs", "5 epochs", "10 %"}) {
      auto it = groups.find({s, label});
      if (it == groups.end()) continue;
      out.push_back({s, label, static_cast<int>(it->second.first.size()),
                     median_abs(it->second.first), median_abs(it->second.second)});
    }
  }
  return out;
}

}  // namespace

PredictionEvaluation evaluate_predictions(const std::vector<std::string>& db_paths) {
  PredictionEvaluation out;
  std::set<std::string> sources;
  for (const auto& path : db_paths) {
    const Store store(path, Store::Mode::kReadOnly);
    for (const auto& r : store.runs()) {
      if (auto ev = evaluate_run(store, r, sources)) out.runs.push_back(std::move(*ev));
    }
  }
  out.summary = summarise(out.runs);
  for (const auto& s : sources) out.energy_sources += (out.energy_sources.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace powertrain::predict
