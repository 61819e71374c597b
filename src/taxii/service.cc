#include "taxii/service.h"

#include <openssl/evp.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

#include "common/time.h"
#include "common/uuid.h"
#include "stix/canonical_json.h"
#include "stix/json_reader.h"
#include "stix/object.h"
#include "stix/validator.h"

namespace ctihub::taxii {

struct Service::Worker {
  std::unique_ptr<store::Store> store;
  stix::Validator validator;
  simdjson::dom::parser parser;
};

class Service::WorkerLease {
 public:
  WorkerLease(Service* service, std::unique_ptr<Worker> worker, Status status)
      : service_(service), worker_(std::move(worker)), status_(std::move(status)) {}
  WorkerLease(WorkerLease&&) = default;
  ~WorkerLease() {
    if (!worker_) return;
    std::lock_guard lock(service_->mutex_);
    service_->idle_.push_back(std::move(worker_));
    service_->returned_.notify_one();
  }
  Worker* get() const { return worker_.get(); }
  const Status& status() const { return status_; }

 private:
  Service* service_;
  std::unique_ptr<Worker> worker_;
  Status status_;
};

// Per-request state: the request, its caller, and the worker it borrowed.
struct Service::Call {
  const Request& request;
  auth::Principal principal;
  bool authenticated = false;
  Worker* worker = nullptr;
  store::Recipient recipient() const {
    return {principal.user, principal.organisation, principal.admin};
  }
};

namespace {

constexpr std::string_view kStatusRecordKind = "taxii-status";
// Versions a non-administrator POSTed and was told were accepted, though the store refused them
// for clashing with a version it may not know of (see PostObjects): one record per (collection,
// organisation, object id), a line "version date_added versioned spec_version" per version.
// DELETE treats them as that organisation's own versions, so that deleting one answers as
// deleting a stored upload would (200), not 404, which would reveal the hidden version.
constexpr std::string_view kMaskedPostKind = "taxii-masked-post";

std::string MaskedPostKey(std::string_view collection_id, std::string_view organisation,
                          std::string_view object_id) {
  return std::string(collection_id) + "\t" + std::string(organisation) + "\t" +
         std::string(object_id);
}

// The versions a masked-post record holds, as stored versions (id, version, version_text,
// date_added and spec_version only).
std::vector<store::StoredObject> ParseMaskedPosts(std::string_view object_id,
                                                  std::string_view value) {
  std::vector<store::StoredObject> out;
  std::istringstream lines{std::string(value)};
  int64_t version = 0, added = 0;
  int versioned = 0;
  std::string spec_version;
  while (lines >> version >> added >> versioned >> spec_version) {
    store::StoredObject o;
    o.id = std::string(object_id);
    o.version = version;
    if (versioned) o.version_text = Timestamp(version).ToString();
    o.date_added = Timestamp(added);
    o.spec_version = spec_version;
    out.push_back(std::move(o));
  }
  return out;
}

std::string MaskedPostsValue(const std::vector<store::StoredObject>& versions) {
  std::string value;
  for (const store::StoredObject& o : versions) {
    value += std::to_string(o.version) + " " + std::to_string(o.date_added.micros()) + " " +
             (o.version_text.empty() ? "0" : "1") + " " + o.spec_version + "\n";
  }
  return value;
}
// The delivery ledger channel of what a federation peer read here (+ its organisation).
const std::string kServeChannel = "serve/";
// A body on a request that takes none (GET with a stray body) is read and ignored up to this;
// larger ones are refused at the header.
constexpr uint64_t kMaxIgnoredBody = 64 << 10;

// --- The shape of a POSTed envelope ---------------------------------------------------------

// Empty when `body` is one TAXII envelope (§3.7): a single JSON object whose `objects`, if
// present, is an array, `more` a boolean and `next` a string, with nothing after it; a STIX
// bundle is accepted as well. Else why not, for a 400. The objects themselves are the
// validator's; this pass skips over them (simdjson on demand), so it costs a scan of the bytes.
std::string EnvelopeShapeProblem(std::string_view body) {
  namespace od = simdjson::ondemand;
  thread_local od::parser parser;
  // A UTF-8 byte order mark, as .NET and PowerShell clients send, is not content (the object
  // reader skips it too).
  if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);
  simdjson::padded_string padded(body);
  od::document doc;
  od::object top;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS ||
      doc.get_object().get(top) != simdjson::SUCCESS) {
    return "the body is not one well-formed JSON object";
  }
  bool is_bundle = false, has_bundle_keys = false, has_paging = false;
  std::string bundle_id_problem;
  int objects_lists = 0;
  for (auto field : top) {
    std::string_view key;
    od::value value;
    od::field f;
    if (std::move(field).get(f) != simdjson::SUCCESS) return "the body is not well-formed JSON";
    // An escaped name ("obj\u0065cts") is one the object reader would not recognise: its
    // objects would be dropped without a word.
    for (const char* c = f.key().raw(); *c != '"'; ++c) {
      if (*c == '\\') return "a property name of the envelope is written with escapes";
    }
    if (f.unescaped_key().get(key) != simdjson::SUCCESS) return "the body is not well-formed JSON";
    value = f.value();
    od::json_type type;
    if (value.type().get(type) != simdjson::SUCCESS) return "the body is not well-formed JSON";
    auto must_be = [&](od::json_type wanted, const char* what) -> std::string {
      if (type != wanted) return "'" + std::string(key) + "' must be " + what;
      return {};
    };
    std::string wrong;
    if (key == "objects") {
      wrong = must_be(od::json_type::array, "an array of STIX objects");
      if (++objects_lists > 1) wrong = "'objects' appears twice";
    } else if (key == "more") {
      wrong = must_be(od::json_type::boolean, "a boolean");
      has_paging = true;
    } else if (key == "next") {
      wrong = must_be(od::json_type::string, "a string");
      has_paging = true;
    } else if (key == "type") {
      std::string_view text;
      is_bundle = value.get_string().get(text) == simdjson::SUCCESS && text == "bundle";
      if (!is_bundle) return "the body is one STIX object, not an envelope of them";
    } else if (key == "id" || key == "spec_version") {
      has_bundle_keys = true;
      std::string_view text;
      if (value.get_string().get(text) != simdjson::SUCCESS) {
        wrong = "'" + std::string(key) + "' must be a string";
      } else if (key == "id" && !text.starts_with("bundle--")) {
        bundle_id_problem = "a bundle's id is bundle--<UUID>";
      }
    } else if (key.starts_with("x_")) {
      // A custom property (STIX 2.1 §11.1 naming): tolerated, like a bundle's.
    } else {
      wrong = "'" + std::string(key) + "' is not a property of an envelope";
    }
    if (!wrong.empty()) return wrong;
  }
  if (has_bundle_keys && !is_bundle) return "'id' and 'spec_version' belong to a bundle only";
  if (is_bundle && has_paging) return "'more' and 'next' belong to an envelope, not a bundle";
  if (is_bundle && !bundle_id_problem.empty()) return bundle_id_problem;
  const char* after = nullptr;  // where the next token is: none, at the end
  if (doc.current_location().get(after) == simdjson::SUCCESS) {
    return "the body goes on after the envelope";
  }
  return {};
}

// --- Content negotiation (TAXII 2.1 §1.6.8) ----------------------------------------------

struct MediaType {
  std::string type;  // "application/taxii+json", lower-case
  std::string version;
  double q = 1;
};

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

