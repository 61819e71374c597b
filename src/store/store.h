// store: where the hub keeps STIX object versions, per collection, with the semantics TAXII 2.1
// needs — versions identified by (id, modified), store-assigned strictly increasing date_added,
// stateless keyset paging on (date_added, row), match[version] selection — and the exact JSON
// text of every version, returned byte for byte.
//
// One interface, backends chosen by URI: "sqlite:PATH" (the embedded default, src/store/sqlite/)
// and "memory:" (an in-process fake with the same semantics, for tests). Following Zeek's storage
// framework, the public methods are non-virtual: they validate arguments and keep the contract in
// one place, then call the backend's private Do* methods. No backend header appears here.
//
//   CTI_ASSIGN_OR_RETURN(auto store, Store::Open("sqlite:hub.db"));
//   CTI_ASSIGN_OR_RETURN(Collection c, store->EnsureCollection("feeds"));
//   CTI_ASSIGN_OR_RETURN(PutResult r, store->Put(c.id, versions));   // atomic
//   Query q;  q.types = {"indicator"};  q.limit = 100;
//   CTI_ASSIGN_OR_RETURN(Page page, store->List(c.id, q));          // page.next for the next one
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "stix/object.h"

namespace ctihub::store {

inline constexpr std::string_view kStixMediaType = "application/stix+json;version=2.1";

struct Collection {
  std::string id;           // UUID (the TAXII collection id); assigned when created empty
  std::string alias;        // short unique name used on the command line (`--collection feeds`)
  std::string title;
  std::string description;
  std::vector<std::string> media_types{std::string(kStixMediaType)};
};

// TAXII 2.1 match[version]: any union of first, last, all and specific versions. The default,
// as in TAXII, is the latest version only.
struct VersionMatch {
  bool first = false;
  bool last = true;
  bool all = false;
  std::vector<int64_t> at;  // specific `modified` values, µs since the epoch

