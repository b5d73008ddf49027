#include "powertrain/energy/tracker.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "energy/process_cpu.h"
#include "powertrain/energy/sink.h"
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

// Adds a segment into a sum of segments. The counter figure stays only while
// every segment with energy has one: a sum over some of them is no total.
void add_into(EpochEnergy& total, const EpochEnergy& part, bool first) {
  total.duration_s += part.duration_s;
  total.energy_mwh += part.energy_mwh;
  total.n_samples += part.n_samples;
  if (first) {
    total.counter_energy_mwh = part.counter_energy_mwh;
  } else if (total.counter_energy_mwh && part.counter_energy_mwh) {
    *total.counter_energy_mwh += *part.counter_energy_mwh;
  } else if (part.duration_s > 0 || part.n_samples > 0) {
    total.counter_energy_mwh.reset();
  }
  total.components.add(part.components);
  if (part.attributed_mwh) {
    total.attributed_mwh = total.attributed_mwh.value_or(0) + *part.attributed_mwh;
  }
  if (first || total.source == part.source) {
    total.source = part.source;
  } else if (total.source == EnergySource::kModelled || part.source == EnergySource::kModelled) {
    total.source = EnergySource::kModelled;
  } else {
    total.source = EnergySource::kSampled;  // counter and sampled parts
  }
  total.mean_power_mw = total.duration_s > 0 ? total.energy_mwh * 3600.0 / total.duration_s : 0;
}

}  // namespace

// The time from start() to stop() is cut into segments: an epoch, or a gap
// outside epochs. Only the open segment's samples are held in memory; a closed
// segment keeps its energy and, per stream, its last counter reading (the
// next segment's starting point).
struct Tracker::Impl {
  TrackerOptions options;
  std::unique_ptr<EnergySink> sink;
  int64_t run_id = 0;
  std::vector<std::unique_ptr<Sensor>> sensors;

  std::chrono::steady_clock::time_point t0;
  mutable std::mutex sensor_mutex;  // sensors are not thread-safe
  mutable std::mutex state_mutex;   // everything below
  std::condition_variable cv;
  std::atomic<bool> stop_requested{false};
  std::thread thread;
  bool started = false;
  bool stopped = false;

  // Store writes: queued by the sampler, by end_epoch() (queue_epoch_writes)
  // and by stop() (the whole-run row), written by a
  // thread of their own so that neither sampling nor the caller ever waits
  // for the database (busy, full, read-only). What fails stays queued and is
  // retried; store_error says why the last attempt failed.
  std::mutex write_mutex;  // the queues and store_error
  std::condition_variable write_cv;
  std::deque<Sample> pending_samples;
  std::deque<EpochRecord> pending_epochs;
  std::deque<std::pair<int, int>> pending_retags;     // (old, new) epoch tags of written samples
  std::optional<RunEnergyRecord> pending_run_energy;  // the whole-run row, queued by stop()
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
  EpochEnergy outside;  // energy outside epochs, summed
  int n_outside_segments = 0;
  double stopped_at_s = 0;
  // The instant (now_s) of the last epoch boundary or phase change, as the
  // epoch figures use it.
  double boundary_s = 0;
  // Process attribution and the machine's utilisation (under sensor_mutex).
  std::unique_ptr<ProcessCpuShare> process_share;
  std::optional<double> last_share;  // of the last read that saw busy time
  bool process_share_set = false;    // under state_mutex: attribution is on
  // CPU time of the open segment (under state_mutex): the tree's share of it
  // splits the segment's CPU-side energy.
  double segment_tree_jiffies = 0, segment_busy_jiffies = 0;
  std::unique_ptr<ProcStat> machine_stat;
  std::optional<CpuTimes> machine_first, machine_last;

  double now_s() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  void add_outside(const EpochEnergy& e) {
    add_into(outside, e, n_outside_segments == 0);
    ++n_outside_segments;
  }

