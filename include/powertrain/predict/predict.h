// Predicting a training run's remaining epochs, energy and time from its
// validation curve so far, under the early-stopping rule in force. Pure
// functions, no LibTorch, no store.
//
//   std::vector<EpochObservation> seen = ...;  // one per finished epoch
//   Prediction p = predict_run(seen, rule);
//   p.energy_mwh, p.energy_low_mwh, p.energy_high_mwh, p.baseline_energy_mwh
//
// Method. The validation curve y(t), t = 1..n, is fitted with a saturating
// curve y = a + b g(t; c), g = exp(-c (t - 1)) (exponential saturation) or
// t^-c (inverse power law), by robust least squares: for each rate c the
// best (a, b) are linear, found in closed form with Huber weights (scale
// from the median absolute residual, 3 reweighting passes); c is searched on
// a log grid and refined by golden section; the family with the smaller
// weighted squared error is kept. The early-stopping rule is then played on
// the observed epochs followed by the extrapolation plus noise, up to the
// planned maximum. The interval comes from a residual bootstrap: each
// replicate refits the curve to fitted values plus resampled residuals and
// plays the rule on its own extrapolation with resampled residuals as noise;
// the point is the median replicate's stop epoch, the interval the chosen
// percentiles. Energy and time are the observed totals plus the remaining
// epochs times the observed mean epoch energy and duration (the spread of
// the epoch energy itself is not in the interval).
//
// The baseline is Carbontracker's: observed mean epoch energy times the
// planned epochs (blind to early stopping).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/predict/early_stopping.h"

namespace powertrain::predict {

enum class CurveFamily { kExponential, kPowerLaw };
const char* to_string(CurveFamily family);

// y(t) = a + b g(t; c).
struct CurveFit {
  CurveFamily family = CurveFamily::kExponential;
  double a = 0, b = 0, c = 0;
  double rmse = 0;  // unweighted, over the fitted points
  double value(double epoch) const;
};

// Fits values[i] (the value at epoch i + 1). nullopt for fewer than
// kMinFitPoints values or non-finite ones.
// With a ceiling, the asymptote a is kept at or below it (a score that
// cannot pass 1, such as an accuracy).
inline constexpr int kMinFitPoints = 3;
std::optional<CurveFit> fit_saturating(const std::vector<double>& values,
                                       std::optional<double> ceiling = std::nullopt);

// One finished epoch of a run.
struct EpochObservation {
  double value = 0;  // the early-stopping score: validation accuracy, or loss when minimising
  double energy_mwh = 0;
  double duration_s = 0;
};

struct PredictOptions {
  int replicates = 200;   // bootstrap replicates
  uint64_t seed = 1;      // of the bootstrap's generator: the same input gives the same answer
  double coverage = 0.8;  // the interval's central share (0.8: 10th to 90th percentile)
  std::optional<double> target;  // a score to reach (for energy to target)
  // The most a maximised score can be: the scores powertrain maximises are
  // accuracies, in [0, 1]. Not applied when the rule minimises (a loss).
  double score_ceiling = 1.0;
};

struct Prediction {
  int epochs_seen = 0;
  std::string method;  // "exponential fit, residual bootstrap (200)", or why there is no fit
  bool fitted = false;
  std::optional<CurveFit> fit;
  int stop_epoch = 0;  // predicted epochs of the whole run
  int stop_low = 0, stop_high = 0;
  double energy_mwh = 0, energy_low_mwh = 0, energy_high_mwh = 0;  // whole run
  double duration_s = 0, duration_low_s = 0, duration_high_s = 0;
  double baseline_energy_mwh = 0;  // mean epoch energy x planned epochs
  double baseline_duration_s = 0;
  // Epoch at which the score first reaches the target (observed, or on the
  // fitted curve before the predicted stop); nullopt if it does not.
  std::optional<int> target_epoch;
  std::optional<double> target_energy_mwh;
  double predicted_best = 0;  // best score of the run, observed or on the extrapolation
};

// Predicts the whole run from its first epochs. Throws std::invalid_argument
// for no epochs or a rule with max_epochs < 1.
Prediction predict_run(const std::vector<EpochObservation>& epochs, const EarlyStoppingRule& rule,
                       const PredictOptions& options = {});

// Sets p's target epoch and energy to target for `target` (the epochs are
// those p was predicted from): the first observed epoch at the target, else
// the first epoch of the fitted curve there before the predicted stop.
void apply_target(Prediction& p, const std::vector<EpochObservation>& epochs, double target,
                  bool minimise);

// Total epochs of a run whose scores follow `curve` exactly (no noise) from
// epoch 1, under the rule: what the rule does on a known curve.
int stop_epoch_on_curve(const std::vector<double>& observed, const CurveFit& curve,
                        const EarlyStoppingRule& rule);

}  // namespace powertrain::predict
