#include "stix/validator.h"

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <simdjson.h>
#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "common/normalise.h"
#include "common/time.h"
#include "common/uuid.h"
#include "pattern/parser.h"
#include "stix/markings.h"
#include "stix/sco_id.h"
#include "stix/type_specs.h"
#include "stix/vocab.h"

namespace ctihub::stix {

std::string_view SeverityName(Severity severity) {
  return severity == Severity::kError ? "error" : "warning";
}

namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// RFC 6901 escaping of one reference token, appended as "/token".
void AppendPointerToken(std::string* out, std::string_view key) {
  out->push_back('/');
  bool plain = true;
  for (char c : key) plain &= (c != '~') & (c != '/');
  if (plain) {
    out->append(key);
    return;
  }
  for (char c : key) {
    if (c == '~') {
      out->append("~0");
    } else if (c == '/') {
      out->append("~1");
    } else {
      out->push_back(c);
    }
  }
}

std::string PointerToken(std::string_view key) {
  std::string out;
  AppendPointerToken(&out, key);
  return out;
}

std::string Quote(std::string_view s) {
  constexpr size_t kMax = 80;
  std::string out = "'";
  if (s.size() <= kMax) {
    out.append(s);
  } else {
    size_t cut = kMax;  // back off to a UTF-8 character boundary
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    out.append(s.substr(0, cut));
    out += "…";
  }
  out += "'";
  return out;
}

std::string_view KindName(element_type t) {
  switch (t) {
    case element_type::ARRAY: return "a list";
    case element_type::OBJECT: return "an object";
    case element_type::INT64:
    case element_type::UINT64: return "an integer";
    case element_type::DOUBLE: return "a number";
    case element_type::STRING: return "a string";
    case element_type::BOOL: return "a boolean";
    case element_type::NULL_VALUE: return "null";
  }
  return "a value";
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }

// The shape of an RFC 5646 tag (language-content keys): a 2-8 letter primary subtag, or "x"
// (private use) or "i" (grandfathered), then subtags of 1-8 letters or digits, hyphen-separated
// ("de", "zh-Hant-TW", "x-klingon", "i-klingon").
bool LooksLikeLanguageTag(std::string_view tag) {
  const bool singleton = tag.size() > 2 && tag[1] == '-' &&
                         (tag[0] == 'x' || tag[0] == 'X' || tag[0] == 'i' || tag[0] == 'I');
  size_t start = singleton ? 2 : 0;
  for (size_t part = singleton ? 1 : 0; start <= tag.size(); ++part) {
    size_t end = std::min(tag.find('-', start), tag.size());
    std::string_view sub = tag.substr(start, end - start);
    if (sub.empty() || sub.size() > 8 || !std::all_of(sub.begin(), sub.end(), IsAlnum)) {
      return false;
    }
    if (part == 0 && (sub.size() < 2 || !std::all_of(sub.begin(), sub.end(), [](char c) {
                        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
                      }))) {
      return false;
    }
    start = end + 1;
  }
  return true;
}
bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// §3.1 type names: 3–250 characters of a–z, 0–9 and '-', starting with a letter, no "--".
bool ValidTypeName(std::string_view t) {
  if (t.size() < 3 || t.size() > 250) return false;
  if (!(t[0] >= 'a' && t[0] <= 'z')) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (IsLowerAlnum(c)) continue;
    if (c == '-' && i > 0 && t[i - 1] != '-') continue;
    return false;
  }
  return true;
}

// §3.1 property names: 3–250 characters of a–z, 0–9 and '_', starting with a letter ('id' is
// the one shorter name STIX itself defines).
bool ValidPropertyName(std::string_view p) {
  if (p == "id") return true;
  if (p.size() < 3 || p.size() > 250) return false;
  if (!(p[0] >= 'a' && p[0] <= 'z')) return false;
  for (char c : p) {
    if (!IsLowerAlnum(c) && c != '_') return false;
  }
  return true;
}

// §3.3 dictionary keys: 1–250 ASCII letters, digits, '_' or '-'.
bool LooksLikeIdentifier(std::string_view s) {
  size_t sep = s.find("--");
  if (sep == std::string_view::npos || !ValidTypeName(s.substr(0, sep))) return false;
  Result<Uuid> uuid = Uuid::Parse(s.substr(sep + 2));
  return uuid.ok() && uuid->IsRfc4122Variant();
}

bool ValidDictionaryKey(std::string_view k) {
  if (k.empty() || k.size() > 250) return false;
  for (char c : k) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool ValidBase64(std::string_view s) {
  if (s.size() % 4 != 0) return false;
  size_t pad = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '+' || c == '/';
    if (c == '=') {
      if (i + 2 < s.size()) return false;
      ++pad;
    } else if (!alpha || pad > 0) {
      return false;
    }
  }
  return pad <= 2;
}

bool ValidHex(std::string_view s) {
  if (s.size() % 2 != 0) return false;
  return std::all_of(s.begin(), s.end(), IsHex);
}

bool ValidIpv4(std::string_view s, bool allow_cidr) {
  size_t slash = s.find('/');
  std::string_view addr = s.substr(0, slash);
  if (slash != std::string_view::npos) {
    if (!allow_cidr) return false;
    std::string_view prefix = s.substr(slash + 1);
    if (prefix.empty() || prefix.size() > 2) return false;
    int p = 0;
    for (char c : prefix) {
      if (c < '0' || c > '9') return false;
      p = p * 10 + (c - '0');
    }
    if (p > 32) return false;
  }
  int parts = 0;
  size_t i = 0;
  while (i <= addr.size()) {
    size_t dot = addr.find('.', i);
    std::string_view part = addr.substr(i, dot == std::string_view::npos ? std::string_view::npos : dot - i);
    if (part.empty() || part.size() > 3) return false;
    if (part.size() > 1 && part[0] == '0') return false;
    int v = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    if (v > 255) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    i = dot + 1;
  }
  return parts == 4;
}

bool ValidIpv6(std::string_view s) {
  size_t slash = s.find('/');
  std::string_view addr = s.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view prefix = s.substr(slash + 1);
    if (prefix.empty() || prefix.size() > 3) return false;
    int p = 0;
    for (char c : prefix) {
      if (c < '0' || c > '9') return false;
      p = p * 10 + (c - '0');
    }
    if (p > 128) return false;
  }
  if (addr.empty()) return false;
  // Groups of 1-4 hex digits separated by ':', at most one "::", optional trailing IPv4.
  int groups = 0;
  bool double_colon = false;
  size_t i = 0;
  if (addr.substr(0, 2) == "::") {
    double_colon = true;
    i = 2;
    if (addr.size() == 2) return true;
  } else if (addr[0] == ':') {
    return false;
  }
  while (i < addr.size()) {
    size_t colon = addr.find(':', i);
    std::string_view group = addr.substr(i, colon == std::string_view::npos ? std::string_view::npos : colon - i);
    if (group.find('.') != std::string_view::npos) {
      if (colon != std::string_view::npos || !ValidIpv4(group, false)) return false;
      groups += 2;
      break;
    }
    if (group.empty() || group.size() > 4 || !std::all_of(group.begin(), group.end(), IsHex)) {
      return false;
    }
    ++groups;
    if (colon == std::string_view::npos) break;
    i = colon + 1;
    if (i < addr.size() && addr[i] == ':') {
      if (double_colon) return false;
      double_colon = true;
      ++i;
      if (i == addr.size()) break;
    } else if (i == addr.size()) {
      return false;  // trailing single ':'
    }
  }
  return double_colon ? groups < 8 : groups == 8;
}

bool ValidMac(std::string_view s) {
  if (s.size() != 17) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i % 3 == 2) {
      if (s[i] != ':') return false;
    } else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
      return false;
    }
  }
  return true;
}

// RFC 3986 §3.1: scheme ":" then something; the reference validator's regex is stricter about
// hosts, but a URL without a scheme is what actually breaks consumers.
bool ValidUrl(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= s.size()) return false;
  if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return false;
  for (size_t i = 1; i < colon; ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '-' || c == '.';
    if (!ok) return false;
  }
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= 0x20) return false;  // spaces and controls
  }
  return true;
}

struct HashRule {
  std::string_view name;
  size_t hex_length;
};
constexpr HashRule kHashRules[] = {
    {"MD5", 32},      {"SHA-1", 40},      {"SHA-256", 64}, {"SHA-512", 128},
    {"SHA3-256", 64}, {"SHA3-512", 128},
};

// Hash algorithm names written in other common spellings ("sha256", "SHA256"); §10.5 says to use
// the vocabulary spelling, and a differently spelled name hides a hash from deterministic ids.
std::string_view CanonicalHashName(std::string_view key) {
  std::string norm;
  for (char c : key) {
    if (c != '-' && c != '_') norm += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (norm == "MD5") return "MD5";
  if (norm == "SHA1") return "SHA-1";
  if (norm == "SHA256") return "SHA-256";
  if (norm == "SHA512") return "SHA-512";
  if (norm == "SHA3256") return "SHA3-256";
  if (norm == "SHA3512") return "SHA3-512";
  if (norm == "SSDEEP") return "SSDEEP";
  if (norm == "TLSH") return "TLSH";
  return {};
}

// The properties of one object, looked up by name many times per object. A linear scan over
// (length, first 8 bytes) beats hashing for the dozen properties a STIX object has; the first
// occurrence of a duplicated key wins, as with simdjson's at_key.
class FieldIndex {
 public:
  struct Entry {
    uint64_t head;  // length and bytes 0-6
    uint64_t tail;  // bytes 7-14
    std::string_view key;
    element value;
    // Parsed timestamp, filled on first use (several rules read created/modified/valid_from).
    mutable int8_t ts_state = 0;  // 0 not parsed, 1 valid, 2 invalid
    mutable int8_t ts_digits = 0;
    mutable int64_t ts_micros = 0;
  };

  void clear() {
    entries_.clear();
    overflow_.clear();
    seen_ = 0;
  }
  // Returns false when `key` was already added (a duplicate member name); the first one wins.
  bool Add(std::string_view key, element value) {
    Entry e{Head(key), Tail(key), key, value};
    if (entries_.size() < kLinearLimit) {
      // A 64-bit filter of the heads seen so far: the pairwise compare runs only on a hit.
      uint64_t bit = uint64_t{1} << ((e.head * 0x9E3779B97F4A7C15ull) >> 58);
      if (seen_ & bit) {
        for (const Entry& other : entries_) {
          if (Same(other, e.head, e.tail, key)) return false;
        }
      }
      seen_ |= bit;
    } else {
      if (overflow_.empty()) {
        for (const Entry& other : entries_) overflow_.insert(other.key);
      }
      if (!overflow_.insert(key).second) return false;
    }
    entries_.push_back(e);
    return true;
  }
  const std::vector<Entry>& entries() const { return entries_; }
  const Entry* Find(std::string_view key) const {
    const uint64_t head = Head(key), tail = Tail(key);
    for (const Entry& e : entries_) {
      if (Same(e, head, tail, key)) return &e;
    }
    return nullptr;
  }

 private:
  static constexpr size_t kLinearLimit = 32;
  // Up to 7 bytes from `from`, shifted up one byte (the low byte carries the length in Head).
  static uint64_t Pack(std::string_view key, size_t from) {
    if (key.size() >= from + 8) {
      uint64_t word;
      std::memcpy(&word, key.data() + from, 8);  // one unaligned load (little-endian x86-64)
      return word << 8;
    }
    uint64_t p = 0;
    size_t end = std::min(key.size(), from + 7);
    for (size_t i = from; i < end; ++i) {
      p |= static_cast<uint64_t>(static_cast<unsigned char>(key[i])) << (8 * (i - from + 1));
    }
    return p;
  }
  static uint64_t Head(std::string_view key) { return Pack(key, 0) | (key.size() & 0xFF); }
  static uint64_t Tail(std::string_view key) { return Pack(key, 7); }
  // Most STIX property names are under 15 bytes, so the two words decide without memcmp.
  static bool Same(const Entry& e, uint64_t head, uint64_t tail, std::string_view key) {
    if (e.head != head || e.tail != tail || e.key.size() != key.size()) return false;
    return key.size() <= 14 || std::memcmp(e.key.data() + 14, key.data() + 14, key.size() - 14) == 0;
  }
  std::vector<Entry> entries_;
  uint64_t seen_ = 0;
  absl::flat_hash_set<std::string_view> overflow_;  // duplicate detection for huge objects
};

constexpr std::string_view kReservedProperties[] = {"severity", "action", "username",
                                                    "phone_numbers"};

}  // namespace

// ---------------------------------------------------------------------------------------------
// One object's validation. Kept as a class so each check can report with the object's context.
class ObjectCheck {
 public:
  // `fields` is scratch storage reused across objects (cleared here), so indexing the root
  // object's properties allocates nothing in steady state.
  ObjectCheck(const RawObject& raw, const FindingSink& sink, const ValidatorOptions& options,
              FieldIndex* fields)
      : raw_(raw), sink_(sink), options_(options), root_fields_(*fields) {
    root_fields_.clear();
  }

