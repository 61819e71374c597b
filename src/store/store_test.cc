#include "store/store.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "store/release_gate.h"
#include "store/sqlite/sqlite_store.h"

namespace ctihub::store {
namespace {

namespace fs = std::filesystem;

stix::ObjectVersion Version(const std::string& json) {
  static simdjson::dom::parser parser;
  Result<stix::ObjectVersion> v = stix::ExtractObjectVersion(parser, json);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return *v;
}

std::string Indicator(std::string_view uuid, std::string_view modified,
                      std::string_view name = "x", std::string_view marking = "") {
  std::string markings =
      marking.empty() ? "" : R"(,"object_marking_refs":[")" + std::string(marking) + R"("])";
  return R"({"type":"indicator","spec_version":"2.1","id":"indicator--)" + std::string(uuid) +
         R"(","created":"2020-01-01T00:00:00.000Z","modified":")" + std::string(modified) +
         R"(","name":")" + std::string(name) +
         R"(","pattern":"[ipv4-addr:value = '1.2.3.4']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z")" +
         markings + "}";
}

constexpr char kA[] = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
constexpr char kB[] = "9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
constexpr char kGreen[] = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
constexpr char kRed[] = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

// Every semantic test runs against both backends: the fake must behave like SQLite.
class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    RegisterSqliteBackend();
    std::string uri = GetParam();
    if (uri == "sqlite") {
      static int counter = 0;
      path_ = fs::temp_directory_path() / ("ctihub-store-test-" + std::to_string(::getpid()) +
                                           "-" + std::to_string(++counter) + ".db");
      fs::remove(path_);
      uri = "sqlite:" + path_.string();
    }
    auto opened = Store::Open(uri);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    auto c = store_->EnsureCollection("feeds");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    collection_ = c->id;
  }
  void TearDown() override {
    if (store_) {
      EXPECT_TRUE(store_->Check().ok()) << store_->Check().ToString();
    }
    store_.reset();
    if (!path_.empty()) {
      for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_.string() + suffix);
    }
  }
  PutResult Put(std::vector<std::string> jsons) {
    std::vector<stix::ObjectVersion> batch;
    for (const std::string& j : jsons) batch.push_back(Version(j));
    auto r = store_->Put(collection_, batch);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : PutResult{};
  }
  Page List(Query q) {
    auto p = store_->List(collection_, q);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? *p : Page{};
  }

  fs::path path_;
  std::unique_ptr<Store> store_;
  std::string collection_;
};

TEST_P(StoreTest, ReturnsExactTextByteForByte) {
  std::string text = Indicator(kA, "2020-01-01T00:00:00.000Z");
  text.insert(1, " \n ");  // whitespace the hub must not normalise away
  Put({text});
  auto got = store_->Get(collection_, std::string("indicator--") + kA);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].text, text);
}

TEST_P(StoreTest, IdenticalResubmissionIsADuplicate) {
  std::string text = Indicator(kA, "2020-01-01T00:00:00.000Z");
  EXPECT_EQ(Put({text}).added, 1u);
  PutResult again = Put({text});
  EXPECT_EQ(again.duplicates, 1u);
  EXPECT_EQ(again.added, 0u);
  EXPECT_EQ(List(Query{}).objects.size(), 1u);
}

// The same JSON written another way (key order, whitespace, escapes, number spelling) is the
// same version: a duplicate, not a conflict — for SDOs, SCOs and marking-definitions alike.
TEST_P(StoreTest, TheSameVersionWrittenAnotherWayIsADuplicate) {
  const std::string text = Indicator(kA, "2020-01-01T00:00:00.000Z");
  ASSERT_EQ(Put({text}).added, 1u);
  // Keys reversed, spaces added, a character escaped.
  std::string reordered = R"({ "valid_from" : "2020-01-01T00:00:00Z", "pattern_type":"stix", "pattern":"[ipv4-addr:value = '1.2.3.4']", "name":"\u0078", "modified":"2020-01-01T00:00:00.000Z", "created":"2020-01-01T00:00:00.000Z", "id":"indicator--)" +
                          std::string(kA) + R"(", "spec_version":"2.1", "type":"indicator" })";
  PutResult again = Put({reordered});
  EXPECT_EQ(again.duplicates, 1u);
  EXPECT_EQ(again.rejected, 0u) << again.reasons[0];
  // Changed content under the same version is still a conflict.
  std::string changed = reordered;
  changed.replace(changed.find("\\u0078"), 6, "y");
  EXPECT_EQ(Put({changed}).rejected, 1u);
  const std::string sco = R"({"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"})";
  ASSERT_EQ(Put({sco}).added, 1u);
  EXPECT_EQ(Put({R"({"value":"198.51.100.3","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","spec_version":"2.1","type":"ipv4-addr"})"}).duplicates, 1u);
  const std::string tlp = R"({"type":"marking-definition","spec_version":"2.1","id":"marking-definition--0badc0de-0000-4000-8000-0000000000aa","created":"2020-01-01T00:00:00.000Z","definition_type":"statement","definition":{"statement":"x"}})";
  ASSERT_EQ(Put({tlp}).added, 1u);
  EXPECT_EQ(Put({R"({"definition":{"statement":"x"},"definition_type":"statement","created":"2020-01-01T00:00:00.000Z","id":"marking-definition--0badc0de-0000-4000-8000-0000000000aa","spec_version":"2.1","type":"marking-definition"})"}).duplicates, 1u);
  EXPECT_EQ(List(Query{}).objects.size(), 3u);
}

TEST_P(StoreTest, SameVersionWithDifferentContentIsRejected) {
  Put({Indicator(kA, "2020-01-01T00:00:00.000Z", "one")});
  PutResult r = Put({Indicator(kA, "2020-01-01T00:00:00.000Z", "two")});
  EXPECT_EQ(r.rejected, 1u);
  EXPECT_NE(r.reasons[0].find("new modified"), std::string::npos) << r.reasons[0];
}

// A new version under another creator (someone "revoking" or rewriting another's object) is
// refused, whichever version arrived first; the creator's own new version goes in.
TEST_P(StoreTest, ANewVersionMayNotChangeItsCreator) {
  auto by = [](std::string json, std::string_view identity) {
    json.insert(json.size() - 1, R"(,"created_by_ref":")" + std::string(identity) + "\"");
    return json;
  };
  const char kOwner[] = "identity--11111111-1111-4111-8111-111111111111";
  const char kOther[] = "identity--22222222-2222-4222-8222-222222222222";
  Put({by(Indicator(kA, "2020-02-01T00:00:00.000Z", "v2"), kOwner)});
  PutResult r = Put({by(Indicator(kA, "2020-03-01T00:00:00.000Z", "hijack"), kOther),
                     Indicator(kA, "2020-04-01T00:00:00.000Z", "anonymous"),
                     by(Indicator(kA, "2020-01-01T00:00:00.000Z", "older, other"), kOther),
                     by(Indicator(kA, "2020-05-01T00:00:00.000Z", "v3"), kOwner)});
  EXPECT_EQ(r.rejected, 3u);
  EXPECT_EQ(r.new_versions, 1u);
  ASSERT_EQ(r.reasons.size(), 4u);
  EXPECT_NE(r.reasons[0].find("changes created_by_ref ('" + std::string(kOwner) + "' before, '" +
                              kOther + "' now)"),
            std::string::npos)
      << r.reasons[0];
  EXPECT_NE(r.reasons[1].find("changes created_by_ref"), std::string::npos) << r.reasons[1];
  EXPECT_NE(r.reasons[1].find("none now"), std::string::npos) << r.reasons[1];
  auto all = store_->Get(collection_, std::string("indicator--") + kA, VersionMatch::All());
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  for (const StoredObject& o : *all) {
    EXPECT_EQ(o.text.find("hijack"), std::string::npos);
    EXPECT_EQ(o.created_by, kOwner);
  }
}

// STIX 2.1 §3.6: a revoked object gets no later versions (a daily re-import of a feed would
// otherwise bring it back); an older version may still fill in its history.
TEST_P(StoreTest, ARevokedObjectGetsNoLaterVersion) {
  auto revoked = [](std::string json) {
    json.insert(json.size() - 1, R"(,"revoked":true)");
    return json;
  };
  Put({Indicator(kA, "2020-02-01T00:00:00.000Z", "v2"),
       revoked(Indicator(kA, "2020-03-01T00:00:00.000Z", "v3"))});
  PutResult r = Put({Indicator(kA, "2020-04-01T00:00:00.000Z", "back"),
                     revoked(Indicator(kA, "2020-05-01T00:00:00.000Z", "again")),
                     Indicator(kA, "2020-01-01T00:00:00.000Z", "v1")});
  EXPECT_EQ(r.rejected, 2u);
  EXPECT_EQ(r.new_versions, 1u) << "the older one";
  ASSERT_EQ(r.reasons.size(), 3u);
  EXPECT_NE(r.reasons[0].find("comes after version 2020-03-01T00:00:00.000000Z, which revoked "
                              "it: a revoked object gets no later versions"),
            std::string::npos)
      << r.reasons[0];
  EXPECT_NE(r.reasons[1].find("which revoked it"), std::string::npos) << r.reasons[1];
  auto latest = store_->Get(collection_, std::string("indicator--") + kA, VersionMatch{});
  ASSERT_TRUE(latest.ok());
  ASSERT_EQ(latest->size(), 1u);
  EXPECT_TRUE(latest->front().revoked);
}

