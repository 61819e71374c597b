// common/time: STIX timestamps (RFC 3339, UTC, 'Z', optional fractional seconds) with microsecond
// precision, as the store's date_added and TAXII's added_after need.
//
//   Result<Timestamp> t = Timestamp::Parse("2016-04-06T20:03:48.000Z");
//   if (t.ok() && t->micros() > other.micros()) { ... }
//   std::string s = Timestamp::Now().ToString();   // "2026-11-23T18:01:18.123456Z"
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ctihub {

class Timestamp {
 public:
  Timestamp() = default;
  explicit Timestamp(int64_t micros_since_epoch) : micros_(micros_since_epoch) {}

  // Parses YYYY-MM-DDTHH:MM:SS[.fraction]Z (STIX 2.1 §3.2). InvalidArgument names what is wrong.
  // Digits past microseconds are accepted but truncated; `fraction_digits()` reports how many there
  // were so callers can apply precision rules. Leap seconds (:60) are accepted as :59.999999.
  static Result<Timestamp> Parse(std::string_view text, int* fraction_digits = nullptr);
  static Timestamp Now();

  int64_t micros() const { return micros_; }
  // Always six fractional digits: "2016-04-06T20:03:48.000000Z".
  std::string ToString() const;
  // Millisecond precision, as STIX requires for created/modified of objects the hub makes.
  std::string ToMillisString() const;

  friend auto operator<=>(const Timestamp&, const Timestamp&) = default;

 private:
  int64_t micros_ = 0;
};

// A duration as the command line gives one: a whole number and a unit, s, m, h, d or w ("90s",
// "15m", "12h", "30d", "2w"), from 1 second to 100 years; in seconds. A bare number is refused
// rather than guessed ("30" meant 30 days far more often than 30 seconds). `option` ("--window")
// names it in the message.
Result<int64_t> ParseDurationSeconds(std::string_view text, std::string_view option);

}  // namespace ctihub
