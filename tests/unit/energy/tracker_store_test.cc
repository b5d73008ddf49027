// The tracker's store writes: a database that fails (locked, full) never
// stops sampling or the caller, never loses samples silently, and never ends
// in std::terminate. Also the epoch renumbering and cancelling that
// `track --epoch-at end` uses.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>
#include <thread>

#include "powertrain/energy/tracker.h"
#include "powertrain/store/store.h"
#include "powertrain/store/store_sink.h"
#include "support/test_util.h"

namespace powertrain {
namespace {

// 1000 mW, always.
class OneWatt : public Sensor {
 public:
  std::string name() const override { return "onewatt"; }
  bool available() const override { return true; }
  std::string reason() const override { return ""; }
  std::vector<DeviceInfo> devices() const override { return {{"dev0", "Fake", "fake", false, {}}}; }
  std::vector<PowerReading> read() override {
    PowerReading r;
    r.device = "dev0";
    r.power_mw = 1000;
    return {r};
  }
};

std::vector<std::unique_ptr<Sensor>> one_watt() {
  std::vector<std::unique_ptr<Sensor>> v;
  v.push_back(std::make_unique<OneWatt>());
  return v;
}

void sleep_s(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

class WriteLock {
 public:
  explicit WriteLock(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
    // The tracker's writer may be inside a write transaction right now: wait
    // for it to end rather than fail to take the lock.
    sqlite3_busy_timeout(db_, 5000);
    EXPECT_EQ(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  }
  ~WriteLock() { release(); }
  void release() {
    if (!db_) return;
    sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
    db_ = nullptr;
  }

 private:
  sqlite3* db_ = nullptr;
};

struct Fixture {
  testing::TempDir dir;
  Store store{dir / "t.db"};
  int64_t run_id = 0;
  Fixture() {
    sqlite3_busy_timeout(store.handle(), 20);
    RunRecord run;
    run.kind = "test";
    run_id = store.add_run(run);
  }
};

TrackerOptions options() {
  TrackerOptions o;
  o.interval_s = 0.02;
  o.queue_epoch_writes = true;
  return o;
}

TEST(TrackerStore, ALockThatOutlastsTheRunIsAnErrorNamingTheDatabase) {
  Fixture f;
  Tracker tracker(options(), one_watt(), make_store_sink(f.store), f.run_id);
  tracker.start();
  WriteLock lock(f.store.path());
  tracker.begin_epoch(1);
  sleep_s(0.2);
  tracker.end_epoch();
  try {
    tracker.stop();
    FAIL() << "stop() should say the samples were not written";
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("to " + f.store.path() + ": database is locked"), std::string::npos)
        << what;
    EXPECT_NE(what.find(" epoch(s)"), std::string::npos) << what;
  }
  // The figures were computed from the samples in memory all the same: 1 W.
  std::vector<EpochEnergy> epochs = tracker.epochs();
  ASSERT_EQ(epochs.size(), 1u);
  EXPECT_NEAR(epochs[0].energy_mwh, 1000 * epochs[0].duration_s / 3600, 1e-9);
  EXPECT_FALSE(tracker.store_error().empty());
}

TEST(TrackerStore, SamplesHeldDuringALockAreWrittenWhenItEnds) {
  Fixture f;
  Tracker tracker(options(), one_watt(), make_store_sink(f.store), f.run_id);
  tracker.start();
  tracker.begin_epoch(1);
  {
    WriteLock lock(f.store.path());
    sleep_s(0.3);  // 15 intervals, and 15 times the busy timeout
  }
  sleep_s(0.1);
  tracker.end_epoch();
  tracker.stop();  // does not throw: everything got written
  EXPECT_EQ(tracker.store_error(), "");
  std::vector<Sample> samples = f.store.samples(f.run_id);
  double widest = 0;
  for (size_t i = 1; i < samples.size(); ++i) {
    widest = std::max(widest, samples[i].mono_s - samples[i - 1].mono_s);
  }
  EXPECT_GT(samples.size(), 15u);
  EXPECT_LT(widest, 0.15) << "samples taken during the lock are missing";
  std::set<double> times;
  for (const Sample& s : samples) times.insert(s.mono_s);
  EXPECT_EQ(times.size(), samples.size()) << "a retry wrote samples twice";
  ASSERT_EQ(f.store.epochs(f.run_id).size(), 1u);
}

// Without queue_epoch_writes (trainers), end_epoch writes at once: a row the
// caller writes afterwards must come last.
TEST(TrackerStore, EpochWrittenAtOnceSoTheCallersRowComesLast) {
  Fixture f;
  TrackerOptions o = options();
  o.queue_epoch_writes = false;
  Tracker tracker(o, one_watt(), make_store_sink(f.store), f.run_id);
  tracker.start();
  tracker.begin_epoch(1);
  sleep_s(0.05);
  EpochEnergy e = tracker.end_epoch();
  EpochRecord mine;
  mine.run_id = f.run_id;
  mine.epoch = 1;
  mine.energy_mwh = e.energy_mwh;
  mine.train_loss = 0.25;
  f.store.put_epoch(mine);
  tracker.stop();
  auto stored = f.store.epochs(f.run_id);
  ASSERT_EQ(stored.size(), 1u);
  ASSERT_TRUE(stored[0].train_loss.has_value()) << "the tracker's row replaced the caller's";
  EXPECT_EQ(*stored[0].train_loss, 0.25);
}

// The whole-run row (run_energy) is written by the writer like the samples:
// held through a lock and written after it, or named in the error.
TEST(TrackerStore, TheWholeRunRowIsRetriedLikeTheSamples) {
  {
    Fixture f;
    Tracker tracker(options(), one_watt(), make_store_sink(f.store), f.run_id);
    tracker.start();
    tracker.begin_epoch(1);
    {
      WriteLock lock(f.store.path());
      sleep_s(0.2);
    }
    tracker.end_epoch();
    tracker.stop();
    auto whole = f.store.run_energy(f.run_id);
    ASSERT_TRUE(whole) << "the whole-run row was not written";
    EpochEnergy run = tracker.whole_run();
    EXPECT_DOUBLE_EQ(whole->duration_s, run.duration_s);
    EXPECT_DOUBLE_EQ(whole->energy_mwh, run.energy_mwh);
    // 1 W over the whole run, outside-epoch time included.
    EXPECT_NEAR(whole->energy_mwh, 1000 * whole->duration_s / 3600, 0.02 * whole->energy_mwh);
  }
  {
    Fixture f;
    Tracker tracker(options(), one_watt(), make_store_sink(f.store), f.run_id);
    tracker.start();
    WriteLock lock(f.store.path());
    sleep_s(0.1);
    try {
      tracker.stop();
      FAIL() << "stop() should say the run's energy was not written";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(" and the run's energy to " + f.store.path()),
                std::string::npos)
          << e.what();
    }
    lock.release();
    EXPECT_FALSE(f.store.run_energy(f.run_id));
  }
}

TEST(TrackerStore, DestroyingATrackerWhoseStoreFailsDoesNotTerminate) {
  Fixture f;
  WriteLock lock(f.store.path());
  {
    Tracker tracker(options(), one_watt(), make_store_sink(f.store), f.run_id);
    tracker.start();
    tracker.begin_epoch(1);
    sleep_s(0.05);
    // No stop(): the destructor stops, fails to write, and must not throw
    // or leave a joinable thread (std::terminate).
  }
  SUCCEED();
}

TEST(TrackerStore, RenumberAndCancelRetagStoredSamples) {
  Fixture f;
  Tracker tracker(options(), one_watt(), make_store_sink(f.store), f.run_id);
  tracker.start();
  tracker.begin_epoch(1);
  sleep_s(0.1);
  tracker.renumber_epoch(0);  // the script counts from 0
  EXPECT_EQ(tracker.current_epoch(), 0);
  EXPECT_TRUE(tracker.in_epoch());
  EpochEnergy first = tracker.end_epoch();
  EXPECT_EQ(first.epoch, 0);
  tracker.begin_epoch(1);
  sleep_s(0.1);
  tracker.cancel_epoch();  // teardown, not an epoch
  EXPECT_FALSE(tracker.in_epoch());
  tracker.stop();
  ASSERT_EQ(tracker.epochs().size(), 1u);
  EpochEnergy whole = tracker.whole_run();
  EXPECT_NEAR(whole.energy_mwh, 1000 * whole.duration_s / 3600, 0.02 * whole.energy_mwh);
  int in_epoch_one = 0, in_epoch_zero = 0;
  for (const Sample& s : f.store.samples(f.run_id)) {
    in_epoch_one += s.epoch == 1;
    in_epoch_zero += s.epoch == 0;
  }
  EXPECT_EQ(in_epoch_one, 0) << "the cancelled epoch's samples are still tagged 1";
  EXPECT_GT(in_epoch_zero, 5);
  auto stored = f.store.epochs(f.run_id);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].epoch, 0);
}

}  // namespace
}  // namespace powertrain
