// Reading an experiment's TOML: tables that refuse unknown keys, and the
// checks of its grid, paradigm, run settings and [energy] (experiment_checks.cc).
// The training and loader options stay in experiment.cc. Not installed.
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "powertrain/sweep/experiment.h"
#include "powertrain/util/parse.h"

namespace powertrain::experiment_internal {

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

// "FILE:LINE" of a node (the file alone without one).
std::string at_line(const std::string& source, const toml::node* node);
// Throws std::invalid_argument "WHERE: what", WHERE the key's line in table
// (or the table's, or the file's).
[[noreturn]] void fail_at_key(const toml::node* table, const char* section, const std::string& key,
                              const std::string& source_name, const std::string& what);

// The [grid] nodes, for errors about an empty grid.
struct GridNodes {
  const toml::node* grid = nullptr;
  const toml::node* batch_sizes = nullptr;
  const toml::node* learning_rates = nullptr;
};
// Reads [grid] into c, each bad value naming its own line.
GridNodes read_grid(const toml::table& root, TableReader& top, const std::string& source_name,
                    ExperimentConfig& c);
void check_name_and_paradigm(const TableReader& top, const std::string& source_name,
                             ExperimentConfig& c);
void check_run_settings(const TableReader& top, const ExperimentConfig& c);
void check_energy(const toml::node* energy_node, const std::string& source_name,
                  ExperimentConfig& c);

}  // namespace powertrain::experiment_internal
