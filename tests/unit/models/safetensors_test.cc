#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "powertrain/models/pamap2_cnn.h"
#include "powertrain/models/resnet.h"
#include "powertrain/models/safetensors.h"

namespace powertrain::models {
namespace {

namespace fs = std::filesystem;

class SafetensorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("pt_safetensors_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  static std::string read_bytes(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  static void write_bytes(const std::string& file, const std::string& bytes) {
    std::ofstream(file, std::ios::binary) << bytes;
  }
  // A file built by hand from the format description, not by our writer.
  static std::string handmade(const std::string& header, const std::string& data) {
    std::string out(8, '\0');
    uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    return out + header + data;
  }

  fs::path dir_;
};

TEST_F(SafetensorsTest, RoundTripKeepsValuesDtypesAndMetadata) {
  NamedTensors tensors = {
      {"a.weight", torch::randn({3, 4})},
      {"b.bias", torch::arange(5, torch::kInt64)},
      {"c", torch::tensor({1.5, -2.25}, torch::kFloat64)},
      {"d", torch::randn({2, 2}).to(torch::kFloat16)},
      {"e", torch::tensor({true, false, true})},
      {"scalar", torch::tensor(7.0f)},
      {"empty", torch::zeros({0, 3})},
  };
  save_safetensors(path("x.safetensors"), tensors, {{"format", "pt"}, {"task", "test"}});
  SafetensorsContents loaded = load_safetensors(path("x.safetensors"));
  ASSERT_EQ(loaded.tensors.size(), tensors.size());
  for (const auto& [name, t] : tensors) {
    ASSERT_TRUE(loaded.tensors.count(name)) << name;
    const torch::Tensor& got = loaded.tensors.at(name);
    EXPECT_EQ(got.scalar_type(), t.scalar_type()) << name;
    EXPECT_EQ(got.sizes(), t.sizes()) << name;
    EXPECT_TRUE(torch::equal(got, t)) << name;
  }
  EXPECT_EQ(loaded.metadata.at("format"), "pt");
  EXPECT_EQ(loaded.metadata.at("task"), "test");
}

TEST_F(SafetensorsTest, WritesTheDocumentedLayout) {
  save_safetensors(path("x.safetensors"), {{"w", torch::tensor({1.0f, 2.0f})}});
  const std::string bytes = read_bytes(path("x.safetensors"));
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  EXPECT_EQ((8 + n) % 8, 0u);  // data aligned
  ASSERT_EQ(bytes.size(), 8 + n + 8);
  auto header = nlohmann::json::parse(bytes.substr(8, n));
  EXPECT_EQ(header["w"]["dtype"], "F32");
  EXPECT_EQ(header["w"]["shape"], nlohmann::json::array({2}));
  EXPECT_EQ(header["w"]["data_offsets"], nlohmann::json::array({0, 8}));
  float values[2];
  std::memcpy(values, bytes.data() + 8 + n, 8);
  EXPECT_EQ(values[0], 1.0f);
  EXPECT_EQ(values[1], 2.0f);
}

TEST_F(SafetensorsTest, ReadsAHandmadeFile) {
  std::string data(12, '\0');
  const float f[2] = {0.5f, -1.0f};
  const int32_t i = 42;
  std::memcpy(data.data(), f, 8);
  std::memcpy(data.data() + 8, &i, 4);
  write_bytes(path("h.safetensors"),
              handmade(R"({"__metadata__":{"k":"v"},"b":{"dtype":"I32","shape":[1],"data_offsets":[8,12]},)"
                       R"("a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}})",
                       data));
  auto loaded = load_safetensors(path("h.safetensors"));
  EXPECT_TRUE(torch::equal(loaded.tensors.at("a"), torch::tensor({{0.5f, -1.0f}})));
  EXPECT_EQ(loaded.tensors.at("b").item<int32_t>(), 42);
  EXPECT_EQ(loaded.metadata.at("k"), "v");
}