  void Run(element root);
  void ReportJsonError(simdjson::error_code err);
  size_t errors() const { return errors_; }
  // Fills `v` (all but text) from the parsed object, reusing the field index and the parsed
  // timestamps; call after Run() on a valid object.
  void ExtractVersion(ObjectVersion* v) const;
  // Findings beyond max_findings_per_object are counted here instead of being reported.
  size_t suppressed_errors() const { return suppressed_errors_; }
  size_t suppressed_warnings() const { return suppressed_warnings_; }
  std::string_view id() const { return id_; }
  std::string_view modified() const { return modified_; }
  std::string_view spec_version() const { return spec_version_; }
  bool has_spec_version() const { return has_spec_version_; }
  std::string_view type() const { return type_; }

  void Error(const std::string& pointer, std::string_view rule, std::string message) {
    Report(Severity::kError, pointer, rule, std::move(message));
  }
  void Warn(const std::string& pointer, std::string_view rule, std::string message) {
    Report(options_.strict ? Severity::kError : Severity::kWarning, pointer, rule,
           std::move(message));
  }

 private:
  void Report(Severity severity, const std::string& pointer, std::string_view rule,
              std::string message);

  void CheckDuplicateKeys(element e, int depth, bool check_self);
  void CheckCommon();
  void CheckProperties(object obj, const TypeSpec* spec, std::span<const PropertySpec> common,
                       const std::string& base, bool is_extension);
  void CheckValue(element value, const PropertySpec& spec, const std::string& pointer);
  void CheckString(element value, const std::string& pointer, std::string_view* out);
  void CheckTimestamp(element value, const std::string& pointer, std::string_view name);
  void CheckIdentifier(element value, std::string_view allowed, const std::string& pointer);
  void CheckVocab(std::string_view value, std::string_view vocab, const std::string& pointer);
  void CheckHashes(element value, const std::string& pointer);
  void CheckDictionary(element value, const std::string& pointer);
  void CheckExternalReferences(element value, const std::string& pointer);
  void CheckKillChainPhases(element value, const std::string& pointer);
  void CheckGranularMarkings(element root, element value, const std::string& pointer);
  void CheckExtensions(element value, const std::string& pointer);
  void CheckCustomProperty(std::string_view key, element value, const std::string& pointer);
  void CheckTypeRules();
  void CheckMarkingDefinition();
  void CheckScoId(element root);
  void CheckOrder(std::string_view earlier, std::string_view later, bool strictly);
  bool Has(object obj, std::string_view key) {
    element e;
    return obj[key].get(e) == simdjson::SUCCESS;
  }
  std::string_view GetString(object obj, std::string_view key) {
    std::string_view s;
    if (obj[key].get_string().get(s) != simdjson::SUCCESS) return {};
    return s;
  }
  std::string Ptr(std::string_view key) const { return raw_.pointer + PointerToken(key); }
  // The root object's properties, indexed once per object: the rules ask for them dozens of
  // times, and simdjson's at_key is a linear scan.
  simdjson::simdjson_result<element> Field(std::string_view key) const {
    const FieldIndex::Entry* e = root_fields_.Find(key);
    if (!e) return simdjson::simdjson_result<element>(simdjson::NO_SUCH_FIELD);
    element copy = e->value;
    return simdjson::simdjson_result<element>(std::move(copy));
  }
  bool HasField(std::string_view key) const { return root_fields_.Find(key) != nullptr; }
  // Parses a root property's timestamp once; later rules reuse it.
  static void EnsureTimestamp(const FieldIndex::Entry& e) {
    if (e.ts_state != 0) return;
    std::string_view text;
    int digits = 0;
    if (e.value.get_string().get(text) == simdjson::SUCCESS) {
      Result<Timestamp> t = Timestamp::Parse(text, &digits);
      if (t.ok()) {
        e.ts_state = 1;
        e.ts_micros = t->micros();
        e.ts_digits = static_cast<int8_t>(std::min(digits, 127));
        return;
      }
    }
    e.ts_state = 2;
  }
  // True when a property's value certainly produces no finding, checked without building its
  // JSON pointer or any message. Anything else takes the full path, which reports.
  bool QuickValid(element value, const PropertySpec& spec, const FieldIndex::Entry* entry);
  bool QuickIdentifier(element value, std::string_view allowed);
  // A custom property that certainly produces no finding (the common `x_…` case).
  bool QuickCustomValid(std::string_view key, element value) const;
  bool QuickVocab(element value, std::string_view vocab);
  std::string_view FieldString(std::string_view key) const {
    std::string_view s;
    if (Field(key).get_string().get(s) != simdjson::SUCCESS) return {};
    return s;
  }

  const RawObject& raw_;
  const FindingSink& sink_;
  const ValidatorOptions& options_;
  size_t reported_ = 0;
  size_t errors_ = 0;
  size_t suppressed_errors_ = 0;
  size_t suppressed_warnings_ = 0;
  // Views into the parsed document, valid for this check's lifetime.
  std::string_view id_;
  std::string_view type_;
  std::string_view modified_;
  std::string_view spec_version_;
  bool has_spec_version_ = false;
  ObjectCategory category_ = ObjectCategory::kCustom;
  const TypeSpec* spec_ = nullptr;
  FieldIndex& root_fields_;
  struct PathStep {
    std::string_view key;
    size_t index;
    bool is_index;
  };
  std::vector<PathStep> path_;  // CheckDuplicateKeys' position
};

void ObjectCheck::Report(Severity severity, const std::string& pointer, std::string_view rule,
                         std::string message) {
  if (severity == Severity::kError) ++errors_;
  ++reported_;
  if (reported_ > options_.max_findings_per_object) {
    ++(severity == Severity::kError ? suppressed_errors_ : suppressed_warnings_);
    if (reported_ == options_.max_findings_per_object + 1) {
      Finding f{Severity::kWarning, std::string(id_), raw_.pointer, "too-many-findings",
                "further findings for this object are not shown", raw_.line, raw_.value_index};
      sink_(f);
    }
    return;
  }
  Finding f{severity, std::string(id_), pointer, std::string(rule), std::move(message), raw_.line,
            raw_.value_index};
  sink_(f);
}

namespace {

// The first escape of a JSON text that is no valid escape, said with its byte offset: simdjson
// reports only "Problem while parsing a string". Every backslash of a JSON text is inside a
// string (elsewhere it is a syntax error anyway).
std::optional<std::string> BadEscape(std::string_view text) {
  auto hex4 = [&](size_t at) -> std::optional<unsigned> {
    if (at + 4 > text.size()) return std::nullopt;
    unsigned v = 0;
    for (size_t i = at; i < at + 4; ++i) {
      const int d = HexValue(text[i]);
      if (d < 0) return std::nullopt;
      v = v * 16 + static_cast<unsigned>(d);
    }
    return v;
  };
  for (size_t at = text.find('\\'); at != std::string_view::npos; at = text.find('\\', at)) {
    const std::string where = " at byte " + std::to_string(at) + " of the object";
    if (at + 1 >= text.size()) return "a string ends in a lone backslash" + where;
    const char e = text[at + 1];
    if (e != 'u') {
      if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
        return "'\\" + std::string(1, e) + "' is no JSON escape" + where;
      }
      at += 2;
      continue;
    }
    std::optional<unsigned> unit = hex4(at + 2);
    if (!unit) return "a \\u escape without four hex digits" + where;
    const std::string escape(text.substr(at, 6));
    if (*unit >= 0xDC00 && *unit <= 0xDFFF) {
      return "'" + escape + "' is a lone UTF-16 low surrogate" + where +
             " (JSON text must be valid Unicode, RFC 8259 §8.2)";
    }
    if (*unit >= 0xD800 && *unit <= 0xDBFF) {
      std::optional<unsigned> low =
          at + 7 < text.size() && text[at + 6] == '\\' && text[at + 7] == 'u' ? hex4(at + 8)
                                                                              : std::nullopt;
      if (!low || *low < 0xDC00 || *low > 0xDFFF) {
        return "'" + escape + "' is a lone UTF-16 high surrogate" + where +
               " (JSON text must be valid Unicode, RFC 8259 §8.2)";
      }
      at += 12;
      continue;
    }
    at += 6;
  }
  return std::nullopt;
}

}  // namespace

void ObjectCheck::ReportJsonError(simdjson::error_code err) {
  std::string_view rule = "json-syntax";
  std::string what = simdjson::error_message(err);
  switch (err) {
    case simdjson::UTF8_ERROR:
      rule = "utf8";
      what = "the text is not valid UTF-8 (STIX content must be UTF-8, RFC 8259 §8.1)";
      break;
    case simdjson::DEPTH_ERROR:
      rule = "json-depth";
      what = "JSON nesting is deeper than 1024 levels";
      break;
    case simdjson::NUMBER_ERROR:
    case simdjson::NUMBER_OUT_OF_RANGE:
      rule = "json-number";
      what = "a number cannot be represented (out of range for 64-bit integers and doubles)";
      break;
    case simdjson::CAPACITY:
      rule = "object-too-large";
      what = "the object is larger than the parser's capacity";
      break;
    case simdjson::STRING_ERROR:
      what = "not well-formed JSON: " + BadEscape(raw_.text).value_or(what);
      break;
    default:
      what = "not well-formed JSON: " + what;
      break;
  }
  Error(raw_.pointer, rule, what);
}

void ObjectCheck::CheckDuplicateKeys(element e, int depth, bool check_self) {
  // Recursion is bounded by simdjson's maximum depth (1024), which parse() already enforced.
  // The path is kept as a stack of steps and rendered as a JSON pointer only for a finding.
  if (e.type() == element_type::OBJECT) {
    object obj = e.get_object().value_unsafe();
    const size_t n = obj.size();
    if (n > 1 && check_self) {
      auto report = [&](std::string_view key) {
        std::string pointer = raw_.pointer;
        for (const PathStep& step : path_) {
          if (step.is_index) {
            pointer += '/';
            pointer += std::to_string(step.index);
          } else {
            AppendPointerToken(&pointer, step.key);
          }
        }
        AppendPointerToken(&pointer, key);
        Error(pointer, "duplicate-key",
              "property " + Quote(key) +
                  " appears more than once in one JSON object; RFC 8259 leaves the result "
                  "undefined, so STIX content must use unique names");
      };
      if (n <= 24) {
        // Small objects (nearly all STIX objects): pairwise compare beats hashing.
        std::string_view keys[24];
        size_t k = 0;
        for (auto field : obj) {
          for (size_t i = 0; i < k; ++i) {
            if (keys[i] == field.key) {
              report(field.key);
              break;
            }
          }
          keys[k++] = field.key;
        }
      } else {
        absl::flat_hash_set<std::string_view> seen;
        seen.reserve(n);
        for (auto field : obj) {
          if (!seen.insert(field.key).second) report(field.key);
        }
      }
    }
    for (auto field : obj) {
      element_type t = field.value.type();
      if (t == element_type::OBJECT || t == element_type::ARRAY) {
        path_.push_back(PathStep{field.key, 0, false});
        CheckDuplicateKeys(field.value, depth + 1, true);
        path_.pop_back();
      }
    }
  } else if (e.type() == element_type::ARRAY) {
    size_t i = 0;
    array arr = e.get_array().value_unsafe();  // a copy: the range must not be a temporary
    for (element child : arr) {
      element_type t = child.type();
      if (t == element_type::OBJECT || t == element_type::ARRAY) {
        path_.push_back(PathStep{{}, i, true});
        CheckDuplicateKeys(child, depth + 1, true);
        path_.pop_back();
      }
      ++i;
    }
  }
}

