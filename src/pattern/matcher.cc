#include "pattern/matcher.h"

#include <absl/container/flat_hash_map.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <array>
#include <bit>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>
#include <cstring>
#include <span>
#include <xxhash.h>

#include "pattern/canonical_literals.h"
#include "pattern/evaluator.h"
#include "pattern/flat_observation.h"
#include "pattern/internal/matcher_regex.h"
#include "pattern/internal/ip_prefix.h"
#include "pattern/internal/select.h"
#include "pattern/parser.h"

namespace ctihub::pattern {

namespace json = boost::json;
using internal::LikeRegex;
using internal::Select;
using internal::Selected;

namespace {

// One bracket of one indicator, as an index entry points at it.
struct Entry {
  uint32_t indicator = UINT32_MAX;
  uint16_t leaf = 0;
  bool exact = false;  // an index hit alone proves the bracket
};

// Equality keys: a kind letter, then the value in a canonical form, so that the evaluator's
// notion of equal (5 = 5.0; strings byte for byte; timestamps by instant) is one key.
std::string NumberKey(double d) {
  char buf[64];
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) {
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(d));
    return "n" + std::string(buf, end);
  }
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return "n" + std::string(buf, end);
}

std::optional<std::string> LiteralKey(const Literal& literal) {
  switch (literal.kind()) {
    case LiteralKind::kString: return "s" + std::get<std::string>(literal.value);
    case LiteralKind::kInteger:
      return NumberKey(static_cast<double>(std::get<int64_t>(literal.value)));
    case LiteralKind::kFloat: return NumberKey(std::get<double>(literal.value));
    case LiteralKind::kBoolean: return std::get<bool>(literal.value) ? "b1" : "b0";
    case LiteralKind::kTimestamp:
      return "t" + std::to_string(std::get<Timestamp>(literal.value).micros());
    default: return std::nullopt;  // binary literals only meet binary properties: scanned
  }
}

// The first `length` bits of an address, with the family and the length, as an index key
// (written into `buf`, at least 18 bytes; no allocation on the hot path).
std::string_view MaskedKey(const internal::IpPrefix& p, int length, char* buf) {
  size_t n = 0;
  buf[n++] = p.v6 ? '6' : '4';
  buf[n++] = static_cast<char>(length);
  int full = length / 8;
  std::memcpy(buf + n, p.bytes, static_cast<size_t>(full));
  n += static_cast<size_t>(full);
  if (length % 8) {
    buf[n++] = static_cast<char>(p.bytes[full] & static_cast<unsigned char>(0xFF << (8 - length % 8)));
  }
  return std::string_view(buf, n);
}

bool PathIsBinary(const ObjectPath& path) {
  for (const PathStep& s : path.steps) {
    if (s.kind != PathStepKind::kProperty) continue;
    const std::string& p = s.property;
    if (p.size() >= 4 && (p.compare(p.size() - 4, 4, "_hex") == 0 ||
                          p.compare(p.size() - 4, 4, "_bin") == 0)) {
      return true;
    }
  }
  return false;
}

// Collects the brackets of a pattern, left to right.
void Leaves(const ObservationExpression& node, std::vector<const ComparisonExpression*>* out) {
  if (node.kind == ObservationKind::kObservation) {
    out->push_back(&node.comparison);
    return;
  }
  for (const ObservationExpression& child : node.children) Leaves(child, out);
}

void Types(const ComparisonExpression& e, std::vector<std::string>* out) {
  if (e.kind == ComparisonKind::kComparison) {
    if (std::find(out->begin(), out->end(), e.comparison.path.object_type) == out->end()) {
      out->push_back(e.comparison.path.object_type);
    }
    return;
  }
  for (const ComparisonExpression& child : e.children) Types(child, out);
}

// Bit n: the pattern's nth bracket (Leaves order); brackets past the 64th share no bit (such a
// pattern is always evaluated).
uint64_t BracketBit(size_t leaf) { return leaf < 64 ? uint64_t{1} << leaf : 0; }

// Whether a window whose observations satisfy exactly the brackets in `brackets` could satisfy
// `node`, ignoring order, timing and counts: AND and FOLLOWEDBY need every operand, OR one.
bool Satisfiable(const ObservationExpression& node, uint64_t brackets, size_t* next_leaf) {
  switch (node.kind) {
    case ObservationKind::kObservation:
      return (brackets & BracketBit((*next_leaf)++)) != 0;
    case ObservationKind::kOr: {
      bool any = false;
      // Every child is walked, so that the bracket numbering stays aligned.
      for (const ObservationExpression& child : node.children) {
        any = Satisfiable(child, brackets, next_leaf) || any;
      }
      return any;
    }
    case ObservationKind::kAnd:
    case ObservationKind::kFollowedBy:
    case ObservationKind::kGroup: {
      bool all = true;
      for (const ObservationExpression& child : node.children) {
        all = Satisfiable(child, brackets, next_leaf) && all;
      }
      return all;
    }
  }
  return true;
}
bool Satisfiable(const ObservationExpression& root, uint64_t brackets) {
  size_t next_leaf = 0;
  return Satisfiable(root, brackets, &next_leaf);
}

// The largest REPEATS count anywhere in the pattern (0 when none).
int64_t MaxRepeats(const ObservationExpression& node) {
  int64_t most = 0;
  for (const Qualifier& q : node.qualifiers) {
    if (q.kind == QualifierKind::kRepeats) most = std::max(most, q.repeats);
  }
  for (const ObservationExpression& child : node.children) most = std::max(most, MaxRepeats(child));
  return std::min<int64_t>(most, 1 << 20);
}

// How far apart a binding's observations can be, when the pattern's root bounds it: a WITHIN
// that no later REPEATS widens (`[a] WITHIN 5 SECONDS REPEATS 2 TIMES` binds repetitions any
// distance apart).
std::optional<int64_t> RootWindow(const ObservationExpression& root) {
  std::optional<int64_t> window;
  for (const Qualifier& q : root.qualifiers) {
    if (q.kind == QualifierKind::kWithin) {
      int64_t w = std::llround(q.within_seconds * 1e6);
      window = window ? std::min(*window, w) : w;
    } else if (q.kind == QualifierKind::kRepeats) {
      window.reset();
    }
  }
  return window;
}

}  // namespace

// The entries of one index key; almost every key has exactly one, kept inline.
struct Bucket {
  Entry first{};
  std::vector<Entry> more;
  void Add(Entry e) {
    if (first.indicator == UINT32_MAX) {
      first = e;
    } else {
      more.push_back(e);
    }
  }
  template <typename F>
  void ForEach(F&& f) const {
    if (first.indicator != UINT32_MAX) f(first);
    for (const Entry& e : more) f(e);
  }
};

