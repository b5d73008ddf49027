#include "powertrain/energy/records.h"

namespace powertrain {

EpochRecord make_epoch_record(int64_t run_id, const EpochEnergy& e) {
  EpochRecord r;
  r.run_id = run_id;
  r.epoch = e.epoch;
  r.started_at_s = e.started_at_s;
  r.duration_s = e.duration_s;
  r.energy_mwh = e.energy_mwh;
  r.counter_energy_mwh = e.counter_energy_mwh;
  r.mean_power_mw = e.mean_power_mw;
  r.n_samples = e.n_samples;
  r.coverage = e.coverage;
  r.short_epoch = e.short_epoch;
  r.source = e.source;
  r.components = e.components;
  r.attributed_mwh = e.attributed_mwh;
  r.streams = e.streams;
  return r;
}

}  // namespace powertrain
