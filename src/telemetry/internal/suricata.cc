// Suricata EVE events (Suricata 4–8). Every app-layer object present in an event is mapped,
// whatever its event_type: alert and fileinfo events carry the http/dns/tls/smtp object of their
// transaction.
#include <algorithm>
#include <charconv>
#include <string>
#include <utility>

#include "common/normalise.h"
#include "telemetry/internal/mappings.h"

namespace ctihub::telemetry::internal {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

namespace {

std::optional<std::string_view> Text(object o, std::string_view key) {
  std::string_view v;
  if (o[key].get(v) != simdjson::SUCCESS || v.empty()) return std::nullopt;
  return v;
}

std::optional<int64_t> Integer(object o, std::string_view key) {
  int64_t v;
  if (o[key].get(v) != simdjson::SUCCESS) return std::nullopt;
  return v;
}

// Whether answers of DNS type `rrtype` hold an address (A, AAAA) or a name in their rdata.
bool HoldsAddressOrName(std::string_view rrtype) {
  for (std::string_view type : {"A", "AAAA", "CNAME", "PTR", "MX", "NS", "DNAME"}) {
    if (rrtype == type) return true;
  }
  return false;
}

// DNS in every EVE layout: v1 one event per query/answer (rrname, rdata), v2 answers list and
// `grouped`, v3 (Suricata 8) `queries` and `answers` lists; and in alert events (Suricata 5–7,
// AlertJsonDns) a `query` list of v1 queries and one v2 `answer` object.
void MapDns(object dns, ObservationBuilder* out) {
  std::vector<uint32_t> names, resolved;
  auto add_name = [&](std::optional<std::string_view> name) {
    if (!name) return;
    if (std::optional<uint32_t> object = out->Domain(*name)) {
      if (std::find(names.begin(), names.end(), *object) == names.end()) names.push_back(*object);
    } else {
      out->Address(*name);  // a query for an address literal
    }
  };
  // `rrtype`: the answer's type when logged; only address and name types hold an address or a
  // name (TXT's "v=spf1 …" is no domain-name).
  auto add_answer = [&](std::string_view rdata, std::optional<std::string_view> rrtype) {
    if (rrtype && !HoldsAddressOrName(*rrtype)) return;
    std::optional<uint32_t> object = out->Address(rdata);
    if (!object) object = out->Domain(rdata);
    if (object && std::find(names.begin(), names.end(), *object) == names.end() &&
        std::find(resolved.begin(), resolved.end(), *object) == resolved.end()) {
      resolved.push_back(*object);
    }
  };
  // One query or answer object, in any of the layouts.
  auto read = [&](object o) {
    add_name(Text(o, "rrname"));
    array queries;
    if (o["queries"].get(queries) == simdjson::SUCCESS) {
      for (element q : queries) {
        object qo;
        if (q.get(qo) == simdjson::SUCCESS) add_name(Text(qo, "rrname"));
      }
    }
    if (std::optional<std::string_view> type = Text(o, "type"); type && *type == "answer") {
      if (auto rdata = Text(o, "rdata")) add_answer(*rdata, Text(o, "rrtype"));
    }
    array answers;
    if (o["answers"].get(answers) == simdjson::SUCCESS) {
      for (element a : answers) {
        object ao;
        if (a.get(ao) != simdjson::SUCCESS) continue;
        if (auto rdata = Text(ao, "rdata")) add_answer(*rdata, Text(ao, "rrtype"));
      }
    }
    object grouped;
    if (o["grouped"].get(grouped) == simdjson::SUCCESS) {
      for (auto [rrtype, values] : grouped) {
        array list;
        if (values.get(list) != simdjson::SUCCESS) continue;
        for (element v : list) {
          std::string_view text;
          if (v.get(text) == simdjson::SUCCESS) add_answer(text, rrtype);
        }
      }
    }
  };
  read(dns);
  array alert_queries;
  if (dns["query"].get(alert_queries) == simdjson::SUCCESS) {
    for (element q : alert_queries) {
      object qo;
      if (q.get(qo) == simdjson::SUCCESS) read(qo);
    }
  }
  object alert_answer;
  if (dns["answer"].get(alert_answer) == simdjson::SUCCESS) read(alert_answer);
  if (!names.empty() && !resolved.empty()) {
    out->RefList(out->Node(names.front()), "resolves_to_refs", resolved);
  }
}

// `server_is_dst`: which end of the event's traffic `nt` is the HTTP server; `port` its port.
void MapHttp(object http, std::optional<int64_t> port, std::optional<uint32_t> nt,
             bool server_is_dst, ObservationBuilder* out) {
  std::optional<std::string_view> host = Text(http, "hostname");
  std::optional<std::string_view> url = Text(http, "url");
  if (host) {
    std::optional<uint32_t> domain = out->Domain(*host);
    if (!domain) out->Address(*host);  // "Host: 198.51.100.7"
    // A URL in absolute form went through a proxy: the connection is the proxy's. The port the
    // client asked the host for is the Host header's (http_port), when Suricata logs one.
    if (nt && domain && (!url || url->starts_with('/'))) {
      out->HostTraffic(*nt, *domain, server_is_dst, Integer(http, "http_port"));
    }
    std::optional<int64_t> http_port = Integer(http, "http_port");
    if (!http_port) http_port = port;
    // CONNECT names a host and port to tunnel to (authority form), no resource: no URL.
    if (Text(http, "http_method").value_or("") != "CONNECT") {
      out->OwnText(out->Node(out->Add("url")), "value", RequestUrl(*host, http_port, url));
    }
  }
  std::optional<std::string_view> method = Text(http, "http_method");
  if (nt && url && method) {
    uint32_t ext = out->Map(out->Map(out->Node(*nt), "extensions"), "http-request-ext");
    out->Text(ext, "request_method", method);
    out->Text(ext, "request_value", url);
    out->Text(ext, "request_version", Text(http, "protocol"));
    std::optional<std::string_view> agent = Text(http, "http_user_agent"),
                                    referrer = Text(http, "http_refer");
    if (host || agent || referrer) {
      uint32_t headers = out->Map(ext, "request_header");
      out->Text(headers, "Host", host);
      out->Text(headers, "User-Agent", agent);
      out->Text(headers, "Referer", referrer);
    }
  }
}

void MapTls(object tls, std::optional<uint32_t> nt, bool server_is_dst, ObservationBuilder* out) {
  if (auto sni = Text(tls, "sni")) {
    std::optional<uint32_t> domain = out->Domain(*sni);
    if (!domain) out->Address(*sni);  // a client may name the server by address
    if (nt && domain) out->HostTraffic(*nt, *domain, server_is_dst, std::nullopt);
  }
  uint32_t object = out->Add("x509-certificate");
  uint32_t cert = out->Node(object);
  out->Text(cert, "subject", Text(tls, "subject"));
  out->Text(cert, "issuer", Text(tls, "issuerdn"));
  if (auto serial = Text(tls, "serial")) {
    out->OwnText(cert, "serial_number", CanonicalSerialNumber(*serial));
  }
  for (auto [key, property] : {std::pair{"notbefore", "validity_not_before"},
                               std::pair{"notafter", "validity_not_after"}}) {
    if (auto t = Text(tls, key)) {
      // Suricata writes these without a zone; they are UTC.
      std::string text(*t);
      if (text.find_first_of("Zz+", 19) == std::string::npos) text += 'Z';
      if (auto ts = FromRfc3339(text)) out->OwnText(cert, property, ts->ToString());
    }
  }
  if (auto fp = Text(tls, "fingerprint")) {
    // "aa:bb:…" SHA-1 of the certificate.
    std::string hex;
    for (char c : *fp) {
      if (c != ':') hex += c;
    }
    if (hex.size() == 40) out->OwnText(out->Map(cert, "hashes"), "SHA-1", hex);
  }
  if (out->Size(cert) == 1) out->DropLast(object);
}

void MapFile(object fileinfo, ObservationBuilder* out) {
  uint32_t object = out->Add("file");
  uint32_t file = out->Node(object);
  if (auto name = Text(fileinfo, "filename")) {
    // HTTP file names are paths ("/download/eicar.com"); STIX `name` is the file's own name.
    std::string_view n = *name;
    size_t slash = n.find_last_of('/');
    if (slash != std::string_view::npos && slash + 1 < n.size()) n = n.substr(slash + 1);
    out->Text(file, "name", n);
  }
  if (auto size = Integer(fileinfo, "size")) out->Integer(file, "size", *size);
  std::optional<std::string_view> md5 = Text(fileinfo, "md5"), sha1 = Text(fileinfo, "sha1"),
                                  sha256 = Text(fileinfo, "sha256");
  if (md5 || sha1 || sha256) {
    uint32_t hashes = out->Map(file, "hashes");
    out->HashText(hashes, "MD5", md5);
    out->HashText(hashes, "SHA-1", sha1);
    out->HashText(hashes, "SHA-256", sha256);
  }
  if (out->Size(file) == 1) out->DropLast(object);
}

// As Zeek's smtp log (zeek.cc): the header From is from_ref (the envelope sender when there is
// none); the envelope sender and Reply-To are email-addr objects of their own.
void MapSmtp(std::optional<object> smtp, std::optional<object> email, ObservationBuilder* out) {
  std::optional<uint32_t> from, envelope;
  if (email) {
    if (auto v = Text(*email, "from")) from = out->Email(*v);
  }
  if (smtp) {
    if (auto v = Text(*smtp, "mail_from")) envelope = out->Email(*v);
  }
  if (!from) from = envelope;
  // Suricata's extended e-mail fields.
  std::optional<std::string_view> reply_to = email ? Text(*email, "reply_to") : std::nullopt;
  if (reply_to) out->Email(*reply_to);
  std::vector<uint32_t> to, cc;
  auto add_list = [&](std::optional<object> o, std::string_view key, std::vector<uint32_t>* refs) {
    array list;
    if (!o || (*o)[key].get(list) != simdjson::SUCCESS) return;
    for (element e : list) {
      std::string_view text;
      if (e.get(text) != simdjson::SUCCESS) continue;
      if (auto k = out->Email(text)) {
        if (std::find(to.begin(), to.end(), *k) == to.end() &&
            std::find(cc.begin(), cc.end(), *k) == cc.end()) {
          refs->push_back(*k);
        }
      }
    }
  };
  add_list(email, "to", &to);
  add_list(email, "cc", &cc);
  add_list(smtp, "rcpt_to", &to);  // recipients the headers do not name
  std::optional<std::string_view> subject = email ? Text(*email, "subject") : std::nullopt;
  if (!from && to.empty() && cc.empty() && !subject && !reply_to) return;
  uint32_t message = out->Node(out->Add("email-message"));
  out->Bool(message, "is_multipart", false);
  if (from) out->Ref(message, "from_ref", *from);
  if (!to.empty()) out->RefList(message, "to_refs", to);
  if (!cc.empty()) out->RefList(message, "cc_refs", cc);
  out->Text(message, "subject", subject);
  if (reply_to) out->Text(out->Map(message, "additional_header_fields"), "Reply-To", reply_to);
}

// The top-level members an event is mapped from, found in one pass over its keys (looking each
// up by name scanned the event's keys a dozen times per record). The first of duplicate keys
// counts, as with simdjson's own lookup.
struct EventMembers {
  std::optional<element> event_type, timestamp, proto, app_proto, src_ip, src_port, dest_ip,
      dest_port, flow, dns, http, tls, fileinfo, smtp, email, direction;

