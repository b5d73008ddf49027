#include "powertrain/train/trainer.h"

#include <fmt/format.h>
#include <chrono>
#include <cmath>
#include <ctime>
#include <map>
#include <stdexcept>
#include <thread>

#include "batch_loader.h"
#include "device_sync.h"
#include "powertrain/energy/tracker.h"
#include "powertrain/models/safetensors.h"
#include "powertrain/predict/early_stopping.h"
#include "powertrain/store/run_roles.h"
#include "powertrain/store/store.h"
#include "powertrain/train/divergence.h"
#include "powertrain/train/task_model.h"
#include "task_data.h"
#include "train_step.h"

namespace powertrain {

const char* to_string(TrainStatus status) {
  return status == TrainStatus::kDiverged ? "diverged" : "done";
}

std::string resolve_device(const std::string& device) {
  if (device == "cpu") return "cpu";
  if (device == "mps") {
    if (!at::hasMPS()) {
      throw std::invalid_argument(
          "device 'mps': this LibTorch build has no MPS (Apple GPU) support");
    }
    return "mps";
  }
  if (device.rfind("cuda", 0) == 0) {
    int index = 0;
    if (device.size() > 4) {
      const std::string rest = device.substr(4);
      if (rest.size() < 2 || rest[0] != ':' ||
          rest.find_first_not_of("0123456789", 1) != std::string::npos) {
        throw std::invalid_argument("device '" + device + "': expected cuda or cuda:N");
      }
      index = std::stoi(rest.substr(1));
    }
    if (!torch::cuda::is_available()) {
      throw std::invalid_argument("device '" + device +
                                  "': CUDA is not available (LibTorch built without CUDA, or no "
                                  "GPU/driver visible)");
    }
    const int count = static_cast<int>(torch::cuda::device_count());
    if (index >= count) {
      throw std::invalid_argument("device '" + device + "': only " + std::to_string(count) +
                                  " CUDA device(s) visible");
    }
    return "cuda:" + std::to_string(index);
  }
  throw std::invalid_argument("device '" + device + "': unknown; known: cpu, cuda, cuda:N, mps");
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

train::TaskTargets targets_of(const train::Batch& batch) {
  return {batch.inputs, batch.labels, batch.attributes};
}

// A CUDA device's queue: synchronize() waits for every kernel queued on it.
class CudaDevice : public train::DeviceHooks {
 public:
  explicit CudaDevice(const torch::Device& device) : index_(device.index()) {}
  void synchronize() override { torch::cuda::synchronize(index_); }

 private:
  int64_t index_;
};

struct EvalResult {
  double loss = 0;
  double metric = 0;
  bool finite = true;
};

EvalResult evaluate(train::TaskModel& model, const train::SplitTensors& split,
                    const TrainConfig& config, const torch::Device& device,
                    train::AsyncCopier* copier) {
  torch::NoGradGuard no_grad;
  model->eval();
  train::BatchLoaderOptions options;
  options.batch_size = config.batch_size;
  options.shuffle = false;
  options.threaded = config.data.loader_threads > 0;
  options.prefetch = config.data.prefetch_batches;
  options.pin_memory = device.is_cuda();
  options.drop_single = false;
  train::BatchLoader loader(split, options);
  train::DevicePrefetcher batches(loader, device, false, config.batch_size, copier);
  train::MetricSums sums;
  while (auto b = batches.next()) {
    train::AutocastScope amp(config.amp == "bf16");
    train::TaskOutputs outputs = model->forward(b->inputs);
    train::TaskTargets targets = targets_of(*b);
    const double loss =
        train::task_loss(config.task, outputs, targets, config.alpha).item<double>();
    train::accumulate_metric(config.task, outputs, targets, loss, sums);
  }
  EvalResult result;
  result.loss = sums.count > 0 ? sums.loss_sum / sums.count : 0;
  result.metric = train::metric_value(config.task, sums);
  result.finite = std::isfinite(result.loss);
  return result;
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainConfig& c,
                                                        std::vector<torch::Tensor> params) {
  if (c.optimizer == "adam") {
    return std::make_unique<torch::optim::Adam>(
        params, torch::optim::AdamOptions(c.learning_rate).weight_decay(c.weight_decay));
  }
  return std::make_unique<torch::optim::SGD>(
      params,
      torch::optim::SGDOptions(c.learning_rate).momentum(c.momentum).weight_decay(c.weight_decay));
}

// Copies of every parameter and buffer, to restore the best epoch's model.
std::vector<torch::Tensor> snapshot(const models::NamedTensors& state) {
  std::vector<torch::Tensor> out;
  out.reserve(state.size());
  for (const auto& [name, t] : state) out.push_back(t.detach().clone());
  return out;
}

void restore(const models::NamedTensors& state, const std::vector<torch::Tensor>& saved) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < state.size(); ++i) {
    const_cast<torch::Tensor&>(state[i].second).copy_(saved[i]);
  }
}

