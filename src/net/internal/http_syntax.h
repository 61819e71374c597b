// net/internal/http_syntax: what the server and the client both check before a header goes on
// the wire, the case folding both use, and how both word OpenSSL's errors.
#pragma once

#include <string>
#include <string_view>

namespace ctihub::net::internal {

// ASCII case folding, as HTTP header names and schemes need (never locale-dependent).
std::string LowerAscii(std::string_view s);
bool EqualsNoCase(std::string_view a, std::string_view b);

// RFC 9110 section 5.6.2 token: what a method and a header name must be.
bool IsToken(std::string_view s);
// At most `max_size` bytes and no CR, LF or NUL: a value carrying them would split the message
// (header injection).
bool IsFieldValue(std::string_view s, size_t max_size);
// A Host header value (RFC 9110 section 7.2): uri-host [":" port] — a registered name or IPv4
// address (unreserved, sub-delims and %-escapes), or an IP literal in brackets; empty too.
bool IsValidHostHeader(std::string_view s);
// This thread's OpenSSL error queue as one line ("" when empty), and emptied, so it cannot leak
// into an unrelated later call on this thread.
std::string OpenSslErrors();

}  // namespace ctihub::net::internal
