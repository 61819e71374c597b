// sanitize/sanitizer: what an agreement's sanitization profile removes or rewrites in an object
// before it leaves the hub — internal addresses, victim identities, personal data, live URLs in
// text, and the identity of sources — each step recorded, every result valid STIX 2.1.
//
// One object at a time (the release path decides per object), so every rewrite is a function of
// the object, the profile (its key) and what a VictimDirectory answers about the identities,
// locations and host names the object refers to: the same object sanitized for the same
// community twice comes out byte-identical, and references between sanitized objects stay
// consistent (a victim identity becomes a deterministic sector + country identity and every
// reference to it follows; an SCO whose content changed gets the deterministic id of its new
// content, STIX 2.1 §2.9). This module reads no store: the policy module implements the
// directory against it (policy/victim_index.h).
//
//   CTI_RETURN_IF_ERROR(CheckProfile(p));
//   Sanitizer sanitizer(p);
//   Sanitized out = sanitizer.Apply(object_json, &directory);   // directory may be null
//   if (out.dropped) ...; else send(out.text);   // out.steps says what was done
#pragma once

#include <optional>
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
  // Victims' identity objects (those the VictimDirectory names; without one, every individual
  // and organisation other than `node_identity`) are replaced by a sector + country identity
  // ("Organisations in the energy sector, DE", identity_class "class", a deterministic id under
  // the community's key), and every reference to a victim in any object follows
  // (where_sighted_refs, source_ref/target_ref, object_refs, any *_ref(s)) — except
  // created_by_ref, which is provenance (pseudonymise_sources' business): an object naming its
  // own author as a victim is withheld unless pseudonymise_sources is set.
  // A victim's located-at relationships are withheld, and so are the locations they reach when
  // those are finer than a country or region, and references to those (removed from a list; an
  // object whose single *_ref names one is withheld). Needs a VictimDirectory to know which refs
  // are victims and their country.
  bool victims = false;
  // email-addr values, user-account names and victims' host names (SCOs, and e-mail addresses
  // and those host names in text) become keyed pseudonyms: HMAC-SHA-256 under `key`, so partners
  // sharing the key can correlate without learning who. Indicator patterns are detection content
  // and are left alone (they name attackers' infrastructure, which partners need), except that a
  // comparison naming a victim's host goes as an internal address does (below).
  bool pseudonymise = false;
  std::string key;  // the community's key; required with `pseudonymise`
  // The constituency's domains (lower-case, "example.gov"): a host name equal to or under one of
  // them is a victim's host. With `pseudonymise` such names become h-<HMAC>.pseudonym.invalid in
  // domain-name and url SCOs, x509-certificate subjects and SANs, references to those domain-name
  // SCOs, and free text; a pattern comparison naming one is removed with its conjunction, like
  // an internal address. Requires `pseudonymise`.
  std::vector<std::string> victim_domains;
  // E-mail addresses, phone numbers, IBANs and national-id-like numbers in free text.
  bool personal_data = false;
  // http(s)/ftp URLs in free text: hxxp://example[.]com/… so no reader clicks them.
  bool defang = false;
  // created_by_ref becomes `node_identity` (the original stays in this node's store only).
  bool pseudonymise_sources = false;
  std::string node_identity;  // identity--… of this node
};

// The profile from its settings; InvalidArgument naming what is missing (a key for
// pseudonymisation, the node identity for sources, pseudonymise for victim_domains) or wrong (a
// victim domain that is not a domain name).
Status CheckProfile(const SanitizeProfile& profile);
// InvalidArgument naming the first entry that is not a domain name ("ministry.example"; case and
// a leading or trailing dot do not matter).
Status CheckVictimDomains(const std::vector<std::string>& domains);

// What the release path may say about a victim identity: only what its sector + country identity
// carries. Countries are ISO 3166-1 alpha-2, upper-case; both lists sorted and unique.
struct VictimFacts {
  std::string identity_class;          // "individual", "organization", … or "unknown"
  std::vector<std::string> sectors;
  std::vector<std::string> countries;  // empty: unknown
  std::vector<std::string> markings;   // the identity's object_marking_refs (kept, never widened)
};

// Location properties finer than a country or region: a victim's location with one of them says
// where the victim is.
inline constexpr std::string_view kPreciseLocationProperties[] = {
    "latitude", "longitude", "precision", "administrative_area", "city", "street_address",
    "postal_code"};

