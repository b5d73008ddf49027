// A run record's life through RunRecorder: what the store holds after each
// step, the claim that only one process wins, and the run an exception left.
#include "powertrain/store/run_recorder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "support/test_util.h"

namespace powertrain {
namespace {

using testing::TempDir;

RunRecord a_run() {
  RunRecord r;
  r.kind = "train";
  r.task = "pamap2";
  r.host = "node1";
  r.status = RunStatus::kPending;  // the recorder makes it running
  return r;
}

TEST(RunRecorder, CreatesRunningThenFinishesWithTheOutcome) {
  TempDir dir;
  Store store(dir / "r.db");
  RunRecorder run(store, a_run());
  ASSERT_EQ(run.id(), 1);  // the first run of a new database
  auto stored = store.run(run.id());
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->status, RunStatus::kRunning);
  ASSERT_TRUE(stored->started_at_s);
  EXPECT_FALSE(stored->ended_at_s);

  run.edit().sensors = "rapl,nvml";
  run.update();
  EXPECT_EQ(store.run(run.id())->sensors, "rapl,nvml");

  run.finish(RunStatus::kDiverged, "loss is NaN", 3);
  stored = store.run(run.id());
  EXPECT_EQ(stored->status, RunStatus::kDiverged);
  EXPECT_EQ(stored->error, "loss is NaN");
  EXPECT_EQ(stored->exit_code, 3);
  EXPECT_EQ(stored->sensors, "rapl,nvml");
  ASSERT_TRUE(stored->ended_at_s);
  EXPECT_GE(*stored->ended_at_s, *stored->started_at_s);
  // Ended once: a later fail() changes nothing, a second finish is a bug.
  EXPECT_EQ(run.fail("late"), "");
  EXPECT_EQ(store.run(run.id())->status, RunStatus::kDiverged);
  EXPECT_THROW(run.finish(RunStatus::kDone), std::logic_error);
  EXPECT_THROW(RunRecorder(store, a_run()).finish(RunStatus::kRunning), std::logic_error);
}

TEST(RunRecorder, ARunLeftOpenByAnExceptionEndsFailed) {
  TempDir dir;
  Store store(dir / "r.db");
  int64_t id = 0;
  try {
    RunRecorder run(store, a_run());
    id = run.id();
    throw std::runtime_error("the trainer threw");
  } catch (const std::runtime_error&) {
  }
  auto stored = store.run(id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->status, RunStatus::kFailed);
  EXPECT_EQ(stored->error, "ended without an outcome");
  EXPECT_TRUE(stored->ended_at_s);
}

TEST(RunRecorder, AReleasedRunIsLeftAsTheStoreHasIt) {
  TempDir dir;
  Store store(dir / "r.db");
  int64_t id = 0;
  {
    RunRecorder run(store, a_run());
    id = run.id();
    store.set_run_status(id, RunStatus::kPending);  // as an interrupt does
    run.release();
  }
  EXPECT_EQ(store.run(id)->status, RunStatus::kPending);
}

TEST(RunRecorder, OnlyOneClaimOfAPendingRunWins) {
  TempDir dir;
  Store store(dir / "r.db");
  RunRecord pending = a_run();
  pending.error = "an earlier attempt's error";
  pending.id = store.add_run(pending);

  RunRecord mine = pending;
  mine.config_json = R"({"attempt":2})";
  auto claimed = RunRecorder::claim(store, mine, "node7");
  ASSERT_TRUE(claimed);
  auto stored = store.run(pending.id);
  EXPECT_EQ(stored->status, RunStatus::kRunning);
  EXPECT_EQ(stored->host, "node7");
  EXPECT_EQ(stored->pid, static_cast<int64_t>(getpid()));
  EXPECT_EQ(stored->error, "");
  EXPECT_EQ(stored->config_json, R"({"attempt":2})");
  EXPECT_TRUE(stored->started_at_s);
  EXPECT_EQ(mine.status, RunStatus::kRunning);

  // A second process's claim loses and sees the winner's row.
  RunRecord theirs = pending;
  EXPECT_FALSE(RunRecorder::claim(store, theirs, "node8"));
  EXPECT_EQ(theirs.status, RunStatus::kRunning);
  EXPECT_EQ(theirs.host, "node7");

  RunRecord end = claimed->record();
  end.status = RunStatus::kDone;
  end.final_metric = 0.93;
  claimed->finish(end);
  stored = store.run(pending.id);
  EXPECT_EQ(stored->status, RunStatus::kDone);
  EXPECT_EQ(stored->final_metric, 0.93);
  EXPECT_TRUE(stored->ended_at_s);
}

}  // namespace
}  // namespace powertrain
