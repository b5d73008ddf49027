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
