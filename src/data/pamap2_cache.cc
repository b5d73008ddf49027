// The on-disk cache of preprocessed PAMAP2 windows: file format, key,
// reading and writing.
#include "data/pamap2_cache.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "data/file_util.h"

namespace powertrain {
namespace fs = std::filesystem;
namespace pamap2_detail {
namespace {

constexpr uint32_t kCacheVersion = 2;

class Writer {
 public:
  template <typename T>
  void pod(const T& v) {
    bytes_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  template <typename T>
  void vec(const std::vector<T>& v) {
    pod<uint64_t>(v.size());
    bytes_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  void str(const std::string& s) {
    pod<uint64_t>(s.size());
    bytes_ += s;
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  template <typename T>
  T pod() {
    T v;
    need(sizeof v);
    std::memcpy(&v, bytes_.data(), sizeof v);
    bytes_.remove_prefix(sizeof v);
    return v;
  }
  template <typename T>
  std::vector<T> vec() {
    uint64_t n = pod<uint64_t>();
    if (n > bytes_.size() / sizeof(T)) throw std::runtime_error("truncated");
    std::vector<T> v(n);
    if (n > 0)
      std::memcpy(v.data(), bytes_.data(), n * sizeof(T));  // data() may be null when empty
    bytes_.remove_prefix(n * sizeof(T));
    return v;
  }
  std::string str() {
    uint64_t n = pod<uint64_t>();
    need(n);
    std::string s(bytes_.substr(0, n));
    bytes_.remove_prefix(n);
    return s;
  }
  bool done() const { return bytes_.empty(); }

 private:
  void need(size_t n) {
    if (bytes_.size() < n) throw std::runtime_error("truncated");
  }
  std::string_view bytes_;
};

}  // namespace

void write_windows(Writer& w, const WindowSet& s) {
  w.vec(s.x);
  w.vec(s.labels);
  w.vec(s.subjects);
  w.pod(s.n);
  w.pod(s.channels);
  w.pod(s.length);
}

WindowSet read_windows(Reader& r) {
  WindowSet s;
  s.x = r.vec<float>();
  s.labels = r.vec<int64_t>();
  s.subjects = r.vec<int>();
  s.n = r.pod<int64_t>();
  s.channels = r.pod<int64_t>();
  s.length = r.pod<int64_t>();
  if (static_cast<int64_t>(s.x.size()) != s.n * s.channels * s.length ||
      static_cast<int64_t>(s.labels.size()) != s.n)
    throw std::runtime_error("inconsistent");
  return s;
}

const char kMagic[8] = {'P', 'T', 'P', 'A', 'M', 'A', 'P', '2'};

std::string serialize(const Pamap2Data& d) {
  Writer w;
  for (char c : kMagic) w.pod(c);
  w.pod(kCacheVersion);
  write_windows(w, d.train);
  write_windows(w, d.validation);
  write_windows(w, d.test);
  w.vec(d.class_ids);
  w.pod<uint64_t>(d.class_names.size());
  for (const auto& s : d.class_names) w.str(s);
  w.pod<uint64_t>(d.channel_names.size());
  for (const auto& s : d.channel_names) w.str(s);
  w.vec(d.channel_mean);
  w.vec(d.channel_std);
  w.pod<uint64_t>(d.warnings.size());
  for (const auto& s : d.warnings) w.str(s);
  w.pod<uint64_t>(d.subjects.size());
  for (const auto& s : d.subjects) {
    w.pod(s.subject);
    w.pod<uint64_t>(s.files.size());
    for (const auto& f : s.files) w.str(f);
    w.pod(s.rows);
    std::vector<int> ids;
    std::vector<int64_t> counts;
    for (const auto& [id, count] : s.rows_per_activity) {
      ids.push_back(id);
      counts.push_back(count);
    }
    w.vec(ids);
    w.vec(counts);
    w.pod(s.values);
    w.pod(s.nan_values);
    w.pod(s.dropped_rows);
  }
  return w.bytes();
}

Pamap2Data deserialize(std::string_view bytes) {
  Reader r(bytes);
  for (char c : kMagic)
    if (r.pod<char>() != c) throw std::runtime_error("not a cache file");
  if (r.pod<uint32_t>() != kCacheVersion) throw std::runtime_error("old cache version");
  Pamap2Data d;
  d.train = read_windows(r);
  d.validation = read_windows(r);
  d.test = read_windows(r);
  d.class_ids = r.vec<int>();
  auto strings = [&](std::vector<std::string>& out) {
    uint64_t n = r.pod<uint64_t>();
    if (n > bytes.size()) throw std::runtime_error("truncated");
    for (uint64_t i = 0; i < n; ++i) out.push_back(r.str());
  };
  strings(d.class_names);
  strings(d.channel_names);
  d.channel_mean = r.vec<float>();
  d.channel_std = r.vec<float>();
  strings(d.warnings);
  uint64_t subjects = r.pod<uint64_t>();
  if (subjects > bytes.size()) throw std::runtime_error("truncated");
  for (uint64_t i = 0; i < subjects; ++i) {
    Pamap2SubjectStats s;
    s.subject = r.pod<int>();
    strings(s.files);
    s.rows = r.pod<int64_t>();
    std::vector<int> ids = r.vec<int>();
    std::vector<int64_t> counts = r.vec<int64_t>();
    if (ids.size() != counts.size()) throw std::runtime_error("inconsistent");
    for (size_t k = 0; k < ids.size(); ++k) s.rows_per_activity.emplace_back(ids[k], counts[k]);
    s.values = r.pod<int64_t>();
    s.nan_values = r.pod<int64_t>();
    s.dropped_rows = r.pod<int64_t>();
    d.subjects.push_back(std::move(s));
  }
  if (!r.done()) throw std::runtime_error("trailing bytes");
  return d;
}

std::string cache_key(const std::vector<SubjectFiles>& subjects, const Pamap2Options& o) {
  std::string text = fmt::format("v{}|", kCacheVersion);
  for (const auto& s : subjects)
    for (const auto& f : s.files) {
      std::error_code ec;
      fs::path p = fs::absolute(f, ec);
      auto size = fs::file_size(f, ec);
      auto mtime = fs::last_write_time(f, ec).time_since_epoch().count();
      text +=
          fmt::format("{}|{}|{}|{}|", s.subject, p.string(), size, static_cast<long long>(mtime));
    }
  text += fmt::format("a{}|c{}|n{}|d{}|w{}|o{:.17g}|tr{}|va{}|te{}|dr{}|opt{}|z{}",
                      fmt::join(o.activities, ","), fmt::join(o.channels, ","), o.max_nan_run,
                      o.downsample, o.window_length, o.overlap, fmt::join(o.train_subjects, ","),
                      fmt::join(o.validation_subjects, ","), fmt::join(o.test_subjects, ","),
                      fmt::join(o.drop_subjects, ","), o.include_optional, o.normalize);
  return fmt::format("pamap2-{:016x}.bin", data_detail::fnv1a(text));
}

std::optional<Pamap2Data> read_cache(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  try {
    Pamap2Data cached = deserialize(data_detail::read_file(path));
    cached.from_cache = true;
    cached.cache_file = path;
    return cached;
  } catch (const std::exception&) {
    // A damaged or outdated cache file is rebuilt by the caller.
    return std::nullopt;
  }
}

void write_cache(const std::string& path, Pamap2Data& data) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  try {
    if (ec)
      throw std::runtime_error("cannot create cache folder '" +
                               fs::path(path).parent_path().string() + "': " + ec.message());
    data_detail::write_file_atomic(path, serialize(data));
    data.cache_file = path;
  } catch (const std::exception& e) {
    // The result is still good; only later loads are slower.
    data.warnings.push_back(std::string("PAMAP2 cache not written: ") + e.what());
  }
}

}  // namespace pamap2_detail

std::string default_cache_dir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && *xdg == '/') return std::string(xdg) + "/powertrain";
  const char* home = std::getenv("HOME");
  if (home && *home) return std::string(home) + "/.cache/powertrain";
  return "";
}

}  // namespace powertrain