  explicit EventMembers(object event) {
    for (auto [key, value] : event) {
      std::optional<element>* slot = Slot(key);
      if (slot != nullptr && !*slot) *slot = value;
    }
  }

  std::optional<element>* Slot(std::string_view key) {
    static constexpr std::pair<std::string_view, std::optional<element> EventMembers::*>
        kMembers[] = {
            {"event_type", &EventMembers::event_type},
            {"timestamp", &EventMembers::timestamp},
            {"proto", &EventMembers::proto},
            {"app_proto", &EventMembers::app_proto},
            {"src_ip", &EventMembers::src_ip},
            {"src_port", &EventMembers::src_port},
            {"dest_ip", &EventMembers::dest_ip},
            {"dest_port", &EventMembers::dest_port},
            {"flow", &EventMembers::flow},
            {"dns", &EventMembers::dns},
            {"http", &EventMembers::http},
            {"tls", &EventMembers::tls},
            {"fileinfo", &EventMembers::fileinfo},
            {"smtp", &EventMembers::smtp},
            {"email", &EventMembers::email},
            {"direction", &EventMembers::direction},
        };
    for (const auto& [name, member] : kMembers) {
      if (key == name) return &(this->*member);
    }
    return nullptr;
  }

  static std::optional<std::string_view> Text(const std::optional<element>& e) {
    std::string_view v;
    if (!e || e->get(v) != simdjson::SUCCESS || v.empty()) return std::nullopt;
    return v;
  }
  // A number, or a string of digits (some exporters rewrite EVE with ports as strings).
  static std::optional<int64_t> Integer(const std::optional<element>& e) {
    int64_t v;
    if (!e) return std::nullopt;
    if (e->get(v) == simdjson::SUCCESS) return v;
    std::string_view digits;
    if (e->get(digits) != simdjson::SUCCESS || digits.empty() || digits.size() > 18) {
      return std::nullopt;
    }
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits[0] == '-') {
      return std::nullopt;
    }
    return v;
  }
  static std::optional<object> Object(const std::optional<element>& e) {
    object o;
    if (!e || e->get(o) != simdjson::SUCCESS) return std::nullopt;
    return o;
  }
};

}  // namespace

