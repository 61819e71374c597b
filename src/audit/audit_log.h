// audit/audit_log: an append-only, hash-chained record of what the hub did — releases, imports,
// deletions, sign-ins and policy changes — that `ctihub audit verify` proves untouched.
//
// Entry n carries mac_n = HMAC-SHA-256(key, mac_{n-1} ‖ n ‖ canonical event), and a head row holds
// (last seq, its mac) under the same key. The key is a node secret kept outside the database
// (PATH.audit-key beside the store file, mode 0600, made by the first append to an empty log, and
// never for a log that has entries: a store restored without its key is refused until the key is
// put back, since entries chained under a new key would break the log for good). So someone who can
// write the SQLite file but not read the key cannot edit, delete, reorder, insert or truncate
// entries, nor replace the whole log, without `verify` naming the first entry that no longer fits:
// every such change breaks a MAC they cannot recompute. What it cannot show: an attacker holding
// the key (root on the node) rewriting history consistently — ship the head to another node for
// that.
//
//   CTI_ASSIGN_OR_RETURN(auto log, AuditLog::Open("sqlite:hub.db"));
//   log->Append({{.kind = "release", .actor = "ana", ...}});
//   CTI_ASSIGN_OR_RETURN(AuditReport report, log->Verify());
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace ctihub::audit {

struct AuditEvent {
  std::string kind;     // release, import, delete, login, login-failure, policy-change, …
  std::string actor;    // user (or "cli:<os user>", "node") that caused it
  std::string subject;  // collection, object id@version, partner, user
  std::string outcome;  // "ok", "withheld 3", "refused: …"
  std::vector<std::string> rules;  // rule ids that decided, when a decision was made
  std::string details;  // a small JSON object, or empty
  Timestamp time;       // set by Append when zero
};

struct AuditEntry {
  uint64_t seq = 0;
  AuditEvent event;
  std::string mac;  // hex
};

struct AuditReport {
  uint64_t entries = 0;
  std::string head_mac;  // hex, of the last entry
  bool intact = true;
  uint64_t first_bad_seq = 0;  // when not intact
  std::string problem;         // plain words
};

struct AuditOpenOptions {
  // An empty log with objects or accounts beside it was removed, so Append refuses to start a
  // new one there — except for a writer that found the store without either before it made
  // them (a command's first change to a new store, recorded after it commits). Once.
  bool may_start_beside_content = false;
};

class AuditLog {
 public:
  // "sqlite:PATH" (table in the store file, key in PATH.audit-key) or "memory:".
  // FailedPrecondition ("the audit key PATH.audit-key is missing: …") when the log has entries
  // and the key file is not there; Append and Verify say the same if it goes missing later.
  static Result<std::unique_ptr<AuditLog>> Open(std::string_view store_uri,
                                                const AuditOpenOptions& options = {});
  virtual ~AuditLog() = default;

  // Appends the events in one durable transaction (thread-safe, and safe across processes on
  // the same file); returns the seq of the last one. FailedPrecondition, writing nothing, when
  // the chain cannot be continued: its head is missing or does not verify under the key, or the
  // log is empty beside objects or accounts (removed; see AuditOpenOptions).
  virtual Result<uint64_t> Append(std::vector<AuditEvent> events) = 0;
  // What Append would refuse, checked without writing (a command's check before it changes
  // anything); true when the log is empty and may be started here.
  virtual Result<bool> CheckWritable() = 0;
  virtual Result<AuditReport> Verify() = 0;
  // Entries from `since` (time) on, of `kind` when non-empty: the newest `limit` of them (all
  // when 0), in seq order — like `tail`, so a listing shows what happened last.
  virtual Result<std::vector<AuditEntry>> List(std::optional<Timestamp> since,
                                               std::string_view kind, size_t limit) = 0;
  // The kinds of entry the log holds, sorted (to tell a misspelt --kind from a quiet log).
  virtual Result<std::vector<std::string>> Kinds() = 0;
};

// Records events in the background, in batches (one durable append per batch, at most every
// `flush_every`), so the paths that serve requests never wait for a disk sync. The queue is
// bounded: when it is full Record waits, so events are never dropped. Stop (or the destructor)
// writes what is queued. Thread-safe.
class Recorder {
 public:
  explicit Recorder(AuditLog* log, std::chrono::milliseconds flush_every = std::chrono::milliseconds(200),
                    size_t max_queued = 100000);
  ~Recorder();
  void Record(AuditEvent event);
  // Writes everything queued so far; the first append error since the last Flush, if any.
  Status Flush();
  void Stop();
  // False from a failed append until one succeeds: a node should not release what it cannot
  // record (the TAXII service answers 503 meanwhile). The first append that succeeds after a
  // failure begins with an "audit-gap" entry counting the events lost and why.
  bool healthy() const { return healthy_.load(); }
  // Called (on the recorder's thread) with each failed append's error and the events lost.
  void OnError(std::function<void(const Status&, size_t lost)> handler);

 private:
  void Run();
  AuditLog* log_;
  const std::chrono::milliseconds flush_every_;
  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<AuditEvent> queue_;
  uint64_t queued_total_ = 0, written_total_ = 0;
  Status error_ = Status::Ok();
  std::atomic<bool> healthy_{true};
  size_t lost_ = 0;           // events dropped by failed appends, until one succeeds
  std::string lost_because_;  // the first failure's message
  std::function<void(const Status&, size_t)> on_error_;
  bool stopping_ = false;
  bool flush_requested_ = false;
  std::thread thread_;
};

// The canonical bytes an entry's MAC covers (exposed for tests).
std::string CanonicalEvent(uint64_t seq, const AuditEvent& event);

}  // namespace ctihub::audit
