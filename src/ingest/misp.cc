#include "ingest/misp.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/time.h"
#include "common/uuid.h"
#include "ingest/ioc_list.h"
#include "pattern/parser.h"
#include "stix/canonical_json.h"
#include "stix/markings.h"
#include "stix/sco_id.h"

// The mapping follows misp-stix (MISP/misp-stix, misp_stix_converter/misp2stix/, the converter
// MISP itself uses for STIX export) where it produces valid, matchable STIX, and departs from it
// where it does not; each departure is marked "misp-stix:" below.
//
// Attribute type            -> pattern (to_ids)                                 / SCOs (not to_ids)
// ip-src, ip-dst            -> network-traffic:{src,dst}_ref.type = 'ipv4-addr' AND ..._ref.value
//                              = '…' (ISSUBSET '…' for a CIDR)              / network-traffic+ip
// ip-src|port, ip-dst|port  -> as above AND network-traffic:{src,dst}_port = N / network-traffic+ip
// hostname|port             -> network-traffic:dst_ref.type = 'domain-name' AND dst_ref.value AND
//                              dst_port                                        / network-traffic+dn
// domain, hostname          -> domain-name:value                               / domain-name
// domain|ip                 -> domain-name:value AND domain-name:resolves_to_refs[*].value
// url, uri, link            -> url:value                 / url (if it has a scheme, else note)
// email                     -> email-addr:value                                 / email-addr
// email-src / email-dst     -> email-message:from_ref.value / to_refs[*].value  / message+addr
// email-subject, -body, -message-id, -reply-to, -x-mailer -> email-message:subject, body,
//                              message_id, additional_header_fields.'Reply-To' / 'X-Mailer'
// email-attachment          -> email-message:body_multipart[*].body_raw_ref.name / message+file
// md5 … sha3-512, ssdeep, tlsh -> file:hashes.<STIX name>                       / file
// filename|<hash>, malware-sample -> file:name AND file:hashes.<name>          / file
// filename, attachment      -> file:name                                        / file
// imphash (filename|imphash)-> file:extensions.'windows-pebinary-ext'.imphash   / note
// mutex                     -> mutex:name                                       / mutex
// regkey, regkey|value      -> windows-registry-key:key (AND values[*].data)    / registry key
// user-agent, http-method   -> network-traffic:extensions.'http-request-ext'.request_header.
//                              'User-Agent' / .request_method                  / note
// AS                        -> autonomous-system:number = N                     / autonomous-system
// mac-address               -> mac-addr:value (lower-case, ':')                 / mac-addr
// x509-fingerprint-md5/sha1/sha256 -> x509-certificate:hashes.<name>           / x509-certificate
// ja3-fingerprint-md5       -> network-traffic:x_ja3_fingerprint_md5 (no STIX property exists;
//                              a custom property keeps the pattern on the SCO a sensor reports)
// port, size-in-bytes       -> network-traffic:dst_port = N, file:size = N     / note
// snort, suricata, yara, sigma, stix2-pattern -> indicator with that pattern_type / note
// vulnerability -> vulnerability SDO; campaign-name -> campaign; threat-actor -> threat-actor;
// text, comment, other -> note.

namespace ctihub::ingest {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;
using stix::JsonWriter;
using stix::TlpLevel;

// ---------------------------------------------------------------------------------------------
// Small text helpers

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' ||
                        s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' ||
                        s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool IsHexOfLength(std::string_view s, size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), IsHexDigit);
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A STIX pattern string literal: only ' and \ are escaped (STIX 2.1 §9.4, StringLiteral).
std::string PatternString(std::string_view v) {
  std::string out;
  out.reserve(v.size() + 2);
  out.push_back('\'');
  for (char c : v) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

// "Payload delivery" -> "payload-delivery": kill chain names are lower case with hyphens (§3.5).
std::string KillChainName(std::string_view s) {
  std::string out;
  for (char c : Trim(s)) {
    if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if (c == ' ' || c == '_') {
      if (!out.empty() && out.back() != '-') out.push_back('-');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// MISP relationship types ("communicates-with", "Analysed_with", "drops") -> STIX relationship
// type syntax (lower case a-z, 0-9 and '-'). Empty when nothing usable is left.
std::string RelationshipType(std::string_view s) {
  std::string out;
  for (char c : Trim(s)) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out.push_back(c);
    } else if (!out.empty() && out.back() != '-') {
      out.push_back('-');
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() < 3) return {};
  return out;
}

// x_misp_<relation> with the relation reduced to [a-z0-9_] (custom property names, §3.1).
std::string CustomPropertyName(std::string_view relation) {
  std::string out = "x_misp_";
  for (char c : relation) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out.push_back((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '_');
  }
  if (out.size() > 250) out.resize(250);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Value checks, so that no SCO or pattern the converter writes fails validation.

bool ValidIpv4(std::string_view s) {
  size_t slash = s.find('/');
  std::string_view addr = s.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view prefix = s.substr(slash + 1);
    if (!IsDigits(prefix) || prefix.size() > 2 || std::stoi(std::string(prefix)) > 32) return false;
  }
  int parts = 0;
  size_t i = 0;
  while (true) {
    size_t dot = addr.find('.', i);
    std::string_view part = addr.substr(i, dot == std::string_view::npos ? addr.npos : dot - i);
    if (!IsDigits(part) || part.size() > 3 || (part.size() > 1 && part[0] == '0')) return false;
    if (std::stoi(std::string(part)) > 255) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    i = dot + 1;
  }
  return parts == 4;
}

bool ValidIpv6Groups(std::string_view part, bool allow_v4_tail, int* groups) {
  if (part.empty()) return true;
  size_t i = 0;
  while (true) {
    size_t colon = part.find(':', i);
    std::string_view g = part.substr(i, colon == std::string_view::npos ? part.npos : colon - i);
    if (colon == std::string_view::npos && allow_v4_tail && g.find('.') != std::string_view::npos) {
      if (!ValidIpv4(g) || g.find('/') != std::string_view::npos) return false;
      *groups += 2;
      return true;
    }
    if (g.empty() || g.size() > 4 || !std::all_of(g.begin(), g.end(), IsHexDigit)) return false;
    ++*groups;
    if (colon == std::string_view::npos) return true;
    i = colon + 1;
  }
}

bool ValidIpv6(std::string_view s) {
  size_t slash = s.find('/');
  std::string_view addr = s.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view prefix = s.substr(slash + 1);
    if (!IsDigits(prefix) || prefix.size() > 3 || std::stoi(std::string(prefix)) > 128) {
      return false;
    }
  }
  if (addr.find(':') == std::string_view::npos) return false;
  int groups = 0;
  size_t dc = addr.find("::");
  if (dc == std::string_view::npos) {
    return ValidIpv6Groups(addr, true, &groups) && groups == 8;
  }
  if (addr.find("::", dc + 1) != std::string_view::npos) return false;
  std::string_view left = addr.substr(0, dc), right = addr.substr(dc + 2);
  return ValidIpv6Groups(left, false, &groups) && ValidIpv6Groups(right, true, &groups) &&
         groups < 8;
}

// 4 or 6 for a valid address or CIDR, 0 otherwise.
int IpVersion(std::string_view s) {
  if (ValidIpv4(s)) return 4;
  if (ValidIpv6(s)) return 6;
  return 0;
}

// "AA-BB-CC-DD-EE-FF" / "aabb.ccdd.eeff" / "aa:bb:…" -> "aa:bb:cc:dd:ee:ff"; empty if not a MAC.
std::string NormaliseMac(std::string_view s) {
  std::string hex;
  for (char c : s) {
    if (IsHexDigit(c)) {
      hex.push_back(static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c));
    } else if (c != ':' && c != '-' && c != '.') {
      return {};
    }
  }
  if (hex.size() != 12) return {};
  std::string out;
  for (size_t i = 0; i < 12; i += 2) {
    if (!out.empty()) out.push_back(':');
    out.append(hex, i, 2);
  }
  return out;
}

// RFC 3986 §3.1: a URL value needs a scheme (what the validator checks on url SCOs).
bool HasUrlScheme(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= s.size()) return false;
  if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return false;
  for (size_t i = 1; i < colon; ++i) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '+' || c == '-' || c == '.')) {
      return false;
    }
  }
  return std::none_of(s.begin(), s.end(),
                      [](char c) { return static_cast<unsigned char>(c) <= 0x20; });
}

// CVE-YYYY-NNNN… (§2.5 external reference form).
bool IsCve(std::string_view s) {
  if (s.size() < 13 || s.substr(0, 4) != "CVE-" || s[8] != '-') return false;
  return IsDigits(s.substr(4, 4)) && IsDigits(s.substr(9));
}

std::optional<int64_t> ParsePort(std::string_view s) {
  s = Trim(s);
  if (!IsDigits(s) || s.size() > 5) return std::nullopt;
  int64_t p = std::stoll(std::string(s));
  if (p > 65535) return std::nullopt;
  return p;
}

std::optional<int64_t> ParseNonNegative(std::string_view s) {
  s = Trim(s);
  if (!IsDigits(s) || s.size() > 15) return std::nullopt;
  return std::stoll(std::string(s));
}

// "AS174", "as 174", "174" -> 174 (autonomous-system:number is an integer).
std::optional<int64_t> ParseAsn(std::string_view s) {
  s = Trim(s);
  if (s.size() >= 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's')) {
    s = Trim(s.substr(2));
  }
  auto n = ParseNonNegative(s);
  if (!n || *n > 4294967295LL) return std::nullopt;
  return n;
}

struct HashAlgo {
  std::string_view misp;  // MISP attribute type
  std::string_view stix;  // hash-algorithm-ov name (or the OASIS spelling of the same algorithm)
  size_t hex_length;      // 0: not a fixed-length hex digest
};

constexpr HashAlgo kHashAlgos[] = {
    {"md5", "MD5", 32},           {"sha1", "SHA-1", 40},          {"sha224", "SHA-224", 56},
    {"sha256", "SHA-256", 64},    {"sha384", "SHA-384", 96},      {"sha512", "SHA-512", 128},
    {"sha3-224", "SHA3-224", 56}, {"sha3-256", "SHA3-256", 64},   {"sha3-384", "SHA3-384", 96},
    {"sha3-512", "SHA3-512", 128}, {"ssdeep", "SSDEEP", 0},       {"tlsh", "TLSH", 0},
};

const HashAlgo* FindHashAlgo(std::string_view misp_type) {
  for (const HashAlgo& h : kHashAlgos) {
    if (h.misp == misp_type) return &h;
  }
  return nullptr;
}

// The digest as it goes into STIX (hex lower-cased), or empty when it does not fit the algorithm.
std::string NormaliseHash(const HashAlgo& algo, std::string_view v) {
  v = Trim(v);
  if (algo.hex_length != 0) {
    if (!IsHexOfLength(v, algo.hex_length)) return {};
    return Lower(v);
  }
  if (v.empty() || v.size() > 128) return {};
  for (char c : v) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '/' || c == '+' || c == ':' || c == '.';
    if (!ok) return {};
  }
  return std::string(v);
}

