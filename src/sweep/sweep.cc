#include "powertrain/sweep/sweep.h"

#include <signal.h>  // kill
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "powertrain/predict/prediction_store.h"
#include "powertrain/store/run_recorder.h"
#include "powertrain/store/run_roles.h"
#include "powertrain/sweep/progress.h"
#include "powertrain/sweep/run_key.h"
#include "util/host.h"
#include "util/slurm_env.h"

namespace powertrain {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string shard_meta(const Shard& shard) { return shard.active() ? shard.to_string() : ""; }

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

// The run's settings beyond the runs table's columns, for provenance.
json run_config(const ExperimentConfig& c, const PlannedRun& p) {
  json j;
  j["experiment_hash"] = c.hash();
  j["data_dir"] = c.data_dir;
  j["seed"] = p.seed;
  j["optimizer"] = c.optimizer;
  j["momentum"] = c.momentum;
  j["weight_decay"] = c.weight_decay;
  j["max_epochs"] = c.max_epochs;
  j["patience"] = c.patience;
  j["min_delta"] = c.min_delta;
  j["threads"] = c.threads;
  j["freeze_encoder"] = p.freeze_encoder;
  j["dataset_options"] = json::parse(c.dataset_options_json);
  j["model_options"] = json::parse(c.model_options_json);
  return j;
}

RunRecord pending_record(const ExperimentConfig& c, const PlannedRun& p) {
  RunRecord r;
  r.experiment = c.name;
  r.kind = roles::kKindTrain;
  r.command = p.task;
  r.task = p.task;
  r.paradigm = c.paradigm;
  r.role = p.role;
  if (p.setup > 0) r.setup = p.setup;
  r.batch_size = p.batch_size;
  r.learning_rate = p.learning_rate;
  r.repeat = p.repeat;
  r.alpha = p.alpha;
  r.status = RunStatus::kPending;
  r.device = c.device;
  r.sensors = join(c.sensors, ",");
  r.interval_s = c.interval_s;
  r.pue = c.pue;
  r.config_json = run_config(c, p).dump();
  return r;
}

json parse_config(const RunRecord& r) {
  if (r.config_json.empty()) return json::object();
  try {
    json j = json::parse(r.config_json);
    return j.is_object() ? j : json::object();
  } catch (const json::exception&) {
    return json::object();
  }
}

bool finished(RunStatus s) { return s == RunStatus::kDone || s == RunStatus::kDiverged; }

// A planned run's fate in this call; a run held by a live process stops the
// sweep before anything is written.
enum class Action { kSkipFinished, kSkipFailed, kRun, kRerunInterrupted, kRetryFailed };

bool will_run(Action a) {
  return a == Action::kRun || a == Action::kRerunInterrupted || a == Action::kRetryFailed;
}

Action action_for_running(const RunRecord& r, const PlannedRun& p, const SweepOptions& options) {
  auto dead = run_process_dead(r);
  // A requeued Slurm task may find its own earlier incarnation's run
  // `running` (SIGKILL, node failure), on any node: that process is gone.
  if ((!dead || !*dead) &&
      claimed_by_earlier_incarnation(r.config_json, slurm_env_from_environment())) {
    dead = true;
  }
  if (!dead && !options.takeover) {
    throw std::invalid_argument(
        fmt::format("run {} ({}) in {} is marked running by process {} on host {}, which cannot be "
                    "checked from here; if it is gone, pass --takeover to run it again",
                    r.id, p.key(), options.db_path, r.pid.value_or(0), r.host));
  }
  if (dead && !*dead && !options.takeover) {
    throw std::invalid_argument(
        fmt::format("run {} ({}) in {} is being run by process {} on this host, which is alive: is "
                    "another sweep using this database? (--takeover runs it anyway)",
                    r.id, p.key(), options.db_path, r.pid.value_or(0)));
  }
  return Action::kRerunInterrupted;
}

Action action_for(const RunRecord* r, const PlannedRun& p, const SweepOptions& options) {
  if (!r) return Action::kRun;
  switch (r->status) {
    case RunStatus::kDone:
    case RunStatus::kDiverged:
      return Action::kSkipFinished;
    case RunStatus::kPending:
      return Action::kRun;
    case RunStatus::kFailed:
      return options.retry_failed ? Action::kRetryFailed : Action::kSkipFailed;
    case RunStatus::kRunning:
      return action_for_running(*r, p, options);
  }
  return Action::kRun;
}

// Thrown from the progress callback through the runner when a stop is
// requested; not a std::exception, so that a runner's own handlers of
// std::exception let it pass.
struct StopRequested {};

// Records an earlier attempt of a run in its config and sets it back to
// pending; the caller marks its rows partial and writes it.
void set_back_to_pending(RunRecord& r, const char* attempts, const std::string& error) {
  json cfg = parse_config(r);
  cfg[attempts].push_back({{"status", std::string(to_string(r.status))},
                           {"host", r.host},
                           {"pid", r.pid.value_or(0)},
                           {"started_at", r.started_at_s.value_or(0)},
                           {"error", error}});
  r.config_json = cfg.dump();
  r.status = RunStatus::kPending;
  r.error = "";
  r.pid.reset();
  r.started_at_s.reset();
  r.ended_at_s.reset();
}

std::string stop_error(int signal) {
  return signal > 0 ? fmt::format("signal {}", signal) : std::string("stop requested");
}

// One call of run_sweep: plan, classify, then run one run after another,
// telling the observer what happens.
class SweepEngine {
 public:
  SweepEngine(const ExperimentConfig& config, const SweepOptions& options,
              const SweepRunner& runner, SweepObserver& observer)
      : config_(config), options_(options), runner_(runner), observer_(observer) {}

