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
  EXPECT_DOUBLE_EQ(epochs[1].energy_mwh, 500 * 6 / 3600.0);
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
  EXPECT_DOUBLE_EQ(e.mean_power_mw, 4000);
  EXPECT_DOUBLE_EQ(e.energy_mwh, 4000 * 1.5);
  EXPECT_FALSE(e.counter_energy_mwh);
  EXPECT_EQ(e.source, EnergySource::kSampled);
  // One sample per device at 1 s over an hour covers 1/3600 of it.
  EXPECT_NEAR(e.coverage, 1 / 3600.0, 1e-12);
}

TEST(ComputeEpochEnergy, FailedReadsAreGapsNotZeros) {
  Sample failed = power_sample(2, 1, 0);
  failed.reading.power_mw.reset();
  failed.reading.error = "GPU is lost";
  std::vector<Sample> samples = {power_sample(1, 1, 500), failed};
  auto e = compute_epoch_energy(samples, {{1, 0, 2}}, 1.0).front();
  ASSERT_EQ(e.streams.size(), 1u);
  EXPECT_EQ(e.streams[0].n_samples, 1);
  EXPECT_EQ(e.streams[0].n_failed, 1);
  EXPECT_DOUBLE_EQ(e.mean_power_mw, 500);
  EXPECT_DOUBLE_EQ(e.coverage, 0.5);
}

TEST(ComputeEpochEnergy, ModelledStreamMarksTheEpoch) {
  Sample s = power_sample(1, 1, 1000);
  s.sensor = "model";
  s.reading.source = EnergySource::kModelled;
  auto e = compute_epoch_energy({s, power_sample(1, 1, 1000)}, {{1, 0, 1}}, 1.0).front();
  EXPECT_EQ(e.source, EnergySource::kModelled);
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