// `file:hashes.MD5`, `file:hashes.'SHA-256'`.
std::string HashPath(std::string_view prefix, std::string_view stix_name) {
  std::string out(prefix);
  out += ".";
  if (stix_name.find('-') != std::string_view::npos) {
    out += PatternString(stix_name);
  } else {
    out += stix_name;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Times. MISP writes epoch seconds as strings or numbers, dates as YYYY-MM-DD, first_seen /
// last_seen as ISO 8601 with an offset ("2020-10-25T16:22:00.000000+00:00").

// Howard Hinnant's days_from_civil.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

constexpr int64_t kMicrosPerSecond = 1000000;

// STIX timestamps the hub writes have millisecond precision; truncating once here keeps every
// comparison (valid_until > valid_from, created <= modified) true of the text as written.
Timestamp ToMillis(int64_t micros) {
  int64_t ms = micros / 1000;
  if (micros < 0 && micros % 1000 != 0) --ms;
  return Timestamp(ms * 1000);
}

std::optional<int> Digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// "YYYY-MM-DD" and "YYYY-MM-DD[T ]HH:MM[:SS[.frac]][Z|±HH[:]MM]" (no offset = UTC).
std::optional<Timestamp> ParseIsoTime(std::string_view s) {
  s = Trim(s);
  auto y = Digits(s, 0, 4), mo = Digits(s, 5, 2), d = Digits(s, 8, 2);
  if (!y || !mo || !d || s[4] != '-' || s[7] != '-' || *mo < 1 || *mo > 12 || *d < 1 || *d > 31) {
    return std::nullopt;
  }
  int64_t secs = DaysFromCivil(*y, static_cast<unsigned>(*mo), static_cast<unsigned>(*d)) * 86400;
  int64_t micros = 0;
  size_t i = 10;
  if (i < s.size()) {
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return std::nullopt;
    auto h = Digits(s, 11, 2), mi = Digits(s, 14, 2);
    if (!h || !mi || s.size() < 16 || s[13] != ':' || *h > 23 || *mi > 59) return std::nullopt;
    secs += *h * 3600 + *mi * 60;
    i = 16;
    if (i < s.size() && s[i] == ':') {
      auto sec = Digits(s, 17, 2);
      if (!sec || *sec > 60) return std::nullopt;
      secs += std::min(*sec, 59);
      i = 19;
      if (i < s.size() && s[i] == '.') {
        ++i;
        int64_t scale = 100000;
        size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
          if (scale > 0) micros += (s[i] - '0') * scale;
          scale /= 10;
          ++i;
        }
        if (i == start) return std::nullopt;
      }
    }
    if (i < s.size()) {
      if (s[i] == 'Z' || s[i] == 'z') {
        ++i;
      } else if (s[i] == '+' || s[i] == '-') {
        int sign = s[i] == '+' ? 1 : -1;
        auto oh = Digits(s, i + 1, 2);
        size_t mpos = i + 3;
        if (mpos < s.size() && s[mpos] == ':') ++mpos;
        auto om = Digits(s, mpos, 2);
        if (!oh || !om) return std::nullopt;
        secs -= sign * (*oh * 3600 + *om * 60);
        i = mpos + 2;
      }
      if (i != s.size()) return std::nullopt;
    }
  }
  return ToMillis(secs * kMicrosPerSecond + micros);
}

// Epoch seconds ("1603642920", 1603642920, "1603642920.5"); 0 and negatives mean "not set" in
// MISP (publish_timestamp "0" on unpublished events).
std::optional<Timestamp> ParseEpoch(std::string_view s) {
  s = Trim(s);
  size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  if (!IsDigits(whole) || whole.size() > 12) return std::nullopt;
  int64_t secs = std::stoll(std::string(whole));
  // Past 9999-12-31 a time has no RFC 3339 form (found by fuzz/misp_fuzz): treat as not set.
  constexpr int64_t kLastRfc3339Second = 253402300799;
  if (secs <= 0 || secs > kLastRfc3339Second) return std::nullopt;
  int64_t micros = 0;
  if (dot != std::string_view::npos) {
    int64_t scale = 100000;
    for (char c : s.substr(dot + 1)) {
      if (c < '0' || c > '9') return std::nullopt;
      micros += (c - '0') * scale;
      scale /= 10;
    }
  }
  return ToMillis(secs * kMicrosPerSecond + micros);
}

// ---------------------------------------------------------------------------------------------
// TLP and distribution

struct Tlp2Marking {
  TlpLevel level;
  std::string_view id;
  std::string_view name;
  std::string_view value;
};

// The OASIS TLP 2.0 marking-definitions (cti-stix-common-objects, extension-definition-
// specifications/tlp-2.0); shared/docs/POLICY.md §1.2.
constexpr Tlp2Marking kTlp2[] = {
    {TlpLevel::kClear, "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR",
     "clear"},
    {TlpLevel::kGreen, "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN",
     "green"},
    {TlpLevel::kAmber, "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER",
     "amber"},
    {TlpLevel::kAmberStrict, "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
     "TLP:AMBER+STRICT", "amber+strict"},
    {TlpLevel::kRed, "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED",
     "red"},
};

const Tlp2Marking& Tlp2For(TlpLevel level) { return kTlp2[static_cast<int>(level)]; }

// What a tag says of TLP, in the spellings MISP instances use: "tlp:amber", "TLP:Amber",
// "tlp: red", "tlp_red", "tlp-red", tlp="red", "tlp:amber+strict", "TLP:WHITE" name a level.
// `tlp` is set for every tag in the tlp namespace but its extensions (tlp:ex:chr, which stays
// a label); `level` only for those naming a level this importer knows.
struct TlpTag {
  bool tlp = false;
  std::optional<TlpLevel> level;
};

TlpTag ReadTlpTag(std::string_view tag) {
  std::string t = Lower(Trim(tag));
  constexpr std::string_view kSeparators = ":_-= \"'";
  if (t.size() < 4 || t.compare(0, 3, "tlp") != 0 ||
      kSeparators.find(t[3]) == std::string_view::npos) {
    return {};
  }
  std::string_view v = std::string_view(t).substr(3);
  while (!v.empty() && kSeparators.find(v.front()) != std::string_view::npos) v.remove_prefix(1);
  while (!v.empty() && (v.back() == '"' || v.back() == '\'' || v.back() == ' ')) v.remove_suffix(1);
  if (v.starts_with("ex:")) return {};  // an extension of TLP, not a level
  if (v == "clear" || v == "white") return {true, TlpLevel::kClear};
  if (v == "green") return {true, TlpLevel::kGreen};
  if (v == "amber") return {true, TlpLevel::kAmber};
  if (v == "amber+strict" || v == "amber strict" || v == "amber_strict") {
    return {true, TlpLevel::kAmberStrict};
  }
  if (v == "red") return {true, TlpLevel::kRed};
  return {true, std::nullopt};
}

std::optional<TlpLevel> TlpFromTag(std::string_view tag) { return ReadTlpTag(tag).level; }

std::optional<TlpLevel> MaxTlp(std::optional<TlpLevel> a, std::optional<TlpLevel> b) {
  if (!a) return b;
  if (!b) return a;
  return std::max(*a, *b);
}

// MISP distribution (shared/docs/POLICY.md §3). level -1 = MISP gave none.
struct Distribution {
  int level = -1;
  std::string sg_uuid, sg_name, sg_id;  // level 4 only

  bool SameSharingGroup(const Distribution& o) const {
    if (!sg_uuid.empty() && !o.sg_uuid.empty()) return sg_uuid == o.sg_uuid;
    if (!sg_id.empty() && !o.sg_id.empty()) return sg_id == o.sg_id;
    return sg_uuid == o.sg_uuid && sg_id == o.sg_id && sg_name == o.sg_name;
  }
};

// The stricter of two distributions: 0 (org only) < 4 (sharing group) < 1 < 2 < 3. Two different
// sharing groups have no expressible intersection, so they give 0 (fail closed). An unknown side
// (-1) or 5 (inherit) takes the other side.
Distribution JoinDistribution(const Distribution& a, const Distribution& b) {
  if (a.level < 0 || a.level == 5) return b.level == 5 ? Distribution{} : b;
  if (b.level < 0 || b.level == 5) return a;
  if (a.level == 0 || b.level == 0) return Distribution{0, {}, {}, {}};
  if (a.level == 4 && b.level == 4) {
    return a.SameSharingGroup(b) ? a : Distribution{0, {}, {}, {}};
  }
  if (a.level == 4) return a;
  if (b.level == 4) return b;
  return a.level < b.level ? a : b;
}

// What every object made from MISP content is stamped with.
struct Stamp {
  std::optional<TlpLevel> tlp;
  Distribution dist;
};

Stamp JoinStamp(const Stamp& a, const Stamp& b) {
  return Stamp{MaxTlp(a.tlp, b.tlp), JoinDistribution(a.dist, b.dist)};
}

// ---------------------------------------------------------------------------------------------
// The MISP data model, copied out of the DOM with every type checked.

struct Cluster {
  std::string uuid, type, value, description, tag_name;
  std::vector<std::string> synonyms, refs, external_ids, kill_chain;
};

struct Galaxy {
  std::string type, name;
  std::vector<Cluster> clusters;
};

struct Attribute {
  std::string key;  // uuid (lower case) or a derived stand-in, unique within the event
  std::string uuid;  // as given (may be empty or not a UUID)
  std::string type, category, value, comment, relation;
  std::optional<bool> to_ids;
  bool deleted = false;
  Distribution dist;
  std::optional<Timestamp> timestamp, first_seen, last_seen;
  std::string bad_times;  // first_seen / last_seen given but not a time
  std::vector<std::string> tags;
  std::vector<Galaxy> galaxies;
  size_t sightings = 0;
  std::string path;  // JSON pointer
  // restSearch attribute output names each attribute's event in a nested "Event".
  struct ParentEvent {
    std::string uuid, info;
    Distribution dist;
    std::optional<Timestamp> date, timestamp;
  };
  std::optional<ParentEvent> parent;
};

struct Reference {
  std::string uuid, source_uuid, referenced_uuid, relationship_type, comment;
  std::optional<Timestamp> timestamp;
  std::string path;
};

struct MispObject {
  std::string key, uuid, name, meta_category, comment;
  bool deleted = false;
  Distribution dist;
  std::optional<Timestamp> timestamp, first_seen, last_seen;
  std::vector<Attribute> attributes;
  std::vector<Reference> references;
  std::string path;
};

struct Event {
  std::string key;  // uuid or the UUIDv5 of the event's canonical JSON
  std::string uuid, info, orgc_name, orgc_uuid;
  Distribution dist;
  std::optional<Timestamp> date, timestamp, publish_timestamp;
  std::optional<bool> published;
  // A restSearch result ({"response": {...}} without a uuid, or the collection of entries), not
  // an event: its attributes may name their events (SplitByParentEvent).
  bool collection = false;
  std::vector<std::string> tags;
  std::vector<Galaxy> galaxies;
  std::vector<Attribute> attributes;
  std::vector<MispObject> objects;
  std::string path;
};

std::string_view KindName(element_type t) {
  switch (t) {
    case element_type::ARRAY:
      return "an array";
    case element_type::OBJECT:
      return "an object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "a number";
    case element_type::STRING:
      return "a string";
    case element_type::BOOL:
      return "a boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "a value";
}

// Reads members of one MISP JSON object and turns type mismatches into InvalidArgument naming the
// entity (`who`, e.g. "attribute 4bb2…") with the JSON pointer of the member as location.
class Members {
 public:
  Members(object obj, std::string path, std::string who)
      : obj_(obj), path_(std::move(path)), who_(std::move(who)) {}

  const std::string& path() const { return path_; }
  const std::string& who() const { return who_; }
  std::string PathOf(std::string_view key) const { return path_ + "/" + std::string(key); }

  Status Error(std::string_view key, std::string_view expected, element value) const {
    return InvalidArgument(who_ + ": '" + std::string(key) + "' must be " +
                               std::string(expected) + ", found " +
                               std::string(KindName(value.type())),
                           PathOf(key));
  }

  // Absent or null -> false.
  bool Find(std::string_view key, element* out) const {
    if (obj_[key].get(*out) != simdjson::SUCCESS) return false;
    return out->type() != element_type::NULL_VALUE;
  }

  // Strings and numbers as text (MISP writes ids, timestamps and even values either way).
  Status Text(std::string_view key, std::string* out) const {
    element e;
    if (!Find(key, &e)) return Status::Ok();
    switch (e.type()) {
      case element_type::STRING:
        *out = std::string(e.get_string().value_unsafe());
        return Status::Ok();
      case element_type::INT64:
        *out = std::to_string(e.get_int64().value_unsafe());
        return Status::Ok();
      case element_type::UINT64:
        *out = std::to_string(e.get_uint64().value_unsafe());
        return Status::Ok();
      case element_type::DOUBLE: {
        JsonWriter w;
        w.Double(e.get_double().value_unsafe());
        *out = w.str();
        return Status::Ok();
      }
      default:
        return Error(key, "a string or a number", e);
    }
  }

  // true/false, "1"/"0", "true"/"false", 1/0.
  Status Bool(std::string_view key, std::optional<bool>* out) const {
    element e;
    if (!Find(key, &e)) return Status::Ok();
    if (e.type() == element_type::BOOL) {
      *out = e.get_bool().value_unsafe();
      return Status::Ok();
    }
    std::string text;
    if (e.type() == element_type::STRING || e.type() == element_type::INT64 ||
        e.type() == element_type::UINT64) {
      CTI_RETURN_IF_ERROR(Text(key, &text));
      std::string t = Lower(Trim(text));
      if (t == "1" || t == "true") {
        *out = true;
        return Status::Ok();
      }
      if (t == "0" || t == "false" || t.empty()) {
        *out = false;
        return Status::Ok();
      }
    }
    return Error(key, "a boolean (true/false, \"1\"/\"0\")", e);
  }

  Status Epoch(std::string_view key, std::optional<Timestamp>* out) const {
    std::string text;
    CTI_RETURN_IF_ERROR(Text(key, &text));
    if (Trim(text).empty()) return Status::Ok();
    *out = ParseEpoch(text);
    if (!*out && Trim(text) != "0") {
      return InvalidArgument(who_ + ": '" + std::string(key) + "' must be epoch seconds, found \"" +
                                 text + "\"",
                             PathOf(key));
    }
    return Status::Ok();
  }

  // ISO 8601 (first_seen, last_seen, date). Unparseable values are ignored: they only refine
  // times that have a fallback.
  // `bad` (may be null) collects "first_seen 'text'" for a value that is not a time.
  Status Iso(std::string_view key, std::optional<Timestamp>* out, std::string* bad = nullptr) const {
    std::string text;
    CTI_RETURN_IF_ERROR(Text(key, &text));
    if (!Trim(text).empty()) {
      *out = ParseIsoTime(text);
      if (!*out && bad) {
        *bad += (bad->empty() ? "" : ", ") + std::string(key) + " '" + text.substr(0, 40) + "'";
      }
    }
    return Status::Ok();
  }

  Status Array(std::string_view key, std::optional<array>* out) const {
    element e;
    if (!Find(key, &e)) return Status::Ok();
    array a;
    if (e.get_array().get(a) != simdjson::SUCCESS) return Error(key, "an array", e);
    *out = a;
    return Status::Ok();
  }

  Status Object(std::string_view key, std::optional<object>* out) const {
    element e;
    if (!Find(key, &e)) return Status::Ok();
    object o;
    if (e.get_object().get(o) != simdjson::SUCCESS) return Error(key, "an object", e);
    *out = o;
    return Status::Ok();
  }

  Status Dist(std::string_view key, Distribution* out) const {
    std::string text;
    CTI_RETURN_IF_ERROR(Text(key, &text));
    text = std::string(Trim(text));
    if (text.empty()) return Status::Ok();
    if (text.size() != 1 || text[0] < '0' || text[0] > '5') {
      return InvalidArgument(who_ + ": '" + std::string(key) + "' must be 0-5, found \"" + text +
                                 "\"",
                             PathOf(key));
    }
    out->level = text[0] - '0';
    return Status::Ok();
  }

  // sharing_group_id and the SharingGroup {uuid, name} object, when distribution is 4.
  Status SharingGroupOf(Distribution* out) const {
    if (out->level != 4) return Status::Ok();
    CTI_RETURN_IF_ERROR(Text("sharing_group_id", &out->sg_id));
    std::optional<object> sg;
    CTI_RETURN_IF_ERROR(Object("SharingGroup", &sg));
    if (sg) {
      Members m(*sg, PathOf("SharingGroup"), who_);
      CTI_RETURN_IF_ERROR(m.Text("uuid", &out->sg_uuid));
      CTI_RETURN_IF_ERROR(m.Text("name", &out->sg_name));
      if (out->sg_id.empty()) CTI_RETURN_IF_ERROR(m.Text("id", &out->sg_id));
    }
    return Status::Ok();
  }

 private:
  object obj_;
  std::string path_;
  std::string who_;
};

Status ElementAsObject(element e, const std::string& path, const std::string& who,
                       object* out) {
  if (e.get_object().get(*out) != simdjson::SUCCESS) {
    return InvalidArgument(who + ": expected an object, found " + std::string(KindName(e.type())),
                           path);
  }
  return Status::Ok();
}

// "Tag": [{"name": "tlp:green"}, …] (strings accepted too).
Status ParseTags(const Members& m, std::vector<std::string>* tags) {
  std::optional<array> list;
  CTI_RETURN_IF_ERROR(m.Array("Tag", &list));
  if (!list) return Status::Ok();
  size_t i = 0;
  for (element item : *list) {
    std::string path = m.PathOf("Tag") + "/" + std::to_string(i++);
    if (item.type() == element_type::STRING) {
      tags->emplace_back(item.get_string().value_unsafe());
      continue;
    }
    object tag;
    CTI_RETURN_IF_ERROR(ElementAsObject(item, path, m.who(), &tag));
    std::string name;
    CTI_RETURN_IF_ERROR(Members(tag, path, m.who()).Text("name", &name));
    if (!Trim(name).empty()) tags->push_back(std::string(Trim(name)));
  }
  return Status::Ok();
}

// A cluster `meta` entry: a string or a list of strings (other shapes are ignored).
void MetaStrings(object meta, std::string_view key, std::vector<std::string>* out) {
  element e;
  if (meta[key].get(e) != simdjson::SUCCESS) return;
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) {
    out->emplace_back(s);
    return;
  }
  array a;
  if (e.get_array().get(a) != simdjson::SUCCESS) return;
  for (element item : a) {
    if (item.get_string().get(s) == simdjson::SUCCESS) out->emplace_back(s);
  }
}

Status ParseGalaxies(const Members& m, std::vector<Galaxy>* out) {
  std::optional<array> list;
  CTI_RETURN_IF_ERROR(m.Array("Galaxy", &list));
  if (!list) return Status::Ok();
  size_t gi = 0;
  for (element item : *list) {
    std::string gpath = m.PathOf("Galaxy") + "/" + std::to_string(gi++);
    object gobj;
    CTI_RETURN_IF_ERROR(ElementAsObject(item, gpath, m.who(), &gobj));
    Members g(gobj, gpath, m.who());
    Galaxy galaxy;
    CTI_RETURN_IF_ERROR(g.Text("type", &galaxy.type));
    CTI_RETURN_IF_ERROR(g.Text("name", &galaxy.name));
    std::optional<array> clusters;
    CTI_RETURN_IF_ERROR(g.Array("GalaxyCluster", &clusters));
    if (clusters) {
      size_t ci = 0;
      for (element citem : *clusters) {
        std::string cpath = g.PathOf("GalaxyCluster") + "/" + std::to_string(ci++);
        object cobj;
        CTI_RETURN_IF_ERROR(ElementAsObject(citem, cpath, m.who(), &cobj));
        Members c(cobj, cpath, m.who());
        Cluster cluster;
        CTI_RETURN_IF_ERROR(c.Text("uuid", &cluster.uuid));
        CTI_RETURN_IF_ERROR(c.Text("type", &cluster.type));
        CTI_RETURN_IF_ERROR(c.Text("value", &cluster.value));
        CTI_RETURN_IF_ERROR(c.Text("description", &cluster.description));
        CTI_RETURN_IF_ERROR(c.Text("tag_name", &cluster.tag_name));
        if (cluster.type.empty()) cluster.type = galaxy.type;
        element meta_el;
        if (c.Find("meta", &meta_el) && meta_el.type() == element_type::OBJECT) {
          object mo = meta_el.get_object().value_unsafe();
          MetaStrings(mo, "synonyms", &cluster.synonyms);
          MetaStrings(mo, "refs", &cluster.refs);
          MetaStrings(mo, "external_id", &cluster.external_ids);
          MetaStrings(mo, "kill_chain", &cluster.kill_chain);
        }
        if (!Trim(cluster.value).empty()) galaxy.clusters.push_back(std::move(cluster));
      }
    }
    out->push_back(std::move(galaxy));
  }
  return Status::Ok();
}

// The key an entity's ids derive from: its uuid when it is one, else a name unique in the event.
std::string EntityKey(std::string_view uuid, const std::string& event_key, element e) {
  if (Uuid::IsValid(uuid)) return Lower(uuid);
  if (!Trim(uuid).empty()) return event_key + "/" + std::string(Trim(uuid));
  return event_key + "/" + Uuid::V5(*Uuid::Parse(kMispStixNamespace), stix::CanonicalJson(e))
                               .ToString();
}

Status ParseAttribute(element e, const std::string& path, const std::string& event_key,
                      Attribute* out) {
  object obj;
  CTI_RETURN_IF_ERROR(ElementAsObject(e, path, "attribute", &obj));
  std::string uuid;
  CTI_RETURN_IF_ERROR(Members(obj, path, "attribute").Text("uuid", &uuid));
  Members m(obj, path, uuid.empty() ? "attribute at " + path : "attribute " + uuid);
  out->uuid = uuid;
  out->key = EntityKey(uuid, event_key, e);
  out->path = path;
  CTI_RETURN_IF_ERROR(m.Text("type", &out->type));
  CTI_RETURN_IF_ERROR(m.Text("category", &out->category));
  CTI_RETURN_IF_ERROR(m.Text("value", &out->value));
  CTI_RETURN_IF_ERROR(m.Text("comment", &out->comment));
  CTI_RETURN_IF_ERROR(m.Text("object_relation", &out->relation));
  CTI_RETURN_IF_ERROR(m.Bool("to_ids", &out->to_ids));
  std::optional<bool> deleted;
  CTI_RETURN_IF_ERROR(m.Bool("deleted", &deleted));
  out->deleted = deleted.value_or(false);
  CTI_RETURN_IF_ERROR(m.Dist("distribution", &out->dist));
  CTI_RETURN_IF_ERROR(m.SharingGroupOf(&out->dist));
  CTI_RETURN_IF_ERROR(m.Epoch("timestamp", &out->timestamp));
  CTI_RETURN_IF_ERROR(m.Iso("first_seen", &out->first_seen, &out->bad_times));
  CTI_RETURN_IF_ERROR(m.Iso("last_seen", &out->last_seen, &out->bad_times));
  CTI_RETURN_IF_ERROR(ParseTags(m, &out->tags));
  CTI_RETURN_IF_ERROR(ParseGalaxies(m, &out->galaxies));
  std::optional<array> sightings;
  CTI_RETURN_IF_ERROR(m.Array("Sighting", &sightings));
  if (sightings) out->sightings = sightings->size();
  std::optional<object> parent;
  CTI_RETURN_IF_ERROR(m.Object("Event", &parent));
  if (parent) {
    Members p(*parent, m.PathOf("Event"), m.who() + "'s event");
    Attribute::ParentEvent event;
    CTI_RETURN_IF_ERROR(p.Text("uuid", &event.uuid));
    CTI_RETURN_IF_ERROR(p.Text("info", &event.info));
    CTI_RETURN_IF_ERROR(p.Dist("distribution", &event.dist));
    if (event.dist.level == 5) event.dist.level = -1;
    CTI_RETURN_IF_ERROR(p.SharingGroupOf(&event.dist));
    CTI_RETURN_IF_ERROR(p.Iso("date", &event.date));
    CTI_RETURN_IF_ERROR(p.Epoch("timestamp", &event.timestamp));
    out->parent = std::move(event);
  }
  element v;
  if (!m.Find("type", &v) || Trim(out->type).empty()) {
    return InvalidArgument(m.who() + ": missing 'type'", m.PathOf("type"));
  }
  if (!m.Find("value", &v)) {
    return InvalidArgument(m.who() + ": missing 'value'", m.PathOf("value"));
  }
  out->type = std::string(Trim(out->type));
  return Status::Ok();
}

Status ParseObject(element e, const std::string& path, const std::string& event_key,
                   MispObject* out) {
  object obj;
  CTI_RETURN_IF_ERROR(ElementAsObject(e, path, "object", &obj));
  std::string uuid;
  CTI_RETURN_IF_ERROR(Members(obj, path, "object").Text("uuid", &uuid));
  Members m(obj, path, uuid.empty() ? "object at " + path : "object " + uuid);
  out->uuid = uuid;
  out->key = EntityKey(uuid, event_key, e);
  out->path = path;
  CTI_RETURN_IF_ERROR(m.Text("name", &out->name));
  CTI_RETURN_IF_ERROR(m.Text("meta-category", &out->meta_category));
  CTI_RETURN_IF_ERROR(m.Text("comment", &out->comment));
  std::optional<bool> deleted;
  CTI_RETURN_IF_ERROR(m.Bool("deleted", &deleted));
  out->deleted = deleted.value_or(false);
  CTI_RETURN_IF_ERROR(m.Dist("distribution", &out->dist));
  CTI_RETURN_IF_ERROR(m.SharingGroupOf(&out->dist));
  CTI_RETURN_IF_ERROR(m.Epoch("timestamp", &out->timestamp));
  CTI_RETURN_IF_ERROR(m.Iso("first_seen", &out->first_seen));
  CTI_RETURN_IF_ERROR(m.Iso("last_seen", &out->last_seen));
  out->name = Lower(Trim(out->name));
  std::optional<array> attrs;
  CTI_RETURN_IF_ERROR(m.Array("Attribute", &attrs));
  if (attrs) {
    size_t i = 0;
    for (element a : *attrs) {
      Attribute attr;
      CTI_RETURN_IF_ERROR(
          ParseAttribute(a, m.PathOf("Attribute") + "/" + std::to_string(i++), event_key, &attr));
      out->attributes.push_back(std::move(attr));
    }
  }
  std::optional<array> refs;
  CTI_RETURN_IF_ERROR(m.Array("ObjectReference", &refs));
  if (refs) {
    size_t i = 0;
    for (element r : *refs) {
      std::string rpath = m.PathOf("ObjectReference") + "/" + std::to_string(i++);
      object robj;
      CTI_RETURN_IF_ERROR(ElementAsObject(r, rpath, m.who(), &robj));
      Members rm(robj, rpath, m.who());
      Reference ref;
      ref.path = rpath;
      CTI_RETURN_IF_ERROR(rm.Text("uuid", &ref.uuid));
      CTI_RETURN_IF_ERROR(rm.Text("object_uuid", &ref.source_uuid));
      CTI_RETURN_IF_ERROR(rm.Text("referenced_uuid", &ref.referenced_uuid));
      CTI_RETURN_IF_ERROR(rm.Text("relationship_type", &ref.relationship_type));
      CTI_RETURN_IF_ERROR(rm.Text("comment", &ref.comment));
      CTI_RETURN_IF_ERROR(rm.Epoch("timestamp", &ref.timestamp));
      out->references.push_back(std::move(ref));
    }
  }
  return Status::Ok();
}

// True for the top-level keys of a bare MISP event (and of restSearch collections).
bool IsEventKey(std::string_view key) {
  return key == "info" || key == "Attribute" || key == "Object" || key == "Orgc";
}

bool ObjectLooksLikeEvent(object obj) {
  bool event_key = false;
  for (auto field : obj) {
    if (field.key == "type" || field.key == "spec_version" || field.key == "objects") return false;
    if (IsEventKey(field.key)) event_key = true;
  }
  return event_key;
}

Status ParseEvent(element e, const std::string& path, Event* out) {
  object obj;
  CTI_RETURN_IF_ERROR(ElementAsObject(e, path, "event", &obj));
  std::string uuid;
  CTI_RETURN_IF_ERROR(Members(obj, path, "event").Text("uuid", &uuid));
  Members m(obj, path, uuid.empty() ? "event" : "event " + uuid);
  out->uuid = uuid;
  out->path = path;
  if (Uuid::IsValid(uuid)) {
    out->key = Lower(uuid);
  } else {
    // No usable uuid: name the event by its content, so the same document gives the same ids.
    std::string canonical;
    stix::AppendCanonicalJson(e, &canonical);
    out->key = Uuid::V5(*Uuid::Parse(kMispStixNamespace), "event|" + uuid + "|" + canonical)
                   .ToString();
  }
  CTI_RETURN_IF_ERROR(m.Text("info", &out->info));
  CTI_RETURN_IF_ERROR(m.Dist("distribution", &out->dist));
  if (out->dist.level == 5) out->dist.level = -1;  // "inherit" means nothing on an event
  CTI_RETURN_IF_ERROR(m.SharingGroupOf(&out->dist));
  CTI_RETURN_IF_ERROR(m.Iso("date", &out->date));
  CTI_RETURN_IF_ERROR(m.Epoch("timestamp", &out->timestamp));
  CTI_RETURN_IF_ERROR(m.Epoch("publish_timestamp", &out->publish_timestamp));
  CTI_RETURN_IF_ERROR(m.Bool("published", &out->published));
  std::optional<object> orgc;
  CTI_RETURN_IF_ERROR(m.Object("Orgc", &orgc));
  if (orgc) {
    Members o(*orgc, m.PathOf("Orgc"), m.who());
    CTI_RETURN_IF_ERROR(o.Text("name", &out->orgc_name));
    CTI_RETURN_IF_ERROR(o.Text("uuid", &out->orgc_uuid));
  }
  CTI_RETURN_IF_ERROR(ParseTags(m, &out->tags));
  CTI_RETURN_IF_ERROR(ParseGalaxies(m, &out->galaxies));
  element attrs_el;
  if (m.Find("Attribute", &attrs_el)) {
    array attrs;
    object single;
    if (attrs_el.get_array().get(attrs) == simdjson::SUCCESS) {
      size_t i = 0;
      for (element a : attrs) {
        Attribute attr;
        CTI_RETURN_IF_ERROR(ParseAttribute(a, m.PathOf("Attribute") + "/" + std::to_string(i++),
                                           out->key, &attr));
        out->attributes.push_back(std::move(attr));
      }
    } else if (attrs_el.get_object().get(single) == simdjson::SUCCESS) {
      // restSearch collection entry {"Attribute": {...}}.
      Attribute attr;
      CTI_RETURN_IF_ERROR(ParseAttribute(attrs_el, m.PathOf("Attribute"), out->key, &attr));
      out->attributes.push_back(std::move(attr));
    } else {
      return m.Error("Attribute", "an array", attrs_el);
    }
  }
  element objs_el;
  if (m.Find("Object", &objs_el)) {
    array objs;
    object single;
    if (objs_el.get_array().get(objs) == simdjson::SUCCESS) {
      size_t i = 0;
      for (element o : objs) {
        MispObject mo;
        CTI_RETURN_IF_ERROR(
            ParseObject(o, m.PathOf("Object") + "/" + std::to_string(i++), out->key, &mo));
        out->objects.push_back(std::move(mo));
      }
    } else if (objs_el.get_object().get(single) == simdjson::SUCCESS) {
      MispObject mo;
      CTI_RETURN_IF_ERROR(ParseObject(objs_el, m.PathOf("Object"), out->key, &mo));
      out->objects.push_back(std::move(mo));
    } else {
      return m.Error("Object", "an array", objs_el);
    }
  }
  return Status::Ok();
}

// restSearch attribute output ({"response": {"Attribute": [...]}}) is one list of attributes of
// many events, each naming its event in a nested "Event" {uuid, info, distribution}. Parsed as
// one event without metadata, an organisation-only event's attributes would lose that limit: the
// attributes of each named event become that event, whose distribution caps theirs.
void SplitByParentEvent(std::vector<Event>* events) {
  std::vector<Event> out;
  for (Event& e : *events) {
    const bool container =
        e.collection && std::any_of(e.attributes.begin(), e.attributes.end(),
                                    [](const Attribute& a) { return a.parent.has_value(); });
    if (!container) {
      out.push_back(std::move(e));
      continue;
    }
    std::map<std::string, size_t> made;  // event key -> its index in `out`
    std::vector<Attribute> rest;
    for (Attribute& a : e.attributes) {
      if (!a.parent) {
        rest.push_back(std::move(a));
        continue;
      }
      const Attribute::ParentEvent& p = *a.parent;
      std::string key = Uuid::IsValid(p.uuid)
                            ? Lower(p.uuid)
                            : Uuid::V5(*Uuid::Parse(kMispStixNamespace),
                                       "parent|" + e.key + "|" + p.uuid + "|" + p.info)
                                  .ToString();
      auto [it, added] = made.try_emplace(key, out.size());
      if (added) {
        Event parent;
        parent.key = key;
        parent.uuid = p.uuid;
        parent.info = p.info;
        parent.date = p.date;
        parent.timestamp = p.timestamp;
        parent.path = e.path;
        // What the result itself says (tags, creator) still applies to every attribute in it.
        parent.dist = e.dist;
        parent.tags = e.tags;
        parent.orgc_name = e.orgc_name;
        parent.orgc_uuid = e.orgc_uuid;
        out.push_back(std::move(parent));
      }
      // Attributes naming one event may disagree on its distribution: the strictest holds.
      Event& parent = out[it->second];
      parent.dist = JoinDistribution(parent.dist, p.dist);
      parent.attributes.push_back(std::move(a));
    }
    e.attributes = std::move(rest);
    if (!e.attributes.empty() || !e.objects.empty()) out.push_back(std::move(e));
  }
  *events = std::move(out);
}

// Appends the entries of a restSearch collection element ({"Attribute": {...}} or
// {"Object": {...}}) to `collection`.
Status MergeCollectionEntry(const Event& entry, Event* collection) {
  for (const Attribute& a : entry.attributes) collection->attributes.push_back(a);
  for (const MispObject& o : entry.objects) collection->objects.push_back(o);
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// STIX patterns

struct Comparison {
  std::string path;
  std::string op;       // "=" or "ISSUBSET"
  std::string literal;  // already in pattern syntax ('…' or a number)
};

// One observation: comparisons on the same path are merged — identical ones dropped, several
// values of a single-valued property become `IN (…)` (a list property, path with [*], keeps one
// comparison per value: the list holds them all).
std::string BuildPattern(const std::vector<Comparison>& cmps) {
  std::vector<std::pair<std::string, std::vector<const Comparison*>>> groups;
  for (const Comparison& c : cmps) {
    std::string group_key = c.op + " " + c.path;
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& g) { return g.first == group_key; });
    if (it == groups.end()) {
      groups.push_back({group_key, {&c}});
    } else if (std::none_of(it->second.begin(), it->second.end(),
                            [&](const Comparison* o) { return o->literal == c.literal; })) {
      it->second.push_back(&c);
    }
  }
  std::vector<std::string> parts;
  for (const auto& [key, members] : groups) {
    const Comparison& first = *members.front();
    if (members.size() == 1 || first.op != "=" ||
        first.path.find("[*]") != std::string::npos) {
      for (const Comparison* c : members) parts.push_back(c->path + " " + c->op + " " + c->literal);
    } else {
      std::string in = first.path + " IN (";
      for (size_t i = 0; i < members.size(); ++i) {
        if (i) in += ", ";
        in += members[i]->literal;
      }
      parts.push_back(in + ")");
    }
  }
  std::string out = "[";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += " AND ";
    out += parts[i];
  }
  return out + "]";
}

