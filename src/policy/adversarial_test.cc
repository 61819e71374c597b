// Adversarial, property-based test of the release path: random objects (random TLP,
// classification, releasability, caveat and unknown markings, owners, confidence, granular
// markings over secret tokens) × random recipients (local organisations and partners under
// random agreements) × both store backends and random page sizes, through OutboundReader — the
// path every way out of the hub uses. An independent oracle, written from the rules in
// docs/policy.md and not from PolicyGate, says what each recipient may receive; the test
// searches the raw bytes handed out for every token that must not be there, and checks that
// nothing releasable was held back. Over 100,000 (object, recipient) decisions per run.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "policy/marking_registry.h"
#include "policy/policy_gate.h"
#include "stix/object.h"
#include "stix/sco_id.h"
#include "stix/validator.h"
#include "store/release_gate.h"
#include "store/sqlite/sqlite_store.h"

namespace ctihub::policy {
namespace {

namespace fs = std::filesystem;

struct Marking {
  std::string id;
  std::optional<int> tlp;  // 0 clear … 4 red
  int cls = 0;             // Classification as int
  std::vector<std::set<std::string>> rel;
  std::set<std::string> caveats;
  bool known = true;
};

struct Granular {
  std::string selector;  // "description", "name", "labels.[0]"
  std::string marking;
  std::string token;     // the content it marks
};

struct Obj {
  std::string id, type, created_by, name_token, text;
  std::vector<std::string> markings;
  std::optional<int> confidence;
  std::vector<Granular> granular;
};

struct Org {
  std::string name, nation, identity;
  std::vector<std::string> communities, caveats;
  int clearance = 0;
  std::optional<Agreement> agreement;
};

class World {
 public:
  explicit World(uint32_t seed) : rng_(seed) {
    const char* tlp_ids[][2] = {
        {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "0"},
        {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "0"},
        {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "1"},
        {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "1"},
        {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "2"},
        {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "2"},
        {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "3"},
        {"marking-definition--826578e1-40ad-459f-bc73-ede076f81f37", "3"},
        {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "4"},
        {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "4"}};
    for (auto& t : tlp_ids) {
      Marking m;
      m.id = t[0];
      m.tlp = t[1][0] - '0';
      pool_.push_back(m);
    }
    const std::vector<std::vector<std::string>> rels = {{}, {"NATO"}, {"EU"}, {"NATO", "EU"}, {"FR"}, {"cert-b"}};
    for (int cls = 1; cls <= 5; ++cls) {
      for (const auto& rel : rels) {
        for (bool cyber : {false, true}) {
          if (Pick(3) != 0) continue;
          Marking m;
          std::vector<std::string> caveats;
          if (cyber) caveats.push_back("CYBER");
          std::string json = ClassificationMarking(static_cast<Classification>(cls), rel, caveats);
          m.id = json.substr(json.find("marking-definition--"), 56);
          m.cls = cls;
          if (!rel.empty()) m.rel.push_back(std::set<std::string>(rel.begin(), rel.end()));
          m.caveats.insert(caveats.begin(), caveats.end());
          if (!registry_->Learn(json).ok()) ADD_FAILURE() << json;
          pool_.push_back(m);
        }
      }
    }
    Marking statement;
    statement.id = "marking-definition--5a5a5a5a-0000-4000-8000-000000000001";
    if (!registry_->Learn(R"({"type":"marking-definition","spec_version":"2.1","id":")" +
                          statement.id + R"(","created":"2020-01-01T00:00:00Z",)"
                          R"j("definition_type":"statement","definition":{"statement":"(c)"}})j")
             .ok()) {
      ADD_FAILURE();
    }
    pool_.push_back(statement);
    Marking unknown;
    unknown.id = "marking-definition--dead0000-0000-4000-8000-000000000001";
    unknown.known = false;
    pool_.push_back(unknown);

    const char* names[] = {"local", "cert-a", "cert-b", "cert-c", "partner-x", "partner-y",
                           "partner-z", "partner-w"};
    for (int i = 0; i < 8; ++i) {
      Org o;
      o.name = names[i];
      o.nation = std::vector<std::string>{"FR", "DE", "BE", ""}[Pick(4)];
      if (Pick(2)) o.communities.push_back("NATO");
      if (Pick(2)) o.communities.push_back("EU");
      if (Pick(3) == 0) o.caveats.push_back("CYBER");
      o.identity = "identity--0000000" + std::to_string(i) + "-0000-4000-8000-000000000000";
      o.clearance = static_cast<int>(Pick(6));
      if (o.name.rfind("partner", 0) == 0) {
        Agreement a;
        a.partner = o.name;
        a.tlp_ceiling = static_cast<TlpLevel>(Pick(5));
        a.classification_ceiling = static_cast<Classification>(Pick(6));
        if (Pick(3) == 0) a.types = {"indicator"};
        if (Pick(4) == 0) a.required_releasability = {std::vector<std::string>{"NATO", "EU", "FR"}[Pick(3)]};
        if (Pick(5) == 0) a.embargo = std::chrono::hours(1);  // everything here is fresher
        if (Pick(3) == 0) a.min_confidence = static_cast<int>(Pick(100));
        a.share_sightings = Pick(2) == 0;
        o.agreement = a;
      }
      orgs_.push_back(o);
    }
  }

