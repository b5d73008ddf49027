// The NVML sensor: opens exactly the boards the run uses (by UUID or PCI bus
// id, resolved through the CUDA driver), reads instant and average power in
// one nvmlDeviceGetFieldValues call where the board supports it, and the
// energy counter beside them.
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "energy/sensors/nvml/cuda_devices.h"
#include "energy/sensors/nvml/library.h"
#include "energy/sensors/nvml/nvml_api.h"
#include "energy/sensors/nvml/selection.h"
#include "powertrain/energy/sensors/nvml.h"
#include "util/strings.h"

namespace powertrain {

namespace {

using nlohmann::json;

class NvmlSensor final : public Sensor {
 public:
  explicit NvmlSensor(const SensorOptions& options) : options_(options) {
    required_ = options.gpu_required;
    open();
    if (!failure_.empty()) {
      boards_.clear();
      infos_.clear();
    }
  }

  ~NvmlSensor() override {
    if (initialised_ && api_.shutdown) api_.shutdown();
  }

  std::string name() const override { return "nvml"; }
  bool available() const override { return failure_.empty() && !boards_.empty(); }
  std::string reason() const override {
    std::vector<std::string> parts;
    if (!failure_.empty()) parts.push_back(failure_);
    for (const std::string& n : notes_) parts.push_back(n);
    return join(parts, "; ");
  }
  std::vector<DeviceInfo> devices() const override { return infos_; }
  bool required() const override { return required_ && !available(); }
  std::string provenance() const override;

  std::vector<PowerReading> read() override {
    std::vector<PowerReading> out;
    out.reserve(boards_.size());
    for (Board& board : boards_) out.push_back(read_board(board));
    return out;
  }

 private:
  struct Api {
    nvml::InitFn init = nullptr;
    nvml::ShutdownFn shutdown = nullptr;
    nvml::ErrorStringFn error_string = nullptr;
    nvml::SystemStringFn driver_version = nullptr;
    nvml::SystemStringFn nvml_version = nullptr;
    nvml::GetCountFn count = nullptr;
    nvml::GetHandleByIndexFn by_index = nullptr;
    nvml::GetHandleByStringFn by_uuid = nullptr;
    nvml::GetHandleByStringFn by_bus = nullptr;
    nvml::GetStringFn get_name = nullptr;
    nvml::GetStringFn get_uuid = nullptr;
    nvml::GetPciInfoFn get_pci = nullptr;
    nvml::GetPowerLimitFn get_limit = nullptr;
    nvml::GetPowerUsageFn power = nullptr;
    nvml::GetFieldValuesFn fields = nullptr;
    nvml::GetTotalEnergyFn energy = nullptr;
    nvml::GetUtilizationFn utilization = nullptr;
    nvml::GetMigModeFn mig_mode = nullptr;
    nvml::IsMigDeviceFn is_mig = nullptr;
    nvml::GetParentFn parent = nullptr;
    nvml::GetMaxMigCountFn max_mig = nullptr;
    nvml::GetMigByIndexFn mig_by_index = nullptr;
  };

  struct Board {
    std::string id;
    nvml::Device handle = nullptr;
    bool has_counter = false;
    bool field_instant = false;
    bool field_average = false;
    json provenance;
  };

  void open();
  bool load_library();
  void load_board(nvml::Device handle, const nvml::Wanted& wanted, bool via_mig);
  void probe_fields(Board& board) const;
  void describe_mig(Board& board, DeviceInfo& info, bool via_mig) const;
  std::string error_string(nvml::Return rc) const;
  nvml::Return find(const nvml::Wanted& wanted, nvml::Device* handle) const;
  nvml::Return find_prefix(const std::string& prefix, nvml::Device* handle) const;
  void select(const nvml::Selection& selection);
  PowerReading read_board(Board& board);
  void read_power(Board& board, PowerReading& r);
  void fail(const std::string& why) {
    if (failure_.empty()) failure_ = why;
  }

