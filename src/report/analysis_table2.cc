// Table 2: mean energy per epoch by batch size and learning rate, and how
// much of its spread each factor explains.
#include "report/analysis_internal.h"

#include <cmath>
#include <functional>
#include <set>

namespace powertrain {
namespace analysis_internal {

EnergyMatrix energy_matrix(const ScenarioKey& scenario,
                           const std::vector<const RunSummary*>& runs) {
  EnergyMatrix m;
  m.scenario = scenario;
  m.energy_basis = energy_basis(runs);
  std::set<int> batch_sizes;
  std::set<double, std::greater<double>> learning_rates;
  for (const auto* r : runs) {
    if (r->run.batch_size && r->run.learning_rate && r->n_epochs > 0) {
      batch_sizes.insert(*r->run.batch_size);
      learning_rates.insert(*r->run.learning_rate);
    }
  }
  m.batch_sizes.assign(batch_sizes.begin(), batch_sizes.end());
  m.learning_rates.assign(learning_rates.begin(), learning_rates.end());
  const size_t rows = m.batch_sizes.size(), cols = m.learning_rates.size();
  m.cells.assign(rows, std::vector<std::optional<Measure>>(cols));
  m.node_cells.assign(rows, std::vector<std::optional<Measure>>(cols));
  m.n_runs.assign(rows, std::vector<int>(cols, 0));
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < cols; ++j) {
      std::vector<double> values, node_values;
      bool modelled = false;
      for (const auto* r : runs) {
        if (r->n_epochs > 0 && r->run.batch_size == m.batch_sizes[i] &&
            r->run.learning_rate == m.learning_rates[j]) {
          values.push_back(r->study_mean_epoch_energy_mwh);
          node_values.push_back(r->mean_epoch_energy_mwh);
          modelled = modelled || r->modelled;
        }
      }
      m.n_runs[i][j] = static_cast<int>(values.size());
      if (!values.empty()) {
        m.cells[i][j] = Measure{mean_of(values), modelled};
        m.node_cells[i][j] = Measure{mean_of(node_values), modelled};
      }
    }
  }
  // Two-way decomposition without replication over the cells that exist:
  // how much of the spread lies between batch-size rows and between
  // learning-rate columns.
  std::vector<double> all;
  std::vector<std::vector<double>> row_values(rows), col_values(cols);
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < cols; ++j) {
      if (!m.cells[i][j]) continue;
      all.push_back(m.cells[i][j]->value);
      row_values[i].push_back(m.cells[i][j]->value);
      col_values[j].push_back(m.cells[i][j]->value);
    }
  }
  const double grand = mean_of(all);
  double ss_total = 0, ss_rows = 0, ss_cols = 0;
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < cols; ++j) {
      if (!m.cells[i][j]) continue;
      ss_total += std::pow(m.cells[i][j]->value - grand, 2);
      ss_rows += std::pow(mean_of(row_values[i]) - grand, 2);
      ss_cols += std::pow(mean_of(col_values[j]) - grand, 2);
    }
  }
  if (ss_total > 0) {
    m.batch_size_share_percent = 100.0 * ss_rows / ss_total;
    m.learning_rate_share_percent = 100.0 * ss_cols / ss_total;
  }
  return m;
}

}  // namespace analysis_internal

}  // namespace powertrain
