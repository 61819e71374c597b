// policy/observable_index: the labels of the observables (SCOs) the store holds, so that the
// release gate can tell when a reference names one the recipient may not receive. An SCO's id is
// the UUIDv5 of its value (STIX 2.1 §2.9): a GREEN observed-data whose object_refs name an AMBER
// ipv4-addr gives the address away to anyone who hashes candidates (all of IPv4 is 2^32 tries),
// so such a reference must not go where the address may not.
//
// Kept per observable id: the label inputs (markings, granular marking refs, created_by_ref,
// origin) of each stored copy that carries a marking — an SCO without any follows the object
// that names it, which is how most producers mark observed-data — and the observables its own
// id hashes (a network-traffic's src_ref and dst_ref, §2.9's ID Contributing Properties). Read from
// the store, then brought up to date by reading only what each collection received since
// (date_added grows with every commit of a collection, so nothing committed before a refresh is
// ever missed by it). Thread-safe: Refresh may run while others read.
//
//   ObservableIndex index;
//   CTI_RETURN_IF_ERROR(index.Refresh(store));   // after the store read that is to be decided
//   bool withheld = index.Withheld("ipv4-addr--…", [&](uint32_t copy) { return Fails(copy); });
#pragma once

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

class ObservableIndex {
 public:
  // What decides whether one stored copy of an observable may reach a recipient.
  struct Copy {
    std::vector<std::string> markings;  // object_marking_refs
    std::vector<std::string> granular;  // granular markings' marking_refs
    std::string created_by;
    std::string origin;
    bool operator<(const Copy& o) const {
      return std::tie(markings, granular, created_by, origin) <
             std::tie(o.markings, o.granular, o.created_by, o.origin);
    }
  };

  // Reads what `st` received since the last call (every collection). Errors of the store as they
  // come (what was read before stays). Calls are serialised; reads go on meanwhile.
  Status Refresh(store::Store& st);
  // Takes in one stored SCO version (Refresh does this for each; tests may call it directly).
  void Learn(const store::StoredObject& object);

  // Whether a reference to `sco_id` (any case) must not reach a recipient for whom
  // `fails(copy)` says which label is withheld: the observable has a copy whose label fails,
  // or its id hashes a reference to one that is withheld so (kMaxDepth levels deep; deeper
  // counts as withheld). An id the index does not hold is not withheld.
  bool Withheld(std::string_view sco_id, const std::function<bool(uint32_t copy)>& fails) const;
  // The distinct labels seen (indexes for `fails`); they are never removed or renumbered.
  size_t copies() const;
  Copy copy(uint32_t index) const;
  // Bumped whenever something is learned: callers caching per-recipient verdicts on copies.
  uint64_t generation() const { return generation_.load(); }

  static constexpr int kMaxDepth = 4;
  static constexpr size_t kMaxVisits = 4096;  // observables looked at for one reference

 private:
  struct Entry {
    std::vector<uint32_t> copies;   // indexes into copies_, once each
    std::vector<std::string> refs;  // observables its id hashes (lower case), once each
  };
  // Whether it changed anything.
  bool LearnLocked(const store::StoredObject& object);
  bool WithheldLocked(const std::string& id, const std::function<bool(uint32_t)>& fails, int depth,
                      size_t* budget) const;

  mutable std::shared_mutex mu_;  // guards everything below but generation_ and refresh_mu_
  std::mutex refresh_mu_;         // one Refresh at a time
  std::deque<Copy> copies_;
  std::map<Copy, uint32_t> copy_index_;
  std::unordered_map<std::string, Entry> entries_;
  std::map<std::string, int64_t> read_until_;  // collection id → last date_added read (µs)
  std::atomic<uint64_t> generation_{0};
};

// The ids of the STIX observables `object_json` names in `*_ref` / `*_refs` properties at any
// depth (extensions included; escaped spellings read as JSON reads them), each with the
// granular-marking selector of where it is ("object_refs.[2]", "extensions.x.src_ref"), lower
// case. Empty for text that is not a JSON object.
struct ObservableReference {
  std::string id;
  std::string selector;
};
std::vector<ObservableReference> ObservableReferences(std::string_view object_json);
// A cheap first look: false only when `object_json` can name no observable (no SCO type
// followed by "--", no escape that could spell one).
bool MayNameObservables(std::string_view object_json);

}  // namespace ctihub::policy