void ObjectCheck::Run(element root) {
  if (root.type() != element_type::OBJECT) {
    Error(raw_.pointer, "json-object",
          "expected a STIX object (a JSON object), found " + std::string(KindName(root.type())));
    return;
  }
  object obj = root.get_object().value_unsafe();
  bool root_duplicates = false;
  for (auto field : obj) root_duplicates |= !root_fields_.Add(field.key, field.value);
  // Identity first, so every later finding can name the object.
  if (Field("id").get_string().get(id_) != simdjson::SUCCESS) id_ = {};
  if (Field("type").get_string().get(type_) != simdjson::SUCCESS) type_ = {};
  if (Field("modified").get_string().get(modified_) != simdjson::SUCCESS) modified_ = {};
  has_spec_version_ = Field("spec_version").get_string().get(spec_version_) == simdjson::SUCCESS;

  // The root's own names were compared while indexing; only when that found a duplicate does
  // the root need the reporting pass. Nested objects are always walked.
  path_.clear();
  CheckDuplicateKeys(root, 0, /*check_self=*/root_duplicates);

  if (!Has(obj, "type")) {
    Error(Ptr("type"), "required-property", "every STIX object needs a 'type' property");
    return;
  }
  if (type_.empty()) {
    Error(Ptr("type"), "property-type", "'type' must be a string");
    return;
  }
  if (!ValidTypeName(type_)) {
    Error(Ptr("type"), "type-format",
          "type " + Quote(type_) +
              " must be 3-250 characters of a-z, 0-9 and single hyphens, starting with a letter");
  }
  if (type_ == "action") {  // §3.1 (and the schema's core.json): reserved for a future object
    Error(Ptr("type"), "reserved-type",
          "type 'action' is reserved by STIX 2.1 and must not be used");
  }
  spec_ = FindTypeSpec(type_);
  category_ = spec_ ? spec_->category
                    : (type_ == "bundle" ? ObjectCategory::kBundle : ObjectCategory::kCustom);
  if (category_ == ObjectCategory::kBundle) {
    Error(raw_.pointer, "bundle-nested", "a bundle cannot appear inside a bundle's objects");
    return;
  }

  CheckCommon();
  std::span<const PropertySpec> common = category_ == ObjectCategory::kSco
                                             ? CommonScoProperties()
                                             : (category_ == ObjectCategory::kMeta
                                                    ? std::span<const PropertySpec>()
                                                    : CommonSdoProperties());
  if (category_ == ObjectCategory::kCustom) {
    // A custom object is judged as an SDO if it looks like one (has created), else as an SCO.
    common = Has(obj, "created") ? CommonSdoProperties() : CommonScoProperties();
  }
  CheckProperties(obj, spec_, common, raw_.pointer, false);
  element gm;
  if (obj["granular_markings"].get(gm) == simdjson::SUCCESS) {
    CheckGranularMarkings(root, gm, Ptr("granular_markings"));
  }
  element ext;
  if (obj["extensions"].get(ext) == simdjson::SUCCESS) CheckExtensions(ext, Ptr("extensions"));
  CheckTypeRules();
  if (type_ == "marking-definition") CheckMarkingDefinition();
  if (category_ == ObjectCategory::kSco) CheckScoId(root);
}

void ObjectCheck::CheckCommon() {
  // id: <type>--<RFC 4122 UUID> (§2.9), version 4 for SDOs and SROs.
  element id_value;
  if (Field("id").get(id_value) == simdjson::SUCCESS && !id_.empty()) {
    size_t sep = id_.find("--");
    if (sep == std::string::npos) {
      Error(Ptr("id"), "id-format", "id " + Quote(id_) + " must be '<type>--<UUID>'");
    } else {
      std::string_view prefix(id_.data(), sep);
      if (prefix != type_) {
        Error(Ptr("id"), "id-format",
              "id prefix " + Quote(prefix) + " must equal the object's type " + Quote(type_));
      }
      Result<Uuid> uuid = Uuid::Parse(std::string_view(id_).substr(sep + 2));
      if (!uuid.ok()) {
        Error(Ptr("id"), "id-format", "id " + Quote(id_) + ": " + uuid.status().message());
      } else if (!uuid->IsRfc4122Variant() || uuid->version() < 1 || uuid->version() > 5) {
        Error(Ptr("id"), "id-format",
              "id " + Quote(id_) + " is not an RFC 4122 UUID (variant or version bits are wrong)");
      } else if ((category_ == ObjectCategory::kSdo || category_ == ObjectCategory::kSro) &&
                 uuid->version() != 4) {
        Warn(Ptr("id"), "id-uuid-version",
             "SDO and SRO ids should use a version 4 UUID (§2.9), found version " +
                 std::to_string(uuid->version()));
      } else if (category_ == ObjectCategory::kSco && uuid->version() != 5 &&
                 uuid->version() != 4) {
        Warn(Ptr("id"), "sco-id-uuid5",
             "SCO ids should be UUIDv5 (deterministic) or UUIDv4, found version " +
                 std::to_string(uuid->version()));
      }
    }
  } else if (HasField("id")) {
    Error(Ptr("id"), "property-type", "'id' must be a string");
  }

  // spec_version: required on everything but SCOs (§3.2, §6.1); "2.1" here.
  if (has_spec_version_) {
    if (spec_version_ == "2.0") {
      Error(Ptr("spec_version"), "stix-2.0",
            "this is STIX 2.0 content; `ctihub import` upgrades it to 2.1");
    } else if (spec_version_ != "2.1") {
      Error(Ptr("spec_version"), "spec-version",
            "spec_version must be \"2.1\", found " + Quote(spec_version_));
    }
  } else if (HasField("spec_version")) {
    Error(Ptr("spec_version"), "property-type", "'spec_version' must be a string");
  }

  for (std::string_view reserved : kReservedProperties) {
    if (HasField(reserved)) {
      Error(Ptr(reserved), "reserved-property",
            "property " + Quote(reserved) + " is reserved by STIX 2.1 and must not be used");
    }
  }
}

void ObjectCheck::CheckProperties(object obj, const TypeSpec* spec,
                                  std::span<const PropertySpec> common, const std::string& base,
                                  bool is_extension) {
  auto has = [&](std::string_view name) { return is_extension ? Has(obj, name) : HasField(name); };
  auto check_required = [&](std::span<const PropertySpec> props) {
    for (const PropertySpec& p : props) {
      if (!p.required) continue;
      if (p.name == "spec_version" && !has_spec_version_ && has("spec_version")) continue;
      if (!has(p.name)) {
        if (p.name == "spec_version" && !is_extension) {
          Error(base + "/spec_version", "required-property",
                Quote(type_) +
                    " requires spec_version \"2.1\" (`ctihub import` upgrades an "
                    "object without it as STIX 2.0 content, unless it has what only 2.1 has)");
          continue;
        }
        std::string what = is_extension ? "extension " + Quote(spec->type) : Quote(type_);
        Error(base + PointerToken(p.name), "required-property",
              what + " requires property " + Quote(p.name));
      }
    }
  };
  check_required(common);
  if (spec) check_required(spec->properties);

  size_t own_properties = 0;
  std::string pointer = base;  // reused for every property: no allocation per field
  const PropertyTable* table = FindPropertyTable(spec, common);
  auto visit = [&](std::string_view key, element value, const FieldIndex::Entry* entry) {
    PropertyHit hit = table ? table->Find(key) : FindProperty(spec, common, key);
    const PropertySpec* p = hit.spec;
    if (hit.own) ++own_properties;
    if (p && entry && value.type() != element_type::NULL_VALUE && QuickValid(value, *p, entry)) {
      return;
    }
    if (!p && QuickCustomValid(key, value)) return;
    pointer.resize(base.size());
    AppendPointerToken(&pointer, key);
    if (value.type() == element_type::NULL_VALUE) {
      Error(pointer, "null-value",
            "property " + Quote(key) + " is null; STIX omits a property instead of null");
      return;
    }
    if (p) {
      if (p->name == "type" || p->name == "id" || p->name == "spec_version") {
        if (value.type() != element_type::STRING) {
          Error(pointer, "property-type", Quote(p->name) + " must be a string");
        }
        return;
      }
      CheckValue(value, *p, pointer);
    } else if (type_ == "marking-definition" && !is_extension &&
               (key == "modified" || key == "revoked")) {
      return;  // reported by the marking-definition rule: markings are never versioned
    } else if (key != "extensions" && key != "type" && key != "id") {
      // A property the type (or extension) does not define: a custom property (§11.1).
      CheckCustomProperty(key, value, pointer);
    }
  };
  if (is_extension) {
    for (auto field : obj) visit(field.key, field.value, nullptr);
  } else {
    // The root's properties as indexed (a repeated name was reported as duplicate-key; its
    // first value is the one checked, as every consumer's lookup would see it).
    for (const FieldIndex::Entry& e : root_fields_.entries()) visit(e.key, e.value, &e);
  }
  if (spec && spec->needs_any_property && own_properties == 0) {
    bool has_extension = false;
    element ext;
    if (!is_extension && obj["extensions"].get(ext) == simdjson::SUCCESS) has_extension = true;
    if (!has_extension) {
      Error(base, "empty-object",
            Quote(spec->type) + " must contain at least one property of its own");
    }
  }
}

void ObjectCheck::ExtractVersion(ObjectVersion* v) const {
  v->text.clear();
  v->id.assign(id_);
  v->type.assign(type_);
  v->spec_version.assign(spec_version_);
  v->category = category_;
  auto timestamp = [&](std::string_view key) -> std::optional<Timestamp> {
    const FieldIndex::Entry* e = root_fields_.Find(key);
    if (!e) return std::nullopt;
    EnsureTimestamp(*e);
    if (e->ts_state != 1) return std::nullopt;
    return Timestamp(e->ts_micros);
  };
  v->created = timestamp("created");
  v->modified = timestamp("modified");
  v->modified_text.assign(v->modified ? modified_ : std::string_view());
  bool revoked = false;
  v->revoked = Field("revoked").get_bool().get(revoked) == simdjson::SUCCESS && revoked;
  v->created_by_ref.assign(FieldString("created_by_ref"));
  v->object_marking_refs.clear();
  array refs;
  if (Field("object_marking_refs").get_array().get(refs) == simdjson::SUCCESS) {
    for (element r : refs) {
      std::string_view ref;
      if (r.get_string().get(ref) == simdjson::SUCCESS) v->object_marking_refs.emplace_back(ref);
    }
  }
  int64_t confidence = 0;
  v->confidence.reset();
  if (Field("confidence").get_int64().get(confidence) == simdjson::SUCCESS) {
    v->confidence = static_cast<int>(confidence);
  }
  v->granular_markings.clear();
  array gms;
  if (Field("granular_markings").get_array().get(gms) == simdjson::SUCCESS) {
    for (element gm : gms) {
      object g;
      if (gm.get_object().get(g) != simdjson::SUCCESS) continue;
      GranularMarking m;
      array selectors;
      if (g["selectors"].get_array().get(selectors) == simdjson::SUCCESS) {
        for (element sel : selectors) {
          std::string_view text;
          if (sel.get_string().get(text) == simdjson::SUCCESS) m.selectors.emplace_back(text);
        }
      }
      std::string_view text;
      if (g["marking_ref"].get_string().get(text) == simdjson::SUCCESS) m.marking_ref = text;
      if (g["lang"].get_string().get(text) == simdjson::SUCCESS) m.lang = text;
      v->granular_markings.push_back(std::move(m));
    }
  }
}

bool ObjectCheck::QuickCustomValid(std::string_view key, element value) const {
  if (key.size() < 3 || key[0] != 'x' || key[1] != '_' || !ValidPropertyName(key)) return false;
  auto ends_with = [&](std::string_view suffix) {
    return key.size() > suffix.size() && key.substr(key.size() - suffix.size()) == suffix;
  };
  if (ends_with("_bin") || ends_with("_hex") || ends_with("_ref") || ends_with("_refs")) {
    return false;  // suffixes with rules of their own
  }
  element_type t = value.type();
  if (t == element_type::NULL_VALUE) return false;
  if (t == element_type::ARRAY) {
    array arr;
    return value.get_array().get(arr) == simdjson::SUCCESS && arr.size() > 0;
  }
  return true;
}

bool ObjectCheck::QuickIdentifier(element value, std::string_view allowed) {
  std::string_view s;
  if (value.get_string().get(s) != simdjson::SUCCESS) return false;
  size_t sep = s.find("--");
  if (sep == std::string_view::npos) return false;
  std::string_view target = s.substr(0, sep);
  if (!ValidTypeName(target)) return false;
  return Uuid::IsValid(s.substr(sep + 2)) && ReferenceTypeAllowed(allowed, target);
}

bool ObjectCheck::QuickVocab(element value, std::string_view vocab_name) {
  std::string_view s;
  if (value.get_string().get(s) != simdjson::SUCCESS) return false;
  const Vocabulary* vocab = FindVocabulary(vocab_name);
  return !vocab || vocab->Contains(s);
}

bool ObjectCheck::QuickValid(element value, const PropertySpec& spec,
                             const FieldIndex::Entry* entry) {
  using K = PropertyKind;
  auto each = [&](auto&& ok) {
    array arr;
    if (value.get_array().get(arr) != simdjson::SUCCESS || arr.size() == 0) return false;
    for (element item : arr) {
      if (!ok(item)) return false;
    }
    return true;
  };
  switch (spec.kind) {
    case K::kString:
      return value.type() == element_type::STRING;
    case K::kBoolean:
      return value.type() == element_type::BOOL;
    case K::kInteger: {
      int64_t v;
      if (value.type() != element_type::INT64 || value.get_int64().get(v) != simdjson::SUCCESS) {
        return false;
      }
      return v >= spec.min && v <= spec.max;
    }
    case K::kTimestamp: {
      if (!entry) return false;
      EnsureTimestamp(*entry);
      if (entry->ts_state != 1) return false;
      bool needs_millis = (spec.name == "created" || spec.name == "modified") &&
                          type_ != "marking-definition";
      return !needs_millis || entry->ts_digits >= 3;
    }
    case K::kIdentifier:
      return QuickIdentifier(value, spec.arg);
    case K::kIdentifierList:
      return each([&](element item) { return QuickIdentifier(item, spec.arg); });
    case K::kOpenVocab:
    case K::kEnum:
      return QuickVocab(value, spec.arg);
    case K::kOpenVocabList:
    case K::kEnumList:
      return each([&](element item) { return QuickVocab(item, spec.arg); });
    case K::kStringList:
      return each([](element item) { return item.type() == element_type::STRING; });
    default:
      return false;
  }
}