  uint32_t Pick(uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng_); }

  Obj MakeObject(int n) {
    Obj o;
    char uuid[40];
    std::snprintf(uuid, sizeof uuid, "%08x-0000-4000-8000-%012x", n, static_cast<unsigned>(rng_()));
    // Sightings too: an agreement that does not share them leaves them out of the query.
    o.type = std::vector<std::string>{"malware", "indicator", "indicator", "sighting"}[Pick(4)];
    o.id = o.type + "--" + uuid;
    o.name_token = "NAMETOKEN" + std::to_string(n) + "Q";
    for (uint32_t k = Pick(4); k > 0; --k) o.markings.push_back(pool_[Pick(static_cast<uint32_t>(pool_.size()))].id);
    std::sort(o.markings.begin(), o.markings.end());
    o.markings.erase(std::unique(o.markings.begin(), o.markings.end()), o.markings.end());
    if (Pick(3)) o.created_by = orgs_[Pick(static_cast<uint32_t>(orgs_.size()))].identity;
    if (Pick(3)) o.confidence = static_cast<int>(Pick(101));
    std::string description = "DESCTOKEN" + std::to_string(n) + "Q";
    std::string label = "labeltoken" + std::to_string(n) + "q";
    for (std::string selector : {"description", "name", "labels.[0]"}) {
      if (Pick(3) != 0) continue;
      if (o.type == "sighting" && selector == "name") continue;  // a sighting has no name
      std::string token = selector == "description" ? description
                          : selector == "name"      ? o.name_token
                                                    : label;
      o.granular.push_back({selector, pool_[Pick(static_cast<uint32_t>(pool_.size()))].id, token});
    }
    // A sighting has no name: its name token rides in its description.
    std::string text = R"({"type":")" + o.type + R"(","spec_version":"2.1","id":")" + o.id +
                       R"(","created":"2021-01-01T00:00:00.000Z","modified":"2021-01-01T00:00:00.000Z",)" +
                       (o.type == "sighting" ? std::string()
                                             : R"("name":")" + o.name_token + R"(",)") +
                       R"("description":")" + description +
                       (o.type == "sighting" ? " " + o.name_token : std::string()) +
                       R"(","labels":[")" + label + "\"]";
    if (o.type == "sighting") {
      text += R"(,"sighting_of_ref":"indicator--11111111-1111-4111-8111-111111111111")";
    } else if (o.type == "indicator") {
      text += R"(,"pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2021-01-01T00:00:00Z")";
    } else {
      text += R"(,"is_family":true)";  // then `name` is required: redacting it must withhold
    }
    if (!o.created_by.empty()) text += R"(,"created_by_ref":")" + o.created_by + "\"";
    if (o.confidence) text += R"(,"confidence":)" + std::to_string(*o.confidence);
    if (!o.markings.empty()) {
      text += R"(,"object_marking_refs":[)";
      for (size_t i = 0; i < o.markings.size(); ++i) text += (i ? ",\"" : "\"") + o.markings[i] + "\"";
      text += "]";
    }
    if (!o.granular.empty()) {
      text += R"(,"granular_markings":[)";
      for (size_t i = 0; i < o.granular.size(); ++i) {
        text += std::string(i ? "," : "") + R"({"selectors":[")" + o.granular[i].selector +
                R"("],"marking_ref":")" + o.granular[i].marking + "\"}";
      }
      text += "]";
    }
    o.text = text + "}";
    return o;
  }

  // The marking-definition of pool marking `m` stored as an object: unmarked (then released by
  // what it defines) or, one time in three, under random markings of its own. Its name token
  // stands for its content (its id appears in what others carry).
  Obj MakeDefinition(int n, const Marking& m) {
    Obj o;
    o.type = "marking-definition";
    o.id = m.id;
    o.name_token = "DEFTOKEN" + std::to_string(n) + "Q";
    if (Pick(3) == 0) {
      for (uint32_t k = 1 + Pick(2); k > 0; --k) {
        const std::string& ref = pool_[Pick(static_cast<uint32_t>(pool_.size()))].id;
        if (ref != m.id &&
            std::find(o.markings.begin(), o.markings.end(), ref) == o.markings.end()) {
          o.markings.push_back(ref);
        }
      }
    }
    std::string text = R"({"type":"marking-definition","spec_version":"2.1","id":")" + o.id +
                       R"(","created":"2020-01-01T00:00:00.000Z","name":")" + o.name_token +
                       R"(","definition_type":"statement","definition":{"statement":"s"})";
    if (!o.markings.empty()) {
      text += R"(,"object_marking_refs":[)";
      for (size_t i = 0; i < o.markings.size(); ++i)
        text += (i ? ",\"" : "\"") + o.markings[i] + "\"";
      text += "]";
    }
    o.text = text + "}";
    return o;
  }

  const Marking& M(const std::string& id) const {
    for (const Marking& m : pool_) {
      if (m.id == id) return m;
    }
    static Marking none;
    return none;
  }

  // The oracle: may `org` receive content with these markings, owned by `owner`? Content
  // without TLP is at `unmarked_level` (AMBER, or CLEAR for what a marking-definition defines).
  bool Passes(const Org& org, const std::vector<std::string>& markings, const std::string& owner,
              int unmarked_level = 2) const {
    std::optional<int> tlp;
    int cls = 0;
    for (const std::string& id : markings) {
      const Marking& m = M(id);
      if (!m.known) {
        // Fail closed for all but the content's owner (and administrators).
        if (owner.empty() || owner != org.identity) return false;
        continue;
      }
      if (m.tlp) tlp = std::max(tlp.value_or(0), *m.tlp);
      cls = std::max(cls, m.cls);
      for (const auto& set : m.rel) {
        bool member = set.count(org.name) || set.count(org.nation);
        for (const std::string& c : org.communities) member = member || set.count(c);
        if (!member) return false;
      }
      for (const std::string& c : m.caveats) {
        if (std::find(org.caveats.begin(), org.caveats.end(), c) == org.caveats.end()) return false;
      }
    }
    const int level = tlp.value_or(unmarked_level);
    int clearance = org.clearance;
    if (org.agreement) {
      clearance = std::min(clearance, static_cast<int>(org.agreement->classification_ceiling));
      if (level > static_cast<int>(org.agreement->tlp_ceiling)) return false;
    } else if (level == 4) {
      if (owner.empty() || owner != org.identity) return false;
    } else if (level == 3) {
      if (org.name != "local" && (owner.empty() || owner != org.identity)) return false;
    }
    return cls <= clearance;
  }

  // What `org` must receive of `o`: nullopt = withheld, else the tokens that must be absent.
  std::optional<std::set<std::string>> Expect(const Org& org, const Obj& o) const {
    // A marking-definition without markings of its own goes to those cleared for what it
    // defines, when that is known; otherwise it is unmarked content.
    const bool by_definition =
        o.type == "marking-definition" && o.markings.empty() && M(o.id).known;
    const std::vector<std::string> judged =
        by_definition ? std::vector<std::string>{o.id} : o.markings;
    if (!Passes(org, judged, o.created_by, by_definition ? 0 : 2)) return std::nullopt;
    if (const auto& a = org.agreement) {
      if (!a->types.empty() && a->types[0] != o.type) return std::nullopt;
      if (!a->share_sightings && o.type == "sighting") return std::nullopt;
      if (a->embargo.count() > 0) return std::nullopt;
      // Confidence is a property of SDOs and SROs only.
      if (a->min_confidence && o.type != "marking-definition" &&
          (!o.confidence || *o.confidence < *a->min_confidence)) {
        return std::nullopt;
      }
      if (!a->required_releasability.empty()) {
        bool named = false;
        for (const std::string& id : judged) {
          for (const auto& set : M(id).rel) named = named || set.count(a->required_releasability[0]);
        }
        if (!named) return std::nullopt;
      }
    }
    std::set<std::string> hidden;
    for (const Granular& g : o.granular) {
      // A field's label joins the object's markings and its granular one (POLICY.md §1.3).
      std::vector<std::string> field = o.markings;
      field.push_back(g.marking);
      if (Passes(org, field, o.created_by)) continue;
      if (g.selector == "name" && o.type == "malware") return std::nullopt;  // required: invalid
      hidden.insert(g.token);
    }
    return hidden;
  }

  std::shared_ptr<MarkingRegistry> registry_ = std::make_shared<MarkingRegistry>();
  std::vector<Marking> pool_;
  std::vector<Org> orgs_;
  std::mt19937 rng_;
};

