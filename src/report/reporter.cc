// The reporter registry and the two plain-text formats (text, md).
#include "powertrain/report/reporter.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>

#include "powertrain/util/atomic_file.h"
#include "report/reporters.h"

namespace powertrain {
namespace report_detail {

std::string output_path(const std::string& dir, const std::string& name) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    throw std::runtime_error("cannot create report folder '" + dir + "': " + error.message());
  }
  return (std::filesystem::path(dir) / name).string();
}

void write_file(const std::string& path, const std::string& content) {
  // A temporary name and a rename: a full disk leaves no half report, and
  // the error says why ("No space left on device").
  write_file_atomic(path, content);
}

std::string marked(const Cell& cell) { return cell.modelled ? cell.text + "*" : cell.text; }

namespace {

// Writes to the stream, or to `dir/file_name` when a folder is given.
std::vector<std::string> emit(const ReportTarget& target, const std::string& file_name,
                              const std::string& content) {
  if (!target.out_dir.empty()) {
    const auto path = output_path(target.out_dir, file_name);
    write_file(path, content);
    return {path};
  }
  if (!target.stream) throw std::invalid_argument("report: no output stream and no --out folder");
  *target.stream << content;
  target.stream->flush();
  return {};
}

bool is_numeric(const Cell& cell) { return cell.number.has_value(); }

void text_table(std::ostream& out, const Table& table) {
  out << table.title << "\n";
  std::vector<size_t> widths(table.columns.size(), 0);
  for (size_t c = 0; c < table.columns.size(); ++c) widths[c] = table.columns[c].size();
  for (const auto& row : table.rows) {
    for (size_t c = 0; c < row.size() && c < widths.size(); ++c) {
      widths[c] = std::max(widths[c], marked(row[c]).size());
    }
  }
  auto line = [&](const std::vector<std::string>& cells, const std::vector<bool>& right) {
    std::string text;
    for (size_t c = 0; c < widths.size(); ++c) {
      const std::string cell = c < cells.size() ? cells[c] : "";
      const std::string pad(widths[c] - std::min(widths[c], cell.size()), ' ');
      text += (c ? "  " : "  ") + (right[c] ? pad + cell : cell + pad);
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << "\n";
  };
  line(table.columns, std::vector<bool>(widths.size(), false));
  std::vector<std::string> rule;
  for (size_t w : widths) rule.push_back(std::string(w, '-'));
  line(rule, std::vector<bool>(widths.size(), false));
  for (const auto& row : table.rows) {
    std::vector<std::string> cells;
    std::vector<bool> right;
    for (const auto& cell : row) {
      cells.push_back(marked(cell));
      right.push_back(is_numeric(cell));
    }
    right.resize(widths.size(), false);
    line(cells, right);
  }
  for (const auto& note : table.notes) out << "  " << note << "\n";
  out << "\n";
}

class TextReporter : public Reporter {
 public:
  std::string name() const override { return "text"; }
  std::vector<std::string> write(const ReportDocument& doc, const StudyReport&,
                                 const ReportTarget& target) override {
    std::ostringstream out;
    out << doc.title << "\n" << std::string(doc.title.size(), '=') << "\n";
    for (const auto& p : doc.preamble) out << p << "\n";
    out << "\n";
    for (const auto& section : doc.sections) {
      out << section.title << "\n" << std::string(section.title.size(), '-') << "\n";
      const bool list = section.id == "findings";
      for (const auto& p : section.paragraphs) out << (list ? "- " : "") << p << "\n";
      out << "\n";
      for (const auto& table : section.tables) text_table(out, table);
      for (const auto& figure : section.figures) {
        if (section.tables.end() !=
            std::find_if(section.tables.begin(), section.tables.end(),
                         [&](const Table& t) { return t.id == figure.data.id; })) {
          continue;  // its data is already shown as a table
        }
        text_table(out, figure.data);
      }
    }
    if (doc.any_modelled) out << kModelledNote << "\n";
    return emit(target, "report.txt", out.str());
  }
};

std::string md_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

void md_table(std::ostream& out, const Table& table) {
  out << "**" << md_escape(table.title) << "**\n\n|";
  for (const auto& c : table.columns) out << " " << md_escape(c) << " |";
  out << "\n|";
  for (size_t c = 0; c < table.columns.size(); ++c) out << " --- |";
  out << "\n";
  for (const auto& row : table.rows) {
    out << "|";
    for (const auto& cell : row) out << " " << md_escape(marked(cell)) << " |";
    out << "\n";
  }
  out << "\n";
  for (const auto& note : table.notes) out << md_escape(note) << "\n\n";
}

class MarkdownReporter : public Reporter {
 public:
  std::string name() const override { return "md"; }
  std::vector<std::string> write(const ReportDocument& doc, const StudyReport&,
                                 const ReportTarget& target) override {
    std::ostringstream out;
    out << "# " << doc.title << "\n\n";
    for (const auto& p : doc.preamble) out << p << "\n\n";
    for (const auto& section : doc.sections) {
      out << "## " << section.title << "\n\n";
      const bool list = section.id == "findings";
      for (const auto& p : section.paragraphs)
        out << (list ? "- " : "") << p << "\n" << (list ? "" : "\n");
      if (list) out << "\n";
      for (const auto& table : section.tables) md_table(out, table);
      for (const auto& figure : section.figures) {
        if (section.tables.end() !=
            std::find_if(section.tables.begin(), section.tables.end(),
                         [&](const Table& t) { return t.id == figure.data.id; })) {
          continue;
        }
        md_table(out, figure.data);
      }
    }
    if (doc.any_modelled) out << kModelledNote << "\n";
    return emit(target, "report.md", out.str());
  }
};

}  // namespace

std::unique_ptr<Reporter> make_text_reporter() { return std::make_unique<TextReporter>(); }
std::unique_ptr<Reporter> make_markdown_reporter() { return std::make_unique<MarkdownReporter>(); }

}  // namespace report_detail

namespace {

using Factory = std::function<std::unique_ptr<Reporter>(const ReporterSettings&)>;

const std::vector<std::pair<std::string, Factory>>& registry() {
  static const std::vector<std::pair<std::string, Factory>> reporters = {
      {"text", [](const ReporterSettings&) { return report_detail::make_text_reporter(); }},
      {"md", [](const ReporterSettings&) { return report_detail::make_markdown_reporter(); }},
      {"csv", [](const ReporterSettings&) { return report_detail::make_csv_reporter(); }},
      {"json", [](const ReporterSettings&) { return report_detail::make_json_reporter(); }},
      {"html", [](const ReporterSettings& s) { return report_detail::make_html_reporter(s); }},
  };
  return reporters;
}

}  // namespace

std::vector<std::string> reporter_names() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : registry()) names.push_back(name);
  return names;
}

std::unique_ptr<Reporter> make_reporter(const std::string& name, const ReporterSettings& settings) {
  std::string known;
  for (const auto& [reporter_name, factory] : registry()) {
    if (reporter_name == name) return factory(settings);
    known += (known.empty() ? "" : ", ") + reporter_name;
  }
  throw std::invalid_argument("unknown report format '" + name + "'; known formats: " + known);
}

}  // namespace powertrain