  SweepSummary run();

 private:
  void load_plan();
  void classify();
  void note(RunNote n, std::size_t i, std::string detail = {}, int would_run_index = 0);
  SweepSummary dry_run();
  void write_pending();
  void set_back_reruns();
  bool run_one(std::size_t t);
  std::string prepare_request(const PlannedRun& p, RunRecord& r, json& cfg, RunRequest& request);
  std::optional<RunRecorder> claim(RunRecord& r, const json& cfg);
  RunOutcome call_runner(const RunRequest& request, const SweepRunEvent& event,
                         const std::string& setup_error);
  void record_outcome(RunRecorder& recorder, RunRecord& r, const RunOutcome& outcome);
  void end_run(const SweepRunEvent& event, const RunRecord& r, const RunOutcome& outcome,
               double duration_s);
  bool stop_requested() const { return options_.stop && options_.stop->requested(); }
  void interrupt(int64_t run_id);
  std::optional<double> eta(std::size_t t, double elapsed_s) const;

  const ExperimentConfig& config_;
  const SweepOptions& options_;
  const SweepRunner& runner_;
  SweepObserver& observer_;
  std::vector<PlannedRun> plan_;
  std::optional<Store> store_;
  std::map<std::string, RunRecord> rows_;
  std::vector<Action> actions_;
  std::vector<std::size_t> order_;
  std::vector<std::size_t> to_do_;
  uint64_t order_seed_ = 0;
  EtaEstimator eta_;
  SweepSummary summary_;
  std::string encoder_dir_;
  std::string host_;
};

void SweepEngine::load_plan() {
  for (auto& p : expand_plan(config_)) {
    if (options_.shard.owns_group(p.group)) plan_.push_back(std::move(p));
  }
  summary_.planned = static_cast<int>(plan_.size());
  std::error_code ec;
  if (fs::exists(options_.db_path, ec) || !options_.dry_run) {
    store_.emplace(options_.db_path);
    for (auto& r : store_->runs()) {
      if (r.experiment == config_.name) rows_[run_key(r)] = std::move(r);
    }
  }
}

void SweepEngine::classify() {
  for (const auto& p : plan_) {
    auto it = rows_.find(p.key());
    Action a = action_for(it == rows_.end() ? nullptr : &it->second, p, options_);
    actions_.push_back(a);
    if (a == Action::kSkipFinished) ++summary_.already_finished;
    if (a == Action::kSkipFailed) ++summary_.skipped_failed;
    if (a == Action::kRerunInterrupted) ++summary_.resumed_interrupted;
  }
  order_seed_ = options_.order_seed.value_or(static_cast<uint64_t>(config_.seed));
  order_ = run_order(plan_, options_.fixed_order, order_seed_);
  for (std::size_t i : order_) {
    if (will_run(actions_[i])) to_do_.push_back(i);
  }
}

void SweepEngine::note(RunNote n, std::size_t i, std::string detail, int would_run_index) {
  SweepNoteEvent e;
  e.note = n;
  e.run = &plan_[i];
  e.repeats = config_.repeats;
  e.detail = std::move(detail);
  e.would_run_index = would_run_index;
  if (auto it = rows_.find(plan_[i].key()); it != rows_.end()) {
    e.run_id = it->second.id;
    e.status = it->second.status;
  }
  observer_.on_note(e);
}

SweepSummary SweepEngine::dry_run() {
  for (std::size_t i : order_) {
    switch (actions_[i]) {
      case Action::kSkipFinished:
        note(RunNote::kSkippedFinished, i);
        break;
      case Action::kSkipFailed:
        note(RunNote::kSkippedFailed, i);
        break;
      case Action::kRun:
      case Action::kRerunInterrupted:
      case Action::kRetryFailed:
        summary_.would_run.push_back(plan_[i]);
        note(RunNote::kWouldRun, i,
             actions_[i] == Action::kRun           ? "pending"
             : actions_[i] == Action::kRetryFailed ? "retry: failed before"
                                                   : "rerun: its process died",
             static_cast<int>(summary_.would_run.size()));
        break;
    }
  }
  observer_.on_finish(summary_);
  return summary_;
}

// Runs found `running` from a dead process, and failed runs to retry: their
// rows are kept but marked partial, and the run starts over under its id.
void SweepEngine::set_back_reruns() {
  for (std::size_t i : order_) {
    const Action a = actions_[i];
    if (a == Action::kSkipFinished) note(RunNote::kSkippedFinished, i);
    if (a == Action::kSkipFailed) note(RunNote::kSkippedFailed, i);
    if (a != Action::kRerunInterrupted && a != Action::kRetryFailed) continue;
    RunRecord& r = rows_[plan_[i].key()];
    const std::string detail =
        a == Action::kRerunInterrupted
            ? fmt::format("process {} on {} died during it", r.pid.value_or(0), r.host)
            : "failed before: " + r.error;
    const RunStatus was = r.status;
    store_->mark_partial(r.id);
    set_back_to_pending(
        r, a == Action::kRerunInterrupted ? "interrupted_attempts" : "failed_attempts", r.error);
    store_->update_run(r);
    SweepNoteEvent e;
    e.note =
        a == Action::kRerunInterrupted ? RunNote::kResumedInterrupted : RunNote::kRetryingFailed;
    e.run = &plan_[i];
    e.run_id = r.id;
    e.repeats = config_.repeats;
    e.detail = detail;
    e.status = was;
    observer_.on_note(e);
  }
}

// The experiment's identity and every missing run, as pending, at once.
void SweepEngine::write_pending() {
  Store& store = *store_;
  store.transaction([&] {
    if (!store.meta(kMetaExperiment)) {
      store.set_meta(kMetaExperiment, config_.name);
      store.set_meta(kMetaExperimentHash, config_.hash());
      store.set_meta(kMetaExperimentConfig, config_.canonical_json());
      store.set_meta(kMetaExperimentFile, config_.file);
      store.set_meta(kMetaShard, shard_meta(options_.shard));
      if (!options_.forked_from.empty()) store.set_meta(kMetaForkedFrom, options_.forked_from);
    }
    store.set_meta(kMetaRunOrder, options_.fixed_order
                                      ? std::string("fixed")
                                      : fmt::format("random, seed {}", order_seed_));
    for (const auto& p : plan_) {
      if (rows_.count(p.key())) continue;
      RunRecord r = pending_record(config_, p);
      r.id = store.add_run(r);
      rows_[p.key()] = r;
    }
  });
  // Durations of runs finished before, for the estimate of the time left.
  for (const auto& [key, r] : rows_) {
    if (finished(r.status) && r.started_at_s && r.ended_at_s) {
      eta_.add(r.role, *r.ended_at_s - *r.started_at_s);
    }
  }
}

std::optional<double> SweepEngine::eta(std::size_t t, double elapsed_s) const {
  std::vector<std::string> roles_left;
  for (std::size_t k = t; k < to_do_.size(); ++k) roles_left.push_back(plan_[to_do_[k]].role);
  return eta_.remaining_s(roles_left, elapsed_s);
}

// The request's encoder files (recorded in cfg); a reason the run cannot be
// trained, or "".
std::string SweepEngine::prepare_request(const PlannedRun& p, RunRecord& r, json& cfg,
                                         RunRequest& request) {
  request.experiment = &config_;
  request.plan = p;
  request.run_id = r.id;
  request.store = &*store_;
  std::error_code ec;
  if (p.saves_encoder) {
    fs::create_directories(encoder_dir_, ec);
    if (ec) throw std::runtime_error("cannot create folder " + encoder_dir_ + ": " + ec.message());
    request.encoder_out =
        fs::absolute(fs::path(encoder_dir_) / fmt::format("setup-{}-repeat-{}-run-{}.safetensors",
                                                          p.setup_name, p.repeat, r.id))
            .string();
    cfg["encoder_out"] = request.encoder_out;
  }
  if (!p.needs_encoder) return "";
  // The encoder comes from the autoencoder of the same setup and repeat.
  auto ae = rows_.find(RunKey{p.setup_name, p.repeat, roles::kAutoencoder}.str());
  if (ae == rows_.end()) return "no autoencoder run for this setup and repeat";
  if (ae->second.status != RunStatus::kDone) {
    return fmt::format(
        "the autoencoder (run {}) of this setup and repeat ended {}; "
        "there is no encoder to train on",
        ae->second.id, to_string(ae->second.status));
  }
  json ae_cfg = parse_config(ae->second);
  request.encoder_in = ae_cfg.value("encoder_out", std::string());
  cfg["encoder_in"] = request.encoder_in;
  cfg["encoder_run_id"] = ae->second.id;
  if (request.encoder_in.empty() || !fs::exists(request.encoder_in, ec)) {
    return fmt::format("the encoder file of the autoencoder (run {}) is missing: '{}'",
                       ae->second.id, request.encoder_in);
  }
  return "";
}

// Claims the run, only if still pending, so that two processes started on one
// database by mistake never run the same run twice.
std::optional<RunRecorder> SweepEngine::claim(RunRecord& r, const json& cfg) {
  r.config_json = cfg.dump();
  return RunRecorder::claim(*store_, r, host_);
}

RunOutcome SweepEngine::call_runner(const RunRequest& request, const SweepRunEvent& event,
                                    const std::string& setup_error) {
  RunOutcome outcome;
  if (!setup_error.empty()) {
    outcome.status = RunStatus::kFailed;
    outcome.error = setup_error;
    return outcome;
  }
  const auto run_t0 = std::chrono::steady_clock::now();
  const std::size_t t = static_cast<std::size_t>(event.position - 1);
  RunProgressFn on_progress = [&](const RunProgress& progress) {
    SweepEpochEvent e;
    e.run = event;
    e.progress = progress;
    e.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - run_t0).count();
    e.eta_s = eta(t, e.elapsed_s);
    // Each epoch's prediction of the whole run (issue 15): stored, and shown.
    if (progress.epoch > 0) {
      const std::string predicted =
          predict::predict_for_progress(*store_, event.run_id, config_.patience, config_.min_delta,
                                        config_.max_epochs, event.run->task);
      if (!predicted.empty()) e.extra.push_back({"run", predicted});
    }
    if (options_.epoch_figures) {
      for (auto& figure : options_.epoch_figures(e)) e.extra.push_back(std::move(figure));
    }
    observer_.on_epoch(e);
    if (stop_requested()) throw StopRequested{};
  };
  try {
    outcome = runner_(request, on_progress);
  } catch (const std::exception& e) {
    outcome = RunOutcome{};
    outcome.status = RunStatus::kFailed;
    outcome.error = e.what();
  }
  if (outcome.status == RunStatus::kPending || outcome.status == RunStatus::kRunning) {
    outcome.status = RunStatus::kFailed;
    outcome.error = "the runner returned without an end status";
  }
  return outcome;
}

