// The Python module `powertrain`: the C++ Tracker (powertrain/energy/tracker.h)
// and the run database behind a small Python API.
//
//   import powertrain
//   with powertrain.Tracker(interval=1.0, db="runs.db") as t:
//       for epoch in range(3):
//           t.phase("train"); ...
//           t.phase("validate"); ...
//           e = t.epoch(train_loss=0.3, metric=0.9)   # e.energy_j, e.mean_power_w, ...
//
// Every call that may wait (a sensor read, a database write, joining the
// sampler) releases the GIL, so the training's other threads run meanwhile.
// C++ errors reach Python with their text: std::invalid_argument as
// ValueError, the rest as RuntimeError.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "powertrain/energy/epoch_energy.h"
#include "powertrain/energy/sensor.h"
#include "powertrain/energy/tracker.h"
#include "powertrain/store/run_recorder.h"
#include "powertrain/store/store.h"
#include "powertrain/store/store_sink.h"

namespace py = pybind11;

namespace powertrain::python {
namespace {

constexpr double kJoulesPerMwh = 3.6;

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// ---------------------------------------------------------------------------
// What Python reads: one epoch's energy (or the whole run's), in J and W as
// well as the store's mWh, with how and where it was obtained.

struct StreamRecord {
  std::string sensor;  // "nvml", "rapl", "model", ...
  std::string device;  // "gpu0", "package-0", ...
  std::string component;
  std::string method;  // "counter", "sampled", "modelled"
  double mean_power_w = 0;
  double energy_j = 0;  // equation 1
  std::optional<double> counter_energy_j;
  int n_samples = 0;
  int n_failed = 0;
};

struct EnergyRecord {
  std::optional<int> epoch;  // None for the whole run
  double started_at = 0;     // Unix time
  double duration_s = 0;
  double energy_j = 0;  // equation 1 (mean sampled power x duration), times PUE
  double energy_mwh = 0;
  double mean_power_w = 0;
  std::optional<double> counter_energy_j;  // from hardware counters, when every device has one
  std::string method;                      // "counter", "sampled" or "modelled"
  std::string device;                      // "nvml:gpu0,rapl:package-0"
  std::vector<std::string> devices;
  double interval_s = 0;
  int n_samples = 0;
  double coverage = 0;
  bool short_epoch = false;
  std::map<std::string, double> components_j;  // "gpu", "cpu_package", ...
  std::optional<double> attributed_j;
  std::vector<StreamRecord> streams;
  std::optional<double> train_loss, val_loss, metric, samples_per_s;
};

EnergyRecord to_record(const EpochEnergy& e, double interval_s, const EpochMetrics& m,
                       std::optional<int> epoch) {
  EnergyRecord r;
  r.epoch = epoch;
  r.started_at = e.started_at_s;
  r.duration_s = e.duration_s;
  r.energy_mwh = e.energy_mwh;
  r.energy_j = e.energy_mwh * kJoulesPerMwh;
  r.mean_power_w = e.mean_power_mw / 1000.0;
  if (e.counter_energy_mwh) r.counter_energy_j = *e.counter_energy_mwh * kJoulesPerMwh;
  r.method = std::string(to_string(e.source));
  r.interval_s = interval_s;
  r.n_samples = e.n_samples;
  r.coverage = e.coverage;
  r.short_epoch = e.short_epoch;
  for (int i = 0; i < kComponentCount; ++i) {
    if (e.components.mwh[i]) {
      r.components_j[std::string(to_string(static_cast<Component>(i)))] =
          *e.components.mwh[i] * kJoulesPerMwh;
    }
  }
  if (e.attributed_mwh) r.attributed_j = *e.attributed_mwh * kJoulesPerMwh;
  for (const StreamEnergy& x : e.streams) {
    StreamRecord s;
    s.sensor = x.sensor;
    s.device = x.device;
    s.component = std::string(to_string(x.component));
    s.method = std::string(to_string(x.source));
    s.mean_power_w = x.mean_power_mw / 1000.0;
    s.energy_j = x.energy_mwh * kJoulesPerMwh;
    if (x.counter_energy_mwh) s.counter_energy_j = *x.counter_energy_mwh * kJoulesPerMwh;
    s.n_samples = x.n_samples;
    s.n_failed = x.n_failed;
    std::string name = x.sensor + ":" + x.device;
    r.device += (r.device.empty() ? "" : ",") + name;
    r.devices.push_back(name);
    r.streams.push_back(std::move(s));
  }
  r.train_loss = m.train_loss;
  r.val_loss = m.val_loss;
  r.metric = m.metric;
  r.samples_per_s = m.samples_per_s;
  return r;
}

// ---------------------------------------------------------------------------
// The run: a tracker, and with a database the run's row in it (a
// RunRecorder) and the store as the tracker's sink.

struct RunOptions {
  TrackerOptions tracker;
  std::string db;    // "" = in memory only
  std::string name;  // the runs.command column: what was tracked
  std::string device = "host";
};

struct Recording {
  std::unique_ptr<Store> store;  // declared first: outlives the tracker that writes to it
  std::optional<RunRecorder> run;
  std::unique_ptr<Tracker> tracker;
};

Recording open_recording(const RunOptions& options) {
  validate(options.tracker);
  // Everything that can fail on bad input before anything is recorded.
  SensorOptions sensor_options = options.tracker.sensor_options;
  sensor_options.interval_s = options.tracker.interval_s;
  std::vector<std::unique_ptr<Sensor>> sensors =
      make_sensors(options.tracker.sensors, sensor_options);
  Recording r;
  if (options.db.empty()) {
    r.tracker = std::make_unique<Tracker>(options.tracker, std::move(sensors));
    return r;
  }
  r.store = std::make_unique<Store>(options.db);
  RunRecord record;
  record.kind = "python";
  record.command = options.name;
  record.host = host_name();
  record.pid = static_cast<int64_t>(getpid());
  record.device = options.device;
  record.interval_s = options.tracker.interval_s;
  record.pue = options.tracker.pue;
  r.run.emplace(*r.store, record);
  r.tracker = std::make_unique<Tracker>(options.tracker, std::move(sensors),
                                        make_store_sink(*r.store), r.run->id());
  r.run->edit().sensors = r.tracker->sensor_summary();
  r.run->update();
  return r;
}

// Stops the tracker and records how the run ended. Returns the error that
// stopping met ("" if none): samples or the run's row that could not be
// written make the run failed.
std::string close_recording(Recording& r, bool failed, const std::string& error) {
  std::string stop_error;
  try {
    r.tracker->stop();
  } catch (const std::exception& e) {
    stop_error = e.what();
  }
  if (!r.run) return stop_error;
  std::string why = error;
  if (!stop_error.empty()) why += (why.empty() ? "" : "; ") + stop_error;
  std::string write_error;
  if (failed || !stop_error.empty()) {
    write_error = r.run->fail(why);
  } else {
    try {
      r.run->finish(RunStatus::kDone);
    } catch (const std::exception& e) {
      write_error = e.what();
    }
  }
  if (!write_error.empty()) {
    stop_error += (stop_error.empty() ? "" : "; ") +
                  ("could not record the end of run " + std::to_string(r.run->id()) + " in " +
                   r.store->path() + ": " + write_error);
  }
  return stop_error;
}

// ---------------------------------------------------------------------------
// The Python Tracker. Epochs tile the run: the first begins at start(), each
// epoch() ends one and begins the next, and stop() turns the one still open
// into time outside every epoch unless phase() was called in it (a run that
// failed mid-epoch keeps its partial epoch). Every method may be called from
// any thread; a mutex keeps them in order.

class PyTracker {
 public:
  explicit PyTracker(const RunOptions& options)
      : interval_s_(options.tracker.interval_s), rec_(open_recording(options)) {}

