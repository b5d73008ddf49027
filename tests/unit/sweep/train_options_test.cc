// The one table of training options: every option goes TOML -> config ->
// JSON -> command line and back unchanged, the defaults are the same in every
// place, and a bad value names file, line and value.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <map>

#include "powertrain/sweep/experiment.h"
#include "powertrain/sweep/plan.h"
#include "powertrain/train/options.h"

namespace powertrain {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// A valid value other than the default, per option: a new option without one
// fails NonDefaultValuesCoverTheTable.
const std::map<std::string, TrainValue>& non_defaults() {
  using L = std::vector<int64_t>;
  static const std::map<std::string, TrainValue> values = {
      {"task", std::string("pamap2")},  // set per dataset below
      {"data_dir", std::string("some/dir")},
      {"encoder_in", std::string("w.safetensors")},
      {"encoder_out", std::string("enc.safetensors")},
      {"checkpoint_out", std::string("model.safetensors")},
      {"freeze_encoder", true},
      {"batch_size", int64_t{256}},
      {"learning_rate", 0.005},
      {"seed", int64_t{42}},
      {"threads", int64_t{3}},
      {"device", std::string("cuda:1")},
      {"test_after", false},
      {"optimizer", std::string("sgd")},
      {"momentum", 0.45},
      {"weight_decay", 0.25},
      {"max_epochs", int64_t{7}},
      {"patience", int64_t{2}},
      {"min_delta", 0.125},
      {"alpha", 0.25},
      {"amp", std::string("bf16")},
      {"cuda_graphs", true},
      {"window_length", int64_t{100}},
      {"window_stride", int64_t{50}},
      {"downsample", int64_t{2}},
      {"val_subjects", L{101, 102}},
      {"test_subjects", L{103}},
      {"drop_subjects", L{}},
      {"image_size", int64_t{48}},
      {"identities", int64_t{8}},
      {"val_fraction", 0.2},
      {"test_fraction", 0.15},
      {"max_images", int64_t{500}},
      {"synthetic_train", int64_t{300}},
      {"synthetic_val", int64_t{30}},
      {"synthetic_test", int64_t{20}},
      {"loader_threads", int64_t{2}},
      {"prefetch_batches", int64_t{3}},
      {"conv_channels", L{8, 16}},
      {"conv_kernels", L{7, 3}},
      {"dropout", 0.35},
      {"hidden_units", int64_t{0}},
  };
  return values;
}

std::string toml_value(const TrainValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return "\"" + *s + "\"";
  if (const auto* l = std::get_if<std::vector<int64_t>>(&v)) {
    std::string out;
    for (int64_t x : *l) out += (out.empty() ? "" : ", ") + std::to_string(x);
    return "[" + out + "]";
  }
  if (const auto* d = std::get_if<double>(&v)) return fmt::format("{}", *d);
  return format_train_value(v);
}

// An experiment file that sets every option of `dataset` reachable from TOML.
std::string experiment_text(const std::string& dataset, const std::string& task) {
  std::map<std::string, std::vector<std::string>> sections;
  for (const TrainOption& o : train_options()) {
    const std::string toml = o.toml;
    if (toml.empty() || (*o.dataset && dataset != o.dataset) || toml == "task") continue;
    const auto dot = toml.find('.');
    const std::string section = dot == std::string::npos ? "" : toml.substr(0, dot);
    const std::string key = toml.substr(dot == std::string::npos ? 0 : dot + 1);
    TrainValue v = non_defaults().at(o.name);
    if (section == "grid") {
      sections[section].push_back(key + " = [" + toml_value(v) + "]");
    } else {
      sections[section].push_back(key + " = " + toml_value(v));
    }
  }
  std::string text = "name = \"t\"\nparadigm = \"regime\"\ntask = \"" + task + "\"\n";
  for (const auto& line : sections[""]) text += line + "\n";
  for (const auto& [section, lines] : sections) {
    if (section.empty()) continue;
    text += "[" + section + "]\n";
    for (const auto& line : lines) text += line + "\n";
  }
  return text;
}

void expect_same(const TrainConfig& a, const TrainConfig& b, const std::string& where) {
  for (const TrainOption& o : train_options()) {
    EXPECT_EQ(format_train_value(o.get(a)), format_train_value(o.get(b)))
        << where << ": option " << o.name;
  }
}

TrainConfig from_cli(const std::vector<std::string>& args, const TrainConfig& start = {}) {
  TrainConfig config = start;
  CLI::App app;
  add_train_cli_options(app, config);
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  app.parse(reversed);
  return config;
}

TEST(TrainOptions, NonDefaultValuesCoverTheTable) {
  const TrainConfig defaults;
  for (const TrainOption& o : train_options()) {
    ASSERT_TRUE(non_defaults().count(o.name)) << "no test value for " << o.name;
    const TrainValue& v = non_defaults().at(o.name);
    EXPECT_EQ(train_value_problem(o, v), "") << o.name;
    if (std::string(o.name) != "task") {
      EXPECT_NE(format_train_value(v), format_train_value(o.get(defaults))) << o.name;
    }
  }
  // Names, TOML keys and flags are each used once.
  std::map<std::string, int> seen;
  for (const TrainOption& o : train_options()) {
    ++seen[std::string("name ") + o.name];
    if (*o.toml) ++seen[std::string("toml ") + o.toml];
    if (*o.flag) ++seen[std::string("flag ") + o.flag];
  }
  for (const auto& [what, count] : seen) EXPECT_EQ(count, 1) << what;
}

// TOML -> config -> JSON -> command line -> config, for each dataset's options.
TEST(TrainOptions, EveryOptionRoundTrips) {
  for (const auto& [dataset, task] : std::vector<std::pair<std::string, std::string>>{
           {"pamap2", "pamap2"}, {"celeba", "celeba-identity"}}) {
    SCOPED_TRACE(dataset);
    const std::string text = experiment_text(dataset, task);
    const ExperimentConfig experiment = parse_experiment(text, "x.toml");
    PlannedRun run;
    run.task = task;
    run.batch_size = experiment.batch_sizes.at(0);
    run.learning_rate = experiment.learning_rates.at(0);
    run.seed = experiment.seed;
    TrainConfig from_toml = experiment_train_config(experiment, run);
    // What TOML cannot say (files a run writes, freezing) is set here.
    for (const TrainOption& o : train_options()) {
      if (*o.toml && (!*o.dataset || dataset == o.dataset)) continue;
      if (std::string(o.name) == "task" || (*o.dataset && dataset != o.dataset)) continue;
      o.set(from_toml, non_defaults().at(o.name));
    }
    for (const TrainOption& o : train_options()) {
      if (std::string(o.name) == "task" || (*o.dataset && dataset != o.dataset)) continue;
      EXPECT_EQ(format_train_value(o.get(from_toml)), format_train_value(non_defaults().at(o.name)))
          << o.name << " from TOML";
    }
    EXPECT_EQ(from_toml.task, task);
    const TrainConfig from_json = train_config_from_json(train_config_json(from_toml), "run 1");
    expect_same(from_json, from_toml, "JSON");
    const TrainConfig back = from_cli(train_cli_args(from_json));
    expect_same(back, from_toml, "command line");
  }
}

TEST(TrainOptions, DefaultsAreTheSameEverywhere) {
  const TrainConfig defaults;
  const ExperimentConfig e;
  EXPECT_EQ(e.optimizer, defaults.optimizer);
  EXPECT_EQ(e.momentum, defaults.momentum);
  EXPECT_EQ(e.weight_decay, defaults.weight_decay);
  EXPECT_EQ(e.max_epochs, defaults.max_epochs);
  EXPECT_EQ(e.patience, defaults.patience);
  EXPECT_EQ(e.min_delta, defaults.min_delta);
  EXPECT_EQ(e.alpha, defaults.alpha);
  EXPECT_EQ(e.device, defaults.device);
  EXPECT_EQ(e.threads, defaults.threads);
  EXPECT_EQ(static_cast<uint64_t>(e.seed), defaults.seed);
  EXPECT_EQ(e.amp, defaults.amp);
  EXPECT_EQ(e.cuda_graphs, defaults.cuda_graphs);
  // The study's settings (README): Adam, 100 epochs, patience 5.
  EXPECT_EQ(defaults.optimizer, "adam");
  EXPECT_EQ(defaults.max_epochs, 100);
  EXPECT_EQ(defaults.patience, 5);
  // An experiment that sets nothing trains with the defaults.
  const ExperimentConfig minimal =
      parse_experiment("name = \"t\"\ntask = \"pamap2\"\ndata = \"d\"\n", "m.toml");
  PlannedRun run;
  run.task = "pamap2";
  run.batch_size = static_cast<int>(defaults.batch_size);
  run.learning_rate = defaults.learning_rate;
  run.seed = static_cast<int64_t>(defaults.seed);
  TrainConfig from_toml = experiment_train_config(minimal, run);
  from_toml.data_dir = "";
  expect_same(from_toml, defaults, "minimal experiment");
  // The command line with no flags, and the defaults it shows in --help.
  expect_same(from_cli({}), defaults, "no flags");
  TrainConfig shown;
  CLI::App app;
  add_train_cli_options(app, shown);
  EXPECT_EQ(app.get_option("--max-epochs")->get_default_str(), "100");
  EXPECT_EQ(app.get_option("--optimizer")->get_default_str(), "adam");
  EXPECT_EQ(app.get_option("--conv-channels")->get_default_str(), "64,64,64");
  // The epoch limit of an experiment file is the table's.
  EXPECT_EQ(find_train_option("max_epochs")->range.hi, kMaxEpochs);
  EXPECT_NO_THROW(validate(defaults));
}

TEST(TrainOptions, BadValuesNameFileLineAndValue) {
  const std::string m = "name = \"t\"\ntask = \"pamap2\"\ndata = \"d\"\n";  // 3 lines
  auto error_of = [](const std::string& text) -> std::string {
    try {
      parse_experiment(text, "x.toml");
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_THAT(error_of(m + "[training]\nmax_epochs = 3\nmomentum = 1.5\n"),
              AllOf(HasSubstr("x.toml:6"), HasSubstr("'training.momentum'"), HasSubstr("1.5")));
  EXPECT_THAT(error_of(m + "[training]\namp = \"fp8\"\n"),
              AllOf(HasSubstr("x.toml:5"), HasSubstr("'fp8'"), HasSubstr("known: off, bf16")));
  EXPECT_THAT(error_of(m + "[dataset]\n\nloader_threads = -3\n"),
              AllOf(HasSubstr("x.toml:6"), HasSubstr("'dataset.loader_threads'"), HasSubstr("-3")));
  // Every option of a TOML table with a value of the wrong type.
  for (const char* section : {"training", "dataset", "model"}) {
    for (const TrainOption* o : train_options_in(section, "pamap2")) {
      const std::string key = std::string(o->toml).substr(std::string(section).size() + 1);
      const std::string bad = o->type == TrainOptionType::kString ? "5" : "\"x\"";
      const std::string error = error_of(m + "[" + section + "]\n" + key + " = " + bad + "\n");
      EXPECT_THAT(error, AllOf(HasSubstr("x.toml:5"), HasSubstr(o->toml), HasSubstr("must be")));
    }
  }
  // JSON (a stored run's provenance) and the command line name theirs.
  try {
    train_config_from_json(R"({"batch_size": 0})", "run 7");
    ADD_FAILURE() << "batch size 0 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("run 7"), HasSubstr("batch_size"), HasSubstr("0")));
  }
  try {
    from_cli({"--lr=-0.5"});
    ADD_FAILURE() << "negative learning rate accepted";
  } catch (const CLI::ValidationError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("--lr"), HasSubstr("-0.5"), HasSubstr("more than 0")));
  }
  try {
    from_cli({"--window-length", "long"});
    ADD_FAILURE() << "a word accepted as an integer";
  } catch (const CLI::ValidationError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("--window-length"), HasSubstr("'long'")));
  }
}

