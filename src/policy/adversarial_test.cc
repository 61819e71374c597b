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

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <unistd.h>

#include "policy/marking_registry.h"
#include "policy/policy_gate.h"
#include "stix/object.h"
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
    o.type = Pick(3) == 0 ? "malware" : "indicator";
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
      std::string token = selector == "description" ? description
                          : selector == "name"      ? o.name_token
                                                    : label;
      o.granular.push_back({selector, pool_[Pick(static_cast<uint32_t>(pool_.size()))].id, token});
    }
    std::string text = R"({"type":")" + o.type + R"(","spec_version":"2.1","id":")" + o.id +
                       R"(","created":"2021-01-01T00:00:00.000Z","modified":"2021-01-01T00:00:00.000Z",)"
                       R"("name":")" + o.name_token + R"(","description":")" + description +
                       R"(","labels":[")" + label + "\"]";
    if (o.type == "indicator") {
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

  const Marking& M(const std::string& id) const {
    for (const Marking& m : pool_) {
      if (m.id == id) return m;
    }
    static Marking none;
    return none;
  }

  // The oracle: may `org` receive content with these markings, owned by `owner`?
  bool Passes(const Org& org, const std::vector<std::string>& markings,
              const std::string& owner) const {
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
    const int level = tlp.value_or(2);  // unmarked = AMBER
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
    if (!Passes(org, o.markings, o.created_by)) return std::nullopt;
    if (const auto& a = org.agreement) {
      if (!a->types.empty() && a->types[0] != o.type) return std::nullopt;
      if (a->embargo.count() > 0) return std::nullopt;
      if (a->min_confidence && (!o.confidence || *o.confidence < *a->min_confidence)) return std::nullopt;
      if (!a->required_releasability.empty()) {
        bool named = false;
        for (const std::string& id : o.markings) {
          for (const auto& set : M(id).rel) named = named || set.count(a->required_releasability[0]);
        }
        if (!named) return std::nullopt;
      }
    }
    std::set<std::string> hidden;
    for (const Granular& g : o.granular) {
      if (Passes(org, {g.marking}, o.created_by)) continue;
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

class AdversarialRelease : public ::testing::TestWithParam<std::string> {};

TEST_P(AdversarialRelease, NothingLeaksAndNothingReleasableIsHeldBack) {
  store::RegisterSqliteBackend();
  uint64_t decisions = 0;
  const int kWorlds = GetParam() == "memory" ? 6 : 2;
  const int kObjects = GetParam() == "memory" ? 2500 : 3000;
  for (int world_seed = 1; world_seed <= kWorlds; ++world_seed) {
    World world(static_cast<uint32_t>(world_seed * 7919 + (GetParam() == "memory" ? 0 : 1)));
    std::string uri = "memory:";
    fs::path file;
    if (GetParam() == "sqlite") {
      file = fs::temp_directory_path() /
             ("ctihub-adversarial-" + std::to_string(::getpid()) + "-" + std::to_string(world_seed) + ".db");
      for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(file.string() + suffix);
      uri = "sqlite:" + file.string();
    }
    auto st = store::Store::Open(uri);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    std::string collection = (*st)->EnsureCollection("c")->id;
    std::vector<Obj> objects;
    std::vector<stix::ObjectVersion> batch;
    simdjson::dom::parser parser;
    for (int n = 0; n < kObjects; ++n) {
      objects.push_back(world.MakeObject(n));
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

}  // namespace
}  // namespace ctihub::policy
