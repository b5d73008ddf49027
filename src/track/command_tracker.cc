#include "powertrain/track/command_tracker.h"

#include <fcntl.h>
#include <poll.h>
#include <re2/re2.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <set>
#include <stdexcept>

#include "powertrain/store/run_recorder.h"
#include "powertrain/store/store.h"
#include "powertrain/store/store_sink.h"
#include "util/slurm_env.h"
#include "util/strings.h"
#include "util/subprocess.h"
#include "util/unique_fd.h"

namespace powertrain {

EpochAt parse_epoch_at(const std::string& text) {
  if (text == "start") return EpochAt::kStart;
  if (text == "end") return EpochAt::kEnd;
  throw std::invalid_argument("--epoch-at '" + text + "': expected start or end");
}

namespace {

// Self-pipe: the signal handler only writes the signal number; the main loop
// acts on it (forwarding SIGINT/SIGTERM, reaping on SIGCHLD).
int g_signal_pipe[2] = {-1, -1};

extern "C" void on_signal(int sig) {
  int saved = errno;
  unsigned char b = static_cast<unsigned char>(sig);
  ssize_t ignored = write(g_signal_pipe[1], &b, 1);
  (void)ignored;
  errno = saved;
}

class SignalHandling {
 public:
  SignalHandling() {
    if (pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
      throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    }
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
    sigaction(SIGCHLD, &sa, &old_chld_);
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old_pipe_);  // a closed stdout must not kill us mid-run
    sigaction(SIGXFSZ, &ign, &old_xfsz_);  // a file-size limit is a write error, not death
  }
  ~SignalHandling() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    sigaction(SIGCHLD, &old_chld_, nullptr);
    sigaction(SIGPIPE, &old_pipe_, nullptr);
    sigaction(SIGXFSZ, &old_xfsz_, nullptr);
    close(g_signal_pipe[0]);
    close(g_signal_pipe[1]);
    g_signal_pipe[0] = g_signal_pipe[1] = -1;
  }
  int fd() const { return g_signal_pipe[0]; }

 private:
  struct sigaction old_int_ {
  }, old_term_{}, old_chld_{}, old_pipe_{}, old_xfsz_{};
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

void say(int fd, const std::string& text) {
  std::string line = "powertrain: " + text + "\n";
  write_all(fd, line.data(), line.size());
}

std::string hostname() {
  char buf[256] = {0};
  gethostname(buf, sizeof(buf) - 1);
  return buf;
}

double mono_now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string fmt_seconds(double s) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%g s", s);
  return buf;
}

std::string shorten(const std::string& line) {
  return line.size() <= 60 ? line : line.substr(0, 57) + "...";
}

// Turns output lines and marker lines into tracker calls.
class EpochSplitter {
 public:
  EpochSplitter(Tracker& tracker, const RE2& re, EpochAt at)
      : tracker_(tracker), re_(re), at_(at), numbered_(re.NumberOfCapturingGroups() > 0) {}

  void output_line(const std::string& line) {
    if (markers_) return;  // the marker file, once used, is the only source
    std::optional<int> number = match(line);
    if (at_ == EpochAt::kStart) {
      if (number) start_line(*number, line);
    } else {
      end_mode_line(number, line);
    }
  }

  // The command has exited: an epoch opened after the last end line is the
  // teardown, not an epoch.
  void finish() {
    if (!markers_ && at_ == EpochAt::kEnd && tracker_.in_epoch()) tracker_.cancel_epoch();
  }

  void marker_line(const std::string& raw) {
    std::string line = trim(raw);
    if (line.empty()) return;
    if (!markers_) {
      markers_ = true;
      // Output lines may have opened an epoch; the marker file decides now.
      if (tracker_.in_epoch()) tracker_.cancel_epoch();
    }
    std::vector<std::string> words;
    for (std::string w : split(line, ' ')) {
      if (!w.empty()) words.push_back(w);
    }
    // Phases begin and end at the tracker's own boundary instants, so that
    // the phases of an epoch add up to exactly the epoch's time.
    if (words[0] == "epoch" && words.size() == 2) {
      try {
        int epoch = std::stoi(words[1]);
        if (last_ && epoch <= *last_) {
          ignored(line);
          return;
        }
        tracker_.begin_epoch(epoch);  // ends an open one at the same reading
        close_phase(tracker_.last_boundary_s());
        last_ = epoch;
        open_phase(tracker_.last_boundary_s(), Phase::kTrain);
      } catch (const std::logic_error&) {
        bad_markers_++;
      }
    } else if (words[0] == "phase" && words.size() == 2) {
      try {
        Phase p = parse_phase(words[1]);
        tracker_.set_phase(p);
        close_phase(tracker_.last_boundary_s());
        if (tracker_.in_epoch()) open_phase(tracker_.last_boundary_s(), p);
      } catch (const std::invalid_argument&) {
        bad_markers_++;
      }
    } else if (words[0] == "end") {
      if (tracker_.in_epoch()) tracker_.end_epoch();
      close_phase(tracker_.last_boundary_s());
    } else {
      bad_markers_++;
    }
  }