  static VersionMatch Last() { return {}; }
  static VersionMatch All() { return {false, false, true, {}}; }
  static VersionMatch First() { return {true, false, false, {}}; }
  bool matches_everything() const { return all; }
};

// A position in a collection: the next page starts strictly after it. Encodes only data, so a
// paging token made from it survives restarts and works across replicas.
struct Cursor {
  int64_t date_added = 0;  // µs
  int64_t row = 0;
  friend bool operator==(const Cursor&, const Cursor&) = default;
};

struct Query {
  std::vector<std::string> ids;            // match[id]
  std::vector<std::string> types;          // match[type]
  // Types left out (the release gate's: an agreement that does not share sightings), so that
  // they are skipped by the query rather than dropped after paging.
  std::vector<std::string> exclude_types;
  std::vector<std::string> spec_versions;  // match[spec_version]; empty = any
  VersionMatch versions;                   // match[version]
  std::optional<Timestamp> added_after;    // strictly after
  // Marking filters: objects whose highest TLP level (0 clear … 4 red) is at most this; objects
  // without a TLP marking pass only when `include_unmarked`.
  std::optional<int> max_tlp;
  bool include_unmarked = true;
  std::vector<std::string> marking_refs;   // objects carrying at least one of these markings
  // The release gate's marking filter, on the indexed object_marking_refs: when set, an object
  // passes only if every ref it carries is in `allowed_markings` and, for each list in
  // `required_markings`, it carries at least one ref of that list; an object without refs passes
  // only when `include_unmarked` and `required_markings` is empty. Unknown refs are excluded.
  std::optional<std::vector<std::string>> allowed_markings;
  std::vector<std::vector<std::string>> required_markings;
  // Objects of these types without object markings of their own pass the marking filter
  // whatever `include_unmarked` says, and the release gate decides each (an unmarked
  // marking-definition goes to whoever is cleared for the marking it defines).
  std::vector<std::string> unmarked_types_decided;
  // Content whose created_by is `owner_identity` may also carry refs outside `known_markings`
  // (markings nobody here can interpret): they fail closed for everyone but their owner.
  std::string owner_identity;
  std::vector<std::string> known_markings;
  std::optional<Timestamp> added_until;    // inclusive (an embargo's horizon)
  // With the marking filter: leave out a version that is not its object's latest when the latest
  // version's object markings pass with these refs in place of `allowed_markings`. The release
  // gate gives the refs under which a version is released whoever owns it, when nothing but
  // markings can withhold one; OutboundReader keeps them for `last` alone, the recipient's last
  // version then being the latest (the older ones are not read).
  std::optional<std::vector<std::string>> skip_superseded_when_latest_under;
  // Versions whose origin (Store::Put) is one of these are left out: a peer is never sent back
  // what it sent.
  std::vector<std::string> exclude_origins;
  std::optional<Cursor> after;             // keyset paging
  size_t limit = 1000;                     // 1..100000
  bool with_text = true;                   // false for manifests
  // When > 0, a page ends (with `more`) once its objects' texts reach this many bytes, so that
  // `limit` large objects cannot make one response gigabytes; a page always has one object.
  size_t max_text_bytes = 0;
};

// One stored version.
struct StoredObject {
  int64_t row = 0;
  Timestamp date_added;
  std::string id;
  std::string type;
  std::string spec_version;
  int64_t version = 0;        // `modified` µs, else `created` µs, else 0 (SCOs): VersionOf
  std::string version_text;   // `modified` as written, else `created`, else "" (SCOs)
  bool revoked = false;
  // Whether this is the id's first or latest version among every version stored (List sets
  // them; a recipient's first and last are chosen among what it may receive, OutboundReader).
  bool is_first = false;
  bool is_latest = false;
  std::vector<std::string> markings;  // object_marking_refs
  std::string created_by;             // created_by_ref, or empty
  // The marking_refs of its granular markings, when the store knows them (rows written before
  // it recorded them do not: then `granular_known` is false and the text must be read).
  std::vector<std::string> granular_refs;
  bool granular_known = false;
  std::string origin;         // the peer it came from (Store::Put), or empty
  std::string collection;     // the id of the collection it was read from (Store::List)
  // Set by OutboundReader when the release gave the version another id (`id`): the id it is
  // stored under here, which a delivery ledger (sync) must remember.
  std::string stored_id;
  std::string text;           // exact submitted JSON (empty when the query did not ask for it)
};

struct Page {
  std::vector<StoredObject> objects;
  bool more = false;
  std::optional<Cursor> next;  // where the following page starts (set when `more`)
  // OutboundReader only: the position of the last stored version it examined, released or
  // not — where a reader that keeps its own cursor (sync push) resumes.
  std::optional<Cursor> examined;
};

enum class PutOutcome {
  kAdded,       // first version of an id in this collection
  kNewVersion,  // another version of an id already here
  kDuplicate,   // the same version, identical text: a no-op
  kRejected,    // see PutResult::reasons
};

struct PutResult {
  uint64_t added = 0;
  uint64_t new_versions = 0;
  uint64_t duplicates = 0;
  uint64_t rejected = 0;
  std::vector<PutOutcome> outcomes;  // one per submitted object, in order
  std::vector<std::string> reasons;  // one per submitted object; empty unless rejected
  std::optional<Timestamp> first_date_added;  // of the objects added by this call
  std::optional<Timestamp> last_date_added;
  // False when PutMode::kAllOrNothing found a rejection and wrote nothing (the outcomes and
  // reasons still say what each object would have been).
  bool committed = true;
};

enum class PutMode {
  kBestEffort,    // accepted objects go in, rejected ones are reported
  kAllOrNothing,  // any rejection means nothing is written
};

// The mark an object leaves when its last version in a collection is deleted, so that those
// who received it (the delivery ledger below says who) can be told. `seq` is strictly increasing per
// collection (µs, from the clock when it is ahead).
struct Tombstone {
  int64_t seq = 0;
  std::string id;
  friend bool operator==(const Tombstone&, const Tombstone&) = default;
};

struct Delivery {
  std::string collection_id;  // local collection it was read from
  std::string local_id;       // the id it is stored under here
  std::string sent_id;        // the id the partner received
  std::string destination;    // where it went: the peer's collection id, or a node's name
  friend bool operator==(const Delivery&, const Delivery&) = default;
};

struct Record {
  std::string key;
  std::string value;
  friend bool operator==(const Record&, const Record&) = default;
};

struct StoreStats {
  uint64_t collections = 0;
  uint64_t objects = 0;   // stored versions
  uint64_t bytes = 0;     // size on disk (0 for memory)
};

// InvalidArgument unless `alias` is a collection name a user can type: 1-64 letters, digits,
// '-', '_' or '.'.
Status CheckCollectionName(std::string_view alias);

// Whether Store::Open may make a new, empty store where there is none (LevelDB's
// create_if_missing). What only reads or checks opens kMustExist, so that a mistyped or deleted
// store is an error, not an empty store that reads as intact.
enum class OpenMode {
  kCreateIfMissing,
  kMustExist,  // NotFound when there is no store; nothing is created
  // kMustExist, and the store is only read: nothing is created, migrated or changed, so a check
  // or an export leaves the file as it was. FailedPrecondition for a store of an older schema
  // (`ctihub store migrate` brings it up to date). Writes through such a store fail.
  kReadOnly,
};

class Store {
 public:
  // "sqlite:PATH" creates the file when missing, unless `mode` is kMustExist or kReadOnly: then
  // NotFound ("no store at PATH") and no file is made. An older schema is migrated on open,
  // except kReadOnly. "memory:" is empty and private to the caller,
  // whatever the mode. InvalidArgument for an unknown scheme, Unavailable when the backend
  // cannot open.
  static Result<std::unique_ptr<Store>> Open(std::string_view uri,
                                             OpenMode mode = OpenMode::kCreateIfMissing);
  virtual ~Store();

