#include "app/pattern_commands.h"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "app/exit_codes.h"
#include "common/input_file.h"
#include "common/utf8.h"
#include "pattern/evaluator.h"
#include "pattern/matcher.h"
#include "pattern/parser.h"

namespace ctihub::app {
namespace {

// A STIX pattern is a JSON string, so UTF-8: bytes that are not (a Latin-1 terminal) can never
// be in an indicator. Said with the byte offset, as the parser's errors are.
std::string NotUtf8(size_t offset) {
  return fmt::format(
      "not UTF-8 at offset {}: a STIX pattern is a JSON string, which is UTF-8 "
      "(is the terminal or the script's locale UTF-8?)",
      offset);
}

int Check(const std::string& text, bool explain) {
  if (std::optional<size_t> bad = FirstInvalidUtf8Byte(text)) {
    fmt::print("invalid: {}\n", NotUtf8(*bad));
    return kExitFindings;
  }
  Result<pattern::Pattern> parsed = pattern::ParsePattern(text);
  if (!parsed.ok()) {
    // The parser's message carries the byte offset and what was expected.
    fmt::print("invalid: {}\n", parsed.status().message());
    return kExitFindings;
  }
  if (explain) {
    fmt::print("{}", pattern::ExplainPattern(*parsed));
    fmt::print("compiled matcher (ctihub match):\n");
    for (const std::string& line : pattern::DescribeIndexing(*parsed)) fmt::print("  {}\n", line);
  } else {
    fmt::print("valid: {}\n", parsed->ToString());
  }
  // Valid STIX, but not something this hub can evaluate: said before an indicator is shared or
  // loaded into `ctihub match`, which would leave it out.
  for (const std::string& problem : pattern::UnsupportedRegexes(*parsed)) {
    fmt::print("warning: {}; `ctihub match` leaves out an indicator with this pattern\n", problem);
  }
  return kExitOk;
}

// Evaluates one pattern over observed-data with the plain evaluator: 0 = matched, 1 = no match,
// 2 = bad pattern or input.
int Match(const std::string& text, const std::string& path) {
  if (std::optional<size_t> bad = FirstInvalidUtf8Byte(text)) {
    fmt::print(stderr, "ctihub pattern match: invalid pattern: {}\n", NotUtf8(*bad));
    return kExitUsage;
  }
  Result<pattern::Pattern> parsed = pattern::ParsePattern(text);
  if (!parsed.ok()) {
    fmt::print(stderr, "ctihub pattern match: invalid pattern: {}\n", parsed.status().message());
    return kExitUsage;
  }
  Result<std::unique_ptr<InputFile>> in = InputFile::Open(path);
  if (!in.ok()) {
    fmt::print(stderr, "ctihub pattern match: {}\n", in.status().ToString());
    return kExitUsage;
  }
  Result<std::string> json = (*in)->ReadAll();
  if (!json.ok()) {
    fmt::print(stderr, "ctihub pattern match: {}: {}\n", path, json.status().ToString());
    return kExitUsage;
  }
  const std::string_view text_read = WithoutUtf8Bom(*json);
  Result<std::vector<pattern::Observation>> observations = pattern::ParseObservations(text_read);
  if (!observations.ok() && text_read.find('\n') != std::string_view::npos) {
    // JSON lines (as `ctihub validate` and `import` read them): each line its own document.
    std::vector<pattern::Observation> all;
    Status bad;
    size_t line_number = 0;
    for (size_t start = 0; start < text_read.size() && bad.ok();) {
      size_t end = text_read.find('\n', start);
      if (end == std::string_view::npos) end = text_read.size();
      std::string_view line = text_read.substr(start, end - start);
      start = end + 1;
      ++line_number;
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      Result<std::vector<pattern::Observation>> some = pattern::ParseObservations(line);
      if (!some.ok()) {
        bad =
            InvalidArgument("line " + std::to_string(line_number) + ": " + some.status().message());
        continue;
      }
      for (pattern::Observation& o : *some) all.push_back(std::move(o));
    }
    if (bad.ok()) observations = std::move(all);
  }
  if (!observations.ok()) {
    fmt::print(stderr, "ctihub pattern match: {}: {}\n", path, observations.status().ToString());
    return kExitUsage;
  }
  Result<bool> hit = pattern::Evaluate(*parsed, *observations);
  if (!hit.ok()) {
    fmt::print(stderr, "ctihub pattern match: {}\n", hit.status().ToString());
    return kExitUsage;
  }
  fmt::print("{} ({} observations)\n", *hit ? "match" : "no match", observations->size());
  return *hit ? kExitOk : kExitFindings;
}

}  // namespace

void AddPatternCommands(CLI::App& app, int& exit_code) {
  static std::string text;
  CLI::App* pattern = app.add_subcommand("pattern", "The STIX 2.1 patterning language");
  pattern->require_subcommand(1);
  CLI::App* check = pattern->add_subcommand(
      "check", "Parse a pattern: exit 0 and its normalised form, or 1 with the byte offset and "
               "what was expected");
  check->add_option("pattern", text, "The pattern, e.g. \"[ipv4-addr:value = '198.51.100.1']\"")
      ->required();
  check->callback([&exit_code] { exit_code = Check(text, false); });
  CLI::App* explain = pattern->add_subcommand("explain", "The pattern's parse tree in plain words");
  explain->add_option("pattern", text, "The pattern")->required();
  explain->callback([&exit_code] { exit_code = Check(text, true); });
  static std::string observations = "-";
  CLI::App* match = pattern->add_subcommand(
      "match", "Evaluate a pattern over observed-data (a STIX 2.1 bundle, or a list of STIX 2.0 "
               "observed-data): exit 0 on a match, 1 on none");
  match->add_option("pattern", text, "The pattern")->required();
  match->add_option("observations", observations, "JSON file (.gz/.xz accepted) or - for stdin");
  match->callback([&exit_code] { exit_code = Match(text, observations); });
}

}  // namespace ctihub::app
