#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "powertrain/energy/sensors/rapl.h"
#include "util/strings.h"

namespace powertrain {

namespace {

// One powercap zone we read: a package (intel-rapl:N) or its dram subzone.
// Cores/uncore are inside the package figure and psys overlaps it, so they
// are left out to avoid counting energy twice.
struct Zone {
  std::string id;        // "package-0", "dram-0"
  std::string path;      // .../intel-rapl:0
  int fd = -1;           // energy_uj, kept open: pread() at offset 0 re-reads it
  double max_range_uj = 0;
  double last_uj = 0;
  double total_mj = 0;   // unwrapped cumulative energy since the sensor opened
  std::chrono::steady_clock::time_point last_time;
  bool primed = false;
};

// Reads an unsigned integer from an open sysfs file; false with errno on failure.
bool pread_uint(int fd, double* value) {
  char buf[32];
  ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) {
    if (n == 0) errno = EIO;
    return false;
  }
  buf[n] = '\0';
  char* end = nullptr;
  unsigned long long v = std::strtoull(buf, &end, 10);
  if (end == buf) {
    errno = EINVAL;
    return false;
  }
  *value = static_cast<double>(v);
  return true;
}

class RaplSensor final : public Sensor {
 public:
  explicit RaplSensor(const SensorOptions& options) : root_(options.rapl_root) { discover(); }

  ~RaplSensor() override {
    for (Zone& z : zones_) {
      if (z.fd >= 0) close(z.fd);
    }
  }

  std::string name() const override { return "rapl"; }
  bool available() const override { return !zones_.empty(); }
  std::string reason() const override { return reason_; }
  std::vector<DeviceInfo> devices() const override { return infos_; }

  std::vector<PowerReading> read() override {
    std::vector<PowerReading> out;
    out.reserve(zones_.size());
    auto now = std::chrono::steady_clock::now();
    for (Zone& z : zones_) {
      PowerReading r;
      r.device = z.id;
      r.source = EnergySource::kCounter;
      double uj = 0;
      if (!pread_uint(z.fd, &uj)) {
        r.error = z.path + "/energy_uj: " + std::strerror(errno);
        out.push_back(std::move(r));
        continue;
      }
      double delta_uj = uj - z.last_uj;
      // The counter wraps at max_energy_range_uj back to 0.
      if (delta_uj < 0) delta_uj += z.max_range_uj + 1;
      double dt_s = std::chrono::duration<double>(now - z.last_time).count();
      z.total_mj += delta_uj / 1000.0;
      z.last_uj = uj;
      z.last_time = now;
      r.energy_mj = z.total_mj;
      // Power over the interval since the previous read; the first read after
      // opening has an interval too, because discover() primes the counter.
      // uJ / 1000 = mJ, and mJ per second = mW.
      if (dt_s > 0) r.power_mw = delta_uj / 1000.0 / dt_s;
      else r.power_mw = 0;
      out.push_back(std::move(r));
    }
    return out;
  }

 private:
  void discover() {
    DIR* dir = opendir(root_.c_str());
    if (!dir) {
      reason_ = "no powercap tree at " + root_ + ": " + std::strerror(errno) +
                " (not Linux, or RAPL not exposed)";
      return;
    }
    std::vector<std::string> packages;
    while (dirent* e = readdir(dir)) {
      std::string n = e->d_name;
      // Top-level zones look like intel-rapl:0 (one colon); intel-rapl-mmio
      // duplicates the package figure on newer Intel parts.
      if (starts_with(n, "intel-rapl:") && std::count(n.begin(), n.end(), ':') == 1) {
        packages.push_back(n);
      }
    }
    closedir(dir);
    std::sort(packages.begin(), packages.end());
    if (packages.empty()) {
      reason_ = "no intel-rapl zones under " + root_;
      return;
    }
    std::vector<std::string> problems;
    for (const std::string& pkg : packages) {
      std::string pkg_path = root_ + "/" + pkg;
      add_zone(pkg_path, &problems);
      // Subzones intel-rapl:N:M; only dram is kept.
      if (DIR* sub = opendir(pkg_path.c_str())) {
        std::vector<std::string> subs;
        while (dirent* e = readdir(sub)) {
          std::string n = e->d_name;
          if (starts_with(n, pkg + ":")) subs.push_back(n);
        }
        closedir(sub);
        std::sort(subs.begin(), subs.end());
        for (const std::string& s : subs) add_zone(pkg_path + "/" + s, &problems);
      }
    }
    if (zones_.empty()) {
      reason_ = problems.empty() ? "no package or dram zone under " + root_ : join(problems, "; ");
    } else if (!problems.empty()) {
      reason_ = "partly readable: " + join(problems, "; ");
    }
  }

  void add_zone(const std::string& path, std::vector<std::string>* problems) {
    std::string zone_name;
    try {
      zone_name = trim(read_file(path + "/name"));
    } catch (const std::exception& e) {
      problems->push_back(e.what());
      return;
    }
    std::string kind;
    if (starts_with(zone_name, "package-")) kind = "package";
    else if (zone_name == "dram") kind = "dram";
    else return;  // core, uncore, psys: inside or overlapping the package

    Zone z;
    z.path = path;
    // dram's index is its package's: intel-rapl:1:0 -> dram-1.
    std::string base = path.substr(path.find_last_of('/') + 1);
    std::vector<std::string> parts = split(base, ':');
    z.id = kind + "-" + (parts.size() > 1 ? parts[1] : "0");
    std::string energy_path = path + "/energy_uj";
    z.fd = ::open(energy_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (z.fd < 0) {
      std::string why = std::strerror(errno);
      if (errno == EACCES || errno == EPERM) {
        why = "permission denied (energy_uj is root-only since Linux 5.10; run as root or "
              "grant read access)";
      }
      problems->push_back(energy_path + ": " + why);
      return;
    }
    double range = 0;
    int range_fd = ::open((path + "/max_energy_range_uj").c_str(), O_RDONLY | O_CLOEXEC);
    bool range_ok = range_fd >= 0 && pread_uint(range_fd, &range);
    if (range_fd >= 0) close(range_fd);
    if (!range_ok) {
      problems->push_back(path + "/max_energy_range_uj: " + std::strerror(errno));
      close(z.fd);
      return;
    }
    z.max_range_uj = range;
    if (!pread_uint(z.fd, &z.last_uj)) {
      std::string why = std::strerror(errno);
      if (errno == EACCES || errno == EPERM) why = "permission denied";
      problems->push_back(energy_path + ": " + why);
      close(z.fd);
      return;
    }
    z.last_time = std::chrono::steady_clock::now();
    z.primed = true;

    DeviceInfo info;
    info.id = z.id;
    info.name = zone_name;
    info.measures = kind == "package" ? "CPU package energy counter (RAPL)"
                                      : "DRAM energy counter (RAPL)";
    info.has_counter = true;
    infos_.push_back(info);
    zones_.push_back(z);
  }

  std::string root_;
  std::string reason_;
  std::vector<Zone> zones_;
  std::vector<DeviceInfo> infos_;
};

}  // namespace

std::unique_ptr<Sensor> make_rapl_sensor(const SensorOptions& options) {
  return std::make_unique<RaplSensor>(options);
}

}  // namespace powertrain
