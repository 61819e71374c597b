// ingest/stix_upgrade: STIX 2.0 objects → STIX 2.1 (for example MITRE ATT&CK Enterprise, still
// published as 2.0), following the "changes from 2.0" of the STIX 2.1 specification:
//   - spec_version "2.1" is added (2.0 kept it on the bundle only);
//   - the 2.0 `labels` of indicator, malware, tool, threat-actor and report move to their 2.1
//     vocabulary properties (indicator_types, malware_types, tool_types, threat_actor_types,
//     report_types); `labels` stays for other types, where it means the same in both versions;
//   - malware gets the now-required is_family (true: 2.0 malware objects describe families);
//   - indicators get the now-required pattern_type "stix";
//   - created/modified with less than millisecond precision are padded to milliseconds (the
//     same instant, written as 2.1 requires);
//   - granular marking selectors on a moved `labels` ("labels", "labels.[1]") follow it;
//   - property names with capitals (2.0 allowed A-Z, 2.1 does not) are lower-cased, unless the
//     lower-case name is taken.
//   - observed-data's cyber-observable dictionary (`objects`, deprecated in 2.1, where its
//     references must be ids) becomes SCOs of their own, named by `object_refs`: each gets its
//     §2.9 deterministic id (a process, or observables referring to each other in a circle, a
//     UUIDv5 of the observed-data version and its key, so an import repeated names them alike),
//     its references name ids, 2.0 SCO properties take their 2.1 names (file created/modified/
//     accessed → ctime/mtime/atime, process created → created_time, binary_ref → image_ref, …)
//     and those 2.1 dropped are kept as x_stix20_<name>; each SCO carries the observed-data's
//     object markings, and granular markings selecting "objects[.K[.path]]" move to the SCO they
//     select, also marking its entry of object_refs (its id is a hash of its value).
// Every change is counted ("upgrade.<change>"). Members are rewritten in their original order
// with their original values; only what the list above changes differs.
//
//   ConversionStats stats;
//   CTI_ASSIGN_OR_RETURN(std::string v21, UpgradeStix20Object(v20_json, &stats));
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ingest/ingest.h"

namespace ctihub::ingest {

// FailedPrecondition when `json` declares a spec_version other than "2.0" (it is no 2.0 object).
// InvalidArgument when it is not a JSON object with a string type; for observed-data, also when a
// reference or granular selector in `objects` names no observable there. The SCOs made from an
// observed-data's `objects` are appended to `observables` (required for such an object), in
// dictionary order.
Result<std::string> UpgradeStix20Object(std::string_view json, ConversionStats* stats,
                                        std::vector<std::string>* observables = nullptr);

// The namespace of the UUIDv5 ids given to observables that have no §2.9 id of their own.
inline constexpr std::string_view kStix20ObservableNamespace =
    "1469076d-dfd2-4e8d-9620-aef8e9ab14af";

}  // namespace ctihub::ingest
