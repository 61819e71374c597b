#include "stix/sco_id.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <utility>

#include "common/uuid.h"
#include "stix/canonical_json.h"

namespace ctihub::stix {
namespace {

struct ScoIdSpec {
  std::string_view type;
  std::vector<std::string_view> id_properties;
};

// STIX 2.1 OS (oasis-tcs/cti-stix2 spec/stix-v2.1.md), the "ID Contributing Properties" row of
// each §6.x Properties table, in the spec's order.
const std::vector<ScoIdSpec>& ScoIdSpecs() {
  static const auto* specs = new std::vector<ScoIdSpec>{
      {"artifact", {"hashes", "payload_bin"}},                             // §6.1
      {"autonomous-system", {"number"}},                                   // §6.2
      {"directory", {"path"}},                                             // §6.3
      {"domain-name", {"value"}},                                          // §6.4
      {"email-addr", {"value"}},                                           // §6.5
      {"email-message", {"from_ref", "subject", "body"}},                  // §6.6
      {"file", {"hashes", "name", "extensions", "parent_directory_ref"}},  // §6.7
      {"ipv4-addr", {"value"}},                                            // §6.8
      {"ipv6-addr", {"value"}},                                            // §6.9
      {"mac-addr", {"value"}},                                             // §6.10
      {"mutex", {"name"}},                                                 // §6.11
      {"network-traffic",                                                  // §6.12
       {"start", "end", "src_ref", "dst_ref", "src_port", "dst_port", "protocols", "extensions"}},
      {"process", {}},  // §6.13: "all properties on this object are optional, please use a UUIDv4"
      {"software", {"name", "cpe", "swid", "vendor", "version"}},      // §6.14
      {"url", {"value"}},                                              // §6.15
      {"user-account", {"account_type", "user_id", "account_login"}},  // §6.16
      {"windows-registry-key", {"key", "values"}},                     // §6.17
      {"x509-certificate", {"hashes", "serial_number"}},               // §6.18
  };
  return *specs;
}

const ScoIdSpec* FindSpec(std::string_view type) {
  for (const ScoIdSpec& spec : ScoIdSpecs()) {
    if (spec.type == type) return &spec;
  }
  return nullptr;
}

// "ipv4-addr--…: " when the object carries an id, else "ipv4-addr object: ", to name the object in
// error messages.
std::string ObjectName(simdjson::dom::object sco, std::string_view type) {
  std::string_view id;
  if (sco["id"].get(id) == simdjson::SUCCESS) return std::string(id) + ": ";
  return std::string(type) + " object: ";
}

// §6.1/§6.7/§6.18: "If the hashes property is present, include only one hash. The selected hash
// SHOULD come from this ordered list [MD5, SHA-1, SHA-256, SHA-512]".
std::optional<simdjson::dom::key_value_pair> SelectHash(simdjson::dom::object hashes) {
  static constexpr std::array<std::string_view, 4> kPreference = {"MD5", "SHA-1", "SHA-256",
                                                                  "SHA-512"};
  for (std::string_view algorithm : kPreference) {
    for (simdjson::dom::key_value_pair kv : hashes) {
      if (kv.key == algorithm) return kv;
    }
  }
  // None of the preferred algorithms: the spec is silent; python-stix2 takes the first entry.
  simdjson::dom::object::iterator first = hashes.begin();
  if (first == hashes.end()) return std::nullopt;
  return *first;
}

struct IdName {
  std::string_view type;
  std::optional<std::string> name;
};

Result<IdName> BuildIdName(simdjson::dom::element element) {
  simdjson::dom::object sco;
  if (element.get(sco) != simdjson::SUCCESS) {
    return InvalidArgument("an SCO must be a JSON object to compute its deterministic id", "");
  }
  std::string_view type;
  if (sco["type"].get(type) != simdjson::SUCCESS) {
    return InvalidArgument("SCO has no string 'type'; cannot choose its ID contributing properties",
                           "/type");
  }
  const ScoIdSpec* spec = FindSpec(type);
  if (spec == nullptr) {
    return InvalidArgument(ObjectName(sco, type) + "'" + std::string(type) +
                               "' is not a STIX 2.1 SCO type, so it has no known ID contributing "
                               "properties",
                           "/type");
  }

  std::vector<std::pair<std::string_view, simdjson::dom::element>> present;
  for (std::string_view property : spec->id_properties) {
    simdjson::dom::element value;
    if (sco[property].get(value) != simdjson::SUCCESS) continue;
    if (value.is_null()) {
      // Built with append: GCC 12 reports a false -Wrestrict on `"/" + std::string` (PR 105651).
      std::string pointer = "/";
      pointer.append(property);
      return InvalidArgument(ObjectName(sco, type) + "ID contributing property '" +
                                 std::string(property) +
                                 "' is null; STIX forbids null values, omit the property instead",
                             std::move(pointer));
    }
    present.emplace_back(property, value);
  }
  if (present.empty()) return IdName{type, std::nullopt};

  // Property names are ASCII, where byte order is RFC 8785's UTF-16 order.
  std::sort(present.begin(), present.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  JsonWriter writer(256);
  writer.BeginObject();
  std::string canonical;
  for (const auto& [property, value] : present) {
    writer.Key(property);
    if (property == "hashes") {
      simdjson::dom::object hashes;
      if (value.get(hashes) != simdjson::SUCCESS) {
        return InvalidArgument(
            ObjectName(sco, type) + "'hashes' must be a dictionary of algorithm name to hash value",
            "/hashes");
      }
      std::optional<simdjson::dom::key_value_pair> chosen = SelectHash(hashes);
      if (!chosen) {
        return InvalidArgument(ObjectName(sco, type) +
                                   "'hashes' is empty; it must hold at least one hash or be "
                                   "omitted",
                               "/hashes");
      }
      canonical.clear();
      AppendCanonicalJson(chosen->value, &canonical);
      writer.BeginObject().Key(chosen->key).Raw(canonical).EndObject();
    } else {
      canonical.clear();
      AppendCanonicalJson(value, &canonical);
      writer.Raw(canonical);
    }
  }
  writer.EndObject();
  return IdName{type, std::move(writer).Take()};
}

}  // namespace

bool IsStixScoType(std::string_view type) { return FindSpec(type) != nullptr; }

const std::vector<std::string_view>* IdContributingProperties(std::string_view sco_type) {
  const ScoIdSpec* spec = FindSpec(sco_type);
  if (spec == nullptr || spec->id_properties.empty()) return nullptr;
  return &spec->id_properties;
}

Result<std::optional<std::string>> IdContributingJson(simdjson::dom::element sco) {
  CTI_ASSIGN_OR_RETURN(IdName id_name, BuildIdName(sco));
  return std::move(id_name.name);
}

Result<std::optional<std::string>> ComputeScoId(simdjson::dom::element sco) {
  CTI_ASSIGN_OR_RETURN(IdName id_name, BuildIdName(sco));
  if (!id_name.name) return std::optional<std::string>();
  // The namespace literal is well-formed; Parse cannot fail on it.
  static const Uuid kNamespace = Uuid::Parse(kStixScoNamespace).value();
  std::string id(id_name.type);
  id += "--";
  id += Uuid::V5(kNamespace, *id_name.name).ToString();
  return std::optional<std::string>(std::move(id));
}

}  // namespace ctihub::stix
