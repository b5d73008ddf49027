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
inline constexpr Return kErrorLibRmVersionMismatch = 18;
inline constexpr Return kErrorUnknown = 999;

struct Utilization {
  unsigned int gpu;     // percent of time a kernel ran
  unsigned int memory;  // percent of time memory was read or written
};

// nvmlFieldValue_t. NVML_FI_DEV_POWER_AVERAGE is the board's 1 s moving
// average (Ampere except GA100, and newer), NVML_FI_DEV_POWER_INSTANT its
// current power (all architectures); both in mW as an unsigned int.
inline constexpr unsigned int kFieldPowerAverage = 185;
inline constexpr unsigned int kFieldPowerInstant = 186;
enum ValueType : int {
  kDouble = 0,
  kUnsignedInt = 1,
  kUnsignedLong = 2,
  kUnsignedLongLong = 3,
  kSignedLongLong = 4,
  kSignedInt = 5,
};
union Value {
  double d;
  unsigned int ui;
  unsigned long ul;
  unsigned long long ull;
  long long sll;
  int si;
};
struct FieldValue {
  unsigned int field_id;
  unsigned int scope_id;
  long long timestamp_us;  // CPU time of the value, microseconds since 1970
  long long latency_us;
  ValueType value_type;
  Return nvml_return;
  Value value;
};

using InitFn = Return (*)();
using ShutdownFn = Return (*)();
using ErrorStringFn = const char* (*)(Return);
using SystemStringFn = Return (*)(char*, unsigned int);  // driver / NVML version
using GetCountFn = Return (*)(unsigned int*);
using GetHandleByIndexFn = Return (*)(unsigned int, Device*);
using GetHandleByStringFn = Return (*)(const char*, Device*);      // by UUID, by PCI bus id
using GetStringFn = Return (*)(Device, char*, unsigned int);       // name, UUID
using GetPowerUsageFn = Return (*)(Device, unsigned int*);         // mW
using GetTotalEnergyFn = Return (*)(Device, unsigned long long*);  // mJ
using GetUtilizationFn = Return (*)(Device, Utilization*);
using GetPowerLimitFn = Return (*)(Device, unsigned int*);  // mW
using GetFieldValuesFn = Return (*)(Device, int, FieldValue*);
using GetMigModeFn = Return (*)(Device, unsigned int*, unsigned int*);  // current, pending
using IsMigDeviceFn = Return (*)(Device, unsigned int*);
using GetParentFn = Return (*)(Device, Device*);
using GetMaxMigCountFn = Return (*)(Device, unsigned int*);
using GetMigByIndexFn = Return (*)(Device, unsigned int, Device*);

// nvmlPciInfo_t (nvmlDeviceGetPciInfo_v3): busId is "00000000:3B:00.0".
struct PciInfo {
  char bus_id_legacy[16];
  unsigned int domain;
  unsigned int bus;
  unsigned int device;
  unsigned int pci_device_id;
  unsigned int pci_subsystem_id;
  char bus_id[32];
};
using GetPciInfoFn = Return (*)(Device, PciInfo*);

}  // namespace powertrain::nvml
