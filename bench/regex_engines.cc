// bench_regex_engines: the matcher's RegexIndex (RE2 FilteredRE2 + RE2::Sets) side by side with
// Hyperscan, on the same LIKE/MATCHES expressions and the same values, on one core; and
// RE2::PartialMatch of every expression one by one (the plain evaluator's way) as the baseline
// both replace. Built only when pkg-config finds libhs (Debian: libhyperscan-dev).
//
//   bench_regex_engines [--sizes 1000,5000,20000] [--values 1000000] [--reps 3] [--seed 1]
//                       [--hs-utf8 1] [--baseline-ops 4000000] [--with-no-atom 1]
//
// Per size N: N expressions shaped like a feed's indicators (LIKE over domains and URLs through
// the matcher's own LIKE translation, MATCHES regexes, ~3% without any literal atom), and
// `values` domain names and URLs of which ~1% are built to match one expression. Prints compile
// time, peak and retained RSS, values/s (best of reps), and the number of values on which
// Hyperscan's set of matching ids differs from RegexIndex's (over the expressions both accept).
// Then a few single-expression probes of where the two engines' syntax and semantics differ.
#include <hs.h>
#include <malloc.h>
#include <re2/re2.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pattern/internal/matcher_regex.h"

using ctihub::pattern::internal::EvaluatorRegexOptions;
using ctihub::pattern::internal::LikeRegex;
using ctihub::pattern::internal::RegexIndex;

namespace {

// ---- measurement ----

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int64_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

// Linux resets VmHWM (peak RSS) to the current RSS on "5" > /proc/self/clear_refs (since 4.0).
void ResetPeakRss() {
  std::ofstream("/proc/self/clear_refs") << "5";
}

int64_t PeakRssBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  }
  return 0;
}

