// The sweep core with fake runners: resume, failures, shards and merge,
// pretraining encoders, refusals that write nothing.
#include "powertrain/sweep/sweep.h"

#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "powertrain/store/run_roles.h"
#include "powertrain/sweep/run_key.h"
#include "powertrain/sweep/simulated_runner.h"
#include "unit/sweep/sweep_test_util.h"

namespace powertrain {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::TempDir;

// Records each call and writes a couple of epochs, like a trainer would.
struct FakeRunner {
  std::vector<std::string> calls;
  std::map<std::string, RunOutcome> outcomes;  // by run key; default done
  std::set<std::string> throw_for;
  std::map<std::string, std::string> encoder_seen;  // key -> content of encoder_in

  SweepRunner runner() {
    return [this](const RunRequest& r, const RunProgressFn& progress) {
      calls.push_back(r.plan.key());
      for (int epoch = 1; epoch <= 2; ++epoch) {
        EpochRecord e;
        e.run_id = r.run_id;
        e.epoch = epoch;
        e.duration_s = 0.01;
        e.train_loss = 1.0 / epoch;
        e.energy_mwh = 0.5;
        r.store->put_epoch(e);
        progress(RunProgress{epoch, 2, e.train_loss, 0.5, "accuracy", 0.5 * epoch});
      }
      if (throw_for.count(r.plan.key())) throw std::runtime_error("out of memory (fake)");
      if (r.plan.saves_encoder) {
        testing::write_file(r.encoder_out, r.plan.key());
      }
      if (r.plan.needs_encoder) encoder_seen[r.plan.key()] = testing::read_file(r.encoder_in);
      auto it = outcomes.find(r.plan.key());
      RunOutcome out = it == outcomes.end() ? RunOutcome{} : it->second;
      out.epochs_run = 2;
      out.energy_mwh = 1.0;
      return out;
    };
  }
};

struct Fixture {
  TempDir dir;
  ExperimentConfig config;
  std::string db;
  std::ostringstream log;

