// taxii/service: the whole of TAXII 2.1 (OASIS TAXII 2.1 OS, §4 Discovery and API roots, §5
// Collections, objects, manifests, versions, status) as one function from Request to Response,
// with no sockets: net/ feeds it, tests call it directly.
//
// Every request is authenticated (auth::Accounts: Basic, Bearer API keys, client certificates)
// except discovery when configured public; collection access follows the caller's grants, and
// a collection the caller may neither read nor write answers 404 exactly like one that does not
// exist. Objects leave only through store::OutboundReader, i.e. through the release gate.
// Objects are served as their stored bytes. Handle is thread-safe: each call borrows one
// worker (its own store connection and validator) from a pool.
//
//   Service service(options, store_factory, accounts.get(), gate);
//   taxii::Response r = service.Handle(request);
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <optional>
#include <unordered_map>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "auth/accounts.h"
#include "auth/login_throttle.h"
#include "common/status.h"
#include "store/release_gate.h"
#include "store/store.h"
#include "taxii/filters.h"
#include "taxii/request.h"

namespace ctihub::taxii {

inline constexpr std::string_view kTaxiiMediaType = "application/taxii+json;version=2.1";

struct ApiRootOptions {
  std::string name = "api";  // URL segment: /{name}/
  std::string title = "ctihub";
  std::string description;
  // Collections (ids or aliases) served under this root; "*" = every collection of the store
  // that no other root names.
  std::vector<std::string> collections{"*"};
};

struct ServiceOptions {
  std::string title = "ctihub";
  std::string description = "ctihub TAXII 2.1 server";
  std::string contact;
  std::string discovery_path = "/taxii2/";
  std::vector<ApiRootOptions> api_roots{ApiRootOptions{}};
  std::string default_api_root = "api";
  bool public_discovery = false;  // discovery answers without credentials
  // Absolute URL clients reach the server at (e.g. "https://hub.example.org:9443"), used in
  // discovery; empty: built from the request's scheme and Host header.
  std::string public_base_url;
  // How long status resources of POSTs are kept (TAXII clients poll them shortly after).
  std::chrono::minutes status_retention{24 * 60};
  auth::LoginThrottle::Options login_throttle;
  size_t max_content_length = 64u << 20;
  // Entries in one POSTed envelope: each has a line in the status resource (kept for
  // status_retention), so a body of tiny entries ([1,1,…]) would otherwise make a status of
  // gigabytes. Larger envelopes get 413 and nothing of them is stored.
  size_t max_envelope_objects = 100000;
  FilterLimits limits;
  // Federation peers told about deletions (organisations whose agreement has send_deletions):
  // what they read is recorded in the delivery ledger (channel "serve/ORG"), and
  // GET …/collections/{id}/x-ctihub-deletions/ lists, for them alone, which of it was deleted
  // since. Empty: no reads are recorded and the resource answers 404.
  std::vector<std::string> deletion_feed_organisations;
};

using StoreFactory = std::function<Result<std::unique_ptr<store::Store>>()>;

// Signatures between federated nodes, implemented by sync/ (which owns the keys): every
// successful response to an authenticated caller is signed, and an envelope POSTed by an
// organisation whose agreement requires signatures must carry a valid one.
class MessageSigner {
 public:
  virtual ~MessageSigner() = default;
  // The signature header (name, value) of a response body for `organisation`, or nullopt.
  virtual std::optional<std::pair<std::string, std::string>> SignResponse(
      std::string_view organisation, std::string_view body) const = 0;
  // OK to accept `body` POSTed by `organisation` with this signature header value (empty when
  // absent); Unauthenticated saying why when it must be refused.
  virtual Status VerifyUpload(std::string_view organisation, std::string_view signature,
                              std::string_view body) const = 0;
};

// What a DELETE of `object_id` from `collection_id` signs (with MessageSigner, like an upload's
// body): the request has no body, so the signature covers what it asks for.
std::string DeletionSignedBytes(std::string_view collection_id, std::string_view object_id);

// The request header with which a peer asks for a response bound to its request: a fresh random
// value per request (at most kMaxNonceLength of [0-9A-Za-z_-]).
inline constexpr std::string_view kNonceHeader = "x-ctihub-nonce";
inline constexpr size_t kMaxNonceLength = 64;
// What the response to a request carrying nonce `nonce` signs, so that it cannot be given as
// the answer to any other request (a captured status, an old page, another collection's page)
// nor have its date headers changed (a pulling peer's watermark is X-TAXII-Date-Added-Last):
// the nonce; the request — method, decoded path and query pairs in order (RequestLine), the
// SHA-256 of its body; the response's status, date headers and body.
struct SignedExchange {
  std::string_view nonce;
  std::string request_line;        // RequestLine(…)
  std::string request_body_sha256;  // Sha256Hex(request body)
  int status = 0;
  std::string_view date_added_first, date_added_last;
  std::string_view body;
};
std::string ResponseSignedBytes(const SignedExchange& exchange);
// "METHOD path?k=v&k=v" from the decoded path and pairs, each encoded again one fixed way (so
// no decoded text can fake a boundary): both ends compute it from what they sent or received.
std::string RequestLine(std::string_view method, std::string_view path,
                        const std::vector<std::pair<std::string, std::string>>& query);
std::string Sha256Hex(std::string_view bytes);

class Service {
 public:
  // `accounts` and `gate` must outlive the service. `max_workers` bounds the open store
  // connections; with a "memory:" store pass 1 (and a factory that hands out that one store).
  Service(ServiceOptions options, StoreFactory store_factory, auth::Accounts* accounts,
          const store::ReleaseGate* gate, size_t max_workers = 16);
  ~Service();

