// common/normalise: values written the one way sensors log them and ctihub stores them, so that
// an indicator and an observation of the same thing compare equal — importers (IOC lists, MISP),
// telemetry readers and the matcher's literals all go through these.
//
//   NormaliseUrl("HTTP://Evil.Example:80")  → "http://evil.example/"
//   CanonicalAddress("2001:DB8::0:1")       → "2001:db8::1"
//   LowerAscii("Evil.Example")              → "evil.example"
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ctihub {

// The value of one hex digit (either case), or -1.
int HexValue(char c);

// ASCII letters in lower case; every other byte as it is (no locale).
std::string LowerAscii(std::string_view text);

// Percent-escapes ("%2e") decoded, as URL parsers do before reading a host; a '%' not followed
// by two hex digits stays as it is.
std::string PercentDecoded(std::string_view text);

// An address, or an address "/" prefix length: IPv6 in RFC 5952 form (lower case, longest zero
// run compressed), so "2001:DB8::0:1" and the "2001:db8::1" a sensor logs are one value.
// Anything else is returned unchanged.
std::string CanonicalAddress(std::string_view address);

// A URL as RFC 3986 §6.2.2–6.2.3 normalises it: scheme and host in lower case (the host without
// a DNS root dot), the scheme's default port (http 80, https 443) dropped, an empty http(s) path
// written "/", %-escapes of unreserved characters decoded and the others' hex in upper case,
// "." and ".." path segments removed, and "http://" before a URL written without a scheme
// ("evil.example/x"). nullopt when the host is empty or the port is not 1-65535.
std::optional<std::string> NormaliseUrl(std::string_view url);

// A certificate serial number in hex, as STIX's examples write it: lower case, two digits per
// byte joined by ':' ("36:f7:d4"). Zeek logs "36F7D4" and Suricata "36:F7:D4": one value. A
// leading zero is added to an odd number of digits; text that is not hex (optionally separated
// by ':' or spaces) is returned unchanged.
std::string CanonicalSerialNumber(std::string_view serial);

}  // namespace ctihub
