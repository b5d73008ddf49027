// `powertrain synth` and `powertrain data check` run as a user runs them.
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_util.h"

namespace powertrain {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using testing::TempDir;

testing::CommandResult run(const std::vector<std::string>& args) {
  static TempDir cache;  // the PAMAP2 cache, away from the user's own
  std::vector<std::string> argv = {testing::powertrain_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return testing::run_program(argv, {{"XDG_CACHE_HOME", cache.path()}});
}

TEST(DataCli, SynthThenCheckPamap2) {
  TempDir dir;
  auto synth = run({"synth", "pamap2", "--out", dir.path(), "--subjects", "101,102,105,106",
                    "--minutes", "1", "--seed", "3"});
  ASSERT_EQ(synth.exit_code, 0) << synth.err;
  auto check = run({"data", "check", "pamap2", dir.path()});
  ASSERT_EQ(check.exit_code, 0) << check.err;
  EXPECT_THAT(check.out, HasSubstr("subjects: 4"));
  EXPECT_THAT(check.out, ContainsRegex("rows: [0-9]+"));
  EXPECT_THAT(check.out, ContainsRegex("NaN share \\(selected channels\\): [0-9.]+ %"));
  EXPECT_THAT(check.out, ContainsRegex(" 24 rope jumping +[0-9]+"));
  EXPECT_THAT(check.out, ContainsRegex("  0 transient +[0-9]+  \\(not used\\)"));
  EXPECT_THAT(check.out, HasSubstr("classes: 12 (0=1, 1=2"));
  EXPECT_THAT(
      check.out,
      ContainsRegex("windows: train [1-9][0-9]*, validation [1-9][0-9]*, test [1-9][0-9]*"));
  EXPECT_THAT(check.out, HasSubstr("(written)"));
  auto again =
      run({"data", "check", "pamap2", dir.path(), "--downsample", "3", "--window-length", "32"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("window: 32 rows after downsampling by 3"));
  auto cached = run({"data", "check", "pamap2", dir.path()});
  EXPECT_THAT(cached.out, HasSubstr("(read)"));
}

TEST(DataCli, CheckPamap2ReportsTheFirstError) {
  TempDir dir;
  auto missing = run({"data", "check", "pamap2", dir.path()});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.err, HasSubstr("powertrain: error: "));
  EXPECT_THAT(missing.err, HasSubstr("no Protocol/ folder"));
  testing::write_file(dir / "Protocol/subject101.dat", "1 1 NaN\n");
  auto bad = run({"data", "check", "pamap2", dir.path(), "--validate", "none", "--test", ""});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("subject101.dat:1: expected 54 columns, got 3"));
  auto list = run({"data", "check", "pamap2", dir.path(), "--validate", "10x"});
  EXPECT_EQ(list.exit_code, 2);
  EXPECT_THAT(list.err, HasSubstr("--validate: expected a comma-separated list"));
}

TEST(DataCli, SynthThenCheckCeleba) {
  TempDir dir;
  auto synth = run({"synth", "celeba", "--out", dir.path(), "--identities", "10",
                    "--images-per-identity", "12"});
  ASSERT_EQ(synth.exit_code, 0) << synth.err;
  auto check = run({"data", "check", "celeba", dir.path(), "--top", "3", "--size", "32"});
  ASSERT_EQ(check.exit_code, 0) << check.err;
  EXPECT_THAT(check.out, ContainsRegex("identities: 10\n"));
  EXPECT_THAT(check.out, ContainsRegex("top 3 identities hold [0-9]+ images"));
  EXPECT_THAT(check.out,
              ContainsRegex("attributes: 40 \\(positive share: 5_o_Clock_Shadow=[0-9]+%"));
  EXPECT_THAT(check.out, ContainsRegex("split: train [0-9]+, validation [0-9]+, test [0-9]+"));
  EXPECT_THAT(check.out, ContainsRegex("images decoded: [0-9]+ at 32x32"));
  auto attributes =
      run({"data", "check", "celeba", dir.path(), "--task", "attributes", "--decode", "0"});
  ASSERT_EQ(attributes.exit_code, 0) << attributes.err;
  EXPECT_THAT(attributes.out, HasSubstr("task: attributes"));
  // All images to training and validation: training would fail, so the check does.
  auto no_test = run({"data", "check", "celeba", dir.path(), "--top", "3", "--train-fraction",
                      "0.8", "--validation-fraction", "0.2", "--decode", "0"});
  EXPECT_EQ(no_test.exit_code, 2);
  EXPECT_EQ(no_test.err,
            "powertrain: error: " + dir.path() +
                ": CelebA test split has no images, so training on these settings would fail "
                "(check --top and the split fractions)\n");
}

TEST(DataCli, CheckCelebaOnTheRealExcerptReportsMissingImages) {
  std::string real = std::string(POWERTRAIN_SHARED_DATA_DIR) + "/celeba";
  auto check = run({"data", "check", "celeba", real});
  EXPECT_NE(check.exit_code, 0);
  EXPECT_THAT(check.out, HasSubstr("top 40 identities hold 1238 images"));
  EXPECT_THAT(check.out,
              HasSubstr("attribute rows: 20000, identity rows: 202599, partition rows: 202599"));
  EXPECT_THAT(
      check.err,
      ContainsRegex(
          "powertrain: error: 123[0-9] of 1238 images are missing or not regular files, first: "));
}

TEST(DataCli, CheckCelebaAttributeRowWith39Values) {
  TempDir dir;
  ASSERT_EQ(run({"synth", "celeba", "--out", dir.path(), "--identities", "2",
                 "--images-per-identity", "2"})
                .exit_code,
            0);
  std::string attr = testing::slurp(dir / "list_attr_celeba.txt");
  size_t line3 = attr.find("000001.jpg");
  attr.erase(attr.find("\r\n", line3) - 3, 3);  // drop the last value of row 1
  testing::write_file(dir / "list_attr_celeba.txt", attr);
  auto check = run({"data", "check", "celeba", dir.path()});
  EXPECT_EQ(check.exit_code, 2);
  EXPECT_THAT(
      check.err,
      HasSubstr("list_attr_celeba.txt:3: expected 40 attribute values after '000001.jpg', got 39"));
}

}  // namespace
}  // namespace powertrain