  bool used_markers() const { return markers_; }
  int bad_markers() const { return bad_markers_; }
  int ignored_lines() const { return ignored_; }
  const std::string& first_ignored() const { return first_ignored_; }
  bool end_without_start() const { return end_without_start_; }
  // Seconds spent in train / validate per epoch (marker file only).
  const std::map<int, double>& phase_seconds(Phase p) const {
    return p == Phase::kValidate ? validate_s_ : train_s_;
  }

 private:
  std::optional<int> match(const std::string& line) {
    std::string group;
    bool hit = numbered_ ? RE2::PartialMatch(line, re_, &group) : RE2::PartialMatch(line, re_);
    if (!hit) return std::nullopt;
    if (!numbered_ || group.empty()) return next_;
    try {
      size_t used = 0;
      int n = std::stoi(group, &used);
      if (used != group.size()) return std::nullopt;
      return n;
    } catch (const std::exception&) {
      return std::nullopt;  // not a number, or an absurdly long one: not an epoch line
    }
  }

  void ignored(const std::string& line) {
    if (ignored_++ == 0) first_ignored_ = shorten(line);
  }

  void start_line(int epoch, const std::string& line) {
    // Progress bars repeat "Epoch 3" many times: the open epoch's number again is
    // not news. Any other number at or below the last one is.
    if (tracker_.in_epoch() && epoch == tracker_.current_epoch()) return;
    if (last_ && epoch <= *last_) return ignored(line);
    tracker_.begin_epoch(epoch);
    last_ = epoch;
    next_ = epoch + 1;
  }

  // A matching line ends epoch N and the next epoch begins right there; the
  // first epoch begins at the command's first line of output.
  void end_mode_line(const std::optional<int>& number, const std::string& line) {
    if (!number) {
      if (!tracker_.in_epoch() && !last_) tracker_.begin_epoch(next_);  // output before epoch 1
      return;
    }
    if (last_ && *number <= *last_) return ignored(line);
    if (!tracker_.in_epoch()) {
      // Nothing was printed before this epoch ended: its start is unknown, so
      // its time stays outside; the next epoch begins here.
      end_without_start_ = true;
    } else {
      tracker_.renumber_epoch(*number);  // ended below, where the next one begins
    }
    last_ = *number;
    next_ = *number + 1;
    tracker_.begin_epoch(next_);
  }

  void close_phase(double now) {
    if (phase_epoch_ == 0) return;
    auto& table = phase_ == Phase::kValidate ? validate_s_ : train_s_;
    if (phase_ != Phase::kOther) table[phase_epoch_] += now - phase_since_;
    phase_epoch_ = 0;
  }
  void open_phase(double now, Phase p) {
    phase_epoch_ = tracker_.current_epoch();
    phase_ = p;
    phase_since_ = now;
  }

  Tracker& tracker_;
  const RE2& re_;
  EpochAt at_;
  bool numbered_;
  bool markers_ = false;
  std::optional<int> last_;  // the last epoch number taken
  int next_ = 1;
  int bad_markers_ = 0;
  int ignored_ = 0;
  std::string first_ignored_;
  bool end_without_start_ = false;
  int phase_epoch_ = 0;
  Phase phase_ = Phase::kOther;
  double phase_since_ = 0;
  std::map<int, double> train_s_, validate_s_;
};

