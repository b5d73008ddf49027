#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "powertrain/data/pamap2.h"
#include "support/test_util.h"

namespace powertrain {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;
namespace fs = std::filesystem;

// hand.acc16 is columns 5-7 (1-based); x holds the row index, y minus it,
// z a constant per activity, unless a cell is given as NaN.
struct Row {
  int activity;
  std::string x;  // empty = row index
};

void write_subject(const std::string& dir, const std::string& folder, int subject, const std::vector<Row>& rows) {
  fs::create_directories(fs::path(dir) / folder);
  std::string text;
  for (size_t i = 0; i < rows.size(); ++i) {
    std::string line = std::to_string(0.01 * i) + " " + std::to_string(rows[i].activity) + " " +
                       (i % 11 == 0 ? std::to_string(60 + i % 50) : "NaN") + " 30";
    line += " " + (rows[i].x.empty() ? std::to_string(i) : rows[i].x);
    line += " " + std::to_string(-static_cast<long>(i)) + " " + std::to_string(rows[i].activity * 10);
    for (int c = 8; c <= kPamap2Columns; ++c) line += " 0.5";
    text += line + "\n";
  }
  testing::write_file(dir + "/" + folder + "/subject" + std::to_string(subject) + ".dat", text);
}

std::vector<Row> rows_of(std::vector<std::pair<int, int>> stretches) {
  std::vector<Row> rows;
  for (auto [activity, count] : stretches)
    for (int i = 0; i < count; ++i) rows.push_back({activity, ""});
  return rows;
}

Pamap2Options hand_only() {
  Pamap2Options o;
  o.channels = {"hand.acc16"};
  o.validation_subjects = {};
  o.test_subjects = {};
  o.normalize = false;
  o.use_cache = false;
  return o;
}

float at(const WindowSet& s, int64_t window, int64_t channel, int64_t t) {
  return s.x[(window * s.channels + channel) * s.length + t];
}

TEST(Pamap2Load, WindowsFollowActivityRunsAndOverlap) {
  TempDir dir;
  write_subject(dir.path(), "Protocol", 101, rows_of({{0, 10}, {1, 250}, {0, 10}, {4, 100}, {0, 5}}));
  Pamap2Data d = load_pamap2(dir.path(), hand_only());
  ASSERT_EQ(d.train.n, 5);  // 250 rows: starts 0, 50, 100, 150; 100 rows: one window
  EXPECT_EQ(d.train.channels, 3);
  EXPECT_EQ(d.train.length, 100);
  EXPECT_EQ(d.train.x.size(), 5u * 3 * 100);
  EXPECT_EQ(d.class_ids, (std::vector<int>{1, 4}));  // 12 requested, 2 found
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"lying", "walking"}));
  EXPECT_EQ(d.train.labels, (std::vector<int64_t>{0, 0, 0, 0, 1}));
  EXPECT_EQ(d.train.subjects, (std::vector<int>{101, 101, 101, 101, 101}));
  EXPECT_EQ(at(d.train, 0, 0, 0), 10.0f);
  EXPECT_EQ(at(d.train, 0, 0, 99), 109.0f);
  EXPECT_EQ(at(d.train, 1, 0, 0), 60.0f);
  EXPECT_EQ(at(d.train, 0, 1, 5), -15.0f);
  EXPECT_EQ(at(d.train, 4, 0, 0), 270.0f);
  EXPECT_EQ(at(d.train, 4, 2, 0), 40.0f);
  EXPECT_EQ(d.channel_names, (std::vector<std::string>{"hand.acc16.x", "hand.acc16.y", "hand.acc16.z"}));
  ASSERT_EQ(d.subjects.size(), 1u);
  EXPECT_EQ(d.subjects[0].rows, 375);
  EXPECT_EQ(d.subjects[0].rows_per_activity,
            (std::vector<std::pair<int, int64_t>>{{0, 25}, {1, 250}, {4, 100}}));
}

TEST(Pamap2Load, DownsamplingAndNoOverlap) {
  TempDir dir;
  write_subject(dir.path(), "Protocol", 101, rows_of({{2, 400}}));
  Pamap2Options o = hand_only();
  o.downsample = 4;
  o.window_length = 25;
  o.overlap = 0.0;
  Pamap2Data d = load_pamap2(dir.path(), o);
  ASSERT_EQ(d.train.n, 4);
  EXPECT_EQ(at(d.train, 0, 0, 1), 4.0f);
  EXPECT_EQ(at(d.train, 1, 0, 0), 100.0f);
}

