#include "generate/telemetry.h"

#include <arpa/inet.h>

#include <cstring>
#include <string>
#include <string_view>

#include "generate/internal/random.h"
#include "generate/internal/values.h"

namespace ctihub::generate {
namespace {

using internal::Rng;
using pattern::SensorValue;
using pattern::SensorValueKind;

constexpr size_t kChunkBytes = 256 * 1024;

// What one record is about; the record kind follows from it (an address goes into a connection,
// a domain into DNS/TLS/HTTP, a hash or file name into a file record).
struct Plant {
  enum class Kind { kNone, kAddress, kDomain, kUrl, kFileHash, kFileName } kind = Kind::kNone;
  std::string address, domain, uri, file_name;
  SensorValueKind hash_kind = SensorValueKind::kMd5;
  std::string hash;
};

// JSON string content: our own values are plain, but planted ones come from indicators.
void AppendEscaped(std::string_view text, std::string* out) {
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      *out += '\\';
      *out += c;
    } else if (u < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      *out += "\\u00";
      *out += kHex[u >> 4];
      *out += kHex[u & 0xF];
    } else {
      *out += c;
    }
  }
}

void Str(std::string* out, std::string_view key, std::string_view value) {
  *out += '"';
  *out += key;
  *out += "\":\"";
  AppendEscaped(value, out);
  *out += "\",";
}

void Num(std::string* out, std::string_view key, uint64_t value) {
  *out += '"';
  *out += key;
  *out += "\":";
  internal::AppendUint(value, out);
  *out += ',';
}

std::string Ipv4(uint32_t address) {
  std::string s;
  internal::AppendIpv4(address, &s);
  return s;
}

// An address inside a planted prefix (the host bits random), or the planted address itself.
std::string AddressFor(const SensorValue& v, Rng& rng) {
  std::string base = v.value.substr(0, v.value.find('/'));
  if (v.kind != SensorValueKind::kIpv4Prefix && v.kind != SensorValueKind::kIpv6Prefix) {
    return base;
  }
  int length = std::stoi(v.value.substr(v.value.find('/') + 1));
  unsigned char bytes[16] = {};
  bool v6 = v.kind == SensorValueKind::kIpv6Prefix;
  if (inet_pton(v6 ? AF_INET6 : AF_INET, base.c_str(), bytes) != 1) return base;
  int bits = v6 ? 128 : 32;
  for (int bit = length; bit < bits; ++bit) {
    unsigned char mask = static_cast<unsigned char>(0x80 >> (bit % 8));
    if (rng.Below(2)) bytes[bit / 8] |= mask; else bytes[bit / 8] &= static_cast<unsigned char>(~mask);
  }
  char text[INET6_ADDRSTRLEN];
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes, text, sizeof text);
  return text;
}

Plant PlantFor(const SensorValue& v, Rng& rng) {
  Plant p;
  switch (v.kind) {
    case SensorValueKind::kIpv4:
    case SensorValueKind::kIpv6:
    case SensorValueKind::kIpv4Prefix:
    case SensorValueKind::kIpv6Prefix:
      p.kind = Plant::Kind::kAddress;
      p.address = AddressFor(v, rng);
      break;
    case SensorValueKind::kDomain:
      p.kind = Plant::Kind::kDomain;
      p.domain = v.value;
      break;
    case SensorValueKind::kUrl: {
      // http://host[:port]/path → the host and the path as an HTTP log records them. Sensors
      // see URLs of cleartext HTTP only: an https (or ftp) URL in an http record would never
      // match its indicator, so it is no value to plant.
      std::string_view rest = v.value;
      if (rest.substr(0, 7) != "http://") break;
      rest = rest.substr(7);
      size_t slash = rest.find('/');
      p.kind = Plant::Kind::kUrl;
      p.domain = std::string(rest.substr(0, slash));
      p.uri = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
      break;
    }
    case SensorValueKind::kMd5:
    case SensorValueKind::kSha1:
    case SensorValueKind::kSha256:
      p.kind = Plant::Kind::kFileHash;
      p.hash_kind = v.kind;
      p.hash = v.value;
      break;
    case SensorValueKind::kFileName:
      p.kind = Plant::Kind::kFileName;
      p.file_name = v.value;
      break;
    default:
      break;  // not something a network log carries
  }
  return p;
}

class TelemetryWriter {
 public:
  TelemetryWriter(const TelemetryOptions& options, const ChunkWriter& write)
      : options_(options), write_(write), rng_(options.seed ^ 0x7e1e3e7e1e3e7e1eull),
        now_(options.start.micros()) {}

