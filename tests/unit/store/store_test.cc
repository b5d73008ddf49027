#include "powertrain/store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

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
  e.streams = {{"nvml", "gpu0", EnergySource::kSampled, 10, 1, 1800, 5, 5.1}};
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
  sqlite3_prepare_v2(store.handle(), "SELECT COUNT(*) FROM samples WHERE partial = 1", -1, &stmt, nullptr);
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
