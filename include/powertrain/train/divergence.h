// When a run counts as diverged: its figures then describe a blow-up, not
// the setup, and reports leave it out of every analysis (listing it with the
// energy it used). Shared by the trainer and the test runners; no LibTorch.
//
//   1. a loss that is not finite (NaN, inf);
//   2. a training loss above kDivergenceFactor x the first epoch's training
//      loss (a run that learns never climbs an order of magnitude above
//      where it started);
//   3. an autoencoder whose reconstruction error (test, else validation MSE)
//      is above the error of predicting every input's mean (the variance of
//      the inputs): it learned nothing a constant would not give.
#pragma once

#include <cmath>
#include <string>

#include <fmt/format.h>

namespace powertrain {

// k of rule 2.
inline constexpr double kDivergenceFactor = 10.0;

// Why epoch `epoch`'s loss (the first epoch's being first_loss) means the
// run diverged, or "" when it did not. `what` names the loss ("training loss").
inline std::string loss_divergence(int epoch, double loss, double first_loss,
                                   const std::string& what = "training loss") {
  if (!std::isfinite(loss)) return fmt::format("{} became {} in epoch {}", what, loss, epoch);
  if (epoch > 1 && std::isfinite(first_loss) && first_loss > 0 &&
      loss > kDivergenceFactor * first_loss) {
    return fmt::format("{} {:.4g} in epoch {} is above {:g} x the first epoch's {:.4g}", what, loss,
                       epoch, kDivergenceFactor, first_loss);
  }
  return "";
}

// Rule 3: mse of the reconstruction against mean_mse, the error of predicting
// the mean; "" when the reconstruction is better.
inline std::string reconstruction_divergence(double mse, double mean_mse) {
  if (!std::isfinite(mse)) return fmt::format("reconstruction error became {}", mse);
  if (mse > mean_mse) {
    return fmt::format(
        "reconstruction error {:.4g} is above {:.4g}, the error of predicting the mean", mse,
        mean_mse);
  }
  return "";
}

}  // namespace powertrain