std::map<std::string, std::string> checkpoint_metadata(const TrainConfig& c,
                                                       const std::string& part, int epoch) {
  return {
      {"format", "powertrain"}, {"task", c.task}, {"part", part}, {"epoch", std::to_string(epoch)}};
}

// Everything one training run holds.
struct Run {
  TrainConfig config;
  torch::Device device{torch::kCPU};
  train::TaskData data;
  train::TaskModel model{nullptr};
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::unique_ptr<train::Stepper> stepper;
  std::unique_ptr<train::AsyncCopier> copier;  // side-stream copies on a GPU; null = none
  models::NamedTensors state;
  double initial_loss = NAN;  // the untrained model's loss on its first batch
};

// Device, seeds, data, model (with its starting weights), optimiser, step.
void prepare(const TrainConfig& requested, Run& run, TrainResult& result) {
  TrainConfig& config = run.config;
  config = requested;
  // celeba-attributes-full trains the attribute model; only its images differ.
  if (config.task == "celeba-attributes-full") config.task = "celeba-attributes";
  run.device = torch::Device(resolve_device(config.device));
  if ((config.cuda_graphs || config.amp != "off") && !run.device.is_cuda()) {
    throw std::invalid_argument("cuda_graphs / amp: device " + run.device.str() +
                                " is not a CUDA device");
  }
  const int threads = config.threads > 0
                          ? config.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads);
  torch::manual_seed(config.seed);
  if (run.device.is_cuda()) torch::cuda::manual_seed_all(config.seed);

  run.data = train::load_task_data(requested);
  run.model = train::TaskModel(config, run.data.shape);
  result.train_samples = run.data.train.size();
  result.val_samples = run.data.val.size();
  result.test_samples = run.data.test.size();
  result.weights = config.encoder_in.empty()
                       ? "random"
                       : (is_pamap2_task(config.task) ? "pretrained encoder (" : "ImageNet (") +
                             config.encoder_in + ")";
  if (!config.encoder_in.empty()) {
    models::LoadStateOptions load;
    // An ImageNet ResNet18 file carries the 1000-class `fc`; the encoder has none.
    if (!is_pamap2_task(config.task)) load.ignore_prefixes = {"fc."};
    models::load_module(config.encoder_in, run.model->encoder(), load);
  }
  run.model->to(run.device);
  run.model->set_encoder_frozen(config.freeze_encoder);
  run.optimizer = make_optimizer(config, run.model->trainable_parameters());
  // On the CPU a non-finite loss stops the epoch at its step (the loss is
  // read anyway); on a GPU reading it would wait for every step.
  run.stepper = config.cuda_graphs ? train::make_graph_stepper(config, run.model, run.device)
                                   : train::make_eager_stepper(config, run.model, *run.optimizer,
                                                               run.device.is_cpu());
  result.step = run.stepper->describe();
  run.copier = train::make_side_stream_copier(run.device);
  run.state = models::state_dict(*run.model);
}

struct EpochRun {
  double loss_sum = 0;
  int64_t seen = 0;
  std::string diverged;
  double wait_s = 0;
  double train_s = 0;
};

