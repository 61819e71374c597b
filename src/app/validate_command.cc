#include "app/validate_command.h"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "app/exit_codes.h"
#include "app/wording.h"
#include "common/utf8.h"
#include "stix/canonical_json.h"
#include "stix/validator.h"

namespace ctihub::app {
namespace {

void WriteFindingJson(stix::JsonWriter& w, const stix::Finding& f) {
  w.BeginObject();
  w.Key("severity").String(stix::SeverityName(f.severity));
  w.Key("rule").String(f.rule);
  w.Key("object_id").String(f.object_id);
  w.Key("pointer").String(f.pointer);
  w.Key("message").String(f.message);
  w.Key("line").Uint(f.line);
  w.Key("value_index").Uint(f.value_index);
  w.EndObject();
}

}  // namespace

void AddValidateCommand(CLI::App& app, ValidateFlags& flags, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "validate",
      "Check STIX 2.1 files (bundle, object, JSON array or JSON lines; '-' for stdin) against the "
      "specification.\nExit status: 0 valid, 1 findings (errors, or warnings with --strict), 2 "
      "usage or I/O error.");
  cmd->add_option("files", flags.files,
                  "STIX files to check; a directory means every *.json and *.jsonl below it (also "
                  ".gz, .xz); "
                  "'-' reads standard input")
      ->required();
  cmd->add_option("--format", flags.format, "Output: 'text' for people, 'json' for tools")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("--strict", flags.strict, "Treat warnings (SHOULDs) as errors");
  cmd->add_flag("-q,--quiet", flags.quiet, "Text output: print only one summary line per file");
  cmd->add_option("--max-findings", flags.max_findings,
                  "Show at most this many findings per object (1 or more)")
      ->check(CLI::Range(1, 1'000'000));
  cmd->add_option("--threads", flags.threads,
                  "Threads that check objects (0 = one per core); output order does not change")
      ->check(CLI::Range(0, 256));
  cmd->callback([&flags, &exit_code] { exit_code = RunValidate(flags); });
}

namespace {

// Expands directories to the *.json and *.jsonl files below them (sorted, recursive), so
// `ctihub validate feeds/` checks a whole tree; other paths are kept as given.
std::vector<std::string> ExpandPaths(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (path == "-" || !fs::is_directory(path, ec)) {
      out.push_back(path);
      continue;
    }
    std::vector<std::string> found;
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      // As ctihub reads them: gzip or xz compressed too, in any case ("FEED.JSON").
      std::string name = it->path().filename().string();
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      for (std::string_view suffix : {".gz", ".xz"}) {
        if (name.ends_with(suffix)) name.resize(name.size() - suffix.size());
      }
      if (name.ends_with(".json") || name.ends_with(".jsonl")) {
        found.push_back(it->path().string());
      }
    }
    if (ec || found.empty()) {
      out.push_back(path);  // reported as unreadable, or as holding no STIX file, by the caller
      continue;
    }
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

}  // namespace

