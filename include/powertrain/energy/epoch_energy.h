// Energy per epoch: the study's equation 1 and counter differences.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
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

// What part of the machine a stream's figure covers. The study's tables are
// GPU energy; the whole node is the sum of every component.
enum class Component { kGpu, kCpuPackage, kDram, kModelledCpu, kModelledRam, kOther };
inline constexpr int kComponentCount = 6;
// "gpu", "cpu_package", "dram", "modelled_cpu", "modelled_ram", "other".
std::string_view to_string(Component component);
// The component of one (sensor, device) stream: NVML and powermetrics' gpu
// are GPU, RAPL package-N is the CPU package, RAPL dram-N (and powermetrics'
// cpu) ... see the definition; the model's cpu and ram are the modelled ones.
Component component_of(const std::string& sensor, const std::string& device);
// Whether a component's energy is CPU-side, the part attributed to a process.
inline bool is_cpu_side(Component c) {
  return c == Component::kCpuPackage || c == Component::kModelledCpu;
}

// Energy by component (mWh); a component no stream measured is absent.
struct ComponentEnergy {
  std::array<std::optional<double>, kComponentCount> mwh;
  std::optional<double> get(Component c) const { return mwh[static_cast<int>(c)]; }
  void add(Component c, double value_mwh) {
    auto& slot = mwh[static_cast<int>(c)];
    slot = slot.value_or(0) + value_mwh;
  }
  void add(const ComponentEnergy& other) {
    for (int i = 0; i < kComponentCount; ++i) {
      if (other.mwh[i]) add(static_cast<Component>(i), *other.mwh[i]);
    }
  }
  double sum() const {
    double total = 0;
    for (const auto& v : mwh) total += v.value_or(0);
    return total;
  }
};

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
  int n_samples = 0;                             // successful samples equation 1 used
  int n_failed = 0;                              // reads that failed (gaps)
  double mean_power_mw = 0;
  double energy_mwh = 0;                     // equation 1
  std::optional<double> counter_energy_mwh;  // when the device has a counter
  int counter_resets = 0;                    // times the counter went backwards in the epoch
  // Equation 1 and the counter differ by more than kCounterGapShare of the
  // counter: one of them misses what the board did (an averaged power field
  // lagging a step, sparse samples).
  bool counter_gap = false;
  Component component = Component::kOther;
  // Equation 1 over the attributed powers, for CPU-side streams of a run
  // that tracks a process tree.
  std::optional<double> attributed_energy_mwh;
};

// Energy of one epoch, summed over every stream.
struct EpochEnergy {
  int epoch = 0;
  double started_at_s = 0;  // Unix time; set by the tracker
  double duration_s = 0;    // time(k) of equation 1
  // Sum of the streams' mean powers, times PUE, so that
  // energy_mwh == mean_power_mw * duration_s / 3600 holds for every row.
  double mean_power_mw = 0;
  double energy_mwh = 0;                     // equation 1, summed over streams, times PUE
  std::optional<double> counter_energy_mwh;  // sum of counter streams (times PUE), if all have one
  int n_samples = 0;
  // Share of the epoch lying within one sampling interval of a successful
  // periodic sample (the least of every stream's), 0..1. Boundary readings
  // (at the epoch's start and end) do not count.
  double coverage = 0;
  // Shorter than two sampling intervals: equation 1 rests on boundary
  // readings alone.
  bool short_epoch = false;
  bool counter_gap = false;                      // some stream's counter_gap
  EnergySource source = EnergySource::kSampled;  // kModelled if any stream is modelled
  ComponentEnergy components;                    // energy_mwh by component
  // CPU-side energy of the tracked process tree (label `attributed`);
  // absent when no process is tracked.
  std::optional<double> attributed_mwh;
  std::vector<StreamEnergy> streams;
};

// The part of the time span [start_s, end_s] within `interval_s` of one of
// `times_s` (sorted), 0..1. 1 for an empty span.
double coverage_share(const std::vector<double>& times_s, double start_s, double end_s,
                      double interval_s);

// The mean of power samples, each weighted by the time it stands for: from
// halfway to its neighbour before (or `start_s`) to halfway to its neighbour
// after (or `end_s`), clipped to the span. The plain mean when the span is
// empty.
double time_weighted_mean_mw(const std::vector<double>& times_s,
                             const std::vector<double>& power_mw, double start_s, double end_s);

// The share by which equation 1 may differ from the counter before an epoch
// is flagged.
inline constexpr double kCounterGapShare = 0.05;
bool counter_gap(double equation1_mwh, double counter_mwh);

// Computes each span's energy. Power samples count for the span whose epoch
// tag they carry (equation 1, with the mean weighted by time): its periodic
// samples, or its boundary readings when it has no periodic one. A counter's difference is taken
// between its last reading at or before the span's start (else the first inside it) and its last
// reading at or before the span's end, whatever their tags, so that the reading taken at an epoch
// boundary serves both neighbours. `interval_s` gives the coverage.
std::vector<EpochEnergy> compute_epoch_energy(const std::vector<Sample>& samples,
                                              const std::vector<EpochSpan>& spans,
                                              double interval_s, double pue = 1.0);

// Sum over epochs.
struct EnergyTotals {
  double duration_s = 0;
  double energy_mwh = 0;
  std::optional<double> counter_energy_mwh;
  EnergySource source = EnergySource::kSampled;
  ComponentEnergy components;
  std::optional<double> attributed_mwh;
};
EnergyTotals sum_epochs(const std::vector<EpochEnergy>& epochs);

}  // namespace powertrain
