#include "policy/policy_gate.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <set>
#include <thread>

#include "common/country_codes.h"
#include "policy/observable_index.h"
#include "policy/redact.h"
#include "stix/object.h"

namespace ctihub::policy {
namespace {

using store::ReleaseAction;

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// REL TO names are compared without regard to case ("nato" and "NATO" are one community).
bool Intersects(const std::vector<std::string>& groups, const std::set<std::string>& rel_to) {
  for (const std::string& g : groups) {
    for (const std::string& r : rel_to) {
      if (Upper(g) == Upper(r)) return true;
    }
  }
  return false;
}

// Whether the text may have granular markings. memmem (two-way search) rather than
// std::string::find, which stops at every '"' of the JSON: this runs for every object served.
bool MentionsGranularMarkings(std::string_view text) {
  static constexpr std::string_view kKey = "\"granular_markings\"";
  return memmem(text.data(), text.size(), kKey.data(), kKey.size()) != nullptr;
}

void Because(Explanation* why, std::string rule, std::string reason) {
  if (!why) return;
  why->rules.push_back(std::move(rule));
  why->reasons.push_back(std::move(reason));
}

}  // namespace

namespace {
std::atomic<uint64_t> next_instance{1};
}  // namespace

PolicyGate::PolicyGate(PolicyOptions options, std::shared_ptr<const MarkingRegistry> registry)
    : options_(std::move(options)), instance_(next_instance++), registry_(std::move(registry)) {
  if (!registry_) registry_ = std::make_shared<MarkingRegistry>();
  if (options_.observable_references_follow_markings) {
    observables_ = std::make_unique<ObservableIndex>();
  }
  organisations_ = std::make_shared<const std::vector<OrganisationProfile>>(options_.organisations);
  // One sanitizer per agreement that needs one: its profile, plus the agreement's own
  // pseudonymise_sources.
  for (const Agreement& a : options_.agreements) {
    sanitize::SanitizeProfile profile;
    for (const sanitize::SanitizeProfile& p : options_.profiles) {
      if (p.name == a.sanitization_profile) profile = p;
    }
    if (a.pseudonymise_sources) profile.pseudonymise_sources = true;
    profile.node_identity = options_.node_identity;
    const bool any = profile.internal_addresses || profile.victims || profile.pseudonymise ||
                     profile.personal_data || profile.defang || profile.pseudonymise_sources;
    if (any) {
      sanitizers_.emplace_back(a.partner, std::make_unique<sanitize::Sanitizer>(profile));
    }
  }
  VictimIndex::Options victims;
  victims.node_identity = options_.node_identity;
  for (const OrganisationProfile& o : options_.organisations) {
    if (!o.identity.empty() && !o.nation.empty()) victims.nations[o.identity] = o.nation;
  }
  for (const sanitize::SanitizeProfile& p : options_.profiles) {
    victims.victim_domains.insert(victims.victim_domains.end(), p.victim_domains.begin(),
                                  p.victim_domains.end());
  }
  // Observables and statement marking-definitions that some agreement's profile withholds or
  // gives a new id: what a reference to one must become depends on it (a copy of the
  // sanitizers: index snapshots may outlive this).
  auto rewriting = std::make_shared<std::vector<sanitize::Sanitizer>>();
  for (const auto& [partner, sanitizer] : sanitizers_) {
    const sanitize::SanitizeProfile& p = sanitizer->profile();
    if (p.internal_addresses || p.pseudonymise || p.personal_data || p.defang) {
      rewriting->push_back(*sanitizer);
    }
  }
  if (!rewriting->empty()) {
    victims.rewrites_referenced = [rewriting](std::string_view json) {
      for (const sanitize::Sanitizer& s : *rewriting) {
        sanitize::Sanitized r = s.Apply(json, nullptr);
        if (r.dropped ||
            std::any_of(r.steps.begin(), r.steps.end(),
                        [](const sanitize::Step& step) { return step.id == "new-id"; })) {
          return true;
        }
      }
      return false;
    };
  }
  victims_ = std::make_shared<const VictimIndex>(std::move(victims));
}

bool PolicyGate::NeedsVictims(const Agreement* agreement) const {
  const sanitize::Sanitizer* s = SanitizerFor(agreement);
  if (!s) return false;
  const sanitize::SanitizeProfile& p = s->profile();
  // Internal addresses, pseudonyms and scrubbed statements: references follow what the
  // referenced object becomes.
  return p.victims || p.pseudonymise || p.internal_addresses || p.personal_data || p.defang;
}

std::shared_ptr<const VictimIndex> PolicyGate::victims() const {
  std::lock_guard lock(victims_mu_);
  return victims_;
}

bool PolicyGate::RewritesVictims() const {
  return std::any_of(options_.agreements.begin(), options_.agreements.end(),
                     [&](const Agreement& a) { return NeedsVictims(&a); });
}

namespace {

// The newest date_added (µs) of any version stored after `since` (µs), in any collection, or
// nullopt when there is none. A manifest read on the (coll, date_added) index: empty, and
// cheap, unless something was stored in the last moments.
Result<std::optional<int64_t>> NewestAddedAfter(store::Store& st, int64_t since) {
  std::optional<int64_t> newest;
  CTI_ASSIGN_OR_RETURN(std::vector<store::Collection> collections, st.ListCollections());
  for (const store::Collection& c : collections) {
    store::Query q;
    q.versions = store::VersionMatch::All();
    q.added_after = Timestamp(since);
    q.with_text = false;
    q.limit = 100000;
    for (;;) {
      CTI_ASSIGN_OR_RETURN(store::Page page, st.List(c.id, q));
      for (const store::StoredObject& o : page.objects) {
        newest = std::max(newest.value_or(since), o.date_added.micros());
      }
      if (!page.more) break;
      q.after = page.next;
    }
  }
  return newest;
}

}  // namespace

Status PolicyGate::RefreshVictims(store::Store& st, bool settle_first) {
  if (!RewritesVictims()) return Status::Ok();
  std::lock_guard serial(refresh_mu_);
  const int64_t settle =
      std::chrono::duration_cast<std::chrono::microseconds>(options_.victim_index_settle).count();
  if (settle_first) {
    // Only what is left of the margin: the read below releases everything added up to its
    // start minus `settle`, so it must start no earlier than the newest date_added + settle.
    // Exports usually run long after the last import: then there is nothing to wait for.
    const int64_t now = Timestamp::Now().micros();
    CTI_ASSIGN_OR_RETURN(std::optional<int64_t> newest, NewestAddedAfter(st, now - settle));
    if (newest) {
      std::this_thread::sleep_until(
          std::chrono::system_clock::time_point(std::chrono::microseconds(*newest + settle + 1)));
    }
  }
  // What is added from here on may be missed by this read: the horizon stays before it.
  const int64_t began = Timestamp::Now().micros();
  CTI_ASSIGN_OR_RETURN(std::shared_ptr<const VictimIndex> newer, victims()->Updated(st));
  if (newer) {
    std::lock_guard lock(victims_mu_);
    victims_ = std::move(newer);
  }
  victim_horizon_ = std::max(victim_horizon_.load(), began - settle);
  return Status::Ok();
}

Result<std::unique_ptr<PolicyGate>> PolicyGate::Make(
    PolicyOptions options, std::shared_ptr<const MarkingRegistry> registry) {
  for (const sanitize::SanitizeProfile& p : options.profiles) {
    sanitize::SanitizeProfile check = p;
    check.node_identity = options.node_identity;
    CTI_RETURN_IF_ERROR(sanitize::CheckProfile(check));
  }
  for (const Agreement& a : options.agreements) {
    if (!a.sanitization_profile.empty() &&
        std::none_of(options.profiles.begin(), options.profiles.end(),
                     [&](const sanitize::SanitizeProfile& p) {
                       return p.name == a.sanitization_profile;
                     })) {
      return InvalidArgument("agreement with '" + a.partner + "' names sanitization profile '" +
                             a.sanitization_profile + "', which is not defined");
    }
    if (a.pseudonymise_sources && options.node_identity.rfind("identity--", 0) != 0) {
      return InvalidArgument("agreement with '" + a.partner +
                             "' pseudonymises sources: give the node's identity ([node] identity)");
    }
  }
  return std::make_unique<PolicyGate>(std::move(options), std::move(registry));
}

const sanitize::Sanitizer* PolicyGate::SanitizerFor(const Agreement* agreement) const {
  if (!agreement) return nullptr;
  for (const auto& [partner, sanitizer] : sanitizers_) {
    if (partner == agreement->partner) return sanitizer.get();
  }
  return nullptr;
}

// After the decision to release: the agreement's profile rewrites (or withholds) the object.
void PolicyGate::Sanitize(const RecipientProfile& r, const store::StoredObject& object,
                          Explanation& out) const {
  const sanitize::Sanitizer* sanitizer = SanitizerFor(r.agreement);
  if (!sanitizer || out.action == ReleaseAction::kWithhold || object.text.empty()) return;
  const std::string& text =
      out.action == ReleaseAction::kReleaseRedacted ? out.redacted_text : object.text;
  std::shared_ptr<const VictimIndex> victims = this->victims();
  sanitize::Sanitized s = sanitizer->Apply(text, victims.get());
  if (s.dropped) {
    out.action = ReleaseAction::kWithhold;
    Because(&out, "sanitize.withheld",
            "the sanitization profile of the agreement with " + r.agreement->partner +
                " withholds it: " + s.reason);
    return;
  }
  if (!s.changed) return;
  out.action = ReleaseAction::kReleaseRedacted;
  out.redacted_text = std::move(s.text);
  if (s.id != object.id) out.new_id = s.id;
  for (const sanitize::Step& step : s.steps) {
    // A new `modified` (a rewritten SDO), or a new object altogether (a victim's identity
    // replaced by its sector + country identity).
    if (step.id == "new-version" || step.id == "new-id") {
      simdjson::dom::parser parser;
      std::string_view modified;
      if (parser.parse(out.redacted_text).get_object()["modified"].get(modified) ==
          simdjson::SUCCESS) {
        out.new_version_text = std::string(modified);
      }
    }
  }
  std::string what;
  for (const sanitize::Step& step : s.steps) {
    // An empty pointer is the whole object (a victim's identity, replaced).
    what += (what.empty() ? "" : ", ") + step.id + " " +
            (step.property.empty() ? std::string("(whole object)") : step.property);
  }
  Because(&out, "sanitized", "rewritten by the agreement's sanitization profile: " + what);
  out.sanitized = std::move(s.steps);
}

void PolicyGate::SetRegistry(std::shared_ptr<const MarkingRegistry> registry) {
  std::lock_guard lock(registry_mu_);
  registry_ = std::move(registry);
  ++registry_generation_;
}

void PolicyGate::SetOrganisations(std::vector<OrganisationProfile> organisations) {
  auto fresh = std::make_shared<const std::vector<OrganisationProfile>>(std::move(organisations));
  std::lock_guard lock(registry_mu_);
  organisations_ = std::move(fresh);
  ++registry_generation_;
}

std::shared_ptr<const std::vector<OrganisationProfile>> PolicyGate::organisations() const {
  std::lock_guard lock(registry_mu_);
  return organisations_;
}

std::shared_ptr<const MarkingRegistry> PolicyGate::registry() const {
  std::lock_guard lock(registry_mu_);
  return registry_;
}

const Agreement* PolicyGate::AgreementFor(std::string_view organisation) const {
  for (const Agreement& a : options_.agreements) {
    if (a.partner == organisation) return &a;
  }
  return nullptr;
}

RecipientProfile PolicyGate::Profile(const store::Recipient& who) const {
  RecipientProfile r;
  r.who = who;
  r.clearance = options_.accreditation;
  r.clearance_from = "this node's accreditation ([policy] accreditation), which organisation " +
                     who.organisation + " has by default";
  r.groups.push_back(who.organisation);
  std::shared_ptr<const std::vector<OrganisationProfile>> organisations = this->organisations();
  for (const OrganisationProfile& o : *organisations) {
    if (o.name != who.organisation) continue;
    r.nation = o.nation;
    if (!o.nation.empty()) r.groups.push_back(o.nation);
    // REL TO FRA and REL TO FR name one country: the recipient matches either form.
    if (std::optional<CountryCode> country = FindCountryCode(o.nation)) {
      for (std::string_view form : CountryCodeForms(*country)) {
        if (form != o.nation) r.groups.emplace_back(form);
      }
    }
    r.groups.insert(r.groups.end(), o.communities.begin(), o.communities.end());
    r.caveats = o.caveats;
    r.identity = o.identity;
    if (o.clearance) {
      r.clearance = *o.clearance;
      r.clearance_from = "organisation " + o.name + "'s clearance";
    }
  }
  r.agreement = AgreementFor(who.organisation);
  if (r.agreement && r.agreement->classification_ceiling < r.clearance) {
    r.clearance = r.agreement->classification_ceiling;
    // Named with its level: an agreement that sets none has UNCLASSIFIED, which reads as a
    // mistake unless said.
    std::string level(ClassificationName(r.agreement->classification_ceiling));
    for (char& c : level) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    r.clearance_from = "the classification ceiling (" + level +
                       (r.agreement->classification_ceiling == Classification::kUnclassified
                            ? ", also what an agreement that sets none has"
                            : "") +
                       ") of the agreement with " + r.agreement->partner;
  }
  r.peer_without_agreement =
      !r.agreement && !who.admin &&
      std::find(options_.peer_organisations.begin(), options_.peer_organisations.end(),
                who.organisation) != options_.peer_organisations.end();
  return r;
}

bool PolicyGate::RelayMayWithhold(const Agreement& a) const {
  // An origin no agreement or organisation names relays at GREEN.
  TlpLevel lowest = TlpLevel::kGreen;
  for (const Agreement& other : options_.agreements) lowest = std::min(lowest, other.relay_tlp);
  std::shared_ptr<const std::vector<OrganisationProfile>> organisations = this->organisations();
  for (const OrganisationProfile& o : *organisations) lowest = std::min(lowest, o.relay_tlp);
  return lowest < a.tlp_ceiling;
}

TlpLevel PolicyGate::RelayCeiling(std::string_view origin) const {
  if (origin.empty() || origin == options_.node_organisation) return TlpLevel::kRed;
  if (const Agreement* a = AgreementFor(origin)) return a->relay_tlp;
  std::shared_ptr<const std::vector<OrganisationProfile>> organisations = this->organisations();
  for (const OrganisationProfile& o : *organisations) {
    if (o.name == origin) return o.relay_tlp;
  }
  return TlpLevel::kGreen;
}

bool PolicyGate::LabelPasses(const RecipientProfile& r, const Label& label, std::string_view owner,
                             Explanation* why, std::string_view origin) const {
  bool pass = true;
  auto fail = [&](std::string rule, std::string reason) {
    pass = false;
    Because(why, std::move(rule), std::move(reason));
  };
  // Fail closed, except for the organisation that made the content.
  const bool owns = !owner.empty() && owner == r.identity;
  for (const std::string& ref : label.unresolved) {
    if (owns) continue;
    fail("label.unresolved", "it carries the marking " + ref +
                                 ", which this node cannot interpret, so it is withheld from "
                                 "all but its owner and administrators (fail closed)");
  }
  TlpLevel tlp = label.tlp.value_or(options_.unmarked_tlp);
  std::string tlp_rule = label.tlp ? "tlp." + std::string(TlpName(tlp)) : "tlp.unmarked";
  for (char& c : tlp_rule) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // "it is TLP:AMBER" / "it has no TLP marking (treated as TLP:AMBER)".
  std::string it_is = label.tlp ? "it is TLP:" + std::string(TlpName(tlp))
                                : "it has no TLP marking (treated as TLP:" +
                                      std::string(TlpName(tlp)) + ")";
  if (r.agreement) {
    if (tlp > r.agreement->tlp_ceiling) {
      fail(tlp_rule, it_is + ", above TLP:" +
                         std::string(TlpName(r.agreement->tlp_ceiling)) +
                         ", the ceiling of the agreement with " + r.agreement->partner);
    }
    // Another organisation's content goes on to a partner only as far as its TLP lets this node,
    // a recipient of it, share it (no transitive hops beyond the label's audience); to the
    // organisation that created it, it goes back under the ceiling alone.
    if (!origin.empty() && origin != r.agreement->partner && !owns) {
      const TlpLevel relay = RelayCeiling(origin);
      if (tlp > relay) {
        fail("tlp.relay", it_is + " and came from " + std::string(origin) +
                              ": this node passes on what " + std::string(origin) +
                              " supplied to other partners only up to TLP:" +
                              std::string(TlpName(relay)) +
                              (relay == TlpLevel::kGreen
                                   ? " (TLP 2.0: a recipient shares AMBER only inside its own "
                                     "organisation, RED with nobody; relay_tlp raises this)"
                                   : " (relay_tlp)"));
      }
    }
  } else if (tlp == TlpLevel::kRed) {
    if (owner.empty() || owner != r.identity) {
      fail(tlp_rule, it_is + ": only members of the organisation that created it" +
                         (owner.empty() ? std::string(" (unknown)") : " (" + std::string(owner) + ")") +
                         " receive it");
    }
  } else if (tlp == TlpLevel::kAmberStrict) {
    if (r.who.organisation != options_.node_organisation && (owner.empty() || owner != r.identity)) {
      fail(tlp_rule, it_is + ": only members of this node's organisation (" +
                         options_.node_organisation + ") and of the organisation that created it "
                         "receive it");
    }
  }
  if (label.classification > r.clearance) {
    fail("classification.clearance",
         "it is classified " + Upper(ClassificationName(label.classification)) + ", above " +
             Upper(ClassificationName(r.clearance)) + ", set by " + r.clearance_from);
  }
  for (const std::set<std::string>& set : label.rel_to) {
    if (!Intersects(r.groups, set)) {
      std::string names;
      for (const std::string& s : set) names += (names.empty() ? "" : ", ") + s;
      fail("releasability", "it is releasable only to {" + names + "}, and " +
                                r.who.organisation + " belongs to none of them");
    }
  }
  for (const std::string& caveat : label.caveats) {
    if (!Contains(r.caveats, caveat)) {
      fail("caveats", "it carries the caveat " + caveat + ", which " + r.who.organisation +
                          " does not hold");
    }
  }
  return pass;
}

std::vector<std::string> MarkingDefinitionSources(const PolicyOptions& options) {
  std::vector<std::string> out{options.node_organisation};
  for (const Agreement& a : options.agreements) {
    if (a.trust_marking_definitions) out.push_back(a.partner);
  }
  return out;
}

Explanation PolicyGate::Judge(const RecipientProfile& r, const store::StoredObject& object,
                              bool explain) const {
  Explanation out;
  std::shared_ptr<const MarkingRegistry> registry = this->registry();
  if (explain || !r.who.admin) out.label = registry->LabelOf(object.markings);
  Explanation* why = &out;
  if (r.who.admin) {
    out.action = ReleaseAction::kRelease;
    Because(why, "admin", r.who.user + " is an administrator and receives everything");
    return out;
  }
  if (r.peer_without_agreement) {
    out.action = ReleaseAction::kWithhold;
    Because(why, "agreement.none",
            r.who.organisation +
                " is a federation peer ([[peers]]) with no [[agreements]] entry: nothing is "
                "released to a partner without a sharing agreement");
    return out;
  }
  // A marking-definition without markings of its own says what a marking means: it goes to
  // whoever is cleared for the content that marking marks (its TLP, classification, REL TO and
  // caveats, with no TLP counting as CLEAR), so that partners receiving marked content can
  // resolve the marking, and nobody else learns of it. One whose meaning this node does not know
  // (never learned, from a source not trusted to define markings, or defined twice) is judged as
  // any unmarked object.
  Label judged = out.label;
  if (object.markings.empty() && object.type == "marking-definition") {
    if (const Label* defines = registry->Find(object.id)) {
      judged = *defines;
      judged.from.clear();
      if (!judged.tlp) judged.tlp = TlpLevel::kClear;
      Because(why, "marking.definition",
              "it is a marking-definition without markings of its own, so it goes to whoever "
              "is cleared for the marking it defines (" +
                  defines->ToString() + ")");
    }
  }
  bool pass = LabelPasses(r, judged, object.created_by, why, object.origin);
  const Agreement* a = r.agreement;
  if (a && !a->share_sightings && object.type == "sighting") {
    pass = false;
    Because(why, "agreement.sightings", "the agreement with " + a->partner +
                                            " does not share sightings");
  }
  if (a && !a->types.empty() && !Contains(a->types, object.type)) {
    pass = false;
    Because(why, "agreement.type", "the agreement with " + a->partner + " does not cover " +
                                       object.type + " objects");
  }
  if (a && !a->required_releasability.empty()) {
    bool named = std::any_of(judged.rel_to.begin(), judged.rel_to.end(),
                             [&](const std::set<std::string>& set) {
                               return Intersects(a->required_releasability, set);
                             });
    if (!named) {
      pass = false;
      Because(why, "agreement.releasability",
              "the agreement with " + a->partner +
                  " requires content explicitly releasable to one of its named groups");
    }
  }
  if (a && a->embargo.count() > 0 &&
      object.date_added.micros() >
          Timestamp::Now().micros() -
              std::chrono::duration_cast<std::chrono::microseconds>(a->embargo).count()) {
    pass = false;
    Because(why, "agreement.embargo",
            "it was added less than " + std::to_string(a->embargo.count()) +
                (a->embargo.count() == 1 ? " hour" : " hours") +
                " ago, the embargo of the agreement with " + a->partner);
  }
  if (a && NeedsVictims(a) && object.date_added.micros() > VictimHorizon()) {
    pass = false;
    Because(why, "victims.pending",
            "it was added after this node last read which identities are victims, and the "
            "agreement with " + a->partner + " rewrites victims: it goes once they are read");
  }
  if (a && !object.origin.empty() && object.origin == a->partner) {
    pass = false;
    Because(why, "agreement.origin",
            "it came from " + a->partner + ", which is never sent back what it sent");
  }
  // The rest needs the object's own text (absent for manifests, which carry no content).
  std::optional<stix::ObjectVersion> parsed;
  const bool has_granular = object.granular_known ? !object.granular_refs.empty()
                                                 : MentionsGranularMarkings(object.text);
  const bool needs_text = (a && a->min_confidence) || has_granular;
  if (needs_text && !object.text.empty()) {
    thread_local simdjson::dom::parser parser;
    Result<stix::ObjectVersion> v = stix::ExtractObjectVersion(parser, object.text);
    if (v.ok()) parsed = std::move(*v);
  }
  if (a && a->min_confidence && !object.text.empty()) {
    const bool has_confidence_property =
        parsed && (parsed->category == stix::ObjectCategory::kSdo ||
                   parsed->category == stix::ObjectCategory::kSro);
    if (has_confidence_property && (!parsed->confidence || *parsed->confidence < *a->min_confidence)) {
      pass = false;
      Because(why, "agreement.confidence",
              "its confidence is " +
                  (parsed->confidence ? std::to_string(*parsed->confidence) : "not stated") +
                  ", below the minimum of " + std::to_string(*a->min_confidence) +
                  " in the agreement with " + a->partner);
    }
  }
  if (!pass) {
    out.action = ReleaseAction::kWithhold;
    return out;
  }
  // Granular markings: content marked beyond what the recipient may see is removed.
  std::vector<std::string> selectors;
  if (parsed) {
    for (const stix::GranularMarking& g : parsed->granular_markings) {
      if (g.marking_ref.empty()) continue;  // a language marking restricts nobody
      // A field's label is the join of the object's markings and its granular ones (POLICY.md
      // §1.3): a granular REL TO or statement without a TLP narrows the field, and leaves it
      // the object's TLP rather than the default for unmarked content (found in review: a
      // granular REL TO FRA removed the description from a cleared GREEN partner).
      std::vector<std::string> refs = parsed->object_marking_refs;
      refs.push_back(g.marking_ref);
      Label label = registry->LabelOf(refs);
      Explanation inner;
      // The relay rule reads a granular marking's own TLP only: one without (a REL TO, a
      // statement) says nothing about how far the supplier let its part travel.
      const bool own_tlp = registry->LabelOf({g.marking_ref}).tlp.has_value();
      if (!LabelPasses(r, label, object.created_by, &inner,
                       own_tlp ? std::string_view(object.origin) : std::string_view())) {
        selectors.insert(selectors.end(), g.selectors.begin(), g.selectors.end());
      }
    }
  }
  if (selectors.empty()) {
    out.action = ReleaseAction::kRelease;
    if (explain) Because(why, "release", "every label on it admits " + r.who.organisation);
    // Before sanitization: a profile rewrites a reference to what the observable becomes (a
    // pseudonym's id), which would no longer name what the recipient may not receive.
    FollowObservables(PrepareFor(r.who), object, out);
    Sanitize(r, object, out);
    return out;
  }
  Result<Redaction> redacted = Redact(object.text, selectors);
  if (!redacted.ok() || !redacted->valid) {
    out.action = ReleaseAction::kWithhold;
    Because(why, "granular.invalid",
            "removing the granular-marked content it may not see would leave no valid STIX "
            "object (" + (redacted.ok() ? redacted->invalid_reason : redacted.status().message()) +
                ")");
    return out;
  }
  out.action = ReleaseAction::kReleaseRedacted;
  out.removed = redacted->removed;
  std::string list;
  for (const std::string& s : out.removed) list += (list.empty() ? "" : ", ") + s;
  Because(why, "granular.redacted", "released without " + list +
                                        ", which granular markings keep from " +
                                        r.who.organisation);
  out.redacted_text = std::move(redacted->text);
  if (!redacted->new_id.empty()) {
    out.new_id = std::move(redacted->new_id);
    Because(why, "granular.renamed",
            "what remains of the observable is named by its own content, " + out.new_id +
                ", so the old id cannot confirm a guess at what was removed");
  }
  FollowObservables(PrepareFor(r.who), object, out);
  Sanitize(r, object, out);
  return out;
}

const PolicyGate::Prepared& PolicyGate::PrepareFor(const store::Recipient& who) const {
  thread_local Prepared p;
  uint64_t generation = registry_generation_.load();
  if (p.instance == instance_ && p.generation == generation && p.who.user == who.user &&
      p.who.organisation == who.organisation && p.who.admin == who.admin) {
    return p;
  }
  p.instance = instance_;
  p.generation = generation;
  p.who = who;
  p.profile = Profile(who);
  p.registry = registry();
  p.refs.clear();
  p.lists.clear();
  p.copy_fails.clear();
  p.any_copy_fails = false;
  p.unmarked_passes = LabelPasses(p.profile, Label(), "\x01", nullptr);
  return p;
}

const PolicyGate::Prepared::RefVerdict& PolicyGate::Verdict(const Prepared& p,
                                                             const std::string& ref) const {
  auto it = p.refs.find(ref);
  if (it != p.refs.end()) return it->second;
  const RecipientProfile& r = p.profile;
  Prepared::RefVerdict v;
  if (const Label* label = p.registry->Find(ref)) {
    Label alone = *label;
    v.tlp = alone.tlp.has_value();
    // Owner "\x01" is nobody: a ref passing with it passes for every owner.
    v.passes_granular = LabelPasses(r, alone, "\x01", nullptr);
    if (!alone.tlp) alone.tlp = TlpLevel::kClear;  // an object's TLP comes from its other refs
    v.passes = LabelPasses(r, alone, "\x01", nullptr);
    v.named = r.agreement && std::any_of(label->rel_to.begin(), label->rel_to.end(),
                                         [&](const std::set<std::string>& set) {
                                           return Intersects(r.agreement->required_releasability,
                                                             set);
                                         });
  }
  return p.refs.emplace(ref, v).first->second;
}

const PolicyGate::Prepared::ListVerdict& PolicyGate::Verdict(
    const Prepared& p, const std::vector<std::string>& markings) const {
  // Marking refs end in a random UUID: its last 8 bytes identify a ref well enough for a hash
  // key (a full compare follows), at a fraction of hashing every byte.
  uint64_t key = markings.size();
  for (const std::string& ref : markings) {
    uint64_t tail = 0;
    std::memcpy(&tail, ref.data() + ref.size() - std::min<size_t>(ref.size(), 8),
                std::min<size_t>(ref.size(), 8));
    key = (key ^ tail ^ ref.size()) * 0x9E3779B97F4A7C15ULL;
  }
  auto it = p.lists.find(key);
  if (it != p.lists.end() && it->second.markings == markings) return it->second;
  Prepared::ListVerdict v;
  v.markings = markings;
  for (const std::string& ref : markings) {
    const Prepared::RefVerdict& r = Verdict(p, ref);
    v.passes = v.passes && r.passes;
    v.tlp = v.tlp || r.tlp;
    v.named = v.named || r.named;
  }
  // A collision (two lists, one hash) keeps the newer list; a store with a great many distinct
  // lists starts the cache afresh rather than growing it without bound.
  if (p.lists.size() >= 4096) p.lists.clear();
  return p.lists.insert_or_assign(key, std::move(v)).first->second;
}

// A granular marking is judged on its own label, unmarked TLP included (as Judge does).
bool PolicyGate::RefPasses(const Prepared& p, const std::string& ref) const {
  return Verdict(p, ref).passes_granular;
}

bool PolicyGate::PlainlyReleased(const Prepared& p, const store::StoredObject& object) const {
  const RecipientProfile& r = p.profile;
  if (r.peer_without_agreement) return false;  // Judge withholds everything
  // An unmarked marking-definition is judged by what it defines (Judge).
  if (object.markings.empty() && object.type == "marking-definition") return false;
  const Prepared::ListVerdict& list = Verdict(p, object.markings);
  if (!list.passes) return false;
  const bool named = list.named;
  if (!list.tlp && !p.unmarked_passes) return false;
  if (const Agreement* a = r.agreement) {
    if (SanitizerFor(a)) return false;  // every object goes through its profile
    if (!a->share_sightings && object.type == "sighting") return false;
    if (!a->types.empty() && !Contains(a->types, object.type)) return false;
    if (!a->required_releasability.empty() && !named) return false;
    if (a->min_confidence) return false;  // needs the object's text parsed: Judge does it
    if (!object.origin.empty() && object.origin == a->partner) return false;
    // Another organisation's content, relayed only up to its relay ceiling: Judge decides.
    if (!object.origin.empty() && RelayCeiling(object.origin) < a->tlp_ceiling) return false;
    if (a->embargo.count() > 0 &&
        object.date_added.micros() >
            Timestamp::Now().micros() -
                std::chrono::duration_cast<std::chrono::microseconds>(a->embargo).count()) {
      return false;
    }
  }
  if (!object.granular_known) return !MentionsGranularMarkings(object.text);
  // Granular markings the recipient passes whoever owns the content change nothing.
  for (const std::string& ref : object.granular_refs) {
    if (!RefPasses(p, ref)) return false;
  }
  return true;
}

store::ReleaseDecision PolicyGate::Decide(const store::Recipient& recipient,
                                          const store::StoredObject& object) const {
  // No rule list for administrators: this runs for every object they are served.
  if (recipient.admin) return {ReleaseAction::kRelease, {}, {}, {}, {}};
  const Prepared& p = PrepareFor(recipient);
  Explanation e;
  if (PlainlyReleased(p, object)) {
    if (!ObservablesMayWithhold(p, object.text)) return {ReleaseAction::kRelease, {}, {}, {}, {}};
    e.action = ReleaseAction::kRelease;
    FollowObservables(p, object, e);
  } else {
    e = Judge(p.profile, object, /*explain=*/false);  // follows observables itself
  }
  return {e.action, std::move(e.redacted_text), std::move(e.rules), std::move(e.new_id),
          std::move(e.new_version_text)};
}

Explanation PolicyGate::Explain(const store::Recipient& recipient,
                                const store::StoredObject& object) const {
  return Judge(Profile(recipient), object, /*explain=*/true);
}

Status PolicyGate::Refresh(store::Store& st) const {
  return observables_ ? observables_->Refresh(st) : Status::Ok();
}

bool PolicyGate::AnyObservableWithheld(const Prepared& p) const {
  if (!observables_) return false;
  // Verdicts on the labels learned since this recipient last looked (usually none): copies are
  // only ever added, so those already judged keep their index.
  const size_t copies = observables_->copies();
  for (size_t i = p.copy_fails.size(); i < copies; ++i) {
    const ObservableIndex::Copy c = observables_->copy(static_cast<uint32_t>(i));
    // An observable without markings follows whatever names it; one with them is judged as it
    // would be itself (owner, supplier's relay ceiling), each granular marking over what its id
    // is made of too. What a partner supplied itself it may be named (it sent the value).
    bool fails = !c.markings.empty() && !LabelPasses(p.profile, p.registry->LabelOf(c.markings),
                                                     c.created_by, nullptr, c.origin);
    for (const std::string& g : c.granular) {
      if (fails) break;
      std::vector<std::string> refs = c.markings;
      refs.push_back(g);
      const bool own_tlp = p.registry->LabelOf({g}).tlp.has_value();
      fails = !LabelPasses(p.profile, p.registry->LabelOf(refs), c.created_by, nullptr,
                           own_tlp ? std::string_view(c.origin) : std::string_view());
    }
    // An agreement that takes only content explicitly releasable to its groups takes no
    // observable marked without such a REL TO either.
    if (!fails && p.profile.agreement && !p.profile.agreement->required_releasability.empty() &&
        !c.markings.empty()) {
      const Label label = p.registry->LabelOf(c.markings);
      fails = std::none_of(label.rel_to.begin(), label.rel_to.end(),
                           [&](const std::set<std::string>& set) {
                             return Intersects(p.profile.agreement->required_releasability, set);
                           });
    }
    if (!c.origin.empty() && c.origin == p.profile.who.organisation) fails = false;
    p.copy_fails.push_back(fails ? 1 : 0);
    p.any_copy_fails = p.any_copy_fails || fails;
  }
  return p.any_copy_fails;
}

bool PolicyGate::ObservablesMayWithhold(const Prepared& p, std::string_view text) const {
  return AnyObservableWithheld(p) && MayNameObservables(text);
}

void PolicyGate::FollowObservables(const Prepared& p, const store::StoredObject& object,
                                   Explanation& e) const {
  if (e.action == ReleaseAction::kWithhold) return;
  const std::string_view text = e.action == ReleaseAction::kReleaseRedacted
                                    ? std::string_view(e.redacted_text)
                                    : std::string_view(object.text);
  if (text.empty() || !ObservablesMayWithhold(p, text)) return;
  const size_t judged = p.copy_fails.size();
  // A label learned after the verdicts above (a refresh in between) counts as failing.
  auto fails = [&](uint32_t copy) { return copy >= judged || p.copy_fails[copy] != 0; };
  std::vector<std::string> selectors;
  std::set<std::string> marked, hashing;  // sets: an object may name thousands
  bool unnameable = false;
  for (const ObservableMention& m : ObservableMentions(text)) {
    std::vector<std::string> candidates = m.ids;
    for (const std::string& uuid : m.uuids) {
      if (!observables_->KnowsUuid(uuid)) continue;
      for (std::string_view type : kObservableTypes) {
        candidates.push_back(std::string(type) + "--" + uuid);
      }
    }
    bool withheld = false;
    for (const std::string& id : candidates) {
      const ObservableIndex::Verdict v =
          observables_->Withheld(id, object.collection, object.origin, fails);
      if (v == ObservableIndex::Verdict::kReleased) continue;
      withheld = true;
      (v == ObservableIndex::Verdict::kMarked ? marked : hashing).insert(id);
    }
    if (!withheld) continue;
    if (m.selector.empty()) unnameable = true;
    std::string selector = m.selector;
    // An external reference goes whole: without its url or external_id it may be invalid,
    // and its other fields say what the removed one pointed at.
    if (m.top == "external_references") {
      const size_t first = selector.find('.');
      const size_t second = first == std::string::npos ? first : selector.find('.', first + 1);
      if (second != std::string::npos) selector.resize(second);
    }
    selectors.push_back(std::move(selector));
  }
  if (selectors.empty()) return;
  // Once each, and none under another (a list and its element both named): the redactor then
  // removes every one, which is checked below.
  const std::set<std::string> named(selectors.begin(), selectors.end());
  selectors.clear();
  for (const std::string& sel : named) {
    bool under = false;  // an ancestor ("a", "a.b" of "a.b.[2]") is named too
    for (size_t dot = sel.find('.'); dot != std::string::npos && !under;
         dot = sel.find('.', dot + 1)) {
      under = named.count(sel.substr(0, dot)) > 0;
    }
    if (!under) selectors.push_back(sel);
  }
  // "every label on it admits …" is no longer the whole story.
  if (!e.rules.empty() && e.rules.back() == "release") {
    e.rules.pop_back();
    e.reasons.pop_back();
  }
  const std::string who =
      p.profile.who.organisation.empty() ? p.profile.who.user : p.profile.who.organisation;
  // At most ten ids are listed: an object may name thousands.
  auto join = [](const std::set<std::string>& ids) {
    std::string list;
    size_t listed = 0;
    for (const std::string& id : ids) {
      if (listed++ == 10) {
        list += " and " + std::to_string(ids.size() - 10) + " more";
        break;
      }
      list += (list.empty() ? "" : ", ") + id;
    }
    return list;
  };
  std::string what;
  if (!marked.empty()) {
    what += join(marked) +
            (marked.size() == 1 ? ", an observable whose markings keep it from "
                                : ", observables whose markings keep them from ") +
            who;
  }
  if (!hashing.empty()) {
    what += (what.empty() ? "" : "; and ") + join(hashing) +
            (hashing.size() == 1 ? ", whose id is a hash of a reference to"
                                 : ", whose ids are hashes of references to") +
            " what " + who + " may not receive";
  }
  Result<Redaction> redacted =
      unnameable ? Result<Redaction>(InvalidArgument(
                       "one is under a property name no selector can name (a dot, brackets)"))
                 : Redact(text, selectors);
  // A selector that resolved to nothing left its name in: fail closed.
  if (redacted.ok() && redacted->valid && redacted->removed.size() != selectors.size()) {
    redacted = Result<Redaction>(
        InvalidArgument("a name sits where a selector cannot reach it to remove it"));
  }
  if (!redacted.ok() || !redacted->valid) {
    e.action = ReleaseAction::kWithhold;
    e.redacted_text.clear();
    e.new_id.clear();
    e.new_version_text.clear();
    Because(&e, "reference.invalid",
            "it names " + what +
                " (an observable's id is a hash of its value), and without those names it is "
                "no valid STIX object (" +
                (redacted.ok() ? redacted->invalid_reason : redacted.status().message()) + ")");
    return;
  }
  e.action = ReleaseAction::kReleaseRedacted;
  e.removed.insert(e.removed.end(), redacted->removed.begin(), redacted->removed.end());
  e.redacted_text = std::move(redacted->text);
  Because(&e, "reference.withheld",
          "released without what names " + what + ": an observable's id is a hash of its value");
  if (!redacted->new_id.empty()) {
    e.new_id = std::move(redacted->new_id);
    Because(&e, "granular.renamed",
            "what remains of the observable is named by its own content, " + e.new_id +
                ", so the old id cannot confirm a guess at the reference removed");
  }
}

void PolicyGate::Constrain(const store::Recipient& recipient, store::Query* q) const {
  if (recipient.admin) return;
  RecipientProfile r = Profile(recipient);
  if (r.peer_without_agreement) {
    q->added_until = Timestamp(0);  // nothing: every object was added after 1970
    return;
  }
  std::shared_ptr<const MarkingRegistry> registry = this->registry();
  // A ref is allowed when its label could pass for this recipient; owner-dependent TLP rules
  // (RED, AMBER+STRICT) are assumed in the recipient's favour here and checked exactly by
  // Decide, which sees created_by.
  std::vector<std::string> allowed, tlp_refs, named_refs, released_whoever_owns;
  for (const std::string& ref : registry->KnownRefs()) {
    Label label = *registry->Find(ref);
    // A ref without TLP says nothing about TLP: the unmarked level is enforced below, by
    // requiring a passing TLP ref when the unmarked level does not pass.
    if (!label.tlp) label.tlp = TlpLevel::kClear;
    if (!LabelPasses(r, label, r.identity.empty() ? "\x01" : r.identity, nullptr)) continue;
    allowed.push_back(ref);
    if (LabelPasses(r, label, "\x01", nullptr)) released_whoever_owns.push_back(ref);
    if (registry->Find(ref)->tlp) tlp_refs.push_back(ref);
    if (r.agreement && std::any_of(label.rel_to.begin(), label.rel_to.end(),
                                   [&](const std::set<std::string>& set) {
                                     return Intersects(r.agreement->required_releasability, set);
                                   })) {
      named_refs.push_back(ref);
    }
  }
  Label unmarked;
  q->include_unmarked = LabelPasses(r, unmarked, "\x01", nullptr);
  // Content without a TLP marking gets the unmarked level: when that is not allowed, a passing
  // TLP marking is required.
  if (!q->include_unmarked) q->required_markings.push_back(tlp_refs);
  if (r.agreement && !r.agreement->required_releasability.empty()) {
    q->required_markings.push_back(named_refs);
  }
  q->allowed_markings = std::move(allowed);
  // Unmarked marking-definitions are decided by what they define (Judge), not by the unmarked
  // level: the query leaves them to Decide.
  q->unmarked_types_decided = {"marking-definition"};
  // Where markings alone decide (no minimum confidence, no sanitization to withhold, no relay
  // ceiling below the agreement's), a version whose object markings pass whoever owns it is
  // released: the store may then skip the older versions of an object whose latest is such a
  // version (OutboundReader, `last`).
  // Not when references to observables may withhold a version whose markings pass either.
  if ((!r.agreement || (!r.agreement->min_confidence && r.agreement->sanitization_profile.empty() &&
                        !RelayMayWithhold(*r.agreement))) &&
      !AnyObservableWithheld(PrepareFor(recipient))) {
    q->skip_superseded_when_latest_under = std::move(released_whoever_owns);
  }
  if (!r.identity.empty()) {  // its own content, even under markings nobody can interpret
    q->owner_identity = r.identity;
    q->known_markings = registry->KnownRefs();
  }
  if (r.agreement && !r.agreement->types.empty()) {
    if (q->types.empty()) {
      q->types = r.agreement->types;
    } else {
      std::vector<std::string> both;
      for (const std::string& t : q->types) {
        if (Contains(r.agreement->types, t)) both.push_back(t);
      }
      // No type at all: "" matches no object.
      q->types = both.empty() ? std::vector<std::string>{""} : both;
    }
  }
  if (r.agreement && !r.agreement->share_sightings) q->exclude_types.push_back("sighting");
  if (r.agreement && r.agreement->embargo.count() > 0) {
    Timestamp horizon(Timestamp::Now().micros() -
                      std::chrono::duration_cast<std::chrono::microseconds>(r.agreement->embargo)
                          .count());
    if (!q->added_until || horizon < *q->added_until) q->added_until = horizon;
  }
  // victims.pending: not yet, rather than never (an embargo's way), so a cursor stays before it.
  if (r.agreement && NeedsVictims(r.agreement)) {
    Timestamp horizon(std::max<int64_t>(VictimHorizon(), 0));
    if (!q->added_until || horizon < *q->added_until) q->added_until = horizon;
  }
  // agreement.origin: what a partner sent is never sent back to it (no sync loops).
  if (r.agreement) q->exclude_origins.push_back(r.agreement->partner);
}

bool PolicyGate::CollectionVisible(const store::Recipient& recipient,
                                   const store::Collection& collection) const {
  if (recipient.admin) return true;
  const Agreement* a = AgreementFor(recipient.organisation);
  if (!a || a->collections.empty()) return true;
  return Contains(a->collections, collection.id) ||
         (!collection.alias.empty() && Contains(a->collections, collection.alias));
}

int64_t PolicyGate::VersionShift(const store::Recipient& recipient) const {
  if (recipient.admin) return 0;
  return SanitizerFor(AgreementFor(recipient.organisation)) ? sanitize::kSanitizedVersionStepMicros
                                                            : 0;
}

bool PolicyGate::AcceptsDeletions(const store::Recipient& recipient) const {
  const Agreement* a = AgreementFor(recipient.organisation);
  return !a || a->accept_deletions;
}

}  // namespace ctihub::policy
