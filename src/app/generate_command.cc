#include "app/generate_command.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "app/exit_codes.h"
#include "common/input_file.h"
#include "generate/generator.h"
#include "generate/telemetry.h"
#include "pattern/parser.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <sstream>

namespace ctihub::app {
namespace {

// The exact values of every STIX-pattern indicator in a bundle, a JSON array or JSON lines.
Result<std::vector<pattern::SensorValue>> IndicatorValues(const std::string& path,
                                                          size_t* indicators) {
  CTI_ASSIGN_OR_RETURN(std::unique_ptr<InputFile> in, InputFile::Open(path));
  CTI_ASSIGN_OR_RETURN(std::string text, in->ReadAll());
  std::vector<boost::json::value> objects;
  boost::system::error_code ec;
  boost::json::value whole = boost::json::parse(text, ec);
  if (!ec) {
    if (whole.is_object() && whole.get_object().contains("objects") &&
        whole.get_object().at("objects").is_array()) {
      for (auto& v : whole.get_object().at("objects").get_array()) objects.push_back(v);
    } else if (whole.is_array()) {
      for (auto& v : whole.get_array()) objects.push_back(v);
    } else {
      objects.push_back(whole);
    }
  } else {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      boost::json::value v = boost::json::parse(line, ec);
      if (ec) return InvalidArgument(path + ": neither a JSON document nor JSON lines");
      objects.push_back(std::move(v));
    }
  }
  std::vector<pattern::SensorValue> values;
  for (const boost::json::value& v : objects) {
    if (!v.is_object()) continue;
    const boost::json::object& o = v.get_object();
    auto is = [&](const char* key, std::string_view want) {
      const boost::json::value* p = o.if_contains(key);
      return p && p->is_string() && p->get_string() == want;
    };
    if (!is("type", "indicator") || !is("pattern_type", "stix")) continue;
    const boost::json::value* text_value = o.if_contains("pattern");
    if (!text_value || !text_value->is_string()) continue;
    Result<pattern::Pattern> parsed = pattern::ParsePattern(text_value->get_string());
    if (!parsed.ok()) continue;
    Result<std::vector<pattern::SensorValue>> exact = pattern::SensorValues(*parsed);
    if (!exact.ok()) continue;  // compound patterns: no single value makes them hit
    ++*indicators;
    for (pattern::SensorValue& s : *exact) values.push_back(std::move(s));
  }
  return values;
}

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
  Status s;
  generate::TelemetrySummary summary;
  size_t indicators = 0;
  if (!flags.telemetry.empty()) {
    generate::TelemetryOptions t;
    t.seed = flags.seed;
    t.records = flags.records;
    t.start = options.start;
    t.format = flags.telemetry == "suricata-eve" ? generate::TelemetryFormat::kSuricataEve
                                                 : generate::TelemetryFormat::kZeekJson;
    t.hit_permille = static_cast<uint32_t>(std::lround(flags.hit_rate * 1000));
    if (!flags.indicators.empty()) {
      Result<std::vector<pattern::SensorValue>> values =
          IndicatorValues(flags.indicators, &indicators);
      if (!values.ok()) {
        fmt::print(stderr, "ctihub generate: --indicators: {}\n", values.status().ToString());
        return kExitUsage;
      }
      t.hit_values = std::move(*values);
    }
    s = generate::GenerateTelemetry(t, write, &summary);
  } else {
    s = flags.format == "jsonl" ? generate::GenerateJsonLines(options, write)
                                : generate::GenerateBundle(options, write);
  }
  bool closed = out == stdout ? std::fflush(out) == 0 : std::fclose(out) == 0;
  if (!s.ok() || !closed) {
    fmt::print(stderr, "ctihub generate: {}\n", s.ok() ? "write failed" : s.ToString());
    return kExitUsage;
  }
  if (!flags.telemetry.empty()) {
    fmt::print(stderr,
               "{} records ({}), {} of them carry a value of {} indicators{}\n",
               summary.records, flags.telemetry, summary.hits, indicators,
               summary.values_unplantable
                   ? fmt::format(" ({} values of kinds no network log carries left out)",
                                 summary.values_unplantable)
                   : std::string());
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
  cmd->add_option("--telemetry", flags.telemetry,
                  "Write sensor logs instead of STIX: zeek-json or suricata-eve (JSON lines)")
      ->check(CLI::IsMember({"zeek-json", "suricata-eve"}));
  cmd->add_option("--records", flags.records, "Telemetry records to write")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  cmd->add_option("--hit-rate", flags.hit_rate,
                  "Fraction of telemetry records that carry a value of --indicators")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--indicators", flags.indicators,
                  "STIX indicators (bundle or JSON lines) whose exact values the hits carry")
      ->check(CLI::ExistingFile);
  cmd->callback([&flags, &exit_code] { exit_code = RunGenerate(flags); });
}

}  // namespace ctihub::app
