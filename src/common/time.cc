#include "common/time.h"

#include <chrono>
#include <cstdio>

namespace ctihub {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

Result<Timestamp> Timestamp::Parse(std::string_view s, int* fraction_digits) {
  auto bad = [&](const char* why) {
    return InvalidArgument(std::string("timestamp '") + std::string(s.substr(0, 64)) + "' " + why +
                           "; expected YYYY-MM-DDTHH:MM:SS[.s+]Z");
  };
  int year, month, day, hour, minute, second;
  if (s.size() < 20) return bad("is too short");
  if (!Digits(s, 0, 4, &year) || s[4] != '-' || !Digits(s, 5, 2, &month) || s[7] != '-' ||
      !Digits(s, 8, 2, &day)) {
    return bad("has a malformed date");
  }
  if (s[10] != 'T') return bad("lacks the 'T' separator");
  if (!Digits(s, 11, 2, &hour) || s[13] != ':' || !Digits(s, 14, 2, &minute) || s[16] != ':' ||
      !Digits(s, 17, 2, &second)) {
    return bad("has a malformed time");
  }
  if (month < 1 || month > 12) return bad("has a month outside 01-12");
  if (day < 1 || day > DaysInMonth(year, month)) return bad("has a day that does not exist");
  if (hour > 23) return bad("has an hour outside 00-23");
  if (minute > 59) return bad("has a minute outside 00-59");
  if (second > 60) return bad("has a second outside 00-60");
  // UTC inserts leap seconds only as 23:59:60 on the last day of June or December.
  if (second == 60 && (hour != 23 || minute != 59 || (month != 6 && month != 12) ||
                       day != DaysInMonth(year, month))) {
    return bad("has second 60, which exists only as 23:59:60 at the end of June or December "
               "(a leap second)");
  }
  size_t pos = 19;
  int64_t micros = 0;
  int digits = 0;
  if (s[pos] == '.') {
    ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 6) micros = micros * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad("has a '.' without fractional digits");
    for (int i = digits; i < 6; ++i) micros *= 10;
  }
  if (pos >= s.size() || s[pos] != 'Z') return bad("must end in 'Z' (UTC)");
  if (pos + 1 != s.size()) return bad("has characters after 'Z'");
  if (fraction_digits) *fraction_digits = digits;
  if (second == 60) {  // leap second: clamp inside the minute so ordering stays monotonic
    second = 59;
    micros = 999999;
  }
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t total = ((days * 24 + hour) * 60 + minute) * 60 + second;
  return Timestamp(total * 1000000 + micros);
}

Timestamp Timestamp::Now() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return Timestamp(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
}

std::string Timestamp::ToString() const {
  using namespace std::chrono;
  sys_time<microseconds> tp{microseconds(micros_)};
  auto day_point = floor<days>(tp);
  year_month_day ymd{day_point};
  hh_mm_ss<microseconds> hms{tp - day_point};
  int year = int(ymd.year());
  if (year < 0 || year > 9999) {
    char buf[48];
    std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02ld:%02ld:%02ld.%06ldZ", year,
                  unsigned(ymd.month()), unsigned(ymd.day()), static_cast<long>(hms.hours().count()),
                  static_cast<long>(hms.minutes().count()), static_cast<long>(hms.seconds().count()),
                  static_cast<long>(hms.subseconds().count()));
    return buf;
  }
  // Written digit by digit: timestamps are formatted for every object stored, exported and
  // matched, and snprintf's format parsing was most of that cost.
  std::string out(27, '0');
  auto put = [&out](size_t at, int64_t value, int digits) {
    for (int i = digits - 1; i >= 0; --i, value /= 10) out[at + i] = static_cast<char>('0' + value % 10);
  };
  put(0, year, 4);
  out[4] = '-';
  put(5, unsigned(ymd.month()), 2);
  out[7] = '-';
  put(8, unsigned(ymd.day()), 2);
  out[10] = 'T';
  put(11, hms.hours().count(), 2);
  out[13] = ':';
  put(14, hms.minutes().count(), 2);
  out[16] = ':';
  put(17, hms.seconds().count(), 2);
  out[19] = '.';
  put(20, hms.subseconds().count(), 6);
  out[26] = 'Z';
  return out;
}

std::string Timestamp::ToMillisString() const {
  std::string full = ToString();  // ...SS.uuuuuuZ -> ...SS.mmmZ
  full.erase(full.size() - 4, 3);
  return full;
}

Result<int64_t> ParseDurationSeconds(std::string_view text, std::string_view option) {
  constexpr int64_t kMaxSeconds = int64_t{100} * 366 * 24 * 3600;
  const std::string quoted = std::string(option) + " '" + std::string(text) + "'";
  if (text.empty()) return InvalidArgument(std::string(option) + " needs a duration, e.g. 30d");
  int64_t unit = 0;
  switch (text.back()) {
    case 'w':
      unit = 604800;
      break;
    case 'd':
      unit = 86400;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'm':
      unit = 60;
      break;
    case 's':
      unit = 1;
      break;
    default:
      break;
  }
  std::string_view digits = unit == 0 ? text : text.substr(0, text.size() - 1);
  int64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return InvalidArgument(quoted + " is not a duration like 30d, 12h, 90m, 3600s or 2w");
    }
    if (n <= kMaxSeconds) n = n * 10 + (c - '0');  // past that it is out of range anyway
  }
  if (digits.empty()) return InvalidArgument(quoted + " needs a number, e.g. 30d");
  if (unit == 0) {
    const std::string d(digits);
    return InvalidArgument(quoted + " needs a unit: " + d + "d (days), " + d + "h, " + d + "m or " +
                           d + "s");
  }
  if (n == 0 || n > kMaxSeconds / unit) {
    return InvalidArgument(quoted + " is outside 1 second to 100 years");
  }
  return n * unit;
}

}  // namespace ctihub
