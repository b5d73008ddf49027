// The early-stopping rule of a training, without LibTorch: the trainer
// (src/train/trainer.cc) stops by it, and the predictor (predict.h) plays it
// forward on an extrapolated validation curve.
//
//   EarlyStopping rule({patience, min_delta, max_epochs, minimise});
//   for each epoch: bool best = rule.update(score); if (rule.should_stop()) break;
//
// An epoch improves when its score beats the best so far by more than
// min_delta (below it when minimising a loss, above it for an accuracy); the
// first epoch is always the best so far. Training stops once `patience`
// epochs in a row have not improved (patience 0: never), or at max_epochs.
#pragma once

#include <cmath>

namespace powertrain {

struct EarlyStoppingRule {
  int patience = 5;       // epochs without improvement before stopping; 0 = off
  double min_delta = 0;   // smallest change that counts as improvement
  int max_epochs = 100;   // the planned maximum
  bool minimise = false;  // true: the score is a loss; false: an accuracy
};

class EarlyStopping {
 public:
  explicit EarlyStopping(const EarlyStoppingRule& rule) : rule_(rule) {}

  // Records the next epoch's score; returns whether it is the new best.
  bool update(double score) {
    ++epochs_;
    const bool improved = best_epoch_ == 0 || (rule_.minimise ? score < best_ - rule_.min_delta
                                                              : score > best_ + rule_.min_delta);
    if (improved) {
      best_ = score;
      best_epoch_ = epochs_;
      stale_ = 0;
    } else {
      ++stale_;
    }
    return improved;
  }
  // Whether the epochs recorded so far end the training: `patience` stale
  // epochs in a row, or the planned maximum reached.
  bool should_stop() const { return stopped_early() || epochs_ >= rule_.max_epochs; }
  // Stopped by patience alone (the trainer's `early_stopped`).
  bool stopped_early() const { return rule_.patience > 0 && stale_ >= rule_.patience; }

  int epochs() const { return epochs_; }
  int best_epoch() const { return best_epoch_; }  // 0 before the first epoch
  double best() const { return best_; }
  int stale() const { return stale_; }
  const EarlyStoppingRule& rule() const { return rule_; }

 private:
  EarlyStoppingRule rule_;
  int epochs_ = 0;
  int best_epoch_ = 0;
  int stale_ = 0;
  double best_ = NAN;
};

}  // namespace powertrain