MediaType ParseMediaType(std::string_view text) {
  MediaType m;
  size_t semi = text.find(';');
  m.type = Lower(Trim(text.substr(0, semi)));
  while (semi != std::string_view::npos) {
    text.remove_prefix(semi + 1);
    semi = text.find(';');
    std::string param = Trim(text.substr(0, semi));
    size_t eq = param.find('=');
    if (eq == std::string::npos) continue;
    std::string name = Lower(Trim(std::string_view(param).substr(0, eq)));
    std::string value = Trim(std::string_view(param).substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (name == "version") m.version = value;
    if (name == "q") m.q = std::atof(value.c_str());
  }
  return m;
}

bool IsTaxii21(const MediaType& m) {
  return m.type == "application/taxii+json" && (m.version.empty() || m.version == "2.1");
}

// An absent Accept takes the default; otherwise one listed range must admit TAXII 2.1 JSON.
bool AcceptsTaxii(std::string_view accept) {
  if (Trim(accept).empty()) return true;
  while (true) {
    size_t comma = accept.find(',');
    MediaType m = ParseMediaType(accept.substr(0, comma));
    if (m.q > 0 && (IsTaxii21(m) || m.type == "*/*" || m.type == "application/*")) return true;
    if (comma == std::string_view::npos) return false;
    accept.remove_prefix(comma + 1);
  }
}

// --- Responses -----------------------------------------------------------------------------

Response Json(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", std::string(kTaxiiMediaType));
  r.body = std::move(body);
  return r;
}

std::string VersionText(const store::StoredObject& o) {
  if (!o.version_text.empty()) return o.version_text;
  // No `modified`: TAXII uses `created`, else date_added (TAXII 2.1 §3.4.1).
  if (o.version != 0) return Timestamp(o.version).ToString();
  return o.date_added.ToString();
}


std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view seg = path.substr(0, slash);
    if (!seg.empty()) out.push_back(seg);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

Response MethodNotAllowed(std::string_view allow) {
  // HEAD is answered wherever GET is (RFC 9110 section 9.3.2), so Allow names it too.
  std::string methods(allow);
  if (methods.rfind("GET", 0) == 0) methods.insert(3, ", HEAD");
  Response r = Service::Error(405, "Method not allowed", "this resource accepts " + methods);
  r.headers.emplace_back("Allow", methods);
  return r;
}

int HttpStatusFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kResourceExhausted: return 507;  // the store's disk is full
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kUnimplemented: return 501;
    default: return 500;
  }
}

// 503 (a busy store or accounts) tells the client when to come back.
Response FromStatus(const Status& s, std::string_view title) {
  Response r = Service::Error(HttpStatusFor(s), title, s.message());
  if (r.status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

void WriteStatusDetail(stix::JsonWriter& w, std::string_view id, std::string_view version,
                       std::string_view message) {
  w.BeginObject().Key("id").String(id).Key("version").String(version);
  if (!message.empty()) w.Key("message").String(message);
  w.EndObject();
}

}  // namespace

Service::Service(ServiceOptions options, StoreFactory store_factory, auth::Accounts* accounts,
                 const store::ReleaseGate* gate, size_t max_workers)
    : options_(std::move(options)),
      store_factory_(std::move(store_factory)),
      accounts_(accounts),
      gate_(gate),
      max_workers_(std::max<size_t>(1, max_workers)),
      throttle_(options_.login_throttle) {}

Service::~Service() = default;

Service::WorkerLease Service::Borrow() {
  std::unique_lock lock(mutex_);
  while (idle_.empty() && workers_ >= max_workers_) returned_.wait(lock);
  if (!idle_.empty()) {
    std::unique_ptr<Worker> w = std::move(idle_.back());
    idle_.pop_back();
    return WorkerLease(this, std::move(w), Status::Ok());
  }
  ++workers_;
  lock.unlock();
  // Opening a store connection happens outside the lock: it may take a while (schema check).
  Result<std::unique_ptr<store::Store>> store = store_factory_();
  if (!store.ok()) {
    std::lock_guard relock(mutex_);
    --workers_;
    returned_.notify_one();
    return WorkerLease(this, nullptr, store.status());
  }
  auto worker = std::make_unique<Worker>();
  worker->store = std::move(*store);
  return WorkerLease(this, std::move(worker), Status::Ok());
}

Response Service::Error(int http_status, std::string_view title, std::string_view description) {
  stix::JsonWriter w;
  w.BeginObject().Key("title").String(title);
  if (!description.empty()) w.Key("description").String(description);
  w.Key("http_status").String(std::to_string(http_status)).EndObject();
  Response r = Json(http_status, std::move(w).Take());
  if (http_status == 401) {
    r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"ctihub\", Bearer realm=\"ctihub\"");
  }
  return r;
}

Response Service::Handle(const Request& request) {
  Call call{request, {}, false, nullptr};
  // Nothing is served (or taken in) that the node cannot record.
  if (audit_ && !audit_->healthy()) {
    return Error(503, "Audit log unavailable",
                 "this node cannot record what it serves (its audit log failed; see the node's "
                 "log); try again later");
  }
  if (std::optional<Response> refused = Authenticate(call)) return std::move(*refused);
  WorkerLease lease = Borrow();
  if (!lease.status().ok()) return FromStatus(lease.status(), "Store unavailable");
  call.worker = lease.get();
  Response response = Route(call);
  if (signer_ && call.authenticated && response.status >= 200 && response.status < 300) {
    // With a nonce the signature binds the response to its request and its date headers;
    // without one (a client that is not a ctihub peer) it covers the body.
    std::string_view nonce = request.Header(kNonceHeader);
    const bool bound = !nonce.empty() && nonce.size() <= kMaxNonceLength &&
                       std::all_of(nonce.begin(), nonce.end(), [](char c) {
                         return std::isalnum(static_cast<unsigned char>(c)) || c == '-' ||
                                c == '_';
                       });
    auto header_of = [&](std::string_view name) -> std::string_view {
      for (const auto& [n, v] : response.headers) {
        if (n == name) return v;
      }
      return {};
    };
    std::optional<std::pair<std::string, std::string>> header;
    if (bound) {
      SignedExchange exchange;
      exchange.nonce = nonce;
      exchange.request_line = RequestLine(request.method, request.path, request.query);
      exchange.request_body_sha256 = Sha256Hex(request.body);
      exchange.status = response.status;
      exchange.date_added_first = header_of("X-TAXII-Date-Added-First");
      exchange.date_added_last = header_of("X-TAXII-Date-Added-Last");
      exchange.body = response.body;
      header = signer_->SignResponse(call.principal.organisation, ResponseSignedBytes(exchange));
    } else {
      header = signer_->SignResponse(call.principal.organisation, response.body);
    }
    if (header) response.headers.push_back(std::move(*header));
  }
  return response;
}

