#include "batch_loader.h"

#include <chrono>
#include <cstring>
#include <numeric>
#include <random>

namespace powertrain::train {

namespace {

// Copies rows `indices` of a contiguous tensor into a new one with plain
// memcpy: the loader thread must not compete for LibTorch's intra-op pool.
torch::Tensor gather_rows(const torch::Tensor& source, const int64_t* indices, int64_t count,
                          bool pin) {
  std::vector<int64_t> shape(source.sizes().begin(), source.sizes().end());
  shape[0] = count;
  auto options = torch::TensorOptions().dtype(source.scalar_type()).pinned_memory(pin);
  torch::Tensor out = torch::empty(shape, options);
  const size_t row_bytes = static_cast<size_t>(source.numel() / std::max<int64_t>(source.size(0), 1)) *
                           source.element_size();
  const char* from = static_cast<const char*>(source.data_ptr());
  char* to = static_cast<char*>(out.data_ptr());
  for (int64_t i = 0; i < count; ++i) {
    std::memcpy(to + i * row_bytes, from + indices[i] * row_bytes, row_bytes);
  }
  return out;
}

}  // namespace

BatchLoader::BatchLoader(const SplitTensors& split, const BatchLoaderOptions& options)
    : split_(split), options_(options) {
  TORCH_CHECK(options_.batch_size > 0, "batch size must be positive");
  const int64_t n = split_.size();
  order_.resize(static_cast<size_t>(n));
  std::iota(order_.begin(), order_.end(), 0);
  if (options_.shuffle) {
    std::mt19937_64 rng(options_.seed);
    std::shuffle(order_.begin(), order_.end(), rng);
  }
  for (int64_t start = 0; start < n; start += options_.batch_size) {
    if (options_.drop_single && n - start == 1 && start > 0) break;
    starts_.push_back(start);
  }
  if (options_.threaded && !starts_.empty()) thread_ = std::thread([this] { produce(); });
}

BatchLoader::~BatchLoader() {
  stop_ = true;
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Batch BatchLoader::gather(size_t index) const {
  const int64_t start = starts_[index];
  const int64_t count = std::min(options_.batch_size, split_.size() - start);
  const int64_t* rows = order_.data() + start;
  Batch batch;
  if (split_.fill) {
    std::vector<int64_t> shape = {count};
    shape.insert(shape.end(), split_.sample_shape.begin(), split_.sample_shape.end());
    auto f32 = torch::TensorOptions().dtype(torch::kFloat32).pinned_memory(options_.pin_memory);
    auto i64 = torch::TensorOptions().dtype(torch::kInt64).pinned_memory(options_.pin_memory);
    batch.inputs = torch::empty(shape, f32);
    if (split_.has_labels) batch.labels = torch::empty({count}, i64);
    if (split_.attribute_count > 0) {
      batch.attributes = torch::empty({count, split_.attribute_count}, f32);
    }
    split_.fill(rows, count, batch.inputs.data_ptr<float>(),
                batch.labels.defined() ? batch.labels.data_ptr<int64_t>() : nullptr,
                batch.attributes.defined() ? batch.attributes.data_ptr<float>() : nullptr);
    return batch;
  }
  batch.inputs = gather_rows(split_.inputs, rows, count, options_.pin_memory);
  if (split_.labels.defined()) {
    batch.labels = gather_rows(split_.labels, rows, count, options_.pin_memory);
  }
  if (split_.attributes.defined()) {
    batch.attributes = gather_rows(split_.attributes, rows, count, options_.pin_memory);
  }
  return batch;
}

void BatchLoader::produce() {
  try {
    for (size_t i = 0; i < starts_.size(); ++i) {
      Batch batch = gather(i);
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] {
        return stop_.load() || static_cast<int>(ready_.size()) < std::max(options_.prefetch, 1);
      });
      if (stop_) return;
      ready_.push_back(std::move(batch));
      ++produced_;
      changed_.notify_all();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = std::current_exception();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  finished_ = true;
  changed_.notify_all();
}

std::optional<Batch> BatchLoader::next() {
  if (next_index_ >= starts_.size()) return std::nullopt;
  const auto begin = std::chrono::steady_clock::now();
  Batch batch;
  if (!thread_.joinable()) {
    batch = gather(next_index_);
  } else {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return !ready_.empty() || finished_; });
    if (ready_.empty()) {
      if (error_) std::rethrow_exception(error_);
      return std::nullopt;
    }
    batch = std::move(ready_.front());
    ready_.pop_front();
    changed_.notify_all();
  }
  wait_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  ++next_index_;
  return batch;
}

}  // namespace powertrain::train
