#include "pattern/evaluator.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "pattern/parser.h"

namespace ctihub::pattern {
namespace {

// An observed-data (2.0 style) at `time` lasting `seconds`, observed `count` times.
std::string Obs(const std::string& objects, const std::string& first = "2020-01-01T00:00:00Z",
                const std::string& last = "", int count = 1) {
  return R"({"type":"observed-data","first_observed":")" + first + R"(","last_observed":")" +
         (last.empty() ? first : last) + R"(","number_observed":)" + std::to_string(count) +
         R"(,"objects":)" + objects + "}";
}

// Evaluates `pattern` over a JSON list of observations; fails the test on any error.
bool Eval(const std::string& pattern, const std::string& observations) {
  Result<Pattern> parsed = ParsePattern(pattern);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  if (!parsed.ok()) return false;
  Result<std::vector<Observation>> obs = ParseObservations(observations);
  EXPECT_TRUE(obs.ok()) << obs.status().ToString();
  if (!obs.ok()) return false;
  Result<bool> hit = Evaluate(*parsed, *obs);
  EXPECT_TRUE(hit.ok()) << hit.status().ToString();
  return hit.ok() && *hit;
}

const char kFile[] =
    R"({"0":{"type":"file","name":"foo.dll","size":371712,"hashes":{"SHA-256":"aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f","MD5":"bb"},
        "parent_directory_ref":"1","magic_number_hex":"ffd8"},
        "1":{"type":"directory","path":"C:\\Windows\\System32"}})";

TEST(Evaluator, EqualityFollowsReferencesAndQuotedKeys) {
  std::string obs = "[" + Obs(kFile) + "]";
  EXPECT_TRUE(Eval("[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']", obs));
  EXPECT_FALSE(Eval("[file:hashes.'SHA-256' = 'AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F']", obs));
  EXPECT_TRUE(Eval(R"([file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\Windows\\System32'])",
                   obs));
  EXPECT_FALSE(Eval("[file:parent_directory_ref.path = 'C:']", obs));
}

TEST(Evaluator, NumbersCompareAcrossIntAndFloatButNotWithStrings) {
  std::string obs = "[" + Obs(kFile) + "]";
  EXPECT_TRUE(Eval("[file:size = 371712.0]", obs));
  EXPECT_FALSE(Eval("[file:size = '371712']", obs));
  EXPECT_TRUE(Eval("[file:size != '371712']", obs));
  EXPECT_TRUE(Eval("[file:size > 1000 AND file:size <= 371712]", obs));
  EXPECT_FALSE(Eval("[file:size < 'zzz']", obs));
  // An ordering across incomparable types is false with or without NOT.
  EXPECT_FALSE(Eval("[file:size NOT < 'zzz']", obs));
}

TEST(Evaluator, MissingPropertyMatchesNeitherEqualNorNotEqual) {
  std::string obs = "[" + Obs(kFile) + "]";
  EXPECT_FALSE(Eval("[file:mime_type = 'x']", obs));
  EXPECT_FALSE(Eval("[file:mime_type != 'x']", obs));
  EXPECT_FALSE(Eval("[file:mime_type NOT = 'x']", obs));
  EXPECT_TRUE(Eval("[NOT EXISTS file:mime_type]", obs));
  EXPECT_TRUE(Eval("[EXISTS file:hashes.MD5]", obs));
  EXPECT_FALSE(Eval("[EXISTS file:hashes.'SHA-1']", obs));
}

TEST(Evaluator, AndInsideBracketsNeedsTheSameObject) {
  std::string obs = "[" +
                    Obs(R"({"0":{"type":"file","name":"a"},"1":{"type":"file","size":5}})") + "]";
  EXPECT_FALSE(Eval("[file:name = 'a' AND file:size = 5]", obs));
  EXPECT_TRUE(Eval("[file:name = 'a' OR file:size = 5]", obs));
  EXPECT_FALSE(Eval("[file:name = 'a'] AND [file:size = 5]", obs));
}

