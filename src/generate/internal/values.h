// generate/internal/values: the small values synthetic objects are made of — ids, timestamps,
// hex digests, pronounceable names, and observables (domains, addresses) that are unique by
// construction, so that deterministic SCO ids never repeat however many objects are generated.
//
//   Rng rng(7);
//   std::string s;
//   AppendUniqueLabel(/*index=*/12, /*key=*/0x5a5a, &s);   // e.g. "tarvomex", never repeated
//   char ts[kTimestampChars];
//   FormatMillis(1704067200000, ts);                      // "2024-01-01T00:00:00.000Z"
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/uuid.h"
#include "generate/internal/random.h"

namespace ctihub::generate::internal {

inline constexpr size_t kUuidChars = 36;
inline constexpr size_t kTimestampChars = 24;

// A UUIDv4-shaped id from `rng` (RFC 4122 version and variant bits set).
Uuid UuidV4(Rng& rng);
// Writes the canonical lower-case 8-4-4-4-12 text (kUuidChars bytes, no terminator).
void FormatUuid(const Uuid& id, char* out);

// Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" (kTimestampChars bytes, no terminator) for `ms` milliseconds
// since 1970-01-01T00:00:00Z. Precondition: 0 <= ms and the year is below 10000.
void FormatMillis(int64_t ms, char* out);

// Appends `digits` random lower-case hex digits.
void AppendHex(Rng& rng, size_t digits, std::string* out);
// Appends `value` in decimal.
void AppendUint(uint64_t value, std::string* out);

// Bijections on 24, 32 and 64 bits (xor-shift-multiply rounds keyed by `key`): distinct inputs
// give distinct outputs, which keeps counter-derived observables unique yet random-looking.
uint32_t Permute24(uint32_t x, uint32_t key);
uint32_t Permute32(uint32_t x, uint32_t key);
uint64_t Permute64(uint64_t x, uint64_t key);

// Appends a pronounceable lower-case label that is distinct for every `index` (for a fixed key):
// the index is permuted, then written in bijective base-400 with syllables consonant-vowel-
// [consonant] that concatenate unambiguously. Mostly 3 syllables below 2^24 indexes.
void AppendUniqueLabel(uint64_t index, uint32_t key, std::string* out);
// Appends `syllables` random syllables (names of families, actors; may repeat). The first letter
// is upper-case when `capitalize`.
void AppendSyllables(Rng& rng, int syllables, bool capitalize, std::string* out);

// Dotted-quad text of a host-order IPv4 address.
void AppendIpv4(uint32_t address, std::string* out);
// True for addresses outside the special-purpose ranges of RFC 6890 (private, loopback, link-local,
// CGN, multicast, reserved, documentation): what an Internet-facing C2 server could use.
bool IsPublicIpv4(uint32_t address);
// Eight colon-separated hex groups (no zero compression) of a 128-bit address.
void AppendIpv6(uint64_t high, uint64_t low, std::string* out);

// Appends `value` as the body of a STIX pattern string literal: '\' and '\'' are escaped
// (STIX 2.1 §9.3), nothing else.
void AppendPatternLiteral(std::string_view value, std::string* out);

}  // namespace ctihub::generate::internal
