#include "telemetry/internal/builder.h"

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

#include "common/ipv4.h"
#include "common/normalise.h"

namespace ctihub::telemetry::internal {

bool IsIpv4(std::string_view text) {
  unsigned char out[4];
  return ParseIpv4(text, out);
}

namespace {

bool ParseIpv6(std::string_view text, unsigned char out[16]) {
  if (text.empty() || text.size() > 45 || text.find(':') == std::string_view::npos) return false;
  char buf[46];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  return inet_pton(AF_INET6, buf, out) == 1;
}

}  // namespace

bool IsIpv6(std::string_view text) {
  unsigned char out[16];
  return ParseIpv6(text, out);
}

namespace {

// Years 0001–9999, the years STIX timestamps (RFC 3339) can write: outside them a number is not
// a time a sensor wrote.
constexpr int64_t kFirstMicros = -62135596800'000'000;
constexpr int64_t kLastMicros = 253402300799'999'999;

}  // namespace

std::optional<Timestamp> FromEpochText(std::string_view text) {
  // Digits, optional '.', up to 6 fraction digits used: exact, no floating point rounding.
  int64_t seconds = 0, micros = 0;
  size_t i = 0;
  bool negative = !text.empty() && text[0] == '-';
  if (negative) ++i;
  size_t digits = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
    if (seconds > 1'000'000'000'000) return std::nullopt;
    seconds = seconds * 10 + (text[i] - '0');
  }
  if (digits == 0) return std::nullopt;
  if (i < text.size() && text[i] == '.') {
    ++i;
    int scale = 100000;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      if (scale > 0) micros += (text[i] - '0') * scale;
      scale /= 10;
    }
  }
  if (i != text.size()) return std::nullopt;
  int64_t total = seconds * 1'000'000 + micros;
  if (negative) total = -total;
  if (total < kFirstMicros || total > kLastMicros) return std::nullopt;
  return Timestamp(total);
}

std::optional<Timestamp> FromEpochMicros(double micros) {
  // Converting anything outside the range to an integer would also overflow.
  const double first = static_cast<double>(kFirstMicros), last = static_cast<double>(kLastMicros);
  if (!(micros >= first && micros <= last)) return std::nullopt;  // also NaN
  return Timestamp(std::llround(micros));
}

std::optional<Timestamp> FromEpochSeconds(double seconds) { return FromEpochMicros(seconds * 1e6); }

std::optional<Timestamp> FromRfc3339(std::string_view text) {
  if (text.size() < 20 || text.size() > 64) return std::nullopt;
  // The date and time with a 'Z' in place of the zone, in a stack buffer (no allocation: every
  // Suricata event has one or two of these).
  char utc[72];
  auto as_utc = [&](size_t end) {
    std::memcpy(utc, text.data(), end);
    utc[end] = 'Z';
    Result<Timestamp> t = Timestamp::Parse(std::string_view(utc, end + 1));
    return t.ok() ? std::optional(*t) : std::nullopt;
  };
  // Find the zone: 'Z', or '+'/'-' after the time part (position >= 19).
  size_t zone = text.find_first_of("Zz+-", 19);
  // No zone at all (some Suricata builds, some JSON exporters): read as UTC.
  if (zone == std::string_view::npos) return as_utc(text.size());
  std::optional<Timestamp> base = as_utc(zone);
  if (!base) return std::nullopt;
  if (text[zone] == 'Z' || text[zone] == 'z') {
    return zone + 1 == text.size() ? base : std::nullopt;
  }
  std::string_view offset = text.substr(zone + 1);  // "0600" or "06:00"
  char hhmm[4];
  size_t digits = 0;
  for (char c : offset) {
    if (c == ':') continue;
    if (c < '0' || c > '9' || digits == 4) return std::nullopt;
    hhmm[digits++] = c;
  }
  if (digits != 4) return std::nullopt;
  int64_t minutes =
      ((hhmm[0] - '0') * 10 + (hhmm[1] - '0')) * 60 + (hhmm[2] - '0') * 10 + (hhmm[3] - '0');
  int64_t delta = minutes * 60 * 1'000'000;
  // Local time = UTC + offset, so UTC = local - offset.
  return Timestamp(base->micros() + (text[zone] == '+' ? -delta : delta));
}