Status MapSuricata(object event, ObservationBuilder* out, std::string_view* sensor_kind) {
  EventMembers m(event);
  std::optional<std::string_view> type = m.Text(m.event_type);
  if (!type) return Status(StatusCode::kInvalidArgument, "no event_type");
  *sensor_kind = *type;
  std::optional<std::string_view> ts = m.Text(m.timestamp);
  std::optional<Timestamp> time = ts ? FromRfc3339(*ts) : std::nullopt;
  if (!time) return Status(StatusCode::kInvalidArgument, "no usable 'timestamp'");
  out->SetTime(*time);
  Protocols protocols;
  if (auto proto = m.Text(m.proto)) protocols.Add(*proto);
  if (auto app = m.Text(m.app_proto)) protocols.Add(*app);
  std::optional<int64_t> dest_port = m.Integer(m.dest_port);
  std::optional<int64_t> src_port = m.Integer(m.src_port);
  std::optional<uint32_t> nt =
      out->NetworkTraffic(m.Text(m.src_ip), src_port, m.Text(m.dest_ip), dest_port, protocols);
  if (nt) {
    if (std::optional<object> flow = m.Object(m.flow)) {
      uint32_t o = out->Node(*nt);
      if (auto v = Integer(*flow, "bytes_toserver")) out->Integer(o, "src_byte_count", *v);
      if (auto v = Integer(*flow, "bytes_toclient")) out->Integer(o, "dst_byte_count", *v);
      if (auto v = Integer(*flow, "pkts_toserver")) out->Integer(o, "src_packets", *v);
      if (auto v = Integer(*flow, "pkts_toclient")) out->Integer(o, "dst_packets", *v);
      if (auto start = Text(*flow, "start")) {
        if (auto t = FromRfc3339(*start)) out->OwnText(o, "start", t->ToString());
      }
    }
  }
  if (std::optional<object> dns = m.Object(m.dns)) MapDns(*dns, out);
  // The server's port, for the URL: an http event runs client → server, and an event that says
  // its direction (alerts, Suricata 7's fileinfo) says which end is the server; otherwise (a
  // download's fileinfo runs server → client) the lower port.
  std::optional<std::string_view> direction = m.Text(m.direction);
  bool server_is_dst = true;
  if (*type == "http" || direction == "to_server") {
    server_is_dst = true;
  } else if (direction == "to_client") {
    server_is_dst = false;
  } else if (src_port && (!dest_port || *src_port < *dest_port)) {
    server_is_dst = false;
  }
  std::optional<int64_t> server_port = server_is_dst ? dest_port : src_port;
  if (std::optional<object> http = m.Object(m.http)) {
    MapHttp(*http, server_port, nt, server_is_dst, out);
  }
  if (std::optional<object> tls = m.Object(m.tls)) MapTls(*tls, nt, server_is_dst, out);
  if (std::optional<object> fileinfo = m.Object(m.fileinfo)) MapFile(*fileinfo, out);
  std::optional<object> smtp = m.Object(m.smtp);
  std::optional<object> email = m.Object(m.email);
  if (smtp || email) MapSmtp(smtp, email, out);
  return Status::Ok();
}

}  // namespace ctihub::telemetry::internal
