// predict_run: the fit of predict.cc played forward under the early-stopping
// rule, with a residual bootstrap for the interval.
#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

#include "powertrain/predict/predict.h"

namespace powertrain::predict {
namespace {

// One bootstrap replicate: refit on fitted values plus resampled residuals,
// then play the rule on the observed scores followed by the replicate's
// extrapolation plus resampled residuals. Returns the total epochs.
int replicate_stop(const std::vector<double>& observed, const CurveFit& fit,
                   const std::vector<double>& residuals, const EarlyStoppingRule& rule,
                   std::optional<double> ceiling, std::mt19937_64& rng) {
  std::uniform_int_distribution<std::size_t> pick(0, residuals.size() - 1);
  std::vector<double> resampled;
  for (std::size_t i = 0; i < observed.size(); ++i)
    resampled.push_back(fit.value(static_cast<double>(i + 1)) + residuals[pick(rng)]);
  const CurveFit curve = fit_saturating(resampled, ceiling).value_or(fit);
  EarlyStopping stopping(rule);
  for (double v : observed) stopping.update(v);
  while (!stopping.should_stop())
    stopping.update(curve.value(stopping.epochs() + 1) + residuals[pick(rng)]);
  return stopping.epochs();
}

// Residuals of the fit, centred, scaled up for the three fitted parameters.
std::vector<double> bootstrap_residuals(const std::vector<double>& observed, const CurveFit& fit) {
  const std::size_t n = observed.size();
  std::vector<double> r;
  double mean = 0;
  for (std::size_t i = 0; i < n; ++i) {
    r.push_back(observed[i] - fit.value(static_cast<double>(i + 1)));
    mean += r.back() / static_cast<double>(n);
  }
  const double inflate =
      n > 3 ? std::sqrt(static_cast<double>(n) / static_cast<double>(n - 3)) : 1.0;
  for (double& x : r) x = (x - mean) * inflate;
  return r;
}

int percentile(std::vector<int> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  return v[static_cast<std::size_t>(std::lround(pos))];
}

// The first epoch at which the score reaches the target: observed, else on
// the fitted curve up to the predicted stop.
std::optional<int> epoch_reaching(const std::vector<double>& observed, const CurveFit* fit,
                                  int stop_epoch, double target, bool minimise) {
  auto reached = [&](double v) { return minimise ? v <= target : v >= target; };
  for (std::size_t i = 0; i < observed.size(); ++i) {
    if (reached(observed[i])) return static_cast<int>(i + 1);
  }
  if (!fit) return std::nullopt;
  for (int t = static_cast<int>(observed.size()) + 1; t <= stop_epoch; ++t) {
    if (reached(fit->value(t))) return t;
  }
  return std::nullopt;
}

void check_input(const std::vector<EpochObservation>& epochs, const EarlyStoppingRule& rule) {
  if (epochs.empty()) throw std::invalid_argument("predict_run: no epochs to predict from");
  if (rule.max_epochs < 1) {
    throw std::invalid_argument(
        fmt::format("predict_run: max_epochs is {}, must be >= 1", rule.max_epochs));
  }
}

// The stop epoch and its interval: the rule already ended the run, too few
// epochs to fit (the planned maximum), or the bootstrap's percentiles.
void predict_stop(Prediction& p, const std::vector<double>& observed, const EarlyStoppingRule& rule,
                  const PredictOptions& options) {
  const int n = static_cast<int>(observed.size());
  EarlyStopping so_far(rule);
  for (double v : observed) so_far.update(v);
  const std::optional<double> ceiling =
      rule.minimise ? std::nullopt : std::optional<double>(options.score_ceiling);
  p.fit = so_far.should_stop() ? std::nullopt : fit_saturating(observed, ceiling);
  p.fitted = p.fit.has_value();
  if (so_far.should_stop()) {
    p.method = "stopped: the rule ends the run at the epochs seen";
    p.stop_epoch = p.stop_low = p.stop_high = n;
    return;
  }
  if (!p.fitted) {
    p.method = fmt::format("too few epochs for a fit (< {}): the baseline", kMinFitPoints);
    p.stop_epoch = p.stop_low = p.stop_high = std::max(rule.max_epochs, n);
    return;
  }
  const std::vector<double> residuals = bootstrap_residuals(observed, *p.fit);
  std::mt19937_64 rng(options.seed);
  std::vector<int> stops;
  const int replicates = std::max(1, options.replicates);
  for (int b = 0; b < replicates; ++b)
    stops.push_back(replicate_stop(observed, *p.fit, residuals, rule, ceiling, rng));
  p.stop_epoch = percentile(stops, 0.5);
  p.stop_low = percentile(stops, (1 - options.coverage) / 2);
  p.stop_high = percentile(stops, 1 - (1 - options.coverage) / 2);
  p.method = fmt::format("{} fit, residual bootstrap ({})", to_string(p.fit->family), replicates);
}

double better_of(double a, double b, bool minimise) {
  return minimise ? std::min(a, b) : std::max(a, b);
}

}  // namespace

Prediction predict_run(const std::vector<EpochObservation>& epochs, const EarlyStoppingRule& rule,
                       const PredictOptions& options) {
  check_input(epochs, rule);
  Prediction p;
  const int n = static_cast<int>(epochs.size());
  p.epochs_seen = n;
  std::vector<double> observed;
  double energy = 0, duration = 0;
  for (const auto& e : epochs) {
    observed.push_back(e.value);
    energy += e.energy_mwh;
    duration += e.duration_s;
  }
  const double epoch_mwh = energy / n, epoch_s = duration / n;
  const int planned = std::max(rule.max_epochs, n);
  p.baseline_energy_mwh = energy + (planned - n) * epoch_mwh;
  p.baseline_duration_s = duration + (planned - n) * epoch_s;
  predict_stop(p, observed, rule, options);
  p.energy_mwh = energy + (p.stop_epoch - n) * epoch_mwh;
  p.energy_low_mwh = energy + (p.stop_low - n) * epoch_mwh;
  p.energy_high_mwh = energy + (p.stop_high - n) * epoch_mwh;
  p.duration_s = duration + (p.stop_epoch - n) * epoch_s;
  p.duration_low_s = duration + (p.stop_low - n) * epoch_s;
  p.duration_high_s = duration + (p.stop_high - n) * epoch_s;
  p.predicted_best = observed[0];
  for (double v : observed) p.predicted_best = better_of(p.predicted_best, v, rule.minimise);
  for (int t = n + 1; p.fit && t <= p.stop_epoch; ++t)
    p.predicted_best = better_of(p.predicted_best, p.fit->value(t), rule.minimise);
  if (options.target) apply_target(p, epochs, *options.target, rule.minimise);
  return p;
}

void apply_target(Prediction& p, const std::vector<EpochObservation>& epochs, double target,
                  bool minimise) {
  std::vector<double> observed;
  double energy = 0;
  for (const auto& e : epochs) observed.push_back(e.value), energy += e.energy_mwh;
  const int n = static_cast<int>(epochs.size());
  const CurveFit* fit = p.fit ? &*p.fit : nullptr;
  p.target_epoch = epoch_reaching(observed, fit, p.stop_epoch, target, minimise);
  p.target_energy_mwh.reset();
  if (!p.target_epoch) return;
  if (*p.target_epoch <= n) {
    double sum = 0;
    for (int t = 0; t < *p.target_epoch; ++t) sum += epochs[t].energy_mwh;
    p.target_energy_mwh = sum;
  } else {
    p.target_energy_mwh = energy + (*p.target_epoch - n) * energy / n;
  }
}

}  // namespace powertrain::predict
