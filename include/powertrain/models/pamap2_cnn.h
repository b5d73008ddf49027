// PAMAP2 models: a 1D convolutional encoder, a classifier head and a decoder
// that mirrors the encoder for the autoencoder (pretraining paradigm).
#pragma once

#include <torch/torch.h>

#include <vector>

namespace powertrain::models {

struct Pamap2CnnOptions {
  int64_t in_channels = 27;       // acc16, gyro, mag of three IMUs
  int64_t window_length = 128;    // samples per window
  std::vector<int64_t> channels = {64, 64, 64};
  std::vector<int64_t> kernels = {9, 5, 5};
  double dropout = 0.2;
};

// Throws std::invalid_argument for empty or mismatched block lists, or a
// window too short for the pooling.
void validate(const Pamap2CnnOptions& options);

// Blocks of conv (same padding) -> batch norm -> ReLU -> max pool /2 -> dropout.
// Input [N, C, L], output [N, channels.back(), L / 2^blocks].
class Pamap2EncoderImpl : public torch::nn::Module {
 public:
  explicit Pamap2EncoderImpl(const Pamap2CnnOptions& options = {});
  torch::Tensor forward(torch::Tensor x);
  const Pamap2CnnOptions& options() const { return options_; }
  // Length of each block's input, the decoder's upsampling targets.
  const std::vector<int64_t>& block_lengths() const { return block_lengths_; }
  int64_t feature_channels() const { return options_.channels.back(); }
  int64_t feature_length() const { return feature_length_; }
  int64_t feature_size() const { return feature_channels() * feature_length_; }

 private:
  Pamap2CnnOptions options_;
  std::vector<int64_t> block_lengths_;
  int64_t feature_length_ = 0;
  std::vector<torch::nn::Sequential> blocks_;  // registered as a ModuleList "blocks"
};
TORCH_MODULE(Pamap2Encoder);

// Mirror of the encoder: per block, upsample to the encoder block's input
// length, conv, batch norm, ReLU; a last conv maps back to the input channels.
class Pamap2DecoderImpl : public torch::nn::Module {
 public:
  explicit Pamap2DecoderImpl(const Pamap2CnnOptions& options = {});
  torch::Tensor forward(torch::Tensor features);

 private:
  Pamap2CnnOptions options_;
  std::vector<int64_t> target_lengths_;
  std::vector<torch::nn::Sequential> blocks_;
  torch::nn::Conv1d output_{nullptr};
};
TORCH_MODULE(Pamap2Decoder);

// Flatten -> [Linear -> ReLU -> dropout] -> Linear(classes).
class ClassifierHeadImpl : public torch::nn::Module {
 public:
  ClassifierHeadImpl(int64_t in_features, int64_t classes, int64_t hidden_units, double dropout);
  torch::Tensor forward(torch::Tensor features);

 private:
  torch::nn::Sequential layers_{nullptr};
};
TORCH_MODULE(ClassifierHead);

}  // namespace powertrain::models
