// alerts: what `ctihub match` emits — one JSON line per matching record and indicator, and STIX
// 2.1 Sightings that aggregate those matches per indicator, sensor and time window for sharing
// back. Core module: depends on `common` and `stix` (JSON writing), never on the store.
//
//   SightingAggregator sightings({.window_micros = 3'600'000'000, .sighted_by = node_identity});
//   for (const Alert& a : alerts) { out << AlertJson(a) << '\n'; sightings.Add(a); }
//   for (const std::string& sighting : sightings.TakeAll()) store(sighting);
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "common/time.h"

namespace ctihub::alerts {

struct MatchedValue {
  std::string path;   // "ipv4-addr:value", "network-traffic:dst_ref.value"
  std::string value;  // as observed
};

struct Alert {
  std::string indicator_id;
  std::string indicator_name;
  std::vector<MatchedValue> values;
  Timestamp time;      // the record's time (the last observation of a multi-record match)
  std::string source;  // file name, "-" for standard input
  uint64_t line = 0;   // 1-based
  std::string sensor;  // "zeek:dns", "suricata:http", "stix:observed-data"
  // The indicator's marking refs: a Sighting of it carries them (it names the indicator, and
  // tells that it matched here).
  std::vector<std::string> markings;
};

// {"indicator":{"id":…,"name":…},"matched":[{"path":…,"value":…}],"time":…,"source":…,"line":…,
//  "sensor":…} — one line, no trailing newline.
std::string AlertJson(const Alert& alert);

struct SightingOptions {
  // Matches of one indicator by one sensor within one window become one Sighting.
  int64_t window_micros = int64_t{3600} * 1000000;
  // The identity that saw it (where_sighted_refs) and authors it (created_by_ref); optional.
  std::string sighted_by;
  // A secret of the node that goes into every Sighting id: without it, an id would be a hash of
  // things a partner knows or can list (indicator, window, sensor, the identity that sighted
  // it) and so could be tested against candidate victims.
  std::string id_key;
};

// Aggregates alerts into Sightings. A Sighting's id is derived (SHA-1, marked version 4) from
// (id_key, indicator, window start and length, sensor, sighted_by), `created` its first_seen and
// `modified` its last_seen, and it carries its indicator's markings, so the same logs give
// byte-identical Sightings (a re-import is a no-op) and later matches in the same window give a
// newer version of the same Sighting (`ctihub match` merges it with the stored one).
class SightingAggregator {
 public:
  explicit SightingAggregator(SightingOptions options) : options_(std::move(options)) {}

  void Add(const Alert& alert);
  // Sightings whose window ended before `now` minus one window (for endless streams: memory
  // stays bounded by the windows still open), then forgets them.
  std::vector<std::string> TakeClosed(Timestamp now);
  // Every Sighting still held, then forgets them.
  std::vector<std::string> TakeAll();
  size_t open_windows() const { return windows_.size(); }

 private:
  struct Window {
    std::string indicator_name;
    std::vector<std::string> markings;
    Timestamp first_seen, last_seen;
    uint64_t count = 0;
  };
  // (indicator id, sensor, window start)
  using Key = std::tuple<std::string, std::string, int64_t>;
  std::string SightingJson(const Key& key, const Window& window) const;

  SightingOptions options_;
  std::map<Key, Window> windows_;
};

}  // namespace ctihub::alerts
