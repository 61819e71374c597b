#include "ingest/stix_upgrade.h"

#include <simdjson.h>

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "common/uuid.h"
#include "stix/canonical_json.h"
#include "stix/sco_id.h"

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

// --- observed-data: the 2.0 `objects` dictionary → 2.1 SCOs named by object_refs ---

// SCO properties 2.1 renamed (STIX 2.1 §6; the 2.0 names are those of STIX 2.0 Part 4).
struct ScoRename {
  std::string_view type, from, to;
};
constexpr ScoRename kScoRenames[] = {
    {"file", "created", "ctime"},
    {"file", "modified", "mtime"},
    {"file", "accessed", "atime"},
    {"directory", "created", "ctime"},
    {"directory", "modified", "mtime"},
    {"directory", "accessed", "atime"},
    {"process", "created", "created_time"},
    {"process", "binary_ref", "image_ref"},
    {"user-account", "password_last_changed", "credential_last_changed"},
    {"windows-registry-key", "modified", "modified_time"},
    {"network-traffic", "encapsulates_by_ref", "encapsulated_by_ref"},
    // Extensions, by their name in `extensions`.
    {"archive-ext", "version", "x_stix20_version"},
    {"raster-image-ext", "image_compression_algorithm", "x_stix20_image_compression_algorithm"},
    {"socket-ext", "protocol_family", "x_stix20_protocol_family"},
    // 2.1 dropped these (a file's encryption moved to artifact; a process has command_line and
    // image_ref): kept as custom properties, so nothing the source said is lost.
    {"file", "is_encrypted", "x_stix20_is_encrypted"},
    {"file", "encryption_algorithm", "x_stix20_encryption_algorithm"},
    {"file", "decryption_key", "x_stix20_decryption_key"},
    {"process", "name", "x_stix20_name"},
    {"process", "arguments", "x_stix20_arguments"},
};

std::string_view ScoPropertyName(std::string_view type, std::string_view name) {
  for (const ScoRename& r : kScoRenames) {
    if (r.type == type && r.from == name) return r.to;
  }
  return name;
}

