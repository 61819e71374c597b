// common/uuid: RFC 4122 UUIDs as STIX uses them — parsing, version checks, random v4 ids for
// objects the hub creates, and name-based v5 ids for SCOs (STIX 2.1 §2.9).
//
//   Result<Uuid> u = Uuid::Parse("8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
//   if (u.ok() && u->version() == 4) { ... }
//   Uuid sco = Uuid::V5(kStixScoNamespace, canonical_json);  // SHA-1 name-based
//   std::string text = Uuid::RandomV4().ToString();
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ctihub {

// True for a STIX identifier of `type`: "<type>--<RFC 4122 UUID>" ("identity--…").
bool IsStixIdOf(std::string_view id, std::string_view type);

class Uuid {
 public:
  Uuid() = default;
  explicit Uuid(const std::array<uint8_t, 16>& bytes) : bytes_(bytes) {}

  // Accepts the canonical 8-4-4-4-12 form with lower- or upper-case hex; InvalidArgument otherwise.
  static Result<Uuid> Parse(std::string_view text);
  // True for the canonical 8-4-4-4-12 form with the RFC 4122 variant bits; no error message is
  // built, so it suits hot validation paths.
  static bool IsValid(std::string_view text);
  // RFC 4122 §4.3 name-based UUID with SHA-1.
  static Uuid V5(const Uuid& name_space, std::string_view name);
  // RFC 4122 §4.4 random UUID from OpenSSL's CSPRNG.
  static Uuid RandomV4();
  // RFC 9562 §5.7: 48 bits of Unix milliseconds, then random bits. Their text sorts in time
  // order, so records keyed by them can be expired by key range.
  static Uuid TimeOrderedV7(int64_t unix_millis);

  int version() const { return bytes_[6] >> 4; }
  // True for the RFC 4122 variant (10xx in the top bits of byte 8).
  bool IsRfc4122Variant() const { return (bytes_[8] & 0xC0) == 0x80; }
  // Lower-case canonical text.
  std::string ToString() const;
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }

  friend bool operator==(const Uuid&, const Uuid&) = default;

 private:
  std::array<uint8_t, 16> bytes_{};
};

// The namespace STIX 2.1 §2.9 fixes for deterministic SCO identifiers.
inline constexpr std::string_view kStixScoNamespace = "00abedb4-aa42-466c-9c01-fed23315a9b7";

}  // namespace ctihub
