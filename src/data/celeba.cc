// CelebA: task selection, splits, and the batch pipeline with its uint8 cache.
#include "powertrain/data/celeba.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "data/file_util.h"

namespace powertrain {
namespace fs = std::filesystem;
namespace {

constexpr float kMean[3] = {0.485f, 0.456f, 0.406f};
constexpr float kStd[3] = {0.229f, 0.224f, 0.225f};

std::string read_required(const fs::path& path) {
  return data_detail::read_file(path.string(), data_detail::kMaxTextBytes);
}

uint64_t mix(uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

CelebaTask parse_celeba_task(const std::string& name) {
  if (name == "identity") return CelebaTask::identity;
  if (name == "attributes" || name == "attribute") return CelebaTask::attributes;
  if (name == "both" || name == "multitask") return CelebaTask::both;
  throw std::invalid_argument("unknown CelebA task '" + name +
                              "' (known: identity, attributes, both)");
}

std::string to_string(CelebaTask task) {
  switch (task) {
    case CelebaTask::identity:
      return "identity";
    case CelebaTask::attributes:
      return "attributes";
    case CelebaTask::both:
      return "both";
  }
  return "?";
}

std::string to_string(DataSplit split) {
  switch (split) {
    case DataSplit::train:
      return "train";
    case DataSplit::validation:
      return "validation";
    case DataSplit::test:
      return "test";
  }
  return "?";
}

struct CelebaDataset::Impl {
  std::string dir;
  CelebaOptions options;
  std::array<std::vector<CelebaItem>, 3> items;
  std::vector<int> identity_ids;
  std::vector<std::string> attribute_names;
  CelebaSummary summary;

  // Decoded, resized images (HWC uint8) per split; state 0 empty, 1 being
  // written, 2 ready. Pages are only touched when an image is stored.
  struct Cache {
    std::unique_ptr<unsigned char[]> pixels;
    std::unique_ptr<std::atomic<uint8_t>[]> state;
  };
  mutable std::array<Cache, 3> cache;
  mutable std::mutex cache_mutex;

  size_t image_bytes() const {
    return static_cast<size_t>(options.image_height) * options.image_width * 3;
  }

  Cache& cache_for(DataSplit split) const {
    std::lock_guard<std::mutex> lock(cache_mutex);
    Cache& c = cache[static_cast<int>(split)];
    if (!c.pixels) {
      size_t n = items[static_cast<int>(split)].size();
      // Refused before allocation when the decoded split cannot fit in memory
      // (a huge --size with many images would end in std::bad_alloc).
      const double need = static_cast<double>(std::max<size_t>(1, n)) * image_bytes();
      const double memory =
          static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGESIZE);
      if (memory > 0 && need > memory)
        throw std::runtime_error(fmt::format(
            "CelebA image cache of the {} split needs {:.1f} GiB ({} images at {}x{}), more "
            "than this machine's {:.1f} GiB of memory: use a smaller image size or turn the "
            "image cache off",
            to_string(split), need / (1 << 30), n, options.image_height, options.image_width,
            memory / (1 << 30)));
      c.pixels.reset(new unsigned char[std::max<size_t>(1, n) * image_bytes()]);
      c.state.reset(new std::atomic<uint8_t>[std::max<size_t>(1, n)]);
      for (size_t i = 0; i < n; ++i) c.state[i].store(0, std::memory_order_relaxed);
    }
    return c;
  }

  void decode(const CelebaItem& item, unsigned char* out) const {
    std::string path = (fs::path(dir) / "img_align_celeba" / item.file).string();
    std::string bytes;
    try {
      bytes = data_detail::read_file(path, data_detail::kMaxImageBytes);
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(std::string("CelebA image listed in the annotations: ") + e.what());
    }
    decode_jpeg_resized(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                        options.image_height, options.image_width, out, path);
  }

  // Pointer to the image's pixels, decoding (and caching) as needed; `scratch`
  // holds the pixels when they are not cached.
  const unsigned char* pixels(DataSplit split, int64_t index, unsigned char* scratch) const {
    const CelebaItem& item = items[static_cast<int>(split)][index];
    if (!options.cache_images) {
      decode(item, scratch);
      return scratch;
    }
    Cache& c = cache_for(split);
    unsigned char* slot = c.pixels.get() + static_cast<size_t>(index) * image_bytes();
    uint8_t state = c.state[index].load(std::memory_order_acquire);
    if (state == 2) return slot;
    uint8_t expected = 0;
    if (state == 0 &&
        c.state[index].compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
      try {
        decode(item, slot);
      } catch (...) {
        c.state[index].store(0, std::memory_order_release);
        throw;
      }
      c.state[index].store(2, std::memory_order_release);
      return slot;
    }
    decode(item, scratch);  // another thread is storing it right now
    return scratch;
  }
};

namespace {

void validate(const CelebaOptions& o) {
  if (o.image_height < 1 || o.image_width < 1 || o.image_height > 4096 || o.image_width > 4096)
    throw std::invalid_argument(
        fmt::format("CelebA image size must be 1..4096, got {}x{}", o.image_height, o.image_width));
  if (o.threads < 1)
    throw std::invalid_argument(fmt::format("CelebA threads must be >= 1, got {}", o.threads));
  const bool needs_identity = o.task != CelebaTask::attributes;
  if (needs_identity) {
    if (o.top_identities < 1)
      throw std::invalid_argument(
          fmt::format("CelebA top identities must be >= 1, got {}", o.top_identities));
    if (!(o.train_fraction > 0 && o.validation_fraction >= 0 &&
          o.train_fraction + o.validation_fraction <= 1))
      throw std::invalid_argument(
          fmt::format("CelebA split fractions must satisfy train > 0, validation >= 0, train + "
                      "validation <= 1; got {} and {}",
                      o.train_fraction, o.validation_fraction));
  }
}

// Each identity's images shuffled (seeded per identity) and cut into
// train, validation and test by the options' fractions.
void split_identities(std::map<int, std::vector<CelebaItem>>& per_identity, const CelebaOptions& o,
                      std::array<std::vector<CelebaItem>, 3>& items) {
  for (auto& [id, list] : per_identity) {
    std::mt19937_64 rng(mix(o.split_seed ^ mix(static_cast<uint64_t>(id))));
    std::shuffle(list.begin(), list.end(), rng);
    size_t n = list.size();
    size_t n_train = std::max<size_t>(1, static_cast<size_t>(std::llround(n * o.train_fraction)));
    n_train = std::min(n_train, n);
    size_t n_val =
        std::min(n - n_train, static_cast<size_t>(std::llround(n * o.validation_fraction)));
    for (size_t i = 0; i < n; ++i) {
      DataSplit s = i < n_train           ? DataSplit::train
                    : i < n_train + n_val ? DataSplit::validation
                                          : DataSplit::test;
      items[static_cast<int>(s)].push_back(std::move(list[i]));
    }
  }
}

// An image's identity and attributes by file name.
struct ItemLookup {
  ItemLookup(const CelebaAttributeTable& attributes, const CelebaIdentityTable& identities)
      : attributes(attributes) {
    attribute_row.reserve(attributes.files.size());
    for (size_t i = 0; i < attributes.files.size(); ++i)
      attribute_row.emplace(attributes.files[i], i);
    identity_of.reserve(identities.files.size());
    for (size_t i = 0; i < identities.files.size(); ++i) {
      identity_of.emplace(identities.files[i], identities.identity_ids[i]);
      ++images_per_identity[identities.identity_ids[i]];
    }
  }
  CelebaItem make(const std::string& file) const {
    CelebaItem item;
    item.file = file;
    auto id = identity_of.find(file);
    if (id != identity_of.end()) item.identity_id = id->second;
    auto row = attribute_row.find(file);
    if (row != attribute_row.end()) {
      item.attributes = attributes.values[row->second];
      item.has_attributes = true;
    }
    return item;
  }

