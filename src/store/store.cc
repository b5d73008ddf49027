#include "powertrain/store/store.h"

#include <sqlite3.h>

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "store/sqlite_util.h"

namespace powertrain {

namespace {

// 2: epochs gain components, attributed energy and the short-epoch flag;
// epoch_energy its component and attributed energy; samples whether they are
// periodic and their attributed power; run_energy is new.
constexpr int kSchemaVersion = 2;

// `partial` marks rows left by a process that died mid-run: kept for the
// record, ignored by every reader, and out of the way of the rerun's rows.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  experiment TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL DEFAULT '',
  command TEXT NOT NULL DEFAULT '',
  task TEXT NOT NULL DEFAULT '',
  paradigm TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL DEFAULT '',
  setup INTEGER,
  batch_size INTEGER,
  learning_rate REAL,
  repeat INTEGER,
  alpha REAL,
  status TEXT NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  host TEXT NOT NULL DEFAULT '',
  pid INTEGER,
  device TEXT NOT NULL DEFAULT '',
  sensors TEXT NOT NULL DEFAULT '',
  interval_s REAL NOT NULL DEFAULT 1.0,
  pue REAL NOT NULL DEFAULT 1.0,
  started_at REAL,
  ended_at REAL,
  exit_code INTEGER,
  final_metric REAL,
  metric_name TEXT NOT NULL DEFAULT '',
  config TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS epochs(
  run_id INTEGER NOT NULL REFERENCES runs(id),
  epoch INTEGER NOT NULL,
  started_at REAL NOT NULL,
  duration_s REAL NOT NULL,
  train_loss REAL,
  val_loss REAL,
  metric REAL,
  samples_per_s REAL,
  energy_mwh REAL NOT NULL,
  counter_energy_mwh REAL,
  mean_power_mw REAL NOT NULL,
  n_samples INTEGER NOT NULL,
  coverage REAL NOT NULL,
  source TEXT NOT NULL,
  partial INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX IF NOT EXISTS epochs_key ON epochs(run_id, epoch) WHERE partial = 0;
CREATE TABLE IF NOT EXISTS epoch_energy(
  run_id INTEGER NOT NULL REFERENCES runs(id),
  epoch INTEGER NOT NULL,
  sensor TEXT NOT NULL,
  device TEXT NOT NULL,
  source TEXT NOT NULL,
  n_samples INTEGER NOT NULL,
  n_failed INTEGER NOT NULL,
  mean_power_mw REAL NOT NULL,
  energy_mwh REAL NOT NULL,
  counter_energy_mwh REAL,
  partial INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS epoch_energy_run ON epoch_energy(run_id, epoch);
CREATE TABLE IF NOT EXISTS samples(
  run_id INTEGER NOT NULL REFERENCES runs(id),
  wall_time REAL NOT NULL,
  mono_s REAL NOT NULL,
  epoch INTEGER NOT NULL,
  phase TEXT NOT NULL,
  sensor TEXT NOT NULL,
  device TEXT NOT NULL,
  power_mw REAL,
  energy_mj REAL,
  utilization_pct REAL,
  source TEXT NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  partial INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS samples_run ON samples(run_id, mono_s);
CREATE TABLE IF NOT EXISTS run_energy(
  run_id INTEGER PRIMARY KEY REFERENCES runs(id),
  duration_s REAL NOT NULL,
  energy_mwh REAL NOT NULL,
  counter_energy_mwh REAL,
  n_samples INTEGER NOT NULL,
  source TEXT NOT NULL,
  gpu_mwh REAL,
  cpu_package_mwh REAL,
  dram_mwh REAL,
  modelled_cpu_mwh REAL,
  modelled_ram_mwh REAL,
  other_mwh REAL,
  attributed_mwh REAL,
  outside_duration_s REAL NOT NULL,
  outside_mwh REAL NOT NULL,
  cpu_utilization_pct REAL,
  tracking_mode TEXT NOT NULL,
  interval_s REAL NOT NULL,
  os TEXT NOT NULL DEFAULT '',
  cpu_model TEXT NOT NULL DEFAULT '',
  cpu_count INTEGER,
  ram_total_gb REAL,
  ram_used_gb REAL);
)sql";

// Columns added after version 1, with their definitions (ALTER TABLE ADD).
struct AddedColumn {
  const char* table;
  const char* column;
  const char* definition;
};
constexpr AddedColumn kAddedColumns[] = {
    {"epochs", "short_epoch", "INTEGER NOT NULL DEFAULT 0"},
    {"epochs", "gpu_mwh", "REAL"},
    {"epochs", "cpu_package_mwh", "REAL"},
    {"epochs", "dram_mwh", "REAL"},
    {"epochs", "modelled_cpu_mwh", "REAL"},
    {"epochs", "modelled_ram_mwh", "REAL"},
    {"epochs", "other_mwh", "REAL"},
    {"epochs", "attributed_mwh", "REAL"},
    {"epoch_energy", "component", "TEXT NOT NULL DEFAULT ''"},
    {"epoch_energy", "attributed_energy_mwh", "REAL"},
    {"samples", "periodic", "INTEGER NOT NULL DEFAULT 1"},
    {"samples", "attributed_power_mw", "REAL"},
    // run_energy as first written by schema 2 lacked the machine's figures.
    {"run_energy", "os", "TEXT NOT NULL DEFAULT ''"},
    {"run_energy", "cpu_model", "TEXT NOT NULL DEFAULT ''"},
    {"run_energy", "cpu_count", "INTEGER"},
    {"run_energy", "ram_total_gb", "REAL"},
    {"run_energy", "ram_used_gb", "REAL"},
    // GPU provenance (issue 16): how each stream's counter behaved, and
    // which boards, driver and power field the run's figures come from.
    {"epoch_energy", "counter_gap", "INTEGER NOT NULL DEFAULT 0"},
    {"epoch_energy", "counter_resets", "INTEGER NOT NULL DEFAULT 0"},
    {"run_energy", "sensor_provenance", "TEXT NOT NULL DEFAULT ''"},
};

// "gpu_mwh, cpu_package_mwh, ..." in Component order.
std::string component_columns() {
  std::string out;
  for (int i = 0; i < kComponentCount; ++i) {
    out += (i ? ", " : "") + std::string(to_string(static_cast<Component>(i))) + "_mwh";
  }
  return out;
}

constexpr const char* kRunColumns =
    "experiment, kind, command, task, paradigm, role, setup, batch_size, learning_rate, repeat, "
    "alpha, status, error, host, pid, device, sensors, interval_s, pue, started_at, ended_at, "
    "exit_code, final_metric, metric_name, config";

std::optional<int> to_opt_int(const std::optional<int64_t>& v) {
  if (!v) return std::nullopt;
  return static_cast<int>(*v);
}

// Binds the 25 run columns in kRunColumns' order, starting at index 1.
void bind_run(sql::Statement& s, const RunRecord& r) {
  s.bind(1, r.experiment).bind(2, r.kind).bind(3, r.command).bind(4, r.task);
  s.bind(5, r.paradigm).bind(6, r.role).bind(7, r.setup).bind(8, r.batch_size);
  s.bind(9, r.learning_rate).bind(10, r.repeat).bind(11, r.alpha);
  s.bind(12, std::string(to_string(r.status))).bind(13, r.error).bind(14, r.host);
  s.bind(15, r.pid).bind(16, r.device).bind(17, r.sensors).bind(18, r.interval_s);
  s.bind(19, r.pue).bind(20, r.started_at_s).bind(21, r.ended_at_s).bind(22, r.exit_code);
  s.bind(23, r.final_metric).bind(24, r.metric_name).bind(25, r.config_json);
}

// Reads a run from columns 0 (id) and 1.. in kRunColumns' order.
RunRecord read_run(const sql::Statement& s) {
  RunRecord r;
  r.id = s.int64(0);
  r.experiment = s.text(1);
  r.kind = s.text(2);
  r.command = s.text(3);
  r.task = s.text(4);
  r.paradigm = s.text(5);
  r.role = s.text(6);
  r.setup = to_opt_int(s.opt_int64(7));
  r.batch_size = to_opt_int(s.opt_int64(8));
  r.learning_rate = s.opt_real(9);
  r.repeat = to_opt_int(s.opt_int64(10));
  r.alpha = s.opt_real(11);
  r.status = parse_run_status(s.text(12));
  r.error = s.text(13);
  r.host = s.text(14);
  r.pid = s.opt_int64(15);
  r.device = s.text(16);
  r.sensors = s.text(17);
  r.interval_s = s.real(18);
  r.pue = s.real(19);
  r.started_at_s = s.opt_real(20);
  r.ended_at_s = s.opt_real(21);
  r.exit_code = to_opt_int(s.opt_int64(22));
  r.final_metric = s.opt_real(23);
  r.metric_name = s.text(24);
  r.config_json = s.text(25);
  return r;
}

}  // namespace

std::string_view to_string(RunStatus status) {
  switch (status) {
    case RunStatus::kPending:
      return "pending";
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kDone:
      return "done";
    case RunStatus::kDiverged:
      return "diverged";
    case RunStatus::kFailed:
      return "failed";
  }
  return "unknown";
}

RunStatus parse_run_status(std::string_view text) {
  for (RunStatus s : {RunStatus::kPending, RunStatus::kRunning, RunStatus::kDone,
                      RunStatus::kDiverged, RunStatus::kFailed}) {
    if (to_string(s) == text) return s;
  }
  throw std::invalid_argument("unknown run status '" + std::string(text) +
                              "' (known: pending, running, done, diverged, failed)");
}

namespace {

// Runs SQL on a connection that is being opened; errors carry SQLite's text only.
void exec_on_open(sqlite3* db, const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw std::runtime_error(msg);
  }
}

// Percent-encodes a path for a file: URI.
std::string uri_path(const std::string& path) {
  std::string out;
  for (unsigned char c : path) {
    if (c == '%' || c == '?' || c == '#' || c <= ' ' || c >= 0x7f) {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Checks, before SQLite touches it, that `path` is a file that can be a
// database.
void check_readonly_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw std::runtime_error(std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw std::runtime_error("is a directory, not a database file");
  if (!S_ISREG(st.st_mode)) throw std::runtime_error("not a regular file");
  if (st.st_size == 0) throw std::runtime_error("empty file (0 bytes), not a powertrain database");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error(std::strerror(errno));
  char header[16] = {};
  size_t got = std::fread(header, 1, sizeof header, f);
  std::fclose(f);
  if (got != sizeof header || std::memcmp(header, "SQLite format 3", 16) != 0)
    throw std::runtime_error("not a powertrain database (not an SQLite file)");
}

// What sqlite3_open_v2 opens `path` as, and with which flags.
struct OpenTarget {
  std::string target;
  int flags = SQLITE_OPEN_FULLMUTEX;
};

OpenTarget open_target(const std::string& path, bool read_only) {
  OpenTarget t{path};
  try {
    if (read_only) {
      // A reader of a WAL database takes part in its -shm locking protocol,
      // which creates -shm and -wal files. Without a -wal file no process
      // is writing (the last one to close removes it) and every committed
      // page is in the main file: it is opened as immutable, which creates
      // nothing and works in a folder the user cannot write. With a
      // non-empty -wal file (a sweep running, or killed) the reader joins
      // the protocol to see the latest commits.
      check_readonly_file(path);
      struct stat wal;
      // An empty -wal holds no commits: the main file is complete.
      const bool live = ::stat((path + "-wal").c_str(), &wal) == 0 && wal.st_size > 0;
      t.target = "file:" + uri_path(path) + (live ? "?mode=ro" : "?mode=ro&immutable=1");
      t.flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
    } else {
      t.flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    }
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("cannot open database '" + path + "': " + e.what());
  }
  return t;
}

// Checks that a database opened read-only holds what a powertrain database
// must; nothing is created. `db` is opened again, as immutable, where SQLite
// cannot use a -wal file left in a folder the user cannot write.
void check_readonly_database(sqlite3*& db, const std::string& path, const OpenTarget& opened) {
  sqlite3_stmt* probe = nullptr;
  int rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &probe,
                              nullptr);
  sqlite3_finalize(probe);
  if ((rc & 0xff) == SQLITE_CANTOPEN && opened.target.find("immutable=1") == std::string::npos) {
    // A -wal file left in a folder the user cannot write, without a -shm
    // that SQLite could use: read the main file as it is.
    sqlite3_close(db);
    db = nullptr;
    const std::string target = "file:" + uri_path(path) + "?mode=ro&immutable=1";
    rc = sqlite3_open_v2(target.c_str(), &db, opened.flags, nullptr);
    if (rc == SQLITE_OK)
      rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &probe,
                              nullptr);
    sqlite3_finalize(probe);
    if (!db) throw std::runtime_error(sqlite3_errstr(rc));
  }
  if (rc != SQLITE_OK) {
    std::string msg = sqlite3_errmsg(db);
    if (msg.rfind("no such table", 0) == 0)
      throw std::runtime_error("not a powertrain database (an SQLite file without its tables)");
    throw std::runtime_error(msg);
  }
}

// The schema version in the meta table; nullopt where there is none.
std::optional<std::string> read_schema_version(sqlite3* db) {
  std::optional<std::string> version;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &stmt,
                              nullptr);
  if (rc != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db));
  rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) {
    auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    version = text ? text : "";
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db));
  return version;
}

}  // namespace

