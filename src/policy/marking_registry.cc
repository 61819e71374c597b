#include "policy/marking_registry.h"

#include <simdjson.h>

#include <algorithm>

#include "common/normalise.h"
#include "common/uuid.h"
#include "stix/canonical_json.h"

namespace ctihub::policy {
namespace {

// Namespace of ctihub's deterministic marking ids (UUIDv5 over the label's canonical text).
constexpr std::string_view kMarkingNamespace = "b496a2dd-52e5-4d85-b0b5-b424c7e3006d";

Label TlpLabel(std::string_view ref, TlpLevel level) {
  Label l;
  l.tlp = level;
  l.from.emplace_back(ref);
  return l;
}

Result<std::vector<std::string>> StringList(simdjson::dom::element e, std::string_view what) {
  std::vector<std::string> out;
  simdjson::dom::array array;
  if (e.get(array) != simdjson::SUCCESS) return InvalidArgument(std::string(what) + " must be a list of strings");
  for (simdjson::dom::element item : array) {
    std::string_view s;
    if (item.get(s) != simdjson::SUCCESS || s.empty()) {
      return InvalidArgument(std::string(what) + " must be a list of non-empty strings");
    }
    out.emplace_back(s);
  }
  return out;
}

// The ctihub classification extension's properties into `label`.
Status ReadClassification(simdjson::dom::object ext, Label& label) {
  for (auto [key, value] : ext) {
    if (key == "extension_type") continue;
    if (key == "classification") {
      std::string_view text;
      if (value.get(text) != simdjson::SUCCESS) return InvalidArgument("classification must be a string");
      CTI_ASSIGN_OR_RETURN(label.classification, ParseClassification(text));
    } else if (key == "rel_to") {
      CTI_ASSIGN_OR_RETURN(std::vector<std::string> rel, StringList(value, "rel_to"));
      if (rel.empty()) return InvalidArgument("rel_to must name at least one recipient group");
      label.rel_to.push_back(std::set<std::string>(rel.begin(), rel.end()));
    } else if (key == "caveats") {
      CTI_ASSIGN_OR_RETURN(std::vector<std::string> caveats, StringList(value, "caveats"));
      label.caveats.insert(caveats.begin(), caveats.end());
    } else {
      // An unknown property may restrict: not understood, not learned.
      return InvalidArgument("unknown property '" + std::string(key) + "' in the classification extension");
    }
  }
  return Status::Ok();
}

// ISA/ACS 3.0 (the OASIS isa-acs-3-0 marking extension), read to fail closed: what the hub can
// enforce becomes the label, what restricts release in a way it cannot enforce makes the marking
// unknown (withheld from all but the content's owner and administrators).
//  - control_set.classification (U, C, S, TS);
//  - permitted_nationalities, permitted_organizations and entity (GOV, MIL, CTR…): each list is
//    one releasability set, all of them must hold (a recipient's nation, organisation and
//    communities are its groups, so an organisation of entity GOV lists "GOV" as a community);
//  - sensitivity (LES, PII, PCII…), caveat and shareability: caveats the recipient must hold;
//  - formal_determination (PUBREL, FOUO, AIS…) describes the content and restricts nothing;
//  - sharing beyond the holder: policy_reference sharedefault=deny lets it go only to the scopes
//    a further_sharing rule permits; a further_sharing rule that denies a scope cannot be
//    expressed as a set the recipient must be in, so it makes the marking unknown;
//  - access_privilege rules govern what a holder may do with the content (display, use in
//    defence), not who may receive it, and are not read.
// A control_set property not listed here may restrict: unknown, not guessed.
// ACS's policy_reference says how content is shared beyond the scopes named:
// "…?privdefault=permit&sharedefault=deny". Read leniently as to spelling — percent-escapes, case,
// spaces — and strictly as to meaning: "permit" shares, "deny" does not, anything else (or two
// different answers) is not understood, so the marking is unresolved and the content withheld.
// No sharedefault at all shares, as before. A substring test let "SHAREDEFAULT=DENY" through.
Result<bool> SharesByDefault(std::string_view policy) {
  std::string text;
  for (char c : LowerAscii(PercentDecoded(policy))) {
    if (c != ' ' && c != '\t' && c != '+') text += c;
  }
  std::optional<bool> shares;
  for (size_t at = text.find("sharedefault"); at != std::string::npos;
       at = text.find("sharedefault", at + 1)) {
    size_t value = at + std::string_view("sharedefault").size();
    if (value >= text.size() || text[value] != '=') {
      return InvalidArgument("policy_reference names sharedefault without a value");
    }
    std::string_view v = std::string_view(text).substr(value + 1);
    v = v.substr(0, v.find_first_of("&;#?"));
    if (v != "permit" && v != "deny") {
      return InvalidArgument("policy_reference says sharedefault=" + std::string(v) +
                             ", which is neither permit nor deny");
    }
    if (shares && *shares != (v == "permit")) {
      return InvalidArgument("policy_reference says sharedefault both permit and deny");
    }
    shares = v == "permit";
  }
  return shares.value_or(true);
}

Status ReadAcs(simdjson::dom::object ext, Label& label) {
  simdjson::dom::object control;
  if (ext["control_set"].get(control) != simdjson::SUCCESS) {
    return InvalidArgument("an ISA/ACS marking needs control_set");
  }
  for (auto [key, value] : control) {
    if (key == "classification") {
      std::string_view cls;
      if (value.get(cls) != simdjson::SUCCESS) {
        return InvalidArgument("control_set.classification must be a string");
      }
      CTI_ASSIGN_OR_RETURN(label.classification, ParseClassification(cls));
    } else if (key == "permitted_nationalities" || key == "permitted_organizations" ||
               key == "entity") {
      CTI_ASSIGN_OR_RETURN(std::vector<std::string> list,
                           StringList(value, "control_set." + std::string(key)));
      if (list.empty()) {
        return InvalidArgument("control_set." + std::string(key) + " must name someone");
      }
      label.rel_to.push_back(std::set<std::string>(list.begin(), list.end()));
    } else if (key == "sensitivity" || key == "caveat" || key == "shareability") {
      CTI_ASSIGN_OR_RETURN(std::vector<std::string> list,
                           StringList(value, "control_set." + std::string(key)));
      label.caveats.insert(list.begin(), list.end());
    } else if (key == "formal_determination") {
      CTI_RETURN_IF_ERROR(StringList(value, "control_set.formal_determination").status());
    } else {
      return InvalidArgument("control_set." + std::string(key) +
                             " is not understood, and may restrict release");
    }
  }
  std::string_view policy;
  bool share_by_default = true;
  if (ext["policy_reference"].get(policy) == simdjson::SUCCESS) {
    CTI_ASSIGN_OR_RETURN(share_by_default, SharesByDefault(policy));
  }
  std::set<std::string> permitted;
  simdjson::dom::array rules;
  if (ext["further_sharing"].get(rules) == simdjson::SUCCESS) {
    for (simdjson::dom::element rule : rules) {
      std::string_view effect;
      simdjson::dom::element scope;
      if (rule["rule_effect"].get(effect) != simdjson::SUCCESS ||
          rule["sharing_scope"].get(scope) != simdjson::SUCCESS) {
        return InvalidArgument("a further_sharing rule needs sharing_scope and rule_effect");
      }
      CTI_ASSIGN_OR_RETURN(std::vector<std::string> list,
                           StringList(scope, "further_sharing.sharing_scope"));
      if (effect == "deny") {
        return InvalidArgument("further_sharing denies " +
                               (list.empty() ? std::string("a scope") : list.front()) +
                               ", which this hub cannot enforce as a releasability set");
      }
      if (effect != "permit") {
        return InvalidArgument("further_sharing rule_effect '" + std::string(effect) +
                               "' is not understood");
      }
      permitted.insert(list.begin(), list.end());
    }
  } else if (ext["further_sharing"].error() != simdjson::NO_SUCH_FIELD) {
    return InvalidArgument("further_sharing must be a list of rules");
  }
  if (!share_by_default) {
    if (permitted.empty()) {
      return InvalidArgument("policy_reference says sharedefault=deny and no further_sharing "
                             "rule permits anyone: it may not be shared on");
    }
    label.rel_to.push_back(std::move(permitted));
  }
  return Status::Ok();
}

// What a marking-definition (other than a standard TLP one) restricts; defined below.
Result<Label> Interpret(simdjson::dom::object object, std::string_view id);
bool ProvesItself(simdjson::dom::object object, std::string_view id, const Label& label);

// Whether two labels restrict release alike (`from` aside: the refs they were read from).
bool SameRestrictions(const Label& a, const Label& b) {
  return a.tlp == b.tlp && a.classification == b.classification && a.rel_to == b.rel_to &&
         a.caveats == b.caveats && a.unresolved == b.unresolved;
}

}  // namespace

MarkingRegistry::MarkingRegistry() {
  for (const char* ref : {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
                          "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
                          "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
                          "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
                          "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
                          "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
                          "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
                          "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
                          "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
                          "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"}) {
    labels_.emplace(ref, TlpLabel(ref, stix::FindTlpMarking(ref)->level));
  }
}

Status MarkingRegistry::Learn(std::string_view json, bool trusted_source) {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(json.data(), json.size()).get(object) != simdjson::SUCCESS) {
    return InvalidArgument("not a JSON object");
  }
  std::string_view type, id;
  if (object["type"].get(type) != simdjson::SUCCESS || type != "marking-definition" ||
      object["id"].get(id) != simdjson::SUCCESS) {
    return InvalidArgument("not a marking-definition");
  }
  // The standard TLP ids mean what the standard says, whatever a copy of them claims.
  if (stix::FindTlpMarking(id)) return Status::Ok();
  Result<Label> label = Interpret(object, id);
  if (!trusted_source && !(label.ok() && ProvesItself(object, id, *label))) {
    return NotFound(
        std::string(id) +
        ": defined by a source not trusted to define markings; "
        "ignored (content marked with it is withheld until a trusted source defines it)");
  }
  // One id, one meaning, store-wide. Trusted sources include partners the operator chose to
  // trust: a second definition of an id with other restrictions (a "statement" under the id of
  // a SECRET marking anyone can compute) must not replace the first, nor be replaced by it,
  // since either may be the forgery. The id becomes unknown, so content
  // carrying it is withheld from all but its owner and administrators, and this is reported.
  const std::string key(id);
  auto conflict = [&](const std::string& why) {
    labels_.erase(key);
    conflicted_.insert(key);
    return InvalidArgument(key + ": defined more than once, differently (" + why +
                           "); content marked with it is withheld until one definition remains");
  };
  if (conflicted_.contains(key)) return conflict("already in conflict");
  if (auto it = labels_.find(key); it != labels_.end()) {
    if (!label.ok()) return conflict("one the hub cannot interpret");
    if (!SameRestrictions(it->second, *label)) {
      return conflict(it->second.ToString() + " and " + label->ToString());
    }
    return Status::Ok();  // the same definition again (another collection, other formatting)
  }
  if (!label.ok()) {
    refused_.insert(key);
    return label.status();
  }
  if (refused_.contains(key)) return conflict("one the hub cannot interpret");
  labels_.emplace(key, *std::move(label));
  return Status::Ok();
}