// The string member `name` of `o`, or "" when it is absent or no string.
std::string_view StringOf(simdjson::dom::object o, std::string_view name) {
  std::string_view text;
  return o[name].get_string().get(text) == simdjson::SUCCESS ? text : std::string_view();
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// A granular marking of the observed-data as it applies to one of its observables: the marking
// (its JSON members but selectors) and what it selects there — the whole SCO, or these paths.
struct ObservableMarking {
  size_t marking;  // its index in the observed-data's granular_markings
  bool whole = false;
  std::vector<std::string> selectors;
};

// Rewrites a 2.0 observed-data's `objects` into top-level 2.1 SCOs, as 2.1 wants them (§4.13:
// `objects` is deprecated and its references must be identifiers): each gets its §2.9 id, its
// references name ids instead of dictionary keys, renamed 2.0 properties take their 2.1 names,
// and it carries the observed-data's markings — an observable of a RED sighting is RED.
class ObservablesUpgrade {
 public:
  ObservablesUpgrade(simdjson::dom::object observed, simdjson::dom::object objects,
                     ConversionStats* stats)
      : observed_(observed), objects_(objects), stats_(stats) {}

  // Fills ids_ and the markings; InvalidArgument for a reference or selector naming no object.
  Status Prepare() {
    for (auto field : objects_) {
      simdjson::dom::object sco;
      std::string_view type;
      if (field.value.get_object().get(sco) != simdjson::SUCCESS ||
          sco["type"].get_string().get(type) != simdjson::SUCCESS) {
        return InvalidArgument("objects." + std::string(field.key) +
                               ": a cyber observable must be an object with a string type");
      }
      keys_.emplace_back(field.key);
      types_[keys_.back()] = type;
    }
    if (keys_.empty()) return InvalidArgument("objects: the dictionary is empty");
    CTI_RETURN_IF_ERROR(SplitGranularMarkings());
    CTI_RETURN_IF_ERROR(AssignIds());
    return Status::Ok();
  }

  // The SCOs, in dictionary order.
  Result<std::vector<std::string>> Observables() {
    std::vector<std::string> out;
    counting_ = true;
    for (const std::string& key : keys_) {
      bool unresolved = false;
      CTI_ASSIGN_OR_RETURN(std::string text,
                           WriteSco(key, /*contributing_only=*/false, &unresolved));
      out.push_back(std::move(text));
    }
    stats_->Add("upgrade.observed_data_objects_to_refs");
    stats_->Add("upgrade.observables_extracted", out.size());
    return out;
  }

  // object_refs (distinct ids, in dictionary order).
  void WriteObjectRefs(stix::JsonWriter& w) {
    w.BeginArray();
    for (const std::string& id : RefIds()) w.String(id);
    w.EndArray();
  }

  // The observed-data's granular markings without their `objects` selectors (the others
  // following `renames`), plus each marking that touched an observable on that observable's
  // entry of object_refs: a deterministic id is a hash of the observable's value, which a
  // partner could find again by trying values. Empty when none are left.
  std::string OwnGranularMarkings(const Renames& renames) {
    const std::vector<std::string> refs = RefIds();
    stix::JsonWriter w;
    bool any = false;
    for (size_t i = 0; i < marking_objects_.size(); ++i) {
      std::vector<std::string> selectors;
      for (const std::string& s : own_selectors_[i]) {
        selectors.push_back(RenamedSelector(s, renames));
        if (selectors.back() != s) stats_->Add("upgrade.selector_renamed");
      }
      std::set<size_t> positions;
      for (const auto& [key, markings_of_key] : observable_markings_) {
        for (const ObservableMarking& om : markings_of_key) {
          if (om.marking != i) continue;
          positions.insert(std::find(refs.begin(), refs.end(), ids_.at(key)) - refs.begin());
        }
      }
      for (size_t p : positions) selectors.push_back("object_refs.[" + std::to_string(p) + "]");
      if (selectors.empty()) continue;
      if (!any) w.BeginArray();
      any = true;
      WriteMarking(marking_objects_[i], selectors, w);
    }
    if (any) w.EndArray();
    return std::move(w).Take();
  }

 private:
  std::vector<std::string> RefIds() const {
    std::vector<std::string> refs;
    for (const std::string& key : keys_) {
      const std::string& id = ids_.at(key);
      if (std::find(refs.begin(), refs.end(), id) == refs.end()) refs.push_back(id);
    }
    return refs;
  }

  static void WriteMarking(simdjson::dom::object m, const std::vector<std::string>& selectors,
                           stix::JsonWriter& w) {
    w.BeginObject();
    for (auto field : m) {
      if (field.key == "selectors") continue;
      w.Key(field.key).Raw(simdjson::minify(field.value));
    }
    w.Key("selectors").BeginArray();
    for (const std::string& s : selectors) w.String(s);
    w.EndArray();
    w.EndObject();
  }

  // "objects" selects every observable, "objects.K" observable K, "objects.K.path" a path in it;
  // other selectors stay on the observed-data.
  Status SplitGranularMarkings() {
    simdjson::dom::array list;
    if (observed_["granular_markings"].get_array().get(list) != simdjson::SUCCESS) {
      return Status::Ok();
    }
    for (simdjson::dom::element marking : list) {
      simdjson::dom::object m;
      if (marking.get_object().get(m) != simdjson::SUCCESS) {
        return InvalidArgument("granular_markings: an entry is not an object");
      }
      marking_objects_.push_back(m);
    }
    own_selectors_.resize(marking_objects_.size());
    for (size_t i = 0; i < marking_objects_.size(); ++i) {
      simdjson::dom::array selectors;
      if (marking_objects_[i]["selectors"].get_array().get(selectors) != simdjson::SUCCESS) {
        continue;
      }
      for (simdjson::dom::element selector : selectors) {
        std::string_view text;
        if (selector.get_string().get(text) != simdjson::SUCCESS) continue;
        if (text != "objects" && text.substr(0, 8) != "objects.") {
          own_selectors_[i].emplace_back(text);
          continue;
        }
        if (text == "objects") {
          for (const std::string& key : keys_) Mark(key, i, {});
          continue;
        }
        std::string_view rest = text.substr(8);
        const size_t dot = rest.find('.');
        std::string key(rest.substr(0, dot));
        if (std::find(keys_.begin(), keys_.end(), key) == keys_.end()) {
          return InvalidArgument("granular_markings: selector '" + std::string(text) +
                                 "' names no object of 'objects'");
        }
        Mark(key, i, dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1));
      }
      stats_->Add("upgrade.observable_marking_moved");
    }
    return Status::Ok();
  }

  void Mark(const std::string& key, size_t marking, std::string_view path) {
    std::vector<ObservableMarking>& list = observable_markings_[key];
    auto it = std::find_if(list.begin(), list.end(),
                           [&](const ObservableMarking& om) { return om.marking == marking; });
    if (it == list.end()) it = list.insert(list.end(), ObservableMarking{marking, false, {}});
    if (path.empty()) {
      it->whole = true;
      return;
    }
    // The path's first step follows a renamed property ("created" of a file is "ctime").
    const std::string_view type = types_.at(key);
    const size_t dot = path.find('.');
    std::string_view first = path.substr(0, dot);
    std::string_view renamed = ScoPropertyName(type, first);
    it->selectors.push_back(std::string(renamed) +
                            std::string(dot == std::string_view::npos ? "" : path.substr(dot)));
  }

  // §2.9 ids, in rounds: an observable whose ID contributing properties refer to others (a
  // network-traffic's src_ref) waits until those have theirs. What is left (references in a
  // circle) and types without such properties (process) get a UUIDv5 of the observed-data
  // version and the dictionary key: the same import again names them alike.
  Status AssignIds() {
    for (bool progress = true; progress;) {
      progress = false;
      for (const std::string& key : keys_) {
        if (ids_.contains(key)) continue;
        bool unresolved = false;
        CTI_ASSIGN_OR_RETURN(std::string text,
                             WriteSco(key, /*contributing_only=*/true, &unresolved));
        if (unresolved) continue;
        simdjson::dom::element element;
        if (parser_.parse(text).get(element) != simdjson::SUCCESS) {
          return Internal("objects." + key + ": could not read back its contributing properties");
        }
        Result<std::optional<std::string>> id = stix::ComputeScoId(element);
        const std::string_view type = types_.at(key);
        if (!id.ok() && stix::IsStixScoType(type)) {
          return InvalidArgument("objects." + key + ": " + id.status().message());
        }
        ids_[key] = id.ok() && *id ? **id : FallbackId(type, key);
        progress = true;
      }
    }
    for (const std::string& key : keys_) {
      if (!ids_.contains(key)) ids_[key] = FallbackId(types_.at(key), key);
    }
    return Status::Ok();
  }

  std::string FallbackId(std::string_view type, const std::string& key) const {
    static const Uuid kNamespace = Uuid::Parse(kStix20ObservableNamespace).value();
    std::string name = std::string(StringOf(observed_, "id")) + "|" +
                       std::string(StringOf(observed_, "modified")) + "|" + key;
    return std::string(type) + "--" + Uuid::V5(kNamespace, name).ToString();
  }

  // One observable as 2.1 JSON: with contributing_only, only its type and ID contributing
  // properties (what its id is computed from); `unresolved` is set when a reference there names
  // an observable whose id is not known yet.
  Result<std::string> WriteSco(const std::string& key, bool contributing_only, bool* unresolved) {
    simdjson::dom::object sco = objects_[key].get_object().value_unsafe();
    const std::string_view type = types_.at(key);
    const std::vector<std::string_view>* contributing = stix::IdContributingProperties(type);
    stix::JsonWriter w;
    w.BeginObject();
    w.Key("type").String(type);
    w.Key("spec_version").String("2.1");
    if (!contributing_only) w.Key("id").String(ids_.at(key));
    std::vector<std::string> written;
    std::vector<std::string> marking_refs;
    for (auto field : sco) {
      std::string_view name = field.key;
      if (name == "type" || name == "id" || name == "spec_version") continue;
      if (name == "object_marking_refs" || name == "granular_markings") {
        if (name == "object_marking_refs") AppendStrings(field.value, &marking_refs);
        continue;  // 2.0 had none here; a source that wrote them anyway has them merged below
      }
      const std::string_view renamed = ScoPropertyName(type, name);
      if (contributing_only &&
          (!contributing ||
           std::find(contributing->begin(), contributing->end(), renamed) == contributing->end())) {
        continue;
      }
      if (renamed != name && counting_) stats_->Add("upgrade.observable_property_renamed");
      w.Key(renamed);
      CTI_RETURN_IF_ERROR(WriteValue(key, name, field.value, /*in_extensions=*/name == "extensions",
                                     w, unresolved));
      written.emplace_back(renamed);
    }
    if (!contributing_only) WriteObservableMarkings(key, written, &marking_refs, w);
    w.EndObject();
    return std::move(w).Take();
  }

  void WriteObservableMarkings(const std::string& key, const std::vector<std::string>& written,
                               std::vector<std::string>* marking_refs, stix::JsonWriter& w) {
    simdjson::dom::element own;
    if (observed_["object_marking_refs"].get(own) == simdjson::SUCCESS) {
      AppendStrings(own, marking_refs);
    }
    std::vector<std::pair<const ObservableMarking*, std::vector<std::string>>> granular;
    if (auto it = observable_markings_.find(key); it != observable_markings_.end()) {
      for (const ObservableMarking& om : it->second) {
        std::string_view ref;
        if (om.whole && marking_objects_[om.marking]["marking_ref"].get_string().get(ref) ==
                            simdjson::SUCCESS) {
          marking_refs->emplace_back(ref);
          continue;
        }
        // A language marking on the whole observable: on each of its properties.
        granular.emplace_back(&om, om.whole ? written : om.selectors);
      }
    }
    std::vector<std::string> distinct;
    for (std::string& ref : *marking_refs) {
      if (std::find(distinct.begin(), distinct.end(), ref) == distinct.end()) {
        distinct.push_back(std::move(ref));
      }
    }
    if (!distinct.empty()) {
      w.Key("object_marking_refs").BeginArray();
      for (const std::string& ref : distinct) w.String(ref);
      w.EndArray();
    }
    if (!granular.empty()) {
      w.Key("granular_markings").BeginArray();
      for (const auto& [om, selectors] : granular) {
        WriteMarking(marking_objects_[om->marking], selectors, w);
      }
      w.EndArray();
    }
  }

  static void AppendStrings(simdjson::dom::element value, std::vector<std::string>* out) {
    simdjson::dom::array list;
    if (value.get_array().get(list) != simdjson::SUCCESS) return;
    for (simdjson::dom::element e : list) {
      std::string_view s;
      if (e.get_string().get(s) == simdjson::SUCCESS) out->emplace_back(s);
    }
  }

  // A value with its references (members named *_ref, *_refs, at any depth) turned from
  // dictionary keys into ids, and the renamed members of extensions renamed.
  Status WriteValue(const std::string& owner, std::string_view name, simdjson::dom::element value,
                    bool in_extensions, stix::JsonWriter& w, bool* unresolved) {
    const bool ref = EndsWith(name, "_ref"), refs = EndsWith(name, "_refs");
    std::string_view text;
    if (ref && value.get_string().get(text) == simdjson::SUCCESS) {
      return WriteRef(owner, name, text, w, unresolved);
    }
    simdjson::dom::array list;
    if (value.get_array().get(list) == simdjson::SUCCESS) {
      w.BeginArray();
      for (simdjson::dom::element item : list) {
        if (refs && item.get_string().get(text) == simdjson::SUCCESS) {
          CTI_RETURN_IF_ERROR(WriteRef(owner, name, text, w, unresolved));
        } else {
          CTI_RETURN_IF_ERROR(WriteValue(owner, {}, item, false, w, unresolved));
        }
      }
      w.EndArray();
      return Status::Ok();
    }
    simdjson::dom::object members;
    if (value.get_object().get(members) == simdjson::SUCCESS) {
      w.BeginObject();
      for (auto field : members) {
        // In `extensions`, each member is an extension named by its key.
        if (in_extensions) {
          w.Key(field.key);
          CTI_RETURN_IF_ERROR(WriteExtension(owner, field.key, field.value, w, unresolved));
          continue;
        }
        w.Key(field.key);
        CTI_RETURN_IF_ERROR(WriteValue(owner, field.key, field.value, false, w, unresolved));
      }
      w.EndObject();
      return Status::Ok();
    }
    w.Raw(simdjson::minify(value));
    return Status::Ok();
  }

  Status WriteExtension(const std::string& owner, std::string_view extension,
                        simdjson::dom::element value, stix::JsonWriter& w, bool* unresolved) {
    simdjson::dom::object members;
    if (value.get_object().get(members) != simdjson::SUCCESS) {
      return WriteValue(owner, {}, value, false, w, unresolved);
    }
    w.BeginObject();
    for (auto field : members) {
      const std::string_view renamed = ScoPropertyName(extension, field.key);
      if (renamed != field.key && counting_) stats_->Add("upgrade.observable_property_renamed");
      w.Key(renamed);
      CTI_RETURN_IF_ERROR(WriteValue(owner, field.key, field.value, false, w, unresolved));
    }
    w.EndObject();
    return Status::Ok();
  }

  Status WriteRef(const std::string& owner, std::string_view name, std::string_view key,
                  stix::JsonWriter& w, bool* unresolved) {
    if (auto it = ids_.find(key); it != ids_.end()) {
      w.String(it->second);
      return Status::Ok();
    }
    if (std::find(keys_.begin(), keys_.end(), key) == keys_.end()) {
      return InvalidArgument("objects." + owner + "." + std::string(name) + ": '" +
                             std::string(key) + "' names no object of 'objects'");
    }
    *unresolved = true;
    w.String(key);
    return Status::Ok();
  }

  simdjson::dom::object observed_;
  simdjson::dom::object objects_;
  ConversionStats* stats_;
  bool counting_ = false;  // renames are counted once, as the SCOs are written out
  simdjson::dom::parser parser_;
  std::vector<std::string> keys_;
  std::map<std::string, std::string_view> types_;        // dictionary key → its type
  std::map<std::string, std::string, std::less<>> ids_;  // dictionary key → 2.1 id
  // The observed-data's granular markings, by index: the marking, and its selectors that stay.
  std::vector<simdjson::dom::object> marking_objects_;
  std::vector<std::vector<std::string>> own_selectors_;
  std::map<std::string, std::vector<ObservableMarking>> observable_markings_;  // by key
};

}  // namespace

