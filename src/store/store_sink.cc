#include "powertrain/store/store_sink.h"

#include "powertrain/store/store.h"

namespace powertrain {

void StoreSink::on_samples(const std::vector<Sample>& samples) {
  store_.add_samples(samples);  // one transaction: all or none
}

void StoreSink::on_retag(int64_t run_id, int from, int to) {
  store_.retag_samples(run_id, from, to);
}

void StoreSink::on_epoch(const EpochRecord& record) { store_.put_epoch(record); }

void StoreSink::on_run_energy(const RunEnergyRecord& record) { store_.put_run_energy(record); }

std::string StoreSink::where() const { return store_.path(); }

std::string StoreSink::short_reason(const std::string& what) const {
  std::string reason = what;
  const std::string& path = store_.path();
  if (reason.compare(0, path.size() + 2, path + ": ") == 0) reason = reason.substr(path.size() + 2);
  size_t quote = reason.rfind("': ");
  if (quote != std::string::npos) reason = reason.substr(quote + 3);
  return reason;
}

}  // namespace powertrain
