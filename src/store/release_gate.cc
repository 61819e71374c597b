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
      ReleaseDecision decision = gate_.Decide(recipient, object);
      if (tally && decision.action != ReleaseAction::kRelease) {
        for (const std::string& rule : decision.rule_ids) ++tally->rules[rule];
      }
      if (decision.action == ReleaseAction::kWithhold) {
        if (tally && ++tally->withheld <= ReleaseTally::kMaxIds) {
          tally->withheld_ids.push_back(name(object));
        }
        continue;
      }
      if (decision.action == ReleaseAction::kReleaseRedacted) {
        if (!decision.new_id.empty() && decision.new_id != object.id && !query.ids.empty() &&
            std::find(query.ids.begin(), query.ids.end(), decision.new_id) == query.ids.end()) {
          // Asked for by the id it has here, released under another (sanitization renamed it):
          // answering would confirm to the recipient that this hub holds the original value (an
          // e-mail address whose deterministic id anyone can compute). Not found, as for the
          // recipient it does not exist under that id.
          if (tally) {
            ++tally->rules["sanitize.renamed-id"];
            if (++tally->withheld <= ReleaseTally::kMaxIds) tally->withheld_ids.push_back(name(object));
          }
          continue;
        }
        object.text = std::move(decision.redacted_text);
        if (!decision.new_id.empty() && decision.new_id != object.id) {
          object.stored_id = std::exchange(object.id, std::move(decision.new_id));
        }
        if (!decision.new_version_text.empty()) {
          object.version_text = std::move(decision.new_version_text);
        }
        if (tally && ++tally->redacted <= ReleaseTally::kMaxIds) {
          tally->redacted_ids.push_back(name(object));
        }
      }
      if (tally) ++tally->released;
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
  return out;
}

}  // namespace ctihub::store
