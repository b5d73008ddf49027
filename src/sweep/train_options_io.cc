// What the option table drives: validate(), the run's JSON provenance, the
// `train` command line (both ways) and the GPUs a training run measures.
#include <fmt/format.h>
#include <algorithm>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "powertrain/sweep/experiment.h"
#include "powertrain/sweep/plan.h"
#include "powertrain/train/options.h"

namespace powertrain {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& setting, const std::string& value,
                      const std::string& why) {
  throw std::invalid_argument("training setting " + setting + " = " + value + ": " + why);
}

std::string dataset_of(const std::string& task) {
  return is_pamap2_task(task) ? "pamap2" : "celeba";
}

bool applies(const TrainOption& o, const std::string& dataset) {
  return !*o.dataset || dataset == o.dataset;
}

// Settings that are each in range but cannot run together.
void validate_together(const TrainConfig& c) {
  if (c.freeze_encoder && c.encoder_in.empty()) {
    bad("freeze_encoder", "true", "a frozen encoder needs an encoder checkpoint to load");
  }
  if (c.freeze_encoder && c.task == "pamap2-autoencoder") {
    bad("freeze_encoder", "true", "the autoencoder trains its encoder");
  }
  const auto& d = c.data;
  if (is_pamap2_task(c.task)) {
    if (d.window_stride > d.window_length) {
      bad("window_stride", std::to_string(d.window_stride), "must be in [1, window_length]");
    }
    if (c.model.conv_channels.size() != c.model.conv_kernels.size()) {
      bad("conv_channels", std::to_string(c.model.conv_channels.size()) + " blocks",
          "needs one kernel size per block (" + std::to_string(c.model.conv_kernels.size()) + ")");
    }
  } else if (!(d.val_fraction + d.test_fraction < 1)) {
    bad("val_fraction", fmt::format("{} (test {})", d.val_fraction, d.test_fraction),
        "fractions must leave training data");
  }
  const bool cuda = c.device.rfind("cuda", 0) == 0;
  if (!cuda && c.cuda_graphs) {
    bad("cuda_graphs", "true",
        "CUDA graphs need a CUDA device (device = " + c.device + "); leave --cuda-graphs out");
  }
  if (!cuda && c.amp != "off") {
    bad("amp", c.amp,
        "autocast runs on a CUDA device only (device = " + c.device + "); use --amp off");
  }
}

json to_json(const TrainValue& value) {
  return std::visit([](const auto& v) { return json(v); }, value);
}

TrainValue from_json(const TrainOption& o, const json& j) {
  switch (o.type) {
    case TrainOptionType::kInt:
      if (j.is_number_integer()) return j.get<int64_t>();
      break;
    case TrainOptionType::kNumber:
      if (j.is_number()) return j.get<double>();
      break;
    case TrainOptionType::kBool:
      if (j.is_boolean()) return j.get<bool>();
      break;
    case TrainOptionType::kString:
      if (j.is_string()) return j.get<std::string>();
      break;
    case TrainOptionType::kIntList:
      if (j.is_array() &&
          std::all_of(j.begin(), j.end(), [](const json& x) { return x.is_number_integer(); })) {
        return j.get<std::vector<int64_t>>();
      }
      break;
  }
  // A value of the wrong type (any other alternative): train_value_problem()
  // then names the type wanted.
  if (o.type == TrainOptionType::kString) return false;
  return j.dump();
}

const char* type_name(TrainOptionType type) {
  switch (type) {
    case TrainOptionType::kInt:
      return "INT";
    case TrainOptionType::kNumber:
      return "NUMBER";
    case TrainOptionType::kString:
      return "TEXT";
    case TrainOptionType::kIntList:
      return "INT,...";
    case TrainOptionType::kBool:
      break;
  }
  return "";
}

void set_from_flag(TrainConfig& config, const TrainOption& o, const std::string& text) {
  TrainValue value;
  try {
    value = parse_train_value(o, text);
  } catch (const std::invalid_argument& e) {
    throw CLI::ValidationError(o.flag, e.what());
  }
  if (auto why = train_value_problem(o, value); !why.empty()) {
    throw CLI::ValidationError(o.flag, fmt::format("'{}' {}", text, why));
  }
  o.set(config, value);
}

}  // namespace

void validate(const TrainConfig& c) {
  const std::string dataset = dataset_of(c.task);
  for (const TrainOption& o : train_options()) {
    if (!applies(o, dataset)) continue;
    const TrainValue value = o.get(c);
    if (auto why = train_value_problem(o, value); !why.empty()) {
      const std::string shown = std::holds_alternative<std::string>(value)
                                    ? "'" + format_train_value(value) + "'"
                                    : format_train_value(value);
      bad(o.name, shown, why);
    }
  }
  validate_together(c);
}