namespace {

// Whether the definition is a ctihub classification marking whose id is the one
// ClassificationMarking mints from that very content: no one can make such an id mean anything
// else, so where it came from does not matter.
bool ProvesItself(simdjson::dom::object object, std::string_view id, const Label& label) {
  std::string_view ignored;
  if (object["definition_type"].get(ignored) == simdjson::SUCCESS) return false;
  simdjson::dom::object extensions;
  if (object["extensions"].get(extensions) != simdjson::SUCCESS || extensions.size() != 1) {
    return false;
  }
  if (extensions[kClassificationExtensionId].error() != simdjson::SUCCESS) return false;
  if (label.tlp || label.rel_to.size() > 1) return false;
  std::vector<std::string> rel;
  if (!label.rel_to.empty()) rel.assign(label.rel_to[0].begin(), label.rel_to[0].end());
  std::vector<std::string> caveats(label.caveats.begin(), label.caveats.end());
  // A definition minted with a TLP of its own (policy marking --tlp): its id covers that TLP.
  std::optional<TlpLevel> own_tlp;
  simdjson::dom::array own;
  if (object["object_marking_refs"].get(own) == simdjson::SUCCESS) {
    std::string_view ref;
    const stix::TlpMarking* tlp = nullptr;
    if (own.size() != 1 || own.at(0).get(ref) != simdjson::SUCCESS ||
        !(tlp = stix::FindTlpMarking(ref)) || tlp->version != 2) {
      return false;
    }
    own_tlp = tlp->level;
  }
  std::string minted = ClassificationMarking(label.classification, rel, caveats, own_tlp);
  simdjson::dom::parser parser;
  std::string_view minted_id;
  return parser.parse(minted).get_object()["id"].get(minted_id) == simdjson::SUCCESS &&
         minted_id == id;
}

Result<Label> Interpret(simdjson::dom::object object, std::string_view id) {
  Label label;
  label.from.emplace_back(id);
  bool understood = false;
  std::string_view definition_type;
  if (object["definition_type"].get(definition_type) == simdjson::SUCCESS) {
    if (definition_type == "tlp") {
      std::string_view colour;
      if (object["definition"]["tlp"].get(colour) != simdjson::SUCCESS) {
        return InvalidArgument(std::string(id) + ": definition.tlp is missing");
      }
      CTI_ASSIGN_OR_RETURN(label.tlp, ParseTlp(colour));
      understood = true;
    } else if (definition_type == "statement") {
      understood = true;  // words for people; no restriction the hub can enforce
    } else {
      return InvalidArgument(std::string(id) + ": definition_type '" +
                             std::string(definition_type) + "' is not understood");
    }
  }
  simdjson::dom::object extensions;
  if (object["extensions"].get(extensions) == simdjson::SUCCESS) {
    for (auto [ext_id, value] : extensions) {
      simdjson::dom::object ext;
      if (value.get(ext) != simdjson::SUCCESS) {
        return InvalidArgument(std::string(id) + ": extensions." + std::string(ext_id) + " is not an object");
      }
      Status read = Status::Ok();
      if (ext_id == stix::kTlp20ExtensionId) {
        std::string_view value_text;
        if (ext["tlp_2_0"].get(value_text) != simdjson::SUCCESS) {
          read = InvalidArgument("tlp_2_0 is missing");
        } else {
          Result<TlpLevel> level = ParseTlp(value_text);
          if (level.ok()) label.tlp = *level;
          read = level.status();
        }
      } else if (ext_id == kClassificationExtensionId) {
        read = ReadClassification(ext, label);
      } else if (ext_id == kAcsExtensionId) {
        read = ReadAcs(ext, label);
      } else {
        read = InvalidArgument("extension " + std::string(ext_id) + " is not understood");
      }
      if (!read.ok()) {
        return InvalidArgument(std::string(id) + ": extensions." + std::string(ext_id) + ": " +
                               std::string(read.message()));
      }
      understood = true;
    }
  }
  if (!understood) return InvalidArgument(std::string(id) + ": no definition the hub understands");
  return label;
}

}  // namespace

