#include "sanitize/sanitizer.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <re2/re2.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cctype>
#include <cstring>
#include <functional>
#include <map>
#include <optional>

#include "common/normalise.h"
#include "common/time.h"
#include "common/uuid.h"
#include "pattern/parser.h"
#include "stix/json_reader.h"
#include "stix/sco_id.h"
#include "stix/type_specs.h"
#include "stix/validator.h"
#include "stix/vocab.h"

namespace ctihub::sanitize {
namespace {

namespace json = boost::json;

// --- Internal addresses ---------------------------------------------------------------------

struct Range {
  int family;
  std::array<unsigned char, 16> net;
  int prefix;
};

const std::vector<Range>& InternalRanges() {
  static const std::vector<Range> ranges = [] {
    std::vector<Range> out;
    auto add = [&](int family, const char* net, int prefix) {
      Range r{family, {}, prefix};
      inet_pton(family, net, r.net.data());
      out.push_back(r);
    };
    add(AF_INET, "10.0.0.0", 8);       // RFC 1918
    add(AF_INET, "172.16.0.0", 12);    // RFC 1918
    add(AF_INET, "192.168.0.0", 16);   // RFC 1918
    add(AF_INET, "100.64.0.0", 10);    // RFC 6598 shared address space
    add(AF_INET, "169.254.0.0", 16);   // link-local
    add(AF_INET, "127.0.0.0", 8);      // loopback
    add(AF_INET6, "fc00::", 7);        // RFC 4193 unique local
    add(AF_INET6, "fe80::", 10);       // link-local
    add(AF_INET6, "::1", 128);         // loopback
    return out;
  }();
  return ranges;
}

bool PrefixMatches(const unsigned char* a, const unsigned char* b, int bits) {
  int whole = bits / 8, rest = bits % 8;
  if (std::memcmp(a, b, static_cast<size_t>(whole)) != 0) return false;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xFF << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

namespace {

// Whether a block (`raw`, `prefix` bits) lies wholly inside one of the internal ranges.
bool InInternalRange(int family, const unsigned char* raw, int prefix) {
  for (const Range& r : InternalRanges()) {
    if (r.family == family && prefix >= r.prefix && PrefixMatches(raw, r.net.data(), r.prefix)) {
      return true;
    }
  }
  return false;
}

// IPv6 forms that carry an IPv4 address (RFC 4291 mapped and compatible, RFC 2765 translated,
// RFC 6052/8215 NAT64, RFC 3056 6to4): the offset of the embedded address and the bits before it.
struct Embedding {
  std::array<unsigned char, 16> net;
  int prefix, offset;
};

bool EmbedsInternalIpv4(const unsigned char* raw, int prefix) {
  static const std::vector<Embedding> embeddings = [] {
    std::vector<Embedding> out;
    auto add = [&](const char* net, int bits, int offset) {
      Embedding e{{}, bits, offset};
      inet_pton(AF_INET6, net, e.net.data());
      out.push_back(e);
    };
    add("::ffff:0:0", 96, 12);    // mapped
    add("::", 96, 12);            // compatible (deprecated, still parsed)
    add("::ffff:0:0:0", 96, 12);  // translated
    add("64:ff9b::", 96, 12);     // NAT64 well-known prefix
    add("64:ff9b:1::", 48, 12);   // NAT64 local-use prefix
    add("2002::", 16, 2);         // 6to4
    return out;
  }();
  for (const Embedding& e : embeddings) {
    if (prefix < e.prefix || !PrefixMatches(raw, e.net.data(), e.prefix)) continue;
    int v4_prefix = std::min(32, prefix - e.offset * 8);
    if (v4_prefix < 0) continue;
    if (InInternalRange(AF_INET, raw + e.offset, v4_prefix)) return true;
  }
  return false;
}

// One part of an IPv4 address as URL parsers and inet_aton(3) read it: 0x… hex, 0… octal (or,
// as other software reads it, decimal), else decimal.
std::optional<uint64_t> Ipv4Part(std::string_view part, bool leading_zero_is_octal) {
  int base = 10;
  if (part.size() > 1 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X')) {
    base = 16;
    part.remove_prefix(2);
    if (part.empty()) return 0;
  } else if (part.size() > 1 && part[0] == '0' && leading_zero_is_octal) {
    base = 8;
  }
  if (part.empty() || part.size() > 32) return std::nullopt;
  uint64_t n = 0;
  for (char c : part) {
    int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
            : base == 16 && std::isxdigit(static_cast<unsigned char>(c))
                ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                : 99;
    if (d >= base) return std::nullopt;
    n = n * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    if (n > 0xFFFFFFFFull) return std::nullopt;
  }
  return n;
}

// `text` as IPv4, the way `leading_zero_is_octal` says. `liberal`: also the one- to three-part
// and hex forms ("127.1", "0x7f000001", "2130706433") that URL hosts may take; a bare value must
// be four decimal parts.
std::optional<std::array<unsigned char, 4>> ReadIpv4(std::string_view text, bool liberal,
                                                     bool leading_zero_is_octal) {
  if (liberal && !text.empty() && text.back() == '.') text.remove_suffix(1);
  std::vector<std::string_view> parts;
  for (size_t begin = 0;;) {
    size_t dot = text.find('.', begin);
    parts.push_back(text.substr(begin, dot == std::string_view::npos ? dot : dot - begin));
    if (dot == std::string_view::npos) break;
    begin = dot + 1;
  }
  if (parts.size() > 4 || (!liberal && parts.size() != 4)) return std::nullopt;
  std::vector<uint64_t> values;
  for (std::string_view part : parts) {
    if (!liberal && !std::all_of(part.begin(), part.end(), ::isdigit)) return std::nullopt;
    std::optional<uint64_t> v = Ipv4Part(part, leading_zero_is_octal);
    if (!v) return std::nullopt;
    values.push_back(*v);
  }
  uint64_t address = 0;
  for (size_t i = 0; i + 1 < values.size(); ++i) {
    if (values[i] > 255) return std::nullopt;
    address |= values[i] << (8 * (3 - i));
  }
  const uint64_t last_bits = 8 * (5 - values.size());
  if (values.back() >= (uint64_t{1} << last_bits)) return std::nullopt;
  address |= values.back();
  return std::array<unsigned char, 4>{
      static_cast<unsigned char>(address >> 24), static_cast<unsigned char>(address >> 16),
      static_cast<unsigned char>(address >> 8), static_cast<unsigned char>(address)};
}

bool IsInternalAddressAs(std::string_view text, bool liberal) {
  std::string address(text);
  int prefix = -1;
  if (size_t slash = address.find('/'); slash != std::string::npos) {
    std::string bits = address.substr(slash + 1);
    if (bits.empty() || bits.size() > 3 || !std::all_of(bits.begin(), bits.end(), ::isdigit)) {
      return false;
    }
    prefix = std::stoi(bits);
    address.resize(slash);
  }
  if (address.size() > 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  // A zone ("fe80::1%eth0", "%25eth0" in a URL) names an interface, not the address.
  if (size_t zone = address.find('%'); zone != std::string::npos) address.resize(zone);
  // The same address either way a leading zero is read: internal if either reading is.
  for (bool octal : {true, false}) {
    if (std::optional<std::array<unsigned char, 4>> v4 = ReadIpv4(address, liberal, octal)) {
      if (prefix > 32) return false;
      if (InInternalRange(AF_INET, v4->data(), prefix < 0 ? 32 : prefix)) return true;
    }
  }
  if (prefix > 128) return false;
  // IPv6 with a dotted IPv4 tail: inet_pton refuses leading zeros there ("::ffff:010.0.0.5"),
  // so the tail is read both ways and written plainly.
  std::vector<std::string> spellings{address};
  if (size_t colon = address.rfind(':');
      colon != std::string::npos && address.find('.', colon) != std::string::npos) {
    for (bool octal : {true, false}) {
      if (auto v4 = ReadIpv4(std::string_view(address).substr(colon + 1), false, octal)) {
        spellings.push_back(address.substr(0, colon + 1) + std::to_string((*v4)[0]) + "." +
                            std::to_string((*v4)[1]) + "." + std::to_string((*v4)[2]) + "." +
                            std::to_string((*v4)[3]));
      }
    }
  }
  for (const std::string& spelling : spellings) {
    unsigned char raw[16] = {};
    if (inet_pton(AF_INET6, spelling.c_str(), raw) != 1) continue;
    const int bits = prefix < 0 ? 128 : prefix;
    if (InInternalRange(AF_INET6, raw, bits) || EmbedsInternalIpv4(raw, bits)) return true;
  }
  return false;
}

}  // namespace

bool IsInternalAddress(std::string_view text) { return IsInternalAddressAs(text, false); }

bool IsInternalHostName(std::string_view text) {
  std::string host(text);
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!host.empty() && host.back() == '.') host.pop_back();
  if (host == "localhost") return true;
  for (std::string_view suffix :
       {".local", ".internal", ".corp", ".lan", ".home.arpa", ".localdomain", ".intranet"}) {
    if (host.size() > suffix.size() && host.compare(host.size() - suffix.size(), suffix.size(),
                                                    suffix) == 0) {
      return true;
    }
  }
  return false;
}

namespace {

bool IsInternal(std::string_view value) {
  if (IsInternalAddress(value) || IsInternalHostName(value)) return true;
  // A URL or an address with a port: judge its host, read as a URL parser reads it (hex,
  // octal and short IPv4 forms, percent-escapes, a zone in brackets).
  std::string_view v = value;
  if (size_t scheme = v.find("://"); scheme != std::string_view::npos) v = v.substr(scheme + 3);
  v = v.substr(0, v.find_first_of("/?#\\"));
  if (size_t at = v.rfind('@'); at != std::string_view::npos) v = v.substr(at + 1);
  if (!v.empty() && v.front() == '[') {
    v = v.substr(1, v.find(']') - 1);
  } else if (std::count(v.begin(), v.end(), ':') == 1) {
    v = v.substr(0, v.find(':'));
  }
  if (v == value) return false;
  // Hex, integer and short IPv4 forms are how URL parsers read a host: only there ("10:30" or
  // "2021/Q3" are not addresses).
  const bool url = value.find("://") != std::string_view::npos;
  const std::string host = PercentDecoded(v);
  return IsInternalAddressAs(host, /*liberal=*/url) || IsInternalHostName(host);
}

// --- Patterns: a comparison naming an internal address goes with its whole conjunction -------

// What a pattern must not name: internal addresses, victims' host names (per profile). A LIKE or
// MATCHES operand is given as the text it spells (wildcards, anchors and escapes taken out) with
// `loose` set: it names what it spells even when it is not a whole value, and `address` says the
// comparison is on an address-typed object, where a partial address ("10.0.0.") names a range.
// `regex` is the operand as an RE2 expression (a LIKE pattern converted), for what the spelled
// text cannot show: character classes and alternations ("ministr[y]", "(192|193)").
using Leaks =
    std::function<bool(std::string_view value, bool loose, bool address, std::string_view regex)>;

// A LIKE pattern as an anchored RE2 expression: % any run, _ any one character.
std::string LikeAsRegex(std::string_view like) {
  std::string out = "^";
  for (char c : like) {
    if (c == '%') {
      out += ".*";
    } else if (c == '_') {
      out += '.';
    } else {
      out += RE2::QuoteMeta(std::string_view(&c, 1));
    }
  }
  return out + "$";
}

// The literal text a LIKE pattern or a regular expression spells: escapes resolved ("\." → "."),
// wildcards and anchors taken out, so "^10\.0\.0\.5$" reads "10.0.0.5" and "%.corp" ".corp".
std::string SpelledText(std::string_view operand, bool regex) {
  std::string out;
  for (size_t i = 0; i < operand.size(); ++i) {
    char c = operand[i];
    if (regex && c == '\\' && i + 1 < operand.size()) {
      char next = operand[++i];
      // \d, \w, \b… are classes, not letters: a gap.
      out += std::isalnum(static_cast<unsigned char>(next)) ? ' ' : next;
    } else if (regex ? std::string_view("^$*+?()|{}").find(c) != std::string_view::npos
                     : (c == '%' || c == '_')) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

bool ComparisonLeaks(pattern::Comparison& c, const Leaks& leaks, bool* changed) {
  const bool loose =
      c.op == pattern::ComparisonOperator::kLike || c.op == pattern::ComparisonOperator::kMatches;
  const std::string& type = c.path.object_type;
  const bool address = type == "ipv4-addr" || type == "ipv6-addr" || type == "url" ||
                       type == "network-traffic" || type == "domain-name";
  auto internal = [&](const pattern::Literal& l) {
    const std::string* s = std::get_if<std::string>(&l.value);
    if (!s) return false;
    if (leaks(*s, false, address, {})) return true;
    if (!loose) return false;
    const bool regex = c.op == pattern::ComparisonOperator::kMatches;
    return leaks(SpelledText(*s, regex), true, address, regex ? *s : LikeAsRegex(*s));
  };
  // NOT IN: dropping a member would make the comparison match it; the comparison goes whole.
  if (c.op == pattern::ComparisonOperator::kIn && !c.negated) {
    size_t before = c.values.size();
    c.values.erase(std::remove_if(c.values.begin(), c.values.end(), internal), c.values.end());
    if (c.values.size() != before) *changed = true;
    return c.values.empty();
  }
  return std::any_of(c.values.begin(), c.values.end(), internal);
}

// False when the expression as a whole must go.
bool KeepComparisons(pattern::ComparisonExpression& e, const Leaks& leaks, bool* changed) {
  if (e.kind == pattern::ComparisonKind::kComparison) {
    return !ComparisonLeaks(e.comparison, leaks, changed);
  }
  if (e.kind == pattern::ComparisonKind::kAnd) {
    for (auto& child : e.children) {
      if (!KeepComparisons(child, leaks, changed)) return false;
    }
    return true;
  }
  size_t before = e.children.size();
  e.children.erase(std::remove_if(e.children.begin(), e.children.end(),
                                  [&](auto& child) { return !KeepComparisons(child, leaks, changed); }),
                   e.children.end());
  if (e.children.size() != before) *changed = true;
  if (e.children.empty()) return false;
  if (e.children.size() == 1) {
    pattern::ComparisonExpression only = std::move(e.children[0]);
    e = std::move(only);
  }
  return true;
}

bool KeepObservations(pattern::ObservationExpression& e, const Leaks& leaks, bool* changed) {
  switch (e.kind) {
    case pattern::ObservationKind::kObservation:
      return KeepComparisons(e.comparison, leaks, changed);
    case pattern::ObservationKind::kGroup:
      return KeepObservations(e.children[0], leaks, changed);
    case pattern::ObservationKind::kOr: {
      size_t before = e.children.size();
      e.children.erase(std::remove_if(e.children.begin(), e.children.end(),
                                      [&](auto& c) { return !KeepObservations(c, leaks, changed); }),
                       e.children.end());
      if (e.children.size() != before) *changed = true;
      if (e.children.empty()) return false;
      if (e.children.size() == 1 && e.qualifiers.empty()) {
        pattern::ObservationExpression only = std::move(e.children[0]);
        e = std::move(only);
      }
      return true;
    }
    default:  // AND, FOLLOWEDBY: every part is needed
      for (auto& child : e.children) {
        if (!KeepObservations(child, leaks, changed)) return false;
      }
      return true;
  }
}

// --- Text ------------------------------------------------------------------------------------

// HMAC-SHA-256 of `value` under `key` (32 bytes).
std::array<unsigned char, 32> HmacBytes(const std::string& key, std::string_view value) {
  std::array<unsigned char, 32> out{};
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(value.data()), value.size(), out.data(), &n);
  return out;
}

// Its first 8 bytes in hex: 64 bits, enough to correlate, short to read.
std::string Hmac(const std::string& key, std::string_view value) {
  const std::array<unsigned char, 32> out = HmacBytes(key, value);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < 8; ++i) {
    hex += kHex[out[i] >> 4];
    hex += kHex[out[i] & 15];
  }
  return hex;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Replaces every match of `re` in `text` with what `replace(match)` returns (or keeps it when
// that returns nullopt). RE2 has no callback replace; this walks the matches.
bool ReplaceEach(std::string& text, const RE2& re,
                 const std::function<std::optional<std::string>(std::string_view)>& replace) {
  std::string out;
  re2::StringPiece input(text), match;
  size_t last = 0;
  bool any = false;
  while (RE2::FindAndConsume(&input, re, &match)) {
    size_t at = static_cast<size_t>(match.data() - text.data());
    std::optional<std::string> with = replace(std::string_view(match.data(), match.size()));
    if (!with) continue;
    out.append(text, last, at - last);
    out += *with;
    last = at + match.size();
    any = true;
  }
  if (!any) return false;
  out.append(text, last, std::string::npos);
  text = std::move(out);
  return true;
}

// Whether `text` holds `length` or more hex digits in a row.
bool HasHexRun(std::string_view text, size_t length) {
  size_t run = 0;
  for (char c : text) {
    run = std::isxdigit(static_cast<unsigned char>(c)) ? run + 1 : 0;
    if (run == length) return true;
  }
  return false;
}

// Whether `text` holds `groups` or more pairs of hex digits joined by single marks in a row
// ("5e:2d:1a:…", how bytes are printed).
bool HasHexByteRun(std::string_view text, size_t groups) {
  size_t run = 0;
  for (size_t i = 0; i + 1 < text.size();) {
    const bool pair =
        std::isxdigit(static_cast<unsigned char>(text[i])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        (i + 2 == text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 2])));
    if (!pair) {
      run = 0;
      ++i;
      continue;
    }
    if (++run == groups) return true;
    i += 3;  // the pair and the mark after it
  }
  return false;
}

// The text rules live for the whole process (Rules() builds them once); never freed, so no
// destruction-order question at exit.
const RE2& Compile(const char* re) { return *new RE2(re); }

struct TextRules {
  // Bounded by what cannot be part of them, not by \b: "_" is a word character, so
  // "dump_10.0.0.5.pcap" and "backup_fs01.corp" have no word boundary before the address, and
  // "::ffff:a00:5" none before its first colon. (Only the group is replaced: ReplaceEach.)
  // Nor part of a longer dotted name: "AcroRdr-10.1.0.1.exe" and "v10.0.0.1" are versions.
  const RE2& ipv4 = Compile(
      R"((?:^|[^0-9A-Za-z.])((?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?)(?:$|[^0-9A-Za-z.]|\.(?:$|[^0-9A-Za-z])))");
  const RE2& ipv6 = Compile(
      R"((?:^|[^0-9A-Za-z:])((?:[0-9A-Fa-f]{1,4})?(?::[0-9A-Fa-f]{0,4}){2,7}(?:%[0-9A-Za-z]+)?(?:/\d{1,3})?))");
  // The same after a label and a colon ("src:fd12:3456::77", "ip6:fe80::1"), which the rule
  // above cannot tell from the middle of an address; run after it, on what it left, and only an
  // address that parses whole and is internal is replaced.
  const RE2& ipv6_after_label = Compile(
      R"((?:^|[^0-9A-Za-z:])[A-Za-z0-9]+:((?:[0-9A-Fa-f]{1,4})?(?::[0-9A-Fa-f]{0,4}){2,7}(?:%[0-9A-Za-z]+)?(?:/\d{1,3})?))");
  const RE2& host = Compile(
      R"((?:^|[^A-Za-z0-9._-]|[A-Za-z0-9]_)([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?i:local|internal|corp|lan|home\.arpa|localdomain|intranet)\b))");
  // The schemes a click or a copy into a client opens (defanged below; also where an internal
  // host is looked for in a URL).
  const RE2& url =
      Compile(R"(((?i:https?|ftps?|sftp|smb|cifs|wss?|ldaps?|rdp|ssh|telnet|nfs)://[^\s"'<>]+))");
  // Local parts in any script ("anna.müller", an apostrophe inside: "o'neil") or quoted
  // ("\"john doe\""), domains internationalised too: matched whole, so that the name is not left
  // in front of a pseudonym and two people never share one. (Other RFC 5322 specials — "=", "/",
  // "|" — are left out: in prose and logs they join a key to the address, "from=bob@…".)
  const RE2& email = Compile(
      R"(((?:"[^"\\\r\n]{1,64}"|[\p{L}\p{N}._%+-](?:[\p{L}\p{M}\p{N}._%+'-]*[\p{L}\p{M}\p{N}_%+-])?)@[\p{L}\p{N}-]+(?:\.[\p{L}\p{M}\p{N}-]+)*\.\p{L}{2,}))");
  // Grouped by spaces, by hyphens ("DE89-3704-0044-…", as some banks print them) or not at all;
  // one kind throughout, so an upper-case UUID is not read as one.
  const RE2& iban = Compile(
      R"((\b[A-Z]{2}\d{2}(?:(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?|(?:-[A-Z0-9]{4}){3,7}(?:-[A-Z0-9]{1,3})?)\b))");
  const RE2& ssn = Compile(R"((\b\d{3}-\d{2}-\d{4}\b))");
  const RE2& nir = Compile(R"((\b[12] ?\d{2} ?(?:0[1-9]|1[0-2]) ?\d{2} ?\d{3} ?\d{3} ?\d{2}\b))");
  // A dotted host-name-like token, taken whole ("evil-example.gov" is one token, not a match of
  // "example.gov"), to be checked against the victim domains.
  const RE2& dotted = Compile(
      R"(([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+))");
  // A host or address written defanged ("10[.]0[.]0[.]1", "intranet(.)corp", "x[dot]lan"): at
  // least one defanged dot, so plain tokens are left to the rules above.
  const RE2& defanged = Compile(
      R"(([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*(?:(?:\[\.\]|\(\.\)|\{\.\}|(?i:\[dot\]|\(dot\))|\\\.)[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)+))");
  // The start of an address where only part of one is written (a LIKE or MATCHES operand).
  const RE2& partial_ipv4 = Compile(R"((\b\d{1,3}(?:\.\d{1,3}){1,3}))");
  const RE2& internal_ipv6_start = Compile(R"(((?i:\bf[cd][0-9a-f]{0,2}:|\bfe[89ab][0-9a-f]:)))");
  const RE2& phone = Compile(R"((\+\d{1,3}[ .-]?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){2,4}|\(0\d{1,4}\)[ .-]?\d{2,4}(?:[ .-]?\d{2,4}){1,3}|\b0\d(?:[ .-]\d{2}){4}\b))");
};

const TextRules& Rules() {
  static const TextRules rules;
  return rules;
}

// "%2F10.0.0.1%3A80" → "/10.0.0.1:80": only escapes of printable ASCII, so what comes out is
// still valid UTF-8 (and free of control characters) whatever the escapes held.
std::string PrintableEscapesDecoded(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      const int c = HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]);
      if (c >= 0x20 && c < 0x7F) {
        out += static_cast<char>(c);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// "10[.]0[.]0[.]1" → "10.0.0.1".
std::string Refanged(std::string_view text) {
  std::string out(text);
  std::string lower = Lower(text);
  // Replaced where found in the lower-case copy, kept in step with it ("[DOT]" too).
  for (std::string_view dot : {"[.]", "(.)", "{.}", "[dot]", "(dot)", "\\."}) {
    for (size_t at = lower.find(dot); at != std::string::npos; at = lower.find(dot, at + 1)) {
      out.replace(at, dot.size(), ".");
      lower.replace(at, dot.size(), ".");
    }
  }
  return out;
}

bool IsDefangedInternal(std::string_view token) { return IsInternal(Refanged(token)); }

// Whether the IPv6 candidate `m`, a view into `text`, is part of a longer run of colon-separated
// hex (a certificate serial or fingerprint "7A:00:00:00:00:00:00:00:01:5F", nine groups and on):
// followed by ":" and a hex digit or by a hex digit, or after a label of hex digits only.
bool InColonHexRun(std::string_view text, std::string_view m) {
  const size_t at = static_cast<size_t>(m.data() - text.data());
  const size_t end = at + m.size();
  auto hex = [&](size_t i) {
    return i < text.size() && std::isxdigit(static_cast<unsigned char>(text[i]));
  };
  if (hex(end) || (end < text.size() && text[end] == ':' && hex(end + 1))) return true;
  if (at == 0 || text[at - 1] != ':') return false;
  size_t label = at - 1;
  while (label > 0 && std::isalnum(static_cast<unsigned char>(text[label - 1]))) --label;
  return label < at - 1 &&
         std::all_of(text.begin() + static_cast<std::ptrdiff_t>(label),
                     text.begin() + static_cast<std::ptrdiff_t>(at - 1),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

// Whether `text` (prose, a foreign pattern, what a LIKE or MATCHES operand spells) names an
// internal address or host anywhere in it. `partial`: a leading part of an IPv4 address
// ("192.168.") or of an internal IPv6 prefix ("fd12:") counts, as it names an internal range.
bool NamesInternal(std::string_view text, bool partial) {
  // Most strings can name no address: no dot, no colon (a host, an IPv4 or IPv6 address, a
  // defanged dot all need one of them or a bracket). Checked first, it spares the scans.
  if (text.find_first_of(".:[({\\") == std::string_view::npos) return false;
  const TextRules& r = Rules();
  bool found = false;
  std::string scan(text);
  auto note = [&](std::string_view m) -> std::optional<std::string> {
    found = found || IsInternal(m);
    return std::nullopt;
  };
  for (const RE2* re : {&r.url, &r.host, &r.ipv4}) ReplaceEach(scan, *re, note);
  for (const RE2* re : {&r.ipv6, &r.ipv6_after_label}) {
    ReplaceEach(scan, *re, [&](std::string_view m) -> std::optional<std::string> {
      if (!InColonHexRun(scan, m)) found = found || IsInternal(m);
      return std::nullopt;
    });
  }
  ReplaceEach(scan, r.defanged, [&](std::string_view m) -> std::optional<std::string> {
    found = found || IsDefangedInternal(m);
    return std::nullopt;
  });
  if (found || !partial) return found;
  ReplaceEach(scan, r.partial_ipv4, [&](std::string_view m) -> std::optional<std::string> {
    const std::string address(m);
    const int octets = static_cast<int>(std::count(address.begin(), address.end(), '.')) + 1;
    std::string padded = address;
    for (int i = octets; i < 4; ++i) padded += ".0";
    found = found || IsInternalAddress(padded + "/" + std::to_string(8 * octets));
    return std::nullopt;
  });
  return found || RE2::PartialMatch(scan, r.internal_ipv6_start);
}

// Free-text properties: what people write, where names, addresses and links slip in.
constexpr std::string_view kTextProperties[] = {
    "description",         "name",        "abstract",  "content",
    "contact_information", "explanation", "objective", "comment",
    "opinion_explanation", "summary"};

// The host of a URL ("https://user@Host.example:8443/x" → "Host.example") and where it starts;
// empty for an IP literal in brackets or a value that is not a URL.
std::string_view UrlHost(std::string_view url, size_t* at) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  size_t begin = scheme + 3;
  size_t end = url.find_first_of("/?#", begin);
  if (end == std::string_view::npos) end = url.size();
  std::string_view authority = url.substr(begin, end - begin);
  if (size_t user = authority.rfind('@'); user != std::string_view::npos) {
    begin += user + 1;
    authority.remove_prefix(user + 1);
  }
  if (!authority.empty() && authority.front() == '[') return {};
  authority = authority.substr(0, authority.find(':'));
  *at = begin;
  return authority;
}

class Run {
 public:
  Run(const Sanitizer& s, const VictimDirectory* d, json::object& o, Sanitized& out)
      : s_(s), p_(s.profile()), d_(d), o_(o), out_(out) {}

  // Victims' host names are pseudonymised only under a key.
  bool Hosts() const { return p_.pseudonymise && !p_.victim_domains.empty(); }

  // Whether `value` names a victim's host: the host itself, a URL on it, an e-mail address at it.
  bool NamesVictimHost(std::string_view value) const {
    if (s_.IsVictimHost(value)) return true;
    size_t at = 0;
    if (std::string_view host = UrlHost(value, &at); !host.empty()) return s_.IsVictimHost(host);
    if (size_t mail = value.rfind('@'); mail != std::string_view::npos) {
      return s_.IsVictimHost(value.substr(mail + 1));
    }
    return false;
  }

  // Versions and product identifiers look like dotted quads ("10.0.0.1" of a PE, a CPE).
  static bool IsVersionKey(std::string_view key) {
    return key.find("version") != std::string_view::npos || key == "cpe" || key == "swid";
  }

  // Whether a string in `v` (at `pointer`, keys included) names an internal address or host;
  // where, in *where.
  static bool NamesInternalIn(const json::value& v, const std::string& pointer,
                              std::string* where) {
    if (v.is_string()) {
      const std::string_view text(v.as_string());
      if (!NamesInternal(text, false) && !IsInternal(text) &&
          (text.find('%') == std::string_view::npos ||
           !NamesInternal(PrintableEscapesDecoded(text), false))) {
        return false;
      }
      *where = pointer;
      return true;
    }
    if (v.is_array()) {
      size_t i = 0;
      for (const json::value& item : v.as_array()) {
        if (NamesInternalIn(item, pointer + "/" + std::to_string(i++), where)) return true;
      }
    } else if (v.is_object()) {
      for (const auto& [key, item] : v.as_object()) {
        if (IsVersionKey(std::string_view(key))) continue;
        const std::string inner = pointer + "/" + std::string(std::string_view(key));
        if (NamesInternal(std::string_view(key), false) || NamesInternalIn(item, inner, where)) {
          *where = inner;
          return true;
        }
      }
    }
    return false;
  }

  // Whether any host-like token in `text` (refanged, percent-escapes decoded) is a victim's.
  bool NamesVictimHostAnywhere(std::string_view text) const {
    std::string scan = Refanged(PercentDecoded(text));
    if (!MentionsVictimDomain(scan)) return false;
    bool found = false;
    ReplaceEach(scan, Rules().dotted, [&](std::string_view m) -> std::optional<std::string> {
      found = found || s_.IsVictimHost(m);
      return std::nullopt;
    });
    return found;
  }

  // Whether a victim's domain appears anywhere in `text` (what a LIKE or MATCHES operand spells,
  // where "ministry.example" in "(www|mail) .ministry.example " names the victim's hosts).
  // It must stand as a host's end: "notministry.example" and "ministry.example-login.com" are
  // other domains (look-alikes worth sharing).
  bool MentionsVictimDomain(std::string_view text) const {
    const std::string lower = Lower(text);
    auto host_char = [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    };
    for (const std::string& d : p_.victim_domains) {
      for (size_t at = lower.find(d); at != std::string::npos; at = lower.find(d, at + 1)) {
        const size_t end = at + d.size();
        if ((at == 0 || !host_char(lower[at - 1])) &&
            (end == lower.size() || (!host_char(lower[end]) && lower[end] != '.'))) {
          return true;
        }
      }
    }
    return false;
  }

  // Victims' host names in `text` → their pseudonyms. Most text names none: a substring test
  // for each domain comes first, so the token scan runs only where one might be.
  bool ScrubHosts(std::string& text) {
    if (!Hosts()) return false;
    std::string lower = Lower(Refanged(text));
    bool mentioned = false;
    for (const std::string& domain : p_.victim_domains) {
      mentioned = mentioned || lower.find(domain) != std::string::npos;
    }
    if (!mentioned) return false;
    // Defanged first ("vpn[.]ministry[.]example" is a host too), then plain.
    bool changed =
        ReplaceEach(text, Rules().defanged, [&](std::string_view m) -> std::optional<std::string> {
          const std::string host = Refanged(m);
          if (s_.IsVictimHost(host)) return s_.HostPseudonym(host);
          return std::nullopt;
        });
    changed |=
        ReplaceEach(text, Rules().dotted, [&](std::string_view m) -> std::optional<std::string> {
          if (s_.IsVictimHost(m)) return s_.HostPseudonym(m);
          return std::nullopt;
        });
    return changed;
  }

  void Step(std::string id, std::string property) {
    out_.steps.push_back({std::move(id), std::move(property)});
    out_.changed = true;
  }
  void Drop(std::string reason) {
    out_.dropped = true;
    out_.reason = std::move(reason);
  }

  std::string Pseudonym(std::string_view value) { return "p-" + Hmac(p_.key, Lower(value)); }

  // Percent-escapes hide what the rules look for ("q=%2010.0.0.1", "j.doe%40acme.com", and
  // "%2Fvpn.ministry.example" would be read as the host "2Fvpn…"): text holding any is scrubbed
  // with them decoded, and goes decoded when that finds something.
  bool ScrubText(std::string& text) {
    if (text.find('%') != std::string::npos) {
      std::string decoded = PrintableEscapesDecoded(text);
      if (decoded != text && ScrubPlainText(decoded)) {
        text = std::move(decoded);
        return true;
      }
    }
    return ScrubPlainText(text);
  }

  bool ScrubPlainText(std::string& text) {
    const TextRules& r = Rules();
    bool changed = false;
    // E-mail addresses first: one at an internal host ("j.doe@fileserver.corp") goes whole, not
    // as "j.doe@[internal]" with the mailbox left.
    if (p_.pseudonymise || p_.personal_data) {
      changed |= ReplaceEach(text, r.email, [&](std::string_view m) -> std::optional<std::string> {
        if (p_.pseudonymise) return Pseudonym(m) + "@pseudonym.invalid";
        return std::string("[e-mail]");
      });
    }
    if (p_.internal_addresses) {
      auto internal = [](std::string_view m) -> std::optional<std::string> {
        if (IsInternal(m)) return std::string("[internal]");
        return std::nullopt;
      };
      changed |= ReplaceEach(text, r.url, internal);
      changed |= ReplaceEach(text, r.host, internal);
      changed |= ReplaceEach(text, r.ipv4, internal);
      for (const RE2* re : {&r.ipv6, &r.ipv6_after_label}) {
        changed |= ReplaceEach(text, *re, [&](std::string_view m) -> std::optional<std::string> {
          if (InColonHexRun(text, m)) return std::nullopt;
          return internal(m);
        });
      }
      changed |=
          ReplaceEach(text, r.defanged, [](std::string_view m) -> std::optional<std::string> {
            if (IsDefangedInternal(m)) return std::string("[internal]");
            return std::nullopt;
          });
    }
    // After e-mail addresses (already whole pseudonyms), before defanging (which would split
    // the host names it looks for).
    changed |= ScrubHosts(text);
    if (p_.personal_data) {
      auto with = [](const char* token) {
        return [token](std::string_view) -> std::optional<std::string> { return std::string(token); };
      };
      changed |= ReplaceEach(text, r.iban, with("[iban]"));
      changed |= ReplaceEach(text, r.ssn, with("[national-id]"));
      changed |= ReplaceEach(text, r.nir, with("[national-id]"));
      changed |= ReplaceEach(text, r.phone, with("[phone]"));
    }
    if (p_.defang) {
      changed |= ReplaceEach(text, r.url, [](std::string_view m) -> std::optional<std::string> {
        std::string s(m);
        size_t scheme = s.find("://");
        std::string head = Lower(s.substr(0, scheme));
        if (head == "http" || head == "https") s.replace(1, 2, "xx");  // http → hxxp
        if (head == "ftp") s.replace(1, 1, "x");                         // ftp → fxp
        size_t host_end = s.find_first_of("/?#", scheme + 3);
        std::string host = s.substr(scheme + 3, host_end == std::string::npos
                                                    ? std::string::npos
                                                    : host_end - scheme - 3);
        std::string defanged;
        for (char c : host) defanged += c == '.' ? std::string("[.]") : std::string(1, c);
        s.replace(scheme + 3, host.size(), defanged);
        return s;
      });
    }
    return changed;
  }

  // A language-content object carries another object's properties in other languages: a
  // victim's translated name would name it beside its sector + country identity, so one that
  // translates a victim (its object_ref was rewritten) is withheld, and every other translated
  // string is scrubbed as the free text it translates.
  void LanguageContent() {
    for (const auto& done : out_.steps) {
      if (done.property == "/object_ref" && done.id == "victim") {
        return Drop("it translates a victim's properties (object_ref)");
      }
    }
    if (!(p_.internal_addresses || p_.pseudonymise || p_.personal_data || p_.defang)) return;
    json::value* contents = o_.if_contains("contents");
    if (!contents || !contents->is_object()) return;
    std::string pointer = "/contents";
    ScrubStrings(*contents, pointer, false);
  }

  // A statement marking-definition's text is prose like any other (a copyright line with a
  // contact's e-mail address and phone number, a victim's name for its host).
  void Statement() {
    if (!(p_.internal_addresses || p_.pseudonymise || p_.personal_data || p_.defang)) return;
    json::value* kind = o_.if_contains("definition_type");
    json::value* definition = o_.if_contains("definition");
    if (!kind || *kind != "statement" || !definition || !definition->is_object()) return;
    // The statement, and whatever else a producer put in the definition.
    std::string pointer = "/definition";
    ScrubStrings(*definition, pointer, false);
  }

  // Scrubs a string member as prose; `where()` names it for the step (built only on a change).
  template <typename Where>
  void ScrubMember(json::value* v, Where&& where) {
    if (!v || !v->is_string()) return;
    std::string text(v->as_string());
    if (!ScrubText(text)) return;
    *v = text;
    Step("text", where());
  }

  void Text(bool sco) {
    if (!(p_.internal_addresses || p_.pseudonymise || p_.personal_data || p_.defang)) return;
    for (std::string_view key : kTextProperties) {
      if (sco && key == "name") continue;  // an SCO's name is data (file names), not prose
      ScrubMember(o_.if_contains(key), [&] { return "/" + std::string(key); });
    }
    // Names a producer chose, which can hold what prose can (a kill chain named for a
    // customer's host, an analysis product on an internal server).
    if (json::value* phases = o_.if_contains("kill_chain_phases"); phases && phases->is_array()) {
      size_t i = 0;
      for (json::value& phase : phases->as_array()) {
        for (std::string_view key : {"kill_chain_name", "phase_name"}) {
          ScrubMember(phase.is_object() ? phase.as_object().if_contains(key) : nullptr, [&] {
            return "/kill_chain_phases/" + std::to_string(i) + "/" + std::string(key);
          });
        }
        ++i;
      }
    }
    if (!sco) ScrubMember(o_.if_contains("product"), [] { return std::string("/product"); });
    if (json::value* refs = o_.if_contains("external_references"); refs && refs->is_array()) {
      size_t i = 0;
      bool emptied = false;
      for (json::value& ref : refs->as_array()) {
        // A link into the internal network names an internal host and helps no partner: it goes,
        // and the reference with it when nothing else (description, external_id) is left. So
        // does a link that names an internal address anywhere, percent-escaped too (a lookup
        // page: "…/gui/ip-address/10.20.30.40").
        if (json::value* u = ref.is_object() ? ref.as_object().if_contains("url") : nullptr;
            p_.internal_addresses && u && u->is_string() &&
            (IsInternal(std::string_view(u->as_string())) ||
             NamesInternal(std::string_view(u->as_string()), false) ||
             NamesInternal(PercentDecoded(std::string_view(u->as_string())), false))) {
          json::object& r = ref.as_object();
          r.erase("url");
          r.erase("hashes");  // of what the URL held
          Step("internal-address", "/external_references/" + std::to_string(i) + "/url");
          emptied |= !r.contains("description") && !r.contains("external_id");
        }
        // A mailto: link is an e-mail address: it goes, as the address would from prose.
        if (json::value* u = ref.is_object() ? ref.as_object().if_contains("url") : nullptr;
            (p_.pseudonymise || p_.personal_data) && u && u->is_string() &&
            Lower(std::string(u->as_string()).substr(0, 7)) == "mailto:") {
          std::string text(PercentDecoded(std::string_view(u->as_string()).substr(7)));
          if (ScrubText(text)) {
            json::object& r = ref.as_object();
            r.erase("url");
            r.erase("hashes");
            Step("personal-data", "/external_references/" + std::to_string(i) + "/url");
            emptied |= !r.contains("description") && !r.contains("external_id");
          }
        }
        // An identifier or source name can hold what prose can (a ticket named for a host).
        for (std::string_view key : {"source_name", "external_id"}) {
          ScrubMember(ref.is_object() ? ref.as_object().if_contains(key) : nullptr, [&] {
            return "/external_references/" + std::to_string(i) + "/" + std::string(key);
          });
        }
        // A reference's URL on a victim's host names the host.
        if (json::value* u = ref.is_object() ? ref.as_object().if_contains("url") : nullptr;
            Hosts() && u && u->is_string()) {
          std::string url(u->as_string());
          size_t at = 0;
          std::string_view host = UrlHost(url, &at);
          if (!host.empty() && s_.IsVictimHost(host)) {
            url.replace(at, host.size(), s_.HostPseudonym(host));
            *u = url;
            Step("victim-host", "/external_references/" + std::to_string(i) + "/url");
          }
        }
        ScrubMember(ref.is_object() ? ref.as_object().if_contains("description") : nullptr,
                    [&] { return "/external_references/" + std::to_string(i) + "/description"; });
        ++i;
      }
      if (emptied) {
        json::array kept;
        for (json::value& ref : refs->as_array()) {
          const json::object* r = ref.if_object();
          if (!r || r->contains("url") || r->contains("description") || r->contains("external_id")) {
            kept.push_back(std::move(ref));
          }
        }
        if (kept.empty()) {
          o_.erase("external_references");
        } else {
          *refs = std::move(kept);
        }
      }
    }
  }

  void Pattern() {
    const bool ids = p_.internal_addresses || p_.pseudonymise;  // ComparesIdLoosely
    const bool values = p_.internal_addresses || Hosts();       // the comparisons' values
    if (!ids && !values) return;
    json::value* v = o_.if_contains("pattern");
    json::value* type = o_.if_contains("pattern_type");
    if (!v || !v->is_string() || !type || !type->is_string()) return;
    if (type->as_string() != "stix") {
      if (values) ForeignPattern(v->as_string(), type->as_string());
      return;
    }
    Result<pattern::Pattern> parsed = pattern::ParsePattern(std::string_view(v->as_string()));
    if (!parsed.ok()) {
      if (values) Drop("its pattern does not parse, so it cannot be checked");
      return;
    }
    if (ids && ComparesIdLoosely(parsed->root)) {
      return Drop(
          "its pattern compares an id other than as equal to whole ids (LIKE, MATCHES, a range, "
          "part of one), which may name an internal address or a pseudonymised value");
    }
    if (!values) return;
    // A victim's host in a pattern is treated as an internal address: the comparison goes with
    // its whole conjunction, so no detection is widened and the host is not named.
    bool internal = false, victim = false;
    Leaks leaks = [&](std::string_view value, bool loose, bool address, std::string_view regex) {
      if (!loose) {
        // A whole value, or one that names it inside (a command line, a path, a URL's query).
        if (p_.internal_addresses && (IsInternal(value) || NamesInternal(value, false) ||
                                      NamesInternal(PrintableEscapesDecoded(value), false))) {
          return internal = true;
        }
        if (Hosts() && (NamesVictimHost(value) || NamesVictimHostAnywhere(value))) {
          return victim = true;
        }
        return false;
      }
      if (p_.internal_addresses && NamesInternal(value, address)) return internal = true;
      if (Hosts() && MentionsVictimDomain(Refanged(value))) return victim = true;
      return RegexNames(regex, address, &internal, &victim);
    };
    bool changed = false;
    if (!KeepObservations(parsed->root, leaks, &changed)) {
      return Drop("its pattern detects only internal addresses or victims' hosts");
    }
    if (changed) {
      *v = parsed->ToString();
      if (internal) Step("internal-address", "/pattern");
      if (victim) Step("victim-host", "/pattern");
    }
  }

  // An observable's id is a hash of its value: a comparison on an id that is not equality with
  // whole ids — LIKE, MATCHES, a range, a shortened or oddly spelled id
  // ([ipv4-addr:id LIKE 'ipv4-addr--5e2d1a8c-%'], [… >= 'ipv4-addr--5e2d1a8c']) — names part of
  // one (eight hex digits single out an IPv4 address) where no id rewrite reads it, and what it
  // matches cannot be told. Under a profile that rewrites observables the indicator is withheld;
  // whole ids are judged as every id in the pattern is (IdsInText).
  static bool ComparesIdLoosely(const pattern::ObservationExpression& root) {
    static const RE2& whole_id =
        *new RE2(R"((?i)[a-z0-9-]+--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})");
    std::function<bool(const pattern::ComparisonExpression&)> in_comparisons =
        [&](const pattern::ComparisonExpression& e) {
          if (e.kind != pattern::ComparisonKind::kComparison) {
            return std::any_of(e.children.begin(), e.children.end(), in_comparisons);
          }
          const pattern::Comparison& c = e.comparison;
          const pattern::PathStep& last = c.path.steps.back();
          if (last.kind != pattern::PathStepKind::kProperty || Lower(last.property) != "id") {
            return false;
          }
          if (c.op != pattern::ComparisonOperator::kEqual &&
              c.op != pattern::ComparisonOperator::kNotEqual &&
              c.op != pattern::ComparisonOperator::kIn &&
              c.op != pattern::ComparisonOperator::kExists) {
            return true;
          }
          return std::any_of(c.values.begin(), c.values.end(), [](const pattern::Literal& l) {
            const std::string* text = std::get_if<std::string>(&l.value);
            return text && !RE2::FullMatch(*text, whole_id);
          });
        };
    std::function<bool(const pattern::ObservationExpression&)> in_observations =
        [&](const pattern::ObservationExpression& e) {
          if (e.kind == pattern::ObservationKind::kObservation) return in_comparisons(e.comparison);
          return std::any_of(e.children.begin(), e.children.end(), in_observations);
        };
    return in_observations(root);
  }

  // What a regular expression names beyond its spelled text: character classes and alternations
  // ("ministr[y]", "(192|193)") hide the words but not what it matches.
  bool RegexNames(std::string_view regex, bool address, bool* internal, bool* victim) const {
    RE2 re(regex, RE2::Quiet);
    if (!re.ok()) return false;
    // The least and greatest strings it can match, where it bounds them ("^(192|193)\.168…"
    // spans 192.168… to 193.168…): an internal address at either end is named.
    std::string min, max;
    if (p_.internal_addresses && address && re.PossibleMatchRange(&min, &max, 64) &&
        (NamesInternal(min, true) || NamesInternal(max, true))) {
      return *internal = true;
    }
    // A victim's domain it matches, where a name differing from it in its first label does
    // not: "ministr[y]\.example$" names it, ".*\.example$" does not.
    if (Hosts()) {
      for (const std::string& d : p_.victim_domains) {
        std::string other = d;
        for (size_t i = 0; i < other.size() && other[i] != '.'; ++i) other[i] = 'q';
        if (other == d) continue;
        // As a host, in a URL, in an e-mail address.
        for (const char* prefix :
             {"", "www.", "https://", "https://www.", "http://", "http://www.", "user@"}) {
          for (const char* suffix : {"", "/"}) {
            if (RE2::PartialMatch(prefix + d + suffix, re) &&
                !RE2::PartialMatch(prefix + other + suffix, re)) {
              return *victim = true;
            }
          }
        }
      }
    }
    return false;
  }

  // A Snort, Suricata, Sigma, YARA or PCRE pattern: this hub cannot rewrite its language without
  // changing what it detects, so one that names an internal address or a victim's host (even as
  // a range it excludes) is withheld whole rather than sent with the name in it.
  void ForeignPattern(std::string_view pattern, std::string_view type) {
    const TextRules& r = Rules();
    std::string text(pattern);
    bool internal = false, victim = false;
    // Escaped or defanged names count too ("10\\.0\\.0\\.1" in a PCRE, "corp[.]lan" in a rule).
    const std::string spelled = SpelledText(text, /*regex=*/true);
    if (p_.internal_addresses) {
      internal = NamesInternal(text, /*partial=*/false) || NamesInternal(spelled, false);
    }
    if (Hosts()) {
      ReplaceEach(text, r.dotted, [&](std::string_view m) -> std::optional<std::string> {
        victim = victim || s_.IsVictimHost(m);
        return std::nullopt;
      });
      victim = victim || MentionsVictimDomain(Refanged(spelled));
    }
    if (type == "pcre" && !internal && !victim) {
      // "/expr/flags" or a bare expression.
      std::string_view expr = pattern;
      if (expr.size() > 1 && expr.front() == '/' && expr.rfind('/') > 0) {
        expr = expr.substr(1, expr.rfind('/') - 1);
      }
      RegexNames(expr, /*address=*/true, &internal, &victim);
    }
    if (internal || victim) {
      Drop("its " + std::string(type) + " pattern names " +
           (internal ? "an internal address" : "a victim's host") +
           ", and only STIX patterns can be rewritten without it");
    }
  }

  // Lists of short free text (labels, aliases, a note's authors): scrubbed as prose is.
  void TextLists() {
    if (!(p_.internal_addresses || p_.pseudonymise || p_.personal_data || p_.defang)) return;
    for (std::string_view key : {"labels", "aliases", "authors", "goals", "roles"}) {
      json::value* v = o_.if_contains(key);
      if (!v || !v->is_array()) continue;
      size_t i = 0;
      for (json::value& item : v->as_array()) {
        ScrubMember(&item, [&] { return "/" + std::string(key) + "/" + std::to_string(i); });
        ++i;
      }
    }
  }

  // Content STIX does not define — custom properties (x_…, or a toplevel-property-extension's)
  // and custom extensions — may hold anything: every string in it is scrubbed as prose is.
  // (Dictionary keys are left as they are.)
  void Custom(const std::string& type, bool sco) {
    if (!(p_.internal_addresses || p_.pseudonymise || p_.personal_data || p_.defang)) return;
    const stix::TypeSpec* spec = stix::FindTypeSpec(type);
    const auto common = sco ? stix::CommonScoProperties() : stix::CommonSdoProperties();
    std::string pointer;
    for (auto& [key, value] : o_) {
      pointer = "/" + std::string(std::string_view(key));
      if (key == "extensions" && value.is_object()) {
        for (auto& [name, extension] : value.as_object()) {
          if (stix::FindExtensionSpec(std::string_view(name))) continue;  // predefined: typed
          std::string inner = pointer + "/" + std::string(std::string_view(name));
          ScrubStrings(extension, inner, false);
        }
      } else if (!stix::FindProperty(spec, common, std::string_view(key)).spec) {
        if (KeyNamesWhatGoes(key)) {
          return Drop("a custom property's name holds what this profile removes (" + pointer + ")");
        }
        ScrubStrings(value, pointer, IsReferenceKey(key));
      }
    }
  }
  // A name cannot be rewritten in place (another object's key may be the same): withheld.
  bool KeyNamesWhatGoes(std::string_view key) {
    std::string text(key);
    return ScrubText(text);
  }
  // `reference`: the value is (a list of) identifiers, names this hub controls (Refs rewrites
  // those), not prose.
  void ScrubStrings(json::value& value, std::string& pointer, bool reference) {
    if (value.is_string()) {
      if (!reference) ScrubMember(&value, [&] { return pointer; });
    } else if (value.is_array()) {
      size_t i = 0;
      for (json::value& item : value.as_array()) {
        const size_t mark = pointer.size();
        pointer += "/" + std::to_string(i++);
        ScrubStrings(item, pointer, reference);
        pointer.resize(mark);
      }
    } else if (value.is_object()) {
      for (auto& [key, item] : value.as_object()) {
        if (key == "extension_type") continue;
        const size_t mark = pointer.size();
        pointer += "/" + std::string(std::string_view(key));
        if (KeyNamesWhatGoes(key)) {
          return Drop("a property name in custom content holds what this profile removes (" +
                      pointer + ")");
        }
        ScrubStrings(item, pointer, IsReferenceKey(key));
        pointer.resize(mark);
      }
    }
  }
  static bool IsReferenceKey(std::string_view key) {
    return key.ends_with("_ref") || key.ends_with("_refs");
  }

  // STIX 2.0-style observed-data carries its observables inside, in `objects`: each goes
  // through what a separate SCO would. One that would be withheld (an internal address) takes
  // the whole observed-data with it, since the others refer to it by its key.
  void Embedded() {
    json::value* objects = o_.if_contains("objects");
    if (!objects || !objects->is_object()) return;
    for (auto& [key, value] : objects->as_object()) {
      if (!value.is_object()) continue;
      json::value* t = value.as_object().if_contains("type");
      if (!t || !t->is_string()) continue;
      const std::string type(t->as_string());
      Sanitized inner;
      Run run(s_, d_, value.as_object(), inner);
      run.Observable(type);
      if (!inner.dropped) {
        run.Text(true);
        run.Custom(type, true);
      }
      const std::string at = "/objects/" + std::string(std::string_view(key));
      if (inner.dropped) return Drop("its embedded object " + at + ": " + inner.reason);
      for (const sanitize::Step& step : inner.steps) Step(step.id, at + step.property);
    }
  }

  void Observable(const std::string& type) {
    auto str = [&](std::string_view key) -> json::string* {
      json::value* v = o_.if_contains(key);
      return v && v->is_string() ? &v->as_string() : nullptr;
    };
    if (p_.internal_addresses) {
      json::string* value = str("value");
      if ((type == "ipv4-addr" || type == "ipv6-addr" || type == "domain-name" || type == "url") &&
          value && IsInternal(std::string_view(*value))) {
        return Drop("it is an internal address or host name");
      }
      // An observable is data, not prose to edit (its id may hang on it): one that names an
      // internal address or host anywhere — a URL's query or user part, a command line, a
      // path, a mail body, a certificate's names — is withheld. (A network-traffic's
      // endpoints are separate objects, withheld on their own.)
      std::string where;
      for (auto& [key, v] : o_) {
        const std::string_view k(key);
        if (k == "id" || k == "type" || k == "spec_version" || k == "hashes" ||
            k.ends_with("_ref") || k.ends_with("_refs") || IsVersionKey(k)) {
          continue;
        }
        std::string pointer = "/" + std::string(k);
        if (NamesInternalIn(v, pointer, &where)) {
          return Drop("it names an internal address or host (" + where + ")");
        }
      }
    }
    // A victim account's password (or its hash) is personal data no partner needs to correlate.
    if (type == "user-account" && (p_.pseudonymise || p_.personal_data) && o_.erase("credential")) {
      Step("personal-data", "/credential");
    }
    if (type == "x509-certificate" && (p_.pseudonymise || p_.personal_data)) {
      // A certificate's holder by e-mail ("emailAddress=j.doe@…" in a subject, an rfc822Name
      // in the alternative names), as an e-mail address in text.
      auto mails = [&](json::object& in, std::string_view key, const std::string& pointer) {
        json::value* v = in.if_contains(key);
        if (!v || !v->is_string()) return;
        std::string text(v->as_string());
        if (ReplaceEach(text, Rules().email, [&](std::string_view m) -> std::optional<std::string> {
              if (p_.pseudonymise) return Pseudonym(m) + "@pseudonym.invalid";
              return std::string("[e-mail]");
            })) {
          *v = text;
          Step(p_.pseudonymise ? "pseudonym" : "personal-data", pointer);
        }
      };
      for (std::string_view key : {"subject", "issuer"}) mails(o_, key, "/" + std::string(key));
      if (json::value* ext = o_.if_contains("x509_v3_extensions"); ext && ext->is_object()) {
        for (std::string_view key : {"subject_alternative_name", "issuer_alternative_name"}) {
          mails(ext->as_object(), key, "/x509_v3_extensions/" + std::string(key));
        }
      }
    }
    if (!p_.pseudonymise) return;
    if (type == "email-addr") {
      if (json::string* value = str("value")) {
        *value = Pseudonym(std::string_view(*value)) + "@pseudonym.invalid";
        Step("pseudonym", "/value");
      }
      if (o_.erase("display_name")) Step("pseudonym", "/display_name");
    } else if (type == "user-account") {
      for (std::string_view key : {"user_id", "account_login"}) {
        if (json::string* value = str(key)) {
          *value = Pseudonym(std::string_view(*value));
          Step("pseudonym", "/" + std::string(key));
        }
      }
      if (o_.erase("display_name")) Step("pseudonym", "/display_name");
    }
    // A hub cannot tell a victim's host from an attacker's by its name: the profile's
    // victim_domains say which are the constituency's.
    if (!Hosts()) return;
    if (type == "domain-name") {
      if (json::string* value = str("value"); value && s_.IsVictimHost(std::string_view(*value))) {
        *value = s_.HostPseudonym(std::string_view(*value));
        Step("victim-host", "/value");
      }
    } else if (type == "url") {
      if (json::string* value = str("value")) {
        std::string url(*value);
        size_t at = 0;
        std::string_view host = UrlHost(url, &at);
        if (!host.empty() && s_.IsVictimHost(host)) {
          url.replace(at, host.size(), s_.HostPseudonym(host));
          *value = url;
          Step("victim-host", "/value");
        }
        // Named where the host cannot be rewritten (an escaped dot, a path, a query): withheld.
        if (NamesVictimHostAnywhere(std::string_view(*value))) {
          return Drop("its URL names a victim's host where it cannot be replaced");
        }
      }
    } else if (type == "x509-certificate") {
      auto scrub = [&](json::object& in, std::string_view key, const std::string& pointer) {
        json::value* v = in.if_contains(key);
        if (!v || !v->is_string()) return;
        std::string text(v->as_string());
        if (ScrubHosts(text)) {
          *v = text;
          Step("victim-host", pointer);
        }
      };
      for (std::string_view key : {"subject", "issuer"}) scrub(o_, key, "/" + std::string(key));
      if (json::value* ext = o_.if_contains("x509_v3_extensions"); ext && ext->is_object()) {
        for (std::string_view key : {"subject_alternative_name", "issuer_alternative_name"}) {
          scrub(ext->as_object(), key, "/x509_v3_extensions/" + std::string(key));
        }
      }
    }
  }

  // What a reference must become: the sector + country identity of a victim, the new id of an
  // observable this profile rewrites (a victim's host name, a pseudonymised e-mail address),
  // nothing (`to` empty) for a victim's place, which is withheld, or for an observable this
  // profile withholds (`withheld_observable`: the reference goes, the object stays when it is
  // still valid); nullopt when it stays.
  struct Mapped {
    Mapped(std::string to_id, const char* step_id, bool withheld = false, std::string reason = {})
        : to(std::move(to_id)),
          step(step_id),
          withheld_observable(withheld),
          withhold_reason(std::move(reason)) {}
    std::string to;
    const char* step;
    bool withheld_observable;
    // The reference cannot go as written nor be removed (a marking: removing it would widen
    // the object's label): the object is withheld, for `reason`.
    std::string withhold_reason;
  };
  // `typed`: written as a reference (type--uuid), not a bare UUID tried as each type.
  std::optional<Mapped> MapRef(std::string_view written, bool typed = true) {
    if (!d_) return std::nullopt;
    // Ids are compared as the directory holds them; a UUID in upper case is the same id.
    std::string lowered;
    std::string_view ref = written;
    if (std::any_of(written.begin(), written.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      lowered = Lower(written);
      ref = lowered;
    }
    if (p_.victims && ref.rfind("identity--", 0) == 0 && ref != p_.node_identity) {
      if (std::optional<VictimFacts> facts = d_->Find(ref)) {
        return Mapped{s_.ClassIdentityId(*facts), "victim"};
      }
    } else if (p_.victims && ref.rfind("location--", 0) == 0 && d_->IsVictimPlace(ref)) {
      // Its id would link whatever names it (sightings at one plant, say).
      return Mapped{"", "victim"};
    } else if (RewritableReference(ref)) {
      // What the object itself becomes under this profile, its own references followed too (a
      // network-traffic's id is a hash of its src_ref …): once per referenced id and top-level
      // object, and no deeper than kMaxReferenceDepth — past that the reference goes.
      std::optional<std::string> text = d_->ReferencedText(ref);
      if (!text) {
        // Not held here: nothing says its value is not an internal address or an e-mail
        // address (its id is a hash of it), so the reference goes. A marking-definition stays:
        // the label rules judge a marking the node does not know.
        if (typed && !ref.starts_with("marking-definition--") && !d_->Holds(ref)) {
          return Mapped{"", "withheld-ref", true};
        }
        return std::nullopt;
      }
      thread_local int depth = 0;
      thread_local std::map<std::string, Sanitized, std::less<>> followed;
      if (depth == 0) followed.clear();
      auto known = followed.find(ref);
      if (known == followed.end()) {
        if (depth >= kMaxReferenceDepth) return Mapped{"", "withheld-ref", true};
        struct Deeper {
          Deeper() { ++depth; }
          ~Deeper() { --depth; }
        } deeper;
        Sanitized result = s_.Apply(*text, d_);
        known = followed.emplace(std::string(ref), std::move(result)).first;
      }
      const Sanitized target = known->second;
      const bool marking = ref.starts_with("marking-definition--");
      if (target.dropped && marking) {
        return Mapped{"", "withheld-ref", false,
                      "it is marked with " + std::string(ref) +
                          ", a statement that cannot be released sanitized (" + target.reason +
                          ")"};
      }
      if (target.dropped) return Mapped{"", "withheld-ref", true};
      if (Lower(target.id) == ref) return std::nullopt;
      if (marking) return Mapped{target.id, "renamed-marking"};
      const char* step = "new-id";
      for (const auto& done : target.steps) {
        for (const char* named : {"victim-host", "pseudonym", "internal-address"}) {
          if (done.id == named && std::string_view(step) == "new-id") step = named;
        }
      }
      return Mapped{target.id, step};
    }
    return std::nullopt;
  }
  bool RewritableReference(std::string_view ref) const {
    const bool text_steps =
        p_.internal_addresses || p_.pseudonymise || p_.personal_data || p_.defang;
    if (!text_steps) return false;
    if (ref.starts_with("marking-definition--")) return true;
    if (!(p_.internal_addresses || p_.pseudonymise)) return false;
    for (std::string_view type : kRewritableReferenceTypes) {
      if (ref.size() > type.size() + 2 && ref.starts_with(type) &&
          ref.substr(type.size(), 2) == "--") {
        return true;
      }
    }
    return false;
  }

  // Every *_ref and *_refs, at any depth (extensions included), through MapRef. A list that
  // now names one identity twice (two victims of one sector and country) keeps it once; a
  // victim's place leaves a list, and an object whose single reference is one is withheld (an
  // emptied required list makes it invalid, and withheld too).
  //
  // created_by_ref is provenance, not a victim role: it is never rewritten here (only
  // pseudonymise_sources does that). An object that names its own author as a victim (a CERT's
  // sighting on its own network, a report of an attack on its author) would give the victim
  // away through created_by_ref, so without pseudonymise_sources it is withheld.
  void Refs() {
    if (!d_ || !(p_.victims || p_.internal_addresses || p_.pseudonymise || p_.personal_data ||
                 p_.defang)) {
      return;
    }
    if (json::value* by = o_.if_contains("created_by_ref"); by && by->is_string()) {
      author_ = std::string(by->as_string());
    }
    std::string pointer;
    Refs(o_, pointer);
    if (!out_.dropped && author_victim_ && !p_.pseudonymise_sources) {
      Drop("it names its author (created_by_ref) as a victim, which only pseudonymise_sources "
           "can hide");
    }
  }
  void Refs(json::object& in, std::string& pointer) {
    // Lists left empty, which STIX forbids, and references to withheld observables: removed after.
    std::vector<std::string> emptied;
    for (auto& [key, value] : in) {
      const size_t mark = pointer.size();
      pointer += '/';
      pointer += std::string_view(key);
      // An id the profile rewrites, in any spelling, as a property name cannot be rewritten in
      // place: withheld.
      if (const std::string_view name(key); HasHexRun(name, 8) || HasHexByteRun(name, 16)) {
        json::value probe = json::string(name);
        IdsInText(probe, pointer);
        if (out_.dropped || probe.as_string() != name) {
          if (!out_.dropped)
            Drop("a property name names what the profile rewrites (" + pointer + ")");
          return;
        }
      }
      if (value.is_string() && key == "created_by_ref" && &in == &o_) {
        // Provenance: see above.
      } else if (value.is_string() && key.ends_with("_ref")) {
        if (auto to = MapRef(std::string_view(value.as_string()))) {
          author_victim_ |=
              std::string_view(to->step) == "victim" && Lower(value.as_string()) == Lower(author_);
          if (!to->withhold_reason.empty()) return Drop(to->withhold_reason);
          if (to->withheld_observable) {
            emptied.emplace_back(key);
            Step(to->step, pointer);
          } else if (to->to.empty()) {
            return Drop("it refers to where a victim is (" + pointer + ")");
          } else {
            value = to->to;
            Step(to->step, pointer);
          }
        } else if (!IsBareId(std::string_view(value.as_string()))) {
          IdsInText(value, pointer);  // not an id alone: words around one
        }
      } else if (value.is_array() && key.ends_with("_refs")) {
        json::array& refs = value.as_array();
        bool changed = false;
        for (size_t i = 0; i < refs.size(); ++i) {
          const std::string inner = pointer + "/" + std::to_string(i);
          if (refs[i].is_object()) {
            std::string nested = inner;
            Refs(refs[i].as_object(), nested);
          } else if (refs[i].is_array()) {
            json::object holder;  // walked as a list under a "_refs" name
            holder["x_refs"] = std::move(refs[i]);
            std::string nested = inner;
            Refs(holder, nested);
            refs[i] = std::move(holder["x_refs"]);
          } else if (!refs[i].is_string()) {
            continue;
          } else if (auto to = MapRef(std::string_view(refs[i].as_string()))) {
            if (!to->withhold_reason.empty()) return Drop(to->withhold_reason);
            author_victim_ |= std::string_view(to->step) == "victim" &&
                              Lower(refs[i].as_string()) == Lower(author_);
            refs[i] = to->to;
            Step(to->step, inner);
            changed = true;
          } else if (!IsBareId(std::string_view(refs[i].as_string()))) {
            IdsInText(refs[i], inner);
          }
          if (out_.dropped) return;
        }
        if (changed) {
          json::array unique;
          for (json::value& ref : refs) {
            if (ref == "") continue;
            if (std::find(unique.begin(), unique.end(), ref) == unique.end()) unique.push_back(ref);
          }
          refs = std::move(unique);
          if (refs.empty()) emptied.emplace_back(key);
        }
      } else if (value.is_object()) {
        Refs(value.as_object(), pointer);
      } else if (value.is_array()) {
        size_t i = 0;
        for (json::value& item : value.as_array()) {
          std::string inner = pointer + "/" + std::to_string(i);
          if (item.is_object()) {
            Refs(item.as_object(), inner);
          } else if (item.is_string()) {
            IdsInText(item, inner);
          }
          if (out_.dropped) return;
          ++i;
        }
      } else if (value.is_string() && !(&in == &o_ && (key == "id" || key == "type"))) {
        IdsInText(value, pointer);
      }
      if (out_.dropped) return;
      pointer.resize(mark);
    }
    // A required one gone leaves the object invalid: withheld, as it should be.
    for (const std::string& key : emptied) in.erase(key);
  }

  // "type--uuid" and nothing else: MapRef has judged it whole.
  static bool IsBareId(std::string_view s) {
    const size_t dashes = s.find("--");
    return dashes != std::string_view::npos && s.size() == dashes + 2 + 36 &&
           s.find_first_of(" \t\n") == std::string_view::npos;
  }

  // Ids written where no reference property holds them (a custom "x_victims" list, prose that
  // quotes an id) name a victim as surely as a *_ref does: each goes through MapRef too, and a
  // victim's place makes the object withheld, as a reference to it does.
  void IdsInText(json::value& value, const std::string& pointer) {
    const std::string_view view(value.as_string());
    // Every spelling of a UUID below has eight hex digits in a row, or is its sixteen bytes;
    // most strings have neither.
    if (!HasHexRun(view, 8) && !HasHexByteRun(view, 16)) return;
    // An id, its type and UUID written as producers and tools do: "ipv4-addr--5e2d…",
    // "ipv4_addr:5e2d…", "ipv4-addr-5E2D1A8C1F7F…", the UUID's groups joined by other marks or
    // none, hyphens escaped ("ipv4\-addr--…" in a pattern), or shortened ("ipv4-addr--5e2d1a8c…":
    // eight hex digits single out an IPv4 address). Judged as the reference it spells; only a
    // whole id written with "--" before its UUID is a reference that goes when the node does not
    // hold what it names (a path "file-<GUID>.tmp", a Message-ID "email-message-<GUID>@…" are
    // no references).
    static const RE2& ids = *new RE2(
        R"((?i)(?:^|[^a-z])((identity|location|domain[-_]?name|ipv[46][-_]?addr|url|email[-_]?addr|user[-_]?account|network[-_]?traffic|email[-_]?message|file|directory|windows[-_]?registry[-_]?key|marking[-_]?definition)([-_:\\]{1,4})([0-9a-f]{8,}(?:[-_\\.:/+]{1,2}[0-9a-f]{2,})*)))");
    // A UUID without its type ("urn:uuid:…", "id-…", a ticket quoting it), its groups joined by
    // any of these marks (its bytes too: "5e:2d:1a:…"), or its first groups alone
    // ("5e2d1a8c-1f7f-5b53"): tried as each type whose references are rewritten, and rewritten
    // as that reference would be.
    static const RE2& bare = *new RE2(R"((?i)([0-9a-f]{2,}(?:[-_\\.:/+]{1,2}[0-9a-f]{2,})+))");
    std::string text(view);
    const char* step = nullptr;
    bool place = false;
    std::string withhold;
    // An indicator's pattern that compares a withheld observable's id ([ipv4-addr:id = '…']):
    // no rewrite keeps what it matches — '[withheld]' in its place matches nothing, so a `!=`
    // would match more and a NOT flip — and the comparison cannot be cut out of an AND or OR
    // without changing the rest: the indicator is withheld.
    const bool in_pattern = pointer == "/pattern";
    auto rewrite = [&](const std::string& id, bool bare_uuid) -> std::optional<std::string> {
      std::optional<Mapped> to = MapRef(id, /*typed=*/!bare_uuid);
      if (!to) return std::nullopt;
      author_victim_ |= std::string_view(to->step) == "victim" && id == Lower(author_);
      step = to->step;
      if (!to->withhold_reason.empty()) withhold = to->withhold_reason;
      if (to->withheld_observable && in_pattern) {
        withhold = "its pattern compares the id of an observable this profile withholds (" + id +
                   "), which no rewrite of the pattern can leave out without changing what it "
                   "matches";
      }
      if (to->withheld_observable) return std::string("[withheld]");
      place |= to->to.empty();
      if (bare_uuid && !to->to.empty()) return to->to.substr(to->to.find("--") + 2);
      return to->to;
    };
    // The hex digits of a spelling, separators dropped, in lower case.
    auto digits = [](std::string_view spelled) {
      std::string out;
      for (char c : spelled) {
        if (std::isxdigit(static_cast<unsigned char>(c))) {
          out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
      }
      return out;
    };
    // Hex digits in a UUID's layout, as far as they go: "5e2d1a8c1f7f" → "5e2d1a8c-1f7f".
    auto hyphenated = [](std::string_view hex) {
      std::string out;
      for (size_t i = 0; i < hex.size() && i < 32; ++i) {
        if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(hex[i])));
      }
      return out;
    };
    // A shortened id: when an id the directory knows, of one of `types`, starts so and is
    // rewritten, the whole spelling goes (no shortened form of a new id would mean anything).
    auto shortened = [&](const std::vector<std::string_view>& types,
                         const std::string& uuid_start) -> std::optional<std::string> {
      if (!d_) return std::nullopt;
      for (std::string_view type : types) {
        for (const std::string& id :
             d_->IdsStartingWith(std::string(type) + "--" + uuid_start, 8)) {
          if (rewrite(id, /*bare_uuid=*/true)) {
            if (in_pattern && withhold.empty()) {
              withhold = "its pattern names part of the id " + id + ", which this profile rewrites";
            }
            return std::string("[withheld]");
          }
        }
      }
      return std::nullopt;
    };
    // Type names without their hyphens ("ipv4addr"), to read a type however it is spelled.
    static const std::vector<std::string_view> kAllTypes = [] {
      std::vector<std::string_view> all = {"identity", "location"};
      all.insert(all.end(), std::begin(kRewritableReferenceTypes),
                 std::end(kRewritableReferenceTypes));
      return all;
    }();
    static const std::vector<std::pair<std::string, std::string_view>> kTypeLetters = [] {
      std::vector<std::pair<std::string, std::string_view>> all;
      for (std::string_view t : kAllTypes) all.emplace_back(std::string(t), t);
      for (auto& [letters, name] : all) std::erase(letters, '-');
      return all;
    }();
    bool changed = false;
    {
      std::string out;
      re2::StringPiece input(text), whole, type_spelled, separator, uuid_spelled;
      size_t last = 0;
      while (RE2::FindAndConsume(&input, ids, &whole, &type_spelled, &separator, &uuid_spelled)) {
        std::string letters = Lower(std::string_view(type_spelled.data(), type_spelled.size()));
        std::erase(letters, '-');
        std::erase(letters, '_');
        std::string_view type;
        for (const auto& [name_letters, name] : kTypeLetters) {
          if (letters == name_letters) type = name;
        }
        const std::string hex = digits(std::string_view(uuid_spelled.data(), uuid_spelled.size()));
        std::optional<std::string> with;
        if (!type.empty() && hex.size() >= 32) {
          const bool standard = std::string_view(separator.data(), separator.size()) == "--";
          with = rewrite(std::string(type) + "--" + hyphenated(hex), /*bare_uuid=*/!standard);
          // Written other than as a reference, it is replaced whole, as a reference would be.
          if (with && !standard && !with->empty() && with->front() != '[') {
            with = std::string(type) + "--" + *with;
          }
        } else if (!type.empty() && hex.size() >= 8) {
          with = shortened({type}, hyphenated(hex));
          // Naming nothing the profile rewrites, it may still name an observable the node does
          // not hold (eight hex digits single out an IPv4 address), which cannot be checked:
          // written as a reference, it goes, as a whole id of one would.
          if (!with && std::string_view(separator.data(), separator.size()) == "--" && d_ &&
              RewritableReference(std::string(type) + "--" + hex) && type != "marking-definition") {
            with = std::string("[withheld]");
            step = "withheld-ref";
            if (in_pattern && withhold.empty()) {
              withhold = "its pattern names part of an id (" + std::string(type) + "--" + hex +
                         "…) that may name an observable this profile withholds";
            }
          }
        }
        if (!with) continue;
        const size_t at = static_cast<size_t>(whole.data() - text.data());
        out.append(text, last, at - last);
        out += *with;
        last = at + whole.size();
        changed = true;
      }
      if (changed) {
        out.append(text, last, std::string::npos);
        text = std::move(out);
      }
    }
    auto as_each_type = [&](const std::string& uuid) -> std::optional<std::string> {
      for (std::string_view type : kAllTypes) {
        if (std::optional<std::string> with = rewrite(std::string(type) + "--" + uuid, true)) {
          return with;
        }
      }
      return std::nullopt;
    };
    changed |= ReplaceEach(text, bare, [&](std::string_view m) -> std::optional<std::string> {
      const std::string hex = digits(m);
      if (hex.size() == 32) return as_each_type(hyphenated(hex));
      // Its first groups alone, at least 8-4 (48 bits: no number or date is taken for one).
      const size_t first = m.find_first_not_of("0123456789abcdefABCDEF");
      if (hex.size() >= 12 && hex.size() < 32 && first == 8) {
        return shortened(kAllTypes, hyphenated(hex));
      }
      return std::nullopt;
    });
    // … and its 32 hex digits in a row, as some tools print UUIDs ("0x…", "ID…" glued on): in
    // each run of 32 to 40 hex digits, its first and its last 32 are tried. A longer run (a
    // SHA-256) is not one; an MD5 or SHA-1 is tried and, naming no such object, stays.
    for (size_t at = 0; at < text.size();) {
      if (!std::isxdigit(static_cast<unsigned char>(text[at]))) {
        ++at;
        continue;
      }
      size_t end = at;
      while (end < text.size() && std::isxdigit(static_cast<unsigned char>(text[end]))) ++end;
      const size_t length = end - at;
      if (length >= 32 && length <= 40) {
        for (size_t from : {at, end - 32}) {
          if (from != at && length == 32) break;  // one window: tried already
          std::optional<std::string> with = as_each_type(hyphenated(text.substr(from, 32)));
          if (!with) continue;
          if (!with->empty() && with->front() != '[') std::erase(*with, '-');  // as written
          text.replace(from, 32, *with);
          end = from + with->size() + (end - from - 32);
          changed = true;
          break;
        }
      }
      at = end;
    }
    if (place) return Drop("it names where a victim is (" + pointer + ")");
    if (!withhold.empty()) return Drop(withhold);
    if (!changed) return;
    value = text;
    Step(step, pointer);
  }

  // A victim's located-at relationship says where the victim is, more precisely than its
  // sector + country identity: withheld, and so is a location it reaches that is finer than a
  // country or region (a country- or region-level one says no more than the identity's name).
  void VictimPlaces(const std::string& type, const std::string& id) {
    if (!p_.victims || !d_) return;
    auto text_of = [&](std::string_view key) -> std::string_view {
      json::value* v = o_.if_contains(key);
      return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
    };
    if (type == "relationship" && text_of("relationship_type") == "located-at") {
      std::string_view source = text_of("source_ref");
      if (source.rfind("identity--", 0) == 0 && source != p_.node_identity && d_->Find(source)) {
        Drop("it places a victim (a located-at relationship from a victim's identity)");
      }
    } else if (type == "location" && d_->IsVictimPlace(id)) {
      Drop("it is where a victim is (the target of a victim's located-at), finer than a country");
    } else if (type == "location" && d_->IsVictimArea(id)) {
      // The country or region goes (the class identity says as much); a name or description
      // ("Ministry of Water HQ, rue …") would say who.
      for (std::string_view key : {"name", "description"}) {
        if (o_.erase(key)) Step("victim", "/" + std::string(key));
      }
    }
  }

  // A victim's identity → the sector + country identity standing for it (true when replaced).
  // The directory says who is a victim (an identity in a victim role, not every organisation: the
  // sources' own identities stay); without one, every individual and organisation is taken for
  // one (fail closed: nothing here says otherwise).
  bool Victim(const std::string& id) {
    if (!p_.victims || id == p_.node_identity) return false;
    std::optional<VictimFacts> facts;
    if (d_) {
      facts = d_->Find(id);
      if (!facts) return false;
    } else {
      json::value* cls = o_.if_contains("identity_class");
      if (!cls || !cls->is_string()) return false;
      std::string identity_class(cls->as_string());
      if (identity_class != "individual" && identity_class != "organization") return false;
      facts.emplace();
      facts->identity_class = identity_class;
      auto strings = [&](std::string_view key, std::vector<std::string>* out) {
        if (json::value* v = o_.if_contains(key); v && v->is_array()) {
          for (const json::value& e : v->as_array()) {
            if (e.is_string()) out->emplace_back(e.as_string());
          }
        }
        std::sort(out->begin(), out->end());
        out->erase(std::unique(out->begin(), out->end()), out->end());
      };
      strings("sectors", &facts->sectors);
      strings("object_marking_refs", &facts->markings);
    }
    o_ = json::parse(s_.ClassIdentity(*facts)).as_object();
    Step("victim", "");
    return true;
  }

  void Source(std::string_view type, std::string_view id) {
    if (!p_.pseudonymise_sources) return;
    // An identity other than a class of them (a victim's has become one) and the node's own
    // names a source, or a party that may be one: released, it would tell the partner whom
    // the rewritten created_by_ref no longer names.
    if (type == "identity" && id != p_.node_identity) {
      json::value* cls = o_.if_contains("identity_class");
      if (!cls || !cls->is_string() || cls->as_string() != "class") {
        Drop("it is an organisation's or individual's identity, and pseudonymise_sources "
             "releases no source's identity");
        return;
      }
    }
    json::value* by = o_.if_contains("created_by_ref");
    if (by && by->is_string() && by->as_string() != p_.node_identity) {
      *by = p_.node_identity;
      Step("source", "/created_by_ref");
    }
  }

 private:
  const Sanitizer& s_;
  const SanitizeProfile& p_;
  const VictimDirectory* d_;
  json::object& o_;
  Sanitized& out_;
  std::string author_;          // the object's created_by_ref, when Refs runs
  bool author_victim_ = false;  // Refs mapped a reference to the author as a victim
};

// One microsecond later than `modified` (six fractional digits): a version no producer writing
// milliseconds (nearly all) can have made, so the sanitized copy never shares its (id, modified)
// with a real later version — as one millisecond later did with the next version of a tool that
// steps `modified` by 1 ms — and it stays before every later version.
std::optional<std::string> NextVersion(std::string_view modified) {
  Result<Timestamp> t = Timestamp::Parse(modified);
  if (!t.ok()) return std::nullopt;
  return Timestamp(t->micros() + kSanitizedVersionStepMicros).ToString();
}

// Sector + country identities: their version is fixed (they are generated, the same for every
// victim they stand for). A change to what they say
// must change kClassIdentityVersion too, or receivers would see one version with two texts.
constexpr char kClassIdentityVersion[] = "2020-01-01T00:00:00.000Z";

// "energy" / "energy and finance" / "defense, energy and finance".
std::string Enumerate(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " and " : ", ";
    out += items[i];
  }
  return out;
}

bool IsDomainName(std::string_view d) {
  if (d.empty() || d.size() > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i <= d.size(); ++i) {
    if (i == d.size() || d[i] == '.') {
      if (label == 0 || label > 63 || d[i - 1] == '-' || d[i - label] == '-') return false;
      label = 0;
    } else if (std::isalnum(static_cast<unsigned char>(d[i])) || d[i] == '-') {
      ++label;
    } else {
      return false;
    }
  }
  return true;
}

// "Example.GOV." and ".example.gov" are "example.gov".
std::string NormalDomain(std::string_view d) {
  std::string out = Lower(d);
  while (!out.empty() && out.back() == '.') out.pop_back();
  while (!out.empty() && out.front() == '.') out.erase(0, 1);
  return out;
}

}  // namespace

Status CheckProfile(const SanitizeProfile& p) {
  if (!p.victim_domains.empty() && !p.pseudonymise) {
    return InvalidArgument("profile '" + p.name + "': victim_domains needs pseudonymise = true "
                           "(victims' host names become keyed pseudonyms under the community's "
                           "key)");
  }
  if (Status domains = CheckVictimDomains(p.victim_domains); !domains.ok()) {
    return InvalidArgument("profile '" + p.name + "': victim_domains: " + domains.message());
  }
  if (p.pseudonymise && p.key.size() < 16) {
    return InvalidArgument("profile '" + p.name + "': pseudonymise needs a key of 16 characters or "
                           "more (the community's secret)");
  }
  if (p.pseudonymise_sources && p.node_identity.rfind("identity--", 0) != 0) {
    return InvalidArgument("profile '" + p.name + "': pseudonymising sources needs the node's "
                           "identity ([node] identity = \"identity--…\")");
  }
  return Status::Ok();
}

Status CheckVictimDomains(const std::vector<std::string>& domains) {
  for (const std::string& d : domains) {
    if (!IsDomainName(NormalDomain(d))) {
      return InvalidArgument("'" + d + "' is not a domain name (write e.g. \"ministry.example\")");
    }
  }
  return Status::Ok();
}

Sanitizer::Sanitizer(SanitizeProfile profile) : profile_(std::move(profile)) {
  for (std::string& d : profile_.victim_domains) d = NormalDomain(d);
}

bool Sanitizer::IsVictimHost(std::string_view host) const {
  if (profile_.victim_domains.empty()) return false;
  std::string h = NormalDomain(host);
  for (const std::string& d : profile_.victim_domains) {
    if (h == d || (h.size() > d.size() && h.ends_with(d) && h[h.size() - d.size() - 1] == '.')) {
      return true;
    }
  }
  return false;
}

// As e-mail pseudonyms are made (HMAC-SHA-256 under the community's key of the lower-cased
// value, 64 bits), with an "h-" prefix and a reserved TLD (RFC 2606), so it is a valid host name
// that resolves nowhere.
std::string Sanitizer::HostPseudonym(std::string_view host) const {
  return "h-" + Hmac(profile_.key, NormalDomain(host)) + ".pseudonym.invalid";
}

namespace {

// The facts as a class identity may carry them: sectors only from STIX's industry-sector-ov. The
// vocabulary is open, and a sector written for one victim ("acme-nuclear-boxberg") would make a
// class of one, whose name and id then stand for the victim.
VictimFacts VocabularySectors(const VictimFacts& facts) {
  static const stix::Vocabulary* sectors = stix::FindVocabulary("industry-sector-ov");
  VictimFacts f = facts;
  f.sectors.clear();
  for (const std::string& sector : facts.sectors) {
    std::string lower = Lower(sector);
    if (sectors && sectors->Contains(lower)) f.sectors.push_back(std::move(lower));
  }
  std::sort(f.sectors.begin(), f.sectors.end());
  f.sectors.erase(std::unique(f.sectors.begin(), f.sectors.end()), f.sectors.end());
  return f;
}

}  // namespace

std::string Sanitizer::StatementId(std::string_view original_id) const {
  const std::string secret =
      profile_.key.empty() ? "ctihub profile " + profile_.name : profile_.key;
  const std::array<unsigned char, 32> mac =
      HmacBytes(secret, "ctihub sanitized statement\n" + LowerAscii(original_id));
  std::array<uint8_t, 16> bytes;
  std::copy_n(mac.begin(), 16, bytes.begin());
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0F) | 0x40);
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3F) | 0x80);
  return "marking-definition--" + Uuid(bytes).ToString();
}

std::string Sanitizer::ClassIdentityId(const VictimFacts& facts) const {
  const VictimFacts f = VocabularySectors(facts);
  // Under the community's key: partners of one community see one id for "energy, DE", those of
  // another a different one; nothing of the victim's own id or name goes in.
  std::string material = "ctihub victim class\n" + f.identity_class + "\n";
  for (const auto* list : {&f.sectors, &f.countries, &f.markings}) {
    for (const std::string& item : *list) material += item + "\x1f";
    material += "\n";
  }
  // A version 4 layout (STIX 2.1 §2.9 wants v4 for SDOs; strict validators warn on v5) over
  // keyed HMAC bytes: deterministic here, indistinguishable from random without the key.
  const std::string secret = profile_.key.empty() ? "ctihub profile " + profile_.name : profile_.key;
  const std::array<unsigned char, 32> mac = HmacBytes(secret, material);
  std::array<uint8_t, 16> bytes;
  std::copy_n(mac.begin(), 16, bytes.begin());
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0F) | 0x40);
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3F) | 0x80);
  return "identity--" + Uuid(bytes).ToString();
}

