#include "powertrain/energy/tracker.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "powertrain/store/store.h"
#include "util/strings.h"

namespace powertrain {

void validate(const TrackerOptions& options) {
  if (!(options.interval_s >= 0.01 && options.interval_s <= 60)) {
    throw std::invalid_argument("sampling interval " + std::to_string(options.interval_s) +
                                " s is out of range (0.01 to 60 s)");
  }
  if (!(options.pue >= 1.0 && options.pue <= 5.0)) {
    throw std::invalid_argument("PUE " + std::to_string(options.pue) +
                                " is out of range (1.0 = off, up to 5.0)");
  }
}

namespace {

double unix_now_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void add_into(EpochEnergy& total, const EpochEnergy& part) {
  total.duration_s += part.duration_s;
  total.energy_mwh += part.energy_mwh;
  total.n_samples += part.n_samples;
  if (part.counter_energy_mwh) {
    total.counter_energy_mwh = total.counter_energy_mwh.value_or(0) + *part.counter_energy_mwh;
  }
  if (part.source == EnergySource::kModelled) total.source = EnergySource::kModelled;
}

}  // namespace

// The time from start() to stop() is cut into segments: an epoch, or a gap
// outside epochs. Only the open segment's samples are held in memory; a closed
// segment keeps its energy and, per stream, its last counter reading (the
// next segment's starting point).
struct Tracker::Impl {
  TrackerOptions options;
  Store* store = nullptr;
  int64_t run_id = 0;
  std::vector<std::unique_ptr<Sensor>> sensors;

  std::chrono::steady_clock::time_point t0;
  std::mutex sensor_mutex;          // sensors are not thread-safe
  mutable std::mutex state_mutex;   // everything below
  std::condition_variable cv;
  std::atomic<bool> stop_requested{false};
  std::thread thread;
  bool started = false;
  bool stopped = false;

  // Store writes: queued by the sampler and by end_epoch(), written by a
  // thread of their own so that neither sampling nor the caller ever waits
  // for the database (busy, full, read-only). What fails stays queued and is
  // retried; store_error says why the last attempt failed.
  std::mutex write_mutex;           // the queues and store_error
  std::condition_variable write_cv;
  std::deque<Sample> pending_samples;
  std::deque<EpochRecord> pending_epochs;
  std::deque<std::pair<int, int>> pending_retags;  // (old, new) epoch tags of written samples
  std::string store_error;
  bool writer_stop = false;
  std::thread writer;

  bool in_epoch = false;
  int epoch = 0;
  Phase phase = Phase::kOther;
  double segment_start_s = 0;
  double segment_started_at_s = 0;
  std::vector<Sample> segment_samples;
  std::map<std::pair<std::string, std::string>, Sample> last_counter;  // carried across segments
  std::vector<EpochEnergy> finished;
  EpochEnergy outside;              // energy outside epochs, summed
  double stopped_at_s = 0;

  double now_s() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  // Reads every sensor once and files the samples under the current tags.
  void take_sample() {
    std::vector<Sample> batch;
    {
      std::lock_guard<std::mutex> sensors_lock(sensor_mutex);
      std::lock_guard<std::mutex> lock(state_mutex);
      double mono = now_s();
      double wall = unix_now_s();
      for (auto& sensor : sensors) {
        std::vector<PowerReading> readings;
        try {
          readings = sensor->read();
        } catch (const std::exception& e) {
          PowerReading r;
          r.device = "*";
          r.error = e.what();
          readings.push_back(std::move(r));
        }
        for (PowerReading& r : readings) {
          Sample s;
          s.run_id = run_id;
          s.wall_time_s = wall;
          s.mono_s = mono;
          s.epoch = in_epoch ? epoch : 0;
          s.phase = in_epoch ? phase : Phase::kOther;
          s.sensor = sensor->name();
          s.reading = std::move(r);
          segment_samples.push_back(s);
          batch.push_back(std::move(s));
        }
      }
    }
    // Written at once (by the writer) so that a killed process loses at most
    // about this interval.
    if (store) {
      std::lock_guard<std::mutex> lock(write_mutex);
      for (Sample& s : batch) pending_samples.push_back(std::move(s));
      write_cv.notify_all();
    }
  }

