// policy/label: what a marking says about who may receive the content it marks — a TLP level,
// a classification on one ordered scale, releasability ("REL TO" communities, organisations,
// nations) and caveats — and how several markings combine (the most restrictive of each).
//
// Releasability is kept as a conjunction of alternatives: each releasability marking names a
// set of which the recipient must belong to at least one member, and every such marking on the
// content must be satisfied. So "REL TO NATO" plus "REL TO EU" admits a recipient in both, and
// joining labels never widens them.
//
//   Label a = ...;  a.Join(b);   // the label of content carrying both markings
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "stix/markings.h"

namespace ctihub::policy {

using stix::TlpLevel;

// One ordered scale for national, NATO and EU classification levels (see kLevelNames in
// label.cc for the mapping). kPublic is information released to the public.
enum class Classification : uint8_t {
  kPublic = 0,
  kUnclassified,  // NATO UNCLASSIFIED, unclassified but not public
  kRestricted,    // NATO RESTRICTED, RESTREINT UE/EU RESTRICTED, VS-NfD, DIFFUSION RESTREINTE
  kConfidential,  // NATO CONFIDENTIAL, CONFIDENTIEL UE/EU CONFIDENTIAL
  kSecret,        // NATO SECRET, SECRET UE/EU SECRET
  kTopSecret,     // COSMIC TOP SECRET, TRÈS SECRET UE/EU TOP SECRET
};

// "public", "unclassified", "restricted", "confidential", "secret", "top-secret".
std::string_view ClassificationName(Classification c);
// Accepts the scale's names and the NATO, EU and national names of each level, in any case
// ("NATO SECRET", "nato-secret", "RESTREINT UE", "eu-restricted", "VS-NfD", …).
Result<Classification> ParseClassification(std::string_view text);
// "CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED".
std::string_view TlpName(TlpLevel level);
Result<TlpLevel> ParseTlp(std::string_view text);  // "amber+strict", "TLP:AMBER", "white", …

struct Label {
  std::optional<TlpLevel> tlp;  // none: no TLP marking
  Classification classification = Classification::kPublic;
  std::vector<std::set<std::string>> rel_to;  // each: the recipient must match one member
  std::set<std::string> caveats;              // the recipient must hold every one
  std::vector<std::string> unresolved;        // marking refs nobody could interpret
  std::vector<std::string> from;              // the marking refs this label was built from

  // The most restrictive of both: highest TLP and classification, every releasability set and
  // caveat of both, every unresolved ref of both.
  void Join(const Label& other);
  // Plain words, e.g. "TLP:AMBER, SECRET, REL TO {NATO}, caveats {CYBER}".
  std::string ToString() const;
};

}  // namespace ctihub::policy