std::string train_config_json(const TrainConfig& config) {
  json out = json::object();
  for (const TrainOption& o : train_options()) out[o.name] = to_json(o.get(config));
  return out.dump();
}

TrainConfig train_config_from_json(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw std::invalid_argument(fmt::format("{}: not JSON (byte {})", source, e.byte));
  }
  if (!j.is_object()) throw std::invalid_argument(source + ": training settings must be an object");
  TrainConfig config;
  for (const TrainOption& o : train_options()) {
    if (!j.contains(o.name)) continue;
    const TrainValue value = from_json(o, j.at(o.name));
    if (auto why = train_value_problem(o, value); !why.empty()) {
      throw std::invalid_argument(
          fmt::format("{}: '{}' = {} {}", source, o.name, j.at(o.name).dump(), why));
    }
    o.set(config, value);
  }
  return config;
}

std::vector<std::string> train_cli_args(const TrainConfig& config) {
  std::vector<std::string> args;
  for (const TrainOption& o : train_options()) {
    if (!*o.flag) continue;
    const TrainValue value = o.get(config);
    if (o.type == TrainOptionType::kBool) {
      args.push_back(std::get<bool>(value) ? std::string(o.flag) : std::string(o.flag) + "=false");
      continue;
    }
    args.push_back(o.flag);
    args.push_back(format_train_value(value));
  }
  return args;
}

void add_train_cli_options(CLI::App& cmd, TrainConfig& config) {
  for (const TrainOption& option : train_options()) {
    if (!*option.flag) continue;
    const TrainOption* o = &option;
    if (o->type == TrainOptionType::kBool) {
      // --flag sets it, --flag=false clears it (CLI11 counts a false as -1).
      cmd.add_flag_function(
          o->flag, [&config, o](int64_t count) { o->set(config, count > 0); }, o->help);
      continue;
    }
    CLI::Option* added = nullptr;
    if (o->type == TrainOptionType::kIntList) {
      added = cmd.add_option_function<std::vector<std::string>>(
          o->flag,
          [&config, o](const std::vector<std::string>& items) {
            std::string text;
            for (const auto& item : items) text += (text.empty() ? "" : ",") + item;
            set_from_flag(config, *o, text);
          },
          o->help);
    } else {
      added = cmd.add_option_function<std::string>(
          o->flag, [&config, o](const std::string& text) { set_from_flag(config, *o, text); },
          o->help);
    }
    added->type_name(type_name(o->type))->default_str(format_train_value(o->get(config)));
  }
}

namespace {

// [dataset] / [model] keys (checked when the file was read) onto the config,
// through the option table.
void apply_section(const std::string& section, const std::string& options_json,
                   const std::string& source, TrainConfig& t) {
  const json options = json::parse(options_json);
  for (const auto& [key, value] : options.items()) {
    const TrainOption* option = find_train_option_toml(section + "." + key);
    if (!option) continue;  // refused when the experiment was read
    const TrainConfig one = train_config_from_json(json{{option->name, value}}.dump(), source);
    option->set(t, option->get(one));
  }
}

}  // namespace

TrainConfig experiment_train_config(const ExperimentConfig& c, const PlannedRun& p) {
  TrainConfig t;
  t.task = p.task;
  t.data_dir = c.data_dir == kGeneratedData ? "" : c.data_dir;
  apply_section("dataset", c.dataset_options_json, c.file, t);
  // [model] pretrained: ImageNet weights for the CelebA ResNet18 (the study's
  // starting point); refused for PAMAP2 when the file was read.
  apply_section("model", c.model_options_json, c.file, t);
  t.freeze_encoder = p.freeze_encoder;
  t.alpha = p.alpha.value_or(c.alpha);
  t.optimizer = c.optimizer;
  t.momentum = c.momentum;
  t.batch_size = p.batch_size;
  t.learning_rate = p.learning_rate;
  t.weight_decay = c.weight_decay;
  t.max_epochs = c.max_epochs;
  t.patience = c.patience;
  t.min_delta = c.min_delta;
  t.seed = static_cast<uint64_t>(p.seed);
  t.threads = c.threads;
  t.device = c.device;
  t.amp = c.amp;
  t.cuda_graphs = c.cuda_graphs;
  return t;
}

void select_training_gpus(SensorOptions& options, const std::vector<std::string>& sensors,
                          const std::string& resolved_device) {
  if (options.gpus) return;  // the user's own choice
  if (resolved_device.rfind("cuda:", 0) == 0) {
    options.gpus = std::vector<std::string>{resolved_device};
    options.gpu_required = true;
  } else if (std::find(sensors.begin(), sensors.end(), "nvml") == sensors.end()) {
    options.gpus = std::vector<std::string>{};
    options.gpu_required = false;
  }
}

}  // namespace powertrain