void ObjectCheck::CheckCustomProperty(std::string_view key, element value,
                                      const std::string& pointer) {
  if (!ValidPropertyName(key)) {
    Error(pointer, "custom-property-name",
          "property name " + Quote(key) +
              " must be 3-250 characters of a-z, 0-9 and '_', starting with a letter");
    return;
  }
  if (category_ != ObjectCategory::kCustom && key.substr(0, 2) != "x_") {
    Warn(pointer, "custom-prefix",
         "custom property " + Quote(key) +
             " is not defined for " + Quote(type_) +
             "; custom properties should start with 'x_' (or be defined by an extension)");
  }
  // Reserved suffixes keep their meaning on custom properties too (§3.1).
  std::string_view s;
  if (key.size() > 4 && key.substr(key.size() - 4) == "_bin") {
    if (value.get_string().get(s) != simdjson::SUCCESS || !ValidBase64(s)) {
      Error(pointer, "binary-format", "a property ending in '_bin' must hold base64 (RFC 4648)");
    }
  } else if (key.size() > 4 && key.substr(key.size() - 4) == "_hex") {
    if (value.get_string().get(s) != simdjson::SUCCESS || !ValidHex(s)) {
      Error(pointer, "hex-format",
            "a property ending in '_hex' must hold an even number of hex digits");
    }
  } else if ((key.size() > 4 && key.substr(key.size() - 4) == "_ref") ||
             (key.size() > 5 && key.substr(key.size() - 5) == "_refs")) {
    // §3.1 reserves the suffixes for identifiers, but the OASIS validator does not enforce it on
    // custom properties and real feeds (ATT&CK's x_mitre_data_source_ref: "") break it, so this
    // is a warning: consumers that follow references will skip such values.
    auto check_ref = [&](element v, const std::string& p) {
      std::string_view ref;
      if (v.get_string().get(ref) != simdjson::SUCCESS || !LooksLikeIdentifier(ref)) {
        Warn(p, "custom-reference",
             "custom property " + Quote(key) + " ends in _ref/_refs but holds " +
                 (v.type() == element_type::STRING ? Quote(ref) : std::string(KindName(v.type()))) +
                 ", not a '<type>--<UUID>' identifier");
      }
    };
    array arr;
    if (key.back() == 's' && value.get_array().get(arr) == simdjson::SUCCESS) {
      size_t i = 0;
      for (element item : arr) check_ref(item, pointer + "/" + std::to_string(i++));
    } else {
      check_ref(value, pointer);
    }
  }
  if (value.type() == element_type::ARRAY && value.get_array().value_unsafe().size() == 0) {
    Error(pointer, "empty-list", "a list property must not be empty");
  }
}

void ObjectCheck::CheckString(element value, const std::string& pointer, std::string_view* out) {
  if (value.get_string().get(*out) != simdjson::SUCCESS) {
    Error(pointer, "property-type",
          "expected a string, found " + std::string(KindName(value.type())));
    *out = {};
  }
}

void ObjectCheck::CheckTimestamp(element value, const std::string& pointer,
                                 std::string_view name) {
  std::string_view s;
  if (value.get_string().get(s) != simdjson::SUCCESS) {
    Error(pointer, "property-type",
          "expected a timestamp string, found " + std::string(KindName(value.type())));
    return;
  }
  int digits = 0;
  Result<Timestamp> ts = Timestamp::Parse(s, &digits);
  if (!ts.ok()) {
    Error(pointer, "timestamp-format", ts.status().message());
    return;
  }
  // §3.2: created and modified must be precise to the millisecond.
  if ((name == "created" || name == "modified") && digits < 3 &&
      type_ != "marking-definition") {
    Error(pointer, "timestamp-precision",
          Quote(name) + " must have at least millisecond precision (e.g. .000Z), found " +
              Quote(s));
  }
}

void ObjectCheck::CheckIdentifier(element value, std::string_view allowed,
                                  const std::string& pointer) {
  std::string_view s;
  if (value.get_string().get(s) != simdjson::SUCCESS) {
    Error(pointer, "property-type",
          "expected an identifier string, found " + std::string(KindName(value.type())));
    return;
  }
  size_t sep = s.find("--");
  if (sep == std::string_view::npos || !ValidTypeName(s.substr(0, sep))) {
    Error(pointer, "reference-format", "identifier " + Quote(s) + " must be '<type>--<UUID>'");
    return;
  }
  Result<Uuid> uuid = Uuid::Parse(s.substr(sep + 2));
  if (!uuid.ok() || !uuid->IsRfc4122Variant()) {
    Error(pointer, "reference-format",
          "identifier " + Quote(s) + " does not end in an RFC 4122 UUID");
    return;
  }
  std::string_view target = s.substr(0, sep);
  if (!ReferenceTypeAllowed(allowed, target)) {
    std::string expected(allowed);
    if (expected == "@sco") expected = "a cyber-observable (SCO)";
    else if (expected == "@sdo") expected = "a domain object (SDO)";
    else if (expected == "@not-sro") expected = "an SDO or SCO (not an SRO, bundle, marking or language content)";
    else if (expected == "@sco|relationship") expected = "an SCO or relationship";
    else if (expected == "@not-lc") expected = "any object but language-content";
    else {
      std::replace(expected.begin(), expected.end(), '|', ',');
      expected = "one of: " + expected;
    }
    Error(pointer, "reference-type",
          "reference " + Quote(s) + " points to a " + Quote(target) + "; expected " + expected);
  }
}

void ObjectCheck::CheckVocab(std::string_view value, std::string_view vocab_name,
                             const std::string& pointer) {
  const Vocabulary* vocab = FindVocabulary(vocab_name);
  if (!vocab || vocab->Contains(value)) return;
  if (vocab->closed) {
    std::string allowed;
    for (size_t i = 0; i < vocab->size; ++i) {
      if (i) allowed += ", ";
      allowed += vocab->values[i];
    }
    Error(pointer, "enum-value",
          Quote(value) + " is not allowed; expected one of " + allowed + " (" +
              std::string(vocab_name) + ")");
  } else {
    Warn(pointer, "open-vocab",
         Quote(value) + " is not in the " + std::string(vocab_name) +
             " vocabulary; values from it should be used when one fits");
  }
}

void ObjectCheck::CheckValue(element value, const PropertySpec& spec, const std::string& pointer) {
  using K = PropertyKind;
  auto expect_list = [&]() -> std::optional<array> {
    array arr;
    if (value.get_array().get(arr) != simdjson::SUCCESS) {
      Error(pointer, "property-type",
            Quote(spec.name) + " must be a list, found " + std::string(KindName(value.type())));
      return std::nullopt;
    }
    if (arr.size() == 0) {
      Error(pointer, "empty-list", Quote(spec.name) + " must not be an empty list");
      return std::nullopt;
    }
    return arr;
  };
  std::string_view s;
  switch (spec.kind) {
    case K::kString:
      CheckString(value, pointer, &s);
      break;
    case K::kStringList:
    case K::kOpenVocabList:
    case K::kEnumList: {
      auto arr = expect_list();
      if (!arr) break;
      size_t i = 0;
      for (element item : *arr) {
        std::string ip = pointer + "/" + std::to_string(i++);
        CheckString(item, ip, &s);
        if (!s.empty() && spec.kind != K::kStringList) CheckVocab(s, spec.arg, ip);
      }
      break;
    }
    case K::kOpenVocab:
    case K::kEnum:
      CheckString(value, pointer, &s);
      if (value.type() == element_type::STRING) CheckVocab(s, spec.arg, pointer);
      break;
    case K::kTimestamp:
      CheckTimestamp(value, pointer, spec.name);
      break;
    case K::kInteger: {
      int64_t v = 0;
      if (value.type() == element_type::UINT64) {
        Error(pointer, "integer-range", Quote(spec.name) + " is larger than a 64-bit integer");
        break;
      }
      if (value.get_int64().get(v) != simdjson::SUCCESS) {
        Error(pointer, "property-type",
              Quote(spec.name) + " must be an integer, found " +
                  std::string(KindName(value.type())));
        break;
      }
      if (v < spec.min || v > spec.max) {
        std::string range = spec.max == INT64_MAX
                                ? ">= " + std::to_string(spec.min)
                                : std::to_string(spec.min) + ".." + std::to_string(spec.max);
        Error(pointer, "integer-range",
              Quote(spec.name) + " is " + std::to_string(v) + "; it must be " + range);
      }
      break;
    }
    case K::kNumber: {
      double d = 0;
      if (value.get_double().get(d) != simdjson::SUCCESS) {
        Error(pointer, "property-type",
              Quote(spec.name) + " must be a number, found " + std::string(KindName(value.type())));
        break;
      }
      if ((spec.min != INT64_MIN && d < static_cast<double>(spec.min)) ||
          (spec.max != INT64_MAX && d > static_cast<double>(spec.max))) {
        Error(pointer, "number-range",
              Quote(spec.name) + " is out of range (" +
                  (spec.max == INT64_MAX ? ">= " + std::to_string(spec.min)
                                         : std::to_string(spec.min) + ".." +
                                               std::to_string(spec.max)) +
                  ")");
      }
      break;
    }
    case K::kBoolean:
      if (value.type() != element_type::BOOL) {
        Error(pointer, "property-type",
              Quote(spec.name) + " must be true or false, found " +
                  std::string(KindName(value.type())));
      }
      break;
    case K::kIdentifier:
      CheckIdentifier(value, spec.arg, pointer);
      break;
    case K::kIdentifierList: {
      auto arr = expect_list();
      if (!arr) break;
      size_t i = 0;
      for (element item : *arr) CheckIdentifier(item, spec.arg, pointer + "/" + std::to_string(i++));
      break;
    }
    case K::kKillChainPhases:
      CheckKillChainPhases(value, pointer);
      break;
    case K::kExternalReferences:
      CheckExternalReferences(value, pointer);
      break;
    case K::kHashes:
      CheckHashes(value, pointer);
      break;
    case K::kDictionary:
      CheckDictionary(value, pointer);
      break;
    case K::kBinary:
      CheckString(value, pointer, &s);
      if (value.type() == element_type::STRING && !ValidBase64(s)) {
        Error(pointer, "binary-format", Quote(spec.name) + " must be base64 (RFC 4648 §4)");
      }
      break;
    case K::kHex:
      CheckString(value, pointer, &s);
      if (value.type() == element_type::STRING && !ValidHex(s)) {
        Error(pointer, "hex-format",
              Quote(spec.name) + " must be an even number of hex digits, found " + Quote(s));
      }
      break;
    case K::kObject:
      if (value.type() != element_type::OBJECT) {
        Error(pointer, "property-type",
              Quote(spec.name) + " must be an object, found " + std::string(KindName(value.type())));
      } else if (value.get_object().value_unsafe().size() == 0) {
        Error(pointer, "empty-object", Quote(spec.name) + " must not be an empty object");
      }
      break;
    case K::kObjectList: {
      auto arr = expect_list();
      if (!arr) break;
      size_t i = 0;
      for (element item : *arr) {
        if (item.type() != element_type::OBJECT) {
          Error(pointer + "/" + std::to_string(i), "property-type",
                "items of " + Quote(spec.name) + " must be objects");
        }
        ++i;
      }
      break;
    }
  }
}

