// CSV field quoting (RFC 4180), shared by the store's export and the reports.
#pragma once

#include <string>

namespace powertrain {

// The field as is, or in double quotes with inner quotes doubled when it
// holds a comma, a quote or a line break.
inline std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace powertrain
