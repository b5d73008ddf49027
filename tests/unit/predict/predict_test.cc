// The predictor on curves with a known answer: the rule played by hand on
// the true curve gives the stop epoch, and energy follows from set epoch
// energies.
#include "powertrain/predict/predict.h"

#include <cmath>
#include <random>
#include <stdexcept>

#include <gtest/gtest.h>

namespace powertrain::predict {
namespace {

std::vector<EpochObservation> observe(const std::vector<double>& values, double mwh, double s) {
  std::vector<EpochObservation> out;
  for (double v : values) out.push_back({v, mwh, s});
  return out;
}

// y(t) = 0.9 - 0.5 exp(-0.5 (t - 1)).
double saturating(int t) { return 0.9 - 0.5 * std::exp(-0.5 * (t - 1)); }

TEST(EarlyStopping, CountsStaleEpochsAgainstTheBestPlusMinDelta) {
  EarlyStopping rule({2, 0.1, 10, false});
  EXPECT_TRUE(rule.update(0.5));    // first epoch: best
  EXPECT_FALSE(rule.update(0.55));  // +0.05 <= min_delta: stale 1
  EXPECT_TRUE(rule.update(0.65));   // beats 0.5 + 0.1: best, stale 0
  EXPECT_FALSE(rule.update(0.70));  // stale 1
  EXPECT_FALSE(rule.should_stop());
  EXPECT_FALSE(rule.update(0.74));  // stale 2 = patience
  EXPECT_TRUE(rule.stopped_early());
  EXPECT_EQ(rule.epochs(), 5);
  EXPECT_EQ(rule.best_epoch(), 3);
  EXPECT_DOUBLE_EQ(rule.best(), 0.65);
}

TEST(EarlyStopping, StopsAtTheMaximumWithoutPatience) {
  EarlyStopping rule({0, 0.0, 3, true});
  rule.update(3);
  rule.update(4);
  EXPECT_FALSE(rule.should_stop());
  rule.update(5);
  EXPECT_TRUE(rule.should_stop());
  EXPECT_FALSE(rule.stopped_early());
}

// By hand, patience 3, min delta 0.01: y(1..13) = .4000 .5967 .7161 .7884
// .8323 .8590 .8751 .8849 .8908 .8945 .8966 .8980 .8988. Each of epochs 2-7
// beats the best by more than 0.01; epoch 8 (.88490) does not beat .87511 +
// .01 (stale 1); epoch 9 (.89084) does; 10, 11, 12 do not (.89445, .89663,
// .89796 < .90084): stale 3 at epoch 12, the run stops there.
TEST(Predict, ExponentialSaturationStopsAtTheHandComputedEpoch) {
  std::vector<double> values;
  for (int t = 1; t <= 6; ++t) values.push_back(saturating(t));
  const EarlyStoppingRule rule{3, 0.01, 50, false};
  PredictOptions options;
  options.target = 0.88;
  const Prediction p = predict_run(observe(values, 10.0, 2.0), rule, options);
  ASSERT_TRUE(p.fitted) << p.method;
  EXPECT_EQ(p.fit->family, CurveFamily::kExponential);
  EXPECT_NEAR(p.fit->a, 0.9, 1e-6);
  EXPECT_NEAR(p.fit->b, -0.5, 1e-6);
  EXPECT_NEAR(p.fit->c, 0.5, 1e-6);
  EXPECT_EQ(p.stop_epoch, 12);
  EXPECT_EQ(p.stop_low, 12);  // no residuals: no spread
  EXPECT_EQ(p.stop_high, 12);
  EXPECT_NEAR(p.energy_mwh, 120.0, 1e-9);  // 12 epochs x 10 mWh
  EXPECT_NEAR(p.duration_s, 24.0, 1e-9);
  EXPECT_NEAR(p.baseline_energy_mwh, 500.0, 1e-9);  // 50 planned x 10 mWh
  EXPECT_NEAR(p.baseline_duration_s, 100.0, 1e-9);
  ASSERT_TRUE(p.target_epoch);
  EXPECT_EQ(*p.target_epoch, 8);  // y(7) = .8751 < .88 <= y(8) = .8849
  EXPECT_NEAR(*p.target_energy_mwh, 80.0, 1e-9);
  EXPECT_NEAR(p.predicted_best, saturating(12), 1e-6);
}

// A loss 0.2 + 1/t, minimised, patience 2, min delta 0.02. By hand: epochs
// 2-7 improve (.7, .5333, .45, .4, .3667, .3429 each below best - .02);
// 8 (.3250 > .3229) is stale; 9 (.3111) improves; 10 (.3000 > .2911) stale;
// 11 (.29091 < .29111) improves; 12 (.2833) and 13 (.2769) are stale: stop at 13.
TEST(Predict, PowerLawLossStopsAtTheHandComputedEpoch) {
  std::vector<double> values;
  for (int t = 1; t <= 5; ++t) values.push_back(0.2 + 1.0 / t);
  const Prediction p = predict_run(observe(values, 5.0, 1.0), {2, 0.02, 40, true});
  ASSERT_TRUE(p.fitted) << p.method;
  EXPECT_EQ(p.fit->family, CurveFamily::kPowerLaw);
  EXPECT_NEAR(p.fit->a, 0.2, 1e-6);
  EXPECT_NEAR(p.fit->c, 1.0, 1e-6);
  EXPECT_EQ(p.stop_epoch, 13);
  EXPECT_NEAR(p.energy_mwh, 65.0, 1e-9);
  EXPECT_NEAR(p.baseline_energy_mwh, 200.0, 1e-9);
}

TEST(Predict, TheMaximumBoundsTheStop) {
  std::vector<double> values;
  for (int t = 1; t <= 6; ++t) values.push_back(saturating(t));
  // Stops at 12 unbounded (above); a planned maximum of 9 ends it first.
  const Prediction p = predict_run(observe(values, 10.0, 2.0), {3, 0.01, 9, false});
  EXPECT_EQ(p.stop_epoch, 9);
  EXPECT_NEAR(p.energy_mwh, 90.0, 1e-9);
  EXPECT_NEAR(p.baseline_energy_mwh, 90.0, 1e-9);
}

TEST(Predict, FewerThanThreeEpochsFallBackToTheBaseline) {
  const Prediction p = predict_run(observe({0.3, 0.5}, 10.0, 2.0), {3, 0.01, 50, false});
  EXPECT_FALSE(p.fitted);
  EXPECT_EQ(p.stop_epoch, 50);
  EXPECT_NEAR(p.energy_mwh, 500.0, 1e-9);
  EXPECT_NEAR(p.baseline_energy_mwh, 500.0, 1e-9);
}

TEST(Predict, ARunTheRuleAlreadyStoppedEndsWhereItIs) {
  // Best at epoch 1, then patience 2 stale epochs: stopped at 3.
  const Prediction p = predict_run(observe({0.9, 0.8, 0.7}, 4.0, 1.0), {2, 0.0, 50, false});
  EXPECT_EQ(p.stop_epoch, 3);
  EXPECT_NEAR(p.energy_mwh, 12.0, 1e-9);
}

TEST(Predict, EpochEnergyIsTheObservedMean) {
  std::vector<EpochObservation> seen;
  for (int t = 1; t <= 6; ++t) seen.push_back({saturating(t), t % 2 ? 8.0 : 12.0, 1.0});
  const Prediction p = predict_run(seen, {3, 0.01, 50, false});
  // 60 mWh seen in 6 epochs (mean 10); 6 more to the stop at 12.
  EXPECT_EQ(p.stop_epoch, 12);
  EXPECT_NEAR(p.energy_mwh, 120.0, 1e-9);
}

TEST(Predict, NoisyCurveKeepsItsAsymptoteAndGivesAnInterval) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.0, 0.004);
  std::vector<double> values;
  for (int t = 1; t <= 12; ++t) values.push_back(saturating(t) + noise(rng));
  const Prediction p = predict_run(observe(values, 10.0, 1.0), {3, 0.0, 60, false});
  ASSERT_TRUE(p.fitted);
  EXPECT_NEAR(p.fit->a, 0.9, 0.01);
  EXPECT_LE(p.stop_low, p.stop_epoch);
  EXPECT_LE(p.stop_epoch, p.stop_high);
  EXPECT_LT(p.stop_low, p.stop_high);  // noise gives a spread
  EXPECT_GE(p.stop_low, 13);           // no stop before patience runs out
  EXPECT_LT(p.stop_high, 60);          // the noise stops it well before the planned 60
  // Same input, same seed: the same answer.
  const Prediction q = predict_run(observe(values, 10.0, 1.0), {3, 0.0, 60, false});
  EXPECT_EQ(q.stop_epoch, p.stop_epoch);
  EXPECT_EQ(q.stop_high, p.stop_high);
}

