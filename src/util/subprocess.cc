#include "util/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace powertrain {

int exit_code_from_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

Subprocess::Subprocess(const SpawnOptions& options) : group_(options.new_process_group) {
  if (options.argv.empty()) throw std::invalid_argument("no command given");
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  int exec_pipe[2] = {-1, -1};  // child writes errno here if execvp fails
  auto make_pipe = [](int fds[2]) {
    if (pipe2(fds, O_CLOEXEC) != 0) {
      throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    }
  };
  if (options.capture_stdout) make_pipe(out_pipe);
  if (options.capture_stderr) make_pipe(err_pipe);
  make_pipe(exec_pipe);

  // Everything the child needs is prepared before fork(): after it, only
  // async-signal-safe calls.
  std::vector<char*> argv;
  for (const std::string& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid_ == 0) {
    if (group_) setpgid(0, 0);
    // Signals the parent ignores or blocks must not leak into the child.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
    if (out_pipe[1] >= 0) dup2(out_pipe[1], STDOUT_FILENO);
    if (err_pipe[1] >= 0) dup2(err_pipe[1], STDERR_FILENO);
    for (const auto& [k, v] : options.env) setenv(k.c_str(), v.c_str(), 1);
    execvp(argv[0], argv.data());
    int err = errno;
    ssize_t ignored = write(exec_pipe[1], &err, sizeof(err));
    (void)ignored;
    _exit(127);
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
    throw std::runtime_error("cannot run '" + options.argv[0] + "': " + std::strerror(child_errno));
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
  if (group_) ::kill(-pid_, sig);
  else ::kill(pid_, sig);
}

int Subprocess::wait() {
  if (reaped_) return exit_code_;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  reaped_ = true;
  exit_code_ = r == pid_ ? exit_code_from_status(status) : 1;
  return exit_code_;
}

bool Subprocess::try_wait(int* exit_code) {
  if (!reaped_) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == 0) return false;
    reaped_ = true;
    exit_code_ = r == pid_ ? exit_code_from_status(status) : 1;
  }
  if (exit_code) *exit_code = exit_code_;
  return true;
}

}  // namespace powertrain
