// The victim index against a store, and the release gate's victims steps end to end: what a
// partner whose profile rewrites victims receives through OutboundReader.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <set>
#include <thread>

#include "policy/policy_gate.h"
#include "policy/victim_index.h"
#include "stix/object.h"
#include "stix/validator.h"
#include "store/release_gate.h"

namespace ctihub::policy {
namespace {

constexpr char kNode[] = "identity--d3d3c1b1-8ba4-4ba4-b1a4-2b7c0c3a9b1e";
constexpr char kGreen[] = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
constexpr char kAcme[] = "identity--acae0001-0000-4000-8000-00000000000a";     // energy, DE
constexpr char kBolt[] = "identity--b01e0002-0000-4000-8000-00000000000b";     // energy, FR (config)
constexpr char kCarla[] = "identity--ca71a003-0000-4000-8000-00000000000c";    // individual, ?
constexpr char kCert[] = "identity--cce70004-0000-4000-8000-00000000000d";     // a class: no victim
constexpr char kSouth[] = "identity--50c70005-0000-4000-8000-00000000000e";    // an author only
constexpr char kPlant[] = "location--10ca0001-0000-4000-8000-000000000001";    // precise, DE
constexpr char kKey[] = "community-key-0123456789";

std::string Sdo(const std::string& type, const std::string& id, const std::string& rest,
                const std::string& modified = "2021-01-01T00:00:00.000Z") {
  return R"({"type":")" + type + R"(","spec_version":"2.1","id":")" + id +
         R"(","created":"2021-01-01T00:00:00.000Z","modified":")" + modified + R"(",)" + rest +
         R"(,"object_marking_refs":[")" + kGreen + R"("]})";
}

std::vector<std::string> Case() {
  return {
      Sdo("identity", kAcme, R"("name":"ACME Power Ltd","identity_class":"organization","sectors":["energy"])"),
      Sdo("identity", kBolt, R"("name":"Bolt Grid SA","identity_class":"organization","sectors":["energy"])"),
      Sdo("identity", kCarla, R"("name":"Carla Ortiz","identity_class":"individual")"),
      Sdo("identity", kCert, R"("name":"CERT-Nordmark","identity_class":"class")"),
      Sdo("identity", kNode, R"("name":"This hub","identity_class":"organization")"),
      Sdo("location", kPlant, R"("name":"ACME plant 4","country":"de","city":"Essen")"),
      Sdo("relationship", "relationship--aaaa0001-0000-4000-8000-000000000001",
          R"("relationship_type":"located-at","source_ref":")" + std::string(kAcme) +
              R"(","target_ref":")" + kPlant + "\""),
      Sdo("sighting", "sighting--5e5e0001-0000-4000-8000-000000000001",
          R"("sighting_of_ref":"indicator--11111111-1111-4111-8111-111111111111","where_sighted_refs":[")" +
              std::string(kAcme) + R"(",")" + kBolt + R"(",")" + kCarla + R"(",")" + kCert + R"("])"),
      Sdo("report", "report--5e5e0002-0000-4000-8000-000000000002",
          R"("name":"Energy intrusions","published":"2021-01-01T00:00:00Z","object_refs":[")" +
              std::string(kAcme) + R"(","sighting--5e5e0001-0000-4000-8000-000000000001"],"created_by_ref":")" +
              kSouth + "\""),
      Sdo("relationship", "relationship--aaaa0002-0000-4000-8000-000000000002",
          R"("relationship_type":"targets","source_ref":"campaign--cafe0001-0000-4000-8000-000000000001","target_ref":")" +
              std::string(kCarla) + "\""),
      R"({"type":"domain-name","spec_version":"2.1","id":"domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5","value":"mail.ministry.example","object_marking_refs":[")" +
          std::string(kGreen) + R"("]})",
      // The CERT that wrote the report: an organisation in no victim role (a source).
      Sdo("identity", kSouth, R"("name":"CERT-Suedmark","identity_class":"organization","sectors":["government"])"),
      Sdo("indicator", "indicator--5e5e0003-0000-4000-8000-000000000003",
          R"("name":"Suedmark C2","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2021-01-01T00:00:00Z","created_by_ref":")" +
              std::string(kSouth) + "\""),
  };
}

