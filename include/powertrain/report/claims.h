// The study's claims, each tested on the counted runs with a verdict:
// confirmed, not confirmed, or not testable here (with why). Figures carry
// an interval over repeats where there are two or more. No LibTorch here.
#pragma once

#include <string>
#include <vector>

namespace powertrain {

struct StudyReport;

inline constexpr const char* kConfirmed = "confirmed";
inline constexpr const char* kNotConfirmed = "not confirmed";
inline constexpr const char* kNotTestable = "not testable here";

struct ClaimFinding {
  std::string id;            // "batch-size-energy-per-epoch", "learning-rate-epochs", ...
  std::string scenario;      // "pamap2 on cpu"; "" when no data
  std::string claim;         // the study's statement
  std::string study;         // the study's own figure
  std::string ours;          // ours, with its interval or test
  std::string verdict;       // kConfirmed, kNotConfirmed, kNotTestable
  std::string why;           // how the verdict follows (or why it cannot be tested)
  bool modelled = false;     // rests on modelled energy
  std::string text() const;  // one paragraph: claim, study, ours, verdict, why
};

// Significance level of the analyses of variance, and the bands the study's
// "about" figures are read as (documented in each finding).
inline constexpr double kAlpha = 0.05;
inline constexpr double kBestOfWorstLowPercent = 15;  // "around 20 %"
inline constexpr double kBestOfWorstHighPercent = 25;
inline constexpr double kFreezeLowPercent = 46.1;   // Table 3, MPS
inline constexpr double kFreezeHighPercent = 61.5;  // Table 3, CUDA
inline constexpr double kBreakEvenLowCycles = 10;   // "around 10 to 13"
inline constexpr double kBreakEvenHighCycles = 13;

// Every claim for every scenario that has the runs it needs; a claim without
// such runs appears once as not testable, saying what is missing.
std::vector<ClaimFinding> test_claims(const StudyReport& report);

}  // namespace powertrain
