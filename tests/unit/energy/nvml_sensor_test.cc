// The NVML sensor's real dlopen path, against the fake library built from
// tests/fixtures/fake_nvml.
#include "powertrain/energy/sensors/nvml.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "support/test_util.h"

namespace powertrain {
namespace {

using testing::TempDir;

class NvmlSensorTest : public ::testing::Test {
 protected:
  void SetUp() override { unsetenv("CUDA_VISIBLE_DEVICES"); }
  void TearDown() override {
    unsetenv("FAKE_NVML_SCRIPT");
    unsetenv("CUDA_VISIBLE_DEVICES");
  }

  std::unique_ptr<Sensor> open(const std::string& script) {
    testing::write_file(dir_ / "script", script);
    setenv("FAKE_NVML_SCRIPT", (dir_ / "script").c_str(), 1);
    SensorOptions options;
    options.nvml_library = std::string(POWERTRAIN_FIXTURES_BINARY_DIR) + "/libnvidia-ml-fake.so";
    // No CUDA driver: CUDA_VISIBLE_DEVICES is read without it (numbers as
    // NVML indices); tests/unit/energy/nvml_gpus_test.cc covers the driver.
    options.cuda_library = "/nonexistent/libcuda.so.1";
    return make_nvml_sensor(options);
  }

  TempDir dir_;
};

constexpr const char* kTwoGpus =
    "gpu name=FakeH100 uuid=GPU-1111 power=100000,200000,300000 energy=0,1000,3000 "
    "limit=700000 util=40\n"
    "gpu name=FakeT4 uuid=GPU-2222 power=70000 energy=unsupported\n";

TEST_F(NvmlSensorTest, MissingLibraryIsUnavailableWithReason) {
  SensorOptions options;
  options.nvml_library = "/nonexistent/libnvidia-ml.so.1";
  auto sensor = make_nvml_sensor(options);
  EXPECT_FALSE(sensor->available());
  EXPECT_NE(sensor->reason().find("/nonexistent/libnvidia-ml.so.1"), std::string::npos);
  EXPECT_TRUE(sensor->devices().empty());
}

TEST_F(NvmlSensorTest, ListsDevicesWithCounterSupportAndLimit) {
  auto sensor = open(kTwoGpus);
  ASSERT_TRUE(sensor->available()) << sensor->reason();
  auto devices = sensor->devices();
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[0].id, "gpu0");
  EXPECT_EQ(devices[0].name, "FakeH100");
  EXPECT_TRUE(devices[0].has_counter);
  ASSERT_TRUE(devices[0].power_limit_mw);
  EXPECT_DOUBLE_EQ(*devices[0].power_limit_mw, 700000);
  EXPECT_EQ(devices[1].name, "FakeT4");
  EXPECT_FALSE(devices[1].has_counter);
  EXPECT_FALSE(devices[1].power_limit_mw);
}

TEST_F(NvmlSensorTest, ReadsScriptedPowerAndCounter) {
  auto sensor = open(kTwoGpus);
  ASSERT_TRUE(sensor->available());
  // Device discovery consumed the counter's first value (0) to probe support.
  auto first = sensor->read();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].device, "gpu0");
  EXPECT_DOUBLE_EQ(*first[0].power_mw, 100000);
  EXPECT_DOUBLE_EQ(*first[0].energy_mj, 1000);
  EXPECT_DOUBLE_EQ(*first[0].utilization_pct, 40);
  EXPECT_EQ(first[0].source, EnergySource::kCounter);
  EXPECT_DOUBLE_EQ(*first[1].power_mw, 70000);
  EXPECT_FALSE(first[1].energy_mj);  // NOT_SUPPORTED: sampled power only
  EXPECT_EQ(first[1].source, EnergySource::kSampled);
  EXPECT_TRUE(first[1].error.empty());
  auto second = sensor->read();
  EXPECT_DOUBLE_EQ(*second[0].power_mw, 200000);
  EXPECT_DOUBLE_EQ(*second[0].energy_mj, 3000);
}

TEST_F(NvmlSensorTest, DeviceLostMidRunGivesErrorReadingsNotACrash) {
  auto sensor = open("gpu name=Flaky power=50000,60000 energy=unsupported fail_after=2\n");
  ASSERT_TRUE(sensor->available());
  EXPECT_TRUE(sensor->read()[0].power_mw);
  EXPECT_TRUE(sensor->read()[0].power_mw);
  auto lost = sensor->read();
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_FALSE(lost[0].power_mw);
  EXPECT_NE(lost[0].error.find("GPU is lost"), std::string::npos) << lost[0].error;
}

TEST_F(NvmlSensorTest, HonoursCudaVisibleDevicesIndicesAndUuids) {
  setenv("CUDA_VISIBLE_DEVICES", "1", 1);
  auto one = open(kTwoGpus);
  ASSERT_EQ(one->devices().size(), 1u);
  EXPECT_EQ(one->devices()[0].id, "gpu0");  // as CUDA numbers it
  EXPECT_EQ(one->devices()[0].name, "FakeT4");

  setenv("CUDA_VISIBLE_DEVICES", "GPU-2222,GPU-1111", 1);
  auto both = open(kTwoGpus);
  ASSERT_EQ(both->devices().size(), 2u);
  EXPECT_EQ(both->devices()[0].name, "FakeT4");
  EXPECT_EQ(both->devices()[1].name, "FakeH100");

  setenv("CUDA_VISIBLE_DEVICES", "", 1);
  auto none = open(kTwoGpus);
  EXPECT_FALSE(none->available());
  EXPECT_NE(none->reason().find("CUDA_VISIBLE_DEVICES"), std::string::npos) << none->reason();

  setenv("CUDA_VISIBLE_DEVICES", "GPU-9999", 1);
  auto unknown = open(kTwoGpus);
  EXPECT_FALSE(unknown->available());
  EXPECT_NE(unknown->reason().find("GPU-9999"), std::string::npos) << unknown->reason();
}

TEST_F(NvmlSensorTest, NoGpuIsUnavailable) {
  auto sensor = open("# no gpus\n");
  EXPECT_FALSE(sensor->available());
  EXPECT_NE(sensor->reason().find("no GPU"), std::string::npos) << sensor->reason();
}

}  // namespace
}  // namespace powertrain