Status PutAll(store::Store& st, const std::string& collection, const std::vector<std::string>& texts) {
  simdjson::dom::parser parser;
  std::vector<stix::ObjectVersion> batch;
  for (const std::string& t : texts) {
    CTI_ASSIGN_OR_RETURN(stix::ObjectVersion v, stix::ExtractObjectVersion(parser, t));
    batch.push_back(std::move(v));
  }
  CTI_ASSIGN_OR_RETURN(store::PutResult r, st.Put(collection, batch));
  if (r.rejected) return Internal(r.reasons[0]);
  // date_added may run ahead of the clock; the victim index takes in what is behind it.
  while (r.last_date_added && Timestamp::Now().micros() <= r.last_date_added->micros()) {
    std::this_thread::yield();
  }
  return Status::Ok();
}

TEST(VictimIndex, CountryFromLocatedAtThenTheOrganisationsNationElseUnknown) {
  auto st = store::Store::Open("memory:");
  ASSERT_TRUE(st.ok());
  std::string c = (*st)->EnsureCollection("c")->id;
  ASSERT_TRUE(PutAll(**st, c, Case()).ok());
  VictimIndex::Options o;
  o.node_identity = kNode;
  o.nations[kBolt] = "fr";
  o.nations[kAcme] = "BE";  // a located-at says more than the configuration
  o.victim_domains = {"ministry.example"};
  auto empty = std::make_shared<const VictimIndex>(o);
  Result<std::shared_ptr<const VictimIndex>> index = empty->Updated(**st);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  ASSERT_TRUE(*index);
  const VictimIndex& v = **index;
  std::optional<sanitize::VictimFacts> acme = v.Find(kAcme);
  ASSERT_TRUE(acme);
  EXPECT_EQ(acme->identity_class, "organization");
  EXPECT_EQ(acme->sectors, std::vector<std::string>{"energy"});
  EXPECT_EQ(acme->countries, std::vector<std::string>{"DE"}) << "from the located-at";
  EXPECT_EQ(acme->markings, std::vector<std::string>{kGreen});
  EXPECT_EQ(v.Find(kBolt)->countries, std::vector<std::string>{"FR"}) << "from [[organisations]]";
  EXPECT_TRUE(v.Find(kCarla)->countries.empty()) << "unknown";
  // Bolt only appears in where_sighted_refs: a victim all the same.
  EXPECT_TRUE(v.Find(kBolt));
  EXPECT_FALSE(v.Find(kCert)) << "a class is no victim";
  EXPECT_FALSE(v.Find(kSouth)) << "an author in no victim role is no victim";
  EXPECT_FALSE(v.Find(kNode)) << "nor is the node";
  EXPECT_FALSE(v.Find("identity--00000000-0000-4000-8000-000000000000"));
  EXPECT_TRUE(v.IsVictimPlace(kPlant));
  EXPECT_FALSE(v.IsVictimArea(kPlant));
  std::optional<std::string> host =
      v.ReferencedText("domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5");
  ASSERT_TRUE(host);
  EXPECT_NE(host->find("mail.ministry.example"), std::string::npos) << *host;
  // Which observables the node holds, in either case; one never stored is not held.
  EXPECT_TRUE(v.Holds("domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5"));
  EXPECT_TRUE(v.Holds("domain-name--3C10E93F-798E-5A26-A0C1-08156EFAB7F5"));
  EXPECT_FALSE(v.Holds("domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f6"));
  // What a shortened id may name: the ids it knows that start so.
  EXPECT_EQ(v.IdsStartingWith("domain-name--3c10e93f", 8),
            std::vector<std::string>{"domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5"});
  EXPECT_TRUE(v.IdsStartingWith("domain-name--3c10e93e", 8).empty());
  const std::string acme_id = kAcme;
  EXPECT_EQ(v.IdsStartingWith(acme_id.substr(0, 18), 8), std::vector<std::string>{acme_id});
  {
    // One no profile rewrites is not kept, but held all the same (references to it stay).
    auto more = store::Store::Open("memory:");
    std::string m = (*more)->EnsureCollection("m")->id;
    const std::string kPublic = "domain-name--0e0e0001-0000-5000-8000-000000000001";
    ASSERT_TRUE(PutAll(**more, m,
                       {R"({"type":"domain-name","spec_version":"2.1","id":")" + kPublic +
                        R"(","value":"example.org"})"})
                    .ok());
    Result<std::shared_ptr<const VictimIndex>> with_public = v.Updated(**more);
    ASSERT_TRUE(with_public.ok() && *with_public);
    EXPECT_FALSE((*with_public)->ReferencedText(kPublic));
    EXPECT_TRUE((*with_public)->Holds(kPublic));
    EXPECT_FALSE(v.Holds(kPublic)) << "a published snapshot never changes";
  }
  // Nothing new: no new snapshot. A new version of an identity: read, and it wins.
  Result<std::shared_ptr<const VictimIndex>> same = v.Updated(**st);
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(*same);
  ASSERT_TRUE(PutAll(**st, c, {Sdo("identity", kCarla, R"("name":"Carla Ortiz","identity_class":"individual","sectors":["health-care"])", "2022-01-01T00:00:00.000Z")}).ok());
  Result<std::shared_ptr<const VictimIndex>> newer = v.Updated(**st);
  ASSERT_TRUE(newer.ok() && *newer);
  EXPECT_EQ((*newer)->Find(kCarla)->sectors, std::vector<std::string>{"health-care"});
  EXPECT_TRUE(v.Find(kCarla)->sectors.empty()) << "a published snapshot never changes";
}

