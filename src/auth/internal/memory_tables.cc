// The "memory:" backend: ordered maps under one mutex. Same rules as the SQLite tables, so the
// accounts tests run unchanged against both.
#include <algorithm>
#include <map>
#include <mutex>
#include <tuple>

#include "auth/internal/account_tables.h"

namespace ctihub::auth::internal {
namespace {

// Grantee names are "org:NAME" / "user:NAME" / "*"; the part after the prefix, or empty.
std::string_view GranteeName(std::string_view grantee, std::string_view prefix) {
  return grantee.substr(0, prefix.size()) == prefix ? grantee.substr(prefix.size())
                                                    : std::string_view();
}

class MemoryAccountTables final : public AccountTables {
 public:
  Status InsertOrganisation(const Organisation& org) override {
    std::lock_guard lock(mu_);
    if (orgs_.count(org.name)) {
      return Status(StatusCode::kAlreadyExists, "organisation '" + org.name + "' already exists");
    }
    orgs_[org.name] = org;
    ++generation_;
    return Status::Ok();
  }
  Status ReplaceOrganisation(const Organisation& org) override {
    std::lock_guard lock(mu_);
    auto it = orgs_.find(org.name);
    if (it == orgs_.end()) return NotFound("no organisation '" + org.name + "'");
    it->second = org;
    ++generation_;
    return Status::Ok();
  }
  Result<std::vector<Organisation>> Organisations() override {
    std::lock_guard lock(mu_);
    std::vector<Organisation> out;
    for (const auto& [name, org] : orgs_) out.push_back(org);
    return out;
  }
  Result<std::optional<Organisation>> FindOrganisation(std::string_view name) override {
    std::lock_guard lock(mu_);
    auto it = orgs_.find(name);
    if (it == orgs_.end()) return std::optional<Organisation>();
    return std::optional<Organisation>(it->second);
  }

  Status InsertUser(const StoredUser& user) override {
    std::lock_guard lock(mu_);
    if (users_.count(user.user.name)) {
      return Status(StatusCode::kAlreadyExists, "user '" + user.user.name + "' already exists");
    }
    CTI_RETURN_IF_ERROR(CheckUserRefs(user.user));
    users_[user.user.name] = user;
    ++generation_;
    return Status::Ok();
  }
  Status ReplaceUser(const User& user) override {
    std::lock_guard lock(mu_);
    auto it = users_.find(user.name);
    if (it == users_.end()) return NotFound("no user '" + user.name + "'");
    CTI_RETURN_IF_ERROR(CheckUserRefs(user));
    it->second.user = user;
    ++generation_;
    return Status::Ok();
  }
  Status ReplacePasswordHash(std::string_view user, std::string_view hash) override {
    std::lock_guard lock(mu_);
    auto it = users_.find(user);
    if (it == users_.end()) return NotFound("no user '" + std::string(user) + "'");
    it->second.password_hash = std::string(hash);
    ++generation_;
    return Status::Ok();
  }
  Status DeleteUser(std::string_view user) override {
    std::lock_guard lock(mu_);
    auto it = users_.find(user);
    if (it == users_.end()) return NotFound("no user '" + std::string(user) + "'");
    users_.erase(it);
    for (auto& [id, key] : keys_) {
      if (key.key.user == user) key.key.revoked = true;
    }
    std::string grantee = "user:" + std::string(user);
    std::erase_if(grants_, [&](const auto& g) { return std::get<1>(g.first) == grantee; });
    ++generation_;
    return Status::Ok();
  }
  Result<std::vector<User>> Users() override {
    std::lock_guard lock(mu_);
    std::vector<User> out;
    for (const auto& [name, u] : users_) out.push_back(u.user);
    return out;
  }
  Result<std::optional<StoredUser>> FindUser(std::string_view name) override {
    std::lock_guard lock(mu_);
    auto it = users_.find(name);
    if (it == users_.end()) return std::optional<StoredUser>();
    return std::optional<StoredUser>(it->second);
  }
  Result<std::optional<User>> FindUserByCertificate(std::string_view sha256) override {
    std::lock_guard lock(mu_);
    if (sha256.empty()) return std::optional<User>();
    for (const auto& [name, u] : users_) {
      if (u.user.certificate_sha256 == sha256) return std::optional<User>(u.user);
    }
    return std::optional<User>();
  }
  Result<bool> HasUsers() override {
    std::lock_guard lock(mu_);
    return !users_.empty();
  }