  Status Run(TelemetrySummary* summary) {
    std::vector<const SensorValue*> plantable;
    for (const SensorValue& v : options_.hit_values) {
      if (PlantFor(v, rng_).kind == Plant::Kind::kNone) {
        ++summary->values_unplantable;
      } else {
        plantable.push_back(&v);
      }
    }
    for (uint64_t i = 0; i < options_.records; ++i) {
      now_ += 1 + static_cast<int64_t>(rng_.Below(2 * static_cast<uint64_t>(options_.mean_gap_micros)));
      Plant plant;
      if (!plantable.empty() && rng_.Below(1000000) < options_.hit_ppm) {
        plant = PlantFor(*plantable[rng_.Below(plantable.size())], rng_);
        ++summary->hits;
      } else {
        plant = Background();
      }
      Record(plant);
      ++summary->records;
      if (buffer_.size() >= kChunkBytes) CTI_RETURN_IF_ERROR(Flush());
    }
    return Flush();
  }

 private:
  Status Flush() {
    if (buffer_.empty()) return Status::Ok();
    Status s = write_(buffer_);
    buffer_.clear();
    return s;
  }

  // A record about nothing listed: addresses in the benchmarking range 198.18.0.0/15
  // (RFC 2544), domains under .test (RFC 2606), random hashes, "report-<hex>" file names.
  Plant Background() {
    Plant p;
    switch (rng_.Below(8)) {
      case 0: case 1: case 2:
        p.kind = Plant::Kind::kAddress;
        p.address = Ipv4(0xC6120000u | static_cast<uint32_t>(rng_.Below(1u << 17)));
        break;
      case 3: case 4:
        p.kind = Plant::Kind::kDomain;
        p.domain = BackgroundDomain();
        break;
      case 5: case 6:
        p.kind = Plant::Kind::kUrl;
        p.domain = BackgroundDomain();
        p.uri = "/";
        internal::AppendSyllables(rng_, 2, false, &p.uri);
        p.uri += ".php?id=";
        internal::AppendUint(rng_.Below(100000), &p.uri);
        break;
      default: {
        p.kind = Plant::Kind::kFileHash;
        p.hash_kind = SensorValueKind::kSha256;
        internal::AppendHex(rng_, 64, &p.hash);
        break;
      }
    }
    return p;
  }

  std::string BackgroundDomain() {
    std::string d = rng_.Percent(50) ? "www." : "";
    internal::AppendSyllables(rng_, 2 + static_cast<int>(rng_.Below(2)), false, &d);
    d += ".test";
    return d;
  }

  std::string Hash(size_t digits, const Plant& p, SensorValueKind kind) {
    if (p.kind == Plant::Kind::kFileHash && p.hash_kind == kind) return p.hash;
    std::string h;
    internal::AppendHex(rng_, digits, &h);
    return h;
  }

