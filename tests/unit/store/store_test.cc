#include "powertrain/store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "support/test_util.h"

namespace powertrain {
namespace {

using testing::TempDir;

RunRecord sample_run() {
  RunRecord r;
  r.experiment = "regime-pamap2";
  r.kind = "train";
  r.task = "pamap2";
  r.paradigm = "regime";
  r.role = "classifier";
  r.setup = 7;
  r.batch_size = 256;
  r.learning_rate = 0.001;
  r.repeat = 2;
  r.status = RunStatus::kRunning;
  r.host = "node1";
  r.pid = 4242;
  r.device = "cuda:0";
  r.sensors = "nvml";
  r.interval_s = 0.5;
  r.pue = 1.58;
  r.started_at_s = 1700000000.5;
  r.config_json = R"({"a":1})";
  return r;
}

TEST(Store, RunsRoundTripWithNullsForWhatDoesNotApply) {
  TempDir dir;
  Store store(dir / "runs.db");
  RunRecord r = sample_run();
  int64_t id = store.add_run(r);
  RunRecord track;
  track.kind = "track";
  track.command = "sh -c 'x, \"y\"'";
  int64_t id2 = store.add_run(track);
  EXPECT_NE(id, id2);

  auto back = store.run(id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->experiment, "regime-pamap2");
  EXPECT_EQ(back->setup, 7);
  EXPECT_EQ(back->batch_size, 256);
  EXPECT_DOUBLE_EQ(*back->learning_rate, 0.001);
  EXPECT_EQ(back->status, RunStatus::kRunning);
  EXPECT_EQ(back->pid, 4242);
  EXPECT_DOUBLE_EQ(back->pue, 1.58);
  EXPECT_EQ(back->config_json, R"({"a":1})");
  EXPECT_FALSE(back->ended_at_s);

  auto t = store.run(id2);
  EXPECT_FALSE(t->setup);
  EXPECT_FALSE(t->learning_rate);
  EXPECT_EQ(t->command, track.command);

  back->status = RunStatus::kDone;
  back->final_metric = 0.91;
  back->ended_at_s = 1700000100.0;
  store.update_run(*back);
  EXPECT_EQ(store.run(id)->status, RunStatus::kDone);
  EXPECT_DOUBLE_EQ(*store.run(id)->final_metric, 0.91);
  store.set_run_status(id, RunStatus::kFailed, "out of memory");
  EXPECT_EQ(store.run(id)->error, "out of memory");
  EXPECT_EQ(store.runs().size(), 2u);

  RunRecord missing;
  missing.id = 999;
  EXPECT_THROW(store.update_run(missing), std::runtime_error);
}

TEST(Store, EpochsKeepTheirStreamsAndReplaceOnRewrite) {
  TempDir dir;
  Store store(dir / "e.db");
  int64_t id = store.add_run(sample_run());
  EpochRecord e;
  e.run_id = id;
  e.epoch = 1;
  e.duration_s = 10;
  e.energy_mwh = 5;
  e.counter_energy_mwh = 5.1;
  e.source = EnergySource::kCounter;
  StreamEnergy stream;
  stream.sensor = "nvml";
  stream.device = "gpu0";
  stream.n_samples = 10;
  stream.n_failed = 1;
  stream.mean_power_mw = 1800;
  stream.energy_mwh = 5;
  stream.counter_energy_mwh = 5.1;
  e.streams = {stream};
  store.put_epoch(e);
  e.train_loss = 0.5;
  e.metric = 0.8;
  store.put_epoch(e);  // the trainer adds its figures to the tracker's row
  auto epochs = store.epochs(id);
  ASSERT_EQ(epochs.size(), 1u);
  EXPECT_DOUBLE_EQ(*epochs[0].train_loss, 0.5);
  EXPECT_DOUBLE_EQ(*epochs[0].counter_energy_mwh, 5.1);
  EXPECT_EQ(epochs[0].source, EnergySource::kCounter);
  ASSERT_EQ(epochs[0].streams.size(), 1u);
  EXPECT_EQ(epochs[0].streams[0].device, "gpu0");
  EXPECT_EQ(epochs[0].streams[0].n_failed, 1);
}

TEST(Store, PartialRowsOfADeadProcessAreKeptButHidden) {
  TempDir dir;
  Store store(dir / "p.db");
  int64_t id = store.add_run(sample_run());
  EpochRecord e;
  e.run_id = id;
  e.epoch = 1;
  store.put_epoch(e);
  Sample s;
  s.run_id = id;
  s.sensor = "nvml";
  s.reading.device = "gpu0";
  s.reading.power_mw = 1;
  store.add_samples({s, s});
  store.mark_partial(id);
  EXPECT_TRUE(store.epochs(id).empty());
  EXPECT_EQ(store.sample_count(id), 0);
  store.put_epoch(e);  // the rerun writes epoch 1 again without a clash
  EXPECT_EQ(store.epochs(id).size(), 1u);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(store.handle(), "SELECT COUNT(*) FROM samples WHERE partial = 1", -1, &stmt,
                     nullptr);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 2);
  sqlite3_finalize(stmt);
}

TEST(Store, SamplesRoundTripIncludingGaps) {
  TempDir dir;
  Store store(dir / "s.db");
  int64_t id = store.add_run(sample_run());
  Sample ok;
  ok.run_id = id;
  ok.mono_s = 1;
  ok.epoch = 2;
  ok.phase = Phase::kValidate;
  ok.sensor = "rapl";
  ok.reading.device = "package-0";
  ok.reading.power_mw = 1234.5;
  ok.reading.energy_mj = 99;
  ok.reading.source = EnergySource::kCounter;
  Sample gap = ok;
  gap.mono_s = 2;
  gap.reading.power_mw.reset();
  gap.reading.energy_mj.reset();
  gap.reading.error = "read failed";
  store.add_samples({ok, gap});
  auto back = store.samples(id);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].phase, Phase::kValidate);
  EXPECT_DOUBLE_EQ(*back[0].reading.power_mw, 1234.5);
  EXPECT_EQ(back[0].reading.source, EnergySource::kCounter);
  EXPECT_FALSE(back[1].reading.power_mw);
  EXPECT_EQ(back[1].reading.error, "read failed");
}

