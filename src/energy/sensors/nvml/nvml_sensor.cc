#include <dlfcn.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "energy/sensors/nvml/nvml_api.h"
#include "powertrain/energy/sensors/nvml.h"
#include "util/strings.h"

namespace powertrain {

namespace {

class NvmlSensor final : public Sensor {
 public:
  explicit NvmlSensor(const SensorOptions& options) { open(options.nvml_library); }

  ~NvmlSensor() override {
    if (initialised_ && shutdown_) shutdown_();
    if (lib_) dlclose(lib_);
  }

  std::string name() const override { return "nvml"; }
  bool available() const override { return reason_.empty(); }
  std::string reason() const override { return reason_; }
  std::vector<DeviceInfo> devices() const override { return infos_; }

  std::vector<PowerReading> read() override {
    std::vector<PowerReading> out;
    out.reserve(gpus_.size());
    for (Gpu& gpu : gpus_) {
      PowerReading r;
      r.device = gpu.id;
      unsigned int mw = 0;
      nvml::Return rc = power_(gpu.handle, &mw);
      if (rc != nvml::kSuccess) {
        r.error = "nvmlDeviceGetPowerUsage: " + error_string(rc);
        out.push_back(std::move(r));
        continue;
      }
      r.power_mw = static_cast<double>(mw);
      if (gpu.has_counter) {
        unsigned long long mj = 0;
        rc = energy_(gpu.handle, &mj);
        if (rc == nvml::kSuccess) {
          r.energy_mj = static_cast<double>(mj);
        } else if (rc == nvml::kErrorNotSupported) {
          gpu.has_counter = false;  // stop asking; the power samples still count
        } else {
          r.error = "nvmlDeviceGetTotalEnergyConsumption: " + error_string(rc);
        }
      }
      if (utilization_) {
        nvml::Utilization u{};
        if (utilization_(gpu.handle, &u) == nvml::kSuccess) r.utilization_pct = u.gpu;
      }
      r.source = r.energy_mj ? EnergySource::kCounter : EnergySource::kSampled;
      out.push_back(std::move(r));
    }
    return out;
  }

 private:
  struct Gpu {
    std::string id;
    nvml::Device handle = nullptr;
    bool has_counter = false;
  };

  template <typename Fn>
  Fn symbol(const char* name, bool required = true) {
    void* p = dlsym(lib_, name);
    if (!p && required && reason_.empty()) {
      reason_ = std::string("NVML library lacks ") + name;
    }
    return reinterpret_cast<Fn>(p);
  }

  std::string error_string(nvml::Return rc) const {
    const char* s = error_string_ ? error_string_(rc) : nullptr;
    return (s ? std::string(s) : std::string("error")) + " (" + std::to_string(rc) + ")";
  }

  void open(const std::string& library) {
    lib_ = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib_) {
      const char* err = dlerror();
      reason_ = "cannot load " + library + ": " + (err ? err : "unknown error") +
                " (no NVIDIA driver here?)";
      return;
    }
    auto init = symbol<nvml::InitFn>("nvmlInit_v2");
    shutdown_ = symbol<nvml::ShutdownFn>("nvmlShutdown");
    error_string_ = symbol<nvml::ErrorStringFn>("nvmlErrorString", false);
    auto count_fn = symbol<nvml::GetCountFn>("nvmlDeviceGetCount_v2");
    auto by_index = symbol<nvml::GetHandleByIndexFn>("nvmlDeviceGetHandleByIndex_v2");
    auto by_uuid = symbol<nvml::GetHandleByUuidFn>("nvmlDeviceGetHandleByUUID", false);
    auto get_name = symbol<nvml::GetNameFn>("nvmlDeviceGetName", false);
    auto get_limit = symbol<nvml::GetPowerLimitFn>("nvmlDeviceGetEnforcedPowerLimit", false);
    power_ = symbol<nvml::GetPowerUsageFn>("nvmlDeviceGetPowerUsage");
    energy_ = symbol<nvml::GetTotalEnergyFn>("nvmlDeviceGetTotalEnergyConsumption", false);
    utilization_ = symbol<nvml::GetUtilizationFn>("nvmlDeviceGetUtilizationRates", false);
    if (!reason_.empty()) return;

