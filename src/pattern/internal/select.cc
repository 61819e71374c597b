#include "pattern/internal/select.h"

#include "pattern/internal/lexer.h"

#include <cstdint>
#include <optional>
#include <string_view>

namespace ctihub::pattern::internal {
namespace {

namespace json = boost::json;

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::optional<std::string> DecodeHex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    int hi = HexValue(text[i]);
    int lo = HexValue(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi << 4 | lo);
  }
  return out;
}

std::optional<std::string> DecodeBase64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  size_t padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '=') {
      if (i + 2 < text.size()) return std::nullopt;  // '=' only in the last two places
      ++padding;
      continue;
    }
    if (padding > 0) return std::nullopt;
    int v = Base64Value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

// A property step: the property's value, decoded when its name says it is binary (STIX 2.1
// §2.3: `_hex` and `_bin` suffixes), and dereferenced when it is a reference (`_ref`, `_refs`) —
// within the observation only; references that do not resolve select nothing.
void StepProperty(const Observation& observation, const std::string& name, const Selected& from,
                  std::vector<Selected>* out) {
  if (from.kind != Selected::Kind::kJson || !from.json->is_object()) return;
  const json::value* value = from.json->get_object().if_contains(name);
  if (value == nullptr) return;
  if (EndsWith(name, "_hex") || EndsWith(name, "_bin")) {
    if (!value->is_string()) return;
    std::optional<std::string> bytes = EndsWith(name, "_hex")
                                           ? DecodeHex(value->get_string())
                                           : DecodeBase64(value->get_string());
    if (!bytes) return;
    out->push_back(Selected{Selected::Kind::kBinary, nullptr, std::move(*bytes), {}});
  } else if (EndsWith(name, "_ref")) {
    if (!value->is_string()) return;
    const json::value* target = observation.objects.if_contains(value->get_string());
    if (target != nullptr) out->push_back(Selected{Selected::Kind::kJson, target, {}, {}});
  } else if (EndsWith(name, "_refs")) {
    if (!value->is_array()) return;
    Selected list{Selected::Kind::kRefList, nullptr, {}, {}};
    for (const json::value& ref : value->get_array()) {
      if (!ref.is_string()) continue;
      const json::value* target = observation.objects.if_contains(ref.get_string());
      if (target != nullptr) list.refs.push_back(target);
    }
    if (!list.refs.empty()) out->push_back(std::move(list));
  } else {
    out->push_back(Selected{Selected::Kind::kJson, value, {}, {}});
  }
}

}  // namespace

// The values `path` selects, starting from one root object. Negative list indexes select nothing,
// as in the reference matcher (the grammar admits them; §9 gives them no meaning).
std::vector<Selected> Select(const Observation& observation, const json::value& root,
                             const ObjectPath& path) {
  std::vector<Selected> current{Selected{Selected::Kind::kJson, &root, {}, {}}};
  std::vector<Selected> next;
  for (const PathStep& step : path.steps) {
    next.clear();
    for (const Selected& from : current) {
      switch (step.kind) {
        case PathStepKind::kProperty:
          StepProperty(observation, step.property, from, &next);
          break;
        case PathStepKind::kIndex:
          if (step.index < 0) break;
          if (from.kind == Selected::Kind::kRefList) {
            if (static_cast<size_t>(step.index) < from.refs.size()) {
              next.push_back(Selected{Selected::Kind::kJson, from.refs[step.index], {}, {}});
            }
          } else if (from.kind == Selected::Kind::kJson && from.json->is_array() &&
                     static_cast<size_t>(step.index) < from.json->get_array().size()) {
            next.push_back(
                Selected{Selected::Kind::kJson, &from.json->get_array()[step.index], {}, {}});
          }
          break;
        case PathStepKind::kAnyIndex:
          if (from.kind == Selected::Kind::kRefList) {
            for (const json::value* v : from.refs) {
              next.push_back(Selected{Selected::Kind::kJson, v, {}, {}});
            }
          } else if (from.kind == Selected::Kind::kJson && from.json->is_array()) {
            for (const json::value& v : from.json->get_array()) {
              next.push_back(Selected{Selected::Kind::kJson, &v, {}, {}});
            }
          }
          break;
      }
    }
    current.swap(next);
    if (current.empty()) break;
  }
  return current;
}


}  // namespace ctihub::pattern::internal