  explicit Fixture(const std::string& paradigm = "regime", int repeats = 1,
                   const std::string& name = "quick-test") {
    std::string data = paradigm == "multitask" ? "<generated>" : testing::make_pamap2_dir(dir);
    config =
        parse_experiment(testing::experiment_text(name, paradigm, data, repeats), dir / "e.toml");
    db = dir / "sweep.db";
  }
  SweepOptions options() {
    SweepOptions o;
    o.db_path = db;
    o.out = &log;
    o.fixed_order = true;  // most tests follow the plan's order; RunOrder tests shuffle
    return o;
  }
};

std::map<std::string, RunRecord> runs_by_key(const std::string& db) {
  Store store(db);
  std::map<std::string, RunRecord> out;
  for (auto& r : store.runs()) {
    out[RunKey{std::to_string(*r.setup), *r.repeat, r.role}.str()] = r;
  }
  return out;
}

TEST(Sweep, QuickLikeExperimentEndToEnd) {
  Fixture f;
  FakeRunner fake;
  auto summary = run_sweep(f.config, f.options(), fake.runner());
  EXPECT_EQ(summary.planned, 16);
  EXPECT_EQ(summary.ran, 16);
  EXPECT_EQ(summary.done, 16);
  // The closing line's energy is the stored epochs': 16 runs x 2 x 0.5 mWh.
  EXPECT_DOUBLE_EQ(summary.energy_mwh, 16.0);
  ASSERT_EQ(fake.calls.size(), 16u);
  EXPECT_EQ(fake.calls.front(), "setup 1 repeat 1 classifier");
  EXPECT_EQ(fake.calls.back(), "setup 16 repeat 1 classifier");

  Store store(f.db);
  EXPECT_EQ(store.meta(kMetaExperiment), "quick-test");
  EXPECT_EQ(store.meta(kMetaExperimentHash), f.config.hash());
  auto runs = store.runs();
  ASSERT_EQ(runs.size(), 16u);
  std::set<int> setups;
  for (const auto& r : runs) {
    setups.insert(*r.setup);
    EXPECT_EQ(r.status, RunStatus::kDone);
    EXPECT_EQ(r.experiment, "quick-test");
    EXPECT_EQ(r.kind, roles::kKindTrain);
    EXPECT_EQ(r.paradigm, roles::kRegime);
    EXPECT_EQ(r.role, roles::kClassifier);
    EXPECT_EQ(*r.batch_size, f.config.batch_sizes[(*r.setup - 1) / 4]);
    EXPECT_DOUBLE_EQ(*r.learning_rate, f.config.learning_rates[(*r.setup - 1) % 4]);
    EXPECT_TRUE(r.started_at_s && r.ended_at_s);
    EXPECT_FALSE(r.host.empty());
    EXPECT_EQ(r.pid, static_cast<int64_t>(getpid()));
    EXPECT_DOUBLE_EQ(r.interval_s, 0.1);
    EXPECT_EQ(store.epochs(r.id).size(), 2u);
  }
  EXPECT_EQ(setups.size(), 16u);
  // Progress: the live line and one summary per run.
  std::string text = f.log.str();
  EXPECT_THAT(text, HasSubstr("setup 3/16 (bs 64, lr 0.001) repeat 1/1 classifier | epoch 2/2"));
  EXPECT_THAT(text, HasSubstr("loss 0.5000 accuracy 0.5000 | 1.00 mWh"));
  EXPECT_THAT(text, HasSubstr("[16/16] setup 16/16"));
  EXPECT_THAT(text, HasSubstr("left ~"));

  // Everything finished: a second call runs nothing.
  FakeRunner again;
  auto second = run_sweep(f.config, f.options(), again.runner());
  EXPECT_TRUE(again.calls.empty());
  EXPECT_EQ(second.already_finished, 16);
  EXPECT_EQ(Store(f.db).runs().size(), 16u);
}

TEST(Sweep, FailedRunIsRecordedAndRetriedOnlyWhenAsked) {
  Fixture f;
  FakeRunner fake;
  fake.throw_for.insert("setup 3 repeat 1 classifier");
  fake.outcomes["setup 9 repeat 1 classifier"].status = RunStatus::kDiverged;
  fake.outcomes["setup 9 repeat 1 classifier"].error = "loss became NaN";
  auto summary = run_sweep(f.config, f.options(), fake.runner());
  EXPECT_EQ(summary.ran, 16);
  EXPECT_EQ(summary.failed, 1);
  EXPECT_EQ(summary.diverged, 1);
  auto runs = runs_by_key(f.db);
  const RunRecord failed = runs["setup 3 repeat 1 classifier"];
  EXPECT_EQ(failed.status, RunStatus::kFailed);
  EXPECT_EQ(failed.error, "out of memory (fake)");
  EXPECT_EQ(runs["setup 9 repeat 1 classifier"].status, RunStatus::kDiverged);
  EXPECT_THAT(f.log.str(), HasSubstr("failed, 2 epochs, 1.00 mWh: out of memory (fake)"));

  FakeRunner no_retry;
  auto second = run_sweep(f.config, f.options(), no_retry.runner());
  EXPECT_TRUE(no_retry.calls.empty());
  EXPECT_EQ(second.skipped_failed, 1);

  FakeRunner retry;
  auto o = f.options();
  o.retry_failed = true;
  run_sweep(f.config, o, retry.runner());
  EXPECT_EQ(retry.calls,
            std::vector<std::string>{"setup 3 repeat 1 classifier"});  // not the diverged one
  runs = runs_by_key(f.db);
  EXPECT_EQ(runs["setup 3 repeat 1 classifier"].id, failed.id);
  EXPECT_EQ(runs["setup 3 repeat 1 classifier"].status, RunStatus::kDone);
  // The failed attempt's epochs are kept but marked partial: two, not four.
  EXPECT_EQ(Store(f.db).epochs(failed.id).size(), 2u);
  auto cfg = nlohmann::json::parse(runs["setup 3 repeat 1 classifier"].config_json);
  ASSERT_EQ(cfg["failed_attempts"].size(), 1u);
  EXPECT_EQ(cfg["failed_attempts"][0]["error"], "out of memory (fake)");
}

// The pid of a process that has exited and been reaped.
int64_t dead_pid() {
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  return child;
}

TEST(Sweep, RunningFromADeadProcessIsRerunWithItsRowsMarkedPartial) {
  Fixture f;
  FakeRunner first;
  auto o = f.options();
  o.max_runs = 5;
  run_sweep(f.config, o, first.runner());
  ASSERT_EQ(first.calls.size(), 5u);
  auto before = runs_by_key(f.db);
  // Simulate a process killed in the middle of run 6.
  RunRecord r6 = before["setup 6 repeat 1 classifier"];
  ASSERT_EQ(r6.status, RunStatus::kPending);
  {
    Store store(f.db);
    r6.status = RunStatus::kRunning;
    r6.pid = dead_pid();
    r6.host = before["setup 1 repeat 1 classifier"].host;
    r6.started_at_s = 1.0;
    store.update_run(r6);
    EpochRecord e;
    e.run_id = r6.id;
    e.epoch = 1;
    e.energy_mwh = 99;
    store.put_epoch(e);
  }
  EXPECT_EQ(sweep_status(f.config, f.db, {}).running, 1);

  FakeRunner second;
  auto summary = run_sweep(f.config, f.options(), second.runner());
  EXPECT_EQ(summary.resumed_interrupted, 1);
  EXPECT_EQ(summary.already_finished, 5);
  ASSERT_EQ(second.calls.size(), 11u);
  EXPECT_EQ(second.calls.front(), "setup 6 repeat 1 classifier");
  auto after = runs_by_key(f.db);
  ASSERT_EQ(after.size(), 16u);
  for (const auto& [key, r] : after) {
    EXPECT_EQ(r.status, RunStatus::kDone) << key;
    if (before[key].status == RunStatus::kDone) {
      EXPECT_EQ(r.started_at_s, before[key].started_at_s) << key << " was run again";
    }
  }
  Store store(f.db);
  auto epochs = store.epochs(r6.id);
  ASSERT_EQ(epochs.size(), 2u);
  EXPECT_DOUBLE_EQ(epochs[0].energy_mwh, 0.5);  // the rerun's, not the dead one's 99
  auto cfg = nlohmann::json::parse(after["setup 6 repeat 1 classifier"].config_json);
  ASSERT_EQ(cfg["interrupted_attempts"].size(), 1u);
  EXPECT_EQ(cfg["interrupted_attempts"][0]["pid"], *r6.pid);
  EXPECT_THAT(f.log.str(), HasSubstr("rerunning run"));
}

TEST(Sweep, RunningFromALiveProcessStopsTheSweep) {
  Fixture f;
  FakeRunner first;
  auto o = f.options();
  o.max_runs = 1;
  run_sweep(f.config, o, first.runner());
  auto runs = runs_by_key(f.db);
  RunRecord r2 = runs["setup 2 repeat 1 classifier"];
  r2.status = RunStatus::kRunning;
  r2.pid = static_cast<int64_t>(getppid());  // alive
  r2.host = runs["setup 1 repeat 1 classifier"].host;
  Store(f.db).update_run(r2);
  FakeRunner second;
  try {
    run_sweep(f.config, f.options(), second.runner());
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("alive"), HasSubstr("setup 2 repeat 1")));
  }
  EXPECT_TRUE(second.calls.empty());
  EXPECT_EQ(runs_by_key(f.db)["setup 2 repeat 1 classifier"].status, RunStatus::kRunning);
  // Another host cannot be checked: only --takeover reruns it.
  r2.host = "some-other-host";
  Store(f.db).update_run(r2);
  EXPECT_THROW(run_sweep(f.config, f.options(), second.runner()), std::invalid_argument);
  auto t = f.options();
  t.takeover = true;
  run_sweep(f.config, t, second.runner());
  EXPECT_EQ(second.calls.size(), 15u);
}

