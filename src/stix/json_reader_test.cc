#include "stix/json_reader.h"

#include <gtest/gtest.h>

namespace ctihub::stix {
namespace {

std::vector<RawObject> ReadAll(std::string text, Status* error = nullptr) {
  auto reader = ObjectReader::FromString(std::move(text));
  std::vector<RawObject> out;
  for (;;) {
    RawObject raw;
    Result<bool> more = reader->Next(&raw);
    if (!more.ok()) {
      if (error) *error = more.status();
      break;
    }
    if (!*more) break;
    out.push_back(raw);
  }
  return out;
}

TEST(ObjectReader, BundleStreamsEachObjectWithExactBytes) {
  auto objs = ReadAll(R"({"type":"bundle","id":"bundle--1","objects":[ {"a": 1} ,{"b":"}]"}]})");
  ASSERT_EQ(objs.size(), 2u);
  EXPECT_EQ(objs[0].text, R"({"a": 1})");
  EXPECT_EQ(objs[0].pointer, "/objects/0");
  EXPECT_EQ(objs[1].text, R"({"b":"}]"})");
  EXPECT_EQ(objs[1].pointer, "/objects/1");
}

TEST(ObjectReader, SingleObjectIsReturnedVerbatim) {
  std::string text = "{ \"type\" : \"indicator\",\n \"x\": [1,{\"y\":\"\\\"\"}] }";
  auto objs = ReadAll(text);
  ASSERT_EQ(objs.size(), 1u);
  EXPECT_EQ(objs[0].text, text);
  EXPECT_EQ(objs[0].pointer, "");
}

TEST(ObjectReader, ArrayOfObjects) {
  auto objs = ReadAll("[{\"a\":1},\n{\"a\":2}]");
  ASSERT_EQ(objs.size(), 2u);
  EXPECT_EQ(objs[1].text, "{\"a\":2}");
  EXPECT_EQ(objs[1].pointer, "/1");
  EXPECT_EQ(objs[1].line, 2u);
}

TEST(ObjectReader, JsonLinesGiveOneObjectPerLine) {
  auto objs = ReadAll("{\"a\":1}\n{\"a\":2}\n\n{\"a\":3}\n");
  ASSERT_EQ(objs.size(), 3u);
  EXPECT_EQ(objs[2].value_index, 2u);
  EXPECT_EQ(objs[2].line, 4u);
}

TEST(ObjectReader, BundleWithObjectsBeforeType) {
  auto objs = ReadAll(R"({"objects":[{"a":1}],"type":"bundle","id":"bundle--x"})");
  ASSERT_EQ(objs.size(), 1u);
}

TEST(ObjectReader, NonBundleWithObjectsListIsASingleObject) {
  std::string text = R"({"type":"x-thing","id":"x-thing--1","objects":[{"a":1}]})";
  auto objs = ReadAll(text);
  ASSERT_EQ(objs.size(), 1u);
  EXPECT_EQ(objs[0].text, text);
}

TEST(ObjectReader, TruncatedInputIsAnErrorWithOffset) {
  Status error;
  auto objs = ReadAll(R"({"type":"bundle","objects":[{"a":"unterminated)", &error);
  EXPECT_TRUE(objs.empty());
  EXPECT_FALSE(error.ok());
  EXPECT_NE(error.message().find("end of input"), std::string::npos) << error.ToString();
  EXPECT_EQ(error.location().substr(0, 5), "byte ");
}

TEST(ObjectReader, MissingCommaBetweenElementsIsAnError) {
  Status error;
  auto objs = ReadAll(R"([{"a":1} {"b":2}])", &error);
  EXPECT_EQ(objs.size(), 1u);
  EXPECT_NE(error.message().find("expected ',' or ']'"), std::string::npos) << error.ToString();
}

TEST(ObjectReader, DeepNestingDoesNotRecurse) {
  std::string deep(200000, '[');
  deep += std::string(200000, ']');
  auto objs = ReadAll("[" + deep + "]");
  ASSERT_EQ(objs.size(), 1u);
  EXPECT_EQ(objs[0].text.size(), 400000u);
}

TEST(ObjectReader, ObjectLargerThanLimitIsRejected) {
  ReaderOptions options;
  options.max_object_bytes = 100;
  auto reader = ObjectReader::FromString("[{\"a\":\"" + std::string(1000, 'x') + "\"}]", options);
  RawObject raw;
  Result<bool> more = reader->Next(&raw);
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.status().code(), StatusCode::kResourceExhausted);
}

TEST(ObjectReader, ScalarAtTopLevelIsAnError) {
  Status error;
  ReadAll("42", &error);
  EXPECT_NE(error.message().find("expected '{' or '['"), std::string::npos);
}

TEST(ObjectReader, Utf8BomIsSkipped) {
  auto objs = ReadAll("\xEF\xBB\xBF{\"a\":1}");
  ASSERT_EQ(objs.size(), 1u);
  EXPECT_EQ(objs[0].text, "{\"a\":1}");
}

TEST(ObjectReader, EnvelopeCarriesBundleProperties) {
  auto reader = ObjectReader::FromString(R"({"type":"bundle","id":"bundle--1","spec_version":"2.0","objects":[{"a":1}]})");
  RawObject raw;
  ASSERT_TRUE(*reader->Next(&raw));
  const Envelope& env = reader->current_envelope();
  ASSERT_EQ(env.properties.size(), 3u);
  EXPECT_EQ(env.properties[2].first, "spec_version");
  EXPECT_EQ(env.properties[2].second, "\"2.0\"");
  EXPECT_FALSE(*reader->Next(&raw));
  auto finished = reader->TakeFinishedEnvelopes();
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(finished[0].container, Container::kBundle);
}

}  // namespace
}  // namespace ctihub::stix
