#include "sync/peer_sync.h"

#include <openssl/evp.h>

#include <boost/json.hpp>

#include <algorithm>
#include <future>
#include <charconv>
#include <random>
#include <set>
#include <thread>

#include "common/uuid.h"
#include "net/internal/request_target.h"
#include "stix/json_reader.h"
#include "stix/validator.h"
#include "sync/internal/wire.h"
#include "taxii/service.h"

namespace ctihub::sync {
namespace {

namespace json = boost::json;

constexpr std::string_view kStateKind = "sync";
constexpr std::string_view kFailureKind = "sync-failure";
constexpr size_t kMaxListed = 100;
// How far ahead of this node's clock a peer's X-TAXII-Date-Added-Last may be.
constexpr std::chrono::microseconds kClockSkew = std::chrono::minutes(10);
// A peer's refusal message, as recorded for `ctihub peers`.
constexpr size_t kMaxFailureMessage = 1024;
// Pages (or batches) of one round in one direction: a peer that keeps saying "more" with new
// tokens cannot hold a round for ever; what was stored is kept, and the next round goes on.
constexpr size_t kMaxPagesPerRound = 100000;
const std::string kPushChannel = "push/";  // + peer name: its delivery ledger channel

void Note(std::vector<std::string>& list, std::string line) {
  if (list.size() < kMaxListed) list.push_back(std::move(line));
}

// Transient: worth retrying after a pause (TAXII 2.1 §3.6 lets servers answer 429 with
// Retry-After; 5xx and broken connections are the peer's or the network's passing trouble).
bool Transient(const Status& s) { return s.code() == StatusCode::kUnavailable; }
bool Transient(int http_status) {
  return http_status == 429 || http_status == 500 || http_status == 502 || http_status == 503 ||
         http_status == 504;
}

// A server's Retry-After in seconds (the HTTP-date form is not used by TAXII servers), capped so
// that one peer's answer cannot park a round for long; nullopt when absent or unreadable.
std::optional<std::chrono::milliseconds> RetryAfter(const net::ClientResponse& r) {
  std::string_view v = r.Header("retry-after");
  int seconds = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || seconds < 0) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(std::min(seconds, 30) * 1000);
}

}  // namespace

Result<PeerState> LoadPeerState(store::Store& store, std::string_view peer) {
  PeerState state;
  CTI_ASSIGN_OR_RETURN(std::optional<std::string> text, store.GetRecord(kStateKind, peer));
  if (!text) return state;
  json::value v;
  try {
    v = json::parse(*text);
  } catch (const std::exception& e) {
    return DataLoss("sync state of peer '" + std::string(peer) + "' is unreadable: " + e.what());
  }
  const json::object* o = v.if_object();
  if (!o) return DataLoss("sync state of peer '" + std::string(peer) + "' is not an object");
  auto str = [&](std::string_view key) -> std::string {
    const json::value* f = o->if_contains(key);
    return f && f->is_string() ? std::string(f->get_string()) : std::string();
  };
  auto stamp = [&](std::string_view key) -> std::optional<Timestamp> {
    std::string s = str(key);
    if (s.empty()) return std::nullopt;
    Result<Timestamp> t = Timestamp::Parse(s);
    return t.ok() ? std::optional<Timestamp>(*t) : std::nullopt;
  };
  auto uint = [&](std::string_view key) -> uint64_t {
    const json::value* f = o->if_contains(key);
    return f && f->is_int64() ? static_cast<uint64_t>(f->get_int64()) : 0;
  };
  state.pull_watermark = stamp("pull_watermark");
  state.pull_next = str("pull_next");
  state.pull_next_added_after = stamp("pull_next_added_after");
  state.pull_remote_collection = str("pull_remote_collection");
  if (const json::value* f = o->if_contains("pull_deletions_after"); f && f->is_int64()) {
    state.pull_deletions_after = f->get_int64();
  }
  state.push_remote_collection = str("push_remote_collection");
  state.pull_from = str("pull_from");
  state.pull_into = str("pull_into");
  state.push_to = str("push_to");
  state.last_attempt = stamp("last_attempt");
  state.last_success = stamp("last_success");
  state.last_error = str("last_error");
  state.consecutive_failures = uint("consecutive_failures");
  state.failed_objects = uint("failed_objects");
  if (const json::value* c = o->if_contains("push_cursors"); c && c->is_object()) {
    for (const auto& [collection, cursor] : c->get_object()) {
      const json::array* a = cursor.if_array();
      if (!a || a->size() != 2 || !(*a)[0].is_int64() || !(*a)[1].is_int64()) continue;
      state.push_cursors[std::string(collection)] = {(*a)[0].get_int64(), (*a)[1].get_int64()};
    }
  }
  if (const json::value* c = o->if_contains("deletion_cursors"); c && c->is_object()) {
    for (const auto& [collection, seq] : c->get_object()) {
      if (seq.is_int64()) state.deletion_cursors[std::string(collection)] = seq.get_int64();
    }
  }
  return state;
}

