#include "pattern/evaluator.h"

#include <re2/re2.h>

#include <algorithm>
#include <boost/json/value.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "pattern/internal/ip_prefix.h"
#include "pattern/internal/lexer.h"
#include "pattern/internal/select.h"

namespace ctihub::pattern {
namespace {

namespace json = boost::json;
using internal::Cat;
using internal::Select;
using internal::Selected;

// ---------------------------------------------------------------------------------------------
// Comparing one selected value with a literal

// The bytes of a string whose code points are all below 256 (STIX 2.1 §9.6: a string compares
// with binary data only then); nullopt otherwise or for malformed UTF-8.
std::optional<std::string> Latin1Bytes(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size();) {
    unsigned char c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else if ((c & 0xE0) == 0xC0 && i + 1 < utf8.size() &&
               (static_cast<unsigned char>(utf8[i + 1]) & 0xC0) == 0x80) {
      unsigned cp = (c & 0x1Fu) << 6 | (static_cast<unsigned char>(utf8[i + 1]) & 0x3Fu);
      if (cp < 0x80 || cp > 0xFF) return std::nullopt;
      out += static_cast<char>(cp);
      i += 2;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

enum class Ordering { kLess, kEqual, kGreater, kIncomparable, kUnconvertible };

Ordering OrderOf(int c) {
  return c < 0 ? Ordering::kLess : (c > 0 ? Ordering::kGreater : Ordering::kEqual);
}

Ordering CompareBytes(std::string_view a, std::string_view b) { return OrderOf(a.compare(b)); }

template <typename A, typename B>
Ordering CompareNumbers(A a, B b) {
  if (a < b) return Ordering::kLess;
  if (a > b) return Ordering::kGreater;
  if (a == b) return Ordering::kEqual;
  return Ordering::kIncomparable;  // NaN
}

// Orders a JSON number against an integer or float literal without losing precision.
Ordering CompareNumber(const json::value& value, const Literal& literal) {
  if (literal.kind() == LiteralKind::kInteger) {
    int64_t b = std::get<int64_t>(literal.value);
    if (value.is_int64()) return CompareNumbers(value.get_int64(), b);
    if (value.is_uint64()) {
      return b < 0 ? Ordering::kGreater
                   : CompareNumbers(value.get_uint64(), static_cast<uint64_t>(b));
    }
    return CompareNumbers(static_cast<long double>(value.get_double()), static_cast<long double>(b));
  }
  // long double holds every int64/uint64 exactly (64-bit mantissa on x86-64), so an integer and
  // a float compare by value: 9007199254740993 != 9007199254740992.0.
  long double b = std::get<double>(literal.value);
  if (value.is_int64()) return CompareNumbers(static_cast<long double>(value.get_int64()), b);
  if (value.is_uint64()) return CompareNumbers(static_cast<long double>(value.get_uint64()), b);
  return CompareNumbers(static_cast<long double>(value.get_double()), b);
}

const std::string& LiteralBytes(const Literal& literal) {
  return literal.kind() == LiteralKind::kHex ? std::get<HexBytes>(literal.value).bytes
                                             : std::get<Base64Bytes>(literal.value).bytes;
}

// How a selected value orders against a literal. kIncomparable when the types do not compare
// (string vs number, boolean vs anything but boolean, lists, objects); kUnconvertible when a
// string and binary data meet and the string has a code point >= 256 (the reference matcher
// evaluates that to false before NOT is applied, unlike incomparable types).
Ordering Compare(const Selected& value, const Literal& literal) {
  switch (literal.kind()) {
    case LiteralKind::kInteger:
    case LiteralKind::kFloat:
      if (value.kind == Selected::Kind::kJson && value.json->is_number()) {
        return CompareNumber(*value.json, literal);
      }
      return Ordering::kIncomparable;
    case LiteralKind::kString: {
      const std::string& text = std::get<std::string>(literal.value);
      if (value.kind == Selected::Kind::kBinary) {
        std::optional<std::string> bytes = Latin1Bytes(text);
        return bytes ? CompareBytes(value.bytes, *bytes) : Ordering::kUnconvertible;
      }
      if (value.kind == Selected::Kind::kJson && value.json->is_string()) {
        // UTF-8 byte order is code point order.
        return CompareBytes(value.json->get_string(), text);
      }
      return Ordering::kIncomparable;
    }
    case LiteralKind::kBoolean:
      if (value.kind == Selected::Kind::kJson && value.json->is_bool()) {
        return value.json->get_bool() == std::get<bool>(literal.value) ? Ordering::kEqual
                                                                        : Ordering::kIncomparable;
      }
      return Ordering::kIncomparable;
    case LiteralKind::kTimestamp: {
      // A JSON string compared with a timestamp literal is read as a timestamp (§9.6); one that
      // is not a timestamp does not compare (the reference matcher raises an error instead).
      if (value.kind != Selected::Kind::kJson || !value.json->is_string()) {
        return Ordering::kIncomparable;
      }
      Result<Timestamp> ts = Timestamp::Parse(value.json->get_string());
      if (!ts.ok()) return Ordering::kIncomparable;
      return CompareNumbers(ts->micros(), std::get<Timestamp>(literal.value).micros());
    }
    case LiteralKind::kHex:
    case LiteralKind::kBinary: {
      const std::string& bytes = LiteralBytes(literal);
      if (value.kind == Selected::Kind::kBinary) return CompareBytes(value.bytes, bytes);
      if (value.kind == Selected::Kind::kJson && value.json->is_string()) {
        std::optional<std::string> text = Latin1Bytes(value.json->get_string());
        return text ? CompareBytes(*text, bytes) : Ordering::kUnconvertible;
      }
      return Ordering::kIncomparable;
    }
  }
  return Ordering::kIncomparable;
}

// IN membership: equality, except that binary data never equals a string member (the reference
// matcher tests membership by hashing, under which bytes and text differ).
bool IsMember(const Selected& value, const Literal& member) {
  if (member.kind() == LiteralKind::kString && value.kind == Selected::Kind::kBinary) return false;
  if ((member.kind() == LiteralKind::kHex || member.kind() == LiteralKind::kBinary) &&
      value.kind != Selected::Kind::kBinary) {
    return false;
  }
  return Compare(value, member) == Ordering::kEqual;
}

size_t Utf8Length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;  // a stray continuation byte counts as one character
}

// SQL-style LIKE (§9.6): '%' any run of characters, '_' exactly one character (a code point, so
// UTF-8 sequences are stepped over whole), everything else literal; the whole value must match.
// Greedy with backtracking to the last '%' — linear in practice, O(n·m) worst case.
bool Like(std::string_view text, std::string_view pattern, bool bytes = false) {
  auto step = [bytes](unsigned char lead) { return bytes ? size_t{1} : Utf8Length(lead); };
  size_t t = 0, p = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '%') {
      star_p = p++;
      star_t = t;
    } else if (p < pattern.size() && pattern[p] == '_') {
      t += step(static_cast<unsigned char>(text[t]));
      ++p;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++t;
      ++p;
    } else if (star_p != std::string_view::npos) {
      p = star_p + 1;
      star_t += step(static_cast<unsigned char>(text[star_t]));
      t = star_t;
    } else {
      return false;
    }
  }
  if (t > text.size()) return false;  // '_' stepped over a truncated sequence
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

// Compiled regular expressions, per thread, so a pattern evaluated over many observations
// compiles its MATCHES operand once. Bounded: cleared when it grows past kMaxCachedRegexes.
constexpr size_t kMaxCachedRegexes = 4096;

Result<const RE2*> CachedRegex(const std::string& pattern, bool latin1, size_t offset) {
  thread_local std::unordered_map<std::string, std::unique_ptr<RE2>> cache[2];
  auto& map = cache[latin1 ? 1 : 0];
  auto found = map.find(pattern);
  if (found != map.end()) return found->second.get();
  if (map.size() >= kMaxCachedRegexes) map.clear();
  RE2::Options options;
  options.set_log_errors(false);
  options.set_dot_nl(false);
  if (latin1) options.set_encoding(RE2::Options::EncodingLatin1);
  std::string text = pattern;
  if (latin1) {
    std::optional<std::string> bytes = Latin1Bytes(pattern);
    if (!bytes) return static_cast<const RE2*>(nullptr);  // cannot apply to binary data
    text = std::move(*bytes);
  }
  auto regex = std::make_unique<RE2>(text, options);
  if (!regex->ok()) {
    return Status(StatusCode::kInvalidArgument,
                  Cat({"MATCHES: '", internal::Printable(pattern), "' is not a regular expression "
                       "this matcher supports (RE2 syntax; no back-references or look-around): ",
                       regex->error()}),
                  "offset " + std::to_string(offset));
  }
  return map.emplace(pattern, std::move(regex)).first->second.get();
}

// An unanchored search with PCRE's reading of '$' (§9.6 names PCRE): outside multi-line mode it
// matches at the end *or before a final newline*, where RE2's matches only at the end. So a text
// ending in "\n" is searched again without it — only for regexes that use '$' and not RE2's \z
// (which must keep meaning the very end).
bool PcreSearch(std::string_view text, std::string_view pattern, const RE2& regex) {
  if (RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), regex)) return true;
  if (text.empty() || text.back() != '\n' || pattern.find('$') == std::string_view::npos ||
      pattern.find("\\z") != std::string_view::npos) {
    return false;
  }
  text.remove_suffix(1);
  return RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), regex);
}