std::string RequestUrl(std::string_view host, std::optional<int64_t> port,
                       std::optional<std::string_view> target) {
  // A target in absolute form names its scheme before any '/', '?' or '#'.
  const size_t scheme_end = target ? target->find("://") : std::string_view::npos;
  if (scheme_end != std::string_view::npos && scheme_end > 0 &&
      target->substr(0, scheme_end).find_first_of("/?#") == std::string_view::npos) {
    if (std::optional<std::string> url = NormaliseUrl(*target)) return *url;
  }
  // No DNS root dot, as literals drop it ("dotted.example." is "dotted.example").
  while (!host.empty() && host.back() == '.') host.remove_suffix(1);
  std::string url = "http://";
  if (IsIpv6(host)) {
    url += '[' + LowerAscii(host) + ']';
  } else {
    url += LowerAscii(host);
  }
  if (port && *port != 80) url += ":" + std::to_string(*port);
  if (target && *target == "*") target.reset();  // OPTIONS *: the server itself
  if (!target || target->empty() || target->front() != '/') url += '/';
  if (target) url.append(*target);
  // As literals are: "/%7euser/a/../x" is "/~user/x" (RFC 3986 section 6.2.2). Only a target
  // with an escape or a dot segment needs it (every HTTP record comes here).
  if (target && (target->find('%') != std::string_view::npos ||
                 target->find("/.") != std::string_view::npos)) {
    return NormaliseUrl(url).value_or(url);
  }
  return url;
}

HostAndPort SplitHostPort(std::string_view host) {
  auto port_of = [](std::string_view digits) -> std::optional<int64_t> {
    if (digits.empty() || digits.size() > 5) return std::nullopt;
    int64_t port = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      port = port * 10 + (c - '0');
    }
    return port <= 65535 ? std::optional(port) : std::nullopt;
  };
  if (host.starts_with('[')) {  // an IPv6 literal, RFC 3986 §3.2.2
    size_t close = host.find(']');
    if (close == std::string_view::npos) return {host, std::nullopt};
    std::string_view rest = host.substr(close + 1);
    if (rest.empty()) return {host.substr(1, close - 1), std::nullopt};
    std::optional<int64_t> port = rest.front() == ':' ? port_of(rest.substr(1)) : std::nullopt;
    if (!port) return {host, std::nullopt};
    return {host.substr(1, close - 1), port};
  }
  size_t colon = host.find(':');
  // More than one colon: an IPv6 address without brackets, no port.
  if (colon == std::string_view::npos || host.find(':', colon + 1) != std::string_view::npos) {
    return {host, std::nullopt};
  }
  std::optional<int64_t> port = port_of(host.substr(colon + 1));
  if (!port) return {host, std::nullopt};
  return {host.substr(0, colon), port};
}

std::string_view EmailAddressOf(std::string_view text) {
  size_t open = text.rfind('<');
  if (open != std::string_view::npos) {
    size_t close = text.find('>', open);
    text = text.substr(open + 1,
                       close == std::string_view::npos ? std::string_view::npos : close - open - 1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

std::string CanonicalHost(std::string_view name) {
  while (!name.empty() && name.back() == '.') name.remove_suffix(1);  // FQDN root dot
  return CanonicalAddress(LowerAscii(name));
}

std::string CanonicalEmail(std::string_view text) {
  text = EmailAddressOf(text);
  const size_t at = text.rfind('@');
  if (at == std::string_view::npos) return std::string(text);
  return std::string(text.substr(0, at + 1)) + LowerAscii(text.substr(at + 1));
}

std::string CanonicalHash(std::string_view hash) {
  const bool hex = !hash.empty() && std::all_of(hash.begin(), hash.end(), [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c));
  });
  return hex ? LowerAscii(hash) : std::string(hash);
}

std::string CanonicalUrl(std::string_view url) {
  // As literals: a URL without a scheme is compared as written.
  if (url.find("://") == std::string_view::npos) return std::string(url);
  return NormaliseUrl(url).value_or(std::string(url));
}

void ObservationBuilder::DropLast(uint32_t object) {
  if (object + 1 == out_->object_count()) out_->RemoveLastObject();
}

size_t ObservationBuilder::Size(uint32_t node) const {
  size_t n = 0;
  for (uint32_t c = out_->node(node).first_child; c != pattern::FlatObservation::kNone;
       c = out_->node(c).next)
    ++n;
  return n;
}

void ObservationBuilder::RefList(uint32_t node, std::string_view name,
                                 const std::vector<uint32_t>& objects) {
  uint32_t list = out_->AddList(node, name);
  for (uint32_t o : objects) out_->AddRef(list, {}, o);
}

namespace {

// ASCII only, as protocol names and host names are compared (absl's table, not the locale's).
bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(absl::string_view(a.data(), a.size()),
                                absl::string_view(b.data(), b.size()));
}

}  // namespace

