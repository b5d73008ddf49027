#include "powertrain/util/parse.h"

#include <gtest/gtest.h>

#include <cmath>

#include "util/strings.h"

namespace powertrain {
namespace {

TEST(Parse, NumbersAndErrorsNamingFileLineAndValue) {
  EXPECT_DOUBLE_EQ(parse_double("3.5"), 3.5);
  EXPECT_TRUE(std::isnan(parse_double("NaN")));
  EXPECT_EQ(parse_int("-12"), -12);
  try {
    parse_double("1.2.3", {"subject101.dat", 12, 7});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "subject101.dat:12, column 7: expected a number, got '1.2.3'");
  }
  EXPECT_THROW(parse_int("4x"), std::invalid_argument);
  EXPECT_THROW(parse_int(""), std::invalid_argument);
  EXPECT_THROW(parse_int("99999999999999999999999"), std::invalid_argument);
}

TEST(Strings, SplitTrimJoin) {
  EXPECT_EQ(split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(trim("  x y \n"), "x y");
  EXPECT_EQ(join({"a", "b"}, ", "), "a, b");
  EXPECT_THROW(read_file("/nonexistent/file"), std::runtime_error);
}

}  // namespace
}  // namespace powertrain
