// libFuzzer target: the experiment (TOML) reader and the plan it expands to.
// Any input either gives a configuration or throws std::invalid_argument
// naming the file; nothing else (no crash, no toml++ or other exception).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "powertrain/sweep/experiment.h"
#include "powertrain/sweep/plan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  powertrain::ExperimentConfig config;
  try {
    config = powertrain::parse_experiment(text, "fuzz.toml");
  } catch (const std::invalid_argument&) {
    return 0;
  }
  // A plan that fits is expanded (to check its size); one past the limit
  // must be refused, not allocated.
  const double runs = static_cast<double>(config.repeats) * config.batch_sizes.size() *
                      config.learning_rates.size() * 4;
  if (runs <= 20000 || runs > 4e6) {
    try {
      auto plan = powertrain::expand_plan(config);
      if (plan.size() > 1000000) std::abort();
    } catch (const std::invalid_argument&) {
    }
  }
  return 0;
}
