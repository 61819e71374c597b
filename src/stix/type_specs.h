// stix/type_specs: the property tables of every STIX 2.1 object type and predefined extension —
// which properties exist, their value kinds, which are required, which vocabulary or which target
// types a reference may name. The validator walks these tables; the rules that tables cannot say
// (co-constraints such as "latitude requires longitude") live in validator.cc.
//
//   const TypeSpec* spec = FindTypeSpec("indicator");
//   for (const PropertySpec& p : spec->properties) if (p.required) ...
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace ctihub::stix {

enum class ObjectCategory : uint8_t {
  kSdo,       // STIX Domain Object
  kSro,       // relationship, sighting
  kSco,       // STIX Cyber-observable Object
  kMeta,      // marking-definition, language-content, extension-definition
  kBundle,
  kCustom,    // not defined by STIX 2.1
};

std::string_view CategoryName(ObjectCategory category);

enum class PropertyKind : uint8_t {
  kString,
  kStringList,
  kTimestamp,
  kInteger,
  kNumber,
  kBoolean,
  kIdentifier,       // a reference; `arg` lists allowed target types ("" = any)
  kIdentifierList,
  kOpenVocab,        // string; `arg` names the vocabulary (warning when outside it)
  kOpenVocabList,
  kEnum,             // string; `arg` names a closed enumeration (error when outside it)
  kEnumList,
  kKillChainPhases,
  kExternalReferences,
  kHashes,
  kDictionary,
  kBinary,           // base64
  kHex,
  kObject,           // a JSON object checked by a rule in validator.cc
  kObjectList,       // a list of JSON objects checked by a rule in validator.cc
};

struct PropertySpec {
  std::string_view name;
  PropertyKind kind;
  bool required = false;
  // Vocabulary name for kOpenVocab/kEnum kinds; for identifiers a '|'-separated list of allowed
  // target types, or one of the class names "@sco", "@sdo", "@sdo-sco" (any SDO, SCO or custom
  // type), "@not-sro" (anything but relationship, sighting, bundle, marking-definition,
  // language-content).
  std::string_view arg = {};
  int64_t min = INT64_MIN;
  int64_t max = INT64_MAX;
};

struct TypeSpec {
  std::string_view type;  // object type, or extension name for predefined extensions
  ObjectCategory category;
  std::span<const PropertySpec> properties;
  // For predefined SCO extensions: the SCO type they may appear on.
  std::string_view extends = {};
  // At least one of the object's own (non-common) properties must be present (§6: e.g. process,
  // user-account, x509-certificate "MUST contain at least one property from this object").
  bool needs_any_property = false;

  const PropertySpec* Find(std::string_view name) const;
};

// nullptr for custom or unknown types.
const TypeSpec* FindTypeSpec(std::string_view type);
// A predefined SCO extension such as "archive-ext"; nullptr when unknown.
const TypeSpec* FindExtensionSpec(std::string_view name);
// The category of a type name; kCustom for anything STIX 2.1 does not define.
ObjectCategory CategoryOf(std::string_view type);

// The common properties of SDOs/SROs (§3.2) and of SCOs (§6.1), which every spec above inherits.
std::span<const PropertySpec> CommonSdoProperties();
std::span<const PropertySpec> CommonScoProperties();

// Property lookup for one object: `spec`'s own properties plus a common set (CommonSdoProperties,
// CommonScoProperties or none), precomputed for every combination the validator uses.
struct PropertyHit {
  const PropertySpec* spec = nullptr;  // nullptr: not a property of this type (custom)
  bool own = false;                    // defined by the type itself rather than the common set
};
PropertyHit FindProperty(const TypeSpec* spec, std::span<const PropertySpec> common,
                         std::string_view name);

// The precomputed table behind FindProperty, to look up many names of one object; nullptr for a
// combination that has none (FindProperty then scans).
class PropertyTable {
 public:
  virtual ~PropertyTable() = default;
  virtual PropertyHit Find(std::string_view name) const = 0;
};
const PropertyTable* FindPropertyTable(const TypeSpec* spec, std::span<const PropertySpec> common);

// True when `type` satisfies a reference class or list as described for PropertySpec::arg.
bool ReferenceTypeAllowed(std::string_view allowed, std::string_view type);

}  // namespace ctihub::stix
