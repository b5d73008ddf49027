// The tracker and its sampler thread, with scripted in-process sensors.
// scripts/test.sh also runs these under ThreadSanitizer.
#include "powertrain/energy/tracker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "powertrain/store/store.h"
#include "powertrain/store/store_sink.h"
#include "support/test_util.h"

namespace powertrain {
namespace {

// Constant power; optionally a counter that grows at exactly that power.
class ConstantSensor : public Sensor {
 public:
  ConstantSensor(double power_mw, bool counter) : power_mw_(power_mw), counter_(counter) {
    start_ = std::chrono::steady_clock::now();
  }
  std::string name() const override { return counter_ ? "fakecounter" : "fakepower"; }
  bool available() const override { return true; }
  std::string reason() const override { return ""; }
  std::vector<DeviceInfo> devices() const override {
    return {{"dev0", "Fake", "fake", counter_, {}}};
  }
  std::vector<PowerReading> read() override {
    reads_++;
    PowerReading r;
    r.device = "dev0";
    r.power_mw = power_mw_;
    if (counter_) {
      double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      r.energy_mj = power_mw_ * t;  // mW x s = mJ
      r.source = EnergySource::kCounter;
    }
    return {r};
  }
  std::atomic<int> reads_{0};

 private:
  double power_mw_;
  bool counter_;
  std::chrono::steady_clock::time_point start_;
};

std::vector<std::unique_ptr<Sensor>> sensors_of(double power_mw, bool counter) {
  std::vector<std::unique_ptr<Sensor>> v;
  v.push_back(std::make_unique<ConstantSensor>(power_mw, counter));
  return v;
}

void sleep_s(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

TEST(TrackerOptions, RejectsIntervalsAndPueOutOfRange) {
  for (double bad : {0.0, -1.0, 0.001, 61.0}) {
    TrackerOptions o;
    o.interval_s = bad;
    EXPECT_THROW(validate(o), std::invalid_argument) << bad;
  }
  TrackerOptions o;
  o.pue = 0.5;
  EXPECT_THROW(validate(o), std::invalid_argument);
  o.pue = 1.58;
  EXPECT_NO_THROW(validate(o));
}

TEST(Tracker, EnergyPerEpochMatchesConstantPower) {
  TrackerOptions options;
  options.interval_s = 0.01;
  // 3600 mW for t seconds is exactly t mWh.
  Tracker tracker(options, sensors_of(3600, true));
  tracker.start();
  for (int e = 1; e <= 3; ++e) {
    tracker.begin_epoch(e);
    sleep_s(0.05);
    tracker.set_phase(Phase::kValidate);
    sleep_s(0.02);
    EpochEnergy energy = tracker.end_epoch();
    EXPECT_EQ(energy.epoch, e);
    EXPECT_NEAR(energy.energy_mwh, energy.duration_s, 1e-9);
    ASSERT_TRUE(energy.counter_energy_mwh);
    // The counter grows with real time; its difference over the epoch equals
    // the duration to within the gap between a boundary reading and the
    // clock (wide enough for a loaded machine under a sanitizer).
    EXPECT_NEAR(*energy.counter_energy_mwh, energy.duration_s, 0.02);
    EXPECT_GE(energy.n_samples, 2);  // at least the two boundary readings
  }
  tracker.stop();
  auto epochs = tracker.epochs();
  ASSERT_EQ(epochs.size(), 3u);
  EnergyTotals totals = tracker.totals();
  EXPECT_NEAR(totals.energy_mwh, epochs[0].energy_mwh + epochs[1].energy_mwh + epochs[2].energy_mwh,
              1e-12);
  EpochEnergy whole = tracker.whole_run();
  EXPECT_GE(whole.duration_s, totals.duration_s);
  EXPECT_NEAR(whole.energy_mwh, whole.duration_s, 1e-6);
}

TEST(Tracker, SamplesAtTheIntervalAndTagsPhases) {
  testing::TempDir dir;
  Store store(dir / "t.db");
  RunRecord run;
  run.status = RunStatus::kRunning;
  int64_t id = store.add_run(run);
  TrackerOptions options;
  options.interval_s = 0.01;
  Tracker tracker(options, sensors_of(1000, false), make_store_sink(store), id);
  tracker.start();
  tracker.begin_epoch(1);
  sleep_s(0.1);
  tracker.set_phase(Phase::kValidate);
  sleep_s(0.1);
  tracker.end_epoch();
  tracker.stop();
  auto samples = store.samples(id);
  // ~20 periodic samples plus 4 boundary readings; a loaded machine skips ticks.
  EXPECT_GE(samples.size(), 5u);
  EXPECT_LE(samples.size(), 40u);
  int train = 0, validate_n = 0;
  for (const Sample& s : samples) {
    EXPECT_EQ(s.run_id, id);
    if (s.epoch == 1 && s.phase == Phase::kTrain) ++train;
    if (s.epoch == 1 && s.phase == Phase::kValidate) ++validate_n;
  }
  EXPECT_GT(train, 0);
  EXPECT_GT(validate_n, 0);
  auto epochs = store.epochs(id);
  ASSERT_EQ(epochs.size(), 1u);
  EXPECT_NEAR(epochs[0].energy_mwh, 1000 * epochs[0].duration_s / 3600, 1e-9);
  EXPECT_EQ(epochs[0].streams.size(), 1u);
}

TEST(Tracker, BeginEpochEndsTheOpenOneAndStopEndsTheLast) {
  TrackerOptions options;
  options.interval_s = 0.05;
  Tracker tracker(options, sensors_of(500, false));
  tracker.start();
  tracker.begin_epoch(1);
  tracker.begin_epoch(2);
  EXPECT_EQ(tracker.current_epoch(), 2);
  tracker.stop();
  EXPECT_FALSE(tracker.in_epoch());
  EXPECT_EQ(tracker.epochs().size(), 2u);
  EXPECT_THROW(tracker.begin_epoch(3), std::logic_error);
}

TEST(Tracker, PueMultipliesEnergy) {
  TrackerOptions options;
  options.interval_s = 0.01;
  options.pue = 2.0;
  Tracker tracker(options, sensors_of(3600, false));
  tracker.start();
  tracker.begin_epoch(1);
  sleep_s(0.03);
  EpochEnergy e = tracker.end_epoch();
  tracker.stop();
  EXPECT_NEAR(e.energy_mwh, 2.0 * e.duration_s, 1e-9);
}

TEST(Tracker, EpochsCanBeReadWhileTheSamplerRuns) {
  TrackerOptions options;
  options.interval_s = 0.01;
  Tracker tracker(options, sensors_of(1000, true));
  tracker.start();
  tracker.begin_epoch(1);
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done) {
      auto epochs = tracker.epochs();
      EXPECT_EQ(epochs.size(), 1u);
      (void)tracker.whole_run();
    }
  });
  sleep_s(0.1);
  done = true;
  reader.join();
  tracker.stop();
}

}  // namespace
}  // namespace powertrain
