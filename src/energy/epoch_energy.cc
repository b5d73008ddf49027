#include "powertrain/energy/epoch_energy.h"

#include <algorithm>
#include <cmath>
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

std::string_view to_string(Component component) {
  switch (component) {
    case Component::kGpu:
      return "gpu";
    case Component::kCpuPackage:
      return "cpu_package";
    case Component::kDram:
      return "dram";
    case Component::kModelledCpu:
      return "modelled_cpu";
    case Component::kModelledRam:
      return "modelled_ram";
    case Component::kOther:
      return "other";
  }
  return "other";
}

Component component_of(const std::string& sensor, const std::string& device) {
  auto starts = [&](const char* prefix) { return device.rfind(prefix, 0) == 0; };
  if (sensor == "nvml") return Component::kGpu;
  if (sensor == "rapl") {
    if (starts("package")) return Component::kCpuPackage;
    if (starts("dram")) return Component::kDram;
    return Component::kOther;
  }
  if (sensor == "powermetrics") {
    // Apple Silicon: the CPU clusters are the package's CPU part; the ANE is
    // neither CPU nor GPU.
    if (device == "gpu") return Component::kGpu;
    if (device == "cpu") return Component::kCpuPackage;
    return Component::kOther;
  }
  if (sensor == "model") {
    if (device == "cpu") return Component::kModelledCpu;
    if (device == "ram") return Component::kModelledRam;
  }
  return Component::kOther;
}

double coverage_share(const std::vector<double>& times_s, double start_s, double end_s,
                      double interval_s) {
  const double span = end_s - start_s;
  if (span <= 0) return 1.0;
  // Union of [t - interval, t + interval] clipped to the span; times sorted.
  double covered = 0;
  double reach = start_s;  // covered up to here
  for (double t : times_s) {
    double lo = std::max(reach, t - interval_s);
    double hi = std::min(end_s, t + interval_s);
    if (hi > lo) {
      covered += hi - lo;
      reach = hi;
    }
  }
  return std::clamp(covered / span, 0.0, 1.0);
}

namespace {

struct StreamAccumulator {
  StreamEnergy energy;
  std::vector<double> power_mw;
  std::vector<double> attributed_mw;
  std::vector<double> periodic_times_s;
  std::vector<double> power_times_s;  // power_mw's times, while they are periodic samples
  // Readings at epoch boundaries: equation 1 uses them only when the epoch
  // has no periodic sample. A counter-rate sensor's boundary power spans
  // whatever short time passed since the last read (often a few ms), so as
  // one sample among evenly spaced ones it would bias the mean.
  std::vector<double> boundary_mw;
  std::vector<double> boundary_attributed_mw;
  bool has_counter = false;
};

double mean_of(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

// What a counter says over [start, end] (readings sorted by time).
struct CounterSpan {
  double mj = 0;
  int resets = 0;
};

// The counter's increase from its last reading at or before `start` (else
// its first inside the span) to its last at or before `end`. A reading
// below the one before it is a reset (driver reload, wrap): the counter
// restarted from 0, so that reading itself is the energy since the reset;
// what passed between the previous reading and the reset is lost, never
// negative.
std::optional<CounterSpan> counter_over(const std::vector<std::pair<double, double>>& v,
                                        double start, double end) {
  auto after = [&v](double t) {
    return std::upper_bound(v.begin(), v.end(), t,
                            [](double x, const auto& p) { return x < p.first; });
  };
  auto first = after(start);
  if (first != v.begin()) {
    first = std::prev(first);
  } else if (v.empty()) {
    return std::nullopt;
  }
  auto last = after(end);
  if (last == v.begin()) return std::nullopt;
  last = std::prev(last);
  CounterSpan out;
  for (auto it = first; it < last; ++it) {
    double step = std::next(it)->second - it->second;
    if (step < 0) {
      step = std::next(it)->second;
      ++out.resets;
    }
    out.mj += step;
  }
  return out;
}

}  // namespace

double time_weighted_mean_mw(const std::vector<double>& times_s,
                             const std::vector<double>& power_mw, double start_s, double end_s) {
  std::vector<std::pair<double, double>> v;
  for (size_t i = 0; i < times_s.size() && i < power_mw.size(); ++i) {
    v.emplace_back(times_s[i], power_mw[i]);
  }
  std::sort(v.begin(), v.end());
  double weighted = 0, total = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    double lo = i == 0 ? start_s : (v[i - 1].first + v[i].first) / 2;
    double hi = i + 1 == v.size() ? end_s : (v[i].first + v[i + 1].first) / 2;
    double w = std::max(0.0, std::min(hi, end_s) - std::max(lo, start_s));
    weighted += w * v[i].second;
    total += w;
  }
  if (total > 0) return weighted / total;
  return mean_of(power_mw);
}

