// powertrain merge OUT.db IN.db...: joins shard databases of one experiment.
#include <iostream>
#include <memory>

#include "commands.h"
#include "powertrain/sweep/sweep.h"

namespace powertrain::cli {

void add_merge_command(CLI::App& app) {
  struct Args {
    std::string out;
    std::vector<std::string> in;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "merge", "Join shard databases of one experiment (refuses different experiments)");
  cmd->add_option("out", args->out, "output database (created, or one of the same experiment)")
      ->required();
  cmd->add_option("in", args->in, "shard databases")->required();
  cmd->callback([args] { merge_databases(args->out, args->in, &std::cout); });
}

}  // namespace powertrain::cli
