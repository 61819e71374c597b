#include "store/release_gate.h"

#include <algorithm>
#include <cstddef>
#include <set>
#include <string>
#include <utility>

namespace ctihub::store {

void DecidingGate::Constrain(const Recipient& recipient, Query* query) const {
  Query constrained;
  gate_.Constrain(recipient, &constrained);
  query->exclude_origins.insert(query->exclude_origins.end(), constrained.exclude_origins.begin(),
                                constrained.exclude_origins.end());
  if (constrained.added_until &&
      (!query->added_until || *constrained.added_until < *query->added_until)) {
    query->added_until = constrained.added_until;
  }
}

Status OutboundReader::RefreshGate(const Recipient& recipient) {
  // Everything goes to an administrator as stored: nothing to look up.
  return gate_.ReleasesEverything(recipient) ? Status::Ok() : gate_.Refresh(store_);
}

ReleaseDecision OutboundReader::Rule(const Recipient& recipient, const Query& query,
                                     const StoredObject& object) const {
  ReleaseDecision decision = gate_.Decide(recipient, object);
  if (decision.action == ReleaseAction::kReleaseRedacted && !decision.new_id.empty() &&
      decision.new_id != object.id && !query.ids.empty() &&
      std::find(query.ids.begin(), query.ids.end(), decision.new_id) == query.ids.end()) {
    // Asked for by the id it has here, released under another (sanitization renamed it):
    // answering would confirm to the recipient that this hub holds the original value (an
    // e-mail address whose deterministic id anyone can compute). Not found, as for the
    // recipient it does not exist under that id.
    decision.action = ReleaseAction::kWithhold;
    decision.rule_ids.push_back("sanitize.renamed-id");
  }
  return decision;
}

Result<std::map<std::string, std::pair<int64_t, int64_t>>> OutboundReader::ReleasedEnds(
    std::string_view collection_id, const std::vector<std::string>& ids, const Query& query,
    bool with_text, const Recipient& recipient) {
  std::map<std::string, std::pair<int64_t, int64_t>> ends;
  constexpr size_t kIdsPerQuery = 200;  // bound the statement's parameters
  for (size_t from = 0; from < ids.size(); from += kIdsPerQuery) {
    Query lookup;
    const size_t to = std::min(ids.size(), from + kIdsPerQuery);
    lookup.ids.assign(ids.begin() + static_cast<std::ptrdiff_t>(from),
                      ids.begin() + static_cast<std::ptrdiff_t>(to));
    lookup.versions = VersionMatch::All();
    lookup.with_text = with_text;
    lookup.limit = 1000;
    gate_.Constrain(recipient, &lookup);
    lookup.skip_superseded_when_latest_under.reset();  // every version, to choose among
    // The renamed-id rule follows the ids the caller named, not the ones looked up here.
    Query naming;
    naming.ids = query.ids;
    for (;;) {
      CTI_ASSIGN_OR_RETURN(Page page, store_.List(collection_id, lookup));
      CTI_RETURN_IF_ERROR(RefreshGate(recipient));
      for (const StoredObject& o : page.objects) {
        if (Rule(recipient, naming, o).action == ReleaseAction::kWithhold) continue;
        auto [it, added] = ends.try_emplace(o.id, o.version, o.version);
        if (!added) {
          it->second.first = std::min(it->second.first, o.version);
          it->second.second = std::max(it->second.second, o.version);
        }
      }
      if (!page.more || !page.next) break;
      lookup.after = page.next;
    }
  }
  return ends;
}

Result<Page> OutboundReader::List(std::string_view collection_id, const Query& query,
                                  const Recipient& recipient, ReleaseTally* tally) {
  auto name = [](const StoredObject& o) {
    return o.id + "@" + (o.version_text.empty() ? o.date_added.ToString() : o.version_text);
  };
  // first and last among the versions the recipient may receive: the store's are of every
  // version, so asking it would leave out an object whose last version is withheld (and tell
  // the recipient, next to match[version]=all, that a version it may not see exists). Every
  // version is read, and a released one kept when it is the recipient's first or last.
  const bool choose_ends = (query.versions.first || query.versions.last) && !query.versions.all &&
                           !gate_.ReleasesEverything(recipient);
  Query q = query;
  if (choose_ends) q.versions = VersionMatch::All();
  // match[version]=T names the version the recipient receives: when the gate may release a
  // version as a later one (a sanitized rewrite, T = stored + shift), the stored one that would
  // become T is read too, and each released version is kept only when it is one asked for.
  const int64_t shift = gate_.VersionShift(recipient);
  const bool at_only = !query.versions.at.empty() && !query.versions.all && !query.versions.first &&
                       !query.versions.last;
  const bool check_released_version = shift > 0 && at_only;
  if (check_released_version) {
    for (int64_t v : query.versions.at) q.versions.at.push_back(v - shift);
  }
  // Before the query is constrained too: whether the store may skip older versions of an
  // object whose latest markings pass depends on what the gate reads from it (PolicyGate: a
  // latest version naming an observable the recipient may not receive can be withheld).
  CTI_RETURN_IF_ERROR(RefreshGate(recipient));
  gate_.Constrain(recipient, &q);
  // For the last versions of a collection, the index leaves out the older versions whose latest
  // version the gate says its markings release (skip_superseded_when_latest_under), so only
  // objects whose latest is withheld cost more to read. Not under an embargo (a latest version
  // still under it leaves its predecessor as the last), nor for named objects (few: all read).
  if (!(choose_ends && query.versions.last && !query.versions.first &&
        query.versions.at.empty() && query.ids.empty() && !q.added_until)) {
    q.skip_superseded_when_latest_under.reset();
  }
  const bool strip_text = !q.with_text && gate_.NeedsText(recipient);
  if (strip_text) q.with_text = true;

  // Rules on each version of `objects`, rewrites the released ones as the recipient receives
  // them and hands them to `admit`; counts into `t` (may be null). Returns how many it admitted.
  auto release = [&](std::vector<StoredObject>& objects, ReleaseTally* t,
                     auto&& admit) -> Result<size_t> {
    std::vector<ReleaseDecision> decisions;
    decisions.reserve(objects.size());
    std::vector<std::string> need_ends;  // released, and maybe not the recipient's first/last
    for (const StoredObject& object : objects) {
      decisions.push_back(Rule(recipient, query, object));
      if (choose_ends && decisions.back().action != ReleaseAction::kWithhold &&
          ((query.versions.last && !object.is_latest) ||
           (query.versions.first && !object.is_first))) {
        need_ends.push_back(object.id);
      }
    }
    std::map<std::string, std::pair<int64_t, int64_t>> ends;
    if (!need_ends.empty()) {
      std::sort(need_ends.begin(), need_ends.end());
      need_ends.erase(std::unique(need_ends.begin(), need_ends.end()), need_ends.end());
      CTI_ASSIGN_OR_RETURN(ends,
                           ReleasedEnds(collection_id, need_ends, query, q.with_text, recipient));
    }
    size_t admitted = 0;
    for (size_t i = 0; i < objects.size(); ++i) {
      StoredObject& object = objects[i];
      ReleaseDecision& decision = decisions[i];
      const bool versioned = !object.version_text.empty();
      if (decision.action == ReleaseAction::kWithhold) {
        // Counted when it is what was asked for; older versions read only to choose among are
        // not.
        if (t && internal::Selected(query.versions, object.version, versioned,
                                    object.date_added.micros(), object.is_first,
                                    object.is_latest)) {
          for (const std::string& rule : decision.rule_ids) ++t->rules[rule];
          if (++t->withheld <= ReleaseTally::kMaxIds) t->withheld_ids.push_back(name(object));
        }
        continue;
      }
      if (choose_ends) {
        bool first = object.is_first, last = object.is_latest;
        if (auto it = ends.find(object.id); it != ends.end()) {
          first = object.version == it->second.first;
          last = object.version == it->second.second;
        }
        if (!internal::Selected(query.versions, object.version, versioned,
                                object.date_added.micros(), first, last)) {
          continue;
        }
      }
      if (check_released_version && versioned) {
        int64_t released = object.version;
        if (!decision.new_version_text.empty()) {
          Result<Timestamp> v = Timestamp::Parse(decision.new_version_text);
          if (v.ok()) released = v->micros();
        }
        if (std::find(query.versions.at.begin(), query.versions.at.end(), released) ==
            query.versions.at.end()) {
          continue;  // read only as the stored form of a version asked for
        }
      }
      if (decision.action == ReleaseAction::kReleaseRedacted) {
        if (t) {
          for (const std::string& rule : decision.rule_ids) ++t->rules[rule];
        }
        object.text = std::move(decision.redacted_text);
        if (!decision.new_id.empty() && decision.new_id != object.id) {
          object.stored_id = std::exchange(object.id, std::move(decision.new_id));
        }
        if (!decision.new_version_text.empty()) {
          object.version_text = std::move(decision.new_version_text);
        }
        if (t && ++t->redacted <= ReleaseTally::kMaxIds) t->redacted_ids.push_back(name(object));
      }
      if (t) ++t->released;
      ++admitted;
      admit(std::move(object));
    }
    return admitted;
  };

  Page out;
  out.objects.reserve(std::min<size_t>(query.limit, 4096));
  size_t bytes = 0;
  // Versions released under another id (sanitization): two victims of one sector and country
  // both become that sector + country identity, which a page then holds once.
  std::set<std::pair<std::string, std::string>> renamed;
  while (true) {
    q.limit = query.limit - out.objects.size();
    if (query.max_text_bytes) q.max_text_bytes = query.max_text_bytes - bytes;
    CTI_ASSIGN_OR_RETURN(Page page, store_.List(collection_id, q));
    // After the read: what it saw, the gate knows of too (an observable stored with the object
    // that names it).
    CTI_RETURN_IF_ERROR(RefreshGate(recipient));
    if (!page.objects.empty()) {
      out.examined = Cursor{page.objects.back().date_added.micros(), page.objects.back().row};
    }
    CTI_ASSIGN_OR_RETURN(size_t admitted, release(page.objects, tally, [&](StoredObject&& object) {
                           if (!object.stored_id.empty() &&
                               !renamed.emplace(object.id, object.version_text).second) {
                             return;
                           }
                           if (strip_text) object.text.clear();
                           bytes += object.text.size();
                           out.objects.push_back(std::move(object));
                         }));
    (void)admitted;
    out.more = page.more;
    out.next = page.next;
    if (!page.more || out.objects.size() >= query.limit) break;
    if (query.max_text_bytes && bytes >= query.max_text_bytes) break;
    q.after = page.next;
  }
  // `more` is a promise that the next page holds something. Only stored versions the gate
  // withholds may follow, and that page would be empty: `more` would have told the recipient
  // that the collection holds versions it may not see, added after the last it got. Look ahead
  // (without counting) until one is released or none is left.
  // Usually the very next version is released: read a few first, more while none is.
  Query ahead = q;
  ahead.limit = 4;
  ahead.max_text_bytes = 0;
  ahead.after = out.next;
  while (out.more && ahead.after) {
    CTI_ASSIGN_OR_RETURN(Page page, store_.List(collection_id, ahead));
    CTI_RETURN_IF_ERROR(RefreshGate(recipient));
    CTI_ASSIGN_OR_RETURN(size_t admitted, release(page.objects, nullptr, [](StoredObject&&) {}));
    if (admitted) return out;
    if (!page.more) out.more = false;
    ahead.after = page.next;
    ahead.limit = std::min<size_t>(ahead.limit * 4, 1024);
  }
  return out;
}

}  // namespace ctihub::store
