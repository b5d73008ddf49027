#include "powertrain/predict/prediction_store.h"

#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "store/sqlite_util.h"

namespace powertrain::predict {
namespace {

constexpr const char* kCreate = R"(
CREATE TABLE IF NOT EXISTS predictions(
  run_id INTEGER NOT NULL, epoch INTEGER NOT NULL, method TEXT NOT NULL,
  stop_epoch INTEGER, stop_low INTEGER, stop_high INTEGER,
  energy_mwh REAL, energy_low_mwh REAL, energy_high_mwh REAL,
  duration_s REAL, duration_low_s REAL, duration_high_s REAL,
  baseline_energy_mwh REAL, baseline_duration_s REAL,
  PRIMARY KEY(run_id, epoch)))";

bool has_table(sqlite3* db) {
  sql::Statement q(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name='predictions'");
  return q.step();
}

}  // namespace

StoredPrediction to_stored(int64_t run_id, const Prediction& p) {
  return StoredPrediction{run_id,
                          p.epochs_seen,
                          p.method,
                          p.stop_epoch,
                          p.stop_low,
                          p.stop_high,
                          p.energy_mwh,
                          p.energy_low_mwh,
                          p.energy_high_mwh,
                          p.duration_s,
                          p.duration_low_s,
                          p.duration_high_s,
                          p.baseline_energy_mwh,
                          p.baseline_duration_s};
}

void put_prediction(Store& store, int64_t run_id, const Prediction& p) {
  const StoredPrediction s = to_stored(run_id, p);
  // In the store's transaction (its lock): the tracker's sampler writes
  // through the same connection from another thread.
  store.transaction([&] {
    store.exec(kCreate);
    sql::Statement q(store.handle(),
                     "INSERT OR REPLACE INTO predictions VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    q.bind(1, s.run_id).bind(2, s.epoch).bind(3, s.method).bind(4, s.stop_epoch);
    q.bind(5, s.stop_low).bind(6, s.stop_high).bind(7, s.energy_mwh).bind(8, s.energy_low_mwh);
    q.bind(9, s.energy_high_mwh).bind(10, s.duration_s).bind(11, s.duration_low_s);
    q.bind(12, s.duration_high_s).bind(13, s.baseline_energy_mwh).bind(14, s.baseline_duration_s);
    q.run();
  });
}

std::vector<StoredPrediction> load_predictions(const Store& store, int64_t run_id) {
  std::vector<StoredPrediction> out;
  if (!has_table(store.handle())) return out;
  sql::Statement q(store.handle(), "SELECT * FROM predictions WHERE run_id = ? ORDER BY epoch");
  q.bind(1, run_id);
  while (q.step()) {
    StoredPrediction s;
    s.run_id = q.int64(0);
    s.epoch = static_cast<int>(q.int64(1));
    s.method = q.text(2);
    s.stop_epoch = static_cast<int>(q.int64(3));
    s.stop_low = static_cast<int>(q.int64(4));
    s.stop_high = static_cast<int>(q.int64(5));
    s.energy_mwh = q.real(6);
    s.energy_low_mwh = q.real(7);
    s.energy_high_mwh = q.real(8);
    s.duration_s = q.real(9);
    s.duration_low_s = q.real(10);
    s.duration_high_s = q.real(11);
    s.baseline_energy_mwh = q.real(12);
    s.baseline_duration_s = q.real(13);
    out.push_back(std::move(s));
  }
  return out;
}

bool task_minimises(const std::string& task) { return task == "pamap2-autoencoder"; }

EarlyStoppingRule rule_of_run(const RunRecord& run, const EarlyStoppingRule& fallback) {
  EarlyStoppingRule rule = fallback;
  rule.minimise = task_minimises(run.task);
  try {
    const auto cfg = nlohmann::json::parse(run.config_json.empty() ? "{}" : run.config_json);
    if (!cfg.is_object()) return rule;
    if (cfg.contains("patience")) rule.patience = cfg["patience"].get<int>();
    if (cfg.contains("min_delta")) rule.min_delta = cfg["min_delta"].get<double>();
    if (cfg.contains("max_epochs")) rule.max_epochs = cfg["max_epochs"].get<int>();
  } catch (const nlohmann::json::exception&) {
    // A config that is not ours: the fallback's figures.
  }
  return rule;
}

std::vector<EpochObservation> observations(const std::vector<EpochRecord>& epochs, bool minimise) {
  std::vector<EpochObservation> out;
  for (const auto& e : epochs) {
    const std::optional<double>& score = minimise ? e.val_loss : e.metric;
    if (!score || e.epoch != static_cast<int>(out.size()) + 1) break;
    out.push_back({*score, e.energy_mwh, e.duration_s});
  }
  return out;
}

std::optional<Prediction> predict_and_store(Store& store, int64_t run_id,
                                            const EarlyStoppingRule& rule) {
  const auto seen = observations(store.epochs(run_id), rule.minimise);
  if (seen.empty()) return std::nullopt;
  Prediction p = predict_run(seen, rule);
  put_prediction(store, run_id, p);
  return p;
}

std::string format_prediction(const Prediction& p) {
  if (!p.fitted) {
    return fmt::format("predicted {:.1f} mWh (baseline: {})", p.energy_mwh,
                       p.stop_epoch == p.epochs_seen ? "stopping" : "too few epochs to fit");
  }
  return fmt::format("predicted stop ep {} [{}-{}], {:.1f} mWh [{:.1f}-{:.1f}] (baseline {:.1f})",
                     p.stop_epoch, p.stop_low, p.stop_high, p.energy_mwh, p.energy_low_mwh,
                     p.energy_high_mwh, p.baseline_energy_mwh);
}

}  // namespace powertrain::predict

namespace powertrain::predict {

std::string predict_for_progress(Store& store, int64_t run_id, int patience, double min_delta,
                                 int max_epochs, const std::string& task) {
  try {
    const EarlyStoppingRule rule{patience, min_delta, max_epochs, task_minimises(task)};
    const auto p = predict_and_store(store, run_id, rule);
    if (!p) return "";
    if (p->stop_epoch == p->epochs_seen) return fmt::format("ends here, {:.1f} mWh", p->energy_mwh);
    if (!p->fitted) return fmt::format("pred {:.1f} mWh (baseline: too few epochs)", p->energy_mwh);
    return fmt::format("pred ep {} [{}-{}], {:.1f} mWh [{:.1f}-{:.1f}], baseline {:.1f}",
                       p->stop_epoch, p->stop_low, p->stop_high, p->energy_mwh, p->energy_low_mwh,
                       p->energy_high_mwh, p->baseline_energy_mwh);
  } catch (const std::exception& e) {
    return std::string("no prediction: ") + e.what();
  }
}

}  // namespace powertrain::predict

namespace powertrain::predict {

std::string predictions_status_text(const std::string& db_path) {
  std::error_code ec;
  if (!std::filesystem::exists(db_path, ec)) return "";
  const Store store(db_path, Store::Mode::kReadOnly);
  std::string out;
  for (const auto& r : store.runs()) {
    if (r.status != RunStatus::kRunning) continue;
    const auto stored = load_predictions(store, r.id);
    if (stored.empty()) continue;
    const StoredPrediction& s = stored.back();
    out += fmt::format(
        "  run {} (bs {}, lr {:g}, repeat {}) after epoch {}: predicted stop at epoch {} [{}-{}], "
        "{:.2f} mWh [{:.2f}-{:.2f}], {:.0f} s; baseline {:.2f} mWh ({})\n",
        r.id, r.batch_size.value_or(0), r.learning_rate.value_or(0), r.repeat.value_or(0), s.epoch,
        s.stop_epoch, s.stop_low, s.stop_high, s.energy_mwh, s.energy_low_mwh, s.energy_high_mwh,
        s.duration_s, s.baseline_energy_mwh, s.method);
  }
  return out.empty() ? out : "predictions of running runs (whole run, 80 % interval):\n" + out;
}

}  // namespace powertrain::predict
