// This machine's name and the wall clock as run records store them.
#pragma once

#include <string>

namespace powertrain {

// Seconds since the Unix epoch (runs.started_at, ended_at).
double unix_now_s();

// gethostname(), or "unknown" when it fails.
std::string this_host();

}  // namespace powertrain