Status SavePeerState(store::Store& store, std::string_view peer, const PeerState& state) {
  json::object o;
  auto stamp = [&](std::string_view key, const std::optional<Timestamp>& t) {
    if (t) o[key] = t->ToString();
  };
  stamp("pull_watermark", state.pull_watermark);
  if (!state.pull_next.empty()) o["pull_next"] = state.pull_next;
  stamp("pull_next_added_after", state.pull_next_added_after);
  o["pull_remote_collection"] = state.pull_remote_collection;
  o["pull_deletions_after"] = state.pull_deletions_after;
  o["push_remote_collection"] = state.push_remote_collection;
  json::object cursors;
  for (const auto& [collection, cursor] : state.push_cursors) {
    cursors[collection] = json::array{cursor.date_added, cursor.row};
  }
  o["push_cursors"] = std::move(cursors);
  json::object deletions;
  for (const auto& [collection, seq] : state.deletion_cursors) deletions[collection] = seq;
  o["deletion_cursors"] = std::move(deletions);
  o["pull_from"] = state.pull_from;
  o["pull_into"] = state.pull_into;
  o["push_to"] = state.push_to;
  stamp("last_attempt", state.last_attempt);
  stamp("last_success", state.last_success);
  o["last_error"] = state.last_error;
  o["consecutive_failures"] = static_cast<int64_t>(state.consecutive_failures);
  o["failed_objects"] = static_cast<int64_t>(state.failed_objects);
  return store.PutRecord(kStateKind, peer, json::serialize(o));
}

PeerSync::PeerSync(PeerConfig peer, store::Store& store, const store::ReleaseGate& gate,
                   const SigningKey* key, std::string node)
    : peer_(std::move(peer)), store_(store), gate_(gate), key_(key), node_(std::move(node)) {
  for (const std::string& k : peer_.trusted_keys) {
    Status s = trusted_.Add(k);
    if (!s.ok() && trusted_status_.ok()) {
      trusted_status_ = InvalidArgument("peer '" + peer_.name + "': trusted key: " + s.message());
    }
  }
  peer_.client.user_agent = "ctihub/" + node_;
}

PeerSync::~PeerSync() = default;

Status PeerSync::Unexpected(std::string_view method, const std::string& target,
                            const net::ClientResponse& r) const {
  return FailedPrecondition("peer '" + peer_.name + "': " + std::string(method) + " " + target +
                            " answered " + std::to_string(r.status) + ": " +
                            internal::TaxiiErrorText(r.body));
}

Result<net::HttpClient*> PeerSync::Client() {
  if (!client_) {
    net::ClientOptions options = peer_.client;
    options.cancel = stop_;  // a node stopping abandons a request in flight
    CTI_ASSIGN_OR_RETURN(client_, net::HttpClient::Make(peer_.url, options));
  }
  return client_.get();
}

Result<net::ClientResponse> PeerSync::Request(const std::string& method, const std::string& target,
                                              const std::string& body, bool sign,
                                              const std::string* signed_bytes) {
  net::ClientRequest request{method, target, {}, body};
  request.headers.emplace_back("Accept", "application/taxii+json;version=2.1");
  if (!body.empty() || method == "POST") {
    request.headers.emplace_back("Content-Type", "application/taxii+json;version=2.1");
  }
  if (!peer_.api_key.empty()) {
    request.headers.emplace_back("Authorization", "Bearer " + peer_.api_key);
  } else if (!peer_.username.empty()) {
    request.headers.emplace_back(
        "Authorization", "Basic " + internal::Base64(peer_.username + ":" + peer_.password));
  }
  if (sign && key_) {
    request.headers.emplace_back(std::string(kSignatureHeader),
                                 key_->SignDetached(signed_bytes ? *signed_bytes : body));
  }
  // A fresh nonce per request: the peer's signature then covers it, so no response (a POST's
  // status, an old page) can be replayed to another request, nor a date header changed.
  const std::string nonce = Uuid::RandomV4().ToString();
  request.headers.emplace_back(std::string(taxii::kNonceHeader), nonce);
  // Three retries with exponential backoff and full jitter (0.5 s, 1 s, 2 s ceilings), so that
  // nodes recovering from an outage are not hit in lockstep.
  // A 429 or 503 with Retry-After is waited out as the server asked (at most 30 s).
  thread_local std::mt19937_64 random{std::random_device{}()};
  Status last;
  std::optional<std::chrono::milliseconds> asked;
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (attempt > 0) {
      if (stop_ && stop_->load()) return Interrupted(0);
      std::uniform_int_distribution<int> jitter(0, 500 << (attempt - 1));
      std::this_thread::sleep_for(asked ? *asked
                                        : std::chrono::milliseconds(100 + jitter(random)));
    }
    CTI_ASSIGN_OR_RETURN(net::HttpClient * client, Client());
    Result<net::ClientResponse> response = client->Send(request);
    if (!response.ok()) {
      last = response.status();
      client->Close();
      if (stop_ && stop_->load()) return Interrupted(0);
      // A peer that took the whole request_timeout and said nothing is not asked three more
      // times in this round (that held a round, and a stopping node, for minutes): the next
      // round tries again.
      if (last.message().find(net::kRequestTimedOut) != std::string::npos) break;
      if (Transient(last)) continue;
      return last;
    }
    if (Transient(response->status)) {
      asked = RetryAfter(*response);
      last = Unavailable(peer_.name + ": " + method + " " + target + " answered " +
                         std::to_string(response->status) + ": " +
                         internal::TaxiiErrorText(response->body));
      continue;
    }
    if (response->status >= 200 && response->status < 300) {
      CTI_RETURN_IF_ERROR(CheckSignature(request, *response, nonce));
    }
    return response;
  }
  return Unavailable("peer '" + peer_.name + "' (" + peer_.url + "): " + last.message() +
                     (last.message().find(net::kRequestTimedOut) != std::string::npos
                          ? std::string(" (not retried in this round)")
                          : std::string(" (gave up after 4 attempts)")));
}

