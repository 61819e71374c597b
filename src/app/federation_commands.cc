#include "app/federation_commands.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <simdjson.h>
#include <sys/file.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <boost/json.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "app/audit_commands.h"
#include "app/exit_codes.h"
#include "app/import_command.h"
#include "app/policy_commands.h"
#include "app/store_commands.h"
#include "app/wording.h"
#include "audit/audit_log.h"
#include "auth/accounts.h"
#include "stix/canonical_json.h"
#include "stix/validator.h"
#include "store/sqlite/sqlite_store.h"
#include "sync/peer_sync.h"
#include "sync/signing.h"
#include "sync/transfer_file.h"

namespace ctihub::app {
namespace {

namespace json = boost::json;

constexpr std::string_view kTransferOutKind = "transfer-out";
constexpr std::string_view kTransferInKind = "transfer-in";

int Fail(std::string_view command, const Status& s) {
  fmt::print(stderr, "ctihub {}: {}\n", command, s.ToString());
  return kExitUsage;
}

// A transfer file refused (not from a peer, not for this node, a signature or sequence that does
// not hold): the command ran and the answer is no, exit 1 (README, "Exit status"). A file that
// cannot be read at all stays a failure to do what was asked (2).
int Refuse(std::string_view command, const Status& s) {
  const StatusCode code = s.code();
  if (code == StatusCode::kNotFound || code == StatusCode::kUnavailable ||
      code == StatusCode::kInternal) {
    return Fail(command, s);
  }
  fmt::print(stderr, "ctihub {}: {}\n", command, s.ToString());
  return kExitFindings;
}

struct FederationFlags {
  std::string store = DefaultStoreUri();
  std::string config;
  std::vector<std::string> peers;
  std::string key_file;
  std::string to, output, since, file;
  std::vector<std::string> collections;
  std::string collection;
  bool accept_gap = false;
  bool json = false;
};

// What every federation command needs: the config (required), the store, the accounts with
// the config applied (organisations of the peers exist), and the release gate.
struct Node {
  NodeConfig config;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<auth::Accounts> accounts;
  std::unique_ptr<policy::PolicyGate> gate;
};

// `mode`: kMustExist for the commands that only read the store (peers, transfer export).
Result<Node> OpenNode(const FederationFlags& flags, store::OpenMode mode) {
  store::RegisterSqliteBackend();
  if (flags.config.empty()) {
    return InvalidArgument("--config is required: peers, keys and agreements live in the node's "
                           "config (docs/federation.md)");
  }
  Node n;
  CTI_ASSIGN_OR_RETURN(n.config, LoadNodeConfig(flags.config));
  if (mode == store::OpenMode::kMustExist) {
    CTI_ASSIGN_OR_RETURN(n.store, OpenExistingStore(flags.store, store::OpenMode::kMustExist));
  } else {
    CTI_ASSIGN_OR_RETURN(n.store, store::Store::Open(flags.store));
  }
  CTI_ASSIGN_OR_RETURN(n.accounts, auth::Accounts::Open(flags.store));
  CTI_RETURN_IF_ERROR(
      ApplyNodeConfigRecorded(n.config, *n.store, *n.accounts, flags.store, flags.config, nullptr));
  std::vector<std::string> notes;
  CTI_ASSIGN_OR_RETURN(n.gate, MakePolicyGate(n.config, *n.store, *n.accounts, &notes));
  return n;
}

// A partner receives nothing of a collection it may not read over TAXII — its organisation's
// and everyone's read grants, as the server checks them — in transfer files and pushes as in
// `export --as`: an agreement without `collections` covers what the grants allow, not more.
Status PartnerMayRead(auth::Accounts& accounts, const std::string& organisation,
                      const store::Collection& c) {
  CTI_ASSIGN_OR_RETURN(auth::Permission may,
                       accounts.PermissionOn(auth::Principal{"", organisation, false, ""}, c.id));
  if (auth::CanRead(may)) return Status::Ok();
  return PermissionDenied("organisation '" + organisation + "' has no read grant on collection '" +
                          c.alias + "': nothing of it is sent there");
}

// The same check for a peer's rounds, which run on their own store connections.
sync::PeerSync::ReadCheck ReadCheckFor(std::string store_uri, std::string organisation) {
  return [store_uri = std::move(store_uri), organisation = std::move(organisation)](
             const store::Collection& c) -> Status {
    CTI_ASSIGN_OR_RETURN(std::unique_ptr<auth::Accounts> accounts, auth::Accounts::Open(store_uri));
    return PartnerMayRead(*accounts, organisation, c);
  };
}

Result<std::unique_ptr<sync::SigningKey>> LoadNodeKey(const NodeConfig& config, bool required) {
  if (config.signing_key_file.empty()) {
    if (required) {
      return FailedPrecondition("this node has no signing key: create one with `ctihub "
                                "node-key generate -o node.key` and set [signing] key_file");
    }
    return std::unique_ptr<sync::SigningKey>();
  }
  CTI_ASSIGN_OR_RETURN(sync::SigningKey key, sync::SigningKey::Load(config.signing_key_file));
  return std::make_unique<sync::SigningKey>(std::move(key));
}

// One round per peer at a time, across processes (`ctihub sync` beside the schedule of
// `ctihub serve`): two rounds at once would both push the same batches and race on the peer's
// state. Likewise one transfer export per peer (`kind` "transfer"): two at once took the same
// sequence number. An flock on a file beside the SQLite store; released when the process dies.
class PeerLock {
 public:
  // Waits for a round in progress when `wait`, else Unavailable.
  static Result<PeerLock> Acquire(const std::string& store_uri, const std::string& peer, bool wait,
                                  std::string_view kind = "sync") {
    PeerLock lock;
    if (store_uri.rfind("sqlite:", 0) != 0) return lock;  // a private memory store
    std::string path = store_uri.substr(7) + "." + std::string(kind) + "-" + peer + ".lock";
    lock.fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock.fd_ < 0) return Unavailable("cannot open " + path);
    if (::flock(lock.fd_, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
      return Unavailable("a sync round with '" + peer + "' is already running");
    }
    return lock;
  }
  PeerLock(PeerLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  PeerLock& operator=(PeerLock&&) = delete;
  ~PeerLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  PeerLock() = default;
  int fd_ = -1;
};

// ---- key -------------------------------------------------------------------------------------

int KeyGenerate(const FederationFlags& flags) {
  Result<sync::SigningKey> key = sync::SigningKey::Generate();
  if (!key.ok()) return Fail("node-key generate", key.status());
  if (Status s = key->Save(flags.output); !s.ok()) return Fail("node-key generate", s);
  fmt::print("wrote {} (keep it secret; mode 0600)\n", flags.output);
  fmt::print("public key: {}\nkey id:     {}\n", key->public_key(), key->key_id());
  fmt::print("peers trust it with:  trusted_keys = [\"{}\"]\n", key->public_key());
  return kExitOk;
}

int KeyShow(const FederationFlags& flags) {
  Result<sync::SigningKey> key = sync::SigningKey::Load(flags.key_file);
  if (!key.ok()) return Fail("node-key show", key.status());
  fmt::print("public key: {}\nkey id:     {}\n", key->public_key(), key->key_id());
  return kExitOk;
}

// ---- sync ------------------------------------------------------------------------------------

void Audit(const std::string& store_uri, std::string kind, std::string subject,
           std::string outcome, std::map<std::string, uint64_t> rules = {}) {
  audit::AuditEvent e;
  e.kind = std::move(kind);
  e.subject = std::move(subject);
  e.outcome = std::move(outcome);
  for (const auto& [rule, n] : rules) e.rules.push_back(rule);
  if (!rules.empty()) {
    stix::JsonWriter d;
    d.BeginObject().Key("rules").BeginObject();
    for (const auto& [rule, n] : rules) d.Key(rule).Uint(n);
    d.EndObject().EndObject();
    e.details = std::move(d).Take();
  }
  RecordCliEvent(store_uri, std::move(e));
}

std::string Outcome(const sync::SyncReport& r) {
  return "pulled " + std::to_string(r.pulled_new + r.pulled_new_versions) + " new of " +
         std::to_string(r.pulled_objects) + " (" + std::to_string(r.pulled_deletions) +
         " deleted as the peer did), pushed " + std::to_string(r.pushed_succeeded) +
         " (" + std::to_string(r.redacted) + " redacted, " + std::to_string(r.withheld) +
         " withheld, " + std::to_string(r.pushed_failed) + " refused by the peer), " +
         std::to_string(r.deletions_sent) + " deletions sent";
}

int Sync(const FederationFlags& flags) {
  Result<Node> node = OpenNode(flags, store::OpenMode::kCreateIfMissing);
  if (!node.ok()) return Fail("sync", node.status());
  if (Status s = CheckAuditLog(flags.store); !s.ok()) return Fail("sync", s);
  Result<std::unique_ptr<sync::SigningKey>> key = LoadNodeKey(node->config, false);
  if (!key.ok()) return Fail("sync", key.status());
  std::vector<const sync::PeerConfig*> chosen;
  if (flags.peers.empty()) {
    for (const sync::PeerConfig& p : node->config.peers) {
      if (p.pull || p.push) chosen.push_back(&p);
    }
    if (chosen.empty()) {
      return Fail("sync", InvalidArgument("the config declares no peer to pull from or push to"));
    }
  } else {
    for (const std::string& name : flags.peers) {
      const sync::PeerConfig* p = node->config.FindPeer(name);
      if (!p) return Fail("sync", NotFound("no peer '" + name + "' in " + flags.config));
      chosen.push_back(p);
    }
  }
  // Peers concurrently, each on its own store connection: a slow or dead peer costs its own
  // thread only.
  std::vector<Result<sync::SyncReport>> results(chosen.size(), Internal("not run"));
  std::vector<sync::SyncReport> partial(chosen.size());  // what a failed round did before
  std::vector<std::thread> threads;
  for (size_t i = 0; i < chosen.size(); ++i) {
    threads.emplace_back([&, i] {
      Result<std::unique_ptr<store::Store>> own = store::Store::Open(flags.store);
      if (!own.ok()) {
        results[i] = own.status();
        return;
      }
      Result<PeerLock> lock = PeerLock::Acquire(flags.store, chosen[i]->name, /*wait=*/true);
      if (!lock.ok()) {
        results[i] = lock.status();
        return;
      }
      sync::PeerSync peer(*chosen[i], **own, *node->gate, key->get(), node->config.name);
      peer.set_read_check(ReadCheckFor(flags.store, chosen[i]->organisation));
      results[i] = peer.RunOnce();
      partial[i] = peer.last_report();
    });
  }
  for (std::thread& t : threads) t.join();
  int code = kExitOk;
  json::array out;
  for (size_t i = 0; i < chosen.size(); ++i) {
    const std::string& name = chosen[i]->name;
    if (!results[i].ok()) {
      code = kExitFindings;
      if (flags.json) {
        out.push_back(json::object{{"peer", name}, {"error", results[i].status().message()}});
      } else {
        fmt::print("{}: FAILED: {}\n", name, results[i].status().message());
        if (partial[i].pulled_pages + partial[i].pushed_batches > 0) {
          fmt::print("  before it stopped: {}\n", sync::DescribeReport(partial[i]));
        }
      }
      Audit(flags.store, "sync", name, "failed: " + results[i].status().message());
      continue;
    }
    const sync::SyncReport& r = *results[i];
    // Objects the round could not take in or hand over (invalid, conflicting) are findings, as
    // an import's rejections are: the round itself went through.
    if (r.pulled_rejected + r.pushed_failed + r.deletions_refused > 0) code = kExitFindings;
    if (flags.json) {
      json::object rules;
      for (const auto& [rule, n] : r.withheld_by_rule) rules[rule] = n;
      out.push_back(json::object{{"peer", name},
                                 {"pulled", r.pulled_objects},
                                 {"pulled_new", r.pulled_new},
                                 {"pulled_new_versions", r.pulled_new_versions},
                                 {"pulled_duplicates", r.pulled_duplicates},
                                 {"pulled_rejected", r.pulled_rejected},
                                 {"pulled_deletions", r.pulled_deletions},
                                 {"pushed", r.pushed_objects},
                                 {"pushed_accepted", r.pushed_succeeded},
                                 {"pushed_refused", r.pushed_failed},
                                 {"redacted", r.redacted},
                                 {"withheld", r.withheld},
                                 {"deletions_sent", r.deletions_sent},
                                 {"deletions_absent", r.deletions_absent},
                                 {"deletions_refused", r.deletions_refused},
                                 {"rules", std::move(rules)},
                                 {"milliseconds", r.duration.count()}});
    } else {
      fmt::print("{}\n", sync::DescribeReport(r));
    }
    Audit(flags.store, "sync", name, Outcome(r), r.withheld_by_rule);
  }
  if (flags.json) fmt::print("{}\n", json::serialize(out));
  return code;
}

// ---- peers -----------------------------------------------------------------------------------

std::string Ago(const std::optional<Timestamp>& t) {
  if (!t) return "never";
  int64_t s = (Timestamp::Now().micros() - t->micros()) / 1'000'000;
  if (s < 120) return std::to_string(s) + " s ago";
  if (s < 7200) return std::to_string(s / 60) + " min ago";
  if (s < 172800) return std::to_string(s / 3600) + " h ago";
  return std::to_string(s / 86400) + " days ago";
}

// Versions in `collection` after `cursor` that the release gate has not yet examined for this
// peer: what the next push round will look at. Counted on the index (no texts).
Result<uint64_t> Backlog(store::Store& st, const std::string& collection_id,
                         std::optional<store::Cursor> cursor) {
  store::Query q;
  q.with_text = false;
  q.versions = store::VersionMatch::All();
  q.limit = 100000;
  q.after = cursor;
  uint64_t n = 0;
  for (;;) {
    CTI_ASSIGN_OR_RETURN(store::Page page, st.List(collection_id, q));
    n += page.objects.size();
    if (!page.more) return n;
    q.after = page.next;
  }
}

int Peers(const FederationFlags& flags) {
  Result<Node> node = OpenNode(flags, store::OpenMode::kMustExist);
  if (!node.ok()) return Fail("peers", node.status());
  if (node->config.peers.empty()) {
    fmt::print("no peers declared in {}\n", flags.config);
    return kExitOk;
  }
  json::array out;
  for (const sync::PeerConfig& p : node->config.peers) {
    Result<sync::PeerState> state = sync::LoadPeerState(*node->store, p.name);
    if (!state.ok()) return Fail("peers", state.status());
    uint64_t backlog = 0;
    for (const std::string& name : p.push_from) {
      Result<store::Collection> c = node->store->FindCollection(name);
      if (!c.ok()) continue;
      std::optional<store::Cursor> cursor;
      if (auto it = state->push_cursors.find(c->id); it != state->push_cursors.end()) {
        cursor = it->second;
      }
      Result<uint64_t> n = Backlog(*node->store, c->id, cursor);
      if (n.ok()) backlog += *n;
    }
    Result<std::optional<std::string>> sent = node->store->GetRecord(kTransferOutKind, p.name);
    Result<std::optional<std::string>> got = node->store->GetRecord(kTransferInKind, p.name);
    auto sequence = [](const Result<std::optional<std::string>>& r) -> int64_t {
      if (!r.ok() || !r->has_value()) return 0;
      boost::system::error_code ec;
      json::value v = json::parse(**r, ec);
      if (ec || !v.is_object() || !v.get_object().contains("sequence")) return 0;
      return v.get_object().at("sequence").to_number<int64_t>();
    };
    std::string direction = p.pull && p.push ? "both" : p.pull ? "pull" : p.push ? "push" : "-";
    if (flags.json) {
      json::object o{{"peer", p.name},
                     {"organisation", p.organisation},
                     {"url", p.url},
                     {"direction", direction},
                     {"last_success", state->last_success ? state->last_success->ToString() : ""},
                     {"last_attempt", state->last_attempt ? state->last_attempt->ToString() : ""},
                     {"last_error", state->last_error},
                     {"consecutive_failures", state->consecutive_failures},
                     {"pull_watermark",
                      state->pull_watermark ? state->pull_watermark->ToString() : ""},
                     {"push_backlog", backlog},
                     {"refused_by_peer", state->failed_objects},
                     {"transfer_sent", sequence(sent)},
                     {"transfer_received", sequence(got)}};
      out.push_back(std::move(o));
      continue;
    }
    fmt::print("{} ({}, organisation {}, {})\n", p.name, p.url.empty() ? "transfer files only" : p.url,
               p.organisation, direction);
    fmt::print("  last success:  {}\n", Ago(state->last_success));
    if (!state->last_error.empty()) {
      fmt::print("  last error:    {} ({} failed rounds in a row)\n", state->last_error,
                 state->consecutive_failures);
    }
    if (p.pull) {
      fmt::print("  pull:          {} → {}, watermark {} (lag {})\n", p.pull_from, p.pull_into,
                 state->pull_watermark ? state->pull_watermark->ToString() : "none",
                 Ago(state->last_success));
    }
    if (p.push) {
      fmt::print("  push:          backlog {} versions not yet examined; {} objects refused by "
                 "the peer so far\n",
                 backlog, state->failed_objects);
    }
    fmt::print("  transfer files: last sent #{}, last imported #{}\n", sequence(sent),
               sequence(got));
  }
  if (flags.json) fmt::print("{}\n", json::serialize(out));
  return kExitOk;
}

// ---- transfer --------------------------------------------------------------------------------

struct TransferOutState {
  uint64_t sequence = 0;
  std::map<std::string, store::Cursor> cursors;  // collection id → last examined
  std::map<std::string, int64_t> deletion_cursors;  // collection id → last tombstone seq sent
};

// The first line of a transfer file (its header), read at most 64 KiB: nullopt when no line
// ends within that, so a file of one endless line is never read into memory.
std::optional<std::string> HeaderLine(std::istream& in) {
  constexpr size_t kMaxHeaderLine = 64 * 1024;
  std::string line(kMaxHeaderLine + 1, '\0');
  in.read(line.data(), static_cast<std::streamsize>(line.size()));
  line.resize(static_cast<size_t>(in.gcount()));
  const size_t newline = line.find('\n');
  if (newline == std::string::npos) return std::nullopt;
  line.resize(newline);
  return line;
}

// A .partial file left where this export would write: whether it is a transfer file this node
// recorded as sent (sealed, then the crash came before its rename: it must be delivered, or the
// receiver waits for it for ever) or one it never recorded (an export that did not finish: it
// must not be delivered, this export writes that sequence again). OK when there is none.
Status LeftoverPartial(const std::string& output, const std::string& peer, uint64_t sent) {
  const std::string partial = output + ".partial";
  std::ifstream in(partial, std::ios::binary);
  if (!in) return Status::Ok();
  std::optional<std::string> line = HeaderLine(in);
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  std::string_view receiver;
  uint64_t sequence = 0;
  const bool parsed = line && parser.parse(*line).get(e) == simdjson::SUCCESS &&
                      e["receiver"].get(receiver) == simdjson::SUCCESS &&
                      e["sequence"].get(sequence) == simdjson::SUCCESS;
  if (parsed && receiver != peer) {
    return FailedPrecondition(partial + " is transfer #" + std::to_string(sequence) + " to " +
                              std::string(receiver) + ": run this export with another -o, and "
                              "`ctihub transfer export --to " + std::string(receiver) + " -o " +
                              output + "` to learn whether to deliver or remove it");
  }
  if (parsed) {
    if (sequence <= sent) {
      return FailedPrecondition(
          partial + " is transfer #" + std::to_string(sequence) + " to " + peer +
          ", complete and recorded as sent: deliver it under its final name (rename it to " +
          output + " first), then export to another name. Do not remove it: " + peer +
          " would refuse every later file until #" + std::to_string(sequence) + " arrives");
    }
    return FailedPrecondition(partial + " is transfer #" + std::to_string(sequence) + " to " +
                              peer + ", never recorded as sent (an export that did not "
                              "finish, unless another is writing it now): remove it, do not deliver "
                              "it; this export writes #" + std::to_string(sent + 1) + " again");
  }
  return FailedPrecondition(partial + " exists: another export is writing it, or one was "
                            "interrupted before it was signed (then remove it)");
}

// The delivery ledger channel of transfer files to a peer (Store::RecordDeliveries).
std::string TransferChannel(const std::string& peer) { return "transfer/" + peer; }

Result<TransferOutState> LoadOut(store::Store& st, const std::string& receiver) {
  TransferOutState s;
  CTI_ASSIGN_OR_RETURN(std::optional<std::string> text, st.GetRecord(kTransferOutKind, receiver));
  if (!text) return s;
  boost::system::error_code ec;
  json::value v = json::parse(*text, ec);
  if (ec || !v.is_object()) return DataLoss("transfer state for '" + receiver + "' is unreadable");
  const json::object& o = v.get_object();
  if (const json::value* n = o.if_contains("sequence"); n && n->is_int64()) {
    s.sequence = static_cast<uint64_t>(n->get_int64());
  }
  if (const json::value* c = o.if_contains("cursors"); c && c->is_object()) {
    for (const auto& [id, pair] : c->get_object()) {
      const json::array* a = pair.if_array();
      if (a && a->size() == 2 && (*a)[0].is_int64() && (*a)[1].is_int64()) {
        s.cursors[std::string(id)] = {(*a)[0].get_int64(), (*a)[1].get_int64()};
      }
    }
  }
  if (const json::value* c = o.if_contains("deletion_cursors"); c && c->is_object()) {
    for (const auto& [id, seq] : c->get_object()) {
      if (seq.is_int64()) s.deletion_cursors[std::string(id)] = seq.get_int64();
    }
  }
  return s;
}

Status SaveOut(store::Store& st, const std::string& receiver, const TransferOutState& s) {
  json::object cursors;
  for (const auto& [id, c] : s.cursors) cursors[id] = json::array{c.date_added, c.row};
  json::object deletions;
  for (const auto& [id, seq] : s.deletion_cursors) deletions[id] = seq;
  json::object o{{"sequence", static_cast<int64_t>(s.sequence)},
                 {"cursors", std::move(cursors)},
                 {"deletion_cursors", std::move(deletions)}};
  return st.PutRecord(kTransferOutKind, receiver, json::serialize(o));
}

int TransferExport(const FederationFlags& flags) {
  constexpr std::string_view kCmd = "transfer export";
  Result<Node> node = OpenNode(flags, store::OpenMode::kMustExist);
  if (!node.ok()) return Fail(kCmd, node.status());
  if (Status s = CheckAuditLog(flags.store); !s.ok()) return Fail(kCmd, s);
  const sync::PeerConfig* peer = node->config.FindPeer(flags.to);
  if (!peer) {
    return Fail(kCmd, NotFound("no peer '" + flags.to + "' in " + flags.config +
                               " (declare it under [[peers]]; url may be empty)"));
  }
  const policy::Agreement* agreement = node->gate->AgreementFor(peer->organisation);
  if (!agreement) {
    return Fail(kCmd, FailedPrecondition("no sharing agreement with '" + peer->organisation +
                                         "': nothing may be released to it"));
  }
  Result<std::unique_ptr<sync::SigningKey>> key = LoadNodeKey(node->config, true);
  if (!key.ok()) return Fail(kCmd, key.status());
  store::Store& st = *node->store;
  // Which collections: as given, else the agreement's, else every collection it may see.
  std::vector<store::Collection> collections;
  std::vector<std::string> names = flags.collections;
  if (names.empty()) names = agreement->collections;
  const store::Recipient recipient{"", peer->organisation, false};
  if (names.empty()) {
    Result<std::vector<store::Collection>> all = st.ListCollections();
    if (!all.ok()) return Fail(kCmd, all.status());
    for (const store::Collection& c : *all) {
      if (!node->gate->CollectionVisible(recipient, c)) continue;
      Status may = PartnerMayRead(*node->accounts, peer->organisation, c);
      if (may.code() == StatusCode::kPermissionDenied) continue;
      if (!may.ok()) return Fail(kCmd, may);
      collections.push_back(c);
    }
  } else {
    for (const std::string& name : names) {
      Result<store::Collection> c = st.FindCollection(name);
      if (!c.ok()) return Fail(kCmd, c.status());
      if (!node->gate->CollectionVisible(recipient, *c)) {
        return Fail(kCmd, PermissionDenied("the agreement with " + peer->organisation +
                                           " does not cover collection " + name));
      }
      if (Status may = PartnerMayRead(*node->accounts, peer->organisation, *c); !may.ok()) {
        return Fail(kCmd, may);
      }
      collections.push_back(*c);
    }
  }
  // Held until this file is recorded as sent: the next export to this peer waits, and numbers
  // its file after this one.
  Result<PeerLock> lock = PeerLock::Acquire(flags.store, peer->name, /*wait=*/true, "transfer");
  if (!lock.ok()) return Fail(kCmd, lock.status());
  Result<TransferOutState> state = LoadOut(st, peer->name);
  if (!state.ok()) return Fail(kCmd, state.status());
  std::optional<Timestamp> since;
  if (!flags.since.empty()) {
    Result<Timestamp> t = Timestamp::Parse(flags.since);
    if (!t.ok()) return Fail(kCmd, InvalidArgument("--since: " + t.status().message()));
    since = *t;
  }
  if (Status leftover = LeftoverPartial(flags.output, peer->name, state->sequence);
      !leftover.ok()) {
    return Fail(kCmd, leftover);
  }
  sync::TransferHeader header{node->config.name, peer->name, state->sequence + 1,
                              Timestamp::Now(), node->config.identity};
  Result<std::unique_ptr<sync::TransferWriter>> writer =
      sync::TransferWriter::Create(flags.output, header, **key);
  if (!writer.ok()) return Fail(kCmd, writer.status());
  // Every version is ruled on (not filtered in the query), so the summary says what was withheld
  // and by which rule, as a sync round's does.
  const store::DecidingGate deciding(*node->gate);
  store::OutboundReader reader(st, deciding);
  store::ReleaseTally tally;
  TransferOutState next = *state;
  next.sequence = header.sequence;
  const std::string channel = TransferChannel(peer->name);
  // Deletions: of what an earlier file gave this peer, when the agreement says so (the ledger
  // knows what went; an object it never received is never named). Forgotten once the file is
  // complete.
  std::vector<store::Delivery> told;
  size_t deletions = 0;
  for (const store::Collection& c : collections) {
    if (!agreement->send_deletions) break;
    for (bool full = false; !full;) {
      Result<std::vector<store::Tombstone>> marks =
          st.Tombstones(c.id, next.deletion_cursors[c.id], 1000);
      if (!marks.ok()) return Fail(kCmd, marks.status());
      if (marks->empty()) break;
      for (const store::Tombstone& mark : *marks) {
        Result<std::vector<store::Delivery>> sent = st.DeliveriesBefore(channel, c.id, mark);
        if (!sent.ok()) return Fail(kCmd, sent.status());
        if (deletions + sent->size() > sync::kMaxTransferDeletions) {
          full = true;  // the rest goes in the next file
          break;
        }
        for (const store::Delivery& d : *sent) {
          if (Status s = (*writer)->AddDeletion(d.sent_id); !s.ok()) return Fail(kCmd, s);
          told.push_back(d);
          ++deletions;
        }
        next.deletion_cursors[c.id] = mark.seq;
      }
    }
  }
  for (const store::Collection& c : collections) {
    store::Query q;
    q.limit = 10000;
    q.versions = store::VersionMatch::All();  // every version: the receiver keeps history too
    auto cursor = state->cursors.find(c.id);
    // --since later than where the last file stopped leaves out what lies between: the cursor
    // then stays, so the next file still carries it (found in review: it was skipped for good).
    const bool moves_cursor =
        !since || (cursor != state->cursors.end() && since->micros() < cursor->second.date_added);
    if (since) {
      q.added_after = since;
    } else if (cursor != state->cursors.end()) {
      q.after = cursor->second;
    }
    for (;;) {
      Result<store::Page> page = reader.List(c.id, q, recipient, &tally);
      if (!page.ok()) return Fail(kCmd, page.status());
      std::vector<store::Delivery> delivered;
      delivered.reserve(page->objects.size());
      for (const store::StoredObject& o : page->objects) {
        if (Status s = (*writer)->Add(o.text); !s.ok()) return Fail(kCmd, s);
        delivered.push_back({c.id, o.stored_id.empty() ? o.id : o.stored_id, o.id, peer->name});
      }
      // Recorded as the file is written: should the export then fail, a later deletion names an
      // object the peer was allowed to receive, which reveals nothing it may not know.
      if (Status s = st.RecordDeliveries(channel, delivered); !s.ok()) {
        return Fail(kCmd, s);
      }
      if (page->examined && moves_cursor) next.cursors[c.id] = *page->examined;
      if (!page->more) break;
      q.after = page->next;
    }
  }
  // Sealed (complete, signed, synced), then recorded as sent, then given its final name: a crash
  // in between leaves a .partial file the receiver has not seen and the next export numbered
  // after it — a gap the receiver refuses until that file arrives — never a finished-looking
  // file this node does not know it sent (whose objects the next file would then leave out).
  Result<sync::TransferManifest> manifest = (*writer)->Seal();
  if (!manifest.ok()) return Fail(kCmd, manifest.status());
  const std::string partial = flags.output + ".partial";
  if (Status s = SaveOut(st, peer->name, next); !s.ok()) {
    std::remove(partial.c_str());  // nothing recorded: the next export writes it again
    return Fail(kCmd, s);
  }
  if (Status s = (*writer)->Publish(); !s.ok()) {
    return Fail(kCmd, Status(s.code(), s.message() + "; transfer #" +
                                           std::to_string(header.sequence) +
                                           " is complete and signed in " + partial +
                                           ": deliver it under its final name"));
  }
  // Told: a failure here only means the next file names them again (the receiver finds
  // nothing to delete the second time).
  if (Status s = st.ForgetDeliveries(channel, told); !s.ok()) {
    fmt::print(stderr, "ctihub transfer export: warning: {}\n", s.message());
  }
  fmt::print(
      "wrote {}: transfer #{} from {} to {}, {} ({} redacted), {} withheld, {}, signed "
      "by key {}\n",
      flags.output, header.sequence, header.sender, header.receiver,
      Count(manifest->objects, "object"), tally.redacted, tally.withheld,
      Count(deletions, "deletion"), manifest->key_id);
  for (const auto& [rule, n] : tally.rules) fmt::print("  {}: {}\n", rule, n);
  std::map<std::string, uint64_t> rules(tally.rules.begin(), tally.rules.end());
  Audit(flags.store, "release", "transfer #" + std::to_string(header.sequence) + " to " + peer->name,
        "exported " + std::to_string(manifest->objects) + " released, " +
            std::to_string(tally.redacted) + " redacted, " + std::to_string(tally.withheld) +
            " withheld, " + std::to_string(deletions) + " deletions, sha256 " +
            manifest->sha256,
        rules);
  return kExitOk;
}

// The sender named on the first line, read before anything is trusted only to choose whose
// keys verify the file; VerifyTransferFile then covers that line too. At most 64 KiB of it is
// read (HeaderLine).
Result<std::string> PeekSender(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open " + path);
  std::optional<std::string> line = HeaderLine(in);
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  std::string_view sender;
  if (!line || parser.parse(*line).get(e) != simdjson::SUCCESS ||
      e["ctihub_transfer"].error() != simdjson::SUCCESS ||
      e["sender"].get(sender) != simdjson::SUCCESS) {
    return InvalidArgument(path + " is not a ctihub transfer file (its first line is not a "
                                  "transfer header)");
  }
  return std::string(sender);
}

// A copy of a transfer file only this user can reach, removed when it goes out of scope: the
// file is verified and read from it, so nothing can change or replace the original between
// the signature check and the import (a shared import directory, a removable medium) — the
// import stores batches as it reads, and a change noticed only at the end would come too late.
class PrivateCopy {
 public:
  static Result<std::unique_ptr<PrivateCopy>> Of(const std::string& original) {
    const char* tmp = std::getenv("TMPDIR");
    std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/ctihub-transfer.XXXXXX";
    if (::mkdtemp(dir.data()) == nullptr) {
      return Unavailable("cannot make a private directory for " + original + ": " +
                         std::strerror(errno));
    }
    auto copy = std::unique_ptr<PrivateCopy>(new PrivateCopy(dir, dir + "/file.ctx"));
    std::ifstream in(original, std::ios::binary);
    if (!in) return NotFound("cannot open " + original);
    std::ofstream out(copy->path_, std::ios::binary | std::ios::trunc);
    std::vector<char> buffer(1 << 20);
    while (in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      out.write(buffer.data(), in.gcount());
    }
    if (in.bad() || !out.flush()) {
      return Unavailable("cannot copy " + original + " to " + copy->path_ +
                         " (space in TMPDIR?)");
    }
    return copy;
  }
  ~PrivateCopy() {
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  PrivateCopy(std::string dir, std::string path) : dir_(std::move(dir)), path_(std::move(path)) {}
  std::string dir_, path_;
};

int TransferImport(const FederationFlags& flags) {
  constexpr std::string_view kCmd = "transfer import";
  Result<Node> node = OpenNode(flags, store::OpenMode::kCreateIfMissing);
  if (!node.ok()) return Fail(kCmd, node.status());
  if (Status s = CheckAuditLog(flags.store); !s.ok()) return Fail(kCmd, s);
  Result<std::unique_ptr<PrivateCopy>> copy = PrivateCopy::Of(flags.file);
  if (!copy.ok()) return Fail(kCmd, copy.status());
  const std::string& file = (*copy)->path();  // what is verified and read
  // Messages name the file the operator gave, not the copy.
  auto named = [&](const Status& s) {
    std::string message = s.message();
    for (size_t at = message.find(file); at != std::string::npos;
         at = message.find(file, at + flags.file.size())) {
      message.replace(at, file.size(), flags.file);
    }
    return Status(s.code(), message);
  };
  Result<std::string> sender = PeekSender(file);
  if (!sender.ok()) return Fail(kCmd, named(sender.status()));
  const sync::PeerConfig* peer = node->config.FindPeer(*sender);
  if (!peer) {
    if (*sender == node->config.name) {
      return Refuse(kCmd, PermissionDenied("the file was written by this node ('" + *sender +
                                           "'): import it on the node it is addressed to; "
                                           "nothing imported"));
    }
    return Refuse(kCmd, PermissionDenied("the file comes from '" + *sender +
                                         "', which is not a peer of this node; nothing imported"));
  }
  sync::TrustedKeys trusted;
  for (const std::string& k : peer->trusted_keys) {
    if (Status s = trusted.Add(k); !s.ok()) return Fail(kCmd, s);
  }
  if (trusted.empty()) {
    return Fail(kCmd, FailedPrecondition("no key is trusted for peer '" + peer->name +
                                         "' (trusted_keys): a transfer file is only imported "
                                         "when its signature verifies; nothing imported"));
  }
  Result<sync::TransferManifest> manifest = sync::VerifyTransferFile(file, trusted);
  if (!manifest.ok()) {
    const Status refused = named(manifest.status());
    Audit(flags.store, "import", flags.file, "refused: " + refused.message());
    return Refuse(kCmd, Status(refused.code(), refused.message() + "; nothing imported"));
  }
  const sync::TransferHeader& h = manifest->header;
  if (h.sender != peer->name) {
    return Refuse(kCmd, PermissionDenied("the signed header names sender '" + h.sender +
                                         "', not '" + peer->name + "'; nothing imported"));
  }
  if (h.receiver != node->config.name) {
    Audit(flags.store, "import", flags.file, "refused: addressed to " + h.receiver);
    return Refuse(
        kCmd, PermissionDenied("the file is addressed to '" + h.receiver + "', and this node is '" +
                               node->config.name + "'; nothing imported"));
  }
  store::Store& st = *node->store;
  Result<std::optional<std::string>> last_text = st.GetRecord(kTransferInKind, peer->name);
  if (!last_text.ok()) return Fail(kCmd, last_text.status());
  uint64_t last = 0;
  if (last_text->has_value()) {
    boost::system::error_code ec;
    json::value v = json::parse(**last_text, ec);
    if (!ec && v.is_object() && v.get_object().contains("sequence")) {
      last = v.get_object().at("sequence").to_number<uint64_t>();
    }
  }
  if (Status s = sync::CheckTransferSequence(last, h.sequence, flags.accept_gap); !s.ok()) {
    Audit(flags.store, "import", flags.file, "refused: " + s.message());
    return Refuse(kCmd, Status(s.code(), s.message() + "; nothing imported"));
  }
  std::string into = flags.collection.empty() ? peer->pull_into : flags.collection;
  Result<store::Collection> c = st.EnsureCollection(into);
  if (!c.ok()) return Fail(kCmd, c.status());
  // Deletions first, as the sender made them before anything it sends again: only what this
  // peer itself sent us, and only when our agreement with it accepts its deletions.
  uint64_t deleted = 0;
  const policy::Agreement* with_sender = node->gate->AgreementFor(peer->organisation);
  const bool accept_deletions = !with_sender || with_sender->accept_deletions;
  if (accept_deletions) {
    for (const std::string& id : manifest->deletions) {
      Result<uint64_t> n = st.DeleteFromOrigin(c->id, id, peer->organisation);
      if (!n.ok()) return Fail(kCmd, n.status());
      deleted += *n > 0;
    }
  }
  stix::Validator validator;
  std::vector<stix::ObjectVersion> batch;
  uint64_t added = 0, versions = 0, duplicates = 0, rejected = 0;
  std::vector<std::string> rejections;
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    CTI_ASSIGN_OR_RETURN(store::PutResult put,
                         st.Put(c->id, batch, store::PutMode::kBestEffort, peer->organisation));
    added += put.added;
    versions += put.new_versions;
    duplicates += put.duplicates;
    rejected += put.rejected;
    for (size_t i = 0; i < put.outcomes.size(); ++i) {
      if (put.outcomes[i] == store::PutOutcome::kRejected && rejections.size() < 20) {
        rejections.push_back(batch[i].id + ": " + put.reasons[i]);
      }
    }
    batch.clear();
    return Status::Ok();
  };
  simdjson::dom::parser parser;
  Status read = sync::ReadTransferObjects(file, *manifest, [&](std::string_view text) -> Status {
    // Signed by a trusted peer is not the same as valid: each object is still checked.
    stix::RawObject raw;
    raw.text = std::string(text);
    std::string why;
    size_t errors = validator.ValidateObject(raw, [&](const stix::Finding& f) {
      if (f.severity == stix::Severity::kError && why.size() < 300) {
        why += (why.empty() ? "" : "; ") + f.message;
      }
    });
    Result<stix::ObjectVersion> v = stix::ExtractObjectVersion(parser, raw.text);
    if (errors > 0 || !v.ok()) {
      ++rejected;
      if (rejections.size() < 20) {
        rejections.push_back((v.ok() ? v->id : std::string("an object")) + ": " +
                             (why.empty() ? v.status().message() : why));
      }
      return Status::Ok();
    }
    v->text = std::move(raw.text);
    batch.push_back(std::move(*v));
    return batch.size() >= 5000 ? flush() : Status::Ok();
  });
  if (read.ok()) read = flush();
  if (!read.ok()) return Fail(kCmd, named(read));
  // Recorded once every object is stored: a crash before this re-imports the same file as
  // duplicates, never skips it.
  json::object record{{"sequence", static_cast<int64_t>(h.sequence)},
                      {"imported", Timestamp::Now().ToString()},
                      {"sha256", manifest->sha256}};
  if (Status s = st.PutRecord(kTransferInKind, peer->name, json::serialize(record)); !s.ok()) {
    return Fail(kCmd, s);
  }
  fmt::print(
      "imported transfer #{} from {} (signed by key {}, {}): {} new, {}, {}, {} "
      "rejected, into collection {}\n",
      h.sequence, h.sender, manifest->key_id, Count(manifest->objects, "object"), added,
      Count(versions, "new version"), Count(duplicates, "duplicate"), rejected, into);
  if (!manifest->deletions.empty()) {
    if (accept_deletions) {
      fmt::print("  deletions: {} listed, {} objects deleted (the rest were not here from {})\n",
                 manifest->deletions.size(), deleted, peer->organisation);
    } else {
      fmt::print("  deletions: {} listed, none applied (the agreement with {} has "
                 "accept_deletions = false)\n",
                 manifest->deletions.size(), peer->organisation);
    }
  }
  for (const std::string& r : rejections) fmt::print("  rejected {}\n", r);
  Audit(flags.store, "import", "transfer #" + std::to_string(h.sequence) + " from " + h.sender,
        std::to_string(added + versions) + " stored, " + std::to_string(duplicates) +
            " duplicates, " + std::to_string(rejected) + " rejected, " +
            std::to_string(deleted) + " deleted");
  return rejected > 0 ? kExitFindings : kExitOk;
}

}  // namespace

// ---- the schedule of `ctihub serve` ------------------------------------------------------------

struct PeerScheduler::Impl {
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::atomic<bool> interrupt{false};  // ends rounds in progress (PeerSync::set_stop)
  std::vector<std::thread> threads;
  std::unique_ptr<sync::SigningKey> key;

