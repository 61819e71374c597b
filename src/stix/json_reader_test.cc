#include "stix/json_reader.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

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

// One bad line in JSON lines costs that line, not the rest of the feed: an unclosed string or
// brace that runs into the following lines gives them back.
TEST(ObjectReader, ABadJsonLineIsSkippedAndTheLinesAfterItAreRead) {
  const std::string text =
      "{\"type\":\"x\",\"id\":\"a\"}\n"
      "{bad json\n"
      "{\"type\":\"x\",\"id\":\"b\"}\n"
      "{\"type\":\"x\",\"name\":\"unclosed\n"
      "{\"type\":\"x\",\"id\":\"c\"}\n"
      "{\"a\":{\"b\":1}\n"
      "{\"type\":\"x\",\"id\":\"d\"}\n"
      "\"a string\"\n"
      "{\"type\":\"x\",\"id\":\"e\"}\n";
  for (bool from_file : {false, true}) {
    std::unique_ptr<ObjectReader> reader;
    std::string path = ::testing::TempDir() + "/bad-lines.jsonl";
    if (from_file) {
      FILE* f = std::fopen(path.c_str(), "wb");
      std::fwrite(text.data(), 1, text.size(), f);
      std::fclose(f);
      auto opened = ObjectReader::OpenFile(path);
      ASSERT_TRUE(opened.ok());
      reader = std::move(*opened);
    } else {
      reader = ObjectReader::FromString(text);
    }
    std::vector<std::string> ids;
    std::vector<uint64_t> lines, bad_lines;
    for (;;) {
      RawObject raw;
      Result<bool> more = reader->Next(&raw);
      if (!more.ok()) {
        ASSERT_TRUE(reader->SkippedBadValue()) << more.status().ToString();
        bad_lines.push_back(raw.line);
        EXPECT_NE(more.status().message().find("the line was skipped"), std::string::npos)
            << more.status().message();
        // Where the bad line starts, not where the scanner gave up (the end, for an open one).
        EXPECT_EQ(more.status().location(), "byte " + std::to_string(raw.byte_offset));
        EXPECT_TRUE(raw.byte_offset == 0 || text[raw.byte_offset - 1] == '\n') << raw.byte_offset;
        continue;
      }
      if (!*more) break;
      ids.push_back(raw.text.substr(raw.text.size() - 4, 3));
      lines.push_back(raw.line);
    }
    EXPECT_EQ(ids, (std::vector<std::string>{"\"a\"", "\"b\"", "\"c\"", "\"d\"", "\"e\""}));
    EXPECT_EQ(lines, (std::vector<uint64_t>{1, 3, 5, 7, 9}));
    EXPECT_EQ(bad_lines, (std::vector<uint64_t>{2, 4, 6, 8}));
    std::remove(path.c_str());
  }
  // The first value, and a bundle, are not lines of a feed: their errors stop reading.
  for (std::string stop : {std::string("{bad\n{\"type\":\"x\"}\n"),
                           std::string("{\"type\":\"x\"}\n{\"type\":\"bundle\",\"objects\":[{\"a\":1} {\"b\":2}]}\n{\"type\":\"x\"}\n")}) {
    auto reader = ObjectReader::FromString(stop);
    RawObject raw;
    Result<bool> more = true;
    while (more.ok() && *more) more = reader->Next(&raw);
    EXPECT_FALSE(more.ok()) << stop;
    EXPECT_FALSE(reader->SkippedBadValue()) << stop;
  }
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

namespace ctihub::stix {
namespace {

// Random objects whose strings are full of brackets, quotes and escapes, at every alignment
// relative to the 64-byte blocks the splitter classifies at once and across 1 MiB refills: the
// splitter must return exactly the objects that were written.
std::string RandomString(std::mt19937& rng) {
  static constexpr std::string_view kAlphabet = "ab{}[]\",:\\ \n\t/x";
  std::uniform_int_distribution<int> len(0, 90), pick(0, kAlphabet.size() - 1);
  std::string out = "\"";
  int n = len(rng);
  for (int i = 0; i < n; ++i) {
    char c = kAlphabet[pick(rng)];
    if (c == '"' || c == '\\') {
      out += '\\';  // escaped quote or backslash
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string RandomValue(std::mt19937& rng, int depth) {
  std::uniform_int_distribution<int> kind(0, depth > 4 ? 1 : 3);
  switch (kind(rng)) {
    case 0: return RandomString(rng);
    case 1: return std::to_string(rng() % 1000);
    case 2: {
      std::string out = "[";
      for (int i = 0, n = static_cast<int>(rng() % 4); i < n; ++i) {
        if (i) out += ", ";
        out += RandomValue(rng, depth + 1);
      }
      return out + "]";
    }
    default: {
      std::string out = "{";
      for (int i = 0, n = static_cast<int>(rng() % 4); i < n; ++i) {
        if (i) out += ",\n  ";
        out += RandomString(rng) + ": " + RandomValue(rng, depth + 1);
      }
      return out + "}";
    }
  }
}

TEST(ObjectReader, SplitsRandomObjectsExactly) {
  std::mt19937 rng(12345);
  std::vector<std::string> objects;
  std::vector<uint64_t> lines;  // 1-based line where each object starts
  uint64_t newlines = 0;
  std::string bundle = R"({"type":"bundle","id":"bundle--1","objects":[)";
  size_t total = 0;
  while (total < (3u << 20)) {  // > 1 MiB refills, several of them
    std::string obj = "{\"k\": " + RandomValue(rng, 0) + ", \"s\": " + RandomString(rng) + "}";
    if (!objects.empty()) {
      bundle += std::string(rng() % 3, ' ') + ",\n";
      ++newlines;
    }
    lines.push_back(1 + newlines);
    bundle += obj;
    newlines += std::count(obj.begin(), obj.end(), '\n');
    objects.push_back(obj);
    total += obj.size();
  }
  bundle += "]}";
  // Through a file, so the 1 MiB refill path is exercised too.
  std::string path = ::testing::TempDir() + "/ctihub-split-random.json";
  {
    FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(bundle.data(), 1, bundle.size(), f);
    std::fclose(f);
  }
  for (bool from_file : {false, true}) {
    std::unique_ptr<ObjectReader> reader;
    if (from_file) {
      auto opened = ObjectReader::OpenFile(path);
      ASSERT_TRUE(opened.ok());
      reader = std::move(opened).value();
    } else {
      reader = ObjectReader::FromString(bundle);
    }
    size_t i = 0;
    RawObject raw;
    for (;;) {
      Result<bool> more = reader->Next(&raw);
      ASSERT_TRUE(more.ok()) << more.status().ToString();
      if (!*more) break;
      ASSERT_LT(i, objects.size());
      ASSERT_EQ(raw.text, objects[i]) << "object " << i << (from_file ? " (file)" : "");
      ASSERT_EQ(raw.line, lines[i]) << "object " << i;
      ++i;
    }
    EXPECT_EQ(i, objects.size());
  }
  std::remove(path.c_str());
}

}  // namespace
}  // namespace ctihub::stix

namespace ctihub::stix {
namespace {

// Review finding: the 4096-byte scalar limit was applied to the whole recorded object.
TEST(ObjectReader, ScalarsAfterLongMembersAreFine) {
  std::string obj = R"({"id":"x--1","description":")" + std::string(5000, 'a') + R"(","revoked":false,"n":12})";
  auto reader = ObjectReader::FromString(obj + "\n" + obj + "\n");
  RawObject raw;
  for (int i = 0; i < 2; ++i) {
    Result<bool> more = reader->Next(&raw);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    ASSERT_TRUE(*more);
    EXPECT_EQ(raw.text, obj);
  }
}

// Review finding: members of a top-level value were compared pairwise and kept without limit.
TEST(ObjectReader, ManyTopLevelMembersStayCheap) {
  std::string text = R"({"type":"bundle","id":"bundle--1","objects":[{"a":1}])";
  for (int i = 0; i < 200000; ++i) text += R"(,"k":"")";
  text += "}";
  auto reader = ObjectReader::FromString(text);
  RawObject raw;
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(*reader->Next(&raw));
  ASSERT_FALSE(*reader->Next(&raw));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  auto finished = reader->TakeFinishedEnvelopes();
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_LE(finished[0].properties.size(), 70u);
}

}  // namespace
}  // namespace ctihub::stix
