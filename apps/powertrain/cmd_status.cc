// powertrain status FILE: how far a sweep is.
#include <iostream>
#include <memory>

#include "cmd_sweep_slurm.h"
#include "commands.h"
#include "powertrain/predict/prediction_store.h"
#include "powertrain/sweep/sweep.h"

namespace powertrain::cli {

void add_status_command(CLI::App& app) {
  struct Args {
    std::string file, db, shard;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("status", "Show how far a sweep is");
  cmd->add_option("file", args->file, "experiment file")->required();
  cmd->add_option("--db", args->db, "database (default as `sweep` picks it)");
  cmd->add_option("--shard", args->shard, "the shard I/N the database holds");
  cmd->callback([args] {
    ExperimentConfig config = load_experiment(args->file);
    Shard shard;
    if (!args->shard.empty()) {
      shard = parse_shard(args->shard);
    } else if (auto from_env = shard_from_environment()) {
      shard = *from_env;
    }
    std::string db = args->db.empty() ? default_db_path(config, shard) : args->db;
    std::cout << format_status(config, db, sweep_status(config, db, shard));
    std::cout << predict::predictions_status_text(db);  // issue 15
    // A sweep run as shards (a Slurm array): every shard and the whole.
    if (!shard.active()) std::cout << shards_status_text(config, db);
  });
}

}  // namespace powertrain::cli
