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
#include "powertrain/train/options.h"
#include "powertrain/util/parse.h"

namespace powertrain {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Reads one table, refusing keys it does not know.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string source, std::string prefix)
      : table_(table), source_(std::move(source)), prefix_(std::move(prefix)) {}

  std::string where(const toml::node& node) const {
    return SourceLocation{source_, static_cast<long>(node.source().begin.line), 0}.to_string();
  }
  std::string where_key(const std::string& key) const {
    for (auto&& [k, v] : table_) {
      if (k.str() == key) {
        return SourceLocation{source_, static_cast<long>(k.source().begin.line), 0}.to_string();
      }
    }
    return SourceLocation{source_, static_cast<long>(table_.source().begin.line), 0}.to_string();
  }
  std::string full(const std::string& key) const {
    return prefix_.empty() ? key : prefix_ + "." + key;
  }

  const toml::node* get(const std::string& key) {
    known_.push_back(key);
    return table_.get(key);
  }

  [[noreturn]] void fail(const toml::node& node, const std::string& key,
                         const std::string& what) const {
    throw std::invalid_argument(fmt::format("{}: '{}' {}", where(node), full(key), what));
  }

  void read(const std::string& key, std::string& out) {
    if (const auto* node = get(key)) {
      if (!node->is_string()) fail(*node, key, "must be a string");
      out = node->as_string()->get();
    }
  }
  void read(const std::string& key, int64_t& out) {
    if (const auto* node = get(key)) {
      if (!node->is_integer()) fail(*node, key, "must be an integer");
      out = node->as_integer()->get();
    }
  }
  void read(const std::string& key, int& out) {
    int64_t v = out;
    read(key, v);
    if (const auto* node = table_.get(key)) {
      if (v < INT32_MIN || v > INT32_MAX) fail(*node, key, fmt::format("is out of range: {}", v));
    }
    out = static_cast<int>(v);
  }
  void read(const std::string& key, double& out) {
    if (const auto* node = get(key)) {
      if (node->is_integer()) {
        out = static_cast<double>(node->as_integer()->get());
      } else if (node->is_floating_point()) {
        out = node->as_floating_point()->get();
      } else {
        fail(*node, key, "must be a number");
      }
    }
  }
  void read(const std::string& key, std::vector<std::string>& out) {
    if (const auto* node = get(key)) {
      const auto* array = node->as_array();
      if (!array) fail(*node, key, "must be an array of strings");
      out.clear();
      for (const auto& item : *array) {
        if (!item.is_string()) fail(item, key, "must be an array of strings");
        out.push_back(item.as_string()->get());
      }
    }
  }
  const toml::table* sub_table(const std::string& key) {
    if (const auto* node = get(key)) {
      if (!node->is_table()) fail(*node, key, "must be a table ([" + full(key) + "])");
      return node->as_table();
    }
    return nullptr;
  }

  // Every key that was not asked for is an error naming it and its line.
  void refuse_unknown() const {
    for (auto&& [k, v] : table_) {
      std::string key(k.str());
      if (std::find(known_.begin(), known_.end(), key) == known_.end()) {
        std::vector<std::string> sorted = known_;
        std::sort(sorted.begin(), sorted.end());
        std::string list;
        for (const auto& s : sorted) list += (list.empty() ? "" : ", ") + s;
        throw std::invalid_argument(fmt::format(
            "{}: unknown key '{}'{} (known: {})",
            SourceLocation{source_, static_cast<long>(k.source().begin.line), 0}.to_string(),
            full(key), prefix_.empty() ? "" : " in [" + prefix_ + "]", list));
      }
    }
  }

 private:
  const toml::table& table_;
  std::string source_;
  std::string prefix_;
  std::vector<std::string> known_;
};

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

