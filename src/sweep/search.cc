// powertrain search: successive halving with an energy budget (search.h).
#include "powertrain/sweep/search.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ostream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "powertrain/predict/prediction_store.h"
#include "powertrain/store/run_roles.h"
#include "powertrain/util/parse.h"
#include "search_internal.h"

namespace powertrain {

using search_detail::RungRun;
using search_detail::RungRuns;

std::string SearchTarget::text() const {
  return relative ? fmt::format("best-{:g}", value) : fmt::format("{:g}", value);
}

SearchTarget parse_search_target(const std::string& text) {
  SearchTarget t;
  std::string number = text;
  if (text.rfind("best-", 0) == 0) {
    t.relative = true;
    number = text.substr(5);
  }
  char* end = nullptr;
  t.value = std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || !std::isfinite(t.value) ||
      t.value < 0) {
    throw std::invalid_argument(fmt::format(
        "--target '{}': expected a score to reach (0.85) or best-X, within X of the best "
        "(best-0.02), X >= 0 in the metric's units",
        text));
  }
  return t;
}

std::vector<int> rung_sizes(int setups, int eta) {
  if (setups < 1 || eta < 2) {
    throw std::invalid_argument(
        fmt::format("rung_sizes: {} setups, eta {} (need >= 1 and >= 2)", setups, eta));
  }
  std::vector<int> sizes{setups};
  while (sizes.back() > eta) sizes.push_back((sizes.back() + eta - 1) / eta);
  return sizes;
}

int rung_epochs(double rung_budget_mwh, int survivors, double epoch_mwh, int previous_epochs,
                int max_epochs) {
  int epochs = previous_epochs + 1;
  if (rung_budget_mwh > 0 && epoch_mwh > 0 && survivors > 0) {
    const double share = rung_budget_mwh / survivors / epoch_mwh;
    if (share > epochs) epochs = static_cast<int>(std::min<double>(share, max_epochs));
  }
  return std::min(epochs, max_epochs);
}

}  // namespace powertrain
