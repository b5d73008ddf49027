// run_search: the rungs, run through the sweep's runner into the database.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <ostream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "powertrain/predict/prediction_store.h"
#include "powertrain/store/run_roles.h"
#include "powertrain/sweep/search.h"
#include "search_internal.h"
#include "util/host.h"

namespace powertrain {
namespace {

using nlohmann::json;
using search_detail::RungRun;
using search_detail::RungRuns;

EarlyStoppingRule rule_of(const ExperimentConfig& c) {
  return {c.patience, c.min_delta, c.max_epochs, predict::task_minimises(c.task)};
}

json search_meta(const SearchOptions& o) {
  return {{"target", o.target.text()}, {"first_epochs", o.first_epochs}, {"eta", o.eta}};
}

void check_options(const ExperimentConfig& config, const SearchOptions& o) {
  if (o.db_path.empty()) throw std::invalid_argument("run_search: no database path");
  if (config.paradigm != roles::kRegime) {
    throw std::invalid_argument(fmt::format(
        "{}: search runs a regime experiment's grid; paradigm '{}' has several roles per setup",
        config.file, config.paradigm));
  }
  if (o.eta < 2) throw std::invalid_argument(fmt::format("--eta {}: must be >= 2", o.eta));
  if (o.first_epochs < 1 || o.first_epochs > config.max_epochs) {
    throw std::invalid_argument(
        fmt::format("--first-epochs {}: must be in 1..{} (max_epochs of {})", o.first_epochs,
                    config.max_epochs, config.file));
  }
}

// The experiment's and the search's identity, written once and checked after.
void claim_database(Store& store, const ExperimentConfig& config, const SearchOptions& o) {
  const std::string meta = search_meta(o).dump();
  store.transaction([&] {
    const auto name = store.meta(kMetaExperiment);
    const auto hash = store.meta(kMetaExperimentHash);
    if ((name && *name != config.name) || (hash && *hash != config.hash())) {
      throw std::invalid_argument(fmt::format(
          "database {} holds experiment '{}' (hash {}), not '{}' of {} (hash {}): use another --db",
          store.path(), name.value_or(""), hash.value_or(""), config.name, config.file,
          config.hash()));
    }
    if (!name) {
      store.set_meta(kMetaExperiment, config.name);
      store.set_meta(kMetaExperimentHash, config.hash());
      store.set_meta(kMetaExperimentConfig, config.canonical_json());
      store.set_meta(kMetaExperimentFile, config.file);
      store.set_meta(kMetaShard, "");
    }
    auto stored = store.meta(kMetaSearch);
    if (stored && *stored != meta) {
      throw std::invalid_argument(fmt::format(
          "database {} holds a search with {}, not {}: use another --db, or the same options",
          store.path(), *stored, meta));
    }
    if (!stored && !store.runs().empty()) {
      throw std::invalid_argument(
          fmt::format("database {} holds runs that are not a search's (a sweep?): use another --db",
                      store.path()));
    }
    store.set_meta(kMetaSearch, meta);
  });
}

// The planned run's row as a sweep writes it, tagged with its rung.
RunRecord rung_record(const ExperimentConfig& c, const PlannedRun& p, int rung, int epochs) {
  RunRecord r = pending_run_record(c, p);
  json j = json::parse(r.config_json);
  j["search"] = {{"rung", rung}, {"epochs", epochs}, {"index", p.index}};
  r.config_json = j.dump();
  return r;
}

struct Allotment {
  PlannedRun plan;
  int epochs = 0;
  bool carried = false;  // complete in an earlier rung: not run again
};

// Epochs of each member in rung k (search.h): rung 0's fixed epochs, then
// each member's share of the budget at its own energy per epoch.
std::vector<Allotment> allot(const RungRuns& runs, const std::vector<PlannedRun>& members, int k,
                             double budget_mwh, const search_detail::EpochCaps& caps,
                             const ExperimentConfig& c, const SearchOptions& o) {
  std::vector<Allotment> out;
  for (const auto& m : members) {
    Allotment a{m, o.first_epochs, false};
    auto it = runs.find(m.setup_name);
    if (k > 0 && it != runs.end()) {
      const RungRun* last = nullptr;
      for (const auto& [rung, r] : it->second) {
        if (rung < k && r.finished()) last = &r;
      }
      if (last && search_detail::complete(*last, c.max_epochs)) {
        a.carried = true;
        a.epochs = last->epochs_allotted;
      } else if (last) {
        double mwh = 0;
        for (const auto& e : last->epochs) mwh += e.energy_mwh;
        const int n = static_cast<int>(last->epochs.size());
        a.epochs = rung_epochs(budget_mwh, static_cast<int>(members.size()), n ? mwh / n : 0,
                               last->epochs_allotted, c.max_epochs);
        auto cap = caps.find(m.setup_name);
        if (cap != caps.end())
          a.epochs = std::max(last->epochs_allotted + 1, std::min(a.epochs, cap->second));
      }
    }
    if (k > 0 && it != runs.end() && it->second.count(k))
      a.epochs = it->second.at(k).epochs_allotted;  // as stored by the first call
    out.push_back(a);
  }
  return out;
}

// Pending rows for the rung's runs that have none yet.
void add_rung_rows(Store& store, const ExperimentConfig& c, const std::vector<Allotment>& a,
                   int k) {
  store.transaction([&] {
    const RungRuns runs = search_detail::load_rung_runs(store);
    for (const auto& m : a) {
      auto it = runs.find(m.plan.setup_name);
      if (m.carried || (it != runs.end() && it->second.count(k))) continue;
      store.add_run(rung_record(c, m.plan, k, m.epochs));
    }
  });
}

// Claims a pending row as the sweep does: only if still pending, so that
// two processes never run the same run.
bool claim(Store& store, RunRecord& r) {
  bool claimed = false;
  store.transaction([&] {
    auto current = store.run(r.id);
    if (!current || current->status != RunStatus::kPending) return;
    r = *current;
    r.status = RunStatus::kRunning;
    r.host = this_host();
    r.pid = static_cast<int64_t>(getpid());
    r.started_at_s = unix_now_s();
    r.ended_at_s.reset();
    r.error.clear();
    store.update_run(r);
    claimed = true;
  });
  return claimed;
}

// A row left `running` by a dead process (or taken over) goes back to
// pending, its rows marked partial. False when its process is alive.
bool release_if_dead(Store& store, RunRecord r, bool takeover) {
  const auto dead = run_process_dead(r);
  if (!takeover && !dead) {
    throw std::invalid_argument(fmt::format(
        "run {} in {} is marked running by process {} on host {}, which cannot be checked from "
        "here; if it is gone, pass --takeover to run it again",
        r.id, store.path(), r.pid.value_or(0), r.host));
  }
  if (!takeover && !*dead) return false;
  store.mark_partial(r.id);
  r.status = RunStatus::kPending;
  r.pid.reset();
  r.started_at_s.reset();
  store.update_run(r);
  return true;
}

void run_one(Store& store, const ExperimentConfig& c, const Allotment& a, RunRecord& r, int k,
             const SweepRunner& runner, std::ostream* out) {
  ExperimentConfig rung_config = c;
  rung_config.max_epochs = a.epochs;
  RunRequest request;
  request.experiment = &rung_config;
  request.plan = a.plan;
  request.run_id = r.id;
  request.store = &store;
  // No prediction per epoch here (the rung's end ranks on one per run).
  RunProgressFn progress = [&](const RunProgress& p) {
    if (p.epoch <= 0 || !out) return;
    *out << fmt::format("rung {} setup {} (bs {}, lr {:g}) epoch {}/{}", k, a.plan.setup_name,
                        a.plan.batch_size, a.plan.learning_rate, p.epoch, a.epochs);
    if (p.metric) *out << fmt::format(" {} {:.4f}", p.metric_name, *p.metric);
    *out << fmt::format(" | {:.2f} mWh\n", p.energy_mwh) << std::flush;
  };
  RunOutcome outcome;
  try {
    outcome = runner(request, progress);
  } catch (const std::exception& e) {
    outcome = RunOutcome{};
    outcome.status = RunStatus::kFailed;
    outcome.error = e.what();
  }
  if (outcome.status == RunStatus::kPending || outcome.status == RunStatus::kRunning) {
    outcome.status = RunStatus::kFailed;
    outcome.error = "the runner returned without an end status";
  }
  r.status = outcome.status;
  r.error = outcome.error;
  r.ended_at_s = unix_now_s();
  r.final_metric = outcome.final_metric;
  r.metric_name = outcome.metric_name;
  if (!outcome.device.empty()) r.device = outcome.device;
  if (!outcome.sensors.empty()) r.sensors = outcome.sensors;
  store.update_run(r);
}

// Runs this shard's runs of rung k that are not finished, then waits for
// the others' (shards on one database). False when max_runs stopped it.
bool run_rung(Store& store, const ExperimentConfig& c, const std::vector<Allotment>& a, int k,
              const SearchOptions& o, const SweepRunner& runner, int& ran) {
  bool announced = false;
  for (;;) {
    const RungRuns runs = search_detail::load_rung_runs(store);
    int waiting = 0;
    for (const auto& m : a) {
      if (m.carried) continue;
      RunRecord r = runs.at(m.plan.setup_name).at(k).run;
      if (r.status == RunStatus::kDone || r.status == RunStatus::kDiverged ||
          r.status == RunStatus::kFailed)
        continue;
      const bool owned = o.shard.owns_group(m.plan.index);
      if (r.status == RunStatus::kRunning && !(owned && release_if_dead(store, r, o.takeover))) {
        ++waiting;
        continue;
      }
      if (!owned) {
        ++waiting;
        continue;
      }
      if (o.max_runs >= 0 && ran >= o.max_runs) return false;
      if (!claim(store, r)) continue;
      run_one(store, c, m, r, k, runner, o.out);
      ++ran;
    }
    if (waiting == 0) return true;
    if (o.out && !announced) {
      *o.out << fmt::format("rung {}: waiting for {} runs of other shards\n", k, waiting);
      announced = true;
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(o.wait_poll_s));
  }
}

}  // namespace

SearchResult run_search(const ExperimentConfig& config, const SearchOptions& options,
                        const SweepRunner& runner) {
  check_options(config, options);
  if (!runner) throw std::invalid_argument("run_search: no runner");
  check_data_dir(config);
  // Opened (or created) first and checked in one transaction: shards start
  // on one database at once.
  Store store(options.db_path);
  claim_database(store, config, options);
  int ran = 0;
  search_detail::RungStep step = [&](int k, const std::vector<PlannedRun>& members, double budget,
                                     const search_detail::EpochCaps& caps) {
    const auto a =
        allot(search_detail::load_rung_runs(store), members, k, budget, caps, config, options);
    add_rung_rows(store, config, a, k);
    if (options.out) {
      *options.out << fmt::format("rung {}: {} setups", k, members.size());
      if (budget > 0) *options.out << fmt::format(", budget {:.2f} mWh", budget);
      *options.out << "\n" << std::flush;
    }
    return run_rung(store, config, a, k, options, runner, ran);
  };
  SearchResult result =
      search_detail::replay(store, search_detail::grid_setups(config), options.target,
                            options.first_epochs, options.eta, rule_of(config), step);
  result.ran = ran;
  return result;
}

}  // namespace powertrain
