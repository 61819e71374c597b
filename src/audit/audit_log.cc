#include "audit/audit_log.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "stix/canonical_json.h"
#include "store/sqlite/statement.h"

namespace ctihub::audit {
namespace {

using sqlite::Lease;
using sqlite::OpenSqliteFile;
using sqlite::SqlError;
using sqlite::Statement;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS audit_log (
  seq INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  kind TEXT NOT NULL,
  actor TEXT NOT NULL,
  subject TEXT NOT NULL,
  outcome TEXT NOT NULL,
  rules TEXT NOT NULL,
  details TEXT NOT NULL,
  mac TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL,
  mac TEXT NOT NULL,
  head_mac TEXT NOT NULL
);
)sql";

std::string Hex(const unsigned char* bytes, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
  return out;
}

std::string Mac(const std::string& key, std::string_view a, std::string_view b) {
  std::string input;
  input.reserve(a.size() + 1 + b.size());
  input.append(a).push_back('\n');
  input.append(b);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), out, &n);
  return Hex(out, n);
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The node's audit key, 32 random bytes in hex, from `path`; nullopt when there is no such file.
Result<std::optional<std::string>> ReadKey(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return Unavailable("cannot read audit key " + path + ": " + std::strerror(errno));
  }
  // 64 hex digits, a line end allowed after them (a key put back by hand); anything else would
  // chain entries under a key that is not the log's, breaking it for good.
  char buf[80] = {};
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  std::string_view text(buf, n > 0 ? static_cast<size_t>(n) : 0);
  if (text.ends_with("\n")) text.remove_suffix(1);
  if (text.ends_with("\r")) text.remove_suffix(1);
  if (text.size() != 64 || !std::all_of(text.begin(), text.end(), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c));
      })) {
    return DataLoss("audit key " + path + " is damaged (expected 64 hex digits)");
  }
  return std::optional<std::string>(Lower(text));
}

// Makes a new key in a 0600 file, atomically: the key is written and synced under a temporary
// name in the same directory, then linked to `path` and the directory synced. A write that fails
// part-way (a full disk) so leaves no key rather than a short one, which would read as damaged
// and stop the audit log for good. link(), unlike rename(), never replaces a key another process
// made meanwhile (EEXIST): both then use the first one.
Result<std::string> CreateKey(const std::string& path) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    CTI_ASSIGN_OR_RETURN(std::optional<std::string> existing, ReadKey(path));
    if (existing) return *existing;
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1) return Internal("no randomness for the audit key");
    std::string hex = Hex(raw, sizeof raw);
    std::string temp = path + ".XXXXXX";
    int fd = ::mkostemp(temp.data(), O_CLOEXEC);  // mode 0600
    if (fd < 0) {
      return Unavailable("cannot create audit key " + path + ": " + std::strerror(errno));
    }
    const ssize_t n = ::write(fd, hex.data(), hex.size());
    bool written = n == static_cast<ssize_t>(hex.size()) && ::fsync(fd) == 0;
    int error = n >= 0 && !written && n < static_cast<ssize_t>(hex.size()) ? ENOSPC : errno;
    ::close(fd);
    if (written && ::link(temp.c_str(), path.c_str()) != 0) {
      written = false;
      error = errno;
    }
    ::unlink(temp.c_str());
    if (!written) {
      if (error == EEXIST) continue;  // another process made it first: read theirs
      return Unavailable("cannot write audit key " + path + ": " + std::strerror(error));
    }
    const size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "."
                            : slash == 0               ? "/"
                                                       : path.substr(0, slash);
    int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool synced = dir_fd >= 0 && ::fsync(dir_fd) == 0;
    if (dir_fd >= 0) ::close(dir_fd);
    if (!synced) return Unavailable("cannot sync the directory of audit key " + path);
    return hex;
  }
  return Unavailable("cannot create audit key " + path);
}

std::string JoinRules(const std::vector<std::string>& rules) {
  std::string out;
  for (const std::string& r : rules) out += (out.empty() ? "" : " ") + r;
  return out;
}

std::vector<std::string> SplitRules(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t space = text.find(' ');
    out.emplace_back(text.substr(0, space));
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
  }
  return out;
}