// A TOML value as a value of the option's type; a value of another type
// comes back as one that train_value_problem() refuses, naming the type wanted.
TrainValue to_value(const TrainOption& option, const toml::node& node) {
  const TrainValue wrong =
      option.type == TrainOptionType::kBool ? TrainValue(std::string()) : TrainValue(false);
  if (node.is_integer()) {
    const int64_t v = node.as_integer()->get();
    return option.type == TrainOptionType::kNumber ? TrainValue(static_cast<double>(v)) : v;
  }
  if (node.is_floating_point()) return node.as_floating_point()->get();
  if (node.is_boolean()) return node.as_boolean()->get();
  if (node.is_string()) return node.as_string()->get();
  if (const auto* array = node.as_array()) {
    std::vector<int64_t> list;
    for (const auto& item : *array) {
      if (!item.is_integer()) return wrong;
      list.push_back(item.as_integer()->get());
    }
    return list;
  }
  return wrong;
}

// The keys of a TOML table the option table allows, as "a, b, c".
std::string known_keys(const std::vector<const TrainOption*>& allowed) {
  std::vector<std::string> keys;
  for (const auto* o : allowed) {
    const std::string toml = o->toml;
    keys.push_back(toml.substr(toml.find('.') + 1));
  }
  std::sort(keys.begin(), keys.end());
  std::string list;
  for (const auto& k : keys) list += (list.empty() ? "" : ", ") + k;
  return list;
}

// Checks one key of [training], [dataset] or [model] against the option
// table (known key, type, range) and sets it on `scratch`.
const TrainOption& check_option(const std::string& section, const std::string& kind,
                                const std::string& key, const toml::node& v,
                                const std::string& line, TrainConfig& scratch) {
  const auto allowed = train_options_in(section, kind == section ? "" : kind);
  const TrainOption* option = find_train_option_toml(section + "." + key);
  if (!option || std::find(allowed.begin(), allowed.end(), option) == allowed.end()) {
    throw std::invalid_argument(fmt::format("{}: unknown key '{}.{}'{} (known: {})", line, section,
                                            key, section == kind ? "" : " for " + kind,
                                            known_keys(allowed)));
  }
  if (key == "pretrained" && v.is_string() && v.as_string()->get().empty()) {
    throw std::invalid_argument(fmt::format(
        "{}: 'model.pretrained' is empty (leave it out to start from random weights)", line));
  }
  set_train_option(scratch, *option, to_value(*option, v), line);
  return *option;
}

// A table of loader or model options as a JSON object; keys, types and
// ranges checked against the option table. `lines` gets each key's line.
std::string read_options(const toml::table* table, const std::string& section,
                         const std::string& kind, const std::string& source_name,
                         std::map<std::string, std::string>* lines = nullptr) {
  json options = json::object();
  if (!table) return options.dump();
  TrainConfig scratch;
  for (auto&& [k, v] : *table) {
    std::string key(k.str());
    std::string line =
        SourceLocation{source_name, static_cast<long>(k.source().begin.line), 0}.to_string();
    check_option(section, kind, key, v, line, scratch);
    if (lines) (*lines)[key] = line;
    options[key] = to_json(v);
  }
  return options.dump();
}

// [training], read through the option table into `c`.
void read_training(const toml::table& table, const std::string& source_name, ExperimentConfig& c) {
  TrainConfig t;
  for (auto&& [k, v] : table) {
    std::string line =
        SourceLocation{source_name, static_cast<long>(k.source().begin.line), 0}.to_string();
    check_option("training", "training", std::string(k.str()), v, line, t);
  }
  c.optimizer = t.optimizer;
  c.momentum = t.momentum;
  c.weight_decay = t.weight_decay;
  c.max_epochs = t.max_epochs;
  c.patience = t.patience;
  c.min_delta = t.min_delta;
  c.alpha = t.alpha;
  c.amp = t.amp;
  c.cuda_graphs = t.cuda_graphs;
}

// A top-level key that is a training option (device, threads, seed).
void check_top_option(const char* name, const TrainValue& value, const std::string& where) {
  TrainConfig scratch;
  set_train_option(scratch, *find_train_option(name), value, where);
}

std::string at_line(const std::string& source, const toml::node* node) {
  long line = node ? static_cast<long>(node->source().begin.line) : 0;
  return SourceLocation{source, line, 0}.to_string();
}