// ---------------------------------------------------------------------------------------------
// One comparison over one selected value

// The comparison's verdict on one value, before NOT is applied, or nullopt when the verdict is
// false whatever NOT says (ordering across incomparable types, as the reference matcher does).
Result<std::optional<bool>> Test(const Comparison& comparison, const Selected& value) {
  switch (comparison.op) {
    case ComparisonOperator::kEqual:
    case ComparisonOperator::kNotEqual: {
      bool equal = Compare(value, comparison.values[0]) == Ordering::kEqual;
      return std::optional<bool>(comparison.op == ComparisonOperator::kEqual ? equal : !equal);
    }
    case ComparisonOperator::kLess:
    case ComparisonOperator::kLessOrEqual:
    case ComparisonOperator::kGreater:
    case ComparisonOperator::kGreaterOrEqual: {
      Ordering order = Compare(value, comparison.values[0]);
      if (order == Ordering::kIncomparable) return std::optional<bool>();
      if (order == Ordering::kUnconvertible) return std::optional<bool>(false);
      switch (comparison.op) {
        case ComparisonOperator::kLess:
          return std::optional<bool>(order == Ordering::kLess);
        case ComparisonOperator::kLessOrEqual:
          return std::optional<bool>(order != Ordering::kGreater);
        case ComparisonOperator::kGreater:
          return std::optional<bool>(order == Ordering::kGreater);
        default:
          return std::optional<bool>(order != Ordering::kLess);
      }
    }
    case ComparisonOperator::kIn:
      for (const Literal& member : comparison.values) {
        if (IsMember(value, member)) return std::optional<bool>(true);
      }
      return std::optional<bool>(false);
    case ComparisonOperator::kLike: {
      const std::string& pattern = std::get<std::string>(comparison.values[0].value);
      if (value.kind == Selected::Kind::kJson && value.json->is_string()) {
        return std::optional<bool>(Like(value.json->get_string(), pattern));
      }
      if (value.kind == Selected::Kind::kBinary) {
        // As for = and MATCHES, binary data meets the pattern's text as Latin-1: each byte is one
        // character (so '_' is one byte), and a pattern with code points >= 256 cannot match.
        std::optional<std::string> latin1 = Latin1Bytes(pattern);
        return std::optional<bool>(latin1 && Like(value.bytes, *latin1, /*bytes=*/true));
      }
      return std::optional<bool>(false);
    }
    case ComparisonOperator::kMatches: {
      const std::string& pattern = std::get<std::string>(comparison.values[0].value);
      if (value.kind == Selected::Kind::kJson && value.json->is_string()) {
        CTI_ASSIGN_OR_RETURN(const RE2* regex, CachedRegex(pattern, false, comparison.offset));
        const json::string& text = value.json->get_string();
        return std::optional<bool>(
            PcreSearch(std::string_view(text.data(), text.size()), pattern, *regex));
      }
      if (value.kind == Selected::Kind::kBinary) {
        // Binary data is matched byte for byte, the regex read as Latin-1 (§9.6: MATCHES on
        // binary applies to the bytes; a regex with code points >= 256 cannot match them).
        CTI_ASSIGN_OR_RETURN(const RE2* regex, CachedRegex(pattern, true, comparison.offset));
        if (regex == nullptr) return std::optional<bool>(false);
        return std::optional<bool>(PcreSearch(value.bytes, pattern, *regex));
      }
      return std::optional<bool>(false);
    }
    case ComparisonOperator::kIsSubset:
    case ComparisonOperator::kIsSuperset: {
      const std::string& operand = std::get<std::string>(comparison.values[0].value);
      std::optional<internal::IpPrefix> literal = internal::ParseIpPrefix(operand);
      if (!literal) {
        return Status(StatusCode::kInvalidArgument,
                      Cat({OperatorSymbol(comparison.op), ": '", internal::Printable(operand),
                           "' is not an IPv4 or IPv6 address or CIDR prefix"}),
                      "offset " + std::to_string(comparison.offset));
      }
      if (value.kind != Selected::Kind::kJson || !value.json->is_string()) {
        return std::optional<bool>(false);
      }
      std::optional<internal::IpPrefix> observed = internal::ParseIpPrefix(value.json->get_string());
      if (!observed) return std::optional<bool>(false);
      return std::optional<bool>(comparison.op == ComparisonOperator::kIsSubset
                                     ? internal::PrefixContains(*literal, *observed)
                                     : internal::PrefixContains(*observed, *literal));
    }
    case ComparisonOperator::kExists:
      return std::optional<bool>(true);  // handled by the caller
  }
  return std::optional<bool>(false);
}

