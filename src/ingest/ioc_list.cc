#include "ingest/ioc_list.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <tuple>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/time.h"
#include "common/utf8.h"
#include "common/uuid.h"
#include "stix/canonical_json.h"

namespace ctihub::ingest {
namespace {

// A value longer than this is no indicator anyone wrote by hand; URLs in the wild stay far below.
constexpr size_t kMaxValueBytes = 8192;
// Layout detection reads at most this much of the text and this many records.
constexpr size_t kSampleBytes = size_t{1} << 20;
constexpr size_t kSniffBytes = size_t{64} << 10;
constexpr size_t kSampleRecords = 200;
// A record with more fields is garbage; the rest of its fields are ignored.
constexpr size_t kMaxFields = 4096;
constexpr size_t kNameValueBytes = 100;
constexpr size_t kMaxDescriptionBytes = 2048;
constexpr size_t kMaxLabelBytes = 128;
constexpr int64_t kMaxValidForSeconds = int64_t{100} * 366 * 24 * 3600;
constexpr int64_t kMicrosPerSecond = 1000000;
// 9999-12-31T23:59:59.999Z: the last instant a STIX timestamp (4-digit year) can name.
constexpr int64_t kMaxTimestampMicros = int64_t{253402300799999000};

// ---------------------------------------------------------------------------------------------
// Characters and strings

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}
char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

std::string_view Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && IsSpace(s[b])) ++b;
  while (e > b && IsSpace(s[e - 1])) --e;
  return s.substr(b, e - b);
}

bool IsQuote(char c) { return c == '"' || c == '\'' || c == '`'; }

std::string_view TrimQuotesAndSpace(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (IsSpace(s[b]) || IsQuote(s[b]))) ++b;
  while (e > b && (IsSpace(s[e - 1]) || IsQuote(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (Lower(s[i]) != Lower(prefix[i])) return false;
  }
  return true;
}

bool AllOf(std::string_view s, bool (*pred)(char)) { return std::all_of(s.begin(), s.end(), pred); }

std::string_view StripBom(std::string_view text) {
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  return text;
}

bool IsLoneCr(std::string_view s, size_t i) {
  return s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n');
}

// `text` with each CR that is no part of a CRLF made a LF (classic Mac OS line ends, and some
// exporters still write them), or nullopt when it has none: the readers split lines at LF only.
std::optional<std::string> LoneCrAsLf(std::string_view text) {
  size_t i = text.find('\r');
  while (i != std::string_view::npos && !IsLoneCr(text, i)) i = text.find('\r', i + 1);
  if (i == std::string_view::npos) return std::nullopt;
  std::string out(text);
  for (; i < out.size(); ++i) {
    if (IsLoneCr(out, i)) out[i] = '\n';
  }
  return out;
}

// The first `limit` bytes of `text`, cut after the last complete line when the text is longer.
std::string_view Sample(std::string_view text, size_t limit) {
  if (text.size() <= limit) return text;
  std::string_view head = text.substr(0, limit);
  size_t nl = head.rfind('\n');
  return nl == std::string_view::npos ? head : head.substr(0, nl + 1);
}

bool HasControlOrSpace(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7F;
  });
}