// The equality and prefix keys of every slot in one table. A million indicators make a table far
// larger than the CPU caches, and nearly every observed value is in none of them: each probe of a
// plain hash map cost a cache miss or two (the slot, then the key's text), most of the matcher's
// time per record. Here a key is hashed once (XXH3, seeded with its slot), checked against a
// blocked Bloom filter of ~2 bytes per key that stays in cache, and only the few values that pass
// touch the table; only a hash hit compares the key's text.
class KeyIndex {
 public:
  Bucket& Add(uint32_t slot, std::string_view key) {
    uint64_t h = Hash(slot, key[0], key.substr(1));
    auto [it, added] = by_hash_.emplace(h, static_cast<uint32_t>(stored_.size()));
    for (uint32_t i = it->second; !added && i != kEnd; i = stored_[i].next) {
      if (stored_[i].slot == slot && stored_[i].key == key) return stored_[i].bucket;
    }
    uint32_t next = added ? kEnd : it->second;
    if (!added) it->second = static_cast<uint32_t>(stored_.size());
    stored_.push_back(Stored{std::string(key), slot, next, Bucket{}});
    return stored_.back().bucket;
  }

  // Builds the filter; call once all keys are in.
  void Finish() {
    size_t blocks = 1;
    while (blocks * kBlockBits < std::max<size_t>(stored_.size(), 1) * kBitsPerKey) blocks *= 2;
    filter_.assign(blocks * kBlockWords, 0);
    block_mask_ = blocks - 1;
    for (const auto& [h, first] : by_hash_) SetBits(h);
  }

  // Keys are a kind letter and a text ("s" + a string, "n" + a number, '4'/'6' + prefix bytes…);
  // the kind goes into the seed, so a string value is hashed where it lies, without a copy.
  static uint64_t Hash(uint32_t slot, char kind, std::string_view rest) {
    return XXH3_64bits_withSeed(rest.data(), rest.size(), (uint64_t{slot} << 8) | static_cast<unsigned char>(kind));
  }
  // Starts loading the filter's cache line for `h`: probes of one observation are hashed and
  // prefetched together, then checked, so their cache misses overlap instead of queueing.
  void Prefetch(uint64_t h) const {
    if (!filter_.empty()) __builtin_prefetch(&filter_[((h >> 45) & block_mask_) * kBlockWords]);
  }
  // `h` is Hash(slot, kind, rest).
  const Bucket* Find(uint32_t slot, char kind, std::string_view rest, uint64_t h) const {
    if (!MayContain(h)) return nullptr;
    auto it = by_hash_.find(h);
    if (it == by_hash_.end()) return nullptr;
    for (uint32_t i = it->second; i != kEnd; i = stored_[i].next) {
      const std::string& key = stored_[i].key;
      if (stored_[i].slot == slot && key.size() == rest.size() + 1 && key[0] == kind &&
          std::string_view(key).substr(1) == rest) {
        return &stored_[i].bucket;
      }
    }
    return nullptr;
  }

 private:
  static constexpr uint32_t kEnd = UINT32_MAX;
  static constexpr size_t kBlockWords = 8;  // one 64-byte cache line per block
  static constexpr size_t kBlockBits = kBlockWords * 64;
  static constexpr size_t kBitsPerKey = 16;
  static constexpr int kProbes = 4;

  // The block from the high 19 bits, kProbes bit positions from the low 9-bit fields.
  void SetBits(uint64_t h) {
    uint64_t* block = &filter_[((h >> 45) & block_mask_) * kBlockWords];
    for (int k = 0; k < kProbes; ++k) {
      unsigned bit = static_cast<unsigned>((h >> (9 * k)) & (kBlockBits - 1));
      block[bit / 64] |= uint64_t{1} << (bit % 64);
    }
  }
  bool MayContain(uint64_t h) const {
    if (filter_.empty()) return false;
    const uint64_t* block = &filter_[((h >> 45) & block_mask_) * kBlockWords];
    for (int k = 0; k < kProbes; ++k) {
      unsigned bit = static_cast<unsigned>((h >> (9 * k)) & (kBlockBits - 1));
      if ((block[bit / 64] & (uint64_t{1} << (bit % 64))) == 0) return false;
    }
    return true;
  }

  struct Stored {
    std::string key;
    uint32_t slot;
    uint32_t next;  // another key with the same 64-bit hash
    Bucket bucket;
  };
  absl::flat_hash_map<uint64_t, uint32_t> by_hash_;
  std::vector<Stored> stored_;
  std::vector<uint64_t> filter_;
  size_t block_mask_ = 0;
};

class PatternMatcher::Impl {
 public:
  struct PathSlot {
    ObjectPath path;
    std::string text;
    // A path of property names and single `_ref`s (no `_refs`, indexes or binary suffixes) is read
    // directly, without Select's general machinery: the common case on the hot path.
    std::vector<std::string> simple_steps;
    std::vector<bool> simple_deref;  // the step is a `_ref`: continue in the object it names
    bool simple = false;
    bool binary = false;  // a `_hex`/`_bin` step: read through the JSON form and Select
    uint32_t id = 0;
    bool has_equal = false;          // equality keys in `keys`
    bool has_timestamps = false;
    std::vector<int> prefix_lengths;  // ascending; prefix keys in `keys`
    // The prefixes' (first 32 bits, length), gathered while compiling; Finish turns them into
    // the tables below.
    std::vector<std::pair<uint32_t, uint8_t>> v4_prefixes, v6_prefixes;
    // Per /16: bit L set when an IPv4 prefix of length L lies in or covers it. Probing every
    // length for every address (a block list has ~20) cost more than the rest of the matching;
    // an address's /16 usually holds one length or none. Empty: probe every length.
    std::vector<uint64_t> v4_lengths_by_16;
    // The same for IPv6, by a hash of the first 32 bits: bit L - 32 set when a prefix of length
    // L >= 32 lies in that /32; lengths below 32 (few in block lists) are in v6_short_lengths and
    // probed for every address. Hash collisions only add probes that miss.
    std::vector<std::array<uint64_t, 2>> v6_lengths_by_32;
    uint64_t v6_short_lengths = 0;
    std::unique_ptr<internal::RegexIndex> regexes;
    std::vector<Entry> regex_entries;  // by the RegexIndex id
  };

  // The observations a multi-observation indicator keeps, oldest first, with the brackets each
  // satisfied (bit n: the pattern's nth bracket, left to right). Contiguous, so the evaluator
  // reads the window in place: copying it for every firing made a broad bracket cost ~0.2 ms.
  class Memory {
   public:
    size_t size() const { return items_.size() - head_; }
    bool empty() const { return size() == 0; }
    const Observation& front() const { return items_[head_]; }
    std::span<const Observation> window() const {
      return std::span<const Observation>(items_).subspan(head_);
    }
    void push_back(Observation o, uint64_t brackets) {
      items_.push_back(std::move(o));
      brackets_.push_back(brackets);
    }
    // The brackets of the newest observation (several of one indicator's may fire on a record).
    void AddBrackets(uint64_t brackets) { brackets_.back() |= brackets; }
    void pop_front() {
      items_[head_] = Observation();  // its objects go now
      ++head_;
      if (head_ >= 32 && head_ * 2 >= items_.size()) {
        items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
        brackets_.erase(brackets_.begin(), brackets_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
      }
    }
    void clear() {
      items_.clear();
      brackets_.clear();
      head_ = 0;
    }
    uint64_t Brackets() const {
      uint64_t all = 0;
      for (size_t i = head_; i < brackets_.size(); ++i) all |= brackets_[i];
      return all;
    }

   private:
    std::vector<Observation> items_;
    std::vector<uint64_t> brackets_;
    size_t head_ = 0;
  };

