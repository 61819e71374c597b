// sync/node_signer: this node's side of signed federation on its TAXII server — it signs every
// successful response to an authenticated caller with the node's key (so a pulling peer can
// verify what it received), and checks the signature of envelopes POSTed by the organisation of
// each peer whose config requires signatures (refusing, and logging, anything unsigned or
// badly signed).
//
//   NodeSigner signer(&node_key);
//   CTI_RETURN_IF_ERROR(signer.Trust("nato", peer.trusted_keys, /*required=*/true));
//   service.SetSigner(&signer);
#pragma once

#include <map>
#include <string>
#include <vector>

#include "sync/signing.h"
#include "taxii/service.h"

namespace ctihub::sync {

class NodeSigner final : public taxii::MessageSigner {
 public:
  // `key` (may be null: responses unsigned) must outlive the signer.
  explicit NodeSigner(const SigningKey* key) : key_(key) {}

  // The keys `organisation` signs with, and whether its uploads must be signed.
  // InvalidArgument for a key that cannot be read.
  Status Trust(const std::string& organisation, const std::vector<std::string>& keys,
               bool required);

  std::optional<std::pair<std::string, std::string>> SignResponse(
      std::string_view organisation, std::string_view body) const override;
  Status VerifyUpload(std::string_view organisation, std::string_view signature,
                      std::string_view body) const override;

 private:
  struct Trusted {
    TrustedKeys keys;
    bool required = false;
  };
  const SigningKey* key_;
  std::map<std::string, Trusted, std::less<>> trusted_;
};

}  // namespace ctihub::sync