// The index of what `st` holds, for the node kNode and no other options.
Result<std::shared_ptr<const VictimIndex>> IndexOf(store::Store& st) {
  VictimIndex::Options o;
  o.node_identity = kNode;
  return std::make_shared<const VictimIndex>(o)->Updated(st);
}

// An id's UUID may be written in upper case (import accepts it, as RFC 4122 reads hex in either
// case), and a relationship's type with a \u escape: neither hides a victim from the index.
TEST(VictimIndex, UpperCaseIdsAndEscapedTypesStillNameVictims) {
  auto st = store::Store::Open("memory:");
  ASSERT_TRUE(st.ok());
  std::string c = (*st)->EnsureCollection("c")->id;
  const std::string upper = "identity--ACAE0001-0000-4000-8000-00000000000A";  // kAcme
  const std::string escaped = "identity--e5ca0001-0000-4000-8000-000000000001";
  ASSERT_TRUE(PutAll(**st, c, {
      Sdo("identity", kAcme, R"("name":"ACME Power Ltd","identity_class":"organization")"),
      Sdo("identity", escaped, R"("name":"Escaped Ltd","identity_class":"organization")"),
      Sdo("sighting", "sighting--5e5e0009-0000-4000-8000-000000000009",
          R"("sighting_of_ref":"indicator--11111111-1111-4111-8111-111111111111","where_sighted_refs":[")" +
              upper + "\"]"),
      Sdo("relationship", "relationship--aaaa0009-0000-4000-8000-000000000009",
          R"("relationship_type":"\u0074argets","source_ref":"malware--cafe0001-0000-4000-8000-000000000001","target_ref":")" +
              escaped + "\""),
  }).ok());
  Result<std::shared_ptr<const VictimIndex>> index = IndexOf(**st);
  ASSERT_TRUE(index.ok() && *index) << index.status().ToString();
  EXPECT_TRUE((*index)->Find(kAcme)) << "sighted under its upper-case id";
  EXPECT_TRUE((*index)->Find(upper));
  EXPECT_EQ((*index)->Find(upper)->identity_class, "organization");
  EXPECT_TRUE((*index)->Find(escaped)) << "targeted by an escaped \"targets\"";
}

