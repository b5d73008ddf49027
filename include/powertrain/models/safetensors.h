// The .safetensors format (as published by timm / Hugging Face): an 8-byte
// little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}},
// then the raw little-endian tensor data. Used for ImageNet weights and for
// our own checkpoints.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace powertrain::models {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

struct SafetensorsContents {
  std::map<std::string, torch::Tensor> tensors;  // on the CPU
  std::map<std::string, std::string> metadata;
};

// Writes tensors (copied to the CPU, made contiguous) in the given order.
// Throws std::invalid_argument for duplicate names or an unsupported dtype,
// std::runtime_error when the file cannot be written.
void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Reads a whole file. Throws std::runtime_error naming the path for I/O
// errors and for a malformed header (bad length, JSON, dtype, shape or offsets).
SafetensorsContents load_safetensors(const std::string& path);

// Parameters and buffers of a module with their dotted names, in module order.
NamedTensors state_dict(const torch::nn::Module& module);

struct LoadStateOptions {
  // Keys in the file starting with one of these are skipped (e.g. "fc." when
  // loading an ImageNet classifier's weights into an encoder).
  std::vector<std::string> ignore_prefixes;
  // BatchNorm's num_batches_tracked is often left out of published weights.
  bool allow_missing_num_batches_tracked = true;
};

// Copies tensors into the module's parameters and buffers (converting dtype
// and device). Throws std::invalid_argument listing every missing, unexpected
// and mis-shaped key, with `source` (a path) in the message; nothing is
// copied unless every key matches.
void load_state_dict(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& tensors,
                     const std::string& source, const LoadStateOptions& options = {});

// Save / load a module's state dict as .safetensors.
void save_module(const std::string& path, const torch::nn::Module& module,
                 const std::map<std::string, std::string>& metadata = {});
void load_module(const std::string& path, torch::nn::Module& module,
                 const LoadStateOptions& options = {});

}  // namespace powertrain::models