  struct Indicator {
    // What only indicators that need evaluation carry (about 1% of a real feed): kept apart so
    // that a million exact indicators cost a few bytes each here.
    struct Full {
      std::unique_ptr<Pattern> pattern;
      std::vector<const ComparisonExpression*> leaves;
      int64_t window = 0;
      size_t cap = 0;  // observations kept: enough for the pattern's REPEATS
      // `[x] REPEATS n TIMES [WITHIN d SECONDS]`: only the times of the observations that
      // satisfied the bracket matter, so they are kept without their objects and counted.
      bool counting = false;
      int64_t repeats = 0;
      int64_t count_window = INT64_MAX;
      Memory memory;
      std::vector<MatchedValue> pending_values;
    };
    std::unique_ptr<Full> full;  // null when every bracket is exact and single
    bool single = false;         // one bracket, no qualifiers
    bool ok = false;             // compiled; a rejected indicator's partial entries never fire
  };

  MatcherOptions options;
  std::vector<IndicatorSpec> specs;
  std::vector<Indicator> indicators;
  std::vector<PathSlot> slots;
  KeyIndex keys;  // every slot's equality and prefix keys
  absl::flat_hash_map<std::string, size_t> slot_by_text;
  // What objects of one type are looked up in: their path slots, and the brackets tried on every
  // object of the type.
  struct TypeIndex {
    std::vector<size_t> slots;
    std::vector<Entry> scans;
  };
  absl::flat_hash_map<std::string, TypeIndex> by_type;
  // The last types seen, so the hot path compares a short string instead of hashing it for every
  // object (a log holds a handful of types).
  struct TypeCacheEntry {
    std::string type;
    const TypeIndex* index = nullptr;
    bool set = false;
  };
  std::array<TypeCacheEntry, 16> type_cache;

  const TypeIndex* FindType(std::string_view type) {
    size_t at = (type.size() * 31 + static_cast<unsigned char>(type.front()) +
                 static_cast<unsigned char>(type.back()) * 7) & 15;
    TypeCacheEntry& c = type_cache[at];
    if (c.set && c.type == type) return c.index;
    auto found = by_type.find(absl::string_view(type.data(), type.size()));
    c.type.assign(type);
    c.index = found == by_type.end() ? nullptr : &found->second;
    c.set = true;
    return c.index;
  }
  size_t remembered = 0;
  PatternMatcher::OutsideValidity outside_validity;

  // Per-observation scratch (kept between calls so the hot path does not allocate).
  struct Candidate {
    Entry entry;
    std::vector<MatchedValue> values;
  };
  std::vector<Candidate> candidates;
  absl::flat_hash_map<uint64_t, size_t> candidate_index;
  std::vector<int> regex_hits;
  std::vector<std::pair<uint32_t, bool>> flat_current, flat_next;  // SelectFlat's (node, is a _refs list)
  FlatObservation assigned;  // Match(Observation)'s flat view

  size_t Slot(const ObjectPath& path) {
    std::string text = path.ToString();
    auto found = slot_by_text.find(text);
    if (found != slot_by_text.end()) return found->second;
    size_t id = slots.size();
    slots.push_back(PathSlot{});
    slots.back().id = static_cast<uint32_t>(id);
    slots.back().path = path;
    slots.back().text = text;
    slots.back().simple = true;
    slots.back().binary = PathIsBinary(path);
    for (const PathStep& step : path.steps) {
      const std::string& p = step.property;
      bool plain = step.kind == PathStepKind::kProperty && !PathIsBinary(ObjectPath{"", {step}}) &&
                   !(p.size() >= 5 && p.compare(p.size() - 5, 5, "_refs") == 0);
      if (!plain) slots.back().simple = false;
      slots.back().simple_steps.push_back(p);
      slots.back().simple_deref.push_back(p.size() >= 4 && p.compare(p.size() - 4, 4, "_ref") == 0);
    }
    slot_by_text.emplace(text, id);
    by_type[path.object_type].slots.push_back(id);
    return id;
  }

  enum class IndexKind { kNone, kRegex, kPrefix, kEqual };

  // How well a comparison can be indexed (kNone: it cannot).
  static IndexKind KindOf(const Comparison& c) {
    if (c.negated || PathIsBinary(c.path)) return IndexKind::kNone;
    switch (c.op) {
      case ComparisonOperator::kEqual:
      case ComparisonOperator::kIn:
        for (const Literal& l : c.values) {
          if (!LiteralKey(l)) return IndexKind::kNone;
        }
        return IndexKind::kEqual;
      case ComparisonOperator::kIsSubset:
        return internal::ParseIpPrefix(std::get<std::string>(c.values[0].value)) ? IndexKind::kPrefix
                                                                      : IndexKind::kNone;
      case ComparisonOperator::kLike:
      case ComparisonOperator::kMatches:
        return IndexKind::kRegex;
      default:
        return IndexKind::kNone;
    }
  }

  // The best index kind an expression offers as a whole (kNone when some branch of an OR has
  // nothing indexable).
  static IndexKind BestKind(const ComparisonExpression& e) {
    switch (e.kind) {
      case ComparisonKind::kComparison: return KindOf(e.comparison);
      case ComparisonKind::kAnd: {
        IndexKind best = IndexKind::kNone;
        for (const auto& c : e.children) best = std::max(best, BestKind(c));
        return best;
      }
      case ComparisonKind::kOr: {
        IndexKind worst = IndexKind::kEqual;
        for (const auto& c : e.children) worst = std::min(worst, BestKind(c));
        return worst;
      }
    }
    return IndexKind::kNone;
  }

  // How selective an index on `e` is likely to be, for choosing one conjunct of an AND: a string
  // equality on an identifying property (value, hash, name) beats a prefix, which beats a regex,
  // which beats an equality on a property with few values (a port, a type, a protocol, a number
  // or boolean) — `[dst_ref.value = 'x' AND dst_port = 443]` must be found through the address,
  // not through every HTTPS connection. 0: not indexable.
  static int Score(const ComparisonExpression& e) {
    switch (e.kind) {
      case ComparisonKind::kComparison: {
        const Comparison& c = e.comparison;
        switch (KindOf(c)) {
          case IndexKind::kNone: return 0;
          case IndexKind::kRegex: return 2;
          case IndexKind::kPrefix: return 3;
          case IndexKind::kEqual: {
            const PathStep& last = c.path.steps.back();
            const std::string& p = last.property;
            bool few_values = last.kind != PathStepKind::kProperty || p == "type" ||
                              p.ends_with("_port") || p == "protocols" || p.starts_with("is_") ||
                              p == "account_type" || p == "mime_type" || p == "request_method";
            for (const Literal& l : c.values) {
              if (l.kind() != LiteralKind::kString && l.kind() != LiteralKind::kTimestamp) {
                few_values = true;
              }
            }
            return few_values ? 1 : 4;
          }
        }
        return 0;
      }
      case ComparisonKind::kAnd: {
        int best = 0;
        for (const auto& c : e.children) best = std::max(best, Score(c));
        return best;
      }
      case ComparisonKind::kOr: {
        int worst = 4;
        for (const auto& c : e.children) worst = std::min(worst, Score(c));
        return worst;
      }
    }
    return 0;
  }

