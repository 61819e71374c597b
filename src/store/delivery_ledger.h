// store/delivery_ledger: which object went to which partner, by which channel — so that when an
// object is deleted here, exactly those who received it are told, and nobody else learns even
// its id. Whatever hands objects to a partner records them: a sync push (whether or not the
// peer then accepted them: it saw them either way), a transfer file, a TAXII read by a
// federation peer. A deletion looks the id up; push and transfer forget it once the peer was
// told.
//
// Entries are store records (kind "delivered"), written in one transaction per batch.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/store.h"

namespace ctihub::store {

struct Delivery {
  std::string collection_id;  // local collection it was read from
  std::string local_id;       // the id it is stored under here
  std::string sent_id;        // the id the partner received (sanitization may change it)
  std::string destination;    // where it went: the peer's collection id, or a transfer file's
                              // receiving node
  friend bool operator==(const Delivery&, const Delivery&) = default;
};

// `channel` names partner and path, e.g. "push/nato" or "transfer/nato".
Status RecordDeliveries(Store& store, std::string_view channel,
                        const std::vector<Delivery>& deliveries);
// What `channel` received of the object `local_id` from `collection_id` (usually one entry;
// more when sanitization gave its versions different ids).
Result<std::vector<Delivery>> DeliveriesOf(Store& store, std::string_view channel,
                                           std::string_view collection_id,
                                           std::string_view local_id);
Status ForgetDeliveries(Store& store, std::string_view channel,
                        const std::vector<Delivery>& deliveries);

}  // namespace ctihub::store
