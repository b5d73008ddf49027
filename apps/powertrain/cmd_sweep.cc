// powertrain sweep FILE: runs an experiment's runs into its database,
// continuing where an earlier call stopped.
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "cmd_sweep_slurm.h"
#include "commands.h"
#include "powertrain/sweep/progress.h"
#include "powertrain/sweep/simulated_runner.h"
#include "powertrain/sweep/sweep.h"
#include "sweep_runner.h"

namespace powertrain::cli {
namespace {

struct SweepArgs {
  std::string file;
  std::string db;
  std::string data;
  std::string shard;
  bool retry_failed = false;
  bool dry_run = false;
  bool takeover = false;
  int max_runs = -1;
  int simulate_ms = -1;
  int simulate_epochs = 0;
  std::string simulate_log;
  std::string order = "random";
  std::optional<uint64_t> order_seed;
  std::string fork;
};

// --shard, else the Slurm job array, else everything.
Shard pick_shard(const std::string& text) {
  if (!text.empty()) return parse_shard(text);
  if (auto shard = shard_from_environment()) return *shard;
  return Shard{};
}

// The terminal's width: TIOCGWINSZ on stdout, else $COLUMNS, else 80.
int terminal_width() {
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* columns = std::getenv("COLUMNS")) {
    char* end = nullptr;
    long n = std::strtol(columns, &end, 10);
    if (end != columns && *end == '\0' && n > 0 && n < 10000) return static_cast<int>(n);
  }
  return 80;
}

// The sweep's events on stdout; on a terminal the progress line is redrawn
// in place and fitted to the terminal's width (read again for every line, so
// a resized window is followed). Remembers the run in progress for a stop
// that cannot wait.
class CliProgress : public ProgressPrinter {
 public:
  explicit CliProgress(bool tty) : ProgressPrinter(std::cout, Style{tty, 0}), tty_(tty) {}
  void on_run_start(const SweepRunEvent& e) override {
    run_id_.store(e.run_id);
    if (tty_) set_width(terminal_width());
    ProgressPrinter::on_run_start(e);
  }
  void on_epoch(const SweepEpochEvent& e) override {
    if (tty_) set_width(terminal_width());
    ProgressPrinter::on_epoch(e);
  }
  void on_run_end(const SweepRunEndEvent& e) override {
    run_id_.store(0);
    ProgressPrinter::on_run_end(e);
  }
  int64_t run_in_progress() const { return run_id_.load(); }

 private:
  bool tty_;
  std::atomic<int64_t> run_id_{0};
};

// SIGINT/SIGTERM (Ctrl-C, a Slurm time limit) become a stop request to the
// sweep, which sets the run in progress back to pending at the end of its
// epoch. An epoch of real training can outlast Slurm's grace before SIGKILL,
// so when the sweep has not returned within kGrace, a thread sets the run
// back itself (on its own connection) and ends the process with 128 + signal.
// The handler only sets the flag and writes to a pipe.
class SignalStop {
 public:
  static constexpr auto kGrace = std::chrono::seconds(5);

  SignalStop(std::string db_path, const CliProgress& progress)
      : db_path_(std::move(db_path)), progress_(progress) {
    if (pipe(fds_) != 0) throw std::runtime_error("pipe() failed");
    write_fd_.store(fds_[1]);
    stop_ = &stop;
    struct sigaction action {};
    action.sa_handler = &SignalStop::on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
    thread_ = std::thread([this] { watch(); });
  }
  ~SignalStop() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    returned_.store(true);
    char nothing = 0;
    (void)!write(fds_[1], &nothing, 1);
    thread_.join();
    write_fd_.store(-1);
    stop_ = nullptr;
    close(fds_[0]);
    close(fds_[1]);
  }
  SignalStop(const SignalStop&) = delete;
  SignalStop& operator=(const SignalStop&) = delete;

  SweepStop stop;

