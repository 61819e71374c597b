#include "generate/internal/values.h"

#include <array>

namespace ctihub::generate::internal {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// Syllables for names. Onsets are single consonants, vowels single vowels and codas single
// consonants or nothing, so a concatenation parses back in exactly one way (a consonant followed by
// a vowel always starts a syllable): distinct digit strings give distinct labels.
constexpr char kOnsets[] = "bcdfghklmnprstvz";
constexpr char kVowels[] = "aeiou";
constexpr char kCodas[] = "\0nrsl";
constexpr uint64_t kOnsetCount = 16;
constexpr uint64_t kVowelCount = 5;
constexpr uint64_t kCodaCount = 5;
constexpr uint64_t kSyllableCount = kOnsetCount * kVowelCount * kCodaCount;  // 400

void AppendSyllable(uint64_t digit, std::string* out) {
  out->push_back(kOnsets[digit % kOnsetCount]);
  out->push_back(kVowels[(digit / kOnsetCount) % kVowelCount]);
  const char coda = kCodas[digit / (kOnsetCount * kVowelCount)];
  if (coda != '\0') out->push_back(coda);
}

void Put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

Uuid UuidV4(Rng& rng) {
  std::array<uint8_t, 16> b;
  const uint64_t hi = rng.Next(), lo = rng.Next();
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<uint8_t>(hi >> (56 - 8 * i));
    b[8 + i] = static_cast<uint8_t>(lo >> (56 - 8 * i));
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  return Uuid(b);
}

void FormatUuid(const Uuid& id, char* out) {
  const std::array<uint8_t, 16>& b = id.bytes();
  size_t o = 0;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
    out[o++] = kHexDigits[b[i] >> 4];
    out[o++] = kHexDigits[b[i] & 0x0F];
  }
}

void FormatMillis(int64_t ms, char* out) {
  const int64_t days = ms / 86400000;
  int64_t rest = ms % 86400000;
  // Howard Hinnant's civil_from_days (days >= 0 here).
  const int64_t z = days + 719468;
  const int64_t era = z / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const unsigned year = static_cast<unsigned>(yoe + era * 400 + (month <= 2 ? 1 : 0));
  const unsigned hour = static_cast<unsigned>(rest / 3600000);
  rest %= 3600000;
  const unsigned minute = static_cast<unsigned>(rest / 60000);
  rest %= 60000;
  const unsigned second = static_cast<unsigned>(rest / 1000);
  const unsigned milli = static_cast<unsigned>(rest % 1000);
  Put2(out, year / 100);
  Put2(out + 2, year % 100);
  out[4] = '-';
  Put2(out + 5, month);
  out[7] = '-';
  Put2(out + 8, day);
  out[10] = 'T';
  Put2(out + 11, hour);
  out[13] = ':';
  Put2(out + 14, minute);
  out[16] = ':';
  Put2(out + 17, second);
  out[19] = '.';
  out[20] = static_cast<char>('0' + milli / 100);
  Put2(out + 21, milli % 100);
  out[23] = 'Z';
}

void AppendHex(Rng& rng, size_t digits, std::string* out) {
  const size_t start = out->size();
  out->resize(start + digits);
  char* p = out->data() + start;
  uint64_t bits = 0;
  int left = 0;
  for (size_t i = 0; i < digits; ++i) {
    if (left == 0) {
      bits = rng.Next();
      left = 16;
    }
    p[i] = kHexDigits[bits & 0x0F];
    bits >>= 4;
    --left;
  }
}

