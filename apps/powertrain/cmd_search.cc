// powertrain search FILE --target T: successive halving over the
// experiment's grid with an energy budget (include/powertrain/sweep/search.h).
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>

#include "commands.h"
#include "powertrain/sweep/search.h"
#include "powertrain/sweep/simulated_runner.h"
#include "sweep_runner.h"

namespace powertrain::cli {
namespace {

struct SearchArgs {
  std::string file, db, data, target, shard;
  int first_epochs = 3;
  int eta = 4;
  int max_runs = -1;
  bool takeover = false;
  bool show = false;
  int simulate_ms = -1;
};

void run(const SearchArgs& args) {
  ExperimentConfig config = load_experiment(args.file);
  if (!args.data.empty()) config.data_dir = args.data;
  SearchOptions options;
  options.db_path = args.db.empty() ? config.name + ".search.db" : args.db;
  options.target = parse_search_target(args.target);
  options.first_epochs = args.first_epochs;
  options.eta = args.eta;
  if (!args.shard.empty()) options.shard = parse_shard(args.shard);
  options.takeover = args.takeover;
  options.max_runs = args.max_runs;
  options.out = &std::cout;
  if (args.show) {
    const Store store(options.db_path, Store::Mode::kReadOnly);
    auto result = read_search(store);
    if (!result) throw std::invalid_argument(options.db_path + " holds no search");
    std::cout << format_search(*result);
    return;
  }
  SweepRunner runner = args.simulate_ms >= 0
                           ? make_simulated_runner({args.simulate_ms, 0, "", 0.0})
                           : training_runner();  // from powertrain: exec powertrain-torch
  const SearchResult result = run_search(config, options, runner);
  std::cout << format_search(result);
  std::cout << "energy: as stored per epoch by the runner's tracker (see `powertrain report` for "
               "each run's sensor and source)\n";
  if (!result.finished) throw CLI::RuntimeError(3);
}

}  // namespace

void add_search_command(CLI::App& app) {
  auto args = std::make_shared<SearchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "search",
      "Find the setup of an experiment's grid that reaches a target with the least energy, "
      "without running the whole grid (successive halving with an energy budget)");
  cmd->add_option("file", args->file, "experiment file (paradigm regime)")->required();
  cmd->add_option("--target", args->target,
                  "score to reach: a value (0.85) or best-X, within X of the best (best-0.02)")
      ->required();
  cmd->add_option("--db", args->db, "database (default <name>.search.db)");
  cmd->add_option("--data", args->data, "dataset folder (overrides the file's `data`)");
  cmd->add_option("--first-epochs", args->first_epochs, "epochs of every setup in rung 0 (3)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--eta", args->eta, "keep 1/eta of the setups each rung (4)")
      ->check(CLI::Range(2, 1000));
  cmd->add_option("--shard", args->shard,
                  "I/N: run every N-th setup of each rung; shards share one --db and wait for "
                  "each other between rungs");
  cmd->add_option("--max-runs", args->max_runs, "stop after this many runs (resume later)");
  cmd->add_flag("--takeover", args->takeover,
                "rerun runs marked running by a process that cannot be checked");
  cmd->add_flag("--show", args->show, "print the stored search, train nothing");
  cmd->add_option("--simulate-ms", args->simulate_ms)->group("");
  cmd->callback([args] { run(*args); });
}

}  // namespace powertrain::cli
