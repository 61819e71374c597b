// sync/peer_sync: hub-to-hub federation over TAXII 2.1. A peer is another node (ctihub or any
// conformant TAXII 2.1 server, e.g. medallion). One round with a peer:
//
//   pull  first asks a ctihub peer which of what we read from it has been deleted there since
//         (x-ctihub-deletions: not TAXII 2.1, which cannot say; a server without it answers
//         404 and is skipped) and deletes the versions it sent us, when our agreement with it
//         accepts its deletions. Then it pages through the peer's collection with
//         `added_after` = the last
//         X-TAXII-Date-Added-Last seen and `next`, validates every object, stores the page
//         (origin = the peer's organisation, so it is never sent back) and persists the
//         watermark after every page: a crash or outage resumes exactly where it stopped, and a
//         page stored twice is only duplicates.
//   push  first tells the peer about deletions: an object deleted here (its last version, a
//         store tombstone) that this peer received (the delivery ledger) is DELETEd from the
//         peer's collection, when the agreement says send_deletions — an object the peer never
//         received is never named to it. Then it reads each local collection after its
//         persisted cursor through the release gate as
//         the peer's organisation (its sharing agreement, sanitization, agreement.origin), POSTs
//         signed envelopes in batches and follows each status resource to completion; the
//         cursor moves only past batches the peer has finished, and objects the peer refused
//         are reported and recorded, never dropped silently.
//
// State lives in the store's records (kind "sync"), so it shares the store's durability.
//
//   PeerSync sync(peer, *store, gate, &key);
//   CTI_ASSIGN_OR_RETURN(SyncReport report, sync.RunOnce());
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "net/http_client.h"
#include "store/release_gate.h"
#include "store/store.h"
#include "sync/signing.h"

namespace ctihub::sync {
namespace internal {
struct StatusResource;
}  // namespace internal

struct PeerConfig {
  std::string name;          // how this node calls the peer (CLI, logs, state)
  std::string organisation;  // the local organisation it is: its agreement governs what we send
  std::string url;           // base URL "https://host:port"; empty for a transfer-file-only peer
  std::string api_root = "api";
  bool pull = false, push = false;
  std::string pull_from;  // remote collection (id or title)
  std::string pull_into;  // local collection (alias), created when missing
  std::vector<std::string> push_from;  // local collections (aliases) whose released objects go
  std::string push_to;                 // remote collection (id or title)
  // Credentials on the peer: Basic (username + password), Bearer API key, or a client
  // certificate (client.certificate_file / private_key_file).
  std::string username, password, api_key;
  net::ClientOptions client;
  // Keys the peer signs with (SigningKey::public_key() strings or PEM files) and whether
  // anything it sends must be signed by one of them.
  std::vector<std::string> trusted_keys;
  bool require_signatures = false;
  std::chrono::seconds interval{300};  // `ctihub serve` runs a round this often
  size_t page_size = 1000;             // objects per pulled page
  size_t push_batch = 1000;            // objects per POST
  std::chrono::seconds status_timeout{300};  // how long a push waits for a pending status
  // The agreement's send_deletions: objects the peer received and that are deleted here are
  // deleted on the peer too.
  bool send_deletions = false;
  // Our agreement's accept_deletions: what the peer deletes of what it sent us is deleted here.
  bool accept_deletions = true;
};

// What one round moved.
struct SyncReport {
  std::string peer;
  // Pull
  uint64_t pulled_pages = 0, pulled_objects = 0, pulled_new = 0, pulled_new_versions = 0,
           pulled_duplicates = 0, pulled_rejected = 0;
  uint64_t pulled_deletions = 0;  // objects the peer deleted that were deleted here too
  std::vector<std::string> rejections;  // "id: reason", at most 100
  // Push
  uint64_t pushed_batches = 0, pushed_objects = 0, pushed_succeeded = 0, pushed_failed = 0;
  uint64_t redacted = 0, withheld = 0;
  std::map<std::string, uint64_t> withheld_by_rule;  // rule id → objects
  std::vector<std::string> failures;  // "id@version: the peer's message", at most 100
  // Deletions: DELETEd on the peer; already gone there (404); refused by it (its agreement).
  uint64_t deletions_sent = 0, deletions_absent = 0, deletions_refused = 0;
  // Deleted from one pushed collection but still released to the peer from another: not sent.
  uint64_t deletions_kept = 0;
  std::chrono::milliseconds duration{0};
  std::string error;  // why the round stopped early, or empty
};

// Persisted per peer; what `ctihub peers` shows.
struct PeerState {
  std::optional<Timestamp> pull_watermark;  // X-TAXII-Date-Added-Last of the last stored page
  std::string pull_next;                    // `next` of a round in progress
  // The added_after `pull_next` was issued with: a token belongs to the query it came from, so
  // it is followed with that query, not with the watermark that has moved on since.
  std::optional<Timestamp> pull_next_added_after;
  std::string pull_remote_collection;       // resolved id
  int64_t pull_deletions_after = 0;         // the peer's tombstone sequence read up to
  std::string push_remote_collection;
  std::map<std::string, store::Cursor> push_cursors;  // local collection id → cursor
  std::map<std::string, int64_t> deletion_cursors;    // local collection id → tombstone seq
  // The configuration the state above belongs to (PeerConfig's pull_from, pull_into, push_to):
  // when it changes, that direction starts over — a watermark or cursor says nothing about
  // another collection.
  std::string pull_from, pull_into, push_to;
  std::optional<Timestamp> last_attempt, last_success;
  std::string last_error;
  uint64_t consecutive_failures = 0;
  uint64_t failed_objects = 0;  // objects the peer refused, over all rounds
};

Result<PeerState> LoadPeerState(store::Store& store, std::string_view peer);
Status SavePeerState(store::Store& store, std::string_view peer, const PeerState& state);

class PeerSync {
 public:
  // `store`, `gate`, `key` (null: send unsigned) and `trusted` must outlive this object.
  // `node` is this node's name (User-Agent, logs).
  PeerSync(PeerConfig peer, store::Store& store, const store::ReleaseGate& gate,
           const SigningKey* key, std::string node = "ctihub");
  ~PeerSync();

