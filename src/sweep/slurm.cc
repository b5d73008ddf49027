// `powertrain sweep --slurm`: the job script, sbatch, squeue.
#include "powertrain/sweep/slurm.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "powertrain/sweep/plan.h"
#include "powertrain/sweep/sweep.h"
#include "util/subprocess.h"

namespace powertrain {
namespace {

namespace fs = std::filesystem;

// Single-quoted for bash.
std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string folder_of(const std::string& db_path) {
  fs::path parent = fs::path(db_path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

std::string read_all(int fd) {
  std::string text;
  if (fd < 0) return text;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
  return text;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  return s.substr(start);
}

struct Output {
  int code = 0;
  std::string out, err;
};

// Runs a program; its stdout and stderr captured (both are short here).
Output run_program(const std::vector<std::string>& argv) {
  SpawnOptions spawn;
  spawn.argv = argv;
  spawn.capture_stdout = true;
  spawn.capture_stderr = true;
  Subprocess child(spawn);
  Output o;
  o.out = read_all(child.stdout_fd());
  o.err = read_all(child.stderr_fd());
  o.code = child.wait();
  return o;
}

int group_count(const ExperimentConfig& config) {
  int groups = 0;
  for (const auto& p : expand_plan(config)) groups = std::max(groups, p.group + 1);
  return groups;
}

void check_option(const char* what, const std::string& value) {
  if (value.find_first_of("\n\r") != std::string::npos) {
    throw std::invalid_argument(fmt::format("{} '{}' holds a line break", what, value));
  }
}

}  // namespace

std::vector<std::string> slurm_shard_databases(const ExperimentConfig& config,
                                               const std::string& db_path, int tasks) {
  std::vector<std::string> paths;
  for (int i = 1; i <= tasks; ++i) {
    paths.push_back(
        (fs::path(folder_of(db_path)) / default_db_path(config, Shard{i, tasks})).string());
  }
  return paths;
}

std::string slurm_job_script(const ExperimentConfig& config, const std::string& db_path,
                             const SlurmSubmitOptions& options) {
  const int tasks = options.tasks > 0 ? options.tasks : group_count(config);
  if (tasks < 1) throw std::invalid_argument("--slurm-tasks must be at least 1");
  std::vector<std::pair<std::string, std::string>> named = {
      {"partition", options.partition},
      {"time", options.time},
      {"gpus-per-task", options.gpus_per_task},
      {"account", options.account}};
  std::string folder = fs::absolute(folder_of(db_path)).lexically_normal().string();
  if (folder.size() > 1 && folder.back() == '/') folder.pop_back();  // "dir/." gives "dir/"
  const std::string stem = fs::path(db_path).stem().string();
  std::string text = "#!/bin/bash\n";
  text += fmt::format("# powertrain sweep {} as a Slurm job array: one task a shard, each\n",
                      config.file);
  text += fmt::format("# writing {}/{}.shard-I-of-{}.db; written by `powertrain sweep --slurm`.\n",
                      folder, config.name, tasks);
  text += fmt::format("#SBATCH --job-name={}\n", "powertrain-" + config.name);
  text += fmt::format("#SBATCH --array=0-{}\n", tasks - 1);
  text += fmt::format("#SBATCH --output={}/{}.slurm-%A_%a.out\n", folder, stem);
  // A requeued task appends to its log and continues its shard.
  text += "#SBATCH --open-mode=append\n#SBATCH --requeue\n";
  for (const auto& [name, value] : named) {
    check_option(("--slurm-" + name).c_str(), value);
    if (!value.empty()) text += fmt::format("#SBATCH --{}={}\n", name, value);
  }
  for (const auto& extra : options.extra) {
    check_option("--slurm-option", extra);
    if (extra.empty() || extra[0] != '-') {
      throw std::invalid_argument(
          fmt::format("--slurm-option '{}' is not an sbatch option (e.g. --mem=16G)", extra));
    }
    text += fmt::format("#SBATCH {}\n", extra);
  }
  const std::string program =
      options.powertrain.empty() ? std::string("powertrain") : options.powertrain;
  text += "set -eu\n";
  text += fmt::format("cd {}\n", quote(fs::current_path().string()));
  text += "SHARD=$((SLURM_ARRAY_TASK_ID + 1))\n";
  // exec: the task's signals (time limit, scancel) reach powertrain itself,
  // which sets the run in progress back to pending.
  std::string command =
      tasks == 1
          // One task: the whole experiment into <name>.db (no shard).
          ? fmt::format("exec {} sweep {} --db {}/{}", quote(program),
                        quote(fs::absolute(config.file).string()), quote(folder),
                        quote(default_db_path(config, Shard{})))
          : fmt::format(
                "exec {} sweep {} --shard \"$SHARD/{}\" --db {}/{}\".shard-$SHARD-of-{}.db\"",
                quote(program), quote(fs::absolute(config.file).string()), tasks, quote(folder),
                quote(config.name), tasks);
  for (const auto& a : options.sweep_args) {
    check_option("sweep argument", a);
    command += " " + quote(a);
  }
  text += command + "\n";
  return text;
}

SlurmSubmission submit_slurm_sweep(const ExperimentConfig& config, const std::string& db_path,
                                   const SlurmSubmitOptions& options) {
  SlurmSubmitOptions opts = options;
  if (opts.tasks <= 0) opts.tasks = group_count(config);
  const std::string script = slurm_job_script(config, db_path, opts);
  // Refuse before submitting what every task would refuse.
  check_data_dir(config);
  SlurmSubmission s;
  s.shard_databases = slurm_shard_databases(config, db_path, opts.tasks);
  for (int i = 0; i < opts.tasks; ++i) {
    check_database_identity(config, Shard{i + 1, opts.tasks}, s.shard_databases[i]);
  }
  s.script_path =
      (fs::path(folder_of(db_path)) / (fs::path(db_path).stem().string() + ".slurm.sh")).string();
  {
    std::ofstream f(s.script_path, std::ios::trunc);
    f << script;
    if (!f) throw std::runtime_error("cannot write " + s.script_path);
  }
  Output o;
  try {
    o = run_program({opts.sbatch, "--parsable", s.script_path});
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(
        fmt::format("cannot run {} ({}): is this a Slurm login node? The job script is {}",
                    opts.sbatch, e.what(), s.script_path));
  }
  if (o.code != 0) {
    throw std::runtime_error(fmt::format("sbatch refused {} (exit status {}): {}", s.script_path,
                                         o.code, trim(o.err + o.out)));
  }
  // --parsable prints "JOBID" or "JOBID;CLUSTER".
  std::string id = trim(o.out);
  id = id.substr(0, id.find(';'));
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
    throw std::runtime_error(fmt::format("sbatch printed no job id: '{}'", trim(o.out)));
  }
  s.job_id = id;
  return s;
}

void wait_for_slurm_job(const std::string& job_id, double poll_s, std::ostream* out,
                        const std::string& squeue) {
  if (poll_s <= 0) poll_s = 2;
  std::string last;
  int misses = 0;
  for (;;) {
    Output o = run_program({squeue, "--noheader", "--jobs=" + job_id, "--format=%i %T"});
    std::map<std::string, int> states;
    if (o.code == 0) {
      misses = 0;
      std::istringstream lines(o.out);
      std::string task, state;
      while (lines >> task >> state) ++states[state];
      if (states.empty()) break;
    } else {
      // squeue forgets an ended job (MinJobAge) and then says "Invalid job
      // id"; a controller that does not answer is retried a few times.
      if (o.err.find("Invalid job id") != std::string::npos) break;
      if (++misses >= 30) {
        throw std::runtime_error(
            fmt::format("squeue failed {} times in a row: {}", misses, trim(o.err)));
      }
    }
    std::string line;
    for (const auto& [state, n] : states)
      line += fmt::format("{}{} {}", line.empty() ? "" : ", ", n, state);
    if (out && !line.empty() && line != last) {
      *out << fmt::format("job {}: {}\n", job_id, line) << std::flush;
      last = line;
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(poll_s));
  }
  if (out) *out << fmt::format("job {}: no task left in the queue\n", job_id) << std::flush;
}

std::vector<std::pair<std::string, Shard>> find_shard_databases(const ExperimentConfig& config,
                                                                const std::string& db_path) {
  std::vector<std::pair<std::string, Shard>> found;
  const fs::path folder = folder_of(db_path);
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return found;
  // "<name>.shard-I-of-N.db", the name taken literally.
  std::string name_re;
  for (char c : config.name) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      name_re += c;
    } else {
      name_re += std::string("\\") + c;
    }
  }
  const std::regex re(name_re + R"(\.shard-([0-9]+)-of-([0-9]+)\.db)");
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    std::smatch m;
    const std::string file = entry.path().filename().string();
    if (!std::regex_match(file, m, re)) continue;
    Shard shard{std::stoi(m[1]), std::stoi(m[2])};
    if (shard.count < 1 || shard.index < 1 || shard.index > shard.count) continue;
    found.emplace_back(entry.path().string(), shard);
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return std::make_pair(a.second.count, a.second.index) <
           std::make_pair(b.second.count, b.second.index);
  });
  return found;
}

