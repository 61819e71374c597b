#include "store/release_gate.h"

#include <algorithm>
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

Result<Page> OutboundReader::List(std::string_view collection_id, const Query& query,
                                  const Recipient& recipient, ReleaseTally* tally) {
  auto name = [](const StoredObject& o) {
    return o.id + "@" + (o.version_text.empty() ? o.date_added.ToString() : o.version_text);
  };
  // Whether `object` goes out; if so it is rewritten as the recipient receives it. `t` (may be
  // null) counts the decision.
  auto release = [&](StoredObject& object, ReleaseTally* t) {
    ReleaseDecision decision = gate_.Decide(recipient, object);
    if (t && decision.action != ReleaseAction::kRelease) {
      for (const std::string& rule : decision.rule_ids) ++t->rules[rule];
    }
    if (decision.action == ReleaseAction::kWithhold) {
      if (t && ++t->withheld <= ReleaseTally::kMaxIds) t->withheld_ids.push_back(name(object));
      return false;
    }
    if (decision.action == ReleaseAction::kReleaseRedacted) {
      if (!decision.new_id.empty() && decision.new_id != object.id && !query.ids.empty() &&
          std::find(query.ids.begin(), query.ids.end(), decision.new_id) == query.ids.end()) {
        // Asked for by the id it has here, released under another (sanitization renamed it):
        // answering would confirm to the recipient that this hub holds the original value (an
        // e-mail address whose deterministic id anyone can compute). Not found, as for the
        // recipient it does not exist under that id.
        if (t) {
          ++t->rules["sanitize.renamed-id"];
          if (++t->withheld <= ReleaseTally::kMaxIds) t->withheld_ids.push_back(name(object));
        }
        return false;
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
    return true;
  };
  Query q = query;
  gate_.Constrain(recipient, &q);
  const bool strip_text = !q.with_text && gate_.NeedsText(recipient);
  if (strip_text) q.with_text = true;
  Page out;
  out.objects.reserve(std::min<size_t>(query.limit, 4096));
  size_t bytes = 0;
  while (true) {
    q.limit = query.limit - out.objects.size();
    if (query.max_text_bytes) q.max_text_bytes = query.max_text_bytes - bytes;
    CTI_ASSIGN_OR_RETURN(Page page, store_.List(collection_id, q));
    for (StoredObject& object : page.objects) {
      out.examined = Cursor{object.date_added.micros(), object.row};
      if (!release(object, tally)) continue;
      if (strip_text) object.text.clear();
      bytes += object.text.size();
      out.objects.push_back(std::move(object));
    }
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
    for (StoredObject& object : page.objects) {
      if (release(object, nullptr)) return out;
    }
    if (!page.more) out.more = false;
    ahead.after = page.next;
    ahead.limit = std::min<size_t>(ahead.limit * 4, 1024);
  }
  return out;
}

}  // namespace ctihub::store
