// Spawning a program without a shell (execvp), with optional pipes.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace powertrain {

struct SpawnOptions {
  std::vector<std::string> argv;                              // argv[0] looked up on PATH
  std::vector<std::pair<std::string, std::string>> env;       // added to the environment
  bool capture_stdout = false;
  bool capture_stderr = false;
  bool new_process_group = false;   // so that signals can go to the whole tree
};

class Subprocess {
 public:
  // Starts the program. Throws std::runtime_error naming the program when it
  // cannot be executed (not found, not executable).
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
  // Waits for the child; returns the exit code, or 128 + signal number.
  int wait();
  // Non-blocking wait; true when the child has exited.
  bool try_wait(int* exit_code);
  bool running() const { return !reaped_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  bool group_ = false;
  bool reaped_ = false;
  int exit_code_ = 0;
};

// Decodes a waitpid() status: exit code, or 128 + signal number.
int exit_code_from_status(int status);

}  // namespace powertrain
