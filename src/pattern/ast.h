// pattern/ast: the syntax tree of a STIX 2.1 pattern (STIX 2.1 §9), as ParsePattern builds it.
//
// The tree is plain data so the evaluator and the compiled matcher can walk it without going
// through the parser: a Pattern holds one ObservationExpression; its leaves are bracketed
// observations whose ComparisonExpression trees end in Comparisons (object path, operator, NOT
// flag, literal operands). AND/OR/FOLLOWEDBY nodes are n-ary (chains are flattened). Every node has
// a ToString() that renders valid pattern text; parse → ToString → parse yields the same text.
//
//   Result<Pattern> p = ParsePattern("[file:size > 1024] WITHIN 60 SECONDS");
//   const ObservationExpression& obs = p->root;
//   if (obs.kind == ObservationKind::kObservation) Walk(obs.comparison);
//   for (const Qualifier& q : obs.qualifiers) { ... }
//   std::string text = p->ToString();
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/time.h"

namespace ctihub::pattern {

// ---------------------------------------------------------------------------------------------
// Literals

// The decoded octets of a hex literal h'0aff'.
struct HexBytes {
  std::string bytes;
};

// The decoded octets of a binary literal b'AQID' (base64 in the pattern text).
struct Base64Bytes {
  std::string bytes;
};

// The index of each alternative in Literal::Value, in the same order.
enum class LiteralKind { kString, kInteger, kFloat, kBoolean, kTimestamp, kHex, kBinary };

struct Literal {
  // string: unescaped text (arbitrary bytes, not necessarily UTF-8).
  using Value = std::variant<std::string, int64_t, double, bool, Timestamp, HexBytes, Base64Bytes>;
  Value value;

  LiteralKind kind() const { return static_cast<LiteralKind>(value.index()); }
  // Pattern syntax: 'it\'s', -5, 7.0, true, t'2016-01-01T00:00:00Z', h'0aff', b'AQID'.
  std::string ToString() const;
};

// ---------------------------------------------------------------------------------------------
// Object paths: `type:property(.property | [index] | [*])*`

enum class PathStepKind { kProperty, kIndex, kAnyIndex };

struct PathStep {
  PathStepKind kind = PathStepKind::kProperty;
  std::string property;  // kProperty: the (unquoted) property name
  int64_t index = 0;     // kIndex: the list index; the grammar allows negative values

  static PathStep Property(std::string name) {
    return PathStep{PathStepKind::kProperty, std::move(name), 0};
  }
  static PathStep Index(int64_t i) { return PathStep{PathStepKind::kIndex, {}, i}; }
  static PathStep AnyIndex() { return PathStep{PathStepKind::kAnyIndex, {}, 0}; }
};

struct ObjectPath {
  std::string object_type;  // "file", "network-traffic", "x-usb-device"
  // Never empty, and steps[0] is always a kProperty step (the grammar's first path component).
  // `_ref`/`_refs` properties are ordinary steps; dereferencing is the evaluator's job.
  std::vector<PathStep> steps;

  // "file:hashes.'SHA-256'", "email-message:body_multipart[*].body_raw_ref.name".
  std::string ToString() const;
};

// ---------------------------------------------------------------------------------------------
// Comparisons (inside square brackets)

enum class ComparisonOperator {
  kEqual,           // =  (also written ==)
  kNotEqual,        // != (also written <>)
  kLess,            // <
  kLessOrEqual,     // <=
  kGreater,         // >
  kGreaterOrEqual,  // >=
  kIn,              // IN (a, b, c)
  kLike,            // LIKE 'x%'
  kMatches,         // MATCHES 'regex'
  kIsSubset,        // ISSUBSET '10.0.0.0/8'
  kIsSuperset,      // ISSUPERSET '10.0.0.0/8'
  kExists,          // EXISTS path
};

// The pattern keyword or symbol: "=", "!=", "<", "IN", "LIKE", "EXISTS", ...
const char* OperatorSymbol(ComparisonOperator op);

struct Comparison {
  ObjectPath path;
  ComparisonOperator op = ComparisonOperator::kEqual;
  // `NOT` written before the operator (`file:name NOT LIKE 'x%'`, `NOT EXISTS file:name`).
  bool negated = false;
  // kIn: the set members (never empty). kExists: empty. Otherwise exactly one literal; for
  // <, <=, >, >= it is never a boolean, for LIKE/MATCHES/ISSUBSET/ISSUPERSET always a string.
  std::vector<Literal> values;
  // Byte offset of the comparison in the pattern text, for later diagnostics (e.g. a bad regex).
  size_t offset = 0;

  // "file:name NOT LIKE 'x%'", "file:size IN (1, 2)", "NOT EXISTS file:name".
  std::string ToString() const;
};

enum class ComparisonKind { kComparison, kAnd, kOr };

struct ComparisonExpression {
  ComparisonKind kind = ComparisonKind::kComparison;
  Comparison comparison;                       // kComparison only
  std::vector<ComparisonExpression> children;  // kAnd / kOr: two or more, none of the same kind

  std::string ToString() const;  // Adds parentheses only where precedence needs them.
};

// ---------------------------------------------------------------------------------------------
// Observation expressions (brackets combined with AND / OR / FOLLOWEDBY, plus qualifiers)

enum class QualifierKind { kWithin, kRepeats, kStartStop };

struct Qualifier {
  QualifierKind kind = QualifierKind::kWithin;
  double within_seconds = 0;  // kWithin: > 0
  int64_t repeats = 0;        // kRepeats: > 0
  Timestamp start;            // kStartStop: start < stop
  Timestamp stop;

  // "WITHIN 300 SECONDS", "REPEATS 5 TIMES", "START t'…' STOP t'…'".
  std::string ToString() const;
};

enum class ObservationKind {
  kObservation,  // [ comparison-expression ]
  kAnd,
  kOr,
  kFollowedBy,
  // A parenthesised expression that keeps its own qualifiers apart from its child's, e.g.
  // `([a] WITHIN 5 SECONDS) WITHIN 9 SECONDS` or `([a]) REPEATS 2 TIMES REPEATS 3 TIMES`.
  kGroup,
};

struct ObservationExpression {
  ObservationKind kind = ObservationKind::kObservation;
  ComparisonExpression comparison;              // kObservation only
  std::vector<ObservationExpression> children;  // kAnd/kOr/kFollowedBy: 2+; kGroup: exactly 1
  // Applied to this node in the order written (left to right). On a kObservation node each kind
  // appears at most once; on kGroup and operator nodes repeats are allowed, as in the reference
  // validator (qualifiers on a parenthesised expression are not checked for duplicates).
  std::vector<Qualifier> qualifiers;

  std::string ToString() const;  // Adds parentheses only where precedence needs them.
};

struct Pattern {
  ObservationExpression root;

  std::string ToString() const { return root.ToString(); }
};

}  // namespace ctihub::pattern
