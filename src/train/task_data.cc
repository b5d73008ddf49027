#include "task_data.h"

#include <cmath>
#include <random>
#include <stdexcept>
#include <tuple>

#include "powertrain/data/celeba.h"
#include "powertrain/data/pamap2.h"

namespace powertrain::train {

SplitTensors make_split(torch::Tensor inputs, torch::Tensor labels, torch::Tensor attributes) {
  SplitTensors split;
  split.inputs = inputs.contiguous();
  split.n = split.inputs.size(0);
  split.sample_shape.assign(split.inputs.sizes().begin() + 1, split.inputs.sizes().end());
  if (labels.defined()) {
    split.labels = labels.to(torch::kInt64).contiguous();
    split.has_labels = true;
  }
  if (attributes.defined()) {
    split.attributes = attributes.to(torch::kFloat32).contiguous();
    split.attribute_count = split.attributes.size(1);
  }
  return split;
}

namespace {

constexpr int64_t kPamap2GeneratedChannels = 27;
constexpr int64_t kPamap2GeneratedClasses = 12;

// Each class has its own offset, frequency and amplitude per channel (as
// activities differ in posture and rhythm); a window is its class pattern
// with a random phase plus noise, so that a model must learn but can do
// clearly better than chance.
struct Pamap2Generator {
  torch::Tensor frequency;  // [classes, channels], cycles per window
  torch::Tensor amplitude;  // [classes, channels]
  torch::Tensor offset;     // [classes, channels]

  explicit Pamap2Generator(torch::Generator& gen) {
    frequency = torch::randint(1, 12, {kPamap2GeneratedClasses, kPamap2GeneratedChannels}, gen,
                               torch::kFloat32);
    amplitude = torch::rand({kPamap2GeneratedClasses, kPamap2GeneratedChannels}, gen) * 1.5 + 0.25;
    offset = torch::randn({kPamap2GeneratedClasses, kPamap2GeneratedChannels}, gen) * 0.5;
  }

  SplitTensors make(int64_t n, int64_t length, torch::Generator& gen) const {
    torch::Tensor labels = torch::randint(0, kPamap2GeneratedClasses, {n}, gen, torch::kInt64);
    torch::Tensor t = torch::arange(length, torch::kFloat32).div(static_cast<double>(length));
    torch::Tensor phase = torch::rand({n, kPamap2GeneratedChannels, 1}, gen) * (2 * M_PI);
    torch::Tensor f = frequency.index_select(0, labels).unsqueeze(2);
    torch::Tensor a = amplitude.index_select(0, labels).unsqueeze(2);
    torch::Tensor o = offset.index_select(0, labels).unsqueeze(2);
    torch::Tensor x = o + a * torch::sin(2 * M_PI * f * t.view({1, 1, length}) + phase) +
                      torch::randn({n, kPamap2GeneratedChannels, length}, gen) * 0.8;
    return make_split(x, labels, {});
  }
};

// Identity k: a colour and a stripe frequency. Attribute j (of 40): 20 are
// properties of the identity; 20 vary per image and brighten patch j % 20 of
// a 5 x 4 grid, so that both heads have something to learn.
struct CelebaGenerator {
  int64_t identities;
  int64_t size;
  torch::Tensor colour;         // [K, 3]
  torch::Tensor stripes;        // [K]
  torch::Tensor identity_bits;  // [K, 20]

  CelebaGenerator(int64_t identities_, int64_t size_, torch::Generator& gen)
      : identities(identities_), size(size_) {
    colour = torch::rand({identities, 3}, gen) * 2 - 1;
    stripes = torch::randint(1, 6, {identities}, gen, torch::kFloat32);
    identity_bits = torch::randint(0, 2, {identities, 20}, gen, torch::kFloat32);
  }

