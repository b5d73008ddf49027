#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "energy/process_cpu.h"
#include "powertrain/energy/sensors/model.h"
#include "util/strings.h"

namespace powertrain {

namespace {

// One number in a printf format (energy links no formatting library).
std::string format_number(const char* format, double value) {
  char buf[96];
  std::snprintf(buf, sizeof(buf), format, value);
  return buf;
}

// Thermal design power of common CPUs, in watts, from the vendors' spec
// sheets. Matched as a case-insensitive substring of /proc/cpuinfo's model
// name; the first match wins, so more specific names come first.
struct TdpEntry {
  const char* pattern;
  double tdp_w;
};
constexpr TdpEntry kTdpTable[] = {
    {"epyc 9654", 360},
    {"epyc 9554", 360},
    {"epyc 9474f", 360},
    {"epyc 9374f", 320},
    {"epyc 9354", 280},
    {"epyc 9254", 200},
    {"epyc 7763", 280},
    {"epyc 7742", 225},
    {"epyc 7713", 225},
    {"epyc 7543", 225},
    {"epyc 7452", 155},
    {"epyc 7402", 180},
    {"epyc 7302", 155},
    {"epyc 7282", 120},
    {"epyc 7b13", 240},
    {"epyc 7r13", 240},
    {"epyc 7571", 180},
    {"epyc 9r14", 400},
    {"epyc 9b14", 400},
    {"xeon platinum 8480", 350},
    {"xeon platinum 8468", 350},
    {"xeon platinum 8380", 270},
    {"xeon platinum 8375c", 300},
    {"xeon platinum 8358", 250},
    {"xeon platinum 8280", 205},
    {"xeon platinum 8275cl", 240},
    {"xeon platinum 8259cl", 210},
    {"xeon platinum 8175m", 240},
    {"xeon platinum 8124m", 240},
    {"xeon gold 6338", 205},
    {"xeon gold 6248", 150},
    {"xeon gold 6230", 125},
    {"xeon gold 6148", 150},
    {"xeon gold 5218", 125},
    {"xeon silver 4210", 85},
    {"xeon e5-2698 v4", 135},
    {"xeon e5-2686 v4", 145},
    {"xeon e5-2680 v4", 120},
    {"xeon cpu @ 2.20ghz", 120},
    {"xeon cpu @ 2.30ghz", 120},
    {"threadripper pro 5995wx", 280},
    {"threadripper 3990x", 280},
    {"ryzen 9 7950x", 170},
    {"ryzen 9 5950x", 105},
    {"ryzen 9 5900x", 105},
    {"ryzen 7 5800x", 105},
    {"ryzen 7 7700x", 105},
    {"ryzen 5 5600x", 65},
    {"core i9-13900k", 125},
    {"core i9-12900k", 125},
    {"core i7-13700k", 125},
    {"core i7-12700k", 125},
    {"core i7-10700", 65},
    {"core i5-12600k", 125},
    {"core i7-8700", 65},
    {"core i7-1165g7", 28},
    {"core i7-1185g7", 28},
    {"core i5-1135g7", 28},
};

// Lower case, without "(R)"/"(TM)" marks and with single spaces, so that
// "Intel(R) Xeon(R) Platinum 8380" matches "xeon platinum 8380".
std::string normalise_model_name(const std::string& name) {
  std::string s;
  for (char c : name) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* mark : {"(r)", "(tm)"}) {
    for (size_t p; (p = s.find(mark)) != std::string::npos;) s.erase(p, std::strlen(mark));
  }
  std::string out;
  for (char c : s) {
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  return out;
}

}  // namespace

namespace {

class ModelSensor final : public Sensor {
 public:
  explicit ModelSensor(const SensorOptions& options) {
    try {
      stat_ = std::make_unique<ProcStat>(options.proc_root + "/stat");
      last_ = stat_->read();
    } catch (const std::exception& e) {
      reason_ = std::string("cannot read CPU utilisation: ") + e.what();
      return;
    }
    std::string model_name = "unknown CPU";
    try {
      std::istringstream in(read_file(options.proc_root + "/cpuinfo"));
      std::string line;
      while (std::getline(in, line)) {
        if (starts_with(line, "model name")) {
          model_name = trim(line.substr(line.find(':') + 1));
          break;
        }
      }
    } catch (const std::exception&) {
      // The TDP then comes from the flag or the default; said in devices().
    }
    std::string tdp_note;
    if (options.cpu_tdp_w) {
      tdp_w_ = *options.cpu_tdp_w;
      tdp_note = "TDP " + fmt_w(tdp_w_) + " (--cpu-tdp)";
    } else if (auto t = lookup_cpu_tdp_w(model_name)) {
      tdp_w_ = *t;
      tdp_note = "TDP " + fmt_w(tdp_w_) + " (table)";
    } else {
      tdp_w_ = kDefaultCpuTdpW;
      tdp_note = "TDP " + fmt_w(tdp_w_) + " (default: CPU not in table; set --cpu-tdp)";
    }
    try {
      std::istringstream in(read_file(options.proc_root + "/meminfo"));
      std::string key;
      double kb = 0;
      while (in >> key >> kb) {
        if (key == "MemTotal:") {
          ram_gb_ = kb / (1024.0 * 1024.0);
          break;
        }
        in.ignore(1 << 20, '\n');
      }
    } catch (const std::exception&) {
      ram_gb_ = 0;
    }
    infos_.push_back(
        {"cpu", model_name, "modelled: " + tdp_note + " x CPU utilisation", false, {}});
    if (ram_gb_ > 0) {
      infos_.push_back({"ram",
                        format_number("%.1f GB RAM", ram_gb_),
                        format_number("modelled: %g W per GB of RAM", kRamWattsPerGb),
                        false,
                        {}});
    }
  }