const Label* MarkingRegistry::Find(std::string_view ref) const {
  auto it = labels_.find(std::string(ref));
  return it == labels_.end() ? nullptr : &it->second;
}

Label MarkingRegistry::LabelOf(const std::vector<std::string>& refs) const {
  Label out;
  for (const std::string& ref : refs) {
    if (const Label* l = Find(ref)) {
      out.Join(*l);
    } else {
      out.unresolved.push_back(ref);
    }
  }
  return out;
}

std::vector<std::string> MarkingRegistry::KnownRefs() const {
  std::vector<std::string> out;
  out.reserve(labels_.size());
  for (const auto& [ref, label] : labels_) out.push_back(ref);
  std::sort(out.begin(), out.end());
  return out;
}

std::string ClassificationExtensionDefinition() {
  stix::JsonWriter w;
  w.BeginObject()
      .Key("type")
      .String("extension-definition")
      .Key("spec_version")
      .String("2.1")
      .Key("id")
      .String(kClassificationExtensionId)
      .Key("created_by_ref")
      .String(kCtihubIdentityId)
      .Key("created")
      .String("2026-11-24T00:00:00.000Z")
      .Key("modified")
      .String("2026-12-07T00:00:00.000Z")
      .Key("name")
      .String("ctihub classification and releasability")
      .Key("description")
      .String(
          "A property extension of marking-definition: `classification` on one ordered scale "
          "(public < unclassified < restricted < confidential < secret < top-secret; NATO, EU "
          "and national level names are accepted and mapped onto it), `rel_to` (communities, "
          "organisations or ISO 3166 nations of which a recipient must match one) and "
          "`caveats` (handling caveats a recipient must hold).")
      // The normative definition in plain words (§7.3 allows text as well as a URL).
      .Key("schema")
      .String(
          "Properties, all optional: classification (string: public, unclassified, restricted, "
          "confidential, secret or top-secret, or a NATO, EU or national level name mapped onto "
          "that scale, e.g. \"NATO SECRET\", \"RESTREINT UE/EU RESTRICTED\"); rel_to (list "
          "of strings: community names, organisation names or ISO 3166-1 nation codes; a "
          "recipient must match one); caveats (list of strings: handling caveats a recipient "
          "must hold). ctihub's docs/policy.md describes how a hub decides on them.")
      .Key("version")
      .String("1.0.0")
      .Key("extension_types")
      .BeginArray()
      .String("property-extension")
      .EndArray()
      .EndObject();
  return std::move(w).Take();
}

