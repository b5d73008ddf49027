#include "powertrain/energy/epoch_energy.h"

#include <algorithm>
#include <map>
#include <utility>

namespace powertrain {

double equation1_energy_mwh(const std::vector<double>& power_mw, double duration_s) {
  if (power_mw.empty() || duration_s <= 0) return 0;
  double sum_mw = 0;
  for (double p : power_mw) sum_mw += p;
  return (sum_mw / static_cast<double>(power_mw.size())) * duration_s / 3600.0;
}

namespace {

struct StreamAccumulator {
  StreamEnergy energy;
  std::vector<double> power_mw;
  std::optional<double> first_counter_mj;
  std::optional<double> last_counter_mj;
};

}  // namespace

std::vector<EpochEnergy> compute_epoch_energy(const std::vector<Sample>& samples,
                                              const std::vector<EpochSpan>& spans,
                                              double interval_s, double pue) {
  // Index samples by epoch tag once, keeping their order.
  std::map<int, std::vector<const Sample*>> by_epoch;
  for (const Sample& s : samples) by_epoch[s.epoch].push_back(&s);

  std::vector<EpochEnergy> out;
  out.reserve(spans.size());
  for (const EpochSpan& span : spans) {
    EpochEnergy e;
    e.epoch = span.epoch;
    e.duration_s = std::max(0.0, span.duration_s());

    std::vector<StreamAccumulator> streams;
    std::map<std::pair<std::string, std::string>, size_t> index;
    auto it = by_epoch.find(span.epoch);
    if (it != by_epoch.end()) {
      for (const Sample* s : it->second) {
        auto key = std::make_pair(s->sensor, s->reading.device);
        auto [pos, inserted] = index.emplace(key, streams.size());
        if (inserted) {
          StreamAccumulator acc;
          acc.energy.sensor = s->sensor;
          acc.energy.device = s->reading.device;
          acc.energy.source = s->reading.source == EnergySource::kModelled
                                  ? EnergySource::kModelled
                                  : EnergySource::kSampled;
          streams.push_back(std::move(acc));
        }
        StreamAccumulator& acc = streams[pos->second];
        if (!s->reading.power_mw) {
          ++acc.energy.n_failed;
          continue;
        }
        acc.power_mw.push_back(*s->reading.power_mw);
        if (s->reading.energy_mj) {
          if (!acc.first_counter_mj) acc.first_counter_mj = s->reading.energy_mj;
          acc.last_counter_mj = s->reading.energy_mj;
        }
      }
    }

    bool all_counted = !streams.empty();
    bool any_modelled = false;
    double counter_sum_mwh = 0;
    double coverage = streams.empty() ? 0.0 : 1.0;
    for (StreamAccumulator& acc : streams) {
      StreamEnergy& x = acc.energy;
      x.n_samples = static_cast<int>(acc.power_mw.size());
      if (x.n_samples > 0) {
        double sum = 0;
        for (double p : acc.power_mw) sum += p;
        x.mean_power_mw = sum / x.n_samples;
      }
      x.energy_mwh = equation1_energy_mwh(acc.power_mw, e.duration_s) * pue;
      if (acc.first_counter_mj && acc.last_counter_mj) {
        x.counter_energy_mwh = counter_energy_mwh(*acc.first_counter_mj, *acc.last_counter_mj) * pue;
        counter_sum_mwh += *x.counter_energy_mwh;
      } else {
        all_counted = false;
      }
      any_modelled = any_modelled || x.source == EnergySource::kModelled;
      e.mean_power_mw += x.mean_power_mw;
      e.energy_mwh += x.energy_mwh;
      e.n_samples += x.n_samples;
      double covered = e.duration_s > 0 ? x.n_samples * interval_s / e.duration_s : 1.0;
      coverage = std::min(coverage, std::min(1.0, covered));
      e.streams.push_back(std::move(x));
    }
    if (all_counted) e.counter_energy_mwh = counter_sum_mwh;
    e.coverage = coverage;
    e.source = any_modelled ? EnergySource::kModelled
               : all_counted ? EnergySource::kCounter
                             : EnergySource::kSampled;
    out.push_back(std::move(e));
  }
  return out;
}

EnergyTotals sum_epochs(const std::vector<EpochEnergy>& epochs) {
  EnergyTotals t;
  bool all_counted = !epochs.empty();
  double counter = 0;
  bool any_modelled = false;
  for (const EpochEnergy& e : epochs) {
    t.duration_s += e.duration_s;
    t.energy_mwh += e.energy_mwh;
    if (e.counter_energy_mwh) {
      counter += *e.counter_energy_mwh;
    } else {
      all_counted = false;
    }
    any_modelled = any_modelled || e.source == EnergySource::kModelled;
  }
  if (all_counted) t.counter_energy_mwh = counter;
  t.source = any_modelled ? EnergySource::kModelled
             : all_counted ? EnergySource::kCounter
                           : EnergySource::kSampled;
  return t;
}

}  // namespace powertrain
