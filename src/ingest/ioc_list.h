// ingest/ioc_list: CSV and plain-text IOC lists (abuse.ch feeds, Spamhaus DROP, analyst exports,
// "one domain per line" files) -> one STIX 2.1 indicator per value. This file owns value
// refanging, IOC type detection, STIX pattern building for single values, and the CSV/plain-list
// reader. It depends on common/ (Status, Timestamp, Uuid) and stix/ (JsonWriter) only.
//
//   IocOptions options;
//   options.source_name = "ipblocklist.csv";
//   options.provenance.object_marking_refs = {tlp_green_id};   // an id from stix/markings
//   ConversionStats stats;
//   CTI_RETURN_IF_ERROR(ConvertIocList(text, options, sink, &stats));
//   // stats.Get("ioc.indicators") objects went to `sink`.
//
// Decisions (the contract of ConvertIocList):
//  * ids are deterministic: indicator--UUIDv5(kIocIndicatorNamespace, name) where name is the
//    STIX pattern, prefixed by "<created_by_ref>\n" when a creator is set. Re-importing a list
//    yields the same ids, so the store sees new versions, not new objects; two producers never
//    share an id (STIX 2.1 §3.6: only the creator may version an object). SDO ids "SHOULD" be
//    UUIDv4 (§2.9), so ctihub's validator reports a warning (id-uuid-version) — never an error —
//    on these ids; OpenCTI makes the same choice for indicators. `ctihub import --strict`
//    exempts converted objects from that one warning (every other warning still rejects).
//  * created = modified = provenance.now (default Timestamp::Now()), millisecond precision, so a
//    re-import at another time is a new version of the same object.
//  * valid_from = the row's first-seen column (first_seen, first_seen_utc, dateadded, date, …)
//    when present and parseable, else `now`; valid_until = max(valid_from, now) +
//    valid_for_seconds, so old first-seen dates do not make indicators that arrive expired;
//    when that is past 9999-12-31 (the last STIX timestamp) there is no valid_until, counted
//    "ioc.valid_until_unset" and noted.
//  * name = "<Type>: <value>" (values over 100 bytes shortened with "..."), indicator_types
//    ["malicious-activity"], pattern_type "stix", pattern_version "2.1", labels from malware /
//    tags / threat columns, description from comment columns or a trailing comment,
//    external_references [{description: kIocListReferenceDescription, source_name:
//    options.source_name}] when source_name is set (the list, not the line: a value's position
//    in a file is no property of the indicator; notes and rejections give the line),
//    confidence from the option or a confidence column.
//  * The list's reference is provenance of first sight, like `created`: `ctihub import` keeps
//    the stored version's external_references when it makes the next version of an indicator,
//    so a renamed (dated) or reordered copy of an unchanged list repeats what the store holds.
//  * One indicator per distinct pattern: a repeated value is counted "ioc.skipped.duplicate".
//  * Private addresses (RFC 1918, 100.64/10, 169.254/16, fc00::/7, fe80::/10) are kept and
//    counted "ioc.private_ip"; unspecified, loopback, broadcast, multicast and class E
//    (240.0.0.0/4) addresses (and CIDRs whose network address is one) never indicate anything
//    and are skipped ("ioc.skipped.reserved_ip"). A CIDR broader than /8 (IPv4) or /16 (IPv6),
//    the bounds of the sensor exports, would match a large part of all traffic and is skipped
//    ("ioc.skipped.too_broad"). Dotted quads with an octet > 255 or a leading zero (010.1.1.1
//    is octal to some tools) are "ioc.skipped.invalid_ip". A CIDR with host bits set is
//    normalised to its network address ("ioc.cidr_normalised"). An IPv4-mapped IPv6 address
//    (::ffff:1.2.3.4, or a CIDR of /96 or longer in ::ffff:0:0/96) is the IPv4 address (or CIDR)
//    it maps, so the rules above apply to it ("ioc.ipv4_mapped_normalised"); it also fits
//    --type ipv6.
//
// Counters written to ConversionStats: "ioc.format.csv" / "ioc.format.plain", "ioc.indicators",
// "ioc.indicators.<type>" (IocTypeName), "ioc.refanged", "ioc.private_ip", "ioc.with_port",
// "ioc.cidr_normalised", "ioc.ipv4_mapped_normalised", "ioc.multi_value_lines",
// "ioc.valid_until_unset", "ioc.idn_host" (a URL whose host is Unicode, not punycode: kept as
// written, noted, since sensors log the xn-- form), "ioc.bad_first_seen", "ioc.bad_port", and
// "ioc.skipped.<reason>" with reason one of empty, unrecognized, invalid_ip, reserved_ip,
// too_broad, type_mismatch, duplicate, too_long, invalid_utf8, split_url (a plain-list URL whose
// host has no dot followed by more text: "http://exa mple.com", cut at a space);
// "ioc.url_text_as_description" (a URL followed by unmarked text, which became its description).
// Each skip but duplicate and empty, a bad port and a bad first-seen date are also noted with their
// line and value (ConversionStats::notes).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/normalise.h"
#include "common/status.h"
#include "ingest/ingest.h"

