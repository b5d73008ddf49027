// The powermetrics parser on the real macOS sample, and the sensor spawning a
// fake `powermetrics` found on PATH.
#include "powertrain/energy/sensors/powermetrics.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "support/test_util.h"

namespace powertrain {
namespace {

const std::string kRealSample =
    std::string(POWERTRAIN_SHARED_DATA_DIR) + "/powermetrics/macbook-m4-all-samplers.txt";

std::vector<PowermetricsSample> parse_text(const std::string& text) {
  PowermetricsParser parser;
  std::vector<PowermetricsSample> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (auto s = parser.feed(line)) out.push_back(*s);
  }
  if (auto s = parser.finish()) out.push_back(*s);
  return out;
}

TEST(PowermetricsParser, ReadsTheRealM4Sample) {
  auto samples = parse_text(testing::slurp(kRealSample));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_DOUBLE_EQ(*samples[0].cpu_mw, 954);
  EXPECT_DOUBLE_EQ(*samples[0].gpu_mw, 28);
  EXPECT_DOUBLE_EQ(*samples[0].ane_mw, 0);
  EXPECT_DOUBLE_EQ(*samples[0].combined_mw, 983);
  EXPECT_DOUBLE_EQ(*samples[0].elapsed_ms, 5021.96);
}

TEST(PowermetricsParser, GpuSamplerFigureWinsOverTheProcessorBlockOne) {
  // "GPU Power" appears twice; make them differ to see which one is taken.
  std::string text = testing::slurp(kRealSample);
  size_t first = text.find("GPU Power: 28 mW");
  ASSERT_NE(first, std::string::npos);
  text.replace(first, 16, "GPU Power: 11 mW");
  auto samples = parse_text(text);
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_DOUBLE_EQ(*samples[0].gpu_mw, 28);
}

TEST(PowermetricsParser, SplitsConsecutiveBlocks) {
  std::string block = testing::slurp(kRealSample);
  size_t header = block.find("*** Sampled system activity");
  std::string body = block.substr(header);
  std::string second = body;
  second.replace(second.find("CPU Power: 954 mW"), 17, "CPU Power: 1200 mW");
  auto samples = parse_text(block + "\n" + second);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_DOUBLE_EQ(*samples[0].cpu_mw, 954);
  EXPECT_DOUBLE_EQ(*samples[1].cpu_mw, 1200);
}

TEST(PowermetricsParser, IgnoresGarbage) {
  EXPECT_TRUE(parse_text("CPU Power: 5 mW\nrandom\n").empty());  // outside any block
  auto s = parse_text("*** Sampled system activity (x) (10ms elapsed) ***\nCPU Power: lots mW\n");
  EXPECT_TRUE(s.empty());
}

class PowermetricsSensorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    old_path_ = std::getenv("PATH") ? std::getenv("PATH") : "";
    std::string fake_dir = std::string(POWERTRAIN_SOURCE_DIR) + "/tests/fixtures/fake_powermetrics";
    setenv("PATH", (fake_dir + ":" + old_path_).c_str(), 1);
    setenv("FAKE_POWERMETRICS_SAMPLE", kRealSample.c_str(), 1);
  }
  void TearDown() override {
    setenv("PATH", old_path_.c_str(), 1);
    unsetenv("FAKE_POWERMETRICS_SAMPLE");
    unsetenv("FAKE_POWERMETRICS_NOT_ROOT");
  }
  std::string old_path_;
};

TEST_F(PowermetricsSensorTest, SpawnsTheProgramOnPathAndReadsItsSamples) {
  SensorOptions options;
  options.interval_s = 0.05;
  auto sensor = make_powermetrics_sensor(options);
  ASSERT_TRUE(sensor->available()) << sensor->reason();
  ASSERT_EQ(sensor->devices().size(), 3u);
  auto r = sensor->read();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].device, "cpu");
  EXPECT_DOUBLE_EQ(*r[0].power_mw, 954);
  EXPECT_DOUBLE_EQ(*r[1].power_mw, 28);
  EXPECT_DOUBLE_EQ(*r[2].power_mw, 0);
  EXPECT_EQ(r[0].source, EnergySource::kSampled);
}

TEST_F(PowermetricsSensorTest, WithoutRootSaysWhatToRunAndNeverCallsSudo) {
  setenv("FAKE_POWERMETRICS_NOT_ROOT", "1", 1);
  auto sensor = make_powermetrics_sensor(SensorOptions{});
  EXPECT_FALSE(sensor->available());
  EXPECT_NE(sensor->reason().find("sudo powertrain"), std::string::npos) << sensor->reason();
}

TEST_F(PowermetricsSensorTest, MissingProgramIsUnavailable) {
  SensorOptions options;
  options.powermetrics_program = "/nonexistent/powermetrics";
  auto sensor = make_powermetrics_sensor(options);
  EXPECT_FALSE(sensor->available());
  EXPECT_NE(sensor->reason().find("/nonexistent/powermetrics"), std::string::npos);
}

}  // namespace
}  // namespace powertrain
