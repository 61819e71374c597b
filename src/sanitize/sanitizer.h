// sanitize/sanitizer: what an agreement's sanitization profile removes or rewrites in an object
// before it leaves the hub — internal addresses, victim identities, personal data, live URLs in
// text, and the identity of sources — each step recorded, every result valid STIX 2.1.
//
// One object at a time (the release path decides per object), so every rewrite is a function of
// the object and the profile's key alone: the same object sanitized for the same community twice
// comes out byte-identical, and references between sanitized objects stay consistent (an
// identity keeps its id while its content is generalised; an SCO whose content changed gets the
// deterministic id of its new content, STIX 2.1 §2.9).
//
//   CTI_ASSIGN_OR_RETURN(SanitizeProfile p, MakeProfile(settings));
//   Sanitizer sanitizer(p);
//   Sanitized out = sanitizer.Apply(object_json);
//   if (out.dropped) ...; else send(out.text);   // out.steps says what was done
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ctihub::sanitize {

struct SanitizeProfile {
  std::string name;
  // RFC 1918, 6598, 4193, link-local, loopback addresses and internal host names (.local,
  // .internal, .corp, .lan, home.arpa): dropped from patterns (a conjunction or observation
  // naming one goes whole, so no detection is widened), SCOs carrying one are withheld, text
  // gets "[internal]".
  bool internal_addresses = false;
  // identity objects of individuals and organisations (other than `node_identity`) keep their
  // id and sectors but lose name, description, contact information and roles: "an organisation
  // in the energy sector".
  bool victims = false;
  // email-addr values, user-account names and host names (SCOs, and e-mail addresses in text)
  // become keyed pseudonyms: HMAC-SHA-256 under `key`, so partners sharing the key can correlate
  // without learning who. Indicator patterns are detection content and are left alone (they
  // name attackers' infrastructure, which partners need).
  bool pseudonymise = false;
  std::string key;  // the community's key; required with `pseudonymise`
  // E-mail addresses, phone numbers, IBANs and national-id-like numbers in free text.
  bool personal_data = false;
  // http(s)/ftp URLs in free text: hxxp://example[.]com/… so no reader clicks them.
  bool defang = false;
  // created_by_ref becomes `node_identity` (the original stays in this node's store only).
  bool pseudonymise_sources = false;
  std::string node_identity;  // identity--… of this node
};

// The profile from its settings; InvalidArgument naming what is missing (a key for
// pseudonymisation, the node identity for sources).
Status CheckProfile(const SanitizeProfile& profile);

struct Step {
  std::string id;        // "internal-address", "victim", "pseudonym", "personal-data", "defang",
                         // "source", "new-version", "new-id"
  std::string property;  // JSON pointer of what changed
};

struct Sanitized {
  bool dropped = false;       // nothing of it may go (e.g. an internal address SCO)
  bool changed = false;
  std::string text;           // the sanitized object (the input when unchanged)
  std::string id;             // its id (new for an SCO whose content changed)
  std::vector<Step> steps;    // what was done, never the removed values
  std::string reason;         // why dropped
};

class Sanitizer {
 public:
  explicit Sanitizer(SanitizeProfile profile);
  // Never fails on a JSON object: anything it cannot make sense of is dropped with a reason.
  Sanitized Apply(std::string_view object_json) const;
  const SanitizeProfile& profile() const { return profile_; }

 private:
  SanitizeProfile profile_;
};

// Exposed for tests: whether an address or host name is internal.
bool IsInternalAddress(std::string_view text);
bool IsInternalHostName(std::string_view text);

}  // namespace ctihub::sanitize
