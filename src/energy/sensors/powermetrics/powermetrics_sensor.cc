#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "powertrain/energy/sensors/powermetrics.h"
#include "util/strings.h"
#include "util/subprocess.h"

namespace powertrain {

namespace {

// "CPU Power: 954 mW" -> 954; nullopt when the line has another shape.
std::string_view trim_view(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::optional<double> milliwatts_after(std::string_view line, std::string_view label) {
  if (!starts_with(line, label)) return std::nullopt;
  std::string rest = trim(line.substr(label.size()));
  size_t unit = rest.rfind("mW");
  if (unit == std::string::npos) return std::nullopt;
  std::string number = trim(rest.substr(0, unit));
  char* end = nullptr;
  double v = std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<PowermetricsSample> PowermetricsParser::feed(const std::string& raw) {
  std::string_view line = trim_view(raw);
  std::optional<PowermetricsSample> done;
  if (starts_with(line, "*** Sampled system activity")) {
    done = finish();
    in_block_ = true;
    section_ = Section::kNone;
    current_ = PowermetricsSample{};
    processor_gpu_mw_.reset();
    // "(5021.96ms elapsed)"
    size_t e = line.find("ms elapsed");
    size_t b = line.rfind('(', e);
    if (e != std::string::npos && b != std::string::npos) {
      char* end = nullptr;
      std::string num(line.substr(b + 1, e - b - 1));
      double v = std::strtod(num.c_str(), &end);
      if (end != num.c_str()) current_.elapsed_ms = v;
    }
    return done;
  }
  if (!in_block_) return std::nullopt;
  // Only a few lines carry a figure: skip the rest on their first letter.
  if (line.empty() || (line[0] != '*' && line[0] != 'C' && line[0] != 'G' && line[0] != 'A')) {
    return std::nullopt;
  }
  if (starts_with(line, "****")) {
    if (line.find("Processor usage") != std::string::npos) section_ = Section::kProcessor;
    else if (line.find("GPU usage") != std::string::npos) section_ = Section::kGpu;
    else section_ = Section::kOther;
    return std::nullopt;
  }
  if (auto v = milliwatts_after(line, "CPU Power:")) current_.cpu_mw = v;
  else if (auto v = milliwatts_after(line, "ANE Power:")) current_.ane_mw = v;
  else if (auto v = milliwatts_after(line, "Combined Power (CPU + GPU + ANE):")) current_.combined_mw = v;
  else if (auto v = milliwatts_after(line, "GPU Power:")) {
    if (section_ == Section::kGpu) current_.gpu_mw = v;
    else processor_gpu_mw_ = v;
  }
  return std::nullopt;
}

std::optional<PowermetricsSample> PowermetricsParser::finish() {
  if (!in_block_) return std::nullopt;
  PowermetricsSample s = current_;
  if (!s.gpu_mw) s.gpu_mw = processor_gpu_mw_;
  in_block_ = false;
  if (!s.cpu_mw && !s.gpu_mw && !s.ane_mw) return std::nullopt;
  return s;
}

namespace {

class PowermetricsSensor final : public Sensor {
 public:
  explicit PowermetricsSensor(const SensorOptions& options) {
    int interval_ms = std::max(10, static_cast<int>(options.interval_s * 1000));
    SpawnOptions spawn;
    spawn.argv = {options.powermetrics_program, "--samplers", "cpu_power,gpu_power,ane_power",
                  "-i", std::to_string(interval_ms)};
    spawn.capture_stdout = true;
    spawn.capture_stderr = true;
    try {
      child_ = std::make_unique<Subprocess>(spawn);
    } catch (const std::exception& e) {
      reason_ = std::string(e.what()) + " (powermetrics ships with macOS on Apple Silicon)";
      return;
    }
    reader_ = std::thread([this] { read_loop(); });
    // Wait for the first complete block, or for the program to give up.
    auto deadline = std::chrono::milliseconds(std::max(3000, 3 * interval_ms));
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, deadline, [this] { return latest_.has_value() || ended_; });
    if (!latest_) {
      std::string said = trim(stderr_text_);
      if (said.find("superuser") != std::string::npos || said.find("root") != std::string::npos) {
        reason_ = "powermetrics needs root; powertrain never calls sudo itself: run it as "
                  "`sudo powertrain ...` (powermetrics said: " + said + ")";
      } else if (ended_) {
        reason_ = "powermetrics exited without a sample" + (said.empty() ? "" : ": " + said);
      } else {
        reason_ = "no sample from powermetrics within " + std::to_string(deadline.count()) + " ms";
      }
    }
  }

  ~PowermetricsSensor() override {
    stop_ = true;
    if (child_) child_->signal(SIGTERM);
    if (reader_.joinable()) reader_.join();
  }

  std::string name() const override { return "powermetrics"; }
  bool available() const override { return reason_.empty(); }
  std::string reason() const override { return reason_; }

  std::vector<DeviceInfo> devices() const override {
    if (!available()) return {};
    return {{"cpu", "Apple Silicon CPU", "CPU power (powermetrics cpu_power)", false, {}},
            {"gpu", "Apple Silicon GPU", "GPU power (powermetrics gpu_power)", false, {}},
            {"ane", "Apple Neural Engine", "ANE power (powermetrics ane_power)", false, {}}};
  }

  // The latest block's figures; powermetrics averages over its own interval,
  // so a value is repeated when the sampler reads faster than it prints.
  std::vector<PowerReading> read() override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<PowerReading> out(3);
    out[0].device = "cpu";
    out[1].device = "gpu";
    out[2].device = "ane";
    if (!latest_ || ended_) {
      for (auto& r : out) r.error = ended_ ? "powermetrics has exited" : "no sample yet";
      return out;
    }
    out[0].power_mw = latest_->cpu_mw;
    out[1].power_mw = latest_->gpu_mw;
    out[2].power_mw = latest_->ane_mw;
    for (auto& r : out) {
      if (!r.power_mw) r.error = "missing in powermetrics output";
    }
    return out;
  }

 private:
  void read_loop() {
    std::string out_buf, err_buf;
    PowermetricsParser parser;
    int fds[2] = {child_->stdout_fd(), child_->stderr_fd()};
    std::string* bufs[2] = {&out_buf, &err_buf};
    int open_count = 2;
    while (!stop_ && open_count > 0) {
      pollfd p[2];
      for (int i = 0; i < 2; ++i) p[i] = {fds[i], POLLIN, 0};
      int r = poll(p, 2, 200);
      if (r <= 0) continue;
      for (int i = 0; i < 2; ++i) {
        if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char chunk[4096];
        ssize_t n = ::read(fds[i], chunk, sizeof(chunk));
        if (n <= 0) {
          fds[i] = -1;
          --open_count;
          continue;
        }
        bufs[i]->append(chunk, static_cast<size_t>(n));
        size_t nl;
        while ((nl = bufs[i]->find('\n')) != std::string::npos) {
          std::string line = bufs[i]->substr(0, nl);
          bufs[i]->erase(0, nl + 1);
          if (i == 1) {
            std::lock_guard<std::mutex> lock(mutex_);
            if (stderr_text_.size() < 2000) stderr_text_ += line + " ";
            continue;
          }
          if (auto s = parser.feed(line)) publish(*s);
        }
      }
    }
    if (auto s = parser.finish()) publish(*s);
    std::lock_guard<std::mutex> lock(mutex_);
    ended_ = true;
    cv_.notify_all();
  }

  void publish(const PowermetricsSample& s) {
    std::lock_guard<std::mutex> lock(mutex_);
    latest_ = s;
    cv_.notify_all();
  }

  std::unique_ptr<Subprocess> child_;
  std::thread reader_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::optional<PowermetricsSample> latest_;
  bool ended_ = false;
  std::string stderr_text_;
  std::string reason_;
};

}  // namespace

std::unique_ptr<Sensor> make_powermetrics_sensor(const SensorOptions& options) {
  return std::make_unique<PowermetricsSensor>(options);
}

}  // namespace powertrain
