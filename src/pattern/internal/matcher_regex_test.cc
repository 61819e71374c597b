#include "pattern/internal/matcher_regex.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace ctihub::pattern::internal {
namespace {

// Matches `values` texts made from `shapes` (printf formats taking two ints below `range1` and
// `range2`) through the index and through RE2::PartialMatch of each expression; they must give
// the same ids. Returns the number of (text, expression) matches.
size_t CompareWithOneByOne(RegexIndex& index, const std::vector<std::string>& regexes,
                           const std::vector<const char*>& shapes, int values, int range1,
                           int range2, std::mt19937& rng) {
  std::vector<std::unique_ptr<RE2>> one_by_one;
  for (const std::string& r : regexes) {
    one_by_one.push_back(std::make_unique<RE2>(r, EvaluatorRegexOptions()));
  }
  size_t hits = 0;
  for (int k = 0; k < values; ++k) {
    char text[128];
    std::snprintf(text, sizeof text, shapes[static_cast<size_t>(k) % shapes.size()],
                  static_cast<int>(rng() % static_cast<unsigned>(range1)),
                  static_cast<int>(rng() % static_cast<unsigned>(range2)));
    std::vector<int> got;
    index.Match(text, &got);
    std::sort(got.begin(), got.end());
    std::vector<int> want;
    for (size_t i = 0; i < one_by_one.size(); ++i) {
      if (RE2::PartialMatch(text, *one_by_one[i])) want.push_back(static_cast<int>(i));
    }
    EXPECT_EQ(got, want) << "text: " << text;
    if (got != want) break;
    hits += want.size();
  }
  return hits;
}

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
  EXPECT_GT(CompareWithOneByOne(index, regexes,
                                {"h%d.dga%d.example", "http://a.b/wp-admin/x%d%d", "an Evil%d%d thing",
                                 "x%d%d", "c2.%d%d", "STRASSE%d %d STRAẞE", "bcd%d%d", "", "\n%d%d",
                                 "eViL%d.DGA%d.example"},
                                2000, 1600, 20, rng),
            2000u);
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
  std::mt19937 rng(3);
  EXPECT_GT(CompareWithOneByOne(index, regexes,
                                {"http://a.b/wp-admin/x%d", "HTTPS://host.example/login%d.php",
                                 "http://evil%d.example/", "http://%d.dga%d.example", "ftp://x/%d",
                                 "http://plain.example/%d", "www.host%d.test"},
                                1400, 420, 420, rng),
            1000u);
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
