// An emissions.csv with CodeCarbon's column names and order, so that tools
// that read CodeCarbon's output read powertrain's.
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "powertrain/report/analysis.h"

namespace powertrain {

// CodeCarbon's columns, in its order (EmissionsData of CodeCarbon 3.x).
const std::vector<std::string>& codecarbon_columns();
// CodeCarbon's columns, then powertrain's: status, energy_source.
const std::vector<std::string>& emissions_columns();

// Where and how the rows were measured, beyond what each run stored.
struct EmissionsContext {
  CarbonSetting carbon;
  std::string region;        // sub-national region, when given
  std::string project_name;  // default: the run's experiment, else "powertrain"
};

// One row of a run: from the command's start to its end (outside-epoch time
// included) when the tracker stored the whole run, else the sum of its
// epochs. Energies in kWh, emissions in kg CO2e, powers in W. With
// tracking_mode "process" the CPU figures are the energy attributed to the
// tracked process tree; GPU and RAM stay the devices' (as CodeCarbon does).
// Columns beyond CodeCarbon's: status (done, diverged, failed...) and
// energy_source (counter, sampled, modelled).
std::map<std::string, std::string> emissions_row(const RunSummary& run,
                                                 const EmissionsContext& context);

// Every run that started, failed and diverged ones included.
void write_emissions_csv(const StudyReport& report, std::ostream& out);

// Appends one run to `path` as CodeCarbon's tracker does, writing the header
// first when the file is new or empty. Throws std::runtime_error naming the
// file when it cannot be written, and std::invalid_argument when an existing
// header is not this layout.
void append_emissions_csv(const std::string& path, const RunSummary& run,
                          const EmissionsContext& context);
// The same for run `run_id` of `store`.
void append_emissions_csv(const std::string& path, const Store& store, int64_t run_id,
                          const EmissionsContext& context);

}  // namespace powertrain