bool HasNonAscii(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// `s` cut to at most `max` bytes without splitting a UTF-8 sequence.
std::string_view CutUtf8(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

// Free text from the list (comments, tags) made safe for JSON output: invalid UTF-8 becomes
// U+FFFD, control characters become spaces, the result is trimmed and cut to `max` bytes.
std::string CleanText(std::string_view s, size_t max) {
  std::string out;
  out.reserve(std::min(s.size(), max));
  for (size_t i = 0; i < s.size() && out.size() < max;) {
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    auto u = static_cast<unsigned char>(s[i]);
    if (n == 1 && (u < 0x20 || u == 0x7F)) {
      out += ' ';
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return std::string(CutUtf8(Trim(out), max));
}

// Parses 1-5 decimal digits as a port 1..65535.
std::optional<int> ParsePort(std::string_view s) {
  if (s.empty() || s.size() > 5 || !AllOf(s, IsDigit)) return std::nullopt;
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  if (v < 1 || v > 65535) return std::nullopt;
  return v;
}

// ---------------------------------------------------------------------------------------------
// IP addresses

// Strict dotted quad: four decimal octets 0-255, no leading zeros (inet_aton reads "010" as
// octal 8, so such values are ambiguous).
bool ParseIpv4(std::string_view s, uint32_t* out) {
  uint32_t addr = 0;
  int parts = 0;
  size_t i = 0;
  while (true) {
    size_t start = i;
    uint32_t octet = 0;
    while (i < s.size() && IsDigit(s[i]) && i - start < 4) {
      octet = octet * 10 + static_cast<uint32_t>(s[i] - '0');
      ++i;
    }
    size_t len = i - start;
    if (len == 0 || len > 3 || octet > 255 || (len > 1 && s[start] == '0')) return false;
    addr = (addr << 8) | octet;
    ++parts;
    if (i == s.size()) break;
    if (s[i] != '.' || parts == 4) return false;
    ++i;
  }
  if (parts != 4) return false;
  *out = addr;
  return true;
}

std::string FormatIpv4(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xFF) + "." +
         std::to_string((a >> 8) & 0xFF) + "." + std::to_string(a & 0xFF);
}

using Ipv6Bytes = std::array<uint8_t, 16>;

bool ParseIpv6(std::string_view s, Ipv6Bytes* out) {
  char buf[64];
  if (s.empty() || s.size() >= sizeof(buf)) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  return inet_pton(AF_INET6, buf, out->data()) == 1;
}

// RFC 5952 text (lower case, longest zero run compressed), as glibc's inet_ntop writes it.
std::string FormatIpv6(const Ipv6Bytes& a) {
  char buf[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, a.data(), buf, sizeof(buf)) == nullptr) return {};
  return buf;
}

bool InIpv4Net(uint32_t a, uint32_t net, int prefix) {
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  return (a & mask) == net;
}

// Unspecified (0/8), loopback, multicast, class E (240/4, reserved by RFC 1112 and never
// routed) and limited broadcast: never the address of a threat.
bool IsReservedIpv4(uint32_t a) {
  return InIpv4Net(a, 0x00000000, 8) || InIpv4Net(a, 0x7F000000, 8) ||
         InIpv4Net(a, 0xE0000000, 4) || InIpv4Net(a, 0xF0000000, 4);
}

// A CIDR this broad would match a large part of all traffic: in a list it is a mistake
// ("128.0.0.0/1"), not an indicator. The bounds of the sensor exports (sensors/sensor_lists.cc).
constexpr int kMinIpv4Prefix = 8;
constexpr int kMinIpv6Prefix = 16;

// RFC 1918, RFC 6598 shared space, RFC 3927 link-local.
bool IsPrivateIpv4(uint32_t a) {
  return InIpv4Net(a, 0x0A000000, 8) || InIpv4Net(a, 0xAC100000, 12) ||
         InIpv4Net(a, 0xC0A80000, 16) || InIpv4Net(a, 0x64400000, 10) ||
         InIpv4Net(a, 0xA9FE0000, 16);
}

bool IsReservedIpv6(const Ipv6Bytes& a) {
  bool zero_prefix = std::all_of(a.begin(), a.begin() + 15, [](uint8_t b) { return b == 0; });
  return (zero_prefix && (a[15] == 0 || a[15] == 1)) || a[0] == 0xFF;  // ::, ::1, ff00::/8
}

bool IsPrivateIpv6(const Ipv6Bytes& a) {
  return (a[0] & 0xFE) == 0xFC || (a[0] == 0xFE && (a[1] & 0xC0) == 0x80);  // fc00::/7, fe80::/10
}

// Clears the bits past `prefix`; true when any were set.
bool MaskIpv6(Ipv6Bytes* a, int prefix) {
  bool changed = false;
  for (int i = 0; i < 16; ++i) {
    int keep = std::clamp(prefix - i * 8, 0, 8);
    auto mask = static_cast<uint8_t>(keep == 0 ? 0 : 0xFF << (8 - keep));
    if (((*a)[i] & ~mask) != 0) changed = true;
    (*a)[i] &= mask;
  }
  return changed;
}

std::optional<int> ParsePrefix(std::string_view s, int max) {
  if (s.empty() || s.size() > 3 || !AllOf(s, IsDigit) || (s.size() > 1 && s[0] == '0')) {
    return std::nullopt;
  }
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  if (v > max) return std::nullopt;
  return v;
}

// ---------------------------------------------------------------------------------------------
// Domains, emails, URLs

// File extensions that are not delegated TLDs (checked against MISP's tlds warninglist), so a
// bare "invoice.exe" or "index.php" is a file name, not a host. Sorted for binary search.
constexpr std::string_view kFileExtensions[] = {
    "apk",   "asp",  "aspx", "avi",   "bak", "bat",    "bin", "bmp", "bz2",  "cfg",  "cgi",  "chm",
    "class", "cmd",  "conf", "cpl",   "css", "csv",    "dat", "db",  "dll",  "dmg",  "doc",  "docm",
    "docx",  "dotm", "drv",  "dylib", "ear", "elf",    "eml", "exe", "gif",  "gz",   "hlp",  "hta",
    "htm",   "html", "ico",  "img",   "inf", "ini",    "ipa", "iso", "jar",  "jpeg", "jpg",  "js",
    "jse",   "json", "jsp",  "lnk",   "log", "mp3",    "mp4", "msg", "msi",  "msp",  "mst",  "ocx",
    "odp",   "ods",  "odt",  "old",   "pdf", "php",    "pif", "png", "ppam", "ppt",  "pptm", "pptx",
    "rar",   "reg",  "rtf",  "scr",   "sql", "sqlite", "svg", "sys", "tar",  "tgz",  "tmp",  "txt",
    "vbe",   "vbs",  "vhd",  "vhdx",  "war", "wav",    "wsf", "wsh", "xla",  "xlam", "xll",  "xls",
    "xlsb",  "xlsm", "xlsx", "xml",   "xz",
};

bool IsFileExtension(std::string_view tld) {
  return std::binary_search(std::begin(kFileExtensions), std::end(kFileExtensions), tld);
}

bool IsLabelChar(char c) { return IsAlpha(c) || IsDigit(c) || c == '-' || c == '_'; }

// Validates a domain name and returns it lower-cased without a trailing dot; nullopt when it is
// not one (see DetectIocType for the rules).
std::optional<std::string> NormaliseDomain(std::string_view s, bool allow_file_extension) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  if (s.empty() || s.size() > 253) return std::nullopt;
  std::string d = ToLower(s);
  size_t labels = 0;
  std::string_view last;
  for (size_t start = 0; start <= d.size();) {
    size_t dot = d.find('.', start);
    if (dot == std::string::npos) dot = d.size();
    std::string_view label(d.data() + start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
        !AllOf(label, IsLabelChar)) {
      return std::nullopt;
    }
    ++labels;
    last = label;
    start = dot + 1;
  }
  if (labels < 2) return std::nullopt;
  bool punycode =
      last.size() > 4 && last.substr(0, 4) == "xn--" && last.find('_') == std::string_view::npos;
  if (!punycode && (last.size() < 2 || !AllOf(last, IsAlpha))) return std::nullopt;
  if (!allow_file_extension && IsFileExtension(last)) return std::nullopt;
  return d;
}

bool IsAtomChar(char c) {
  return IsAlpha(c) || IsDigit(c) || std::strchr("!#$%&'*+/=?^_`{|}~-", c) != nullptr;
}

// local@domain with a dot-atom local part (RFC 5322 §3.4.1, no quoted strings or comments);
// returns the value with the domain lower-cased.
std::optional<std::string> NormaliseEmail(std::string_view s) {
  size_t at = s.find('@');
  if (at == std::string_view::npos || s.find('@', at + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view local = s.substr(0, at);
  if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string_view::npos) {
    return std::nullopt;
  }
  for (char c : local) {
    if (c != '.' && !IsAtomChar(c)) return std::nullopt;
  }
  std::optional<std::string> domain = NormaliseDomain(s.substr(at + 1), true);
  if (!domain) return std::nullopt;
  return std::string(local) + "@" + *domain;
}

bool IsSchemeChar(char c) { return IsAlpha(c) || IsDigit(c) || c == '+' || c == '-' || c == '.'; }

// "scheme://authority…" (RFC 3986 §3) with a non-empty authority.
bool IsSchemeUrl(std::string_view s) {
  size_t sep = s.find("://");
  if (sep == std::string_view::npos || sep == 0 || !IsAlpha(s[0])) return false;
  if (!AllOf(s.substr(0, sep), IsSchemeChar)) return false;
  std::string_view rest = s.substr(sep + 3);
  return !rest.empty() && rest[0] != '/' && rest[0] != '?' && rest[0] != '#';
}

// "host[:port]/…" without a scheme, where host is a domain, a dotted quad or [IPv6].
bool IsSchemelessUrl(std::string_view s) {
  size_t slash = s.find('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  std::string_view host = s.substr(0, slash);
  if (host.front() == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view after = host.substr(close + 1);
    if (!after.empty() && (after[0] != ':' || !ParsePort(after.substr(1)))) return false;
    Ipv6Bytes a;
    return ParseIpv6(host.substr(1, close - 1), &a);
  }
  size_t colon = host.rfind(':');
  if (colon != std::string_view::npos) {
    if (!ParsePort(host.substr(colon + 1))) return false;
    host = host.substr(0, colon);
  }
  uint32_t v4;
  return ParseIpv4(host, &v4) || NormaliseDomain(host, false).has_value();
}

bool IsBase64Char(char c) { return IsAlpha(c) || IsDigit(c) || c == '+' || c == '/'; }

// An ssdeep hash as ssdeep prints it: "<block size>:<hash>:<hash>", the block size 3·2^k, each
// hash of base64 characters; ssdeep's output adds ,"<file name>", which is dropped. Returns the
// hash, or nullopt. Within the pattern grammar's 128 bytes (pattern/parser.cc).
std::optional<std::string_view> SsdeepHash(std::string_view s) {
  if (size_t comma = s.find(','); comma != std::string_view::npos) {
    // ssdeep's own output quotes the name; a value read from a list has had its trailing quote
    // trimmed already (Refang), so the closing one may be gone.
    std::string_view name = s.substr(comma + 1);
    if (name.size() < 2 || name.front() != '"') return std::nullopt;
    s = s.substr(0, comma);
  }
  const size_t c1 = s.find(':');
  const size_t c2 = c1 == std::string_view::npos ? c1 : s.find(':', c1 + 1);
  if (c2 == std::string_view::npos || s.size() > 128) return std::nullopt;
  std::string_view block = s.substr(0, c1), h1 = s.substr(c1 + 1, c2 - c1 - 1),
                   h2 = s.substr(c2 + 1);
  if (block.empty() || block.size() > 10 || block[0] == '0' || !AllOf(block, IsDigit)) {
    return std::nullopt;
  }
  uint64_t size = 0;
  for (char c : block) size = size * 10 + static_cast<uint64_t>(c - '0');
  if (size % 3 != 0 || ((size / 3) & (size / 3 - 1)) != 0) return std::nullopt;
  if (h1.size() > 64 || h2.size() > 64 || !AllOf(h1, IsBase64Char) || !AllOf(h2, IsBase64Char)) {
    return std::nullopt;
  }
  // Only an empty input hashes to an empty first part ("3::"); and all digits is a time of day
  // ("12:30:45") far more often than a hash.
  if (h1.empty() && !h2.empty()) return std::nullopt;
  if (!h1.empty() && AllOf(h1, IsDigit) && AllOf(h2, IsDigit)) return std::nullopt;
  return s;
}

bool IsHashLength(size_t n) { return n == 32 || n == 40 || n == 64 || n == 128; }

IocType HashType(size_t n) {
  switch (n) {
    case 32:
      return IocType::kMd5;
    case 40:
      return IocType::kSha1;
    case 64:
      return IocType::kSha256;
    default:
      return IocType::kSha512;
  }
}

// ---------------------------------------------------------------------------------------------
// Classification

struct Classified {
  IocType type = IocType::kAuto;  // a concrete type, or kAuto with `skip` set
  std::string value;              // normalised, without the port
  int port = 0;                   // 0 = none
  std::string_view skip = "unrecognized";
  bool reserved = false;
  bool private_ip = false;
  bool cidr_normalised = false;
  bool ipv4_mapped = false;  // written ::ffff:a.b.c.d, taken as the IPv4 address (or CIDR)
};

Classified Skip(std::string_view reason) {
  Classified c;
  c.skip = reason;
  return c;
}

Classified ClassifyIpv4(std::string_view s) {
  Classified c;
  size_t slash = s.find('/');
  size_t colon = s.find(':');
  std::string_view addr_text = s.substr(0, std::min(slash, colon));
  uint32_t a;
  if (!ParseIpv4(addr_text, &a)) return Skip("invalid_ip");
  if (slash != std::string_view::npos) {
    std::optional<int> prefix = ParsePrefix(s.substr(slash + 1), 32);
    if (!prefix) return Skip("invalid_ip");
    if (*prefix < kMinIpv4Prefix) return Skip("too_broad");
    uint32_t mask = *prefix == 0 ? 0 : ~uint32_t{0} << (32 - *prefix);
    c.cidr_normalised = (a & ~mask) != 0;
    a &= mask;
    c.type = IocType::kIpv4Cidr;
    c.value = FormatIpv4(a) + "/" + std::to_string(*prefix);
  } else {
    if (colon != std::string_view::npos) {
      std::optional<int> port = ParsePort(s.substr(colon + 1));
      if (!port) return Skip("unrecognized");
      c.port = *port;
    }
    c.type = IocType::kIpv4;
    c.value = std::string(addr_text);
  }
  c.reserved = IsReservedIpv4(a);
  c.private_ip = !c.reserved && IsPrivateIpv4(a);
  return c;
}

// `s` is an IPv6 address, "[addr]", "[addr]:port" or "addr/prefix".
Classified ClassifyIpv6(std::string_view s) {
  Classified c;
  std::string_view addr_text = s;
  std::optional<int> prefix;
  if (s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return Skip("unrecognized");
    addr_text = s.substr(1, close - 1);
    std::string_view after = s.substr(close + 1);
    if (!after.empty()) {
      std::optional<int> port = after[0] == ':' ? ParsePort(after.substr(1)) : std::nullopt;
      if (!port) return Skip("unrecognized");
      c.port = *port;
    }
  } else if (size_t slash = s.find('/'); slash != std::string_view::npos) {
    addr_text = s.substr(0, slash);
    prefix = ParsePrefix(s.substr(slash + 1), 128);
    if (!prefix) return Skip("invalid_ip");
    if (*prefix < kMinIpv6Prefix) return Skip("too_broad");
  }
  Ipv6Bytes a;
  if (!ParseIpv6(addr_text, &a)) return Skip("invalid_ip");
  // ::ffff:0:0/96 (RFC 4291 §2.5.5.2) is IPv4 written as IPv6: what sensors log, and what the
  // reserved and private rules must see, is the IPv4 address.
  constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  if (std::equal(std::begin(kMappedPrefix), std::end(kMappedPrefix), a.begin()) &&
      (!prefix || *prefix >= 96)) {
    const uint32_t v4 = (uint32_t{a[12]} << 24) | (uint32_t{a[13]} << 16) | (uint32_t{a[14]} << 8) |
                        uint32_t{a[15]};
    Classified m =
        ClassifyIpv4(prefix ? FormatIpv4(v4) + "/" + std::to_string(*prefix - 96) : FormatIpv4(v4));
    m.port = c.port;
    m.ipv4_mapped = true;
    return m;
  }
  if (prefix) {
    c.cidr_normalised = MaskIpv6(&a, *prefix);
    c.type = IocType::kIpv6Cidr;
    c.value = FormatIpv6(a) + "/" + std::to_string(*prefix);
  } else {
    c.type = IocType::kIpv6;
    c.value = FormatIpv6(a);
  }
  c.reserved = IsReservedIpv6(a);
  c.private_ip = !c.reserved && IsPrivateIpv6(a);
  return c;
}

bool IsIpv4Char(char c) { return IsDigit(c) || c == '.' || c == '/' || c == ':'; }
bool IsIpv6Char(char c) { return IsHex(c) || c == ':' || c == '.' || c == '/'; }

// Classifies a refanged value. `forced` only relaxes rules that exist to avoid false positives:
// --type domain accepts names whose TLD looks like a file extension.
Classified Classify(std::string_view raw, IocType forced) {
  std::string_view s = Trim(raw);
  if (s.empty()) return Skip("empty");
  if (s.size() > kMaxValueBytes) return Skip("too_long");
  if (!IsValidUtf8(s)) return Skip("invalid_utf8");
  if (forced == IocType::kFileName) {
    // A name, not a path: "C:\x\a.exe" or "/tmp/a" would never equal file:name.
    bool control = std::any_of(s.begin(), s.end(), [](char c) {
      auto u = static_cast<unsigned char>(c);
      return u < 0x20 || u == 0x7F;
    });
    if (control || s.find_first_of("/\\") != std::string_view::npos) return Skip("type_mismatch");
    Classified c;
    c.type = IocType::kFileName;
    c.value = std::string(s);
    return c;
  }
  if (HasControlOrSpace(s)) return Skip("unrecognized");
  Classified c;
  if (s.find("://") != std::string_view::npos) {
    std::optional<std::string> url = IsSchemeUrl(s) ? NormaliseUrl(s) : std::nullopt;
    if (!url) return Skip("unrecognized");
    c.type = IocType::kUrl;
    c.value = std::move(*url);
    return c;
  }
  // Beyond URLs only ASCII: internationalised names must come as punycode.
  if (HasNonAscii(s)) return Skip("unrecognized");
  // Before the address rules: "3::" (the ssdeep of empty input) is also an IPv6 address, but one
  // outside the global unicast space 2000::/3 that no list means.
  if (std::optional<std::string_view> ssdeep = SsdeepHash(s)) {
    Ipv6Bytes a;
    if (!ParseIpv6(s, &a) || (a[0] & 0xE0) != 0x20) {
      c.type = IocType::kSsdeep;
      c.value = std::string(*ssdeep);
      return c;
    }
  }
  const size_t slash = s.find('/');
  const bool has_slash = slash != std::string_view::npos;
  if (s.find('@') != std::string_view::npos && !has_slash) {
    std::optional<std::string> email = NormaliseEmail(s);
    if (!email) return Skip("unrecognized");
    c.type = IocType::kEmail;
    c.value = std::move(*email);
    return c;
  }
  if (s.front() == '[' && !has_slash) return ClassifyIpv6(s);
  // Addresses and CIDRs; "1.2.3.4/admin" or "1.2.3.4:80/x" fall through to the URL rule.
  const bool cidr_suffix = has_slash && slash + 1 < s.size() && AllOf(s.substr(slash + 1), IsDigit);
  if (!has_slash || cidr_suffix) {
    const auto colons = std::count(s.begin(), s.end(), ':');
    if (AllOf(s, IsIpv4Char) && colons <= 1 && !(has_slash && colons == 1) &&
        s.find('.') != std::string_view::npos) {
      return ClassifyIpv4(s);
    }
    if (AllOf(s, IsIpv6Char) && colons >= 2) return ClassifyIpv6(s);
  }
  if (IsHashLength(s.size()) && AllOf(s, IsHex)) {
    c.type = HashType(s.size());
    c.value = ToLower(s);
    return c;
  }
  if (has_slash) {
    std::optional<std::string> url = IsSchemelessUrl(s) ? NormaliseUrl(s) : std::nullopt;
    if (!url) return Skip("unrecognized");
    c.type = IocType::kUrl;
    c.value = std::move(*url);
    return c;
  }
  // "evil.example:443": a host and the destination port, as for an address.
  std::string_view host = s;
  if (size_t colon = s.find(':'); colon != std::string_view::npos) {
    std::optional<int> port = ParsePort(s.substr(colon + 1));
    if (!port) return Skip("unrecognized");
    c.port = *port;
    host = s.substr(0, colon);
  }
  std::optional<std::string> domain = NormaliseDomain(host, forced == IocType::kDomain);
  if (!domain) return Skip("unrecognized");
  c.type = IocType::kDomain;
  c.value = std::move(*domain);
  return c;
}

// True when a value detected as `detected` is acceptable under --type `forced`. The address
// types accept what STIX stores in ipv4-addr / ipv6-addr: single addresses and CIDR blocks.
bool Fits(IocType forced, IocType detected) {
  switch (forced) {
    case IocType::kAuto:
      return true;
    case IocType::kIpv4:
      return detected == IocType::kIpv4 || detected == IocType::kIpv4Cidr;
    case IocType::kIpv6:
      return detected == IocType::kIpv6 || detected == IocType::kIpv6Cidr;
    case IocType::kAnyIp:
      return detected == IocType::kIpv4 || detected == IocType::kIpv4Cidr ||
             detected == IocType::kIpv6 || detected == IocType::kIpv6Cidr;
    case IocType::kAnyCidr:
      return detected == IocType::kIpv4Cidr || detected == IocType::kIpv6Cidr;
    case IocType::kAnyHash:
      return detected == IocType::kMd5 || detected == IocType::kSha1 ||
             detected == IocType::kSha256 || detected == IocType::kSha512 ||
             detected == IocType::kSsdeep;
    default:
      return forced == detected;
  }
}

// Fits for a classified value: an IPv4-mapped IPv6 address also fits --type ipv6.
bool Fits(IocType forced, const Classified& c) {
  if (Fits(forced, c.type)) return true;
  if (!c.ipv4_mapped) return false;
  return Fits(forced, c.type == IocType::kIpv4 ? IocType::kIpv6 : IocType::kIpv6Cidr);
}

// True when the host of a normalised "scheme://[userinfo@]host[:port]/…" URL has a byte past
// ASCII: an internationalised name written in Unicode.
bool UrlHostIsNotAscii(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return false;
  std::string_view host = url.substr(scheme + 3);
  host = host.substr(0, host.find_first_of("/?#"));
  if (size_t at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
  return HasNonAscii(host);
}

// The types a destination port can go with: an address, or a host name (as MISP's
// hostname|port; misp.cc writes the same pattern).
bool TakesPort(IocType t) {
  return t == IocType::kIpv4 || t == IocType::kIpv6 || t == IocType::kDomain;
}

// A token meant as an IOC: it is one (reserved or not), or an address out of range.
bool LooksLikeIoc(std::string_view token) {
  Classified c = Classify(Refang(token), IocType::kAuto);
  return c.type != IocType::kAuto || c.skip == "invalid_ip";
}

// A token read as a URL ("scheme://…", or host/path), even one cut short ("http://exa").
bool LooksLikeUrl(std::string_view token) {
  std::string value = Refang(token);
  return value.find("://") != std::string::npos ||
         Classify(value, IocType::kAuto).type == IocType::kUrl;
}

// ---------------------------------------------------------------------------------------------
// Patterns

// A STIX pattern string literal body: ' and \ escaped (STIX 2.1 §9.3, the only two escapes).
std::string EscapeLiteral(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 4);
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string BuildPattern(const Classified& c) {
  const std::string v = EscapeLiteral(c.value);
  switch (c.type) {
    case IocType::kIpv4:
    case IocType::kIpv6: {
      const char* sco = c.type == IocType::kIpv4 ? "ipv4-addr" : "ipv6-addr";
      if (c.port == 0) return std::string("[") + sco + ":value = '" + v + "']";
      return std::string("[network-traffic:dst_ref.type = '") + sco +
             "' AND network-traffic:dst_ref.value = '" + v +
             "' AND network-traffic:dst_port = " + std::to_string(c.port) + "]";
    }
    case IocType::kIpv4Cidr:
      return "[ipv4-addr:value ISSUBSET '" + v + "']";
    case IocType::kIpv6Cidr:
      return "[ipv6-addr:value ISSUBSET '" + v + "']";
    case IocType::kDomain:
      if (c.port != 0) {
        return "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value "
               "= '" +
               v + "' AND network-traffic:dst_port = " + std::to_string(c.port) + "]";
      }
      return "[domain-name:value = '" + v + "']";
    case IocType::kUrl:
      return "[url:value = '" + v + "']";
    case IocType::kEmail:
      return "[email-addr:value = '" + v + "']";
    case IocType::kMd5:
      return "[file:hashes.MD5 = '" + v + "']";
    case IocType::kSha1:
      return "[file:hashes.'SHA-1' = '" + v + "']";
    case IocType::kSha256:
      return "[file:hashes.'SHA-256' = '" + v + "']";
    case IocType::kSha512:
      return "[file:hashes.'SHA-512' = '" + v + "']";
    case IocType::kSsdeep:
      return "[file:hashes.SSDEEP = '" + v + "']";
    case IocType::kFileName:
      return "[file:name = '" + v + "']";
    default:
      return {};
  }
}

std::string_view DisplayName(IocType t) {
  switch (t) {
    case IocType::kIpv4:
      return "IPv4";
    case IocType::kIpv6:
      return "IPv6";
    case IocType::kIpv4Cidr:
      return "IPv4 CIDR";
    case IocType::kIpv6Cidr:
      return "IPv6 CIDR";
    case IocType::kDomain:
      return "Domain";
    case IocType::kUrl:
      return "URL";
    case IocType::kEmail:
      return "Email";
    case IocType::kMd5:
      return "MD5";
    case IocType::kSha1:
      return "SHA-1";
    case IocType::kSha256:
      return "SHA-256";
    case IocType::kSha512:
      return "SHA-512";
    case IocType::kSsdeep:
      return "SSDEEP";
    case IocType::kFileName:
      return "File name";
    default:
      return "IOC";
  }
}

std::string IndicatorName(const Classified& c) {
  std::string value = c.value;
  if (c.port != 0) {
    value = (c.type == IocType::kIpv6 ? "[" + value + "]" : value) + ":" + std::to_string(c.port);
  }
  std::string name(DisplayName(c.type));
  name += ": ";
  if (value.size() > kNameValueBytes) {
    name += CutUtf8(value, kNameValueBytes - 3);
    name += "...";
  } else {
    name += value;
  }
  return name;
}

// ---------------------------------------------------------------------------------------------
// Timestamps in lists: "2024-02-08 19:20:49", "2024-02-08T19:20:49Z", "2024-02-08", "2024/02/08
// 19:20 UTC", "…+02:00", or Unix seconds / milliseconds.

bool TakeDigits(std::string_view s, size_t* pos, size_t n, std::string* out) {
  if (*pos + n > s.size()) return false;
  for (size_t i = 0; i < n; ++i) {
    if (!IsDigit(s[*pos + i])) return false;
  }
  out->append(s.substr(*pos, n));
  *pos += n;
  return true;
}

std::optional<Timestamp> ParseListTimestamp(std::string_view s) {
  s = TrimQuotesAndSpace(s);
  if (s.empty()) return std::nullopt;
  int64_t micros = 0;
  if (AllOf(s, IsDigit)) {
    if (s.size() < 9 || s.size() > 13 || s.size() == 11) return std::nullopt;
    int64_t v = 0;
    for (char c : s) v = v * 10 + (c - '0');
    micros = s.size() >= 12 ? v * 1000 : v * kMicrosPerSecond;
  } else {
    std::string iso;
    size_t p = 0;
    if (!TakeDigits(s, &p, 4, &iso)) return std::nullopt;
    for (int part = 0; part < 2; ++part) {
      if (p >= s.size() || (s[p] != '-' && s[p] != '/')) return std::nullopt;
      ++p;
      iso += '-';
      if (!TakeDigits(s, &p, 2, &iso)) return std::nullopt;
    }
    iso += 'T';
    if (p < s.size() && (s[p] == 'T' || s[p] == 't' || s[p] == ' ')) {
      ++p;
      if (!TakeDigits(s, &p, 2, &iso) || p >= s.size() || s[p] != ':') return std::nullopt;
      ++p;
      iso += ':';
      if (!TakeDigits(s, &p, 2, &iso)) return std::nullopt;
      iso += ':';
      if (p < s.size() && s[p] == ':') {
        ++p;
        if (!TakeDigits(s, &p, 2, &iso)) return std::nullopt;
      } else {
        iso += "00";
      }
      if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
        ++p;
        iso += '.';
        size_t start = p;
        while (p < s.size() && IsDigit(s[p]) && p - start < 9) iso += s[p++];
        if (p == start) return std::nullopt;
      }
    } else {
      iso += "00:00:00";
    }
    while (p < s.size() && s[p] == ' ') ++p;
    std::string_view zone = s.substr(p);
    int64_t offset_seconds = 0;
    if (!zone.empty() && zone != "Z" && zone != "z" && zone != "UTC" && zone != "GMT") {
      if (zone[0] != '+' && zone[0] != '-') return std::nullopt;
      std::string digits;
      for (char c : zone.substr(1)) {
        if (IsDigit(c)) {
          digits += c;
        } else if (c != ':') {
          return std::nullopt;
        }
      }
      if (digits.size() != 2 && digits.size() != 4) return std::nullopt;
      int hours = (digits[0] - '0') * 10 + (digits[1] - '0');
      int minutes = digits.size() == 4 ? (digits[2] - '0') * 10 + (digits[3] - '0') : 0;
      if (hours > 23 || minutes > 59) return std::nullopt;
      offset_seconds = (hours * 60 + minutes) * 60;
      if (zone[0] == '-') offset_seconds = -offset_seconds;
    }
    iso += 'Z';
    Result<Timestamp> t = Timestamp::Parse(iso);
    if (!t.ok()) return std::nullopt;
    micros = t->micros() - offset_seconds * kMicrosPerSecond;
  }
  // STIX timestamps have four-digit years; anything before the Unix epoch is a typo.
  if (micros < 0 || micros > kMaxTimestampMicros) return std::nullopt;
  return Timestamp(micros);
}

// ---------------------------------------------------------------------------------------------
// Column names

enum class Role { kNone, kValue, kPort, kFirstSeen, kLabel, kTags, kDescription, kConfidence };

// "First Seen (UTC)" -> "first_seen_utc".
std::string NormaliseColumnName(std::string_view s) {
  std::string out;
  for (char c : TrimQuotesAndSpace(s)) {
    if (IsAlpha(c) || IsDigit(c)) {
      out += Lower(c);
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

// IOC column names, most specific first: generic names win over typed ones, and of the typed
// ones the strongest identifier wins (MalwareBazaar rows carry sha256, sha1 and md5).
constexpr std::string_view kValueColumns[] = {
    "ioc",
    "ioc_value",
    "indicator",
    "indicator_value",
    "value",
    "observable",
    "observable_value",
    "url",
    "domain",
    "domain_name",
    "hostname",
    "host",
    "fqdn",
    "dst_ip",
    "ip",
    "ip_address",
    "ipaddress",
    "ip_addr",
    "destination_ip",
    "dstip",
    "ip_dst",
    "src_ip",
    "source_ip",
    "ip_src",
    "ipv4",
    "ipv6",
    "cidr",
    "network",
    "netblock",
    "email",
    "email_address",
    "sha256",
    "sha256_hash",
    "sha_256",
    "sha1",
    "sha1_hash",
    "sha_1",
    "md5",
    "md5_hash",
    "sha512",
    "sha512_hash",
    "hash",
    "file_hash",
    "filehash",
    "filename",
    "file_name",
};

struct NamedRole {
  std::string_view name;
  Role role;
};

constexpr NamedRole kOtherColumns[] = {
    {"dst_port", Role::kPort},
    {"port", Role::kPort},
    {"dport", Role::kPort},
    {"dstport", Role::kPort},
    {"destination_port", Role::kPort},
    {"first_seen", Role::kFirstSeen},
    {"first_seen_utc", Role::kFirstSeen},
    {"firstseen", Role::kFirstSeen},
    {"first_seen_date", Role::kFirstSeen},
    {"dateadded", Role::kFirstSeen},
    {"date_added", Role::kFirstSeen},
    {"date", Role::kFirstSeen},
    {"malware", Role::kLabel},
    {"malware_family", Role::kLabel},
    {"family", Role::kLabel},
    {"malware_printable", Role::kLabel},
    {"threat", Role::kLabel},
    {"threat_type", Role::kLabel},
    {"signature", Role::kLabel},
    {"tags", Role::kTags},
    {"tag", Role::kTags},
    {"labels", Role::kTags},
    {"comment", Role::kDescription},
    {"comments", Role::kDescription},
    {"description", Role::kDescription},
    {"note", Role::kDescription},
    {"notes", Role::kDescription},
    {"confidence", Role::kConfidence},
    {"confidence_level", Role::kConfidence},
};

// Rank of an IOC column name (lower wins), or -1.
int ValueColumnRank(std::string_view normalised) {
  for (size_t i = 0; i < std::size(kValueColumns); ++i) {
    if (kValueColumns[i] == normalised) return static_cast<int>(i);
  }
  return -1;
}

Role OtherColumnRole(std::string_view normalised) {
  for (const NamedRole& r : kOtherColumns) {
    if (r.name == normalised) return r.role;
  }
  return Role::kNone;
}

bool IsKnownColumnName(std::string_view field) {
  std::string n = NormaliseColumnName(field);
  return ValueColumnRank(n) >= 0 || OtherColumnRole(n) != Role::kNone;
}

// ---------------------------------------------------------------------------------------------
// Reading records

bool IsCommentLine(std::string_view trimmed) {
  return !trimmed.empty() && (trimmed[0] == '#' || trimmed.substr(0, 2) == "//");
}

std::string_view StripCommentMarker(std::string_view s) {
  s = Trim(s);
  while (!s.empty() && (s[0] == '#' || s[0] == ';' || s.substr(0, 2) == "//")) {
    s.remove_prefix(s[0] == '/' ? 2 : 1);
    s = Trim(s);
  }
  return s;
}

struct Record {
  std::vector<std::string> fields;
  size_t line = 0;  // 1-based line where the record starts
  bool comment = false;
  std::string_view comment_text;  // without the marker, for comment records
};

// RFC 4180 reader, lenient where real feeds are sloppy: blanks around fields are trimmed, text
// after a closing quote is kept, and a quote that never closes is read as a literal character
// (the field then ends at the line end). Lines starting with '#' or '//' are comment records.
class CsvReader {
 public:
  CsvReader(std::string_view text, char delimiter) : text_(text), delimiter_(delimiter) {}

  // Fills *record with the next record; false at the end of the text.
  bool Next(Record* record) {
    while (pos_ < text_.size()) {
      size_t eol = text_.find('\n', pos_);
      if (eol == std::string_view::npos) eol = text_.size();
      std::string_view line = Trim(text_.substr(pos_, eol - pos_));
      if (line.empty() || IsCommentLine(line)) {
        record->line = line_;
        pos_ = eol + 1;
        ++line_;
        if (line.empty()) continue;
        record->fields.clear();
        record->comment = true;
        record->comment_text = StripCommentMarker(line);
        return true;
      }
      record->comment = false;
      record->line = line_;
      ReadFields(&record->fields);
      return true;
    }
    return false;
  }

 private:
  bool IsBlank(char c) const { return c == ' ' || (c == '\t' && delimiter_ != '\t'); }

  void ReadFields(std::vector<std::string>* fields) {
    fields->clear();
    const size_t n = text_.size();
    size_t p = pos_;
    std::string field;
    while (true) {
      while (p < n && IsBlank(text_[p])) ++p;
      field.clear();
      bool quoted = false;
      if (p < n && text_[p] == '"') {
        // Scanning for the close is linear overall: after one failed scan, every later field
        // that opens with a quote closes within its own run of quotes.
        size_t q = p + 1, lines = 0;
        bool closed = false;
        while (q < n) {
          char c = text_[q];
          if (c == '"') {
            if (q + 1 < n && text_[q + 1] == '"') {
              field += '"';
              q += 2;
              continue;
            }
            closed = true;
            ++q;
            break;
          }
          if (c == '\n') ++lines;
          field += c;
          ++q;
        }
        if (closed) {
          quoted = true;
          p = q;
          line_ += lines;
        } else {
          field.clear();
        }
      }
      size_t start = p;
      while (p < n && text_[p] != delimiter_ && text_[p] != '\n') ++p;
      std::string_view rest = Trim(text_.substr(start, p - start));
      if (quoted) {
        field.append(rest);
      } else {
        field.assign(rest);
      }
      if (fields->size() < kMaxFields) fields->push_back(field);
      if (p >= n) {
        pos_ = n;
        return;
      }
      if (text_[p] == '\n') {
        pos_ = p + 1;
        ++line_;
        return;
      }
      ++p;  // the delimiter
    }
  }

  std::string_view text_;
  char delimiter_;
  size_t pos_ = 0;
  size_t line_ = 1;
};

// Splits off the first whitespace-separated token.
std::pair<std::string_view, std::string_view> SplitToken(std::string_view s) {
  s = Trim(s);
  size_t end = 0;
  while (end < s.size() && !IsSpace(s[end])) ++end;
  return {s.substr(0, end), Trim(s.substr(end))};
}

bool StartsWithCommentMarker(std::string_view s) {
  return !s.empty() && (s[0] == '#' || s[0] == ';' || s.substr(0, 2) == "//");
}

// A URL whose host has no dot and is no address ("http://exa"): followed by more text, it is
// taken for a value cut at a space.
bool UrlHostHasNoDot(std::string_view raw) {
  std::string url = Refang(raw);
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return false;
  std::string_view host = std::string_view(url).substr(scheme + 3);
  host = host.substr(0, host.find_first_of("/?#"));
  if (size_t at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
  if (host.empty() || host.front() == '[') return false;  // an IPv6 literal
  host = host.substr(0, host.find(':'));
  return host.find('.') == std::string_view::npos && host != "localhost";
}

struct PlainLine {
  // One value, or several when the line lists IOCs separated by whitespace ("1.2.3.4 5.6.7.8").
  std::vector<std::string_view> values;
  std::string_view comment;  // the trailing comment, for every value of the line
  // The value is a URL whose host has no dot followed by more text ("http://exa mple.com"): a
  // URL cut at a space, skipped rather than guessed at. The one value spans the rest of the line.
  bool split_url = false;
  // A URL followed by text that is no marked comment: the text became its description.
  bool url_then_text = false;
};

// One line of a plain list (already trimmed, not a comment).
PlainLine ReadPlainLine(std::string_view line, IocType forced) {
  PlainLine out;
  if (forced == IocType::kFileName) {
    out.values.push_back(line);
    return out;
  }
  auto [token, rest] = SplitToken(line);
  // hosts-file blocklists: "0.0.0.0 evil.example.com".
  if ((token == "0.0.0.0" || token == "127.0.0.1") && !rest.empty()) {
    std::tie(token, rest) = SplitToken(rest);
  }
  out.values.push_back(token);
  if (rest.empty() || StartsWithCommentMarker(rest)) {
    out.comment = StripCommentMarker(rest);
    return out;
  }
  // "http://exa mple.com" is a URL cut at a space, not two values.
  if (UrlHostHasNoDot(token)) {
    out.split_url = true;
    out.values[0] = std::string_view(token.data(), line.data() + line.size() - token.data());
    return out;
  }
  // Each IOC that follows is a value of its own (taking the second for a comment on the first
  // would lose it), up to the first token that is none: the rest is the comment.
  while (!rest.empty() && !StartsWithCommentMarker(rest)) {
    auto [next, after] = SplitToken(rest);
    if (!LooksLikeIoc(next)) break;
    out.values.push_back(next);
    rest = after;
  }
  // "http://evil.example/a.exe Emotet payload": most likely a comment, but "…/a b" may be a URL
  // cut at a space. Kept, with the text as its description, and said.
  out.url_then_text = out.values.size() == 1 && !rest.empty() && !StartsWithCommentMarker(rest) &&
                      LooksLikeUrl(token);
  out.comment = StripCommentMarker(rest);
  return out;
}

// The names a hosts file gives its own machine (Linux, macOS, Windows defaults).
bool IsHostsFileName(std::string_view value) {
  static constexpr std::string_view kNames[] = {
      "localhost",     "localhost.localdomain", "broadcasthost", "local",
      "ip6-localhost", "ip6-loopback",          "ip6-localnet",  "ip6-mcastprefix",
      "ip6-allnodes",  "ip6-allrouters",        "ip6-allhosts"};
  return std::find(std::begin(kNames), std::end(kNames), LowerAscii(value)) != std::end(kNames);
}

bool IsPlainCommentLine(std::string_view trimmed) {
  return IsCommentLine(trimmed) || trimmed[0] == ';';
}

// True when `value` (raw, from the list) would become an indicator under `forced`.
bool Yields(std::string_view value, IocType forced) {
  std::string refanged =
      forced == IocType::kFileName ? std::string(TrimQuotesAndSpace(value)) : Refang(value);
  Classified c = Classify(refanged, forced);
  return c.type != IocType::kAuto && Fits(forced, c) && !c.reserved;
}

// ---------------------------------------------------------------------------------------------
// Layout detection

struct Layout {
  bool csv = false;
  char delimiter = ',';
  bool header_in_data = false;  // the first data record is the header row: skip it
  bool plain_header = false;    // plain list whose first value line is a column name
  size_t value_column = 0;
  std::optional<size_t> port_column, first_seen_column, confidence_column;
  std::vector<size_t> label_columns, tag_columns, description_columns;
  // Over the sample, in the chosen mode: value records seen and how many became indicators.
  size_t sampled = 0;
  size_t yielded = 0;
};

struct PlainSample {
  size_t lines = 0;
  size_t yielded = 0;
  bool header = false;
};

PlainSample SamplePlain(std::string_view sample, IocType forced) {
  PlainSample out;
  size_t pos = 0;
  bool first = true;
  while (pos < sample.size() && out.lines < kSampleRecords) {
    size_t eol = sample.find('\n', pos);
    if (eol == std::string_view::npos) eol = sample.size();
    std::string_view line = Trim(sample.substr(pos, eol - pos));
    pos = eol + 1;
    if (line.empty() || IsPlainCommentLine(line)) continue;
    std::string_view value = ReadPlainLine(line, forced).values.front();
    if (first && IsKnownColumnName(value) && forced != IocType::kFileName) {
      out.header = true;
      first = false;
      continue;
    }
    first = false;
    ++out.lines;
    if (Yields(value, forced)) ++out.yielded;
  }
  return out;
}

struct CsvSample {
  char delimiter = ',';
  size_t columns = 0;  // the usual field count
  double agreement = 0;
  std::vector<Record> records;    // data records, in order
  std::string_view last_comment;  // the comment just before the first data record
  bool comment_before_data = false;
};

CsvSample ReadCsvSample(std::string_view sample, char delimiter) {
  CsvSample out;
  out.delimiter = delimiter;
  CsvReader reader(sample, delimiter);
  Record r;
  while (out.records.size() < kSampleRecords && reader.Next(&r)) {
    if (r.comment) {
      if (out.records.empty()) {
        out.last_comment = r.comment_text;
        out.comment_before_data = true;
      }
      continue;
    }
    out.records.push_back(std::move(r));
    r = Record();
  }
  std::vector<size_t> counts;
  for (const Record& rec : out.records) counts.push_back(rec.fields.size());
  if (counts.empty()) return out;
  std::sort(counts.begin(), counts.end());
  size_t best = 0, best_n = 0;
  for (size_t i = 0; i < counts.size();) {
    size_t j = i;
    while (j < counts.size() && counts[j] == counts[i]) ++j;
    if (j - i > best_n) {
      best_n = j - i;
      best = counts[i];
    }
    i = j;
  }
  out.columns = best;
  out.agreement = static_cast<double>(best_n) / static_cast<double>(counts.size());
  return out;
}

// Assigns column roles from a header row.
void AssignRoles(const std::vector<std::string>& header, Layout* layout, int* value_rank,
                 std::optional<size_t>* named_value) {
  for (size_t i = 0; i < header.size(); ++i) {
    std::string n = NormaliseColumnName(header[i]);
    int rank = ValueColumnRank(n);
    if (rank >= 0) {
      if (*value_rank < 0 || rank < *value_rank) {
        *value_rank = rank;
        *named_value = i;
      }
      continue;
    }
    switch (OtherColumnRole(n)) {
      case Role::kPort:
        if (!layout->port_column) layout->port_column = i;
        break;
      case Role::kFirstSeen:
        if (!layout->first_seen_column) layout->first_seen_column = i;
        break;
      case Role::kConfidence:
        if (!layout->confidence_column) layout->confidence_column = i;
        break;
      case Role::kLabel:
        layout->label_columns.push_back(i);
        break;
      case Role::kTags:
        layout->tag_columns.push_back(i);
        break;
      case Role::kDescription:
        layout->description_columns.push_back(i);
        break;
      default:
        break;
    }
  }
}

Layout AnalyzeLayout(std::string_view text, IocType forced) {
  std::string_view sample = Sample(text, kSampleBytes);
  PlainSample plain = SamplePlain(sample, forced);
  Layout plain_layout;
  plain_layout.plain_header = plain.header;
  plain_layout.sampled = plain.lines;
  plain_layout.yielded = plain.yielded;
  if (forced == IocType::kFileName) return plain_layout;  // names may hold any delimiter

  // The delimiter whose field count is the most consistent (ties: more columns, then order).
  std::optional<CsvSample> best;
  for (char d : {',', ';', '\t', '|'}) {
    CsvSample s = ReadCsvSample(sample, d);
    if (s.columns < 2 || s.agreement < 0.8) continue;
    if (!best || s.agreement > best->agreement ||
        (s.agreement == best->agreement && s.columns > best->columns)) {
      best = std::move(s);
    }
  }
  if (!best) return plain_layout;

  Layout csv;
  csv.csv = true;
  csv.delimiter = best->delimiter;
  const std::vector<Record>& rows = best->records;
  int value_rank = -1;
  std::optional<size_t> named_value;
  auto any_known = [](const std::vector<std::string>& fields) {
    return std::any_of(fields.begin(), fields.end(),
                       [](const std::string& f) { return IsKnownColumnName(f); });
  };
  auto any_yield = [&](const std::vector<std::string>& fields) {
    return std::any_of(fields.begin(), fields.end(),
                       [&](const std::string& f) { return Yields(f, forced); });
  };
  if (!rows.empty()) {
    const std::vector<std::string>& first = rows[0].fields;
    // A header holds no IOC and names a column we know; a data row may well hold a word like
    // "malware" or "date". A first row that merely yields nothing ("999.1.1.1,foo") is data: it
    // is skipped and noted like any other row, never dropped unsaid as a header.
    if (!any_yield(first) && any_known(first)) {
      csv.header_in_data = true;
      AssignRoles(first, &csv, &value_rank, &named_value);
    } else if (best->comment_before_data) {
      // abuse.ch URLhaus / ThreatFox: "# id,dateadded,url,…" as the last comment line.
      CsvReader reader(best->last_comment, csv.delimiter);
      Record header;
      if (reader.Next(&header) && !header.comment && header.fields.size() == best->columns &&
          any_known(header.fields)) {
        AssignRoles(header.fields, &csv, &value_rank, &named_value);
      }
    }
  }
  const size_t data_begin = csv.header_in_data ? 1 : 0;
  auto column_yield = [&](size_t col, size_t* non_empty) {
    size_t n = 0;
    for (size_t i = data_begin; i < rows.size(); ++i) {
      if (col >= rows[i].fields.size() || rows[i].fields[col].empty()) continue;
      if (non_empty) ++*non_empty;
      if (Yields(rows[i].fields[col], forced)) ++n;
    }
    return n;
  };
  bool chosen = false;
  if (named_value) {
    size_t non_empty = 0;
    size_t n = column_yield(*named_value, &non_empty);
    if (non_empty == 0 || n * 2 >= non_empty) {
      csv.value_column = *named_value;
      chosen = true;
    }
  }
  if (!chosen) {
    size_t best_n = 0;
    csv.value_column = named_value.value_or(0);
    for (size_t col = 0; col < best->columns; ++col) {
      if (col == csv.port_column || col == csv.first_seen_column || col == csv.confidence_column) {
        continue;
      }
      size_t n = column_yield(col, nullptr);
      if (n > best_n) {
        best_n = n;
        csv.value_column = col;
      }
    }
  }
  for (size_t i = data_begin; i < rows.size(); ++i) {
    ++csv.sampled;
    const std::vector<std::string>& f = rows[i].fields;
    if (csv.value_column < f.size() && Yields(f[csv.value_column], forced)) ++csv.yielded;
  }
  // A named IOC column settles it; otherwise CSV must find more IOCs than reading each line's
  // first token does (Spamhaus DROP "1.10.16.0/20 ; SBL256894" is a plain list with comments).
  if (value_rank >= 0) return csv;
  double csv_ratio =
      csv.sampled ? static_cast<double>(csv.yielded) / static_cast<double>(csv.sampled) : 0;
  double plain_ratio =
      plain.lines ? static_cast<double>(plain.yielded) / static_cast<double>(plain.lines) : 0;
  return csv_ratio > plain_ratio ? csv : plain_layout;
}

// ---------------------------------------------------------------------------------------------
// Indicator output

struct Row {
  std::string_view value;
  size_t line = 0;
  std::string_view skip;  // set when the line itself says the value cannot be trusted
  std::string_view port;
  std::string_view first_seen;
  std::string_view confidence;
  std::vector<std::string> labels;
  std::string description;
};

// A CSV cell that means "no value" (empty, "none", "n/a", "-", …), left out of labels and dates.
bool IsNoValueCell(std::string_view s) {
  std::string l = ToLower(Trim(s));
  return l.empty() || l == "none" || l == "null" || l == "n/a" || l == "na" || l == "-" ||
         l == "unknown" || l == "nan";
}

void AddLabel(std::string_view raw, std::vector<std::string>* labels) {
  if (IsNoValueCell(raw)) return;
  std::string label = CleanText(raw, kMaxLabelBytes);
  if (label.empty()) return;
  if (std::find(labels->begin(), labels->end(), label) == labels->end()) {
    labels->push_back(std::move(label));
  }
}

class IndicatorEmitter {
 public:
  IndicatorEmitter(const IocOptions& options, const ObjectSink& sink, ConversionStats* stats)
      : options_(options),
        sink_(sink),
        stats_(stats),
        now_(options.provenance.now.value_or(Timestamp::Now())),
        now_text_(now_.ToMillisString()),
        source_name_(CleanText(options.source_name, kMaxDescriptionBytes)) {}

  ConversionStats* stats() const { return stats_; }

  Status Emit(const Row& row) {
    const IocType forced = options_.forced_type;
    std::string_view trimmed = TrimQuotesAndSpace(row.value);
    if (trimmed.empty()) return Skipped("empty", row);
    if (trimmed.size() > kMaxValueBytes) return Skipped("too_long", row);
    if (!row.skip.empty()) return Skipped(row.skip, row);
    std::string value = forced == IocType::kFileName ? std::string(trimmed) : Refang(row.value);
    if (value != trimmed) stats_->Add("ioc.refanged");
    Classified c = Classify(value, forced);
    // Under --type every value is meant as one of that type: one that is no IOC at all (a 63-digit
    // "sha256") is a misfit, rejected like a value of another type, not a line of prose.
    // A first line may be a header with names we do not know ("Zulu,Yankee"), and a hosts file
    // names its own host ("127.0.0.1 localhost"): those stay notes.
    if (c.type == IocType::kAuto && forced != IocType::kAuto && c.skip == "unrecognized" &&
        row.line > 1 && !IsHostsFileName(value)) {
      return Skipped("type_mismatch", row);
    }
    if (c.type == IocType::kAuto) return Skipped(c.skip, row);
    if (!Fits(forced, c)) return Skipped("type_mismatch", row);
    if (c.reserved) return Skipped("reserved_ip", row);
    if (c.port == 0 && TakesPort(c.type) && !Trim(row.port).empty()) {
      std::optional<int> port = ParsePort(TrimQuotesAndSpace(row.port));
      if (port) {
        c.port = *port;
      } else {
        stats_->Add("ioc.bad_port");
        stats_->Note("line " + std::to_string(row.line) + ": port '" + CleanText(row.port, 40) +
                     "' is not a port; the indicator has none");
      }
    }
    std::string pattern = BuildPattern(c);
    if (!seen_.insert(pattern).second) return Skipped("duplicate", row);
    if (c.private_ip) stats_->Add("ioc.private_ip");
    if (c.cidr_normalised) stats_->Add("ioc.cidr_normalised");
    if (c.ipv4_mapped) stats_->Add("ioc.ipv4_mapped_normalised");
    if (c.type == IocType::kUrl && UrlHostIsNotAscii(c.value)) {
      // ctihub has no IDNA (punycode) conversion yet; such a URL is kept as written, but a sensor
      // that logs the xn-- form will not match it, so the list says so.
      stats_->Add("ioc.idn_host");
      stats_->Note("line " + std::to_string(row.line) + ": '" + CleanText(row.value, 80) +
                   "': the host is not ASCII; sensors log such hosts as punycode (xn--…), so "
                   "the URL may never match — give it in punycode");
    }
    if (c.port != 0) stats_->Add("ioc.with_port");

    Timestamp valid_from = options_.valid_from.value_or(now_);
    if (!options_.valid_from && !Trim(row.first_seen).empty()) {
      if (std::optional<Timestamp> t = ParseListTimestamp(row.first_seen)) {
        valid_from = *t;
        // Later than any clock skew explains (a typo, a made-up year): kept, as the list
        // says it, but said — the indicator matches nothing before that date.
        constexpr int64_t kDay = int64_t{86400} * kMicrosPerSecond;
        if (t->micros() > now_.micros() + kDay) {
          stats_->Add("ioc.first_seen_in_future");
          stats_->Note("line " + std::to_string(row.line) + ": first seen '" +
                       CleanText(row.first_seen, 40) +
                       "' is in the future; the indicator is valid only from then (valid_from), "
                       "so it matches nothing before");
        }
      } else {
        stats_->Add("ioc.bad_first_seen");
        stats_->Note("line " + std::to_string(row.line) + ": first seen '" +
                     CleanText(row.first_seen, 40) + "' is not a date; valid_from is the import");
      }
    }
    std::optional<Timestamp> valid_until;
    if (options_.valid_for_seconds) {
      // Counted from the import, or from valid_from when that is later: a feed row first seen a
      // year ago must not arrive already expired under --valid-for 30d.
      int64_t start = std::max(valid_from.micros(), now_.micros());
      int64_t until = start + *options_.valid_for_seconds * kMicrosPerSecond;
      if (until <= kMaxTimestampMicros) {
        valid_until = Timestamp(until);
      } else {
        // No STIX timestamp is that late: the indicator goes without an end, and the list says.
        stats_->Add("ioc.valid_until_unset");
        stats_->Note("line " + std::to_string(row.line) + ": valid_from " +
                     Timestamp(start).ToMillisString() +
                     " + valid-for is past 9999-12-31; the indicator has no valid_until");
      }
    }
    std::optional<int> confidence = options_.confidence;
    if (!confidence && !Trim(row.confidence).empty()) {
      std::string_view text = TrimQuotesAndSpace(row.confidence);
      if (!text.empty() && text.size() <= 3 && AllOf(text, IsDigit)) {
        int v = 0;
        for (char ch : text) v = v * 10 + (ch - '0');
        if (v <= 100) confidence = v;
      }
      // Not dropped unsaid: the indicator goes without a confidence, and the list shows why.
      if (!confidence) {
        stats_->Add("ioc.confidence_ignored");
        stats_->Note("line " + std::to_string(row.line) + ": confidence '" +
                     CleanText(row.confidence, 40) + "' is not 0-100; the indicator has none");
      }
    }

    std::string id_name = options_.provenance.created_by_ref.empty()
                              ? pattern
                              : options_.provenance.created_by_ref + "\n" + pattern;
    static const Uuid kNamespace = Uuid::Parse(kIocIndicatorNamespace).value();
    const std::string id = "indicator--" + Uuid::V5(kNamespace, id_name).ToString();

    // Members in code-unit order, so the output is already RFC 8785 canonical.
    stix::JsonWriter w(512 + pattern.size() * 2);
    w.BeginObject();
    if (confidence) w.Key("confidence").Int(*confidence);
    w.Key("created").String(now_text_);
    if (!options_.provenance.created_by_ref.empty()) {
      w.Key("created_by_ref").String(options_.provenance.created_by_ref);
    }
    if (!row.description.empty()) w.Key("description").String(row.description);
    // The list only, not the line: where a value stood in a file is no property of the
    // indicator, and tomorrow's copy of the list shifts it. (A reference needs a description,
    // url or external_id, STIX 2.1 §2.5.)
    if (!source_name_.empty()) {
      w.Key("external_references").BeginArray().BeginObject();
      w.Key("description").String(kIocListReferenceDescription);
      w.Key("source_name").String(source_name_);
      w.EndObject().EndArray();
    }
    w.Key("id").String(id);
    w.Key("indicator_types").BeginArray().String("malicious-activity").EndArray();
    if (!row.labels.empty()) {
      w.Key("labels").BeginArray();
      for (const std::string& label : row.labels) w.String(label);
      w.EndArray();
    }
    w.Key("modified").String(now_text_);
    w.Key("name").String(IndicatorName(c));
    if (!options_.provenance.object_marking_refs.empty()) {
      w.Key("object_marking_refs").BeginArray();
      for (const std::string& ref : options_.provenance.object_marking_refs) w.String(ref);
      w.EndArray();
    }
    w.Key("pattern").String(pattern);
    w.Key("pattern_type").String("stix");
    w.Key("pattern_version").String("2.1");
    w.Key("spec_version").String("2.1");
    w.Key("type").String("indicator");
    w.Key("valid_from").String(valid_from.ToMillisString());
    if (valid_until) w.Key("valid_until").String(valid_until->ToMillisString());
    w.EndObject();

    stats_->Add("ioc.indicators");
    stats_->Add(std::string("ioc.indicators.") + std::string(IocTypeName(c.type)));
    return sink_(std::move(w).Take());
  }

 private:
  Status Skipped(std::string_view reason, const Row& row) {
    stats_->Add(std::string("ioc.skipped.") + std::string(reason));
    if (options_.on_invalid &&
        (reason == "invalid_ip" || reason == "type_mismatch" || reason == "too_long")) {
      options_.on_invalid(row.line, CleanText(row.value, 80), reason);
      return Status::Ok();
    }
    // A repeated value or an empty cell is no news; anything else is shown where it is.
    if (reason != "duplicate" && reason != "empty") {
      stats_->Note("line " + std::to_string(row.line) + ": '" + CleanText(row.value, 80) +
                   "': " + std::string(reason));
    }
    return Status::Ok();
  }

  const IocOptions& options_;
  const ObjectSink& sink_;
  ConversionStats* stats_;
  const Timestamp now_;
  const std::string now_text_;
  const std::string source_name_;
  std::unordered_set<std::string> seen_;  // patterns emitted so far
};

// InvalidArgument when `text` (its first 64 KiB) is no text a list can be, so such a file is an
// error rather than "0 read": UTF-16 (a BOM, or NULs in every other byte as ASCII in UTF-16
// has), or binary data (a NUL, or more than 1 byte in 10 neither UTF-8 nor a text control).
// Latin-1 text passes: its few accented letters stay under that share.
Status CheckIsText(std::string_view text) {
  const std::string_view head = text.substr(0, kSniffBytes);
  if (head.substr(0, 2) == "\xFF\xFE" || head.substr(0, 2) == "\xFE\xFF") {
    return InvalidArgument("UTF-16 text: convert it to UTF-8, e.g. iconv -f UTF-16 -t UTF-8");
  }
  size_t nul_even = 0, nul_odd = 0;
  for (size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\0') ++(i % 2 == 0 ? nul_even : nul_odd);
  }
  // An empty list (today's feed had nothing) is a list: the ratios below say nothing about it.
  if (nul_even + nul_odd == 0 && head.size() < 4) return Status::Ok();
  if (head.size() >= 4 && std::max(nul_even, nul_odd) * 3 >= head.size() &&
      std::min(nul_even, nul_odd) * 10 <= std::max(nul_even, nul_odd)) {
    return InvalidArgument("UTF-16 text: convert it to UTF-8, e.g. iconv -f UTF-16 -t UTF-8");
  }
  constexpr std::string_view kBinary = "binary data, not an IOC list";
  if (nul_even + nul_odd > 0) return InvalidArgument(std::string(kBinary));
  size_t not_text = 0;
  for (size_t i = 0; i < head.size();) {
    const size_t n = Utf8SequenceLength(head, i);
    const auto u = static_cast<unsigned char>(head[i]);
    if (n == 0 || (u < 0x20 && !IsSpace(head[i])) || u == 0x7F) ++not_text;
    i += n == 0 ? 1 : n;
  }
  if (not_text * 10 > head.size()) return InvalidArgument(std::string(kBinary));
  return Status::Ok();
}

Status CheckOptions(const IocOptions& options) {
  if (options.confidence && (*options.confidence < 0 || *options.confidence > 100)) {
    return InvalidArgument("confidence " + std::to_string(*options.confidence) +
                           " is outside 0-100");
  }
  if (options.valid_for_seconds &&
      (*options.valid_for_seconds < 1 || *options.valid_for_seconds > kMaxValidForSeconds)) {
    return InvalidArgument("valid-for of " + std::to_string(*options.valid_for_seconds) +
                           " seconds is outside 1 second to 100 years");
  }
  auto check_ref = [](std::string_view ref, std::string_view prefix, std::string_view what) {
    if (ref.substr(0, prefix.size()) != prefix || !Uuid::IsValid(ref.substr(prefix.size()))) {
      return InvalidArgument(std::string(what) + " '" + std::string(CutUtf8(ref, 100)) +
                             "' is not a " + std::string(prefix) + "<uuid> id");
    }
    return Status::Ok();
  };
  if (!options.provenance.created_by_ref.empty()) {
    CTI_RETURN_IF_ERROR(
        check_ref(options.provenance.created_by_ref, "identity--", "created_by_ref"));
  }
  for (const std::string& ref : options.provenance.object_marking_refs) {
    CTI_RETURN_IF_ERROR(check_ref(ref, "marking-definition--", "marking"));
  }
  return Status::Ok();
}

std::string_view Field(const std::vector<std::string>& fields, std::optional<size_t> col) {
  if (!col || *col >= fields.size()) return {};
  return fields[*col];
}

Status ConvertCsv(std::string_view text, const Layout& layout, IndicatorEmitter* emitter) {
  CsvReader reader(text, layout.delimiter);
  Record record;
  bool first_data = true;
  while (reader.Next(&record)) {
    if (record.comment) continue;
    if (first_data) {
      first_data = false;
      if (layout.header_in_data) continue;
    }
    const std::vector<std::string>& f = record.fields;
    Row row;
    row.value = Field(f, layout.value_column);
    row.line = record.line;
    row.port = Field(f, layout.port_column);
    row.first_seen = Field(f, layout.first_seen_column);
    row.confidence = Field(f, layout.confidence_column);
    for (size_t col : layout.label_columns) AddLabel(Field(f, col), &row.labels);
    for (size_t col : layout.tag_columns) {
      std::string_view tags = Field(f, col);
      size_t start = 0;
      while (start <= tags.size()) {
        size_t end = tags.find_first_of(",;|", start);
        if (end == std::string_view::npos) end = tags.size();
        AddLabel(tags.substr(start, end - start), &row.labels);
        start = end + 1;
      }
    }
    for (size_t col : layout.description_columns) {
      std::string_view d = Field(f, col);
      if (IsNoValueCell(d)) continue;
      if (!row.description.empty()) row.description += "; ";
      row.description += d;
    }
    row.description = CleanText(row.description, kMaxDescriptionBytes);
    CTI_RETURN_IF_ERROR(emitter->Emit(row));
  }
  return Status::Ok();
}

Status ConvertPlain(std::string_view text, const Layout& layout, IocType forced,
                    IndicatorEmitter* emitter) {
  size_t pos = 0, line_no = 0;
  bool first = true;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = Trim(text.substr(pos, eol - pos));
    pos = eol + 1;
    ++line_no;
    if (line.empty() || IsPlainCommentLine(line)) continue;
    if (first) {
      first = false;
      if (layout.plain_header) continue;
    }
    PlainLine values = ReadPlainLine(line, forced);
    if (values.values.size() > 1) emitter->stats()->Add("ioc.multi_value_lines");
    Row row;
    row.line = line_no;
    if (values.split_url) row.skip = "split_url";
    row.description = CleanText(values.comment, kMaxDescriptionBytes);
    if (values.url_then_text) {
      emitter->stats()->Add("ioc.url_text_as_description");
      emitter->stats()->Note("line " + std::to_string(line_no) + ": '" +
                             CleanText(values.values[0], 80) + "' is followed by '" +
                             CleanText(values.comment, 40) +
                             "', taken as its description (a URL has no spaces; a comment is "
                             "clearer after #)");
    }
    for (std::string_view value : values.values) {
      row.value = value;
      CTI_RETURN_IF_ERROR(emitter->Emit(row));
    }
  }
  return Status::Ok();
}

struct TypeName {
  std::string_view name;
  IocType type;
};

constexpr TypeName kTypeNames[] = {
    {"auto", IocType::kAuto},
    {"ip", IocType::kAnyIp},
    {"ipv4", IocType::kIpv4},
    {"ipv6", IocType::kIpv6},
    {"cidr", IocType::kAnyCidr},
    {"ipv4-cidr", IocType::kIpv4Cidr},
    {"ipv6-cidr", IocType::kIpv6Cidr},
    {"domain", IocType::kDomain},
    {"hostname", IocType::kDomain},
    {"fqdn", IocType::kDomain},
    {"domain-name", IocType::kDomain},
    {"url", IocType::kUrl},
    {"uri", IocType::kUrl},
    {"email", IocType::kEmail},
    {"email-addr", IocType::kEmail},
    {"md5", IocType::kMd5},
    {"sha1", IocType::kSha1},
    {"sha-1", IocType::kSha1},
    {"sha256", IocType::kSha256},
    {"sha-256", IocType::kSha256},
    {"sha512", IocType::kSha512},
    {"sha-512", IocType::kSha512},
    {"ssdeep", IocType::kSsdeep},
    {"hash", IocType::kAnyHash},
    {"filename", IocType::kFileName},
    {"file-name", IocType::kFileName},
};

}  // namespace

Result<IocType> ParseIocType(std::string_view name) {
  std::string lower = ToLower(Trim(name));
  for (const TypeName& t : kTypeNames) {
    if (t.name == lower) return t.type;
  }
  return InvalidArgument("unknown IOC type '" + std::string(CutUtf8(name, 64)) +
                         "'; expected one of: auto, ip, ipv4, ipv6, cidr, ipv4-cidr, ipv6-cidr, "
                         "domain, url, email, md5, sha1, sha256, sha512, ssdeep, hash, filename");
}

std::string_view IocTypeName(IocType type) {
  switch (type) {
    case IocType::kAuto:
      return "auto";
    case IocType::kIpv4:
      return "ipv4";
    case IocType::kIpv6:
      return "ipv6";
    case IocType::kIpv4Cidr:
      return "ipv4-cidr";
    case IocType::kIpv6Cidr:
      return "ipv6-cidr";
    case IocType::kDomain:
      return "domain";
    case IocType::kUrl:
      return "url";
    case IocType::kEmail:
      return "email";
    case IocType::kMd5:
      return "md5";
    case IocType::kSha1:
      return "sha1";
    case IocType::kSha256:
      return "sha256";
    case IocType::kSha512:
      return "sha512";
    case IocType::kSsdeep:
      return "ssdeep";
    case IocType::kAnyIp:
      return "ip";
    case IocType::kAnyCidr:
      return "cidr";
    case IocType::kAnyHash:
      return "hash";
    case IocType::kFileName:
      return "filename";
  }
  return "auto";
}

std::string Refang(std::string_view value) {
  std::string_view v = TrimQuotesAndSpace(value);
  std::string out;
  out.reserve(v.size());
  size_t i = 0;
  // Defanged schemes, only at the start and only before ':' or a bracket, so a host that merely
  // begins with "hxxp" stays as it is.
  struct Swap {
    std::string_view from, to;
  };
  static constexpr Swap kSchemes[] = {
      {"hxxp[s]", "https"},  // before "hxxp", which would leave "[s]://"
      {"hxxps", "https"},   {"hxxp", "http"}, {"fxps", "ftps"}, {"fxp", "ftp"},
  };
  for (const Swap& s : kSchemes) {
    if (StartsWithNoCase(v, s.from) && v.size() > s.from.size() &&
        (v[s.from.size()] == ':' || v[s.from.size()] == '[' || v[s.from.size()] == '(')) {
      out += s.to;
      i = s.from.size();
      break;
    }
  }
  static constexpr Swap kTokens[] = {
      {"[://]", "://"}, {"[.]", "."},  {"(.)", "."}, {"{.}", "."}, {"[dot]", "."}, {"(dot)", "."},
      {"{dot}", "."},   {"\\.", "."},  {"[@]", "@"}, {"(@)", "@"}, {"{@}", "@"},   {"[at]", "@"},
      {"(at)", "@"},    {"{at}", "@"}, {"[:]", ":"}, {"[/]", "/"},
  };
  while (i < v.size()) {
    bool swapped = false;
    char c = v[i];
    if (c == '[' || c == '(' || c == '{' || c == '\\') {
      std::string_view rest = v.substr(i);
      for (const Swap& s : kTokens) {
        if (StartsWithNoCase(rest, s.from)) {
          out += s.to;
          i += s.from.size();
          swapped = true;
          break;
        }
      }
    }
    if (!swapped) out += v[i++];
  }
  return out;
}

IocType DetectIocType(std::string_view refanged_value) {
  Classified c = Classify(refanged_value, IocType::kAuto);
  return c.reserved ? IocType::kAuto : c.type;
}

Result<std::string> IocPattern(IocType type, std::string_view value, std::optional<int> port) {
  Classified c = Classify(value, type);
  if (c.type == IocType::kAuto) {
    return InvalidArgument("'" + std::string(CutUtf8(value, 200)) + "' is not " +
                           (type == IocType::kAuto
                                ? std::string("an IOC")
                                : "a " + std::string(IocTypeName(type)) + " value") +
                           " (" + std::string(c.skip) + ")");
  }
  if (!Fits(type, c)) {
    return InvalidArgument("'" + std::string(CutUtf8(value, 200)) + "' is a " +
                           std::string(IocTypeName(c.type)) + " value, not " +
                           std::string(IocTypeName(type)));
  }
  if (type == IocType::kAuto && c.reserved) {
    return InvalidArgument("'" + std::string(CutUtf8(value, 200)) +
                           "' is a reserved address (unspecified, loopback, multicast, class E or "
                           "broadcast); give the type explicitly to use it anyway");
  }
  if (port) {
    if (!TakesPort(c.type)) {
      return InvalidArgument("a port applies only to an IPv4 or IPv6 address or a domain, not to " +
                             std::string(IocTypeName(c.type)) + " '" +
                             std::string(CutUtf8(value, 200)) + "'");
    }
    if (*port < 1 || *port > 65535) {
      return InvalidArgument("port " + std::to_string(*port) + " is outside 1-65535");
    }
    if (c.port != 0 && c.port != *port) {
      return InvalidArgument("port " + std::to_string(*port) + " conflicts with the port in '" +
                             std::string(CutUtf8(value, 200)) + "'");
    }
    c.port = *port;
  }
  return BuildPattern(c);
}

bool LooksLikeIocList(std::string_view text) {
  std::string_view sample = Sample(StripBom(text), kSniffBytes);
  const std::optional<std::string> line_feeds = LoneCrAsLf(sample);
  if (line_feeds) sample = *line_feeds;
  if (sample.find('\0') != std::string_view::npos) return false;
  size_t i = 0;
  while (i < sample.size() && IsSpace(sample[i])) ++i;
  if (i == sample.size()) return false;
  const char c = sample[i];
  if (c == '{' || c == '<') return false;
  if (c == '[') {
    size_t j = i + 1;
    while (j < sample.size() && IsSpace(sample[j])) ++j;
    if (j == sample.size() || sample[j] == '{' || sample[j] == '"' || sample[j] == ']') {
      return false;
    }
  }
  // Zeek TSV logs are tab-separated lines full of addresses, but telemetry, not a list.
  if (sample.substr(i, 10) == "#separator") return false;
  Layout layout = AnalyzeLayout(sample, IocType::kAuto);
  return layout.yielded > 0 && layout.yielded * 2 >= layout.sampled;
}

Status ConvertIocList(std::string_view text, const IocOptions& options, const ObjectSink& sink,
                      ConversionStats* stats) {
  ConversionStats local;
  if (stats == nullptr) stats = &local;
  CTI_RETURN_IF_ERROR(CheckOptions(options));
  text = StripBom(text);
  CTI_RETURN_IF_ERROR(CheckIsText(text));
  const std::optional<std::string> line_feeds = LoneCrAsLf(text);
  if (line_feeds) text = *line_feeds;
  const Layout layout = AnalyzeLayout(text, options.forced_type);
  IndicatorEmitter emitter(options, sink, stats);
  if (layout.csv) {
    stats->Add("ioc.format.csv");
    return ConvertCsv(text, layout, &emitter);
  }
  stats->Add("ioc.format.plain");
  return ConvertPlain(text, layout, options.forced_type, &emitter);
}

}  // namespace ctihub::ingest