std::optional<uint32_t> ObservationBuilder::Seen(const Seen_& seen, std::string_view value,
                                                 bool ignore_case) {
  for (size_t i = 0; i < seen.count; ++i) {
    std::string_view v = seen.values[i].view();
    if (ignore_case ? EqualsIgnoringCase(v, value) : v == value) {
      return seen.objects[i];
    }
  }
  return std::nullopt;
}

void ObservationBuilder::Remember(Seen_& seen, std::string_view value, uint32_t object) {
  if (seen.count == Seen_::kMax) return;  // past that, duplicates are only redundant
  seen.values[seen.count] = TextRef{value.data(), value.size()};
  seen.objects[seen.count] = object;
  ++seen.count;
}

std::optional<uint32_t> ObservationBuilder::Address(std::string_view address) {
  if (std::optional<uint32_t> seen = Seen(addresses_, address, false)) return seen;
  unsigned char bytes[4];
  uint32_t object;
  if (ParseIpv4(address, bytes)) {
    object = Add("ipv4-addr");
    out_->AddIpv4(Node(object), "value", address, bytes);
  } else if (unsigned char v6[16]; ParseIpv6(address, v6)) {
    // RFC 5952 text, as pattern literals are canonicalised: Suricata writes every IPv6 address
    // in full ("2001:0db8:0000:…"), and Zeek's may be in upper case.
    char canonical[INET6_ADDRSTRLEN];
    if (inet_ntop(AF_INET6, v6, canonical, sizeof canonical) == nullptr) return std::nullopt;
    if (address != canonical) {
      address = canonical;
      if (std::optional<uint32_t> seen = Seen(addresses_, address, false)) return seen;
      address = Own(address);
    }
    object = Add("ipv6-addr");
    out_->AddIpv6(Node(object), "value", address, v6);  // the prefix index reads the bytes
  } else if (const size_t zone = address.find('%');
             zone != std::string_view::npos && address.find(':') < zone) {
    // A link-local address with its zone ("fe80::1%eth0", RFC 6874): the zone names an
    // interface of the sensor, not part of the address a pattern names.
    return Address(address.substr(0, zone));
  } else {
    return std::nullopt;
  }
  Remember(addresses_, address, object);
  return object;
}

namespace {

// `text` lower-cased: the text itself when it has no upper-case letter (the usual case), else a
// copy owned by the observation.
std::string_view Lower(std::string_view text, ObservationBuilder* out) {
  bool upper = false;
  for (char c : text) upper = upper || (c >= 'A' && c <= 'Z');
  if (!upper) return text;
  std::string lower(text);
  absl::AsciiStrToLower(&lower);
  return out->Own(lower);
}

}  // namespace

std::optional<uint32_t> ObservationBuilder::Domain(std::string_view name) {
  while (!name.empty() && name.back() == '.') name.remove_suffix(1);  // FQDN root dot
  if (name.empty() || name == "-" || IsIpv4(name) || IsIpv6(name)) return std::nullopt;
  if (std::optional<uint32_t> seen = Seen(domains_, name, true)) return seen;
  uint32_t object = Add("domain-name");
  Text(Node(object), "value", Lower(name, this));
  Remember(domains_, name, object);
  return object;
}

std::optional<uint32_t> ObservationBuilder::Email(std::string_view text) {
  text = EmailAddressOf(text);
  if (text.empty() || text.find('@') == std::string_view::npos) return std::nullopt;
  // The domain in lower case, as importers write e-mail indicators (it is a DNS name); the local
  // part as written (RFC 5321 leaves its case to the receiving host).
  const size_t at = text.rfind('@');
  std::string_view domain = text.substr(at + 1);
  std::string_view lower_domain = Lower(domain, this);
  if (lower_domain.data() != domain.data()) {
    text = Own(std::string(text.substr(0, at + 1)) + std::string(lower_domain));
  }
  if (std::optional<uint32_t> seen = Seen(emails_, text, false)) return seen;
  uint32_t object = Add("email-addr");
  Text(Node(object), "value", text);
  Remember(emails_, text, object);
  return object;
}