  // AlreadyExists when the alias or id is taken. An empty id gets a new UUIDv4.
  Result<Collection> CreateCollection(Collection collection);
  // The collection with this id or alias; creates it (alias = title = name) when absent.
  Result<Collection> EnsureCollection(std::string_view name);
  Result<Collection> FindCollection(std::string_view id_or_alias);  // NotFound
  Result<std::vector<Collection>> ListCollections();

  // Adds a batch of object versions atomically: on a non-OK return nothing was written, on OK
  // every accepted object is durable (the backend has synced). Versioning (STIX 2.1 §3.6): a
  // version is (id, modified); the same version with identical text is a duplicate (no-op), with
  // different text it is rejected; a new `modified` is a new version; unversioned objects (SCOs)
  // are stored once per id; marking-definitions are immutable. date_added is assigned here,
  // strictly increasing per collection, one microsecond apart at least.
  //
  // `origin` names where the versions came from when that was a federation peer (its
  // organisation): it is kept with each new version (not with duplicates) so that what came
  // from a peer is never sent back to it (Query::exclude_origins). Empty for local content.
  Result<PutResult> Put(std::string_view collection_id,
                        const std::vector<stix::ObjectVersion>& batch,
                        PutMode mode = PutMode::kBestEffort, std::string_view origin = {});

  // Objects (or a manifest, with_text = false) in (date_added, row) order. InvalidArgument for a
  // limit outside 1..100000, NotFound for an unknown collection.
  Result<Page> List(std::string_view collection_id, const Query& query);
  // The versions of one object selected by `versions`, oldest first; empty when absent.
  Result<std::vector<StoredObject>> Get(std::string_view collection_id, std::string_view id,
                                        const VersionMatch& versions = VersionMatch::Last());
  // Removes the selected versions of an object; returns how many were removed. Removing the
  // latest (or first) version moves that mark to the next remaining one. Removing the last one
  // leaves a Tombstone, in the same transaction.
  Result<uint64_t> Delete(std::string_view collection_id, std::string_view id,
                          const VersionMatch& versions = VersionMatch::All());
  // Removes the versions of an object that came from `origin` (Put's), and only those — what a
  // peer may withdraw of what it sent; returns how many.
  Result<uint64_t> DeleteFromOrigin(std::string_view collection_id, std::string_view id,
                                    std::string_view origin);

  // Integrity check of the backing storage (SQLite: PRAGMA integrity_check) plus invariants
  // (exactly one latest and one first version per id). DataLoss with the details when broken.
  Status Check();
  Result<StoreStats> Stats();

  // Between BeginSnapshot and EndSnapshot every read through this object sees the store as it
  // was at the first of them, whatever is written meanwhile — so that the pages of one export
  // are one point in time (each id once). SQLite: one read transaction; writers on other
  // connections are not blocked (WAL), and writes through this object fail until EndSnapshot.
  // Not nested: FailedPrecondition when a snapshot is already held, or none is.
  Status BeginSnapshot();
  Status EndSnapshot();