TEST(Evaluator, BinaryPropertiesCompareWithHexAndLatin1Strings) {
  std::string obs = "[" + Obs(kFile) + "]";
  EXPECT_TRUE(Eval("[file:magic_number_hex = h'ffd8']", obs));
  EXPECT_TRUE(Eval("[file:magic_number_hex = '\xc3\xbf\xc3\x98']", obs));  // "ÿØ"
  EXPECT_FALSE(Eval("[file:magic_number_hex = h'ffd9']", obs));
  EXPECT_TRUE(Eval("[file:magic_number_hex > h'ff']", obs));
  EXPECT_TRUE(Eval(R"([file:magic_number_hex MATCHES '^\\xff\\xd8$'])", obs));
  EXPECT_FALSE(Eval("[file:magic_number_hex IN ('\xc3\xbf\xc3\x98')]", obs));
}

TEST(Evaluator, LikeAndMatches) {
  std::string obs = "[" + Obs(R"({"0":{"type":"url","value":"http://ex.com/a%b_c\nd"}})") + "]";
  EXPECT_TRUE(Eval("[url:value LIKE 'http://ex.com/%']", obs));
  EXPECT_TRUE(Eval("[url:value LIKE 'http://ex._om/a%b_c_d']", obs));
  EXPECT_FALSE(Eval("[url:value LIKE 'http://ex.com']", obs));
  EXPECT_TRUE(Eval("[url:value NOT LIKE 'https%']", obs));
  EXPECT_TRUE(Eval("[url:value MATCHES 'ex\\\\.com']", obs));
  EXPECT_FALSE(Eval("[url:value MATCHES '^ex']", obs));
  std::string unicode = "[" + Obs(R"({"0":{"type":"file","name":"\u00e9t\u00e9.txt"}})") + "]";
  EXPECT_TRUE(Eval("[file:name LIKE '_t_.txt']", unicode));
  EXPECT_TRUE(Eval("[file:name MATCHES '^.t.\\\\.txt$']", unicode));
}

TEST(Evaluator, BadRegexIsAnErrorNamingTheOffset) {
  Result<Pattern> p = ParsePattern("[file:name MATCHES '(a']");
  ASSERT_TRUE(p.ok());
  Result<std::vector<Observation>> obs =
      ParseObservations("[" + Obs(R"({"0":{"type":"file","name":"a"}})") + "]");
  ASSERT_TRUE(obs.ok());
  Result<bool> hit = Evaluate(*p, *obs);
  ASSERT_FALSE(hit.ok());
  EXPECT_EQ(hit.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(hit.status().location(), "offset 1");
}

TEST(Evaluator, SubsetAndSupersetForIpv4AndIpv6) {
  std::string obs = "[" + Obs(R"({"0":{"type":"ipv4-addr","value":"198.51.100.7"},
                                   "1":{"type":"ipv6-addr","value":"2001:db8:dead:beef::1"},
                                   "2":{"type":"ipv4-addr","value":"10.0.0.0/8"}})") + "]";
  EXPECT_TRUE(Eval("[ipv4-addr:value ISSUBSET '198.51.100.0/24']", obs));
  EXPECT_FALSE(Eval("[ipv4-addr:value ISSUBSET '198.51.101.0/24']", obs));
  EXPECT_TRUE(Eval("[ipv6-addr:value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']", obs));
  EXPECT_TRUE(Eval("[ipv4-addr:value ISSUPERSET '10.1.2.3']", obs));
  EXPECT_FALSE(Eval("[ipv4-addr:value ISSUPERSET '11.1.2.3']", obs));
  EXPECT_TRUE(Eval("[ipv4-addr:value NOT ISSUBSET '10.0.0.0/8']", obs));
}