// STIX 2.1 §3.2: created is that of the first version, whatever version comes when.
TEST_P(StoreTest, ANewVersionMayNotChangeCreated) {
  auto created = [](std::string json, std::string_view when) {
    const std::string from = R"("created":"2020-01-01T00:00:00.000Z")";
    json.replace(json.find(from), from.size(), R"("created":")" + std::string(when) + "\"");
    return json;
  };
  Put({Indicator(kA, "2020-02-01T00:00:00.000Z", "v2")});
  PutResult r =
      Put({created(Indicator(kA, "2020-03-01T00:00:00.000Z", "v3"), "2019-01-01T00:00:00.000Z"),
           created(Indicator(kA, "2020-04-01T00:00:00.000Z", "v4"),
                   "2020-01-01T00:00:00Z"),  // the same instant
           created(Indicator(kA, "2020-01-15T00:00:00.000Z", "v1"), "2020-01-02T00:00:00.000Z")});
  EXPECT_EQ(r.new_versions, 1u);
  EXPECT_EQ(r.rejected, 2u);
  ASSERT_EQ(r.reasons.size(), 3u);
  EXPECT_NE(r.reasons[0].find("changes created (2020-01-01T00:00:00.000Z before, "
                              "2019-01-01T00:00:00.000000Z now)"),
            std::string::npos)
      << r.reasons[0];
  EXPECT_TRUE(r.reasons[1].empty()) << r.reasons[1];
  EXPECT_NE(r.reasons[2].find("changes created"), std::string::npos) << r.reasons[2];
}

// A partner (an origin) versions only what it supplied: not another partner's object, not the
// node's own — whatever created_by_ref it writes. The node's own writers version anything.
TEST_P(StoreTest, APartnerVersionsOnlyWhatItSupplied) {
  const std::string id = std::string("indicator--") + kA;
  auto put = [&](const char* modified, std::string_view origin) {
    auto r = store_->Put(collection_, {Version(Indicator(kA, modified, "v"))}, PutMode::kBestEffort,
                         origin);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : PutResult{};
  };
  EXPECT_EQ(put("2020-01-01T00:00:00.000Z", "nato").added, 1u);
  EXPECT_EQ(put("2020-02-01T00:00:00.000Z", "nato").new_versions, 1u) << "its own";
  PutResult other = put("2020-03-01T00:00:00.000Z", "eu");
  EXPECT_EQ(other.rejected, 1u);
  EXPECT_NE(other.reasons[0].find("comes from eu, but the object here came from nato"),
            std::string::npos)
      << other.reasons[0];
  EXPECT_EQ(put("2020-04-01T00:00:00.000Z", "").new_versions, 1u) << "the node's own writer";
  PutResult after = put("2020-05-01T00:00:00.000Z", "nato");
  EXPECT_EQ(after.rejected, 1u) << "the node versioned it too";
  EXPECT_NE(after.reasons[0].find("came from this node"), std::string::npos) << after.reasons[0];
  EXPECT_EQ(store_->Get(collection_, id, VersionMatch::All())->size(), 3u);
}

TEST_P(StoreTest, NewModifiedIsANewVersionAndLatestFollowsModifiedNotArrival) {
  Put({Indicator(kA, "2020-02-01T00:00:00.000Z", "v2")});
  PutResult r = Put({Indicator(kA, "2020-01-01T00:00:00.000Z", "v1")});  // older, arrives later
  EXPECT_EQ(r.new_versions, 1u);
  std::string id = std::string("indicator--") + kA;
  auto last = store_->Get(collection_, id, VersionMatch::Last());
  ASSERT_EQ(last->size(), 1u);
  EXPECT_NE((*last)[0].text.find("v2"), std::string::npos);
  auto first = store_->Get(collection_, id, VersionMatch::First());
  ASSERT_EQ(first->size(), 1u);
  EXPECT_NE((*first)[0].text.find("v1"), std::string::npos);
  auto all = store_->Get(collection_, id, VersionMatch::All());
  EXPECT_EQ(all->size(), 2u);
  VersionMatch at;
  at.last = false;
  at.at = {Timestamp::Parse("2020-01-01T00:00:00.000Z")->micros()};
  auto specific = store_->Get(collection_, id, at);
  ASSERT_EQ(specific->size(), 1u);
  EXPECT_EQ((*specific)[0].version_text, "2020-01-01T00:00:00.000Z");
}

TEST_P(StoreTest, DateAddedStrictlyIncreasesWithMicrosecondSteps) {
  std::vector<std::string> batch;
  for (int i = 0; i < 50; ++i) {
    char uuid[40];
    std::snprintf(uuid, sizeof(uuid), "%08x-17d4-4cbf-938f-98ee46b3cd3f", i);
    batch.push_back(Indicator(uuid, "2020-01-01T00:00:00.000Z"));
  }
  Put(batch);
  Put({Indicator(kB, "2020-01-01T00:00:00.000Z")});
  Page all = List(Query{});
  ASSERT_EQ(all.objects.size(), 51u);
  for (size_t i = 1; i < all.objects.size(); ++i) {
    EXPECT_GT(all.objects[i].date_added, all.objects[i - 1].date_added);
  }
}

TEST_P(StoreTest, PagesEndEarlyAtTheirByteBudgetAndStillVisitEverything) {
  std::vector<std::string> batch;
  for (int i = 0; i < 10; ++i) {
    char uuid[40];
    std::snprintf(uuid, sizeof(uuid), "%08x-17d4-4cbf-938f-98ee46b3cd3f", i);
    batch.push_back(Indicator(uuid, "2020-01-01T00:00:00.000Z", std::string(400, 'n')));
  }
  Put(batch);
  Query q;
  q.limit = 100;
  q.max_text_bytes = 1000;  // each object is over 500 bytes: two reach it
  std::set<std::string> seen;
  int pages = 0;
  for (;;) {
    Page p = List(q);
    ++pages;
    size_t bytes = 0;
    for (const auto& o : p.objects) {
      seen.insert(o.id);
      bytes += o.text.size();
    }
    EXPECT_LE(p.objects.size(), 2u);
    if (!p.more) break;
    EXPECT_GE(bytes, 1000u);
    q.after = p.next;
  }
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(pages, 5);
  q = Query();
  q.max_text_bytes = 1;  // a page always carries at least one object
  EXPECT_EQ(List(q).objects.size(), 1u);
}

TEST_P(StoreTest, AllowedAndRequiredMarkingsFilterInTheQuery) {
  const std::string green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
  const std::string red = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
  const std::string stmt = "marking-definition--11111111-1111-4111-8111-111111111111";
  Put({Indicator("00000001-17d4-4cbf-938f-98ee46b3cd3f", "2020-01-01T00:00:00.000Z", "unmarked"),
       Indicator("00000002-17d4-4cbf-938f-98ee46b3cd3f", "2020-01-01T00:00:00.000Z", "green",
                 green),
       Indicator("00000003-17d4-4cbf-938f-98ee46b3cd3f", "2020-01-01T00:00:00.000Z", "red", red),
       Indicator("00000004-17d4-4cbf-938f-98ee46b3cd3f", "2020-01-01T00:00:00.000Z", "stmt",
                 stmt)});
  auto names = [&](const Query& q) {
    std::vector<std::string> out;
    for (const StoredObject& o : List(q).objects) {
      out.push_back(o.text.substr(o.text.find("\"name\":\"") + 8, 4));
      EXPECT_EQ(o.markings.empty(), o.text.find("object_marking_refs") == std::string::npos);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  Query q;
  q.allowed_markings = std::vector<std::string>{green, stmt};
  EXPECT_EQ(names(q), (std::vector<std::string>{"gree", "stmt", "unma"}));
  q.include_unmarked = false;
  EXPECT_EQ(names(q), (std::vector<std::string>{"gree", "stmt"}));
  q.required_markings = {{green, red}, {green}};
  EXPECT_EQ(names(q), (std::vector<std::string>{"gree"}));
  q = Query();
  q.allowed_markings = std::vector<std::string>{};  // nothing known: only unmarked objects
  EXPECT_EQ(names(q), (std::vector<std::string>{"unma"}));
  q = Query();
  q.added_until = List(Query()).objects.at(1).date_added;
  EXPECT_EQ(List(q).objects.size(), 2u);
}

// The release gate decides unmarked marking-definitions by what they define: the query leaves
// them in for it, and only them (not unmarked objects of other types, nor marked definitions).
TEST_P(StoreTest, UnmarkedTypesDecidedPassTheMarkingFilter) {
  const std::string green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
  const std::string red = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
  auto definition = [](const std::string& n, const std::string& refs) {
    return R"({"type":"marking-definition","spec_version":"2.1","id":"marking-definition--)" + n +
           R"(-0000-4000-8000-000000000000","created":"2020-01-01T00:00:00.000Z",)"
           R"("definition_type":"statement","definition":{"statement":"s"})" +
           (refs.empty() ? "" : R"(,"object_marking_refs":[")" + refs + R"("])") + "}";
  };
  Put({Indicator("00000001-17d4-4cbf-938f-98ee46b3cd3f", "2020-01-01T00:00:00.000Z", "unmarked"),
       definition("00000001", ""), definition("00000002", red), definition("00000003", green)});
  Query q;
  q.allowed_markings = std::vector<std::string>{green};
  q.include_unmarked = false;
  std::vector<std::string> ids;
  for (const StoredObject& o : List(q).objects) ids.push_back(o.id.substr(0, 28));
  EXPECT_EQ(ids, (std::vector<std::string>{"marking-definition--00000003"}));
  q.unmarked_types_decided = {"marking-definition"};
  ids.clear();
  for (const StoredObject& o : List(q).objects) ids.push_back(o.id.substr(0, 28));
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"marking-definition--00000001",
                                           "marking-definition--00000003"}));
}