class SqliteAuditLog final : public AuditLog {
 public:
  ~SqliteAuditLog() override {
    statements_.clear();
    sqlite3_close_v2(db_);
  }

  // `key`, or else the key in `key_path` (EnsureKey).
  static Result<std::unique_ptr<AuditLog>> Open(const std::string& file, std::string key,
                                                std::string key_path,
                                                const AuditOpenOptions& options) {
    auto log = std::unique_ptr<SqliteAuditLog>(new SqliteAuditLog());
    log->key_ = std::move(key);
    log->key_path_ = std::move(key_path);
    log->may_start_beside_content_ = options.may_start_beside_content;
    if (OpenSqliteFile(file, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                       &log->db_) != SQLITE_OK) {
      return Unavailable("audit: cannot open " + file);
    }
    sqlite3_busy_timeout(log->db_, 10000);
    CTI_RETURN_IF_ERROR(sqlite::CheckNotForeign(log->db_, file));
    for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", kSchema}) {
      if (sqlite3_exec(log->db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
        return SqlError(log->db_, "audit: setting up");
      }
    }
    CTI_RETURN_IF_ERROR(log->EnsureKey(/*may_create=*/false));
    return std::unique_ptr<AuditLog>(std::move(log));
  }

  Result<uint64_t> Append(std::vector<AuditEvent> events) override {
    std::lock_guard lock(mu_);
    if (events.empty()) return uint64_t{0};
    CTI_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    // Under the write lock, so that only the first append to an empty log makes the key.
    Status keyed = EnsureKey(/*may_create=*/true);
    Result<uint64_t> last = keyed.ok() ? AppendInTransaction(events) : Result<uint64_t>(keyed);
    if (!last.ok()) {
      Exec("ROLLBACK").IgnoreError();
      return last;
    }
    if (Status committed = Exec("COMMIT"); !committed.ok()) {
      Exec("ROLLBACK").IgnoreError();
      return committed;
    }
    may_start_beside_content_ = false;  // once: a log removed later is not started again
    return last;
  }

  Result<bool> CheckWritable() override {
    std::lock_guard lock(mu_);
    Result<bool> empty = CheckWritableIn("BEGIN");
    // A key beside an empty log may be another process's first append, between making the key
    // and committing: under the write lock (when the file can take one) that append is over.
    if (!empty.ok() && key_from_file_ &&
        CheckKeyWithoutLog().message() == empty.status().message()) {
      Result<bool> again = CheckWritableIn("BEGIN IMMEDIATE");
      if (again.ok() || again.status().message() == empty.status().message()) return again;
    }
    return empty;
  }

  // CheckWritable in a transaction begun with `begin`.
  Result<bool> CheckWritableIn(const char* begin) {
    CTI_RETURN_IF_ERROR(Exec(begin));
    Result<bool> empty = [&]() -> Result<bool> {
      CTI_RETURN_IF_ERROR(EnsureKey(/*may_create=*/false));
      CTI_ASSIGN_OR_RETURN(Lease head,
                           Prepared("SELECT seq, mac, head_mac FROM audit_head WHERE id = 1"));
      CTI_ASSIGN_OR_RETURN(bool has_head, head->Step());
      const uint64_t seq = has_head ? static_cast<uint64_t>(head->Int(0)) : 0;
      const std::string mac = has_head ? std::string(head->Text(1)) : std::string();
      const std::string head_mac = has_head ? std::string(head->Text(2)) : std::string();
      head->Reset();
      CTI_RETURN_IF_ERROR(CheckContinuable(has_head, seq, mac, head_mac));
      return !has_head;
    }();
    Exec("COMMIT").IgnoreError();
    return empty;
  }

  Result<AuditReport> Verify() override {
    std::lock_guard lock(mu_);
    CTI_RETURN_IF_ERROR(Exec("BEGIN"));  // one snapshot for the head and the entries
    // An empty log needs no key: verifying one makes none.
    Status keyed = EnsureKey(/*may_create=*/false);
    Result<AuditReport> report = keyed.ok() ? VerifyInTransaction() : Result<AuditReport>(keyed);
    Exec("COMMIT").IgnoreError();
    return report;
  }

