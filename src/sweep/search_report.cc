// A stored search, read back and described.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "powertrain/predict/evaluation.h"
#include "powertrain/predict/prediction_store.h"
#include "powertrain/sweep/search.h"
#include "search_internal.h"

namespace powertrain {

using search_detail::RungRuns;

std::optional<SearchResult> read_search(const Store& store) {
  const auto meta = store.meta(kMetaSearch);
  if (!meta) return std::nullopt;
  SearchTarget target;
  int first_epochs = 0, eta = 0;
  try {
    const auto j = nlohmann::json::parse(*meta);
    target = parse_search_target(j.at("target").get<std::string>());
    first_epochs = j.at("first_epochs").get<int>();
    eta = j.at("eta").get<int>();
  } catch (const std::exception& e) {
    throw std::runtime_error(
        fmt::format("{}: meta '{}' is not a search's: {}", store.path(), kMetaSearch, *meta));
  }
  const RungRuns runs = search_detail::load_rung_runs(store);
  if (runs.empty()) return SearchResult{};
  const EarlyStoppingRule rule = predict::rule_of_run(runs.begin()->second.begin()->second.run);
  // A rung is read when each member has a finished run in it, or a run
  // complete before it.
  search_detail::RungStep step = [&](int k, const std::vector<PlannedRun>& members, double,
                                     const search_detail::EpochCaps&) {
    for (const auto& m : members) {
      auto it = runs.find(m.setup_name);
      if (it == runs.end()) return false;
      auto r = it->second.find(k);
      if (r != it->second.end()) {
        if (!r->second.finished()) return false;
        continue;
      }
      bool carried = false;
      for (const auto& [rk, rr] : it->second) {
        if (rk < k) carried = search_detail::complete(rr, rule.max_epochs);
      }
      if (!carried) return false;
    }
    return true;
  };
  return search_detail::replay(store, search_detail::stored_setups(runs), target, first_epochs, eta,
                               rule, step);
}

namespace {

std::string describe(const PlannedRun& p) {
  return fmt::format("setup {} (bs {}, lr {:g})", p.setup_name, p.batch_size, p.learning_rate);
}

std::string cost_text(double mwh) {
  return std::isfinite(mwh) ? fmt::format("{:.2f} mWh", mwh) : std::string("not reached");
}

}  // namespace

std::string format_search(const SearchResult& r) {
  std::ostringstream out;
  for (const auto& rung : r.rungs) {
    int lo = rung.epochs.empty() ? 0 : rung.epochs[0], hi = lo;
    for (int e : rung.epochs) lo = std::min(lo, e), hi = std::max(hi, e);
    out << fmt::format(
        "rung {}: {} setups, {} epochs{}, spent {:.2f} mWh{}\n", rung.index, rung.setups.size(),
        lo == hi ? std::to_string(lo) : fmt::format("{}-{}", lo, hi),
        rung.budget_mwh > 0 ? fmt::format(" (budget {:.2f} mWh)", rung.budget_mwh) : "",
        rung.spent_mwh, rung.complete ? "" : " (not finished)");
  }
  out << fmt::format("target {} {:.4f}\n", r.metric_name.empty() ? "score" : r.metric_name,
                     r.target_score);
  for (const auto& c : r.candidates) {
    out << fmt::format("  {:<28} rung {} {:>3} epochs {:<8} energy to target {:>12}",
                       describe(c.plan), c.rung, c.epochs, c.status, cost_text(c.cost_mwh));
    if (c.prediction) {
      out << fmt::format(", whole run {:.2f} mWh [{:.2f}-{:.2f}], best {:.4f}",
                         c.prediction->energy_mwh, c.prediction->energy_low_mwh,
                         c.prediction->energy_high_mwh, c.prediction->predicted_best);
    }
    out << "\n";
  }
  out << fmt::format("spent {:.2f} mWh; the whole grid, predicted: {:.2f} mWh ({:.0f} %)\n",
                     r.spent_mwh, r.grid_predicted_mwh,
                     r.grid_predicted_mwh > 0 ? 100 * r.spent_mwh / r.grid_predicted_mwh : 0.0);
  if (r.chosen) {
    out << fmt::format("chosen: {}, predicted energy to target {}\n", describe(r.chosen->plan),
                       cost_text(r.chosen->cost_mwh));
  } else {
    out << "no setup chosen yet (the search is not finished)\n";
  }
  return out.str();
}

}  // namespace powertrain