  void queue_epoch(EpochRecord record) {
    std::lock_guard<std::mutex> lock(write_mutex);
    pending_epochs.push_back(std::move(record));
    write_cv.notify_all();
  }

  // One attempt to write everything queued; false (with store_error set) when
  // it failed. Only the writer thread calls it.
  bool write_pending() {
    std::vector<Sample> samples;
    std::vector<EpochRecord> epochs;
    std::vector<std::pair<int, int>> retags;
    {
      std::lock_guard<std::mutex> lock(write_mutex);
      samples.assign(pending_samples.begin(), pending_samples.end());
      epochs.assign(pending_epochs.begin(), pending_epochs.end());
      retags.assign(pending_retags.begin(), pending_retags.end());
    }
    if (samples.empty() && epochs.empty() && retags.empty()) return true;
    // Each step leaves the queue as soon as it is in, so that a retry never
    // writes a sample twice (new items only ever join the back of a queue).
    auto done = [this](auto& queue, size_t n) {
      std::lock_guard<std::mutex> lock(write_mutex);
      queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
    };
    try {
      store->add_samples(samples);  // one transaction: all or none
      done(pending_samples, samples.size());
      for (const auto& [from, to] : retags) {
        store->exec("UPDATE samples SET epoch = " + std::to_string(to) +
                    (to == 0 ? ", phase = 'other'" : "") +
                    " WHERE partial = 0 AND run_id = " + std::to_string(run_id) +
                    " AND epoch = " + std::to_string(from));
        done(pending_retags, 1);
      }
      for (const EpochRecord& e : epochs) {
        store->put_epoch(e);
        done(pending_epochs, 1);
      }
    } catch (const std::exception& e) {
      // Store::transaction has rolled back; the retry starts afresh.
      std::lock_guard<std::mutex> lock(write_mutex);
      store_error = e.what();
      return false;
    }
    std::lock_guard<std::mutex> lock(write_mutex);
    store_error.clear();
    return true;
  }

