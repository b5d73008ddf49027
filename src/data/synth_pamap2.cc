// Generator of PAMAP2 subject files in the exact raw format. Each activity
// has its own pattern (posture per IMU, movement frequency and amplitude,
// heart rate), shared by all subjects and varied a little per subject, so
// that a classifier can learn it and has to generalise across subjects.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "data/file_util.h"
#include "powertrain/data/synth.h"

namespace powertrain {
namespace fs = std::filesystem;
namespace {

// create_directories with the reason in powertrain's words, not the library's.
void make_folder(const fs::path& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) throw std::runtime_error("cannot create folder '" + folder.string() + "': " + ec.message());
}

constexpr double kPi = 3.14159265358979323846;
constexpr double kGravity = 9.80665;
constexpr int kRowsPerSecond = 100;

struct ImuPattern {
  double gravity[3];      // posture: direction of gravity in the sensor frame
  double magnet[3];       // field direction (uT)
  double acc_amplitude;   // m/s^2
  double gyro_amplitude;  // rad/s
  double phase[3];
  double temperature_c;
};

struct ActivityPattern {
  double frequency_hz;
  double heart_rate_bpm;
  ImuPattern imu[3];
};

bool is_dynamic(int activity) {
  switch (activity) {
    case 1: case 2: case 3: case 9: case 10: case 11: return false;
    default: return true;
  }
}

void random_unit(std::mt19937_64& rng, double out[3]) {
  std::normal_distribution<double> n(0.0, 1.0);
  double norm = 0;
  do {
    for (int i = 0; i < 3; ++i) out[i] = n(rng);
    norm = std::sqrt(out[0] * out[0] + out[1] * out[1] + out[2] * out[2]);
  } while (norm < 1e-3);
  for (int i = 0; i < 3; ++i) out[i] /= norm;
}

// The same for every subject and seed: the activity's identity.
ActivityPattern activity_pattern(int activity) {
  std::mt19937_64 rng(0x9a3a2ULL * 1000003ULL + static_cast<uint64_t>(activity) * 7919ULL);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  ActivityPattern p{};
  bool dynamic = is_dynamic(activity) && activity != 0;
  p.frequency_hz = dynamic ? 0.8 + 2.4 * u(rng) : 0.15 + 0.2 * u(rng);
  p.heart_rate_bpm = dynamic ? 95 + 80 * u(rng) : 65 + 20 * u(rng);
  for (int b = 0; b < 3; ++b) {
    ImuPattern& m = p.imu[b];
    random_unit(rng, m.gravity);
    random_unit(rng, m.magnet);
    for (double& v : m.magnet) v *= 45.0;
    m.acc_amplitude = dynamic ? 1.5 + 7.0 * u(rng) : 0.05 + 0.2 * u(rng);
    m.gyro_amplitude = dynamic ? 0.5 + 2.5 * u(rng) : 0.02 + 0.1 * u(rng);
    for (double& v : m.phase) v = 2 * kPi * u(rng);
    m.temperature_c = 31.0 + 3.0 * u(rng);
  }
  return p;
}

// A subject's own version: tilted posture, other pace and strength.
ActivityPattern subject_pattern(const ActivityPattern& base, std::mt19937_64& rng) {
  std::normal_distribution<double> n(0.0, 1.0);
  ActivityPattern p = base;
  p.frequency_hz *= 1.0 + 0.08 * n(rng);
  p.heart_rate_bpm += 6.0 * n(rng);
  for (auto& m : p.imu) {
    double norm = 0;
    for (double& g : m.gravity) {
      g += 0.12 * n(rng);
      norm += g * g;
    }
    for (double& g : m.gravity) g /= std::sqrt(norm);
    for (double& v : m.magnet) v += 4.0 * n(rng);
    m.acc_amplitude *= std::exp(0.12 * n(rng));
    m.gyro_amplitude *= std::exp(0.12 * n(rng));
    m.temperature_c += 0.5 * n(rng);
  }
  return p;
}

class RowWriter {
 public:
  void number(double v, int precision = 6) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<float>(v), std::chars_format::general, precision);
    sep();
    out_.append(buf, r.ptr);
  }
  void fixed(double v, int decimals) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
    sep();
    out_.append(buf, r.ptr);
  }
  void integer(long v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    sep();
    out_.append(buf, r.ptr);
  }
  void nan() {
    sep();
    out_ += "NaN";
  }
  void end_row() {
    out_ += '\n';
    first_ = true;
  }
  std::string& bytes() { return out_; }

 private:
  void sep() {
    if (!first_) out_ += ' ';
    first_ = false;
  }
  std::string out_;
  bool first_ = true;
};

struct Stretch {
  int activity;
  int64_t rows;
};

// Protocol order with transient activity (0) between activities.
std::vector<Stretch> schedule(const std::vector<int>& activities, int64_t total_rows, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.8, 1.2);
  std::vector<Stretch> plan;
  if (activities.empty() || total_rows <= 0) return plan;
  double share = 0.85 * total_rows / activities.size();
  double transient = 0.15 * total_rows / (activities.size() + 1);
  int64_t used = 0;
  for (size_t i = 0; i < activities.size(); ++i) {
    int64_t t = std::max<int64_t>(1, std::llround(transient * u(rng)));
    int64_t a = std::max<int64_t>(1, std::llround(share * u(rng)));
    plan.push_back({0, t});
    plan.push_back({activities[i], a});
    used += t + a;
  }
  plan.push_back({0, std::max<int64_t>(1, total_rows - used)});
  return plan;
}