TEST(Pamap2Load, ShortNanRunsAreInterpolatedLongOnesDropped) {
  TempDir dir;
  std::vector<Row> rows = rows_of({{3, 600}});
  for (int i = 20; i < 25; ++i) rows[i].x = "NaN";     // 5 rows: interpolated
  for (int i = 300; i < 451; ++i) rows[i].x = "NaN";   // 151 rows > 100: dropped
  write_subject(dir.path(), "Protocol", 101, rows);
  Pamap2Data d = load_pamap2(dir.path(), hand_only());
  // Rows 0..299 give windows at 0, 50, 100, 150, 200; rows 451..599 (149) at 451.
  ASSERT_EQ(d.train.n, 6);
  for (int t = 19; t <= 25; ++t) EXPECT_NEAR(at(d.train, 0, 0, t), static_cast<float>(t), 1e-4) << t;
  EXPECT_EQ(at(d.train, 5, 0, 0), 451.0f);
  EXPECT_EQ(d.subjects[0].nan_values, 156);
  EXPECT_EQ(d.subjects[0].dropped_rows, 151);

  Pamap2Options o = hand_only();
  o.max_nan_run = 200;  // now the long run is interpolated too
  Pamap2Data d2 = load_pamap2(dir.path(), o);
  EXPECT_EQ(d2.train.n, 11);
  EXPECT_NEAR(at(d2.train, 6, 0, 50), 350.0f, 1e-3);
}

TEST(Pamap2Load, HeartRateAtNineHertzIsInterpolated) {
  TempDir dir;
  write_subject(dir.path(), "Protocol", 101, rows_of({{5, 100}}));
  Pamap2Options o = hand_only();
  o.channels = {"heart_rate"};
  Pamap2Data d = load_pamap2(dir.path(), o);
  ASSERT_EQ(d.train.n, 1);
  EXPECT_EQ(at(d.train, 0, 0, 0), 60.0f);
  EXPECT_EQ(at(d.train, 0, 0, 11), 71.0f);
  EXPECT_NEAR(at(d.train, 0, 0, 5), 65.0f, 1e-4);
  EXPECT_EQ(at(d.train, 0, 0, 99), 109.0f);
  EXPECT_NEAR(at(d.train, 0, 0, 93), 98.0f + 5.0f, 1e-4);
}

TEST(Pamap2Load, SplitsBySubjectAndNormalisesWithTrainStatistics) {
  TempDir dir;
  for (int s : {101, 102, 105, 106, 109}) write_subject(dir.path(), "Protocol", s, rows_of({{1, 300}, {4, 300}}));
  Pamap2Options o;
  o.channels = {"hand.acc16", "chest.acc16"};
  o.use_cache = false;
  Pamap2Data d = load_pamap2(dir.path(), o);
  EXPECT_EQ(d.train.n, 20);
  EXPECT_EQ(d.validation.n, 10);
  EXPECT_EQ(d.test.n, 10);
  EXPECT_EQ(d.validation.subjects.front(), 105);
  EXPECT_EQ(d.test.subjects.front(), 106);
  EXPECT_EQ(d.subjects.size(), 4u);  // 109 dropped
  ASSERT_EQ(d.channel_mean.size(), 6u);
  for (int c = 0; c < 3; ++c) {
    double sum = 0, sq = 0;
    int64_t n = 0;
    for (int64_t w = 0; w < d.train.n; ++w)
      for (int64_t t = 0; t < d.train.length; ++t, ++n) {
        sum += at(d.train, w, c, t);
        sq += at(d.train, w, c, t) * at(d.train, w, c, t);
      }
    EXPECT_NEAR(sum / n, 0.0, 1e-3) << c;
    EXPECT_NEAR(sq / n, 1.0, 1e-3) << c;
  }
  // Chest columns are constant 0.5: std falls back to 1, values to 0.
  EXPECT_EQ(d.channel_std[3], 1.0f);
  EXPECT_EQ(at(d.validation, 0, 3, 0), 0.0f);
  // Validation uses the train statistics: same raw rows, same values.
  EXPECT_EQ(at(d.validation, 0, 0, 7), at(d.train, 0, 0, 7));
}

