#include "pattern/ast.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "pattern/internal/lexer.h"

namespace ctihub::pattern {
namespace {

using internal::Cat;

// Single-quoted with the only two escapes the grammar has: \' and \\.
std::string QuoteString(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

// The grammar's FloatLiteral has no exponent and needs digits after '.', so render in fixed
// notation with the shortest digits that round-trip, and add ".0" to whole numbers.
std::string FormatDouble(double value) {
  char buf[400];  // any finite double fits in fixed notation (DBL_MAX has 309 integer digits)
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::fixed);
  if (ec != std::errc()) return "0.0";  // unreachable for a double; keeps the output valid
  std::string out(buf, end);
  if (std::isfinite(value) && out.find('.') == std::string::npos) out += ".0";
  return out;
}

// Timestamp::ToString always gives six fractional digits; drop the trailing zeros (and the '.'
// if nothing is left) so t'2016-01-01T00:00:00Z' prints as written.
std::string FormatTimestamp(const Timestamp& ts) {
  std::string text = ts.ToString();  // YYYY-MM-DDTHH:MM:SS.uuuuuuZ
  size_t end = text.size() - 1;      // the 'Z'
  while (end > 0 && text[end - 1] == '0') --end;
  if (end > 0 && text[end - 1] == '.') --end;
  return Cat({"t'", std::string_view(text).substr(0, end), "Z'"});
}

std::string FormatHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "h'";
  for (char c : bytes) {
    unsigned char b = static_cast<unsigned char>(c);
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
  }
  out += '\'';
  return out;
}

std::string FormatBase64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "b'";
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  out += '\'';
  return out;
}

std::string FormatProperty(const std::string& name) {
  return internal::IsBareProperty(name) ? name : QuoteString(name);
}

// Binding strength of the observation operators: FOLLOWEDBY < OR < AND (STIXPattern.g4).
int Precedence(ObservationKind kind) {
  switch (kind) {
    case ObservationKind::kFollowedBy:
      return 0;
    case ObservationKind::kOr:
      return 1;
    case ObservationKind::kAnd:
      return 2;
    default:
      return 3;
  }
}

bool IsOperator(ObservationKind kind) { return Precedence(kind) < 3; }

// Appends instead of `"(" + text + ")"`: see internal::Cat.
void AppendMaybeParenthesized(const std::string& text, bool parens, std::string* out) {
  if (parens) *out += '(';
  *out += text;
  if (parens) *out += ')';
}

}  // namespace

std::string Literal::ToString() const {
  switch (kind()) {
    case LiteralKind::kString:
      return QuoteString(std::get<std::string>(value));
    case LiteralKind::kInteger:
      return std::to_string(std::get<int64_t>(value));
    case LiteralKind::kFloat:
      return FormatDouble(std::get<double>(value));
    case LiteralKind::kBoolean:
      return std::get<bool>(value) ? "true" : "false";
    case LiteralKind::kTimestamp:
      return FormatTimestamp(std::get<Timestamp>(value));
    case LiteralKind::kHex:
      return FormatHex(std::get<HexBytes>(value).bytes);
    case LiteralKind::kBinary:
      return FormatBase64(std::get<Base64Bytes>(value).bytes);
  }
  return "";
}

std::string ObjectPath::ToString() const {
  std::string out = object_type + ":";
  for (size_t i = 0; i < steps.size(); ++i) {
    const PathStep& step = steps[i];
    switch (step.kind) {
      case PathStepKind::kProperty:
        if (i > 0) out += '.';
        out += FormatProperty(step.property);
        break;
      case PathStepKind::kIndex:
        out += '[';
        out += std::to_string(step.index);
        out += ']';
        break;
      case PathStepKind::kAnyIndex:
        out += "[*]";
        break;
    }
  }
  return out;
}

