#include "sensors/sensor_lists.h"

#include <arpa/inet.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>
#include <sstream>

#include "pattern/parser.h"

namespace ctihub::sensors {
namespace {

using pattern::SensorValue;
using pattern::SensorValueKind;

constexpr size_t kFirstSkippedKept = 20;

// Why a value kind cannot go to a sensor in this format; empty when it can.
std::string_view Unsupported(SensorFormat format, SensorValueKind kind) {
  if (format == SensorFormat::kZeekIntel) return {};  // Zeek's Intel types cover every kind
  switch (kind) {
    case SensorValueKind::kIpv4Prefix:
    case SensorValueKind::kIpv6Prefix:
      return "Suricata datasets hold addresses, not prefixes";
    case SensorValueKind::kUrl:
      return "Suricata sees host and path in separate buffers, not whole URLs";
    case SensorValueKind::kEmail:
      return "Suricata has no list match on e-mail addresses";
    case SensorValueKind::kCertificateSha1:
      return "Suricata's tls.cert_fingerprint has no list match";
    case SensorValueKind::kUserName:
      return "Suricata has no list match on user names";
    default:
      return {};
  }
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Zeek compares domains and hashes as seen on the wire, which sensors normalise to lower case;
// a URL loses its scheme because Zeek's Intel::URL values are "host/path".
std::string ForZeek(const SensorValue& v) {
  switch (v.kind) {
    case SensorValueKind::kDomain:
    case SensorValueKind::kMd5:
    case SensorValueKind::kSha1:
    case SensorValueKind::kSha256:
    case SensorValueKind::kCertificateSha1:
      return Lower(v.value);
    case SensorValueKind::kUrl: {
      // Zeek writes host[:port]uri, the port only when it is not 80.
      const size_t scheme = v.value.find("://");
      std::string url = scheme == std::string::npos ? v.value : v.value.substr(scheme + 3);
      size_t path = std::min(url.find_first_of("/?#"), url.size());
      if (path >= 3 && url.compare(path - 3, 3, ":80") == 0) {
        url.erase(path - 3, 3);
        path -= 3;
      }
      // Zeek's request target always starts with '/' ("h/?q=1", "h/").
      if (path == url.size() || url[path] != '/') url.insert(path, "/");
      return url;
    }
    default:
      return v.value;
  }
}

std::string_view ZeekType(SensorValueKind kind) {
  switch (kind) {
    case SensorValueKind::kIpv4:
    case SensorValueKind::kIpv6: return "Intel::ADDR";
    case SensorValueKind::kIpv4Prefix:
    case SensorValueKind::kIpv6Prefix: return "Intel::SUBNET";
    case SensorValueKind::kDomain: return "Intel::DOMAIN";
    case SensorValueKind::kUrl: return "Intel::URL";
    case SensorValueKind::kEmail: return "Intel::EMAIL";
    case SensorValueKind::kMd5:
    case SensorValueKind::kSha1:
    case SensorValueKind::kSha256: return "Intel::FILE_HASH";
    case SensorValueKind::kFileName: return "Intel::FILE_NAME";
    case SensorValueKind::kCertificateSha1: return "Intel::CERT_HASH";
    case SensorValueKind::kUserName: return "Intel::USER_NAME";
  }
  return "Intel::ADDR";
}

// Zeek's TSV reader has no quoting: tabs and line breaks would split fields. It decodes \xNN in
// string fields, so a backslash is written as one (else 'www\x2eevil\x2ecom' would be loaded as
// www.evil.com, not what was exported); and a field that reads as a comment ('#…') or as
// Zeek's unset or empty markers ('-', '(empty)') has its first character written so too.
std::string TsvField(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\t' || c == '\n' || c == '\r') {
      out += ' ';
    } else if (c == '\\') {
      out += "\\x5c";
    } else {
      out += c;
    }
  }
  if (out.empty()) return "-";
  if (out[0] == '#' || out == "-" || out == "(empty)") {
    static constexpr char kHex[] = "0123456789abcdef";
    const unsigned char first = static_cast<unsigned char>(out[0]);
    out.replace(0, 1, std::string("\\x") + kHex[first >> 4] + kHex[first & 0x0F]);
  }
  return out;
}

// Why a value, valid in a pattern, cannot go to a sensor list ("" when it can): sensors see DNS
// names of at most 253 bytes (Suricata 7 also reads dataset lines into 1 KiB, so a longer one
// would be split into other, unlisted entries) and file names of at most 255; a prefix shorter
// than /8 (IPv4) or /16 (IPv6) would match a large part of all traffic; Zeek's URL intel sees
// plain HTTP only.
std::string Unfit(SensorFormat format, const SensorValue& v) {
  switch (v.kind) {
    case SensorValueKind::kDomain: {
      std::string_view name = v.value;
      if (!name.empty() && name.back() == '.') name.remove_suffix(1);
      if (name.empty() || name.size() > 253) return "not a DNS name (1 to 253 bytes)";
      size_t label = 0;
      char previous = '.';
      for (char c : name) {
        const unsigned char u = static_cast<unsigned char>(c);
        if (u >= 0x80) {
          // Sensors log the name as it travels: in its xn-- (punycode) form.
          return "an internationalised DNS name (sensors log its xn-- form; write the pattern "
                 "with that)";
        }
        if (!(std::isalnum(u) || c == '-' || c == '_' || c == '.')) {
          return "not a DNS name (a character a name cannot hold)";
        }
        if (c == '.') {
          if (label == 0) return "not a DNS name (an empty label)";
          if (previous == '-') return "not a DNS name (a label that ends with '-')";
          label = 0;
        } else if (++label > 63) {
          return "not a DNS name (a label longer than 63 bytes)";
        } else if (label == 1 && c == '-') {
          return "not a DNS name (a label that starts with '-')";
        }
        previous = c;
      }
      if (previous == '-') return "not a DNS name (a label that ends with '-')";
      return "";
    }
    case SensorValueKind::kFileName:
      if (v.value.empty() || v.value.size() > 255 ||
          std::any_of(v.value.begin(), v.value.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
          })) {
        return "not a file name a sensor logs (1 to 255 printable bytes)";
      }
      return "";
    case SensorValueKind::kIpv4Prefix:
    case SensorValueKind::kIpv6Prefix: {
      constexpr std::string_view kBroad = "a prefix this broad would match a large part of all traffic";
      const size_t slash = v.value.rfind('/');
      const int length = slash == std::string::npos ? 128 : std::atoi(v.value.c_str() + slash + 1);
      if (v.kind == SensorValueKind::kIpv4Prefix) return length < 8 ? std::string(kBroad) : "";
      if (length < 16) return std::string(kBroad);
      // Zeek holds IPv4 addresses as IPv4-mapped IPv6 (::ffff:a.b.c.d): a prefix over that block
      // is an IPv4 prefix of length - 96, and one holding the whole block holds every IPv4
      // address.
      unsigned char bytes[16];
      const std::string address = v.value.substr(0, slash);
      if (inet_pton(AF_INET6, address.c_str(), bytes) != 1) return "";
      static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
      const int compared = std::min(length, 96);
      bool over_mapped = true;
      for (int bit = 0; bit < compared && over_mapped; ++bit) {
        const unsigned char mask = static_cast<unsigned char>(0x80 >> (bit % 8));
        over_mapped = (bytes[bit / 8] & mask) == (kMapped[bit / 8] & mask);
      }
      if (over_mapped && length - 96 < 8) return std::string(kBroad);
      return "";
    }
    case SensorValueKind::kUrl:
      if (format == SensorFormat::kZeekIntel && Lower(v.value).rfind("http://", 0) != 0) {
        return "Zeek's URL intel sees plain http:// requests only";
      }
      return "";
    default:
      return "";
  }
}


