#include "app/pattern_commands.h"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <string>

#include "app/exit_codes.h"
#include "pattern/parser.h"

namespace ctihub::app {
namespace {

int Check(const std::string& text, bool explain) {
  Result<pattern::Pattern> parsed = pattern::ParsePattern(text);
  if (!parsed.ok()) {
    // The parser's message carries the byte offset and what was expected.
    fmt::print("invalid: {}\n", parsed.status().message());
    return kExitFindings;
  }
  if (explain) {
    fmt::print("{}", pattern::ExplainPattern(*parsed));
  } else {
    fmt::print("valid: {}\n", parsed->ToString());
  }
  return kExitOk;
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
}

}  // namespace ctihub::app
