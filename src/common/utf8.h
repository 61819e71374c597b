// common/utf8: checking and repairing UTF-8 text (RFC 3629). Hand-written because what the
// libraries here offer only validates (simdjson::validate_utf8): none replaces bad bytes.
//
//   if (!IsValidUtf8(title)) return InvalidArgument("the title is not UTF-8");
//   std::string shown = ToValidUtf8(file_name);  // bad bytes become U+FFFD
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ctihub {

// Length of the valid UTF-8 sequence at s[i] (no overlongs, surrogates or values past
// U+10FFFF), or 0 when the bytes there are not one. Precondition: i < s.size().
size_t Utf8SequenceLength(std::string_view s, size_t i);

bool IsValidUtf8(std::string_view s);

// `s` with each byte that starts no valid sequence replaced by U+FFFD (the replacement
// character), so it can go into JSON, which must be UTF-8 (RFC 8259 §8.1).
std::string ToValidUtf8(std::string_view s);

}  // namespace ctihub
