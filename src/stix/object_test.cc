#include "stix/object.h"

#include <simdjson.h>

#include <gtest/gtest.h>

namespace ctihub::stix {
namespace {

ObjectVersion Extract(const std::string& text) {
  simdjson::dom::parser parser;
  Result<ObjectVersion> v = ExtractObjectVersion(parser, text);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *v : ObjectVersion{};
}

const char kV1[] = R"({"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","created_by_ref":"identity--c3b0f2d8-3a55-4a8e-a7a3-5f1f6f0c9e11","confidence":80,"object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],"granular_markings":[{"selectors":["name"],"marking_ref":"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"}],"name":"x","pattern":"[a:b = 1]","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"})";

TEST(ObjectVersion, ExtractsIndexedFieldsAndKeepsExactText) {
  ObjectVersion v = Extract(kV1);
  EXPECT_EQ(v.text, kV1);
  EXPECT_EQ(v.id, "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
  EXPECT_EQ(v.type, "indicator");
  EXPECT_EQ(v.category, ObjectCategory::kSdo);
  EXPECT_EQ(v.spec_version, "2.1");
  EXPECT_EQ(v.created_by_ref, "identity--c3b0f2d8-3a55-4a8e-a7a3-5f1f6f0c9e11");
  ASSERT_TRUE(v.confidence.has_value());
  EXPECT_EQ(*v.confidence, 80);
  ASSERT_EQ(v.object_marking_refs.size(), 1u);
  ASSERT_EQ(v.granular_markings.size(), 1u);
  EXPECT_EQ(v.granular_markings[0].selectors[0], "name");
  EXPECT_EQ(v.granular_markings[0].marking_ref, "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1");
  EXPECT_FALSE(v.revoked);
  EXPECT_TRUE(v.versioned());
  EXPECT_EQ(v.modified_text, "2016-04-06T20:03:48.000Z");
}

TEST(ObjectVersion, LaterModifiedIsNewerVersion) {
  std::string v2_text = kV1;
  v2_text.replace(v2_text.find("\"modified\":\"2016-04-06T20:03:48.000Z\""), 37,
                  "\"modified\":\"2016-04-07T00:00:00.000Z\"");
  ObjectVersion v1 = Extract(kV1);
  ObjectVersion v2 = Extract(v2_text);
  EXPECT_TRUE(IsNewerVersion(v2, v1));
  EXPECT_FALSE(IsNewerVersion(v1, v2));
  EXPECT_FALSE(IsSameVersion(v1, v2));
  EXPECT_TRUE(IsSameVersion(v1, Extract(kV1)));
}

TEST(ObjectVersion, DifferentIdsAreNeverVersionsOfEachOther) {
  std::string other = kV1;
  other.replace(other.find("8e2e2d2b"), 8, "9e2e2d2b");
  EXPECT_FALSE(IsNewerVersion(Extract(other), Extract(kV1)));
  EXPECT_FALSE(IsSameVersion(Extract(other), Extract(kV1)));
}

TEST(ObjectVersion, ScosAreUnversioned) {
  ObjectVersion a = Extract(R"({"type":"ipv4-addr","id":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","value":"198.51.100.3"})");
  ObjectVersion b = Extract(R"({"type":"ipv4-addr","id":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","value":"198.51.100.3","defanged":false})");
  EXPECT_EQ(a.category, ObjectCategory::kSco);
  EXPECT_FALSE(a.versioned());
  EXPECT_TRUE(IsSameVersion(a, b));
  EXPECT_FALSE(IsNewerVersion(b, a));
}

TEST(ObjectVersion, RevokedIsExtracted) {
  std::string text = kV1;
  text.insert(1, "\"revoked\":true,");
  EXPECT_TRUE(Extract(text).revoked);
}

TEST(ObjectVersion, RejectsNonObjectsAndMissingIdentity) {
  simdjson::dom::parser parser;
  EXPECT_FALSE(ExtractObjectVersion(parser, "[1]").ok());
  EXPECT_FALSE(ExtractObjectVersion(parser, R"({"type":"indicator"})").ok());
  EXPECT_FALSE(ExtractObjectVersion(parser, "{").ok());
}

}  // namespace
}  // namespace ctihub::stix