Status PeerSync::Interrupted(size_t pages) const {
  if (stop_ && stop_->load()) {
    return Unavailable("peer '" + peer_.name + "': round interrupted (the node is stopping)");
  }
  if (pages >= kMaxPagesPerRound) {
    return FailedPrecondition("peer '" + peer_.name + "': " + std::to_string(pages) +
                              " pages in one round; the round stops here and the next goes on "
                              "from where it ended");
  }
  return Status::Ok();
}

Status PeerSync::CheckSignature(const net::ClientRequest& request,
                                const net::ClientResponse& response, std::string_view nonce) {
  std::string_view signature = response.Header(kSignatureHeader);
  if (signature.empty()) {
    if (peer_.require_signatures) {
      return Unauthenticated("peer '" + peer_.name +
                             "' sent an unsigned response and its signatures are required");
    }
    return Status::Ok();
  }
  if (trusted_.empty()) {
    if (peer_.require_signatures) {
      return Unauthenticated("peer '" + peer_.name + "' requires signatures but no key is trusted");
    }
    return Status::Ok();  // signed, but nothing to check it against: as unsigned
  }
  // The request as the server decodes it (taxii::RequestLine): the same parser as its.
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  CTI_RETURN_IF_ERROR(net::internal::ParseRequestTarget(request.target, &path, &query));
  taxii::SignedExchange exchange;
  exchange.nonce = nonce;
  exchange.request_line = taxii::RequestLine(request.method, path, query);
  exchange.request_body_sha256 = taxii::Sha256Hex(request.body);
  exchange.status = response.status;
  exchange.date_added_first = response.Header("x-taxii-date-added-first");
  exchange.date_added_last = response.Header("x-taxii-date-added-last");
  exchange.body = response.body;
  Result<std::string> verified =
      trusted_.VerifyDetached(signature, taxii::ResponseSignedBytes(exchange));
  if (!verified.ok()) {
    return Unauthenticated("peer '" + peer_.name + "': response signature refused (it must "
                           "cover this request's nonce, the request, the status, the date "
                           "headers and the body; a ctihub from before December 2026 signs the "
                           "body only, and a proxy that rewrites paths breaks it): " +
                           verified.status().message());
  }
  return Status::Ok();
}

Result<std::string> PeerSync::ResolveCollection(const std::string& wanted) {
  const std::string target = "/" + peer_.api_root + "/collections/";
  CTI_ASSIGN_OR_RETURN(net::ClientResponse r, Request("GET", target, "", false));
  if (r.status != 200) {
    return Unexpected("GET", target, r);
  }
  CTI_ASSIGN_OR_RETURN(std::string id, internal::FindCollection(r.body, wanted));
  if (id.empty()) {
    return NotFound("peer '" + peer_.name + "' has no collection '" + wanted +
                    "' that these credentials can see (matched against ids and titles)");
  }
  return id;
}

