// powertrain sweep FILE: runs an experiment's runs into its database,
// continuing where an earlier call stopped.
#include <unistd.h>

#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>

#include "commands.h"
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
  options.out = &std::cout;
  options.live_line = isatty(STDOUT_FILENO) != 0;
  options.handle_signals = true;

  SweepRunner runner;
  if (args.simulate_ms >= 0) {
    runner = make_simulated_runner({args.simulate_ms, args.simulate_epochs, args.simulate_log});
  } else if (!args.dry_run) {
    // In powertrain-torch; from powertrain, this command line goes there.
    runner = training_runner();
  }
  SweepSummary summary = run_sweep(config, options, runner);
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
  cmd->callback([args] { run(*args); });
}

}  // namespace powertrain::cli
