// The PAMAP2 line parser: 54 space-separated numbers per line, "NaN" for
// missing values. Hand-rolled because this is the hot path of loading
// (a real subject file has ~376k lines, ~20M numbers).
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/file_util.h"
#include "powertrain/data/pamap2.h"
#include "powertrain/util/parse.h"

namespace powertrain {
namespace {

constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

enum class TokenResult { kOk, kNotANumber, kOutOfRange };

// Parses [begin, end) as a whole number. Decimal numbers with up to 15
// significant digits and small exponents take Clinger's fast path (exact to
// double, then rounded to float; always within float range); anything else
// goes to std::from_chars. A finite number that a float cannot hold (1e39,
// 1e400, 1e-50) is out of range, not infinity or zero.
TokenResult parse_float_token(const char* begin, const char* end, float& out) {
  const char* p = begin;
  bool negative = false;
  if (p < end && (*p == '-' || *p == '+')) {
    negative = *p == '-';
    ++p;
  }
  if (end - p == 3 && (p[0] == 'N' || p[0] == 'n') && (p[1] == 'a' || p[1] == 'A') &&
      (p[2] == 'N' || p[2] == 'n')) {
    out = std::numeric_limits<float>::quiet_NaN();
    return TokenResult::kOk;
  }
  uint64_t mantissa = 0;
  int digits = 0;
  int exponent = 0;
  const char* digits_begin = p;
  while (p < end && unsigned(*p - '0') < 10) {
    if (digits < 19) {
      mantissa = mantissa * 10 + unsigned(*p - '0');
      if (mantissa != 0) ++digits;
    } else {
      ++exponent;
      digits = 20;  // too many for the fast path
    }
    ++p;
  }
  bool any_digit = p != digits_begin;
  if (p < end && *p == '.') {
    ++p;
    const char* fraction_begin = p;
    while (p < end && unsigned(*p - '0') < 10) {
      if (digits < 19) {
        mantissa = mantissa * 10 + unsigned(*p - '0');
        if (mantissa != 0) ++digits;
        --exponent;
      } else {
        digits = 20;
      }
      ++p;
    }
    any_digit = any_digit || p != fraction_begin;
  }
  if (!any_digit) return TokenResult::kNotANumber;
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    bool exp_negative = false;
    if (p < end && (*p == '-' || *p == '+')) {
      exp_negative = *p == '-';
      ++p;
    }
    if (p == end) return TokenResult::kNotANumber;
    int value = 0;
    while (p < end && unsigned(*p - '0') < 10) {
      if (value < 100000) value = value * 10 + (*p - '0');
      ++p;
    }
    exponent += exp_negative ? -value : value;
  }
  if (p != end) return TokenResult::kNotANumber;
  if (digits <= 15 && exponent >= -22 && exponent <= 22) {
    double value = static_cast<double>(mantissa);
    value = exponent < 0 ? value / kPow10[-exponent] : value * kPow10[exponent];
    out = static_cast<float>(negative ? -value : value);
    return TokenResult::kOk;
  }
  // Slow path: let the standard library round it (it rejects a leading '+').
  const char* start = (*begin == '+') ? begin + 1 : begin;
  double value = 0;
  auto [ptr, ec] = std::from_chars(start, end, value);
  if (ptr != end) return TokenResult::kNotANumber;
  if (ec == std::errc::result_out_of_range) return TokenResult::kOutOfRange;
  if (ec != std::errc()) return TokenResult::kNotANumber;
  // The mantissa is all zeros (0e999) only when no digit was non-zero.
  bool zero = mantissa == 0;
  if (!std::isfinite(value) || std::fabs(value) > std::numeric_limits<float>::max() ||
      (!zero && static_cast<float>(value) == 0.0f))
    return TokenResult::kOutOfRange;
  out = static_cast<float>(value);
  return TokenResult::kOk;
}

[[noreturn]] void fail_columns(const std::string& file, long line, int got) {
  throw std::invalid_argument(SourceLocation{file, line, 0}.to_string() + ": expected " +
                              std::to_string(kPamap2Columns) + " columns, got " +
                              std::to_string(got));
}

}  // namespace

