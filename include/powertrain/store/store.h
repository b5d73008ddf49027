// The run database: one SQLite file (WAL) with tables meta, runs, epochs,
// epoch_energy and samples, written as a run goes so that a kill -9 loses at
// most the last sampling interval.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/energy/epoch_energy.h"
#include "powertrain/energy/records.h"
#include "powertrain/energy/sample.h"

struct sqlite3;

namespace powertrain {

namespace sql {
class Statement;
}

// Status of a run. A sweep creates runs as pending; a run is running while a
// process works on it and ends done, diverged or failed.
enum class RunStatus { kPending, kRunning, kDone, kDiverged, kFailed };
std::string_view to_string(RunStatus status);
RunStatus parse_run_status(std::string_view text);

// One row of `runs`. Optional fields are NULL when they do not apply (a
// tracked command has no batch size; a single training has no setup number).
struct RunRecord {
  int64_t id = 0;
  std::string experiment;    // sweep name, "" for a single run
  std::string kind;          // "track", "train"
  std::string command;       // tracked command line or training task
  std::string task;          // "pamap2", "celeba-identity", ...
  std::string paradigm;      // "regime", "pretraining", "multitask", ""
  std::string role;          // paradigm role: "classifier", "autoencoder", "frozen", ...
  std::optional<int> setup;  // 1..16 as in Table 1
  std::optional<int> batch_size;
  std::optional<double> learning_rate;
  std::optional<int> repeat;
  std::optional<double> alpha;
  RunStatus status = RunStatus::kPending;
  std::string error;
  std::string host;
  std::optional<int64_t> pid;
  std::string device;   // "cpu", "cuda:0", ...
  std::string sensors;  // "rapl,nvml"
  double interval_s = 1.0;
  double pue = 1.0;
  std::optional<double> started_at_s;  // Unix time
  std::optional<double> ended_at_s;
  std::optional<int> exit_code;
  std::optional<double> final_metric;  // e.g. test accuracy
  std::string metric_name;
  std::string config_json;  // everything else, as JSON
};

class Store {
 public:
  enum class Mode {
    kReadWrite,  // opens or creates, and brings the schema up to date
    kReadOnly,   // never creates or changes a file; refuses a non-powertrain file
  };
  // Opens the database. Throws std::runtime_error naming the path (once)
  // when it cannot be opened, read or (kReadWrite) written.
  explicit Store(const std::string& path, Mode mode = Mode::kReadWrite);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const { return path_; }

  // Key/value pairs about the whole database (experiment name, hash...).
  void set_meta(const std::string& key, const std::string& value);
  std::optional<std::string> meta(const std::string& key) const;

  // Inserts a run and returns its id (record.id is ignored).
  int64_t add_run(const RunRecord& record);
  // Rewrites every column of an existing run.
  void update_run(const RunRecord& record);
  void set_run_status(int64_t run_id, RunStatus status, const std::string& error = "");
  std::optional<RunRecord> run(int64_t run_id) const;
  std::vector<RunRecord> runs() const;

  // Inserts or replaces one epoch (and its per-stream rows).
  void put_epoch(const EpochRecord& record);
  std::vector<EpochRecord> epochs(int64_t run_id) const;
  // Marks a run's rows as left by a dead process (kept, not counted).
  void mark_partial(int64_t run_id);

  // Inserts or replaces a run's whole-run energy.
  void put_run_energy(const RunEnergyRecord& record);
  std::optional<RunEnergyRecord> run_energy(int64_t run_id) const;

  void add_samples(const std::vector<Sample>& samples);
  std::vector<Sample> samples(int64_t run_id) const;
  // Samples of a run tagged epoch `from` now belong to epoch `to` (0:
  // outside every epoch, phase other).
  void retag_samples(int64_t run_id, int from, int to);
  int64_t sample_count(int64_t run_id) const;

  // Runs fn inside one transaction, rolled back if fn or the COMMIT throws
  // (a COMMIT that fails, busy or disk full, must not leave the transaction
  // open for the next one to trip over); the first error is what is thrown.
  template <typename Fn>
  void transaction(Fn&& fn) {
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    exec("BEGIN IMMEDIATE");
    try {
      fn();
      exec("COMMIT");
    } catch (...) {
      try {
        exec("ROLLBACK");
      } catch (...) {
        // Already rolled back by SQLite (e.g. SQLITE_FULL); keep the first error.
      }
      throw;
    }
  }

  // Runs SQL with no result; for schema changes of later modules.
  void exec(const std::string& sql);
  // Raw handle for read-only queries of the report module.
  sqlite3* handle() const { return db_; }

 private:
  // Whether `table` has `column` (a database written by an older powertrain
  // may lack the newer ones; readers then see NULL).
  bool has_column(const std::string& table, const std::string& column) const;
  // Adds the columns and tables of later schema versions to an older file.
  void migrate();
  std::string path_;
  sqlite3* db_ = nullptr;
  mutable std::recursive_mutex mutex_;
  // Prepared once: the sampler inserts through it every interval.
  std::unique_ptr<sql::Statement> insert_sample_;
};

// Writes samples / epochs of the given runs (all when empty) as CSV.
void export_samples_csv(const Store& store, const std::string& path,
                        const std::vector<int64_t>& run_ids = {});
void export_epochs_csv(const Store& store, const std::string& path,
                       const std::vector<int64_t>& run_ids = {});

}  // namespace powertrain
