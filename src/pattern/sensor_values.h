// pattern/sensor_values: the exact values a pattern reduces to, for sensors that only look values
// up in a list (Zeek's Intel framework, Suricata datasets and hash lists).
//
// A pattern reduces when it is one bracket, or brackets joined by OR, without qualifiers, whose
// comparisons are joined by OR and are each `=` or `IN` (or ISSUBSET on an address) on a path a
// sensor can see: addresses, prefixes, domains, URLs, e-mail addresses, file hashes and names,
// certificate hashes, user names. Anything else — AND (a list cannot demand two values at once),
// NOT, orderings, LIKE/MATCHES, FOLLOWEDBY, WITHIN/REPEATS/START-STOP — does not, and the reason
// says which construct stopped it.
//
// Two readings are deliberately broader than the pattern: an address on `network-traffic:src_ref`
// or `dst_ref` keeps its direction (SensorValue::direction) for a sensor that can honour it
// (Suricata's ip.src/ip.dst), and a list without direction (Zeek's Intel::ADDR) matches it either
// way; and `ipv4-addr:value = 'a/n'` becomes a prefix match (what the author of such a pattern
// means; the evaluator compares strings).
//
//   Result<std::vector<SensorValue>> v = SensorValues(*ParsePattern("[domain-name:value =
//   'x.org']"));
//   // v->at(0).kind == SensorValueKind::kDomain, v->at(0).value == "x.org"
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "pattern/ast.h"

namespace ctihub::pattern {

enum class SensorValueKind {
  kIpv4,
  kIpv6,
  kIpv4Prefix,
  kIpv6Prefix,
  kDomain,
  kUrl,
  kEmail,
  kMd5,
  kSha1,
  kSha256,
  kFileName,
  kCertificateSha1,
  kUserName,
};

// "ipv4", "domain", "sha256", … for reports.
std::string_view SensorValueKindName(SensorValueKind kind);

// Where in a connection an address was named: network-traffic:src_ref / dst_ref.
enum class SensorDirection { kEither, kSource, kDestination };

struct SensorValue {
  SensorValueKind kind = SensorValueKind::kDomain;
  std::string value;  // as written in the pattern; addresses and prefixes validated
  SensorDirection direction = SensorDirection::kEither;
};

// The values of a reducible pattern (deduplicated, in pattern order). FailedPrecondition with a
// short reason ("AND inside brackets", "LIKE", "path file:size", …) when it does not reduce.
Result<std::vector<SensorValue>> SensorValues(const Pattern& pattern);

}  // namespace ctihub::pattern
