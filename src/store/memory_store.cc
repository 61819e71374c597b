#include "store/memory_store.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <tuple>

namespace ctihub::store {
namespace {

struct Row {
  StoredObject object;  // with text
  bool is_first = false;
  bool is_latest = false;
  uint64_t text_hash = 0;
  int tlp = -1;
  std::vector<std::string> markings;
};

struct CollectionData {
  Collection info;
  int64_t last_added = 0;
  std::map<std::pair<int64_t, int64_t>, Row> rows;  // (date_added, row) → row
  std::map<std::string, std::map<int64_t, std::pair<int64_t, int64_t>>, std::less<>> by_id;
};

class MemoryStore final : public Store {
 private:
  Status DoCreateCollection(const Collection& collection) override {
    collections_.push_back(std::make_unique<CollectionData>());
    collections_.back()->info = collection;
    return Status::Ok();
  }
  Result<std::optional<Collection>> DoFindCollection(std::string_view key) override {
    CollectionData* data = Find(key);
    if (!data) return std::optional<Collection>();
    return std::optional<Collection>(data->info);
  }
  Result<std::vector<Collection>> DoListCollections() override {
    std::vector<Collection> out;
    for (const auto& c : collections_) out.push_back(c->info);
    return out;
  }
  Result<PutResult> DoPut(const Collection& collection,
                          const std::vector<stix::ObjectVersion>& batch, PutMode mode,
                          std::string_view origin) override;
  Result<Page> DoList(const Collection& collection, const Query& query) override;
  Result<uint64_t> DoDelete(const Collection& collection, std::string_view id,
                            const VersionMatch& versions) override;
  Status DoCheck() override;
  Result<StoreStats> DoStats() override {
    StoreStats s;
    s.collections = collections_.size();
    for (const auto& c : collections_) s.objects += c->rows.size();
    return s;
  }
  Status DoPutRecord(std::string_view kind, std::string_view key,
                     std::string_view value) override {
    records_[std::string(kind) + '\n' + std::string(key)] = std::string(value);
    return Status::Ok();
  }
  Result<std::optional<std::string>> DoGetRecord(std::string_view kind,
                                                 std::string_view key) override {
    auto it = records_.find(std::string(kind) + '\n' + std::string(key));
    if (it == records_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Result<uint64_t> DoDeleteRecordsBefore(std::string_view kind,
                                         std::string_view key_bound) override {
    const std::string prefix = std::string(kind) + '\n';
    uint64_t removed = 0;
    for (auto it = records_.begin(); it != records_.end();) {
      std::string_view name = it->first;
      if (name.substr(0, prefix.size()) == prefix && name.substr(prefix.size()) < key_bound) {
        it = records_.erase(it);
        ++removed;
      } else {
        ++it;
      }
    }
    return removed;
  }

  Result<std::vector<Record>> DoListRecords(std::string_view kind, std::string_view after,
                                            size_t limit) override {
    const std::string prefix = std::string(kind) + '\n';
    std::vector<Record> out;
    for (auto it = records_.upper_bound(prefix + std::string(after));
         it != records_.end() && out.size() < limit; ++it) {
      if (it->first.compare(0, prefix.size(), prefix) != 0) break;
      out.push_back({it->first.substr(prefix.size()), it->second});
    }
    return out;
  }
  Status DoRecordDeliveries(std::string_view channel,
                            const std::vector<Delivery>& deliveries) override {
    std::vector<Sent>& sent = deliveries_[std::string(channel)];
    for (const Delivery& d : deliveries) {
      const bool open = std::any_of(sent.begin(), sent.end(), [&](const Sent& s) {
        return !s.closed && s.delivery == d;
      });
      if (!open) sent.push_back(Sent{d, std::nullopt});
    }
    return Status::Ok();
  }
  // Every delivery of `local_id` that `keep` accepts, once each, in (sent id, destination) order.
  template <typename Keep>
  std::vector<Delivery> Sorted(std::string_view channel, std::string_view collection_id,
                               std::string_view local_id, Keep keep) const {
    std::set<Delivery, DeliveryOrder> found;
    auto it = deliveries_.find(channel);
    if (it == deliveries_.end()) return {};
    for (const Sent& s : it->second) {
      if (s.delivery.collection_id == collection_id && s.delivery.local_id == local_id && keep(s)) {
        found.insert(s.delivery);
      }
    }
    return {found.begin(), found.end()};
  }
  Result<std::vector<Delivery>> DoDeliveries(std::string_view channel,
                                             std::string_view collection_id,
                                             std::string_view local_id) override {
    return Sorted(channel, collection_id, local_id, [](const Sent&) { return true; });
  }
  Result<std::vector<Delivery>> DoDeliveriesBefore(std::string_view channel,
                                                   std::string_view collection_id,
                                                   const Tombstone& mark) override {
    return Sorted(channel, collection_id, mark.id,
                  [&](const Sent& s) { return s.closed == mark.seq; });
  }
  Status DoForgetDeliveries(std::string_view channel,
                            const std::vector<Delivery>& deliveries) override {
    auto it = deliveries_.find(channel);
    if (it == deliveries_.end()) return Status::Ok();
    for (const Delivery& d : deliveries) {
      std::erase_if(it->second, [&](const Sent& e) {
        return e.delivery.collection_id == d.collection_id &&
               e.delivery.local_id == d.local_id && e.delivery.sent_id == d.sent_id;
      });
    }
    return Status::Ok();
  }

  CollectionData* Find(std::string_view key) {
    for (auto& c : collections_) {
      if (c->info.id == key || c->info.alias == key) return c.get();
    }
    return nullptr;
  }
  static void Remark(CollectionData& data, std::string_view id);

  std::vector<std::unique_ptr<CollectionData>> collections_;
  int64_t next_row_ = 1;
  std::map<std::string, std::string> records_;  // "kind\nkey" → value
  struct DeliveryOrder {
    bool operator()(const Delivery& a, const Delivery& b) const {
      return std::tie(a.collection_id, a.local_id, a.sent_id, a.destination) <
             std::tie(b.collection_id, b.local_id, b.sent_id, b.destination);
    }
  };
  // A delivery, and the tombstone that closed it (the deletion it is told of).
  struct Sent {
    Delivery delivery;
    std::optional<int64_t> closed;
  };
  std::map<std::string, std::vector<Sent>, std::less<>> deliveries_;
};

// Recomputes the first/latest marks of one id after a change.
void MemoryStore::Remark(CollectionData& data, std::string_view id) {
  auto it = data.by_id.find(id);
  if (it == data.by_id.end()) return;
  if (it->second.empty()) {
    data.by_id.erase(it);
    return;
  }
  for (auto& [version, key] : it->second) {
    Row& row = data.rows.at(key);
    row.is_first = version == it->second.begin()->first;
    row.is_latest = version == it->second.rbegin()->first;
  }
}

Result<PutResult> MemoryStore::DoPut(const Collection& collection,
                                     const std::vector<stix::ObjectVersion>& batch, PutMode mode,
                                     std::string_view origin) {
  CollectionData& data = *Find(collection.id);
  // All-or-nothing: work on the data, and put the saved copy back when anything is rejected.
  std::optional<CollectionData> saved;
  int64_t saved_row = next_row_;
  if (mode == PutMode::kAllOrNothing) saved = data;
  PutResult result;
  int64_t added = std::max(Timestamp::Now().micros(), data.last_added + 1);
  for (const stix::ObjectVersion& v : batch) {
    uint64_t hash = internal::TextHash(v.text);
    std::vector<internal::ExistingVersion> existing;
    auto it = data.by_id.find(v.id);
    if (it != data.by_id.end()) {
      for (const auto& [version, key] : it->second) {
        const Row& row = data.rows.at(key);
        existing.push_back(
            {version, row.text_hash, row.object.created_by, row.object.origin, row.object.revoked});
      }
    }
    internal::PutDecision d = internal::DecidePut(v, hash, existing, origin);
    if (d.clash_with) {
      for (const auto& [version, key] : it->second) {
        if (version == *d.clash_with) internal::ReconsiderClash(d, v, data.rows.at(key).object.text);
      }
    }
    if (d.outcome == PutOutcome::kNewVersion) {
      internal::CheckCreatedKept(d, v, data.rows.at(it->second.begin()->second).object.text);
    }
    result.outcomes.push_back(d.outcome);
    result.reasons.push_back(d.reason);
    switch (d.outcome) {
      case PutOutcome::kDuplicate: ++result.duplicates; continue;
      case PutOutcome::kRejected: ++result.rejected; continue;
      case PutOutcome::kAdded: ++result.added; break;
      case PutOutcome::kNewVersion: ++result.new_versions; break;
    }
    Row row;
    row.object.row = next_row_++;
    row.object.date_added = Timestamp(added);
    row.object.id = v.id;
    row.object.type = v.type;
    row.object.spec_version = v.spec_version.empty() ? "2.1" : v.spec_version;
    row.object.version = internal::VersionOf(v);
    row.object.version_text = internal::VersionTextOf(v);
    row.object.revoked = v.revoked;
    row.object.text = v.text;
    row.text_hash = hash;
    row.tlp = internal::HighestTlp(v.object_marking_refs);
    row.markings = v.object_marking_refs;
    row.object.markings = v.object_marking_refs;
    row.object.created_by = v.created_by_ref;
    row.object.origin = std::string(origin);
    for (const stix::GranularMarking& g : v.granular_markings) {
      if (!g.marking_ref.empty()) row.object.granular_refs.push_back(g.marking_ref);
    }
    row.object.granular_known = true;
    if (!result.first_date_added) result.first_date_added = Timestamp(added);
    result.last_date_added = Timestamp(added);
    std::pair<int64_t, int64_t> key{added, row.object.row};
    data.by_id[v.id][row.object.version] = key;
    data.rows.emplace(key, std::move(row));
    Remark(data, v.id);
    data.last_added = added++;
  }
  if (saved && result.rejected > 0) {
    data = std::move(*saved);
    next_row_ = saved_row;
    result.committed = false;
  }
  return result;
}

Result<Page> MemoryStore::DoList(const Collection& collection, const Query& q) {
  CollectionData& data = *Find(collection.id);
  Page page;
  size_t bytes = 0;
  // The marking filter with the refs under which an older version is skipped (Query).
  std::optional<Query> under;
  if (q.skip_superseded_when_latest_under && q.allowed_markings) {
    under = q;
    under->allowed_markings = q.skip_superseded_when_latest_under;
  }
  auto start = data.rows.begin();
  if (q.after) start = data.rows.upper_bound({q.after->date_added, q.after->row});
  for (auto it = start; it != data.rows.end(); ++it) {
    const Row& row = it->second;
    const StoredObject& o = row.object;
    if (q.added_after && o.date_added <= *q.added_after) continue;
    if (!q.ids.empty() && std::find(q.ids.begin(), q.ids.end(), o.id) == q.ids.end()) continue;
    if (!q.types.empty() && std::find(q.types.begin(), q.types.end(), o.type) == q.types.end()) {
      continue;
    }
    if (std::find(q.exclude_types.begin(), q.exclude_types.end(), o.type) !=
        q.exclude_types.end()) {
      continue;
    }
    if (!q.spec_versions.empty() &&
        std::find(q.spec_versions.begin(), q.spec_versions.end(), o.spec_version) ==
            q.spec_versions.end()) {
      continue;
    }
    if (!internal::Selected(q.versions, o.version, !o.version_text.empty(),
                            o.date_added.micros(), row.is_first, row.is_latest)) {
      continue;
    }
    if (q.max_tlp && (row.tlp < 0 ? !q.include_unmarked : row.tlp > *q.max_tlp)) continue;
    if (!internal::MarkingsPass(q, row.markings,
                                !q.owner_identity.empty() && o.created_by == q.owner_identity) &&
        !(row.markings.empty() &&
          std::find(q.unmarked_types_decided.begin(), q.unmarked_types_decided.end(), o.type) !=
              q.unmarked_types_decided.end())) {
      continue;
    }
    if (q.added_until && o.date_added > *q.added_until) continue;
    if (under && !row.is_latest) {
      const Row& latest = data.rows.at(data.by_id.find(o.id)->second.rbegin()->second);
      if (internal::MarkingsPass(*under, latest.markings, /*by_owner=*/false)) continue;
    }
    if (!o.origin.empty() && std::find(q.exclude_origins.begin(), q.exclude_origins.end(),
                                       o.origin) != q.exclude_origins.end()) {
      continue;
    }
    if (!q.marking_refs.empty() &&
        std::none_of(q.marking_refs.begin(), q.marking_refs.end(), [&](const std::string& m) {
          return std::find(row.markings.begin(), row.markings.end(), m) != row.markings.end();
        })) {
      continue;
    }
    if (page.objects.size() == q.limit || (q.max_text_bytes && bytes >= q.max_text_bytes)) {
      page.more = true;
      const StoredObject& last = page.objects.back();
      page.next = Cursor{last.date_added.micros(), last.row};
      break;
    }
    page.objects.push_back(o);
    page.objects.back().is_first = row.is_first;
    page.objects.back().is_latest = row.is_latest;
    if (!q.with_text) page.objects.back().text.clear();
    bytes += page.objects.back().text.size();
  }
  return page;
}

Result<uint64_t> MemoryStore::DoDelete(const Collection& collection, std::string_view id,
                                       const VersionMatch& versions) {
  CollectionData& data = *Find(collection.id);
  auto it = data.by_id.find(id);
  if (it == data.by_id.end()) return uint64_t{0};
  std::vector<int64_t> doomed;
  for (const auto& [version, key] : it->second) {
    const Row& row = data.rows.at(key);
    if (internal::Selected(versions, version, !row.object.version_text.empty(),
                           row.object.date_added.micros(), row.is_first, row.is_latest)) {
      doomed.push_back(version);
    }
  }
  for (int64_t version : doomed) {
    data.rows.erase(it->second.at(version));
    it->second.erase(version);
  }
  if (!doomed.empty() && it->second.empty()) {
    const std::string prefix = std::string(internal::kTombstoneKind) + '\n' + collection.id + ' ';
    std::optional<std::string_view> last;
    auto after = records_.lower_bound(prefix + '~');  // '~' sorts after every digit
    if (after != records_.begin()) {
      auto before = std::prev(after);
      if (before->first.compare(0, prefix.size(), prefix) == 0) last = before->first;
    }
    const int64_t seq = internal::NextTombstoneSeq(last);
    records_[std::string(internal::kTombstoneKind) + '\n' +
             internal::TombstoneKey(collection.id, seq)] = std::string(id);
    for (auto& [channel, sent] : deliveries_) {
      for (Sent& s : sent) {
        if (!s.closed && s.delivery.collection_id == collection.id && s.delivery.local_id == id) {
          s.closed = seq;
        }
      }
    }
  }
  Remark(data, id);
  return static_cast<uint64_t>(doomed.size());
}

Status MemoryStore::DoCheck() {
  for (const auto& c : collections_) {
    for (const auto& [id, versions] : c->by_id) {
      int first = 0, latest = 0;
      for (const auto& [version, key] : versions) {
        first += c->rows.at(key).is_first;
        latest += c->rows.at(key).is_latest;
      }
      if (first != 1 || latest != 1) {
        return DataLoss(id + " has " + std::to_string(first) + " first and " +
                        std::to_string(latest) + " latest versions");
      }
    }
  }
  return Status::Ok();
}

}  // namespace

std::unique_ptr<Store> NewMemoryStore() { return std::make_unique<MemoryStore>(); }

}  // namespace ctihub::store
