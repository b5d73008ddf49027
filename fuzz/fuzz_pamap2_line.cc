// libFuzzer target: the PAMAP2 subject file parser. Any input either parses
// or throws std::invalid_argument; nothing else (no crash, no other error).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "powertrain/data/pamap2.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    powertrain::Pamap2Table table = powertrain::parse_pamap2_text(text, "fuzz.dat");
    if (table.rows <= 0 ||
        table.values.size() != static_cast<size_t>(table.rows) * powertrain::kPamap2Columns)
      std::abort();
    // Every value is NaN or a finite float: 1e39 and 1e400 are errors, not inf or 0.
    for (float v : table.values)
      if (std::isinf(v)) std::abort();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