void ObjectCheck::CheckHashes(element value, const std::string& pointer) {
  object hashes;
  if (value.get_object().get(hashes) != simdjson::SUCCESS) {
    Error(pointer, "property-type", "hashes must be a dictionary of algorithm to hash value");
    return;
  }
  if (hashes.size() == 0) {
    Error(pointer, "empty-object", "hashes must contain at least one hash");
    return;
  }
  for (auto field : hashes) {
    std::string hp = pointer + PointerToken(field.key);
    std::string_view hv;
    if (field.value.get_string().get(hv) != simdjson::SUCCESS) {
      Error(hp, "property-type", "hash values must be strings");
      continue;
    }
    if (field.key.size() < 3 || field.key.size() > 250 || !ValidDictionaryKey(field.key)) {
      Error(hp, "hash-algorithm",
            "hash algorithm name " + Quote(field.key) +
                " must be 3-250 characters of letters, digits, '_' or '-'");
      continue;
    }
    const Vocabulary* vocab = FindVocabulary("hash-algorithm-ov");
    if (!vocab->Contains(field.key)) {
      std::string_view canonical = CanonicalHashName(field.key);
      if (!canonical.empty()) {
        Warn(hp, "hash-algorithm",
             "hash algorithm " + Quote(field.key) + " should be written " + Quote(canonical) +
                 " (hash-algorithm-ov)");
      } else if (field.key.substr(0, 2) != "x_") {
        Warn(hp, "hash-algorithm",
             "hash algorithm " + Quote(field.key) +
                 " is not in hash-algorithm-ov; custom algorithms should start with 'x_'");
      }
    }
    // The OASIS schema's forms (hashes-type.json) of the two fuzzy hashes.
    if (field.key == "SSDEEP" &&
        (hv.empty() || hv.size() > 128 || !std::all_of(hv.begin(), hv.end(), [](char c) {
           return IsAlnum(c) || c == '/' || c == '+' || c == ':' || c == '.';
         }))) {
      Error(hp, "hash-value",
            "SSDEEP must be 1-128 characters of letters, digits, '/', '+', ':' and '.', found " +
                Quote(hv));
    }
    // The schema's 70 characters are TLSH before version 4, which prefixes "T1" (72): both occur.
    const std::string_view tlsh = hv.size() == 72 && hv.substr(0, 2) == "T1" ? hv.substr(2) : hv;
    if (field.key == "TLSH" &&
        (tlsh.size() != 70 || !std::all_of(tlsh.begin(), tlsh.end(), IsAlnum))) {
      Error(hp, "hash-value",
            "TLSH must be 70 letters and digits (or T1 and 70), found " + Quote(hv));
    }
    for (const HashRule& rule : kHashRules) {
      if (rule.name != field.key) continue;
      if (hv.size() != rule.hex_length || !std::all_of(hv.begin(), hv.end(), IsHex)) {
        Error(hp, "hash-value",
              std::string(rule.name) + " must be " + std::to_string(rule.hex_length) +
                  " hex digits, found " + Quote(hv));
      }
    }
  }
}

void ObjectCheck::CheckDictionary(element value, const std::string& pointer) {
  object dict;
  if (value.get_object().get(dict) != simdjson::SUCCESS) {
    Error(pointer, "property-type",
          "expected a dictionary (JSON object), found " + std::string(KindName(value.type())));
    return;
  }
  if (dict.size() == 0) {
    Error(pointer, "empty-object", "a dictionary must have at least one key");
    return;
  }
  for (auto field : dict) {
    if (!ValidDictionaryKey(field.key)) {
      Error(pointer + PointerToken(field.key), "dictionary-key",
            "dictionary key " + Quote(field.key) +
                " must be 1-250 ASCII letters, digits, '_' or '-'");
    }
    if (field.value.type() == element_type::NULL_VALUE) {
      Error(pointer + PointerToken(field.key), "null-value", "dictionary values must not be null");
    }
  }
}

void ObjectCheck::CheckExternalReferences(element value, const std::string& pointer) {
  array refs;
  if (value.get_array().get(refs) != simdjson::SUCCESS) {
    Error(pointer, "property-type", "external_references must be a list of objects");
    return;
  }
  if (refs.size() == 0) {
    Error(pointer, "empty-list", "external_references must not be an empty list");
    return;
  }
  size_t i = 0;
  for (element item : refs) {
    const size_t index = i++;
    auto at = [&](std::string_view key = {}) {  // the pointer, built only for a finding
      std::string p = pointer + "/" + std::to_string(index);
      if (!key.empty()) AppendPointerToken(&p, key);
      return p;
    };
    object ref;
    if (item.get_object().get(ref) != simdjson::SUCCESS) {
      Error(at(), "property-type", "each external reference must be an object");
      continue;
    }
    // One pass over the reference's members instead of a lookup per rule.
    std::string_view source, ext_id, url;
    bool has_source = false, has_any = false;
    for (auto field : ref) {
      const std::string_view key = field.key;
      if (key == "source_name") {
        has_source = field.value.get_string().get(source) == simdjson::SUCCESS;
      } else if (key == "description" || key == "external_id" || key == "url") {
        has_any = true;
        std::string_view text;
        if (field.value.get_string().get(text) != simdjson::SUCCESS) {
          Error(at(key), "property-type", Quote(key) + " must be a string");
        } else if (key == "external_id") {
          ext_id = text;
        } else if (key == "url") {
          url = text;
          if (!ValidUrl(url)) {
            Error(at(key), "url-format", "url " + Quote(url) + " is not a valid URL (RFC 3986)");
          }
        }
      } else if (key == "hashes") {
        CheckHashes(field.value, at(key));
      }
    }
    if (!has_source) {
      Error(at("source_name"), "required-property",
            "an external reference requires a string 'source_name'");
    }
    if (!has_any) {
      Error(at(), "external-reference",
            "an external reference needs at least one of description, url or external_id");
    }
    // §2.5: CVE and CAPEC references must carry their identifiers in the standard form.
    if (source == "cve") {
      bool ok = ext_id.size() >= 13 && ext_id.substr(0, 4) == "CVE-" && ext_id[8] == '-';
      if (ok) {
        for (size_t k = 4; k < ext_id.size(); ++k) {
          if (k != 8 && (ext_id[k] < '0' || ext_id[k] > '9')) ok = false;
        }
      }
      if (!ok) {
        Error(at("external_id"), "external-reference",
              "a 'cve' reference must have external_id like CVE-2016-0001, found " + Quote(ext_id));
      }
    } else if (source == "capec") {
      bool ok = ext_id.size() > 6 && ext_id.substr(0, 6) == "CAPEC-" &&
                std::all_of(ext_id.begin() + 6, ext_id.end(),
                            [](char c) { return c >= '0' && c <= '9'; });
      if (!ok) {
        Error(at("external_id"), "external-reference",
              "a 'capec' reference must have external_id like CAPEC-123, found " + Quote(ext_id));
      }
    }
  }
}

void ObjectCheck::CheckKillChainPhases(element value, const std::string& pointer) {
  array phases;
  if (value.get_array().get(phases) != simdjson::SUCCESS) {
    Error(pointer, "property-type", "kill_chain_phases must be a list of objects");
    return;
  }
  if (phases.size() == 0) {
    Error(pointer, "empty-list", "kill_chain_phases must not be an empty list");
    return;
  }
  size_t i = 0;
  for (element item : phases) {
    std::string ip = pointer + "/" + std::to_string(i++);
    object phase;
    if (item.get_object().get(phase) != simdjson::SUCCESS) {
      Error(ip, "property-type", "each kill chain phase must be an object");
      continue;
    }
    for (std::string_view key : {"kill_chain_name", "phase_name"}) {
      std::string_view v;
      if (phase[key].get_string().get(v) != simdjson::SUCCESS) {
        Error(ip + PointerToken(key), "required-property",
              "a kill chain phase requires a string " + Quote(key));
      } else if (std::any_of(v.begin(), v.end(), [](char c) { return c == ' ' || c == '_' || (c >= 'A' && c <= 'Z'); })) {
        Warn(ip + PointerToken(key), "kill-chain-names",
             Quote(key) + " should be lower case with hyphens, found " + Quote(v));
      }
    }
  }
}

// A selector resolves when every step names an existing property or list index (§7.2.3.1).
static bool SelectorResolves(element root, std::string_view selector) {
  element current = root;
  while (!selector.empty()) {
    size_t dot = selector.find('.');
    std::string_view step = selector.substr(0, dot);
    selector = dot == std::string_view::npos ? std::string_view() : selector.substr(dot + 1);
    if (step.size() >= 3 && step.front() == '[' && step.back() == ']') {
      std::string_view digits = step.substr(1, step.size() - 2);
      if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
          digits.size() > 9) {
        return false;
      }
      array arr;
      if (current.get_array().get(arr) != simdjson::SUCCESS) return false;
      size_t index = std::stoul(std::string(digits));
      if (arr.at(index).get(current) != simdjson::SUCCESS) return false;
    } else {
      object obj;
      if (current.get_object().get(obj) != simdjson::SUCCESS) return false;
      if (obj[step].get(current) != simdjson::SUCCESS) return false;
    }
  }
  return true;
}

void ObjectCheck::CheckGranularMarkings(element root, element value, const std::string& pointer) {
  array markings;
  if (value.get_array().get(markings) != simdjson::SUCCESS) return;  // reported as property-type
  size_t i = 0;
  for (element item : markings) {
    std::string ip = pointer + "/" + std::to_string(i++);
    object gm;
    if (item.get_object().get(gm) != simdjson::SUCCESS) continue;
    element marking_ref, lang;
    bool has_ref = gm["marking_ref"].get(marking_ref) == simdjson::SUCCESS;
    bool has_lang = gm["lang"].get(lang) == simdjson::SUCCESS;
    if (!has_ref && !has_lang) {
      Error(ip, "granular-marking", "a granular marking needs 'marking_ref' or 'lang'");
    }
    if (has_ref && has_lang) {
      Error(ip, "granular-marking", "a granular marking has either 'marking_ref' or 'lang', not both");
    }
    if (has_ref) CheckIdentifier(marking_ref, "marking-definition", ip + "/marking_ref");
    if (has_lang && lang.type() != element_type::STRING) {
      Error(ip + "/lang", "property-type", "'lang' must be a string");
    }
    element selectors_value;
    if (gm["selectors"].get(selectors_value) != simdjson::SUCCESS) {
      Error(ip + "/selectors", "required-property", "a granular marking requires 'selectors'");
      continue;
    }
    array selectors;
    if (selectors_value.get_array().get(selectors) != simdjson::SUCCESS || selectors.size() == 0) {
      Error(ip + "/selectors", "granular-marking", "'selectors' must be a non-empty list");
      continue;
    }
    size_t j = 0;
    for (element sel : selectors) {
      std::string sp = ip + "/selectors/" + std::to_string(j++);
      std::string_view s;
      if (sel.get_string().get(s) != simdjson::SUCCESS) {
        Error(sp, "property-type", "a selector must be a string");
        continue;
      }
      if (!SelectorResolves(root, s)) {
        Error(sp, "granular-selector",
              "selector " + Quote(s) +
                  " does not resolve to content of this object (use property names and [index] "
                  "steps separated by '.', e.g. external_references.[0].url)");
      }
    }
    for (auto field : gm) {
      if (field.key != "selectors" && field.key != "marking_ref" && field.key != "lang") {
        CheckCustomProperty(field.key, field.value, ip + PointerToken(field.key));
      }
    }
  }
}

void ObjectCheck::CheckExtensions(element value, const std::string& pointer) {
  object extensions;
  if (value.get_object().get(extensions) != simdjson::SUCCESS) return;  // property-type reported
  for (auto field : extensions) {
    std::string ep = pointer + PointerToken(field.key);
    object ext;
    if (field.value.get_object().get(ext) != simdjson::SUCCESS) {
      Error(ep, "extension", "extension " + Quote(field.key) + " must be an object");
      continue;
    }
    if (field.key.substr(0, 22) == "extension-definition--") {
      Result<Uuid> uuid = Uuid::Parse(field.key.substr(22));
      if (!uuid.ok()) {
        Error(ep, "extension", "extension key " + Quote(field.key) + " is not a valid identifier");
      }
      std::string_view ext_type;
      if (ext["extension_type"].get_string().get(ext_type) != simdjson::SUCCESS) {
        // §7.3: extension_type is required when the extension defines new objects or
        // property extensions; an absent one is legitimate only for property-extensions that
        // predate it, which the spec does not allow in 2.1.
        Error(ep + "/extension_type", "extension",
              "extension " + Quote(field.key) + " requires 'extension_type'");
      } else {
        CheckVocab(ext_type, "extension-type-enum", ep + "/extension_type");
        if ((ext_type == "new-sdo" || ext_type == "new-sco" || ext_type == "new-sro") &&
            category_ != ObjectCategory::kCustom) {
          Error(ep + "/extension_type", "extension",
                Quote(ext_type) + " extensions define new object types; " + Quote(type_) +
                    " is a STIX-defined type");
        }
      }
      for (auto prop : ext) {
        if (prop.key == "extension_type") continue;
        std::string pp = ep + PointerToken(prop.key);
        if (!ValidPropertyName(prop.key)) {
          Error(pp, "custom-property-name",
                "extension property " + Quote(prop.key) +
                    " must be 3-250 characters of a-z, 0-9 and '_', starting with a letter");
        }
        if (prop.value.type() == element_type::NULL_VALUE) {
          Error(pp, "null-value", "extension property " + Quote(prop.key) + " is null");
        }
      }
      continue;
    }
    if (field.key.size() > 4 && field.key.substr(field.key.size() - 4) == "-ext") {
      const TypeSpec* ext_spec = FindExtensionSpec(field.key);
      if (ext_spec) {
        if (ext_spec->extends != type_) {
          // §6.13.1 reserves predefined names, yet any '-ext' key is tolerated on SCOs
          // (§11.3.1); consumers will not interpret it here, so this is a warning.
          Warn(ep, "extension",
               "predefined extension " + Quote(field.key) + " belongs to " +
                   Quote(ext_spec->extends) + ", not " + Quote(type_) + "; it will be ignored");
          continue;
        }
        if (ext.size() == 0) {
          Error(ep, "empty-object", "extension " + Quote(field.key) + " must not be empty");
          continue;
        }
        CheckProperties(ext, ext_spec, {}, ep, true);
        // Co-constraints of predefined extensions.
        if (field.key == "ntfs-ext") {
          array streams;
          if (ext["alternate_data_streams"].get_array().get(streams) == simdjson::SUCCESS) {
            size_t i = 0;
            for (element s : streams) {
              object stream;
              std::string sp = ep + "/alternate_data_streams/" + std::to_string(i++);
              if (s.get_object().get(stream) == simdjson::SUCCESS && !Has(stream, "name")) {
                Error(sp + "/name", "required-property", "an alternate data stream requires 'name'");
              }
              element h;
              if (s.get_object().get(stream) == simdjson::SUCCESS &&
                  stream["hashes"].get(h) == simdjson::SUCCESS) {
                CheckHashes(h, sp + "/hashes");
              }
            }
          }
        } else if (field.key == "windows-pebinary-ext") {
          array sections;
          if (ext["sections"].get_array().get(sections) == simdjson::SUCCESS) {
            size_t i = 0;
            for (element s : sections) {
              object section;
              std::string sp = ep + "/sections/" + std::to_string(i++);
              if (s.get_object().get(section) == simdjson::SUCCESS && !Has(section, "name")) {
                Error(sp + "/name", "required-property", "a PE section requires 'name'");
              }
            }
          }
        }
        continue;
      }
      // A custom "-ext" extension (deprecated 2.0 style, still allowed): only naming rules.
      if (!ValidTypeName(field.key)) {
        Error(ep, "extension",
              "extension name " + Quote(field.key) +
                  " must be 3-250 characters of a-z, 0-9 and hyphens");
      } else {
        Warn(ep, "extension",
             "custom extension " + Quote(field.key) +
                 " is not predefined; STIX 2.1 custom extensions should be keyed by an "
                 "extension-definition id");
      }
      continue;
    }
    Error(ep, "extension",
          "extension key " + Quote(field.key) +
              " must be an extension-definition id or a predefined '-ext' extension name");
  }
}

