#include "auth/login_throttle.h"

#include <gtest/gtest.h>

namespace ctihub::auth {
namespace {

using namespace std::chrono_literals;
using Clock = LoginThrottle::Clock;

TEST(LoginThrottle, RefusesAnAddressAfterTooManyFailuresUntilTheWindowPasses) {
  LoginThrottle throttle({.max_failures = 3, .window = 60s, .max_addresses = 100});
  Clock::time_point t0 = Clock::now();
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(throttle.RetryAfter("10.0.0.1", t0 + i * 1s)) << i;
    throttle.RecordFailure("10.0.0.1", t0 + i * 1s);
  }
  std::optional<std::chrono::seconds> wait = throttle.RetryAfter("10.0.0.1", t0 + 2s);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 60s);  // from the latest failure
  EXPECT_EQ(*throttle.RetryAfter("10.0.0.1", t0 + 31500ms), 31s);
  EXPECT_FALSE(throttle.RetryAfter("10.0.0.2", t0 + 2s)) << "another address is not affected";
  EXPECT_FALSE(throttle.RetryAfter("10.0.0.1", t0 + 62s)) << "the window has passed";
}

TEST(LoginThrottle, OldFailuresDoNotAccumulate) {
  LoginThrottle throttle({.max_failures = 3, .window = 10s, .max_addresses = 100});
  Clock::time_point t0 = Clock::now();
  // Failures spread wider than the window never add up to a refusal.
  for (int i = 0; i < 10; ++i) throttle.RecordFailure("b", t0 + i * 6s);
  EXPECT_FALSE(throttle.RetryAfter("b", t0 + 55s));
}

TEST(LoginThrottle, MemoryIsBoundedByEvictingTheStalestAddress) {
  LoginThrottle throttle({.max_failures = 1, .window = 60s, .max_addresses = 2});
  Clock::time_point t0 = Clock::now();
  throttle.RecordFailure("old", t0);
  throttle.RecordFailure("mid", t0 + 1s);
  throttle.RecordFailure("new", t0 + 2s);
  EXPECT_FALSE(throttle.RetryAfter("old", t0 + 3s));
  EXPECT_TRUE(throttle.RetryAfter("mid", t0 + 3s));
  EXPECT_TRUE(throttle.RetryAfter("new", t0 + 3s));
}

TEST(LoginThrottle, AddressKeyDropsThePortAndGroupsAnIpv6Slash64) {
  EXPECT_EQ(LoginThrottle::AddressKey("192.0.2.7:53412"), "192.0.2.7");
  EXPECT_EQ(LoginThrottle::AddressKey("[2001:db8:1:2:aaaa::1]:443"), "2001:db8:1:2::/64");
  EXPECT_EQ(LoginThrottle::AddressKey("[2001:db8:1:2:bbbb::9]:80"), "2001:db8:1:2::/64");
  EXPECT_EQ(LoginThrottle::AddressKey("[::ffff:192.0.2.7]:1"), "192.0.2.7");
  EXPECT_EQ(LoginThrottle::AddressKey(""), "");
  EXPECT_EQ(LoginThrottle::AddressKey("127.0.0.1:9"), "") << "loopback is not throttled";
  EXPECT_EQ(LoginThrottle::AddressKey("[::1]:9"), "");
  EXPECT_EQ(LoginThrottle::AddressKey("[::ffff:127.0.0.2]:9"), "");
}

}  // namespace
}  // namespace ctihub::auth
