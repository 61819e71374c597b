#include "common/uuid.h"

#include <gtest/gtest.h>

namespace ctihub {
namespace {

TEST(Uuid, TimeOrderedV7SortsByTimeAndIsValid) {
  Uuid early = Uuid::TimeOrderedV7(1'700'000'000'000);
  Uuid later = Uuid::TimeOrderedV7(1'700'000'000'001);
  EXPECT_EQ(early.version(), 7);
  EXPECT_TRUE(early.IsRfc4122Variant());
  EXPECT_TRUE(Uuid::IsValid(early.ToString()));
  EXPECT_LT(early.ToString(), later.ToString());
  EXPECT_EQ(early.ToString().substr(0, 13), "018bcfe5-6800");  // 1.7e12 ms = 0x018bcfe56800
  EXPECT_NE(Uuid::TimeOrderedV7(5).ToString(), Uuid::TimeOrderedV7(5).ToString());
}

TEST(Uuid, ParsesAndPrintsLowerCase) {
  Result<Uuid> u = Uuid::Parse("8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->ToString(), "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
  EXPECT_EQ(u->version(), 4);
  EXPECT_TRUE(u->IsRfc4122Variant());
}

TEST(Uuid, RejectsMalformed) {
  EXPECT_FALSE(Uuid::Parse("8e2e2d2b17d44cbf938f98ee46b3cd3f").ok());
  EXPECT_FALSE(Uuid::Parse("8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3g").ok());
  EXPECT_FALSE(Uuid::Parse("8e2e2d2b-17d4-4cbf-938f_98ee46b3cd3f").ok());
  EXPECT_FALSE(Uuid::Parse("").ok());
}

TEST(Uuid, IsValidAgreesWithParse) {
  EXPECT_TRUE(Uuid::IsValid("8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"));
  EXPECT_TRUE(Uuid::IsValid("8E2E2D2B-17D4-4CBF-B38F-98EE46B3CD3F"));
  EXPECT_FALSE(Uuid::IsValid("8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f"));  // variant 110x
  EXPECT_FALSE(Uuid::IsValid("8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3g"));
  EXPECT_FALSE(Uuid::IsValid("8e2e2d2b17d4-4cbf-938f-98ee46b3cd3f0"));
  EXPECT_FALSE(Uuid::IsValid(""));
}

TEST(Uuid, RandomV4HasVersionAndVariant) {
  Uuid a = Uuid::RandomV4();
  Uuid b = Uuid::RandomV4();
  EXPECT_EQ(a.version(), 4);
  EXPECT_TRUE(a.IsRfc4122Variant());
  EXPECT_NE(a, b);
}

TEST(Uuid, V5MatchesRfc4122DnsExample) {
  // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org") == 886313e1-3b8a-5372-9b90-0c9aee199e5d
  Uuid dns = *Uuid::Parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
  EXPECT_EQ(Uuid::V5(dns, "python.org").ToString(), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
}

TEST(Uuid, StixIdsOfAType) {
  EXPECT_TRUE(IsStixIdOf("identity--44444444-4444-4444-8444-444444444444", "identity"));
  EXPECT_FALSE(IsStixIdOf("malware--44444444-4444-4444-8444-444444444444", "identity"));
  EXPECT_FALSE(IsStixIdOf("identity-44444444-4444-4444-8444-444444444444", "identity"));
  EXPECT_FALSE(IsStixIdOf("identity--not-a-uuid", "identity"));
  EXPECT_FALSE(IsStixIdOf("identity--", "identity"));
  EXPECT_FALSE(IsStixIdOf("not-an-id", "identity"));
}

}  // namespace
}  // namespace ctihub