// The TOML document; a syntax error names its line and column.
toml::table parse_toml(std::string_view toml_text, const std::string& source_name) {
  try {
    return toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    throw std::invalid_argument(
        fmt::format("{}: {}",
                    SourceLocation{source_name, static_cast<long>(e.source().begin.line),
                                   static_cast<int>(e.source().begin.column)}
                        .to_string(),
                    e.description()));
  }
}

// The nodes of [grid] that an empty grid is reported at.
struct GridNodes {
  const toml::node* grid = nullptr;
  const toml::node* batch_sizes = nullptr;
  const toml::node* learning_rates = nullptr;
};

// [grid]: arrays read by hand so that each bad value names its own line.
GridNodes read_grid(TableReader& top, const toml::table& root, const std::string& source_name,
                    ExperimentConfig& c) {
  GridNodes nodes;
  const auto* grid = top.sub_table("grid");
  if (!grid) return nodes;
  nodes.grid = root.get("grid");
  TableReader g(*grid, source_name, "grid");
  const toml::node* bs_array = nodes.batch_sizes = g.get("batch_sizes");
  const toml::node* lr_array = nodes.learning_rates = g.get("learning_rates");
  g.refuse_unknown();
  if (bs_array) {
    if (!bs_array->is_array()) g.fail(*bs_array, "batch_sizes", "must be an array of integers");
    c.batch_sizes.clear();
    for (const auto& item : *bs_array->as_array()) {
      if (!item.is_integer()) g.fail(item, "batch_sizes", "must be an array of integers");
      int64_t v = item.as_integer()->get();
      if (v <= 0 || v > INT32_MAX) {
        throw std::invalid_argument(
            fmt::format("{}: batch size must be a positive integer, got {}", g.where(item), v));
      }
      c.batch_sizes.push_back(static_cast<int>(v));
    }
  }
  if (lr_array) {
    if (!lr_array->is_array()) g.fail(*lr_array, "learning_rates", "must be an array of numbers");
    c.learning_rates.clear();
    for (const auto& item : *lr_array->as_array()) {
      if (!item.is_number()) g.fail(item, "learning_rates", "must be an array of numbers");
      double v = item.is_integer() ? static_cast<double>(item.as_integer()->get())
                                   : item.as_floating_point()->get();
      if (!(v > 0) || !std::isfinite(v)) {
        throw std::invalid_argument(
            fmt::format("{}: learning rate must be a positive number, got {}", g.where(item), v));
      }
      c.learning_rates.push_back(v);
    }
  }
  return nodes;
}

// An error at the line of a top-level key (or of the document where it is absent).
[[noreturn]] void fail_top(const TableReader& top, const std::string& key,
                           const std::string& what) {
  throw std::invalid_argument(fmt::format("{}: {}", top.where_key(key), what));
}

// 'name': there, and only letters, digits, '-', '_' and '.'.
void check_name(const ExperimentConfig& c, const TableReader& top, const std::string& source_name) {
  if (c.name.empty()) {
    throw std::invalid_argument(source_name + ": 'name' is missing (the experiment's name)");
  }
  for (char ch : c.name) {
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.')) {
      fail_top(top, "name",
               fmt::format("'name' may hold letters, digits, '-', '_' and '.', got '{}'", c.name));
    }
  }
}

// The paradigm (regime where it is not given), and the task and dataset it runs on.
void resolve_paradigm(ExperimentConfig& c, const TableReader& top) {
  if (c.paradigm.empty()) c.paradigm = roles::kRegime;
  if (c.paradigm == roles::kRegime) {
    if (c.task.empty())
      fail_top(top, "paradigm",
               "'task' is missing (pamap2, celeba-identity, celeba-attributes or "
               "celeba-attributes-full)");
    if (c.task == "pamap2") {
      c.dataset = "pamap2";
    } else if (c.task == "celeba-identity" || c.task == "celeba-attributes" ||
               c.task == "celeba-attributes-full") {
      c.dataset = "celeba";
    } else {
      fail_top(top, "task",
               fmt::format("unknown task '{}' for the regime paradigm (known: pamap2, "
                           "celeba-identity, celeba-attributes (on the top identities' "
                           "images), celeba-attributes-full (every image))",
                           c.task));
    }
  } else if (c.paradigm == roles::kPretraining) {
    if (!c.task.empty() && c.task != "pamap2") {
      fail_top(top, "task",
               fmt::format("the pretraining paradigm runs on pamap2, got task '{}'", c.task));
    }
    c.task = "pamap2";
    c.dataset = "pamap2";
  } else if (c.paradigm == roles::kMultitask) {
    if (!c.task.empty() && c.task != "celeba") {
      fail_top(top, "task",
               fmt::format("the multitask paradigm runs on celeba, got task '{}'", c.task));
    }
    c.task = "celeba";
    c.dataset = "celeba";
  } else {
    fail_top(
        top, "paradigm",
        fmt::format("unknown paradigm '{}' (known: regime, pretraining, multitask)", c.paradigm));
  }
}

