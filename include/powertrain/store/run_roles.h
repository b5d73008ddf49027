// Names shared by the sweep (which writes them into runs.paradigm / runs.role)
// and the report (which reads them). One place, so the two cannot drift.
#pragma once

#include <array>

namespace powertrain::roles {

// runs.kind
inline constexpr const char* kKindTrack = "track";
inline constexpr const char* kKindTrain = "train";

// runs.paradigm
inline constexpr const char* kRegime = "regime";
inline constexpr const char* kPretraining = "pretraining";
inline constexpr const char* kMultitask = "multitask";

// runs.role, regime paradigm: encoder + classifier trained together.
inline constexpr const char* kClassifier = "classifier";
// runs.role, pretraining paradigm (PAMAP2).
inline constexpr const char* kAutoencoder = "autoencoder";  // encoder pretraining (E_enc)
inline constexpr const char* kFrozen = "frozen";  // classifier on frozen encoder (E_class)
inline constexpr const char* kUnfrozen =
    "unfrozen";  // classifier on pretrained encoder, fine-tuned
inline constexpr const char* kBaseline =
    "baseline";  // encoder + classifier from scratch (E_enc+class)
// runs.role, multitask paradigm (CelebA).
inline constexpr const char* kAttributes = "attributes";
inline constexpr const char* kIdentity = "identity";
inline constexpr const char* kBoth = "multitask";

}  // namespace powertrain::roles

// runs.task: what `train`, the sweep's plan and the trainer know. One list,
// so that the CLI's choices, the plan and the trainer cannot drift.
namespace powertrain::tasks {

inline constexpr const char* kPamap2 = "pamap2";                         // encoder + classifier
inline constexpr const char* kPamap2Autoencoder = "pamap2-autoencoder";  // encoder pretraining
inline constexpr const char* kPamap2Classifier = "pamap2-classifier";    // on a given encoder
inline constexpr const char* kCelebaIdentity = "celeba-identity";
inline constexpr const char* kCelebaAttributes = "celeba-attributes";  // top identities' images
inline constexpr const char* kCelebaMultitask = "celeba-multitask";
inline constexpr const char* kCelebaAttributesFull = "celeba-attributes-full";  // every image
inline constexpr std::array<const char*, 7> kAll = {
    kPamap2,           kPamap2Autoencoder, kPamap2Classifier,    kCelebaIdentity,
    kCelebaAttributes, kCelebaMultitask,   kCelebaAttributesFull};

}  // namespace powertrain::tasks
