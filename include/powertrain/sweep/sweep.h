// Running a sweep: the experiment's runs written into one store as pending,
// done one after another through a runner, resumable after any stop.
//
//   ExperimentConfig config = load_experiment("experiments/quick.toml");
//   SweepOptions options;  options.db_path = "quick.db";
//   SweepSummary summary = run_sweep(config, options, runner);
//
// The core knows nothing of LibTorch: the runner trains one run (the real
// one calls run_training from include/powertrain/train/trainer.h; tests pass
// a fake). The sweep tells an observer what happens (observer.h) and stops
// when asked through a SweepStop; it never prints, installs signal handlers
// or ends the process (the CLI does, apps/powertrain/cmd_sweep.cc).
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/store/store.h"
#include "powertrain/sweep/experiment.h"
#include "powertrain/sweep/observer.h"
#include "powertrain/sweep/plan.h"

namespace powertrain {

// One run handed to the runner. Its row in the store is `running`; the
// runner writes its epochs (and samples, through its Tracker) for run_id.
struct RunRequest {
  const ExperimentConfig* experiment = nullptr;
  PlannedRun plan;
  int64_t run_id = 0;
  Store* store = nullptr;
  std::string encoder_in;   // plan.needs_encoder: the group's autoencoder's encoder file
  std::string encoder_out;  // plan.saves_encoder: where to save the encoder
};

using RunProgressFn = std::function<void(const RunProgress&)>;

// How a run ended. A runner may also throw: the exception's message becomes
// the run's error and the run is recorded as failed.
struct RunOutcome {
  RunStatus status = RunStatus::kDone;  // kDone, kDiverged or kFailed
  std::string error;
  std::optional<double> final_metric;
  std::string metric_name;
  std::string device;   // as resolved ("cuda:0"); empty = the experiment's
  std::string sensors;  // the tracker's sensor_summary()
  int epochs_run = 0;
  double energy_mwh = 0;
  // Provenance, recorded in the run's config: samples per split (windows or
  // images) and the weights the model started from ("random", "ImageNet
  // (FILE)", "pretrained encoder (FILE)").
  std::optional<int64_t> train_samples, val_samples, test_samples;
  std::string weights;
};

using SweepRunner = std::function<RunOutcome(const RunRequest&, const RunProgressFn&)>;

struct SweepOptions {
  std::string db_path;        // required
  Shard shard;                // {1, 1} = everything
  bool retry_failed = false;  // rerun runs recorded as failed
  bool dry_run = false;       // list what would run, write nothing
  bool takeover = false;      // rerun `running` runs whose process cannot be checked
  std::string encoder_dir;    // "" = <db_path>.encoders
  int max_runs = -1;          // stop after this many runs (< 0: all)
  // Events of the sweep (observer.h); null = none. When null and out is
  // set, a ProgressPrinter (progress.h) writes plain lines to out.
  SweepObserver* observer = nullptr;
  std::ostream* out = nullptr;
  bool live_line = false;  // with out: rewrite the progress line in place
  // Looked at before each run and after each epoch: once requested, the run
  // in progress is set back to pending (its rows marked partial) so that a
  // later call on any host reruns it, and run_sweep returns with
  // SweepSummary::interrupted set. Null: never stops early.
  const SweepStop* stop = nullptr;
  // Extra figures for each epoch's event (SweepEpochEvent::extra), e.g. a
  // prediction of the run's energy; empty = none.
  std::function<std::vector<ProgressFigure>(const SweepEpochEvent&)> epoch_figures;
  // Run order. Randomised (default): the setup-and-repeat groups are
  // shuffled with order_seed (roles stay in order within a group, so an
  // autoencoder still runs before the classifiers on its encoder), so that a
  // drift in the machine's load does not line up with batch size, learning
  // rate or repeat. The same seed gives the same order on every call, so a
  // resumed sweep continues the same sequence. fixed_order keeps the plan's
  // order (repeats outer, batch sizes, learning rates).
  bool fixed_order = false;
  std::optional<uint64_t> order_seed;  // absent: the experiment's seed
  // --fork: db_path is a new database for a changed experiment; this names
  // the database it was forked from (recorded in the new one's meta).
  std::string forked_from;
};

// The order in which a sweep runs its plan: indices into plan, whole groups
// shuffled with seed (Fisher-Yates on mt19937_64), or the plan's order.
std::vector<std::size_t> run_order(const std::vector<PlannedRun>& plan, bool fixed, uint64_t seed);

struct SweepSummary {
  int planned = 0;              // runs of this shard
  int already_finished = 0;     // done or diverged before this call
  int skipped_failed = 0;       // failed before and not retried
  int resumed_interrupted = 0;  // found running from a dead process, rerun
  int ran = 0;
  int done = 0;
  int diverged = 0;
  int failed = 0;
  std::vector<PlannedRun> would_run;  // dry run: what a real call would do
  double duration_s = 0;
  double energy_mwh = 0;     // the epochs of the runs this call ran, as stored
  bool interrupted = false;  // stopped by SweepOptions::stop
  int interrupt_signal = 0;  // the signal given to SweepStop::request
};

// Runs (or with dry_run lists) the sweep. Checks the data folder and the
// database's experiment before writing anything. Throws std::invalid_argument
// for a database of another experiment or shard, a run still held by a live
// process, and bad options; std::runtime_error for I/O.
SweepSummary run_sweep(const ExperimentConfig& config, const SweepOptions& options,
                       const SweepRunner& runner);

// The database a sweep writes when none is given: "<name>.db", or
// "<name>.shard-I-of-N.db" for a shard.
std::string default_db_path(const ExperimentConfig& config, const Shard& shard);

// Checks that the database at path (which need not exist) can hold this
// experiment's runs: its meta names the same experiment (name and hash) and
// shard, and it holds no runs of anything else. Throws std::invalid_argument.
void check_database_identity(const ExperimentConfig& config, const Shard& shard,
                             const std::string& db_path);

// Sets a run that this process holds `running` back to pending, its rows
// marked partial and the attempt recorded in its config's
// "interrupted_attempts" (error "signal N"), so that a later call reruns it.
// Does nothing (returns false) when the run is not running under this
// process. A program that must end at once on a signal, without waiting for
// the sweep to reach the end of an epoch, calls this on its own connection.
bool release_interrupted_run(Store& store, int64_t run_id, int signal);

// A planned run's row as the sweep first writes it: pending, with the
// experiment's settings as JSON provenance (the search writes its rung runs
// from the same row).
RunRecord pending_run_record(const ExperimentConfig& config, const PlannedRun& run);

// Meta keys written into the store.
inline constexpr const char* kMetaExperiment = "experiment";
inline constexpr const char* kMetaExperimentHash = "experiment_hash";
inline constexpr const char* kMetaExperimentConfig = "experiment_config";
inline constexpr const char* kMetaExperimentFile = "experiment_file";
inline constexpr const char* kMetaShard = "shard";             // "I/N", "" = whole or merged
inline constexpr const char* kMetaRunOrder = "run_order";      // "random, seed N" or "fixed"
inline constexpr const char* kMetaForkedFrom = "forked_from";  // "PATH (hash H)"

// Whether the process that marked a run `running` is gone: same host and no
// such process (or a zombie). Another host cannot be checked: nullopt.
std::optional<bool> run_process_dead(const RunRecord& run);

// How far a sweep is, from its database.
struct SweepStatus {
  bool database_exists = false;
  int planned = 0;
  int done = 0, diverged = 0, failed = 0, running = 0, pending = 0, missing = 0;
  double energy_mwh = 0;             // epochs of finished runs
  std::vector<std::string> sensors;  // of finished runs, e.g. "rapl,nvml"
  std::vector<std::string> sources;  // "sampled", "counter", "modelled"
  double run_time_s = 0;             // wall time of finished runs
  std::optional<double> eta_s;
  std::vector<RunRecord> failed_runs;
  std::vector<RunRecord> running_runs;
  std::string shard;
};
SweepStatus sweep_status(const ExperimentConfig& config, const std::string& db_path,
                         const Shard& shard);
// Text for `powertrain status`.
std::string format_status(const ExperimentConfig& config, const std::string& db_path,
                          const SweepStatus& status);

// Joins shard databases into out_path (created, or an existing database of
// the same experiment). Refuses inputs of different experiments and runs
// present twice, before writing anything. Returns the number of runs copied.
int merge_databases(const std::string& out_path, const std::vector<std::string>& in_paths,
                    std::ostream* out = nullptr);

}  // namespace powertrain
