#include "pattern/internal/matcher_regex.h"

#include <algorithm>
#include <cctype>
#include <functional>

namespace ctihub::pattern::internal {

namespace {

// FilteredRE2 ignores atoms shorter than this (the expression then passes its prefilter
// unconditionally). Three bytes keep the atom set selective on domains and URLs.
constexpr int kMinAtomLength = 3;

// An atom in at least this share of the expressions (and in kWeakAtomMinimum of them) is weak
// (see the header): found in most values, it selects nothing.
constexpr double kWeakAtomShare = 0.25;
constexpr size_t kWeakAtomMinimum = 32;
// Expressions sampled to count an atom's share: enough to tell a quarter from a few, bounded so
// that counting stays a small part of compiling tens of thousands of expressions.
constexpr size_t kWeakAtomSample = 512;

// A regex's literal characters, lowercased: backslash escapes of punctuation dropped (QuoteMeta
// and LIKE translation write them). Only for counting where atoms occur: an approximation that can
// only change which atoms are taken as weak, never an answer.
std::string Literalish(std::string_view regex) {
  std::string out;
  out.reserve(regex.size());
  for (size_t i = 0; i < regex.size(); ++i) {
    char c = regex[i];
    if (c == '\\' && i + 1 < regex.size() &&
        !std::isalnum(static_cast<unsigned char>(regex[i + 1]))) {
      c = regex[++i];
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Enough for the atom set of a million-indicator feed; RE2 falls back (and reports it) when a
// DFA still outgrows it, and Match then runs the expressions one by one.
constexpr int64_t kSetMemory = int64_t{64} << 20;

}  // namespace

std::string LikeRegex(std::string_view like) {
  std::string out = "\\A(?s:";
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) out += RE2::QuoteMeta(literal);
    literal.clear();
  };
  for (char c : like) {
    if (c == '%') {
      flush();
      out += ".*";
    } else if (c == '_') {
      flush();
      out += ".";
    } else {
      literal += c;
    }
  }
  flush();
  out += ")\\z";
  return out;
}

RE2::Options EvaluatorRegexOptions() {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_dot_nl(false);
  return options;
}

RegexIndex::RegexIndex() : filtered_(kMinAtomLength) {}

int RegexIndex::Add(const std::string& regex, std::string* error) {
  int id = -1;
  RE2::ErrorCode code = filtered_.Add(regex, EvaluatorRegexOptions(), &id);
  if (code != RE2::NoError) {
    RE2 probe(regex, EvaluatorRegexOptions());
    *error = probe.ok() ? "RE2 error code " + std::to_string(static_cast<int>(code))
                        : probe.error();
    return -1;
  }
  ++count_;
  return id;
}

Status RegexIndex::Compile() {
  if (count_ == 0) return Status::Ok();  // FilteredRE2 refuses to compile nothing
  std::vector<std::string> atoms;
  filtered_.Compile(&atoms);
  atom_count_ = atoms.size();
  // Which atoms are weak: counted over the literal text of an even sample of the expressions.
  std::vector<std::string> sample;
  size_t step = std::max<size_t>(1, static_cast<size_t>(count_) / kWeakAtomSample);
  for (int id = 0; id < count_; id += static_cast<int>(step)) {
    sample.push_back(Literalish(filtered_.GetRE2(id).pattern()));
  }
  std::vector<std::string> selective;
  for (size_t a = 0; a < atoms.size(); ++a) {
    size_t in = 0;
    for (const std::string& literal : sample) in += literal.find(atoms[a]) != std::string::npos;
    bool weak = in * step >= kWeakAtomMinimum &&
                static_cast<double>(in) >= kWeakAtomShare * static_cast<double>(sample.size());
    if (weak) {
      weak_atom_ids_.push_back(static_cast<int>(a));
    } else {
      atom_ids_.push_back(static_cast<int>(a));
      selective.push_back(atoms[a]);
    }
  }
  atoms = std::move(selective);
  if (!atoms.empty()) {
    // Atoms come lowercased (FilteredRE2 expects a lowercased text); matching them without case
    // on the original text finds at least every place the lowercased text contains them, since a
    // character and its lowercase share a case-folding orbit. Extra hits only cost a regex run.
    RE2::Options options = EvaluatorRegexOptions();
    options.set_case_sensitive(false);
    options.set_max_mem(kSetMemory);
    atoms_ = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
    for (const std::string& atom : atoms) {
      std::string error;
      if (atoms_->Add(RE2::QuoteMeta(atom), &error) < 0) {
        return Status(StatusCode::kInternal, "regex atom rejected by RE2: " + error);
      }
    }
    if (!atoms_->Compile()) {
      return Status(StatusCode::kResourceExhausted, "regex atoms exceed RE2's memory budget");
    }
  }
  // With no atom matched, the potentials are exactly the expressions without a prefilter.
  std::vector<int> none;
  filtered_.AllPotentials(none, &unfiltered_ids_);
  is_unfiltered_.assign(static_cast<size_t>(count_), false);
  for (int id : unfiltered_ids_) is_unfiltered_[static_cast<size_t>(id)] = true;
  if (!weak_atom_ids_.empty()) {
    std::vector<int> admitted;
    filtered_.AllPotentials(weak_atom_ids_, &admitted);
    for (int id : admitted) {
      if (!is_unfiltered_[static_cast<size_t>(id)]) weak_potentials_.push_back(id);
    }
  }
  RE2::Options options = EvaluatorRegexOptions();
  options.set_max_mem(kSetMemory);
  for (size_t i = 0; i < unfiltered_ids_.size(); ++i) {
    if (i % kShardSize == 0) {
      shards_.push_back(Shard{std::make_unique<RE2::Set>(options, RE2::UNANCHORED), {}});
    }
    std::string error;
    const std::string& pattern = filtered_.GetRE2(unfiltered_ids_[i]).pattern();
    if (shards_.back().set->Add(pattern, &error) < 0) {
      return Status(StatusCode::kInternal, "regex rejected by RE2::Set: " + error);
    }
    shards_.back().ids.push_back(unfiltered_ids_[i]);
  }
  // A shard RE2 cannot fit in its memory budget (a few large expressions, `\pL{440}`) is split
  // in halves until the parts fit, and an expression that does not fit even alone is run on its
  // own (a null set): slower for those, but every indicator stays in, as when each is evaluated.
  std::vector<Shard> compiled;
  std::function<void(std::vector<int>)> place = [&](std::vector<int> ids) {
    Shard shard{std::make_unique<RE2::Set>(options, RE2::UNANCHORED), ids};
    std::string error;
    bool added = true;
    for (int id : ids) added = added && shard.set->Add(filtered_.GetRE2(id).pattern(), &error) >= 0;
    if (added && shard.set->Compile()) {
      compiled.push_back(std::move(shard));
      return;
    }
    if (ids.size() == 1) {
      shard.set.reset();
      compiled.push_back(std::move(shard));
      return;
    }
    const auto half = ids.begin() + static_cast<std::ptrdiff_t>(ids.size() / 2);
    place(std::vector<int>(ids.begin(), half));
    place(std::vector<int>(half, ids.end()));
  };
  for (Shard& shard : shards_) {
    if (shard.set->Compile()) {
      compiled.push_back(std::move(shard));
    } else {
      place(shard.ids);
    }
  }
  shards_ = std::move(compiled);
  return Status::Ok();
}

void RegexIndex::MatchOne(int id, std::string_view text, std::vector<int>* hits) const {
  if (RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), filtered_.GetRE2(id))) {
    hits->push_back(id);
  }
}