bool counter_gap(double equation1_mwh, double counter_mwh) {
  return std::abs(equation1_mwh - counter_mwh) > kCounterGapShare * std::abs(counter_mwh);
}

namespace {

using Key = std::pair<std::string, std::string>;
using CounterReadings = std::vector<std::pair<double, double>>;  // (mono_s, mJ)

// One accumulator per (sensor, device) of an epoch's samples, in first-seen order.
std::vector<StreamAccumulator> gather_streams(const std::vector<const Sample*>& samples) {
  std::vector<StreamAccumulator> streams;
  std::map<Key, size_t> index;
  for (const Sample* s : samples) {
    auto [pos, inserted] = index.emplace(Key{s->sensor, s->reading.device}, streams.size());
    if (inserted) {
      StreamAccumulator acc;
      acc.energy.sensor = s->sensor;
      acc.energy.device = s->reading.device;
      acc.energy.source = s->reading.source == EnergySource::kModelled ? EnergySource::kModelled
                                                                       : EnergySource::kSampled;
      acc.energy.component = component_of(s->sensor, s->reading.device);
      streams.push_back(std::move(acc));
    }
    StreamAccumulator& acc = streams[pos->second];
    if (!s->reading.power_mw) {
      ++acc.energy.n_failed;
      continue;
    }
    if (s->reading.energy_mj) acc.has_counter = true;
    if (s->periodic) {
      acc.power_mw.push_back(*s->reading.power_mw);
      acc.power_times_s.push_back(s->mono_s);
      if (s->attributed_power_mw) acc.attributed_mw.push_back(*s->attributed_power_mw);
      acc.periodic_times_s.push_back(s->mono_s);
    } else {
      acc.boundary_mw.push_back(*s->reading.power_mw);
      if (s->attributed_power_mw) acc.boundary_attributed_mw.push_back(*s->attributed_power_mw);
    }
  }
  return streams;
}

// One stream's energy over the span: equation 1 with the mean weighted by
// time, its attributed share, and the counter's figure where it has one.
void finish_stream(StreamAccumulator& acc, const EpochSpan& span, double duration_s, double pue,
                   const CounterReadings* counter) {
  StreamEnergy& x = acc.energy;
  if (acc.power_mw.empty()) {
    acc.power_mw = std::move(acc.boundary_mw);
    acc.attributed_mw = std::move(acc.boundary_attributed_mw);
  }
  x.n_samples = static_cast<int>(acc.power_mw.size());
  if (x.n_samples > 0) {
    // Periodic samples by the time each stands for; boundary readings
    // (used only when there is no periodic one) by their plain mean.
    bool periodic = acc.power_times_s.size() == acc.power_mw.size();
    x.mean_power_mw = periodic ? time_weighted_mean_mw(acc.power_times_s, acc.power_mw,
                                                       span.start_mono_s, span.end_mono_s)
                               : mean_of(acc.power_mw);
  }
  x.energy_mwh = x.mean_power_mw * duration_s / 3600.0 * pue;
  // Equation 1 over the readings that carry a share: a reading taken
  // before the process was tracked (or before any CPU time passed) has
  // none, and is left out of the mean rather than counted as zero.
  if (!acc.attributed_mw.empty()) {
    x.attributed_energy_mwh = equation1_energy_mwh(acc.attributed_mw, duration_s) * pue;
  }
  std::optional<CounterSpan> counted;
  if (acc.has_counter && counter) {
    counted = counter_over(*counter, span.start_mono_s, span.end_mono_s);
  }
  if (counted) {
    x.counter_energy_mwh = counted->mj / 3600.0 * pue;
    x.counter_resets = counted->resets;
    x.counter_gap = counter_gap(x.energy_mwh, *x.counter_energy_mwh);
  }
  std::sort(acc.periodic_times_s.begin(), acc.periodic_times_s.end());
}

}  // namespace