std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace

void SensorLists::Skip(std::string_view id, std::string reason) {
  ++report_.skipped_by_reason[reason];
  if (report_.first_skipped.size() < kFirstSkippedKept) {
    report_.first_skipped.emplace_back(std::string(id), std::move(reason));
  }
}

Status SensorLists::Add(std::string_view id, std::string_view name,
                        std::string_view pattern_text) {
  ++report_.indicators_seen;
  Result<pattern::Pattern> parsed = pattern::ParsePattern(pattern_text);
  if (!parsed.ok()) {
    Skip(id, "pattern does not parse");
    return Status(StatusCode::kFailedPrecondition, "pattern does not parse");
  }
  Result<std::vector<SensorValue>> values = pattern::SensorValues(*parsed);
  if (!values.ok()) {
    Skip(id, values.status().message());
    return values.status();
  }
  std::string description =
      name.empty() ? std::string(id) : std::string(name) + " (" + std::string(id) + ")";
  size_t added = 0;
  std::string last_reason;
  for (SensorValue& v : *values) {
    std::string why(Unsupported(format_, v.kind));
    if (why.empty()) why = Unfit(format_, v);
    if (!why.empty()) {
      last_reason = std::string(pattern::SensorValueKindName(v.kind)) + ": " + why;
      continue;
    }
    entries_.push_back(Entry{std::move(v), description});
    ++added;
  }
  if (added == 0) {
    Skip(id, last_reason);
    return Status(StatusCode::kFailedPrecondition, last_reason);
  }
  ++report_.indicators_exported;
  report_.values_written += added;
  if (!last_reason.empty()) {
    ++report_.indicators_partial;
    if (report_.first_partial.size() < 5) report_.first_partial.emplace_back(id, last_reason);
  }
  return Status::Ok();
}

