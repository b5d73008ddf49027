#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
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

std::string_view trim_view(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// "CPU Power: 954 mW" -> {"CPU Power", 954}; "...(CPUs+GT+SA): 12.39W" ->
// {"...", 12390}. nullopt when the line is not "<label>: <number> mW|W".
struct Figure {
  std::string label;
  double mw = 0;
};

std::optional<Figure> parse_figure(std::string_view line) {
  size_t colon = line.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string rest = trim(line.substr(colon + 1));
  double scale = 0;
  if (rest.size() > 2 && rest.compare(rest.size() - 2, 2, "mW") == 0) {
    scale = 1;
    rest.resize(rest.size() - 2);
  } else if (rest.size() > 1 && rest.back() == 'W') {
    scale = 1000;  // Intel Macs print watts
    rest.resize(rest.size() - 1);
  } else {
    return std::nullopt;
  }
  std::string number = trim(rest);
  if (number.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size()) return std::nullopt;
  return Figure{trim(line.substr(0, colon)), v * scale};
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

const char kIntelPackage[] = "Intel energy model derived package power (CPUs+GT+SA)";

// The labels of the lines that carry a figure powertrain reads.
bool is_power_label(const std::string& label) {
  static const char* const kLabels[] = {"CPU Power",
                                        "GPU Power",
                                        "ANE Power",
                                        "DRAM Power",
                                        "Package Power",
                                        kIntelPackage,
                                        "Clusters Total Power",
                                        "Combined Power (CPU + GPU + ANE)"};
  for (const char* l : kLabels) {
    if (label == l) return true;
  }
  return ends_with(label, "-Cluster Power") && label.find(' ') == label.size() - 6;
}

// The elapsed time of a block's heading, "(5021.96ms elapsed)"; nullopt
// when the heading has none or it is not a number.
std::optional<double> parse_elapsed_ms(std::string_view heading) {
  size_t e = heading.find("ms elapsed");
  size_t b = heading.rfind('(', e);
  if (e == std::string::npos || b == std::string::npos) return std::nullopt;
  char* end = nullptr;
  std::string num(heading.substr(b + 1, e - b - 1));
  double v = std::strtod(num.c_str(), &end);
  if (end == num.c_str()) return std::nullopt;
  return v;
}

}  // namespace

bool PowermetricsParser::has_figures() const {
  const PowermetricsSample& c = current_;
  return c.cpu_mw || c.gpu_mw || c.ane_mw || c.dram_mw || c.package_mw || c.combined_mw ||
         processor_gpu_mw_ || clusters_total_mw_ || cluster_sum_mw_;
}

PowermetricsSample PowermetricsParser::complete() const {
  PowermetricsSample s = current_;
  s.number = blocks_;
  if (!s.cpu_mw && clusters_total_mw_) {
    s.cpu_mw = clusters_total_mw_;
    s.cpu_from = "Clusters Total Power";
  } else if (!s.cpu_mw && cluster_sum_mw_) {
    s.cpu_mw = cluster_sum_mw_;
    s.cpu_from = join(cluster_labels_, " + ");
  }
  if (!s.gpu_mw && processor_gpu_mw_) {
    s.gpu_mw = processor_gpu_mw_;
    s.gpu_from = "GPU Power (processor section)";
  }
  return s;
}

std::optional<PowermetricsSample> PowermetricsParser::end_block() {
  std::optional<PowermetricsSample> done;
  if (in_block_ && has_figures()) {
    end_marker_ = last_figure_;  // where blocks of this output end
    if (dirty_) done = complete();
  }
  in_block_ = false;
  dirty_ = false;
  return done;
}

std::optional<PowermetricsSample> PowermetricsParser::flush() {
  if (!in_block_ || !dirty_ || !has_figures()) return std::nullopt;
  dirty_ = false;
  return complete();
}

void PowermetricsParser::start_block() {
  in_block_ = true;
  ++blocks_;
  section_ = Section::kNone;
  current_ = PowermetricsSample{};
  processor_gpu_mw_.reset();
  clusters_total_mw_.reset();
  cluster_sum_mw_.reset();
  cluster_labels_.clear();
  last_figure_ = Key{};
}

bool PowermetricsParser::record(const std::string& label, double mw) {
  if (label == "CPU Power") {
    current_.cpu_mw = mw;
    current_.cpu_from = label;
  } else if (label == "GPU Power") {
    if (section_ == Section::kGpu) {
      current_.gpu_mw = mw;
      current_.gpu_from = "GPU Power (GPU usage section)";
    } else {
      processor_gpu_mw_ = mw;
    }
  } else if (label == "ANE Power") {
    current_.ane_mw = mw;
    current_.ane_from = label;
  } else if (label == "DRAM Power") {
    current_.dram_mw = mw;
  } else if (label == "Package Power") {
    current_.package_mw = mw;
    current_.package_from = label;
  } else if (label == kIntelPackage) {
    current_.package_mw = mw;
    current_.package_from = kIntelPackage;
    current_.intel_package = true;
  } else if (label == "Combined Power (CPU + GPU + ANE)") {
    current_.combined_mw = mw;
  } else if (label == "Clusters Total Power") {
    clusters_total_mw_ = mw;
  } else if (ends_with(label, "-Cluster Power")) {
    cluster_sum_mw_ = cluster_sum_mw_.value_or(0) + mw;
    cluster_labels_.push_back(label);
  } else {
    return false;
  }
  return true;
}

std::optional<PowermetricsSample> PowermetricsParser::feed(const std::string& raw) {
  ++line_no_;
  std::string_view line = trim_view(raw);
  if (starts_with(line, "*** Summary system activity")) return end_block();
  if (starts_with(line, "*** Sampled system activity")) {
    std::optional<PowermetricsSample> done = end_block();
    start_block();
    if (std::optional<double> ms = parse_elapsed_ms(line)) current_.elapsed_ms = *ms;
    return done;
  }
  if (!in_block_ || line.empty()) return std::nullopt;
  if (starts_with(line, "****")) {
    if (line.find("Processor usage") != std::string::npos)
      section_ = Section::kProcessor;
    else if (line.find("GPU usage") != std::string::npos)
      section_ = Section::kGpu;
    else
      section_ = Section::kOther;
    return std::nullopt;
  }
  size_t colon = line.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string label = trim(line.substr(0, colon));
  if (!is_power_label(label)) return std::nullopt;
  std::optional<Figure> f = parse_figure(line);
  if (!f) {
    current_.unreadable.push_back("line " + std::to_string(line_no_) + ": '" + std::string(line) +
                                  "'");
    return std::nullopt;
  }
  if (!record(label, f->mw)) return std::nullopt;
  last_figure_ = Key{section_, label};
  dirty_ = true;
  if (end_marker_ && *end_marker_ == last_figure_) {
    dirty_ = false;
    return complete();
  }
  return std::nullopt;
}

std::vector<std::string> parse_powermetrics_samplers(const std::string& help_text) {
  std::vector<std::string> out;
  bool in_list = false;
  for (const std::string& raw : split(help_text, '\n')) {
    std::string line = trim(raw);
    if (line.find("sampler groups are supported") != std::string::npos) {
      if (in_list) break;  // the list of groups follows the list of samplers
      continue;
    }
    if (line.find("samplers are supported by --samplers") != std::string::npos) {
      in_list = true;
      continue;
    }
    if (!in_list || line.empty()) continue;
    std::string name = line.substr(0, line.find_first_of(" \t"));
    bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
    if (ok) out.push_back(name);
  }
  return out;
}

namespace {

// Runs `program -h` and returns what it printed (stdout and stderr); throws
// what Subprocess throws when the program cannot be run.
std::string run_help(const std::string& program) {
  SpawnOptions spawn;
  spawn.argv = {program, "-h"};
  spawn.capture_stdout = true;
  spawn.capture_stderr = true;
  Subprocess child(spawn);
  std::string text;
  int fds[2] = {child.stdout_fd(), child.stderr_fd()};
  int open_count = 2;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (open_count > 0 && std::chrono::steady_clock::now() < deadline) {
    pollfd p[2];
    for (int i = 0; i < 2; ++i) p[i] = {fds[i], POLLIN, 0};
    if (poll(p, 2, 200) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char chunk[4096];
      ssize_t n = ::read(fds[i], chunk, sizeof(chunk));
      if (n <= 0) {
        fds[i] = -1;
        --open_count;
      } else if (text.size() < 256 * 1024) {
        text.append(chunk, static_cast<size_t>(n));
      }
    }
  }
  return text;  // the destructor kills and reaps a child still running
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

class PowermetricsSensor final : public Sensor {
 public:
  explicit PowermetricsSensor(const SensorOptions& options) {
    interval_ms_ = std::max(10, static_cast<int>(options.interval_s * 1000));
    std::string help;
    try {
      help = run_help(options.powermetrics_program);
    } catch (const std::exception& e) {
      reason_ = std::string(e.what()) + " (powermetrics ships with macOS)";
      return;
    }
    // Ask only for samplers this powermetrics has: it refuses the whole run
    // for one it does not know ("unrecognized sampler").
    std::vector<std::string> offered = parse_powermetrics_samplers(help);
    std::vector<std::string> samplers;
    if (offered.empty()) {
      samplers = {"cpu_power", "gpu_power"};
      notes_.push_back("`powermetrics -h` listed no samplers; asked for cpu_power,gpu_power");
    } else if (!contains(offered, "cpu_power")) {
      reason_ =
          "this powermetrics offers no cpu_power sampler (it offers " + join(offered, ", ") + ")";
      return;
    } else {
      for (const char* want : {"cpu_power", "gpu_power", "ane_power"}) {
        if (contains(offered, want))
          samplers.push_back(want);
        else
          notes_.push_back(std::string("no ") + want + " sampler in this powermetrics");
      }
    }
    SpawnOptions spawn;
    spawn.argv = {options.powermetrics_program, "--samplers", join(samplers, ","), "-i",
                  std::to_string(interval_ms_)};
    // Line-buffered output, so that a block arrives when it is printed.
    if (help.find("--buffer-size") != std::string::npos) {
      spawn.argv.insert(spawn.argv.end(), {"-b", "1"});
    }
    spawn.capture_stdout = true;
    spawn.capture_stderr = true;
    try {
      child_ = std::make_unique<Subprocess>(spawn);
    } catch (const std::exception& e) {
      reason_ = std::string(e.what()) + " (powermetrics ships with macOS)";
      return;
    }
    notes_.insert(notes_.begin(), "samplers " + join(samplers, ","));
    reader_ = std::thread([this] { read_loop(); });
    // Wait for the first complete block, or for the program to give up.
    auto deadline = std::chrono::milliseconds(std::max(3000, 3 * interval_ms_));
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, deadline, [this] { return latest_.has_value() || ended_; });
    if (!latest_) {
      std::string said = trim(stderr_text_);
      if (said.find("superuser") != std::string::npos || said.find("root") != std::string::npos) {
        reason_ =
            "powermetrics needs root; powertrain never calls sudo itself: run it as "
            "`sudo powertrain ...` (powermetrics said: " +
            said + ")";
      } else if (ended_) {
        reason_ = "powermetrics exited without a sample" + (said.empty() ? "" : ": " + said);
      } else {
        reason_ = "no sample from powermetrics within " + std::to_string(deadline.count()) + " ms";
      }
      return;
    }
    describe(*latest_);
  }

  ~PowermetricsSensor() override {
    stop_ = true;
    if (child_) child_->signal(SIGTERM);
    if (reader_.joinable()) reader_.join();
  }

  std::string name() const override { return "powermetrics"; }
  bool available() const override { return !infos_.empty(); }
  std::string reason() const override { return available() ? join(notes_, "; ") : reason_; }
  std::vector<DeviceInfo> devices() const override { return infos_; }

  // The latest block's figures; powermetrics averages over its own interval,
  // so a value is repeated when the sampler reads faster than it prints.
  std::vector<PowerReading> read() override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<PowerReading> out(infos_.size());
    for (size_t i = 0; i < infos_.size(); ++i) out[i].device = infos_[i].id;
    if (!latest_ || ended_) {
      for (auto& r : out) r.error = ended_ ? "powermetrics has exited" : "no sample yet";
      return out;
    }
    for (auto& r : out) {
      if (r.device == "cpu")
        r.power_mw = latest_->cpu_mw;
      else if (r.device == "gpu")
        r.power_mw = latest_->gpu_mw;
      else if (r.device == "ane")
        r.power_mw = latest_->ane_mw;
      else if (r.device == "package")
        r.power_mw = latest_->package_mw;
      if (!r.power_mw) {
        r.error = "no figure in powermetrics block " + std::to_string(latest_->number);
        if (!latest_->unreadable.empty()) {
          r.error += "; unreadable: " + join(latest_->unreadable, ", ");
        }
      }
    }
    return out;
  }

 private:
  // Devices and what each figure is, from the first block: Apple Silicon
  // prints CPU (or cluster) lines, Intel Macs only the package line, which
  // already holds the CPUs, the integrated GPU (GT) and the system agent.
  void describe(const PowermetricsSample& s) {
    std::string every =
        ", averaged by powermetrics over each " + std::to_string(interval_ms_) + " ms block";
    auto info = [](const char* id, const char* name, std::string measures) {
      DeviceInfo d;
      d.id = id;
      d.name = name;
      d.measures = std::move(measures);
      return d;
    };
    if (!s.cpu_mw && s.intel_package) {
      infos_.push_back(info(
          "package", "Intel CPU package",
          "CPUs+GT+SA power, powermetrics line: " + s.package_from + " (printed in W)" + every));
      return;
    }
    auto from = [](const std::string& line, const char* fallback) {
      return "powermetrics line: " + (line.empty() ? std::string(fallback) : line);
    };
    infos_.push_back(
        info("cpu", "Apple Silicon CPU", "CPU power, " + from(s.cpu_from, "CPU Power") + every));
    infos_.push_back(
        info("gpu", "Apple Silicon GPU", "GPU power, " + from(s.gpu_from, "GPU Power") + every));
    infos_.push_back(
        info("ane", "Apple Neural Engine", "ANE power, " + from(s.ane_from, "ANE Power") + every));
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
      // 100 ms of silence: the block in progress is as complete as it gets
      // (this is what publishes the first block, before its end is known).
      int r = poll(p, 2, 100);
      if (r == 0) {
        if (auto s = parser.flush()) publish(*s);
        continue;
      }
      if (r < 0) continue;
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
  std::vector<std::string> notes_;
  std::vector<DeviceInfo> infos_;
  int interval_ms_ = 1000;
};

}  // namespace

std::unique_ptr<Sensor> make_powermetrics_sensor(const SensorOptions& options) {
  return std::make_unique<PowermetricsSensor>(options);
}

}  // namespace powertrain
