// The checks of an experiment file apart from its training options: the
// grid, the name and paradigm, the run settings and [energy].
#include "sweep/experiment_internal.h"

#include <cctype>
#include <cmath>

#include "powertrain/energy/sensor.h"
#include "powertrain/store/run_roles.h"

namespace powertrain::experiment_internal {
namespace {

// Devices the trainer accepts (src/train/trainer.cc resolve_device): whether
// one is present is only known on the machine that runs it.
bool known_device(const std::string& device) {
  if (device == "cpu" || device == "mps" || device == "cuda") return true;
  if (device.rfind("cuda:", 0) == 0 && device.size() > 5) {
    return device.find_first_not_of("0123456789", 5) == std::string::npos;
  }
  return false;
}

}  // namespace

std::string at_line(const std::string& source, const toml::node* node) {
  long line = node ? static_cast<long>(node->source().begin.line) : 0;
  return SourceLocation{source, line, 0}.to_string();
}

void fail_at_key(const toml::node* table, const char* section, const std::string& key,
                 const std::string& source_name, const std::string& what) {
  std::string where = at_line(source_name, table);
  if (table && table->is_table()) {
    TableReader r(*table->as_table(), source_name, section);
    where = r.where_key(key);
  }
  throw std::invalid_argument(fmt::format("{}: {}", where, what));
}

GridNodes read_grid(const toml::table& root, TableReader& top, const std::string& source_name,
                    ExperimentConfig& c) {
  GridNodes nodes;
  if (const auto* grid = top.sub_table("grid")) {
    nodes.grid = root.get("grid");
    TableReader g(*grid, source_name, "grid");
    nodes.batch_sizes = g.get("batch_sizes");
    nodes.learning_rates = g.get("learning_rates");
    g.refuse_unknown();
    if (const toml::node* bs_array = nodes.batch_sizes) {
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
    if (const toml::node* lr_array = nodes.learning_rates) {
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
  }
  return nodes;
}

// The name, and the paradigm with its task and dataset (filled in where
// the paradigm implies them).
void check_name_and_paradigm(const TableReader& top, const std::string& source_name,
                             ExperimentConfig& c) {
  auto fail_top = [&](const std::string& key, const std::string& what) -> void {
    throw std::invalid_argument(fmt::format("{}: {}", top.where_key(key), what));
  };
  if (c.name.empty()) {
    throw std::invalid_argument(source_name + ": 'name' is missing (the experiment's name)");
  }
  for (char ch : c.name) {
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.')) {
      fail_top("name",
               fmt::format("'name' may hold letters, digits, '-', '_' and '.', got '{}'", c.name));
    }
  }
  if (c.paradigm.empty()) c.paradigm = roles::kRegime;
  if (c.paradigm == roles::kRegime) {
    if (c.task.empty())
      fail_top("paradigm",
               "'task' is missing (pamap2, celeba-identity, celeba-attributes or "
               "celeba-attributes-full)");
    if (c.task == "pamap2") {
      c.dataset = "pamap2";
    } else if (c.task == "celeba-identity" || c.task == "celeba-attributes" ||
               c.task == "celeba-attributes-full") {
      c.dataset = "celeba";
    } else {
      fail_top("task", fmt::format("unknown task '{}' for the regime paradigm (known: pamap2, "
                                   "celeba-identity, celeba-attributes (on the top identities' "
                                   "images), celeba-attributes-full (every image))",
                                   c.task));
    }
  } else if (c.paradigm == roles::kPretraining) {
    if (!c.task.empty() && c.task != "pamap2") {
      fail_top("task",
               fmt::format("the pretraining paradigm runs on pamap2, got task '{}'", c.task));
    }
    c.task = "pamap2";
    c.dataset = "pamap2";
  } else if (c.paradigm == roles::kMultitask) {
    if (!c.task.empty() && c.task != "celeba") {
      fail_top("task", fmt::format("the multitask paradigm runs on celeba, got task '{}'", c.task));
    }
    c.task = "celeba";
    c.dataset = "celeba";
  } else {
    fail_top(
        "paradigm",
        fmt::format("unknown paradigm '{}' (known: regime, pretraining, multitask)", c.paradigm));
  }
}

// Repeats, threads and device.
void check_run_settings(const TableReader& top, const ExperimentConfig& c) {
  auto fail_top = [&](const std::string& key, const std::string& what) -> void {
    throw std::invalid_argument(fmt::format("{}: {}", top.where_key(key), what));
  };
  if (c.repeats < 1 || c.repeats > kMaxRepeats) {
    fail_top("repeats",
             fmt::format("'repeats' must lie in [1, {}], got {}", kMaxRepeats, c.repeats));
  }
  if (c.threads < 0)
    fail_top("threads", fmt::format("'threads' must be 0 or more, got {}", c.threads));
  if (c.device.empty()) fail_top("device", "'device' is empty");
  if (!known_device(c.device)) {
    fail_top("device",
             fmt::format("unknown device '{}' (known: cpu, cuda, cuda:N, mps)", c.device));
  }
}

// [energy]: interval, PUE and sensors (an empty list is "auto").
void check_energy(const toml::node* energy_node, const std::string& source_name,
                  ExperimentConfig& c) {
  auto fail_in = [&](const toml::node* table, const char* section, const std::string& key,
                     const std::string& what) {
    fail_at_key(table, section, key, source_name, what);
  };
  if (!(c.interval_s >= 0.01 && c.interval_s <= 60)) {
    fail_in(
        energy_node, "energy", "interval_s",
        fmt::format("'energy.interval_s' must lie in [0.01, 60] seconds, got {}", c.interval_s));
  }
  // The tracker's range (src/energy/tracker.cc validate()).
  if (!(c.pue >= kMinPue && c.pue <= kMaxPue)) {
    fail_in(energy_node, "energy", "pue",
            fmt::format("'energy.pue' must lie in [{}, {}], got {}", kMinPue, kMaxPue, c.pue));
  }
  if (c.sensors.empty()) c.sensors = {"auto"};
  {
    const auto names = sensor_names();
    for (const auto& sensor : c.sensors) {
      const bool known = std::find(names.begin(), names.end(), sensor) != names.end();
      if (sensor == "auto" && c.sensors.size() > 1) {
        fail_in(energy_node, "energy", "sensors",
                "'energy.sensors': 'auto' cannot be combined with other sensors");
      }
      if (!known && sensor != "auto") {
        std::string list;
        for (const auto& n : names) list += n + ", ";
        fail_in(energy_node, "energy", "sensors",
                fmt::format("'energy.sensors': unknown sensor '{}' (known: {}auto)", sensor, list));
      }
    }
  }
}

}  // namespace powertrain::experiment_internal