// Splits a byte stream into lines, keeping at most `limit` bytes of a line.
class LineBuffer {
 public:
  template <typename Fn>
  void feed(const char* data, size_t n, Fn&& on_line) {
    for (size_t i = 0; i < n; ++i) {
      char c = data[i];
      if (c == '\n' || c == '\r') {
        if (!line_.empty()) on_line(line_);
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
  static constexpr size_t kLimit = 4 * 1024 * 1024;  // RE2 is linear: long lines are fine
  std::string line_;
};

const char* signal_name(int sig) {
  switch (sig) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGKILL:
      return "SIGKILL";
    default:
      return "signal";
  }
}

// Per epoch, phase energy from the stored samples: for every stream, the mean
// of its successful samples tagged with the phase, times the phase's duration.
// As in equation 1 (compute_epoch_energy), the mean is over the periodic
// samples, and over the boundary readings only when the phase has no
// periodic one: a boundary reading's power spans the few ms since the last
// read and would bias the mean.
std::map<int, PhaseEnergy> phase_energy(const std::vector<Sample>& samples, Phase phase,
                                        const std::map<int, double>& seconds, double pue) {
  struct Sums {
    double periodic_mw = 0, boundary_mw = 0;
    int n_periodic = 0, n_boundary = 0;
  };
  std::map<int, PhaseEnergy> out;
  for (const auto& [epoch, duration] : seconds) {
    std::map<std::pair<std::string, std::string>, Sums> streams;
    for (const Sample& s : samples) {
      if (s.epoch != epoch || s.phase != phase || !s.reading.power_mw) continue;
      Sums& acc = streams[{s.sensor, s.reading.device}];
      if (s.periodic) {
        acc.periodic_mw += *s.reading.power_mw;
        ++acc.n_periodic;
      } else {
        acc.boundary_mw += *s.reading.power_mw;
        ++acc.n_boundary;
      }
    }
    PhaseEnergy e;
    e.duration_s = duration;
    if (!streams.empty()) {
      double mwh = 0;
      for (const auto& [key, acc] : streams) {
        const double mean_mw = acc.n_periodic > 0 ? acc.periodic_mw / acc.n_periodic
                                                  : acc.boundary_mw / acc.n_boundary;
        mwh += mean_mw * duration / 3600.0;
      }
      e.energy_mwh = mwh * pue;
    }
    out[epoch] = e;
  }
  return out;
}

// Bad options fail here, before anything is recorded; returns the compiled
// epoch regex.
std::unique_ptr<RE2> checked_regex(const CommandTrackOptions& options) {
  if (options.command.empty())
    throw std::invalid_argument("no command to track (use: track -- CMD ARGS...)");
  if (options.epoch_regex.empty()) throw std::invalid_argument("--epoch-regex is empty");
  if (options.db_path.empty()) throw std::invalid_argument("--db is empty: name a database file");
  if (!(options.kill_after_s >= 0 && options.kill_after_s <= 86400)) {
    throw std::invalid_argument("--kill-after " + std::to_string(options.kill_after_s) +
                                " is out of range (0 to 86400 s)");
  }
  if (!(options.db_timeout_s >= 0 && options.db_timeout_s <= 3600)) {
    throw std::invalid_argument("--db-timeout " + std::to_string(options.db_timeout_s) +
                                " is out of range (0 to 3600 s)");
  }
  RE2::Options re_options;
  re_options.set_case_sensitive(false);
  re_options.set_log_errors(false);
  auto re = std::make_unique<RE2>(options.epoch_regex, re_options);
  if (!re->ok()) {
    throw std::invalid_argument("--epoch-regex '" + options.epoch_regex +
                                "' is not a valid regular expression: " + re->error());
  }
  validate(options.tracker);
  return re;
}

// The run's row before the command starts.
RunRecord track_record(const CommandTrackOptions& options) {
  RunRecord run;
  run.kind = "track";
  run.command = join(options.command, " ");
  run.host = hostname();
  run.pid = getpid();
  run.device = "host";
  run.interval_s = options.tracker.interval_s;
  run.pue = options.tracker.pue;
  // Inside a Slurm job (`srun powertrain track ...`): the job, node and GPUs.
  if (auto slurm = slurm_env_from_environment()) {
    run.config_json = nlohmann::json{{"slurm", slurm->to_json()}}.dump();
    // Node-level sensors count the other jobs on a shared node too.
    if (slurm->shares_node()) {
      std::fprintf(stderr, "powertrain: note: Slurm job %s: %s\n", slurm->job_id.c_str(),
                   slurm->node_energy_scope().c_str());
    }
  }
  return run;
}

std::unique_ptr<Subprocess> spawn_command(const CommandTrackOptions& options,
                                          const std::string& marker_path, int64_t run_id) {
  SpawnOptions spawn;
  spawn.argv = options.command;
  spawn.env = {{kMarkerFileEnv, marker_path}, {"POWERTRAIN_RUN_ID", std::to_string(run_id)}};
  if (options.unbuffer && std::getenv("PYTHONUNBUFFERED") == nullptr) {
    spawn.env.emplace_back("PYTHONUNBUFFERED", "1");
  }
  spawn.capture_stdout = true;
  spawn.capture_stderr = true;
  spawn.new_process_group = true;
  spawn.die_with_parent = true;  // a kill -9 of powertrain must not orphan the training
  return std::make_unique<Subprocess>(spawn);
}

// The command's life: its output passed through and split into epochs, the
// marker file read, SIGINT/SIGTERM forwarded (then SIGKILL), until it ends.
class CommandLoop {
 public:
  CommandLoop(const CommandTrackOptions& options, Subprocess& child, EpochSplitter& splitter,
              int marker_fd, int signal_fd)
      : options_(options),
        child_(child),
        splitter_(splitter),
        marker_fd_(marker_fd),
        signal_fd_(signal_fd),
        fds_{child.stdout_fd(), child.stderr_fd()},
        sinks_{options.stdout_fd, options.stderr_fd},
        chunk_(65536) {}

  // Until the command exits; returns its exit code.
  int run() {
    int exit_code = 0;
    while (!child_.try_wait(&exit_code)) {
      pollfd p[3];
      p[0] = {fds_[0], POLLIN, 0};
      p[1] = {fds_[1], POLLIN, 0};
      p[2] = {signal_fd_, POLLIN, 0};
      int timeout_ms = 50;  // the marker file is read this often
      if (forwarded_ > 0 && !killed_) {
        double left = kill_deadline_ - mono_now_s();
        timeout_ms = std::max(0, std::min(timeout_ms, static_cast<int>(std::ceil(left * 1000))));
      }
      int r = poll(p, 3, timeout_ms);
      drain_markers();
      if (r > 0) {
        if (p[2].revents & POLLIN) handle_signals();
        for (int i = 0; i < 2; ++i) {
          if (fds_[i] >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)) && !pump(i))
            fds_[i] = -1;
        }
      }
      if (forwarded_ > 0 && !killed_ && mono_now_s() >= kill_deadline_ &&
          !child_.try_wait(nullptr)) {
        escalate(std::string("the command still runs ") + fmt_seconds(options_.kill_after_s) +
                 " after " + signal_name(first_signal_));
      }
    }
    return exit_code;
  }