 private:
  static void on_signal(int sig) {
    if (SweepStop* s = stop_) s->request(sig);
    int fd = write_fd_.load();
    char c = static_cast<char>(sig);
    if (fd >= 0) (void)!write(fd, &c, 1);
  }
  void watch() {
    char sig = 0;
    while (read(fds_[0], &sig, 1) < 0 && errno == EINTR) {
    }
    if (sig == 0) return;
    const auto deadline = std::chrono::steady_clock::now() + kGrace;
    while (std::chrono::steady_clock::now() < deadline) {
      if (returned_.load()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    try {
      Store store(db_path_);
      const int64_t run_id = progress_.run_in_progress();
      if (run_id > 0 && release_interrupted_run(store, run_id, sig)) {
        std::cout << fmt::format(
                         "\ninterrupted (signal {}): run {} set back to pending; run the same "
                         "command to continue\n",
                         int(sig), run_id)
                  << std::flush;
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "powertrain: error: while stopping: %s\n", e.what());
    }
    std::_Exit(128 + sig);
  }

  static inline std::atomic<int> write_fd_{-1};
  static inline std::atomic<SweepStop*> stop_{nullptr};
  std::string db_path_;
  const CliProgress& progress_;
  int fds_[2] = {-1, -1};
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
  std::atomic<bool> returned_{false};
  std::thread thread_;
};

void run(const SweepArgs& args) {
  ExperimentConfig config = load_experiment(args.file);
  if (!args.data.empty()) config.data_dir = args.data;
  SweepOptions options;
  options.shard = pick_shard(args.shard);
  options.db_path = args.db.empty() ? default_db_path(config, options.shard) : args.db;
  options.fixed_order = args.order == "fixed";
  options.order_seed = args.order_seed;
  if (!args.fork.empty()) {
    // A new database for a changed experiment; the old one stays as it is.
    options.forked_from = options.db_path;
    options.db_path = args.fork;
  }
  options.retry_failed = args.retry_failed;
  options.dry_run = args.dry_run;
  options.takeover = args.takeover;
  options.max_runs = args.max_runs;
  CliProgress progress(isatty(STDOUT_FILENO) != 0);
  options.observer = &progress;

  SweepRunner runner;
  if (args.simulate_ms >= 0) {
    runner = make_simulated_runner({args.simulate_ms, args.simulate_epochs, args.simulate_log});
  } else if (!args.dry_run) {
    // In powertrain-torch; from powertrain, this command line goes there.
    runner = training_runner();
  }
  SweepSummary summary;
  {
    SignalStop signals(options.db_path, progress);
    options.stop = &signals.stop;
    summary = run_sweep(config, options, runner);
  }
  if (summary.interrupted) throw CLI::RuntimeError(128 + summary.interrupt_signal);
  // A failed run is recorded and the sweep goes on; the exit status still
  // tells a script (or a Slurm array) that not everything finished.
  if (summary.failed > 0) throw CLI::RuntimeError(3);
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  auto args = std::make_shared<SweepArgs>();
  CLI::App* cmd =
      app.add_subcommand("sweep",
                         "Run an experiment (TOML) as resumable runs in one database; an existing "
                         "database is continued");
  cmd->add_option("file", args->file, "experiment file, e.g. experiments/quick.toml")->required();
  cmd->add_option("--db", args->db, "database (default <name>.db, <name>.shard-I-of-N.db)");
  cmd->add_option("--data", args->data, "dataset folder (overrides the file's `data`)");
  cmd->add_option("--shard", args->shard,
                  "run shard I of N (every N-th setup and repeat), default from "
                  "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT");
  cmd->add_flag("--retry-failed", args->retry_failed, "run failed runs again");
  cmd->add_flag("--dry-run", args->dry_run, "list the runs it would do; write nothing");
  cmd->add_flag("--takeover", args->takeover,
                "rerun runs marked running by a process that cannot be checked (another host)");
  cmd->add_option("--max-runs", args->max_runs, "stop after this many runs")
      ->check(CLI::Range(0, std::numeric_limits<int>::max()));
  cmd->add_option("--order", args->order,
                  "run order: random (setups and repeats shuffled with the seed, so that drift "
                  "does not line up with a factor; default) or fixed (repeat, batch size, "
                  "learning rate)")
      ->check(CLI::IsMember({"random", "fixed"}));
  cmd->add_option("--order-seed", args->order_seed,
                  "seed of the random order (default: the experiment's seed)");
  cmd->add_option("--fork", args->fork,
                  "start NEW.db for a changed experiment file, recording the database it was "
                  "forked from (that one is left as it is)");
  // Testing aids: a runner that trains nothing (see simulated_runner.h).
  cmd->add_option("--simulate-ms", args->simulate_ms,
                  "train nothing: simulated epochs of this many ms (tests the sweep machinery)")
      ->check(CLI::Range(0, 3600 * 1000))
      ->group("");
  cmd->add_option("--simulate-epochs", args->simulate_epochs)
      ->check(CLI::Range(0, 100000))
      ->group("");
  cmd->add_option("--simulate-log", args->simulate_log)->group("");
  auto slurm = add_slurm_options(cmd);
  cmd->callback([args, slurm, cmd] {
    if (slurm->requested()) return run_slurm_sweep(*slurm, *cmd, args->file, args->db, args->data);
    run(*args);
  });
}

}  // namespace powertrain::cli
