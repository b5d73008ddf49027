// What the analyses of src/report/analysis*.cc share: helpers, the
// per-table analyses analyze() puts together. Not installed.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "powertrain/report/analysis.h"

namespace powertrain::analysis_internal {

// Pairs outside Table 1 found in the runs being analysed, each with an
// internal id above 16 (never shown: reports name them with setup_label()).
// Set by analyze() for the duration of one analysis.
extern const std::map<std::pair<int, double>, int>* g_extra_setups;

// The setup of a run: Table 1's number of its batch size and learning rate
// (whatever number an older sweep stored), else its internal id.
std::optional<int> setup_of(const RunRecord& run);
// Runs the analyses count: those that ended `done` (diverged runs are kept apart).
bool counted(RunStatus status);
std::string wh(double mwh);
std::string pct(double percent);
std::string lr_text(double lr);
std::string setup_text(int setup, int batch_size, double lr);

template <typename T>
double mean_of(const std::vector<T>& values) {
  if (values.empty()) return 0;
  double sum = 0;
  for (const auto& v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

// Mean of the runs' metrics that have one.
std::optional<double> mean_metric(const std::vector<const RunSummary*>& runs);
// Counted runs of one paradigm and role, by scenario.
std::map<ScenarioKey, std::vector<const RunSummary*>> by_scenario(
    const std::vector<RunSummary>& runs, const std::string& paradigm, const std::string& role);
// Which figure the study's tables show for these runs: the GPU's where a GPU
// was measured (as the study did), else the whole node's.
std::string energy_basis(const std::vector<const RunSummary*>& runs);
std::string cycles_text(const std::optional<double>& cycles);

// Table 2 (analysis_table2.cc).
EnergyMatrix energy_matrix(const ScenarioKey& scenario, const std::vector<const RunSummary*>& runs);
// Figure 3 (analysis_figure3.cc).
SetupRanking rank_setups(const ScenarioKey& scenario, const std::string& paradigm,
                         const std::string& role, const std::vector<const RunSummary*>& runs,
                         double tolerance_points);
// Equation 2 and Figure 4 (analysis_break_even.cc).
BreakEvenSummary break_even_summary(const ScenarioKey& scenario,
                                    const std::vector<const RunSummary*>& runs);
// Table 3 (analysis_table3.cc).
FreezeComparison freeze_comparison(const ScenarioKey& scenario,
                                   const std::vector<const RunSummary*>& runs);
// Table 4 and Figure 5 (analysis_multitask.cc).
MultitaskSummary multitask_summary(const ScenarioKey& scenario,
                                   const std::vector<const RunSummary*>& runs);
// The findings in words (analysis_findings.cc).
void add_findings(StudyReport& report, double tolerance_points);
// Table of emissions (analysis_carbon.cc).
CarbonSummary carbon_summary(const std::vector<RunSummary>& runs, const CarbonOptions& options);

}  // namespace powertrain::analysis_internal