  // The command has ended. Takes what its pipes hold now, but does not wait
  // for whatever it left behind that still holds them.
  void drain_after_exit() {
    for (int i = 0; i < 2; ++i) {
      if (fds_[i] < 0) continue;
      fcntl(fds_[i], F_SETFL, fcntl(fds_[i], F_GETFL) | O_NONBLOCK);
      size_t taken = 0;
      ssize_t before = -1;
      while (taken < (64u << 20)) {
        before = read(fds_[i], chunk_.data(), chunk_.size());
        if (before <= 0) break;
        pass_on(i, before);
        taken += static_cast<size_t>(before);
      }
      buffers_[i].flush(on_output());
      if (before == 0) fds_[i] = -1;  // end of file: nobody holds it
    }
    drain_markers();
    marker_lines_.flush([this](const std::string& line) { splitter_.marker_line(line); });
    splitter_.finish();
  }

  bool killed() const { return killed_; }
  int first_signal() const { return first_signal_; }

 private:
  std::function<void(const std::string&)> on_output() {
    return [this](const std::string& line) { splitter_.output_line(line); };
  }
  // Passed through byte for byte, before any parsing.
  void pass_on(int i, ssize_t n) {
    write_all(sinks_[i], chunk_.data(), static_cast<size_t>(n));
    buffers_[i].feed(chunk_.data(), static_cast<size_t>(n), on_output());
  }
  void drain_markers() {
    ssize_t n;
    while ((n = read(marker_fd_, chunk_.data(), chunk_.size())) > 0) {
      marker_lines_.feed(chunk_.data(), static_cast<size_t>(n),
                         [this](const std::string& line) { splitter_.marker_line(line); });
    }
  }
  // Reads what one pipe has; false at end of file.
  bool pump(int i) {
    ssize_t n = read(fds_[i], chunk_.data(), chunk_.size());
    if (n < 0) return errno == EINTR || errno == EAGAIN;
    if (n == 0) {
      buffers_[i].flush(on_output());
      return false;
    }
    pass_on(i, n);
    return true;
  }
  void escalate(const std::string& why) {
    say(options_.stderr_fd,
        why + ": sending SIGKILL to its process group " + std::to_string(child_.pid()));
    child_.signal_group(SIGKILL);
    killed_ = true;
  }
  void handle_signals() {
    unsigned char sig;
    while (read(signal_fd_, &sig, 1) == 1) {
      if (sig == SIGCHLD) continue;  // the loop checks the child after every wakeup
      if (sig != SIGINT && sig != SIGTERM) continue;
      if (!child_.running() || killed_) continue;
      if (++forwarded_ > 1) {
        escalate(std::string("got a second ") + signal_name(sig));
        continue;
      }
      first_signal_ = sig;
      child_.signal(sig);
      kill_deadline_ = mono_now_s() + options_.kill_after_s;
      say(options_.stderr_fd, std::string("got ") + signal_name(sig) +
                                  ": passed it to the command (pid " +
                                  std::to_string(child_.pid()) + "); SIGKILL if it still runs in " +
                                  fmt_seconds(options_.kill_after_s) + " or on a second signal");
    }
  }