  // One round: pull (if configured) then push (if configured). The report says what moved;
  // a non-OK Status means the round stopped (peer unreachable, refused signature, …) — what was
  // done before it is kept and the next round resumes from there. Transient failures (network,
  // 429, 5xx) are retried three times with exponential backoff and jitter before giving up.
  Result<SyncReport> RunOnce();
  // The report of the last round, also when it failed: what moved before it stopped, and why
  // (`error`).
  const SyncReport& last_report() const { return last_report_; }

  const PeerConfig& peer() const { return peer_; }

  // Whether the peer's organisation may read a collection (its read grants, as the TAXII server
  // checks them): a collection it may not read is never pushed, whatever push_from says. Called
  // once per pushed collection per round; unset, the agreement alone decides.
  using ReadCheck = std::function<Status(const store::Collection&)>;
  void set_read_check(ReadCheck check) { read_check_ = std::move(check); }
  // A flag that, once true, ends a round in progress at the next page (Unavailable): a node
  // shutting down does not wait for a long or endless round. Must outlive this object.
  void set_stop(const std::atomic<bool>* stop) { stop_ = stop; }

 private:
  Status Pull(PeerState& state, SyncReport& report);
  Status Push(PeerState& state, SyncReport& report);
  Status PullDeletions(const store::Collection& local, PeerState& state, SyncReport& report);
  // POSTs one envelope to `target` and follows its status resource until the peer has decided
  // on every object.
  Result<internal::StatusResource> PostBatch(PeerState& state, const std::string& target,
                                             const std::string& body);
  // The other push_from collection that still releases `local_id` to the peer under
  // `sent_id`, if any: a deletion from `deleted_from` must not remove it there.
  Result<std::optional<std::string>> StillPushedFrom(std::string_view deleted_from,
                                                     const std::string& local_id,
                                                     const std::string& sent_id);
  Status PushDeletions(const store::Collection& collection, PeerState& state,
                       SyncReport& report);
  // `sign`: with a signature over `body`, or over `signed_bytes` when given (a DELETE).
  Result<net::ClientResponse> Request(const std::string& method, const std::string& target,
                                      const std::string& body, bool sign,
                                      const std::string* signed_bytes = nullptr);
  Result<std::string> ResolveCollection(const std::string& wanted);
  Status CheckSignature(const net::ClientRequest& request, const net::ClientResponse& response,
                        std::string_view nonce);
  // Unavailable once stop_ is set; FailedPrecondition past the pages one round may take.
  Status Interrupted(size_t pages) const;
  // The round stops: the peer answered `r` (its status and TAXII error message) to a request.
  Status Unexpected(std::string_view method, const std::string& target,
                    const net::ClientResponse& r) const;
  Result<net::HttpClient*> Client();

  PeerConfig peer_;
  store::Store& store_;
  const store::ReleaseGate& gate_;
  const SigningKey* key_;
  TrustedKeys trusted_;
  Status trusted_status_;
  std::string node_;
  std::unique_ptr<net::HttpClient> client_;
  SyncReport last_report_;
  ReadCheck read_check_;
  const std::atomic<bool>* stop_ = nullptr;
};

// Describes a report in a few plain lines (CLI and logs).
std::string DescribeReport(const SyncReport& report);

}  // namespace ctihub::sync
