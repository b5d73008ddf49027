#include "powertrain/models/pamap2_cnn.h"

#include <stdexcept>
#include <string>

namespace powertrain::models {

void validate(const Pamap2CnnOptions& options) {
  if (options.channels.empty()) throw std::invalid_argument("PAMAP2 CNN: no conv blocks");
  if (options.channels.size() != options.kernels.size()) {
    throw std::invalid_argument("PAMAP2 CNN: " + std::to_string(options.channels.size()) +
                                " channel counts but " + std::to_string(options.kernels.size()) +
                                " kernel sizes");
  }
  for (size_t i = 0; i < options.channels.size(); ++i) {
    if (options.channels[i] < 1 || options.kernels[i] < 1) {
      throw std::invalid_argument("PAMAP2 CNN: block " + std::to_string(i + 1) +
                                  " has channels " + std::to_string(options.channels[i]) +
                                  ", kernel " + std::to_string(options.kernels[i]));
    }
  }
  if (options.in_channels < 1) {
    throw std::invalid_argument("PAMAP2 CNN: input channels " + std::to_string(options.in_channels));
  }
  if ((options.window_length >> options.channels.size()) < 1) {
    throw std::invalid_argument("PAMAP2 CNN: window length " +
                                std::to_string(options.window_length) + " is too short for " +
                                std::to_string(options.channels.size()) + " pooling blocks");
  }
  if (options.dropout < 0 || options.dropout >= 1) {
    throw std::invalid_argument("PAMAP2 CNN: dropout " + std::to_string(options.dropout));
  }
}

namespace {

// Same padding for odd kernels; an even kernel gets the extra sample on the right
// by the pooling's floor, which keeps lengths predictable.
int64_t same_padding(int64_t kernel) { return kernel / 2; }

int64_t conv_length(int64_t length, int64_t kernel) {
  return length + 2 * same_padding(kernel) - kernel + 1;
}

}  // namespace

Pamap2EncoderImpl::Pamap2EncoderImpl(const Pamap2CnnOptions& options) : options_(options) {
  validate(options_);
  auto list = torch::nn::ModuleList();
  int64_t in = options_.in_channels;
  int64_t length = options_.window_length;
  for (size_t i = 0; i < options_.channels.size(); ++i) {
    block_lengths_.push_back(length);
    const int64_t out = options_.channels[i];
    const int64_t kernel = options_.kernels[i];
    torch::nn::Sequential block(
        torch::nn::Conv1d(torch::nn::Conv1dOptions(in, out, kernel).padding(same_padding(kernel))),
        torch::nn::BatchNorm1d(out), torch::nn::ReLU(torch::nn::ReLUOptions(true)),
        torch::nn::MaxPool1d(torch::nn::MaxPool1dOptions(2)));
    if (options_.dropout > 0) block->push_back(torch::nn::Dropout(options_.dropout));
    list->push_back(block);
    blocks_.push_back(block);
    in = out;
    length = conv_length(length, kernel) / 2;
  }
  feature_length_ = length;
  if (feature_length_ < 1) {
    throw std::invalid_argument("PAMAP2 CNN: window length " +
                                std::to_string(options_.window_length) + " leaves no features");
  }
  register_module("blocks", list);
}

torch::Tensor Pamap2EncoderImpl::forward(torch::Tensor x) {
  for (auto& block : blocks_) x = block->forward(x);
  return x;
}

Pamap2DecoderImpl::Pamap2DecoderImpl(const Pamap2CnnOptions& options) : options_(options) {
  validate(options_);
  Pamap2EncoderImpl shape(options_);  // only for the block lengths
  const auto& lengths = shape.block_lengths();
  const size_t n = options_.channels.size();
  for (size_t j = 0; j < n; ++j) {
    // Decoder block j undoes encoder block n-1-j.
    const size_t i = n - 1 - j;
    target_lengths_.push_back(lengths[i]);
    const int64_t in = options_.channels[i];
    const int64_t out = i == 0 ? options_.channels[0] : options_.channels[i - 1];
    const int64_t kernel = options_.kernels[i];
    torch::nn::Sequential block(
        torch::nn::Conv1d(torch::nn::Conv1dOptions(in, out, kernel).padding(kernel / 2)),
        torch::nn::BatchNorm1d(out), torch::nn::ReLU(torch::nn::ReLUOptions(true)));
    blocks_.push_back(register_module("block" + std::to_string(j), block));
  }
  output_ = register_module(
      "output", torch::nn::Conv1d(torch::nn::Conv1dOptions(options_.channels[0],
                                                           options_.in_channels, 1)));
}

torch::Tensor Pamap2DecoderImpl::forward(torch::Tensor features) {
  namespace F = torch::nn::functional;
  torch::Tensor x = features;
  for (size_t j = 0; j < blocks_.size(); ++j) {
    x = F::interpolate(x, F::InterpolateFuncOptions()
                              .size(std::vector<int64_t>{target_lengths_[j]})
                              .mode(torch::kNearest));
    x = blocks_[j]->forward(x);
    // An even kernel's same padding yields one sample more; trim to the target.
    if (x.size(2) != target_lengths_[j]) x = x.narrow(2, 0, target_lengths_[j]);
  }
  return output_->forward(x);
}

ClassifierHeadImpl::ClassifierHeadImpl(int64_t in_features, int64_t classes, int64_t hidden_units,
                                       double dropout) {
  if (in_features < 1 || classes < 1 || hidden_units < 0) {
    throw std::invalid_argument("classifier head: in " + std::to_string(in_features) +
                                ", classes " + std::to_string(classes) + ", hidden " +
                                std::to_string(hidden_units));
  }
  layers_ = torch::nn::Sequential(torch::nn::Flatten());
  if (hidden_units > 0) {
    layers_->push_back(torch::nn::Linear(in_features, hidden_units));
    layers_->push_back(torch::nn::ReLU(torch::nn::ReLUOptions(true)));
    if (dropout > 0) layers_->push_back(torch::nn::Dropout(dropout));
    layers_->push_back(torch::nn::Linear(hidden_units, classes));
  } else {
    layers_->push_back(torch::nn::Linear(in_features, classes));
  }
  register_module("layers", layers_);
}

torch::Tensor ClassifierHeadImpl::forward(torch::Tensor features) {
  return layers_->forward(features);
}

}  // namespace powertrain::models