// True when `root` satisfies the comparison: some value its path selects passes the test
// (NOT applied per value). EXISTS asks only whether the path selects anything.
Result<bool> RootSatisfies(const Comparison& comparison, const Observation& observation,
                           const json::value& root) {
  std::vector<Selected> values = Select(observation, root, comparison.path);
  if (comparison.op == ComparisonOperator::kExists) {
    return comparison.negated ? values.empty() : !values.empty();
  }
  for (const Selected& value : values) {
    CTI_ASSIGN_OR_RETURN(std::optional<bool> verdict, Test(comparison, value));
    if (!verdict.has_value()) continue;
    if (*verdict != comparison.negated) return true;
  }
  return false;
}

bool HasType(const json::value& object, std::string_view type) {
  if (!object.is_object()) return false;
  const json::value* t = object.get_object().if_contains("type");
  return t != nullptr && t->is_string() && t->get_string() == type;
}

// The roots (object keys) of `observation` that satisfy `expression`; AND intersects, OR unites.
Result<std::set<std::string_view>> Roots(const ComparisonExpression& expression,
                                         const Observation& observation) {
  std::set<std::string_view> roots;
  switch (expression.kind) {
    case ComparisonKind::kComparison: {
      const Comparison& comparison = expression.comparison;
      for (const auto& [key, object] : observation.objects) {
        if (!HasType(object, comparison.path.object_type)) continue;
        CTI_ASSIGN_OR_RETURN(bool hit, RootSatisfies(comparison, observation, object));
        if (hit) roots.insert(std::string_view(key.data(), key.size()));
      }
      return roots;
    }
    case ComparisonKind::kAnd: {
      bool first = true;
      for (const ComparisonExpression& child : expression.children) {
        CTI_ASSIGN_OR_RETURN(std::set<std::string_view> child_roots, Roots(child, observation));
        if (first) {
          roots = std::move(child_roots);
          first = false;
        } else {
          std::set<std::string_view> both;
          std::set_intersection(roots.begin(), roots.end(), child_roots.begin(),
                                child_roots.end(), std::inserter(both, both.end()));
          roots = std::move(both);
        }
        if (roots.empty()) break;
      }
      return roots;
    }
    case ComparisonKind::kOr:
      for (const ComparisonExpression& child : expression.children) {
        CTI_ASSIGN_OR_RETURN(std::set<std::string_view> child_roots, Roots(child, observation));
        roots.insert(child_roots.begin(), child_roots.end());
      }
      return roots;
  }
  return roots;
}

