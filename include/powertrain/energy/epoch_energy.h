// Energy per epoch: the study's equation 1 and counter differences.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "powertrain/energy/sample.h"

namespace powertrain {

// Equation 1 of the study: E = (sum_i P_i / n) * t / 3600, in mWh when the
// power is in mW and t in seconds. Returns 0 when there are no samples.
double equation1_energy_mwh(const std::vector<double>& power_mw, double duration_s);

// Difference of a cumulative energy counter, mJ -> mWh.
inline double counter_energy_mwh(double start_mj, double end_mj) {
  return (end_mj - start_mj) / 3600.0;
}

// The time span of one epoch on the tracker's steady clock.
struct EpochSpan {
  int epoch = 0;
  double start_mono_s = 0;
  double end_mono_s = 0;
  double duration_s() const { return end_mono_s - start_mono_s; }
};

// Energy of one (sensor, device) stream over one epoch.
struct StreamEnergy {
  std::string sensor;
  std::string device;
  EnergySource source = EnergySource::kSampled;  // kModelled for model sensors
  int n_samples = 0;       // successful samples inside the epoch
  int n_failed = 0;        // reads that failed (gaps)
  double mean_power_mw = 0;
  double energy_mwh = 0;   // equation 1
  std::optional<double> counter_energy_mwh;  // when the device has a counter
};

// Energy of one epoch, summed over every stream.
struct EpochEnergy {
  int epoch = 0;
  double started_at_s = 0;    // Unix time; set by the tracker
  double duration_s = 0;
  double mean_power_mw = 0;   // sum of the streams' mean powers
  double energy_mwh = 0;      // equation 1, summed over streams, times PUE
  std::optional<double> counter_energy_mwh;  // sum of counter streams (times PUE), if all have one
  int n_samples = 0;
  double coverage = 0;        // share of the epoch covered by successful samples, 0..1
  EnergySource source = EnergySource::kSampled;  // kModelled if any stream is modelled
  std::vector<StreamEnergy> streams;
};

// Computes each span's energy. Power samples count for the span whose epoch
// tag they carry (equation 1). A counter's difference is taken between its
// last reading at or before the span's start (else the first inside it) and
// its last reading at or before the span's end, whatever their tags, so that
// the reading taken at an epoch boundary serves both neighbours.
// `interval_s` gives the coverage.
std::vector<EpochEnergy> compute_epoch_energy(const std::vector<Sample>& samples,
                                              const std::vector<EpochSpan>& spans,
                                              double interval_s, double pue = 1.0);

// Sum over epochs.
struct EnergyTotals {
  double duration_s = 0;
  double energy_mwh = 0;
  std::optional<double> counter_energy_mwh;
  EnergySource source = EnergySource::kSampled;
};
EnergyTotals sum_epochs(const std::vector<EpochEnergy>& epochs);

}  // namespace powertrain