  // The tree's share of busy CPU time since the last sample, and the
  // machine's times; neither may stop the sampling. Caller holds sensor_mutex.
  std::optional<ProcessCpuShare::Delta> read_cpu_shares() {
    if (machine_stat) {
      try {
        machine_last = machine_stat->read();
      } catch (const std::exception&) {
        // The utilisation then spans up to the last good read.
      }
    }
    if (!process_share) return std::nullopt;
    try {
      auto delta = process_share->next();
      if (delta) last_share = delta->share();
      return delta;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }

  // One read of every sensor, in order; a sensor that throws gives one
  // reading with the error. Caller holds sensor_mutex, not state_mutex.
  std::vector<std::vector<PowerReading>> read_sensors() {
    std::vector<std::vector<PowerReading>> out(sensors.size());
    for (size_t i = 0; i < sensors.size(); ++i) {
      try {
        out[i] = sensors[i]->read();
      } catch (const std::exception& e) {
        PowerReading r;
        r.device = "*";
        r.error = e.what();
        out[i].push_back(std::move(r));
      }
    }
    return out;
  }

  // Reads every sensor once and files the samples under the current tags.
  // `periodic`: taken by the sampler's clock, not at a boundary.
  //
  // The sensors are read without state_mutex (a slow read must not hold up
  // set_phase() or the figures); only sensor_mutex orders the reads. A
  // sample is stamped with the instant its read completed and filed under
  // the epoch and phase in force at that instant: a read that straddles a
  // phase change or epoch boundary made meanwhile belongs to what follows
  // the boundary, as its time stamp says (mono_s >= last_boundary_s()).
  //
  // `at_boundary` runs under state_mutex right after filing, with the
  // readings' time: a boundary reading and the segment it closes share one
  // instant, so no later reading (nor the sink write's time) slips in between.
  void take_sample(bool periodic = false,
                   const std::function<void(double mono_s)>& at_boundary = {}) {
    std::lock_guard<std::mutex> sensors_lock(sensor_mutex);
    std::optional<ProcessCpuShare::Delta> delta = read_cpu_shares();
    std::optional<double> share = process_share ? last_share : std::nullopt;
    std::vector<std::vector<PowerReading>> readings = read_sensors();
    std::lock_guard<std::mutex> lock(state_mutex);
    if (delta) {
      segment_tree_jiffies += delta->tree_jiffies;
      segment_busy_jiffies += delta->busy_jiffies;
    }
    const double mono = now_s();
    const double wall = unix_now_s();
    std::vector<Sample> batch;
    for (size_t i = 0; i < sensors.size(); ++i) {
      for (PowerReading& r : readings[i]) {
        Sample s;
        s.run_id = run_id;
        s.wall_time_s = wall;
        s.mono_s = mono;
        s.epoch = in_epoch ? epoch : 0;
        s.phase = in_epoch ? phase : Phase::kOther;
        s.sensor = sensors[i]->name();
        s.reading = std::move(r);
        s.periodic = periodic;
        if (share && s.reading.power_mw && is_cpu_side(component_of(s.sensor, s.reading.device))) {
          s.attributed_power_mw = *s.reading.power_mw * *share;
        }
        segment_samples.push_back(s);
        batch.push_back(std::move(s));
      }
    }
    // Handed to the sink (by the writer) at once so that a killed process
    // loses at most about this interval. Queued before at_boundary so that a
    // retag there (cancel_epoch) reaches this batch too.
    if (sink) {
      std::lock_guard<std::mutex> write_lock(write_mutex);
      for (Sample& s : batch) pending_samples.push_back(std::move(s));
      write_cv.notify_all();
    }
    if (at_boundary) at_boundary(mono);
  }

  // Hands an ended epoch's one row (energy and the caller's figures) to the
  // sink: at once, or queued per TrackerOptions::queue_epoch_writes.
  void record_epoch(const EpochEnergy& e, const EpochMetrics& metrics) {
    if (!sink) return;
    EpochRecord r = make_epoch_record(run_id, e);
    r.train_loss = metrics.train_loss;
    r.val_loss = metrics.val_loss;
    r.metric = metrics.metric;
    r.samples_per_s = metrics.samples_per_s;
    if (options.queue_epoch_writes)
      queue_epoch(std::move(r));
    else
      sink->on_epoch(r);
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
    std::optional<RunEnergyRecord> run_energy;
    {
      std::lock_guard<std::mutex> lock(write_mutex);
      run_energy = pending_run_energy;
    }
    if (samples.empty() && epochs.empty() && retags.empty() && !run_energy) return true;
    // Each step leaves the queue as soon as it is in, so that a retry never
    // writes a sample twice (new items only ever join the back of a queue).
    auto done = [this](auto& queue, size_t n) {
      std::lock_guard<std::mutex> lock(write_mutex);
      queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
    };
    try {
      if (!samples.empty()) sink->on_samples(samples);  // all or none
      done(pending_samples, samples.size());
      for (const auto& [from, to] : retags) {
        sink->on_retag(run_id, from, to);
        done(pending_retags, 1);
      }
      for (const EpochRecord& e : epochs) {
        sink->on_epoch(e);
        done(pending_epochs, 1);
      }
      if (run_energy) {
        sink->on_run_energy(*run_energy);
        std::lock_guard<std::mutex> lock(write_mutex);
        pending_run_energy.reset();
      }
    } catch (const std::exception& e) {
      // The sink wrote all or none of this step; the retry starts afresh.
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
                 !pending_retags.empty() || pending_run_energy.has_value();
        };
        if (failing)
          write_cv.wait_for(lock, kRetry, [this] { return writer_stop; });
        else
          write_cv.wait(lock, ready);
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
    if (!sink) return;
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

  // The tree's share of the segment's busy CPU time (a ratio of sums, so a
  // short interval between two reads weighs by its CPU time, not as one
  // sample) applied to each CPU-side stream's energy. Caller holds state_mutex.
  void attribute(EpochEnergy& e) const {
    e.attributed_mwh.reset();
    for (StreamEnergy& x : e.streams) x.attributed_energy_mwh.reset();
    if (!process_share_set || segment_busy_jiffies <= 0) return;
    const double share = std::min(1.0, segment_tree_jiffies / segment_busy_jiffies);
    for (StreamEnergy& x : e.streams) {
      if (!is_cpu_side(x.component)) continue;
      x.attributed_energy_mwh = x.energy_mwh * share;
      e.attributed_mwh = e.attributed_mwh.value_or(0) + *x.attributed_energy_mwh;
    }
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
    attribute(e);
    for (const Sample& s : segment_samples) {
      if (s.reading.power_mw && s.reading.energy_mj) {
        last_counter[{s.sensor, s.reading.device}] = s;
      }
    }
    segment_samples.clear();
    segment_tree_jiffies = segment_busy_jiffies = 0;
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
        take_sample(true);
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

Tracker::Tracker(TrackerOptions options, std::unique_ptr<EnergySink> sink, int64_t run_id)
    : Tracker(options,
              make_sensors(options.sensors,
                           [&] {
                             SensorOptions so = options.sensor_options;
                             so.interval_s = options.interval_s;
                             return so;
                           }()),
              std::move(sink), run_id) {}

Tracker::Tracker(TrackerOptions options, std::vector<std::unique_ptr<Sensor>> sensors,
                 std::unique_ptr<EnergySink> sink, int64_t run_id)
    : impl_(std::make_unique<Impl>()) {
  validate(options);
  if (sensors.empty()) throw std::invalid_argument("the tracker needs at least one sensor");
  impl_->options = std::move(options);
  impl_->sink = std::move(sink);
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
  try {
    impl_->machine_stat =
        std::make_unique<ProcStat>(impl_->options.sensor_options.proc_root + "/stat");
    impl_->machine_first = impl_->machine_stat->read();
    impl_->machine_last = impl_->machine_first;
  } catch (const std::exception&) {
    impl_->machine_stat.reset();  // no /proc: the utilisation is unknown, not 0
  }
  if (impl_->sink) impl_->writer = std::thread([this] { impl_->writer_loop(); });
  impl_->take_sample();  // a reading at t=0 anchors counters and the first segment
  impl_->thread = std::thread([this] { impl_->sampler_loop(); });
}

void Tracker::stop() {
  if (!impl_->started || impl_->stopped) return;
  if (in_epoch()) end_epoch();
  impl_->stop_requested = true;
  impl_->cv.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->take_sample(false, [this](double mono_s) {
    impl_->stopped_at_s = mono_s;
    impl_->add_outside(impl_->close_segment(mono_s));
    impl_->stopped = true;
  });
  write_run_energy();
  impl_->stop_writer();
  std::string error = store_error();
  if (!error.empty()) throw std::runtime_error(error);
}

// Queues the whole-run row (run_energy); the writer's last attempts in
// stop_writer() write it with the rest.
void Tracker::write_run_energy() {
  if (!impl_->sink) return;
  EpochEnergy whole = whole_run();
  RunEnergyRecord r;
  r.run_id = impl_->run_id;
  r.duration_s = whole.duration_s;
  r.energy_mwh = whole.energy_mwh;
  r.counter_energy_mwh = whole.counter_energy_mwh;
  r.n_samples = whole.n_samples;
  r.source = whole.source;
  r.components = whole.components;
  r.attributed_mwh = whole.attributed_mwh;
  EpochEnergy out = outside();
  r.outside_duration_s = out.duration_s;
  r.outside_mwh = out.energy_mwh;
  r.cpu_utilization_pct = cpu_utilization_pct();
  r.tracking_mode = tracking_mode();
  r.interval_s = impl_->options.interval_s;
  MachineInfo machine = read_machine_info(impl_->options.sensor_options.proc_root);
  r.os = machine.os;
  r.cpu_model = machine.cpu_model;
  r.cpu_count = machine.cpu_count;
  r.ram_total_gb = machine.ram_total_gb;
  r.ram_used_gb = machine.ram_used_gb;
  r.sensor_provenance = sensor_provenance();
  std::lock_guard<std::mutex> lock(impl_->write_mutex);
  impl_->pending_run_energy = std::move(r);
  impl_->write_cv.notify_all();
}

std::string Tracker::store_error() const {
  std::lock_guard<std::mutex> lock(impl_->write_mutex);
  size_t samples = impl_->pending_samples.size(), epochs = impl_->pending_epochs.size();
  const bool run_energy = impl_->pending_run_energy.has_value();
  if (samples == 0 && epochs == 0 && !run_energy) return "";
  std::string reason = impl_->sink->short_reason(impl_->store_error);
  const std::string path = impl_->sink->where();
  return "could not write " + std::to_string(samples) + " sample(s) and " + std::to_string(epochs) +
         " epoch(s)" + (run_energy ? " and the run's energy" : "") + " to " + path + ": " + reason;
}

void Tracker::begin_epoch(int epoch) {
  if (!impl_->started || impl_->stopped) throw std::logic_error("begin_epoch outside start/stop");
  // One reading closes what is open (the gap before this epoch, or the
  // previous epoch) and opens this epoch at the same instant: back-to-back
  // epochs leave no time between them outside.
  std::optional<EpochEnergy> ended;
  impl_->take_sample(false, [this, epoch, &ended](double mono_s) {
    EpochEnergy e = impl_->close_segment(mono_s);
    if (impl_->in_epoch) {
      impl_->finished.push_back(e);
      ended = std::move(e);
    } else {
      impl_->add_outside(e);
    }
    impl_->boundary_s = mono_s;
    impl_->in_epoch = true;
    impl_->epoch = epoch;
    impl_->phase = Phase::kTrain;
  });
  if (ended) impl_->record_epoch(*ended, {});
}

void Tracker::set_phase(Phase phase) {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  impl_->phase = phase;
  impl_->boundary_s = impl_->now_s();
}

double Tracker::last_boundary_s() const {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  return impl_->boundary_s;
}

EpochEnergy Tracker::end_epoch(const EpochMetrics& metrics) {
  if (!in_epoch()) throw std::logic_error("end_epoch without begin_epoch");
  EpochEnergy e;
  // The boundary reading: last of this epoch, at its end.
  impl_->take_sample(false, [this, &e](double mono_s) {
    e = impl_->close_segment(mono_s);
    impl_->boundary_s = mono_s;
    impl_->finished.push_back(e);
    impl_->in_epoch = false;
    impl_->phase = Phase::kOther;
  });
  impl_->record_epoch(e, metrics);
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
  // The boundary reading, and the segment closed at its instant (its samples,
  // the boundary's too, are retagged before the segment closes).
  impl_->take_sample(false, [this](double mono_s) {
    impl_->retag_open_segment(0);
    impl_->in_epoch = false;
    impl_->epoch = 0;
    impl_->phase = Phase::kOther;
    impl_->add_outside(impl_->close_segment(mono_s));
  });
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
    impl_->attribute(e);
    out.push_back(e);
  }
  return out;
}

EnergyTotals Tracker::totals() const { return sum_epochs(epochs()); }

EpochEnergy Tracker::whole_run() const {
  EpochEnergy total;
  total.epoch = -1;
  bool first = true;
  for (const EpochEnergy& e : epochs()) {
    add_into(total, e, first);
    first = false;
  }
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  if (impl_->n_outside_segments > 0) add_into(total, impl_->outside, first);
  return total;
}

EpochEnergy Tracker::outside() const {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  EpochEnergy o = impl_->outside;
  o.epoch = 0;
  return o;
}

void Tracker::track_process(int pid) {
  auto share = std::make_unique<ProcessCpuShare>(impl_->options.sensor_options.proc_root, pid);
  std::lock_guard<std::mutex> sensors_lock(impl_->sensor_mutex);
  impl_->process_share = std::move(share);
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  impl_->process_share_set = true;
}

std::string Tracker::tracking_mode() const {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);  // not behind a sensor read
  return impl_->process_share_set ? "process" : "machine";
}

std::optional<double> Tracker::cpu_utilization_pct() const {
  std::lock_guard<std::mutex> sensors_lock(impl_->sensor_mutex);
  if (!impl_->machine_first || !impl_->machine_last) return std::nullopt;
  double total = impl_->machine_last->total - impl_->machine_first->total;
  if (total <= 0) return std::nullopt;
  return 100.0 * (impl_->machine_last->busy - impl_->machine_first->busy) / total;
}

const std::vector<std::unique_ptr<Sensor>>& Tracker::sensors() const { return impl_->sensors; }

std::string Tracker::sensor_provenance() const {
  std::vector<std::string> lines;
  for (const auto& s : impl_->sensors) {
    std::string p = s->provenance();
    if (!p.empty()) lines.push_back(p);
  }
  return join(lines, "\n");
}

std::string Tracker::sensor_summary() const {
  std::vector<std::string> names;
  for (const auto& s : impl_->sensors) names.push_back(s->name());
  return join(names, ",");
}

const TrackerOptions& Tracker::options() const { return impl_->options; }

}  // namespace powertrain
