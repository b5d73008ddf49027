// The RAPL sensor on the powercap and hwmon layouts of real machines: the
// real laptop tree in ../shared/data/rapl and the trees in
// tests/fixtures/rapl (see its README). Each tree is copied to a temporary
// folder, every counter in it is advanced at a set rate over a set interval
// (the sensor's clock is a fake one), and the sensor must give one package
// per socket with the right id and the set power, to 1 %.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "powertrain/energy/sensors/rapl.h"
#include "support/test_util.h"

namespace powertrain {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

const std::string kFixtures = std::string(POWERTRAIN_SOURCE_DIR) + "/tests/fixtures/rapl";
const std::string kLaptop = std::string(POWERTRAIN_SHARED_DATA_DIR) + "/rapl/laptop-intel-psys";

// A layout copied to a temporary folder, with a fake clock.
class Layout {
 public:
  explicit Layout(const std::string& source) {
    fs::copy(source, dir_.path(), fs::copy_options::recursive);
  }
  std::string operator/(const std::string& rel) const { return dir_ / rel; }

  // Opens the sensor at t = 0 s.
  std::unique_ptr<Sensor> open(const std::string& rapl_rel, const std::string& hwmon_rel) {
    SensorOptions options;
    options.rapl_root = dir_ / rapl_rel;
    options.hwmon_root = dir_ / hwmon_rel;
    return make_rapl_sensor(options, [this] { return now_s_; });
  }

  // Every counter file named advances at its rate for dt_s seconds.
  void run_for(double dt_s, const std::map<std::string, double>& watts_by_file) {
    now_s_ += dt_s;
    for (const auto& [rel, watts] : watts_by_file) {
      unsigned long long uj = std::stoull(testing::slurp(dir_ / rel));
      uj += static_cast<unsigned long long>(watts * 1e6 * dt_s);  // W * s = J = 1e6 uJ
      testing::write_file(dir_ / rel, std::to_string(uj) + "\n");
    }
  }