std::string format_shards_status(const ExperimentConfig& config,
                                 const std::vector<std::pair<std::string, Shard>>& shards) {
  std::string text;
  std::map<int, SweepStatus> totals;  // by shard count
  for (const auto& [path, shard] : shards) {
    SweepStatus s = sweep_status(config, path, shard);
    SweepStatus& t = totals[shard.count];
    t.planned += s.planned;
    t.done += s.done;
    t.diverged += s.diverged;
    t.failed += s.failed;
    t.running += s.running;
    t.pending += s.pending + s.missing;
    t.energy_mwh += s.energy_mwh;
    std::string running;
    for (const auto& r : s.running_runs) {
      running += fmt::format("; running run {} {} (process {} on {})", r.id, run_key(r),
                             r.pid.value_or(0), r.host);
    }
    text += fmt::format("shard {} ({}): {}/{} finished, {} failed, {} running, {} pending{}\n",
                        shard.to_string(), path, s.done + s.diverged, s.planned, s.failed,
                        s.running, s.pending + s.missing, running);
  }
  for (const auto& [count, t] : totals) {
    text += fmt::format(
        "whole experiment over {} shards: {}/{} runs finished ({} done, {} diverged), {} failed, "
        "{} running, {} pending; {:.2f} mWh so far\n",
        count, t.done + t.diverged, t.planned, t.done, t.diverged, t.failed, t.running, t.pending,
        t.energy_mwh);
  }
  return text;
}

}  // namespace powertrain
