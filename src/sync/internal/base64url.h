// sync/internal/base64url: the unpadded base64url encoding JOSE uses (RFC 7515 §2, RFC 4648 §5).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ctihub::sync::internal {

// Unpadded base64url of `bytes`.
std::string Base64UrlEncode(std::string_view bytes);

// The bytes of unpadded, canonical base64url text; nullopt for any other character, for padding,
// for an impossible length, or when the unused low bits of the last character are not zero.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace ctihub::sync::internal
