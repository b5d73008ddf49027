// powertrain devices: every sensor, whether it can be read here and why not.
#include <fmt/format.h>

#include "commands.h"
#include "powertrain/energy/sensor.h"
#include "tracker_options.h"
#include "util/strings.h"

namespace powertrain::cli {

void add_devices_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("devices", "List every power sensor, available or not, and why");
  auto options = std::make_shared<TrackerOptions>();
  add_tracker_options(cmd, *options);
  add_gpu_options(cmd, options->sensor_options);
  cmd->callback([options] {
    SensorOptions so = options->sensor_options;
    so.interval_s = options->interval_s;
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
