// libFuzzer target: the CelebA partition file parser. Any input either parses
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
    auto t = powertrain::parse_celeba_partition(text, "fuzz.txt");
    if (t.files.empty() || t.files.size() != t.splits.size()) std::abort();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
