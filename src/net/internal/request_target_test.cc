#include "net/internal/request_target.h"

#include <gtest/gtest.h>

namespace ctihub::net::internal {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

TEST(RequestTarget_Parse, SplitsPathAndQueryInOrderWithRepeats) {
  std::string path;
  Query query;
  ASSERT_TRUE(ParseRequestTarget("/taxii2/api/collections/x/objects/?limit=10&match%5Btype%5D="
                                 "indicator&match%5Btype%5D=malware",
                                 &path, &query)
                  .ok());
  EXPECT_EQ(path, "/taxii2/api/collections/x/objects/");
  EXPECT_EQ(query,
            (Query{{"limit", "10"}, {"match[type]", "indicator"}, {"match[type]", "malware"}}));
}

TEST(RequestTarget_Parse, DecodesPercentInPathButPlusOnlyInQuery) {
  std::string path;
  Query query;
  ASSERT_TRUE(ParseRequestTarget("/a%20b+c/%C3%A9?q=a+b%2Bc%26d&x", &path, &query).ok());
  EXPECT_EQ(path, "/a b+c/\xC3\xA9");
  EXPECT_EQ(query, (Query{{"q", "a b+c&d"}, {"x", ""}}));
}

// "/api%2Fcollections/" must not become "/api/collections/" behind a proxy that saw one segment.
TEST(RequestTarget_Parse, RefusesAnEncodedSlashInThePath) {
  std::string path;
  Query query;
  EXPECT_FALSE(ParseRequestTarget("/api%2Fcollections/", &path, &query).ok());
  EXPECT_FALSE(ParseRequestTarget("/api%2fcollections/", &path, &query).ok());
  EXPECT_TRUE(ParseRequestTarget("/api/collections/?q=a%2Fb", &path, &query).ok());
  EXPECT_EQ(query, (Query{{"q", "a/b"}}));
}

TEST(RequestTarget_Parse, SkipsEmptyPairsAndSplitsOnFirstEquals) {
  std::string path;
  Query query;
  ASSERT_TRUE(ParseRequestTarget("/?&&a=b=c&=v&", &path, &query).ok());
  EXPECT_EQ(path, "/");
  EXPECT_EQ(query, (Query{{"a", "b=c"}, {"", "v"}}));
}

TEST(RequestTarget_Parse, AcceptsAbsoluteFormAndAsterisk) {
  std::string path;
  Query query;
  ASSERT_TRUE(ParseRequestTarget("https://hub.example:9443/taxii2/?x=1", &path, &query).ok());
  EXPECT_EQ(path, "/taxii2/");
  EXPECT_EQ(query, (Query{{"x", "1"}}));
  ASSERT_TRUE(ParseRequestTarget("HTTP://hub.example", &path, &query).ok());
  EXPECT_EQ(path, "/");
  ASSERT_TRUE(ParseRequestTarget("*", &path, &query).ok());
  EXPECT_EQ(path, "*");
}

TEST(RequestTarget_Parse, RejectsMalformedEscapesNulAndOtherForms) {
  std::string path;
  Query query;
  EXPECT_EQ(ParseRequestTarget("/a%zz", &path, &query).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRequestTarget("/a%2", &path, &query).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRequestTarget("/a?x=%", &path, &query).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRequestTarget("/a%00b", &path, &query).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRequestTarget("hub.example:443", &path, &query).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRequestTarget("", &path, &query).code(), StatusCode::kInvalidArgument);
}

TEST(RequestTarget_PercentDecode, DecodesUpperAndLowerHex) {
  std::string out;
  ASSERT_TRUE(PercentDecode("%2f%2F%41", false, &out));
  EXPECT_EQ(out, "//A");
  EXPECT_FALSE(PercentDecode("%4", false, &out));
}

}  // namespace
}  // namespace ctihub::net::internal
