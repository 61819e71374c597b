#include "common/name_table.h"

#include <string>

#include <gtest/gtest.h>

namespace ctihub {
namespace {

TEST(NameTable, FindsEveryEntryAndNothingElse) {
  std::vector<std::string> names;
  for (int i = 0; i < 200; ++i) names.push_back("name-" + std::to_string(i));
  std::vector<std::pair<std::string_view, int>> entries;
  for (int i = 0; i < 200; ++i) entries.emplace_back(names[i], i);
  NameTable<int> table(entries);
  for (int i = 0; i < 200; ++i) {
    const int* v = table.Find(names[i]);
    ASSERT_NE(v, nullptr) << names[i];
    EXPECT_EQ(*v, i);
  }
  EXPECT_EQ(table.Find("name-200"), nullptr);
  EXPECT_EQ(table.Find(""), nullptr);
  EXPECT_EQ(table.Find("nam"), nullptr);
}

TEST(NameTable, SameLengthAndEndsStillDistinguished) {
  std::vector<std::pair<std::string_view, int>> entries = {{"abc", 1}, {"axc", 2}, {"ayc", 3}};
  NameTable<int> table(entries);
  EXPECT_EQ(*table.Find("abc"), 1);
  EXPECT_EQ(*table.Find("axc"), 2);
  EXPECT_EQ(*table.Find("ayc"), 3);
  EXPECT_EQ(table.Find("azc"), nullptr);
}

}  // namespace
}  // namespace ctihub
