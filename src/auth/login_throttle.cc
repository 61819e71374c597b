#include "auth/login_throttle.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace ctihub::auth {

std::optional<std::chrono::seconds> LoginThrottle::RetryAfter(std::string_view address,
                                                              Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(address));
  if (it == entries_.end() || it->second.failures < options_.max_failures) return std::nullopt;
  Clock::time_point until = it->second.last + options_.window;
  if (until <= now) {
    entries_.erase(it);
    return std::nullopt;
  }
  auto wait = std::chrono::ceil<std::chrono::seconds>(until - now);
  return std::max(wait, std::chrono::seconds(1));
}

void LoginThrottle::RecordFailure(std::string_view address, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(address));
  if (it == entries_.end()) {
    if (entries_.size() >= options_.max_addresses) {
      auto stalest = std::min_element(entries_.begin(), entries_.end(), [](const auto& a,
                                                                           const auto& b) {
        return a.second.last < b.second.last;
      });
      entries_.erase(stalest);
    }
    it = entries_.emplace(std::string(address), Entry{0, now, now}).first;
  }
  Entry& e = it->second;
  if (now - e.first > options_.window && e.failures < options_.max_failures) {
    e.failures = 0;  // an old, unfinished streak: start counting afresh
    e.first = now;
  }
  ++e.failures;
  e.last = now;
}

std::string LoginThrottle::AddressKey(std::string_view remote_address) {
  std::string_view host = remote_address;
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    host = host.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1);
    in6_addr v6;
    std::string text(host);
    if (inet_pton(AF_INET6, text.c_str(), &v6) != 1) return text;
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return "";
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
      char v4[INET_ADDRSTRLEN];
      if (v6.s6_addr[12] == 127) return "";
      return inet_ntop(AF_INET, v6.s6_addr + 12, v4, sizeof v4) ? v4 : text;
    }
    std::memset(v6.s6_addr + 8, 0, 8);
    char out[INET6_ADDRSTRLEN];
    if (!inet_ntop(AF_INET6, &v6, out, sizeof out)) return text;
    return std::string(out) + "/64";
  }
  size_t colon = host.rfind(':');
  std::string v4(colon == std::string_view::npos ? host : host.substr(0, colon));
  return v4.rfind("127.", 0) == 0 ? "" : v4;
}

}  // namespace ctihub::auth
