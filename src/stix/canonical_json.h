// stix/canonical_json: byte-exact JSON output — RFC 8785 canonical form for hashing and identity,
// and a compact writer for the objects the hub creates.
//
// `CanonicalJson` turns a parsed simdjson value into its JSON Canonicalization Scheme (JCS, RFC
// 8785) text: members sorted by the UTF-16 code units of their names, no whitespace, ECMAScript
// string escaping and number formatting. Deterministic SCO ids (stix/sco_id) hash this text.
// `JsonWriter` builds compact JSON for hub-created objects; written with a fixed property order and
// ASCII names in code-unit order, its output is already canonical. Depends on simdjson only.
//
//   simdjson::dom::parser parser;
//   std::string canonical = CanonicalJson(parser.parse(R"({"b":1,"a":[2.50,"x"]})"));
//   // canonical == R"({"a":[2.5,"x"],"b":1})"
//   JsonWriter w;
//   w.BeginObject().Key("type").String("note").Key("n").Int(3).EndObject();
//   std::string text = std::move(w).Take();   // {"type":"note","n":3}
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace simdjson::dom {
class element;
}  // namespace simdjson::dom

namespace ctihub::stix {

// The RFC 8785 canonical text of `value` (any JSON value, not only objects). Numbers are treated as
// IEEE-754 doubles as JCS requires: an integer beyond 2^53 is printed as the double nearest to it
// (9007199254740993 -> 9007199254740992), exactly as JSON.stringify would. Strings must be valid
// UTF-8, which simdjson guarantees for anything it parsed. Never fails; thread-safe (reads only).
std::string CanonicalJson(simdjson::dom::element value);
// As CanonicalJson, appending to *out instead of allocating a new string.
void AppendCanonicalJson(simdjson::dom::element value, std::string* out);

// Compact JSON writer. The caller produces a well-formed sequence (every Key inside an object and
// followed by exactly one value, Begin/End balanced); the writer inserts commas and colons and
// escapes strings the way JCS does, so output is byte-stable. Strings and keys must be valid UTF-8
// (not checked: the hub writes its own data). Not thread-safe; one writer per output.
class JsonWriter {
 public:
  JsonWriter() = default;
  explicit JsonWriter(size_t reserve) { out_.reserve(reserve); }

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // An object member name; the next call writes its value.
  JsonWriter& Key(std::string_view name);
  JsonWriter& String(std::string_view value);
  // Integers beyond ±2^53 (outside STIX's integer range, and not exact for JavaScript consumers)
  // are written in the double form CanonicalJson gives them, so the output stays canonical.
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  // ECMAScript Number.prototype.toString form (4.5, 1e+21, 1e-7). Precondition: finite — JSON has
  // no NaN or Infinity; a non-finite value asserts in debug builds and is written as null.
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Inserts a complete, already-serialized JSON value verbatim (e.g. a canonical sub-object).
  JsonWriter& Raw(std::string_view json);

  const std::string& str() const { return out_; }
  std::string Take() && { return std::move(out_); }
  void Clear() {
    out_.clear();
    need_comma_ = false;
  }

 private:
  void BeforeValue() {
    if (need_comma_) out_.push_back(',');
  }

  std::string out_;
  // True after a complete value: the next key or array element needs a separating comma.
  bool need_comma_ = false;
};

}  // namespace ctihub::stix
