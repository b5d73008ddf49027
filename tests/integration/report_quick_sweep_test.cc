// A report of the quick sweep (experiments/quick.toml) and of the two
// paradigm experiments, each run through the real sweep with a fake trainer
// (no LibTorch): the report must read what the sweep writes (its paradigm,
// role and task names) and give the figures the fake's energies imply.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "powertrain/report/report.h"
#include "powertrain/store/run_roles.h"
#include "powertrain/sweep/simulated_runner.h"
#include "powertrain/sweep/sweep.h"
#include "support/test_util.h"

namespace powertrain {
namespace {

using testing::powertrain_binary;
using testing::run_program;
using testing::TempDir;

// Energy per epoch falls with batch size; epochs fall with learning rate.
// Roles scale the energy of a run: autoencoder 2, frozen 0.3, unfrozen 0.7,
// baseline 1; multitask roles train 6, 4 and 3 epochs.
double role_factor(const std::string& role) {
  if (role == roles::kAutoencoder) return 2.0;
  if (role == roles::kFrozen) return 0.3;
  if (role == roles::kUnfrozen) return 0.7;
  return 1.0;
}

int role_epochs(const PlannedRun& plan) {
  if (plan.role == roles::kAttributes) return 6;
  if (plan.role == roles::kIdentity) return 4;
  if (plan.role == roles::kBoth) return 3;
  return plan.learning_rate >= 0.01 ? 2 : 4;
}

RunOutcome fake_trainer(const RunRequest& request, const RunProgressFn&) {
  const PlannedRun& plan = request.plan;
  const double per_epoch_mwh = role_factor(plan.role) * 400.0 / std::sqrt(plan.batch_size / 64.0);
  // The sweep hands the autoencoder's encoder file to the classifiers of its group.
  if (plan.saves_encoder) testing::write_file(request.encoder_out, plan.key());
  RunOutcome outcome;
  outcome.epochs_run = role_epochs(plan);
  for (int k = 1; k <= outcome.epochs_run; ++k) {
    EpochRecord e;
    e.run_id = request.run_id;
    e.epoch = k;
    e.started_at_s = 1700000000 + 10.0 * k;
    e.duration_s = 10;
    e.energy_mwh = per_epoch_mwh;
    e.mean_power_mw = per_epoch_mwh * 360;
    e.n_samples = 10;
    e.coverage = 1;
    e.source = EnergySource::kSampled;
    request.store->put_epoch(e);
    outcome.energy_mwh += per_epoch_mwh;
  }
  outcome.final_metric = 0.5 + 0.1 * std::log10(plan.batch_size);
  outcome.metric_name = "accuracy";
  outcome.sensors = "fake";
  return outcome;
}

StudyReport sweep_and_analyze(const std::string& experiment, const std::string& db) {
  ExperimentConfig config =
      load_experiment(std::string(POWERTRAIN_SOURCE_DIR) + "/experiments/" + experiment);
  config.data_dir = kGeneratedData;  // the fake trainer reads no data
  SweepOptions options;
  options.db_path = db;
  const SweepSummary summary = run_sweep(config, options, fake_trainer);
  EXPECT_EQ(summary.failed, 0);
  Store store(db);
  return analyze(load_runs(store));
}

TEST(ReportQuickSweep, Table2AndFigure3CoverTheSixteenSetups) {
  TempDir dir;
  const std::string db = dir / "quick.db";
  const StudyReport report = sweep_and_analyze("quick.toml", db);
  EXPECT_EQ(report.runs.size(), 16u);
  EXPECT_TRUE(report.left_out.empty());
  ASSERT_EQ(report.table2.size(), 1u);
  const auto& m = report.table2[0];
  EXPECT_EQ(m.scenario.task, "pamap2");
  ASSERT_EQ(m.batch_sizes, (std::vector<int>{64, 256, 1024, 4096}));
  ASSERT_EQ(m.learning_rates, (std::vector<double>{0.1, 0.01, 0.001, 0.0001}));
  for (size_t i = 0; i < 4; ++i) {
    for (size_t j = 0; j < 4; ++j) {
      ASSERT_TRUE(m.cells[i][j]);
      EXPECT_NEAR(m.cells[i][j]->value, 400.0 / std::sqrt(m.batch_sizes[i] / 64.0), 1e-9);
    }
  }
  // Per-epoch energy depends on batch size only.
  EXPECT_NEAR(m.batch_size_share_percent, 100, 1e-9);
  ASSERT_EQ(report.figure3.size(), 1u);
  const auto& r = report.figure3[0];
  ASSERT_EQ(r.setups.size(), 16u);
  EXPECT_EQ(r.worst_setup, 3);  // batch 64 with 4 epochs (lr 0.001 is the first with 4)
  EXPECT_EQ(r.best_setup, 13);  // batch 4096 with 2 epochs
  EXPECT_NEAR(r.setups[12].percent_of_worst, 100.0 * (50 * 2) / (400 * 4), 1e-9);

  auto text = run_program({powertrain_binary(), "report", db});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("16 runs counted"), std::string::npos);
  EXPECT_NE(text.out.find("Table 2: pamap2 on cpu"), std::string::npos);
}

TEST(ReportQuickSweep, PretrainingAndMultitaskParadigms) {
  TempDir dir;
  const StudyReport pre = sweep_and_analyze("pretrain-pamap2.toml", dir / "pre.db");
  EXPECT_EQ(pre.runs.size(), 16u * 2 * 4);
  ASSERT_EQ(pre.break_even.size(), 1u);
  const auto& b = pre.break_even[0];
  EXPECT_EQ(b.scenario.task, "pamap2");
  ASSERT_EQ(b.per_setup.size(), 16u);
  // x = 2 E / (E - 0.3 E) for every setup; unfrozen 2 E / (E - 0.7 E).
  for (const auto& s : b.per_setup) {
    ASSERT_TRUE(s.cycles_frozen);
    EXPECT_NEAR(*s.cycles_frozen, 2.0 / 0.7, 1e-9);
    EXPECT_NEAR(*s.cycles_unfrozen, 2.0 / 0.3, 1e-9);
    EXPECT_EQ(s.n_repeats, 2);
  }
  EXPECT_EQ(b.per_repeat.size(), 32u);
  ASSERT_EQ(pre.table3.size(), 1u);
  EXPECT_NEAR(pre.table3[0].saving_percent, 100.0 * 0.4 / 0.7, 1e-9);

  // The document shows each paired repeat too, as there are two repeats.
  bool repeats_table = false;
  for (const auto& section : build_document(pre).sections) {
    for (const auto& t : section.tables) {
      if (t.id == "break_even_repeats_pamap2_cpu") repeats_table = t.rows.size() == 32;
    }
  }
  EXPECT_TRUE(repeats_table);

  const StudyReport multi = sweep_and_analyze("multitask-celeba.toml", dir / "multi.db");
  ASSERT_EQ(multi.table4.size(), 1u);
  EXPECT_EQ(multi.table4[0].scenario.task, "celeba");
  ASSERT_EQ(multi.table4[0].roles.size(), 3u);
  EXPECT_NEAR(multi.table4[0].roles[0].mean_epochs, 6, 1e-12);
  EXPECT_NEAR(multi.table4[0].roles[2].mean_epochs, 3, 1e-12);
  bool multitask_finding = false;
  for (const auto& f : multi.findings) {
    multitask_finding =
        multitask_finding ||
        (f.topic == "multitask" && f.text.find("less than either task alone") != std::string::npos);
  }
  EXPECT_TRUE(multitask_finding);
}

// The quick experiment with one setup's learning rate at 1e5, through the
// simulated runner (1 mWh per epoch, 4 epochs; a learning rate above 1 blows
// the loss up 1e5-fold in epoch 2, past 10 x the untrained model's 1).
TEST(ReportQuickSweep, DivergedSetupIsListedAndNeverTheCheapest) {
  TempDir dir;
  const std::string toml = dir / "diverge.toml";
  testing::write_file(toml,
                      "name = \"diverge\"\ntask = \"pamap2\"\ndata = \"<generated>\"\n"
                      "[grid]\nbatch_sizes = [64, 256]\nlearning_rates = [0.01, 1e5]\n");
  ExperimentConfig config = load_experiment(toml);
  SweepOptions options;
  options.db_path = dir / "diverge.db";
  SimulatedRunnerOptions simulated;
  simulated.epochs = 4;
  simulated.epoch_mwh = 1.0;
  const SweepSummary summary = run_sweep(config, options, make_simulated_runner(simulated));
  EXPECT_EQ(summary.diverged, 4);  // lr 1e5 at both batch sizes, 2 repeats (the default)
  EXPECT_EQ(summary.done, 4);
  Store store(options.db_path);
  const StudyReport report = analyze(load_runs(store));
  ASSERT_EQ(report.diverged.size(), 4u);
  for (const auto& d : report.diverged) {
    EXPECT_EQ(d.run.learning_rate, 1e5);
    EXPECT_EQ(d.n_epochs, 2);               // stopped in epoch 2
    EXPECT_NEAR(d.energy_mwh, 2.0, 1e-12);  // the energy it spent: 2 epochs x 1 mWh
    EXPECT_NE(d.run.error.find("above 10 x the untrained model's 1"), std::string::npos)
        << d.run.error;
  }
  EXPECT_EQ(report.runs.size(), 4u);
  ASSERT_EQ(report.figure3.size(), 1u);
  for (const auto& e : report.figure3[0].setups) EXPECT_EQ(e.learning_rate, 0.01);
  // Cheapest among the counted runs: 4 mWh each; a diverged run (2 mWh) would have won.
  const auto& best = report.figure3[0].setups;
  EXPECT_NEAR(best[0].mean_energy_mwh, 4.0, 1e-12);
  for (const auto& f : report.findings) {
    EXPECT_EQ(f.text.find("lr 100000"), std::string::npos) << f.text;
  }

  auto text = run_program({powertrain_binary(), "report", options.db_path});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("4 runs diverged and are left out"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Diverged runs and the energy they used"), std::string::npos);
  // The cheapest-setup finding names a counted setup: Table 1's 2 or 6 (lr 0.01).
  const auto cheapest = text.out.find("the cheapest setup");
  ASSERT_NE(cheapest, std::string::npos) << text.out;
  const std::string sentence = text.out.substr(cheapest, 120);
  EXPECT_NE(sentence.find("lr 0.01"), std::string::npos) << sentence;
  EXPECT_EQ(sentence.find("100000"), std::string::npos) << sentence;
}

// A small regime sweep with 2 repeats: each claim with a verdict, the study's
// figure and an interval. Energy per epoch falls with batch size, epochs with
// learning rate; repeat 2 runs 2 % hotter and one epoch longer.
TEST(ReportQuickSweep, ClaimsWithVerdictsAndIntervals) {
  TempDir dir;
  const std::string toml = dir / "claims.toml";
  testing::write_file(toml,
                      "name = \"claims\"\ntask = \"pamap2\"\ndata = \"<generated>\"\n"
                      "repeats = 2\n[grid]\nbatch_sizes = [64, 1024]\n"
                      "learning_rates = [0.1, 0.0001]\n");
  ExperimentConfig config = load_experiment(toml);
  SweepOptions options;
  options.db_path = dir / "claims.db";
  auto runner = [](const RunRequest& request, const RunProgressFn&) {
    const PlannedRun& p = request.plan;
    const double per_epoch = 400.0 / std::sqrt(p.batch_size / 64.0) * (p.repeat == 2 ? 1.02 : 1);
    RunOutcome outcome;
    outcome.epochs_run = (p.learning_rate >= 0.01 ? 2 : 8) + (p.repeat - 1);
    for (int k = 1; k <= outcome.epochs_run; ++k) {
      EpochRecord e;
      e.run_id = request.run_id;
      e.epoch = k;
      e.duration_s = 10;
      e.energy_mwh = per_epoch;
      e.source = EnergySource::kSampled;
      request.store->put_epoch(e);
    }
    return outcome;
  };
  run_sweep(config, options, runner);
  Store store(options.db_path);
  const StudyReport report = analyze(load_runs(store));
  std::map<std::string, const ClaimFinding*> claims;
  for (const auto& c : report.claims) claims[c.id] = &c;
  ASSERT_TRUE(claims.count("batch-size-energy-per-epoch"));
  EXPECT_EQ(claims["batch-size-energy-per-epoch"]->verdict, kConfirmed);
  EXPECT_EQ(claims["learning-rate-epochs"]->verdict, kConfirmed)
      << claims["learning-rate-epochs"]->text();
  // Best (1024, 0.1) over worst (64, 0.0001), per repeat:
  // r1 2 x 100 / (8 x 400) = 6.25 %; r2 3 x 102 / (9 x 408) = 8.33 %.
  const auto* best = claims["best-vs-worst"];
  EXPECT_NE(best->ours.find(fmt::format("{:.1f} %", (6.25 + 100.0 * 3 / 36) / 2)),
            std::string::npos)
      << best->ours;
  // Two repeats: mean 7.29 %, half-width t(0.975, 1) x |8.33 - 6.25| / 2 = 12.706 x 1.0417
  // = 13.24: the interval -5.9 to 20.5 % meets the study's 15 to 25 %, so the
  // claim cannot be rejected on two repeats.
  EXPECT_NE(best->ours.find("95 % interval -5.9 to 20.5 %"), std::string::npos) << best->ours;
  EXPECT_EQ(best->verdict, kConfirmed);
  EXPECT_EQ(claims["freezing"]->verdict, kNotTestable);
  EXPECT_EQ(claims["multitask"]->verdict, kNotTestable);

  auto text = run_program({powertrain_binary(), "report", options.db_path});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("The study's claims, tested"), std::string::npos);
  EXPECT_NE(text.out.find("30.8 to 110.4"), std::string::npos);  // the study's figure
  EXPECT_NE(text.out.find("confirmed"), std::string::npos);
  EXPECT_NE(text.out.find("not testable here"), std::string::npos);
}

}  // namespace
}  // namespace powertrain
