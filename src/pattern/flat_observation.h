// pattern/flat_observation: an observation in the compact form the compiled matcher reads on its
// hot path. Telemetry readers build one per log record; the matcher probes its indexes with the
// values it holds and only asks for the Boost.JSON form (Json()) for the rare record that needs
// the evaluator: a candidate to confirm, a multi-observation pattern to remember it for, a path
// with binary (`_hex`/`_bin`) steps.
//
// Why not Boost.JSON throughout: building a DOM object per SCO (hash tables, value copies) cost a
// reader three times simdjson's parse of the same line, and the matcher's probes need only a few
// values per object. Here the SCOs are nodes in one vector (children chained by index), strings
// are views into the record or into a per-record arena, and nothing is freed between records: a
// warm reader builds an observation without touching malloc.
//
//   FlatObservation o;
//   uint32_t ip = o.AddObject("ipv4-addr");
//   o.AddString(o.Root(ip), "value", "198.51.100.7");        // the text must outlive `o`'s use
//   uint32_t nt = o.AddObject("network-traffic");
//   o.AddRef(o.Root(nt), "dst_ref", ip);                        // serialised as "0"
//   const Observation& json = o.Json();                         // made once, on demand
#pragma once

#include <array>
#include <boost/json/value.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "pattern/observation.h"

namespace ctihub::pattern {

class FlatObservation {
 public:
  enum class Kind : uint8_t { kString, kInteger, kUnsigned, kDouble, kBool, kNull, kRef, kObject, kArray };
  static constexpr uint32_t kNone = UINT32_MAX;

  struct Node {
    std::string_view name;  // the property name (empty for list members)
    std::string_view text;  // kString; kRef: the key it names ("3", or an SCO id)
    union {
      int64_t integer;      // kInteger, kBool (0/1); kString with `ipv4`: the address's bytes
      uint64_t unsigned_integer;  // kUnsigned (values above INT64_MAX)
      double number;        // kDouble
      uint32_t object;      // kRef: the object it resolves to
    };
    Kind kind = Kind::kNull;
    bool ipv4 = false;  // a kString known to be a dotted-quad IPv4 address, parsed into `integer`
    bool ipv6 = false;  // a kString known to be an IPv6 address, parsed: Ipv6Bytes(node)
    uint32_t first_child = kNone;  // kObject, kArray
    uint32_t last_child = kNone;
    uint32_t next = kNone;         // the next member of the same parent
  };

  FlatObservation();
  ~FlatObservation();
  FlatObservation(const FlatObservation&) = delete;
  FlatObservation& operator=(const FlatObservation&) = delete;

  // Empties it for the next record; capacity is kept.
  void Clear();

  // --- building ---
  // A new SCO of `type` (its "type" property is added); returns its object index, which refs
  // name. Objects are keyed "0", "1", … in the order they are added.
  uint32_t AddObject(std::string_view type);
  uint32_t AddString(uint32_t parent, std::string_view name, std::string_view text);
  // A string the caller has parsed as an IPv4 address (`bytes`): the matcher's prefix index
  // reads the bytes instead of parsing the text again.
  uint32_t AddIpv4(uint32_t parent, std::string_view name, std::string_view text, const unsigned char bytes[4]);
  // The same for an IPv6 address (`bytes` are its 16 bytes).
  uint32_t AddIpv6(uint32_t parent, std::string_view name, std::string_view text, const unsigned char bytes[16]);
  uint32_t AddInteger(uint32_t parent, std::string_view name, int64_t value);
  uint32_t AddBool(uint32_t parent, std::string_view name, bool value);
  uint32_t AddRef(uint32_t parent, std::string_view name, uint32_t object);
  uint32_t AddMap(uint32_t parent, std::string_view name);    // a nested JSON object
  uint32_t AddList(uint32_t parent, std::string_view name);   // a JSON array
  // A copy of a JSON value (its strings are viewed, not copied: `value` must outlive the use).
  void AddJsonValue(uint32_t parent, std::string_view name, const boost::json::value& value);
  // Removes the object added last with its properties; only when nothing was added to any other
  // object since (its nodes are the last ones).
  void RemoveLastObject();
  // A copy of `text` that lives until Clear(), for values the record does not hold as such
  // (lower-cased names, assembled URLs, formatted times).
  std::string_view Own(std::string_view text);

  // A flat view of `json`, whose strings it points into: `json` must outlive this and stay
  // unchanged. Json() then returns `json` itself. `_ref`/`_refs` members that name an object of
  // the observation become refs; the rest is kept as it is.
  void Assign(const Observation& json);

  // --- reading ---
  size_t object_count() const { return objects_.size(); }
  uint32_t Root(uint32_t object) const { return objects_[object].root; }
  std::string_view Type(uint32_t object) const { return objects_[object].type; }
  std::string_view Key(uint32_t object) const { return objects_[object].key; }
  const Node& node(uint32_t index) const { return nodes_[index]; }
  // The 16 bytes of a node added with AddIpv6 (n.ipv6); valid until Clear().
  const unsigned char* Ipv6Bytes(const Node& n) const { return ipv6_[static_cast<size_t>(n.integer)].data(); }
  // The member of object node `parent` called `name`, or kNone.
  uint32_t Child(uint32_t parent, std::string_view name) const;
  bool empty() const { return objects_.empty(); }

  Timestamp first_observed;
  Timestamp last_observed;
  int64_t number_observed = 1;

  // The same observation as Boost.JSON objects (made on the first call after building, valid
  // until Clear()).
  const Observation& Json() const;

 private:
  struct Object {
    std::string_view type;
    std::string_view key;
    uint32_t root;
  };
  uint32_t Append(uint32_t parent, std::string_view name, Kind kind);
  void AddJson(uint32_t parent, std::string_view name, const boost::json::value& value, bool refs,
               const std::vector<std::string_view>& keys);
  boost::json::value ToJson(uint32_t node, const boost::json::storage_ptr& sp) const;

  std::vector<Node> nodes_;
  std::vector<Object> objects_;
  std::vector<std::array<unsigned char, 16>> ipv6_;  // AddIpv6's bytes, by Node::integer
  // Owned strings: fixed chunks, so views into them stay valid as more are added.
  std::vector<std::unique_ptr<char[]>> chunks_;
  size_t chunk_used_ = 0;
  size_t chunk_index_ = 0;
  std::deque<std::string> big_;  // the rare string longer than a chunk (a deque: views stay valid)
  // The JSON form: either what Assign() was given, or made by Json() on `json_arena_`.
  const Observation* external_ = nullptr;
  struct JsonArena;
  mutable std::unique_ptr<JsonArena> json_arena_;
  mutable std::optional<Observation> json_;
};

}  // namespace ctihub::pattern
