// common/name_table: a fixed set of short names (STIX type names, vocabulary names) mapped to
// values, for lookups on hot paths. Built once; lookups hash a few bytes (length, first, middle
// and last byte) into an open-addressed table and confirm with one comparison — several times
// cheaper than a general string hash on these 3–40 byte names.
//
//   static const NameTable<const TypeSpec*> kTypes(entries);   // {name, value} pairs
//   const TypeSpec* const* spec = kTypes.Find("indicator");     // nullptr when absent
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace ctihub {

template <typename T>
class NameTable {
 public:
  // `entries` are copied; names must outlive the table (string literals, static arrays).
  explicit NameTable(const std::vector<std::pair<std::string_view, T>>& entries) {
    size_t capacity = 16;
    while (capacity < entries.size() * 4) capacity *= 2;  // load ≤ 25%: short probe chains
    slots_.resize(capacity);
    mask_ = capacity - 1;
    for (const auto& [name, value] : entries) {
      size_t i = Hash(name) & mask_;
      while (slots_[i].used) i = (i + 1) & mask_;
      slots_[i] = Slot{true, name, value};
    }
  }

  // The value stored under `name`, or nullptr.
  const T* Find(std::string_view name) const {
    for (size_t i = Hash(name) & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (!slot.used) return nullptr;
      if (slot.name.size() == name.size() && slot.name == name) return &slot.value;
    }
  }

 private:
  static size_t Hash(std::string_view s) {
    if (s.empty()) return 0;
    auto byte = [&](size_t i) { return static_cast<size_t>(static_cast<unsigned char>(s[i])); };
    return s.size() * 0x9E3779B1u ^ byte(0) * 0x85EBCA77u ^ byte(s.size() / 2) * 0xC2B2AE3Du ^
           byte(s.size() - 1) * 0x27D4EB2Fu;
  }
  struct Slot {
    bool used = false;
    std::string_view name;
    T value{};
  };
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

}  // namespace ctihub
