#include "powertrain/sweep/plan.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

#include "powertrain/store/run_roles.h"
#include "powertrain/sweep/run_key.h"
#include "powertrain/util/parse.h"

namespace powertrain {
namespace {
// Far above any real study's grid of setups x repeats x roles; far below
// what would exhaust memory.
constexpr long kMaxPlannedRuns = 1000000;
constexpr long long kMaxShards = 100000;
}  // namespace

std::string PlannedRun::key() const { return RunKey{setup_name, repeat, role}.str(); }

std::string run_key(const RunRecord& r) {
  std::string setup = r.batch_size && r.learning_rate ? setup_name(*r.batch_size, *r.learning_rate)
                                                      : std::to_string(r.setup.value_or(0));
  return RunKey{setup, r.repeat.value_or(0), r.role}.str();
}

std::vector<std::string> paradigm_roles(const std::string& paradigm) {
  if (paradigm == roles::kPretraining) {
    return {roles::kAutoencoder, roles::kFrozen, roles::kUnfrozen, roles::kBaseline};
  }
  if (paradigm == roles::kMultitask) {
    return {roles::kAttributes, roles::kIdentity, roles::kBoth};
  }
  return {roles::kClassifier};
}

namespace {
void assign_role(const ExperimentConfig& config, PlannedRun& run) {
  const std::string& r = run.role;
  if (r == roles::kClassifier) {
    run.task = config.task;
  } else if (r == roles::kAutoencoder) {
    run.task = tasks::kPamap2Autoencoder;
    run.saves_encoder = true;
  } else if (r == roles::kFrozen || r == roles::kUnfrozen) {
    run.task = tasks::kPamap2Classifier;
    run.needs_encoder = true;
    run.freeze_encoder = r == roles::kFrozen;
  } else if (r == roles::kBaseline) {
    run.task = tasks::kPamap2;
  } else if (r == roles::kAttributes) {
    run.task = tasks::kCelebaAttributes;
  } else if (r == roles::kIdentity) {
    run.task = tasks::kCelebaIdentity;
  } else if (r == roles::kBoth) {
    run.task = tasks::kCelebaMultitask;
    run.alpha = config.alpha;
  }
}
}  // namespace

std::vector<PlannedRun> expand_plan(const ExperimentConfig& config) {
  std::vector<PlannedRun> plan;
  const auto role_list = paradigm_roles(config.paradigm);
  // Refused before anything is allocated: a typo such as repeats = 100000000
  // would otherwise take gigabytes and end in std::bad_alloc.
  const long double total = static_cast<long double>(std::max(config.repeats, 0)) *
                            config.batch_sizes.size() * config.learning_rates.size() *
                            role_list.size();
  if (total > kMaxPlannedRuns) {
    throw std::invalid_argument(fmt::format(
        "{}: {} repeats x {} batch sizes x {} learning rates x {} roles = {:.0f} runs, more than "
        "the limit of {}",
        config.file.empty() ? std::string("experiment") : config.file, config.repeats,
        config.batch_sizes.size(), config.learning_rates.size(), role_list.size(),
        static_cast<double>(total), kMaxPlannedRuns));
  }
  plan.reserve(static_cast<size_t>(total));
  int group = 0;
  for (int repeat = 1; repeat <= config.repeats; ++repeat) {
    for (int batch_size : config.batch_sizes) {
      for (double lr : config.learning_rates) {
        for (const auto& role : role_list) {
          PlannedRun run;
          run.index = static_cast<int>(plan.size());
          run.group = group;
          run.setup = table1_setup(batch_size, lr);
          run.setup_name = setup_name(batch_size, lr);
          run.batch_size = batch_size;
          run.learning_rate = lr;
          run.repeat = repeat;
          run.role = role;
          // Repeats differ by seed; roles and setups of one repeat share it,
          // so that they start from comparable initialisations.
          run.seed = config.seed + repeat - 1;
          assign_role(config, run);
          plan.push_back(std::move(run));
        }
        ++group;
      }
    }
  }
  return plan;
}

std::string Shard::to_string() const { return fmt::format("{}/{}", index, count); }

Shard parse_shard(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos) {
    throw std::invalid_argument(fmt::format("--shard: expected I/N (e.g. 2/4), got '{}'", text));
  }
  SourceLocation where{"--shard", 0, 0};
  // Checked as 64-bit numbers before narrowing: 1/99999999999 is refused, not wrapped.
  long long index = parse_int(text.substr(0, slash), where);
  long long count = parse_int(text.substr(slash + 1), where);
  if (count > kMaxShards) {
    throw std::invalid_argument(
        fmt::format("--shard: N must be at most {}, got '{}'", kMaxShards, text));
  }
  Shard shard;
  if (count < 1 || index < 1 || index > count) {
    throw std::invalid_argument(
        fmt::format("--shard: expected I/N with 1 <= I <= N, got '{}'", text));
  }
  shard.index = static_cast<int>(index);
  shard.count = static_cast<int>(count);
  return shard;
}

std::optional<Shard> shard_from_environment() {
  const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
  const char* count = std::getenv("SLURM_ARRAY_TASK_COUNT");
  if (!id || !count || !*id || !*count) return std::nullopt;
  const char* min = std::getenv("SLURM_ARRAY_TASK_MIN");
  long long task_id = parse_int(id, {"SLURM_ARRAY_TASK_ID", 0, 0});
  long long task_count = parse_int(count, {"SLURM_ARRAY_TASK_COUNT", 0, 0});
  long long task_min = (min && *min) ? parse_int(min, {"SLURM_ARRAY_TASK_MIN", 0, 0}) : 0;
  long long index = task_id - task_min;
  if (task_count < 1 || task_count > kMaxShards || index < 0 || index >= task_count) {
    throw std::invalid_argument(fmt::format(
        "SLURM_ARRAY_TASK_ID={} with SLURM_ARRAY_TASK_MIN={} and SLURM_ARRAY_TASK_COUNT={} does "
        "not give a shard; the array must be contiguous (e.g. --array=0-3), or pass --shard I/N",
        task_id, task_min, task_count));
  }
  return Shard{static_cast<int>(index + 1), static_cast<int>(task_count)};
}

}  // namespace powertrain