// Content negotiation, then authentication — first, so that nothing, not even whether a path
// exists, is revealed to a caller without valid credentials (discovery excepted when configured
// public). An address with too many recent failures is refused before any Argon2 work.
std::optional<Response> Service::Authenticate(Call& call) {
  const Request& request = call.request;
  if (!AcceptsTaxii(request.Header("accept"))) {
    return Error(406, "Not acceptable",
                 "this server answers with application/taxii+json;version=2.1; the Accept "
                 "header does not admit it");
  }
  std::string_view authorization = request.Header("authorization");
  const bool has_credentials = !authorization.empty() || !request.client_cert_sha256.empty();
  // Under the throttle, only credentials verified recently (cached) get in, and only for a user
  // that signed in from this address before: a client already signed in keeps working while
  // guesses from its address cost nothing — and a guess that happens to be another address's
  // cached credential gets no answer the others do not.
  const std::string address = auth::LoginThrottle::AddressKey(request.remote_address);
  std::optional<std::chrono::seconds> throttled;
  if (!authorization.empty() && !address.empty()) throttled = throttle_.RetryAfter(address);
  Result<auth::Principal> who = Unauthenticated("no credentials");
  if (!authorization.empty()) {
    who = accounts_->AuthenticateHeader(
        authorization, throttled ? auth::Verification::kCacheOnly : auth::Verification::kAllowed);
  } else if (!request.client_cert_sha256.empty()) {
    who = accounts_->AuthenticateCertificate(request.client_cert_sha256);
  }
  if (throttled && who.ok() && !SeenWithin(who->user + " " + address, std::chrono::hours(1))) {
    who = Unauthenticated("throttled");
  }
  if (throttled && !who.ok()) {
    // Refused guesses are audited too, once per address and minute (a guesser must not be able
    // to flood the log).
    if (audit_ && FirstIn("\x01throttled " + address, std::chrono::minutes(1))) {
      Audit(call, "login-failure", "password or key", "throttled");
    }
    Response r = Error(429, "Too many failed sign-ins",
                       "too many failed sign-ins from your address; retry in " +
                           std::to_string(throttled->count()) + " s");
    r.headers.emplace_back("Retry-After", std::to_string(throttled->count()));
    return r;
  }
  if (who.ok()) {
    call.principal = std::move(*who);
    call.authenticated = true;
    // Every request authenticates; the log keeps the first of each user and address per hour
    // (and the throttle above, which users signed in from where).
    if (FirstIn(call.principal.user + " " + address, std::chrono::hours(1)) && audit_) {
      Audit(call, "login", call.principal.user, "ok (" + call.principal.method + ")");
    }
  } else if (who.status().code() != StatusCode::kUnauthenticated) {
    // The accounts could not be read, or too many sign-ins are being verified: a server
    // condition (503 + Retry-After when passing), not the caller's credentials.
    return FromStatus(who.status(), "Accounts unavailable");
  } else if (has_credentials) {
    if (!address.empty()) throttle_.RecordFailure(address);
    Audit(call, "login-failure",
          authorization.empty() ? "certificate " + request.client_cert_sha256
                                : auth::AttemptedAccount(authorization),
          "refused");
  }
  const bool is_discovery = Segments(request.path) == Segments(options_.discovery_path) &&
                            !Segments(request.path).empty();
  if (!call.authenticated && !(is_discovery && options_.public_discovery)) {
    return Error(401, "Authentication required",
                 has_credentials
                     ? "invalid credentials"
                     : "send HTTP Basic credentials or an API key (Authorization: Bearer …)");
  }
  return std::nullopt;
}

bool Service::SeenWithin(const std::string& key, std::chrono::steady_clock::duration window) {
  std::lock_guard lock(signed_in_mu_);
  auto it = signed_in_.find(key);
  return it != signed_in_.end() && std::chrono::steady_clock::now() - it->second <= window;
}

bool Service::FirstIn(const std::string& key, std::chrono::steady_clock::duration window) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(signed_in_mu_);
  if (signed_in_.size() > 100000) signed_in_.clear();
  auto [it, inserted] = signed_in_.try_emplace(key, now);
  const bool first = inserted || now - it->second > window;
  if (first) it->second = now;
  return first;
}

void Service::Audit(const Call& call, std::string kind, std::string subject,
                    std::string outcome, std::string details, std::vector<std::string> rules) {
  if (!audit_) return;
  audit::AuditEvent e;
  e.kind = std::move(kind);
  e.actor = call.authenticated ? call.principal.user : "(unauthenticated)";
  if (!call.request.remote_address.empty()) e.actor += " from " + call.request.remote_address;
  e.subject = std::move(subject);
  e.outcome = std::move(outcome);
  e.details = std::move(details);
  e.rules = std::move(rules);
  audit_->Record(std::move(e));
}

struct Service::Resolved {
  std::optional<Response> refusal;  // set: answer this instead
  store::Collection collection;
  auth::Permission permission = auth::Permission::kNone;
};

// A collection the caller may not touch at all is "not found", exactly like a missing one or
// one of another API root, so its existence is not revealed (a 403 would be).
Service::Resolved Service::ResolveCollection(Call& call, const ApiRootOptions& root,
                                             std::string_view id) {
  Resolved out;
  Result<store::Collection> found = call.worker->store->FindCollection(id);
  Response not_found =
      Error(404, "Not found", "no collection '" + std::string(id) + "' under this API root");
  if (!found.ok()) {
    out.refusal = found.status().code() == StatusCode::kNotFound
                      ? not_found
                      : FromStatus(found.status(), "Store error");
    return out;
  }
  if (!InRoot(root, *found)) {
    out.refusal = std::move(not_found);
    return out;
  }
  Result<auth::Permission> permission = accounts_->PermissionOn(call.principal, found->id);
  if (!permission.ok()) {
    out.refusal = FromStatus(permission.status(), "Accounts error");
    return out;
  }
  // A partner's agreement names what may be released to it; a collection outside it stays
  // writable when granted (a federation inbox), but is never readable.
  if (!gate_->CollectionVisible(call.recipient(), *found)) {
    *permission = auth::CanWrite(*permission) ? auth::Permission::kWrite : auth::Permission::kNone;
  }
  if (*permission == auth::Permission::kNone) {
    out.refusal = std::move(not_found);
    return out;
  }
  out.collection = std::move(*found);
  out.permission = *permission;
  return out;
}

std::optional<Response> Service::Admit(const Request& head) {
  Call call{head, {}, false, nullptr};
  if (std::optional<Response> refused = Authenticate(call)) return refused;
  if (head.method != "POST") {
    // No other TAXII request has a body; a small one is read and ignored, a large one is not.
    uint64_t length = 0;
    std::string_view declared = head.Header("content-length");
    if (!declared.empty() && std::from_chars(declared.data(), declared.data() + declared.size(),
                                             length).ec == std::errc() &&
        length <= kMaxIgnoredBody) {
      return std::nullopt;
    }
    return Error(413, "Request body not accepted",
                 head.method + " requests carry no body in TAXII; only POST to objects does");
  }
  WorkerLease lease = Borrow();
  if (!lease.status().ok()) return FromStatus(lease.status(), "Store unavailable");
  call.worker = lease.get();
  return AdmitPost(call);
}

// The header checks of a POST to /{root}/collections/{id}/objects/: the same answers Route and
// PostObjects would give, before the envelope is read. Other POST targets are answered by
// Route once their (small) body is in, or refused here when it is large.
std::optional<Response> Service::AdmitPost(Call& call) {
  const Request& request = call.request;
  std::vector<std::string_view> seg = Segments(request.path);
  const ApiRootOptions* root = nullptr;
  for (const ApiRootOptions& r : options_.api_roots) {
    if (!seg.empty() && r.name == seg[0]) root = &r;
  }
  std::string_view declared = request.Header("content-length");
  uint64_t length = 0;
  const bool has_length =
      !declared.empty() &&
      std::from_chars(declared.data(), declared.data() + declared.size(), length).ec ==
          std::errc();
  if (!root || seg.size() != 4 || seg[1] != "collections" || seg[3] != "objects") {
    if (has_length && length <= kMaxIgnoredBody) return std::nullopt;
    return Error(404, "Not found", "POST envelopes to /{api-root}/collections/{id}/objects/");
  }
  Resolved resolved = ResolveCollection(call, *root, seg[2]);
  if (resolved.refusal) return std::move(resolved.refusal);
  if (!auth::CanWrite(resolved.permission)) {
    return Error(403, "Forbidden", "you may not write this collection");
  }
  if (!IsTaxii21(ParseMediaType(request.Header("content-type")))) {
    return Error(415, "Unsupported media type",
                 "POST an envelope with Content-Type: application/taxii+json;version=2.1");
  }
  if (has_length && length > options_.max_content_length) {
    return Error(413, "Envelope too large",
                 "the envelope has " + std::to_string(length) +
                     " bytes; this API root accepts at most " +
                     std::to_string(options_.max_content_length));
  }
  return std::nullopt;
}

