// Spawning a program without a shell, with optional pipes.
#pragma once

#include <sys/types.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace powertrain {

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] looked up on PATH
  std::vector<std::pair<std::string, std::string>>
      env;  // added to (or replacing in) the environment
  bool capture_stdout = false;
  bool capture_stderr = false;
  bool new_process_group = false;  // so that signals can go to the whole tree
  bool die_with_parent = false;    // SIGKILL the child if this process dies (PR_SET_PDEATHSIG)
};

// The program could not be executed; err is the errno of the failed exec
// (ENOENT: not found; EACCES, ENOEXEC...: not executable).
class SpawnError : public std::runtime_error {
 public:
  SpawnError(const std::string& what, int err) : std::runtime_error(what), err_(err) {}
  int error_number() const { return err_; }
  // 127 when the program was not found, 126 when it could not be executed
  // (the codes of env, timeout and the shells).
  int exit_code() const;

 private:
  int err_;
};

class Subprocess {
 public:
  // Starts the program. Throws SpawnError naming the program when it cannot
  // be executed (not found, not executable). Everything the child needs
  // (argv, environment, candidate paths) is built before fork(); after it the
  // child makes only async-signal-safe calls.
  explicit Subprocess(const SpawnOptions& options);
  ~Subprocess();  // closes pipes; kills and reaps a child still running
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  int stdout_fd() const { return stdout_fd_; }  // -1 unless captured
  int stderr_fd() const { return stderr_fd_; }
  void close_stdout();
  void close_stderr();

  // Sends a signal to the child (or its process group).
  void signal(int sig);
  // Sends a signal to the child's whole process group, even after the child
  // itself has been reaped (what it left behind). No-op without a group.
  void signal_group(int sig);
  // Waits for the child; returns the exit code, or 128 + signal number.
  int wait();
  // Non-blocking wait; true when the child has exited.
  bool try_wait(int* exit_code);
  bool running() const { return !reaped_; }
  // The raw waitpid() status once reaped (WIFSIGNALED etc.).
  int raw_status() const { return status_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  bool group_ = false;
  bool reaped_ = false;
  int exit_code_ = 0;
  int status_ = 0;
};

// Decodes a waitpid() status: exit code, or 128 + signal number.
int exit_code_from_status(int status);
// "exited with status 3", "killed by SIGKILL".
std::string describe_status(int status);
// Processes (other than this one) still in process group `pgid`, as
// "1234 (sleep)"; empty when none. Reads /proc.
std::vector<std::string> processes_in_group(pid_t pgid);

}  // namespace powertrain