  // Adds index entries for `e` so that any observation satisfying it fires one.
  Status AddEntries(const ComparisonExpression& e, Entry entry, std::vector<std::string>* regexes_added) {
    switch (e.kind) {
      case ComparisonKind::kComparison: {
        const Comparison& c = e.comparison;
        PathSlot& slot = slots[Slot(c.path)];
        switch (KindOf(c)) {
          case IndexKind::kEqual:
            for (const Literal& l : c.values) {
              if (l.kind() == LiteralKind::kTimestamp) slot.has_timestamps = true;
              keys.Add(slot.id, *LiteralKey(l)).Add(entry);
              slot.has_equal = true;
            }
            return Status::Ok();
          case IndexKind::kPrefix: {
            internal::IpPrefix p = *internal::ParseIpPrefix(std::get<std::string>(c.values[0].value));
            char buf[20];
            keys.Add(slot.id, MaskedKey(p, p.length, buf)).Add(entry);
            auto at = std::lower_bound(slot.prefix_lengths.begin(), slot.prefix_lengths.end(), p.length);
            if (at == slot.prefix_lengths.end() || *at != p.length) slot.prefix_lengths.insert(at, p.length);
            (p.v6 ? slot.v6_prefixes : slot.v4_prefixes)
                .emplace_back(First32(p), static_cast<uint8_t>(p.length));
            return Status::Ok();
          }
          case IndexKind::kRegex: {
            const std::string& operand = std::get<std::string>(c.values[0].value);
            std::string regex =
                c.op == ComparisonOperator::kLike ? LikeRegex(operand) : operand;
            if (!slot.regexes) slot.regexes = std::make_unique<internal::RegexIndex>();
            std::string error;
            if (slot.regexes->Add(regex, &error) < 0) {
              return Status(StatusCode::kInvalidArgument, "MATCHES regex not supported by RE2: " + error);
            }
            slot.regex_entries.push_back(entry);
            regexes_added->push_back(slot.text);
            return Status::Ok();
          }
          case IndexKind::kNone:
            return Status(StatusCode::kInternal, "not indexable");
        }
        return Status::Ok();
      }
      case ComparisonKind::kAnd: {
        // One conjunct suffices: the most selective one (Score), the first of the best.
        int best = Score(e);
        for (const auto& c : e.children) {
          if (Score(c) == best) return AddEntries(c, entry, regexes_added);
        }
        return Status(StatusCode::kInternal, "no indexable conjunct");
      }
      case ComparisonKind::kOr:
        for (const auto& c : e.children) CTI_RETURN_IF_ERROR(AddEntries(c, entry, regexes_added));
        return Status::Ok();
    }
    return Status::Ok();
  }

  static Status Validate(const ComparisonExpression& e) {
    if (e.kind != ComparisonKind::kComparison) {
      for (const auto& c : e.children) CTI_RETURN_IF_ERROR(Validate(c));
      return Status::Ok();
    }
    const Comparison& c = e.comparison;
    if (c.op == ComparisonOperator::kMatches) {
      RE2::Options o;
      o.set_log_errors(false);
      RE2 regex(std::get<std::string>(c.values[0].value), o);
      if (!regex.ok()) {
        return Status(StatusCode::kInvalidArgument,
                      "MATCHES at offset " + std::to_string(c.offset) +
                          ": not a regular expression RE2 supports: " + regex.error());
      }
    }
    if ((c.op == ComparisonOperator::kIsSubset || c.op == ComparisonOperator::kIsSuperset) &&
        !internal::ParseIpPrefix(std::get<std::string>(c.values[0].value))) {
      return Status(StatusCode::kInvalidArgument,
                    std::string(OperatorSymbol(c.op)) + " at offset " + std::to_string(c.offset) +
                        ": not an IPv4 or IPv6 address or prefix");
    }
    return Status::Ok();
  }

  // True when an index hit alone proves the bracket: OR-ed equalities and subnets.
  static bool Exact(const ComparisonExpression& e) {
    if (e.kind == ComparisonKind::kOr) {
      return std::all_of(e.children.begin(), e.children.end(), Exact);
    }
    if (e.kind != ComparisonKind::kComparison) return false;
    IndexKind k = KindOf(e.comparison);
    if (k == IndexKind::kEqual) {
      // Keys hold numbers as doubles; beyond 2^53 distinct integers share a key while the
      // evaluator compares int64 with int64 exactly, so such a hit must be confirmed.
      // The same holds for a float literal that large.
      constexpr double kExact = 9007199254740992.0;  // 2^53
      for (const Literal& l : e.comparison.values) {
        if (l.kind() == LiteralKind::kInteger &&
            std::fabs(static_cast<double>(std::get<int64_t>(l.value))) >= kExact) {
          return false;
        }
        if (l.kind() == LiteralKind::kFloat && std::fabs(std::get<double>(l.value)) >= kExact) {
          return false;
        }
      }
    }
    return k == IndexKind::kEqual || k == IndexKind::kPrefix;
  }

  Status CompileOne(size_t index, CompileReport* report) {
    const IndicatorSpec& spec = specs[index];
    Result<Pattern> parsed = ParsePattern(spec.pattern);
    if (!parsed.ok()) return parsed.status();
    auto pattern = std::make_unique<Pattern>(std::move(*parsed));
    if (options.canonical_literals) CanonicaliseLiterals(pattern.get());
    std::vector<const ComparisonExpression*> leaves;
    Leaves(pattern->root, &leaves);
    // Refuse now what the evaluator would refuse on the first matching observation, before any
    // index entry exists for this indicator.
    for (const ComparisonExpression* leaf : leaves) CTI_RETURN_IF_ERROR(Validate(*leaf));
    Indicator ind;
    ind.single = pattern->root.kind == ObservationKind::kObservation &&
                 pattern->root.qualifiers.empty();
    auto full = std::make_unique<Indicator::Full>();
    full->window = RootWindow(pattern->root).value_or(options.max_window_micros);
    const ObservationExpression& root = pattern->root;
    if (root.kind == ObservationKind::kObservation && !root.qualifiers.empty() &&
        root.qualifiers[0].kind == QualifierKind::kRepeats &&
        std::all_of(root.qualifiers.begin() + 1, root.qualifiers.end(),
                    [](const Qualifier& q) { return q.kind == QualifierKind::kWithin; })) {
      full->counting = true;
      full->repeats = root.qualifiers[0].repeats;
      for (size_t q = 1; q < root.qualifiers.size(); ++q) {
        full->count_window = std::min<int64_t>(full->count_window,
                                               std::llround(root.qualifiers[q].within_seconds * 1e6));
      }
    }
    // `REPEATS 100 TIMES` needs 100 observations in memory whatever max_remembered says.
    full->cap = std::min<size_t>(
        std::max<size_t>(options.max_remembered, static_cast<size_t>(2 * MaxRepeats(pattern->root))),
        4096);
    bool all_exact = ind.single;
    for (size_t leaf = 0; leaf < leaves.size(); ++leaf) {
      const ComparisonExpression& e = *leaves[leaf];
      // An exact bracket's index hit is its answer, in a multi-observation pattern too: only
      // the pattern as a whole is then left to the evaluator (a REPEATS count needs no JSON at
      // all).
      bool exact = Exact(e);
      Entry entry{static_cast<uint32_t>(index), static_cast<uint16_t>(leaf), exact};
      if (BestKind(e) == IndexKind::kNone) {
        std::vector<std::string> types;
        Types(e, &types);
        for (const std::string& t : types) by_type[t].scans.push_back(entry);
        ++report->brackets_scanned;
        all_exact = false;
        continue;
      }
      std::vector<std::string> regexes;
      CTI_RETURN_IF_ERROR(AddEntries(e, entry, &regexes));
      if (exact) {
        ++report->brackets_exact;
      } else {
        ++report->brackets_confirmed;
        all_exact = false;
      }
    }
    if (!ind.single) ++report->multi_observation;
    if (!all_exact) {
      full->leaves = std::move(leaves);
      full->pattern = std::move(pattern);
      ind.full = std::move(full);
    }
    ind.ok = true;
    indicators[index] = std::move(ind);
    return Status::Ok();
  }

