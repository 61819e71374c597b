// sync/internal/ed25519: the raw Ed25519 operations (RFC 8032 PureEdDSA) under sync/signing, and
// the RFC 7638 key id. Kept apart from the JWS envelope so the tests can check the signatures
// against RFC 8037's vectors byte for byte.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, so this header does not pull in <openssl/evp.h>

namespace ctihub::sync::internal {

inline constexpr size_t kEd25519KeyBytes = 32;
inline constexpr size_t kEd25519SignatureBytes = 64;

struct PkeyFree {
  void operator()(evp_pkey_st* key) const;
};
using Pkey = std::unique_ptr<evp_pkey_st, PkeyFree>;

// A key from its raw 32 bytes (the RFC 8032 private seed, or the public point). InvalidArgument
// when the bytes are not 32 long or OpenSSL refuses them.
Result<Pkey> Ed25519PrivateKeyFromRaw(std::string_view seed);
Result<Pkey> Ed25519PublicKeyFromRaw(std::string_view public_key);
// The raw 32-byte public key of an Ed25519 key (private or public).
std::string Ed25519RawPublicKey(evp_pkey_st* key);

// The 64-byte signature of `message`. Internal when OpenSSL fails (it does not for a valid key).
// Thread-safe: each call has its own context.
Result<std::string> Ed25519Sign(evp_pkey_st* key, std::string_view message);
// True when `signature` is a valid signature of `message` by `key`.
bool Ed25519Verify(evp_pkey_st* key, std::string_view message, std::string_view signature);

// RFC 7638 thumbprint of the JWK {"crv":"Ed25519","kty":"OKP","x":…} (RFC 8037 §2):
// base64url(SHA-256 of the members in lexicographic order, no whitespace).
std::string JwkThumbprint(std::string_view raw_public_key);

// The last OpenSSL error as text (and clears OpenSSL's error queue), for messages.
std::string TakeOpensslError();

}  // namespace ctihub::sync::internal