TEST(Store, MetaAndWalMode) {
  TempDir dir;
  {
    Store store(dir / "m.db");
    store.set_meta("experiment", "quick");
  }
  Store again(dir / "m.db");
  EXPECT_EQ(again.meta("experiment"), "quick");
  EXPECT_FALSE(again.meta("nothing"));
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(again.handle(), "PRAGMA journal_mode", -1, &stmt, nullptr);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
}

TEST(Store, UnwritablePathIsAClearError) {
  try {
    Store store("/nonexistent/dir/x.db");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/x.db"), std::string::npos);
  }
}

TEST(Store, ExportsCsvWithHeaderAndQuoting) {
  TempDir dir;
  Store store(dir / "c.db");
  int64_t id = store.add_run(sample_run());
  Sample s;
  s.run_id = id;
  s.sensor = "model";
  s.reading.device = "cpu";
  s.reading.power_mw = 10;
  s.reading.error = "a, \"b\"";
  store.add_samples({s});
  EpochRecord e;
  e.run_id = id;
  e.epoch = 1;
  e.energy_mwh = 2.5;
  store.put_epoch(e);
  export_samples_csv(store, dir / "samples.csv");
  export_epochs_csv(store, dir / "epochs.csv");
  std::string samples = testing::slurp(dir / "samples.csv");
  EXPECT_EQ(samples.rfind("run_id,wall_time_s,mono_s,epoch,phase,sensor,device,power_mw", 0), 0u);
  EXPECT_NE(samples.find("\"a, \"\"b\"\"\""), std::string::npos) << samples;
  std::string epochs = testing::slurp(dir / "epochs.csv");
  EXPECT_NE(epochs.find(",2.500000,"), std::string::npos) << epochs;
  EXPECT_THROW(export_epochs_csv(store, "/nonexistent/dir/e.csv"), std::runtime_error);
}

}  // namespace
}  // namespace powertrain

