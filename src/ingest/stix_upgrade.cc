#include "ingest/stix_upgrade.h"

#include <simdjson.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "stix/canonical_json.h"

namespace ctihub::ingest {
namespace {

// 2.0 types whose `labels` became a typed vocabulary property in 2.1.
std::string_view TypedLabelsProperty(std::string_view type) {
  if (type == "indicator") return "indicator_types";
  if (type == "malware") return "malware_types";
  if (type == "tool") return "tool_types";
  if (type == "threat-actor") return "threat_actor_types";
  if (type == "report") return "report_types";
  return {};
}

// "2017-05-31T21:30:19Z" → "2017-05-31T21:30:19.000Z"; longer fractions are kept.
std::string ToMillis(std::string_view ts) {
  std::string out(ts);
  size_t dot = out.find('.');
  if (out.empty() || out.back() != 'Z') return out;
  if (dot == std::string::npos) return out.insert(out.size() - 1, ".000");
  size_t digits = out.size() - 1 - dot - 1;
  if (digits < 3) out.insert(out.size() - 1, std::string(3 - digits, '0'));
  return out;
}

using Renames = std::map<std::string, std::string, std::less<>>;  // 2.0 name -> 2.1 name

// A granular marking selector on a renamed property ("labels", "labels.[2]", "x_ACME.a")
// follows it to its 2.1 name: left as it was, it selects nothing, and the object is refused.
std::string RenamedSelector(std::string_view selector, const Renames& renames) {
  const size_t dot = selector.find('.');
  auto it = renames.find(selector.substr(0, dot));
  if (it == renames.end()) return std::string(selector);
  return it->second + std::string(dot == std::string_view::npos ? "" : selector.substr(dot));
}

void WriteGranularMarkings(simdjson::dom::element markings, const Renames& renames,
                           stix::JsonWriter& w, ConversionStats* stats) {
  simdjson::dom::array list;
  if (markings.get_array().get(list) != simdjson::SUCCESS) {
    w.Raw(simdjson::minify(markings));
    return;
  }
  w.BeginArray();
  for (simdjson::dom::element marking : list) {
    simdjson::dom::object m;
    if (marking.get_object().get(m) != simdjson::SUCCESS) {
      w.Raw(simdjson::minify(marking));
      continue;
    }
    w.BeginObject();
    for (auto field : m) {
      simdjson::dom::array selectors;
      if (field.key != "selectors" || field.value.get_array().get(selectors) != simdjson::SUCCESS) {
        w.Key(field.key).Raw(simdjson::minify(field.value));
        continue;
      }
      w.Key("selectors").BeginArray();
      for (simdjson::dom::element selector : selectors) {
        std::string_view text;
        if (selector.get_string().get(text) != simdjson::SUCCESS) {
          w.Raw(simdjson::minify(selector));
          continue;
        }
        std::string renamed = RenamedSelector(text, renames);
        if (renamed != text) stats->Add("upgrade.selector_renamed");
        w.String(renamed);
      }
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

Result<std::string> UpgradeStix20Object(std::string_view json, ConversionStats* stats) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS) {
    return InvalidArgument("not well-formed JSON");
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) {
    return InvalidArgument("a STIX object must be a JSON object");
  }
  std::string_view type;
  if (obj["type"].get_string().get(type) != simdjson::SUCCESS) {
    return InvalidArgument("the object has no string 'type'");
  }
  std::string_view spec_version;
  bool has_spec_version = obj["spec_version"].get_string().get(spec_version) == simdjson::SUCCESS;
  if (has_spec_version && spec_version != "2.0") {
    return InvalidArgument("the object declares spec_version '" + std::string(spec_version) +
                           "', not 2.0");
  }
  const std::string_view typed_labels = TypedLabelsProperty(type);
  bool has_typed = false;
  if (!typed_labels.empty()) {
    simdjson::dom::element e;
    has_typed = obj[typed_labels].get(e) == simdjson::SUCCESS;
  }
  bool has_is_family = false, has_pattern_type = false;
  {
    simdjson::dom::element e;
    has_is_family = obj["is_family"].get(e) == simdjson::SUCCESS;
    has_pattern_type = obj["pattern_type"].get(e) == simdjson::SUCCESS;
  }

  // The renames, decided before writing so granular selectors can follow them: `labels` to its
  // typed 2.1 property, and names with capitals (2.0 allowed A-Z, §3.1; 2.1 does not) to lower
  // case, unless that name is taken by another property or another rename.
  Renames renames;
  std::set<std::string, std::less<>> names;
  for (auto field : obj) names.emplace(field.key);
  if (!typed_labels.empty() && !has_typed && names.count("labels")) {
    renames.emplace("labels", std::string(typed_labels));
  }
  for (auto field : obj) {
    std::string_view key = field.key;
    if (std::none_of(key.begin(), key.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      continue;
    }
    std::string lower(key);
    for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (names.insert(lower).second) renames.emplace(std::string(key), std::move(lower));
  }

  stix::JsonWriter w(json.size() + 64);
  w.BeginObject();
  stats->Add("upgrade.objects");
  for (auto field : obj) {
    std::string_view key = field.key;
    if (key == "spec_version") continue;  // rewritten after "type"
    if (auto renamed = renames.find(key); renamed != renames.end()) {
      w.Key(renamed->second).Raw(simdjson::minify(field.value));
      stats->Add(key == "labels" ? "upgrade.labels_to_" + renamed->second
                                 : std::string("upgrade.property_name_lowercased"));
      continue;
    }
    if (key == "granular_markings" && !renames.empty()) {
      w.Key(key);
      WriteGranularMarkings(field.value, renames, w, stats);
      continue;
    }
    std::string_view text;
    if ((key == "created" || key == "modified") &&
        field.value.get_string().get(text) == simdjson::SUCCESS) {
      std::string millis = ToMillis(text);
      if (millis != text) stats->Add("upgrade.timestamp_precision");
      w.Key(key).String(millis);
    } else {
      w.Key(key).Raw(simdjson::minify(field.value));
    }
    if (key == "type") {
      w.Key("spec_version").String("2.1");
      stats->Add("upgrade.spec_version_added");
    }
  }
  if (type == "malware" && !has_is_family) {
    w.Key("is_family").Bool(true);
    stats->Add("upgrade.is_family_added");
  }
  if (type == "indicator" && !has_pattern_type) {
    w.Key("pattern_type").String("stix");
    stats->Add("upgrade.pattern_type_added");
  }
  w.EndObject();
  return std::move(w).Take();
}

}  // namespace ctihub::ingest
