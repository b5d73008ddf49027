// Energies and emissions in the units people read: the unit that reads best,
// three significant figures, and the CO2e of a hand computation.
#include <gtest/gtest.h>

#include "powertrain/report/carbon.h"

namespace powertrain {
namespace {

TEST(ReadableEnergy, PicksTheUnitThatReadsBest) {
  EXPECT_EQ(readable_energy(0), "0 mWh");
  EXPECT_EQ(readable_energy(0.01234), "0.0123 mWh");
  EXPECT_EQ(readable_energy(5.914), "5.91 mWh");
  EXPECT_EQ(readable_energy(840.2), "840 mWh");
  EXPECT_EQ(readable_energy(999), "999 mWh");
  EXPECT_EQ(readable_energy(1000), "1.00 Wh");  // 1000 mWh = 1 Wh
  EXPECT_EQ(readable_energy(12400), "12.4 Wh");
  EXPECT_EQ(readable_energy(3.21e6), "3.21 kWh");  // 3.21e6 mWh = 3.21 kWh
  EXPECT_EQ(readable_energy(4.5e9), "4500 kWh");
}

TEST(ReadableCo2e, GramsThenKilograms) {
  EXPECT_EQ(readable_co2e(0.004), "0.00400 g");
  EXPECT_EQ(readable_co2e(5.912), "5.91 g");
  EXPECT_EQ(readable_co2e(999), "999 g");
  EXPECT_EQ(readable_co2e(1250), "1.25 kg");
}

TEST(EnergyAndCarbon, IsTheEnergyTimesTheIntensity) {
  CarbonSetting setting;
  setting.iso_code = "DEU";
  setting.g_per_kwh = 400;
  setting.source = "given by the user";
  // 12.5 Wh = 0.0125 kWh; x 400 g/kWh = 5 g.
  EXPECT_EQ(energy_and_carbon(12500, setting),
            "12.5 Wh, about 5.00 g CO2e at 400 g/kWh (DEU, given by the user)");
  // 3 kWh x 400 g/kWh = 1.2 kg.
  EXPECT_EQ(energy_and_carbon(3e6, setting),
            "3.00 kWh, about 1.20 kg CO2e at 400 g/kWh (DEU, given by the user)");
}

}  // namespace
}  // namespace powertrain
