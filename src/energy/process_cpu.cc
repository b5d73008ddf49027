#include "energy/process_cpu.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "util/strings.h"

namespace powertrain {

CpuTimes parse_cpu_times(std::string_view text, const std::string& path) {
  if (text.substr(0, 4) != "cpu ") {
    throw std::runtime_error(path + ": first line is not the 'cpu' total");
  }
  // user nice system idle iowait irq softirq steal (guest is inside user)
  double v[8] = {0};
  std::string line(text);
  const char* p = line.c_str() + 4;
  for (double& x : v) {
    while (*p == ' ') ++p;
    char* next = nullptr;
    x = std::strtod(p, &next);
    if (next == p) throw std::runtime_error(path + ": malformed 'cpu' line: " + line);
    p = next;
  }
  CpuTimes t;
  t.total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
  t.busy = t.total - v[3] - v[4];
  return t;
}

ProcStat::ProcStat(std::string path) : path_(std::move(path)) {
  fd_.reset(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd_) throw std::runtime_error("cannot read " + path_ + ": " + std::strerror(errno));
}

CpuTimes ProcStat::read() {
  char buf[512];
  ssize_t n = ::pread(fd_.get(), buf, sizeof(buf) - 1, 0);
  if (n <= 0) throw std::runtime_error("cannot read " + path_ + ": " + std::strerror(errno));
  std::string_view text(buf, static_cast<size_t>(n));
  return parse_cpu_times(text.substr(0, text.find('\n')), path_);
}

namespace {

struct ProcEntry {
  int ppid = 0;
  double jiffies = 0;
};

// ppid and utime+stime+cutime+cstime from /proc/PID/stat; false when the
// process went away or the line has another shape.
bool read_proc_entry(const std::string& path, ProcEntry* entry) {
  std::string text;
  try {
    text = read_file(path);
  } catch (const std::exception&) {
    return false;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
  size_t close = text.rfind(')');
  if (close == std::string::npos) return false;
  std::vector<std::string> fields;
  for (const std::string& f : split(trim(text.substr(close + 1)), ' ')) {
    if (!f.empty()) fields.push_back(f);
  }
  // After ')': state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
  if (fields.size() < 15) return false;
  char* end = nullptr;
  entry->ppid = static_cast<int>(std::strtol(fields[1].c_str(), &end, 10));
  double sum = 0;
  for (int i = 11; i <= 14; ++i) sum += std::strtod(fields[i].c_str(), nullptr);
  entry->jiffies = sum;
  return true;
}

}  // namespace

double process_tree_jiffies(const std::string& proc_root, int pid) {
  std::map<int, ProcEntry> procs;
  if (DIR* dir = opendir(proc_root.c_str())) {
    while (dirent* e = readdir(dir)) {
      const char* name = e->d_name;
      if (!*name || !std::all_of(name, name + std::strlen(name),
                                 [](char c) { return c >= '0' && c <= '9'; })) {
        continue;
      }
      ProcEntry entry;
      if (read_proc_entry(proc_root + "/" + name + "/stat", &entry)) procs[std::atoi(name)] = entry;
    }
    closedir(dir);
  }
  std::map<int, std::vector<int>> children;
  for (const auto& [p, entry] : procs) children[entry.ppid].push_back(p);
  double total = 0;
  // Depth-first over the tree below pid: each process's CPU time once.
  std::vector<int> unvisited = {pid};
  while (!unvisited.empty()) {
    int p = unvisited.back();
    unvisited.pop_back();
    auto it = procs.find(p);
    if (it == procs.end()) continue;
    total += it->second.jiffies;
    for (int c : children[p]) unvisited.push_back(c);
  }
  return total;
}

ProcessCpuShare::ProcessCpuShare(std::string proc_root, int pid)
    : proc_root_(std::move(proc_root)), pid_(pid), stat_(proc_root_ + "/stat") {
  if (::access((proc_root_ + "/" + std::to_string(pid_) + "/stat").c_str(), R_OK) != 0) {
    throw std::runtime_error("process " + std::to_string(pid_) + " is not visible under " +
                             proc_root_);
  }
  first_ = last_ = stat_.read();
  last_tree_ = process_tree_jiffies(proc_root_, pid_);
}

std::optional<ProcessCpuShare::Delta> ProcessCpuShare::next() {
  CpuTimes now = stat_.read();
  double busy = now.busy - last_.busy;
  if (busy <= 0) return std::nullopt;
  // The tree's sum only drops when a process leaves it unwaited (or the root
  // is reaped): its time is then gone from view, not negative.
  double tree = std::max(last_tree_, process_tree_jiffies(proc_root_, pid_));
  Delta d;
  d.busy_jiffies = busy;
  d.tree_jiffies = std::min(tree - last_tree_, busy);
  last_ = now;
  last_tree_ = tree;
  return d;
}

double ProcessCpuShare::machine_utilization() const {
  double total = last_.total - first_.total;
  return total > 0 ? std::clamp((last_.busy - first_.busy) / total, 0.0, 1.0) : 0.0;
}

MachineInfo read_machine_info(const std::string& proc_root) {
  MachineInfo m;
  struct utsname u {};
  if (uname(&u) == 0) m.os = std::string(u.sysname) + "-" + u.release + "-" + u.machine;
  try {
    std::istringstream in(read_file(proc_root + "/cpuinfo"));
    std::string line;
    int processors = 0;
    while (std::getline(in, line)) {
      if (starts_with(line, "processor")) ++processors;
      if (m.cpu_model.empty() && starts_with(line, "model name")) {
        m.cpu_model = trim(line.substr(line.find(':') + 1));
      }
    }
    if (processors > 0) m.cpu_count = processors;
  } catch (const std::exception&) {
    // Unknown, and left empty rather than guessed.
  }
  try {
    std::istringstream in(read_file(proc_root + "/meminfo"));
    std::string key;
    double kb = 0;
    std::optional<double> available_gb;
    while (in >> key >> kb) {
      if (key == "MemTotal:") m.ram_total_gb = kb / (1024.0 * 1024.0);
      if (key == "MemAvailable:") available_gb = kb / (1024.0 * 1024.0);
      in.ignore(1 << 20, '\n');
    }
    if (m.ram_total_gb && available_gb) m.ram_used_gb = *m.ram_total_gb - *available_gb;
  } catch (const std::exception&) {
  }
  return m;
}

}  // namespace powertrain
