#include "pattern/internal/matcher_regex.h"

#include <gtest/gtest.h>

#include <algorithm>
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
