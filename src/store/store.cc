#include "store/store.h"

#include <simdjson.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>

#include "common/uuid.h"
#include "stix/canonical_json.h"
#include "stix/markings.h"
#include "store/memory_store.h"

namespace ctihub::store {
namespace {

std::mutex& RegistryMutex() {
  static std::mutex mu;
  return mu;
}

std::map<std::string, BackendFactory, std::less<>>& Registry() {
  static std::map<std::string, BackendFactory, std::less<>> registry = {
      {"memory", [](std::string_view, OpenMode) -> Result<std::unique_ptr<Store>> {
         return NewMemoryStore();
       }}};
  return registry;
}

}  // namespace

void RegisterBackend(std::string_view scheme, BackendFactory factory) {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  Registry()[std::string(scheme)] = factory;
}

Result<std::unique_ptr<Store>> Store::Open(std::string_view uri, OpenMode mode) {
  size_t colon = uri.find(':');
  if (colon == std::string_view::npos) {
    return InvalidArgument("store URI '" + std::string(uri) +
                           "' (--store, or $CTIHUB_STORE when none is given) has no scheme; use "
                           "sqlite:PATH for a store file, or memory: for one that lives only as "
                           "long as the process");
  }
  std::string_view scheme = uri.substr(0, colon);
  BackendFactory factory = nullptr;
  {
    std::lock_guard<std::mutex> lock(RegistryMutex());
    auto it = Registry().find(scheme);
    if (it != Registry().end()) factory = it->second;
  }
  if (!factory) {
    return InvalidArgument("unknown store backend '" + std::string(scheme) +
                           "' in '" + std::string(uri) + "'; available: sqlite:PATH, memory:");
  }
  return factory(uri.substr(colon + 1), mode);
}

Store::~Store() = default;

// An alias is what users type: keep it to letters, digits, '-', '_' and '.', 1–64 characters.
Status CheckCollectionName(std::string_view alias) {
  const bool valid =
      !alias.empty() && alias.size() <= 64 && std::all_of(alias.begin(), alias.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.';
      });
  if (valid) return Status::Ok();
  return InvalidArgument("collection name '" + std::string(alias) +
                         "' must be 1-64 letters, digits, '-', '_' or '.'");
}

Result<Collection> Store::CreateCollection(Collection collection) {
  CTI_RETURN_IF_ERROR(CheckCollectionName(collection.alias));
  if (collection.id.empty()) {
    collection.id = Uuid::RandomV4().ToString();
  } else if (!Uuid::Parse(collection.id).ok()) {
    return InvalidArgument("collection id '" + collection.id + "' is not a UUID");
  }
  if (collection.title.empty()) collection.title = collection.alias;
  if (collection.media_types.empty()) collection.media_types = {std::string(kStixMediaType)};
  CTI_ASSIGN_OR_RETURN(std::optional<Collection> by_alias, DoFindCollection(collection.alias));
  if (by_alias) {
    return Status(StatusCode::kAlreadyExists,
                  "a collection named '" + collection.alias + "' already exists");
  }
  CTI_ASSIGN_OR_RETURN(std::optional<Collection> by_id, DoFindCollection(collection.id));
  if (by_id) {
    return Status(StatusCode::kAlreadyExists,
                  "a collection with id " + collection.id + " already exists");
  }
  CTI_RETURN_IF_ERROR(DoCreateCollection(collection));
  return collection;
}

Result<Collection> Store::EnsureCollection(std::string_view name) {
  CTI_ASSIGN_OR_RETURN(std::optional<Collection> found, DoFindCollection(name));
  if (found) return *found;
  Collection c;
  c.alias = std::string(name);
  Result<Collection> made = CreateCollection(std::move(c));
  if (made.ok()) return made;
  // Another writer (a second `ctihub import` into the same new collection) may have created it
  // between the look and the insert, whose unique alias then refused ours: it is there now.
  CTI_ASSIGN_OR_RETURN(found, DoFindCollection(name));
  if (found) return *found;
  return made.status();
}

