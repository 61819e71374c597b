#include "sync/signing.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <utility>

#include "sync/internal/base64url.h"
#include "sync/internal/durable_file.h"
#include "sync/internal/ed25519.h"

namespace ctihub::sync {
namespace {

using internal::Pkey;

// Key files are a few hundred bytes; the cap keeps a mistaken path (a log, a device) harmless.
constexpr size_t kMaxKeyFileBytes = 64 * 1024;
// A protected header we accept is under 150 characters; anything much longer is not ours.
constexpr size_t kMaxHeaderChars = 4096;

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

Result<std::string> ReadKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return InvalidArgument("cannot read key file " + path + ": " + std::strerror(errno));
  }
  std::string data(kMaxKeyFileBytes + 1, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (in.bad()) return InvalidArgument("cannot read key file " + path);
  data.resize(static_cast<size_t>(in.gcount()));
  if (data.size() > kMaxKeyFileBytes) {
    return InvalidArgument(path + " is not a key file (larger than 64 KiB)");
  }
  return data;
}

// Never prompt on the terminal for a passphrase (OpenSSL's default with a null callback): a
// service has no one to answer, so an encrypted key simply fails to load.
int NoPassphrase(char*, int, int, void*) { return -1; }

bool IsEd25519(EVP_PKEY* key) { return EVP_PKEY_is_a(key, "ED25519") == 1; }

// An untrusted string in a message: printable ASCII only, and short.
std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 64)) out += (c >= 0x20 && c < 0x7F) ? c : '?';
  if (text.size() > 64) out += "...";
  return out;
}

std::string ProtectedHeader(const std::string& key_id) {
  // RFC 7797 §3: "b64": false must be listed in "crit". Written by hand so the bytes never
  // depend on a JSON library's member order; the key id is base64url and needs no escaping.
  return R"({"alg":"EdDSA","b64":false,"crit":["b64"],"kid":")" + key_id + R"("})";
}

}  // namespace

struct SigningKey::Impl {
  Pkey key;
  std::string public_key;  // base64url
  std::string key_id;
  std::string encoded_header;  // BASE64URL(protected header), the same for every signature

  explicit Impl(Pkey k) : key(std::move(k)) {
    std::string raw = internal::Ed25519RawPublicKey(key.get());
    public_key = internal::Base64UrlEncode(raw);
    key_id = internal::JwkThumbprint(raw);
    encoded_header = internal::Base64UrlEncode(ProtectedHeader(key_id));
  }
};

SigningKey::SigningKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;
SigningKey::~SigningKey() = default;

Result<SigningKey> SigningKey::Generate() {
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) return Internal("cannot generate an Ed25519 key: " + internal::TakeOpensslError());
  return SigningKey(std::make_unique<Impl>(std::move(key)));
}

Result<SigningKey> SigningKey::Load(const std::string& path) {
  CTI_ASSIGN_OR_RETURN(std::string pem, ReadKeyFile(path));
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Pkey key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr) : nullptr);
  OPENSSL_cleanse(pem.data(), pem.size());
  if (!key) {
    internal::TakeOpensslError();
    return InvalidArgument(path +
                           " is not an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----); "
                           "make one with `ctihub` or `openssl genpkey -algorithm ed25519`");
  }
  if (!IsEd25519(key.get())) {
    return InvalidArgument(path + " holds a " + EVP_PKEY_get0_type_name(key.get()) +
                           " key; node keys must be Ed25519");
  }
  return SigningKey(std::make_unique<Impl>(std::move(key)));
}

Status SigningKey::Save(const std::string& path) const {
  Bio bio(BIO_new(BIO_s_mem()));
  // PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY") in OpenSSL 3.
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), impl_->key.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1) {
    return Internal("cannot encode the private key: " + internal::TakeOpensslError());
  }
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);  // NOLINT(runtime/int): OpenSSL's type
  Status written =
      internal::WriteNewFile(path, std::string_view(data, static_cast<size_t>(length)), 0600);
  OPENSSL_cleanse(data, static_cast<size_t>(length));
  return written;
}

std::string SigningKey::public_key() const { return impl_->public_key; }
std::string SigningKey::key_id() const { return impl_->key_id; }

std::string SigningKey::SignDetached(std::string_view payload) const {
  // RFC 7797 §3: with "b64": false the signing input is ASCII(BASE64URL(header)) '.' payload.
  std::string input;
  input.reserve(impl_->encoded_header.size() + 1 + payload.size());
  input.append(impl_->encoded_header).append(1, '.').append(payload);
  Result<std::string> signature = internal::Ed25519Sign(impl_->key.get(), input);
  if (!signature.ok()) return {};  // never for a loaded key; an empty JWS fails verification
  return impl_->encoded_header + ".." + internal::Base64UrlEncode(*signature);
}

struct TrustedKeys::Impl {
  std::map<std::string, Pkey, std::less<>> by_key_id;
};

TrustedKeys::TrustedKeys() : impl_(std::make_unique<Impl>()) {}
TrustedKeys::TrustedKeys(TrustedKeys&&) noexcept = default;
TrustedKeys& TrustedKeys::operator=(TrustedKeys&&) noexcept = default;
TrustedKeys::~TrustedKeys() = default;