// ---------------------------------------------------------------------------------------------
// SCO drafts: properties as raw JSON; references to other drafts of the same graph are written
// as \x01<index>\x01 (a raw control byte JsonWriter never emits, so no MISP value can forge one)
// and resolved once the referenced draft's id is known.

struct ScoDraft {
  std::string type;
  std::vector<std::pair<std::string, std::string>> props;

  ScoDraft& Str(std::string_view key, std::string_view v) {
    props.emplace_back(std::string(key), JsonWriter().String(v).str());
    return *this;
  }
  ScoDraft& Int(std::string_view key, int64_t v) {
    props.emplace_back(std::string(key), JsonWriter().Int(v).str());
    return *this;
  }
  ScoDraft& Bool(std::string_view key, bool v) {
    props.emplace_back(std::string(key), JsonWriter().Bool(v).str());
    return *this;
  }
  ScoDraft& Raw(std::string_view key, std::string raw) {
    props.emplace_back(std::string(key), std::move(raw));
    return *this;
  }
  bool Has(std::string_view key) const {
    return std::any_of(props.begin(), props.end(), [&](const auto& p) { return p.first == key; });
  }
};

std::string RefToken(size_t index) { return "\"\x01" + std::to_string(index) + "\x01\""; }

std::string RefList(const std::vector<size_t>& indexes) {
  std::string out = "[";
  for (size_t i = 0; i < indexes.size(); ++i) {
    if (i) out += ",";
    out += RefToken(indexes[i]);
  }
  return out + "]";
}

// {"k":"v",…} from ordered pairs of strings.
std::string StringDict(const std::vector<std::pair<std::string, std::string>>& entries) {
  JsonWriter w;
  w.BeginObject();
  for (const auto& [k, v] : entries) w.Key(k).String(v);
  w.EndObject();
  return std::move(w).Take();
}

// A graph of drafts; each may only reference drafts before it.
struct ScoGraph {
  std::vector<ScoDraft> drafts;
  size_t main = 0;  // listed first in observed-data object_refs

  size_t Add(ScoDraft d) {
    drafts.push_back(std::move(d));
    return drafts.size() - 1;
  }
  bool empty() const { return drafts.empty(); }
};

