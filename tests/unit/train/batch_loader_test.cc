#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "train/batch_loader.h"

namespace powertrain::train {
namespace {

SplitTensors numbered(int64_t n) {
  torch::Tensor x = torch::arange(n, torch::kFloat32).view({n, 1, 1}).repeat({1, 2, 3});
  return make_split(x, torch::arange(n, torch::kInt64), {});
}

void expect_each_row_once(const SplitTensors& split, BatchLoaderOptions options, int64_t n) {
  BatchLoader loader(split, options);
  std::set<int64_t> seen;
  int64_t batches = 0;
  while (auto batch = loader.next()) {
    ++batches;
    ASSERT_LE(batch->size(), options.batch_size);
    for (int64_t i = 0; i < batch->size(); ++i) {
      const int64_t label = batch->labels[i].item<int64_t>();
      // Inputs travel with their labels.
      EXPECT_EQ(batch->inputs[i][1][2].item<float>(), static_cast<float>(label));
      EXPECT_TRUE(seen.insert(label).second) << label;
    }
  }
  EXPECT_EQ(static_cast<int64_t>(seen.size()), n);
  EXPECT_EQ(batches, loader.batches());
  EXPECT_FALSE(loader.next().has_value());
}

TEST(BatchLoader, ThreadedAndInlineGiveEveryRowOnce) {
  SplitTensors split = numbered(103);
  BatchLoaderOptions options;
  options.batch_size = 10;
  options.prefetch = 2;
  expect_each_row_once(split, options, 103);
  options.threaded = false;
  expect_each_row_once(split, options, 103);
}

TEST(BatchLoader, ShuffleIsSeededAndDropsASingleLastSample) {
  SplitTensors split = numbered(21);
  BatchLoaderOptions options;
  options.batch_size = 10;
  options.seed = 5;
  BatchLoader a(split, options), b(split, options);
  EXPECT_EQ(a.batches(), 2);  // 10 + 10, the 21st sample alone is dropped
  EXPECT_TRUE(torch::equal(a.next()->labels, b.next()->labels));
  options.seed = 6;
  BatchLoader c(split, options);
  EXPECT_FALSE(torch::equal(a.next()->labels, c.next()->labels));
}

TEST(BatchLoader, UsesTheFillFunctionAndPassesItsErrorsOn) {
  SplitTensors split;
  split.n = 8;
  split.sample_shape = {3};
  split.has_labels = true;
  split.fill = [](const int64_t* rows, int64_t count, float* inputs, int64_t* labels, float*) {
    for (int64_t i = 0; i < count; ++i) {
      if (rows[i] == 7) throw std::runtime_error("image 7 is corrupt");
      for (int j = 0; j < 3; ++j) inputs[i * 3 + j] = static_cast<float>(rows[i]);
      labels[i] = rows[i];
    }
  };
  BatchLoaderOptions options;
  options.batch_size = 4;
  options.shuffle = false;
  BatchLoader loader(split, options);
  auto first = loader.next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->inputs[2][1].item<float>(), 2.0f);
  EXPECT_EQ(first->labels[3].item<int64_t>(), 3);
  EXPECT_THROW(loader.next(), std::runtime_error);
}

}  // namespace
}  // namespace powertrain::train
