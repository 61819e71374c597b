#include "common/time.h"

#include <gtest/gtest.h>

namespace ctihub {
namespace {

TEST(Timestamp, ParsesMillisecondsAndRoundTrips) {
  Result<Timestamp> t = Timestamp::Parse("2016-04-06T20:03:48.123Z");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->ToString(), "2016-04-06T20:03:48.123000Z");
  EXPECT_EQ(t->ToMillisString(), "2016-04-06T20:03:48.123Z");
}

TEST(Timestamp, EpochIsZero) {
  EXPECT_EQ(Timestamp::Parse("1970-01-01T00:00:00Z")->micros(), 0);
}

TEST(Timestamp, ReportsFractionDigits) {
  int digits = -1;
  ASSERT_TRUE(Timestamp::Parse("2016-04-06T20:03:48.1234567Z", &digits).ok());
  EXPECT_EQ(digits, 7);
  ASSERT_TRUE(Timestamp::Parse("2016-04-06T20:03:48Z", &digits).ok());
  EXPECT_EQ(digits, 0);
}

TEST(Timestamp, MicrosecondsOrder) {
  auto a = Timestamp::Parse("2020-01-01T00:00:00.000001Z");
  auto b = Timestamp::Parse("2020-01-01T00:00:00.000002Z");
  EXPECT_LT(*a, *b);
}

TEST(Timestamp, RejectsMalformed) {
  for (const char* bad : {"2016-04-06 20:03:48Z", "2016-04-06T20:03:48", "2016-04-06T20:03:48+01:00",
                          "2016-13-06T20:03:48Z", "2015-02-29T00:00:00Z", "2016-04-06T24:00:00Z",
                          "2016-04-06T20:03:48.Z", "2016-101-27T00:00:00Z", "", "2016-04-06T20:03:48ZZ"}) {
    EXPECT_FALSE(Timestamp::Parse(bad).ok()) << bad;
  }
}

TEST(Timestamp, AcceptsLeapDayAndLeapSecond) {
  EXPECT_TRUE(Timestamp::Parse("2016-02-29T00:00:00Z").ok());
  EXPECT_TRUE(Timestamp::Parse("2016-12-31T23:59:60Z").ok());
}

TEST(Timestamp, NowIsAfter2020) {
  EXPECT_GT(Timestamp::Now(), *Timestamp::Parse("2020-01-01T00:00:00Z"));
}

}  // namespace
}  // namespace ctihub
