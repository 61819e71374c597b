#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <thread>

#include "policy/label.h"
#include "policy/marking_registry.h"
#include "policy/policy_gate.h"
#include "policy/redact.h"
#include "stix/object.h"
#include "stix/sco_id.h"
#include "stix/validator.h"
#include "store/release_gate.h"
#include "store/store.h"

namespace ctihub::policy {
namespace {

constexpr char kGreen[] = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
constexpr char kAmber[] = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
constexpr char kAmberStrict[] = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";
constexpr char kOpenCtiStrict[] = "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37";
constexpr char kRed[] = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
constexpr char kWhite[] = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9";
constexpr char kOwner[] = "identity--a0a0a0a0-0000-4000-8000-000000000001";

std::string Id(const std::string& marking_json) {
  size_t at = marking_json.find("marking-definition--");
  return marking_json.substr(at, 56);
}

TEST(Classification, NatoEuAndNationalNamesMapOntoOneScale) {
  EXPECT_EQ(*ParseClassification("NATO SECRET"), Classification::kSecret);
  EXPECT_EQ(*ParseClassification("RESTREINT UE/EU RESTRICTED"), Classification::kRestricted);
  EXPECT_EQ(*ParseClassification("cosmic_top_secret"), Classification::kTopSecret);
  EXPECT_EQ(*ParseClassification("VS-NfD"), Classification::kRestricted);
  EXPECT_EQ(*ParseClassification("confidentiel ue"), Classification::kConfidential);
  EXPECT_FALSE(ParseClassification("sorta secret").ok());
  EXPECT_LT(Classification::kRestricted, Classification::kSecret);
}

TEST(MarkingRegistry, KnowsTlpIdsAndAliasesAndLearnsDefinitions) {
  MarkingRegistry registry;
  EXPECT_EQ(*registry.Find(kWhite)->tlp, TlpLevel::kClear);
  EXPECT_EQ(*registry.Find(kOpenCtiStrict)->tlp, TlpLevel::kAmberStrict);
  // TLP in 1.0 form under an id of someone's own, and TLP 2.0 extension form.
  ASSERT_TRUE(registry.Learn(R"({"type":"marking-definition","spec_version":"2.1","id":"marking-definition--00000000-0000-4000-8000-000000000001","created":"2020-01-01T00:00:00Z","definition_type":"tlp","definition":{"tlp":"red"}})").ok());
  EXPECT_EQ(*registry.Find("marking-definition--00000000-0000-4000-8000-000000000001")->tlp,
            TlpLevel::kRed);
  ASSERT_TRUE(registry.Learn(R"({"type":"marking-definition","spec_version":"2.1","id":"marking-definition--00000000-0000-4000-8000-000000000002","created":"2022-10-01T00:00:00Z","extensions":{"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":{"extension_type":"property-extension","tlp_2_0":"amber+strict"}}})").ok());
  EXPECT_EQ(*registry.Find("marking-definition--00000000-0000-4000-8000-000000000002")->tlp,
            TlpLevel::kAmberStrict);
  // A copy of a standard id claiming something else does not change what the id means.
  ASSERT_TRUE(registry.Learn(std::string(R"({"type":"marking-definition","spec_version":"2.1","id":")") + kRed + R"(","created":"2020-01-01T00:00:00Z","definition_type":"tlp","definition":{"tlp":"white"}})").ok());
  EXPECT_EQ(*registry.Find(kRed)->tlp, TlpLevel::kRed);
  // An extension nobody knows is not learned: content carrying it fails closed.
  Status unknown = registry.Learn(R"({"type":"marking-definition","spec_version":"2.1","id":"marking-definition--00000000-0000-4000-8000-000000000003","created":"2020-01-01T00:00:00Z","extensions":{"extension-definition--11111111-1111-4111-8111-111111111111":{"extension_type":"property-extension","level":"x"}}})");
  EXPECT_FALSE(unknown.ok());
  EXPECT_EQ(registry.Find("marking-definition--00000000-0000-4000-8000-000000000003"), nullptr);
  Label l = registry.LabelOf({kGreen, "marking-definition--00000000-0000-4000-8000-000000000003"});
  EXPECT_EQ(l.unresolved.size(), 1u);
}

// Trusted sources (local imports, partners trusted to define markings) may still disagree: a
// second definition under the (computable) id of a SECRET marking must not lift the restriction —
// whichever of the two is read first, the id becomes unknown, so its content fails closed.
TEST(MarkingRegistry, AnIdDefinedTwiceDifferentlyBecomesUnknown) {
  const std::string secret = ClassificationMarking(Classification::kSecret, {"NATO"}, {});
  const std::string id = Id(secret);
  const std::string forged = R"({"type":"marking-definition","spec_version":"2.1","id":")" + id +
                             R"(","created":"2020-01-01T00:00:00Z","definition_type":"statement","definition":{"statement":"free for all"}})";
  const std::string garbled = R"({"type":"marking-definition","spec_version":"2.1","id":")" + id +
                              R"(","created":"2020-01-01T00:00:00Z","definition_type":"mystery"})";
  for (const auto& [first, second] : {std::pair{secret, forged}, std::pair{forged, secret},
                                      std::pair{secret, garbled}, std::pair{garbled, secret}}) {
    MarkingRegistry registry;
    (void)registry.Learn(first);
    Status again = registry.Learn(second);
    EXPECT_FALSE(again.ok());
    EXPECT_NE(again.message().find("defined more than once"), std::string::npos) << again.message();
    EXPECT_EQ(registry.Find(id), nullptr);
    EXPECT_EQ(registry.LabelOf({id}).unresolved, std::vector<std::string>{id});
    // It stays unknown, whatever comes next.
    EXPECT_FALSE(registry.Learn(secret).ok());
    EXPECT_EQ(registry.Find(id), nullptr);
    auto known = registry.KnownRefs();
    EXPECT_EQ(std::count(known.begin(), known.end(), id), 0);
  }
  // The same definition again (another collection, other spacing) is no conflict.
  MarkingRegistry registry;
  ASSERT_TRUE(registry.Learn(secret).ok());
  std::string spaced = secret;
  spaced.insert(1, "  ");
  ASSERT_TRUE(registry.Learn(spaced).ok());
  ASSERT_NE(registry.Find(id), nullptr);
  EXPECT_EQ(registry.Find(id)->classification, Classification::kSecret);
}

// A partner able to write must not say what markings mean: else a "statement" posted under the
// id of a marking nobody here defined releases everything carrying it, and a redefinition of a
// known one withholds it from everybody. Only a classification marking whose id proves its
// content is learned from an untrusted source.
TEST(MarkingRegistry, AnUntrustedSourceCannotDefineOrRedefineMarkings) {
  const std::string undefined = "marking-definition--0badc0de-0000-4000-8000-000000000001";
  const std::string statement = R"({"type":"marking-definition","spec_version":"2.1","id":")" +
                                undefined +
                                R"(","created":"2020-01-01T00:00:00Z","definition_type":"statement","definition":{"statement":"free for all"}})";
  const std::string secret = ClassificationMarking(Classification::kSecret, {"NATO"}, {"CYBER"});
  std::string forged_secret = statement;  // a statement under the id of a real classification
  forged_secret.replace(forged_secret.find(undefined), undefined.size(), Id(secret));
  std::string misnamed = secret;  // real classification content under an id that is not its own
  misnamed.replace(misnamed.find(Id(secret)), undefined.size(), undefined);

  MarkingRegistry registry;
  Status refused = registry.Learn(statement, /*trusted_source=*/false);
  EXPECT_EQ(refused.code(), StatusCode::kNotFound) << refused.message();
  EXPECT_NE(refused.message().find("not trusted"), std::string::npos) << refused.message();
  EXPECT_EQ(registry.Find(undefined), nullptr);
  EXPECT_FALSE(registry.Learn(misnamed, false).ok());
  EXPECT_EQ(registry.Find(undefined), nullptr);
  // Self-proving: learned from anyone; a forgery of it from an untrusted source changes nothing.
  ASSERT_TRUE(registry.Learn(secret, false).ok());
  EXPECT_FALSE(registry.Learn(forged_secret, false).ok());
  ASSERT_NE(registry.Find(Id(secret)), nullptr);
  EXPECT_EQ(registry.Find(Id(secret))->classification, Classification::kSecret);
  // Nor can an untrusted source redefine the TLP ids or a trusted definition.
  std::string white_red = statement;
  white_red.replace(white_red.find(undefined), undefined.size(), kRed);
  EXPECT_TRUE(registry.Learn(white_red, false).ok());  // standard TLP ids are fixed anyway
  EXPECT_EQ(registry.Find(kRed)->tlp, TlpLevel::kRed);
  const std::string mine = "marking-definition--0badc0de-0000-4000-8000-000000000002";
  std::string trusted_tlp = R"({"type":"marking-definition","spec_version":"2.1","id":")" + mine +
                            R"(","created":"2020-01-01T00:00:00Z","definition_type":"tlp","definition":{"tlp":"red"}})";
  std::string untrusted_clear = statement;
  untrusted_clear.replace(untrusted_clear.find(undefined), undefined.size(), mine);
  ASSERT_TRUE(registry.Learn(trusted_tlp).ok());
  EXPECT_FALSE(registry.Learn(untrusted_clear, false).ok());
  ASSERT_NE(registry.Find(mine), nullptr);  // not turned into a conflict
  EXPECT_EQ(registry.Find(mine)->tlp, TlpLevel::kRed);
  // The same statement from a trusted source is learned.
  ASSERT_TRUE(registry.Learn(statement).ok());
  EXPECT_NE(registry.Find(undefined), nullptr);
}

