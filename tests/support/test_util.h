// Helpers shared by the tests: temporary folders, files, running the program.
#pragma once

#include <string>
#include <vector>

namespace powertrain::testing {

// A fresh folder under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::string& text);
std::string slurp(const std::string& path);

struct CommandResult {
  int exit_code = 0;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs argv (no shell) with extra environment variables and collects its
// output; the child is killed after timeout_s so a hang fails the test.
CommandResult run_program(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& env = {},
                          double timeout_s = 60);

// The built powertrain program.
std::string powertrain_binary();

}  // namespace powertrain::testing
