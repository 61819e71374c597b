// auth/accounts: who may call the hub and what they may touch — organisations, users, API keys,
// client-certificate bindings and per-collection grants — and authentication of a request's
// credentials against them. Secrets are kept only as salted Argon2id hashes (libargon2); an API
// key's secret is shown once, when it is created.
//
// Backends follow the store's URI: "sqlite:PATH" keeps the accounts in tables of the same file
// as the objects (its own connection), so one file is the whole node; "memory:" is a private
// in-process fake for tests. Every method is thread-safe; authentications run concurrently.
//
//   CTI_ASSIGN_OR_RETURN(auto accounts, Accounts::Open("sqlite:hub.db"));
//   CTI_RETURN_IF_ERROR(accounts->AddOrganisation({.name = "cert-eu"}));
//   CTI_RETURN_IF_ERROR(accounts->AddUser({.name = "ana", .organisation = "cert-eu"}, "s3cret"));
//   CTI_ASSIGN_OR_RETURN(NewApiKey key, accounts->CreateKey("ana", "SIEM connector"));
//   CTI_ASSIGN_OR_RETURN(Principal who, accounts->AuthenticateBearer(key.token));
//   CTI_RETURN_IF_ERROR(accounts->SetGrant({collection_id, "org:cert-eu", Permission::kRead}));
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace ctihub::auth {

enum class Permission : uint8_t { kNone = 0, kRead = 1, kWrite = 2, kReadWrite = 3 };
inline bool CanRead(Permission p) { return (static_cast<uint8_t>(p) & 1) != 0; }
inline bool CanWrite(Permission p) { return (static_cast<uint8_t>(p) & 2) != 0; }
// "none", "read", "write", "read-write"; ParsePermission accepts those and "rw".
std::string_view PermissionName(Permission p);
Result<Permission> ParsePermission(std::string_view text);

struct Organisation {
  std::string name;   // short unique name: [a-z0-9][a-z0-9._-]{0,63}
  std::string title;  // display name
  std::string identity_id;               // its STIX identity (identity--…), optional
  std::string nation;                    // ISO 3166-1 alpha-2/3, optional
  std::vector<std::string> communities;  // e.g. "nato", "eu-csirts"
};

struct User {
  std::string name;          // unique: [A-Za-z0-9][A-Za-z0-9._@-]{0,63}
  std::string organisation;  // must exist
  bool admin = false;        // may read and write every collection and manage accounts
  // SHA-256 (lower-case hex) of the DER of a client certificate that identifies this user under
  // mutual TLS; empty when none.
  std::string certificate_sha256;
  bool disabled = false;
};

struct ApiKey {
  std::string id;  // public part, 16 hex chars
  std::string user;
  std::string description;
  Timestamp created;
  std::optional<Timestamp> expires;
  bool revoked = false;
};

struct NewApiKey {
  ApiKey key;
  std::string token;  // "cth_<id>_<secret>": give it to the client, it is not stored
};

struct Grant {
  std::string collection_id;
  // "org:NAME", "user:NAME", or "*" (every authenticated caller).
  std::string grantee;
  Permission permission = Permission::kRead;
};

// An authenticated caller.
struct Principal {
  std::string user;
  std::string organisation;
  bool admin = false;
  std::string method;  // "basic", "bearer" or "certificate"
};

// Whether authenticating may run an Argon2 verification, or only accept a credential verified
// recently (in the cache): the latter for callers under a failed-login throttle, so a client
// already signed in is not locked out with the guesser sharing its address.
enum class Verification { kAllowed, kCacheOnly };

struct HashingCost {
  uint32_t time_cost = 3;        // Argon2 passes
  uint32_t memory_kib = 65536;   // 64 MiB (RFC 9106's second recommended option)
  uint32_t parallelism = 1;
  // Argon2 verifications of uncached credentials that may run at once (each holds memory_kib
  // and a core for a tenth of a second or more); 0 = half the cores, at least 1. A caller that
  // finds them all busy for `verification_wait_ms` is told Unavailable (retry shortly), so a
  // flood of wrong logins cannot take every core or gigabytes of memory.
  uint32_t max_concurrent_verifications = 0;
  uint32_t verification_wait_ms = 250;
};

class Accounts {
 public:
  // InvalidArgument for an unknown scheme, Unavailable when the file cannot be opened.
  static Result<std::unique_ptr<Accounts>> Open(std::string_view store_uri,
                                                HashingCost cost = {});
  virtual ~Accounts();

  // AlreadyExists / NotFound / InvalidArgument (bad name) as the names say.
  virtual Status AddOrganisation(const Organisation& org) = 0;
  virtual Status UpdateOrganisation(const Organisation& org) = 0;
  virtual Result<std::vector<Organisation>> ListOrganisations() = 0;
  virtual Result<Organisation> FindOrganisation(std::string_view name) = 0;

  // InvalidArgument for an empty password or one shorter than 12 characters.
  virtual Status AddUser(const User& user, std::string_view password) = 0;
  virtual Status UpdateUser(const User& user) = 0;  // organisation, admin, certificate, disabled
  virtual Status SetPassword(std::string_view user, std::string_view password) = 0;
  virtual Status RemoveUser(std::string_view user) = 0;  // also revokes the user's keys and grants
  virtual Result<std::vector<User>> ListUsers() = 0;
  virtual Result<User> FindUser(std::string_view name) = 0;
  virtual Result<bool> HasUsers() = 0;

  virtual Result<NewApiKey> CreateKey(std::string_view user, std::string_view description,
                                      std::optional<Timestamp> expires = std::nullopt) = 0;
  virtual Status RevokeKey(std::string_view key_id) = 0;
  virtual Result<std::vector<ApiKey>> ListKeys() = 0;

  // Replaces the grant of this grantee on this collection (kNone removes it). NotFound when an
  // "org:"/"user:" grantee does not exist.
  virtual Status SetGrant(const Grant& grant) = 0;
  virtual Result<std::vector<Grant>> ListGrants() = 0;
  // The union of the caller's grants (own user, own organisation, "*"); admins: kReadWrite.
  virtual Result<Permission> PermissionOn(const Principal& who,
                                          std::string_view collection_id) = 0;

  // Unauthenticated (one message for every failure, so a caller cannot tell a wrong user from a
  // wrong password, a revoked or expired key, or a disabled user); Unavailable when the
  // credential needs an Argon2 verification and HashingCost::max_concurrent_verifications are
  // busy (nothing was checked: try again). Verified credentials are
  // cached (keyed by a SHA-256 of the credential) so that keep-alive clients do not pay an
  // Argon2 verification per request; any account change — in this process or another one on the
  // same file — invalidates the cache before the next authentication.
  // With Verification::kCacheOnly, a credential not in the cache is Unavailable.
  virtual Result<Principal> AuthenticateBasic(std::string_view user, std::string_view password,
                                              Verification mode) = 0;
  virtual Result<Principal> AuthenticateBearer(std::string_view token, Verification mode) = 0;
  Result<Principal> AuthenticateBasic(std::string_view user, std::string_view password) {
    return AuthenticateBasic(user, password, Verification::kAllowed);
  }
  Result<Principal> AuthenticateBearer(std::string_view token) {
    return AuthenticateBearer(token, Verification::kAllowed);
  }
  virtual Result<Principal> AuthenticateCertificate(std::string_view certificate_sha256) = 0;
  // Parses an Authorization header value ("Basic …" / "Bearer …") and authenticates it.
  Result<Principal> AuthenticateHeader(std::string_view authorization,
                                       Verification mode = Verification::kAllowed);

 protected:
  Accounts() = default;
};

// Which account a refused Authorization header tried — "user NAME" (the Basic user-id, never the
// password), "key ID" (an API key's public id, never its secret), or what was wrong with it — for
// the audit log, so that an attack on one account shows as such.
std::string AttemptedAccount(std::string_view authorization);

// Argon2id in the PHC string format ("$argon2id$v=19$m=…,t=…,p=…$salt$hash"), 16-byte random
// salt from OpenSSL's RAND_bytes; Verify is constant-time in the hash comparison.
Result<std::string> HashSecret(std::string_view secret, const HashingCost& cost);
bool VerifySecret(std::string_view encoded, std::string_view secret);

}  // namespace ctihub::auth
