// The on-disk cache of preprocessed PAMAP2 windows (pamap2_cache.cc), apart
// from the parser and the windowing (pamap2.cc). Not installed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "powertrain/data/pamap2.h"

namespace powertrain::pamap2_detail {

struct SubjectFiles {
  int subject;
  std::vector<std::string> files;  // Protocol first, then Optional
};

// The cache file's name: a hash of the source files (path, size, mtime),
// the options and the cache's version.
std::string cache_key(const std::vector<SubjectFiles>& subjects, const Pamap2Options& o);
std::string serialize(const Pamap2Data& d);
// Throws std::runtime_error for a damaged, truncated or older file.
Pamap2Data deserialize(std::string_view bytes);
// The data cached at path, or nullopt when there is none or it cannot be
// used (damaged, outdated: the caller rebuilds it).
std::optional<Pamap2Data> read_cache(const std::string& path);
// Writes data to path, creating its folder; on failure a warning in
// data.warnings (the data is still good, later loads are only slower).
void write_cache(const std::string& path, Pamap2Data& data);

}  // namespace powertrain::pamap2_detail