// RE2::Set::Match allocates a set of matches on every call that asks for them; asking first
// whether anything matches at all (no allocation) spares that for the many values that match
// nothing.
static bool SetMatch(const RE2::Set& set, const re2::StringPiece& piece, std::vector<int>* out,
                     RE2::Set::ErrorInfo* info) {
  if (!set.Match(piece, nullptr, info)) return false;
  return set.Match(piece, out, info);
}

void RegexIndex::Match(std::string_view text, std::vector<int>* hits) {
  if (count_ == 0) return;
  re2::StringPiece piece(text.data(), text.size());
  for (const Shard& shard : shards_) {
    if (!shard.set) {  // too large for a set: on its own
      for (int id : shard.ids) MatchOne(id, text, hits);
      continue;
    }
    shard_hits_.clear();
    RE2::Set::ErrorInfo info;
    if (SetMatch(*shard.set, piece, &shard_hits_, &info)) {
      for (int h : shard_hits_) hits->push_back(shard.ids[static_cast<size_t>(h)]);
    } else if (info.kind != RE2::Set::kNoError) {
      // The DFA ran out of memory on this value: answer it expression by expression.
      for (int id : shard.ids) MatchOne(id, text, hits);
    }
  }
  if (atom_count_ == 0) return;
  matched_atoms_.clear();
  RE2::Set::ErrorInfo info;
  if (!atoms_ || !SetMatch(*atoms_, piece, &matched_atoms_, &info)) {
    if (info.kind == RE2::Set::kNoError) {
      // No selective atom: only what the weak ones admit on their own (and the unfiltered ones,
      // above) could match.
      for (int id : weak_potentials_) MatchOne(id, text, hits);
      return;
    }
    matched_atoms_.resize(atom_count_);  // assume every atom, stay correct
    for (size_t i = 0; i < atom_count_; ++i) matched_atoms_[i] = static_cast<int>(i);
  } else {
    for (int& a : matched_atoms_) a = atom_ids_[static_cast<size_t>(a)];
    matched_atoms_.insert(matched_atoms_.end(), weak_atom_ids_.begin(), weak_atom_ids_.end());
  }
  potentials_.clear();
  filtered_.AllPotentials(matched_atoms_, &potentials_);
  for (int id : potentials_) {
    if (!is_unfiltered_[static_cast<size_t>(id)]) MatchOne(id, text, hits);
  }
}

}  // namespace ctihub::pattern::internal