    nvml::Return rc = init();
    if (rc != nvml::kSuccess) {
      reason_ = "nvmlInit failed: " + error_string(rc);
      return;
    }
    initialised_ = true;

    unsigned int count = 0;
    rc = count_fn(&count);
    if (rc != nvml::kSuccess) {
      reason_ = "nvmlDeviceGetCount failed: " + error_string(rc);
      return;
    }

    // CUDA_VISIBLE_DEVICES lists indices or UUIDs; our device ids follow the
    // order CUDA uses, so that gpu0 is what the training calls cuda:0.
    std::vector<std::string> wanted;
    const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
    if (visible) {
      for (std::string item : split(visible, ',')) {
        item = trim(item);
        if (item.empty()) break;  // CUDA stops at the first invalid entry
        wanted.push_back(item);
      }
    } else {
      for (unsigned int i = 0; i < count; ++i) wanted.push_back(std::to_string(i));
    }

    for (size_t k = 0; k < wanted.size(); ++k) {
      const std::string& item = wanted[k];
      nvml::Device handle = nullptr;
      bool is_index = !item.empty() && item.find_first_not_of("0123456789") == std::string::npos;
      if (is_index) {
        unsigned long index = std::stoul(item);
        if (index >= count) break;  // CUDA ignores entries after an invalid one
        rc = by_index(static_cast<unsigned int>(index), &handle);
      } else if (by_uuid) {
        rc = by_uuid(item.c_str(), &handle);
      } else {
        rc = nvml::kErrorNotSupported;
      }
      if (rc != nvml::kSuccess) {
        if (reason_.empty() && gpus_.empty()) {
          reason_ = "CUDA_VISIBLE_DEVICES entry '" + item + "': " + error_string(rc);
        }
        break;
      }
      Gpu gpu;
      gpu.id = "gpu" + std::to_string(k);
      gpu.handle = handle;
      DeviceInfo info;
      info.id = gpu.id;
      char name[96] = {0};
      if (get_name && get_name(handle, name, sizeof(name)) == nvml::kSuccess) info.name = name;
      info.measures = "GPU board power (NVML)";
      unsigned int limit_mw = 0;
      if (get_limit && get_limit(handle, &limit_mw) == nvml::kSuccess) info.power_limit_mw = limit_mw;
      unsigned long long mj = 0;
      gpu.has_counter = energy_ && energy_(handle, &mj) == nvml::kSuccess;
      info.has_counter = gpu.has_counter;
      if (gpu.has_counter) info.measures += " + energy counter";
      gpus_.push_back(gpu);
      infos_.push_back(info);
    }
    if (gpus_.empty() && reason_.empty()) {
      reason_ = visible ? "no GPU left after CUDA_VISIBLE_DEVICES='" + std::string(visible) + "'"
                        : "NVML found no GPU";
    }
    if (!gpus_.empty()) reason_.clear();
  }

  void* lib_ = nullptr;
  bool initialised_ = false;
  std::string reason_;
  nvml::ShutdownFn shutdown_ = nullptr;
  nvml::ErrorStringFn error_string_ = nullptr;
  nvml::GetPowerUsageFn power_ = nullptr;
  nvml::GetTotalEnergyFn energy_ = nullptr;
  nvml::GetUtilizationFn utilization_ = nullptr;
  std::vector<Gpu> gpus_;
  std::vector<DeviceInfo> infos_;
};

}  // namespace

std::unique_ptr<Sensor> make_nvml_sensor(const SensorOptions& options) {
  return std::make_unique<NvmlSensor>(options);
}

}  // namespace powertrain