// The data folder, a grid with values, the repeats and the top-level training
// options (threads, seed, device).
void check_run_values(const ExperimentConfig& c, const TableReader& top,
                      const std::string& source_name, const GridNodes& grid) {
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
  if (c.repeats < 1 || c.repeats > kMaxRepeats) {
    fail_top(top, "repeats",
             fmt::format("'repeats' must lie in [1, {}], got {}", kMaxRepeats, c.repeats));
  }
  check_top_option("threads", int64_t{c.threads}, top.where_key("threads"));
  check_top_option("seed", int64_t{c.seed}, top.where_key("seed"));
  if (c.device.empty()) fail_top(top, "device", "'device' is empty");
  check_top_option("device", c.device, top.where_key("device"));
}

// An error at the line of `key` in `table` (or of the table where it is absent).
[[noreturn]] void fail_in(const std::string& source_name, const toml::node* table,
                          const char* section, const std::string& key, const std::string& what) {
  std::string where = at_line(source_name, table);
  if (table && table->is_table()) {
    TableReader r(*table->as_table(), source_name, section);
    where = r.where_key(key);
  }
  throw std::invalid_argument(fmt::format("{}: {}", where, what));
}

// [energy]'s ranges and sensor names ("auto" where none is given).
void check_energy(ExperimentConfig& c, const toml::node* energy_node,
                  const std::string& source_name) {
  if (!(c.interval_s >= 0.01 && c.interval_s <= 60)) {
    fail_in(
        source_name, energy_node, "energy", "interval_s",
        fmt::format("'energy.interval_s' must lie in [0.01, 60] seconds, got {}", c.interval_s));
  }
  // The tracker's range (src/energy/tracker.cc validate()).
  if (!(c.pue >= kMinPue && c.pue <= kMaxPue)) {
    fail_in(source_name, energy_node, "energy", "pue",
            fmt::format("'energy.pue' must lie in [{}, {}], got {}", kMinPue, kMaxPue, c.pue));
  }
  if (c.sensors.empty()) c.sensors = {"auto"};
  const auto names = sensor_names();
  for (const auto& sensor : c.sensors) {
    const bool known = std::find(names.begin(), names.end(), sensor) != names.end();
    if (sensor == "auto" && c.sensors.size() > 1) {
      fail_in(source_name, energy_node, "energy", "sensors",
              "'energy.sensors': 'auto' cannot be combined with other sensors");
    }
    if (!known && sensor != "auto") {
      std::string list;
      for (const auto& n : names) list += n + ", ";
      fail_in(source_name, energy_node, "energy", "sensors",
              fmt::format("'energy.sensors': unknown sensor '{}' (known: {}auto)", sensor, list));
    }
  }
}

// The line of `key`, else of `other`, else the file.
std::string line_of(const std::map<std::string, std::string>& lines, const char* key,
                    const char* other, const std::string& source_name) {
  if (auto it = lines.find(key); it != lines.end()) return it->second;
  if (auto it = lines.find(other); it != lines.end()) return it->second;
  return source_name;
}

