#include "powertrain/energy/sample.h"

#include <stdexcept>
#include <string>

namespace powertrain {

std::string_view to_string(Phase phase) {
  switch (phase) {
    case Phase::kTrain: return "train";
    case Phase::kValidate: return "validate";
    case Phase::kOther: return "other";
  }
  return "other";
}

std::string_view to_string(EnergySource source) {
  switch (source) {
    case EnergySource::kCounter: return "counter";
    case EnergySource::kSampled: return "sampled";
    case EnergySource::kModelled: return "modelled";
  }
  return "sampled";
}

Phase parse_phase(std::string_view text) {
  for (Phase p : {Phase::kTrain, Phase::kValidate, Phase::kOther}) {
    if (to_string(p) == text) return p;
  }
  throw std::invalid_argument("unknown phase '" + std::string(text) +
                              "' (known: train, validate, other)");
}

EnergySource parse_energy_source(std::string_view text) {
  for (EnergySource s : {EnergySource::kCounter, EnergySource::kSampled, EnergySource::kModelled}) {
    if (to_string(s) == text) return s;
  }
  throw std::invalid_argument("unknown energy source '" + std::string(text) +
                              "' (known: counter, sampled, modelled)");
}

}  // namespace powertrain
