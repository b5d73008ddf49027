// Shared by search.cc (running) and search_state.cc (deciding from what is
// stored): a search's decisions are a function of its stored runs alone.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "powertrain/store/store.h"
#include "powertrain/sweep/search.h"

namespace powertrain::search_detail {

// The stored run of one setup in one rung, with its epochs.
struct RungRun {
  RunRecord run;
  int rung = 0;
  int epochs_allotted = 0;
  int plan_index = 0;  // the setup's place in the grid
  std::vector<EpochRecord> epochs;
  bool finished() const {
    return run.status == RunStatus::kDone || run.status == RunStatus::kDiverged ||
           run.status == RunStatus::kFailed;
  }
};

// setup name -> rung -> run, from the store's runs tagged with a rung.
using RungRuns = std::map<std::string, std::map<int, RungRun>>;
RungRuns load_rung_runs(const Store& store);

// The rung, allotted epochs and grid place of a stored run; false for a
// run of no rung.
bool rung_of(const RunRecord& run, RungRun& out);

// Ranks `members` (setup names) by predicted energy to the target, from
// their latest run in rungs <= rung; fills the candidates. The target is
// made absolute from the best predicted score over every setup seen.
struct Ranking {
  std::vector<SearchCandidate> ranked;  // of members, best first
  double target_score = 0;
};
using PredictionCache = std::map<int64_t, predict::Prediction>;  // by run id
Ranking rank_members(const RungRuns& runs, const std::vector<PlannedRun>& members, int rung,
                     const SearchTarget& target, const EarlyStoppingRule& rule,
                     PredictionCache& cache);

// A run that needs no more epochs: it ended by its early-stopping rule
// before its allotted epochs (more would replay the same run), or it ran
// the planned maximum.
bool complete(const RungRun& r, int max_epochs);

// The grid's setups (repeat 1 of a regime experiment), in plan order.
std::vector<PlannedRun> grid_setups(const ExperimentConfig& config);
// The setups of the runs in a database, in setup-name order.
std::vector<PlannedRun> stored_setups(const RungRuns& runs);

// Does rung k for `members` (run it, or check it is stored); false stops
// the replay there (max_runs reached, or a rung not finished yet). `caps`:
// the most epochs a member needs (its predicted epoch at the target, plus
// one), by setup name; a member without one gets its budget share.
using EpochCaps = std::map<std::string, int>;
using RungStep = std::function<bool(int k, const std::vector<PlannedRun>& members,
                                    double budget_mwh, const EpochCaps& caps)>;
// The search's decisions rung by rung from the stored runs, calling step
// before each rung is read.
SearchResult replay(const Store& store, const std::vector<PlannedRun>& setups,
                    const SearchTarget& target, int first_epochs, int eta,
                    const EarlyStoppingRule& rule, const RungStep& step);

}  // namespace powertrain::search_detail