TEST_P(StoreTest, GranularMarkingRefsAreListedWithTheObject) {
  const std::string red = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
  std::string with = Indicator("00000001-17d4-4cbf-938f-98ee46b3cd3f", "2020-01-01T00:00:00.000Z", "g");
  with.insert(with.size() - 1, R"(,"granular_markings":[{"selectors":["name"],"marking_ref":")" + red +
                                   R"("},{"selectors":["name"],"lang":"fr"}])");
  Put({with, Indicator("00000002-17d4-4cbf-938f-98ee46b3cd3f", "2020-01-01T00:00:00.000Z", "n")});
  Page p = List(Query());
  ASSERT_EQ(p.objects.size(), 2u);
  for (const StoredObject& o : p.objects) {
    EXPECT_TRUE(o.granular_known);
    EXPECT_TRUE(o.markings.empty()) << "granular refs are not object markings";
    if (o.id.find("00000001") != std::string::npos) {
      EXPECT_EQ(o.granular_refs, std::vector<std::string>{red});
    } else {
      EXPECT_TRUE(o.granular_refs.empty());
    }
  }
}

TEST_P(StoreTest, KeysetPagingVisitsEveryObjectOnce) {
  std::vector<std::string> batch;
  for (int i = 0; i < 25; ++i) {
    char uuid[40];
    std::snprintf(uuid, sizeof(uuid), "%08x-17d4-4cbf-938f-98ee46b3cd3f", i);
    batch.push_back(Indicator(uuid, "2020-01-01T00:00:00.000Z"));
  }
  Put(batch);
  Query q;
  q.limit = 10;
  std::vector<std::string> seen;
  int pages = 0;
  for (;;) {
    Page p = List(q);
    ++pages;
    for (const auto& o : p.objects) seen.push_back(o.id);
    if (!p.more) break;
    ASSERT_TRUE(p.next.has_value());
    q.after = p.next;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 25u);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());
}

TEST_P(StoreTest, AddedAfterIsStrict) {
  PutResult first = Put({Indicator(kA, "2020-01-01T00:00:00.000Z")});
  Put({Indicator(kB, "2020-01-01T00:00:00.000Z")});
  Query q;
  q.added_after = first.last_date_added;
  Page p = List(q);
  ASSERT_EQ(p.objects.size(), 1u);
  EXPECT_EQ(p.objects[0].id, std::string("indicator--") + kB);
}

TEST_P(StoreTest, OriginIsKeptPerVersionAndExcludedOnRequest) {
  auto put = store_->Put(collection_, {Version(Indicator(kA, "2020-01-01T00:00:00.000Z"))},
                         PutMode::kBestEffort, "nato");
  ASSERT_TRUE(put.ok());
  Put({Indicator(kB, "2020-01-01T00:00:00.000Z")});
  // A duplicate from elsewhere does not change where the version came from.
  put = store_->Put(collection_, {Version(Indicator(kA, "2020-01-01T00:00:00.000Z"))},
                    PutMode::kBestEffort, "eu");
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put->duplicates, 1u);
  Page all = List(Query{});
  ASSERT_EQ(all.objects.size(), 2u);
  EXPECT_EQ(all.objects[0].origin, "nato");
  EXPECT_EQ(all.objects[1].origin, "");
  Query q;
  q.exclude_origins = {"nato"};
  Page without = List(q);
  ASSERT_EQ(without.objects.size(), 1u);
  EXPECT_EQ(without.objects[0].id, std::string("indicator--") + kB);
  q.exclude_origins = {"eu"};
  EXPECT_EQ(List(q).objects.size(), 2u);
}

TEST_P(StoreTest, FiltersByTypeIdSpecVersionAndMarking) {
  Put({Indicator(kA, "2020-01-01T00:00:00.000Z", "green", kGreen),
       Indicator(kB, "2020-01-01T00:00:00.000Z", "red", kRed),
       R"({"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","value":"198.51.100.3"})"});
  Query by_type;
  by_type.types = {"ipv4-addr"};
  EXPECT_EQ(List(by_type).objects.size(), 1u);
  Query but_type;
  but_type.exclude_types = {"indicator"};
  Page others = List(but_type);
  ASSERT_EQ(others.objects.size(), 1u);
  EXPECT_EQ(others.objects[0].type, "ipv4-addr");
  but_type.types = {"indicator", "ipv4-addr"};  // both given: the exclusion wins
  EXPECT_EQ(List(but_type).objects.size(), 1u);
  Query by_id;
  by_id.ids = {std::string("indicator--") + kB};
  EXPECT_EQ(List(by_id).objects.size(), 1u);
  Query by_spec;
  by_spec.spec_versions = {"2.0"};
  EXPECT_EQ(List(by_spec).objects.size(), 0u);
  Query up_to_amber;
  up_to_amber.max_tlp = 2;
  up_to_amber.include_unmarked = false;
  Page p = List(up_to_amber);
  ASSERT_EQ(p.objects.size(), 1u);
  EXPECT_EQ(p.objects[0].id, std::string("indicator--") + kA);
  Query by_marking;
  by_marking.marking_refs = {kRed};
  p = List(by_marking);
  ASSERT_EQ(p.objects.size(), 1u);
  EXPECT_EQ(p.objects[0].id, std::string("indicator--") + kB);
}

// A gate that renames every SCO (as sanitization does when it rewrites one).
class RenamingGate final : public ReleaseGate {
 public:
  void Constrain(const Recipient&, Query*) const override {}
  ReleaseDecision Decide(const Recipient&, const StoredObject& o) const override {
    if (o.type != "ipv4-addr") return {ReleaseAction::kRelease, {}, {"ok"}, {}, {}};
    return {ReleaseAction::kReleaseRedacted, "{\"renamed\":true}", {"sanitized"},
            "ipv4-addr--00000000-0000-5000-8000-000000000001", {}};
  }
};

// Asked for by its id here, an object released under another id is not found: answering would
// confirm what the hub holds (SCO ids are computable from their values). Under its new id, or
// without an id filter, it comes under the new id.
TEST_P(StoreTest, AnObjectReleasedUnderAnotherIdIsNotFoundByItsOwn) {
  const std::string sco = "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4";
  Put({Indicator(kA, "2020-01-01T00:00:00.000Z"),
       R"({"type":"ipv4-addr","spec_version":"2.1","id":")" + sco + R"(","value":"198.51.100.3"})"});
  RenamingGate gate;
  OutboundReader reader(*store_, gate);
  Recipient partner{"u", "p", false};
  Query by_old_id;
  by_old_id.ids = {sco};
  ReleaseTally tally;
  auto page = reader.List(collection_, by_old_id, partner, &tally);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->objects.empty());
  EXPECT_EQ(tally.rules["sanitize.renamed-id"], 1u);
  Query both;
  both.ids = {sco, std::string("indicator--") + kA};
  page = reader.List(collection_, both, partner);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].id, std::string("indicator--") + kA);
  page = reader.List(collection_, Query{}, partner);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[1].id, "ipv4-addr--00000000-0000-5000-8000-000000000001");
  EXPECT_EQ(page->objects[1].stored_id, sco);
}

// A gate that withholds what the query cannot exclude (as granular or sanitization rules do).
class WithholdIdsGate final : public ReleaseGate {
 public:
  std::vector<std::string> withheld;
  void Constrain(const Recipient&, Query*) const override {}
  ReleaseDecision Decide(const Recipient&, const StoredObject& o) const override {
    if (std::find(withheld.begin(), withheld.end(), o.id) != withheld.end()) {
      return {ReleaseAction::kWithhold, {}, {"test"}, {}, {}};
    }
    return {ReleaseAction::kRelease, {}, {}, {}, {}};
  }
};

// `more` promises a non-empty next page: were only withheld versions to follow, it would tell the
// recipient that versions it may not see were added after the last it got.
TEST_P(StoreTest, MoreIsNotSaidWhenOnlyWithheldVersionsFollow) {
  std::vector<std::string> objects;
  for (int i = 0; i < 12; ++i) {
    char id[64];
    std::snprintf(id, sizeof id, "%08d-0000-4000-8000-000000000000", i);
    objects.push_back(Indicator(id, "2020-01-01T00:00:00.000Z"));
  }
  Put(objects);
  WithholdIdsGate gate;
  // Released: 0..3; withheld: 4..11 (more than one look ahead reads).
  for (int i = 4; i < 12; ++i) {
    char id[64];
    std::snprintf(id, sizeof id, "indicator--%08d-0000-4000-8000-000000000000", i);
    gate.withheld.push_back(id);
  }
  OutboundReader reader(*store_, gate);
  Recipient partner{"u", "p", false};
  Query q;
  q.limit = 2;
  auto first = reader.List(collection_, q, partner);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->objects.size(), 2u);
  EXPECT_TRUE(first->more) << "two more are released";
  q.after = first->next;
  auto second = reader.List(collection_, q, partner);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->objects.size(), 2u);
  EXPECT_FALSE(second->more) << "only withheld versions follow";
  // One released at the very end: `more` again, and the next page holds it.
  gate.withheld.pop_back();
  second = reader.List(collection_, q, partner);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->more);
  q.after = second->next;
  auto third = reader.List(collection_, q, partner);
  ASSERT_TRUE(third.ok());
  ASSERT_EQ(third->objects.size(), 1u);
  EXPECT_FALSE(third->more);
}

// A gate that withholds some versions ("id@modified"), as a marking raised on a new version does.
class WithholdVersionsGate final : public ReleaseGate {
 public:
  std::vector<std::string> withheld;
  void Constrain(const Recipient&, Query*) const override {}
  ReleaseDecision Decide(const Recipient&, const StoredObject& o) const override {
    if (std::find(withheld.begin(), withheld.end(), o.id + "@" + o.version_text) !=
        withheld.end()) {
      return {ReleaseAction::kWithhold, {}, {"test"}, {}, {}};
    }
    return {ReleaseAction::kRelease, {}, {}, {}, {}};
  }
};

