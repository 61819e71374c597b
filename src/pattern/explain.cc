// ExplainPattern: the syntax tree in indented words, for `ctihub pattern explain` and for people
// reading an indicator. Literals and paths keep their pattern spelling so nothing is ambiguous.
#include <string>
#include <vector>

#include "pattern/internal/lexer.h"
#include "pattern/parser.h"  // ExplainPattern is declared here; there is no explain.h

namespace ctihub::pattern {
namespace {

using internal::Cat;

const char* Phrase(ComparisonOperator op) {
  switch (op) {
    case ComparisonOperator::kEqual:
      return "equals";
    case ComparisonOperator::kNotEqual:
      return "is not equal to";
    case ComparisonOperator::kLess:
      return "is less than";
    case ComparisonOperator::kLessOrEqual:
      return "is at most";
    case ComparisonOperator::kGreater:
      return "is greater than";
    case ComparisonOperator::kGreaterOrEqual:
      return "is at least";
    case ComparisonOperator::kIn:
      return "is one of";
    case ComparisonOperator::kLike:
      return "is like";
    case ComparisonOperator::kMatches:
      return "matches";
    case ComparisonOperator::kIsSubset:
      return "is a subset of";
    case ComparisonOperator::kIsSuperset:
      return "is a superset of";
    case ComparisonOperator::kExists:
      return "exists";
  }
  return "";
}

void Line(int depth, const std::string& text, std::string* out) {
  out->append(static_cast<size_t>(depth) * 2, ' ');
  *out += text;
  *out += '\n';
}

void CollectTypes(const ComparisonExpression& expr, std::vector<std::string>* types) {
  if (expr.kind != ComparisonKind::kComparison) {
    for (const ComparisonExpression& child : expr.children) CollectTypes(child, types);
    return;
  }
  const std::string& type = expr.comparison.path.object_type;
  for (const std::string& seen : *types) {
    if (seen == type) return;
  }
  types->push_back(type);
}

void ExplainComparison(const ComparisonExpression& expr, int depth, std::string* out) {
  if (expr.kind != ComparisonKind::kComparison) {
    Line(depth, expr.kind == ComparisonKind::kAnd ? "all of (AND):" : "any of (OR):", out);
    for (const ComparisonExpression& child : expr.children) {
      ExplainComparison(child, depth + 1, out);
    }
    return;
  }
  const Comparison& cmp = expr.comparison;
  std::string text = "comparison: ";
  if (cmp.negated) text += "NOT ";
  text += cmp.path.ToString();
  text += ' ';
  text += Phrase(cmp.op);
  if (cmp.op == ComparisonOperator::kIn) {
    text += " (";
    for (size_t i = 0; i < cmp.values.size(); ++i) {
      if (i > 0) text += ", ";
      text += cmp.values[i].ToString();
    }
    text += ')';
  } else if (!cmp.values.empty()) {
    text += ' ';
    text += cmp.values.front().ToString();
  }
  Line(depth, text, out);
}

std::string ExplainQualifier(const Qualifier& q) {
  switch (q.kind) {
    case QualifierKind::kWithin: {
      std::string text = q.ToString();  // "WITHIN 300 SECONDS"
      return Cat({"qualifier: within ", text.substr(7, text.size() - 15), " seconds"});
    }
    case QualifierKind::kRepeats:
      return Cat({"qualifier: repeats ", std::to_string(q.repeats), " times"});
    case QualifierKind::kStartStop:
      return Cat({"qualifier: start ", q.start.ToString(), " stop ", q.stop.ToString()});
  }
  return "";
}

void ExplainObservation(const ObservationExpression& node, int depth, std::string* out) {
  switch (node.kind) {
    case ObservationKind::kObservation: {
      std::vector<std::string> types;
      CollectTypes(node.comparison, &types);
      std::string heading = "observation: [";
      for (size_t i = 0; i < types.size(); ++i) {
        if (i > 0) heading += ", ";
        heading += types[i];
      }
      heading += ']';
      Line(depth, heading, out);
      break;
    }
    case ObservationKind::kAnd:
      Line(depth, "all of (AND):", out);
      break;
    case ObservationKind::kOr:
      Line(depth, "any of (OR):", out);
      break;
    case ObservationKind::kFollowedBy:
      Line(depth, "in sequence (FOLLOWEDBY):", out);
      break;
    case ObservationKind::kGroup:
      Line(depth, "group:", out);
      break;
  }
  for (const Qualifier& q : node.qualifiers) Line(depth + 1, ExplainQualifier(q), out);
  if (node.kind == ObservationKind::kObservation) {
    ExplainComparison(node.comparison, depth + 1, out);
  }
  for (const ObservationExpression& child : node.children) {
    ExplainObservation(child, depth + 1, out);
  }
}

}  // namespace

std::string ExplainPattern(const Pattern& pattern) {
  std::string out;
  ExplainObservation(pattern.root, 0, &out);
  return out;
}

}  // namespace ctihub::pattern
