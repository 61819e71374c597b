// common/utf8: checking and repairing UTF-8 text (RFC 3629). Hand-written because what the
// libraries here offer only validates (simdjson::validate_utf8): none replaces bad bytes.
//
//   if (!IsValidUtf8(title)) return InvalidArgument("the title is not UTF-8");
//   std::string shown = ToValidUtf8(file_name);  // bad bytes become U+FFFD
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ctihub {

// Length of the valid UTF-8 sequence at s[i] (no overlongs, surrogates or values past
// U+10FFFF), or 0 when the bytes there are not one. Precondition: i < s.size().
size_t Utf8SequenceLength(std::string_view s, size_t i);

bool IsValidUtf8(std::string_view s);
// The offset of the first byte that starts no valid sequence, or nullopt when `s` is UTF-8.
std::optional<size_t> FirstInvalidUtf8Byte(std::string_view s);

// `s` with each byte that starts no valid sequence replaced by U+FFFD (the replacement
// character), so it can go into JSON, which must be UTF-8 (RFC 8259 §8.1).
std::string ToValidUtf8(std::string_view s);

// `s` without the UTF-8 byte order mark some Windows tools put first (EF BB BF): it is no
// content, and JSON parsers refuse it.
inline std::string_view WithoutUtf8Bom(std::string_view s) {
  return s.substr(0, 3) == "\xEF\xBB\xBF" ? s.substr(3) : s;
}

// `s` for a line of text output: control characters (a newline in a file name would start a
// line of its own, forging a "valid" one) written as \xNN.
std::string WithVisibleControls(std::string_view s);

}  // namespace ctihub