// Listing a whole collection, match[version] first and last are of the versions the recipient
// may receive: an object whose latest version is withheld is listed with its latest released
// one, where that was added, and paging, `more` and the audit tally stay exact.
TEST_P(StoreTest, FirstAndLastOfAWholeCollectionAreTheRecipientsOwn) {
  const std::string a = std::string("indicator--") + kA, b = std::string("indicator--") + kB;
  const char* kC = "ae2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
  const std::string c = std::string("indicator--") + kC;
  const char* v1 = "2020-01-01T00:00:00.000Z";
  const char* v2 = "2020-02-01T00:00:00.000Z";
  for (const std::string& text : {Indicator(kA, v1), Indicator(kB, v1), Indicator(kA, v2),
                                  Indicator(kB, v2), Indicator(kC, v1)}) {
    Put({text});
  }
  Query everything;
  everything.versions = VersionMatch::All();
  Page stored = List(everything);
  ASSERT_EQ(stored.objects.size(), 5u);
  EXPECT_TRUE(stored.objects[0].is_first);
  EXPECT_FALSE(stored.objects[0].is_latest);
  EXPECT_FALSE(stored.objects[2].is_first);
  EXPECT_TRUE(stored.objects[2].is_latest);

  WithholdVersionsGate gate;
  gate.withheld = {a + "@" + v2, b + "@" + v1};
  OutboundReader reader(*store_, gate);
  Recipient partner{"u", "p", false};
  auto listed = [&](const Query& q, ReleaseTally* tally = nullptr) {
    std::vector<std::string> got;
    auto page = reader.List(collection_, q, partner, tally);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (page.ok()) {
      for (const StoredObject& o : page->objects) got.push_back(o.id + "@" + o.version_text);
    }
    return got;
  };
  ReleaseTally tally;
  EXPECT_EQ(listed(Query{}, &tally),
            (std::vector<std::string>{a + "@" + v1, b + "@" + v2, c + "@" + v1}));
  // Asked for the latest versions, the recipient was refused one (a's); b's older version,
  // read only to choose among, is not counted.
  EXPECT_EQ(tally.withheld, 1u);
  EXPECT_EQ(tally.released, 3u);
  EXPECT_EQ(tally.withheld_ids, std::vector<std::string>{a + "@" + v2});
  Query first;
  first.versions = VersionMatch::First();
  EXPECT_EQ(listed(first), (std::vector<std::string>{a + "@" + v1, b + "@" + v2, c + "@" + v1}));
  Query both;
  both.versions.first = true;
  EXPECT_EQ(listed(both), (std::vector<std::string>{a + "@" + v1, b + "@" + v2, c + "@" + v1}));
  // Page by page, one at a time, the same three, and no `more` after the last.
  Query paged;
  paged.limit = 1;
  std::vector<std::string> walked;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = reader.List(collection_, paged, partner);
    ASSERT_TRUE(page.ok());
    for (const StoredObject& o : page->objects) walked.push_back(o.id + "@" + o.version_text);
    if (!page->more) break;
    paged.after = page->next;
  }
  EXPECT_EQ(walked, (std::vector<std::string>{a + "@" + v1, b + "@" + v2, c + "@" + v1}));
  // added_after applies to the version chosen: a's v1 was added first, so it is not listed.
  Query since;
  since.added_after = stored.objects[0].date_added;
  EXPECT_EQ(listed(since), (std::vector<std::string>{b + "@" + v2, c + "@" + v1}));
  // The last released version alone is sent even when an older one is released too.
  gate.withheld = {a + "@" + v2};
  EXPECT_EQ(listed(Query{}), (std::vector<std::string>{a + "@" + v1, b + "@" + v2, c + "@" + v1}));
  gate.withheld = {};
  EXPECT_EQ(listed(Query{}), (std::vector<std::string>{a + "@" + v2, b + "@" + v2, c + "@" + v1}));
  EXPECT_EQ(listed(first), (std::vector<std::string>{a + "@" + v1, b + "@" + v1, c + "@" + v1}));
}

// The index's way to a recipient's last versions: an older version is left out only while its
// object's latest version passes the marking filter, whatever order the versions came in and
// after the latest is deleted.
TEST_P(StoreTest, SupersededVersionsAreSkippedOnlyWhileTheLatestPasses) {
  const std::string green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
  const std::string amber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
  const char* kC = "ae2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
  const char* v1 = "2020-01-01T00:00:00.000Z";
  const char* v2 = "2020-02-01T00:00:00.000Z";
  // a: GREEN then AMBER; b: its AMBER latest first, an older GREEN one after; c: GREEN twice.
  for (const std::string& text :
       {Indicator(kA, v1, "x", green), Indicator(kA, v2, "x", amber), Indicator(kB, v2, "x", amber),
        Indicator(kB, v1, "x", green), Indicator(kC, v1, "x", green),
        Indicator(kC, v2, "x", green)}) {
    Put({text});
  }
  ASSERT_TRUE(store_->Check().ok());
  Query q;
  q.versions = VersionMatch::All();
  q.allowed_markings = std::vector<std::string>{green};
  q.include_unmarked = false;
  q.skip_superseded_when_latest_under = std::vector<std::string>{green};
  auto listed = [&] {
    std::vector<std::string> got;
    for (const StoredObject& o : List(q).objects) got.push_back(o.id.substr(11, 1) + o.version_text);
    return got;
  };
  EXPECT_EQ(listed(), (std::vector<std::string>{std::string("8") + v1, std::string("9") + v1,
                                                std::string("a") + v2}));
  // Under a narrower list than the marking filter's, more is read (c's older version too).
  q.skip_superseded_when_latest_under = std::vector<std::string>{};
  EXPECT_EQ(listed(), (std::vector<std::string>{std::string("8") + v1, std::string("9") + v1,
                                                std::string("a") + v1, std::string("a") + v2}));
  q.skip_superseded_when_latest_under = std::vector<std::string>{green};
  ASSERT_TRUE(store_->Delete(collection_, std::string("indicator--") + kA, VersionMatch::Last()).ok());
  ASSERT_TRUE(store_->Delete(collection_, std::string("indicator--") + kC, VersionMatch::Last()).ok());
  ASSERT_TRUE(store_->Check().ok());
  EXPECT_EQ(listed(), (std::vector<std::string>{std::string("8") + v1, std::string("9") + v1,
                                                std::string("a") + v1}));
}

// kMustExist opens a store that is there and refuses one that is not, without creating a file:
// a mistyped or deleted store must not become an empty one that reads as intact.
TEST(SqliteStore, MustExistRefusesAMissingStoreAndCreatesNothing) {
  RegisterSqliteBackend();
  fs::path dir = fs::temp_directory_path() / ("ctihub-must-exist-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string uri = "sqlite:" + (dir / "hub.db").string();
  auto missing = Store::Open(uri, OpenMode::kMustExist);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "no store at " + (dir / "hub.db").string());
  EXPECT_TRUE(fs::is_empty(dir));
  {
    auto made = Store::Open(uri);  // kCreateIfMissing
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    ASSERT_TRUE((*made)->EnsureCollection("feeds").ok());
  }
  auto there = Store::Open(uri, OpenMode::kMustExist);
  ASSERT_TRUE(there.ok()) << there.status().ToString();
  EXPECT_TRUE((*there)->FindCollection("feeds").ok());
  EXPECT_TRUE(Store::Open("memory:", OpenMode::kMustExist).ok());
  there->reset();
  fs::remove_all(dir);
}

// A latest version with granular markings is judged by the full decision (an invalid one is
// withheld whatever its object markings say), so the version before it is read too.
TEST(SqliteStore, AGranularlyMarkedLatestVersionDoesNotHideTheOneBefore) {
  RegisterSqliteBackend();
  fs::path path = fs::temp_directory_path() / ("ctihub-granular-" + std::to_string(::getpid()) + ".db");
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
  auto st = Store::Open("sqlite:" + path.string());
  ASSERT_TRUE(st.ok());
  const std::string c = (*st)->EnsureCollection("c")->id;
  const std::string green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
  const std::string red = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
  std::string later = Indicator(kA, "2020-02-01T00:00:00.000Z", "x", green);
  later.insert(later.size() - 1,
               R"(,"granular_markings":[{"selectors":["pattern"],"marking_ref":")" + red + "\"}]");
  ASSERT_TRUE((*st)->Put(c, {Version(Indicator(kA, "2020-01-01T00:00:00.000Z", "x", green)),
                             Version(later)}).ok());
  ASSERT_TRUE((*st)->Check().ok());
  Query q;
  q.versions = VersionMatch::All();
  q.allowed_markings = std::vector<std::string>{green};
  q.include_unmarked = false;
  q.skip_superseded_when_latest_under = q.allowed_markings;
  auto page = (*st)->List(c, q);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->objects.size(), 2u) << "both versions are read";
  // Deleting the granular one leaves a latest version the index may judge again.
  ASSERT_TRUE((*st)->Delete(c, std::string("indicator--") + kA, VersionMatch::Last()).ok());
  ASSERT_TRUE((*st)->Check().ok());
  st->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
}

