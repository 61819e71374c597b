#include "common/ipv4.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace ctihub {
namespace {

// ParseIpv4 replaces inet_pton(AF_INET) on the hot path: it must accept and reject exactly the
// same texts and produce the same bytes.
TEST(ParseIpv4, AgreesWithInetPtonOnEdgesAndRandomTexts) {
  std::vector<std::string> texts = {"0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.",
                                    ".1.2.3.4", "01.2.3.4", "1.02.3.4", "1.2.3.00", "1..2.3",
                                    "1.2.3.4 ", " 1.2.3.4", "", "1.2.3.4/24", "1.2.3.-4", "a.b.c.d",
                                    "192.168.001.1", "10.0.0.0", "1.2.3.4.5", "999.0.0.0", "0.0.0.01",
                                    "1.2.3.2555", "1.2.3.255x", "1.2.3.0x1", "1.2.3.4\n"};
  std::mt19937 rng(11);
  const char alphabet[] = "0123456789.0123456789..x";
  for (int i = 0; i < 200000; ++i) {
    std::string t;
    size_t n = 1 + rng() % 17;
    for (size_t k = 0; k < n; ++k) t += alphabet[rng() % (sizeof alphabet - 1)];
    texts.push_back(t);
    // Mostly well-formed addresses too, so acceptance is exercised as much as rejection.
    texts.push_back(std::to_string(rng() % 300) + "." + std::to_string(rng() % 260) + "." +
                    std::to_string(rng() % 256) + "." + std::to_string(rng() % 256));
  }
  for (const std::string& t : texts) {
    unsigned char ours[4] = {}, theirs[4] = {};
    bool ok = ParseIpv4(t, ours);
    bool expected = inet_pton(AF_INET, t.c_str(), theirs) == 1;
    ASSERT_EQ(ok, expected) << "'" << t << "'";
    if (ok) {
      EXPECT_EQ(std::memcmp(ours, theirs, 4), 0) << t;
    }
  }
}

}  // namespace
}  // namespace ctihub