  // Small named records kept beside the objects — TAXII status resources, sync watermarks — so
  // a node's whole state is one store, shared by every replica. `kind` and `key` are non-empty
  // (InvalidArgument otherwise); PutRecord replaces and is durable when it returns.
  Status PutRecord(std::string_view kind, std::string_view key, std::string_view value);
  Result<std::optional<std::string>> GetRecord(std::string_view kind, std::string_view key);
  // Removes the records of `kind` whose key sorts (bytewise) before `key_bound`; returns how
  // many. With time-ordered keys (Uuid::TimeOrderedV7) this expires old records.
  Result<uint64_t> DeleteRecordsBefore(std::string_view kind, std::string_view key_bound);
  // Records of `kind` whose key sorts (bytewise) after `after`, in key order, at most `limit`.
  Result<std::vector<Record>> ListRecords(std::string_view kind, std::string_view after,
                                          size_t limit);

  // The delivery ledger: which object went to which partner by which channel ("push/nato",
  // "transfer/nato", "serve/nato"), so that when an object is deleted here exactly those who
  // received it are told, and nobody else learns even its id. Whatever hands objects to a
  // partner records them first (a sync push, a transfer file, a TAXII read by a federation
  // peer). RecordDeliveries is one transaction, durable on return; recording the same delivery
  // twice is harmless.
  Status RecordDeliveries(std::string_view channel, const std::vector<Delivery>& deliveries);
  // What `channel` received of `local_id` from `collection_id` (one entry per id it was sent
  // under: sanitization may change an SCO's id).
  Result<std::vector<Delivery>> Deliveries(std::string_view channel,
                                           std::string_view collection_id,
                                           std::string_view local_id);
  // What `channel` received of the object `mark` records the deletion of, before that deletion
  // (and after any earlier one): an object deleted, added again, and deleted again is told a
  // second time only to those that received it in between (a partner never sent the version
  // that came back does not learn it was there). Deliveries recorded before schema 8 have no
  // such bound and count for every deletion after them.
  Result<std::vector<Delivery>> DeliveriesBefore(std::string_view channel,
                                                 std::string_view collection_id,
                                                 const Tombstone& mark);
  // Forgets these deliveries (every record of each), in one transaction.
  Status ForgetDeliveries(std::string_view channel, const std::vector<Delivery>& deliveries);

  // Objects deleted from a collection (their last version gone) after `after_seq`, oldest
  // first, at most `limit`.
  Result<std::vector<Tombstone>> Tombstones(std::string_view collection_id, int64_t after_seq,
                                            size_t limit);

 protected:
  Store() = default;

