// Which GPUs the NVML sensor measures, and what it reads, against the fake
// NVML (boards in PCI order, with time in it) and the fake CUDA driver (its
// own, fastest-first order), both built from tests/fixtures.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "energy/sensors/nvml/cuda_devices.h"
#include "powertrain/energy/epoch_energy.h"
#include "powertrain/energy/sensors/nvml.h"
#include "support/test_util.h"

namespace powertrain {
namespace {

using testing::TempDir;

const std::string kFakeNvml = std::string(POWERTRAIN_FIXTURES_BINARY_DIR) + "/libnvidia-ml-fake.so";
const std::string kFakeCuda = std::string(POWERTRAIN_FIXTURES_BINARY_DIR) + "/libcuda-fake.so";

constexpr const char* kUuidA = "GPU-aaaaaaaa-0000-4000-8000-000000000001";
constexpr const char* kUuidB = "GPU-bbbbbbbb-0000-4000-8000-000000000002";
constexpr const char* kUuidC = "GPU-cccccccc-0000-4000-8000-000000000003";
constexpr const char* kUuidM = "GPU-dddddddd-0000-4000-8000-000000000004";

// NVML's PCI order: A (index 0), B (1), C (no permission), M (MIG, 2 instances).
std::string nvml_boards() {
  return std::string("driver 550.54.15\nnvml 12.550.54.15\n") + "gpu name=BoardA uuid=" + kUuidA +
         " bus=0000:1B:00.0 profile=100000@0 limit=700000\n" + "gpu name=BoardB uuid=" + kUuidB +
         " bus=0000:3B:00.0 profile=200000@0\n" + "gpu name=BoardC uuid=" + kUuidC +
         " bus=0000:5B:00.0 permission=no profile=50000@0\n" + "gpu name=BoardM uuid=" + kUuidM +
         " bus=0000:7B:00.0 mig=2 profile=300000@0\n";
}

// CUDA's order (fastest first): B is cuda 0, A is cuda 1.
std::string cuda_devices() {
  return std::string("device bus=0000:3b:00.0 uuid=") + kUuidB + "\n" +
         "device bus=0000:1b:00.0 uuid=" + kUuidA + "\n";
}

class NvmlGpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("CUDA_VISIBLE_DEVICES");
    fake_ = dlopen(kFakeNvml.c_str(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(fake_, nullptr);
    set_time_ = reinterpret_cast<void (*)(double)>(dlsym(fake_, "fake_nvml_set_time"));
    ASSERT_NE(set_time_, nullptr);
    set_time_(0);
    write("nvml", nvml_boards());
    write("cuda", cuda_devices());
  }
  void TearDown() override {
    if (set_time_) set_time_(-1);
    if (fake_) dlclose(fake_);
    for (const char* v : {"FAKE_NVML_SCRIPT", "FAKE_CUDA_SCRIPT", "CUDA_VISIBLE_DEVICES"}) {
      unsetenv(v);
    }
  }

  void write(const std::string& which, const std::string& text) {
    testing::write_file(dir_ / which, text);
    setenv(which == "nvml" ? "FAKE_NVML_SCRIPT" : "FAKE_CUDA_SCRIPT", (dir_ / which).c_str(), 1);
  }

  SensorOptions options(std::optional<std::vector<std::string>> gpus = std::nullopt,
                        bool required = false) {
    SensorOptions o;
    o.nvml_library = kFakeNvml;
    o.cuda_library = kFakeCuda;
    o.gpus = std::move(gpus);
    o.gpu_required = required;
    return o;
  }

  TempDir dir_;
  void* fake_ = nullptr;
  void (*set_time_)(double) = nullptr;
};

TEST(CudaDevices, BusIdsAndUuidsInNvmlsForm) {
  // CUDA prints a 4-digit domain in lower case; NVML an 8-digit one in upper.
  EXPECT_EQ(nvml::normalise_bus_id("0000:3b:00.0"), "00000000:3B:00.0");
  EXPECT_EQ(nvml::normalise_bus_id("00000001:C1:1f.7"), "00000001:C1:1F.7");
  EXPECT_FALSE(nvml::normalise_bus_id("0000:3b:00"));
  EXPECT_FALSE(nvml::normalise_bus_id("GPU-3b00"));
  EXPECT_FALSE(nvml::normalise_bus_id("0000:3b:00.0x"));
  const unsigned char bytes[16] = {0x5a, 0x1f, 0x0c, 0x2e, 0x00, 0x01, 0x40, 0x00,
                                   0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff};
  EXPECT_EQ(nvml::format_uuid(bytes), "GPU-5a1f0c2e-0001-4000-8000-0000000000ff");
  for (const char* ok : {"cuda:0", "3", "GPU-5a1f", "MIG-5a1f", "0000:3b:00.0"}) {
    EXPECT_TRUE(is_gpu_selector(ok)) << ok;
  }
  for (const char* bad : {"cuda:", "cuda:x", "GPU-", "board7", "gpu0", ""}) {
    EXPECT_FALSE(is_gpu_selector(bad)) << bad;
  }
  // No CUDA driver: the resolver says so rather than inventing devices.
  auto missing = nvml::list_cuda_devices("/nonexistent/libcuda.so.1");
  EXPECT_FALSE(missing.loaded);
  EXPECT_TRUE(missing.devices.empty());
  EXPECT_NE(missing.error.find("/nonexistent/libcuda.so.1"), std::string::npos) << missing.error;
}

TEST_F(NvmlGpusTest, CudaDriverListsDevicesInItsOwnOrder) {
  auto cuda = nvml::list_cuda_devices(kFakeCuda);
  ASSERT_TRUE(cuda.error.empty()) << cuda.error;
  ASSERT_EQ(cuda.devices.size(), 2u);
  EXPECT_EQ(cuda.devices[0].bus_id, "00000000:3B:00.0");
  EXPECT_EQ(cuda.devices[0].uuid, kUuidB);
  EXPECT_EQ(cuda.devices[1].uuid, kUuidA);
  setenv("CUDA_VISIBLE_DEVICES", "", 1);  // hides every device: CUDA_ERROR_NO_DEVICE
  auto none = nvml::list_cuda_devices(kFakeCuda);
  EXPECT_TRUE(none.no_device);
  EXPECT_TRUE(none.devices.empty());
  auto sensor = make_nvml_sensor(options());
  EXPECT_FALSE(sensor->available());
  EXPECT_FALSE(sensor->required());  // nothing visible: nothing to measure
  EXPECT_NE(sensor->reason().find("CUDA sees no GPU"), std::string::npos) << sensor->reason();
}

TEST_F(NvmlGpusTest, CudaVisibleDevicesIsReadAsCudaNumbersThem) {
  // CUDA calls BoardA (bus 1B) device 1; NVML calls it index 0 and calls
  // BoardB index 1. CUDA_VISIBLE_DEVICES=1 must measure BoardA.
  setenv("CUDA_VISIBLE_DEVICES", "1", 1);
  auto sensor = make_nvml_sensor(options());
  ASSERT_TRUE(sensor->available()) << sensor->reason();
  ASSERT_EQ(sensor->devices().size(), 1u);
  EXPECT_EQ(sensor->devices()[0].name, "BoardA");
  EXPECT_DOUBLE_EQ(*sensor->read()[0].power_mw, 100000);  // BoardA's 100 W, not BoardB's 200 W
  auto p = nlohmann::json::parse(sensor->provenance());
  EXPECT_EQ(p["boards"][0]["bus_id"], "00000000:1B:00.0");
  EXPECT_EQ(p["boards"][0]["selected_by"], "cuda:0");  // the child's cuda:0
}

TEST_F(NvmlGpusTest, CudaOrdinalSelectsTheBoardTheTrainerUses) {
  auto zero = make_nvml_sensor(options(std::vector<std::string>{"cuda:0"}, true));
  ASSERT_TRUE(zero->available()) << zero->reason();
  EXPECT_EQ(zero->devices()[0].name, "BoardB");
  EXPECT_DOUBLE_EQ(*zero->read()[0].power_mw, 200000);
  // Without CUDA_VISIBLE_DEVICES every CUDA device is measured, in CUDA's order.
  auto all = make_nvml_sensor(options());
  ASSERT_EQ(all->devices().size(), 2u);
  EXPECT_EQ(all->devices()[0].name, "BoardB");
  EXPECT_EQ(all->devices()[1].name, "BoardA");
  // An ordinal CUDA does not have is an error naming it.
  auto three = make_nvml_sensor(options(std::vector<std::string>{"cuda:3"}, true));
  EXPECT_FALSE(three->available());
  EXPECT_TRUE(three->required());
  EXPECT_NE(three->reason().find("cuda:3"), std::string::npos) << three->reason();
}

TEST_F(NvmlGpusTest, ACpuRunMeasuresNoGpu) {
  auto none = make_nvml_sensor(options(std::vector<std::string>{}));
  EXPECT_FALSE(none->available());
  EXPECT_FALSE(none->required());
  EXPECT_NE(none->reason().find("no GPU selected"), std::string::npos) << none->reason();
}

TEST_F(NvmlGpusTest, OneBoardListedTwiceIsMeasuredOnce) {
  setenv("CUDA_VISIBLE_DEVICES", "0,0", 1);
  auto sensor = make_nvml_sensor(options());
  ASSERT_TRUE(sensor->available()) << sensor->reason();
  ASSERT_EQ(sensor->devices().size(), 1u);
  auto readings = sensor->read();
  ASSERT_EQ(readings.size(), 1u);
  EXPECT_DOUBLE_EQ(*readings[0].power_mw, 200000);  // 200 W once, not 400 W
  EXPECT_NE(sensor->reason().find("measured once"), std::string::npos) << sensor->reason();
}

TEST_F(NvmlGpusTest, UniqueUuidPrefixSelectsAndAnAmbiguousOneIsAnError) {
  auto b = make_nvml_sensor(options(std::vector<std::string>{"GPU-bbbb"}));
  ASSERT_TRUE(b->available()) << b->reason();
  EXPECT_EQ(b->devices()[0].name, "BoardB");
  auto bus = make_nvml_sensor(options(std::vector<std::string>{"0000:1b:00.0"}));
  ASSERT_TRUE(bus->available()) << bus->reason();
  EXPECT_EQ(bus->devices()[0].name, "BoardA");
  auto ambiguous = make_nvml_sensor(options(std::vector<std::string>{"GPU-"}));
  EXPECT_FALSE(ambiguous->available());
  EXPECT_TRUE(ambiguous->required());  // bad input is never silently dropped
  EXPECT_NE(ambiguous->reason().find("more than one GPU"), std::string::npos)
      << ambiguous->reason();
  auto junk = make_nvml_sensor(options(std::vector<std::string>{"board-7"}));
  EXPECT_NE(junk->reason().find("'board-7': not a GPU"), std::string::npos) << junk->reason();
}

TEST_F(NvmlGpusTest, NoPermissionBoardIsSkippedWithANoteOrFailsARequiredRun) {
  auto sensor = make_nvml_sensor(options(std::vector<std::string>{kUuidC, "cuda:0"}));
  ASSERT_TRUE(sensor->available()) << sensor->reason();
  ASSERT_EQ(sensor->devices().size(), 1u);
  EXPECT_EQ(sensor->devices()[0].name, "BoardB");
  EXPECT_NE(sensor->reason().find("no permission"), std::string::npos) << sensor->reason();

  // A prefix NVML cannot check against the board it cannot read: skipped too.
  auto prefix = make_nvml_sensor(options(std::vector<std::string>{"GPU-cccc", "cuda:0"}));
  ASSERT_EQ(prefix->devices().size(), 1u) << prefix->reason();
  EXPECT_NE(prefix->reason().find("GPU-cccc: no permission"), std::string::npos)
      << prefix->reason();

  auto required = options(std::vector<std::string>{kUuidC}, true);
  auto strict = make_nvml_sensor(required);
  EXPECT_FALSE(strict->available());
  EXPECT_TRUE(strict->required());
  try {
    make_sensors({"auto"}, required);
    FAIL() << "a required GPU without permission must be an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no permission"), std::string::npos) << e.what();
  }
}