namespace powertrain {
namespace {

// Energy of a sweep's repeat-1 runs that finished (the grid a search stands
// in for), from a database of the same experiment holding no search.
std::optional<double> measured_grid(const Store& sweep_db) {
  if (sweep_db.meta(kMetaSearch)) return std::nullopt;
  double sum = 0;
  int runs = 0;
  for (const auto& r : sweep_db.runs()) {
    if (r.repeat.value_or(0) != 1 || r.status == RunStatus::kPending ||
        r.status == RunStatus::kRunning)
      continue;
    for (const auto& e : sweep_db.epochs(r.id)) sum += e.energy_mwh;
    ++runs;
  }
  if (runs == 0) return std::nullopt;
  return sum;
}

// How the stored energy was obtained, e.g. "modelled" or "sampled, counter".
std::string energy_sources(const Store& store) {
  std::set<std::string> sources;
  for (const auto& r : store.runs()) {
    for (const auto& e : store.epochs(r.id)) sources.insert(std::string(to_string(e.source)));
  }
  std::string out;
  for (const auto& s : sources) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "-" : out;
}

nlohmann::json search_json(const SearchResult& r) {
  nlohmann::json j;
  j["spent_mwh"] = r.spent_mwh;
  j["grid_predicted_mwh"] = r.grid_predicted_mwh;
  if (r.grid_measured_mwh) {
    j["grid_measured_mwh"] = *r.grid_measured_mwh;
    j["grid_measured_from"] = r.grid_measured_from;
  }
  j["target_score"] = r.target_score;
  j["finished"] = r.finished;
  if (r.chosen) {
    j["chosen"] = {{"setup", r.chosen->plan.setup_name},
                   {"batch_size", r.chosen->plan.batch_size},
                   {"learning_rate", r.chosen->plan.learning_rate},
                   {"predicted_energy_to_target_mwh", std::isfinite(r.chosen->cost_mwh)
                                                          ? nlohmann::json(r.chosen->cost_mwh)
                                                          : nlohmann::json(nullptr)}};
  }
  j["rungs"] = nlohmann::json::array();
  for (const auto& rung : r.rungs) {
    j["rungs"].push_back({{"rung", rung.index},
                          {"setups", rung.setups.size()},
                          {"epochs", rung.epochs},
                          {"budget_mwh", rung.budget_mwh},
                          {"spent_mwh", rung.spent_mwh}});
  }
  return j;
}

}  // namespace

std::vector<std::string> write_prediction_and_search_reports(const std::vector<std::string>& dbs,
                                                             const std::string& format,
                                                             const std::string& out_dir,
                                                             std::ostream& terminal) {
  std::vector<std::string> paths = predict::write_evaluation(dbs, format, out_dir, terminal);
  for (const auto& path : dbs) {
    const Store store(path, Store::Mode::kReadOnly);
    auto result = read_search(store);
    if (!result) continue;
    for (const auto& other : dbs) {
      if (other == path) continue;
      const Store grid(other, Store::Mode::kReadOnly);
      if (grid.meta(kMetaExperimentHash) != store.meta(kMetaExperimentHash)) continue;
      if (auto mwh = measured_grid(grid))
        result->grid_measured_mwh = *mwh, result->grid_measured_from = other;
    }
    const std::string sources = energy_sources(store);
    std::string text =
        fmt::format("\nSearch in {} (energy: {}, per epoch as its tracker stored it):\n", path,
                    sources) +
        format_search(*result);
    if (result->grid_measured_mwh && *result->grid_measured_mwh > 0) {
      text +=
          fmt::format("the grid as measured in {}: {:.2f} mWh; the search spent {:.0f} % of it\n",
                      result->grid_measured_from, *result->grid_measured_mwh,
                      100 * result->spent_mwh / *result->grid_measured_mwh);
    }
    if (out_dir.empty()) {
      if (format == "text" || format == "md" || format == "markdown") terminal << text;
      continue;
    }
    const std::string stem =
        (std::filesystem::path(out_dir) / ("search-" + std::filesystem::path(path).stem().string()))
            .string();
    std::ofstream(stem + ".txt") << text;
    nlohmann::json j = search_json(*result);
    j["energy_sources"] = sources;
    std::ofstream(stem + ".json") << j.dump(2) << "\n";
    paths.push_back(stem + ".txt");
    paths.push_back(stem + ".json");
  }
  return paths;
}

}  // namespace powertrain
