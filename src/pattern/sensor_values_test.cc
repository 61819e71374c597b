#include "pattern/sensor_values.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pattern/parser.h"

namespace ctihub::pattern {
namespace {

// "kind=value" per value, or "skip: reason".
std::vector<std::string> Reduce(const std::string& text) {
  Result<Pattern> p = ParsePattern(text);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  if (!p.ok()) return {};
  Result<std::vector<SensorValue>> v = SensorValues(*p);
  if (!v.ok()) {
    EXPECT_EQ(v.status().code(), StatusCode::kFailedPrecondition);
    return {"skip: " + v.status().message()};
  }
  std::vector<std::string> out;
  for (const SensorValue& s : *v) out.push_back(std::string(SensorValueKindName(s.kind)) + "=" + s.value);
  return out;
}

using V = std::vector<std::string>;

TEST(SensorValues, EqualityInAndOrReduce) {
  EXPECT_EQ(Reduce("[ipv4-addr:value = '198.51.100.1']"), V{"ipv4=198.51.100.1"});
  // One address written as a full-length prefix is the address (Zeek's Intel::ADDR takes no
  // "/32"); a domain with the DNS root's dot written out is the name sensors log.
  EXPECT_EQ(Reduce("[ipv4-addr:value = '198.51.100.1/32']"), V{"ipv4=198.51.100.1"});
  EXPECT_EQ(Reduce("[ipv4-addr:value ISSUBSET '198.51.100.2/32']"), V{"ipv4=198.51.100.2"});
  EXPECT_EQ(Reduce("[ipv6-addr:value = '2001:db8::1/128']"), V{"ipv6=2001:db8::1"});
  EXPECT_EQ(Reduce("[domain-name:value = 'evil.example.net.']"), V{"domain=evil.example.net"});
  EXPECT_EQ(Reduce("[ipv4-addr:value = '10.0.0.0/8']"), V{"ipv4-prefix=10.0.0.0/8"});
  EXPECT_EQ(Reduce("[ipv6-addr:value ISSUBSET '2001:db8::/32']"), V{"ipv6-prefix=2001:db8::/32"});
  EXPECT_EQ(Reduce("[domain-name:value IN ('a.org', 'b.org', 'a.org')]"),
            (V{"domain=a.org", "domain=b.org"}));
  EXPECT_EQ(Reduce("[url:value = 'http://x/a'] OR [network-traffic:dst_ref.value = '2001:db8::1']"),
            (V{"url=http://x/a", "ipv6=2001:db8::1"}));
  EXPECT_EQ(Reduce("[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f' OR "
                   "file:hashes.'SHA-1' = 'cead3f77f6cda6ec00f57d76c9a6879fcead3f77']"),
            (V{"md5=cead3f77f6cda6ec00f57d76c9a6879f", "sha1=cead3f77f6cda6ec00f57d76c9a6879fcead3f77"}));
  EXPECT_EQ(Reduce("[email-message:from_ref.value = 'a@b.org']"), V{"email=a@b.org"});
}

TEST(SensorValues, EverythingElseSaysWhy) {
  EXPECT_EQ(Reduce("[file:name = 'a' AND file:size = 3]"), V{"skip: AND inside brackets"});
  EXPECT_EQ(Reduce("[file:name = 'a'] AND [file:name = 'b']"), V{"skip: AND between observations"});
  EXPECT_EQ(Reduce("[file:name = 'a'] FOLLOWEDBY [file:name = 'b']"), V{"skip: FOLLOWEDBY"});
  EXPECT_EQ(Reduce("[file:name = 'a'] REPEATS 2 TIMES"), V{"skip: REPEATS"});
  EXPECT_EQ(Reduce("[domain-name:value LIKE '%.ru']"), V{"skip: LIKE"});
  EXPECT_EQ(Reduce("[domain-name:value != 'x.org']"), V{"skip: !="});
  EXPECT_EQ(Reduce("[domain-name:value NOT = 'x.org']"), V{"skip: NOT"});
  EXPECT_EQ(Reduce("[file:size = 3]"), V{"skip: path file:size"});
  EXPECT_EQ(Reduce("[ipv4-addr:value = 'not-an-ip']"),
            V{"skip: 'not-an-ip' on ipv4-addr:value is not an address"});
}

}  // namespace
}  // namespace ctihub::pattern