  Status Finish() {
    keys.Finish();
    BuildPrefixTables();
    for (PathSlot& slot : slots) {
      if (!slot.regexes) continue;
      Status s = slot.regexes->Compile();
      if (!s.ok()) return Status(s.code(), slot.text + ": " + s.message());
    }
    return Status::Ok();
  }

  static uint32_t First32(const internal::IpPrefix& p) {
    return uint32_t{p.bytes[0]} << 24 | uint32_t{p.bytes[1]} << 16 | uint32_t{p.bytes[2]} << 8 | p.bytes[3];
  }
  static size_t V6Bucket(uint32_t first32) { return (first32 * 0x9E3779B1u) >> 16; }

  // The slots with the most prefixes get a table (512 KiB for IPv4, 1 MiB for IPv6), up to 32 +
  // 16 MiB in all: a feed has a few address paths; thousands of custom ones would otherwise take
  // gigabytes.
  static constexpr size_t kMaxV4Tables = 64, kMaxV6Tables = 16;
  template <typename Prefixes>
  std::vector<PathSlot*> SlotsByPrefixCount(Prefixes PathSlot::*prefixes) {
    std::vector<PathSlot*> order;
    for (PathSlot& slot : slots) {
      if (!(slot.*prefixes).empty()) order.push_back(&slot);
    }
    std::stable_sort(order.begin(), order.end(), [&](const PathSlot* a, const PathSlot* b) {
      return (a->*prefixes).size() > (b->*prefixes).size();
    });
    return order;
  }
  void BuildPrefixTables() {
    std::vector<PathSlot*> v6 = SlotsByPrefixCount(&PathSlot::v6_prefixes);
    for (size_t i = 0; i < v6.size(); ++i) {
      PathSlot& slot = *v6[i];
      if (i < kMaxV6Tables && options.prefix_length_tables) {
        slot.v6_lengths_by_32.assign(size_t{1} << 16, {0, 0});
        for (const auto& [first32, length] : slot.v6_prefixes) {
          if (length < 32) {
            slot.v6_short_lengths |= uint64_t{1} << length;
          } else {
            unsigned bit = length - 32u;  // 0..96
            slot.v6_lengths_by_32[V6Bucket(first32)][bit / 64] |= uint64_t{1} << (bit % 64);
          }
        }
      }
      slot.v6_prefixes.clear();
      slot.v6_prefixes.shrink_to_fit();
    }
    std::vector<PathSlot*> order = SlotsByPrefixCount(&PathSlot::v4_prefixes);
    for (size_t i = 0; i < order.size(); ++i) {
      PathSlot& slot = *order[i];
      if (i < kMaxV4Tables && options.prefix_length_tables) {
        slot.v4_lengths_by_16.assign(size_t{1} << 16, 0);
        for (const auto& [first32, length] : slot.v4_prefixes) {
          // A prefix shorter than 16 covers 2^(16 - length) consecutive /16s.
          uint32_t span = length >= 16 ? 1u : 1u << (16 - length);
          uint32_t first = (first32 >> 16) & ~(span - 1);
          for (uint32_t k = 0; k < span; ++k) slot.v4_lengths_by_16[first + k] |= uint64_t{1} << length;
        }
      }
      slot.v4_prefixes.clear();
      slot.v4_prefixes.shrink_to_fit();
    }
  }

  void Fire(const Entry& entry, std::string_view path, std::string_view value) {
    uint64_t k = (static_cast<uint64_t>(entry.indicator) << 16) | entry.leaf;
    auto [it, added] = candidate_index.emplace(k, candidates.size());
    if (added) candidates.push_back(Candidate{entry, {}});
    Candidate& c = candidates[it->second];
    // Once each: two objects of a record can show one value (the connection to an address and
    // the same one to the host it named carry the same protocols).
    if (!path.empty() && c.values.size() < 8 &&
        std::none_of(c.values.begin(), c.values.end(),
                     [&](const MatchedValue& v) { return v.value == value && v.path == path; })) {
      c.values.push_back(MatchedValue{std::string(path), std::string(value)});
    }
  }

  // One value a slot's path selected, from either form of the observation.
  struct Value {
    enum class Kind { kString, kInteger, kUnsigned, kDouble, kBool, kBinary } kind = Kind::kString;
    bool ipv4 = false;      // kString holding an IPv4 address already parsed into `integer`
    bool ipv6 = false;      // kString holding an IPv6 address already parsed: `ipv6_bytes`
    std::string_view text;  // kString
    union {                 // by kind: one Pending per index probe is copied, so kept small
      int64_t integer = 0;  // kInteger, kBool; kString with `ipv4`
      uint64_t unsigned_integer;  // kUnsigned
      double number;        // kDouble
      const unsigned char* ipv6_bytes;  // kString with `ipv6` (16 bytes in the observation)
    };
    double AsDouble() const {
      return kind == Kind::kInteger ? static_cast<double>(integer)
             : kind == Kind::kUnsigned ? static_cast<double>(unsigned_integer) : number;
    }
    // The value as the alert shows it (JSON text for numbers), made only for a hit.
    std::string Shown() const {
      switch (kind) {
        case Kind::kInteger: return std::to_string(integer);
        case Kind::kUnsigned: return std::to_string(unsigned_integer);
        case Kind::kDouble: return json::serialize(json::value(number));
        case Kind::kBool: return integer ? "true" : "false";
        case Kind::kBinary: return "(binary)";
        case Kind::kString: return std::string(text);
      }
      return {};
    }
  };

  static std::optional<Value> ValueOf(const FlatObservation& o, const FlatObservation::Node& n) {
    using K = FlatObservation::Kind;
    Value v;
    switch (n.kind) {
      case K::kString:
        v.kind = Value::Kind::kString;
        v.text = n.text;
        v.ipv4 = n.ipv4;
        v.ipv6 = n.ipv6;
        if (n.ipv6) {
          v.ipv6_bytes = o.Ipv6Bytes(n);
        } else {
          v.integer = n.integer;
        }
        return v;
      case K::kInteger: v.kind = Value::Kind::kInteger; v.integer = n.integer; return v;
      case K::kUnsigned: v.kind = Value::Kind::kUnsigned; v.unsigned_integer = n.unsigned_integer; return v;
      case K::kDouble: v.kind = Value::Kind::kDouble; v.number = n.number; return v;
      case K::kBool: v.kind = Value::Kind::kBool; v.integer = n.integer; return v;
      default: return std::nullopt;  // objects, lists, refs, null: nothing an index holds
    }
  }

