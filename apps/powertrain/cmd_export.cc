// powertrain export: a run database's samples and epochs as CSV.
#include <fmt/format.h>

#include "commands.h"
#include "powertrain/store/store.h"

namespace powertrain::cli {

void add_export_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("export", "Write a database's samples and epochs as CSV files");
  struct Options {
    std::string db;
    std::string samples_csv;
    std::string epochs_csv;
    std::vector<int64_t> runs;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("db", o->db, "Run database")->required()->check(CLI::ExistingFile);
  cmd->add_option("--samples", o->samples_csv, "Write every sample to this CSV file");
  cmd->add_option("--epochs", o->epochs_csv, "Write every epoch to this CSV file");
  cmd->add_option("--run", o->runs, "Only these run ids (repeatable)");
  cmd->callback([o] {
    if (o->samples_csv.empty() && o->epochs_csv.empty()) {
      throw std::invalid_argument("nothing to export: give --samples FILE and/or --epochs FILE");
    }
    const Store store(o->db, Store::Mode::kReadOnly);
    for (int64_t id : o->runs) {
      if (!store.run(id)) throw std::invalid_argument(fmt::format("{}: no run with id {}", o->db, id));
    }
    if (!o->samples_csv.empty()) export_samples_csv(store, o->samples_csv, o->runs);
    if (!o->epochs_csv.empty()) export_epochs_csv(store, o->epochs_csv, o->runs);
  });
}

}  // namespace powertrain::cli
