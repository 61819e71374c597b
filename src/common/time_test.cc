#include "common/time.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace ctihub {
namespace {

TEST(Timestamp, ParsesMillisecondsAndRoundTrips) {
  Result<Timestamp> t = Timestamp::Parse("2016-04-06T20:03:48.123Z");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->ToString(), "2016-04-06T20:03:48.123000Z");
  EXPECT_EQ(t->ToMillisString(), "2016-04-06T20:03:48.123Z");
}

// ToString writes digits itself; Parse must read back every instant it writes, across years,
// before the epoch, and at the edges of days and fractions.
TEST(Timestamp, ToStringRoundTripsThroughParse) {
  std::mt19937_64 rng(7);
  const int64_t kYear10000 = int64_t{253402300800} * 1000000;  // 10000-01-01T00:00:00Z
  const int64_t kYear0 = -int64_t{62167219200} * 1000000;      // 0000-01-01T00:00:00Z
  std::vector<int64_t> samples = {0, -1, 1, 999999, -999999, 86400000000 - 1, kYear0, kYear10000 - 1};
  for (int i = 0; i < 20000; ++i) {
    samples.push_back(kYear0 + static_cast<int64_t>(rng() % static_cast<uint64_t>(kYear10000 - kYear0)));
  }
  for (int64_t micros : samples) {
    std::string text = Timestamp(micros).ToString();
    ASSERT_EQ(text.size(), 27u) << micros;
    Result<Timestamp> back = Timestamp::Parse(text);
    ASSERT_TRUE(back.ok()) << text;
    EXPECT_EQ(back->micros(), micros) << text;
  }
  EXPECT_EQ(Timestamp(-1).ToString(), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(Timestamp(kYear10000 - 1).ToString(), "9999-12-31T23:59:59.999999Z");
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
  EXPECT_TRUE(Timestamp::Parse("2015-06-30T23:59:60.5Z").ok());
  // Second 60 exists only as the last second of June or December.
  for (const char* bad : {"2016-12-31T00:00:60Z", "2016-12-30T23:59:60Z", "2016-03-31T23:59:60Z",
                          "2016-06-30T22:59:60Z"}) {
    Result<Timestamp> t = Timestamp::Parse(bad);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_NE(t.status().message().find("leap second"), std::string::npos) << t.status().message();
  }
}

// One reading of durations for every option that takes one (--valid-for, --window, --expires).
TEST(Duration, WholeNumbersWithAUnitFromASecondToACentury) {
  EXPECT_EQ(*ParseDurationSeconds("90s", "--x"), 90);
  EXPECT_EQ(*ParseDurationSeconds("15m", "--x"), 900);
  EXPECT_EQ(*ParseDurationSeconds("12h", "--x"), 43200);
  EXPECT_EQ(*ParseDurationSeconds("30d", "--x"), 2592000);
  EXPECT_EQ(*ParseDurationSeconds("2w", "--x"), 1209600);
  const std::pair<const char*, const char*> bad[] = {
      {"", "--x needs a duration"},
      {"30", "--x '30' needs a unit: 30d (days), 30h, 30m or 30s"},
      {"d", "needs a number"},
      {"3x", "is not a duration like 30d"},
      {"-1d", "is not a duration"},
      {"1.5h", "is not a duration"},
      {"0s", "outside 1 second to 100 years"},
      {"5300w", "outside 1 second to 100 years"},
      {"99999999999999999999999d", "outside 1 second to 100 years"},
  };
  for (const auto& [text, message] : bad) {
    Result<int64_t> d = ParseDurationSeconds(text, "--x");
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_NE(d.status().message().find(message), std::string::npos) << d.status().message();
  }
}

TEST(Timestamp, NowIsAfter2020) {
  EXPECT_GT(Timestamp::Now(), *Timestamp::Parse("2020-01-01T00:00:00Z"));
}

}  // namespace
}  // namespace ctihub
