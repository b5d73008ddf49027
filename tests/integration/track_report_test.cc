// The HTML report of a `track` run: the command line, how it ended, its
// epochs, energy per epoch and power over time charts, from the database.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "powertrain/store/store.h"
#include "support/test_util.h"

namespace powertrain {
namespace {

using nlohmann::json;
using testing::powertrain_binary;
using testing::run_program;
using testing::TempDir;

// Vega's builds are only inlined into the page, never run here: a stand-in
// file per package is enough to read the chart specs the report writes.
std::string fake_vega(const TempDir& dir) {
  for (const char* package : {"vega", "vega-lite", "vega-embed"}) {
    std::filesystem::create_directories(dir / (std::string("vega/") + package + "/build"));
    testing::write_file(dir / (std::string("vega/") + package + "/build/" + package + ".min.js"),
                        "/* stand-in for the inlined build */");
    testing::write_file(dir / (std::string("vega/") + package + "/package.json"),
                        R"({"version": "0.0.0"})");
  }
  return dir / "vega";
}

json specs_of(const std::string& html) {
  const std::string start = "var PT_SPECS = ";
  size_t at = html.find(start);
  EXPECT_NE(at, std::string::npos);
  size_t end = html.find(";\n", at);
  return json::parse(html.substr(at + start.size(), end - at - start.size()));
}

TEST(TrackReport, HtmlHasTheCommandItsEndAndPerEpochAndPowerCharts) {
  TempDir dir;
  std::string db = dir / "t.db";
  auto t = run_program({powertrain_binary(), "track", "--interval", "0.05", "--sensors", "model",
                        "--db", db, "--", "sh", "-c",
                        "for i in 1 2 3; do echo Epoch $i; sleep 0.2; done; exit 3"});
  ASSERT_EQ(t.exit_code, 3) << t.err;
  auto r = run_program({powertrain_binary(), "report", db, "--format", "html", "--vega-dir",
                        fake_vega(dir), "--out", dir / "out"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string html = testing::slurp(dir / "out/report.html");

  Store store(db);
  RunRecord run = store.runs().at(0);
  EXPECT_NE(html.find("Tracked command: run 1 of " + db), std::string::npos);
  EXPECT_NE(html.find("Command: sh -c for i in 1 2 3; do echo Epoch $i; sleep 0.2; done; exit 3"),
            std::string::npos);
  EXPECT_NE(html.find("Status: failed; command exited with status 3."), std::string::npos);

  json specs = specs_of(html);
  // Energy per epoch: the stored figures, one bar each.
  const json& bars = specs.at("chart-track_epoch_energy_1").at("data").at("values");
  std::vector<EpochRecord> epochs = store.epochs(run.id);
  ASSERT_EQ(bars.size(), 3u);
  ASSERT_EQ(epochs.size(), 3u);
  for (size_t i = 0; i < epochs.size(); ++i) {
    EXPECT_EQ(bars[i].at("epoch").get<int>(), epochs[i].epoch);
    EXPECT_DOUBLE_EQ(bars[i].at("energy_mwh").get<double>(), epochs[i].energy_mwh);
  }
  // Power over time: every stored power sample (few enough to keep all), in W.
  const json& layers = specs.at("chart-track_power_1").at("layer");
  ASSERT_EQ(layers.size(), 2u);  // epoch bands, then the lines
  EXPECT_EQ(layers[0].at("data").at("values").size(), 3u);
  const json& points = layers[1].at("data").at("values");
  std::vector<Sample> samples = store.samples(run.id);
  size_t with_power = 0;
  double mw_sum = 0, w_sum = 0;
  for (const Sample& s : samples) {
    if (!s.reading.power_mw) continue;
    ++with_power;
    mw_sum += *s.reading.power_mw;
  }
  for (const json& p : points) w_sum += p.at("power_w").get<double>();
  EXPECT_EQ(points.size(), with_power);
  EXPECT_NEAR(w_sum, mw_sum / 1000.0, 1e-6 * w_sum);
}

}  // namespace
}  // namespace powertrain