  Result<std::vector<AuditEntry>> List(std::optional<Timestamp> since, std::string_view kind,
                                       size_t limit) override {
    std::lock_guard lock(mu_);
    CTI_ASSIGN_OR_RETURN(
        Lease s, Prepared("SELECT * FROM (SELECT seq, time, kind, actor, subject, outcome, rules, "
                          "details, mac FROM audit_log WHERE time >= ?1 AND (?2 = '' OR kind = ?2) "
                          "ORDER BY seq DESC LIMIT ?3) ORDER BY seq"));
    s->Bind(1, since ? since->micros() : int64_t{0});
    s->Bind(2, kind);
    s->Bind(3, limit == 0 ? int64_t{-1} : static_cast<int64_t>(limit));  // -1: no limit
    std::vector<AuditEntry> out;
    for (;;) {
      CTI_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(Read(*s));
    }
    return out;
  }

  Result<std::vector<std::string>> Kinds() override {
    std::lock_guard lock(mu_);
    CTI_ASSIGN_OR_RETURN(Lease s, Prepared("SELECT DISTINCT kind FROM audit_log ORDER BY kind"));
    std::vector<std::string> out;
    for (;;) {
      CTI_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.emplace_back(s->Text(0));
    }
    return out;
  }

 private:
  SqliteAuditLog() = default;