Store::Store(const std::string& path, Mode mode) : path_(path) {
  const bool read_only = mode == Mode::kReadOnly;
  const OpenTarget opened = open_target(path, read_only);
  int rc = sqlite3_open_v2(opened.target.c_str(), &db_, opened.flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error("cannot open database '" + path + "': " + msg);
  }
  sqlite3_busy_timeout(db_, 10000);
  try {
    if (read_only) {
      check_readonly_database(db_, path, opened);
    } else {
      // WAL: the sampler thread appends while readers (status, report) look on;
      // synchronous=NORMAL keeps every committed interval across a process kill.
      exec_on_open(db_, "PRAGMA journal_mode=WAL");
      exec_on_open(db_, "PRAGMA synchronous=NORMAL");
      exec_on_open(db_, "PRAGMA foreign_keys=ON");
      exec_on_open(db_, kSchema);
    }
    const std::optional<std::string> version = read_schema_version(db_);
    if (!version && read_only) {
      throw std::runtime_error("not a powertrain database (no schema version)");
    }
    if (version && *version != "1" && *version != std::to_string(kSchemaVersion)) {
      throw std::runtime_error("schema version " + *version + ", this powertrain reads 1 to " +
                               std::to_string(kSchemaVersion));
    }
    // A read-only open changes nothing: the readers take schema 1 as it is.
    if (!read_only) {
      migrate();
      if (version != std::to_string(kSchemaVersion)) {
        set_meta("schema_version", std::to_string(kSchemaVersion));
      }
    }
  } catch (const std::runtime_error& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error("cannot use database '" + path + "': " + e.what());
  }
}

