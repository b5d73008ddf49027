// `powertrain devices` and `track` choose the GPUs the command uses, as the
// CUDA driver numbers them, and store where the figures come from. Run
// against the fake NVML (boards in PCI order, power with time in it) and the
// fake CUDA driver (its own order).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "powertrain/store/store.h"
#include "support/test_util.h"

namespace powertrain {
namespace {

using testing::powertrain_binary;
using testing::run_program;
using testing::TempDir;
using testing::write_file;

const std::string kFakeNvml = std::string(POWERTRAIN_FIXTURES_BINARY_DIR) + "/libnvidia-ml-fake.so";
const std::string kFakeCuda = std::string(POWERTRAIN_FIXTURES_BINARY_DIR) + "/libcuda-fake.so";

// NVML index 0 is BoardA (100 W), 1 is BoardB (200 W); CUDA numbers B 0 and
// A 1. The counters step every millisecond.
constexpr const char* kBoards =
    "driver 550.54.15\n"
    "nvml 12.550.54.15\n"
    "gpu name=BoardA uuid=GPU-aaaaaaaa-0000-4000-8000-000000000001 bus=0000:1B:00.0 "
    "profile=100000@0 step_ms=1 limit=700000\n"
    "gpu name=BoardB uuid=GPU-bbbbbbbb-0000-4000-8000-000000000002 bus=0000:3B:00.0 "
    "profile=200000@0 step_ms=1\n";
constexpr const char* kCuda =
    "device bus=0000:3B:00.0 uuid=GPU-bbbbbbbb-0000-4000-8000-000000000002\n"
    "device bus=0000:1B:00.0 uuid=GPU-aaaaaaaa-0000-4000-8000-000000000001\n";

class GpuCli : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir_ / "nvml.txt", kBoards);
    write_file(dir_ / "cuda.txt", kCuda);
  }
  testing::CommandResult track(const std::vector<std::string>& extra,
                               const std::string& visible = "1", const char* sleep = "0.4") {
    std::vector<std::string> argv = {
        powertrain_binary(), "track",          "--interval", "0.05", "--nvml-library",
        kFakeNvml,           "--cuda-library", kFakeCuda,    "--db", dir_ / "t.db"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    for (std::string a : {"--", "sh", "-c"}) argv.push_back(a);
    argv.push_back(std::string("echo Epoch 1; sleep ") + sleep);
    return run_program(argv, env(visible));
  }
  std::vector<std::pair<std::string, std::string>> env(const std::string& visible) {
    return {{"FAKE_NVML_SCRIPT", dir_ / "nvml.txt"},
            {"FAKE_CUDA_SCRIPT", dir_ / "cuda.txt"},
            {"CUDA_VISIBLE_DEVICES", visible}};
  }
  TempDir dir_;
};

