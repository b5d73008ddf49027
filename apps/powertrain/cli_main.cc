// The main shared by powertrain and powertrain-torch, and the hand-over from
// the first to the second.
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.h"
#include "powertrain/store/store.h"

namespace powertrain::cli {

namespace {

std::vector<char*> g_argv;  // this process's command line, for exec_torch_program

// Exit codes of the command line (docs/powertrain.1, EXIT STATUS).
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

bool is_option(const std::string& arg) { return arg.size() > 1 && arg[0] == '-'; }

// Whether `arg` (an option word, maybe --name=value) is an option of `cmd`
// that takes a value in the next word.
bool takes_next_value(const CLI::App* cmd, const std::string& arg) {
  if (arg.rfind("--", 0) == 0 && arg.find('=') != std::string::npos) return false;
  const CLI::Option* opt = cmd->get_option_no_throw(arg);
  return opt != nullptr && opt->get_items_expected_min() > 0;
}

// Optimal string alignment distance: edits, a swap of neighbours counting one
// ("trian" is one from "train").
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// The subcommand names of `cmd` closest to `word` (at most 2 edits, and
// fewer than the word's length), best first.
std::vector<std::string> closest_subcommands(const CLI::App* cmd, const std::string& word) {
  std::vector<std::pair<size_t, std::string>> scored;
  for (const CLI::App* sub : cmd->get_subcommands([](const CLI::App*) { return true; })) {
    size_t d = edit_distance(word, sub->get_name());
    if (d <= 2 && d < word.size()) scored.emplace_back(d, sub->get_name());
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> names;
  for (const auto& s : scored) {
    if (s.first == scored.front().first) names.push_back(s.second);
  }
  return names;
}

std::string command_path(const CLI::App* cmd) {
  std::string path;
  for (const CLI::App* c = cmd; c != nullptr && c->get_parent() != nullptr; c = c->get_parent()) {
    path = c->get_name() + (path.empty() ? "" : " " + path);
  }
  return path;
}

// What the command line names, found before CLI11 parses it.
struct CommandLine {
  const CLI::App* leaf = nullptr;  // the deepest subcommand named
  size_t leaf_arg = 0;             // index of its name in argv
  std::string unknown;             // a word where a subcommand was expected
  const CLI::App* unknown_parent = nullptr;
};

CommandLine read_command_line(const CLI::App& app, const std::vector<std::string>& args) {
  CommandLine line;
  const CLI::App* cmd = &app;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") break;
    if (is_option(arg)) {
      if (takes_next_value(cmd, arg)) ++i;
      continue;
    }
    if (cmd->get_subcommands([](const CLI::App*) { return true; }).empty()) break;
    const CLI::App* sub = nullptr;
    for (const CLI::App* c : cmd->get_subcommands([](const CLI::App*) { return true; })) {
      if (c->check_name(arg)) sub = c;
    }
    if (sub == nullptr) {
      line.unknown = arg;
      line.unknown_parent = cmd;
      break;
    }
    cmd = sub;
    line.leaf = sub;
    line.leaf_arg = i;
  }
  return line;
}

// `track CMD ARGS...` without `--`: inserts `--` before the first word that
// is neither one of track's options nor an option's value, so that CMD's own
// options are never read as track's. CLI11 takes the first `--` after a
// list option (--sensors a,b) as the end of that list, so one more `--` goes
// there, written by the user or not. Returns whether it changed anything.
bool insert_track_separator(const CLI::App* track, size_t track_arg,
                            std::vector<std::string>& args) {
  bool after_list = false;  // the previous word was a list option's value
  for (size_t i = track_arg + 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    bool separator = arg == "--";
    if (!separator && is_option(arg)) {
      const CLI::Option* opt = track->get_option_no_throw(arg.substr(0, arg.find('=')));
      after_list = opt != nullptr && opt->get_items_expected_max() > 1;
      if (takes_next_value(track, arg)) ++i;
      continue;
    }
    auto at = args.begin() + static_cast<std::ptrdiff_t>(i);
    if (!separator) at = args.insert(at, "--");
    if (after_list) args.insert(at, "--");
    return !separator || after_list;
  }
  return false;
}

// The database a command records into (its --db, else that option's
// default), or "" when it has no such option with a default.
std::string database_named(const CLI::App* leaf, size_t leaf_arg,
                           const std::vector<std::string>& args) {
  if (leaf == nullptr) return "";
  const CLI::Option* db = leaf->get_option_no_throw("--db");
  if (db == nullptr) return "";
  std::string path = db->get_default_str();
  for (size_t i = leaf_arg + 1; i < args.size(); ++i) {
    if (args[i] == "--") break;
    if (args[i] == "--db" && i + 1 < args.size()) {
      path = args[++i];
    } else if (args[i].rfind("--db=", 0) == 0) {
      path = args[i].substr(5);
    } else if (is_option(args[i]) && takes_next_value(leaf, args[i])) {
      ++i;
    }
  }
  return path;
}

bool file_exists(const std::string& path) {
  return !path.empty() && access(path.c_str(), F_OK) == 0;
}

// An invocation that failed before anything ran (a command that was not
// found, a data folder that is not there) leaves no database behind: the one
// it created, holding only its own failed run, with no epoch and the very
// error that ended it, is removed.
void remove_database_of_failed_start(const std::string& path,
                                     bool (*is_the_error)(const std::string&, const char*),
                                     const char* error) {
  try {
    {
      Store store(path, Store::Mode::kReadOnly);
      std::vector<RunRecord> runs = store.runs();
      if (runs.size() > 1) return;
      if (runs.size() == 1 &&
          (runs[0].status != RunStatus::kFailed || !is_the_error(runs[0].error, error) ||
           !store.epochs(runs[0].id).empty())) {
        return;
      }
    }
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::remove((path + suffix).c_str());
    }
    std::fprintf(stderr, "powertrain: nothing ran; removed %s, which this invocation created\n",
                 path.c_str());
  } catch (const std::exception&) {
    // Not a database this invocation wrote as expected: left as it is.
  }
}

bool same_error(const std::string& recorded, const char* error) { return recorded == error; }

// track's command could not be started (util/subprocess.cc's SpawnError:
// "cannot run 'CMD': why"), as opposed to a command that ran and exited 126
// or 127 itself ("command exited with status 127").
bool could_not_start(const std::string& recorded, const char*) {
  return recorded.rfind("cannot run '", 0) == 0;
}

}  // namespace

