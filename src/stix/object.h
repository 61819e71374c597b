// stix/object: one STIX object version as the hub keeps it — its exact input text plus the fields
// that the store, TAXII filters and the release policy need, extracted once at ingest — and the
// STIX 2.1 versioning rules (§3.6: a version is (id, modified); SCOs are unversioned).
//
// This module owns the STIX 2.1 object model: parsing (json_reader.h), validation (validator.h),
// canonical serialization (canonical_json.h), deterministic SCO ids (sco_id.h). It depends on
// common/ and simdjson only.
//
//   simdjson::dom::parser parser;
//   CTI_ASSIGN_OR_RETURN(ObjectVersion v, ExtractObjectVersion(parser, raw.text));
//   if (IsNewerVersion(v, stored)) Store(v);
//   v.text;            // exactly the bytes that came in
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "stix/type_specs.h"

namespace simdjson::dom {
class parser;
}

namespace ctihub::stix {

struct GranularMarking {
  std::vector<std::string> selectors;
  std::string marking_ref;  // empty when only `lang` is given
  std::string lang;
};

struct ObjectVersion {
  std::string text;  // exact input JSON text of this version
  std::string id;
  std::string type;
  std::string spec_version;  // "2.1"; empty for an SCO that omits it
  ObjectCategory category = ObjectCategory::kCustom;
  std::optional<Timestamp> created;
  std::optional<Timestamp> modified;
  std::string modified_text;  // as written, for exact version identity
  bool revoked = false;
  std::string created_by_ref;
  std::vector<std::string> object_marking_refs;
  std::vector<GranularMarking> granular_markings;
  std::optional<int> confidence;

  // SCOs (and objects without `modified`) have a single version (§3.6).
  bool versioned() const { return modified.has_value(); }
  // The timestamp that orders versions: `modified`, else `created`, else none (0).
  int64_t version_micros() const;
};

// Extracts the fields above from one object's JSON text (which must be a JSON object with string
// `type` and `id`). InvalidArgument when it is not; no other validation is done here — run the
// Validator first for that. Not thread-safe per parser.
Result<ObjectVersion> ExtractObjectVersion(simdjson::dom::parser& parser, std::string text);

// Versioning (§3.6): true when `candidate` is a later version of the same object than `current`.
// Versions of different ids are never comparable (returns false).
bool IsNewerVersion(const ObjectVersion& candidate, const ObjectVersion& current);
// True when both name the same version: same id and the same `modified` (or both unversioned).
bool IsSameVersion(const ObjectVersion& a, const ObjectVersion& b);

}  // namespace ctihub::stix
