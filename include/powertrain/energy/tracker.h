// The energy tracker: a background sampler plus epoch and phase bookkeeping.
//
//   Tracker tracker(options, make_store_sink(store), run_id);  // or nullptr
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
#include "powertrain/energy/records.h"
#include "powertrain/energy/sensor.h"
#include "powertrain/energy/sink.h"

namespace powertrain {

struct TrackerOptions {
  double interval_s = 1.0;           // 0.01 .. 60
  double pue = 1.0;                  // power usage effectiveness; 1 = off
  std::vector<std::string> sensors;  // empty or {"auto"}: see make_sensors()
  SensorOptions sensor_options;
  // How end_epoch() writes the epoch's one row (energy and the caller's
  // metrics together; nobody writes it again). false: at once, on the
  // caller's thread, throwing if it cannot, so a trainer stops at the first
  // epoch it cannot record. true: queued like the samples and retried, so
  // that the caller never waits for a busy database (track).
  bool queue_epoch_writes = false;
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
  // With a sink (make_store_sink(store) writes to a run database, where
  // run_id must exist), samples and epochs are handed over as they come;
  // without one they are only kept in memory.
  Tracker(TrackerOptions options, std::unique_ptr<EnergySink> sink = nullptr, int64_t run_id = 0);
  // Takes sensors made elsewhere (tests, benchmarks).
  Tracker(TrackerOptions options, std::vector<std::unique_ptr<Sensor>> sensors,
          std::unique_ptr<EnergySink> sink = nullptr, int64_t run_id = 0);
  ~Tracker();  // stops and joins the sampler
  Tracker(const Tracker&) = delete;
  Tracker& operator=(const Tracker&) = delete;

  void start();
  // Ends an open epoch, stops sampling and flushes to the sink. Samples,
  // queued epochs and the whole-run row are written by a thread of their own;
  // a write that fails (busy, disk full, read-only) is kept in memory and
  // retried. Throws
  // std::runtime_error (see store_error()) when, after the last retries,
  // some could still not be written; the threads are stopped regardless.
  void stop();
  // "could not write N sample(s) and M epoch(s)[ and the run's energy] to
  // DB: REASON" while some are still unwritten because the last write
  // failed; "" otherwise.
  std::string store_error() const;

  // Sensors are read outside the tracker's state lock: set_phase(),
  // renumber_epoch() and the figures below never wait for a sensor read.
  // begin_epoch(), end_epoch(), cancel_epoch() and stop() take a boundary
  // reading, so they wait for it (and for a read in progress: a sensor is
  // read by one thread at a time). A sample is stamped with the instant its
  // read completed and tagged with the epoch and phase in force then: a read
  // in progress across set_phase() counts in the new phase.

  // Starts epoch `epoch`, phase train. An open epoch ends at the same
  // boundary reading (its row written without metrics), so back-to-back
  // epochs leave no time between them outside.
  void begin_epoch(int epoch);
  void set_phase(Phase phase);
  // Ends the open epoch and returns its energy. With a sink, the epoch's one
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

  // Gives the open epoch another number (its samples are retagged, in the
  // store too): for output that names an epoch only when it ends.
  void renumber_epoch(int epoch);
  // Turns the open epoch into time outside every epoch (its samples are
  // retagged epoch 0): an epoch that was opened but never ended.
  void cancel_epoch();

  bool in_epoch() const;
  int current_epoch() const;
  // When (seconds on the tracker's steady clock) the last epoch boundary or
  // phase change took effect: the instant the epoch figures use, which a
  // caller's own clock reading before the call can precede by a sensor read.
  double last_boundary_s() const;
  // Energy of every finished epoch so far, and of the open one up to now.
  std::vector<EpochEnergy> epochs() const;
  EnergyTotals totals() const;
  // Energy of the whole run from start() to now/stop(), epochs or not. With a
  // sink, stop() writes it (run_energy) for every run, failed ones too.
  EpochEnergy whole_run() const;
  // Energy outside every epoch so far.
  EpochEnergy outside() const;

  const std::vector<std::unique_ptr<Sensor>>& sensors() const;
  // "rapl,nvml"; what reports cite as the sensors used.
  std::string sensor_summary() const;
  // Every sensor's provenance() that is not empty, one JSON object a line;
  // stored with the run (run_energy.sensor_provenance).
  std::string sensor_provenance() const;
  const TrackerOptions& options() const;

 private:
  void write_run_energy();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace powertrain
