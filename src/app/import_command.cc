#include "app/import_command.h"

#include <signal.h>
#include <simdjson.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>

#include "app/audit_commands.h"
#include "app/exit_codes.h"
#include "app/signals.h"
#include "app/wording.h"
#include "common/input_file.h"
#include "common/utf8.h"
#include "common/uuid.h"
#include "ingest/ioc_list.h"
#include "ingest/misp.h"
#include "ingest/stix_upgrade.h"
#include "policy/label.h"
#include "stix/canonical_json.h"
#include "stix/markings.h"
#include "stix/object.h"
#include "stix/type_specs.h"
#include "stix/validator.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace ctihub::app {
namespace {

using Clock = std::chrono::steady_clock;

// The signal (SIGINT, SIGTERM) that asked the import to stop, or 0. The handler only sets it: the
// importer then takes no more objects and commits nothing more, and RunImport prints the summary,
// records the audit entry and exits 128 + the signal, as a shell reports a process it ended.
volatile std::sig_atomic_t g_interrupt = 0;

void StopImport(int sig) { g_interrupt = sig; }

// A second Ctrl-C ends the process at once (CatchSignalsAtDefault).
void CatchInterrupts() { CatchSignalsAtDefault({SIGINT, SIGTERM}, StopImport); }

// Reads `input` until an interrupt, then ends as a file ends, so that the reader (and the
// validator's threads behind it) stop at the next object rather than read the rest of the file.
class InterruptibleInput final : public InputFile {
 public:
  // Ends at an interrupt, or once `store_error` is set: nothing read after it could be stored.
  InterruptibleInput(std::unique_ptr<InputFile> input, const Status* store_error)
      : input_(std::move(input)), store_error_(store_error) {
    compression_ = input_->compression();
    file_size_ = input_->file_size();
    path_ = input_->path();
  }
  uint64_t consumed() const override { return input_->consumed(); }