  ~Impl() {
    {
      std::lock_guard lock(mu);
      stopping = true;
    }
    interrupt = true;
    cv.notify_all();
    for (std::thread& t : threads) t.join();
  }
  // Waits up to `d`; false when stopping.
  bool Sleep(std::chrono::milliseconds d) {
    std::unique_lock lock(mu);
    return !cv.wait_for(lock, d, [&] { return stopping; });
  }
};

PeerScheduler::PeerScheduler(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PeerScheduler::~PeerScheduler() = default;
size_t PeerScheduler::peers() const { return impl_->threads.size(); }

Result<std::unique_ptr<PeerScheduler>> PeerScheduler::Start(const NodeConfig& config,
                                                            std::string store_uri,
                                                            const store::ReleaseGate& gate,
                                                            std::chrono::milliseconds first_round) {
  auto impl = std::make_unique<Impl>();
  CTI_ASSIGN_OR_RETURN(impl->key, LoadNodeKey(config, false));
  for (const sync::PeerConfig& peer : config.peers) {
    if (!peer.pull && !peer.push) continue;
    Impl* self = impl.get();
    impl->threads.emplace_back([self, peer, store_uri, &gate, node = config.name, first_round] {
      Result<std::unique_ptr<store::Store>> own = store::Store::Open(store_uri);
      if (!own.ok()) {
        fmt::print(stderr, "sync {}: cannot open the store: {}\n", peer.name,
                   own.status().message());
        return;
      }
      sync::PeerSync sync(peer, **own, gate, self->key.get(), node);
      sync.set_read_check(ReadCheckFor(store_uri, peer.organisation));
      sync.set_stop(&self->interrupt);
      std::mt19937_64 random{std::random_device{}()};
      uint64_t failures = 0;
      std::chrono::milliseconds wait = first_round + std::chrono::milliseconds(random() % 1000);
      while (self->Sleep(wait)) {
        Result<PeerLock> lock = PeerLock::Acquire(store_uri, peer.name, /*wait=*/false);
        if (!lock.ok()) {  // `ctihub sync` is doing it right now
          wait = std::chrono::duration_cast<std::chrono::milliseconds>(peer.interval);
          continue;
        }
        Result<sync::SyncReport> r = sync.RunOnce();
        if (self->interrupt) break;  // cut short by the shutdown: nothing to report
        if (r.ok()) {
          failures = 0;
          if (r->pulled_new + r->pulled_new_versions + r->pushed_objects + r->withheld > 0) {
            fmt::print(stderr, "sync {}\n", sync::DescribeReport(*r));
            Audit(store_uri, "sync", peer.name, Outcome(*r), r->withheld_by_rule);
          }
          wait = std::chrono::duration_cast<std::chrono::milliseconds>(peer.interval);
        } else {
          ++failures;
          // Exponential backoff from 5 s, capped at the interval, with full jitter.
          auto cap = std::min<int64_t>(
              std::chrono::duration_cast<std::chrono::milliseconds>(peer.interval).count(),
              5000LL << std::min<uint64_t>(failures - 1, 10));
          wait = std::chrono::milliseconds(cap / 2 + random() % (cap / 2 + 1));
          fmt::print(stderr, "sync {}: round failed ({} in a row), next try in {} s: {}\n",
                     peer.name, failures, wait.count() / 1000, r.status().message());
          if (failures == 1) {  // the start of an outage, not every retry of it
            Audit(store_uri, "sync", peer.name, "failed: " + r.status().message());
          }
        }
      }
    });
  }
  return std::unique_ptr<PeerScheduler>(new PeerScheduler(std::move(impl)));
}

void AddFederationCommands(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<FederationFlags>();
  auto with_node = [flags](CLI::App* cmd) {
    cmd->add_option("--store", flags->store,
                    "Store URI (sqlite:PATH); default $CTIHUB_STORE or sqlite:ctihub.db");
    // Checked in the command, with a message that says why it is needed.
    cmd->add_option("--config", flags->config,
                    "Node configuration file (TOML) with [[peers]], keys and agreements "
                    "(required)")
        ->check(CLI::ExistingFile);
  };

  CLI::App* key = app.add_subcommand("node-key", "This node's Ed25519 signing key (federation)");
  key->require_subcommand(1);
  CLI::App* generate = key->add_subcommand("generate", "Create a new signing key file");
  generate->add_option("-o,--output", flags->output, "Key file to write (never overwritten)")
      ->required();
  generate->callback([flags, &exit_code] { exit_code = KeyGenerate(*flags); });
  CLI::App* show = key->add_subcommand("show", "Print a key's public key and key id");
  show->add_option("file", flags->key_file, "Key file")->required()->check(CLI::ExistingFile);
  show->callback([flags, &exit_code] { exit_code = KeyShow(*flags); });

  CLI::App* sync_cmd = app.add_subcommand(
      "sync",
      "Run one sync round with each peer (or those named): pull, push, and what moved.\n"
      "Exit status: 0 all moved, 1 a round failed or objects were rejected or refused, 2 usage "
      "or configuration error.");
  with_node(sync_cmd);
  sync_cmd->add_option("peer", flags->peers, "Peers to sync (default: all)");
  sync_cmd->add_flag("--json", flags->json, "Print the reports as JSON");
  sync_cmd->callback([flags, &exit_code] { exit_code = Sync(*flags); });

  CLI::App* peers = app.add_subcommand(
      "peers", "Each peer's last success, last error, watermark, backlog and transfer sequence");
  with_node(peers);
  peers->add_flag("--json", flags->json, "Print as JSON");
  peers->callback([flags, &exit_code] { exit_code = Peers(*flags); });

  CLI::App* transfer = app.add_subcommand(
      "transfer", "Signed one-way transfer files for air-gapped networks");
  transfer->require_subcommand(1);
  CLI::App* out = transfer->add_subcommand(
      "export", "Write what the agreement releases to a peer since the last file, signed");
  with_node(out);
  out->add_option("--to", flags->to, "The peer it is for")->required();
  out->add_option("-o,--output", flags->output, "File to write (never overwritten)")->required();
  out->add_option("--collection", flags->collections,
                  "Collections to include (default: the agreement's, else all it may see)");
  out->add_option("--since", flags->since,
                  "Everything added after this time, instead of what the last file to this "
                  "peer did not hold (the next file without it still holds whatever this one "
                  "left out)");
  out->callback([flags, &exit_code] { exit_code = TransferExport(*flags); });
  CLI::App* in = transfer->add_subcommand(
      "import", "Verify a transfer file (signature, sequence, address) and import it");
  with_node(in);
  in->add_option("file", flags->file, "Transfer file")->required()->check(CLI::ExistingFile);
  in->add_option("--collection", flags->collection,
                 "Collection to import into (default: the peer's pull_into)");
  in->add_flag("--accept-gap", flags->accept_gap,
               "Import although earlier files of this sender never arrived (they are lost)");
  in->callback([flags, &exit_code] { exit_code = TransferImport(*flags); });
}

}  // namespace ctihub::app
