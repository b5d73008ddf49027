#include "powertrain/energy/sensors/model.h"

#include <gtest/gtest.h>

#include "support/test_util.h"

namespace powertrain {
namespace {

using testing::TempDir;
using testing::write_file;

// cpu user nice system idle iowait irq softirq steal
void write_stat(const TempDir& proc, int busy, int idle) {
  write_file(proc / "stat", "cpu  " + std::to_string(busy) + " 0 0 " + std::to_string(idle) +
                                " 0 0 0 0 0 0\ncpu0 1 0 0 1 0 0 0 0 0 0\n");
}

void make_proc(const TempDir& proc, const std::string& model) {
  write_stat(proc, 100, 100);
  write_file(proc / "cpuinfo", "processor\t: 0\nmodel name\t: " + model + "\n");
  write_file(proc / "meminfo", "MemTotal:       16777216 kB\nMemFree:  1 kB\n");
}

TEST(ModelSensor, CpuPowerIsTdpTimesUtilisationAndRamBySize) {
  TempDir proc;
  make_proc(proc, "Mystery CPU 9000");
  SensorOptions options;
  options.proc_root = proc.path();
  options.cpu_tdp_w = 100;
  auto sensor = make_model_sensor(options);
  ASSERT_TRUE(sensor->available()) << sensor->reason();
  write_stat(proc, 100 + 30, 100 + 10);  // 30 of 40 jiffies busy: 75 %
  auto r = sensor->read();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].device, "cpu");
  EXPECT_EQ(r[0].source, EnergySource::kModelled);
  EXPECT_DOUBLE_EQ(*r[0].power_mw, 75000);
  EXPECT_DOUBLE_EQ(*r[0].utilization_pct, 75);
  EXPECT_EQ(r[1].device, "ram");
  EXPECT_DOUBLE_EQ(*r[1].power_mw, 16 * kRamWattsPerGb * 1000);  // 16 GB
  EXPECT_EQ(r[1].source, EnergySource::kModelled);
  EXPECT_NE(sensor->devices()[0].measures.find("--cpu-tdp"), std::string::npos);
}

TEST(ModelSensor, TdpFromTableOrDefaultSaysWhichInDevices) {
  TempDir proc;
  make_proc(proc, "AMD EPYC 7763 64-Core Processor");
  SensorOptions options;
  options.proc_root = proc.path();
  auto known = make_model_sensor(options);
  EXPECT_NE(known->devices()[0].measures.find("280 W (table)"), std::string::npos)
      << known->devices()[0].measures;

  make_proc(proc, "Unknown Chip");
  auto unknown = make_model_sensor(options);
  EXPECT_NE(unknown->devices()[0].measures.find("default"), std::string::npos);
}

TEST(ModelSensor, LookupIsCaseInsensitiveSubstring) {
  EXPECT_EQ(lookup_cpu_tdp_w("Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz"), 270);
  EXPECT_FALSE(lookup_cpu_tdp_w("Some Other CPU"));
}

TEST(ModelSensor, UnreadableProcIsUnavailable) {
  SensorOptions options;
  options.proc_root = "/nonexistent/proc";
  auto sensor = make_model_sensor(options);
  EXPECT_FALSE(sensor->available());
  EXPECT_NE(sensor->reason().find("/nonexistent/proc/stat"), std::string::npos);
}

}  // namespace
}  // namespace powertrain