  Status InsertKey(const StoredKey& key) override {
    std::lock_guard lock(mu_);
    if (!users_.count(key.key.user)) return NotFound("no user '" + key.key.user + "'");
    if (keys_.count(key.key.id)) {
      return Status(StatusCode::kAlreadyExists, "API key " + key.key.id + " already exists");
    }
    keys_[key.key.id] = key;
    ++generation_;
    return Status::Ok();
  }
  Status MarkKeyRevoked(std::string_view id) override {
    std::lock_guard lock(mu_);
    auto it = keys_.find(id);
    if (it == keys_.end()) return NotFound("no API key '" + std::string(id) + "'");
    it->second.key.revoked = true;
    ++generation_;
    return Status::Ok();
  }
  Result<std::vector<ApiKey>> Keys() override {
    std::lock_guard lock(mu_);
    std::vector<ApiKey> out;
    for (const auto& [id, k] : keys_) out.push_back(k.key);
    std::stable_sort(out.begin(), out.end(),
                     [](const ApiKey& a, const ApiKey& b) { return a.created < b.created; });
    return out;
  }
  Result<std::optional<StoredKey>> FindKey(std::string_view id) override {
    std::lock_guard lock(mu_);
    auto it = keys_.find(id);
    if (it == keys_.end()) return std::optional<StoredKey>();
    return std::optional<StoredKey>(it->second);
  }

  Status WriteGrant(const Grant& grant) override {
    std::lock_guard lock(mu_);
    auto key = std::make_tuple(grant.collection_id, grant.grantee);
    if (grant.permission == Permission::kNone) {
      grants_.erase(key);
    } else {
      std::string_view org = GranteeName(grant.grantee, "org:");
      std::string_view user = GranteeName(grant.grantee, "user:");
      if (!org.empty() && !orgs_.count(org)) {
        return NotFound("grant to " + grant.grantee + ": no organisation '" + std::string(org) +
                        "'");
      }
      if (!user.empty() && !users_.count(user)) {
        return NotFound("grant to " + grant.grantee + ": no user '" + std::string(user) + "'");
      }
      grants_[key] = grant.permission;
    }
    ++generation_;
    return Status::Ok();
  }
  Result<std::vector<Grant>> Grants() override {
    std::lock_guard lock(mu_);
    std::vector<Grant> out;
    for (const auto& [key, p] : grants_) out.push_back({std::get<0>(key), std::get<1>(key), p});
    return out;
  }
  Result<Permission> GrantedOn(std::string_view collection_id,
                               const std::vector<std::string>& grantees) override {
    std::lock_guard lock(mu_);
    uint8_t bits = 0;
    for (const std::string& g : grantees) {
      auto it = grants_.find(std::make_tuple(std::string(collection_id), g));
      if (it != grants_.end()) bits |= static_cast<uint8_t>(it->second);
    }
    return static_cast<Permission>(bits);
  }

  Result<int64_t> Generation() override {
    std::lock_guard lock(mu_);
    return generation_;
  }

 private:
  // Precondition: mu_ held.
  Status CheckUserRefs(const User& user) {
    if (!orgs_.count(user.organisation)) {
      return NotFound("user '" + user.name + "': no organisation '" + user.organisation +
                      "' (create it with `ctihub org add`)");
    }
    if (!user.certificate_sha256.empty()) {
      for (const auto& [name, other] : users_) {
        if (name != user.name && other.user.certificate_sha256 == user.certificate_sha256) {
          return Status(StatusCode::kAlreadyExists, "user '" + user.name + "': certificate " +
                                                        user.certificate_sha256 +
                                                        " already identifies user '" + name + "'");
        }
      }
    }
    return Status::Ok();
  }

  std::mutex mu_;
  std::map<std::string, Organisation, std::less<>> orgs_;
  std::map<std::string, StoredUser, std::less<>> users_;
  std::map<std::string, StoredKey, std::less<>> keys_;
  std::map<std::tuple<std::string, std::string>, Permission> grants_;
  int64_t generation_ = 0;
};

}  // namespace

std::unique_ptr<AccountTables> NewMemoryAccountTables() {
  return std::make_unique<MemoryAccountTables>();
}

}  // namespace ctihub::auth::internal
