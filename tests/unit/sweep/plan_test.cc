#include "powertrain/sweep/plan.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <stdexcept>

#include "powertrain/store/run_roles.h"

namespace powertrain {
namespace {

ExperimentConfig config(const std::string& paradigm, int repeats = 2) {
  ExperimentConfig c;
  c.name = "t";
  c.paradigm = paradigm;
  c.task = paradigm == roles::kRegime      ? "pamap2"
           : paradigm == roles::kMultitask ? "celeba"
                                           : "pamap2";
  c.repeats = repeats;
  c.seed = 10;
  return c;
}

TEST(Plan, SetupsAreNumberedAsInTable1) {
  auto plan = expand_plan(config(roles::kRegime));
  ASSERT_EQ(plan.size(), 32u);
  const int bs[] = {64,   64,   64,   64,   256,  256,  256,  256,
                    1024, 1024, 1024, 1024, 4096, 4096, 4096, 4096};
  const double lr[] = {0.1, 0.01, 0.001, 0.0001};
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(plan[i].setup, i + 1);
    EXPECT_EQ(plan[i].batch_size, bs[i]);
    EXPECT_DOUBLE_EQ(plan[i].learning_rate, lr[i % 4]);
    EXPECT_EQ(plan[i].repeat, 1);
    EXPECT_EQ(plan[i].role, roles::kClassifier);
    EXPECT_EQ(plan[i].task, "pamap2");
    EXPECT_EQ(plan[16 + i].setup, i + 1);
    EXPECT_EQ(plan[16 + i].repeat, 2);
    EXPECT_NE(plan[i].seed, plan[16 + i].seed);  // repeats differ
  }
  std::set<std::string> keys;
  for (const auto& p : plan) keys.insert(p.key());
  EXPECT_EQ(keys.size(), plan.size());
}

TEST(Plan, ReducedGridKeepsTable1NumbersAndNamesOthers) {
  auto c = config(roles::kRegime, 1);
  c.batch_sizes = {256, 128};
  c.learning_rates = {0.001, 0.05};
  auto plan = expand_plan(c);
  ASSERT_EQ(plan.size(), 4u);
  // (256, 0.001) is Table 1's setup 7, not "setup 1" of this grid.
  EXPECT_EQ(plan[0].setup, 7);
  EXPECT_EQ(plan[0].setup_name, "7");
  EXPECT_EQ(plan[0].key(), "setup 7 repeat 1 classifier");
  // Outside Table 1: a name, never a number Table 1 gives to another pair.
  EXPECT_EQ(plan[1].setup, 0);
  EXPECT_EQ(plan[1].setup_name, "bs256-lr0.05");
  EXPECT_EQ(plan[2].setup_name, "bs128-lr0.001");
  EXPECT_EQ(plan[3].key(), "setup bs128-lr0.05 repeat 1 classifier");
  EXPECT_EQ(table1_setup(4096, 0.0001), 16);
  EXPECT_EQ(table1_setup(64, 0.1), 1);
  EXPECT_EQ(table1_setup(64, 0.2), 0);
  // A stored run's key comes from its batch size and learning rate, so an
  // older database that stored this grid's own numbering still matches.
  RunRecord r;
  r.setup = 1;
  r.batch_size = 256;
  r.learning_rate = 0.001;
  r.repeat = 1;
  r.role = roles::kClassifier;
  EXPECT_EQ(run_key(r), plan[0].key());
}

TEST(Plan, PretrainingGroupsRunAutoencoderFirst) {
  auto plan = expand_plan(config(roles::kPretraining, 1));
  ASSERT_EQ(plan.size(), 64u);
  for (int s = 0; s < 16; ++s) {
    const auto* g = &plan[s * 4];
    EXPECT_EQ(g[0].role, roles::kAutoencoder);
    EXPECT_TRUE(g[0].saves_encoder);
    EXPECT_EQ(g[0].task, "pamap2-autoencoder");
    EXPECT_EQ(g[1].role, roles::kFrozen);
    EXPECT_TRUE(g[1].needs_encoder && g[1].freeze_encoder);
    EXPECT_EQ(g[2].role, roles::kUnfrozen);
    EXPECT_TRUE(g[2].needs_encoder && !g[2].freeze_encoder);
    EXPECT_EQ(g[3].role, roles::kBaseline);
    EXPECT_FALSE(g[3].needs_encoder);
    EXPECT_EQ(g[3].task, "pamap2");
    for (int k = 0; k < 4; ++k) {
      EXPECT_EQ(g[k].setup, s + 1);
      EXPECT_EQ(g[k].group, g[0].group);
    }
  }
}

TEST(Plan, MultitaskRolesAndAlpha) {
  auto c = config(roles::kMultitask, 1);
  c.alpha = 0.3;
  auto plan = expand_plan(c);
  ASSERT_EQ(plan.size(), 48u);
  EXPECT_EQ(plan[0].task, "celeba-attributes");
  EXPECT_FALSE(plan[0].alpha);
  EXPECT_EQ(plan[1].task, "celeba-identity");
  EXPECT_EQ(plan[2].task, "celeba-multitask");
  ASSERT_TRUE(plan[2].alpha);
  EXPECT_DOUBLE_EQ(*plan[2].alpha, 0.3);
}

TEST(Plan, ShardsPartitionGroups) {
  auto plan = expand_plan(config(roles::kPretraining, 2));
  for (int n : {1, 3, 5}) {
    std::multiset<int> seen;
    for (int i = 1; i <= n; ++i) {
      Shard shard{i, n};
      for (const auto& p : plan) {
        if (shard.owns_group(p.group)) seen.insert(p.index);
      }
    }
    EXPECT_EQ(seen.size(), plan.size());
    EXPECT_EQ(std::set<int>(seen.begin(), seen.end()).size(), plan.size());
  }
}

TEST(Plan, ParseShard) {
  auto s = parse_shard("2/4");
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 4);
  EXPECT_TRUE(s.active());
  EXPECT_THROW(parse_shard("0/4"), std::invalid_argument);
  EXPECT_THROW(parse_shard("5/4"), std::invalid_argument);
  EXPECT_THROW(parse_shard("2"), std::invalid_argument);
  EXPECT_THROW(parse_shard("a/b"), std::invalid_argument);
}

TEST(Plan, ShardFromSlurmEnvironment) {
  unsetenv("SLURM_ARRAY_TASK_ID");
  unsetenv("SLURM_ARRAY_TASK_COUNT");
  unsetenv("SLURM_ARRAY_TASK_MIN");
  EXPECT_FALSE(shard_from_environment());
  setenv("SLURM_ARRAY_TASK_ID", "2", 1);
  setenv("SLURM_ARRAY_TASK_COUNT", "4", 1);
  auto s = shard_from_environment();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->index, 3);  // 0-based array ids
  EXPECT_EQ(s->count, 4);
  setenv("SLURM_ARRAY_TASK_MIN", "1", 1);
  EXPECT_EQ(shard_from_environment()->index, 2);
  setenv("SLURM_ARRAY_TASK_ID", "9", 1);
  EXPECT_THROW(shard_from_environment(), std::invalid_argument);
  unsetenv("SLURM_ARRAY_TASK_ID");
  unsetenv("SLURM_ARRAY_TASK_COUNT");
  unsetenv("SLURM_ARRAY_TASK_MIN");
}

}  // namespace
}  // namespace powertrain