// Lookups the sanitizer needs beyond the object in hand, answered from the node's store (the
// policy module's VictimIndex) or, in tests, from a fake. Implementations are thread-safe.
class VictimDirectory {
 public:
  virtual ~VictimDirectory() = default;
  // The facts of `identity_id` when it is a victim (the policy module's VictimIndex: an identity
  // the store shows in a victim role — targeted, or where something was sighted — other than the
  // node's own and other than a class), else nullopt. The country comes from a located-at
  // relationship to a location with a country, else from the organisation configured with that
  // identity.
  virtual std::optional<VictimFacts> Find(std::string_view identity_id) const = 0;
  // Whether `location_id` is a victim's place: the target of a victim's located-at relationship,
  // finer than a country or region (kPreciseLocationProperties), and the target of no
  // relationship from anything but victims (one a threat actor is located at too is a place on
  // the map, not a victim's site).
  virtual bool IsVictimPlace(std::string_view location_id) const = 0;
  // The same for a location no finer than a country or region: released, but with no more than
  // its area (its name and description may say "Ministry of Water HQ").
  virtual bool IsVictimArea(std::string_view location_id) const = 0;
  // The stored JSON of the object with this id, when the node holds it and a profile may
  // rewrite or withhold it so that its id changes (kRewritableReferenceTypes). An SCO's id is
  // derived from its value (STIX 2.1 §2.9), so a reference to an internal address, a victim's
  // host or a pseudonymised e-mail address would give the value away to anyone hashing
  // candidates; a statement marking-definition whose text is scrubbed goes out under a new id.
  // The sanitizer follows such a reference to what the object itself becomes.
  virtual std::optional<std::string> ReferencedText(std::string_view sco_id) const = 0;
  // Whether the node holds an object with this id (one of kRewritableReferenceTypes). A
  // reference to an observable it does not hold cannot be checked: its id may be the hash of
  // an internal address or of an e-mail address, so a profile that rewrites such observables
  // removes it (fail closed).
  virtual bool Holds(std::string_view sco_id) const = 0;
  // Up to `max` ids (lower case) the directory knows that start with `prefix` (lower case, a
  // type and part of a UUID: "ipv4-addr--5e2d1a8c"): what a shortened id in prose may name.
  virtual std::vector<std::string> IdsStartingWith(std::string_view prefix, size_t max) const = 0;
};

// The types whose references ReferencedText answers: SCOs a profile rewrites or withholds by
// their id-contributing values (STIX 2.1 §2.9) — references among them, so a network-traffic's
// or an email-message's id changes with the address it names — and marking-definitions
// (scrubbed, renamed).
inline constexpr std::string_view kRewritableReferenceTypes[] = {
    "ipv4-addr",  "ipv6-addr",    "domain-name",          "url",
    "email-addr", "user-account", "network-traffic",      "email-message",
    "file",       "directory",    "windows-registry-key", "marking-definition"};
// How deep the sanitizer follows references from a referenced object to what it names.
inline constexpr int kMaxReferenceDepth = 4;

struct Step {
  std::string id;        // "internal-address", "victim", "victim-host", "pseudonym",
                         // "personal-data", "defang", "source", "new-version", "new-id",
                         // "withheld-ref" (a reference to a withheld observable removed),
                         // "renamed-marking" (a reference to a scrubbed statement's new id)
  std::string property;  // JSON pointer of what changed
};

// A rewritten SDO/SRO's `modified` is the original's plus this (step "new-version").
inline constexpr int64_t kSanitizedVersionStepMicros = 1;

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
  // `victims` answers which references are victims (the `victims` and `victim_domains` steps);
  // without one, a victim identity is still replaced (country unknown) but references to it
  // cannot be recognised. Thread-safe (const).
  Sanitized Apply(std::string_view object_json, const VictimDirectory* victims = nullptr) const;
  const SanitizeProfile& profile() const { return profile_; }

  // The sector + country identity standing for victims with these facts under this profile:
  // deterministic (same facts, same key → same bytes), nothing of the victim's id or name in it.
  std::string ClassIdentity(const VictimFacts& facts) const;
  std::string ClassIdentityId(const VictimFacts& facts) const;
  // The id a statement marking-definition whose text was scrubbed goes out with.
  std::string StatementId(std::string_view original_id) const;
  // Whether `host` is equal to or under one of the profile's victim_domains; its pseudonym.
  bool IsVictimHost(std::string_view host) const;
  std::string HostPseudonym(std::string_view host) const;

 private:
  SanitizeProfile profile_;
};

// Exposed for tests: whether an address or host name is internal.
bool IsInternalAddress(std::string_view text);
bool IsInternalHostName(std::string_view text);

}  // namespace ctihub::sanitize
