// The tracker's sink interface, with an in-memory sink: what the tracker
// hands over is what it measured, nothing is lost when the sink fails for a
// while, and a sink that never recovers is named in store_error(). No store.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "powertrain/energy/sink.h"
#include "powertrain/energy/tracker.h"

namespace powertrain {
namespace {

// 3600 mW: t seconds are exactly t mWh. Counts its reads (one sample each).
class SteadySensor : public Sensor {
 public:
  std::string name() const override { return "steady"; }
  bool available() const override { return true; }
  std::string reason() const override { return ""; }
  std::vector<DeviceInfo> devices() const override { return {{"dev0", "Fake", "fake", false, {}}}; }
  std::vector<PowerReading> read() override {
    ++reads;
    PowerReading r;
    r.device = "dev0";
    r.power_mw = 3600;
    return {r};
  }
  std::atomic<int> reads{0};
};

// Keeps what it is given; the first `fail_first` calls to on_samples (all of
// them when negative) throw instead.
struct MemorySink : EnergySink {
  struct Log {
    std::mutex mutex;
    std::vector<Sample> samples;
    std::vector<EpochRecord> epochs;
    std::vector<RunEnergyRecord> runs;
    int failures = 0;
  };
  MemorySink(Log& log, int fail_first) : log_(log), fail_first_(fail_first) {}
  void on_samples(const std::vector<Sample>& samples) override {
    std::lock_guard<std::mutex> lock(log_.mutex);
    if (fail_first_ < 0 || log_.failures < fail_first_) {
      ++log_.failures;
      throw std::runtime_error("mem: disk on fire");
    }
    log_.samples.insert(log_.samples.end(), samples.begin(), samples.end());
  }
  void on_retag(int64_t, int from, int to) override {
    std::lock_guard<std::mutex> lock(log_.mutex);
    for (Sample& s : log_.samples)
      if (s.epoch == from) s.epoch = to;
  }
  void on_epoch(const EpochRecord& record) override {
    std::lock_guard<std::mutex> lock(log_.mutex);
    log_.epochs.push_back(record);
  }
  void on_run_energy(const RunEnergyRecord& record) override {
    std::lock_guard<std::mutex> lock(log_.mutex);
    log_.runs.push_back(record);
  }
  std::string where() const override { return "mem"; }
  std::string short_reason(const std::string& what) const override {
    return what.compare(0, 5, "mem: ") == 0 ? what.substr(5) : what;
  }

