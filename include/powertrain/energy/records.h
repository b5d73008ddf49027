// The rows the tracker produces: one per epoch and one per run. The energy
// module fills them and hands them to an EnergySink (energy/sink.h); the
// store writes them to its tables of the same names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/energy/epoch_energy.h"

namespace powertrain {

// One row of `epochs`: training figures plus the epoch's energy.
struct EpochRecord {
  int64_t run_id = 0;
  int epoch = 0;
  double started_at_s = 0;  // Unix time
  double duration_s = 0;
  std::optional<double> train_loss;
  std::optional<double> val_loss;
  std::optional<double> metric;  // validation accuracy etc.
  std::optional<double> samples_per_s;
  double energy_mwh = 0;  // equation 1, summed over devices, times PUE
  std::optional<double> counter_energy_mwh;
  double mean_power_mw = 0;  // times PUE: energy_mwh = mean_power_mw * duration_s / 3600
  int n_samples = 0;
  double coverage = 0;       // within one interval of a periodic sample, 0..1
  bool short_epoch = false;  // shorter than two sampling intervals
  EnergySource source = EnergySource::kSampled;
  ComponentEnergy components;            // energy_mwh by component (gpu, cpu package, ...)
  std::optional<double> attributed_mwh;  // CPU-side energy of the tracked process tree
  std::vector<StreamEnergy> streams;     // stored in `epoch_energy`
};

// The row of an epoch's energy, without the trainer's figures.
EpochRecord make_epoch_record(int64_t run_id, const EpochEnergy& energy);

// One row of `run_energy`: a run's energy from the tracker's start to its
// stop (a tracked command's whole life, outside-epoch time included),
// written when the tracker stops, whatever the run's status.
struct RunEnergyRecord {
  int64_t run_id = 0;
  double duration_s = 0;
  double energy_mwh = 0;                     // equation 1 over every segment, times PUE
  std::optional<double> counter_energy_mwh;  // when every segment has a counter figure
  int n_samples = 0;
  EnergySource source = EnergySource::kSampled;
  ComponentEnergy components;
  std::optional<double> attributed_mwh;  // tracking_mode "process" only
  double outside_duration_s = 0;         // outside every epoch
  double outside_mwh = 0;
  std::optional<double> cpu_utilization_pct;  // the machine's, measured over the run
  std::string tracking_mode = "machine";      // "machine" or "process", as CodeCarbon
  double interval_s = 1.0;
  // The machine the run ran on (for emissions.csv), as far as it is known.
  std::string os;
  std::string cpu_model;
  std::optional<int> cpu_count;
  std::optional<double> ram_total_gb;
  std::optional<double> ram_used_gb;  // in use on the machine when the run ended
  // Each sensor's provenance() (JSON object per line): for NVML the driver
  // and NVML versions, boards (name, UUID, bus id), power field, power
  // limit and MIG mode.
  std::string sensor_provenance;
};

}  // namespace powertrain
