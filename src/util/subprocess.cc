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

}  // namespace

Subprocess::Subprocess(const SpawnOptions& options) : group_(options.new_process_group) {
  if (options.argv.empty()) throw std::invalid_argument("no command given");
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  int exec_pipe[2] = {-1, -1};  // the child writes errno here if exec fails
  auto close_all = [&] {
    for (int fd :
         {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1], exec_pipe[0], exec_pipe[1]}) {
      if (fd >= 0) close(fd);
    }
  };
  auto make_pipe = [&](int fds[2]) {
    if (pipe2(fds, O_CLOEXEC) != 0) {
      int err = errno;
      close_all();
      throw std::runtime_error(std::string("pipe: ") + std::strerror(err));
    }
  };
  if (options.capture_stdout) make_pipe(out_pipe);
  if (options.capture_stderr) make_pipe(err_pipe);
  make_pipe(exec_pipe);

  // Everything the child needs is prepared before fork(): after it, only
  // async-signal-safe calls (no malloc, no setenv, no PATH parsing).
  std::vector<std::string> argv_strings = options.argv;
  std::vector<char*> argv = pointers(argv_strings);
  std::vector<std::string> env_strings = build_environment(options.env);
  std::vector<char*> envp = pointers(env_strings);
  std::vector<std::string> candidates = candidate_paths(options.argv[0]);
  // A file without #! is run by /bin/sh, as execvp does: argv with one slot
  // for the script's path, filled in by the child.
  std::string sh = "/bin/sh";
  std::vector<char*> sh_argv = {sh.data(), nullptr};
  for (size_t i = 1; i < argv_strings.size(); ++i) sh_argv.push_back(argv_strings[i].data());
  sh_argv.push_back(nullptr);
  pid_t parent = getpid();
  bool die_with_parent = options.die_with_parent;

  pid_ = fork();
  if (pid_ < 0) {
    int err = errno;
    close_all();
    throw std::runtime_error(std::string("fork: ") + std::strerror(err));
  }
  if (pid_ == 0) {
    if (group_) setpgid(0, 0);
    if (die_with_parent) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);  // the parent died before prctl
    }
    // Signals the parent ignores or blocks must not leak into the child.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGXFSZ, SIGCHLD}) sigaction(sig, &dfl, nullptr);
    if (out_pipe[1] >= 0) dup2(out_pipe[1], STDOUT_FILENO);
    if (err_pipe[1] >= 0) dup2(err_pipe[1], STDERR_FILENO);
    int err = ENOENT;
    bool denied = false;
    for (std::string& c : candidates) {
      execve(c.c_str(), argv.data(), envp.data());
      err = errno;
      if (err == ENOEXEC) {
        sh_argv[1] = c.data();
        execve(sh.c_str(), sh_argv.data(), envp.data());
        err = errno;
      }
      if (err == EACCES) denied = true;
      if (err != ENOENT && err != ENOTDIR && err != EACCES) break;
    }
    if (denied && (err == ENOENT || err == ENOTDIR)) err = EACCES;
    ssize_t ignored = write(exec_pipe[1], &err, sizeof(err));
    (void)ignored;
    _exit(err == ENOENT || err == ENOTDIR ? 127 : 126);
  }
  if (group_) setpgid(pid_, pid_);  // also in the parent, to avoid a race with signal()
  close(exec_pipe[1]);
  if (out_pipe[1] >= 0) close(out_pipe[1]);
  if (err_pipe[1] >= 0) close(err_pipe[1]);
  stdout_fd_ = out_pipe[0];
  stderr_fd_ = err_pipe[0];

  int child_errno = 0;
  ssize_t n;
  do {
    n = read(exec_pipe[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  close(exec_pipe[0]);
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
