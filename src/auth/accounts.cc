#include "auth/accounts.h"

#include <string>

#include "auth/internal/account_tables.h"
#include "auth/internal/credentials.h"
#include "auth/internal/table_accounts.h"
#include "auth/sqlite/sqlite_account_tables.h"

namespace ctihub::auth {
namespace {

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
    if (x != y) return false;
  }
  return true;
}

// RFC 9110 §5.6.3: optional whitespace is spaces and horizontal tabs.
std::string_view TrimWhitespace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view PermissionName(Permission p) {
  switch (p) {
    case Permission::kNone:
      return "none";
    case Permission::kRead:
      return "read";
    case Permission::kWrite:
      return "write";
    case Permission::kReadWrite:
      return "read-write";
  }
  return "none";
}

Result<Permission> ParsePermission(std::string_view text) {
  if (text == "none") return Permission::kNone;
  if (text == "read") return Permission::kRead;
  if (text == "write") return Permission::kWrite;
  if (text == "read-write" || text == "rw") return Permission::kReadWrite;
  return InvalidArgument("permission '" + std::string(text) +
                         "' is not one of read, write, read-write (or rw), none");
}

Accounts::~Accounts() = default;

Result<std::unique_ptr<Accounts>> Accounts::Open(std::string_view store_uri, HashingCost cost) {
  std::unique_ptr<internal::AccountTables> tables;
  if (store_uri.substr(0, 7) == "memory:") {
    tables = internal::NewMemoryAccountTables();
  } else if (store_uri.substr(0, 7) == "sqlite:") {
    CTI_ASSIGN_OR_RETURN(tables, internal::OpenSqliteAccountTables(store_uri.substr(7)));
  } else {
    return InvalidArgument("accounts: unknown store URI '" + std::string(store_uri) +
                           "'; use sqlite:PATH or memory:");
  }
  return internal::NewTableAccounts(std::move(tables), cost);
}

// RFC 9110 §11.6.2 credentials: a case-insensitive scheme, then the credentials (RFC 7617 for
// Basic, RFC 6750 for Bearer). Anything else fails as every bad credential does.
Result<Principal> Accounts::AuthenticateHeader(std::string_view authorization,
                                               Verification mode) {
  std::string_view value = TrimWhitespace(authorization);
  size_t space = value.find(' ');
  if (space == std::string_view::npos) return internal::InvalidCredentials();
  std::string_view scheme = value.substr(0, space);
  std::string_view credentials = TrimWhitespace(value.substr(space + 1));
  if (EqualsIgnoringCase(scheme, "basic")) {
    std::optional<std::string> decoded = internal::DecodeBase64(credentials);
    if (!decoded) return internal::InvalidCredentials();
    // The user-id cannot contain a colon (RFC 7617 §2); the password may.
    size_t colon = decoded->find(':');
    if (colon == std::string::npos) return internal::InvalidCredentials();
    std::string_view pair = *decoded;
    return AuthenticateBasic(pair.substr(0, colon), pair.substr(colon + 1), mode);
  }
  if (EqualsIgnoringCase(scheme, "bearer")) {
    if (credentials.empty()) return internal::InvalidCredentials();
    return AuthenticateBearer(credentials, mode);
  }
  return internal::InvalidCredentials();
}

std::string AttemptedAccount(std::string_view authorization) {
  std::string_view value = TrimWhitespace(authorization);
  size_t space = value.find(' ');
  std::string_view scheme = value.substr(0, space);
  std::string_view credentials = space == std::string_view::npos
                                     ? std::string_view()
                                     : TrimWhitespace(value.substr(space + 1));
  // At most 64 printable characters of what the caller sent, never anything after the colon.
  auto printable = [](std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 64)) {
      out += static_cast<unsigned char>(c) >= 0x20 && c != 0x7f ? c : '?';
    }
    return out;
  };
  if (EqualsIgnoringCase(scheme, "basic")) {
    std::optional<std::string> decoded = internal::DecodeBase64(credentials);
    if (!decoded || decoded->find(':') == std::string::npos) return "malformed Basic credentials";
    return "user " + printable(std::string_view(*decoded).substr(0, decoded->find(':')));
  }
  if (EqualsIgnoringCase(scheme, "bearer")) {
    std::optional<internal::TokenParts> token = internal::ParseToken(credentials);
    return token ? "key " + std::string(token->id) : std::string("malformed key");
  }
  return "unknown scheme " + printable(scheme);
}

}  // namespace ctihub::auth