Status PeerSync::Pull(PeerState& state, SyncReport& report) {
  if (state.pull_from != peer_.pull_from || state.pull_into != peer_.pull_into) {
    // Another remote or local collection: the watermark of the old one would skip everything
    // the new one received before it. (A state from before these were recorded has neither,
    // and is taken to be for the current configuration.)
    if (!state.pull_from.empty() || !state.pull_into.empty()) {
      state.pull_remote_collection.clear();
      state.pull_watermark.reset();
      state.pull_next.clear();
      state.pull_next_added_after.reset();
      state.pull_deletions_after = 0;
    }
    state.pull_from = peer_.pull_from;
    state.pull_into = peer_.pull_into;
  }
  if (state.pull_remote_collection.empty()) {
    CTI_ASSIGN_OR_RETURN(state.pull_remote_collection, ResolveCollection(peer_.pull_from));
  }
  CTI_ASSIGN_OR_RETURN(store::Collection local, store_.EnsureCollection(peer_.pull_into));
  // Deletions before new objects: one deleted and added again there is then here too.
  if (peer_.accept_deletions) CTI_RETURN_IF_ERROR(PullDeletions(local, state, report));
  // A `next` token belongs to the filters it was issued with (ctihub refuses it with others,
  // added_after included): while following one, ask with the added_after it started from, not
  // with the watermark, which moves on with every page.
  auto added_after_of = [](const PeerState& s) {
    return s.pull_next.empty() ? s.pull_watermark : s.pull_next_added_after;
  };
  auto target_of = [&](const PeerState& s) {
    std::string target = "/" + peer_.api_root + "/collections/" + s.pull_remote_collection +
                         "/objects/?limit=" + std::to_string(peer_.page_size) +
                         "&match%5Bversion%5D=all";  // the whole history travels
    if (std::optional<Timestamp> after = added_after_of(s)) {
      target += "&added_after=" + internal::PercentEncode(after->ToString());
    }
    if (!s.pull_next.empty()) target += "&next=" + internal::PercentEncode(s.pull_next);
    return target;
  };
  // The next page is asked for as soon as this one says where it continues, and travels while
  // this one is validated and stored: the peer's reading and ours overlap. Only one request is
  // in flight at a time, so the HTTP client is never used by two threads at once.
  auto fetch = [this](std::string target) {
    return std::async(std::launch::async, [this, target = std::move(target)] {
      return Request("GET", target, "", false);
    });
  };
  std::string target = target_of(state);
  std::future<Result<net::ClientResponse>> in_flight = fetch(target);
  stix::Validator validator;
  int empty_pages = 0;
  // A peer whose pages come round again would page forever: every page of the round is
  // remembered (a hash of its body), and one that comes again with `more` ends the round. Not
  // the token alone: medallion gives every page of one paging session the same `next`.
  std::set<size_t> seen_pages;
  for (;;) {
    CTI_ASSIGN_OR_RETURN(net::ClientResponse r, in_flight.get());
    CTI_RETURN_IF_ERROR(Interrupted(report.pulled_pages));
    if (r.status == 400 && !state.pull_next.empty()) {
      // An expired or foreign `next` token (medallion keeps its tokens in memory only): go on
      // from the watermark, one microsecond before it. Servers may give many objects the same
      // date_added (medallion: every object of one POST), and the rest of those sharing the
      // last page's must not be skipped; the ones already stored come again as duplicates.
      state.pull_next.clear();
      state.pull_next_added_after.reset();
      if (state.pull_watermark) {
        state.pull_watermark = Timestamp(state.pull_watermark->micros() - 1);
      }
      target = target_of(state);
      in_flight = fetch(target);
      continue;
    }
    if (r.status == 404 && report.pulled_pages == 0) {
      state.pull_remote_collection.clear();  // renamed or removed: resolve again next round
    }
    if (r.status != 200) {
      return Unexpected("GET", target, r);
    }
    CTI_ASSIGN_OR_RETURN(internal::EnvelopePaging paging, internal::PeekEnvelope(r.body));
    // Where the state will be once this page is stored. The watermark is the server's word on
    // how far this page reached (TAXII 2.1 §3.4.2); without the header (a non-conformant
    // server), paging goes on with `next` only.
    PeerState after_page = state;
    std::string_view last = r.Header("x-taxii-date-added-last");
    if (!last.empty()) {
      Result<Timestamp> t = Timestamp::Parse(last);
      if (!t.ok()) {
        return FailedPrecondition("peer '" + peer_.name +
                                  "': X-TAXII-Date-Added-Last is not a timestamp: " +
                                  std::string(last));
      }
      // A date the peer cannot have assigned yet would move the watermark past everything it
      // adds until then (clocks may differ by minutes, not more).
      if (t->micros() > Timestamp::Now().micros() + kClockSkew.count()) {
        return FailedPrecondition("peer '" + peer_.name + "': X-TAXII-Date-Added-Last " +
                                  std::string(last) + " is in the future; not taken as the "
                                  "watermark (check the peer's clock)");
      }
      if (!after_page.pull_watermark || *t > *after_page.pull_watermark) {
        after_page.pull_watermark = *t;
      }
    }
    if (paging.more && !paging.next.empty()) {
      if (!seen_pages.insert(std::hash<std::string>{}(r.body)).second) {
        return FailedPrecondition("peer '" + peer_.name + "' gave a page it gave before in "
                                  "this round, saying there is more; its paging goes round in "
                                  "a circle, so the round stops here");
      }
      if (state.pull_next.empty()) after_page.pull_next_added_after = added_after_of(state);
      after_page.pull_next = paging.next;
    } else {
      after_page.pull_next.clear();
      after_page.pull_next_added_after.reset();
    }
    if (paging.more && paging.next.empty() && last.empty()) {
      return FailedPrecondition("peer '" + peer_.name +
                                "' says there is more but gives neither `next` nor "
                                "X-TAXII-Date-Added-Last to continue from");
    }
    std::string next_target;
    if (paging.more) {
      next_target = target_of(after_page);
      in_flight = fetch(next_target);
    }

    CTI_ASSIGN_OR_RETURN(internal::EnvelopePage page, internal::ReadEnvelope(r.body, validator));
    ++report.pulled_pages;
    report.pulled_objects += page.objects.size() + page.rejected.size();
    for (std::string& why : page.rejected) {
      ++report.pulled_rejected;
      Note(report.rejections, std::move(why));
    }
    if (!page.objects.empty()) {
      CTI_ASSIGN_OR_RETURN(store::PutResult put,
                           store_.Put(local.id, page.objects, store::PutMode::kBestEffort,
                                      peer_.organisation));
      report.pulled_new += put.added;
      report.pulled_new_versions += put.new_versions;
      report.pulled_duplicates += put.duplicates;
      report.pulled_rejected += put.rejected;
      for (size_t i = 0; i < put.reasons.size(); ++i) {
        if (put.outcomes[i] == store::PutOutcome::kRejected) {
          Note(report.rejections, page.objects[i].id + ": " + put.reasons[i]);
        }
      }
    }
    // After every page: a crash from here on repeats at most this page, as duplicates.
    state = std::move(after_page);
    CTI_RETURN_IF_ERROR(SavePeerState(store_, peer_.name, state));
    if (!paging.more) return Status::Ok();
    // A server that keeps saying "more" without giving anything would keep this loop going.
    empty_pages = page.objects.empty() && page.rejected.empty() ? empty_pages + 1 : 0;
    if (empty_pages >= 3) {
      return FailedPrecondition("peer '" + peer_.name +
                                "' answered three empty pages in a row that said there is "
                                "more; stopping this round");
    }
    target = std::move(next_target);
  }
}