TEST(Pamap2Load, OptionalFilesAreAddedAndCanBeLeftOut) {
  TempDir dir;
  write_subject(dir.path(), "Protocol", 101, rows_of({{1, 100}}));
  write_subject(dir.path(), "Optional", 101, rows_of({{10, 200}}));
  write_subject(dir.path(), "Optional", 107, rows_of({{10, 200}}));  // no protocol data: ignored
  Pamap2Options o = hand_only();
  o.activities = {1, 10};
  Pamap2Data d = load_pamap2(dir.path(), o);
  EXPECT_EQ(d.train.n, 4);
  EXPECT_EQ(d.class_ids, (std::vector<int>{1, 10}));
  EXPECT_EQ(d.subjects.size(), 1u);
  EXPECT_EQ(d.subjects[0].files.size(), 2u);
  o.include_optional = false;
  EXPECT_EQ(load_pamap2(dir.path(), o).train.n, 1);
}

TEST(Pamap2Load, CacheIsWrittenOnceAndKeyedByFilesAndOptions) {
  TempDir dir;
  write_subject(dir.path(), "Protocol", 101, rows_of({{1, 300}}));
  Pamap2Options o = hand_only();
  o.use_cache = true;
  o.cache_dir = dir / "cache";
  Pamap2Data first = load_pamap2(dir.path(), o);
  EXPECT_FALSE(first.from_cache);
  ASSERT_TRUE(fs::exists(first.cache_file));
  Pamap2Data second = load_pamap2(dir.path(), o);
  EXPECT_TRUE(second.from_cache);
  EXPECT_EQ(second.cache_file, first.cache_file);
  EXPECT_EQ(second.train.x, first.train.x);
  EXPECT_EQ(second.train.labels, first.train.labels);
  EXPECT_EQ(second.class_ids, first.class_ids);
  EXPECT_EQ(second.subjects[0].rows_per_activity, first.subjects[0].rows_per_activity);

  o.window_length = 50;  // other options: another entry
  Pamap2Data third = load_pamap2(dir.path(), o);
  EXPECT_FALSE(third.from_cache);
  EXPECT_NE(third.cache_file, first.cache_file);

  o.window_length = 100;  // a changed source file: rebuilt
  write_subject(dir.path(), "Protocol", 101, rows_of({{1, 500}}));
  Pamap2Data fourth = load_pamap2(dir.path(), o);
  EXPECT_FALSE(fourth.from_cache);
  EXPECT_EQ(fourth.train.n, 9);

  testing::write_file(fourth.cache_file, "garbage");  // a damaged entry: rebuilt
  Pamap2Data fifth = load_pamap2(dir.path(), o);
  EXPECT_FALSE(fifth.from_cache);
  EXPECT_EQ(fifth.train.x, fourth.train.x);
  EXPECT_TRUE(load_pamap2(dir.path(), o).from_cache);
}

std::string load_error(const std::string& dir, const Pamap2Options& o) {
  try {
    load_pamap2(dir, o);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

TEST(Pamap2Load, BadInputIsAClearError) {
  TempDir dir;
  EXPECT_THAT(load_error(dir.path(), hand_only()), HasSubstr("no Protocol/ folder"));
  write_subject(dir.path(), "Protocol", 101, rows_of({{1, 300}}));
  Pamap2Options o = hand_only();
  o.validation_subjects = {105};
  EXPECT_THAT(load_error(dir.path(), o), HasSubstr("validation subject 105 not found"));
  o = hand_only();
  o.train_subjects = {101};
  o.test_subjects = {101};
  EXPECT_THAT(load_error(dir.path(), o), HasSubstr("subject 101 is in both the train and the test subjects"));
  o = hand_only();
  o.channels = {"hand.accel"};
  EXPECT_THAT(load_error(dir.path(), o), HasSubstr("unknown PAMAP2 channel group 'hand.accel'"));
  o = hand_only();
  o.overlap = 1.0;
  EXPECT_THAT(load_error(dir.path(), o), HasSubstr("overlap"));
  o = hand_only();
  o.window_length = 1000;
  EXPECT_THAT(load_error(dir.path(), o), HasSubstr("no training windows"));
  testing::write_file(dir / "Protocol/subject102.dat", "1 1 NaN 2\n");
  EXPECT_THAT(load_error(dir.path(), hand_only()), HasSubstr("subject102.dat:1: expected 54 columns, got 4"));
  testing::write_file(dir / "Protocol/subject102.dat", "");
  EXPECT_THAT(load_error(dir.path(), hand_only()), HasSubstr("subject102.dat: file holds no rows"));
}

}  // namespace
}  // namespace powertrain
