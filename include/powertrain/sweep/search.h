// Energy-aware search over an experiment's grid: successive halving whose
// budget is energy. Rung 0 trains every setup for a few epochs; each later
// rung keeps the 1/eta of the setups with the lowest predicted energy to
// reach the target and gives each of them an equal share of the rung's
// energy budget (the energy rung 0 spent), converted into epochs by the
// setup's own measured energy per epoch and capped one epoch past the epoch
// at which its prediction reaches the target (more cannot change the
// decision); when one setup is left, it is the choice. A setup given more epochs trains again from
// the start (the trainer keeps no optimiser checkpoint to continue from; the same seed replays the
// same first epochs), and that energy is counted in what the search spent.
//
//   SearchOptions options;  options.db_path = "search.db";
//   options.target = parse_search_target("best-0.02");
//   SearchResult result = run_search(config, options, runner);
//
// The database holds one run per (setup, rung), like a sweep's; a search
// stopped at any point resumes from it without redoing a finished run, and
// the decisions are a function of the stored epochs alone, so a resumed
// search makes the same choice. Shards (--shard I/N) on one database each
// run their share of a rung and wait for the others' before the next.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/predict/predict.h"
#include "powertrain/sweep/sweep.h"

namespace powertrain {

// "0.85" (a score to reach) or "best-0.02" (within 0.02 of the best score
// any setup is predicted to reach), in the metric's units.
struct SearchTarget {
  bool relative = false;
  double value = 0;  // the score, or the distance below the best
  std::string text() const;
};
// Throws std::invalid_argument naming the text.
SearchTarget parse_search_target(const std::string& text);

struct SearchOptions {
  std::string db_path;  // required
  SearchTarget target;
  int first_epochs = 3;      // rung 0's epochs (3: the fewest the curve fit takes)
  int eta = 4;               // keep 1/eta of the setups each rung
  Shard shard;               // shards share db_path
  bool takeover = false;     // rerun `running` runs whose process cannot be checked
  int max_runs = -1;         // stop after this many runs (< 0: all)
  double wait_poll_s = 1.0;  // a shard waiting for the others' runs polls this often
  std::ostream* out = nullptr;
};

// The rungs' sizes: n, ceil(n / eta), ... down to the first size <= eta;
// e.g. 16 setups, eta 4: {16, 4}; eta 2: {16, 8, 4, 2}. The last rung's
// setups are ranked, not halved again.
std::vector<int> rung_sizes(int setups, int eta);
// Epochs for a setup in a later rung: its share of the rung's budget over
// its energy per epoch, at least previous + 1 and at most max_epochs.
int rung_epochs(double rung_budget_mwh, int survivors, double epoch_mwh, int previous_epochs,
                int max_epochs);

// A setup as the search saw it after its latest rung.
struct SearchCandidate {
  PlannedRun plan;
  int rung = 0;  // its latest finished rung
  int epochs = 0;
  std::string status;    // of its latest run: "done", "diverged", "failed"
  double spent_mwh = 0;  // all its runs
  std::optional<predict::Prediction> prediction;
  double cost_mwh = std::numeric_limits<double>::infinity();  // predicted energy to target
};

struct SearchRung {
  int index = 0;
  std::vector<int> setups;  // setup plan indices, in rank order of the rung before
  std::vector<int> epochs;  // per setup
  double budget_mwh = 0;    // 0 for rung 0 (fixed epochs)
  double spent_mwh = 0;
  bool complete = false;
};

struct SearchResult {
  std::vector<SearchRung> rungs;
  std::vector<SearchCandidate> candidates;  // every setup, ranked by cost (best first)
  bool finished = false;                    // a setup was chosen
  std::optional<SearchCandidate> chosen;
  double target_score = 0;                  // the absolute score the costs were computed for
  double spent_mwh = 0;                     // every run of the search
  double grid_predicted_mwh = 0;            // every setup run to its predicted stop
  std::optional<double> grid_measured_mwh;  // a sweep of the same experiment, repeat 1
  std::string grid_measured_from;
  int ran = 0;  // runs done by this call
  std::string metric_name;
};

// Runs (or resumes) the search. Throws std::invalid_argument for a database
// of another experiment, a paradigm other than regime, and bad options.
SearchResult run_search(const ExperimentConfig& config, const SearchOptions& options,
                        const SweepRunner& runner);

// The search as stored in a database (no training), as far as its rungs are
// finished: what `powertrain report` shows. nullopt for a database that
// holds no search.
std::optional<SearchResult> read_search(const Store& store);

// Text of a search result: rungs, spent, choice, the grid's predicted energy.
std::string format_search(const SearchResult& result);

// `powertrain report`'s hook: the prediction evaluation of every database
// (predict/evaluation.h) and each search's result, the grid's energy
// measured where a sweep database of the same experiment is among them.
// With out_dir: writes predictions.{json,csv,html} and search.{json,txt};
// without: prints the text for the text and md formats.
std::vector<std::string> write_prediction_and_search_reports(const std::vector<std::string>& dbs,
                                                             const std::string& format,
                                                             const std::string& out_dir,
                                                             std::ostream& terminal);

// Meta keys of a search database.
inline constexpr const char* kMetaSearch = "search";  // JSON: target, first_epochs, eta

}  // namespace powertrain