Result<Collection> Store::FindCollection(std::string_view id_or_alias) {
  CTI_ASSIGN_OR_RETURN(std::optional<Collection> found, DoFindCollection(id_or_alias));
  if (!found) return NotFound("no collection '" + std::string(id_or_alias) + "'");
  return *found;
}

Result<std::vector<Collection>> Store::ListCollections() { return DoListCollections(); }

Result<PutResult> Store::Put(std::string_view collection_id,
                             const std::vector<stix::ObjectVersion>& batch, PutMode mode,
                             std::string_view origin) {
  CTI_ASSIGN_OR_RETURN(Collection c, FindCollection(collection_id));
  for (size_t i = 0; i < batch.size(); ++i) {
    const stix::ObjectVersion& v = batch[i];
    if (v.id.empty() || v.type.empty() || v.text.empty()) {
      return InvalidArgument("object " + std::to_string(i) +
                             " of the batch lacks id, type or text; extract it with "
                             "stix::ExtractObjectVersion");
    }
  }
  return DoPut(c, batch, mode, origin);
}

Result<Page> Store::List(std::string_view collection_id, const Query& query) {
  if (query.limit < 1 || query.limit > 100000) {
    return InvalidArgument("limit must be 1..100000, got " + std::to_string(query.limit));
  }
  CTI_ASSIGN_OR_RETURN(Collection c, FindCollection(collection_id));
  CTI_ASSIGN_OR_RETURN(Page page, DoList(c, query));
  for (StoredObject& o : page.objects) o.collection = c.id;
  return page;
}

Result<std::vector<StoredObject>> Store::Get(std::string_view collection_id, std::string_view id,
                                             const VersionMatch& versions) {
  Query q;
  q.ids = {std::string(id)};
  q.versions = versions;
  q.limit = 100000;
  std::vector<StoredObject> out;
  for (;;) {
    CTI_ASSIGN_OR_RETURN(Page page, List(collection_id, q));
    for (StoredObject& o : page.objects) out.push_back(std::move(o));
    if (!page.more) break;
    q.after = page.next;
  }
  std::sort(out.begin(), out.end(),
            [](const StoredObject& a, const StoredObject& b) { return a.version < b.version; });
  return out;
}

Result<uint64_t> Store::Delete(std::string_view collection_id, std::string_view id,
                               const VersionMatch& versions) {
  CTI_ASSIGN_OR_RETURN(Collection c, FindCollection(collection_id));
  return DoDelete(c, id, versions);
}

Result<uint64_t> Store::DeleteFromOrigin(std::string_view collection_id, std::string_view id,
                                         std::string_view origin) {
  if (origin.empty()) return InvalidArgument("DeleteFromOrigin needs an origin");
  CTI_ASSIGN_OR_RETURN(std::vector<StoredObject> versions, Get(collection_id, id, VersionMatch::All()));
  uint64_t removed = 0;
  for (const StoredObject& o : versions) {
    if (o.origin != origin) continue;
    // An SCO (version 0) is named by its date_added, as internal::Selected reads it.
    const VersionMatch one{false, false, false, {o.version != 0 ? o.version : o.date_added.micros()}};
    CTI_ASSIGN_OR_RETURN(uint64_t n, Delete(collection_id, id, one));
    removed += n;
  }
  return removed;
}

Status Store::Check() { return DoCheck(); }
Result<StoreStats> Store::Stats() { return DoStats(); }

Status Store::BeginSnapshot() {
  if (in_snapshot_) return FailedPrecondition("a snapshot of the store is already held");
  CTI_RETURN_IF_ERROR(DoBeginSnapshot());
  in_snapshot_ = true;
  return Status::Ok();
}

Status Store::EndSnapshot() {
  if (!in_snapshot_) return FailedPrecondition("no snapshot of the store is held");
  in_snapshot_ = false;
  return DoEndSnapshot();
}

Status Store::PutRecord(std::string_view kind, std::string_view key, std::string_view value) {
  if (kind.empty() || key.empty()) return InvalidArgument("a record needs a kind and a key");
  return DoPutRecord(kind, key, value);
}

