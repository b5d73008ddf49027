// A power sample and the tags that say when, where and how it was obtained.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace powertrain {

// What the training was doing when a sample was taken.
enum class Phase { kTrain, kValidate, kOther };

// How an energy figure was obtained: read from a hardware energy counter,
// integrated from sampled power, or estimated by a model (never measured).
enum class EnergySource { kCounter, kSampled, kModelled };

std::string_view to_string(Phase phase);
std::string_view to_string(EnergySource source);
// Throws std::invalid_argument naming the value and the known names.
Phase parse_phase(std::string_view text);
EnergySource parse_energy_source(std::string_view text);

// One reading of one device by one sensor. A failed read has no power and an
// error: the gap is recorded, not hidden.
struct PowerReading {
  std::string device;                     // e.g. "gpu0", "package-0", "cpu"
  std::optional<double> power_mw;         // instantaneous power
  std::optional<double> energy_mj;        // cumulative counter, if the device has one
  std::optional<double> utilization_pct;  // device busy share, where the sensor knows it
  EnergySource source = EnergySource::kSampled;
  std::string error;  // empty when the read succeeded
  // NVML read through nvmlDeviceGetFieldValues: the board's 1 s average
  // power beside the instant figure in power_mw, and when the board took
  // them (Unix seconds). Not stored; for comparisons and checks.
  std::optional<double> average_power_mw;
  std::optional<double> measured_at_s;
};

// A reading as stored: the reading plus run, time, epoch and phase tags.
struct Sample {
  int64_t run_id = 0;
  double wall_time_s = 0;  // seconds since the Unix epoch
  double mono_s = 0;       // steady clock, seconds since the tracker started
  int epoch = 0;           // 0 = before the first epoch
  Phase phase = Phase::kOther;
  std::string sensor;  // "nvml", "rapl", "powermetrics", "model"
  PowerReading reading;
  // Taken by the sampler's clock (true) or at an epoch boundary / start /
  // stop (false). Coverage counts only periodic samples: a boundary reading
  // says nothing about the time between two of them.
  bool periodic = true;
  // The share of a CPU-side reading (RAPL package, modelled CPU) that belongs
  // to the tracked process tree, by its share of the machine's busy CPU time
  // over the last interval. Absent when no process is tracked or the reading
  // is not CPU-side.
  std::optional<double> attributed_power_mw;
};

}  // namespace powertrain