TEST_F(GpuCli, DevicesShowsTheBoardCudaCallsOneWithItsProvenance) {
  auto r = run_program(
      {powertrain_binary(), "devices", "--nvml-library", kFakeNvml, "--cuda-library", kFakeCuda},
      env("1"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("BoardA"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("BoardB"), std::string::npos) << r.out;  // NVML's index 1
  EXPECT_NE(r.out.find("driver 550.54.15, NVML 12.550.54.15"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("UUID GPU-aaaaaaaa-0000-4000-8000-000000000001, bus 00000000:1B:00.0"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("limit 700 W"), std::string::npos) << r.out;
}

TEST_F(GpuCli, TrackMeasuresTheCommandsGpuAndStoresItsProvenance) {
  auto r = track({"--sensors", "nvml"}, "1", "1.0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Store store(dir_ / "t.db");
  int64_t run = store.runs().at(0).id;
  auto epochs = store.epochs(run);
  ASSERT_EQ(epochs.size(), 1u) << r.err;
  // BoardA's 100 W (BoardB, NVML's index 1, would be 200 W).
  EXPECT_NEAR(epochs[0].mean_power_mw, 100000, 1.0);
  ASSERT_TRUE(epochs[0].counter_energy_mwh);
  // The counter (1 ms steps) against 100 W x the epoch's duration; the
  // boundary reads lag the epoch's marks by a few ms on a busy machine.
  double truth_mwh = 100000 * epochs[0].duration_s / 3600.0;  // mW x s -> mWh
  EXPECT_NEAR(*epochs[0].counter_energy_mwh, truth_mwh, 0.02 * truth_mwh);
  auto whole = store.run_energy(run);
  ASSERT_TRUE(whole);
  auto p = nlohmann::json::parse(whole->sensor_provenance);
  EXPECT_EQ(p["driver_version"], "550.54.15");
  EXPECT_EQ(p["boards"][0]["uuid"], "GPU-aaaaaaaa-0000-4000-8000-000000000001");
  EXPECT_EQ(p["boards"][0]["power_field"],
            "NVML_FI_DEV_POWER_INSTANT (+ NVML_FI_DEV_POWER_AVERAGE)");
  EXPECT_NE(r.err.find("[energy counter; equation 1:"), std::string::npos) << r.err;
}

TEST_F(GpuCli, TrackGpusOverridesTheVisibleDevices) {
  // Both visible: cuda:0 is BoardB (200 W).
  auto r = track({"--sensors", "nvml", "--gpus", "cuda:0"}, "0,1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Only BoardB visible to CUDA, but the bus id names BoardA (100 W).
  auto bus = track({"--sensors", "nvml", "--gpus", "0000:1b:00.0"}, "0");
  ASSERT_EQ(bus.exit_code, 0) << bus.err;
  Store store(dir_ / "t.db");
  auto runs = store.runs();
  ASSERT_EQ(runs.size(), 2u);
  auto b = store.epochs(runs[0].id), a = store.epochs(runs[1].id);
  ASSERT_EQ(b.size(), 1u) << r.err;
  ASSERT_EQ(a.size(), 1u) << bus.err;
  EXPECT_NEAR(b[0].mean_power_mw, 200000, 1.0);
  EXPECT_NEAR(a[0].mean_power_mw, 100000, 1.0);

  auto none = track({"--sensors", "nvml", "--gpus", "none"});
  EXPECT_NE(none.exit_code, 0);
  EXPECT_NE(none.err.find("no GPU selected"), std::string::npos) << none.err;
}

TEST_F(GpuCli, MalformedGpuIsAUsageErrorBeforeAnythingRuns) {
  auto r = track({"--gpus", "cuda:0,board7"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--gpus: 'board7' is not a GPU"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "t.db"));
}

TEST_F(GpuCli, FailingNvmlInitIsAnErrorForACommandThatSeesGpus) {
  write_file(dir_ / "nvml.txt", std::string("init rc=18\n") + kBoards);
  auto r = track({});  // --sensors auto
  EXPECT_NE(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("version mismatch"), std::string::npos) << r.err;
}

// The probe prints raw readings; each must match the fake board's physics
// at the board's own timestamp: 100 W, then 600 W from 0.5 s; the 1 s
// average 100 + 500 * (t - 0.5) W after the step; the counter in 100 ms steps.
TEST_F(GpuCli, ProbePrintsInstantAverageAndCounterAsTheBoardHasThem) {
  write_file(dir_ / "nvml.txt",
             "gpu name=Step uuid=GPU-bbbbbbbb-0000-4000-8000-000000000002 bus=0000:3B:00.0 "
             "profile=100000@0,600000@0.5 step_ms=100\n");
  auto r = run_program({powertrain_binary(), "devices", "--nvml-library", kFakeNvml,
                        "--cuda-library", kFakeCuda, "--rapl-root", dir_ / "none", "--hwmon-root",
                        dir_ / "none", "--gpus", "cuda:0", "--probe", "0.8", "--interval", "0.02"},
                       env("0"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "t_s,sensor,device,power_mw,average_power_mw,energy_mj,measured_at_s,error");
  int checked = 0, after_step = 0;
  double last_counter = -1;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::istringstream cols(line);
    for (std::string c; std::getline(cols, c, ',');) f.push_back(c);
    ASSERT_GE(f.size(), 7u) << line;
    const double t = std::stod(f[6]) - 1.7e9, instant = std::stod(f[3]);
    const double average = std::stod(f[4]), counter = std::stod(f[5]);
    if (std::abs(t - 0.5) < 0.002) continue;  // at the step itself
    EXPECT_DOUBLE_EQ(instant, t < 0.5 ? 100000 : 600000) << line;
    // 3 mW: whole mW from the board, its timestamp to the microsecond.
    EXPECT_NEAR(average, t < 0.5 ? 100000 : 100000 + 500000 * (t - 0.5), 3.0) << line;
    EXPECT_GE(counter, last_counter) << line;  // never backwards
    // A whole number of steps: 10 J each at 100 W, 60 J each at 600 W.
    double steps_mj = counter <= 50000 ? counter / 10000 : 5 + (counter - 50000) / 60000;
    EXPECT_DOUBLE_EQ(steps_mj, std::round(steps_mj)) << line;
    last_counter = counter;
    ++checked;
    after_step += t > 0.5;
  }
  EXPECT_GE(checked, 10) << r.out;
  EXPECT_GE(after_step, 3) << r.out;
}

}  // namespace
}  // namespace powertrain
