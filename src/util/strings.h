// Small string helpers shared by the modules.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace powertrain {

std::vector<std::string> split(std::string_view text, char sep);
std::string trim(std::string_view text);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
bool starts_with(std::string_view text, std::string_view prefix);
// Reads a whole small file (sysfs, /proc); throws std::runtime_error with the
// path and strerror when it cannot.
std::string read_file(const std::string& path);

}  // namespace powertrain
