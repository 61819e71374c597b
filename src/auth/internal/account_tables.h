// auth/internal/account_tables: the rows behind auth::Accounts, one interface per backend
// ("memory:" here, "sqlite:" in auth/sqlite/). Validation, hashing and authentication live above,
// in TableAccounts; a backend only stores rows, keeps the cross-row rules that must hold under
// concurrent writers (a user's organisation exists, a grantee exists, certificates are unique)
// and counts changes in a generation number that credential caches compare against.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/accounts.h"
#include "common/status.h"

namespace ctihub::auth::internal {

struct StoredUser {
  User user;
  std::string password_hash;  // PHC string
};

struct StoredKey {
  ApiKey key;
  std::string secret_hash;  // PHC string
};

// Every method is thread-safe. Every write is atomic and advances Generation(), also when it
// changes nothing visible (revoking a revoked key), so a cache can never miss a change.
class AccountTables {
 public:
  virtual ~AccountTables() = default;

  virtual Status InsertOrganisation(const Organisation& org) = 0;   // AlreadyExists
  virtual Status ReplaceOrganisation(const Organisation& org) = 0;  // NotFound
  virtual Result<std::vector<Organisation>> Organisations() = 0;    // by name
  virtual Result<std::optional<Organisation>> FindOrganisation(std::string_view name) = 0;

  // AlreadyExists (name, or a certificate another user has); NotFound (organisation).
  virtual Status InsertUser(const StoredUser& user) = 0;
  // Everything but the password hash. NotFound (user, organisation); AlreadyExists (certificate).
  virtual Status ReplaceUser(const User& user) = 0;
  virtual Status ReplacePasswordHash(std::string_view user, std::string_view hash) = 0;
  // NotFound. Also marks the user's keys revoked and deletes the user's grants.
  virtual Status DeleteUser(std::string_view user) = 0;
  virtual Result<std::vector<User>> Users() = 0;  // by name
  virtual Result<std::optional<StoredUser>> FindUser(std::string_view name) = 0;
  virtual Result<std::optional<User>> FindUserByCertificate(std::string_view sha256) = 0;
  virtual Result<bool> HasUsers() = 0;

  virtual Status InsertKey(const StoredKey& key) = 0;      // NotFound (user); AlreadyExists (id)
  virtual Status MarkKeyRevoked(std::string_view id) = 0;  // NotFound
  virtual Result<std::vector<ApiKey>> Keys() = 0;          // by creation time, then id
  virtual Result<std::optional<StoredKey>> FindKey(std::string_view id) = 0;

  // Replaces the grant of (collection, grantee); kNone deletes it. NotFound when a non-kNone
  // grant names an "org:"/"user:" that does not exist.
  virtual Status WriteGrant(const Grant& grant) = 0;
  virtual Result<std::vector<Grant>> Grants() = 0;  // by collection, then grantee
  // The union of the permissions granted on the collection to any of the grantees.
  virtual Result<Permission> GrantedOn(std::string_view collection_id,
                                       const std::vector<std::string>& grantees) = 0;

  // Changes on every write, in this process or (sqlite) another one on the same file.
  virtual Result<int64_t> Generation() = 0;
};

std::unique_ptr<AccountTables> NewMemoryAccountTables();

}  // namespace ctihub::auth::internal
