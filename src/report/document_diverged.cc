// Runs that diverged, kept out of the tables.
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

Section diverged_section(const StudyReport& report) {
  Section section;
  section.id = "diverged";
  section.title = "Diverged runs";
  section.paragraphs.push_back(fmt::format(
      "A run diverges when its loss is not finite, when an epoch's training loss is above {:g} "
      "times the untrained model's (its first batch), or when an autoencoder reconstructs "
      "worse than predicting the mean (include/powertrain/train/divergence.h). Its figures "
      "describe the blow-up, "
      "not the setup: it is left out of every table, figure, finding and claim, and listed "
      "here with the energy it used. Its epochs, the last possibly cut short, are never "
      "counted as whole epochs of a setup.",
      kDivergenceFactor));
  Table t;
  t.id = "diverged";
  t.title = "Diverged runs and the energy they used";
  t.columns = {"run",        "task",          "device", "role",         "setup", "repeat",
               "batch size", "learning rate", "epochs", "energy (mWh)", "why"};
  for (const auto& r : report.diverged) {
    const int bs = r.run.batch_size.value_or(0);
    const double lr = r.run.learning_rate.value_or(0);
    t.rows.push_back({text_cell(r.label), text_cell(r.run.task), text_cell(r.run.device),
                      text_cell(r.run.role),
                      text_cell(setup_label(r.run.setup.value_or(0), bs, lr)),
                      r.run.repeat ? number_cell(*r.run.repeat, 0) : text_cell("-"),
                      r.run.batch_size ? number_cell(bs, 0) : text_cell("-"),
                      r.run.learning_rate ? Cell{lr_text(lr), lr, false} : text_cell("-"),
                      number_cell(r.n_epochs, 0), number_cell(r.energy_mwh, 3, r.modelled),
                      text_cell(r.run.error.empty() ? "-" : r.run.error)});
  }
  if (report.diverged.empty()) section.paragraphs.push_back("No run diverged.");
  section.tables.push_back(std::move(t));
  return section;
}

}  // namespace document_internal
}  // namespace powertrain
