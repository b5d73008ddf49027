// Golden tests of the analyses on the hand-made database (numbers worked out
// by hand in report_test_db.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "powertrain/report/report.h"
#include "unit/report/report_test_db.h"

namespace powertrain {
namespace {

class AnalysisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("report_analysis_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    const auto db = (dir_ / "hand.db").string();
    testing::make_hand_database(db);
    Store store(db);
    ReportOptions options;
    options.carbon.g_per_kwh = 500;
    report_ = analyze(load_runs(store), options);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  const RunSummary& run_with(const std::string& role, int setup, int repeat) {
    for (const auto& r : report_.runs) {
      if (r.run.role == role && r.run.setup == setup && r.run.repeat == repeat) return r;
    }
    throw std::logic_error("no such run");
  }

  std::filesystem::path dir_;
  StudyReport report_;
};

TEST_F(AnalysisTest, CountsOnlyDoneRunsAndKeepsDivergedApart) {
  EXPECT_EQ(report_.runs.size(), 7u + 12u + 3u);
  ASSERT_EQ(report_.left_out.size(), 3u);
  EXPECT_EQ(report_.left_out.at("pending"), 1);
  EXPECT_EQ(report_.left_out.at("failed"), 1);
  EXPECT_EQ(report_.left_out.at("diverged"), 1);
  ASSERT_EQ(report_.diverged.size(), 1u);
  EXPECT_EQ(report_.diverged[0].run.setup, 6);
  EXPECT_NEAR(report_.diverged[0].energy_mwh, 50, 1e-9);  // spent, and listed
}

TEST_F(AnalysisTest, RunEnergyIsEquationOneSummedWithPue) {
  EXPECT_NEAR(run_with(roles::kClassifier, 1, 1).energy_mwh, 300, 1e-9);
  EXPECT_NEAR(run_with(roles::kClassifier, 1, 2).mean_epoch_energy_mwh, 120, 1e-9);
  const auto& attributes = run_with(roles::kAttributes, 1, 1);
  EXPECT_NEAR(attributes.energy_mwh, 100, 1e-9);  // 5 x 10 mWh x PUE 2
  EXPECT_DOUBLE_EQ(attributes.run.pue, 2.0);
  const auto& counter = run_with(roles::kClassifier, 5, 1);
  ASSERT_TRUE(counter.counter_energy_mwh);
  EXPECT_NEAR(*counter.counter_energy_mwh, 82, 1e-9);
  EXPECT_FALSE(run_with(roles::kClassifier, 5, 2).counter_energy_mwh);
  EXPECT_NEAR(counter.coverage, 0.9, 1e-12);
  EXPECT_EQ(counter.n_samples, 4);
  EXPECT_EQ(counter.source, "sampled");
  const auto& identity = run_with(roles::kIdentity, 1, 1);
  EXPECT_TRUE(identity.modelled);
  EXPECT_EQ(identity.source, "modelled");
  EXPECT_TRUE(report_.any_modelled);
}

TEST_F(AnalysisTest, Table2IsMeanEnergyPerEpochByBatchAndLearningRate) {
  ASSERT_EQ(report_.table2.size(), 1u);
  const auto& m = report_.table2[0];
  EXPECT_EQ(m.scenario.task, "pamap2");
  EXPECT_EQ(m.scenario.device, "cuda:0");
  ASSERT_EQ(m.batch_sizes, (std::vector<int>{64, 256}));
  ASSERT_EQ(m.learning_rates, (std::vector<double>{0.1, 0.01}));
  EXPECT_NEAR(m.cells[0][0]->value, 110, 1e-9);
  EXPECT_NEAR(m.cells[0][1]->value, 100, 1e-9);
  EXPECT_NEAR(m.cells[1][0]->value, 40, 1e-9);
  EXPECT_NEAR(m.cells[1][1]->value, 50, 1e-9);
  EXPECT_EQ(m.n_runs[1][1], 1);  // the diverged repeat does not count
  EXPECT_NEAR(m.batch_size_share_percent, 100.0 * 3600 / 3700, 1e-9);
  EXPECT_NEAR(m.learning_rate_share_percent, 0, 1e-9);
}

TEST_F(AnalysisTest, Figure3IsShareOfTheWorstSetup) {
  ASSERT_EQ(report_.figure3.size(), 1u);
  const auto& r = report_.figure3[0];
  EXPECT_EQ(r.worst_setup, 2);
  EXPECT_EQ(r.best_setup, 5);
  ASSERT_EQ(r.setups.size(), 4u);
  const double expected[] = {67.5, 100, 20, 37.5};  // setup 6: its done repeat only
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(r.setups[i].percent_of_worst, expected[i], 1e-9);
  EXPECT_NEAR(r.setups[0].repeat_percent_of_worst[0], 75, 1e-9);
  EXPECT_NEAR(r.setups[0].repeat_percent_of_worst[1], 60, 1e-9);
  ASSERT_EQ(r.setups[3].repeat_percent_of_worst.size(), 1u);
  EXPECT_NEAR(r.setups[3].repeat_percent_of_worst[0], 37.5, 1e-9);
  EXPECT_NEAR(*r.best_metric, 0.93, 1e-12);
  EXPECT_NEAR(*r.target_metric, 0.92, 1e-12);
  ASSERT_TRUE(r.cheapest_on_target_setup);
  EXPECT_EQ(*r.cheapest_on_target_setup, 6);
}

TEST(BreakEvenCycles, IsEquationTwoAndNeverWhenTheDenominatorIsNotPositive) {
  EXPECT_NEAR(*break_even_cycles(600, 500, 200), 2.0, 1e-12);
  EXPECT_FALSE(break_even_cycles(600, 500, 500));
  EXPECT_FALSE(break_even_cycles(600, 500, 650));
  EXPECT_NEAR(*break_even_cycles(0, 500, 100), 0.0, 1e-12);
}

TEST_F(AnalysisTest, BreakEvenPerSetupBestWorstAverage) {
  ASSERT_EQ(report_.break_even.size(), 1u);
  const auto& b = report_.break_even[0];
  ASSERT_EQ(b.per_setup.size(), 3u);
  EXPECT_NEAR(*b.per_setup[0].cycles_frozen, 2.0, 1e-12);
  EXPECT_NEAR(*b.per_setup[0].cycles_unfrozen, 4.0, 1e-12);
  EXPECT_NEAR(*b.per_setup[1].cycles_frozen, 3.0, 1e-12);
  EXPECT_FALSE(b.per_setup[1].cycles_unfrozen);
  EXPECT_FALSE(b.per_setup[2].cycles_frozen);
  EXPECT_EQ(b.n_never, 1);
  EXPECT_EQ(b.n_never_unfrozen, 2);
  ASSERT_TRUE(b.best && b.worst && b.average);
  EXPECT_EQ(b.best->setup, 1);
  EXPECT_EQ(b.worst->setup, 2);
  EXPECT_NEAR(*b.average->cycles_frozen, 600.0 / (1100.0 / 3 - 550.0 / 3), 1e-9);
  EXPECT_FALSE(b.average->cycles_unfrozen);
}

TEST_F(AnalysisTest, Table3FreezingSaving) {
  ASSERT_EQ(report_.table3.size(), 1u);
  const auto& c = report_.table3[0];
  EXPECT_EQ(c.n_frozen, 3);
  EXPECT_EQ(c.n_unfrozen, 3);
  EXPECT_NEAR(c.frozen_wh.value, 0.55 / 3, 1e-12);
  EXPECT_NEAR(c.unfrozen_wh.value, 1.1 / 3, 1e-12);
  EXPECT_NEAR(c.saving_percent, 50, 1e-9);
}

TEST_F(AnalysisTest, Table4Multitask) {
  ASSERT_EQ(report_.table4.size(), 1u);
  const auto& m = report_.table4[0];
  EXPECT_EQ(m.scenario.task, "celeba");
  ASSERT_EQ(m.roles.size(), 3u);
  EXPECT_EQ(m.roles[0].role, "attributes");
  EXPECT_NEAR(m.roles[0].total_wh.value, 0.1, 1e-12);
  EXPECT_NEAR(m.roles[0].epoch_mwh.value, 20, 1e-9);
  EXPECT_NEAR(m.roles[0].mean_epochs, 5, 1e-12);
  EXPECT_TRUE(m.roles[1].total_wh.modelled);
  EXPECT_FALSE(m.roles[2].total_wh.modelled);
  EXPECT_NEAR(m.roles[2].total_wh.value, 0.05, 1e-12);
  EXPECT_NEAR(m.roles[2].epoch_mwh.value, 25, 1e-9);
}

TEST_F(AnalysisTest, FindingsStateTheirNumbers) {
  std::map<std::string, std::string> by_topic;
  for (const auto& f : report_.findings) by_topic[f.topic] += f.text + "\n";
  EXPECT_NE(by_topic["spread"].find("97.3%"), std::string::npos) << by_topic["spread"];
  EXPECT_NE(by_topic["best-vs-worst"].find("20.0%"), std::string::npos);
  EXPECT_NE(by_topic["accuracy"].find("setup 6"), std::string::npos) << by_topic["accuracy"];
  EXPECT_NE(by_topic["freezing"].find("saves 50.0%"), std::string::npos) << by_topic["freezing"];
  EXPECT_NE(by_topic["multitask"].find("31.2"), std::string::npos) << by_topic["multitask"];
  EXPECT_NE(by_topic["multitask"].find("less than either task alone"), std::string::npos);
  EXPECT_NE(by_topic["multitask"].find("modelled"), std::string::npos);
  EXPECT_NE(by_topic["break-even"].find("never break even"), std::string::npos);
}

TEST_F(AnalysisTest, CarbonFromTheGivenIntensity) {
  const auto& rows = report_.carbon.rows;
  ASSERT_EQ(rows.back().name, "all runs");
  EXPECT_NEAR(rows.back().energy_mwh, 6460, 1e-9);
  EXPECT_NEAR(rows.back().grams_co2e, 3.23, 1e-9);
  EXPECT_NEAR(rows.back().car_km, 3.23 / (400 / 1.609344), 1e-12);
  EXPECT_EQ(report_.carbon.setting.source, "given by the user");
}

TEST(Carbon, BuiltInTableAndUnknownCountry) {
  CarbonOptions options;
  options.iso_code = "deu";
  const auto setting = resolve_carbon(options);
  EXPECT_EQ(setting.iso_code, "DEU");
  EXPECT_GT(setting.g_per_kwh, 0);
  EXPECT_NE(setting.source.find("Ember"), std::string::npos);
  EXPECT_NE(setting.source.find("2023"), std::string::npos);
  options.iso_code = "XYZ";
  try {
    resolve_carbon(options);
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("XYZ"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("FRA"), std::string::npos);
  }
}

TEST(Analysis, EmptyDatabaseGivesAnEmptyReport) {
  const StudyReport report = analyze({});
  EXPECT_TRUE(report.runs.empty());
  EXPECT_TRUE(report.table2.empty());
  EXPECT_TRUE(report.findings.empty());
  const ReportDocument doc = build_document(report);
  EXPECT_FALSE(doc.sections.empty());
}

}  // namespace
}  // namespace powertrain

