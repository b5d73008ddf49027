// The study's analyses over the runs of one or more run databases: Table 2
// (energy per epoch by batch size and learning rate), Figure 3 (setups as a
// share of the worst), equation 2 (break-even of pretraining) with Figure 4,
// Table 3 (frozen vs unfrozen encoder), Table 4 / Figure 5 (multitask) and
// findings stated with their numbers. No LibTorch here.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/report/carbon.h"
#include "powertrain/report/claims.h"
#include "powertrain/store/store.h"

namespace powertrain {

// One run as read from a database, before any analysis.
struct RunData {
  std::string label;  // how reports name the run: "12", or "2:12" with several databases
  RunRecord run;
  std::vector<EpochRecord> epochs;
  std::optional<RunEnergyRecord> energy;  // the whole run, when the tracker wrote it
};

// Reads every run and its epochs from a database. `db_prefix` is put before
// each run id in labels ("" for a single database).
std::vector<RunData> load_runs(const Store& store, const std::string& db_prefix = "");

// A run reduced to the figures the analyses use, with its provenance.
struct RunSummary {
  std::string label;
  RunRecord run;
  int n_epochs = 0;
  double duration_s = 0;
  double energy_mwh = 0;                     // equation 1 summed over epochs (with PUE)
  std::optional<double> counter_energy_mwh;  // summed counter, when every epoch has one
  double mean_epoch_energy_mwh = 0;          // energy_mwh / n_epochs
  int n_samples = 0;
  double coverage = 0;    // duration-weighted share covered by samples, 0..1
  std::string source;     // "counter", "sampled", "modelled" or "mixed (...)"
  bool modelled = false;  // any epoch's energy comes from a model
  // energy_mwh split as CodeCarbon splits it, by the streams' shares: NVML
  // (or a GPU device) is GPU, a DRAM/RAM device is RAM, the rest CPU.
  double cpu_mwh = 0;
  double gpu_mwh = 0;
  double ram_mwh = 0;
  ComponentEnergy components;  // energy_mwh by component, summed over epochs
  // The figure the study's tables use: the GPU's energy when a GPU was
  // measured (as the study did), else the whole node's (energy_mwh).
  bool gpu_measured = false;
  double study_energy_mwh = 0;
  double study_mean_epoch_energy_mwh = 0;
  int n_short_epochs = 0;                // epochs shorter than two sampling intervals
  std::optional<RunEnergyRecord> whole;  // the whole run, outside-epoch time included
};

RunSummary summarize_run(const RunData& data);

// How reports name a setup: Table 1's number ("7") for setups 1..16, else a
// name from its batch size and learning rate ("bs128-lr0.05"); a setup
// outside Table 1 never shows a number Table 1 gives to another pair.
std::string setup_label(int setup, int batch_size, double learning_rate);

// A scenario is one task on one device.
struct ScenarioKey {
  std::string task;
  std::string device;
  std::string name() const { return task + " on " + device; }
  bool operator<(const ScenarioKey& other) const {
    return task != other.task ? task < other.task : device < other.device;
  }
  bool operator==(const ScenarioKey& other) const {
    return task == other.task && device == other.device;
  }
};
// A run's scenario: its task (a paradigm's dataset for pretraining and
// multitask, whose roles compare on one dataset) on its device.
ScenarioKey scenario_of(const RunSummary& s);

// Which energy figure a study table shows (its heading says so): the GPU's
// where every run measured a GPU, as the study did; the whole node's (every
// component summed) where none did; else each run's GPU figure where it has
// one and its whole node's otherwise.
inline constexpr const char* kBasisGpu = "GPU";
inline constexpr const char* kBasisNode = "whole node";
inline constexpr const char* kBasisMixed = "GPU where measured, else whole node";

// A number and whether any part of it is modelled rather than measured.
struct Measure {
  double value = 0;
  bool modelled = false;
};

// Table 2: mean energy per epoch (mWh) of the regime paradigm, batch size
// rows x learning rate columns; each cell averages the repeats' per-run mean.
struct EnergyMatrix {
  ScenarioKey scenario;
  std::vector<int> batch_sizes;           // ascending
  std::vector<double> learning_rates;     // descending, as in the study
  std::string energy_basis = kBasisNode;  // which figure the cells are
  // cells[i][j] for batch_sizes[i], learning_rates[j]; empty when no run.
  std::vector<std::vector<std::optional<Measure>>> cells;
  // The same cells on the whole node's figure, shown beside a GPU table.
  std::vector<std::vector<std::optional<Measure>>> node_cells;
  std::vector<std::vector<int>> n_runs;
  // Share of the variance of the cells (two-way, no replication) explained
  // by batch size rows and by learning rate columns, in percent.
  double batch_size_share_percent = 0;
  double learning_rate_share_percent = 0;
};

// One setup of Figure 3.
struct SetupEnergy {
  int setup = 0;
  int batch_size = 0;
  double learning_rate = 0;
  std::vector<double> repeat_energy_mwh;  // total energy of each repeat
  std::vector<std::string> repeat_labels;
  double mean_energy_mwh = 0;       // on the ranking's energy_basis
  double mean_node_energy_mwh = 0;  // the whole node's, beside it
  double mean_epochs = 0;
  double percent_of_worst = 0;  // mean over repeats / worst setup's mean
  std::vector<double> repeat_percent_of_worst;
  std::optional<double> mean_metric;  // final accuracy (mean over repeats that have one)
  bool modelled = false;
};

// Figure 3: total energy of each setup as a share of the worst one.
struct SetupRanking {
  ScenarioKey scenario;
  std::string paradigm;
  std::string role;
  std::string energy_basis = kBasisNode;
  std::vector<SetupEnergy> setups;  // by setup number
  int best_setup = 0;
  int worst_setup = 0;
  // Cheapest setup whose mean final metric is within the tolerance of the
  // best setup's; absent when no run has a metric.
  std::optional<int> cheapest_on_target_setup;
  std::optional<double> best_metric;
  std::optional<double> target_metric;
  std::string metric_name;
};

// Equation 2 for one setup (or one repeat of it):
// x = E_enc / (E_enc+class - E_class).
struct BreakEven {
  int setup = 0;
  std::optional<int> repeat;  // absent: mean over the matched repeats
  int batch_size = 0;
  double learning_rate = 0;
  double autoencoder_mwh = 0;           // E_enc
  double baseline_mwh = 0;              // E_enc+class
  double frozen_mwh = 0;                // E_class, frozen encoder (the study's choice)
  std::optional<double> unfrozen_mwh;   // E_class with the encoder fine-tuned
  std::optional<double> cycles_frozen;  // absent: never breaks even (denominator <= 0)
  std::optional<double> cycles_unfrozen;
  bool has_unfrozen = false;
  int n_repeats = 1;
  bool modelled = false;
};

// Break-even cycles of one function; absent when the denominator is <= 0.
std::optional<double> break_even_cycles(double encoder_mwh, double baseline_mwh,
                                        double classifier_mwh);

struct BreakEvenSummary {
  ScenarioKey scenario;
  std::vector<BreakEven> per_repeat;  // (setup, repeat) with all three roles
  std::vector<BreakEven> per_setup;   // means over the matched repeats
  std::optional<BreakEven> best;      // fewest cycles (frozen)
  std::optional<BreakEven> worst;     // most cycles among those that break even
  std::optional<BreakEven> average;   // from the energies averaged over setups (setup = 0)
  int n_never = 0;                    // setups that never break even (frozen)
  int n_never_unfrozen = 0;
  std::string energy_basis = kBasisNode;  // which figure the energies are
};

// Table 3: classifier energy on the pretrained encoder, frozen vs unfrozen.
struct FreezeComparison {
  ScenarioKey scenario;
  int n_frozen = 0;
  int n_unfrozen = 0;
  Measure frozen_wh;  // mean total energy of a frozen-encoder classifier run
  Measure unfrozen_wh;
  double saving_percent = 0;  // (unfrozen - frozen) / unfrozen * 100
  std::optional<double> frozen_metric;
  std::optional<double> unfrozen_metric;
  std::string energy_basis = kBasisNode;  // which figure the energies are
};

// Table 4 row: one multitask role.
struct TaskCost {
  std::string role;  // attributes, identity, multitask
  int n_runs = 0;
  Measure total_wh;   // mean total energy of a run
  Measure epoch_mwh;  // mean energy per epoch
  double mean_epochs = 0;
  std::optional<double> mean_metric;
};

// Figure 5 bar: one setup's mean total energy for one role.
struct SetupTaskEnergy {
  int setup = 0;
  int batch_size = 0;
  double learning_rate = 0;
  std::string role;
  double energy_wh = 0;
  bool modelled = false;
};

struct MultitaskSummary {
  ScenarioKey scenario;
  std::vector<TaskCost> roles;  // attributes, identity, multitask (those present)
  std::vector<SetupTaskEnergy> per_setup;
  std::string energy_basis = kBasisNode;  // which figure the energies are
};

// A finding computed from the data, stated with its numbers.
struct Finding {
  std::string
      topic;  // "spread", "best-vs-worst", "freezing", "multitask", "accuracy", "break-even"
  std::string text;
  bool modelled = false;
};

struct ReportOptions {
  CarbonOptions carbon;
  // The target accuracy is the best setup's mean metric minus this many
  // points (percentage points; metrics stored as fractions are scaled).
  double target_tolerance_points = 1.0;
};

// Everything a report shows.
struct StudyReport {
  std::vector<std::string> databases;
  std::vector<RunSummary> runs;  // counted runs: status done
  // Diverged runs: left out of Tables 2-4, Figure 3, equation 2, the findings
  // and the claims (their figures describe a blow-up, not the setup), and
  // listed beside them with the energy they used (which was spent, and
  // counts in the carbon section).
  std::vector<RunSummary> diverged;
  // Every run that started (failed and diverged ones too, each with its
  // status), for emissions.csv.
  std::vector<RunSummary> started_runs;
  std::map<std::string, int> left_out;  // status -> number of runs not counted (diverged too)
  std::vector<ClaimFinding> claims;     // the study's claims tested
  std::vector<EnergyMatrix> table2;
  std::vector<SetupRanking> figure3;
  std::vector<BreakEvenSummary> break_even;
  std::vector<FreezeComparison> table3;
  std::vector<MultitaskSummary> table4;
  std::vector<Finding> findings;
  CarbonSummary carbon;
  bool any_modelled = false;
};

// Runs every analysis on the runs that ended `done`. Runs that are pending,
// running or failed are left out and counted by status; diverged runs are
// left out of every analysis and kept in `diverged`.
StudyReport analyze(const std::vector<RunData>& runs, const ReportOptions& options = {});

}  // namespace powertrain
