// stix/vocab: the STIX 2.1 open vocabularies (§10, SHOULD use) and closed enumerations (MUST use).
//
//   const Vocabulary* v = FindVocabulary("malware-type-ov");
//   if (v && !v->Contains("worm")) { ... }
#pragma once

#include <string_view>

namespace ctihub::stix {

struct Vocabulary {
  std::string_view name;
  bool closed;  // an enumeration: any other value is an error, not a warning
  const std::string_view* values;
  size_t size;
  bool Contains(std::string_view value) const;
};

// nullptr when `name` is not a known vocabulary.
const Vocabulary* FindVocabulary(std::string_view name);

}  // namespace ctihub::stix
