// Zeek logs (JSON and TSV share this mapping). Field names are Zeek's own (6.x; older versions
// name the same fields the same way for the logs mapped here).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>

#include "common/normalise.h"
#include "telemetry/internal/mappings.h"

namespace ctihub::telemetry::internal {

namespace {

// By ZeekName.
// clang-format off
constexpr std::string_view kZeekNames[] = {
    "_path", "ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service",
    "orig_ip_bytes", "resp_ip_bytes", "orig_pkts", "resp_pkts", "query", "answers", "host", "uri",
    "method", "version", "user_agent", "referrer", "server_name", "cert_chain_fps",
    "certificate.serial", "certificate.subject", "certificate.issuer",
    "certificate.not_valid_before", "certificate.not_valid_after", "fingerprint", "san.dns",
    "san.ip", "san.email", "filename", "mime_type", "total_bytes", "seen_bytes", "md5", "sha1",
    "sha256", "tx_hosts", "rx_hosts", "from", "mailfrom", "to", "rcptto", "subject", "src", "dst",
    "p", "name", "unparsed_version", "user", "client", "cc", "reply_to"};
// clang-format on
static_assert(std::size(kZeekNames) == static_cast<size_t>(ZeekName::kCount));

// Names to ZeekName by open addressing on the length and three characters: every field of every
// record comes here, and most of a log's fields (uid, history, …) are no mapped name.
class NameTable {
 public:
  NameTable() {
    std::fill(std::begin(slots_), std::end(slots_), uint8_t{0});
    for (size_t i = 0; i < std::size(kZeekNames); ++i) {
      size_t at = Hash(kZeekNames[i]);
      while (slots_[at] != 0) at = (at + 1) % kSlots;
      slots_[at] = static_cast<uint8_t>(i + 1);
    }
  }
  std::optional<ZeekName> Find(std::string_view name) const {
    if (name.empty()) return std::nullopt;
    for (size_t at = Hash(name); slots_[at] != 0; at = (at + 1) % kSlots) {
      if (kZeekNames[slots_[at] - 1] == name) return static_cast<ZeekName>(slots_[at] - 1);
    }
    return std::nullopt;
  }

