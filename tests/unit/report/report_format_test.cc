// Golden tests of the reporters on the hand-made database. Output is matched
// by patterns that leave number formatting free: a line is found by its
// words, then the numbers on it are compared with the hand-computed values.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "powertrain/report/report.h"
#include "unit/report/report_test_db.h"

namespace powertrain {
namespace {

std::vector<double> numbers_in(const std::string& line) {
  static const std::regex number(R"((^|[^\w.])(-?\d+(\.\d+)?([eE]-?\d+)?))");
  std::vector<double> out;
  for (auto it = std::sregex_iterator(line.begin(), line.end(), number);
       it != std::sregex_iterator(); ++it) {
    out.push_back(std::stod((*it)[2].str()));
  }
  return out;
}

// The first line of `text` that matches `pattern`; "" when none.
std::string line_matching(const std::string& text, const std::string& pattern) {
  const std::regex re(pattern);
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (std::regex_search(line, re)) return line;
  }
  return "";
}

::testing::AssertionResult has_numbers(const std::string& line, std::vector<double> expected,
                                       double tolerance = 0.006) {
  auto found = numbers_in(line);
  for (double want : expected) {
    bool hit = false;
    for (double f : found) hit = hit || std::fabs(f - want) <= tolerance;
    if (!hit) return ::testing::AssertionFailure() << "no " << want << " in line: '" << line << "'";
  }
  return ::testing::AssertionSuccess();
}

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class FormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("report_format_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    const auto db = (dir_ / "hand.db").string();
    testing::make_hand_database(db);
    Store store(db);
    ReportOptions options;
    options.carbon.g_per_kwh = 500;
    report_ = analyze(load_runs(store), options);
    report_.databases.push_back(db);
    doc_ = build_document(report_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string render(const std::string& format) {
    std::ostringstream out;
    ReportTarget target;
    target.stream = &out;
    make_reporter(format)->write(doc_, report_, target);
    return out.str();
  }

  std::filesystem::path dir_;
  StudyReport report_;
  ReportDocument doc_;
};

TEST(ReporterRegistry, KnowsFiveFormatsAndListsThemForAnUnknownName) {
  EXPECT_EQ(reporter_names(), (std::vector<std::string>{"text", "md", "csv", "json", "html"}));
  for (const auto& name : reporter_names()) EXPECT_EQ(make_reporter(name)->name(), name);
  try {
    make_reporter("pdf");
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'pdf'"), std::string::npos) << what;
    for (const auto& name : reporter_names()) EXPECT_NE(what.find(name), std::string::npos);
  }
}

TEST_F(FormatTest, TextShowsTheTablesWithHandComputedNumbers) {
  const std::string text = render("text");
  // Table 2 rows: batch size, then the learning-rate columns 0.1 and 0.01.
  const std::string table2 = text.substr(text.find("Table 2: pamap2 on cuda:0"));
  EXPECT_TRUE(has_numbers(line_matching(table2, R"(^\s*64\s)"), {64, 110, 100}));
  EXPECT_TRUE(has_numbers(line_matching(table2, R"(^\s*256\s)"), {256, 40, 50}));
  EXPECT_TRUE(has_numbers(line_matching(table2, "Share of the spread"), {97.3, 0}, 0.06));
  // Figure 3 data: setup 1 is 67.5 % of the worst, its repeats 75 % and 60 %.
  const std::string fig3 = text.substr(text.find("Figure 3 data"));
  EXPECT_TRUE(has_numbers(line_matching(fig3, R"(^\s*1\s+64\s)"), {0.3, 0.24, 0.27, 67.5, 75, 60}));
  EXPECT_TRUE(has_numbers(line_matching(fig3, R"(^\s*5\s+256\s)"), {20}));
  // Break-even: setup 1 after 2 cycles (4 unfrozen); setup 5 never.
  const std::string be = text.substr(text.find("Break-even per setup"));
  EXPECT_TRUE(has_numbers(line_matching(be, R"(^\s*1\s+64\s)"), {0.6, 0.5, 0.2, 2, 0.35, 4}));
  EXPECT_NE(line_matching(be, R"(^\s*5\s+256\s)").find("never breaks even"), std::string::npos);
  EXPECT_TRUE(has_numbers(line_matching(be, R"(^\s*average\s)"), {3.27}));
  // Table 3: unfrozen 0.367 Wh, frozen 0.183 Wh, saving 50 %.
  EXPECT_TRUE(has_numbers(line_matching(text, R"(^\s*pamap2 on cuda:0\s+whole node\s+3\s+3\s)"),
                          {0.367, 0.183, 50}, 0.001));
  // Table 4: the identity classifier's energy is modelled and marked.
  const std::string t4 = text.substr(text.find("Table 4: celeba"));
  const std::string identity = line_matching(t4, R"(^\s*identity\s)");
  EXPECT_TRUE(has_numbers(identity, {0.06, 20, 3}));
  EXPECT_NE(identity.find('*'), std::string::npos) << identity;
  EXPECT_EQ(line_matching(t4, R"(^\s*multitask\s)").find('*'), std::string::npos);
  EXPECT_NE(text.find(kModelledNote), std::string::npos);
  // Provenance and runs left out.
  EXPECT_NE(text.find("3 runs left out"), std::string::npos);
  EXPECT_NE(text.find("diverged: 1"), std::string::npos);
  EXPECT_NE(text.find("failed: 1"), std::string::npos);
  EXPECT_NE(text.find("pending: 1"), std::string::npos);
  EXPECT_TRUE(has_numbers(line_matching(text, R"(^\s*5\s+pamap2\s+cuda:0\s)"), {80, 82, 2.5, 90}));
  // Carbon.
  EXPECT_TRUE(has_numbers(line_matching(text, R"(^\s*all runs\s)"), {6.46, 3.23, 0.013}, 0.001));
  EXPECT_NE(text.find("500 g CO2e/kWh"), std::string::npos);
}

TEST_F(FormatTest, MarkdownHasPipeTables) {
  const std::string md = render("md");
  EXPECT_EQ(md.rfind("# ", 0), 0u);
  EXPECT_TRUE(has_numbers(line_matching(md, R"(^\| 64 \|)"), {110, 100}));
  EXPECT_NE(line_matching(md, R"(^\| identity \|.*\*)"), "");
}

TEST_F(FormatTest, JsonCarriesValuesAndModelledMarks) {
  const auto json = nlohmann::json::parse(render("json"));
  EXPECT_EQ(json["counted_runs"], 22);  // the diverged run is listed apart
  EXPECT_EQ(json["left_out"]["pending"], 1);
  bool saw_saving = false, saw_modelled = false;
  for (const auto& section : json["sections"]) {
    for (const auto& table : section["tables"]) {
      if (table["id"] == "table3") {
        EXPECT_NEAR(table["rows"][0][6]["value"].get<double>(), 50.0, 1e-9);  // saving (%)
        saw_saving = true;
      }
      for (const auto& row : table["rows"]) {
        for (const auto& cell : row) saw_modelled = saw_modelled || cell["modelled"].get<bool>();
      }
    }
    for (const auto& figure : section["figures"]) {
      EXPECT_TRUE(figure["vega_lite"].is_object());
    }
  }
  EXPECT_TRUE(saw_saving);
  EXPECT_TRUE(saw_modelled);
}

TEST_F(FormatTest, CsvWritesOneFilePerTableAndCodeCarbonEmissions) {
  const auto out = dir_ / "csv";
  ReportTarget target;
  target.out_dir = out.string();
  const auto paths = make_reporter("csv")->write(doc_, report_, target);
  EXPECT_GE(paths.size(), 8u);
  const std::string table2 = read(out / "table2_pamap2_cuda-0.csv");
  EXPECT_TRUE(has_numbers(line_matching(table2, "^64,"), {110, 100}, 1e-9));
  const std::string table3 = read(out / "table3.csv");
  EXPECT_TRUE(has_numbers(line_matching(table3, "^pamap2 on cuda:0,"), {50}, 1e-9));

  std::istringstream emissions(read(out / "emissions.csv"));
  std::string header;
  std::getline(emissions, header);
  // CodeCarbon's EmissionsData fields, in its order.
  EXPECT_EQ(header,
            "timestamp,project_name,run_id,experiment_id,duration,emissions,emissions_rate,"
            "cpu_utilization_percent,ram_utilization_percent,ram_used_gb,cpu_power,gpu_power,"
            "ram_power,cpu_energy,gpu_energy,ram_energy,energy_consumed,water_consumed,"
            "country_name,country_iso_code,region,cloud_provider,cloud_region,os,python_version,"
            "codecarbon_version,cpu_count,cpu_model,gpu_count,gpu_model,longitude,latitude,"
            "ram_total_size,tracking_mode,on_cloud,pue,wue,status,energy_source");
  const auto columns = emissions_columns();
  auto index = [&](const std::string& name) {
    return static_cast<size_t>(std::find(columns.begin(), columns.end(), name) - columns.begin());
  };
  double kwh = 0, kg = 0;
  int rows = 0, modelled = 0, failed = 0;
  for (std::string line; std::getline(emissions, line);) {
    std::vector<std::string> fields;
    std::stringstream ss(line);
    for (std::string f; std::getline(ss, f, ',');) fields.push_back(f);
    if (line.back() == ',') fields.push_back("");
    ASSERT_EQ(fields.size(), columns.size()) << line;
    kwh += std::stod(fields[index("energy_consumed")]);
    kg += std::stod(fields[index("emissions")]);
    EXPECT_NEAR(std::stod(fields[index("gpu_energy")]), std::stod(fields[index("energy_consumed")]),
                1e-15);
    // No process was tracked: CodeCarbon's default mode.
    EXPECT_EQ(fields[index("tracking_mode")], "machine");
    modelled += fields[index("energy_source")] == "modelled";
    failed += fields[index("status")] == "failed";
    ++rows;
  }
  // The 23 counted runs and the failed one (999 mWh), whose energy was used
  // all the same; the pending run never started.
  EXPECT_EQ(rows, 24);
  EXPECT_EQ(failed, 1);
  EXPECT_EQ(modelled, 1);
  EXPECT_NEAR(kwh, 6.46e-3 + 0.999e-3, 1e-12);
  EXPECT_NEAR(kg, (6.46e-3 + 0.999e-3) / 2, 1e-12);
}

TEST_F(FormatTest, CsvNeedsAFolder) {
  ReportTarget target;
  std::ostringstream out;
  target.stream = &out;
  EXPECT_THROW(make_reporter("csv")->write(doc_, report_, target), std::invalid_argument);
}

TEST_F(FormatTest, HtmlWithoutVegaBuildsSaysWhatToRun) {
  ReporterSettings settings;
  settings.vega_dir = (dir_ / "no-such-folder").string();
  std::ostringstream out;
  ReportTarget target;
  target.stream = &out;
  try {
    make_reporter("html", settings)->write(doc_, report_, target);
    FAIL() << "expected runtime_error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("npm ci"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace powertrain