Response Service::Route(Call& call) {
  const Request& request = call.request;
  std::vector<std::string_view> seg = Segments(request.path);
  if (seg.empty()) return Error(404, "Not found", "TAXII discovery is at " +
                                                       options_.discovery_path);
  if (seg == Segments(options_.discovery_path)) {
    if (request.method != "GET" && request.method != "HEAD") return MethodNotAllowed("GET");
    return Discovery(call);
  }
  const ApiRootOptions* root = nullptr;
  for (const ApiRootOptions& r : options_.api_roots) {
    if (r.name == seg[0]) root = &r;
  }
  if (!root) return Error(404, "Not found", "no API root '" + std::string(seg[0]) + "'");
  const bool get = request.method == "GET" || request.method == "HEAD";
  if (seg.size() == 1) {
    if (!get) return MethodNotAllowed("GET");
    return ApiRoot(call, *root);
  }
  if (seg[1] == "status" && seg.size() == 3) {
    if (!get) return MethodNotAllowed("GET");
    return StatusResource(call, *root, seg[2]);
  }
  if (seg[1] != "collections") return Error(404, "Not found", "no such resource");
  if (seg.size() == 2) {
    if (!get) return MethodNotAllowed("GET");
    return Collections(call, *root);
  }
  if (seg.size() == 3) {
    if (!get) return MethodNotAllowed("GET");
    return CollectionResource(call, *root, seg[2]);
  }

  Resolved resolved = ResolveCollection(call, *root, seg[2]);
  if (resolved.refusal) return std::move(*resolved.refusal);
  const store::Collection& found = resolved.collection;
  const bool can_read = auth::CanRead(resolved.permission),
             can_write = auth::CanWrite(resolved.permission);
  auto forbidden = [&](std::string_view what) {
    return Error(403, "Forbidden", "you may not " + std::string(what) + " this collection");
  };

  std::string_view leaf = seg[3];
  if (seg.size() == 4 && leaf == "objects") {
    if (get) return can_read ? GetObjects(call, found, Endpoint::kObjects, {}) : forbidden("read");
    if (request.method == "POST") {
      return can_write ? PostObjects(call, *root, found, can_read) : forbidden("write");
    }
    return MethodNotAllowed("GET, POST");
  }
  if (seg.size() == 4 && leaf == "x-ctihub-deletions") {
    if (!get) return MethodNotAllowed("GET");
    return can_read ? DeletionFeed(call, found) : forbidden("read");
  }
  if (seg.size() == 4 && leaf == "manifest") {
    if (!get) return MethodNotAllowed("GET");
    return can_read ? GetObjects(call, found, Endpoint::kManifest, {}) : forbidden("read");
  }
  if (seg.size() == 5 && leaf == "objects") {
    if (get) return can_read ? GetObjects(call, found, Endpoint::kObject, seg[4]) : forbidden("read");
    if (request.method == "DELETE") {
      // Read and write, as the reference server asks. With write alone (a federation inbox)
      // only what the caller's organisation sent: 200-vs-404 must not tell it what else a
      // collection it cannot read holds (found in review).
      if (!can_write) return forbidden("delete from");
      if (!can_read && !gate_->AcceptsDeletions(call.recipient())) {
        return Error(403, "Forbidden",
                     "the agreement with '" + call.principal.organisation +
                         "' does not accept its deletions");
      }
      return DeleteObject(call, found, seg[4], /*own_only=*/!can_read);
    }
    return MethodNotAllowed("GET, DELETE");
  }
  if (seg.size() == 6 && leaf == "objects" && seg[5] == "versions") {
    if (!get) return MethodNotAllowed("GET");
    return can_read ? GetObjects(call, found, Endpoint::kVersions, seg[4]) : forbidden("read");
  }
  return Error(404, "Not found", "no such resource");
}

// A root serves the collections it names (by id or alias); a "*" root serves every collection
// that no other root names.
bool Service::InRoot(const ApiRootOptions& root, const store::Collection& c) const {
  auto names = [&](const ApiRootOptions& r) {
    return std::any_of(r.collections.begin(), r.collections.end(),
                       [&](const std::string& n) { return n == c.id || n == c.alias; });
  };
  if (names(root)) return true;
  if (std::find(root.collections.begin(), root.collections.end(), "*") == root.collections.end()) {
    return false;
  }
  return std::none_of(options_.api_roots.begin(), options_.api_roots.end(),
                      [&](const ApiRootOptions& other) { return &other != &root && names(other); });
}