void expect_runtime_error(const std::string& file, const std::string& fragment) {
  try {
    load_safetensors(file);
    ADD_FAILURE() << "no error for " << fragment;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST_F(SafetensorsTest, MalformedFilesGiveClearErrors) {
  expect_runtime_error(path("missing.safetensors"), "cannot open");
  write_bytes(path("short"), "abc");
  expect_runtime_error(path("short"), "shorter than 8 bytes");
  write_bytes(path("long"), handmade("{}", "").replace(0, 1, "\x7f"));
  expect_runtime_error(path("long"), "exceeds the file");
  write_bytes(path("json"), handmade("{not json", ""));
  expect_runtime_error(path("json"), "not JSON");
  write_bytes(path("dtype"), handmade(R"({"a":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}})", "x"));
  expect_runtime_error(path("dtype"), "unsupported dtype");
  write_bytes(path("offsets"),
              handmade(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", "abcd"));
  expect_runtime_error(path("offsets"), "do not fit shape [2]");
  write_bytes(path("past"),
              handmade(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", "abcd"));
  expect_runtime_error(path("past"), "data_offsets [4, 8]");
  write_bytes(path("fields"), handmade(R"({"a":{"dtype":"F32"}})", ""));
  expect_runtime_error(path("fields"), "lacks dtype, shape or data_offsets");
}

TEST_F(SafetensorsTest, ModuleRoundTripRestoresWeightsAndBuffers) {
  Pamap2CnnOptions options;
  options.in_channels = 6;
  options.window_length = 32;
  Pamap2Encoder a(options), b(options);
  a->forward(torch::randn({4, 6, 32}));  // moves batch-norm running stats
  save_module(path("enc.safetensors"), *a);
  load_module(path("enc.safetensors"), *b);
  auto sa = state_dict(*a), sb = state_dict(*b);
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i) {
    EXPECT_TRUE(torch::equal(sa[i].second, sb[i].second)) << sa[i].first;
  }
}

TEST_F(SafetensorsTest, MismatchListsMissingUnexpectedAndMisShapedKeys) {
  Pamap2CnnOptions options;
  options.in_channels = 6;
  options.window_length = 32;
  Pamap2Encoder encoder(options);
  auto tensors = load_safetensors([&] {
                   save_module(path("e.safetensors"), *encoder);
                   return path("e.safetensors");
                 }()).tensors;
  tensors.erase("blocks.0.0.weight");
  tensors["blocks.1.0.bias"] = torch::zeros({3});
  tensors["extra.weight"] = torch::zeros({1});
  const torch::Tensor before = encoder->named_parameters()["blocks.2.0.weight"].clone();
  tensors["blocks.2.0.weight"] = torch::ones_like(before);
  try {
    load_state_dict(*encoder, tensors, "weights.safetensors");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("weights.safetensors"), std::string::npos) << what;
    EXPECT_NE(what.find("1 missing (blocks.0.0.weight)"), std::string::npos) << what;
    EXPECT_NE(what.find("1 unexpected (extra.weight)"), std::string::npos) << what;
    EXPECT_NE(what.find("blocks.1.0.bias (file [3], model [64])"), std::string::npos) << what;
  }
  // Nothing was copied, not even the keys that matched.
  EXPECT_TRUE(torch::equal(encoder->named_parameters()["blocks.2.0.weight"], before));
}

TEST_F(SafetensorsTest, ImageNetStyleResNetFileLoadsIntoTheEncoder) {
  // timm's resnet18 weights: encoder keys, the 1000-class fc, and no
  // num_batches_tracked.
  ResNet18 source;
  NamedTensors tensors;
  for (const auto& [name, t] : state_dict(*source)) {
    if (name.find("num_batches_tracked") == std::string::npos) tensors.emplace_back(name, t);
  }
  tensors.emplace_back("fc.weight", torch::randn({1000, 512}));
  tensors.emplace_back("fc.bias", torch::randn({1000}));
  save_safetensors(path("resnet18.safetensors"), tensors);

  ResNet18 target;
  EXPECT_THROW(load_module(path("resnet18.safetensors"), *target), std::invalid_argument);
  LoadStateOptions options;
  options.ignore_prefixes = {"fc."};
  load_module(path("resnet18.safetensors"), *target, options);
  EXPECT_TRUE(torch::equal(target->named_parameters()["layer3.1.conv2.weight"],
                           source->named_parameters()["layer3.1.conv2.weight"]));
  EXPECT_TRUE(torch::equal(target->named_buffers()["layer2.0.downsample.1.running_var"],
                           source->named_buffers()["layer2.0.downsample.1.running_var"]));
}

}  // namespace
}  // namespace powertrain::models
