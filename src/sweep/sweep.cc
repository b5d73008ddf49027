#include "powertrain/sweep/sweep.h"

#include "powertrain/report/carbon.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <random>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "powertrain/predict/prediction_store.h"
#include "powertrain/store/run_roles.h"
#include "powertrain/sweep/progress.h"
#include "util/slurm_env.h"

namespace powertrain {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

double unix_now_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string this_host() {
  char name[256] = {0};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

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

// "setup 7/16": Table 1's number out of its 16; a setup outside it by name.
std::string describe(const PlannedRun& p, int repeats) {
  return fmt::format("setup {}{} (bs {}, lr {:g}) repeat {}/{} {}", p.setup_name,
                     p.setup > 0 ? "/16" : "", p.batch_size, p.learning_rate, p.repeat, repeats,
                     p.role);
}

// Turns SIGINT/SIGTERM into "this run was interrupted" in the store. The
// handler only writes to a pipe; a thread does the SQLite work (on its own
// connection) and ends the process.
class InterruptWatch {
 public:
  InterruptWatch(std::string db_path, std::ostream* out) : db_path_(std::move(db_path)), out_(out) {
    if (pipe(fds_) != 0) throw std::runtime_error("pipe() failed");
    write_fd_.store(fds_[1]);
    struct sigaction action {};
    action.sa_handler = &InterruptWatch::on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
    thread_ = std::thread([this] { watch(); });
  }
  ~InterruptWatch() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    char stop = 0;
    (void)!write(fds_[1], &stop, 1);
    thread_.join();
    write_fd_.store(-1);
    close(fds_[0]);
    close(fds_[1]);
  }
  void set_run(int64_t run_id) { run_id_.store(run_id); }

 private:
  static void on_signal(int sig) {
    int fd = write_fd_.load();
    char c = static_cast<char>(sig);
    if (fd >= 0) (void)!write(fd, &c, 1);
  }
  void watch() {
    char sig = 0;
    while (read(fds_[0], &sig, 1) < 0 && errno == EINTR) {
    }
    if (sig == 0) return;
    const int64_t run_id = run_id_.load();
    try {
      Store store(db_path_);
      auto r = store.run(run_id);
      if (r && r->status == RunStatus::kRunning && r->pid == static_cast<int64_t>(getpid())) {
        store.mark_partial(run_id);
        json cfg = parse_config(*r);
        cfg["interrupted_attempts"].push_back({{"status", "running"},
                                               {"host", r->host},
                                               {"pid", r->pid.value_or(0)},
                                               {"started_at", r->started_at_s.value_or(0)},
                                               {"error", fmt::format("signal {}", int(sig))}});
        r->config_json = cfg.dump();
        r->status = RunStatus::kPending;
        r->pid.reset();
        r->started_at_s.reset();
        store.update_run(*r);
        if (out_) {
          *out_ << fmt::format(
                       "\ninterrupted (signal {}): run {} set back to pending; run the "
                       "same command to continue\n",
                       int(sig), run_id)
                << std::flush;
        }
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "powertrain: error: while stopping: %s\n", e.what());
    }
    std::_Exit(128 + sig);
  }

  static inline std::atomic<int> write_fd_{-1};
  std::string db_path_;
  std::ostream* out_;
  int fds_[2] = {-1, -1};
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
  std::atomic<int64_t> run_id_{0};
  std::thread thread_;
};

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

SweepSummary run_sweep(const ExperimentConfig& config, const SweepOptions& options,
                       const SweepRunner& runner) {
  if (options.db_path.empty()) throw std::invalid_argument("run_sweep: no database path");
  if (!runner && !options.dry_run) throw std::invalid_argument("run_sweep: no runner");
  const auto t0 = std::chrono::steady_clock::now();
  std::ostream* out = options.out;

  // Everything that can be refused is checked before the store is touched.
  check_data_dir(config);
  check_database_identity(config, options.shard, options.db_path);

  std::vector<PlannedRun> plan;
  for (auto& p : expand_plan(config)) {
    if (options.shard.owns_group(p.group)) plan.push_back(std::move(p));
  }
  SweepSummary summary;
  summary.planned = static_cast<int>(plan.size());

  std::error_code ec;
  const bool db_exists = fs::exists(options.db_path, ec);
  std::optional<Store> store_holder;
  std::map<std::string, RunRecord> rows;
  if (db_exists || !options.dry_run) {
    store_holder.emplace(options.db_path);
    for (auto& r : store_holder->runs()) {
      if (r.experiment == config.name) rows[run_key(r)] = std::move(r);
    }
  }

  // What to do with each planned run; a run held by a live process stops the
  // sweep here, before anything is written.
  enum class Action { kSkipFinished, kSkipFailed, kRun, kRerunInterrupted, kRetryFailed };
  std::vector<Action> actions;
  for (const auto& p : plan) {
    auto it = rows.find(p.key());
    if (it == rows.end()) {
      actions.push_back(Action::kRun);
      continue;
    }
    const RunRecord& r = it->second;
    switch (r.status) {
      case RunStatus::kDone:
      case RunStatus::kDiverged:
        actions.push_back(Action::kSkipFinished);
        break;
      case RunStatus::kPending:
        actions.push_back(Action::kRun);
        break;
      case RunStatus::kFailed:
        actions.push_back(options.retry_failed ? Action::kRetryFailed : Action::kSkipFailed);
        break;
      case RunStatus::kRunning: {
        auto dead = run_process_dead(r);
        // A requeued Slurm task may find its own earlier incarnation's run
        // `running` (SIGKILL, node failure), on any node: that process is gone.
        if ((!dead || !*dead) &&
            claimed_by_earlier_incarnation(r.config_json, slurm_env_from_environment())) {
          dead = true;
        }
        if (!dead && !options.takeover) {
          throw std::invalid_argument(fmt::format(
              "run {} ({}) in {} is marked running by process {} on host {}, which cannot be "
              "checked from here; if it is gone, pass --takeover to run it again",
              r.id, p.key(), options.db_path, r.pid.value_or(0), r.host));
        }
        if (dead && !*dead && !options.takeover) {
          throw std::invalid_argument(fmt::format(
              "run {} ({}) in {} is being run by process {} on this host, which is alive: is "
              "another sweep using this database? (--takeover runs it anyway)",
              r.id, p.key(), options.db_path, r.pid.value_or(0)));
        }
        actions.push_back(Action::kRerunInterrupted);
        break;
      }
    }
  }
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (actions[i] == Action::kSkipFinished) ++summary.already_finished;
    if (actions[i] == Action::kSkipFailed) ++summary.skipped_failed;
    if (actions[i] == Action::kRerunInterrupted) ++summary.resumed_interrupted;
  }

