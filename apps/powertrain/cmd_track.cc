// powertrain track [options] -- CMD ARGS...: energy per epoch of any command.
#include <fmt/format.h>

#include "commands.h"
#include "powertrain/energy/command_tracker.h"
#include "powertrain/report/emissions_csv.h"
#include "tracker_options.h"

namespace powertrain::cli {

namespace {

std::string opt_mwh(const std::optional<double>& v) {
  return v ? fmt::format("{:.4f}", *v) : std::string("-");
}

void print_row(std::FILE* out, const std::string& label, const EpochEnergy& e) {
  // '*': shorter than two intervals, so equation 1 rests on boundary readings.
  fmt::print(out, "{:>8} {:>11.2f} {:>13.2f} {:>12.4f} {:>12} {:>9} {:>8.0f}%{}\n", label,
             e.duration_s, e.mean_power_mw / 1000.0, e.energy_mwh, opt_mwh(e.counter_energy_mwh),
             std::string(to_string(e.source)), e.coverage * 100, e.short_epoch ? "*" : "");
}

void print_table(const CommandTrackOptions& options, const CommandTrackResult& r) {
  std::FILE* out = stderr;  // stdout carries the command's own output, unchanged
  fmt::print(out, "\npowertrain: run {} in {}: {} epoch(s) from {}; sensors {}; interval {} s{}\n",
             r.run_id, options.db_path, r.epochs.size(),
             r.used_markers ? "the marker file" : "output lines", r.sensors,
             options.tracker.interval_s,
             options.tracker.pue != 1.0 ? fmt::format("; PUE {} applied", options.tracker.pue) : "");
  fmt::print(out, "{:>8} {:>11} {:>13} {:>12} {:>12} {:>9} {:>9}\n", "epoch", "duration_s",
             "mean_power_W", "energy_mWh", "counter_mWh", "source", "coverage");
  for (const EpochEnergy& e : r.epochs) print_row(out, std::to_string(e.epoch), e);
  if (r.outside.duration_s > 0.0005) {
    EpochEnergy o = r.outside;
    o.mean_power_mw = o.duration_s > 0 ? o.energy_mwh * 3600.0 / o.duration_s : 0;
    o.coverage = 1;
    fmt::print(out, "{:>8} {:>11.2f} {:>13} {:>12.4f} {:>12} {:>9}\n", "outside", o.duration_s,
               "", o.energy_mwh, opt_mwh(o.counter_energy_mwh), std::string(to_string(o.source)));
  }
  EnergyTotals t = sum_epochs(r.epochs);
  fmt::print(out, "{:>8} {:>11.2f} {:>13} {:>12.4f} {:>12} {:>9}\n", "epochs", t.duration_s, "",
             t.energy_mwh, opt_mwh(t.counter_energy_mwh), std::string(to_string(t.source)));
  fmt::print(out, "{:>8} {:>11.2f} {:>13} {:>12.4f} {:>12} {:>9}\n", "total", r.whole.duration_s,
             "", r.whole.energy_mwh, opt_mwh(r.whole.counter_energy_mwh),
             std::string(to_string(r.whole.source)));
  bool any_short = false;
  for (const EpochEnergy& e : r.epochs) any_short = any_short || e.short_epoch;
  if (any_short) {
    fmt::print(out, "* shorter than two sampling intervals: its figure rests on boundary "
                    "readings alone\n");
  }
  if (r.whole.attributed_mwh) {
    fmt::print(out, "attributed to the command's processes (CPU-side, by CPU time): {:.4f} mWh\n",
               *r.whole.attributed_mwh);
  }
  if (r.whole.source == EnergySource::kModelled) {
    fmt::print(out, "note: modelled figures are estimates (CPU TDP x utilisation, RAM by size), "
                    "not measurements\n");
  }
  fmt::print(out, "command exited with status {}\n", r.exit_code);
}

}  // namespace

void add_track_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "track", "Run a command (no shell) and measure its energy per epoch: track [options] -- CMD ARGS...");
  auto options = std::make_shared<CommandTrackOptions>();
  add_tracker_options(cmd, options->tracker);
  cmd->add_option("--db", options->db_path, "SQLite database to record into")->capture_default_str();
  cmd->add_option("--epoch-regex", options->epoch_regex,
                  "Regular expression (case-insensitive) of an output line that starts an epoch; "
                  "its first group, if any, is the epoch number")
      ->capture_default_str();
  auto emissions = std::make_shared<std::string>();
  auto carbon = std::make_shared<EmissionsContext>();
  carbon->carbon.iso_code = "WORLD";
  cmd->add_option("--emissions", *emissions,
                  "Append the run (whole command, failed or not) to this CodeCarbon-style "
                  "emissions.csv");
  cmd->add_option("--country", carbon->carbon.iso_code,
                  "ISO 3166 alpha-3 code for --emissions' carbon intensity (default WORLD)");
  cmd->add_option("--region", carbon->region, "Region written into --emissions' file");
  cmd->add_option("command", options->command, "The command and its arguments, after --")
      ->required()
      ->allow_extra_args();
  cmd->footer(std::string("The command also gets ") + kMarkerFileEnv +
              ", a file it may append lines to: 'epoch N', 'phase train|validate|other', 'end'.");
  cmd->callback([options, emissions, carbon] {
    EmissionsContext context = *carbon;
    if (!emissions->empty()) {
      context.carbon = resolve_carbon({carbon->carbon.iso_code, std::nullopt, kCarGramsPerKm});
    }
    CommandTrackResult r = track_command(*options);
    print_table(*options, r);
    if (!emissions->empty()) {
      append_emissions_csv(*emissions, Store(options->db_path), r.run_id, context);
    }
    if (r.exit_code != 0) throw CLI::RuntimeError(r.exit_code);
  });
}

}  // namespace powertrain::cli
