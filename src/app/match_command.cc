#include "app/match_command.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <simdjson.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "alerts/alerts.h"
#include "app/audit_commands.h"
#include "app/cli_checks.h"
#include "app/exit_codes.h"
#include "app/import_command.h"
#include "app/output_file.h"
#include "app/store_commands.h"
#include "app/wording.h"
#include "common/input_file.h"
#include "common/utf8.h"
#include "common/uuid.h"
#include "pattern/matcher.h"
#include "stix/object.h"
#include "stix/validator.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "telemetry/telemetry.h"

namespace ctihub::app {
namespace {

namespace json = boost::json;

struct MatchFlags {
  std::string store = DefaultStoreUri();
  std::string collection;
  std::string indicators;
  std::vector<std::string> logs;
  std::string format = "auto";
  std::string mapping;
  bool follow = false;
  std::string output = "-";
  bool sightings = false;
  std::string sightings_collection = "sightings";
  std::string window = "1h";
  std::string sighted_by;
  std::set<std::string> given;  // the options given on the command line
};

std::atomic<bool> g_stop{false};
volatile sig_atomic_t g_signal = 0;  // what stopped a stream (SIGINT, SIGTERM), for the exit code

// Ctrl-C or SIGTERM on a stream (--follow, standard input): stop reading, then match, summarise
// and store what was read, as at the end of a file. Standard input may be blocked in read():
// /dev/null put in its place ends it (open, dup2 and close are async-signal-safe). A second
// signal ends the process at once.
void StopMatching(int sig) {
  if (g_signal != 0) {
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  g_signal = sig;
  g_stop = true;
  const int saved = errno;
  if (int fd = ::open("/dev/null", O_RDONLY); fd >= 0) {
    ::dup2(fd, STDIN_FILENO);
    ::close(fd);
  }
  errno = saved;
}

// Open Sighting windows (indicator × sensor × window, ~200 bytes each) a file may hold before the
// closed ones are stored early.
constexpr size_t kMaxOpenWindowsPerFile = 200000;

int Fail(const Status& s) {
  fmt::print(stderr, "ctihub match: {}\n", s.ToString());
  return kExitUsage;
}

// What `ctihub match` needs of an indicator object; nullopt (with *why) for other objects.
std::optional<pattern::IndicatorSpec> SpecOf(const json::object& o, std::string* why) {
  auto str = [&](const char* key) -> std::string {
    const json::value* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  if (str("type") != "indicator") return std::nullopt;
  // STIX 2.0 indicators have no pattern_type and no spec_version: their patterns are STIX.
  const bool stix20 = !o.contains("pattern_type") && !o.contains("spec_version");
  if (!stix20 && str("pattern_type") != "stix") {
    *why = o.contains("pattern_type") ? "pattern_type " + str("pattern_type")
                                      : std::string("no pattern_type");
    return std::nullopt;
  }
  pattern::IndicatorSpec spec;
  spec.id = str("id");
  spec.name = str("name");
  spec.pattern = str("pattern");
  // When an indicator is valid must be read, never guessed: one whose times cannot be read
  // (an offset instead of Z, no time at all) is left out and counted (import and validate refuse
  // it too), rather than firing as if it were valid for ever.
  Result<Timestamp> from = Timestamp::Parse(str("valid_from"));
  if (!from.ok()) {
    *why = "valid_from missing or not a STIX timestamp (UTC, ending in Z)";
    return std::nullopt;
  }
  spec.valid_from = *from;
  if (o.contains("valid_until")) {
    Result<Timestamp> until = Timestamp::Parse(str("valid_until"));
    if (!until.ok()) {
      *why = "valid_until not a STIX timestamp (UTC, ending in Z)";
      return std::nullopt;
    }
    spec.valid_until = *until;
  }
  const json::value* revoked = o.if_contains("revoked");
  if (revoked != nullptr && !revoked->is_bool()) {
    *why = "revoked is not true or false";
    return std::nullopt;
  }
  spec.revoked = revoked != nullptr && revoked->get_bool();
  // Every marking on any part of it: a Sighting quotes its name and matched values.
  if (const json::value* refs = o.if_contains("object_marking_refs"); refs && refs->is_array()) {
    for (const json::value& r : refs->get_array()) {
      if (r.is_string()) spec.markings.emplace_back(r.get_string());
    }
  }
  if (const json::value* g = o.if_contains("granular_markings"); g && g->is_array()) {
    for (const json::value& m : g->get_array()) {
      const json::value* ref = m.is_object() ? m.get_object().if_contains("marking_ref") : nullptr;
      if (ref && ref->is_string()) spec.markings.emplace_back(ref->get_string());
    }
  }
  std::sort(spec.markings.begin(), spec.markings.end());
  spec.markings.erase(std::unique(spec.markings.begin(), spec.markings.end()),
                      spec.markings.end());
  return spec;
}

struct Loaded {
  std::vector<pattern::IndicatorSpec> specs;
  std::map<std::string, size_t> skipped;  // reason → count
};

void Consider(const json::value& v, std::map<std::string, std::pair<std::string, pattern::IndicatorSpec>>* latest,
              Loaded* out) {
  if (!v.is_object()) return;
  std::string why;
  std::optional<pattern::IndicatorSpec> spec = SpecOf(v.get_object(), &why);
  if (!spec) {
    if (!why.empty()) ++out->skipped[why];
    return;
  }
  // Several versions of one indicator: the latest `modified` counts.
  const json::value* modified = v.get_object().if_contains("modified");
  std::string version = modified && modified->is_string() ? std::string(modified->get_string()) : "";
  auto [it, added] = latest->try_emplace(spec->id, version, *spec);
  if (!added && Timestamp::Parse(version).ok() && Timestamp::Parse(it->second.first).ok() &&
      *Timestamp::Parse(version) > *Timestamp::Parse(it->second.first)) {
    it->second = {version, std::move(*spec)};
  }
}

Result<Loaded> FromFile(const std::string& path) {
  CTI_ASSIGN_OR_RETURN(std::unique_ptr<InputFile> in, InputFile::Open(path));
  CTI_ASSIGN_OR_RETURN(std::string read, in->ReadAll());
  const std::string_view text = WithoutUtf8Bom(read);
  Loaded out;
  std::map<std::string, std::pair<std::string, pattern::IndicatorSpec>> latest;
  boost::system::error_code ec;
  json::value whole = json::parse(text, ec);
  if (!ec) {
    const json::value* objects = whole.is_object() ? whole.get_object().if_contains("objects") : nullptr;
    if (objects != nullptr && objects->is_array()) {
      for (const json::value& v : objects->get_array()) Consider(v, &latest, &out);
    } else if (whole.is_array()) {
      for (const json::value& v : whole.get_array()) Consider(v, &latest, &out);
    } else {
      Consider(whole, &latest, &out);
    }
  } else {
    std::istringstream lines{std::string(text)};
    std::string line;
    size_t n = 0, bad_lines = 0, first_bad_line = 0, objects = 0;
    const boost::system::error_code whole_error = ec;
    while (std::getline(lines, line)) {
      ++n;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      json::value v = json::parse(line, ec);
      if (ec) {
        // Counted and named, as a bad log line is: the other indicators still count.
        if (first_bad_line == 0) first_bad_line = n;
        ++bad_lines;
        continue;
      }
      if (v.is_object()) ++objects;
      Consider(v, &latest, &out);
    }
    if (bad_lines > 0 && objects == 0) {
      // No line is a JSON object: not JSON lines at all (a bundle cut short, another format).
      return InvalidArgument(path + ":" + std::to_string(first_bad_line) + ": not JSON (" +
                             whole_error.message() + ")");
    }
    if (bad_lines > 0) {
      out.skipped["line not JSON (the first: line " + std::to_string(first_bad_line) + ")"] =
          bad_lines;
    }
  }
  for (auto& [id, entry] : latest) out.specs.push_back(std::move(entry.second));
  return out;
}

Result<Loaded> FromStore(store::Store& st, const std::string& collection) {
  CTI_ASSIGN_OR_RETURN(store::Collection c, st.FindCollection(collection));
  Loaded out;
  std::map<std::string, std::pair<std::string, pattern::IndicatorSpec>> latest;
  store::Query q;
  q.types = {"indicator"};
  q.limit = 10000;
  for (;;) {
    CTI_ASSIGN_OR_RETURN(store::Page page, st.List(c.id, q));
    for (const store::StoredObject& o : page.objects) {
      boost::system::error_code ec;
      json::value v = json::parse(o.text, ec);
      if (!ec) Consider(v, &latest, &out);
    }
    if (!page.more) break;
    q.after = page.next;
  }
  for (auto& [id, entry] : latest) out.specs.push_back(std::move(entry.second));
  return out;
}

// The node's secret for Sighting ids (alerts::SightingOptions::id_key): made once, kept in the
// store's records, so the same window gives the same id on every run.
Result<std::string> SightingIdKey(store::Store& st) {
  constexpr std::string_view kKind = "match", kKey = "sighting-id-key";
  CTI_ASSIGN_OR_RETURN(std::optional<std::string> key, st.GetRecord(kKind, kKey));
  if (key && !key->empty()) return *key;
  std::string made = Uuid::RandomV4().ToString() + Uuid::RandomV4().ToString();
  CTI_RETURN_IF_ERROR(st.PutRecord(kKind, kKey, made));
  return made;
}

// A Sighting made now, as the next version of the one stored under its id (nullopt when it adds
// nothing to it; the Sighting itself when none is stored). `created` stays the stored one's
// (STIX 2.1 §3.6), first_seen and last_seen widen, and the counts add up when the two cover
// disjoint times (a later log of the same window); when they overlap (the same log again, or
// overlapping ones) the larger count stands, since which records both saw cannot be told.
Result<std::optional<std::string>> MergeWithStored(store::Store& st, const std::string& collection_id,
                                                   const std::string& made) {
  boost::system::error_code ec;
  json::value fresh = json::parse(made, ec);
  if (ec || !fresh.is_object()) return std::optional<std::string>(made);
  json::object& now = fresh.get_object();
  const std::string id(now["id"].as_string());
  CTI_ASSIGN_OR_RETURN(std::vector<store::StoredObject> stored, st.Get(collection_id, id));
  if (stored.empty()) return std::optional<std::string>(made);
  json::value old_value = json::parse(stored.back().text, ec);
  if (ec || !old_value.is_object()) return std::optional<std::string>(made);
  json::object& old = old_value.get_object();
  auto text = [](json::object& o, const char* key) {
    json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  auto count = [](json::object& o) {
    json::value* v = o.if_contains("count");
    return v && v->is_int64() ? v->as_int64() : v && v->is_uint64() ? static_cast<int64_t>(v->as_uint64()) : 0;
  };
  // Millisecond RFC 3339 strings of one form: they compare as text.
  const std::string old_first = text(old, "first_seen"), old_last = text(old, "last_seen");
  const std::string new_first = text(now, "first_seen"), new_last = text(now, "last_seen");
  const bool disjoint = new_first > old_last || new_last < old_first;
  const int64_t merged_count =
      std::min<int64_t>(disjoint ? count(old) + count(now) : std::max(count(old), count(now)),
                        999'999'999);
  const std::string first = std::min(old_first, new_first), last = std::max(old_last, new_last);
  // The markings of both: what was counted under the stored version's stays under them (an
  // indicator re-marked from RED to GREEN does not take its RED-era counts with it).
  auto markings = [](json::object& o) {
    std::set<std::string> refs;
    if (json::value* v = o.if_contains("object_marking_refs"); v && v->is_array()) {
      for (const json::value& r : v->as_array()) {
        if (r.is_string()) refs.emplace(r.as_string());
      }
    }
    return refs;
  };
  std::set<std::string> marked = markings(old);
  const std::set<std::string> added = markings(now);
  const bool no_new_markings = std::includes(marked.begin(), marked.end(), added.begin(), added.end());
  marked.insert(added.begin(), added.end());
  if (first == old_first && last == old_last && merged_count == count(old) && no_new_markings) {
    return std::optional<std::string>();
  }
  if (!marked.empty()) {
    json::array refs;
    for (const std::string& r : marked) refs.emplace_back(r);
    now["object_marking_refs"] = std::move(refs);
  }
  now["created"] = text(old, "created");
  now["first_seen"] = first;
  now["last_seen"] = last;
  now["count"] = merged_count;
  // The next version: after the stored one, and no earlier than what it saw.
  Result<Timestamp> old_modified = Timestamp::Parse(text(old, "modified"));
  std::string modified = last;
  if (old_modified.ok()) {
    std::string after = Timestamp(old_modified->micros() + 1000).ToMillisString();
    if (after > modified) modified = after;
  }
  now["modified"] = modified;
  if (json::value* d = now.if_contains("description"); d && d->is_string()) {
    std::string description(d->as_string());
    *d = std::to_string(merged_count) + description.substr(description.find(' '));
  }
  return std::optional<std::string>(json::serialize(now));
}

// Stores the Sightings in the sightings collection; returns "N new, M updated, K unchanged" and
// what was left out. Each is validated first, as an import validates objects: a Sighting is made
// from what a log says (times, counts), and one that is not valid STIX (a log's time past year
// 9999, say) is reported and left out rather than stored and later served to partners.
audit::AuditEvent StoringSightings(const MatchFlags& flags, size_t count) {
  audit::AuditEvent e;
  e.kind = "import";
  e.subject = flags.sightings_collection;
  e.outcome = "storing " + std::to_string(count) + " sightings from ctihub match";
  return e;
}

Result<std::string> StoreSightings(store::Store& st, const std::string& collection,
                                   const std::vector<std::string>& sightings) {
  if (sightings.empty()) return std::string("none");
  CTI_ASSIGN_OR_RETURN(store::Collection c, st.EnsureCollection(collection));
  simdjson::dom::parser parser;
  stix::Validator validator;
  std::vector<stix::ObjectVersion> batch;
  size_t invalid = 0;
  std::string first_invalid;
  size_t unchanged_here = 0;
  for (const std::string& made : sightings) {
    // A later run over the same window: one version following the stored one.
    CTI_ASSIGN_OR_RETURN(std::optional<std::string> merged, MergeWithStored(st, c.id, made));
    if (!merged) {
      ++unchanged_here;
      continue;
    }
    const std::string& s = *merged;
    std::string errors;
    stix::RawObject raw;
    raw.text = s;
    size_t n = validator.ValidateObject(raw, [&](const stix::Finding& f) {
      if (f.severity != stix::Severity::kError || !errors.empty()) return;
      errors = f.object_id + " " + f.pointer + ": " + f.message + " [" + f.rule + "]";
    });
    if (n > 0) {
      if (invalid++ == 0) first_invalid = errors;
      continue;
    }
    std::string text = s;
    text.reserve(text.size() + simdjson::SIMDJSON_PADDING);
    CTI_ASSIGN_OR_RETURN(stix::ObjectVersion v, stix::ExtractObjectVersion(parser, std::move(text)));
    batch.push_back(std::move(v));
  }
  store::PutResult r;
  if (!batch.empty()) {
    CTI_ASSIGN_OR_RETURN(r, st.Put(c.id, batch, store::PutMode::kBestEffort));
  }
  std::string summary = fmt::format("{} new, {} updated, {} unchanged", r.added, r.new_versions,
                                    r.duplicates + unchanged_here);
  if (invalid > 0) {
    summary += fmt::format(", {} not valid STIX (first: {})", invalid, first_invalid);
  }
  if (r.rejected) {
    for (size_t i = 0; i < r.reasons.size(); ++i) {
      if (!r.reasons[i].empty()) {
        summary += fmt::format(", {} rejected (first: {})", r.rejected, r.reasons[i]);
        break;
      }
    }
  }
  return summary;
}

// Sensor logs are matched with indicators' literals written as the readers write what sensors
// log (a domain in lower case, a hash in lower-case hex, IPv6 in RFC 5952 form): otherwise an
// indicator written "Evil.Example.COM" would never match a DNS log. STIX observed-data is matched
// as written (STIX 2.1 §9: strings compare exactly), as the evaluator does: its values are the
// producer's, not a reader's.
pattern::MatcherOptions MatchOptions(bool canonical) {
  pattern::MatcherOptions options;
  options.canonical_literals = canonical;
  return options;
}

int RunMatch(const MatchFlags& flags) {
  if (flags.collection.empty() == flags.indicators.empty()) {
    return Fail(InvalidArgument("give either --collection (indicators in the store) or --indicators FILE"));
  }
  if (flags.follow && flags.logs.size() != 1) {
    return Fail(InvalidArgument("--follow reads exactly one log"));
  }
  Result<telemetry::LogFormat> format = telemetry::ParseLogFormat(flags.format);
  if (!format.ok()) return Fail(format.status());
  Result<int64_t> window_seconds = ParseDurationSeconds(flags.window, "--window");
  if (!window_seconds.ok()) return Fail(window_seconds.status());
  const int64_t window = *window_seconds * 1'000'000;
  // Options that only shape Sightings mean nothing without them: say so rather than ignore them.
  if (!flags.sightings) {
    for (const char* option : {"--sighted-by", "--sightings-collection", "--window"}) {
      if (flags.given.count(option)) {
        return Fail(InvalidArgument(std::string(option) + " only applies with --sightings"));
      }
    }
  } else if (Status s = store::CheckCollectionName(flags.sightings_collection); !s.ok()) {
    return Fail(InvalidArgument("--sightings-collection: " + s.message()));
  }
  if (!flags.mapping.empty()) {
    if (Status s = telemetry::CheckMappingFile(flags.mapping); !s.ok()) return Fail(s);
  }
  if (!flags.sighted_by.empty() && !IsStixIdOf(flags.sighted_by, "identity")) {
    return Fail(InvalidArgument("--sighted-by '" + flags.sighted_by +
                                "' is not an identity--<uuid> id (the identity that saw it)"));
  }

  // Alerts written over a log, the indicators or the store would replace what is read.
  std::vector<std::string> inputs = flags.logs;
  inputs.insert(inputs.end(), {flags.indicators, flags.mapping, StoreFile(flags.store)});
  if (Status s = RefuseOutputThatIsAnInput(flags.output, inputs); !s.ok()) return Fail(s);

  std::unique_ptr<store::Store> st;
  if (!flags.collection.empty() || flags.sightings) {
    store::RegisterSqliteBackend();
    // Only storing sightings writes; matching a collection's indicators needs the store there.
    Result<std::unique_ptr<store::Store>> opened =
        flags.sightings ? store::Store::Open(flags.store) : OpenExistingStore(flags.store);
    if (!opened.ok()) return Fail(opened.status());
    st = std::move(*opened);
    if (flags.sightings) {
      if (Status s = CheckAuditLog(flags.store); !s.ok()) return Fail(s);
    }
  }
  auto load_start = std::chrono::steady_clock::now();
  Result<Loaded> loaded = flags.collection.empty() ? FromFile(flags.indicators)
                                                    : FromStore(*st, flags.collection);
  if (!loaded.ok()) {
    // A collection the store does not hold is 1 (ExitCodeForLookup); a file is input: 2.
    Fail(loaded.status());
    return flags.collection.empty() ? kExitUsage : ExitCodeForLookup(loaded.status());
  }
  pattern::CompileReport report;
  // Compiled for sensor logs, and for STIX observed-data when --format says so; a STIX log met
  // under --format auto gets its own matcher, compiled then (exact_matcher).
  const bool stix_only = *format == telemetry::LogFormat::kStix;
  Result<std::unique_ptr<pattern::PatternMatcher>> matcher = pattern::PatternMatcher::Compile(
      std::move(loaded->specs), MatchOptions(!stix_only), &report);
  if (!matcher.ok()) return Fail(matcher.status());
  std::unique_ptr<pattern::PatternMatcher> exact_matcher;
  auto matcher_for = [&](telemetry::LogFormat f) -> Result<pattern::PatternMatcher*> {
    if (f != telemetry::LogFormat::kStix || stix_only) return matcher->get();
    if (!exact_matcher) {
      // The same indicators as compiled above (a matcher keeps each spec as given, its pattern
      // text unrewritten), not read again: --indicators may be a pipe.
      std::vector<pattern::IndicatorSpec> specs;
      specs.reserve((*matcher)->size());
      for (size_t i = 0; i < (*matcher)->size(); ++i) specs.push_back((*matcher)->spec(i));
      pattern::CompileReport ignored;
      CTI_ASSIGN_OR_RETURN(exact_matcher, pattern::PatternMatcher::Compile(
                                              std::move(specs), MatchOptions(false), &ignored));
    }
    return exact_matcher.get();
  };
  double load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  fmt::print(stderr,
             "{} indicators compiled in {:.2f} s ({} exact, {} confirmed, {} scanned brackets; "
             "{} with several observations; {} revoked)\n",
             report.compiled, load_seconds, report.brackets_exact, report.brackets_confirmed,
             report.brackets_scanned, report.multi_observation, report.revoked);
  for (const auto& [why, n] : loaded->skipped) fmt::print(stderr, "  {} skipped: {}\n", n, why);
  if (!report.rejected.empty()) {
    fmt::print(stderr, "  {} rejected, first ones:\n", report.rejected.size());
    for (size_t i = 0; i < report.rejected.size() && i < 5; ++i) {
      fmt::print(stderr, "    {}: {}\n", report.rejected[i].first, report.rejected[i].second);
    }
  }

  // A file is written aside and replaces the previous one once complete; a stream (--follow, or
  // standard input, which may never end) writes it in place, since it is read as it grows.
  const bool streams =
      flags.follow || std::find(flags.logs.begin(), flags.logs.end(), "-") != flags.logs.end();
  OutputFile out;
  if (Status s = out.Open(flags.output, streams); !s.ok()) return Fail(s);
  alerts::SightingOptions sighting_options;
  sighting_options.window_micros = window;
  sighting_options.sighted_by = flags.sighted_by;
  if (flags.sightings) {
    Result<std::string> key = SightingIdKey(*st);
    if (!key.ok()) return Fail(key.status());
    sighting_options.id_key = std::move(*key);
  }
  alerts::SightingAggregator sightings(sighting_options);
  std::vector<std::string> sighting_texts;

  if (streams) {
    signal(SIGINT, StopMatching);
    signal(SIGTERM, StopMatching);
  }
  uint64_t total_records = 0, total_alerts = 0, unreadable_logs = 0;
  auto start = std::chrono::steady_clock::now();
  std::vector<pattern::PatternMatch> matches;
  telemetry::TelemetryRecord record;
  for (const std::string& log : flags.logs) {
    telemetry::ReaderOptions options;
    options.format = *format;
    options.mapping_file = flags.mapping;
    options.follow = flags.follow;
    options.stop = &g_stop;
    Result<std::unique_ptr<telemetry::TelemetryReader>> reader =
        telemetry::TelemetryReader::Open(log, options);
    // A log that cannot be opened or read to its end (a truncated .gz) is reported, and the
    // others are still matched; the alerts of what was read stand. The exit code says so.
    if (!reader.ok()) {
      fmt::print(stderr, "ctihub match: {}: {}\n", log, reader.status().ToString());
      ++unreadable_logs;
      continue;
    }
    uint64_t alerts_here = 0;
    Status read_error;
    pattern::PatternMatcher* log_matcher = nullptr;
    for (;;) {
      Result<bool> more = (*reader)->Next(&record);
      if (!more.ok()) {
        // A compressed stream cut short by the stop above is not a damaged input.
        if (!g_stop) read_error = more.status();
        break;
      }
      if (!*more) break;
      if (log_matcher == nullptr) {  // the format is known once the first record is read
        Result<pattern::PatternMatcher*> chosen = matcher_for((*reader)->format());
        if (!chosen.ok()) return Fail(chosen.status());
        log_matcher = *chosen;
      }
      matches.clear();
      Status s = log_matcher->Match(record.observation, &matches);
      if (!s.ok()) return Fail(s);
      for (pattern::PatternMatch& m : matches) {
        const pattern::IndicatorSpec& spec = log_matcher->spec(m.indicator);
        alerts::Alert a;
        a.indicator_id = spec.id;
        a.indicator_name = spec.name;
        a.markings = spec.markings;
        for (pattern::MatchedValue& v : m.values) a.values.push_back({std::move(v.path), std::move(v.value)});
        a.time = record.observation.last_observed;
        a.source = log;
        a.line = record.line;
        a.sensor = std::string(record.sensor);
        if (Status s = out.Write(alerts::AlertJson(a) + '\n'); !s.ok()) return Fail(s);
        if (flags.sightings) sightings.Add(a);
        ++alerts_here;
      }
      // A stream (--follow, or standard input, which may never end) hands on its alerts as they
      // come and stores the Sightings whose window has closed, so memory stays bounded by the
      // windows still open. A file is aggregated whole (exact for logs out of time order), unless
      // it holds so many open windows that memory would not be.
      const bool streaming = flags.follow || log == "-";
      if (!matches.empty() &&
          (streaming || sightings.open_windows() > kMaxOpenWindowsPerFile)) {
        if (streaming) {
          if (Status s = out.Flush(); !s.ok()) return Fail(s);
        }
        std::vector<std::string> closed = sightings.TakeClosed(record.observation.last_observed);
        if (!closed.empty() && st) {
          // Recorded before they are stored, as an import's batches are: nothing goes in
          // unaudited, whenever the command ends.
          if (Status s = AppendCliEvent(flags.store, StoringSightings(flags, closed.size()));
              !s.ok()) {
            return Fail(s);
          }
          Result<std::string> stored = StoreSightings(*st, flags.sightings_collection, closed);
          if (!stored.ok()) return Fail(stored.status());
        }
      }
    }
    const telemetry::ReaderCounters& c = (*reader)->counters();
    total_records += c.records;
    total_alerts += alerts_here;
    fmt::print(stderr, "{}: {} ({} mapped, {} without observables, {} bad), {}\n", log,
               Count(c.records, "record"), c.mapped, c.unmapped, c.bad,
               Count(alerts_here, "alert"));
    for (const std::string& e : c.first_errors) fmt::print(stderr, "  {}\n", e);
    if (c.bad > c.first_errors.size()) {
      fmt::print(stderr, "  … and {} more bad records\n", c.bad - c.first_errors.size());
    }
    if (!read_error.ok()) {
      fmt::print(stderr, "  error: read stopped after record {}: {}\n", c.records,
                 read_error.ToString());
      ++unreadable_logs;
    }
  }
  // When no log could be read at all, nothing is said about them: the previous alerts stay. What
  // was read of some logs is written, as it would be to standard output (the exit code says the
  // rest could not be read).
  if (unreadable_logs < flags.logs.size() || total_records > 0) {
    if (Status s = out.Finish(); !s.ok()) return Fail(s);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print(stderr, "{} matched against {} in {:.2f} s ({:.0f} records/s): {}\n",
             Count(total_records, "record"), Count(report.compiled, "indicator"), seconds,
             seconds > 0 ? total_records / seconds : 0.0, Count(total_alerts, "alert"));
  // Matches left out for the indicator's validity, said rather than silent: an older log (a
  // retro-hunt) against indicators imported today would otherwise look clean.
  pattern::PatternMatcher::OutsideValidity outside = (*matcher)->outside_validity();
  if (exact_matcher) {
    outside.not_yet_valid += exact_matcher->outside_validity().not_yet_valid;
    outside.expired += exact_matcher->outside_validity().expired;
  }
  if (outside.not_yet_valid > 0) {
    // --valid-from is the import's option for IOC lists; a STIX file carries its own valid_from.
    fmt::print(stderr,
               "  {} matches raised no alert: the record is older than the indicator's valid_from "
               "({})\n",
               outside.not_yet_valid,
               flags.collection.empty()
                   ? "to hunt in older logs, the indicators' valid_from must reach back to them"
                   : "to hunt in older logs, import IOC lists with an earlier --valid-from");
  }
  if (outside.expired > 0) {
    fmt::print(stderr, "  {} matches raised no alert: the indicator's valid_until had passed\n",
               outside.expired);
  }
  if (flags.sightings) {
    std::vector<std::string> all = sightings.TakeAll();
    if (!all.empty()) {
      if (Status s = AppendCliEvent(flags.store, StoringSightings(flags, all.size())); !s.ok()) {
        return Fail(s);
      }
    }
    Result<std::string> stored = StoreSightings(*st, flags.sightings_collection, all);
    if (!stored.ok()) return Fail(stored.status());
    fmt::print(stderr, "sightings in collection {}: {}\n", flags.sightings_collection, *stored);
    if (!all.empty()) {
      audit::AuditEvent e;
      e.kind = "import";
      e.subject = flags.sightings_collection;
      e.outcome = std::to_string(all.size()) + " sightings from ctihub match: " + *stored;
      RecordCliEvent(flags.store, std::move(e));
    }
  }
  if (g_signal != 0) {
    fmt::print(stderr, "stopped by {}: what was read is matched, and its sightings stored\n",
               g_signal == SIGINT ? "SIGINT" : "SIGTERM");
    return 128 + g_signal;  // as a process the signal ended (README, exit status)
  }
  if (unreadable_logs > 0) {
    fmt::print(stderr, "ctihub match: {} of {} logs could not be read to their end\n",
               unreadable_logs, flags.logs.size());
    return kExitUsage;
  }
  return kExitOk;
}

}  // namespace

void AddMatchCommand(CLI::App& app, int& exit_code) {
  static MatchFlags flags;
  CLI::App* cmd = app.add_subcommand(
      "match",
      "Match STIX indicators against sensor logs (Zeek, Suricata, STIX observed-data, any JSON "
      "lines with a mapping): one JSON alert line per matching record and indicator");
  cmd->add_option("logs", flags.logs, "Log files (.gz/.xz accepted; - for standard input)")
      ->required();
  cmd->add_option("--store", flags.store, "Store URI; default $CTIHUB_STORE or sqlite:ctihub.db");
  cmd->add_option("--collection", flags.collection, "Match the indicators of this collection");
  cmd->add_option("--indicators", flags.indicators,
                  "Or match the indicators in this STIX file (bundle, array or JSON lines; "
                  "'-' for standard input)")
      ->check(ExistingFileOrStdin());
  cmd->add_option("--format", flags.format,
                  "Log format: auto, zeek-json, zeek-tsv, suricata-eve, stix, json (with --mapping)");
  cmd->add_option("--mapping", flags.mapping, "TOML mapping for other JSON lines (docs/telemetry-mapping.md)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--follow", flags.follow, "Keep reading the log as it grows (Ctrl-C stops)");
  cmd->add_option("-o,--output", flags.output, "Alerts file (default: standard output)");
  cmd->add_flag("--sightings", flags.sightings,
                "Also store STIX Sightings (per indicator, sensor and --window) in the store");
  cmd->add_option("--sightings-collection", flags.sightings_collection,
                  "Collection for the Sightings (default: sightings)");
  cmd->add_option("--window", flags.window, "Sighting window: 90s, 15m, 1h (default), 1d, 1w");
  cmd->add_option("--sighted-by", flags.sighted_by,
                  "Identity id that saw it (where_sighted_refs, created_by_ref of the Sightings)");
  cmd->callback([cmd, &exit_code] {
    for (const char* option : {"--sighted-by", "--sightings-collection", "--window"}) {
      if (cmd->count(option) > 0) flags.given.insert(option);
    }
    exit_code = RunMatch(flags);
  });
}

}  // namespace ctihub::app