  static std::optional<Value> ValueOf(const Selected& s) {
    Value v;
    if (s.kind == Selected::Kind::kBinary) {
      v.kind = Value::Kind::kBinary;
      return v;
    }
    if (s.kind != Selected::Kind::kJson) return std::nullopt;
    const json::value& j = *s.json;
    switch (j.kind()) {
      case json::kind::string: v.text = std::string_view(j.get_string().data(), j.get_string().size()); return v;
      case json::kind::int64: v.kind = Value::Kind::kInteger; v.integer = j.get_int64(); return v;
      case json::kind::uint64: v.kind = Value::Kind::kUnsigned; v.unsigned_integer = j.get_uint64(); return v;
      case json::kind::double_: v.kind = Value::Kind::kDouble; v.number = j.get_double(); return v;
      case json::kind::bool_: v.kind = Value::Kind::kBool; v.integer = j.get_bool() ? 1 : 0; return v;
      default: return std::nullopt;
    }
  }

  // Index lookups of one observation, gathered while its objects are walked and resolved
  // afterwards in the same order (so alerts keep the order of a direct walk): every key is hashed
  // and its filter line prefetched first.
  struct Pending {
    bool regex = false;
    char kind = 0;          // the key's kind letter
    bool owned = false;     // the key's text is pending_keys[offset, offset + size), else value.text
    uint32_t slot = 0;
    uint32_t offset = 0, size = 0;
    uint64_t hash = 0;
    Value value;  // what the alert shows; the regex input
  };
  std::vector<Pending> pending;
  std::string pending_keys;  // texts of keys made for this observation (numbers, prefixes, times)

  // A key of a string value, whose text lies in the observation (valid through this Match).
  void AddStringKey(PathSlot& slot, const Value& v) {
    Pending p;
    p.slot = slot.id;
    p.kind = 's';
    p.hash = KeyIndex::Hash(slot.id, 's', v.text);
    keys.Prefetch(p.hash);
    p.value = v;
    pending.push_back(p);
  }
  // A key made here (`key` = kind letter + text), kept in pending_keys.
  void AddMadeKey(PathSlot& slot, const Value& v, std::string_view key) {
    Pending p;
    p.slot = slot.id;
    p.kind = key[0];
    p.owned = true;
    p.offset = static_cast<uint32_t>(pending_keys.size());
    p.size = static_cast<uint32_t>(key.size() - 1);
    pending_keys.append(key.substr(1));
    p.hash = KeyIndex::Hash(slot.id, p.kind, key.substr(1));
    keys.Prefetch(p.hash);
    p.value = v;
    pending.push_back(p);
  }

  void LookupEqual(PathSlot& slot, const Value& v) {
    switch (v.kind) {
      case Value::Kind::kString:
        AddStringKey(slot, v);
        if (slot.has_timestamps) {
          Result<Timestamp> t = Timestamp::Parse(v.text);
          if (t.ok()) AddMadeKey(slot, v, "t" + std::to_string(t->micros()));
        }
        return;
      case Value::Kind::kInteger:
      case Value::Kind::kUnsigned:
      case Value::Kind::kDouble:
        AddMadeKey(slot, v, NumberKey(v.AsDouble()));
        return;
      case Value::Kind::kBool:
        AddMadeKey(slot, v, v.integer ? "b1" : "b0");
        return;
      case Value::Kind::kBinary:
        return;
    }
  }

  void LookupPrefix(PathSlot& slot, const Value& v) {
    if (v.kind != Value::Kind::kString) return;
    std::optional<internal::IpPrefix> observed;
    if (v.ipv4) {  // parsed when the record was read
      observed.emplace();
      std::memcpy(observed->bytes, &v.integer, 4);
      observed->length = 32;
    } else if (v.ipv6) {  // likewise
      observed.emplace();
      observed->v6 = true;
      std::memcpy(observed->bytes, v.ipv6_bytes, 16);
      observed->length = 128;
    } else {
      observed = internal::ParseIpPrefix(v.text);
    }
    if (!observed) return;
    char buf[20];
    if (!observed->v6 && observed->length >= 16 && !slot.v4_lengths_by_16.empty()) {
      // Only the lengths some prefix has around this address, ascending as below.
      uint64_t lengths = slot.v4_lengths_by_16[First32(*observed) >> 16] &
                         ((uint64_t{2} << observed->length) - 1);
      for (; lengths != 0; lengths &= lengths - 1) {
        AddMadeKey(slot, v, MaskedKey(*observed, std::countr_zero(lengths), buf));
      }
      return;
    }
    if (observed->v6 && observed->length >= 32 && !slot.v6_lengths_by_32.empty()) {
      for (uint64_t lengths = slot.v6_short_lengths; lengths != 0; lengths &= lengths - 1) {
        AddMadeKey(slot, v, MaskedKey(*observed, std::countr_zero(lengths), buf));
      }
      const std::array<uint64_t, 2>& bucket = slot.v6_lengths_by_32[V6Bucket(First32(*observed))];
      for (unsigned word = 0; word < 2; ++word) {
        for (uint64_t bits = bucket[word]; bits != 0; bits &= bits - 1) {
          int length = 32 + static_cast<int>(word * 64) + std::countr_zero(bits);
          if (length > observed->length) return;  // ascending: the rest are longer still
          AddMadeKey(slot, v, MaskedKey(*observed, length, buf));
        }
      }
      return;
    }
    for (int length : slot.prefix_lengths) {
      if (length > observed->length) break;  // a longer prefix cannot contain this value
      AddMadeKey(slot, v, MaskedKey(*observed, length, buf));
    }
  }

  // Resolves what the walk gathered, in order.
  void ResolvePending() {
    for (const Pending& p : pending) {
      PathSlot& slot = slots[p.slot];
      if (p.regex) {
        LookupRegex(slot, p.value);
        continue;
      }
      std::string_view text = p.owned ? std::string_view(pending_keys).substr(p.offset, p.size) : p.value.text;
      const Bucket* found = keys.Find(p.slot, p.kind, text, p.hash);
      if (found == nullptr) continue;
      std::string shown = p.value.Shown();
      found->ForEach([&](const Entry& e) { Fire(e, slot.text, shown); });
    }
    pending.clear();
    pending_keys.clear();
  }

  void LookupRegex(PathSlot& slot, const Value& v) {
    if (v.kind == Value::Kind::kBinary) {
      // Binary data is matched as Latin-1 by the evaluator; let it decide for every entry.
      for (const Entry& e : slot.regex_entries) Fire(e, slot.text, "(binary)");
      return;
    }
    if (v.kind != Value::Kind::kString) return;
    std::string_view text = v.text;
    regex_hits.clear();
    slot.regexes->Match(text, &regex_hits);
    // PCRE's '$' also matches before a final newline (see the evaluator's PcreSearch): look the
    // value up without it too, so no candidate is missed; the evaluator decides.
    if (!text.empty() && text.back() == '\n') slot.regexes->Match(text.substr(0, text.size() - 1), &regex_hits);
    for (int h : regex_hits) Fire(slot.regex_entries[static_cast<size_t>(h)], slot.text, text);
  }

