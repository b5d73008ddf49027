// CSV export of samples and epochs, one row per record, RFC 4180 quoting.
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "powertrain/store/store.h"
#include "util/csv.h"

namespace powertrain {

namespace {

template <typename T>
std::string opt(const std::optional<T>& v) {
  return v ? fmt::format("{}", *v) : std::string();
}

std::vector<int64_t> selected_runs(const Store& store, const std::vector<int64_t>& run_ids) {
  if (!run_ids.empty()) return run_ids;
  std::vector<int64_t> ids;
  for (const RunRecord& r : store.runs()) ids.push_back(r.id);
  return ids;
}

std::ofstream open_csv(const std::string& path) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error("cannot write '" + path + "'");
  return out;
}

}  // namespace

void export_samples_csv(const Store& store, const std::string& path,
                        const std::vector<int64_t>& run_ids) {
  std::ofstream out = open_csv(path);
  out << "run_id,wall_time_s,mono_s,epoch,phase,sensor,device,power_mw,energy_mj,source,error\n";
  for (int64_t id : selected_runs(store, run_ids)) {
    for (const Sample& s : store.samples(id)) {
      out << fmt::format("{},{:.3f},{:.6f},{},{},{},{},{},{},{},{}\n", s.run_id, s.wall_time_s,
                         s.mono_s, s.epoch, to_string(s.phase), csv_field(s.sensor),
                         csv_field(s.reading.device), opt(s.reading.power_mw),
                         opt(s.reading.energy_mj), to_string(s.reading.source),
                         csv_field(s.reading.error));
    }
  }
  if (!out.flush()) throw std::runtime_error("error writing '" + path + "'");
}

void export_epochs_csv(const Store& store, const std::string& path,
                       const std::vector<int64_t>& run_ids) {
  std::ofstream out = open_csv(path);
  // Units in the names; the components add up to energy_mwh; source last.
  out << "run_id,epoch,started_at_s,duration_s,train_loss,val_loss,metric,samples_per_s,"
         "energy_mwh,counter_energy_mwh,mean_power_mw,n_samples,coverage,short_epoch,";
  for (int i = 0; i < kComponentCount; ++i) {
    out << to_string(static_cast<Component>(i)) << "_mwh,";
  }
  out << "attributed_mwh,source\n";
  for (int64_t id : selected_runs(store, run_ids)) {
    for (const EpochRecord& e : store.epochs(id)) {
      out << fmt::format("{},{},{:.3f},{:.6f},{},{},{},{},{:.6f},{},{:.3f},{},{:.4f},{},", e.run_id,
                         e.epoch, e.started_at_s, e.duration_s, opt(e.train_loss), opt(e.val_loss),
                         opt(e.metric), opt(e.samples_per_s), e.energy_mwh,
                         opt(e.counter_energy_mwh), e.mean_power_mw, e.n_samples, e.coverage,
                         e.short_epoch ? 1 : 0);
      for (const auto& c : e.components.mwh) out << opt(c) << ",";
      out << opt(e.attributed_mwh) << "," << to_string(e.source) << "\n";
    }
  }
  if (!out.flush()) throw std::runtime_error("error writing '" + path + "'");
}

}  // namespace powertrain