void ObjectCheck::CheckOrder(std::string_view earlier, std::string_view later,
                             bool strictly) {
  const FieldIndex::Entry* ea = root_fields_.Find(earlier);
  const FieldIndex::Entry* eb = root_fields_.Find(later);
  if (!ea || !eb) return;
  EnsureTimestamp(*ea);
  EnsureTimestamp(*eb);
  if (ea->ts_state != 1 || eb->ts_state != 1) return;  // reported as timestamp-format
  bool bad = strictly ? !(eb->ts_micros > ea->ts_micros) : eb->ts_micros < ea->ts_micros;
  if (bad) {
    std::string_view a, b;
    if (ea->value.get_string().get(a) != simdjson::SUCCESS) a = {};  // parsed above: a string
    if (eb->value.get_string().get(b) != simdjson::SUCCESS) b = {};
    Error(Ptr(later), later == "modified" ? "modified-before-created" : "timestamp-order",
          Quote(later) + " (" + std::string(b) + ") must be " +
              (strictly ? "later than " : "equal to or later than ") + Quote(earlier) + " (" +
              std::string(a) + ")");
  }
}

void ObjectCheck::CheckTypeRules() {
  CheckOrder("created", "modified", false);
  const std::string_view t = type_;  // string_view ==: length first, then bytes
  if (t == "campaign" || t == "intrusion-set" || t == "threat-actor" || t == "infrastructure" ||
      t == "malware" || t == "sighting") {
    CheckOrder("first_seen", "last_seen", false);
  }
  if (t == "indicator") {
    CheckOrder("valid_from", "valid_until", true);
    std::string_view pattern_type = FieldString("pattern_type");
    std::string_view pattern;
    if (pattern_type == "stix" && Field("pattern").get_string().get(pattern) == simdjson::SUCCESS) {
      Result<pattern::Pattern> parsed = pattern::ParsePattern(pattern);
      if (!parsed.ok()) {
        Error(Ptr("pattern"), "pattern-syntax",
              "STIX pattern is invalid: " + parsed.status().message());
      }
    }
  } else if (t == "observed-data") {
    CheckOrder("first_observed", "last_observed", false);
    bool has_objects = HasField("objects");
    bool has_refs = HasField("object_refs");
    if (has_objects == has_refs) {
      Error(raw_.pointer, "observed-data-objects",
            has_objects ? "observed-data must not have both 'objects' and 'object_refs'"
                        : "observed-data requires 'object_refs' (or the deprecated 'objects')");
    }
    if (has_objects) {
      Warn(Ptr("objects"), "deprecated-property",
           "'objects' is deprecated in STIX 2.1; use 'object_refs' to separate SCOs");
    }
  } else if (t == "relationship") {
    CheckOrder("start_time", "stop_time", true);
    std::string_view rt = FieldString("relationship_type");
    if (!rt.empty() && !std::all_of(rt.begin(), rt.end(), [](char c) { return IsLowerAlnum(c) || c == '-'; })) {
      Error(Ptr("relationship_type"), "relationship-type-format",
            "relationship_type " + Quote(rt) + " must use only a-z, 0-9 and '-'");
    }
  } else if (t == "location") {
    bool lat = HasField("latitude"), lon = HasField("longitude");
    if (lat != lon) {
      Error(Ptr(lat ? "longitude" : "latitude"), "location-fields",
            "latitude and longitude must be given together");
    }
    if (HasField("precision") && !(lat && lon)) {
      Error(Ptr("precision"), "location-fields", "precision requires latitude and longitude");
    }
    if (!HasField("region") && !HasField("country") && !(lat && lon)) {
      Error(raw_.pointer, "location-fields",
            "a location needs at least one of region, country, or latitude and longitude");
    }
  } else if (t == "malware") {
    bool is_family = false;
    if (Field("is_family").get_bool().get(is_family) == simdjson::SUCCESS && is_family &&
        !HasField("name")) {
      Error(Ptr("name"), "required-property", "a malware family (is_family: true) requires 'name'");
    }
  } else if (t == "malware-analysis") {
    if (!HasField("result") && !HasField("analysis_sco_refs")) {
      Error(raw_.pointer, "required-property",
            "malware-analysis requires 'result' or 'analysis_sco_refs'");
    }
    CheckOrder("analysis_started", "analysis_ended", false);
  } else if (t == "artifact") {
    bool payload = HasField("payload_bin"), url = HasField("url");
    if (payload && url) {
      Error(Ptr("url"), "artifact-fields", "artifact must not have both payload_bin and url");
    }
    if (url && !HasField("hashes")) {
      Error(Ptr("hashes"), "artifact-fields", "artifact with 'url' requires 'hashes'");
    }
    if (HasField("decryption_key") && !HasField("encryption_algorithm")) {
      Error(Ptr("decryption_key"), "artifact-fields",
            "'decryption_key' requires 'encryption_algorithm'");
    }
    std::string_view u;
    if (Field("url").get_string().get(u) == simdjson::SUCCESS && !ValidUrl(u)) {
      Error(Ptr("url"), "url-format", "url " + Quote(u) + " is not a valid URL (RFC 3986)");
    }
  } else if (t == "email-message") {
    bool multipart = false;
    if (Field("is_multipart").get_bool().get(multipart) == simdjson::SUCCESS) {
      if (multipart && HasField("body")) {
        Error(Ptr("body"), "email-message-body",
              "a multipart message (is_multipart: true) must use body_multipart, not body");
      }
      if (!multipart && HasField("body_multipart")) {
        Error(Ptr("body_multipart"), "email-message-body",
              "body_multipart requires is_multipart: true");
      }
    }
    array parts;
    if (Field("body_multipart").get_array().get(parts) == simdjson::SUCCESS) {
      size_t i = 0;
      for (element p : parts) {
        std::string pp = Ptr("body_multipart") + "/" + std::to_string(i++);
        object part;
        if (p.get_object().get(part) != simdjson::SUCCESS) continue;
        if (Has(part, "body") == Has(part, "body_raw_ref")) {
          Error(pp, "email-message-body", "a MIME part needs exactly one of body or body_raw_ref");
        }
        element ref;
        if (part["body_raw_ref"].get(ref) == simdjson::SUCCESS) {
          CheckIdentifier(ref, "artifact|file", pp + "/body_raw_ref");
        }
      }
    }
    element headers;
    if (Field("additional_header_fields").get(headers) == simdjson::SUCCESS) {
      object h;
      if (headers.get_object().get(h) == simdjson::SUCCESS) {
        for (auto f : h) {
          std::string lower;
          for (char c : f.key) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          if (lower == "date" || lower == "content-type" || lower == "from" || lower == "sender" ||
              lower == "to" || lower == "cc" || lower == "bcc" || lower == "subject" ||
              lower == "received" || lower == "message-id") {
            Error(Ptr("additional_header_fields") + PointerToken(f.key), "email-message-header",
                  "header " + Quote(f.key) +
                      " has its own email-message property and must not be repeated here");
          }
        }
      }
    }
  } else if (t == "network-traffic") {
    if (!HasField("src_ref") && !HasField("dst_ref")) {
      Error(raw_.pointer, "network-traffic-fields",
            "network-traffic requires at least one of src_ref or dst_ref");
    }
    bool active = false;
    if (Field("is_active").get_bool().get(active) == simdjson::SUCCESS && active && HasField("end")) {
      Error(Ptr("end"), "network-traffic-fields", "an active flow (is_active: true) must not have 'end'");
    }
    CheckOrder("start", "end", false);
  } else if (t == "ipv4-addr" || t == "ipv6-addr" || t == "mac-addr") {
    std::string_view v = FieldString("value");
    if (!v.empty() || HasField("value")) {
      bool ok = t == "ipv4-addr" ? ValidIpv4(v, true) : t == "ipv6-addr" ? ValidIpv6(v) : ValidMac(v);
      if (!ok) {
        std::string expected = t == "ipv4-addr"   ? "an IPv4 address or CIDR block"
                               : t == "ipv6-addr" ? "an IPv6 address or CIDR block"
                                                  : "a lower-case colon-separated MAC (EUI-48)";
        Error(Ptr("value"), "address-format", Quote(v) + " is not " + expected);
      }
    }
  } else if (t == "url") {
    std::string_view v = FieldString("value");
    if (HasField("value") && !ValidUrl(v)) {
      Error(Ptr("value"), "url-format", Quote(v) + " is not a valid URL (RFC 3986)");
    }
  } else if (t == "email-addr") {
    std::string_view v = FieldString("value");
    if (HasField("value") && v.find('@') == std::string_view::npos) {
      Error(Ptr("value"), "address-format", Quote(v) + " is not an email address (RFC 5322 addr-spec)");
    }
  } else if (t == "file") {
    if (!HasField("hashes") && !HasField("name")) {
      Error(raw_.pointer, "required-property", "a file requires 'hashes' or 'name'");
    }
  } else if (t == "windows-registry-key") {
    array values;
    if (Field("values").get_array().get(values) == simdjson::SUCCESS) {
      size_t i = 0;
      for (element v : values) {
        std::string vp = Ptr("values") + "/" + std::to_string(i++);
        object value;
        if (v.get_object().get(value) != simdjson::SUCCESS) continue;
        if (!Has(value, "name") && !Has(value, "data") && !Has(value, "data_type")) {
          Error(vp, "empty-object", "a registry value needs name, data or data_type");
        }
        std::string_view dt;
        if (value["data_type"].get_string().get(dt) == simdjson::SUCCESS) {
          CheckVocab(dt, "windows-registry-datatype-enum", vp + "/data_type");
        }
      }
    }
  } else if (t == "language-content") {
    object contents;
    if (Field("contents").get_object().get(contents) == simdjson::SUCCESS) {
      for (auto lang : contents) {
        if (lang.value.type() != element_type::OBJECT) {
          Error(Ptr("contents") + PointerToken(lang.key), "property-type",
                "each language entry of 'contents' must be an object of translated properties");
        }
        if (!LooksLikeLanguageTag(lang.key)) {
          Error(Ptr("contents") + PointerToken(lang.key), "language-tag",
                "key " + Quote(lang.key) +
                    " of 'contents' must be an RFC 5646 language tag such as 'de' or 'pt-BR'");
        }
      }
    }
  }
}

