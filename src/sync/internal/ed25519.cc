#include "sync/internal/ed25519.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include "sync/internal/base64url.h"

namespace ctihub::sync::internal {
namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

}  // namespace

void PkeyFree::operator()(evp_pkey_st* key) const { EVP_PKEY_free(key); }

std::string TakeOpensslError() {
  unsigned long code = ERR_get_error();  // NOLINT(runtime/int): OpenSSL's type
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

Result<Pkey> Ed25519PrivateKeyFromRaw(std::string_view seed) {
  if (seed.size() != kEd25519KeyBytes) {
    return InvalidArgument("an Ed25519 private key has 32 bytes, not " +
                           std::to_string(seed.size()));
  }
  Pkey key(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), seed.size()));
  if (!key) return InvalidArgument("not an Ed25519 private key: " + TakeOpensslError());
  return key;
}

Result<Pkey> Ed25519PublicKeyFromRaw(std::string_view public_key) {
  if (public_key.size() != kEd25519KeyBytes) {
    return InvalidArgument("an Ed25519 public key has 32 bytes, not " +
                           std::to_string(public_key.size()));
  }
  Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                       reinterpret_cast<const unsigned char*>(public_key.data()),
                                       public_key.size()));
  if (!key) return InvalidArgument("not an Ed25519 public key: " + TakeOpensslError());
  return key;
}

std::string Ed25519RawPublicKey(evp_pkey_st* key) {
  std::string out(kEd25519KeyBytes, '\0');
  size_t length = out.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(out.data()), &length) !=
          1 ||
      length != kEd25519KeyBytes) {
    ERR_clear_error();
    return {};
  }
  return out;
}

Result<std::string> Ed25519Sign(evp_pkey_st* key, std::string_view message) {
  // Ed25519 is one-shot (RFC 8032 hashes the message twice), hence EVP_DigestSign without a
  // digest and without Update calls.
  MdCtx ctx(EVP_MD_CTX_new());
  std::string signature(kEd25519SignatureBytes, '\0');
  size_t length = signature.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      length != kEd25519SignatureBytes) {
    return Internal("Ed25519 signing failed: " + TakeOpensslError());
  }
  return signature;
}

bool Ed25519Verify(evp_pkey_st* key, std::string_view message, std::string_view signature) {
  if (signature.size() != kEd25519SignatureBytes) return false;
  MdCtx ctx(EVP_MD_CTX_new());
  bool ok =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) == 1;
  // A failed verification leaves an entry on the thread's error queue; it is not an error here.
  ERR_clear_error();
  return ok;
}

std::string JwkThumbprint(std::string_view raw_public_key) {
  // RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace; the
  // base64url "x" needs no JSON escaping.
  std::string jwk =
      R"({"crv":"Ed25519","kty":"OKP","x":")" + Base64UrlEncode(raw_public_key) + R"("})";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(jwk.data(), jwk.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    ERR_clear_error();
    return {};
  }
  return Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace ctihub::sync::internal
