#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "powertrain/data/celeba.h"
#include "support/test_util.h"

namespace powertrain {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;
namespace fs = std::filesystem;

const std::string kRealDir = std::string(POWERTRAIN_SHARED_DATA_DIR) + "/celeba";

int64_t total(const CelebaDataset& d) {
  return static_cast<int64_t>(d.items(DataSplit::train).size() +
                              d.items(DataSplit::validation).size() +
                              d.items(DataSplit::test).size());
}

TEST(CelebaDataset, RealFilesTopFortyIdentitiesHold1238Images) {
  CelebaDataset d(kRealDir);  // identity task, K = 40
  EXPECT_EQ(d.summary().top_identity_images, 1238);
  EXPECT_EQ(total(d), 1238);
  ASSERT_EQ(d.identity_ids().size(), 40u);
  EXPECT_TRUE(std::is_sorted(d.identity_ids().begin(), d.identity_ids().end()));
  EXPECT_EQ(d.summary().identity_rows, 202599);
  EXPECT_EQ(d.summary().attribute_rows, 20000);
  // Per-identity split: every identity is in train, validation and test.
  std::map<int64_t, std::set<int>> splits_of;
  for (int s = 0; s < 3; ++s)
    for (const auto& item : d.items(static_cast<DataSplit>(s))) {
      ASSERT_GE(item.identity_label, 0);
      ASSERT_LT(item.identity_label, 40);
      EXPECT_EQ(d.identity_ids()[item.identity_label], item.identity_id);
      splits_of[item.identity_label].insert(s);
    }
  EXPECT_EQ(splits_of.size(), 40u);
  for (const auto& [label, splits] : splits_of) EXPECT_EQ(splits.size(), 3u) << label;
  EXPECT_NEAR(d.items(DataSplit::train).size() / 1238.0, 0.8, 0.02);
  // The ranking of the identity file: 35 images each for 2820, 3227, 3782.
  for (int id : {2820, 3227, 3782})
    EXPECT_TRUE(std::binary_search(d.identity_ids().begin(), d.identity_ids().end(), id)) << id;
}

TEST(CelebaDataset, SplitIsSeededAndFractionsConfigurable) {
  CelebaOptions o;
  o.top_identities = 10;
  CelebaDataset a(kRealDir, o), b(kRealDir, o);
  ASSERT_EQ(a.items(DataSplit::test).size(), b.items(DataSplit::test).size());
  for (size_t i = 0; i < a.items(DataSplit::test).size(); ++i)
    EXPECT_EQ(a.items(DataSplit::test)[i].file, b.items(DataSplit::test)[i].file);
  o.split_seed = 7;
  CelebaDataset c(kRealDir, o);
  std::set<std::string> test_a, test_c;
  for (const auto& item : a.items(DataSplit::test)) test_a.insert(item.file);
  for (const auto& item : c.items(DataSplit::test)) test_c.insert(item.file);
  EXPECT_NE(test_a, test_c);
  o.train_fraction = 0.5;
  o.validation_fraction = 0.5;
  CelebaDataset e(kRealDir, o);
  EXPECT_TRUE(e.items(DataSplit::test).empty());
  EXPECT_NEAR(static_cast<double>(e.items(DataSplit::train).size()) / total(e), 0.5, 0.05);
}

TEST(CelebaDataset, RealAttributesTaskUsesTheOfficialPartition) {
  CelebaOptions o;
  o.task = CelebaTask::attributes;
  CelebaDataset d(kRealDir, o);
  EXPECT_EQ(total(d), 20000);                           // the rows the attribute excerpt holds
  EXPECT_EQ(d.items(DataSplit::train).size(), 20000u);  // 000001..020000 are all in partition 0
  EXPECT_TRUE(d.identity_ids().empty());
  const CelebaItem& first = d.items(DataSplit::train).front();
  EXPECT_EQ(first.file, "000001.jpg");
  EXPECT_EQ(first.identity_id, 2880);
  EXPECT_EQ(first.identity_label, -1);
  EXPECT_TRUE(first.has_attributes);
  EXPECT_EQ(first.attributes[1], 1.0f);
}

TEST(CelebaDataset, BothTaskKeepsTopIdentityImagesWithAttributes) {
  CelebaOptions o;
  o.task = CelebaTask::both;
  CelebaDataset d(kRealDir, o);
  EXPECT_GT(total(d), 0);
  EXPECT_LT(total(d), 1238);
  for (int s = 0; s < 3; ++s)
    for (const auto& item : d.items(static_cast<DataSplit>(s))) {
      EXPECT_TRUE(item.has_attributes);
      EXPECT_GE(item.identity_label, 0);
    }
}

TEST(CelebaDataset, DecodesTheTwoRealJpegs) {
  for (const char* name : {"119900.jpg", "200426.jpg"}) {
    std::string path = kRealDir + "/img_align_celeba/" + name;
    std::string bytes = testing::slurp(path);
    std::vector<unsigned char> out(64 * 48 * 3, 0);
    decode_jpeg_resized(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), 64, 48,
                        out.data(), path);
    double mean = 0;
    int distinct = 0;
    std::set<unsigned char> seen;
    for (unsigned char v : out) {
      mean += v;
      seen.insert(v);
    }
    distinct = static_cast<int>(seen.size());
    mean /= out.size();
    EXPECT_GT(mean, 20) << name;  // a photo, not a black frame
    EXPECT_LT(mean, 235) << name;
    EXPECT_GT(distinct, 100) << name;
  }
}

