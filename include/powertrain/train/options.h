// The one table of training options. Each TrainConfig field appears here once
// with its type, range, help, TOML key and CLI flag; the experiment file
// check ([training], [dataset], [model] and the top-level keys), `train`'s
// flags, the run's JSON provenance, validate() and the defaults all come from
// it. Torch-free (compiled into the core library, src/sweep/train_options.cc)
// so that the sweep and the CLI use it without LibTorch.
//
//   for (const TrainOption& o : train_options()) ...
//   std::string json = train_config_json(config);     // provenance
//   TrainConfig back = train_config_from_json(json, "run 3");
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "powertrain/energy/sensor.h"
#include "powertrain/train/config.h"

namespace CLI {
class App;
}

namespace powertrain {

enum class TrainOptionType { kInt, kNumber, kBool, kString, kIntList };

// One value of an option (ints of every width are int64_t).
using TrainValue = std::variant<int64_t, double, bool, std::string, std::vector<int64_t>>;

// An inclusive or open interval for numbers, ints and each item of a list.
struct TrainRange {
  double lo;
  double hi;
  bool lo_open = false;
  bool hi_open = false;
};

struct TrainOption {
  const char* name;  // JSON key of the provenance ("window_length")
  TrainOptionType type;
  const char* toml;     // "training.momentum", "dataset.window_length", "seed"; "" = none
  const char* flag;     // "--momentum"; "" = none
  const char* dataset;  // "pamap2", "celeba", or "" for both
  TrainRange range;     // ignored for strings and bools
  const char* choices;  // "adam|sgd" for a string with fixed values; "" = free
  const char* help;
  TrainValue (*get)(const TrainConfig&);
  void (*set)(TrainConfig&, const TrainValue&);
};

const std::vector<TrainOption>& train_options();
// By JSON name, by TOML key ("training.momentum") or by flag; nullptr if none.
const TrainOption* find_train_option(std::string_view name);
const TrainOption* find_train_option_toml(std::string_view toml_key);
const TrainOption* find_train_option_flag(std::string_view flag);
// The options of one TOML table ("training", "dataset", "model"; "" = the
// top level) that apply to a dataset ("pamap2", "celeba"; "" = all).
std::vector<const TrainOption*> train_options_in(std::string_view section,
                                                 std::string_view dataset = "");

// The option's name as its TOML key says it ("training.momentum"), else its name.
std::string train_option_label(const TrainOption& option);
// "" when the value has the option's type and lies in its range, else why
// not: "must be at least 2, got 0", "unknown optimizer 'x' (known: adam, sgd)".
std::string train_value_problem(const TrainOption& option, const TrainValue& value);
// Text (a flag's argument, "64,64,64" for lists) to a value of the option's
// type. Throws std::invalid_argument "must be an integer, got 'x'".
TrainValue parse_train_value(const TrainOption& option, const std::string& text);
// A value as a flag's argument ("0.01", "64,64,64", "true").
std::string format_train_value(const TrainValue& value);
// Checks then sets; throws std::invalid_argument "WHERE: 'LABEL' PROBLEM".
void set_train_option(TrainConfig& config, const TrainOption& option, const TrainValue& value,
                      const std::string& where);

// Every option, as a JSON object keyed by name (the run's provenance).
std::string train_config_json(const TrainConfig& config);
// Back from that JSON; unknown keys are ignored (provenance may carry more),
// bad values throw std::invalid_argument naming `source`, key and value.
TrainConfig train_config_from_json(const std::string& json, const std::string& source);
// The command line that gives `config` to `powertrain train` (every option
// with a flag; a bool as --flag or --flag=false).
std::vector<std::string> train_cli_args(const TrainConfig& config);
// Adds every option with a flag to `cmd`, writing into `config` (whose values
// are the shown defaults). A bad value is a CLI::ValidationError naming flag and value.
void add_train_cli_options(CLI::App& cmd, TrainConfig& config);

// The TrainConfig of one planned run of an experiment (the encoder files a
// run reads or writes are the sweep's to add).
struct ExperimentConfig;
struct PlannedRun;
TrainConfig experiment_train_config(const ExperimentConfig& experiment, const PlannedRun& run);

// The GPUs a run on `resolved_device` measures, unless the user chose them
// (--gpus: options.gpus already set): cuda:N -> {"cuda:N"}, required (a CUDA
// run whose GPU cannot be measured is an error); any other device -> none,
// unless `sensors` names nvml itself (then the GPUs the process sees, as
// asked: a CPU run beside a GPU one wants to watch).
void select_training_gpus(SensorOptions& options, const std::vector<std::string>& sensors,
                          const std::string& resolved_device);

}  // namespace powertrain