  SplitTensors make(int64_t n, torch::Generator& gen) const {
    torch::Tensor labels = torch::randint(0, identities, {n}, gen, torch::kInt64);
    torch::Tensor image_bits = torch::randint(0, 2, {n, 20}, gen, torch::kFloat32);
    torch::Tensor attributes = torch::cat({identity_bits.index_select(0, labels), image_bits}, 1);
    torch::Tensor y = torch::arange(size, torch::kFloat32).div(static_cast<double>(size));
    torch::Tensor wave =
        torch::sin(2 * M_PI * stripes.index_select(0, labels).view({n, 1, 1, 1}) *
                   y.view({1, 1, size, 1}));
    torch::Tensor images = colour.index_select(0, labels).view({n, 3, 1, 1}) + 0.5 * wave +
                           torch::randn({n, 3, size, size}, gen) * 0.5;
    images = images.expand({n, 3, size, size}).contiguous();
    const int64_t ph = std::max<int64_t>(size / 4, 1), pw = std::max<int64_t>(size / 5, 1);
    auto bits = image_bits.accessor<float, 2>();
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < 20; ++j) {
        if (bits[i][j] < 0.5f) continue;
        const int64_t r = (j / 5) * ph, c = (j % 5) * pw;
        images[i].narrow(1, r, std::min(ph, size - r)).narrow(2, c, std::min(pw, size - c)) += 1.5;
      }
    }
    return make_split(images, labels, attributes);
  }
};

TaskData generated_pamap2(const TrainConfig& config) {
  torch::Generator gen = at::detail::createCPUGenerator(config.seed * 7919 + 17);
  Pamap2Generator pattern(gen);
  const int64_t length = config.data.window_length;
  TaskData data;
  data.train = pattern.make(config.data.synthetic_train, length, gen);
  data.val = pattern.make(config.data.synthetic_val, length, gen);
  data.test = pattern.make(config.data.synthetic_test, length, gen);
  data.shape.in_channels = kPamap2GeneratedChannels;
  data.shape.window_length = length;
  data.shape.classes = kPamap2GeneratedClasses;
  data.shape.attributes = 0;
  return data;
}

TaskData generated_celeba(const TrainConfig& config) {
  torch::Generator gen = at::detail::createCPUGenerator(config.seed * 7919 + 29);
  CelebaGenerator pattern(config.data.identities, config.data.image_size, gen);
  TaskData data;
  data.train = pattern.make(config.data.synthetic_train, gen);
  data.val = pattern.make(config.data.synthetic_val, gen);
  data.test = pattern.make(config.data.synthetic_test, gen);
  data.shape.classes = config.data.identities;
  data.shape.attributes = kCelebaAttributes;
  return data;
}

SplitTensors pamap2_split(const WindowSet& windows, const char* name, const std::string& dir) {
  if (windows.n == 0) {
    throw std::runtime_error(dir + ": PAMAP2 " + name + " split has no windows");
  }
  // The buffers stay owned by Pamap2Data, which TaskData keeps alive.
  auto x = torch::from_blob(const_cast<float*>(windows.x.data()),
                            {windows.n, windows.channels, windows.length}, torch::kFloat32);
  auto y = torch::from_blob(const_cast<int64_t*>(windows.labels.data()), {windows.n},
                            torch::kInt64);
  return make_split(x, y, {});
}

TaskData real_pamap2(const TrainConfig& config) {
  Pamap2Options options;
  options.downsample = config.data.downsample;
  options.window_length = config.data.window_length;
  options.overlap = 1.0 - static_cast<double>(config.data.window_stride) /
                              static_cast<double>(config.data.window_length);
  options.validation_subjects = config.data.val_subjects;
  options.test_subjects = config.data.test_subjects;
  options.drop_subjects = config.data.drop_subjects;
  auto loaded = std::make_shared<Pamap2Data>(load_pamap2(config.data_dir, options));
  TaskData data;
  data.train = pamap2_split(loaded->train, "training", config.data_dir);
  data.val = pamap2_split(loaded->validation, "validation", config.data_dir);
  data.test = pamap2_split(loaded->test, "test", config.data_dir);
  data.shape.in_channels = loaded->train.channels;
  data.shape.window_length = loaded->train.length;
  data.shape.classes = static_cast<int64_t>(loaded->class_ids.size());
  data.shape.attributes = 0;
  data.keep_alive = loaded;
  return data;
}

