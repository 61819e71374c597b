// auth/internal/names: the rules for names and other account fields, with error messages that
// name the field, the bad value and the rule.
#pragma once

#include <string_view>

#include "auth/accounts.h"
#include "common/status.h"

namespace ctihub::auth::internal {

bool IsOrganisationName(std::string_view name);  // [a-z0-9][a-z0-9._-]{0,63}
bool IsUserName(std::string_view name);          // [A-Za-z0-9][A-Za-z0-9._@-]{0,63}

Status CheckOrganisationName(std::string_view name);
Status CheckUserName(std::string_view name);
Status CheckPassword(std::string_view password);  // at least 12 characters (code points)
// "org:NAME", "user:NAME" or "*", with NAME valid for its kind.
Status CheckGrantee(std::string_view grantee);
Status CheckCollectionId(std::string_view id);
// Titles, descriptions: at most 1024 bytes, no control characters.
Status CheckDisplayText(std::string_view field, std::string_view text);

// Checks every field and returns the stored form: nation upper-case, communities without
// duplicates.
Result<Organisation> NormaliseOrganisation(Organisation org);
// Checks every field and returns the stored form: certificate digest lower-case hex.
Result<User> NormaliseUser(User user);
// Lower-case hex of 64 digits; empty when `text` is not a SHA-256 digest in hex.
std::string NormaliseCertificateDigest(std::string_view text);

}  // namespace ctihub::auth::internal
