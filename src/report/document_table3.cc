// Table 3: frozen against unfrozen encoder.
#include "report/document_internal.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "powertrain/energy/sensors/model.h"
#include "powertrain/store/run_roles.h"
#include "powertrain/train/divergence.h"

namespace powertrain {
namespace document_internal {

Section table3_section(const StudyReport& report) {
  Section section;
  section.id = "table3";
  section.title = "Table 3: classifier energy with a frozen or unfrozen encoder (Wh)";
  section.paragraphs.push_back(
      "Mean total energy of one classifier run on the pretrained encoder, over all setups and "
      "repeats; saving = (unfrozen - frozen) / unfrozen. The energy column says which figure: "
      "the GPU's where a GPU was measured (as the study did), else the whole node's.");
  Table t;
  t.id = "table3";
  t.title = "Table 3: classifier on the pretrained encoder (Wh per run)";
  t.columns = {"scenario",    "energy",     "frozen runs",   "unfrozen runs",  "unfrozen (Wh)",
               "frozen (Wh)", "saving (%)", "frozen metric", "unfrozen metric"};
  for (const auto& c : report.table3) {
    const bool both = c.n_frozen > 0 && c.n_unfrozen > 0;
    t.rows.push_back(
        {text_cell(c.scenario.name()), text_cell(c.energy_basis), number_cell(c.n_frozen, 0),
         number_cell(c.n_unfrozen, 0),
         c.n_unfrozen ? number_cell(c.unfrozen_wh.value, 3, c.unfrozen_wh.modelled)
                      : text_cell("-"),
         c.n_frozen ? number_cell(c.frozen_wh.value, 3, c.frozen_wh.modelled) : text_cell("-"),
         both ? number_cell(c.saving_percent, 1, c.frozen_wh.modelled || c.unfrozen_wh.modelled)
              : text_cell("-"),
         optional_cell(c.frozen_metric, 4), optional_cell(c.unfrozen_metric, 4)});
  }
  if (report.table3.empty()) {
    section.paragraphs.push_back("No counted frozen or unfrozen classifier runs.");
  } else {
    section.tables.push_back(std::move(t));
  }
  return section;
}

}  // namespace document_internal
}  // namespace powertrain
