#include "powertrain/util/parse.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace powertrain {

std::string SourceLocation::to_string() const {
  std::string out = file.empty() ? std::string("<input>") : file;
  if (line > 0) out += ":" + std::to_string(line);
  if (column > 0) out += ", column " + std::to_string(column);
  return out;
}

namespace {
[[noreturn]] void fail(std::string_view what, std::string_view text, const SourceLocation& where) {
  throw std::invalid_argument(where.to_string() + ": expected " + std::string(what) + ", got '" +
                              std::string(text) + "'");
}
}  // namespace

double parse_double(std::string_view text, const SourceLocation& where) {
  std::string s(text);  // strtod needs a terminator
  if (s.empty()) fail("a number", text, where);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE) fail("a number", text, where);
  return v;
}

long long parse_int(std::string_view text, const SourceLocation& where) {
  std::string s(text);
  if (s.empty()) fail("an integer", text, where);
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (end != s.c_str() + s.size() || errno == ERANGE) fail("an integer", text, where);
  return v;
}

}  // namespace powertrain
