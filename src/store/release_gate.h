// store/release_gate: the one seam every read path out of the hub goes through (TAXII objects,
// object, versions and manifest today; export, sync and transfer files later). A path that
// serves objects to someone reads them through an OutboundReader, never from the Store directly,
// so no path can skip the release decision.
//
// The gate has two halves: Constrain narrows the query with what the indexed columns can decide
// (so a page stays full and `more`/`next` stay correct), and Decide rules on each stored version
// that comes back (release as stored, release a redacted text, or withhold). The policy module
// (markings, agreements, sanitization) implements ReleaseGate; until then, AllowAllGate releases
// everything in a collection the caller was allowed to read.
//
//   OutboundReader reader(*store, gate);
//   CTI_ASSIGN_OR_RETURN(Page page, reader.List(collection_id, query, recipient));
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/store.h"

namespace ctihub::store {

// Who receives what is read.
struct Recipient {
  std::string user;
  std::string organisation;
  bool admin = false;
};

enum class ReleaseAction { kRelease, kReleaseRedacted, kWithhold };

struct ReleaseDecision {
  ReleaseAction action = ReleaseAction::kWithhold;
  std::string redacted_text;          // the text to send when kReleaseRedacted
  std::vector<std::string> rule_ids;  // which rules decided, for audit and `policy explain`
  // When rewriting gave the object a new identity (sanitization: an SCO's id follows its
  // content, an SDO gets a new `modified`), what listings (manifests) must show instead.
  std::string new_id;
  std::string new_version_text;
};

class ReleaseGate {
 public:
  virtual ~ReleaseGate() = default;
  // Adds to `query` the conditions the store can evaluate on indexed columns.
  virtual void Constrain(const Recipient& recipient, Query* query) const = 0;
  // Rules on one stored version (text present when the query asked for it).
  virtual ReleaseDecision Decide(const Recipient& recipient, const StoredObject& object) const = 0;
  // Whether the recipient may see the collection at all (a partner's agreement may name only
  // some); one it may not see is answered like a missing one.
  virtual bool CollectionVisible(const Recipient&, const Collection&) const { return true; }
  // Whether Decide needs each object's text even where the reader does not (a manifest): the
  // decision on an object must not depend on which endpoint asks.
  virtual bool NeedsText(const Recipient&) const { return false; }
  // Whether Decide releases every version to `recipient` unchanged (an administrator): then the
  // store's first and last versions are the recipient's too, and need no choosing.
  virtual bool ReleasesEverything(const Recipient&) const { return false; }
  // Whether a partner may delete here what it sent (its own uploads in a collection it may
  // write but not read, a federation inbox) — its agreement says.
  virtual bool AcceptsDeletions(const Recipient&) const { return true; }
  // How many µs after the stored version a released one may be (a sanitized rewrite's new
  // `modified`); 0 when Decide never changes versions. match[version] then names what the
  // recipient receives, not what is stored.
  virtual int64_t VersionShift(const Recipient&) const { return 0; }
  // Brings up to date what Decide reads from the store besides the object itself (the policy
  // gate: the labels of the observables references name). OutboundReader calls it after each
  // store read and before deciding what came back, so that nothing the read saw is unknown.
  virtual Status Refresh(Store&) const { return Status::Ok(); }
};

// Releases every object unchanged: the behaviour before marking-based policy exists.
class AllowAllGate final : public ReleaseGate {
 public:
  void Constrain(const Recipient&, Query*) const override {}
  ReleaseDecision Decide(const Recipient&, const StoredObject&) const override {
    return {ReleaseAction::kRelease, {}, {"allow-all"}, {}, {}};
  }
  bool ReleasesEverything(const Recipient&) const override { return true; }
};

// A gate as a reader that must account for every version reads through it (sync pushes and
// transfer files, whose reports say what was withheld and by which rule): only two of the
// wrapped gate's query conditions stay in the query — the exclusion of a partner's own content
// (not withheld from it: it is its own) and an embargo's horizon (not "never" but "not yet": a
// cursor must stay before what is still under embargo, or it would never be sent). Every other
// version comes back and is ruled on by the wrapped gate's Decide, which must therefore be exact
// on its own (PolicyGate's is: it re-checks every condition its Constrain applies).
class DecidingGate final : public ReleaseGate {
 public:
  explicit DecidingGate(const ReleaseGate& gate) : gate_(gate) {}
  void Constrain(const Recipient& recipient, Query* query) const override;
  ReleaseDecision Decide(const Recipient& recipient, const StoredObject& object) const override {
    return gate_.Decide(recipient, object);
  }
  bool CollectionVisible(const Recipient& recipient, const Collection& collection) const override {
    return gate_.CollectionVisible(recipient, collection);
  }
  bool NeedsText(const Recipient& recipient) const override { return gate_.NeedsText(recipient); }
  bool ReleasesEverything(const Recipient& recipient) const override {
    return gate_.ReleasesEverything(recipient);
  }
  bool AcceptsDeletions(const Recipient& recipient) const override {
    return gate_.AcceptsDeletions(recipient);
  }
  Status Refresh(Store& store) const override { return gate_.Refresh(store); }

 private:
  const ReleaseGate& gate_;
};

// What one read released, for the audit log. Objects the query itself filtered out never left
// the store and are not counted.
struct ReleaseTally {
  size_t released = 0;  // including redacted ones
  size_t redacted = 0;
  size_t withheld = 0;
  std::vector<std::string> redacted_ids;  // "id@version", at most kMaxIds
  std::vector<std::string> withheld_ids;  // likewise
  // How often each rule decided a withheld or rewritten object ("agreement.embargo": 3).
  std::map<std::string, size_t> rules;
  static constexpr size_t kMaxIds = 100;
};

class OutboundReader {
 public:
  OutboundReader(Store& store, const ReleaseGate& gate) : store_(store), gate_(gate) {}

  // Store::List through the gate. Withheld objects are skipped and the page is topped up from
  // further down the collection, so a page holds `limit` objects whenever that many are
  // releasable, and `next` points after the last object examined. Redacted objects carry the
  // redacted text. match[version] first and last are the first and last of the versions the
  // recipient may receive: an object whose latest version is withheld is listed with its latest
  // released version (at that version's date_added), never left out, so that no listing tells
  // a recipient that a version it may not see exists.
  Result<Page> List(std::string_view collection_id, const Query& query,
                    const Recipient& recipient, ReleaseTally* tally = nullptr);

 private:
  // The gate's decision on `object` for a read of `query`; a version that sanitization renamed,
  // asked for by the id it has here, is withheld (rule sanitize.renamed-id).
  ReleaseDecision Rule(const Recipient& recipient, const Query& query,
                       const StoredObject& object) const;
  // gate_.Refresh, unless the gate releases everything to `recipient` unchanged.
  Status RefreshGate(const Recipient& recipient);
  // The first and last versions (version µs) of each of `ids` that `recipient` may receive
  // under `query`'s id rule; ids with none are absent.
  Result<std::map<std::string, std::pair<int64_t, int64_t>>> ReleasedEnds(
      std::string_view collection_id, const std::vector<std::string>& ids, const Query& query,
      bool with_text, const Recipient& recipient);

  Store& store_;
  const ReleaseGate& gate_;
};

}  // namespace ctihub::store
