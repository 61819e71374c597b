#include "app/generate_command.h"

#include <simdjson.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "app/exit_codes.h"
#include "generate/generator.h"
#include "generate/telemetry.h"
#include "pattern/parser.h"
#include "stix/json_reader.h"

namespace ctihub::app {
namespace {

// Closes and removes an output file a failed run leaves behind (stdout is left alone).
void Discard(FILE* out, const std::string& path) {
  if (out == stdout) return;
  std::fclose(out);
  std::remove(path.c_str());
}

// One indicator's exact values and when they are valid (its latest version).
struct Plantable {
  Timestamp modified, valid_from;
  std::optional<Timestamp> valid_until;
  bool revoked = false;
  std::vector<pattern::SensorValue> values;
};

struct IndicatorValuesRead {
  std::map<std::string, Plantable> by_id;
  size_t compound = 0;  // indicators no single value makes hit
};

std::optional<Timestamp> TimeOf(simdjson::dom::object o, std::string_view key) {
  std::string_view text;
  if (o[key].get(text) != simdjson::SUCCESS) return std::nullopt;
  Result<Timestamp> t = Timestamp::Parse(text);
  return t.ok() ? std::optional<Timestamp>(*t) : std::nullopt;
}

// The exact values of every STIX-pattern indicator in a bundle, a JSON array or JSON lines, read
// one object at a time (a 10M-object feed never sits in memory), keeping each id's latest version.
Result<IndicatorValuesRead> ReadIndicatorValues(const std::string& path) {
  CTI_ASSIGN_OR_RETURN(std::unique_ptr<stix::ObjectReader> reader,
                       stix::ObjectReader::OpenFile(path));
  IndicatorValuesRead read;
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
    std::string_view type, pattern_type, pattern_text, id;
    if (o["type"].get(type) || type != "indicator" || o["pattern_type"].get(pattern_type) ||
        pattern_type != "stix" || o["pattern"].get(pattern_text) || o["id"].get(id)) {
      continue;
    }
    std::optional<Timestamp> modified = TimeOf(o, "modified"), valid_from = TimeOf(o, "valid_from");
    if (!modified || !valid_from) continue;
    auto it = read.by_id.find(std::string(id));
    if (it != read.by_id.end() && it->second.modified >= *modified) continue;
    Result<pattern::Pattern> parsed = pattern::ParsePattern(pattern_text);
    if (!parsed.ok()) continue;
    Result<std::vector<pattern::SensorValue>> exact = pattern::SensorValues(*parsed);
    if (!exact.ok()) {
      ++read.compound;
      continue;
    }
    bool revoked = false;
    if (o["revoked"].get(revoked) != simdjson::SUCCESS) revoked = false;
    Plantable p{*modified, *valid_from, TimeOf(o, "valid_until"), revoked, std::move(*exact)};
    read.by_id[std::string(id)] = std::move(p);
  }
  return read;
}

// The start time at which the most indicators are valid for the whole of `window` (the logs'
// records must fall inside each planted indicator's validity, or `ctihub match` rightly raises
// no alert for them): the valid_from at which the count of [valid_from, valid_until) intervals
// covering [t, t + window] is highest (the earliest such).
std::optional<Timestamp> BusiestStart(const std::vector<const Plantable*>& live, int64_t window) {
  std::vector<int64_t> starts, ends;
  for (const Plantable* p : live) {
    starts.push_back(p->valid_from.micros());
    ends.push_back(p->valid_until ? p->valid_until->micros() : INT64_MAX);
  }
  std::sort(starts.begin(), starts.end());
  std::sort(ends.begin(), ends.end());
  std::optional<Timestamp> best;
  size_t best_count = 0, ended = 0;
  for (size_t i = 0; i < starts.size(); ++i) {
    const int64_t t = starts[i];
    // Intervals that end before the window does are of no use at t.
    while (ended < ends.size() && ends[ended] <= t + window) ++ended;
    const size_t begun =
        static_cast<size_t>(std::upper_bound(starts.begin(), starts.end(), t) - starts.begin());
    const size_t count = begun > ended ? begun - ended : 0;
    if (count > best_count) {
      best_count = count;
      best = Timestamp(t);
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
  size_t indicators = 0, left_out = 0;
  if (!flags.telemetry.empty()) {
    generate::TelemetryOptions t;
    t.seed = flags.seed;
    t.records = flags.records;
    t.start = options.start;
    t.format = flags.telemetry == "suricata-eve" ? generate::TelemetryFormat::kSuricataEve
                                                 : generate::TelemetryFormat::kZeekJson;
    t.hit_ppm = static_cast<uint32_t>(std::lround(flags.hit_rate * 1e6));
    if (!flags.indicators.empty()) {
      Result<IndicatorValuesRead> read = ReadIndicatorValues(flags.indicators);
      if (!read.ok()) {
        fmt::print(stderr, "ctihub generate: --indicators: {}\n", read.status().ToString());
        Discard(out, flags.output);
        return kExitUsage;
      }
      std::vector<const Plantable*> live;
      for (const auto& [id, p] : read->by_id) {
        if (!p.revoked) live.push_back(&p);
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
      left_out += read->by_id.size() - live.size();
    }
    if (t.hit_values.empty() && t.hit_ppm > 0) {
      fmt::print(stderr, "ctihub generate: no indicator values to plant{}: no record will hit\n",
                 flags.indicators.empty() ? " (no --indicators)" : "");
    }
    s = generate::GenerateTelemetry(t, write, &summary);
    options.start = t.start;
  } else {
    s = flags.format == "jsonl" ? generate::GenerateJsonLines(options, write)
                                : generate::GenerateBundle(options, write);
  }
  bool closed = out == stdout ? std::fflush(out) == 0 : std::fclose(out) == 0;
  if (!s.ok() || !closed) {
    fmt::print(stderr, "ctihub generate: {}\n", s.ok() ? "write failed" : s.ToString());
    if (out != stdout) std::remove(flags.output.c_str());  // no partial file that looks whole
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
  cmd->add_option("--start", flags.start, "Earliest timestamp (default 2024-01-01T00:00:00Z)");
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
                  "time; without --start the logs start when the most of them are valid")
      ->check(CLI::ExistingFile)
      ->needs(telemetry);
  for (const char* stix_only : {"--objects", "--format", "--span-days"}) {
    cmd->get_option(stix_only)->excludes(telemetry);
  }
  cmd->callback([&flags, &exit_code] { exit_code = RunGenerate(flags); });
}

}  // namespace ctihub::app
