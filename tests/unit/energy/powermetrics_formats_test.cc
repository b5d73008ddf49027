// Every block of the four real powermetrics outputs in ../shared/data/powermetrics
// (M4 on macOS 15, M1 Air on macOS 12, M1 mini on macOS 11 without a
// "CPU Power" line, an Intel MacBook Pro printing watts), read by the parser
// and by the sensor through the fake `powermetrics` on PATH replaying the
// file block by block. The expected figures come from scan_file() below, a
// line-by-line scan that shares nothing with the parser, and are pinned by
// checksums computed once with awk (the command is written next to them).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>
#include <thread>

#include "powertrain/energy/sensors/powermetrics.h"
#include "support/test_util.h"

namespace powertrain {
namespace {

const std::string kData = std::string(POWERTRAIN_SHARED_DATA_DIR) + "/powermetrics/";

struct Expected {
  double cpu_or_package_mw = -1;  // -1: the block has no such line
  double gpu_mw = -1;
  double ane_mw = -1;
};

// The obvious reading of the text: blocks start at "*** Sampled system
// activity"; a "*** Summary" block (the whole run's average, printed on exit)
// is not a sample. Within a block: CPU is the "CPU Power" line, else
// "Clusters Total Power", else the Intel package line (watts); GPU is the
// last "GPU Power" line of the block; ANE the "ANE Power" line.
std::vector<Expected> scan_file(const std::string& path) {
  static const std::regex header(R"(^\*\*\* (Sampled|Summary) system activity.*)");
  static const std::regex cpu(R"(^CPU Power: (\d+) mW$)");
  static const std::regex clusters(R"(^Clusters Total Power: (\d+) mW$)");
  static const std::regex intel(
      R"(^Intel energy model derived package power \(CPUs\+GT\+SA\): ([0-9.]+)W$)");
  static const std::regex gpu(R"(^GPU Power: (\d+) mW$)");
  static const std::regex ane(R"(^ANE Power: (\d+) mW$)");
  std::vector<Expected> out;
  std::vector<double> cluster_total;
  bool in_sample = false;
  std::istringstream in(testing::slurp(path));
  std::string line;
  std::smatch m;
  auto close_block = [&] {
    if (in_sample && out.back().cpu_or_package_mw < 0 && !cluster_total.empty()) {
      out.back().cpu_or_package_mw = cluster_total.back();
    }
    cluster_total.clear();
  };
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, header)) {
      close_block();
      in_sample = m[1] == "Sampled";
      if (in_sample) out.emplace_back();
      continue;
    }
    if (!in_sample) continue;
    if (std::regex_match(line, m, cpu))
      out.back().cpu_or_package_mw = std::stod(m[1]);
    else if (std::regex_match(line, m, clusters))
      cluster_total.push_back(std::stod(m[1]));
    else if (std::regex_match(line, m, intel))
      out.back().cpu_or_package_mw = std::stod(m[1]) * 1000;
    else if (std::regex_match(line, m, gpu))
      out.back().gpu_mw = std::stod(m[1]);
    else if (std::regex_match(line, m, ane))
      out.back().ane_mw = std::stod(m[1]);
  }
  close_block();
  return out;
}

struct File {
  const char* name;
  const char* os;  // the fake's -h emulation
  size_t blocks;
  double cpu_sum, gpu_sum, ane_sum;  // checksums, see below
  Expected first, last;
};

// Checksums computed with awk, independently of scan_file():
//   awk '/^\*\*\* Summary/{stop=1} /^\*\*\* Sampled/{n++} stop{next}
//        /^CPU Power: /{cpu[n]=$3} /^Clusters Total Power: /{cl[n]=$4}
//        /^GPU Power: /{gpu[n]=$3} /^ANE Power: /{ane[n]=$3}
//        END{for(i=1;i<=n;i++){c=(i in cpu)?cpu[i]:cl[i]; sc+=c; sg+=gpu[i]; sa+=ane[i]}
//            print n, sc, sg, sa}' FILE
// and the first and last blocks read by eye. The Intel figure is the file's
// one "Intel energy model ...: 12.39W" line.
const File kFiles[] = {
    {"macbook-m4-all-samplers.txt", "macos15", 1, 954, 28, 0, {954, 28, 0}, {954, 28, 0}},
    {"m1-air-macos12.txt", "macos12", 10, 3146, 386, 0, {947, 153, 0}, {239, 9, 0}},
    {"m1-mini-macos11-gb5-cpu.txt", "macos11", 223, 571866, 109, 0, {10, 0, 0}, {1, 0, 0}},
    {"intel-macbookpro11-4-excerpt.txt",
     "intel",
     1,
     12390,
     -1,
     -1,
     {12390, -1, -1},
     {12390, -1, -1}},
};

