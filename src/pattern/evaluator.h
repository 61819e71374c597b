// pattern/evaluator: the plain STIX pattern evaluator — full semantics (STIX 2.1 §9), no indexes.
// It is the oracle the compiled matcher is tested against, so it favours being obviously right
// over being fast: every comparison walks the JSON of every object.
//
// Semantics (the same reading as the OASIS reference matcher, stix2-matcher, except where
// docs/pattern-semantics.md lists a documented difference):
//   - A bracketed observation expression matches an observation when one SCO of it (the "root")
//     satisfies the comparison expression; AND needs the same root for both sides, OR either.
//   - Object paths step through properties, dictionary keys, list indexes (negative ones select
//     nothing, as in the reference matcher), `[*]` (any element), and dereference `_ref`/`_refs`
//     properties within the observation. A path that selects nothing makes every comparison on it false (so `!=` and
//     `NOT` do not match a missing property); `EXISTS` is true when it selects anything.
//   - Values of properties ending in `_hex`/`_bin` are binary; they compare with h'…'/b'…'
//     literals and with strings whose code points are all < 256.
//   - An observation with number_observed N stands for N observation instances. AND and
//     FOLLOWEDBY bind distinct instances; FOLLOWEDBY needs some choice of times with the left
//     side no later than the right; REPEATS n needs n pairwise-distinct bindings; WITHIN d needs
//     all bound intervals to touch one window of d seconds; START/STOP needs each bound interval
//     to overlap [start, stop).
//
//   Result<Pattern> p = ParsePattern("[ipv4-addr:value ISSUBSET '198.51.100.0/24']");
//   Result<std::vector<Observation>> obs = ParseObservations(bundle_text);
//   Result<bool> hit = Evaluate(*p, *obs);
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "pattern/ast.h"
#include "pattern/observation.h"

namespace ctihub::pattern {

struct EvaluateOptions {
  // Upper bound on the candidate bindings kept at any node of the pattern; the search space of
  // AND/REPEATS over many matching observations is combinatorial. Exceeding it returns
  // ResourceExhausted rather than a wrong answer.
  size_t max_bindings = 1'000'000;
  // Upper bound on the combinations tried (pairs joined by AND/FOLLOWEDBY, choices explored by
  // REPEATS): the bindings kept may stay few while the search behind them grows exponentially
  // (`([x] REPEATS 30 TIMES) AND [x]` over a few dozen observations). ResourceExhausted as above.
  uint64_t max_steps = 2'000'000;
};

// True when the observations (in any order) satisfy the pattern. InvalidArgument when the pattern
// cannot be evaluated (a MATCHES regex that RE2 cannot compile, a malformed CIDR operand of
// ISSUBSET/ISSUPERSET), naming the comparison's offset; ResourceExhausted as above.
// Thread-safe; `pattern` and `observations` are only read.
Result<bool> Evaluate(const Pattern& pattern, std::span<const Observation> observations,
                      const EvaluateOptions& options = {});

// True when one SCO of `observation` satisfies `expression` (the inside of one pair of brackets),
// ignoring time and counts. The building block the compiled matcher uses to confirm an index hit.
Result<bool> EvaluateComparison(const ComparisonExpression& expression,
                                const Observation& observation);

// Why each MATCHES comparison of `pattern` that this evaluator cannot apply is refused (RE2 has
// no look-around or back-references, and refuses a regex that no engine accepts), each message
// naming the comparison and its offset; empty when every regex compiles. A pattern with one is
// valid STIX but evaluates to an error here: `pattern check` warns of it before use.
std::vector<std::string> UnsupportedRegexes(const Pattern& pattern);

}  // namespace ctihub::pattern