// PAMAP2 loader and model options that are each fine but cannot run together
// (defaults as in TrainDataOptions / TrainModelOptions).
void check_pamap2_options(const json& data, const json& model,
                          const std::map<std::string, std::string>& dataset_lines,
                          std::map<std::string, std::string>& model_lines,
                          const std::string& source_name) {
  const TrainConfig defaults;
  const int64_t length = data.value("window_length", int64_t{defaults.data.window_length});
  const int64_t stride = data.value("window_stride", int64_t{defaults.data.window_stride});
  if (stride > length) {
    throw std::invalid_argument(fmt::format(
        "{}: 'dataset.window_stride' ({}) must not exceed 'dataset.window_length' ({})",
        line_of(dataset_lines, "window_stride", "window_length", source_name), stride, length));
  }
  const auto channels =
      model.value("conv_channels", std::vector<int64_t>(defaults.model.conv_channels.begin(),
                                                        defaults.model.conv_channels.end()));
  const auto kernels = model.value(
      "conv_kernels",
      std::vector<int64_t>(defaults.model.conv_kernels.begin(), defaults.model.conv_kernels.end()));
  if (channels.size() != kernels.size()) {
    throw std::invalid_argument(fmt::format(
        "{}: 'model.conv_channels' has {} blocks but 'model.conv_kernels' {} (default [9, 5, "
        "5]); give one kernel size per block",
        line_of(model_lines, "conv_kernels", "conv_channels", source_name), channels.size(),
        kernels.size()));
  }
  if (model.contains("pretrained")) {
    throw std::invalid_argument(fmt::format(
        "{}: 'model.pretrained' (ImageNet weights for ResNet18) applies to CelebA only; the "
        "PAMAP2 model starts from random weights",
        model_lines["pretrained"]));
  }
}

// CelebA loader options that are each fine but cannot run together.
void check_celeba_options(const json& data, const std::map<std::string, std::string>& dataset_lines,
                          const std::string& source_name) {
  const TrainConfig defaults;
  const double val = data.value("val_fraction", defaults.data.val_fraction);
  const double test = data.value("test_fraction", defaults.data.test_fraction);
  if (!(val + test < 1)) {
    throw std::invalid_argument(fmt::format(
        "{}: 'dataset.val_fraction' + 'dataset.test_fraction' = {} leaves no training images",
        line_of(dataset_lines, "test_fraction", "val_fraction", source_name), val + test));
  }
}

// [dataset] and [model], read through the option table, then checked together.
void read_dataset_and_model(ExperimentConfig& c, const toml::table* dataset_table,
                            const toml::table* model_table, const std::string& source_name) {
  std::map<std::string, std::string> dataset_lines, model_lines;
  c.dataset_options_json =
      read_options(dataset_table, "dataset", c.dataset, source_name, &dataset_lines);
  c.model_options_json = read_options(model_table, "model", "model", source_name, &model_lines);

  const json data = json::parse(c.dataset_options_json);
  const json model = json::parse(c.model_options_json);
  if (c.dataset == "pamap2") {
    check_pamap2_options(data, model, dataset_lines, model_lines, source_name);
  } else {
    check_celeba_options(data, dataset_lines, source_name);
  }
}

}  // namespace

std::vector<std::string> option_keys(const std::string& kind) {
  std::vector<std::string> keys;
  const bool model = kind == "model";
  for (const auto* o : train_options_in(model ? "model" : "dataset", model ? "" : kind)) {
    const std::string toml = o->toml;
    keys.push_back(toml.substr(toml.find('.') + 1));
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

ExperimentConfig parse_experiment(std::string_view toml_text, const std::string& source_name) {
  toml::table root = parse_toml(toml_text, source_name);

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
  const GridNodes grid = read_grid(top, root, source_name, c);

  if (const auto* training = top.sub_table("training")) read_training(*training, source_name, c);
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
  check_name(c, top, source_name);
  resolve_paradigm(c, top);
  check_run_values(c, top, source_name, grid);
  check_energy(c, energy_node, source_name);
  read_dataset_and_model(c, dataset_table, model_table, source_name);
  return c;
}

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
  // Only when set, so that every experiment from before these options keeps its hash.
  if (amp != "off") j["amp"] = amp;
  if (cuda_graphs) j["cuda_graphs"] = cuda_graphs;
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
