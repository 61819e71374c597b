#include "stix/canonical_json.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

namespace ctihub::stix {
namespace {

std::string Canon(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element element;
  EXPECT_EQ(parser.parse(json).get(element), simdjson::SUCCESS) << json;
  return CanonicalJson(element);
}

std::string WriteDouble(double value) {
  JsonWriter writer;
  writer.Double(value);
  return std::move(writer).Take();
}

// RFC 8785 §3.2.2 example; also cyberphone/json-canonicalization
// testdata/{input,output}/values.json.
TEST(CanonicalJson, Rfc8785ValuesExample) {
  const std::string input = R"({
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false]
  })";
  EXPECT_EQ(Canon(input),
            "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
            "\"string\":\"\xE2\x82\xAC$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

// RFC 8785 §3.2.3 sorting example, as extended in the JCS test data (testdata/input/weird.json):
// U+1F602 (UTF-16 D83D DE02) sorts before U+FB33 although its UTF-8 bytes are larger.
TEST(CanonicalJson, SortsMemberNamesByUtf16CodeUnits) {
  const std::string input = R"({
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\u000a": "Newline",
    "1": "One",
    "\u0080": "Control\u007f",
    "\ud83d\ude02": "Smiley",
    "\u00f6": "Latin Small Letter O With Diaeresis",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "</script>": "Browser Challenge"
  })";
  EXPECT_EQ(
      Canon(input),
      "{\"\\n\":\"Newline\",\"\\r\":\"Carriage Return\",\"1\":\"One\","
      "\"</script>\":\"Browser Challenge\",\"\xC2\x80\":\"Control\x7F\","
      "\"\xC3\xB6\":\"Latin Small Letter O With Diaeresis\",\"\xE2\x82\xAC\":\"Euro Sign\","
      "\"\xF0\x9F\x98\x82\":\"Smiley\",\"\xEF\xAC\xB3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

TEST(CanonicalJson, SupplementaryCharacterSortsBeforePrivateUseArea) {
  // U+10000 is D800 DC00 in UTF-16, below U+E000; in UTF-8 (F0 ..) it is above (EE ..).
  EXPECT_EQ(Canon(R"({"\ue000":1,"\ud800\udc00":2,"\ud7ff":3})"),
            "{\"\xED\x9F\xBF\":3,\"\xF0\x90\x80\x80\":2,\"\xEE\x80\x80\":1}");
  // Same first code unit, decided by the next one.
  EXPECT_EQ(Canon(R"({"a\ud83d\ude03":1,"a\ud83d\ude02":2})"),
            "{\"a\xF0\x9F\x98\x82\":2,\"a\xF0\x9F\x98\x83\":1}");
}

// cyberphone/json-canonicalization testdata: arrays.json, structures.json, french.json,
// unicode.json.
TEST(CanonicalJson, SortsNestedObjectsAndKeepsArrayOrder) {
  EXPECT_EQ(Canon(R"([56, {"d": true, "10": null, "1": [ ]}])"),
            R"([56,{"1":[],"10":null,"d":true}])");
  EXPECT_EQ(
      Canon(R"({
      "1": {"f": {"f": "hi","F": 5} ,"\n": 56.0},
      "10": { },
      "": "empty",
      "a": { },
      "111": [ {"e": "yes","E": "no" } ],
      "A": { }
    })"),
      R"({"":"empty","1":{"\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{"E":"no","e":"yes"}],"A":{},"a":{}})");
}

TEST(CanonicalJson, IgnoresLocaleAndDoesNotNormalizeUnicode) {
  EXPECT_EQ(Canon("{\"sin\":\"ignore locale\",\"p\xC3\xAA"
                  "che\":\"b\",\"p\xC3\xA9"
                  "ch\xC3\xA9\":\"a\","
                  "\"peach\":\"c\"}"),
            "{\"peach\":\"c\",\"p\xC3\xA9"
            "ch\xC3\xA9\":\"a\",\"p\xC3\xAA"
            "che\":\"b\","
            "\"sin\":\"ignore locale\"}");
  EXPECT_EQ(Canon(R"({"Unnormalized Unicode":"A\u030a"})"),
            "{\"Unnormalized Unicode\":\"A\xCC\x8A\"}");
}

TEST(CanonicalJson, EscapesOnlyQuoteBackslashAndControlCharacters) {
  EXPECT_EQ(Canon(R"("\u0000\u0001\b\t\n\u000b\f\r\u001f \"\\\/\u007f\u00e9")"),
            "\"\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f \\\"\\\\/\x7F\xC3\xA9\"");
}