  const int setup_count = config.setup_count();
  const uint64_t order_seed = options.order_seed.value_or(static_cast<uint64_t>(config.seed));
  const std::vector<std::size_t> order = run_order(plan, options.fixed_order, order_seed);
  if (options.dry_run) {
    for (std::size_t i : order) {
      const char* why = nullptr;
      switch (actions[i]) {
        case Action::kRun:
          why = "pending";
          break;
        case Action::kRerunInterrupted:
          why = "rerun: its process died";
          break;
        case Action::kRetryFailed:
          why = "retry: failed before";
          break;
        default:
          break;
      }
      if (!why) continue;
      summary.would_run.push_back(plan[i]);
      if (out) {
        *out << fmt::format("would run {} {}, task {} ({})\n", summary.would_run.size(),
                            describe(plan[i], config.repeats), plan[i].task, why);
      }
    }
    if (out) {
      *out << fmt::format(
          "{}: {} runs{}: {} to run, {} finished, {} failed and not retried; {}\n", config.name,
          summary.planned, options.shard.active() ? " in shard " + options.shard.to_string() : "",
          summary.would_run.size(), summary.already_finished, summary.skipped_failed,
          options.fixed_order ? std::string("fixed order")
                              : fmt::format("random order, seed {}", order_seed));
    }
    return summary;
  }