const char* OperatorSymbol(ComparisonOperator op) {
  switch (op) {
    case ComparisonOperator::kEqual:
      return "=";
    case ComparisonOperator::kNotEqual:
      return "!=";
    case ComparisonOperator::kLess:
      return "<";
    case ComparisonOperator::kLessOrEqual:
      return "<=";
    case ComparisonOperator::kGreater:
      return ">";
    case ComparisonOperator::kGreaterOrEqual:
      return ">=";
    case ComparisonOperator::kIn:
      return "IN";
    case ComparisonOperator::kLike:
      return "LIKE";
    case ComparisonOperator::kMatches:
      return "MATCHES";
    case ComparisonOperator::kIsSubset:
      return "ISSUBSET";
    case ComparisonOperator::kIsSuperset:
      return "ISSUPERSET";
    case ComparisonOperator::kExists:
      return "EXISTS";
  }
  return "";
}

std::string Comparison::ToString() const {
  if (op == ComparisonOperator::kExists) {
    return Cat({negated ? "NOT " : "", "EXISTS ", path.ToString()});
  }
  std::string out = path.ToString();
  out += negated ? " NOT " : " ";
  out += OperatorSymbol(op);
  out += ' ';
  if (op == ComparisonOperator::kIn) {
    out += '(';
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out += ", ";
      out += values[i].ToString();
    }
    out += ')';
  } else if (!values.empty()) {
    out += values.front().ToString();
  }
  return out;
}

std::string ComparisonExpression::ToString() const {
  if (kind == ComparisonKind::kComparison) return comparison.ToString();
  const char* separator = kind == ComparisonKind::kAnd ? " AND " : " OR ";
  std::string out;
  for (size_t i = 0; i < children.size(); ++i) {
    const ComparisonExpression& child = children[i];
    if (i > 0) out += separator;
    // OR inside AND needs parentheses; so does an unflattened child of the same kind built by
    // hand (harmless, and it keeps the text unambiguous).
    bool parens = child.kind != ComparisonKind::kComparison &&
                  (child.kind == kind || child.kind == ComparisonKind::kOr);
    AppendMaybeParenthesized(child.ToString(), parens, &out);
  }
  return out;
}

std::string Qualifier::ToString() const {
  switch (kind) {
    case QualifierKind::kWithin: {
      // Whole numbers print as integers (WITHIN 300 SECONDS), others in fixed notation.
      double whole = 0;
      if (std::modf(within_seconds, &whole) == 0 && std::fabs(within_seconds) < 9e15) {
        return Cat({"WITHIN ", std::to_string(static_cast<int64_t>(within_seconds)), " SECONDS"});
      }
      return Cat({"WITHIN ", FormatDouble(within_seconds), " SECONDS"});
    }
    case QualifierKind::kRepeats:
      return Cat({"REPEATS ", std::to_string(repeats), " TIMES"});
    case QualifierKind::kStartStop:
      return Cat({"START ", FormatTimestamp(start), " STOP ", FormatTimestamp(stop)});
  }
  return "";
}

std::string ObservationExpression::ToString() const {
  std::string out;
  if (kind == ObservationKind::kObservation) {
    out += '[';
    out += comparison.ToString();
    out += ']';
  } else if (kind == ObservationKind::kGroup) {
    AppendMaybeParenthesized(children.empty() ? std::string() : children.front().ToString(), true,
                             &out);
  } else {
    const char* separator = kind == ObservationKind::kAnd  ? " AND "
                            : kind == ObservationKind::kOr ? " OR "
                                                           : " FOLLOWEDBY ";
    for (size_t i = 0; i < children.size(); ++i) {
      const ObservationExpression& child = children[i];
      if (i > 0) out += separator;
      // A qualified operator node brackets itself; others need parentheses when they bind no
      // tighter than this node.
      bool parens = IsOperator(child.kind) && child.qualifiers.empty() &&
                    Precedence(child.kind) <= Precedence(kind);
      AppendMaybeParenthesized(child.ToString(), parens, &out);
    }
    if (!qualifiers.empty()) {
      out.insert(out.begin(), '(');
      out += ')';
    }
  }
  for (const Qualifier& q : qualifiers) {
    out += ' ';
    out += q.ToString();
  }
  return out;
}

}  // namespace ctihub::pattern