int RunValidate(const ValidateFlags& flags) {
  if (std::count(flags.files.begin(), flags.files.end(), "-") > 1) {
    fmt::print(stderr, "ctihub validate: '-' (standard input) can be read only once\n");
    return kExitUsage;
  }
  stix::ValidatorOptions options;
  options.strict = flags.strict;
  options.max_findings_per_object = flags.max_findings;
  options.threads = flags.threads;
  stix::Validator validator(options);
  bool json = flags.format == "json";
  bool any_findings = false;
  bool any_io_error = false;
  stix::JsonWriter out;
  if (json) {
    std::fputs("{\"files\":[", stdout);
  }
  bool first_file = true;
  uint64_t total_objects = 0, total_errors = 0, total_warnings = 0;
  for (const std::string& path : ExpandPaths(flags.files)) {
    if (json) {
      if (!first_file) std::fputc(',', stdout);
      std::fputs("{\"findings\":[", stdout);
    }
    first_file = false;
    bool first_finding = true;
    const std::string shown = WithVisibleControls(path);  // text output: one line per finding
    const auto sink = [&](const stix::Finding& f) {
      if (json) {
        out.Clear();
        WriteFindingJson(out, f);
        if (!first_finding) std::fputc(',', stdout);
        std::fwrite(out.str().data(), 1, out.str().size(), stdout);
        first_finding = false;
        return;
      }
      if (flags.quiet) return;
      std::string where = f.object_id.empty() ? "" : f.object_id + " ";
      std::string at = f.line ? shown + ":" + std::to_string(f.line) : shown;
      fmt::print("{}: {} [{}] {}{}: {}\n", at, stix::SeverityName(f.severity), f.rule, where,
                 f.pointer.empty() ? "/" : f.pointer, f.message);
    };
    std::error_code ec;
    stix::FileReport report;
    if (std::filesystem::is_directory(path, ec)) {
      report.path = path;
      report.io_error = true;
      report.io_message = "no *.json or *.jsonl file (or .gz, .xz) below this directory";
    } else {
      report = validator.ValidateFile(path, sink);
    }
    // A file with nothing in it is no STIX document (a truncated download, an empty export):
    // an error when empty, a warning when it holds JSON without objects (an empty bundle).
    if (!report.io_error && report.objects == 0 && report.errors == 0) {
      stix::Finding f;
      const bool empty = report.bytes == 0;
      f.severity = empty || flags.strict ? stix::Severity::kError : stix::Severity::kWarning;
      f.rule = empty ? "empty-file" : "no-objects";
      f.message =
          empty ? "the file is empty: it holds no JSON at all" : "the file holds no STIX objects";
      sink(f);
      ++(f.severity == stix::Severity::kError ? report.errors : report.warnings);
    }
    total_objects += report.objects;
    total_errors += report.errors;
    total_warnings += report.warnings;
    if (report.io_error) any_io_error = true;
    if (!report.valid()) any_findings = true;
    std::string verdict = report.io_error ? "unreadable" : (report.valid() ? "valid" : "invalid");
    if (json) {
      out.Clear();
      out.BeginObject();  // written as the tail of the file object
      out.Key("path").String(path);
      out.Key("verdict").String(verdict);
      // What was read decides the version: an unreadable file has none.
      if (report.io_error && report.objects == 0) {
        out.Key("stix_version").Null();
      } else {
        out.Key("stix_version").String(report.stix20 ? "2.0" : "2.1");
      }
      out.Key("objects").Uint(report.objects);
      out.Key("invalid_objects").Uint(report.invalid_objects);
      out.Key("errors").Uint(report.errors);
      out.Key("warnings").Uint(report.warnings);
      out.Key("bytes").Uint(report.bytes);
      if (report.io_error) out.Key("io_error").String(report.io_message);
      out.EndObject();
      // Splice: `],` then the members of the summary object without its opening brace.
      std::string tail = out.str().substr(1);
      std::fputs("],", stdout);
      std::fwrite(tail.data(), 1, tail.size(), stdout);
    } else if (report.io_error) {
      fmt::print(stderr, "{}: cannot read: {}\n", shown, report.io_message);
    } else {
      fmt::print("{}: {}{} — {}, {}, {}\n", shown, verdict,
                 report.stix20 ? " (STIX 2.0 content)" : "", Count(report.objects, "object"),
                 Count(report.errors, "error"), Count(report.warnings, "warning"));
    }
  }
  if (json) {
    out.Clear();
    out.BeginObject();
    out.Key("objects").Uint(total_objects);
    out.Key("errors").Uint(total_errors);
    out.Key("warnings").Uint(total_warnings);
    out.Key("valid").Bool(!any_findings);
    out.EndObject();
    fmt::print("],\"summary\":{}}}\n", out.str());
  }
  // No flush here: main() flushes standard output and reports why a write failed.
  if (any_io_error) return kExitUsage;
  return any_findings ? kExitFindings : kExitOk;
}

}  // namespace ctihub::app