// ---------------------------------------------------------------------------------------------
// Observation expressions: sets of bindings

// An observation instance: one of the number_observed copies of an observation. A binding is the
// sorted set of instances bound to an expression's brackets. Everything the operators above a
// node check (disjointness, times) depends only on that set, so bindings are kept as a set.
using Binding = std::vector<uint32_t>;
using Bindings = std::set<Binding>;

struct Instance {
  const Observation* observation;
};

class BindingSearch {
 public:
  BindingSearch(std::span<const Observation> observations, const EvaluateOptions& options,
                int64_t instances_needed)
      : options_(options) {
    // Each instance is a few bytes, but number_observed may be 999,999,999 (§4.13) and REPEATS
    // as large: past kMaxInstances the search is refused rather than the memory exhausted.
    int64_t total = 0;
    for (const Observation& o : observations) {
      total += std::min(o.number_observed, instances_needed);
      if (total > kMaxInstances) {
        too_many_ = true;
        return;
      }
    }
    for (size_t i = 0; i < observations.size(); ++i) {
      // Instances of one observation are interchangeable, so no binding needs more of them than
      // the pattern has brackets (REPEATS counted); a huge number_observed stays cheap.
      int64_t copies = std::min(observations[i].number_observed, instances_needed);
      first_instance_.push_back(static_cast<uint32_t>(instances_.size()));
      for (int64_t k = 0; k < copies; ++k) instances_.push_back(Instance{&observations[i]});
    }
    observations_ = observations;
  }

