// `powertrain report` run as a user runs it, on the hand-made database of
// the report's unit tests.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/test_util.h"
#include "unit/report/report_test_db.h"

namespace powertrain {
namespace {

using testing::powertrain_binary;
using testing::run_program;
using testing::TempDir;

class ReportCli : public ::testing::Test {
 protected:
  void SetUp() override { testing::make_hand_database(db_); }
  TempDir dir_;
  std::string db_ = dir_ / "hand.db";
};

TEST_F(ReportCli, PrintsTextTablesByDefault) {
  auto r = run_program({powertrain_binary(), "report", db_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* expected :
       {"Table 2: pamap2 on cuda:0", "Figure 3 data: pamap2 on cuda:0",
        "Break-even per setup: pamap2 on cuda:0", "Table 3", "Table 4: celeba on cuda:0",
        "Findings", "Carbon", "3 runs left out", "never breaks even", "* modelled",
        "Diverged runs and the energy they used", "The study's claims, tested"}) {
    EXPECT_NE(r.out.find(expected), std::string::npos) << expected << "\n" << r.out;
  }
}

TEST_F(ReportCli, UnknownFormatListsTheKnownOnes) {
  auto r = run_program({powertrain_binary(), "report", db_, "--format", "pdf"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("powertrain: error: unknown report format 'pdf'; known formats: text, md, "
                       "csv, json, html"),
            std::string::npos)
      << r.err;
}

TEST_F(ReportCli, UnknownCountryAndMissingDatabaseFail) {
  auto r = run_program({powertrain_binary(), "report", db_, "--country", "XYZ"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("XYZ"), std::string::npos) << r.err;
  r = run_program({powertrain_binary(), "report", dir_ / "missing.db"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "missing.db"));
}

TEST_F(ReportCli, CsvFolderHasOneFilePerTableAndEmissions) {
  auto r =
      run_program({powertrain_binary(), "report", db_, "--format", "csv", "--out", dir_ / "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* file : {"table2_pamap2_cuda-0.csv", "figure3_pamap2_cuda-0.csv",
                           "break_even_pamap2_cuda-0.csv", "table3.csv", "table4_celeba_cuda-0.csv",
                           "carbon.csv", "runs.csv", "findings.csv", "emissions.csv"}) {
    EXPECT_TRUE(std::filesystem::exists(dir_ / ("csv/" + std::string(file)))) << file;
    EXPECT_NE(r.out.find(file), std::string::npos) << r.out;
  }
}

TEST_F(ReportCli, JsonWithAGivenIntensityAndTwoDatabases) {
  const std::string second = dir_ / "second.db";
  testing::make_hand_database(second);
  auto r = run_program(
      {powertrain_binary(), "report", db_, second, "--format", "json", "--intensity", "500"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["counted_runs"], 44);  // 2 x 22: each database's diverged run is apart
  EXPECT_EQ(json["left_out"]["diverged"], 2);
  EXPECT_EQ(json["diverged_runs"], 2);
  ASSERT_TRUE(json["claims"].is_array());
  bool freezing = false;
  for (const auto& c : json["claims"]) {
    EXPECT_FALSE(c["verdict"].get<std::string>().empty());
    freezing = freezing || c["id"] == "freezing";
  }
  EXPECT_TRUE(freezing);
  EXPECT_EQ(json["left_out"]["failed"], 2);
  EXPECT_EQ(json["carbon"]["g_per_kwh"], 500.0);
  EXPECT_EQ(json["carbon"]["source"], "given by the user");
  EXPECT_EQ(json["databases"].size(), 2u);
}

TEST_F(ReportCli, HtmlIsOneSelfContainedFile) {
  auto r = run_program({powertrain_binary(), "report", db_, "--format", "html", "--out",
                        dir_ / "html", "--vega-dir", dir_ / "nowhere"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("npm ci"), std::string::npos) << r.err;

  const std::string vega = std::string(POWERTRAIN_SOURCE_DIR) + "/web/node_modules";
  if (!std::filesystem::exists(vega + "/vega/build/vega.min.js")) {
    GTEST_SKIP() << "SKIPPED the rest: no Vega builds in " << vega
                 << "; run `npm ci` in web/ (scripts/setup.sh does)";
  }
  r = run_program({powertrain_binary(), "report", db_, "--format", "html", "--out", dir_ / "html",
                   "--vega-dir", vega});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string page = testing::slurp(dir_ / "html/report.html");
  EXPECT_GT(page.size(), 500000u);  // the three libraries are inlined
  EXPECT_EQ(page.find("<script src"), std::string::npos);
  EXPECT_NE(page.find("vegaEmbed"), std::string::npos);
  EXPECT_NE(page.find("chart-figure3_pamap2_cuda-0"), std::string::npos);
}

}  // namespace
}  // namespace powertrain
