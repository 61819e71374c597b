#include "app/generate_command.h"

#include <fmt/core.h>
#include <simdjson.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/cli_checks.h"
#include "app/exit_codes.h"
#include "app/output_file.h"
#include "generate/generator.h"
#include "generate/telemetry.h"
#include "pattern/parser.h"
#include "stix/json_reader.h"

namespace ctihub::app {
namespace {

// One indicator's exact values and when they are valid (its latest version).
struct Plantable {
  Timestamp modified, valid_from;
  std::optional<Timestamp> valid_until;
  bool revoked = false;
  std::vector<pattern::SensorValue> values;
};

// By indicator id.
using Plantables = std::map<std::string, Plantable>;

std::optional<Timestamp> TimeOf(simdjson::dom::object o, std::string_view key) {
  std::string_view text;
  if (o[key].get(text) != simdjson::SUCCESS) return std::nullopt;
  Result<Timestamp> t = Timestamp::Parse(text);
  return t.ok() ? std::optional<Timestamp>(*t) : std::nullopt;
}

// The exact values of every STIX-pattern indicator in a bundle, a JSON array or JSON lines, read
// one object at a time (a 10M-object feed never sits in memory), keeping each id's latest version.
Result<Plantables> ReadIndicatorValues(const std::string& path) {
  CTI_ASSIGN_OR_RETURN(std::unique_ptr<stix::ObjectReader> reader,
                       stix::ObjectReader::OpenFile(path));
  Plantables read;
  simdjson::dom::parser parser;
  stix::RawObject raw;
  for (;;) {
    Result<bool> more = reader->Next(&raw);
    if (!more.ok()) {
      if (reader->SkippedBadValue()) continue;  // a bad JSON line: the rest is still read
      return more.status();
    }
    if (!*more) break;
    if (raw.text.find("\"indicator\"") == std::string::npos) continue;
    simdjson::dom::object o;
    if (parser.parse(raw.text).get(o) != simdjson::SUCCESS) continue;
    std::string_view type, id;
    if (o["type"].get(type) || type != "indicator" || o["id"].get(id)) continue;
    std::optional<Timestamp> modified = TimeOf(o, "modified");
    if (!modified) continue;
    // The latest version decides, even when it yields nothing to plant (a compound pattern, a
    // revocation): an older version's values would raise no alert.
    auto it = read.find(std::string(id));
    if (it != read.end() && it->second.modified >= *modified) continue;
    Plantable p{*modified, Timestamp(0), TimeOf(o, "valid_until"), false, {}};
    if (o["revoked"].get(p.revoked) != simdjson::SUCCESS) p.revoked = false;
    std::optional<Timestamp> valid_from = TimeOf(o, "valid_from");
    std::string_view pattern_type, pattern_text;
    if (valid_from && !o["pattern_type"].get(pattern_type) && pattern_type == "stix" &&
        !o["pattern"].get(pattern_text)) {
      p.valid_from = *valid_from;
      if (Result<pattern::Pattern> parsed = pattern::ParsePattern(pattern_text); parsed.ok()) {
        if (Result<std::vector<pattern::SensorValue>> exact = pattern::SensorValues(*parsed);
            exact.ok()) {
          p.values = std::move(*exact);
        }
      }
    }
    read[std::string(id)] = std::move(p);
  }
  return read;
}

// The start time at which the most indicators are valid for the whole of `window` (the logs'
// records must fall inside each planted indicator's validity, or `ctihub match` rightly raises
// no alert for them). An indicator is usable from t when valid_from <= t < valid_until - window:
// a sweep over those intervals' ends, taking the earliest start where most are open.
std::optional<Timestamp> BusiestStart(const std::vector<const Plantable*>& live, int64_t window) {
  std::vector<std::pair<int64_t, int>> events;  // (time, +1 opens / -1 closes)
  for (const Plantable* p : live) {
    const int64_t from = p->valid_from.micros();
    const int64_t until = p->valid_until ? p->valid_until->micros() - window : INT64_MAX;
    if (until <= from) continue;  // valid for less than the logs last
    events.emplace_back(from, +1);
    if (until != INT64_MAX) events.emplace_back(until, -1);
  }
  // At one time, closings first: an interval is open on [from, until).
  std::sort(events.begin(), events.end());
  std::optional<Timestamp> best;
  int64_t open = 0, best_open = 0;
  for (const auto& [time, delta] : events) {
    open += delta;
    if (delta > 0 && open > best_open) {
      best_open = open;
      best = Timestamp(time);
    }
  }
  return best;
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
  // Telemetry: the indicators are read before the output is touched.
  generate::TelemetryOptions t;
  size_t indicators = 0, left_out = 0;
  if (!flags.telemetry.empty()) {
    t.seed = flags.seed;
    t.records = flags.records;
    t.start = options.start;
    t.format = flags.telemetry == "suricata-eve" ? generate::TelemetryFormat::kSuricataEve
                                                 : generate::TelemetryFormat::kZeekJson;
    t.hit_ppm = static_cast<uint32_t>(std::lround(flags.hit_rate * 1e6));
    if (!flags.indicators.empty()) {
      Result<Plantables> read = ReadIndicatorValues(flags.indicators);
      if (!read.ok()) {
        fmt::print(stderr, "ctihub generate: --indicators: {}\n", read.status().ToString());
        return kExitUsage;
      }
      std::vector<const Plantable*> live;
      for (const auto& [id, p] : *read) {
        if (p.revoked) {
          ++left_out;
        } else if (!p.values.empty()) {
          live.push_back(&p);
        }
      }
      // Records are at most 2 × mean gap apart; the window they span, with a second to spare.
      const int64_t window = static_cast<int64_t>(flags.records) * 2 * t.mean_gap_micros + 1000000;
      if (flags.start.empty()) {
        if (std::optional<Timestamp> busiest = BusiestStart(live, window)) t.start = *busiest;
      }
      for (const Plantable* p : live) {
        const bool valid =
            p->valid_from <= t.start &&
            (!p->valid_until || p->valid_until->micros() > t.start.micros() + window);
        if (!valid) {
          ++left_out;
          continue;
        }
        ++indicators;
        for (const pattern::SensorValue& v : p->values) t.hit_values.push_back(v);
      }
    }
    if (t.hit_values.empty() && t.hit_ppm > 0) {
      fmt::print(stderr, "ctihub generate: no indicator values to plant{}: no record will hit\n",
                 flags.indicators.empty() ? " (no --indicators)" : "");
    }
    options.start = t.start;
  }
  OutputFile out;
  if (Status opened = out.Open(flags.output); !opened.ok()) {
    fmt::print(stderr, "ctihub generate: {}\n", opened.message());
    return kExitUsage;
  }
  auto write = [&out](std::string_view chunk) -> Status { return out.Write(chunk); };
  generate::TelemetrySummary summary;
  Status s = !flags.telemetry.empty()  ? generate::GenerateTelemetry(t, write, &summary)
             : flags.format == "jsonl" ? generate::GenerateJsonLines(options, write)
                                       : generate::GenerateBundle(options, write);
  if (s.ok()) s = out.Finish();
  if (!s.ok()) {
    fmt::print(stderr, "ctihub generate: {}\n", s.ToString());
    return kExitUsage;
  }
  if (!flags.telemetry.empty()) {
    fmt::print(
        stderr,
        "{} records ({}) from {}, {} of them carry a value of {} indicators valid then{}{}\n",
        summary.records, flags.telemetry, options.start.ToString(), summary.hits, indicators,
        left_out ? fmt::format(" ({} revoked, expired or not yet valid left out)", left_out)
                 : std::string(),
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
  // CLI11 reads "-1" and "99999999999999999999" into a uint64_t as its largest value: every
  // out-of-range seed would give the same output unsaid.
  const CLI::Validator whole_seed(
      [](std::string& text) -> std::string {
        errno = 0;
        char* end = nullptr;
        const bool digits =
            !text.empty() && text.size() <= 20 &&
            std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (digits) std::strtoull(text.c_str(), &end, 10);
        if (!digits || errno == ERANGE || !end || *end) {
          return "a whole number from 0 to 18446744073709551615";
        }
        return {};
      },
      "UINT64");
  cmd->add_option("--seed", flags.seed, "Seed")->capture_default_str()->check(whole_seed);
  cmd->add_option("--objects", flags.objects, "Number of objects (1 to 10 million and more)")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  cmd->add_option("-o,--output", flags.output, "Output file; '-' for standard output");
  cmd->add_option("--format", flags.format, "bundle (one STIX bundle) or jsonl (one object a line)")
      ->check(CLI::IsMember({"bundle", "jsonl"}));
  cmd->add_option("--start", flags.start, "Earliest timestamp (default 2024-01-01T00:00:00Z)")
      ->check(NotEmpty());
  cmd->add_option("--span-days", flags.span_days, "Days the timestamps spread over")
      ->check(CLI::Range(int64_t{1}, int64_t{36500}));
  CLI::Option* telemetry =
      cmd->add_option("--telemetry", flags.telemetry,
                      "Write sensor logs instead of STIX: zeek-json or suricata-eve (JSON lines)")
          ->check(CLI::IsMember({"zeek-json", "suricata-eve"}));
  cmd->add_option("--records", flags.records, "Telemetry records to write")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40))
      ->needs(telemetry);
  cmd->add_option("--hit-rate", flags.hit_rate,
                  "Fraction of telemetry records that carry a value of --indicators (to 1 in a "
                  "million)")
      ->check(CLI::Range(0.0, 1.0))
      ->needs(telemetry);
  cmd->add_option("--indicators", flags.indicators,
                  "STIX indicators (bundle, array or JSON lines) whose exact values the hits "
                  "carry: the latest version of each, not revoked, valid for the logs' whole "
                  "time; without --start the logs start when the most of them are valid; '-' "
                  "for standard input")
      ->check(ExistingFileOrStdin())
      ->needs(telemetry);
  for (const char* stix_only : {"--objects", "--format", "--span-days"}) {
    cmd->get_option(stix_only)->excludes(telemetry);
  }
  cmd->callback([&flags, &exit_code] { exit_code = RunGenerate(flags); });
}

}  // namespace ctihub::app
