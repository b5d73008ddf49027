// The real sweep runner: maps an experiment's run onto a TrainConfig, makes a
// Tracker with the experiment's interval, sensors and PUE, and trains.
#include "powertrain/energy/tracker.h"
#include "powertrain/store/store_sink.h"
#include "powertrain/train/options.h"
#include "powertrain/train/trainer.h"
#include "sweep_runner.h"

namespace powertrain::cli {
namespace {

TrainConfig train_config(const RunRequest& request) {
  TrainConfig t = experiment_train_config(*request.experiment, request.plan);
  if (request.plan.needs_encoder) t.encoder_in = request.encoder_in;
  t.encoder_out = request.encoder_out;
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
    select_training_gpus(tracker_options.sensor_options, tracker_options.sensors, outcome.device);
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
