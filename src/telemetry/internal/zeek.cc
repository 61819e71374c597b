// Zeek logs (JSON and TSV share this mapping). Field names are Zeek's own (6.x; older versions
// name the same fields the same way for the logs mapped here).
#include <charconv>
#include <cmath>
#include <string>

#include "telemetry/internal/mappings.h"

namespace ctihub::telemetry::internal {

namespace json = boost::json;

const ZeekField* ZeekRecord::Find(std::string_view name) const {
  for (size_t i = 0; i < size_; ++i) {
    if (fields_[i].name == name) return &fields_[i];
  }
  return nullptr;
}

std::optional<std::string_view> ZeekRecord::Text(std::string_view name) const {
  const ZeekField* f = Find(name);
  if (f == nullptr || f->kind == ZeekField::Kind::kList || f->kind == ZeekField::Kind::kBool) {
    return std::nullopt;
  }
  if (f->text.empty() || f->text == "-") return std::nullopt;
  return f->text;
}

std::optional<int64_t> ZeekRecord::Integer(std::string_view name) const {
  const ZeekField* f = Find(name);
  if (f == nullptr) return std::nullopt;
  if (f->kind == ZeekField::Kind::kNumber && f->text.empty()) {
    double d = f->number;
    if (!std::isfinite(d) || d != std::floor(d)) return std::nullopt;
    return static_cast<int64_t>(d);
  }
  if (f->kind != ZeekField::Kind::kText && f->kind != ZeekField::Kind::kNumber) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(f->text.data(), f->text.data() + f->text.size(), v);
  if (ec != std::errc() || end != f->text.data() + f->text.size()) return std::nullopt;
  return v;
}

const std::vector<std::string_view>* ZeekRecord::List(std::string_view name) const {
  const ZeekField* f = Find(name);
  return f != nullptr && f->kind == ZeekField::Kind::kList ? &f->list : nullptr;
}

Status ZeekFromJson(simdjson::dom::object object, ZeekRecord* record) {
  record->Clear();
  for (auto [key, value] : object) {
    ZeekField& f = record->Append();
    f.name = key;
    switch (value.type()) {
      case simdjson::dom::element_type::STRING:
        f.text = value.get_string().value_unsafe();
        break;
      case simdjson::dom::element_type::INT64:
      case simdjson::dom::element_type::UINT64:
      case simdjson::dom::element_type::DOUBLE:
        f.kind = ZeekField::Kind::kNumber;
        f.number = value.get_double().value_unsafe();
        f.text = {};
        break;
      case simdjson::dom::element_type::BOOL:
        f.kind = ZeekField::Kind::kBool;
        f.boolean = value.get_bool().value_unsafe();
        break;
      case simdjson::dom::element_type::ARRAY: {
        f.kind = ZeekField::Kind::kList;
        simdjson::dom::array members = value.get_array().value_unsafe();
        for (simdjson::dom::element member : members) {
          if (member.is_string()) f.list.push_back(member.get_string().value_unsafe());
        }
        break;
      }
      case simdjson::dom::element_type::OBJECT:
      case simdjson::dom::element_type::NULL_VALUE:
        f.kind = ZeekField::Kind::kBool;  // nested objects and nulls: nothing mapped reads them
        f.boolean = false;
        break;
    }
  }
  return Status::Ok();
}

namespace {

std::optional<Timestamp> RecordTime(const ZeekRecord& r) {
  const ZeekField* ts = r.Find("ts");
  if (ts == nullptr) return std::nullopt;
  if (ts->kind == ZeekField::Kind::kNumber && ts->text.empty()) return FromEpochSeconds(ts->number);
  if (ts->kind != ZeekField::Kind::kText && ts->kind != ZeekField::Kind::kNumber) {
    return std::nullopt;
  }
  // JSON logs written with `JSON::TS_ISO8601` carry ISO text; TSV and default JSON epoch seconds.
  if (std::optional<Timestamp> t = FromEpochText(ts->text)) return t;
  return FromRfc3339(ts->text);
}

std::optional<std::string> TimeText(const ZeekRecord& r, std::string_view name) {
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

void SetText(json::object& o, std::string_view property, std::optional<std::string_view> value) {
  if (value) o[property] = *value;
}

// The connection 4-tuple most Zeek logs carry (id.orig_h …), with `protocols`: the transport,
// then `extra`, then the comma-separated `services` ("ssl,http": several analysers matched).
std::optional<std::string> Connection(const ZeekRecord& r, ObservationBuilder* out,
                                      std::initializer_list<std::string_view> extra,
                                      std::string_view services = {}) {
  Protocols protocols;
  if (std::optional<std::string_view> proto = r.Text("proto")) protocols.Add(*proto);
  for (std::string_view p : extra) protocols.Add(p);
  for (size_t start = 0; !services.empty() && start <= services.size();) {
    size_t comma = services.find(',', start);
    protocols.Add(services.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out->NetworkTraffic(r.Text("id.orig_h"), r.Integer("id.orig_p"), r.Text("id.resp_h"),
                             r.Integer("id.resp_p"), protocols);
}

void Hashes(const ZeekRecord& r, json::object& file) {
  json::object hashes(file.storage());
  if (auto v = r.Text("md5")) hashes["MD5"] = *v;
  if (auto v = r.Text("sha1")) hashes["SHA-1"] = *v;
  if (auto v = r.Text("sha256")) hashes["SHA-256"] = *v;
  if (!hashes.empty()) file["hashes"] = std::move(hashes);
}

// A certificate fingerprint: Zeek 6 writes SHA-256 by default, older versions SHA-1.
void Fingerprint(std::string_view fp, json::object& cert) {
  if (fp.size() == 64) cert["hashes"] = json::object({{"SHA-256", fp}}, cert.storage());
  if (fp.size() == 40) cert["hashes"] = json::object({{"SHA-1", fp}}, cert.storage());
}

}  // namespace

Status MapZeek(std::string_view path, const ZeekRecord& r, ObservationBuilder* out) {
  std::optional<Timestamp> time = RecordTime(r);
  if (!time) return Status(StatusCode::kInvalidArgument, "no usable 'ts' field");
  out->SetTime(*time);

  if (path == "conn") {
    std::optional<std::string> nt = Connection(r, out, {}, r.Text("service").value_or(""));
    if (nt) {
      json::object& o = out->Object(*nt);
      if (auto v = r.Integer("orig_ip_bytes")) o["src_byte_count"] = *v;
      if (auto v = r.Integer("resp_ip_bytes")) o["dst_byte_count"] = *v;
      if (auto v = r.Integer("orig_pkts")) o["src_packets"] = *v;
      if (auto v = r.Integer("resp_pkts")) o["dst_packets"] = *v;
      o["start"] = time->ToString();
    }
    return Status::Ok();
  }
  if (path == "dns") {
    Connection(r, out, {"dns"});
    std::optional<std::string> query = r.Text("query") ? out->Domain(*r.Text("query")) : std::nullopt;
    if (query) {
      json::array resolves(out->storage());
      if (const std::vector<std::string_view>* answers = r.List("answers")) {
        for (std::string_view a : *answers) {
          std::optional<std::string> key = out->Address(a);
          if (!key) key = out->Domain(a);  // CNAME, PTR, MX … names
          if (key && *key != *query) resolves.emplace_back(*key);
        }
      }
      if (!resolves.empty()) out->Object(*query)["resolves_to_refs"] = std::move(resolves);
    }
    return Status::Ok();
  }
  if (path == "http") {
    std::optional<std::string> nt = Connection(r, out, {"http"});
    std::optional<std::string_view> host = r.Text("host");
    std::optional<std::string_view> uri = r.Text("uri");
    if (host) {
      out->Domain(*host);
      std::string url = "http://" + std::string(*host);
      std::optional<int64_t> port = r.Integer("id.resp_p");
      if (port && *port != 80 && host->find(':') == std::string_view::npos) {
        url += ":" + std::to_string(*port);
      }
      url += uri ? std::string(*uri) : "/";
      out->Add(json::object({{"type", "url"}, {"value", url}}, out->storage()));
    }
    if (nt) {
      json::object ext(out->storage());
      SetText(ext, "request_method", r.Text("method"));
      SetText(ext, "request_value", uri);
      if (auto v = r.Text("version")) ext["request_version"] = "HTTP/" + std::string(*v);
      json::object headers(out->storage());
      SetText(headers, "Host", host);
      SetText(headers, "User-Agent", r.Text("user_agent"));
      SetText(headers, "Referer", r.Text("referrer"));
      if (!headers.empty()) ext["request_header"] = std::move(headers);
      if (ext.contains("request_method") && ext.contains("request_value")) {
        out->Object(*nt)["extensions"] = json::object({{"http-request-ext", std::move(ext)}}, out->storage());
      }
    }
    return Status::Ok();
  }
  if (path == "ssl") {
    Connection(r, out, {"ssl"});
    if (auto sni = r.Text("server_name")) out->Domain(*sni);
    if (const std::vector<std::string_view>* fps = r.List("cert_chain_fps"); fps && !fps->empty()) {
      json::object cert({{"type", "x509-certificate"}}, out->storage());
      Fingerprint(fps->front(), cert);
      if (cert.contains("hashes")) out->Add(std::move(cert));
    }
    return Status::Ok();
  }
  if (path == "x509") {
    json::object cert({{"type", "x509-certificate"}}, out->storage());
    SetText(cert, "serial_number", r.Text("certificate.serial"));
    SetText(cert, "subject", r.Text("certificate.subject"));
    SetText(cert, "issuer", r.Text("certificate.issuer"));
    if (auto t = TimeText(r, "certificate.not_valid_before")) cert["validity_not_before"] = *t;
    if (auto t = TimeText(r, "certificate.not_valid_after")) cert["validity_not_after"] = *t;
    if (auto fp = r.Text("fingerprint")) Fingerprint(*fp, cert);
    if (cert.size() > 1) out->Add(std::move(cert));
    if (const auto* names = r.List("san.dns")) for (std::string_view n : *names) out->Domain(n);
    if (const auto* ips = r.List("san.ip")) for (std::string_view a : *ips) out->Address(a);
    if (const auto* mails = r.List("san.email")) for (std::string_view m : *mails) out->Email(m);
    return Status::Ok();
  }
  if (path == "files") {
    json::object file({{"type", "file"}}, out->storage());
    SetText(file, "name", r.Text("filename"));
    SetText(file, "mime_type", r.Text("mime_type"));
    if (auto size = r.Integer("total_bytes")) {
      file["size"] = *size;
    } else if (auto seen = r.Integer("seen_bytes")) {
      file["size"] = *seen;
    }
    Hashes(r, file);
    if (file.size() > 1) out->Add(std::move(file));
    // Zeek 5+ writes the connection of the transfer; older versions list tx/rx hosts.
    Connection(r, out, {});
    for (const char* hosts : {"tx_hosts", "rx_hosts"}) {
      if (const auto* list = r.List(hosts)) for (std::string_view a : *list) out->Address(a);
    }
    return Status::Ok();
  }
  if (path == "smtp") {
    Connection(r, out, {"smtp"});
    json::object message({{"type", "email-message"}, {"is_multipart", false}}, out->storage());
    std::optional<std::string> from;
    if (auto v = r.Text("from")) from = out->Email(*v);
    if (!from) {
      if (auto v = r.Text("mailfrom")) from = out->Email(*v);
    }
    if (from) message["from_ref"] = *from;
    json::array to(out->storage());
    for (const char* field : {"to", "rcptto"}) {
      if (const auto* list = r.List(field)) {
        for (std::string_view m : *list) {
          if (auto key = out->Email(m)) {
            if (std::find(to.begin(), to.end(), json::value(*key)) == to.end()) to.emplace_back(*key);
          }
        }
      }
    }
    if (!to.empty()) message["to_refs"] = std::move(to);
    SetText(message, "subject", r.Text("subject"));
    if (message.size() > 2) out->Add(std::move(message));
    return Status::Ok();
  }
  if (path == "notice") {
    if (!Connection(r, out, {})) {
      out->NetworkTraffic(r.Text("src"), std::nullopt, r.Text("dst"), r.Integer("p"), Protocols{});
    }
    return Status::Ok();
  }
  if (path == "known_services" || path == "software" || path == "known_hosts") {
    if (auto host = r.Text("host")) out->Address(*host);
    if (path == "software") {
      if (auto name = r.Text("name")) {
        json::object sw({{"type", "software"}, {"name", *name}}, out->storage());
        SetText(sw, "version", r.Text("unparsed_version"));
        out->Add(std::move(sw));
      }
    }
    return Status::Ok();
  }
  if (path == "ftp" || path == "kerberos") {
    Connection(r, out, {path});
    std::optional<std::string_view> user = path == "ftp" ? r.Text("user") : r.Text("client");
    if (user) out->Add(json::object({{"type", "user-account"}, {"account_login", *user}}, out->storage()));
    return Status::Ok();
  }
  // Any other log: the connection, when it names one (ssh, rdp, smb_*, dce_rpc, …).
  Connection(r, out, {});
  return Status::Ok();
}

}  // namespace ctihub::telemetry::internal