void SweepEngine::record_outcome(RunRecorder& recorder, RunRecord& r, const RunOutcome& outcome) {
  r.status = outcome.status;
  r.error = outcome.error;
  r.ended_at_s = unix_now_s();
  r.final_metric = outcome.final_metric;
  r.metric_name = outcome.metric_name;
  if (outcome.train_samples || !outcome.weights.empty()) {
    json provenance = parse_config(r);
    if (outcome.train_samples) {
      provenance["samples"] = {{"train", *outcome.train_samples},
                               {"val", outcome.val_samples.value_or(0)},
                               {"test", outcome.test_samples.value_or(0)}};
    }
    if (!outcome.weights.empty()) provenance["weights"] = outcome.weights;
    r.config_json = provenance.dump();
  }
  if (!outcome.device.empty()) r.device = outcome.device;
  if (!outcome.sensors.empty()) r.sensors = outcome.sensors;
  recorder.finish(r);
}

void SweepEngine::end_run(const SweepRunEvent& event, const RunRecord& r, const RunOutcome& outcome,
                          double duration_s) {
  ++summary_.ran;
  if (r.status == RunStatus::kDone) ++summary_.done;
  if (r.status == RunStatus::kDiverged) ++summary_.diverged;
  if (r.status == RunStatus::kFailed) ++summary_.failed;
  if (finished(r.status)) eta_.add(event.run->role, duration_s);
  // Epochs and energy as stored, so the event agrees with the database even
  // when the runner threw.
  const auto epochs = store_->epochs(r.id);
  SweepRunEndEvent e;
  e.run = event;
  e.status = r.status;
  e.error = r.error;
  e.epochs = static_cast<int>(epochs.size());
  e.final_metric = outcome.final_metric;
  e.metric_name = outcome.metric_name;
  for (const auto& epoch : epochs) e.energy_mwh += epoch.energy_mwh;
  e.duration_s = duration_s;
  summary_.energy_mwh += e.energy_mwh;
  observer_.on_run_end(e);
}

