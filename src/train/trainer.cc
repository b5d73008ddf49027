#include "powertrain/train/trainer.h"

#include <fmt/format.h>
#include <chrono>
#include <cmath>
#include <ctime>
#include <map>
#include <stdexcept>
#include <thread>

#include "batch_loader.h"
#include "powertrain/energy/tracker.h"
#include "powertrain/models/safetensors.h"
#include "powertrain/predict/early_stopping.h"
#include "powertrain/store/store.h"
#include "powertrain/train/divergence.h"
#include "powertrain/train/task_model.h"
#include "task_data.h"

namespace powertrain {

std::vector<std::string> train_task_names() {
  return {"pamap2",
          "pamap2-autoencoder",
          "pamap2-classifier",
          "celeba-identity",
          "celeba-attributes",
          "celeba-multitask",
          "celeba-attributes-full"};
}

bool is_pamap2_task(const std::string& task) { return task.rfind("pamap2", 0) == 0; }

const char* to_string(TrainStatus status) {
  return status == TrainStatus::kDiverged ? "diverged" : "done";
}

namespace {

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

[[noreturn]] void bad(const std::string& setting, const std::string& value,
                      const std::string& why) {
  throw std::invalid_argument("training setting " + setting + " = " + value + ": " + why);
}

}  // namespace

void validate(const TrainConfig& c) {
  const auto tasks = train_task_names();
  if (std::find(tasks.begin(), tasks.end(), c.task) == tasks.end()) {
    bad("task", "'" + c.task + "'", "unknown task; known: " + join(tasks));
  }
  if (c.optimizer != "sgd" && c.optimizer != "adam") {
    bad("optimizer", "'" + c.optimizer + "'", "unknown optimiser; known: sgd, adam");
  }
  if (c.batch_size < 1) bad("batch_size", std::to_string(c.batch_size), "must be at least 1");
  if (!(c.learning_rate > 0) || !std::isfinite(c.learning_rate)) {
    bad("learning_rate", fmt::format("{}", c.learning_rate), "must be a positive number");
  }
  if (!(c.momentum >= 0 && c.momentum < 1))
    bad("momentum", fmt::format("{}", c.momentum), "must be in [0, 1)");
  if (!(c.weight_decay >= 0))
    bad("weight_decay", fmt::format("{}", c.weight_decay), "must be >= 0");
  if (!(c.alpha >= 0 && c.alpha <= 1))
    bad("alpha", fmt::format("{}", c.alpha), "must be in [0, 1]");
  if (c.max_epochs < 1) bad("max_epochs", std::to_string(c.max_epochs), "must be at least 1");
  if (c.patience < 0) bad("patience", std::to_string(c.patience), "must be >= 0");
  if (!(c.min_delta >= 0)) bad("min_delta", fmt::format("{}", c.min_delta), "must be >= 0");
  if (c.threads < 0) bad("threads", std::to_string(c.threads), "must be >= 0");
  if (c.freeze_encoder && c.encoder_in.empty()) {
    bad("freeze_encoder", "true", "a frozen encoder needs an encoder checkpoint to load");
  }
  if (c.freeze_encoder && c.task == "pamap2-autoencoder") {
    bad("freeze_encoder", "true", "the autoencoder trains its encoder");
  }
  const auto& d = c.data;
  if (is_pamap2_task(c.task)) {
    if (d.window_length < 2) bad("window_length", std::to_string(d.window_length), "must be >= 2");
    if (d.window_stride < 1 || d.window_stride > d.window_length) {
      bad("window_stride", std::to_string(d.window_stride), "must be in [1, window_length]");
    }
    if (d.downsample < 1) bad("downsample", std::to_string(d.downsample), "must be >= 1");
    if (c.model.conv_channels.empty() ||
        c.model.conv_channels.size() != c.model.conv_kernels.size()) {
      bad("conv_channels", std::to_string(c.model.conv_channels.size()) + " blocks",
          "needs one kernel size per block (" + std::to_string(c.model.conv_kernels.size()) + ")");
    }
  } else {
    if (d.image_size < 32)
      bad("image_size", std::to_string(d.image_size), "must be >= 32 for ResNet18");
    if (d.identities < 2) bad("identities", std::to_string(d.identities), "must be >= 2");
    if (!(d.val_fraction > 0 && d.test_fraction >= 0 && d.val_fraction + d.test_fraction < 1)) {
      bad("val_fraction", fmt::format("{} (test {})", d.val_fraction, d.test_fraction),
          "fractions must leave training data");
    }
  }
  if (c.data_dir.empty() &&
      (d.synthetic_train < 2 || d.synthetic_val < 1 || d.synthetic_test < 0)) {
    bad("synthetic_train", std::to_string(d.synthetic_train), "generated splits are too small");
  }
  if (d.loader_threads < 0 || d.prefetch_batches < 1) {
    bad("loader_threads", std::to_string(d.loader_threads),
        "must be >= 0 with prefetch_batches >= 1");
  }
  if (!(c.model.dropout >= 0 && c.model.dropout < 1)) {
    bad("dropout", fmt::format("{}", c.model.dropout), "must be in [0, 1)");
  }
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

train::Batch to_device(const train::Batch& batch, const torch::Device& device) {
  if (device.is_cpu()) return batch;
  train::Batch out;
  out.inputs = batch.inputs.to(device, /*non_blocking=*/true);
  if (batch.labels.defined()) out.labels = batch.labels.to(device, true);
  if (batch.attributes.defined()) out.attributes = batch.attributes.to(device, true);
  return out;
}

struct EvalResult {
  double loss = 0;
  double metric = 0;
  bool finite = true;
};

EvalResult evaluate(train::TaskModel& model, const train::SplitTensors& split,
                    const TrainConfig& config, const torch::Device& device) {
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
  train::MetricSums sums;
  while (auto batch = loader.next()) {
    train::Batch b = to_device(*batch, device);
    train::TaskOutputs outputs = model->forward(b.inputs);
    train::TaskTargets targets = targets_of(b);
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

}  // namespace

TrainResult run_training(const TrainConfig& requested, Tracker& tracker, Store* /*store*/,
                         int64_t /*run_id*/, const ProgressFn& progress) {
  validate(requested);
  // celeba-attributes-full trains the attribute model; only its images differ.
  TrainConfig config = requested;
  if (config.task == "celeba-attributes-full") config.task = "celeba-attributes";
  const torch::Device device(resolve_device(config.device));
  const int threads = config.threads > 0
                          ? config.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads);
  torch::manual_seed(config.seed);
  if (device.is_cuda()) torch::cuda::manual_seed_all(config.seed);

  train::TaskData data = train::load_task_data(requested);
  train::TaskModel model(config, data.shape);
  TrainResult result;
  result.train_samples = data.train.size();
  result.val_samples = data.val.size();
  result.test_samples = data.test.size();
  result.weights = config.encoder_in.empty()
                       ? "random"
                       : (is_pamap2_task(config.task) ? "pretrained encoder (" : "ImageNet (") +
                             config.encoder_in + ")";
  if (!config.encoder_in.empty()) {
    models::LoadStateOptions load;
    // An ImageNet ResNet18 file carries the 1000-class `fc`; the encoder has none.
    if (!is_pamap2_task(config.task)) load.ignore_prefixes = {"fc."};
    models::load_module(config.encoder_in, model->encoder(), load);
  }
  model->to(device);
  model->set_encoder_frozen(config.freeze_encoder);
  auto optimizer = make_optimizer(config, model->trainable_parameters());
  const models::NamedTensors state = models::state_dict(*model);

  const bool on_loss = train::stops_on_loss(config.task);
  result.metric_name = train::metric_name(config.task);
  EarlyStopping stopping({config.patience, config.min_delta, config.max_epochs, on_loss});
  std::vector<torch::Tensor> best_state;
  double total_wait_s = 0, total_step_s = 0;
  double initial_loss = NAN;  // the untrained model's loss on its first batch

  for (int epoch = 1; epoch <= config.max_epochs; ++epoch) {
    tracker.begin_epoch(epoch);
    model->train();
    train::BatchLoaderOptions options;
    options.batch_size = config.batch_size;
    options.shuffle = true;
    options.seed = config.seed * 1000003ULL + static_cast<uint64_t>(epoch);
    options.threaded = config.data.loader_threads > 0;
    options.prefetch = config.data.prefetch_batches;
    options.pin_memory = device.is_cuda();
    double loss_sum = 0;
    int64_t seen = 0;
    std::string diverged;
    const auto train_start = Clock::now();
    double wait_s = 0;
    {
      train::BatchLoader loader(data.train, options);
      int64_t step = 0;
      while (auto batch = loader.next()) {
        ++step;
        train::Batch b = to_device(*batch, device);
        // Gradients set to none rather than zeroed: autograd then writes the
        // new gradient in place of a memset plus an add.
        for (auto& group : optimizer->param_groups()) {
          for (auto& p : group.params()) p.mutable_grad() = torch::Tensor();
        }
        train::TaskOutputs outputs = model->forward(b.inputs);
        torch::Tensor loss = train::task_loss(config.task, outputs, targets_of(b), config.alpha);
        const double value = loss.item<double>();
        if (epoch == 1 && step == 1) initial_loss = value;
        if (!std::isfinite(value)) {
          diverged = fmt::format("loss became {} at epoch {}, step {}", value, epoch, step);
          break;
        }
        loss.backward();
        optimizer->step();
        loss_sum += value * static_cast<double>(b.size());
        seen += b.size();
      }
      wait_s = loader.wait_s();
    }
    const double train_s = seconds_since(train_start);
    total_wait_s += wait_s;
    total_step_s += train_s;

    EvalResult val;
    if (diverged.empty()) {
      tracker.set_phase(Phase::kValidate);
      val = evaluate(model, data.val, config, device);
      if (!val.finite)
        diverged = fmt::format("validation loss became {} at epoch {}", val.loss, epoch);
    }
    // One row per epoch, written by the tracker with these figures beside
    // the energy; its duration is time(k) of equation 1.
    EpochMetrics metrics;
    const bool evaluated = diverged.empty();
    if (seen > 0) metrics.train_loss = loss_sum / static_cast<double>(seen);
    // A mean loss above k x the untrained model's: the run blew up while
    // staying finite (divergence.h).
    if (diverged.empty() && metrics.train_loss) {
      diverged = loss_divergence(epoch, *metrics.train_loss, initial_loss);
    }
    if (evaluated) {
      metrics.val_loss = val.loss;
      metrics.metric = val.metric;
    }
    if (seen > 0 && train_s > 0) metrics.samples_per_s = static_cast<double>(seen) / train_s;
    const EpochEnergy energy = tracker.end_epoch(metrics);
    const double duration_s = energy.duration_s;

    result.epochs_run = epoch;
    result.total_energy_mwh += energy.energy_mwh;
    result.total_duration_s += duration_s;

    bool improved = false;
    if (diverged.empty()) {
      improved = stopping.update(on_loss ? val.loss : val.metric);
      if (improved) {
        result.best_epoch = epoch;
        result.best_val_loss = val.loss;
        best_state = snapshot(state);
      }
    }
    if (progress) {
      EpochProgress p;
      p.epoch = epoch;
      p.max_epochs = config.max_epochs;
      p.train_loss = metrics.train_loss.value_or(NAN);
      p.val_loss = evaluated ? val.loss : NAN;
      p.metric = evaluated ? val.metric : NAN;
      p.metric_name = result.metric_name;
      p.duration_s = duration_s;
      p.samples_per_s = metrics.samples_per_s.value_or(0);
      p.data_wait_share = train_s > 0 ? wait_s / train_s : 0;
      p.energy_mwh = energy.energy_mwh;
      p.total_energy_mwh = result.total_energy_mwh;
      p.improved = improved;
      progress(p);
    }
    if (!diverged.empty()) {
      result.status = TrainStatus::kDiverged;
      result.error = diverged;
      break;
    }
    if (stopping.stopped_early()) {
      result.early_stopped = true;
      break;
    }
  }
  result.data_wait_share = total_step_s > 0 ? total_wait_s / total_step_s : 0;

  if (result.status == TrainStatus::kDone && !best_state.empty()) {
    restore(state, best_state);
    const bool on_test = config.test_after && data.test.size() > 0;
    if (on_test) {
      result.final_metric = evaluate(model, data.test, config, device).metric;
    } else {
      result.final_metric = on_loss ? *result.best_val_loss : stopping.best();
    }
    // An autoencoder that reconstructs worse than predicting each channel's
    // training mean learned nothing: diverged (divergence.h rule 3).
    const train::SplitTensors& judged = on_test ? data.test : data.val;
    if (config.task == "pamap2-autoencoder" && result.final_metric && judged.inputs.defined() &&
        data.train.inputs.defined() && judged.inputs.dim() == 3) {
      torch::NoGradGuard no_grad;
      const torch::Tensor mean =
          data.train.inputs.mean(std::vector<int64_t>{0, 2}, /*keepdim=*/true);
      const double mean_mse = (judged.inputs - mean).pow(2).mean().item<double>();
      const std::string why = reconstruction_divergence(*result.final_metric, mean_mse);
      if (!why.empty()) {
        result.status = TrainStatus::kDiverged;
        result.error = why;
      }
    }
  }
  if (result.status == TrainStatus::kDone && !best_state.empty()) {
    if (!config.encoder_out.empty()) {
      models::save_module(config.encoder_out, model->encoder(),
                          checkpoint_metadata(config, "encoder", result.best_epoch));
    }
    if (!config.checkpoint_out.empty()) {
      models::save_module(config.checkpoint_out, *model,
                          checkpoint_metadata(config, "model", result.best_epoch));
    }
  }
  return result;
}

}  // namespace powertrain