  void writer_loop() {
    constexpr auto kRetry = std::chrono::milliseconds(500);
    bool failing = false;
    while (true) {
      {
        std::unique_lock<std::mutex> lock(write_mutex);
        auto ready = [this] {
          return writer_stop || !pending_samples.empty() || !pending_epochs.empty() ||
                 !pending_retags.empty();
        };
        if (failing) write_cv.wait_for(lock, kRetry, [this] { return writer_stop; });
        else write_cv.wait(lock, ready);
        if (writer_stop) break;
      }
      failing = !write_pending();
    }
    // Stopping: a few last attempts (each waits up to the busy timeout).
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (write_pending()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  // Changes the epoch tag of the open segment's samples, in memory, in the
  // write queue and (queued) in the store. Caller holds state_mutex.
  void retag_open_segment(int to) {
    int from = epoch;
    auto retag = [&](Sample& s) {
      if (s.epoch != from) return;
      s.epoch = to;
      if (to == 0) s.phase = Phase::kOther;
    };
    for (Sample& s : segment_samples) retag(s);
    if (!store) return;
    std::lock_guard<std::mutex> lock(write_mutex);
    for (Sample& s : pending_samples) retag(s);
    pending_retags.emplace_back(from, to);
    write_cv.notify_all();
  }

  void stop_writer() {
    {
      std::lock_guard<std::mutex> lock(write_mutex);
      writer_stop = true;
      write_cv.notify_all();
    }
    if (writer.joinable()) writer.join();
  }

  // Closes the open segment at `end_s`; returns its energy. Caller holds state_mutex.
  EpochEnergy close_segment(double end_s) {
    std::vector<Sample> all;
    all.reserve(last_counter.size() + segment_samples.size());
    for (const auto& [key, s] : last_counter) all.push_back(s);
    all.insert(all.end(), segment_samples.begin(), segment_samples.end());
    EpochSpan span{in_epoch ? epoch : 0, segment_start_s, end_s};
    EpochEnergy e = compute_epoch_energy(all, {span}, options.interval_s, options.pue).front();
    e.started_at_s = segment_started_at_s;
    for (const Sample& s : segment_samples) {
      if (s.reading.power_mw && s.reading.energy_mj) {
        last_counter[{s.sensor, s.reading.device}] = s;
      }
    }
    segment_samples.clear();
    segment_start_s = end_s;
    segment_started_at_s = unix_now_s();
    return e;
  }

  void sampler_loop() {
    auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(options.interval_s));
    auto next = std::chrono::steady_clock::now() + interval;
    while (true) {
      {
        std::unique_lock<std::mutex> lock(state_mutex);
        if (cv.wait_until(lock, next, [this] { return stop_requested.load(); })) return;
      }
      try {
        take_sample();
      } catch (const std::exception&) {
        // A store write failure must not kill the process from a thread; the
        // samples stay in memory and the epoch figures are still computed.
      }
      next += interval;
      auto now = std::chrono::steady_clock::now();
      if (next <= now) {
        // Fell behind (a slow sensor or a suspended process): skip missed ticks.
        auto behind = (now - next) / interval + 1;
        next += behind * interval;
      }
    }
  }
};

Tracker::Tracker(TrackerOptions options, Store* store, int64_t run_id)
    : Tracker(options, make_sensors(options.sensors, [&] {
                SensorOptions so = options.sensor_options;
                so.interval_s = options.interval_s;
                return so;
              }()),
              store, run_id) {}

Tracker::Tracker(TrackerOptions options, std::vector<std::unique_ptr<Sensor>> sensors, Store* store,
                 int64_t run_id)
    : impl_(std::make_unique<Impl>()) {
  validate(options);
  if (sensors.empty()) throw std::invalid_argument("the tracker needs at least one sensor");
  impl_->options = std::move(options);
  impl_->store = store;
  impl_->run_id = run_id;
  impl_->sensors = std::move(sensors);
}

Tracker::~Tracker() {
  try {
    stop();
  } catch (...) {
    // Destructors must not throw; stop() already kept what it could.
  }
  // Whatever stop() did, no thread may outlive the tracker (a joinable
  // std::thread in a destructor is std::terminate).
  impl_->stop_requested = true;
  impl_->cv.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->stop_writer();
}

void Tracker::start() {
  if (impl_->started) throw std::logic_error("tracker already started");
  impl_->started = true;
  impl_->t0 = std::chrono::steady_clock::now();
  impl_->segment_started_at_s = unix_now_s();
  if (impl_->store) impl_->writer = std::thread([this] { impl_->writer_loop(); });
  impl_->take_sample();  // a reading at t=0 anchors counters and the first segment
  impl_->thread = std::thread([this] { impl_->sampler_loop(); });
}

void Tracker::stop() {
  if (!impl_->started || impl_->stopped) return;
  if (in_epoch()) end_epoch();
  impl_->stop_requested = true;
  impl_->cv.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->take_sample();
  {
    std::lock_guard<std::mutex> lock(impl_->state_mutex);
    impl_->stopped_at_s = impl_->now_s();
    add_into(impl_->outside, impl_->close_segment(impl_->stopped_at_s));
    impl_->stopped = true;
  }
  impl_->stop_writer();
  std::string error = store_error();
  if (!error.empty()) throw std::runtime_error(error);
}

std::string Tracker::store_error() const {
  std::lock_guard<std::mutex> lock(impl_->write_mutex);
  size_t samples = impl_->pending_samples.size(), epochs = impl_->pending_epochs.size();
  if (samples == 0 && epochs == 0) return "";
  // The store's messages start with the path (and may quote a statement).
  std::string reason = impl_->store_error;
  const std::string& path = impl_->store->path();
  if (reason.compare(0, path.size() + 2, path + ": ") == 0) reason = reason.substr(path.size() + 2);
  size_t quote = reason.rfind("': ");
  if (quote != std::string::npos) reason = reason.substr(quote + 3);
  return "could not write " + std::to_string(samples) + " sample(s) and " +
         std::to_string(epochs) + " epoch(s) to " + path + ": " + reason;
}

void Tracker::begin_epoch(int epoch) {
  if (!impl_->started || impl_->stopped) throw std::logic_error("begin_epoch outside start/stop");
  if (in_epoch()) end_epoch();
  impl_->take_sample();  // closes the gap before this epoch
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  add_into(impl_->outside, impl_->close_segment(impl_->now_s()));
  impl_->in_epoch = true;
  impl_->epoch = epoch;
  impl_->phase = Phase::kTrain;
}

void Tracker::set_phase(Phase phase) {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  impl_->phase = phase;
}

EpochEnergy Tracker::end_epoch() {
  if (!in_epoch()) throw std::logic_error("end_epoch without begin_epoch");
  impl_->take_sample();  // the boundary reading: last of this epoch
  EpochEnergy e;
  {
    std::lock_guard<std::mutex> lock(impl_->state_mutex);
    e = impl_->close_segment(impl_->now_s());
    impl_->finished.push_back(e);
    impl_->in_epoch = false;
    impl_->phase = Phase::kOther;
  }
  if (impl_->store) {
    EpochRecord r;
    r.run_id = impl_->run_id;
    r.epoch = e.epoch;
    r.started_at_s = e.started_at_s;
    r.duration_s = e.duration_s;
    r.energy_mwh = e.energy_mwh;
    r.counter_energy_mwh = e.counter_energy_mwh;
    r.mean_power_mw = e.mean_power_mw;
    r.n_samples = e.n_samples;
    r.coverage = e.coverage;
    r.source = e.source;
    r.streams = e.streams;
    if (impl_->options.queue_epoch_writes) impl_->queue_epoch(std::move(r));
    else impl_->store->put_epoch(r);
  }
  return e;
}

void Tracker::renumber_epoch(int epoch) {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  if (!impl_->in_epoch) throw std::logic_error("renumber_epoch without an open epoch");
  if (epoch == impl_->epoch) return;
  impl_->retag_open_segment(epoch);
  impl_->epoch = epoch;
}

void Tracker::cancel_epoch() {
  if (!in_epoch()) return;
  impl_->take_sample();  // the boundary reading
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  impl_->retag_open_segment(0);
  impl_->in_epoch = false;
  impl_->epoch = 0;
  impl_->phase = Phase::kOther;
  add_into(impl_->outside, impl_->close_segment(impl_->now_s()));
}

bool Tracker::in_epoch() const {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  return impl_->in_epoch;
}

int Tracker::current_epoch() const {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  return impl_->in_epoch ? impl_->epoch : 0;
}

std::vector<EpochEnergy> Tracker::epochs() const {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  std::vector<EpochEnergy> out = impl_->finished;
  if (impl_->in_epoch) {
    // The open epoch up to now, without closing it.
    std::vector<Sample> all;
    for (const auto& [key, s] : impl_->last_counter) all.push_back(s);
    all.insert(all.end(), impl_->segment_samples.begin(), impl_->segment_samples.end());
    EpochSpan span{impl_->epoch, impl_->segment_start_s, impl_->now_s()};
    EpochEnergy e =
        compute_epoch_energy(all, {span}, impl_->options.interval_s, impl_->options.pue).front();
    e.started_at_s = impl_->segment_started_at_s;
    out.push_back(e);
  }
  return out;
}

EnergyTotals Tracker::totals() const { return sum_epochs(epochs()); }

EpochEnergy Tracker::whole_run() const {
  EpochEnergy total;
  total.epoch = -1;
  for (const EpochEnergy& e : epochs()) add_into(total, e);
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  add_into(total, impl_->outside);
  return total;
}

const std::vector<std::unique_ptr<Sensor>>& Tracker::sensors() const { return impl_->sensors; }

std::string Tracker::sensor_summary() const {
  std::vector<std::string> names;
  for (const auto& s : impl_->sensors) names.push_back(s->name());
  return join(names, ",");
}

const TrackerOptions& Tracker::options() const { return impl_->options; }

}  // namespace powertrain
