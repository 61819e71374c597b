// pattern/canonical_literals: a pattern's literals written the way telemetry readers write what
// sensors log, for matching logs. STIX compares strings exactly (§9.5), so a pattern that says
// `[domain-name:value = 'Evil.Example.COM']` would never match the lower-case name a DNS log
// holds — yet DNS names, hex hashes and IPv6 text are the same value in any case or form. Used
// by `ctihub match` (MatcherOptions::canonical_literals); the evaluator then decides with the
// rewritten literals, so matcher and evaluator still agree.
//
//   Pattern p = *ParsePattern("[file:hashes.MD5 = '44D88612FEA8A8F36DE82E1278ABB02F']");
//   CanonicaliseLiterals(&p);   // … = '44d88612fea8a8f36de82e1278abb02f'
#pragma once

#include "pattern/ast.h"

namespace ctihub::pattern {

// Rewrites the string literals of `=`, `!=` and `IN` comparisons on:
//   domain-name:value                   lower case, without a trailing root dot;
//   a hash (…:hashes.ALGORITHM)         lower case when it is hex;
//   ipv4/ipv6/mac-addr:value, and `value` through a reference that names an address or a host
//   (network-traffic:dst_ref.value, domain-name:resolves_to_refs[*].value, …)
//                                       lower case, IPv6 in RFC 5952 form, no root dot;
//   email-addr:value and the addresses of email-message (from_ref, sender_ref, to_refs, cc_refs,
//   bcc_refs)                           the domain in lower case;
//   url:value                           normalised as RFC 3986 §6.2 (common/normalise.h);
//   x509-certificate:serial_number      hex bytes in lower case joined by ':' ("0a:1b").
// Nothing else changes (LIKE and MATCHES keep their text: a regex says its own case rules).
void CanonicaliseLiterals(Pattern* pattern);

}  // namespace ctihub::pattern