// LoadMarkings reads definitions by where they came from: local imports and the sources named
// trusted; a partner's upload of a definition is not learned.
TEST(MarkingRegistry, LoadMarkingsLearnsOnlyFromTrustedOrigins) {
  auto st = store::Store::Open("memory:");
  ASSERT_TRUE(st.ok());
  std::string collection = (*st)->EnsureCollection("inbox")->id;
  auto definition = [](int n) {
    return R"({"type":"marking-definition","spec_version":"2.1","id":"marking-definition--0badc0de-0000-4000-8000-00000000000)" +
           std::to_string(n) +
           R"(","created":"2020-01-01T00:00:00Z","definition_type":"statement","definition":{"statement":"ok"}})";
  };
  simdjson::dom::parser parser;
  auto put = [&](int n, std::string_view origin) {
    std::string text = definition(n);
    Result<stix::ObjectVersion> v = stix::ExtractObjectVersion(parser, text);
    ASSERT_TRUE(v.ok());
    ASSERT_TRUE((*st)->Put(collection, {*v}, store::PutMode::kBestEffort, origin).ok());
  };
  put(1, "");         // `ctihub import`
  put(2, "hq");       // the node's own organisation, over TAXII
  put(3, "partner");  // a partner's upload
  put(4, "ally");     // a partner trusted to define markings
  std::vector<std::string> problems;
  auto registry = LoadMarkings(**st, {"hq", "ally"}, &problems);
  ASSERT_TRUE(registry.ok());
  EXPECT_NE((*registry)->Find("marking-definition--0badc0de-0000-4000-8000-000000000001"), nullptr);
  EXPECT_NE((*registry)->Find("marking-definition--0badc0de-0000-4000-8000-000000000002"), nullptr);
  EXPECT_EQ((*registry)->Find("marking-definition--0badc0de-0000-4000-8000-000000000003"), nullptr);
  EXPECT_NE((*registry)->Find("marking-definition--0badc0de-0000-4000-8000-000000000004"), nullptr);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("000000000003"), std::string::npos) << problems[0];
}

// ISA/ACS 3.0 markings, shaped like the OASIS use cases (cti-stix-common-objects
// acs-spec-use-case-1..5): what restricts release is read, and what restricts it in a way the hub
// cannot enforce leaves the marking unknown, never looser.
TEST(MarkingRegistry, IsaAcsMarkingsAreReadToFailClosed) {
  auto acs = [](int n, const std::string& body) {
    char id[80];
    std::snprintf(id, sizeof id, "marking-definition--acacacac-0000-4000-8000-%012d", n);
    return std::pair<std::string, std::string>{
        id, R"({"type":"marking-definition","spec_version":"2.1","id":")" + std::string(id) +
                R"(","created":"2020-06-18T00:00:00Z","extensions":{"extension-definition--3a65884d-005a-4290-8335-cb2d778a83ce":{"extension_type":"property-extension","identifier":"isa:guide.19001.ACS3-x","create_date_time":"2018-05-27T14:10:26.723Z","responsible_entity_custodian":"USA.DHS",)" +
                body + "}}}"};
  };
  MarkingRegistry registry;
  // Law-enforcement data for government entities of two organisations (use case 5).
  auto [les, les_text] = acs(5, R"("policy_reference":"urn:isa:policy:acs:ns:v3.0?privdefault=permit&sharedefault=permit","control_set":{"classification":"U","sensitivity":["LES"],"permitted_organizations":["USA.USG","USA.SLTT"],"entity":["MIL","CTR","GOV"]})");
  ASSERT_TRUE(registry.Learn(les_text).ok());
  const Label* l = registry.Find(les);
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->caveats, std::set<std::string>{"LES"});
  ASSERT_EQ(l->rel_to.size(), 2u) << "organisations and entities: both must hold";
  // Public release (use case 3): nothing restricted.
  auto [pubrel, pubrel_text] = acs(3, R"("policy_reference":"urn:isa:policy:acs:ns:v3.0?privdefault=permit&sharedefault=permit","control_set":{"classification":"U","formal_determination":["PUBREL"]},"public_release":{"released_by":"Authority","released_on":"2020-01-01T00:00:00Z"})");
  ASSERT_TRUE(registry.Learn(pubrel_text).ok());
  EXPECT_TRUE(registry.Find(pubrel)->rel_to.empty());
  EXPECT_TRUE(registry.Find(pubrel)->caveats.empty());
  // Shared on only where further_sharing permits.
  auto [scoped, scoped_text] = acs(6, R"("policy_reference":"urn:isa:policy:acs:ns:v3.0?privdefault=deny&sharedefault=deny","control_set":{"classification":"U"},"further_sharing":[{"sharing_scope":["USA","GBR"],"rule_effect":"permit"}])");
  ASSERT_TRUE(registry.Learn(scoped_text).ok());
  ASSERT_EQ(registry.Find(scoped)->rel_to.size(), 1u);
  EXPECT_EQ(registry.Find(scoped)->rel_to[0], (std::set<std::string>{"GBR", "USA"}));
  // Not shared on at all (use case 1), a scope denied, a control the hub does not know: unknown.
  for (const auto& [n, body] :
       {std::pair{1, R"("policy_reference":"urn:isa:policy:acs:ns:v3.0?privdefault=deny&sharedefault=deny","control_set":{"classification":"TS","entity":["GOV","CTR","MIL"]})"},
        std::pair{7, R"("policy_reference":"urn:isa:policy:acs:ns:v3.0?privdefault=permit&sharedefault=permit","control_set":{"classification":"U"},"further_sharing":[{"sharing_scope":["USA.DOD"],"rule_effect":"deny"}])"},
        std::pair{8, R"("control_set":{"classification":"U","handling_code":["X"]})"},
        // "Not shared on" however it is spelt, and a value that is neither permit nor deny.
        std::pair{9, R"("policy_reference":"urn:isa:policy:acs:ns:v3.0?privdefault=permit&SHAREDEFAULT=DENY","control_set":{"classification":"U"})"},
        std::pair{10, R"("policy_reference":"urn:isa:policy:acs:ns:v3.0?privdefault=permit&sharedefault=Deny","control_set":{"classification":"U"})"},
        std::pair{11, R"("policy_reference":"urn:isa:policy:acs:ns:v3.0?privdefault=permit&sharedefault%3Ddeny","control_set":{"classification":"U"})"},
        std::pair{12, R"("policy_reference":"urn:isa:policy:acs:ns:v3.0?privdefault=permit&sharedefault = deny","control_set":{"classification":"U"})"},
        std::pair{13, R"("policy_reference":"urn:isa:policy:acs:ns:v3.0?sharedefault=permit&sharedefault=deny","control_set":{"classification":"U"})"},
        std::pair{14, R"("policy_reference":"urn:isa:policy:acs:ns:v3.0?sharedefault=maybe","control_set":{"classification":"U"})"}}) {
    auto [id, text] = acs(n, body);
    EXPECT_FALSE(registry.Learn(text).ok()) << text;
    EXPECT_EQ(registry.Find(id), nullptr);
    EXPECT_EQ(registry.LabelOf({id}).unresolved, std::vector<std::string>{id});
  }
}