 private:
  static constexpr size_t kSlots = 256;  // a quarter full: probes stay short
  static size_t Hash(std::string_view n) {
    auto c = [&](size_t i) { return static_cast<size_t>(static_cast<unsigned char>(n[i])); };
    return (n.size() * 31 + c(0) * 7 + c(n.size() / 2) * 3 + c(n.size() - 1)) % kSlots;
  }
  uint8_t slots_[kSlots];  // ZeekName + 1; 0: empty
};

}  // namespace

std::optional<ZeekName> ZeekNameOf(std::string_view name) {
  static const NameTable table;
  return table.Find(name);
}

std::optional<std::string_view> ZeekRecord::Text(ZeekName name) const {
  const ZeekField* f = Find(name);
  if (f == nullptr || f->kind == ZeekField::Kind::kList || f->kind == ZeekField::Kind::kBool) {
    return std::nullopt;
  }
  if (f->text.empty() || f->text == "-") return std::nullopt;
  return f->text;
}

std::optional<int64_t> ZeekRecord::Integer(ZeekName name) const {
  const ZeekField* f = Find(name);
  if (f == nullptr) return std::nullopt;
  if (f->kind == ZeekField::Kind::kNumber && f->text.empty()) {
    double d = f->number;
    // Whole and within int64 (2^63 itself is not): converting anything else is undefined.
    if (!std::isfinite(d) || d != std::floor(d) || d < -9223372036854775808.0 ||
        d >= 9223372036854775808.0) {
      return std::nullopt;
    }
    return static_cast<int64_t>(d);
  }
  if (f->kind != ZeekField::Kind::kText && f->kind != ZeekField::Kind::kNumber) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(f->text.data(), f->text.data() + f->text.size(), v);
  if (ec != std::errc() || end != f->text.data() + f->text.size()) return std::nullopt;
  return v;
}

const std::vector<std::string_view>* ZeekRecord::List(ZeekName name) const {
  const ZeekField* f = Find(name);
  return f != nullptr && f->kind == ZeekField::Kind::kList ? &f->list : nullptr;
}

Status ZeekFromJson(simdjson::dom::object object, ZeekRecord* record) {
  record->Clear();
  for (auto [key, value] : object) {
    ZeekField* f = record->Append(key);
    if (f == nullptr) continue;  // no mapping reads it (DOM has checked it already)
    switch (value.type()) {
      case simdjson::dom::element_type::STRING:
        f->text = value.get_string().value_unsafe();
        break;
      case simdjson::dom::element_type::INT64:
      case simdjson::dom::element_type::UINT64:
      case simdjson::dom::element_type::DOUBLE:
        f->kind = ZeekField::Kind::kNumber;
        f->number = value.get_double().value_unsafe();
        break;
      case simdjson::dom::element_type::BOOL:
        f->kind = ZeekField::Kind::kBool;
        f->boolean = value.get_bool().value_unsafe();
        break;
      case simdjson::dom::element_type::ARRAY: {
        f->kind = ZeekField::Kind::kList;
        simdjson::dom::array members = value.get_array().value_unsafe();
        for (simdjson::dom::element member : members) {
          if (member.is_string()) f->list.push_back(member.get_string().value_unsafe());
        }
        break;
      }
      case simdjson::dom::element_type::OBJECT:
      case simdjson::dom::element_type::NULL_VALUE:
        f->kind = ZeekField::Kind::kBool;  // nested objects and nulls: nothing mapped reads them
        f->boolean = false;
        break;
    }
  }
  return Status::Ok();
}

namespace {

// Reads a value the mapping does not use (nested objects, nulls, lists of non-strings), so a line
// that is not well-formed JSON is still refused as DOM parsing refused it. `depth` is the nesting
// of the object or array `value` would open (the record itself is 1). On-Demand does not limit
// it, so DOM's limit is applied here as DOM counts (a container with members, from 1,024 on),
// which also bounds the recursion on hostile input.
simdjson::error_code SkipValue(simdjson::ondemand::value value, size_t depth) {
  namespace od = simdjson::ondemand;
  od::json_type type;
  if (auto e = value.type().get(type)) return e;
  const bool too_deep = depth >= simdjson::DEFAULT_MAX_DEPTH;
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (auto e = value.get_object().get(object)) return e;
      for (auto member : object) {
        if (too_deep) return simdjson::DEPTH_ERROR;
        od::field field;
        if (auto e = std::move(member).get(field)) return e;
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) return e;
        if (auto e = SkipValue(field.value(), depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array array;
      if (auto e = value.get_array().get(array)) return e;
      for (auto element : array) {
        if (too_deep) return simdjson::DEPTH_ERROR;
        od::value member;
        if (auto e = std::move(element).get(member)) return e;
        if (auto e = SkipValue(member, depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view text;
      return value.get_string().get(text);
    }
    case od::json_type::number: {
      double number;
      return value.get_double().get(number);
    }
    case od::json_type::boolean: {
      bool flag;
      return value.get_bool().get(flag);
    }
    case od::json_type::null: {
      bool null;
      if (auto e = value.is_null().get(null)) return e;
      return null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::INCORRECT_TYPE;
}

}  // namespace

simdjson::error_code ZeekFromLine(simdjson::ondemand::parser& parser, std::string_view line,
                                  ZeekRecord* record) {
  // One pass over the fields with simdjson's On-Demand API: a Zeek record is flat and every field
  // is read, so building DOM's tape first only doubled the work (a fifth of reading a log).
  record->Clear();
  namespace od = simdjson::ondemand;
  // The line lies in a buffer with SIMDJSON_PADDING readable bytes after it.
  od::document doc;
  if (auto e = parser.iterate(line.data(), line.size(), line.size() + simdjson::SIMDJSON_PADDING)
                   .get(doc)) {
    return e;
  }
  od::object object;
  if (auto e = doc.get_object().get(object)) return e;
  for (auto member : object) {
    od::field field;
    if (auto e = std::move(member).get(field)) return e;
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return e;
    od::value value = field.value();
    ZeekField* f = record->Append(key);
    if (f == nullptr) {  // no mapping reads it: checked, as a JSON parser would, and dropped
      if (auto e = SkipValue(value, 2)) return e;
      continue;
    }
    od::json_type type;
    if (auto e = value.type().get(type)) return e;
    switch (type) {
      case od::json_type::string:
        if (auto e = value.get_string().get(f->text)) return e;
        break;
      case od::json_type::number:
        f->kind = ZeekField::Kind::kNumber;
        if (auto e = value.get_double().get(f->number)) return e;
        break;
      case od::json_type::boolean:
        f->kind = ZeekField::Kind::kBool;
        if (auto e = value.get_bool().get(f->boolean)) return e;
        break;
      case od::json_type::array: {
        f->kind = ZeekField::Kind::kList;
        od::array members;
        if (auto e = value.get_array().get(members)) return e;
        for (auto element : members) {
          od::value member_value;
          if (auto e = std::move(element).get(member_value)) return e;
          od::json_type member_type;
          if (auto e = member_value.type().get(member_type)) return e;
          if (member_type != od::json_type::string) {
            if (auto e = SkipValue(member_value, 3)) return e;  // in the record's list
            continue;
          }
          std::string_view text;
          if (auto e = member_value.get_string().get(text)) return e;
          f->list.push_back(text);
        }
        break;
      }
      case od::json_type::object:
      case od::json_type::null:
        f->kind = ZeekField::Kind::kBool;  // nested objects and nulls: nothing mapped reads them
        f->boolean = false;
        if (auto e = SkipValue(value, 2)) return e;
        break;
    }
  }
  // Anything after the object (simdjson 3.0 has no document::at_end): a location in bounds.
  const char* rest = nullptr;
  if (doc.current_location().get(rest) == simdjson::SUCCESS) return simdjson::TRAILING_CONTENT;
  return simdjson::SUCCESS;
}

namespace {

std::optional<Timestamp> RecordTime(const ZeekRecord& r) {
  const ZeekField* ts = r.Find(ZeekName::kTs);
  if (ts == nullptr) return std::nullopt;
  if (ts->kind == ZeekField::Kind::kNumber && ts->text.empty()) return FromEpochSeconds(ts->number);
  if (ts->kind != ZeekField::Kind::kText && ts->kind != ZeekField::Kind::kNumber) {
    return std::nullopt;
  }
  // JSON logs written with `JSON::TS_ISO8601` carry ISO text; TSV and default JSON epoch seconds.
  if (std::optional<Timestamp> t = FromEpochText(ts->text)) return t;
  return FromRfc3339(ts->text);
}

std::optional<std::string> TimeText(const ZeekRecord& r, ZeekName name) {
  const ZeekField* f = r.Find(name);
  if (f == nullptr) return std::nullopt;
  std::optional<Timestamp> t;
  if (f->kind == ZeekField::Kind::kNumber && f->text.empty()) {
    t = FromEpochSeconds(f->number);
  } else if (f->kind == ZeekField::Kind::kText || f->kind == ZeekField::Kind::kNumber) {
    t = FromEpochText(f->text);
    if (!t) t = FromRfc3339(f->text);
  }
  if (!t) return std::nullopt;
  return t->ToString();
}

// `transport`: what the application protocol runs over, for logs without conn.log's `proto`
// (http, ssl, smtp), so that `network-traffic:protocols[*] = 'tcp'` matches their connections.
std::optional<uint32_t> Connection(const ZeekRecord& r, ObservationBuilder* out,
                                   std::initializer_list<std::string_view> extra,
                                   std::string_view services = {},
                                   std::string_view transport = {}) {
  Protocols protocols;
  if (std::optional<std::string_view> proto = r.Text(ZeekName::kProto)) {
    protocols.Add(*proto);
  } else if (!transport.empty()) {
    protocols.Add(transport);
  }
  for (std::string_view p : extra) protocols.Add(p);
  for (size_t start = 0; !services.empty() && start <= services.size();) {
    size_t comma = services.find(',', start);
    protocols.Add(services.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out->NetworkTraffic(r.Text(ZeekName::kOrigH), r.Integer(ZeekName::kOrigP),
                             r.Text(ZeekName::kRespH), r.Integer(ZeekName::kRespP), protocols);
}

void Hashes(const ZeekRecord& r, uint32_t file, ObservationBuilder* out) {
  std::optional<std::string_view> md5 = r.Text(ZeekName::kMd5), sha1 = r.Text(ZeekName::kSha1),
                                  sha256 = r.Text(ZeekName::kSha256);
  if (!md5 && !sha1 && !sha256) return;
  uint32_t hashes = out->Map(file, "hashes");
  out->HashText(hashes, "MD5", md5);
  out->HashText(hashes, "SHA-1", sha1);
  out->HashText(hashes, "SHA-256", sha256);
}

// A certificate fingerprint: Zeek 6 writes SHA-256 by default, older versions SHA-1.
void Fingerprint(std::string_view fp, uint32_t cert, ObservationBuilder* out) {
  if (fp.size() == 64) out->Text(out->Map(cert, "hashes"), "SHA-256", fp);
  if (fp.size() == 40) out->Text(out->Map(cert, "hashes"), "SHA-1", fp);
}

}  // namespace

Status MapZeek(std::string_view path, const ZeekRecord& r, ObservationBuilder* out) {
  std::optional<Timestamp> time = RecordTime(r);
  if (!time) return Status(StatusCode::kInvalidArgument, "no usable 'ts' field");
  out->SetTime(*time);

  if (path == "conn") {
    std::optional<uint32_t> nt = Connection(r, out, {}, r.Text(ZeekName::kService).value_or(""));
    if (nt) {
      uint32_t o = out->Node(*nt);
      if (auto v = r.Integer(ZeekName::kOrigIpBytes)) out->Integer(o, "src_byte_count", *v);
      if (auto v = r.Integer(ZeekName::kRespIpBytes)) out->Integer(o, "dst_byte_count", *v);
      if (auto v = r.Integer(ZeekName::kOrigPkts)) out->Integer(o, "src_packets", *v);
      if (auto v = r.Integer(ZeekName::kRespPkts)) out->Integer(o, "dst_packets", *v);
      out->OwnText(o, "start", time->ToString());
    }
    return Status::Ok();
  }
  if (path == "dns") {
    Connection(r, out, {"dns"});
    // A query that is an address ("10.47.7.30": a resolver asked for an IP literal) is mapped as
    // one; its answers are mapped whatever the query was (unset too).
    std::optional<std::string_view> name = r.Text(ZeekName::kQuery);
    std::optional<uint32_t> query = name ? out->Domain(*name) : std::nullopt;
    if (name && !query) out->Address(*name);
    std::vector<uint32_t> resolves;
    if (const std::vector<std::string_view>* answers = r.List(ZeekName::kAnswers)) {
      for (std::string_view a : *answers) {
        std::optional<uint32_t> object = out->Address(a);
        // CNAME, PTR, MX … names; not text ("TXT 27 v=spf1 …", which Zeek writes with spaces).
        if (!object && a.find(' ') == std::string_view::npos) object = out->Domain(a);
        if (object && object != query &&
            std::find(resolves.begin(), resolves.end(), *object) == resolves.end()) {
          resolves.push_back(*object);
        }
      }
    }
    if (query && !resolves.empty()) out->RefList(out->Node(*query), "resolves_to_refs", resolves);
    return Status::Ok();
  }
  if (path == "http") {
    std::optional<uint32_t> nt = Connection(r, out, {"http"}, {}, "tcp");
    std::optional<std::string_view> host = r.Text(ZeekName::kHost);
    std::optional<std::string_view> uri = r.Text(ZeekName::kUri);
    if (host) {
      const HostAndPort named = SplitHostPort(*host);
      std::optional<uint32_t> domain = out->Domain(named.name);
      if (!domain) out->Address(named.name);  // "Host: 198.51.100.7"
      // A target in absolute form went through a proxy: the connection is the proxy's.
      if (nt && domain && (!uri || uri->starts_with('/'))) {
        out->HostTraffic(*nt, *domain, /*server_is_dst=*/true, named.port);
      }
      // The URL from the name and port apart, as literals are canonicalised: an explicit ":80"
      // dropped. The server's port when the Host names none; none for a Host with a colon but
      // no port number after it.
      std::optional<int64_t> port = named.port;
      if (!port && (named.name.find(':') == std::string_view::npos || IsIpv6(named.name))) {
        port = r.Integer(ZeekName::kRespP);
      }
      // CONNECT names a host and port to tunnel to (authority form), no resource: no URL.
      if (r.Text(ZeekName::kMethod).value_or("") != "CONNECT") {  // methods are case-sensitive
        out->OwnText(out->Node(out->Add("url")), "value", RequestUrl(named.name, port, uri));
      }
    }
    std::optional<std::string_view> method = r.Text(ZeekName::kMethod);
    if (nt && method && uri) {
      uint32_t ext = out->Map(out->Map(out->Node(*nt), "extensions"), "http-request-ext");
      out->Text(ext, "request_method", method);
      out->Text(ext, "request_value", uri);
      if (auto v = r.Text(ZeekName::kVersion)) {
        out->OwnText(ext, "request_version", "HTTP/" + std::string(*v));
      }
      std::optional<std::string_view> agent = r.Text(ZeekName::kUserAgent),
                                      referrer = r.Text(ZeekName::kReferrer);
      if (host || agent || referrer) {
        uint32_t headers = out->Map(ext, "request_header");
        out->Text(headers, "Host", host);
        out->Text(headers, "User-Agent", agent);
        out->Text(headers, "Referer", referrer);
      }
    }
    return Status::Ok();
  }
  if (path == "ssl") {
    // ssl.log has DTLS too (version "DTLSv12"), which is over UDP.
    const bool dtls = r.Text(ZeekName::kVersion).value_or("").starts_with("DTLS");
    std::optional<uint32_t> nt = Connection(r, out, {"ssl"}, {}, dtls ? "udp" : "tcp");
    if (auto sni = r.Text(ZeekName::kServerName)) {
      std::optional<uint32_t> domain = out->Domain(*sni);
      if (!domain) out->Address(*sni);  // a client may name the server by address
      if (nt && domain) out->HostTraffic(*nt, *domain, /*server_is_dst=*/true, std::nullopt);
    }
    // The whole chain: an intermediate's fingerprint identifies a malicious CA as well.
    if (const std::vector<std::string_view>* fps = r.List(ZeekName::kCertChainFps)) {
      for (std::string_view fp : *fps) {
        if (fp.size() == 64 || fp.size() == 40) {
          Fingerprint(fp, out->Node(out->Add("x509-certificate")), out);
        }
      }
    }
    return Status::Ok();
  }
  if (path == "x509") {
    uint32_t object = out->Add("x509-certificate");
    uint32_t cert = out->Node(object);
    if (auto serial = r.Text(ZeekName::kCertSerial)) {
      out->OwnText(cert, "serial_number", CanonicalSerialNumber(*serial));
    }
    out->Text(cert, "subject", r.Text(ZeekName::kCertSubject));
    out->Text(cert, "issuer", r.Text(ZeekName::kCertIssuer));
    if (auto t = TimeText(r, ZeekName::kCertNotBefore)) {
      out->OwnText(cert, "validity_not_before", *t);
    }
    if (auto t = TimeText(r, ZeekName::kCertNotAfter)) out->OwnText(cert, "validity_not_after", *t);
    if (auto fp = r.Text(ZeekName::kFingerprint)) Fingerprint(*fp, cert, out);
    if (out->Size(cert) == 1) out->DropLast(object);
    if (const auto* names = r.List(ZeekName::kSanDns)) {
      for (std::string_view n : *names) {
        if (!out->Domain(n)) out->Address(n);  // an address written as a DNS SAN
      }
    }
    if (const auto* ips = r.List(ZeekName::kSanIp)) {
      for (std::string_view a : *ips) out->Address(a);
    }
    if (const auto* mails = r.List(ZeekName::kSanEmail)) {
      for (std::string_view m : *mails) out->Email(m);
    }
    return Status::Ok();
  }
  if (path == "files") {
    uint32_t object = out->Add("file");
    uint32_t file = out->Node(object);
    out->Text(file, "name", r.Text(ZeekName::kFilename));
    out->Text(file, "mime_type", r.Text(ZeekName::kMimeType));
    if (auto size = r.Integer(ZeekName::kTotalBytes)) {
      out->Integer(file, "size", *size);
    } else if (auto seen = r.Integer(ZeekName::kSeenBytes)) {
      out->Integer(file, "size", *seen);
    }
    Hashes(r, file, out);
    if (out->Size(file) == 1) out->DropLast(object);
    // Zeek 5+ writes the connection of the transfer; older versions list tx/rx hosts.
    Connection(r, out, {});
    for (ZeekName hosts : {ZeekName::kTxHosts, ZeekName::kRxHosts}) {
      if (const auto* list = r.List(hosts)) {
        for (std::string_view a : *list) out->Address(a);
      }
    }
    return Status::Ok();
  }
  if (path == "smtp") {
    Connection(r, out, {"smtp"}, {}, "tcp");
    // The header From is the message's from_ref (the envelope sender when there is none). The
    // envelope sender (MAIL FROM: a bounce address, the real sender of a spoofed From) is an
    // email-addr of its own when it is another address: STIX has no envelope property, and
    // sender_ref is the Sender header. Reply-To likewise, and as the header field.
    std::optional<uint32_t> from, envelope;
    if (auto v = r.Text(ZeekName::kFrom)) from = out->Email(*v);
    if (auto v = r.Text(ZeekName::kMailFrom)) envelope = out->Email(*v);
    if (!from) from = envelope;
    std::optional<std::string_view> reply_to = r.Text(ZeekName::kReplyTo);
    if (reply_to) out->Email(*reply_to);
    std::vector<uint32_t> to, cc;
    // RCPT TO recipients the headers do not name are to_refs too (Bcc, or no headers seen).
    for (auto [field, refs] : {std::pair{ZeekName::kTo, &to}, std::pair{ZeekName::kCc, &cc},
                               std::pair{ZeekName::kRcptTo, &to}}) {
      if (const auto* list = r.List(field)) {
        for (std::string_view m : *list) {
          if (auto object = out->Email(m)) {
            if (std::find(to.begin(), to.end(), *object) == to.end() &&
                std::find(cc.begin(), cc.end(), *object) == cc.end()) {
              refs->push_back(*object);
            }
          }
        }
      }
    }
    std::optional<std::string_view> subject = r.Text(ZeekName::kSubject);
    if (from || !to.empty() || !cc.empty() || subject || reply_to) {
      uint32_t message = out->Node(out->Add("email-message"));
      out->Bool(message, "is_multipart", false);
      if (from) out->Ref(message, "from_ref", *from);
      if (!to.empty()) out->RefList(message, "to_refs", to);
      if (!cc.empty()) out->RefList(message, "cc_refs", cc);
      out->Text(message, "subject", subject);
      if (reply_to) out->Text(out->Map(message, "additional_header_fields"), "Reply-To", reply_to);
    }
    return Status::Ok();
  }
  if (path == "notice") {
    if (!Connection(r, out, {})) {
      out->NetworkTraffic(r.Text(ZeekName::kSrc), std::nullopt, r.Text(ZeekName::kDst),
                          r.Integer(ZeekName::kP), Protocols{});
    }
    return Status::Ok();
  }
  if (path == "known_services" || path == "software" || path == "known_hosts") {
    if (auto host = r.Text(ZeekName::kHost)) out->Address(*host);
    if (path == "software") {
      if (auto name = r.Text(ZeekName::kName)) {
        uint32_t sw = out->Node(out->Add("software"));
        out->Text(sw, "name", name);
        out->Text(sw, "version", r.Text(ZeekName::kUnparsedVersion));
      }
    }
    return Status::Ok();
  }
  if (path == "ftp" || path == "kerberos") {
    Connection(r, out, {path});
    std::optional<std::string_view> user =
        path == "ftp" ? r.Text(ZeekName::kUser) : r.Text(ZeekName::kClient);
    if (user) out->Text(out->Node(out->Add("user-account")), "account_login", user);
    return Status::Ok();
  }
  // Any other log: the connection, when it names one (ssh, rdp, smb_*, dce_rpc, …).
  Connection(r, out, {});
  return Status::Ok();
}

}  // namespace ctihub::telemetry::internal