std::string Sanitizer::ClassIdentity(const VictimFacts& facts) const {
  const VictimFacts f = VocabularySectors(facts);
  // Organisations and individuals are most victims; a victim of another class (a group, a
  // system, one whose class is unknown) is named for what is known.
  std::string name = f.identity_class == "individual"     ? "Individuals"
                     : f.identity_class == "organization" ? "Organisations"
                     : f.identity_class == "group"        ? "Groups"
                     : f.identity_class == "system"       ? "Systems"
                                                          : "Entities";
  if (f.sectors.empty()) {
    name += " of an unknown sector";
  } else {
    name += " in the " + Enumerate(f.sectors) + (f.sectors.size() == 1 ? " sector" : " sectors");
  }
  name += ", " + (f.countries.empty() ? std::string("country unknown") : Enumerate(f.countries));
  json::object o;
  o["type"] = "identity";
  o["spec_version"] = "2.1";
  o["id"] = ClassIdentityId(f);
  o["created"] = kClassIdentityVersion;
  o["modified"] = kClassIdentityVersion;
  o["name"] = name;
  o["identity_class"] = "class";
  if (!f.sectors.empty()) o["sectors"] = json::value_from(f.sectors);
  if (profile_.node_identity.rfind("identity--", 0) == 0) {
    o["created_by_ref"] = profile_.node_identity;
  }
  if (!f.markings.empty()) o["object_marking_refs"] = json::value_from(f.markings);
  return json::serialize(o);
}

