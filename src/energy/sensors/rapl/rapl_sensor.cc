#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "powertrain/energy/sensors/rapl.h"
#include "util/strings.h"
#include "util/unique_fd.h"

namespace powertrain {

namespace {

// One energy counter file, kept open: pread() at offset 0 re-reads it.
struct Counter {
  std::string path;         // .../energy_uj or .../energyN_input
  UniqueFd fd;              // closed with the counter
  double max_range_uj = 0;  // wraps back to 0 past this; 0 = never wraps (hwmon)
  double last_uj = 0;
};

// One reading: a socket's package or dram, from one counter or several
// (dies with counters of their own).
struct Zone {
  std::string id;  // "package-0", "dram-0"
  std::vector<Counter> counters;
  double total_mj = 0;  // unwrapped cumulative energy since the sensor opened
  double last_time_s = 0;
};

// Reads an unsigned integer from an open sysfs file; false with errno on
// failure (EINVAL: not a number, with the text in *bad when given).
bool pread_uint(int fd, double* value, std::string* bad = nullptr) {
  char buf[32];
  ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) {
    if (n == 0) errno = EIO;
    return false;
  }
  buf[n] = '\0';
  char* end = nullptr;
  unsigned long long v = std::strtoull(buf, &end, 10);
  if (end == buf || (*end != '\0' && *end != '\n') || buf[0] == '-') {
    errno = EINVAL;
    if (bad) *bad = trim(std::string(buf, static_cast<size_t>(n)));
    return false;
  }
  *value = static_cast<double>(v);
  return true;
}

// "<path>: <why>", naming the value when the file holds no number.
std::string read_error(const std::string& path, const std::string& bad) {
  if (errno == EINVAL) return path + ": not a counter value: '" + bad + "'";
  return path + ": " + std::strerror(errno);
}

std::vector<std::string> list_dir(const std::string& path) {
  std::vector<std::string> out;
  if (DIR* dir = opendir(path.c_str())) {
    while (dirent* e = readdir(dir)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") out.push_back(n);
    }
    closedir(dir);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "package-3" -> socket 3; "package-0-die-1" -> socket 0, die 1.
bool parse_package_name(const std::string& name, int* socket, int* die) {
  if (!starts_with(name, "package-")) return false;
  std::string rest = name.substr(8);
  size_t d = rest.find("-die-");
  std::string sock = d == std::string::npos ? rest : rest.substr(0, d);
  std::string die_s = d == std::string::npos ? "0" : rest.substr(d + 5);
  if (!all_digits(sock) || !all_digits(die_s)) return false;
  *socket = std::atoi(sock.c_str());
  *die = std::atoi(die_s.c_str());
  return true;
}

std::string open_error(const std::string& path) {
  std::string why = std::strerror(errno);
  if (errno == EACCES || errno == EPERM) {
    why =
        "permission denied (energy counters are root-only since Linux 5.10; run as root or "
        "grant read access)";
  }
  return path + ": " + why;
}

// Opens a counter and reads its first value; false with a problem on failure.
bool open_counter(const std::string& energy_path, double max_range_uj, Counter* c,
                  std::vector<std::string>* problems) {
  c->path = energy_path;
  c->max_range_uj = max_range_uj;
  c->fd.reset(::open(energy_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!c->fd) {
    problems->push_back(open_error(energy_path));
    return false;
  }
  std::string bad;
  if (!pread_uint(c->fd.get(), &c->last_uj, &bad)) {
    problems->push_back(errno == EINVAL ? read_error(energy_path, bad) : open_error(energy_path));
    c->fd.reset();
    return false;
  }
  return true;
}

// Keeps one counter of each group of counters that mirror one another: read
// a, then b, then a again; b between the two readings of a (the counters are
// monotonic, reads microseconds apart) means b is the same counter seen
// through another zone. Counters of their own differ by far more.
std::vector<Counter> drop_mirrors(std::vector<Counter> counters, std::vector<Counter>* dropped) {
  std::vector<Counter> kept;
  for (Counter& c : counters) {
    bool mirror = false;
    for (const Counter& k : kept) {
      double a1 = 0, b = 0, a2 = 0;
      if (pread_uint(k.fd.get(), &a1) && pread_uint(c.fd.get(), &b) &&
          pread_uint(k.fd.get(), &a2) && b >= a1 && b <= a2) {
        mirror = true;
        break;
      }
    }
    if (mirror)
      dropped->push_back(std::move(c));
    else
      kept.push_back(std::move(c));
  }
  return kept;
}

// A powercap zone found under the root.
struct Candidate {
  std::string dir;    // relative: intel-rapl:0 or intel-rapl:0/intel-rapl:0:2
  std::string ctype;  // intel-rapl, intel-rapl-tpmi, intel-rapl-mmio
  std::string name;   // the zone's name file
  std::string kind;   // package, dram
  int socket = 0;
  int die = 0;
};

// Control types in order of preference; mmio duplicates the MSR package.
const char* const kControlTypes[] = {"intel-rapl", "intel-rapl-tpmi", "intel-rapl-mmio"};

class RaplSensor final : public Sensor {
 public:
  RaplSensor(const SensorOptions& options, MonotonicClock clock)
      : root_(options.rapl_root), hwmon_root_(options.hwmon_root), clock_(std::move(clock)) {
    std::vector<std::string> powercap_problems;
    std::vector<std::string> powercap_notes;
    discover_powercap(&powercap_problems, &powercap_notes);
    if (!zones_.empty()) {
      std::vector<std::string> notes = {"read from powercap " + source_ + " under " + root_};
      for (auto& n : powercap_notes) notes.push_back(n);
      if (!powercap_problems.empty()) {
        notes.push_back("partly readable: " + join(powercap_problems, "; "));
      }
      notes.push_back("hwmon amd_energy not read (powercap is)");
      reason_ = join(notes, "; ");
      return;
    }
    std::string powercap_why =
        powercap_problems.empty() ? "no package or dram zone" : join(powercap_problems, "; ");
    std::vector<std::string> hwmon_problems;
    discover_hwmon(&hwmon_problems);
    if (!zones_.empty()) {
      std::vector<std::string> notes = {"read from hwmon amd_energy (" + source_ + ")",
                                        "powercap skipped: " + powercap_why};
      if (!hwmon_problems.empty())
        notes.push_back("partly readable: " + join(hwmon_problems, "; "));
      reason_ = join(notes, "; ");
      return;
    }
    reason_ = "powercap: " + powercap_why + "; hwmon: " +
              (hwmon_problems.empty() ? "no amd_energy hwmon under " + hwmon_root_
                                      : join(hwmon_problems, "; "));
  }

  std::string name() const override { return "rapl"; }
  bool available() const override { return !zones_.empty(); }
  std::string reason() const override { return reason_; }
  std::vector<DeviceInfo> devices() const override { return infos_; }

  std::vector<PowerReading> read() override {
    std::vector<PowerReading> out;
    out.reserve(zones_.size());
    double now = clock_();
    for (Zone& z : zones_) {
      PowerReading r;
      r.device = z.id;
      r.source = EnergySource::kCounter;
      // Read every counter of the zone first, so a failure leaves them all as they were.
      std::vector<double> values(z.counters.size());
      for (size_t i = 0; i < z.counters.size() && r.error.empty(); ++i) {
        std::string bad;
        if (!pread_uint(z.counters[i].fd.get(), &values[i], &bad)) {
          r.error = read_error(z.counters[i].path, bad);
        }
      }
      double delta_uj = 0;
      std::string backwards;
      for (size_t i = 0; i < z.counters.size() && r.error.empty(); ++i) {
        const Counter& c = z.counters[i];
        double d = values[i] - c.last_uj;
        if (d < 0 && c.max_range_uj > 0) d += c.max_range_uj + 1;  // wrapped at max_energy_range_uj
        if (d < 0) {
          backwards = c.path + ": counter went back from " + fmt_uint(c.last_uj) + " to " +
                      fmt_uint(values[i]) + " uJ (driver reloaded?)";
        }
        delta_uj += d;
      }
      if (!r.error.empty()) {
        out.push_back(std::move(r));
        continue;
      }
      if (!backwards.empty()) {
        // Start again from the values read now; this interval is a gap.
        for (size_t i = 0; i < z.counters.size(); ++i) z.counters[i].last_uj = values[i];
        z.last_time_s = now;
        r.error = backwards;
        out.push_back(std::move(r));
        continue;
      }
      for (size_t i = 0; i < z.counters.size(); ++i) z.counters[i].last_uj = values[i];
      double dt_s = now - z.last_time_s;
      z.total_mj += delta_uj / 1000.0;
      z.last_time_s = now;
      r.energy_mj = z.total_mj;
      // Power over the interval since the previous read (the first read has
      // one too: discovery primed the counters). uJ / 1000 = mJ; mJ/s = mW.
      r.power_mw = dt_s > 0 ? delta_uj / 1000.0 / dt_s : 0;
      out.push_back(std::move(r));
    }
    return out;
  }

 private:
  static std::string fmt_uint(double v) {
    return std::to_string(static_cast<unsigned long long>(v));
  }

  void discover_powercap(std::vector<std::string>* problems, std::vector<std::string>* notes) {
    DIR* probe = opendir(root_.c_str());
    if (!probe) {
      problems->push_back("no powercap tree at " + root_ + ": " + std::strerror(errno) +
                          " (not Linux, or RAPL not exposed)");
      return;
    }
    closedir(probe);
    std::vector<Candidate> found;
    std::vector<std::string> skipped_top, inside;
    for (const std::string& entry : list_dir(root_)) {
      size_t colon = entry.find(':');
      if (colon == std::string::npos) continue;
      std::string ctype = entry.substr(0, colon);
      if (std::find(std::begin(kControlTypes), std::end(kControlTypes), ctype) ==
              std::end(kControlTypes) ||
          !all_digits(entry.substr(colon + 1))) {
        continue;
      }
      std::string name;
      try {
        name = trim(read_file(root_ + "/" + entry + "/name"));
      } catch (const std::exception& e) {
        problems->push_back(e.what());
        continue;
      }
      Candidate top{entry, ctype, name, "package", 0, 0};
      if (!parse_package_name(name, &top.socket, &top.die)) {
        skipped_top.push_back(entry + " (" + name + ")");
        continue;
      }
      found.push_back(top);
      for (const std::string& sub : list_dir(root_ + "/" + entry)) {
        if (!starts_with(sub, entry + ":") || !all_digits(sub.substr(entry.size() + 1))) continue;
        std::string rel = entry + "/" + sub;
        std::string sub_name;
        try {
          sub_name = trim(read_file(root_ + "/" + rel + "/name"));
        } catch (const std::exception& e) {
          problems->push_back(e.what());
          continue;
        }
        if (sub_name == "dram") {
          found.push_back({rel, ctype, sub_name, "dram", top.socket, top.die});
        } else if (std::find(inside.begin(), inside.end(), sub_name) == inside.end()) {
          inside.push_back(sub_name);
        }
      }
    }
    for (const std::string& s : skipped_top) {
      notes->push_back("skipped " + s +
                       (s.find("(psys)") != std::string::npos
                            ? ": platform energy, overlaps the packages"
                            : ": not a package"));
    }
    if (!inside.empty()) {
      notes->push_back("skipped subzones " + join(inside, ", ") + ": inside the package figure");
    }

    open_zones(found, choose_control_types(found, notes), problems);
  }

  // One control type per socket, the first in order of preference; notes
  // the packages seen twice. Sets source_.
  std::map<int, std::string> choose_control_types(const std::vector<Candidate>& found,
                                                  std::vector<std::string>* notes) {
    std::map<int, std::string> chosen;
    for (const char* ctype : kControlTypes) {
      for (const Candidate& c : found) {
        if (c.ctype == ctype && c.kind == "package" && !chosen.count(c.socket)) {
          chosen[c.socket] = ctype;
        }
      }
    }
    std::vector<std::string> ctypes_used;
    for (const Candidate& c : found) {
      if (c.ctype != chosen[c.socket]) {
        if (c.kind == "package") {
          notes->push_back("skipped " + c.dir + " (" + c.name + "): the same package as " +
                           chosen[c.socket] + ", read once");
        }
        continue;
      }
      if (std::find(ctypes_used.begin(), ctypes_used.end(), c.ctype) == ctypes_used.end()) {
        ctypes_used.push_back(c.ctype);
      }
    }
    source_ = join(ctypes_used, ", ");

    return chosen;
  }

  // Opens the chosen sockets' counters: sockets in order, package before
  // dram; dies of one package in one reading.
  void open_zones(const std::vector<Candidate>& found, const std::map<int, std::string>& chosen,
                  std::vector<std::string>* problems) {
    for (const auto& [socket, ctype] : chosen) {
      for (const char* kind : {"package", "dram"}) {
        std::vector<Counter> counters;
        std::vector<std::string> names;
        for (const Candidate& c : found) {
          if (c.socket != socket || c.kind != kind || c.ctype != ctype) continue;
          std::string path = root_ + "/" + c.dir;
          Counter counter;
          if (!open_counter(path + "/energy_uj", 0, &counter, problems)) continue;
          UniqueFd range_fd(::open((path + "/max_energy_range_uj").c_str(), O_RDONLY | O_CLOEXEC));
          std::string bad;
          if (!range_fd || !pread_uint(range_fd.get(), &counter.max_range_uj, &bad)) {
            problems->push_back(read_error(path + "/max_energy_range_uj", bad));
            continue;  // the counter's file closes with it
          }
          counters.push_back(std::move(counter));
          names.push_back(c.name);
        }
        if (counters.empty()) continue;
        std::vector<Counter> dropped;
        size_t before = counters.size();
        counters = drop_mirrors(std::move(counters), &dropped);
        dropped.clear();  // closes their files
        std::string id = std::string(kind) + "-" + std::to_string(socket);
        std::string what = std::string(kind) == "package" ? "CPU package" : "DRAM";
        std::string measures = what + " energy counter (" + ctype + ")";
        if (before > 1) {
          measures += counters.size() == 1
                          ? ", " + std::to_string(before) + " dies mirroring one counter, read once"
                          : ", sum of " + std::to_string(counters.size()) + " die counters";
        }
        add_zone(id, join(names, "+"), measures, std::move(counters));
      }
    }
  }

  void discover_hwmon(std::vector<std::string>* problems) {
    if (opendir_ok(hwmon_root_) == false) {
      problems->push_back("no hwmon tree at " + hwmon_root_ + ": " + std::strerror(errno));
      return;
    }
    std::vector<std::string> used;
    for (const std::string& hw : list_dir(hwmon_root_)) {
      std::string dir = hwmon_root_ + "/" + hw;
      std::string name;
      try {
        name = trim(read_file(dir + "/name"));
      } catch (const std::exception&) {
        continue;  // not every hwmon entry has a name; none of ours lacks one
      }
      if (name != "amd_energy") continue;
      std::map<int, std::string> sockets;  // socket -> energyN_input
      for (const std::string& f : list_dir(dir)) {
        if (!starts_with(f, "energy") || f.size() < 7 ||
            f.compare(f.size() - 6, 6, "_label") != 0) {
          continue;
        }
        std::string label;
        try {
          label = trim(read_file(dir + "/" + f));
        } catch (const std::exception& e) {
          problems->push_back(e.what());
          continue;
        }
        if (!starts_with(label, "Esocket") || !all_digits(label.substr(7))) continue;
        sockets[std::atoi(label.substr(7).c_str())] =
            dir + "/" + f.substr(0, f.size() - 6) + "_input";
      }
      for (const auto& [socket, input] : sockets) {
        Counter counter;
        if (!open_counter(input, 0, &counter, problems)) continue;
        std::vector<Counter> one;
        one.push_back(std::move(counter));
        add_zone("package-" + std::to_string(socket), "Esocket" + std::to_string(socket),
                 "CPU socket energy counter (hwmon amd_energy " + hw +
                     "; its Ecore counters are inside the socket)",
                 std::move(one));
      }
      used.push_back(hw);
    }
    source_ = join(used, ", ");
  }

  static bool opendir_ok(const std::string& path) {
    DIR* d = opendir(path.c_str());
    if (!d) return false;
    closedir(d);
    return true;
  }

  void add_zone(const std::string& id, const std::string& hw_name, const std::string& measures,
                std::vector<Counter> counters) {
    Zone z;
    z.id = id;
    z.counters = std::move(counters);
    z.last_time_s = clock_();
    DeviceInfo info;
    info.id = id;
    info.name = hw_name;
    info.measures = measures;
    info.has_counter = true;
    infos_.push_back(info);
    zones_.push_back(std::move(z));
  }

  std::string root_;
  std::string hwmon_root_;
  MonotonicClock clock_;
  std::string source_;
  std::string reason_;
  std::vector<Zone> zones_;
  std::vector<DeviceInfo> infos_;
};

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

std::unique_ptr<Sensor> make_rapl_sensor(const SensorOptions& options) {
  return make_rapl_sensor(options, steady_seconds);
}

std::unique_ptr<Sensor> make_rapl_sensor(const SensorOptions& options, MonotonicClock clock) {
  return std::make_unique<RaplSensor>(options, std::move(clock));
}

}  // namespace powertrain
