// Carbon emissions of energy: grid carbon intensity by country (a built-in
// table with its source, overridable) and a familiar equivalent (km by car).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace powertrain {

// Grid carbon intensity of one country (ISO 3166-1 alpha-3, or WORLD / EU).
struct CarbonIntensity {
  std::string iso_code;
  std::string country;
  double g_per_kwh = 0;
};

// Where the built-in intensities come from.
extern const char* const kCarbonIntensitySource;
// Where the car equivalent comes from.
extern const char* const kCarEmissionsSource;
// Average passenger car, g CO2 per km (the source above).
inline constexpr double kCarGramsPerKm = 400.0 / 1.609344;

// The built-in table, sorted by ISO code.
const std::vector<CarbonIntensity>& builtin_carbon_intensities();

// Looks an ISO code up (case-insensitive). Throws std::invalid_argument
// naming the code and the known ones.
CarbonIntensity find_carbon_intensity(const std::string& iso_code);

struct CarbonOptions {
  std::string iso_code = "WORLD";
  std::optional<double> g_per_kwh;  // overrides the table
  double car_g_per_km = kCarGramsPerKm;
};

// The intensity a report uses and why.
struct CarbonSetting {
  std::string iso_code;
  std::string country;
  double g_per_kwh = 0;
  std::string source;  // table source, or "given by the user"
  double car_g_per_km = kCarGramsPerKm;
};
CarbonSetting resolve_carbon(const CarbonOptions& options);

// Grams of CO2e for an energy in mWh.
inline double grams_co2e(double energy_mwh, double g_per_kwh) {
  return energy_mwh / 1e6 * g_per_kwh;
}

// An energy in the unit that reads best, three significant figures:
// "840 mWh", "12.4 Wh", "3.21 kWh" (mWh below 1 Wh, Wh below 1 kWh).
std::string readable_energy(double energy_mwh);
// Grams of CO2e as "0.0123 g", "5.91 g" or "1.25 kg" (kg from 1 kg).
std::string readable_co2e(double grams);
// One line for a terminal summary: "12.4 Wh, about 5.91 g CO2e at 475 g/kWh
// (WORLD, <source>)".
std::string energy_and_carbon(double energy_mwh, const CarbonSetting& setting);

// Carbon of one group of runs (a scenario, or all of them).
struct CarbonRow {
  std::string name;
  int n_runs = 0;
  double energy_mwh = 0;
  double grams_co2e = 0;
  double car_km = 0;
  bool modelled = false;
};

struct CarbonSummary {
  CarbonSetting setting;
  std::vector<CarbonRow> rows;  // one per scenario, then "all runs"
};

}  // namespace powertrain