  Result<Bindings> Eval(const ObservationExpression& node) {
    CTI_ASSIGN_OR_RETURN(Bindings result, EvalUnqualified(node));
    for (const Qualifier& qualifier : node.qualifiers) {
      CTI_ASSIGN_OR_RETURN(result, Qualify(std::move(result), qualifier));
    }
    return result;
  }

  // Whether the pattern matches at all. `[x] REPEATS n TIMES [WITHIN d SECONDS]` at the root —
  // the common shape of counting indicators — is answered by counting instances in a sliding
  // window instead of enumerating every n-combination (C(64, 20) of them for a busy indicator).
  Result<bool> Exists(const ObservationExpression& root) {
    if (too_many_) {
      return Status(StatusCode::kResourceExhausted,
                    "the observations' number_observed and the pattern's REPEATS ask for more "
                    "than " + std::to_string(kMaxInstances) +
                        " observation instances to be bound; not evaluated");
    }
    if (!root.qualifiers.empty() && root.qualifiers[0].kind == QualifierKind::kRepeats &&
        std::all_of(root.qualifiers.begin() + 1, root.qualifiers.end(),
                    [](const Qualifier& q) { return q.kind == QualifierKind::kWithin; })) {
      CTI_ASSIGN_OR_RETURN(Bindings base, EvalUnqualified(root));
      bool singletons = std::all_of(base.begin(), base.end(),
                                    [](const Binding& b) { return b.size() == 1; });
      if (singletons) {
        int64_t n = root.qualifiers[0].repeats;
        if (static_cast<int64_t>(base.size()) < n) return false;
        if (root.qualifiers.size() == 1) return true;
        int64_t window = INT64_MAX;
        for (size_t i = 1; i < root.qualifiers.size(); ++i) {
          window = std::min<int64_t>(window, std::llround(root.qualifiers[i].within_seconds * 1e6));
        }
        // n instances fit when, taking the one that ends first as the window's start, n of them
        // end no earlier and start within the window (the WITHIN rule in Qualify).
        std::vector<const Observation*> items;
        for (const Binding& b : base) items.push_back(instances_[b[0]].observation);
        for (const Observation* anchor : items) {
          int64_t start = anchor->last_observed.micros();
          int64_t count = 0;
          for (const Observation* o : items) {
            if (o->last_observed.micros() >= start && o->first_observed.micros() - start <= window) {
              ++count;
            }
          }
          if (count >= n) return true;
        }
        return false;
      }
    }
    CTI_ASSIGN_OR_RETURN(Bindings bindings, Eval(root));
    return !bindings.empty();
  }

