// powertrain track [options] -- CMD ARGS...: energy per epoch of any command.
#include <fmt/format.h>

#include "commands.h"
#include "powertrain/report/carbon.h"
#include "powertrain/report/emissions_csv.h"
#include "powertrain/track/command_tracker.h"
#include "tracker_options.h"
#include "util/subprocess.h"

namespace powertrain::cli {

namespace {

std::string opt_mwh(const std::optional<double>& v) {
  return v ? fmt::format("{:.4f}", *v) : std::string("-");
}

std::string phase_cell(const std::map<int, PhaseEnergy>& phases, int epoch) {
  auto it = phases.find(epoch);
  if (it == phases.end() || !it->second.energy_mwh) return "-";
  return fmt::format("{:.4f}", *it->second.energy_mwh);
}

void print_table(const CommandTrackOptions& options, const CommandTrackResult& r) {
  std::FILE* out = stderr;  // stdout carries the command's own output, unchanged
  bool phases = r.used_markers && (!r.train.empty() || !r.validate.empty());
  std::string source = r.used_markers ? "the marker file"
                       : options.epoch_at == EpochAt::kEnd
                           ? "output lines ending each epoch (--epoch-at end)"
                           : "output lines starting each epoch";
  fmt::print(
      out, "\npowertrain: run {} in {}: {} epoch(s) from {}; sensors {}; interval {} s{}\n",
      r.run_id, options.db_path, r.epochs.size(), source, r.sensors, options.tracker.interval_s,
      options.tracker.pue != 1.0 ? fmt::format("; PUE {} applied", options.tracker.pue) : "");
  fmt::print(out, "{:>8} {:>11} {:>13} {:>12} {:>12} {:>9} {:>9}", "epoch", "duration_s",
             "mean_power_W", "energy_mWh", "counter_mWh", "source", "coverage");
  if (phases) fmt::print(out, " {:>11} {:>12}", "train_mWh", "validate_mWh");
  fmt::print(out, "\n");
  for (const EpochEnergy& e : r.epochs) {
    // '*': shorter than two intervals, so equation 1 rests on boundary readings.
    // '!': equation 1 and the energy counter differ by more than 5 %.
    fmt::print(out, "{:>8} {:>11.2f} {:>13.2f} {:>12.4f} {:>12} {:>9} {:>8.0f}%{}{}", e.epoch,
               e.duration_s, e.mean_power_mw / 1000.0, e.energy_mwh, opt_mwh(e.counter_energy_mwh),
               std::string(to_string(e.source)), e.coverage * 100, e.short_epoch ? "*" : "",
               e.counter_gap ? "!" : "");
    if (phases) {
      fmt::print(out, " {:>11} {:>12}", phase_cell(r.train, e.epoch),
                 phase_cell(r.validate, e.epoch));
    }
    fmt::print(out, "\n");
  }
  if (r.outside.duration_s > 0.0005) {
    EpochEnergy o = r.outside;
    o.mean_power_mw = o.duration_s > 0 ? o.energy_mwh * 3600.0 / o.duration_s : 0;
    fmt::print(out, "{:>8} {:>11.2f} {:>13} {:>12.4f} {:>12} {:>9}\n", "outside", o.duration_s, "",
               o.energy_mwh, opt_mwh(o.counter_energy_mwh), std::string(to_string(o.source)));
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
    fmt::print(out,
               "* shorter than two sampling intervals: its figure rests on boundary "
               "readings alone\n");
  }
  bool any_gap = false;
  for (const EpochEnergy& e : r.epochs) any_gap = any_gap || e.counter_gap;
  if (any_gap) {
    fmt::print(out,
               "! equation 1 and the energy counter differ by more than 5 %: the counter is "
               "the primary figure (sampled power misses what happens between samples)\n");
  }
  if (r.whole.attributed_mwh) {
    fmt::print(out, "attributed to the command's processes (CPU-side, by CPU time): {:.4f} mWh\n",
               *r.whole.attributed_mwh);
  }
  if (phases) {
    fmt::print(out,
               "note: train/validate: mean sampled power of each phase's samples x the "
               "phase's duration (from the marker file), per device\n");
  }
  if (r.whole.source == EnergySource::kModelled) {
    fmt::print(out,
               "note: modelled figures are estimates (CPU TDP x utilisation, RAM by size), "
               "not measurements\n");
  }
  for (const std::string& w : r.warnings) fmt::print(out, "warning: {}\n", w);
  fmt::print(out, "command {}\n", r.status);
}

}  // namespace

void add_track_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "track",
      "Run a command (no shell) and measure its energy per epoch: track [options] -- CMD ARGS...");
  auto options = std::make_shared<CommandTrackOptions>();
  auto epoch_at = std::make_shared<std::string>("start");
  add_tracker_options(cmd, options->tracker);
  add_gpu_options(cmd, options->tracker.sensor_options);
  cmd->add_option("--db", options->db_path, "SQLite database to record into")
      ->capture_default_str();
  cmd->add_option("--epoch-regex", options->epoch_regex,
                  "Regular expression (RE2 syntax, case-insensitive) of an output line that marks "
                  "an epoch; its first group, if any, is the epoch number")
      ->capture_default_str();
  cmd->add_option("--epoch-at", *epoch_at,
                  "Whether a matching line starts an epoch (start; progress bars that repeat the "
                  "number are fine) or is printed when one ends (end: the next epoch begins "
                  "there, the first one at the command's first line of output, and what follows "
                  "the last one is outside)")
      ->capture_default_str();
  cmd->add_flag(
      "--no-unbuffer", [options](std::int64_t) { options->unbuffer = false; },
      "Do not set PYTHONUNBUFFERED=1 for the command (it is set, unless already in the "
      "environment, so that Python prints each epoch line when it happens)");
  cmd->add_option("--kill-after", options->kill_after_s,
                  "Seconds the command has to end after a forwarded SIGINT/SIGTERM before its "
                  "process group gets SIGKILL (a second signal does it at once)")
      ->capture_default_str();
  cmd->add_option("--db-timeout", options->db_timeout_s,
                  "Seconds one write waits for a database locked by another writer; the samples "
                  "are kept and written later")
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
  cmd->footer(std::string("The command runs in a process group of its own and also gets ") +
              kMarkerFileEnv +
              ", a file it may append lines to: 'epoch N', 'phase train|validate|other', 'end'.\n"
              "Exit status: the command's; 128+N if a signal N killed it; 127 if it was not "
              "found, 126 if it could not be run; 74 if its measurements could not all be "
              "written to the database.");
  // Replaces the check add_tracker_options installed, so it is called here.
  cmd->parse_complete_callback([options, epoch_at, carbon] {
    check_tracker_options(options->tracker);
    options->epoch_at = parse_epoch_at(*epoch_at);
    if (options->db_path.empty()) {
      throw std::invalid_argument("--db is empty: name a database file");
    }
    if (!(options->kill_after_s >= 0 && options->kill_after_s <= 86400)) {
      throw std::invalid_argument(
          fmt::format("--kill-after {}: out of range (0 to 86400 s)", options->kill_after_s));
    }
    if (!(options->db_timeout_s >= 0 && options->db_timeout_s <= 3600)) {
      throw std::invalid_argument(
          fmt::format("--db-timeout {}: out of range (0 to 3600 s)", options->db_timeout_s));
    }
    // The country is resolved before the command runs, so that an unknown
    // code never costs a training.
    carbon->carbon = resolve_carbon({carbon->carbon.iso_code, std::nullopt, kCarGramsPerKm});
  });
  cmd->callback([options, emissions, carbon] {
    CommandTrackResult r;
    try {
      r = track_command(*options);
    } catch (const SpawnError& e) {
      std::fprintf(stderr, "powertrain: error: %s\n", e.what());
      throw CLI::RuntimeError(e.exit_code());
    }
    print_table(*options, r);
    // The whole run (outside-epoch time included) in the units people use.
    // The energy counter, where every stream has one, is the primary figure;
    // equation 1 (the study's method) stays beside it.
    if (r.whole.counter_energy_mwh && r.whole.source == EnergySource::kCounter) {
      fmt::print(stderr, "energy of the whole run: {} [energy counter; equation 1: {:.4f} mWh]\n",
                 energy_and_carbon(*r.whole.counter_energy_mwh, carbon->carbon),
                 r.whole.energy_mwh);
    } else {
      fmt::print(stderr, "energy of the whole run: {}{}\n",
                 energy_and_carbon(r.whole.energy_mwh, carbon->carbon),
                 r.whole.source == EnergySource::kModelled ? " [modelled]" : "");
    }
    if (!r.store_error.empty()) {
      std::fprintf(stderr, "powertrain: error: %s (the command %s)%s\n", r.store_error.c_str(),
                   r.status.c_str(),
                   emissions->empty() ? "" : "; nothing appended to --emissions' file");
      throw CLI::RuntimeError(kStoreFailedExitCode);
    }
    if (!emissions->empty()) {
      append_emissions_csv(*emissions, Store(options->db_path), r.run_id, *carbon);
    }
    if (r.exit_code != 0) throw CLI::RuntimeError(r.exit_code);
  });
}

}  // namespace powertrain::cli
