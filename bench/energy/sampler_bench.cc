// What measuring costs: CPU time of one read per sensor, and the share of one
// core the sampler thread takes at 1 s, 100 ms and 10 ms with every sensor on
// (fake NVML library, fake RAPL tree, fake powermetrics, the model on the
// real /proc) and every sample written to an SQLite store.
//
//   build/bench/sampler_bench
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "powertrain/energy/sensors/model.h"
#include "powertrain/energy/sensors/nvml.h"
#include "powertrain/energy/sensors/powermetrics.h"
#include "powertrain/energy/sensors/rapl.h"
#include "powertrain/energy/tracker.h"
#include "powertrain/store/store.h"
#include "powertrain/store/store_sink.h"
#include "support/test_util.h"

namespace powertrain {
namespace {

// The fakes, set up once for the whole process.
struct Fakes {
  testing::TempDir dir;
  SensorOptions options;
  Fakes() {
    testing::write_file(dir / "nvml.txt",
                        "gpu name=FakeH100 power=300000 energy=1000 limit=700000 util=90\n"
                        "gpu name=FakeH100b power=250000 energy=2000 limit=700000 util=80\n");
    setenv("FAKE_NVML_SCRIPT", (dir / "nvml.txt").c_str(), 1);
    options.nvml_library = std::string(POWERTRAIN_FIXTURES_BINARY_DIR) + "/libnvidia-ml-fake.so";
    for (const char* zone : {"intel-rapl:0", "intel-rapl:0/intel-rapl:0:0", "intel-rapl:1",
                             "intel-rapl:1/intel-rapl:1:0"}) {
      std::string z = zone;
      bool dram = z.find(":0:0") != std::string::npos || z.find(":1:0") != std::string::npos;
      std::string pkg = z.substr(11, 1);
      testing::write_file(dir / ("rapl/" + z + "/name"), dram ? "dram\n" : "package-" + pkg + "\n");
      testing::write_file(dir / ("rapl/" + z + "/energy_uj"), "123456789\n");
      testing::write_file(dir / ("rapl/" + z + "/max_energy_range_uj"), "262143328850\n");
    }
    options.rapl_root = dir / "rapl";
    std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
    setenv(
        "PATH",
        (std::string(POWERTRAIN_SOURCE_DIR) + "/tests/fixtures/fake_powermetrics:" + path).c_str(),
        1);
    setenv("FAKE_POWERMETRICS_SAMPLE",
           (std::string(POWERTRAIN_SHARED_DATA_DIR) + "/powermetrics/macbook-m4-all-samplers.txt")
               .c_str(),
           1);
  }
};

Fakes& fakes() {
  static Fakes f;
  return f;
}

void read_sensor(benchmark::State& state, std::unique_ptr<Sensor> (*make)(const SensorOptions&)) {
  auto sensor = make(fakes().options);
  if (!sensor->available()) {
    state.SkipWithError(sensor->reason().c_str());
    return;
  }
  size_t devices = 0;
  for (auto _ : state) {
    auto r = sensor->read();
    devices = r.size();
    benchmark::DoNotOptimize(r);
  }
  state.counters["devices"] = static_cast<double>(devices);
}

void BM_ReadNvml(benchmark::State& s) { read_sensor(s, make_nvml_sensor); }
void BM_ReadRapl(benchmark::State& s) { read_sensor(s, make_rapl_sensor); }
void BM_ReadModel(benchmark::State& s) { read_sensor(s, make_model_sensor); }
void BM_ReadPowermetrics(benchmark::State& s) { read_sensor(s, make_powermetrics_sensor); }
BENCHMARK(BM_ReadNvml);
BENCHMARK(BM_ReadRapl);
BENCHMARK(BM_ReadModel);
BENCHMARK(BM_ReadPowermetrics)->Iterations(20000);

// One sampling interval's write: 11 samples (every fake device) in one transaction.
void BM_StoreAddSamples(benchmark::State& state) {
  testing::TempDir dir;
  Store store(dir / "bench.db");
  RunRecord run;
  int64_t id = store.add_run(run);
  std::vector<Sample> batch(11);
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i].run_id = id;
    batch[i].sensor = "nvml";
    batch[i].reading.device = "gpu" + std::to_string(i);
    batch[i].reading.power_mw = 1000.0 * i;
  }
  if (state.range(0) == 0) store.exec("DROP INDEX samples_run");
  for (auto _ : state) store.add_samples(batch);
}
BENCHMARK(BM_StoreAddSamples)->ArgName("index")->Arg(1)->Arg(0);

double process_cpu_s() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec +
         u.ru_stime.tv_usec / 1e6;
}

// The sampler alone: the main thread sleeps, so the process's CPU time is the
// sampler thread's (plus the powermetrics reader thread's).
void BM_SamplerCoreShare(benchmark::State& state) {
  double interval_s = state.range(0) / 1000.0;
  double wall_s = std::max(3.0, 20 * interval_s);
  TrackerOptions options;
  options.interval_s = interval_s;
  options.sensor_options = fakes().options;
  options.sensor_options.interval_s = interval_s;
  testing::TempDir dir;
  Store store(dir / "bench.db");
  RunRecord run;
  run.status = RunStatus::kRunning;
  int64_t id = store.add_run(run);
  bool with_store = state.range(1) != 0;
  std::vector<std::unique_ptr<Sensor>> sensors;
  std::vector<std::unique_ptr<Sensor> (*)(const SensorOptions&)> makers = {
      make_nvml_sensor, make_rapl_sensor, make_powermetrics_sensor, make_model_sensor};
  if (state.range(2) >= 0) makers = {makers[static_cast<size_t>(state.range(2))]};
  for (auto make : makers) sensors.push_back(make(options.sensor_options));
  double share = 0;
  for (auto _ : state) {
    Tracker tracker(options, std::move(sensors), with_store ? make_store_sink(store) : nullptr, id);
    tracker.start();
    tracker.begin_epoch(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // past start-up
    double cpu0 = process_cpu_s();
    auto t0 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(wall_s));
    double cpu = process_cpu_s() - cpu0;
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    share = cpu / wall;
    tracker.stop();
    state.SetIterationTime(wall);
  }
  state.counters["core_share_pct"] = share * 100;
  state.counters["samples"] = static_cast<double>(store.sample_count(id));
}
// Args: interval in ms, store on/off, one sensor only (index) or all (-1).
BENCHMARK(BM_SamplerCoreShare)
    ->ArgNames({"interval_ms", "store", "sensor"})
    ->Args({1000, 1, -1})
    ->Args({100, 1, -1})
    ->Args({10, 1, -1})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);
// Where the cost goes at 100 ms: without the store, and one sensor at a time.
BENCHMARK(BM_SamplerCoreShare)
    ->ArgNames({"interval_ms", "store", "sensor"})
    ->Args({100, 0, -1})
    ->Args({100, 0, 0})
    ->Args({100, 0, 1})
    ->Args({100, 0, 2})
    ->Args({100, 0, 3})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

}  // namespace
}  // namespace powertrain

BENCHMARK_MAIN();
