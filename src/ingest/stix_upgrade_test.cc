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