TEST(MarkingRegistry, ClassificationMarkingsAreDeterministicAndReadBack) {
  std::string a = ClassificationMarking(Classification::kSecret, {"NATO", "EU"}, {"CYBER"});
  std::string b = ClassificationMarking(Classification::kSecret, {"EU", "NATO"}, {"CYBER"});
  EXPECT_EQ(a, b);
  EXPECT_NE(a, ClassificationMarking(Classification::kSecret, {"NATO"}, {}));
  MarkingRegistry registry;
  ASSERT_TRUE(registry.Learn(a).ok()) << a;
  const Label* l = registry.Find(Id(a));
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->classification, Classification::kSecret);
  ASSERT_EQ(l->rel_to.size(), 1u);
  EXPECT_EQ(l->rel_to[0], (std::set<std::string>{"EU", "NATO"}));
  EXPECT_EQ(l->caveats, (std::set<std::string>{"CYBER"}));
  EXPECT_NE(ClassificationExtensionDefinition().find(kClassificationExtensionId),
            std::string::npos);
  // A definition marked for sharing carries its TLP and is another marking (the id covers it).
  std::string shared =
      ClassificationMarking(Classification::kSecret, {"EU", "NATO"}, {"CYBER"}, TlpLevel::kClear);
  EXPECT_NE(
      shared.find(
          R"("object_marking_refs":["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"])"),
      std::string::npos)
      << shared;
  EXPECT_NE(Id(shared), Id(a));
  ASSERT_TRUE(registry.Learn(shared).ok()) << shared;
  ASSERT_NE(registry.Find(Id(shared)), nullptr);
  // It proves itself as the plain one does: learned from anyone (a partner that shares it).
  MarkingRegistry partner_side;
  ASSERT_TRUE(partner_side.Learn(shared, /*trusted=*/false).ok());
  ASSERT_NE(partner_side.Find(Id(shared)), nullptr);
  EXPECT_EQ(registry.Find(Id(shared))->classification, Classification::kSecret);
  // What `ctihub policy extension` publishes is valid STIX (§7.3: created_by_ref is required).
  stix::Validator validator;
  for (const std::string& object :
       {ClassificationExtensionDefinition(), CtihubIdentity(), shared}) {
    std::string findings;
    validator.ValidateText(object, [&](const stix::Finding& f) {
      findings += f.rule + " " + f.pointer + ": " + f.message + "\n";
    });
    EXPECT_EQ(findings, "") << object;
  }
}

TEST(Label, JoinIsTheMostRestrictiveAndKeepsEveryReleasabilitySet) {
  Label a, b;
  a.tlp = TlpLevel::kGreen;
  a.classification = Classification::kRestricted;
  a.rel_to = {{"NATO"}};
  b.tlp = TlpLevel::kAmber;
  b.rel_to = {{"EU"}};
  b.caveats = {"X"};
  a.Join(b);
  EXPECT_EQ(*a.tlp, TlpLevel::kAmber);
  EXPECT_EQ(a.classification, Classification::kRestricted);
  EXPECT_EQ(a.rel_to.size(), 2u);
  EXPECT_EQ(a.caveats.size(), 1u);
}

TEST(Redact, RemovesSelectedContentAndTheMarkingsThatPointedAtIt) {
  std::string object =
      R"({"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111111",)"
      R"("created":"2021-01-01T00:00:00.000Z","modified":"2021-01-01T00:00:00.000Z","name":"n",)"
      R"("description":"secret words","labels":["keep","drop"],"pattern":"[ipv4-addr:value = '10.0.0.1']",)"
      R"("pattern_type":"stix","valid_from":"2021-01-01T00:00:00Z",)"
      R"("granular_markings":[{"selectors":["description","labels.[1]"],"marking_ref":")" +
      std::string(kRed) + R"("},{"selectors":["name"],"marking_ref":")" + kGreen + R"("}]})";
  Result<Redaction> r = Redact(object, {"description", "labels.[1]"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->valid) << r->invalid_reason << "\n" << r->text;
  EXPECT_EQ(r->text.find("secret words"), std::string::npos);
  EXPECT_EQ(r->text.find("drop"), std::string::npos);
  EXPECT_NE(r->text.find("\"keep\""), std::string::npos);
  EXPECT_EQ(r->text.find(kRed), std::string::npos) << "its granular marking went too";
  EXPECT_NE(r->text.find(kGreen), std::string::npos);
  // A list emptied by redaction goes altogether (STIX forbids empty lists).
  Result<Redaction> all_labels = Redact(object, {"labels.[0]", "labels.[1]"});
  ASSERT_TRUE(all_labels.ok());
  EXPECT_TRUE(all_labels->valid) << all_labels->invalid_reason;
  EXPECT_EQ(all_labels->text.find("\"labels\""), std::string::npos) << all_labels->text;
  // Removing a required property leaves an invalid object: the caller withholds it.
  Result<Redaction> broken = Redact(object, {"pattern"});
  ASSERT_TRUE(broken.ok());
  EXPECT_FALSE(broken->valid);
  EXPECT_NE(broken->invalid_reason.find("pattern"), std::string::npos) << broken->invalid_reason;
}

// An SCO's id hashes its id-contributing properties (§2.9): after one of them is removed, the old
// id would confirm a guess at the removed value, so what remains is renamed by its own content.
// A granular marking over the markings: removing what it selects would strip the object's own
// markings (or the granular ones keeping other parts back) and widen its label.
TEST(Redact, SelectorsOverTheMarkingsThemselvesAreRefused) {
  const std::string object = std::string(R"({"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111111","created":"2021-01-01T00:00:00.000Z","modified":"2021-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2021-01-01T00:00:00Z","description":"d","object_marking_refs":[")") +
                             kRed + R"("],"granular_markings":[{"selectors":["object_marking_refs","description"],"marking_ref":")" + kAmber + R"("}]})";
  for (const std::vector<std::string>& selectors :
       {std::vector<std::string>{"object_marking_refs"}, {"object_marking_refs.[0]"},
        {"description", "granular_markings"}, {"granular_markings.[0].marking_ref"}}) {
    Result<Redaction> r = Redact(object, selectors);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->valid) << selectors[0];
    EXPECT_NE(r->invalid_reason.find("widen"), std::string::npos) << r->invalid_reason;
  }
  Result<Redaction> plain = Redact(object, {"description"});
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->valid) << plain->invalid_reason;
}

// Removing a list element moves the ones after it: the granular markings that stay move with
// their content, so nothing ends up unmarked (widened) or marked by another's marking.
TEST(Redact, KeptGranularMarkingsFollowTheirContentWhenAListShrinks) {
  const std::string object = std::string(R"({"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111111","created":"2021-01-01T00:00:00.000Z","modified":"2021-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2021-01-01T00:00:00Z","description":"d","labels":["secret-label","public-label","green-only-label"],"granular_markings":[{"selectors":["labels.[0]"],"marking_ref":")") +
                             kRed + R"("},{"selectors":["labels.[2]","description"],"marking_ref":")" + kGreen + R"("},{"selectors":["description","labels.[0]"],"marking_ref":")" + kAmber + R"("}]})";
  Result<Redaction> r = Redact(object, {"labels.[0]"});
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->valid) << r->invalid_reason;
  simdjson::dom::parser parser;
  simdjson::dom::element out = parser.parse(r->text);
  EXPECT_EQ(std::string_view(out["labels"].at(0)), "public-label");
  EXPECT_EQ(std::string_view(out["labels"].at(1)), "green-only-label");
  std::map<std::string, std::vector<std::string>> selectors_of;
  for (simdjson::dom::element g : out["granular_markings"].get_array()) {
    for (simdjson::dom::element sel : g["selectors"].get_array()) {
      selectors_of[std::string(std::string_view(g["marking_ref"]))].emplace_back(std::string_view(sel));
    }
  }
  EXPECT_EQ(selectors_of.count(kRed), 0u) << r->text;  // what it marked is gone
  EXPECT_EQ(selectors_of[kGreen], (std::vector<std::string>{"labels.[1]", "description"})) << r->text;
  // The AMBER marking keeps its other selector: description stays AMBER.
  EXPECT_EQ(selectors_of[kAmber], std::vector<std::string>{"description"}) << r->text;
  // A list element emptied by a removal goes too, and moves the ones after it the same way.
  const std::string nested = std::string(R"({"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111111","created":"2021-01-01T00:00:00.000Z","modified":"2021-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2021-01-01T00:00:00Z","x_list":[["a"],"b","c"],"x_gone":["z"],"granular_markings":[{"selectors":["x_list.[0].[0]","x_gone.[0]"],"marking_ref":")") +
                             kRed + R"("},{"selectors":["x_list.[1]"],"marking_ref":")" + kGreen + R"("},{"selectors":["x_gone","x_list.[2]"],"marking_ref":")" + kAmber + R"("}]})";
  Result<Redaction> n = Redact(nested, {"x_list.[0].[0]", "x_gone.[0]"});
  ASSERT_TRUE(n.ok());
  ASSERT_TRUE(n->valid) << n->invalid_reason;
  simdjson::dom::element nout = parser.parse(n->text);
  selectors_of.clear();
  for (simdjson::dom::element g : nout["granular_markings"].get_array()) {
    for (simdjson::dom::element sel : g["selectors"].get_array()) {
      selectors_of[std::string(std::string_view(g["marking_ref"]))].emplace_back(
          std::string_view(sel));
    }
  }
  EXPECT_EQ(std::string_view(nout["x_list"].at(0)), "b") << n->text;
  EXPECT_EQ(selectors_of[kGreen], std::vector<std::string>{"x_list.[0]"}) << n->text;
  EXPECT_EQ(selectors_of[kAmber], std::vector<std::string>{"x_list.[1]"}) << n->text;
}