  const CommandTrackOptions& options_;
  Subprocess& child_;
  EpochSplitter& splitter_;
  int marker_fd_;
  int signal_fd_;
  int fds_[2];
  int sinks_[2];
  LineBuffer buffers_[2], marker_lines_;
  std::vector<char> chunk_;
  int forwarded_ = 0;  // SIGINT/SIGTERM received so far
  int first_signal_ = 0;
  bool killed_ = false;  // we sent SIGKILL
  double kill_deadline_ = 0;
};

// What the table should warn about.
void add_warnings(CommandTrackResult& result, const EpochSplitter& splitter, double interval,
                  pid_t group) {
  if (splitter.ignored_lines() > 0) {
    result.warnings.push_back(
        std::to_string(splitter.ignored_lines()) +
        " epoch line(s) ignored: the epoch number repeated or went backwards (first: '" +
        splitter.first_ignored() + "')");
  }
  if (splitter.end_without_start()) {
    result.warnings.push_back(
        "the first epoch line came before any other output, so that epoch's start is unknown "
        "and its time is counted outside (print a line when training starts, or use the marker "
        "file)");
  }
  std::vector<std::string> short_epochs;
  for (const EpochEnergy& e : result.epochs) {
    if (e.duration_s < interval) short_epochs.push_back(std::to_string(e.epoch));
  }
  if (!short_epochs.empty()) {
    result.warnings.push_back("epoch(s) " + join(short_epochs, ", ") +
                              " lasted less than one sampling interval (" + fmt_seconds(interval) +
                              "): their energy rests on one or two readings; use a shorter "
                              "--interval");
  }
  if (result.whole.duration_s > 0 && result.outside.duration_s > 0.5 * result.whole.duration_s) {
    int pct =
        static_cast<int>(std::lround(100 * result.outside.duration_s / result.whole.duration_s));
    std::string why = result.epochs.empty() ? "no output line matched --epoch-regex"
                                            : "most of the run is outside every epoch";
    result.warnings.push_back(
        std::to_string(pct) + "% of the run is outside every epoch (" + why +
        "); if the command prints its epoch line when an epoch ends, use --epoch-at end; if its "
        "output is buffered, make it flush each line");
  }
  if (splitter.bad_markers() > 0) {
    result.warnings.push_back(std::to_string(splitter.bad_markers()) +
                              " marker line(s) not understood");
  }
  if (!result.left_behind.empty()) {
    result.warnings.push_back(
        "the command ended but left behind, still running in its process "
        "group " +
        std::to_string(group) + ": " + join(result.left_behind, ", "));
  }
}