namespace powertrain {
namespace {

// Writes a database as schema 1 wrote it (before components, attribution,
// periodic flags and run_energy): one run, one epoch of 15 mWh with a GPU
// stream of 10 mWh and a DRAM stream of 5 mWh, one sample.
void write_schema_one_database(const std::string& path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const char* v1 = R"sql(
    CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta VALUES('schema_version', '1');
    CREATE TABLE runs(id INTEGER PRIMARY KEY AUTOINCREMENT, experiment TEXT NOT NULL DEFAULT '',
      kind TEXT NOT NULL DEFAULT '', command TEXT NOT NULL DEFAULT '', task TEXT NOT NULL DEFAULT '',
      paradigm TEXT NOT NULL DEFAULT '', role TEXT NOT NULL DEFAULT '', setup INTEGER,
      batch_size INTEGER, learning_rate REAL, repeat INTEGER, alpha REAL, status TEXT NOT NULL,
      error TEXT NOT NULL DEFAULT '', host TEXT NOT NULL DEFAULT '', pid INTEGER,
      device TEXT NOT NULL DEFAULT '', sensors TEXT NOT NULL DEFAULT '',
      interval_s REAL NOT NULL DEFAULT 1.0, pue REAL NOT NULL DEFAULT 1.0, started_at REAL,
      ended_at REAL, exit_code INTEGER, final_metric REAL, metric_name TEXT NOT NULL DEFAULT '',
      config TEXT NOT NULL DEFAULT '');
    CREATE TABLE epochs(run_id INTEGER NOT NULL REFERENCES runs(id), epoch INTEGER NOT NULL,
      started_at REAL NOT NULL, duration_s REAL NOT NULL, train_loss REAL, val_loss REAL,
      metric REAL, samples_per_s REAL, energy_mwh REAL NOT NULL, counter_energy_mwh REAL,
      mean_power_mw REAL NOT NULL, n_samples INTEGER NOT NULL, coverage REAL NOT NULL,
      source TEXT NOT NULL, partial INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE epoch_energy(run_id INTEGER NOT NULL REFERENCES runs(id), epoch INTEGER NOT NULL,
      sensor TEXT NOT NULL, device TEXT NOT NULL, source TEXT NOT NULL, n_samples INTEGER NOT NULL,
      n_failed INTEGER NOT NULL, mean_power_mw REAL NOT NULL, energy_mwh REAL NOT NULL,
      counter_energy_mwh REAL, partial INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE samples(run_id INTEGER NOT NULL REFERENCES runs(id), wall_time REAL NOT NULL,
      mono_s REAL NOT NULL, epoch INTEGER NOT NULL, phase TEXT NOT NULL, sensor TEXT NOT NULL,
      device TEXT NOT NULL, power_mw REAL, energy_mj REAL, utilization_pct REAL,
      source TEXT NOT NULL, error TEXT NOT NULL DEFAULT '', partial INTEGER NOT NULL DEFAULT 0);
    INSERT INTO runs(status) VALUES('done');
    INSERT INTO epochs VALUES(1, 1, 0, 36, NULL, NULL, NULL, NULL, 15, NULL, 1500, 2, 1,
      'sampled', 0);
    INSERT INTO epoch_energy VALUES(1, 1, 'nvml', 'gpu0', 'sampled', 2, 0, 1000, 10, NULL, 0);
    INSERT INTO epoch_energy VALUES(1, 1, 'rapl', 'dram-0', 'sampled', 2, 0, 500, 5, NULL, 0);
    INSERT INTO samples VALUES(1, 0, 0.5, 1, 'train', 'nvml', 'gpu0', 1000, NULL, NULL,
      'sampled', '', 0);
  )sql";
  ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

// A database written by schema 1 (before components, attribution, periodic
// flags and run_energy) gains the new columns on open and keeps its rows.
TEST(Store, MigratesASchemaOneDatabase) {
  testing::TempDir dir;
  const std::string path = dir / "v1.db";
  write_schema_one_database(path);
  Store store(path);
  EXPECT_EQ(store.meta("schema_version"), "2");
  auto epochs = store.epochs(1);
  ASSERT_EQ(epochs.size(), 1u);
  // Components come from the stored streams: 10 mWh GPU + 5 mWh DRAM.
  EXPECT_DOUBLE_EQ(epochs[0].components.get(Component::kGpu).value_or(-1), 10);
  EXPECT_DOUBLE_EQ(epochs[0].components.get(Component::kDram).value_or(-1), 5);
  EXPECT_FALSE(epochs[0].attributed_mwh);
  auto samples = store.samples(1);
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_TRUE(samples[0].periodic);  // the old rows were all the sampler's
  EXPECT_FALSE(store.run_energy(1));
  RunEnergyRecord whole;
  whole.run_id = 1;
  whole.energy_mwh = 16;
  whole.outside_mwh = 1;
  whole.components.add(Component::kGpu, 11);
  whole.components.add(Component::kDram, 5);
  whole.cpu_utilization_pct = 40;
  store.put_run_energy(whole);
  auto back = store.run_energy(1);
  ASSERT_TRUE(back);
  EXPECT_DOUBLE_EQ(back->energy_mwh, 16);
  EXPECT_DOUBLE_EQ(back->components.get(Component::kGpu).value_or(-1), 11);
  EXPECT_FALSE(back->components.get(Component::kCpuPackage));
  EXPECT_DOUBLE_EQ(back->cpu_utilization_pct.value_or(-1), 40);
  // A schema this powertrain does not know is refused, naming it.
  store.set_meta("schema_version", "9");
  try {
    Store again(path);
    ADD_FAILURE() << "schema 9 was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("schema version 9"), std::string::npos) << e.what();
  }
}

// Read-only (report, export, merge inputs), a schema-1 database is read as
// it is: nothing migrated, components derived from its streams.
TEST(Store, ReadsASchemaOneDatabaseReadOnlyWithoutChangingIt) {
  testing::TempDir dir;
  const std::string path = dir / "v1.db";
  write_schema_one_database(path);
  const std::string before = testing::slurp(path);
  {
    const Store store(path, Store::Mode::kReadOnly);
    EXPECT_EQ(store.meta("schema_version"), "1");
    auto epochs = store.epochs(1);
    ASSERT_EQ(epochs.size(), 1u);
    EXPECT_DOUBLE_EQ(epochs[0].energy_mwh, 15);
    EXPECT_DOUBLE_EQ(epochs[0].components.get(Component::kGpu).value_or(-1), 10);
    EXPECT_DOUBLE_EQ(epochs[0].components.get(Component::kDram).value_or(-1), 5);
    EXPECT_FALSE(epochs[0].attributed_mwh);
    auto samples = store.samples(1);
    ASSERT_EQ(samples.size(), 1u);
    EXPECT_TRUE(samples[0].periodic);
    EXPECT_FALSE(store.run_energy(1));  // no run_energy table
  }
  EXPECT_EQ(testing::slurp(path), before);
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
}

}  // namespace
}  // namespace powertrain