// Versions are told apart to the microsecond: a clash that is only finer than that says so, and a
// fraction of any length is not echoed whole.
TEST_P(StoreTest, AClashWithinOneMicrosecondSaysSo) {
  EXPECT_EQ(Put({Indicator(kA, "2020-01-01T00:00:00.0000001Z", "one")}).added, 1u);
  PutResult r = Put({Indicator(kA, "2020-01-01T00:00:00.0000002Z", "two")});
  ASSERT_EQ(r.rejected, 1u);
  EXPECT_NE(r.reasons[0].find("to the microsecond"), std::string::npos) << r.reasons[0];
  const std::string long_fraction = "2020-01-01T00:00:00.000000" + std::string(5000, '3') + "Z";
  r = Put({Indicator(kA, long_fraction, "three")});
  ASSERT_EQ(r.rejected, 1u);
  EXPECT_LT(r.reasons[0].size(), 400u) << r.reasons[0];
  // A plain clash does not mention it.
  EXPECT_EQ(Put({Indicator(kB, "2020-01-01T00:00:00.000Z", "one")}).added, 1u);
  r = Put({Indicator(kB, "2020-01-01T00:00:00.000Z", "two")});
  ASSERT_EQ(r.rejected, 1u);
  EXPECT_EQ(r.reasons[0].find("microsecond"), std::string::npos) << r.reasons[0];
}

TEST_P(StoreTest, ManifestOmitsText) {
  Put({Indicator(kA, "2020-01-01T00:00:00.000Z")});
  Query q;
  q.with_text = false;
  Page p = List(q);
  ASSERT_EQ(p.objects.size(), 1u);
  EXPECT_TRUE(p.objects[0].text.empty());
  EXPECT_EQ(p.objects[0].version_text, "2020-01-01T00:00:00.000Z");
}

TEST_P(StoreTest, ScosAreStoredOncePerId) {
  std::string sco = R"({"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","value":"198.51.100.3"})";
  EXPECT_EQ(Put({sco}).added, 1u);
  EXPECT_EQ(Put({sco}).duplicates, 1u);
  std::string changed = sco;
  changed.insert(changed.size() - 1, R"(,"defanged":true)");
  EXPECT_EQ(Put({changed}).rejected, 1u);
}

TEST_P(StoreTest, MarkingDefinitionsAreImmutable) {
  std::string tlp = R"({"type":"marking-definition","spec_version":"2.1","id":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":"TLP:GREEN","definition":{"tlp":"green"}})";
  EXPECT_EQ(Put({tlp}).added, 1u);
  std::string changed = tlp;
  changed.replace(changed.find("TLP:GREEN"), 9, "TLP:Green");
  PutResult r = Put({changed});
  EXPECT_EQ(r.rejected, 1u);
  EXPECT_NE(r.reasons[0].find("immutable"), std::string::npos);
}

// A version modified at the epoch is version 0, like an SCO: named by its timestamp all the
// same, for Get and Delete as for List.
TEST_P(StoreTest, AVersionModifiedAtTheEpochCanBeNamedAndDeleted) {
  PutResult put = Put({Indicator(kA, "1970-01-01T00:00:00.000Z"), Indicator(kA, "2020-01-01T00:00:00.000Z"),
                       R"({"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"})"});
  ASSERT_EQ(put.added + put.new_versions, 3u);
  const std::string id = std::string("indicator--") + kA;
  VersionMatch epoch{false, false, false, {0}};
  Query q;
  q.versions = epoch;
  Page at_epoch = List(q);
  ASSERT_EQ(at_epoch.objects.size(), 1u) << "the SCO is named by its date_added, not the epoch";
  EXPECT_EQ(at_epoch.objects[0].id, id);
  const std::string sco = "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd";
  EXPECT_EQ(store_->Get(collection_, sco, epoch)->size(), 0u);
  EXPECT_EQ(*store_->Delete(collection_, sco, epoch), 0u);
  auto got = store_->Get(collection_, id, epoch);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].version, 0);
  auto removed = store_->Delete(collection_, id, epoch);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 1u);
  q.versions = VersionMatch::All();
  EXPECT_EQ(List(q).objects.size(), 2u);
}

TEST_P(StoreTest, RevokedObjectsStayRetrievable) {
  Put({Indicator(kA, "2020-01-01T00:00:00.000Z")});
  std::string revoked = Indicator(kA, "2020-03-01T00:00:00.000Z");
  revoked.insert(1, R"("revoked":true,)");
  Put({revoked});
  auto last = store_->Get(collection_, std::string("indicator--") + kA);
  ASSERT_EQ(last->size(), 1u);
  EXPECT_TRUE((*last)[0].revoked);
}

TEST_P(StoreTest, DeleteMovesTheLatestMark) {
  Put({Indicator(kA, "2020-01-01T00:00:00.000Z", "v1"), Indicator(kA, "2020-02-01T00:00:00.000Z", "v2")});
  std::string id = std::string("indicator--") + kA;
  auto removed = store_->Delete(collection_, id, VersionMatch::Last());
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1u);
  auto last = store_->Get(collection_, id);
  ASSERT_EQ(last->size(), 1u);
  EXPECT_NE((*last)[0].text.find("v1"), std::string::npos);
  EXPECT_EQ(*store_->Delete(collection_, id), 1u);
  EXPECT_TRUE(store_->Get(collection_, id)->empty());
}

TEST_P(StoreTest, DuplicatesWithinOneBatchAreDetected) {
  std::string text = Indicator(kA, "2020-01-01T00:00:00.000Z");
  PutResult r = Put({text, text});
  EXPECT_EQ(r.added, 1u);
  EXPECT_EQ(r.duplicates, 1u);
}

TEST_P(StoreTest, CollectionsAreCreatedListedAndFound) {
  Collection c;
  c.alias = "partners";
  c.title = "Partner feed";
  c.description = "shared with CERT-EU";
  auto created = store_->CreateCollection(c);
  ASSERT_TRUE(created.ok());
  EXPECT_FALSE(created->id.empty());
  EXPECT_EQ(store_->CreateCollection(c).status().code(), StatusCode::kAlreadyExists);
  auto found = store_->FindCollection(created->id);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->title, "Partner feed");
  EXPECT_EQ(found->media_types, std::vector<std::string>{std::string(kStixMediaType)});
  EXPECT_EQ(store_->ListCollections()->size(), 2u);
  EXPECT_EQ(store_->FindCollection("nope").status().code(), StatusCode::kNotFound);
  Collection bad;
  bad.alias = "has space";
  EXPECT_EQ(store_->CreateCollection(bad).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreTest, CollectionsAreSeparate) {
  auto other = store_->EnsureCollection("other");
  ASSERT_TRUE(other.ok());
  Put({Indicator(kA, "2020-01-01T00:00:00.000Z")});
  auto page = store_->List(other->id, Query{});
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->objects.empty());
}