void ObjectCheck::CheckMarkingDefinition() {
  for (std::string_view forbidden : {"modified", "revoked"}) {
    if (HasField(forbidden)) {
      Error(Ptr(forbidden), "marking-definition",
            "marking-definitions are never versioned, so " + Quote(forbidden) + " is not allowed");
    }
  }
  std::string_view definition_type = FieldString("definition_type");
  bool has_definition = HasField("definition");
  if (HasField("definition_type") != has_definition) {
    Error(raw_.pointer, "marking-definition",
          "'definition_type' and 'definition' must be given together");
  }
  element ext;
  bool has_extensions = Field("extensions").get(ext) == simdjson::SUCCESS;
  if (!has_definition && !has_extensions) {
    Error(raw_.pointer, "marking-definition",
          "a marking-definition needs 'definition' and 'definition_type', or an extension "
          "that defines the marking (such as TLP 2.0)");
  }
  const TlpMarking* known = FindTlpMarking(id_);
  if (definition_type == "tlp") {
    std::string_view colour;
    object definition;
    if (Field("definition").get_object().get(definition) == simdjson::SUCCESS) {
      if (definition["tlp"].get_string().get(colour) != simdjson::SUCCESS) colour = {};
    }
    if (!known || known->version != 1) {
      Error(Ptr("id"), "tlp-marking",
            "TLP 1.0 markings must use the ids fixed by STIX 2.1 §7.2.1.4; " + Quote(id_) +
                " is not one of them");
    } else if (colour != known->colour) {
      Error(Ptr("definition") + "/tlp", "tlp-marking",
            "marking " + Quote(id_) + " is TLP:" + std::string(known->name) +
                "; its definition.tlp must be " + Quote(known->colour));
    } else {
      std::string_view name = FieldString("name");
      std::string_view created = FieldString("created");
      if (created != "2017-01-20T00:00:00.000Z") {
        Error(Ptr("created"), "tlp-marking",
              "TLP 1.0 marking-definitions have created 2017-01-20T00:00:00.000Z");
      }
      if (HasField("name") && name != "TLP:" + std::string(known->name)) {
        Error(Ptr("name"), "tlp-marking",
              "TLP 1.0 marking " + Quote(id_) + " must be named " +
                  Quote("TLP:" + std::string(known->name)));
      }
    }
  } else if (definition_type == "statement") {
    object definition;
    std::string_view statement;
    if (Field("definition").get_object().get(definition) != simdjson::SUCCESS ||
        definition["statement"].get_string().get(statement) != simdjson::SUCCESS) {
      Error(Ptr("definition"), "marking-definition",
            "a statement marking needs definition.statement as a string");
    }
  } else if (known && known->version == 1) {
    Error(Ptr("definition_type"), "tlp-marking",
          "id " + Quote(id_) + " is a TLP 1.0 marking; definition_type must be \"tlp\"");
  }
  if (known && known->version == 2) {
    // TLP 2.0 (§1.2 of POLICY.md): the OASIS property extension carries the level.
    std::string_view level;
    object extensions, tlp2;
    bool ok = Field("extensions").get_object().get(extensions) == simdjson::SUCCESS &&
              extensions[kTlp20ExtensionId].get_object().get(tlp2) == simdjson::SUCCESS &&
              tlp2["tlp_2_0"].get_string().get(level) == simdjson::SUCCESS;
    if (!ok) {
      Error(Ptr("extensions"), "tlp-marking",
            "TLP 2.0 marking " + Quote(id_) + " must carry extension " +
                Quote(kTlp20ExtensionId) + " with 'tlp_2_0'");
    } else if (level != known->colour) {
      Error(Ptr("extensions") + PointerToken(kTlp20ExtensionId) + "/tlp_2_0", "tlp-marking",
            "marking " + Quote(id_) + " is TLP:" + std::string(known->name) +
                "; tlp_2_0 must be " + Quote(known->colour));
    }
  } else if (!known && has_extensions) {
    object extensions, tlp2;
    if (Field("extensions").get_object().get(extensions) == simdjson::SUCCESS &&
        extensions[kTlp20ExtensionId].get_object().get(tlp2) == simdjson::SUCCESS) {
      Error(Ptr("id"), "tlp-marking",
            "a TLP 2.0 marking must use one of the five OASIS ids; " + Quote(id_) +
                " is not one of them");
    }
  }
}

void ObjectCheck::CheckScoId(element root) {
  if (id_.empty()) return;
  Result<std::optional<std::string>> expected = ComputeScoId(root);
  if (!expected.ok() || !expected->has_value()) return;
  if (**expected != id_) {
    Warn(Ptr("id"), "sco-id-deterministic",
         "SCO id " + Quote(id_) + " is not the deterministic UUIDv5 id of its ID-contributing "
         "properties; expected " + Quote(**expected) + " (STIX 2.1 §2.9)");
  }
}

// ---------------------------------------------------------------------------------------------

// What reading produced, in input order: an object (or the end, or a read error) plus the
// top-level values that closed just before it. Reading is sequential; checking the objects is
// not, so everything the ordered bookkeeping needs is captured here.
struct ReadItem {
  // kBadValue: a structural error the reader skipped (one bad JSON line); reading goes on.
  enum Kind { kObject, kEnd, kError, kBadValue } kind = kObject;
  RawObject raw;
  std::vector<Envelope> finished;  // top-level values that closed before this item
  bool new_value = false;          // first object of a top-level value
  Container container = Container::kSingleObject;
  std::vector<std::pair<std::string, std::string>> envelope;  // its properties so far
  bool skip = false;               // inside a bundle already known to be STIX 2.0
  Status error;
};

// What checking one object produced; computed without shared state, so on any thread.
struct CheckResult {
  std::vector<Finding> findings;
  size_t errors = 0;
  size_t suppressed_errors = 0;
  size_t suppressed_warnings = 0;
  bool parse_failed = false;
  std::string id;
  std::string modified;
  bool has_spec_version = false;
  size_t text_hash = 0;
  std::string version_key;  // id '\0' modified, for duplicate detection
  size_t version_hash = 0;  // its hash, computed off the merging thread
  bool want_version = false;  // the caller wants the extracted fields of valid objects
  bool has_version = false;
  ObjectVersion version;

  void Reset() {
    findings.clear();
    errors = suppressed_errors = suppressed_warnings = 0;
    parse_failed = false;
    id.clear();
    modified.clear();
    has_spec_version = false;
    text_hash = version_hash = 0;
    version_key.clear();
    has_version = false;
  }
};

// A duplicate-detection key whose hash was computed by the worker that checked the object.
struct VersionKey {
  std::string key;
  size_t hash;
  bool operator==(const VersionKey& other) const { return key == other.key; }
};
struct VersionKeyHash {
  size_t operator()(const VersionKey& k) const { return k.hash; }
};

// Per-thread scratch: a simdjson parser and the field index.
struct CheckContext {
  simdjson::dom::parser parser;
  FieldIndex fields;
};

// The ordered part of validation: STIX 2.0 detection, held-back findings, bundle rules,
// duplicate ids, counting. Fed items and results strictly in input order.
class Merger {
 public:
  Merger(const ValidatorOptions& options, const FindingSink& sink, FileReport* report,
         const ObjectCallback* on_object = nullptr)
      : options_(options), sink_(sink), report_(*report), on_object_(on_object) {}

  // Returns false once the input is over (end or error).
  bool Consume(ReadItem& item, CheckResult* result);

 private:
  void Emit(const Finding& f) {
    ++(f.severity == Severity::kError ? report_.errors : report_.warnings);
    sink_(f);
  }
  Severity WarningSeverity() const {
    return options_.strict ? Severity::kError : Severity::kWarning;
  }
  void Flush() {
    for (const Finding& f : pending_) Emit(f);
    pending_.clear();
    pending_bytes_ = 0;
    holding_ = false;
  }
  void ObjectFinding(const Finding& f) {
    // STIX 2.0 is recognised by the bundle's spec_version "2.0" (2.1 bundles have none). When
    // that property follows `objects` (sorted-key writers such as python-stix2 do this), the
    // verdict is known only at the bundle's end, so findings of objects are held back until
    // then — bounded, and released as soon as an object proves the content is 2.1.
    // A budget in bytes, not findings: a sorted-key ATT&CK bundle holds ~25,000 (~6 MB) before
    // its spec_version "2.0" says they are void, and a count of 10,000 let them all out.
    constexpr size_t kMaxPendingBytes = size_t{64} << 20;
    const size_t bytes =
        sizeof(Finding) + f.message.size() + f.pointer.size() + f.object_id.size() + f.rule.size();
    if (holding_ && pending_bytes_ + bytes <= kMaxPendingBytes) {
      pending_.push_back(f);
      pending_bytes_ += bytes;
      return;
    }
    if (holding_) Flush();
    Emit(f);
  }
  void ReportStix20(uint64_t value_index) {
    report_.stix20 = true;
    Emit(Finding{Severity::kError, "", "/spec_version", "stix-2.0",
                 "this bundle is STIX 2.0 (bundle spec_version \"2.0\"); STIX 2.1 is required "
                 "here, and `ctihub import` upgrades 2.0 content to 2.1",
                 0, value_index});
  }
  void FinishValue(const Envelope& env);
  void StartValue(const ReadItem& item);

  const ValidatorOptions& options_;
  const FindingSink& sink_;
  FileReport& report_;
  const ObjectCallback* on_object_;
  std::vector<Finding> pending_;
  size_t pending_bytes_ = 0;
  bool holding_ = false;
  // (id, modified) of each object in the current top-level value → hash of its text, to tell a
  // repeated copy (harmless) from a conflicting representation of the same version (§3.6 MUST).
  absl::flat_hash_map<VersionKey, size_t, VersionKeyHash> versions_;
  uint64_t last_value_with_objects_ = UINT64_MAX;
  uint64_t current_value_ = UINT64_MAX;
  bool spec_version_seen_ = false;  // the current bundle's spec_version was already judged
};

void Merger::FinishValue(const Envelope& env) {
  if (env.container != Container::kBundle) {
    Flush();
    return;
  }
  std::string type, id, spec_version;
  for (const auto& [key, value] : env.properties) {
    if (key == "type") type = value;
    if (key == "id") id = value;
    if (key == "spec_version") spec_version = value;
  }
  bool judged = spec_version_seen_ && env.value_index == current_value_;
  if (spec_version == "\"2.0\"" && !judged) {
    pending_.clear();  // 2.0 content is reported once, not judged by 2.1 rules
    pending_bytes_ = 0;
    holding_ = false;
    ReportStix20(env.value_index);
  } else {
    Flush();
    if (!spec_version.empty() && spec_version != "\"2.0\"" && !judged) {
      Emit(Finding{WarningSeverity(), "", "/spec_version", "bundle-format",
                   "STIX 2.1 bundles have no spec_version property (found " + spec_version +
                       "); it is ignored",
                   0, env.value_index});
    }
  }
  auto bundle_error = [&](std::string pointer, std::string message) {
    Emit(Finding{Severity::kError, "", std::move(pointer), "bundle-format", std::move(message), 0,
                 env.value_index});
  };
  if (env.has_objects_array && env.value_index != last_value_with_objects_) {
    bundle_error("/objects", "a bundle's objects list must not be empty (§8.1, §2.12)");
  }
  if (type != "\"bundle\"") {
    bundle_error("/type",
                 "a top-level object with an 'objects' list must be a bundle (type \"bundle\")");
  }
  Result<Uuid> bundle_uuid = InvalidArgument("no id");
  if (id.size() > 10 && id.substr(0, 9) == "\"bundle--") {
    bundle_uuid = Uuid::Parse(std::string_view(id).substr(9, id.size() - 10));
  }
  if (!bundle_uuid.ok()) {
    bundle_error("/id", "a bundle requires an id of the form bundle--<UUID>, found " +
                            (id.empty() ? std::string("none") : id));
  } else if (bundle_uuid->version() != 4) {
    Emit(Finding{WarningSeverity(), "", "/id", "id-uuid-version",
                 "bundle ids should use a version 4 UUID (§2.9), found version " +
                     std::to_string(bundle_uuid->version()),
                 0, env.value_index});
  }
  if (env.objects_lists > 1) {
    Emit(Finding{Severity::kError, "", "/objects", "bundle-objects-twice",
                 "the bundle has " + std::to_string(env.objects_lists) +
                     " 'objects' lists: ambiguous JSON that most readers take as the last list "
                     "alone; the objects of every list were read",
                 0, env.value_index});
  }
  for (const auto& [key, value] : env.properties) {
    if (key == "type" || key == "id" || key == "spec_version") continue;
    if (key.substr(0, 2) != "x_") {
      Emit(Finding{WarningSeverity(), "", "/" + key, "bundle-format",
                   "bundles carry only type, id and objects; " + key + " is ignored", 0,
                   env.value_index});
    }
  }
}

void Merger::StartValue(const ReadItem& item) {
  Flush();
  current_value_ = item.raw.value_index;
  versions_.clear();
  spec_version_seen_ = false;
  holding_ = item.container == Container::kBundle;
  for (const auto& [key, value] : item.envelope) {
    if (key != "spec_version") continue;
    spec_version_seen_ = true;
    holding_ = false;
    if (value == "\"2.0\"") {
      ReportStix20(item.raw.value_index);
    } else {
      // §8: a bundle uses only type and id; extra properties are ignored, not invalid.
      Emit(Finding{WarningSeverity(), "", "/spec_version", "bundle-format",
                   "STIX 2.1 bundles have no spec_version property (found " + value +
                       "); it is ignored",
                   0, item.raw.value_index});
    }
  }
}

