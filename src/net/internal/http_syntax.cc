#include "net/internal/http_syntax.h"

#include <openssl/err.h>

#include <cctype>

namespace ctihub::net::internal {

namespace {
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= ' ' || c >= 0x7f) return false;
    if (std::string_view("\"(),/:;<=>?@[\\]{}").find(static_cast<char>(c)) !=
        std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool IsFieldValue(std::string_view s, size_t max_size) {
  return s.size() <= max_size &&
         s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool IsValidHostHeader(std::string_view s) {
  std::string_view host = s, port;
  if (!s.empty() && s.front() == '[') {
    const size_t close = s.find(']');
    if (close == std::string_view::npos) return false;
    const std::string_view literal = s.substr(1, close - 1);
    if (literal.empty() ||
        literal.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) {
      return false;  // IPv6 (and dotted IPv4 at its end); IPvFuture is not served
    }
    host = {};
    const std::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
    }
  } else if (const size_t colon = s.rfind(':'); colon != std::string_view::npos) {
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  // reg-name: unreserved / pct-encoded / sub-delims (RFC 3986 section 3.2.2).
  for (size_t i = 0; i < host.size(); ++i) {
    const char c = host[i];
    if (std::isalnum(static_cast<unsigned char>(c)) ||
        std::string_view("-._~!$&'()*+,;=").find(c) != std::string_view::npos) {
      continue;
    }
    if (c == '%' && i + 2 < host.size() && std::isxdigit(static_cast<unsigned char>(host[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(host[i + 2]))) {
      i += 2;
      continue;
    }
    return false;
  }
  return port.find_first_not_of("0123456789") == std::string_view::npos && port.size() <= 5;
}

std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

}  // namespace ctihub::net::internal
