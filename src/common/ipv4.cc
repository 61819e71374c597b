#include "common/ipv4.h"

namespace ctihub {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool ParseIpv4(std::string_view text, unsigned char out[4]) {
  // What glibc's inet_pton4 accepts, octet by octet (1-3 digits, no leading zero, <= 255),
  // without its per-character state machine: every address of every log record comes here.
  const char* p = text.data();
  const char* const end = p + text.size();
  unsigned char parts[4];
  for (int i = 0; i < 4; ++i) {
    if (p == end || !IsDigit(*p)) return false;
    unsigned value = static_cast<unsigned>(*p++ - '0');
    if (p != end && IsDigit(*p)) {
      if (value == 0) return false;  // a leading zero
      value = value * 10 + static_cast<unsigned>(*p++ - '0');
      if (p != end && IsDigit(*p)) {
        value = value * 10 + static_cast<unsigned>(*p++ - '0');
        if (value > 255 || (p != end && IsDigit(*p))) return false;
      }
    }
    parts[i] = static_cast<unsigned char>(value);
    if (i < 3) {
      if (p == end || *p != '.') return false;
      ++p;
    }
  }
  if (p != end) return false;
  for (int i = 0; i < 4; ++i) out[i] = parts[i];
  return true;
}

}  // namespace ctihub
