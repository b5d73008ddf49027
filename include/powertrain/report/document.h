// A report laid out as sections of tables and figures, independent of the
// output format; every reporter renders this one document.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "powertrain/report/analysis.h"

namespace powertrain {

// One table cell: its text, its number when it has one, and whether that
// number is modelled (reporters mark such cells).
struct Cell {
  std::string text;
  std::optional<double> number;
  bool modelled = false;
};

struct Table {
  std::string id;  // file-name safe: "table2_pamap2_cuda-0"
  std::string title;
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;
  std::vector<std::string> notes;
  bool any_modelled() const;
};

// A chart drawn by Vega-Lite in HTML; other formats show its data table.
struct Figure {
  std::string id;  // "figure3_pamap2_cuda-0"
  std::string title;
  std::string vega_lite;  // the Vega-Lite spec as JSON, data inlined
  Table data;
};

struct Section {
  std::string id;
  std::string title;
  std::vector<std::string> paragraphs;
  std::vector<Table> tables;
  std::vector<Figure> figures;
};

struct ReportDocument {
  std::string title;
  std::vector<std::string> preamble;
  std::vector<Section> sections;
  bool any_modelled = false;
};

// The text that explains the modelled mark.
extern const char* const kModelledNote;

// Lays the analyses out as a document.
ReportDocument build_document(const StudyReport& report);

// Number formatting shared by reporters: fixed with `digits` decimals.
std::string format_number(double value, int digits);

}  // namespace powertrain