TEST(Evaluator, RefListsAndIndexes) {
  std::string obs =
      "[" + Obs(R"({"0":{"type":"domain-name","value":"www.5z8.info","resolves_to_refs":["1","9","2"]},
                    "1":{"type":"ipv4-addr","value":"198.51.100.1"},
                    "2":{"type":"ipv4-addr","value":"198.51.100.2"}})") + "]";
  EXPECT_TRUE(Eval("[domain-name:resolves_to_refs[*].value = '198.51.100.2']", obs));
  // Unresolved references drop out, so index 1 is the second *resolved* one.
  EXPECT_TRUE(Eval("[domain-name:resolves_to_refs[1].value = '198.51.100.2']", obs));
  EXPECT_FALSE(Eval("[domain-name:resolves_to_refs[2].value = '198.51.100.2']", obs));
  EXPECT_FALSE(Eval("[domain-name:resolves_to_refs[-1].value = '198.51.100.2']", obs));
}

TEST(Evaluator, ObservationAndNeedsDistinctObservations) {
  std::string one = "[" + Obs(R"({"0":{"type":"file","name":"a"},"1":{"type":"process","name":"p"}})") + "]";
  EXPECT_FALSE(Eval("[file:name = 'a'] AND [process:name = 'p']", one));
  EXPECT_TRUE(Eval("[file:name = 'a'] OR [process:name = 'x']", one));
  std::string two = "[" + Obs(R"({"0":{"type":"file","name":"a"}})") + "," +
                    Obs(R"({"0":{"type":"process","name":"p"}})") + "]";
  EXPECT_TRUE(Eval("[file:name = 'a'] AND [process:name = 'p']", two));
  // number_observed 2 stands for two observations.
  std::string twice =
      "[" + Obs(R"({"0":{"type":"file","name":"a"},"1":{"type":"process","name":"p"}})",
                "2020-01-01T00:00:00Z", "", 2) + "]";
  EXPECT_TRUE(Eval("[file:name = 'a'] AND [process:name = 'p']", twice));
  EXPECT_TRUE(Eval("[file:name = 'a'] REPEATS 2 TIMES", twice));
  EXPECT_FALSE(Eval("[file:name = 'a'] REPEATS 3 TIMES", twice));
}

TEST(Evaluator, FollowedByComparesTimes) {
  std::string a_then_b = "[" + Obs(R"({"0":{"type":"file","name":"a"}})", "2020-01-01T00:00:00Z") +
                         "," + Obs(R"({"0":{"type":"file","name":"b"}})", "2020-01-01T00:05:00Z") +
                         "]";
  EXPECT_TRUE(Eval("[file:name = 'a'] FOLLOWEDBY [file:name = 'b']", a_then_b));
  EXPECT_FALSE(Eval("[file:name = 'b'] FOLLOWEDBY [file:name = 'a']", a_then_b));
  EXPECT_TRUE(Eval("([file:name = 'a'] FOLLOWEDBY [file:name = 'b']) WITHIN 300 SECONDS",
                   a_then_b));  // touching the window's end counts
  EXPECT_FALSE(Eval("([file:name = 'a'] FOLLOWEDBY [file:name = 'b']) WITHIN 299.5 SECONDS",
                    a_then_b));
  // Overlapping intervals: a time can be chosen for each so that a comes first.
  std::string overlap =
      "[" + Obs(R"({"0":{"type":"file","name":"b"}})", "2020-01-01T00:00:00Z", "2020-01-01T01:00:00Z") +
      "," + Obs(R"({"0":{"type":"file","name":"a"}})", "2020-01-01T00:30:00Z") + "]";
  EXPECT_TRUE(Eval("[file:name = 'a'] FOLLOWEDBY [file:name = 'b']", overlap));
}

