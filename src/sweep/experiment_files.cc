// Loading an experiment file, and checking its data folder before a sweep.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "powertrain/sweep/experiment.h"

namespace powertrain {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
}  // namespace

ExperimentConfig load_experiment(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read experiment file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw std::runtime_error("cannot read experiment file " + path);
  return parse_experiment(text.str(), path);
}

void check_data_dir(const ExperimentConfig& config) {
  std::error_code ec;
  const json model = json::parse(config.model_options_json);
  if (model.contains("pretrained")) {
    const std::string weights = model["pretrained"].get<std::string>();
    if (!fs::is_regular_file(weights, ec)) {
      throw std::invalid_argument(fmt::format(
          "{}: 'model.pretrained' file '{}' does not exist (leave the key out to start from "
          "random weights)",
          config.file, weights));
    }
  }
  if (config.data_dir == kGeneratedData) return;
  if (!fs::is_directory(config.data_dir, ec)) {
    throw std::invalid_argument(
        fmt::format("{}: data folder '{}' does not exist (set 'data' or pass --data)", config.file,
                    config.data_dir));
  }
  if (config.dataset == "pamap2" && !fs::is_directory(fs::path(config.data_dir) / "Protocol", ec)) {
    throw std::invalid_argument(fmt::format(
        "{}: data folder '{}' has no Protocol/ folder (is it PAMAP2? `powertrain synth pamap2 "
        "--out DIR` generates one)",
        config.file, config.data_dir));
  }
  if (config.dataset == "celeba" &&
      !fs::is_regular_file(fs::path(config.data_dir) / "list_attr_celeba.txt", ec)) {
    throw std::invalid_argument(fmt::format(
        "{}: data folder '{}' has no list_attr_celeba.txt (is it CelebA? `powertrain synth celeba "
        "--out DIR` generates one)",
        config.file, config.data_dir));
  }
}

}  // namespace powertrain
