#include "common/utf8.h"

#include <gtest/gtest.h>

namespace ctihub {
namespace {

TEST(Utf8, ValidTextPassesAndBadBytesAreFound) {
  EXPECT_TRUE(IsValidUtf8("plain, Grüße, 日本, \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("bad \xFF title"));
  EXPECT_EQ(FirstInvalidUtf8Byte("bad \xFF title"), 4u);
  EXPECT_EQ(FirstInvalidUtf8Byte("Grüße \xE6\x97"), 8u);  // a sequence cut short
  EXPECT_FALSE(FirstInvalidUtf8Byte("Grüße"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(IsValidUtf8("cut \xE6\x97"));      // truncated sequence
}

TEST(Utf8, RepairReplacesEachBadByteAndKeepsTheRest) {
  EXPECT_EQ(ToValidUtf8("Grüße"), "Grüße");
  EXPECT_EQ(ToValidUtf8("bad\xFF\xFEname"), "bad\xEF\xBF\xBD\xEF\xBF\xBDname");
  EXPECT_EQ(ToValidUtf8("cut \xE6\x97"), "cut \xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_TRUE(IsValidUtf8(ToValidUtf8("\xC0\xAF\xED\xA0\x80x")));
}

}  // namespace
TEST(Utf8, ControlCharactersAreShownAsEscapes) {
  EXPECT_EQ(WithVisibleControls("evil\nname.json"), "evil\\x0aname.json");
  EXPECT_EQ(WithVisibleControls(std::string("a\x7f\tb\0c", 6)), "a\\x7f\\x09b\\x00c");
  EXPECT_EQ(WithVisibleControls("plain \xC3\xA9t\xC3\xA9.json"), "plain \xC3\xA9t\xC3\xA9.json");
}

}  // namespace ctihub
