// auth/internal/credentials: the encodings around secrets — random ids and secrets, the API key
// token format, strict base64 for HTTP Basic, and the SHA-256 that keys the credential cache.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ctihub::auth::internal {

// The one Unauthenticated error every credential failure returns.
Status InvalidCredentials();

// `n` bytes from OpenSSL's CSPRNG. Aborts when it cannot be seeded: a host without entropy must
// not hand out secrets.
std::string RandomBytes(size_t n);
std::string LowerHex(std::string_view bytes);
// RFC 4648 §5 (URL and filename safe alphabet), without padding.
std::string Base64UrlEncode(std::string_view bytes);
// RFC 4648 §4 (standard alphabet) as HTTP Basic uses it: length a multiple of 4, '=' only as the
// last one or two characters, unused bits zero. nullopt for anything else.
std::optional<std::string> DecodeBase64(std::string_view text);
std::string EncodeBase64(std::string_view bytes);  // standard alphabet, padded

// API keys: "cth_" + 16 lower-case hex (the public id) + "_" + 43 base64url characters (32
// random bytes, the secret).
inline constexpr size_t kKeyIdBytes = 8;
inline constexpr size_t kKeySecretBytes = 32;
inline constexpr size_t kTokenLength = 4 + 2 * kKeyIdBytes + 1 + 43;
struct TokenParts {
  std::string_view id;
  std::string_view secret;
};
std::optional<TokenParts> ParseToken(std::string_view token);
bool IsKeyId(std::string_view text);

// SHA-256 of `method`, a NUL, and `credential`: the credential cache's key, so the cache never
// holds a secret in the clear.
std::string CredentialDigest(std::string_view method, std::string_view credential);

}  // namespace ctihub::auth::internal
