#include "telemetry/internal/mapped_json.h"

#include <toml++/toml.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>

#include "common/normalise.h"

namespace ctihub::telemetry::internal {

namespace json = boost::json;

namespace {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    out.emplace_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

std::optional<simdjson::dom::element> Lookup(simdjson::dom::element e,
                                             const std::vector<std::string>& path) {
  // Records may use dotted names themselves (Zeek's "id.orig_h"): the whole path as one key
  // wins over nested objects.
  if (path.size() > 1) {
    std::string joined = path[0];
    for (size_t i = 1; i < path.size(); ++i) joined += "." + path[i];
    simdjson::dom::element whole;
    if (e[joined].get(whole) == simdjson::SUCCESS) return whole;
  }
  for (const std::string& step : path) {
    simdjson::dom::object o;
    if (e.get(o) != simdjson::SUCCESS) return std::nullopt;
    if (o[step].get(e) != simdjson::SUCCESS) return std::nullopt;
  }
  return e;
}

// Copies a record's value below `parent` (strings stay views into the parsed record).
void AddElement(pattern::FlatObservation& out, uint32_t parent, std::string_view name,
                simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::STRING:
      out.AddString(parent, name, e.get_string().value_unsafe());
      return;
    case simdjson::dom::element_type::INT64:
      out.AddInteger(parent, name, e.get_int64().value_unsafe());
      return;
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE:
      out.AddJsonValue(parent, name,
                       e.type() == simdjson::dom::element_type::UINT64
                           ? json::value(e.get_uint64().value_unsafe())
                           : json::value(e.get_double().value_unsafe()));
      return;
    case simdjson::dom::element_type::BOOL:
      out.AddBool(parent, name, e.get_bool().value_unsafe());
      return;
    case simdjson::dom::element_type::ARRAY: {
      uint32_t list = out.AddList(parent, name);
      simdjson::dom::array members = e.get_array().value_unsafe();
      for (simdjson::dom::element m : members) AddElement(out, list, {}, m);
      return;
    }
    case simdjson::dom::element_type::OBJECT: {
      uint32_t map = out.AddMap(parent, name);
      simdjson::dom::object members = e.get_object().value_unsafe();
      for (auto [k, v] : members) AddElement(out, map, k, v);
      return;
    }
    case simdjson::dom::element_type::NULL_VALUE:
      out.AddJsonValue(parent, name, json::value(nullptr));
      return;
  }
}

ValueForm FormOf(std::string_view type, std::string_view property) {
  if (property == "hashes" || property.substr(0, 7) == "hashes.") return ValueForm::kHashes;
  if (type == "x509-certificate" && property == "serial_number") return ValueForm::kSerial;
  if (property != "value") return ValueForm::kAsWritten;
  if (type == "domain-name" || type == "ip-addr" || type == "ipv4-addr" || type == "ipv6-addr" ||
      type == "mac-addr") {
    return ValueForm::kHost;
  }
  if (type == "email-addr") return ValueForm::kEmail;
  if (type == "url") return ValueForm::kUrl;
  return ValueForm::kAsWritten;
}

// True when `text` is surely in `form` already, told without building the canonical copy (most
// values of a log are: a mapping reads every record).
bool SurelyInForm(ValueForm form, std::string_view text) {
  auto upper = [](std::string_view t) {
    return std::any_of(t.begin(), t.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  };
  switch (form) {
    case ValueForm::kHost:  // a DNS name (an address may need its canonical form)
      return !text.empty() && text.back() != '.' && text.find(':') == std::string_view::npos &&
             !upper(text) &&
             std::any_of(text.begin(), text.end(), [](char c) { return c >= 'a' && c <= 'z'; });
    case ValueForm::kEmail:
      return text.find_first_of("<>\" \t") == std::string_view::npos &&
             text.find('@') != std::string_view::npos && !upper(text.substr(text.rfind('@')));
    case ValueForm::kHashes:
      return !upper(text);
    case ValueForm::kUrl:
    case ValueForm::kSerial:
      return false;
    case ValueForm::kAsWritten:
      return true;
  }
  return false;
}

// `text` in `form`: the record's own text when already so, else a copy the observation owns.
std::string_view InForm(ValueForm form, std::string_view text, ObservationBuilder* out) {
  if (SurelyInForm(form, text)) return text;
  std::string canonical;
  switch (form) {
    case ValueForm::kHost:
      canonical = CanonicalHost(text);
      break;
    case ValueForm::kEmail:
      canonical = CanonicalEmail(text);
      break;
    case ValueForm::kUrl:
      canonical = CanonicalUrl(text);
      break;
    case ValueForm::kHashes:
      canonical = CanonicalHash(text);
      break;
    case ValueForm::kSerial:
      canonical = CanonicalSerialNumber(text);
      break;
    case ValueForm::kAsWritten:
      return text;
  }
  return canonical == text ? text : out->Own(canonical);
}

// A property's value below `node`, in the property's form; other values as AddElement copies them.
void AddProperty(ObservationBuilder* out, uint32_t node, std::string_view name, ValueForm form,
                 simdjson::dom::element e) {
  std::string_view text;
  simdjson::dom::object members;
  if (form == ValueForm::kHashes && e.get(members) == simdjson::SUCCESS) {
    uint32_t map = out->Map(node, name);
    for (auto [algorithm, hash] : members) {
      if (hash.get(text) == simdjson::SUCCESS) {
        out->flat().AddString(map, algorithm, InForm(form, text, out));
      } else {
        AddElement(out->flat(), map, algorithm, hash);
      }
    }
    return;
  }
  if (e.get(text) == simdjson::SUCCESS) {
    // STIX's integer properties a log may write as text ("dest_port": "8080"): compared as the
    // integers patterns write (Suricata's and Zeek's readers do the same).
    static constexpr std::string_view kIntegers[] = {
        "src_port",    "dst_port", "src_byte_count", "dst_byte_count", "src_packets",
        "dst_packets", "size"};
    int64_t number = 0;
    if (!text.empty() && text.size() <= 18 &&
        std::find(std::begin(kIntegers), std::end(kIntegers), name) != std::end(kIntegers) &&
        std::from_chars(text.data(), text.data() + text.size(), number).ptr ==
            text.data() + text.size() &&
        text.front() != '-' && text.front() != '+') {
      out->flat().AddInteger(node, name, number);
      return;
    }
    out->flat().AddString(node, name, InForm(form, text, out));
    return;
  }
  AddElement(out->flat(), node, name, e);
}

// A property named with a dot is a key of a dictionary property: "hashes.SHA-256" (or, as a
// pattern writes it, "hashes.'SHA-256'") is the SHA-256 member of `hashes`. Unquoted key.
std::pair<std::string_view, std::string_view> DictionaryKey(std::string_view name) {
  const size_t dot = name.find('.');
  if (dot == std::string_view::npos) return {{}, name};
  std::string_view key = name.substr(dot + 1);
  if (key.size() >= 2 && key.front() == '\'' && key.back() == '\'') {
    key = key.substr(1, key.size() - 2);
  }
  return {name.substr(0, dot), key};
}

bool Empty(simdjson::dom::element e) {
  std::string_view text;
  return e.is_null() || (e.get(text) == simdjson::SUCCESS && text.empty());
}

Status Bad(const std::string& name, const std::string& what) {
  return Status(StatusCode::kInvalidArgument, name + ": " + what);
}

}  // namespace

Result<JsonMapping> JsonMapping::Load(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status(StatusCode::kNotFound, "cannot read mapping file " + path);
  std::stringstream text;
  text << file.rdbuf();
  return Parse(text.str(), path);
}

Result<JsonMapping> JsonMapping::Parse(std::string_view toml_text, const std::string& name) {
  toml::table t;
  try {
    t = toml::parse(toml_text, name);
  } catch (const toml::parse_error& e) {
    return Bad(name, std::string(e.description()));
  }
  JsonMapping m;
  m.sensor_ = "json:" + std::string(t["name"].value_or<std::string_view>("mapped"));
  std::optional<std::string> time = t["timestamp"].value<std::string>();
  if (!time) return Bad(name, "'timestamp' (the field that holds each record's time) is required");
  m.time_field_ = SplitPath(*time);
  const toml::array* objects = t["object"].as_array();
  if (objects == nullptr || objects->empty()) {
    return Bad(name, "at least one [[object]] is required");
  }
  for (size_t i = 0; i < objects->size(); ++i) {
    const toml::table* o = objects->get(i)->as_table();
    std::string where = "object " + std::to_string(i);
    if (o == nullptr) return Bad(name, where + " is not a table");
    ObjectSpec spec;
    std::optional<std::string> type = (*o)["type"].value<std::string>();
    if (!type) return Bad(name, where + ": 'type' is required");
    spec.type = *type;
    if (const toml::table* props = (*o)["properties"].as_table()) {
      for (auto&& [key, value] : *props) {
        std::optional<std::string> field = value.value<std::string>();
        if (!field)
          return Bad(name, where + ".properties." + std::string(key.str()) + " must name a field");
        spec.properties.push_back(
            Property{std::string(key.str()), SplitPath(*field), FormOf(spec.type, key.str())});
      }
    }
    if (const toml::table* refs = (*o)["refs"].as_table()) {
      for (auto&& [key, value] : *refs) {
        Ref ref{std::string(key.str()), {}};
        if (std::optional<int64_t> index = value.value<int64_t>()) {
          ref.targets.push_back(static_cast<size_t>(*index));
        } else if (const toml::array* list = value.as_array()) {
          for (const toml::node& n : *list) {
            std::optional<int64_t> index = n.value<int64_t>();
            if (!index) return Bad(name, where + ".refs." + ref.name + ": object indexes expected");
            ref.targets.push_back(static_cast<size_t>(*index));
          }
        } else {
          return Bad(name, where + ".refs." + ref.name + ": an object index or a list of them");
        }
        for (size_t target : ref.targets) {
          if (target >= objects->size() || target == i) {
            return Bad(name, where + ".refs." + ref.name + ": no object " + std::to_string(target));
          }
        }
        spec.refs.push_back(std::move(ref));
      }
    }
    if (const toml::table* constants = (*o)["constants"].as_table()) {
      for (auto&& [key, value] : *constants) {
        json::value v;
        if (auto s = value.value<std::string>()) {
          v = json::value(*s);
        } else if (auto n = value.value<int64_t>()) {
          v = json::value(*n);
        } else if (auto b = value.value<bool>()) {
          v = json::value(*b);
        } else if (const toml::array* a = value.as_array()) {
          json::array arr;
          for (const toml::node& member : *a) {
            if (auto ms = member.value<std::string>()) arr.emplace_back(*ms);
          }
          v = std::move(arr);
        } else {
          return Bad(name, where + ".constants." + std::string(key.str()) +
                               ": a string, integer, boolean or list of strings");
        }
        spec.constants.emplace_back(std::string(key.str()), std::move(v));
      }
    }
    m.objects_.push_back(std::move(spec));
  }
  return m;
}

Status JsonMapping::Map(simdjson::dom::element record, ObservationBuilder* out) const {
  std::optional<simdjson::dom::element> time = Lookup(record, time_field_);
  if (!time) return Status(StatusCode::kInvalidArgument, "no time field");
  std::optional<Timestamp> ts;
  std::string_view text;
  double number;
  if (time->get(text) == simdjson::SUCCESS) {
    ts = FromRfc3339(text);
    if (!ts) ts = FromEpochText(text);
  } else if (time->get(number) == simdjson::SUCCESS) {
    // Seconds, or milliseconds when the number is too large to be seconds (after year 5138).
    ts = number > 1e11 ? FromEpochMicros(number * 1000) : FromEpochSeconds(number);
  }
  if (!ts) return Status(StatusCode::kInvalidArgument, "unreadable time field");
  out->SetTime(*ts);
  // First the objects with their own values; then refs to those that exist.
  std::vector<std::optional<uint32_t>> objects(objects_.size());
  std::vector<std::pair<const Property*, simdjson::dom::element>> values;
  for (size_t i = 0; i < objects_.size(); ++i) {
    const ObjectSpec& spec = objects_[i];
    values.clear();
    std::optional<std::string_view> value;
    for (const Property& p : spec.properties) {
      std::optional<simdjson::dom::element> v = Lookup(record, p.field);
      if (!v || Empty(*v)) continue;
      // A property named twice keeps the last value found, in the first one's place.
      auto same = std::find_if(values.begin(), values.end(),
                               [&](const auto& e) { return e.first->name == p.name; });
      if (same != values.end()) {
        same->second = *v;
      } else {
        values.emplace_back(&p, *v);
      }
      std::string_view text;
      if (p.name == "value" && v->get(text) == simdjson::SUCCESS) value = text;
    }
    if (values.empty()) continue;  // this record does not have this object
    std::string_view type = spec.type;
    if (spec.type == "ip-addr") {
      if (!value) continue;
      if (IsIpv4(*value)) {
        type = "ipv4-addr";
      } else if (IsIpv6(*value)) {
        type = "ipv6-addr";
      } else {
        continue;
      }
    }
    uint32_t object = out->Add(type);
    uint32_t node = out->Node(object);
    std::vector<std::pair<std::string_view, uint32_t>> dictionaries;  // "hashes" -> its node
    for (const auto& [p, v] : values) {
      // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
      const std::pair<std::string_view, std::string_view> named = DictionaryKey(p->name);
      const std::string_view dictionary = named.first, key = named.second;
      uint32_t at = node;
      if (!dictionary.empty()) {
        auto it = std::find_if(dictionaries.begin(), dictionaries.end(),
                               [&](const auto& d) { return d.first == dictionary; });
        if (it == dictionaries.end()) {
          dictionaries.emplace_back(dictionary, out->Map(node, dictionary));
          it = dictionaries.end() - 1;
        }
        at = it->second;
      }
      AddProperty(out, at, key, p->form, v);
    }
    for (const auto& [property, constant] : spec.constants) {
      out->flat().AddJsonValue(node, property, constant);
    }
    objects[i] = object;
  }
  std::vector<uint32_t> targets;
  for (size_t i = 0; i < objects_.size(); ++i) {
    if (!objects[i]) continue;
    for (const Ref& ref : objects_[i].refs) {
      targets.clear();
      for (size_t t : ref.targets) {
        if (objects[t]) targets.push_back(*objects[t]);
      }
      if (targets.empty()) continue;
      uint32_t node = out->Node(*objects[i]);
      bool list = ref.name.size() > 5 && ref.name.compare(ref.name.size() - 5, 5, "_refs") == 0;
      if (list) {
        out->RefList(node, ref.name, targets);
      } else {
        out->Ref(node, ref.name, targets.front());
      }
    }
  }
  return Status::Ok();
}

}  // namespace ctihub::telemetry::internal