TEST(Predict, AnOutlierDoesNotMoveTheRobustFit) {
  std::vector<double> values;
  for (int t = 1; t <= 10; ++t) values.push_back(saturating(t));
  values[4] += 0.15;  // one bad epoch
  const auto fit = fit_saturating(values);
  ASSERT_TRUE(fit);
  EXPECT_NEAR(fit->a, 0.9, 0.01);
}

// 1.1 - 0.6 exp(-0.3 (t - 1)) fits three points exactly with a = 1.1; an
// accuracy cannot pass 1, so the fit holds a at 1 and refits b.
TEST(Predict, AnAccuracyCurveSaturatesAtOne) {
  std::vector<double> values;
  for (int t = 1; t <= 3; ++t) values.push_back(1.1 - 0.6 * std::exp(-0.3 * (t - 1)));
  const auto free_fit = fit_saturating(values);
  ASSERT_TRUE(free_fit);
  EXPECT_NEAR(free_fit->a, 1.1, 1e-6);
  const auto held = fit_saturating(values, 1.0);
  ASSERT_TRUE(held);
  EXPECT_DOUBLE_EQ(held->a, 1.0);
  const Prediction p = predict_run(observe(values, 1.0, 1.0), {3, 0.0, 40, false});
  EXPECT_LE(p.predicted_best, 1.0);
}

TEST(Predict, RefusesNoEpochs) {
  EXPECT_THROW(predict_run({}, {3, 0, 10, false}), std::invalid_argument);
  EXPECT_THROW(predict_run(observe({0.5}, 1, 1), {3, 0, 0, false}), std::invalid_argument);
}

}  // namespace
}  // namespace powertrain::predict