void SweepEngine::interrupt(int64_t run_id) {
  const int signal = options_.stop ? options_.stop->signal() : 0;
  if (run_id > 0) release_interrupted_run(*store_, run_id, signal);
  summary_.interrupted = true;
  summary_.interrupt_signal = signal;
  observer_.on_interrupt(SweepInterruptEvent{signal, run_id});
}

// Runs the t-th run of this call; false when the sweep is to stop.
bool SweepEngine::run_one(std::size_t t) {
  if (stop_requested()) {
    interrupt(0);
    return false;
  }
  const PlannedRun& p = plan_[to_do_[t]];
  RunRecord& r = rows_[p.key()];
  json cfg = parse_config(r);
  RunRequest request;
  const std::string setup_error = prepare_request(p, r, cfg, request);
  // The Slurm job, array task, node and GPUs this run is done in.
  if (auto slurm = slurm_env_from_environment()) cfg["slurm"] = slurm->to_json();
  std::optional<RunRecorder> recorder = claim(r, cfg);
  if (!recorder) {
    note(RunNote::kTakenByOtherProcess, to_do_[t], std::string(to_string(r.status)));
    return true;
  }
  SweepRunEvent event{&p,
                      r.id,
                      static_cast<int>(t) + 1,
                      static_cast<int>(to_do_.size()),
                      config_.repeats,
                      config_.max_epochs,
                      eta(t, 0)};
  observer_.on_run_start(event);
  const auto run_t0 = std::chrono::steady_clock::now();
  RunOutcome outcome;
  try {
    outcome = call_runner(request, event, setup_error);
  } catch (const StopRequested&) {
    interrupt(r.id);  // sets the run back to pending itself
    recorder->release();
    return false;
  }
  const double duration_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - run_t0).count();
  record_outcome(*recorder, r, outcome);
  end_run(event, r, outcome, duration_s);
  return true;
}

