// pattern/observation: what a pattern is matched against — one observation is a set of cyber
// observable objects (SCOs) seen together, with the time interval and count of the sighting, as in
// a STIX observed-data object (STIX 2.1 §4.13: first_observed, last_observed, number_observed).
//
// The SCOs are kept as Boost.JSON objects keyed by the name that references use: "0", "1", … in
// STIX 2.0-style `objects` dictionaries and in the telemetry mapping, the SCO id in STIX 2.1
// bundles (where observed-data lists its SCOs in `object_refs`). A plain JSON tree is what a
// pattern's object paths walk (any property, list index or dictionary key of any object type,
// custom ones included), and Boost.JSON is already the project's mutable DOM.
//
//   Result<std::vector<Observation>> obs = ParseObservations(bundle_text);
//   Observation o; o.first_observed = o.last_observed = t;
//   o.objects["0"] = boost::json::object{{"type", "ipv4-addr"}, {"value", "198.51.100.1"}};
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace ctihub::pattern {

struct Observation {
  // Reference name → SCO (a JSON object with at least "type"). `_ref`/`_refs` values resolve
  // against these keys only, never across observations.
  boost::json::object objects;
  Timestamp first_observed;
  Timestamp last_observed;  // >= first_observed
  // How many times this was observed; each counts as a separate observation for AND, FOLLOWEDBY
  // and REPEATS (so `[a] REPEATS 3 TIMES` matches one observation with number_observed 3).
  int64_t number_observed = 1;
};

// Reads observations from JSON text in any of the forms the STIX specs and the reference matcher
// use:
//   - a STIX 2.1 bundle: each observed-data object with the SCOs its `object_refs` name (SCOs are
//     looked up in the same bundle; unresolved refs are skipped);
//   - a JSON array of STIX 2.0 observed-data objects with `objects` dictionaries (or of 2.1
//     bundles, which are read one after another);
//   - a single observed-data object (2.0 style).
// observed-data must carry first_observed, last_observed (>= first) and number_observed (>= 1).
// On bad input returns InvalidArgument naming the object (index or id) and the property.
// With `skipped`, a bad observed-data (or list item) is left out instead, and why is appended
// there (a sensor's log is read on past one bad record); only text that is not JSON, or not one
// of the forms above, is still an error.
Result<std::vector<Observation>> ParseObservations(std::string_view json_text,
                                                   std::vector<std::string>* skipped = nullptr);

}  // namespace ctihub::pattern
