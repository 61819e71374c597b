#include "ingest/stix_upgrade.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "stix/validator.h"

namespace ctihub::ingest {
namespace {

size_t Errors(const std::string& json, std::string* dump) {
  stix::Validator validator;
  size_t errors = 0;
  validator.ValidateText(json, [&](const stix::Finding& f) {
    if (f.severity == stix::Severity::kError) {
      ++errors;
      *dump += f.rule + " " + f.pointer + ": " + f.message + "\n";
    }
  });
  return errors;
}

TEST(StixUpgrade, MalwareGetsSpecVersionTypesAndIsFamily) {
  ConversionStats stats;
  auto out = UpgradeStix20Object(
      R"({"type":"malware","id":"malware--b42378e0-f147-496f-992a-26a49705395b","created":"2017-05-31T21:32:15.263Z","modified":"2017-05-31T21:32:15.263Z","name":"PoisonIvy","labels":["remote-access-trojan"]})",
      &stats);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out,
            R"({"type":"malware","spec_version":"2.1","id":"malware--b42378e0-f147-496f-992a-26a49705395b","created":"2017-05-31T21:32:15.263Z","modified":"2017-05-31T21:32:15.263Z","name":"PoisonIvy","malware_types":["remote-access-trojan"],"is_family":true})");
  EXPECT_EQ(stats.Get("upgrade.spec_version_added"), 1u);
  EXPECT_EQ(stats.Get("upgrade.labels_to_malware_types"), 1u);
  EXPECT_EQ(stats.Get("upgrade.is_family_added"), 1u);
  std::string dump;
  EXPECT_EQ(Errors(*out, &dump), 0u) << dump;
}

TEST(StixUpgrade, IndicatorGetsPatternTypeAndMillisecondTimestamps) {
  ConversionStats stats;
  auto out = UpgradeStix20Object(
      R"({"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48Z","modified":"2016-04-06T20:03:48.1Z","labels":["malicious-activity"],"pattern":"[ipv4-addr:value = '198.51.100.1']","valid_from":"2016-01-01T00:00:00Z"})",
      &stats);
  ASSERT_TRUE(out.ok());
  EXPECT_NE(out->find(R"("created":"2016-04-06T20:03:48.000Z")"), std::string::npos) << *out;
  EXPECT_NE(out->find(R"("modified":"2016-04-06T20:03:48.100Z")"), std::string::npos) << *out;
  EXPECT_NE(out->find(R"("indicator_types":["malicious-activity"])"), std::string::npos);
  EXPECT_NE(out->find(R"("pattern_type":"stix")"), std::string::npos);
  EXPECT_EQ(stats.Get("upgrade.timestamp_precision"), 2u);
  std::string dump;
  EXPECT_EQ(Errors(*out, &dump), 0u) << dump;
}

TEST(StixUpgrade, GranularMarkingsOnLabelsFollowThemToTheirNewName) {
  ConversionStats stats;
  auto out = UpgradeStix20Object(
      R"({"type":"malware","id":"malware--b42378e0-f147-496f-992a-26a49705395b","created":"2017-05-31T21:32:15.263Z","modified":"2017-05-31T21:32:15.263Z","name":"PoisonIvy","labels":["remote-access-trojan","backdoor"],"granular_markings":[{"marking_ref":"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82","selectors":["labels","labels.[1]","name"]}]})",
      &stats);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_NE(out->find(R"("selectors":["malware_types","malware_types.[1]","name"])"),
            std::string::npos)
      << *out;
  EXPECT_EQ(stats.Get("upgrade.selector_renamed"), 2u);
  std::string dump;
  EXPECT_EQ(Errors(*out, &dump), 0u) << dump;
}

TEST(StixUpgrade, CustomPropertyNamesWithCapitalsAreLowerCased) {
  ConversionStats stats;
  auto out = UpgradeStix20Object(
      R"({"type":"attack-pattern","id":"attack-pattern--0042a9f5-f053-4769-b3ef-9ad018dfa298","created":"2020-01-14T17:18:32.126Z","modified":"2020-01-14T17:18:32.126Z","name":"x","x_ACME_Score":5,"x_Ab":1,"x_aB":2,"granular_markings":[{"marking_ref":"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82","selectors":["x_ACME_Score"]}]})",
      &stats);
  ASSERT_TRUE(out.ok());
  EXPECT_NE(out->find(R"("x_acme_score":5)"), std::string::npos) << *out;
  // The selector follows the property; of two names that lower-case alike, the second keeps its
  // own (and is refused as 2.1 would refuse it, not written as a duplicate key).
  EXPECT_NE(out->find(R"("selectors":["x_acme_score"])"), std::string::npos) << *out;
  EXPECT_NE(out->find(R"("x_ab":1,"x_aB":2)"), std::string::npos) << *out;
  EXPECT_EQ(stats.Get("upgrade.property_name_lowercased"), 2u);
  EXPECT_EQ(stats.Get("upgrade.selector_renamed"), 1u);
  out = UpgradeStix20Object(
      R"({"type":"attack-pattern","id":"attack-pattern--0042a9f5-f053-4769-b3ef-9ad018dfa298","created":"2020-01-14T17:18:32.126Z","modified":"2020-01-14T17:18:32.126Z","name":"x","x_ACME_Score":5,"granular_markings":[{"marking_ref":"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82","selectors":["x_ACME_Score"]}]})",
      &stats);
  ASSERT_TRUE(out.ok());
  std::string dump;
  EXPECT_EQ(Errors(*out, &dump), 0u) << dump;
}

TEST(StixUpgrade, LabelsStayWhereTheyMeanTheSame) {
  ConversionStats stats;
  auto out = UpgradeStix20Object(
      R"({"type":"attack-pattern","id":"attack-pattern--0042a9f5-f053-4769-b3ef-9ad018dfa298","created":"2020-01-14T17:18:32.126Z","modified":"2020-01-14T17:18:32.126Z","name":"x","labels":["a"]})",
      &stats);
  ASSERT_TRUE(out.ok());
  EXPECT_NE(out->find(R"("labels":["a"])"), std::string::npos);
}

TEST(StixUpgrade, RejectsNonObjectsAnd21Content) {
  ConversionStats stats;
  EXPECT_FALSE(UpgradeStix20Object("[1]", &stats).ok());
  EXPECT_FALSE(UpgradeStix20Object("{", &stats).ok());
  EXPECT_FALSE(UpgradeStix20Object(R"({"type":"x-a","spec_version":"2.1"})", &stats).ok());
}

// A 2.0 observed-data's `objects` dictionary becomes 2.1 SCOs named by object_refs (2.1 §4.13:
// `objects` is deprecated, and references in it must be ids). The ids are those python-stix2
// derives (checked with v3.0.2), references follow them, 2.0 names take their 2.1 form.
TEST(StixUpgrade, ObservedDataObjectsBecomeScosNamedByObjectRefs) {
  ConversionStats stats;
  std::vector<std::string> scos;
  auto out = UpgradeStix20Object(
      R"({"type":"observed-data","id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf","created":"2016-04-06T19:58:16.000Z","modified":"2016-04-06T19:58:16.000Z","first_observed":"2015-12-21T19:00:00Z","last_observed":"2015-12-21T19:00:00Z","number_observed":50,"objects":{"0":{"type":"ipv4-addr","value":"198.51.100.3"},"1":{"type":"ipv4-addr","value":"203.0.113.9"},"2":{"type":"network-traffic","src_ref":"0","dst_ref":"1","dst_port":443,"protocols":["tcp"]},"3":{"type":"file","hashes":{"SHA-256":"fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db"},"name":"x.exe","created":"2016-01-01T00:00:00Z","is_encrypted":true}}})",
      &stats, &scos);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(scos.size(), 4u);
  EXPECT_EQ(
      scos[0],
      R"({"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","value":"198.51.100.3"})");
  EXPECT_EQ(
      scos[2],
      R"({"type":"network-traffic","spec_version":"2.1","id":"network-traffic--0e06a3ea-d052-563f-bfa2-b2c000e62e9c","src_ref":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","dst_ref":"ipv4-addr--39090fdc-366e-571f-ab5b-d05e2918f88f","dst_port":443,"protocols":["tcp"]})");
  // created → ctime; is_encrypted (gone from 2.1) kept as a custom property.
  EXPECT_EQ(
      scos[3],
      R"({"type":"file","spec_version":"2.1","id":"file--6c90e676-0ab6-5dfe-ad1a-96cd450f9b5f","hashes":{"SHA-256":"fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db"},"name":"x.exe","ctime":"2016-01-01T00:00:00Z","x_stix20_is_encrypted":true})");
  EXPECT_NE(
      out->find(
          R"("number_observed":50,"object_refs":["ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","ipv4-addr--39090fdc-366e-571f-ab5b-d05e2918f88f","network-traffic--0e06a3ea-d052-563f-bfa2-b2c000e62e9c","file--6c90e676-0ab6-5dfe-ad1a-96cd450f9b5f"]})"),
      std::string::npos)
      << *out;
  EXPECT_EQ(out->find("\"objects\""), std::string::npos) << *out;
  EXPECT_EQ(stats.Get("upgrade.observables_extracted"), 4u);
  EXPECT_EQ(stats.Get("upgrade.observable_property_renamed"), 2u);
  std::string dump;
  EXPECT_EQ(Errors(*out, &dump), 0u) << dump;
  for (const std::string& sco : scos) EXPECT_EQ(Errors(sco, &dump), 0u) << dump;
  // Without somewhere to put them, the observables are not dropped silently.
  EXPECT_FALSE(
      UpgradeStix20Object(
          R"({"type":"observed-data","id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf","objects":{"0":{"type":"ipv4-addr","value":"198.51.100.3"}}})",
          &stats)
          .ok());
}