TEST(Sweep, ARunTakenByAnotherProcessMeanwhileIsSkipped) {
  Fixture f;
  FakeRunner fake;
  SweepRunner inner = fake.runner();
  SweepRunner runner = [&](const RunRequest& r, const RunProgressFn& progress) {
    if (r.plan.setup == 1) {
      // Another process claims setup 2 while setup 1 trains.
      for (RunRecord other : r.store->runs()) {
        if (*other.setup == 2) {
          other.status = RunStatus::kRunning;
          other.host = "elsewhere";
          other.pid = 1;
          r.store->update_run(other);
        }
      }
    }
    return inner(r, progress);
  };
  auto summary = run_sweep(f.config, f.options(), runner);
  EXPECT_EQ(summary.ran, 15);
  EXPECT_EQ(std::count(fake.calls.begin(), fake.calls.end(), "setup 2 repeat 1 classifier"), 0);
  EXPECT_THAT(f.log.str(), HasSubstr("another process took it"));
  EXPECT_EQ(runs_by_key(f.db)["setup 2 repeat 1 classifier"].host, "elsewhere");
}

TEST(Sweep, DryRunWritesNothingAndListsWhatIsLeft) {
  Fixture f;
  auto o = f.options();
  o.dry_run = true;
  auto summary = run_sweep(f.config, o, {});
  EXPECT_EQ(summary.would_run.size(), 16u);
  EXPECT_FALSE(fs::exists(f.db));
  EXPECT_THAT(f.log.str(), HasSubstr("would run 16 setup 16/16 (bs 4096, lr 0.0001)"));

  FakeRunner fake;
  auto real = f.options();
  real.max_runs = 4;
  run_sweep(f.config, real, fake.runner());
  auto size_before = fs::file_size(f.db);
  auto again = run_sweep(f.config, o, {});
  EXPECT_EQ(again.would_run.size(), 12u);
  EXPECT_EQ(again.would_run.front().setup, 5);
  EXPECT_EQ(fs::file_size(f.db), size_before);
}