// A marking-definition is never released in part: it would keep its id and mean less.
TEST(Redact, AMarkingDefinitionIsNotRedacted) {
  std::string marking = ClassificationMarking(Classification::kRestricted, {"eu"}, {"CYBER"});
  marking.insert(marking.size() - 1, std::string(R"(,"granular_markings":[{"selectors":["name"],"marking_ref":")") + kAmber + R"("}])");
  Result<Redaction> r = Redact(marking, {"name"});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->valid);
  EXPECT_NE(r->invalid_reason.find("marking-definition"), std::string::npos) << r->invalid_reason;
}

TEST(Redact, AnObservableLosingContentThatNamesItIsRenamed) {
  const std::string hashes = R"({"SHA-256":"aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"})";
  auto file = [&](std::string_view id, std::string_view props) {
    return R"({"type":"file","spec_version":"2.1","id":")" + std::string(id) + "\"," +
           std::string(props) + R"(,"granular_markings":[{"selectors":["name"],"marking_ref":")" +
           std::string(kRed) + R"("}]})";
  };
  // The id each version would have by its content alone.
  auto id_of = [](const std::string& text) {
    simdjson::dom::parser parser;
    Result<std::optional<std::string>> id = stix::ComputeScoId(parser.parse(text).value());
    return id.ok() && *id ? **id : std::string("none");
  };
  const std::string named_props = R"("name":"payroll-2026-ACME.xlsx","hashes":)" + hashes;
  const std::string full_id = id_of(R"({"type":"file",)" + named_props + "}");
  const std::string remaining_id = id_of(R"({"type":"file","hashes":)" + hashes + "}");
  ASSERT_NE(full_id, remaining_id);

  Result<Redaction> r = Redact(file(full_id, named_props), {"name"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->valid) << r->invalid_reason;
  EXPECT_EQ(r->new_id, remaining_id);
  EXPECT_EQ(r->text.find(full_id), std::string::npos) << r->text;
  EXPECT_NE(r->text.find("\"id\":\"" + remaining_id + "\""), std::string::npos) << r->text;

  // Removing content that does not name it keeps the id.
  Result<Redaction> kept = Redact(file(full_id, named_props + R"(,"size":1234)"), {"size"});
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->valid) << kept->invalid_reason;
  EXPECT_TRUE(kept->new_id.empty());
  EXPECT_NE(kept->text.find(full_id), std::string::npos);

  // With nothing left to name it by, it is not released: a random id would differ on every read.
  const std::string name_only_id = id_of(R"({"type":"file","name":"payroll-2026-ACME.xlsx"})");
  Result<Redaction> nameless =
      Redact(file(name_only_id, R"("name":"payroll-2026-ACME.xlsx","size":1234)"), {"name"});
  ASSERT_TRUE(nameless.ok());
  EXPECT_FALSE(nameless->valid);
  EXPECT_NE(nameless->invalid_reason.find("names the observable"), std::string::npos);
}

// Found in review: removing a file's only hash left `hashes` empty, which names nothing, and the
// file was withheld although its name still names it.
TEST(Redact, WhatRemovalEmptiesGoesToo) {
  const std::string text =
      R"({"type":"file","spec_version":"2.1","id":"file--5a27d487-c542-5f97-a131-a8866b477b46",)"
      R"("name":"jdoe-cv.pdf","hashes":{"MD5":"8ed5a6a2e3b6d6c7b1ac5e4f8d0e2a11"},)"
      R"("x_notes":{"a":{"b":"gone"}},"granular_markings":[{"selectors":["name"],)"
      R"("marking_ref":"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"}]})";
  Result<Redaction> r = Redact(text, {"hashes.MD5", "x_notes.a.b"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->valid) << r->invalid_reason;
  EXPECT_EQ(r->text.find("hashes"), std::string::npos) << r->text;
  EXPECT_EQ(r->text.find("x_notes"), std::string::npos) << r->text;
  EXPECT_FALSE(r->new_id.empty()) << "named by its name alone now";
  EXPECT_NE(r->text.find("\"selectors\":[\"name\"]"), std::string::npos) << r->text;
}

class PolicyGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto registry = std::make_shared<MarkingRegistry>();
    secret_nato_ = ClassificationMarking(Classification::kSecret, {"NATO"}, {});
    restricted_eu_ = ClassificationMarking(Classification::kRestricted, {"EU"}, {});
    ASSERT_TRUE(registry->Learn(secret_nato_).ok());
    ASSERT_TRUE(registry->Learn(restricted_eu_).ok());
    PolicyOptions options;
    options.accreditation = Classification::kSecret;
    options.organisations = {
        {"local", "BE", {"EU"}, "identity--b0b0b0b0-0000-4000-8000-000000000002", std::nullopt, {}},
        {"owner-org", "FR", {"EU", "NATO"}, kOwner, std::nullopt, {}},
        {"nato-partner", "", {"NATO"}, "", Classification::kSecret, {}},
        {"eu-partner", "", {"EU"}, "", Classification::kSecret, {}},
    };
    Agreement nato;
    nato.partner = "nato-partner";
    nato.tlp_ceiling = TlpLevel::kAmber;
    nato.classification_ceiling = Classification::kSecret;
    nato.types = {"indicator", "marking-definition"};
    nato.min_confidence = 50;
    Agreement eu;
    eu.partner = "eu-partner";
    eu.classification_ceiling = Classification::kRestricted;
    eu.embargo = std::chrono::hours(24);
    options.agreements = {nato, eu};
    gate_ = std::make_unique<PolicyGate>(options, registry);
  }

  store::StoredObject Object(std::vector<std::string> markings, std::string created_by = "",
                             std::string extra = "", int64_t added_hours_ago = 48) {
    store::StoredObject o;
    o.id = "indicator--11111111-1111-4111-8111-111111111111";
    o.type = "indicator";
    o.markings = markings;
    o.created_by = created_by;
    o.date_added = Timestamp(Timestamp::Now().micros() - added_hours_ago * 3'600'000'000LL);
    std::string refs;
    for (const std::string& m : markings) refs += (refs.empty() ? "\"" : ",\"") + m + "\"";
    o.text = R"({"type":"indicator","spec_version":"2.1","id":")" + o.id +
             R"(","created":"2021-01-01T00:00:00.000Z","modified":"2021-01-01T00:00:00.000Z",)"
             R"("pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix",)"
             R"("valid_from":"2021-01-01T00:00:00Z","description":"d")" +
             (created_by.empty() ? "" : R"(,"created_by_ref":")" + created_by + "\"") +
             (refs.empty() ? "" : R"(,"object_marking_refs":[)" + refs + "]") + extra + "}";
    return o;
  }
  store::ReleaseAction Decide(const std::string& org, const store::StoredObject& o,
                              std::vector<std::string>* rules = nullptr) {
    store::ReleaseDecision d = gate_->Decide({"someone", org, false}, o);
    if (rules) *rules = d.rule_ids;
    return d.action;
  }

  std::string secret_nato_, restricted_eu_;
  std::unique_ptr<PolicyGate> gate_;
};

using store::ReleaseAction;