 private:
  Result<Bindings> EvalUnqualified(const ObservationExpression& node) {
    Bindings result;
    switch (node.kind) {
      case ObservationKind::kObservation: {
        for (size_t i = 0; i < observations_.size(); ++i) {
          CTI_ASSIGN_OR_RETURN(std::set<std::string_view> roots,
                               Roots(node.comparison, observations_[i]));
          if (roots.empty()) continue;
          uint32_t end = i + 1 < first_instance_.size() ? first_instance_[i + 1]
                                                        : static_cast<uint32_t>(instances_.size());
          for (uint32_t k = first_instance_[i]; k < end; ++k) result.insert(Binding{k});
        }
        break;
      }
      case ObservationKind::kGroup: {
        CTI_ASSIGN_OR_RETURN(result, Eval(node.children[0]));
        break;
      }
      case ObservationKind::kOr: {
        for (const ObservationExpression& child : node.children) {
          CTI_ASSIGN_OR_RETURN(Bindings child_bindings, Eval(child));
          result.insert(child_bindings.begin(), child_bindings.end());
          CTI_RETURN_IF_ERROR(CheckSize(result));
        }
        break;
      }
      case ObservationKind::kAnd:
      case ObservationKind::kFollowedBy: {
        bool followed_by = node.kind == ObservationKind::kFollowedBy;
        CTI_ASSIGN_OR_RETURN(result, Eval(node.children[0]));
        for (size_t c = 1; c < node.children.size() && !result.empty(); ++c) {
          CTI_ASSIGN_OR_RETURN(Bindings right, Eval(node.children[c]));
          Bindings joined;
          for (const Binding& a : result) {
            for (const Binding& b : right) {
              CTI_RETURN_IF_ERROR(Step());
              if (!Disjoint(a, b)) continue;
              // FOLLOWEDBY: some choice of times puts every left observation no later than
              // every right one, i.e. the latest left start <= the earliest right end.
              if (followed_by && LatestFirst(a) > EarliestLast(b)) continue;
              joined.insert(Union(a, b));
              CTI_RETURN_IF_ERROR(CheckSize(joined));
            }
          }
          result = std::move(joined);
        }
        break;
      }
    }
    return result;
  }

  // Counts one combination tried against EvaluateOptions::max_steps.
  Status Step() {
    if (++steps_ > options_.max_steps) {
      return Status(StatusCode::kResourceExhausted,
                    "pattern evaluation tried more than " + std::to_string(options_.max_steps) +
                        " combinations; evaluate fewer observations at once");
    }
    return Status::Ok();
  }

  Status CheckSize(const Bindings& bindings) const {
    if (bindings.size() > options_.max_bindings) {
      return Status(StatusCode::kResourceExhausted,
                    "pattern evaluation exceeded " + std::to_string(options_.max_bindings) +
                        " candidate bindings; evaluate fewer observations at once");
    }
    return Status::Ok();
  }

  static bool Disjoint(const Binding& a, const Binding& b) {
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
      if (a[i] == b[j]) return false;
      if (a[i] < b[j]) ++i; else ++j;
    }
    return true;
  }

  static Binding Union(const Binding& a, const Binding& b) {
    Binding out;
    out.reserve(a.size() + b.size());
    std::merge(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
    return out;
  }

  Timestamp LatestFirst(const Binding& binding) const {
    Timestamp t(INT64_MIN);
    for (uint32_t k : binding) t = std::max(t, instances_[k].observation->first_observed);
    return t;
  }

  Timestamp EarliestLast(const Binding& binding) const {
    Timestamp t(INT64_MAX);
    for (uint32_t k : binding) t = std::min(t, instances_[k].observation->last_observed);
    return t;
  }

  Result<Bindings> Qualify(Bindings bindings, const Qualifier& qualifier) {
    switch (qualifier.kind) {
      case QualifierKind::kWithin: {
        // Some window of the given length touches every bound interval. If any does, the one
        // starting at the earliest last_observed does, so checking that one is enough.
        int64_t window = std::llround(qualifier.within_seconds * 1e6);
        for (auto it = bindings.begin(); it != bindings.end();) {
          int64_t start = EarliestLast(*it).micros();
          bool ok = LatestFirst(*it).micros() - start <= window;
          it = ok ? std::next(it) : bindings.erase(it);
        }
        return bindings;
      }
      case QualifierKind::kStartStop: {
        // Each bound interval must overlap [start, stop): touching start counts, touching stop
        // does not (§9.7.3: "observations that occurred at or after start and before stop").
        for (auto it = bindings.begin(); it != bindings.end();) {
          bool ok = true;
          for (uint32_t k : *it) {
            const Observation& o = *instances_[k].observation;
            if (!(o.first_observed < qualifier.stop && o.last_observed >= qualifier.start)) {
              ok = false;
              break;
            }
          }
          it = ok ? std::next(it) : bindings.erase(it);
        }
        return bindings;
      }
      case QualifierKind::kRepeats:
        return Repeat(bindings, qualifier.repeats);
    }
    return bindings;
  }

  // All unions of `count` pairwise-disjoint distinct bindings.
  Result<Bindings> Repeat(const Bindings& bindings, int64_t count) {
    if (count <= 1) return bindings;
    std::vector<const Binding*> all;
    for (const Binding& b : bindings) all.push_back(&b);
    Bindings out;
    std::vector<size_t> chosen;
    Binding used;
    Status status;
    // Depth-first over increasing indexes, so each combination is tried once.
    auto search = [&](auto&& self, size_t from) -> void {
      if (!status.ok()) return;
      if (static_cast<int64_t>(chosen.size()) == count) {
        out.insert(used);
        status = CheckSize(out);
        return;
      }
      for (size_t i = from; i < all.size(); ++i) {
        status = Step();
        if (!status.ok()) return;
        if (!Disjoint(used, *all[i])) continue;
        Binding saved = used;
        used = Union(used, *all[i]);
        chosen.push_back(i);
        self(self, i + 1);
        chosen.pop_back();
        used = std::move(saved);
        if (!status.ok()) return;
      }
    };
    search(search, 0);
    CTI_RETURN_IF_ERROR(status);
    return out;
  }

  const EvaluateOptions& options_;
  std::span<const Observation> observations_;
  static constexpr int64_t kMaxInstances = 1'000'000;
  bool too_many_ = false;
  std::vector<Instance> instances_;
  std::vector<uint32_t> first_instance_;
  uint64_t steps_ = 0;  // combinations tried so far (Step)
};

