// The energy tracker: a background sampler plus epoch and phase bookkeeping.
//
//   Tracker tracker(options, &store, run_id);
//   tracker.start();
//   for (int e = 1; e <= n; ++e) {
//     tracker.begin_epoch(e);            // phase train
//     ... train ...
//     tracker.set_phase(Phase::kValidate);
//     ... validate ...
//     EpochEnergy energy = tracker.end_epoch();
//   }
//   tracker.stop();
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/energy/epoch_energy.h"
#include "powertrain/energy/sensor.h"

namespace powertrain {

class Store;

struct TrackerOptions {
  double interval_s = 1.0;           // 0.01 .. 60
  double pue = 1.0;                  // power usage effectiveness; 1 = off
  std::vector<std::string> sensors;  // empty or {"auto"}: see make_sensors()
  SensorOptions sensor_options;
};

// The trainer's figures of one epoch, stored in the same row as its energy.
struct EpochMetrics {
  std::optional<double> train_loss;
  std::optional<double> val_loss;
  std::optional<double> metric;  // validation accuracy etc.
  std::optional<double> samples_per_s;
};

// Throws std::invalid_argument when the interval or PUE is out of range.
void validate(const TrackerOptions& options);

class Tracker {
 public:
  // With a store, samples and epochs are written as they come (run_id must
  // exist in it); without one they are only kept in memory.
  Tracker(TrackerOptions options, Store* store = nullptr, int64_t run_id = 0);
  // Takes sensors made elsewhere (tests, benchmarks).
  Tracker(TrackerOptions options, std::vector<std::unique_ptr<Sensor>> sensors,
          Store* store = nullptr, int64_t run_id = 0);
  ~Tracker();  // stops and joins the sampler
  Tracker(const Tracker&) = delete;
  Tracker& operator=(const Tracker&) = delete;

  void start();
  // Ends an open epoch, stops sampling and flushes to the store.
  void stop();

  // Starts epoch `epoch` (ending the previous one if open), phase train.
  void begin_epoch(int epoch);
  void set_phase(Phase phase);
  // Ends the open epoch and returns its energy. With a store, the epoch's one
  // row is written here, with `metrics` beside the energy; its duration_s is
  // time(k) of equation 1.
  EpochEnergy end_epoch(const EpochMetrics& metrics = {});

  // Attributes CPU-side energy (RAPL package, modelled CPU) to the process
  // tree rooted at `pid` from now on, by its share of the machine's busy CPU
  // time (read under sensor_options.proc_root). Throws std::runtime_error
  // when /proc/stat cannot be read.
  void track_process(int pid);
  // "process" once track_process() was called, else "machine".
  std::string tracking_mode() const;
  // The machine's CPU utilisation (0..100) from start() to now/stop(), when
  // /proc/stat is readable.
  std::optional<double> cpu_utilization_pct() const;

  bool in_epoch() const;
  int current_epoch() const;
  // Energy of every finished epoch so far, and of the open one up to now.
  std::vector<EpochEnergy> epochs() const;
  EnergyTotals totals() const;
  // Energy of the whole run from start() to now/stop(), epochs or not. With a
  // store, stop() writes it (run_energy) for every run, failed ones too.
  EpochEnergy whole_run() const;
  // Energy outside every epoch so far.
  EpochEnergy outside() const;

  const std::vector<std::unique_ptr<Sensor>>& sensors() const;
  // "rapl,nvml"; what reports cite as the sensors used.
  std::string sensor_summary() const;
  const TrackerOptions& options() const;

 private:
  void write_run_energy();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace powertrain