std::optional<uint32_t> ObservationBuilder::NetworkTraffic(std::optional<std::string_view> src,
                                                           std::optional<int64_t> src_port,
                                                           std::optional<std::string_view> dst,
                                                           std::optional<int64_t> dst_port,
                                                           const Protocols& protocols) {
  std::optional<uint32_t> src_object = src ? Address(*src) : std::nullopt;
  std::optional<uint32_t> dst_object = dst ? Address(*dst) : std::nullopt;
  if (!src_object && !dst_object) return std::nullopt;
  uint32_t nt = Add("network-traffic");
  uint32_t node = Node(nt);
  if (src_object) Ref(node, "src_ref", *src_object);
  if (dst_object) Ref(node, "dst_ref", *dst_object);
  if (src_port && *src_port >= 0 && *src_port <= 65535) Integer(node, "src_port", *src_port);
  if (dst_port && *dst_port >= 0 && *dst_port <= 65535) Integer(node, "dst_port", *dst_port);
  uint32_t list = out_->AddList(node, "protocols");
  TextRef kept[Protocols::kMax];  // [0, count) are set
  size_t count = 0;
  for (size_t i = 0; i < protocols.count; ++i) {
    std::string_view p = protocols.items[i].view();
    if (p.empty() || p == "-" || EqualsIgnoringCase(p, "failed") ||
        EqualsIgnoringCase(p, "unknown")) {
      continue;
    }
    bool seen = false;
    for (size_t k = 0; k < count; ++k) seen = seen || EqualsIgnoringCase(kept[k].view(), p);
    if (seen) continue;
    kept[count++] = TextRef{p.data(), p.size()};
    out_->AddString(list, {}, Lower(p, this));
  }
  // STIX requires `protocols` on network-traffic; a record that names none is still IP.
  if (count == 0) out_->AddString(list, {}, "ip");
  return nt;
}

void ObservationBuilder::HostTraffic(uint32_t traffic, uint32_t domain, bool server_is_dst,
                                     std::optional<int64_t> server_port) {
  using pattern::FlatObservation;
  const std::string_view client_ref = server_is_dst ? "src_ref" : "dst_ref";
  const std::string_view client_port_name = server_is_dst ? "src_port" : "dst_port";
  const std::string_view server_port_name = server_is_dst ? "dst_port" : "src_port";
  std::optional<uint32_t> client;
  std::optional<int64_t> client_port, port_seen;
  // The protocols' texts, copied out before adding (adding may move the nodes).
  TextRef protocols[Protocols::kMax];
  size_t count = 0;
  // One pass over the connection's members (this runs for most HTTP and TLS records).
  for (uint32_t c = out_->node(out_->Root(traffic)).first_child; c != FlatObservation::kNone;
       c = out_->node(c).next) {
    const FlatObservation::Node& n = out_->node(c);
    if (n.name == client_ref) {
      client = n.object;
    } else if (n.name == client_port_name) {
      client_port = n.integer;
    } else if (n.name == server_port_name) {
      port_seen = n.integer;
    } else if (n.name == "protocols") {
      for (uint32_t p = n.first_child; p != FlatObservation::kNone && count < Protocols::kMax;
           p = out_->node(p).next) {
        protocols[count++] = TextRef{out_->node(p).text.data(), out_->node(p).text.size()};
      }
    }
  }
  if (!server_port) server_port = port_seen;
  uint32_t node = Node(Add("network-traffic"));
  if (client) Ref(node, "src_ref", *client);
  Ref(node, "dst_ref", domain);
  if (client_port) Integer(node, "src_port", *client_port);
  if (server_port) Integer(node, "dst_port", *server_port);
  uint32_t list = out_->AddList(node, "protocols");
  for (size_t i = 0; i < count; ++i) out_->AddString(list, {}, protocols[i].view());
  if (count == 0) out_->AddString(list, {}, "ip");
}

}  // namespace ctihub::telemetry::internal