 private:
  Log& log_;
  int fail_first_;
};

struct TrackedRun {
  SteadySensor* sensor = nullptr;
  std::unique_ptr<Tracker> tracker;
};

TrackedRun make_run(MemorySink::Log& log, int fail_first, bool queue_epochs) {
  TrackerOptions options;
  options.interval_s = 0.01;
  options.queue_epoch_writes = queue_epochs;
  std::vector<std::unique_ptr<Sensor>> sensors;
  auto sensor = std::make_unique<SteadySensor>();
  TrackedRun run;
  run.sensor = sensor.get();
  sensors.push_back(std::move(sensor));
  run.tracker = std::make_unique<Tracker>(options, std::move(sensors),
                                          std::make_unique<MemorySink>(log, fail_first), 7);
  return run;
}

void sleep_s(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

TEST(TrackerSink, ReceivesEverySampleEpochAndTheRunAsMeasured) {
  for (bool queued : {false, true}) {
    MemorySink::Log log;
    TrackedRun run = make_run(log, 0, queued);
    run.tracker->start();
    std::vector<EpochEnergy> ended;
    for (int e = 1; e <= 2; ++e) {
      run.tracker->begin_epoch(e);
      sleep_s(0.03);
      ended.push_back(run.tracker->end_epoch({0.5, std::nullopt, 0.9, std::nullopt}));
    }
    run.tracker->stop();
    EXPECT_EQ(run.tracker->store_error(), "");
    // One sample per read: nothing dropped, nothing twice.
    EXPECT_EQ(static_cast<int>(log.samples.size()), run.sensor->reads.load()) << queued;
    for (const Sample& s : log.samples) EXPECT_EQ(s.run_id, 7);
    ASSERT_EQ(log.epochs.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_EQ(log.epochs[i].epoch, static_cast<int>(i) + 1);
      EXPECT_EQ(log.epochs[i].energy_mwh, ended[i].energy_mwh);
      // 3600 mW constant: the energy in mWh is the duration in seconds.
      EXPECT_NEAR(log.epochs[i].energy_mwh, log.epochs[i].duration_s, 1e-9);
      EXPECT_EQ(log.epochs[i].train_loss, 0.5);
      EXPECT_EQ(log.epochs[i].metric, 0.9);
    }
    ASSERT_EQ(log.runs.size(), 1u);
    EXPECT_EQ(log.runs[0].run_id, 7);
    EXPECT_NEAR(log.runs[0].energy_mwh, run.tracker->whole_run().duration_s, 1e-9);
    EXPECT_GT(log.runs[0].duration_s, 0.06);
  }
}

TEST(TrackerSink, RetriesASinkThatFailsForAWhileAndLosesNothing) {
  MemorySink::Log log;
  TrackedRun run = make_run(log, 2, true);
  run.tracker->start();
  run.tracker->begin_epoch(1);
  sleep_s(0.05);
  run.tracker->end_epoch();
  run.tracker->stop();
  EXPECT_EQ(run.tracker->store_error(), "");
  EXPECT_EQ(log.failures, 2);
  EXPECT_EQ(static_cast<int>(log.samples.size()), run.sensor->reads.load());
  // In the order taken, each once.
  for (size_t i = 1; i < log.samples.size(); ++i)
    EXPECT_LE(log.samples[i - 1].mono_s, log.samples[i].mono_s);
  EXPECT_EQ(log.epochs.size(), 1u);
  EXPECT_EQ(log.runs.size(), 1u);
}

TEST(TrackerSink, ASinkThatNeverRecoversIsNamedWithWhatIsUnwritten) {
  MemorySink::Log log;
  TrackedRun run = make_run(log, -1, true);
  run.tracker->start();
  run.tracker->begin_epoch(1);
  run.tracker->end_epoch();
  try {
    run.tracker->stop();
    ADD_FAILURE() << "stop() did not throw";
  } catch (const std::runtime_error& e) {
    // The samples step fails first, so the epoch and run rows wait behind it.
    std::string expected = "could not write " + std::to_string(run.sensor->reads.load()) +
                           " sample(s) and 1 epoch(s) and the run's energy to mem: disk on fire";
    EXPECT_EQ(e.what(), expected);
    EXPECT_EQ(run.tracker->store_error(), expected);
  }
  EXPECT_TRUE(log.samples.empty());
}

TEST(TrackerSink, BackToBackEpochsShareOneBoundaryAndBothRowsAreWritten) {
  MemorySink::Log log;
  TrackedRun run = make_run(log, 0, false);
  run.tracker->start();
  run.tracker->begin_epoch(1);
  const double first = run.tracker->last_boundary_s();
  sleep_s(0.03);
  run.tracker->begin_epoch(2);  // ends epoch 1 at the same reading
  sleep_s(0.03);
  run.tracker->end_epoch();
  const double last = run.tracker->last_boundary_s();
  run.tracker->stop();
  auto epochs = run.tracker->epochs();
  ASSERT_EQ(epochs.size(), 2u);
  // No time between the two epochs went outside: their durations add up to
  // the span from the first boundary to the last.
  EXPECT_NEAR(epochs[0].duration_s + epochs[1].duration_s, last - first, 1e-9);
  ASSERT_EQ(log.epochs.size(), 2u);
  EXPECT_EQ(log.epochs[0].epoch, 1);
  EXPECT_EQ(log.epochs[0].energy_mwh, epochs[0].energy_mwh);
  EXPECT_EQ(log.epochs[1].epoch, 2);
}

// Blocks in read() once armed, until released; 1000 mW, 7777 mW for the
// blocked read so that its sample can be told apart.
class LatchedSensor : public Sensor {
 public:
  std::string name() const override { return "latched"; }
  bool available() const override { return true; }
  std::string reason() const override { return ""; }
  std::vector<DeviceInfo> devices() const override { return {{"dev0", "Fake", "fake", false, {}}}; }
  std::vector<PowerReading> read() override {
    PowerReading r;
    r.device = "dev0";
    r.power_mw = 1000;
    std::unique_lock<std::mutex> lock(mutex_);
    if (armed_) {
      armed_ = false;
      in_read_ = true;
      cv_.notify_all();
      cv_.wait(lock, [this] { return released_; });
      in_read_ = false;
      r.power_mw = 7777;
    }
    return {r};
  }
  void arm() {
    std::lock_guard<std::mutex> lock(mutex_);
    armed_ = true;
  }
  void wait_until_blocked() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return in_read_; });
  }
  bool in_read() {
    std::lock_guard<std::mutex> lock(mutex_);
    return in_read_;
  }
  void release() {
    std::lock_guard<std::mutex> lock(mutex_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool armed_ = false, in_read_ = false, released_ = false;
};

TEST(TrackerSlowSensor, SetPhaseReturnsWhileAReadIsInProgress) {
  MemorySink::Log log;
  TrackerOptions options;
  options.interval_s = 0.01;
  auto owned = std::make_unique<LatchedSensor>();
  LatchedSensor* sensor = owned.get();
  std::vector<std::unique_ptr<Sensor>> sensors;
  sensors.push_back(std::move(owned));
  Tracker tracker(options, std::move(sensors), std::make_unique<MemorySink>(log, 0), 1);
  tracker.start();
  tracker.begin_epoch(1);
  sensor->arm();
  sensor->wait_until_blocked();  // the sampler thread is inside read()
  // set_phase on another thread, so that a tracker that waits for the read
  // fails this test instead of hanging it.
  auto phase_set = std::async(std::launch::async, [&] { tracker.set_phase(Phase::kValidate); });
  const bool returned = phase_set.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  const bool still_reading = sensor->in_read();
  sensor->release();
  phase_set.wait();
  EXPECT_TRUE(returned);
  EXPECT_TRUE(still_reading);  // it returned while the read was in progress
  EXPECT_EQ(tracker.current_epoch(), 1);
  const double boundary = tracker.last_boundary_s();
  tracker.end_epoch();
  tracker.stop();

  // The read straddled the phase change: it completed after it, so it is
  // stamped after the boundary and counts in the new phase.
  int blocked = 0;
  for (const Sample& s : log.samples) {
    if (s.reading.power_mw != 7777.0) continue;
    ++blocked;
    EXPECT_TRUE(s.periodic);
    EXPECT_EQ(s.epoch, 1);
    EXPECT_EQ(s.phase, Phase::kValidate);
    EXPECT_GE(s.mono_s, boundary);
  }
  EXPECT_EQ(blocked, 1);
  // Nothing else was tagged validate before the boundary.
  for (const Sample& s : log.samples) {
    if (s.phase == Phase::kValidate) {
      EXPECT_GE(s.mono_s, boundary);
    }
    if (s.mono_s < boundary && s.epoch == 1) {
      EXPECT_EQ(s.phase, Phase::kTrain);
    }
  }
}

}  // namespace
}  // namespace powertrain