double Mb(int64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

// Memory taken by one engine's construction: peak during it and what stays afterwards.
class MemoryProbe {
 public:
  MemoryProbe() {
    malloc_trim(0);
    base_ = RssBytes();
    ResetPeakRss();
  }
  void Stop() {
    peak_ = PeakRssBytes() - base_;
    malloc_trim(0);
    retained_ = RssBytes() - base_;
  }
  int64_t peak() const { return peak_; }
  int64_t retained() const { return retained_; }

 private:
  int64_t base_ = 0, peak_ = 0, retained_ = 0;
};

// ---- deterministic generation ----

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {  // splitmix64
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int Below(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }
  int Between(int lo, int hi) { return lo + Below(hi - lo + 1); }
  bool Permille(int p) { return Below(1000) < p; }
  template <size_t K>
  const char* Pick(const char* const (&items)[K]) {
    return items[Below(static_cast<int>(K))];
  }

 private:
  uint64_t state_;
};

constexpr const char* kSyllables[] = {"ka", "lo",  "mi",  "ne",  "ro",  "ta",  "vu",  "zi", "be",
                                      "do", "fa",  "gu",  "hi",  "ju",  "pe",  "si",  "xo", "ya",
                                      "qua", "tor", "len", "mar", "dex", "pix", "nor"};
constexpr const char* kCommonTlds[] = {"com", "net", "org", "de", "io", "co.uk", "fr", "info"};
constexpr const char* kRareTlds[] = {"top", "xyz", "tk",   "gq",    "cf",   "ml",
                                     "buzz", "icu", "cyou", "rest", "click", "monster"};
constexpr const char* kSubdomains[] = {"www.", "cdn.", "mail.", "api.", "static.", "m."};
constexpr const char* kAdminDirs[] = {"wp-admin", "wp-includes", "admin", "uploads", "files",
                                      "bin"};
constexpr const char* kActions[] = {"login", "secure", "verify", "account"};
constexpr const char* kPayloads[] = {"exe", "dll", "bin"};

std::string Word(Rng& rng, int min_syllables, int max_syllables) {
  std::string out;
  for (int i = rng.Between(min_syllables, max_syllables); i > 0; --i) out += rng.Pick(kSyllables);
  return out;
}

// An indicator's distinctive token: "lomixo417".
std::string Token(Rng& rng) { return Word(rng, 2, 3) + std::to_string(rng.Below(1000)); }

std::string Letters(Rng& rng, int n, const char* alphabet) {
  std::string out;
  size_t size = std::strlen(alphabet);
  for (int i = 0; i < n; ++i) out += alphabet[rng.Below(static_cast<int>(size))];
  return out;
}

std::string Tld(Rng& rng) { return rng.Permille(10) ? rng.Pick(kRareTlds) : rng.Pick(kCommonTlds); }

// A background domain; `plain` leaves out hyphens (for `[a-z0-9.]+`).
std::string Domain(Rng& rng, bool plain = false) {
  std::string out = rng.Permille(300) ? rng.Pick(kSubdomains) : "";
  out += Word(rng, 2, 5);
  if (!plain && rng.Permille(150)) out += "-" + Word(rng, 1, 3);
  return out + "." + Tld(rng);
}

std::string Url(Rng& rng) {
  std::string out = rng.Permille(600) ? "https://" : "http://";
  out += Domain(rng);
  switch (rng.Below(7)) {
    case 0:
      return out + "/";
    case 1:
      return out + "/index.html";
    case 2:
      return out + "/wp-content/uploads/20" + std::to_string(rng.Between(15, 24)) + "/" +
             std::to_string(rng.Between(10, 12)) + "/" + Word(rng, 2, 4) + ".jpg";
    case 3:
      return out + "/api/v" + std::to_string(rng.Between(1, 3)) + "/" + Word(rng, 2, 3) +
             "?id=" + std::to_string(rng.Below(100000));
    case 4:
      return out + "/static/js/" + Word(rng, 2, 4) + ".js";
    case 5:
      return out + "/" + Word(rng, 1, 3) + "/" + Word(rng, 2, 3) + ".php";
    default:
      return out + "/search?q=" + Word(rng, 2, 4);
  }
}

struct Expression {
  std::string regex;
  std::string witness;  // a value it matches
  bool like = false;
  bool no_atom = false;  // built without any literal of >= 3 bytes
};

// One indicator's comparison, picked with a feed-like mix (weights in per mille).
Expression MakeExpression(Rng& rng) {
  Expression e;
  int roll = rng.Below(1000);
  auto like = [&](const std::string& pattern, std::string witness) {
    e.like = true;
    e.regex = LikeRegex(pattern);
    e.witness = std::move(witness);
  };
  auto matches = [&](std::string regex, std::string witness) {
    e.regex = std::move(regex);
    e.witness = std::move(witness);
  };
  if ((roll -= 190) < 0) {  // domain suffix: '%.dga123.example'
    std::string tok = Token(rng), tld = Tld(rng);
    like("%." + tok + "." + tld, Word(rng, 2, 3) + "." + tok + "." + tld);
  } else if ((roll -= 120) < 0) {  // URL path: 'http://%/wp-admin/x12%'
    std::string dir = rng.Pick(kAdminDirs), tok = Token(rng);
    like("http://%/" + dir + "/" + tok + "%",
         "http://" + Domain(rng) + "/" + dir + "/" + tok + "/" + Word(rng, 1, 2) + ".php");
  } else if ((roll -= 80) < 0) {  // host prefix: 'kalo12-login.%'
    std::string tok = Token(rng), action = rng.Pick(kActions);
    like(tok + "-" + action + ".%", tok + "-" + action + "." + Tld(rng));
  } else if ((roll -= 70) < 0) {  // two tokens, any one character between
    std::string a = Token(rng), b = Token(rng);
    like("%" + a + "_" + b + "%", "https://" + a + "-" + b + ".com/");
  } else if ((roll -= 40) < 0) {  // exact host, any two-letter TLD
    std::string tok = Token(rng);
    like(tok + ".__", tok + ".ru");
  } else if ((roll -= 10) < 0) {  // no atom: '___7.%'
    int k = rng.Between(1, 6);
    std::string digit = std::to_string(rng.Below(10));
    like(std::string(static_cast<size_t>(k), '_') + digit + ".%",
         Letters(rng, k, "abcdefghijklmnopqrstuvwxyz") + digit + ".com");
    e.no_atom = true;
  } else if ((roll -= 10) < 0) {  // no atom: '%/_3_5_/%'
    std::string d1 = std::to_string(rng.Below(10)), d2 = std::to_string(rng.Below(10));
    like("%/_" + d1 + "_" + d2 + "_/%", "http://" + Domain(rng) + "/a" + d1 + "b" + d2 + "c/x");
    e.no_atom = true;
  } else if ((roll -= 100) < 0) {  // C2 gate
    std::string tok = Token(rng);
    matches("^https?://[a-z0-9.]+/" + tok + "\\.php\\?id=[0-9]{4}",
            "http://" + Domain(rng, true) + "/" + tok + ".php?id=" +
                std::to_string(rng.Between(1000, 9999)));
  } else if ((roll -= 30) < 0) {  // DGA shape: '[a-z]{12}\.(top|xyz)$'
    int k = rng.Between(8, 16);
    std::string t1 = rng.Pick(kRareTlds), t2 = rng.Pick(kRareTlds);
    matches("[a-z]{" + std::to_string(k) + "}\\.(" + t1 + "|" + t2 + ")$",
            Letters(rng, k, "abcdefghijklmnopqrstuvwxyz") + "." + t2);
  } else if ((roll -= 80) < 0) {  // DGA under a known parent
    int k = rng.Between(6, 14);
    std::string tok = Token(rng), t1 = rng.Pick(kRareTlds), t2 = rng.Pick(kRareTlds);
    matches("[a-z0-9]{" + std::to_string(k) + "}\\." + tok + "\\.(" + t1 + "|" + t2 + ")$",
            Letters(rng, k, "abcdefghijklmnopqrstuvwxyz0123456789") + "." + tok + "." + t1);
  } else if ((roll -= 60) < 0) {  // payload by hash
    std::string tok = Token(rng), ext = rng.Pick(kPayloads);
    matches("/[a-f0-9]{32}/" + tok + "\\.(exe|dll|bin)$",
            "http://" + Domain(rng) + "/" + Letters(rng, 32, "0123456789abcdef") + "/" + tok +
                "." + ext);
  } else if ((roll -= 80) < 0) {  // phishing host
    std::string tok = Token(rng), action = rng.Pick(kActions);
    matches("^(www\\.)?" + tok + "-(login|secure|verify|account)\\.",
            "www." + tok + "-" + action + "." + Tld(rng));
  } else if ((roll -= 50) < 0) {  // case-insensitive path
    std::string tok = Token(rng), upper = tok;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    matches("(?i)/" + tok + "/[a-z]+\\.php", "https://" + Domain(rng) + "/" + upper + "/index.php");
  } else if ((roll -= 50) < 0) {  // zone under .ru/.su
    std::string tok = Token(rng);
    matches("\\." + tok + "\\.(ru|su)(/|$)", "http://" + Word(rng, 2, 3) + "." + tok + ".su/");
  } else if ((roll -= 10) < 0) {  // no atom: '^[a-z]{4}[0-9]{3}\.[a-z]{2,3}/'
    int k = rng.Between(3, 8), m = rng.Between(2, 5);
    matches("^[a-z]{" + std::to_string(k) + "}[0-9]{" + std::to_string(m) + "}\\.[a-z]{2,3}/",
            Letters(rng, k, "abcdefghijklmnopqrstuvwxyz") + Letters(rng, m, "0123456789") +
                ".com/x");
    e.no_atom = true;
  } else {  // bare address with a port
    std::string port = std::to_string(rng.Between(1024, 65535));
    matches("^https?://[0-9]{1,3}(\\.[0-9]{1,3}){3}:" + port + "/",
            "http://10." + std::to_string(rng.Below(256)) + ".7." + std::to_string(rng.Below(256)) +
                ":" + port + "/x");
  }
  return e;
}

// Values laid out in one arena (no per-value allocation, like a batch of parsed records).
struct Values {
  std::string arena;
  std::vector<std::string_view> items;
  size_t urls = 0, injected = 0;
};

Values MakeValues(Rng& rng, size_t count, const std::vector<Expression>& expressions) {
  std::vector<std::string> owned;
  owned.reserve(count);
  Values v;
  for (size_t i = 0; i < count; ++i) {
    if (rng.Permille(10)) {  // ~1%: a value some indicator was written for
      owned.push_back(expressions[static_cast<size_t>(
                                      rng.Below(static_cast<int>(expressions.size())))]
                          .witness);
      ++v.injected;
    } else if (rng.Permille(500)) {
      owned.push_back(Url(rng));
      ++v.urls;
    } else {
      owned.push_back(Domain(rng));
    }
  }
  size_t total = 0;
  for (const std::string& s : owned) total += s.size();
  v.arena.reserve(total);
  for (const std::string& s : owned) v.arena += s;
  size_t offset = 0;
  for (const std::string& s : owned) {
    v.items.emplace_back(v.arena.data() + offset, s.size());
    offset += s.size();
  }
  return v;
}

// Matching ids per value, sorted: ids[offsets[i] .. offsets[i+1]).
struct Hits {
  std::vector<uint32_t> offsets;
  std::vector<int> ids;
  void Clear() {
    offsets.assign(1, 0);
    ids.clear();
  }
  void EndValue() {
    std::sort(ids.begin() + offsets.back(), ids.end());
    offsets.push_back(static_cast<uint32_t>(ids.size()));
  }
  size_t values_with_hits() const {
    size_t n = 0;
    for (size_t i = 0; i + 1 < offsets.size(); ++i) n += offsets[i + 1] > offsets[i];
    return n;
  }
};

// ---- engines ----

struct EngineResult {
  bool ok = false;
  std::string note;
  double compile_s = 0;
  int64_t peak = 0, retained = 0, database = -1, scratch = -1;
  double best_s = 0;
  size_t values = 0;
  Hits hits;
};

template <typename MatchFn>
void TimeScans(const Values& values, int reps, EngineResult* r, MatchFn match) {
  r->best_s = 1e100;
  r->values = values.items.size();
  for (int rep = 0; rep < reps; ++rep) {
    r->hits.Clear();
    auto start = std::chrono::steady_clock::now();
    for (std::string_view value : values.items) {
      match(value, &r->hits.ids);
      r->hits.EndValue();
    }
    r->best_s = std::min(r->best_s, Seconds(start));
  }
}

EngineResult RunRegexIndex(const std::vector<Expression>& expressions, const Values& values,
                           int reps, size_t* atoms, size_t* unfiltered) {
  EngineResult r;
  MemoryProbe memory;
  auto start = std::chrono::steady_clock::now();
  auto index = std::make_unique<RegexIndex>();
  for (const Expression& e : expressions) {
    std::string error;
    if (index->Add(e.regex, &error) < 0) {
      r.note = "RE2 rejected " + e.regex + ": " + error;
      return r;
    }
  }
  ctihub::Status status = index->Compile();
  r.compile_s = Seconds(start);
  memory.Stop();
  if (!status.ok()) {
    r.note = status.ToString();
    return r;
  }
  r.peak = memory.peak();
  r.retained = memory.retained();
  *atoms = index->atoms();
  *unfiltered = index->unfiltered();
  TimeScans(values, reps, &r,
            [&](std::string_view value, std::vector<int>* ids) { index->Match(value, ids); });
  r.ok = true;
  return r;
}

unsigned HsFlags(const std::string& regex, bool utf8) {
  unsigned flags = HS_FLAG_SINGLEMATCH;
  if (regex.find("(?s") != std::string::npos) flags |= HS_FLAG_DOTALL;
  if (utf8) flags |= HS_FLAG_UTF8;
  return flags;
}

int CollectId(unsigned int id, unsigned long long /*from*/, unsigned long long /*to*/,
              unsigned int /*flags*/, void* context) {
  static_cast<std::vector<int>*>(context)->push_back(static_cast<int>(id));
  return 0;  // go on: every expression that matches
}

struct HsRejection {
  int id;
  std::string error;
};

EngineResult RunHyperscan(const std::vector<Expression>& expressions, const Values& values,
                          int reps, bool utf8, std::vector<HsRejection>* rejected,
                          std::vector<bool>* accepted) {
  EngineResult r;
  MemoryProbe memory;
  auto start = std::chrono::steady_clock::now();
  accepted->assign(expressions.size(), true);
  // hs_compile_multi stops at the first unsupported expression; screen each one first (parse
  // only, cheap), then drop whatever the full compile still names.
  for (size_t i = 0; i < expressions.size(); ++i) {
    hs_expr_info_t* info = nullptr;
    hs_compile_error_t* error = nullptr;
    if (hs_expression_info(expressions[i].regex.c_str(), HsFlags(expressions[i].regex, utf8),
                           &info, &error) != HS_SUCCESS) {
      rejected->push_back({static_cast<int>(i), error->message});
      (*accepted)[i] = false;
      hs_free_compile_error(error);
    }
    std::free(info);
  }
  hs_database_t* database = nullptr;
  for (;;) {
    std::vector<const char*> patterns;
    std::vector<unsigned> flags, ids;
    for (size_t i = 0; i < expressions.size(); ++i) {
      if (!(*accepted)[i]) continue;
      patterns.push_back(expressions[i].regex.c_str());
      flags.push_back(HsFlags(expressions[i].regex, utf8));
      ids.push_back(static_cast<unsigned>(i));
    }
    hs_compile_error_t* error = nullptr;
    if (hs_compile_multi(patterns.data(), flags.data(), ids.data(),
                         static_cast<unsigned>(patterns.size()), HS_MODE_BLOCK, nullptr, &database,
                         &error) == HS_SUCCESS) {
      break;
    }
    if (error->expression < 0) {
      r.note = std::string("hs_compile_multi: ") + error->message;
      hs_free_compile_error(error);
      return r;
    }
    int id = static_cast<int>(ids[static_cast<size_t>(error->expression)]);
    rejected->push_back({id, error->message});
    (*accepted)[static_cast<size_t>(id)] = false;
    hs_free_compile_error(error);
  }
  hs_scratch_t* scratch = nullptr;
  if (hs_alloc_scratch(database, &scratch) != HS_SUCCESS) {
    r.note = "hs_alloc_scratch failed";
    hs_free_database(database);
    return r;
  }
  r.compile_s = Seconds(start);
  memory.Stop();
  r.peak = memory.peak();
  r.retained = memory.retained();
  size_t size = 0;
  if (hs_database_size(database, &size) == HS_SUCCESS) r.database = static_cast<int64_t>(size);
  if (hs_scratch_size(scratch, &size) == HS_SUCCESS) r.scratch = static_cast<int64_t>(size);
  bool scan_ok = true;
  TimeScans(values, reps, &r, [&](std::string_view value, std::vector<int>* ids) {
    if (hs_scan(database, value.data(), static_cast<unsigned>(value.size()), 0, scratch,
                CollectId, ids) != HS_SUCCESS) {
      scan_ok = false;
    }
  });
  hs_free_scratch(scratch);
  hs_free_database(database);
  if (!scan_ok) {
    r.note = "hs_scan failed";
    return r;
  }
  r.ok = true;
  return r;
}

// The plain evaluator's way, on every `step`-th value: each expression by RE2::PartialMatch.
EngineResult RunOneByOne(const std::vector<Expression>& expressions, const Values& values,
                         size_t step, int reps, const Hits& reference, size_t* disagreements) {
  EngineResult r;
  MemoryProbe memory;
  auto start = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<RE2>> regexes;
  regexes.reserve(expressions.size());
  for (const Expression& e : expressions) {
    regexes.push_back(std::make_unique<RE2>(e.regex, EvaluatorRegexOptions()));
  }
  r.compile_s = Seconds(start);
  memory.Stop();
  r.peak = memory.peak();
  r.retained = memory.retained();
  r.best_s = 1e100;
  std::vector<size_t> sample;
  for (size_t i = 0; i < values.items.size(); i += step) sample.push_back(i);
  r.values = sample.size();
  for (int rep = 0; rep < reps; ++rep) {
    r.hits.Clear();
    auto scan = std::chrono::steady_clock::now();
    for (size_t i : sample) {
      re2::StringPiece piece(values.items[i].data(), values.items[i].size());
      for (size_t id = 0; id < regexes.size(); ++id) {
        if (RE2::PartialMatch(piece, *regexes[id])) r.hits.ids.push_back(static_cast<int>(id));
      }
      r.hits.EndValue();
    }
    r.best_s = std::min(r.best_s, Seconds(scan));
  }
  *disagreements = 0;
  for (size_t k = 0; k < sample.size(); ++k) {
    size_t i = sample[k];
    if (!std::equal(r.hits.ids.begin() + r.hits.offsets[k], r.hits.ids.begin() + r.hits.offsets[k + 1],
                    reference.ids.begin() + reference.offsets[i],
                    reference.ids.begin() + reference.offsets[i + 1])) {
      ++*disagreements;
    }
  }
  r.ok = true;
  return r;
}

// Values on which the two engines' ids differ, over the expressions Hyperscan accepted.
size_t CompareHits(const std::vector<Expression>& expressions, const Values& values,
                   const Hits& re2, const Hits& hs, const std::vector<bool>& accepted) {
  size_t differing = 0, shown = 0;
  std::vector<int> want;
  for (size_t i = 0; i < values.items.size(); ++i) {
    want.clear();
    for (uint32_t k = re2.offsets[i]; k < re2.offsets[i + 1]; ++k) {
      if (accepted[static_cast<size_t>(re2.ids[k])]) want.push_back(re2.ids[k]);
    }
    if (std::equal(want.begin(), want.end(), hs.ids.begin() + hs.offsets[i],
                   hs.ids.begin() + hs.offsets[i + 1])) {
      continue;
    }
    ++differing;
    if (shown++ < 5) {
      std::printf("  differs on %.*s:\n", static_cast<int>(values.items[i].size()),
                  values.items[i].data());
      for (int id : want) std::printf("    RegexIndex %s\n", expressions[static_cast<size_t>(id)].regex.c_str());
      for (uint32_t k = hs.offsets[i]; k < hs.offsets[i + 1]; ++k) {
        std::printf("    Hyperscan  %s\n", expressions[static_cast<size_t>(hs.ids[k])].regex.c_str());
      }
    }
  }
  return differing;
}

// ---- single-expression probes ----

// Returns "match", "no match" or "rejected: <why>".
std::string HsProbe(const std::string& regex, unsigned flags, std::string_view value) {
  hs_database_t* database = nullptr;
  hs_compile_error_t* error = nullptr;
  if (hs_compile(regex.c_str(), flags, HS_MODE_BLOCK, nullptr, &database, &error) != HS_SUCCESS) {
    std::string out = std::string("rejected: ") + error->message;
    hs_free_compile_error(error);
    return out;
  }
  hs_scratch_t* scratch = nullptr;
  std::vector<int> ids;
  if (hs_alloc_scratch(database, &scratch) != HS_SUCCESS ||
      hs_scan(database, value.data(), static_cast<unsigned>(value.size()), 0, scratch, CollectId,
              &ids) != HS_SUCCESS) {
    ids.assign(1, -1);
  }
  hs_free_scratch(scratch);
  hs_free_database(database);
  if (!ids.empty() && ids[0] < 0) return "scan failed";
  return ids.empty() ? "no match" : "match";
}

std::string Re2Probe(const std::string& regex, std::string_view value) {
  RE2 re(regex, EvaluatorRegexOptions());
  if (!re.ok()) return "rejected: " + re.error();
  return RE2::PartialMatch(re2::StringPiece(value.data(), value.size()), re) ? "match"
                                                                               : "no match";
}

std::string Printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void Probes(bool utf8) {
  struct Probe {
    std::string regex;
    std::string value;
    const char* why;
  };
  const std::vector<Probe> probes = {
      {"[a-z]{3}\\.top$", "abc.top\n", "$ before a final newline"},
      {LikeRegex("%.top"), "abc.top\n", "LIKE ends in \\z: no newline slack"},
      {LikeRegex("caf_.example"), "caf\xc3\xa9.example", "LIKE _ on a 2-byte character"},
      {"(?i)\xc3\xa9vil", "\xc3\x89VIL.com", "case folding beyond ASCII"},
      {"\\bevil\\b", "\xc3\xa9" "evil.com", "\\b next to a non-ASCII letter"},
      {"\\p{Cyrillic}", "\xd0\xb0pple.com", "Unicode script class (homoglyph)"},
      {"\\pL+\\.com", "\xd0\xb0pple.com", "Unicode letter class"},
      {"[[:alpha:]]{5}\\.com", "apple.com", "POSIX class"},
      {"(?P<host>[a-z]+)\\.evil", "x.evil", "named group"},
      {"\\Qa.b\\E", "a.b", "\\Q..\\E quoting"},
      {"(?U)a+b", "aab", "RE2 (?U) ungreedy flag"},
      {"\\C", "x", "RE2 \\C (any byte)"},
      {"x{2,1000}y", "xxy", "large bounded repeat"},
      {LikeRegex("%"), "anything", "LIKE '%' (matches the empty value)"},
      {"^$", "", "empty value"},
      {"x*", "abc", "matches the empty string anywhere"},
      {"evil\\Z", "evil\n", "\\Z (PCRE end) vs RE2"},
      {"(a+)+$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaa!", "nested quantifier"},
  };
  std::printf("\nProbes: one expression, one value. Hyperscan flags: SINGLEMATCH, DOTALL where "
              "(?s), and UTF8 or not:\n");
  std::printf("  %-28s %-32s %-9s %-28s %-28s %s\n", "expression", "value", "RE2", "Hyperscan UTF8",
              "Hyperscan bytes", "case");
  for (const Probe& p : probes) {
    std::string re2 = Re2Probe(p.regex, p.value);
    std::string hs[2] = {HsProbe(p.regex, HsFlags(p.regex, true), p.value),
                         HsProbe(p.regex, HsFlags(p.regex, false), p.value)};
    bool differs = false;
    for (std::string& h : hs) {
      differs |= h != re2;
      if (h.size() > 28) h = h.substr(0, 25) + "...";
    }
    std::printf("  %-28s %-32s %-9s %-28s %-28s %s%s\n", Printable(p.regex).c_str(),
                ("\"" + Printable(p.value) + "\"").c_str(), re2.c_str(), hs[0].c_str(),
                hs[1].c_str(), p.why, differs ? "  <- differs" : "");
  }
  std::printf("  (rejection reasons in full:)\n");
  for (const Probe& p : probes) {
    std::string hs = HsProbe(p.regex, HsFlags(p.regex, utf8), p.value);
    if (hs.rfind("rejected", 0) == 0) std::printf("    %s: %s\n", Printable(p.regex).c_str(), hs.c_str());
  }
}

// ---- driver ----

std::vector<size_t> ParseSizes(const char* text) {
  std::vector<size_t> out;
  for (const char* p = text; *p;) {
    char* end = nullptr;
    out.push_back(std::strtoull(p, &end, 10));
    p = *end == ',' ? end + 1 : end;
  }
  return out;
}

void PrintRow(size_t n, const char* engine, const EngineResult& r, double reference_rate,
              const char* extra) {
  if (!r.ok) {
    std::printf("%6zu  %-11s failed: %s\n", n, engine, r.note.c_str());
    return;
  }
  double rate = static_cast<double>(r.values) / r.best_s;
  char size[48] = "-";
  if (r.database >= 0) {
    std::snprintf(size, sizeof size, "%.1f + %.2f", Mb(r.database), Mb(r.scratch));
  }
  std::printf("%6zu  %-11s %9.2f %9.1f %11.1f %12s %12.0f %8.2fx  %s\n", n, engine, r.compile_s,
              Mb(r.peak), Mb(r.retained), size, rate, rate / reference_rate, extra);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<size_t> sizes = {1000, 5000, 20000};
  size_t value_count = 1000000;
  int reps = 3;
  uint64_t seed = 1;
  bool utf8 = true;
  double baseline_ops = 4e6;  // regex runs for the one-by-one baseline, per size
  bool with_no_atom = true;   // 0: leave out the families without a literal atom
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--sizes") {
      sizes = ParseSizes(value);
    } else if (flag == "--values") {
      value_count = std::strtoull(value, nullptr, 10);
    } else if (flag == "--reps") {
      reps = std::max(1, std::atoi(value));
    } else if (flag == "--seed") {
      seed = std::strtoull(value, nullptr, 10);
    } else if (flag == "--hs-utf8") {
      utf8 = std::atoi(value) != 0;
    } else if (flag == "--with-no-atom") {
      with_no_atom = std::atoi(value) != 0;
    } else if (flag == "--baseline-ops") {
      baseline_ops = std::atof(value);
    } else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  std::printf("Hyperscan %s; RE2 (system); %zu values; best of %d; one thread\n", hs_version(),
              value_count, reps);
  if (hs_valid_platform() != HS_SUCCESS) {
    std::printf("Hyperscan: this CPU lacks SSSE3\n");
    return 1;
  }

  struct Summary {
    size_t n, differing;
    std::string line;
  };
  std::vector<Summary> summaries;
  for (size_t n : sizes) {
    Rng rng(seed);
    std::vector<Expression> expressions;
    expressions.reserve(n);
    size_t likes = 0, no_atom = 0, bad_witness = 0;
    for (size_t i = 0; i < n; ++i) {
      expressions.push_back(MakeExpression(rng));
      while (!with_no_atom && expressions.back().no_atom) expressions.back() = MakeExpression(rng);
      likes += expressions.back().like;
      no_atom += expressions.back().no_atom;
      RE2 re(expressions.back().regex, EvaluatorRegexOptions());
      bad_witness += !RE2::PartialMatch(expressions.back().witness, re);
    }
    Values values = MakeValues(rng, value_count, expressions);
    std::printf("\n== N = %zu expressions: %zu LIKE, %zu MATCHES, %zu built without an atom "
                "(%zu witnesses fail their own expression)\n",
                n, likes, n - likes, no_atom, bad_witness);

    size_t atoms = 0, unfiltered = 0;
    EngineResult index = RunRegexIndex(expressions, values, reps, &atoms, &unfiltered);
    if (!index.ok) {
      std::printf("RegexIndex failed: %s\n", index.note.c_str());
      return 1;
    }
    std::vector<HsRejection> rejected;
    std::vector<bool> accepted;
    EngineResult hs = RunHyperscan(expressions, values, reps, utf8, &rejected, &accepted);
    size_t step = std::max<size_t>(1, static_cast<size_t>(static_cast<double>(value_count) *
                                                          static_cast<double>(n) / baseline_ops));
    size_t baseline_disagreements = 0;
    EngineResult one_by_one =
        RunOneByOne(expressions, values, step, 1, index.hits, &baseline_disagreements);

    std::printf("values: %zu (%zu URLs, %zu witnesses injected); matching >= 1 expression: "
                "%.2f%%; RegexIndex: %zu atoms, %zu expressions unfiltered\n",
                values.items.size(), values.urls, values.injected,
                100.0 * static_cast<double>(index.hits.values_with_hits()) /
                    static_cast<double>(values.items.size()),
                atoms, unfiltered);
    std::printf("%6s  %-11s %9s %9s %11s %12s %12s %9s\n", "N", "engine", "compile_s", "peak_MB",
                "retained_MB", "db+scr_MB", "values/s", "vs index");
    double reference = static_cast<double>(index.values) / index.best_s;
    PrintRow(n, "RegexIndex", index, reference, "");
    char extra[96];
    std::snprintf(extra, sizeof extra, "%zu rejected", rejected.size());
    PrintRow(n, "Hyperscan", hs, reference, extra);
    std::snprintf(extra, sizeof extra, "sample of %zu values; %zu disagree with RegexIndex",
                  one_by_one.values, baseline_disagreements);
    PrintRow(n, "one-by-one", one_by_one, reference, extra);

    std::map<std::string, size_t> reasons;
    for (const HsRejection& r : rejected) ++reasons[r.error];
    for (const auto& [why, count] : reasons) {
      std::printf("  Hyperscan rejected %zu: %s\n", count, why.c_str());
    }
    size_t differing = 0;
    if (hs.ok) {
      differing = CompareHits(expressions, values, index.hits, hs.hits, accepted);
      std::printf("correctness: %zu of %zu values where Hyperscan's ids differ from RegexIndex's "
                  "(over the %zu expressions both accept)\n",
                  differing, values.items.size(), n - rejected.size());
    }
    char line[200];
    std::snprintf(line, sizeof line,
                  "%6zu  compile %.2fs vs %.2fs, retained %.0f vs %.0f MB, %.0f vs %.0f values/s "
                  "(%.2fx)",
                  n, hs.compile_s, index.compile_s, Mb(hs.retained), Mb(index.retained),
                  hs.ok ? static_cast<double>(hs.values) / hs.best_s : 0.0, reference,
                  hs.ok ? static_cast<double>(hs.values) / hs.best_s / reference : 0.0);
    summaries.push_back({n, differing, line});
  }
  std::printf("\nHyperscan vs RegexIndex:\n");
  for (const Summary& s : summaries) std::printf("%s; %zu values differ\n", s.line.c_str(), s.differing);
  Probes(utf8);
  return 0;
}