bool Store::has_column(const std::string& table, const std::string& column) const {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  sql::Statement s(db_, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?");
  s.bind(1, table).bind(2, column);
  return s.step();
}

void Store::migrate() {
  transaction([&] {
    for (const AddedColumn& c : kAddedColumns) {
      if (!has_column(c.table, c.column)) {
        exec(std::string("ALTER TABLE ") + c.table + " ADD COLUMN " + c.column + " " +
             c.definition);
      }
    }
  });
}

Store::~Store() {
  insert_sample_.reset();  // finalised before the connection closes
  sqlite3_close(db_);
}

void Store::exec(const std::string& sql) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw std::runtime_error(path_ + ": " + msg);
  }
}

void Store::set_meta(const std::string& key, const std::string& value) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  sql::Statement s(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)");
  s.bind(1, key).bind(2, value).run();
}

std::optional<std::string> Store::meta(const std::string& key) const {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  sql::Statement s(db_, "SELECT value FROM meta WHERE key = ?");
  s.bind(1, key);
  if (s.step()) return s.text(0);
  return std::nullopt;
}

int64_t Store::add_run(const RunRecord& record) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  sql::Statement s(db_, std::string("INSERT INTO runs(") + kRunColumns +
                            ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  bind_run(s, record);
  s.run();
  return sqlite3_last_insert_rowid(db_);
}

