#include "auth/internal/table_accounts.h"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "auth/internal/credentials.h"
#include "auth/internal/names.h"
#include "common/normalise.h"

namespace ctihub::auth::internal {
namespace {

// Verified credentials, keyed by CredentialDigest, valid for one generation of the account
// tables. Bounded: a server has far fewer live credentials than this, and when a burst of
// distinct ones fills it, an arbitrary entry makes room (it costs one Argon2 verification).
class CredentialCache {
 public:
  static constexpr size_t kCapacity = 10000;

  // The principal cached under `digest`, unless the tables have changed (`generation` differs
  // from the one the entries were made under: then every entry goes) or the credential has
  // expired since.
  std::optional<Principal> Find(int64_t generation, const std::string& digest, Timestamp now) {
    std::lock_guard lock(mu_);
    if (generation != generation_) {
      entries_.clear();
      generation_ = generation;
      return std::nullopt;
    }
    auto it = entries_.find(digest);
    if (it == entries_.end()) return std::nullopt;
    if (it->second.expires && *it->second.expires <= now) {
      entries_.erase(it);
      return std::nullopt;
    }
    return it->second.who;
  }

  // Keeps an entry only when the tables have not moved on since `generation` was read (which
  // the caller did before reading the rows it verified against).
  void Insert(int64_t generation, std::string digest, Principal who,
              std::optional<Timestamp> expires) {
    std::lock_guard lock(mu_);
    if (generation != generation_) return;
    if (entries_.size() >= kCapacity) entries_.erase(entries_.begin());
    entries_.insert_or_assign(std::move(digest), Entry{std::move(who), expires});
  }

 private:
  struct Entry {
    Principal who;
    std::optional<Timestamp> expires;
  };
  std::mutex mu_;
  int64_t generation_ = -1;
  absl::flat_hash_map<std::string, Entry> entries_;
};

// Bounds the Argon2 verifications running at once (HashingCost::max_concurrent_verifications).
class VerificationGate {
 public:
  VerificationGate(uint32_t slots, uint32_t wait_ms)
      : free_(slots != 0 ? slots : std::max(1u, std::thread::hardware_concurrency() / 2)),
        wait_(wait_ms) {}

  // False when no slot came free within the wait.
  bool Enter() {
    std::unique_lock lock(mu_);
    if (!freed_.wait_for(lock, wait_, [&] { return free_ > 0; })) return false;
    --free_;
    return true;
  }
  void Leave() {
    {
      std::lock_guard lock(mu_);
      ++free_;
    }
    freed_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable freed_;
  uint32_t free_;
  const std::chrono::milliseconds wait_;
};

class TableAccounts final : public Accounts {
 public:
  TableAccounts(std::unique_ptr<AccountTables> tables, HashingCost cost)
      : tables_(std::move(tables)),
        cost_(cost),
        gate_(cost.max_concurrent_verifications, cost.verification_wait_ms) {}

  Status AddOrganisation(const Organisation& org) override {
    CTI_ASSIGN_OR_RETURN(Organisation normal, NormaliseOrganisation(org));
    return tables_->InsertOrganisation(normal);
  }
  Status UpdateOrganisation(const Organisation& org) override {
    CTI_ASSIGN_OR_RETURN(Organisation normal, NormaliseOrganisation(org));
    return tables_->ReplaceOrganisation(normal);
  }
  Result<std::vector<Organisation>> ListOrganisations() override {
    return tables_->Organisations();
  }
  Result<Organisation> FindOrganisation(std::string_view name) override {
    CTI_RETURN_IF_ERROR(CheckOrganisationName(name));
    CTI_ASSIGN_OR_RETURN(std::optional<Organisation> found, tables_->FindOrganisation(name));
    if (!found) return NotFound("no organisation '" + std::string(name) + "'");
    return std::move(*found);
  }

