// Suricata EVE events (Suricata 4–8). Every app-layer object present in an event is mapped,
// whatever its event_type: alert and fileinfo events carry the http/dns/tls/smtp object of their
// transaction.
#include <algorithm>
#include <string>

#include "telemetry/internal/mappings.h"

namespace ctihub::telemetry::internal {

namespace json = boost::json;
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

std::optional<object> Child(object o, std::string_view key) {
  object child;
  if (o[key].get(child) != simdjson::SUCCESS) return std::nullopt;
  return child;
}

void SetText(json::object& target, std::string_view property, std::optional<std::string_view> v) {
  if (v) target[property] = *v;
}

// DNS in all three EVE layouts: v1 one event per query/answer (rrname, rdata), v2 answers list
// and `grouped`, v3 (Suricata 8) `queries` and `answers` lists.
void MapDns(object dns, ObservationBuilder* out) {
  std::vector<std::string> names;
  auto add_name = [&](std::optional<std::string_view> name) {
    if (!name) return;
    if (std::optional<std::string> key = out->Domain(*name)) {
      if (std::find(names.begin(), names.end(), *key) == names.end()) names.push_back(*key);
    }
  };
  add_name(Text(dns, "rrname"));
  array queries;
  if (dns["queries"].get(queries) == simdjson::SUCCESS) {
    for (element q : queries) {
      object qo;
      if (q.get(qo) == simdjson::SUCCESS) add_name(Text(qo, "rrname"));
    }
  }
  json::array resolved(out->storage());
  auto add_answer = [&](std::string_view rdata) {
    std::optional<std::string> key = out->Address(rdata);
    if (!key) key = out->Domain(rdata);
    if (key && std::find(names.begin(), names.end(), *key) == names.end() &&
        std::find(resolved.begin(), resolved.end(), json::value(*key)) == resolved.end()) {
      resolved.emplace_back(*key);
    }
  };
  if (std::optional<std::string_view> type = Text(dns, "type"); type && *type == "answer") {
    if (auto rdata = Text(dns, "rdata")) add_answer(*rdata);
  }
  array answers;
  if (dns["answers"].get(answers) == simdjson::SUCCESS) {
    for (element a : answers) {
      object ao;
      if (a.get(ao) != simdjson::SUCCESS) continue;
      if (auto rdata = Text(ao, "rdata")) add_answer(*rdata);
    }
  }
  object grouped;
  if (dns["grouped"].get(grouped) == simdjson::SUCCESS) {
    for (auto [rrtype, values] : grouped) {
      array list;
      if (values.get(list) != simdjson::SUCCESS) continue;
      for (element v : list) {
        std::string_view text;
        if (v.get(text) == simdjson::SUCCESS) add_answer(text);
      }
    }
  }
  if (!names.empty() && !resolved.empty()) {
    out->Object(names.front())["resolves_to_refs"] = std::move(resolved);
  }
}

void MapHttp(object http, std::optional<int64_t> port, std::optional<std::string> nt,
             ObservationBuilder* out) {
  std::optional<std::string_view> host = Text(http, "hostname");
  std::optional<std::string_view> url = Text(http, "url");
  if (host) {
    out->Domain(*host);
    std::string value = "http://" + std::string(*host);
    std::optional<int64_t> http_port = Integer(http, "http_port");
    if (!http_port) http_port = port;
    if (http_port && *http_port != 80) value += ":" + std::to_string(*http_port);
    value += url ? std::string(*url) : "/";
    out->Add(json::object({{"type", "url"}, {"value", value}}, out->storage()));
  }
  if (nt && url) {
    json::object ext(out->storage());
    SetText(ext, "request_method", Text(http, "http_method"));
    ext["request_value"] = *url;
    SetText(ext, "request_version", Text(http, "protocol"));
    json::object headers(out->storage());
    SetText(headers, "Host", host);
    SetText(headers, "User-Agent", Text(http, "http_user_agent"));
    SetText(headers, "Referer", Text(http, "http_refer"));
    if (!headers.empty()) ext["request_header"] = std::move(headers);
    if (ext.contains("request_method")) {
      out->Object(*nt)["extensions"] = json::object({{"http-request-ext", std::move(ext)}}, out->storage());
    }
  }
}

void MapTls(object tls, ObservationBuilder* out) {
  if (auto sni = Text(tls, "sni")) out->Domain(*sni);
  json::object cert({{"type", "x509-certificate"}}, out->storage());
  SetText(cert, "subject", Text(tls, "subject"));
  SetText(cert, "issuer", Text(tls, "issuerdn"));
  SetText(cert, "serial_number", Text(tls, "serial"));
  for (auto [key, property] : {std::pair{"notbefore", "validity_not_before"},
                               std::pair{"notafter", "validity_not_after"}}) {
    if (auto t = Text(tls, key)) {
      // Suricata writes these without a zone; they are UTC.
      std::string text(*t);
      if (text.find_first_of("Zz+", 19) == std::string::npos) text += 'Z';
      if (auto ts = FromRfc3339(text)) cert[property] = ts->ToString();
    }
  }
  if (auto fp = Text(tls, "fingerprint")) {
    // "aa:bb:…" SHA-1 of the certificate.
    std::string hex;
    for (char c : *fp) if (c != ':') hex += c;
    if (hex.size() == 40) cert["hashes"] = json::object({{"SHA-1", hex}}, out->storage());
  }
  if (cert.size() > 1) out->Add(std::move(cert));
}

void MapFile(object fileinfo, ObservationBuilder* out) {
  json::object file({{"type", "file"}}, out->storage());
  if (auto name = Text(fileinfo, "filename")) {
    // HTTP file names are paths ("/download/eicar.com"); STIX `name` is the file's own name.
    std::string_view n = *name;
    size_t slash = n.find_last_of('/');
    if (slash != std::string_view::npos && slash + 1 < n.size()) n = n.substr(slash + 1);
    file["name"] = n;
  }
  if (auto size = Integer(fileinfo, "size")) file["size"] = *size;
  json::object hashes(out->storage());
  if (auto v = Text(fileinfo, "md5")) hashes["MD5"] = *v;
  if (auto v = Text(fileinfo, "sha1")) hashes["SHA-1"] = *v;
  if (auto v = Text(fileinfo, "sha256")) hashes["SHA-256"] = *v;
  if (!hashes.empty()) file["hashes"] = std::move(hashes);
  if (file.size() > 1) out->Add(std::move(file));
}

void MapSmtp(std::optional<object> smtp, std::optional<object> email, ObservationBuilder* out) {
  json::object message({{"type", "email-message"}, {"is_multipart", false}}, out->storage());
  std::optional<std::string> from;
  if (email) {
    if (auto v = Text(*email, "from")) from = out->Email(*v);
  }
  if (!from && smtp) {
    if (auto v = Text(*smtp, "mail_from")) from = out->Email(*v);
  }
  if (from) message["from_ref"] = *from;
  json::array to(out->storage());
  auto add_list = [&](std::optional<object> o, std::string_view key) {
    array list;
    if (!o || (*o)[key].get(list) != simdjson::SUCCESS) return;
    for (element e : list) {
      std::string_view text;
      if (e.get(text) != simdjson::SUCCESS) continue;
      if (auto k = out->Email(text)) {
        if (std::find(to.begin(), to.end(), json::value(*k)) == to.end()) to.emplace_back(*k);
      }
    }
  };
  add_list(email, "to");
  add_list(smtp, "rcpt_to");
  if (!to.empty()) message["to_refs"] = std::move(to);
  if (email) SetText(message, "subject", Text(*email, "subject"));
  if (message.size() > 2) out->Add(std::move(message));
}

}  // namespace

