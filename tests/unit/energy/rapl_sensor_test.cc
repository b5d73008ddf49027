// The RAPL sensor reading a fake powercap tree.
#include "powertrain/energy/sensors/rapl.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "support/test_util.h"

namespace powertrain {
namespace {

using testing::TempDir;
using testing::write_file;

void make_zone(const TempDir& root, const std::string& rel, const std::string& name,
               unsigned long long energy_uj, unsigned long long max_uj = 262143328850ULL) {
  write_file(root / (rel + "/name"), name + "\n");
  write_file(root / (rel + "/energy_uj"), std::to_string(energy_uj) + "\n");
  write_file(root / (rel + "/max_energy_range_uj"), std::to_string(max_uj) + "\n");
}

// Two packages with dram, a core subzone and an mmio duplicate to be ignored.
void make_two_packages(const TempDir& root) {
  make_zone(root, "intel-rapl:0", "package-0", 1000000);
  make_zone(root, "intel-rapl:0/intel-rapl:0:0", "core", 500000);
  make_zone(root, "intel-rapl:0/intel-rapl:0:1", "dram", 200000);
  make_zone(root, "intel-rapl:1", "package-1", 3000000);
  make_zone(root, "intel-rapl:1/intel-rapl:1:0", "dram", 400000);
  make_zone(root, "intel-rapl-mmio:0", "package-0", 1000000);
}

std::unique_ptr<Sensor> open(const TempDir& root) {
  SensorOptions options;
  options.rapl_root = root.path();
  return make_rapl_sensor(options);
}

TEST(RaplSensor, FindsEveryPackageAndDramZone) {
  TempDir root;
  make_two_packages(root);
  auto sensor = open(root);
  ASSERT_TRUE(sensor->available()) << sensor->reason();
  std::vector<std::string> ids;
  for (const auto& d : sensor->devices()) {
    ids.push_back(d.id);
    EXPECT_TRUE(d.has_counter);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"package-0", "dram-0", "package-1", "dram-1"}));
}

TEST(RaplSensor, CounterIsCumulativeFromOpenAndPowerIsItsRate) {
  TempDir root;
  make_two_packages(root);
  double now_s = 10;  // a fake clock sets the interval between reads
  SensorOptions options;
  options.rapl_root = root.path();
  auto sensor = make_rapl_sensor(options, [&now_s] { return now_s; });
  write_file(root / "intel-rapl:0/energy_uj", "1500000\n");  // +500 mJ
  now_s += 0.25;
  auto r = sensor->read();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].device, "package-0");
  EXPECT_DOUBLE_EQ(*r[0].energy_mj, 500);
  EXPECT_EQ(r[0].source, EnergySource::kCounter);
  EXPECT_DOUBLE_EQ(*r[0].power_mw, 2000);  // 500 mJ in 0.25 s
  EXPECT_DOUBLE_EQ(*r[1].energy_mj, 0);    // dram-0 unchanged
  EXPECT_DOUBLE_EQ(*r[1].power_mw, 0);
  write_file(root / "intel-rapl:0/energy_uj", "2500000\n");  // +1000 mJ
  now_s += 2;
  r = sensor->read();
  EXPECT_DOUBLE_EQ(*r[0].energy_mj, 1500);
  EXPECT_DOUBLE_EQ(*r[0].power_mw, 500);  // 1000 mJ in 2 s
}

TEST(RaplSensor, HandlesWraparoundThroughMaxEnergyRange) {
  TempDir root;
  make_zone(root, "intel-rapl:0", "package-0", 999000000, 999999999);
  auto sensor = open(root);
  // 999,000,000 -> wraps at 999,999,999 -> 1,000,000: 1,000,000 + 1,000,000 uj.
  write_file(root / "intel-rapl:0/energy_uj", "1000000\n");
  auto r = sensor->read();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_DOUBLE_EQ(*r[0].energy_mj, 2000);
  EXPECT_GE(*r[0].power_mw, 0);
}

TEST(RaplSensor, MissingTreeIsUnavailableWithReason) {
  SensorOptions options;
  options.rapl_root = "/nonexistent/powercap";
  auto sensor = make_rapl_sensor(options);
  EXPECT_FALSE(sensor->available());
  EXPECT_NE(sensor->reason().find("/nonexistent/powercap"), std::string::npos);
}

TEST(RaplSensor, VanishedFileMidRunIsAnErrorReading) {
  TempDir root;
  make_zone(root, "intel-rapl:0", "package-0", 1000);
  auto sensor = open(root);
  write_file(root / "intel-rapl:0/energy_uj", "\n");  // unreadable value
  auto r = sensor->read();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].power_mw);
  EXPECT_FALSE(r[0].error.empty());
}

// energy_uj is root-only on current kernels. Root can read anything, so when
// the test runs as root the sensor is opened in a child that drops to nobody.
TEST(RaplSensor, ZoneWithoutReadPermissionIsReportedAsTheReason) {
  TempDir root;
  make_zone(root, "intel-rapl:0", "package-0", 1000);
  make_zone(root, "intel-rapl:0/intel-rapl:0:0", "dram", 1000);
  chmod(root.path().c_str(), 0755);
  chmod((root / "intel-rapl:0/intel-rapl:0:0/energy_uj").c_str(), 0);
  auto check = [&]() -> int {
    auto sensor = open(root);
    if (!sensor->available()) return 10;  // package-0 is still readable
    if (sensor->devices().size() != 1) return 11;
    if (sensor->reason().find("permission denied") == std::string::npos) return 12;
    return 0;
  };
  if (geteuid() != 0) {
    EXPECT_EQ(check(), 0);
    return;
  }
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(20);
    _exit(check());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "10: unavailable, 11: wrong zones, 12: no reason, 20: setuid";
}

TEST(RaplSensor, CounterFileWithoutANumberIsNamedWithItsText) {
  TempDir root;
  make_zone(root, "intel-rapl:0", "package-0", 1000);
  auto sensor = open(root);
  write_file(root / "intel-rapl:0/energy_uj", "12ab\n");
  auto r = sensor->read();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].power_mw);
  EXPECT_EQ(r[0].error, root / "intel-rapl:0/energy_uj" + ": not a counter value: '12ab'");
}

TEST(RaplSensor, NoReadableZoneAtAllIsUnavailable) {
  TempDir root;
  write_file(root / "intel-rapl:0/name", "package-0\n");  // no energy_uj
  auto sensor = open(root);
  EXPECT_FALSE(sensor->available());
  EXPECT_NE(sensor->reason().find("energy_uj"), std::string::npos) << sensor->reason();
}

}  // namespace
}  // namespace powertrain