TEST(Sweep, BadInputWritesNothing) {
  Fixture f;
  FakeRunner fake;
  // Missing data folder.
  ExperimentConfig missing = f.config;
  missing.data_dir = f.dir / "no-such-folder";
  EXPECT_THROW(run_sweep(missing, f.options(), fake.runner()), std::invalid_argument);
  EXPECT_FALSE(fs::exists(f.db));

  // A database of another experiment.
  auto o = f.options();
  o.max_runs = 2;
  run_sweep(f.config, o, fake.runner());
  ExperimentConfig other = parse_experiment(
      testing::experiment_text("other", "regime", f.config.data_dir), "other.toml");
  auto runs_before = Store(f.db).runs();
  try {
    run_sweep(other, f.options(), fake.runner());
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(),
                AllOf(HasSubstr("belongs to experiment 'quick-test'"), HasSubstr("'other'")));
  }
  // The same name with another configuration.
  ExperimentConfig changed = f.config;
  changed.max_epochs = 50;
  try {
    run_sweep(changed, f.options(), fake.runner());
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("another configuration"));
  }
  // A shard against a whole-experiment database.
  auto shard = f.options();
  shard.shard = Shard{1, 2};
  EXPECT_THROW(run_sweep(f.config, shard, fake.runner()), std::invalid_argument);
  EXPECT_EQ(Store(f.db).runs().size(), runs_before.size());
  EXPECT_EQ(fake.calls.size(), 2u);
}

