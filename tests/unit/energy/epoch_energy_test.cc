#include "powertrain/energy/epoch_energy.h"

#include <gtest/gtest.h>

namespace powertrain {
namespace {

Sample power_sample(double t, int epoch, double power_mw, std::optional<double> energy_mj = {},
                    std::string device = "gpu0") {
  Sample s;
  s.mono_s = t;
  s.epoch = epoch;
  s.sensor = "nvml";
  s.reading.device = std::move(device);
  s.reading.power_mw = power_mw;
  s.reading.energy_mj = energy_mj;
  s.reading.source = energy_mj ? EnergySource::kCounter : EnergySource::kSampled;
  return s;
}

TEST(Equation1, MeanPowerTimesDurationInMilliwattHours) {
  // (100 + 200 + 300) / 3 = 200 mW for 36 s -> 200 * 36 / 3600 = 2 mWh.
  EXPECT_DOUBLE_EQ(equation1_energy_mwh({100, 200, 300}, 36), 2.0);
  // One watt for an hour is one watt-hour.
  EXPECT_DOUBLE_EQ(equation1_energy_mwh({1000}, 3600), 1000.0);
  EXPECT_DOUBLE_EQ(equation1_energy_mwh({}, 10), 0.0);
}

TEST(CounterEnergy, MillijoulesToMilliwattHours) {
  EXPECT_DOUBLE_EQ(counter_energy_mwh(1000, 4600), 1.0);  // 3600 mJ = 1 mWh
}

TEST(ComputeEpochEnergy, SplitsByEpochTagAndUsesBoundaryCounters) {
  // Epoch 1 from t=0 to t=10, epoch 2 from t=10 to t=16. The reading at t=10
  // is epoch 1's last and the counter start of epoch 2.
  std::vector<Sample> samples = {
      power_sample(0, 1, 100, 0),     power_sample(5, 1, 200, 1000),
      power_sample(10, 1, 300, 3600), power_sample(13, 2, 400, 5000),
      power_sample(16, 2, 600, 7200),
  };
  std::vector<EpochSpan> spans = {{1, 0, 10}, {2, 10, 16}};
  auto epochs = compute_epoch_energy(samples, spans, 5.0);
  ASSERT_EQ(epochs.size(), 2u);

  EXPECT_EQ(epochs[0].n_samples, 3);
  EXPECT_DOUBLE_EQ(epochs[0].mean_power_mw, 200);
  EXPECT_DOUBLE_EQ(epochs[0].energy_mwh, 200 * 10 / 3600.0);
  ASSERT_TRUE(epochs[0].counter_energy_mwh);
  EXPECT_DOUBLE_EQ(*epochs[0].counter_energy_mwh, 3600 / 3600.0);
  EXPECT_EQ(epochs[0].source, EnergySource::kCounter);

  EXPECT_EQ(epochs[1].n_samples, 2);
  // Weighted by time: 400 mW at t=13 stands for [10, 14.5], 600 mW at t=16
  // for [14.5, 16], so the mean is (400 * 4.5 + 600 * 1.5) / 6 = 450 mW.
  EXPECT_DOUBLE_EQ(epochs[1].mean_power_mw, 450);
  EXPECT_DOUBLE_EQ(epochs[1].energy_mwh, 450 * 6 / 3600.0);
  ASSERT_TRUE(epochs[1].counter_energy_mwh);
  EXPECT_DOUBLE_EQ(*epochs[1].counter_energy_mwh, (7200 - 3600) / 3600.0);
  EXPECT_DOUBLE_EQ(epochs[1].coverage, 1.0);
}

TEST(ComputeEpochEnergy, SumsDevicesAndAppliesPue) {
  std::vector<Sample> samples = {
      power_sample(1, 1, 1000, {}, "gpu0"),
      power_sample(1, 1, 3000, {}, "gpu1"),
  };
  auto e = compute_epoch_energy(samples, {{1, 0, 3600}}, 1.0, 1.5).front();
  ASSERT_EQ(e.streams.size(), 2u);
  // The row's mean power carries the PUE as its energy does, so that
  // energy = mean power x time / 3600 holds for the row.
  EXPECT_DOUBLE_EQ(e.mean_power_mw, 4000 * 1.5);
  EXPECT_DOUBLE_EQ(e.energy_mwh, 4000 * 1.5);
  EXPECT_DOUBLE_EQ(e.mean_power_mw * e.duration_s / 3600, e.energy_mwh);
  EXPECT_FALSE(e.counter_energy_mwh);
  EXPECT_EQ(e.source, EnergySource::kSampled);
  // One sample per device at t = 1 s covers [0, 2] s of the hour.
  EXPECT_NEAR(e.coverage, 2 / 3600.0, 1e-12);
}

TEST(ComputeEpochEnergy, FailedReadsAreGapsNotZeros) {
  Sample failed = power_sample(2, 1, 0);
  failed.reading.power_mw.reset();
  failed.reading.error = "GPU is lost";
  std::vector<Sample> samples = {power_sample(1, 1, 500), failed};
  auto e = compute_epoch_energy(samples, {{1, 0, 4}}, 1.0).front();
  ASSERT_EQ(e.streams.size(), 1u);
  EXPECT_EQ(e.streams[0].n_samples, 1);
  EXPECT_EQ(e.streams[0].n_failed, 1);
  EXPECT_DOUBLE_EQ(e.mean_power_mw, 500);
  // Only the good read at t = 1 covers: [0, 2] of [0, 4].
  EXPECT_DOUBLE_EQ(e.coverage, 0.5);
}

TEST(ComputeEpochEnergy, ModelledStreamMarksTheEpoch) {
  Sample s = power_sample(1, 1, 1000);
  s.sensor = "model";
  s.reading.source = EnergySource::kModelled;
  auto e = compute_epoch_energy({s, power_sample(1, 1, 1000)}, {{1, 0, 1}}, 1.0).front();
  EXPECT_EQ(e.source, EnergySource::kModelled);
}

TEST(Coverage, OnlyPeriodicSamplesCountAndShortEpochsAreFlagged) {
  // An epoch of 10 s at a 1 s interval whose only reading is the boundary
  // one at its end: equation 1 has a figure, but nothing covers the epoch.
  Sample end = power_sample(10, 1, 700);
  end.periodic = false;
  auto e = compute_epoch_energy({end}, {{1, 0, 10}}, 1.0).front();
  EXPECT_DOUBLE_EQ(e.energy_mwh, 700 * 10 / 3600.0);
  EXPECT_DOUBLE_EQ(e.coverage, 0.0);
  EXPECT_FALSE(e.short_epoch);
  // Periodic samples at 3 and 4 s cover [2, 5]: 30 %.
  auto f =
      compute_epoch_energy({power_sample(3, 1, 1), power_sample(4, 1, 1), end}, {{1, 0, 10}}, 1.0)
          .front();
  EXPECT_NEAR(f.coverage, 0.3, 1e-12);
  // 1.5 s at a 1 s interval: shorter than two intervals.
  auto g = compute_epoch_energy({end}, {{1, 8.5, 10}}, 1.0).front();
  EXPECT_TRUE(g.short_epoch);
}

TEST(ComputeEpochEnergy, BoundaryReadingsServeOnlyWhenNoPeriodicSampleDoes) {
  // A counter-rate reading 0.2 ms after the last periodic one shows 0 mW;
  // as one of three samples it would take a third off the mean.
  Sample end = power_sample(10, 1, 0);
  end.periodic = false;
  auto e = compute_epoch_energy({power_sample(4, 1, 1000), power_sample(9, 1, 1000), end},
                                {{1, 0, 10}}, 5.0)
               .front();
  EXPECT_DOUBLE_EQ(e.mean_power_mw, 1000);
  EXPECT_EQ(e.n_samples, 2);
  // Alone, the boundary reading is all equation 1 has.
  end.reading.power_mw = 700;
  EXPECT_DOUBLE_EQ(compute_epoch_energy({end}, {{1, 0, 10}}, 5.0).front().mean_power_mw, 700);
}

TEST(CoverageShare, UnionOfWindowsClippedToTheSpan) {
  EXPECT_DOUBLE_EQ(coverage_share({}, 0, 10, 1), 0.0);
  EXPECT_DOUBLE_EQ(coverage_share({0, 2, 4, 6, 8, 10}, 0, 10, 1), 1.0);
  EXPECT_DOUBLE_EQ(coverage_share({5}, 0, 10, 1), 0.2);
  EXPECT_DOUBLE_EQ(coverage_share({5, 5.5}, 0, 10, 1), 0.25);  // overlap counted once
  EXPECT_DOUBLE_EQ(coverage_share({-3, 13}, 0, 10, 1), 0.0);
}

TEST(Components, EachStreamFilesUnderItsComponentAndTheyAddUp) {
  auto with = [](Sample s, const char* sensor, const char* device, double mw) {
    s.sensor = sensor;
    s.reading.device = device;
    s.reading.power_mw = mw;
    return s;
  };
  Sample base = power_sample(1, 1, 0);
  std::vector<Sample> samples = {
      with(base, "nvml", "gpu0", 3600),  with(base, "rapl", "package-0", 1800),
      with(base, "rapl", "dram-0", 360), with(base, "model", "cpu", 720),
      with(base, "model", "ram", 72),    with(base, "powermetrics", "ane", 36),
  };
  auto e = compute_epoch_energy(samples, {{1, 0, 3600}}, 1.0, 2.0).front();
  // One hour: mWh = mW, times PUE 2.
  EXPECT_DOUBLE_EQ(*e.components.get(Component::kGpu), 7200);
  EXPECT_DOUBLE_EQ(*e.components.get(Component::kCpuPackage), 3600);
  EXPECT_DOUBLE_EQ(*e.components.get(Component::kDram), 720);
  EXPECT_DOUBLE_EQ(*e.components.get(Component::kModelledCpu), 1440);
  EXPECT_DOUBLE_EQ(*e.components.get(Component::kModelledRam), 144);
  EXPECT_DOUBLE_EQ(*e.components.get(Component::kOther), 72);
  EXPECT_DOUBLE_EQ(e.components.sum(), e.energy_mwh);
  EXPECT_FALSE(e.attributed_mwh);  // no process tracked
}

TEST(Attribution, EquationOneOverTheAttributedPowers) {
  Sample a = power_sample(1, 1, 1000);
  a.sensor = "rapl";
  a.reading.device = "package-0";
  a.attributed_power_mw = 250;
  Sample b = a;
  b.mono_s = 2;
  b.attributed_power_mw = 750;
  auto e = compute_epoch_energy({a, b}, {{1, 0, 3600}}, 1.0).front();
  ASSERT_TRUE(e.attributed_mwh);
  EXPECT_DOUBLE_EQ(*e.attributed_mwh, 500);  // mean 500 mW for an hour
  EXPECT_DOUBLE_EQ(e.energy_mwh, 1000);
}

TEST(SumEpochs, CounterTotalOnlyWhenEveryEpochHasOne) {
  EpochEnergy a, b;
  a.duration_s = 1;
  a.energy_mwh = 2;
  a.counter_energy_mwh = 3;
  a.source = EnergySource::kCounter;
  b = a;
  auto t = sum_epochs({a, b});
  EXPECT_DOUBLE_EQ(t.energy_mwh, 4);
  ASSERT_TRUE(t.counter_energy_mwh);
  EXPECT_DOUBLE_EQ(*t.counter_energy_mwh, 6);
  b.counter_energy_mwh.reset();
  b.source = EnergySource::kSampled;
  EXPECT_FALSE(sum_epochs({a, b}).counter_energy_mwh);
}

TEST(SampleNames, RoundTripAndUnknownNamesAreErrors) {
  for (Phase p : {Phase::kTrain, Phase::kValidate, Phase::kOther}) {
    EXPECT_EQ(parse_phase(to_string(p)), p);
  }
  EXPECT_THROW(parse_phase("testing"), std::invalid_argument);
  EXPECT_EQ(parse_energy_source("modelled"), EnergySource::kModelled);
  EXPECT_THROW(parse_energy_source("guessed"), std::invalid_argument);
}

}  // namespace
}  // namespace powertrain

