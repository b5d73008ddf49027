// CodeCarbon's emissions.csv layout, filled from powertrain's runs.
#include "powertrain/report/emissions_csv.h"

#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

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

const std::vector<std::string>& emissions_columns() {
  static const std::vector<std::string> columns = [] {
    std::vector<std::string> c = codecarbon_columns();
    c.push_back("status");
    c.push_back("energy_source");
    return c;
  }();
  return columns;
}

std::map<std::string, std::string> emissions_row(const RunSummary& r,
                                                 const EmissionsContext& context) {
  // The whole run when stored; else what the epochs hold.
  ComponentEnergy parts = r.whole ? r.whole->components : r.components;
  const double duration_s = r.whole ? r.whole->duration_s : r.duration_s;
  const bool process = r.whole && r.whole->tracking_mode == "process" && r.whole->attributed_mwh;
  auto mwh_of = [&](Component c) { return parts.get(c).value_or(0); };
  double cpu_mwh =
      mwh_of(Component::kCpuPackage) + mwh_of(Component::kModelledCpu) + mwh_of(Component::kOther);
  const double gpu_mwh = mwh_of(Component::kGpu);
  const double ram_mwh = mwh_of(Component::kDram) + mwh_of(Component::kModelledRam);
  if (process) cpu_mwh = *r.whole->attributed_mwh;
  double total_mwh = cpu_mwh + gpu_mwh + ram_mwh;
  double gpu_part_mwh = gpu_mwh, ram_part_mwh = ram_mwh;
  // A database without components (schema 1): the split by device names.
  if (!r.whole && parts.sum() <= 0) {
    cpu_mwh = r.cpu_mwh;
    gpu_part_mwh = r.gpu_mwh;
    ram_part_mwh = r.ram_mwh;
    total_mwh = r.energy_mwh;
  }
  const double kwh = total_mwh / 1e6;
  const auto& carbon = context.carbon;
  const double emissions_kg = kwh * carbon.g_per_kwh / 1000.0;
  auto power_w = [&](double part_mwh) {
    return duration_s > 0 ? part_mwh * 3.6 / duration_s : 0.0;  // mWh -> J is x3.6
  };
  std::map<std::string, std::string> row;
  row["timestamp"] = iso_time(r.run.ended_at_s ? r.run.ended_at_s : r.run.started_at_s);
  row["project_name"] = !context.project_name.empty() ? context.project_name
                        : r.run.experiment.empty()    ? "powertrain"
                                                      : r.run.experiment;
  row["run_id"] = r.label;
  row["experiment_id"] = r.run.paradigm.empty() ? r.run.kind : r.run.paradigm + "/" + r.run.role;
  row["duration"] = number(duration_s);
  row["emissions"] = number(emissions_kg);
  row["emissions_rate"] = number(duration_s > 0 ? emissions_kg / duration_s : 0);
  if (r.whole && r.whole->cpu_utilization_pct) {
    row["cpu_utilization_percent"] = number(*r.whole->cpu_utilization_pct);
  }
  row["cpu_power"] = number(power_w(cpu_mwh));
  row["gpu_power"] = number(power_w(gpu_part_mwh));
  row["ram_power"] = number(power_w(ram_part_mwh));
  row["cpu_energy"] = number(cpu_mwh / 1e6);
  row["gpu_energy"] = number(gpu_part_mwh / 1e6);
  row["ram_energy"] = number(ram_part_mwh / 1e6);
  row["energy_consumed"] = number(kwh);
  row["water_consumed"] = "0";
  row["country_name"] = carbon.country;
  row["country_iso_code"] = carbon.iso_code;
  row["region"] = context.region;
  if (r.whole) {
    row["os"] = r.whole->os;
    row["cpu_model"] = r.whole->cpu_model;
    if (r.whole->cpu_count) row["cpu_count"] = std::to_string(*r.whole->cpu_count);
    if (r.whole->ram_total_gb) row["ram_total_size"] = number(*r.whole->ram_total_gb);
    if (r.whole->ram_used_gb) row["ram_used_gb"] = number(*r.whole->ram_used_gb);
    if (r.whole->ram_total_gb && r.whole->ram_used_gb && *r.whole->ram_total_gb > 0) {
      row["ram_utilization_percent"] =
          number(100.0 * *r.whole->ram_used_gb / *r.whole->ram_total_gb);
    }
  }
  const bool gpu = gpu_part_mwh > 0;
  row["gpu_count"] = gpu ? "1" : "0";
  // The run's device names the GPU only for trainings ("cuda:0"); a tracked
  // command's device is the host.
  row["gpu_model"] = gpu && r.run.device.rfind("cuda", 0) == 0 ? r.run.device : "";
  row["tracking_mode"] = process ? "process" : "machine";
  row["on_cloud"] = "N";
  row["pue"] = number(r.run.pue);
  row["wue"] = "0";
  row["status"] = std::string(to_string(r.run.status));
  row["energy_source"] = r.source;
  return row;
}

namespace {

void write_header(std::ostream& out) {
  const auto& columns = emissions_columns();
  for (size_t c = 0; c < columns.size(); ++c) out << (c ? "," : "") << columns[c];
  out << "\n";
}

void write_row(std::ostream& out, const std::map<std::string, std::string>& row) {
  const auto& columns = emissions_columns();
  for (size_t c = 0; c < columns.size(); ++c) {
    auto it = row.find(columns[c]);
    out << (c ? "," : "") << (it == row.end() ? "" : csv_field(it->second));
  }
  out << "\n";
}

}  // namespace

void write_emissions_csv(const StudyReport& report, std::ostream& out) {
  write_header(out);
  EmissionsContext context;
  context.carbon = report.carbon.setting;
  // Every run that spent energy, each with its status: diverged runs too
  // (left out of the analyses only), and failed ones.
  for (const auto& r : report.started_runs) write_row(out, emissions_row(r, context));
}

void append_emissions_csv(const std::string& path, const RunSummary& run,
                          const EmissionsContext& context) {
  std::string expected;
  {
    std::ostringstream header;
    write_header(header);
    expected = header.str();
  }
  bool fresh = true;
  {
    std::ifstream in(path);
    std::string first;
    if (in && std::getline(in, first)) {
      fresh = false;
      if (first + "\n" != expected) {
        throw std::invalid_argument(path +
                                    ", line 1: the header is not powertrain's emissions.csv "
                                    "layout (CodeCarbon's columns, then status, energy_source); "
                                    "append to a new file");
      }
    }
  }
  std::ofstream out(path, std::ios::app);
  if (!out) throw std::runtime_error("cannot write '" + path + "'");
  if (fresh) out << expected;
  write_row(out, emissions_row(run, context));
  if (!out.flush()) throw std::runtime_error("error writing '" + path + "'");
}

void append_emissions_csv(const std::string& path, const Store& store, int64_t run_id,
                          const EmissionsContext& context) {
  RunData data;
  auto run = store.run(run_id);
  if (!run) throw std::runtime_error(store.path() + ": no run with id " + std::to_string(run_id));
  data.label = std::to_string(run_id);
  data.run = *run;
  data.epochs = store.epochs(run_id);
  data.energy = store.run_energy(run_id);
  append_emissions_csv(path, summarize_run(data), context);
}

}  // namespace powertrain
