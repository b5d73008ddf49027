#include <stdexcept>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "powertrain/data/celeba.h"
#include "support/test_util.h"

namespace powertrain {
namespace {

using ::testing::HasSubstr;

const std::string kRealDir = std::string(POWERTRAIN_SHARED_DATA_DIR) + "/celeba";

std::string names_line() {
  std::string line;
  for (int a = 0; a < kCelebaAttributes; ++a) line += "A" + std::to_string(a) + " ";
  return line;
}

std::string values(int count, int positive_index = -1) {
  std::string line;
  for (int a = 0; a < count; ++a) line += a == positive_index ? "  1" : " -1";
  return line;
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(CelebaParse, RealAttributeFile) {
  std::string path = kRealDir + "/list_attr_celeba.txt";
  CelebaAttributeTable t = parse_celeba_attributes(testing::slurp(path), path);
  EXPECT_EQ(t.declared_count, 202599);  // the count line is not what the file holds
  ASSERT_EQ(t.files.size(), 20000u);
  ASSERT_EQ(t.names.size(), 40u);
  EXPECT_EQ(t.names.front(), "5_o_Clock_Shadow");
  EXPECT_EQ(t.names[31], "Smiling");
  EXPECT_EQ(t.names.back(), "Young");
  EXPECT_EQ(t.files.front(), "000001.jpg");
  EXPECT_EQ(t.files.back(), "020000.jpg");
  // 000001.jpg: -1  1  1 -1 ...
  EXPECT_EQ(t.values[0][0], 0.0f);
  EXPECT_EQ(t.values[0][1], 1.0f);
  EXPECT_EQ(t.values[0][2], 1.0f);
  EXPECT_EQ(t.values[0][39], 1.0f);
}

TEST(CelebaParse, RealIdentityAndPartitionFiles) {
  std::string id_path = kRealDir + "/identity_CelebA.txt";
  CelebaIdentityTable ids = parse_celeba_identities(testing::slurp(id_path), id_path);
  ASSERT_EQ(ids.files.size(), 202599u);
  EXPECT_EQ(ids.files[0], "000001.jpg");
  EXPECT_EQ(ids.identity_ids[0], 2880);
  EXPECT_EQ(ids.identity_ids.back(), 10101);
  std::string part_path = kRealDir + "/list_eval_partition.txt";
  CelebaPartitionTable part = parse_celeba_partition(testing::slurp(part_path), part_path);
  ASSERT_EQ(part.files.size(), 202599u);
  EXPECT_EQ(part.splits.front(), DataSplit::train);
  EXPECT_EQ(part.splits.back(), DataSplit::test);
}

TEST(CelebaParse, AttributeRowWith39ValuesNamesFileAndLine) {
  std::string text = "2\r\n" + names_line() + "\r\na.jpg" + values(40) + "\r\nb.jpg" + values(39) + "\r\n";
  EXPECT_THAT(error_of([&] { parse_celeba_attributes(text, "list_attr_celeba.txt"); }),
              HasSubstr("list_attr_celeba.txt:4: expected 40 attribute values after 'b.jpg', got 39"));
}

TEST(CelebaParse, AttributeErrors) {
  auto err = [](const std::string& text) {
    return error_of([&] { parse_celeba_attributes(text, "attr.txt"); });
  };
  EXPECT_THAT(err(""), HasSubstr("attr.txt: file is empty"));
  EXPECT_THAT(err("abc\n"), HasSubstr("attr.txt:1: expected the image count on line 1"));
  EXPECT_THAT(err("3\n"), HasSubstr("ends before the attribute names"));
  EXPECT_THAT(err("3\nA B C\n"), HasSubstr("attr.txt:2: expected 40 attribute names, got 3"));
  EXPECT_THAT(err("1\n" + names_line() + "\na.jpg" + values(40).replace(3, 3, " 0") + "\n"),
              HasSubstr("attr.txt:3, column 3: expected -1 or 1, got '0'"));
  EXPECT_THAT(err("1\n" + names_line() + "\na.jpg" + values(41) + "\n"), HasSubstr("got 41"));
}

TEST(CelebaParse, AttributeValuesAndBlankLines) {
  std::string text = "5\n" + names_line() + "\n\na.jpg" + values(40, 7) + "\n\n";
  CelebaAttributeTable t = parse_celeba_attributes(text, "attr.txt");
  ASSERT_EQ(t.files.size(), 1u);
  for (int a = 0; a < kCelebaAttributes; ++a) EXPECT_EQ(t.values[0][a], a == 7 ? 1.0f : 0.0f);
}

TEST(CelebaParse, IdentityFileWithOrWithoutHeader) {
  CelebaIdentityTable a = parse_celeba_identities("image_id identity\n1.jpg 5\n2.jpg 7\n", "id.txt");
  EXPECT_EQ(a.files, (std::vector<std::string>{"1.jpg", "2.jpg"}));
  EXPECT_EQ(a.identity_ids, (std::vector<int>{5, 7}));
  CelebaIdentityTable b = parse_celeba_identities("1.jpg 5\r\n2.jpg 7", "id.txt");
  EXPECT_EQ(b.identity_ids, (std::vector<int>{5, 7}));
  EXPECT_THAT(error_of([] { parse_celeba_identities("1.jpg 5\n2.jpg x\n", "id.txt"); }),
              HasSubstr("id.txt:2: expected an identity number, got 'x'"));
  EXPECT_THAT(error_of([] { parse_celeba_identities("1.jpg 5\n2.jpg\n", "id.txt"); }),
              HasSubstr("id.txt:2: expected 'file identity'"));
  EXPECT_THAT(error_of([] { parse_celeba_identities("1.jpg 5 6\n", "id.txt"); }),
              HasSubstr("file holds no identity rows"));
  EXPECT_THAT(error_of([] { parse_celeba_identities("", "id.txt"); }), HasSubstr("no identity rows"));
}

TEST(CelebaParse, PartitionErrors) {
  EXPECT_THAT(error_of([] { parse_celeba_partition("a.jpg 0\nb.jpg 3\n", "part.txt"); }),
              HasSubstr("part.txt:2: expected partition 0, 1 or 2, got '3'"));
  EXPECT_THAT(error_of([] { parse_celeba_partition("a.jpg\n", "part.txt"); }),
              HasSubstr("part.txt:1: expected 'file 0|1|2'"));
  CelebaPartitionTable t = parse_celeba_partition("a.jpg 2\nb.jpg 1\n", "part.txt");
  EXPECT_EQ(t.splits, (std::vector<DataSplit>{DataSplit::test, DataSplit::validation}));
}

}  // namespace
}  // namespace powertrain