TEST(Sweep, PretrainingRolesUseTheEncoderOfTheSameSetup) {
  Fixture f("pretraining", 2);
  FakeRunner fake;
  fake.outcomes["setup 7 repeat 2 autoencoder"].status = RunStatus::kDiverged;
  auto summary = run_sweep(f.config, f.options(), fake.runner());
  EXPECT_EQ(summary.planned, 128);
  EXPECT_EQ(summary.failed, 2);  // frozen and unfrozen of setup 7 repeat 2
  auto runs = runs_by_key(f.db);
  for (int repeat = 1; repeat <= 2; ++repeat) {
    for (int setup = 1; setup <= 16; ++setup) {
      auto key = [&](const char* role) {
        return RunKey{std::to_string(setup), repeat, role}.str();
      };
      const RunRecord& ae = runs[key(roles::kAutoencoder)];
      for (const char* role : {roles::kFrozen, roles::kUnfrozen}) {
        const RunRecord& c = runs[key(role)];
        if (setup == 7 && repeat == 2) {
          EXPECT_EQ(c.status, RunStatus::kFailed);
          EXPECT_THAT(c.error, HasSubstr("autoencoder"));
          EXPECT_FALSE(fake.encoder_seen.count(key(role)));
          continue;
        }
        EXPECT_EQ(c.status, RunStatus::kDone);
        // The file it trained on is the one the autoencoder of its group wrote.
        EXPECT_EQ(fake.encoder_seen[key(role)], key(roles::kAutoencoder));
        auto cfg = nlohmann::json::parse(c.config_json);
        EXPECT_EQ(cfg["encoder_run_id"], ae.id);
        EXPECT_EQ(cfg["encoder_in"], nlohmann::json::parse(ae.config_json)["encoder_out"]);
      }
      EXPECT_EQ(runs[key(roles::kBaseline)].status, RunStatus::kDone);
    }
  }
}

// The set of runs, as compared between one process and shards + merge.
std::set<std::tuple<int, int, std::string, std::string, int, size_t>> run_set(
    const std::string& db) {
  Store store(db);
  std::set<std::tuple<int, int, std::string, std::string, int, size_t>> out;
  for (const auto& r : store.runs()) {
    out.emplace(*r.setup, *r.repeat, r.role, std::string(to_string(r.status)), *r.batch_size,
                store.epochs(r.id).size());
  }
  return out;
}

TEST(Sweep, ShardsAndMergeGiveTheSameRunsAsOneProcess) {
  Fixture f("pretraining", 1);
  FakeRunner whole;
  run_sweep(f.config, f.options(), whole.runner());

  std::vector<std::string> shards;
  size_t calls = 0;
  for (int i = 1; i <= 3; ++i) {
    FakeRunner fake;
    auto o = f.options();
    o.shard = Shard{i, 3};
    o.db_path = f.dir / default_db_path(f.config, o.shard);
    run_sweep(f.config, o, fake.runner());
    calls += fake.calls.size();
    shards.push_back(o.db_path);
    EXPECT_EQ(Store(o.db_path).meta(kMetaShard), o.shard.to_string());
  }
  EXPECT_EQ(calls, whole.calls.size());
  const std::string merged = f.dir / "merged.db";
  EXPECT_EQ(merge_databases(merged, shards), 64);
  EXPECT_EQ(run_set(merged), run_set(f.db));
  EXPECT_EQ(Store(merged).meta(kMetaExperimentHash), f.config.hash());
  // The merged database is complete: a sweep on it runs nothing.
  FakeRunner after;
  auto o = f.options();
  o.db_path = merged;
  run_sweep(f.config, o, after.runner());
  EXPECT_TRUE(after.calls.empty());
  EXPECT_EQ(sweep_status(f.config, merged, {}).done, 64);
}