void write_subject_file(const std::string& path, int subject, const std::vector<int>& activities, double minutes,
                        uint64_t seed) {
  std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(subject) * 104729ULL + 17);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  int64_t total_rows = std::llround(minutes * 60.0 * kRowsPerSecond);
  std::vector<Stretch> plan = schedule(activities, total_rows, rng);

  std::vector<int> ids = activities;
  ids.push_back(0);
  std::vector<ActivityPattern> patterns;
  for (int id : ids) patterns.push_back(subject_pattern(activity_pattern(id), rng));
  auto pattern_of = [&](int id) -> const ActivityPattern& {
    for (size_t i = 0; i < ids.size(); ++i)
      if (ids[i] == id) return patterns[i];
    return patterns.back();
  };

  // Wireless drop-outs: short ones (interpolated) and, in long files, one
  // long one per subject (dropped by the loader).
  std::vector<int64_t> dropout_until(3, -1);
  int64_t long_dropout_start = total_rows > 20000 ? static_cast<int64_t>(total_rows * (0.3 + 0.4 * u(rng))) : -1;
  int long_dropout_imu = static_cast<int>(u(rng) * 3) % 3;

  RowWriter w;
  w.bytes().reserve(static_cast<size_t>(total_rows) * 380);
  double t = 5.0 + std::floor(u(rng) * 300) / 100.0;
  double heart_rate = 80.0;
  int64_t row = 0;
  for (const Stretch& s : plan) {
    const ActivityPattern& p = pattern_of(s.activity);
    // Exactly total_rows rows: the random stretch lengths may overshoot.
    for (int64_t k = 0; k < s.rows && row < total_rows; ++k, ++row) {
      double time_s = row / static_cast<double>(kRowsPerSecond);
      w.fixed(t + time_s, 2);
      w.integer(s.activity);
      heart_rate += (p.heart_rate_bpm - heart_rate) * 0.002;
      if (row % 11 == 0) {
        w.number(std::round(heart_rate + 1.5 * noise(rng)));
      } else {
        w.nan();
      }
      for (int b = 0; b < 3; ++b) {
        if (dropout_until[b] < row && u(rng) < 0.0002) dropout_until[b] = row + 3 + static_cast<int64_t>(u(rng) * 30);
        bool missing = row <= dropout_until[b] ||
                       (b == long_dropout_imu && long_dropout_start >= 0 && row >= long_dropout_start &&
                        row < long_dropout_start + 400);
        if (missing) {
          for (int c = 0; c < 17; ++c) w.nan();
          continue;
        }
        const ImuPattern& m = p.imu[b];
        double phase = 2 * kPi * p.frequency_hz * time_s;
        double acc[3], gyro[3], mag[3];
        for (int a = 0; a < 3; ++a) {
          // Fundamental plus a harmonic: gait-like, distinct per activity.
          double wave = std::sin(phase + m.phase[a]) + 0.4 * std::sin(2 * phase + 2 * m.phase[a]);
          acc[a] = kGravity * m.gravity[a] + m.acc_amplitude * wave + 0.15 * noise(rng);
          gyro[a] = m.gyro_amplitude * std::cos(phase + m.phase[a]) + 0.03 * noise(rng);
          mag[a] = m.magnet[a] + 2.0 * std::sin(phase * 0.5 + m.phase[a]) + 0.6 * noise(rng);
        }
        w.number(0.0625 * std::round(m.temperature_c / 0.0625 + 0.3 * noise(rng)));
        for (int a = 0; a < 3; ++a) w.number(acc[a]);
        for (int a = 0; a < 3; ++a)  // the +-6 g accelerometer saturates
          w.number(std::clamp(acc[a] + 0.1 * noise(rng), -6 * kGravity, 6 * kGravity));
        for (int a = 0; a < 3; ++a) w.number(gyro[a]);
        for (int a = 0; a < 3; ++a) w.number(mag[a]);
        // Orientation columns are documented as invalid; the real files hold 1 0 0 0.
        w.integer(1);
        w.integer(0);
        w.integer(0);
        w.integer(0);
      }
      w.end_row();
    }
  }
  data_detail::write_file_atomic(path, w.bytes());
}

}  // namespace

void synth_pamap2(const std::string& out_dir, const Pamap2SynthOptions& options) {
  if (options.subjects.empty()) throw std::invalid_argument("synth pamap2: no subjects");
  if (!(options.minutes > 0) || options.minutes > 1000)
    throw std::invalid_argument(fmt::format("synth pamap2: minutes must be in (0, 1000], got {}", options.minutes));
  if (!(options.optional_minutes >= 0) || options.optional_minutes > 1000)
    throw std::invalid_argument(
        fmt::format("synth pamap2: optional minutes must be in [0, 1000], got {}", options.optional_minutes));
  for (int a : options.activities)
    if (a <= 0 || a > 1000) throw std::invalid_argument(fmt::format("synth pamap2: bad activity id {}", a));
  for (int s : options.subjects)
    if (s < 0 || s > 999999) throw std::invalid_argument(fmt::format("synth pamap2: bad subject id {}", s));
  make_folder(fs::path(out_dir) / "Protocol");
  if (options.optional_minutes > 0) make_folder(fs::path(out_dir) / "Optional");
  for (int subject : options.subjects) {
    std::string name = fmt::format("subject{}.dat", subject);
    write_subject_file((fs::path(out_dir) / "Protocol" / name).string(), subject, options.activities,
                       options.minutes, options.seed);
    if (options.optional_minutes > 0)
      write_subject_file((fs::path(out_dir) / "Optional" / name).string(), subject, {9, 10, 11, 18, 19, 20},
                         options.optional_minutes, options.seed + 1000003);
  }
}

}  // namespace powertrain