// The observables carry the observed-data's markings: its object markings, and granular ones
// that select them ("objects.K" whole, "objects.K.path" a part); an observable's entry in
// object_refs is marked too, since its id is a hash of its value.
TEST(StixUpgrade, ObservablesCarryTheMarkingsOfTheirObservedData) {
  constexpr std::string_view kGreen = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";
  constexpr std::string_view kRed = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed";
  ConversionStats stats;
  std::vector<std::string> scos;
  auto out = UpgradeStix20Object(
      R"({"type":"observed-data","id":"observed-data--c67d30ff-02ac-498a-92f9-32f845f448cf","created":"2016-04-06T19:58:16.000Z","modified":"2016-04-06T19:58:16.000Z","first_observed":"2015-12-21T19:00:00Z","last_observed":"2015-12-21T19:00:00Z","number_observed":1,"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],"granular_markings":[{"marking_ref":"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed","selectors":["objects.1.value","number_observed"]},{"marking_ref":"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed","selectors":["objects.2"]}],"objects":{"0":{"type":"domain-name","value":"public.example"},"1":{"type":"email-addr","value":"victim@example.org"},"2":{"type":"process","pid":1221,"name":"evil.exe","created":"2016-01-20T14:11:25.55Z"}}})",
      &stats, &scos);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(scos.size(), 3u);
  const std::string green = "\"object_marking_refs\":[\"" + std::string(kGreen) + "\"]";
  EXPECT_NE(scos[0].find(green), std::string::npos) << scos[0];
  EXPECT_EQ(scos[0].find("granular_markings"), std::string::npos) << scos[0];
  EXPECT_NE(scos[1].find(green + ",\"granular_markings\":[{\"marking_ref\":\"" + std::string(kRed) +
                         "\",\"selectors\":[\"value\"]}]"),
            std::string::npos)
      << scos[1];
  EXPECT_NE(scos[2].find("\"object_marking_refs\":[\"" + std::string(kGreen) + "\",\"" +
                         std::string(kRed) + "\"]"),
            std::string::npos)
      << scos[2];
  // A process has no ID contributing properties: a UUIDv5 of the observed-data version and key,
  // the same on every import.
  std::vector<std::string> again;
  ASSERT_TRUE(
      UpgradeStix20Object(
          R"({"type":"observed-data","id":"observed-data--c67d30ff-02ac-498a-92f9-32f845f448cf","modified":"2016-04-06T19:58:16.000Z","objects":{"2":{"type":"process","pid":1}}})",
          &stats, &again)
          .ok());
  const size_t id_end = scos[2].find(",\"pid\"");
  EXPECT_EQ(scos[2].substr(0, id_end), again[0].substr(0, id_end));
  EXPECT_NE(out->find("\"granular_markings\":[{\"marking_ref\":\"" + std::string(kRed) +
                      "\",\"selectors\":[\"number_observed\",\"object_refs.[1]\"]},"
                      "{\"marking_ref\":\"" +
                      std::string(kRed) + "\",\"selectors\":[\"object_refs.[2]\"]}]"),
            std::string::npos)
      << *out;
  std::string dump;
  EXPECT_EQ(Errors(*out, &dump), 0u) << dump;
  for (const std::string& sco : scos) EXPECT_EQ(Errors(sco, &dump), 0u) << dump;
}

