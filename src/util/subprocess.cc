#include "util/subprocess.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "util/unique_fd.h"

extern char** environ;

namespace powertrain {

int exit_code_from_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char* abbrev = sigabbrev_np(sig);
    std::string name = abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
    return "killed by " + name + (WCOREDUMP(status) ? " (core dumped)" : "");
  }
  return "ended with wait status " + std::to_string(status);
}

int SpawnError::exit_code() const { return err_ == ENOENT || err_ == ENOTDIR ? 127 : 126; }

std::vector<std::string> processes_in_group(pid_t pgid) {
  std::vector<std::string> found;
  DIR* dir = opendir("/proc");
  if (!dir) return found;
  pid_t self = getpid();
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0' || pid == self) continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    long ppid = 0, pgrp = 0;
    if (!(rest >> state >> ppid >> pgrp) || pgrp != pgid || state == "Z") continue;
    found.push_back(std::to_string(pid) + " (" + stat.substr(open + 1, close - open - 1) + ")");
  }
  closedir(dir);
  return found;
}

namespace {

// Where execvp would look for argv[0], in order.
std::vector<std::string> candidate_paths(const std::string& name) {
  if (name.find('/') != std::string::npos) return {name};
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t colon = dirs.find(':', start);
    std::string dir =
        dirs.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    out.push_back((dir.empty() ? "." : dir) + "/" + name);
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return out;
}

// The parent's environment with `overrides` replacing or adding entries.
std::vector<std::string> build_environment(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::set<std::string> replaced;
  for (const auto& [k, v] : overrides) replaced.insert(k);
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry = *e;
    if (replaced.count(entry.substr(0, entry.find('=')))) continue;
    env.push_back(std::move(entry));
  }
  for (const auto& [k, v] : overrides) env.push_back(k + "=" + v);
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// A pipe whose ends close with it (O_CLOEXEC: no other child inherits them).
struct Pipe {
  UniqueFd read, write;
  void open() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
      throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    read.reset(fds[0]);
    write.reset(fds[1]);
  }
};

// Everything the child needs, built before fork(): after it the child makes
// only async-signal-safe calls (no malloc, no setenv, no PATH parsing), as
// another thread (the tracker's sampler) may hold a lock fork() copied.
struct ChildPlan {
  std::vector<std::string> argv_strings, env_strings, candidates;
  std::vector<char*> argv, envp;
  // A file without #! is run by /bin/sh, as execvp does: argv with one slot
  // for the script's path, filled in by the child.
  std::string sh = "/bin/sh";
  std::vector<char*> sh_argv;
  pid_t parent = getpid();
  bool group = false, die_with_parent = false;
  int stdout_fd = -1, stderr_fd = -1, exec_fd = -1;  // the child's ends

  explicit ChildPlan(const SpawnOptions& options)
      : argv_strings(options.argv),
        env_strings(build_environment(options.env)),
        candidates(candidate_paths(options.argv[0])),
        group(options.new_process_group),
        die_with_parent(options.die_with_parent) {
    argv = pointers(argv_strings);
    envp = pointers(env_strings);
    sh_argv = {sh.data(), nullptr};
    for (size_t i = 1; i < argv_strings.size(); ++i) sh_argv.push_back(argv_strings[i].data());
    sh_argv.push_back(nullptr);
  }
};

// The child after fork(): async-signal-safe calls only, then execve() with
// the prepared argv and envp. Reports a failed exec's errno on exec_fd.
[[noreturn]] void run_child(ChildPlan& plan) {
  if (plan.group) setpgid(0, 0);
  if (plan.die_with_parent) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != plan.parent) _exit(127);  // the parent died before prctl
  }
  // Signals the parent ignores or blocks must not leak into the child.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGXFSZ, SIGCHLD}) sigaction(sig, &dfl, nullptr);
  if (plan.stdout_fd >= 0) dup2(plan.stdout_fd, STDOUT_FILENO);
  if (plan.stderr_fd >= 0) dup2(plan.stderr_fd, STDERR_FILENO);
  int err = ENOENT;
  bool denied = false;
  for (std::string& c : plan.candidates) {
    execve(c.c_str(), plan.argv.data(), plan.envp.data());
    err = errno;
    if (err == ENOEXEC) {
      plan.sh_argv[1] = c.data();
      execve(plan.sh.c_str(), plan.sh_argv.data(), plan.envp.data());
      err = errno;
    }
    if (err == EACCES) denied = true;
    if (err != ENOENT && err != ENOTDIR && err != EACCES) break;
  }
  if (denied && (err == ENOENT || err == ENOTDIR)) err = EACCES;
  ssize_t ignored = write(plan.exec_fd, &err, sizeof(err));
  (void)ignored;
  _exit(err == ENOENT || err == ENOTDIR ? 127 : 126);
}

}  // namespace

Subprocess::Subprocess(const SpawnOptions& options) : group_(options.new_process_group) {
  if (options.argv.empty()) throw std::invalid_argument("no command given");
  Pipe out, err, exec;  // exec: the child writes errno there if exec fails
  if (options.capture_stdout) out.open();
  if (options.capture_stderr) err.open();
  exec.open();
  ChildPlan plan(options);
  plan.stdout_fd = out.write.get();
  plan.stderr_fd = err.write.get();
  plan.exec_fd = exec.write.get();

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid_ == 0) run_child(plan);
  if (group_) setpgid(pid_, pid_);  // also in the parent, to avoid a race with signal()
  exec.write.reset();
  out.write.reset();
  err.write.reset();
  stdout_fd_ = out.read.release();
  stderr_fd_ = err.read.release();

  int child_errno = 0;
  ssize_t n;
  do {
    n = read(exec.read.get(), &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  if (n == sizeof(child_errno)) {
    wait();
    close_stdout();
    close_stderr();
    const char* why = child_errno == ENOENT || child_errno == ENOTDIR ? "command not found"
                                                                      : std::strerror(child_errno);
    throw SpawnError("cannot run '" + options.argv[0] + "': " + why, child_errno);
  }
}

Subprocess::~Subprocess() {
  close_stdout();
  close_stderr();
  if (!reaped_ && pid_ > 0) {
    signal(SIGKILL);
    wait();
  }
}

void Subprocess::close_stdout() {
  if (stdout_fd_ >= 0) close(stdout_fd_);
  stdout_fd_ = -1;
}

void Subprocess::close_stderr() {
  if (stderr_fd_ >= 0) close(stderr_fd_);
  stderr_fd_ = -1;
}

void Subprocess::signal(int sig) {
  if (reaped_ || pid_ <= 0) return;
  if (group_)
    ::kill(-pid_, sig);
  else
    ::kill(pid_, sig);
}

void Subprocess::signal_group(int sig) {
  if (group_ && pid_ > 0) ::kill(-pid_, sig);
}

int Subprocess::wait() {
  if (reaped_) return exit_code_;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  reaped_ = true;
  status_ = status;
  exit_code_ = r == pid_ ? exit_code_from_status(status) : 1;
  return exit_code_;
}

bool Subprocess::try_wait(int* exit_code) {
  if (!reaped_) {
    int status = 0;
    pid_t r;
    do {
      r = waitpid(pid_, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) return false;
    reaped_ = true;
    status_ = status;
    exit_code_ = r == pid_ ? exit_code_from_status(status) : 1;
  }
  if (exit_code) *exit_code = exit_code_;
  return true;
}

}  // namespace powertrain