TEST_F(PolicyGateTest, TlpAudiences) {
  EXPECT_EQ(Decide("local", Object({kAmber})), ReleaseAction::kRelease);
  EXPECT_EQ(Decide("nato-partner", Object({kAmber}, "", R"(,"confidence":80)")),
            ReleaseAction::kRelease);
  EXPECT_EQ(Decide("eu-partner", Object({kAmber})), ReleaseAction::kWithhold);  // GREEN ceiling
  EXPECT_EQ(Decide("eu-partner", Object({kGreen})), ReleaseAction::kRelease);
  // Unmarked is AMBER by default: not for a GREEN partner.
  std::vector<std::string> rules;
  EXPECT_EQ(Decide("eu-partner", Object({}), &rules), ReleaseAction::kWithhold);
  EXPECT_EQ(rules, (std::vector<std::string>{"tlp.unmarked"}));
  // AMBER+STRICT (and its OpenCTI alias): the node's organisation and the owner only.
  EXPECT_EQ(Decide("local", Object({kAmberStrict})), ReleaseAction::kRelease);
  EXPECT_EQ(Decide("owner-org", Object({kOpenCtiStrict}, kOwner)), ReleaseAction::kRelease);
  EXPECT_EQ(Decide("owner-org", Object({kOpenCtiStrict})), ReleaseAction::kWithhold);
  // RED: the owning organisation only, not even the node's.
  EXPECT_EQ(Decide("owner-org", Object({kRed}, kOwner)), ReleaseAction::kRelease);
  EXPECT_EQ(Decide("local", Object({kRed}, kOwner)), ReleaseAction::kWithhold);
  EXPECT_EQ(gate_->Decide({"root", "local", true}, Object({kRed})).action,
            ReleaseAction::kRelease);
}

TEST_F(PolicyGateTest, ClassificationReleasabilityAndAgreements) {
  std::vector<std::string> rules;
  // SECRET REL TO NATO: the NATO partner (confidence high enough), not the EU one.
  EXPECT_EQ(Decide("nato-partner", Object({kGreen, Id(secret_nato_)}, "", R"(,"confidence":60)")),
            ReleaseAction::kRelease);
  EXPECT_EQ(Decide("eu-partner", Object({kGreen, Id(secret_nato_)}), &rules),
            ReleaseAction::kWithhold);
  EXPECT_EQ(rules, (std::vector<std::string>{"classification.clearance", "releasability"}));
  // Confidence below the minimum, or not stated.
  EXPECT_EQ(Decide("nato-partner", Object({kGreen}, "", R"(,"confidence":20)"), &rules),
            ReleaseAction::kWithhold);
  EXPECT_EQ(rules, (std::vector<std::string>{"agreement.confidence"}));
  EXPECT_EQ(Decide("nato-partner", Object({kGreen})), ReleaseAction::kWithhold);
  // Embargo: added an hour ago, the EU agreement waits a day.
  EXPECT_EQ(Decide("eu-partner", Object({kGreen}, "", "", 1), &rules), ReleaseAction::kWithhold);
  EXPECT_EQ(rules, (std::vector<std::string>{"agreement.embargo"}));
  // Types outside the agreement.
  store::StoredObject malware = Object({kGreen}, "", R"(,"confidence":90)");
  malware.type = "malware";
  EXPECT_EQ(Decide("nato-partner", malware, &rules), ReleaseAction::kWithhold);
  EXPECT_EQ(rules, (std::vector<std::string>{"agreement.type"}));
  // Unknown markings fail closed for everyone but admins.
  EXPECT_EQ(Decide("local", Object({"marking-definition--99999999-9999-4999-8999-999999999999"}),
                   &rules),
            ReleaseAction::kWithhold);
  EXPECT_EQ(rules, (std::vector<std::string>{"label.unresolved"}));
  // ... and their owner.
  EXPECT_EQ(Decide("owner-org",
                   Object({kGreen, "marking-definition--99999999-9999-4999-8999-999999999999"},
                          kOwner)),
            ReleaseAction::kRelease);
  // Sightings only where the agreement shares them.
  store::StoredObject sighting = Object({kGreen}, "", R"(,"confidence":90)");
  sighting.type = "sighting";
  EXPECT_EQ(Decide("eu-partner", sighting, &rules), ReleaseAction::kWithhold);
  EXPECT_EQ(rules, (std::vector<std::string>{"agreement.sightings"}));
  // ... and the query leaves them out, so that a page is not thinned after paging.
  store::Query q;
  gate_->Constrain({"someone", "eu-partner", false}, &q);
  EXPECT_EQ(q.exclude_types, (std::vector<std::string>{"sighting"}));
  store::Query local;
  gate_->Constrain({"someone", "local", false}, &local);
  EXPECT_TRUE(local.exclude_types.empty());
}

// Organisations' attributes can change while the gate serves (`ctihub org set`, re-read by
// serve): decisions follow at once, including for recipients already prepared on this thread.
TEST_F(PolicyGateTest, OrganisationChangesApplyToTheNextDecision) {
  store::StoredObject o = Object({kGreen, Id(restricted_eu_)});
  EXPECT_EQ(Decide("eu-partner", o), ReleaseAction::kRelease);
  gate_->SetOrganisations({{"eu-partner", "", {"NATO"}, "", Classification::kSecret, {}}});
  std::vector<std::string> rules;
  EXPECT_EQ(Decide("eu-partner", o, &rules), ReleaseAction::kWithhold);
  EXPECT_EQ(rules, (std::vector<std::string>{"releasability"}));
  gate_->SetOrganisations({{"eu-partner", "", {"EU"}, "", Classification::kSecret, {}}});
  EXPECT_EQ(Decide("eu-partner", o), ReleaseAction::kRelease);
}

// What a partner supplied goes on to other partners only as far as TLP 2.0 lets this node, its
// recipient, share it: GREEN (its community), not AMBER or above — unless the supplier's
// agreement raises relay_tlp. Its creator gets it back under the ceiling alone; local users get
// it as before.
TEST_F(PolicyGateTest, APartnersAmberIsNotRelayedToOtherPartners) {
  store::StoredObject amber = Object({kAmber}, "", R"(,"confidence":80)");
  amber.origin = "eu-partner";
  std::vector<std::string> rules;
  EXPECT_EQ(Decide("nato-partner", amber, &rules), ReleaseAction::kWithhold);
  EXPECT_EQ(rules, (std::vector<std::string>{"tlp.relay"}));
  EXPECT_EQ(Decide("local", amber), ReleaseAction::kRelease);
  Explanation why = gate_->Explain({"someone", "nato-partner", false}, amber);
  ASSERT_FALSE(why.reasons.empty());
  EXPECT_NE(why.reasons[0].find("came from eu-partner"), std::string::npos) << why.reasons[0];
  store::StoredObject green = Object({kGreen}, "", R"(,"confidence":80)");
  green.origin = "eu-partner";
  EXPECT_EQ(Decide("nato-partner", green), ReleaseAction::kRelease);
  // An AMBER granular marking on a partner's GREEN object: that part stays here.
  store::StoredObject part =
      Object({kGreen}, "",
             R"(,"confidence":80,"granular_markings":[{"selectors":["description"],"marking_ref":")" +
                 std::string(kAmber) + R"("}])");
  part.origin = "eu-partner";
  store::ReleaseDecision d = gate_->Decide({"someone", "nato-partner", false}, part);
  ASSERT_EQ(d.action, ReleaseAction::kReleaseRedacted);
  EXPECT_EQ(d.redacted_text.find("\"description\""), std::string::npos) << d.redacted_text;
  // A granular marking without TLP (classification, REL TO) says nothing of relaying: the part
  // goes when the recipient passes the marking itself.
  store::StoredObject nato_part =
      Object({kGreen}, "",
             R"(,"confidence":80,"granular_markings":[{"selectors":["description"],"marking_ref":")" +
                 secret_nato_ + R"("}])");
  nato_part.origin = "eu-partner";
  EXPECT_EQ(Decide("nato-partner", nato_part), ReleaseAction::kRelease);

  PolicyOptions options;
  options.organisations = {{"a", "", {}, "identity--a0a0a0a0-0000-4000-8000-000000000001",
                            std::nullopt, {}},
                           {"b", "", {}, "identity--b0b0b0b0-0000-4000-8000-00000000000b",
                            std::nullopt, {}},
                           {"member", "", {}, "", std::nullopt, {}}};
  Agreement a, b;
  a.partner = "a";
  a.tlp_ceiling = TlpLevel::kRed;
  b.partner = "b";
  b.tlp_ceiling = TlpLevel::kAmber;
  options.agreements = {a, b};
  auto relaying = [&](TlpLevel relay) {
    options.agreements[1].relay_tlp = relay;
    return std::make_unique<PolicyGate>(options, std::make_shared<MarkingRegistry>());
  };
  store::StoredObject from_b = Object({kAmber});
  from_b.origin = "b";
  EXPECT_EQ(relaying(TlpLevel::kGreen)->Decide({"x", "a", false}, from_b).action,
            ReleaseAction::kWithhold);
  EXPECT_EQ(relaying(TlpLevel::kAmber)->Decide({"x", "a", false}, from_b).action,
            ReleaseAction::kRelease);
  // RED from b created by a: a made it, so it may have it back (a's ceiling is RED).
  store::StoredObject reds = Object({kRed}, "identity--a0a0a0a0-0000-4000-8000-000000000001");
  reds.origin = "b";
  EXPECT_EQ(relaying(TlpLevel::kGreen)->Decide({"x", "a", false}, reds).action,
            ReleaseAction::kRelease);
  // A local organisation's members' uploads (origin "member") relay at GREEN too, by default.
  store::StoredObject posted = Object({kAmber});
  posted.origin = "member";
  EXPECT_EQ(relaying(TlpLevel::kGreen)->Decide({"x", "a", false}, posted).action,
            ReleaseAction::kWithhold);
  options.organisations[2].relay_tlp = TlpLevel::kAmber;
  EXPECT_EQ(relaying(TlpLevel::kGreen)->Decide({"x", "a", false}, posted).action,
            ReleaseAction::kRelease);
  // A partner's GREEN v1 and AMBER v2: a's `last` must still find v1, so the store may not skip
  // versions on markings alone for a partner some relay ceiling is below.
  store::Query q;
  relaying(TlpLevel::kGreen)->Constrain({"x", "a", false}, &q);
  EXPECT_FALSE(q.skip_superseded_when_latest_under.has_value());
  store::Query green_partner;
  gate_->Constrain({"x", "eu-partner", false}, &green_partner);  // GREEN ceiling: relay cannot
  EXPECT_TRUE(green_partner.skip_superseded_when_latest_under.has_value());
}

