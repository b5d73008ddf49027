// The findings in words.
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

Section findings_section(const StudyReport& report) {
  Section section;
  section.id = "findings";
  section.title = "Findings";
  for (const auto& f : report.findings) section.paragraphs.push_back(f.text);
  if (report.findings.empty()) {
    section.paragraphs.push_back("Too few counted runs for any finding.");
  }
  if (!report.diverged.empty()) {
    double spent_mwh = 0;
    for (const auto& r : report.diverged) spent_mwh += r.energy_mwh;
    section.paragraphs.push_back(fmt::format(
        "{} run{} diverged and {} left out of the findings, the claims, Tables 2 to 4, Figure 3 "
        "and equation 2; {} used {:.3f} Wh (listed under \"Diverged runs\", counted in the "
        "carbon).",
        report.diverged.size(), report.diverged.size() == 1 ? "" : "s",
        report.diverged.size() == 1 ? "is" : "are", report.diverged.size() == 1 ? "it" : "they",
        spent_mwh / 1000.0));
  }
  return section;
}

}  // namespace document_internal
}  // namespace powertrain
