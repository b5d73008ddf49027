// `powertrain data check pamap2|celeba DIR`: reads a dataset as training
// would and prints what it found, or the first error. Users run it before a
// long sweep.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>

#include "commands.h"
#include "powertrain/data/celeba.h"
#include "powertrain/data/pamap2.h"

namespace powertrain::cli {
namespace {

// "101,102" -> {101, 102}; "" or "none" -> {}.
std::vector<int> int_list(const std::string& text, const std::string& option) {
  std::vector<int> out;
  if (text.empty() || text == "none") return out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string token = text.substr(start, end - start);
    try {
      size_t used = 0;
      int v = std::stoi(token, &used);
      if (used != token.size()) throw std::invalid_argument(token);
      out.push_back(v);
    } catch (const std::exception&) {
      throw std::invalid_argument(
          option + ": expected a comma-separated list of integers or 'none', got '" + text + "'");
    }
    start = end + 1;
  }
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void check_pamap2(const std::string& dir, const Pamap2Options& options) {
  auto start = std::chrono::steady_clock::now();
  Pamap2Data data = load_pamap2(dir, options);
  double load_s = seconds_since(start);
  int64_t rows = 0, values = 0, nan_values = 0, dropped = 0;
  std::map<int, int64_t> per_activity;
  for (const auto& s : data.subjects) {
    rows += s.rows;
    values += s.values;
    nan_values += s.nan_values;
    dropped += s.dropped_rows;
    for (const auto& [id, n] : s.rows_per_activity) per_activity[id] += n;
  }
  fmt::print("PAMAP2 {}\n", dir);
  fmt::print("subjects: {}\n", data.subjects.size());
  for (const auto& s : data.subjects)
    fmt::print(
        "  subject {}: {} rows in {} file(s), NaN {:.1f} % of selected values, {} rows dropped\n",
        s.subject, s.rows, s.files.size(), s.values ? 100.0 * s.nan_values / s.values : 0.0,
        s.dropped_rows);
  fmt::print("rows: {}\n", rows);
  fmt::print("NaN share (selected channels): {:.2f} %\n",
             values ? 100.0 * nan_values / values : 0.0);
  fmt::print("rows dropped (NaN runs > {}): {}\n", options.max_nan_run, dropped);
  fmt::print("rows per activity:\n");
  for (const auto& [id, n] : per_activity) {
    bool kept = id != 0 && std::find(options.activities.begin(), options.activities.end(), id) !=
                               options.activities.end();
    fmt::print("  {:>3} {:<20} {:>9}{}\n", id, pamap2_activity_name(id), n,
               kept ? "" : "  (not used)");
  }
  fmt::print("classes: {} (", data.class_ids.size());
  for (size_t i = 0; i < data.class_ids.size(); ++i)
    fmt::print("{}{}={}", i ? ", " : "", i, data.class_ids[i]);
  fmt::print(")\n");
  fmt::print("channels: {} ({})\n", data.channel_names.size(), fmt::join(data.channel_names, " "));
  fmt::print("window: {} rows after downsampling by {}, overlap {:g}\n", options.window_length,
             options.downsample, options.overlap);
  fmt::print("windows: train {}, validation {}, test {}\n", data.train.n, data.validation.n,
             data.test.n);
  if (!options.use_cache)
    fmt::print("cache: off\n");
  else if (data.cache_file.empty())
    fmt::print("cache: not written (see the warning)\n");
  else
    fmt::print("cache: {} ({})\n", data.cache_file, data.from_cache ? "read" : "written");
  fmt::print("load time: {:.2f} s\n", load_s);
  for (const auto& warning : data.warnings)
    fmt::print(stderr, "powertrain: warning: {}\n", warning);
  // Training needs windows in every split: the check fails where it would.
  for (const auto& [name, set, option] : {std::tuple{"training", &data.train, "--train"},
                                          std::tuple{"validation", &data.validation, "--validate"},
                                          std::tuple{"test", &data.test, "--test"}}) {
    if (set->n == 0)
      throw std::invalid_argument(fmt::format(
          "{}: PAMAP2 {} split has no windows, so training on these settings would fail (check {})",
          dir, name, option));
  }
}

void check_celeba(const std::string& dir, const CelebaOptions& options, int64_t decode_count) {
  CelebaDataset dataset(dir, options);
  const CelebaSummary& s = dataset.summary();
  fmt::print("CelebA {}\n", dir);
  fmt::print("task: {}\n", to_string(options.task));
  fmt::print("attribute rows: {}, identity rows: {}, partition rows: {}\n", s.attribute_rows,
             s.identity_rows, s.partition_rows);
  fmt::print("identities: {}\n", s.identities);
  if (options.task != CelebaTask::attributes)
    fmt::print("top {} identities hold {} images\n", dataset.identity_ids().size(),
               s.top_identity_images);
  if (!dataset.attribute_names().empty()) {
    fmt::print("attributes: {} (positive share:", dataset.attribute_names().size());
    for (size_t a = 0; a < dataset.attribute_names().size(); ++a)
      fmt::print(" {}={:.0f}%", dataset.attribute_names()[a],
                 s.attribute_rows ? 100.0 * s.attribute_positive[a] / s.attribute_rows : 0.0);
    fmt::print(")\n");
  }
  fmt::print("split: train {}, validation {}, test {}\n", s.split_sizes[0], s.split_sizes[1],
             s.split_sizes[2]);
  for (DataSplit split : {DataSplit::train, DataSplit::validation, DataSplit::test}) {
    if (s.split_sizes[static_cast<int>(split)] == 0)
      throw std::invalid_argument(
          fmt::format("{}: CelebA {} split has no images, so training on these settings would fail "
                      "(check --top and the "
                      "split fractions)",
                      dir, to_string(split)));
  }

  // Every listed image must exist; a sample (or all) is decoded.
  int64_t images = 0, missing = 0;
  std::string first_missing;
  for (DataSplit split : {DataSplit::train, DataSplit::validation, DataSplit::test})
    for (const auto& item : dataset.items(split)) {
      ++images;
      std::error_code ec;
      // A directory or a device named like an image counts as missing.
      if (!std::filesystem::is_regular_file(dataset.image_path(item), ec)) {
        if (missing++ == 0) first_missing = dataset.image_path(item);
      }
    }
  fmt::print("images present: {} of {}\n", images - missing, images);
  if (missing > 0)
    throw std::runtime_error(
        fmt::format("{} of {} images are missing or not regular files, first: {}", missing, images,
                    first_missing));
  auto start = std::chrono::steady_clock::now();
  int64_t decoded = 0;
  std::vector<float> buffer(3 * static_cast<size_t>(options.image_height) * options.image_width);
  for (DataSplit split : {DataSplit::train, DataSplit::validation, DataSplit::test}) {
    int64_t n = static_cast<int64_t>(dataset.items(split).size());
    for (int64_t i = 0; i < n && (decode_count < 0 || decoded < decode_count); ++i, ++decoded)
      dataset.fill_batch(split, &i, 1, buffer.data());
  }
  double decode_s = seconds_since(start);
  fmt::print("images decoded: {} at {}x{} ({:.0f} images/s)\n", decoded, options.image_height,
             options.image_width, decode_s > 0 ? decoded / decode_s : 0.0);
}

}  // namespace

void add_data_command(CLI::App& app) {
  CLI::App* data = app.add_subcommand("data", "Inspect datasets");
  data->require_subcommand(1);
  CLI::App* check =
      data->add_subcommand("check", "Read a dataset as training would and print what was found");
  check->require_subcommand(1);

  auto pamap2 = std::make_shared<Pamap2Options>();
  auto pamap2_dir = std::make_shared<std::string>();
  auto no_cache = std::make_shared<bool>(false);
  auto no_optional = std::make_shared<bool>(false);
  CLI::App* p = check->add_subcommand("pamap2", "Check a PAMAP2 folder (Protocol/, Optional/)");
  p->add_option("dir", *pamap2_dir, "Dataset folder")->required();
  p->add_option("--activities", pamap2->activities, "Activity ids to keep")->delimiter(',');
  p->add_option("--channels", pamap2->channels,
                "Channel groups: heart_rate, <hand|chest|ankle>.<temp|acc16|acc6|gyro|mag>")
      ->delimiter(',');
  p->add_option("--max-nan-run", pamap2->max_nan_run, "Longest NaN run (rows) that is interpolated")
      ->capture_default_str();
  p->add_option("--downsample", pamap2->downsample, "Keep every k-th row")->capture_default_str();
  p->add_option("--window-length", pamap2->window_length, "Window length (rows)")
      ->capture_default_str();
  p->add_option("--overlap", pamap2->overlap, "Window overlap (0..1)")->capture_default_str();
  auto train = std::make_shared<std::string>("");
  auto validate = std::make_shared<std::string>("105");
  auto test = std::make_shared<std::string>("106");
  auto drop = std::make_shared<std::string>("109");
  p->add_option("--train", *train, "Training subjects, e.g. 101,102 (default: all others)");
  p->add_option("--validate", *validate, "Validation subjects ('none' for none)")
      ->capture_default_str();
  p->add_option("--test", *test, "Test subjects ('none' for none)")->capture_default_str();
  p->add_option("--drop", *drop, "Subjects left out ('none' for none)")->capture_default_str();
  p->add_option("--cache-dir", pamap2->cache_dir,
                "Cache folder (default $XDG_CACHE_HOME/powertrain, else ~/.cache/powertrain)");
  p->add_flag("--no-cache", *no_cache, "Neither read nor write the cache");
  p->add_flag("--no-optional", *no_optional, "Ignore Optional/");
  p->callback([=] {
    pamap2->use_cache = !*no_cache;
    pamap2->include_optional = !*no_optional;
    pamap2->train_subjects = int_list(*train, "--train");
    pamap2->validation_subjects = int_list(*validate, "--validate");
    pamap2->test_subjects = int_list(*test, "--test");
    pamap2->drop_subjects = int_list(*drop, "--drop");
    check_pamap2(*pamap2_dir, *pamap2);
  });

  auto celeba = std::make_shared<CelebaOptions>();
  auto celeba_dir = std::make_shared<std::string>();
  auto task = std::make_shared<std::string>("identity");
  auto size = std::make_shared<int>(64);
  auto decode = std::make_shared<int64_t>(200);
  CLI::App* c =
      check->add_subcommand("celeba", "Check a CelebA folder (img_align_celeba/ and annotations)");
  c->add_option("dir", *celeba_dir, "Dataset folder")->required();
  c->add_option("--task", *task, "identity, attributes or both")->capture_default_str();
  c->add_option("--top", celeba->top_identities, "Most frequent identities kept")
      ->capture_default_str();
  c->add_option("--train-fraction", celeba->train_fraction, "Identity split: training share")
      ->capture_default_str();
  c->add_option("--validation-fraction", celeba->validation_fraction,
                "Identity split: validation share")
      ->capture_default_str();
  c->add_option("--split-seed", celeba->split_seed, "Identity split seed")->capture_default_str();
  c->add_option("--size", *size, "Image size (square)")->capture_default_str();
  c->add_option("--decode", *decode, "Images to decode as a check (-1 = all)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{-1}, std::numeric_limits<int64_t>::max()));
  c->callback([=] {
    celeba->task = parse_celeba_task(*task);
    celeba->image_height = celeba->image_width = *size;
    celeba->cache_images = false;
    check_celeba(*celeba_dir, *celeba, *decode);
  });
}

}  // namespace powertrain::cli
