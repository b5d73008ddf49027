// Predictions kept beside a run's epochs: table `predictions`, one row per
// run and epoch (created when first written, so that databases of older
// powertrain versions stay readable; readers find no rows there).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/predict/predict.h"
#include "powertrain/store/store.h"

namespace powertrain::predict {

// One stored prediction, made after `epoch` epochs of run `run_id`.
struct StoredPrediction {
  int64_t run_id = 0;
  int epoch = 0;
  std::string method;
  int stop_epoch = 0, stop_low = 0, stop_high = 0;
  double energy_mwh = 0, energy_low_mwh = 0, energy_high_mwh = 0;
  double duration_s = 0, duration_low_s = 0, duration_high_s = 0;
  double baseline_energy_mwh = 0, baseline_duration_s = 0;
};
StoredPrediction to_stored(int64_t run_id, const Prediction& p);

void put_prediction(Store& store, int64_t run_id, const Prediction& p);
// A run's predictions by epoch; empty when the table does not exist.
std::vector<StoredPrediction> load_predictions(const Store& store, int64_t run_id);

// The early-stopping rule of a stored training run (its config: patience,
// min_delta, max_epochs; the autoencoder minimises its loss); `fallback`
// for keys the config lacks.
EarlyStoppingRule rule_of_run(const RunRecord& run, const EarlyStoppingRule& fallback = {});
// The rule of an experiment's runs of a task.
bool task_minimises(const std::string& task);

// The early-stopping score and energy of each stored epoch, up to the first
// epoch without a score (diverged); partial rows left by a dead process are
// not there.
std::vector<EpochObservation> observations(const std::vector<EpochRecord>& epochs, bool minimise);

// Predicts a run from its stored epochs and stores the prediction; nullopt
// when it has no usable epoch yet.
std::optional<Prediction> predict_and_store(Store& store, int64_t run_id,
                                            const EarlyStoppingRule& rule);

// "predicted stop ep 12 [11-14], 120.0 mWh [110.0-140.0] (baseline 500.0)".
std::string format_prediction(const Prediction& p);

// The sweep's hook after each epoch: predicts the run (rule from the
// experiment's training settings and the task), stores the prediction and
// returns the short text for the progress line ("" when there is nothing to
// predict from; a failure to predict never stops the run: its text says so).
std::string predict_for_progress(Store& store, int64_t run_id, int patience, double min_delta,
                                 int max_epochs, const std::string& task);

// `powertrain status`'s lines: the latest prediction of each running run
// of the database at db_path ("" when there is none, or no such file).
std::string predictions_status_text(const std::string& db_path);

}  // namespace powertrain::predict