SweepSummary SweepEngine::run() {
  if (options_.db_path.empty()) throw std::invalid_argument("run_sweep: no database path");
  if (!runner_ && !options_.dry_run) throw std::invalid_argument("run_sweep: no runner");
  const auto t0 = std::chrono::steady_clock::now();
  // Everything that can be refused is checked before the store is touched.
  check_data_dir(config_);
  check_database_identity(config_, options_.shard, options_.db_path);
  load_plan();
  classify();
  SweepStartEvent start{&config_,
                        options_.db_path,
                        options_.shard,
                        options_.dry_run,
                        summary_.planned,
                        static_cast<int>(to_do_.size()),
                        summary_.already_finished,
                        summary_.skipped_failed,
                        options_.fixed_order,
                        order_seed_};
  observer_.on_start(start);
  if (options_.dry_run) return dry_run();

  set_back_reruns();
  write_pending();
  encoder_dir_ =
      options_.encoder_dir.empty() ? options_.db_path + ".encoders" : options_.encoder_dir;
  host_ = this_host();
  for (std::size_t t = 0; t < to_do_.size(); ++t) {
    if (options_.max_runs >= 0 && summary_.ran >= options_.max_runs) break;
    if (!run_one(t)) break;
  }
  summary_.duration_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  observer_.on_finish(summary_);
  return summary_;
}

}  // namespace