  // The evaluator's REPEATS/WITHIN rule over the kept times: n observation instances (each
  // observation counts number_observed times) that all touch one window starting at the end of
  // the earliest-ending one.
  static bool Counted(const Indicator::Full& full) {
    for (const Observation& anchor : full.memory.window()) {
      int64_t start = anchor.last_observed.micros();
      int64_t count = 0;
      for (const Observation& o : full.memory.window()) {
        if (o.last_observed.micros() >= start &&
            (full.count_window == INT64_MAX || o.first_observed.micros() - start <= full.count_window)) {
          count += o.number_observed;
        }
      }
      if (count >= full.repeats) return true;
    }
    return false;
  }

  void Lookup(PathSlot& slot, const Value& v) {
    if (slot.has_equal) LookupEqual(slot, v);
    if (!slot.prefix_lengths.empty()) LookupPrefix(slot, v);
    if (slot.regexes) {
      Pending p;
      p.regex = true;
      p.slot = slot.id;
      p.value = v;
      pending.push_back(p);
    }
  }

  void Lookup(PathSlot& slot, const FlatObservation& o, const FlatObservation::Node& n) {
    if (std::optional<Value> v = ValueOf(o, n)) Lookup(slot, *v);
  }

  // The nodes `path` selects from an object of `o`, as internal::Select reads the JSON form
  // (property steps, `_ref`/`_refs` resolved within the observation, indexes, `[*]`), for paths
  // without binary steps. A `_refs` list is carried as (list node, true) until an index step
  // resolves its members; one left unresolved at the end selects nothing, as in Select.
  void SelectFlat(const FlatObservation& o, uint32_t root, const ObjectPath& path) {
    using K = FlatObservation::Kind;
    auto refs_of = [&](uint32_t list, auto&& each) {
      for (uint32_t c = o.node(list).first_child; c != FlatObservation::kNone; c = o.node(c).next) {
        if (o.node(c).kind == K::kRef) each(o.Root(o.node(c).object));
      }
    };
    flat_current.assign(1, {root, false});
    for (const PathStep& step : path.steps) {
      flat_next.clear();
      for (const auto& [from, ref_list] : flat_current) {
        switch (step.kind) {
          case PathStepKind::kProperty: {
            if (ref_list) break;
            uint32_t child = o.Child(from, step.property);
            if (child == FlatObservation::kNone) break;
            const FlatObservation::Node& c = o.node(child);
            const std::string& name = step.property;
            if (name.ends_with("_ref")) {
              if (c.kind == K::kRef) flat_next.emplace_back(o.Root(c.object), false);
            } else if (name.ends_with("_refs")) {
              if (c.kind != K::kArray) break;
              bool any = false;
              refs_of(child, [&](uint32_t) { any = true; });
              if (any) flat_next.emplace_back(child, true);
            } else {
              flat_next.emplace_back(child, false);
            }
            break;
          }
          case PathStepKind::kIndex: {
            if (step.index < 0) break;
            int64_t i = 0;
            if (ref_list) {
              refs_of(from, [&](uint32_t target) {
                if (i++ == step.index) flat_next.emplace_back(target, false);
              });
            } else if (o.node(from).kind == K::kArray) {
              for (uint32_t c = o.node(from).first_child; c != FlatObservation::kNone; c = o.node(c).next) {
                if (i++ == step.index) flat_next.emplace_back(c, false);
              }
            }
            break;
          }
          case PathStepKind::kAnyIndex:
            if (ref_list) {
              refs_of(from, [&](uint32_t target) { flat_next.emplace_back(target, false); });
            } else if (o.node(from).kind == K::kArray) {
              for (uint32_t c = o.node(from).first_child; c != FlatObservation::kNone; c = o.node(c).next) {
                flat_next.emplace_back(c, false);
              }
            }
            break;
        }
      }
      flat_current.swap(flat_next);
      if (flat_current.empty()) break;
    }
  }

  Status Match(const Observation& observation, std::vector<PatternMatch>* out) {
    assigned.Assign(observation);
    return Match(assigned, out);
  }

