// CelebA: annotation files, task selection and splits, and a fast image
// pipeline (libjpeg-turbo decode with DCT scaling, resize, ImageNet
// normalisation, optional flip) that fills caller-given float buffers.
//
// No LibTorch here; a trainer wraps the buffers with torch::from_blob.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace powertrain {

inline constexpr int kCelebaAttributes = 40;

enum class CelebaTask { identity, attributes, both };
enum class DataSplit { train = 0, validation = 1, test = 2 };

// "identity", "attributes", "both"; throws std::invalid_argument otherwise.
CelebaTask parse_celeba_task(const std::string& name);
std::string to_string(CelebaTask task);
std::string to_string(DataSplit split);

struct CelebaOptions {
  CelebaTask task = CelebaTask::identity;
  // identity / both: keep the K most frequent identities (ties: lower id).
  int top_identities = 40;
  // identity / both: per-identity split, seeded; test gets the rest.
  // attributes: the official list_eval_partition.txt split is used.
  double train_fraction = 0.8;
  double validation_fraction = 0.1;
  uint64_t split_seed = 0;
  // Output image size; images are resized from their full frame.
  int image_height = 64;
  int image_width = 64;
  // Keep decoded, resized images in memory as uint8 (HWC).
  bool cache_images = true;
  // Threads fill_batch decodes with (1 = the calling thread only).
  int threads = 1;
};

struct CelebaItem {
  std::string file;                // e.g. "000001.jpg", in img_align_celeba/
  int identity_id = -1;            // CelebA's identity number; -1 = not listed
  int64_t identity_label = -1;     // 0..K-1 for the top-K identities, else -1
  std::array<float, kCelebaAttributes> attributes{};  // 0/1
  bool has_attributes = false;
};

// What the annotation files hold, for `data check` and logs.
struct CelebaSummary {
  int64_t attribute_rows = 0;
  int64_t identity_rows = 0;
  int64_t partition_rows = 0;
  int64_t identities = 0;          // distinct identity ids
  int64_t top_identity_images = 0; // images the top-K identities hold
  std::array<int64_t, 3> split_sizes{};  // items per DataSplit
  std::array<int64_t, kCelebaAttributes> attribute_positive{};  // rows with value 1
};

class CelebaDataset {
 public:
  // Reads the three annotation files under `dir` (images are read lazily).
  // Throws std::invalid_argument for malformed files, std::runtime_error for
  // missing ones.
  CelebaDataset(const std::string& dir, const CelebaOptions& options = {});
  ~CelebaDataset();
  CelebaDataset(CelebaDataset&&) noexcept;
  CelebaDataset& operator=(CelebaDataset&&) noexcept;

  const CelebaOptions& options() const;
  const std::vector<CelebaItem>& items(DataSplit split) const;
  // Label index -> CelebA identity id (empty for the attributes task).
  const std::vector<int>& identity_ids() const;
  const std::vector<std::string>& attribute_names() const;
  const CelebaSummary& summary() const;
  std::string image_path(const CelebaItem& item) const;

  // Fills images [count][3][H][W] (ImageNet mean/std normalised) for
  // items(split)[indices[i]], and, where not null, identity_labels [count]
  // and attributes [count][40]. Flips each image horizontally with
  // probability 0.5 drawn from flip_rng when it is not null. A missing or
  // corrupt image throws std::runtime_error naming the file. Thread-safe.
  void fill_batch(DataSplit split, const int64_t* indices, int64_t count, float* images,
                  int64_t* identity_labels = nullptr, float* attributes = nullptr,
                  std::mt19937_64* flip_rng = nullptr) const;

  // Decodes every image of a split into the cache ahead of training.
  void preload(DataSplit split) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parsers of the annotation files (exposed for tests and fuzzers). Errors
// throw std::invalid_argument naming file and line.
struct CelebaAttributeTable {
  std::vector<std::string> names;            // 40 attribute names
  std::vector<std::string> files;
  std::vector<std::array<float, kCelebaAttributes>> values;  // 0/1
  int64_t declared_count = 0;                // line 1, not trusted
};
CelebaAttributeTable parse_celeba_attributes(std::string_view text, const std::string& file_name);

// `file id` rows; a header line (first line not ending in a number) is skipped.
struct CelebaIdentityTable {
  std::vector<std::string> files;
  std::vector<int> identity_ids;
};
CelebaIdentityTable parse_celeba_identities(std::string_view text, const std::string& file_name);

// `file 0|1|2` rows.
struct CelebaPartitionTable {
  std::vector<std::string> files;
  std::vector<DataSplit> splits;
};
CelebaPartitionTable parse_celeba_partition(std::string_view text, const std::string& file_name);

// Decodes a JPEG and resizes it to height x width, RGB uint8 HWC into `out`
// (height*width*3 bytes), using libjpeg-turbo's DCT scaling when it shrinks.
// Throws std::runtime_error naming `name` when the data is not a valid JPEG.
void decode_jpeg_resized(const unsigned char* data, std::size_t size, int height, int width,
                         unsigned char* out, const std::string& name);

}  // namespace powertrain