namespace powertrain {
namespace {

// A regime run whose epochs measured a GPU and the CPU package: Table 2 and
// Figure 3 show the GPU figure (as the study did), the whole node beside.
RunData gpu_and_cpu_run(int64_t id, int batch_size, double lr, double gpu_mwh, double cpu_mwh) {
  RunData d;
  d.label = std::to_string(id);
  d.run.id = id;
  d.run.task = "pamap2";
  d.run.device = "cuda:0";
  d.run.paradigm = "regime";
  d.run.role = "classifier";
  d.run.batch_size = batch_size;
  d.run.learning_rate = lr;
  d.run.repeat = 1;
  d.run.status = RunStatus::kDone;
  for (int k = 1; k <= 2; ++k) {
    EpochRecord e;
    e.run_id = id;
    e.epoch = k;
    e.duration_s = 36;
    e.energy_mwh = gpu_mwh + cpu_mwh;
    e.components.add(Component::kGpu, gpu_mwh);
    e.components.add(Component::kCpuPackage, cpu_mwh);
    d.epochs.push_back(e);
  }
  return d;
}

TEST(StudyFigure, GpuWhereMeasuredWithTheWholeNodeBeside) {
  std::vector<RunData> runs = {gpu_and_cpu_run(1, 64, 0.1, 30, 10),
                               gpu_and_cpu_run(2, 256, 0.1, 12, 8)};
  StudyReport report = analyze(runs);
  ASSERT_EQ(report.table2.size(), 1u);
  const EnergyMatrix& m = report.table2[0];
  EXPECT_EQ(m.energy_basis, kBasisGpu);
  EXPECT_DOUBLE_EQ(m.cells[0][0]->value, 30);  // GPU mWh per epoch
  EXPECT_DOUBLE_EQ(m.node_cells[0][0]->value, 40);
  EXPECT_DOUBLE_EQ(m.cells[1][0]->value, 12);
  ASSERT_EQ(report.figure3.size(), 1u);
  const SetupRanking& f = report.figure3[0];
  EXPECT_EQ(f.energy_basis, kBasisGpu);
  ASSERT_EQ(f.setups.size(), 2u);
  EXPECT_DOUBLE_EQ(f.setups[0].mean_energy_mwh, 60);  // 2 epochs x 30 mWh GPU
  EXPECT_DOUBLE_EQ(f.setups[0].mean_node_energy_mwh, 80);
  EXPECT_DOUBLE_EQ(f.setups[1].percent_of_worst, 100.0 * 24 / 60);
  // The headings say which figure.
  ReportDocument doc = build_document(report);
  bool gpu_heading = false, node_heading = false;
  for (const auto& s : doc.sections) {
    for (const auto& t : s.tables) {
      gpu_heading |= t.title.find("(GPU energy, mWh per epoch)") != std::string::npos;
      node_heading |= t.title.find("(whole node energy, mWh per epoch)") != std::string::npos;
    }
  }
  EXPECT_TRUE(gpu_heading);
  EXPECT_TRUE(node_heading);
  // Without a GPU stream the tables are the whole node's and say so.
  runs[1].epochs[0].components = {};
  runs[1].epochs[1].components = {};
  EXPECT_EQ(analyze(runs).table2[0].energy_basis, kBasisMixed);
}

}  // namespace
}  // namespace powertrain