namespace {

// Parses the complete lines in [p, end) into `table`, counting lines in `line`.
void parse_lines(const char* p, const char* const end, long& line, const std::string& file_name,
                 Pamap2Table& table) {
  while (p < end) {
    ++line;
    const char* eol = static_cast<const char*>(std::memchr(p, '\n', end - p));
    if (!eol) eol = end;
    const char* stop = eol;
    if (stop > p && stop[-1] == '\r') --stop;
    const char* q = p;
    while (q < stop && (*q == ' ' || *q == '\t')) ++q;
    if (q == stop) {  // blank line: tolerated (e.g. a final empty line)
      p = eol + 1;
      continue;
    }
    size_t base = table.values.size();
    table.values.resize(base + kPamap2Columns);
    float* out = table.values.data() + base;
    int column = 0;
    while (q < stop) {
      const char* token = q;
      while (q < stop && *q != ' ' && *q != '\t') ++q;
      if (column >= kPamap2Columns) {
        // Count the rest for the message.
        int extra = 1;
        while (q < stop) {
          while (q < stop && (*q == ' ' || *q == '\t')) ++q;
          if (q < stop) ++extra;
          while (q < stop && *q != ' ' && *q != '\t') ++q;
        }
        fail_columns(file_name, line, kPamap2Columns + extra);
      }
      TokenResult result = parse_float_token(token, q, out[column]);
      if (result == TokenResult::kNotANumber) {
        throw std::invalid_argument(SourceLocation{file_name, line, column + 1}.to_string() +
                                    ": expected a number or NaN, got " +
                                    data_detail::quote(std::string_view(token, q - token)));
      }
      if (result == TokenResult::kOutOfRange) {
        throw std::invalid_argument(
            SourceLocation{file_name, line, column + 1}.to_string() + ": value " +
            data_detail::quote(std::string_view(token, q - token)) +
            " is outside the range of a 32-bit float (magnitudes 1.4e-45 to 3.4e38, or 0)");
      }
      ++column;
      while (q < stop && (*q == ' ' || *q == '\t')) ++q;
    }
    if (column != kPamap2Columns) fail_columns(file_name, line, column);
    ++table.rows;
    p = eol + 1;
  }
}

}  // namespace

Pamap2Table parse_pamap2_text(std::string_view text, const std::string& file_name) {
  Pamap2Table table;
  // A real line is ~370 bytes; reserving by that avoids regrowth.
  table.values.reserve((text.size() / 300 + 1) * kPamap2Columns);
  long line = 0;
  parse_lines(text.data(), text.data() + text.size(), line, file_name, table);
  if (table.rows == 0) throw std::invalid_argument(file_name + ": file holds no rows");
  return table;
}

Pamap2Table read_pamap2_file(const std::string& path) {
  // Streamed in blocks: only the parsed values are held, never the whole text.
  uint64_t size = 0;
  int fd = data_detail::open_regular_file(path, data_detail::kMaxTextBytes, &size);
  std::unique_ptr<FILE, int (*)(FILE*)> file(::fdopen(fd, "rb"), &std::fclose);
  if (!file) {
    ::close(fd);
    throw std::runtime_error("cannot read '" + path + "': " + std::strerror(errno));
  }
  Pamap2Table table;
  if (size > 0) table.values.reserve((static_cast<size_t>(size) / 300 + 1) * kPamap2Columns);
  constexpr size_t kBlock = 4 << 20;
  constexpr size_t kMaxLineBytes = 64 << 20;
  std::vector<char> buffer(kBlock);
  size_t kept = 0;  // bytes of an unfinished line at the front of the buffer
  long line = 0;
  while (true) {
    if (kept == buffer.size()) {
      // A real line is ~370 bytes; a long one is still parsed for a useful
      // message, but memory stays bounded.
      if (buffer.size() >= kMaxLineBytes)
        throw std::invalid_argument(SourceLocation{path, line + 1, 0}.to_string() +
                                    ": line longer than 64 MiB (not a PAMAP2 subject file)");
      buffer.resize(buffer.size() * 2);
    }
    size_t got = std::fread(buffer.data() + kept, 1, buffer.size() - kept, file.get());
    if (got == 0) {
      if (std::ferror(file.get()))
        throw std::runtime_error("cannot read '" + path + "': " + std::strerror(errno));
      parse_lines(buffer.data(), buffer.data() + kept, line, path, table);  // last line, no newline
      break;
    }
    size_t filled = kept + got;
    const char* last_newline = static_cast<const char*>(memrchr(buffer.data(), '\n', filled));
    size_t complete = last_newline ? static_cast<size_t>(last_newline - buffer.data()) + 1 : 0;
    parse_lines(buffer.data(), buffer.data() + complete, line, path, table);
    kept = filled - complete;
    std::memmove(buffer.data(), buffer.data() + complete, kept);
  }
  if (table.rows == 0) throw std::invalid_argument(path + ": file holds no rows");
  return table;
}

}  // namespace powertrain