  Response Handle(const Request& request);
  // For net's admission hook: decides on a request that carries a body from its header alone
  // (authentication, route, permission, media type, declared size), before the body is read.
  // nullopt: read the body and Handle the request. `head.body` is ignored.
  std::optional<Response> Admit(const Request& head);

  // TAXII error message (§3.6.1) with this HTTP status, for net/'s own errors (413, 408, …).
  static Response Error(int http_status, std::string_view title, std::string_view description = {});

  const ServiceOptions& options() const { return options_; }
  // Releases (one event per page served), POSTs, DELETEs and sign-ins (failures, and the first
  // success of a user from an address each hour) go to this recorder; none when null. It must
  // outlive the service.
  void SetAudit(audit::Recorder* recorder) { audit_ = recorder; }
  // Signs responses and checks the signatures of uploads; none when null. Must outlive the
  // service.
  void SetSigner(const MessageSigner* signer) { signer_ = signer; }

 private:
  struct Worker;
  class WorkerLease;
  struct Call;
  WorkerLease Borrow();

  std::optional<Response> Authenticate(Call& call);
  std::optional<Response> AdmitPost(Call& call);
  void ExpireStatuses(store::Store& st);
  struct Resolved;
  Resolved ResolveCollection(Call& call, const ApiRootOptions& root, std::string_view id);
  Response Route(Call& call);
  bool InRoot(const ApiRootOptions& root, const store::Collection& c) const;
  Response Discovery(Call& call);
  Response ApiRoot(Call& call, const ApiRootOptions& root);
  Response StatusResource(Call& call, const ApiRootOptions& root, std::string_view status_id);
  Response Collections(Call& call, const ApiRootOptions& root);
  Response CollectionResource(Call& call, const ApiRootOptions& root, std::string_view id);
  Response GetObjects(Call& call, const store::Collection& c, Endpoint endpoint,
                      std::string_view object_id);
  Response DeletionFeed(Call& call, const store::Collection& c);
  bool FeedsDeletionsTo(std::string_view organisation) const;
  Response PostObjects(Call& call, const ApiRootOptions& root, const store::Collection& c,
                       bool can_read);
  // `own_only`: the caller may write but not read the collection (a federation inbox), so it
  // deletes only the versions its organisation sent, and learns nothing about the others.
  Response DeleteObject(Call& call, const store::Collection& c, std::string_view object_id,
                        bool own_only);
  // Whether the caller may learn that this stored version exists: an administrator, the
  // organisation that sent it, or one the gate releases it to under this id.
  bool MayKnowOf(const Call& call, const store::StoredObject& o) const;

  ServiceOptions options_;
  StoreFactory store_factory_;
  auth::Accounts* accounts_;
  const store::ReleaseGate* gate_;
  size_t max_workers_;
  void Audit(const Call& call, std::string kind, std::string subject, std::string outcome,
             std::string details = {}, std::vector<std::string> rules = {});

  auth::LoginThrottle throttle_;
  audit::Recorder* audit_ = nullptr;
  const MessageSigner* signer_ = nullptr;
  // Whether `key` was not seen within `window` (and is now): audit entries that would repeat
  // for every request (sign-ins, throttled guesses) are kept once per window.
  bool FirstIn(const std::string& key, std::chrono::steady_clock::duration window);
  // Whether `key` was seen (by FirstIn) within `window`.
  bool SeenWithin(const std::string& key, std::chrono::steady_clock::duration window);
  std::mutex signed_in_mu_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> signed_in_;
  std::atomic<int64_t> next_status_expiry_ms_{0};
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Worker>> idle_;
  size_t workers_ = 0;
};

}  // namespace ctihub::taxii
