// policy/observable_index: the labels of the observables (SCOs) the store holds, so that the
// release gate can tell when an object names one the recipient may not receive. An SCO's id is
// the UUIDv5 of its value (STIX 2.1 §2.9): a GREEN observed-data whose object_refs name an AMBER
// ipv4-addr gives the address away to anyone who hashes candidates (all of IPv4 is 2^32 tries),
// so such a reference must not go where the address may not.
//
// Kept per observable id: the label inputs (markings, the granular markings over what its id is
// computed from, created_by_ref, origin) of each stored copy that carries a marking, with the
// collection holding it — an SCO without any follows the object that names it, which is how most
// producers mark observed-data — which collections hold an unmarked copy of the node's own, and
// the observables its own id hashes (a network-traffic's src_ref and dst_ref, §2.9's ID
// Contributing Properties). Read from the store, then brought up to date by reading only what
// each collection received since (date_added grows with every commit of a collection, so nothing
// committed before a refresh is missed by it). Thread-safe: Refresh may run while others read.
//
//   ObservableIndex index;
//   CTI_RETURN_IF_ERROR(index.Refresh(store));   // after the store read that is to be decided
//   auto verdict = index.Withheld("ipv4-addr--…", object.collection, object.origin,
//                                 [&](uint32_t copy) { return /* its label fails */; });
#pragma once

#include <absl/container/flat_hash_set.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "store/store.h"

namespace ctihub::policy {

// STIX 2.1 §6: the types whose ids §2.9 derives from their values.
inline constexpr std::string_view kObservableTypes[] = {"artifact",
                                                        "autonomous-system",
                                                        "directory",
                                                        "domain-name",
                                                        "email-addr",
                                                        "email-message",
                                                        "file",
                                                        "ipv4-addr",
                                                        "ipv6-addr",
                                                        "mac-addr",
                                                        "mutex",
                                                        "network-traffic",
                                                        "process",
                                                        "software",
                                                        "url",
                                                        "user-account",
                                                        "windows-registry-key",
                                                        "x509-certificate"};

class ObservableIndex {
 public:
  // What decides whether one stored copy of an observable may reach a recipient.
  struct Copy {
    std::vector<std::string> markings;  // object_marking_refs
    // marking_refs of the granular markings over `id` or an ID Contributing Property (what a
    // reference gives away); one over anything else marks only what the copy itself loses
    std::vector<std::string> granular;
    std::string created_by;
    std::string origin;
    bool operator<(const Copy& o) const {
      return std::tie(markings, granular, created_by, origin) <
             std::tie(o.markings, o.granular, o.created_by, o.origin);
    }
  };
  enum class Verdict {
    kReleased,        // not held, unmarked where the reference is, or its labels admit
    kMarked,          // a copy's markings keep it from the recipient
    kHashesWithheld,  // its id hashes a reference to an observable that is withheld so
  };

  // Reads what `st` received since the last call (every collection). Errors of the store as they
  // come (what was read before stays). Calls are serialised; reads go on meanwhile.
  Status Refresh(store::Store& st);
  // Takes in one stored SCO version held in `collection_id` (Refresh does this for each; tests
  // may call it directly).
  void Learn(const store::StoredObject& object, std::string_view collection_id);

  // Whether a reference to `sco_id` (any case) from an object in `collection_id` (empty: not
  // known) may not reach a recipient for whom `fails(copy)` says which labels are withheld.
  // The copies in that collection decide when it holds the observable (marked or not), every
  // copy otherwise (one failing is enough); then what its id hashes, kMaxDepth levels deep
  // (deeper counts as withheld).
  // `supplier`: the origin of the referring object (empty: the node's own content); what a
  // supplier sent is judged by its own copies only.
  Verdict Withheld(std::string_view sco_id, std::string_view collection_id,
                   std::string_view supplier,
                   const std::function<bool(uint32_t copy)>& fails) const;
  // Whether some observable held marked, or whose id hashes a reference, has this UUID
  // (lower case, with hyphens): a UUID written without its type need only be tried then.
  bool KnowsUuid(std::string_view uuid) const;
  // The distinct labels seen (indexes for `fails`); they are never removed or renumbered.
  size_t copies() const;
  Copy copy(uint32_t index) const;
  // Bumped whenever something is learned.
  uint64_t generation() const { return generation_.load(); }

  static constexpr int kMaxDepth = 4;
  static constexpr size_t kMaxVisits = 4096;  // observables looked at for one reference
  static constexpr uint32_t kAnyCollection = UINT32_MAX;

 private:
  struct Held {
    uint32_t collection;
    uint32_t copy;
    bool operator==(const Held&) const = default;
  };
  struct Entry {
    std::vector<Held> copies;       // marked copies, once each
    std::vector<std::string> refs;  // observables its id hashes (lower case), once each
  };
  // Whether it changed anything.
  bool LearnLocked(const store::StoredObject& object, uint32_t collection);
  uint32_t CollectionLocked(std::string_view collection_id);
  Verdict WithheldLocked(const std::string& id, uint32_t collection, std::string_view supplier,
                         const std::function<bool(uint32_t)>& fails, int depth,
                         size_t* budget) const;
  static uint64_t UnmarkedKey(uint32_t collection, std::string_view id);

  mutable std::shared_mutex mu_;  // guards everything below but generation_ and refresh_mu_
  std::mutex refresh_mu_;         // one Refresh at a time
  std::deque<Copy> copies_;
  std::map<Copy, uint32_t> copy_index_;
  std::unordered_map<std::string, Entry> entries_;
  std::map<std::string, uint32_t, std::less<>> collections_;  // collection id → index
  absl::flat_hash_set<uint64_t> unmarked_;     // UnmarkedKey of every observable held unmarked
  absl::flat_hash_set<uint64_t> uuids_;        // XXH3 of the UUID of every id in entries_
  std::map<std::string, int64_t> read_until_;  // collection id → last date_added read (µs)
  std::atomic<uint64_t> generation_{0};
};

// Where `object_json` names observables: every string value (at any depth, its top-level `id`
// excepted) holding a STIX observable's id written as one (`type--uuid`, any case, also with the
// UUID's 32 digits unbroken); under a `*_ref` / `*_refs` property (a custom one of any shape
// too: a string, lists, lists of lists, objects) also any UUID (bare, `urn:uuid:…`), which is
// then read as each observable type; and property names that are such ids. Each with the
// granular-marking selector of the string or member ("object_refs.[2]", "x_map.ipv4-addr--…";
// empty when none can name it, under a key with a dot). Escaped spellings are read as JSON
// reads them. Empty for text that is not JSON.
struct ObservableMention {
  std::vector<std::string> ids;    // written typed: lower case, "type--uuid"
  std::vector<std::string> uuids;  // under a reference property, any UUID (lower case): each
                                   // observable type's id with it is named
  std::string selector;
  std::string top;  // the top-level property it is under
};
std::vector<ObservableMention> ObservableMentions(std::string_view object_json);
// A cheap first look: false only when `object_json` can name no observable (no observable type
// before "--", no escape that could spell one, no reference property but the three that can
// only name identities and marking-definitions).
bool MayNameObservables(std::string_view object_json);

}  // namespace ctihub::policy