// One pass over the training split.
EpochRun train_epoch(Run& run, int epoch) {
  const TrainConfig& config = run.config;
  train::BatchLoaderOptions options;
  options.batch_size = config.batch_size;
  options.shuffle = true;
  options.seed = config.seed * 1000003ULL + static_cast<uint64_t>(epoch);
  options.threaded = config.data.loader_threads > 0;
  options.prefetch = config.data.prefetch_batches;
  options.pin_memory = run.device.is_cuda();
  EpochRun out;
  const auto start = Clock::now();
  const bool on_host = run.device.is_cpu();
  // On a GPU the losses add up on the device and are read once, at the end.
  torch::Tensor device_sum;
  if (!on_host) device_sum = torch::zeros({}, torch::dtype(torch::kFloat64).device(run.device));
  {
    train::BatchLoader loader(run.data.train, options);
    train::DevicePrefetcher batches(loader, run.device, run.stepper->needs_full_batches(),
                                    config.batch_size, run.copier.get());
    int64_t step = 0;
    while (auto b = batches.next()) {
      ++step;
      const torch::Tensor loss = run.stepper->step(*b);
      const auto n = b->size();
      if (epoch == 1 && step == 1) run.initial_loss = loss.item<double>();
      out.seen += n;
      if (!on_host) {
        device_sum.add_(loss.to(torch::kFloat64), static_cast<double>(n));
        continue;
      }
      const double value = loss.item<double>();
      if (!std::isfinite(value)) {
        out.diverged = fmt::format("loss became {} at epoch {}, step {}", value, epoch, step);
        out.seen -= n;
        break;
      }
      out.loss_sum += value * static_cast<double>(n);
    }
    out.wait_s = loader.wait_s();
  }
  if (!on_host) {
    out.loss_sum = device_sum.item<double>();
    if (!std::isfinite(out.loss_sum)) {
      out.diverged = fmt::format("loss became {} in epoch {}", out.loss_sum, epoch);
    }
  }
  out.train_s = seconds_since(start);
  return out;
}

// The early-stopping state.
// The best epoch so far under the early-stopping rule, and its weights.
struct Best {
  explicit Best(const EarlyStoppingRule& rule) : stopping(rule) {}
  EarlyStopping stopping;
  std::vector<torch::Tensor> state;
};

// Records an evaluated epoch; true when it is a new best.
bool update_best(Best& best, const Run& run, int epoch, const EvalResult& val,
                 TrainResult& result) {
  const bool improved = best.stopping.update(best.stopping.rule().minimise ? val.loss : val.metric);
  if (improved) {
    result.best_epoch = epoch;
    result.best_val_loss = val.loss;
    best.state = snapshot(run.state);
  }
  return improved;
}

EpochProgress progress_of(const Run& run, int epoch, const EpochRun& e, const EvalResult& val,
                          bool evaluated, const EpochMetrics& metrics, const EpochEnergy& energy) {
  EpochProgress p;
  p.epoch = epoch;
  p.max_epochs = run.config.max_epochs;
  p.train_loss = metrics.train_loss.value_or(NAN);
  p.val_loss = evaluated ? val.loss : NAN;
  p.metric = evaluated ? val.metric : NAN;
  p.duration_s = energy.duration_s;
  p.samples_per_s = metrics.samples_per_s.value_or(0);
  p.data_wait_share = e.train_s > 0 ? e.wait_s / e.train_s : 0;
  p.energy_mwh = energy.energy_mwh;
  return p;
}

// The best model on the test split (or its validation figure), the
// autoencoder's rule 3, and the checkpoints.
void finish(Run& run, const Best& best, TrainResult& result) {
  const TrainConfig& config = run.config;
  if (result.status != TrainStatus::kDone || best.state.empty()) return;
  restore(run.state, best.state);
  const bool on_test = config.test_after && run.data.test.size() > 0;
  if (on_test) {
    result.final_metric =
        evaluate(run.model, run.data.test, config, run.device, run.copier.get()).metric;
  } else {
    result.final_metric =
        best.stopping.rule().minimise ? *result.best_val_loss : best.stopping.best();
  }
  // An autoencoder that reconstructs worse than predicting each channel's
  // training mean learned nothing: diverged (divergence.h rule 3).
  const train::SplitTensors& judged = on_test ? run.data.test : run.data.val;
  if (config.task == "pamap2-autoencoder" && result.final_metric && judged.inputs.defined() &&
      run.data.train.inputs.defined() && judged.inputs.dim() == 3) {
    torch::NoGradGuard no_grad;
    const torch::Tensor mean =
        run.data.train.inputs.mean(std::vector<int64_t>{0, 2}, /*keepdim=*/true);
    const double mean_mse = (judged.inputs - mean).pow(2).mean().item<double>();
    const std::string why = reconstruction_divergence(*result.final_metric, mean_mse);
    if (!why.empty()) {
      result.status = TrainStatus::kDiverged;
      result.error = why;
      return;
    }
  }
  if (!config.encoder_out.empty()) {
    models::save_module(config.encoder_out, run.model->encoder(),
                        checkpoint_metadata(config, "encoder", result.best_epoch));
  }
  if (!config.checkpoint_out.empty()) {
    models::save_module(config.checkpoint_out, *run.model,
                        checkpoint_metadata(config, "model", result.best_epoch));
  }
}

