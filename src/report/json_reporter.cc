// JSON: the whole document (tables with numbers and modelled marks, figures
// as Vega-Lite specs) plus the findings and the runs left out.
#include <nlohmann/json.hpp>

#include "report/reporters.h"

namespace powertrain::report_detail {
namespace {

using nlohmann::json;

json table_json(const Table& table) {
  json rows = json::array();
  for (const auto& row : table.rows) {
    json cells = json::array();
    for (const auto& cell : row) {
      json c = {{"text", cell.text}, {"modelled", cell.modelled}};
      if (cell.number) c["value"] = *cell.number;
      cells.push_back(c);
    }
    rows.push_back(cells);
  }
  return {{"id", table.id},
          {"title", table.title},
          {"columns", table.columns},
          {"rows", rows},
          {"notes", table.notes}};
}

class JsonReporter : public Reporter {
 public:
  std::string name() const override { return "json"; }
  std::vector<std::string> write(const ReportDocument& doc, const StudyReport& report,
                                 const ReportTarget& target) override {
    json sections = json::array();
    for (const auto& section : doc.sections) {
      json tables = json::array(), figures = json::array();
      for (const auto& t : section.tables) tables.push_back(table_json(t));
      for (const auto& f : section.figures) {
        figures.push_back({{"id", f.id},
                           {"title", f.title},
                           {"vega_lite", json::parse(f.vega_lite)},
                           {"data", table_json(f.data)}});
      }
      sections.push_back({{"id", section.id},
                          {"title", section.title},
                          {"paragraphs", section.paragraphs},
                          {"tables", tables},
                          {"figures", figures}});
    }
    json findings = json::array();
    for (const auto& f : report.findings) {
      findings.push_back({{"topic", f.topic}, {"text", f.text}, {"modelled", f.modelled}});
    }
    json claims = json::array();
    for (const auto& c : report.claims) {
      claims.push_back({{"id", c.id},
                        {"scenario", c.scenario},
                        {"claim", c.claim},
                        {"study", c.study},
                        {"ours", c.ours},
                        {"verdict", c.verdict},
                        {"why", c.why},
                        {"modelled", c.modelled}});
    }
    json out = {{"title", doc.title},
                {"preamble", doc.preamble},
                {"databases", report.databases},
                {"counted_runs", report.runs.size()},
                {"left_out", report.left_out},
                {"any_modelled", doc.any_modelled},
                {"modelled_note", kModelledNote},
                {"carbon",
                 {{"iso_code", report.carbon.setting.iso_code},
                  {"country", report.carbon.setting.country},
                  {"g_per_kwh", report.carbon.setting.g_per_kwh},
                  {"source", report.carbon.setting.source},
                  {"car_g_per_km", report.carbon.setting.car_g_per_km}}},
                {"findings", findings},
                {"claims", claims},
                {"diverged_runs", report.diverged.size()},
                {"sections", sections}};
    const std::string text = out.dump(2) + "\n";
    if (!target.out_dir.empty()) {
      const auto path = output_path(target.out_dir, "report.json");
      write_file(path, text);
      return {path};
    }
    *target.stream << text;
    return {};
  }
};

}  // namespace

std::unique_ptr<Reporter> make_json_reporter() { return std::make_unique<JsonReporter>(); }

}  // namespace powertrain::report_detail
