// Which boards the NVML sensor opens: SensorOptions::gpus resolved to UUIDs
// and PCI bus ids (through the CUDA driver for CUDA ordinals), before NVML
// is touched.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "energy/sensors/nvml/nvml_api.h"
#include "powertrain/energy/sensor.h"

namespace powertrain::nvml {

// One board to open, by the first of these that is set.
struct Wanted {
  std::string selector;  // as the user or the run named it: "cuda:1", "GPU-5a1f"
  std::optional<unsigned int> nvml_index;
  std::string uuid;  // exact, or (not from_cuda) a unique prefix
  std::string bus_id;
  bool from_cuda = false;  // found by the CUDA driver
};

struct Selection {
  std::vector<Wanted> wanted;
  bool all_nvml = false;         // every board NVML lists (no CUDA driver, no CUDA_VISIBLE_DEVICES)
  bool stop_at_invalid = false;  // CUDA_VISIBLE_DEVICES read as CUDA does: stop at a bad entry
  bool none = false;             // measure no GPU, for why_none's reason
  std::string why_none;
  bool cuda_run = false;  // the CUDA driver shows GPUs to this process: they must be measured
  std::string error;      // a selector that names no GPU: bad input
  std::vector<std::string> notes;
};

Selection select_gpus(const SensorOptions& options);

// cuda:N, N, a PCI bus id, GPU-..., MIG-...
bool is_gpu_selector_text(const std::string& text);

// A field value's number, whatever its type.
std::optional<double> field_number(const FieldValue& value);

}  // namespace powertrain::nvml