bool Merger::Consume(ReadItem& item, CheckResult* result) {
  for (const Envelope& env : item.finished) FinishValue(env);
  if (item.kind == ReadItem::kError || item.kind == ReadItem::kBadValue) {
    Flush();
    const Status& s = item.error;
    const bool io = s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDataLoss;
    const bool skipped = item.kind == ReadItem::kBadValue;
    std::string rule = skipped                                    ? "json-line"
                       : s.code() == StatusCode::kResourceExhausted ? "object-too-large"
                       : io                                       ? "io-error"
                                                                  : "json-syntax";
    std::string at = s.location().empty() ? "" : " (at " + s.location() + ")";
    Emit(Finding{Severity::kError, "", "", rule,
                 s.code() == StatusCode::kInvalidArgument
                     ? "not well-formed JSON: " + s.message() + at
                     : s.message() + at,
                 skipped ? item.raw.line : 0, item.raw.value_index});
    if (io) {
      report_.io_error = true;
      report_.io_message = s.message();
    }
    return item.kind == ReadItem::kBadValue;
  }
  if (item.kind == ReadItem::kEnd) {
    Flush();
    return false;
  }
  ++report_.objects;
  last_value_with_objects_ = item.raw.value_index;
  if (item.new_value) StartValue(item);
  ObjectVerdict verdict;
  auto notify = [&] {
    if (on_object_) (*on_object_)(item.raw, verdict);
  };
  if (item.skip) {  // reported once for the whole 2.0 bundle
    verdict.stix20 = true;
    notify();
    return true;
  }
  for (const Finding& f : result->findings) ObjectFinding(f);
  report_.errors += result->suppressed_errors;
  report_.warnings += result->suppressed_warnings;
  verdict.errors = result->errors;
  verdict.parse_failed = result->parse_failed;
  if (result->has_version) verdict.version = &result->version;
  if (result->errors > 0 || result->parse_failed) ++report_.invalid_objects;
  if (result->parse_failed) {
    notify();
    return true;
  }
  if (result->has_spec_version && holding_) Flush();  // 2.1 content: nothing to hold back
  if (!result->id.empty()) {
    auto [it, inserted] = versions_.try_emplace(
        VersionKey{std::move(result->version_key), result->version_hash}, result->text_hash);
    if (!inserted) {
      bool identical = it->second == result->text_hash;
      std::string which = result->modified.empty() ? "id" : "id and modified";
      ObjectFinding(Finding{
          identical ? WarningSeverity() : Severity::kError, result->id, item.raw.pointer,
          identical ? "duplicate-object" : "duplicate-id",
          identical ? "an identical copy of this object (same " + which +
                          ") appeared earlier in the same bundle"
                    : "another object with the same " + which +
                          " but different content appeared earlier in the same bundle; every "
                          "representation of one version must be identical (§3.6)",
          item.raw.line, item.raw.value_index});
      if (!identical) ++verdict.errors;
    }
  }
  notify();
  return true;
}

// Checks one object on its own (any thread).
void CheckObject(const RawObject& raw, const ValidatorOptions& options, CheckContext& context,
                 CheckResult* result) {
  const FindingSink sink = [result](const Finding& f) { result->findings.push_back(f); };
  ObjectCheck check(raw, sink, options, &context.fields);
  element root;
  simdjson::error_code err = context.parser.parse(raw.text).get(root);
  if (err != simdjson::SUCCESS) {
    check.ReportJsonError(err);
    result->parse_failed = true;
    result->errors = check.errors();
    return;
  }
  check.Run(root);
  result->errors = check.errors();
  result->suppressed_errors = check.suppressed_errors();
  result->suppressed_warnings = check.suppressed_warnings();
  result->id.assign(check.id());  // assign: reuses the buffer of a recycled result
  result->modified.assign(check.modified());
  result->has_spec_version = check.has_spec_version();
  if (result->want_version && result->errors == 0) {
    check.ExtractVersion(&result->version);
    result->has_version = true;
  }
  if (!result->id.empty()) {
    // XXH3: several times faster than std::hash on object-sized text; 64 bits make a false
    // "identical" between two different copies vanishingly unlikely.
    result->text_hash = XXH3_64bits(raw.text.data(), raw.text.size());
    result->version_key.reserve(result->id.size() + 1 + result->modified.size());
    result->version_key.append(result->id).push_back('\0');
    result->version_key.append(result->modified);
    result->version_hash = XXH3_64bits(result->version_key.data(), result->version_key.size());
  }
}

// Reads the next item, tracking which top-level value it belongs to.
class ItemReader {
 public:
  explicit ItemReader(ObjectReader& reader) : reader_(reader) {}

  void Next(ReadItem* item) {
    item->finished.clear();
    item->new_value = false;
    item->skip = false;
    Result<bool> more = reader_.Next(&item->raw);
    item->finished = reader_.TakeFinishedEnvelopes();
    if (!more.ok()) {
      item->kind = reader_.SkippedBadValue() ? ReadItem::kBadValue : ReadItem::kError;
      item->error = more.status();
      return;
    }
    if (!*more) {
      item->kind = ReadItem::kEnd;
      return;
    }
    item->kind = ReadItem::kObject;
    if (item->raw.value_index != value_) {
      value_ = item->raw.value_index;
      const Envelope& env = reader_.current_envelope();
      item->new_value = true;
      item->container = env.container;
      item->envelope = env.properties;
      stix20_ = false;
      for (const auto& [key, value] : env.properties) {
        if (key == "spec_version" && value == "\"2.0\"") stix20_ = true;
      }
    }
    item->skip = stix20_;
  }

 private:
  ObjectReader& reader_;
  uint64_t value_ = UINT64_MAX;
  bool stix20_ = false;
};

class Validator::Impl {
 public:
  explicit Impl(ValidatorOptions options) : options_(options) {}

  FileReport Validate(ObjectReader& reader, std::string path, const FindingSink& sink,
                      const ObjectCallback* on_object = nullptr);
  size_t ValidateOne(const RawObject& raw, const FindingSink& sink);

  ValidatorOptions options_;
  CheckContext context_;  // for the calling thread
  bool want_versions_ = false;  // set while a caller with an ObjectCallback validates

 private:
  void ValidateSequential(ItemReader& items, Merger& merger);
  void ValidateParallel(ItemReader& items, Merger& merger, int workers);
};

size_t Validator::Impl::ValidateOne(const RawObject& raw, const FindingSink& sink) {
  CheckResult result;
  CheckObject(raw, options_, context_, &result);
  for (const Finding& f : result.findings) sink(f);
  return result.errors;
}

void Validator::Impl::ValidateSequential(ItemReader& items, Merger& merger) {
  ReadItem item;
  CheckResult result;  // reused: its buffers keep their capacity
  for (;;) {
    items.Next(&item);
    result.Reset();
    result.want_version = want_versions_;
    if (item.kind == ReadItem::kObject && !item.skip) {
      CheckObject(item.raw, options_, context_, &result);
    }
    if (!merger.Consume(item, &result)) return;
  }
}

// Reading and the ordered bookkeeping stay on the calling thread; objects are checked in batches
// by `workers` threads. At most 2 × workers batches are in flight, so memory stays bounded, and
// results are merged in input order, so the output is identical to the sequential path.
void Validator::Impl::ValidateParallel(ItemReader& items, Merger& merger, int workers) {
  struct Batch {
    std::vector<ReadItem> items;  // the first `count` are in use
    std::vector<CheckResult> results;
    size_t count = 0;
    bool done = false;
  };
  constexpr size_t kBatchObjects = 256;
  constexpr size_t kBatchBytes = size_t{1} << 20;
  std::mutex mu;
  std::condition_variable work_ready, batch_done;
  std::deque<Batch*> queue;
  bool stopping = false;
  std::vector<std::thread> threads;
  for (int i = 0; i < workers; ++i) {
    threads.emplace_back([&] {
      CheckContext context;
      for (;;) {
        Batch* batch;
        {
          std::unique_lock<std::mutex> lock(mu);
          work_ready.wait(lock, [&] { return stopping || !queue.empty(); });
          if (queue.empty()) return;
          batch = queue.front();
          queue.pop_front();
        }
        batch->results.resize(batch->count);
        for (size_t k = 0; k < batch->count; ++k) {
          const ReadItem& item = batch->items[k];
          CheckResult& result = batch->results[k];
          result.Reset();
          result.want_version = want_versions_;
          if (item.kind == ReadItem::kObject && !item.skip) {
            CheckObject(item.raw, options_, context, &result);
          }
        }
        {
          std::lock_guard<std::mutex> lock(mu);
          batch->done = true;
        }
        batch_done.notify_all();
      }
    });
  }
  std::deque<std::unique_ptr<Batch>> in_flight;
  // Finished batches are reused, so object buffers keep their capacity: no allocation per object
  // in steady state.
  std::vector<std::unique_ptr<Batch>> spare;
  auto merge_front = [&]() -> bool {
    Batch* batch = in_flight.front().get();
    {
      std::unique_lock<std::mutex> lock(mu);
      batch_done.wait(lock, [&] { return batch->done; });
    }
    bool more = true;
    for (size_t k = 0; k < batch->count && more; ++k) {
      more = merger.Consume(batch->items[k], &batch->results[k]);
    }
    spare.push_back(std::move(in_flight.front()));
    in_flight.pop_front();
    return more;
  };
  bool input_over = false;
  bool more = true;
  while (more && !(input_over && in_flight.empty())) {
    if (!input_over && in_flight.size() < static_cast<size_t>(2 * workers)) {
      std::unique_ptr<Batch> batch;
      if (spare.empty()) {
        batch = std::make_unique<Batch>();
        batch->items.resize(kBatchObjects);
      } else {
        batch = std::move(spare.back());
        spare.pop_back();
        batch->done = false;
      }
      size_t count = 0, bytes = 0;
      while (count < kBatchObjects && bytes < kBatchBytes) {
        ReadItem& item = batch->items[count++];
        items.Next(&item);
        bytes += item.raw.text.size();
        if (item.kind == ReadItem::kEnd || item.kind == ReadItem::kError) {
          input_over = true;
          break;
        }
      }
      batch->count = count;
      {
        std::lock_guard<std::mutex> lock(mu);
        queue.push_back(batch.get());
      }
      work_ready.notify_one();
      in_flight.push_back(std::move(batch));
      continue;
    }
    more = merge_front();
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    stopping = true;
    queue.clear();
  }
  work_ready.notify_all();
  for (std::thread& t : threads) t.join();  // in-flight batches finish before they are freed
}

FileReport Validator::Impl::Validate(ObjectReader& reader, std::string path,
                                     const FindingSink& sink, const ObjectCallback* on_object) {
  FileReport report;
  report.path = std::move(path);
  Merger merger(options_, sink, &report, on_object);
  want_versions_ = on_object != nullptr;
  ItemReader items(reader);
  int workers = options_.threads;
  if (workers <= 0) workers = static_cast<int>(std::thread::hardware_concurrency());
  if (workers <= 1) {
    ValidateSequential(items, merger);
  } else {
    ValidateParallel(items, merger, workers);
  }
  report.bytes = reader.bytes_read();
  return report;
}

Validator::Validator(ValidatorOptions options) : impl_(std::make_unique<Impl>(options)) {}
Validator::~Validator() = default;

FileReport Validator::ValidateFile(const std::string& path, const FindingSink& sink) {
  Result<std::unique_ptr<ObjectReader>> reader =
      ObjectReader::OpenFile(path, impl_->options_.reader);
  if (!reader.ok()) {
    FileReport report;
    report.path = path;
    report.io_error = true;
    report.io_message = reader.status().message();
    return report;
  }
  return impl_->Validate(**reader, path, sink);
}

FileReport Validator::ValidateText(std::string text, const FindingSink& sink) {
  auto reader = ObjectReader::FromString(std::move(text), impl_->options_.reader);
  return impl_->Validate(*reader, "<text>", sink);
}

FileReport Validator::ValidateReader(ObjectReader& reader, const std::string& path,
                                     const FindingSink& sink, const ObjectCallback& on_object) {
  return impl_->Validate(reader, path, sink, &on_object);
}

size_t Validator::ValidateObject(const RawObject& raw, const FindingSink& sink) {
  return impl_->ValidateOne(raw, sink);
}

void EnvelopeFindings::Add(const Finding& f) {
  if (f.rule == "json-syntax" || f.rule == "object-too-large" || f.rule == "io-error") {
    if (unreadable.empty()) unreadable = f.message;
    return;
  }
  if (f.severity != Severity::kError || f.pointer.rfind("/objects/", 0) != 0) return;
  // "/objects/3/created" → "/created: "; the object itself ("/objects/3") → no prefix.
  size_t slash = f.pointer.find('/', 9);
  if (!errors.empty()) errors += "; ";
  errors += (slash == std::string::npos ? "" : f.pointer.substr(slash) + ": ") + f.message +
            " [" + f.rule + "]";
}

}  // namespace ctihub::stix
