// Where a tracker's measurements go. The tracker knows nothing of databases:
// it hands samples, epoch rows and the whole-run row to an EnergySink, and
// the store (powertrain/store/store_sink.h) provides the one that writes them
// to a run database. A program embedding the tracker may supply its own
// (a log, a metrics exporter).
//
// The tracker calls a sink from its writer thread (samples, retags, queued
// epochs, the run's row) and, for epochs written at once
// (TrackerOptions::queue_epoch_writes false), from the thread calling
// end_epoch(): two calls may run at the same time, so a sink must be safe
// across its methods (the store locks its connection).
// A call that cannot write throws std::exception; the tracker keeps what
// failed and calls again later with the same items, so a call must write all
// of them or none (a transaction).
#pragma once

#include <string>
#include <vector>

#include "powertrain/energy/records.h"
#include "powertrain/energy/sample.h"

namespace powertrain {

class EnergySink {
 public:
  virtual ~EnergySink() = default;

  // Samples as they are taken, in order; all or none.
  virtual void on_samples(const std::vector<Sample>& samples) = 0;
  // Samples of `run_id` already handed over with epoch tag `from` now belong
  // to epoch `to` (0: outside every epoch, phase other).
  virtual void on_retag(int64_t run_id, int from, int to) = 0;
  // One epoch's row (energy and the trainer's figures); written once.
  virtual void on_epoch(const EpochRecord& record) = 0;
  // The run's energy from start() to stop(), written by stop().
  virtual void on_run_energy(const RunEnergyRecord& record) = 0;
  // What store_error() names as the destination ("runs.db").
  virtual std::string where() const = 0;
  // The reason in a message this sink threw, without what where() already
  // says (store_error() puts the two together).
  virtual std::string short_reason(const std::string& what) const { return what; }
};

}  // namespace powertrain
