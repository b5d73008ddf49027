#include "powertrain/sweep/experiment.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "powertrain/sweep/plan.h"
#include "unit/sweep/sweep_test_util.h"

namespace powertrain {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::string error_of(const std::string& text) {
  try {
    parse_experiment(text, "x.toml");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

const char* kMinimal = R"(name = "t"
paradigm = "regime"
task = "pamap2"
data = "d"
)";

TEST(Experiment, ShippedStudyFilesHaveTable1GridAndTwoRepeats) {
  for (const char* name :
       {"regime-pamap2", "regime-celeba", "pretrain-pamap2", "multitask-celeba"}) {
    SCOPED_TRACE(name);
    auto c = load_experiment(std::string(POWERTRAIN_SOURCE_DIR) + "/experiments/" + name + ".toml");
    EXPECT_EQ(c.name, name);
    EXPECT_EQ(c.batch_sizes, (std::vector<int>{64, 256, 1024, 4096}));
    EXPECT_EQ(c.learning_rates, (std::vector<double>{0.1, 0.01, 0.001, 0.0001}));
    EXPECT_EQ(c.setup_count(), 16);
    EXPECT_EQ(c.repeats, 2);
    EXPECT_DOUBLE_EQ(c.interval_s, 1.0);
    EXPECT_DOUBLE_EQ(c.pue, 1.0);
  }
  EXPECT_EQ(
      load_experiment(std::string(POWERTRAIN_SOURCE_DIR) + "/experiments/pretrain-pamap2.toml")
          .paradigm,
      "pretraining");
  EXPECT_EQ(
      load_experiment(std::string(POWERTRAIN_SOURCE_DIR) + "/experiments/multitask-celeba.toml")
          .dataset,
      "celeba");
}

TEST(Experiment, QuickKeepsTable1Setups) {
  auto c = load_experiment(std::string(POWERTRAIN_SOURCE_DIR) + "/experiments/quick.toml");
  EXPECT_EQ(c.setup_count(), 16);
  EXPECT_EQ(c.batch_sizes, (std::vector<int>{64, 256, 1024, 4096}));
  EXPECT_EQ(c.learning_rates, (std::vector<double>{0.1, 0.01, 0.001, 0.0001}));
  EXPECT_LE(c.max_epochs, 10);
}

TEST(Experiment, DefaultsAndValues) {
  auto c = parse_experiment(std::string(kMinimal) +
                                "seed = 7\n[training]\noptimizer = \"sgd\"\n"
                                "max_epochs = 9\n[energy]\nsensors = [\"rapl\"]\npue = 1.5\n"
                                "[dataset]\nwindow_length = 64\nval_subjects = [101, 102]\n",
                            "x.toml");
  EXPECT_EQ(c.repeats, 2);
  EXPECT_EQ(c.seed, 7);
  EXPECT_EQ(c.optimizer, "sgd");
  EXPECT_EQ(c.max_epochs, 9);
  EXPECT_EQ(c.sensors, std::vector<std::string>{"rapl"});
  EXPECT_DOUBLE_EQ(c.pue, 1.5);
  EXPECT_EQ(c.dataset, "pamap2");
  EXPECT_EQ(c.setup_count(), 16);
  EXPECT_THAT(c.dataset_options_json, HasSubstr("\"val_subjects\":[101,102]"));
}

TEST(Experiment, UnknownKeyNamesKeyAndLine) {
  EXPECT_THAT(error_of(std::string(kMinimal) + "\nrepeets = 3\n"),
              AllOf(HasSubstr("x.toml:6"), HasSubstr("unknown key 'repeets'")));
  EXPECT_THAT(error_of(std::string(kMinimal) + "[training]\nmax_epochs = 3\nlearnig_rate = 1\n"),
              AllOf(HasSubstr("x.toml:7"), HasSubstr("'training.learnig_rate'")));
  EXPECT_THAT(error_of(std::string(kMinimal) + "[energy]\n\nsensor = [\"rapl\"]\n"),
              AllOf(HasSubstr("x.toml:7"), HasSubstr("'energy.sensor'")));
  EXPECT_THAT(
      error_of(std::string(kMinimal) + "[dataset]\nwindow = 3\n"),
      AllOf(HasSubstr("x.toml:6"), HasSubstr("'dataset.window'"), HasSubstr("window_length")));
  EXPECT_THAT(error_of(std::string(kMinimal) + "[grid]\nbatch_size = [1]\n"),
              AllOf(HasSubstr("x.toml:6"), HasSubstr("'grid.batch_size'")));
  EXPECT_THAT(error_of(std::string(kMinimal) + "[gird]\n"), HasSubstr("unknown key 'gird'"));
}

TEST(Experiment, BadValuesNameTheirLine) {
  EXPECT_THAT(error_of(std::string(kMinimal) + "[grid]\nbatch_sizes = [64,\n 0]\n"),
              AllOf(HasSubstr("x.toml:7"), HasSubstr("batch size"), HasSubstr("got 0")));
  EXPECT_THAT(error_of(std::string(kMinimal) + "[grid]\nlearning_rates = [0.1, -0.01]\n"),
              AllOf(HasSubstr("x.toml:6"), HasSubstr("learning rate"), HasSubstr("-0.01")));
  EXPECT_THAT(error_of(std::string(kMinimal) + "[grid]\nlearning_rates = []\n"),
              AllOf(HasSubstr("x.toml:6"), HasSubstr("grid is empty")));
  EXPECT_THAT(error_of(std::string(kMinimal) + "[grid]\nbatch_sizes = []\n"),
              HasSubstr("grid is empty"));
  EXPECT_THAT(error_of(std::string(kMinimal) + "repeats = 0\n"),
              AllOf(HasSubstr("x.toml:5"), HasSubstr("repeats")));
  EXPECT_THAT(error_of(std::string(kMinimal) + "repeats = \"two\"\n"),
              AllOf(HasSubstr("x.toml:5"), HasSubstr("must be an integer")));
  EXPECT_THAT(error_of(std::string(kMinimal) + "[energy]\npue = 0.5\n"),
              AllOf(HasSubstr("x.toml:6"), HasSubstr("pue")));
  EXPECT_THAT(error_of(std::string(kMinimal) + "[training]\noptimizer = \"rmsprop\"\n"),
              HasSubstr("unknown optimizer 'rmsprop'"));
  EXPECT_THAT(error_of(std::string(kMinimal) + "[dataset]\nwindow_length = \"long\"\n"),
              AllOf(HasSubstr("x.toml:6"), HasSubstr("must be an integer")));
  EXPECT_THAT(error_of("name = \"t\"\nparadigm = \"regime\"\ntask = \"mnist\"\ndata = \"d\"\n"),
              AllOf(HasSubstr("x.toml:3"), HasSubstr("unknown task 'mnist'")));
  EXPECT_THAT(error_of("name = \"t\"\nparadigm = \"transfer\"\ndata = \"d\"\n"),
              HasSubstr("unknown paradigm 'transfer'"));
  EXPECT_THAT(error_of("paradigm = \"regime\"\ntask = \"pamap2\"\ndata = \"d\"\n"),
              HasSubstr("'name' is missing"));
  EXPECT_THAT(error_of("name = \"t\"\ntask = \"pamap2\"\n"), HasSubstr("'data' is missing"));
  EXPECT_THAT(error_of("name = \"t\"\ntask = [\n"), HasSubstr("x.toml:2"));
}

// Every setting that would fail every run is refused when the file is read,
// naming file, line and key (the issue's list, and the trainer's limits).
TEST(Experiment, SettingsThatCanNeverRunAreRefusedWithKeyAndLine) {
  const std::string m = kMinimal;  // 4 lines
  struct Case {
    std::string text;
    std::string line;
    std::string key;
  };
  const Case cases[] = {
      {m + "device = \"tpu\"\n", "x.toml:5", "unknown device 'tpu'"},
      {m + "device = \"cuda:x\"\n", "x.toml:5", "unknown device 'cuda:x'"},
      {m + "[energy]\nsensors = [\"foo\"]\n", "x.toml:6", "unknown sensor 'foo'"},
      {m + "[energy]\nsensors = [\"auto\", \"rapl\"]\n", "x.toml:6", "'auto' cannot"},
      {m + "[energy]\npue = 7\n", "x.toml:6", "'energy.pue' must lie in [1, 5]"},
      {m + "repeats = 100000000\n", "x.toml:5", "'repeats' must lie in [1, 1000]"},
      {m + "[training]\nmax_epochs = 1000000\n", "x.toml:6", "max_epochs"},
      {m + "[training]\nmomentum = 1.5\n", "x.toml:6", "momentum"},
      {m + "[model]\nconv_channels = [-4, 16, 16]\n", "x.toml:6",
       "'model.conv_channels' must be at least 1, got -4"},
      {m + "[model]\nconv_channels = []\n", "x.toml:6", "at least one convolution block"},
      {m + "[model]\nhidden_units = -5\n", "x.toml:6", "'model.hidden_units' must be 0 or more"},
      {m + "[model]\ndropout = 1.0\n", "x.toml:6", "'model.dropout' must lie in [0, 1)"},
      {m + "[model]\nconv_channels = [8, 8]\n", "x.toml:6", "one kernel size per block"},
      {m + "[model]\npretrained = \"w.safetensors\"\n", "x.toml:6", "CelebA only"},
      {m + "[dataset]\nwindow_length = 0\n", "x.toml:6",
       "'dataset.window_length' must be at least 2, got 0"},
      {m + "[dataset]\nwindow_length = 32\n", "x.toml:6", "must not exceed"},
      {m + "[dataset]\ndownsample = 0\n", "x.toml:6", "downsample"},
      {m + "[dataset]\nprefetch_batches = 0\n", "x.toml:6", "prefetch_batches"},
      {"name = \"t\"\nparadigm = \"multitask\"\ndata = \"d\"\n[dataset]\nimage_size = 16\n",
       "x.toml:5", "'dataset.image_size' must be at least 32"},
      {"name = \"t\"\nparadigm = \"multitask\"\ndata = \"d\"\n[dataset]\nval_fraction = "
       "0.5\ntest_fraction = 0.5\n",
       "x.toml:6", "leaves no training images"},
      {"name = \"t\"\nparadigm = \"multitask\"\ndata = \"d\"\n[dataset]\nidentities = 1\n",
       "x.toml:5", "identities"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_THAT(error_of(c.text), AllOf(HasSubstr(c.line), HasSubstr(c.key)));
  }
  // The limits themselves are accepted.
  EXPECT_EQ(error_of(m + "repeats = 1000\n[energy]\npue = 5\nsensors = [\"rapl\", \"nvml\"]\n"
                         "[model]\nhidden_units = 0\n"),
            "");
  EXPECT_EQ(error_of(m + "device = \"cuda:1\"\n"), "");
}

TEST(Experiment, MissingPretrainedWeightsFailBeforeAnyRun) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "celeba");
  testing::write_file(dir / "celeba/list_attr_celeba.txt", "");
  auto c =
      parse_experiment("name = \"t\"\nparadigm = \"multitask\"\ndata = \"" + (dir / "celeba") +
                           "\"\n[model]\npretrained = \"" + (dir / "missing.safetensors") + "\"\n",
                       "x.toml");
  try {
    check_data_dir(c);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("model.pretrained"), HasSubstr("missing.safetensors")));
  }
}

