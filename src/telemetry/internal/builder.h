// telemetry/internal/builder: assembles the SCOs of one record into a FlatObservation — addresses
// deduplicated, network-traffic with refs to them, keys "0", "1", … in creation order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "pattern/flat_observation.h"

namespace ctihub::telemetry::internal {

// True for a textual IPv4 or IPv6 address (no prefix length).
bool IsIpv4(std::string_view text);
bool IsIpv6(std::string_view text);

// Seconds since the epoch as Zeek writes them ("1521911720.865716", or a JSON number).
std::optional<Timestamp> FromEpochText(std::string_view text);
// Seconds (or microseconds) since the epoch as a JSON number; nullopt outside years 0001–9999.
std::optional<Timestamp> FromEpochSeconds(double seconds);
std::optional<Timestamp> FromEpochMicros(double micros);
// RFC 3339 with 'Z' or a numeric offset ("2018-03-24T14:37:19.037299-0600", "+00:00"); no
// zone at all is read as UTC.
std::optional<Timestamp> FromRfc3339(std::string_view text);

// The URL of an HTTP request as URL indicators are written (importers normalise them so, RFC
// 3986 §6.2): "http://" + the host in lower case without a root dot (an IPv6 address in
// brackets) + ":port" unless 80 + the request target ("/" when none). `host` is a name or an
// address without a port (SplitHostPort's name). A target in absolute form — a request through a
// proxy, "http://Evil.example/x" — is the URL itself, with its scheme and host lower-cased and a
// default port dropped.
std::string RequestUrl(std::string_view host, std::optional<int64_t> port,
                       std::optional<std::string_view> target);

// An HTTP Host header or a TLS server name split: "name", "name:port", "[v6]:port" (brackets
// removed). A port that is not a number 0–65535 leaves the text whole as the name.
struct HostAndPort {
  std::string_view name;
  std::optional<int64_t> port;
};
HostAndPort SplitHostPort(std::string_view host);

// The address in an e-mail header value: "Name <a@b>" and "<a@b>" reduced to "a@b", blanks
// around it removed.
std::string_view EmailAddressOf(std::string_view text);

// Values in the form ObservationBuilder writes them, which is the form pattern literals are
// canonicalised to (pattern/canonical_literals.h), for readers that take a record's values as
// they come (mapped JSON). A host: lower case, no root dot, IPv6 in RFC 5952 form. An e-mail
// address: reduced as above, its domain in lower case. A hash: lower case when all hex. A URL
// with a scheme: NormaliseUrl's form (one without is compared as written).
std::string CanonicalHost(std::string_view name);
std::string CanonicalEmail(std::string_view text);
std::string CanonicalHash(std::string_view hash);
std::string CanonicalUrl(std::string_view url);

// A string_view's parts. Trivially constructible, so the fixed arrays below are not zeroed per
// record: value-initialised string_view arrays (~1 KiB per record) were 5% of reading a log.
struct TextRef {
  const char* data;
  size_t size;
  std::string_view view() const { return {data, size}; }
};

// A record's protocol names (network-traffic `protocols`), without allocating.
struct Protocols {
  static constexpr size_t kMax = 8;
  TextRef items[kMax];  // [0, count) are set
  size_t count = 0;
  void Add(std::string_view p) {
    if (count < kMax) items[count++] = TextRef{p.data(), p.size()};
  }
};

// Builds into a FlatObservation (what the matcher reads; the JSON form is made only on demand).
// Text values are views: they must live until the record is consumed — the reader's line or
// simdjson's strings do; anything assembled goes through Own().
class ObservationBuilder {
 public:
  explicit ObservationBuilder(pattern::FlatObservation* out) : out_(out) { out_->Clear(); }

  pattern::FlatObservation& flat() { return *out_; }
  void SetTime(Timestamp t) { out_->first_observed = out_->last_observed = t; }

