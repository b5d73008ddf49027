// `powertrain devices` on real and rebuilt powercap / hwmon trees: which
// devices the rapl sensor lists, and the notes on what it skipped and why.
#include <gtest/gtest.h>

#include <sstream>

#include "support/test_util.h"

namespace powertrain {
namespace {

using testing::run_program;

// The device column of every "rapl  available" row.
std::vector<std::string> rapl_devices(const std::string& out) {
  std::vector<std::string> ids;
  std::istringstream in(out);
  std::string sensor, status, device;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream cols(line);
    if (cols >> sensor >> status >> device && sensor == "rapl" && status == "available") {
      ids.push_back(device);
    }
  }
  return ids;
}

TEST(DevicesCli, RealLaptopTreeListsPackageAndDramOnly) {
  testing::TempDir dir;
  auto r = run_program({testing::powertrain_binary(), "devices", "--rapl-root",
                        std::string(POWERTRAIN_SHARED_DATA_DIR) + "/rapl/laptop-intel-psys",
                        "--hwmon-root", dir / "none"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(rapl_devices(r.out), (std::vector<std::string>{"package-0", "dram-0"})) << r.out;
  EXPECT_NE(r.out.find("note: skipped intel-rapl:1 (psys)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("note: skipped subzones core, uncore"), std::string::npos) << r.out;
}

TEST(DevicesCli, AmdEnergyHwmonWithoutPowercap) {
  testing::TempDir dir;
  auto r = run_program(
      {testing::powertrain_binary(), "devices", "--rapl-root", dir / "none", "--hwmon-root",
       std::string(POWERTRAIN_SOURCE_DIR) + "/tests/fixtures/rapl/hwmon-amd-energy-2s/hwmon"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(rapl_devices(r.out), (std::vector<std::string>{"package-0", "package-1"})) << r.out;
  EXPECT_NE(r.out.find("note: read from hwmon amd_energy"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("note: powercap skipped: no powercap tree"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace powertrain
