#include "energy/sensors/nvml/cuda_devices.h"

#include <cstdio>
#include <regex>

#include "energy/sensors/nvml/library.h"

namespace powertrain::nvml {

namespace {

using CuInitFn = int (*)(unsigned int);
using CuCountFn = int (*)(int*);
using CuGetFn = int (*)(int*, int);
using CuBusIdFn = int (*)(char*, int, int);
using CuUuidFn = int (*)(unsigned char*, int);
using CuErrorStringFn = int (*)(int, const char**);

constexpr int kCudaErrorNoDevice = 100;

std::string cuda_error(CuErrorStringFn fn, int rc) {
  const char* text = nullptr;
  if (fn) fn(rc, &text);
  return std::string(text ? text : "error") + " (" + std::to_string(rc) + ")";
}

}  // namespace

std::optional<std::string> normalise_bus_id(const std::string& text) {
  static const std::regex form("[0-9a-fA-F]{1,8}:[0-9a-fA-F]{1,2}:[0-9a-fA-F]{1,2}\\.[0-7]");
  unsigned domain = 0, bus = 0, device = 0, function = 0;
  if (!std::regex_match(text, form) ||
      std::sscanf(text.c_str(), "%x:%x:%x.%x", &domain, &bus, &device, &function) != 4 ||
      device > 0x1f) {
    return std::nullopt;
  }
  char out[32];
  std::snprintf(out, sizeof(out), "%08X:%02X:%02X.%X", domain, bus, device, function);
  return std::string(out);
}

std::string format_uuid(const unsigned char b[16], const char* prefix) {
  char out[64];
  std::snprintf(out, sizeof(out),
                "%s%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", prefix,
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                b[13], b[14], b[15]);
  return out;
}

CudaDevices list_cuda_devices(const std::string& library) {
  CudaDevices out;
  std::string error;
  Library lib = open_library(library, &error, /*keep=*/true);
  if (!lib) {
    out.error = "cannot load " + library + ": " + error;
    return out;
  }
  out.loaded = true;
  auto init = symbol<CuInitFn>(lib, "cuInit");
  auto count_fn = symbol<CuCountFn>(lib, "cuDeviceGetCount");
  auto get = symbol<CuGetFn>(lib, "cuDeviceGet");
  auto bus_fn = symbol<CuBusIdFn>(lib, "cuDeviceGetPCIBusId");
  auto uuid_fn = symbol<CuUuidFn>(lib, "cuDeviceGetUuid");
  auto errors = symbol<CuErrorStringFn>(lib, "cuGetErrorString");
  if (!init || !count_fn || !get || !bus_fn) {
    out.error = library + " lacks cuInit, cuDeviceGetCount, cuDeviceGet or cuDeviceGetPCIBusId";
    return out;
  }
  int rc = init(0);
  if (rc != 0) {
    out.no_device = rc == kCudaErrorNoDevice;
    out.error = "cuInit: " + cuda_error(errors, rc);
    return out;
  }
  int count = 0;
  if ((rc = count_fn(&count)) != 0) {
    out.error = "cuDeviceGetCount: " + cuda_error(errors, rc);
    return out;
  }
  for (int ordinal = 0; ordinal < count; ++ordinal) {
    CudaDevice d;
    d.ordinal = ordinal;
    int handle = 0;
    char bus[32] = {0};
    if ((rc = get(&handle, ordinal)) != 0 || (rc = bus_fn(bus, sizeof(bus), handle)) != 0) {
      out.error = "CUDA device " + std::to_string(ordinal) + ": " + cuda_error(errors, rc);
      return out;
    }
    d.bus_id = normalise_bus_id(bus).value_or(bus);
    unsigned char bytes[16] = {0};
    if (uuid_fn && uuid_fn(bytes, handle) == 0) d.uuid = format_uuid(bytes);
    out.devices.push_back(d);
  }
  return out;
}

}  // namespace powertrain::nvml