  // Adds an SCO of `type`; returns its object index (refs name it).
  uint32_t Add(std::string_view type) { return out_->AddObject(type); }
  // The node of object `object`, to add properties to.
  uint32_t Node(uint32_t object) const { return out_->Root(object); }
  // Removes the object added last, when nothing was added after it (an SCO that turned out to
  // have nothing but its type).
  void DropLast(uint32_t object);
  // Number of properties of an object or map node ("type" included).
  size_t Size(uint32_t node) const;

  void Text(uint32_t node, std::string_view name, std::optional<std::string_view> value) {
    if (value) out_->AddString(node, name, *value);
  }
  void OwnText(uint32_t node, std::string_view name, std::string_view value) {
    out_->AddString(node, name, out_->Own(value));
  }
  // A hex hash as literals are written (lower case), copied only when it is not already.
  void HashText(uint32_t node, std::string_view name, std::optional<std::string_view> value) {
    if (!value) return;
    if (value->find_first_of("ABCDEF") == std::string_view::npos) {
      out_->AddString(node, name, *value);
    } else {
      OwnText(node, name, CanonicalHash(*value));
    }
  }
  void Integer(uint32_t node, std::string_view name, int64_t value) {
    out_->AddInteger(node, name, value);
  }
  void Bool(uint32_t node, std::string_view name, bool value) { out_->AddBool(node, name, value); }
  void Ref(uint32_t node, std::string_view name, uint32_t object) {
    out_->AddRef(node, name, object);
  }
  uint32_t Map(uint32_t node, std::string_view name) { return out_->AddMap(node, name); }
  // A list of refs to `objects` (in order, as given).
  void RefList(uint32_t node, std::string_view name, const std::vector<uint32_t>& objects);
  std::string_view Own(std::string_view text) { return out_->Own(text); }

  // The ipv4-addr/ipv6-addr object for `address` (added once per record), or nullopt when
  // `address` is not an address.
  std::optional<uint32_t> Address(std::string_view address);
  // A domain-name object (added once per record, lower-cased), nullopt for empty or an address.
  std::optional<uint32_t> Domain(std::string_view name);
  // An email-addr object; "Name <a@b>" and "<a@b>" are reduced to the address.
  std::optional<uint32_t> Email(std::string_view text);
  // network-traffic between two endpoints; any part may be missing. Protocols are lower-cased,
  // deduplicated, and "-"/"failed"/"unknown" dropped. Returns the object, or nullopt when there
  // is neither address.
  std::optional<uint32_t> NetworkTraffic(std::optional<std::string_view> src,
                                         std::optional<int64_t> src_port,
                                         std::optional<std::string_view> dst,
                                         std::optional<int64_t> dst_port,
                                         const Protocols& protocols);
  // The connection `traffic` once more, with its server named by `domain` (an HTTP Host, a TLS
  // server name) as dst_ref: MISP's hostname|port and other host-and-port indicators are
  // written [network-traffic:dst_ref.value = 'host' AND network-traffic:dst_port = N], which the
  // address-to-address traffic cannot match. The client (src_ref, src_port) and the protocols
  // are the connection's; `server_is_dst` says which end of `traffic` is the server;
  // `server_port`, when given, is the port the client asked the host for (a Host header's).
  void HostTraffic(uint32_t traffic, uint32_t domain, bool server_is_dst,
                   std::optional<int64_t> server_port);
  bool empty() const { return out_->empty(); }

 private:
  pattern::FlatObservation* out_;
  // Values already added (views into the record's input), so each appears once per record.
  struct Seen_ {
    static constexpr size_t kMax = 16;
    TextRef values[kMax];  // [0, count) are set
    uint32_t objects[kMax];
    size_t count = 0;
  };
  static std::optional<uint32_t> Seen(const Seen_& seen, std::string_view value, bool ignore_case);
  static void Remember(Seen_& seen, std::string_view value, uint32_t object);
  Seen_ addresses_, domains_, emails_;
};

}  // namespace ctihub::telemetry::internal