TEST(PowermetricsScan, AgreesWithTheHandChecksums) {
  for (const File& f : kFiles) {
    SCOPED_TRACE(f.name);
    auto blocks = scan_file(kData + f.name);
    ASSERT_EQ(blocks.size(), f.blocks);
    double cpu = 0, gpu = 0, ane = 0;
    for (const auto& b : blocks) {
      cpu += b.cpu_or_package_mw;
      gpu += b.gpu_mw;
      ane += b.ane_mw;
    }
    EXPECT_NEAR(cpu, f.cpu_sum, 1e-6);
    if (f.gpu_sum >= 0) {
      EXPECT_EQ(gpu, f.gpu_sum);
    }
    if (f.ane_sum >= 0) {
      EXPECT_EQ(ane, f.ane_sum);
    }
    EXPECT_NEAR(blocks.front().cpu_or_package_mw, f.first.cpu_or_package_mw, 1e-9);
    EXPECT_EQ(blocks.front().gpu_mw, f.first.gpu_mw);
    EXPECT_NEAR(blocks.back().cpu_or_package_mw, f.last.cpu_or_package_mw, 1e-9);
    EXPECT_EQ(blocks.back().gpu_mw, f.last.gpu_mw);
  }
}

double cpu_or_package(const PowermetricsSample& s) {
  if (s.cpu_mw) return *s.cpu_mw;
  return s.package_mw.value_or(-1);
}

void expect_block(const PowermetricsSample& s, const Expected& e, size_t i) {
  SCOPED_TRACE("block " + std::to_string(i + 1));
  EXPECT_NEAR(cpu_or_package(s), e.cpu_or_package_mw, 1e-9);
  EXPECT_EQ(s.gpu_mw.value_or(-1), e.gpu_mw);
  EXPECT_EQ(s.ane_mw.value_or(-1), e.ane_mw);
}

// Every block, exact, and returned no later than its own last line: blocks
// after the first are returned before the next block's header is fed.
TEST(PowermetricsParser, ReadsEveryBlockOfEveryRealOutputAsSoonAsItIsComplete) {
  for (const File& f : kFiles) {
    SCOPED_TRACE(f.name);
    auto expected = scan_file(kData + f.name);
    PowermetricsParser parser;
    std::vector<PowermetricsSample> got;
    std::vector<int> returned_in_block;  // how many headers had been fed
    int headers = 0;
    std::istringstream in(testing::slurp(kData + f.name));
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("*** ", 0) == 0 && line.find("system activity") != std::string::npos) {
        ++headers;
      }
      if (auto s = parser.feed(line)) {
        got.push_back(*s);
        returned_in_block.push_back(headers);
      }
    }
    if (auto s = parser.finish()) {
      got.push_back(*s);
      returned_in_block.push_back(headers);
    }
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
      expect_block(got[i], expected[i], i);
      EXPECT_EQ(got[i].number, static_cast<int>(i + 1));
      if (i > 0) {
        EXPECT_EQ(returned_in_block[i], static_cast<int>(i + 1))
            << "block " << i + 1 << " was returned only after the next header";
      }
    }
  }
}

