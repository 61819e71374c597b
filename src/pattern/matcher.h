// pattern/matcher: many indicators against a stream of observations at once — the engine of
// `ctihub match`. Each bracket of each pattern is compiled into index entries that any observation
// satisfying it must fire: equality and IN into one hash table keyed by (object path, value),
// ISSUBSET into the same table keyed by masked addresses per prefix length (with a Bloom filter
// in front, so the values that are in no index — nearly all — are answered from cache), LIKE and
// MATCHES into one regex
// index per object path (internal/matcher_regex.h: FilteredRE2 literal atoms found by one RE2::Set
// of literals, expressions without atoms in small RE2::Sets). A bracket with nothing indexable (only NOT, orderings, EXISTS …) is tried on
// every observation holding an object of its type. Only what fires is evaluated, with the plain
// evaluator's own comparison code, so the two cannot disagree; simple equality brackets need no
// evaluation at all (the hash hit is the answer).
//
// Patterns of several observations (AND/OR/FOLLOWEDBY between brackets, WITHIN, REPEATS,
// START/STOP) keep the recent observations that satisfied one of their brackets — within the
// pattern's WITHIN window, or MatcherOptions::max_window when it has none, and at most
// max_remembered of them — and run the plain evaluator over those when a bracket fires. When the
// pattern matches, the match is reported and the remembered observations are consumed, so one
// burst of traffic raises one alert rather than one per later observation. What this can miss
// compared with the batch evaluator over a whole log: bindings older than the window (without a
// WITHIN) or beyond the cap; observations that satisfied a bracket while the indicator was not
// valid (before valid_from, from valid_until on) are not remembered; after a match the consumed
// observations cannot take part in a second one; observations far out of time order (ending more
// than the window before the newest one starts) have been dropped. Within window and cap the
// answer is the evaluator's, since adding observations only adds bindings: the matcher fires at
// the first observation after which Evaluate over the remembered ones is true. Validity of a
// multi-observation match is judged at the completing observation's last_observed. Memory is
// bounded by indicators × max_remembered.
//
// Observations come as Boost.JSON (pattern::Observation) or, from telemetry readers, in the
// compact FlatObservation form, whose JSON is made only for what needs the evaluator.
//
//   CompileReport report;
//   CTI_ASSIGN_OR_RETURN(auto matcher, PatternMatcher::Compile(std::move(specs), {}, &report));
//   std::vector<PatternMatch> hits;
//   CTI_RETURN_IF_ERROR(matcher->Match(observation, &hits));
//   for (const PatternMatch& m : hits) Alert(matcher->spec(m.indicator), m.values);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "pattern/ast.h"
#include "pattern/flat_observation.h"
#include "pattern/observation.h"

namespace ctihub::pattern {

struct IndicatorSpec {
  std::string id;
  std::string name;
  std::string pattern;  // STIX pattern text
  Timestamp valid_from = Timestamp(INT64_MIN);
  std::optional<Timestamp> valid_until;  // exclusive
  bool revoked = false;
  // Its marking refs, object-level and granular (sorted, once each): not read by the matcher,
  // carried for what callers derive from a match (a Sighting is marked as its indicator).
  std::vector<std::string> markings;
};

struct MatcherOptions {
  // Window for multi-observation patterns that have no WITHIN qualifier.
  int64_t max_window_micros = int64_t{3600} * 1000000;
  // Observations remembered per multi-observation indicator (oldest dropped first); raised for
  // an indicator to twice its largest REPEATS count (at most 4096).
  size_t max_remembered = 64;
  // Per-slot tables of the CIDR lengths present near each address (see matcher.cc); off only to
  // measure what they save (bench_match).
  bool prefix_length_tables = true;
  // Literals written as sensors log the values (pattern/canonical_literals.h) before compiling:
  // `ctihub match` sets it. Off, comparisons are exactly as STIX defines them.
  bool canonical_literals = false;
};

struct CompileReport {
  size_t compiled = 0;
  // Brackets by how they are found: answered by an index hit alone, confirmed by the evaluator
  // after an index hit, or tried on every observation with an object of their type.
  size_t brackets_exact = 0;
  size_t brackets_confirmed = 0;
  size_t brackets_scanned = 0;
  size_t multi_observation = 0;  // indicators with state
  size_t revoked = 0;            // compiled but never fire
  std::vector<std::pair<std::string, std::string>> rejected;  // (indicator id, reason)
};

struct MatchedValue {
  std::string path;   // "ipv4-addr:value"
  std::string value;  // the observed value ("198.51.100.7"; JSON text for numbers)
};

struct PatternMatch {
  size_t indicator = 0;              // index into the specs given to Compile
  std::vector<MatchedValue> values;  // what fired the indexes (empty for scanned brackets)
  size_t observations = 1;           // observations the match binds (>1: multi-observation)
};

// How the matcher will find each bracket of `pattern` (index kind and path, or a scan), for
// `ctihub pattern explain`.
std::vector<std::string> DescribeIndexing(const Pattern& pattern);

class PatternMatcher {
 public:
  // Compiles every indicator; one that does not parse or cannot be evaluated (a MATCHES regex
  // RE2 rejects, a bad CIDR) is left out and listed in report->rejected, the others still load.
  static Result<std::unique_ptr<PatternMatcher>> Compile(std::vector<IndicatorSpec> specs,
                                                         const MatcherOptions& options,
                                                         CompileReport* report);
  ~PatternMatcher();

  // Appends to `out` each indicator the observation matches (or completes, for multi-observation
  // patterns) and that is valid at the observation's last_observed time. Observations should
  // arrive in time order for the windows to mean anything. Not thread-safe (it keeps state); use
  // one matcher per thread. Errors only on internal failures.
  Status Match(const Observation& observation, std::vector<PatternMatch>* out);
  // The same over the compact form telemetry readers build; the JSON form is made only when an
  // indicator needs the evaluator for this observation.
  Status Match(const FlatObservation& observation, std::vector<PatternMatch>* out);

  size_t size() const;
  const IndicatorSpec& spec(size_t indicator) const;
  // Observations currently remembered for multi-observation patterns.
  size_t remembered() const;
  // Observations an exact single-bracket indicator matched but was not valid for at their time
  // (before its valid_from; at or after its valid_until), so no alert was raised: a log older
  // than the indicators (a retro-hunt) shows here instead of as silence.
  struct OutsideValidity {
    uint64_t not_yet_valid = 0;
    uint64_t expired = 0;
  };
  const OutsideValidity& outside_validity() const;

  class Impl;  // public only so DescribeIndexing can share its rules; defined in matcher.cc

 private:
  explicit PatternMatcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctihub::pattern
