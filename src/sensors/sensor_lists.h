// sensors: exports of indicators for sensors that match exact values — Zeek's Intel framework
// (one TSV file) and Suricata (dataset and hash-list files plus a rules file that loads them).
// It owns the per-format choices (which value kinds each sensor can see, how values are written)
// and the honest report of what could not be exported and why. Core module: depends on `pattern`.
//
//   SensorLists lists;
//   Status s = lists.Add(id, name, pattern_text);   // not OK: the indicator is skipped, s says why
//   lists.WriteZeekIntel(std::cout);
//   for (const auto& [name, content] : lists.SuricataFiles()) …  // write each into a directory
//   for (auto& [reason, n] : lists.report().skipped_by_reason) ...
#pragma once

#include <cstddef>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "pattern/sensor_values.h"

namespace ctihub::sensors {

enum class SensorFormat { kZeekIntel, kSuricata };

struct ExportReport {
  size_t indicators_seen = 0;
  size_t indicators_exported = 0;   // at least one value written
  size_t values_written = 0;
  // "FOLLOWEDBY", "AND inside brackets", "url: Suricata datasets cannot match a whole URL", …
  std::map<std::string, size_t> skipped_by_reason;
  // The first few skipped indicators (id, reason), for the summary.
  std::vector<std::pair<std::string, std::string>> first_skipped;
  // Indicators exported in part: some of their OR-ed values could not go (a sensor then misses
  // what only those would match). Counted, and the first few (id, reason) kept.
  size_t indicators_partial = 0;
  std::vector<std::pair<std::string, std::string>> first_partial;
};

class SensorLists {
 public:
  explicit SensorLists(SensorFormat format) : format_(format) {}

  // Adds one STIX indicator. Returns OK when at least one of its values can be exported in this
  // format; otherwise FailedPrecondition saying why, and the report counts it.
  Status Add(std::string_view id, std::string_view name, std::string_view pattern_text);

  // Zeek Intel framework input: `#fields indicator indicator_type meta.source meta.desc
  // meta.url`, one line per value (meta.desc names the indicator and its id).
  void WriteZeekIntel(std::ostream& out) const;

  // Suricata: the files of one directory — ctihub-ip.lst (dataset type ip), ctihub-domains.lst
  // and ctihub-filenames.lst (dataset type string, base64 lines), ctihub-md5.txt / -sha1.txt /
  // -sha256.txt (filemd5/filesha1/filesha256 lists), each only when it has lines, and last
  // ctihub.rules with one rule per buffer that can see them — as (file name, content), in the
  // order to write them: the lists before the rules that load them.
  struct File {
    std::string name;
    std::string content;
  };
  std::vector<File> SuricataFiles() const;

  const ExportReport& report() const { return report_; }

 private:
  struct Entry {
    pattern::SensorValue value;
    std::string description;  // "name (indicator--…)"
  };
  void Skip(std::string_view id, std::string reason);

  SensorFormat format_;
  std::vector<Entry> entries_;
  ExportReport report_;
};

}  // namespace ctihub::sensors