// The store URI for a test backend: "memory:", or a fresh SQLite file named for `stem` and
// `seed` (set in `file`, so the test can remove it).
std::string BackendUri(const std::string& backend, const std::string& stem, int seed,
                       fs::path* file) {
  if (backend != "sqlite") return "memory:";
  *file = fs::temp_directory_path() / ("ctihub-" + stem + "-" + std::to_string(::getpid()) + "-" +
                                       std::to_string(seed) + ".db");
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(file->string() + suffix);
  return "sqlite:" + file->string();
}

class AdversarialRelease : public ::testing::TestWithParam<std::string> {};

TEST_P(AdversarialRelease, NothingLeaksAndNothingReleasableIsHeldBack) {
  store::RegisterSqliteBackend();
  uint64_t decisions = 0;
  const int kWorlds = GetParam() == "memory" ? 6 : 2;
  const int kObjects = GetParam() == "memory" ? 2500 : 3000;
  for (int world_seed = 1; world_seed <= kWorlds; ++world_seed) {
    World world(static_cast<uint32_t>(world_seed * 7919 + (GetParam() == "memory" ? 0 : 1)));
    fs::path file;
    const std::string uri = BackendUri(GetParam(), "adversarial", world_seed, &file);
    auto st = store::Store::Open(uri);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    std::string collection = (*st)->EnsureCollection("c")->id;
    std::vector<Obj> objects;
    std::vector<stix::ObjectVersion> batch;
    simdjson::dom::parser parser;
    for (int n = 0; n < kObjects; ++n) {
      objects.push_back(n < kObjects - static_cast<int>(world.pool_.size())
                            ? world.MakeObject(n)
                            : world.MakeDefinition(n, world.pool_[kObjects - 1 - n]));
      Result<stix::ObjectVersion> v = stix::ExtractObjectVersion(parser, objects.back().text);
      ASSERT_TRUE(v.ok()) << objects.back().text;
      batch.push_back(std::move(*v));
    }
    ASSERT_TRUE((*st)->Put(collection, batch).ok());
    PolicyOptions options;
    options.accreditation = Classification::kTopSecret;
    for (const Org& o : world.orgs_) {
      options.organisations.push_back({o.name, o.nation, o.communities, o.identity,
                                       static_cast<Classification>(o.clearance), o.caveats});
      if (o.agreement) options.agreements.push_back(*o.agreement);
    }
    PolicyGate gate(options, world.registry_);
    for (const Org& org : world.orgs_) {
      store::Recipient who{"u", org.name, false};
      store::OutboundReader reader(**st, gate);
      store::Query q;
      q.limit = 1 + world.Pick(700);
      std::string bytes;
      std::set<std::string> received;
      for (;;) {
        Result<store::Page> page = reader.List(collection, q, who);
        ASSERT_TRUE(page.ok()) << page.status().ToString();
        // A page is full whenever more follows.
        if (page->more) {
          EXPECT_EQ(page->objects.size(), q.limit) << org.name;
        }
        for (const store::StoredObject& o : page->objects) {
          EXPECT_TRUE(received.insert(o.id).second) << "repeated " << o.id;
          bytes += o.text;
          bytes += '\n';
        }
        if (!page->more) break;
        q.after = page->next;
      }
      // A manifest (no texts asked for) lists exactly the same objects.
      store::Query manifest;
      manifest.with_text = false;
      manifest.limit = 100000;
      Result<store::Page> listed = reader.List(collection, manifest, who);
      ASSERT_TRUE(listed.ok());
      std::set<std::string> manifest_ids;
      for (const store::StoredObject& o : listed->objects) {
        manifest_ids.insert(o.id);
        EXPECT_TRUE(o.text.empty());
      }
      EXPECT_EQ(manifest_ids, received) << org.name;
      for (const Obj& o : objects) {
        ++decisions;
        std::optional<std::set<std::string>> expected = world.Expect(org, o);
        if (!expected) {
          EXPECT_FALSE(received.count(o.id)) << org.name << " received " << o.text;
          EXPECT_EQ(bytes.find(o.name_token), std::string::npos) << org.name << " " << o.text;
          continue;
        }
        if (!received.count(o.id)) {
          store::StoredObject stored;
          stored.id = o.id;
          stored.type = o.type;
          stored.text = o.text;
          stored.markings = o.markings;
          stored.created_by = o.created_by;
          stored.date_added = Timestamp::Now();
          std::string why;
          for (const std::string& r : gate.Explain(who, stored).reasons) why += "\n  " + r;
          ADD_FAILURE() << org.name << " was denied " << o.text << why;
        }
        for (const std::string& token : *expected) {
          EXPECT_EQ(bytes.find(token), std::string::npos)
              << org.name << " saw granular-marked " << token << " of " << o.text;
        }
      }
    }
    st->reset();
    if (!file.empty()) {
      for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(file.string() + suffix);
    }
  }
  EXPECT_GE(decisions, GetParam() == "memory" ? 100'000u : 40'000u);
}

