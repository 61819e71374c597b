#include "net/internal/request_target.h"

#include "common/normalise.h"

namespace ctihub::net::internal {
namespace {

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

}  // namespace

bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

Status ParseRequestTarget(std::string_view target, std::string* path,
                          std::vector<std::pair<std::string, std::string>>* query) {
  path->clear();
  query->clear();
  std::string_view rest = target;
  if (rest == "*") {  // OPTIONS * (RFC 9112 section 3.2.4)
    *path = "*";
    return Status::Ok();
  }
  // Absolute-form is what proxies send; servers must accept it (RFC 9112 section 3.2.2).
  if (StartsWithNoCase(rest, "http://") || StartsWithNoCase(rest, "https://")) {
    rest.remove_prefix(rest.find("://") + 3);
    size_t slash = rest.find_first_of("/?");  // "http://host?x" is path "/" with a query
    rest = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
  }
  if (rest.empty() || (rest[0] != '/' && rest[0] != '?')) {
    return InvalidArgument(
        "request target must start with '/' (origin-form) or be an "
        "absolute http(s) URL");
  }
  // A fragment is never sent by a conforming client; drop it rather than decode it into the path.
  if (size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);

  size_t q = rest.find('?');
  std::string_view raw_path = rest.substr(0, q);
  if (raw_path.empty()) raw_path = "/";
  // An encoded '/' would become a separator once decoded: "/api%2Fcollections/" would reach
  // what a proxy in front, matching on the raw path, took for one segment. None of ctihub's
  // paths has a '/' inside a segment, so it is refused (RFC 3986 §2.2: %2F is data, not a
  // delimiter).
  for (size_t i = 0; i + 2 < raw_path.size(); ++i) {
    if (raw_path[i] == '%' && raw_path[i + 1] == '2' && (raw_path[i + 2] | 0x20) == 'f') {
      return InvalidArgument("request path has an encoded '/' (%2F) inside a segment");
    }
  }
  if (!PercentDecode(raw_path, /*plus_is_space=*/false, path)) {
    return InvalidArgument("request path has a malformed percent-escape (expected %XX)");
  }
  if (path->find('\0') != std::string::npos) {
    return InvalidArgument("request path contains an encoded NUL byte (%00)");
  }
  if (q == std::string_view::npos) return Status::Ok();

  std::string_view raw_query = rest.substr(q + 1);
  while (!raw_query.empty()) {
    size_t amp = raw_query.find('&');
    std::string_view pair = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view() : raw_query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string name;
    std::string value;
    if (!PercentDecode(pair.substr(0, eq), /*plus_is_space=*/true, &name) ||
        (eq != std::string_view::npos &&
         !PercentDecode(pair.substr(eq + 1), /*plus_is_space=*/true, &value))) {
      return InvalidArgument("query string has a malformed percent-escape (expected %XX)");
    }
    query->emplace_back(std::move(name), std::move(value));
  }
  return Status::Ok();
}

}  // namespace ctihub::net::internal
