#include "common/normalise.h"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>
#include <cstring>

namespace ctihub {

std::string LowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string CanonicalSerialNumber(std::string_view serial) {
  std::string digits;
  digits.reserve(serial.size());
  for (char c : serial) {
    if (c == ':' || c == ' ') continue;
    const int value = HexValue(c);
    if (value < 0) return std::string(serial);
    digits.push_back("0123456789abcdef"[value]);
  }
  if (digits.empty()) return std::string(serial);
  if (digits.size() % 2 != 0) digits.insert(digits.begin(), '0');
  std::string out;
  out.reserve(digits.size() / 2 * 3);
  for (size_t i = 0; i < digits.size(); i += 2) {
    if (i) out.push_back(':');
    out.append(digits, i, 2);
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecoded(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string CanonicalAddress(std::string_view address) {
  const size_t slash = address.find('/');
  const std::string_view host = address.substr(0, slash);
  char text[64];
  unsigned char bytes[16];
  if (host.find(':') == std::string_view::npos || host.size() >= sizeof text) {
    return std::string(address);
  }
  std::memcpy(text, host.data(), host.size());
  text[host.size()] = '\0';
  char canonical[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET6, text, bytes) != 1 ||
      inet_ntop(AF_INET6, bytes, canonical, sizeof canonical) == nullptr) {
    return std::string(address);
  }
  std::string out = canonical;
  if (slash != std::string_view::npos) out.append(address.substr(slash));
  return out;
}

namespace {

bool Unreserved(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

// RFC 3986 §6.2.2.1-2 on a path, query and fragment: "%7e" is "~", "%2f" is "%2F".
std::string NormalisedEscapes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const int hi = text[i] == '%' && i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
    const int lo = hi >= 0 ? HexValue(text[i + 2]) : -1;
    if (lo < 0) {
      out += text[i];
      continue;
    }
    const char decoded = static_cast<char>(hi * 16 + lo);
    if (Unreserved(decoded)) {
      out += decoded;
    } else {
      out += '%';
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(text[i + 1])));
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(text[i + 2])));
    }
    i += 2;
  }
  return out;
}

// RFC 3986 §5.2.4 remove_dot_segments, on an absolute path ("/a/./b/../c" is "/a/c").
std::string WithoutDotSegments(std::string_view in) {
  std::string out;
  while (!in.empty()) {
    if (in.substr(0, 3) == "../") {
      in.remove_prefix(3);
    } else if (in.substr(0, 2) == "./") {
      in.remove_prefix(2);
    } else if (in.substr(0, 3) == "/./") {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.substr(0, 4) == "/../" || in == "/..") {
      in = in.size() == 3 ? std::string_view("/") : in.substr(3);
      const size_t last = out.rfind('/');
      out.erase(last == std::string::npos ? 0 : last);
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      const size_t next = in.find('/', 1);
      out.append(in.substr(0, next));
      in = next == std::string_view::npos ? std::string_view() : in.substr(next);
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> NormaliseUrl(std::string_view url) {
  std::string out;
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    out = "http://";
  } else {
    out = LowerAscii(url.substr(0, sep + 3));
    url.remove_prefix(sep + 3);
  }
  const std::string scheme = out.substr(0, out.size() - 3);
  const size_t end = url.find_first_of("/?#");
  std::string_view authority = url.substr(0, end);
  const std::string_view rest =
      end == std::string_view::npos ? std::string_view() : url.substr(end);
  // user:password@ is kept as written; the host and port follow.
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    out.append(authority.substr(0, at + 1));
    authority.remove_prefix(at + 1);
  }
  // The port follows the last ':' after an IPv6 literal's ']', if any.
  const size_t close = authority.rfind(']');
  const size_t colon = authority.rfind(':');
  std::string_view host = authority, port;
  if (colon != std::string_view::npos && (close == std::string_view::npos || colon > close)) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  // No DNS root dot: "evil.example." names evil.example, as sensors log it.
  while (host.size() > 1 && host.back() == '.' && host.front() != '[') host.remove_suffix(1);
  if (host.empty()) return std::nullopt;
  out += LowerAscii(host);
  if (!port.empty()) {
    int number = 0;
    auto [stop, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (ec != std::errc() || stop != port.data() + port.size() || number < 1 || number > 65535) {
      return std::nullopt;
    }
    const bool default_port =
        (scheme == "http" && number == 80) || (scheme == "https" && number == 443);
    if (!default_port) out += ":" + std::to_string(number);
  }
  if ((scheme == "http" || scheme == "https") && (rest.empty() || rest[0] != '/')) out += '/';
  // §6.2.2.1-2: %-escapes of unreserved characters decoded, the others' hex in upper case; the
  // path's "." and ".." segments removed (§6.2.2.3, the algorithm of §5.2.4). The query and
  // fragment keep their dots.
  if (rest.find('%') == std::string_view::npos && rest.find("/.") == std::string_view::npos) {
    out.append(rest);  // the usual case: nothing to decode, no dot segment
    return out;
  }
  std::string tail = NormalisedEscapes(rest);
  const size_t query = tail.find_first_of("?#");
  std::string path = tail.substr(0, query);
  if (!path.empty() && path[0] == '/') path = WithoutDotSegments(path);
  out += path;
  if (query != std::string::npos) out.append(tail, query);
  return out;
}

}  // namespace ctihub
