#include "stix/object.h"

#include <simdjson.h>

namespace ctihub::stix {
namespace {

std::string GetString(simdjson::dom::object obj, std::string_view key) {
  std::string_view v;
  if (obj[key].get_string().get(v) == simdjson::SUCCESS) return std::string(v);
  return {};
}

std::vector<std::string> GetStringList(simdjson::dom::object obj, std::string_view key) {
  std::vector<std::string> out;
  simdjson::dom::array arr;
  if (obj[key].get_array().get(arr) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element e : arr) {
    std::string_view s;
    if (e.get_string().get(s) == simdjson::SUCCESS) out.emplace_back(s);
  }
  return out;
}

std::optional<Timestamp> GetTimestamp(simdjson::dom::object obj, std::string_view key) {
  std::string_view v;
  if (obj[key].get_string().get(v) != simdjson::SUCCESS) return std::nullopt;
  Result<Timestamp> ts = Timestamp::Parse(v);
  if (!ts.ok()) return std::nullopt;
  return *ts;
}

}  // namespace

int64_t ObjectVersion::version_micros() const {
  if (modified) return modified->micros();
  if (created) return created->micros();
  return 0;
}

Result<ObjectVersion> ExtractObjectVersion(simdjson::dom::parser& parser, std::string text) {
  if (text.capacity() < text.size() + simdjson::SIMDJSON_PADDING) {
    text.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  }
  simdjson::dom::element root;
  if (auto err = parser.parse(text).get(root); err != simdjson::SUCCESS) {
    return InvalidArgument(std::string("not valid JSON: ") + simdjson::error_message(err));
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) {
    return InvalidArgument("a STIX object must be a JSON object");
  }
  ObjectVersion v;
  v.type = GetString(obj, "type");
  v.id = GetString(obj, "id");
  if (v.type.empty() || v.id.empty()) {
    return InvalidArgument("a STIX object needs string 'type' and 'id' properties");
  }
  v.category = CategoryOf(v.type);
  v.spec_version = GetString(obj, "spec_version");
  v.created = GetTimestamp(obj, "created");
  v.modified = GetTimestamp(obj, "modified");
  v.modified_text = GetString(obj, "modified");
  bool revoked = false;
  if (obj["revoked"].get_bool().get(revoked) == simdjson::SUCCESS) v.revoked = revoked;
  v.created_by_ref = GetString(obj, "created_by_ref");
  v.object_marking_refs = GetStringList(obj, "object_marking_refs");
  int64_t confidence = 0;
  if (obj["confidence"].get_int64().get(confidence) == simdjson::SUCCESS) {
    v.confidence = static_cast<int>(confidence);
  }
  simdjson::dom::array gms;
  if (obj["granular_markings"].get_array().get(gms) == simdjson::SUCCESS) {
    for (simdjson::dom::element gm : gms) {
      simdjson::dom::object g;
      if (gm.get_object().get(g) != simdjson::SUCCESS) continue;
      GranularMarking m;
      m.selectors = GetStringList(g, "selectors");
      m.marking_ref = GetString(g, "marking_ref");
      m.lang = GetString(g, "lang");
      v.granular_markings.push_back(std::move(m));
    }
  }
  v.text = std::move(text);
  return v;
}

bool IsNewerVersion(const ObjectVersion& candidate, const ObjectVersion& current) {
  if (candidate.id != current.id) return false;
  if (!candidate.versioned() || !current.versioned()) return false;
  return candidate.modified->micros() > current.modified->micros();
}

bool IsSameVersion(const ObjectVersion& a, const ObjectVersion& b) {
  if (a.id != b.id) return false;
  if (a.versioned() != b.versioned()) return false;
  return !a.versioned() || a.modified->micros() == b.modified->micros();
}

}  // namespace ctihub::stix