INSTANTIATE_TEST_SUITE_P(Backends, AdversarialRelease, ::testing::Values("memory", "sqlite"));

// Stores `texts` in one batch; an error when any is not a STIX object or the store rejects one.
Result<store::PutResult> PutTexts(store::Store& st, const std::string& collection,
                                  const std::vector<std::string>& texts) {
  simdjson::dom::parser parser;
  std::vector<stix::ObjectVersion> batch;
  for (const std::string& t : texts) {
    CTI_ASSIGN_OR_RETURN(stix::ObjectVersion v, stix::ExtractObjectVersion(parser, t));
    batch.push_back(std::move(v));
  }
  CTI_ASSIGN_OR_RETURN(store::PutResult put, st.Put(collection, batch));
  if (put.rejected > 0) return Internal(put.reasons[0]);
  return put;
}

// Victims: random identities of every class, located-at relationships to country-level and
// precise locations, configured nations, sightings, reports, notes, opinions, relationships and
// domain names (some the constituency's) referring to them at random, and authored by them at
// random — read by a partner whose profile rewrites victims, through OutboundReader with random
// page sizes. The oracle works out on its own who is a victim (targeted, or in a sighting's
// where_sighted_refs, and not a class) and each victim's sector + country facts; the test
// searches every byte handed out — outside created_by_ref, which is provenance and must come out
// as stored — for any victim's id or name, a precise location, a victim's host name or the id of
// its domain-name SCO; checks that every other identity arrives untouched; and checks each
// sighting's where_sighted_refs against the oracle (withheld when it names its author).
class AdversarialVictims : public ::testing::TestWithParam<std::string> {};