// Ends the run record: done when the command exited 0 and every measurement
// was written, else failed with every reason.
void finish_run(RunRecorder& run, CommandTrackResult& result, const EpochSplitter& splitter,
                const CommandLoop& loop, const std::string& db_path) {
  std::vector<std::string> errors;
  if (result.exit_code != 0) {
    errors.push_back("command " + result.status +
                     (loop.killed() ? " (sent by powertrain after " +
                                          std::string(signal_name(loop.first_signal())) + ")"
                                    : ""));
  }
  if (!result.store_error.empty()) errors.push_back(result.store_error);
  if (splitter.bad_markers() > 0) {
    errors.push_back(std::to_string(splitter.bad_markers()) + " marker line(s) not understood");
  }
  const RunStatus status =
      result.exit_code == 0 && result.store_error.empty() ? RunStatus::kDone : RunStatus::kFailed;
  try {
    run.finish(status, join(errors, "; "), result.exit_code);
  } catch (const std::exception& e) {
    // SQLite's reason, without the statement the store quotes.
    std::string reason = e.what();
    size_t quote = reason.rfind("': ");
    if (quote != std::string::npos) reason = reason.substr(quote + 3);
    std::string why = "could not record the end of run " + std::to_string(run.id()) + " in " +
                      db_path + ": " + reason;
    result.store_error = result.store_error.empty() ? why : result.store_error + "; " + why;
    run.fail(why);  // a last try, so that the run does not stay running
  }
}

// The tracker's figures and, with markers, each phase's energy.
void collect(CommandTrackResult& result, Tracker& tracker, const EpochSplitter& splitter,
             Store& store, const CommandTrackOptions& options) {
  try {
    tracker.stop();
  } catch (const std::exception& e) {
    result.store_error = e.what();
  }
  result.epochs = tracker.epochs();
  result.whole = tracker.whole_run();
  result.outside = tracker.outside();
  result.used_markers = splitter.used_markers();
  result.sensors = tracker.sensor_summary();
  if (!result.used_markers || !result.store_error.empty()) return;
  try {
    std::vector<Sample> samples = store.samples(result.run_id);
    const double pue = options.tracker.pue;
    result.train = phase_energy(samples, Phase::kTrain, splitter.phase_seconds(Phase::kTrain), pue);
    result.validate =
        phase_energy(samples, Phase::kValidate, splitter.phase_seconds(Phase::kValidate), pue);
  } catch (const std::exception&) {
    // Phase columns are an extra; the run's figures stand without them.
  }
}

}  // namespace

CommandTrackResult track_command(const CommandTrackOptions& options) {
  std::unique_ptr<RE2> re = checked_regex(options);
  // Open everything that can fail on bad input before anything is recorded.
  SensorOptions sensor_options = options.tracker.sensor_options;
  sensor_options.interval_s = options.tracker.interval_s;
  std::vector<std::unique_ptr<Sensor>> sensors =
      make_sensors(options.tracker.sensors, sensor_options);
  Store store(options.db_path);
  sqlite3_busy_timeout(store.handle(), static_cast<int>(std::lround(options.db_timeout_s * 1000)));
  RunRecorder run(store, track_record(options));
  TrackerOptions tracker_options = options.tracker;
  tracker_options.queue_epoch_writes = true;  // the output loop must never wait for the store
  auto tracker = std::make_unique<Tracker>(tracker_options, std::move(sensors),
                                           make_store_sink(store), run.id());
  run.edit().sensors = tracker->sensor_summary();
  run.update();
  // The marker file the command may append to; removed however this ends.
  TempFile marker = TempFile::create("powertrain-marks-");

  CommandTrackResult result;
  result.run_id = run.id();
  SignalHandling signals;
  tracker->start();
  std::unique_ptr<Subprocess> child;
  try {
    child = spawn_command(options, marker.path(), run.id());
  } catch (const std::exception& e) {
    try {
      tracker->stop();
    } catch (const std::exception&) {
    }
    const auto* spawn_error = dynamic_cast<const SpawnError*>(&e);
    run.fail(e.what(), spawn_error ? std::optional<int>(spawn_error->exit_code()) : std::nullopt);
    if (spawn_error) throw SpawnError(*spawn_error);
    throw std::runtime_error(e.what());
  }
  // CPU-side energy is also attributed to the command's process tree; a
  // machine without /proc keeps the machine figure alone.
  try {
    tracker->track_process(static_cast<int>(child->pid()));
  } catch (const std::exception&) {
  }

  EpochSplitter splitter(*tracker, *re, options.epoch_at);
  CommandLoop loop(options, *child, splitter, marker.fd(), signals.fd());
  result.exit_code = loop.run();
  loop.drain_after_exit();
  marker.remove();
  child->close_stdout();
  child->close_stderr();
  result.left_behind = processes_in_group(child->pid());
  result.status = describe_status(child->raw_status());
  collect(result, *tracker, splitter, store, options);
  add_warnings(result, splitter, options.tracker.interval_s, child->pid());
  finish_run(run, result, splitter, loop, options.db_path);
  return result;
}

}  // namespace powertrain