  std::string name() const override { return "model"; }
  bool available() const override { return reason_.empty(); }
  std::string reason() const override { return reason_; }
  std::vector<DeviceInfo> devices() const override { return infos_; }

  std::vector<PowerReading> read() override {
    std::vector<PowerReading> out;
    PowerReading cpu;
    cpu.device = "cpu";
    cpu.source = EnergySource::kModelled;
    try {
      CpuTimes now = stat_->read();
      double total = now.total - last_.total;
      double util = total > 0 ? std::clamp((now.busy - last_.busy) / total, 0.0, 1.0) : last_util_;
      last_ = now;
      last_util_ = util;
      cpu.utilization_pct = util * 100.0;
      cpu.power_mw = tdp_w_ * util * 1000.0;
    } catch (const std::exception& e) {
      cpu.error = e.what();
    }
    out.push_back(std::move(cpu));
    if (ram_gb_ > 0) {
      PowerReading ram;
      ram.device = "ram";
      ram.source = EnergySource::kModelled;
      ram.power_mw = ram_gb_ * kRamWattsPerGb * 1000.0;
      out.push_back(std::move(ram));
    }
    return out;
  }

 private:
  static std::string fmt_w(double w) { return format_number("%g W", w); }

  std::unique_ptr<ProcStat> stat_;
  std::string reason_;
  CpuTimes last_;
  double last_util_ = 0;
  double tdp_w_ = kDefaultCpuTdpW;
  double ram_gb_ = 0;
  std::vector<DeviceInfo> infos_;
};

}  // namespace

std::optional<double> lookup_cpu_tdp_w(const std::string& model_name) {
  std::string name = normalise_model_name(model_name);
  for (const TdpEntry& e : kTdpTable) {
    if (name.find(e.pattern) != std::string::npos) return e.tdp_w;
  }
  return std::nullopt;
}

std::unique_ptr<Sensor> make_model_sensor(const SensorOptions& options) {
  return std::make_unique<ModelSensor>(options);
}

}  // namespace powertrain
