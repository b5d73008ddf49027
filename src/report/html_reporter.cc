// HTML: one self-contained file. Vega, Vega-Lite and vega-embed are inlined
// from npm's builds so that the page opens offline; the figures are
// Vega-Lite specs rendered as SVG. A hook at the top of the page writes any
// script error into the page, so that errors are seen, not hidden.
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

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

class HtmlReporter : public Reporter {
 public:
  explicit HtmlReporter(ReporterSettings settings) : settings_(std::move(settings)) {}
  std::string name() const override { return "html"; }

  std::vector<std::string> write(const ReportDocument& doc, const StudyReport&,
                                 const ReportTarget& target) override {
    const std::filesystem::path dir = resolve_vega_dir(settings_.vega_dir);
    std::string scripts, versions;
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
    for (const auto& section : doc.sections) {
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