TEST(PowermetricsParser, LabelsTheLineEachFigureCameFrom) {
  auto first_block = [](const char* name) {
    PowermetricsParser parser;
    std::istringstream in(testing::slurp(kData + name));
    std::string line;
    while (std::getline(in, line)) {
      if (auto s = parser.feed(line)) return *s;
    }
    // An empty or missing file has no block: fail on the figures, not on UB.
    return parser.finish().value_or(PowermetricsSample{});
  };
  auto m4 = first_block("macbook-m4-all-samplers.txt");
  EXPECT_EQ(m4.cpu_from, "CPU Power");
  EXPECT_EQ(m4.gpu_from, "GPU Power (GPU usage section)");
  EXPECT_EQ(m4.ane_from, "ANE Power");
  auto air = first_block("m1-air-macos12.txt");
  EXPECT_EQ(air.cpu_from, "CPU Power");
  EXPECT_EQ(air.gpu_from, "GPU Power (processor section)");
  EXPECT_DOUBLE_EQ(*air.package_mw, 1473);
  auto mini = first_block("m1-mini-macos11-gb5-cpu.txt");
  EXPECT_EQ(mini.cpu_from, "Clusters Total Power");
  EXPECT_EQ(mini.gpu_from, "GPU Power (GPU usage section)");
  EXPECT_DOUBLE_EQ(*mini.package_mw, 48);
  auto intel = first_block("intel-macbookpro11-4-excerpt.txt");
  EXPECT_FALSE(intel.cpu_mw);
  EXPECT_TRUE(intel.intel_package);
  EXPECT_NE(intel.package_from.find("Intel energy model derived package power"), std::string::npos);
  EXPECT_DOUBLE_EQ(*intel.package_mw, 12390);
}

TEST(PowermetricsParser, SumsClusterLinesWhereThereIsNoTotal) {
  PowermetricsParser parser;
  parser.feed("*** Sampled system activity (x) (1000.00ms elapsed) ***");
  parser.feed("**** Processor usage ****");
  parser.feed("E-Cluster Power: 120 mW");
  parser.feed("P0-Cluster Power: 800 mW");
  parser.feed("P1-Cluster Power: 35 mW");
  auto s = parser.finish();
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(*s->cpu_mw, 955);
  EXPECT_EQ(s->cpu_from, "E-Cluster Power + P0-Cluster Power + P1-Cluster Power");
}

TEST(PowermetricsParser, NamesAPowerLineWithoutANumber) {
  PowermetricsParser parser;
  parser.feed("*** Sampled system activity (x) (1000.00ms elapsed) ***");
  parser.feed("**** Processor usage ****");
  parser.feed("CPU Power: n/a mW");
  parser.feed("GPU Power: 12 mW");
  auto s = parser.finish();
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->cpu_mw);
  EXPECT_DOUBLE_EQ(*s->gpu_mw, 12);
  ASSERT_EQ(s->unreadable.size(), 1u);
  EXPECT_EQ(s->unreadable[0], "line 3: 'CPU Power: n/a mW'");
}

TEST(PowermetricsHelp, ListsTheSamplersOfEachEmulatedMacos) {
  const std::string dir = std::string(POWERTRAIN_SOURCE_DIR) + "/tests/fixtures/fake_powermetrics/";
  auto m15 = parse_powermetrics_samplers(testing::slurp(dir + "help-macos15.txt"));
  auto m11 = parse_powermetrics_samplers(testing::slurp(dir + "help-macos11.txt"));
  EXPECT_NE(std::find(m15.begin(), m15.end(), "ane_power"), m15.end());
  EXPECT_EQ(std::find(m11.begin(), m11.end(), "ane_power"), m11.end());
  EXPECT_EQ(m11, (std::vector<std::string>{"tasks", "battery", "network", "disk", "interrupts",
                                           "cpu_power", "thermal", "sfi", "gpu_power"}));
  EXPECT_TRUE(parse_powermetrics_samplers("usage: powermetrics\n").empty());
}

// The sensor, spawning the fake powermetrics, which prints one block and then
// waits for the test before it prints the next one's header.
class PowermetricsReplay : public ::testing::Test {
 protected:
  void SetUp() override {
    old_path_ = std::getenv("PATH") ? std::getenv("PATH") : "";
    std::string fake_dir = std::string(POWERTRAIN_SOURCE_DIR) + "/tests/fixtures/fake_powermetrics";
    setenv("PATH", (fake_dir + ":" + old_path_).c_str(), 1);
    setenv("FAKE_POWERMETRICS_STEP_DIR", step_.path().c_str(), 1);
    setenv("FAKE_POWERMETRICS_ARGS", (step_ / "args").c_str(), 1);
  }
  void TearDown() override {
    setenv("PATH", old_path_.c_str(), 1);
    for (const char* v : {"FAKE_POWERMETRICS_STEP_DIR", "FAKE_POWERMETRICS_ARGS",
                          "FAKE_POWERMETRICS_SAMPLE", "FAKE_POWERMETRICS_OS"}) {
      unsetenv(v);
    }
  }
  // Waits (at most 20 s, a guard against a hang, not a timing test) for pred.
  template <typename Pred>
  bool wait_for(Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }
  bool exists(const std::string& name) { return std::filesystem::exists(step_ / name); }

