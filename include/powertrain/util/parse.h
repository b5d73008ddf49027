// Number parsing that names where bad input came from.
#pragma once

#include <string>
#include <string_view>

namespace powertrain {

// Where a value came from, for error messages: "file.dat:12, column 7".
struct SourceLocation {
  std::string file;
  long line = 0;    // 1-based; 0 = unknown
  int column = 0;   // 1-based; 0 = unknown
  std::string to_string() const;
};

// Parse the whole of `text` as a number. Throws std::invalid_argument:
// "<where>: expected a number, got 'abc'".
double parse_double(std::string_view text, const SourceLocation& where = {});
long long parse_int(std::string_view text, const SourceLocation& where = {});

}  // namespace powertrain