Sanitized Sanitizer::Apply(std::string_view object_json, const VictimDirectory* victims) const {
  Sanitized out;
  json::error_code ec;
  json::value root = json::parse(object_json, ec);
  if (ec || !root.is_object()) {
    out.dropped = true;
    out.reason = "not a JSON object";
    return out;
  }
  json::object& o = root.as_object();
  auto text_of = [&](std::string_view key) {
    json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  const std::string type = text_of("type"), id = text_of("id");
  const bool sco = stix::IsStixScoType(type);
  Run run(*this, victims, o, out);
  // A victim identity is replaced whole by a generated one: nothing else applies to it.
  const bool replaced = !sco && type == "identity" && run.Victim(id);
  if (sco) {
    run.Observable(type);
    if (!out.dropped) run.Refs();
  } else if (replaced) {
    run.Refs();  // its markings: a scrubbed statement's new id
  } else {
    run.Pattern();
    if (!out.dropped) run.VictimPlaces(type, id);
    if (!out.dropped) run.Refs();
    if (!out.dropped) run.Source(type, id);
  }
  if (!out.dropped && !replaced) {
    run.Text(sco);
    run.TextLists();
    run.Custom(type, sco);
    if (type == "observed-data") run.Embedded();
    if (type == "marking-definition") run.Statement();
    if (type == "language-content") run.LanguageContent();
  }
  out.id = id;
  if (replaced) {
    out.id = std::string(o["id"].as_string());
    out.steps.push_back({"new-id", "/id"});
  }
  if (out.dropped || !out.changed) {
    out.text = out.dropped ? "" : std::string(object_json);
    return out;
  }
  if (sco) {
    // An SCO is named by its content (§2.9): new content, new id.
    std::string draft = json::serialize(root);
    simdjson::dom::parser parser;
    simdjson::dom::element element;
    if (parser.parse(draft).get(element) == simdjson::SUCCESS) {
      Result<std::optional<std::string>> new_id = stix::ComputeScoId(element);
      if (new_id.ok() && *new_id && **new_id != id) {
        o["id"] = **new_id;
        out.id = **new_id;
        out.steps.push_back({"new-id", "/id"});
      }
    }
  } else if (type == "marking-definition") {
    // Marking-definitions are immutable (no `modified`): one whose text was scrubbed goes out
    // under a new id, keyed like a victim's class identity (deterministic for the community,
    // nothing of the original id readable), and references to it follow (ReferencedText). A
    // rewritten created_by_ref alone (pseudonymise_sources) keeps the id: TLP definitions must
    // stay recognisable.
    const bool text_changed = std::any_of(out.steps.begin(), out.steps.end(),
                                          [](const Step& s) { return s.id != "source"; });
    if (text_changed) {
      out.id = StatementId(id);
      o["id"] = out.id;
      out.steps.push_back({"new-id", "/id"});
    }
  } else if (json::value* m = o.if_contains("modified"); !replaced && m && m->is_string()) {
    if (std::optional<std::string> next = NextVersion(std::string_view(m->as_string()))) {
      *m = *next;
      out.steps.push_back({"new-version", "/modified"});
    }
  }
  out.text = json::serialize(root);
  thread_local stix::Validator validator;
  stix::RawObject raw;
  raw.text = out.text;
  std::string first_error;
  if (validator.ValidateObject(raw, [&](const stix::Finding& f) {
        if (f.severity == stix::Severity::kError && first_error.empty()) {
          first_error = f.message + " [" + f.rule + "]";
        }
      }) > 0) {
    out.dropped = true;
    out.reason = "sanitized, it would not be valid STIX: " + first_error;
    out.text.clear();
  }
  return out;
}

}  // namespace ctihub::sanitize
