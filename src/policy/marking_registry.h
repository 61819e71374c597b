// policy/marking_registry: which marking-definitions the hub understands, and the Label each
// stands for. Built in: TLP 1.0 and 2.0 (and the known aliases, stix/markings.h). Learned from
// marking-definition objects: TLP in either form (whatever the id — some tools mint their own),
// statements (no restriction), ctihub's classification extension (below), and ISA/ACS 3.0
// control sets. A marking whose content is not understood is not learned, so content carrying
// it fails closed (Label::unresolved).
//
// Immutable once built: a policy gate holds a snapshot and swaps in a new one to refresh.
//
//   MarkingRegistry registry;
//   registry.Learn(marking_definition_json);
//   Label label = registry.LabelOf(object.object_marking_refs);
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/status.h"
#include "policy/label.h"
#include "store/store.h"

namespace ctihub::policy {

// ctihub's classification marking, a STIX 2.1 property extension on marking-definitions:
//   "extensions": {"extension-definition--f004bef4-…": {"extension_type": "property-extension",
//       "classification": "NATO SECRET", "rel_to": ["NATO", "EU"], "caveats": ["CYBER"]}}
// `classification` takes any name ParseClassification knows; `rel_to` names communities,
// organisations or nations (ISO 3166 codes) of which a recipient must match one; `caveats` are
// handling caveats a recipient must hold. All optional.
inline constexpr std::string_view kClassificationExtensionId =
    "extension-definition--f004bef4-565d-42cb-beee-c51d5ac9cec4";
// The extension-definition object that publishes it (for `ctihub policy extension`, and for
// partners' validators), created by kCtihubIdentityId (STIX 2.1 §7.3 requires a creator).
std::string ClassificationExtensionDefinition();
// The identity that creates ctihub's published extension-definitions, and its object.
inline constexpr std::string_view kCtihubIdentityId =
    "identity--bfa08347-1636-4147-84dc-5984dc76ea49";
std::string CtihubIdentity();
// A marking-definition carrying the extension, with a deterministic id (UUIDv5 of its content),
// so that the same label minted on two nodes is the same marking. With `own_tlp`, the definition
// itself carries that TLP 2.0 marking (and the id covers it): the definition is then released
// like any object of that TLP; without, only to those cleared for the marking (docs/policy.md).
std::string ClassificationMarking(Classification level, const std::vector<std::string>& rel_to,
                                  const std::vector<std::string>& caveats,
                                  std::optional<TlpLevel> own_tlp = std::nullopt);

inline constexpr std::string_view kAcsExtensionId =
    "extension-definition--3a65884d-005a-4290-8335-cb2d778a83ce";

class MarkingRegistry {
 public:
  MarkingRegistry();

  // Learns one marking-definition (its JSON text). InvalidArgument, naming the property, when
  // it is not a marking-definition or its content cannot be interpreted (it stays unknown), and
  // when the id was defined before with other restrictions: it is then unknown from now on.
  //
  // `trusted_source`: whether whoever wrote it may say what a marking means on this node. An
  // untrusted definition (a partner's upload) is learned only when its id proves its content —
  // a ctihub classification marking whose id is the one ClassificationMarking mints for it.
  // Anything else from an untrusted source is ignored (NotFound, not a conflict): else a partner
  // able to write could define an unknown marking as a statement and so release what carries it,
  // or redefine a known one and so withhold it from everybody.
  Status Learn(std::string_view marking_definition_json, bool trusted_source = true);

  // nullptr for a ref the registry does not know.
  const Label* Find(std::string_view marking_ref) const;
  // The join of the refs' labels; unknown refs are listed in `unresolved`.
  Label LabelOf(const std::vector<std::string>& marking_refs) const;
  // Every ref known, for query-level filtering.
  std::vector<std::string> KnownRefs() const;
  size_t size() const { return labels_.size(); }

 private:
  std::unordered_map<std::string, Label> labels_;
  std::unordered_set<std::string> conflicted_;  // defined differently more than once
  std::unordered_set<std::string> refused_;     // a definition was not understood
};

// A registry of the built-in markings plus the marking-definitions in any collection of the
// store that come from a trusted source: local content (no origin: `ctihub import`), and the
// origins (organisations, peers) `trusted_origins` names — the node's own organisation and the
// partners whose agreement says trust_marking_definitions. From anyone else only self-proving
// classification markings are learned (MarkingRegistry::Learn). Definitions it cannot interpret,
// and those it ignores, are listed in `problems` (content carrying them is withheld from all but
// administrators and its owner).
Result<std::shared_ptr<MarkingRegistry>> LoadMarkings(
    store::Store& st, const std::vector<std::string>& trusted_origins,
    std::vector<std::string>* problems);

}  // namespace ctihub::policy