// A sighting may name where it was made with a location (STIX 2.1 §5.1): a precise one is a
// victim's place, as a victim's located-at target is; a country alone is not.
TEST(VictimIndex, APreciseLocationASightingNamesIsAVictimsPlace) {
  auto st = store::Store::Open("memory:");
  ASSERT_TRUE(st.ok());
  std::string c = (*st)->EnsureCollection("c")->id;
  const std::string site = "location--5e5e0001-0000-4000-8000-0000000000a1";
  const std::string country = "location--5e5e0002-0000-4000-8000-0000000000a2";
  ASSERT_TRUE(PutAll(**st, c, {
      Sdo("location", site, R"("name":"Plant","latitude":50.1,"longitude":8.6,"street_address":"Werkstr. 1")"),
      Sdo("location", country, R"("country":"de")"),
      Sdo("sighting", "sighting--5e5e000a-0000-4000-8000-00000000000a",
          R"("sighting_of_ref":"indicator--11111111-1111-4111-8111-111111111111","where_sighted_refs":[")" +
              site + R"(",")" + country + "\"]"),
  }).ok());
  Result<std::shared_ptr<const VictimIndex>> index = IndexOf(**st);
  ASSERT_TRUE(index.ok() && *index) << index.status().ToString();
  EXPECT_TRUE((*index)->IsVictimPlace(site));
  EXPECT_FALSE((*index)->IsVictimPlace(country));
  EXPECT_TRUE((*index)->IsVictimArea(country)) << "released with no more than its country";
  EXPECT_FALSE((*index)->IsVictimArea(site));
}

// A partner can post a version of any identity whose id it knows (a victim that authored a note
// it received, say) into its inbox: a newer "class" version must not free the victim, and the
// stand-in's facts stay those of the node's own versions.
TEST(VictimIndex, APartnersVersionOfAVictimNeitherFreesItNorChangesItsFacts) {
  auto st = store::Store::Open("memory:");
  ASSERT_TRUE(st.ok());
  std::string c = (*st)->EnsureCollection("c")->id;
  std::string inbox = (*st)->EnsureCollection("inbox")->id;
  ASSERT_TRUE(PutAll(**st, c, Case()).ok());
  simdjson::dom::parser parser;
  std::vector<stix::ObjectVersion> forged{*stix::ExtractObjectVersion(
      parser, Sdo("identity", kCarla, R"("name":"Nobody","identity_class":"class","sectors":["defense"])",
                  "2030-01-01T00:00:00.000Z"))};
  ASSERT_TRUE((*st)->Put(inbox, forged, store::PutMode::kBestEffort, "partner").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  VictimIndex::Options o;
  o.node_identity = kNode;
  auto index = std::make_shared<const VictimIndex>(o)->Updated(**st);
  ASSERT_TRUE(index.ok() && *index);
  std::optional<sanitize::VictimFacts> carla = (*index)->Find(kCarla);
  ASSERT_TRUE(carla) << "still a victim";
  EXPECT_EQ(carla->identity_class, "individual") << "the node's own version's facts";
  EXPECT_TRUE(carla->sectors.empty());
  // Even a local "class" version does not free an identity once some version was not one.
  ASSERT_TRUE(PutAll(**st, c, {Sdo("identity", kCarla, R"("name":"Carla Ortiz","identity_class":"class")",
                                   "2031-01-01T00:00:00.000Z")}).ok());
  auto newer = (*index)->Updated(**st);
  ASSERT_TRUE(newer.ok() && *newer);
  EXPECT_TRUE((*newer)->Find(kCarla));
  EXPECT_FALSE((*newer)->Find(kCert)) << "a class in every version is still no victim";
}

bool Valid(const std::string& text) {
  stix::Validator validator;
  stix::RawObject raw;
  raw.text = text;
  return validator.ValidateObject(raw, [](const stix::Finding&) {}) == 0;
}

class GateVictims : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<store::Store>> opened = store::Store::Open("memory:");
    ASSERT_TRUE(opened.ok());
    st_ = std::move(opened).value();
    collection_ = st_->EnsureCollection("c")->id;
    ASSERT_TRUE(PutAll(*st_, collection_, Case()).ok());
    auto gate = PolicyGate::Make(Options(), nullptr);
    ASSERT_TRUE(gate.ok()) << gate.status().ToString();
    gate_ = std::move(*gate);
  }

  // A partner whose agreement's profile rewrites victims (and victims' hosts).
  static PolicyOptions Options() {
    PolicyOptions options;
    options.node_identity = kNode;
    options.victim_index_settle = std::chrono::milliseconds(0);
    options.organisations = {{"partner", "", {}, "", std::nullopt, {}},
                             {"bolt", "FR", {}, kBolt, std::nullopt, {}}};
    sanitize::SanitizeProfile p;
    p.name = "victims";
    p.victims = p.pseudonymise = true;
    p.key = kKey;
    p.victim_domains = {"ministry.example"};
    options.profiles = {p};
    Agreement a;
    a.partner = "partner";
    a.share_sightings = true;
    a.sanitization_profile = "victims";
    options.agreements = {a};
    return options;
  }

  // Every byte a recipient is handed, and the ids of what it got (manifest and objects agree).
  std::string Read(const std::string& organisation, std::set<std::string>* ids) {
    store::OutboundReader reader(*st_, *gate_);
    store::Query q;
    q.limit = 3;
    std::string bytes;
    for (;;) {
      Result<store::Page> page = reader.List(collection_, q, {"u", organisation, false});
      EXPECT_TRUE(page.ok());
      for (const store::StoredObject& o : page->objects) {
        EXPECT_TRUE(Valid(o.text)) << o.text;
        EXPECT_NE(o.text.find("\"id\":\"" + o.id + "\""), std::string::npos) << o.id << " " << o.text;
        bytes += o.text + "\n";
        ids->insert(o.id);
      }
      if (!page->more) break;
      q.after = page->next;
    }
    return bytes;
  }

  std::unique_ptr<store::Store> st_;
  std::string collection_;
  std::unique_ptr<PolicyGate> gate_;
};