TEST(Sweep, MergeRefusesOtherExperimentsAndDuplicates) {
  Fixture a("regime", 1, "exp-a");
  FakeRunner fake;
  auto oa = a.options();
  oa.shard = Shard{1, 2};
  run_sweep(a.config, oa, fake.runner());
  Fixture b("regime", 1, "exp-b");
  auto ob = b.options();
  ob.shard = Shard{2, 2};
  run_sweep(b.config, ob, fake.runner());
  const std::string out = a.dir / "out.db";
  try {
    merge_databases(out, {a.db, b.db});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("exp-a"), HasSubstr("exp-b")));
  }
  EXPECT_FALSE(fs::exists(out));
  EXPECT_THROW(merge_databases(out, {a.db, a.db}), std::invalid_argument);
  EXPECT_FALSE(fs::exists(out));
  EXPECT_THROW(merge_databases(out, {a.dir / "missing.db"}), std::invalid_argument);
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(merge_databases(out, {a.db}), 8);
  EXPECT_THROW(merge_databases(out, {a.db}), std::invalid_argument);  // already there
  EXPECT_EQ(Store(out).runs().size(), 8u);
}

// A run's whole-run row (run_energy) travels with it: emissions.csv of the
// merged database covers the same time as the shard's.
TEST(Sweep, MergeKeepsEachRunsWholeRunEnergy) {
  Fixture a("regime", 1, "exp-a");
  FakeRunner fake;
  run_sweep(a.config, a.options(), fake.runner());
  int64_t id = 0;
  {
    Store store(a.db);
    id = store.runs().at(2).id;
    RunEnergyRecord whole;
    whole.run_id = id;
    whole.duration_s = 12.5;
    whole.energy_mwh = 7.25;
    whole.outside_mwh = 0.75;
    whole.components.add(Component::kGpu, 7.25);
    whole.tracking_mode = "machine";
    store.put_run_energy(whole);
  }
  const std::string out = a.dir / "out.db";
  ASSERT_EQ(merge_databases(out, {a.db}), 16);
  Store merged(out);
  int with_energy = 0;
  for (const RunRecord& r : merged.runs()) {
    auto whole = merged.run_energy(r.id);
    if (!whole) continue;
    ++with_energy;
    const RunRecord original = *Store(a.db, Store::Mode::kReadOnly).run(id);
    EXPECT_EQ(std::tie(r.setup, r.repeat, r.role),
              std::tie(original.setup, original.repeat, original.role));
    EXPECT_DOUBLE_EQ(whole->duration_s, 12.5);
    EXPECT_DOUBLE_EQ(whole->energy_mwh, 7.25);
    EXPECT_DOUBLE_EQ(whole->outside_mwh, 0.75);
    EXPECT_DOUBLE_EQ(whole->components.get(Component::kGpu).value_or(-1), 7.25);
  }
  EXPECT_EQ(with_energy, 1);
}

TEST(Sweep, StatusShowsProgress) {
  Fixture f;
  auto s0 = sweep_status(f.config, f.db, {});
  EXPECT_FALSE(s0.database_exists);
  EXPECT_THAT(format_status(f.config, f.db, s0), HasSubstr("0/16"));
  FakeRunner fake;
  fake.throw_for.insert("setup 2 repeat 1 classifier");
  auto o = f.options();
  o.max_runs = 4;
  run_sweep(f.config, o, fake.runner());
  auto s = sweep_status(f.config, f.db, {});
  EXPECT_EQ(s.planned, 16);
  EXPECT_EQ(s.done, 3);
  EXPECT_EQ(s.failed, 1);
  EXPECT_EQ(s.pending, 12);
  EXPECT_DOUBLE_EQ(s.energy_mwh, 3.0);  // 3 finished runs x 2 epochs x 0.5 mWh
  ASSERT_TRUE(s.eta_s);
  std::string text = format_status(f.config, f.db, s);
  EXPECT_THAT(text, HasSubstr("3/16 runs finished"));
  EXPECT_THAT(text, HasSubstr("energy of finished runs: 3.00 mWh"));
  EXPECT_THAT(text, HasSubstr("; sampled)"));  // the fake's epochs claim sampled energy
  EXPECT_THAT(text, HasSubstr("failed: run 2 setup 2 repeat 1 classifier: out of memory (fake)"));
}