namespace powertrain {
namespace {

// Tables 3 and 4 and equation 2 also rest on the GPU figure where a GPU was
// measured, and say so; the CPU package beside it is left out of them.
TEST(StudyFigure, Table3Table4AndBreakEvenUseTheGpuFigure) {
  auto run = [](int64_t id, const char* paradigm, const char* role, double gpu, double cpu) {
    RunData d = gpu_and_cpu_run(id, 64, 0.1, gpu, cpu);  // 2 epochs of gpu + cpu mWh
    d.run.paradigm = paradigm;
    d.run.role = role;
    return d;
  };
  std::vector<RunData> runs = {
      run(1, roles::kPretraining, roles::kAutoencoder, 100, 50),  // E_enc = 200 mWh GPU
      run(2, roles::kPretraining, roles::kBaseline, 60, 40),      // E_enc+class = 120
      run(3, roles::kPretraining, roles::kFrozen, 20, 40),        // E_class = 40
      run(4, roles::kPretraining, roles::kUnfrozen, 50, 40),      // 100
      run(5, roles::kMultitask, roles::kAttributes, 30, 10),
      run(6, roles::kMultitask, roles::kIdentity, 35, 10),
      run(7, roles::kMultitask, roles::kBoth, 40, 10),
  };
  for (int i = 4; i < 7; ++i) runs[i].run.task = "celeba";
  StudyReport report = analyze(runs);

  ASSERT_EQ(report.table3.size(), 1u);
  const FreezeComparison& c = report.table3[0];
  EXPECT_EQ(c.energy_basis, kBasisGpu);
  EXPECT_DOUBLE_EQ(c.frozen_wh.value, 0.040);    // 2 x 20 mWh, not 2 x 60
  EXPECT_DOUBLE_EQ(c.unfrozen_wh.value, 0.100);  // 2 x 50 mWh, not 2 x 90
  EXPECT_DOUBLE_EQ(c.saving_percent, 60.0);      // (100 - 40) / 100

  ASSERT_EQ(report.break_even.size(), 1u);
  const BreakEvenSummary& b = report.break_even[0];
  EXPECT_EQ(b.energy_basis, kBasisGpu);
  ASSERT_EQ(b.per_setup.size(), 1u);
  EXPECT_DOUBLE_EQ(b.per_setup[0].autoencoder_mwh, 200);
  EXPECT_DOUBLE_EQ(b.per_setup[0].baseline_mwh, 120);
  EXPECT_DOUBLE_EQ(b.per_setup[0].frozen_mwh, 40);

  ASSERT_EQ(report.table4.size(), 1u);
  const MultitaskSummary& m = report.table4[0];
  EXPECT_EQ(m.energy_basis, kBasisGpu);
  ASSERT_EQ(m.roles.size(), 3u);
  EXPECT_DOUBLE_EQ(m.roles[0].epoch_mwh.value, 30);  // attributes, GPU per epoch
  EXPECT_DOUBLE_EQ(m.roles[2].total_wh.value, 0.080);

  ReportDocument doc = build_document(report);
  int gpu_headings = 0;
  for (const auto& s : doc.sections) {
    for (const auto& t : s.tables) {
      if (t.title.rfind("Table 4:", 0) == 0 || t.title.rfind("Break-even per setup:", 0) == 0) {
        EXPECT_NE(t.title.find("(GPU energy)"), std::string::npos) << t.title;
        ++gpu_headings;
      }
    }
  }
  EXPECT_EQ(gpu_headings, 2);
}

}  // namespace
}  // namespace powertrain
