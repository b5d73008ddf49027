#include "powertrain/energy/command_tracker.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <stdexcept>

#include "powertrain/store/store.h"
#include "util/strings.h"
#include "util/subprocess.h"

namespace powertrain {

namespace {

// Self-pipe: the signal handler only writes the signal number; the main loop
// forwards it to the child's process group.
int g_signal_pipe[2] = {-1, -1};

extern "C" void on_forwarded_signal(int sig) {
  int saved = errno;
  unsigned char b = static_cast<unsigned char>(sig);
  ssize_t ignored = write(g_signal_pipe[1], &b, 1);
  (void)ignored;
  errno = saved;
}

class SignalForwarding {
 public:
  SignalForwarding() {
    if (pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
      throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    }
    struct sigaction sa {};
    sa.sa_handler = on_forwarded_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old_pipe_);  // a closed stdout must not kill us mid-run
  }
  ~SignalForwarding() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    sigaction(SIGPIPE, &old_pipe_, nullptr);
    close(g_signal_pipe[0]);
    close(g_signal_pipe[1]);
    g_signal_pipe[0] = g_signal_pipe[1] = -1;
  }
  int fd() const { return g_signal_pipe[0]; }

 private:
  struct sigaction old_int_ {}, old_term_ {}, old_pipe_ {};
};

void write_all(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;  // the reader went away; keep draining the child regardless
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
}

std::string hostname() {
  char buf[256] = {0};
  gethostname(buf, sizeof(buf) - 1);
  return buf;
}

double unix_now_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Turns output lines and marker lines into tracker calls.
class EpochSplitter {
 public:
  EpochSplitter(Tracker& tracker, const std::regex& re, bool numbered)
      : tracker_(tracker), re_(re), numbered_(numbered) {}

  void output_line(const std::string& line) {
    if (markers_) return;  // the marker file, once used, is the only source
    std::smatch m;
    if (!std::regex_search(line, m, re_)) return;
    int epoch = next_;
    if (numbered_ && m.size() > 1 && m[1].matched) {
      try {
        epoch = std::stoi(m[1].str());
      } catch (const std::exception&) {
        return;  // an absurdly long number: not an epoch line
      }
    }
    // Progress bars repeat "Epoch 3" many times: only a new number starts one.
    if (tracker_.in_epoch() && epoch == tracker_.current_epoch()) return;
    tracker_.begin_epoch(epoch);
    next_ = epoch + 1;
  }

  void marker_line(const std::string& raw) {
    std::string line = trim(raw);
    if (line.empty()) return;
    markers_ = true;
    std::vector<std::string> words;
    for (std::string w : split(line, ' ')) {
      if (!w.empty()) words.push_back(w);
    }
    if (words[0] == "epoch" && words.size() == 2) {
      try {
        tracker_.begin_epoch(std::stoi(words[1]));
      } catch (const std::logic_error&) {
        bad_markers_++;
      }
    } else if (words[0] == "phase" && words.size() == 2) {
      try {
        tracker_.set_phase(parse_phase(words[1]));
      } catch (const std::invalid_argument&) {
        bad_markers_++;
      }
    } else if (words[0] == "end") {
      if (tracker_.in_epoch()) tracker_.end_epoch();
    } else {
      bad_markers_++;
    }
  }

  bool used_markers() const { return markers_; }
  int bad_markers() const { return bad_markers_; }

 private:
  Tracker& tracker_;
  const std::regex& re_;
  bool numbered_;
  bool markers_ = false;
  int next_ = 1;
  int bad_markers_ = 0;
};

// Splits a byte stream into lines, keeping at most `limit` bytes of a line.
class LineBuffer {
 public:
  template <typename Fn>
  void feed(const char* data, size_t n, Fn&& on_line) {
    for (size_t i = 0; i < n; ++i) {
      char c = data[i];
      if (c == '\n' || c == '\r') {
        on_line(line_);
        line_.clear();
      } else if (line_.size() < kLimit) {
        line_ += c;
      }
    }
  }
  template <typename Fn>
  void flush(Fn&& on_line) {
    if (!line_.empty()) on_line(line_);
    line_.clear();
  }

 private:
  static constexpr size_t kLimit = 64 * 1024;
  std::string line_;
};

}  // namespace

