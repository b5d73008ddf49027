// The prediction evaluation as text, JSON, CSV and an HTML section.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "powertrain/predict/evaluation.h"

namespace powertrain::predict {
namespace {

std::string pct(double x) { return std::isfinite(x) ? fmt::format("{:.1f} %", 100 * x) : "-"; }

constexpr const char* kMethod =
    "ours: saturating fit of the validation curve (exponential or inverse power law, robust "
    "least squares) with the early-stopping rule played forward, 80 % interval from a residual "
    "bootstrap; baseline: mean epoch energy x planned epochs (Carbontracker)";

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace

std::string format_evaluation_text(const PredictionEvaluation& e) {
  std::ostringstream out;
  out << fmt::format(
      "\nPrediction of a run's total energy: median |error| against the measured total "
      "({} runs; energy {})\n",
      e.runs.size(), e.energy_sources.empty() ? "-" : e.energy_sources);
  out << "  " << kMethod << "\n";
  out << fmt::format("  {:<12} {:<10} {:>5} {:>10} {:>10}\n", "setup", "after", "runs", "ours",
                     "baseline");
  for (const auto& s : e.summary) {
    out << fmt::format("  {:<12} {:<10} {:>5} {:>10} {:>10}\n", s.setup, s.label, s.runs,
                       pct(s.ours_median_abs), pct(s.baseline_median_abs));
  }
  return out.str();
}

std::string evaluation_json(const PredictionEvaluation& e) {
  nlohmann::json j;
  j["method"] = kMethod;
  j["error"] = "(predicted - measured) / measured, of the run's total energy";
  j["energy_sources"] = e.energy_sources;
  j["summary"] = nlohmann::json::array();
  for (const auto& s : e.summary) {
    j["summary"].push_back({{"setup", s.setup},
                            {"after", s.label},
                            {"runs", s.runs},
                            {"ours_median_abs_error", s.ours_median_abs},
                            {"baseline_median_abs_error", s.baseline_median_abs}});
  }
  j["runs"] = nlohmann::json::array();
  for (const auto& r : e.runs) {
    nlohmann::json errors = nlohmann::json::array();
    for (const auto& c : r.errors) {
      errors.push_back(
          {{"after", c.label}, {"epoch", c.epoch}, {"ours", c.ours}, {"baseline", c.baseline}});
    }
    j["runs"].push_back({{"database", r.database},
                         {"run_id", r.run_id},
                         {"setup", r.setup},
                         {"role", r.role},
                         {"repeat", r.repeat},
                         {"epochs", r.epochs},
                         {"measured_mwh", r.measured_mwh},
                         {"predictions", r.stored ? "stored" : "recomputed from the epochs"},
                         {"errors", errors}});
  }
  return j.dump(2) + "\n";
}

std::string evaluation_csv(const PredictionEvaluation& e) {
  std::ostringstream out;
  out << "database,run_id,setup,role,repeat,epochs,measured_mwh,after,epoch,ours_error,"
         "baseline_error\n";
  for (const auto& r : e.runs) {
    for (const auto& c : r.errors) {
      out << fmt::format("\"{}\",{},{},{},{},{},{:.6f},{},{},{:.6f},{:.6f}\n", r.database, r.run_id,
                         r.setup, r.role, r.repeat, r.epochs, r.measured_mwh, c.label, c.epoch,
                         c.ours, c.baseline);
    }
  }
  return out.str();
}

std::string evaluation_html(const PredictionEvaluation& e) {
  std::ostringstream out;
  out << "<section id=\"predictions\">\n<h2>Prediction of a run's total energy</h2>\n";
  out << fmt::format("<p>{} runs; energy {}. {}.</p>\n", e.runs.size(), e.energy_sources, kMethod);
  out << "<table>\n<tr><th>setup</th><th>after</th><th>runs</th><th>ours, median |error|</th>"
         "<th>baseline, median |error|</th></tr>\n";
  for (const auto& s : e.summary) {
    out << fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                       s.setup, s.label, s.runs, pct(s.ours_median_abs),
                       pct(s.baseline_median_abs));
  }
  out << "</table>\n</section>\n";
  return out.str();
}

std::vector<std::string> write_evaluation(const std::vector<std::string>& db_paths,
                                          const std::string& format, const std::string& out_dir,
                                          std::ostream& terminal) {
  const PredictionEvaluation e = evaluate_predictions(db_paths);
  if (e.runs.empty()) return {};
  if (out_dir.empty()) {
    if (format == "text" || format == "md" || format == "markdown")
      terminal << format_evaluation_text(e);
    return {};
  }
  const std::filesystem::path dir(out_dir);
  std::vector<std::string> paths;
  for (const auto& [name, text] :
       {std::pair<std::string, std::string>{"predictions.json", evaluation_json(e)},
        {"predictions.csv", evaluation_csv(e)},
        {"predictions.html", evaluation_html(e)}}) {
    paths.push_back((dir / name).string());
    write_file(paths.back(), text);
  }
  return paths;
}

}  // namespace powertrain::predict
