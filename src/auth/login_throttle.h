// auth/login_throttle: slows password and key guessing from one network address. After
// `max_failures` failed authentications from an address within `window`, further attempts from
// it are refused — before any Argon2 work — until `window` has passed since its latest failure.
// A success does not forget the address's failures: one account the guesser holds would
// otherwise reset the count between guesses at others. Thread-safe; memory is bounded
// (`max_addresses`, the stalest entry makes room).
//
//   LoginThrottle throttle;
//   if (auto wait = throttle.RetryAfter(ip)) { /* accept only cached credentials */ }
//   if (!authenticated) throttle.RecordFailure(ip);
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <absl/container/flat_hash_map.h>

namespace ctihub::auth {

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    size_t max_failures = 10;
    std::chrono::seconds window{60};
    size_t max_addresses = 100'000;
  };

  LoginThrottle() : LoginThrottle(Options{}) {}
  explicit LoginThrottle(Options options) : options_(options) {}

  // Whole seconds the address must wait before trying again, or nullopt when it may try now.
  std::optional<std::chrono::seconds> RetryAfter(std::string_view address,
                                                 Clock::time_point now = Clock::now());
  void RecordFailure(std::string_view address, Clock::time_point now = Clock::now());

  // The part of "HOST:PORT" ("[v6]:PORT") that identifies the caller: the host, and for IPv6
  // its /64 prefix, since one client usually holds a whole /64. Empty for loopback callers,
  // which are not throttled: they are on the node itself, or a local reverse proxy through
  // which every client would otherwise share one address and one lock-out.
  static std::string AddressKey(std::string_view remote_address);

 private:
  struct Entry {
    size_t failures = 0;
    Clock::time_point first;  // of the failures counted
    Clock::time_point last;
  };
  const Options options_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_;
};

}  // namespace ctihub::auth
