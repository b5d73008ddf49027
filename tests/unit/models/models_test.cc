#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "powertrain/models/pamap2_cnn.h"
#include "powertrain/models/resnet.h"
#include "powertrain/models/safetensors.h"

namespace powertrain::models {
namespace {

TEST(Pamap2Cnn, EncoderShapes) {
  Pamap2CnnOptions options;
  options.in_channels = 27;
  options.window_length = 128;
  Pamap2Encoder encoder(options);
  EXPECT_EQ(encoder->feature_length(), 16);
  EXPECT_EQ(encoder->feature_size(), 64 * 16);
  torch::Tensor out = encoder->forward(torch::randn({5, 27, 128}));
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{5, 64, 16}));
}

TEST(Pamap2Cnn, DecoderMirrorsEncoderForOddLengthsAndEvenKernels) {
  for (int64_t length : {100, 128, 37}) {
    Pamap2CnnOptions options;
    options.in_channels = 9;
    options.window_length = length;
    options.channels = {16, 8, 4};
    options.kernels = {9, 4, 5};
    Pamap2Encoder encoder(options);
    Pamap2Decoder decoder(options);
    torch::Tensor x = torch::randn({3, 9, length});
    torch::Tensor features = encoder->forward(x);
    EXPECT_EQ(features.size(2), encoder->feature_length()) << length;
    EXPECT_EQ(decoder->forward(features).sizes(), x.sizes()) << length;
  }
}

TEST(Pamap2Cnn, RejectsBadOptions) {
  Pamap2CnnOptions options;
  options.kernels = {9, 5};
  EXPECT_THROW(Pamap2Encoder{options}, std::invalid_argument);
  options = {};
  options.window_length = 4;  // three pooling blocks need >= 8
  EXPECT_THROW(Pamap2Encoder{options}, std::invalid_argument);
}

TEST(ClassifierHead, OutputsOneLogitPerClass) {
  ClassifierHead head(64 * 16, 12, 32, 0.1);
  EXPECT_EQ(head->forward(torch::randn({4, 64, 16})).sizes(), (std::vector<int64_t>{4, 12}));
  ClassifierHead linear(10, 3, 0, 0.0);
  EXPECT_EQ(linear->parameters().size(), 2u);
}

TEST(ResNet18, HasTimmParameterNames) {
  ResNet18 net;
  std::set<std::string> names;
  for (const auto& [name, t] : state_dict(*net)) names.insert(name);
  for (const char* expected :
       {"conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
        "bn1.num_batches_tracked", "layer1.0.conv1.weight", "layer1.1.bn2.bias",
        "layer2.0.downsample.0.weight", "layer2.0.downsample.1.running_var",
        "layer4.1.conv2.weight"}) {
    EXPECT_TRUE(names.count(expected)) << expected;
  }
  EXPECT_FALSE(names.count("layer1.0.downsample.0.weight"));
  EXPECT_FALSE(names.count("fc.weight"));
  // torchvision's resnet18 has 11,689,512 parameters, 513,000 of them in fc.
  int64_t count = 0;
  for (const auto& p : net->parameters()) count += p.numel();
  EXPECT_EQ(count, 11689512 - 513000);
  // conv1 + bn1 (3), 8 blocks x 6, 3 downsamples x 3: 60 tensors without fc.
  EXPECT_EQ(net->parameters().size(), 60u);
}

TEST(ResNet18, PoolsToFeatures) {
  ResNet18 net;
  net->eval();
  torch::NoGradGuard no_grad;
  EXPECT_EQ(net->forward(torch::randn({2, 3, 32, 32})).sizes(),
            (std::vector<int64_t>{2, ResNet18Impl::kFeatures}));
}

}  // namespace
}  // namespace powertrain::models
