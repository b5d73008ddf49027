// Apple Silicon CPU / GPU / ANE power, and Intel Mac package power, through
// macOS `powermetrics`.
#pragma once

#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "powertrain/energy/sensor.h"

namespace powertrain {

// Power figures of one powermetrics sample block, in mW, each with the line
// it was read from (the `*_from` fields), since the lines differ between
// macOS versions and machines:
// - CPU: "CPU Power" (macOS 12 and later); where there is none (macOS 11),
//   "Clusters Total Power", or else the sum of the "<X>-Cluster Power" lines.
// - GPU: "GPU Power" of the GPU usage section (gpu_power sampler); the one in
//   the processor section where there is no GPU usage section.
// - ANE: "ANE Power".
// - package: "Package Power" (Apple Silicon: CPU + GPU + ANE + DRAM + the
//   rest of the SoC, so it overlaps the others), or on Intel Macs "Intel
//   energy model derived package power (CPUs+GT+SA)", printed in watts.
struct PowermetricsSample {
  std::optional<double> cpu_mw;
  std::optional<double> gpu_mw;
  std::optional<double> ane_mw;
  std::optional<double> dram_mw;
  std::optional<double> package_mw;
  std::optional<double> combined_mw;  // "Combined Power (CPU + GPU + ANE)"
  std::string cpu_from, gpu_from, ane_from, package_from;
  bool intel_package = false;           // package_mw is the Intel energy model's (CPUs+GT+SA)
  std::optional<double> elapsed_ms;     // the block's own interval
  int number = 0;                       // 1 for the first block of the output
  std::vector<std::string> unreadable;  // "line N: '<text>'": a power line without a number
};

// Incremental parser of powermetrics' text output: feed it lines, get a
// sample as soon as a block is complete.
//
// Block end: a block starts at "*** Sampled system activity"; it is complete
// at the line of its last figure. Which line that is depends on the samplers
// and the macOS version ("Package Power" on macOS 12 with cpu_power only,
// "GPU Power" of the GPU usage section with gpu_power, the Intel package line
// on Intel Macs), so the parser learns it: the (section, label) of the last
// figure of a block that ended at the next header becomes the end marker, and
// every later block is returned at that line, without waiting for the next
// header. Only the first block (and one after a change of format) waits for
// the next header, or for flush(). Figures that come after a block was
// returned make it be returned again, complete, at the next header. A
// "*** Summary system activity" block (the average over the whole run that
// powermetrics prints on exit) is not a sample and is skipped.
class PowermetricsParser {
 public:
  // Returns the block that `line` completes, if any.
  std::optional<PowermetricsSample> feed(const std::string& line);
  // Returns the block in progress if it has figures not yet returned (the
  // output went quiet, or ended).
  std::optional<PowermetricsSample> flush();
  std::optional<PowermetricsSample> finish() { return flush(); }

 private:
  enum class Section { kNone, kProcessor, kGpu, kOther };
  struct Key {
    Section section = Section::kNone;
    std::string label;
    bool operator==(const Key& o) const { return section == o.section && label == o.label; }
  };
  // Resets the figures for the block a "*** Sampled system activity" line opens.
  void start_block();
  // Keeps a power figure of the block in progress; false where `label` is one
  // powertrain does not keep.
  bool record(const std::string& label, double mw);
  std::optional<PowermetricsSample> end_block();
  PowermetricsSample complete() const;
  bool has_figures() const;

  int line_no_ = 0;
  bool in_block_ = false;
  bool dirty_ = false;  // figures not yet returned
  int blocks_ = 0;
  Section section_ = Section::kNone;
  PowermetricsSample current_;
  std::optional<double> processor_gpu_mw_;
  std::optional<double> clusters_total_mw_;
  std::optional<double> cluster_sum_mw_;
  std::vector<std::string> cluster_labels_;
  Key last_figure_;
  std::optional<Key> end_marker_;
};

// The samplers listed by `powermetrics -h` under "The following samplers are
// supported by --samplers:"; empty when the text has no such list.
std::vector<std::string> parse_powermetrics_samplers(const std::string& help_text);

// Runs `options.powermetrics_program -h`, asks for cpu_power plus gpu_power
// and ane_power where that powermetrics offers them (an unknown sampler makes
// powermetrics refuse to run), and line-buffered output (-b 1) where offered.
// It never calls sudo: without root it is unavailable and the reason says what
// to run. Devices: cpu, gpu, ane on Apple Silicon; package on Intel Macs.
std::unique_ptr<Sensor> make_powermetrics_sensor(const SensorOptions& options);

}  // namespace powertrain