// --cuda-graphs and --amp are GPU options: one clear error on any other device.
TEST(TrainOptions, GpuOptionsAreRefusedOffCuda) {
  auto error_of = [](const TrainConfig& c) -> std::string {
    try {
      validate(c);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  TrainConfig c;
  c.cuda_graphs = true;
  EXPECT_THAT(error_of(c), AllOf(HasSubstr("cuda_graphs"), HasSubstr("need a CUDA device"),
                                 HasSubstr("device = cpu")));
  c.cuda_graphs = false;
  c.amp = "bf16";
  EXPECT_THAT(error_of(c), AllOf(HasSubstr("amp = bf16"), HasSubstr("CUDA device only")));
  c.device = "cuda:0";
  c.cuda_graphs = true;
  EXPECT_EQ(error_of(c), "");  // whether the GPU exists is the trainer's to say
  c.amp = "fp16";
  EXPECT_THAT(error_of(c), HasSubstr("unknown amp 'fp16' (known: off, bf16)"));
}

TEST(TrainOptions, TheTrainingGpuIsTheOneMeasured) {
  const std::vector<std::string> automatic = {"auto"};
  SensorOptions options;
  select_training_gpus(options, automatic, "cuda:3");
  ASSERT_TRUE(options.gpus.has_value());
  EXPECT_EQ(*options.gpus, std::vector<std::string>{"cuda:3"});
  EXPECT_TRUE(options.gpu_required);
  SensorOptions cpu;
  select_training_gpus(cpu, automatic, "cpu");
  ASSERT_TRUE(cpu.gpus.has_value());
  EXPECT_TRUE(cpu.gpus->empty());
  EXPECT_FALSE(cpu.gpu_required);
  // nvml named on a CPU run: the GPUs the process sees, as asked.
  SensorOptions named;
  select_training_gpus(named, {"nvml"}, "cpu");
  EXPECT_FALSE(named.gpus.has_value());
  // The user's own --gpus stands.
  SensorOptions chosen;
  chosen.gpus = std::vector<std::string>{"GPU-abc"};
  select_training_gpus(chosen, automatic, "cuda:0");
  EXPECT_EQ(*chosen.gpus, std::vector<std::string>{"GPU-abc"});
  EXPECT_FALSE(chosen.gpu_required);
}

}  // namespace
}  // namespace powertrain