  void Record(const Plant& p) {
    std::string client = Ipv4(0x0A000000u | static_cast<uint32_t>(rng_.Below(1u << 24)));
    std::string server = p.kind == Plant::Kind::kAddress
                             ? p.address
                             : Ipv4(0xC6120000u | static_cast<uint32_t>(rng_.Below(1u << 17)));
    uint64_t client_port = 1024 + rng_.Below(64511);
    std::string uid = "C";
    internal::AppendHex(rng_, 17, &uid);
    bool zeek = options_.format == TelemetryFormat::kZeekJson;
    std::string& o = buffer_;
    o += '{';
    if (zeek) {
      const char* path = "conn";
      if (p.kind == Plant::Kind::kDomain) path = rng_.Percent(60) ? "dns" : "ssl";
      if (p.kind == Plant::Kind::kUrl) path = "http";
      if (p.kind == Plant::Kind::kFileHash || p.kind == Plant::Kind::kFileName) path = "files";
      Str(&o, "_path", path);
      o += "\"ts\":";
      internal::AppendUint(static_cast<uint64_t>(now_ / 1000000), &o);
      o += '.';
      std::string frac = std::to_string(1000000 + now_ % 1000000).substr(1);
      o += frac;
      o += ',';
      std::string_view kind(path);
      if (kind == "files") {
        Str(&o, "fuid", "F" + uid.substr(1));
        o += "\"tx_hosts\":[\"" + server + "\"],\"rx_hosts\":[\"" + client + "\"],";
        Str(&o, "source", "HTTP");
        Str(&o, "mime_type", "application/x-dosexec");
        std::string name = p.file_name;
        if (name.empty()) {
          name = "report-";
          internal::AppendHex(rng_, 8, &name);
          name += ".exe";
        }
        Str(&o, "filename", name);
        Num(&o, "total_bytes", 1000 + rng_.Below(5000000));
        Str(&o, "md5", Hash(32, p, SensorValueKind::kMd5));
        Str(&o, "sha1", Hash(40, p, SensorValueKind::kSha1));
        Str(&o, "sha256", Hash(64, p, SensorValueKind::kSha256));
      } else {
        Str(&o, "uid", uid);
        Str(&o, "id.orig_h", client);
        Num(&o, "id.orig_p", client_port);
        Str(&o, "id.resp_h", server);
        uint64_t port = kind == "dns" ? 53 : (kind == "http" ? 80 : 443);
        Num(&o, "id.resp_p", port);
        Str(&o, "proto", kind == "dns" ? "udp" : "tcp");
        if (kind == "conn") {
          Str(&o, "service", "ssl");
          Num(&o, "orig_bytes", rng_.Below(100000));
          Num(&o, "resp_bytes", rng_.Below(1000000));
          Str(&o, "conn_state", "SF");
        } else if (kind == "dns") {
          Str(&o, "query", p.domain);
          Str(&o, "qtype_name", "A");
          Str(&o, "rcode_name", "NOERROR");
          o += "\"answers\":[\"" + Ipv4(0xC6120000u | static_cast<uint32_t>(rng_.Below(1u << 17))) +
               "\"],";
        } else if (kind == "ssl") {
          Str(&o, "version", "TLSv12");
          Str(&o, "server_name", p.domain);
        } else {
          Str(&o, "method", "GET");
          Str(&o, "host", p.domain);
          Str(&o, "uri", p.uri);
          Str(&o, "user_agent", "Mozilla/5.0");
          Num(&o, "status_code", 200);
        }
      }
    } else {
      const char* event = "flow";
      if (p.kind == Plant::Kind::kDomain) event = rng_.Percent(60) ? "dns" : "tls";
      if (p.kind == Plant::Kind::kUrl) event = "http";
      if (p.kind == Plant::Kind::kFileHash || p.kind == Plant::Kind::kFileName) event = "fileinfo";
      std::string ts = Timestamp(now_).ToString();  // ...uuuuuuZ → Suricata's "+0000" form
      ts.pop_back();
      Str(&o, "timestamp", ts + "+0000");
      Num(&o, "flow_id", rng_.Below(uint64_t{1} << 52));
      Str(&o, "event_type", event);
      std::string_view kind(event);
      bool to_client = kind == "fileinfo";  // a download: the server sends the file
      Str(&o, "src_ip", to_client ? server : client);
      Num(&o, "src_port", to_client ? 80 : client_port);
      Str(&o, "dest_ip", to_client ? client : server);
      Num(&o, "dest_port", to_client ? client_port : (kind == "dns" ? 53 : (kind == "tls" ? 443 : 80)));
      Str(&o, "proto", kind == "dns" ? "UDP" : "TCP");
      if (kind == "flow") {
        o += "\"flow\":{\"pkts_toserver\":";
        internal::AppendUint(1 + rng_.Below(100), &o);
        o += ",\"pkts_toclient\":";
        internal::AppendUint(1 + rng_.Below(100), &o);
        o += ",\"state\":\"closed\"},";
      } else if (kind == "dns") {
        o += "\"dns\":{\"type\":\"query\",\"id\":";
        internal::AppendUint(rng_.Below(65536), &o);
        o += ",\"rrname\":\"";
        AppendEscaped(p.domain, &o);
        o += "\",\"rrtype\":\"A\"},";
      } else if (kind == "tls") {
        o += "\"tls\":{\"sni\":\"";
        AppendEscaped(p.domain, &o);
        o += "\",\"version\":\"TLS 1.2\"},";
      } else if (kind == "http") {
        o += "\"http\":{\"hostname\":\"";
        AppendEscaped(p.domain, &o);
        o += "\",\"url\":\"";
        AppendEscaped(p.uri, &o);
        o += "\",\"http_method\":\"GET\",\"status\":200},";
      } else {
        std::string name = p.file_name;
        if (name.empty()) {
          name = "/report-";
          internal::AppendHex(rng_, 8, &name);
          name += ".exe";
        }
        o += "\"fileinfo\":{";
        Str(&o, "filename", name);
        Str(&o, "md5", Hash(32, p, SensorValueKind::kMd5));
        Str(&o, "sha1", Hash(40, p, SensorValueKind::kSha1));
        Str(&o, "sha256", Hash(64, p, SensorValueKind::kSha256));
        Num(&o, "size", 1000 + rng_.Below(5000000));
        o.back() = '}';
        o += ',';
      }
    }
    o.back() = '}';
    o += '\n';
  }

  const TelemetryOptions& options_;
  const ChunkWriter& write_;
  Rng rng_;
  int64_t now_;
  std::string buffer_;
};

}  // namespace

Status GenerateTelemetry(const TelemetryOptions& options, const ChunkWriter& write,
                         TelemetrySummary* summary) {
  if (options.hit_ppm > 1000000) {
    return Status(StatusCode::kInvalidArgument, "hit rate must be between 0 and 1 (1,000,000 ppm)");
  }
  TelemetrySummary local;
  TelemetryWriter writer(options, write);
  Status s = writer.Run(summary ? summary : &local);
  return s;
}

}  // namespace ctihub::generate