std::vector<EpochEnergy> compute_epoch_energy(const std::vector<Sample>& samples,
                                              const std::vector<EpochSpan>& spans,
                                              double interval_s, double pue) {
  // Counter readings per stream, in time order, for the boundary lookups.
  std::map<Key, CounterReadings> counters;
  for (const Sample& s : samples) {
    if (s.reading.power_mw && s.reading.energy_mj) {
      counters[{s.sensor, s.reading.device}].emplace_back(s.mono_s, *s.reading.energy_mj);
    }
  }
  for (auto& [key, v] : counters) {
    std::stable_sort(v.begin(), v.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  std::map<int, std::vector<const Sample*>> by_epoch;
  for (const Sample& s : samples) by_epoch[s.epoch].push_back(&s);

  std::vector<EpochEnergy> out;
  out.reserve(spans.size());
  for (const EpochSpan& span : spans) {
    EpochEnergy e;
    e.epoch = span.epoch;
    e.duration_s = std::max(0.0, span.duration_s());
    auto it = by_epoch.find(span.epoch);
    std::vector<StreamAccumulator> streams =
        it == by_epoch.end() ? std::vector<StreamAccumulator>{} : gather_streams(it->second);

    bool all_counted = !streams.empty();
    bool any_modelled = false;
    double counter_sum_mwh = 0;
    double coverage = streams.empty() ? 0.0 : 1.0;
    for (StreamAccumulator& acc : streams) {
      auto c = counters.find(Key{acc.energy.sensor, acc.energy.device});
      finish_stream(acc, span, e.duration_s, pue, c == counters.end() ? nullptr : &c->second);
      StreamEnergy& x = acc.energy;
      if (x.attributed_energy_mwh) {
        e.attributed_mwh = e.attributed_mwh.value_or(0) + *x.attributed_energy_mwh;
      }
      e.components.add(x.component, x.energy_mwh);
      if (x.counter_energy_mwh) {
        counter_sum_mwh += *x.counter_energy_mwh;
        e.counter_gap = e.counter_gap || x.counter_gap;
      } else {
        all_counted = false;
      }
      any_modelled = any_modelled || x.source == EnergySource::kModelled;
      // Summed as equation 1 is: a stream with no successful sample adds
      // neither power nor energy.
      if (x.n_samples > 0) e.mean_power_mw += x.mean_power_mw * pue;
      e.energy_mwh += x.energy_mwh;
      e.n_samples += x.n_samples;
      coverage = std::min(coverage, coverage_share(acc.periodic_times_s, span.start_mono_s,
                                                   span.end_mono_s, interval_s));
      e.streams.push_back(std::move(x));
    }
    if (all_counted) e.counter_energy_mwh = counter_sum_mwh;
    e.coverage = coverage;
    e.short_epoch = e.duration_s < 2 * interval_s;
    e.source = any_modelled  ? EnergySource::kModelled
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
    t.components.add(e.components);
    if (e.attributed_mwh) t.attributed_mwh = t.attributed_mwh.value_or(0) + *e.attributed_mwh;
  }
  if (all_counted) t.counter_energy_mwh = counter;
  t.source = any_modelled  ? EnergySource::kModelled
             : all_counted ? EnergySource::kCounter
                           : EnergySource::kSampled;
  return t;
}

}  // namespace powertrain
