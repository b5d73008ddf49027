// What the sections of the report document (src/report/document*.cc)
// share: cell and figure helpers, and one function per section. Not installed.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "powertrain/report/document.h"

namespace powertrain::document_internal {

using nlohmann::json;

Cell text_cell(std::string text);
Cell number_cell(double value, int digits, bool modelled = false);
Cell optional_cell(const std::optional<double>& value, int digits, bool modelled = false,
                   const std::string& missing = "-");
// "CUDA:0" -> "cuda-0": a name safe in ids and file names.
std::string slug(const std::string& text);
std::string scenario_slug(const ScenarioKey& s);
std::string lr_text(double lr);
std::string modelled_suffix(bool modelled);
// A Vega-Lite spec's common fields.
json base_spec(const std::string& title, bool modelled);

// The findings in words. (document_findings.cc)
Section findings_section(const StudyReport& report);
// The study's claims, tested. (document_claims.cc)
Section claims_section(const StudyReport& report);
// Table 2: energy per epoch by batch size and learning rate. (document_table2.cc)
Section table2_section(const StudyReport& report);
// Figure 3: each setup's energy as a share of the worst. (document_figure3.cc)
Section figure3_section(const StudyReport& report);
// Equation 2 and Figure 4: the break-even of pretraining. (document_break_even.cc)
Section break_even_section(const StudyReport& report);
// Table 3: frozen against unfrozen encoder. (document_table3.cc)
Section table3_section(const StudyReport& report);
// Table 4 and Figure 5: multitask against one model per task. (document_table4.cc)
Section table4_section(const StudyReport& report);
// Runs that diverged, kept out of the tables. (document_diverged.cc)
Section diverged_section(const StudyReport& report);
// The emissions table. (document_carbon.cc)
Section carbon_section(const StudyReport& report);
// The runs section: every counted run, and what shaped the figures. (document_runs.cc)
Section runs_section(const StudyReport& report);

}  // namespace powertrain::document_internal