// RFC 8785 Appendix B: IEEE-754 bit patterns and their JCS form (each checked against
// JSON.stringify in Node).
TEST(CanonicalJson, SerializesNumbersLikeEcmaScript) {
  const struct {
    uint64_t bits;
    const char* expected;
  } kCases[] = {
      {0x0000000000000000, "0"},
      {0x8000000000000000, "0"},
      {0x0000000000000001, "5e-324"},
      {0x8000000000000001, "-5e-324"},
      {0x7fefffffffffffff, "1.7976931348623157e+308"},
      {0xffefffffffffffff, "-1.7976931348623157e+308"},
      {0x4340000000000000, "9007199254740992"},
      {0xc340000000000000, "-9007199254740992"},
      {0x4430000000000000, "295147905179352830000"},
      {0x44b52d02c7e14af5, "9.999999999999997e+22"},
      {0x44b52d02c7e14af6, "1e+23"},
      {0x44b52d02c7e14af7, "1.0000000000000001e+23"},
      {0x444b1ae4d6e2ef4e, "999999999999999700000"},
      {0x444b1ae4d6e2ef4f, "999999999999999900000"},
      {0x444b1ae4d6e2ef50, "1e+21"},
      {0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
      {0x3eb0c6f7a0b5ed8d, "0.000001"},
      {0x41b3de4355555553, "333333333.3333332"},
      {0x41b3de4355555554, "333333333.33333325"},
      {0x41b3de4355555555, "333333333.3333333"},
      {0x41b3de4355555556, "333333333.3333334"},
      {0x41b3de4355555557, "333333333.33333343"},
      {0xbecbf647612f3696, "-0.0000033333333333333333"},
      {0x43143ff3c1cb0959, "1424953923781206.2"},
  };
  for (const auto& c : kCases) {
    const double value = std::bit_cast<double>(c.bits);
    EXPECT_EQ(WriteDouble(value), c.expected) << std::hex << c.bits;
    // The same value arriving through the parser (17 significant digits round-trip exactly).
    char text[64];
    std::snprintf(text, sizeof(text), "[%.17g]", value);
    EXPECT_EQ(Canon(text), std::string("[") + c.expected + "]") << text;
  }
}

TEST(CanonicalJson, IntegersBeyondDoublePrecisionBecomeTheNearestDouble) {
  EXPECT_EQ(Canon("[9007199254740993,-9007199254740993,18446744073709551615,0,-0,-0.0,100]"),
            "[9007199254740992,-9007199254740992,18446744073709552000,0,0,0,100]");
  // (simdjson 3.0.1 rejects integer literals beyond uint64, so large values come with exponents.)
  EXPECT_EQ(Canon("[1e21,1E-7,1.2345678901234568e20,0.1,-1.5e300]"),
            "[1e+21,1e-7,123456789012345680000,0.1,-1.5e+300]");
}

TEST(CanonicalJson, KeepsDuplicateMemberNamesInInputOrder) {
  EXPECT_EQ(Canon(R"({"b":1,"a":2,"b":3})"), R"({"a":2,"b":1,"b":3})");
}

TEST(CanonicalJson, AppendsToExistingText) {
  simdjson::dom::parser parser;
  std::string out = "prefix:";
  AppendCanonicalJson(parser.parse(std::string(R"({"z":[],"y":{}})")).value(), &out);
  EXPECT_EQ(out, R"(prefix:{"y":{},"z":[]})");
}

TEST(JsonWriter, WritesCompactNestedJsonWithCommas) {
  JsonWriter w;
  w.BeginObject()
      .Key("type")
      .String("indicator")
      .Key("labels")
      .BeginArray()
      .String("a")
      .String("b")
      .EndArray()
      .Key("empty")
      .BeginObject()
      .EndObject()
      .Key("nested")
      .BeginArray()
      .BeginArray()
      .EndArray()
      .BeginObject()
      .Key("k")
      .Null()
      .EndObject()
      .EndArray()
      .Key("n")
      .Int(-42)
      .Key("u")
      .Uint(18446744073709551615u)
      .Key("d")
      .Double(4.5)
      .Key("t")
      .Bool(true)
      .Key("f")
      .Bool(false)
      .Key("raw")
      .Raw(R"({"x":1})")
      .EndObject();
  EXPECT_EQ(w.str(),
            R"({"type":"indicator","labels":["a","b"],"empty":{},"nested":[[],{"k":null}],)"
            R"("n":-42,"u":18446744073709552000,"d":4.5,"t":true,"f":false,"raw":{"x":1}})");
}

TEST(JsonWriter, EscapesStringsAndKeysLikeCanonicalJson) {
  JsonWriter w;
  w.BeginObject().Key("a\"b").String("line\nbreak\t\x01\\ \xE2\x82\xAC").EndObject();
  EXPECT_EQ(w.str(), "{\"a\\\"b\":\"line\\nbreak\\t\\u0001\\\\ \xE2\x82\xAC\"}");
  // Re-canonicalizing the writer's output changes nothing.
  EXPECT_EQ(Canon(w.str()), w.str());
}

// A name or title that is not UTF-8 (a Latin-1 file name) still makes valid JSON: its bad bytes
// become U+FFFD, the rest is kept.
TEST(JsonWriter, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  JsonWriter w;
  w.BeginObject().Key("path").String("bad\xFF\xFEname-\xE2\x82\xAC").EndObject();
  EXPECT_EQ(w.str(), "{\"path\":\"bad\xEF\xBF\xBD\xEF\xBF\xBDname-\xE2\x82\xAC\"}");
  simdjson::dom::parser parser;
  EXPECT_EQ(parser.parse(w.str()).error(), simdjson::SUCCESS);
}

TEST(JsonWriter, WritesDoublesInEcmaScriptForm) {
  EXPECT_EQ(WriteDouble(1e21), "1e+21");
  EXPECT_EQ(WriteDouble(1e20), "100000000000000000000");
  EXPECT_EQ(WriteDouble(1e-7), "1e-7");
  EXPECT_EQ(WriteDouble(1.5e-6), "0.0000015");
  EXPECT_EQ(WriteDouble(-0.0), "0");
  EXPECT_EQ(WriteDouble(7.980693), "7.980693");
  EXPECT_EQ(WriteDouble(123e-20), "1.23e-18");
}

TEST(JsonWriter, TopLevelScalarsAndClear) {
  JsonWriter w;
  w.String("x");
  EXPECT_EQ(w.str(), "\"x\"");
  w.Clear();
  w.BeginArray().Int(1).Int(2).EndArray();
  EXPECT_EQ(std::move(w).Take(), "[1,2]");
}

}  // namespace
}  // namespace ctihub::stix
