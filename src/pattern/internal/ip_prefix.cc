#include "pattern/internal/ip_prefix.h"

#include "common/ipv4.h"

#include <arpa/inet.h>

#include <cstring>
#include <string>

namespace ctihub::pattern::internal {

std::optional<IpPrefix> ParseIpPrefix(std::string_view text) {
  IpPrefix prefix;
  std::string_view address = text;
  int length = -1;
  size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    address = text.substr(0, slash);
    std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    length = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      length = length * 10 + (c - '0');
    }
  }
  if (ParseIpv4(address, prefix.bytes)) {
    if (length < 0) length = 32;
    if (length > 32) return std::nullopt;
  } else {
    char buf[64];
    if (address.size() >= sizeof buf) return std::nullopt;
    std::memcpy(buf, address.data(), address.size());
    buf[address.size()] = '\0';
    if (inet_pton(AF_INET6, buf, prefix.bytes) != 1) return std::nullopt;
    prefix.v6 = true;
    if (length < 0) length = 128;
    if (length > 128) return std::nullopt;
  }
  prefix.length = length;
  return prefix;
}

bool PrefixContains(const IpPrefix& outer, const IpPrefix& inner) {
  if (inner.v6 != outer.v6 || inner.length < outer.length) return false;
  int full = outer.length / 8;
  if (std::memcmp(inner.bytes, outer.bytes, full) != 0) return false;
  int rest = outer.length % 8;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xFF << (8 - rest));
  return (inner.bytes[full] & mask) == (outer.bytes[full] & mask);
}

}  // namespace ctihub::pattern::internal
