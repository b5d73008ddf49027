// When a run counts as diverged: its figures then describe a blow-up, not
// the setup, and reports leave it out of every analysis (listing it with the
// energy it used). Shared by the trainer and the test runners; no LibTorch.
//
//   1. a loss that is not finite (NaN, inf);
//   2. an epoch's mean training loss above kDivergenceFactor x the loss of
//      the untrained model (its first batch, before any update): a run that
//      learns never climbs an order of magnitude above where it started, and
//      one whose first epoch already blew up (finite but huge) is caught in
//      that epoch;
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

// Why epoch `epoch`'s mean loss means the run diverged, or "" when it did
// not; initial_loss is the untrained model's loss on its first batch. `what`
// names the loss ("training loss").
inline std::string loss_divergence(int epoch, double loss, double initial_loss,
                                   const std::string& what = "training loss") {
  if (!std::isfinite(loss)) return fmt::format("{} became {} in epoch {}", what, loss, epoch);
  if (std::isfinite(initial_loss) && initial_loss > 0 && loss > kDivergenceFactor * initial_loss) {
    return fmt::format("{} {:.4g} in epoch {} is above {:g} x the untrained model's {:.4g}", what,
                       loss, epoch, kDivergenceFactor, initial_loss);
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
