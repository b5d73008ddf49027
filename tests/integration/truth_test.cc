// The truth suite: every sensor family against a stand-in whose physics is
// set by the test, driven through the real program (`track`, then `report`
// on its database). Each figure is compared with the known truth:
//
//   RAPL          fake powercap tree, package 50 W and DRAM 5 W, counters
//                 advanced by a writer thread and wrapping through
//                 max_energy_range_uj during the run
//   NVML          fake libnvidia-ml, 100 W with an energy counter on the clock
//   powermetrics  fake program printing CPU 4000 + GPU 1500 + ANE 500 mW
//   model         fake /proc: 40 % utilisation, --cpu-tdp 100, 16 GiB RAM
//
// Tolerances: power 1 %, counter energy 0.5 %, equation 1 vs counter 2 %,
// conservation and the row identity to rounding. The RAPL epochs last 2 s so
// that a writer thread delayed by a loaded machine (its counter a few ms
// stale at a boundary read) stays inside 0.5 %.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "powertrain/energy/sensors/model.h"
#include "powertrain/energy/tracker.h"
#include "powertrain/store/store.h"
#include "support/test_util.h"

namespace powertrain {
namespace {

using testing::powertrain_binary;
using testing::run_program;
using testing::slurp;
using testing::TempDir;
using testing::write_file;

// Files whose contents are a function of the time since start(), rewritten
// in place every half millisecond by a thread: the sensors keep their files open
// and pread() them, as they do sysfs and procfs. Each text keeps its length,
// so a reader never sees a shorter file.
class ClockFiles {
 public:
  using Text = std::function<std::string(double t_s)>;
  void add(const std::string& path, Text text) {
    write_file(path, text(0));
    files_.push_back({::open(path.c_str(), O_WRONLY | O_CLOEXEC), std::move(text)});
  }
  void start() {
    t0_ = std::chrono::steady_clock::now();
    thread_ = std::thread([this] {
      while (!stop_) {
        double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
        for (auto& f : files_) {
          std::string s = f.text(t);
          ssize_t ignored = ::pwrite(f.fd, s.data(), s.size(), 0);
          (void)ignored;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(500));
      }
    });
  }
  ~ClockFiles() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (auto& f : files_) ::close(f.fd);
  }

 private:
  struct File {
    int fd;
    Text text;
  };
  std::vector<File> files_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::chrono::steady_clock::time_point t0_;
};

std::string fixed_uint(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu\n", static_cast<unsigned long long>(v));
  return buf;
}

// A RAPL counter: `offset_uj` + rate, wrapping to 0 after max_uj.
ClockFiles::Text rapl_counter(double watts, double offset_uj, double max_uj) {
  return [=](double t) { return fixed_uint(std::fmod(offset_uj + watts * 1e6 * t, max_uj + 1)); };
}

// /proc/stat whose busy share is `busy` at every instant (1e6 jiffies/s in
// all, far above the real USER_HZ, so that rounding is negligible).
ClockFiles::Text proc_stat(double busy) {
  return [=](double t) {
    double total = 1e6 * t + 1e6;
    double user = busy * total, idle = total - user;
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "cpu  %015.0f 000000000000000 000000000000000 %015.0f "
                  "000000000000000 000000000000000 000000000000000 000000000000000 0 0\n",
                  user, idle);
    return std::string(buf);
  };
}

// /proc/PID/stat of a process using `share` of all CPU time (in /proc/stat's
// scale above).
ClockFiles::Text proc_pid_stat(int pid, int ppid, double share) {
  return [=](double t) {
    double utime = share * (1e6 * t + 1e6);
    char buf[256];
    std::snprintf(
        buf, sizeof buf,
        "%d (fake (worker)) S %d 1 1 0 -1 0 0 0 0 0 %015.0f 000000000000000 0 0 20 0 1 0\n", pid,
        ppid, utime);
    return std::string(buf);
  };
}

struct Row {
  int epoch;
  double duration_s, mean_power_w, energy_mwh;
  std::optional<double> counter_mwh;
  std::string source;
};

// The per-epoch rows of track's table (stderr).
std::vector<Row> epoch_rows(const std::string& err) {
  std::vector<Row> rows;
  std::regex re(R"(^\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+|-)\s+(\w+))");
  std::istringstream in(err);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, re)) continue;
    Row r{std::stoi(m[1]), std::stod(m[2]), std::stod(m[3]), std::stod(m[4]), std::nullopt, m[6]};
    if (m[5] != "-") r.counter_mwh = std::stod(m[5]);
    rows.push_back(r);
  }
  return rows;
}

