#include "taxii/filters.h"

#include <gtest/gtest.h>

namespace ctihub::taxii {
namespace {

Result<ParsedFilters> Parse(Endpoint e, Params p, std::string_view id = {}) {
  return ParseFilters(e, p, FilterLimits{}, id);
}

TEST(TaxiiFilters, DefaultsAreLatestVersionAndTheServerPageSize) {
  auto f = Parse(Endpoint::kObjects, {});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->query.versions.last);
  EXPECT_FALSE(f->query.versions.all);
  EXPECT_EQ(f->query.limit, 1000u);
  EXPECT_TRUE(f->query.with_text);
  EXPECT_FALSE(Parse(Endpoint::kManifest, {})->query.with_text);
}

TEST(TaxiiFilters, CommaListsGiveSeveralValues) {
  auto f = Parse(Endpoint::kObjects, {{"match[type]", "indicator,malware,tool"},
                                      {"match[id]", "indicator--1"}});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->query.types, (std::vector<std::string>{"indicator", "malware", "tool"}));
  EXPECT_EQ(f->query.ids, (std::vector<std::string>{"indicator--1"}));
}

// TAXII 2.1 §3.4: a field MUST NOT occur more than once; all=… with others is malformed.
TEST(TaxiiFilters, RepeatedFieldsAndAllWithOthersAreRefused) {
  auto repeated = Parse(Endpoint::kObjects, {{"match[type]", "indicator"},
                                             {"match[type]", "malware"}});
  ASSERT_FALSE(repeated.ok());
  EXPECT_NE(repeated.status().message().find("more than once"), std::string::npos);
  EXPECT_FALSE(Parse(Endpoint::kObjects, {{"match[version]", "all,first"}}).ok());
  EXPECT_TRUE(Parse(Endpoint::kObjects, {{"match[version]", "all"}}).ok());
}

TEST(TaxiiFilters, VersionSelectorsFormAUnion) {
  auto f = Parse(Endpoint::kObjects, {{"match[version]", "first,2020-01-01T00:00:00.000Z,last"}});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->query.versions.first);
  EXPECT_TRUE(f->query.versions.last);
  EXPECT_FALSE(f->query.versions.all);
  ASSERT_EQ(f->query.versions.at.size(), 1u);
  EXPECT_EQ(f->query.versions.at[0], 1577836800000000);
}

TEST(TaxiiFilters, VersionsAndDeleteDefaultToAllVersions) {
  EXPECT_TRUE(Parse(Endpoint::kVersions, {}, "x--1")->query.versions.all);
  EXPECT_TRUE(Parse(Endpoint::kDeleteObject, {}, "x--1")->query.versions.all);
  EXPECT_EQ(Parse(Endpoint::kObject, {}, "x--1")->query.ids, std::vector<std::string>{"x--1"});
}

TEST(TaxiiFilters, BadValuesNameTheParameter) {
  struct Case {
    Params params;
    std::string expected;
  } cases[] = {
      {{{"limit", "0"}}, "limit must be a positive integer"},
      {{{"limit", "ten"}}, "limit must be a positive integer"},
      {{{"limit", "5"}, {"limit", "6"}}, "limit is given more than once"},
      {{{"added_after", "yesterday"}}, "added_after must be a timestamp"},
      {{{"match[version]", "newest"}}, "match[version] values are first, last, all"},
      {{{"match[type]", "indicator,,malware"}}, "empty list element"},
      {{{"match[spec_version]", "2.1.0"}}, "match[spec_version] values look like 2.1"},
      {{{"match[colour]", "red"}}, "match[colour] is not supported"},
      {{{"next", "abc"}}, "not a paging token"},
  };
  for (const Case& c : cases) {
    auto f = Parse(Endpoint::kObjects, c.params);
    ASSERT_FALSE(f.ok()) << c.expected;
    EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(f.status().message().find(c.expected), std::string::npos) << f.status().message();
  }
}

TEST(TaxiiFilters, FiltersThatDoNotApplyToAnEndpointAreRejected) {
  EXPECT_FALSE(Parse(Endpoint::kObject, {{"match[type]", "indicator"}}, "x--1").ok());
  EXPECT_FALSE(Parse(Endpoint::kVersions, {{"match[version]", "all"}}, "x--1").ok());
  EXPECT_TRUE(Parse(Endpoint::kObjects, {{"unrelated", "1"}}).ok());
}

TEST(TaxiiFilters, LimitAboveTheMaximumIsLowered) {
  EXPECT_EQ(Parse(Endpoint::kObjects, {{"limit", "999999999"}})->query.limit, 10000u);
}

TEST(TaxiiFilters, NextTokenRoundTripsForTheSameFilters) {
  Params params{{"match[type]", "indicator"}, {"added_after", "2020-01-01T00:00:00Z"}};
  auto first = Parse(Endpoint::kObjects, params);
  ASSERT_TRUE(first.ok());
  std::string token = EncodeNextToken({1234567, 89}, first->fingerprint);
  params.emplace_back("next", token);
  params.emplace_back("limit", "10");  // the page size may change between pages
  auto second = Parse(Endpoint::kObjects, params);
  ASSERT_TRUE(second.ok()) << second.status().message();
  ASSERT_TRUE(second->query.after.has_value());
  EXPECT_EQ(*second->query.after, (store::Cursor{1234567, 89}));
}

TEST(TaxiiFilters, NextTokenFromOtherFiltersIsRefused) {
  auto first = Parse(Endpoint::kObjects, {{"match[type]", "indicator"}});
  std::string token = EncodeNextToken({1, 2}, first->fingerprint);
  auto other = Parse(Endpoint::kObjects, {{"match[type]", "malware"}, {"next", token}});
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("other filters"), std::string::npos);
  // The same token on another object's versions is refused as well.
  auto v1 = Parse(Endpoint::kVersions, {}, "x--1");
  std::string vt = EncodeNextToken({1, 2}, v1->fingerprint);
  EXPECT_TRUE(Parse(Endpoint::kVersions, {{"next", vt}}, "x--1").ok());
  EXPECT_FALSE(Parse(Endpoint::kVersions, {{"next", vt}}, "x--2").ok());
}

TEST(TaxiiFilters, TamperedTokensAreRefused) {
  auto f = Parse(Endpoint::kObjects, {});
  std::string token = EncodeNextToken({1, 2}, f->fingerprint);
  for (std::string bad : {token.substr(1), token + "0", std::string("ct2") + token.substr(3),
                          token.substr(0, 10) + "g" + token.substr(11)}) {
    EXPECT_FALSE(Parse(Endpoint::kObjects, {{"next", bad}}).ok()) << bad;
  }
}

}  // namespace
}  // namespace ctihub::taxii
