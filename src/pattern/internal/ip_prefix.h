// pattern/internal/ip_prefix: IPv4/IPv6 addresses and CIDR prefixes as ISSUBSET/ISSUPERSET read
// them — one parser shared by the evaluator, the compiled matcher and the sensor exports, so the
// three cannot disagree on what an address is.
#pragma once

#include <optional>
#include <string_view>

namespace ctihub::pattern::internal {

struct IpPrefix {
  bool v6 = false;
  unsigned char bytes[16] = {};
  int length = 0;  // bits
};

// "198.51.100.0/24", "2001:db8::/32", or a plain address (a host prefix: /32, /128).
std::optional<IpPrefix> ParseIpPrefix(std::string_view text);

// True when `inner` lies within `outer` (same family, at least as long, same leading bits).
bool PrefixContains(const IpPrefix& outer, const IpPrefix& inner);

}  // namespace ctihub::pattern::internal
