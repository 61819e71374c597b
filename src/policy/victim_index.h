// policy/victim_index: which identities in the node's store are victims, and what a partner may
// learn of them (class, sectors, country) — the sanitize::VictimDirectory the release gate hands
// to the sanitizer, so that victim identities become sector + country identities and every
// reference to them follows. Also: the targets of victims' located-at relationships, and the
// observables a profile rewrites or withholds (an internal address, a victim's host name, a
// pseudonymised e-mail address or account), whose value-derived ids references would give away.
//
// A victim is an identity the store shows in a victim role — the target_ref of a `targets`
// relationship (STIX 2.1 §4.7) or one of a sighting's where_sighted_refs (§5.1), in any version
// of either — other than the node's own and other than an identity_class "class" (in every
// version: a partner posting a "class" version of a victim it can name does not free it). Being the
// created_by_ref of content does not make an identity a victim (authors are sources; hiding them
// is pseudonymise_sources' job), and does not save one either: a CERT that was itself targeted,
// or that sighted something on its own network, is a victim like any other (fail closed), while
// the created_by_ref property of its content stays as it is.
//
// A snapshot, like the MarkingRegistry: read from the store (identity, relationship, location,
// sighting and, when some profile rewrites observables, the kRewritableReferenceTypes SCOs), then
// brought up to date by reading only what each collection received since (by date_added). A
// snapshot is never changed once published: Updated returns a new one, which the gate swaps in.
// Reads are thread-safe.
//
//   VictimIndex::Options o;  o.node_identity = "identity--…";  o.nations = {{"identity--…", "DE"}};
//   auto index = std::make_shared<const VictimIndex>(o);
//   CTI_ASSIGN_OR_RETURN(std::shared_ptr<const VictimIndex> newer, index->Updated(store));
//   if (newer) index = newer;
//   sanitizer.Apply(text, index.get());
#pragma once

#include <absl/container/flat_hash_set.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "sanitize/sanitizer.h"
#include "store/store.h"

namespace ctihub::policy {

class VictimIndex final : public sanitize::VictimDirectory {
 public:
  struct Options {
    std::string node_identity;  // never a victim
    // The country of an organisation's identity when no located-at says one ([[organisations]]
    // identity and nation).
    std::map<std::string, std::string, std::less<>> nations;
    // The union of the profiles' victim_domains: a domain-name SCO under one is kept.
    std::vector<std::string> victim_domains;
    // Whether some profile rewrites or withholds this observable (its stored JSON; one of
    // sanitize::kRewritableReferenceTypes): such observables are kept, so that references to
    // them follow what they become (ReferencedText). Unset: only victim_domains decide.
    std::function<bool(std::string_view json)> rewrites_referenced;
  };

  explicit VictimIndex(Options options);

  // A new snapshot: this one plus what `st` received since this one read it; nullptr when it
  // received nothing of interest. Errors of the store as they come (the snapshot stays usable).
  // Not for concurrent calls on one store connection (Store is not).
  Result<std::shared_ptr<const VictimIndex>> Updated(store::Store& st) const;
  // Takes in one stored version (Updated does this for each; tests may call it directly).
  void Learn(const store::StoredObject& object);

  // sanitize::VictimDirectory
  std::optional<sanitize::VictimFacts> Find(std::string_view identity_id) const override;
  bool IsVictimPlace(std::string_view location_id) const override;
  bool IsVictimArea(std::string_view location_id) const override;
  std::optional<std::string> ReferencedText(std::string_view sco_id) const override;
  bool Holds(std::string_view sco_id) const override;
  std::vector<std::string> IdsStartingWith(std::string_view prefix, size_t max) const override;

  size_t identities() const { return identities_.size(); }

 private:
  struct Identity {
    int64_t version = -1;
    std::string identity_class;
    std::vector<std::string> sectors, markings;
    bool local = false;       // the facts are from a version of the node's own (no origin)
    bool only_class = true;   // every version seen has identity_class "class"
  };
  struct Location {
    int64_t version = -1;
    std::string country;
    bool precise = false;  // finer than a country or region (sanitize::kPreciseLocationProperties)
  };
  bool IsVictim(std::string_view identity_id) const;
  bool ReadsObservables() const;
  // The location is where a sighting was made, or a victim's located-at reaches it and nothing
  // but victims' relationships do.
  bool OnlyVictimsAt(const std::string& location_id) const;

  Options options_;
  sanitize::Sanitizer hosts_;  // IsVictimHost over the union of victim_domains
  std::map<std::string, Identity, std::less<>> identities_;
  // Identities the store shows in a victim role: target_ref of a `targets` relationship, or in a
  // sighting's where_sighted_refs (any version of either).
  std::set<std::string, std::less<>> victim_roles_;
  // Locations a sighting names in where_sighted_refs (STIX 2.1 §5.1 allows them): where the
  // sighter was, a victim's place like a located-at one.
  std::set<std::string, std::less<>> sighted_places_;
  std::map<std::string, Location, std::less<>> locations_;
  std::map<std::string, std::vector<std::string>, std::less<>> located_at_;  // identity → locations
  std::map<std::string, std::vector<std::string>, std::less<>> located_by_;  // location → identities
  // location → the source of every relationship to it (located-at or not, victim or not)
  std::map<std::string, std::vector<std::string>, std::less<>> targeted_by_;
  // Observables some profile rewrites or withholds: id → stored JSON.
  std::map<std::string, std::string, std::less<>> observables_;
  // Every observable of those types held (XXH3 of the lower-case id): 8 bytes each, where the
  // ids themselves would cost ten times that on a store of millions.
  absl::flat_hash_set<uint64_t> held_;
  std::map<std::string, int64_t> read_until_;  // collection id → last date_added read (µs)
};

}  // namespace ctihub::policy