Status PeerSync::Push(PeerState& state, SyncReport& report) {
  if (state.push_to != peer_.push_to) {
    // Another remote collection has none of what the cursors went past: send it all.
    if (!state.push_to.empty()) {
      state.push_remote_collection.clear();
      state.push_cursors.clear();
      state.deletion_cursors.clear();
    }
    state.push_to = peer_.push_to;
  }
  if (state.push_remote_collection.empty()) {
    CTI_ASSIGN_OR_RETURN(state.push_remote_collection, ResolveCollection(peer_.push_to));
  }
  const std::string target =
      "/" + peer_.api_root + "/collections/" + state.push_remote_collection + "/objects/";
  const store::Recipient recipient{"", peer_.organisation, false};
  const store::DecidingGate gate(gate_);
  store::OutboundReader reader(store_, gate);
  for (const std::string& name : peer_.push_from) {
    CTI_ASSIGN_OR_RETURN(store::Collection collection, store_.FindCollection(name));
    if (!gate_.CollectionVisible(recipient, collection)) {
      return FailedPrecondition("peer '" + peer_.name + "' pushes collection '" + name +
                                "', which the agreement with '" + peer_.organisation +
                                "' does not include");
    }
    if (read_check_) CTI_RETURN_IF_ERROR(read_check_(collection));
    // Deletions first: an object deleted and then added again is deleted on the peer before
    // the new copy is sent, never after.
    if (peer_.send_deletions) CTI_RETURN_IF_ERROR(PushDeletions(collection, state, report));
    // Reads one batch through the gate (every version, as pulls ask for), starting after
    // `after`. The next batch is read (and decided on) while the peer takes in this one: the
    // store is used by one thread at a time — the read in flight, or this one between batches.
    struct Batch {
      store::Page page;
      store::ReleaseTally tally;
    };
    auto read = [&reader, &recipient, this, id = collection.id](
                    std::optional<store::Cursor> after) -> Result<Batch> {
      store::Query q;
      q.limit = peer_.push_batch;
      q.versions = store::VersionMatch::All();
      q.max_text_bytes = 8u << 20;  // well under a server's usual 64 MiB request limit
      q.after = after;
      Batch b;
      CTI_ASSIGN_OR_RETURN(b.page, reader.List(id, q, recipient, &b.tally));
      return b;
    };
    std::optional<store::Cursor> cursor;
    if (auto it = state.push_cursors.find(collection.id); it != state.push_cursors.end()) {
      cursor = it->second;
    }
    Result<Batch> current = read(cursor);
    for (;;) {
      CTI_RETURN_IF_ERROR(current.status());
      CTI_RETURN_IF_ERROR(Interrupted(report.pushed_batches));
      Batch batch = std::move(*current);
      store::Page& page = batch.page;
      report.withheld += batch.tally.withheld;
      report.redacted += batch.tally.redacted;
      for (const auto& [rule, count] : batch.tally.rules) report.withheld_by_rule[rule] += count;
      if (!page.objects.empty()) {
        // The ledger of what this peer receives, for deletions later — before it leaves, so
        // that a crash after the POST cannot leave the peer holding an object the ledger does
        // not know (recording one the peer then refuses or never gets names only an object it
        // was allowed to receive).
        std::vector<store::Delivery> delivered;
        delivered.reserve(page.objects.size());
        for (const store::StoredObject& o : page.objects) {
          delivered.push_back({collection.id, o.stored_id.empty() ? o.id : o.stored_id, o.id,
                               state.push_remote_collection});
        }
        CTI_RETURN_IF_ERROR(store_.RecordDeliveries(kPushChannel + peer_.name, delivered));
      }
      const std::optional<store::Cursor> after = page.examined ? page.examined : cursor;
      std::future<Result<Batch>> next;
      if (page.more) {
        next = std::async(std::launch::async, read, page.examined ? page.examined : page.next);
      }
      if (!page.objects.empty()) {
        std::string body = "{\"objects\":[";
        for (size_t i = 0; i < page.objects.size(); ++i) {
          if (i) body += ',';
          body += page.objects[i].text;
        }
        body += "]}";
        CTI_ASSIGN_OR_RETURN(internal::StatusResource status, PostBatch(state, target, body));
        if (next.valid()) next.wait();  // the store is this thread's again
        ++report.pushed_batches;
        report.pushed_objects += page.objects.size();
        if (status.succeeded > page.objects.size()) {
          return FailedPrecondition("peer '" + peer_.name + "' reports " +
                                    std::to_string(status.succeeded) + " objects accepted of " +
                                    std::to_string(page.objects.size()) + " sent");
        }
        // Only failures of objects this batch sent count, one per version at most, with a bounded
        // message: a peer's status cannot make this node record more than it sent.
        // (By id, once per version sent: a peer names versions by its own clock for SCOs.)
        std::map<std::string_view, size_t> sent;
        for (const store::StoredObject& o : page.objects) ++sent[o.id];
        std::vector<const internal::StatusFailure*> refused;
        for (const internal::StatusFailure& f : status.failures) {
          auto it = sent.find(f.id);
          if (it == sent.end() || it->second == 0) continue;
          --it->second;
          refused.push_back(&f);
        }
        // A complete status decides every object sent; one that leaves some undecided (a broken
        // or hostile peer) does not move the cursor past them: the batch goes again.
        if (status.succeeded + refused.size() < page.objects.size()) {
          return Unavailable("peer '" + peer_.name + "': status " + status.id.substr(0, 64) +
                             " decided " + std::to_string(status.succeeded + refused.size()) +
                             " of the " + std::to_string(page.objects.size()) +
                             " objects sent; the batch will be sent again");
        }
        report.pushed_succeeded += status.succeeded;
        for (const internal::StatusFailure* failure : refused) {
          const internal::StatusFailure& f = *failure;
          // Refused by the peer (invalid there, a conflicting version): retrying would be
          // refused again, so it is recorded for the operator (`ctihub peers`) and reported.
          std::string message = f.message.substr(0, kMaxFailureMessage);
          std::string key = peer_.name + "/" + f.id + "@" + f.version.substr(0, 64);
          CTI_RETURN_IF_ERROR(store_.PutRecord(kFailureKind, key, message));
          ++state.failed_objects;
          ++report.pushed_failed;
          Note(report.failures, f.id + "@" + f.version.substr(0, 64) + ": " + message);
        }
      }
      if (next.valid()) next.wait();
      if (after) state.push_cursors[collection.id] = *after;
      cursor = after;
      CTI_RETURN_IF_ERROR(SavePeerState(store_, peer_.name, state));
      if (!page.more) break;
      current = next.get();
    }
  }
  return Status::Ok();
}

