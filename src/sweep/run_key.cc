#include "powertrain/sweep/run_key.h"

#include <charconv>

#include <fmt/format.h>

namespace powertrain {
namespace {

// The next space-free word of `text` from `pos`, which must start there;
// empty when there is none.
std::string_view word(std::string_view text, size_t& pos) {
  size_t end = text.find(' ', pos);
  if (end == std::string_view::npos) end = text.size();
  std::string_view w = text.substr(pos, end - pos);
  pos = end == text.size() ? end : end + 1;
  return w;
}

}  // namespace

std::string RunKey::str() const {
  return fmt::format("setup {} repeat {} {}", setup, repeat, role);
}

std::optional<RunKey> RunKey::parse(std::string_view text) {
  size_t pos = 0;
  if (word(text, pos) != "setup") return std::nullopt;
  RunKey key;
  key.setup = std::string(word(text, pos));
  if (key.setup.empty() || word(text, pos) != "repeat") return std::nullopt;
  std::string_view number = word(text, pos);
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), key.repeat);
  if (ec != std::errc() || end != number.data() + number.size() || number.empty()) {
    return std::nullopt;
  }
  key.role = std::string(word(text, pos));
  if (key.role.empty() || pos != text.size() || key.str() != text) return std::nullopt;
  return key;
}

}  // namespace powertrain