  Status Match(const FlatObservation& observation, std::vector<PatternMatch>* out) {
    candidates.clear();
    candidate_index.clear();
    for (uint32_t object = 0; object < observation.object_count(); ++object) {
      std::string_view type = observation.Type(object);
      if (type.empty()) continue;
      const TypeIndex* index = FindType(type);
      if (index == nullptr) continue;
      for (const Entry& e : index->scans) Fire(e, {}, {});
      uint32_t root = observation.Root(object);
      for (size_t id : index->slots) {
        PathSlot& slot = slots[id];
        if (slot.simple) {
          // Plain properties and single refs: follow the chain directly, no copies.
          uint32_t at = root;
          for (size_t k = 0; k < slot.simple_steps.size() && at != FlatObservation::kNone; ++k) {
            at = observation.Child(at, slot.simple_steps[k]);
            if (at == FlatObservation::kNone) break;
            if (slot.simple_deref[k]) {  // as Select: a reference resolves within the observation
              const FlatObservation::Node& ref = observation.node(at);
              at = ref.kind == FlatObservation::Kind::kRef ? observation.Root(ref.object)
                                                           : FlatObservation::kNone;
            }
          }
          if (at != FlatObservation::kNone) Lookup(slot, observation, observation.node(at));
          continue;
        }
        if (slot.binary) {
          // `_hex`/`_bin` steps decode values: read them from the JSON form, as the evaluator does.
          const Observation& j = observation.Json();
          const json::value* sco = j.objects.if_contains(
              json::string_view(observation.Key(object).data(), observation.Key(object).size()));
          if (sco == nullptr) continue;
          for (const Selected& s : Select(j, *sco, slot.path)) {
            if (std::optional<Value> v = ValueOf(s)) Lookup(slot, *v);
          }
          continue;
        }
        SelectFlat(observation, root, slot.path);
        for (const auto& [node, ref_list] : flat_current) {
          if (!ref_list) Lookup(slot, observation, observation.node(node));
        }
      }
    }
    ResolvePending();
    if (candidates.empty()) return Status::Ok();
    Timestamp now = observation.last_observed;
    std::vector<uint32_t> remembered_for;  // indicators this observation was stored for
    for (Candidate& c : candidates) {
      const IndicatorSpec& spec = specs[c.entry.indicator];
      if (!indicators[c.entry.indicator].ok) continue;
      if (spec.revoked || now < spec.valid_from || (spec.valid_until && now >= *spec.valid_until)) {
        if (!spec.revoked && c.entry.exact && indicators[c.entry.indicator].single) {
          ++(now < spec.valid_from ? outside_validity.not_yet_valid : outside_validity.expired);
        }
        continue;
      }
      Indicator& ind = indicators[c.entry.indicator];
      if (!c.entry.exact) {
        CTI_ASSIGN_OR_RETURN(bool hit, EvaluateComparison(*ind.full->leaves[c.entry.leaf], observation.Json()));
        if (!hit) continue;
      }
      if (ind.single) {
        out->push_back(PatternMatch{c.entry.indicator, std::move(c.values), 1});
        continue;
      }
      // Multi-observation: remember this observation once, then try the whole pattern.
      if (std::find(remembered_for.begin(), remembered_for.end(), c.entry.indicator) !=
          remembered_for.end()) {
        ind.full->memory.AddBrackets(BracketBit(c.entry.leaf));
        for (MatchedValue& v : c.values) ind.full->pending_values.push_back(std::move(v));
        continue;
      }
      remembered_for.push_back(c.entry.indicator);
      // WITHIN d binds intervals that touch one window of d seconds, so a remembered observation
      // can still pair with this one while its end is no more than d before this one's *start*
      // (measuring from this one's end dropped bindings the evaluator accepts).
      while (!ind.full->memory.empty() &&
             (ind.full->memory.front().last_observed.micros() <
                  observation.first_observed.micros() - ind.full->window ||
              ind.full->memory.size() >= ind.full->cap)) {
        ind.full->memory.pop_front();
        --remembered;
      }
      // A copy in default storage: the caller's observation may live in a per-record arena.
      Observation kept;
      if (!ind.full->counting) kept.objects = json::object(observation.Json().objects, json::storage_ptr());
      kept.first_observed = observation.first_observed;
      kept.last_observed = observation.last_observed;
      kept.number_observed = observation.number_observed;
      ind.full->memory.push_back(std::move(kept), BracketBit(c.entry.leaf));
      ++remembered;
      for (MatchedValue& v : c.values) ind.full->pending_values.push_back(std::move(v));
    }
    // Evaluate each touched multi-observation indicator once, after all its brackets fired.
    for (uint32_t i : remembered_for) {
      Indicator& ind = indicators[i];
      Result<bool> hit = false;
      if (ind.full->counting) {
        hit = Counted(*ind.full);
      } else if (ind.full->leaves.size() <= 64 &&
                 !Satisfiable(ind.full->pattern->root, ind.full->memory.Brackets())) {
        // Some bracket the pattern needs has no observation in the window: the evaluator could
        // only say no (it needs, for each bracket of a matching branch, an observation that
        // satisfies it — one that fired that bracket here).
        hit = false;
      } else {
        hit = Evaluate(*ind.full->pattern, ind.full->memory.window());
      }
      if (!hit.ok()) {
        // Too many combinations in the window: drop the oldest half and carry on.
        size_t drop = ind.full->memory.size() / 2;
        for (size_t k = 0; k < drop; ++k) ind.full->memory.pop_front();
        remembered -= drop;
        continue;
      }
      if (*hit) {
        out->push_back(PatternMatch{i, std::move(ind.full->pending_values), ind.full->memory.size()});
        remembered -= ind.full->memory.size();
        ind.full->memory.clear();
        ind.full->pending_values.clear();
      } else if (ind.full->pending_values.size() > 32) {
        ind.full->pending_values.erase(ind.full->pending_values.begin(), ind.full->pending_values.end() - 16);
      }
    }
    return Status::Ok();
  }
};

namespace {

void DescribeEntries(const ComparisonExpression& e, std::vector<std::string>* out) {
  using Kind = PatternMatcher::Impl::IndexKind;
  switch (e.kind) {
    case ComparisonKind::kComparison: {
      const Comparison& c = e.comparison;
      std::string path = c.path.ToString();
      switch (PatternMatcher::Impl::KindOf(c)) {
        case Kind::kEqual: out->push_back("hash index on " + path + " (" + c.ToString() + ")"); break;
        case Kind::kPrefix: out->push_back("prefix index on " + path + " (" + c.ToString() + ")"); break;
        case Kind::kRegex: out->push_back("regex set on " + path + " (" + c.ToString() + ")"); break;
        case Kind::kNone: break;
      }
      return;
    }
    case ComparisonKind::kAnd: {
      int best = PatternMatcher::Impl::Score(e);
      for (const ComparisonExpression& child : e.children) {
        if (PatternMatcher::Impl::Score(child) == best) return DescribeEntries(child, out);
      }
      return;
    }
    case ComparisonKind::kOr:
      for (const ComparisonExpression& child : e.children) DescribeEntries(child, out);
      return;
  }
}

}  // namespace

std::vector<std::string> DescribeIndexing(const Pattern& pattern) {
  std::vector<const ComparisonExpression*> leaves;
  Leaves(pattern.root, &leaves);
  bool single = pattern.root.kind == ObservationKind::kObservation && pattern.root.qualifiers.empty();
  std::vector<std::string> out;
  for (size_t i = 0; i < leaves.size(); ++i) {
    const ComparisonExpression& e = *leaves[i];
    std::string line = "bracket " + std::to_string(i + 1) + ": ";
    if (PatternMatcher::Impl::BestKind(e) == PatternMatcher::Impl::IndexKind::kNone) {
      std::vector<std::string> types;
      Types(e, &types);
      line += "no indexable comparison; evaluated on every observation with an object of type";
      for (size_t t = 0; t < types.size(); ++t) line += (t ? ", " : " ") + types[t];
    } else {
      std::vector<std::string> entries;
      DescribeEntries(e, &entries);
      for (size_t k = 0; k < entries.size(); ++k) line += (k ? "; " : "") + entries[k];
      line += !PatternMatcher::Impl::Exact(e) ? " — a hit is confirmed by the evaluator"
              : single                        ? " — a hit is the answer"
                                              : " — a hit answers this bracket";
    }
    out.push_back(std::move(line));
  }
  if (!single) {
    std::optional<int64_t> window = RootWindow(pattern.root);
    out.push_back(window ? "several observations: kept for " + std::to_string(*window / 1000000) +
                               " s (the pattern's WITHIN), then the whole pattern is evaluated"
                         : "several observations: kept for the matcher's window (default 1 h, at "
                           "most 64 per indicator), then the whole pattern is evaluated");
  }
  return out;
}

PatternMatcher::PatternMatcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PatternMatcher::~PatternMatcher() = default;

Result<std::unique_ptr<PatternMatcher>> PatternMatcher::Compile(std::vector<IndicatorSpec> specs,
                                                                const MatcherOptions& options,
                                                                CompileReport* report) {
  CompileReport local;
  if (report == nullptr) report = &local;
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->specs = std::move(specs);
  impl->indicators.resize(impl->specs.size());
  if (impl->specs.size() > UINT32_MAX) {
    return Status(StatusCode::kResourceExhausted, "more than 2^32 indicators");
  }
  for (size_t i = 0; i < impl->specs.size(); ++i) {
    Status s = impl->CompileOne(i, report);
    if (!s.ok()) {
      report->rejected.emplace_back(impl->specs[i].id, s.message());
      continue;
    }
    ++report->compiled;
    if (impl->specs[i].revoked) ++report->revoked;
  }
  CTI_RETURN_IF_ERROR(impl->Finish());
  return std::unique_ptr<PatternMatcher>(new PatternMatcher(std::move(impl)));
}

Status PatternMatcher::Match(const Observation& observation, std::vector<PatternMatch>* out) {
  return impl_->Match(observation, out);
}

Status PatternMatcher::Match(const FlatObservation& observation, std::vector<PatternMatch>* out) {
  return impl_->Match(observation, out);
}

size_t PatternMatcher::size() const { return impl_->specs.size(); }
const IndicatorSpec& PatternMatcher::spec(size_t indicator) const {
  return impl_->specs[indicator];
}
size_t PatternMatcher::remembered() const { return impl_->remembered; }
const PatternMatcher::OutsideValidity& PatternMatcher::outside_validity() const {
  return impl_->outside_validity;
}

}  // namespace ctihub::pattern
