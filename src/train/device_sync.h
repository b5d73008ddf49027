// Epoch and phase boundaries that mean something on a GPU. CUDA work is
// queued: when the host marks "epoch 3 ends", kernels of epoch 3 may still be
// running, and their energy would be charged to epoch 4. Every boundary is
// therefore marked only after the device has finished its queued work:
//
//   SynchronisingMarks marks(hooks, tracker_marks);
//   marks.begin_epoch(1);   // hooks.synchronize(), then tracker.begin_epoch(1)
//
// Torch-free, so that a test drives it with a fake device and fake marks.
#pragma once

#include "powertrain/energy/sample.h"
#include "powertrain/energy/tracker.h"

namespace powertrain::train {

// What the trainer asks of the device it trains on.
class DeviceHooks {
 public:
  virtual ~DeviceHooks() = default;
  // Returns once every operation queued on the device has finished.
  virtual void synchronize() = 0;
};

// A device whose work is done when queued (the CPU).
class HostDevice : public DeviceHooks {
 public:
  void synchronize() override {}
};

// The boundaries the trainer marks (on the tracker, in the program).
class EpochMarks {
 public:
  virtual ~EpochMarks() = default;
  virtual void begin_epoch(int epoch) = 0;
  virtual void set_phase(Phase phase) = 0;
  virtual EpochEnergy end_epoch(const EpochMetrics& metrics) = 0;
};

// The tracker's boundaries.
class TrackerMarks : public EpochMarks {
 public:
  explicit TrackerMarks(Tracker& tracker) : tracker_(tracker) {}
  void begin_epoch(int epoch) override { tracker_.begin_epoch(epoch); }
  void set_phase(Phase phase) override { tracker_.set_phase(phase); }
  EpochEnergy end_epoch(const EpochMetrics& metrics) override {
    return tracker_.end_epoch(metrics);
  }

 private:
  Tracker& tracker_;
};

// Synchronises the device, then marks.
class SynchronisingMarks : public EpochMarks {
 public:
  SynchronisingMarks(DeviceHooks& device, EpochMarks& marks) : device_(device), marks_(marks) {}
  void begin_epoch(int epoch) override {
    device_.synchronize();
    marks_.begin_epoch(epoch);
  }
  void set_phase(Phase phase) override {
    device_.synchronize();
    marks_.set_phase(phase);
  }
  EpochEnergy end_epoch(const EpochMetrics& metrics) override {
    device_.synchronize();
    return marks_.end_epoch(metrics);
  }

 private:
  DeviceHooks& device_;
  EpochMarks& marks_;
};

}  // namespace powertrain::train
