#include "app/generate_command.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "app/exit_codes.h"
#include "generate/generator.h"

namespace ctihub::app {
namespace {

int RunGenerate(const GenerateFlags& flags) {
  generate::GeneratorOptions options;
  options.seed = flags.seed;
  options.objects = flags.objects;
  options.span_days = flags.span_days;
  if (!flags.start.empty()) {
    Result<Timestamp> start = Timestamp::Parse(flags.start);
    if (!start.ok()) {
      fmt::print(stderr, "ctihub generate: --start: {}\n", start.status().message());
      return kExitUsage;
    }
    options.start = *start;
  }
  FILE* out = stdout;
  if (flags.output != "-") {
    out = std::fopen(flags.output.c_str(), "wb");
    if (!out) {
      fmt::print(stderr, "ctihub generate: cannot write '{}': {}\n", flags.output,
                 std::strerror(errno));
      return kExitUsage;
    }
  }
  auto write = [out](std::string_view chunk) -> Status {
    if (std::fwrite(chunk.data(), 1, chunk.size(), out) != chunk.size()) {
      return Unavailable(std::string("write failed: ") + std::strerror(errno));
    }
    return Status::Ok();
  };
  Status s = flags.format == "jsonl" ? generate::GenerateJsonLines(options, write)
                                     : generate::GenerateBundle(options, write);
  bool closed = out == stdout ? std::fflush(out) == 0 : std::fclose(out) == 0;
  if (!s.ok() || !closed) {
    fmt::print(stderr, "ctihub generate: {}\n", s.ok() ? "write failed" : s.ToString());
    return kExitUsage;
  }
  return kExitOk;
}

}  // namespace

void AddGenerateCommand(CLI::App& app, GenerateFlags& flags, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "generate",
      "Write realistic synthetic STIX 2.1 threat intelligence (byte-for-byte the same for a "
      "seed): organisations, threat actors, campaigns, malware, attack patterns, indicators, "
      "sightings, observed data, reports, with TLP 2.0 markings and version histories.");
  cmd->add_option("--seed", flags.seed, "Seed")->capture_default_str();
  cmd->add_option("--objects", flags.objects, "Number of objects (100 to 10 million and more)")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  cmd->add_option("-o,--output", flags.output, "Output file; '-' for standard output");
  cmd->add_option("--format", flags.format, "bundle (one STIX bundle) or jsonl (one object a line)")
      ->check(CLI::IsMember({"bundle", "jsonl"}));
  cmd->add_option("--start", flags.start, "Earliest timestamp (default 2024-01-01T00:00:00Z)");
  cmd->add_option("--span-days", flags.span_days, "Days the timestamps spread over")
      ->check(CLI::Range(int64_t{1}, int64_t{36500}));
  cmd->callback([&flags, &exit_code] { exit_code = RunGenerate(flags); });
}

}  // namespace ctihub::app
