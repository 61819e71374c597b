// ingest: turns outside formats into STIX 2.1 objects for the store — MISP events, CSV and plain
// IOC lists, STIX 2.0 content — and (telemetry readers come later). Each converter writes the
// objects it makes, one JSON text each, to an ObjectSink, and counts what it did in
// ConversionStats so `ctihub import` can print a summary. The module depends on common/ and
// stix/ only: no store, no network.
//
//   ConversionStats stats;
//   std::vector<std::string> objects;
//   CTI_RETURN_IF_ERROR(ConvertMispEvent(text, MispOptions{}, [&](std::string json) {
//     objects.push_back(std::move(json));
//     return Status::Ok();
//   }, &stats));
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace ctihub::ingest {

// Receives each converted object as compact JSON text. A non-OK Status stops the conversion and
// is returned by the converter.
using ObjectSink = std::function<Status(std::string object_json)>;

// Named counters ("misp.attributes.indicator", "upgrade.spec_version_added", …), printed in
// the import summary. std::map keeps the summary order stable.
struct ConversionStats {
  std::map<std::string, uint64_t> counters;
  // The first few things left out, each saying where and why ("line 3: 'a@@b': unrecognized"),
  // so a summary can show them and not only how many there were; more_notes counts the notes
  // past kMaxNotes, so a summary can say "… and N more".
  std::vector<std::string> notes;
  uint64_t more_notes = 0;
  static constexpr size_t kMaxNotes = 10;
  void Add(std::string_view name, uint64_t n = 1) { counters[std::string(name)] += n; }
  void Note(std::string note) {
    if (notes.size() < kMaxNotes) {
      notes.push_back(std::move(note));
    } else {
      ++more_notes;
    }
  }
  uint64_t Get(std::string_view name) const {
    auto it = counters.find(std::string(name));
    return it == counters.end() ? 0 : it->second;
  }
};

// What every converter needs to stamp the objects it creates.
struct ProvenanceOptions {
  // identity--… of the organisation on whose behalf objects are created; empty = none.
  std::string created_by_ref;
  // created/modified of new objects. Fixed in tests so output is reproducible; defaults to now.
  std::optional<Timestamp> now;
  // marking-definition ids put in object_marking_refs of every created object (e.g. TLP 2.0).
  std::vector<std::string> object_marking_refs;
};

}  // namespace ctihub::ingest
