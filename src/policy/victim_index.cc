#include "policy/victim_index.h"

#include <simdjson.h>
#include <xxhash.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "common/country_codes.h"
#include "common/normalise.h"

namespace ctihub::policy {
namespace {

sanitize::SanitizeProfile HostsProfile(const VictimIndex::Options& o) {
  sanitize::SanitizeProfile p;
  p.name = "victim-index";
  p.victim_domains = o.victim_domains;
  return p;
}

void SortUnique(std::vector<std::string>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

void AddOnce(std::vector<std::string>* v, std::string_view item) {
  if (std::find(v->begin(), v->end(), item) == v->end()) v->emplace_back(item);
}

// An id as the index keys it: in lower case. A UUID's hex digits may be written in either case
// (RFC 4122 §3 reads them case-insensitively, and import accepts both), so a victim named
// "identity--AAAA…" in a sighting is the identity "identity--aaaa…" — keyed as written, the
// two missed each other and the victim went out whole.
std::string Key(std::string_view id) { return LowerAscii(id); }

uint64_t HeldKey(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

VictimIndex::VictimIndex(Options options)
    : options_(std::move(options)), hosts_(HostsProfile(options_)) {}

Result<std::shared_ptr<const VictimIndex>> VictimIndex::Updated(store::Store& st) const {
  std::vector<store::StoredObject> fresh;
  std::map<std::string, int64_t> read_until = read_until_;
  CTI_ASSIGN_OR_RETURN(std::vector<store::Collection> collections, st.ListCollections());
  for (const store::Collection& c : collections) {
    store::Query q;
    q.types = {"identity", "relationship", "location", "sighting"};
    if (ReadsObservables()) {
      q.types.insert(q.types.end(), std::begin(sanitize::kRewritableReferenceTypes),
                     std::end(sanitize::kRewritableReferenceTypes));
    }
    q.versions = store::VersionMatch::All();
    q.limit = 10000;
    auto known = read_until.find(c.id);
    if (known != read_until.end()) q.added_after = Timestamp(known->second);
    for (;;) {
      CTI_ASSIGN_OR_RETURN(store::Page page, st.List(c.id, q));
      for (store::StoredObject& o : page.objects) {
        read_until[c.id] = std::max(read_until[c.id], o.date_added.micros());
        // Relationships are most of what is read; only those to a location, and `targets` ones
        // (which may name a victim), matter. A text with a \u escape may spell either so that no
        // byte search sees it ("\u0074argets"): it is read in full.
        if (o.type == "relationship" &&
            memmem(o.text.data(), o.text.size(), "location--", 10) == nullptr &&
            memmem(o.text.data(), o.text.size(), "\"targets\"", 9) == nullptr &&
            memmem(o.text.data(), o.text.size(), "\\u", 2) == nullptr) {
          continue;
        }
        fresh.push_back(std::move(o));
      }
      if (!page.more) break;
      q.after = page.next;
    }
  }
  if (fresh.empty() && read_until == read_until_) return std::shared_ptr<const VictimIndex>();
  auto next = std::make_shared<VictimIndex>(*this);
  for (const store::StoredObject& o : fresh) next->Learn(o);
  next->read_until_ = std::move(read_until);
  return std::shared_ptr<const VictimIndex>(std::move(next));
}

void VictimIndex::Learn(const store::StoredObject& object) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(object.text).get_object().get(o) != simdjson::SUCCESS) return;
  auto text = [&](const char* key) {
    std::string_view v;
    return o[key].get(v) == simdjson::SUCCESS ? v : std::string_view();
  };
  const std::string_view type = text("type"), id = text("id");
  // Versions may arrive in any order across collections: the latest `modified` wins.
  const int64_t version = object.version;
  if (type == "identity") {
    // A partner may post a version of any identity it knows the id of (a victim named as the
    // author of some note, say): it must not make a victim stop being one, nor choose what its
    // anonymised stand-in shows. So "class" exempts an identity only when every version says
    // so, and a version of the node's own content is preferred for the facts over one a partner
    // sent (Store::Put's origin), the latest winning among either.
    Identity& i = identities_[Key(id)];
    const bool local = object.origin.empty();
    const bool only_class = i.only_class && text("identity_class") == "class";
    if (i.version >= 0 && ((i.local && !local) || (i.local == local && version < i.version))) {
      i.only_class = only_class;
      return;
    }
    i = Identity{version, std::string(text("identity_class")), {}, {}, local, only_class};
    simdjson::dom::array sectors;
    if (o["sectors"].get(sectors) == simdjson::SUCCESS) {
      for (simdjson::dom::element s : sectors) {
        std::string_view sector;
        if (s.get(sector) == simdjson::SUCCESS) i.sectors.emplace_back(sector);
      }
    }
    SortUnique(&i.sectors);
    i.markings = object.markings;
    SortUnique(&i.markings);
  } else if (type == "location") {
    Location& l = locations_[Key(id)];
    if (version < l.version) return;
    l = Location{version, Upper(text("country")), false};
    for (std::string_view key : sanitize::kPreciseLocationProperties) {
      simdjson::dom::element unused;
      l.precise = l.precise || o[key].get(unused) == simdjson::SUCCESS;
    }
  } else if (type == "sighting") {
    // STIX 2.1 §5.1: where_sighted_refs names who saw it — here, whose network or premises.
    // Every version counts (once a victim, always one: fail closed).
    simdjson::dom::array where;
    if (o["where_sighted_refs"].get(where) != simdjson::SUCCESS) return;
    for (simdjson::dom::element e : where) {
      std::string_view ref;
      if (e.get(ref) != simdjson::SUCCESS) continue;
      std::string key = Key(ref);
      if (key.starts_with("identity--")) {
        victim_roles_.emplace(std::move(key));
      } else if (key.starts_with("location--")) {
        sighted_places_.emplace(std::move(key));
      }
    }
  } else if (type == "relationship") {
    // Every version's edge counts (a victim once placed somewhere stays placed there).
    const std::string source = Key(text("source_ref")), target = Key(text("target_ref"));
    // STIX 2.1 §4.7 (`targets` from attack-pattern, campaign, intrusion-set, malware,
    // threat-actor, tool): the one relationship that makes an identity a victim. Not
    // `attributed-to` (the identity is the adversary), not `impersonates` (a brand abused in
    // lures: what defenders must know), not `located-at` (where anyone is).
    if (text("relationship_type") == "targets" && target.rfind("identity--", 0) == 0) {
      victim_roles_.emplace(target);
      return;
    }
    if (target.rfind("location--", 0) != 0) return;
    AddOnce(&targeted_by_[target], source);
    if (text("relationship_type") != "located-at" || source.rfind("identity--", 0) != 0) return;
    AddOnce(&located_at_[source], target);
    AddOnce(&located_by_[target], source);
  } else if (ReadsObservables() && std::find(std::begin(sanitize::kRewritableReferenceTypes),
                                             std::end(sanitize::kRewritableReferenceTypes), type) !=
                                       std::end(sanitize::kRewritableReferenceTypes)) {
    // An SCO is stored once per id; the first text seen stays.
    held_.insert(HeldKey(Key(id)));
    if (observables_.contains(Key(id))) return;
    const bool victim_host = type == "domain-name" && hosts_.IsVictimHost(text("value"));
    // One that refers to others may change with them (a network-traffic's id hashes its
    // src_ref): kept whenever a profile rewrites anything, judged when a reference names it.
    // A \u escape may spell a property name any way: kept too.
    const bool refers = type != "marking-definition" &&
                        (memmem(object.text.data(), object.text.size(), "_ref", 4) != nullptr ||
                         memmem(object.text.data(), object.text.size(), "\\u", 2) != nullptr);
    if (victim_host ||
        (options_.rewrites_referenced && (refers || options_.rewrites_referenced(object.text)))) {
      observables_.emplace(Key(id), object.text);
    }
  }
}

bool VictimIndex::IsVictim(std::string_view written) const {
  const std::string identity_id = Key(written);
  if (identity_id == Key(options_.node_identity) || !victim_roles_.contains(identity_id)) {
    return false;
  }
  // A class ("the energy sector") is already what a victim becomes. Any other class — group,
  // system, unknown, none, or an identity not stored here at all — fails closed: a victim.
  auto it = identities_.find(identity_id);
  return it == identities_.end() || !it->second.only_class;
}

std::optional<sanitize::VictimFacts> VictimIndex::Find(std::string_view written) const {
  const std::string identity_id = Key(written);
  if (!IsVictim(identity_id)) return std::nullopt;
  auto known = identities_.find(identity_id);
  const Identity unknown{-1, "unknown", {}, {}, false, false};
  const Identity& i = known != identities_.end() ? known->second : unknown;
  sanitize::VictimFacts facts{i.identity_class.empty() ? "unknown" : i.identity_class, i.sectors,
                              {}, i.markings};
  if (auto places = located_at_.find(identity_id); places != located_at_.end()) {
    for (const std::string& location : places->second) {
      auto l = locations_.find(location);
      if (l != locations_.end() && !l->second.country.empty()) {
        facts.countries.push_back(l->second.country);
      }
    }
  }
  if (facts.countries.empty()) {
    auto nation = options_.nations.find(identity_id);
    if (nation != options_.nations.end() && !nation->second.empty()) {
      // As a location's `country` says it: ISO 3166-1 alpha-2.
      std::optional<CountryCode> code = FindCountryCode(nation->second);
      facts.countries.push_back(code ? std::string(code->alpha2) : Upper(nation->second));
    }
  }
  SortUnique(&facts.countries);
  return facts;
}

bool VictimIndex::IsVictimPlace(std::string_view written) const {
  const std::string location_id = Key(written);
  auto place = locations_.find(location_id);
  return place != locations_.end() && place->second.precise && OnlyVictimsAt(location_id);
}

bool VictimIndex::IsVictimArea(std::string_view written) const {
  const std::string location_id = Key(written);
  auto place = locations_.find(location_id);
  return place != locations_.end() && !place->second.precise && OnlyVictimsAt(location_id);
}

bool VictimIndex::OnlyVictimsAt(const std::string& location_id) const {
  if (sighted_places_.contains(location_id)) return true;  // where a sighting was made
  auto it = located_by_.find(location_id);
  if (it == located_by_.end() ||
      std::none_of(it->second.begin(), it->second.end(),
                   [&](const std::string& source) { return IsVictim(source); })) {
    return false;
  }
  // A location that others point at too (a threat actor located-at a capital given with its
  // coordinates) is a place on the map, not a victim's site: only victims' own places go.
  auto all = targeted_by_.find(location_id);
  return all == targeted_by_.end() ||
         std::all_of(all->second.begin(), all->second.end(),
                     [&](const std::string& source) { return IsVictim(source); });
}

std::optional<std::string> VictimIndex::ReferencedText(std::string_view sco_id) const {
  auto it = observables_.find(Key(sco_id));
  if (it == observables_.end()) return std::nullopt;
  return it->second;
}

bool VictimIndex::Holds(std::string_view sco_id) const {
  return held_.contains(HeldKey(Key(sco_id)));
}

std::vector<std::string> VictimIndex::IdsStartingWith(std::string_view prefix, size_t max) const {
  std::vector<std::string> out;
  auto from = [&](const auto& sorted) {
    for (auto it = sorted.lower_bound(prefix); it != sorted.end() && out.size() < max; ++it) {
      const std::string& id = [&]() -> const std::string& {
        if constexpr (requires { it->first; }) {
          return it->first;
        } else {
          return *it;
        }
      }();
      if (!id.starts_with(prefix)) break;
      out.push_back(id);
    }
  };
  from(identities_);
  from(victim_roles_);
  from(locations_);
  from(sighted_places_);
  from(observables_);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool VictimIndex::ReadsObservables() const {
  return !options_.victim_domains.empty() || static_cast<bool>(options_.rewrites_referenced);
}

}  // namespace ctihub::policy