  ~PyTracker() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (started_ && !stopped_) {
      stopped_ = true;
      end_open_epoch();
      close_recording(rec_, true, "the Tracker was destroyed without stop()");
    }
  }

  void start() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (started_) throw std::runtime_error("the tracker was already started");
    rec_.tracker->start();
    started_ = true;
    rec_.tracker->begin_epoch(next_epoch_);
    phase_called_ = false;
  }

  void phase(const std::string& name) {
    Phase p = parse_phase(name);
    std::lock_guard<std::mutex> lock(mutex_);
    require_running("phase()");
    rec_.tracker->set_phase(p);
    phase_called_ = true;
  }

  EnergyRecord epoch(const EpochMetrics& metrics) {
    std::lock_guard<std::mutex> lock(mutex_);
    require_running("epoch()");
    const int n = next_epoch_;
    auto begin_next = [&] {
      metrics_[n] = metrics;
      ++next_epoch_;
      rec_.tracker->begin_epoch(next_epoch_);
      phase_called_ = false;
    };
    EpochEnergy e;
    try {
      e = rec_.tracker->end_epoch(metrics);
    } catch (const std::exception&) {
      // The epoch ended but its row could not be written (a locked or full
      // database): the error goes to the caller, and the next epoch begins
      // all the same, so that a loop that goes on is still measured.
      if (!rec_.tracker->in_epoch()) begin_next();
      throw;
    }
    begin_next();
    return to_record(e, interval_s_, metrics, n);
  }