namespace powertrain {
namespace {

TEST(ComputeEpochEnergy, ACounterThatGoesBackwardsIsAResetNotNegativeEnergy) {
  // 100 mW throughout (100 mJ/s); the counter restarts from 0 at t = 2.5 s.
  // Reads 1000 -> 1200 (+200), 1200 -> 50 (a reset: the 50 mJ since it),
  // 50 -> 250 (+200): 450 mJ of the true 500 mJ (the 0.5 s between the read
  // at 2 s and the reset is lost), never the negative 250 - 1000.
  std::vector<Sample> samples = {power_sample(0, 1, 100, 1000), power_sample(2, 1, 100, 1200),
                                 power_sample(3, 1, 100, 50), power_sample(5, 1, 100, 250)};
  auto e = compute_epoch_energy(samples, {{1, 0, 5}}, 1.0).front();
  ASSERT_TRUE(e.counter_energy_mwh);
  EXPECT_DOUBLE_EQ(*e.counter_energy_mwh, 450 / 3600.0);
  EXPECT_EQ(e.streams[0].counter_resets, 1);
  // Equation 1: 100 mW for 5 s = 500 mJ; 10 % above the counter: flagged.
  EXPECT_DOUBLE_EQ(e.energy_mwh, 500 / 3600.0);
  EXPECT_TRUE(e.streams[0].counter_gap);
  EXPECT_TRUE(e.counter_gap);
}

TEST(ComputeEpochEnergy, GapOverFivePercentBetweenCounterAndEquation1IsFlagged) {
  // Equation 1 says 100 mW x 10 s = 1000 mJ. A counter of 1040 mJ is 3.8 %
  // off (not flagged); 1060 mJ is 5.7 % off (flagged).
  auto epoch = [](double counter_end_mj) {
    return compute_epoch_energy({power_sample(0, 1, 100, 0), power_sample(5, 1, 100, 500),
                                 power_sample(10, 1, 100, counter_end_mj)},
                                {{1, 0, 10}}, 5.0)
        .front();
  };
  EXPECT_FALSE(epoch(1040).counter_gap);
  EXPECT_TRUE(epoch(1060).counter_gap);
  EXPECT_TRUE(counter_gap(0.9, 1.0));
  EXPECT_FALSE(counter_gap(0.96, 1.0));
}

TEST(TimeWeightedMean, EachSampleCountsForTheTimeItStandsFor) {
  // 100 mW at t=1 stands for [0, 1.5]; 400 mW at t=2 for [1.5, 10].
  // (100 * 1.5 + 400 * 8.5) / 10 = 355 mW; the plain mean would say 250.
  EXPECT_DOUBLE_EQ(time_weighted_mean_mw({1, 2}, {100, 400}, 0, 10), 355);
  // Evenly spaced samples centred in their slots: the plain mean.
  EXPECT_DOUBLE_EQ(time_weighted_mean_mw({0.5, 1.5, 2.5}, {100, 200, 600}, 0, 3), 300);
  // An empty span falls back to the plain mean.
  EXPECT_DOUBLE_EQ(time_weighted_mean_mw({1, 1}, {100, 300}, 1, 1), 200);
}

}  // namespace
}  // namespace powertrain