  testing::TempDir step_;
  std::string old_path_;
};

TEST_F(PowermetricsReplay, EveryBlockOfEveryRealOutputThroughTheSensor) {
  for (const File& f : kFiles) {
    SCOPED_TRACE(f.name);
    auto expected = scan_file(kData + f.name);
    for (const auto& e : std::filesystem::directory_iterator(step_.path())) {
      std::filesystem::remove_all(e.path());
    }
    setenv("FAKE_POWERMETRICS_SAMPLE", (kData + f.name).c_str(), 1);
    setenv("FAKE_POWERMETRICS_OS", f.os, 1);
    SensorOptions options;
    options.interval_s = 0.05;
    auto sensor = make_powermetrics_sensor(options);
    ASSERT_TRUE(sensor->available()) << sensor->reason();
    bool intel = std::string(f.os) == "intel";
    std::vector<std::string> ids;
    for (const auto& d : sensor->devices()) ids.push_back(d.id);
    std::vector<std::string> want_ids = {"cpu", "gpu", "ane"};
    if (intel) want_ids = {"package"};
    EXPECT_EQ(ids, want_ids);

    size_t matched = 0;
    for (size_t k = 1; k <= expected.size(); ++k) {
      const Expected& e = expected[k - 1];
      ASSERT_TRUE(wait_for([&] { return exists("sent-" + std::to_string(k)); })) << "block " << k;
      bool ok = wait_for([&] {
        auto r = sensor->read();
        if (intel)
          return r.size() == 1 && r[0].power_mw &&
                 std::abs(*r[0].power_mw - e.cpu_or_package_mw) < 1e-9;
        return r.size() == 3 && r[0].power_mw && *r[0].power_mw == e.cpu_or_package_mw &&
               r[1].power_mw && *r[1].power_mw == e.gpu_mw && r[2].power_mw &&
               *r[2].power_mw == e.ane_mw;
      });
      EXPECT_TRUE(ok) << "block " << k << " never read as " << e.cpu_or_package_mw << " / "
                      << e.gpu_mw << " / " << e.ane_mw;
      matched += ok;
      testing::write_file(step_ / ("go-" + std::to_string(k)), "");
    }
    EXPECT_EQ(matched, f.blocks);
    for (const auto& r : sensor->read()) EXPECT_EQ(r.source, EnergySource::kSampled);
    sensor.reset();

    // The samplers asked for are those this macOS's powermetrics offers.
    std::string args = testing::slurp(step_ / "args");
    bool has_ane = std::string(f.os) == "macos15" || std::string(f.os) == "macos12";
    std::string samplers =
        has_ane ? "--samplers cpu_power,gpu_power,ane_power " : "--samplers cpu_power,gpu_power ";
    EXPECT_NE(args.find(samplers), std::string::npos) << args;
    EXPECT_NE(args.find("-b 1"), std::string::npos) << args;
  }
}

TEST_F(PowermetricsReplay, DevicesSayWhichLineEachFigureComesFrom) {
  setenv("FAKE_POWERMETRICS_SAMPLE", (kData + "m1-mini-macos11-gb5-cpu.txt").c_str(), 1);
  setenv("FAKE_POWERMETRICS_OS", "macos11", 1);
  {
    auto sensor = make_powermetrics_sensor(SensorOptions{});
    ASSERT_TRUE(sensor->available()) << sensor->reason();
    auto d = sensor->devices();
    ASSERT_EQ(d.size(), 3u);
    EXPECT_NE(d[0].measures.find("line: Clusters Total Power"), std::string::npos) << d[0].measures;
    EXPECT_NE(d[1].measures.find("GPU usage section"), std::string::npos) << d[1].measures;
    EXPECT_NE(d[0].measures.find("1000 ms"), std::string::npos) << d[0].measures;
    EXPECT_NE(sensor->reason().find("no ane_power sampler"), std::string::npos) << sensor->reason();
  }
  testing::write_file(step_ / "go-1", "");
}

}  // namespace
}  // namespace powertrain