  Store& store = *store_holder;
  // Runs found `running` from a dead process, and failed runs to retry: their
  // rows are kept but marked partial, and the run starts over under its id.
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (actions[i] != Action::kRerunInterrupted && actions[i] != Action::kRetryFailed) continue;
    RunRecord& r = rows[plan[i].key()];
    store.mark_partial(r.id);
    json cfg = parse_config(r);
    json attempt = {{"status", std::string(to_string(r.status))},
                    {"host", r.host},
                    {"pid", r.pid.value_or(0)},
                    {"started_at", r.started_at_s.value_or(0)},
                    {"error", r.error}};
    cfg[actions[i] == Action::kRerunInterrupted ? "interrupted_attempts" : "failed_attempts"]
        .push_back(attempt);
    r.config_json = cfg.dump();
    r.status = RunStatus::kPending;
    r.error = "";
    r.pid.reset();
    r.started_at_s.reset();
    r.ended_at_s.reset();
    store.update_run(r);
    if (out) {
      *out << fmt::format("{} run {} ({}): {}; its rows are kept, marked partial\n",
                          actions[i] == Action::kRerunInterrupted ? "rerunning" : "retrying", r.id,
                          plan[i].key(),
                          actions[i] == Action::kRerunInterrupted
                              ? fmt::format("process {} on {} died during it",
                                            attempt["pid"].get<int64_t>(), r.host)
                              : "failed before: " + attempt["error"].get<std::string>());
    }
  }
  // The experiment's identity and every missing run, as pending, at once.
  store.transaction([&] {
    if (!store.meta(kMetaExperiment)) {
      store.set_meta(kMetaExperiment, config.name);
      store.set_meta(kMetaExperimentHash, config.hash());
      store.set_meta(kMetaExperimentConfig, config.canonical_json());
      store.set_meta(kMetaExperimentFile, config.file);
      store.set_meta(kMetaShard, shard_meta(options.shard));
      if (!options.forked_from.empty()) store.set_meta(kMetaForkedFrom, options.forked_from);
    }
    store.set_meta(kMetaRunOrder, options.fixed_order ? std::string("fixed")
                                                      : fmt::format("random, seed {}", order_seed));
    for (const auto& p : plan) {
      if (rows.count(p.key())) continue;
      RunRecord r = pending_record(config, p);
      r.id = store.add_run(r);
      rows[p.key()] = r;
    }
  });

  // Durations of runs finished before, for the estimate of the time left.
  EtaEstimator eta;
  for (const auto& [key, r] : rows) {
    if (finished(r.status) && r.started_at_s && r.ended_at_s) {
      eta.add(r.role, *r.ended_at_s - *r.started_at_s);
    }
  }
  std::vector<std::size_t> runs_to_do;
  for (std::size_t i : order) {
    if (actions[i] == Action::kRun || actions[i] == Action::kRerunInterrupted ||
        actions[i] == Action::kRetryFailed) {
      runs_to_do.push_back(i);
    }
  }
  if (out) {
    *out << fmt::format(
        "{}: {} runs{} into {}: {} to run, {} finished before{}; {}\n", config.name,
        summary.planned, options.shard.active() ? " in shard " + options.shard.to_string() : "",
        options.db_path, runs_to_do.size(), summary.already_finished,
        summary.skipped_failed
            ? fmt::format(", {} failed (--retry-failed reruns them)", summary.skipped_failed)
            : std::string(),
        options.fixed_order
            ? std::string("fixed order")
            : fmt::format("random order, seed {} (--order fixed keeps the plan's)", order_seed));
  }

  const std::string encoder_dir =
      options.encoder_dir.empty() ? options.db_path + ".encoders" : options.encoder_dir;
  const std::string host = this_host();
  std::optional<InterruptWatch> interrupt_watch;
  if (options.handle_signals) interrupt_watch.emplace(options.db_path, out);
  for (std::size_t t = 0; t < runs_to_do.size(); ++t) {
    if (options.max_runs >= 0 && summary.ran >= options.max_runs) break;
    const PlannedRun& p = plan[runs_to_do[t]];
    RunRecord& r = rows[p.key()];
    json cfg = parse_config(r);

    RunRequest request;
    request.experiment = &config;
    request.plan = p;
    request.run_id = r.id;
    request.store = &store;
    std::string setup_error;
    if (p.saves_encoder) {
      fs::create_directories(encoder_dir, ec);
      if (ec) throw std::runtime_error("cannot create folder " + encoder_dir + ": " + ec.message());
      request.encoder_out =
          fs::absolute(fs::path(encoder_dir) / fmt::format("setup-{}-repeat-{}-run-{}.safetensors",
                                                           p.setup_name, p.repeat, r.id))
              .string();
      cfg["encoder_out"] = request.encoder_out;
    }
    if (p.needs_encoder) {
      // The encoder comes from the autoencoder of the same setup and repeat.
      auto ae = rows.find(
          fmt::format("setup {} repeat {} {}", p.setup_name, p.repeat, roles::kAutoencoder));
      if (ae == rows.end()) {
        setup_error = "no autoencoder run for this setup and repeat";
      } else if (ae->second.status != RunStatus::kDone) {
        setup_error = fmt::format(
            "the autoencoder (run {}) of this setup and repeat ended {}; "
            "there is no encoder to train on",
            ae->second.id, to_string(ae->second.status));
      } else {
        json ae_cfg = parse_config(ae->second);
        request.encoder_in = ae_cfg.value("encoder_out", std::string());
        cfg["encoder_in"] = request.encoder_in;
        cfg["encoder_run_id"] = ae->second.id;
        if (request.encoder_in.empty() || !fs::exists(request.encoder_in, ec)) {
          setup_error = fmt::format("the encoder file of the autoencoder (run {}) is missing: '{}'",
                                    ae->second.id, request.encoder_in);
        }
      }
    }

    // The Slurm job, array task, node and GPUs this run is done in.
    if (auto slurm = slurm_env_from_environment()) cfg["slurm"] = slurm->to_json();

    // Claim the run.
    r.status = RunStatus::kRunning;
    r.host = host;
    r.pid = static_cast<int64_t>(getpid());
    r.started_at_s = unix_now_s();
    r.ended_at_s.reset();
    r.error.clear();
    r.config_json = cfg.dump();
    // Claimed only if still pending, so that two processes started on one
    // database by mistake never run the same run twice.
    bool claimed = false;
    store.transaction([&] {
      auto current = store.run(r.id);
      if (current && current->status == RunStatus::kPending) {
        store.update_run(r);
        claimed = true;
      }
    });
    if (interrupt_watch && claimed) interrupt_watch->set_run(r.id);
    if (!claimed) {
      if (auto current = store.run(r.id)) r = *current;
      if (out) {
        *out << fmt::format("skipping run {} ({}): another process took it ({})\n", r.id, p.key(),
                            to_string(r.status));
      }
      continue;
    }

    const auto run_t0 = std::chrono::steady_clock::now();
    auto elapsed = [&] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - run_t0).count();
    };
    std::vector<std::string> roles_left;
    for (std::size_t k = t; k < runs_to_do.size(); ++k)
      roles_left.push_back(plan[runs_to_do[k]].role);
    const int position = static_cast<int>(t) + 1;
    const int total = static_cast<int>(runs_to_do.size());
    RunProgressFn on_progress = [&](const RunProgress& progress) {
      // Issue 15: each epoch's prediction of the whole run, stored and shown.
      const std::string predicted =
          progress.epoch > 0
              ? predict::predict_for_progress(store, r.id, config.patience, config.min_delta,
                                              config.max_epochs, p.task)
              : "";
      if (!out) return;
      std::string line = format_live_line(p, setup_count, config.repeats, progress, elapsed(),
                                          position, total, eta.remaining_s(roles_left, elapsed()));
      if (!predicted.empty()) line += " | " + predicted;
      if (options.live_line) {
        *out << "\r\033[K" << line << std::flush;
      } else {
        *out << line << "\n" << std::flush;
      }
    };
    on_progress(RunProgress{0, config.max_epochs, {}, {}, "", 0});

    RunOutcome outcome;
    if (!setup_error.empty()) {
      outcome.status = RunStatus::kFailed;
      outcome.error = setup_error;
    } else {
      try {
        outcome = runner(request, on_progress);
      } catch (const std::exception& e) {
        outcome = RunOutcome{};
        outcome.status = RunStatus::kFailed;
        outcome.error = e.what();
      }
    }
    if (outcome.status == RunStatus::kPending || outcome.status == RunStatus::kRunning) {
      outcome.status = RunStatus::kFailed;
      outcome.error = "the runner returned without an end status";
    }
    const double duration_s = elapsed();
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
    store.update_run(r);

    ++summary.ran;
    if (r.status == RunStatus::kDone) ++summary.done;
    if (r.status == RunStatus::kDiverged) ++summary.diverged;
    if (r.status == RunStatus::kFailed) ++summary.failed;
    if (finished(r.status)) eta.add(p.role, duration_s);
    // Epochs and energy as stored, so the line agrees with the database even
    // when the runner threw.
    const auto epochs = store.epochs(r.id);
    double energy_mwh = 0;
    for (const auto& e : epochs) energy_mwh += e.energy_mwh;
    summary.energy_mwh += energy_mwh;
    if (out) {
      std::string result = std::string(to_string(r.status));
      if (!epochs.empty()) result += fmt::format(", {} epochs", epochs.size());
      if (outcome.final_metric) {
        result +=
            fmt::format(", {} {:.4f}", outcome.metric_name.empty() ? "metric" : outcome.metric_name,
                        *outcome.final_metric);
      }
      result += fmt::format(", {:.2f} mWh", energy_mwh);
      if (!r.error.empty()) result += ": " + r.error;
      if (options.live_line) *out << "\r\033[K";
      *out << fmt::format("[{}/{}] {}: {} in {}\n", position, total, describe(p, config.repeats),
                          result, format_duration(duration_s))
           << std::flush;
    }
  }
  summary.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (out) {
    *out << fmt::format(
        "{}: ran {} runs in {} ({} done, {} diverged, {} failed); {} of {} "
        "finished in {}\n",
        config.name, summary.ran, format_duration(summary.duration_s), summary.done,
        summary.diverged, summary.failed,
        summary.already_finished + summary.done + summary.diverged, summary.planned,
        options.db_path);
    if (summary.ran > 0) {
      *out << fmt::format("energy of the epochs of these runs: {}\n",
                          energy_and_carbon(summary.energy_mwh, resolve_carbon({})));
    }
  }
  return summary;
}

}  // namespace powertrain