  // Stops sampling and records the run as done, or as failed with `error`.
  // Throws std::runtime_error when measurements could not be written.
  void stop(bool failed, const std::string& error) {
    std::string stop_error;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!started_) throw std::runtime_error("stop() before start()");
      if (stopped_) return;
      stopped_ = true;
      end_open_epoch();
      stop_error = close_recording(rec_, failed, error);
    }
    if (!stop_error.empty()) throw std::runtime_error(stop_error);
  }

  // The epochs ended by epoch() (and a partial one ended by stop()).
  std::vector<EnergyRecord> epochs() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<EnergyRecord> out;
    if (!started_) return out;
    std::vector<EpochEnergy> all = rec_.tracker->epochs();
    if (rec_.tracker->in_epoch() && !all.empty()) all.pop_back();  // the open one
    for (const EpochEnergy& e : all)
      out.push_back(to_record(e, interval_s_, metrics_of(e.epoch), e.epoch));
    return out;
  }

  // The open epoch up to now, if any.
  std::optional<EnergyRecord> current() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!started_ || stopped_ || !rec_.tracker->in_epoch()) return std::nullopt;
    std::vector<EpochEnergy> all = rec_.tracker->epochs();
    if (all.empty()) return std::nullopt;
    return to_record(all.back(), interval_s_, {}, all.back().epoch);
  }

  // The whole run from start() to now or stop(), epochs or not.
  EnergyRecord total() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!started_) throw std::runtime_error("total before start(): nothing was measured yet");
    EnergyRecord r = to_record(rec_.tracker->whole_run(), interval_s_, {}, std::nullopt);
    // The whole run's figure has no per-stream part: its devices are the sensors'.
    if (r.devices.empty()) {
      for (const auto& sensor : rec_.tracker->sensors()) {
        for (const DeviceInfo& d : sensor->devices()) {
          r.devices.push_back(sensor->name() + ":" + d.id);
          r.device += (r.device.empty() ? "" : ",") + r.devices.back();
        }
      }
    }
    return r;
  }

  std::optional<int64_t> run_id() const {
    if (!rec_.run) return std::nullopt;
    return rec_.run->id();
  }
  std::optional<std::string> db() const {
    if (!rec_.store) return std::nullopt;
    return rec_.store->path();
  }
  std::string sensors() const { return rec_.tracker->sensor_summary(); }
  double interval_s() const { return interval_s_; }
  bool running() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return started_ && !stopped_;
  }

 private:
  void require_running(const char* what) const {
    if (!started_) {
      throw std::runtime_error(std::string(what) +
                               " before start(): use `with powertrain.Tracker(...) as t:` or "
                               "call t.start() first");
    }
    if (stopped_) throw std::runtime_error(std::string(what) + " after stop()");
  }

  // The epoch opened by the last epoch() (or start()) without a phase() call
  // is the time after the last epoch: outside every epoch.
  void end_open_epoch() {
    if (rec_.tracker->in_epoch() && !phase_called_) rec_.tracker->cancel_epoch();
  }

  EpochMetrics metrics_of(int epoch) const {
    auto it = metrics_.find(epoch);
    return it == metrics_.end() ? EpochMetrics{} : it->second;
  }

  const double interval_s_;
  mutable std::mutex mutex_;
  Recording rec_;
  bool started_ = false;
  bool stopped_ = false;
  bool phase_called_ = false;
  int next_epoch_ = 1;
  std::map<int, EpochMetrics> metrics_;
};

// ---------------------------------------------------------------------------
// Python-side arguments.