TEST_F(NvmlGpusTest, MigInstanceMeasuresItsWholeBoardLabelledShared) {
  std::string mig0 = "MIG-" + std::string(kUuidM).substr(4) + "-0";
  std::string mig1 = "MIG-" + std::string(kUuidM).substr(4) + "-1";
  set_time_(5);
  auto sensor = make_nvml_sensor(options(std::vector<std::string>{mig0, mig1}));
  ASSERT_TRUE(sensor->available()) << sensor->reason();
  ASSERT_EQ(sensor->devices().size(), 1u);  // two instances, one board, measured once
  EXPECT_NE(sensor->devices()[0].measures.find("whole GPU shared by 2 MIG instances"),
            std::string::npos)
      << sensor->devices()[0].measures;
  auto r = sensor->read();
  ASSERT_TRUE(r[0].power_mw) << r[0].error;
  EXPECT_DOUBLE_EQ(*r[0].power_mw, 300000);  // the board's 300 W, never 0
  auto p = nlohmann::json::parse(sensor->provenance());
  EXPECT_EQ(p["boards"][0]["mig_mode"], "enabled");
  EXPECT_EQ(p["boards"][0]["mig_instances"], 2);
}

TEST_F(NvmlGpusTest, FailingNvmlInitFailsACudaRunNamingTheCause) {
  write("nvml", "init rc=18\n" + nvml_boards());
  auto sensor = make_nvml_sensor(options());
  EXPECT_FALSE(sensor->available());
  EXPECT_TRUE(sensor->required());  // CUDA shows this process two GPUs
  try {
    make_sensors({"auto"}, options());
    FAIL() << "auto must not fall back to CPU-only figures for a CUDA run";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("version mismatch"), std::string::npos) << e.what();
  }
  // A CPU run does not need NVML: auto goes on without it.
  EXPECT_FALSE(make_sensors({"auto"}, options(std::vector<std::string>{})).empty());
}

