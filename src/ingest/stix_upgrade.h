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
// Not upgraded: the 2.0 cyber-observable dictionary of observed-data (`objects`, deprecated in
// 2.1) is kept as it is.
// Every change is counted ("upgrade.<change>"). Members are rewritten in their original order
// with their original values; only what the list above changes differs.
//
//   ConversionStats stats;
//   CTI_ASSIGN_OR_RETURN(std::string v21, UpgradeStix20Object(v20_json, &stats));
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "ingest/ingest.h"

namespace ctihub::ingest {

// InvalidArgument when `json` is not a JSON object with a string type, or already declares a
// spec_version other than "2.0".
Result<std::string> UpgradeStix20Object(std::string_view json, ConversionStats* stats);

}  // namespace ctihub::ingest
