// eval_cases: ctihub's side of the side-by-side comparison with stix2-matcher
// (compare_with_stix2_matcher.py). Reads one case per line on stdin, a JSON object
//   {"pattern": "[file:name = 'a']", "observations": <what pattern::ParseObservations accepts>}
// and prints one line per case, in order: `true`, `false`, or `error: <message>` (a pattern that
// does not parse, observations that do not load, or an error from the evaluator). A line that is
// not such an object gives `error: …` too, so the output always has one line per input line.
// Prints the evaluator's total time to stderr at the end ("eval_cases: N cases, T ms evaluating")
// so the script can report ctihub's time per case without the process start.
//
//   printf '%s\n' '{"pattern":"[x-a:b = 1]","observations":[...]}' | eval_cases
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

#include "pattern/evaluator.h"
#include "pattern/observation.h"
#include "pattern/parser.h"

namespace {

using namespace ctihub;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

// Newlines in a message would break the one-line-per-case protocol.
std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

std::string EvaluateLine(const std::string& line, Clock::duration* spent) {
  std::error_code ec;
  json::value input = json::parse(line, ec);
  if (ec || !input.is_object()) return "error: input line is not a JSON object";
  const json::object& c = input.as_object();
  const json::value* pattern_text = c.if_contains("pattern");
  const json::value* observations_json = c.if_contains("observations");
  if (pattern_text == nullptr || !pattern_text->is_string() || observations_json == nullptr) {
    return "error: input needs \"pattern\" (a string) and \"observations\"";
  }
  const std::string observations_text = json::serialize(*observations_json);
  const Clock::time_point start = Clock::now();
  Result<pattern::Pattern> parsed = pattern::ParsePattern(pattern_text->as_string());
  if (!parsed.ok()) return "error: " + OneLine(parsed.status().ToString());
  Result<std::vector<pattern::Observation>> observations =
      pattern::ParseObservations(observations_text);
  if (!observations.ok()) return "error: " + OneLine(observations.status().ToString());
  Result<bool> hit = pattern::Evaluate(*parsed, *observations);
  *spent += Clock::now() - start;
  if (!hit.ok()) return "error: " + OneLine(hit.status().ToString());
  return *hit ? "true" : "false";
}

}  // namespace

int main() {
  std::ios::sync_with_stdio(false);
  std::string line;
  size_t cases = 0;
  Clock::duration spent{};
  while (std::getline(std::cin, line)) {
    std::cout << EvaluateLine(line, &spent) << '\n';
    ++cases;
  }
  std::cout.flush();
  const double ms = std::chrono::duration<double, std::milli>(spent).count();
  std::fprintf(stderr, "eval_cases: %zu cases, %.3f ms evaluating\n", cases, ms);
  return 0;
}