Result<internal::StatusResource> PeerSync::PostBatch(PeerState& state, const std::string& target,
                                                    const std::string& body) {
  CTI_ASSIGN_OR_RETURN(net::ClientResponse r, Request("POST", target, body, true));
  if (r.status == 404) state.push_remote_collection.clear();
  if (r.status != 202 && r.status != 200) {
    return Unexpected("POST", target, r);
  }
  CTI_ASSIGN_OR_RETURN(internal::StatusResource status, internal::ReadStatus(r.body));
  // Follow the status resource until the peer has decided on every object (§4.3).
  const auto deadline = std::chrono::steady_clock::now() + peer_.status_timeout;
  auto pause = std::chrono::milliseconds(50);
  while (status.pending > 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      return Unavailable("peer '" + peer_.name + "': status " + status.id + " still has " +
                         std::to_string(status.pending) +
                         " pending objects; the batch will be sent again");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(2000));
    const std::string status_target = "/" + peer_.api_root + "/status/" + status.id + "/";
    CTI_ASSIGN_OR_RETURN(net::ClientResponse s, Request("GET", status_target, "", false));
    if (s.status != 200) {
      return Unexpected("GET", status_target, s);
    }
    CTI_ASSIGN_OR_RETURN(status, internal::ReadStatus(s.body));
  }
  return status;
}