// The most observation instances one binding of `node` can hold: brackets, times REPEATS.
int64_t BindingSize(const ObservationExpression& node) {
  int64_t size = 0;
  if (node.kind == ObservationKind::kObservation) {
    size = 1;
  } else if (node.kind == ObservationKind::kOr) {
    for (const ObservationExpression& child : node.children) {
      size = std::max(size, BindingSize(child));
    }
  } else {
    for (const ObservationExpression& child : node.children) size += BindingSize(child);
  }
  for (const Qualifier& q : node.qualifiers) {
    if (q.kind == QualifierKind::kRepeats) {
      size = q.repeats > INT32_MAX / std::max<int64_t>(size, 1) ? INT32_MAX : size * q.repeats;
    }
  }
  return std::min<int64_t>(size, INT32_MAX);
}

}  // namespace

Result<bool> Evaluate(const Pattern& pattern, std::span<const Observation> observations,
                      const EvaluateOptions& options) {
  BindingSearch search(observations, options, BindingSize(pattern.root));
  return search.Exists(pattern.root);
}

std::vector<std::string> UnsupportedRegexes(const Pattern& pattern) {
  std::vector<std::string> out;
  auto comparisons = [&](auto&& self, const ComparisonExpression& e) -> void {
    if (e.kind != ComparisonKind::kComparison) {
      for (const ComparisonExpression& child : e.children) self(self, child);
      return;
    }
    const Comparison& c = e.comparison;
    if (c.op != ComparisonOperator::kMatches || c.values.empty()) return;
    const auto* regex = std::get_if<std::string>(&c.values[0].value);
    if (regex == nullptr) return;
    Result<const RE2*> compiled = CachedRegex(*regex, false, c.offset);
    if (!compiled.ok()) {
      out.push_back(compiled.status().message() + " (offset " + std::to_string(c.offset) + ")");
    }
  };
  auto observations = [&](auto&& self, const ObservationExpression& node) -> void {
    if (node.kind == ObservationKind::kObservation) comparisons(comparisons, node.comparison);
    for (const ObservationExpression& child : node.children) self(self, child);
  };
  observations(observations, pattern.root);
  return out;
}

Result<bool> EvaluateComparison(const ComparisonExpression& expression,
                                const Observation& observation) {
  CTI_ASSIGN_OR_RETURN(std::set<std::string_view> roots, Roots(expression, observation));
  return !roots.empty();
}

}  // namespace ctihub::pattern
