// `powertrain merge`: shard databases of one experiment joined into one.
#include <filesystem>
#include <map>
#include <memory>
#include <ostream>
#include <stdexcept>

#include <fmt/format.h>

#include "powertrain/sweep/sweep.h"

namespace powertrain {
namespace {

namespace fs = std::filesystem;

struct Identity {
  std::string name, hash, config;
};

Identity identity_of(const Store& store) {
  auto name = store.meta(kMetaExperiment);
  if (!name) {
    throw std::invalid_argument(
        fmt::format("{} is not a sweep database (it names no experiment)", store.path()));
  }
  return Identity{*name, store.meta(kMetaExperimentHash).value_or(""),
                  store.meta(kMetaExperimentConfig).value_or("")};
}

std::string key_of(const RunRecord& r) { return powertrain::run_key(r); }

// An existing output must hold the same experiment and none of the runs
// being merged into it.
void check_existing_output(const std::string& out_path, const Identity& identity,
                           const std::map<std::string, std::string>& owner) {
  Store existing(out_path);
  auto name = existing.meta(kMetaExperiment);
  if (!name && !existing.runs().empty()) {
    throw std::invalid_argument(
        fmt::format("merge: {} exists and is not a sweep database", out_path));
  }
  if (name) {
    Identity id = identity_of(existing);
    if (id.name != identity.name || id.hash != identity.hash) {
      throw std::invalid_argument(
          fmt::format("merge: {} holds experiment '{}' (hash {}), the inputs '{}' (hash {})",
                      out_path, id.name, id.hash, identity.name, identity.hash));
    }
  }
  for (const auto& r : existing.runs()) {
    auto it = owner.find(key_of(r));
    if (it != owner.end()) {
      throw std::invalid_argument(
          fmt::format("merge: run {} is in both {} and {}", key_of(r), out_path, it->second));
    }
  }
}

// One run with its epochs, whole-run energy and samples, under a new id.
void copy_run(Store& in, Store& target, RunRecord r) {
  const int64_t old_id = r.id;
  const int64_t new_id = target.add_run(r);
  for (EpochRecord e : in.epochs(old_id)) {
    e.run_id = new_id;
    target.put_epoch(e);
  }
  // The whole run's energy (outside-epoch time included), where stored.
  if (auto whole = in.run_energy(old_id)) {
    whole->run_id = new_id;
    target.put_run_energy(*whole);
  }
  std::vector<Sample> samples = in.samples(old_id);
  for (auto& s : samples) s.run_id = new_id;
  target.add_samples(samples);
}

// Every input exists and none is the output.
void check_paths(const std::string& out_path, const std::vector<std::string>& in_paths) {
  std::error_code ec;
  for (const auto& path : in_paths) {
    if (!fs::is_regular_file(path, ec)) {
      throw std::invalid_argument(fmt::format("merge: input database {} does not exist", path));
    }
    if (fs::exists(out_path, ec) && fs::equivalent(path, out_path, ec)) {
      throw std::invalid_argument(fmt::format("merge: {} is both input and output", path));
    }
  }
}

}  // namespace

int merge_databases(const std::string& out_path, const std::vector<std::string>& in_paths,
                    std::ostream* out) {
  if (in_paths.empty()) throw std::invalid_argument("merge: no input databases");
  check_paths(out_path, in_paths);
  std::error_code ec;

  // Read and check every input before the output is created or touched.
  std::vector<std::unique_ptr<Store>> inputs;
  Identity identity;
  std::map<std::string, std::string> owner;  // run key -> database holding it
  for (const auto& path : in_paths) {
    inputs.push_back(
        std::make_unique<Store>(path, Store::Mode::kReadOnly));  // inputs stay untouched
    Identity id = identity_of(*inputs.back());
    if (inputs.size() == 1) {
      identity = id;
    } else if (id.name != identity.name || id.hash != identity.hash) {
      throw std::invalid_argument(fmt::format(
          "merge: {} holds experiment '{}' (hash {}) but {} holds '{}' (hash {}); only shards of "
          "one experiment can be merged",
          path, id.name, id.hash, in_paths.front(), identity.name, identity.hash));
    }
    for (const auto& r : inputs.back()->runs()) {
      auto [it, fresh] = owner.emplace(key_of(r), path);
      if (!fresh) {
        throw std::invalid_argument(
            fmt::format("merge: run {} is in both {} and {}", key_of(r), it->second, path));
      }
    }
  }
  const bool out_exists = fs::exists(out_path, ec);
  if (out_exists) check_existing_output(out_path, identity, owner);

  // A new output is built under a temporary name and renamed when complete,
  // so a failed merge leaves nothing behind. (The store's writes each run in
  // their own transaction, so one enclosing transaction is not possible.)
  const std::string build_path = out_exists ? out_path : out_path + ".merging";
  if (!out_exists) fs::remove(build_path, ec);
  int copied = 0;
  try {
    Store target(build_path);
    if (!target.meta(kMetaExperiment)) {
      target.set_meta(kMetaExperiment, identity.name);
      target.set_meta(kMetaExperimentHash, identity.hash);
      target.set_meta(kMetaExperimentConfig, identity.config);
      target.set_meta(kMetaExperimentFile, inputs.front()->meta(kMetaExperimentFile).value_or(""));
    }
    // A merged database holds (part of) the whole experiment: a sweep
    // without --shard may complete it.
    target.set_meta(kMetaShard, "");
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      Store& in = *inputs[i];
      const auto runs = in.runs();
      for (RunRecord r : runs) {
        copy_run(in, target, r);
        ++copied;
      }
      if (out) *out << fmt::format("merge: {} runs from {}\n", runs.size(), in_paths[i]);
    }
  } catch (...) {
    if (!out_exists) {
      for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(build_path + suffix, ec);
    }
    throw;
  }
  if (!out_exists) {
    fs::rename(build_path, out_path, ec);
    if (ec)
      throw std::runtime_error("cannot rename " + build_path + " to " + out_path + ": " +
                               ec.message());
  }
  if (out) {
    *out << fmt::format("merge: {} runs of experiment '{}' into {}\n", copied, identity.name,
                        out_path);
  }
  return copied;
}

}  // namespace powertrain
