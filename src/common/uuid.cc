#include "common/uuid.h"

#include <algorithm>
#include <openssl/rand.h>

#include <cstdlib>
#include <openssl/evp.h>

namespace ctihub {
namespace {

// 0-15 for hex digits, 0xFF otherwise; a table because ids are parsed for every reference.
constexpr std::array<uint8_t, 256> kHexTable = [] {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = 0xFF;
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<uint8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) t[c] = static_cast<uint8_t>(c - 'A' + 10);
  return t;
}();

}  // namespace

Result<Uuid> Uuid::Parse(std::string_view text) {
  if (text.size() != 36) {
    return InvalidArgument("UUID must be 36 characters in 8-4-4-4-12 form, got " +
                           std::to_string(text.size()));
  }
  if (text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-') {
    return InvalidArgument("UUID must have '-' at positions 8, 13, 18 and 23");
  }
  static constexpr uint8_t kOffsets[16] = {0,  2,  4,  6,  9,  11, 14, 16,
                                           19, 21, 24, 26, 28, 30, 32, 34};
  std::array<uint8_t, 16> bytes{};
  uint8_t bad = 0;
  for (size_t i = 0; i < 16; ++i) {
    uint8_t hi = kHexTable[static_cast<unsigned char>(text[kOffsets[i]])];
    uint8_t lo = kHexTable[static_cast<unsigned char>(text[kOffsets[i] + 1])];
    bad |= hi | lo;
    bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  if (bad & 0xF0) return InvalidArgument("UUID has a character that is not a hex digit");
  return Uuid(bytes);
}

bool Uuid::IsValid(std::string_view text) {
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' ||
      text[23] != '-') {
    return false;
  }
  uint8_t bad = 0;
  for (size_t i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) continue;
    bad |= kHexTable[static_cast<unsigned char>(text[i])];
  }
  if (bad & 0xF0) return false;
  return (kHexTable[static_cast<unsigned char>(text[19])] & 0xC) == 0x8;  // variant 10xx
}

Uuid Uuid::V5(const Uuid& name_space, std::string_view name) {
  std::string input(reinterpret_cast<const char*>(name_space.bytes_.data()), 16);
  input.append(name);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  // SHA-1 cannot fail on in-memory input with the default provider; a failure is a broken build.
  if (EVP_Digest(input.data(), input.size(), digest, &digest_len, EVP_sha1(), nullptr) != 1) {
    std::abort();
  }
  std::array<uint8_t, 16> bytes{};
  for (size_t i = 0; i < 16; ++i) bytes[i] = digest[i];
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0F) | 0x50);
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3F) | 0x80);
  return Uuid(bytes);
}

Uuid Uuid::RandomV4() {
  std::array<uint8_t, 16> bytes{};
  // RAND_bytes fails only when the CSPRNG cannot be seeded, which is a broken host.
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) std::abort();
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0F) | 0x40);
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3F) | 0x80);
  return Uuid(bytes);
}

Uuid Uuid::TimeOrderedV7(int64_t unix_millis) {
  Uuid u = RandomV4();
  std::array<uint8_t, 16> bytes = u.bytes_;
  uint64_t ms = static_cast<uint64_t>(std::max<int64_t>(0, unix_millis));
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0F) | 0x70);
  return Uuid(bytes);
}

std::string Uuid::ToString() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[bytes_[i] >> 4];
    out += kHex[bytes_[i] & 0x0F];
  }
  return out;
}

bool IsStixIdOf(std::string_view id, std::string_view type) {
  return id.size() > type.size() + 2 && id.starts_with(type) &&
         id.substr(type.size(), 2) == "--" && Uuid::IsValid(id.substr(type.size() + 2));
}

}  // namespace ctihub
