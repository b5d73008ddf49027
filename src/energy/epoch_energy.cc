#include "powertrain/energy/epoch_energy.h"

#include <algorithm>
#include <iterator>
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
  bool has_counter = false;
};

}  // namespace

std::vector<EpochEnergy> compute_epoch_energy(const std::vector<Sample>& samples,
                                              const std::vector<EpochSpan>& spans,
                                              double interval_s, double pue) {
  using Key = std::pair<std::string, std::string>;
  // Counter readings per stream, in time order, for the boundary lookups.
  std::map<Key, std::vector<std::pair<double, double>>> counters;  // (mono_s, mJ)
  for (const Sample& s : samples) {
    if (s.reading.power_mw && s.reading.energy_mj) {
      counters[{s.sensor, s.reading.device}].emplace_back(s.mono_s, *s.reading.energy_mj);
    }
  }
  for (auto& [key, v] : counters) {
    std::stable_sort(v.begin(), v.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  // Last reading at or before t; with `or_first`, the first one after t when
  // there is none before (a span starting before the stream's first read).
  auto counter_at = [](const std::vector<std::pair<double, double>>& v, double t,
                       bool or_first) -> std::optional<double> {
    auto it = std::upper_bound(v.begin(), v.end(), t,
                               [](double x, const auto& p) { return x < p.first; });
    if (it != v.begin()) return std::prev(it)->second;
    if (or_first && !v.empty()) return v.front().second;
    return std::nullopt;
  };

  std::map<int, std::vector<const Sample*>> by_epoch;
  for (const Sample& s : samples) by_epoch[s.epoch].push_back(&s);

  std::vector<EpochEnergy> out;
  out.reserve(spans.size());
  for (const EpochSpan& span : spans) {
    EpochEnergy e;
    e.epoch = span.epoch;
    e.duration_s = std::max(0.0, span.duration_s());

    std::vector<StreamAccumulator> streams;
    std::map<Key, size_t> index;
    auto it = by_epoch.find(span.epoch);
    if (it != by_epoch.end()) {
      for (const Sample* s : it->second) {
        auto [pos, inserted] = index.emplace(Key{s->sensor, s->reading.device}, streams.size());
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
        if (s->reading.energy_mj) acc.has_counter = true;
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
      std::optional<double> start_mj, end_mj;
      if (acc.has_counter) {
        const auto& v = counters[Key{x.sensor, x.device}];
        start_mj = counter_at(v, span.start_mono_s, true);
        end_mj = counter_at(v, span.end_mono_s, false);
      }
      if (start_mj && end_mj) {
        x.counter_energy_mwh = counter_energy_mwh(*start_mj, *end_mj) * pue;
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
