// pattern: STIX 2.1 patterning (STIX 2.1 §9) — this module owns the lexer, the recursive-descent
// parser and the syntax tree (ast.h); the evaluator and the compiled multi-indicator matcher will
// live here too. It depends only on `common` (Status/Result, Timestamp) and the standard library.
//
// The accepted language is the STIX 2.1 ANTLR grammar (oasis-open/cti-stix2-json-schemas,
// pattern_grammar/STIXPattern.g4), plus the checks the OASIS pattern validator (stix2-patterns
// v2.0.0) makes after parsing: qualifier duplicates, hash value formats, and a few rules of §9
// (positive WITHIN/REPEATS, START before STOP, non-empty IN lists, STIX object type names).
//
//   Result<Pattern> p = ParsePattern("[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']");
//   if (!p.ok()) return p.status();          // "unexpected ']' at offset 13, expected ..."
//   std::cout << ExplainPattern(*p);         // the tree in indented words
//   std::string canonical = p->ToString();   // valid pattern text
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "pattern/ast.h"

namespace ctihub::pattern {

// Parses `text` as a STIX 2.1 pattern. On success returns the syntax tree. On failure returns
// InvalidArgument whose location() is "offset N" (the 0-based byte offset of the offending token
// or literal) and whose message names what was found and what was expected, e.g.
// "unexpected 'HOURS' at offset 30, expected 'SECONDS'". Never throws; any byte sequence is safe
// input (nesting deeper than kMaxNesting levels is rejected). Thread-safe (no shared state).
Result<Pattern> ParsePattern(std::string_view text);

// Parentheses and brackets nest at most this deep; deeper input gets an InvalidArgument.
inline constexpr int kMaxNesting = 256;

// The tree in plain indented words, one node per line (qualifiers first, then children), e.g.
//   observation: [file]
//     qualifier: within 300 seconds
//     comparison: file:hashes.'SHA-256' equals 'aec0…'
std::string ExplainPattern(const Pattern& pattern);

}  // namespace ctihub::pattern
