// Secret hashing (Argon2id, RFC 9106) and the encodings of credentials.
#include <argon2.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <string>

#include "auth/accounts.h"
#include "auth/internal/credentials.h"

namespace ctihub::auth {

namespace internal {
namespace {

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string EncodeWith(std::string_view bytes, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  auto at = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    for (int shift : {18, 12, 6, 0}) out += alphabet[(v >> shift) & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = at(i) << 16 | (rest == 2 ? at(i + 1) << 8 : 0);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (rest == 2) out += alphabet[(v >> 6) & 63];
    if (pad) out.append(3 - rest, '=');
  }
  return out;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool IsBase64Url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

Status InvalidCredentials() { return Unauthenticated("invalid credentials"); }

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    std::abort();
  }
  return out;
}

std::string LowerHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::string Base64UrlEncode(std::string_view bytes) { return EncodeWith(bytes, kBase64Url, false); }
std::string EncodeBase64(std::string_view bytes) { return EncodeWith(bytes, kBase64, true); }

std::optional<std::string> DecodeBase64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') {
    padding = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
  }
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    size_t data = last ? 4 - padding : 4;
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      int d = k < data ? Base64Value(text[i + k]) : 0;
      if (d < 0) return std::nullopt;  // also a '=' before the end
      v = v << 6 | static_cast<uint32_t>(d);
    }
    out += static_cast<char>(v >> 16);
    if (data >= 3) out += static_cast<char>((v >> 8) & 0xff);
    if (data == 4) out += static_cast<char>(v & 0xff);
    // Non-zero bits under the padding: another encoder's output, or tampering; either way not
    // the canonical encoding of any credential (RFC 4648 §3.5).
    if ((data == 3 && (v & 0xff) != 0) || (data == 2 && (v & 0xffff) != 0)) return std::nullopt;
  }
  return out;
}

std::optional<TokenParts> ParseToken(std::string_view token) {
  if (token.size() != kTokenLength || token.substr(0, 4) != "cth_" || token[20] != '_') {
    return std::nullopt;
  }
  std::string_view id = token.substr(4, 16);
  std::string_view secret = token.substr(21);
  if (!IsKeyId(id)) return std::nullopt;
  for (char c : secret) {
    if (!IsBase64Url(c)) return std::nullopt;
  }
  return TokenParts{id, secret};
}

bool IsKeyId(std::string_view text) {
  if (text.size() != 2 * kKeyIdBytes) return false;
  for (char c : text) {
    if (!IsLowerHex(c)) return false;
  }
  return true;
}

std::string CredentialDigest(std::string_view method, std::string_view credential) {
  std::string input;
  input.reserve(method.size() + 1 + credential.size());
  input.append(method).push_back('\0');
  input.append(credential);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    std::abort();  // SHA-256 missing from libcrypto: nothing here can work
  }
  OPENSSL_cleanse(input.data(), input.size());
  return std::string(reinterpret_cast<const char*>(digest), length);
}

}  // namespace internal

Result<std::string> HashSecret(std::string_view secret, const HashingCost& cost) {
  constexpr size_t kSaltBytes = 16;
  constexpr size_t kHashBytes = 32;
  if (cost.time_cost < 1 || cost.parallelism < 1 || cost.memory_kib < 8 * cost.parallelism) {
    return InvalidArgument("Argon2id cost t=" + std::to_string(cost.time_cost) +
                           ", m=" + std::to_string(cost.memory_kib) +
                           " KiB, p=" + std::to_string(cost.parallelism) +
                           " is invalid: needs t >= 1, p >= 1 and m >= 8*p KiB");
  }
  std::string salt = internal::RandomBytes(kSaltBytes);
  std::string encoded(argon2_encodedlen(cost.time_cost, cost.memory_kib, cost.parallelism,
                                        kSaltBytes, kHashBytes, Argon2_id),
                      '\0');
  int rc = argon2id_hash_encoded(cost.time_cost, cost.memory_kib, cost.parallelism, secret.data(),
                                 secret.size(), salt.data(), salt.size(), kHashBytes,
                                 encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    std::string what = std::string("Argon2id hashing failed: ") + argon2_error_message(rc);
    return rc == ARGON2_MEMORY_ALLOCATION_ERROR ? ResourceExhausted(what) : Internal(what);
  }
  encoded.resize(encoded.find('\0'));  // argon2_encodedlen is an upper bound
  return encoded;
}

bool VerifySecret(std::string_view encoded, std::string_view secret) {
  // Only our own format: a row of another variant (argon2i/argon2d) is refused, not verified.
  if (encoded.substr(0, 10) != "$argon2id$") return false;
  std::string phc(encoded);  // argon2 wants a NUL-terminated string
  return argon2id_verify(phc.c_str(), secret.data(), secret.size()) == ARGON2_OK;
}

}  // namespace ctihub::auth
