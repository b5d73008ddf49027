#include "energy/sensors/nvml/selection.h"

#include <cstdlib>

#include "energy/sensors/nvml/cuda_devices.h"
#include "util/strings.h"

namespace powertrain::nvml {

namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

Wanted from_cuda(const CudaDevice& d, const std::string& selector) {
  Wanted w;
  w.selector = selector;
  w.uuid = d.uuid;
  w.bus_id = d.bus_id;
  w.from_cuda = true;
  return w;
}

// CUDA_VISIBLE_DEVICES read without the CUDA driver: numbers as NVML's (PCI
// order) indices, which is what CUDA means under CUDA_DEVICE_ORDER=PCI_BUS_ID.
Selection without_cuda(const CudaDevices& cuda) {
  Selection s;
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  if (!visible) {
    s.all_nvml = true;
    s.notes.push_back("CUDA driver not usable (" + cuda.error + "): every GPU NVML lists");
    return s;
  }
  s.stop_at_invalid = true;
  s.notes.push_back("CUDA driver not usable (" + cuda.error +
                    "): CUDA_VISIBLE_DEVICES numbers taken as NVML (PCI order) indices");
  for (std::string item : split(visible, ',')) {
    item = trim(item);
    if (item.empty()) break;  // CUDA stops at the first invalid entry
    Wanted w;
    w.selector = "CUDA_VISIBLE_DEVICES entry '" + item + "'";
    if (all_digits(item)) {
      w.nvml_index = static_cast<unsigned int>(std::stoul(item.substr(0, 9)));
    } else {
      w.uuid = item;
    }
    s.wanted.push_back(w);
  }
  if (s.wanted.empty()) {
    s.none = true;
    s.why_none = "no GPU left after CUDA_VISIBLE_DEVICES='" + std::string(visible) + "'";
  }
  return s;
}

// The GPUs this process's CUDA_VISIBLE_DEVICES shows.
Selection visible_gpus(const SensorOptions& options) {
  CudaDevices cuda = list_cuda_devices(options.cuda_library);
  if (!cuda.loaded || (!cuda.no_device && !cuda.error.empty())) return without_cuda(cuda);
  Selection s;
  if (cuda.devices.empty()) {
    s.none = true;
    const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
    s.why_none = "CUDA sees no GPU (" + cuda.error + ")";
    if (visible) s.why_none += " with CUDA_VISIBLE_DEVICES='" + std::string(visible) + "'";
    return s;
  }
  s.cuda_run = true;
  for (const CudaDevice& d : cuda.devices) {
    s.wanted.push_back(from_cuda(d, "cuda:" + std::to_string(d.ordinal)));
  }
  return s;
}

// One explicit selector; false (with s.error) when it names no GPU.
bool add_selector(const std::string& text, const std::optional<CudaDevices>& cuda, Selection& s) {
  std::string item = trim(text);
  std::string ordinal = starts_with(item, "cuda:") ? item.substr(5) : item;
  if (all_digits(ordinal)) {
    if (!cuda->loaded || (!cuda->error.empty() && !cuda->no_device)) {
      s.error = "GPU '" + item + "': the CUDA driver cannot map it (" + cuda->error + ")";
      return false;
    }
    size_t n = std::stoul(ordinal.substr(0, 9));
    if (n >= cuda->devices.size()) {
      s.error = "GPU '" + item + "': CUDA sees " + std::to_string(cuda->devices.size()) +
                " device(s) under the current CUDA_VISIBLE_DEVICES";
      return false;
    }
    s.wanted.push_back(from_cuda(cuda->devices[n], "cuda:" + std::to_string(n)));
    return true;
  }
  Wanted w;
  w.selector = item;
  if (starts_with(item, "GPU-") || starts_with(item, "MIG-")) {
    w.uuid = item;
  } else if (auto bus = normalise_bus_id(item)) {
    w.bus_id = *bus;
  } else {
    s.error = "GPU '" + item + "': not a GPU (cuda:N, a PCI bus id, GPU-... or MIG-...)";
    return false;
  }
  s.wanted.push_back(w);
  return true;
}

}  // namespace

bool is_gpu_selector_text(const std::string& text) {
  std::string item = trim(text);
  if (all_digits(starts_with(item, "cuda:") ? item.substr(5) : item)) return true;
  if ((starts_with(item, "GPU-") || starts_with(item, "MIG-")) && item.size() > 4) return true;
  return normalise_bus_id(item).has_value();
}

Selection select_gpus(const SensorOptions& options) {
  if (!options.gpus) {
    Selection s = visible_gpus(options);
    s.cuda_run = s.cuda_run || options.gpu_required;
    return s;
  }
  Selection s;
  s.cuda_run = options.gpu_required;
  if (options.gpus->empty()) {
    s.none = true;
    s.why_none = "no GPU selected (a CPU run measures no GPU)";
    return s;
  }
  std::optional<CudaDevices> cuda;
  for (const std::string& g : *options.gpus) {
    std::string item = trim(g);
    bool ordinal = all_digits(starts_with(item, "cuda:") ? item.substr(5) : item);
    if (ordinal && !cuda) cuda = list_cuda_devices(options.cuda_library);
    if (!add_selector(item, cuda, s)) return s;
  }
  return s;
}

std::optional<double> field_number(const FieldValue& v) {
  switch (v.value_type) {
    case kDouble:
      return v.value.d;
    case kUnsignedInt:
      return static_cast<double>(v.value.ui);
    case kUnsignedLong:
      return static_cast<double>(v.value.ul);
    case kUnsignedLongLong:
      return static_cast<double>(v.value.ull);
    case kSignedLongLong:
      return static_cast<double>(v.value.sll);
    case kSignedInt:
      return static_cast<double>(v.value.si);
  }
  return std::nullopt;
}

}  // namespace powertrain::nvml
