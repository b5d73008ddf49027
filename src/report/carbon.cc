// Built-in grid carbon intensities. Users with a better figure for their grid
// (a supplier's, or a real-time one) pass it with --intensity.
#include "powertrain/report/carbon.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

namespace powertrain {

// Life-cycle carbon intensity of electricity generation in 2023, in g CO2e
// per kWh, rounded to the gram, from Ember's Yearly Electricity Data as
// published by Our World in Data ("Carbon intensity of electricity
// generation"). WORLD and EU are Ember's aggregates.
const char* const kCarbonIntensitySource =
    "Ember, Yearly Electricity Data (2023), via Our World in Data: carbon intensity of "
    "electricity generation, g CO2e/kWh (life-cycle), rounded";

// US EPA, "Greenhouse Gas Emissions from a Typical Passenger Vehicle"
// (EPA-420-F-23-014, 2023): about 400 g CO2 per mile.
const char* const kCarEmissionsSource =
    "US EPA, Greenhouse Gas Emissions from a Typical Passenger Vehicle (2023): 400 g CO2/mile";

const std::vector<CarbonIntensity>& builtin_carbon_intensities() {
  static const std::vector<CarbonIntensity> table = [] {
    std::vector<CarbonIntensity> t = {
        {"AUS", "Australia", 549},      {"BRA", "Brazil", 98},         {"CAN", "Canada", 170},
        {"CHE", "Switzerland", 35},     {"CHN", "China", 582},         {"DEU", "Germany", 381},
        {"ESP", "Spain", 174},          {"EU", "European Union", 244}, {"FRA", "France", 56},
        {"GBR", "United Kingdom", 238}, {"IND", "India", 713},         {"ITA", "Italy", 288},
        {"JPN", "Japan", 485},          {"KOR", "South Korea", 430},   {"NLD", "Netherlands", 268},
        {"NOR", "Norway", 30},          {"POL", "Poland", 662},        {"SWE", "Sweden", 41},
        {"USA", "United States", 369},  {"WORLD", "World", 480},
    };
    std::sort(t.begin(), t.end(),
              [](const auto& a, const auto& b) { return a.iso_code < b.iso_code; });
    return t;
  }();
  return table;
}

CarbonIntensity find_carbon_intensity(const std::string& iso_code) {
  std::string upper = iso_code;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  std::string known;
  for (const auto& entry : builtin_carbon_intensities()) {
    if (entry.iso_code == upper) return entry;
    known += (known.empty() ? "" : ", ") + entry.iso_code;
  }
  throw std::invalid_argument("unknown country code '" + iso_code +
                              "' for the carbon intensity; known: " + known +
                              " (or give --intensity G_PER_KWH)");
}

CarbonSetting resolve_carbon(const CarbonOptions& options) {
  CarbonSetting setting;
  setting.car_g_per_km = options.car_g_per_km;
  if (options.g_per_kwh) {
    if (*options.g_per_kwh < 0) {
      throw std::invalid_argument("carbon intensity must not be negative, got " +
                                  std::to_string(*options.g_per_kwh));
    }
    setting.iso_code = options.iso_code;
    setting.country = options.iso_code;
    setting.g_per_kwh = *options.g_per_kwh;
    setting.source = "given by the user";
    return setting;
  }
  const auto entry = find_carbon_intensity(options.iso_code);
  setting.iso_code = entry.iso_code;
  setting.country = entry.country;
  setting.g_per_kwh = entry.g_per_kwh;
  setting.source = kCarbonIntensitySource;
  return setting;
}

namespace {
// Three significant figures without an exponent: 840, 12.4, 3.21, 0.0123.
std::string three_figures(double v) {
  if (v == 0) return "0";
  const double a = std::fabs(v);
  const int decimals = a >= 100  ? 0
                       : a >= 10 ? 1
                                 : std::max(2, 2 - static_cast<int>(std::floor(std::log10(a))));
  return fmt::format("{:.{}f}", v, decimals);
}
}  // namespace

std::string readable_energy(double energy_mwh) {
  const double a = std::fabs(energy_mwh);
  if (a >= 1e6) return three_figures(energy_mwh / 1e6) + " kWh";
  if (a >= 1e3) return three_figures(energy_mwh / 1e3) + " Wh";
  return three_figures(energy_mwh) + " mWh";
}

std::string readable_co2e(double grams) {
  if (std::fabs(grams) >= 1000) return three_figures(grams / 1000) + " kg";
  return three_figures(grams) + " g";
}

std::string energy_and_carbon(double energy_mwh, const CarbonSetting& setting) {
  return fmt::format("{}, about {} CO2e at {:g} g/kWh ({}, {})", readable_energy(energy_mwh),
                     readable_co2e(grams_co2e(energy_mwh, setting.g_per_kwh)), setting.g_per_kwh,
                     setting.iso_code, setting.source);
}

}  // namespace powertrain
