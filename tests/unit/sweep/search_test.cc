// powertrain search on a stand-in runner with set physics: setup (b, l) of
// the 4x4 grid has the validation accuracy curve
//   acc(t) = A - 0.6 exp(-c (t - 1)),  A = 0.95 - 0.04 |l - 1| - 0.01 b,
//   c = 0.5 / (1 + 0.5 l)
// and costs {4, 2, 1, 0.5}[b] mWh per epoch (b: batch size index, l:
// learning rate index). The curves are noiseless and saturate, so the rule
// (min delta 0.001, patience 3) ends them well before max_epochs.
#include "powertrain/sweep/search.h"

#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>

#include <cmath>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "powertrain/predict/early_stopping.h"
#include "sweep_test_util.h"

namespace powertrain {
namespace {

using testing::TempDir;

struct Physics {
  double a, c, epoch_mwh;
};

Physics physics_of(int batch_size, double learning_rate) {
  const int b = batch_size == 64 ? 0 : batch_size == 256 ? 1 : batch_size == 1024 ? 2 : 3;
  const int l = learning_rate == 0.1     ? 0
                : learning_rate == 0.01  ? 1
                : learning_rate == 0.001 ? 2
                                         : 3;
  return {0.95 - 0.04 * std::abs(l - 1) - 0.01 * b, 0.5 / (1 + 0.5 * l), 4.0 / (1 << b)};
}

double accuracy(const Physics& p, int t) { return p.a - 0.6 * std::exp(-p.c * (t - 1)); }

// Every call: "setup epochs" in order.
struct Log {
  std::mutex mutex;  // shards run in threads
  std::vector<std::string> calls;
  std::vector<int> groups;  // each call's plan index: what a shard owns
  std::map<std::string, int> count;
};

SweepRunner physics_runner(Log* log) {
  return [log](const RunRequest& request, const RunProgressFn& progress) {
    const ExperimentConfig& c = *request.experiment;
    const Physics p = physics_of(request.plan.batch_size, request.plan.learning_rate);
    const std::string call = request.plan.setup_name + " " + std::to_string(c.max_epochs);
    {
      std::lock_guard<std::mutex> lock(log->mutex);
      log->calls.push_back(call);
      log->groups.push_back(request.plan.index);
      ++log->count[call];
    }
    EarlyStopping rule({c.patience, c.min_delta, c.max_epochs, false});
    RunOutcome outcome;
    while (!rule.should_stop()) {
      EpochRecord e;
      e.run_id = request.run_id;
      e.epoch = rule.epochs() + 1;
      e.duration_s = 1;
      e.metric = accuracy(p, e.epoch);
      e.val_loss = 1 - *e.metric;
      e.energy_mwh = p.epoch_mwh;
      e.source = EnergySource::kModelled;
      request.store->put_epoch(e);
      rule.update(*e.metric);
      outcome.energy_mwh += e.energy_mwh;
      if (progress) progress(RunProgress{e.epoch, c.max_epochs, {}, e.metric, "accuracy", 0});
    }
    outcome.epochs_run = rule.epochs();
    outcome.final_metric = rule.best();
    outcome.metric_name = "accuracy";
    return outcome;
  };
}

ExperimentConfig experiment(const TempDir& dir) {
  const std::string text =
      "name = \"search\"\nparadigm = \"regime\"\ntask = \"pamap2\"\ndata = \"" +
      testing::make_pamap2_dir(dir) +
      "\"\nrepeats = 1\n[grid]\nbatch_sizes = [64, 256, 1024, 4096]\n"
      "learning_rates = [0.1, 0.01, 0.001, 0.0001]\n[training]\nmax_epochs = 40\n"
      "patience = 3\nmin_delta = 0.001\n[energy]\ninterval_s = 0.1\n";
  return parse_experiment(text, "search.toml");
}

SearchOptions options_for(const std::string& db, const std::string& target) {
  SearchOptions o;
  o.db_path = db;
  o.target = parse_search_target(target);
  o.first_epochs = 3;
  o.eta = 4;
  return o;
}

// The truth: energy to reach the target on each setup's own curve, played
// under the rule; the cheapest setup's name.
std::string cheapest_to(double target, const ExperimentConfig& c, double* energy) {
  std::string best;
  *energy = INFINITY;
  for (int bs : c.batch_sizes) {
    for (double lr : c.learning_rates) {
      const Physics p = physics_of(bs, lr);
      EarlyStopping rule({c.patience, c.min_delta, c.max_epochs, false});
      while (!rule.should_stop()) {
        const double acc = accuracy(p, rule.epochs() + 1);
        rule.update(acc);
        if (acc >= target) break;
      }
      const double e = rule.epochs() * p.epoch_mwh;
      if (accuracy(p, rule.epochs()) >= target && e < *energy) {
        *energy = e;
        best = setup_name(bs, lr);
      }
    }
  }
  return best;
}

TEST(SearchSchedule, RungSizesHalveByEta) {
  EXPECT_EQ(rung_sizes(16, 4), (std::vector<int>{16, 4}));
  EXPECT_EQ(rung_sizes(16, 2), (std::vector<int>{16, 8, 4, 2}));
  EXPECT_EQ(rung_sizes(10, 3), (std::vector<int>{10, 4, 2}));
  EXPECT_EQ(rung_sizes(3, 4), (std::vector<int>{3}));
  EXPECT_THROW(rung_sizes(16, 1), std::invalid_argument);
}

TEST(SearchSchedule, RungEpochsAreTheBudgetShareAtTheSetupsEpochEnergy) {
  EXPECT_EQ(rung_epochs(90, 4, 2.0, 3, 40), 11);  // 22.5 mWh / 2 = 11.25
  EXPECT_EQ(rung_epochs(90, 4, 0.5, 3, 40), 40);  // 45 > max_epochs
  EXPECT_EQ(rung_epochs(90, 4, 30.0, 3, 40), 4);  // less than 1 epoch: previous + 1
  EXPECT_EQ(rung_epochs(0, 4, 0.0, 3, 40), 4);    // nothing measured: previous + 1
}

TEST(SearchTarget, ParsesAbsoluteAndRelative) {
  EXPECT_FALSE(parse_search_target("0.85").relative);
  EXPECT_DOUBLE_EQ(parse_search_target("0.85").value, 0.85);
  EXPECT_TRUE(parse_search_target("best-0.02").relative);
  EXPECT_DOUBLE_EQ(parse_search_target("best-0.02").value, 0.02);
  EXPECT_THROW(parse_search_target("0.8x"), std::invalid_argument);
  EXPECT_THROW(parse_search_target("best-"), std::invalid_argument);
  EXPECT_THROW(parse_search_target("-1"), std::invalid_argument);
}

// Rung 0: 16 setups x 3 epochs, spending 3 x 4 x (4 + 2 + 1 + 0.5) = 90 mWh.
// By hand, epochs to 0.85 (first t with 0.6 exp(-c (t - 1)) <= A - 0.85) and
// energy: bs 4096 lr 0.1 (A .88, c .5) 7 epochs, 3.5 mWh; bs 4096 lr 0.01
// (A .92, c 1/3) 8, 4 mWh; bs 4096 lr 0.001 (A .88, c .25) 13, 6.5 mWh;
// bs 1024 lr 0.1 (A .89, c .5) 7, 7 mWh; every other setup costs more. These
// four go on to rung 1, each with 90 / 4 = 22.5 mWh: 22 epochs at 1 mWh, 45
// at 0.5 (40, the maximum), capped at the predicted target epoch plus one:
// 8, 9, 14 and 8 epochs.
TEST(Search, RungsAndBudgetsOnAKnownGrid) {
  TempDir dir;
  const ExperimentConfig config = experiment(dir);
  Log log;
  const SearchResult r =
      run_search(config, options_for(dir / "s.db", "0.85"), physics_runner(&log));
  ASSERT_TRUE(r.finished);
  ASSERT_EQ(r.rungs.size(), 2u);
  EXPECT_EQ(r.rungs[0].setups.size(), 16u);
  EXPECT_NEAR(r.rungs[0].spent_mwh, 90.0, 1e-9);
  EXPECT_EQ(r.rungs[1].setups.size(), 4u);
  EXPECT_NEAR(r.rungs[1].budget_mwh, 90.0, 1e-9);
  const std::map<std::string, int> want = {{setup_name(4096, 0.1), 8},
                                           {setup_name(4096, 0.01), 9},
                                           {setup_name(4096, 0.001), 14},
                                           {setup_name(1024, 0.1), 8}};
  ASSERT_EQ(log.calls.size(), 20u);  // 16 + 4: no setup ran twice in a rung
  for (std::size_t i = 0; i < 16; ++i) {
    const std::string& call = log.calls[i];
    EXPECT_EQ(call.substr(call.find(' ') + 1), "3") << call;
  }
  std::map<std::string, int> got;
  for (std::size_t i = 16; i < 20; ++i) {
    const std::string& call = log.calls[i];
    got[call.substr(0, call.find(' '))] = std::stoi(call.substr(call.find(' ') + 1));
  }
  EXPECT_EQ(got, want);
  EXPECT_NEAR(r.spent_mwh, r.rungs[0].spent_mwh + r.rungs[1].spent_mwh, 1e-9);
  EXPECT_LE(r.rungs[1].spent_mwh, 90.0 + 1e-9);
  double truth_mwh = 0;
  const std::string truth = cheapest_to(0.85, config, &truth_mwh);
  ASSERT_TRUE(r.chosen);
  EXPECT_EQ(r.chosen->plan.setup_name, truth);
  EXPECT_NEAR(r.chosen->cost_mwh, truth_mwh, 1e-6);
}

TEST(Search, AStoppedSearchResumesWithoutRedoingARunAndChoosesTheSame) {
  TempDir dir;
  const ExperimentConfig config = experiment(dir);
  Log whole_log;
  const SearchResult whole =
      run_search(config, options_for(dir / "whole.db", "best-0.02"), physics_runner(&whole_log));
  ASSERT_TRUE(whole.finished);

  Log log;
  SearchOptions o = options_for(dir / "resumed.db", "best-0.02");
  o.max_runs = 10;  // stops within rung 0
  SearchResult part = run_search(config, o, physics_runner(&log));
  EXPECT_FALSE(part.finished);
  EXPECT_EQ(part.ran, 10);
  o.max_runs = 8;  // the rest of rung 0 and 2 of rung 1
  part = run_search(config, o, physics_runner(&log));
  EXPECT_FALSE(part.finished);
  EXPECT_EQ(part.ran, 8);
  {
    // A run left `running` by a process that died: the next call reruns it.
    Store store(dir / "resumed.db");
    const pid_t child = fork();
    if (child == 0) _exit(0);
    waitpid(child, nullptr, 0);
    for (auto run : store.runs()) {
      if (run.status != RunStatus::kPending) continue;
      run.status = RunStatus::kRunning;
      run.pid = child;
      run.host = [] {
        char name[256] = {0};
        gethostname(name, sizeof(name) - 1);
        return std::string(name);
      }();
      store.update_run(run);
      break;
    }
  }
  o.max_runs = -1;
  const SearchResult resumed = run_search(config, o, physics_runner(&log));
  ASSERT_TRUE(resumed.finished);
  EXPECT_EQ(resumed.ran, 2);
  EXPECT_EQ(log.calls, whole_log.calls);  // same runs, same order, none twice
  for (const auto& [call, n] : log.count) EXPECT_EQ(n, 1) << call;
  EXPECT_EQ(resumed.chosen->plan.setup_name, whole.chosen->plan.setup_name);
  EXPECT_NEAR(resumed.spent_mwh, whole.spent_mwh, 1e-9);
  // A finished search run again runs nothing and reads the same choice.
  const SearchResult again = run_search(config, o, physics_runner(&log));
  EXPECT_EQ(again.ran, 0);
  EXPECT_EQ(again.chosen->plan.setup_name, whole.chosen->plan.setup_name);
  const Store store(dir / "resumed.db", Store::Mode::kReadOnly);
  const auto read = read_search(store);
  ASSERT_TRUE(read && read->chosen);
  EXPECT_EQ(read->chosen->plan.setup_name, whole.chosen->plan.setup_name);
}

// Two shards on one database, in two threads: each runs its half of every
// rung, waits for the other's, and both reach the whole search's choice.
TEST(Search, ShardsShareTheDatabaseAndRunEachRunOnce) {
  TempDir dir;
  const ExperimentConfig config = experiment(dir);
  Log whole_log;
  const SearchResult whole =
      run_search(config, options_for(dir / "whole.db", "0.85"), physics_runner(&whole_log));
  Log log;
  SearchResult results[2];
  std::vector<std::thread> shards;
  for (int i = 0; i < 2; ++i) {
    shards.emplace_back([&, i] {
      SearchOptions o = options_for(dir / "shared.db", "0.85");
      o.shard = Shard{i + 1, 2};
      o.wait_poll_s = 0.05;
      try {
        results[i] = run_search(config, o, physics_runner(&log));
      } catch (const std::exception& e) {
        ADD_FAILURE() << "shard " << i + 1 << ": " << e.what();
      }
    });
  }
  for (auto& t : shards) t.join();
  EXPECT_EQ(log.calls.size(), whole_log.calls.size());
  for (const auto& [call, n] : log.count) EXPECT_EQ(n, 1) << call;
  EXPECT_EQ(results[0].ran + results[1].ran, static_cast<int>(whole_log.calls.size()));
  // Each shard ran exactly the whole search's runs of the setups it owns.
  for (int i = 0; i < 2; ++i) {
    const Shard shard{i + 1, 2};
    const auto owned = std::count_if(whole_log.groups.begin(), whole_log.groups.end(),
                                     [&](int g) { return shard.owns_group(g); });
    EXPECT_EQ(results[i].ran, static_cast<int>(owned)) << "shard " << i + 1;
    EXPECT_GT(owned, 0) << "the test's grid gives shard " << i + 1 << " no run";
  }
  for (const auto& r : results) {
    ASSERT_TRUE(r.chosen);
    EXPECT_EQ(r.chosen->plan.setup_name, whole.chosen->plan.setup_name);
    EXPECT_NEAR(r.spent_mwh, whole.spent_mwh, 1e-9);
  }
}

TEST(Search, RefusesAnotherSearchsDatabase) {
  TempDir dir;
  const ExperimentConfig config = experiment(dir);
  Log log;
  SearchOptions o = options_for(dir / "s.db", "0.85");
  o.max_runs = 1;
  run_search(config, o, physics_runner(&log));
  o.target = parse_search_target("0.9");
  EXPECT_THROW(run_search(config, o, physics_runner(&log)), std::invalid_argument);
}

}  // namespace
}  // namespace powertrain