TEST_F(GateVictims, BeforeTheIndexIsReadAPartnerWithAVictimsProfileGetsNothing) {
  std::set<std::string> ids;
  EXPECT_EQ(Read("partner", &ids), "");
  store::StoredObject o;
  o.id = "sighting--5e5e0001-0000-4000-8000-000000000001";
  o.type = "sighting";
  o.markings = {kGreen};
  o.text = Case()[7];
  o.date_added = Timestamp::Now();
  Explanation e = gate_->Explain({"u", "partner", false}, o);
  EXPECT_EQ(e.action, store::ReleaseAction::kWithhold);
  ASSERT_FALSE(e.rules.empty());
  EXPECT_EQ(e.rules.back(), "victims.pending");
}

TEST_F(GateVictims, APartnerReceivesSectorIdentitiesAndNeverAVictimsIdNameOrHost) {
  ASSERT_TRUE(gate_->RefreshVictims(*st_).ok());
  std::set<std::string> ids;
  std::string bytes = Read("partner", &ids);
  for (const char* secret : {"acae0001", "b01e0002", "ca71a003", "ACME", "Bolt", "Carla", "Essen",
                             "10ca0001", "ministry", "3c10e93f"}) {
    EXPECT_EQ(bytes.find(secret), std::string::npos) << secret << " in\n" << bytes;
  }
  // The sector + country identities, as the sanitizer names them under the community's key.
  sanitize::SanitizeProfile p;
  p.name = "victims";
  p.victims = true;
  p.key = kKey;
  sanitize::Sanitizer expected(p);
  const std::string acme = expected.ClassIdentityId({"organization", {"energy"}, {"DE"}, {kGreen}});
  const std::string bolt = expected.ClassIdentityId({"organization", {"energy"}, {"FR"}, {kGreen}});
  const std::string carla = expected.ClassIdentityId({"individual", {}, {}, {kGreen}});
  EXPECT_NE(bytes.find(R"("where_sighted_refs":[")" + acme + R"(",")" + bolt + R"(",")" + carla +
                       R"(",")" + kCert + R"("])"),
            std::string::npos)
      << bytes;
  EXPECT_NE(bytes.find(R"("name":"Organisations in the energy sector, DE")"), std::string::npos);
  EXPECT_NE(bytes.find(R"("name":"Organisations in the energy sector, FR")"), std::string::npos);
  EXPECT_NE(bytes.find(R"("name":"Individuals of an unknown sector, country unknown")"),
            std::string::npos);
  EXPECT_TRUE(ids.count(acme) && ids.count(bolt) && ids.count(carla));
  EXPECT_NE(bytes.find(R"("target_ref":")" + carla), std::string::npos);
  // The report's author, a source in no victim role: its identity and its content go as stored,
  // and created_by_ref is never rewritten by the victims step.
  EXPECT_NE(bytes.find(R"("created_by_ref":")" + std::string(kSouth)), std::string::npos) << bytes;
  EXPECT_NE(bytes.find("CERT-Suedmark"), std::string::npos);
  EXPECT_TRUE(ids.count(kSouth) && ids.count("indicator--5e5e0003-0000-4000-8000-000000000003"));
  EXPECT_NE(bytes.find(Case().back()), std::string::npos) << "the author's indicator, byte for byte";
  EXPECT_FALSE(ids.count(kPlant));
  EXPECT_NE(bytes.find(".pseudonym.invalid\""), std::string::npos) << "the victim's host, as a pseudonym";
  EXPECT_FALSE(ids.count("relationship--aaaa0001-0000-4000-8000-000000000001"));
  // The node's own users get everything as stored.
  std::set<std::string> local_ids;
  std::string local = Read("local", &local_ids);
  EXPECT_NE(local.find("ACME Power Ltd"), std::string::npos);
  EXPECT_TRUE(local_ids.count(kAcme));
  // Added after the read: held back (not skipped) until the next one. Dora becomes a victim by
  // the targets relationship that comes with her.
  ASSERT_TRUE(PutAll(*st_, collection_, {Sdo("identity", "identity--d0d00005-0000-4000-8000-00000000000e", R"("name":"Dora Dam Ltd","identity_class":"organization")"),
                                         Sdo("relationship", "relationship--aaaa0003-0000-4000-8000-000000000003",
                                             R"("relationship_type":"targets","source_ref":"campaign--cafe0001-0000-4000-8000-000000000001","target_ref":"identity--d0d00005-0000-4000-8000-00000000000e")")}).ok());
  std::set<std::string> before;
  EXPECT_EQ(Read("partner", &before).find("Organisations of an unknown sector"), std::string::npos);
  ASSERT_TRUE(gate_->RefreshVictims(*st_).ok());
  std::set<std::string> after;
  std::string later = Read("partner", &after);
  EXPECT_NE(later.find("Organisations of an unknown sector, country unknown"), std::string::npos);
  EXPECT_EQ(later.find("Dora"), std::string::npos);
}

// Two victims of one sector and country become one identity: a page holds it once.
TEST_F(GateVictims, TwoVictimsOfOneSectorAndCountryAreOneIdentityInAPage) {
  ASSERT_TRUE(
      PutAll(
          *st_, collection_,
          {Sdo("identity", "identity--d0d00005-0000-4000-8000-00000000000e",
               R"("name":"Dora Dam Ltd","identity_class":"organization")"),
           Sdo("identity", "identity--e0e00006-0000-4000-8000-00000000000f",
               R"("name":"Emil Energy","identity_class":"organization")"),
           Sdo("relationship", "relationship--aaaa0003-0000-4000-8000-000000000003",
               R"("relationship_type":"targets","source_ref":"campaign--cafe0001-0000-4000-8000-000000000001","target_ref":"identity--d0d00005-0000-4000-8000-00000000000e")"),
           Sdo("relationship", "relationship--aaaa0004-0000-4000-8000-000000000004",
               R"("relationship_type":"targets","source_ref":"campaign--cafe0001-0000-4000-8000-000000000001","target_ref":"identity--e0e00006-0000-4000-8000-00000000000f")")})
          .ok());
  ASSERT_TRUE(gate_->RefreshVictims(*st_).ok());
  store::OutboundReader reader(*st_, *gate_);
  store::Query q;
  q.limit = 1000;
  Result<store::Page> page = reader.List(collection_, q, {"u", "partner", false});
  ASSERT_TRUE(page.ok());
  size_t unknown = 0;
  std::set<std::pair<std::string, std::string>> versions;
  for (const store::StoredObject& o : page->objects) {
    EXPECT_TRUE(versions.emplace(o.id, o.version_text).second) << o.id << " twice";
    if (o.text.find("Organisations of an unknown sector, country unknown") != std::string::npos) {
      ++unknown;
    }
    EXPECT_EQ(o.text.find("Dora"), std::string::npos);
    EXPECT_EQ(o.text.find("Emil"), std::string::npos);
  }
  EXPECT_EQ(unknown, 1u);
}

// One-shot commands (export, sync, transfer, policy explain) make their gate with settle_first.
// Without a profile that rewrites victims, observables or text there is nothing to read and
// nothing to wait for (a `ctihub sync` round with nothing new must stay well under a second).
TEST_F(GateVictims, WithoutAVictimsProfileNothingIsReadAndNothingWaits) {
  PolicyOptions options = Options();
  options.victim_index_settle = std::chrono::milliseconds(5000);
  options.agreements[0].sanitization_profile.clear();
  auto gate = PolicyGate::Make(options, nullptr);
  ASSERT_TRUE(gate.ok()) << gate.status().ToString();
  EXPECT_FALSE((*gate)->RewritesVictims());
  // Something stored this very moment: with a victims profile this would mean a wait.
  ASSERT_TRUE(PutAll(*st_, collection_, {Sdo("identity", kSouth, R"("name":"CERT-Suedmark","identity_class":"organization","sectors":["government","defence"])", "2022-01-01T00:00:00.000Z")}).ok());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE((*gate)->RefreshVictims(*st_, /*settle_first=*/true).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
  EXPECT_EQ((*gate)->victims()->identities(), 0u) << "the index was read";
  // ... and no victims.pending: what was just stored goes at once.
  gate_ = std::move(*gate);
  std::set<std::string> ids;
  std::string bytes = Read("partner", &ids);
  EXPECT_NE(bytes.find("defence"), std::string::npos) << bytes;
  EXPECT_NE(bytes.find("ACME Power Ltd"), std::string::npos) << "no victims step, no rewrite";
}

// With a victims profile, settle_first waits only for what is left of the margin: until the
// newest date_added is `victim_index_settle` old, and not at all when it already is.
TEST_F(GateVictims, SettlingWaitsOnlyForWhatIsLeftOfTheMargin) {
  PolicyOptions options = Options();
  options.victim_index_settle = std::chrono::milliseconds(400);
  auto gate = PolicyGate::Make(options, nullptr);
  ASSERT_TRUE(gate.ok()) << gate.status().ToString();
  ASSERT_TRUE(PutAll(*st_, collection_, {Sdo("identity", kSouth, R"("name":"CERT-Suedmark","identity_class":"organization","sectors":["government","defence"])", "2022-01-01T00:00:00.000Z")}).ok());
  const int64_t stored = Timestamp::Now().micros();
  // Just stored: it waits (about the margin) and then releases what was stored.
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE((*gate)->RefreshVictims(*st_, /*settle_first=*/true).ok());
  EXPECT_GE(Timestamp::Now().micros() - stored, 400000 - 5000);
  EXPECT_GT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  EXPECT_GT((*gate)->victims()->identities(), 0u);
  gate_ = std::move(*gate);
  std::set<std::string> ids;
  EXPECT_NE(Read("partner", &ids).find("defence"), std::string::npos) << "released by this read";
  // Nothing stored since, and the newest date_added is past the margin: no wait.
  start = std::chrono::steady_clock::now();
  ASSERT_TRUE(gate_->RefreshVictims(*st_, /*settle_first=*/true).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(250));
}

}  // namespace
}  // namespace ctihub::policy