 private:
  Result<size_t> DoRead(char* buffer, size_t size) override {
    if (g_interrupt != 0 || !store_error_->ok()) return size_t{0};
    return input_->Read(buffer, size);
  }
  std::unique_ptr<InputFile> input_;
  const Status* store_error_;
};

// TLP names as users write them (POLICY.md §1.1) → the OASIS TLP 2.0 marking ids.
Result<std::string> MarkingId(std::string_view name) {
  if (name.substr(0, 20) == "marking-definition--") {
    if (Uuid::IsValid(name.substr(20))) return std::string(name);
    return InvalidArgument("--marking '" + std::string(name) +
                           "' is not a marking-definition--<uuid> id");
  }
  Result<policy::TlpLevel> level = policy::ParseTlp(name);
  if (!level.ok()) {
    return InvalidArgument("--marking '" + std::string(name) +
                           "' is not tlp:clear|green|amber|amber+strict|red or a "
                           "marking-definition id");
  }
  return std::string(stix::Tlp20Marking(*level).id);
}

// An object without spec_version outside a 2.0 bundle is upgraded only when nothing in it is
// STIX 2.1's own: a top-level SCO, a type 2.1 introduced, or a property 2.0 did not have. An
// invalid 2.1 object (a malware with malware_types but no spec_version) is refused as it is, not
// "repaired" by an upgrade that adds is_family and spec_version for it.
bool CouldBeStix20(simdjson::dom::parser& parser, const std::string& text) {
  simdjson::dom::object o;
  if (parser.parse(text).get(o) != simdjson::SUCCESS) return false;
  std::string_view type;
  if (o["type"].get(type) != simdjson::SUCCESS) return false;
  if (const stix::TypeSpec* spec = stix::FindTypeSpec(type);
      spec && spec->category == stix::ObjectCategory::kSco) {
    return false;
  }
  for (std::string_view new_in_21 :
       {"grouping", "infrastructure", "location", "malware-analysis", "note", "opinion",
        "language-content", "extension-definition"}) {
    if (type == new_in_21) return false;
  }
  for (std::string_view key :
       {"indicator_types", "malware_types", "tool_types", "threat_actor_types", "report_types",
        "pattern_type", "is_family", "confidence", "lang", "extensions"}) {
    simdjson::dom::element e;
    if (o[key].get(e) == simdjson::SUCCESS) return false;
  }
  return true;
}

enum class InputKind { kStix, kMisp, kIoc };

std::string_view KindName(InputKind k) {
  return k == InputKind::kStix ? "stix" : k == InputKind::kMisp ? "misp" : "ioc";
}

// Sniffs the decompressed head of the input: JSON objects, and arrays of objects (or empty), are
// STIX unless they look like a MISP event; anything else is an IOC list — including a list whose
// first line is a bracketed IPv6 address ("[2001:db8::1]:443") or a defanged value ("[.]evil").
Result<InputKind> Detect(InputFile& input, std::string_view forced) {
  if (forced == "stix") return InputKind::kStix;
  if (forced == "misp") return InputKind::kMisp;
  if (forced == "ioc" || forced == "csv") return InputKind::kIoc;
  CTI_ASSIGN_OR_RETURN(std::string_view head, input.Peek(64 * 1024));
  auto skip_space = [&head](size_t i) {
    while (i < head.size() &&
           (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t')) {
      ++i;
    }
    return i;
  };
  size_t i = skip_space(head.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0);
  bool json = i < head.size() && head[i] == '{';
  if (i < head.size() && head[i] == '[') {
    const size_t next = skip_space(i + 1);
    json = next == head.size() || head[next] == '{' || head[next] == '[' || head[next] == '"' ||
           head[next] == ']';
  }
  if (json) return ingest::LooksLikeMispEvent(head) ? InputKind::kMisp : InputKind::kStix;
  return InputKind::kIoc;
}

struct Rejection {
  std::string object;  // id, or position when there is none
  std::string reason;
};

struct FileOutcome {
  std::string path;
  InputKind kind = InputKind::kStix;
  uint64_t read = 0;  // objects read or made by a converter
  uint64_t added = 0, new_versions = 0, duplicates = 0, rejected = 0, upgraded = 0;
  std::vector<Rejection> rejections;  // the first kMaxListed
  ingest::ConversionStats stats;
  std::string error;  // the file could not be imported at all
  bool io_error = false;
  double seconds = 0;
  static constexpr size_t kMaxListed = 20;

  void Reject(std::string object, std::string reason) {
    ++rejected;
    if (rejections.size() < kMaxListed) {
      rejections.push_back({std::move(object), std::move(reason)});
    }
  }
};

// How a rejection names an object: by its id when it has one (as `ctihub validate` does), and
// where it stood in the input.
std::string NameOf(std::string_view text, const std::string& where) {
  simdjson::dom::parser parser;  // only for rejected objects: rare enough for a parser each
  simdjson::dom::element e;
  std::string_view id;
  if (parser.parse(text.data(), text.size()).get(e) != simdjson::SUCCESS ||
      e["id"].get(id) != simdjson::SUCCESS || id.empty()) {
    return where;
  }
  return std::string(id.substr(0, 200)) + " (" + where + ")";
}

// Progress on stderr: a bar on a terminal, or one line per durable commit (for scripts and the
// crash tests, which treat a printed commit as acknowledged).
class Progress {
 public:
  Progress(std::string_view mode) {
    bool tty = ::isatty(2);
    bar_ = mode == "bar" || (mode == "auto" && tty);
    lines_ = mode == "lines";
  }
  void Committed(uint64_t total, const InputFile* input) {
    committed_ = total;
    if (lines_) {
      std::fprintf(stderr, "committed %llu\n", static_cast<unsigned long long>(total));
      std::fflush(stderr);
    }
    Draw(input, true);
  }
  void Read(uint64_t read, const InputFile* input) {
    read_ = read;
    Draw(input, false);
  }
  void Done() {
    if (bar_ && drawn_) std::fputs("\r\033[K", stderr);
  }

 private:
  void Draw(const InputFile* input, bool force) {
    if (!bar_) return;
    auto now = Clock::now();
    if (!force && now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    drawn_ = true;
    double elapsed = std::chrono::duration<double>(now - start_).count();
    double rate = elapsed > 0 ? static_cast<double>(read_) / elapsed : 0;
    std::string bar;
    if (input && input->file_size() > 0) {
      double fraction = std::min(
          1.0, static_cast<double>(input->consumed()) / static_cast<double>(input->file_size()));
      int filled = static_cast<int>(fraction * 30);
      double eta = fraction > 0 ? elapsed / fraction - elapsed : 0;
      bar = fmt::format("[{}{}] {:3.0f}%  ETA {:02d}:{:02d}  ", std::string(filled, '#'),
                        std::string(30 - filled, '.'), fraction * 100, static_cast<int>(eta) / 60,
                        static_cast<int>(eta) % 60);
    }
    std::fprintf(stderr, "\r\033[K%s%llu read, %llu committed, %.0f objects/s", bar.c_str(),
                 static_cast<unsigned long long>(read_),
                 static_cast<unsigned long long>(committed_), rate);
    std::fflush(stderr);
  }
  bool bar_ = false, lines_ = false, drawn_ = false;
  uint64_t read_ = 0, committed_ = 0;
  Clock::time_point start_ = Clock::now(), last_{};
};

class Importer {
 public:
  // `collection` without an id is made when the first batch is written: an import that writes
  // nothing (a missing file, every object rejected) leaves no empty collection behind.
  Importer(const ImportFlags& flags, store::Store& store, store::Collection collection,
           ingest::ProvenanceOptions provenance, ingest::IocOptions ioc)
      : flags_(flags),
        store_(store),
        collection_(std::move(collection)),
        progress_(flags.progress),
        provenance_(std::move(provenance)),
        ioc_(std::move(ioc)) {
    stix::ValidatorOptions options;
    options.strict = flags.strict;
    options.threads = flags.threads;
    validator_ = std::make_unique<stix::Validator>(options);
    options.threads = 1;
    single_ = std::make_unique<stix::Validator>(options);
    // A batch grows to batch_size objects and is then emptied: reserving it once spares the
    // moves of every object held each time the vector would grow (~3% of an import's profile).
    if (!flags.all_or_nothing) {
      batch_.reserve(flags.batch_size);
      batch_owner_.reserve(flags.batch_size);
    }
  }

  // Imports one file; its outcome stays in outcomes() (stable: held objects point at it).
  void Import(const std::string& path);
  // With --all-or-nothing: writes everything held back in one batch that the store commits
  // only if it rejects nothing either. Sets nothing_written().
  Status Finish();
  const std::deque<FileOutcome>& outcomes() const { return outcomes_; }
  bool nothing_written() const { return nothing_written_; }
  const store::Collection& collection() const { return collection_; }
  // Objects committed so far (new objects and new versions).
  uint64_t committed() const { return committed_; }
  // Called before each batch commits, with its size; an error keeps the batch out and stops the
  // import as a store error does.
  void set_before_commit(std::function<Status(size_t objects)> before_commit) {
    before_commit_ = std::move(before_commit);
  }

 private:
  void ImportStix(InputFile* input, std::unique_ptr<InputFile> owned, FileOutcome& out);
  void ImportConverted(InputFile& input, FileOutcome& out);
  // Queues a valid object for the store.
  void Accept(std::string text, FileOutcome& out, bool upgraded);
  // An indicator an IOC list made, as a version of what this import already queued of it or
  // else of what the store holds (or empty when it repeats that). Sets *id to its id.
  Result<std::string> AsNextVersion(std::string json, std::string* id);
  void Queue(stix::ObjectVersion v, FileOutcome& out);
  // The first errors of one object checked on its own, or nothing when it is valid. With
  // `derived_id` (an object a converter made) the id's UUID version is not held against it even
  // under --strict: the converters derive UUIDv5 ids on purpose (ioc_list.h, misp.h).
  std::optional<std::string> ErrorsOf(const std::string& text, bool derived_id = false);
  Status Flush(FileOutcome& out);
  // A converter's observable the store refused because it holds that SCO under other markings
  // only (an SCO is stored once: the same value in two MISP events of different TLP, an event
  // re-tagged): kept as stored, counted as a duplicate and noted, not a rejection.
  bool KeptUnderEarlierMarkings(const stix::ObjectVersion& v, FileOutcome& owner);

  const ImportFlags& flags_;
  store::Store& store_;
  store::Collection collection_;
  Progress progress_;
  ingest::ProvenanceOptions provenance_;
  ingest::IocOptions ioc_;
  std::unique_ptr<stix::Validator> validator_;  // streams a file (may use threads)
  std::unique_ptr<stix::Validator> single_;     // one object at a time
  simdjson::dom::parser parser_;
  std::vector<stix::ObjectVersion> batch_;
  std::vector<FileOutcome*> batch_owner_;  // which file each held object came from
  std::vector<std::string> batch_where_;   // and where in it ("line 12", a JSON pointer, "#3")
  // Whether a converter made it (a MISP observable, an upgraded observed-data's SCO) rather
  // than the input holding it as it is.
  std::vector<char> batch_derived_;
  bool deriving_ = false;                  // what Queue records in batch_derived_
  std::string where_;                      // where the object being read stands
  uint64_t committed_ = 0;
  const InputFile* current_input_ = nullptr;
  Status store_error_;
  std::deque<FileOutcome> outcomes_;
  bool nothing_written_ = false;
  std::function<Status(size_t)> before_commit_;
  // IOC list indicators queued since the last commit, by id: where in batch_ the latest version
  // of each waits that the store does not hold yet (under --all-or-nothing, until the end), so
  // the same value in a later file keeps its `created` and, unchanged, is a duplicate.
  std::unordered_map<std::string, size_t> queued_indicators_;
};

std::optional<std::string> Importer::ErrorsOf(const std::string& text, bool derived_id) {
  stix::RawObject raw;
  raw.text = text;
  raw.text.reserve(raw.text.size() + simdjson::SIMDJSON_PADDING);
  std::string reasons;
  int shown = 0;
  single_->ValidateObject(raw, [&](const stix::Finding& f) {
    if (f.severity != stix::Severity::kError || shown >= 3) return;
    if (derived_id && f.rule == "id-uuid-version") return;
    if (!reasons.empty()) reasons += "; ";
    reasons += (f.pointer.empty() ? "" : f.pointer + " ") + "[" + f.rule + "] " + f.message;
    ++shown;
  });
  if (reasons.empty()) return std::nullopt;
  return reasons;
}

// True when the object's external_references are the one reference an IOC list conversion
// makes: {description: "IOC list", source_name: <the list's file name>} and nothing else.
bool IsOnlyListReference(const boost::json::object& o) {
  const boost::json::value* refs = o.if_contains("external_references");
  if (refs == nullptr || !refs->is_array() || refs->as_array().size() != 1) return false;
  const boost::json::value& ref = refs->as_array().front();
  if (!ref.is_object() || ref.as_object().size() != 2) return false;
  const boost::json::value* description = ref.as_object().if_contains("description");
  return ref.as_object().contains("source_name") && description != nullptr &&
         description->is_string() &&
         description->as_string() == ingest::kIocListReferenceDescription;
}

// A list imported again (tomorrow's copy of a daily feed) makes the same indicator ids, stamped
// with the time of this import. Each keeps what the store's latest version says of it: `created`,
// which STIX never lets a new version change, and — when the list gave no first-seen date, so
// valid_from is this import's time — valid_from, since when the hub has known the value, and the
// list's reference (external_references), where it first saw the value. What is then unchanged (but
// `modified`) repeats the stored version and is counted a duplicate; what changed (a label, a
// confidence, a later valid_until under --valid-for) is its next version.
Result<std::string> Importer::AsNextVersion(std::string json, std::string* id) {
  boost::system::error_code ec;
  boost::json::value made = boost::json::parse(json, ec);
  if (ec || !made.is_object() || !made.as_object().contains("id") ||
      !made.as_object().at("id").is_string()) {
    return json;
  }
  boost::json::object& now = made.as_object();
  *id = std::string(now.at("id").as_string());
  std::string latest;
  const auto queued = queued_indicators_.find(*id);
  if (queued != queued_indicators_.end()) {
    latest = batch_[queued->second].text;
  } else {
    if (collection_.id.empty()) return json;  // a collection still to be made holds nothing
    CTI_ASSIGN_OR_RETURN(std::vector<store::StoredObject> stored,
                         store_.Get(collection_.id, *id, store::VersionMatch::Last()));
    if (stored.empty()) return json;
    latest = std::move(stored.front().text);
  }
  boost::json::value kept = boost::json::parse(latest, ec);
  if (ec || !kept.is_object()) return json;
  boost::json::object& before = kept.as_object();
  auto text = [](const boost::json::object& o, std::string_view key) -> std::string {
    const boost::json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  const bool valid_from_is_now = text(now, "valid_from") == text(now, "created");
  if (before.contains("created")) now["created"] = before.at("created");
  // The list's own reference says where the hub first saw the value, as `created` says when: a
  // dated or renamed copy of the same list changes nothing about the indicator.
  if (IsOnlyListReference(now)) {
    if (const boost::json::value* refs = before.if_contains("external_references")) {
      now["external_references"] = *refs;
    } else {
      now.erase("external_references");
    }
  }
  if (valid_from_is_now && before.contains("valid_from")) {
    now["valid_from"] = before.at("valid_from");
  }
  boost::json::object a = now, b = before;
  a.erase("modified");
  b.erase("modified");
  if (a == b) return std::string();
  // A change to what this import queued moments ago (the same value in two small files) may
  // share its millisecond: the next version must be later, or the store sees a clash.
  if (queued != queued_indicators_.end()) {
    Result<Timestamp> mine = Timestamp::Parse(text(now, "modified"));
    Result<Timestamp> theirs = Timestamp::Parse(text(before, "modified"));
    if (mine.ok() && theirs.ok() && mine->micros() <= theirs->micros()) {
      now["modified"] = Timestamp(theirs->micros() + 1000).ToMillisString();
    }
  }
  return boost::json::serialize(made);
}

void Importer::Accept(std::string text, FileOutcome& out, bool upgraded) {
  text.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  Result<stix::ObjectVersion> v = stix::ExtractObjectVersion(parser_, std::move(text));
  if (!v.ok()) {
    out.Reject("object " + std::to_string(out.read), v.status().message());
    return;
  }
  if (upgraded) ++out.upgraded;
  Queue(std::move(v).value(), out);
}

void Importer::Queue(stix::ObjectVersion v, FileOutcome& out) {
  batch_.push_back(std::move(v));
  batch_owner_.push_back(&out);
  batch_where_.push_back(where_);
  batch_derived_.push_back(deriving_);
  if (!flags_.all_or_nothing && batch_.size() >= flags_.batch_size) {
    Status s = Flush(out);
    if (!s.ok() && store_error_.ok()) store_error_ = s;
  }
}

bool Importer::KeptUnderEarlierMarkings(const stix::ObjectVersion& v, FileOutcome& owner) {
  if (v.versioned() || v.type == "marking-definition") return false;
  Result<std::vector<store::StoredObject>> stored =
      store_.Get(collection_.id, v.id, store::VersionMatch::All());
  if (!stored.ok() || stored->size() != 1) return false;
  boost::system::error_code ec_stored, ec_new;
  boost::json::value before = boost::json::parse(stored->front().text, ec_stored);
  boost::json::value now = boost::json::parse(v.text, ec_new);
  if (ec_stored || ec_new || !before.is_object() || !now.is_object()) return false;
  before.as_object().erase("object_marking_refs");
  now.as_object().erase("object_marking_refs");
  if (before != now) return false;
  ++owner.duplicates;
  owner.stats.Add("observables_kept_under_earlier_markings");
  owner.stats.Note(v.id +
                   " is stored already under other markings, kept as stored: an "
                   "observable (SCO) is stored once, so it keeps the markings it was first "
                   "stored with; the objects that name it carry this file's");
  return true;
}

Status Importer::Flush(FileOutcome& /*current*/) {
  if (g_interrupt != 0) {  // an interrupted import commits nothing more: what it holds is dropped
    batch_.clear();
    batch_owner_.clear();
    batch_where_.clear();
    batch_derived_.clear();
    queued_indicators_.clear();
    return Status::Ok();
  }
  if (batch_.empty()) return Status::Ok();
  if (before_commit_) CTI_RETURN_IF_ERROR(before_commit_(batch_.size()));
  if (collection_.id.empty()) {
    CTI_ASSIGN_OR_RETURN(collection_, store_.EnsureCollection(collection_.alias));
  }
  CTI_ASSIGN_OR_RETURN(store::PutResult r,
                       store_.Put(collection_.id, batch_,
                                  flags_.all_or_nothing ? store::PutMode::kAllOrNothing
                                                        : store::PutMode::kBestEffort));
  for (size_t i = 0; i < batch_.size(); ++i) {
    FileOutcome& owner = *batch_owner_[i];
    switch (r.outcomes[i]) {
      case store::PutOutcome::kAdded:
        ++owner.added;
        break;
      case store::PutOutcome::kNewVersion:
        ++owner.new_versions;
        break;
      case store::PutOutcome::kDuplicate:
        ++owner.duplicates;
        break;
      case store::PutOutcome::kRejected:
        // Under --all-or-nothing the store has written nothing of the batch: still a refusal.
        if (batch_derived_[i] && !flags_.all_or_nothing &&
            KeptUnderEarlierMarkings(batch_[i], owner)) {
          break;
        }
        owner.Reject(batch_where_[i].empty() ? batch_[i].id
                     : batch_where_[i][0] == '#'
                         ? batch_[i].id + " (converted object " + batch_where_[i].substr(1) + ")"
                         : batch_[i].id + " (object at " + batch_where_[i] + ")",
                     r.reasons[i]);
        break;
    }
  }
  if (!r.committed) {
    // The store found conflicts and wrote nothing: none of the others went in either.
    for (FileOutcome* owner : batch_owner_) {
      owner->added = owner->new_versions = owner->duplicates = 0;
    }
    nothing_written_ = true;
  } else {
    committed_ += r.added + r.new_versions;
    progress_.Committed(committed_, current_input_);
  }
  batch_.clear();
  batch_owner_.clear();
  batch_where_.clear();
  batch_derived_.clear();
  queued_indicators_.clear();
  return Status::Ok();
}

void Importer::ImportStix(InputFile* input, std::unique_ptr<InputFile> owned, FileOutcome& out) {
  auto reader = stix::ObjectReader::FromInput(std::move(owned));
  uint64_t bundle_errors = 0;
  // The errors found in the object being validated, in the context of its file (duplicate-id
  // is only found there): said when checking the object alone finds none.
  std::vector<stix::Finding> object_errors;
  auto sink = [&](const stix::Finding& f) {
    // The input was cut short on purpose (InterruptibleInput): an interrupt, or a store error.
    if (g_interrupt != 0 || !store_error_.ok()) return;
    if (!f.object_id.empty() && f.severity == stix::Severity::kError && object_errors.size() < 3) {
      object_errors.push_back(f);
    }
    // A bad JSON line was skipped and the lines after it are read: it is one rejected object.
    if (f.rule == "json-line") {
      ++out.read;
      out.Reject("line " + std::to_string(f.line), f.message);
      return;
    }
    // Object findings are judged per object below; what is left are problems of the file itself
    // (JSON syntax between objects, bundle properties), which stop or qualify the import.
    if (f.object_id.empty() && f.severity == stix::Severity::kError &&
        (f.rule == "json-syntax" || f.rule == "io-error" || f.rule == "object-too-large" ||
         f.rule == "bundle-objects-twice")) {
      ++bundle_errors;
      if (f.rule == "io-error") {
        // A damaged compressed file can decode to garbage before its check fails: the JSON
        // error met first is a symptom, the decoding error the cause.
        if (!out.error.empty() && !out.io_error &&
            input->compression() != InputFile::Compression::kNone) {
          out.error = f.message + " (the JSON errors before it are the damaged data)";
        } else if (out.error.empty()) {
          out.error = f.message;
        }
        out.io_error = true;
      } else if (out.error.empty()) {
        out.error = f.message;
      }
    }
  };
  auto on_object = [&](stix::RawObject& raw, const stix::ObjectVerdict& verdict) {
    std::string in_file;
    for (const stix::Finding& f : object_errors) {
      // Pointers within the object, as ErrorsOf gives them (the object's own is said already).
      std::string_view within = f.pointer;
      if (within.starts_with(raw.pointer)) within.remove_prefix(raw.pointer.size());
      if (!in_file.empty()) in_file += "; ";
      in_file +=
          (within.empty() ? "" : std::string(within) + " ") + "[" + f.rule + "] " + f.message;
    }
    object_errors.clear();
    // Read ahead before the interrupt or the store error: not taken.
    if (g_interrupt != 0 || !store_error_.ok()) return;
    ++out.read;
    progress_.Read(out.read, input);
    // Where the store's own rejections (a changed text under a version it holds) point to.
    // Kept short (no allocation for most): "line 12" or the object's JSON pointer.
    where_ = raw.pointer.empty() ? "line " + std::to_string(raw.line) : raw.pointer;
    // STIX 2.0: a bundle declared 2.0, or an object without spec_version that fails as 2.1.
    bool try_upgrade = verdict.stix20;
    if (!try_upgrade && verdict.errors > 0 && !verdict.parse_failed &&
        raw.text.find("\"spec_version\"") == std::string::npos) {
      try_upgrade = CouldBeStix20(parser_, raw.text);
    }
    if (verdict.errors == 0 && !verdict.stix20) {
      if (verdict.version) {  // fields already extracted while validating
        verdict.version->text = std::move(raw.text);
        Queue(std::move(*verdict.version), out);
      } else {
        Accept(std::move(raw.text), out, false);
      }
      return;
    }
    std::string id = NameOf(raw.text, "object at " + where_);
    if (try_upgrade) {
      // Counted only for objects that go in: the summary's changes are what was stored.
      ingest::ConversionStats changes;
      std::vector<std::string> observables;  // an observed-data's `objects`, as SCOs
      Result<std::string> upgraded = ingest::UpgradeStix20Object(raw.text, &changes, &observables);
      if (upgraded.ok()) {
        std::optional<std::string> reasons = ErrorsOf(*upgraded);
        // Its observables go in with it or not at all. Their ids are derived on purpose.
        for (size_t i = 0; !reasons && i < observables.size(); ++i) {
          if (std::optional<std::string> r = ErrorsOf(observables[i], /*derived_id=*/true)) {
            reasons =
                "its observable " + NameOf(observables[i], "#" + std::to_string(i)) + ": " + *r;
          }
        }
        if (!reasons) {
          for (const auto& [name, n] : changes.counters) out.stats.Add(name, n);
          deriving_ = true;
          for (std::string& sco : observables) Accept(std::move(sco), out, false);
          deriving_ = false;
          Accept(std::move(upgraded).value(), out, true);
        } else {
          out.Reject(id, "after upgrading from STIX 2.0: " + *reasons);
        }
        return;
      }
      // A 2.1 object inside a bundle declared 2.0 (the upgrade refuses it): judged as 2.1.
      if (verdict.stix20 && !ErrorsOf(raw.text)) {
        Accept(std::move(raw.text), out, false);
        return;
      }
      // A 2.0 object the upgrade found wrong (an observable referring to no other): that says
      // most.
      if (verdict.stix20 && !verdict.parse_failed &&
          upgraded.status().code() == StatusCode::kInvalidArgument) {
        out.Reject(id, "upgrading from STIX 2.0: " + upgraded.status().message());
        return;
      }
    }
    // The validator's own words, with its rule (utf8, json-depth, json-number …), as
    // `ctihub validate` gives them.
    out.Reject(id, ErrorsOf(raw.text).value_or(!in_file.empty()       ? in_file
                                               : verdict.parse_failed ? "not well-formed JSON"
                                                                      : "invalid"));
  };
  current_input_ = input;
  validator_->ValidateReader(*reader, out.path, sink, on_object);
  current_input_ = nullptr;
  if (bundle_errors > 0 && out.error.empty()) out.error = "the file is not well-formed";
}

void Importer::ImportConverted(InputFile& input, FileOutcome& out) {
  Result<std::string> text = input.ReadAll();
  if (!text.ok()) {
    out.error = text.status().message();
    out.io_error = true;
    return;
  }
  auto sink = [&](std::string json) -> Status {
    if (g_interrupt != 0) return FailedPrecondition("interrupted");  // stops the conversion
    ++out.read;
    progress_.Read(out.read, &input);
    std::string id;
    if (out.kind == InputKind::kIoc) {
      Result<std::string> next = AsNextVersion(std::move(json), &id);
      if (!next.ok()) return next.status();
      if (next->empty()) {
        ++out.duplicates;
        return store_error_;
      }
      json = std::move(*next);
    }
    std::optional<std::string> reasons = ErrorsOf(json, /*derived_id=*/true);
    where_ = "#" + std::to_string(out.read);
    if (reasons) {
      out.Reject(NameOf(json, "converted object " + std::to_string(out.read)), *reasons);
    } else {
      const size_t position = batch_.size();
      deriving_ = out.kind == InputKind::kMisp;
      Accept(std::move(json), out, false);
      deriving_ = false;
      // Remembered while it waits in the batch (a flush empties both).
      if (!id.empty() && batch_.size() == position + 1) queued_indicators_[id] = position;
    }
    return store_error_;
  };
  Status s;
  if (out.kind == InputKind::kMisp) {
    ingest::MispOptions options;
    options.provenance = provenance_;
    s = ingest::ConvertMispEvent(*text, options, sink, &out.stats);
  } else {
    ingest::IocOptions options = ioc_;
    // The file name only: a local path would leak into data shared with partners.
    options.source_name =
        out.path == "-" ? "stdin" : std::filesystem::path(out.path).filename().string();
    // A value meant as an IOC but invalid is a rejected object: counted in the exit code, and
    // under --all-or-nothing it stops the file.
    options.on_invalid = [&out](uint64_t line, std::string_view value, std::string_view reason) {
      ++out.read;
      out.Reject("line " + std::to_string(line) + " '" + std::string(value) + "'",
                 reason == "invalid_ip"      ? "not a valid IP address or CIDR block"
                 : reason == "type_mismatch" ? "not of the type --type asks for"
                                             : "longer than any IOC of its type");
    };
    s = ingest::ConvertIocList(*text, options, sink, &out.stats);
  }
  if (!s.ok() && out.error.empty() && g_interrupt == 0) out.error = s.message();
}

void Importer::Import(const std::string& path) {
  FileOutcome& out = outcomes_.emplace_back();
  out.path = path;
  auto start = Clock::now();
  Result<std::unique_ptr<InputFile>> input = InputFile::Open(path);
  if (!input.ok()) {
    out.error = input.status().message();
    out.io_error = true;
    return;
  }
  InputFile* raw_input = input->get();
  Result<InputKind> kind = Detect(*raw_input, flags_.input_format);
  if (!kind.ok()) {
    out.error = kind.status().message();
    out.io_error = true;
    return;
  }
  out.kind = *kind;
  // An empty download (a feed that came down as nothing) must not pass as a list of no values.
  if (Result<std::string_view> head = raw_input->Peek(64 * 1024);
      head.ok() && head->size() < 64 * 1024 &&
      (head->substr(0, 3) == "\xEF\xBB\xBF" ? head->substr(3) : *head)
              .find_first_not_of(" \t\r\n") == std::string_view::npos) {
    out.error = head->empty() ? "the file is empty: nothing to import"
                              : "the file holds only white space: nothing to import";
    return;
  }
  if (out.kind == InputKind::kStix) {
    auto interruptible =
        std::make_unique<InterruptibleInput>(std::move(input).value(), &store_error_);
    InputFile* reading = interruptible.get();
    ImportStix(reading, std::move(interruptible), out);
  } else {
    ImportConverted(*raw_input, out);
  }
  if (!flags_.all_or_nothing && store_error_.ok()) {
    Status s = Flush(out);
    if (!s.ok()) store_error_ = s;
  }
  if (!store_error_.ok() && out.error.empty()) {
    out.error = "store: " + store_error_.ToString() + "; the import stopped there with " +
                std::to_string(committed_) +
                " objects committed: those read after the last commit, and the rest of the "
                "input, were not imported";
  }
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
}

Status Importer::Finish() {
  progress_.Done();
  if (!store_error_.ok()) return store_error_;
  if (!flags_.all_or_nothing) return Status::Ok();
  uint64_t problems = 0;
  for (const FileOutcome& o : outcomes_) problems += o.rejected + (o.error.empty() ? 0 : 1);
  if (problems > 0 || outcomes_.empty() || g_interrupt != 0) {
    nothing_written_ = problems > 0;
    batch_.clear();
    batch_owner_.clear();
    batch_where_.clear();
    batch_derived_.clear();
    // The upgrade counts say what changed in objects stored: none were.
    for (FileOutcome& o : outcomes_) {
      o.upgraded = 0;
      std::erase_if(o.stats.counters,
                    [](const auto& counter) { return counter.first.starts_with("upgrade."); });
    }
    return Status::Ok();
  }
  return Flush(outcomes_.back());
}

const char* SignalName(int sig) { return sig == SIGINT ? "SIGINT" : "SIGTERM"; }

void PrintText(const std::deque<FileOutcome>& outcomes, const ImportFlags& flags,
               bool nothing_written, uint64_t committed) {
  for (const FileOutcome& o : outcomes) {
    fmt::print("{} ({}): {} read — {} new, {}, {}, {} rejected", WithVisibleControls(o.path),
               KindName(o.kind), Count(o.read, "object"), o.added,
               Count(o.new_versions, "new version"), Count(o.duplicates, "duplicate"), o.rejected);
    if (o.upgraded) fmt::print(", {} upgraded from STIX 2.0", o.upgraded);
    fmt::print(" ({:.2f} s, {:.0f} objects/s)\n", o.seconds,
               o.seconds > 0 ? static_cast<double>(o.read) / o.seconds : 0.0);
    if (!o.error.empty()) fmt::print("  error: {}\n", o.error);
    for (const auto& [name, count] : o.stats.counters) fmt::print("  {}: {}\n", name, count);
    for (const std::string& note : o.stats.notes) fmt::print("  note: {}\n", note);
    if (o.stats.more_notes > 0) fmt::print("  … and {} more notes\n", o.stats.more_notes);
    for (const Rejection& r : o.rejections) fmt::print("  rejected {}: {}\n", r.object, r.reason);
    if (o.rejected > o.rejections.size()) {
      fmt::print("  … and {} more rejected\n", o.rejected - o.rejections.size());
    }
  }
  if (flags.all_or_nothing && nothing_written) {
    fmt::print("--all-or-nothing: nothing was imported because of the rejections above\n");
  }
  if (g_interrupt != 0) {
    fmt::print(
        "interrupted by {}: {} committed; the objects read after the last commit, "
        "and the rest of the input, were not imported\n",
        SignalName(g_interrupt), Count(committed, "object"));
  }
}

void PrintJson(const std::deque<FileOutcome>& outcomes, bool nothing_written, uint64_t committed) {
  stix::JsonWriter w;
  w.BeginObject().Key("files").BeginArray();
  for (const FileOutcome& o : outcomes) {
    w.BeginObject();
    w.Key("path").String(o.path);
    w.Key("format").String(KindName(o.kind));
    w.Key("read").Uint(o.read);
    w.Key("new").Uint(o.added);
    w.Key("new_versions").Uint(o.new_versions);
    w.Key("duplicates").Uint(o.duplicates);
    w.Key("rejected").Uint(o.rejected);
    w.Key("upgraded").Uint(o.upgraded);
    w.Key("seconds").Double(o.seconds);
    if (!o.error.empty()) w.Key("error").String(o.error);
    w.Key("changes").BeginObject();
    for (const auto& [name, count] : o.stats.counters) w.Key(name).Uint(count);
    w.EndObject();
    w.Key("notes").BeginArray();
    for (const std::string& note : o.stats.notes) w.String(note);
    w.EndArray();
    w.Key("more_notes").Uint(o.stats.more_notes);
    w.Key("rejections").BeginArray();
    for (const Rejection& r : o.rejections) {
      w.BeginObject().Key("object").String(r.object).Key("reason").String(r.reason).EndObject();
    }
    w.EndArray();
    // The rejections listed are the first kMaxListed; `rejected` counts them all.
    w.Key("rejections_not_listed").Uint(o.rejected - o.rejections.size());
    w.EndObject();
  }
  w.EndArray();
  w.Key("nothing_written").Bool(nothing_written);
  w.Key("committed").Uint(committed);
  if (g_interrupt != 0) w.Key("interrupted").String(SignalName(g_interrupt));
  w.EndObject();
  fmt::print("{}\n", w.str());
}

// An import holds a batch of objects (~100k texts and their fields) and SQLite's page cache, and
// frees the batch after every commit for the next one to take. With glibc's defaults that costs:
//  - the freed top of the heap going back to the kernel, to be faulted in again;
//  - a page fault for every 4 KiB page of it (70k–80k per import; several µs each under
//    virtualisation) and as many TLB entries.
// So, for this process only, the heap is kept and marked for transparent huge pages (THP is
// "madvise" on Debian), as GLIBC_TUNABLES=glibc.malloc.hugetlb=1 would: page faults 70k → 8k on
// 300k objects, CPU time −5% (1M objects) to −15% (300k) in same-minute medians on this VM.
// Memory never touched stays unused; peak RSS measured the same (+0.5%).
void PrepareHeapForBatches() {
#ifdef __GLIBC__
  constexpr size_t kBlock = 16 << 20;  // under M_MMAP_THRESHOLD: carved from the heap
  constexpr size_t kBlocks = 24;       // 384 MiB of address space, what a 100k batch touches
  constexpr uintptr_t kHuge = 2 << 20;
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  std::vector<void*> blocks;
  for (size_t i = 0; i < kBlocks; ++i) {
    if (void* p = std::malloc(kBlock)) blocks.push_back(p);
  }
  // Runs of adjacent blocks (the heap grows upwards), marked by their whole 2 MiB pages only:
  // never a page that is not the heap's.
  std::sort(blocks.begin(), blocks.end());
  for (size_t i = 0; i < blocks.size();) {
    uintptr_t begin = reinterpret_cast<uintptr_t>(blocks[i]);
    uintptr_t end = begin + kBlock;
    for (++i; i < blocks.size() && reinterpret_cast<uintptr_t>(blocks[i]) - end < 64; ++i) {
      end = reinterpret_cast<uintptr_t>(blocks[i]) + kBlock;
    }
    begin = (begin + kHuge - 1) & ~(kHuge - 1);
    end &= ~(kHuge - 1);
    if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
  }
  for (void* p : blocks) std::free(p);
#endif
}

}  // namespace

std::string DefaultStoreUri() {
  const char* env = std::getenv("CTIHUB_STORE");
  return env && *env ? env : "sqlite:ctihub.db";
}

std::string StoreFile(const std::string& uri) {
  constexpr std::string_view kSqlite = "sqlite:";
  return uri.rfind(kSqlite, 0) == 0 ? uri.substr(kSqlite.size()) : std::string();
}

void AddImportCommand(CLI::App& app, ImportFlags& flags, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "import",
      "Import STIX 2.1 (bundle, array, JSON lines), STIX 2.0 (upgraded to 2.1), MISP events and "
      "CSV or plain IOC lists into a collection. Files may be gzip or xz compressed; '-' reads "
      "standard input. Every object is validated; invalid ones are rejected with the reason.\n"
      "Exit status: 0 all imported, 1 some objects rejected, 2 usage, I/O or store error.");
  flags.store = DefaultStoreUri();
  cmd->add_option("files", flags.files, "Files to import ('-' for standard input)")->required();
  cmd->add_option("--store", flags.store,
                  "Store URI (sqlite:PATH); default $CTIHUB_STORE or sqlite:ctihub.db");
  cmd->add_option("--collection", flags.collection,
                  "Collection name; created with the first object written when missing")
      ->capture_default_str();
  cmd->add_option("--format", flags.format, "Summary: text or json")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option(
         "--input-format", flags.input_format,
         "auto (detect), stix, misp, or ioc / csv (an IOC list: CSV or one value per line)")
      ->check(CLI::IsMember({"auto", "stix", "misp", "ioc", "csv"}));
  cmd->add_flag("--all-or-nothing", flags.all_or_nothing,
                "Import nothing unless every object of every file is valid (held in memory)");
  cmd->add_flag("--strict", flags.strict,
                "Reject objects with warnings too (but for id-uuid-version on the ids that "
                "MISP and IOC list conversion derive as UUIDv5 on purpose)");
  cmd->add_option("--batch-size", flags.batch_size, "Objects per atomic, durable commit")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--progress", flags.progress,
                  "auto (a bar on a terminal), bar, lines (one line per commit), none")
      ->check(CLI::IsMember({"auto", "bar", "lines", "none"}));
  cmd->add_option("--threads", flags.threads, "Validation threads (0 = one per core)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--type", flags.ioc_type,
                  "IOC lists: the type of every value (ip, ipv4, ipv6, cidr, domain, url, "
                  "email, md5, sha1, sha256, sha512, ssdeep, hash, filename); default auto-detect");
  cmd->add_option("--marking", flags.marking,
                  "Marking for created objects: tlp:clear|green|amber|amber+strict|red or a "
                  "marking-definition id");
  cmd->add_option("--confidence", flags.confidence, "IOC lists: confidence 0-100")
      ->check(CLI::Range(0, 100));
  cmd->add_option("--valid-from", flags.valid_from,
                  "IOC lists: indicators are valid from this time (RFC 3339), not from the "
                  "import or a first-seen column — to match older logs");
  cmd->add_option("--valid-for", flags.valid_for,
                  "IOC lists: indicators expire after this long (30d, 12h, 90m, 3600s, 2w; a "
                  "unit is required)");
  cmd->add_option("--created-by", flags.created_by,
                  "identity id recorded as created_by_ref of created objects");
  cmd->callback([&flags, &exit_code] { exit_code = RunImport(flags); });
}

int RunImport(const ImportFlags& flags) {
  if (std::count(flags.files.begin(), flags.files.end(), "-") > 1) {
    fmt::print(stderr, "ctihub import: '-' (standard input) can be read only once\n");
    return kExitUsage;
  }
  PrepareHeapForBatches();
  store::RegisterSqliteBackend();
  ingest::ProvenanceOptions provenance;
  provenance.created_by_ref = flags.created_by;
  if (!flags.created_by.empty() && !IsStixIdOf(flags.created_by, "identity")) {
    fmt::print(stderr, "ctihub import: --created-by '{}' is not an identity--<uuid> id\n",
               flags.created_by);
    return kExitUsage;
  }
  if (!flags.marking.empty()) {
    Result<std::string> id = MarkingId(flags.marking);
    if (!id.ok()) {
      fmt::print(stderr, "ctihub import: {}\n", id.status().message());
      return kExitUsage;
    }
    provenance.object_marking_refs.push_back(*id);
  }
  ingest::IocOptions ioc;
  ioc.provenance = provenance;
  ioc.confidence = flags.confidence;
  Result<ingest::IocType> type = ingest::ParseIocType(flags.ioc_type);
  if (!type.ok()) {
    fmt::print(stderr, "ctihub import: --type: {}\n", type.status().message());
    return kExitUsage;
  }
  ioc.forced_type = *type;
  if (!flags.valid_from.empty()) {
    Result<Timestamp> from = Timestamp::Parse(flags.valid_from);
    if (!from.ok()) {
      fmt::print(stderr, "ctihub import: --valid-from: {}\n", from.status().message());
      return kExitUsage;
    }
    ioc.valid_from = *from;
  }
  if (!flags.valid_for.empty()) {
    Result<int64_t> seconds = ParseDurationSeconds(flags.valid_for, "--valid-for");
    if (!seconds.ok()) {
      fmt::print(stderr, "ctihub import: {}\n", seconds.status().message());
      return kExitUsage;
    }
    ioc.valid_for_seconds = *seconds;
  }
  Result<std::unique_ptr<store::Store>> store = store::Store::Open(flags.store);
  if (!store.ok()) {
    fmt::print(stderr, "ctihub import: {}\n", store.status().message());
    return kExitUsage;
  }
  // Refused before anything is written when the log cannot take entries (its key missing or
  // damaged), as CheckAuditLog does for the other writers; kept open for the entries below.
  std::unique_ptr<audit::AuditLog> audit_log;
  if (!StoreFile(flags.store).empty()) {
    Result<std::unique_ptr<audit::AuditLog>> log = audit::AuditLog::Open(flags.store);
    if (!log.ok()) {
      fmt::print(stderr, "ctihub import: {}\n", log.status().message());
      return kExitUsage;
    }
    audit_log = std::move(log).value();
    // A removed log, or a head that is gone or another key's: refused before any batch.
    if (Status writable = audit_log->CheckWritable().status(); !writable.ok()) {
      fmt::print(stderr, "ctihub import: {}\n", writable.message());
      return kExitUsage;
    }
  }
  std::string files;
  for (const std::string& path : flags.files) files += (files.empty() ? "" : ", ") + path;
  // The actor, as RecordCliEvent names it.
  const char* login = std::getenv("USER");
  const std::string actor =
      std::string("cli:") + (login && *login ? login : std::to_string(::getuid()));
  Result<store::Collection> collection = (*store)->FindCollection(flags.collection);
  if (!collection.ok() && collection.status().code() == StatusCode::kNotFound) {
    // Made with the first batch written; the name is checked now, before anything is read.
    Status name = store::CheckCollectionName(flags.collection);
    if (!name.ok()) {
      fmt::print(stderr, "ctihub import: {}\n", name.message());
      return kExitUsage;
    }
    collection = store::Collection{};
    collection->alias = flags.collection;
  }
  if (!collection.ok()) {
    fmt::print(stderr, "ctihub import: {}\n", collection.status().message());
    return kExitUsage;
  }
  Importer importer(flags, **store, *collection, provenance, ioc);
  // Nothing an import commits may go unaudited, however it ends (kill -9, a full disk, a
  // signal): an entry naming the batch and what the batches before it committed is written
  // durably BEFORE each batch commits, and the summary entry at the end. The exact alternative,
  // the entry in the batch's own SQLite transaction, would need the store to write into the
  // audit log (its own connection, key and chain): one more sync per batch (100,000 objects by
  // default) keeps the two apart. Dying between an entry and its commit leaves an entry for a
  // batch that did not go in — an over-statement the store settles — never a commit without one;
  // and a store whose first import was killed has a log to show for it, not an empty one beside
  // objects (which `audit verify` reports as a removed log). A batch whose entry cannot be
  // written is not committed: the import stops as on a store error.
  uint64_t batches = 0;
  importer.set_before_commit([&](size_t objects) -> Status {
    if (!audit_log) return Status::Ok();
    ++batches;
    audit::AuditEvent e;
    e.kind = "import";
    e.actor = actor;
    e.subject = flags.collection;
    e.outcome = "committing batch " + std::to_string(batches) + " of up to " +
                std::to_string(objects) + " objects; " + std::to_string(importer.committed()) +
                " committed before it";
    stix::JsonWriter d;
    d.BeginObject().Key("files").String(files).Key("batch").Uint(batches).EndObject();
    e.details = std::move(d).Take();
    Status s = audit_log->Append({std::move(e)}).status();
    if (!s.ok()) {
      return Status(s.code(), "not committed, as the audit log cannot record it: " + s.message());
    }
    return Status::Ok();
  });
  CatchInterrupts();
  for (const std::string& path : flags.files) {
    if (g_interrupt != 0) break;
    importer.Import(path);
  }
  Status finished = importer.Finish();
  const std::deque<FileOutcome>& outcomes = importer.outcomes();
  bool nothing_written = importer.nothing_written();
  if (flags.format == "json") {
    PrintJson(outcomes, nothing_written, importer.committed());
  } else {
    PrintText(outcomes, flags, nothing_written, importer.committed());
  }
  // A file that could not be imported is an error: said on stderr too, where scripts look.
  for (const FileOutcome& o : outcomes) {
    if (!o.error.empty() && o.error.rfind("store: ", 0) != 0) {  // a store error is said below
      // Errors of the input layer name the file already ("x.gz: gzip stream is truncated").
      const bool named = o.error.rfind(o.path + ": ", 0) == 0;
      fmt::print(stderr, "ctihub import: {}\n", named ? o.error : o.path + ": " + o.error);
    }
  }
  if (audit_log) {
    uint64_t added = 0, versions = 0, rejected = 0;
    for (const FileOutcome& o : outcomes) {
      added += o.added;
      versions += o.new_versions;
      rejected += o.rejected;
    }
    audit::AuditEvent e;
    e.kind = "import";
    e.subject = importer.collection().alias.empty() ? importer.collection().id
                                                    : importer.collection().alias;
    e.outcome =
        std::to_string(added) + " new, " + std::to_string(versions) + " new versions, " +
        std::to_string(rejected) + " rejected" + (finished.ok() ? "" : ", store error") +
        (g_interrupt != 0 ? std::string(", interrupted by ") + SignalName(g_interrupt) : "");
    e.actor = actor;
    stix::JsonWriter d;
    d.BeginObject().Key("files").String(files).EndObject();
    e.details = std::move(d).Take();
    if (Status s = audit_log->Append({std::move(e)}).status(); !s.ok()) {
      fmt::print(stderr, "ctihub: warning: not recorded in the audit log: {}\n", s.ToString());
    }
  }
  if (!finished.ok()) {
    fmt::print(stderr, "ctihub import: store error: {}\n", finished.ToString());
  }
  if (g_interrupt != 0) return 128 + g_interrupt;  // 130 for SIGINT, 143 for SIGTERM
  if (!finished.ok()) return kExitUsage;
  bool io = std::any_of(outcomes.begin(), outcomes.end(),
                        [](const FileOutcome& o) { return o.io_error; });
  if (io) return kExitUsage;
  bool findings = std::any_of(outcomes.begin(), outcomes.end(), [](const FileOutcome& o) {
    return o.rejected > 0 || !o.error.empty();
  });
  return findings ? kExitFindings : kExitOk;
}

}  // namespace ctihub::app
