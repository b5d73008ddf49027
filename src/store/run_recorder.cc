#include "powertrain/store/run_recorder.h"

#include <unistd.h>

#include <chrono>
#include <stdexcept>

namespace powertrain {
namespace {

double unix_now_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool is_end(RunStatus status) {
  return status == RunStatus::kDone || status == RunStatus::kDiverged ||
         status == RunStatus::kFailed;
}

}  // namespace

RunRecorder::RunRecorder(Store& store, RunRecord record)
    : store_(&store), record_(std::move(record)) {
  record_.status = RunStatus::kRunning;
  record_.started_at_s = unix_now_s();
  record_.ended_at_s.reset();
  record_.id = store_->add_run(record_);
}

RunRecorder::RunRecorder(Store& store, RunRecord record, bool /*claimed*/)
    : store_(&store), record_(std::move(record)) {}

std::optional<RunRecorder> RunRecorder::claim(Store& store, RunRecord& record,
                                              const std::string& host) {
  RunRecord claimed = record;
  claimed.status = RunStatus::kRunning;
  claimed.host = host;
  claimed.pid = static_cast<int64_t>(getpid());
  claimed.started_at_s = unix_now_s();
  claimed.ended_at_s.reset();
  claimed.exit_code.reset();
  claimed.error.clear();
  bool ok = false;
  std::optional<RunRecord> current;
  store.transaction([&] {
    current = store.run(record.id);
    if (current && current->status == RunStatus::kPending) {
      store.update_run(claimed);
      ok = true;
    }
  });
  if (!ok) {
    if (current) record = *current;
    return std::nullopt;
  }
  record = claimed;
  return RunRecorder(store, std::move(claimed), true);
}

RunRecorder::RunRecorder(RunRecorder&& other) noexcept
    : store_(other.store_), record_(std::move(other.record_)), finished_(other.finished_) {
  other.finished_ = true;  // the moved-from one owns nothing
}

RunRecorder::~RunRecorder() {
  if (!finished_) fail("ended without an outcome");
}

void RunRecorder::update() { store_->update_run(record_); }

void RunRecorder::finish(RunStatus status, const std::string& error, std::optional<int> exit_code) {
  RunRecord r = record_;
  r.status = status;
  r.error = error;
  r.exit_code = exit_code;
  r.ended_at_s.reset();
  finish(r);
}

void RunRecorder::finish(const RunRecord& record) {
  if (finished_) throw std::logic_error("run " + std::to_string(record_.id) + " finished twice");
  if (!is_end(record.status)) {
    throw std::logic_error("run " + std::to_string(record_.id) + " cannot finish " +
                           std::string(to_string(record.status)));
  }
  RunRecord r = record;
  r.id = record_.id;
  if (!r.ended_at_s) r.ended_at_s = unix_now_s();
  store_->update_run(r);
  record_ = std::move(r);
  finished_ = true;
}

std::string RunRecorder::fail(const std::string& error, std::optional<int> exit_code) noexcept {
  if (finished_) return "";
  std::string reason;
  try {
    finish(RunStatus::kFailed, error, exit_code);
  } catch (const std::exception& e) {
    reason = e.what();
  } catch (...) {
    reason = "unknown error";
  }
  finished_ = true;  // the last word either way: the destructor does not retry
  return reason;
}

}  // namespace powertrain
