// policy/policy_gate: the release decision — for every object version and every recipient,
// release as stored, release with granular-marked content removed, or withhold — with the ids of
// the rules that decided. It is a store::ReleaseGate, so every read path out of the hub (TAXII,
// `ctihub export`, later sync and transfer files) goes through it; what the indexed marking refs
// can decide is pushed into the query (Constrain), so pages stay full and paging stays exact.
//
// Rules (ids as `policy explain` prints them; docs/policy.md has the full text):
//   admin                     administrators receive everything
//   label.unresolved          a marking nobody can interpret: withheld (fail closed)
//   tlp.unmarked              no TLP marking: treated as PolicyOptions::unmarked_tlp
//   marking.definition        an unmarked marking-definition is judged by the label it defines
//   tlp.red / tlp.amber+strict / tlp.amber / tlp.green   the TLP audience (below)
//   classification.clearance  classified above the recipient's clearance
//   releasability             outside a REL TO set on the content
//   caveats                   a handling caveat the recipient does not hold
//   agreement.collection / agreement.type / agreement.embargo / agreement.confidence /
//   agreement.releasability   what a partner's sharing agreement allows
//   agreement.origin          what came from a partner is never sent back to it (no sync loops)
//   granular.redacted         granular-marked content the recipient may not see was removed
//   granular.invalid          ... and what remained was not valid STIX: withheld
//   reference.withheld        references to observables whose markings the recipient fails
//                             were removed (an SCO's id is a hash of its value)
//   reference.invalid         ... and what remained was not valid STIX: withheld
//   victims.pending           added after the node last read its victims (VictimIndex): a
//                             partner whose profile rewrites victims gets it after the next read
//   sanitized / sanitize.withheld   the agreement's sanitization profile rewrote / withheld it
//
// TLP audiences: CLEAR everyone; GREEN local users and partners whose agreement allows GREEN;
// AMBER local users (the node's organisation and its constituents) and partners allowed AMBER;
// AMBER+STRICT members of the node's organisation and of the owning organisation (the one whose
// identity is the object's created_by_ref) — partners only when their agreement says so; RED
// members of the owning organisation only (partners only when their agreement says so).
// An object's label is never widened on the way out: redaction removes content, never markings.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "policy/label.h"
#include "policy/marking_registry.h"
#include "policy/observable_index.h"
#include "policy/victim_index.h"
#include "sanitize/sanitizer.h"
#include "store/release_gate.h"

