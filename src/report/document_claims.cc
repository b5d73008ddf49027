// The study's claims, tested.
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

Section claims_section(const StudyReport& report) {
  Section section;
  section.id = "claims";
  section.title = "The study's claims, tested";
  section.paragraphs.push_back(fmt::format(
      "Each claim of the study against these runs (done runs only; diverged runs are left out). "
      "Intervals are two-sided 95 % Student t intervals over repeats; the analyses of variance "
      "use the spread between repeats as the error term and call an effect significant at p < "
      "{:g}. \"About\" figures are read as bands: best vs worst {:g} to {:g} %, freezing {:g} "
      "to {:g} %, break-even {:g} to {:g} cycles.",
      kAlpha, kBestOfWorstLowPercent, kBestOfWorstHighPercent, kFreezeLowPercent,
      kFreezeHighPercent, kBreakEvenLowCycles, kBreakEvenHighCycles));
  Table t;
  t.id = "claims";
  t.title = "Claims: the study's figure, ours, verdict";
  t.columns = {"claim", "scenario", "study", "ours", "verdict", "why"};
  for (const auto& c : report.claims) {
    t.rows.push_back({text_cell(c.claim), text_cell(c.scenario.empty() ? "-" : c.scenario),
                      text_cell(c.study), Cell{c.ours, std::nullopt, c.modelled},
                      text_cell(c.verdict), text_cell(c.why)});
  }
  section.tables.push_back(std::move(t));
  return section;
}

}  // namespace document_internal
}  // namespace powertrain
