#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "powertrain/data/pamap2.h"
#include "support/test_util.h"

namespace powertrain {
namespace {

using ::testing::HasSubstr;

// A line of 54 columns whose cells are "a.b" with b the 1-based column.
std::string line_of(int activity, const std::string& heart_rate = "NaN", int columns = kPamap2Columns) {
  std::string line = "8.38 " + std::to_string(activity) + " " + heart_rate;
  for (int c = 4; c <= columns; ++c) line += " " + std::to_string(c) + ".25";
  return line + "\n";
}

std::string error_of(const std::string& text, const std::string& name = "subject101.dat") {
  try {
    parse_pamap2_text(text, name);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(Pamap2Parse, ReadsColumnsAndNaN) {
  Pamap2Table t = parse_pamap2_text(line_of(4, "104") + line_of(0), "s.dat");
  ASSERT_EQ(t.rows, 2);
  ASSERT_EQ(t.values.size(), 2u * kPamap2Columns);
  EXPECT_FLOAT_EQ(t.values[0], 8.38f);
  EXPECT_FLOAT_EQ(t.values[1], 4.0f);
  EXPECT_FLOAT_EQ(t.values[2], 104.0f);
  EXPECT_FLOAT_EQ(t.values[53], 54.25f);
  EXPECT_TRUE(std::isnan(t.values[kPamap2Columns + 2]));
}

TEST(Pamap2Parse, MatchesStrtofOnRealLookingNumbers) {
  const char* tokens[] = {"2.37223",  "-0.0922174", "14.6806", "-69.2128", "0.000123456", "1e-05",
                          "-3.5E+02", "123456789012345678", "0.1", "+7.5", "0", "-0", "1.00000000000000000001"};
  for (const char* token : tokens) {
    std::string line = "1 1 " + std::string(token);
    for (int c = 4; c <= kPamap2Columns; ++c) line += " 0";
    Pamap2Table t = parse_pamap2_text(line, "x");
    EXPECT_EQ(t.values[2], std::strtof(token, nullptr)) << token;
  }
}

TEST(Pamap2Parse, ToleratesCrlfBlankLinesAndMissingFinalNewline) {
  std::string a = line_of(1);
  a.insert(a.size() - 1, "\r");
  std::string text = a + "\n" + line_of(2);
  text.pop_back();
  Pamap2Table t = parse_pamap2_text(text, "x");
  EXPECT_EQ(t.rows, 2);
  EXPECT_FLOAT_EQ(t.values[kPamap2Columns + 1], 2.0f);
}

TEST(Pamap2Parse, WrongColumnCountNamesFileAndLine) {
  EXPECT_THAT(error_of(line_of(1) + line_of(1, "NaN", 53)),
              HasSubstr("subject101.dat:2: expected 54 columns, got 53"));
  EXPECT_THAT(error_of(line_of(1, "NaN", 56)), HasSubstr("subject101.dat:1: expected 54 columns, got 56"));
}

TEST(Pamap2Parse, TruncatedFileIsAnError) {
  std::string text = line_of(1) + line_of(1);
  text.resize(text.size() - 40);
  EXPECT_THAT(error_of(text), HasSubstr("subject101.dat:2: expected 54 columns"));
}

TEST(Pamap2Parse, BadTokenNamesFileLineAndColumn) {
  std::string text = line_of(1) + line_of(1, "12x");
  EXPECT_THAT(error_of(text), HasSubstr("subject101.dat:2, column 3: expected a number or NaN, got '12x'"));
  EXPECT_THAT(error_of(line_of(1, "-")), HasSubstr("got '-'"));
  EXPECT_THAT(error_of(line_of(1, "1e")), HasSubstr("got '1e'"));
  EXPECT_THAT(error_of(line_of(1, std::string("\x01\xff", 2))), HasSubstr("got '\\x01\\xff'"));
}

TEST(Pamap2Parse, EmptyFileIsAnError) {
  EXPECT_THAT(error_of(""), HasSubstr("subject101.dat: file holds no rows"));
  EXPECT_THAT(error_of("\n\n  \n"), HasSubstr("file holds no rows"));
}

TEST(Pamap2Parse, StreamedFileReadMatchesWholeText) {
  // More than one 4 MB read block, so lines cross block boundaries.
  testing::TempDir dir;
  std::string text;
  for (int i = 0; text.size() < (9u << 20); ++i) text += line_of(i % 25, i % 11 ? "NaN" : "97");
  text.pop_back();  // the last line without a newline
  testing::write_file(dir / "s.dat", text);
  Pamap2Table streamed = read_pamap2_file(dir / "s.dat");
  Pamap2Table whole = parse_pamap2_text(text, "s.dat");
  ASSERT_EQ(streamed.rows, whole.rows);
  EXPECT_GT(streamed.rows, 20000);
  EXPECT_EQ(0, std::memcmp(streamed.values.data(), whole.values.data(), whole.values.size() * sizeof(float)));
}

TEST(Pamap2Parse, LineLongerThanAReadBlock) {
  testing::TempDir dir;
  std::string text;
  for (int i = 0; i < 3000000; ++i) text += "1 ";
  testing::write_file(dir / "long.dat", line_of(1) + text + "\n");
  try {
    read_pamap2_file(dir / "long.dat");
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("long.dat:2: expected 54 columns, got 3000000"));
  }
  testing::write_file(dir / "empty.dat", "");
  EXPECT_THROW(read_pamap2_file(dir / "empty.dat"), std::invalid_argument);
}

TEST(Pamap2Parse, MissingFileIsAnIoError) {
  EXPECT_THROW(read_pamap2_file("/nonexistent/subject101.dat"), std::runtime_error);
}

}  // namespace
}  // namespace powertrain