TEST(Sweep, SimulatedRunnerWritesUnmistakableEpochs) {
  Fixture f;
  auto o = f.options();
  o.max_runs = 1;
  run_sweep(f.config, o, make_simulated_runner({0, 2, ""}));
  Store store(f.db);
  auto runs = store.runs();
  auto epochs = store.epochs(runs[0].id);
  ASSERT_EQ(epochs.size(), 2u);
  EXPECT_EQ(epochs[0].source, EnergySource::kModelled);
  EXPECT_DOUBLE_EQ(epochs[0].energy_mwh, 0);
  EXPECT_EQ(store.run(runs[0].id)->metric_name, "simulated");
}

TEST(RunOrder, ShuffledGroupsSameSeedSameOrderFixedKeepsThePlan) {
  Fixture f("pretraining", 2);
  const auto plan = expand_plan(f.config);
  ASSERT_EQ(plan.size(), 16u * 2 * 4);
  const auto fixed = run_order(plan, true, 1);
  for (std::size_t i = 0; i < fixed.size(); ++i) EXPECT_EQ(fixed[i], i);
  const auto a = run_order(plan, false, 7);
  const auto b = run_order(plan, false, 7);
  const auto c = run_order(plan, false, 8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, fixed);
  // A permutation, each group's roles together and in order (autoencoder first).
  std::vector<std::size_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, fixed);
  for (std::size_t i = 0; i < a.size(); i += 4) {
    for (std::size_t k = 0; k < 4; ++k) {
      EXPECT_EQ(plan[a[i + k]].group, plan[a[i]].group);
      EXPECT_EQ(a[i + k], a[i] + k);
    }
    EXPECT_EQ(plan[a[i]].role, roles::kAutoencoder);
  }
  // Repeat 1's groups do not all come first: drift cannot line up with repeats.
  int repeat2_in_first_half = 0;
  for (std::size_t i = 0; i < a.size() / 2; ++i) repeat2_in_first_half += plan[a[i]].repeat == 2;
  EXPECT_GT(repeat2_in_first_half, 0);
  // And the shuffle is uniform: over many seeds the first half of the 32
  // groups holds on average 16 x 16/32 = 8 of repeat 2's 16 (hypergeometric
  // mean; the mean of 400 seeds has a standard deviation of about 0.07).
  double sum = 0;
  const int seeds = 400;
  for (int seed = 1; seed <= seeds; ++seed) {
    const auto order = run_order(plan, false, static_cast<uint64_t>(seed));
    int groups = 0;
    for (std::size_t i = 0; i < order.size() / 2; i += 4) groups += plan[order[i]].repeat == 2;
    sum += groups;
  }
  EXPECT_NEAR(sum / seeds, 8.0, 0.4);
}

TEST(RunOrder, SweepRunsInTheSeededOrderAndRecordsIt) {
  Fixture f;
  FakeRunner fake;
  auto o = f.options();
  o.fixed_order = false;
  o.order_seed = 42;
  run_sweep(f.config, o, fake.runner());
  const auto plan = expand_plan(f.config);
  std::vector<std::string> expected;
  for (std::size_t i : run_order(plan, false, 42)) expected.push_back(plan[i].key());
  EXPECT_EQ(fake.calls, expected);
  EXPECT_NE(fake.calls.front(), "setup 1 repeat 1 classifier");
  Store store(f.db);
  EXPECT_EQ(store.meta(kMetaRunOrder).value_or(""), "random, seed 42");
}

}  // namespace
}  // namespace powertrain
