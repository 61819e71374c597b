// pattern/internal/select: the values an object path selects from one root object of an
// observation — shared by the evaluator and the compiled matcher, so both read paths the same way.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <vector>

#include "pattern/ast.h"
#include "pattern/observation.h"

namespace ctihub::pattern::internal {

// One value selected by an object path: a JSON value, the decoded bytes of a `_hex`/`_bin`
// property, or the objects a `_refs` list resolved to (a list that exists only after
// dereferencing, so it cannot point into the JSON).
struct Selected {
  enum class Kind { kJson, kBinary, kRefList } kind = Kind::kJson;
  const boost::json::value* json = nullptr;
  std::string bytes;
  std::vector<const boost::json::value*> refs;
};

// The values `path` selects from `root` (an SCO of `observation`): property steps (binary
// `_hex`/`_bin` values decoded, `_ref`/`_refs` dereferenced within the observation), list indexes
// (negative ones select nothing, as in the reference matcher) and `[*]`.
std::vector<Selected> Select(const Observation& observation, const boost::json::value& root,
                             const ObjectPath& path);

}  // namespace ctihub::pattern::internal
