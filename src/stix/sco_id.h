// stix/sco_id: deterministic identifiers of STIX 2.1 Cyber-observable Objects (SCOs).
//
// STIX 2.1 §2.9 names an SCO by a UUIDv5 in namespace 00abedb4-aa42-466c-9c01-fed23315a9b7 over
// the RFC 8785 canonical JSON of its "ID Contributing Properties" (listed per type in §6), so
// every producer that sees the same observable derives the same id. This file holds that table for
// the 18 SCO types and computes the id; stix/canonical_json provides the canonical text.
//
//   simdjson::dom::parser parser;
//   auto sco = parser.parse(R"({"type":"ipv4-addr","value":"198.51.100.3"})");
//   Result<std::optional<std::string>> id = ComputeScoId(sco.value());
//   // *id == "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"
//   // An empty optional means the spec asks for a random UUIDv4 (Uuid::RandomV4()).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace simdjson::dom {
class element;
}  // namespace simdjson::dom

namespace ctihub::stix {

// True for the 18 SCO types STIX 2.1 §6 defines (artifact … x509-certificate, process included).
bool IsStixScoType(std::string_view type);

// The ID Contributing Properties of an SCO type, in the order §6 lists them ("hashes", "name",
// "extensions", "parent_directory_ref" for file). nullptr for a type that is not a STIX 2.1 SCO
// and for process, which has none (§6.13: "please use a UUIDv4"). Points to static storage.
const std::vector<std::string_view>* IdContributingProperties(std::string_view sco_type);

// The UUIDv5 "name" of §2.9: the RFC 8785 text of a JSON object holding those ID Contributing
// Properties that are present on `sco`, with their values as given. A `hashes` dictionary is cut
// to one entry (§6.1, §6.7, §6.18): the first of MD5, SHA-1, SHA-256, SHA-512 present; if none is,
// the first entry in input order, as the OASIS reference implementation (python-stix2) does,
// since the spec leaves that case open.
// Returns an empty optional when none of the properties is present or the type has none
// (process): §2.9 then requires a random UUIDv4 id.
// InvalidArgument (location is a JSON pointer) when `sco` is not an object, has no string `type`,
// its type is not a STIX 2.1 SCO type (custom SCOs define their own properties), a contributing
// property is null, or `hashes` is not a non-empty object. Thread-safe.
Result<std::optional<std::string>> IdContributingJson(simdjson::dom::element sco);

// The deterministic id "<type>--<UUIDv5>" of `sco` (§2.9), lower-case. Whatever `id` the object
// carries is ignored, so callers compare the result with it to check a producer's id. Empty
// optional and errors exactly as IdContributingJson. Thread-safe.
Result<std::optional<std::string>> ComputeScoId(simdjson::dom::element sco);

}  // namespace ctihub::stix