TEST(Evaluator, StartStopIncludesStartExcludesStop) {
  std::string at_noon = "[" + Obs(R"({"0":{"type":"file","name":"a"}})", "2020-01-01T12:00:00Z") + "]";
  EXPECT_TRUE(Eval("[file:name = 'a'] START t'2020-01-01T12:00:00Z' STOP t'2020-01-02T00:00:00Z'",
                   at_noon));
  EXPECT_FALSE(Eval("[file:name = 'a'] START t'2020-01-01T00:00:00Z' STOP t'2020-01-01T12:00:00Z'",
                    at_noon));
}

TEST(Evaluator, TimestampLiteralsReadJsonStringsAsTimestamps) {
  std::string obs = "[" + Obs(R"({"0":{"type":"file","created":"2014-01-13T07:03:17.000Z","name":"x"}})") + "]";
  EXPECT_TRUE(Eval("[file:created = t'2014-01-13T07:03:17Z']", obs));
  EXPECT_TRUE(Eval("[file:created > t'2014-01-13T07:03:16.5Z']", obs));
  EXPECT_FALSE(Eval("[file:name = t'2014-01-13T07:03:17Z']", obs));  // not a timestamp: unequal
}

TEST(Evaluator, Stix21BundlesResolveObjectRefs) {
  const char bundle[] = R"({"type":"bundle","id":"bundle--1","objects":[
    {"type":"observed-data","id":"observed-data--1","first_observed":"2020-01-01T00:00:00Z",
     "last_observed":"2020-01-01T00:00:00Z","number_observed":1,
     "object_refs":["network-traffic--1","ipv4-addr--1"]},
    {"type":"network-traffic","id":"network-traffic--1","dst_ref":"ipv4-addr--1","protocols":["tcp"]},
    {"type":"ipv4-addr","id":"ipv4-addr--1","value":"203.0.113.33"}]})";
  EXPECT_TRUE(Eval("[network-traffic:dst_ref.value = '203.0.113.33' AND "
                   "network-traffic:protocols[*] = 'tcp']",
                   bundle));
  EXPECT_FALSE(Eval("[network-traffic:dst_ref.value = '203.0.113.34']", bundle));
}

TEST(ParseObservations, RejectsMissingTimingAndNamesTheObject) {
  Result<std::vector<Observation>> bad = ParseObservations(
      R"([{"type":"observed-data","id":"observed-data--x","first_observed":"2020-01-01T00:00:00Z",
           "last_observed":"2019-01-01T00:00:00Z","number_observed":1,"objects":{}}])");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("observed-data--x"), std::string::npos);
  EXPECT_NE(bad.status().message().find("before first_observed"), std::string::npos);
  EXPECT_FALSE(ParseObservations(R"([{"type":"observed-data","objects":{}}])").ok());
  EXPECT_FALSE(ParseObservations("[1]").ok());
  EXPECT_FALSE(ParseObservations("{").ok());
  // Asked to, it leaves the bad ones out and says why; JSON that does not parse is still an error.
  std::vector<std::string> skipped;
  Result<std::vector<Observation>> kept = ParseObservations(
      R"([{"type":"observed-data","id":"observed-data--x","first_observed":"2020-01-01T00:00:00Z",
           "last_observed":"2019-01-01T00:00:00Z","number_observed":1,"objects":{}}, 1,
          {"type":"observed-data","first_observed":"2020-01-01T00:00:00Z",
           "last_observed":"2020-01-01T00:00:00Z","number_observed":2,"objects":{}}])",
      &skipped);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_EQ((*kept)[0].number_observed, 2);
  ASSERT_EQ(skipped.size(), 2u);
  EXPECT_NE(skipped[0].find("observed-data--x"), std::string::npos);
  EXPECT_NE(skipped[1].find("item 1"), std::string::npos);
  EXPECT_FALSE(ParseObservations("{", &skipped).ok());
}