  SensorOptions options_;
  nvml::Library lib_;
  Api api_;
  bool initialised_ = false;
  bool required_ = false;
  std::string failure_;             // why the sensor cannot be used
  std::vector<std::string> notes_;  // what was skipped, and how GPUs were chosen
  std::string driver_version_;
  std::string nvml_version_;
  std::vector<Board> boards_;
  std::vector<DeviceInfo> infos_;
};

std::string NvmlSensor::error_string(nvml::Return rc) const {
  const char* s = api_.error_string ? api_.error_string(rc) : nullptr;
  return (s ? std::string(s) : std::string("error")) + " (" + std::to_string(rc) + ")";
}

bool NvmlSensor::load_library() {
  std::string error;
  lib_ = nvml::open_library(options_.nvml_library, &error);
  if (!lib_) {
    fail("cannot load " + options_.nvml_library + ": " + error + " (no NVIDIA driver here?)");
    return false;
  }
  auto need = [this](auto& fn, const char* name) {
    fn = nvml::symbol<std::remove_reference_t<decltype(fn)>>(lib_, name);
    if (!fn) fail(std::string("NVML library lacks ") + name);
  };
  auto want = [this](auto& fn, const char* name) {
    fn = nvml::symbol<std::remove_reference_t<decltype(fn)>>(lib_, name);
  };
  need(api_.init, "nvmlInit_v2");
  need(api_.shutdown, "nvmlShutdown");
  need(api_.count, "nvmlDeviceGetCount_v2");
  need(api_.by_index, "nvmlDeviceGetHandleByIndex_v2");
  need(api_.power, "nvmlDeviceGetPowerUsage");
  want(api_.error_string, "nvmlErrorString");
  want(api_.driver_version, "nvmlSystemGetDriverVersion");
  want(api_.nvml_version, "nvmlSystemGetNVMLVersion");
  want(api_.by_uuid, "nvmlDeviceGetHandleByUUID");
  want(api_.by_bus, "nvmlDeviceGetHandleByPciBusId_v2");
  want(api_.get_name, "nvmlDeviceGetName");
  want(api_.get_uuid, "nvmlDeviceGetUUID");
  want(api_.get_pci, "nvmlDeviceGetPciInfo_v3");
  want(api_.get_limit, "nvmlDeviceGetEnforcedPowerLimit");
  want(api_.fields, "nvmlDeviceGetFieldValues");
  want(api_.energy, "nvmlDeviceGetTotalEnergyConsumption");
  want(api_.utilization, "nvmlDeviceGetUtilizationRates");
  want(api_.mig_mode, "nvmlDeviceGetMigMode");
  want(api_.is_mig, "nvmlDeviceIsMigDeviceHandle");
  want(api_.parent, "nvmlDeviceGetDeviceHandleFromMigDeviceHandle");
  want(api_.max_mig, "nvmlDeviceGetMaxMigDeviceCount");
  want(api_.mig_by_index, "nvmlDeviceGetMigDeviceHandleByIndex");
  return failure_.empty();
}

void NvmlSensor::open() {
  nvml::Selection selection = nvml::select_gpus(options_);
  required_ = required_ || selection.cuda_run;
  for (const std::string& n : selection.notes) notes_.push_back(n);
  if (!selection.error.empty()) {
    fail(selection.error);
    required_ = true;  // bad input, not a missing device
    return;
  }
  if (selection.none) {
    fail(selection.why_none);
    return;
  }
  if (!load_library()) return;
  nvml::Return rc = api_.init();
  if (rc != nvml::kSuccess) {
    std::string why = "nvmlInit failed: " + error_string(rc);
    if (rc == nvml::kErrorLibRmVersionMismatch) {
      why += " (the NVML library and the loaded kernel driver differ: reboot or reload the driver)";
    }
    fail(why);
    return;
  }
  initialised_ = true;
  char text[96] = {0};
  if (api_.driver_version && api_.driver_version(text, sizeof(text)) == nvml::kSuccess) {
    driver_version_ = text;
  }
  if (api_.nvml_version && api_.nvml_version(text, sizeof(text)) == nvml::kSuccess) {
    nvml_version_ = text;
  }
  if (selection.all_nvml) {
    unsigned int count = 0;
    if ((rc = api_.count(&count)) != nvml::kSuccess) {
      fail("nvmlDeviceGetCount failed: " + error_string(rc));
      return;
    }
    for (unsigned int i = 0; i < count; ++i) {
      nvml::Wanted w;
      w.selector = "nvml:" + std::to_string(i);
      w.nvml_index = i;
      selection.wanted.push_back(w);
    }
  }
  select(selection);
  if (boards_.empty() && failure_.empty()) {
    fail(selection.all_nvml ? "NVML found no GPU" : "no selected GPU could be measured");
  }
}

nvml::Return NvmlSensor::find_prefix(const std::string& prefix, nvml::Device* handle) const {
  unsigned int count = 0;
  if (!api_.get_uuid || api_.count(&count) != nvml::kSuccess) return nvml::kErrorNotFound;
  int found = 0, unreadable = 0;
  for (unsigned int i = 0; i < count; ++i) {
    nvml::Device h = nullptr;
    char uuid[96] = {0};
    nvml::Return rc = api_.by_index(i, &h);
    unreadable += rc == nvml::kErrorNoPermission;
    if (rc != nvml::kSuccess) continue;
    if (api_.get_uuid(h, uuid, sizeof(uuid)) != nvml::kSuccess) continue;
    if (!starts_with(uuid, prefix)) continue;
    *handle = h;
    ++found;
  }
  if (found > 1) return nvml::kErrorInvalidArgument;                  // ambiguous
  if (found == 0 && unreadable > 0) return nvml::kErrorNoPermission;  // it may be one of those
  return found == 1 ? nvml::kSuccess : nvml::kErrorNotFound;
}

nvml::Return NvmlSensor::find(const nvml::Wanted& w, nvml::Device* handle) const {
  nvml::Return rc = nvml::kErrorNotFound;
  if (w.nvml_index) return api_.by_index(*w.nvml_index, handle);
  if (!w.uuid.empty() && api_.by_uuid) {
    rc = api_.by_uuid(w.uuid.c_str(), handle);
    // The CUDA driver's bytes of a MIG instance print as GPU-...; NVML names it MIG-...
    if (rc == nvml::kErrorNotFound && starts_with(w.uuid, "GPU-") && w.from_cuda) {
      rc = api_.by_uuid(("MIG-" + w.uuid.substr(4)).c_str(), handle);
    }
  }
  if (rc == nvml::kErrorNotFound && !w.bus_id.empty() && api_.by_bus) {
    rc = api_.by_bus(w.bus_id.c_str(), handle);
  }
  if (rc == nvml::kErrorNotFound && !w.uuid.empty() && !w.from_cuda) {
    rc = find_prefix(w.uuid, handle);
  }
  return rc;
}

void NvmlSensor::select(const nvml::Selection& selection) {
  for (const nvml::Wanted& w : selection.wanted) {
    nvml::Device handle = nullptr;
    nvml::Return rc = find(w, &handle);
    if (rc == nvml::kErrorNoPermission) {
      std::string note = w.selector + ": no permission to read this GPU (NVML), skipped";
      if (options_.gpu_required) return fail(note);
      notes_.push_back(note);
      continue;
    }
    if (rc != nvml::kSuccess) {
      std::string why = w.selector + ": " +
                        (rc == nvml::kErrorInvalidArgument && !w.uuid.empty()
                             ? "UUID prefix matches more than one GPU"
                             : error_string(rc));
      if (selection.stop_at_invalid) {
        if (boards_.empty()) fail(why);
        return;  // CUDA ignores entries after an invalid one
      }
      required_ = true;  // a GPU the run names but NVML cannot find: never a silent drop
      return fail(why);
    }
    unsigned int is_mig = 0;
    bool via_mig = api_.is_mig && api_.is_mig(handle, &is_mig) == nvml::kSuccess && is_mig;
    if (via_mig) {
      nvml::Device parent = nullptr;
      if (!api_.parent || api_.parent(handle, &parent) != nvml::kSuccess) {
        return fail(w.selector + ": a MIG instance whose parent GPU NVML does not give");
      }
      handle = parent;
    }
    bool seen = false;
    for (const Board& b : boards_) {
      if (b.handle != handle) continue;
      seen = true;
      notes_.push_back(w.selector + " is the board of " + b.id + ": measured once");
    }
    if (!seen) load_board(handle, w, via_mig);
  }
}

void NvmlSensor::probe_fields(Board& board) const {
  board.provenance["power_field"] = "nvmlDeviceGetPowerUsage";
  if (!api_.fields) return;
  nvml::FieldValue values[2] = {};
  values[0].field_id = nvml::kFieldPowerInstant;
  values[1].field_id = nvml::kFieldPowerAverage;
  if (api_.fields(board.handle, 2, values) != nvml::kSuccess) return;
  board.field_instant = values[0].nvml_return == nvml::kSuccess;
  board.field_average = values[1].nvml_return == nvml::kSuccess;
  if (board.field_instant) {
    board.provenance["power_field"] =
        board.field_average ? "NVML_FI_DEV_POWER_INSTANT (+ NVML_FI_DEV_POWER_AVERAGE)"
                            : "NVML_FI_DEV_POWER_INSTANT";
  } else if (board.field_average) {
    board.provenance["power_field"] = "NVML_FI_DEV_POWER_AVERAGE (1 s moving average)";
  }
}

void NvmlSensor::describe_mig(Board& board, DeviceInfo& info, bool via_mig) const {
  unsigned int current = 0, pending = 0;
  if (!api_.mig_mode || api_.mig_mode(board.handle, &current, &pending) != nvml::kSuccess) {
    board.provenance["mig_mode"] = "unsupported";
    return;
  }
  board.provenance["mig_mode"] = current ? "enabled" : "disabled";
  if (!current && !via_mig) return;
  unsigned int max = 0, instances = 0;
  if (api_.max_mig && api_.max_mig(board.handle, &max) == nvml::kSuccess && api_.mig_by_index) {
    for (unsigned int i = 0; i < max; ++i) {
      nvml::Device mig = nullptr;
      if (api_.mig_by_index(board.handle, i, &mig) == nvml::kSuccess) ++instances;
    }
  }
  board.provenance["mig_instances"] = instances;
  info.measures += "; whole GPU shared by " + std::to_string(instances) + " MIG instances";
}

void NvmlSensor::load_board(nvml::Device handle, const nvml::Wanted& w, bool via_mig) {
  Board board;
  board.id = "gpu" + std::to_string(boards_.size());
  board.handle = handle;
  DeviceInfo info;
  info.id = board.id;
  char text[96] = {0};
  if (api_.get_name && api_.get_name(handle, text, sizeof(text)) == nvml::kSuccess) {
    info.name = text;
  }
  board.provenance["id"] = board.id;
  board.provenance["selected_by"] = w.selector;
  board.provenance["name"] = info.name;
  if (api_.get_uuid && api_.get_uuid(handle, text, sizeof(text)) == nvml::kSuccess) {
    board.provenance["uuid"] = std::string(text);
  }
  nvml::PciInfo pci{};
  if (api_.get_pci && api_.get_pci(handle, &pci) == nvml::kSuccess) {
    board.provenance["bus_id"] = std::string(pci.bus_id);
  }
  unsigned int limit_mw = 0;
  if (api_.get_limit && api_.get_limit(handle, &limit_mw) == nvml::kSuccess) {
    info.power_limit_mw = limit_mw;
    board.provenance["power_limit_w"] = limit_mw / 1000.0;
  }
  unsigned long long mj = 0;
  board.has_counter = api_.energy && api_.energy(handle, &mj) == nvml::kSuccess;
  board.provenance["energy_counter"] = board.has_counter;
  info.has_counter = board.has_counter;
  probe_fields(board);
  info.measures = "GPU board power from " + board.provenance["power_field"].get<std::string>();
  if (board.has_counter) info.measures += " + energy counter";
  describe_mig(board, info, via_mig);
  boards_.push_back(std::move(board));
  infos_.push_back(std::move(info));
}

void NvmlSensor::read_power(Board& board, PowerReading& r) {
  if (board.field_instant || board.field_average) {
    nvml::FieldValue values[2] = {};
    values[0].field_id = nvml::kFieldPowerInstant;
    values[1].field_id = nvml::kFieldPowerAverage;
    nvml::Return rc = api_.fields(board.handle, 2, values);
    if (rc != nvml::kSuccess) {
      r.error = "nvmlDeviceGetFieldValues: " + error_string(rc);
      return;
    }
    for (const nvml::FieldValue& v : values) {
      if (v.nvml_return != nvml::kSuccess) continue;
      std::optional<double> mw = nvml::field_number(v);
      if (v.field_id == nvml::kFieldPowerInstant) r.power_mw = mw;
      if (v.field_id == nvml::kFieldPowerAverage) r.average_power_mw = mw;
      r.measured_at_s = static_cast<double>(v.timestamp_us) / 1e6;
    }
    if (!board.field_instant) r.power_mw = r.average_power_mw;
    if (!r.power_mw) r.error = "nvmlDeviceGetFieldValues: no power field answered";
    return;
  }
  unsigned int mw = 0;
  nvml::Return rc = api_.power(board.handle, &mw);
  if (rc != nvml::kSuccess) {
    r.error = "nvmlDeviceGetPowerUsage: " + error_string(rc);
    return;
  }
  r.power_mw = static_cast<double>(mw);
}

PowerReading NvmlSensor::read_board(Board& board) {
  PowerReading r;
  r.device = board.id;
  read_power(board, r);
  if (!r.error.empty()) return r;
  if (board.has_counter) {
    unsigned long long mj = 0;
    nvml::Return rc = api_.energy(board.handle, &mj);
    if (rc == nvml::kSuccess) {
      r.energy_mj = static_cast<double>(mj);
    } else if (rc == nvml::kErrorNotSupported) {
      board.has_counter = false;  // stop asking; the power samples still count
    } else {
      r.error = "nvmlDeviceGetTotalEnergyConsumption: " + error_string(rc);
    }
  }
  if (api_.utilization) {
    nvml::Utilization u{};
    if (api_.utilization(board.handle, &u) == nvml::kSuccess) r.utilization_pct = u.gpu;
  }
  r.source = r.energy_mj ? EnergySource::kCounter : EnergySource::kSampled;
  return r;
}

std::string NvmlSensor::provenance() const {
  if (boards_.empty()) return {};
  json p;
  p["sensor"] = "nvml";
  p["driver_version"] = driver_version_;
  p["nvml_version"] = nvml_version_;
  p["boards"] = json::array();
  for (const Board& b : boards_) p["boards"].push_back(b.provenance);
  if (!notes_.empty()) p["notes"] = notes_;
  return p.dump();
}

}  // namespace

bool is_gpu_selector(const std::string& selector) { return nvml::is_gpu_selector_text(selector); }

std::unique_ptr<Sensor> make_nvml_sensor(const SensorOptions& options) {
  return std::make_unique<NvmlSensor>(options);
}

}  // namespace powertrain