 private:
  TempDir dir_;
  double now_s_ = 0;
};

std::vector<std::string> ids(const Sensor& s) {
  std::vector<std::string> out;
  for (const auto& d : s.devices()) out.push_back(d.id);
  return out;
}

std::map<std::string, double> power_by_device(Sensor& s) {
  std::map<std::string, double> out;
  for (const auto& r : s.read()) {
    EXPECT_TRUE(r.error.empty()) << r.device << ": " << r.error;
    EXPECT_EQ(r.source, EnergySource::kCounter);
    if (r.power_mw) out[r.device] = *r.power_mw;
  }
  return out;
}

void expect_within_1pct(double measured, double truth, const std::string& what) {
  EXPECT_NEAR(measured, truth, truth * 0.01) << what;
}

TEST(RaplLayouts, RealLaptopTreeGivesPackageAndDramOnly) {
  Layout tree(kLaptop);
  auto sensor = tree.open(".", "no-hwmon");
  ASSERT_TRUE(sensor->available()) << sensor->reason();
  EXPECT_EQ(ids(*sensor), (std::vector<std::string>{"package-0", "dram-0"}));
  // core, uncore and psys advance too, far faster: none of it may show.
  tree.run_for(2.0, {{"intel-rapl:0/energy_uj", 12.5},
                     {"intel-rapl:0/intel-rapl:0:2/energy_uj", 1.5},
                     {"intel-rapl:0/intel-rapl:0:0/energy_uj", 9.0},
                     {"intel-rapl:0/intel-rapl:0:1/energy_uj", 2.0},
                     {"intel-rapl:1/energy_uj", 40.0}});
  auto p = power_by_device(*sensor);
  ASSERT_EQ(p.size(), 2u);
  expect_within_1pct(p["package-0"], 12500, "package-0 at 12.5 W");
  expect_within_1pct(p["dram-0"], 1500, "dram-0 at 1.5 W");
  EXPECT_NE(sensor->reason().find("intel-rapl:1 (psys)"), std::string::npos) << sensor->reason();
  EXPECT_NE(sensor->reason().find("core, uncore"), std::string::npos) << sensor->reason();
}

// Threadripper 1950X: package-0-die-0 and package-0-die-1 mirror the one
// socket counter; adding them doubled the power (68 W + 68 W = 137 W).
TEST(RaplLayouts, AmdDiesMirroringTheSocketCounterAreReadOnce) {
  Layout tree(kFixtures + "/amd-threadripper-1950x-dies");
  auto sensor = tree.open(".", "no-hwmon");
  ASSERT_TRUE(sensor->available()) << sensor->reason();
  EXPECT_EQ(ids(*sensor), (std::vector<std::string>{"package-0"}));
  tree.run_for(1.5, {{"intel-rapl:0/energy_uj", 68.0}, {"intel-rapl:1/energy_uj", 68.0}});
  auto p = power_by_device(*sensor);
  expect_within_1pct(p["package-0"], 68000, "one socket at 68 W");
  EXPECT_NE(sensor->devices()[0].measures.find("read once"), std::string::npos);
}

// Dies with counters of their own (Intel Cascade Lake-AP style) are summed
// into their socket's one reading.
TEST(RaplLayouts, DiesWithCountersOfTheirOwnAreSummedIntoTheSocket) {
  TempDir src;
  auto zone = [&](const std::string& rel, const std::string& name, unsigned long long uj) {
    testing::write_file(src / (rel + "/name"), name + "\n");
    testing::write_file(src / (rel + "/energy_uj"), std::to_string(uj) + "\n");
    testing::write_file(src / (rel + "/max_energy_range_uj"), "262143328850\n");
  };
  zone("intel-rapl:0", "package-0-die-0", 5000000000ULL);
  zone("intel-rapl:1", "package-0-die-1", 7000000000ULL);
  zone("intel-rapl:2", "package-1-die-0", 9000000000ULL);
  zone("intel-rapl:3", "package-1-die-1", 3000000000ULL);
  Layout tree(src.path());
  auto sensor = tree.open(".", "no-hwmon");
  EXPECT_EQ(ids(*sensor), (std::vector<std::string>{"package-0", "package-1"}));
  tree.run_for(2.0, {{"intel-rapl:0/energy_uj", 100},
                     {"intel-rapl:1/energy_uj", 120},
                     {"intel-rapl:2/energy_uj", 90},
                     {"intel-rapl:3/energy_uj", 80}});
  auto p = power_by_device(*sensor);
  expect_within_1pct(p["package-0"], 220000, "100 W + 120 W");
  expect_within_1pct(p["package-1"], 170000, "90 W + 80 W");
}

TEST(RaplLayouts, TpmiOnlyPackagesAreRead) {
  Layout tree(kFixtures + "/intel-tpmi-2s");
  auto sensor = tree.open(".", "no-hwmon");
  ASSERT_TRUE(sensor->available()) << sensor->reason();
  EXPECT_EQ(ids(*sensor), (std::vector<std::string>{"package-0", "dram-0", "package-1", "dram-1"}));
  tree.run_for(0.5, {{"intel-rapl-tpmi:0/energy_uj", 250},
                     {"intel-rapl-tpmi:0/intel-rapl-tpmi:0:0/energy_uj", 30},
                     {"intel-rapl-tpmi:1/energy_uj", 310},
                     {"intel-rapl-tpmi:1/intel-rapl-tpmi:1:0/energy_uj", 45}});
  auto p = power_by_device(*sensor);
  expect_within_1pct(p["package-0"], 250000, "package-0");
  expect_within_1pct(p["dram-0"], 30000, "dram-0");
  expect_within_1pct(p["package-1"], 310000, "package-1");
  expect_within_1pct(p["dram-1"], 45000, "dram-1");
  EXPECT_NE(sensor->devices()[0].measures.find("intel-rapl-tpmi"), std::string::npos);
}

// Two sockets with psys as intel-rapl:1 between them: the second package is
// intel-rapl:2 and its name says package-1.
TEST(RaplLayouts, IdsComeFromZoneNamesNotDirectoryIndices) {
  Layout tree(kFixtures + "/sapphire-rapids-2s-psys");
  auto sensor = tree.open(".", "no-hwmon");
  ASSERT_TRUE(sensor->available()) << sensor->reason();
  EXPECT_EQ(ids(*sensor), (std::vector<std::string>{"package-0", "dram-0", "package-1", "dram-1"}));
  tree.run_for(1.0, {{"intel-rapl:0/energy_uj", 180},
                     {"intel-rapl:0/intel-rapl:0:0/energy_uj", 20},
                     {"intel-rapl:1/energy_uj", 900},
                     {"intel-rapl:2/energy_uj", 210},
                     {"intel-rapl:2/intel-rapl:2:0/energy_uj", 25}});
  auto p = power_by_device(*sensor);
  ASSERT_EQ(p.size(), 4u);
  expect_within_1pct(p["package-0"], 180000, "package-0");
  expect_within_1pct(p["dram-0"], 20000, "dram-0");
  expect_within_1pct(p["package-1"], 210000, "package-1 is intel-rapl:2");
  expect_within_1pct(p["dram-1"], 25000, "dram-1 is intel-rapl:2:0");
}

TEST(RaplLayouts, MmioTwinOfTheMsrPackageIsNotAdded) {
  Layout tree(kFixtures + "/core-ultra-mmio-twin");
  auto sensor = tree.open(".", "no-hwmon");
  ASSERT_TRUE(sensor->available()) << sensor->reason();
  EXPECT_EQ(ids(*sensor), (std::vector<std::string>{"package-0"}));
  tree.run_for(1.0, {{"intel-rapl:0/energy_uj", 15}, {"intel-rapl-mmio:0/energy_uj", 15}});
  auto p = power_by_device(*sensor);
  expect_within_1pct(p["package-0"], 15000, "15 W, not 30 W");
  EXPECT_NE(sensor->devices()[0].measures.find("(intel-rapl)"), std::string::npos);
  EXPECT_NE(sensor->reason().find("skipped intel-rapl-mmio:0 (package-0)"), std::string::npos)
      << sensor->reason();
}

TEST(RaplLayouts, MmioAloneIsRead) {
  Layout tree(kFixtures + "/core-ultra-mmio-twin");
  fs::remove_all(tree / "intel-rapl:0");
  fs::remove_all(tree / "intel-rapl:1");
  auto sensor = tree.open(".", "no-hwmon");
  ASSERT_TRUE(sensor->available()) << sensor->reason();
  EXPECT_EQ(ids(*sensor), (std::vector<std::string>{"package-0"}));
  tree.run_for(1.0, {{"intel-rapl-mmio:0/energy_uj", 15}});
  expect_within_1pct(power_by_device(*sensor)["package-0"], 15000, "mmio package");
  EXPECT_NE(sensor->devices()[0].measures.find("intel-rapl-mmio"), std::string::npos);
}

TEST(RaplLayouts, AmdEnergyHwmonWherePowercapIsAbsent) {
  Layout tree(kFixtures + "/hwmon-amd-energy-2s");
  auto sensor = tree.open("no-powercap", "hwmon");
  ASSERT_TRUE(sensor->available()) << sensor->reason();
  EXPECT_EQ(ids(*sensor), (std::vector<std::string>{"package-0", "package-1"}));
  tree.run_for(2.0, {{"hwmon/hwmon1/energy5_input", 180},
                     {"hwmon/hwmon1/energy6_input", 150},
                     {"hwmon/hwmon1/energy1_input", 7},
                     {"hwmon/hwmon1/energy2_input", 9}});
  auto p = power_by_device(*sensor);
  ASSERT_EQ(p.size(), 2u);
  expect_within_1pct(p["package-0"], 180000, "Esocket0");
  expect_within_1pct(p["package-1"], 150000, "Esocket1");
  EXPECT_NE(sensor->reason().find("hwmon amd_energy"), std::string::npos) << sensor->reason();
  EXPECT_NE(sensor->reason().find("powercap skipped"), std::string::npos) << sensor->reason();
}

TEST(RaplLayouts, PowercapWinsOverHwmonWhenBothExist) {
  Layout tree(kFixtures + "/hwmon-amd-energy-2s");
  fs::copy(kFixtures + "/amd-threadripper-1950x-dies", tree / "powercap",
           fs::copy_options::recursive);
  auto sensor = tree.open("powercap", "hwmon");
  EXPECT_EQ(ids(*sensor), (std::vector<std::string>{"package-0"}));
  EXPECT_NE(sensor->reason().find("hwmon amd_energy not read"), std::string::npos);
}

TEST(RaplLayouts, NeitherSourceSaysWhyForBoth) {
  Layout tree(kFixtures + "/hwmon-amd-energy-2s");
  auto sensor = tree.open("no-powercap", "no-hwmon");
  EXPECT_FALSE(sensor->available());
  EXPECT_NE(sensor->reason().find("powercap: no powercap tree"), std::string::npos)
      << sensor->reason();
  EXPECT_NE(sensor->reason().find("hwmon: no hwmon tree"), std::string::npos) << sensor->reason();
}

TEST(RaplLayouts, HwmonCounterGoingBackIsAGapNotNegativeEnergy) {
  Layout tree(kFixtures + "/hwmon-amd-energy-2s");
  auto sensor = tree.open("no-powercap", "hwmon");
  testing::write_file(tree / "hwmon/hwmon1/energy5_input", "5\n");
  auto r = sensor->read();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_FALSE(r[0].power_mw);
  EXPECT_NE(r[0].error.find("went back"), std::string::npos) << r[0].error;
  // From the new value on it counts again.
  tree.run_for(1.0, {{"hwmon/hwmon1/energy5_input", 50}});
  auto again = sensor->read();
  ASSERT_TRUE(again[0].power_mw) << again[0].error;
  expect_within_1pct(*again[0].power_mw, 50000, "after the reset");
}

}  // namespace
}  // namespace powertrain
