// The one table of training options (include/powertrain/train/options.h) and
// what is derived from it: ranges, validate(), JSON provenance, command lines.
#include "powertrain/train/options.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include <stdexcept>
#include "powertrain/store/run_roles.h"

namespace powertrain {

std::vector<std::string> train_task_names() { return {tasks::kAll.begin(), tasks::kAll.end()}; }

bool is_pamap2_task(const std::string& task) { return task.rfind("pamap2", 0) == 0; }

namespace {

using nlohmann::json;
using T = TrainOptionType;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kIntMax = 2147483647.0;
constexpr double kSeedMax = 9.0e18;  // below INT64_MAX, which a TOML integer holds

TrainValue wrap(int v) { return static_cast<int64_t>(v); }
TrainValue wrap(int64_t v) { return v; }
TrainValue wrap(uint64_t v) { return static_cast<int64_t>(v); }
TrainValue wrap(double v) { return v; }
TrainValue wrap(bool v) { return v; }
TrainValue wrap(const std::string& v) { return v; }
TrainValue wrap(const std::vector<int>& v) { return std::vector<int64_t>(v.begin(), v.end()); }

int64_t as_int(const TrainValue& v) {
  if (const auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  return std::get<int64_t>(v);
}
void unwrap(const TrainValue& v, int& out) { out = static_cast<int>(as_int(v)); }
void unwrap(const TrainValue& v, int64_t& out) { out = as_int(v); }
void unwrap(const TrainValue& v, uint64_t& out) { out = static_cast<uint64_t>(as_int(v)); }
void unwrap(const TrainValue& v, double& out) {
  if (const auto* i = std::get_if<int64_t>(&v)) {
    out = static_cast<double>(*i);
  } else {
    out = std::get<double>(v);
  }
}
void unwrap(const TrainValue& v, bool& out) { out = std::get<bool>(v); }
void unwrap(const TrainValue& v, std::string& out) { out = std::get<std::string>(v); }
void unwrap(const TrainValue& v, std::vector<int>& out) {
  const auto& list = std::get<std::vector<int64_t>>(v);
  out.assign(list.begin(), list.end());
}

// The getter and setter of one TrainConfig member.
#define PT_FIELD(member)                                             \
  [](const TrainConfig& c) -> TrainValue { return wrap(c.member); }, \
      [](TrainConfig& c, const TrainValue& v) { unwrap(v, c.member); }

constexpr TrainRange kNone{0, 0};  // strings and bools
constexpr TrainRange at_least(double lo) { return {lo, kIntMax}; }
constexpr TrainRange kFraction{0, 1, false, true};  // [0, 1)

// Top level of an experiment file, [grid] and the files a run reads or writes.
void add_run_options(std::vector<TrainOption>& o) {
  o.push_back({"task", T::kString, "task", "--task", "", kNone,
               "pamap2|pamap2-autoencoder|pamap2-classifier|celeba-identity|celeba-attributes|"
               "celeba-multitask|celeba-attributes-full",
               "Model and loss (celeba-attributes: the top identities' images; "
               "celeba-attributes-full: every image)",
               PT_FIELD(task)});
  o.push_back({"data_dir", T::kString, "data", "--data", "", kNone, "",
               "Dataset folder (raw PAMAP2 or CelebA); none = generated in memory",
               PT_FIELD(data_dir)});
  o.push_back({"encoder_in", T::kString, "model.pretrained", "--encoder", "celeba", kNone, "",
               "Encoder weights (.safetensors): ours, or ImageNet ResNet18 from timm",
               PT_FIELD(encoder_in)});
  o.push_back({"encoder_out", T::kString, "", "--encoder-out", "", kNone, "",
               "Save the best epoch's encoder here (.safetensors)", PT_FIELD(encoder_out)});
  o.push_back({"checkpoint_out", T::kString, "", "--checkpoint-out", "", kNone, "",
               "Save the best epoch's whole model here", PT_FIELD(checkpoint_out)});
  o.push_back({"freeze_encoder", T::kBool, "", "--freeze", "", kNone, "",
               "Freeze the loaded encoder (no gradient, eval mode)", PT_FIELD(freeze_encoder)});
  o.push_back({"batch_size", T::kInt, "grid.batch_sizes", "--batch-size", "", at_least(1), "",
               "Batch size", PT_FIELD(batch_size)});
  o.push_back({"learning_rate",
               T::kNumber,
               "grid.learning_rates",
               "--lr",
               "",
               {0, kInf, true, false},
               "",
               "Learning rate",
               PT_FIELD(learning_rate)});
  o.push_back(
      {"seed", T::kInt, "seed", "--seed", "", {0, kSeedMax}, "", "Random seed", PT_FIELD(seed)});
  o.push_back({"threads", T::kInt, "threads", "--threads", "", at_least(0), "",
               "Intra-op threads (0 = all cores)", PT_FIELD(threads)});
  o.push_back({"device", T::kString, "device", "--device", "", kNone, "",
               "cpu | cuda | cuda:N | mps", PT_FIELD(device)});
  o.push_back({"test_after", T::kBool, "", "--test-after", "", kNone, "",
               "Evaluate the best model on the test split (--test-after=false: do not)",
               PT_FIELD(test_after)});
}

// [training]
void add_training_options(std::vector<TrainOption>& o) {
  o.push_back({"optimizer", T::kString, "training.optimizer", "--optimizer", "", kNone, "adam|sgd",
               "adam | sgd", PT_FIELD(optimizer)});
  o.push_back({"momentum", T::kNumber, "training.momentum", "--momentum", "", kFraction, "",
               "SGD momentum", PT_FIELD(momentum)});
  o.push_back({"weight_decay",
               T::kNumber,
               "training.weight_decay",
               "--weight-decay",
               "",
               {0, kInf},
               "",
               "Weight decay",
               PT_FIELD(weight_decay)});
  o.push_back({"max_epochs",
               T::kInt,
               "training.max_epochs",
               "--max-epochs",
               "",
               {1, 100000},
               "",
               "Epoch limit",
               PT_FIELD(max_epochs)});
  o.push_back({"patience", T::kInt, "training.patience", "--patience", "", at_least(0), "",
               "Epochs without improvement before stopping (0 = off)", PT_FIELD(patience)});
  o.push_back({"min_delta",
               T::kNumber,
               "training.min_delta",
               "--min-delta",
               "",
               {0, kInf},
               "",
               "Smallest change that counts as an improvement",
               PT_FIELD(min_delta)});
  o.push_back({"alpha",
               T::kNumber,
               "training.alpha",
               "--alpha",
               "",
               {0, 1},
               "",
               "Multitask weight: alpha * L_attr + (1 - alpha) * L_id",
               PT_FIELD(alpha)});
  o.push_back({"amp", T::kString, "training.amp", "--amp", "", kNone, "off|bf16",
               "Mixed precision on a CUDA GPU: off | bf16 (autocast)", PT_FIELD(amp)});
  o.push_back({"cuda_graphs", T::kBool, "training.cuda_graphs", "--cuda-graphs", "", kNone, "",
               "Replay the training step as a CUDA graph (CUDA GPU only; drops the last, "
               "smaller batch of each epoch)",
               PT_FIELD(cuda_graphs)});
}

// [dataset]
void add_data_options(std::vector<TrainOption>& o) {
  auto d = [&](const char* name, T type, const char* toml, const char* flag, const char* set,
               TrainRange range, const char* help, TrainValue (*get)(const TrainConfig&),
               void (*put)(TrainConfig&, const TrainValue&)) {
    o.push_back({name, type, toml, flag, set, range, "", help, get, put});
  };
  d("window_length", T::kInt, "dataset.window_length", "--window-length", "pamap2", at_least(2),
    "PAMAP2 window length (samples)", PT_FIELD(data.window_length));
  d("window_stride", T::kInt, "dataset.window_stride", "--window-stride", "pamap2", at_least(1),
    "PAMAP2 window stride (samples)", PT_FIELD(data.window_stride));
  d("downsample", T::kInt, "dataset.downsample", "--downsample", "pamap2", at_least(1),
    "PAMAP2: keep every k-th row", PT_FIELD(data.downsample));
  d("val_subjects", T::kIntList, "dataset.val_subjects", "--val-subjects", "pamap2", at_least(1),
    "PAMAP2 validation subjects", PT_FIELD(data.val_subjects));
  d("test_subjects", T::kIntList, "dataset.test_subjects", "--test-subjects", "pamap2", at_least(1),
    "PAMAP2 test subjects", PT_FIELD(data.test_subjects));
  d("drop_subjects", T::kIntList, "dataset.drop_subjects", "--drop-subjects", "pamap2", at_least(1),
    "PAMAP2 subjects left out", PT_FIELD(data.drop_subjects));
  d("image_size", T::kInt, "dataset.image_size", "--image-size", "celeba", at_least(32),
    "CelebA image side in pixels", PT_FIELD(data.image_size));
  d("identities", T::kInt, "dataset.identities", "--identities", "celeba", at_least(2),
    "CelebA: most frequent identities kept", PT_FIELD(data.identities));
  d("val_fraction", T::kNumber, "dataset.val_fraction", "--val-fraction", "celeba",
    {0, 1, true, true}, "CelebA: validation share per identity", PT_FIELD(data.val_fraction));
  d("test_fraction", T::kNumber, "dataset.test_fraction", "--test-fraction", "celeba", kFraction,
    "CelebA: test share per identity", PT_FIELD(data.test_fraction));
  d("max_images", T::kInt, "dataset.max_images", "--max-images", "celeba", at_least(0),
    "CelebA: cap on images per split (0 = all)", PT_FIELD(data.max_images));
  d("synthetic_train", T::kInt, "dataset.synthetic_train", "--generated-train", "", at_least(2),
    "Generated data (no --data): training samples", PT_FIELD(data.synthetic_train));
  d("synthetic_val", T::kInt, "dataset.synthetic_val", "--generated-val", "", at_least(1),
    "Generated data: validation samples", PT_FIELD(data.synthetic_val));
  d("synthetic_test", T::kInt, "dataset.synthetic_test", "--generated-test", "", at_least(0),
    "Generated data: test samples", PT_FIELD(data.synthetic_test));
  d("loader_threads", T::kInt, "dataset.loader_threads", "--loader-threads", "", at_least(0),
    "Background batch loader threads (0 = load inside the step)", PT_FIELD(data.loader_threads));
  d("prefetch_batches", T::kInt, "dataset.prefetch_batches", "--prefetch-batches", "", at_least(1),
    "Batches prepared ahead of the step", PT_FIELD(data.prefetch_batches));
}

// [model]
void add_model_options(std::vector<TrainOption>& o) {
  o.push_back({"conv_channels", T::kIntList, "model.conv_channels", "--conv-channels", "pamap2",
               at_least(1), "", "PAMAP2 CNN filters per block", PT_FIELD(model.conv_channels)});
  o.push_back({"conv_kernels", T::kIntList, "model.conv_kernels", "--conv-kernels", "pamap2",
               at_least(1), "", "PAMAP2 CNN kernel size per block", PT_FIELD(model.conv_kernels)});
  o.push_back({"dropout", T::kNumber, "model.dropout", "--dropout", "", kFraction, "", "Dropout",
               PT_FIELD(model.dropout)});
  o.push_back({"hidden_units", T::kInt, "model.hidden_units", "--hidden-units", "", at_least(0), "",
               "Classifier hidden layer (0 = linear)", PT_FIELD(model.hidden_units)});
}

#undef PT_FIELD

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::vector<std::string> split_choices(const char* choices) {
  std::vector<std::string> out;
  std::string item;
  for (const char* p = choices; *p; ++p) {
    if (*p == '|') {
      out.push_back(item);
      item.clear();
    } else {
      item += *p;
    }
  }
  if (!item.empty()) out.push_back(item);
  return out;
}

const char* type_words(TrainOptionType type) {
  switch (type) {
    case T::kInt:
      return "an integer";
    case T::kNumber:
      return "a number";
    case T::kBool:
      return "true or false";
    case T::kString:
      return "a string";
    case T::kIntList:
      return "an array of integers";
  }
  return "?";
}

bool type_fits(TrainOptionType type, const TrainValue& v) {
  switch (type) {
    case T::kInt:
      return std::holds_alternative<int64_t>(v);
    case T::kNumber:
      return std::holds_alternative<double>(v) || std::holds_alternative<int64_t>(v);
    case T::kBool:
      return std::holds_alternative<bool>(v);
    case T::kString:
      return std::holds_alternative<std::string>(v);
    case T::kIntList:
      return std::holds_alternative<std::vector<int64_t>>(v);
  }
  return false;
}

std::string bracket(const TrainRange& r) {
  return fmt::format("{}{}, {}{}", r.lo_open ? "(" : "[", r.lo, r.hi, r.hi_open ? ")" : "]");
}

// Why a number lies outside the range, or "".
std::string range_problem(const TrainRange& r, double x) {
  const bool low = r.lo_open ? !(x > r.lo) : !(x >= r.lo);
  const bool high = r.hi_open ? !(x < r.hi) : !(x <= r.hi);
  if (!low && !high) return "";
  if (r.hi == kInf || r.hi == kIntMax) {
    if (!low) return fmt::format("is out of range: {}", x);
    if (r.lo_open) return fmt::format("must be more than {}, got {}", r.lo, x);
    if (r.lo == 0) return fmt::format("must be 0 or more, got {}", x);
    return fmt::format("must be at least {}, got {}", r.lo, x);
  }
  return fmt::format("must lie in {}, got {}", bracket(r), x);
}

// Devices the trainer accepts (src/train/trainer.cc resolve_device): whether
// one is present is only known on the machine that runs it.
bool known_device(const std::string& device) {
  if (device == "cpu" || device == "mps" || device == "cuda") return true;
  if (device.rfind("cuda:", 0) == 0 && device.size() > 5) {
    return device.find_first_not_of("0123456789", 5) == std::string::npos;
  }
  return false;
}

std::string string_problem(const TrainOption& o, const std::string& s) {
  if (std::string(o.name) == "device" && !known_device(s)) {
    return fmt::format("unknown device '{}' (known: cpu, cuda, cuda:N, mps)", s);
  }
  const auto choices = split_choices(o.choices);
  if (!choices.empty() && std::find(choices.begin(), choices.end(), s) == choices.end()) {
    return fmt::format("unknown {} '{}' (known: {})", o.name, s, join(choices));
  }
  return "";
}

}  // namespace

const std::vector<TrainOption>& train_options() {
  static const std::vector<TrainOption> options = [] {
    std::vector<TrainOption> o;
    add_run_options(o);
    add_training_options(o);
    add_data_options(o);
    add_model_options(o);
    return o;
  }();
  return options;
}

const TrainOption* find_train_option(std::string_view name) {
  for (const auto& o : train_options()) {
    if (name == o.name) return &o;
  }
  return nullptr;
}

const TrainOption* find_train_option_toml(std::string_view toml_key) {
  for (const auto& o : train_options()) {
    if (*o.toml && toml_key == o.toml) return &o;
  }
  return nullptr;
}

const TrainOption* find_train_option_flag(std::string_view flag) {
  for (const auto& o : train_options()) {
    if (*o.flag && flag == o.flag) return &o;
  }
  return nullptr;
}

std::vector<const TrainOption*> train_options_in(std::string_view section,
                                                 std::string_view dataset) {
  std::vector<const TrainOption*> out;
  for (const auto& o : train_options()) {
    const std::string_view toml = o.toml;
    if (toml.empty()) continue;
    const auto dot = toml.find('.');
    const std::string_view in = dot == std::string_view::npos ? "" : toml.substr(0, dot);
    if (in != section) continue;
    if (!dataset.empty() && *o.dataset && dataset != o.dataset) continue;
    out.push_back(&o);
  }
  return out;
}

std::string train_option_label(const TrainOption& option) {
  return *option.toml ? option.toml : option.name;
}

std::string train_value_problem(const TrainOption& o, const TrainValue& value) {
  if (!type_fits(o.type, value)) return fmt::format("must be {}", type_words(o.type));
  if (o.type == T::kString) return string_problem(o, std::get<std::string>(value));
  if (o.type == T::kInt) return range_problem(o.range, static_cast<double>(as_int(value)));
  if (o.type == T::kNumber) {
    double x = 0;
    unwrap(value, x);
    return range_problem(o.range, x);
  }
  if (o.type == T::kIntList) {
    const auto& list = std::get<std::vector<int64_t>>(value);
    if (list.empty() && std::string(o.name).rfind("conv_", 0) == 0) {
      return "must name at least one convolution block";
    }
    for (int64_t x : list) {
      if (auto why = range_problem(o.range, static_cast<double>(x)); !why.empty()) return why;
    }
  }
  return "";
}

TrainValue parse_train_value(const TrainOption& o, const std::string& text) {
  auto fail = [&]() -> TrainValue {
    throw std::invalid_argument(fmt::format("must be {}, got '{}'", type_words(o.type), text));
  };
  auto integer = [&](const std::string& s) -> int64_t {
    size_t used = 0;
    int64_t v = 0;
    try {
      v = std::stoll(s, &used);
    } catch (const std::exception&) {
      fail();
    }
    if (used != s.size()) fail();
    return v;
  };
  switch (o.type) {
    case T::kString:
      return text;
    case T::kBool:
      if (text == "true" || text == "1") return true;
      if (text == "false" || text == "0") return false;
      return fail();
    case T::kInt:
      return integer(text);
    case T::kNumber: {
      size_t used = 0;
      double v = 0;
      try {
        v = std::stod(text, &used);
      } catch (const std::exception&) {
        fail();
      }
      if (used != text.size()) fail();
      return v;
    }
    case T::kIntList: {
      std::vector<int64_t> list;
      std::string item;
      for (size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || text[i] == ',' || text[i] == ' ') {
          if (!item.empty()) list.push_back(integer(item));
          item.clear();
        } else {
          item += text[i];
        }
      }
      return list;
    }
  }
  return fail();
}

std::string format_train_value(const TrainValue& value) {
  struct Format {
    std::string operator()(int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return fmt::format("{}", v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const std::string& v) const { return v; }
    std::string operator()(const std::vector<int64_t>& v) const {
      std::vector<std::string> items;
      for (int64_t x : v) items.push_back(std::to_string(x));
      return join(items, ",");
    }
  };
  return std::visit(Format{}, value);
}

void set_train_option(TrainConfig& config, const TrainOption& option, const TrainValue& value,
                      const std::string& where) {
  if (auto why = train_value_problem(option, value); !why.empty()) {
    throw std::invalid_argument(fmt::format("{}: '{}' {}", where, train_option_label(option), why));
  }
  option.set(config, value);
}

}  // namespace powertrain