Status PeerSync::PullDeletions(const store::Collection& local, PeerState& state,
                               SyncReport& report) {
  for (size_t pages = 0;; ++pages) {
    CTI_RETURN_IF_ERROR(Interrupted(pages));
    const std::string target = "/" + peer_.api_root + "/collections/" +
                               state.pull_remote_collection + "/x-ctihub-deletions/?after=" +
                               std::to_string(state.pull_deletions_after) + "&limit=1000";
    CTI_ASSIGN_OR_RETURN(net::ClientResponse r, Request("GET", target, "", false));
    // Not a ctihub, or one that sends us no deletions: nothing to learn, and not an error.
    if (r.status == 404) return Status::Ok();
    if (r.status != 200) {
      return Unexpected("GET", target, r);
    }
    CTI_ASSIGN_OR_RETURN(internal::DeletionPage page, internal::ReadDeletions(r.body));
    for (const std::string& id : page.ids) {
      // Only the versions the peer itself sent: nothing another source gave us goes.
      CTI_ASSIGN_OR_RETURN(uint64_t n, store_.DeleteFromOrigin(local.id, id, peer_.organisation));
      report.pulled_deletions += n > 0;
    }
    if (page.next_after <= state.pull_deletions_after && page.more) {
      return FailedPrecondition("peer '" + peer_.name +
                                "': its deletion feed says there is more without moving on");
    }
    state.pull_deletions_after = std::max(state.pull_deletions_after, page.next_after);
    CTI_RETURN_IF_ERROR(SavePeerState(store_, peer_.name, state));
    if (!page.more) return Status::Ok();
  }
}

Result<std::optional<std::string>> PeerSync::StillPushedFrom(std::string_view deleted_from,
                                                             const std::string& local_id,
                                                             const std::string& sent_id) {
  const store::Recipient recipient{"", peer_.organisation, false};
  const store::DecidingGate gate(gate_);
  for (const std::string& name : peer_.push_from) {
    CTI_ASSIGN_OR_RETURN(store::Collection other, store_.FindCollection(name));
    if (other.id == deleted_from || !gate_.CollectionVisible(recipient, other)) continue;
    CTI_ASSIGN_OR_RETURN(std::vector<store::StoredObject> versions,
                         store_.Get(other.id, local_id, store::VersionMatch::All()));
    CTI_RETURN_IF_ERROR(gate.Refresh(store_));  // what the read saw, as OutboundReader does
    for (const store::StoredObject& o : versions) {
      const store::ReleaseDecision d = gate.Decide(recipient, o);
      if (d.action == store::ReleaseAction::kWithhold) continue;
      if ((d.new_id.empty() ? o.id : d.new_id) == sent_id) return std::optional<std::string>(name);
    }
  }
  return std::optional<std::string>();
}