CommandTrackResult track_command(const CommandTrackOptions& options) {
  if (options.command.empty()) throw std::invalid_argument("no command to track (use: track -- CMD ARGS...)");
  if (options.epoch_regex.empty()) throw std::invalid_argument("--epoch-regex is empty");
  std::regex re;
  try {
    re = std::regex(options.epoch_regex, std::regex::ECMAScript | std::regex::icase);
  } catch (const std::regex_error& e) {
    throw std::invalid_argument("--epoch-regex '" + options.epoch_regex + "' is not a valid regular expression: " + e.what());
  }
  validate(options.tracker);

  // Open everything that can fail on bad input before anything is recorded.
  SensorOptions sensor_options = options.tracker.sensor_options;
  sensor_options.interval_s = options.tracker.interval_s;
  std::vector<std::unique_ptr<Sensor>> sensors = make_sensors(options.tracker.sensors, sensor_options);
  Store store(options.db_path);
  RunRecord run;
  run.kind = "track";
  run.command = join(options.command, " ");
  run.status = RunStatus::kRunning;
  run.host = hostname();
  run.pid = getpid();
  run.device = "host";
  run.interval_s = options.tracker.interval_s;
  run.pue = options.tracker.pue;
  run.started_at_s = unix_now_s();
  run.id = store.add_run(run);
  auto tracker = std::make_unique<Tracker>(options.tracker, std::move(sensors), &store, run.id);
  run.sensors = tracker->sensor_summary();
  store.update_run(run);

  // The marker file the command may append to.
  const char* tmp = std::getenv("TMPDIR");
  std::string marker_path = std::string(tmp && *tmp ? tmp : "/tmp") + "/powertrain-marks-XXXXXX";
  int marker_fd = mkstemp(marker_path.data());
  if (marker_fd < 0) throw std::runtime_error("cannot create a marker file: " + std::string(std::strerror(errno)));

  CommandTrackResult result;
  result.run_id = run.id;
  SignalForwarding signals;
  tracker->start();
  std::unique_ptr<Subprocess> child;
  try {
    SpawnOptions spawn;
    spawn.argv = options.command;
    spawn.env = {{kMarkerFileEnv, marker_path}, {"POWERTRAIN_RUN_ID", std::to_string(run.id)}};
    spawn.capture_stdout = true;
    spawn.capture_stderr = true;
    spawn.new_process_group = true;
    child = std::make_unique<Subprocess>(spawn);
  } catch (const std::exception& e) {
    tracker->stop();
    close(marker_fd);
    unlink(marker_path.c_str());
    run.status = RunStatus::kFailed;
    run.error = e.what();
    run.ended_at_s = unix_now_s();
    store.update_run(run);
    throw std::runtime_error(e.what());
  }

  // CPU-side energy is also attributed to the command's process tree; a
  // machine without /proc keeps the machine figure alone.
  try {
    tracker->track_process(static_cast<int>(child->pid()));
  } catch (const std::exception&) {
  }

  EpochSplitter splitter(*tracker, re, re.mark_count() > 0);
  LineBuffer out_lines, err_lines, marker_lines;
  auto on_output = [&](const std::string& line) { splitter.output_line(line); };
  auto on_marker = [&](const std::string& line) { splitter.marker_line(line); };
  int fds[2] = {child->stdout_fd(), child->stderr_fd()};
  int sinks[2] = {options.stdout_fd, options.stderr_fd};
  LineBuffer* buffers[2] = {&out_lines, &err_lines};
  char chunk[65536];

  auto drain_markers = [&] {
    ssize_t n;
    while ((n = read(marker_fd, chunk, sizeof(chunk))) > 0) {
      marker_lines.feed(chunk, static_cast<size_t>(n), on_marker);
    }
  };

  while (fds[0] >= 0 || fds[1] >= 0) {
    pollfd p[3];
    p[0] = {fds[0], POLLIN, 0};
    p[1] = {fds[1], POLLIN, 0};
    p[2] = {signals.fd(), POLLIN, 0};
    int r = poll(p, 3, 100);
    if (r < 0 && errno != EINTR) break;
    drain_markers();
    if (r <= 0) continue;
    if (p[2].revents & POLLIN) {
      unsigned char sig;
      while (read(signals.fd(), &sig, 1) == 1) child->signal(sig);
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i], chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        buffers[i]->flush(on_output);
        fds[i] = -1;
        continue;
      }
      // Passed through byte for byte, before any parsing.
      write_all(sinks[i], chunk, static_cast<size_t>(n));
      buffers[i]->feed(chunk, static_cast<size_t>(n), on_output);
    }
  }
  // Output closed; the child may still be running (it closed its pipes), so
  // keep forwarding signals while waiting for it.
  int exit_code = 0;
  while (!child->try_wait(&exit_code)) {
    pollfd p{signals.fd(), POLLIN, 0};
    if (poll(&p, 1, 50) > 0) {
      unsigned char sig;
      while (read(signals.fd(), &sig, 1) == 1) child->signal(sig);
    }
    drain_markers();
  }
  drain_markers();
  marker_lines.flush(on_marker);
  close(marker_fd);
  unlink(marker_path.c_str());

  tracker->stop();
  result.exit_code = exit_code;
  result.epochs = tracker->epochs();
  result.whole = tracker->whole_run();
  result.outside = tracker->outside();
  result.used_markers = splitter.used_markers();
  std::vector<std::string> described;
  for (const auto& s : tracker->sensors()) described.push_back(s->name());
  result.sensors = join(described, ",");

  run.status = exit_code == 0 ? RunStatus::kDone : RunStatus::kFailed;
  if (exit_code != 0) run.error = "command exited with status " + std::to_string(exit_code);
  if (splitter.bad_markers() > 0) {
    run.error += (run.error.empty() ? "" : "; ") + std::to_string(splitter.bad_markers()) +
                 " marker line(s) not understood";
  }
  run.exit_code = exit_code;
  run.ended_at_s = unix_now_s();
  store.update_run(run);
  return result;
}

}  // namespace powertrain
