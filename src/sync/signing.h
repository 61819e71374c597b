// sync/signing: Ed25519 signatures for everything a node sends to a peer (TAXII push bodies,
// TAXII responses to partners, transfer files), as a JWS with detached, unencoded payload
// (RFC 7515 appendix F + RFC 7797 "b64": false): the protected header names the algorithm
// ("alg": "EdDSA", RFC 8037) and the key ("kid": the RFC 7638 JWK thumbprint of the public key),
// and the signature covers the exact bytes sent, so nothing is re-serialised or base64-expanded.
// Naming the algorithm in the envelope lets stronger or post-quantum algorithms be added
// without a format change. OpenSSL does the cryptography.
//
//   CTI_ASSIGN_OR_RETURN(SigningKey key, SigningKey::Load("node.key"));
//   std::string jws = key.SignDetached(body);              // "eyJhbGciOi…..5mK3…"
//   TrustedKeys trusted;  CTI_RETURN_IF_ERROR(trusted.Add(peer_public_key));
//   CTI_RETURN_IF_ERROR(trusted.VerifyDetached(jws, body));
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ctihub::sync {

// Thread-safety: a SigningKey and a TrustedKeys may be used from several threads at once through
// their const methods; Add is not safe concurrently with anything else.

// The HTTP header that carries the detached JWS of a request or response body.
inline constexpr std::string_view kSignatureHeader = "x-ctihub-signature";

class SigningKey {
 public:
  // A new Ed25519 key from the system's CSPRNG.
  static Result<SigningKey> Generate();
  // A PKCS#8 PEM private key file (as `Save` writes, or `openssl genpkey -algorithm ed25519`).
  // InvalidArgument naming the file when it is unreadable, encrypted, or not an Ed25519 key.
  static Result<SigningKey> Load(const std::string& path);
  // Writes the private key as PKCS#8 PEM, mode 0600, atomically (temporary file + rename).
  // AlreadyExists when the file exists (keys are never overwritten).
  Status Save(const std::string& path) const;

  // The raw 32-byte public key, base64url without padding (the JWK "x" member): what a peer
  // writes in its config to trust this node.
  std::string public_key() const;
  // RFC 7638 thumbprint of the public JWK {"crv":"Ed25519","kty":"OKP","x":…}, base64url.
  std::string key_id() const;
  // A compact JWS with an empty payload part: BASE64URL(header) ".." BASE64URL(signature).
  // The header is {"alg":"EdDSA","b64":false,"crit":["b64"],"kid":key_id()}, byte for byte.
  // Empty only if OpenSSL fails, which it does not for a valid key (an empty JWS never verifies).
  std::string SignDetached(std::string_view payload) const;

  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  ~SigningKey();

 private:
  struct Impl;
  explicit SigningKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The public keys a node trusts for one peer.
class TrustedKeys {
 public:
  TrustedKeys();
  TrustedKeys(TrustedKeys&&) noexcept;
  TrustedKeys& operator=(TrustedKeys&&) noexcept;
  ~TrustedKeys();

  // A public key as `SigningKey::public_key()` prints it (base64url of 32 bytes), or the path
  // of a PEM public-key file. InvalidArgument when it is neither.
  Status Add(std::string_view public_key_or_pem_file);
  bool empty() const;
  // Key ids of the trusted keys.
  std::vector<std::string> key_ids() const;

  // OK when `jws` is a well-formed detached JWS over exactly `payload`, made by one of these
  // keys. Unauthenticated otherwise, saying why: malformed, unsupported algorithm (naming it),
  // "b64"/"crit" not as required, a key id that is not trusted (naming it), or a signature that
  // does not verify. Returns the key id that verified.
  Result<std::string> VerifyDetached(std::string_view jws, std::string_view payload) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctihub::sync