TEST_F(NvmlGpusTest, ProvenanceNamesDriverBoardFieldAndLimit) {
  auto sensor = make_nvml_sensor(options(std::vector<std::string>{"cuda:1"}));
  auto p = nlohmann::json::parse(sensor->provenance());
  EXPECT_EQ(p["driver_version"], "550.54.15");
  EXPECT_EQ(p["nvml_version"], "12.550.54.15");
  const auto& b = p["boards"][0];
  EXPECT_EQ(b["name"], "BoardA");
  EXPECT_EQ(b["uuid"], kUuidA);
  EXPECT_EQ(b["bus_id"], "00000000:1B:00.0");
  EXPECT_EQ(b["power_limit_w"], 700.0);
  EXPECT_EQ(b["mig_mode"], "disabled");
  EXPECT_EQ(b["energy_counter"], true);
  EXPECT_EQ(b["power_field"], "NVML_FI_DEV_POWER_INSTANT (+ NVML_FI_DEV_POWER_AVERAGE)");
}

// 100 W idle, then 600 W from t = 2 s; the counter steps every 100 ms.
class NvmlPhysicsTest : public NvmlGpusTest {
 protected:
  std::unique_ptr<Sensor> open_step(const std::string& extra = "") {
    write("nvml", std::string("gpu name=Step uuid=") + kUuidB +
                      " bus=0000:3B:00.0 profile=100000@0,600000@2 step_ms=100 " + extra + "\n");
    return make_nvml_sensor(options(std::vector<std::string>{"cuda:0"}, true));
  }
  PowerReading at(Sensor& sensor, double t) {
    set_time_(t);
    return sensor.read().at(0);
  }
};