Response Service::Discovery(Call& call) {
  std::string base = options_.public_base_url;
  if (base.empty()) {
    std::string host(call.request.Header("host"));
    if (!host.empty()) base = call.request.scheme + "://" + host;
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  stix::JsonWriter w;
  w.BeginObject().Key("title").String(options_.title);
  if (!options_.description.empty()) w.Key("description").String(options_.description);
  if (!options_.contact.empty()) w.Key("contact").String(options_.contact);
  // Without credentials (public discovery) only the title is shown.
  if (call.authenticated) {
    if (!options_.default_api_root.empty()) {
      w.Key("default").String(base + "/" + options_.default_api_root + "/");
    }
    w.Key("api_roots").BeginArray();
    for (const ApiRootOptions& root : options_.api_roots) w.String(base + "/" + root.name + "/");
    w.EndArray();
  }
  w.EndObject();
  return Json(200, std::move(w).Take());
}

Response Service::ApiRoot(Call&, const ApiRootOptions& root) {
  stix::JsonWriter w;
  w.BeginObject().Key("title").String(root.title);
  if (!root.description.empty()) w.Key("description").String(root.description);
  w.Key("versions").BeginArray().String(kTaxiiMediaType).EndArray();
  w.Key("max_content_length").Uint(options_.max_content_length).EndObject();
  return Json(200, std::move(w).Take());
}

// Stored as "<organisation>/<user> <api root>\n<status JSON>": only its requester (or an admin)
// may read it, and only under the API root it was made in (§4.3: status resources belong to a
// root). The organisation is part of the owner: a user removed and added again under another
// organisation (or moved to one) does not read what it posted for the first.
namespace {
std::string StatusOwner(const auth::Principal& who) { return who.organisation + "/" + who.user; }
}  // namespace

Response Service::StatusResource(Call& call, const ApiRootOptions& root,
                                 std::string_view status_id) {
  Result<std::optional<std::string>> record =
      call.worker->store->GetRecord(kStatusRecordKind, status_id);
  if (!record.ok()) return FromStatus(record.status(), "Store error");
  if (record->has_value()) {
    std::string_view text = **record;
    size_t nl = text.find('\n');
    std::string_view owner = text.substr(0, std::min(nl, text.size()));
    size_t space = owner.find(' ');
    if (nl != std::string_view::npos && space != std::string_view::npos &&
        owner.substr(space + 1) == root.name &&
        (call.principal.admin || owner.substr(0, space) == StatusOwner(call.principal))) {
      return Json(200, std::string(text.substr(nl + 1)));
    }
  }
  return Error(404, "Not found", "no status '" + std::string(status_id) + "'");
}

// Status resources are keyed by time-ordered ids; about once a minute, those older than the
// retention go in one range delete.
void Service::ExpireStatuses(store::Store& st) {
  int64_t now_ms = Timestamp::Now().micros() / 1000;
  int64_t due = next_status_expiry_ms_.load();
  if (now_ms < due || !next_status_expiry_ms_.compare_exchange_strong(due, now_ms + 60'000)) {
    return;
  }
  int64_t cutoff = now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(
                                options_.status_retention).count();
  // The smallest id of the cutoff millisecond: every id made before it sorts below.
  std::string bound = Uuid::TimeOrderedV7(cutoff).ToString().substr(0, 13);
  (void)st.DeleteRecordsBefore(kStatusRecordKind, bound);  // a failure is retried next minute
}

Response Service::Collections(Call& call, const ApiRootOptions& root) {
  Result<std::vector<store::Collection>> all = call.worker->store->ListCollections();
  if (!all.ok()) return FromStatus(all.status(), "Store error");
  stix::JsonWriter w;
  w.BeginObject();
  bool any = false;
  for (const store::Collection& c : *all) {
    Response one = CollectionResource(call, root, c.id);
    if (one.status != 200) continue;
    if (!any) w.Key("collections").BeginArray();
    any = true;
    w.Raw(one.body);
  }
  if (any) w.EndArray();
  w.EndObject();
  return Json(200, std::move(w).Take());
}

Response Service::CollectionResource(Call& call, const ApiRootOptions& root, std::string_view id) {
  Resolved resolved = ResolveCollection(call, root, id);
  if (resolved.refusal) return std::move(*resolved.refusal);
  const store::Collection& c = resolved.collection;
    stix::JsonWriter w;
  w.BeginObject().Key("id").String(c.id).Key("title").String(c.title);
  if (!c.description.empty()) w.Key("description").String(c.description);
  if (!c.alias.empty()) w.Key("alias").String(c.alias);
  w.Key("can_read").Bool(auth::CanRead(resolved.permission));
  w.Key("can_write").Bool(auth::CanWrite(resolved.permission));
  w.Key("media_types").BeginArray();
  for (const std::string& m : c.media_types) w.String(m);
  w.EndArray().EndObject();
  return Json(200, std::move(w).Take());
}

Response Service::GetObjects(Call& call, const store::Collection& c, Endpoint endpoint,
                             std::string_view object_id) {
  Result<ParsedFilters> filters =
      ParseFilters(endpoint, call.request.query, options_.limits, object_id);
  if (!filters.ok()) return Error(400, "Bad filter", filters.status().message());
  store::OutboundReader reader(*call.worker->store, *gate_);
  store::ReleaseTally tally;
  // match[version] first and last are among the versions the caller may receive (the reader's).
  Result<store::Page> page = reader.List(c.id, filters->query, call.recipient(), &tally);
  if (!page.ok()) return FromStatus(page.status(), "Store error");
  if (audit_ && (tally.released || tally.withheld)) {
    stix::JsonWriter d;
    d.BeginObject().Key("endpoint").String(call.request.path);
    if (!page->objects.empty()) {
      d.Key("first_date_added").String(page->objects.front().date_added.ToString());
      d.Key("last_date_added").String(page->objects.back().date_added.ToString());
    }
    for (auto [key, ids] : {std::pair{"redacted", &tally.redacted_ids},
                            std::pair{"withheld", &tally.withheld_ids}}) {
      if (ids->empty()) continue;
      d.Key(key).BeginArray();
      for (const std::string& id : *ids) d.String(id);
      d.EndArray();
    }
    if (!tally.rules.empty()) {
      d.Key("rules").BeginObject();
      for (const auto& [rule, count] : tally.rules) d.Key(rule).Uint(count);
      d.EndObject();
    }
    d.EndObject();
    std::vector<std::string> rule_ids;
    for (const auto& [rule, count] : tally.rules) rule_ids.push_back(rule);
    Audit(call, "release", c.id,
          "released " + std::to_string(tally.released) + ", redacted " +
              std::to_string(tally.redacted) + ", withheld " + std::to_string(tally.withheld),
          std::move(d).Take(), std::move(rule_ids));
  }
  if (!page->objects.empty() && FeedsDeletionsTo(call.principal.organisation)) {
    // Recorded before the page goes out: a peer must never hold something it will not be
    // told was deleted (an unrecorded read fails, and the peer asks again).
    std::vector<store::Delivery> read;
    read.reserve(page->objects.size());
    for (const store::StoredObject& o : page->objects) {
      read.push_back({c.id, o.stored_id.empty() ? o.id : o.stored_id, o.id, ""});
    }
    Status recorded = call.worker->store->RecordDeliveries(
        kServeChannel + call.principal.organisation, read);
    if (!recorded.ok()) return FromStatus(recorded, "Could not record the delivery");
  }
  if ((endpoint == Endpoint::kObject || endpoint == Endpoint::kVersions) &&
      page->objects.empty() && !filters->query.after && !filters->query.added_after) {
    // Not found, unless the caller may receive some version of it and only the version or
    // spec_version filter left nothing: then an empty envelope (§5.6, §5.8).
    store::Query any = filters->query;
    any.versions = store::VersionMatch::All();
    any.spec_versions.clear();
    any.limit = 1;
    Result<store::Page> exists = reader.List(c.id, any, call.recipient());
    if (!exists.ok()) return FromStatus(exists.status(), "Store error");
    if (exists->objects.empty()) {
      return Error(404, "Not found",
                   "no object '" + std::string(object_id) + "' in collection " + c.id);
    }
  }

  size_t bytes = 64;
  for (const store::StoredObject& o : page->objects) bytes += o.text.size() + 128;
  stix::JsonWriter w(bytes);
  w.BeginObject().Key("more").Bool(page->more);
  if (page->more && page->next) {
    w.Key("next").String(EncodeNextToken(*page->next, filters->fingerprint));
  }
  if (!page->objects.empty()) {
    if (endpoint == Endpoint::kVersions) {
      w.Key("versions").BeginArray();
      for (const store::StoredObject& o : page->objects) w.String(VersionText(o));
      w.EndArray();
    } else {
      w.Key("objects").BeginArray();
      for (const store::StoredObject& o : page->objects) {
        if (endpoint == Endpoint::kManifest) {
          w.BeginObject()
              .Key("id").String(o.id)
              .Key("date_added").String(o.date_added.ToString())
              .Key("version").String(VersionText(o))
              .Key("media_type").String(store::kStixMediaType)
              .EndObject();
        } else {
          w.Raw(o.text);  // the stored bytes, exactly as they were submitted
        }
      }
      w.EndArray();
    }
  }
  w.EndObject();
  Response r = Json(200, std::move(w).Take());
  if (!page->objects.empty()) {
    // The page is in date_added order, so its ends are the first and last dates (§3.3.2).
    r.headers.emplace_back("X-TAXII-Date-Added-First",
                           page->objects.front().date_added.ToString());
    r.headers.emplace_back("X-TAXII-Date-Added-Last", page->objects.back().date_added.ToString());
  }
  if (call.request.method == "HEAD") r.body.clear();
  return r;
}

Response Service::PostObjects(Call& call, const ApiRootOptions& root,
                              const store::Collection& c, bool can_read) {
  const Request& request = call.request;
  MediaType content_type = ParseMediaType(request.Header("content-type"));
  if (!IsTaxii21(content_type)) {
    return Error(415, "Unsupported media type",
                 "POST an envelope with Content-Type: application/taxii+json;version=2.1");
  }
  if (request.body.size() > options_.max_content_length) {
    return Error(413, "Envelope too large",
                 "the envelope has " + std::to_string(request.body.size()) +
                     " bytes; this API root accepts at most " +
                     std::to_string(options_.max_content_length));
  }
  if (signer_) {
    Status signature = signer_->VerifyUpload(call.principal.organisation,
                                             request.Header("x-ctihub-signature"), request.body);
    if (!signature.ok()) {
      Audit(call, "post", c.alias, "refused", "signature: " + signature.message());
      return Error(401, "Signature refused", signature.message());
    }
  }
  if (std::string problem = EnvelopeShapeProblem(request.body); !problem.empty()) {
    return Error(400, "Malformed envelope",
                 problem + ": POST a TAXII envelope, {\"objects\": [ …STIX objects… ]}");
  }
  Timestamp requested = Timestamp::Now();
  Worker& worker = *call.worker;
  std::unique_ptr<stix::ObjectReader> objects = stix::ObjectReader::FromString(request.body);

  struct Entry {
    std::string id;
    std::string version;
    std::string failure;  // validation failure, or empty
    int batch_index = -1;
  };
  std::vector<Entry> entries;
  std::vector<stix::ObjectVersion> batch;
  // Errors of the object being validated, until its verdict arrives; and whether the body is
  // not well-formed JSON (then nothing of it is stored).
  stix::EnvelopeFindings findings;
  bool not_an_envelope = false;
  bool too_many = false;  // more entries than max_envelope_objects: refused whole
  // One pass: the validator parses each object once, checks it, and hands over its extracted
  // fields, as `ctihub import` does. Findings about the envelope itself (it is not a bundle)
  // are not findings about any object and are ignored.
  stix::FileReport report = worker.validator.ValidateReader(
      *objects, "request",
      [&](const stix::Finding& f) { findings.Add(f); },
      [&](stix::RawObject& raw, const stix::ObjectVerdict& verdict) {
        if (objects->current_envelope().container != stix::Container::kBundle ||
            raw.pointer.rfind("/objects/", 0) != 0) {
          // A top-level object without `type` is an envelope without objects (§3.7 makes
          // `objects` optional, e.g. {} or {"more": false}); anything else is not an envelope.
          simdjson::dom::element top;
          if (!raw.pointer.empty() ||
              worker.parser.parse(raw.text).get(top) != simdjson::SUCCESS || !top.is_object() ||
              top["type"].error() != simdjson::NO_SUCH_FIELD) {
            not_an_envelope = true;
          }
          return;
        }
        std::string errors = findings.TakeErrors();
        if (too_many || entries.size() >= options_.max_envelope_objects) {
          too_many = true;  // the rest is only read through, not kept
          return;
        }
        Entry entry;
        bool stix20 = false;  // no spec_version: a STIX 2.0 object
        if (verdict.version) {
          entry.id = verdict.version->id;
          // As the manifest will name it (an SCO's date_added is about now).
          entry.version = store::internal::VersionTextOf(*verdict.version);
          if (entry.version.empty()) entry.version = requested.ToString();
        } else {
          // Name the failed object as well as its text allows.
          Result<stix::ObjectVersion> named = stix::ExtractObjectVersion(worker.parser, raw.text);
          if (named.ok()) {
            entry.id = named->id;
            entry.version = store::internal::VersionTextOf(*named);
            stix20 = named->spec_version.empty();
          }
          // The status resource requires a version (§4.3.1): an SCO's, or an unreadable
          // object's, is when it was received, as a stored SCO's date_added would be.
          if (entry.version.empty()) entry.version = requested.ToString();
        }
        if (verdict.errors > 0 || !verdict.version) {
          // Alone in its envelope, a 2.0 object's findings wait for a bundle's spec_version
          // that never comes: its missing spec_version says what it is.
          entry.failure = !errors.empty() ? errors
                          : verdict.stix20 || stix20
                              ? "a STIX 2.0 object: POST STIX 2.1 (spec_version \"2.1\")"
                              : "not a valid STIX 2.1 object: it lacks a string type and id "
                                "[object-structure]";
        } else {
          entry.batch_index = static_cast<int>(batch.size());
          stix::ObjectVersion v = std::move(*verdict.version);
          v.text = std::move(raw.text);
          batch.push_back(std::move(v));
        }
        entries.push_back(std::move(entry));
      });
  const std::string& unreadable = findings.unreadable;
  if (report.io_error || !unreadable.empty()) {
    return Error(400, "Malformed envelope",
                 "the body is not a TAXII envelope of JSON objects: " +
                     (unreadable.empty() ? report.io_message : unreadable));
  }
  if (not_an_envelope) {
    return Error(400, "Malformed envelope",
                 "POST a TAXII envelope: {\"objects\": [ …STIX objects… ]}");
  }
  if (too_many) {
    return Error(413, "Envelope too large",
                 "the envelope holds more than " + std::to_string(options_.max_envelope_objects) +
                     " objects; nothing of it was stored: send at most that many per request");
  }
  // An envelope without objects (§3.7 makes `objects` optional) adds nothing: its status is
  // complete with a total of 0.

  store::PutResult put;
  if (!batch.empty()) {
    // The poster's organisation is the versions' origin: a partner's own uploads are never
    // released back to it (policy rule agreement.origin), so federation cannot loop. An
    // administrator's are the node's own, as `ctihub import`'s are (no origin): what it posts
    // is local content, marking-definitions included (policy::LoadMarkings).
    Result<store::PutResult> stored =
        worker.store->Put(c.id, batch, store::PutMode::kBestEffort,
                          call.principal.admin ? std::string() : call.principal.organisation);
    if (!stored.ok()) return FromStatus(stored.status(), "Could not store the objects");
    put = std::move(*stored);
  }

  // Whether the caller may know of the stored version a submitted one clashed with: the one of
  // the same id and version, or for a marking-definition or an unversioned object (one version
  // per id) the one stored under the id. A new version refused because the object came from
  // another source clashes with no stored version (`other_source`): then with any version of it
  // the caller may know of.
  auto clash_known = [&](const stix::ObjectVersion& v, bool* other_source) {
    store::VersionMatch match = store::VersionMatch::All();
    if (v.type != "marking-definition" && v.modified) {
      match.all = false;
      match.at = {v.modified->micros()};
    }
    Result<std::vector<store::StoredObject>> stored = worker.store->Get(c.id, v.id, match);
    if (!stored.ok()) return false;
    if (stored->empty() && !match.all) {
      *other_source = true;
      stored = worker.store->Get(c.id, v.id, store::VersionMatch::All());
      if (!stored.ok()) return false;
    }
    if (call.principal.admin) return true;
    // What the read saw, the gate's observable index knows of too (as on every read path).
    if (!gate_->Refresh(*worker.store).ok()) return false;
    return std::any_of(stored->begin(), stored->end(),
                       [&](const store::StoredObject& o) { return MayKnowOf(call, o); });
  };
  // A refusal the caller is told is a success must leave no trace it could find later: DELETE
  // reads these as its own versions (kMaskedPostKind).
  auto remember_masked = [&](const stix::ObjectVersion& v) -> Status {
    const std::string key = MaskedPostKey(c.id, call.principal.organisation, v.id);
    CTI_ASSIGN_OR_RETURN(std::optional<std::string> value,
                         worker.store->GetRecord(kMaskedPostKind, key));
    std::vector<store::StoredObject> versions = ParseMaskedPosts(v.id, value.value_or(""));
    store::StoredObject o;
    o.version = store::internal::VersionOf(v);
    o.version_text = store::internal::VersionTextOf(v);
    o.date_added = requested;
    o.spec_version = v.spec_version.empty() ? "2.1" : v.spec_version;
    for (const store::StoredObject& known : versions) {
      if (known.version == o.version) return Status::Ok();  // as the store, once per version
    }
    versions.push_back(std::move(o));
    return worker.store->PutRecord(kMaskedPostKind, key, MaskedPostsValue(versions));
  };
  std::string status_id = Uuid::TimeOrderedV7(requested.micros() / 1000).ToString();
  stix::JsonWriter successes, failures;
  size_t success_count = 0, failure_count = 0;
  successes.BeginArray();
  failures.BeginArray();
  for (const Entry& e : entries) {
    std::string failure = e.failure;
    std::string note;
    // Duplicates and conflicts with stored versions are only reported to a caller who may
    // read the collection: to a write-only one they would reveal what it holds, so for it they
    // are plain successes (the collection does hold a version with that id and modified).
    // Nor to a reader about a stored version the release gate withholds from it: "already
    // exists with different content" would confirm that the hub holds an object it may not see
    // (a RED report, the original of a sanitized one).
    if (e.batch_index >= 0) {
      store::PutOutcome outcome = put.outcomes[e.batch_index];
      const bool clash =
          outcome == store::PutOutcome::kRejected || outcome == store::PutOutcome::kDuplicate;
      bool other_source = false;
      const bool told = clash && can_read && clash_known(batch[e.batch_index], &other_source);
      if (clash && !told && !call.principal.admin) {
        Status remembered = remember_masked(batch[e.batch_index]);
        if (!remembered.ok()) return FromStatus(remembered, "Could not record the status");
      }
      if (told) {
        if (outcome == store::PutOutcome::kRejected) failure = put.reasons[e.batch_index];
        if (outcome == store::PutOutcome::kDuplicate) note = "already stored (duplicate)";
        // The store's reason names the object's source (or its stored created_by_ref), which
        // a released copy may not show (pseudonymised sources): only administrators read it.
        const std::string& reason = put.reasons[e.batch_index];
        const bool names_source =
            reason.find("only the source that supplied") != std::string::npos ||
            reason.find("changes created_by_ref") != std::string::npos;
        if (other_source && names_source && !call.principal.admin) {
          failure = "version " + e.version + " of " + e.id +
                    " was refused: the object here came from another source, and only the "
                    "source that supplied an object makes new versions of it (created_by_ref "
                    "stays that of its first version, STIX 2.1 §3.6)";
        }
      }
    }
    if (failure.empty()) {
      WriteStatusDetail(successes, e.id, e.version, note);
      ++success_count;
    } else {
      WriteStatusDetail(failures, e.id, e.version, failure);
      ++failure_count;
    }
  }
  successes.EndArray();
  failures.EndArray();

  stix::JsonWriter w;
  w.BeginObject()
      .Key("id").String(status_id)
      .Key("status").String("complete")
      .Key("request_timestamp").String(requested.ToString())
      .Key("total_count").Uint(entries.size())
      .Key("success_count").Uint(success_count);
  if (success_count) w.Key("successes").Raw(successes.str());
  w.Key("failure_count").Uint(failure_count);
  if (failure_count) w.Key("failures").Raw(failures.str());
  w.Key("pending_count").Uint(0).EndObject();
  std::string body = std::move(w).Take();
  Status saved = worker.store->PutRecord(kStatusRecordKind, status_id,
                                         StatusOwner(call.principal) + " " + root.name + "\n" +
                                             body);
  if (!saved.ok()) return FromStatus(saved, "Could not record the status");
  ExpireStatuses(*worker.store);
  Audit(call, "import", c.id,
        std::to_string(success_count) + " accepted, " + std::to_string(failure_count) +
            " refused",
        "{\"status\":\"" + status_id + "\"}");
  return Json(202, std::move(body));
}

bool Service::MayKnowOf(const Call& call, const store::StoredObject& o) const {
  const store::Recipient who = call.recipient();
  if (who.admin || (!o.origin.empty() && o.origin == call.principal.organisation)) return true;
  store::ReleaseDecision d = gate_->Decide(who, o);
  if (d.action == store::ReleaseAction::kWithhold) return false;
  // Released only under another id (sanitization renamed it): unknown under this one.
  return d.new_id.empty() || d.new_id == o.id;
}

bool Service::FeedsDeletionsTo(std::string_view organisation) const {
  const auto& orgs = options_.deletion_feed_organisations;
  return !organisation.empty() && std::find(orgs.begin(), orgs.end(), organisation) != orgs.end();
}

// GET …/x-ctihub-deletions/?after=SEQ&limit=N — not TAXII 2.1, which has no way to learn of
// deletions: the objects this peer read (the ledger) whose last version has been deleted here
// since tombstone SEQ. An object it never read is never named, so the feed reveals nothing the
// agreement withheld.
Response Service::DeletionFeed(Call& call, const store::Collection& c) {
  const std::string& organisation = call.principal.organisation;
  if (!FeedsDeletionsTo(organisation)) {
    return Error(404, "Not found",
                 "this node sends no deletions to '" + organisation +
                     "' (not a federation peer whose agreement has send_deletions)");
  }
  int64_t after = 0;
  size_t limit = 1000;
  for (const auto& [name, value] : call.request.query) {
    const char* end = value.data() + value.size();
    // The whole value, and in range: from_chars reads past an out-of-range number to its end
    // and leaves the variable as it was (a huge `after` listed everything).
    auto whole = [&](auto* out) {
      auto [ptr, ec] = std::from_chars(value.data(), end, *out);
      return ptr == end && ec == std::errc() && !value.empty();
    };
    if (name == "after") {
      if (!whole(&after) || after < 0) {
        return Error(400, "Bad filter", "after must be a tombstone sequence number (>= 0)");
      }
    } else if (name == "limit") {
      if (!whole(&limit) || limit < 1 || limit > 10000) {
        return Error(400, "Bad filter", "limit must be 1..10000");
      }
    } else {
      return Error(400, "Bad filter", "x-ctihub-deletions takes only after and limit");
    }
  }
  store::Store& st = *call.worker->store;
  const std::string channel = kServeChannel + organisation;
  stix::JsonWriter w;
  w.BeginObject().Key("deletions").BeginArray();
  size_t listed = 0, scanned = 0;
  bool more = false;
  // A bounded scan per request: most tombstones may name objects this peer never read.
  while (listed < limit && scanned < 20 * limit) {
    Result<std::vector<store::Tombstone>> marks = st.Tombstones(c.id, after, 1000);
    if (!marks.ok()) return FromStatus(marks.status(), "Store error");
    more = marks->size() == 1000;
    for (const store::Tombstone& mark : *marks) {
      Result<std::vector<store::Delivery>> read = st.DeliveriesBefore(channel, c.id, mark);
      if (!read.ok()) return FromStatus(read.status(), "Store error");
      for (const store::Delivery& d : *read) w.String(d.sent_id);
      listed += read->size();
      after = mark.seq;
      ++scanned;
      if (listed >= limit) {
        more = true;
        break;
      }
    }
    if (marks->size() < 1000) break;
  }
  w.EndArray().Key("next_after").Int(after).Key("more").Bool(more).EndObject();
  return Json(200, std::move(w).Take());
}

std::string DeletionSignedBytes(std::string_view collection_id, std::string_view object_id) {
  return "DELETE " + std::string(collection_id) + " " + std::string(object_id);
}

std::string ResponseSignedBytes(const SignedExchange& e) {
  std::string out = "ctihub-response/3\n";
  out.reserve(out.size() + e.nonce.size() + e.request_line.size() + 64 + 8 +
              e.date_added_first.size() + e.date_added_last.size() + e.body.size() + 8);
  out.append(e.nonce).append("\n");
  out.append(e.request_line).append("\n");
  out.append(e.request_body_sha256).append("\n");
  out.append(std::to_string(e.status)).append("\n");
  out.append(e.date_added_first).append("\n");
  out.append(e.date_added_last).append("\n");
  out.append(e.body);
  return out;
}

std::string RequestLine(std::string_view method, std::string_view path,
                        const std::vector<std::pair<std::string, std::string>>& query) {
  // Every part percent-encoded again, one way (all but unreserved characters): a decoded key
  // or value holding '=', '&' or a separator cannot pass for another split of the query.
  auto encoded = [](std::string_view text, std::string& out) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (char c : text) {
      const unsigned char u = static_cast<unsigned char>(c);
      if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
        out += c;
      } else {
        out += '%';
        out += kHex[u >> 4];
        out += kHex[u & 0x0F];
      }
    }
  };
  std::string out(method);
  out += ' ';
  encoded(path, out);
  char separator = '?';
  for (const auto& [key, value] : query) {
    out += separator;
    separator = '&';
    encoded(key, out);
    out += '=';
    encoded(value, out);
  }
  return out;
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0x0F];
  }
  return out;
}