Result<std::optional<std::string>> Store::GetRecord(std::string_view kind, std::string_view key) {
  if (kind.empty() || key.empty()) return InvalidArgument("a record needs a kind and a key");
  return DoGetRecord(kind, key);
}

Result<uint64_t> Store::DeleteRecordsBefore(std::string_view kind, std::string_view key_bound) {
  if (kind.empty()) return InvalidArgument("a record needs a kind");
  return DoDeleteRecordsBefore(kind, key_bound);
}

Result<std::vector<Record>> Store::ListRecords(std::string_view kind, std::string_view after,
                                               size_t limit) {
  if (kind.empty()) return InvalidArgument("a record needs a kind");
  if (limit < 1 || limit > 100000) {
    return InvalidArgument("limit must be 1..100000, got " + std::to_string(limit));
  }
  return DoListRecords(kind, after, limit);
}

Status Store::RecordDeliveries(std::string_view channel,
                               const std::vector<Delivery>& deliveries) {
  if (channel.empty()) return InvalidArgument("a delivery needs a channel");
  if (deliveries.empty()) return Status::Ok();
  return DoRecordDeliveries(channel, deliveries);
}

Result<std::vector<Delivery>> Store::Deliveries(std::string_view channel,
                                                std::string_view collection_id,
                                                std::string_view local_id) {
  if (channel.empty()) return InvalidArgument("a delivery needs a channel");
  return DoDeliveries(channel, collection_id, local_id);
}

Result<std::vector<Delivery>> Store::DeliveriesBefore(std::string_view channel,
                                                      std::string_view collection_id,
                                                      const Tombstone& mark) {
  if (channel.empty()) return InvalidArgument("a delivery needs a channel");
  return DoDeliveriesBefore(channel, collection_id, mark);
}

Status Store::ForgetDeliveries(std::string_view channel,
                               const std::vector<Delivery>& deliveries) {
  if (channel.empty()) return InvalidArgument("a delivery needs a channel");
  if (deliveries.empty()) return Status::Ok();
  return DoForgetDeliveries(channel, deliveries);
}

Result<std::vector<Tombstone>> Store::Tombstones(std::string_view collection_id,
                                                 int64_t after_seq, size_t limit) {
  CTI_ASSIGN_OR_RETURN(Collection c, FindCollection(collection_id));
  const std::string prefix = c.id + ' ';
  CTI_ASSIGN_OR_RETURN(std::vector<Record> records,
                       ListRecords(internal::kTombstoneKind,
                                   internal::TombstoneKey(c.id, after_seq), limit));
  std::vector<Tombstone> out;
  for (Record& r : records) {
    if (r.key.compare(0, prefix.size(), prefix) != 0) break;  // another collection's
    out.push_back({std::stoll(r.key.substr(prefix.size())), std::move(r.value)});
  }
  return out;
}

