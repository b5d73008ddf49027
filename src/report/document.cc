// Lays the analyses out as sections of tables and Vega-Lite figures.
#include "powertrain/report/document.h"

#include "report/document_internal.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "powertrain/energy/sensors/model.h"
#include "powertrain/store/run_roles.h"
#include "powertrain/train/divergence.h"

namespace powertrain {

const char* const kModelledNote =
    "* modelled: estimated by a power model (no readable sensor), not measured";

namespace document_internal {

Cell text_cell(std::string text) { return Cell{std::move(text), std::nullopt, false}; }

Cell number_cell(double value, int digits, bool modelled) {
  return Cell{format_number(value, digits), value, modelled};
}

Cell optional_cell(const std::optional<double>& value, int digits, bool modelled,
                   const std::string& missing) {
  if (!value) return text_cell(missing);
  return number_cell(*value, digits, modelled);
}

std::string slug(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-';
  }
  return out;
}

std::string scenario_slug(const ScenarioKey& s) { return slug(s.task) + "_" + slug(s.device); }

std::string lr_text(double lr) { return fmt::format("{:g}", lr); }

std::string modelled_suffix(bool modelled) { return modelled ? " (includes modelled energy)" : ""; }

json base_spec(const std::string& title, bool modelled) {
  return json{{"title", title + modelled_suffix(modelled)},
              {"width", 560},
              {"height", 260},
              {"config", {{"font", "sans-serif"}}}};
}

}  // namespace document_internal

using namespace document_internal;

bool Table::any_modelled() const {
  for (const auto& row : rows) {
    for (const auto& cell : row) {
      if (cell.modelled) return true;
    }
  }
  return false;
}

std::string format_number(double value, int digits) {
  if (std::isnan(value)) return "nan";
  std::string text = fmt::format("{:.{}f}", value, digits);
  if (text == "-" + fmt::format("{:.{}f}", 0.0, digits)) text.erase(0, 1);
  return text;
}

ReportDocument build_document(const StudyReport& report) {
  ReportDocument doc;
  doc.title = "powertrain report: the energy of training";
  doc.any_modelled = report.any_modelled;
  doc.preamble.push_back(
      "Tables and figures of the study \"The Power of Training\" (Geissler et al., 2024), "
      "computed from the run databases below.");
  if (report.any_modelled) {
    doc.preamble.push_back(std::string("Some energy figures are modelled, not measured; they "
                                       "are marked. ") +
                           kModelledNote + ".");
  }
  doc.sections.push_back(findings_section(report));
  doc.sections.push_back(claims_section(report));
  doc.sections.push_back(table2_section(report));
  doc.sections.push_back(figure3_section(report));
  doc.sections.push_back(break_even_section(report));
  doc.sections.push_back(table3_section(report));
  doc.sections.push_back(table4_section(report));
  doc.sections.push_back(diverged_section(report));
  doc.sections.push_back(carbon_section(report));
  doc.sections.push_back(runs_section(report));
  return doc;
}

}  // namespace powertrain