TEST_F(PolicyGateTest, GranularMarkingsRedactWhatTheRecipientMayNotSee) {
  std::string granular = R"(,"granular_markings":[{"selectors":["description"],"marking_ref":")" +
                         Id(secret_nato_) + R"("}])";
  store::StoredObject o = Object({kGreen}, "", granular);
  store::ReleaseDecision eu = gate_->Decide({"x", "eu-partner", false}, o);
  EXPECT_EQ(eu.action, ReleaseAction::kReleaseRedacted);
  EXPECT_EQ(eu.redacted_text.find("\"description\""), std::string::npos) << eu.redacted_text;
  EXPECT_EQ(eu.redacted_text.find(Id(secret_nato_)), std::string::npos);
  // The node's own organisation is in the EU community, not NATO: redacted too.
  EXPECT_EQ(Decide("local", o), ReleaseAction::kReleaseRedacted);
  EXPECT_EQ(Decide("owner-org", o), ReleaseAction::kRelease);
}

TEST_F(PolicyGateTest, AnObservableRedactedOfWhatNamesItIsReleasedUnderItsNewName) {
  // The id hashes the address: kept, it would confirm anyone's guess at the removed value.
  store::StoredObject o;
  o.id = "email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3";  // of jdoe@example.com
  o.type = "email-addr";
  o.markings = {kGreen};
  o.date_added = Timestamp(Timestamp::Now().micros() - 48 * 3'600'000'000LL);
  o.text = R"({"type":"email-addr","spec_version":"2.1","id":")" + o.id +
           R"(","value":"jdoe@example.com","display_name":"J Doe","object_marking_refs":[")" +
           kGreen + R"("],"granular_markings":[{"selectors":["value"],"marking_ref":")" +
           Id(secret_nato_) + R"("}]})";
  store::ReleaseDecision eu = gate_->Decide({"x", "eu-partner", false}, o);
  // An email-addr without its value is not valid STIX: withheld, not renamed to nothing.
  EXPECT_EQ(eu.action, ReleaseAction::kWithhold);
  EXPECT_TRUE(eu.redacted_text.empty());

  o.id = "file--5a27d487-c542-5f97-a131-a8866b477b46";
  o.type = "file";
  o.text = R"({"type":"file","spec_version":"2.1","id":")" + o.id +
           R"(","name":"jdoe-cv.pdf","hashes":{"MD5":"8ed5a6a2e3b6d6c7b1ac5e4f8d0e2a11"},)"
           R"("object_marking_refs":[")" + kGreen +
           R"("],"granular_markings":[{"selectors":["name"],"marking_ref":")" +
           Id(secret_nato_) + R"("}]})";
  store::ReleaseDecision file = gate_->Decide({"x", "eu-partner", false}, o);
  ASSERT_EQ(file.action, ReleaseAction::kReleaseRedacted);
  EXPECT_FALSE(file.new_id.empty());
  EXPECT_NE(file.new_id, o.id);
  EXPECT_EQ(file.redacted_text.find(o.id), std::string::npos) << file.redacted_text;
  EXPECT_NE(std::find(file.rule_ids.begin(), file.rule_ids.end(), "granular.renamed"),
            file.rule_ids.end());
  EXPECT_EQ(Decide("owner-org", o), ReleaseAction::kRelease) << "the owner sees it as stored";
}

// REL TO names nations as ISO 3166-1 alpha-2 or alpha-3 (ISA/ACS and NATO write trigraphs):
// an organisation of either form matches a marking of either form, and no other country.
TEST(PolicyGateNations, AlphaTwoAndAlphaThreeNameOneCountry) {
  auto registry = std::make_shared<MarkingRegistry>();
  const std::string rel_fra = ClassificationMarking(Classification::kRestricted, {"FRA"}, {});
  const std::string rel_de = ClassificationMarking(Classification::kRestricted, {"DE"}, {});
  ASSERT_TRUE(registry->Learn(rel_fra).ok());
  ASSERT_TRUE(registry->Learn(rel_de).ok());
  const std::string rel_gbr = ClassificationMarking(Classification::kRestricted, {"GBR"}, {});
  ASSERT_TRUE(registry->Learn(rel_gbr).ok());
  PolicyOptions options;
  options.accreditation = Classification::kSecret;
  options.organisations = {{"paris", "FR", {}, "", std::nullopt, {}},
                           {"berlin", "DEU", {}, "", std::nullopt, {}},
                           {"vienna", "AT", {}, "", std::nullopt, {}},
                           {"london", "UK", {}, "", std::nullopt, {}}};
  PolicyGate gate(options, registry);
  auto decide = [&](const std::string& org, const std::string& marking) {
    store::StoredObject o;
    o.id = "indicator--11111111-1111-4111-8111-111111111111";
    o.type = "indicator";
    o.markings = {kGreen, Id(marking)};
    o.granular_known = true;
    o.text = R"({"type":"indicator","spec_version":"2.1","id":")" + o.id +
             R"(","created":"2021-01-01T00:00:00.000Z","modified":"2021-01-01T00:00:00.000Z",)"
             R"("pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix",)"
             R"("valid_from":"2021-01-01T00:00:00Z","object_marking_refs":[")" +
             kGreen + R"(",")" + Id(marking) + R"("]})";
    return gate.Decide({"u", org, false}, o).action;
  };
  EXPECT_EQ(decide("paris", rel_fra), ReleaseAction::kRelease);
  EXPECT_EQ(decide("berlin", rel_de), ReleaseAction::kRelease);
  EXPECT_EQ(decide("paris", rel_de), ReleaseAction::kWithhold);
  EXPECT_EQ(decide("berlin", rel_fra), ReleaseAction::kWithhold);
  EXPECT_EQ(decide("vienna", rel_fra), ReleaseAction::kWithhold);
  EXPECT_EQ(decide("vienna", rel_de), ReleaseAction::kWithhold);
  // UK, exceptionally reserved for the United Kingdom, is GB and GBR.
  EXPECT_EQ(decide("london", rel_gbr), ReleaseAction::kRelease);
  EXPECT_EQ(decide("london", rel_fra), ReleaseAction::kWithhold);
  const std::string rel_uk = ClassificationMarking(Classification::kRestricted, {"UK"}, {});
  ASSERT_TRUE(registry->Learn(rel_uk).ok());
  gate.SetRegistry(registry);
  gate.SetOrganisations({{"cardiff", "GB", {}, "", std::nullopt, {}}});
  EXPECT_EQ(decide("cardiff", rel_uk), ReleaseAction::kRelease);
  EXPECT_EQ(decide("cardiff", rel_gbr), ReleaseAction::kRelease);
}