Status PeerSync::PushDeletions(const store::Collection& collection, PeerState& state,
                               SyncReport& report) {
  const std::string channel = kPushChannel + peer_.name;
  for (;;) {
    const int64_t after = state.deletion_cursors[collection.id];
    CTI_ASSIGN_OR_RETURN(std::vector<store::Tombstone> marks,
                         store_.Tombstones(collection.id, after, 1000));
    if (marks.empty()) return Status::Ok();
    for (const store::Tombstone& mark : marks) {
      CTI_ASSIGN_OR_RETURN(std::vector<store::Delivery> sent,
                           store_.DeliveriesBefore(channel, collection.id, mark));
      // Not in the ledger: the peer never received it, and is not told it existed.
      for (const store::Delivery& d : sent) {
        // Another collection pushed to this peer still releases it (under the id it was sent
        // as): the peer keeps it, and no later push would send it again.
        CTI_ASSIGN_OR_RETURN(std::optional<std::string> still_in,
                             StillPushedFrom(collection.id, d.local_id, d.sent_id));
        if (still_in) {
          ++report.deletions_kept;
          continue;
        }
        const std::string target = "/" + peer_.api_root + "/collections/" + d.destination +
                                   "/objects/" + internal::PercentEncode(d.sent_id) + "/";
        const std::string signed_bytes = taxii::DeletionSignedBytes(d.destination, d.sent_id);
        CTI_ASSIGN_OR_RETURN(net::ClientResponse r,
                             Request("DELETE", target, "", true, &signed_bytes));
        if (r.status == 200) {
          ++report.deletions_sent;
        } else if (r.status == 404) {
          ++report.deletions_absent;  // gone already (or deleted there meanwhile)
        } else if (r.status == 403) {
          // The peer's agreement keeps what we sent: retrying would be refused again.
          ++report.deletions_refused;
          Note(report.failures, d.sent_id + ": deletion refused: " +
                                    internal::TaxiiErrorText(r.body));
        } else {
          return Unexpected("DELETE", target, r);
        }
      }
      CTI_RETURN_IF_ERROR(store_.ForgetDeliveries(channel, sent));
      state.deletion_cursors[collection.id] = mark.seq;
    }
    CTI_RETURN_IF_ERROR(SavePeerState(store_, peer_.name, state));
  }
}

Result<SyncReport> PeerSync::RunOnce() {
  const auto start = std::chrono::steady_clock::now();
  SyncReport report;
  report.peer = peer_.name;
  CTI_RETURN_IF_ERROR(trusted_status_);
  if (peer_.url.empty()) {
    return FailedPrecondition("peer '" + peer_.name +
                              "' has no url: it is reached by transfer files only");
  }
  CTI_ASSIGN_OR_RETURN(PeerState state, LoadPeerState(store_, peer_.name));
  state.last_attempt = Timestamp::Now();
  Status done = Status::Ok();
  if (peer_.pull) done = Pull(state, report);
  if (done.ok() && peer_.push) done = Push(state, report);
  report.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  if (done.ok()) {
    state.last_success = Timestamp::Now();
    state.last_error.clear();
    state.consecutive_failures = 0;
  } else {
    state.last_error = done.message();
    ++state.consecutive_failures;
    report.error = done.message();
  }
  Status saved = SavePeerState(store_, peer_.name, state);
  last_report_ = report;
  if (!done.ok()) return done;
  CTI_RETURN_IF_ERROR(saved);
  return report;
}

std::string DescribeReport(const SyncReport& r) {
  std::string out = r.peer + ": ";
  out += "pulled " + std::to_string(r.pulled_objects) + " objects in " +
         std::to_string(r.pulled_pages) + " pages (" + std::to_string(r.pulled_new) + " new, " +
         std::to_string(r.pulled_new_versions) + " new versions, " +
         std::to_string(r.pulled_duplicates) + " duplicates, " +
         std::to_string(r.pulled_rejected) + " rejected" +
         (r.pulled_deletions ? ", " + std::to_string(r.pulled_deletions) + " deleted as the peer did"
                             : std::string()) +
         "); ";
  out += "pushed " + std::to_string(r.pushed_objects) + " in " +
         std::to_string(r.pushed_batches) + " batches (" + std::to_string(r.pushed_succeeded) +
         " accepted, " + std::to_string(r.pushed_failed) + " refused by the peer), " +
         std::to_string(r.redacted) + " redacted, " + std::to_string(r.withheld) +
         " withheld; ";
  if (r.deletions_sent + r.deletions_absent + r.deletions_refused + r.deletions_kept > 0) {
    out += "deletions " + std::to_string(r.deletions_sent) + " sent, " +
           std::to_string(r.deletions_absent) + " already gone, " +
           std::to_string(r.deletions_refused) + " refused by the peer" +
           (r.deletions_kept ? ", " + std::to_string(r.deletions_kept) +
                                   " not sent (another pushed collection still holds them)"
                             : std::string()) +
           "; ";
  }
  out += std::to_string(r.duration.count()) + " ms";
  for (const auto& [rule, count] : r.withheld_by_rule) {
    out += "\n  " + rule + ": " + std::to_string(count);
  }
  for (const std::string& line : r.rejections) out += "\n  rejected " + line;
  for (const std::string& line : r.failures) out += "\n  refused by peer " + line;
  if (!r.error.empty()) out += "\n  stopped: " + r.error;
  return out;
}

}  // namespace ctihub::sync