 private:
  virtual Status DoCreateCollection(const Collection& collection) = 0;
  virtual Result<std::optional<Collection>> DoFindCollection(std::string_view id_or_alias) = 0;
  virtual Result<std::vector<Collection>> DoListCollections() = 0;
  virtual Result<PutResult> DoPut(const Collection& collection,
                                  const std::vector<stix::ObjectVersion>& batch, PutMode mode,
                                  std::string_view origin) = 0;
  virtual Result<Page> DoList(const Collection& collection, const Query& query) = 0;
  virtual Result<uint64_t> DoDelete(const Collection& collection, std::string_view id,
                                    const VersionMatch& versions) = 0;
  virtual Status DoCheck() = 0;
  virtual Result<StoreStats> DoStats() = 0;
  // The memory store is private to its owner: nothing else writes while it reads.
  virtual Status DoBeginSnapshot() { return Status::Ok(); }
  virtual Status DoEndSnapshot() { return Status::Ok(); }
  bool in_snapshot_ = false;
  virtual Status DoPutRecord(std::string_view kind, std::string_view key,
                             std::string_view value) = 0;
  virtual Result<std::optional<std::string>> DoGetRecord(std::string_view kind,
                                                         std::string_view key) = 0;
  virtual Result<uint64_t> DoDeleteRecordsBefore(std::string_view kind,
                                                 std::string_view key_bound) = 0;
  virtual Result<std::vector<Record>> DoListRecords(std::string_view kind,
                                                    std::string_view after, size_t limit) = 0;
  virtual Status DoRecordDeliveries(std::string_view channel,
                                    const std::vector<Delivery>& deliveries) = 0;
  virtual Result<std::vector<Delivery>> DoDeliveries(std::string_view channel,
                                                     std::string_view collection_id,
                                                     std::string_view local_id) = 0;
  virtual Result<std::vector<Delivery>> DoDeliveriesBefore(std::string_view channel,
                                                           std::string_view collection_id,
                                                           const Tombstone& mark) = 0;
  virtual Status DoForgetDeliveries(std::string_view channel,
                                    const std::vector<Delivery>& deliveries) = 0;
};

// Backends register a factory under their URI scheme; Store::Open dispatches on it. "memory" is
// built in; the SQLite backend registers with store::RegisterSqliteBackend() (sqlite/), which
// the binary and the tests call at start — explicit, so no static-initialisation order games.
using BackendFactory = Result<std::unique_ptr<Store>> (*)(std::string_view location, OpenMode mode);
void RegisterBackend(std::string_view scheme, BackendFactory factory);

// Helpers shared by the backends, so both follow one set of rules.
namespace internal {

// The highest TLP level (0–4) among marking references, or -1 when none is a TLP marking.
int HighestTlp(const std::vector<std::string>& marking_refs);
// The version key of an object: `modified` µs, else `created` µs (TAXII 2.1 §3.4.1 versions an
// object without `modified` by its `created`), else 0 (SCOs). Whether an object may have more
// than one version is decided by DecidePut, not by this key.
int64_t VersionOf(const stix::ObjectVersion& v);
// Query::allowed_markings / required_markings on one object's refs (the memory store's filter,
// and the meaning the SQLite backend's SQL function implements).
// `by_owner`: the object's created_by is q.owner_identity.
bool MarkingsPass(const Query& q, const std::vector<std::string>& markings, bool by_owner = false);
// The version as text: `modified` as written, else `created`, else "" (SCOs).
std::string VersionTextOf(const stix::ObjectVersion& v);
// Whether a stored version is selected by `match`. A version without `modified` or `created`
// (an SCO: `versioned` false, `version` 0) is named by its date_added, as TAXII's manifests
// show it; one modified at the epoch is version 0 and named by that.
bool Selected(const VersionMatch& match, int64_t version, bool versioned, int64_t date_added,
              bool is_first, bool is_latest);
// Tombstones are records of this kind, keyed TombstoneKey(collection id, seq) → object id, so
// the backends write them in the transaction that deletes.
inline constexpr std::string_view kTombstoneKind = "tombstone";
std::string TombstoneKey(std::string_view collection_id, int64_t seq);
// The seq of the next tombstone of a collection, given the key of its last one (or none).
int64_t NextTombstoneSeq(std::optional<std::string_view> last_key);
// Fingerprint of a version's text (XXH3), to tell identical re-submissions from conflicts.
uint64_t TextHash(std::string_view text);

struct ExistingVersion {
  int64_t version;
  uint64_t text_hash;
  std::string created_by;  // its created_by_ref, or empty
  std::string origin;      // the organisation that supplied it, or empty (this node's own)
  bool revoked = false;
};
struct PutDecision {
  PutOutcome outcome;
  std::string reason;        // when rejected
  bool latest = false;       // the new version becomes the latest of its id
  bool first = false;        // … the first
  // Rejected because the texts' hashes differ: the version key of the stored version, whose
  // text the backend reads and gives to ReconsiderClash (the same JSON written another way is a
  // duplicate, not a conflict).
  std::optional<int64_t> clash_with;
};
// The versioning rules of Store::Put for one object, given the versions of its id already
// stored (in any order), so every backend decides identically.
// `origin` is Put's: the organisation that supplies `v`, or empty for this node's own.
PutDecision DecidePut(const stix::ObjectVersion& v, uint64_t text_hash,
                      const std::vector<ExistingVersion>& existing, std::string_view origin = {});
// When DecidePut made `v` a new version: rejects it (setting the reason) when its `created`
// differs from that of `stored_text`, a stored version of the same object — `created` never
// changes across versions (STIX 2.1 §3.2). Same instant written another way is the same.
void CheckCreatedKept(PutDecision& d, const stix::ObjectVersion& v, std::string_view stored_text);
// After DecidePut set clash_with: a duplicate when the stored text and `v.text` are the same
// JSON (RFC 8785 canonical forms equal: other key order, whitespace, escapes, number spelling).
void ReconsiderClash(PutDecision& d, const stix::ObjectVersion& v, std::string_view stored_text);

}  // namespace internal

}  // namespace ctihub::store