// A federation peer is a partner: without an agreement it receives nothing, never what a local
// organisation with the same grants would (found in review: it got local AMBER content).
TEST(PolicyGatePeers, APeerWithoutAnAgreementReceivesNothing) {
  auto registry = std::make_shared<MarkingRegistry>();
  PolicyOptions options;
  options.peer_organisations = {"ghost", "nato"};
  Agreement nato;
  nato.partner = "nato";
  options.agreements = {nato};
  PolicyGate gate(options, registry);
  store::StoredObject o;
  o.id = "indicator--11111111-1111-4111-8111-111111111111";
  o.type = "indicator";
  o.markings = {kGreen};
  o.granular_known = true;
  o.text = R"({"type":"indicator","spec_version":"2.1","id":")" + o.id +
           R"(","created":"2021-01-01T00:00:00.000Z","modified":"2021-01-01T00:00:00.000Z",)"
           R"("pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix",)"
           R"("valid_from":"2021-01-01T00:00:00Z","object_marking_refs":[")" +
           kGreen + R"("]})";
  EXPECT_EQ(gate.Decide({"u", "ghost", false}, o).action, ReleaseAction::kWithhold);
  EXPECT_EQ(gate.Decide({"u", "nato", false}, o).action, ReleaseAction::kRelease);
  EXPECT_EQ(gate.Decide({"u", "local-cert", false}, o).action, ReleaseAction::kRelease);
  Explanation why = gate.Explain({"u", "ghost", false}, o);
  ASSERT_EQ(why.rules, std::vector<std::string>{"agreement.none"});
  store::Query q;
  gate.Constrain({"u", "ghost", false}, &q);
  ASSERT_TRUE(q.added_until.has_value());
  EXPECT_EQ(q.added_until->micros(), 0);
}

TEST(PolicyGateSanitization, AnAgreementsProfileRewritesWhatItReleases) {
  PolicyOptions options;
  options.node_identity = "identity--d3d3c1b1-8ba4-4ba4-b1a4-2b7c0c3a9b1e";
  sanitize::SanitizeProfile profile;
  profile.name = "eu";
  profile.internal_addresses = true;
  profile.defang = true;
  options.profiles = {profile};
  Agreement a;
  a.partner = "p";
  a.sanitization_profile = "eu";
  a.pseudonymise_sources = true;
  options.agreements = {a};
  auto gate = PolicyGate::Make(options, nullptr);
  ASSERT_TRUE(gate.ok()) << gate.status().ToString();
  // The profile withholds internal addresses, so references follow the index of observables:
  // until it has read the store, nothing goes (victims.pending).
  auto st = store::Store::Open("memory:");
  ASSERT_TRUE(st.ok());
  store::StoredObject o;
  o.id = "indicator--11111111-1111-4111-8111-111111111111";
  o.type = "indicator";
  o.markings = {kGreen};
  o.version_text = "2021-01-01T00:00:00.000Z";
  EXPECT_EQ((*gate)->Decide({"u", "p", false}, o).action, ReleaseAction::kWithhold);
  ASSERT_TRUE((*gate)->RefreshVictims(**st).ok());
  o.text = R"({"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111111","created":"2021-01-01T00:00:00.000Z","modified":"2021-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '10.9.9.9' OR ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2021-01-01T00:00:00Z","created_by_ref":"identity--aaaaaaaa-0000-4000-8000-000000000001","description":"see http://evil.example/x","object_marking_refs":[")" + std::string(kGreen) + R"("]})";
  store::ReleaseDecision d = (*gate)->Decide({"u", "p", false}, o);
  ASSERT_EQ(d.action, ReleaseAction::kReleaseRedacted);
  EXPECT_EQ(d.redacted_text.find("10.9.9.9"), std::string::npos);
  EXPECT_EQ(d.redacted_text.find("aaaaaaaa"), std::string::npos);
  EXPECT_NE(d.redacted_text.find("hxxp://evil[.]example/x"), std::string::npos);
  EXPECT_EQ(d.new_version_text, "2021-01-01T00:00:00.000001Z");
  EXPECT_EQ(d.rule_ids.back(), "sanitized");
  // Local users get it as stored.
  EXPECT_EQ((*gate)->Decide({"u", "local", false}, o).action, ReleaseAction::kRelease);
  // A profile that does not exist is a configuration error.
  options.agreements[0].sanitization_profile = "typo";
  EXPECT_FALSE(PolicyGate::Make(options, nullptr).ok());
}

// A sanitized version is released 1 µs after the stored one: never the (id, modified) of a real
// later version (a tool stepping `modified` by 1 ms), and match[version] names what the partner
// receives.
TEST(PolicyGateSanitization, ASanitizedVersionNeverTakesAnotherVersionsPlace) {
  PolicyOptions options;
  options.victim_index_settle = std::chrono::milliseconds(0);
  sanitize::SanitizeProfile profile;
  profile.name = "eu";
  profile.defang = true;
  options.profiles = {profile};
  Agreement a;
  a.partner = "p";
  a.sanitization_profile = "eu";
  options.agreements = {a};
  auto gate = PolicyGate::Make(options, nullptr);
  ASSERT_TRUE(gate.ok()) << gate.status().ToString();
  auto st = store::Store::Open("memory:");
  ASSERT_TRUE(st.ok());
  const std::string c = (*st)->EnsureCollection("c")->id;
  auto version = [](const char* modified, const char* description) {
    simdjson::dom::parser parser;
    std::string text =
        std::string(
            R"({"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111111","created":"2021-01-01T00:00:00.000Z","modified":")") +
        modified +
        R"(","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2021-01-01T00:00:00Z","description":")" +
        description + R"(","object_marking_refs":[")" + kGreen + R"("]})";
    return *stix::ExtractObjectVersion(parser, text);
  };
  Result<store::PutResult> put =
      (*st)->Put(c, {version("2021-01-01T00:00:00.000Z", "see http://evil.example/x"),
                     version("2021-01-01T00:00:00.001Z", "plain text")});
  ASSERT_TRUE(put.ok());
  // The profile rewrites text: what it releases waits for the index of statements and
  // observables to have read it (victims.pending).
  while (Timestamp::Now().micros() <= put->last_date_added->micros()) std::this_thread::yield();
  ASSERT_TRUE((*gate)->RefreshVictims(**st).ok());
  store::OutboundReader reader(**st, **gate);
  auto versions = [&](store::VersionMatch match) {
    store::Query q;
    q.versions = match;
    std::vector<std::string> out;
    Result<store::Page> page = reader.List(c, q, {"u", "p", false});
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    for (const store::StoredObject& o : page->objects) {
      out.push_back(o.version_text);
      EXPECT_NE(o.text.find("\"modified\":\"" + o.version_text + "\""), std::string::npos)
          << o.text;
    }
    return out;
  };
  EXPECT_EQ(versions(store::VersionMatch::All()),
            (std::vector<std::string>{"2021-01-01T00:00:00.000001Z", "2021-01-01T00:00:00.001Z"}));
  auto at = [](const char* t) {
    store::VersionMatch m;
    m.all = m.first = m.last = false;
    m.at = {Timestamp::Parse(t)->micros()};
    return m;
  };
  EXPECT_EQ(versions(at("2021-01-01T00:00:00.000001Z")),
            (std::vector<std::string>{"2021-01-01T00:00:00.000001Z"}));
  EXPECT_TRUE(versions(at("2021-01-01T00:00:00.000Z")).empty());  // never released as such
  EXPECT_EQ(versions(at("2021-01-01T00:00:00.001Z")),
            (std::vector<std::string>{"2021-01-01T00:00:00.001Z"}));
}