  Status AddUser(const User& user, std::string_view password) override {
    CTI_ASSIGN_OR_RETURN(User normal, NormaliseUser(user));
    CTI_RETURN_IF_ERROR(CheckPassword(password));
    // "Ana" beside "ana": two accounts a reader of grants and audit entries takes for one.
    CTI_ASSIGN_OR_RETURN(std::vector<User> users, tables_->Users());
    for (const User& other : users) {
      if (other.name != normal.name && LowerAscii(other.name) == LowerAscii(normal.name)) {
        return Status(StatusCode::kAlreadyExists,
                      "user '" + other.name + "' exists; a user '" + normal.name +
                          "' that differs only in case would be taken for it");
      }
    }
    StoredUser stored{std::move(normal), {}};
    CTI_ASSIGN_OR_RETURN(stored.password_hash, HashSecret(password, cost_));
    return tables_->InsertUser(stored);
  }
  Status UpdateUser(const User& user) override {
    CTI_ASSIGN_OR_RETURN(User normal, NormaliseUser(user));
    return tables_->ReplaceUser(normal);
  }
  Status SetPassword(std::string_view user, std::string_view password) override {
    CTI_RETURN_IF_ERROR(CheckUserName(user));
    CTI_RETURN_IF_ERROR(CheckPassword(password));
    CTI_ASSIGN_OR_RETURN(std::string hash, HashSecret(password, cost_));
    return tables_->ReplacePasswordHash(user, hash);
  }
  Status RemoveUser(std::string_view user) override {
    CTI_RETURN_IF_ERROR(CheckUserName(user));
    return tables_->DeleteUser(user);
  }
  Result<std::vector<User>> ListUsers() override { return tables_->Users(); }
  Result<User> FindUser(std::string_view name) override {
    CTI_RETURN_IF_ERROR(CheckUserName(name));
    CTI_ASSIGN_OR_RETURN(std::optional<StoredUser> found, tables_->FindUser(name));
    if (!found) return NotFound("no user '" + std::string(name) + "'");
    return std::move(found->user);
  }
  Result<bool> HasUsers() override { return tables_->HasUsers(); }

  Result<NewApiKey> CreateKey(std::string_view user, std::string_view description,
                              std::optional<Timestamp> expires) override {
    CTI_RETURN_IF_ERROR(CheckUserName(user));
    CTI_RETURN_IF_ERROR(CheckDisplayText("key description", description));
    Timestamp now = Timestamp::Now();
    if (expires && *expires <= now) {
      return InvalidArgument("key expiry " + expires->ToString() + " is not in the future (now " +
                             now.ToString() + ")");
    }
    NewApiKey out;
    out.key.user = std::string(user);
    out.key.description = std::string(description);
    out.key.created = now;
    out.key.expires = expires;
    std::string secret = Base64UrlEncode(RandomBytes(kKeySecretBytes));
    StoredKey stored;
    CTI_ASSIGN_OR_RETURN(stored.secret_hash, HashSecret(secret, cost_));
    // A fresh random id; 64 bits make a collision improbable, and one more draw settles it.
    for (int attempt = 0;; ++attempt) {
      out.key.id = LowerHex(RandomBytes(kKeyIdBytes));
      stored.key = out.key;
      Status inserted = tables_->InsertKey(stored);
      if (inserted.ok()) break;
      if (inserted.code() != StatusCode::kAlreadyExists || attempt == 2) return inserted;
    }
    out.token = "cth_" + out.key.id + "_" + secret;
    return out;
  }
  Status RevokeKey(std::string_view key_id) override {
    if (!IsKeyId(key_id)) {
      return InvalidArgument("API key id '" + std::string(key_id) +
                             "' is invalid: expected 16 lower-case hex digits, as `ctihub key "
                             "list` shows");
    }
    return tables_->MarkKeyRevoked(key_id);
  }
  Result<std::vector<ApiKey>> ListKeys() override { return tables_->Keys(); }

  Status SetGrant(const Grant& grant) override {
    CTI_RETURN_IF_ERROR(CheckCollectionId(grant.collection_id));
    CTI_RETURN_IF_ERROR(CheckGrantee(grant.grantee));
    if (static_cast<uint8_t>(grant.permission) > static_cast<uint8_t>(Permission::kReadWrite)) {
      return InvalidArgument("grant to " + grant.grantee + ": permission value " +
                             std::to_string(static_cast<int>(grant.permission)) +
                             " is not one of none, read, write, read-write");
    }
    return tables_->WriteGrant(grant);
  }
  Result<std::vector<Grant>> ListGrants() override { return tables_->Grants(); }
  Result<Permission> PermissionOn(const Principal& who, std::string_view collection_id) override {
    if (who.admin) return Permission::kReadWrite;
    return tables_->GrantedOn(collection_id, {"user:" + who.user, "org:" + who.organisation, "*"});
  }

  Result<Principal> AuthenticateBasic(std::string_view user, std::string_view password,
                                      Verification mode) override;
  Result<Principal> AuthenticateBearer(std::string_view token, Verification mode) override;
  Result<Principal> AuthenticateCertificate(std::string_view certificate_sha256) override;

