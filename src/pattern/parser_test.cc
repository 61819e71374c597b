#include "pattern/parser.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace ctihub::pattern {
namespace {

using namespace std::string_literals;

// Parses `text`, expecting success, and checks that ToString round-trips: the rendered text
// parses again to a tree that renders the same.
Pattern ParseOk(const std::string& text) {
  Result<Pattern> p = ParsePattern(text);
  EXPECT_TRUE(p.ok()) << text << "\n  -> " << p.status().ToString();
  if (!p.ok()) return Pattern();
  std::string rendered = p->ToString();
  Result<Pattern> again = ParsePattern(rendered);
  EXPECT_TRUE(again.ok()) << "re-parse of " << rendered << " failed: " << again.status().ToString();
  if (again.ok()) {
    EXPECT_EQ(again->ToString(), rendered) << "from " << text;
  }
  return std::move(p).value();
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Conformance: the STIX specification examples and the OASIS validator's own cases.

void ExpectAllSpecExamplesParse(const std::string& file) {
  std::string path = std::string(CTIHUB_SHARED_DATA) + "/patterns/" + file;
  if (!std::ifstream(path).good()) GTEST_SKIP() << "spec example file not found: " << path;
  std::vector<std::string> lines = ReadLines(path);
  ASSERT_FALSE(lines.empty()) << path;
  for (const std::string& line : lines) {
    SCOPED_TRACE(line);
    ParseOk(line);
  }
}

TEST(ParsePatternConformance, EveryStix21SpecExampleParsesAndRoundTrips) {
  ExpectAllSpecExamplesParse("stix21-spec-examples.txt");
}

TEST(ParsePatternConformance, EveryStix20SpecExampleParsesAndRoundTrips) {
  ExpectAllSpecExamplesParse("stix20-spec-examples.txt");
}

// PASS_CASES of stix2patterns/test/v21/test_validator.py (oasis-open/cti-pattern-validator v2.0.0).
const char* const kValidatorPassCases[] = {
    R"([file:size = 1280])",
    R"([file:size != 1280])",
    R"([file:size < 1024])",
    R"([file:size <= 1024])",
    R"([file:size > 1024])",
    R"([file:size >= 1024])",
    R"([file:file_name = 'my_file_name'])",
    R"([file:extended_properties.'ntfs-ext'.sid = '234'])",
    R"([emailaddr:value MATCHES '.+\\@ibm\\.com$' OR file:name MATCHES '^Final Report.+\\.exe$'])",
    R"([ipv4addr:value ISSUBSET '192.168.0.1/24'])",
    R"([ipv4addr:value NOT ISSUBSET '192.168.0.1/24'])",
    R"([user-account:value = 'Peter'] AND [user-account:value != 'Paul'] )"
    R"(AND [user-account:value = 'Mary'] WITHIN 5 SECONDS)",
    R"([file:file_system_properties.file_name LIKE 'name%'])",
    R"([file:file_name IN ('test.txt', 'test2.exe', 'README')])",
    R"([file:size IN (1024, 2048, 4096)])",
    R"([network-connection:extended_properties[0].source_payload MATCHES 'dGVzdHRlc3R0ZXN0'])",
    R"([win-registry-key:key = 'hkey_local_machine\\foo\\bar'] WITHIN 5 SECONDS)",
    R"([x_whatever:detected == t'2018-03-22T12:11:14.1Z'])",
    R"([artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q='])",
    R"([foo:bar=1] REPEATS 9 TIMES)",
    R"([network-traffic:start = '2018-04-20T12:36:24.558Z'])",
    R"(( [(network-traffic:dst_port IN(443,6443,8443) AND network-traffic:src_packets != 0) ]))",
    R"(([win-registry-key:key = 'hkey_local_machine\\foo\\bar']) )"
    R"(WITHIN 5 SECONDS WITHIN 6 SECONDS)",
    R"(([win-registry-key:key = 'hkey_local_machine\\foo\\bar'] REPEATS 2 TIMES) REPEATS 2 TIMES)",
    R"([network-traffic:src_port = 37020 AND user-account:user_id = 'root'] )"
    R"(START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z' OR )"
    R"([ipv4-addr:value = '192.168.122.83'] )"
    R"(START t'2016-06-01T03:55:00.123Z' STOP t'2016-06-01T04:30:24.743Z')",
    R"([file:hashes[*] = '8665c8d477534008b3058b72e2dae8ae'])",
};

TEST(ParsePatternConformance, EveryReferenceValidatorPassCaseParses) {
  for (const char* text : kValidatorPassCases) {
    SCOPED_TRACE(text);
    ParseOk(text);
  }
}

struct ErrorCase {
  std::string name;  // test name suffix
  std::string pattern;
  size_t offset;        // expected location "offset N"
  std::string message;  // expected message, exactly
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

class ParsePatternErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ParsePatternErrorTest, ReportsMessageAndOffset) {
  const ErrorCase& c = GetParam();
  Result<Pattern> p = ParsePattern(c.pattern);
  ASSERT_FALSE(p.ok()) << "parsed: " << p->ToString();
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(p.status().location(), "offset " + std::to_string(c.offset));
  EXPECT_EQ(p.status().message(), c.message);
}

std::string CaseName(const ::testing::TestParamInfo<ErrorCase>& info) { return info.param.name; }

// FAIL_CASES of the same reference test file, with the message this parser gives. The reference's
// expected prefix is noted for each; the offsets equal the reference's column numbers.
INSTANTIATE_TEST_SUITE_P(
    ReferenceValidatorFailCases, ParsePatternErrorTest,
    ::testing::Values(
        // "input is missing square brackets" at 1:0
        ErrorCase{"MissingSquareBrackets", R"(file:size = 1280)", 0,
                  "unexpected 'file' at offset 0, expected '[' or '(' (comparisons go inside "
                  "square brackets: [type:property = value])"},
        // "mismatched input ']'" at 1:13
        ErrorCase{"MissingValue", R"([file:size = ])", 13,
                  "unexpected ']' at offset 13, expected a literal value after '='"},
        // "mismatched input 'cead3f77f6cda6ec00f57d76c9a6879f'" at 1:19
        ErrorCase{"UnquotedString", R"([file:hashes.MD5 = cead3f77f6cda6ec00f57d76c9a6879f])", 19,
                  "unexpected 'cead3f77f6cda6ec00f57d76c9a6879f' at offset 19, expected a "
                  "literal value after '='"},
        // "no viable alternative at input 'file.'" at 1:5
        ErrorCase{"PeriodInsteadOfColon", R"([file.size = 1280])", 5,
                  "unexpected '.' at offset 5, expected ':' between object type and property, "
                  "as in file:name"},
        // "mismatched input '/' expecting StringLiteral" at 1:19
        ErrorCase{"UnquotedRegex", R"([file:name MATCHES /.*\.dll/])", 19,
                  "unexpected '/' at offset 19, expected a string literal after MATCHES"},
        // "mismatched input ']' expecting {IntPosLiteral, FloatPosLiteral}" at 1:63
        ErrorCase{"MissingQualifierValue",
                  R"([win-registry-key:key = 'hkey_local_machine\\foo\\bar'] WITHIN ])", 63,
                  "unexpected ']' at offset 63, expected a positive number of seconds"},
        // "mismatched input 'HOURS' expecting 'SECONDS'" at 1:65
        ErrorCase{"WithinRequiresSeconds",
                  R"([win-registry-key:key = 'hkey_local_machine\\foo\\bar'] WITHIN 5 HOURS])", 65,
                  "unexpected 'HOURS' at offset 65, expected 'SECONDS'"},
        // "mismatched input '-5' expecting {IntPosLiteral, FloatPosLiteral}" at 1:63
        ErrorCase{"WithinRejectsNegative",
                  R"([win-registry-key:key = 'hkey_local_machine\\foo\\bar'] WITHIN -5 SECONDS])",
                  63, "unexpected '-5' at offset 63, expected a positive number of seconds"},
        // "missing StringLiteral at ']'" at 1:40
        ErrorCase{"IsSubsetMissingOperand", R"([network-traffic:dst_ref.value ISSUBSET ])", 40,
                  "unexpected ']' at offset 40, expected a string literal after ISSUBSET"},
        // "extraneous input '?'" at 1:18
        ErrorCase{"InvalidOperator", R"([file:hashes.MD5 =? 'cead3f77f6cda6ec00f57d76c9a6879f'])",
                  18, "unexpected '?' at offset 18, expected a literal value after '='"},
        // "extraneous input 't'" at 1:24
        ErrorCase{"InvalidDate", R"([x_whatever:detected == t'2457-73-22T32:81:84.1Z'])", 24,
                  "invalid timestamp literal at offset 24: timestamp '2457-73-22T32:81:84.1Z' "
                  "has a month outside 01-12; expected YYYY-MM-DDTHH:MM:SS[.s+]Z"},
        // "extraneous input 'b'" at 1:24
        ErrorCase{"InvalidBase64", R"([artifact:payload_bin = b'===='])", 24,
                  "invalid binary literal at offset 24: too much '=' padding; expected base64 "
                  "in groups of 4 characters such as b'AQIDBA=='"},
        // "mismatched input 'within' expecting <EOF>" at 1:12
        ErrorCase{"KeywordsAreUpperCase", R"([foo:bar=1] within 2 seconds)", 12,
                  "unexpected 'within' at offset 12, expected end of input (keywords are "
                  "case-sensitive: write 'WITHIN')"},
        // "'f00' is not a valid SHA-256 hash"
        ErrorCase{"MalformedHash", R"([file:hashes.'SHA-256' = 'f00'])", 25,
                  "'f00' is not a valid SHA-256 hash at offset 25: expected 64 hex digits"},
        // "Duplicate qualifier type encountered: WITHIN"
        ErrorCase{"DuplicateWithin",
                  R"([win-registry-key:key = 'hkey_local_machine\\foo\\bar'] )"
                  R"(WITHIN 5 SECONDS WITHIN 6 SECONDS)",
                  73,
                  "duplicate qualifier type WITHIN at offset 73: each qualifier may appear once "
                  "on an observation expression"},
        // "Duplicate qualifier type encountered: REPEATS"
        ErrorCase{"DuplicateRepeats",
                  R"(([win-registry-key:key = 'hkey_local_machine\\foo\\bar'] )"
                  R"(REPEATS 2 TIMES REPEATS 3 TIMES))",
                  73,
                  "duplicate qualifier type REPEATS at offset 73: each qualifier may appear once "
                  "on an observation expression"},
        // "Duplicate qualifier type encountered: STARTSTOP"
        ErrorCase{"DuplicateStartStop",
                  R"([win-registry-key:key = 'hkey_local_machine\\foo\\bar'] )"
                  R"(START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z' )"
                  R"(START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z')",
                  123,
                  "duplicate qualifier type STARTSTOP at offset 123: each qualifier may appear "
                  "once on an observation expression"}),
    CaseName);

// ---------------------------------------------------------------------------------------------
// Every error the lexer and parser can return.

const std::string kRange = "out of range for a 64-bit ";
const std::string kBase64Hint = "; expected base64 in groups of 4 characters such as b'AQIDBA=='";
const std::string kOperators =
    "a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET)";

INSTANTIATE_TEST_SUITE_P(
    LexerErrors, ParsePatternErrorTest,
    ::testing::Values(
        ErrorCase{"UnterminatedString", "[file:name = 'abc]", 13,
                  "unterminated string literal at offset 13, expected a closing quote"},
        ErrorCase{"BackslashAtEndOfInput", "[file:name = 'abc\\", 13,
                  "unterminated string literal at offset 13, expected a closing quote"},
        ErrorCase{"InvalidEscape", R"([file:name = 'a\nb'])", 15,
                  R"(invalid escape '\n' at offset 15 in string literal; only \' and \\ are )"
                  R"(allowed (write \\ for a backslash))"},
        ErrorCase{"UnterminatedHex", "[file:x = h'00", 10,
                  "unterminated hex literal at offset 10, expected a closing quote"},
        ErrorCase{"UnterminatedBinary", "[file:x = b'AA", 10,
                  "unterminated binary literal at offset 10, expected a closing quote"},
        ErrorCase{"UnterminatedTimestamp", "[file:x = t'2016", 10,
                  "unterminated timestamp literal at offset 10, expected a closing quote"},
        ErrorCase{"HexBadDigit", "[file:x = h'0g']", 10,
                  "invalid hex literal at offset 10: 'g' is not a hex digit; expected pairs of "
                  "hex digits such as h'0aff'"},
        ErrorCase{"HexOddLength", "[file:x = h'abc']", 10,
                  "invalid hex literal at offset 10: 3 hex digits; expected an even number (two "
                  "per byte)"},
        ErrorCase{"BinaryEmpty", "[file:x = b'']", 10,
                  "invalid binary literal at offset 10: it is empty" + kBase64Hint},
        ErrorCase{
            "BinaryBadCharacter", "[file:x = b'ab!d']", 10,
            "invalid binary literal at offset 10: '!' is not a base64 character" + kBase64Hint},
        ErrorCase{"BinaryPaddingInTheMiddle", "[file:x = b'a=bc']", 10,
                  "invalid binary literal at offset 10: '=' before the end" + kBase64Hint},
        ErrorCase{
            "BinaryLengthNotMultipleOfFour", "[file:x = b'abcde']", 10,
            "invalid binary literal at offset 10: length 5 is not a multiple of 4" + kBase64Hint},
        ErrorCase{"BinaryThreePaddingCharacters", "[file:x = b'a===']", 10,
                  "invalid binary literal at offset 10: too much '=' padding" + kBase64Hint},
        ErrorCase{"TimestampMonthOutOfRange", "[file:x = t'2016-13-01T00:00:00Z']", 10,
                  "invalid timestamp literal at offset 10: timestamp '2016-13-01T00:00:00Z' has "
                  "a month outside 01-12; expected YYYY-MM-DDTHH:MM:SS[.s+]Z"},
        ErrorCase{"TimestampWithoutZulu", "[file:x = t'2016-01-01T00:00:00+01:00']", 10,
                  "invalid timestamp literal at offset 10: timestamp "
                  "'2016-01-01T00:00:00+01:00' must end in 'Z' (UTC); expected "
                  "YYYY-MM-DDTHH:MM:SS[.s+]Z"},
        ErrorCase{"TimestampDayThatDoesNotExist", "[file:x = t'2015-02-29T00:00:00Z']", 10,
                  "invalid timestamp literal at offset 10: timestamp '2015-02-29T00:00:00Z' has "
                  "a day that does not exist; expected YYYY-MM-DDTHH:MM:SS[.s+]Z"},
        ErrorCase{"TimestampControlByte", "[file:x = t'2016\x01']", 10,
                  "invalid timestamp literal at offset 10: unexpected byte '\\x01'; expected "
                  "t'YYYY-MM-DDTHH:MM:SS[.s+]Z'"},
        ErrorCase{"IntegerTooLarge", "[file:size = 9223372036854775808]", 13,
                  "integer '9223372036854775808' at offset 13 is " + kRange + "signed integer"},
        ErrorCase{"IntegerTooSmall", "[file:size = -9223372036854775809]", 13,
                  "integer '-9223372036854775809' at offset 13 is " + kRange + "signed integer"},
        ErrorCase{"FloatTooLarge", "[file:size = 1" + std::string(400, '0') + ".5]", 13,
                  "float literal '1" + std::string(39, '0') + "...' at offset 13 is " + kRange +
                      "double"},
        ErrorCase{"IntegerLeadingZero", "[file:size = 0123]", 13,
                  "invalid integer '0123' at offset 13: leading zeros are not allowed"},
        ErrorCase{"UnterminatedComment", "[file:size = 1] /* no end", 16,
                  "unterminated comment at offset 16, expected '*/'"}),
    CaseName);

INSTANTIATE_TEST_SUITE_P(
    ParserErrors, ParsePatternErrorTest,
    ::testing::Values(
        ErrorCase{"EmptyInput", "", 0, "unexpected end of input at offset 0, expected '[' or '('"},
        ErrorCase{"OnlyComment", "  // nothing", 12,
                  "unexpected end of input at offset 12, expected '[' or '('"},
        ErrorCase{"UnclosedBracket", "[file:size = 1280", 17,
                  "unexpected end of input at offset 17, expected ']'"},
        ErrorCase{"UnclosedObservationParen", "([file:size = 1]", 16,
                  "unexpected end of input at offset 16, expected ')'"},
        ErrorCase{"UnclosedComparisonParen", "[(file:size = 1]", 15,
                  "unexpected ']' at offset 15, expected ')'"},
        ErrorCase{"MissingOperandAfterAnd", "[file:size = 1] AND", 19,
                  "unexpected end of input at offset 19, expected '[' or '('"},
        ErrorCase{"LowercaseOperatorBetweenObservations", "[file:size = 1] and [file:size = 2]", 16,
                  "unexpected 'and' at offset 16, expected end of input (keywords are "
                  "case-sensitive: write 'AND')"},
        ErrorCase{"ObservationsWithoutOperator", "[file:size = 1] [file:size = 2]", 16,
                  "unexpected '[' at offset 16, expected end of input (join observation "
                  "expressions with AND, OR or FOLLOWEDBY)"},
        ErrorCase{"ReservedLastKeyword", "[file:size = 1] LAST 5 SECONDS", 16,
                  "unexpected 'LAST' at offset 16, expected end of input"},
        ErrorCase{"MissingObjectPath", "[= 1]", 1,
                  "unexpected '=' at offset 1, expected an object path such as file:name, '(' or "
                  "EXISTS"},
        ErrorCase{"NotBeforePath", "[NOT file:name = 'x']", 5,
                  "unexpected 'file' at offset 5, expected EXISTS (other negated operators "
                  "follow the path: file:name NOT = 'x')"},
        ErrorCase{"ExistsWithoutPath", "[EXISTS 'x']", 8,
                  "unexpected string 'x' at offset 8, expected an object path such as file:name"},
        ErrorCase{"UppercaseObjectType", "[File:name = 'x']", 1,
                  "invalid object type 'File' at offset 1: STIX type names are 3-250 characters "
                  "of lowercase a-z, 0-9 and '-'"},
        ErrorCase{"ShortObjectType", "[ab:name = 'x']", 1,
                  "invalid object type 'ab' at offset 1: STIX type names are 3-250 characters "
                  "of lowercase a-z, 0-9 and '-'"},
        ErrorCase{"DoubleHyphenObjectType", "[x--y:name = 'x']", 1,
                  "invalid object type 'x--y' at offset 1: STIX type names are 3-250 "
                  "characters of lowercase a-z, 0-9 and '-'"},
        ErrorCase{"MissingPropertyName", "[file: = 1]", 7,
                  "unexpected '=' at offset 7, expected a property name"},
        ErrorCase{"UnquotedHyphenatedProperty", "[file:extensions.windows-pebinary-ext.x = 1]", 17,
                  "property name 'windows-pebinary-ext' at offset 17 contains '-'; quote it: "
                  "'windows-pebinary-ext'"},
        ErrorCase{"KeywordAsPropertyName", "[file:IN = 1]", 6,
                  "unexpected 'IN' at offset 6, expected a property name (quote a keyword used "
                  "as a name: 'IN')"},
        ErrorCase{"BadListIndex", "[file:x[a] = 1]", 8,
                  "unexpected 'a' at offset 8, expected a list index or '*'"},
        ErrorCase{"UnclosedListIndex", "[file:x[1 = 1]", 10,
                  "unexpected '=' at offset 10, expected ']' after the list index"},
        ErrorCase{"MissingOperator", "[file:name 'x']", 11,
                  "unexpected string 'x' at offset 11, expected " + kOperators},
        ErrorCase{"ExistsAfterPath", "[file:name EXISTS]", 11,
                  "unexpected 'EXISTS' at offset 11, expected " + kOperators +
                      " (EXISTS goes before the path: EXISTS file:name)"},
        ErrorCase{"LowercaseOperator", "[file:name like 'x%']", 11,
                  "unexpected 'like' at offset 11, expected " + kOperators +
                      " (keywords are case-sensitive: write 'LIKE')"},
        ErrorCase{"NotWithoutOperator", "[file:name NOT 'x']", 15,
                  "unexpected string 'x' at offset 15, expected " + kOperators},
        ErrorCase{"UppercaseBoolean", "[file:x = TRUE]", 10,
                  "unexpected 'TRUE' at offset 10, expected a literal value after '=' (keywords "
                  "are case-sensitive: write 'true')"},
        ErrorCase{"OrderingWithBoolean", "[file:size > true]", 13,
                  "unexpected 'true' at offset 13, expected a number, string, timestamp, hex or "
                  "binary literal after '>'"},
        ErrorCase{"LikeNeedsString", "[file:name LIKE 5]", 16,
                  "unexpected '5' at offset 16, expected a string literal after LIKE"},
        ErrorCase{"IssupersetNeedsString", "[ipv4-addr:value ISSUPERSET h'00']", 28,
                  "unexpected h'00' at offset 28, expected a string literal after ISSUPERSET"},
        ErrorCase{"InNeedsParenthesis", "[file:size IN 5]", 14,
                  "unexpected '5' at offset 14, expected '(' to start the IN list"},
        ErrorCase{"InEmptyList", "[file:size IN ()]", 14,
                  "empty IN list at offset 14, expected at least one value"},
        ErrorCase{"InNonLiteral", "[file:size IN (1, x)]", 18,
                  "unexpected 'x' at offset 18, expected a literal value in the IN list"},
        ErrorCase{"InMissingComma", "[file:size IN (1 2)]", 17,
                  "unexpected '2' at offset 17, expected ',' or ')' in the IN list"},
        ErrorCase{"WithinZero", "[file:size = 1] WITHIN 0 SECONDS", 23,
                  "unexpected '0' at offset 23, expected a positive number of seconds"},
        ErrorCase{"WithinZeroFloat", "[file:size = 1] WITHIN 0.0 SECONDS", 23,
                  "unexpected '0.0' at offset 23, expected a positive number of seconds"},
        ErrorCase{"WithinLowercaseSeconds", "[file:size = 1] WITHIN 5 seconds", 25,
                  "unexpected 'seconds' at offset 25, expected 'SECONDS' (keywords are "
                  "case-sensitive: write 'SECONDS')"},
        ErrorCase{"RepeatsZero", "[file:size = 1] REPEATS 0 TIMES", 24,
                  "unexpected '0' at offset 24, expected a positive integer"},
        ErrorCase{"RepeatsFloat", "[file:size = 1] REPEATS 1.5 TIMES", 24,
                  "unexpected '1.5' at offset 24, expected a positive integer"},
        ErrorCase{"RepeatsRequiresTimes", "[file:size = 1] REPEATS 2 TIME", 26,
                  "unexpected 'TIME' at offset 26, expected 'TIMES'"},
        ErrorCase{"StartNeedsTimestamp", "[file:size = 1] START '2016-01-01T00:00:00Z'", 22,
                  "unexpected string '2016-01-01T00:00:00Z' at offset 22, expected a timestamp "
                  "t'...' after START"},
        ErrorCase{"StartWithoutStop",
                  "[file:size = 1] START t'2016-01-01T00:00:00Z' t'2016-01-02T00:00:00Z'", 46,
                  "unexpected t'2016-01-02T00:00:00Z' at offset 46, expected 'STOP'"},
        ErrorCase{"StopNeedsTimestamp", "[file:size = 1] START t'2016-01-01T00:00:00Z' STOP 5", 51,
                  "unexpected '5' at offset 51, expected a timestamp t'...' after STOP"},
        ErrorCase{"StopBeforeStart",
                  "[file:size = 1] START t'2016-01-02T00:00:00Z' STOP t'2016-01-01T00:00:00Z'", 51,
                  "STOP t'2016-01-01T00:00:00Z' is not later than START t'2016-01-02T00:00:00Z' "
                  "at offset 51; the time window must end after it starts"},
        ErrorCase{"StopEqualsStart",
                  "[file:size = 1] START t'2016-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00Z'", 51,
                  "STOP t'2016-01-01T00:00:00Z' is not later than START t'2016-01-01T00:00:00Z' "
                  "at offset 51; the time window must end after it starts"},
        ErrorCase{"Md5WrongLength", "[file:hashes.MD5 = 'abc']", 19,
                  "'abc' is not a valid MD5 hash at offset 19: expected 32 hex digits"},
        ErrorCase{"Sha1NotHex", "[file:hashes.'SHA-1' != 'zz" + std::string(38, '0') + "']", 24,
                  "'zz" + std::string(38, '0') +
                      "' is not a valid SHA-1 hash at offset 24: expected 40 hex digits"},
        ErrorCase{"HashInListChecked",
                  "[file:hashes.sha256 IN ('" + std::string(64, 'a') + "', 'short')]", 92,
                  "'short' is not a valid SHA-256 hash at offset 92: expected 64 hex digits"},
        ErrorCase{"Sha3_512WrongLength", "[file:hashes.'SHA3-512' = 'abcd']", 26,
                  "'abcd' is not a valid SHA3-512 hash at offset 26: expected 128 hex digits"},
        ErrorCase{"SsdeepBadCharacter", "[file:hashes.SSDEEP = '3:a b']", 22,
                  "'3:a b' is not a valid SSDEEP hash at offset 22: expected 1-128 characters "
                  "of A-Z, a-z, 0-9, '/', '+', ':', '.'"},
        ErrorCase{"NestingTooDeep", std::string(257, '(') + "[file:size = 1]", 256,
                  "nesting deeper than 256 levels at offset 256; simplify the pattern"},
        ErrorCase{"ComparisonNestingTooDeep", "[" + std::string(256, '(') + "file:size = 1]", 256,
                  "nesting deeper than 256 levels at offset 256; simplify the pattern"},
        ErrorCase{"SmartQuotes", "[file:name = \xE2\x80\x98x\xE2\x80\x99]", 13,
                  "unexpected '\\xe2\\x80\\x98' at offset 13, expected a literal value after '=' "
                  "(literals use ASCII single quotes: 'text')"},
        ErrorCase{"DoubleQuotes", "[file:name = \"x\"]", 13,
                  "unexpected '\"' at offset 13, expected a literal value after '=' (literals "
                  "use ASCII single quotes: 'text')"},
        ErrorCase{"EmbeddedNul", "[file:name\0 = 'x']"s, 10,
                  "unexpected '\\x00' at offset 10, expected " + kOperators},
        ErrorCase{"InvalidUtf8OutsideString", "[file:name = 'x'] \xff", 18,
                  "unexpected '\\xff' at offset 18, expected end of input"}),
    CaseName);

// ---------------------------------------------------------------------------------------------
// Tree shape.

const ObservationExpression& Child(const ObservationExpression& e, size_t i) {
  return e.children.at(i);
}

std::string TypeOf(const ObservationExpression& e) {
  return e.comparison.comparison.path.object_type;
}

TEST(ParsePattern, FollowedByBindsLoosestThenOrThenAnd) {
  Pattern p = ParseOk("[aaa:x=1] OR [bbb:x=1] AND [ccc:x=1] FOLLOWEDBY [ddd:x=1]");
  const ObservationExpression& root = p.root;
  ASSERT_EQ(root.kind, ObservationKind::kFollowedBy);
  ASSERT_EQ(root.children.size(), 2u);
  const ObservationExpression& left = Child(root, 0);
  ASSERT_EQ(left.kind, ObservationKind::kOr);
  EXPECT_EQ(TypeOf(Child(left, 0)), "aaa");
  ASSERT_EQ(Child(left, 1).kind, ObservationKind::kAnd);
  EXPECT_EQ(TypeOf(Child(Child(left, 1), 0)), "bbb");
  EXPECT_EQ(TypeOf(Child(Child(left, 1), 1)), "ccc");
  EXPECT_EQ(TypeOf(Child(root, 1)), "ddd");
  EXPECT_EQ(p.ToString(), "[aaa:x = 1] OR [bbb:x = 1] AND [ccc:x = 1] FOLLOWEDBY [ddd:x = 1]");
}

TEST(ParsePattern, ParenthesesOverridePrecedenceAndAreKeptInText) {
  Pattern p = ParseOk("([aaa:x=1] FOLLOWEDBY [bbb:x=1]) AND [ccc:x=1]");
  ASSERT_EQ(p.root.kind, ObservationKind::kAnd);
  EXPECT_EQ(Child(p.root, 0).kind, ObservationKind::kFollowedBy);
  EXPECT_EQ(p.ToString(), "([aaa:x = 1] FOLLOWEDBY [bbb:x = 1]) AND [ccc:x = 1]");
}

TEST(ParsePattern, ChainsOfOneOperatorAreFlattened) {
  Pattern p = ParseOk("([aaa:x=1] AND [bbb:x=1]) AND [ccc:x=1] AND ([ddd:x=1] AND [eee:x=1])");
  ASSERT_EQ(p.root.kind, ObservationKind::kAnd);
  EXPECT_EQ(p.root.children.size(), 5u);
  Pattern q = ParseOk("[aaa:a=1 OR (aaa:b=2 OR aaa:c=3)]");
  EXPECT_EQ(q.root.comparison.kind, ComparisonKind::kOr);
  EXPECT_EQ(q.root.comparison.children.size(), 3u);
}

TEST(ParsePattern, QualifierAppliesToTheNearestObservation) {
  Pattern p = ParseOk("[aaa:x=1] AND [bbb:x=1] WITHIN 5 SECONDS");
  ASSERT_EQ(p.root.kind, ObservationKind::kAnd);
  EXPECT_TRUE(p.root.qualifiers.empty());
  EXPECT_TRUE(Child(p.root, 0).qualifiers.empty());
  ASSERT_EQ(Child(p.root, 1).qualifiers.size(), 1u);
  EXPECT_EQ(Child(p.root, 1).qualifiers[0].kind, QualifierKind::kWithin);
  EXPECT_DOUBLE_EQ(Child(p.root, 1).qualifiers[0].within_seconds, 5);
}

TEST(ParsePattern, QualifiersOnParenthesesApplyToTheWholeExpression) {
  Pattern p = ParseOk("([aaa:x=1] AND [bbb:x=1]) REPEATS 3 TIMES WITHIN 1.5 SECONDS");
  ASSERT_EQ(p.root.kind, ObservationKind::kAnd);
  ASSERT_EQ(p.root.qualifiers.size(), 2u);
  EXPECT_EQ(p.root.qualifiers[0].kind, QualifierKind::kRepeats);
  EXPECT_EQ(p.root.qualifiers[0].repeats, 3);
  EXPECT_DOUBLE_EQ(p.root.qualifiers[1].within_seconds, 1.5);
  EXPECT_EQ(p.ToString(), "([aaa:x = 1] AND [bbb:x = 1]) REPEATS 3 TIMES WITHIN 1.5 SECONDS");
}

TEST(ParsePattern, RepeatedQualifiersOnParenthesesKeepAGroupNode) {
  Pattern p = ParseOk("([aaa:x=1] WITHIN 5 SECONDS) WITHIN 6 SECONDS");
  ASSERT_EQ(p.root.kind, ObservationKind::kGroup);
  ASSERT_EQ(p.root.children.size(), 1u);
  EXPECT_EQ(Child(p.root, 0).kind, ObservationKind::kObservation);
  EXPECT_DOUBLE_EQ(Child(p.root, 0).qualifiers.at(0).within_seconds, 5);
  EXPECT_DOUBLE_EQ(p.root.qualifiers.at(0).within_seconds, 6);
  EXPECT_EQ(p.ToString(), "([aaa:x = 1] WITHIN 5 SECONDS) WITHIN 6 SECONDS");
  // Parentheses without qualifiers leave no trace.
  EXPECT_EQ(ParseOk("(([aaa:x=1]))").root.kind, ObservationKind::kObservation);
}

TEST(ParsePattern, StartStopQualifierHoldsBothTimestamps) {
  Pattern p = ParseOk("[aaa:x=1] START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00Z'");
  ASSERT_EQ(p.root.qualifiers.size(), 1u);
  const Qualifier& q = p.root.qualifiers[0];
  EXPECT_EQ(q.kind, QualifierKind::kStartStop);
  EXPECT_EQ(q.start.ToString(), "2016-06-01T01:30:00.123000Z");
  EXPECT_EQ(q.stop.ToString(), "2016-06-01T02:20:00.000000Z");
  EXPECT_EQ(p.ToString(),
            "[aaa:x = 1] START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00Z'");
}

TEST(ParsePattern, ComparisonAndBindsTighterThanOr) {
  Pattern p = ParseOk("[aaa:x=1 OR aaa:y=2 AND aaa:z=3]");
  const ComparisonExpression& c = p.root.comparison;
  ASSERT_EQ(c.kind, ComparisonKind::kOr);
  EXPECT_EQ(c.children.at(0).kind, ComparisonKind::kComparison);
  EXPECT_EQ(c.children.at(1).kind, ComparisonKind::kAnd);
  Pattern q = ParseOk("[(aaa:x=1 OR aaa:y=2) AND aaa:z=3]");
  EXPECT_EQ(q.root.comparison.kind, ComparisonKind::kAnd);
  EXPECT_EQ(q.ToString(), "[(aaa:x = 1 OR aaa:y = 2) AND aaa:z = 3]");
}

TEST(ParsePattern, EveryOperatorWithAndWithoutNot) {
  struct Case {
    const char* text;
    ComparisonOperator op;
    bool negated;
  };
  const Case cases[] = {
      {"[file:size = 1]", ComparisonOperator::kEqual, false},
      {"[file:size == 1]", ComparisonOperator::kEqual, false},
      {"[file:size NOT = 1]", ComparisonOperator::kEqual, true},
      {"[file:size != 1]", ComparisonOperator::kNotEqual, false},
      {"[file:size <> 1]", ComparisonOperator::kNotEqual, false},
      {"[file:size NOT != 1]", ComparisonOperator::kNotEqual, true},
      {"[file:size < 1]", ComparisonOperator::kLess, false},
      {"[file:size NOT <= 1]", ComparisonOperator::kLessOrEqual, true},
      {"[file:size > 1]", ComparisonOperator::kGreater, false},
      {"[file:size >= 1]", ComparisonOperator::kGreaterOrEqual, false},
      {"[file:size NOT IN (1, 2)]", ComparisonOperator::kIn, true},
      {"[file:name LIKE 'a%']", ComparisonOperator::kLike, false},
      {"[file:name NOT LIKE 'a%']", ComparisonOperator::kLike, true},
      {"[file:name MATCHES '^a']", ComparisonOperator::kMatches, false},
      {"[file:name NOT MATCHES '^a']", ComparisonOperator::kMatches, true},
      {"[ipv4-addr:value ISSUBSET '10.0.0.0/8']", ComparisonOperator::kIsSubset, false},
      {"[ipv4-addr:value NOT ISSUPERSET '10.0.0.0/8']", ComparisonOperator::kIsSuperset, true},
      {"[EXISTS file:name]", ComparisonOperator::kExists, false},
      {"[NOT EXISTS file:name]", ComparisonOperator::kExists, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    Pattern p = ParseOk(c.text);
    const Comparison& cmp = p.root.comparison.comparison;
    EXPECT_EQ(cmp.op, c.op);
    EXPECT_EQ(cmp.negated, c.negated);
    EXPECT_EQ(cmp.offset, 1u);
    EXPECT_EQ(cmp.values.size(), c.op == ComparisonOperator::kExists ? 0u
                                 : c.op == ComparisonOperator::kIn   ? 2u
                                                                     : 1u);
  }
  EXPECT_EQ(ParseOk("[file:size == 1]").ToString(), "[file:size = 1]");
  EXPECT_EQ(ParseOk("[file:size <> 1]").ToString(), "[file:size != 1]");
  EXPECT_EQ(ParseOk("[NOT EXISTS file:name]").ToString(), "[NOT EXISTS file:name]");
  EXPECT_EQ(ParseOk("[file:name NOT LIKE 'a%']").ToString(), "[file:name NOT LIKE 'a%']");
}

TEST(ParsePattern, ObjectPathStepsAndQuotedNames) {
  Pattern p = ParseOk(
      "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0 AND "
      "x-custom-thing:'first name'.list[-1].'it\\'s'[+3] = 1]");
  const ComparisonExpression& c = p.root.comparison;
  ASSERT_EQ(c.kind, ComparisonKind::kAnd);
  const ObjectPath& a = c.children.at(0).comparison.path;
  EXPECT_EQ(a.object_type, "file");
  ASSERT_EQ(a.steps.size(), 5u);
  EXPECT_EQ(a.steps[0].property, "extensions");
  EXPECT_EQ(a.steps[1].property, "windows-pebinary-ext");
  EXPECT_EQ(a.steps[2].property, "sections");
  EXPECT_EQ(a.steps[3].kind, PathStepKind::kAnyIndex);
  EXPECT_EQ(a.steps[4].property, "entropy");
  EXPECT_EQ(a.ToString(), "file:extensions.'windows-pebinary-ext'.sections[*].entropy");

  const ObjectPath& b = c.children.at(1).comparison.path;
  EXPECT_EQ(b.object_type, "x-custom-thing");
  ASSERT_EQ(b.steps.size(), 5u);
  EXPECT_EQ(b.steps[0].property, "first name");
  EXPECT_EQ(b.steps[2].kind, PathStepKind::kIndex);
  EXPECT_EQ(b.steps[2].index, -1);
  EXPECT_EQ(b.steps[3].property, "it's");
  EXPECT_EQ(b.steps[4].index, 3);
  EXPECT_EQ(b.ToString(), "x-custom-thing:'first name'.list[-1].'it\\'s'[3]");
}

TEST(ParsePattern, QuotedPropertyNamesAreUnquotedWhenPossible) {
  EXPECT_EQ(ParseOk("[file:'name' = 'x']").ToString(), "[file:name = 'x']");
  EXPECT_EQ(ParseOk("[file:hashes.'MD5' = 'cead3f77f6cda6ec00f57d76c9a6879f']").ToString(),
            "[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']");
  // Keywords and names that are not identifiers stay quoted.
  EXPECT_EQ(ParseOk("[file:'IN'.'1a'.'a b' = 1]").ToString(), "[file:'IN'.'1a'.'a b' = 1]");
  // _ref and _refs steps are ordinary properties.
  Pattern p = ParseOk("[domain-name:resolves_to_refs[*].value = '198.51.100.1/32']");
  EXPECT_EQ(p.root.comparison.comparison.path.steps[0].property, "resolves_to_refs");
}

// ---------------------------------------------------------------------------------------------
// Literals.

const Literal& OnlyValue(const Pattern& p) { return p.root.comparison.comparison.values.at(0); }

TEST(ParsePattern, StringLiteralsUnescapeQuoteAndBackslash) {
  Pattern p = ParseOk(R"([file:name = 'it\'s C:\\dir'])");
  EXPECT_EQ(std::get<std::string>(OnlyValue(p).value), R"(it's C:\dir)");
  EXPECT_EQ(p.ToString(), R"([file:name = 'it\'s C:\\dir'])");
  EXPECT_EQ(std::get<std::string>(OnlyValue(ParseOk("[file:name = '']")).value), "");
}

TEST(ParsePattern, StringLiteralsKeepNulAndArbitraryBytes) {
  Pattern p = ParseOk("[file:name = 'a\0b\xff\xfe\xc3\xa9']"s);
  EXPECT_EQ(std::get<std::string>(OnlyValue(p).value), "a\0b\xff\xfe\xc3\xa9"s);
  EXPECT_EQ(p.ToString(), "[file:name = 'a\0b\xff\xfe\xc3\xa9']"s);
}

TEST(ParsePattern, IntegerLiteralsCoverTheInt64Range) {
  EXPECT_EQ(std::get<int64_t>(OnlyValue(ParseOk("[file:size = 0]")).value), 0);
  EXPECT_EQ(std::get<int64_t>(OnlyValue(ParseOk("[file:size = +42]")).value), 42);
  EXPECT_EQ(std::get<int64_t>(OnlyValue(ParseOk("[file:size = -7]")).value), -7);
  EXPECT_EQ(std::get<int64_t>(OnlyValue(ParseOk("[file:size = 9223372036854775807]")).value),
            std::numeric_limits<int64_t>::max());
  Pattern min = ParseOk("[file:size = -9223372036854775808]");
  EXPECT_EQ(std::get<int64_t>(OnlyValue(min).value), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(min.ToString(), "[file:size = -9223372036854775808]");
  EXPECT_EQ(ParseOk("[file:size = +42]").ToString(), "[file:size = 42]");
}

TEST(ParsePattern, FloatLiteralsNeedDigitsAfterThePoint) {
  EXPECT_DOUBLE_EQ(std::get<double>(OnlyValue(ParseOk("[file:x = 7.0]")).value), 7.0);
  EXPECT_DOUBLE_EQ(std::get<double>(OnlyValue(ParseOk("[file:x = .5]")).value), 0.5);
  EXPECT_DOUBLE_EQ(std::get<double>(OnlyValue(ParseOk("[file:x = -.25]")).value), -0.25);
  EXPECT_DOUBLE_EQ(std::get<double>(OnlyValue(ParseOk("[file:x = +007.5]")).value), 7.5);
  EXPECT_EQ(ParseOk("[file:x = 7.0]").ToString(), "[file:x = 7.0]");
  EXPECT_EQ(ParseOk("[file:x = 0.0000001]").ToString(), "[file:x = 0.0000001]");
  // Fixed notation: large values print every integer digit of the double.
  EXPECT_EQ(ParseOk("[file:x = 123456789012345678901234567890.5]").ToString(),
            "[file:x = 123456789012345677877719597056.0]");
  // "1." is not a float in the grammar: the '.' is left over.
  Result<Pattern> r = ParsePattern("[file:x = 1.]");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "unexpected '.' at offset 11, expected ']'");
}

TEST(ParsePattern, BooleanTimestampHexAndBinaryLiterals) {
  EXPECT_EQ(std::get<bool>(OnlyValue(ParseOk("[file:x = true]")).value), true);
  EXPECT_EQ(std::get<bool>(OnlyValue(ParseOk("[file:x != false]")).value), false);

  Pattern ts = ParseOk("[file:created > t'2014-01-13T07:03:17.5Z']");
  EXPECT_EQ(std::get<Timestamp>(OnlyValue(ts).value).micros(), 1389596597500000);
  EXPECT_EQ(ts.ToString(), "[file:created > t'2014-01-13T07:03:17.5Z']");

  Pattern hex = ParseOk("[file:magic_number_hex = h'0aFF']");
  EXPECT_EQ(OnlyValue(hex).kind(), LiteralKind::kHex);
  EXPECT_EQ(std::get<HexBytes>(OnlyValue(hex).value).bytes, "\x0a\xff");
  EXPECT_EQ(hex.ToString(), "[file:magic_number_hex = h'0aff']");
  EXPECT_EQ(std::get<HexBytes>(OnlyValue(ParseOk("[file:x = h'']")).value).bytes, "");

  Pattern bin = ParseOk("[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']");
  EXPECT_EQ(OnlyValue(bin).kind(), LiteralKind::kBinary);
  EXPECT_EQ(std::get<Base64Bytes>(OnlyValue(bin).value).bytes, "this is a test");
  EXPECT_EQ(bin.ToString(), "[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']");
  EXPECT_EQ(std::get<Base64Bytes>(OnlyValue(ParseOk("[file:x = b'AQ==']")).value).bytes, "\x01");
  EXPECT_EQ(std::get<Base64Bytes>(OnlyValue(ParseOk("[file:x = b'AQI=']")).value).bytes,
            "\x01\x02");
  EXPECT_EQ(ParseOk("[file:x = b'+/+/']").ToString(), "[file:x = b'+/+/']");
}

TEST(ParsePattern, InListKeepsEveryLiteralInOrder) {
  Pattern p =
      ParseOk("[network-traffic:dst_port IN(443,6443,'x', true , t'2016-01-01T00:00:00Z')]");
  const Comparison& cmp = p.root.comparison.comparison;
  ASSERT_EQ(cmp.values.size(), 5u);
  EXPECT_EQ(std::get<int64_t>(cmp.values[1].value), 6443);
  EXPECT_EQ(cmp.values[2].kind(), LiteralKind::kString);
  EXPECT_EQ(cmp.values[3].kind(), LiteralKind::kBoolean);
  EXPECT_EQ(cmp.values[4].kind(), LiteralKind::kTimestamp);
  EXPECT_EQ(p.ToString(),
            "[network-traffic:dst_port IN (443, 6443, 'x', true, t'2016-01-01T00:00:00Z')]");
}

// ---------------------------------------------------------------------------------------------
// Lexical details.

TEST(ParsePattern, CommentsAndUnicodeWhiteSpaceAreSkipped) {
  EXPECT_EQ(ParseOk("/* lead */ [file:size /* in */ = 1] // trailing").ToString(),
            "[file:size = 1]");
  EXPECT_EQ(ParseOk("// line one\n[file:size = 1]").ToString(), "[file:size = 1]");
  // NBSP, ideographic space, line separator, NEL, vertical tab, form feed.
  EXPECT_EQ(ParseOk("\xC2\xA0[file:size\xE3\x80\x80=\xE2\x80\xA8"
                    "1\xC2\x85]\v\f")
                .ToString(),
            "[file:size = 1]");
}

TEST(ParsePattern, OperatorsNeedNoSurroundingSpace) {
  EXPECT_EQ(ParseOk("[process:command_line MATCHES'^a$']").ToString(),
            "[process:command_line MATCHES '^a$']");
  EXPECT_EQ(ParseOk("[file:size>=-1]AND[file:size<=+1]").ToString(),
            "[file:size >= -1] AND [file:size <= 1]");
}

TEST(ParsePattern, KeywordsAreCaseSensitiveAndLowercaseWordsAreNames) {
  // `in` is an identifier, so it is a fine property name; `IN` is not.
  EXPECT_EQ(ParseOk("[file:in = 1]").ToString(), "[file:in = 1]");
  EXPECT_FALSE(ParsePattern("[file:size = 1] within 5 seconds").ok());
}

TEST(ParsePattern, HashValuesOfKnownAlgorithmsAreChecked) {
  ParseOk("[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']");
  ParseOk("[file:hashes.'SHA-1' = '" + std::string(40, 'A') + "']");
  ParseOk("[file:hashes.'SHA3-256' IN ('" + std::string(64, 'b') + "')]");
  ParseOk("[file:hashes.'SHA-512' != '" + std::string(128, 'c') + "']");
  ParseOk("[file:hashes.MD6 = '" + std::string(56, 'd') + "']");
  ParseOk("[file:hashes.SSDEEP = '3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C']");
  ParseOk("[artifact:extensions.'x'.hashes.'SHA-256' = '" + std::string(64, 'e') + "']");
  // Not checked: unknown algorithms, LIKE/MATCHES patterns, [*] selectors, non-hash paths.
  ParseOk("[file:hashes.TLSH = 'abc']");
  ParseOk("[file:hashes.MD5 LIKE 'cead%']");
  ParseOk("[file:hashes[*] = 'abc']");
  ParseOk("[file:name.MD5 = 'abc']");
}

TEST(ParsePattern, NestingUpToTheLimitIsAccepted) {
  std::string deep = std::string(255, '(') + "[file:size = 1]" + std::string(255, ')');
  EXPECT_EQ(ParseOk(deep).ToString(), "[file:size = 1]");
  std::string deep_cmp =
      "[" + std::string(255, '(') + "file:size = 1" + std::string(255, ')') + "]";
  EXPECT_EQ(ParseOk(deep_cmp).ToString(), "[file:size = 1]");
}

TEST(ParsePattern, LongFlatChainsDoNotRecurse) {
  std::string text = "[file:size = 0]";
  std::string cmp = "[file:size = 0";
  for (int i = 1; i < 20000; ++i) {
    text += " AND [file:size = " + std::to_string(i) + "]";
    cmp += " OR file:size = " + std::to_string(i);
  }
  Result<Pattern> p = ParsePattern(text);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->root.children.size(), 20000u);
  Result<Pattern> q = ParsePattern(cmp + "]");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->root.comparison.children.size(), 20000u);
}

// ---------------------------------------------------------------------------------------------
// ExplainPattern.

TEST(ExplainPattern, DescribesEveryNodeInIndentedWords) {
  Pattern p = ParseOk(
      "([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4' AND NOT EXISTS file:name] "
      "FOLLOWEDBY [win-registry-key:key IN ('a', 'b') OR process:name NOT LIKE 'x%']) "
      "WITHIN 300 SECONDS AND [file:size > 7.5] REPEATS 2 TIMES "
      "START t'2016-01-01T00:00:00Z' STOP t'2016-01-02T00:00:00Z'");
  EXPECT_EQ(ExplainPattern(p),
            "all of (AND):\n"
            "  in sequence (FOLLOWEDBY):\n"
            "    qualifier: within 300 seconds\n"
            "    observation: [file]\n"
            "      all of (AND):\n"
            "        comparison: file:hashes.MD5 equals '79054025255fb1a26e4bc422aef54eb4'\n"
            "        comparison: NOT file:name exists\n"
            "    observation: [win-registry-key, process]\n"
            "      any of (OR):\n"
            "        comparison: win-registry-key:key is one of ('a', 'b')\n"
            "        comparison: NOT process:name is like 'x%'\n"
            "  observation: [file]\n"
            "    qualifier: repeats 2 times\n"
            "    qualifier: start 2016-01-01T00:00:00.000000Z stop 2016-01-02T00:00:00.000000Z\n"
            "    comparison: file:size is greater than 7.5\n");
}

TEST(ExplainPattern, ShowsGroupsAndFractionalWithin) {
  Pattern p = ParseOk("([file:size = 1] WITHIN 0.5 SECONDS) WITHIN 2 SECONDS");
  EXPECT_EQ(ExplainPattern(p),
            "group:\n"
            "  qualifier: within 2 seconds\n"
            "  observation: [file]\n"
            "    qualifier: within 0.5 seconds\n"
            "    comparison: file:size equals 1\n");
}

// ---------------------------------------------------------------------------------------------
// Robustness: mutated and random input never crashes, and whatever parses round-trips.

TEST(ParsePattern, MutatedInputNeverCrashesAndParsedOutputRoundTrips) {
  std::vector<std::string> seeds(std::begin(kValidatorPassCases), std::end(kValidatorPassCases));
  seeds.push_back(
      "([a-b:c[*].'d' NOT IN (h'00', b'AA==', -.5)] FOLLOWEDBY [EXISTS x-y:z]) "
      "START t'2016-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z' /* c */");
  const std::string alphabet = "[]()'\\.:*,=!<>+-0123456789abhtTZ AND OR NOT IN \x00\xff/"s;
  std::mt19937 rng(20261123);
  int parsed = 0;
  for (int i = 0; i < 30000; ++i) {
    std::string text = seeds[rng() % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      size_t pos = rng() % text.size();
      switch (rng() % 4) {
        case 0:
          text.erase(pos, 1 + rng() % 3);
          break;
        case 1:
          text.insert(pos, 1, alphabet[rng() % alphabet.size()]);
          break;
        case 2:
          text[pos] = alphabet[rng() % alphabet.size()];
          break;
        default:
          text = text.substr(0, pos);
          break;
      }
    }
    Result<Pattern> p = ParsePattern(text);
    if (!p.ok()) {
      ASSERT_EQ(p.status().location().rfind("offset ", 0), 0u) << text;
      continue;
    }
    ++parsed;
    std::string rendered = p->ToString();
    Result<Pattern> again = ParsePattern(rendered);
    ASSERT_TRUE(again.ok()) << text << "\n -> " << rendered << "\n -> "
                            << again.status().ToString();
    ASSERT_EQ(again->ToString(), rendered) << text;
    (void)ExplainPattern(*p);
  }
  EXPECT_GT(parsed, 100);
}

TEST(ParsePattern, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string text(rng() % 64, '\0');
    for (char& c : text) c = static_cast<char>(rng() % 256);
    if (!text.empty() && rng() % 2) text[0] = '[';
    Result<Pattern> p = ParsePattern(text);
    if (!p.ok()) {
      EXPECT_EQ(p.status().location().rfind("offset ", 0), 0u);
    }
  }
}

}  // namespace
}  // namespace ctihub::pattern
