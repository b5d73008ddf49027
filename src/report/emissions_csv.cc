// CodeCarbon's emissions.csv layout, filled from powertrain's runs.
#include "powertrain/report/emissions_csv.h"

#include <cmath>
#include <ctime>
#include <map>
#include <sstream>

#include "util/csv.h"

namespace powertrain {
namespace {

std::string iso_time(std::optional<double> unix_s) {
  if (!unix_s) return "";
  const std::time_t t = static_cast<std::time_t>(std::floor(*unix_s));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  return buffer;
}

std::string number(double value) {
  std::ostringstream out;
  out.precision(12);
  out << value;
  return out.str();
}

}  // namespace

const std::vector<std::string>& codecarbon_columns() {
  static const std::vector<std::string> columns = {"timestamp",
                                                   "project_name",
                                                   "run_id",
                                                   "experiment_id",
                                                   "duration",
                                                   "emissions",
                                                   "emissions_rate",
                                                   "cpu_utilization_percent",
                                                   "ram_utilization_percent",
                                                   "ram_used_gb",
                                                   "cpu_power",
                                                   "gpu_power",
                                                   "ram_power",
                                                   "cpu_energy",
                                                   "gpu_energy",
                                                   "ram_energy",
                                                   "energy_consumed",
                                                   "water_consumed",
                                                   "country_name",
                                                   "country_iso_code",
                                                   "region",
                                                   "cloud_provider",
                                                   "cloud_region",
                                                   "os",
                                                   "python_version",
                                                   "codecarbon_version",
                                                   "cpu_count",
                                                   "cpu_model",
                                                   "gpu_count",
                                                   "gpu_model",
                                                   "longitude",
                                                   "latitude",
                                                   "ram_total_size",
                                                   "tracking_mode",
                                                   "on_cloud",
                                                   "pue",
                                                   "wue"};
  return columns;
}

void write_emissions_csv(const StudyReport& report, std::ostream& out) {
  const auto& columns = codecarbon_columns();
  for (size_t c = 0; c < columns.size(); ++c) out << (c ? "," : "") << columns[c];
  out << "\n";
  const auto& carbon = report.carbon.setting;
  // Every run that spent energy: diverged runs too (left out of the analyses only).
  std::vector<const RunSummary*> spent;
  for (const auto& r : report.runs) spent.push_back(&r);
  for (const auto& r : report.diverged) spent.push_back(&r);
  for (const RunSummary* run : spent) {
    const RunSummary& r = *run;
    const double kwh = r.energy_mwh / 1e6;
    const double cpu_kwh = r.cpu_mwh / 1e6, gpu_kwh = r.gpu_mwh / 1e6, ram_kwh = r.ram_mwh / 1e6;
    const bool gpu = r.gpu_mwh > 0;
    const double emissions_kg = kwh * carbon.g_per_kwh / 1000.0;
    const double duration_s = r.duration_s;
    auto power_w = [&](double part_kwh) {
      return duration_s > 0 ? part_kwh * 3.6e6 / duration_s : 0.0;
    };
    std::map<std::string, std::string> row;
    row["timestamp"] = iso_time(r.run.ended_at_s ? r.run.ended_at_s : r.run.started_at_s);
    row["project_name"] = r.run.experiment.empty() ? "powertrain" : r.run.experiment;
    row["run_id"] = r.label;
    row["experiment_id"] = r.run.paradigm.empty() ? r.run.kind : r.run.paradigm + "/" + r.run.role;
    row["duration"] = number(duration_s);
    row["emissions"] = number(emissions_kg);
    row["emissions_rate"] = number(duration_s > 0 ? emissions_kg / duration_s : 0);
    row["cpu_utilization_percent"] = "0";
    row["ram_utilization_percent"] = "0";
    row["ram_used_gb"] = "0";
    row["cpu_power"] = number(power_w(cpu_kwh));
    row["gpu_power"] = number(power_w(gpu_kwh));
    row["ram_power"] = number(power_w(ram_kwh));
    row["cpu_energy"] = number(cpu_kwh);
    row["gpu_energy"] = number(gpu_kwh);
    row["ram_energy"] = number(ram_kwh);
    row["energy_consumed"] = number(kwh);
    row["water_consumed"] = "0";
    row["country_name"] = carbon.country;
    row["country_iso_code"] = carbon.iso_code;
    row["os"] = "";
    row["gpu_count"] = gpu ? "1" : "0";
    row["gpu_model"] = gpu ? r.run.device : "";
    row["cpu_count"] = "";
    row["tracking_mode"] = r.modelled ? "modelled" : "machine";
    row["on_cloud"] = "N";
    row["pue"] = number(r.run.pue);
    row["wue"] = "0";
    for (size_t c = 0; c < columns.size(); ++c) {
      auto it = row.find(columns[c]);
      out << (c ? "," : "") << (it == row.end() ? "" : csv_field(it->second));
    }
    out << "\n";
  }
}

}  // namespace powertrain
