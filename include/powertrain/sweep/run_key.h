// The key that names one run of a sweep: "setup 7 repeat 2 classifier".
// Resume, status, merge and the plan match stored runs to planned ones by it,
// so it is made and read here only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace powertrain {

struct RunKey {
  std::string setup;  // Table 1's number ("7") or "bs100-lr0.5"; no spaces
  int repeat = 0;     // 1.. in a sweep; 0 when a stored run has none
  std::string role;   // runs.role (powertrain/store/run_roles.h); no spaces

  // "setup {setup} repeat {repeat} {role}".
  std::string str() const;
  // The inverse of str(); nullopt for text str() cannot make.
  static std::optional<RunKey> parse(std::string_view text);

  bool operator==(const RunKey& o) const {
    return setup == o.setup && repeat == o.repeat && role == o.role;
  }
  bool operator!=(const RunKey& o) const { return !(*this == o); }
};

}  // namespace powertrain