TEST_F(NvmlPhysicsTest, CounterIsExactToItsStepAndTheAverageFieldLags) {
  auto sensor = open_step();
  ASSERT_TRUE(sensor->available()) << sensor->reason();
  PowerReading start = at(*sensor, 2.0), mid = at(*sensor, 2.5), end = at(*sensor, 3.0);
  // Counter: 2 s at 100 W = 200 J, then 1 s at 600 W = 600 J.
  EXPECT_DOUBLE_EQ(*start.energy_mj, 200000);
  EXPECT_DOUBLE_EQ(*end.energy_mj - *start.energy_mj, 600000);
  // Between steps the counter holds: 2.05 s still reads the 2.0 s value.
  EXPECT_DOUBLE_EQ(*at(*sensor, 2.05).energy_mj, 200000);
  // Half a second into the step, instant power is 600 W; the 1 s average
  // is (0.5 * 100 + 0.5 * 600) = 350 W, and reaches 600 W only at 3 s.
  EXPECT_DOUBLE_EQ(*mid.power_mw, 600000);
  EXPECT_DOUBLE_EQ(*mid.average_power_mw, 350000);
  EXPECT_DOUBLE_EQ(*end.average_power_mw, 600000);
  EXPECT_DOUBLE_EQ(*mid.measured_at_s, 1.7e9 + 2.5);  // the field's own timestamp
}

