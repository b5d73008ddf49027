// CPU time from /proc: the machine's (/proc/stat) and a process tree's
// (/proc/PID/stat of the process and its live descendants). The root is a
// parameter so that tests point it at a fake tree.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/unique_fd.h"

namespace powertrain {

// Busy and total jiffies of every CPU together (the aggregate "cpu" line).
struct CpuTimes {
  double busy = 0;
  double total = 0;
};

// Parses the aggregate "cpu" line (the first line of /proc/stat). Throws
// std::runtime_error naming `path` when it has another shape.
CpuTimes parse_cpu_times(std::string_view line, const std::string& path);

// /proc/stat kept open: pread() at offset 0 regenerates it without the cost
// of opening the file on every sample. Throws std::runtime_error.
class ProcStat {
 public:
  explicit ProcStat(std::string path);
  CpuTimes read();

 private:
  std::string path_;
  UniqueFd fd_;
};

// utime + stime + cutime + cstime (jiffies) of `pid` and every live
// descendant: a child that exited and was waited for moves into its
// parent's cutime/cstime, so the sum carries on across exits.
double process_tree_jiffies(const std::string& proc_root, int pid);

// The tracked tree's share of the machine's busy CPU time between two calls
// of next(). A neighbour's load raises the machine's busy time, not the
// tree's, so it lowers the share instead of being charged to the run.
class ProcessCpuShare {
 public:
  // Takes the baseline. Throws std::runtime_error when /proc/stat is
  // unreadable or the process is not visible under proc_root.
  ProcessCpuShare(std::string proc_root, int pid);
  // CPU time since the previous call that saw busy time: the tree's and the
  // machine's busy jiffies. None when no busy time passed since then (a read
  // right after another one); the baselines then stay, so that the next read
  // covers the whole span.
  struct Delta {
    double tree_jiffies = 0;
    double busy_jiffies = 0;
    double share() const { return busy_jiffies > 0 ? tree_jiffies / busy_jiffies : 0; }
  };
  std::optional<Delta> next();
  // Machine utilisation (busy / total, 0..1) since construction.
  double machine_utilization() const;

 private:
  std::string proc_root_;
  int pid_;
  ProcStat stat_;
  CpuTimes first_, last_;
  double last_tree_ = 0;
};

// The machine, as CodeCarbon's emissions.csv describes it.
struct MachineInfo {
  std::string os;                      // uname: "Linux-6.1.0-x86_64"
  std::string cpu_model;               // /proc/cpuinfo "model name"
  std::optional<int> cpu_count;        // "processor" lines of /proc/cpuinfo
  std::optional<double> ram_total_gb;  // /proc/meminfo MemTotal, GiB
  std::optional<double> ram_used_gb;   // MemTotal - MemAvailable, GiB, when read
};
MachineInfo read_machine_info(const std::string& proc_root);

}  // namespace powertrain
