// The GPU provenance columns (issue 16): a stream's counter gap and resets,
// and the run's sensor provenance, round trip; a database without them is
// still read (read-only) and brought up to date (read-write).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "powertrain/store/store.h"
#include "support/test_util.h"

namespace powertrain {
namespace {

using testing::TempDir;

constexpr const char* kProvenance =
    R"({"sensor":"nvml","driver_version":"550.54.15","boards":[{"uuid":"GPU-aaaa"}]})";

int64_t write_run(const std::string& path) {
  Store store(path);
  RunRecord run;
  run.status = RunStatus::kRunning;
  int64_t id = store.add_run(run);
  EpochRecord e;
  e.run_id = id;
  e.epoch = 1;
  e.duration_s = 1;
  StreamEnergy x;
  x.sensor = "nvml";
  x.device = "gpu0";
  x.energy_mwh = 97.9;
  x.counter_energy_mwh = 166.7;
  x.counter_gap = true;
  x.counter_resets = 2;
  e.streams = {x};
  store.put_epoch(e);
  RunEnergyRecord r;
  r.run_id = id;
  r.sensor_provenance = kProvenance;
  store.put_run_energy(r);
  return id;
}

void drop_new_columns(const std::string& path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  for (const char* sql : {"ALTER TABLE epoch_energy DROP COLUMN counter_gap",
                          "ALTER TABLE epoch_energy DROP COLUMN counter_resets",
                          "ALTER TABLE run_energy DROP COLUMN sensor_provenance"}) {
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sql;
  }
  sqlite3_close(db);
}

TEST(StoreProvenance, CounterFlagsAndSensorProvenanceRoundTrip) {
  TempDir dir;
  int64_t id = write_run(dir / "p.db");
  Store store(dir / "p.db", Store::Mode::kReadOnly);
  auto epochs = store.epochs(id);
  ASSERT_EQ(epochs.size(), 1u);
  ASSERT_EQ(epochs[0].streams.size(), 1u);
  EXPECT_TRUE(epochs[0].streams[0].counter_gap);
  EXPECT_EQ(epochs[0].streams[0].counter_resets, 2);
  EXPECT_EQ(store.run_energy(id)->sensor_provenance, kProvenance);
}

TEST(StoreProvenance, ADatabaseWithoutTheColumnsIsReadAndMigrated) {
  TempDir dir;
  int64_t id = write_run(dir / "old.db");
  drop_new_columns(dir / "old.db");
  {
    const Store old(dir / "old.db", Store::Mode::kReadOnly);
    auto epochs = old.epochs(id);
    ASSERT_EQ(epochs.size(), 1u);
    EXPECT_FALSE(epochs[0].streams.at(0).counter_gap);
    EXPECT_DOUBLE_EQ(*epochs[0].streams[0].counter_energy_mwh, 166.7);
    EXPECT_EQ(old.run_energy(id)->sensor_provenance, "");
  }
  // Opened read-write (write_run does), the columns come back and hold values.
  int64_t next = write_run(dir / "old.db");
  const Store migrated(dir / "old.db", Store::Mode::kReadOnly);
  EXPECT_EQ(migrated.run_energy(next)->sensor_provenance, kProvenance);
  EXPECT_TRUE(migrated.epochs(next).at(0).streams.at(0).counter_gap);
  EXPECT_FALSE(migrated.epochs(id).at(0).streams.at(0).counter_gap);  // the old row: default 0
}

}  // namespace
}  // namespace powertrain
