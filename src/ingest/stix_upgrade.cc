#include "ingest/stix_upgrade.h"

#include <simdjson.h>

#include <algorithm>

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

// A granular marking selector on the renamed `labels` ("labels", "labels.[2]") follows it to its
// 2.1 name: left as it was, it selects nothing, and the object would be refused for it.
std::string RenamedSelector(std::string_view selector, std::string_view typed_labels) {
  if (selector == "labels" || selector.substr(0, 7) == "labels.") {
    return std::string(typed_labels) + std::string(selector.substr(6));
  }
  return std::string(selector);
}

void WriteGranularMarkings(simdjson::dom::element markings, std::string_view typed_labels,
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
        std::string renamed = RenamedSelector(text, typed_labels);
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

  stix::JsonWriter w(json.size() + 64);
  w.BeginObject();
  stats->Add("upgrade.objects");
  for (auto field : obj) {
    std::string_view key = field.key;
    if (key == "spec_version") continue;  // rewritten after "type"
    if (key == "labels" && !typed_labels.empty() && !has_typed) {
      w.Key(typed_labels).Raw(simdjson::minify(field.value));
      stats->Add("upgrade.labels_to_" + std::string(typed_labels));
      continue;
    }
    if (key == "granular_markings" && !typed_labels.empty() && !has_typed) {
      w.Key(key);
      WriteGranularMarkings(field.value, typed_labels, w, stats);
      continue;
    }
    // STIX 2.0 allowed A-Z in property names (§3.1), 2.1 does not: x_ACME_Score is x_acme_score
    // now, unless that name is taken.
    if (std::any_of(key.begin(), key.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      std::string lower(key);
      for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      simdjson::dom::element taken;
      if (obj[lower].get(taken) != simdjson::SUCCESS) {
        w.Key(lower).Raw(simdjson::minify(field.value));
        stats->Add("upgrade.property_name_lowercased");
        continue;
      }
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
