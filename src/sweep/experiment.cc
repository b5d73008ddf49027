#include "powertrain/sweep/experiment.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <toml++/toml.h>
#include <nlohmann/json.hpp>

#include "powertrain/energy/sensor.h"
#include "powertrain/store/run_roles.h"
#include "powertrain/util/parse.h"
#include "sweep/experiment_internal.h"

namespace powertrain {
using namespace experiment_internal;
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A TOML value as JSON, for the loader options.
json to_json(const toml::node& node) {
  if (node.is_string()) return node.as_string()->get();
  if (node.is_integer()) return node.as_integer()->get();
  if (node.is_floating_point()) return node.as_floating_point()->get();
  if (node.is_boolean()) return node.as_boolean()->get();
  if (const auto* array = node.as_array()) {
    json out = json::array();
    for (const auto& item : *array) out.push_back(to_json(item));
    return out;
  }
  if (const auto* table = node.as_table()) {
    json out = json::object();
    for (auto&& [k, v] : *table) out[std::string(k.str())] = to_json(v);
    return out;
  }
  return nullptr;
}

// Kind of value a [dataset] key takes, to catch a typo'd type early.
enum class OptionType { kInt, kNumber, kBool, kString, kIntList, kStringList, kNumberList };

// Mirrors TrainDataOptions / TrainModelOptions (include/powertrain/train/trainer.h)
// without including it, so the sweep core stays free of the trainer.
const std::map<std::string, OptionType>& option_types(const std::string& section) {
  static const std::map<std::string, OptionType> pamap2 = {
      {"synthetic_train", OptionType::kInt},   {"synthetic_val", OptionType::kInt},
      {"synthetic_test", OptionType::kInt},    {"window_length", OptionType::kInt},
      {"window_stride", OptionType::kInt},     {"downsample", OptionType::kInt},
      {"val_subjects", OptionType::kIntList},  {"test_subjects", OptionType::kIntList},
      {"drop_subjects", OptionType::kIntList}, {"loader_threads", OptionType::kInt},
      {"prefetch_batches", OptionType::kInt},
  };
  static const std::map<std::string, OptionType> celeba = {
      {"synthetic_train", OptionType::kInt},  {"synthetic_val", OptionType::kInt},
      {"synthetic_test", OptionType::kInt},   {"image_size", OptionType::kInt},
      {"identities", OptionType::kInt},       {"val_fraction", OptionType::kNumber},
      {"test_fraction", OptionType::kNumber}, {"max_images", OptionType::kInt},
      {"loader_threads", OptionType::kInt},   {"prefetch_batches", OptionType::kInt},
  };
  static const std::map<std::string, OptionType> model = {
      {"conv_channels", OptionType::kIntList}, {"conv_kernels", OptionType::kIntList},
      {"dropout", OptionType::kNumber},        {"hidden_units", OptionType::kInt},
      {"pretrained", OptionType::kString},
  };
  if (section == "model") return model;
  return section == "celeba" ? celeba : pamap2;
}

bool type_matches(const toml::node& node, OptionType type) {
  auto all = [&](auto pred) {
    const auto* array = node.as_array();
    if (!array) return false;
    for (const auto& item : *array) {
      if (!pred(item)) return false;
    }
    return true;
  };
  switch (type) {
    case OptionType::kInt:
      return node.is_integer();
    case OptionType::kNumber:
      return node.is_number();
    case OptionType::kBool:
      return node.is_boolean();
    case OptionType::kString:
      return node.is_string();
    case OptionType::kIntList:
      return all([](const toml::node& n) { return n.is_integer(); });
    case OptionType::kStringList:
      return all([](const toml::node& n) { return n.is_string(); });
    case OptionType::kNumberList:
      return all([](const toml::node& n) { return n.is_number(); });
  }
  return false;
}

const char* type_name(OptionType type) {
  switch (type) {
    case OptionType::kInt:
      return "an integer";
    case OptionType::kNumber:
      return "a number";
    case OptionType::kBool:
      return "true or false";
    case OptionType::kString:
      return "a string";
    case OptionType::kIntList:
      return "an array of integers";
    case OptionType::kStringList:
      return "an array of strings";
    case OptionType::kNumberList:
      return "an array of numbers";
  }
  return "?";
}

// Smallest value a [dataset] / [model] integer (or each integer of a list)
// may take: the trainer's limits (src/train/trainer.cc validate()), so that a
// value that would fail every run is refused when the file is read.
const std::map<std::string, int64_t>& option_minimums() {
  static const std::map<std::string, int64_t> minimums = {
      {"synthetic_train", 2}, {"synthetic_val", 1},  {"synthetic_test", 0},   {"window_length", 2},
      {"window_stride", 1},   {"downsample", 1},     {"val_subjects", 1},     {"test_subjects", 1},
      {"drop_subjects", 1},   {"loader_threads", 0}, {"prefetch_batches", 1}, {"image_size", 32},
      {"identities", 2},      {"max_images", 0},     {"conv_channels", 1},    {"conv_kernels", 1},
      {"hidden_units", 0},
  };
  return minimums;
}

// Why a [dataset] / [model] value can never run, or "".
std::string option_value_problem(const std::string& key, const toml::node& v) {
  const auto& minimums = option_minimums();
  if (auto it = minimums.find(key); it != minimums.end()) {
    auto check = [&](int64_t x) -> std::string {
      if (x < it->second) {
        return it->second == 0 ? fmt::format("must be 0 or more, got {}", x)
                               : fmt::format("must be at least {}, got {}", it->second, x);
      }
      if (x > INT32_MAX) return fmt::format("is out of range: {}", x);
      return "";
    };
    if (const auto* array = v.as_array()) {
      if (array->empty() && (key == "conv_channels" || key == "conv_kernels")) {
        return "must name at least one convolution block";
      }
      for (const auto& item : *array) {
        if (auto why = check(item.as_integer()->get()); !why.empty()) return why;
      }
    } else if (v.is_integer()) {
      return check(v.as_integer()->get());
    }
  }
  auto number = [&]() {
    return v.is_integer() ? static_cast<double>(v.as_integer()->get())
                          : v.as_floating_point()->get();
  };
  if (key == "dropout") {
    double x = number();
    if (!(x >= 0 && x < 1)) return fmt::format("must lie in [0, 1), got {}", x);
  }
  if (key == "val_fraction") {
    double x = number();
    if (!(x > 0 && x < 1)) return fmt::format("must lie in (0, 1), got {}", x);
  }
  if (key == "test_fraction") {
    double x = number();
    if (!(x >= 0 && x < 1)) return fmt::format("must lie in [0, 1), got {}", x);
  }
  if (key == "pretrained" && v.as_string()->get().empty()) {
    return "is empty (leave it out to start from random weights)";
  }
  return "";
}

// A table of loader or model options as a JSON object; keys, types and
// ranges checked against option_types(kind). `lines` gets each key's line.
std::string read_options(const toml::table* table, const std::string& section,
                         const std::string& kind, const std::string& source_name,
                         std::map<std::string, std::string>* lines = nullptr) {
  json options = json::object();
  if (!table) return options.dump();
  const auto& types = option_types(kind);
  for (auto&& [k, v] : *table) {
    std::string key(k.str());
    auto it = types.find(key);
    std::string line =
        SourceLocation{source_name, static_cast<long>(k.source().begin.line), 0}.to_string();
    if (it == types.end()) {
      std::string list;
      for (const auto& [name, t] : types) list += (list.empty() ? "" : ", ") + name;
      throw std::invalid_argument(fmt::format("{}: unknown key '{}.{}'{} (known: {})", line,
                                              section, key, section == kind ? "" : " for " + kind,
                                              list));
    }
    if (!type_matches(v, it->second)) {
      throw std::invalid_argument(
          fmt::format("{}: '{}.{}' must be {}", line, section, key, type_name(it->second)));
    }
    if (auto why = option_value_problem(key, v); !why.empty()) {
      throw std::invalid_argument(fmt::format("{}: '{}.{}' {}", line, section, key, why));
    }
    if (lines) (*lines)[key] = line;
    options[key] = to_json(v);
  }
  return options.dump();
}

}  // namespace