  Status Exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
      return SqlError(db_, std::string("audit: ") + sql);
    }
    return Status::Ok();
  }

  // Loads the key from key_path_ unless it is loaded. Without that file, a log that has entries
  // cannot be checked or continued — a new key would chain what follows under another key and
  // break the log for good — so FailedPrecondition until it is put back. An empty log gets a new
  // key when `may_create` (the first append, in its write transaction), else stays without one.
  Status EnsureKey(bool may_create) {
    if (!key_.empty()) return Status::Ok();
    CTI_ASSIGN_OR_RETURN(std::optional<std::string> key, ReadKey(key_path_));
    if (key) {
      key_ = std::move(*key);
      key_from_file_ = true;
      return Status::Ok();
    }
    CTI_ASSIGN_OR_RETURN(Lease any, Prepared("SELECT EXISTS (SELECT 1 FROM audit_head) OR "
                                             "EXISTS (SELECT 1 FROM audit_log)"));
    CTI_ASSIGN_OR_RETURN(bool row, any->Step());
    const bool has_entries = row && any->Int(0) != 0;
    any->Reset();
    if (has_entries) {
      return FailedPrecondition("the audit key " + key_path_ +
                                " is missing: restore it from where the store came from");
    }
    if (!may_create) return Status::Ok();
    CTI_ASSIGN_OR_RETURN(key_, CreateKey(key_path_));
    return Status::Ok();
  }

  Result<Lease> Prepared(std::string_view sql) {
    for (auto& [text, stmt] : statements_) {
      if (text == sql) return Lease(stmt.get());
    }
    auto stmt = std::make_unique<Statement>();
    CTI_RETURN_IF_ERROR(stmt->Prepare(db_, sql));
    statements_.emplace_back(std::string(sql), std::move(stmt));
    return Lease(statements_.back().second.get());
  }

  static AuditEntry Read(const Statement& s) {
    AuditEntry e;
    e.seq = static_cast<uint64_t>(s.Int(0));
    e.event.time = Timestamp(s.Int(1));
    e.event.kind = std::string(s.Text(2));
    e.event.actor = std::string(s.Text(3));
    e.event.subject = std::string(s.Text(4));
    e.event.outcome = std::string(s.Text(5));
    e.event.rules = SplitRules(s.Text(6));
    e.event.details = std::string(s.Text(7));
    e.mac = std::string(s.Text(8));
    return e;
  }

  // What the store holds whose creation is audited ("objects", "accounts"), or empty: beside an
  // empty log, the sign that the log was removed.
  Result<std::string> AuditedContent() {
    for (const auto& [table, what] : {std::pair<const char*, const char*>{"objects", "objects"},
                                      {"account_users", "accounts"}}) {
      CTI_ASSIGN_OR_RETURN(Lease exists, Prepared("SELECT 1 FROM sqlite_master WHERE "
                                                  "type = 'table' AND name = ?1"));
      exists->Bind(1, table);
      CTI_ASSIGN_OR_RETURN(bool has_table, exists->Step());
      exists->Reset();
      if (!has_table) continue;
      CTI_ASSIGN_OR_RETURN(Lease any, Prepared(std::string("SELECT 1 FROM ") + table + " LIMIT 1"));
      CTI_ASSIGN_OR_RETURN(bool has_rows, any->Step());
      any->Reset();
      if (has_rows) return std::string(what);
    }
    return std::string();
  }

  // The key is made with the first entry: a key file beside an empty log (a store file emptied
  // or replaced, its key left) means the log had entries.
  Status CheckKeyWithoutLog() const {
    if (!key_from_file_) return Status::Ok();
    return FailedPrecondition(
        "the audit key " + key_path_ +
        " exists but the log is empty: the log was removed (a key "
        "is made only with the first entry). If this store never recorded anything (its first "
        "command failed), remove " +
        key_path_ + " to start the log");
  }

  // Whether the chain can be continued as it is: appending to a log whose head is gone, whose
  // head another key made, or that was removed whole would start a chain that verifies on its
  // own and hide what was done to the old one.
  Status CheckContinuable(bool has_head, uint64_t seq, const std::string& mac,
                          const std::string& head_mac) {
    const std::string see = ": `ctihub audit verify` says more; nothing is recorded onto it";
    if (has_head) {
      if (Mac(key_, "head " + std::to_string(seq), mac) != head_mac) {
        return FailedPrecondition("the audit log's head does not verify under the audit key " +
                                  key_path_ + " (a wrong key, or an altered head)" + see);
      }
      return Status::Ok();
    }
    CTI_ASSIGN_OR_RETURN(Lease any, Prepared("SELECT EXISTS (SELECT 1 FROM audit_log)"));
    CTI_ASSIGN_OR_RETURN(bool row, any->Step());
    const bool has_entries = row && any->Int(0) != 0;
    any->Reset();
    if (has_entries) {
      return FailedPrecondition("the audit log's head record is missing while its entries remain" +
                                see);
    }
    CTI_RETURN_IF_ERROR(CheckKeyWithoutLog());
    if (may_start_beside_content_) return Status::Ok();
    CTI_ASSIGN_OR_RETURN(std::string content, AuditedContent());
    if (!content.empty()) {
      return FailedPrecondition("the audit log is empty but the store holds " + content +
                                ", whose creation is audited: the log was removed; restore it "
                                "with the store (no new log is started beside that content)");
    }
    return Status::Ok();
  }

  Result<uint64_t> AppendInTransaction(std::vector<AuditEvent>& events) {
    uint64_t seq = 0;
    std::string mac, head_mac_stored;
    bool has_head = false;
    {
      CTI_ASSIGN_OR_RETURN(Lease head,
                           Prepared("SELECT seq, mac, head_mac FROM audit_head WHERE id = 1"));
      CTI_ASSIGN_OR_RETURN(bool row, head->Step());
      if (row) {
        has_head = true;
        seq = static_cast<uint64_t>(head->Int(0));
        mac = std::string(head->Text(1));
        head_mac_stored = std::string(head->Text(2));
      }
      head->Reset();
    }
    CTI_RETURN_IF_ERROR(CheckContinuable(has_head, seq, mac, head_mac_stored));
    CTI_ASSIGN_OR_RETURN(Lease insert,
                         Prepared("INSERT INTO audit_log (seq, time, kind, actor, subject, "
                                  "outcome, rules, details, mac) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                                  "?7, ?8, ?9)"));
    for (AuditEvent& e : events) {
      if (e.time.micros() == 0) e.time = Timestamp::Now();
      ++seq;
      mac = Mac(key_, mac, CanonicalEvent(seq, e));
      std::string rules = JoinRules(e.rules);
      insert->Reset();
      insert->Bind(1, static_cast<int64_t>(seq));
      insert->Bind(2, e.time.micros());
      insert->Bind(3, e.kind);
      insert->Bind(4, e.actor);
      insert->Bind(5, e.subject);
      insert->Bind(6, e.outcome);
      insert->Bind(7, rules);
      insert->Bind(8, e.details);
      insert->Bind(9, mac);
      CTI_ASSIGN_OR_RETURN(bool row, insert->Step());
      (void)row;
    }
    CTI_ASSIGN_OR_RETURN(Lease head,
                         Prepared("INSERT INTO audit_head (id, seq, mac, head_mac) VALUES (1, ?1, "
                                  "?2, ?3) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, "
                                  "mac = excluded.mac, head_mac = excluded.head_mac"));
    std::string seq_text = std::to_string(seq);
    std::string head_mac = Mac(key_, "head " + seq_text, mac);
    head->Bind(1, static_cast<int64_t>(seq));
    head->Bind(2, mac);
    head->Bind(3, head_mac);
    CTI_ASSIGN_OR_RETURN(bool row, head->Step());
    (void)row;
    return seq;
  }

  Result<AuditReport> VerifyInTransaction() {
    AuditReport report;
    auto bad = [&](uint64_t seq, std::string problem) {
      report.intact = false;
      report.first_bad_seq = seq;
      report.problem = std::move(problem);
      return report;
    };
    uint64_t head_seq = 0;
    std::string head_mac_stored, head_entry_mac;
    bool has_head = false;
    {
      CTI_ASSIGN_OR_RETURN(Lease head,
                           Prepared("SELECT seq, mac, head_mac FROM audit_head WHERE id = 1"));
      CTI_ASSIGN_OR_RETURN(bool row, head->Step());
      if (row) {
        has_head = true;
        head_seq = static_cast<uint64_t>(head->Int(0));
        head_entry_mac = std::string(head->Text(1));
        head_mac_stored = std::string(head->Text(2));
      }
    }
    if (has_head &&
        Mac(key_, "head " + std::to_string(head_seq), head_entry_mac) != head_mac_stored) {
      return bad(head_seq, "the head record (last seq and MAC) was altered");
    }
    CTI_ASSIGN_OR_RETURN(Lease all, Prepared("SELECT seq, time, kind, actor, subject, outcome, "
                                             "rules, details, mac FROM audit_log ORDER BY seq"));
    uint64_t expected = 1;
    std::string mac;
    for (;;) {
      CTI_ASSIGN_OR_RETURN(bool row, all->Step());
      if (!row) break;
      AuditEntry e = Read(*all);
      if (e.seq != expected) {
        return bad(expected, "entry " + std::to_string(expected) +
                                 " is missing (the next one present is " +
                                 std::to_string(e.seq) + ")");
      }
      mac = Mac(key_, mac, CanonicalEvent(e.seq, e.event));
      if (mac != e.mac) {
        return bad(e.seq, "entry " + std::to_string(e.seq) +
                              " does not match its MAC: edited, reordered or inserted");
      }
      ++expected;
      ++report.entries;
    }
    if (!has_head && report.entries > 0) {
      return bad(1, "the head record is missing");
    }
    // No entries and no head: a new store, or a log removed whole (which needs no key). Every
    // way objects and accounts get into a store is audited, so holding any of them with an
    // empty log means the log was removed.
    if (!has_head && report.entries == 0) {
      if (Status keyed = CheckKeyWithoutLog(); !keyed.ok()) return bad(1, keyed.message());
      CTI_ASSIGN_OR_RETURN(std::string content, AuditedContent());
      if (!content.empty()) {
        return bad(1, "the log is empty but the store holds " + content +
                          ", whose creation is audited: the log and its head were removed");
      }
    }
    if (report.entries != head_seq || mac != head_entry_mac) {
      return bad(report.entries + 1, "the log ends at entry " + std::to_string(report.entries) +
                                         " but its head says " + std::to_string(head_seq) +
                                         ": entries were removed from the end");
    }
    report.head_mac = mac;
    return report;
  }

  std::mutex mu_;
  sqlite3* db_ = nullptr;
  std::string key_;       // hex; empty until loaded, or made by the first append
  std::string key_path_;  // PATH.audit-key; empty for "memory:"
  bool may_start_beside_content_ = false;  // AuditOpenOptions; until the first append
  bool key_from_file_ = false;             // read from key_path_, not made by this process
  std::vector<std::pair<std::string, std::unique_ptr<Statement>>> statements_;
};

}  // namespace

