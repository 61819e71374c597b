#include "sync/node_signer.h"

namespace ctihub::sync {

Status NodeSigner::Trust(const std::string& organisation, const std::vector<std::string>& keys,
                         bool required) {
  Trusted& t = trusted_[organisation];
  t.required = t.required || required;
  for (const std::string& k : keys) {
    Status s = t.keys.Add(k);
    if (!s.ok()) {
      return InvalidArgument("key trusted for '" + organisation + "': " + s.message());
    }
  }
  return Status::Ok();
}

std::optional<std::pair<std::string, std::string>> NodeSigner::SignResponse(
    std::string_view, std::string_view body) const {
  if (!key_) return std::nullopt;
  return std::pair<std::string, std::string>{"X-Ctihub-Signature", key_->SignDetached(body)};
}

Status NodeSigner::VerifyUpload(std::string_view organisation, std::string_view signature,
                                std::string_view body) const {
  auto it = trusted_.find(organisation);
  if (it == trusted_.end()) return Status::Ok();  // no peer of that organisation: not federated
  const Trusted& t = it->second;
  if (signature.empty()) {
    if (!t.required) return Status::Ok();
    return Unauthenticated("uploads from '" + std::string(organisation) +
                           "' must be signed (X-Ctihub-Signature: a detached JWS of the body)");
  }
  if (t.keys.empty()) {
    if (!t.required) return Status::Ok();
    return Unauthenticated("no key is trusted for '" + std::string(organisation) + "'");
  }
  Result<std::string> verified = t.keys.VerifyDetached(signature, body);
  if (!verified.ok()) return verified.status();
  return Status::Ok();
}

}  // namespace ctihub::sync