TEST_F(NvmlPhysicsTest, EquationOneOnTheAverageFieldUnderReadsAndIsFlagged) {
  auto sensor = open_step();
  // A 1 s epoch of 600 W right after idle, sampled every 100 ms.
  std::vector<Sample> on_instant, on_average;
  for (int k = 0; k <= 10; ++k) {
    double t = 2.0 + 0.1 * k;
    PowerReading r = at(*sensor, t);
    Sample s;
    s.mono_s = t;
    s.epoch = 1;
    s.sensor = "nvml";
    s.periodic = k > 0;
    s.reading = r;
    on_instant.push_back(s);
    s.reading.power_mw = r.average_power_mw;
    on_average.push_back(s);
  }
  auto instant = compute_epoch_energy(on_instant, {{1, 2.0, 3.0}}, 0.1).front();
  auto average = compute_epoch_energy(on_average, {{1, 2.0, 3.0}}, 0.1).front();
  // The counter: 600 J = 166.67 mWh, exactly.
  ASSERT_TRUE(instant.counter_energy_mwh);
  EXPECT_DOUBLE_EQ(*instant.counter_energy_mwh, 600000 / 3600.0);
  // Instant power: 600 W throughout, equation 1 agrees with the counter.
  EXPECT_NEAR(instant.energy_mwh, 600000 / 3600.0, 1e-9);
  EXPECT_FALSE(instant.counter_gap);
  // The average field at 2.1 .. 3.0 s is 100 + 500 * (t - 2) W; weighted by
  // time (0.15 s for the first sample, 0.05 s for the last, 0.1 s between):
  // 100 + 500 * (0.15 * 0.1 + 0.1 * (0.2 + ... + 0.9) + 0.05 * 1.0) = 352.5 W,
  // 41 % under the counter, and flagged (the fake truncates to whole mW).
  EXPECT_NEAR(average.mean_power_mw, 352500, 1.0);
  EXPECT_NEAR(average.energy_mwh, 352500 / 3600.0, 1e-3);
  EXPECT_TRUE(average.counter_gap);
}

TEST_F(NvmlPhysicsTest, BoardWithoutPowerFieldsFallsBackToPowerUsage) {
  auto sensor = open_step("fields=none");
  auto p = nlohmann::json::parse(sensor->provenance());
  EXPECT_EQ(p["boards"][0]["power_field"], "nvmlDeviceGetPowerUsage");
  PowerReading r = at(*sensor, 2.5);
  EXPECT_DOUBLE_EQ(*r.power_mw, 350000);  // nvmlDeviceGetPowerUsage: the 1 s average
  EXPECT_FALSE(r.average_power_mw);
}

TEST_F(NvmlPhysicsTest, CounterResetGivesNoNegativeEnergy) {
  auto sensor = open_step("reset_at=2.5");
  std::vector<Sample> samples;
  for (double t : {2.0, 2.4, 2.6, 3.0}) {
    Sample s;
    s.mono_s = t;
    s.epoch = 1;
    s.sensor = "nvml";
    s.reading = at(*sensor, t);
    samples.push_back(s);
  }
  EXPECT_LT(*samples[2].reading.energy_mj, *samples[1].reading.energy_mj);  // it went back
  auto e = compute_epoch_energy(samples, {{1, 2.0, 3.0}}, 0.5).front();
  // 600 W: 2.0 -> 2.4 is 240 J, the reset at 2.5 restarts from 0 (2.6 reads
  // 60 J), 2.6 -> 3.0 is 240 J; the 60 J from 2.4 to 2.5 is lost: 540 J.
  ASSERT_TRUE(e.counter_energy_mwh);
  EXPECT_NEAR(*e.counter_energy_mwh, 540000 / 3600.0, 1e-9);
  EXPECT_EQ(e.streams[0].counter_resets, 1);
}

}  // namespace
}  // namespace powertrain
