// The store's EnergySink: writes a tracker's samples, epochs and whole-run row
// to a run database.
//
//   Store store("runs.db");
//   RunRecorder run(store, record);                 // store/run_recorder.h
//   Tracker tracker(options, make_store_sink(store), run.id());
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "powertrain/energy/sink.h"

namespace powertrain {

class Store;

class StoreSink : public EnergySink {
 public:
  // The store must outlive the sink (and the tracker holding it).
  explicit StoreSink(Store& store) : store_(store) {}

  void on_samples(const std::vector<Sample>& samples) override;
  void on_retag(int64_t run_id, int from, int to) override;
  void on_epoch(const EpochRecord& record) override;
  void on_run_energy(const RunEnergyRecord& record) override;
  std::string where() const override;
  // Drops the path the store's messages start with and the statement some
  // of them quote.
  std::string short_reason(const std::string& what) const override;

 private:
  Store& store_;
};

inline std::unique_ptr<EnergySink> make_store_sink(Store& store) {
  return std::make_unique<StoreSink>(store);
}

}  // namespace powertrain