  const CelebaAttributeTable& attributes;
  std::unordered_map<std::string, size_t> attribute_row;
  std::unordered_map<std::string, int> identity_of;
  std::map<int, int64_t> images_per_identity;
};

}  // namespace

CelebaDataset::CelebaDataset(const std::string& dir, const CelebaOptions& options)
    : impl_(std::make_unique<Impl>()) {
  Impl& d = *impl_;
  d.dir = dir;
  d.options = options;
  const CelebaOptions& o = options;
  validate(o);
  bool needs_identity = o.task != CelebaTask::attributes;
  bool needs_attributes = o.task != CelebaTask::identity;

  fs::path root(dir);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw std::runtime_error(dir + ": CelebA folder not found");
  fs::path attr_path = root / "list_attr_celeba.txt";
  fs::path identity_path = root / "identity_CelebA.txt";
  fs::path partition_path = root / "list_eval_partition.txt";

  CelebaAttributeTable attributes;
  if (needs_attributes || fs::exists(attr_path, ec))
    attributes = parse_celeba_attributes(read_required(attr_path), attr_path.string());
  CelebaIdentityTable identities;
  if (needs_identity || fs::exists(identity_path, ec))
    identities = parse_celeba_identities(read_required(identity_path), identity_path.string());
  CelebaPartitionTable partition;
  if (!needs_identity || fs::exists(partition_path, ec))
    partition = parse_celeba_partition(read_required(partition_path), partition_path.string());

  d.attribute_names = attributes.names;
  d.summary.attribute_rows = static_cast<int64_t>(attributes.files.size());
  d.summary.identity_rows = static_cast<int64_t>(identities.files.size());
  d.summary.partition_rows = static_cast<int64_t>(partition.files.size());
  for (const auto& row : attributes.values)
    for (int a = 0; a < kCelebaAttributes; ++a) d.summary.attribute_positive[a] += row[a] > 0.5f;

  const ItemLookup lookup(attributes, identities);
  const std::map<int, int64_t>& images_per_identity = lookup.images_per_identity;
  d.summary.identities = static_cast<int64_t>(images_per_identity.size());
  auto make_item = [&lookup](const std::string& file) { return lookup.make(file); };

  if (needs_identity) {
    // Top K by image count, ties broken by the lower id.
    std::vector<std::pair<int64_t, int>> ranked;
    for (const auto& [id, count] : images_per_identity) ranked.emplace_back(-count, id);
    std::sort(ranked.begin(), ranked.end());
    size_t k = std::min<size_t>(o.top_identities, ranked.size());
    for (size_t i = 0; i < k; ++i) d.identity_ids.push_back(ranked[i].second);
    std::sort(d.identity_ids.begin(), d.identity_ids.end());
    std::map<int, int64_t> label_of;
    for (size_t i = 0; i < d.identity_ids.size(); ++i)
      label_of[d.identity_ids[i]] = static_cast<int64_t>(i);

    // Images of each kept identity, in file order, then a seeded shuffle per identity.
    std::map<int, std::vector<CelebaItem>> per_identity;
    for (size_t i = 0; i < identities.files.size(); ++i) {
      auto label = label_of.find(identities.identity_ids[i]);
      if (label == label_of.end()) continue;
      ++d.summary.top_identity_images;
      CelebaItem item = make_item(identities.files[i]);
      item.identity_label = label->second;
      if (o.task == CelebaTask::both && !item.has_attributes) continue;
      per_identity[item.identity_id].push_back(std::move(item));
    }
    split_identities(per_identity, o, d.items);
  } else {
    std::unordered_map<std::string, DataSplit> split_of;
    split_of.reserve(partition.files.size());
    for (size_t i = 0; i < partition.files.size(); ++i)
      split_of.emplace(partition.files[i], partition.splits[i]);
    for (size_t i = 0; i < attributes.files.size(); ++i) {
      auto split = split_of.find(attributes.files[i]);
      if (split == split_of.end())
        throw std::invalid_argument(fmt::format("{}: {} has no entry in {}", attr_path.string(),
                                                attributes.files[i], partition_path.string()));
      d.items[static_cast<int>(split->second)].push_back(make_item(attributes.files[i]));
    }
  }
  for (int s = 0; s < 3; ++s) d.summary.split_sizes[s] = static_cast<int64_t>(d.items[s].size());
  if (d.items[0].empty())
    throw std::invalid_argument(dir + ": CelebA " + to_string(o.task) +
                                " task has no training images");
}

CelebaDataset::~CelebaDataset() = default;
CelebaDataset::CelebaDataset(CelebaDataset&&) noexcept = default;
CelebaDataset& CelebaDataset::operator=(CelebaDataset&&) noexcept = default;

const CelebaOptions& CelebaDataset::options() const { return impl_->options; }
const std::vector<CelebaItem>& CelebaDataset::items(DataSplit split) const {
  return impl_->items[static_cast<int>(split)];
}
const std::vector<int>& CelebaDataset::identity_ids() const { return impl_->identity_ids; }
const std::vector<std::string>& CelebaDataset::attribute_names() const {
  return impl_->attribute_names;
}
const CelebaSummary& CelebaDataset::summary() const { return impl_->summary; }
std::string CelebaDataset::image_path(const CelebaItem& item) const {
  return (fs::path(impl_->dir) / "img_align_celeba" / item.file).string();
}

void CelebaDataset::fill_batch(DataSplit split, const int64_t* indices, int64_t count,
                               float* images, int64_t* identity_labels, float* attributes,
                               std::mt19937_64* flip_rng) const {
  const Impl& d = *impl_;
  const auto& list = d.items[static_cast<int>(split)];
  const int height = d.options.image_height, width = d.options.image_width;
  const size_t plane = static_cast<size_t>(height) * width;
  for (int64_t i = 0; i < count; ++i)
    if (indices[i] < 0 || indices[i] >= static_cast<int64_t>(list.size()))
      throw std::out_of_range(fmt::format("CelebA {} index {} out of range (0..{})",
                                          to_string(split), indices[i], list.size()));
  // Flips are drawn up front, in order, so that results do not depend on threads.
  std::vector<char> flip(count, 0);
  if (flip_rng)
    for (int64_t i = 0; i < count; ++i) flip[i] = ((*flip_rng)() >> 63) != 0;
  for (int64_t i = 0; i < count; ++i) {
    const CelebaItem& item = list[indices[i]];
    if (identity_labels) identity_labels[i] = item.identity_label;
    if (attributes)
      std::copy(item.attributes.begin(), item.attributes.end(), attributes + i * kCelebaAttributes);
  }

  float scale[3], offset[3];
  for (int c = 0; c < 3; ++c) {
    scale[c] = 1.0f / (255.0f * kStd[c]);
    offset[c] = -kMean[c] / kStd[c];
  }
  auto fill_range = [&](int64_t begin, int64_t end) {
    std::vector<unsigned char> scratch(d.image_bytes());
    for (int64_t i = begin; i < end; ++i) {
      const unsigned char* px = d.pixels(split, indices[i], scratch.data());
      float* out = images + static_cast<size_t>(i) * 3 * plane;
      for (int y = 0; y < height; ++y) {
        const unsigned char* row = px + static_cast<size_t>(y) * width * 3;
        for (int x = 0; x < width; ++x) {
          int sx = flip[i] ? width - 1 - x : x;
          size_t o = static_cast<size_t>(y) * width + x;
          for (int c = 0; c < 3; ++c) out[c * plane + o] = row[sx * 3 + c] * scale[c] + offset[c];
        }
      }
    }
  };
  int threads = static_cast<int>(std::min<int64_t>(d.options.threads, count));
  if (threads <= 1) {
    fill_range(0, count);
    return;
  }
  std::vector<std::exception_ptr> errors(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      try {
        fill_range(count * t / threads, count * (t + 1) / threads);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

void CelebaDataset::preload(DataSplit split) const {
  if (!impl_->options.cache_images) return;
  const auto& list = items(split);
  const int64_t batch = 256;
  std::vector<int64_t> indices;
  std::vector<float> images;
  for (int64_t start = 0; start < static_cast<int64_t>(list.size()); start += batch) {
    int64_t n = std::min<int64_t>(batch, static_cast<int64_t>(list.size()) - start);
    indices.resize(n);
    for (int64_t i = 0; i < n; ++i) indices[i] = start + i;
    images.resize(static_cast<size_t>(n) * 3 * impl_->image_bytes() / 3);
    fill_batch(split, indices.data(), n, images.data());
  }
}

}  // namespace powertrain
