// PAMAP2 preprocessing: channel selection, NaN handling, downsampling,
// windowing, subject splits and z-score (the on-disk cache: pamap2_cache.cc).
#include "powertrain/data/pamap2.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "data/file_util.h"
#include "data/pamap2_cache.h"

namespace powertrain {
namespace fs = std::filesystem;
using namespace pamap2_detail;
namespace {

constexpr int kTimestampColumn = 0;
constexpr int kActivityColumn = 1;
constexpr int kHeartRateColumn = 2;
// A jump in time larger than this (s) ends a window run.
constexpr double kMaxTimeStepS = 0.1;

struct Channel {
  int column;
  std::string name;
};

std::vector<Channel> resolve_channels(const std::vector<std::string>& groups) {
  static const std::map<std::string, int> imu_offset = {{"hand", 3}, {"chest", 20}, {"ankle", 37}};
  static const std::map<std::string, int> sensor_offset = {
      {"temp", 0}, {"acc16", 1}, {"acc6", 4}, {"gyro", 7}, {"mag", 10}};
  std::vector<Channel> channels;
  std::set<std::string> seen;
  for (const std::string& group : groups) {
    if (!seen.insert(group).second)
      throw std::invalid_argument("PAMAP2 channel group '" + group + "' given twice");
    if (group == "heart_rate") {
      channels.push_back({kHeartRateColumn, "heart_rate"});
      continue;
    }
    size_t dot = group.find('.');
    auto imu = imu_offset.find(group.substr(0, dot));
    auto sensor =
        dot == std::string::npos ? sensor_offset.end() : sensor_offset.find(group.substr(dot + 1));
    if (imu == imu_offset.end() || sensor == sensor_offset.end())
      throw std::invalid_argument(
          "unknown PAMAP2 channel group '" + group +
          "' (known: heart_rate, <hand|chest|ankle>.<temp|acc16|acc6|gyro|mag>)");
    int column = imu->second + sensor->second;
    if (sensor->first == "temp") {
      channels.push_back({column, group});
    } else {
      const char* axes[] = {"x", "y", "z"};
      for (int a = 0; a < 3; ++a) channels.push_back({column + a, group + "." + axes[a]});
    }
  }
  if (channels.empty()) throw std::invalid_argument("PAMAP2: no channels selected");
  return channels;
}

void validate(const Pamap2Options& o) {
  if (o.window_length < 1)
    throw std::invalid_argument(
        fmt::format("PAMAP2 window length must be >= 1, got {}", o.window_length));
  if (o.downsample < 1)
    throw std::invalid_argument(
        fmt::format("PAMAP2 downsample factor must be >= 1, got {}", o.downsample));
  if (!(o.overlap >= 0.0 && o.overlap < 1.0))
    throw std::invalid_argument(
        fmt::format("PAMAP2 window overlap must be in [0, 1), got {}", o.overlap));
  if (o.max_nan_run < 0)
    throw std::invalid_argument(
        fmt::format("PAMAP2 max NaN run must be >= 0, got {}", o.max_nan_run));
  std::map<int, std::string> owner;
  auto claim = [&](const std::vector<int>& subjects, const char* what) {
    for (int s : subjects) {
      auto [it, fresh] = owner.emplace(s, what);
      if (!fresh && it->second != what)
        throw std::invalid_argument(fmt::format(
            "PAMAP2 subject {} is in both the {} and the {} subjects", s, it->second, what));
    }
  };
  claim(o.train_subjects, "train");
  claim(o.validation_subjects, "validation");
  claim(o.test_subjects, "test");
  claim(o.drop_subjects, "dropped");
}

// subject1NN.dat -> NN; -1 when the name does not match.
int subject_from_name(const std::string& name) {
  if (name.size() < 12 || name.compare(0, 7, "subject") != 0 ||
      name.compare(name.size() - 4, 4, ".dat") != 0)
    return -1;
  std::string digits = name.substr(7, name.size() - 11);
  if (digits.empty() || digits.size() > 6 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return -1;
  return std::stoi(digits);
}

std::vector<SubjectFiles> find_subject_files(const std::string& dir, bool include_optional) {
  fs::path protocol = fs::path(dir) / "Protocol";
  std::error_code ec;
  if (!fs::is_directory(protocol, ec)) {
    if (ec && ec != std::errc::no_such_file_or_directory)
      throw std::runtime_error("cannot read PAMAP2 folder '" + protocol.string() +
                               "': " + ec.message());
    throw std::runtime_error(dir + ": no Protocol/ folder (expected " +
                             (protocol / "subject101.dat").string() + " ...)");
  }
  std::map<int, SubjectFiles> found;
  auto scan = [&](const fs::path& folder) {
    std::vector<std::pair<int, std::string>> entries;
    std::error_code list_error;
    fs::directory_iterator it(folder, list_error), end;
    for (; !list_error && it != end; it.increment(list_error)) {
      int subject = subject_from_name(it->path().filename().string());
      std::error_code type_error;
      // A subject1NN.dat that is not a regular file is named when it is read.
      if (subject >= 0 && !it->is_directory(type_error))
        entries.emplace_back(subject, it->path().string());
    }
    if (list_error)
      throw std::runtime_error("cannot list PAMAP2 folder '" + folder.string() +
                               "': " + list_error.message());
    std::sort(entries.begin(), entries.end());
    for (auto& [subject, path] : entries) {
      auto& s = found[subject];
      s.subject = subject;
      s.files.push_back(path);
    }
  };
  scan(protocol);
  if (found.empty()) throw std::runtime_error(protocol.string() + ": no subject1NN.dat files");
  fs::path optional = fs::path(dir) / "Optional";
  if (include_optional && fs::is_directory(optional, ec)) {
    // Optional data only for subjects that have protocol data.
    std::map<int, SubjectFiles> protocol_only = found;
    scan(optional);
    for (auto it = found.begin(); it != found.end();)
      it = protocol_only.count(it->first) ? std::next(it) : found.erase(it);
  }
  std::vector<SubjectFiles> out;
  for (auto& [subject, files] : found) out.push_back(files);
  return out;
}

// Windows of one subject before normalisation, with activity ids as labels.
struct SubjectWindows {
  Pamap2SubjectStats stats;
  std::vector<float> x;
  std::vector<int> activities;
  std::vector<std::string> all_nan_channels;  // selected channels NaN in every row of a file
};

// Interpolates each channel's runs of NaN of at most max_nan_run rows
// between their neighbours; longer runs, and channels NaN throughout, mark
// their rows dropped.
void fill_nan_runs(std::vector<float>& series, int64_t rows, const std::vector<Channel>& channels,
                   int max_nan_run, std::vector<char>& dropped, SubjectWindows& out) {
  const int channel_count = static_cast<int>(channels.size());
  for (int c = 0; c < channel_count; ++c) {
    float* v = series.data() + static_cast<size_t>(c) * rows;
    int64_t r = 0;
    while (r < rows) {
      if (!std::isnan(v[r])) {
        ++r;
        continue;
      }
      int64_t start = r;
      while (r < rows && std::isnan(v[r])) ++r;
      int64_t length = r - start;
      out.stats.nan_values += length;
      bool has_before = start > 0, has_after = r < rows;
      if (!has_before && !has_after &&
          std::find(out.all_nan_channels.begin(), out.all_nan_channels.end(), channels[c].name) ==
              out.all_nan_channels.end())
        out.all_nan_channels.push_back(channels[c].name);
      if (length > max_nan_run || (!has_before && !has_after)) {
        std::fill(dropped.begin() + start, dropped.begin() + r, 1);
        continue;
      }
      float before = has_before ? v[start - 1] : v[r];
      float after = has_after ? v[r] : v[start - 1];
      for (int64_t i = start; i < r; ++i) {
        float t = static_cast<float>(i - start + 1) / static_cast<float>(length + 1);
        v[i] = before + (after - before) * t;
      }
    }
  }
}

void process_file(const std::string& path, const Pamap2Options& o,
                  const std::vector<Channel>& channels, const std::set<int>& keep_activities,
                  SubjectWindows& out) {
  Pamap2Table table = read_pamap2_file(path);
  const int64_t rows = table.rows;
  const int channel_count = static_cast<int>(channels.size());
  const float* raw = table.values.data();
  auto at = [&](int64_t row, int column) { return raw[row * kPamap2Columns + column]; };

  std::map<int, int64_t> per_activity;
  for (const auto& [id, count] : out.stats.rows_per_activity) per_activity[id] = count;
  std::vector<int> activity(rows);
  for (int64_t r = 0; r < rows; ++r) {
    float a = at(r, kActivityColumn);
    if (!(a >= 0 && a < 1e6 && a == std::floor(a)))
      throw std::invalid_argument(fmt::format(
          "{}:{}, column 2: activity id must be a whole number >= 0, got {}", path, r + 1, a));
    activity[r] = static_cast<int>(a);
    ++per_activity[activity[r]];
  }
  out.stats.rows_per_activity.assign(per_activity.begin(), per_activity.end());
  out.stats.rows += rows;
  out.stats.files.push_back(path);

  // Channel-major copy, NaNs interpolated or marked for dropping.
  std::vector<float> series(static_cast<size_t>(channel_count) * rows);
  std::vector<char> dropped(rows, 0);
  // One pass over the row-major table (a pass per channel would stride
  // through all of it once for every channel).
  for (int64_t r = 0; r < rows; ++r)
    for (int c = 0; c < channel_count; ++c)
      series[static_cast<size_t>(c) * rows + r] = at(r, channels[c].column);
  fill_nan_runs(series, rows, channels, o.max_nan_run, dropped, out);
  out.stats.values += static_cast<int64_t>(channel_count) * rows;
  for (char d : dropped) out.stats.dropped_rows += d;

  // Runs of kept rows (same activity, no drop, no time jump) become windows.
  const int stride =
      std::max(1, static_cast<int>(std::lround(o.window_length * (1.0 - o.overlap))));
  const size_t window_values = static_cast<size_t>(channel_count) * o.window_length;
  std::vector<int64_t> run;
  int run_activity = -1;
  auto flush = [&] {
    for (size_t start = 0; start + o.window_length <= run.size(); start += stride) {
      size_t base = out.x.size();
      out.x.resize(base + window_values);
      float* w = out.x.data() + base;
      for (int c = 0; c < channel_count; ++c) {
        const float* v = series.data() + static_cast<size_t>(c) * rows;
        for (int t = 0; t < o.window_length; ++t) w[c * o.window_length + t] = v[run[start + t]];
      }
      out.activities.push_back(run_activity);
    }
    run.clear();
  };
  for (int64_t r = 0; r < rows; ++r) {
    bool usable = !dropped[r] && keep_activities.count(activity[r]);
    bool time_jump =
        r > 0 && !(at(r, kTimestampColumn) - at(r - 1, kTimestampColumn) <= kMaxTimeStepS &&
                   at(r, kTimestampColumn) > at(r - 1, kTimestampColumn));
    if (!usable || activity[r] != run_activity || time_jump) {
      if (!run.empty() && (!usable || activity[r] != run_activity || time_jump)) flush();
      run_activity = usable ? activity[r] : -1;
    }
    if (usable && r % o.downsample == 0) run.push_back(r);
  }
  flush();
}

bool contains(const std::vector<int>& v, int x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// A subject that the preprocessing empties: an error when the options name it
// (training would fail or silently lose it), a warning when it is one of the
// "all other" training subjects.
void check_emptied_subjects(const std::string& dir, const Pamap2Options& o,
                            const std::vector<SubjectWindows>& results,
                            std::vector<std::string>& warnings) {
  for (const auto& r : results) {
    if (!r.activities.empty()) continue;
    const int subject = r.stats.subject;
    std::string why;
    if (!r.all_nan_channels.empty())
      why = fmt::format("selected channel(s) {} are NaN in every row, so every row is dropped",
                        fmt::join(r.all_nan_channels, ", "));
    else if (r.stats.dropped_rows == r.stats.rows)
      why = fmt::format("all {} rows fall in NaN runs longer than {} rows", r.stats.rows,
                        o.max_nan_run);
    else
      why = fmt::format("no run of {} rows of one kept activity (rows {}, dropped {})",
                        o.window_length, r.stats.rows, r.stats.dropped_rows);
    const char* split = contains(o.validation_subjects, subject) ? "validation"
                        : contains(o.test_subjects, subject)     ? "test"
                        : contains(o.train_subjects, subject)    ? "train"
                                                                 : nullptr;
    std::string text = fmt::format("{}: PAMAP2 {} subject {} yields no windows: {}", dir,
                                   split ? split : "training", subject, why);
    if (split) throw std::invalid_argument(text);
    warnings.push_back(text);
  }
}

// The subjects the options use, each one they name checked to be there.
std::vector<SubjectFiles> used_subjects(const std::string& dir, const Pamap2Options& options,
                                        const std::vector<SubjectFiles>& subject_files) {
  std::vector<SubjectFiles> used;
  for (const auto& s : subject_files)
    if (!contains(options.drop_subjects, s.subject) &&
        (options.train_subjects.empty() || contains(options.train_subjects, s.subject) ||
         contains(options.validation_subjects, s.subject) ||
         contains(options.test_subjects, s.subject)))
      used.push_back(s);
  auto require = [&](const std::vector<int>& wanted, const char* what) {
    for (int s : wanted)
      if (std::none_of(used.begin(), used.end(),
                       [&](const SubjectFiles& f) { return f.subject == s; }))
        throw std::invalid_argument(fmt::format(
            "{}: {} subject {} not found (no Protocol/subject{}.dat)", dir, what, s, s));
  };
  require(options.train_subjects, "train");
  require(options.validation_subjects, "validation");
  require(options.test_subjects, "test");
  return used;
}

// Subjects are independent: parses and windows them in parallel.
std::vector<SubjectWindows> window_subjects(const std::vector<SubjectFiles>& used,
                                            const Pamap2Options& options,
                                            const std::vector<Channel>& channels) {
  std::set<int> keep(options.activities.begin(), options.activities.end());
  keep.erase(0);
  std::vector<SubjectWindows> results(used.size());
  std::vector<std::exception_ptr> errors(used.size());
  unsigned workers =
      std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(), used.size()));
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next++) < used.size();) {
      try {
        results[i].stats.subject = used[i].subject;
        for (const auto& f : used[i].files) process_file(f, options, channels, keep, results[i]);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < workers; ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  return results;
}

// z-scores every split with the training windows' mean and standard
// deviation per channel.
void normalize(Pamap2Data& data, int64_t length, int64_t channel_count) {
  for (int64_t c = 0; c < channel_count; ++c) {
    double sum = 0, sum_sq = 0;
    for (int64_t w = 0; w < data.train.n; ++w) {
      const float* v = data.train.x.data() + (w * channel_count + c) * length;
      for (int64_t t = 0; t < length; ++t) sum += v[t];
    }
    double count = static_cast<double>(data.train.n) * length;
    double mean = sum / count;
    for (int64_t w = 0; w < data.train.n; ++w) {
      const float* v = data.train.x.data() + (w * channel_count + c) * length;
      for (int64_t t = 0; t < length; ++t) sum_sq += (v[t] - mean) * (v[t] - mean);
    }
    double std = std::sqrt(sum_sq / count);
    data.channel_mean[c] = static_cast<float>(mean);
    data.channel_std[c] = std > 1e-8 ? static_cast<float>(std) : 1.0f;
  }
  for (WindowSet* s : {&data.train, &data.validation, &data.test})
    for (int64_t w = 0; w < s->n; ++w)
      for (int64_t c = 0; c < channel_count; ++c) {
        float* v = s->x.data() + (w * channel_count + c) * length;
        float mean = data.channel_mean[c], inv = 1.0f / data.channel_std[c];
        for (int64_t t = 0; t < length; ++t) v[t] = (v[t] - mean) * inv;
      }
}

}  // namespace

std::string pamap2_activity_name(int activity_id) {
  static const std::map<int, std::string> names = {{0, "transient"},
                                                   {1, "lying"},
                                                   {2, "sitting"},
                                                   {3, "standing"},
                                                   {4, "walking"},
                                                   {5, "running"},
                                                   {6, "cycling"},
                                                   {7, "Nordic walking"},
                                                   {9, "watching TV"},
                                                   {10, "computer work"},
                                                   {11, "car driving"},
                                                   {12, "ascending stairs"},
                                                   {13, "descending stairs"},
                                                   {16, "vacuum cleaning"},
                                                   {17, "ironing"},
                                                   {18, "folding laundry"},
                                                   {19, "house cleaning"},
                                                   {20, "playing soccer"},
                                                   {24, "rope jumping"}};
  auto it = names.find(activity_id);
  return it == names.end() ? "activity " + std::to_string(activity_id) : it->second;
}

Pamap2Data load_pamap2(const std::string& dir, const Pamap2Options& options) {
  validate(options);
  std::vector<Channel> channels = resolve_channels(options.channels);
  std::vector<SubjectFiles> subject_files = find_subject_files(dir, options.include_optional);

  std::vector<SubjectFiles> used = used_subjects(dir, options, subject_files);

  std::string cache_file;
  std::vector<std::string> cache_warnings;
  if (options.use_cache) {
    std::string cache_dir = options.cache_dir.empty() ? default_cache_dir() : options.cache_dir;
    if (cache_dir.empty())
      cache_warnings.push_back(
          "PAMAP2 cache off: neither XDG_CACHE_HOME nor HOME is set (give --cache-dir)");
    else
      cache_file = (fs::path(cache_dir) / cache_key(used, options)).string();
  }
  if (!cache_file.empty()) {
    if (auto cached = read_cache(cache_file)) return std::move(*cached);
  }

  std::vector<SubjectWindows> results = window_subjects(used, options, channels);

  Pamap2Data data;
  for (const auto& c : channels) data.channel_names.push_back(c.name);
  std::set<int> found;
  for (const auto& r : results) found.insert(r.activities.begin(), r.activities.end());
  data.class_ids.assign(found.begin(), found.end());
  for (int id : data.class_ids) data.class_names.push_back(pamap2_activity_name(id));
  std::map<int, int64_t> label_of;
  for (size_t i = 0; i < data.class_ids.size(); ++i)
    label_of[data.class_ids[i]] = static_cast<int64_t>(i);

  const int64_t channel_count = static_cast<int64_t>(channels.size());
  for (WindowSet* s : {&data.train, &data.validation, &data.test}) {
    s->channels = channel_count;
    s->length = options.window_length;
  }
  check_emptied_subjects(dir, options, results, data.warnings);
  for (auto& r : results) {
    int subject = r.stats.subject;
    WindowSet& s = contains(options.validation_subjects, subject) ? data.validation
                   : contains(options.test_subjects, subject)     ? data.test
                                                                  : data.train;
    s.x.insert(s.x.end(), r.x.begin(), r.x.end());
    for (int a : r.activities) {
      s.labels.push_back(label_of[a]);
      s.subjects.push_back(subject);
    }
    s.n += static_cast<int64_t>(r.activities.size());
    data.subjects.push_back(std::move(r.stats));
    r.x = {};
  }
  if (data.train.n == 0) {
    std::string why = data.warnings.empty() ? "check subjects, activities, window length"
                                            : fmt::format("{}", fmt::join(data.warnings, "; "));
    throw std::invalid_argument(dir + ": PAMAP2 yields no training windows (" + why + ")");
  }

  data.channel_mean.assign(channel_count, 0.0f);
  data.channel_std.assign(channel_count, 1.0f);
  if (options.normalize) normalize(data, options.window_length, channel_count);

  if (!cache_file.empty()) write_cache(cache_file, data);
  data.warnings.insert(data.warnings.end(), cache_warnings.begin(), cache_warnings.end());
  return data;
}

}  // namespace powertrain
