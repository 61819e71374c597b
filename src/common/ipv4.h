// common/ipv4: dotted-quad IPv4 addresses read exactly as inet_pton(AF_INET) reads them, for the
// hot paths that look at every address of every log record (telemetry readers, the matcher).
//
//   unsigned char bytes[4];
//   if (ParseIpv4("198.51.100.7", bytes)) { ... }
#pragma once

#include <string_view>

namespace ctihub {

// Four decimal parts 0-255 separated by dots, no leading zeros, nothing else (RFC 791 text as
// inet_pton accepts it). Written out because inet_pton needs a NUL-terminated copy.
bool ParseIpv4(std::string_view text, unsigned char out[4]);

}  // namespace ctihub