// Watts over seconds -> mWh.
double mwh(double watts, double seconds) { return watts * 1000.0 * seconds / 3600.0; }

#define EXPECT_WITHIN(actual, truth, rel) \
  EXPECT_NEAR((actual), (truth), std::fabs(truth) * (rel)) << #actual " vs truth " #truth

// What every run's rows must satisfy, whatever the sensor: the row identity
// of equation 1, epochs + outside == whole run, report == database.
void expect_conservation(const std::string& db, int64_t run_id) {
  Store store(db);
  auto epochs = store.epochs(run_id);
  auto whole = store.run_energy(run_id);
  ASSERT_TRUE(whole.has_value());
  double sum = 0;
  for (const EpochRecord& e : epochs) {
    // Anyone can recompute the energy from the row.
    EXPECT_NEAR(e.mean_power_mw * e.duration_s / 3600.0, e.energy_mwh, e.energy_mwh * 1e-3)
        << "epoch " << e.epoch;
    // The components add up to the sum.
    EXPECT_NEAR(e.components.sum(), e.energy_mwh, e.energy_mwh * 1e-9 + 1e-12);
    sum += e.energy_mwh;
  }
  EXPECT_NEAR(sum + whole->outside_mwh, whole->energy_mwh, whole->energy_mwh * 1e-9);
  EXPECT_NEAR(whole->components.sum(), whole->energy_mwh, whole->energy_mwh * 1e-9);

  // The report's total of the run is the database's (epochs, equation 1).
  auto r = run_program({powertrain_binary(), "report", db, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = nlohmann::json::parse(r.out.substr(0, r.out.rfind("}") + 1));
  bool found = false;
  for (const auto& section : doc["sections"]) {
    for (const auto& table : section["tables"]) {
      if (table["id"] != "runs") continue;
      const auto& columns = table["columns"];
      size_t col = 0;
      while (col < columns.size() && columns[col] != "energy (mWh)") ++col;
      ASSERT_LT(col, columns.size());
      for (const auto& row : table["rows"]) {
        if (row[0]["text"] != std::to_string(run_id)) continue;
        found = true;
        EXPECT_NEAR(row[col]["value"].get<double>(), sum, sum * 1e-6 + 1e-9);
      }
    }
  }
  EXPECT_TRUE(found) << r.out;
}

TEST(Truth, RaplCountersAtFiftyAndFiveWattsWrappingDuringTheRun) {
  TempDir dir;
  ClockFiles files;
  const double pkg_max = 40e6, dram_max = 4e6;  // 0.8 s of each at its power
  write_file(dir / "rapl/intel-rapl:0/name", "package-0\n");
  write_file(dir / "rapl/intel-rapl:0/max_energy_range_uj", fixed_uint(pkg_max));
  write_file(dir / "rapl/intel-rapl:0/intel-rapl:0:0/name", "dram\n");
  write_file(dir / "rapl/intel-rapl:0/intel-rapl:0:0/max_energy_range_uj", fixed_uint(dram_max));
  files.add(dir / "rapl/intel-rapl:0/energy_uj", rapl_counter(50, 35e6, pkg_max));
  files.add(dir / "rapl/intel-rapl:0/intel-rapl:0:0/energy_uj", rapl_counter(5, 3.5e6, dram_max));
  files.start();

  auto r = run_program({powertrain_binary(), "track", "--rapl-root", dir / "rapl", "--sensors",
                        "rapl", "--interval", "0.1", "--db", dir / "t.db", "--", "sh", "-c",
                        "echo Epoch 1; sleep 2; echo Epoch 2; sleep 2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = epoch_rows(r.err);
  ASSERT_EQ(rows.size(), 2u) << r.err;
  for (const Row& row : rows) {
    EXPECT_WITHIN(row.mean_power_w, 55.0, 0.01);
    ASSERT_TRUE(row.counter_mwh) << r.err;
    EXPECT_WITHIN(*row.counter_mwh, mwh(55, row.duration_s), 0.005);
    EXPECT_WITHIN(row.energy_mwh, *row.counter_mwh, 0.02);
  }

  Store store(dir / "t.db");
  int64_t id = store.runs().at(0).id;
  for (const EpochRecord& e : store.epochs(id)) {
    ASSERT_TRUE(e.counter_energy_mwh);
    EXPECT_WITHIN(*e.counter_energy_mwh, mwh(55, e.duration_s), 0.005);
    EXPECT_WITHIN(e.energy_mwh, *e.counter_energy_mwh, 0.02);
    EXPECT_WITHIN(e.mean_power_mw, 55000.0, 0.01);
    ASSERT_TRUE(e.components.get(Component::kCpuPackage));
    ASSERT_TRUE(e.components.get(Component::kDram));
    EXPECT_WITHIN(*e.components.get(Component::kCpuPackage), mwh(50, e.duration_s), 0.02);
    EXPECT_WITHIN(*e.components.get(Component::kDram), mwh(5, e.duration_s), 0.02);
    EXPECT_FALSE(e.components.get(Component::kGpu));
    EXPECT_GT(e.coverage, 0.99);
    EXPECT_FALSE(e.short_epoch);
  }
  auto whole = store.run_energy(id);
  ASSERT_TRUE(whole && whole->counter_energy_mwh);
  // The package counter wrapped at 0.1, 0.9, 1.7, 2.5, 3.3 s (and 4.1 s):
  // the whole run's counter energy holds only if every wrap was unwound.
  EXPECT_GT(whole->duration_s, 4.0);
  EXPECT_WITHIN(*whole->counter_energy_mwh, mwh(55, whole->duration_s), 0.005);
  EXPECT_EQ(whole->tracking_mode, "process");
  expect_conservation(dir / "t.db", id);
}

TEST(Truth, NvmlConstantHundredWattsWithAnEnergyCounter) {
  TempDir dir;
  write_file(dir / "gpus.txt", "gpu name=Steady power=100000 energy=clock\n");
  auto r = run_program(
      {powertrain_binary(), "track", "--sensors", "nvml", "--nvml-library",
       std::string(POWERTRAIN_FIXTURES_BINARY_DIR) + "/libnvidia-ml-fake.so", "--interval", "0.05",
       "--db", dir / "t.db", "--", "sh", "-c", "echo Epoch 1; sleep 0.6; echo Epoch 2; sleep 0.6"},
      {{"FAKE_NVML_SCRIPT", dir / "gpus.txt"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = epoch_rows(r.err);
  ASSERT_EQ(rows.size(), 2u) << r.err;
  for (const Row& row : rows) EXPECT_WITHIN(row.mean_power_w, 100.0, 0.01);

  Store store(dir / "t.db");
  int64_t id = store.runs().at(0).id;
  auto epochs = store.epochs(id);
  ASSERT_EQ(epochs.size(), 2u);
  for (const EpochRecord& e : epochs) {
    EXPECT_WITHIN(e.energy_mwh, mwh(100, e.duration_s), 0.01);
    ASSERT_TRUE(e.counter_energy_mwh);
    EXPECT_WITHIN(*e.counter_energy_mwh, mwh(100, e.duration_s), 0.005);
    EXPECT_EQ(e.source, EnergySource::kCounter);
    ASSERT_TRUE(e.components.get(Component::kGpu));
    EXPECT_WITHIN(*e.components.get(Component::kGpu), e.energy_mwh, 1e-9);
  }
  auto whole = store.run_energy(id);
  ASSERT_TRUE(whole && whole->counter_energy_mwh);
  EXPECT_WITHIN(*whole->counter_energy_mwh, mwh(100, whole->duration_s), 0.005);
  // GPU energy is not CPU-side: nothing is attributed.
  EXPECT_FALSE(whole->attributed_mwh);
  expect_conservation(dir / "t.db", id);
}

TEST(Truth, PowermetricsSetMilliwatts) {
  TempDir dir;
  std::string sample =
      slurp(std::string(POWERTRAIN_SHARED_DATA_DIR) + "/powermetrics/macbook-m4-all-samplers.txt");
  sample = std::regex_replace(sample, std::regex("CPU Power: \\d+ mW"), "CPU Power: 4000 mW");
  sample = std::regex_replace(sample, std::regex("GPU Power: \\d+ mW"), "GPU Power: 1500 mW");
  sample = std::regex_replace(sample, std::regex("ANE Power: \\d+ mW"), "ANE Power: 500 mW");
  write_file(dir / "sample.txt", sample);
  std::string path = std::string(POWERTRAIN_SOURCE_DIR) + "/tests/fixtures/fake_powermetrics:" +
                     (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin");
  auto r = run_program(
      {powertrain_binary(), "track", "--sensors", "powermetrics", "--interval", "0.05", "--db",
       dir / "t.db", "--", "sh", "-c", "echo Epoch 1; sleep 0.5; echo Epoch 2; sleep 0.5"},
      {{"PATH", path}, {"FAKE_POWERMETRICS_SAMPLE", dir / "sample.txt"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = epoch_rows(r.err);
  ASSERT_EQ(rows.size(), 2u) << r.err;
  Store store(dir / "t.db");
  int64_t id = store.runs().at(0).id;
  for (const Row& row : rows) EXPECT_WITHIN(row.mean_power_w, 6.0, 0.01);
  for (const EpochRecord& e : store.epochs(id)) {
    EXPECT_WITHIN(e.mean_power_mw, 6000.0, 0.01);
    EXPECT_WITHIN(e.energy_mwh, mwh(6, e.duration_s), 0.01);
    EXPECT_WITHIN(e.components.get(Component::kGpu).value_or(0), mwh(1.5, e.duration_s), 0.01);
    EXPECT_WITHIN(e.components.get(Component::kCpuPackage).value_or(0), mwh(4, e.duration_s), 0.01);
    EXPECT_FALSE(e.counter_energy_mwh);
  }
  expect_conservation(dir / "t.db", id);
}

// sensors = auto finds the GPU and the RAPL zones, and the split survives in
// the stored epochs (it used to be summed into one figure).
TEST(Truth, AutoKeepsTheSplitByComponent) {
  TempDir dir;
  ClockFiles files;
  write_file(dir / "rapl/intel-rapl:0/name", "package-0\n");
  write_file(dir / "rapl/intel-rapl:0/max_energy_range_uj", fixed_uint(262143328850.0));
  write_file(dir / "rapl/intel-rapl:0/intel-rapl:0:0/name", "dram\n");
  write_file(dir / "rapl/intel-rapl:0/intel-rapl:0:0/max_energy_range_uj",
             fixed_uint(262143328850.0));
  files.add(dir / "rapl/intel-rapl:0/energy_uj", rapl_counter(50, 0, 262143328850.0));
  files.add(dir / "rapl/intel-rapl:0/intel-rapl:0:0/energy_uj", rapl_counter(5, 0, 262143328850.0));
  files.start();
  write_file(dir / "gpus.txt", "gpu name=Steady power=100000 energy=clock\n");
  auto r = run_program(
      {powertrain_binary(), "track", "--sensors", "auto", "--rapl-root", dir / "rapl",
       "--nvml-library", std::string(POWERTRAIN_FIXTURES_BINARY_DIR) + "/libnvidia-ml-fake.so",
       "--interval", "0.1", "--db", dir / "t.db", "--", "sh", "-c", "echo Epoch 1; sleep 1.5"},
      {{"FAKE_NVML_SCRIPT", dir / "gpus.txt"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Store store(dir / "t.db");
  int64_t id = store.runs().at(0).id;
  auto epochs = store.epochs(id);
  ASSERT_EQ(epochs.size(), 1u);
  const EpochRecord& e = epochs[0];
  EXPECT_WITHIN(e.mean_power_mw, 155000.0, 0.01);
  EXPECT_WITHIN(e.components.get(Component::kGpu).value_or(0), mwh(100, e.duration_s), 0.01);
  EXPECT_WITHIN(e.components.get(Component::kCpuPackage).value_or(0), mwh(50, e.duration_s), 0.02);
  EXPECT_WITHIN(e.components.get(Component::kDram).value_or(0), mwh(5, e.duration_s), 0.02);
  EXPECT_EQ(e.streams.size(), 3u);
  expect_conservation(dir / "t.db", id);
}

// A fake /proc with a set utilisation for the model sensor.
void make_fake_proc(const TempDir& dir, ClockFiles& files, double busy) {
  write_file(dir / "proc/cpuinfo", "processor\t: 0\nmodel name\t: Truth CPU 9000\n");
  write_file(dir / "proc/meminfo",
             "MemTotal:       16777216 kB\nMemFree:  1 kB\nMemAvailable:   12582912 kB\n");
  files.add(dir / "proc/stat", proc_stat(busy));
}

TEST(Truth, ModelWithFixedUtilisation) {
  TempDir dir;
  ClockFiles files;
  make_fake_proc(dir, files, 0.4);
  files.start();
  auto r = run_program({powertrain_binary(), "track", "--sensors", "model", "--cpu-tdp", "100",
                        "--proc-root", dir / "proc", "--interval", "0.05", "--db", dir / "t.db",
                        "--emissions", dir / "emissions.csv", "--", "sh", "-c",
                        "echo Epoch 1; sleep 0.5; echo Epoch 2; sleep 0.5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // 100 W TDP x 40 % + 16 GiB x 3/8 W per GiB = 40 W + 6 W.
  auto rows = epoch_rows(r.err);
  ASSERT_EQ(rows.size(), 2u) << r.err;
  for (const Row& row : rows) {
    EXPECT_WITHIN(row.mean_power_w, 46.0, 0.01);
    EXPECT_EQ(row.source, "modelled");
  }
  Store store(dir / "t.db");
  int64_t id = store.runs().at(0).id;
  for (const EpochRecord& e : store.epochs(id)) {
    EXPECT_WITHIN(e.components.get(Component::kModelledCpu).value_or(0), mwh(40, e.duration_s),
                  0.01);
    EXPECT_WITHIN(e.components.get(Component::kModelledRam).value_or(0), mwh(6, e.duration_s),
                  0.01);
    EXPECT_EQ(e.source, EnergySource::kModelled);
  }
  auto whole = store.run_energy(id);
  ASSERT_TRUE(whole && whole->cpu_utilization_pct);
  EXPECT_WITHIN(*whole->cpu_utilization_pct, 40.0, 0.01);
  expect_conservation(dir / "t.db", id);

  // emissions.csv: the whole run in kWh, the measured utilisation, and
  // every column CodeCarbon fills.
  std::string csv = slurp(dir / "emissions.csv");
  std::istringstream in(csv);
  std::string header, line;
  std::getline(in, header);
  std::getline(in, line);
  auto cells = [](const std::string& l) {
    std::vector<std::string> out;
    std::string cell;
    std::istringstream s(l);
    while (std::getline(s, cell, ',')) out.push_back(cell);
    if (!l.empty() && l.back() == ',') out.push_back("");
    return out;
  };
  auto names = cells(header), values = cells(line);
  ASSERT_EQ(names.size(), values.size()) << csv;
  std::map<std::string, std::string> row;
  for (size_t i = 0; i < names.size(); ++i) row[names[i]] = values[i];
  EXPECT_WITHIN(std::stod(row["energy_consumed"]), whole->energy_mwh / 1e6, 1e-6);
  EXPECT_WITHIN(std::stod(row["duration"]), whole->duration_s, 1e-6);
  EXPECT_WITHIN(std::stod(row["cpu_utilization_percent"]), 40.0, 0.01);
  EXPECT_WITHIN(std::stod(row["cpu_power"]), 40.0, 0.02);  // W
  EXPECT_WITHIN(std::stod(row["ram_power"]), 6.0, 0.02);
  EXPECT_WITHIN(std::stod(row["ram_total_size"]), 16.0, 1e-6);  // GB
  EXPECT_WITHIN(std::stod(row["ram_used_gb"]), 4.0, 1e-6);      // 16 GB less 12 available
  EXPECT_WITHIN(std::stod(row["ram_utilization_percent"]), 25.0, 1e-6);
  EXPECT_EQ(row["cpu_model"], "Truth CPU 9000");
  // The command's processes are not in the fake /proc: no attribution, and
  // the row is the machine's, as CodeCarbon's default mode.
  EXPECT_EQ(whole->tracking_mode, "machine");
  EXPECT_EQ(row["tracking_mode"], "machine");
  EXPECT_EQ(row["status"], "done");
  for (const char* filled : {"timestamp", "run_id", "os", "cpu_count", "country_iso_code"}) {
    EXPECT_FALSE(row[filled].empty()) << filled << "\n" << csv;
  }
}

// The tree's share of CPU time, against a fake /proc whose tree (a process
// and its child) uses 25 % + 10 % of all CPU time while the machine is 40 %
// busy: 35 / 40 of the modelled CPU's 40 W is the tree's, 35 W.
TEST(Truth, AttributionIsTheTreesShareOfBusyCpuTime) {
  TempDir dir;
  ClockFiles files;
  make_fake_proc(dir, files, 0.4);
  files.add(dir / "proc/4242/stat", proc_pid_stat(4242, 1, 0.25));
  files.add(dir / "proc/4243/stat", proc_pid_stat(4243, 4242, 0.10));
  files.add(dir / "proc/5000/stat", proc_pid_stat(5000, 1, 0.05));  // a neighbour
  files.start();
  TrackerOptions options;
  options.interval_s = 0.05;
  options.sensors = {"model"};
  options.sensor_options.proc_root = dir / "proc";
  options.sensor_options.cpu_tdp_w = 100;
  Tracker tracker(options);
  tracker.start();
  tracker.track_process(4242);
  tracker.begin_epoch(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EpochEnergy e = tracker.end_epoch();
  tracker.stop();
  ASSERT_TRUE(e.attributed_mwh);
  EXPECT_WITHIN(e.components.get(Component::kModelledCpu).value_or(0), mwh(40, e.duration_s), 0.01);
  EXPECT_WITHIN(*e.attributed_mwh, mwh(35, e.duration_s), 0.03);
  EXPECT_EQ(tracker.tracking_mode(), "process");
}

// The real /proc: a busy neighbour beside `track -- sleep 2` raises the
// machine's modelled CPU figure, while the figure attributed to `sleep`
// stays near zero.
TEST(Truth, BusyNeighbourIsNotChargedToTheRun) {
  TempDir dir;
  std::atomic<bool> stop{false};
  std::thread neighbour([&] {
    volatile double x = 0;
    while (!stop) x = x + 1;
  });
  auto r = run_program({powertrain_binary(), "track", "--sensors", "model", "--cpu-tdp", "100",
                        "--interval", "0.1", "--db", dir / "t.db", "--", "sleep", "2"});
  stop = true;
  neighbour.join();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Store store(dir / "t.db");
  auto whole = store.run_energy(store.runs().at(0).id);
  ASSERT_TRUE(whole && whole->attributed_mwh);
  double machine = whole->components.get(Component::kModelledCpu).value_or(0);
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  // At least the neighbour's one core of `cores` was busy the whole time.
  EXPECT_GT(machine, 0.8 * mwh(100.0 / cores, whole->duration_s));
  EXPECT_LT(*whole->attributed_mwh, 0.02 * machine);
}

// The trainer's own path: `train` (in powertrain-torch) on a steady 100 W GPU.
// Each epoch's row is written once, holds the loss and metric beside the
// energy, and its energy is the truth of its duration.
TEST(Truth, TrainOnASteadyHundredWattGpu) {
  const std::string bin = powertrain_binary();
  if (!std::filesystem::exists(bin.substr(0, bin.rfind('/')) + "/powertrain-torch")) {
    GTEST_SKIP() << "built without LibTorch: no powertrain-torch";
  }
  TempDir dir;
  write_file(dir / "gpus.txt", "gpu name=Steady power=100000 energy=clock\n");
  auto r = run_program({bin,
                        "train",
                        "--task",
                        "pamap2",
                        "--batch-size",
                        "64",
                        "--lr",
                        "0.001",
                        "--max-epochs",
                        "3",
                        "--patience",
                        "0",
                        "--generated-train",
                        "512",
                        "--generated-val",
                        "128",
                        "--generated-test",
                        "128",
                        "--threads",
                        "1",
                        "--sensors",
                        "nvml",
                        "--nvml-library",
                        std::string(POWERTRAIN_FIXTURES_BINARY_DIR) + "/libnvidia-ml-fake.so",
                        "--interval",
                        "0.02",
                        "--db",
                        dir / "t.db",
                        "--quiet"},
                       {{"FAKE_NVML_SCRIPT", dir / "gpus.txt"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Store store(dir / "t.db");
  ASSERT_EQ(store.runs().size(), 1u);
  int64_t id = store.runs().at(0).id;
  auto epochs = store.epochs(id);
  ASSERT_EQ(epochs.size(), 3u);
  for (const EpochRecord& e : epochs) {
    EXPECT_TRUE(e.train_loss && e.val_loss && e.metric) << "epoch " << e.epoch;
    EXPECT_WITHIN(e.mean_power_mw, 100000.0, 0.01);
    EXPECT_WITHIN(e.energy_mwh, mwh(100, e.duration_s), 0.01);
    ASSERT_TRUE(e.counter_energy_mwh);
    EXPECT_WITHIN(*e.counter_energy_mwh, mwh(100, e.duration_s), 0.005);
    EXPECT_WITHIN(e.components.get(Component::kGpu).value_or(0), e.energy_mwh, 1e-9);
  }
  auto whole = store.run_energy(id);
  ASSERT_TRUE(whole && whole->counter_energy_mwh);
  EXPECT_WITHIN(*whole->counter_energy_mwh, mwh(100, whole->duration_s), 0.005);
  expect_conservation(dir / "t.db", id);
}

}  // namespace
}  // namespace powertrain