Result<std::string> UpgradeStix20Object(std::string_view json, ConversionStats* stats,
                                        std::vector<std::string>* observables) {
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
    return FailedPrecondition("the object declares spec_version '" + std::string(spec_version) +
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

  // observed-data: its cyber observables become SCOs of their own.
  std::optional<ObservablesUpgrade> observed;
  std::vector<std::string> extracted;
  simdjson::dom::object objects;
  if (type == "observed-data" && obj["objects"].get_object().get(objects) == simdjson::SUCCESS) {
    if (!observables) return InvalidArgument("observed-data: nowhere to put its observables");
    simdjson::dom::element e;
    if (obj["object_refs"].get(e) == simdjson::SUCCESS) {
      return InvalidArgument("observed-data has both objects and object_refs");
    }
    observed.emplace(obj, objects, stats);
    CTI_RETURN_IF_ERROR(observed->Prepare());
    CTI_ASSIGN_OR_RETURN(extracted, observed->Observables());
  }

  stix::JsonWriter w(json.size() + 64);
  w.BeginObject();
  stats->Add("upgrade.objects");
  for (auto field : obj) {
    std::string_view key = field.key;
    if (key == "spec_version") continue;  // rewritten after "type"
    if (observed && key == "objects") {
      w.Key("object_refs");
      observed->WriteObjectRefs(w);
      continue;
    }
    if (observed && key == "granular_markings") {
      if (std::string markings = observed->OwnGranularMarkings(renames); !markings.empty()) {
        w.Key(key).Raw(markings);
      }
      continue;
    }
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
  if (observables) {
    for (std::string& sco : extracted) observables->push_back(std::move(sco));
  }
  return std::move(w).Take();
}

}  // namespace ctihub::ingest