TEST(Evaluator, CombinatorialSearchIsBounded) {
  std::string many = "[";
  for (int i = 0; i < 40; ++i) {
    if (i) many += ",";
    many += Obs(R"({"0":{"type":"file","name":"a"}})");
  }
  many += "]";
  // REPEATS below the root enumerates combinations (the root-level count is a fast path).
  Result<Pattern> p = ParsePattern("([file:name = 'a'] REPEATS 6 TIMES) FOLLOWEDBY [file:name = 'a']");
  ASSERT_TRUE(p.ok());
  Result<std::vector<Observation>> obs = ParseObservations(many);
  ASSERT_TRUE(obs.ok());
  EvaluateOptions options;
  options.max_bindings = 10000;
  Result<bool> hit = Evaluate(*p, *obs, options);
  ASSERT_FALSE(hit.ok());
  EXPECT_EQ(hit.status().code(), StatusCode::kResourceExhausted);
}

// The bindings kept can stay few while the search behind them explodes: C(40, 30) choices for
// the REPEATS, each kept combination all but identical. The work is bounded too (a shared
// indicator of this shape stalled `ctihub match` for minutes).
TEST(Evaluator, CombinationsTriedAreBoundedNotOnlyThoseKept) {
  std::string many = "[";
  for (int i = 0; i < 40; ++i) {
    if (i) many += ",";
    many += Obs(R"({"0":{"type":"ipv4-addr","value":"8.8.8.8"}})");
  }
  many += "]";
  Result<Pattern> p = ParsePattern(
      "([ipv4-addr:value = '8.8.8.8'] REPEATS 30 TIMES) AND [ipv4-addr:value = '8.8.8.8']");
  ASSERT_TRUE(p.ok());
  Result<std::vector<Observation>> obs = ParseObservations(many);
  ASSERT_TRUE(obs.ok());
  EvaluateOptions options;
  options.max_steps = 100000;
  Result<bool> hit = Evaluate(*p, *obs, options);
  ASSERT_FALSE(hit.ok());
  EXPECT_EQ(hit.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(hit.status().message().find("combinations"), std::string::npos);
}

// `[x] REPEATS n TIMES WITHIN d SECONDS` at the root is counted in a sliding window; the same
// question asked so that the general combination search answers it (a START/STOP that filters
// nothing) must give the same answer.
TEST(Evaluator, RepeatsWithinFastPathAgreesWithTheCombinationSearch) {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::string many = "[";
    int n = 2 + static_cast<int>(rng() % 7);
    for (int i = 0; i < n; ++i) {
      if (i) many += ",";
      int start = static_cast<int>(rng() % 100);
      int length = static_cast<int>(rng() % 3) == 0 ? static_cast<int>(rng() % 20) : 0;
      char first[32], last[32];
      std::snprintf(first, sizeof first, "2020-01-01T00:%02d:%02dZ", start / 60, start % 60);
      std::snprintf(last, sizeof last, "2020-01-01T00:%02d:%02dZ", (start + length) / 60,
                    (start + length) % 60);
      many += Obs(R"({"0":{"type":"file","name":"a"}})", first, last, 1 + static_cast<int>(rng() % 2));
    }
    many += "]";
    int repeats = 2 + static_cast<int>(rng() % 4);
    int within = 1 + static_cast<int>(rng() % 40);
    std::string fast = "[file:name = 'a'] REPEATS " + std::to_string(repeats) + " TIMES WITHIN " +
                       std::to_string(within) + " SECONDS";
    std::string slow = fast + " START t'2019-01-01T00:00:00Z' STOP t'2021-01-01T00:00:00Z'";
    EXPECT_EQ(Eval(fast, many), Eval(slow, many)) << fast << " over " << many;
  }
}

TEST(Evaluator, HugeNumberObservedStaysCheap) {
  std::string obs = "[" + Obs(R"({"0":{"type":"file","name":"a"}})", "2020-01-01T00:00:00Z", "",
                              2000000000) + "]";
  EXPECT_TRUE(Eval("[file:name = 'a'] REPEATS 3 TIMES", obs));
}

}  // namespace
}  // namespace ctihub::pattern
