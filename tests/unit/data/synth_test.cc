// The generators write the real formats, and what they write is learnable:
// a nearest-centroid classifier (no training) already beats chance by far.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "powertrain/data/celeba.h"
#include "powertrain/data/pamap2.h"
#include "powertrain/data/synth.h"
#include "support/test_util.h"

namespace powertrain {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

// Accuracy of the nearest class mean, fitted on `train`, on `test`.
double nearest_centroid(const std::vector<std::vector<float>>& train, const std::vector<int64_t>& train_y,
                        const std::vector<std::vector<float>>& test, const std::vector<int64_t>& test_y) {
  std::map<int64_t, std::vector<double>> sum;
  std::map<int64_t, int> count;
  for (size_t i = 0; i < train.size(); ++i) {
    auto& s = sum[train_y[i]];
    s.resize(train[i].size());
    for (size_t k = 0; k < train[i].size(); ++k) s[k] += train[i][k];
    ++count[train_y[i]];
  }
  int correct = 0;
  for (size_t i = 0; i < test.size(); ++i) {
    double best = 1e300;
    int64_t guess = -1;
    for (auto& [label, s] : sum) {
      double d = 0;
      for (size_t k = 0; k < s.size(); ++k) {
        double diff = test[i][k] - s[k] / count[label];
        d += diff * diff;
      }
      if (d < best) best = d, guess = label;
    }
    correct += guess == test_y[i];
  }
  return test.empty() ? 0 : static_cast<double>(correct) / test.size();
}

// Per channel: mean and standard deviation over the window.
std::vector<std::vector<float>> window_features(const WindowSet& s) {
  std::vector<std::vector<float>> out;
  for (int64_t w = 0; w < s.n; ++w) {
    std::vector<float> f;
    for (int64_t c = 0; c < s.channels; ++c) {
      const float* v = &s.x[(w * s.channels + c) * s.length];
      double mean = 0, sq = 0;
      for (int64_t t = 0; t < s.length; ++t) mean += v[t];
      mean /= s.length;
      for (int64_t t = 0; t < s.length; ++t) sq += (v[t] - mean) * (v[t] - mean);
      f.push_back(static_cast<float>(mean));
      f.push_back(static_cast<float>(std::sqrt(sq / s.length)));
    }
    out.push_back(f);
  }
  return out;
}

TEST(SynthPamap2, WritesTheRawFormat) {
  TempDir dir;
  Pamap2SynthOptions o;
  o.subjects = {101, 102};
  o.minutes = 1.0;
  o.optional_minutes = 0.5;
  synth_pamap2(dir.path(), o);
  Pamap2Table t = read_pamap2_file(dir / "Protocol/subject101.dat");
  EXPECT_NEAR(t.rows, 6000, 60);
  std::set<int> activities;
  int64_t heart_rate_present = 0, imu_nan = 0;
  for (int64_t r = 0; r < t.rows; ++r) {
    const float* row = &t.values[r * kPamap2Columns];
    activities.insert(static_cast<int>(row[1]));
    heart_rate_present += !std::isnan(row[2]);
    imu_nan += std::isnan(row[4]);
    if (r > 0) {
      EXPECT_NEAR(row[0] - row[-kPamap2Columns], 0.01, 1e-3);
    }
    if (!std::isnan(row[3])) {
      EXPECT_EQ(row[16], 1.0f);  // orientation: invalid, 1 0 0 0
      EXPECT_EQ(row[17], 0.0f);
      double g = std::sqrt(row[4] * row[4] + row[5] * row[5] + row[6] * row[6]);
      EXPECT_GT(g, 0.5);
      EXPECT_LT(g, 30);
    }
  }
  EXPECT_EQ(activities, (std::set<int>{0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 16, 17, 24}));
  EXPECT_NEAR(static_cast<double>(heart_rate_present) / t.rows, 1.0 / 11, 0.01);  // ~9 Hz
  EXPECT_LT(imu_nan, t.rows / 20);
  Pamap2Table optional = read_pamap2_file(dir / "Optional/subject102.dat");
  EXPECT_NEAR(optional.rows, 3000, 60);

  // The same seed writes the same bytes; another seed other bytes.
  TempDir again, other;
  synth_pamap2(again.path(), o);
  EXPECT_EQ(testing::slurp(dir / "Protocol/subject102.dat"), testing::slurp(again / "Protocol/subject102.dat"));
  o.seed = 2;
  synth_pamap2(other.path(), o);
  EXPECT_NE(testing::slurp(dir / "Protocol/subject102.dat"), testing::slurp(other / "Protocol/subject102.dat"));
}

TEST(SynthPamap2, ActivitiesAreLearnableAcrossSubjects) {
  TempDir dir;
  Pamap2SynthOptions o;
  o.subjects = {101, 102, 103, 105, 106};
  o.minutes = 2.0;
  synth_pamap2(dir.path(), o);
  Pamap2Options load;
  load.use_cache = false;
  Pamap2Data d = load_pamap2(dir.path(), load);
  EXPECT_EQ(d.class_ids.size(), 12u);
  ASSERT_GT(d.test.n, 100);
  double accuracy = nearest_centroid(window_features(d.train), d.train.labels, window_features(d.test), d.test.labels);
  EXPECT_GT(accuracy, 0.6) << "chance is 1/12";
}

TEST(SynthCeleba, WritesTheLayoutAndIdentitiesAreLearnable) {
  TempDir dir;
  CelebaSynthOptions o;
  o.identities = 6;
  o.images_per_identity = 20;
  synth_celeba(dir.path(), o);
  CelebaAttributeTable attr =
      parse_celeba_attributes(testing::slurp(dir / "list_attr_celeba.txt"), "list_attr_celeba.txt");
  CelebaIdentityTable ids = parse_celeba_identities(testing::slurp(dir / "identity_CelebA.txt"), "identity");
  CelebaPartitionTable part =
      parse_celeba_partition(testing::slurp(dir / "list_eval_partition.txt"), "list_eval_partition.txt");
  ASSERT_EQ(attr.declared_count, static_cast<int64_t>(attr.files.size()));
  EXPECT_EQ(ids.files, attr.files);
  EXPECT_EQ(part.files, attr.files);
  EXPECT_EQ(attr.names[15], "Eyeglasses");
  EXPECT_EQ(std::set<int>(ids.identity_ids.begin(), ids.identity_ids.end()).size(), 6u);
  EXPECT_EQ(attr.files.front(), "000001.jpg");
  EXPECT_NEAR(static_cast<double>(attr.files.size()), 120, 18);
  // The official partition keeps identities apart.
  std::map<int, std::set<DataSplit>> splits;
  for (size_t i = 0; i < ids.files.size(); ++i) splits[ids.identity_ids[i]].insert(part.splits[i]);
  for (auto& [id, s] : splits) EXPECT_EQ(s.size(), 1u);

  std::string first = testing::slurp(dir / "img_align_celeba/000001.jpg");
  ASSERT_GT(first.size(), 1000u);
  std::vector<unsigned char> full(218 * 178 * 3);
  decode_jpeg_resized(reinterpret_cast<const unsigned char*>(first.data()), first.size(), 218, 178, full.data(),
                      "000001.jpg");

  CelebaOptions co;
  co.top_identities = 6;
  co.image_height = co.image_width = 32;
  CelebaDataset d(dir.path(), co);
  auto images = [&](DataSplit split, std::vector<int64_t>& labels, std::vector<std::array<float, 40>>* attributes) {
    const auto& items = d.items(split);
    int64_t n = static_cast<int64_t>(items.size());
    std::vector<int64_t> idx(n);
    for (int64_t i = 0; i < n; ++i) idx[i] = i;
    std::vector<float> buffer(n * 3 * 32 * 32);
    labels.resize(n);
    d.fill_batch(split, idx.data(), n, buffer.data(), labels.data());
    std::vector<std::vector<float>> out;
    for (int64_t i = 0; i < n; ++i) {
      out.emplace_back(buffer.begin() + i * 3 * 1024, buffer.begin() + (i + 1) * 3 * 1024);
      if (attributes) attributes->push_back(items[i].attributes);
    }
    return out;
  };
  std::vector<int64_t> train_y, test_y;
  std::vector<std::array<float, 40>> train_attr, test_attr;
  auto train = images(DataSplit::train, train_y, &train_attr);
  // Validation and test together, to have enough held-out images.
  auto test = images(DataSplit::test, test_y, &test_attr);
  std::vector<int64_t> val_y;
  std::vector<std::array<float, 40>> val_attr;
  auto val = images(DataSplit::validation, val_y, &val_attr);
  test.insert(test.end(), val.begin(), val.end());
  test_y.insert(test_y.end(), val_y.begin(), val_y.end());
  test_attr.insert(test_attr.end(), val_attr.begin(), val_attr.end());
  ASSERT_GE(test.size(), 18u);
  EXPECT_GT(nearest_centroid(train, train_y, test, test_y), 0.9) << "chance is 1/6";

  // Smiling: with brightness and each identity's mean image taken out,
  // smiles separate.
  for (auto* xs : {&train, &test})
    for (auto& x : *xs) {
      double mean = 0, sq = 0;
      for (float v : x) mean += v;
      mean /= x.size();
      for (float v : x) sq += (v - mean) * (v - mean);
      double sd = std::sqrt(sq / x.size()) + 1e-6;
      for (float& v : x) v = static_cast<float>((v - mean) / sd);
    }
  std::map<int64_t, std::vector<double>> identity_mean;
  std::map<int64_t, int> identity_count;
  for (size_t i = 0; i < train.size(); ++i) {
    auto& m = identity_mean[train_y[i]];
    m.resize(train[i].size());
    for (size_t k = 0; k < m.size(); ++k) m[k] += train[i][k];
    ++identity_count[train_y[i]];
  }
  auto centre = [&](std::vector<std::vector<float>>& xs, const std::vector<int64_t>& ys) {
    for (size_t i = 0; i < xs.size(); ++i)
      for (size_t k = 0; k < xs[i].size(); ++k)
        xs[i][k] -= static_cast<float>(identity_mean[ys[i]][k] / identity_count[ys[i]]);
  };
  centre(train, train_y);
  centre(test, test_y);
  std::vector<int64_t> smile_train, smile_test;
  for (auto& a : train_attr) smile_train.push_back(a[31] > 0.5f);
  for (auto& a : test_attr) smile_test.push_back(a[31] > 0.5f);
  EXPECT_GT(nearest_centroid(train, smile_train, test, smile_test), 0.75) << "chance is about 1/2";
}

}  // namespace
}  // namespace powertrain