void SensorLists::WriteZeekIntel(std::ostream& out) const {
  out << "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url\n";
  for (const Entry& e : entries_) {
    out << TsvField(ForZeek(e.value)) << '\t' << ZeekType(e.value.kind) << "\tctihub\t"
        << TsvField(e.description) << "\t-\n";
  }
}

std::vector<SensorLists::File> SensorLists::SuricataFiles() const {
  struct List {
    const char* file;
    std::set<std::string> lines;  // sorted and unique: stable output, no duplicate entries
  };
  List ip{"ctihub-ip.lst", {}}, ip_src{"ctihub-ip-src.lst", {}}, ip_dst{"ctihub-ip-dst.lst", {}},
      domains{"ctihub-domains.lst", {}}, names{"ctihub-filenames.lst", {}},
      md5{"ctihub-md5.txt", {}}, sha1{"ctihub-sha1.txt", {}}, sha256{"ctihub-sha256.txt", {}};
  for (const Entry& e : entries_) {
    const std::string& v = e.value.value;
    switch (e.value.kind) {
      case SensorValueKind::kIpv4:
      case SensorValueKind::kIpv6: {
        // An address the pattern names as a connection's source or destination is matched
        // there only (network-traffic:src_ref / dst_ref), not in either direction.
        List& list = e.value.direction == pattern::SensorDirection::kSource        ? ip_src
                     : e.value.direction == pattern::SensorDirection::kDestination ? ip_dst
                                                                                   : ip;
        list.lines.insert(v.substr(0, v.find('/')));
        break;
      }
      case SensorValueKind::kDomain: domains.lines.insert(Base64(Lower(v))); break;
      case SensorValueKind::kFileName: names.lines.insert(Base64(v)); break;
      case SensorValueKind::kMd5: md5.lines.insert(Lower(v)); break;
      case SensorValueKind::kSha1: sha1.lines.insert(Lower(v)); break;
      case SensorValueKind::kSha256: sha256.lines.insert(Lower(v)); break;
      default: break;  // Unsupported() kept the rest out
    }
  }
  std::vector<File> files;
  for (const List* list : {&ip, &ip_src, &ip_dst, &domains, &names, &md5, &sha1, &sha256}) {
    if (list->lines.empty()) continue;
    File& f = files.emplace_back(File{list->file, {}});
    for (const std::string& line : list->lines) f.content.append(line).push_back('\n');
  }
  // One rule per buffer that can see a list; sids in 9,400,000–9,400,099 (reserve that range).
  std::ostringstream rules;
  rules << "# ctihub sensor export: lists are loaded relative to this file's directory\n"
           "# (keep them beside it). Regenerate with `ctihub export --format suricata-dataset`.\n";
  int sid = 9400001;
  auto rule = [&](const char* proto, const char* msg, const char* match) {
    rules << "alert " << proto << " any any -> any any (msg:\"ctihub: " << msg << "\"; " << match
          << " classtype:trojan-activity; sid:" << sid++ << "; rev:1;)\n";
  };
  if (!ip.lines.empty()) {
    rule("ip", "traffic to a listed address",
         "ip.dst; dataset:isset,ctihub-ip,type ip,load ctihub-ip.lst;");
    rule("ip", "traffic from a listed address",
         "ip.src; dataset:isset,ctihub-ip,type ip,load ctihub-ip.lst;");
  }
  if (!ip_dst.lines.empty()) {
    rule("ip", "traffic to a listed destination",
         "ip.dst; dataset:isset,ctihub-ip-dst,type ip,load ctihub-ip-dst.lst;");
  }
  if (!ip_src.lines.empty()) {
    rule("ip", "traffic from a listed source",
         "ip.src; dataset:isset,ctihub-ip-src,type ip,load ctihub-ip-src.lst;");
  }
  if (!domains.lines.empty()) {
    const char* set = "dataset:isset,ctihub-domains,type string,load ctihub-domains.lst;";
    rule("dns", "DNS query for a listed domain", (std::string("dns.query; ") + set).c_str());
    rule("tls", "TLS SNI of a listed domain", (std::string("tls.sni; ") + set).c_str());
    rule("http", "HTTP host of a listed domain", (std::string("http.host; ") + set).c_str());
  }
  if (!names.lines.empty()) {
    rule("http", "file with a listed name",
         "file.name; dataset:isset,ctihub-filenames,type string,load ctihub-filenames.lst;");
  }
  if (!md5.lines.empty()) rule("http", "file with a listed MD5", "filemd5:ctihub-md5.txt;");
  if (!sha1.lines.empty()) rule("http", "file with a listed SHA-1", "filesha1:ctihub-sha1.txt;");
  if (!sha256.lines.empty()) {
    rule("http", "file with a listed SHA-256", "filesha256:ctihub-sha256.txt;");
  }
  files.push_back({"ctihub.rules", rules.str()});
  return files;
}

}  // namespace ctihub::sensors