std::vector<std::string> option_keys(const std::string& kind) {
  std::vector<std::string> keys;
  for (const auto& [k, t] : option_types(kind)) keys.push_back(k);
  return keys;
}

// long-function: the [training] reading and checks and the cross-checks of
// [dataset] / [model] stay inline here until the one table of training
// options (issue 16) replaces them; everything else is in experiment_checks.cc.
ExperimentConfig parse_experiment(std::string_view toml_text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    throw std::invalid_argument(
        fmt::format("{}: {}",
                    SourceLocation{source_name, static_cast<long>(e.source().begin.line),
                                   static_cast<int>(e.source().begin.column)}
                        .to_string(),
                    e.description()));
  }

  ExperimentConfig c;
  c.file = source_name;
  c.task.clear();
  TableReader top(root, source_name, "");
  top.read("name", c.name);
  top.read("paradigm", c.paradigm);
  top.read("task", c.task);
  top.read("data", c.data_dir);
  top.read("repeats", c.repeats);
  top.read("seed", c.seed);
  top.read("device", c.device);
  top.read("threads", c.threads);

  const GridNodes grid = read_grid(root, top, source_name, c);

  const toml::node* training_node = root.get("training");
  if (const auto* training = top.sub_table("training")) {
    TableReader t(*training, source_name, "training");
    t.read("optimizer", c.optimizer);
    t.read("momentum", c.momentum);
    t.read("weight_decay", c.weight_decay);
    t.read("max_epochs", c.max_epochs);
    t.read("patience", c.patience);
    t.read("min_delta", c.min_delta);
    t.read("alpha", c.alpha);
    t.refuse_unknown();
  }
  const toml::node* energy_node = root.get("energy");
  if (const auto* energy = top.sub_table("energy")) {
    TableReader e(*energy, source_name, "energy");
    e.read("interval_s", c.interval_s);
    e.read("sensors", c.sensors);
    e.read("pue", c.pue);
    e.refuse_unknown();
  }
  const toml::table* dataset_table = top.sub_table("dataset");
  const toml::table* model_table = top.sub_table("model");
  top.refuse_unknown();

  // Values that must be there, and ranges.
  check_name_and_paradigm(top, source_name, c);
  if (c.data_dir.empty()) {
    throw std::invalid_argument(source_name + ": 'data' is missing (the dataset's folder)");
  }
  if (c.batch_sizes.empty()) {
    throw std::invalid_argument(
        fmt::format("{}: the grid is empty: 'grid.batch_sizes' has no values",
                    at_line(source_name, grid.batch_sizes ? grid.batch_sizes : grid.grid)));
  }
  if (c.learning_rates.empty()) {
    throw std::invalid_argument(
        fmt::format("{}: the grid is empty: 'grid.learning_rates' has no values",
                    at_line(source_name, grid.learning_rates ? grid.learning_rates : grid.grid)));
  }
  check_run_settings(top, c);

  auto fail_in = [&](const toml::node* table, const char* section, const std::string& key,
                     const std::string& what) {
    fail_at_key(table, section, key, source_name, what);
  };
  if (c.optimizer != "adam" && c.optimizer != "sgd") {
    fail_in(training_node, "training", "optimizer",
            fmt::format("unknown optimizer '{}' (known: adam, sgd)", c.optimizer));
  }
  if (c.max_epochs < 1 || c.max_epochs > kMaxEpochs) {
    fail_in(
        training_node, "training", "max_epochs",
        fmt::format("'training.max_epochs' must lie in [1, {}], got {}", kMaxEpochs, c.max_epochs));
  }
  if (c.patience < 0) {
    fail_in(training_node, "training", "patience",
            fmt::format("'training.patience' must be 0 or more, got {}", c.patience));
  }
  if (!(c.momentum >= 0 && c.momentum < 1)) {
    fail_in(training_node, "training", "momentum",
            fmt::format("'training.momentum' must lie in [0, 1), got {}", c.momentum));
  }
  if (!(c.weight_decay >= 0) || !(c.min_delta >= 0)) {
    const char* key = !(c.weight_decay >= 0) ? "weight_decay" : "min_delta";
    fail_in(training_node, "training", key, fmt::format("'training.{}' must not be negative", key));
  }
  if (!(c.alpha >= 0 && c.alpha <= 1)) {
    fail_in(training_node, "training", "alpha",
            fmt::format("'training.alpha' must lie in [0, 1], got {}", c.alpha));
  }
  check_energy(energy_node, source_name, c);

  std::map<std::string, std::string> dataset_lines, model_lines;
  c.dataset_options_json =
      read_options(dataset_table, "dataset", c.dataset, source_name, &dataset_lines);
  c.model_options_json = read_options(model_table, "model", "model", source_name, &model_lines);

  // Values that are each fine but cannot run together (defaults as in
  // TrainDataOptions / TrainModelOptions).
  const json data = json::parse(c.dataset_options_json);
  const json model = json::parse(c.model_options_json);
  auto line_of = [&](const std::map<std::string, std::string>& lines, const char* key,
                     const char* other) {
    if (auto it = lines.find(key); it != lines.end()) return it->second;
    if (auto it = lines.find(other); it != lines.end()) return it->second;
    return source_name;
  };
  if (c.dataset == "pamap2") {
    const int64_t length = data.value("window_length", int64_t{128});
    const int64_t stride = data.value("window_stride", int64_t{64});
    if (stride > length) {
      throw std::invalid_argument(fmt::format(
          "{}: 'dataset.window_stride' ({}) must not exceed 'dataset.window_length' ({})",
          line_of(dataset_lines, "window_stride", "window_length"), stride, length));
    }
    const auto channels = model.value("conv_channels", std::vector<int64_t>{64, 64, 64});
    const auto kernels = model.value("conv_kernels", std::vector<int64_t>{9, 5, 5});
    if (channels.size() != kernels.size()) {
      throw std::invalid_argument(fmt::format(
          "{}: 'model.conv_channels' has {} blocks but 'model.conv_kernels' {} (default [9, 5, "
          "5]); give one kernel size per block",
          line_of(model_lines, "conv_kernels", "conv_channels"), channels.size(), kernels.size()));
    }
    if (model.contains("pretrained")) {
      throw std::invalid_argument(fmt::format(
          "{}: 'model.pretrained' (ImageNet weights for ResNet18) applies to CelebA only; the "
          "PAMAP2 model starts from random weights",
          model_lines["pretrained"]));
    }
  } else {
    const double val = data.value("val_fraction", 0.1);
    const double test = data.value("test_fraction", 0.1);
    if (!(val + test < 1)) {
      throw std::invalid_argument(fmt::format(
          "{}: 'dataset.val_fraction' + 'dataset.test_fraction' = {} leaves no training images",
          line_of(dataset_lines, "test_fraction", "val_fraction"), val + test));
    }
  }
  return c;
}

std::string ExperimentConfig::canonical_json() const {
  json j;
  j["name"] = name;
  j["paradigm"] = paradigm;
  j["dataset"] = dataset;
  j["task"] = task;
  j["batch_sizes"] = batch_sizes;
  j["learning_rates"] = learning_rates;
  j["repeats"] = repeats;
  j["seed"] = seed;
  j["device"] = device;
  j["threads"] = threads;
  j["optimizer"] = optimizer;
  j["momentum"] = momentum;
  j["weight_decay"] = weight_decay;
  j["max_epochs"] = max_epochs;
  j["patience"] = patience;
  j["min_delta"] = min_delta;
  j["alpha"] = alpha;
  j["interval_s"] = interval_s;
  j["sensors"] = sensors;
  j["pue"] = pue;
  j["dataset_options"] = json::parse(dataset_options_json);
  j["model_options"] = json::parse(model_options_json);
  return j.dump();  // nlohmann's object keys are sorted: canonical
}

std::string ExperimentConfig::hash() const {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char ch : canonical_json()) {
    h ^= ch;
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h);
}

}  // namespace powertrain
