#include "common/ipv4.h"

#include <cstring>

namespace ctihub {

bool ParseIpv4(std::string_view text, unsigned char out[4]) {
  // The same steps as glibc's inet_pton4, on a view.
  unsigned char parts[4] = {};
  unsigned char* part = parts;
  int octets = 0;
  bool saw_digit = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      unsigned value = *part * 10u + static_cast<unsigned>(c - '0');
      if (saw_digit && *part == 0) return false;  // a leading zero
      if (value > 255) return false;
      *part = static_cast<unsigned char>(value);
      if (!saw_digit) {
        if (++octets > 4) return false;
        saw_digit = true;
      }
    } else if (c == '.' && saw_digit) {
      if (octets == 4) return false;
      *++part = 0;
      saw_digit = false;
    } else {
      return false;
    }
  }
  if (octets < 4) return false;
  std::memcpy(out, parts, 4);
  return true;
}

}  // namespace ctihub
