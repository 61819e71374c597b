#include "pattern/internal/ip_prefix.h"

#include <gtest/gtest.h>

#include <string>

namespace ctihub::pattern::internal {
namespace {

TEST(ParseIpPrefix, ReadsAddressesAndPrefixesOfBothFamilies) {
  auto v4 = ParseIpPrefix("198.51.100.0/24");
  ASSERT_TRUE(v4);
  EXPECT_FALSE(v4->v6);
  EXPECT_EQ(v4->length, 24);
  auto host = ParseIpPrefix("198.51.100.7");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->length, 32);
  EXPECT_TRUE(PrefixContains(*v4, *host));
  auto v6 = ParseIpPrefix("2001:db8::/32");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->v6);
  EXPECT_EQ(v6->length, 32);
  EXPECT_FALSE(ParseIpPrefix("198.51.100.0/33"));
  EXPECT_FALSE(ParseIpPrefix("2001:db8::/129"));
  EXPECT_FALSE(ParseIpPrefix("example.com"));
  EXPECT_FALSE(ParseIpPrefix(std::string(80, ':')));
}

}  // namespace
}  // namespace ctihub::pattern::internal
