#include "pattern/flat_observation.h"

#include <boost/json/array.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <cstring>

namespace ctihub::pattern {

namespace json = boost::json;

namespace {

constexpr size_t kChunk = 16 * 1024;

// "0" … "255": the keys of a record's objects, without formatting one per object.
const std::vector<std::string>& SmallKeys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    for (int i = 0; i < 256; ++i) k.push_back(std::to_string(i));
    return k;
  }();
  return keys;
}

}  // namespace

// With a fixed first buffer, release() rewinds to it (Boost 1.81 misbehaves after release()
// when a monotonic_resource started without one).
struct FlatObservation::JsonArena {
  alignas(std::max_align_t) unsigned char buffer[32 * 1024];
  json::monotonic_resource resource{buffer, sizeof buffer};
};

FlatObservation::FlatObservation() {
  nodes_.reserve(64);
  objects_.reserve(8);
}

FlatObservation::~FlatObservation() {
  json_.reset();  // its objects live on json_arena_
}

void FlatObservation::Clear() {
  nodes_.clear();
  objects_.clear();
  ipv6_.clear();
  chunk_used_ = 0;
  chunk_index_ = 0;
  big_.clear();
  external_ = nullptr;
  if (json_) {
    json_.reset();
    json_arena_->resource.release();
  }
  first_observed = last_observed = Timestamp();
  number_observed = 1;
}

std::string_view FlatObservation::Own(std::string_view text) {
  if (text.size() > kChunk) {
    big_.emplace_back(text);
    return big_.back();
  }
  if (chunks_.empty() || chunk_used_ + text.size() > kChunk) {
    if (!chunks_.empty()) ++chunk_index_;
    if (chunk_index_ == chunks_.size()) chunks_.push_back(std::make_unique<char[]>(kChunk));
    chunk_used_ = 0;
  }
  char* at = chunks_[chunk_index_].get() + chunk_used_;
  if (!text.empty()) std::memcpy(at, text.data(), text.size());
  chunk_used_ += text.size();
  return std::string_view(at, text.size());
}

uint32_t FlatObservation::Append(uint32_t parent, std::string_view name, Kind kind) {
  uint32_t index = static_cast<uint32_t>(nodes_.size());
  Node& n = nodes_.emplace_back();
  n.name = name;
  n.kind = kind;
  n.integer = 0;
  if (parent != kNone) {
    Node& p = nodes_[parent];
    if (p.last_child == kNone) {
      p.first_child = index;
    } else {
      nodes_[p.last_child].next = index;
    }
    p.last_child = index;
  }
  return index;
}

uint32_t FlatObservation::AddObject(std::string_view type) {
  uint32_t object = static_cast<uint32_t>(objects_.size());
  std::string_view key = object < SmallKeys().size() ? std::string_view(SmallKeys()[object])
                                                     : Own(std::to_string(object));
  uint32_t root = Append(kNone, {}, Kind::kObject);
  objects_.push_back(Object{type, key, root});
  AddString(root, "type", type);
  return object;
}

void FlatObservation::RemoveLastObject() {
  if (objects_.empty()) return;
  nodes_.resize(objects_.back().root);
  objects_.pop_back();
}

uint32_t FlatObservation::AddString(uint32_t parent, std::string_view name, std::string_view text) {
  uint32_t i = Append(parent, name, Kind::kString);
  nodes_[i].text = text;
  return i;
}

uint32_t FlatObservation::AddIpv4(uint32_t parent, std::string_view name, std::string_view text,
                                  const unsigned char bytes[4]) {
  uint32_t i = AddString(parent, name, text);
  nodes_[i].ipv4 = true;
  std::memcpy(&nodes_[i].integer, bytes, 4);
  return i;
}

uint32_t FlatObservation::AddIpv6(uint32_t parent, std::string_view name, std::string_view text,
                                  const unsigned char bytes[16]) {
  uint32_t i = AddString(parent, name, text);
  nodes_[i].ipv6 = true;
  nodes_[i].integer = static_cast<int64_t>(ipv6_.size());
  std::memcpy(ipv6_.emplace_back().data(), bytes, 16);
  return i;
}

uint32_t FlatObservation::AddInteger(uint32_t parent, std::string_view name, int64_t value) {
  uint32_t i = Append(parent, name, Kind::kInteger);
  nodes_[i].integer = value;
  return i;
}

uint32_t FlatObservation::AddBool(uint32_t parent, std::string_view name, bool value) {
  uint32_t i = Append(parent, name, Kind::kBool);
  nodes_[i].integer = value ? 1 : 0;
  return i;
}

uint32_t FlatObservation::AddRef(uint32_t parent, std::string_view name, uint32_t object) {
  uint32_t i = Append(parent, name, Kind::kRef);
  nodes_[i].object = object;
  nodes_[i].text = objects_[object].key;
  return i;
}

uint32_t FlatObservation::AddMap(uint32_t parent, std::string_view name) {
  return Append(parent, name, Kind::kObject);
}

uint32_t FlatObservation::AddList(uint32_t parent, std::string_view name) {
  return Append(parent, name, Kind::kArray);
}

void FlatObservation::AddJsonValue(uint32_t parent, std::string_view name, const json::value& value) {
  AddJson(parent, name, value, false, {});
}

