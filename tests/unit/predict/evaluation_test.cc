// The report's evaluation of predictions on a stored run with a known curve:
// y(t) = 0.9 - 0.5 exp(-0.5 (t - 1)) under patience 3, min delta 0.01 stops
// at epoch 12 (hand computation in predict_test.cc); 10 mWh per epoch, so
// the run measured 120 mWh, and the baseline (50 planned epochs) says 500.
#include "powertrain/predict/evaluation.h"

#include <cmath>
#include <filesystem>
#include <random>

#include <gtest/gtest.h>

#include "powertrain/predict/prediction_store.h"

namespace powertrain::predict {
namespace {

class TempDb {
 public:
  TempDb() {
    std::random_device rd;
    path_ = (std::filesystem::temp_directory_path() /
             ("powertrain-eval-" + std::to_string(rd()) + ".db"))
                .string();
  }
  ~TempDb() {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

int64_t add_known_run(Store& store) {
  RunRecord r;
  r.kind = "train";
  r.task = "pamap2";
  r.role = "classifier";
  r.setup = 7;
  r.batch_size = 256;
  r.learning_rate = 0.001;
  r.repeat = 1;
  r.status = RunStatus::kDone;
  r.config_json = R"({"patience": 3, "min_delta": 0.01, "max_epochs": 50})";
  const int64_t id = store.add_run(r);
  for (int t = 1; t <= 12; ++t) {
    EpochRecord e;
    e.run_id = id;
    e.epoch = t;
    e.duration_s = 2;
    e.metric = 0.9 - 0.5 * std::exp(-0.5 * (t - 1));
    e.energy_mwh = 10;
    e.source = EnergySource::kModelled;
    store.put_epoch(e);
  }
  return id;
}

TEST(Evaluation, ErrorsOfAKnownRunAgainstItsMeasuredTotal) {
  TempDb db;
  {
    Store store(db.path());
    add_known_run(store);
  }
  const PredictionEvaluation e = evaluate_predictions({db.path()});
  ASSERT_EQ(e.runs.size(), 1u);
  const RunEvaluation& r = e.runs[0];
  EXPECT_EQ(r.epochs, 12);
  EXPECT_NEAR(r.measured_mwh, 120.0, 1e-9);
  EXPECT_FALSE(r.stored);  // no predictions table: recomputed from the epochs
  ASSERT_EQ(r.errors.size(), 4u);
  const double baseline = (500.0 - 120.0) / 120.0;
  // After 1 epoch: no fit, ours is the baseline.
  EXPECT_EQ(r.errors[0].label, "1 epoch");
  EXPECT_NEAR(r.errors[0].ours, baseline, 1e-9);
  EXPECT_NEAR(r.errors[0].baseline, baseline, 1e-9);
  // After 3 and 5 epochs the exact curve gives the stop at 12: no error.
  EXPECT_EQ(r.errors[1].label, "3 epochs");
  EXPECT_NEAR(r.errors[1].ours, 0.0, 1e-9);
  EXPECT_NEAR(r.errors[1].baseline, baseline, 1e-9);
  EXPECT_NEAR(r.errors[2].ours, 0.0, 1e-9);
  // 10 % of 12 epochs: 2 (rounded up), too few to fit.
  EXPECT_EQ(r.errors[3].label, "10 %");
  EXPECT_EQ(r.errors[3].epoch, 2);
  EXPECT_NEAR(r.errors[3].ours, baseline, 1e-9);
  ASSERT_FALSE(e.summary.empty());
  EXPECT_EQ(e.summary[0].setup, "all");
  EXPECT_EQ(e.energy_sources, "modelled");
}

TEST(Evaluation, StoredPredictionsAreUsedAndTheTableIsOptional) {
  TempDb db;
  {
    Store store(db.path());
    const int64_t id = add_known_run(store);
    EXPECT_TRUE(load_predictions(store, id).empty());  // no table yet: no rows, no error
    Prediction p;
    p.epochs_seen = 3;
    p.method = "stand-in";
    p.energy_mwh = 150;          // +25 %
    p.baseline_energy_mwh = 60;  // -50 %
    put_prediction(store, id, p);
    ASSERT_EQ(load_predictions(store, id).size(), 1u);
  }
  const PredictionEvaluation e = evaluate_predictions({db.path()});
  ASSERT_EQ(e.runs.size(), 1u);
  EXPECT_NEAR(e.runs[0].errors[1].ours, 0.25, 1e-9);
  EXPECT_NEAR(e.runs[0].errors[1].baseline, -0.5, 1e-9);
}

}  // namespace
}  // namespace powertrain::predict