void Store::update_run(const RunRecord& record) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  std::string sql = "UPDATE runs SET (" + std::string(kRunColumns) +
                    ") = (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) WHERE id = ?";
  sql::Statement s(db_, sql);
  bind_run(s, record);
  s.bind(26, record.id);
  s.run();
  if (sqlite3_changes(db_) != 1) {
    throw std::runtime_error(path_ + ": no run with id " + std::to_string(record.id));
  }
}

void Store::set_run_status(int64_t run_id, RunStatus status, const std::string& error) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  sql::Statement s(db_, "UPDATE runs SET status = ?, error = ? WHERE id = ?");
  s.bind(1, std::string(to_string(status))).bind(2, error).bind(3, run_id).run();
}

std::optional<RunRecord> Store::run(int64_t run_id) const {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  sql::Statement s(db_, std::string("SELECT id, ") + kRunColumns + " FROM runs WHERE id = ?");
  s.bind(1, run_id);
  if (s.step()) return read_run(s);
  return std::nullopt;
}

std::vector<RunRecord> Store::runs() const {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  sql::Statement s(db_, std::string("SELECT id, ") + kRunColumns + " FROM runs ORDER BY id");
  std::vector<RunRecord> out;
  while (s.step()) out.push_back(read_run(s));
  return out;
}

