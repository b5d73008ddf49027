// libFuzzer target: the CelebA identities file parser. Any input either parses
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
    auto t = powertrain::parse_celeba_identities(text, "fuzz.txt");
    if (t.files.empty() || t.files.size() != t.identity_ids.size()) std::abort();
    for (int id : t.identity_ids)
      if (id < 0) std::abort();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
