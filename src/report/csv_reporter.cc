// CSV: one file per table (figures' data included), findings.csv, and a
// CodeCarbon-compatible emissions.csv.
#include <set>
#include <sstream>
#include <stdexcept>

#include "powertrain/report/emissions_csv.h"
#include "report/reporters.h"
#include "util/csv.h"

namespace powertrain::report_detail {
namespace {

// Numbers are written bare (full precision, so that tools can compute with
// them); a last column says which of a row's numbers are modelled.
std::string table_csv(const Table& table) {
  std::ostringstream out;
  for (size_t c = 0; c < table.columns.size(); ++c)
    out << (c ? "," : "") << csv_field(table.columns[c]);
  out << ",modelled\n";
  for (const auto& row : table.rows) {
    std::string modelled_columns;
    for (size_t c = 0; c < row.size(); ++c) {
      const auto& cell = row[c];
      std::string text = cell.text;
      if (cell.number && text != "-") {
        std::ostringstream number;
        number.precision(10);
        number << *cell.number;
        text = number.str();
      }
      out << (c ? "," : "") << csv_field(text);
      if (cell.modelled && c < table.columns.size()) {
        modelled_columns += (modelled_columns.empty() ? "" : "; ") + table.columns[c];
      }
    }
    out << "," << csv_field(modelled_columns) << "\n";
  }
  return out.str();
}

class CsvReporter : public Reporter {
 public:
  std::string name() const override { return "csv"; }
  std::vector<std::string> write(const ReportDocument& doc, const StudyReport& report,
                                 const ReportTarget& target) override {
    if (target.out_dir.empty()) {
      throw std::invalid_argument("the csv format writes one file per table: give --out DIR");
    }
    std::vector<std::string> paths;
    std::set<std::string> written;
    auto put = [&](const Table& table) {
      if (!written.insert(table.id).second) return;
      const auto path = output_path(target.out_dir, table.id + ".csv");
      write_file(path, table_csv(table));
      paths.push_back(path);
    };
    for (const auto& section : doc.sections) {
      for (const auto& table : section.tables) put(table);
      for (const auto& figure : section.figures) put(figure.data);
    }
    std::ostringstream findings;
    findings << "topic,finding,modelled\n";
    for (const auto& f : report.findings) {
      findings << csv_field(f.topic) << "," << csv_field(f.text) << ","
               << (f.modelled ? "yes" : "no") << "\n";
    }
    paths.push_back(output_path(target.out_dir, "findings.csv"));
    write_file(paths.back(), findings.str());
    std::ostringstream emissions;
    write_emissions_csv(report, emissions);
    paths.push_back(output_path(target.out_dir, "emissions.csv"));
    write_file(paths.back(), emissions.str());
    return paths;
  }
};

}  // namespace

std::unique_ptr<Reporter> make_csv_reporter() { return std::make_unique<CsvReporter>(); }

}  // namespace powertrain::report_detail
