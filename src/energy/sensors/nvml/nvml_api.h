// The slice of the NVML C API that powertrain uses, declared here so that no
// CUDA toolkit is needed to build; the library is opened with dlopen.
// Values and signatures follow nvml.h.
#pragma once

namespace powertrain::nvml {

using Return = int;
using Device = struct DeviceOpaque*;

inline constexpr Return kSuccess = 0;
inline constexpr Return kErrorUninitialized = 1;
inline constexpr Return kErrorInvalidArgument = 2;
inline constexpr Return kErrorNotSupported = 3;
inline constexpr Return kErrorNoPermission = 4;
inline constexpr Return kErrorNotFound = 6;
inline constexpr Return kErrorDriverNotLoaded = 9;
inline constexpr Return kErrorGpuIsLost = 15;
inline constexpr Return kErrorUnknown = 999;

struct Utilization {
  unsigned int gpu;     // percent of time a kernel ran
  unsigned int memory;  // percent of time memory was read or written
};

using InitFn = Return (*)();
using ShutdownFn = Return (*)();
using ErrorStringFn = const char* (*)(Return);
using GetCountFn = Return (*)(unsigned int*);
using GetHandleByIndexFn = Return (*)(unsigned int, Device*);
using GetHandleByUuidFn = Return (*)(const char*, Device*);
using GetNameFn = Return (*)(Device, char*, unsigned int);
using GetUuidFn = Return (*)(Device, char*, unsigned int);
using GetPowerUsageFn = Return (*)(Device, unsigned int*);                  // mW
using GetTotalEnergyFn = Return (*)(Device, unsigned long long*);           // mJ
using GetUtilizationFn = Return (*)(Device, Utilization*);
using GetPowerLimitFn = Return (*)(Device, unsigned int*);                  // mW

}  // namespace powertrain::nvml