Recorder::Recorder(AuditLog* log, std::chrono::milliseconds flush_every, size_t max_queued)
    : log_(log), flush_every_(flush_every), max_queued_(max_queued), thread_([this] { Run(); }) {}

Recorder::~Recorder() { Stop(); }

void Recorder::Record(AuditEvent event) {
  if (event.time.micros() == 0) event.time = Timestamp::Now();
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return queue_.size() < max_queued_ || stopping_; });
  queue_.push_back(std::move(event));
  ++queued_total_;
  if (queue_.size() >= 1000) changed_.notify_all();
}

Status Recorder::Flush() {
  std::unique_lock lock(mu_);
  uint64_t target = queued_total_;
  flush_requested_ = true;
  changed_.notify_all();
  changed_.wait(lock, [&] { return written_total_ >= target || thread_.get_id() == std::thread::id(); });
  Status error = error_;
  error_ = Status::Ok();
  return error;
}

void Recorder::OnError(std::function<void(const Status&, size_t)> handler) {
  std::lock_guard lock(mu_);
  on_error_ = std::move(handler);
}

void Recorder::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Recorder::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    changed_.wait_for(lock, flush_every_,
                      [&] { return stopping_ || flush_requested_ || queue_.size() >= 1000; });
    flush_requested_ = false;
    // After a failure the gap entry alone is retried at each tick: a service refusing requests
    // meanwhile queues nothing, and would otherwise never learn that the log is back.
    if (queue_.empty() && (lost_ == 0 || stopping_)) {
      if (stopping_) return;
      continue;
    }
    std::vector<AuditEvent> batch;
    batch.swap(queue_);
    changed_.notify_all();  // room in the queue again
    const size_t taken = batch.size();
    if (lost_ > 0) {
      // What failed before is said in the log itself, ahead of what follows.
      AuditEvent gap;
      gap.kind = "audit-gap";
      gap.actor = "node";
      gap.subject = "audit log";
      gap.outcome = std::to_string(lost_) + " event(s) not recorded: " + lost_because_;
      gap.time = Timestamp::Now();
      batch.insert(batch.begin(), std::move(gap));
    }
    lock.unlock();
    Result<uint64_t> appended = log_->Append(batch);
    lock.lock();
    if (appended.ok()) {
      lost_ = 0;
      lost_because_.clear();
      healthy_ = true;
    } else {
      if (error_.ok()) error_ = appended.status();
      if (lost_ == 0) lost_because_ = appended.status().message();
      lost_ += taken;
      healthy_ = false;
      if (on_error_) {
        auto handler = on_error_;
        const size_t lost = lost_;
        lock.unlock();
        handler(appended.status(), lost);
        lock.lock();
      }
    }
    written_total_ += taken;
    changed_.notify_all();
  }
}

std::string CanonicalEvent(uint64_t seq, const AuditEvent& e) {
  stix::JsonWriter w;
  w.BeginObject()
      .Key("actor").String(e.actor)
      .Key("details").String(e.details)
      .Key("kind").String(e.kind)
      .Key("outcome").String(e.outcome)
      .Key("rules").BeginArray();
  for (const std::string& r : e.rules) w.String(r);
  w.EndArray()
      .Key("seq").Uint(seq)
      .Key("subject").String(e.subject)
      .Key("time").Int(e.time.micros())
      .EndObject();
  return std::move(w).Take();
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(std::string_view store_uri,
                                                 const AuditOpenOptions& options) {
  if (store_uri.substr(0, 7) == "memory:") {
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1) return Internal("no randomness for the audit key");
    return SqliteAuditLog::Open(":memory:", Hex(raw, sizeof raw), "", options);
  }
  if (store_uri.substr(0, 7) != "sqlite:") {
    return InvalidArgument("audit: unknown store URI '" + std::string(store_uri) +
                           "'; use sqlite:PATH or memory:");
  }
  std::string file(store_uri.substr(7));
  return SqliteAuditLog::Open(file, "", file + ".audit-key", options);
}

}  // namespace ctihub::audit