// One epoch, marked on the tracker: train, validate, end. Returns its
// metrics and energy; `val` is set when it was evaluated.
EpochEnergy run_epoch(Run& run, int epoch, train::SynchronisingMarks& marks, EpochRun& e,
                      EvalResult& val, bool& evaluated, EpochMetrics& metrics) {
  marks.begin_epoch(epoch);
  run.model->train();
  e = train_epoch(run, epoch);
  if (e.diverged.empty()) {
    marks.set_phase(Phase::kValidate);
    val = evaluate(run.model, run.data.val, run.config, run.device, run.copier.get());
    if (!val.finite) {
      e.diverged = fmt::format("validation loss became {} at epoch {}", val.loss, epoch);
    }
  }
  // One row per epoch, written by the tracker with these figures beside
  // the energy; its duration is time(k) of equation 1.
  evaluated = e.diverged.empty();
  if (e.seen > 0) metrics.train_loss = e.loss_sum / static_cast<double>(e.seen);
  // A mean loss above k x the untrained model's: the run blew up while
  // staying finite (divergence.h).
  if (e.diverged.empty() && metrics.train_loss) {
    e.diverged = loss_divergence(epoch, *metrics.train_loss, run.initial_loss);
  }
  if (evaluated) {
    metrics.val_loss = val.loss;
    metrics.metric = val.metric;
  }
  if (e.seen > 0 && e.train_s > 0) {
    metrics.samples_per_s = static_cast<double>(e.seen) / e.train_s;
  }
  return marks.end_epoch(metrics);
}

}  // namespace

TrainResult run_training(const TrainConfig& requested, Tracker& tracker, Store* store,
                         int64_t run_id, const ProgressFn& progress) {
  return run_training(requested, tracker, store, run_id, progress, nullptr);
}

TrainResult run_training(const TrainConfig& requested, Tracker& tracker, Store* /*store*/,
                         int64_t /*run_id*/, const ProgressFn& progress,
                         train::DeviceHooks* device_hooks) {
  validate(requested);
  Run run;
  TrainResult result;
  prepare(requested, run, result);
  // Every boundary is marked after the device has finished the work before it.
  train::HostDevice host;
  std::unique_ptr<train::DeviceHooks> cuda;
  if (!device_hooks && run.device.is_cuda()) cuda = std::make_unique<CudaDevice>(run.device);
  train::DeviceHooks& device = device_hooks ? *device_hooks : cuda ? *cuda : host;
  train::TrackerMarks tracker_marks(tracker);
  train::SynchronisingMarks marks(device, tracker_marks);

  Best best({run.config.patience, run.config.min_delta, run.config.max_epochs,
             train::stops_on_loss(run.config.task)});
  result.metric_name = train::metric_name(run.config.task);
  double total_wait_s = 0, total_step_s = 0;
  for (int epoch = 1; epoch <= run.config.max_epochs; ++epoch) {
    EpochRun e;
    EvalResult val;
    bool evaluated = false;
    EpochMetrics metrics;
    const EpochEnergy energy = run_epoch(run, epoch, marks, e, val, evaluated, metrics);
    total_wait_s += e.wait_s;
    total_step_s += e.train_s;
    result.epochs_run = epoch;
    result.total_energy_mwh += energy.energy_mwh;
    result.total_duration_s += energy.duration_s;
    const bool improved = e.diverged.empty() && update_best(best, run, epoch, val, result);
    if (progress) {
      EpochProgress p = progress_of(run, epoch, e, val, evaluated, metrics, energy);
      p.metric_name = result.metric_name;
      p.total_energy_mwh = result.total_energy_mwh;
      p.improved = improved;
      progress(p);
    }
    if (!e.diverged.empty()) {
      result.status = TrainStatus::kDiverged;
      result.error = e.diverged;
      break;
    }
    if (best.stopping.stopped_early()) {
      result.early_stopped = true;
      break;
    }
  }
  result.data_wait_share = total_step_s > 0 ? total_wait_s / total_step_s : 0;
  finish(run, best, result);
  return result;
}

}  // namespace powertrain
