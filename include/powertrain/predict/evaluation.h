// How good the predictions were: for each finished run, the error of the
// total energy predicted after 1, 3 and 5 epochs and after 10 % of the
// run's epochs, ours (predict.h) against the Carbontracker-style baseline,
// against the run's measured total (its stored epochs). Shown by
// `powertrain report`.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "powertrain/store/store.h"

namespace powertrain::predict {

// Signed relative errors, (predicted - measured) / measured, after `epoch`.
struct CheckpointError {
  std::string label;  // "1 epoch", "3 epochs", "5 epochs", "10 %"
  int epoch = 0;
  double ours = 0;
  double baseline = 0;
};

struct RunEvaluation {
  std::string database;
  int64_t run_id = 0;
  std::string setup;  // "7", or the setup's name
  std::string role;
  int repeat = 0;
  int epochs = 0;
  double measured_mwh = 0;
  bool stored = false;  // predictions read from the table (else recomputed from the epochs)
  std::vector<CheckpointError> errors;
};

// Median absolute errors over runs, per setup (all runs of a setup) or over
// everything (setup "all").
struct ErrorSummary {
  std::string setup;
  std::string label;
  int runs = 0;
  double ours_median_abs = 0;
  double baseline_median_abs = 0;
};

struct PredictionEvaluation {
  std::vector<RunEvaluation> runs;
  std::vector<ErrorSummary> summary;  // "all" first, then per setup
  std::string energy_sources;         // of the measured totals, e.g. "modelled"
};

// Finished training runs (done, not a search's truncated rungs) of the
// databases. Throws std::runtime_error for an unreadable database.
PredictionEvaluation evaluate_predictions(const std::vector<std::string>& db_paths);

std::string format_evaluation_text(const PredictionEvaluation& e);
std::string evaluation_json(const PredictionEvaluation& e);  // pretty JSON
std::string evaluation_csv(const PredictionEvaluation& e);   // one row per run and checkpoint
std::string evaluation_html(const PredictionEvaluation& e);  // a standalone HTML section

// `powertrain report`'s hook: with out_dir, writes predictions.{json,csv,html}
// there and returns their paths; without, prints the text to `terminal` for
// the text and md formats. Nothing when no run could be evaluated.
std::vector<std::string> write_evaluation(const std::vector<std::string>& db_paths,
                                          const std::string& format, const std::string& out_dir,
                                          std::ostream& terminal);

}  // namespace powertrain::predict
