// telemetry/internal/builder: assembles the SCOs of one record into an Observation — addresses
// deduplicated, network-traffic with refs to them, keys "0", "1", … in creation order.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <array>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "pattern/observation.h"

namespace ctihub::telemetry::internal {

// True for a textual IPv4 or IPv6 address (no prefix length).
bool IsIpv4(std::string_view text);
bool IsIpv6(std::string_view text);

// Seconds since the epoch as Zeek writes them ("1521911720.865716", or a JSON number).
std::optional<Timestamp> FromEpochText(std::string_view text);
Timestamp FromEpochSeconds(double seconds);
// RFC 3339 with 'Z' or a numeric offset ("2018-03-24T14:37:19.037299-0600", "+00:00"); no
// zone at all is read as UTC.
std::optional<Timestamp> FromRfc3339(std::string_view text);

// A record's protocol names (network-traffic `protocols`), without allocating.
struct Protocols {
  std::array<std::string_view, 8> items{};
  size_t count = 0;
  void Add(std::string_view p) {
    if (count < items.size()) items[count++] = p;
  }
};

class ObservationBuilder {
 public:
  // Builds into `out`, whose objects are re-created on `storage` (a per-record arena, say).
  explicit ObservationBuilder(pattern::Observation* out, boost::json::storage_ptr storage = {})
      : out_(out), sp_(std::move(storage)) {
    // operator= would keep the old storage; the objects must live on the new one.
    std::destroy_at(&out_->objects);
    std::construct_at(&out_->objects, sp_);
    out_->objects.reserve(8);  // a record rarely has more SCOs; saves the rehashes
    out_->number_observed = 1;
  }

  const boost::json::storage_ptr& storage() const { return sp_; }

  void SetTime(Timestamp t) { out_->first_observed = out_->last_observed = t; }

  // Adds an SCO and returns its key.
  std::string Add(boost::json::object sco);
  // The key of an ipv4-addr/ipv6-addr object for `address` (added once per record), or nullopt
  // when `address` is not an address.
  std::optional<std::string> Address(std::string_view address);
  // A domain-name object (added once per record, lower-cased), nullopt for empty or an address.
  std::optional<std::string> Domain(std::string_view name);
  // An email-addr object; "Name <a@b>" and "<a@b>" are reduced to the address.
  std::optional<std::string> Email(std::string_view text);
  // network-traffic between two endpoints; any part may be missing. Protocols are lower-cased,
  // deduplicated, and "-"/"failed"/"unknown" dropped. Returns the key, or nullopt when there is
  // neither address.
  std::optional<std::string> NetworkTraffic(std::optional<std::string_view> src,
                                            std::optional<int64_t> src_port,
                                            std::optional<std::string_view> dst,
                                            std::optional<int64_t> dst_port,
                                            const Protocols& protocols);
  boost::json::object& Object(const std::string& key) { return out_->objects[key].as_object(); }
  bool empty() const { return out_->objects.empty(); }

 private:
  pattern::Observation* out_;
  boost::json::storage_ptr sp_;
  int next_ = 0;
  // Values already added (views into the record's input), so each appears once per record.
  struct Seen_ {
    std::array<std::string_view, 16> values;
    std::array<int, 16> keys;
    size_t count = 0;
  };
  std::optional<std::string> Seen(const Seen_& seen, std::string_view value, bool ignore_case) const;
  void Remember(Seen_& seen, std::string_view value, const std::string& key);
  Seen_ addresses_, domains_, emails_;
};

}  // namespace ctihub::telemetry::internal
