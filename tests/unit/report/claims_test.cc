// The claims' verdicts on runs with set physics, and diverged runs left out
// of every analysis.
#include "powertrain/report/claims.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "powertrain/report/analysis.h"
#include "powertrain/store/run_roles.h"

namespace powertrain {
namespace {

using ::testing::HasSubstr;

// A run of `epochs` epochs of `epoch_mwh` each.
RunData make_run(int id, const std::string& paradigm, const std::string& role,
                 const std::string& task, int batch_size, double lr, int repeat, int epochs,
                 double epoch_mwh, RunStatus status = RunStatus::kDone) {
  RunData d;
  d.label = std::to_string(id);
  d.run.id = id;
  d.run.paradigm = paradigm;
  d.run.role = role;
  d.run.task = task;
  d.run.device = "cpu";
  d.run.batch_size = batch_size;
  d.run.learning_rate = lr;
  d.run.repeat = repeat;
  d.run.status = status;
  d.run.pue = 1;
  d.run.interval_s = 1;
  for (int k = 1; k <= epochs; ++k) {
    EpochRecord e;
    e.run_id = id;
    e.epoch = k;
    e.duration_s = 1;
    e.energy_mwh = epoch_mwh;
    e.source = EnergySource::kSampled;
    d.epochs.push_back(e);
  }
  return d;
}

const ClaimFinding* find(const StudyReport& r, const std::string& id) {
  for (const auto& c : r.claims) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

// Energy per epoch set by batch size (with a +-1 % repeat wobble), epochs by
// learning rate: both factor claims hold.
std::vector<RunData> regime_runs(int repeats) {
  std::vector<RunData> runs;
  int id = 0;
  for (int repeat = 1; repeat <= repeats; ++repeat) {
    for (int bs : {64, 256, 1024}) {
      for (double lr : {0.1, 0.01, 0.001}) {
        const double per_epoch = 1000.0 / bs * (repeat % 2 ? 1.01 : 0.99);
        const int epochs = lr == 0.1 ? 3 : lr == 0.01 ? 6 : 12;
        runs.push_back(make_run(++id, roles::kRegime, roles::kClassifier, "pamap2", bs, lr, repeat,
                                epochs + (repeat - 1) % 2, per_epoch));
      }
    }
  }
  return runs;
}

TEST(Claims, FactorClaimsConfirmedWithRepeats) {
  StudyReport r = analyze(regime_runs(2));
  const auto* bs = find(r, "batch-size-energy-per-epoch");
  const auto* lr = find(r, "learning-rate-epochs");
  ASSERT_TRUE(bs && lr);
  EXPECT_EQ(bs->verdict, kConfirmed) << bs->text();
  EXPECT_THAT(bs->ours, HasSubstr("F(2, 9)"));  // 3 levels; 3*3*(2-1) error df
  EXPECT_EQ(lr->verdict, kConfirmed) << lr->text();
  EXPECT_THAT(bs->study, HasSubstr("30.8 to 110.4"));
}

TEST(Claims, FactorClaimsNotTestableWithOneRepeat) {
  StudyReport r = analyze(regime_runs(1));
  const auto* bs = find(r, "batch-size-energy-per-epoch");
  ASSERT_TRUE(bs);
  EXPECT_EQ(bs->verdict, kNotTestable);
  EXPECT_THAT(bs->why, HasSubstr("2 repeats"));
}

TEST(Claims, BestOfWorstWithInterval) {
  // Best (bs 1024, lr 0.1): 3 epochs x 0.98 mWh; worst (bs 64, lr 0.001): 12 x 15.6.
  // Repeat 1: 3 * 1000/1024*1.01 / (12 * 1000/64*1.01) = 3*64 / (12*1024) = 1.5625 %;
  // repeat 2: 4*0.99*1000/1024 / (13*0.99*1000/64) = 4*64 / (13*1024) = 1.923 %.
  StudyReport r = analyze(regime_runs(2));
  const auto* c = find(r, "best-vs-worst");
  ASSERT_TRUE(c);
  const double mean = (100.0 * 3 * 64 / (12 * 1024) + 100.0 * 4 * 64 / (13 * 1024)) / 2;
  EXPECT_THAT(c->ours, HasSubstr(fmt::format("{:.1f} %", mean)));
  EXPECT_THAT(c->ours, HasSubstr("95 % interval"));
  EXPECT_EQ(c->verdict, kNotConfirmed);  // far below the study's ~20 %
  EXPECT_THAT(c->why, HasSubstr("below"));
}

TEST(Claims, FreezingAndMultitaskPaired) {
  std::vector<RunData> runs;
  int id = 0;
  for (int repeat = 1; repeat <= 2; ++repeat) {
    // Frozen 40 % of unfrozen in repeat 1, 42 % in repeat 2: saves 60 and 58 %.
    const double frozen = repeat == 1 ? 4 : 4.2;
    runs.push_back(make_run(++id, roles::kPretraining, roles::kAutoencoder, "pamap2-autoencoder",
                            64, 0.01, repeat, 10, 10));
    runs.push_back(make_run(++id, roles::kPretraining, roles::kFrozen, "pamap2-classifier", 64,
                            0.01, repeat, 1, frozen));
    runs.push_back(make_run(++id, roles::kPretraining, roles::kUnfrozen, "pamap2-classifier", 64,
                            0.01, repeat, 1, 10));
    // Baseline 14: E_enc / (14 - frozen) = 100 / 10 = 10 and 100 / 9.8 = 10.2 cycles.
    runs.push_back(
        make_run(++id, roles::kPretraining, roles::kBaseline, "pamap2", 64, 0.01, repeat, 1, 14));
    // Multitask: apart 6 + 4 = 10, both 7 and 8: saves 30 and 20 %.
    runs.push_back(make_run(++id, roles::kMultitask, roles::kAttributes, "celeba-attributes", 64,
                            0.01, repeat, 6, 1));
    runs.push_back(make_run(++id, roles::kMultitask, roles::kIdentity, "celeba-identity", 64, 0.01,
                            repeat, 4, 1));
    runs.push_back(make_run(++id, roles::kMultitask, roles::kBoth, "celeba-multitask", 64, 0.01,
                            repeat, repeat == 1 ? 7 : 8, 1));
  }
  StudyReport r = analyze(runs);
  const auto* freeze = find(r, "freezing");
  ASSERT_TRUE(freeze);
  // 59 +- t(0.975, 1) x 1 = 59 +- 12.7: within 4 x the study's band, meets it.
  EXPECT_THAT(freeze->ours, HasSubstr("59.0 % (95 % interval 46.3 to 71.7 %"));
  EXPECT_EQ(freeze->verdict, kConfirmed) << freeze->text();
  const auto* be = find(r, "break-even");
  ASSERT_TRUE(be);
  EXPECT_THAT(be->ours, HasSubstr(fmt::format("{:.2f} cycles", (10 + 100.0 / 9.8) / 2)));
  EXPECT_EQ(be->verdict, kConfirmed) << be->text();
  const auto* mt = find(r, "multitask");
  ASSERT_TRUE(mt);
  EXPECT_THAT(mt->ours, HasSubstr("25.0 %"));
  // Two repeats, 30 and 20 %: t(0.975, 1) * 5 = 63.5 > 25: the interval includes 0.
  EXPECT_EQ(mt->verdict, kNotConfirmed) << mt->text();
  EXPECT_THAT(mt->why, HasSubstr("includes 0"));
}

TEST(Claims, AnIntervalTooWideToTellIsNotTestable) {
  std::vector<RunData> runs;
  int id = 0;
  for (int repeat = 1; repeat <= 2; ++repeat) {
    // Savings 60 and 40 %: 50 +- 12.706 x 10 = -77 to 177 %, 13 x the band's width.
    runs.push_back(make_run(++id, roles::kPretraining, roles::kFrozen, "pamap2-classifier", 64,
                            0.01, repeat, 1, repeat == 1 ? 4 : 6));
    runs.push_back(make_run(++id, roles::kPretraining, roles::kUnfrozen, "pamap2-classifier", 64,
                            0.01, repeat, 1, 10));
  }
  StudyReport r = analyze(runs);
  const auto* freeze = find(r, "freezing");
  ASSERT_TRUE(freeze);
  EXPECT_EQ(freeze->verdict, kNotTestable);
  EXPECT_THAT(freeze->why, HasSubstr("more repeats are needed"));
  EXPECT_THAT(freeze->why, HasSubstr("-77.1 to 177.1 %"));
}

TEST(Divergence, DivergedRunIsNeverTheCheapest) {
  std::vector<RunData> runs = regime_runs(1);
  // lr 1e5 blew up in epoch 2: the cheapest run by far, if it counted.
  runs.push_back(make_run(100, roles::kRegime, roles::kClassifier, "pamap2", 1024, 1e5, 1, 2, 0.1,
                          RunStatus::kDiverged));
  runs.back().run.error = "training loss 5e+04 in epoch 2 is above 10 x the untrained model's 1";
  StudyReport r = analyze(runs);
  ASSERT_EQ(r.diverged.size(), 1u);
  EXPECT_EQ(r.diverged[0].run.learning_rate, 1e5);
  EXPECT_DOUBLE_EQ(r.diverged[0].energy_mwh, 0.2);
  EXPECT_EQ(r.left_out["diverged"], 1);
  for (const auto& run : r.runs) EXPECT_NE(run.run.learning_rate, 1e5);
  ASSERT_EQ(r.figure3.size(), 1u);
  for (const auto& e : r.figure3[0].setups) EXPECT_NE(e.learning_rate, 1e5);
  EXPECT_EQ(r.figure3[0].best_setup, 9);  // bs 1024, lr 0.1 in Table 1
  ASSERT_EQ(r.table2.size(), 1u);
  for (double lr : r.table2[0].learning_rates) EXPECT_NE(lr, 1e5);
  for (const auto& f : r.findings) EXPECT_THAT(f.text, ::testing::Not(HasSubstr("lr 100000")));
  // The energy it spent still counts in the carbon: 9 runs + 0.2 mWh.
  double counted = 0;
  for (const auto& run : r.runs) counted += run.energy_mwh;
  EXPECT_NEAR(r.carbon.rows.back().energy_mwh, counted + 0.2, 1e-9);
}

TEST(SetupLabel, KeepsTable1NumbersAndNamesTheRest) {
  EXPECT_EQ(setup_label(4, 256, 0.001), "7");  // an old sweep's renumbered 4 is Table 1's 7
  EXPECT_EQ(setup_label(0, 128, 0.05), "bs128-lr0.05");
  EXPECT_EQ(setup_label(0, 4096, 0.0001), "16");
}

}  // namespace
}  // namespace powertrain