std::string CtihubIdentity() {
  stix::JsonWriter w;
  w.BeginObject()
      .Key("type")
      .String("identity")
      .Key("spec_version")
      .String("2.1")
      .Key("id")
      .String(kCtihubIdentityId)
      .Key("created")
      .String("2026-12-07T00:00:00.000Z")
      .Key("modified")
      .String("2026-12-07T00:00:00.000Z")
      .Key("name")
      .String("ctihub")
      .Key("description")
      .String(
          "The ctihub threat-intelligence sharing hub, as the creator of the STIX extensions it "
          "defines.")
      .Key("identity_class")
      .String("system")
      .EndObject();
  return std::move(w).Take();
}

std::string ClassificationMarking(Classification level, const std::vector<std::string>& rel_to,
                                  const std::vector<std::string>& caveats,
                                  std::optional<TlpLevel> own_tlp) {
  std::vector<std::string> rel = rel_to, cav = caveats;
  std::sort(rel.begin(), rel.end());
  rel.erase(std::unique(rel.begin(), rel.end()), rel.end());
  std::sort(cav.begin(), cav.end());
  cav.erase(std::unique(cav.begin(), cav.end()), cav.end());
  stix::JsonWriter ext;
  ext.BeginObject().Key("caveats").BeginArray();
  for (const std::string& c : cav) ext.String(c);
  ext.EndArray().Key("classification").String(ClassificationName(level));
  ext.Key("extension_type").String("property-extension").Key("rel_to").BeginArray();
  for (const std::string& r : rel) ext.String(r);
  ext.EndArray().EndObject();
  std::string body = std::move(ext).Take();
  // Empty lists are not allowed in STIX: drop them from the written object.
  std::string cleaned = body;
  for (const char* empty : {"\"caveats\":[],", ",\"rel_to\":[]"}) {
    size_t at = cleaned.find(empty);
    if (at != std::string::npos) cleaned.erase(at, std::string_view(empty).size());
  }
  const std::string_view tlp_ref = own_tlp ? stix::Tlp20Marking(*own_tlp).id : "";
  std::string id = "marking-definition--" +
                   Uuid::V5(*Uuid::Parse(kMarkingNamespace),
                            tlp_ref.empty() ? cleaned : cleaned + " " + std::string(tlp_ref))
                       .ToString();
  std::string name = std::string(ClassificationName(level));
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!rel.empty()) {
    name += " REL TO";
    for (size_t i = 0; i < rel.size(); ++i) name += (i ? ", " : " ") + rel[i];
  }
  stix::JsonWriter w;
  w.BeginObject()
      .Key("type")
      .String("marking-definition")
      .Key("spec_version")
      .String("2.1")
      .Key("id")
      .String(id)
      .Key("created")
      .String("2026-11-24T00:00:00.000Z")
      .Key("name")
      .String(name);
  if (!tlp_ref.empty()) w.Key("object_marking_refs").BeginArray().String(tlp_ref).EndArray();
  w.Key("extensions")
      .BeginObject()
      .Key(kClassificationExtensionId)
      .Raw(cleaned)
      .EndObject()
      .EndObject();
  return std::move(w).Take();
}

}  // namespace ctihub::policy