namespace ctihub::policy {

// What a partner organisation may receive, from the node's config.
struct Agreement {
  std::string partner;                   // organisation name
  std::vector<std::string> collections;  // ids or aliases; empty = those its grants allow
  std::vector<std::string> types;        // STIX types; empty = all
  TlpLevel tlp_ceiling = TlpLevel::kGreen;
  Classification classification_ceiling = Classification::kUnclassified;
  // When set, only content explicitly releasable (REL TO) to one of these goes.
  std::vector<std::string> required_releasability;
  std::chrono::hours embargo{0};  // released only this long after it was added
  std::optional<int> min_confidence;
  bool share_sightings = false;
  std::string sanitization_profile;  // a PolicyOptions::profiles name, applied on the way out
  bool pseudonymise_sources = false;  // created_by_ref → the node's identity, with or without one
  // Deletions: whether ours of what the partner received are sent to it (sync push, transfer
  // files), and whether its own of what it sent us are applied here.
  bool send_deletions = true;
  bool accept_deletions = true;
  // Whether the marking-definitions the partner sends say what markings mean here (LoadMarkings).
  // Off by default: a partner's definition of a marking it did not mint could release or withhold
  // other parties' content.
  bool trust_marking_definitions = false;
  // The highest TLP of what this partner supplies (its `origin`) that this node passes on to its
  // other partners. TLP 2.0 lets a recipient share GREEN within its community, AMBER only inside
  // its own organisation and RED with nobody: a hub relaying a partner's AMBER to another
  // partner would break the label, unless the supplier agreed to it here.
  TlpLevel relay_tlp = TlpLevel::kGreen;
};

// Policy attributes of an organisation (its name, nation and communities come from the
// accounts; clearance and caveats from the config).
struct OrganisationProfile {
  std::string name;
  std::string nation;
  std::vector<std::string> communities;
  std::string identity;  // its STIX identity: objects it created_by are its own
  std::optional<Classification> clearance;  // default: PolicyOptions::accreditation
  std::vector<std::string> caveats;         // handling caveats its members hold
  // As Agreement::relay_tlp, for what this (local) organisation's members post.
  TlpLevel relay_tlp = TlpLevel::kGreen;
};

struct PolicyOptions {
  std::string node_organisation = "local";
  // The highest level this node holds; the default clearance of local organisations.
  Classification accreditation = Classification::kUnclassified;
  TlpLevel unmarked_tlp = TlpLevel::kAmber;
  std::string node_identity;  // identity--… of this node (for pseudonymised sources)
  std::vector<sanitize::SanitizeProfile> profiles;
  std::vector<Agreement> agreements;
  std::vector<OrganisationProfile> organisations;
  // The organisations of the federation peers ([[peers]]): partners, so without an agreement
  // they receive nothing (rule agreement.none) — never what a local organisation would.
  std::vector<std::string> peer_organisations;
  // How long after its date_added an object waits before it goes to a partner whose profile
  // rewrites victims: a write committing while the victim index is read may carry a date_added
  // just before the read began.
  std::chrono::milliseconds victim_index_settle{1000};
  // Whether a reference to an observable (SCO) goes only where the observable's own markings
  // let it (rule reference.withheld; ObservableIndex): its id is the UUIDv5 of its value, so a
  // GREEN observed-data naming an AMBER address would give the address away to anyone hashing
  // candidates. Off ([policy] observable_references = "as-written"): references go as the
  // referring object's markings allow, the letter of STIX 2.1 §7.2.
  bool observable_references_follow_markings = true;
};

// The origins whose marking-definitions are learned (LoadMarkings): the node's organisation and
// the partners trusted to define markings.
std::vector<std::string> MarkingDefinitionSources(const PolicyOptions& options);

// Everything Decide needs to know about who receives.
struct RecipientProfile {
  store::Recipient who;
  std::string nation;
  std::vector<std::string> groups;  // organisation, nation, communities: what REL TO names
  std::vector<std::string> caveats;
  Classification clearance = Classification::kPublic;
  std::string clearance_from;         // what sets it, for explanations ("the agreement with nato")
  std::string identity;               // the organisation's STIX identity
  const Agreement* agreement = nullptr;  // set for partners
  bool peer_without_agreement = false;   // a federation peer's organisation, no agreement
};

struct Explanation {
  store::ReleaseAction action = store::ReleaseAction::kWithhold;
  std::vector<std::string> rules;   // rule ids, in the order they applied
  std::vector<std::string> reasons;  // one plain sentence per rule
  Label label;                      // the object-level label
  std::vector<std::string> removed;  // selectors of redacted content
  std::string redacted_text;
  std::string new_id, new_version_text;  // when sanitization renamed it
  std::vector<sanitize::Step> sanitized;  // what the agreement's profile did
};

class PolicyGate final : public store::ReleaseGate {
 public:
  // InvalidArgument: an agreement names a profile that does not exist, or a profile is
  // incomplete (sanitize::CheckProfile).
  static Result<std::unique_ptr<PolicyGate>> Make(PolicyOptions options,
                                                  std::shared_ptr<const MarkingRegistry> registry);
  PolicyGate(PolicyOptions options, std::shared_ptr<const MarkingRegistry> registry);

