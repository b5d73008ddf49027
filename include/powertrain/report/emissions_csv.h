// An emissions.csv with CodeCarbon's column names and order, so that tools
// that read CodeCarbon's output read powertrain's.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "powertrain/report/analysis.h"

namespace powertrain {

// CodeCarbon's columns, in its order (EmissionsData of CodeCarbon 3.x).
const std::vector<std::string>& codecarbon_columns();

// One row per counted run: energies in kWh, emissions in kg CO2e, powers in
// W. Runs whose energy is modelled have tracking_mode "modelled".
void write_emissions_csv(const StudyReport& report, std::ostream& out);

}  // namespace powertrain