// x_misp_<relation> properties for attributes a template does not place: one string, or a list
// when the relation repeats. Sorted by name so the output does not depend on attribute order.
void AddCustomProperties(const std::map<std::string, std::vector<std::string>>& extra,
                         ScoDraft* d) {
  for (const auto& [name, values] : extra) {
    if (d->Has(name)) continue;
    if (values.size() == 1) {
      d->Str(name, values[0]);
    } else {
      JsonWriter w;
      w.BeginArray();
      for (const std::string& v : values) w.String(v);
      w.EndArray();
      d->Raw(name, std::move(w).Take());
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Attribute types

// MISP's describeTypes.json sane_defaults: the types whose to_ids defaults to true (used when an
// attribute has no to_ids at all, as in restSearch output of misp-stix's test data).
bool DefaultToIds(std::string_view type) {
  static const std::unordered_set<std::string_view> kTrue = {
      "authentihash", "btc", "cdhash", "domain", "domain|ip", "email", "email-attachment",
      "email-dst", "email-src", "filename", "filename|authentihash", "filename|impfuzzy",
      "filename|imphash", "filename|md5", "filename|pehash", "filename|sha1", "filename|sha224",
      "filename|sha256", "filename|sha3-224", "filename|sha3-256", "filename|sha3-384",
      "filename|sha3-512", "filename|sha384", "filename|sha512", "filename|ssdeep",
      "filename|tlsh", "hostname", "hostname|port", "impfuzzy", "imphash", "ip-dst",
      "ip-dst|port", "ip-src", "ip-src|port", "ja3-fingerprint-md5", "malware-sample", "md5",
      "mutex", "pehash", "regkey", "regkey|value", "sha1", "sha224", "sha256", "sha3-224",
      "sha3-256", "sha3-384", "sha3-512", "sha384", "sha512", "sigma", "snort", "ssdeep",
      "stix2-pattern", "suricata", "tlsh", "uri", "url", "x509-fingerprint-md5",
      "x509-fingerprint-sha1", "x509-fingerprint-sha256", "yara"};
  return kTrue.count(type) != 0;
}

enum class AttrKind {
  kObservable,     // pattern and/or SCOs (the table at the top of this file)
  kNote,           // text, comment, other
  kVulnerability,  // vulnerability SDO
  kCampaign,       // campaign-name
  kThreatActor,    // threat-actor
  kRule,           // snort, yara, …: indicator with pattern_type = the rule language
  kUnknown,
};

AttrKind KindOf(std::string_view type, std::string_view* pattern_type = nullptr) {
  static const std::unordered_set<std::string_view> kObservables = {
      "ip-src", "ip-dst", "ip-src|port", "ip-dst|port", "hostname|port", "domain", "hostname",
      "domain|ip", "url", "uri", "link", "email", "email-src", "email-dst", "email-subject",
      "email-body", "email-message-id", "email-reply-to", "email-x-mailer", "email-attachment",
      "filename", "attachment", "malware-sample", "imphash", "filename|imphash", "mutex",
      "regkey", "regkey|value", "user-agent", "http-method", "AS", "mac-address",
      "x509-fingerprint-md5", "x509-fingerprint-sha1", "x509-fingerprint-sha256",
      "ja3-fingerprint-md5", "port", "size-in-bytes"};
  if (kObservables.count(type) || FindHashAlgo(type)) return AttrKind::kObservable;
  if (type.substr(0, 9) == "filename|" && FindHashAlgo(type.substr(9))) {
    return AttrKind::kObservable;
  }
  if (type == "text" || type == "comment" || type == "other") return AttrKind::kNote;
  if (type == "vulnerability") return AttrKind::kVulnerability;
  if (type == "campaign-name") return AttrKind::kCampaign;
  if (type == "threat-actor") return AttrKind::kThreatActor;
  if (type == "snort" || type == "suricata" || type == "yara" || type == "sigma" ||
      type == "stix2-pattern") {
    if (pattern_type) *pattern_type = type == "stix2-pattern" ? "stix" : type;
    return AttrKind::kRule;
  }
  return AttrKind::kUnknown;
}

// What an observable attribute value can become. `cmps` empty: no pattern form; `graph` empty: no
// valid SCO form (-> note when to_ids is false). `invalid`: the value does not fit its type.
struct ValueForms {
  bool invalid = false;
  bool refanged = false;  // the value was defanged ("hxxp://evil[.]example") and is used refanged
  std::vector<Comparison> cmps;
  ScoGraph graph;
};

void IpForms(std::string_view dir, std::string_view written, std::optional<int64_t> port,
             ValueForms* f) {
  const std::string ip = CanonicalAddress(written);
  int version = IpVersion(ip);
  if (version == 0) {
    f->invalid = true;
    return;
  }
  std::string type = version == 4 ? "ipv4-addr" : "ipv6-addr";
  std::string base = "network-traffic:" + std::string(dir) + "_ref";
  f->cmps.push_back({base + ".type", "=", PatternString(type)});
  f->cmps.push_back(
      {base + ".value", ip.find('/') != std::string::npos ? "ISSUBSET" : "=", PatternString(ip)});
  if (port) f->cmps.push_back({"network-traffic:" + std::string(dir) + "_port", "=",
                               std::to_string(*port)});
  size_t addr = f->graph.Add(ScoDraft{type, {}}.Str("value", ip));
  ScoDraft nt{"network-traffic", {}};
  nt.Raw(std::string(dir) + "_ref", RefToken(addr));
  if (port) nt.Int(std::string(dir) + "_port", *port);
  // misp-stix writes protocols ["tcp"] for every address; the network layer is what the
  // attribute actually says.
  nt.Raw("protocols", version == 4 ? R"(["ipv4"])" : R"(["ipv6"])");
  f->graph.main = f->graph.Add(std::move(nt));
}

// The STIX form of one MISP value of an observable type.
// A host name as MISP's domain and hostname types hold it: letters, digits, '-', '_' and dots
// between labels. "evil .com" is not one.
bool LooksLikeHostName(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.front() == '.' || s.back() == '.' ||
      s.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

bool HasSpaceOrControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
  });
}

// Values inside MISP objects, written as FormsFor writes a standalone attribute's (refanged,
// host names and e-mail domains in lower case, addresses in canonical form, URLs as sensors log
// them): an object's pattern must match what its attributes alone would. Empty: not such a value.
std::string ObjectHost(std::string_view raw) {
  std::string v = Refang(Trim(raw));
  return LooksLikeHostName(v) ? LowerAscii(v) : std::string();
}
std::string ObjectEmail(std::string_view raw) {
  std::string v = Refang(Trim(raw));
  if (DetectIocType(v) != IocType::kEmail) return {};
  const size_t at = v.rfind('@');
  return v.substr(0, at + 1) + LowerAscii(std::string_view(v).substr(at + 1));
}
std::string ObjectAddress(std::string_view raw) {  // an address or a CIDR block
  std::string v = CanonicalAddress(Refang(Trim(raw)));
  return IpVersion(v) ? v : std::string();
}
std::string ObjectUrl(std::string_view raw) {
  std::string v = Refang(Trim(raw));
  if (v.empty() || HasSpaceOrControl(v)) return {};
  if (v.find("://") != std::string::npos || DetectIocType(v) == IocType::kUrl) {
    if (std::optional<std::string> normal = NormaliseUrl(v)) return *normal;
  }
  return v;
}

ValueForms FormsFor(std::string_view type, std::string_view raw_value) {
  ValueForms f;
  std::string_view v = Trim(raw_value);
  if (v.empty()) {
    f.invalid = true;
    return f;
  }
  // MISP checks values on entry, but events come from other tools too: a value defanged for
  // human readers is refanged (as written, its indicator would never match), and a host name
  // or e-mail address that is none ("evil .com", "a@@b") makes no indicator.
  const bool host_type = type == "domain" || type == "hostname" || type == "domain|ip" ||
                         type == "hostname|port";
  const bool mail_type = type == "email" || type == "email-src" || type == "email-dst";
  const bool ip_type =
      type == "ip-src" || type == "ip-dst" || type == "ip-src|port" || type == "ip-dst|port";
  std::string refanged;
  if (host_type || mail_type || ip_type || type == "url") {
    refanged = Refang(v);
    if (refanged != v) {
      f.refanged = true;
      v = refanged;
    }
  }
  std::string lowered;
  if (host_type) {
    std::string_view host = v.substr(0, type == "domain|ip" ? v.find('|') : type == "hostname|port"
                                                                              ? v.rfind('|')
                                                                              : v.size());
    if (!LooksLikeHostName(Trim(host))) {
      f.invalid = true;
      return f;
    }
    // DNS names are case-insensitive and sensors log them (and the readers map them) in lower
    // case: "EVIL.Example" as written would never match.
    lowered = LowerAscii(v.substr(0, host.size()));
    lowered.append(v.substr(host.size()));
    v = lowered;
  } else if (mail_type) {
    // The domain in lower case, as the IOC importer writes it and the readers map addresses.
    lowered = ObjectEmail(v);
    if (lowered.empty()) {
      f.invalid = true;
      return f;
    }
    v = lowered;
  } else if (type == "url" && HasSpaceOrControl(v)) {
    f.invalid = true;
    return f;
  }
  auto split_last = [&](std::pair<std::string_view, std::string_view>* out) {
    size_t bar = v.rfind('|');
    if (bar == std::string_view::npos) return false;
    *out = {Trim(v.substr(0, bar)), Trim(v.substr(bar + 1))};
    return !out->first.empty() && !out->second.empty();
  };
  auto split_first = [&](std::pair<std::string_view, std::string_view>* out) {
    size_t bar = v.find('|');
    if (bar == std::string_view::npos) return false;
    *out = {Trim(v.substr(0, bar)), Trim(v.substr(bar + 1))};
    return !out->first.empty() && !out->second.empty();
  };
  std::pair<std::string_view, std::string_view> parts;

  if (type == "ip-src" || type == "ip-dst") {
    IpForms(type.substr(3), v, std::nullopt, &f);
  } else if (type == "ip-src|port" || type == "ip-dst|port") {
    // MISP also accepts "1.2.3.4:80" for IPv4.
    bool ok = split_last(&parts);
    if (!ok && v.find(':') == v.rfind(':') && v.find(':') != std::string_view::npos) {
      size_t colon = v.find(':');
      parts = {v.substr(0, colon), v.substr(colon + 1)};
      ok = true;
    }
    std::optional<int64_t> port = ok ? ParsePort(parts.second) : std::nullopt;
    if (!port) {
      f.invalid = true;
    } else {
      IpForms(type.substr(3, 3), parts.first, port, &f);
    }
  } else if (type == "hostname|port") {
    std::optional<int64_t> port = split_last(&parts) ? ParsePort(parts.second) : std::nullopt;
    if (!port) {
      f.invalid = true;
      return f;
    }
    // misp-stix: [domain-name:value = … AND network-traffic:dst_port = …] compares two object
    // types in one observation, which STIX 2.1 §9.5 does not allow; the domain is the traffic's
    // destination.
    f.cmps.push_back({"network-traffic:dst_ref.type", "=", PatternString("domain-name")});
    f.cmps.push_back({"network-traffic:dst_ref.value", "=", PatternString(parts.first)});
    f.cmps.push_back({"network-traffic:dst_port", "=", std::to_string(*port)});
    size_t dn = f.graph.Add(ScoDraft{"domain-name", {}}.Str("value", parts.first));
    ScoDraft nt{"network-traffic", {}};
    nt.Raw("dst_ref", RefToken(dn)).Int("dst_port", *port).Raw("protocols", R"(["tcp"])");
    f.graph.main = f.graph.Add(std::move(nt));
  } else if (type == "domain" || type == "hostname") {
    f.cmps.push_back({"domain-name:value", "=", PatternString(v)});
    f.graph.Add(ScoDraft{"domain-name", {}}.Str("value", v));
  } else if (type == "domain|ip") {
    int version = split_first(&parts) ? IpVersion(parts.second) : 0;
    if (version == 0) {
      f.invalid = true;
      return f;
    }
    f.cmps.push_back({"domain-name:value", "=", PatternString(parts.first)});
    const std::string address = CanonicalAddress(parts.second);
    f.cmps.push_back({"domain-name:resolves_to_refs[*].value", "=", PatternString(address)});
    size_t ip =
        f.graph.Add(ScoDraft{version == 4 ? "ipv4-addr" : "ipv6-addr", {}}.Str("value", address));
    f.graph.main = f.graph.Add(ScoDraft{"domain-name", {}}
                                   .Str("value", parts.first)
                                   .Raw("resolves_to_refs", RefList({ip})));
  } else if (type == "url" || type == "uri" || type == "link") {
    // Written as sensors log it (lower-case host, no default port, "http://" when none), or
    // its indicator would miss the very request: "uri" and "link" may be other than web URLs.
    std::string normal;
    if (type == "url") {
      normal = ObjectUrl(v);
      v = normal;
    }
    f.cmps.push_back({"url:value", "=", PatternString(v)});
    if (HasUrlScheme(v)) f.graph.Add(ScoDraft{"url", {}}.Str("value", v));
  } else if (type == "email") {
    f.cmps.push_back({"email-addr:value", "=", PatternString(v)});
    if (v.find('@') != std::string_view::npos) {
      f.graph.Add(ScoDraft{"email-addr", {}}.Str("value", v));
    }
  } else if (type == "email-src" || type == "email-dst") {
    bool src = type == "email-src";
    f.cmps.push_back({src ? "email-message:from_ref.value" : "email-message:to_refs[*].value", "=",
                      PatternString(v)});
    if (v.find('@') != std::string_view::npos) {
      size_t addr = f.graph.Add(ScoDraft{"email-addr", {}}.Str("value", v));
      ScoDraft msg{"email-message", {}};
      msg.Bool("is_multipart", false);
      if (src) {
        msg.Raw("from_ref", RefToken(addr));
      } else {
        msg.Raw("to_refs", RefList({addr}));
      }
      f.graph.main = f.graph.Add(std::move(msg));
    }
  } else if (type == "email-subject" || type == "email-body" || type == "email-message-id" ||
             type == "email-reply-to" || type == "email-x-mailer") {
    std::string path, prop;
    ScoDraft msg{"email-message", {}};
    msg.Bool("is_multipart", false);
    if (type == "email-subject") {
      path = "email-message:subject";
      msg.Str("subject", v);
    } else if (type == "email-body") {
      path = "email-message:body";
      msg.Str("body", raw_value);
    } else if (type == "email-message-id") {
      path = "email-message:message_id";
      msg.Str("message_id", v);
    } else {
      // misp-stix: additional_header_fields.reply_to / .x_mailer; STIX 2.1 §6.6 keys the
      // dictionary by the header name as it appears in the message.
      std::string header = type == "email-reply-to" ? "Reply-To" : "X-Mailer";
      path = "email-message:additional_header_fields." + PatternString(header);
      msg.Raw("additional_header_fields", StringDict({{header, std::string(v)}}));
    }
    f.cmps.push_back({path, "=", PatternString(type == "email-body" ? raw_value : v)});
    f.graph.Add(std::move(msg));
  } else if (type == "email-attachment") {
    f.cmps.push_back({"email-message:body_multipart[*].body_raw_ref.name", "=", PatternString(v)});
    size_t file = f.graph.Add(ScoDraft{"file", {}}.Str("name", v));
    f.graph.main = f.graph.Add(
        ScoDraft{"email-message", {}}
            .Bool("is_multipart", true)
            .Raw("body_multipart", "[{\"body_raw_ref\":" + RefToken(file) + "}]"));
  } else if (type == "filename" || type == "attachment") {
    f.cmps.push_back({"file:name", "=", PatternString(v)});
    f.graph.Add(ScoDraft{"file", {}}.Str("name", v));
  } else if (const HashAlgo* algo = FindHashAlgo(type)) {
    std::string hash = NormaliseHash(*algo, v);
    if (hash.empty()) {
      f.invalid = true;
      return f;
    }
    f.cmps.push_back({HashPath("file:hashes", algo->stix), "=", PatternString(hash)});
    f.graph.Add(ScoDraft{"file", {}}.Raw("hashes", StringDict({{std::string(algo->stix), hash}})));
  } else if (type == "malware-sample" ||
             (type.substr(0, 9) == "filename|" && FindHashAlgo(type.substr(9)))) {
    const HashAlgo* algo = FindHashAlgo(type == "malware-sample" ? "md5" : type.substr(9));
    std::string hash = split_last(&parts) ? NormaliseHash(*algo, parts.second) : std::string();
    if (hash.empty()) {
      f.invalid = true;
      return f;
    }
    f.cmps.push_back({"file:name", "=", PatternString(parts.first)});
    f.cmps.push_back({HashPath("file:hashes", algo->stix), "=", PatternString(hash)});
    f.graph.Add(ScoDraft{"file", {}}
                    .Raw("hashes", StringDict({{std::string(algo->stix), hash}}))
                    .Str("name", parts.first));
  } else if (type == "imphash" || type == "filename|imphash") {
    // misp-stix: file:hashes.IMPHASH; STIX 2.1 §6.7.3 puts the import hash in the PE extension.
    // No SCO form: windows-pebinary-ext requires pe_type, which MISP does not give.
    std::string_view hash = v;
    if (type == "filename|imphash") {
      if (!split_last(&parts)) {
        f.invalid = true;
        return f;
      }
      f.cmps.push_back({"file:name", "=", PatternString(parts.first)});
      hash = parts.second;
    }
    if (!IsHexOfLength(hash, 32)) {
      f.invalid = true;
      f.cmps.clear();
      return f;
    }
    f.cmps.push_back({"file:extensions.'windows-pebinary-ext'.imphash", "=",
                      PatternString(Lower(hash))});
  } else if (type == "mutex") {
    f.cmps.push_back({"mutex:name", "=", PatternString(v)});
    f.graph.Add(ScoDraft{"mutex", {}}.Str("name", v));
  } else if (type == "regkey") {
    f.cmps.push_back({"windows-registry-key:key", "=", PatternString(v)});
    f.graph.Add(ScoDraft{"windows-registry-key", {}}.Str("key", v));
  } else if (type == "regkey|value") {
    if (!split_first(&parts)) {
      f.invalid = true;
      return f;
    }
    // misp-stix: windows-registry-key:values.data — `values` is a list (§6.17), so [*].
    f.cmps.push_back({"windows-registry-key:key", "=", PatternString(parts.first)});
    f.cmps.push_back({"windows-registry-key:values[*].data", "=", PatternString(parts.second)});
    JsonWriter w;
    w.BeginArray().BeginObject().Key("data").String(parts.second).EndObject().EndArray();
    f.graph.Add(ScoDraft{"windows-registry-key", {}}
                    .Str("key", parts.first)
                    .Raw("values", std::move(w).Take()));
  } else if (type == "user-agent") {
    f.cmps.push_back(
        {"network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'", "=",
         PatternString(v)});
  } else if (type == "http-method") {
    f.cmps.push_back({"network-traffic:extensions.'http-request-ext'.request_method", "=",
                      PatternString(v)});
  } else if (type == "AS") {
    std::optional<int64_t> asn = ParseAsn(v);
    if (!asn) {
      f.invalid = true;
      return f;
    }
    // misp-stix: autonomous-system:number = '174' (a string for an integer property).
    f.cmps.push_back({"autonomous-system:number", "=", std::to_string(*asn)});
    f.graph.Add(ScoDraft{"autonomous-system", {}}.Int("number", *asn));
  } else if (type == "mac-address") {
    std::string mac = NormaliseMac(v);
    if (mac.empty()) {
      f.invalid = true;
      return f;
    }
    f.cmps.push_back({"mac-addr:value", "=", PatternString(mac)});
    f.graph.Add(ScoDraft{"mac-addr", {}}.Str("value", mac));
  } else if (type.substr(0, 17) == "x509-fingerprint-") {
    const HashAlgo* algo = FindHashAlgo(type.substr(17));
    std::string digits;
    for (char c : v) {
      if (c != ':' && c != ' ') digits.push_back(c);
    }
    std::string hash = algo ? NormaliseHash(*algo, digits) : std::string();
    if (hash.empty()) {
      f.invalid = true;
      return f;
    }
    f.cmps.push_back({HashPath("x509-certificate:hashes", algo->stix), "=", PatternString(hash)});
    f.graph.Add(
        ScoDraft{"x509-certificate", {}}.Raw("hashes",
                                             StringDict({{std::string(algo->stix), hash}})));
  } else if (type == "ja3-fingerprint-md5") {
    if (!IsHexOfLength(v, 32)) {
      f.invalid = true;
      return f;
    }
    f.cmps.push_back({"network-traffic:x_ja3_fingerprint_md5", "=", PatternString(Lower(v))});
  } else if (type == "port") {
    std::optional<int64_t> port = ParsePort(v);
    if (!port) {
      f.invalid = true;
      return f;
    }
    // misp-stix: network-traffic:dst_port = '443' (a string for an integer property).
    f.cmps.push_back({"network-traffic:dst_port", "=", std::to_string(*port)});
  } else if (type == "size-in-bytes") {
    std::optional<int64_t> size = ParseNonNegative(v);
    if (!size) {
      f.invalid = true;
      return f;
    }
    f.cmps.push_back({"file:size", "=", std::to_string(*size)});
  } else {
    f.invalid = true;
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// MISP object templates

struct ObjectForms {
  std::vector<Comparison> cmps;  // from to_ids attributes the template places
  ScoGraph graph;                // every attribute
  bool ids_unplaced = false;     // a to_ids attribute the pattern could not hold
  // Attributes whose value is not one of their type: kept as x_misp_<relation> on the SCO and
  // noted, while the rest of the object still makes its one pattern.
  std::vector<const Attribute*> invalid;
};

bool IsIds(const Attribute& a) { return a.to_ids.value_or(DefaultToIds(a.type)); }

// Collects what a template does not place, as x_misp_<relation> values.
struct Leftovers {
  std::map<std::string, std::vector<std::string>> values;
  // A value the template does not place anywhere else (a to_ids one then needs the SCO form).
  void Add(const Attribute& a, ObjectForms* f) {
    Keep(a);
    if (IsIds(a)) f->ids_unplaced = true;
  }
  // A value kept on the SCO although the pattern holds it.
  void Keep(const Attribute& a) {
    std::string rel = a.relation.empty() ? a.type : a.relation;
    values[CustomPropertyName(rel)].push_back(a.value);
  }
  // A value that is not one of its type.
  void Invalid(const Attribute& a, ObjectForms* f) {
    f->invalid.push_back(&a);
    Add(a, f);
  }
};

void AddCmp(const Attribute& a, Comparison c, ObjectForms* f) {
  if (IsIds(a)) f->cmps.push_back(std::move(c));
}

std::string Rel(const Attribute& a) { return Lower(Trim(a.relation)); }

bool FileForms(const MispObject& o, ObjectForms* f) {
  ScoDraft file{"file", {}};
  std::vector<std::pair<std::string, std::string>> hashes;
  std::optional<std::string> name, mime, dir;
  std::optional<int64_t> size;
  Leftovers left;
  for (const Attribute& a : o.attributes) {
    std::string rel = Rel(a);
    std::string_view v = Trim(a.value);
    const HashAlgo* algo = FindHashAlgo(a.type);
    if (algo) {
      std::string h = NormaliseHash(*algo, v);
      if (h.empty()) {
        left.Invalid(a, f);
        continue;
      }
      AddCmp(a, {HashPath("file:hashes", algo->stix), "=", PatternString(h)}, f);
      if (std::none_of(hashes.begin(), hashes.end(),
                       [&](const auto& p) { return p.first == algo->stix; })) {
        hashes.emplace_back(std::string(algo->stix), h);
      } else {
        left.Add(a, f);
      }
    } else if (a.type == "filename" || rel == "filename") {
      AddCmp(a, {"file:name", "=", PatternString(v)}, f);
      if (!name) {
        name = std::string(v);
      } else {
        left.Add(a, f);
      }
    } else if (a.type == "size-in-bytes" || rel == "size-in-bytes") {
      std::optional<int64_t> n = ParseNonNegative(v);
      if (!n) {
        left.Add(a, f);
        continue;
      }
      AddCmp(a, {"file:size", "=", std::to_string(*n)}, f);
      if (!size) size = n;
    } else if (a.type == "mime-type" || rel == "mimetype" || rel == "mime-type") {
      AddCmp(a, {"file:mime_type", "=", PatternString(v)}, f);
      if (!mime) mime = std::string(v);
    } else if (rel == "path") {
      AddCmp(a, {"file:parent_directory_ref.path", "=", PatternString(v)}, f);
      if (!dir) dir = std::string(v);
    } else if (a.type == "imphash" && IsHexOfLength(v, 32)) {
      AddCmp(a, {"file:extensions.'windows-pebinary-ext'.imphash", "=", PatternString(Lower(v))},
             f);
      left.Keep(a);
    } else if (a.type == "malware-sample") {
      size_t bar = v.rfind('|');
      std::string md5 = bar == std::string_view::npos
                            ? std::string()
                            : NormaliseHash(*FindHashAlgo("md5"), v.substr(bar + 1));
      if (md5.empty()) {
        left.Add(a, f);
        continue;
      }
      std::string_view sample_name = Trim(v.substr(0, bar));
      AddCmp(a, {"file:hashes.MD5", "=", PatternString(md5)}, f);
      if (!sample_name.empty()) AddCmp(a, {"file:name", "=", PatternString(sample_name)}, f);
      if (std::none_of(hashes.begin(), hashes.end(),
                       [](const auto& p) { return p.first == "MD5"; })) {
        hashes.emplace_back("MD5", md5);
      }
      if (!name && !sample_name.empty()) name = std::string(sample_name);
    } else {
      left.Add(a, f);
    }
  }
  if (hashes.empty() && !name) return false;  // a file SCO needs one of them
  std::optional<size_t> dir_index;
  if (dir) dir_index = f->graph.Add(ScoDraft{"directory", {}}.Str("path", *dir));
  if (!hashes.empty()) file.Raw("hashes", StringDict(hashes));
  if (size) file.Int("size", *size);
  if (name) file.Str("name", *name);
  if (mime) file.Str("mime_type", *mime);
  if (dir_index) file.Raw("parent_directory_ref", RefToken(*dir_index));
  AddCustomProperties(left.values, &file);
  f->graph.main = f->graph.Add(std::move(file));
  return true;
}

bool DomainIpForms(const MispObject& o, ObjectForms* f) {
  std::vector<std::string> domains;
  std::vector<std::pair<std::string, int>> ips;
  Leftovers left;
  for (const Attribute& a : o.attributes) {
    std::string rel = Rel(a);
    if (a.type == "domain" || a.type == "hostname" || rel == "domain" || rel == "hostname") {
      std::string host = ObjectHost(a.value);
      if (host.empty()) {
        left.Invalid(a, f);
        continue;
      }
      AddCmp(a, {"domain-name:value", "=", PatternString(host)}, f);
      domains.push_back(std::move(host));
    } else if (a.type == "ip-dst" || a.type == "ip-src" || rel == "ip") {
      std::string ip = ObjectAddress(a.value);
      if (ip.empty()) {
        left.Invalid(a, f);
        continue;
      }
      AddCmp(a, {"domain-name:resolves_to_refs[*].value", "=", PatternString(ip)}, f);
      ips.emplace_back(ip, IpVersion(ip));
    } else {
      left.Add(a, f);
    }
  }
  std::vector<size_t> ip_refs;
  for (const auto& [ip, version] : ips) {
    ip_refs.push_back(
        f->graph.Add(ScoDraft{version == 4 ? "ipv4-addr" : "ipv6-addr", {}}.Str("value", ip)));
  }
  for (size_t i = 0; i < domains.size(); ++i) {
    ScoDraft dn{"domain-name", {}};
    dn.Str("value", domains[i]);
    if (!ip_refs.empty()) dn.Raw("resolves_to_refs", RefList(ip_refs));
    if (i == 0) AddCustomProperties(left.values, &dn);
    size_t index = f->graph.Add(std::move(dn));
    if (i == 0) f->graph.main = index;
  }
  return !f->graph.empty();
}

// ip-port, and network-connection / network-socket (one connection seen on the wire: its
// addresses, ports, host names and protocols are ONE observation, not separate indicators — a
// lone dst_port 443 would fire on every HTTPS connection).
bool IpPortForms(const MispObject& o, ObjectForms* f) {
  std::optional<std::pair<std::string, int>> dst, src;
  std::optional<std::string> domain;
  std::optional<int64_t> dst_port, src_port;
  std::vector<std::pair<const Attribute*, std::string>> domain_attrs;
  std::vector<std::string> protocols;
  Leftovers left;
  for (const Attribute& a : o.attributes) {
    std::string rel = Rel(a);
    std::string_view v = Trim(a.value);
    bool is_src = rel == "ip-src" || (rel != "ip" && rel != "ip-dst" && a.type == "ip-src");
    if (a.type == "ip-src" || a.type == "ip-dst" || rel == "ip" || rel == "ip-dst" ||
        rel == "ip-src") {
      std::string ip = ObjectAddress(a.value);
      if (ip.empty()) {
        left.Invalid(a, f);
        continue;
      }
      const int version = IpVersion(ip);
      std::string base = is_src ? "network-traffic:src_ref" : "network-traffic:dst_ref";
      AddCmp(a, {base + ".type", "=", PatternString(version == 4 ? "ipv4-addr" : "ipv6-addr")}, f);
      AddCmp(a,
             {base + ".value", ip.find('/') != std::string::npos ? "ISSUBSET" : "=",
              PatternString(ip)},
             f);
      auto& slot = is_src ? src : dst;
      if (!slot) {
        slot = std::make_pair(ip, version);
      } else {
        left.Add(a, f);
      }
    } else if (rel == "dst-port" || rel == "src-port" || a.type == "port") {
      std::optional<int64_t> port = ParsePort(v);
      if (!port) {
        left.Invalid(a, f);
        continue;
      }
      bool src_side = rel == "src-port";
      AddCmp(a, {src_side ? "network-traffic:src_port" : "network-traffic:dst_port", "=",
                 std::to_string(*port)},
             f);
      auto& slot = src_side ? src_port : dst_port;
      if (!slot) slot = port;
    } else if (rel == "hostname-src") {
      left.Add(a, f);  // a client's name: no property of the traffic holds it
    } else if (a.type == "domain" || a.type == "hostname" || rel == "domain" || rel == "hostname" ||
               rel == "hostname-dst") {
      std::string host = ObjectHost(a.value);
      if (host.empty()) {
        left.Invalid(a, f);
        continue;
      }
      if (!domain) domain = host;
      domain_attrs.emplace_back(&a, std::move(host));
    } else if (rel == "layer3-protocol") {
      // "IP": sensors log the transport and application protocols, never the network layer, so
      // protocols[*] = 'ip' would match no connection.
      left.Keep(a);
    } else if (rel == "layer4-protocol" || rel == "layer7-protocol" || rel == "protocol") {
      // STIX names protocols in lower case, as the readers map the sensors' (§6.12).
      std::string name = LowerAscii(v);
      if (name.empty() || HasSpaceOrControl(name)) {
        left.Invalid(a, f);
        continue;
      }
      AddCmp(a, {"network-traffic:protocols[*]", "=", PatternString(name)}, f);
      if (std::find(protocols.begin(), protocols.end(), name) == protocols.end()) {
        protocols.push_back(std::move(name));
      }
    } else {
      left.Add(a, f);
    }
  }
  // misp-stix also writes dst_ref.type = 'domain-name' next to dst_ref.type = 'ipv4-addr', which
  // no traffic can satisfy: with a destination address the domain is pattern-matched only when
  // no address is known.
  for (const auto& [a, host] : domain_attrs) {
    if (!dst) {
      AddCmp(*a, {"network-traffic:dst_ref.type", "=", PatternString("domain-name")}, f);
      AddCmp(*a, {"network-traffic:dst_ref.value", "=", PatternString(host)}, f);
    } else if (IsIds(*a)) {
      f->ids_unplaced = true;
    }
  }
  std::optional<size_t> dst_index, src_index, domain_index;
  if (dst) {
    dst_index = f->graph.Add(
        ScoDraft{dst->second == 4 ? "ipv4-addr" : "ipv6-addr", {}}.Str("value", dst->first));
  }
  if (src) {
    src_index = f->graph.Add(
        ScoDraft{src->second == 4 ? "ipv4-addr" : "ipv6-addr", {}}.Str("value", src->first));
  }
  if (domain) {
    ScoDraft dn{"domain-name", {}};
    dn.Str("value", *domain);
    if (dst_index) dn.Raw("resolves_to_refs", RefList({*dst_index}));
    domain_index = f->graph.Add(std::move(dn));
  }
  std::optional<size_t> target = dst_index ? dst_index : domain_index;
  if (target || src_index) {
    ScoDraft nt{"network-traffic", {}};
    if (src_index) nt.Raw("src_ref", RefToken(*src_index));
    if (target) nt.Raw("dst_ref", RefToken(*target));
    if (src_port) nt.Int("src_port", *src_port);
    if (dst_port) nt.Int("dst_port", *dst_port);
    if (protocols.empty()) protocols.push_back("tcp");
    JsonWriter list;
    list.BeginArray();
    for (const std::string& p : protocols) list.String(p);
    list.EndArray();
    nt.Raw("protocols", std::move(list).Take());
    AddCustomProperties(left.values, &nt);
    f->graph.main = f->graph.Add(std::move(nt));
  }
  return !f->graph.empty();
}

bool UrlForms(const MispObject& o, ObjectForms* f) {
  std::optional<std::string> url;
  Leftovers left;
  for (const Attribute& a : o.attributes) {
    if ((a.type == "url" || a.type == "link" || a.type == "uri") &&
        (Rel(a) == "url" || Rel(a).empty())) {
      std::string v = ObjectUrl(a.value);
      if (v.empty()) {
        left.Invalid(a, f);
        continue;
      }
      AddCmp(a, {"url:value", "=", PatternString(v)}, f);
      if (!url && HasUrlScheme(v)) {
        url = v;
      } else {
        left.Keep(a);
      }
    } else {
      left.Add(a, f);
    }
  }
  if (!url) return false;
  ScoDraft d{"url", {}};
  d.Str("value", *url);
  AddCustomProperties(left.values, &d);
  f->graph.main = f->graph.Add(std::move(d));
  return true;
}

bool EmailForms(const MispObject& o, ObjectForms* f) {
  std::optional<std::string> from, subject, message_id, body;
  std::vector<std::string> to, cc, bcc, attachments;
  std::vector<std::pair<std::string, std::string>> headers;
  Leftovers left;
  for (const Attribute& a : o.attributes) {
    std::string rel = Rel(a);
    std::string_view v = Trim(a.value);
    std::string role = rel;
    if (role != "from" && role != "to" && role != "cc" && role != "bcc" && role != "subject" &&
        role != "message-id" && role != "reply-to" && role != "x-mailer" && role != "email-body" &&
        role != "attachment") {
      if (a.type == "email-src") role = "from";
      if (a.type == "email-dst") role = "to";
      if (a.type == "email-subject") role = "subject";
      if (a.type == "email-message-id") role = "message-id";
      if (a.type == "email-reply-to") role = "reply-to";
      if (a.type == "email-x-mailer") role = "x-mailer";
      if (a.type == "email-body") role = "email-body";
      if (a.type == "email-attachment") role = "attachment";
    }
    bool address = role == "from" || role == "to" || role == "cc" || role == "bcc";
    std::string normal_address;
    if (address) {
      normal_address = ObjectEmail(a.value);
      if (normal_address.empty()) {
        left.Invalid(a, f);
        continue;
      }
      v = normal_address;
    }
    if (role == "from") {
      AddCmp(a, {"email-message:from_ref.value", "=", PatternString(v)}, f);
      if (!from) {
        from = std::string(v);
      } else {
        left.Add(a, f);
      }
    } else if (role == "to" || role == "cc" || role == "bcc") {
      AddCmp(a, {"email-message:" + role + "_refs[*].value", "=", PatternString(v)}, f);
      (role == "to" ? to : role == "cc" ? cc : bcc).emplace_back(v);
    } else if (role == "subject") {
      AddCmp(a, {"email-message:subject", "=", PatternString(v)}, f);
      if (!subject) subject = std::string(v);
    } else if (role == "message-id") {
      AddCmp(a, {"email-message:message_id", "=", PatternString(v)}, f);
      if (!message_id) message_id = std::string(v);
    } else if (role == "reply-to" || role == "x-mailer") {
      std::string header = role == "reply-to" ? "Reply-To" : "X-Mailer";
      AddCmp(a, {"email-message:additional_header_fields." + PatternString(header), "=",
                 PatternString(v)},
             f);
      if (std::none_of(headers.begin(), headers.end(),
                       [&](const auto& h) { return h.first == header; })) {
        headers.emplace_back(header, std::string(v));
      }
    } else if (role == "email-body") {
      AddCmp(a, {"email-message:body", "=", PatternString(a.value)}, f);
      if (!body) body = a.value;
    } else if (role == "attachment") {
      AddCmp(a, {"email-message:body_multipart[*].body_raw_ref.name", "=", PatternString(v)}, f);
      attachments.emplace_back(v);
    } else {
      left.Add(a, f);
    }
  }
  auto add_addrs = [&](const std::vector<std::string>& list) {
    std::vector<size_t> refs;
    for (const std::string& addr : list) {
      refs.push_back(f->graph.Add(ScoDraft{"email-addr", {}}.Str("value", addr)));
    }
    return refs;
  };
  std::optional<size_t> from_index;
  if (from) from_index = f->graph.Add(ScoDraft{"email-addr", {}}.Str("value", *from));
  std::vector<size_t> to_refs = add_addrs(to), cc_refs = add_addrs(cc), bcc_refs = add_addrs(bcc);
  std::vector<size_t> file_refs;
  for (const std::string& name : attachments) {
    file_refs.push_back(f->graph.Add(ScoDraft{"file", {}}.Str("name", name)));
  }
  ScoDraft msg{"email-message", {}};
  msg.Bool("is_multipart", !file_refs.empty());
  if (from_index) msg.Raw("from_ref", RefToken(*from_index));
  if (!to_refs.empty()) msg.Raw("to_refs", RefList(to_refs));
  if (!cc_refs.empty()) msg.Raw("cc_refs", RefList(cc_refs));
  if (!bcc_refs.empty()) msg.Raw("bcc_refs", RefList(bcc_refs));
  if (subject) msg.Str("subject", *subject);
  if (message_id) msg.Str("message_id", *message_id);
  if (!headers.empty()) msg.Raw("additional_header_fields", StringDict(headers));
  if (!file_refs.empty()) {
    // §6.6: body is not used with is_multipart; a multipart message carries it as a part.
    std::string parts = "[";
    if (body) parts += JsonWriter().BeginObject().Key("body").String(*body).EndObject().str() + ",";
    for (size_t i = 0; i < file_refs.size(); ++i) {
      if (i) parts += ",";
      parts += "{\"body_raw_ref\":" + RefToken(file_refs[i]) + "}";
    }
    msg.Raw("body_multipart", parts + "]");
  } else if (body) {
    msg.Str("body", *body);
  }
  AddCustomProperties(left.values, &msg);
  f->graph.main = f->graph.Add(std::move(msg));
  return true;
}

bool RegistryKeyForms(const MispObject& o, ObjectForms* f) {
  std::optional<std::string> key, value_name, data, data_type;
  Leftovers left;
  static const std::unordered_set<std::string_view> kDataTypes = {
      "REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD", "REG_DWORD_BIG_ENDIAN",
      "REG_DWORD_LITTLE_ENDIAN", "REG_LINK", "REG_MULTI_SZ", "REG_RESOURCE_LIST",
      "REG_FULL_RESOURCE_DESCRIPTION", "REG_RESOURCE_REQUIREMENTS_LIST", "REG_QWORD",
      "REG_INVALID_TYPE"};
  for (const Attribute& a : o.attributes) {
    std::string rel = Rel(a);
    std::string_view v = Trim(a.value);
    if ((rel == "key" || a.type == "regkey") && !key) {
      AddCmp(a, {"windows-registry-key:key", "=", PatternString(v)}, f);
      key = std::string(v);
    } else if (rel == "name" && !value_name) {
      AddCmp(a, {"windows-registry-key:values[*].name", "=", PatternString(v)}, f);
      value_name = std::string(v);
    } else if (rel == "data" && !data) {
      AddCmp(a, {"windows-registry-key:values[*].data", "=", PatternString(v)}, f);
      data = std::string(v);
    } else if (rel == "data-type" && !data_type && kDataTypes.count(v)) {
      AddCmp(a, {"windows-registry-key:values[*].data_type", "=", PatternString(v)}, f);
      data_type = std::string(v);
    } else {
      left.Add(a, f);
    }
  }
  if (!key) return false;
  ScoDraft d{"windows-registry-key", {}};
  d.Str("key", *key);
  if (value_name || data || data_type) {
    JsonWriter w;
    w.BeginArray().BeginObject();
    if (value_name) w.Key("name").String(*value_name);
    if (data) w.Key("data").String(*data);
    if (data_type) w.Key("data_type").String(*data_type);
    w.EndObject().EndArray();
    d.Raw("values", std::move(w).Take());
  }
  AddCustomProperties(left.values, &d);
  f->graph.main = f->graph.Add(std::move(d));
  return true;
}

bool X509Forms(const MispObject& o, ObjectForms* f) {
  std::vector<std::pair<std::string, std::string>> hashes;
  std::optional<std::string> serial, issuer, subject;
  Leftovers left;
  for (const Attribute& a : o.attributes) {
    std::string rel = Rel(a);
    std::string_view v = Trim(a.value);
    const HashAlgo* algo =
        a.type.substr(0, 17) == "x509-fingerprint-" ? FindHashAlgo(a.type.substr(17)) : nullptr;
    std::string digits;
    for (char c : v) {
      if (c != ':' && c != ' ') digits.push_back(c);
    }
    std::string hash = algo ? NormaliseHash(*algo, digits) : std::string();
    if (!hash.empty()) {
      AddCmp(a, {HashPath("x509-certificate:hashes", algo->stix), "=", PatternString(hash)}, f);
      if (std::none_of(hashes.begin(), hashes.end(),
                       [&](const auto& p) { return p.first == algo->stix; })) {
        hashes.emplace_back(std::string(algo->stix), hash);
      }
    } else if (rel == "serial-number" && !serial) {
      AddCmp(a, {"x509-certificate:serial_number", "=", PatternString(v)}, f);
      serial = std::string(v);
    } else if (rel == "issuer" && !issuer) {
      AddCmp(a, {"x509-certificate:issuer", "=", PatternString(v)}, f);
      issuer = std::string(v);
    } else if (rel == "subject" && !subject) {
      AddCmp(a, {"x509-certificate:subject", "=", PatternString(v)}, f);
      subject = std::string(v);
    } else {
      left.Add(a, f);
    }
  }
  if (hashes.empty() && !serial && !issuer && !subject) return false;
  ScoDraft d{"x509-certificate", {}};
  if (!hashes.empty()) d.Raw("hashes", StringDict(hashes));
  if (serial) d.Str("serial_number", *serial);
  if (issuer) d.Str("issuer", *issuer);
  if (subject) d.Str("subject", *subject);
  AddCustomProperties(left.values, &d);
  f->graph.main = f->graph.Add(std::move(d));
  return true;
}

// credential (as misp-stix: username -> user_id) and user-account.
bool UserAccountForms(const MispObject& o, ObjectForms* f) {
  bool credential_template = o.name == "credential";
  std::vector<std::pair<std::string, std::string>> props;
  Leftovers left;
  for (const Attribute& a : o.attributes) {
    std::string rel = Rel(a);
    std::string prop;
    if (rel == "username") prop = credential_template ? "user_id" : "account_login";
    if (rel == "user-id") prop = "user_id";
    if (rel == "display-name") prop = "display_name";
    if (rel == "password") prop = "credential";
    if (!prop.empty() &&
        std::none_of(props.begin(), props.end(), [&](const auto& p) { return p.first == prop; })) {
      AddCmp(a, {"user-account:" + prop, "=", PatternString(a.value)}, f);
      props.emplace_back(prop, a.value);
    } else {
      left.Add(a, f);
    }
  }
  if (props.empty()) return false;
  ScoDraft d{"user-account", {}};
  for (const auto& [k, v] : props) d.Str(k, v);
  AddCustomProperties(left.values, &d);
  f->graph.main = f->graph.Add(std::move(d));
  return true;
}

bool AsnForms(const MispObject& o, ObjectForms* f) {
  std::optional<int64_t> number;
  std::optional<std::string> name;
  Leftovers left;
  for (const Attribute& a : o.attributes) {
    std::string rel = Rel(a);
    std::optional<int64_t> n = (rel == "asn" || a.type == "AS") ? ParseAsn(a.value) : std::nullopt;
    if (n && !number) {
      AddCmp(a, {"autonomous-system:number", "=", std::to_string(*n)}, f);
      number = n;
    } else if (rel == "description" && !name) {
      AddCmp(a, {"autonomous-system:name", "=", PatternString(a.value)}, f);
      name = a.value;
    } else {
      left.Add(a, f);
    }
  }
  if (!number) return false;
  ScoDraft d{"autonomous-system", {}};
  d.Int("number", *number);
  if (name) d.Str("name", *name);
  AddCustomProperties(left.values, &d);
  f->graph.main = f->graph.Add(std::move(d));
  return true;
}

bool MutexForms(const MispObject& o, ObjectForms* f) {
  std::optional<std::string> name;
  Leftovers left;
  for (const Attribute& a : o.attributes) {
    if ((Rel(a) == "name" || a.type == "mutex") && !name) {
      AddCmp(a, {"mutex:name", "=", PatternString(a.value)}, f);
      name = a.value;
    } else {
      left.Add(a, f);
    }
  }
  if (!name) return false;
  ScoDraft d{"mutex", {}};
  d.Str("name", *name);
  AddCustomProperties(left.values, &d);
  f->graph.main = f->graph.Add(std::move(d));
  return true;
}

using TemplateForms = bool (*)(const MispObject&, ObjectForms*);

TemplateForms FindTemplate(std::string_view name) {
  if (name == "file") return FileForms;
  if (name == "domain-ip" || name == "domain|ip") return DomainIpForms;
  if (name == "ip-port" || name == "ip|port" || name == "network-connection" ||
      name == "network-socket") {
    return IpPortForms;
  }
  if (name == "url") return UrlForms;
  if (name == "email") return EmailForms;
  if (name == "registry-key") return RegistryKeyForms;
  if (name == "x509") return X509Forms;
  if (name == "credential" || name == "user-account") return UserAccountForms;
  if (name == "asn") return AsnForms;
  if (name == "mutex") return MutexForms;
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Galaxies (the type lists of misp-stix's stix_mapping.py)

std::string_view ClusterStixType(std::string_view galaxy_type) {
  static const std::unordered_map<std::string_view, std::string_view> kTypes = {
      {"cmtmf-attack-pattern", "attack-pattern"},
      {"mitre-attack-pattern", "attack-pattern"},
      {"mitre-enterprise-attack-attack-pattern", "attack-pattern"},
      {"mitre-ics-techniques", "attack-pattern"},
      {"mitre-mobile-attack-attack-pattern", "attack-pattern"},
      {"mitre-pre-attack-attack-pattern", "attack-pattern"},
      {"mitre-course-of-action", "course-of-action"},
      {"mitre-enterprise-attack-course-of-action", "course-of-action"},
      {"mitre-mobile-attack-course-of-action", "course-of-action"},
      {"mitre-enterprise-attack-intrusion-set", "intrusion-set"},
      {"mitre-intrusion-set", "intrusion-set"},
      {"mitre-mobile-attack-intrusion-set", "intrusion-set"},
      {"mitre-pre-attack-intrusion-set", "intrusion-set"},
      {"android", "malware"},
      {"backdoor", "malware"},
      {"banker", "malware"},
      {"cryptominers", "malware"},
      {"malpedia", "malware"},
      {"mitre-enterprise-attack-malware", "malware"},
      {"mitre-ics-software", "malware"},
      {"mitre-malware", "malware"},
      {"mitre-mobile-attack-malware", "malware"},
      {"ransomware", "malware"},
      {"stealer", "malware"},
      // misp-stix maps the threat-actor galaxy to threat-actor (not intrusion-set); kept, so that
      // MISP round trips name the same type.
      {"360net-threat-actor", "threat-actor"},
      {"microsoft-activity-group", "threat-actor"},
      {"mitre-ics-groups", "threat-actor"},
      {"threat-actor", "threat-actor"},
      {"botnet", "tool"},
      {"rat", "tool"},
      {"exploit-kit", "tool"},
      {"tds", "tool"},
      {"tool", "tool"},
      {"mitre-tool", "tool"},
      {"mitre-enterprise-attack-tool", "tool"},
      {"mitre-mobile-attack-tool", "tool"},
      {"branded-vulnerability", "vulnerability"},
  };
  auto it = kTypes.find(galaxy_type);
  return it == kTypes.end() ? std::string_view() : it->second;
}

// ATT&CK ids in cluster values ("Spearphishing Attachment - T1193", "APT1 - G0006").
bool IsAttackId(std::string_view s) {
  size_t letters = 0;
  while (letters < s.size() && s[letters] >= 'A' && s[letters] <= 'Z') ++letters;
  if (letters < 1 || letters > 2 || s.size() < letters + 4) return false;
  std::string_view rest = s.substr(letters);
  size_t dot = rest.find('.');
  if (dot == std::string_view::npos) return IsDigits(rest) && rest.size() == 4;
  return dot == 4 && IsDigits(rest.substr(0, 4)) && IsDigits(rest.substr(5)) &&
         rest.size() == 8;
}

std::string_view AttackSourceName(std::string_view galaxy_type) {
  if (galaxy_type.find("mobile") != std::string_view::npos) return "mitre-mobile-attack";
  if (galaxy_type.find("pre-attack") != std::string_view::npos) return "mitre-pre-attack";
  if (galaxy_type.find("ics") != std::string_view::npos) return "mitre-ics-attack";
  return "mitre-attack";
}

// misp-galaxy:<type>="<value>" -> {type, value}; false for other tags.
bool ParseGalaxyTag(std::string_view tag, std::string* type, std::string* value) {
  constexpr std::string_view kPrefix = "misp-galaxy:";
  if (tag.substr(0, kPrefix.size()) != kPrefix) return false;
  std::string_view rest = tag.substr(kPrefix.size());
  size_t eq = rest.find('=');
  if (eq == std::string_view::npos || eq == 0) return false;
  std::string_view v = Trim(rest.substr(eq + 1));
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (Trim(v).empty()) return false;
  *type = std::string(Trim(rest.substr(0, eq)));
  *value = std::string(Trim(v));
  return true;
}

// The STIX type of a cluster (its own type, else its galaxy's); empty when not mapped.
std::string_view ClusterType(const Galaxy& g, const Cluster& c) {
  std::string_view type = ClusterStixType(c.type.empty() ? g.type : c.type);
  return type.empty() ? ClusterStixType(g.type) : type;
}

// ---------------------------------------------------------------------------------------------
// The conversion of one ConvertMispEvent call.

struct ScoEntry {
  std::string type;
  std::vector<std::pair<std::string, std::string>> props;  // resolved raw JSON
  Stamp stamp;
};

// Merges two raw JSON values of the same property of one SCO: lists of strings are unioned,
// objects get the keys they lack (a second hash of the same file), anything else keeps `a`.
std::string MergeRaw(const std::string& a, const std::string& b) {
  if (a == b) return a;
  simdjson::dom::parser pa, pb;
  element ea, eb;
  if (pa.parse(a).get(ea) != simdjson::SUCCESS || pb.parse(b).get(eb) != simdjson::SUCCESS) {
    return a;
  }
  if (ea.type() == element_type::ARRAY && eb.type() == element_type::ARRAY) {
    std::vector<std::string> items;
    array la = ea.get_array().value_unsafe();
    array lb = eb.get_array().value_unsafe();
    for (element e : la) items.push_back(stix::CanonicalJson(e));
    for (element e : lb) {
      std::string c = stix::CanonicalJson(e);
      if (std::find(items.begin(), items.end(), c) == items.end()) items.push_back(c);
    }
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
    return out + "]";
  }
  if (ea.type() == element_type::OBJECT && eb.type() == element_type::OBJECT) {
    JsonWriter w;
    w.BeginObject();
    std::set<std::string> seen;
    object oa = ea.get_object().value_unsafe();
    object ob = eb.get_object().value_unsafe();
    for (auto field : oa) {
      seen.emplace(field.key);
      w.Key(field.key).Raw(stix::CanonicalJson(field.value));
    }
    for (auto field : ob) {
      if (seen.count(std::string(field.key))) continue;
      w.Key(field.key).Raw(stix::CanonicalJson(field.value));
    }
    w.EndObject();
    return std::move(w).Take();
  }
  return a;
}

class Conversion {
 public:
  Conversion(const MispOptions& options, ConversionStats* stats)
      : options_(options),
        stats_(stats),
        namespace_(*Uuid::Parse(kMispStixNamespace)),
        now_(ToMillis((options.provenance.now ? *options.provenance.now : Timestamp::Now())
                          .micros())) {
    for (const std::string& ref : options_.provenance.object_marking_refs) {
      if (const stix::TlpMarking* tlp = stix::FindTlpMarking(ref)) {
        option_tlp_ = MaxTlp(option_tlp_, tlp->level);
      } else if (std::find(extra_markings_.begin(), extra_markings_.end(), ref) ==
                 extra_markings_.end()) {
        extra_markings_.push_back(ref);
      }
    }
  }

  Status AddEvent(const Event& event);
  Status Flush(const ObjectSink& sink);

 private:
  // Per-event state.
  struct EventState {
    const Event* event = nullptr;
    std::string report_id;
    std::string created_by;
    Timestamp created_base, modified, published;
    Stamp stamp;
    std::vector<std::string> refs;  // report object_refs, in order
    std::unordered_set<std::string> ref_set;
    std::set<std::string> converted_cluster_tags;
    // MISP uuid (lower case) of attributes and objects -> the STIX object representing it.
    std::unordered_map<std::string, std::pair<std::string, Stamp>> by_uuid;
    struct ClusterUse {
      const Cluster* cluster;
      std::string galaxy_name;
      std::string stix_type;
      std::string id;
      Stamp stamp;
    };
    std::vector<ClusterUse> clusters;
    std::vector<std::string> skipped_galaxy_tags;
    // tag_names of the clusters the event's Galaxy entries describe; galaxy tags without one
    // become clusters of their own, kept in `tag_galaxies` (a deque: clusters are pointed to).
    std::set<std::string> described_tags;
    std::deque<Galaxy> tag_galaxies;
  };

  void Count(std::string_view name, uint64_t n = 1) {
    if (stats_) stats_->Add(name, n);
  }
  // Where and why something of an attribute was left out, for the import summary.
  void Note(const Attribute& a, const std::string& what) {
    if (stats_) {
      stats_->Note("attribute " + (a.uuid.empty() ? a.path : a.uuid) + ": " + what);
    }
  }
  static std::string Shortened(std::string_view value) {
    std::string out(value.substr(0, 80));
    for (char& c : out) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    return value.size() > 80 ? out + "…" : out;
  }

  // The id of a new STIX object: the MISP uuid when it is a UUIDv4 and still free in this call,
  // else UUIDv5 over `name`. Reserved, so no two objects of one call share an id.
  std::string NewId(std::string_view type, const std::string& misp_key, std::string_view salt) {
    std::string id;
    if (Uuid::IsValid(misp_key)) {
      Result<Uuid> u = Uuid::Parse(misp_key);
      if (u.ok() && u->version() == 4) id = std::string(type) + "--" + Lower(misp_key);
    }
    std::string name = std::string(type) + "|" + misp_key + "|" + std::string(salt);
    for (int n = 0; id.empty() || used_ids_.count(id); ++n) {
      id = std::string(type) + "--" +
           Uuid::V5(namespace_, n == 0 ? name : name + "|" + std::to_string(n)).ToString();
    }
    used_ids_.insert(id);
    return id;
  }

  void AddRef(EventState& st, const std::string& id) {
    if (st.ref_set.insert(id).second) st.refs.push_back(id);
  }

  std::vector<std::string> MarkingRefs(const Stamp& stamp) {
    std::vector<std::string> refs;
    std::optional<TlpLevel> level = MaxTlp(stamp.tlp, option_tlp_);
    // Distribution 0, "your organisation only", is TLP 2.0's AMBER+STRICT audience; the hub
    // releases by markings, so it becomes that marking (or stays the stricter TLP it has). A
    // sharing group (4), set on the event or the attribute, names organisations this hub cannot
    // know: it fails closed the same way (its name and uuid stay in x_misp_sharing_group, for
    // an administrator to re-mark REL TO the matching community).
    if ((stamp.dist.level == 0 || stamp.dist.level == 4) &&
        (!level || *level < TlpLevel::kAmberStrict)) {
      level = TlpLevel::kAmberStrict;
      Count(stamp.dist.level == 0 ? "misp.distribution.org_only_as_amber_strict"
                                  : "misp.distribution.sharing_group_as_amber_strict");
    }
    if (level) {
      used_tlp_.insert(*level);
      refs.emplace_back(Tlp2For(*level).id);
    }
    for (const std::string& m : extra_markings_) refs.push_back(m);
    return refs;
  }

  // type, spec_version, id, created_by_ref, created, modified.
  void Head(JsonWriter& w, std::string_view type, const std::string& id, const EventState& st,
            Timestamp created, Timestamp modified) {
    w.BeginObject().Key("type").String(type).Key("spec_version").String("2.1").Key("id").String(
        id);
    if (!st.created_by.empty()) w.Key("created_by_ref").String(st.created_by);
    if (created > modified) created = modified;
    w.Key("created").String(created.ToMillisString());
    w.Key("modified").String(modified.ToMillisString());
  }

  // labels, object_marking_refs, x_misp_distribution, x_misp_sharing_group; closes the object.
  void Tail(JsonWriter& w, const std::vector<std::string>& labels, const Stamp& stamp) {
    if (!labels.empty()) {
      w.Key("labels").BeginArray();
      for (const std::string& l : labels) w.String(l);
      w.EndArray();
    }
    WriteStamp(w, stamp);
    w.EndObject();
  }

  void WriteStamp(JsonWriter& w, const Stamp& stamp) {
    std::vector<std::string> markings = MarkingRefs(stamp);
    if (!markings.empty()) {
      w.Key("object_marking_refs").BeginArray();
      for (const std::string& m : markings) w.String(m);
      w.EndArray();
    }
    if (stamp.dist.level >= 0 && stamp.dist.level <= 4) {
      w.Key("x_misp_distribution").Int(stamp.dist.level);
      if (stamp.dist.level == 4) {
        w.Key("x_misp_sharing_group").BeginObject();
        if (!stamp.dist.sg_id.empty()) w.Key("id").String(stamp.dist.sg_id);
        if (!stamp.dist.sg_name.empty()) w.Key("name").String(stamp.dist.sg_name);
        if (!stamp.dist.sg_uuid.empty()) w.Key("uuid").String(stamp.dist.sg_uuid);
        w.EndObject();
      }
    }
  }

  void Emit(std::string json) { objects_.push_back(std::move(json)); }

  // Resolves a draft graph into SCOs (merged into scos_), returning their ids in graph order.
  Result<std::vector<std::string>> AddScos(const ScoGraph& graph, const Stamp& stamp,
                                           const std::string& seed);

  void EmitRelationship(EventState& st, std::string_view type, const std::string& source,
                        const std::string& target, Timestamp modified, const Stamp& stamp,
                        const std::string& misp_key, const std::string& description);
  void EmitNote(EventState& st, const Attribute& a, Timestamp modified, const Stamp& stamp,
                const std::vector<std::string>& labels);
  Status ConvertAttribute(EventState& st, const Attribute& a, const Distribution& parent_dist);
  Status ConvertObject(EventState& st, const MispObject& o);
  void ConvertReferences(EventState& st, const MispObject& o);
  // Galaxy clusters attached to the event (source_id empty) or to one attribute/object (a
  // relationship from source_id to each cluster), from Galaxy entries and misp-galaxy tags.
  void UseClusters(EventState& st, const std::vector<Galaxy>& galaxies,
                   const std::vector<std::string>& tags, const Stamp& stamp,
                   const std::string& source_id, std::string_view source_type,
                   Timestamp modified);
  void UseCluster(EventState& st, const Galaxy& g, const Cluster& c, const Stamp& stamp,
                  const std::string& source_id, std::string_view source_type,
                  Timestamp modified);
  void PrepareGalaxyTags(EventState& st);
  void EmitClusters(EventState& st);
  void EmitIdentity(const Event& event, Timestamp created, Timestamp modified);

  std::vector<std::string> AttributeLabels(const EventState& st, const Attribute& a) const {
    std::vector<std::string> labels = {"misp:type=\"" + a.type + "\""};
    if (!a.category.empty()) labels.push_back("misp:category=\"" + a.category + "\"");
    AppendTagLabels(st, a.tags, &labels);
    return labels;
  }

  static void AppendTagLabels(const EventState& st, const std::vector<std::string>& tags,
                              std::vector<std::string>* labels) {
    for (const std::string& t : tags) {
      if (TlpFromTag(t)) continue;
      if (t.compare(0, 12, "misp-galaxy:") == 0 && st.converted_cluster_tags.count(t)) continue;
      if (std::find(labels->begin(), labels->end(), t) == labels->end()) labels->push_back(t);
    }
  }

  // The strictest TLP the tags name. A TLP tag naming no level known here (tlp:unclear, a
  // misspelt one) fails closed: TLP:RED, and the summary says so once per tag.
  std::optional<TlpLevel> TagsTlp(const std::vector<std::string>& tags) {
    std::optional<TlpLevel> level;
    for (const std::string& t : tags) {
      TlpTag read = ReadTlpTag(t);
      if (read.level) {
        level = MaxTlp(level, read.level);
      } else if (read.tlp) {
        level = MaxTlp(level, TlpLevel::kRed);
        if (stats_ && unknown_tlp_tags_.insert(t).second) {
          stats_->Note("tag '" + Shortened(t) +
                       "' names no TLP level known here: its content is marked TLP:RED (fail "
                       "closed); retag it tlp:clear, tlp:green, tlp:amber, tlp:amber+strict or "
                       "tlp:red");
        }
      }
    }
    return level;
  }

  const MispOptions& options_;
  ConversionStats* stats_;
  Uuid namespace_;
  Timestamp now_;
  std::optional<TlpLevel> option_tlp_;
  std::vector<std::string> extra_markings_;
  std::set<TlpLevel> used_tlp_;
  std::set<std::string> unknown_tlp_tags_;  // TLP tags naming no known level, noted once each
  std::unordered_set<std::string> used_ids_;
  std::set<std::string> unmapped_types_;  // attribute types kept as notes, said once each
  std::unordered_set<std::string> identities_;
  std::vector<std::string> objects_;
  std::vector<std::string> sco_order_;
  std::unordered_map<std::string, ScoEntry> scos_;
  simdjson::dom::parser sco_parser_;
};

Result<std::vector<std::string>> Conversion::AddScos(const ScoGraph& graph, const Stamp& stamp,
                                                     const std::string& seed) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < graph.drafts.size(); ++i) {
    const ScoDraft& d = graph.drafts[i];
    ScoEntry entry{d.type, {}, stamp};
    for (const auto& [key, raw] : d.props) {
      std::string resolved;
      for (size_t p = 0; p < raw.size(); ++p) {
        if (raw[p] != '\x01') {
          resolved.push_back(raw[p]);
          continue;
        }
        size_t end = raw.find('\x01', p + 1);
        size_t index = std::stoul(raw.substr(p + 1, end - p - 1));
        if (index >= ids.size()) return Internal("SCO draft references a later draft");
        resolved += ids[index];
        p = end;
      }
      entry.props.emplace_back(key, std::move(resolved));
    }
    JsonWriter w;
    w.BeginObject().Key("type").String(d.type);
    for (const auto& [key, raw] : entry.props) w.Key(key).Raw(raw);
    w.EndObject();
    element root;
    if (sco_parser_.parse(w.str()).get(root) != simdjson::SUCCESS) {
      return Internal("converter built invalid SCO JSON: " + w.str());
    }
    Result<std::optional<std::string>> computed = stix::ComputeScoId(root);
    std::string id;
    if (computed.ok() && computed->has_value()) {
      id = **computed;
    } else {
      // No ID-contributing property present (§2.9 would want a UUIDv4): derive from the MISP
      // entity instead, so re-imports keep the id.
      id = d.type + "--" +
           Uuid::V5(namespace_, "sco|" + seed + "|" + std::to_string(i) + "|" + w.str())
               .ToString();
    }
    auto it = scos_.find(id);
    if (it == scos_.end()) {
      sco_order_.push_back(id);
      scos_.emplace(id, std::move(entry));
    } else {
      ScoEntry& have = it->second;
      have.stamp = JoinStamp(have.stamp, stamp);
      for (auto& prop : entry.props) {
        auto p = std::find_if(have.props.begin(), have.props.end(),
                              [&](const auto& kv) { return kv.first == prop.first; });
        if (p == have.props.end()) {
          have.props.push_back(std::move(prop));
        } else {
          p->second = MergeRaw(p->second, prop.second);
        }
      }
    }
    ids.push_back(std::move(id));
  }
  return ids;
}

void Conversion::EmitRelationship(EventState& st, std::string_view type, const std::string& source,
                                  const std::string& target, Timestamp modified,
                                  const Stamp& stamp, const std::string& misp_key,
                                  const std::string& description) {
  std::string key = misp_key.empty() ? source + "|" + std::string(type) + "|" + target : misp_key;
  std::string id = NewId("relationship", key, misp_key.empty() ? "" : source + "|" + target);
  JsonWriter w;
  Head(w, "relationship", id, st, st.created_base, modified);
  w.Key("relationship_type").String(type);
  if (!description.empty()) w.Key("description").String(description);
  w.Key("source_ref").String(source).Key("target_ref").String(target);
  Tail(w, {}, stamp);
  Emit(std::move(w).Take());
  AddRef(st, id);
}

void Conversion::EmitNote(EventState& st, const Attribute& a, Timestamp modified,
                          const Stamp& stamp, const std::vector<std::string>& labels) {
  std::string id = NewId("note", a.key, "note");
  JsonWriter w;
  Head(w, "note", id, st, st.created_base, modified);
  std::string abstract = "MISP " + a.type + " attribute";
  if (!a.category.empty()) abstract += " (" + a.category + ")";
  w.Key("abstract").String(abstract);
  w.Key("content").String(a.value);
  w.Key("object_refs").BeginArray().String(st.report_id).EndArray();
  if (!a.comment.empty()) w.Key("x_misp_comment").String(a.comment);
  Tail(w, labels, stamp);
  Emit(std::move(w).Take());
  AddRef(st, id);
  if (!a.key.empty()) st.by_uuid[a.key] = {id, stamp};
  Count("misp.attributes.note");
}

Status Conversion::ConvertAttribute(EventState& st, const Attribute& a,
                                    const Distribution& parent_dist) {
  if (a.deleted) {
    Count("misp.attributes.deleted");
    return Status::Ok();
  }
  if (a.sightings) Count("misp.sightings.skipped", a.sightings);
  if (!a.bad_times.empty()) {
    Count("misp.attributes.bad_time");
    Note(a, a.bad_times + " is not a time: the attribute's timestamp stands in");
  }
  Stamp stamp{MaxTlp(st.stamp.tlp, TagsTlp(a.tags)), JoinDistribution(a.dist, parent_dist)};
  // Every object made from an event is a version of the event's time: MISP bumps the event's
  // timestamp on any edit, a re-tag of the event (a TLP every attribute inherits) included, but
  // not the attributes' own. The attribute's own time is when it was last seen to change.
  const Timestamp modified = st.modified;
  const Timestamp own = a.timestamp.value_or(st.modified);
  std::vector<std::string> labels = AttributeLabels(st, a);
  std::string_view pattern_type;
  AttrKind kind = KindOf(a.type, &pattern_type);
  bool to_ids = IsIds(a);
  if (Trim(a.value).empty()) {
    Count("misp.attributes.skipped.empty");
    return Status::Ok();
  }
  if (kind == AttrKind::kUnknown) {
    // No STIX form (a jarm fingerprint, a BTC address, an authentihash…): kept as a note under
    // the same markings rather than dropped, and said once per type in the summary.
    Count("misp.attributes.unmapped." + a.type);
    if (stats_ && unmapped_types_.insert(a.type).second) {
      stats_->Note("MISP attribute type " + a.type +
                   " has no STIX 2.1 form here: such attributes are kept as notes (no indicator, "
                   "so sensors will not match them)");
    }
  }
  if (kind == AttrKind::kNote || kind == AttrKind::kUnknown) {
    EmitNote(st, a, modified, stamp, labels);
    UseClusters(st, a.galaxies, a.tags, stamp, st.by_uuid[a.key].first, "note", modified);
    return Status::Ok();
  }

  std::string primary;
  std::string primary_type;
  if (kind == AttrKind::kVulnerability || kind == AttrKind::kCampaign ||
      kind == AttrKind::kThreatActor) {
    std::string_view type = kind == AttrKind::kVulnerability ? "vulnerability"
                            : kind == AttrKind::kCampaign    ? "campaign"
                                                             : "threat-actor";
    std::string value(Trim(a.value));
    primary = NewId(type, a.key, "");
    primary_type = std::string(type);
    JsonWriter w;
    Head(w, type, primary, st, st.created_base, modified);
    w.Key("name").String(value);
    if (!a.comment.empty()) w.Key("description").String(a.comment);
    if (kind == AttrKind::kVulnerability && IsCve(value)) {
      w.Key("external_references").BeginArray().BeginObject();
      w.Key("source_name").String("cve").Key("external_id").String(value);
      w.EndObject().EndArray();
    }
    Tail(w, labels, stamp);
    Emit(std::move(w).Take());
    Count("misp.attributes." + primary_type);
  } else {
    ValueForms forms;
    std::string pattern;
    bool pattern_ok = false;
    if (kind == AttrKind::kRule) {
      pattern = a.value;
      pattern_ok = pattern_type != "stix" || pattern::ParsePattern(pattern).ok();
      if (!pattern_ok) forms.invalid = true;
    } else {
      forms = FormsFor(a.type, a.value);
      if (a.type == "port" && Rel(a) == "src-port") {
        // A port attribute of an object converted attribute by attribute keeps its side.
        for (Comparison& c : forms.cmps) {
          if (c.path == "network-traffic:dst_port") c.path = "network-traffic:src_port";
        }
      }
      if (!forms.invalid && !forms.cmps.empty()) {
        pattern = BuildPattern(forms.cmps);
        // Every pattern is parsed before it is written, so a value the checks above let through
        // still cannot put an invalid indicator into the store.
        pattern_ok = pattern::ParsePattern(pattern).ok();
        if (!pattern_ok) forms.invalid = true;
      }
    }
    if (forms.invalid) {
      Count("misp.attributes.invalid." + a.type);
      Note(a, a.type + " value '" + Shortened(a.value) + "' is not a valid " + a.type);
    }
    if (forms.refanged) Count("misp.attributes.refanged");
    Timestamp first = a.first_seen.value_or(own);
    if (to_ids && pattern_ok) {
      primary = NewId("indicator", a.key, "");
      primary_type = "indicator";
      JsonWriter w;
      Head(w, "indicator", primary, st, st.created_base, modified);
      if (!a.comment.empty()) w.Key("description").String(a.comment);
      w.Key("indicator_types").BeginArray().String("malicious-activity").EndArray();
      w.Key("pattern").String(pattern);
      w.Key("pattern_type").String(pattern_type.empty() ? "stix" : pattern_type);
      if (pattern_type.empty() || pattern_type == "stix") w.Key("pattern_version").String("2.1");
      w.Key("valid_from").String(first.ToMillisString());
      if (a.last_seen && *a.last_seen > first) {
        w.Key("valid_until").String(a.last_seen->ToMillisString());
      }
      std::string phase = KillChainName(a.category);
      if (!phase.empty()) {
        w.Key("kill_chain_phases").BeginArray().BeginObject();
        w.Key("kill_chain_name").String("misp-category").Key("phase_name").String(phase);
        w.EndObject().EndArray();
      }
      Tail(w, labels, stamp);
      Emit(std::move(w).Take());
      Count("misp.attributes.indicator");
    } else if (!to_ids && !forms.invalid && !forms.graph.empty()) {
      CTI_ASSIGN_OR_RETURN(std::vector<std::string> sco_ids,
                           AddScos(forms.graph, stamp, a.key));
      primary = NewId("observed-data", a.key, "");
      primary_type = "observed-data";
      Timestamp last = a.last_seen && *a.last_seen > first ? *a.last_seen : first;
      JsonWriter w;
      Head(w, "observed-data", primary, st, st.created_base, modified);
      w.Key("first_observed").String(first.ToMillisString());
      w.Key("last_observed").String(last.ToMillisString());
      w.Key("number_observed").Int(1);
      w.Key("object_refs").BeginArray().String(sco_ids[forms.graph.main]);
      for (size_t i = 0; i < sco_ids.size(); ++i) {
        if (i != forms.graph.main) w.String(sco_ids[i]);
      }
      w.EndArray();
      if (!a.comment.empty()) w.Key("x_misp_comment").String(a.comment);
      Tail(w, labels, stamp);
      Emit(std::move(w).Take());
      for (const std::string& id : sco_ids) AddRef(st, id);
      Count("misp.attributes.observed-data");
    } else {
      // Invalid value, or no SCO form for it (user-agent, url without a scheme, …): keep the
      // value as a note rather than drop it.
      EmitNote(st, a, modified, stamp, labels);
      primary = st.by_uuid[a.key].first;
      primary_type = "note";
    }
  }
  AddRef(st, primary);
  if (!a.key.empty()) st.by_uuid[a.key] = {primary, stamp};
  UseClusters(st, a.galaxies, a.tags, stamp, primary, primary_type, modified);
  return Status::Ok();
}

Status Conversion::ConvertObject(EventState& st, const MispObject& o) {
  if (o.deleted) {
    Count("misp.objects.deleted");
    return Status::Ok();
  }
  Distribution object_dist = o.dist.level < 0 || o.dist.level == 5
                                 ? st.stamp.dist
                                 : JoinDistribution(o.dist, st.stamp.dist);
  std::vector<const Attribute*> live;
  for (const Attribute& a : o.attributes) {
    if (a.deleted) {
      Count("misp.attributes.deleted");
    } else {
      live.push_back(&a);
    }
  }
  MispObject pruned;
  const MispObject* obj = &o;
  if (live.size() != o.attributes.size()) {
    pruned = o;
    pruned.attributes.clear();
    for (const Attribute* a : live) pruned.attributes.push_back(*a);
    obj = &pruned;
  }
  TemplateForms forms_fn = FindTemplate(o.name);
  ObjectForms forms;
  bool mapped = forms_fn && !obj->attributes.empty() && forms_fn(*obj, &forms);
  std::string pattern;
  if (mapped && !forms.cmps.empty()) {
    pattern = BuildPattern(forms.cmps);
    if (!pattern::ParsePattern(pattern).ok()) mapped = false;
  }
  if (!mapped) {
    // Unknown template or one whose values do not fit: attribute by attribute, so nothing is
    // lost; references still resolve through the object's first converted attribute.
    Count("misp.objects.per_attribute." + (o.name.empty() ? std::string("unnamed") : o.name));
    std::string first_id;
    for (const Attribute& a : obj->attributes) {
      CTI_RETURN_IF_ERROR(ConvertAttribute(st, a, object_dist));
      auto it = st.by_uuid.find(a.key);
      if (first_id.empty() && it != st.by_uuid.end()) {
        first_id = it->second.first;
        st.by_uuid[o.key] = it->second;
      }
    }
    return Status::Ok();
  }

  for (const Attribute* a : forms.invalid) {
    Count("misp.attributes.invalid." + a->type);
    Note(*a, a->type + " value '" + Shortened(a->value) + "' in object " +
                 (o.uuid.empty() ? o.path : o.uuid) + " is not a valid " + a->type +
                 ": kept on its observable as a custom property, left out of the pattern");
  }
  Stamp stamp{st.stamp.tlp, object_dist};
  const Timestamp modified = st.modified;  // the event's (see ConvertAttribute)
  Timestamp own = o.timestamp.value_or(Timestamp(0));
  std::vector<std::string> labels = {"misp:name=\"" + o.name + "\""};
  if (!o.meta_category.empty()) labels.push_back("misp:meta-category=\"" + o.meta_category + "\"");
  bool any_non_ids = false;
  for (const Attribute& a : obj->attributes) {
    stamp.tlp = MaxTlp(stamp.tlp, TagsTlp(a.tags));
    Distribution d = a.dist.level < 0 || a.dist.level == 5 ? object_dist
                                                           : JoinDistribution(a.dist, object_dist);
    stamp.dist = JoinDistribution(stamp.dist, d);
    if (!o.timestamp && a.timestamp && *a.timestamp > own) own = *a.timestamp;
    AppendTagLabels(st, a.tags, &labels);
    if (!IsIds(a)) any_non_ids = true;
    if (a.sightings) Count("misp.sightings.skipped", a.sightings);
  }
  if (own == Timestamp(0)) own = st.modified;
  Timestamp first = o.first_seen.value_or(own);

  std::string indicator_id, observed_id;
  if (!forms.cmps.empty()) {
    indicator_id = NewId("indicator", o.key, "");
    JsonWriter w;
    Head(w, "indicator", indicator_id, st, st.created_base, modified);
    if (!o.comment.empty()) w.Key("description").String(o.comment);
    w.Key("indicator_types").BeginArray().String("malicious-activity").EndArray();
    w.Key("pattern").String(pattern).Key("pattern_type").String("stix");
    w.Key("pattern_version").String("2.1");
    w.Key("valid_from").String(first.ToMillisString());
    if (o.last_seen && *o.last_seen > first) {
      w.Key("valid_until").String(o.last_seen->ToMillisString());
    }
    std::string phase = KillChainName(o.meta_category);
    if (!phase.empty()) {
      w.Key("kill_chain_phases").BeginArray().BeginObject();
      w.Key("kill_chain_name").String("misp-category").Key("phase_name").String(phase);
      w.EndObject().EndArray();
    }
    Tail(w, labels, stamp);
    Emit(std::move(w).Take());
    AddRef(st, indicator_id);
    Count("misp.objects.indicator");
  }
  if (forms.cmps.empty() || any_non_ids || forms.ids_unplaced) {
    CTI_ASSIGN_OR_RETURN(std::vector<std::string> sco_ids, AddScos(forms.graph, stamp, o.key));
    observed_id = NewId("observed-data", o.key, "");
    Timestamp last = o.last_seen && *o.last_seen > first ? *o.last_seen : first;
    JsonWriter w;
    Head(w, "observed-data", observed_id, st, st.created_base, modified);
    w.Key("first_observed").String(first.ToMillisString());
    w.Key("last_observed").String(last.ToMillisString());
    w.Key("number_observed").Int(1);
    w.Key("object_refs").BeginArray().String(sco_ids[forms.graph.main]);
    for (size_t i = 0; i < sco_ids.size(); ++i) {
      if (i != forms.graph.main) w.String(sco_ids[i]);
    }
    w.EndArray();
    if (!o.comment.empty()) w.Key("x_misp_comment").String(o.comment);
    Tail(w, labels, stamp);
    Emit(std::move(w).Take());
    AddRef(st, observed_id);
    for (const std::string& id : sco_ids) AddRef(st, id);
    Count("misp.objects.observed-data");
  }
  if (!indicator_id.empty() && !observed_id.empty()) {
    EmitRelationship(st, "based-on", indicator_id, observed_id, modified, stamp, "", "");
  }
  std::string primary = indicator_id.empty() ? observed_id : indicator_id;
  st.by_uuid[o.key] = {primary, stamp};
  for (const Attribute& a : obj->attributes) {
    st.by_uuid.emplace(a.key, std::make_pair(primary, stamp));
    UseClusters(st, a.galaxies, a.tags, stamp, primary,
                indicator_id.empty() ? "observed-data" : "indicator", modified);
  }
  return Status::Ok();
}

void Conversion::ConvertReferences(EventState& st, const MispObject& o) {
  if (o.deleted) return;
  for (const Reference& r : o.references) {
    std::string source_key =
        Uuid::IsValid(r.source_uuid) ? Lower(r.source_uuid) : o.key;
    std::string target_key = Uuid::IsValid(r.referenced_uuid)
                                 ? Lower(r.referenced_uuid)
                                 : st.event->key + "/" + std::string(Trim(r.referenced_uuid));
    auto source = st.by_uuid.find(source_key);
    auto target = st.by_uuid.find(target_key);
    std::string type = RelationshipType(r.relationship_type);
    if (source == st.by_uuid.end() || target == st.by_uuid.end() || type.empty() ||
        source->second.first == target->second.first) {
      Count("misp.references.unresolved");
      continue;
    }
    Stamp stamp = JoinStamp(source->second.second, target->second.second);
    std::string key = Uuid::IsValid(r.uuid) ? Lower(r.uuid) : std::string();
    EmitRelationship(st, type, source->second.first, target->second.first, st.modified, stamp, key,
                     r.comment);
    Count("misp.references.relationship");
  }
}

void Conversion::UseClusters(EventState& st, const std::vector<Galaxy>& galaxies,
                             const std::vector<std::string>& tags, const Stamp& stamp,
                             const std::string& source_id, std::string_view source_type,
                             Timestamp modified) {
  for (const Galaxy& g : galaxies) {
    for (const Cluster& c : g.clusters) {
      UseCluster(st, g, c, stamp, source_id, source_type, modified);
    }
  }
  // A misp-galaxy tag whose cluster no Galaxy entry describes (exports made without galaxies,
  // PyMISP-built events): the tag alone names the cluster.
  for (const std::string& tag : tags) {
    std::string type, value;
    if (st.described_tags.count(tag) || !ParseGalaxyTag(tag, &type, &value)) continue;
    if (ClusterStixType(type).empty()) continue;  // stays a label
    auto it = std::find_if(st.tag_galaxies.begin(), st.tag_galaxies.end(),
                           [&](const Galaxy& g) { return g.clusters[0].tag_name == tag; });
    if (it == st.tag_galaxies.end()) {
      Galaxy g;
      g.type = type;
      Cluster c;
      c.type = type;
      c.value = value;
      c.tag_name = tag;
      g.clusters.push_back(std::move(c));
      st.tag_galaxies.push_back(std::move(g));
      it = st.tag_galaxies.end() - 1;
    }
    UseCluster(st, *it, it->clusters[0], stamp, source_id, source_type, modified);
  }
}

void Conversion::UseCluster(EventState& st, const Galaxy& g, const Cluster& c, const Stamp& stamp,
                            const std::string& source_id, std::string_view source_type,
                            Timestamp modified) {
  std::string_view type = ClusterType(g, c);
  if (type.empty()) {
    Count("misp.galaxies.skipped." + (g.type.empty() ? std::string("unknown") : g.type));
    // Kept as a report label (an attribute's own tags already label its objects).
    if (!c.tag_name.empty() && source_id.empty()) st.skipped_galaxy_tags.push_back(c.tag_name);
    return;
  }
  std::string key = st.event->key + "|" + Lower(c.uuid) + "|" + c.value;
  auto it = std::find_if(st.clusters.begin(), st.clusters.end(), [&](const auto& u) {
    return u.stix_type == type && u.cluster->value == c.value &&
           Lower(u.cluster->uuid) == Lower(c.uuid);
  });
  if (it == st.clusters.end()) {
    st.clusters.push_back({&c, g.name, std::string(type), NewId(type, key, "cluster"), stamp});
    it = st.clusters.end() - 1;
  } else {
    it->stamp = JoinStamp(it->stamp, stamp);
  }
  if (source_id.empty()) return;
  static const std::set<std::string_view> kIndicated = {
      "attack-pattern", "campaign", "intrusion-set", "malware", "threat-actor", "tool"};
  std::string_view rel =
      source_type == "indicator" && kIndicated.count(type) ? "indicates" : "related-to";
  EmitRelationship(st, rel, source_id, it->id, modified, JoinStamp(stamp, it->stamp), "", "");
}

// Before any label is written: which misp-galaxy tags become clusters (and so are not labels).
void Conversion::PrepareGalaxyTags(EventState& st) {
  const Event& e = *st.event;
  auto describe = [&](const std::vector<Galaxy>& galaxies) {
    for (const Galaxy& g : galaxies) {
      for (const Cluster& c : g.clusters) {
        if (c.tag_name.empty()) continue;
        st.described_tags.insert(c.tag_name);
        if (!ClusterType(g, c).empty()) st.converted_cluster_tags.insert(c.tag_name);
      }
    }
  };
  auto tagged = [&](const std::vector<std::string>& tags) {
    for (const std::string& t : tags) {
      std::string type, value;
      if (ParseGalaxyTag(t, &type, &value) && !ClusterStixType(type).empty()) {
        st.converted_cluster_tags.insert(t);
      }
    }
  };
  describe(e.galaxies);
  tagged(e.tags);
  for (const Attribute& a : e.attributes) {
    describe(a.galaxies);
    tagged(a.tags);
  }
  for (const MispObject& o : e.objects) {
    for (const Attribute& a : o.attributes) {
      describe(a.galaxies);
      tagged(a.tags);
    }
  }
}

void Conversion::EmitClusters(EventState& st) {
  for (const auto& use : st.clusters) {
    const Cluster& c = *use.cluster;
    std::string name = c.value;
    std::string external_id;
    bool mitre = c.type.compare(0, 6, "mitre-") == 0;
    size_t sep = c.value.rfind(" - ");
    if (mitre && sep != std::string::npos && IsAttackId(Trim(c.value.substr(sep + 3)))) {
      name = std::string(Trim(c.value.substr(0, sep)));
      external_id = std::string(Trim(c.value.substr(sep + 3)));
    }
    if (external_id.empty() && mitre) {
      for (const std::string& e : c.external_ids) {
        if (IsAttackId(e)) {
          external_id = e;
          break;
        }
      }
      // Older ATT&CK galaxies carry the id only in a reference URL (…/wiki/Software/S0044).
      for (const std::string& r : c.refs) {
        if (!external_id.empty()) break;
        if (r.find("attack.mitre.org") == std::string::npos) continue;
        std::string_view tail = Trim(r);
        while (!tail.empty() && tail.back() == '/') tail.remove_suffix(1);
        tail = tail.substr(tail.rfind('/') + 1);
        if (IsAttackId(tail)) external_id = std::string(tail);
      }
    }
    JsonWriter w;
    Head(w, use.stix_type, use.id, st, st.created_base, st.modified);
    w.Key("name").String(name);
    if (!c.description.empty()) w.Key("description").String(c.description);
    if (use.stix_type == "malware") w.Key("is_family").Bool(true);
    std::vector<std::string> aliases;
    if (use.stix_type != "attack-pattern" && use.stix_type != "course-of-action" &&
        use.stix_type != "vulnerability") {
      for (const std::string& s : c.synonyms) {
        if (s != name && !Trim(s).empty() &&
            std::find(aliases.begin(), aliases.end(), s) == aliases.end()) {
          aliases.push_back(s);
        }
      }
    }
    if (!aliases.empty()) {
      w.Key("aliases").BeginArray();
      for (const std::string& s : aliases) w.String(s);
      w.EndArray();
    }
    if (use.stix_type == "attack-pattern") {
      std::vector<std::pair<std::string, std::string>> phases;
      for (const std::string& k : c.kill_chain) {
        // "mitre-attack:enterprise-attack:defense-evasion" / "tea:black".
        size_t first = k.find(':');
        size_t last = k.rfind(':');
        if (first == std::string::npos) continue;
        std::string chain = KillChainName(k.substr(0, first));
        std::string phase = KillChainName(k.substr(last + 1));
        if (!chain.empty() && !phase.empty()) phases.emplace_back(chain, phase);
      }
      if (!phases.empty()) {
        w.Key("kill_chain_phases").BeginArray();
        for (const auto& [chain, phase] : phases) {
          w.BeginObject().Key("kill_chain_name").String(chain).Key("phase_name").String(phase);
          w.EndObject();
        }
        w.EndArray();
      }
    }
    std::vector<std::string> urls;
    for (const std::string& r : c.refs) {
      if (HasUrlScheme(r) && std::find(urls.begin(), urls.end(), r) == urls.end()) {
        urls.push_back(r);
      }
    }
    bool cve = use.stix_type == "vulnerability" && IsCve(name);
    if (!external_id.empty() || !urls.empty() || cve) {
      w.Key("external_references").BeginArray();
      if (!external_id.empty()) {
        w.BeginObject().Key("source_name").String(AttackSourceName(c.type));
        w.Key("external_id").String(external_id).EndObject();
      }
      if (cve) {
        w.BeginObject().Key("source_name").String("cve").Key("external_id").String(name);
        w.EndObject();
      }
      for (const std::string& u : urls) {
        w.BeginObject().Key("source_name").String("url").Key("url").String(u).EndObject();
      }
      w.EndArray();
    }
    std::vector<std::string> labels;
    if (!use.galaxy_name.empty()) labels.push_back("misp:galaxy-name=\"" + use.galaxy_name + "\"");
    labels.push_back("misp:galaxy-type=\"" + c.type + "\"");
    Tail(w, labels, use.stamp);
    Emit(std::move(w).Take());
    AddRef(st, use.id);
    Count("misp.galaxies." + use.stix_type);
  }
}

// The organisation's identity keeps MISP's uuid when it is an RFC 4122 UUID of a defined
// version (1–5); anything else (a fuzzer found version 6/8 uuids) gets a UUIDv5 derived from it,
// so the id is always valid STIX and stable across imports.
std::string OrgIdentityId(const std::string& orgc_uuid) {
  Result<Uuid> u = Uuid::Parse(orgc_uuid);
  if (u.ok() && u->IsRfc4122Variant() && u->version() >= 1 && u->version() <= 5) {
    return "identity--" + Lower(orgc_uuid);
  }
  static const Uuid kNamespace = *Uuid::Parse(kMispStixNamespace);
  return "identity--" + Uuid::V5(kNamespace, "orgc:" + Lower(orgc_uuid)).ToString();
}

void Conversion::EmitIdentity(const Event& event, Timestamp created, Timestamp modified) {
  std::string id = OrgIdentityId(event.orgc_uuid);
  if (!identities_.insert(id).second) return;
  used_ids_.insert(id);
  JsonWriter w;
  w.BeginObject().Key("type").String("identity").Key("spec_version").String("2.1");
  w.Key("id").String(id);
  w.Key("created").String(created.ToMillisString());
  w.Key("modified").String(modified.ToMillisString());
  w.Key("name").String(event.orgc_name.empty() ? event.orgc_uuid : event.orgc_name);
  w.Key("identity_class").String("organization");
  std::vector<std::string> markings;
  if (option_tlp_) {
    used_tlp_.insert(*option_tlp_);
    markings.emplace_back(Tlp2For(*option_tlp_).id);
  }
  for (const std::string& m : extra_markings_) markings.push_back(m);
  if (!markings.empty()) {
    w.Key("object_marking_refs").BeginArray();
    for (const std::string& m : markings) w.String(m);
    w.EndArray();
  }
  w.EndObject();
  Emit(std::move(w).Take());
}

Status Conversion::AddEvent(const Event& event) {
  Count("misp.events");
  EventState st;
  st.event = &event;

  // Times: the event's own, else the newest attribute/object time, else provenance.now.
  std::optional<Timestamp> newest;
  auto consider = [&](const std::optional<Timestamp>& t) {
    if (t && (!newest || *t > *newest)) newest = t;
  };
  for (const Attribute& a : event.attributes) consider(a.timestamp);
  for (const MispObject& o : event.objects) {
    consider(o.timestamp);
    for (const Attribute& a : o.attributes) consider(a.timestamp);
  }
  // The newest of the event's timestamp and its content's: MISP bumps the event timestamp on
  // every edit, but exports where an attribute is newer than its event exist.
  st.modified = event.timestamp && newest ? std::max(*event.timestamp, *newest)
                : event.timestamp         ? *event.timestamp
                : newest                  ? *newest
                : event.date              ? *event.date
                                          : now_;
  st.created_base = event.date ? std::min(*event.date, st.modified) : st.modified;
  st.published = event.publish_timestamp ? *event.publish_timestamp
                 : event.date            ? *event.date
                                         : st.modified;
  st.stamp = Stamp{TagsTlp(event.tags), event.dist};
  // misp-stix: a published event is a report; one not (yet) published is a grouping of what
  // is suspected, which claims no publication time.
  const bool published = event.published.value_or(false);
  st.report_id = NewId(published ? "report" : "grouping", event.key, "");

  bool has_org = Uuid::IsValid(event.orgc_uuid);
  std::string org_id = has_org ? OrgIdentityId(event.orgc_uuid) : std::string();
  st.created_by = options_.provenance.created_by_ref.empty() ? org_id
                                                             : options_.provenance.created_by_ref;
  if (has_org) {
    // MISP organisations carry no time of their own, and the identity is shared by every event
    // of the org: a fixed created/modified keeps re-imports of any of its events identical.
    EmitIdentity(event, Timestamp(0), Timestamp(0));
  }

  PrepareGalaxyTags(st);
  for (const Attribute& a : event.attributes) {
    CTI_RETURN_IF_ERROR(ConvertAttribute(st, a, event.dist));
  }
  for (const MispObject& o : event.objects) CTI_RETURN_IF_ERROR(ConvertObject(st, o));
  for (const MispObject& o : event.objects) ConvertReferences(st, o);
  UseClusters(st, event.galaxies, event.tags, st.stamp, "", "report", st.modified);
  EmitClusters(st);

  if (has_org && org_id != st.created_by) AddRef(st, org_id);
  if (st.refs.empty()) {
    if (has_org) {
      AddRef(st, org_id);
    } else {
      // report.object_refs must not be empty (§4.15) and there is nothing to point at.
      Count("misp.events.empty");
      return Status::Ok();
    }
  }
  std::vector<std::string> labels;
  AppendTagLabels(st, event.tags, &labels);
  for (const std::string& t : st.skipped_galaxy_tags) {
    if (std::find(labels.begin(), labels.end(), t) == labels.end()) labels.push_back(t);
  }
  JsonWriter w;
  Head(w, published ? "report" : "grouping", st.report_id, st, st.created_base, st.modified);
  std::string name(Trim(event.info));
  if (name.empty()) name = event.uuid.empty() ? "MISP event" : "MISP event " + event.uuid;
  w.Key("name").String(name);
  if (published) {
    w.Key("report_types").BeginArray().String("threat-report").EndArray();
    w.Key("published").String(st.published.ToMillisString());
  } else {
    w.Key("context").String("suspicious-activity");
  }
  w.Key("object_refs").BeginArray();
  for (const std::string& r : st.refs) w.String(r);
  w.EndArray();
  Tail(w, labels, st.stamp);
  Emit(std::move(w).Take());
  return Status::Ok();
}

Status Conversion::Flush(const ObjectSink& sink) {
  std::vector<std::string> out;
  for (TlpLevel level : used_tlp_) {
    const Tlp2Marking& m = Tlp2For(level);
    JsonWriter w;
    w.BeginObject().Key("type").String("marking-definition").Key("spec_version").String("2.1");
    w.Key("id").String(m.id).Key("created").String("2022-10-01T00:00:00.000Z");
    w.Key("name").String(m.name).Key("extensions").BeginObject();
    w.Key(stix::kTlp20ExtensionId).BeginObject();
    w.Key("extension_type").String("property-extension").Key("tlp_2_0").String(m.value);
    w.EndObject().EndObject().EndObject();
    out.push_back(std::move(w).Take());
  }
  for (std::string& o : objects_) out.push_back(std::move(o));
  for (const std::string& id : sco_order_) {
    const ScoEntry& e = scos_.at(id);
    JsonWriter w;
    w.BeginObject().Key("type").String(e.type).Key("spec_version").String("2.1").Key("id").String(
        id);
    for (const auto& [key, raw] : e.props) w.Key(key).Raw(raw);
    WriteStamp(w, e.stamp);
    w.EndObject();
    out.push_back(std::move(w).Take());
  }
  Count("misp.stix_objects", out.size());
  for (std::string& o : out) CTI_RETURN_IF_ERROR(sink(std::move(o)));
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Sniffing: top-level keys without building a tree.

class KeyScanner {
 public:
  explicit KeyScanner(std::string_view s) : s_(s) {
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") i_ = 3;
  }

  void Ws() {
    while (i_ < s_.size() &&
           (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) {
      ++i_;
    }
  }
  bool Peek(char c) {
    Ws();
    return i_ < s_.size() && s_[i_] == c;
  }
  bool Eat(char c) {
    if (!Peek(c)) return false;
    ++i_;
    return true;
  }
  // A string's raw bytes (escapes not decoded: the keys we look for have none).
  bool String(std::string_view* out) {
    if (!Eat('"')) return false;
    size_t start = i_;
    while (i_ < s_.size() && s_[i_] != '"') i_ += s_[i_] == '\\' ? 2 : 1;
    if (i_ >= s_.size()) return false;
    *out = s_.substr(start, i_ - start);
    ++i_;
    return true;
  }
  bool SkipValue() {
    Ws();
    if (i_ >= s_.size()) return false;
    if (s_[i_] == '"') {
      std::string_view ignored;
      return String(&ignored);
    }
    if (s_[i_] != '{' && s_[i_] != '[') {
      while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']') ++i_;
      return i_ < s_.size();
    }
    int depth = 0;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '"') {
        std::string_view ignored;
        if (!String(&ignored)) return false;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (--depth == 0) {
          ++i_;
          return true;
        }
      }
      ++i_;
    }
    return false;
  }

  // Scans the members of the object at the cursor. `on_key` returns 1 (decided: true), -1
  // (decided: false) or 0 (keep going; the value is skipped unless the callback consumed it).
  template <typename F>
  int Members(F on_key) {
    if (!Eat('{')) return -1;
    if (Eat('}')) return 0;
    while (true) {
      std::string_view key;
      if (!String(&key) || !Eat(':')) return 0;
      size_t before = i_;
      int r = on_key(key);
      if (r != 0) return r;
      if (i_ == before && !SkipValue()) return 0;
      if (Eat(',')) continue;
      return 0;
    }
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

bool EventKeys(KeyScanner& sc) {
  bool event_key = false, stix_key = false;
  int r = sc.Members([&](std::string_view key) {
    if (key == "type" || key == "spec_version" || key == "objects") stix_key = true;
    if (IsEventKey(key)) event_key = true;
    return stix_key ? -1 : 0;
  });
  return r >= 0 && event_key && !stix_key;
}

}  // namespace

bool LooksLikeMispEvent(std::string_view json) {
  KeyScanner sc(json);
  bool event_key = false, stix_key = false;
  int r = sc.Members([&](std::string_view key) {
    if (key == "Event") return sc.Peek('{') ? 1 : -1;
    if (key == "response") {
      if (sc.Peek('{')) return EventKeys(sc) ? 1 : -1;
      if (!sc.Eat('[')) return -1;
      if (!sc.Peek('{')) return -1;
      bool found = false;
      sc.Members([&](std::string_view k) {
        if (k == "Event" || k == "Object" || k == "Attribute" || k == "info") found = true;
        return found ? 1 : (k == "type" || k == "spec_version") ? -1 : 0;
      });
      return found ? 1 : -1;
    }
    if (key == "type" || key == "spec_version" || key == "objects") stix_key = true;
    if (IsEventKey(key)) event_key = true;
    return stix_key ? -1 : 0;
  });
  if (r != 0) return r > 0;
  // Reached the end (or a cut-off prefix): decide on the keys seen.
  return event_key && !stix_key;
}

Status ConvertMispEvent(std::string_view json, const MispOptions& options, const ObjectSink& sink,
                        ConversionStats* stats) {
  if (json.substr(0, 3) == "\xEF\xBB\xBF") json.remove_prefix(3);
  simdjson::dom::parser parser;
  element root;
  simdjson::error_code error = parser.parse(json.data(), json.size(), true).get(root);
  if (error != simdjson::SUCCESS) {
    return InvalidArgument(std::string("not a MISP event: the text is not valid JSON (") +
                           simdjson::error_message(error) + ")");
  }
  object top;
  if (root.get_object().get(top) != simdjson::SUCCESS) {
    return InvalidArgument("not a MISP event: the top-level JSON value is " +
                               std::string(KindName(root.type())) + ", expected an object",
                           "");
  }
  std::vector<Event> events;
  element value;
  if (top["Event"].get(value) == simdjson::SUCCESS) {
    events.emplace_back();
    CTI_RETURN_IF_ERROR(ParseEvent(value, "/Event", &events.back()));
  } else if (top["response"].get(value) == simdjson::SUCCESS) {
    object single;
    array list;
    if (value.get_object().get(single) == simdjson::SUCCESS) {
      events.emplace_back();
      CTI_RETURN_IF_ERROR(ParseEvent(value, "/response", &events.back()));
      events.back().collection = events.back().uuid.empty();
    } else if (value.get_array().get(list) == simdjson::SUCCESS) {
      std::optional<Event> collection;
      size_t i = 0;
      for (element item : list) {
        std::string path = "/response/" + std::to_string(i++);
        object entry;
        CTI_RETURN_IF_ERROR(ElementAsObject(item, path, "response entry", &entry));
        element inner;
        if (entry["Event"].get(inner) == simdjson::SUCCESS) {
          events.emplace_back();
          CTI_RETURN_IF_ERROR(ParseEvent(inner, path + "/Event", &events.back()));
          continue;
        }
        bool collection_entry =
            (entry["Object"].get(inner) == simdjson::SUCCESS &&
             inner.type() == element_type::OBJECT) ||
            (entry["Attribute"].get(inner) == simdjson::SUCCESS &&
             inner.type() == element_type::OBJECT);
        if (collection_entry) {
          // restSearch attribute/object collections: one event without metadata for all entries.
          Event part;
          CTI_RETURN_IF_ERROR(ParseEvent(item, path, &part));
          if (!collection) {
            collection.emplace();
            collection->collection = true;
            collection->path = "/response";
            std::string canonical;
            stix::AppendCanonicalJson(value, &canonical);
            collection->key =
                Uuid::V5(*Uuid::Parse(kMispStixNamespace), "collection|" + canonical).ToString();
          }
          // Entry keys were derived from the entry's own content; that is unique enough.
          CTI_RETURN_IF_ERROR(MergeCollectionEntry(part, &*collection));
          continue;
        }
        if (!ObjectLooksLikeEvent(entry)) {
          return InvalidArgument("not a MISP event: response entry has no 'Event', 'Object', "
                                 "'Attribute' or event keys",
                                 path);
        }
        events.emplace_back();
        CTI_RETURN_IF_ERROR(ParseEvent(item, path, &events.back()));
      }
      if (collection) events.push_back(std::move(*collection));
    } else {
      return InvalidArgument("not a MISP event: 'response' must be an array or an object, found " +
                                 std::string(KindName(value.type())),
                             "/response");
    }
  } else if (ObjectLooksLikeEvent(top)) {
    events.emplace_back();
    CTI_RETURN_IF_ERROR(ParseEvent(root, "", &events.back()));
  } else {
    return InvalidArgument(
        "not a MISP event: no 'Event' or 'response' key and no event keys (info, Attribute, "
        "Object, Orgc) at the top level",
        "");
  }

  SplitByParentEvent(&events);
  Conversion conversion(options, stats);
  for (const Event& e : events) CTI_RETURN_IF_ERROR(conversion.AddEvent(e));
  return conversion.Flush(sink);
}

}  // namespace ctihub::ingest
