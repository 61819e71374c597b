#include "telemetry/internal/builder.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

namespace ctihub::telemetry::internal {

namespace json = boost::json;

bool IsIpv4(std::string_view text) {
  if (text.empty() || text.size() > 15) return false;
  char buf[16];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  unsigned char out[4];
  return inet_pton(AF_INET, buf, out) == 1;
}

bool IsIpv6(std::string_view text) {
  if (text.empty() || text.size() > 45 || text.find(':') == std::string_view::npos) return false;
  char buf[46];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  unsigned char out[16];
  return inet_pton(AF_INET6, buf, out) == 1;
}

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
  return Timestamp(negative ? -total : total);
}

Timestamp FromEpochSeconds(double seconds) { return Timestamp(std::llround(seconds * 1e6)); }

std::optional<Timestamp> FromRfc3339(std::string_view text) {
  if (text.size() < 20) return std::nullopt;
  // Find the zone: 'Z', or '+'/'-' after the time part (position >= 19).
  size_t zone = text.find_first_of("Zz+-", 19);
  if (zone == std::string_view::npos) {
    // No zone at all (some Suricata builds, some JSON exporters): read as UTC.
    Result<Timestamp> utc = Timestamp::Parse(std::string(text) + "Z");
    return utc.ok() ? std::optional(*utc) : std::nullopt;
  }
  std::string utc(text.substr(0, zone));
  utc += 'Z';
  Result<Timestamp> base = Timestamp::Parse(utc);
  if (!base.ok()) return std::nullopt;
  if (text[zone] == 'Z' || text[zone] == 'z') {
    return zone + 1 == text.size() ? std::optional(*base) : std::nullopt;
  }
  std::string_view offset = text.substr(zone + 1);  // "0600" or "06:00"
  std::string hhmm;
  for (char c : offset) {
    if (c == ':') continue;
    if (c < '0' || c > '9') return std::nullopt;
    hhmm += c;
  }
  if (hhmm.size() != 4) return std::nullopt;
  int64_t minutes = ((hhmm[0] - '0') * 10 + (hhmm[1] - '0')) * 60 + (hhmm[2] - '0') * 10 +
                    (hhmm[3] - '0');
  int64_t delta = minutes * 60 * 1'000'000;
  // Local time = UTC + offset, so UTC = local - offset.
  return Timestamp(base->micros() + (text[zone] == '+' ? -delta : delta));
}

std::string ObservationBuilder::Add(json::object sco) {
  std::string key = std::to_string(next_++);
  out_->objects[key] = std::move(sco);
  return key;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::optional<std::string> ObservationBuilder::Seen(const Seen_& seen, std::string_view value,
                                                    bool ignore_case) const {
  for (size_t i = 0; i < seen.count; ++i) {
    if (ignore_case ? EqualsIgnoringCase(seen.values[i], value) : seen.values[i] == value) {
      return std::to_string(seen.keys[i]);
    }
  }
  return std::nullopt;
}

void ObservationBuilder::Remember(Seen_& seen, std::string_view value, const std::string& key) {
  if (seen.count == seen.values.size()) return;  // past that, duplicates are only redundant
  seen.values[seen.count] = value;
  seen.keys[seen.count] = std::stoi(key);
  ++seen.count;
}

std::optional<std::string> ObservationBuilder::Address(std::string_view address) {
  if (std::optional<std::string> key = Seen(addresses_, address, false)) return key;
  const char* type = nullptr;
  if (IsIpv4(address)) {
    type = "ipv4-addr";
  } else if (IsIpv6(address)) {
    type = "ipv6-addr";
  } else {
    return std::nullopt;
  }
  std::string key = Add(json::object({{"type", type}, {"value", address}}, sp_));
  Remember(addresses_, address, key);
  return key;
}

std::optional<std::string> ObservationBuilder::Domain(std::string_view name) {
  while (!name.empty() && name.back() == '.') name.remove_suffix(1);  // FQDN root dot
  if (name.empty() || name == "-" || IsIpv4(name) || IsIpv6(name)) return std::nullopt;
  if (std::optional<std::string> key = Seen(domains_, name, true)) return key;
  json::string lower(name, sp_);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  json::object o({{"type", "domain-name"}}, sp_);
  o["value"] = std::move(lower);
  std::string key = Add(std::move(o));
  Remember(domains_, name, key);
  return key;
}

std::optional<std::string> ObservationBuilder::Email(std::string_view text) {
  size_t open = text.rfind('<');
  if (open != std::string_view::npos) {
    size_t close = text.find('>', open);
    text = text.substr(open + 1, close == std::string_view::npos ? std::string_view::npos
                                                                 : close - open - 1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (text.empty() || text.find('@') == std::string_view::npos) return std::nullopt;
  if (std::optional<std::string> key = Seen(emails_, text, false)) return key;
  std::string key = Add(json::object({{"type", "email-addr"}, {"value", text}}, sp_));
  Remember(emails_, text, key);
  return key;
}

std::optional<std::string> ObservationBuilder::NetworkTraffic(
    std::optional<std::string_view> src, std::optional<int64_t> src_port,
    std::optional<std::string_view> dst, std::optional<int64_t> dst_port,
    const Protocols& protocols) {
  std::optional<std::string> src_key = src ? Address(*src) : std::nullopt;
  std::optional<std::string> dst_key = dst ? Address(*dst) : std::nullopt;
  if (!src_key && !dst_key) return std::nullopt;
  json::object nt({{"type", "network-traffic"}}, sp_);
  if (src_key) nt["src_ref"] = *src_key;
  if (dst_key) nt["dst_ref"] = *dst_key;
  if (src_port && *src_port >= 0 && *src_port <= 65535) nt["src_port"] = *src_port;
  if (dst_port && *dst_port >= 0 && *dst_port <= 65535) nt["dst_port"] = *dst_port;
  json::array list(sp_);
  for (size_t i = 0; i < protocols.count; ++i) {
    std::string_view p = protocols.items[i];
    if (p.empty() || p == "-" || EqualsIgnoringCase(p, "failed") || EqualsIgnoringCase(p, "unknown")) {
      continue;
    }
    bool seen = false;
    for (const json::value& v : list) seen = seen || EqualsIgnoringCase(v.get_string(), p);
    if (seen) continue;
    json::string lower(p, sp_);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    list.emplace_back(std::move(lower));
  }
  // STIX requires `protocols` on network-traffic; a record that names none is still IP.
  if (list.empty()) list.emplace_back("ip");
  nt["protocols"] = std::move(list);
  return Add(std::move(nt));
}

}  // namespace ctihub::telemetry::internal