TEST_P(AdversarialVictims, NoVictimIdNamePlaceOrHostReachesAPartner) {
  store::RegisterSqliteBackend();
  constexpr char kNode[] = "identity--d3d3c1b1-8ba4-4ba4-b1a4-2b7c0c3a9b1e";
  constexpr char kGreen[] = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
  constexpr char kKey[] = "adversarial-community-key-01";
  const std::string tail = R"(,"object_marking_refs":[")" + std::string(kGreen) + R"("]})";
  size_t checked_sightings = 0, checked_places = 0, withheld_own = 0, authors_kept = 0;
  for (int seed = 1; seed <= 3; ++seed) {
    std::mt19937 rng(static_cast<uint32_t>(seed * 104729 + (GetParam() == "memory" ? 0 : 1)));
    auto pick = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
    auto uuid = [&](uint32_t kind, uint32_t n) {
      char out[40];
      std::snprintf(out, sizeof out, "%08x-%04x-4000-8000-%012x", n, kind, static_cast<unsigned>(rng()));
      return std::string(out);
    };
    auto sdo = [&](const std::string& type, const std::string& id, const std::string& rest) {
      return R"({"type":")" + type + R"(","spec_version":"2.1","id":")" + id +
             R"(","created":"2021-01-01T00:00:00.000Z","modified":"2021-01-01T00:00:00.000Z",)" +
             rest + tail;
    };
    struct Identity {
      std::string id, cls, name;
      std::vector<std::string> sectors, locations;
      std::string nation;
      bool victim = false;
    };
    struct Place {
      std::string id, country, city;  // city empty: country level
    };
    std::vector<std::string> texts;
    std::vector<Place> places;
    for (uint32_t i = 0; i < 24; ++i) {
      Place l{"location--" + uuid(1, i), std::vector<std::string>{"DE", "FR", "BE", ""}[pick(4)],
              pick(2) ? "CITYTOKEN" + std::to_string(seed) + "x" + std::to_string(i) + "Q" : ""};
      if (l.country.empty() && l.city.empty()) l.country = "NL";
      std::string rest = R"("name":"site )" + std::to_string(i) + "\"";
      if (!l.country.empty()) rest += R"(,"country":")" + l.country + "\"";
      if (!l.city.empty()) rest += R"(,"city":")" + l.city + R"(","latitude":48.1,"longitude":11.5)";
      if (l.country.empty()) rest += R"(,"region":"europe")";
      texts.push_back(sdo("location", l.id, rest));
      places.push_back(l);
    }
    PolicyOptions options;
    options.node_identity = kNode;
    options.victim_index_settle = std::chrono::milliseconds(0);
    options.organisations.push_back({"partner", "", {}, "", std::nullopt, {}});
    std::vector<Identity> identities;
    for (uint32_t i = 0; i < 30; ++i) {
      Identity d;
      d.id = i == 0 ? kNode : "identity--" + uuid(2, i);
      d.cls = i == 0 ? "organization"
                     : std::vector<std::string>{"individual", "organization", "organization",
                                                "class", "group", "system"}[pick(6)];
      d.name = "VNAME" + std::to_string(seed) + "x" + std::to_string(i) + "Q";
      for (const char* sector : {"energy", "finance", "healthcare"}) {
        if (pick(3) == 0) d.sectors.push_back(sector);
      }
      for (uint32_t k = pick(3); k > 0; --k) d.locations.push_back(places[pick(24)].id);
      if (pick(3) == 0) {
        d.nation = std::vector<std::string>{"DE", "IT"}[pick(2)];
        options.organisations.push_back({"org" + std::to_string(i), d.nation, {}, d.id, std::nullopt, {}});
      }
      std::string rest = R"("name":")" + d.name + R"(","identity_class":")" + d.cls +
                         R"(","description":"about )" + d.name + "\"";
      if (!d.sectors.empty()) {
        rest += R"(,"sectors":[)";
        for (size_t k = 0; k < d.sectors.size(); ++k) rest += (k ? ",\"" : "\"") + d.sectors[k] + "\"";
        rest += "]";
      }
      texts.push_back(sdo("identity", d.id, rest));
      for (const std::string& l : d.locations) {
        texts.push_back(sdo("relationship", "relationship--" + uuid(3, pick(1u << 30)),
                            R"("relationship_type":"located-at","source_ref":")" + d.id +
                                R"(","target_ref":")" + l + "\""));
      }
      identities.push_back(d);
    }
    auto any_identity = [&] { return identities[pick(30)].id; };
    // Domain names: the constituency's (under ministry.example) and attackers' resolving to them.
    std::vector<std::string> victim_hosts, victim_host_ids;
    for (uint32_t i = 0; i < 10; ++i) {
      std::string host = "host" + std::to_string(seed) + "x" + std::to_string(i) + ".ministry.example";
      std::string id = "domain-name--" + uuid(4, i);
      texts.push_back(R"({"type":"domain-name","spec_version":"2.1","id":")" + id +
                      R"(","value":")" + host + "\"" + tail);
      victim_hosts.push_back(host);
      victim_host_ids.push_back(id);
      texts.push_back(R"({"type":"domain-name","spec_version":"2.1","id":"domain-name--)" +
                      uuid(5, i) + R"(","value":"evil)" + std::to_string(i) +
                      R"(.example","resolves_to_refs":[")" + id + "\"]" + tail);
    }
    struct Sighting {
      std::string id, author;
      std::vector<std::string> where;
    };
    std::vector<Sighting> sightings;
    std::set<std::string> roles;  // identities in a victim role
    for (uint32_t i = 0; i < 120; ++i) {
      const std::string by = pick(2) ? any_identity() : "";
      const std::string author = by.empty() ? "" : R"(,"created_by_ref":")" + by + "\"";
      switch (pick(5)) {
        case 0: {
          std::vector<std::string> where;
          for (uint32_t k = 1 + pick(3); k > 0; --k) {
            // Identities, and now and then a location; distinct, as producers write them.
            std::string w = pick(4) ? any_identity() : places[pick(24)].id;
            if (std::find(where.begin(), where.end(), w) == where.end()) where.push_back(w);
          }
          std::string list;
          for (const std::string& w : where) list += (list.empty() ? "\"" : ",\"") + w + "\"";
          std::string id = "sighting--" + uuid(6, i);
          texts.push_back(sdo("sighting", id,
                              R"("sighting_of_ref":"indicator--11111111-1111-4111-8111-111111111111","where_sighted_refs":[)" +
                                  list + "]" + author));
          sightings.push_back({id, by, where});
          roles.insert(where.begin(), where.end());
          break;
        }
        case 1: {
          const std::string target = any_identity();
          roles.insert(target);
          texts.push_back(sdo("relationship", "relationship--" + uuid(7, i),
                              R"("relationship_type":"targets","source_ref":"campaign--cafe0001-0000-4000-8000-000000000001","target_ref":")" +
                                  target + "\"" + author));
          break;
        }
        case 2:
          texts.push_back(sdo("report", "report--" + uuid(8, i),
                              R"("name":"r","published":"2021-01-01T00:00:00Z","object_refs":[")" +
                                  any_identity() + R"(",")" + any_identity() + R"(",")" +
                                  victim_host_ids[pick(10)] + "\"]" + author));
          break;
        case 3:
          texts.push_back(sdo("note", "note--" + uuid(9, i),
                              R"("content":"seen at )" + victim_hosts[pick(10)] + R"(","object_refs":[")" +
                                  any_identity() + "\"]" + author));
          break;
        default:
          texts.push_back(sdo("opinion", "opinion--" + uuid(10, i),
                              R"("opinion":"agree","object_refs":[")" + any_identity() + "\"]" + author));
      }
    }
    size_t authors_only = 0;
    for (Identity& d : identities) {
      d.victim = d.id != kNode && d.cls != "class" && roles.count(d.id);
      authors_only += !d.victim && d.cls != "class" && d.id != kNode;
    }
    fs::path file;
    const std::string uri = BackendUri(GetParam(), "adversarial-victims", seed, &file);
    auto st = store::Store::Open(uri);
    ASSERT_TRUE(st.ok());
    std::string collection = (*st)->EnsureCollection("c")->id;
    Result<store::PutResult> put = PutTexts(**st, collection, texts);
    ASSERT_TRUE(put.ok()) << put.status().ToString();
    sanitize::SanitizeProfile profile;
    profile.name = "victims";
    profile.victims = profile.pseudonymise = true;
    profile.key = kKey;
    profile.victim_domains = {"ministry.example"};
    options.profiles = {profile};
    Agreement a;
    a.partner = "partner";
    a.share_sightings = true;
    a.sanitization_profile = "victims";
    options.agreements = {a};
    auto gate = PolicyGate::Make(options, nullptr);
    ASSERT_TRUE(gate.ok()) << gate.status().ToString();
    // date_added runs ahead of the clock in a burst (1 µs apart at least): what is ahead of the
    // clock when the index is read waits for the next read, so read once the clock has passed it.
    while (Timestamp::Now().micros() <= put->last_date_added->micros()) std::this_thread::yield();
    ASSERT_TRUE((*gate)->RefreshVictims(**st).ok());

    // The oracle's sector + country identity of each victim, and the victims' precise places.
    const sanitize::Sanitizer naming(profile);
    std::map<std::string, std::string> class_of;
    // A victim's place: precise, a victim is located at it, and nothing else is.
    std::set<std::string> victim_places, shared_places;
    for (const Identity& d : identities) {
      for (const std::string& l : d.locations) (d.victim ? victim_places : shared_places).insert(l);
    }
    for (const Place& p : places) {
      if (p.city.empty() || shared_places.count(p.id)) victim_places.erase(p.id);
    }
    // And a precise place a sighting names in where_sighted_refs: where the sighter was.
    for (const auto& [id, by, where] : sightings) {
      for (const std::string& w : where) {
        for (const Place& p : places) {
          if (p.id == w && !p.city.empty()) victim_places.insert(p.id);
        }
      }
    }
    checked_places += victim_places.size();
    for (const Identity& d : identities) {
      if (!d.victim) continue;
      sanitize::VictimFacts f{d.cls, d.sectors, {}, {kGreen}};
      for (const std::string& l : d.locations) {
        for (const Place& p : places) {
          if (p.id == l && !p.country.empty()) f.countries.push_back(p.country);
        }
      }
      if (f.countries.empty() && !d.nation.empty()) f.countries.push_back(d.nation);
      std::sort(f.sectors.begin(), f.sectors.end());
      std::sort(f.countries.begin(), f.countries.end());
      f.countries.erase(std::unique(f.countries.begin(), f.countries.end()), f.countries.end());
      class_of[d.id] = naming.ClassIdentityId(f);
    }

    store::OutboundReader reader(**st, **gate);
    store::Query q;
    q.limit = 1 + static_cast<size_t>(pick(60));
    std::string bytes;  // everything handed out but created_by_ref values
    std::map<std::string, std::string> received;  // id → text
    std::set<std::string> original_ids;
    for (const Identity& d : identities) original_ids.insert(d.id);
    for (;;) {
      Result<store::Page> page = reader.List(collection, q, {"u", "partner", false});
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      for (const store::StoredObject& o : page->objects) {
        received[o.id] = o.text;
        // Provenance comes out as stored: the victims step never rewrites created_by_ref (the
        // sector identities it makes are the node's).
        std::string text = o.text;
        const std::string key = R"("created_by_ref":")";
        if (size_t at = text.find(key); at != std::string::npos) {
          const size_t end = text.find('"', at + key.size());
          const std::string by = text.substr(at + key.size(), end - at - key.size());
          EXPECT_TRUE(original_ids.count(by)) << o.text;
          Result<std::vector<store::StoredObject>> stored = (*st)->Get(collection, o.id);
          if (by != kNode && stored.ok() && !stored->empty()) {
            EXPECT_NE(stored->front().text.find(key + by + "\""), std::string::npos) << o.text;
          }
          text.erase(at, end + 1 - at);
        }
        bytes += text + "\n";
        stix::Validator validator;
        stix::RawObject raw;
        raw.text = o.text;
        EXPECT_EQ(validator.ValidateObject(raw, [](const stix::Finding&) {}), 0u) << o.text;
      }
      if (!page->more) break;
      q.after = page->next;
    }
    for (const Identity& d : identities) {
      if (!d.victim) {
        EXPECT_TRUE(received.count(d.id)) << d.id << " is no victim";
        if (d.id != kNode && received.count(d.id)) {
          EXPECT_NE(received[d.id].find(d.name), std::string::npos) << "untouched: " << d.id;
        }
        continue;
      }
      EXPECT_EQ(bytes.find(d.id.substr(10)), std::string::npos) << d.id << " reached the partner";
      EXPECT_EQ(bytes.find(d.name), std::string::npos) << d.name << " reached the partner";
      EXPECT_TRUE(received.count(class_of[d.id])) << "no sector identity for " << d.id;
      for (const std::string& l : d.locations) {
        for (const Place& p : places) {
          if (p.id == l && victim_places.count(p.id)) {
            EXPECT_FALSE(received.count(p.id)) << "a victim's precise location " << p.id;
            EXPECT_EQ(bytes.find(p.city), std::string::npos);
            EXPECT_EQ(bytes.find(p.id.substr(10)), std::string::npos) << "a reference to " << p.id;
          } else if (p.id == l) {
            EXPECT_TRUE(received.count(p.id)) << "a place on the map " << p.id;
          }
        }
      }
    }
    for (size_t i = 0; i < victim_hosts.size(); ++i) {
      EXPECT_EQ(bytes.find(victim_hosts[i]), std::string::npos) << victim_hosts[i];
      EXPECT_EQ(bytes.find(victim_host_ids[i].substr(13)), std::string::npos) << victim_host_ids[i];
    }
    EXPECT_EQ(bytes.find("ministry"), std::string::npos);
    for (const auto& [id, by, where] : sightings) {
      const bool names_its_author = class_of.count(by) &&
                                    std::find(where.begin(), where.end(), by) != where.end();
      if (names_its_author) {
        // Its created_by_ref would name the victim: withheld (no pseudonymise_sources here).
        EXPECT_FALSE(received.count(id)) << received[id];
        ++withheld_own;
        continue;
      }
      if (!received.count(id)) {
        Result<std::vector<store::StoredObject>> stored = (*st)->Get(collection, id);
        std::string why;
        if (stored.ok() && !stored->empty()) {
          for (const std::string& r : (*gate)->Explain({"u", "partner", false}, stored->front()).reasons) {
            why += "\n  " + r;
          }
        }
        ADD_FAILURE() << id << " was withheld:" << why;
        continue;
      }
      std::vector<std::string> expected;
      for (const std::string& w : where) {
        if (victim_places.count(w)) continue;
        std::string to = class_of.count(w) ? class_of[w] : w;
        if (std::find(expected.begin(), expected.end(), to) == expected.end()) expected.push_back(to);
      }
      std::string list;
      for (const std::string& e : expected) list += (list.empty() ? "\"" : ",\"") + e + "\"";
      if (expected.empty()) {
        EXPECT_EQ(received[id].find("where_sighted_refs"), std::string::npos) << received[id];
      } else {
        EXPECT_NE(received[id].find(R"("where_sighted_refs":[)" + list + "]"), std::string::npos)
            << received[id] << "\nexpected " << list;
      }
      ++checked_sightings;
    }
    authors_kept += authors_only;
    st->reset();
    if (!file.empty()) {
      for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(file.string() + suffix);
    }
  }
  EXPECT_GT(checked_sightings, 40u);
  EXPECT_GT(checked_places, 5u);
  EXPECT_GT(withheld_own, 0u);
  EXPECT_GT(authors_kept, 3u) << "identities with no victim role, kept as they are";
}