  // Swaps in a newer registry (marking-definitions learned since); thread-safe.
  void SetRegistry(std::shared_ptr<const MarkingRegistry> registry);
  std::shared_ptr<const MarkingRegistry> registry() const;
  // The organisations' profiles in force (SetOrganisations swaps them).
  std::shared_ptr<const std::vector<OrganisationProfile>> organisations() const;
  // Swaps in the organisations as the accounts now describe them (nation, communities, identity;
  // clearance and caveats from the config), replacing PolicyOptions::organisations for every
  // decision from now on; thread-safe. (The victim index keeps the nations it was built with.)
  void SetOrganisations(std::vector<OrganisationProfile> organisations);

  // Reads into the victim index what `st` received since the last call (identities, located-at
  // relationships, locations, victims' domain names), when some agreement's profile rewrites
  // victims; a no-op otherwise. Until it has been called once, such partners receive nothing,
  // and afterwards only what was added before the read began (rule victims.pending; Constrain
  // keeps later objects out of the query, as an embargo does, so paging never skips them).
  // `settle_first`: make sure everything committed before the call is released too (one-shot
  // commands: an export right after an import) by waiting until the store's newest date_added
  // is PolicyOptions::victim_index_settle old — no wait at all when it already is (the usual
  // case), never a wait when no profile rewrites victims. Thread-safe; `st` is used only during
  // the call. Errors of the store (the index stays as it was).
  Status RefreshVictims(store::Store& st, bool settle_first = false);
  // Whether some agreement's profile rewrites victims or observables (victims, pseudonymise,
  // internal_addresses): only then is there a victim index to read and a victims.pending rule.
  bool RewritesVictims() const;
  std::shared_ptr<const VictimIndex> victims() const;

  RecipientProfile Profile(const store::Recipient& who) const;
  const Agreement* AgreementFor(std::string_view organisation) const;

  void Constrain(const store::Recipient& recipient, store::Query* query) const override;
  store::ReleaseDecision Decide(const store::Recipient& recipient,
                                const store::StoredObject& object) const override;
  bool CollectionVisible(const store::Recipient& recipient,
                         const store::Collection& collection) const override;
  // Granular markings and confidence are in the text: manifests must be decided on it too.
  bool NeedsText(const store::Recipient& recipient) const override { return !recipient.admin; }
  bool ReleasesEverything(const store::Recipient& recipient) const override {
    return recipient.admin;
  }
  bool AcceptsDeletions(const store::Recipient& recipient) const override;
  int64_t VersionShift(const store::Recipient& recipient) const override;
  // Reads into the observable index what `st` received since the last call (every marked
  // observable, and every one naming others), when references follow observables' markings.
  Status Refresh(store::Store& st) const override;
  // The decision with every reason, for `ctihub policy explain`.
  Explanation Explain(const store::Recipient& recipient, const store::StoredObject& object) const;

 private:
  // Whether content with `label` (owned by `owner`, supplied by `origin`: empty for the node's
  // own) may go to `r`; appends the failing rules.
  bool LabelPasses(const RecipientProfile& r, const Label& label, std::string_view owner,
                   Explanation* why, std::string_view origin = {}) const;
  // The highest TLP of what `origin` supplied that goes on to other partners (relay_tlp).
  TlpLevel RelayCeiling(std::string_view origin) const;
  // Whether tlp.relay can withhold from a partner under `a` what its markings alone release
  // (some supplier's relay ceiling is below a's): then a version's markings do not decide it.
  bool RelayMayWithhold(const Agreement& a) const;
  Explanation Judge(const RecipientProfile& r, const store::StoredObject& object,
                    bool explain) const;