std::vector<std::string> sensor_list(const py::object& sensors) {
  std::vector<std::string> out;
  if (sensors.is_none()) return out;
  if (py::isinstance<py::str>(sensors)) {
    // "rapl,nvml"; every field counts, so that "model," is an empty name.
    std::string text = sensors.cast<std::string>();
    size_t begin = 0;
    while (true) {
      size_t comma = text.find(',', begin);
      out.push_back(text.substr(begin, comma == std::string::npos ? comma : comma - begin));
      if (comma == std::string::npos) break;
      begin = comma + 1;
    }
  } else {
    for (const py::handle& item : sensors) {
      if (!py::isinstance<py::str>(item)) {
        throw std::invalid_argument("sensors=" + py::repr(sensors).cast<std::string>() +
                                    ": each sensor is a name (str)");
      }
      out.push_back(item.cast<std::string>());
    }
  }
  for (std::string& s : out) {
    s.erase(0, s.find_first_not_of(" \t"));
    s.erase(s.find_last_not_of(" \t") + 1);
    if (s.empty()) throw std::invalid_argument("sensors has an empty name");
  }
  return out;
}

// What the run is called in the database when no name is given: the script's
// command line.
std::string default_name() {
  py::list argv = py::module_::import("sys").attr("argv");
  std::string name = "python";
  for (const py::handle& a : argv) name += " " + py::str(a).cast<std::string>();
  return name;
}

void check_paths(const SensorOptions& o) {
  auto nonempty = [](const std::string& value, const char* keyword, const char* what) {
    if (value.empty())
      throw std::invalid_argument(std::string(keyword) + " is empty: name " + what);
  };
  nonempty(o.rapl_root, "rapl_root", "the powercap folder");
  nonempty(o.hwmon_root, "hwmon_root", "the hwmon folder");
  nonempty(o.proc_root, "proc_root", "the procfs folder");
  nonempty(o.nvml_library, "nvml_library", "the NVML library");
  if (o.cpu_tdp_w && !(*o.cpu_tdp_w > 0 && *o.cpu_tdp_w <= 10000)) {
    throw std::invalid_argument("cpu_tdp_w=" + number(*o.cpu_tdp_w) +
                                ": must be a power above 0 W (and at most 10000 W)");
  }
}

std::unique_ptr<PyTracker> make_tracker(
    double interval, const py::object& db, const py::object& sensors, const py::object& name,
    double pue, const std::string& device, const std::optional<std::string>& rapl_root,
    const std::optional<std::string>& hwmon_root, const std::optional<std::string>& proc_root,
    const std::optional<std::string>& nvml_library,
    const std::optional<std::string>& powermetrics_program, std::optional<double> cpu_tdp_w) {
  RunOptions o;
  o.tracker.interval_s = interval;
  o.tracker.pue = pue;
  o.tracker.sensors = sensor_list(sensors);
  SensorOptions& so = o.tracker.sensor_options;
  if (rapl_root) so.rapl_root = *rapl_root;
  if (hwmon_root) so.hwmon_root = *hwmon_root;
  if (proc_root) so.proc_root = *proc_root;
  if (nvml_library) so.nvml_library = *nvml_library;
  if (powermetrics_program) so.powermetrics_program = *powermetrics_program;
  so.cpu_tdp_w = cpu_tdp_w;
  check_paths(so);
  if (!db.is_none()) {
    // str or os.PathLike
    o.db = py::str(py::module_::import("os").attr("fspath")(db)).cast<std::string>();
    if (o.db.empty()) throw std::invalid_argument("db is empty: name a database file, or None");
  }
  o.name = name.is_none() ? default_name() : py::str(name).cast<std::string>();
  o.device = device;
  py::gil_scoped_release release;  // sensors may be slow to open (dlopen, a locked database)
  return std::make_unique<PyTracker>(o);
}

std::string exception_text(const py::object& type, const py::object& value) {
  std::string text = py::str(type.attr("__name__")).cast<std::string>();
  std::string message = value.is_none() ? "" : py::str(value).cast<std::string>();
  return message.empty() ? text : text + ": " + message;
}

py::dict record_dict(const EnergyRecord& r) {
  py::dict d;
  if (r.epoch) d["epoch"] = *r.epoch;
  d["energy_j"] = r.energy_j;
  d["energy_mwh"] = r.energy_mwh;
  d["mean_power_w"] = r.mean_power_w;
  d["duration_s"] = r.duration_s;
  if (r.counter_energy_j) d["counter_energy_j"] = *r.counter_energy_j;
  d["method"] = r.method;
  d["device"] = r.device;
  d["interval_s"] = r.interval_s;
  d["n_samples"] = r.n_samples;
  d["coverage"] = r.coverage;
  for (const auto& [component, joules] : r.components_j) d[py::str(component + "_j")] = joules;
  if (r.attributed_j) d["attributed_j"] = *r.attributed_j;
  return d;
}

