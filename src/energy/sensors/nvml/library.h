// A dlopen'ed shared library that closes itself (RAII), and its symbols.
#pragma once

#include <dlfcn.h>

#include <memory>
#include <string>

namespace powertrain::nvml {

struct DlClose {
  void operator()(void* handle) const {
    if (handle) dlclose(handle);
  }
};
using Library = std::unique_ptr<void, DlClose>;

// Opens `path`; on failure returns null and sets *error to dlerror()'s text.
// RTLD_NODELETE keeps a driver library mapped after dlclose: the CUDA driver
// leaves threads behind after cuInit.
inline Library open_library(const std::string& path, std::string* error, bool keep = false) {
  int flags = RTLD_NOW | RTLD_LOCAL | (keep ? RTLD_NODELETE : 0);
  Library lib(dlopen(path.c_str(), flags));
  if (!lib) {
    const char* err = dlerror();
    *error = err ? err : "unknown error";
  }
  return lib;
}

template <typename Fn>
Fn symbol(const Library& lib, const char* name) {
  return lib ? reinterpret_cast<Fn>(dlsym(lib.get(), name)) : nullptr;
}

}  // namespace powertrain::nvml
