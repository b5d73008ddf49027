// Parsers of the CelebA annotation files. The real files are whitespace
// aligned (two spaces before a positive value), list_attr_celeba.txt has CRLF
// line ends, and its count line is not trusted.
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "data/file_util.h"
#include "powertrain/data/celeba.h"
#include "powertrain/util/parse.h"

namespace powertrain {
namespace {

using data_detail::next_line;
using data_detail::next_token;
using data_detail::quote;

[[noreturn]] void fail(const std::string& file, long line, const std::string& what) {
  throw std::invalid_argument(SourceLocation{file, line, 0}.to_string() + ": " + what);
}

bool is_blank_line(std::string_view line) {
  for (char c : line)
    if (!data_detail::is_blank(c)) return false;
  return true;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// A non-negative integer that fits in an int; -1 when it does not.
long long small_int(std::string_view s) {
  if (!all_digits(s) || s.size() > 9) return -1;
  long long v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

}  // namespace

CelebaAttributeTable parse_celeba_attributes(std::string_view text, const std::string& file_name) {
  CelebaAttributeTable table;
  std::string_view line;
  long number = 0;
  // Line 1: the count.
  while (true) {
    if (!next_line(text, line)) fail(file_name, number, "file is empty (expected a count line)");
    ++number;
    if (!is_blank_line(line)) break;
  }
  {
    std::string_view rest = line;
    std::string_view token = next_token(rest);
    long long count = small_int(token);
    if (count < 0 || !next_token(rest).empty())
      fail(file_name, number, "expected the image count on line 1, got " + quote(line));
    table.declared_count = count;
  }
  // Line 2: the 40 names.
  if (!next_line(text, line)) fail(file_name, number, "file ends before the attribute names line");
  ++number;
  for (std::string_view rest = line;;) {
    std::string_view token = next_token(rest);
    if (token.empty()) break;
    table.names.emplace_back(token);
  }
  if (table.names.size() != kCelebaAttributes)
    fail(file_name, number,
         fmt::format("expected {} attribute names, got {}", kCelebaAttributes, table.names.size()));
  // Then `file v1 ... v40`, values -1 or 1.
  while (next_line(text, line)) {
    ++number;
    if (is_blank_line(line)) continue;
    std::string_view rest = line;
    std::string_view file = next_token(rest);
    std::array<float, kCelebaAttributes> values{};
    int count = 0;
    for (std::string_view token; !(token = next_token(rest)).empty();) {
      if (count < kCelebaAttributes) {
        if (token == "1") {
          values[count] = 1.0f;
        } else if (token == "-1") {
          values[count] = 0.0f;
        } else {
          throw std::invalid_argument(SourceLocation{file_name, number, count + 2}.to_string() +
                                      ": expected -1 or 1, got " + quote(token));
        }
      }
      ++count;
    }
    if (count != kCelebaAttributes)
      fail(file_name, number,
           fmt::format("expected {} attribute values after {}, got {}", kCelebaAttributes,
                       quote(file), count));
    table.files.emplace_back(file);
    table.values.push_back(values);
  }
  return table;
}

CelebaIdentityTable parse_celeba_identities(std::string_view text, const std::string& file_name) {
  CelebaIdentityTable table;
  std::string_view line;
  long number = 0;
  bool first = true;
  while (next_line(text, line)) {
    ++number;
    if (is_blank_line(line)) continue;
    std::string_view rest = line;
    std::string_view file = next_token(rest);
    std::string_view id = next_token(rest);
    bool extra = !next_token(rest).empty();
    long long value = small_int(id);
    if (first && (value < 0 || extra)) {
      first = false;  // a header line such as "image_id identity"
      continue;
    }
    first = false;
    if (id.empty() || extra)
      fail(file_name, number, "expected 'file identity', got " + quote(line));
    if (value < 0) fail(file_name, number, "expected an identity number, got " + quote(id));
    table.files.emplace_back(file);
    table.identity_ids.push_back(static_cast<int>(value));
  }
  if (table.files.empty()) fail(file_name, number, "file holds no identity rows");
  return table;
}

CelebaPartitionTable parse_celeba_partition(std::string_view text, const std::string& file_name) {
  CelebaPartitionTable table;
  std::string_view line;
  long number = 0;
  while (next_line(text, line)) {
    ++number;
    if (is_blank_line(line)) continue;
    std::string_view rest = line;
    std::string_view file = next_token(rest);
    std::string_view split = next_token(rest);
    if (split.empty() || !next_token(rest).empty())
      fail(file_name, number, "expected 'file 0|1|2', got " + quote(line));
    if (split != "0" && split != "1" && split != "2")
      fail(file_name, number, "expected partition 0, 1 or 2, got " + quote(split));
    table.files.emplace_back(file);
    table.splits.push_back(static_cast<DataSplit>(split[0] - '0'));
  }
  if (table.files.empty()) fail(file_name, number, "file holds no partition rows");
  return table;
}

}  // namespace powertrain
