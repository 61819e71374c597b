// pattern/internal/matcher_regex: the compiled matcher's index for LIKE and MATCHES on one object
// path — many regular expressions against one value, reporting exactly those that match.
//
// One RE2::Set over thousands of unanchored expressions does not scale: its DFA states hold a
// position in every expression, so each new value builds huge states (measured with RE2
// 2022-06-01: ~2,000 values/s at 1,000 expressions, and a crash inside RE2::Set::Match at 5,000
// with the default memory budget). Instead, RE2's FilteredRE2 derives from each expression the
// literal strings ("atoms") that any match must contain; one RE2::Set of those atoms — literals
// only, so its DFA stays small — finds the atoms a value contains, and only the expressions they
// admit are run. Expressions without a usable atom (`^x[0-9]`, LIKE '_1.%') go into RE2::Sets of
// at most kShardSize expressions each.
//
// An atom that many expressions share ("http://" in a thousand MATCHES on URLs) is found in most
// values, and each find made RE2 propagate it to every expression that uses it: ~1 µs per URL.
// Such "weak" atoms are left out of the atom set and taken as always found: the expressions they
// admit on their own are run on every value, the others only once a selective atom is found.
// Assuming an atom is present can only admit more expressions, so the answer is unchanged.
#pragma once

#include <re2/filtered_re2.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ctihub::pattern::internal {

// LIKE as an anchored RE2 regex with the evaluator's reading: '%' any run, '_' one code point.
std::string LikeRegex(std::string_view like);

// The RE2 options of the plain evaluator's MATCHES (UTF-8, '.' not matching '\n'), so the index
// answers exactly as RE2::PartialMatch there.
RE2::Options EvaluatorRegexOptions();

class RegexIndex {
 public:
  RegexIndex();
  RegexIndex(const RegexIndex&) = delete;
  RegexIndex& operator=(const RegexIndex&) = delete;

  // Adds an expression (unanchored, RE2 syntax). Returns its id (0, 1, … in order of addition),
  // or -1 with `*error` set when RE2 rejects it. Only before Compile.
  int Add(const std::string& regex, std::string* error);

  // Builds the atom set and the shards. ResourceExhausted when RE2 cannot fit them in memory.
  Status Compile();

  // Appends to `hits` the id of every expression that matches somewhere in `text` (the same
  // answer as RE2::PartialMatch with EvaluatorRegexOptions for each). Not thread-safe (scratch).
  void Match(std::string_view text, std::vector<int>* hits);

  size_t size() const { return static_cast<size_t>(count_); }
  size_t atoms() const { return atom_count_; }
  size_t weak_atoms() const { return weak_atom_ids_.size(); }
  size_t unfiltered() const { return unfiltered_ids_.size(); }

 private:
  static constexpr size_t kShardSize = 128;

  void MatchOne(int id, std::string_view text, std::vector<int>* hits) const;

  re2::FilteredRE2 filtered_;
  int count_ = 0;
  size_t atom_count_ = 0;
  std::unique_ptr<RE2::Set> atoms_;  // the selective atoms, case-insensitive; null when none
  std::vector<int> atom_ids_;        // atom id (FilteredRE2's) by atoms_ index
  std::vector<int> weak_atom_ids_;   // taken as always found
  std::vector<int> weak_potentials_;  // filtered expressions the weak atoms admit on their own
  std::vector<bool> is_unfiltered_;
  std::vector<int> unfiltered_ids_;
  struct Shard {
    std::unique_ptr<RE2::Set> set;  // null: its expression is run on its own (too large)
    std::vector<int> ids;  // expression id by the Set's index
  };
  std::vector<Shard> shards_;
  std::vector<int> matched_atoms_, potentials_, shard_hits_;  // scratch
};

}  // namespace ctihub::pattern::internal
