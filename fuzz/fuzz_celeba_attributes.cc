// libFuzzer target: the CelebA attributes file parser. Any input either parses
// into a consistent table or throws std::invalid_argument.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "powertrain/data/celeba.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto t = powertrain::parse_celeba_attributes(text, "fuzz.txt");
    for (const auto& row : t.values)
      for (float v : row)
        if (v != 0.0f && v != 1.0f) std::abort();
    if (t.names.size() != powertrain::kCelebaAttributes || t.values.size() != t.files.size()) std::abort();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
