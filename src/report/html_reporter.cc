// HTML: one self-contained file. Vega, Vega-Lite and vega-embed are inlined
// from npm's builds so that the page opens offline; the figures are
// Vega-Lite specs rendered as SVG. A hook at the top of the page writes any
// script error into the page, so that errors are seen, not hidden.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "powertrain/store/store.h"
#include "report/reporters.h"

#ifndef POWERTRAIN_WEB_MODULES_DIR
#define POWERTRAIN_WEB_MODULES_DIR ""
#endif

namespace powertrain {

std::string resolve_vega_dir(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  if (const char* env = std::getenv("POWERTRAIN_VEGA_DIR"); env && *env) return env;
  return POWERTRAIN_WEB_MODULES_DIR;
}

namespace report_detail {
namespace {

using nlohmann::json;

struct Library {
  const char* package;
  const char* build;
};
const Library kLibraries[] = {
    {"vega", "build/vega.min.js"},
    {"vega-lite", "build/vega-lite.min.js"},
    {"vega-embed", "build/vega-embed.min.js"},
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read '" + path.string() + "'");
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Text inside <script> must not close the element early. Only "</script"
// is rewritten: a blanket "</" -> "<\/" would change regular expression
// literals such as /</g in the inlined libraries.
std::string script_safe(std::string js) {
  size_t at = 0;
  while ((at = js.find("</", at)) != std::string::npos) {
    std::string tag = js.substr(at + 2, 6);
    for (auto& c : tag) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (tag == "script") {
      js.replace(at, 2, "<\\/");
      at += 3;
    } else {
      at += 2;
    }
  }
  return js;
}

// JSON with every '<' escaped, safe inside <script>.
std::string json_in_script(const std::string& json_text) {
  std::string out;
  for (char c : json_text) {
    if (c == '<')
      out += "\\u003c";
    else
      out += c;
  }
  return out;
}

void html_table(std::ostream& out, const Table& table) {
  out << "<table class=\"pt-table\" id=\"table-" << escape(table.id) << "\">\n<caption>"
      << escape(table.title) << "</caption>\n<thead><tr>";
  for (const auto& c : table.columns) out << "<th>" << escape(c) << "</th>";
  out << "</tr></thead>\n<tbody>\n";
  for (const auto& row : table.rows) {
    out << "<tr>";
    for (const auto& cell : row) {
      out << "<td";
      std::string cls;
      if (cell.number) cls += "num";
      if (cell.modelled) cls += std::string(cls.empty() ? "" : " ") + "modelled";
      if (!cls.empty()) out << " class=\"" << cls << "\"";
      if (cell.modelled) out << " title=\"modelled, not measured\"";
      out << ">" << escape(marked(cell)) << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</tbody></table>\n";
  for (const auto& note : table.notes) out << "<p class=\"note\">" << escape(note) << "</p>\n";
}

const char* const kErrorHook = R"JS(
window.__ptErrors = [];
window.__ptRecord = function (message) {
  window.__ptErrors.push(String(message));
  var box = document.getElementById('pt-errors');
  if (box) { box.hidden = false; box.textContent = window.__ptErrors.join('\n'); }
};
window.addEventListener('error', function (e) {
  window.__ptRecord('error: ' + (e.message || e.type) + (e.filename ? ' at ' + e.filename + ':' + e.lineno : ''));
});
window.addEventListener('unhandledrejection', function (e) {
  window.__ptRecord('unhandled rejection: ' + (e.reason && e.reason.stack ? e.reason.stack : e.reason));
});
(function () {
  var original = console.error;
  console.error = function () {
    window.__ptRecord('console.error: ' + Array.prototype.slice.call(arguments).join(' '));
    return original.apply(console, arguments);
  };
})();
document.addEventListener('DOMContentLoaded', function () {
  if (window.__ptErrors.length) window.__ptRecord('(errors before the page loaded)');
});
)JS";

const char* const kRender = R"JS(
(function () {
  var ids = Object.keys(PT_SPECS);
  var status = document.getElementById('pt-status');
  if (typeof vegaEmbed !== 'function') {
    window.__ptRecord('vega-embed is not loaded; the charts cannot be drawn');
    return;
  }
  Promise.all(ids.map(function (id) {
    return vegaEmbed('#' + id, PT_SPECS[id], {renderer: 'svg', actions: false, mode: 'vega-lite'})
      .then(function () {
        var chart = document.getElementById(id);
        chart.setAttribute('data-marks', String(chart.querySelectorAll('svg g.role-mark > *').length));
      });
  })).then(function () {
    document.body.setAttribute('data-pt-status', 'rendered');
    status.textContent = 'Charts: ' + ids.length + ' drawn offline by Vega-Lite.';
  }).catch(function (e) {
    window.__ptRecord('chart failed: ' + (e && e.stack ? e.stack : e));
  });
})();
)JS";

const char* const kStyle = R"CSS(
body { font-family: sans-serif; margin: 2em auto; max-width: 1200px; color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table.pt-table { border-collapse: collapse; margin: 1em 0; font-size: 0.85em; }
table.pt-table caption { text-align: left; font-weight: bold; padding: 0.3em 0; }
table.pt-table th, table.pt-table td { border: 1px solid #ddd; padding: 0.2em 0.5em; }
table.pt-table th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.modelled { background: #fff4d6; font-style: italic; }
p.note { font-size: 0.85em; color: #555; }
#pt-errors { background: #fdd; color: #900; padding: 0.5em; white-space: pre-wrap; }
.runs-wrap { overflow-x: auto; }
figure { margin: 1.5em 0; }
ul.findings li { margin: 0.4em 0; }
.modelled-note { background: #fff4d6; padding: 0.4em; }
)CSS";

// ---- Tracked commands (`powertrain track`) ---------------------------------
// The study's sections say nothing about a command tracked with `track`; for
// each such run in the report's databases a section gives the command line,
// how it ended, its epochs, and two charts: energy per epoch and power over
// time (every sample of every device, as recorded).

Cell text_cell(const std::string& text) { return Cell{text, std::nullopt, false}; }

Cell number_cell(double value, int digits, bool modelled = false) {
  return Cell{format_number(value, digits), value, modelled};
}

std::string utc_time(double unix_s) {
  std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

// The database file behind a StudyReport::databases entry ("2: path" when
// the report has several).
std::string database_file(const std::string& entry) {
  if (std::filesystem::exists(entry)) return entry;
  size_t colon = entry.find(": ");
  if (colon != std::string::npos && std::filesystem::exists(entry.substr(colon + 2))) {
    return entry.substr(colon + 2);
  }
  return "";
}

json chart_base(const std::string& title) {
  return {{"$schema", "https://vega.github.io/schema/vega-lite/v5.json"},
          {"title", title},
          {"width", 640},
          {"height", 240}};
}

// Energy per epoch: a table and a bar chart.
void add_epochs(Section& section, const RunRecord& run, const std::vector<EpochRecord>& epochs) {
  Table table;
  table.id = "track_epochs_" + std::to_string(run.id);
  table.title = "Epochs of run " + std::to_string(run.id);
  table.columns = {"epoch",          "duration (s)", "energy (mWh)", "counter (mWh)",
                   "mean power (W)", "coverage",     "source"};
  json epoch_values = json::array();
  for (const EpochRecord& e : epochs) {
    bool modelled = e.source == EnergySource::kModelled;
    table.rows.push_back(
        {number_cell(e.epoch, 0), number_cell(e.duration_s, 2),
         number_cell(e.energy_mwh, 4, modelled),
         e.counter_energy_mwh ? number_cell(*e.counter_energy_mwh, 4) : text_cell("-"),
         number_cell(e.mean_power_mw / 1000.0, 2, modelled),
         text_cell(format_number(e.coverage * 100, 0) + "%"),
         text_cell(std::string(to_string(e.source)))});
    epoch_values.push_back({{"epoch", e.epoch},
                            {"energy_mwh", e.energy_mwh},
                            {"duration_s", e.duration_s},
                            {"source", std::string(to_string(e.source))}});
  }
  if (epochs.empty()) {
    section.paragraphs.push_back(
        "No epochs were recognised in this command's output (see `track --epoch-regex`, "
        "`--epoch-at` and the marker file).");
  } else {
    table.notes.push_back(
        "Energy: equation 1 (mean sampled power x duration) summed over "
        "devices; counter: the difference of hardware energy counters where "
        "every device has one.");
    section.tables.push_back(table);
    Figure f;
    f.id = "track_epoch_energy_" + std::to_string(run.id);
    f.title = "Energy per epoch, run " + std::to_string(run.id) + " (mWh)";
    json spec = chart_base(f.title);
    spec["data"] = {{"values", epoch_values}};
    spec["mark"] = "bar";
    spec["encoding"] = {
        {"x", {{"field", "epoch"}, {"type", "ordinal"}, {"title", "epoch"}}},
        {"y", {{"field", "energy_mwh"}, {"type", "quantitative"}, {"title", "energy (mWh)"}}},
        {"color", {{"field", "source"}, {"type", "nominal"}}},
        {"tooltip", json::array({{{"field", "epoch"}},
                                 {{"field", "energy_mwh"}, {"format", ".4f"}},
                                 {{"field", "duration_s"}, {"format", ".2f"}},
                                 {{"field", "source"}}})}};
    f.vega_lite = spec.dump();
    f.data = table;
    section.figures.push_back(std::move(f));
  }
}

// Power over time: every stream's samples, seconds since the first one,
// with the epochs as bands behind.
void add_power(Section& section, const RunRecord& run, const std::vector<EpochRecord>& epochs,
               const std::vector<Sample>& samples) {
  std::map<std::string, std::vector<const Sample*>> streams;
  double t0 = 0;
  bool any = false;
  for (const Sample& s : samples) {
    if (!s.reading.power_mw) continue;
    if (!any || s.wall_time_s < t0) t0 = s.wall_time_s;
    any = true;
    streams[s.sensor + ":" + s.reading.device].push_back(&s);
  }
  if (!any) return;
  Table stats;
  stats.id = "track_power_" + std::to_string(run.id);
  stats.title = "Power samples of run " + std::to_string(run.id);
  stats.columns = {"stream", "samples", "mean (W)", "min (W)", "max (W)", "source"};
  json points = json::array();
  for (const auto& [name, list] : streams) {
    // At most about 2000 points per stream in the chart; all in the table's figures.
    size_t step = std::max<size_t>(1, list.size() / 2000);
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    bool modelled = false;
    for (size_t i = 0; i < list.size(); ++i) {
      double w = *list[i]->reading.power_mw / 1000.0;
      sum += w;
      lo = std::min(lo, w);
      hi = std::max(hi, w);
      modelled = modelled || list[i]->reading.source == EnergySource::kModelled;
      if (i % step == 0 || i + 1 == list.size()) {
        points.push_back({{"t_s", list[i]->wall_time_s - t0},
                          {"power_w", w},
                          {"stream", name},
                          {"epoch", list[i]->epoch}});
      }
    }
    stats.rows.push_back({text_cell(name), number_cell(static_cast<double>(list.size()), 0),
                          number_cell(sum / list.size(), 2, modelled), number_cell(lo, 2, modelled),
                          number_cell(hi, 2, modelled),
                          text_cell(modelled ? "modelled" : "sampled")});
  }
  json bands = json::array();
  for (const EpochRecord& e : epochs) {
    bands.push_back({{"start_s", e.started_at_s - t0},
                     {"end_s", e.started_at_s - t0 + e.duration_s},
                     {"epoch", "epoch " + std::to_string(e.epoch)},
                     {"odd", e.epoch % 2 != 0}});
  }
  Figure f;
  f.id = "track_power_" + std::to_string(run.id);
  f.title = "Power over time, run " + std::to_string(run.id) + " (W; shaded: epochs)";
  json spec = chart_base(f.title);
  json line = {
      {"data", {{"values", points}}},
      {"mark", {{"type", "line"}, {"interpolate", "step-after"}}},
      {"encoding",
       {{"x", {{"field", "t_s"}, {"type", "quantitative"}, {"title", "time since start (s)"}}},
        {"y", {{"field", "power_w"}, {"type", "quantitative"}, {"title", "power (W)"}}},
        {"color", {{"field", "stream"}, {"type", "nominal"}}},
        {"tooltip", json::array({{{"field", "t_s"}, {"format", ".2f"}},
                                 {{"field", "power_w"}, {"format", ".2f"}},
                                 {{"field", "stream"}},
                                 {{"field", "epoch"}}})}}}};
  json layers = json::array();
  if (!bands.empty()) {
    layers.push_back(
        {{"data", {{"values", bands}}},
         {"mark", {{"type", "rect"}, {"opacity", 0.12}, {"color", "#4c78a8"}}},
         {"encoding",
          {{"x", {{"field", "start_s"}, {"type", "quantitative"}}},
           {"x2", {{"field", "end_s"}}},
           {"opacity", {{"condition", {{"test", "datum.odd"}, {"value", 0.18}}}, {"value", 0.08}}},
           {"tooltip", json::array({{{"field", "epoch"}}})}}}});
  }
  layers.push_back(line);
  spec["layer"] = layers;
  f.vega_lite = spec.dump();
  f.data = stats;
  section.figures.push_back(std::move(f));
}

Section track_section(const std::string& db, const RunRecord& run,
                      const std::vector<EpochRecord>& epochs, const std::vector<Sample>& samples) {
  Section section;
  section.id = "track-" + std::to_string(run.id);
  section.title = "Tracked command: run " + std::to_string(run.id) + " of " + db;
  section.paragraphs.push_back("Command: " + run.command);
  // track records "command killed by SIGKILL", "command exited with status 3"...
  std::string ended = !run.error.empty() ? run.error
                      : run.exit_code
                          ? "command exited with status " + std::to_string(*run.exit_code)
                          : "no exit status recorded";
  bool says_status = ended.find("exited with status") != std::string::npos;
  section.paragraphs.push_back("Status: " + std::string(to_string(run.status)) + "; " + ended +
                               (run.exit_code && !says_status
                                    ? " (exit status " + std::to_string(*run.exit_code) + ")"
                                    : "") +
                               ".");
  std::string when = run.started_at_s ? "started " + utc_time(*run.started_at_s) : "start unknown";
  if (run.started_at_s && run.ended_at_s) {
    when += ", lasted " + format_number(*run.ended_at_s - *run.started_at_s, 2) + " s";
  }
  section.paragraphs.push_back("Host " + (run.host.empty() ? std::string("?") : run.host) + ", " +
                               when + "; sensors " + run.sensors + " read every " +
                               format_number(run.interval_s, 3) + " s; PUE " +
                               format_number(run.pue, 2) + ".");

  add_epochs(section, run, epochs);
  add_power(section, run, epochs, samples);
  return section;
}

std::vector<Section> track_sections(const StudyReport& report) {
  std::vector<Section> out;
  for (const std::string& entry : report.databases) {
    std::string path = database_file(entry);
    if (path.empty()) continue;
    try {
      const Store store(path, Store::Mode::kReadOnly);  // a reader changes nothing (no migration)
      for (const RunRecord& run : store.runs()) {
        if (run.kind != "track" && run.kind != "python") continue;  // and the Python module's runs
        out.push_back(track_section(entry, run, store.epochs(run.id), store.samples(run.id)));
      }
    } catch (const std::exception& e) {
      Section s;
      s.id = "track-error";
      s.title = "Tracked commands";
      s.paragraphs.push_back("The tracked commands of " + path + " could not be read: " + e.what());
      out.push_back(std::move(s));
    }
  }
  return out;
}

// Vega's builds as inline scripts, and their versions for the footer.
void inline_libraries(const std::filesystem::path& dir, std::string& scripts,
                      std::string& versions) {
  for (const auto& lib : kLibraries) {
    const auto path = dir / lib.package / lib.build;
    if (!std::filesystem::exists(path)) {
      throw std::runtime_error(
          "the HTML report inlines Vega's builds, but '" + path.string() +
          "' does not exist: run `npm ci` in web/ (scripts/setup.sh does), or point "
          "--vega-dir or POWERTRAIN_VEGA_DIR at a node_modules folder with vega, vega-lite "
          "and vega-embed");
    }
    scripts += "<script>/* " + std::string(lib.package) + " */\n" + script_safe(read_file(path)) +
               "\n</script>\n";
    try {
      const auto package = json::parse(read_file(dir / lib.package / "package.json"));
      versions += (versions.empty() ? "" : ", ") + std::string(lib.package) + " " +
                  package.value("version", "?");
    } catch (const std::exception&) {
      versions += (versions.empty() ? "" : ", ") + std::string(lib.package);
    }
  }
}

// One section: its paragraphs (a list for the findings), tables and
// figures (their specs collected in specs, drawn by the page's script).
void html_section(std::ostream& out, const Section& section, json& specs) {
  out << "<section id=\"section-" << escape(section.id) << "\">\n<h2>" << escape(section.title)
      << "</h2>\n";
  const bool list = section.id == "findings";
  if (list) out << "<ul class=\"findings\">\n";
  for (const auto& p : section.paragraphs) {
    out << (list ? "<li>" : "<p>") << escape(p) << (list ? "</li>\n" : "</p>\n");
  }
  if (list) out << "</ul>\n";
  for (const auto& table : section.tables) {
    out << "<div class=\"runs-wrap\">\n";
    html_table(out, table);
    out << "</div>\n";
  }
  for (const auto& figure : section.figures) {
    const std::string id = "chart-" + figure.id;
    specs[id] = json::parse(figure.vega_lite);
    out << "<figure>\n<div class=\"pt-chart\" id=\"" << escape(id) << "\"></div>\n"
        << "<figcaption>" << escape(figure.title) << "</figcaption>\n";
    bool shown = false;
    for (const auto& t : section.tables) shown = shown || t.id == figure.data.id;
    if (!shown) {
      out << "<details><summary>data</summary>\n";
      html_table(out, figure.data);
      out << "</details>\n";
    }
    out << "</figure>\n";
  }
  out << "</section>\n";
}

class HtmlReporter : public Reporter {
 public:
  explicit HtmlReporter(ReporterSettings settings) : settings_(std::move(settings)) {}
  std::string name() const override { return "html"; }

  std::vector<std::string> write(const ReportDocument& study_doc, const StudyReport& report,
                                 const ReportTarget& target) override {
    // Tracked commands first: for a database of `track` runs they are the report.
    ReportDocument doc = study_doc;
    std::vector<Section> tracked = track_sections(report);
    doc.sections.insert(doc.sections.begin(), tracked.begin(), tracked.end());
    const std::filesystem::path dir = resolve_vega_dir(settings_.vega_dir);
    std::string scripts, versions;
    inline_libraries(dir, scripts, versions);

    std::ostringstream out;
    json specs = json::object();
    out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        << "<title>" << escape(doc.title) << "</title>\n<script>" << kErrorHook
        << "</script>\n<style>" << kStyle << "</style>\n</head>\n<body>\n"
        << "<pre id=\"pt-errors\" hidden></pre>\n<h1>" << escape(doc.title) << "</h1>\n";
    for (const auto& p : doc.preamble) {
      out << "<p"
          << (doc.any_modelled && p.find("modelled") != std::string::npos
                  ? " class=\"modelled-note\""
                  : "")
          << ">" << escape(p) << "</p>\n";
    }
    out << "<nav><ul>\n";
    for (const auto& s : doc.sections) {
      out << "<li><a href=\"#section-" << escape(s.id) << "\">" << escape(s.title) << "</a></li>\n";
    }
    out << "</ul></nav>\n";
    for (const auto& section : doc.sections) html_section(out, section, specs);
    if (doc.any_modelled) out << "<p class=\"modelled-note\">" << escape(kModelledNote) << "</p>\n";
    out << "<footer><p id=\"pt-status\">Charts: not drawn yet.</p><p>Charts drawn by "
        << escape(versions) << ", inlined into this file.</p></footer>\n";
    out << scripts;
    out << "<script>\nvar PT_SPECS = " << json_in_script(specs.dump()) << ";\n"
        << kRender << "</script>\n</body>\n</html>\n";

    if (!target.out_dir.empty()) {
      const auto path = output_path(target.out_dir, "report.html");
      write_file(path, out.str());
      return {path};
    }
    if (!target.stream) throw std::invalid_argument("report: no output stream and no --out folder");
    *target.stream << out.str();
    return {};
  }

 private:
  ReporterSettings settings_;
};

}  // namespace

std::unique_ptr<Reporter> make_html_reporter(const ReporterSettings& settings) {
  return std::make_unique<HtmlReporter>(settings);
}

}  // namespace report_detail
}  // namespace powertrain
