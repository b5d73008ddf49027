// CSV export of samples and epochs, one row per record, RFC 4180 quoting.
#include <fmt/format.h>

#include <cstdio>
#include <stdexcept>

#include "powertrain/store/store.h"
#include "powertrain/util/atomic_file.h"
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

}  // namespace

void export_samples_csv(const Store& store, const std::string& path,
                        const std::vector<int64_t>& run_ids) {
  // Written whole or not at all: a full disk leaves no half file behind.
  AtomicFile out(path);
  out.write(
      "run_id,wall_time_s,mono_s,epoch,phase,sensor,device,power_mw,energy_mj,source,error\n");
  for (int64_t id : selected_runs(store, run_ids)) {
    for (const Sample& s : store.samples(id)) {
      out.write(fmt::format("{},{:.3f},{:.6f},{},{},{},{},{},{},{},{}\n", s.run_id, s.wall_time_s,
                            s.mono_s, s.epoch, to_string(s.phase), csv_field(s.sensor),
                            csv_field(s.reading.device), opt(s.reading.power_mw),
                            opt(s.reading.energy_mj), to_string(s.reading.source),
                            csv_field(s.reading.error)));
    }
  }
  out.commit();
}

void export_epochs_csv(const Store& store, const std::string& path,
                       const std::vector<int64_t>& run_ids) {
  AtomicFile out(path);
  // Units in the names; the components add up to energy_mwh; source last.
  std::string header =
      "run_id,epoch,started_at_s,duration_s,train_loss,val_loss,metric,samples_per_s,"
      "energy_mwh,counter_energy_mwh,mean_power_mw,n_samples,coverage,short_epoch,";
  for (int i = 0; i < kComponentCount; ++i) {
    header += to_string(static_cast<Component>(i));
    header += "_mwh,";
  }
  header += "attributed_mwh,source\n";
  out.write(header);
  for (int64_t id : selected_runs(store, run_ids)) {
    for (const EpochRecord& e : store.epochs(id)) {
      std::string row =
          fmt::format("{},{},{:.3f},{:.6f},{},{},{},{},{:.6f},{},{:.3f},{},{:.4f},{},", e.run_id,
                      e.epoch, e.started_at_s, e.duration_s, opt(e.train_loss), opt(e.val_loss),
                      opt(e.metric), opt(e.samples_per_s), e.energy_mwh, opt(e.counter_energy_mwh),
                      e.mean_power_mw, e.n_samples, e.coverage, e.short_epoch ? 1 : 0);
      for (const auto& c : e.components.mwh) row += opt(c) + ",";
      row += opt(e.attributed_mwh) + "," + std::string(to_string(e.source)) + "\n";
      out.write(row);
    }
  }
  out.commit();
}

}  // namespace powertrain