TEST(StixUpgrade, ObservedDataReferringToNoObservableIsRefused) {
  ConversionStats stats;
  std::vector<std::string> scos;
  auto out = UpgradeStix20Object(
      R"({"type":"observed-data","id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf","objects":{"0":{"type":"network-traffic","src_ref":"7","protocols":["tcp"]}}})",
      &stats, &scos);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "objects.0.src_ref: '7' names no object of 'objects'");
  out = UpgradeStix20Object(
      R"({"type":"observed-data","id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf","granular_markings":[{"marking_ref":"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed","selectors":["objects.9.value"]}],"objects":{"0":{"type":"ipv4-addr","value":"198.51.100.3"}}})",
      &stats, &scos);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("'objects.9.value' names no object"), std::string::npos)
      << out.status().message();
  EXPECT_TRUE(scos.empty());
}

// The whole of ATT&CK Enterprise (24,771 objects, STIX 2.0) upgrades to valid STIX 2.1.
TEST(StixUpgrade, AttackEnterpriseUpgradesToValid21) {
  namespace fs = std::filesystem;
  fs::path xz = fs::path(CTIHUB_SHARED_DATA) / "stix/attack/enterprise-attack-stix2.0-reassembled.json.xz";
  if (!fs::exists(xz)) GTEST_SKIP() << "../shared/data is absent; shared-data tests skipped";
  auto reader = stix::ObjectReader::OpenFile(xz.string());
  ASSERT_TRUE(reader.ok());
  ConversionStats stats;
  stix::Validator validator;
  size_t objects = 0, errors = 0;
  std::string first_errors;
  stix::RawObject raw;
  for (;;) {
    auto more = (*reader)->Next(&raw);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    if (!*more) break;
    auto up = UpgradeStix20Object(raw.text, &stats);
    ASSERT_TRUE(up.ok()) << up.status().ToString();
    stix::RawObject upgraded;
    upgraded.text = *up;
    upgraded.text.reserve(upgraded.text.size() + 64);
    errors += validator.ValidateObject(upgraded, [&](const stix::Finding& f) {
      if (f.severity == stix::Severity::kError && first_errors.size() < 2000) {
        first_errors += f.object_id + " " + f.rule + " " + f.pointer + ": " + f.message + "\n";
      }
    });
    ++objects;
  }
  EXPECT_EQ(objects, 24771u);
  EXPECT_EQ(errors, 0u) << first_errors;
  EXPECT_EQ(stats.Get("upgrade.spec_version_added"), 24771u);
}

}  // namespace
}  // namespace ctihub::ingest