SplitTensors celeba_split(const std::shared_ptr<CelebaDataset>& dataset, DataSplit which,
                          const TrainConfig& config) {
  const auto& items = dataset->items(which);
  SplitTensors split;
  split.n = static_cast<int64_t>(items.size());
  if (config.data.max_images > 0) split.n = std::min(split.n, config.data.max_images);
  if (split.n == 0) {
    throw std::runtime_error(config.data_dir + ": CelebA " + to_string(which) +
                             " split has no images");
  }
  split.sample_shape = {3, config.data.image_size, config.data.image_size};
  split.has_labels =
      config.task != "celeba-attributes" && config.task != "celeba-attributes-full";
  split.attribute_count = config.task != "celeba-identity" ? kCelebaAttributes : 0;
  const bool labels = split.has_labels;
  const bool attributes = split.attribute_count > 0;
  split.fill = [dataset, which, labels, attributes](const int64_t* rows, int64_t count,
                                                    float* inputs, int64_t* label_out,
                                                    float* attribute_out) {
    dataset->fill_batch(which, rows, count, inputs, labels ? label_out : nullptr,
                        attributes ? attribute_out : nullptr);
  };
  return split;
}

TaskData real_celeba(const TrainConfig& config) {
  CelebaOptions options;
  // Identity, attributes and multitask train, validate and test on one image
  // set: the top-K identities' images that carry attributes, split once per
  // identity with the seed. Only celeba-attributes-full reads every image of
  // list_attr_celeba.txt with the official partition.
  options.task = config.task == "celeba-attributes-full" ? CelebaTask::attributes
                                                         : CelebaTask::both;
  options.top_identities = config.data.identities;
  options.validation_fraction = config.data.val_fraction;
  options.train_fraction = 1.0 - config.data.val_fraction - config.data.test_fraction;
  options.split_seed = config.seed;
  options.image_height = config.data.image_size;
  options.image_width = config.data.image_size;
  options.threads = std::max(config.data.loader_threads, 1);
  auto dataset = std::make_shared<CelebaDataset>(config.data_dir, options);
  TaskData data;
  data.train = celeba_split(dataset, DataSplit::train, config);
  data.val = celeba_split(dataset, DataSplit::validation, config);
  data.test = celeba_split(dataset, DataSplit::test, config);
  for (auto [which, split, files] :
       {std::make_tuple(DataSplit::train, &data.train, &data.train_files),
        std::make_tuple(DataSplit::validation, &data.val, &data.val_files),
        std::make_tuple(DataSplit::test, &data.test, &data.test_files)}) {
    const auto& items = dataset->items(which);
    for (int64_t i = 0; i < split->n; ++i) files->push_back(items[static_cast<size_t>(i)].file);
  }
  data.shape.classes = std::max<int64_t>(static_cast<int64_t>(dataset->identity_ids().size()), 1);
  data.shape.attributes = kCelebaAttributes;
  data.keep_alive = dataset;
  return data;
}

}  // namespace

TaskData make_generated_data(const TrainConfig& config) {
  TaskData data = is_pamap2_task(config.task) ? generated_pamap2(config) : generated_celeba(config);
  data.source = "generated";
  return data;
}

TaskData load_task_data(const TrainConfig& config) {
  if (config.data_dir.empty()) return make_generated_data(config);
  TaskData data = is_pamap2_task(config.task) ? real_pamap2(config) : real_celeba(config);
  data.source = config.data_dir;
  return data;
}

}  // namespace powertrain::train
