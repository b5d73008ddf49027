#include "powertrain/store/setups.h"

#include <fmt/format.h>

#include <cmath>

namespace powertrain {

int table1_setup(int batch_size, double learning_rate) {
  static const int kBatchSizes[] = {64, 256, 1024, 4096};
  static const double kLearningRates[] = {0.1, 0.01, 0.001, 0.0001};
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      if (batch_size == kBatchSizes[i] &&
          std::fabs(learning_rate - kLearningRates[j]) <= 1e-9 * kLearningRates[j]) {
        return i * 4 + j + 1;
      }
    }
  }
  return 0;
}

std::string setup_name(int batch_size, double learning_rate) {
  if (int n = table1_setup(batch_size, learning_rate)) return std::to_string(n);
  return fmt::format("bs{}-lr{:g}", batch_size, learning_rate);
}

}  // namespace powertrain