std::vector<std::size_t> run_order(const std::vector<PlannedRun>& plan, bool fixed, uint64_t seed) {
  // Groups in the order they first appear, each with its runs in plan order.
  std::vector<int> groups;
  std::map<int, std::vector<std::size_t>> members;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    auto& m = members[plan[i].group];
    if (m.empty()) groups.push_back(plan[i].group);
    m.push_back(i);
  }
  if (!fixed) {
    std::mt19937_64 rng(seed);
    for (std::size_t i = groups.size(); i > 1; --i) {
      std::swap(groups[i - 1], groups[rng() % i]);
    }
  }
  std::vector<std::size_t> order;
  for (int g : groups) order.insert(order.end(), members[g].begin(), members[g].end());
  return order;
}

std::string default_db_path(const ExperimentConfig& config, const Shard& shard) {
  if (shard.active())
    return fmt::format("{}.shard-{}-of-{}.db", config.name, shard.index, shard.count);
  return config.name + ".db";
}

std::optional<bool> run_process_dead(const RunRecord& run) {
  if (!run.pid || run.host != this_host()) return std::nullopt;
  auto pid = static_cast<pid_t>(*run.pid);
  if (pid <= 0) return true;
  if (pid == getpid()) return false;
  if (kill(pid, 0) != 0 && errno == ESRCH) return true;
  // A zombie is dead although kill() still finds it.
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string text;
  if (stat && std::getline(stat, text)) {
    auto close = text.rfind(')');
    if (close != std::string::npos && close + 2 < text.size() && text[close + 2] == 'Z')
      return true;
  }
  return false;
}

void check_database_identity(const ExperimentConfig& config, const Shard& shard,
                             const std::string& db_path) {
  std::error_code ec;
  if (!fs::exists(db_path, ec)) return;
  const Store store(db_path, Store::Mode::kReadOnly);
  auto name = store.meta(kMetaExperiment);
  auto hash = store.meta(kMetaExperimentHash);
  if (name && *name != config.name) {
    throw std::invalid_argument(
        fmt::format("database {} belongs to experiment '{}', not '{}' (from {}); use another --db",
                    db_path, *name, config.name, config.file));
  }
  if (hash && *hash != config.hash()) {
    throw std::invalid_argument(fmt::format(
        "database {} holds experiment '{}' with another configuration (hash {}, {} has {}): the "
        "experiment changed since the sweep began. To go on with the changed file, pass --fork "
        "NEW.db (a new database that records it was forked from this one, which stays as it "
        "is); to continue this database, restore the file",
        db_path, config.name, *hash, config.file, config.hash()));
  }
  if (!name) {
    for (const auto& r : store.runs()) {
      if (r.experiment != config.name) {
        throw std::invalid_argument(fmt::format(
            "database {} holds runs that are not of experiment '{}' (run {} is '{}' {}); use "
            "another --db",
            db_path, config.name, r.id, r.experiment.empty() ? r.kind : r.experiment, r.command));
      }
    }
  }
  if (auto stored = store.meta(kMetaShard); stored && name && *stored != shard_meta(shard)) {
    throw std::invalid_argument(
        fmt::format("database {} holds {} of experiment '{}', but this call runs {}; pass {}",
                    db_path, stored->empty() ? "all runs" : "shard " + *stored, config.name,
                    shard.active() ? "shard " + shard.to_string() : "all runs",
                    stored->empty() ? "no --shard" : "--shard " + *stored));
  }
}

RunRecord pending_run_record(const ExperimentConfig& config, const PlannedRun& run) {
  return pending_record(config, run);
}

bool release_interrupted_run(Store& store, int64_t run_id, int signal) {
  auto r = store.run(run_id);
  if (!r || r->status != RunStatus::kRunning || r->pid != static_cast<int64_t>(getpid()))
    return false;
  store.mark_partial(run_id);
  set_back_to_pending(*r, "interrupted_attempts", stop_error(signal));
  store.update_run(*r);
  return true;
}

SweepSummary run_sweep(const ExperimentConfig& config, const SweepOptions& options,
                       const SweepRunner& runner) {
  // Without an observer, plain lines to options.out (if any).
  std::optional<ProgressPrinter> printer;
  SweepObserver none;
  SweepObserver* observer = options.observer;
  if (!observer && options.out) {
    printer.emplace(*options.out, ProgressPrinter::Style{options.live_line, 0});
    observer = &*printer;
  }
  return SweepEngine(config, options, runner, observer ? *observer : none).run();
}

}  // namespace powertrain