void Store::put_epoch(const EpochRecord& e) {
  transaction([&] {
    sql::Statement del(db_,
                       "DELETE FROM epoch_energy WHERE run_id = ? AND epoch = ? AND partial = 0");
    del.bind(1, e.run_id).bind(2, e.epoch).run();
    sql::Statement s(db_,
                     "INSERT OR REPLACE INTO epochs(run_id, epoch, started_at, duration_s, "
                     "train_loss, val_loss, metric, samples_per_s, energy_mwh, counter_energy_mwh, "
                     "mean_power_mw, n_samples, coverage, source, short_epoch, attributed_mwh, " +
                         component_columns() +
                         ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    s.bind(1, e.run_id).bind(2, e.epoch).bind(3, e.started_at_s).bind(4, e.duration_s);
    s.bind(5, e.train_loss).bind(6, e.val_loss).bind(7, e.metric).bind(8, e.samples_per_s);
    s.bind(9, e.energy_mwh).bind(10, e.counter_energy_mwh).bind(11, e.mean_power_mw);
    s.bind(12, e.n_samples).bind(13, e.coverage).bind(14, std::string(to_string(e.source)));
    s.bind(15, e.short_epoch ? 1 : 0).bind(16, e.attributed_mwh);
    for (int i = 0; i < kComponentCount; ++i) s.bind(17 + i, e.components.mwh[i]);
    s.run();
    sql::Statement st(db_,
                      "INSERT INTO epoch_energy(run_id, epoch, sensor, device, source, n_samples, "
                      "n_failed, mean_power_mw, energy_mwh, counter_energy_mwh, component, "
                      "attributed_energy_mwh, counter_gap, counter_resets) "
                      "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    for (const StreamEnergy& x : e.streams) {
      st.bind(1, e.run_id).bind(2, e.epoch).bind(3, x.sensor).bind(4, x.device);
      st.bind(5, std::string(to_string(x.source))).bind(6, x.n_samples).bind(7, x.n_failed);
      st.bind(8, x.mean_power_mw).bind(9, x.energy_mwh).bind(10, x.counter_energy_mwh);
      st.bind(11, std::string(to_string(x.component))).bind(12, x.attributed_energy_mwh);
      st.bind(13, x.counter_gap ? 1 : 0).bind(14, x.counter_resets);
      st.run();
    }
  });
}

std::vector<EpochRecord> Store::epochs(int64_t run_id) const {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  // A database of schema 1 opened read-only has none of the later columns.
  const bool v2 = has_column("epochs", "attributed_mwh");
  const bool v3 = has_column("epoch_energy", "counter_gap");
  std::string added = v2 ? ", short_epoch, attributed_mwh, " + component_columns() : "";
  sql::Statement s(db_,
                   "SELECT run_id, epoch, started_at, duration_s, train_loss, val_loss, metric, "
                   "samples_per_s, energy_mwh, counter_energy_mwh, mean_power_mw, n_samples, "
                   "coverage, source" +
                       added + " FROM epochs WHERE run_id = ? AND partial = 0 ORDER BY epoch");
  s.bind(1, run_id);
  std::vector<EpochRecord> out;
  while (s.step()) {
    EpochRecord e;
    e.run_id = s.int64(0);
    e.epoch = static_cast<int>(s.int64(1));
    e.started_at_s = s.real(2);
    e.duration_s = s.real(3);
    e.train_loss = s.opt_real(4);
    e.val_loss = s.opt_real(5);
    e.metric = s.opt_real(6);
    e.samples_per_s = s.opt_real(7);
    e.energy_mwh = s.real(8);
    e.counter_energy_mwh = s.opt_real(9);
    e.mean_power_mw = s.real(10);
    e.n_samples = static_cast<int>(s.int64(11));
    e.coverage = s.real(12);
    e.source = parse_energy_source(s.text(13));
    if (v2) {
      e.short_epoch = s.int64(14) != 0;
      e.attributed_mwh = s.opt_real(15);
      for (int i = 0; i < kComponentCount; ++i) e.components.mwh[i] = s.opt_real(16 + i);
    }
    out.push_back(std::move(e));
  }
  sql::Statement st(
      db_, std::string("SELECT epoch, sensor, device, source, n_samples, n_failed, "
                       "mean_power_mw, energy_mwh, counter_energy_mwh") +
               (v2 ? ", attributed_energy_mwh" : ", NULL") +
               (v3 ? ", counter_gap, counter_resets" : "") +
               " FROM epoch_energy WHERE run_id = ? AND partial = 0 ORDER BY epoch, rowid");
  st.bind(1, run_id);
  size_t i = 0;
  while (st.step()) {
    int epoch = static_cast<int>(st.int64(0));
    while (i < out.size() && out[i].epoch < epoch) ++i;
    if (i == out.size() || out[i].epoch != epoch) continue;
    StreamEnergy x;
    x.sensor = st.text(1);
    x.device = st.text(2);
    x.source = parse_energy_source(st.text(3));
    x.n_samples = static_cast<int>(st.int64(4));
    x.n_failed = static_cast<int>(st.int64(5));
    x.mean_power_mw = st.real(6);
    x.energy_mwh = st.real(7);
    x.counter_energy_mwh = st.opt_real(8);
    if (v2) x.attributed_energy_mwh = st.opt_real(9);
    if (v3) {
      x.counter_gap = st.int64(10) != 0;
      x.counter_resets = static_cast<int>(st.int64(11));
    }
    x.component = component_of(x.sensor, x.device);
    out[i].streams.push_back(std::move(x));
  }
  // Rows written by schema 1 have no components: they follow from the streams.
  for (EpochRecord& e : out) {
    bool any = false;
    for (const auto& c : e.components.mwh) any = any || c.has_value();
    if (any) continue;
    for (const StreamEnergy& x : e.streams) e.components.add(x.component, x.energy_mwh);
  }
  return out;
}

void Store::put_run_energy(const RunEnergyRecord& r) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  sql::Statement s(db_,
                   "INSERT OR REPLACE INTO run_energy(run_id, duration_s, energy_mwh, "
                   "counter_energy_mwh, n_samples, source, " +
                       component_columns() +
                       ", attributed_mwh, outside_duration_s, outside_mwh, cpu_utilization_pct, "
                       "tracking_mode, interval_s, os, cpu_model, cpu_count, ram_total_gb, "
                       "ram_used_gb, sensor_provenance) "
                       "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  s.bind(1, r.run_id).bind(2, r.duration_s).bind(3, r.energy_mwh).bind(4, r.counter_energy_mwh);
  s.bind(5, r.n_samples).bind(6, std::string(to_string(r.source)));
  for (int i = 0; i < kComponentCount; ++i) s.bind(7 + i, r.components.mwh[i]);
  s.bind(13, r.attributed_mwh).bind(14, r.outside_duration_s).bind(15, r.outside_mwh);
  s.bind(16, r.cpu_utilization_pct).bind(17, r.tracking_mode).bind(18, r.interval_s);
  s.bind(19, r.os).bind(20, r.cpu_model).bind(21, r.cpu_count).bind(22, r.ram_total_gb);
  s.bind(23, r.ram_used_gb).bind(24, r.sensor_provenance);
  s.run();
}

std::optional<RunEnergyRecord> Store::run_energy(int64_t run_id) const {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  {
    sql::Statement t(db_,
                     "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'run_energy'");
    if (!t.step()) return std::nullopt;  // schema 1, opened read-only
  }
  sql::Statement s(
      db_,
      "SELECT run_id, duration_s, energy_mwh, counter_energy_mwh, n_samples, "
      "source, " +
          component_columns() +
          ", attributed_mwh, outside_duration_s, outside_mwh, "
          "cpu_utilization_pct, tracking_mode, interval_s, os, cpu_model, "
          "cpu_count, ram_total_gb, ram_used_gb" +
          (has_column("run_energy", "sensor_provenance") ? ", sensor_provenance" : ", ''") +
          " FROM run_energy "
          "WHERE run_id = ?");
  s.bind(1, run_id);
  if (!s.step()) return std::nullopt;
  RunEnergyRecord r;
  r.run_id = s.int64(0);
  r.duration_s = s.real(1);
  r.energy_mwh = s.real(2);
  r.counter_energy_mwh = s.opt_real(3);
  r.n_samples = static_cast<int>(s.int64(4));
  r.source = parse_energy_source(s.text(5));
  for (int i = 0; i < kComponentCount; ++i) r.components.mwh[i] = s.opt_real(6 + i);
  r.attributed_mwh = s.opt_real(12);
  r.outside_duration_s = s.real(13);
  r.outside_mwh = s.real(14);
  r.cpu_utilization_pct = s.opt_real(15);
  r.tracking_mode = s.text(16);
  r.interval_s = s.real(17);
  r.os = s.text(18);
  r.cpu_model = s.text(19);
  r.cpu_count = to_opt_int(s.opt_int64(20));
  r.ram_total_gb = s.opt_real(21);
  r.ram_used_gb = s.opt_real(22);
  r.sensor_provenance = s.text(23);
  return r;
}

void Store::mark_partial(int64_t run_id) {
  transaction([&] {
    for (const char* table : {"epochs", "epoch_energy", "samples"}) {
      sql::Statement s(db_, std::string("UPDATE ") + table +
                                " SET partial = 1 WHERE run_id = ? AND partial = 0");
      s.bind(1, run_id).run();
    }
    // The rerun writes the run's whole energy again.
    sql::Statement s(db_, "DELETE FROM run_energy WHERE run_id = ?");
    s.bind(1, run_id).run();
  });
}

void Store::add_samples(const std::vector<Sample>& samples) {
  if (samples.empty()) return;
  transaction([&] {
    if (!insert_sample_) {
      insert_sample_ = std::make_unique<sql::Statement>(
          db_,
          "INSERT INTO samples(run_id, wall_time, mono_s, epoch, phase, sensor, device, "
          "power_mw, energy_mj, utilization_pct, source, error, periodic, attributed_power_mw) "
          "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    }
    sql::Statement& s = *insert_sample_;
    for (const Sample& x : samples) {
      s.bind(1, x.run_id).bind(2, x.wall_time_s).bind(3, x.mono_s).bind(4, x.epoch);
      s.bind(5, std::string(to_string(x.phase))).bind(6, x.sensor).bind(7, x.reading.device);
      s.bind(8, x.reading.power_mw).bind(9, x.reading.energy_mj);
      s.bind(10, x.reading.utilization_pct);
      s.bind(11, std::string(to_string(x.reading.source))).bind(12, x.reading.error);
      s.bind(13, x.periodic ? 1 : 0).bind(14, x.attributed_power_mw);
      s.run();
    }
  });
}

void Store::retag_samples(int64_t run_id, int from, int to) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  sql::Statement s(db_, std::string("UPDATE samples SET epoch = ?") +
                            (to == 0 ? ", phase = 'other'" : "") +
                            " WHERE partial = 0 AND run_id = ? AND epoch = ?");
  s.bind(1, to).bind(2, run_id).bind(3, from);
  s.run();
}

std::vector<Sample> Store::samples(int64_t run_id) const {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  const bool v2 = has_column("samples", "attributed_power_mw");
  sql::Statement s(db_,
                   std::string("SELECT run_id, wall_time, mono_s, epoch, phase, sensor, device, "
                               "power_mw, energy_mj, utilization_pct, source, error") +
                       (v2 ? ", periodic, attributed_power_mw" : "") +
                       " FROM samples WHERE run_id = ? AND partial = 0 ORDER BY mono_s, rowid");
  s.bind(1, run_id);
  std::vector<Sample> out;
  while (s.step()) {
    Sample x;
    x.run_id = s.int64(0);
    x.wall_time_s = s.real(1);
    x.mono_s = s.real(2);
    x.epoch = static_cast<int>(s.int64(3));
    x.phase = parse_phase(s.text(4));
    x.sensor = s.text(5);
    x.reading.device = s.text(6);
    x.reading.power_mw = s.opt_real(7);
    x.reading.energy_mj = s.opt_real(8);
    x.reading.utilization_pct = s.opt_real(9);
    x.reading.source = parse_energy_source(s.text(10));
    x.reading.error = s.text(11);
    if (v2) {
      x.periodic = s.int64(12) != 0;
      x.attributed_power_mw = s.opt_real(13);
    }
    out.push_back(std::move(x));
  }
  return out;
}

int64_t Store::sample_count(int64_t run_id) const {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  sql::Statement s(db_, "SELECT COUNT(*) FROM samples WHERE run_id = ? AND partial = 0");
  s.bind(1, run_id);
  s.step();
  return s.int64(0);
}

}  // namespace powertrain
