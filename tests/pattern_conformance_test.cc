// The STIX pattern conformance suite (tests/pattern-conformance/*.json): each case is a pattern
// with observations and the expected answer, or a pattern and the expected parse error. Every
// case runs through the plain evaluator, and every matching case also through the compiled
// matcher (observations fed in time order), which must give the same answer.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "pattern/evaluator.h"
#include "pattern/matcher.h"
#include "pattern/parser.h"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace ctihub;

struct Case {
  std::string file, id, pattern;
  json::value data;
};

std::vector<Case> LoadCases() {
  std::vector<Case> out;
  fs::path dir = fs::path(CTIHUB_SOURCE_DIR) / "tests" / "pattern-conformance";
  std::vector<fs::path> files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    json::value all = json::parse(text.str());
    for (json::value& c : all.as_array()) {
      out.push_back(Case{file.filename().string(), std::string(c.at("id").as_string()),
                         std::string(c.at("pattern").as_string()), c});
    }
  }
  return out;
}

TEST(PatternConformance, EveryCaseGivesTheExpectedAnswer) {
  std::vector<Case> cases = LoadCases();
  ASSERT_GE(cases.size(), 200u);
  size_t evaluated = 0, parse_errors = 0, matcher_checked = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file + " " + c.id + ": " + c.pattern);
    Result<pattern::Pattern> parsed = pattern::ParsePattern(c.pattern);
    const json::object& o = c.data.as_object();
    if (const json::value* expected_error = o.if_contains("parse_error")) {
      ASSERT_FALSE(parsed.ok()) << "parsed, but expected: " << expected_error->as_string();
      std::string message = parsed.status().message();
      EXPECT_NE(message.find(std::string(expected_error->as_string())), std::string::npos) << message;
      ++parse_errors;
      continue;
    }
    if (!parsed.ok()) {
      ADD_FAILURE() << parsed.status().ToString();
      continue;
    }
    Result<std::vector<pattern::Observation>> observations =
        pattern::ParseObservations(json::serialize(o.at("observations")));
    if (!observations.ok()) {
      ADD_FAILURE() << observations.status().ToString();
      continue;
    }
    bool expected = o.at("match").as_bool();
    Result<bool> hit = pattern::Evaluate(*parsed, *observations);
    if (!hit.ok()) {
      ADD_FAILURE() << hit.status().ToString();
      continue;
    }
    EXPECT_EQ(*hit, expected);
    ++evaluated;

    // The compiled matcher over the same observations as a stream (time order). Its windows
    // (WITHIN, or one hour) hold every case whose observations span at most an hour.
    std::vector<pattern::Observation> stream = *observations;
    std::stable_sort(stream.begin(), stream.end(), [](const auto& a, const auto& b) {
      return a.last_observed < b.last_observed;
    });
    if (stream.empty() ||
        stream.back().last_observed.micros() - stream.front().first_observed.micros() >
            int64_t{3600} * 1000000) {
      continue;
    }
    pattern::IndicatorSpec spec;
    spec.id = c.id;
    spec.pattern = c.pattern;
    pattern::CompileReport report;
    auto matcher = pattern::PatternMatcher::Compile({spec}, {}, &report);
    ASSERT_TRUE(matcher.ok());
    ASSERT_EQ(report.compiled, 1u);
    bool fired = false;
    for (const pattern::Observation& obs : stream) {
      std::vector<pattern::PatternMatch> out;
      ASSERT_TRUE((*matcher)->Match(obs, &out).ok());
      fired = fired || !out.empty();
    }
    EXPECT_EQ(fired, expected) << "compiled matcher";
    ++matcher_checked;
  }
  std::printf("conformance: %zu cases evaluated (%zu also through the compiled matcher), %zu parse errors\n",
              evaluated, matcher_checked, parse_errors);
}

// Ids are unique within a file, and a case is either a match case (observations + "match") or a
// parse-error case (no observations); a "reference" note always starts with "differs: ".
TEST(PatternConformance, EveryCaseIsWellFormed) {
  std::set<std::string> seen;
  for (const Case& c : LoadCases()) {
    SCOPED_TRACE(c.file + " " + c.id);
    EXPECT_TRUE(seen.insert(c.file + "/" + c.id).second) << "duplicate id";
    const json::object& o = c.data.as_object();
    const bool is_error = o.contains("parse_error");
    EXPECT_NE(is_error, o.contains("match"));
    EXPECT_NE(is_error, o.contains("observations"));
    if (is_error) {
      EXPECT_TRUE(o.at("parse_error").is_string());
    } else if (o.contains("match")) {
      EXPECT_TRUE(o.at("match").is_bool());
    }
    if (const json::value* ref = o.if_contains("reference")) {
      EXPECT_TRUE(ref->is_string() && ref->as_string().starts_with("differs: "));
    }
  }
}

TEST(PatternConformance, EverySpecExampleIsACase) {
  fs::path dir = fs::path(CTIHUB_SHARED_DATA) / "patterns";
  if (!fs::exists(dir)) GTEST_SKIP() << "../shared/data is absent";
  std::set<std::string> patterns;
  for (const Case& c : LoadCases()) {
    if (c.file == "spec-examples.json") patterns.insert(c.pattern);
  }
  size_t examples = 0;
  for (const char* name : {"stix20-spec-examples.txt", "stix21-spec-examples.txt"}) {
    std::ifstream in(dir / name);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      ++examples;
      EXPECT_TRUE(patterns.count(line)) << name << ": no case for " << line;
    }
  }
  EXPECT_GE(examples, 40u);
}

}  // namespace