namespace ctihub::ingest {

// The kind of value on a line. The first group is what DetectIocType returns; kAnyIp, kAnyCidr,
// kAnyHash and kFileName exist only for --type (a class of values, or a type no content sniffing
// can recognise).
enum class IocType {
  kAuto,      // detect per value; from DetectIocType: "not an IOC"
  kIpv4,      // 1.2.3.4, or 1.2.3.4:443 (address with destination port)
  kIpv6,      // 2001:db8::1, or [2001:db8::1]:443
  kIpv4Cidr,  // 10.0.0.0/8
  kIpv6Cidr,  // 2001:db8::/32
  kDomain,    // evil.example.com, or evil.example.com:443 (host name with destination port)
  kUrl,       // http://evil.example.com/a, or host/path without a scheme
  kEmail,     // user@evil.example.com
  kMd5,
  kSha1,
  kSha256,
  kSha512,
  kSsdeep,  // 96:abc+/…:def… (file:hashes.SSDEEP)
  // --type only:
  kAnyIp,     // "ip": an IPv4 or IPv6 address or CIDR
  kAnyCidr,   // "cidr": an IPv4 or IPv6 CIDR
  kAnyHash,   // "hash": MD5, SHA-1, SHA-256 or SHA-512 by length, or ssdeep
  kFileName,  // "filename": the whole trimmed value is a file name (file:name)
};

// Parses a --type name, case-insensitively: auto, ip, ipv4, ipv6, cidr, ipv4-cidr, ipv6-cidr,
// domain (hostname, fqdn, domain-name), url (uri), email (email-addr), md5, sha1 (sha-1), sha256
// (sha-256), sha512 (sha-512), ssdeep, hash, filename (file-name). InvalidArgument lists the names.
Result<IocType> ParseIocType(std::string_view name);
// The stable lower-case name used in counters and --type: "ipv4", "ipv4-cidr", "sha256", ….
std::string_view IocTypeName(IocType type);

struct IocOptions {
  // created_by_ref, now, object_marking_refs (the --marking TLP id goes here).
  ProvenanceOptions provenance;
  // --type: every value must be of this type (or class); values that are not — of another type
  // or no IOC at all — are skipped and counted "ioc.skipped.type_mismatch" (an address out of
  // range stays "invalid_ip"). kAuto detects per value.
  IocType forced_type = IocType::kAuto;
  // --confidence, 0..100; overrides a confidence column.
  std::optional<int> confidence;
  // --valid-from: the valid_from of every indicator, instead of the import's time or a
  // first-seen column (matching logs older than the import: a retro-hunt).
  std::optional<Timestamp> valid_from;
  // --valid-for: valid_until = max(valid_from, now) + this many seconds; 1 s .. 100 years.
  std::optional<int64_t> valid_for_seconds;
  // The list's file name or URL, recorded in external_references; empty = no reference.
  std::string source_name;
  // Called for a value that was meant as an IOC but is none — an address out of range
  // ("invalid_ip"), a value not of --type ("type_mismatch"), one too long ("too_long") — instead
  // of noting it (it is still counted "ioc.skipped.REASON"): `ctihub import` rejects it like an
  // invalid object. Values that are no IOC at all ("unrecognized", only without --type) are
  // only noted.
  std::function<void(uint64_t line, std::string_view value, std::string_view reason)> on_invalid;
};

// Converts an IOC list and writes one indicator (compact JSON) per distinct value to `sink`.
//
// CSV: the delimiter (, ; tab |) is detected from the first rows (a consistent field count);
// RFC 4180 quoting is honoured (embedded delimiters, "" for a quote, line breaks in quotes).
// A header row — or a commented header as in abuse.ch's URLhaus/ThreatFox exports — names the
// columns: the IOC column by name (ioc, ioc_value, indicator, value, url, domain, dst_ip, ip,
// sha256_hash, md5, …) confirmed by content, else the column where most values are IOCs. A first
// row is a header only when it holds no IOC and a column name listed here; any other first row
// is data (skipped and noted like the rest when it yields nothing). Other recognised columns:
// first_seen / first_seen_utc / dateadded / date -> valid_from; dst_port / port -> an ip+port
// (or domain+port) pattern
//   [network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '1.2.3.4'
//    AND network-traffic:dst_port = 443]
// malware / malware_printable / threat / tags -> labels; comment / description -> description;
// confidence / confidence_level -> confidence.
// Plain list (used when no delimiter fits, or the first whitespace-separated token of each line
// is at least as often an IOC as any CSV column): one value per line; blank lines and lines
// starting with #, // or ; are skipped; text after the value and whitespace is a trailing
// comment (its leading #, //, ; removed) that becomes the description; hosts-file lines
// "0.0.0.0 evil.com" / "127.0.0.1 evil.com" yield the domain. When the token after the value
// is itself an IOC (or an address out of range), every following token that is one is a value
// of its own, up to the first that is not ("1.2.3.4 5.6.7.8", "0.0.0.0 a.example b.example";
// counted "ioc.multi_value_lines"); the rest is the comment. A URL followed by unmarked text
// keeps the text as its description and is noted (a URL has no spaces, but "…/a b" may be one
// cut at a space); one whose host has no dot is skipped as split_url. With kFileName the whole
// line is the value.
// A leading UTF-8 BOM and LF, CRLF or CR (classic Mac OS) line ends are accepted. Returns OK for
// any input text — values that are not IOCs are counted and skipped — InvalidArgument when an
// option is out of range (confidence, valid_for_seconds, a malformed created_by_ref or marking id)
// or the input is no text: "UTF-16 text: convert it to UTF-8, …" (a UTF-16 BOM, or NULs in every
// other byte) or "binary data, not an IOC list" (a NUL byte, or over 1 byte in 10 neither UTF-8
// nor a text control, in the first 64 KiB); or the first non-OK Status from `sink`, which stops
// the conversion. `stats` may be null. Thread-compatible.
Status ConvertIocList(std::string_view text, const IocOptions& options, const ObjectSink& sink,
                      ConversionStats* stats);

// Undoes the usual defanging and trims surrounding whitespace and quotes ("'`):
//   scheme at the start, any case: hxxp hxxps hxxp[s] -> http/https, fxp fxps -> ftp/ftps,
//     "[:]//" and "[://]" -> "://";
//   anywhere, any case: [.] (.) {.} [dot] (dot) {dot} \. -> "."; [@] (@) {@} [at] (at) {at}
//     -> "@"; [:] -> ":"; [/] -> "/".
// Everything else is left as is. Never fails.
std::string Refang(std::string_view value);

// The type of one already refanged value, or kAuto when it is not an IOC — including invalid
// addresses and reserved ones (unspecified, loopback, multicast, broadcast; see the decisions
// above). Rules, in order:
//   url     "scheme://host…" (scheme = letter then letters, digits, + - .; host non-empty), or a
//           domain / IPv4 / [IPv6] host with an optional :port followed by "/…";
//   email   dot-atom local part (<= 64 bytes) "@" a valid domain, no '/';
//   ipv4    four decimal octets 0-255 without leading zeros, optional ":port" (1-65535);
//   ipv4-cidr  ipv4 "/" 0-32;   ipv6 / ipv6-cidr  what inet_pton(AF_INET6) accepts, optionally
//           in brackets with ":port", or "/" 0-128;
//   md5 / sha1 / sha256 / sha512  32 / 40 / 64 / 128 hex digits;
//   ssdeep  "<block size>:<hash>:<hash>" as ssdeep prints it (block size 3·2^k, hashes of
//           base64 characters, at most 64 each and 128 bytes in all), optionally followed by
//           ,"file name" (dropped); checked before IPv6, so "3::" (the ssdeep of empty input) is
//           ssdeep — an "N::…" value is IPv6 only when it is in global unicast space 2000::/3;
//   domain  2+ labels, <= 253 bytes, labels 1-63 of a-z 0-9 '-' (not at either end; '_' allowed
//           outside the TLD, as real host names use it), a TLD of 2-63 letters or "xn--"
//           punycode, and not a common file extension that is no TLD (.exe, .dll, .php, …), so
//           "invoice.exe" is not a domain. Case-insensitive; a trailing '.' is allowed; an
//           optional ":port" (1-65535) as for ipv4.
// Values with whitespace, control bytes or non-ASCII bytes (except in URLs) are not IOCs.
IocType DetectIocType(std::string_view refanged_value);

// The STIX pattern for `value` taken as `type` (kAuto: detected). The value is normalised first
// (domains and hashes lower-cased, IPv6 in RFC 5952 form, CIDR host bits cleared, email domain
// lower-cased) and ' and \ are escaped. An address or domain with a port (embedded
// "1.2.3.4:443" or `port`) gives the network-traffic pattern shown above (dst_ref.type
// 'domain-name' for a domain). InvalidArgument when the value is not of that type (message names
// the value and the type), is a reserved address and `type` is kAuto, or `port` is outside
// 1-65535, conflicts with an embedded one or is given for a type other than an address or domain.
// `value` is not refanged (call Refang first).
Result<std::string> IocPattern(IocType type, std::string_view value,
                               std::optional<int> port = std::nullopt);

// True when `text` looks like an IOC list rather than JSON, XML or binary: its sample (first
// 64 KiB) has no NUL byte, does not start with '{', '[{', '["' or '<', and at least half of the
// sampled records (up to 200) yield an IOC under the rules of ConvertIocList.
bool LooksLikeIocList(std::string_view text);

// The description of the one external reference ConvertIocList makes, naming the list.
inline constexpr std::string_view kIocListReferenceDescription = "IOC list";

// The fixed namespace of indicator ids made by ConvertIocList (a random UUIDv4 chosen once).
inline constexpr std::string_view kIocIndicatorNamespace = "98dc0c90-dec7-45f0-819a-148744b53122";

}  // namespace ctihub::ingest
