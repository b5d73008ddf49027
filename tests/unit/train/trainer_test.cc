#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "fake_sensor.h"
#include "powertrain/data/celeba.h"
#include "powertrain/data/synth.h"
#include "powertrain/models/resnet.h"
#include "powertrain/models/safetensors.h"
#include "powertrain/store/store.h"
#include "powertrain/train/trainer.h"
#include "train/task_data.h"

namespace powertrain {
namespace {

namespace fs = std::filesystem;

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("pt_trainer_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Small and fast: 2 threads, few samples, short windows, small images.
  static TrainConfig small(const std::string& task) {
    TrainConfig c;
    c.task = task;
    c.threads = 2;
    c.batch_size = 32;
    c.optimizer = "adam";
    c.learning_rate = 1e-3;
    c.max_epochs = 3;
    c.patience = 0;
    c.data.window_length = 64;
    c.data.window_stride = 32;
    c.data.synthetic_train = 384;
    c.data.synthetic_val = 128;
    c.data.synthetic_test = 128;
    c.data.image_size = 32;
    c.data.identities = 4;
    c.model.conv_channels = {16, 16, 16};
    c.model.hidden_units = 32;
    return c;
  }

  TrainResult train(const TrainConfig& config, std::vector<EpochProgress>* epochs = nullptr) {
    auto tracker = testing::make_test_tracker();
    TrainResult result = run_training(config, *tracker, nullptr, 0, [&](const EpochProgress& p) {
      if (epochs) epochs->push_back(p);
    });
    tracker->stop();
    return result;
  }

  fs::path dir_;
};

TEST_F(TrainerTest, ValidateRejectsBadSettings) {
  TrainConfig ok = small("pamap2");
  EXPECT_NO_THROW(validate(ok));
  auto rejects = [&](auto change, const std::string& fragment) {
    TrainConfig c = ok;
    change(c);
    try {
      validate(c);
      ADD_FAILURE() << "accepted: " << fragment;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  rejects([](TrainConfig& c) { c.batch_size = 0; }, "batch_size = 0");
  rejects([](TrainConfig& c) { c.learning_rate = 0; }, "learning_rate = 0");
  rejects([](TrainConfig& c) { c.learning_rate = -0.1; }, "learning_rate = -0.1");
  rejects([](TrainConfig& c) { c.task = "mnist"; }, "unknown task 'mnist' (known: pamap2,");
  rejects([](TrainConfig& c) { c.optimizer = "rmsprop"; }, "known: adam, sgd");
  rejects([](TrainConfig& c) { c.alpha = 1.5; }, "alpha = 1.5");
  rejects([](TrainConfig& c) { c.max_epochs = 0; }, "max_epochs");
  rejects([](TrainConfig& c) { c.freeze_encoder = true; }, "needs an encoder checkpoint");
}

TEST_F(TrainerTest, DevicesAreCheckedClearly) {
  EXPECT_EQ(resolve_device("cpu"), "cpu");
  EXPECT_THROW(resolve_device("tpu"), std::invalid_argument);
  EXPECT_THROW(resolve_device("cuda:x"), std::invalid_argument);
  if (!torch::cuda::is_available()) {
    try {
      resolve_device("cuda");
      ADD_FAILURE() << "cuda accepted without CUDA";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("CUDA is not available"), std::string::npos);
    }
  } else {
    EXPECT_EQ(resolve_device("cuda"), "cuda:0");
    EXPECT_THROW(resolve_device("cuda:999"), std::invalid_argument);
  }
  if (!at::hasMPS()) {
    EXPECT_THROW(resolve_device("mps"), std::invalid_argument);
  }
}

TEST_F(TrainerTest, CnnBeatsChanceOnGeneratedPamap2) {
  TrainResult result = train(small("pamap2"));
  EXPECT_EQ(result.status, TrainStatus::kDone);
  EXPECT_EQ(result.epochs_run, 3);
  ASSERT_TRUE(result.final_metric.has_value());
  EXPECT_EQ(result.metric_name, "accuracy");
  // 12 classes: chance is 1/12; three short epochs reach about 0.45.
  EXPECT_GT(*result.final_metric, 0.3);
}

TEST_F(TrainerTest, AutoencoderReconstructionLossFalls) {
  std::vector<EpochProgress> epochs;
  TrainResult result = train(small("pamap2-autoencoder"), &epochs);
  ASSERT_EQ(epochs.size(), 3u);
  EXPECT_LT(epochs.back().train_loss, epochs.front().train_loss);
  EXPECT_LT(epochs.back().val_loss, epochs.front().val_loss);
  EXPECT_EQ(result.metric_name, "mse");
}

TEST_F(TrainerTest, EarlyStoppingStopsAfterPatience) {
  TrainConfig c = small("pamap2");
  c.max_epochs = 10;
  c.patience = 2;
  c.min_delta = 2.0;  // accuracy can never improve by 2: only epoch 1 counts as best
  std::vector<EpochProgress> epochs;
  TrainResult result = train(c, &epochs);
  EXPECT_TRUE(result.early_stopped);
  EXPECT_EQ(result.epochs_run, 3);
  EXPECT_EQ(result.best_epoch, 1);
  EXPECT_TRUE(epochs[0].improved);
  EXPECT_FALSE(epochs[1].improved);
}

TEST_F(TrainerTest, HugeLearningRateIsRecordedAsDivergedWithItsEnergy) {
  Store store(path("runs.db"));
  RunRecord run;
  run.kind = "train";
  run.task = "pamap2";
  const int64_t run_id = store.add_run(run);
  TrainConfig c = small("pamap2");
  c.optimizer = "sgd";
  c.learning_rate = 1e12;
  c.max_epochs = 5;
  auto tracker = testing::make_test_tracker(&store, run_id);
  TrainResult result = run_training(c, *tracker, &store, run_id, {});
  tracker->stop();
  EXPECT_EQ(result.status, TrainStatus::kDiverged);
  EXPECT_TRUE(result.error.find("loss became") != std::string::npos ||
              result.error.find("above 10 x the untrained model") != std::string::npos)
      << result.error;
  EXPECT_LT(result.epochs_run, 5);
  auto records = store.epochs(run_id);
  ASSERT_EQ(static_cast<int>(records.size()), result.epochs_run);
  EXPECT_GT(records.back().duration_s, 0);
}

TEST_F(TrainerTest, EveryEpochIsTaggedAndStored) {
  Store store(path("runs.db"));
  RunRecord run;
  run.kind = "train";
  run.task = "pamap2";
  const int64_t run_id = store.add_run(run);
  TrainConfig c = small("pamap2");
  c.max_epochs = 2;
  auto tracker = testing::make_test_tracker(&store, run_id);
  TrainResult result = run_training(c, *tracker, &store, run_id, {});
  auto tracked = tracker->epochs();
  tracker->stop();
  ASSERT_EQ(result.epochs_run, 2);
  auto records = store.epochs(run_id);
  ASSERT_EQ(records.size(), 2u);
  ASSERT_EQ(tracked.size(), 2u);
  double total = 0;
  for (size_t i = 0; i < 2; ++i) {
    const EpochRecord& r = records[i];
    EXPECT_EQ(r.epoch, static_cast<int>(i + 1));
    EXPECT_TRUE(r.train_loss.has_value());
    EXPECT_TRUE(r.val_loss.has_value());
    EXPECT_TRUE(r.metric.has_value());
    ASSERT_TRUE(r.samples_per_s.has_value());
    EXPECT_GT(*r.samples_per_s, 0);
    // One row, the tracker's: its duration is equation 1's time(k), so the
    // energy can be recomputed from the row, and the streams are kept.
    EXPECT_DOUBLE_EQ(r.duration_s, tracked[i].duration_s);
    EXPECT_NEAR(r.mean_power_mw * r.duration_s / 3600.0, r.energy_mwh, r.energy_mwh * 1e-3);
    EXPECT_NEAR(r.energy_mwh, tracked[i].energy_mwh, 1e-9);
    // 10 W sampled every 10 ms: 10 W x time(k).
    EXPECT_NEAR(r.mean_power_mw, 10000, 100);
    EXPECT_NEAR(r.energy_mwh, 10.0 * 1000 * r.duration_s / 3600.0, r.energy_mwh * 0.01);
    EXPECT_EQ(r.streams.size(), 1u);
    total += r.energy_mwh;
  }
  EXPECT_NEAR(result.total_energy_mwh, total, 1e-9);
  // Samples were tagged with the validation phase as well as training.
  bool saw_validate = false;
  for (const Sample& s : store.samples(run_id)) saw_validate |= s.phase == Phase::kValidate;
  EXPECT_TRUE(saw_validate);
}

TEST_F(TrainerTest, FrozenEncoderStaysUnchangedAndUnfrozenChanges) {
  TrainConfig pretrain = small("pamap2-autoencoder");
  // Enough epochs to reconstruct better than the mean (else it is diverged).
  pretrain.max_epochs = 3;
  pretrain.encoder_out = path("encoder.safetensors");
  ASSERT_EQ(train(pretrain).status, TrainStatus::kDone);
  const auto pretrained = models::load_safetensors(pretrain.encoder_out).tensors;

  for (bool freeze : {true, false}) {
    TrainConfig c = small("pamap2-classifier");
    c.max_epochs = 2;
    c.encoder_in = pretrain.encoder_out;
    c.freeze_encoder = freeze;
    c.encoder_out = path(freeze ? "frozen.safetensors" : "unfrozen.safetensors");
    ASSERT_EQ(train(c).status, TrainStatus::kDone);
    const auto after = models::load_safetensors(c.encoder_out).tensors;
    ASSERT_EQ(after.size(), pretrained.size());
    bool all_equal = true;
    for (const auto& [name, t] : pretrained) all_equal &= torch::equal(t, after.at(name));
    EXPECT_EQ(all_equal, freeze) << (freeze ? "frozen" : "unfrozen");
  }
}

TEST_F(TrainerTest, CelebaTasksTrainOnGeneratedImages) {
  for (const char* task : {"celeba-identity", "celeba-attributes", "celeba-multitask"}) {
    TrainConfig c = small(task);
    c.max_epochs = 1;
    c.batch_size = 16;
    c.data.synthetic_train = 32;
    c.data.synthetic_val = 16;
    c.data.synthetic_test = 16;
    c.alpha = 0.3;
    TrainResult result = train(c);
    EXPECT_EQ(result.status, TrainStatus::kDone) << task;
    ASSERT_TRUE(result.final_metric.has_value()) << task;
    EXPECT_GE(*result.final_metric, 0.0);
    EXPECT_LE(*result.final_metric, 1.0);
  }
}

TEST_F(TrainerTest, ImageNetWeightsLoadIntoTheCelebaEncoder) {
  models::ResNet18 source;
  models::NamedTensors tensors;
  for (const auto& [name, t] : models::state_dict(*source)) {
    if (name.find("num_batches_tracked") == std::string::npos) tensors.emplace_back(name, t);
  }
  tensors.emplace_back("fc.weight", torch::zeros({1000, 512}));
  tensors.emplace_back("fc.bias", torch::zeros({1000}));
  models::save_safetensors(path("resnet18.safetensors"), tensors);
  TrainConfig c = small("celeba-identity");
  c.max_epochs = 1;
  c.batch_size = 16;
  c.data.synthetic_train = 16;
  c.data.synthetic_val = 16;
  c.data.synthetic_test = 0;
  c.encoder_in = path("resnet18.safetensors");
  c.freeze_encoder = true;
  c.encoder_out = path("out.safetensors");
  ASSERT_EQ(train(c).status, TrainStatus::kDone);
  auto out = models::load_safetensors(c.encoder_out).tensors;
  EXPECT_TRUE(torch::equal(out.at("layer4.1.conv2.weight"),
                           source->named_parameters()["layer4.1.conv2.weight"]));
  // A mis-shaped file is refused with the key named.
  tensors[0].second = torch::zeros({1});
  models::save_safetensors(path("bad.safetensors"), tensors);
  c.encoder_in = path("bad.safetensors");
  try {
    train(c);
    ADD_FAILURE() << "bad weights accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("conv1.weight (file [1]"), std::string::npos) << e.what();
  }
}

TEST_F(TrainerTest, TrainsOnPamap2FilesFromTheGenerator) {
  Pamap2SynthOptions synth;
  synth.minutes = 1.0;
  synth_pamap2(path("pamap2"), synth);
  TrainConfig c = small("pamap2");
  c.data_dir = path("pamap2");
  c.data.downsample = 3;
  c.data.window_length = 64;
  c.max_epochs = 1;
  TrainResult result = train(c);
  EXPECT_EQ(result.status, TrainStatus::kDone);
  EXPECT_TRUE(result.final_metric.has_value());
}

TEST_F(TrainerTest, TrainsOnCelebaFilesFromTheGenerator) {
  CelebaSynthOptions synth;
  synth.identities = 3;
  synth.images_per_identity = 8;
  synth.width = 48;
  synth.height = 56;
  synth_celeba(path("celeba"), synth);
  // Multitask reads both the identity and the attribute files.
  for (const char* task : {"celeba-multitask"}) {
    TrainConfig c = small(task);
    c.data_dir = path("celeba");
    c.data.identities = 3;
    c.data.val_fraction = 0.2;
    c.data.test_fraction = 0.2;
    c.batch_size = 8;
    c.max_epochs = 1;
    TrainResult result = train(c);
    EXPECT_EQ(result.status, TrainStatus::kDone) << task;
    EXPECT_TRUE(result.final_metric.has_value()) << task;
  }
}

// Adam at lr 1e5 blows the loss up while it may stay finite (it ended `done`
// at chance accuracy before the rule): an epoch's loss above 10 x the
// untrained model's marks it diverged.
TEST_F(TrainerTest, FiniteBlowUpIsDiverged) {
  TrainConfig c = small("pamap2");
  c.batch_size = 64;
  c.learning_rate = 1e5;
  c.max_epochs = 3;
  TrainResult result = train(c);
  EXPECT_EQ(result.status, TrainStatus::kDiverged) << result.error;
  EXPECT_FALSE(result.final_metric.has_value());
}

// An autoencoder that has not learned (one epoch at lr 1e-9 from random
// weights) reconstructs worse than predicting each channel's mean: diverged,
// and it saves no encoder for the classifiers of equation 2.
TEST_F(TrainerTest, AutoencoderWorseThanTheMeanIsDiverged) {
  TrainConfig c = small("pamap2-autoencoder");
  c.optimizer = "sgd";
  c.learning_rate = 1e-9;
  c.max_epochs = 1;
  c.encoder_out = path("enc.safetensors");
  TrainResult result = train(c);
  EXPECT_EQ(result.status, TrainStatus::kDiverged);
  EXPECT_NE(result.error.find("the error of predicting the mean"), std::string::npos)
      << result.error;
  EXPECT_FALSE(fs::exists(c.encoder_out));
}

// Identity, attributes and multitask train, validate and test on the very
// same images; celeba-attributes-full reads every image.
TEST_F(TrainerTest, CelebaRolesShareOneImageSetPerSplit) {
  CelebaSynthOptions synth;
  synth.identities = 10;  // the official partition puts the 10th identity in test
  synth.images_per_identity = 10;
  synth.width = 48;
  synth.height = 56;
  synth_celeba(path("celeba"), synth);
  auto load = [&](const std::string& task) {
    TrainConfig c = small(task);
    c.data_dir = path("celeba");
    c.data.identities = 2;
    c.data.val_fraction = 0.2;
    c.data.test_fraction = 0.2;
    return train::load_task_data(c);
  };
  const auto identity = load("celeba-identity");
  const auto attributes = load("celeba-attributes");
  const auto both = load("celeba-multitask");
  ASSERT_FALSE(identity.train_files.empty());
  const size_t top2 =
      identity.train_files.size() + identity.val_files.size() + identity.test_files.size();
  for (const auto* other : {&attributes, &both}) {
    EXPECT_EQ(other->train_files, identity.train_files);
    EXPECT_EQ(other->val_files, identity.val_files);
    EXPECT_EQ(other->test_files, identity.test_files);
  }
  const auto full = load("celeba-attributes-full");
  // Every image of the 10 identities (about 100) against the top 2's (about 20).
  EXPECT_GT(full.train_files.size() + full.val_files.size() + full.test_files.size(), top2 + 10);
  EXPECT_GT(full.train_files.size(), identity.train_files.size());
}

}  // namespace
}  // namespace powertrain
