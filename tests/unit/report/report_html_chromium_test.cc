// The HTML report in headless Chromium (Debian's chromium, installed by
// scripts/setup.sh): the page loads offline with no script or console error,
// and every chart draws its marks as SVG. Skips, saying why, when chromium or
// Vega's npm builds are missing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "powertrain/report/report.h"
#include "unit/report/report_test_db.h"

namespace powertrain {
namespace {

namespace fs = std::filesystem;

std::string chromium_path() {
  if (const char* env = std::getenv("POWERTRAIN_CHROMIUM"); env && *env) return env;
  return "/usr/bin/chromium";
}

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct PageResult {
  std::string dom;
  std::string log;
  int status = 0;
};

// Loads the page in a fresh profile with no network features and dumps the
// DOM after the scripts have run.
PageResult load_in_chromium(const fs::path& html, const fs::path& work) {
  const fs::path profile = work / "profile";
  fs::create_directories(profile);
  const fs::path dom = work / "dom.html", log = work / "chromium.log";
  const std::string command =
      "timeout 120 " + chromium_path() +
      " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
      " --disable-background-networking --disable-component-update --disable-sync"
      " --disable-dev-shm-usage --enable-logging=stderr --v=0"
      " --user-data-dir='" +
      profile.string() + "' --virtual-time-budget=15000 --dump-dom 'file://" + html.string() +
      "' >'" + dom.string() + "' 2>'" + log.string() + "'";
  PageResult result;
  result.status = std::system(command.c_str());
  result.dom = read(dom);
  result.log = read(log);
  return result;
}

// Console messages Chromium logged for the page (it logs them as CONSOLE).
std::vector<std::string> console_lines(const std::string& log) {
  std::vector<std::string> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.find(":CONSOLE") != std::string::npos) out.push_back(line);
  }
  return out;
}

// The markup of one chart: from its div to the end of its figure.
std::string chart_markup(const std::string& dom, const std::string& id) {
  const auto start = dom.find("id=\"" + id + "\"");
  if (start == std::string::npos) return "";
  const auto end = dom.find("</figure>", start);
  return dom.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// Number of drawn items inside the chart's data-mark groups.
int mark_items(const std::string& chart) {
  static const std::regex group(R"re(<g class="mark-[a-z]+ role-mark[^"]*"[^>]*>)re");
  int n = 0;
  for (auto it = std::sregex_iterator(chart.begin(), chart.end(), group);
       it != std::sregex_iterator(); ++it) {
    const size_t after = it->position() + it->length();
    // A group that holds at least one drawn element (path, text, line...).
    static const std::regex item(R"(^\s*<(path|text|line|rect|circle|g)\b)");
    if (std::regex_search(chart.substr(after, 64), item)) ++n;
  }
  return n;
}

class HtmlChromiumTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(chromium_path().c_str(), X_OK) != 0) {
      GTEST_SKIP() << "SKIPPED: " << chromium_path()
                   << " is not installed, so the HTML report is not checked in a browser; "
                      "scripts/setup.sh installs Debian's chromium";
    }
    const fs::path vega = resolve_vega_dir("");
    if (!fs::exists(vega / "vega-embed" / "build" / "vega-embed.min.js")) {
      GTEST_SKIP() << "SKIPPED: Vega's npm builds are not in " << vega
                   << "; run `npm ci` in web/ (scripts/setup.sh does)";
    }
    work_ = fs::temp_directory_path() /
            ("report_html_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(work_);
    fs::create_directories(work_);
    const auto db = (work_ / "hand.db").string();
    testing::make_hand_database(db);
    Store store(db);
    report_ = analyze(load_runs(store));
    report_.databases.push_back(db);
    doc_ = build_document(report_);
  }
  void TearDown() override {
    if (!work_.empty()) fs::remove_all(work_);
  }

  fs::path write_html(const ReportDocument& doc) {
    ReportTarget target;
    target.out_dir = (work_ / "out").string();
    const auto paths = make_reporter("html")->write(doc, report_, target);
    EXPECT_EQ(paths.size(), 1u);
    return fs::path(paths.at(0));
  }

  std::vector<std::string> chart_ids(const ReportDocument& doc) {
    std::vector<std::string> ids;
    for (const auto& s : doc.sections) {
      for (const auto& f : s.figures) ids.push_back("chart-" + f.id);
    }
    return ids;
  }

  fs::path work_;
  StudyReport report_;
  ReportDocument doc_;
};

TEST_F(HtmlChromiumTest, LoadsOfflineWithNoErrorAndEveryChartDrawsMarks) {
  const fs::path html = write_html(doc_);
  const std::string page = read(html);
  // Self-contained: no external script or stylesheet.
  EXPECT_EQ(page.find("<script src"), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_NE(page.find("vegaEmbed"), std::string::npos);

  const PageResult result = load_in_chromium(html, work_);
  ASSERT_EQ(result.status, 0) << result.log;
  ASSERT_NE(result.dom.find("</html>"), std::string::npos) << "no DOM dumped:\n" << result.log;
  EXPECT_NE(result.dom.find("<pre id=\"pt-errors\" hidden=\"\"></pre>"), std::string::npos)
      << "the page recorded errors:\n"
      << result.dom.substr(result.dom.find("pt-errors"), 2000);
  EXPECT_TRUE(console_lines(result.log).empty())
      << "console output:\n"
      << [&] {
           std::string all;
           for (const auto& l : console_lines(result.log)) all += l + "\n";
           return all;
         }();
  EXPECT_NE(result.dom.find("data-pt-status=\"rendered\""), std::string::npos);

  const auto ids = chart_ids(doc_);
  // Table 2 heat map, Figure 3, Figure 4 and Figure 5 of the hand database.
  EXPECT_EQ(ids.size(), 4u);
  for (const auto& id : ids) {
    const std::string chart = chart_markup(result.dom, id);
    ASSERT_FALSE(chart.empty()) << id << " missing";
    EXPECT_NE(chart.find("<svg"), std::string::npos) << id << " has no SVG";
    EXPECT_GT(mark_items(chart), 0) << id << " drew no marks";
    std::smatch marks;
    ASSERT_TRUE(std::regex_search(chart, marks, std::regex(R"re(data-marks="(\d+)")re"))) << id;
    EXPECT_GT(std::stoi(marks[1].str()), 0) << id;
  }
  // The modelled identity run is marked in the page's tables.
  EXPECT_NE(result.dom.find("class=\"num modelled\""), std::string::npos);
}

// The checks above can fail: a chart whose spec Vega-Lite rejects shows up
// as an error written into the page, and draws no marks.
TEST_F(HtmlChromiumTest, ABrokenChartIsReported) {
  ReportDocument doc = doc_;
  Figure broken;
  broken.id = "broken";
  broken.title = "broken";
  broken.vega_lite = R"({"data":{"values":[{"a":1}]},"mark":"no-such-mark",)"
                     R"("encoding":{"x":{"field":"a","type":"quantitative"}}})";
  doc.sections.front().figures.push_back(broken);
  const PageResult result = load_in_chromium(write_html(doc), work_);
  ASSERT_NE(result.dom.find("</html>"), std::string::npos) << result.log;
  EXPECT_EQ(result.dom.find("<pre id=\"pt-errors\" hidden=\"\"></pre>"), std::string::npos);
  EXPECT_NE(result.dom.find("chart failed"), std::string::npos);
  EXPECT_EQ(mark_items(chart_markup(result.dom, "chart-broken")), 0);
}

}  // namespace
}  // namespace powertrain