INSTANTIATE_TEST_SUITE_P(Backends, AdversarialVictims, ::testing::Values("memory", "sqlite"));

// Observables a profile withholds (internal addresses) or rewrites (pseudonymised e-mail addresses
// and accounts) have ids derived from their values: a reference that kept such an id would let a
// partner recover the value by hashing candidates. Random address, e-mail and account SCOs, and
// network traffic, e-mail messages, observed data, reports and notes referring to them at random
// (in either case, in prose too), read through OutboundReader by a partner whose profile
// withholds internal addresses and pseudonymises: no byte received may hold the UUID of an
// internal or pseudonymised observable, every public address arrives, and everything is valid.
class AdversarialObservableRefs : public ::testing::TestWithParam<std::string> {};

TEST_P(AdversarialObservableRefs, NoReferenceGivesAWithheldOrPseudonymisedValueAway) {
  store::RegisterSqliteBackend();
  constexpr char kNode[] = "identity--d3d3c1b1-8ba4-4ba4-b1a4-2b7c0c3a9b1e";
  constexpr char kGreen[] = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
  const std::string marked = R"(,"object_marking_refs":[")" + std::string(kGreen) + R"("]})";
  size_t hidden_refs = 0, public_seen = 0, statement_marked = 0;
  for (int seed = 1; seed <= 3; ++seed) {
    std::mt19937 rng(static_cast<uint32_t>(seed * 7919 + (GetParam() == "memory" ? 0 : 1)));
    auto pick = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
    simdjson::dom::parser parser;
    // An SCO with its deterministic id, as producers and the store have it.
    auto sco = [&](const std::string& type, const std::string& properties) {
      std::string draft = R"({"type":")" + type + R"(","spec_version":"2.1",)" + properties + "}";
      Result<std::optional<std::string>> id = stix::ComputeScoId(parser.parse(draft).value());
      EXPECT_TRUE(id.ok() && *id) << draft;
      return std::pair{**id, R"({"type":")" + type + R"(","spec_version":"2.1","id":")" + **id +
                                 R"(",)" + properties + marked.substr(0, marked.size() - 1) + "}"};
    };
    std::vector<std::string> texts, hidden, shown;  // hidden: ids that must not reach the partner
    std::vector<std::string> addresses;             // every address SCO id
    for (uint32_t i = 0; i < 40; ++i) {
      const bool internal = pick(2);
      std::string value;
      if (pick(4) == 0) {
        value = internal ? "fd00:" + std::to_string(seed) + "::" + std::to_string(i + 1)
                         : "2001:db8:" + std::to_string(seed) + "::" + std::to_string(i + 1);
      } else {
        value = internal
                    ? std::vector<std::string>{"10.", "192.168.", "172.20.", "100.64."}[pick(4)] +
                          std::to_string(pick(200)) + "." + std::to_string(i + 1)
                    : "198.51." + std::to_string(seed) + "." + std::to_string(i + 1);
        if (internal && value.starts_with("10.")) value += "." + std::to_string(pick(250));
      }
      auto [id, text] = sco(value.find(':') != std::string::npos ? "ipv6-addr" : "ipv4-addr",
                            R"("value":")" + value + "\"");
      texts.push_back(text);
      addresses.push_back(id);
      (internal ? hidden : shown).push_back(id);
    }
    // Addresses named but never stored (an observed-data whose SCOs were not imported): nothing
    // says what they are, so no reference to one may reach the partner.
    std::vector<std::string> absent;
    for (uint32_t i = 0; i < 10; ++i) {
      std::string value =
          (pick(2) ? "10.77." : "203.0.") + std::to_string(seed) + "." + std::to_string(i + 1);
      absent.push_back(sco("ipv4-addr", R"("value":")" + value + "\"").first);
      hidden.push_back(absent.back());
    }
    std::vector<std::string> mailboxes, accounts;
    std::vector<std::string> composites;  // network-traffic and email-message ids
    for (uint32_t i = 0; i < 10; ++i) {
      auto [mail, mail_text] = sco(
          "email-addr", R"("value":"person)" + std::to_string(seed * 100 + i) + R"(@example.org")");
      texts.push_back(mail_text);
      mailboxes.push_back(mail);
      hidden.push_back(mail);
      auto [account, account_text] =
          sco("user-account", R"("account_login":"login)" + std::to_string(seed * 100 + i) + "\"");
      texts.push_back(account_text);
      accounts.push_back(account);
      hidden.push_back(account);
    }
    auto spelled = [&](const std::string& id) {
      std::string out = id;
      if (pick(4) == 0) {
        for (size_t k = out.find("--") + 2; k < out.size(); ++k) {
          out[k] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[k])));
        }
      }
      return out;
    };
    auto sdo = [&](const std::string& type, uint32_t n, const std::string& rest) {
      char uuid[40];
      std::snprintf(uuid, sizeof uuid, "%08x-%04x-4000-8000-%012x", n, seed,
                    static_cast<unsigned>(rng()));
      return R"({"type":")" + type + R"(","spec_version":"2.1","id":")" + type + "--" + uuid +
             R"(","created":"2021-01-01T00:00:00.000Z","modified":"2021-01-01T00:00:00.000Z",)" +
             rest + marked;
    };
    // A statement marking with a contact in it, on some objects beside their TLP: it goes out
    // scrubbed under a new id, and what it marks names that id.
    const std::string statement_id =
        "marking-definition--57a7e000-0000-4000-8000-00000000000" + std::to_string(seed);
    const std::string statement =
        R"({"type":"marking-definition","spec_version":"2.1","id":")" + statement_id +
        R"(","created":"2021-01-01T00:00:00.000Z","definition_type":"statement","definition":{"statement":"(c) CERT. Contact: duty-officer)" +
        std::to_string(seed) + R"(@cert.example"}})";
    texts.push_back(statement);
    auto with_statement = [&](std::string text) {
      if (pick(3) == 0) {
        const std::string green = R"("object_marking_refs":[")" + std::string(kGreen) + "\"]";
        text.replace(
            text.rfind(green), green.size(),
            R"("object_marking_refs":[")" + spelled(statement_id) + R"(",")" + kGreen + "\"]");
      }
      return text;
    };
    for (uint32_t i = 0; i < 80; ++i) {
      switch (pick(5)) {
        case 0: {
          // Its id hashes its ends: with an internal one, it must not reach the partner either.
          const std::string src = addresses[pick(40)], dst = addresses[pick(40)];
          const bool both = pick(2);
          std::string refs = R"("src_ref":")" + spelled(src) + "\"";
          if (both) refs += R"(,"dst_ref":")" + spelled(dst) + "\"";
          auto [id, text] =
              sco("network-traffic",
                  refs + R"(,"dst_port":)" + std::to_string(i + 1) + R"(,"protocols":["tcp"])");
          texts.push_back(text);
          auto is_hidden = [&](const std::string& a) {
            return std::find(hidden.begin(), hidden.end(), a) != hidden.end();
          };
          if (is_hidden(src) || (both && is_hidden(dst))) hidden.push_back(id);
          composites.push_back(id);
          break;
        }
        case 1: {
          auto [id, text] =
              sco("email-message", R"("is_multipart":false,"subject":"m)" + std::to_string(i) +
                                       R"(","from_ref":")" + spelled(mailboxes[pick(10)]) +
                                       R"(","to_refs":[")" + spelled(mailboxes[pick(10)]) + "\"]");
          texts.push_back(text);
          hidden.push_back(id);  // its from_ref is pseudonymised
          composites.push_back(id);
          break;
        }
        case 2: {
          std::string list;
          for (uint32_t k = 1 + pick(4); k > 0; --k) {
            const std::vector<std::string>& from =
                pick(3) ? (pick(4) ? addresses : absent)
                        : (pick(2) || composites.empty() ? accounts : composites);
            list += (list.empty() ? "\"" : ",\"") +
                    spelled(from[pick(static_cast<uint32_t>(from.size()))]) + "\"";
          }
          texts.push_back(sdo(
              "observed-data", i,
              R"("first_observed":"2021-01-01T00:00:00Z","last_observed":"2021-01-01T00:00:00Z","number_observed":1,"object_refs":[)" +
                  list + "]"));
          break;
        }
        case 3:
          texts.push_back(sdo("report", i,
                              R"("name":"r","published":"2021-01-01T00:00:00Z","object_refs":[")" +
                                  spelled(addresses[pick(40)]) + R"(",")" +
                                  spelled(mailboxes[pick(10)]) + R"(",")" +
                                  spelled(absent[pick(10)]) + "\"]"));
          break;
        default: {
          // A UUID quoted without its type and hyphens, as some tools print them, is the same id.
          const std::vector<std::string>& quoted = pick(2) ? addresses : mailboxes;
          std::string compact = spelled(quoted[pick(static_cast<uint32_t>(quoted.size()))]);
          compact = compact.substr(compact.find("--") + 2);
          std::erase(compact, '-');
          texts.push_back(sdo("note", i,
                              R"("content":"from )" + spelled(addresses[pick(40)]) + " to " +
                                  spelled(accounts[pick(10)]) + ", ticket " + compact +
                                  R"(","object_refs":[")" + addresses[pick(40)] + "\"]"));
        }
      }
      texts.back() = with_statement(texts.back());
    }
    std::shuffle(texts.begin(), texts.end(), rng);  // references before and after their targets
    fs::path file;
    const std::string uri = BackendUri(GetParam(), "adversarial-observables", seed, &file);
    auto st = store::Store::Open(uri);
    ASSERT_TRUE(st.ok());
    std::string collection = (*st)->EnsureCollection("c")->id;
    Result<store::PutResult> put = PutTexts(**st, collection, texts);
    ASSERT_TRUE(put.ok()) << put.status().ToString();
    PolicyOptions options;
    options.node_identity = kNode;
    options.victim_index_settle = std::chrono::milliseconds(0);
    options.organisations.push_back({"partner", "", {}, "", std::nullopt, {}});
    sanitize::SanitizeProfile profile;
    profile.name = "lan";
    profile.internal_addresses = profile.pseudonymise = true;
    profile.key = "adversarial-community-key-02";
    options.profiles = {profile};
    Agreement a;
    a.partner = "partner";
    a.sanitization_profile = "lan";
    options.agreements = {a};
    auto registry = std::make_shared<MarkingRegistry>();
    ASSERT_TRUE(registry->Learn(statement).ok());
    auto gate = PolicyGate::Make(options, registry);
    ASSERT_TRUE(gate.ok()) << gate.status().ToString();
    while (Timestamp::Now().micros() <= put->last_date_added->micros()) std::this_thread::yield();
    ASSERT_TRUE((*gate)->RefreshVictims(**st).ok());

    store::OutboundReader reader(**st, **gate);
    store::Query q;
    q.limit = 1 + static_cast<size_t>(pick(40));
    std::string bytes;
    std::set<std::string> received;
    hidden.push_back(statement_id);
    for (;;) {
      Result<store::Page> page = reader.List(collection, q, {"u", "partner", false});
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      for (const store::StoredObject& o : page->objects) {
        bytes += o.text + "\n";
        received.insert(o.id);
        stix::Validator validator;
        stix::RawObject raw;
        raw.text = o.text;
        EXPECT_EQ(validator.ValidateObject(raw, [](const stix::Finding&) {}), 0u) << o.text;
      }
      if (!page->more) break;
      q.after = page->next;
    }
    std::string lowered = bytes;
    for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const std::string& id : hidden) {
      std::string uuid = id.substr(id.find("--") + 2);
      size_t at = lowered.find(uuid);
      EXPECT_EQ(at, std::string::npos)
          << id << " reached the partner in\n"
          << (at == std::string::npos ? "" : bytes.substr(bytes.rfind('\n', at) + 1, 400));
      std::erase(uuid, '-');
      at = lowered.find(uuid);
      EXPECT_EQ(at, std::string::npos)
          << id << " reached the partner without hyphens in\n"
          << (at == std::string::npos ? "" : bytes.substr(bytes.rfind('\n', at) + 1, 400));
      hidden_refs += bytes.size() > 0;
    }
    for (const std::string& id : shown) {
      EXPECT_TRUE(received.count(id)) << "a public address is released: " << id;
      public_seen += received.count(id);
    }
    EXPECT_EQ(bytes.find("duty-officer"), std::string::npos);
    const std::string renamed = sanitize::Sanitizer(profile).StatementId(statement_id);
    EXPECT_TRUE(received.count(renamed)) << "the scrubbed statement";
    statement_marked += bytes.find(R"("object_marking_refs":[")" + renamed) != std::string::npos;
    st->reset();
    if (!file.empty()) {
      for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(file.string() + suffix);
    }
  }
  EXPECT_GT(hidden_refs, 60u);
  EXPECT_GT(public_seen, 30u);
  EXPECT_EQ(statement_marked, 3u) << "objects marked with the statement, under its new id";
}

INSTANTIATE_TEST_SUITE_P(Backends, AdversarialObservableRefs,
                         ::testing::Values("memory", "sqlite"));

}  // namespace
}  // namespace ctihub::policy
