// Helpers shared by the sweep tests: temporary folders and experiment text.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

namespace powertrain::testing {

// A fresh folder under the system's temp dir, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("powertrain-sweep-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A PAMAP2-looking data folder (Protocol/ present; the fake runner reads nothing).
inline std::string make_pamap2_dir(const TempDir& dir) {
  std::filesystem::create_directories(dir.path() / "pamap2" / "Protocol");
  return dir / "pamap2";
}

// An experiment like experiments/quick.toml, with the paradigm and data given.
inline std::string experiment_text(const std::string& name, const std::string& paradigm,
                                   const std::string& data, int repeats = 1, int max_epochs = 3) {
  std::string task = paradigm == "regime" ? "task = \"pamap2\"\n" : "";
  return "name = \"" + name + "\"\nparadigm = \"" + paradigm + "\"\n" + task + "data = \"" + data +
         "\"\nrepeats = " + std::to_string(repeats) +
         "\n[grid]\nbatch_sizes = [64, 256, 1024, 4096]\n"
         "learning_rates = [0.1, 0.01, 0.001, 0.0001]\n"
         "[training]\nmax_epochs = " +
         std::to_string(max_epochs) +
         "\n"
         "[energy]\ninterval_s = 0.1\n";
}

}  // namespace powertrain::testing
