// The reporters behind make_reporter(); private to the report module.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "powertrain/report/reporter.h"

namespace powertrain::report_detail {

std::unique_ptr<Reporter> make_text_reporter();
std::unique_ptr<Reporter> make_markdown_reporter();
std::unique_ptr<Reporter> make_csv_reporter();
std::unique_ptr<Reporter> make_json_reporter();
std::unique_ptr<Reporter> make_html_reporter(const ReporterSettings& settings);

// Opens `dir/name` for writing (creating dir); throws std::runtime_error
// naming the path when it cannot.
std::string output_path(const std::string& dir, const std::string& name);
void write_file(const std::string& path, const std::string& content);

// Cell text with the modelled mark.
std::string marked(const Cell& cell);

}  // namespace powertrain::report_detail
