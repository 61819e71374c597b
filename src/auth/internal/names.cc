#include "auth/internal/names.h"

#include <algorithm>
#include <string>
#include <vector>

#include "common/country_codes.h"
#include "common/uuid.h"

namespace ctihub::auth::internal {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }

constexpr size_t kMaxName = 64;
constexpr size_t kMaxText = 1024;

}  // namespace

// Titles and descriptions are shown in terminals and JSON; control characters have no place in
// them and would let a name rewrite the line it is printed on.
Status CheckDisplayText(std::string_view field, std::string_view text) {
  if (text.size() > kMaxText) {
    return InvalidArgument(std::string(field) + " is " + std::to_string(text.size()) +
                           " bytes long; at most " + std::to_string(kMaxText) + " are allowed");
  }
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return InvalidArgument(std::string(field) + " '" + std::string(text) +
                             "' contains a control character");
    }
  }
  return Status::Ok();
}

bool IsOrganisationName(std::string_view name) {
  if (name.empty() || name.size() > kMaxName || !IsLowerAlnum(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return IsLowerAlnum(c) || c == '.' || c == '_' || c == '-'; });
}

bool IsUserName(std::string_view name) {
  if (name.empty() || name.size() > kMaxName || !IsAlnum(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return IsAlnum(c) || c == '.' || c == '_' || c == '@' || c == '-';
  });
}

Status CheckOrganisationName(std::string_view name) {
  if (IsOrganisationName(name)) return Status::Ok();
  return InvalidArgument("organisation name '" + std::string(name) +
                         "' is invalid: use 1-64 lower-case letters, digits, '.', '_' or '-', "
                         "starting with a letter or digit (e.g. cert-eu)");
}

Status CheckUserName(std::string_view name) {
  if (IsUserName(name)) return Status::Ok();
  return InvalidArgument("user name '" + std::string(name) +
                         "' is invalid: use 1-64 letters, digits, '.', '_', '@' or '-', "
                         "starting with a letter or digit (e.g. ana or ana@cert-eu)");
}

Status CheckPassword(std::string_view password) {
  if (password.empty())
    return InvalidArgument("the password is empty; give at least 12 characters");
  // Characters, not bytes: count every byte that does not continue a UTF-8 sequence.
  size_t characters = static_cast<size_t>(
      std::count_if(password.begin(), password.end(), [](char c) { return (c & 0xC0) != 0x80; }));
  if (characters < 12) {
    return InvalidArgument("the password has " + std::to_string(characters) +
                           " characters; give at least 12");
  }
  return Status::Ok();
}

Status CheckGrantee(std::string_view grantee) {
  if (grantee == "*") return Status::Ok();
  if (grantee.substr(0, 4) == "org:") {
    if (IsOrganisationName(grantee.substr(4))) return Status::Ok();
  } else if (grantee.substr(0, 5) == "user:") {
    if (IsUserName(grantee.substr(5))) return Status::Ok();
  }
  return InvalidArgument("grantee '" + std::string(grantee) +
                         "' is invalid: use org:NAME, user:NAME or '*' (every authenticated "
                         "caller)");
}

Status CheckCollectionId(std::string_view id) {
  if (id.empty()) return InvalidArgument("a grant needs a collection id");
  if (id.size() > 256)
    return InvalidArgument("collection id '" + std::string(id) + "' is too long");
  return CheckDisplayText("collection id", id);
}

std::string NormaliseCertificateDigest(std::string_view text) {
  if (text.size() != 64) return {};
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return {};
  }
  return out;
}

Result<Organisation> NormaliseOrganisation(Organisation org) {
  CTI_RETURN_IF_ERROR(CheckOrganisationName(org.name));
  CTI_RETURN_IF_ERROR(CheckDisplayText("title of organisation '" + org.name + "'", org.title));
  if (!org.identity_id.empty()) {
    std::string_view id = org.identity_id;
    if (id.substr(0, 10) != "identity--" || !Uuid::IsValid(id.substr(10))) {
      return InvalidArgument("identity of organisation '" + org.name + "' is '" + org.identity_id +
                             "': expected the id of a STIX identity, identity--<UUID>");
    }
  }
  for (char& c : org.nation) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  // A code that names no country would silently match no REL TO nation ever.
  if (!org.nation.empty() && !FindCountryCode(org.nation)) {
    return InvalidArgument("nation of organisation '" + org.name + "' is '" + org.nation +
                           "': expected an ISO 3166-1 alpha-2 or alpha-3 country code such as "
                           "FR or FRA");
  }
  std::vector<std::string> communities;
  for (const std::string& given : org.communities) {
    // Communities compare without case ("REL TO NATO" names community nato): store them lower.
    std::string c = given;
    for (char& ch : c) {
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    }
    if (!IsOrganisationName(c)) {
      return InvalidArgument("community '" + given + "' of organisation '" + org.name +
                             "' is invalid: use 1-64 letters, digits, '.', '_' or '-' "
                             "(e.g. eu-csirts)");
    }
    if (std::find(communities.begin(), communities.end(), c) == communities.end()) {
      communities.push_back(std::move(c));
    }
  }
  org.communities = std::move(communities);
  return org;
}

Result<User> NormaliseUser(User user) {
  CTI_RETURN_IF_ERROR(CheckUserName(user.name));
  if (!IsOrganisationName(user.organisation)) {
    return InvalidArgument("organisation '" + user.organisation + "' of user '" + user.name +
                           "' is not a valid organisation name");
  }
  if (!user.certificate_sha256.empty()) {
    std::string digest = NormaliseCertificateDigest(user.certificate_sha256);
    if (digest.empty()) {
      return InvalidArgument("certificate of user '" + user.name + "' is '" +
                             user.certificate_sha256 +
                             "': expected the SHA-256 of the certificate's DER, 64 hex digits");
    }
    user.certificate_sha256 = std::move(digest);
  }
  return user;
}

}  // namespace ctihub::auth::internal