TEST(Experiment, MissingDataFolderIsAnError) {
  testing::TempDir dir;
  auto c = parse_experiment(std::string(kMinimal), "x.toml");
  c.data_dir = dir / "nope";
  EXPECT_THROW(
      {
        try {
          check_data_dir(c);
        } catch (const std::invalid_argument& e) {
          EXPECT_THAT(e.what(), AllOf(HasSubstr("nope"), HasSubstr("does not exist")));
          throw;
        }
      },
      std::invalid_argument);
  c.data_dir = dir.path().string();  // exists, but no Protocol/
  EXPECT_THROW(check_data_dir(c), std::invalid_argument);
  std::filesystem::create_directories(dir.path() / "Protocol");
  EXPECT_NO_THROW(check_data_dir(c));
}

TEST(Experiment, HashFollowsContentNotDataFolderOrComments) {
  auto a = parse_experiment(std::string(kMinimal), "a.toml");
  auto b = parse_experiment("# comment\n" + std::string(kMinimal), "b.toml");
  b.data_dir = "elsewhere";
  EXPECT_EQ(a.hash(), b.hash());
  auto c = parse_experiment(std::string(kMinimal) + "[training]\nmax_epochs = 3\n", "c.toml");
  EXPECT_NE(a.hash(), c.hash());
  EXPECT_EQ(a.hash().size(), 16u);
}

}  // namespace
}  // namespace powertrain