Status MapSuricata(object event, ObservationBuilder* out, std::string* sensor_kind) {
  std::optional<std::string_view> type = Text(event, "event_type");
  if (!type) return Status(StatusCode::kInvalidArgument, "no event_type");
  *sensor_kind = *type;
  std::optional<std::string_view> ts = Text(event, "timestamp");
  std::optional<Timestamp> time = ts ? FromRfc3339(*ts) : std::nullopt;
  if (!time) return Status(StatusCode::kInvalidArgument, "no usable 'timestamp'");
  out->SetTime(*time);
  Protocols protocols;
  if (auto proto = Text(event, "proto")) protocols.Add(*proto);
  if (auto app = Text(event, "app_proto")) protocols.Add(*app);
  std::optional<int64_t> dest_port = Integer(event, "dest_port");
  std::optional<std::string> nt = out->NetworkTraffic(
      Text(event, "src_ip"), Integer(event, "src_port"), Text(event, "dest_ip"), dest_port,
      protocols);
  if (nt) {
    if (std::optional<object> flow = Child(event, "flow")) {
      json::object& o = out->Object(*nt);
      if (auto v = Integer(*flow, "bytes_toserver")) o["src_byte_count"] = *v;
      if (auto v = Integer(*flow, "bytes_toclient")) o["dst_byte_count"] = *v;
      if (auto v = Integer(*flow, "pkts_toserver")) o["src_packets"] = *v;
      if (auto v = Integer(*flow, "pkts_toclient")) o["dst_packets"] = *v;
      if (auto start = Text(*flow, "start")) {
        if (auto t = FromRfc3339(*start)) o["start"] = t->ToString();
      }
    }
  }
  if (std::optional<object> dns = Child(event, "dns")) MapDns(*dns, out);
  // The server's port: events of a download run server → client, so take the lower port.
  std::optional<int64_t> src_port = Integer(event, "src_port");
  std::optional<int64_t> server_port = dest_port;
  if (src_port && (!dest_port || *src_port < *dest_port)) server_port = src_port;
  if (std::optional<object> http = Child(event, "http")) MapHttp(*http, server_port, nt, out);
  if (std::optional<object> tls = Child(event, "tls")) MapTls(*tls, out);
  if (std::optional<object> fileinfo = Child(event, "fileinfo")) MapFile(*fileinfo, out);
  std::optional<object> smtp = Child(event, "smtp");
  std::optional<object> email = Child(event, "email");
  if (smtp || email) MapSmtp(smtp, email, out);
  return Status::Ok();
}

}  // namespace ctihub::telemetry::internal