TEST_P(StoreTest, LimitOutOfRangeIsAnError) {
  Query q;
  q.limit = 0;
  EXPECT_EQ(store_->List(collection_, q).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreTest, RecordsAreReplacedAndReadBack) {
  EXPECT_FALSE(store_->GetRecord("status", "a")->has_value());
  ASSERT_TRUE(store_->PutRecord("status", "a", "one").ok());
  ASSERT_TRUE(store_->PutRecord("status", "a", "two").ok());
  ASSERT_TRUE(store_->PutRecord("sync", "a", "other kind").ok());
  EXPECT_EQ(store_->GetRecord("status", "a")->value(), "two");
  EXPECT_EQ(store_->GetRecord("sync", "a")->value(), "other kind");
  EXPECT_EQ(store_->PutRecord("", "a", "x").code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreTest, RecordsBeforeAKeyAreDeletedWithinTheirKindOnly) {
  for (const char* key : {"2024-a", "2025-b", "2026-c"}) {
    ASSERT_TRUE(store_->PutRecord("status", key, "x").ok());
    ASSERT_TRUE(store_->PutRecord("sync", key, "y").ok());
  }
  Result<uint64_t> removed = store_->DeleteRecordsBefore("status", "2026");
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 2u);
  EXPECT_FALSE(store_->GetRecord("status", "2025-b")->has_value());
  EXPECT_TRUE(store_->GetRecord("status", "2026-c")->has_value());
  EXPECT_TRUE(store_->GetRecord("sync", "2024-a")->has_value());
}

TEST_P(StoreTest, RecordsAreListedInKeyOrderWithinTheirKind) {
  for (const char* key : {"c1 b", "c1 a", "c2 a"}) ASSERT_TRUE(store_->PutRecord("k", key, key).ok());
  ASSERT_TRUE(store_->PutRecord("other", "c1 z", "x").ok());
  Result<std::vector<Record>> all = store_->ListRecords("k", "", 10);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(*all, (std::vector<Record>{{"c1 a", "c1 a"}, {"c1 b", "c1 b"}, {"c2 a", "c2 a"}}));
  EXPECT_EQ(*store_->ListRecords("k", "c1 a", 1), (std::vector<Record>{{"c1 b", "c1 b"}}));
  EXPECT_EQ(store_->ListRecords("k", "", 0).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreTest, DeliveriesAreRecordedPerChannelFoundAndForgotten) {
  const Delivery a{"c1", "indicator--a", "indicator--a", "inbox"};
  const Delivery renamed{"c1", "ipv4-addr--b", "ipv4-addr--b2", "inbox"};
  const Delivery other_collection{"c2", "indicator--a", "indicator--a", "inbox"};
  ASSERT_TRUE(store_->RecordDeliveries("push/nato", {a, renamed, other_collection}).ok());
  ASSERT_TRUE(store_->RecordDeliveries("push/nato", {a}).ok());  // twice: harmless
  ASSERT_TRUE(store_->RecordDeliveries("serve/nato", {a}).ok());
  EXPECT_EQ(*store_->Deliveries("push/nato", "c1", "indicator--a"), (std::vector<Delivery>{a}));
  EXPECT_EQ(*store_->Deliveries("push/nato", "c1", "ipv4-addr--b"),
            (std::vector<Delivery>{renamed}));
  EXPECT_TRUE(store_->Deliveries("push/eu", "c1", "indicator--a")->empty());
  EXPECT_TRUE(store_->Deliveries("push/nato", "c1", "indicator--zz")->empty());
  ASSERT_TRUE(store_->ForgetDeliveries("push/nato", {a}).ok());
  EXPECT_TRUE(store_->Deliveries("push/nato", "c1", "indicator--a")->empty());
  EXPECT_EQ(store_->Deliveries("push/nato", "c2", "indicator--a")->size(), 1u);
  EXPECT_EQ(store_->Deliveries("serve/nato", "c1", "indicator--a")->size(), 1u);
  EXPECT_EQ(store_->RecordDeliveries("", {a}).code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreTest, DeletingTheLastVersionLeavesATombstoneInOrder) {
  Put({Indicator(kA, "2020-01-01T00:00:00.000Z", "v1"), Indicator(kA, "2020-02-01T00:00:00.000Z", "v2"),
       Indicator(kB, "2020-01-01T00:00:00.000Z")});
  const std::string a = std::string("indicator--") + kA, b = std::string("indicator--") + kB;
  Collection other = *store_->EnsureCollection("other");
  ASSERT_TRUE(store_->Put(other.id, {Version(Indicator(kA, "2020-01-01T00:00:00.000Z"))}).ok());
  ASSERT_EQ(*store_->Delete(collection_, a, VersionMatch::Last()), 1u);
  EXPECT_TRUE(store_->Tombstones(collection_, 0, 10)->empty()) << "a version remains";
  ASSERT_EQ(*store_->Delete(collection_, b), 1u);
  ASSERT_EQ(*store_->Delete(collection_, a), 1u);
  ASSERT_EQ(*store_->Delete(collection_, a), 0u);  // nothing left: no second tombstone
  Result<std::vector<Tombstone>> marks = store_->Tombstones(collection_, 0, 10);
  ASSERT_TRUE(marks.ok()) << marks.status().ToString();
  ASSERT_EQ(marks->size(), 2u);
  EXPECT_EQ((*marks)[0].id, b);
  EXPECT_EQ((*marks)[1].id, a);
  EXPECT_LT((*marks)[0].seq, (*marks)[1].seq);
  EXPECT_EQ(*store_->Tombstones(collection_, (*marks)[0].seq, 10),
            (std::vector<Tombstone>{(*marks)[1]}));
  EXPECT_TRUE(store_->Tombstones(other.id, 0, 10)->empty()) << "per collection";
  EXPECT_EQ(store_->Get(other.id, a)->size(), 1u);
}

// A deletion is told to those who received the object before it, and not again for an earlier
// delivery: an object deleted, added again (a version the partner never receives) and deleted
// again is not named to that partner the second time; one that received it in between is told.
TEST_P(StoreTest, ADeletionIsToldOnlyToThoseThatReceivedTheObjectSinceTheLastOne) {
  const std::string a = std::string("indicator--") + kA;
  const Delivery to_nato{collection_, a, a, "inbox"};
  Put({Indicator(kA, "2020-01-01T00:00:00.000Z", "v1")});
  ASSERT_TRUE(store_->RecordDeliveries("serve/nato", {to_nato}).ok());
  ASSERT_EQ(*store_->Delete(collection_, a), 1u);
  Put({Indicator(kA, "2020-02-01T00:00:00.000Z", "back, RED")});
  ASSERT_EQ(*store_->Delete(collection_, a), 1u);
  Put({Indicator(kA, "2020-03-01T00:00:00.000Z", "back again")});
  ASSERT_TRUE(store_->RecordDeliveries("serve/nato", {to_nato}).ok());  // read it this time
  ASSERT_EQ(*store_->Delete(collection_, a), 1u);
  Result<std::vector<Tombstone>> marks = store_->Tombstones(collection_, 0, 10);
  ASSERT_TRUE(marks.ok());
  ASSERT_EQ(marks->size(), 3u);
  EXPECT_EQ(*store_->DeliveriesBefore("serve/nato", collection_, (*marks)[0]),
            std::vector<Delivery>{to_nato});
  EXPECT_TRUE(store_->DeliveriesBefore("serve/nato", collection_, (*marks)[1])->empty());
  EXPECT_EQ(*store_->DeliveriesBefore("serve/nato", collection_, (*marks)[2]),
            std::vector<Delivery>{to_nato});
  EXPECT_TRUE(store_->DeliveriesBefore("push/eu", collection_, (*marks)[0])->empty());
  // The ledger still knows every delivery.
  EXPECT_EQ(*store_->Deliveries("serve/nato", collection_, a), std::vector<Delivery>{to_nato});
}

TEST_P(StoreTest, DeleteFromOriginRemovesOnlyThatOriginsVersions) {
  const std::string id = std::string("indicator--") + kA;
  ASSERT_TRUE(store_->Put(collection_, {Version(Indicator(kA, "2020-01-01T00:00:00.000Z"))},
                          PutMode::kBestEffort, "nato").ok());
  ASSERT_TRUE(store_->Put(collection_, {Version(Indicator(kA, "2020-02-01T00:00:00.000Z"))}).ok());
  const std::string sco = R"({"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--)" +
                          std::string(kB) + R"(","value":"198.51.100.7"})";
  ASSERT_TRUE(store_->Put(collection_, {Version(sco)}, PutMode::kBestEffort, "nato").ok());
  EXPECT_EQ(*store_->DeleteFromOrigin(collection_, id, "eu"), 0u);
  EXPECT_EQ(*store_->DeleteFromOrigin(collection_, id, "nato"), 1u);
  ASSERT_EQ(store_->Get(collection_, id, VersionMatch::All())->size(), 1u);
  EXPECT_TRUE(store_->Tombstones(collection_, 0, 10)->empty()) << "the local version stays";
  EXPECT_EQ(*store_->DeleteFromOrigin(collection_, std::string("ipv4-addr--") + kB, "nato"), 1u);
  EXPECT_EQ(store_->Tombstones(collection_, 0, 10)->size(), 1u);
  EXPECT_EQ(store_->DeleteFromOrigin(collection_, id, "").status().code(),
            StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("memory:", "sqlite"));

// A stored text changed behind the store's back (a flipped bit on disk, bytes written in its
// place) is never served as the object: reads fail naming it, and Check lists it.
TEST(StoreOpen, ADamagedStoredTextIsRefusedAndChecked) {
  RegisterSqliteBackend();
  fs::path file =
      fs::temp_directory_path() / ("ctihub-damaged-" + std::to_string(::getpid()) + ".db");
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(file.string() + suffix);
  const std::string damaged = "00000001-17d4-4cbf-938f-98ee46b3cd3f";
  {
    auto st = Store::Open("sqlite:" + file.string());
    ASSERT_TRUE(st.ok());
    std::string c = (*st)->EnsureCollection("c")->id;
    std::vector<stix::ObjectVersion> batch;
    for (const char* uuid :
         {"00000001-17d4-4cbf-938f-98ee46b3cd3f", "00000002-17d4-4cbf-938f-98ee46b3cd3f"}) {
      batch.push_back(Version(Indicator(uuid, "2020-01-01T00:00:00.000Z", "x", "")));
    }
    ASSERT_TRUE((*st)->Put(c, batch).ok());
    EXPECT_TRUE((*st)->Check().ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "UPDATE objects SET json = replace(json, '2020-01-01T00:00:00Z', "
                         "'2020-01-01T00:00:01Z') WHERE id LIKE '%00000001-%'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  ASSERT_EQ(sqlite3_changes(db), 1);
  sqlite3_close(db);
  auto st = Store::Open("sqlite:" + file.string());
  ASSERT_TRUE(st.ok());
  auto got = (*st)->Get("c", "indicator--" + damaged, VersionMatch::All());
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(got.status().message().find("indicator--" + damaged), std::string::npos)
      << got.status().message();
  EXPECT_TRUE(
      (*st)->Get("c", "indicator--00000002-17d4-4cbf-938f-98ee46b3cd3f", VersionMatch::All()).ok());
  Status check = (*st)->Check();
  EXPECT_EQ(check.code(), StatusCode::kDataLoss);
  EXPECT_NE(check.message().find("1 stored object texts are damaged"), std::string::npos)
      << check.message();
  EXPECT_NE(check.message().find(damaged), std::string::npos) << check.message();
}

TEST(StoreOpen, ASchema2StoreIsMigratedToTheCurrentSchema) {
  RegisterSqliteBackend();
  fs::path file = fs::temp_directory_path() / ("ctihub-migrate-" + std::to_string(::getpid()) + ".db");
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(file.string() + suffix);
  const std::string green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
  const std::string amber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
  {
    auto st = Store::Open("sqlite:" + file.string());
    ASSERT_TRUE(st.ok());
    std::string c = (*st)->EnsureCollection("c")->id;
    std::vector<stix::ObjectVersion> batch;
    for (auto [uuid, marking] : {std::pair{"00000001-17d4-4cbf-938f-98ee46b3cd3f", ""},
                                 {"00000002-17d4-4cbf-938f-98ee46b3cd3f", green.c_str()}}) {
      batch.push_back(Version(Indicator(uuid, "2020-01-01T00:00:00.000Z", "x", marking)));
    }
    // A later version re-marked AMBER: the migration gives the GREEN one the latest's markings.
    batch.push_back(Version(Indicator("00000002-17d4-4cbf-938f-98ee46b3cd3f",
                                      "2020-02-01T00:00:00.000Z", "x", amber)));
    ASSERT_TRUE((*st)->Put(c, batch).ok());
  }
  // Turn it back into what schema 2 looked like.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP INDEX objects_by_added_v7; ALTER TABLE objects DROP COLUMN "
                         "latest_mset; ALTER TABLE objects DROP COLUMN mset; "
                         "ALTER TABLE objects DROP COLUMN origin; "
                         "DROP TABLE marking_sets; DROP TABLE deliveries; "
                         "DROP TABLE delivery_routes; "
                         "CREATE INDEX objects_by_added ON objects (coll, date_added); "
                         "UPDATE meta SET value = '2' WHERE key = 'schema_version';",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  auto st = Store::Open("sqlite:" + file.string());
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  Query q;
  q.allowed_markings = std::vector<std::string>{green};
  q.include_unmarked = false;
  Result<Page> page = (*st)->List("c", q);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 0u) << "the GREEN version is not the latest";
  q.versions = VersionMatch::All();
  q.skip_superseded_when_latest_under = q.allowed_markings;
  page = (*st)->List("c", q);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].markings, std::vector<std::string>{green});
  q.allowed_markings = std::vector<std::string>{green, amber};
  q.skip_superseded_when_latest_under = q.allowed_markings;
  page = (*st)->List("c", q);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 1u) << "the latest passes, so the GREEN version is left out";
  EXPECT_EQ(page->objects[0].markings, std::vector<std::string>{amber});
  EXPECT_TRUE((*st)->Check().ok());
  // Schema 5's delivery ledger is there too.
  const Delivery d{"c", "indicator--x", "indicator--x", "inbox"};
  ASSERT_TRUE((*st)->RecordDeliveries("push/p", {d}).ok());
  EXPECT_EQ(*(*st)->Deliveries("push/p", "c", "indicator--x"), std::vector<Delivery>{d});
  st->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(file.string() + suffix);
}

