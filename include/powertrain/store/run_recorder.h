// One run record's life in a run database: created (or claimed) running,
// updated as its metadata becomes known, finished once with an outcome.
// `track`, `train` and the sweep all go through it, so that a run is never
// left "running" by a process that is still alive and every end writes the
// same fields (status, error, exit code, end time).
//
//   RunRecorder run(store, record);        // inserted, running, started now
//   run.edit().sensors = "rapl";  run.update();
//   run.finish(RunStatus::kDone);          // or fail("why"), never throwing
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "powertrain/store/store.h"

namespace powertrain {

class RunRecorder {
 public:
  // Inserts `record` as a new run, running and started now (host, pid and
  // the rest as the caller set them). Throws what the store throws.
  RunRecorder(Store& store, RunRecord record);
  // Claims the existing run `record.id` for this process: running, on
  // `host`, this pid, started now, no end or error, with `record`'s other
  // fields. Only if the store still has it pending (one transaction), so two
  // processes on one database never run the same run; otherwise nullopt and
  // `record` becomes what the store holds. On success `record` is the
  // claimed row too.
  static std::optional<RunRecorder> claim(Store& store, RunRecord& record, const std::string& host);

  RunRecorder(RunRecorder&& other) noexcept;
  RunRecorder& operator=(RunRecorder&&) = delete;
  RunRecorder(const RunRecorder&) = delete;
  RunRecorder& operator=(const RunRecorder&) = delete;
  // A run still open here (an exception went past its owner) ends failed,
  // "ended without an outcome"; a store error then is swallowed.
  ~RunRecorder();

  int64_t id() const { return record_.id; }
  const RunRecord& record() const { return record_; }
  // The record to change; update() writes it.
  RunRecord& edit() { return record_; }
  void update();

  // Ends the run with `status` (done, diverged, failed), `error` and
  // `exit_code`, at the time of the call. Throws what the store throws (the
  // run then stays open here, and a later fail() may still end it), and
  // std::logic_error for a run that has already ended.
  void finish(RunStatus status, const std::string& error = "",
              std::optional<int> exit_code = std::nullopt);
  // Ends the run as `record` says (its status must be an end), setting the
  // end time if it has none.
  void finish(const RunRecord& record);
  // Ends the run failed unless it has ended already; never throws: returns
  // "" when written (or already ended), else the store's reason (the
  // caller's first error is the one to report). The last word either way:
  // after it the recorder writes nothing more, not even from its destructor.
  std::string fail(const std::string& error, std::optional<int> exit_code = std::nullopt) noexcept;
  // Lets the run go without writing anything: for a run another part has
  // already dealt with (an interrupted sweep run set back to pending).
  void release() { finished_ = true; }
  bool finished() const { return finished_; }

 private:
  RunRecorder(Store& store, RunRecord record, bool claimed);
  Store* store_;
  RunRecord record_;
  bool finished_ = false;
};

}  // namespace powertrain
