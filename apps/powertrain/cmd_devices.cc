// powertrain devices: every sensor, whether it can be read here and why not.
#include <fmt/format.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "commands.h"
#include "powertrain/energy/sensor.h"
#include "tracker_options.h"
#include "util/strings.h"

namespace powertrain::cli {

namespace {

std::string opt_cell(const std::optional<double>& v, const char* format = "{:.0f}") {
  return v ? fmt::format(fmt::runtime(format), *v) : "";
}

// Reads every available measuring sensor every `interval_s` for `seconds`
// and prints one CSV line per reading: how often a counter moves and how far
// the averaged power field lags the instant one (NVML) show in the raw figures.
void probe(const SensorOptions& options, double seconds, double interval_s) {
  std::vector<std::unique_ptr<Sensor>> sensors;
  for (const std::string& name : sensor_names()) {
    if (name == "model" || name == "powermetrics") continue;
    auto sensor = make_sensor(name, options);
    if (sensor->available()) sensors.push_back(std::move(sensor));
  }
  if (sensors.empty()) throw std::runtime_error("--probe: no measuring sensor is available here");
  fmt::print("t_s,sensor,device,power_mw,average_power_mw,energy_mj,measured_at_s,error\n");
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  for (long k = 0;; ++k) {
    Clock::time_point due = start + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(k * interval_s));
    std::this_thread::sleep_until(due);
    double t = std::chrono::duration<double>(Clock::now() - start).count();
    if (t > seconds) break;
    for (auto& sensor : sensors) {
      for (const PowerReading& r : sensor->read()) {
        fmt::print("{:.6f},{},{},{},{},{},{},{}\n", t, sensor->name(), r.device,
                   opt_cell(r.power_mw), opt_cell(r.average_power_mw), opt_cell(r.energy_mj),
                   opt_cell(r.measured_at_s, "{:.6f}"), r.error);
      }
    }
  }
}

}  // namespace

void add_devices_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("devices", "List every power sensor, available or not, and why");
  auto options = std::make_shared<TrackerOptions>();
  add_tracker_options(cmd, *options);
  add_gpu_options(cmd, options->sensor_options);
  auto probe_s = std::make_shared<double>(0);
  cmd->add_option("--probe", *probe_s,
                  "Instead of the list: read the measuring sensors every --interval for this many "
                  "seconds (at most 600) and print each reading as CSV (instant and averaged "
                  "power, counter, the board's timestamp)")
      ->check(CLI::Range(0.0, 600.0));
  cmd->callback([options, probe_s] {
    SensorOptions so = options->sensor_options;
    so.interval_s = options->interval_s;
    if (*probe_s > 0) return probe(so, *probe_s, options->interval_s);
    fmt::print("{:<13} {:<10} {:<10} {:<28} {}\n", "sensor", "status", "device", "name",
               "measures / reason");
    for (const std::string& name : sensor_names()) {
      auto sensor = make_sensor(name, so);
      if (!sensor->available()) {
        fmt::print("{:<13} {:<10} {:<10} {:<28} {}\n", name, "missing", "-", "-", sensor->reason());
        continue;
      }
      for (const DeviceInfo& d : sensor->devices()) {
        std::string measures = d.measures;
        if (d.power_limit_mw) measures += fmt::format(", limit {:.0f} W", *d.power_limit_mw / 1000);
        fmt::print("{:<13} {:<10} {:<10} {:<28} {}\n", name, "available", d.id,
                   d.name.substr(0, 28), measures);
      }
      // Where the figures come from: driver, boards, power field, MIG.
      for (const std::string& line : describe_provenance(sensor->provenance())) {
        fmt::print("{:<13} {:<10} {}\n", "", "", line);
      }
      // Which source was read, and why others were skipped: one note a line.
      for (const std::string& note : split(sensor->reason(), ';')) {
        if (!trim(note).empty()) fmt::print("{:<13} {:<10} note: {}\n", "", "", trim(note));
      }
    }
    fmt::print(
        "\n`auto` reads every available measuring sensor; the model is used only when none "
        "is available, and its figures are labelled modelled.\n");
  });
}

}  // namespace powertrain::cli
