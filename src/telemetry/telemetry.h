// telemetry: sensor logs in, STIX observations out — the readers behind `ctihub match`. Each
// record of a Zeek log (JSON or TSV), a Suricata EVE log (JSON lines, or a JSON array of events),
// a STIX observed-data bundle, or any JSON lines described by a mapping file becomes one
// pattern::FlatObservation: the SCOs the record shows (addresses, network-traffic with its refs and
// ports, domain names, URLs, files with hashes, certificates, e-mail) keyed "0", "1", …, at the
// record's time. docs/telemetry-mapping.md lists every field used.
//
// Bad lines are counted and the first few kept with the reason; they never stop a reader. Input
// is a file, "-" (stdin), gzip or xz (by magic bytes), and can be followed as it grows.
// Core module: depends on `pattern` and `common`, simdjson for JSON, toml++ for mapping files.
//
//   CTI_ASSIGN_OR_RETURN(auto reader, TelemetryReader::Open("conn.log.gz", {}));
//   TelemetryRecord record;
//   while (true) {
//     CTI_ASSIGN_OR_RETURN(bool more, reader->Next(&record));
//     if (!more) break;
//     matcher->Match(record.observation, &hits);  // record.observation.Json(): Boost.JSON
//   }
//   const ReaderCounters& c = reader->counters();   // lines, records, mapped, bad, first_errors
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "pattern/flat_observation.h"

namespace ctihub::telemetry {

enum class LogFormat {
  kAuto,         // from the content: Zeek TSV header, `_path`/`id.orig_h` (Zeek JSON),
                 // `event_type` (Suricata), a STIX bundle or observed-data
  kZeekJson,
  kZeekTsv,
  kSuricataEve,
  kStix,
  kMappedJson,   // needs ReaderOptions::mapping_file
};

// "zeek-json", "zeek-tsv", "suricata-eve", "stix", "json" (mapped), "auto".
Result<LogFormat> ParseLogFormat(std::string_view name);
// Reads a mapping file as a reader would, so a command can refuse a bad one before any work.
Status CheckMappingFile(const std::string& path);

struct ReaderOptions {
  LogFormat format = LogFormat::kAuto;
  std::string mapping_file;  // TOML; see docs/telemetry-mapping.md
  // Keep reading as the file grows (like `tail -F`), until `stop` becomes true.
  bool follow = false;
  const std::atomic<bool>* stop = nullptr;
  // Poll interval while following.
  int follow_poll_ms = 250;
};

struct TelemetryRecord {
  // The record's SCOs in the compact form the matcher reads (observation.Json() for Boost.JSON).
  // Its strings point into the reader's buffers: valid until the next Next() and while the
  // reader lives. Copy observation.Json() into default storage to keep it.
  pattern::FlatObservation observation;
  // "zeek:dns", "suricata:http", "stix:observed-data", "json:<name>"; valid as the observation is.
  std::string_view sensor;
  uint64_t line = 0;   // 1-based line (or, in a JSON array of events, the event's index)
};

struct ReaderCounters {
  uint64_t lines = 0;       // lines (or array elements) seen, headers and blanks included
  uint64_t records = 0;     // log records read (headers, comments and blank lines excluded)
  uint64_t mapped = 0;      // records that produced at least one SCO (returned by Next)
  uint64_t unmapped = 0;    // records read but with nothing a pattern could match
  uint64_t bad = 0;         // records that could not be read (malformed)
  std::vector<std::string> first_errors;  // "conn.log:17: …", at most kMaxErrorsKept
  // Mapped records per sensor kind ("zeek:dns", "suricata:http"); past 64 kinds seen (the kind
  // comes from the log) the rest are counted under "(other kinds)".
  std::map<std::string, uint64_t> mapped_by_sensor;
};

inline constexpr size_t kMaxErrorsKept = 10;

class TelemetryReader {
 public:
  // NotFound/Unavailable when the input cannot be opened; InvalidArgument for a bad mapping file
  // or when kAuto cannot tell the format from the first bytes.
  static Result<std::unique_ptr<TelemetryReader>> Open(const std::string& path,
                                                       const ReaderOptions& options);
  // Reads text already in memory (tests, fuzzing); `name` appears in error messages.
  static Result<std::unique_ptr<TelemetryReader>> FromText(std::string text, std::string name,
                                                           const ReaderOptions& options);
  virtual ~TelemetryReader() = default;

  // Fills `out` with the next record that maps to at least one SCO; false at the end (or when
  // `stop` is set while following). Errors only for I/O failures and corrupt compression.
  virtual Result<bool> Next(TelemetryRecord* out) = 0;

  LogFormat format() const { return format_; }
  const std::string& source() const { return source_; }
  const ReaderCounters& counters() const { return counters_; }

 protected:
  LogFormat format_ = LogFormat::kAuto;
  std::string source_;
  ReaderCounters counters_;
};

}  // namespace ctihub::telemetry
