// Small file helpers shared by the data loaders (private to src/data).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace powertrain::data_detail {

// Largest inputs accepted: far above any real file of the kind, far below
// what would exhaust memory.
inline constexpr uint64_t kMaxImageBytes = 64ull << 20;
inline constexpr uint64_t kMaxTextBytes = 4ull << 30;

// Opens a regular file for reading and returns its descriptor, with its size
// in *size. A directory, a device, a pipe or a file larger than max_bytes is
// refused before anything is read. Errors: std::runtime_error
// "cannot read 'PATH': REASON".
int open_regular_file(const std::string& path, uint64_t max_bytes, uint64_t* size);

// Whole file as bytes (see open_regular_file for what is refused).
std::string read_file(const std::string& path, uint64_t max_bytes = kMaxTextBytes);

// Writes through a temporary file and a rename, so a reader never sees half a file.
void write_file_atomic(const std::string& path, std::string_view bytes);

// 64-bit FNV-1a, for cache keys.
uint64_t fnv1a(std::string_view bytes, uint64_t hash = 1469598103934665603ULL);

// Splits off the next line (without "\n" or "\r\n"); returns false at the end.
inline bool next_line(std::string_view& text, std::string_view& line) {
  if (text.empty()) return false;
  size_t end = text.find('\n');
  if (end == std::string_view::npos) {
    line = text;
    text = {};
  } else {
    line = text.substr(0, end);
    text.remove_prefix(end + 1);
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return true;
}

inline bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Next whitespace-separated token of `line`; empty at the end.
inline std::string_view next_token(std::string_view& line) {
  size_t i = 0;
  while (i < line.size() && is_blank(line[i])) ++i;
  size_t j = i;
  while (j < line.size() && !is_blank(line[j])) ++j;
  std::string_view token = line.substr(i, j - i);
  line.remove_prefix(j);
  return token;
}

// Quotes a token for an error message, shortened when long.
std::string quote(std::string_view token);

}  // namespace powertrain::data_detail