Response Service::DeleteObject(Call& call, const store::Collection& c,
                               std::string_view object_id, bool own_only) {
  Result<ParsedFilters> filters =
      ParseFilters(Endpoint::kDeleteObject, call.request.query, options_.limits, object_id);
  if (!filters.ok()) return Error(400, "Bad filter", filters.status().message());
  if (signer_) {
    Status signature =
        signer_->VerifyUpload(call.principal.organisation, call.request.Header("x-ctihub-signature"),
                              DeletionSignedBytes(c.id, object_id));
    if (!signature.ok()) {
      Audit(call, "delete", std::string(object_id), "refused", "signature: " + signature.message());
      return Error(401, "Signature refused", signature.message());
    }
  }
  const store::Query& q = filters->query;
  store::Store& st = *call.worker->store;
  uint64_t removed = 0;
  // A caller that is not an administrator deletes only versions its organisation supplied (as
  // only that source versions an object, store::internal::DecidePut): another organisation's
  // intelligence, or the node's own, is not a partner's to remove. Of those, only versions it may
  // know of: a withheld one is "not found" to it, as on every read path.
  if (q.spec_versions.empty() && !own_only && call.principal.admin) {
    Result<uint64_t> n = st.Delete(c.id, object_id, q.versions);
    if (!n.ok()) return FromStatus(n.status(), "Store error");
    removed = *n;
  } else {
    // match[spec_version], own_only or the caller's view narrows which versions go: delete
    // those selected, one by one. first and last are of the versions the caller may know of,
    // as on reads (the store's would answer 404 where a withheld version is first or last).
    Result<std::vector<store::StoredObject>> all =
        st.Get(c.id, object_id, store::VersionMatch::All());
    if (!all.ok()) return FromStatus(all.status(), "Store error");
    if (Status read = gate_->Refresh(st); !read.ok()) return FromStatus(read, "Store error");
    std::vector<store::StoredObject> known;
    bool others_known = false;  // versions another organisation supplied, which it may read
    for (store::StoredObject& o : *all) {
      if ((own_only || !call.principal.admin) && o.origin != call.principal.organisation) {
        // Only a reader of the collection learns that they exist (403 rather than 404).
        if (!own_only && !others_known && MayKnowOf(call, o)) others_known = true;
        continue;
      }
      if (MayKnowOf(call, o)) known.push_back(std::move(o));
    }
    // Versions it was told were stored though they clashed with one it may not know of: its
    // own, as far as it can tell, so deleting them answers as deleting stored ones would.
    const std::string masked_key = MaskedPostKey(c.id, call.principal.organisation, object_id);
    Result<std::optional<std::string>> masked_value = st.GetRecord(kMaskedPostKind, masked_key);
    if (!masked_value.ok()) return FromStatus(masked_value.status(), "Store error");
    std::vector<store::StoredObject> masked =
        ParseMaskedPosts(object_id, masked_value->value_or(""));
    const size_t stored_known = known.size();
    for (const store::StoredObject& o : masked) {
      // One that is also stored as its own (a write-only caller's duplicate) is that one.
      if (std::none_of(known.begin(), known.begin() + static_cast<std::ptrdiff_t>(stored_known),
                       [&](const store::StoredObject& k) { return k.version == o.version; })) {
        known.push_back(o);
      }
    }
    std::vector<store::StoredObject> masked_kept;
    if (stored_known == 0 && masked.empty() && others_known) {
      Audit(call, "delete", std::string(object_id), "refused: supplied by another organisation");
      return Error(403, "Forbidden",
                   "'" + std::string(object_id) + "' was supplied by another organisation (or "
                   "imported here); " + call.principal.organisation +
                   " may delete only versions it supplied itself");
    }
    auto by_version = [](const store::StoredObject& a, const store::StoredObject& b) {
      return a.version < b.version;
    };
    const int64_t first =
        known.empty() ? 0 : std::min_element(known.begin(), known.end(), by_version)->version;
    const int64_t last =
        known.empty() ? 0 : std::max_element(known.begin(), known.end(), by_version)->version;
    for (size_t i = 0; i < known.size(); ++i) {
      const store::StoredObject& o = known[i];
      const bool is_masked = i >= stored_known;
      const bool selected =
          store::internal::Selected(q.versions, o.version, !o.version_text.empty(),
                                    o.date_added.micros(), o.version == first, o.version == last) &&
          (q.spec_versions.empty() || std::find(q.spec_versions.begin(), q.spec_versions.end(),
                                                o.spec_version) != q.spec_versions.end());
      if (is_masked) {
        if (selected) {
          ++removed;  // forgotten: the record is rewritten without it below
        } else {
          masked_kept.push_back(o);
        }
        continue;
      }
      if (!selected) continue;
      // An SCO (version 0) is named by its date_added, as store::internal::Selected reads it.
      store::VersionMatch one{false, false, false,
                              {o.version != 0 ? o.version : o.date_added.micros()}};
      Result<uint64_t> n = st.Delete(c.id, object_id, one);
      if (!n.ok()) return FromStatus(n.status(), "Store error");
      removed += *n;
    }
    if (masked_kept.size() != masked.size()) {
      Status forgotten = st.PutRecord(kMaskedPostKind, masked_key, MaskedPostsValue(masked_kept));
      if (!forgotten.ok()) return FromStatus(forgotten, "Store error");
    }
  }
  if (removed == 0) {
    return Error(404, "Not found",
                 "no object '" + std::string(object_id) + "' (with those versions) in collection " +
                     c.id);
  }
  Audit(call, "delete", std::string(object_id),
        std::to_string(removed) + " version(s) removed from " + c.id);
  // §5.7: an empty 200 response, still of the TAXII media type.
  return Json(200, "");
}

}  // namespace ctihub::taxii