 private:
  // A hash to verify against when the user or key does not exist, so that the time an
  // authentication takes does not tell an unknown name from a wrong secret. Made on first use:
  // with the production cost it takes as long as a verification, which commands that never
  // authenticate should not pay.
  const std::string& DecoyHash() {
    std::call_once(decoy_once_, [this] {
      Result<std::string> hash = HashSecret("decoy", cost_);
      if (hash.ok()) decoy_hash_ = std::move(*hash);
    });
    return decoy_hash_;
  }

  std::unique_ptr<AccountTables> tables_;
  const HashingCost cost_;
  static Status NotRecentlyVerified() {
    return Unavailable("only recently verified credentials are accepted from this address now");
  }

  // VerifySecret under the gate; Unavailable when no slot came free.
  Result<bool> GatedVerify(std::string_view encoded, std::string_view secret) {
    if (!gate_.Enter()) {
      return Unavailable("too many sign-ins are being verified at once; retry in a second");
    }
    bool verified = VerifySecret(encoded, secret);
    gate_.Leave();
    return verified;
  }

  CredentialCache cache_;
  VerificationGate gate_;
  std::once_flag decoy_once_;
  std::string decoy_hash_;
};

// The generation is read before the rows a credential is verified against (see
// CredentialCache::Insert); the Argon2 verification runs outside every lock.
Result<Principal> TableAccounts::AuthenticateBasic(std::string_view user,
                                                   std::string_view password,
                                                   Verification mode) {
  // A name that cannot exist is refused before the cache, whose key joins name and password.
  if (!IsUserName(user) || password.empty()) return InvalidCredentials();
  std::string credential;
  credential.append(user).push_back(':');
  credential.append(password);
  std::string digest = CredentialDigest("basic", credential);
  CTI_ASSIGN_OR_RETURN(int64_t generation, tables_->Generation());
  if (auto who = cache_.Find(generation, digest, Timestamp::Now())) return std::move(*who);
  if (mode == Verification::kCacheOnly) return NotRecentlyVerified();

  CTI_ASSIGN_OR_RETURN(std::optional<StoredUser> found, tables_->FindUser(user));
  CTI_ASSIGN_OR_RETURN(bool verified,
                       GatedVerify(found ? found->password_hash : DecoyHash(), password));
  if (!found || !verified || found->user.disabled) return InvalidCredentials();
  Principal who{found->user.name, found->user.organisation, found->user.admin, "basic"};
  cache_.Insert(generation, std::move(digest), who, std::nullopt);
  return who;
}

Result<Principal> TableAccounts::AuthenticateBearer(std::string_view token, Verification mode) {
  std::optional<TokenParts> parts = ParseToken(token);
  if (!parts) return InvalidCredentials();
  std::string digest = CredentialDigest("bearer", token);
  CTI_ASSIGN_OR_RETURN(int64_t generation, tables_->Generation());
  Timestamp now = Timestamp::Now();
  if (auto who = cache_.Find(generation, digest, now)) return std::move(*who);
  if (mode == Verification::kCacheOnly) return NotRecentlyVerified();

  CTI_ASSIGN_OR_RETURN(std::optional<StoredKey> key, tables_->FindKey(parts->id));
  CTI_ASSIGN_OR_RETURN(bool verified,
                       GatedVerify(key ? key->secret_hash : DecoyHash(), parts->secret));
  if (!key || !verified || key->key.revoked || (key->key.expires && *key->key.expires <= now)) {
    return InvalidCredentials();
  }
  CTI_ASSIGN_OR_RETURN(std::optional<StoredUser> user, tables_->FindUser(key->key.user));
  if (!user || user->user.disabled) return InvalidCredentials();
  Principal who{user->user.name, user->user.organisation, user->user.admin, "bearer"};
  cache_.Insert(generation, std::move(digest), who, key->key.expires);
  return who;
}

// The TLS layer has verified that the client holds the certificate's private key; here it is
// only mapped to its user. No secret to verify, so nothing to cache.
Result<Principal> TableAccounts::AuthenticateCertificate(std::string_view certificate_sha256) {
  std::string digest = NormaliseCertificateDigest(certificate_sha256);
  if (digest.empty()) return InvalidCredentials();
  CTI_ASSIGN_OR_RETURN(std::optional<User> user, tables_->FindUserByCertificate(digest));
  if (!user || user->disabled) return InvalidCredentials();
  return Principal{user->name, user->organisation, user->admin, "certificate"};
}

}  // namespace

std::unique_ptr<Accounts> NewTableAccounts(std::unique_ptr<AccountTables> tables,
                                           HashingCost cost) {
  return std::make_unique<TableAccounts>(std::move(tables), cost);
}

}  // namespace ctihub::auth::internal