TEST(CelebaDataset, ResizeKeepsAFlatColourAndMatchesFullDecode) {
  // A full-size decode (no DCT scaling) and a scaled one agree on average.
  std::string path = kRealDir + "/img_align_celeba/200426.jpg";
  std::string bytes = testing::slurp(path);
  auto data = reinterpret_cast<const unsigned char*>(bytes.data());
  std::vector<unsigned char> full(218 * 178 * 3), small(32 * 32 * 3);
  decode_jpeg_resized(data, bytes.size(), 218, 178, full.data(), path);
  decode_jpeg_resized(data, bytes.size(), 32, 32, small.data(), path);
  for (int c = 0; c < 3; ++c) {
    double a = 0, b = 0;
    for (size_t i = c; i < full.size(); i += 3) a += full[i];
    for (size_t i = c; i < small.size(); i += 3) b += small[i];
    EXPECT_NEAR(a / (full.size() / 3), b / (small.size() / 3), 3.0) << c;
  }
}

TEST(CelebaDataset, CorruptJpegIsAnErrorNamingTheFile) {
  std::string bytes = testing::slurp(kRealDir + "/img_align_celeba/200426.jpg");
  std::vector<unsigned char> out(16 * 16 * 3);
  std::string truncated = bytes.substr(0, bytes.size() / 2);
  for (const std::string& bad : {std::string("not a jpeg"), truncated, std::string()}) {
    try {
      decode_jpeg_resized(reinterpret_cast<const unsigned char*>(bad.data()), bad.size(), 16, 16,
                          out.data(), "x/broken.jpg");
      ADD_FAILURE() << "no error for " << bad.size() << " bytes";
    } catch (const std::runtime_error& e) {
      EXPECT_THAT(e.what(), HasSubstr("x/broken.jpg"));
    }
  }
}

// A small dataset built from the two real images: two identities.
struct TwoImageDataset {
  TempDir dir;
  TwoImageDataset() {
    fs::create_directories(dir / "img_align_celeba");
    fs::copy_file(kRealDir + "/img_align_celeba/200426.jpg", dir / "img_align_celeba/a.jpg");
    fs::copy_file(kRealDir + "/img_align_celeba/119900.jpg", dir / "img_align_celeba/b.jpg");
    std::string names, attr_a, attr_b;
    for (int i = 0; i < kCelebaAttributes; ++i) {
      names += "N" + std::to_string(i) + " ";
      attr_a += i == 3 ? "  1" : " -1";
      attr_b += " -1";
    }
    testing::write_file(dir / "list_attr_celeba.txt",
                        "2\r\n" + names + "\r\na.jpg" + attr_a + "\r\nb.jpg" + attr_b + "\r\n");
    testing::write_file(dir / "identity_CelebA.txt", "a.jpg 7\nb.jpg 3\nc.jpg 9\n");
    testing::write_file(dir / "list_eval_partition.txt", "a.jpg 0\nb.jpg 0\nc.jpg 1\n");
  }
  CelebaOptions options() const {
    CelebaOptions o;
    o.task = CelebaTask::attributes;
    o.image_height = 40;
    o.image_width = 30;
    return o;
  }
};

