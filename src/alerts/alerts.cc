#include "alerts/alerts.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "common/uuid.h"
#include "stix/canonical_json.h"

namespace ctihub::alerts {
namespace {

// The namespace of ctihub's sighting ids (a fixed random UUID; changing it changes every id).
const Uuid& SightingNamespace() {
  static const Uuid ns = *Uuid::Parse("5b2f0f7e-8a7c-4d1e-9c55-0c7a3b1f2e64");
  return ns;
}

// STIX 2.1 §2.9 asks for version-4 ids on SROs, but a re-run must reproduce the same id: take
// the SHA-1 name-based bytes (UUIDv5) and mark them version 4 — unpredictable to anyone without
// the name, stable for us, and free of validator warnings at partners.
Uuid StableV4(std::string_view name) {
  std::array<uint8_t, 16> bytes = Uuid::V5(SightingNamespace(), name).bytes();
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0F) | 0x40);
  return Uuid(bytes);
}

// STIX 2.1 §5.7: count is at most 999,999,999.
constexpr uint64_t kMaxSightingCount = 999'999'999;

}  // namespace

std::string AlertJson(const Alert& alert) {
  stix::JsonWriter w;
  w.BeginObject();
  w.Key("indicator").BeginObject().Key("id").String(alert.indicator_id);
  if (!alert.indicator_name.empty()) w.Key("name").String(alert.indicator_name);
  w.EndObject();
  w.Key("matched").BeginArray();
  for (const MatchedValue& v : alert.values) {
    w.BeginObject().Key("path").String(v.path).Key("value").String(v.value).EndObject();
  }
  w.EndArray();
  w.Key("time").String(alert.time.ToString());
  w.Key("source").String(alert.source);
  w.Key("line").Uint(alert.line);
  w.Key("sensor").String(alert.sensor);
  w.EndObject();
  return std::move(w).Take();
}

void SightingAggregator::Add(const Alert& alert) {
  int64_t micros = alert.time.micros();
  int64_t start = micros - (((micros % options_.window_micros) + options_.window_micros) %
                            options_.window_micros);
  Window& w = windows_[Key{alert.indicator_id, alert.sensor, start}];
  if (w.count == 0) {
    w.indicator_name = alert.indicator_name;
    w.markings = alert.markings;
    w.first_seen = w.last_seen = alert.time;
  }
  w.first_seen = std::min(w.first_seen, alert.time);
  w.last_seen = std::max(w.last_seen, alert.time);
  ++w.count;
}

std::string SightingAggregator::SightingJson(const Key& key, const Window& window) const {
  const auto& [indicator, sensor, start] = key;
  std::string name = options_.id_key + "|" + indicator + "|" + std::to_string(start) + "|" +
                     std::to_string(options_.window_micros) + "|" + sensor + "|" +
                     options_.sighted_by;
  // Millisecond timestamps: created/modified must be comparable with what the store keeps.
  std::string first = window.first_seen.ToMillisString();
  std::string last = window.last_seen.ToMillisString();
  stix::JsonWriter w;
  w.BeginObject();
  w.Key("type").String("sighting");
  w.Key("spec_version").String("2.1");
  w.Key("id").String("sighting--" + StableV4(name).ToString());
  w.Key("created").String(first);
  w.Key("modified").String(last);
  if (!options_.sighted_by.empty()) w.Key("created_by_ref").String(options_.sighted_by);
  if (!window.markings.empty()) {
    w.Key("object_marking_refs").BeginArray();
    for (const std::string& m : window.markings) w.String(m);
    w.EndArray();
  }
  w.Key("first_seen").String(first);
  w.Key("last_seen").String(last);
  w.Key("count").Uint(std::min(window.count, kMaxSightingCount));
  w.Key("sighting_of_ref").String(indicator);
  if (!options_.sighted_by.empty()) {
    w.Key("where_sighted_refs").BeginArray().String(options_.sighted_by).EndArray();
  }
  // The indicator by its id only: its name can hold more than the Sighting's reader needs.
  w.Key("description")
      .String(std::to_string(window.count) + " records from " + sensor + " matched " + indicator +
              " (ctihub match)");
  w.EndObject();
  return std::move(w).Take();
}

std::vector<std::string> SightingAggregator::TakeClosed(Timestamp now) {
  std::vector<std::string> out;
  for (auto it = windows_.begin(); it != windows_.end();) {
    int64_t end = std::get<2>(it->first) + options_.window_micros;
    if (end + options_.window_micros <= now.micros()) {
      out.push_back(SightingJson(it->first, it->second));
      it = windows_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::vector<std::string> SightingAggregator::TakeAll() {
  std::vector<std::string> out;
  for (const auto& [key, window] : windows_) out.push_back(SightingJson(key, window));
  windows_.clear();
  return out;
}

}  // namespace ctihub::alerts