uint32_t FlatObservation::Child(uint32_t parent, std::string_view name) const {
  const Node& p = nodes_[parent];
  if (p.kind != Kind::kObject) return kNone;
  // Compared in line, size first: the matcher asks this for every indexed path of every object,
  // and names are short ("value", "dst_ref") — a memcmp call per child showed in profiles.
  for (uint32_t c = p.first_child; c != kNone; c = nodes_[c].next) {
    std::string_view n = nodes_[c].name;
    if (n.size() != name.size()) continue;
    size_t i = 0;
    while (i < n.size() && n[i] == name[i]) ++i;
    if (i == n.size()) return c;
  }
  return kNone;
}

void FlatObservation::Assign(const Observation& observation) {
  Clear();
  first_observed = observation.first_observed;
  last_observed = observation.last_observed;
  number_observed = observation.number_observed;
  std::vector<std::string_view> keys;
  keys.reserve(observation.objects.size());
  for (const auto& [key, value] : observation.objects) keys.push_back(std::string_view(key.data(), key.size()));
  for (const auto& [key, value] : observation.objects) {
    uint32_t root = Append(kNone, {}, Kind::kObject);
    std::string_view type;
    if (value.is_object()) {
      if (const json::value* t = value.get_object().if_contains("type"); t != nullptr && t->is_string()) {
        type = std::string_view(t->get_string().data(), t->get_string().size());
      }
    }
    // A non-object entry, or one without a string type, is kept as an object no slot reads.
    objects_.push_back(Object{type, std::string_view(key.data(), key.size()), root});
  }
  for (size_t i = 0; i < objects_.size(); ++i) {
    const json::value& value = observation.objects.at(objects_[i].key);
    if (!value.is_object()) continue;
    for (const auto& [name, member] : value.get_object()) {
      std::string_view n(name.data(), name.size());
      AddJson(objects_[i].root, n, member, n.ends_with("_ref"), keys);
    }
  }
  external_ = &observation;
}

// Copies a JSON value below `parent`; `refs` says whether strings in it name objects (a `_ref`
// property, or the members of a `_refs` list).
void FlatObservation::AddJson(uint32_t parent, std::string_view name, const json::value& v, bool refs,
                              const std::vector<std::string_view>& keys) {
  switch (v.kind()) {
    case json::kind::string: {
      std::string_view text(v.get_string().data(), v.get_string().size());
      if (refs) {
        for (size_t k = 0; k < keys.size(); ++k) {
          if (keys[k] == text) {
            AddRef(parent, name, static_cast<uint32_t>(k));
            return;
          }
        }
      }
      AddString(parent, name, text);
      return;
    }
    case json::kind::int64: AddInteger(parent, name, v.get_int64()); return;
    case json::kind::uint64: {
      uint64_t u = v.get_uint64();
      if (u <= static_cast<uint64_t>(INT64_MAX)) {
        AddInteger(parent, name, static_cast<int64_t>(u));
      } else {
        nodes_[Append(parent, name, Kind::kUnsigned)].unsigned_integer = u;
      }
      return;
    }
    case json::kind::double_: nodes_[Append(parent, name, Kind::kDouble)].number = v.get_double(); return;
    case json::kind::bool_: AddBool(parent, name, v.get_bool()); return;
    case json::kind::null: Append(parent, name, Kind::kNull); return;
    case json::kind::object: {
      uint32_t map = AddMap(parent, name);
      for (const auto& [k, member] : v.get_object()) {
        std::string_view n(k.data(), k.size());
        AddJson(map, n, member, n.ends_with("_ref"), keys);
      }
      return;
    }
    case json::kind::array: {
      uint32_t list = AddList(parent, name);
      bool member_refs = name.ends_with("_refs");
      for (const json::value& member : v.get_array()) AddJson(list, {}, member, member_refs, keys);
      return;
    }
  }
}

json::value FlatObservation::ToJson(uint32_t index, const json::storage_ptr& sp) const {
  const Node& n = nodes_[index];
  switch (n.kind) {
    case Kind::kString:
    case Kind::kRef: return json::value(json::string_view(n.text.data(), n.text.size()), sp);
    case Kind::kInteger: return json::value(n.integer, sp);
    case Kind::kUnsigned: return json::value(n.unsigned_integer, sp);
    case Kind::kDouble: return json::value(n.number, sp);
    case Kind::kBool: return json::value(n.integer != 0, sp);
    case Kind::kNull: return json::value(nullptr, sp);
    case Kind::kObject: {
      json::object o(sp);
      for (uint32_t c = n.first_child; c != kNone; c = nodes_[c].next) {
        o.insert_or_assign(json::string_view(nodes_[c].name.data(), nodes_[c].name.size()), ToJson(c, sp));
      }
      return o;
    }
    case Kind::kArray: {
      json::array a(sp);
      for (uint32_t c = n.first_child; c != kNone; c = nodes_[c].next) a.push_back(ToJson(c, sp));
      return a;
    }
  }
  return json::value(nullptr, sp);
}

const Observation& FlatObservation::Json() const {
  if (external_ != nullptr) return *external_;
  if (json_) return *json_;
  if (!json_arena_) json_arena_ = std::make_unique<JsonArena>();
  json::storage_ptr sp(&json_arena_->resource);
  json_.emplace();
  // operator= would keep the default storage; the objects must live on the arena.
  std::destroy_at(&json_->objects);
  std::construct_at(&json_->objects, sp);
  json_->first_observed = first_observed;
  json_->last_observed = last_observed;
  json_->number_observed = number_observed;
  for (const Object& o : objects_) {
    json_->objects.insert_or_assign(json::string_view(o.key.data(), o.key.size()), ToJson(o.root, sp));
  }
  return *json_;
}

}  // namespace ctihub::pattern
