// A sensor with a constant power, so that trainer tests get epoch energy
// without hardware.
#pragma once

#include <memory>
#include <vector>

#include "powertrain/energy/sensor.h"
#include "powertrain/energy/tracker.h"
#include "powertrain/store/store_sink.h"

namespace powertrain::testing {

class ConstantSensor : public Sensor {
 public:
  explicit ConstantSensor(double power_mw) : power_mw_(power_mw) {}
  std::string name() const override { return "model"; }
  bool available() const override { return true; }
  std::string reason() const override { return ""; }
  std::vector<DeviceInfo> devices() const override {
    DeviceInfo d;
    d.id = "fake0";
    d.name = "constant";
    d.measures = "a constant power, for tests";
    return {d};
  }
  std::vector<PowerReading> read() override {
    PowerReading r;
    r.device = "fake0";
    r.power_mw = power_mw_;
    r.source = EnergySource::kSampled;
    return {r};
  }

 private:
  double power_mw_;
};

inline std::unique_ptr<Tracker> make_test_tracker(Store* store = nullptr, int64_t run_id = 0) {
  TrackerOptions options;
  options.interval_s = 0.01;
  std::vector<std::unique_ptr<Sensor>> sensors;
  sensors.push_back(std::make_unique<ConstantSensor>(10000.0));
  auto tracker = std::make_unique<Tracker>(options, std::move(sensors),
                                           store ? make_store_sink(*store) : nullptr, run_id);
  tracker->start();
  return tracker;
}

}  // namespace powertrain::testing