void AppendUint(uint64_t value, std::string* out) {
  char buf[20];
  size_t n = 0;
  do {
    buf[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) out->push_back(buf[--n]);
}

uint32_t Permute24(uint32_t x, uint32_t key) {
  constexpr uint32_t kMask = (1u << 24) - 1;
  x = (x ^ key) & kMask;
  x ^= x >> 12;
  x = (x * 0x9E3779u) & kMask;  // odd multiplier: invertible modulo 2^24
  x ^= x >> 11;
  x = (x * 0x2C1B3Du) & kMask;
  x ^= x >> 12;
  return x;
}

uint32_t Permute32(uint32_t x, uint32_t key) {
  // Chris Wellons' lowbias32; every step is invertible on 32 bits.
  x ^= key;
  x ^= x >> 16;
  x *= 0x7FEB352Du;
  x ^= x >> 15;
  x *= 0x846CA68Bu;
  x ^= x >> 16;
  return x;
}

uint64_t Permute64(uint64_t x, uint64_t key) {
  // The splitmix64 finalizer, invertible on 64 bits.
  x ^= key;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

void AppendUniqueLabel(uint64_t index, uint32_t key, std::string* out) {
  // Indexes below 2^24 are permuted within [0, 2^24); larger ones are used as they are, which
  // keeps the two ranges disjoint and the whole mapping injective.
  const uint64_t value =
      index < (uint64_t{1} << 24) ? Permute24(static_cast<uint32_t>(index), key) : index;
  // Bijective base-400 numeration: every value has exactly one digit string.
  uint64_t n = value + 1;
  while (n > 0) {
    --n;
    AppendSyllable(n % kSyllableCount, out);
    n /= kSyllableCount;
  }
}

void AppendSyllables(Rng& rng, int syllables, bool capitalize, std::string* out) {
  const size_t start = out->size();
  for (int i = 0; i < syllables; ++i) {
    // Codas only sometimes, so that names read like names rather than like consonant clusters.
    uint64_t digit = rng.Below(kOnsetCount * kVowelCount);
    if (rng.Percent(30)) digit += kOnsetCount * kVowelCount * (1 + rng.Below(kCodaCount - 1));
    AppendSyllable(digit, out);
  }
  if (capitalize && out->size() > start) {
    (*out)[start] = static_cast<char>((*out)[start] - 'a' + 'A');
  }
}

void AppendIpv4(uint32_t address, std::string* out) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    AppendUint((address >> shift) & 0xFF, out);
    if (shift != 0) out->push_back('.');
  }
}

bool IsPublicIpv4(uint32_t a) {
  const uint32_t first = a >> 24;
  if (first == 0 || first == 10 || first == 127 || first >= 224) return false;
  if ((a & 0xFFC00000u) == 0x64400000u) return false;  // 100.64.0.0/10
  if ((a & 0xFFFF0000u) == 0xA9FE0000u) return false;  // 169.254.0.0/16
  if ((a & 0xFFF00000u) == 0xAC100000u) return false;  // 172.16.0.0/12
  if ((a & 0xFFFF0000u) == 0xC0A80000u) return false;  // 192.168.0.0/16
  if ((a & 0xFFFFFF00u) == 0xC0000000u) return false;  // 192.0.0.0/24
  if ((a & 0xFFFFFF00u) == 0xC0000200u) return false;  // 192.0.2.0/24
  if ((a & 0xFFFE0000u) == 0xC6120000u) return false;  // 198.18.0.0/15
  if ((a & 0xFFFFFF00u) == 0xC6336400u) return false;  // 198.51.100.0/24
  if ((a & 0xFFFFFF00u) == 0xCB007100u) return false;  // 203.0.113.0/24
  return true;
}

void AppendIpv6(uint64_t high, uint64_t low, std::string* out) {
  for (int group = 0; group < 8; ++group) {
    const uint64_t word = group < 4 ? high : low;
    const unsigned v = static_cast<unsigned>((word >> (48 - 16 * (group % 4))) & 0xFFFF);
    if (group != 0) out->push_back(':');
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const unsigned d = (v >> shift) & 0xF;
      if (d != 0 || started || shift == 0) {
        out->push_back(kHexDigits[d]);
        started = true;
      }
    }
  }
}

void AppendPatternLiteral(std::string_view value, std::string* out) {
  for (char c : value) {
    if (c == '\\' || c == '\'') out->push_back('\\');
    out->push_back(c);
  }
}

}  // namespace ctihub::generate::internal
