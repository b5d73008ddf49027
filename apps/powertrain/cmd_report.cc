// powertrain report DB...: the study's tables and figures from run databases.
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "commands.h"
#include "powertrain/report/report.h"
#include "powertrain/sweep/search.h"

namespace powertrain::cli {

void add_report_command(CLI::App& app) {
  struct Args {
    std::vector<std::string> dbs;
    std::string format = "text";
    std::string out_dir;
    std::string country = "WORLD";
    std::optional<double> intensity;
    double car_g_per_km = kCarGramsPerKm;
    double target_tolerance_points = 1.0;
    std::string vega_dir;
  };
  auto args = std::make_shared<Args>();
  std::string formats;
  for (const auto& name : reporter_names()) formats += (formats.empty() ? "" : "|") + name;
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Tables and figures of the study (Table 2, Figures 3-5, break-even, Tables 3-4, "
      "carbon) from run databases");
  cmd->add_option("db", args->dbs, "run database(s)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--format", args->format, "output format: " + formats + " (default text)");
  cmd->add_option("--out", args->out_dir,
                  "folder to write into (report.txt/.md/.json/.html, or one CSV per table); "
                  "default: the terminal");
  cmd->add_option("--country", args->country,
                  "ISO 3166 alpha-3 code for the grid carbon intensity (default WORLD)");
  cmd->add_option("--intensity", args->intensity,
                  "grid carbon intensity in g CO2e/kWh (overrides --country's table value)");
  cmd->add_option("--car-g-per-km", args->car_g_per_km,
                  "g CO2 per km of the car used as an equivalent");
  cmd->add_option("--target-tolerance", args->target_tolerance_points,
                  "target accuracy: within this many points of the best setup (default 1)");
  cmd->add_option("--vega-dir", args->vega_dir,
                  "node_modules folder with vega, vega-lite and vega-embed for --format html "
                  "(default $POWERTRAIN_VEGA_DIR, else web/node_modules of the source tree)");
  cmd->callback([args] {
    // Options are checked by name before any database is opened: a NaN
    // tolerance would call every setup "at target".
    auto require_finite_non_negative = [](const char* name, double value, const char* unit) {
      if (!std::isfinite(value) || value < 0)
        throw std::invalid_argument(
            fmt::format("{}: expected a finite number >= 0 ({}), got {}", name, unit, value));
    };
    require_finite_non_negative("--target-tolerance", args->target_tolerance_points,
                                "accuracy points");
    require_finite_non_negative("--car-g-per-km", args->car_g_per_km, "g CO2 per km");
    if (args->intensity) require_finite_non_negative("--intensity", *args->intensity, "g CO2e/kWh");
    ReporterSettings settings;
    settings.vega_dir = args->vega_dir;
    auto reporter = make_reporter(args->format, settings);  // unknown names fail before any work

    ReportOptions options;
    options.carbon.iso_code = args->country;
    options.carbon.g_per_kwh = args->intensity;
    options.carbon.car_g_per_km = args->car_g_per_km;
    options.target_tolerance_points = args->target_tolerance_points;

    std::vector<RunData> runs;
    std::vector<std::string> databases;
    for (size_t i = 0; i < args->dbs.size(); ++i) {
      // Opened read-only: a report never creates or changes a file.
      const Store store(args->dbs[i], Store::Mode::kReadOnly);
      const std::string prefix = args->dbs.size() > 1 ? std::to_string(i + 1) + ":" : "";
      auto db_runs = load_runs(store, prefix);
      for (auto& r : db_runs) runs.push_back(std::move(r));
      std::string name =
          args->dbs.size() > 1 ? std::to_string(i + 1) + ": " + args->dbs[i] : args->dbs[i];
      // A sweep records the order its runs ran in (random with a seed, or fixed).
      if (auto order = store.meta("run_order")) name += " (run order: " + *order + ")";
      databases.push_back(std::move(name));
    }
    StudyReport report = analyze(runs, options);
    report.databases = std::move(databases);
    const ReportDocument document = build_document(report);
    ReportTarget target;
    target.stream = &std::cout;
    target.out_dir = args->out_dir;
    for (const auto& path : reporter->write(document, report, target)) {
      std::cout << "wrote " << path << "\n";
    }
    // Prediction quality and searches (issue 15): their own sections and files.
    for (const auto& path :
         write_prediction_and_search_reports(args->dbs, args->format, args->out_dir, std::cout)) {
      std::cout << "wrote " << path << "\n";
    }
  });
}

}  // namespace powertrain::cli
