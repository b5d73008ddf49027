// Apple Silicon CPU / GPU / ANE power through macOS `powermetrics`.
#pragma once

#include <istream>
#include <memory>
#include <optional>
#include <string>

#include "powertrain/energy/sensor.h"

namespace powertrain {

// Power figures of one powermetrics sample block, in mW.
struct PowermetricsSample {
  std::optional<double> cpu_mw;
  std::optional<double> gpu_mw;
  std::optional<double> ane_mw;
  std::optional<double> combined_mw;
  std::optional<double> elapsed_ms;
};

// Incremental parser of powermetrics' text output: feed lines, get a sample
// each time a block is complete. "GPU Power" appears both in the processor
// block (cpu_power sampler) and in the "GPU usage" block (gpu_power
// sampler); the dedicated gpu_power figure wins when both are present.
class PowermetricsParser {
 public:
  // Returns the previous block when `line` starts a new one.
  std::optional<PowermetricsSample> feed(const std::string& line);
  // Returns the block in progress, if it has any figure (end of input).
  std::optional<PowermetricsSample> finish();

 private:
  enum class Section { kNone, kProcessor, kGpu, kOther };
  bool in_block_ = false;
  Section section_ = Section::kNone;
  PowermetricsSample current_;
  std::optional<double> processor_gpu_mw_;
};

// Spawns options.powermetrics_program with the cpu_power, gpu_power and
// ane_power samplers. It never calls sudo: without root it is unavailable
// and the reason says what to run.
std::unique_ptr<Sensor> make_powermetrics_sensor(const SensorOptions& options);

}  // namespace powertrain
