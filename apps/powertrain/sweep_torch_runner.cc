// The real sweep runner: maps an experiment's run onto a TrainConfig, makes a
// Tracker with the experiment's interval, sensors and PUE, and trains.
#include <nlohmann/json.hpp>

#include "powertrain/energy/tracker.h"
#include "powertrain/store/store_sink.h"
#include "powertrain/train/trainer.h"
#include "sweep_runner.h"

namespace powertrain::cli {
namespace {

using nlohmann::json;

template <typename T>
void take(const json& j, const char* key, T& out) {
  if (j.contains(key)) out = j.at(key).get<T>();
}

TrainConfig train_config(const RunRequest& request) {
  const ExperimentConfig& c = *request.experiment;
  const PlannedRun& p = request.plan;
  TrainConfig t;
  t.task = p.task;
  t.data_dir = c.data_dir == kGeneratedData ? "" : c.data_dir;
  const json data = json::parse(c.dataset_options_json);
  take(data, "window_length", t.data.window_length);
  take(data, "window_stride", t.data.window_stride);
  take(data, "downsample", t.data.downsample);
  take(data, "val_subjects", t.data.val_subjects);
  take(data, "test_subjects", t.data.test_subjects);
  take(data, "drop_subjects", t.data.drop_subjects);
  take(data, "image_size", t.data.image_size);
  take(data, "identities", t.data.identities);
  take(data, "val_fraction", t.data.val_fraction);
  take(data, "test_fraction", t.data.test_fraction);
  take(data, "max_images", t.data.max_images);
  take(data, "synthetic_train", t.data.synthetic_train);
  take(data, "synthetic_val", t.data.synthetic_val);
  take(data, "synthetic_test", t.data.synthetic_test);
  take(data, "loader_threads", t.data.loader_threads);
  take(data, "prefetch_batches", t.data.prefetch_batches);
  const json model = json::parse(c.model_options_json);
  take(model, "conv_channels", t.model.conv_channels);
  take(model, "conv_kernels", t.model.conv_kernels);
  take(model, "dropout", t.model.dropout);
  take(model, "hidden_units", t.model.hidden_units);
  // ImageNet weights for the CelebA ResNet18 (the study's starting point).
  if (!is_pamap2_task(p.task)) take(model, "pretrained", t.encoder_in);
  if (p.needs_encoder) t.encoder_in = request.encoder_in;
  t.encoder_out = request.encoder_out;
  t.freeze_encoder = p.freeze_encoder;
  t.alpha = p.alpha.value_or(c.alpha);
  t.optimizer = c.optimizer;
  t.momentum = c.momentum;
  t.batch_size = p.batch_size;
  t.learning_rate = p.learning_rate;
  t.weight_decay = c.weight_decay;
  t.max_epochs = c.max_epochs;
  t.patience = c.patience;
  t.min_delta = c.min_delta;
  t.seed = static_cast<uint64_t>(p.seed);
  t.threads = c.threads;
  t.device = c.device;
  return t;
}

}  // namespace

SweepRunner make_training_runner() {
  return [](const RunRequest& request, const RunProgressFn& progress) {
    TrainConfig config = train_config(request);
    validate(config);
    RunOutcome outcome;
    outcome.device = resolve_device(config.device);
    const ExperimentConfig& c = *request.experiment;
    TrackerOptions tracker_options;
    tracker_options.interval_s = c.interval_s;
    tracker_options.pue = c.pue;
    tracker_options.sensors = c.sensors;
    tracker_options.sensor_options.interval_s = c.interval_s;
    Tracker tracker(tracker_options, request.store ? make_store_sink(*request.store) : nullptr,
                    request.run_id);
    outcome.sensors = tracker.sensor_summary();
    tracker.start();
    TrainResult result =
        run_training(config, tracker, request.store, request.run_id, [&](const EpochProgress& e) {
          if (progress) {
            progress(RunProgress{e.epoch, e.max_epochs, e.train_loss, e.metric, e.metric_name,
                                 e.total_energy_mwh});
          }
        });
    tracker.stop();
    outcome.status =
        result.status == TrainStatus::kDiverged ? RunStatus::kDiverged : RunStatus::kDone;
    outcome.error = result.error;
    outcome.final_metric = result.final_metric;
    outcome.metric_name = result.metric_name;
    outcome.epochs_run = result.epochs_run;
    outcome.energy_mwh = result.total_energy_mwh;
    outcome.train_samples = result.train_samples;
    outcome.val_samples = result.val_samples;
    outcome.test_samples = result.test_samples;
    outcome.weights = result.weights;
    return outcome;
  };
}

}  // namespace powertrain::cli