  // What Decide works out once per recipient (and registry) rather than once per object: the
  // profile, and for each marking ref whether it passes whoever owns the content.
  struct Prepared {
    uint64_t instance = 0, generation = ~uint64_t{0};
    store::Recipient who;
    RecipientProfile profile;
    std::shared_ptr<const MarkingRegistry> registry;
    bool unmarked_passes = false;
    struct RefVerdict {
      bool passes = false;  // as an object marking, for any owner (false when owner-dependent)
      bool passes_granular = false;  // as a granular marking (its own TLP, or the unmarked one)
      bool tlp = false;     // carries a TLP level
      bool named = false;   // REL TO one of the agreement's required groups
    };
    mutable std::unordered_map<std::string, RefVerdict> refs;
    // The same, combined over an object's whole marking list: a store holds few distinct lists,
    // and hashing each ref of each object was a tenth of a restricted page's decisions. Keyed by
    // a hash of the list, which is then compared in full.
    struct ListVerdict {
      std::vector<std::string> markings;
      bool passes = true, tlp = false, named = false;
    };
    mutable std::unordered_map<uint64_t, ListVerdict> lists;
    // Whether each of the observable index's labels (ObservableIndex::copies) fails for this
    // recipient: 1 fails, 0 passes; and whether any does (then references need looking at).
    mutable std::vector<int8_t> copy_fails;
    mutable bool any_copy_fails = false;
  };
  const Prepared& PrepareFor(const store::Recipient& recipient) const;
  // Decide's fast path: true when `object` is plainly released as stored (every marking passes
  // for this recipient whoever owns it, the agreement's checks pass, no granular marking it
  // fails, no confidence rule); false sends it through Judge, which is always exact.
  bool PlainlyReleased(const Prepared& p, const store::StoredObject& object) const;
  const Prepared::RefVerdict& Verdict(const Prepared& p, const std::string& ref) const;
  const Prepared::ListVerdict& Verdict(const Prepared& p,
                                       const std::vector<std::string>& markings) const;
  bool RefPasses(const Prepared& p, const std::string& ref) const;

  // Whether the observable index may withhold a reference in `text` from this recipient: some
  // label it holds fails for it, and the text may name an observable. Brings copy_fails up to
  // date.
  bool ObservablesMayWithhold(const Prepared& p, std::string_view text) const;
  // Whether some observable label the index holds fails for this recipient (copy_fails brought
  // up to date).
  bool AnyObservableWithheld(const Prepared& p) const;
  // Removes from what `e` releases the references to observables the recipient may not
  // receive (reference.withheld), or withholds it when what remains is no valid STIX
  // (reference.invalid). `object`: as stored (its collection says which copies count).
  void FollowObservables(const Prepared& p, const store::StoredObject& object,
                         Explanation& e) const;

  // The sanitizer of a partner's agreement, or null when it has none.
  const sanitize::Sanitizer* SanitizerFor(const Agreement* agreement) const;
  // Whether the agreement's profile needs the victim index (victims, or observables it rewrites
  // or withholds, which references follow).
  bool NeedsVictims(const Agreement* agreement) const;
  // Everything added up to this date_added (µs) is in the victim index; -1 before the first read.
  int64_t VictimHorizon() const { return victim_horizon_.load(); }
  void Sanitize(const RecipientProfile& r, const store::StoredObject& object,
                Explanation& out) const;

  PolicyOptions options_;
  std::vector<std::pair<std::string, std::unique_ptr<sanitize::Sanitizer>>> sanitizers_;
  const uint64_t instance_;  // tells thread-local caches of different gates apart
  mutable std::mutex registry_mu_;  // guards registry_ and organisations_
  std::shared_ptr<const MarkingRegistry> registry_;
  std::shared_ptr<const std::vector<OrganisationProfile>> organisations_;
  // Bumped by SetRegistry and SetOrganisations: per-thread prepared recipients are rebuilt.
  std::atomic<uint64_t> registry_generation_{0};
  mutable std::mutex victims_mu_;  // guards victims_
  std::mutex refresh_mu_;          // one RefreshVictims at a time
  std::shared_ptr<const VictimIndex> victims_;
  std::atomic<int64_t> victim_horizon_{-1};
  // Null when references go as written (observable_references_follow_markings off).
  std::unique_ptr<ObservableIndex> observables_;
};

}  // namespace ctihub::policy
