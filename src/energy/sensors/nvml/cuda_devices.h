// The CUDA devices this process can see, as the CUDA driver numbers them
// (after CUDA_VISIBLE_DEVICES and CUDA_DEVICE_ORDER), with the PCI bus id and
// UUID of each: what maps `cuda:N` to the board NVML must open.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace powertrain::nvml {

struct CudaDevice {
  int ordinal = 0;
  std::string bus_id;  // normalised, see normalise_bus_id
  std::string uuid;    // "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" from the driver's bytes
};

struct CudaDevices {
  bool loaded = false;  // the driver library could be opened
  // Why the list is missing or empty ("cuInit: no CUDA-capable device is
  // detected (100)"); empty on success.
  std::string error;
  bool no_device = false;  // cuInit said CUDA_ERROR_NO_DEVICE: nothing visible
  std::vector<CudaDevice> devices;
};

// Opens `library` (libcuda.so.1) with dlopen and lists the devices.
CudaDevices list_cuda_devices(const std::string& library);

// "0000:3b:00.0", "00000000:3B:00.0" -> "00000000:3B:00.0" (NVML's form);
// nullopt when `text` is not a PCI bus id.
std::optional<std::string> normalise_bus_id(const std::string& text);

// 16 UUID bytes -> "GPU-8-4-4-4-12" in lower-case hex.
std::string format_uuid(const unsigned char bytes[16], const char* prefix = "GPU-");

}  // namespace powertrain::nvml