TEST(StoreOpen, UnknownSchemeIsAClearError) {
  auto s = Store::Open("postgres://x");
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("sqlite:PATH"), std::string::npos);
  EXPECT_EQ(Store::Open("hub.db").status().code(), StatusCode::kInvalidArgument);
}

TEST(SqliteStore, PersistsAcrossReopen) {
  RegisterSqliteBackend();
  fs::path path = fs::temp_directory_path() / ("ctihub-reopen-" + std::to_string(::getpid()) + ".db");
  fs::remove(path);
  std::string text = Indicator(kA, "2020-01-01T00:00:00.000Z");
  {
    auto store = Store::Open("sqlite:" + path.string());
    ASSERT_TRUE(store.ok());
    auto c = (*store)->EnsureCollection("feeds");
    simdjson::dom::parser parser;
    std::vector<stix::ObjectVersion> batch{*stix::ExtractObjectVersion(parser, text)};
    ASSERT_TRUE((*store)->Put(c->id, batch).ok());
  }
  auto store = Store::Open("sqlite:" + path.string());
  ASSERT_TRUE(store.ok());
  auto got = (*store)->Get("feeds", std::string("indicator--") + kA);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].text, text);
  store->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
}

TEST(SqliteStore, ReadersAreNotBlockedByAnOpenWrite) {
  RegisterSqliteBackend();
  fs::path path = fs::temp_directory_path() / ("ctihub-readers-" + std::to_string(::getpid()) + ".db");
  fs::remove(path);
  auto writer = Store::Open("sqlite:" + path.string());
  auto reader = Store::Open("sqlite:" + path.string());
  ASSERT_TRUE(writer.ok() && reader.ok());
  auto c = (*writer)->EnsureCollection("feeds");
  ASSERT_TRUE(c.ok());
  simdjson::dom::parser parser;
  std::vector<stix::ObjectVersion> batch;
  for (int i = 0; i < 2000; ++i) {
    char uuid[40];
    std::snprintf(uuid, sizeof(uuid), "%08x-17d4-4cbf-938f-98ee46b3cd3f", i);
    batch.push_back(*stix::ExtractObjectVersion(parser, Indicator(uuid, "2020-01-01T00:00:00.000Z")));
  }
  ASSERT_TRUE((*writer)->Put(c->id, batch).ok());
  // A long write on another thread while the reader pages through: every read succeeds and sees
  // a consistent snapshot (either the old or the new count, never an error).
  std::vector<stix::ObjectVersion> more;
  for (int i = 2000; i < 12000; ++i) {
    char uuid[40];
    std::snprintf(uuid, sizeof(uuid), "%08x-17d4-4cbf-938f-98ee46b3cd3f", i);
    more.push_back(*stix::ExtractObjectVersion(parser, Indicator(uuid, "2020-01-01T00:00:00.000Z")));
  }
  std::thread write([&] { ASSERT_TRUE((*writer)->Put(c->id, more).ok()); });
  int reads = 0;
  for (int i = 0; i < 50; ++i) {
    Query q;
    q.limit = 100000;
    q.with_text = false;
    auto page = (*reader)->List(c->id, q);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    size_t n = page->objects.size();
    EXPECT_TRUE(n == 2000 || n == 12000) << n;
    ++reads;
  }
  write.join();
  EXPECT_EQ(reads, 50);
  writer->reset();
  reader->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
}

}  // namespace
}  // namespace ctihub::store

