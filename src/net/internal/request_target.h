// net/internal/request_target: splitting an HTTP request target into a decoded path and query.
// Pure string work, no sockets, so it is tested on its own (request_target_test.cc).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace ctihub::net::internal {

// Decodes %XX escapes (and '+' as a space when `plus_is_space`) into *out.
// Returns false, with *out unspecified, on a '%' not followed by two hex digits.
bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out);

// Splits a request target (RFC 9112 section 3.2: origin-form "/a/b?x=1", absolute-form
// "https://host/a?x=1", or "*") into its percent-decoded path and its query pairs: split on '&',
// then on the first '=', both sides percent-decoded with '+' as a space; empty pairs skipped,
// repeats kept in order, a name without '=' gets an empty value. InvalidArgument naming the
// problem for another form, a malformed escape, or a NUL byte in the path.
Status ParseRequestTarget(std::string_view target, std::string* path,
                          std::vector<std::pair<std::string, std::string>>* query);

}  // namespace ctihub::net::internal
