// Output formats behind one abstract reporter, picked by name (text, md,
// csv, json, html), in the manner of google/benchmark's reporters.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "powertrain/report/document.h"

namespace powertrain {

// Where a reporter writes: a stream (formats that make one file, when no
// folder is given) or a folder.
struct ReportTarget {
  std::ostream* stream = nullptr;
  std::string out_dir;  // when set, files are written here
};

struct ReporterSettings {
  // Folder holding vega/, vega-lite/ and vega-embed/ (npm's node_modules);
  // empty: $POWERTRAIN_VEGA_DIR, else the web/node_modules of the source tree.
  std::string vega_dir;
};

class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual std::string name() const = 0;
  // Writes the report; returns the paths of the files written (empty when
  // the report went to the stream).
  virtual std::vector<std::string> write(const ReportDocument& document, const StudyReport& report,
                                         const ReportTarget& target) = 0;
};

// Names of the reporters, in the order the help lists them.
std::vector<std::string> reporter_names();

// Makes the reporter called `name`. Throws std::invalid_argument listing the
// known names when there is none.
std::unique_ptr<Reporter> make_reporter(const std::string& name,
                                        const ReporterSettings& settings = {});

// The folder the HTML reporter reads Vega's builds from, after the flag, the
// environment and the compiled-in default.
std::string resolve_vega_dir(const std::string& flag_value);

}  // namespace powertrain
