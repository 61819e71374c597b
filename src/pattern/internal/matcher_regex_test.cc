#include "pattern/internal/matcher_regex.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace ctihub::pattern::internal {
namespace {

// Thousands of expressions in one index answer exactly as RE2::PartialMatch on each. Regression:
// a single RE2::Set of 5,000 such expressions crashed inside RE2::Set::Match (RE2 2022-06-01).
TEST(RegexIndex, ThousandsOfExpressionsAgreeWithPartialMatchOneByOne) {
  std::mt19937 rng(7);
  std::vector<std::string> regexes;
  for (int i = 0; i < 6000; ++i) {
    std::string n = std::to_string(i % 1500);
    switch (i % 8) {
      case 0: regexes.push_back("\\A(?s:.*\\.dga" + n + "\\.example)\\z"); break;   // LIKE '%.dgaN.example'
      case 1: regexes.push_back("^http://[a-z0-9.]+/wp-admin/x" + n); break;
      case 2: regexes.push_back("(?i)EVIL" + n); break;                            // case-insensitive atom
      case 3: regexes.push_back("^x[0-9]" + std::string(i % 3, '.')); break;       // no atom: sharded
      case 4: regexes.push_back("\\A(?s:c2." + n + ".)\\z"); break;                // LIKE 'c2.N_'
      case 5: regexes.push_back("(?i)straße" + n.substr(0, 1)); break;             // non-ASCII atom
      case 6: regexes.push_back("(a|bc)d" + n + "$"); break;
      default: regexes.push_back("."); break;                                      // matches all
    }
  }
  RegexIndex index;
  for (size_t i = 0; i < regexes.size(); ++i) {
    std::string error;
    ASSERT_EQ(index.Add(regexes[i], &error), static_cast<int>(i)) << regexes[i] << ": " << error;
  }
  ASSERT_TRUE(index.Compile().ok());
  EXPECT_GT(index.atoms(), 0u);
  EXPECT_GT(index.unfiltered(), 0u);
  std::vector<RE2*> one_by_one;
  for (const std::string& r : regexes) one_by_one.push_back(new RE2(r, EvaluatorRegexOptions()));
  const char* kShapes[] = {"h%d.dga%d.example", "http://a.b/wp-admin/x%d%d", "an Evil%d%d thing",
                           "x%d%d", "c2.%d%d", "STRASSE%d %d STRAẞE", "bcd%d%d", "", "\n%d%d",
                           "eViL%d.DGA%d.example"};
  size_t hits = 0;
  for (int k = 0; k < 2000; ++k) {
    char text[128];
    std::snprintf(text, sizeof text, kShapes[k % 10], static_cast<int>(rng() % 1600),
                  static_cast<int>(rng() % 20));
    std::vector<int> got;
    index.Match(text, &got);
    std::sort(got.begin(), got.end());
    std::vector<int> want;
    for (size_t i = 0; i < one_by_one.size(); ++i) {
      if (RE2::PartialMatch(text, *one_by_one[i])) want.push_back(static_cast<int>(i));
    }
    ASSERT_EQ(got, want) << "text: " << text;
    hits += want.size();
  }
  EXPECT_GT(hits, 2000u);
  for (RE2* r : one_by_one) delete r;
}

// An atom most expressions share ("http://") is taken as always found rather than searched for:
// the answers stay those of RE2::PartialMatch one by one, including for expressions that need
// nothing but weak atoms, which then run on every value.
TEST(RegexIndex, WeakAtomsAreAssumedAndTheAnswersStayExact) {
  std::vector<std::string> regexes;
  for (int i = 0; i < 400; ++i) {
    std::string n = std::to_string(i);
    switch (i % 4) {
      case 0: regexes.push_back("^http://[a-z0-9.]+/wp-admin/x" + n); break;
      case 1: regexes.push_back("(?i)^https?://[a-z.]+/Login" + n + "\\.php"); break;
      case 2: regexes.push_back("^http://evil" + n + "\\.example/"); break;
      default: regexes.push_back(i % 8 == 3 ? "^http://" : "\\A(?s:http://.*\\.dga" + n + "\\.example)\\z"); break;
    }
  }
  RegexIndex index;
  for (const std::string& r : regexes) {
    std::string error;
    ASSERT_GE(index.Add(r, &error), 0) << r << ": " << error;
  }
  ASSERT_TRUE(index.Compile().ok());
  EXPECT_GT(index.weak_atoms(), 0u);
  EXPECT_LT(index.weak_atoms(), index.atoms());
  std::vector<std::unique_ptr<RE2>> one_by_one;
  for (const std::string& r : regexes) one_by_one.push_back(std::make_unique<RE2>(r, EvaluatorRegexOptions()));
  const char* kShapes[] = {"http://a.b/wp-admin/x%d", "HTTPS://host.example/login%d.php",
                           "http://evil%d.example/", "http://%d.dga%d.example", "ftp://x/%d",
                           "http://plain.example/%d", "www.host%d.test"};
  size_t hits = 0;
  std::mt19937 rng(3);
  for (int k = 0; k < 1400; ++k) {
    char text[128];
    std::snprintf(text, sizeof text, kShapes[k % 7], static_cast<int>(rng() % 420),
                  static_cast<int>(rng() % 420));
    std::vector<int> got;
    index.Match(text, &got);
    std::sort(got.begin(), got.end());
    std::vector<int> want;
    for (size_t i = 0; i < one_by_one.size(); ++i) {
      if (RE2::PartialMatch(text, *one_by_one[i])) want.push_back(static_cast<int>(i));
    }
    ASSERT_EQ(got, want) << "text: " << text;
    hits += want.size();
  }
  EXPECT_GT(hits, 1000u);
}

TEST(RegexIndex, RejectsWhatRe2RejectsWithItsMessage) {
  RegexIndex index;
  std::string error;
  EXPECT_EQ(index.Add("(a", &error), -1);
  EXPECT_NE(error.find("missing )"), std::string::npos) << error;
  EXPECT_EQ(index.Add("a", &error), 0);
  ASSERT_TRUE(index.Compile().ok());
  std::vector<int> hits;
  index.Match("cat", &hits);
  EXPECT_EQ(hits, std::vector<int>{0});
}

TEST(RegexIndex, EmptyIndexMatchesNothing) {
  RegexIndex index;
  ASSERT_TRUE(index.Compile().ok());
  std::vector<int> hits;
  index.Match("anything", &hits);
  EXPECT_TRUE(hits.empty());
}

}  // namespace
}  // namespace ctihub::pattern::internal
