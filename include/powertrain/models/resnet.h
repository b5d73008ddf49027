// ResNet18 (BasicBlock) with the parameter names of timm / torchvision
// (conv1, bn1, layer1.0.conv1, ..., layer2.0.downsample.0), so that ImageNet
// weights published as .safetensors load directly. The encoder stops at the
// global average pool: the classification layer `fc` is a separate head.
#pragma once

#include <torch/torch.h>

namespace powertrain::models {

class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t in_planes, int64_t planes, int64_t stride);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(BasicBlock);

// Input [N, 3, H, W] (ImageNet-normalised), output [N, 512].
class ResNet18Impl : public torch::nn::Module {
 public:
  ResNet18Impl();
  torch::Tensor forward(torch::Tensor x);
  static constexpr int64_t kFeatures = 512;

 private:
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
};
TORCH_MODULE(ResNet18);

}  // namespace powertrain::models