namespace ctihub::store {
namespace {

// The bulk-import id filter must never hide a version written by another connection.
// Two imports into the same new collection at once: both get it, neither fails on the other's
// insert (it did, every time, before EnsureCollection looked again).
TEST(SqliteStore, ConcurrentFirstUsesOfANewCollectionAllSucceed) {
  RegisterSqliteBackend();
  fs::path path = fs::temp_directory_path() / ("ctihub-ensure-" + std::to_string(::getpid()) + ".db");
  fs::remove(path);
  auto a = Store::Open("sqlite:" + path.string());
  auto b = Store::Open("sqlite:" + path.string());
  ASSERT_TRUE(a.ok() && b.ok());
  for (int round = 0; round < 50; ++round) {
    const std::string name = "new-" + std::to_string(round);
    Result<Collection> from_a = InvalidArgument("unset"), from_b = InvalidArgument("unset");
    std::thread other([&] { from_b = (*b)->EnsureCollection(name); });
    from_a = (*a)->EnsureCollection(name);
    other.join();
    ASSERT_TRUE(from_a.ok()) << from_a.status().ToString();
    ASSERT_TRUE(from_b.ok()) << from_b.status().ToString();
    EXPECT_EQ(from_a->id, from_b->id);
  }
  EXPECT_EQ((*a)->ListCollections()->size(), 50u);
  a->reset();
  b->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
}

// Several commands started at once on a new store: each creates the schema only if no other one
// has (it is read again under the write lock), so none fails on another's work (they did, with
// "duplicate column name: closed", in 9 of 12 runs of three commands).
TEST(SqliteStore, ConcurrentOpensOfANewStoreAllSucceed) {
  RegisterSqliteBackend();
  fs::path path = fs::temp_directory_path() / ("ctihub-race-" + std::to_string(::getpid()) + ".db");
  for (int round = 0; round < 20; ++round) {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
    std::atomic<bool> go{false};
    std::vector<Status> opened(4, Status::Ok());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < opened.size(); ++i) {
      threads.emplace_back([&, i] {
        while (!go) std::this_thread::yield();
        opened[i] = Store::Open("sqlite:" + path.string()).status();
      });
    }
    go = true;
    for (std::thread& t : threads) t.join();
    for (const Status& s : opened) ASSERT_TRUE(s.ok()) << "round " << round << ": " << s.ToString();
  }
  auto st = Store::Open("sqlite:" + path.string());
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_TRUE((*st)->Check().ok());
  st->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
}

// A step whose work is already there (a schema_version set back by hand, a step cut short by
// an older ctihub) is not applied twice: each column is added only when missing.
TEST(StoreOpen, MigrationStepsAlreadyAppliedAreNotAppliedAgain) {
  RegisterSqliteBackend();
  fs::path path =
      fs::temp_directory_path() / ("ctihub-remigrate-" + std::to_string(::getpid()) + ".db");
  for (const char* from : {"2", "5", "7"}) {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
    {
      auto st = Store::Open("sqlite:" + path.string());
      ASSERT_TRUE(st.ok()) << st.status().ToString();
      std::string c = (*st)->EnsureCollection("c")->id;
      ASSERT_TRUE((*st)->Put(c, {Version(Indicator(kA, "2020-01-01T00:00:00.000Z"))}).ok());
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const std::string set_back =
        std::string("UPDATE meta SET value = '") + from + "' WHERE key = 'schema_version'";
    ASSERT_EQ(sqlite3_exec(db, set_back.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    auto st = Store::Open("sqlite:" + path.string());
    ASSERT_TRUE(st.ok()) << "from " << from << ": " << st.status().ToString();
    EXPECT_TRUE((*st)->Check().ok()) << from;
    EXPECT_EQ((*st)->Get("c", std::string("indicator--") + kA)->size(), 1u) << from;
  }
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
}

// An export pages through a collection while an import adds new versions: within a snapshot
// it reads one point in time, so each id comes once, in the version it had then (it came
// twice, old and new version, when each page read the store as it was then).
TEST(SqliteStore, ASnapshotReadsOnePointInTimeAcrossPages) {
  RegisterSqliteBackend();
  fs::path path =
      fs::temp_directory_path() / ("ctihub-snapshot-" + std::to_string(::getpid()) + ".db");
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
  auto writer = Store::Open("sqlite:" + path.string());
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  const std::string c = (*writer)->EnsureCollection("c")->id;
  const std::vector<std::string> uuids = {"00000001-17d4-4cbf-938f-98ee46b3cd3f",
                                          "00000002-17d4-4cbf-938f-98ee46b3cd3f",
                                          "00000003-17d4-4cbf-938f-98ee46b3cd3f"};
  auto put_all = [&](const char* modified) {
    std::vector<stix::ObjectVersion> batch;
    for (const std::string& u : uuids) batch.push_back(Version(Indicator(u, modified)));
    ASSERT_TRUE((*writer)->Put(c, batch).ok());
  };
  put_all("2020-01-01T00:00:00.000Z");
  auto reader = Store::Open("sqlite:" + path.string(), OpenMode::kReadOnly);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  ASSERT_TRUE((*reader)->BeginSnapshot().ok());
  Query q;
  q.limit = 1;
  std::vector<std::string> seen;
  for (int page_number = 0;; ++page_number) {
    Result<Page> page = (*reader)->List(c, q);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const StoredObject& o : page->objects) seen.push_back(o.id + " " + o.version_text);
    if (page_number == 0) put_all("2020-02-01T00:00:00.000Z");  // while the export runs
    if (!page->more) break;
    q.after = page->next;
  }
  EXPECT_TRUE((*reader)->EndSnapshot().ok());
  ASSERT_EQ(seen.size(), 3u) << ::testing::PrintToString(seen);
  for (const std::string& s : seen) EXPECT_NE(s.find("2020-01-01"), std::string::npos) << s;
  // After the snapshot, the new versions are read.
  Result<Page> now = (*reader)->List(c, Query{});
  ASSERT_TRUE(now.ok());
  ASSERT_EQ(now->objects.size(), 3u);
  EXPECT_EQ(now->objects[0].version_text, "2020-02-01T00:00:00.000Z");
  reader->reset();
  writer->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
}

TEST(SqliteStore, BulkPutsSeeVersionsWrittenByOtherConnections) {
  RegisterSqliteBackend();
  fs::path path = fs::temp_directory_path() / ("ctihub-filter-" + std::to_string(::getpid()) + ".db");
  fs::remove(path);
  auto a = Store::Open("sqlite:" + path.string());
  auto b = Store::Open("sqlite:" + path.string());
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = (*a)->EnsureCollection("feeds");
  simdjson::dom::parser parser;
  auto batch = [&](int from, int to, const char* modified) {
    std::vector<stix::ObjectVersion> out;
    for (int i = from; i < to; ++i) {
      char uuid[40];
      std::snprintf(uuid, sizeof(uuid), "%08x-17d4-4cbf-938f-98ee46b3cd3f", i);
      out.push_back(*stix::ExtractObjectVersion(parser, Indicator(uuid, modified)));
    }
    return out;
  };
  ASSERT_EQ((*a)->Put(c->id, batch(0, 2000, "2020-01-01T00:00:00.000Z"))->added, 2000u);
  // Another connection adds an object that `a` has not seen …
  ASSERT_EQ((*b)->Put(c->id, batch(5000, 5001, "2020-01-01T00:00:00.000Z"))->added, 1u);
  // … and `a`, in a bulk batch, must treat the same id as a new version, not a first one.
  auto r = (*a)->Put(c->id, batch(4000, 6000, "2020-02-01T00:00:00.000Z"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->new_versions, 1u);
  EXPECT_EQ(r->added, 1999u);
  EXPECT_TRUE((*a)->Check().ok()) << (*a)->Check().ToString();
  a->reset();
  b->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
}

}  // namespace
}  // namespace ctihub::store

namespace ctihub::store {
namespace {

// Texts are compressed once a batch is large enough to train a dictionary; rows written before
// stay plain. Both kinds, and rows read through another connection (which must load the
// dictionary from the file), come back byte for byte.
// A federation peer re-reading a collection (a restarted walk, overlapping polls) must not grow
// the ledger: each delivery is one row, and a store of schema 5 that grew loses its duplicates.
TEST(SqliteStore, ADeliveryIsRecordedOnceAndEarlierDuplicatesAreDropped) {
  RegisterSqliteBackend();
  fs::path path =
      fs::temp_directory_path() / ("ctihub-ledger-" + std::to_string(::getpid()) + ".db");
  fs::remove(path);
  auto rows = [&] {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM deliveries", -1, &s, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(s), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
  };
  const Delivery same{"c", "indicator--x", "indicator--x", "inbox"};
  const Delivery renamed{"c", "ipv4-addr--y", "ipv4-addr--y2", "inbox"};
  const Delivery elsewhere{"c", "indicator--x", "indicator--x", "other-inbox"};
  {
    auto st = Store::Open("sqlite:" + path.string());
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    for (int read = 0; read < 5; ++read) {
      ASSERT_TRUE((*st)->RecordDeliveries("serve/nato", {same, renamed, elsewhere}).ok());
    }
    ASSERT_TRUE((*st)->RecordDeliveries("serve/eu", {same}).ok());
  }
  EXPECT_EQ(rows(), 4) << "one row per (channel, collection, destination, id sent)";

  // What schema 5 left behind: the same rows appended on every read.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "INSERT INTO deliveries SELECT * FROM deliveries; "
                         "INSERT INTO deliveries SELECT * FROM deliveries; "
                         "DROP INDEX objects_by_added_v7; "
                         "ALTER TABLE objects DROP COLUMN latest_mset; "
                         "CREATE INDEX objects_by_added_v3 ON objects "
                         "(coll, date_added, is_latest, mset); "
                         "UPDATE meta SET value = '5' WHERE key = 'schema_version';",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  ASSERT_EQ(rows(), 16);
  {
    auto st = Store::Open("sqlite:" + path.string());
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    EXPECT_EQ(*(*st)->Deliveries("serve/nato", "c", "indicator--x"),
              (std::vector<Delivery>{same, elsewhere}));
    EXPECT_EQ(*(*st)->Deliveries("serve/nato", "c", "ipv4-addr--y"), std::vector<Delivery>{renamed});
    // Forgetting still forgets every record of it.
    ASSERT_TRUE((*st)->ForgetDeliveries("serve/nato", {renamed}).ok());
    EXPECT_TRUE((*st)->Deliveries("serve/nato", "c", "ipv4-addr--y")->empty());
  }
  EXPECT_EQ(rows(), 3);
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
}

TEST(SqliteStore, CompressedAndPlainRowsReadBackExactly) {
  RegisterSqliteBackend();
  fs::path path =
      fs::temp_directory_path() / ("ctihub-codec-" + std::to_string(::getpid()) + ".db");
  fs::remove(path);
  auto a = Store::Open("sqlite:" + path.string());
  ASSERT_TRUE(a.ok());
  auto c = (*a)->EnsureCollection("feeds");
  simdjson::dom::parser parser;
  std::vector<std::string> texts;
  auto batch = [&](int from, int to) {
    std::vector<stix::ObjectVersion> out;
    for (int i = from; i < to; ++i) {
      char uuid[40];
      std::snprintf(uuid, sizeof(uuid), "%08x-17d4-4cbf-938f-98ee46b3cd3f", i);
      // Vary spacing and content so exactness is really tested.
      std::string text = Indicator(uuid, "2020-01-01T00:00:00.000Z");
      text.insert(1, std::string(i % 7, ' '));
      texts.push_back(text);
      out.push_back(*stix::ExtractObjectVersion(parser, text));
    }
    return out;
  };
  ASSERT_EQ((*a)->Put(c->id, batch(0, 10))->added, 10u);        // plain: no dictionary yet
  ASSERT_EQ((*a)->Put(c->id, batch(10, 2010))->added, 2000u);   // trains, then compressed
  ASSERT_EQ((*a)->Put(c->id, batch(2010, 2015))->added, 5u);    // small, compressed too
  auto b = Store::Open("sqlite:" + path.string());
  ASSERT_TRUE(b.ok());
  for (Store* s : {a->get(), b->get()}) {
    Query q;
    q.limit = 100000;
    auto page = s->List(c->id, q);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ASSERT_EQ(page->objects.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(page->objects[i].text, texts[i]) << i;
  }
  // Re-submitting compressed rows is still recognised as a duplicate (hash of the plain text).
  texts.clear();
  EXPECT_EQ((*b)->Put(c->id, batch(100, 1200))->duplicates, 1100u);
  EXPECT_TRUE((*b)->Check().ok());
  a->reset();
  b->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
}


// Objects are compressed one by one with a dictionary made for texts of 0.3–3 KB: texts far
// larger, part repetitive and part random, still come back byte for byte.
TEST(SqliteStore, TextsFarLargerThanTheTypicalOneReadBackExactly) {
  RegisterSqliteBackend();
  fs::path path =
      fs::temp_directory_path() / ("ctihub-codec-large-" + std::to_string(::getpid()) + ".db");
  fs::remove(path);
  auto store = Store::Open("sqlite:" + path.string());
  ASSERT_TRUE(store.ok());
  auto c = (*store)->EnsureCollection("feeds");
  simdjson::dom::parser parser;
  std::vector<std::string> texts;
  std::vector<stix::ObjectVersion> batch;
  std::mt19937 random(7);
  for (int i = 0; i < 1200; ++i) {  // enough for a dictionary to be trained on this batch
    char uuid[40];
    std::snprintf(uuid, sizeof(uuid), "%08x-17d4-4cbf-938f-98ee46b3cd3f", i);
    std::string name = "n" + std::to_string(i);
    if (i % 300 == 0) {
      // 300 KB, part repetitive and part random: matches far apart and bytes that do not
      // compress.
      for (int k = 0; k < 3000; ++k) name += "lorem ipsum " + std::to_string(k * 7919 % 1000);
      for (int k = 0; k < 200000; ++k) name += static_cast<char>('a' + random() % 26);
    }
    texts.push_back(Indicator(uuid, "2020-01-01T00:00:00.000Z", name));
    batch.push_back(*stix::ExtractObjectVersion(parser, texts.back()));
  }
  ASSERT_EQ((*store)->Put(c->id, batch)->added, batch.size());
  Query q;
  q.limit = 100000;
  auto page = (*store)->List(c->id, q);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSERT_EQ(page->objects[i].text.size(), texts[i].size()) << i;
    EXPECT_TRUE(page->objects[i].text == texts[i]) << i;
  }
  store->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
}
}  // namespace
}  // namespace ctihub::store