std::string torch_program_path() {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return "";
  std::string path(self, static_cast<size_t>(n));
  std::string dir = path.substr(0, path.rfind('/'));
  std::string torch = dir + "/powertrain-torch";
  if (torch == path || access(torch.c_str(), X_OK) != 0) return "";
  return torch;
}

void exec_torch_program(const std::string& why) {
  std::string torch = torch_program_path();
  if (torch.empty()) {
    throw std::invalid_argument(
        why +
        " needs LibTorch, and this powertrain has no powertrain-torch beside it (built "
        "with -DPOWERTRAIN_WITH_TORCH=OFF)");
  }
  std::fflush(nullptr);
  std::cout.flush();
  std::vector<char*> argv = g_argv;
  if (argv.empty() || argv.back() != nullptr) argv.push_back(nullptr);
  // argv[0] stays: help and errors name the program the user ran.
  execv(torch.c_str(), argv.data());
  throw std::runtime_error("cannot run " + torch + ": " + std::strerror(errno));
}

int run_cli(int argc, char** argv, void (*extra)(CLI::App&)) {
  CLI::App app{"powertrain: measures, compares and reduces the energy that training costs"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "powertrain 0.1.0");
  add_devices_command(app);
  add_track_command(app);
  add_export_command(app);
  add_report_command(app);
  add_synth_command(app);
  add_data_command(app);
  add_sweep_command(app);
  add_status_command(app);
  add_merge_command(app);
  add_search_command(app);
  if (extra) extra(app);

  std::vector<std::string> args(argv, argv + argc);
  CommandLine line = read_command_line(app, args);
  if (!line.unknown.empty()) {
    std::string where = command_path(line.unknown_parent);
    std::fprintf(stderr, "powertrain: error: '%s' is not a %scommand", line.unknown.c_str(),
                 where.empty() ? "powertrain " : ("`" + where + "` sub").c_str());
    std::vector<std::string> near = closest_subcommands(line.unknown_parent, line.unknown);
    for (size_t i = 0; i < near.size(); ++i) {
      std::fprintf(stderr, "%s`%s`", i == 0 ? "; did you mean " : " or ", near[i].c_str());
    }
    std::fprintf(stderr, "%s\nRun `powertrain%s --help` for the list.\n", near.empty() ? "" : "?",
                 where.empty() ? "" : (" " + where).c_str());
    return kExitUsage;
  }
  if (line.leaf != nullptr && line.leaf->get_name() == "track" && line.leaf->get_parent() == &app) {
    insert_track_separator(line.leaf, line.leaf_arg, args);
  }
  std::string database = database_named(line.leaf, line.leaf_arg, args);
  bool database_existed = file_exists(database);
  auto forget_failed_start = [&](bool (*is_the_error)(const std::string&, const char*),
                                 const char* error) {
    if (!database.empty() && !database_existed && file_exists(database)) {
      remove_database_of_failed_start(database, is_the_error, error);
    }
  };

  // The command line as parsed (with track's `--`): what powertrain-torch gets.
  std::vector<char*> parsed;
  for (std::string& a : args) parsed.push_back(a.data());
  g_argv = parsed;
  g_argv.push_back(nullptr);
  try {
    app.parse(static_cast<int>(parsed.size()), parsed.data());
  } catch (const CLI::RuntimeError& e) {
    // A subcommand that finished with a non-zero status (e.g. track passing on
    // its child's exit code); it has already said what happened. 126 and 127:
    // track's command could not be started, so nothing ran.
    if (e.get_exit_code() == 126 || e.get_exit_code() == 127) {
      forget_failed_start(could_not_start, "");
    }
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    // --help and --version end here too, with 0; every other is a usage error.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    std::string where = line.leaf ? " " + command_path(line.leaf) : "";
    std::fprintf(stderr, "powertrain: error: %s\nRun `powertrain%s --help` for more information.\n",
                 e.what(), where.c_str());
    return kExitUsage;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "powertrain: error: %s\n", e.what());
    forget_failed_start(same_error, e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "powertrain: error: %s\n", e.what());
    forget_failed_start(same_error, e.what());
    return kExitFailure;
  }
  return 0;
}

}  // namespace powertrain::cli

#include "sweep_runner.h"

namespace powertrain::cli {

namespace {
TrainingRunnerFactory g_training_runner_factory = nullptr;
}  // namespace

void set_training_runner_factory(TrainingRunnerFactory factory) {
  g_training_runner_factory = factory;
}

SweepRunner training_runner() {
  if (g_training_runner_factory) return g_training_runner_factory();
  exec_torch_program("a `sweep` that trains (not --dry-run or --simulate-ms)");
}

}  // namespace powertrain::cli
