#include "store/delivery_ledger.h"

namespace ctihub::store {
namespace {

constexpr std::string_view kDeliveredKind = "delivered";

// "channel\ncollection local-id sent-id": STIX ids and collection ids hold no spaces, so the
// prefix up to the local id finds every sent id of one object.
std::string Prefix(std::string_view channel, std::string_view collection_id,
                   std::string_view local_id) {
  std::string key;
  key.reserve(channel.size() + collection_id.size() + local_id.size() + 3);
  key.append(channel).append("\n").append(collection_id).append(" ").append(local_id).append(" ");
  return key;
}

}  // namespace

Status RecordDeliveries(Store& store, std::string_view channel,
                        const std::vector<Delivery>& deliveries) {
  std::vector<Record> records;
  records.reserve(deliveries.size());
  for (const Delivery& d : deliveries) {
    records.push_back({Prefix(channel, d.collection_id, d.local_id) + d.sent_id, d.destination});
  }
  return store.PutRecords(kDeliveredKind, records);
}

Result<std::vector<Delivery>> DeliveriesOf(Store& store, std::string_view channel,
                                           std::string_view collection_id,
                                           std::string_view local_id) {
  const std::string prefix = Prefix(channel, collection_id, local_id);
  std::vector<Delivery> out;
  std::string after = prefix;
  for (;;) {
    CTI_ASSIGN_OR_RETURN(std::vector<Record> page,
                         store.ListRecords(kDeliveredKind, after, 100));
    for (Record& r : page) {
      if (r.key.compare(0, prefix.size(), prefix) != 0) return out;
      out.push_back({std::string(collection_id), std::string(local_id),
                     r.key.substr(prefix.size()), std::move(r.value)});
    }
    if (page.size() < 100) return out;
    after = page.back().key;
  }
}

Status ForgetDeliveries(Store& store, std::string_view channel,
                        const std::vector<Delivery>& deliveries) {
  std::vector<std::string> keys;
  keys.reserve(deliveries.size());
  for (const Delivery& d : deliveries) {
    keys.push_back(Prefix(channel, d.collection_id, d.local_id) + d.sent_id);
  }
  return store.DeleteRecords(kDeliveredKind, keys);
}

}  // namespace ctihub::store