TEST(CelebaDataset, FillBatchNormalisesAndFlips) {
  TwoImageDataset t;
  CelebaDataset d(t.dir.path(), t.options());
  ASSERT_EQ(d.items(DataSplit::train).size(), 2u);
  const int64_t plane = 40 * 30;
  std::vector<float> images(2 * 3 * plane), attributes(2 * 40);
  std::vector<int64_t> labels(2);
  int64_t indices[] = {0, 1};
  d.fill_batch(DataSplit::train, indices, 2, images.data(), labels.data(), attributes.data());
  EXPECT_EQ(attributes[3], 1.0f);
  EXPECT_EQ(attributes[40 + 3], 0.0f);
  EXPECT_EQ(labels[0], -1);
  // Against the decoder: (v / 255 - mean) / std, channel-major.
  std::string bytes = testing::slurp(t.dir / "img_align_celeba/a.jpg");
  std::vector<unsigned char> raw(plane * 3);
  decode_jpeg_resized(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), 40, 30,
                      raw.data(), "a");
  const float mean[3] = {0.485f, 0.456f, 0.406f}, stdev[3] = {0.229f, 0.224f, 0.225f};
  for (int c = 0; c < 3; ++c)
    for (int64_t p : {int64_t{0}, int64_t{517}, plane - 1})
      EXPECT_NEAR(images[c * plane + p], (raw[p * 3 + c] / 255.0f - mean[c]) / stdev[c], 1e-5);

  // Flips: with a seeded rng, some images are mirrored, and the same seed
  // gives the same batch (cached or not).
  std::vector<float> flipped(images.size());
  int64_t many[16];
  for (int i = 0; i < 16; ++i) many[i] = i % 2;
  std::vector<float> batch(16 * 3 * plane), again(16 * 3 * plane);
  std::mt19937_64 rng(5), rng_again(5);
  d.fill_batch(DataSplit::train, many, 16, batch.data(), nullptr, nullptr, &rng);
  CelebaOptions uncached = t.options();
  uncached.cache_images = false;
  uncached.threads = 3;
  CelebaDataset d2(t.dir.path(), uncached);
  d2.fill_batch(DataSplit::train, many, 16, again.data(), nullptr, nullptr, &rng_again);
  EXPECT_EQ(batch, again);
  int mirrored = 0, plain = 0;
  for (int i = 0; i < 16; ++i) {
    const float* img = &batch[i * 3 * plane];
    const float* ref = &images[(i % 2) * 3 * plane];
    bool same = std::equal(img, img + 3 * plane, ref);
    bool mirror = true;
    for (int c = 0; c < 3 && mirror; ++c)
      for (int y = 0; y < 40 && mirror; ++y)
        for (int x = 0; x < 30; ++x)
          if (img[c * plane + y * 30 + x] != ref[c * plane + y * 30 + (29 - x)]) {
            mirror = false;
            break;
          }
    EXPECT_TRUE(same || mirror) << i;
    mirrored += mirror && !same;
    plain += same;
  }
  EXPECT_GT(mirrored, 0);
  EXPECT_GT(plain, 0);
}

TEST(CelebaDataset, MissingOrCorruptImageNamesTheFile) {
  TwoImageDataset t;
  fs::remove(t.dir / "img_align_celeba/b.jpg");
  testing::write_file(t.dir / "img_align_celeba/a.jpg", "garbage");
  CelebaDataset d(t.dir.path(), t.options());
  std::vector<float> images(3 * 40 * 30);
  for (int64_t i : {0, 1}) {
    try {
      d.fill_batch(DataSplit::train, &i, 1, images.data());
      ADD_FAILURE() << "no error for item " << i;
    } catch (const std::runtime_error& e) {
      EXPECT_THAT(e.what(), HasSubstr(i == 0 ? "a.jpg" : "b.jpg"));
      if (i == 1) {
        EXPECT_THAT(e.what(), HasSubstr("b.jpg': No such file or directory"));
      }
    }
  }
  int64_t bad = 2;
  EXPECT_THROW(d.fill_batch(DataSplit::train, &bad, 1, images.data()), std::out_of_range);
}

TEST(CelebaDataset, MissingAnnotationFilesAndBadOptions) {
  TwoImageDataset t;
  CelebaOptions o = t.options();
  o.task = CelebaTask::identity;
  o.top_identities = 0;
  EXPECT_THROW(CelebaDataset(t.dir.path(), o), std::invalid_argument);
  fs::remove(t.dir / "list_eval_partition.txt");
  try {
    CelebaDataset d(t.dir.path(), t.options());
    ADD_FAILURE();
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("list_eval_partition.txt': No such file or directory"));
  }
  EXPECT_THROW(CelebaDataset("/nonexistent/celeba"), std::runtime_error);
  EXPECT_THROW(parse_celeba_task("faces"), std::invalid_argument);
}

}  // namespace
}  // namespace powertrain