// A method that runs without the GIL (its result is converted after).
template <typename Method>
py::cpp_function released(Method method) {
  return py::cpp_function(method, py::call_guard<py::gil_scoped_release>());
}

std::string record_repr(const EnergyRecord& r) {
  std::ostringstream s;
  s << "EnergyRecord(" << (r.epoch ? "epoch=" + std::to_string(*r.epoch) : "run") << ", "
    << number(r.energy_j) << " J, " << number(r.mean_power_w) << " W over " << number(r.duration_s)
    << " s, " << r.method << " on " << r.device << " every " << number(r.interval_s) << " s)";
  return s.str();
}

}  // namespace
}  // namespace powertrain::python

using namespace powertrain::python;  // NOLINT: the module's definition below only

PYBIND11_MODULE(powertrain, m) {
  m.doc() =
      "Energy of neural-network training per epoch, measured by powertrain's C++ tracker "
      "(NVML, RAPL, powermetrics or a model).";

  py::class_<StreamRecord>(m, "StreamRecord", "One device's part of an energy record.")
      .def_readonly("sensor", &StreamRecord::sensor)
      .def_readonly("device", &StreamRecord::device)
      .def_readonly("component", &StreamRecord::component)
      .def_readonly("method", &StreamRecord::method)
      .def_readonly("mean_power_w", &StreamRecord::mean_power_w)
      .def_readonly("energy_j", &StreamRecord::energy_j)
      .def_readonly("counter_energy_j", &StreamRecord::counter_energy_j)
      .def_readonly("n_samples", &StreamRecord::n_samples)
      .def_readonly("n_failed", &StreamRecord::n_failed)
      .def("__repr__", [](const StreamRecord& s) {
        return "StreamRecord(" + s.sensor + ":" + s.device + ", " + number(s.energy_j) + " J, " +
               number(s.mean_power_w) + " W, " + s.method + ")";
      });

  py::class_<EnergyRecord>(m, "EnergyRecord",
                           "Energy of one epoch (or of the whole run: epoch is None). energy_j = "
                           "mean_power_w * duration_s (equation 1, times PUE).")
      .def_readonly("epoch", &EnergyRecord::epoch)
      .def_readonly("started_at", &EnergyRecord::started_at, "Unix time")
      .def_readonly("duration_s", &EnergyRecord::duration_s)
      .def_readonly("energy_j", &EnergyRecord::energy_j)
      .def_readonly("energy_mwh", &EnergyRecord::energy_mwh)
      .def_readonly("mean_power_w", &EnergyRecord::mean_power_w)
      .def_readonly("counter_energy_j", &EnergyRecord::counter_energy_j,
                    "From hardware energy counters, when every device has one; else None")
      .def_readonly("method", &EnergyRecord::method, "'counter', 'sampled' or 'modelled'")
      .def_readonly("device", &EnergyRecord::device, "'sensor:device' of every stream, by commas")
      .def_readonly("devices", &EnergyRecord::devices)
      .def_readonly("interval_s", &EnergyRecord::interval_s, "The sampling interval")
      .def_readonly("n_samples", &EnergyRecord::n_samples)
      .def_readonly("coverage", &EnergyRecord::coverage)
      .def_readonly("short_epoch", &EnergyRecord::short_epoch)
      .def_readonly("components_j", &EnergyRecord::components_j)
      .def_readonly("attributed_j", &EnergyRecord::attributed_j)
      .def_readonly("streams", &EnergyRecord::streams)
      .def_readonly("train_loss", &EnergyRecord::train_loss)
      .def_readonly("val_loss", &EnergyRecord::val_loss)
      .def_readonly("metric", &EnergyRecord::metric)
      .def_readonly("samples_per_s", &EnergyRecord::samples_per_s)
      .def("as_dict", &record_dict, "The figures as a flat dict (e.g. for wandb.log)")
      .def("__repr__", &record_repr);

  py::class_<PyTracker>(m, "Tracker",
                        "Samples power in a C++ thread and splits energy per epoch.\n\n"
                        "with powertrain.Tracker(interval=1.0, db='runs.db') as t:\n"
                        "    t.phase('train'); ...; t.phase('validate'); ...\n"
                        "    e = t.epoch(train_loss=..., metric=...)\n\n"
                        "Epochs tile the run: the first begins when the with block starts, "
                        "each epoch() ends one and begins the next.")
      .def(py::init(&make_tracker), py::kw_only(), py::arg("interval") = 1.0,
           py::arg("db") = py::none(), py::arg("sensors") = py::none(),
           py::arg("name") = py::none(), py::arg("pue") = 1.0, py::arg("device") = "host",
           py::arg("rapl_root") = py::none(), py::arg("hwmon_root") = py::none(),
           py::arg("proc_root") = py::none(), py::arg("nvml_library") = py::none(),
           py::arg("powermetrics_program") = py::none(), py::arg("cpu_tdp_w") = py::none(),
           "interval: seconds between samples (0.01 to 60). db: SQLite file to record into "
           "(None: in memory only). sensors: 'auto' or names (nvml, rapl, powermetrics, "
           "model). name: the run's name in the database (default: the command line). "
           "device: the training device its row records ('cuda:0'; default 'host'). "
           "rapl_root, hwmon_root, proc_root, nvml_library, powermetrics_program, cpu_tdp_w: as "
           "powertrain track's --rapl-root etc.")
      .def("start", &PyTracker::start, py::call_guard<py::gil_scoped_release>())
      .def(
          "stop", [](PyTracker& t) { t.stop(false, ""); }, py::call_guard<py::gil_scoped_release>(),
          "Stops sampling and records the run as done; raises RuntimeError if measurements "
          "could not be written")
      .def("phase", &PyTracker::phase, py::arg("name"), py::call_guard<py::gil_scoped_release>(),
           "Sets the phase of the open epoch: 'train', 'validate' or 'other'")
      .def(
          "epoch",
          [](PyTracker& t, std::optional<double> train_loss, std::optional<double> val_loss,
             std::optional<double> metric, std::optional<double> samples_per_s) {
            return t.epoch(powertrain::EpochMetrics{train_loss, val_loss, metric, samples_per_s});
          },
          py::kw_only(), py::arg("train_loss") = py::none(), py::arg("val_loss") = py::none(),
          py::arg("metric") = py::none(), py::arg("samples_per_s") = py::none(),
          py::call_guard<py::gil_scoped_release>(),
          "Ends the open epoch (stored with these figures) and begins the next; returns the "
          "ended epoch's EnergyRecord")
      // A getter's call_guard must be on its cpp_function: def_property's
      // extras do not reach the call.
      .def_property_readonly("epochs", released(&PyTracker::epochs),
                             "EnergyRecords of every epoch ended so far")
      .def_property_readonly("current", released(&PyTracker::current),
                             "The open epoch up to now, or None")
      .def_property_readonly("total", released(&PyTracker::total),
                             "The whole run from start to now (or stop), epochs or not")
      .def_property_readonly("run_id", &PyTracker::run_id, "The run's id in db, or None")
      .def_property_readonly("db", &PyTracker::db)
      .def_property_readonly("sensors", &PyTracker::sensors, "'rapl,nvml': the sensors in use")
      .def_property_readonly("interval", &PyTracker::interval_s)
      .def_property_readonly("running", &PyTracker::running)
      .def("__repr__",
           [](const PyTracker& t) {
             std::string where = t.run_id()
                                     ? "run " + std::to_string(*t.run_id()) + " in " + *t.db()
                                     : std::string("in memory");
             return "Tracker(" + where + ", sensors " + t.sensors() + " every " +
                    number(t.interval_s()) + " s" + (t.running() ? ", running" : "") + ")";
           })
      .def("__enter__",
           [](PyTracker& t) -> PyTracker& {
             {
               py::gil_scoped_release release;
               t.start();
             }
             return t;
           })
      .def("__exit__", [](PyTracker& t, const py::object& type, const py::object& value,
                          const py::object&) {
        if (type.is_none()) {
          py::gil_scoped_release release;
          t.stop(false, "");
          return false;
        }
        // The run failed: recorded so, and the exception goes on. A failure
        // to stop is a warning then, not a second exception.
        std::string error = exception_text(type, value);
        std::string stop_error;
        {
          py::gil_scoped_release release;
          try {
            t.stop(true, error);
          } catch (const std::exception& e) {
            stop_error = e.what();
          }
        }
        if (!stop_error.empty() && PyErr_WarnEx(PyExc_RuntimeWarning, stop_error.c_str(), 1) != 0) {
          throw py::error_already_set();
        }
        return false;
      });
}