Status TrustedKeys::Add(std::string_view public_key_or_pem_file) {
  Pkey key;
  std::optional<std::string> raw = internal::Base64UrlDecode(public_key_or_pem_file);
  if (raw && raw->size() == internal::kEd25519KeyBytes) {
    CTI_ASSIGN_OR_RETURN(key, internal::Ed25519PublicKeyFromRaw(*raw));
  } else {
    const std::string path(public_key_or_pem_file);
    Result<std::string> pem = ReadKeyFile(path);
    if (!pem.ok()) {
      return InvalidArgument("'" + Printable(path) +
                             "' is neither an Ed25519 public key (43 base64url characters) nor "
                             "a readable PEM public-key file");
    }
    Bio bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
    key.reset(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr) : nullptr);
    if (!key) {
      internal::TakeOpensslError();
      return InvalidArgument(path +
                             " is not a PEM public key (-----BEGIN PUBLIC KEY-----); export one "
                             "with `openssl pkey -in node.key -pubout`");
    }
    if (!IsEd25519(key.get())) {
      return InvalidArgument(path + " holds a " + EVP_PKEY_get0_type_name(key.get()) +
                             " key; node keys must be Ed25519");
    }
  }
  std::string key_id = internal::JwkThumbprint(internal::Ed25519RawPublicKey(key.get()));
  impl_->by_key_id.emplace(std::move(key_id), std::move(key));  // a repeated key is kept once
  return Status::Ok();
}

bool TrustedKeys::empty() const { return impl_->by_key_id.empty(); }

std::vector<std::string> TrustedKeys::key_ids() const {
  std::vector<std::string> ids;
  for (const auto& [id, key] : impl_->by_key_id) ids.push_back(id);
  return ids;
}

Result<std::string> TrustedKeys::VerifyDetached(std::string_view jws,
                                                std::string_view payload) const {
  // RFC 7515 §7.1 compact form with the payload detached (appendix F): "HEADER..SIGNATURE".
  const size_t first_dot = jws.find('.');
  const size_t second_dot =
      first_dot == std::string_view::npos ? first_dot : jws.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      jws.find('.', second_dot + 1) != std::string_view::npos) {
    return Unauthenticated("malformed JWS: expected BASE64URL(header) \"..\" BASE64URL(signature)");
  }
  if (second_dot != first_dot + 1) {
    return Unauthenticated(
        "not a detached JWS: the payload part is not empty (the payload travels separately)");
  }
  const std::string_view encoded_header = jws.substr(0, first_dot);
  const std::string_view encoded_signature = jws.substr(second_dot + 1);
  if (encoded_header.empty() || encoded_header.size() > kMaxHeaderChars) {
    return Unauthenticated("malformed JWS: missing or oversized protected header");
  }
  std::optional<std::string> header_text = internal::Base64UrlDecode(encoded_header);
  if (!header_text) return Unauthenticated("malformed JWS: the protected header is not base64url");
  boost::system::error_code ec;
  // Boost.JSON keeps the last of duplicate members, which RFC 7515 §4 allows.
  boost::json::value header = boost::json::parse(*header_text, ec);
  if (ec || !header.is_object()) {
    return Unauthenticated("malformed JWS: the protected header is not a JSON object");
  }
  const boost::json::object& members = header.get_object();

  const boost::json::value* alg = members.if_contains("alg");
  if (!alg) return Unauthenticated("malformed JWS: the protected header has no \"alg\"");
  if (!alg->is_string() || alg->get_string() != "EdDSA") {
    std::string name = alg->is_string() ? std::string(alg->get_string()) : serialize(*alg);
    return Unauthenticated("unsupported algorithm '" + Printable(name) +
                           "' (this node accepts EdDSA)");
  }

  // RFC 7797 §3 and §6: "b64": false, listed in "crit" so that a verifier unaware of the
  // extension refuses instead of reading the payload as base64url. Both are required here, so a
  // signature over an encoded payload (an ordinary JWS) never passes for one over raw bytes.
  const boost::json::value* b64 = members.if_contains("b64");
  const boost::json::value* crit = members.if_contains("crit");
  if (!b64 || !b64->is_bool() || b64->get_bool()) {
    return Unauthenticated("JWS header must have \"b64\": false (an unencoded, detached payload)");
  }
  bool crit_has_b64 = false;
  if (crit && crit->is_array() && !crit->get_array().empty()) {
    for (const boost::json::value& name : crit->get_array()) {
      if (!name.is_string()) return Unauthenticated("JWS header \"crit\" must list names");
      if (name.get_string() != "b64") {
        // RFC 7515 §4.1.11: a critical extension we do not understand must be refused.
        return Unauthenticated("JWS header marks '" + Printable(name.get_string()) +
                               "' critical, which this node does not understand");
      }
      crit_has_b64 = true;
    }
  }
  if (!crit_has_b64) return Unauthenticated("JWS header must have \"crit\": [\"b64\"]");

  const boost::json::value* kid = members.if_contains("kid");
  if (!kid || !kid->is_string()) {
    return Unauthenticated("JWS header has no \"kid\" naming the signing key");
  }
  const std::string_view key_id = kid->get_string();
  auto it = impl_->by_key_id.find(key_id);
  if (it == impl_->by_key_id.end()) {
    return Unauthenticated("key '" + Printable(key_id) + "' is not trusted");
  }

  std::optional<std::string> signature = internal::Base64UrlDecode(encoded_signature);
  if (!signature || signature->size() != internal::kEd25519SignatureBytes) {
    return Unauthenticated("malformed JWS: the signature is not 64 bytes of base64url");
  }
  std::string input;
  input.reserve(encoded_header.size() + 1 + payload.size());
  input.append(encoded_header).append(1, '.').append(payload);
  if (!internal::Ed25519Verify(it->second.get(), input, *signature)) {
    return Unauthenticated("signature does not verify with key '" + std::string(key_id) +
                           "': the content or the header was changed, or another key signed it");
  }
  return std::string(key_id);
}

}  // namespace ctihub::sync
