#include <gtest/gtest.h>

#include "powertrain/energy/sensor.h"

namespace powertrain {
namespace {

TEST(SensorRegistry, KnowsEveryBackend) {
  EXPECT_EQ(sensor_names(), (std::vector<std::string>{"nvml", "rapl", "powermetrics", "model"}));
}

TEST(SensorRegistry, UnknownNameListsTheKnownOnes) {
  try {
    make_sensor("thermometer", SensorOptions{});
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("thermometer"), std::string::npos);
    EXPECT_NE(msg.find("nvml, rapl, powermetrics, model"), std::string::npos);
  }
  EXPECT_THROW(make_sensors({"model", "thermometer"}, SensorOptions{}), std::invalid_argument);
}

TEST(SensorRegistry, NamedButUnavailableSensorIsAnErrorWithTheReason) {
  SensorOptions options;
  options.rapl_root = "/nonexistent/powercap";
  try {
    make_sensors({"rapl"}, options);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/powercap"), std::string::npos);
  }
}

TEST(SensorRegistry, AutoFallsBackToTheModelWhenNothingMeasures) {
  SensorOptions options;
  options.rapl_root = "/nonexistent/powercap";
  options.nvml_library = "/nonexistent/libnvidia-ml.so.1";
  auto sensors = make_sensors({"auto"}, options);
  ASSERT_EQ(sensors.size(), 1u);
  EXPECT_EQ(sensors[0]->name(), "model");
}

}  // namespace
}  // namespace powertrain