namespace internal {

std::string TombstoneKey(std::string_view collection_id, int64_t seq) {
  // Zero-padded so that the bytewise key order is the numeric one.
  char digits[24];
  std::snprintf(digits, sizeof digits, "%020lld", static_cast<long long>(seq));
  return std::string(collection_id) + ' ' + digits;
}

int64_t NextTombstoneSeq(std::optional<std::string_view> last_key) {
  int64_t last = 0;
  if (last_key) {
    const size_t space = last_key->rfind(' ');
    if (space != std::string_view::npos) last = std::stoll(std::string(last_key->substr(space + 1)));
  }
  return std::max(Timestamp::Now().micros(), last + 1);
}


bool MarkingsPass(const Query& q, const std::vector<std::string>& markings, bool by_owner) {
  if (!q.allowed_markings) return true;
  if (markings.empty()) return q.include_unmarked && q.required_markings.empty();
  auto contains = [](const std::vector<std::string>& list, const std::string& m) {
    return std::find(list.begin(), list.end(), m) != list.end();
  };
  by_owner = by_owner && !q.owner_identity.empty();
  for (const std::string& m : markings) {
    if (contains(*q.allowed_markings, m)) continue;
    if (by_owner && !contains(q.known_markings, m)) continue;
    return false;
  }
  for (const std::vector<std::string>& group : q.required_markings) {
    if (std::none_of(group.begin(), group.end(), [&](const std::string& r) {
          return std::find(markings.begin(), markings.end(), r) != markings.end();
        })) {
      return false;
    }
  }
  return true;
}

int HighestTlp(const std::vector<std::string>& marking_refs) {
  int highest = -1;
  for (const std::string& ref : marking_refs) {
    if (const stix::TlpMarking* tlp = stix::FindTlpMarking(ref)) {
      highest = std::max(highest, static_cast<int>(tlp->level));
    }
  }
  return highest;
}

int64_t VersionOf(const stix::ObjectVersion& v) { return v.version_micros(); }

std::string VersionTextOf(const stix::ObjectVersion& v) {
  if (v.modified) return v.modified_text;
  if (!v.created) return "";
  // `created` as a timestamp string: milliseconds when that is exact (as STIX writes them).
  return v.created->micros() % 1000 == 0 ? v.created->ToMillisString() : v.created->ToString();
}

bool Selected(const VersionMatch& match, int64_t version, bool versioned, int64_t date_added,
              bool is_first, bool is_latest) {
  if (match.all) return true;
  if (match.first && is_first) return true;
  if (match.last && is_latest) return true;
  const int64_t name = versioned ? version : date_added;
  return std::find(match.at.begin(), match.at.end(), name) != match.at.end();
}

uint64_t TextHash(std::string_view text) { return XXH3_64bits(text.data(), text.size()); }

namespace {

// A timestamp as it may appear in a message: a fraction of any length is valid STIX, but a
// megabyte of digits is not worth echoing.
std::string Shortened(std::string_view text) {
  return text.size() <= 40 ? std::string(text) : std::string(text.substr(0, 36)) + "…Z";
}

// Versions are told apart by `modified` to the microsecond (with a leap second counted as the
// last microsecond of its minute): when the clash may be only that, say so.
std::string SameMicrosecond(const stix::ObjectVersion& v) {
  std::string_view t = v.modified_text;
  const bool finer = t.size() > 27 && t[19] == '.';  // more than six fractional digits
  const bool leap = t.size() > 18 && t.substr(17, 2) == "60";
  if (!finer && !leap) return "";
  return "; note that this hub tells versions apart to the microsecond" +
         std::string(leap ? ", counting 23:59:60 as 23:59:59.999999" : "") +
         ", so two versions that differ only beyond that are one version here";
}

}  // namespace

PutDecision DecidePut(const stix::ObjectVersion& v, uint64_t text_hash,
                      const std::vector<ExistingVersion>& existing, std::string_view origin) {
  const int64_t version = VersionOf(v);
  PutDecision d;
  if (existing.empty()) {
    d.outcome = PutOutcome::kAdded;
    d.latest = d.first = true;
    return d;
  }
  const bool immutable = v.type == "marking-definition" || !v.modified;
  for (const ExistingVersion& e : existing) {
    // Marking-definitions and unversioned objects (SCOs) have one version per id (§3.6, §7.2).
    if (e.version == version || immutable) {
      if (e.text_hash == text_hash) {
        d.outcome = PutOutcome::kDuplicate;
      } else {
        d.outcome = PutOutcome::kRejected;
        d.clash_with = e.version;
        d.reason = immutable
                       ? (v.type == "marking-definition"
                              ? "marking-definitions are immutable: " + v.id +
                                    " already exists with different content"
                              : v.id + " is unversioned (no modified) and already exists with "
                                       "different content")
                       : "version " + Shortened(v.modified_text) + " of " + v.id +
                             " already exists with different content; a changed object needs a "
                             "new modified timestamp (STIX 2.1 §3.6)" + SameMicrosecond(v);
      }
      return d;
    }
  }
  // Only an object's creator versions it, and created_by_ref stays what the first version says
  // (STIX 2.1 §3.6; the OASIS library refuses to change it too): a "new version" of someone
  // else's object under another creator — say, revoking a partner's indicator — is refused.
  for (const ExistingVersion& e : existing) {
    if (e.created_by != v.created_by_ref) {
      auto named = [](const std::string& ref) {
        return ref.empty() ? std::string("none") : "'" + ref + "'";
      };
      d.outcome = PutOutcome::kRejected;
      d.reason = "version " + Shortened(v.modified_text) + " of " + v.id +
                 " changes created_by_ref (" + named(e.created_by) + " before, " +
                 named(v.created_by_ref) +
                 " now): only the object's creator makes new versions, and created_by_ref stays "
                 "the same across them (STIX 2.1 §3.6)";
      return d;
    }
  }
  // created_by_ref is only what the poster writes: a partner could name the creator of the
  // object it means to "revoke". So a partner (a non-empty origin) versions only objects whose
  // versions here all came from it; this node's own writers (ctihub import, administrators)
  // version anything.
  if (!origin.empty()) {
    for (const ExistingVersion& e : existing) {
      if (e.origin == origin) continue;
      d.outcome = PutOutcome::kRejected;
      d.reason = "version " + Shortened(v.modified_text) + " of " + v.id + " comes from " +
                 std::string(origin) + ", but the object here came from " +
                 (e.origin.empty() ? std::string("this node") : e.origin) +
                 ": only the source that supplied an object makes new versions of it here";
      return d;
    }
  }
  // A revoked object stays revoked: no version may follow the one that revoked it (§3.6). An
  // older version arriving late still fills in the history.
  for (const ExistingVersion& e : existing) {
    if (!e.revoked || e.version > version) continue;
    d.outcome = PutOutcome::kRejected;
    d.reason = "version " + Shortened(v.modified_text) + " of " + v.id + " comes after version " +
               Shortened(Timestamp(e.version).ToString()) +
               ", which revoked it: a revoked object gets no later versions (STIX 2.1 §3.6)";
    return d;
  }
  d.outcome = PutOutcome::kNewVersion;
  d.latest = std::all_of(existing.begin(), existing.end(),
                         [&](const ExistingVersion& e) { return e.version < version; });
  d.first = std::all_of(existing.begin(), existing.end(),
                        [&](const ExistingVersion& e) { return e.version > version; });
  return d;
}

void CheckCreatedKept(PutDecision& d, const stix::ObjectVersion& v, std::string_view stored_text) {
  if (d.outcome != PutOutcome::kNewVersion || !v.created) return;
  // Only `created` is read: the stored text is valid JSON that the store wrote, so the parse is
  // for the one value (new versions are few next to new objects).
  simdjson::dom::parser parser;
  simdjson::dom::element stored;
  std::string_view created_text;
  if (parser.parse(stored_text.data(), stored_text.size()).get(stored) != simdjson::SUCCESS ||
      stored["created"].get(created_text) != simdjson::SUCCESS) {
    return;
  }
  Result<Timestamp> created = Timestamp::Parse(created_text);
  if (!created.ok() || created->micros() == v.created->micros()) return;
  d.outcome = PutOutcome::kRejected;
  d.reason = "version " + Shortened(v.modified_text) + " of " + v.id + " changes created (" +
             std::string(created_text) + " before, " + v.created->ToString() +
             " now): created stays that of the object's first version (STIX 2.1 §3.2)";
}

void ReconsiderClash(PutDecision& d, const stix::ObjectVersion& v, std::string_view stored_text) {
  if (d.outcome != PutOutcome::kRejected || !d.clash_with) return;
  // Rare (a clash), so two parses are cheap here; the hash spares them on every other write.
  simdjson::dom::parser stored_parser, new_parser;
  simdjson::dom::element stored, submitted;
  if (stored_parser.parse(stored_text.data(), stored_text.size()).get(stored) !=
          simdjson::SUCCESS ||
      new_parser.parse(v.text.data(), v.text.size()).get(submitted) != simdjson::SUCCESS) {
    return;
  }
  if (stix::CanonicalJson(stored) == stix::CanonicalJson(submitted)) {
    d.outcome = PutOutcome::kDuplicate;
    d.reason.clear();
  }
}

}  // namespace internal
}  // namespace ctihub::store
