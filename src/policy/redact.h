// policy/redact: removes the content that granular markings select (STIX 2.1 §7.2.3 selectors:
// "description", "external_references.[0].url", "labels.[1]") from one object's JSON, together
// with the granular_markings entries that no longer point at anything, and checks that what
// remains is still a valid STIX object.
//
//   Result<Redaction> r = Redact(text, {"description", "labels.[0]"});
//   if (r.ok() && r->valid) send(r->text);
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ctihub::policy {

struct Redaction {
  std::string text;                   // the object without the selected content
  std::vector<std::string> removed;   // the selectors removed (those that existed)
  bool valid = false;                 // what remains passes the STIX 2.1 validator
  std::string invalid_reason;         // the validator's first error when not
  // An SCO whose id-contributing content was removed gets the id of what remains (§2.9), here
  // and in `text`; empty when the id is unchanged.
  std::string new_id;
};

// InvalidArgument when `object_json` is not a JSON object. A selector that names nothing (or a
// required property such as `id` or `type`) is still applied: the validator then decides. One
// that selects object_marking_refs or granular_markings (or anything in them) makes the result
// invalid: removing markings would release the object under a wider label.
Result<Redaction> Redact(std::string_view object_json, const std::vector<std::string>& selectors);

}  // namespace ctihub::policy