// A recipient's last version through the real gate: where something beyond markings that pass
// whoever owns the content withholds the latest version (an owner-only TLP, a minimum confidence),
// the version before it is listed, whole collection and named alike.
TEST_F(PolicyGateTest, ARecipientsLastVersionIsTheLastItMayReceive) {
  auto st = store::Store::Open("memory:");
  ASSERT_TRUE(st.ok());
  const std::string c = (*st)->EnsureCollection("c")->id;
  const std::string other = "identity--c0c0c0c0-0000-4000-8000-000000000003";
  auto version = [&](const char* uuid, const char* modified, const char* marking,
                     const std::string& extra) {
    static simdjson::dom::parser parser;
    std::string text = std::string(R"({"type":"indicator","spec_version":"2.1","id":"indicator--)") +
                       uuid + R"(","created":"2021-01-01T00:00:00.000Z","modified":")" + modified +
                       R"(","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix",)"
                       R"("valid_from":"2021-01-01T00:00:00Z","created_by_ref":")" + other +
                       R"(","object_marking_refs":[")" + marking + R"("])" + extra + "}";
    return *stix::ExtractObjectVersion(parser, text);
  };
  const char* red_later = "11111111-0000-4000-8000-000000000001";
  const char* unsure_later = "22222222-0000-4000-8000-000000000002";
  const char* v1 = "2021-01-01T00:00:00.000Z";
  const char* v2 = "2021-02-01T00:00:00.000Z";
  for (const stix::ObjectVersion& v :
       {version(red_later, v1, kGreen, R"(,"confidence":80)"),
        version(red_later, v2, kRed, R"(,"confidence":80)"),
        version(unsure_later, v1, kAmber, R"(,"confidence":80)"),
        version(unsure_later, v2, kAmber, R"(,"confidence":20)")}) {
    ASSERT_TRUE((*st)->Put(c, {v}).ok());
  }
  store::OutboundReader reader(**st, *gate_);
  auto last = [&](const std::string& org, std::vector<std::string> ids,
                  store::VersionMatch versions = store::VersionMatch::Last()) {
    store::Query q;
    q.ids = std::move(ids);
    q.versions = versions;
    std::vector<std::string> got;
    auto page = reader.List(c, q, {"someone", org, false});
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    for (const store::StoredObject& o : page->objects) got.push_back(o.id.substr(11, 1) + o.version_text);
    return got;
  };
  // owner-org may receive RED content it made, not this: its GREEN version is its last.
  EXPECT_EQ(last("owner-org", {}), (std::vector<std::string>{std::string("1") + v1,
                                                             std::string("2") + v2}));
  EXPECT_EQ(last("owner-org", {std::string("indicator--") + red_later}),
            std::vector<std::string>{std::string("1") + v1});
  // nato-partner needs a confidence of 50: the AMBER version before the unsure one is its last.
  EXPECT_EQ(last("nato-partner", {}), (std::vector<std::string>{std::string("1") + v1,
                                                                std::string("2") + v1}));
  EXPECT_EQ(last("nato-partner", {std::string("indicator--") + unsure_later}),
            std::vector<std::string>{std::string("2") + v1});
  // Where every version is released, first and last are the store's, whichever is asked.
  EXPECT_EQ(last("local", {}), (std::vector<std::string>{std::string("1") + v1,
                                                         std::string("2") + v2}));
  for (std::vector<std::string> ids : {std::vector<std::string>{},
                                       {std::string("indicator--") + unsure_later}}) {
    std::vector<std::string> first = last("local", ids, store::VersionMatch::First());
    EXPECT_EQ(first.back(), std::string("2") + v1);
    store::VersionMatch both = store::VersionMatch::First();
    both.last = true;
    std::vector<std::string> ends = last("local", ids, both);
    EXPECT_EQ(std::vector<std::string>(ends.end() - 2, ends.end()),
              (std::vector<std::string>{std::string("2") + v1, std::string("2") + v2}));
  }
}

// A marking-definition without markings of its own goes to whoever is cleared for the marking
// it defines — not by the unmarked TLP level (AMBER here, which a GREEN partner never gets, so
// partners could not resolve the markings on what they receive), and not to anyone else.
TEST_F(PolicyGateTest, AnUnmarkedMarkingDefinitionGoesToThoseClearedForWhatItMarks) {
  auto definition = [](const std::string& json, std::vector<std::string> markings = {}) {
    store::StoredObject o;
    o.id = Id(json);
    o.type = "marking-definition";
    o.markings = std::move(markings);
    o.date_added = Timestamp(Timestamp::Now().micros() - 48 * 3'600'000'000LL);
    o.granular_known = true;
    o.text = json;
    return o;
  };
  std::vector<std::string> rules;
  // RESTRICTED REL TO EU: the EU partner (cleared RESTRICTED, in EU) and local EU members.
  EXPECT_EQ(Decide("eu-partner", definition(restricted_eu_), &rules), ReleaseAction::kRelease);
  EXPECT_EQ(rules, (std::vector<std::string>{"marking.definition"}));
  EXPECT_EQ(Decide("local", definition(restricted_eu_)), ReleaseAction::kRelease);
  // SECRET REL TO NATO: the NATO partner (its agreement covers marking-definitions; they have
  // no confidence to fall short of) but not the EU partner, nor the local organisation (EU).
  EXPECT_EQ(Decide("nato-partner", definition(secret_nato_)), ReleaseAction::kRelease);
  EXPECT_EQ(Decide("eu-partner", definition(secret_nato_), &rules), ReleaseAction::kWithhold);
  EXPECT_EQ(rules, (std::vector<std::string>{"marking.definition", "classification.clearance",
                                             "releasability"}));
  EXPECT_EQ(Decide("local", definition(secret_nato_)), ReleaseAction::kWithhold);
  // Its agreement's other terms still apply: the NATO partner's types, the EU one's embargo.
  store::StoredObject recent = definition(restricted_eu_);
  recent.date_added = Timestamp::Now();
  EXPECT_EQ(Decide("eu-partner", recent, &rules), ReleaseAction::kWithhold);
  EXPECT_EQ(rules, (std::vector<std::string>{"marking.definition", "agreement.embargo"}));
  // A TLP definition stored as an object goes to that TLP's audience: RED to its owner only.
  const std::string red_definition =
      std::string(R"({"type":"marking-definition","spec_version":"2.1","id":")") + kRed +
      R"(","created":"2022-10-01T00:00:00.000Z","name":"TLP:RED","extensions":{)"
      R"("extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":{)"
      R"("extension_type":"property-extension","tlp_2_0":"red"}}})";
  EXPECT_EQ(Decide("eu-partner", definition(red_definition), &rules), ReleaseAction::kWithhold);
  EXPECT_EQ(rules, (std::vector<std::string>{"marking.definition", "tlp.red"}));
  // One this node does not know (never learned) is an unmarked object like any other.
  const std::string unknown =
      R"({"type":"marking-definition","spec_version":"2.1","id":"marking-definition--0badc0de-0000-4000-8000-0000000000aa","created":"2020-01-01T00:00:00.000Z","definition_type":"statement","definition":{"statement":"s"}})";
  EXPECT_EQ(Decide("eu-partner", definition(unknown), &rules), ReleaseAction::kWithhold);
  EXPECT_EQ(rules, (std::vector<std::string>{"tlp.unmarked"}));
  // A definition that carries markings of its own is released by those, as any object.
  EXPECT_EQ(Decide("eu-partner", definition(secret_nato_, {kGreen}), &rules),
            ReleaseAction::kRelease);
  EXPECT_EQ(Decide("eu-partner", definition(restricted_eu_, {kAmber}), &rules),
            ReleaseAction::kWithhold);
  EXPECT_EQ(rules, (std::vector<std::string>{"tlp.amber"}));
  // The query leaves unmarked definitions to Decide, for partners and local users alike.
  for (const char* org : {"eu-partner", "local"}) {
    store::Query q;
    gate_->Constrain({"someone", org, false}, &q);
    EXPECT_EQ(q.unmarked_types_decided, (std::vector<std::string>{"marking-definition"}));
  }
  // Explain names the rule in plain words.
  Explanation e = gate_->Explain({"x", "eu-partner", false}, definition(secret_nato_));
  ASSERT_FALSE(e.reasons.empty());
  EXPECT_NE(e.reasons[0].find("cleared for the marking it defines (no TLP, secret, REL TO {NATO})"),
            std::string::npos)
      << e.reasons[0];
}

TEST_F(PolicyGateTest, ExplainSaysWhyInPlainWords) {
  Explanation e = gate_->Explain({"x", "eu-partner", false}, Object({kAmber, Id(secret_nato_)}));
  EXPECT_EQ(e.action, ReleaseAction::kWithhold);
  ASSERT_EQ(e.reasons.size(), 3u);
  EXPECT_NE(e.reasons[0].find("TLP:AMBER, above TLP:GREEN"), std::string::npos) << e.reasons[0];
  EXPECT_NE(e.reasons[1].find("SECRET, above RESTRICTED"), std::string::npos) << e.reasons[1];
  // What sets the clearance is named: here the agreement (the organisation's own is SECRET).
  EXPECT_NE(e.reasons[1].find("set by the classification ceiling (RESTRICTED) of the agreement "
                              "with eu-partner"),
            std::string::npos)
      << e.reasons[1];
  // With no agreement and no clearance of its own, an organisation has this node's
  // accreditation, and the explanation says so rather than blaming an agreement.
  PolicyOptions options;
  options.accreditation = Classification::kRestricted;
  PolicyGate local(options, gate_->registry());
  Explanation l = local.Explain({"x", "someone", false}, Object({kGreen, Id(secret_nato_)}));
  ASSERT_GE(l.reasons.size(), 1u);
  EXPECT_NE(l.reasons[0].find("set by this node's accreditation ([policy] accreditation)"),
            std::string::npos)
      << l.reasons[0];
  EXPECT_NE(e.reasons[2].find("{NATO}"), std::string::npos) << e.reasons[2];
  EXPECT_EQ(e.label.ToString(), "TLP:AMBER, secret, REL TO {NATO}");
}

}  // namespace
}  // namespace ctihub::policy
