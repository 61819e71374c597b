#include "auth/sqlite/sqlite_account_tables.h"

#include <sqlite3.h>

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "store/sqlite/statement.h"

namespace ctihub::auth::internal {
namespace {

constexpr int64_t kSchemaVersion = 1;

// Tables prefixed account_/accounts_ so they sit beside the store's own in one file. WITHOUT
// ROWID: every table is looked up by its primary key. The generation row is what every
// authentication reads (one primary-key lookup) to learn whether its credential cache is stale.
// Keys keep their row when revoked or when their user is removed, for `ctihub key list`.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS accounts_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)
  WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS account_organisations (
  name TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  identity_id TEXT NOT NULL,
  nation TEXT NOT NULL,
  communities TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS account_users (
  name TEXT PRIMARY KEY,
  organisation TEXT NOT NULL REFERENCES account_organisations(name),
  admin INTEGER NOT NULL,
  certificate_sha256 TEXT NOT NULL,
  disabled INTEGER NOT NULL,
  password_hash TEXT NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS account_users_by_certificate
  ON account_users (certificate_sha256) WHERE certificate_sha256 <> '';
CREATE TABLE IF NOT EXISTS account_keys (
  id TEXT PRIMARY KEY,
  user_name TEXT NOT NULL,
  description TEXT NOT NULL,
  created INTEGER NOT NULL,
  expires INTEGER,
  revoked INTEGER NOT NULL,
  secret_hash TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS account_keys_by_user ON account_keys (user_name);
CREATE TABLE IF NOT EXISTS account_grants (
  collection_id TEXT NOT NULL,
  grantee TEXT NOT NULL,
  permission INTEGER NOT NULL,
  PRIMARY KEY (collection_id, grantee)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS account_grants_by_grantee ON account_grants (grantee);
INSERT OR IGNORE INTO accounts_meta (key, value) VALUES ('generation', 0);
)sql";

using sqlite::Lease;
using sqlite::OpenSqliteFile;
using sqlite::SqlError;
using sqlite::Statement;

std::string JoinLines(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += '\n';
    out += s;
  }
  return out;
}

std::vector<std::string> SplitLines(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    size_t nl = s.find('\n');
    out.emplace_back(s.substr(0, nl));
    if (nl == std::string_view::npos) break;
    s.remove_prefix(nl + 1);
  }
  return out;
}

std::string_view GranteeName(std::string_view grantee, std::string_view prefix) {
  return grantee.substr(0, prefix.size()) == prefix ? grantee.substr(prefix.size())
                                                    : std::string_view();
}

constexpr const char* kOrgColumns = "name, title, identity_id, nation, communities";
constexpr const char* kUserColumns =
    "name, organisation, admin, certificate_sha256, disabled, password_hash";
constexpr const char* kKeyColumns =
    "id, user_name, description, created, expires, revoked, secret_hash";

Organisation ReadOrganisation(const Statement& s) {
  Organisation o;
  o.name = s.Text(0);
  o.title = s.Text(1);
  o.identity_id = s.Text(2);
  o.nation = s.Text(3);
  o.communities = SplitLines(s.Text(4));
  return o;
}

StoredUser ReadUser(const Statement& s) {
  StoredUser u;
  u.user.name = s.Text(0);
  u.user.organisation = s.Text(1);
  u.user.admin = s.Int(2) != 0;
  u.user.certificate_sha256 = s.Text(3);
  u.user.disabled = s.Int(4) != 0;
  u.password_hash = s.Text(5);
  return u;
}

StoredKey ReadKey(const Statement& s) {
  StoredKey k;
  k.key.id = s.Text(0);
  k.key.user = s.Text(1);
  k.key.description = s.Text(2);
  k.key.created = Timestamp(s.Int(3));
  if (!s.IsNull(4)) k.key.expires = Timestamp(s.Int(4));
  k.key.revoked = s.Int(5) != 0;
  k.secret_hash = s.Text(6);
  return k;
}

// One connection, one mutex: account changes are rare and authentications are served from the
// credential cache above, so the connection is not a bottleneck worth a pool.
class SqliteAccountTables final : public AccountTables {
 public:
  ~SqliteAccountTables() override {
    statements_.clear();
    if (db_) sqlite3_close_v2(db_);
  }

  static Result<std::unique_ptr<AccountTables>> Open(std::string_view path);

  Status InsertOrganisation(const Organisation& org) override {
    std::lock_guard lock(mu_);
    return Write([&]() -> Status {
      CTI_ASSIGN_OR_RETURN(bool exists, Exists("SELECT 1 FROM account_organisations WHERE "
                                               "name = ?1",
                                               org.name));
      if (exists) {
        return Status(StatusCode::kAlreadyExists, "organisation '" + org.name + "' already exists");
      }
      CTI_ASSIGN_OR_RETURN(Lease s, Prepared("INSERT INTO account_organisations (name, title, "
                                             "identity_id, nation, communities) VALUES "
                                             "(?1, ?2, ?3, ?4, ?5)"));
      return BindOrganisationAndRun(s, org);
    });
  }
  Status ReplaceOrganisation(const Organisation& org) override {
    std::lock_guard lock(mu_);
    return Write([&]() -> Status {
      CTI_ASSIGN_OR_RETURN(bool exists, Exists("SELECT 1 FROM account_organisations WHERE "
                                               "name = ?1",
                                               org.name));
      if (!exists) return NotFound("no organisation '" + org.name + "'");
      CTI_ASSIGN_OR_RETURN(Lease s, Prepared("UPDATE account_organisations SET title = ?2, "
                                             "identity_id = ?3, nation = ?4, communities = ?5 "
                                             "WHERE name = ?1"));
      return BindOrganisationAndRun(s, org);
    });
  }
  Result<std::vector<Organisation>> Organisations() override {
    std::lock_guard lock(mu_);
    CTI_ASSIGN_OR_RETURN(Lease s, Prepared(std::string("SELECT ") + kOrgColumns +
                                           " FROM account_organisations ORDER BY name"));
    std::vector<Organisation> out;
    for (;;) {
      CTI_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(ReadOrganisation(*s));
    }
    return out;
  }
  Result<std::optional<Organisation>> FindOrganisation(std::string_view name) override {
    std::lock_guard lock(mu_);
    CTI_ASSIGN_OR_RETURN(Lease s, Prepared(std::string("SELECT ") + kOrgColumns +
                                           " FROM account_organisations WHERE name = ?1"));
    s->Bind(1, name);
    CTI_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<Organisation>();
    return std::optional<Organisation>(ReadOrganisation(*s));
  }

  Status InsertUser(const StoredUser& user) override {
    std::lock_guard lock(mu_);
    return Write([&]() -> Status {
      CTI_ASSIGN_OR_RETURN(bool exists,
                           Exists("SELECT 1 FROM account_users WHERE name = ?1", user.user.name));
      if (exists) {
        return Status(StatusCode::kAlreadyExists, "user '" + user.user.name + "' already exists");
      }
      CTI_RETURN_IF_ERROR(CheckUserRefs(user.user));
      CTI_ASSIGN_OR_RETURN(Lease s, Prepared("INSERT INTO account_users (name, organisation, "
                                             "admin, certificate_sha256, disabled, "
                                             "password_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
      s->Bind(6, user.password_hash);
      return BindUserAndRun(s, user.user);
    });
  }
  Status ReplaceUser(const User& user) override {
    std::lock_guard lock(mu_);
    return Write([&]() -> Status {
      CTI_ASSIGN_OR_RETURN(bool exists,
                           Exists("SELECT 1 FROM account_users WHERE name = ?1", user.name));
      if (!exists) return NotFound("no user '" + user.name + "'");
      CTI_RETURN_IF_ERROR(CheckUserRefs(user));
      CTI_ASSIGN_OR_RETURN(Lease s, Prepared("UPDATE account_users SET organisation = ?2, "
                                             "admin = ?3, certificate_sha256 = ?4, disabled = ?5 "
                                             "WHERE name = ?1"));
      return BindUserAndRun(s, user);
    });
  }
  Status ReplacePasswordHash(std::string_view user, std::string_view hash) override {
    std::lock_guard lock(mu_);
    return Write([&]() -> Status {
      CTI_ASSIGN_OR_RETURN(Lease s,
                           Prepared("UPDATE account_users SET password_hash = ?2 WHERE name = ?1"));
      s->Bind(1, user);
      s->Bind(2, hash);
      CTI_RETURN_IF_ERROR(s->Step().status());
      if (sqlite3_changes(db_) == 0) return NotFound("no user '" + std::string(user) + "'");
      return Status::Ok();
    });
  }
  Status DeleteUser(std::string_view user) override {
    std::lock_guard lock(mu_);
    std::string grantee = "user:" + std::string(user);
    return Write([&]() -> Status {
      CTI_RETURN_IF_ERROR(Run("DELETE FROM account_users WHERE name = ?1", user));
      if (sqlite3_changes(db_) == 0) return NotFound("no user '" + std::string(user) + "'");
      CTI_RETURN_IF_ERROR(Run("UPDATE account_keys SET revoked = 1 WHERE user_name = ?1", user));
      return Run("DELETE FROM account_grants WHERE grantee = ?1", grantee);
    });
  }
  Result<std::vector<User>> Users() override {
    std::lock_guard lock(mu_);
    CTI_ASSIGN_OR_RETURN(Lease s, Prepared(std::string("SELECT ") + kUserColumns +
                                           " FROM account_users ORDER BY name"));
    std::vector<User> out;
    for (;;) {
      CTI_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(ReadUser(*s).user);
    }
    return out;
  }
  Result<std::optional<StoredUser>> FindUser(std::string_view name) override {
    std::lock_guard lock(mu_);
    CTI_ASSIGN_OR_RETURN(Lease s, Prepared(std::string("SELECT ") + kUserColumns +
                                           " FROM account_users WHERE name = ?1"));
    s->Bind(1, name);
    CTI_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<StoredUser>();
    return std::optional<StoredUser>(ReadUser(*s));
  }
  Result<std::optional<User>> FindUserByCertificate(std::string_view sha256) override {
    if (sha256.empty()) return std::optional<User>();
    std::lock_guard lock(mu_);
    CTI_ASSIGN_OR_RETURN(Lease s, Prepared(std::string("SELECT ") + kUserColumns +
                                           " FROM account_users WHERE certificate_sha256 = ?1"));
    s->Bind(1, sha256);
    CTI_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<User>();
    return std::optional<User>(ReadUser(*s).user);
  }
  Result<bool> HasUsers() override {
    std::lock_guard lock(mu_);
    CTI_ASSIGN_OR_RETURN(Lease s, Prepared("SELECT 1 FROM account_users LIMIT 1"));
    return s->Step();
  }

  Status InsertKey(const StoredKey& key) override {
    std::lock_guard lock(mu_);
    return Write([&]() -> Status {
      CTI_ASSIGN_OR_RETURN(bool user,
                           Exists("SELECT 1 FROM account_users WHERE name = ?1", key.key.user));
      if (!user) return NotFound("no user '" + key.key.user + "'");
      CTI_ASSIGN_OR_RETURN(bool exists,
                           Exists("SELECT 1 FROM account_keys WHERE id = ?1", key.key.id));
      if (exists) {
        return Status(StatusCode::kAlreadyExists, "API key " + key.key.id + " already exists");
      }
      CTI_ASSIGN_OR_RETURN(Lease s, Prepared("INSERT INTO account_keys (id, user_name, "
                                             "description, created, expires, revoked, "
                                             "secret_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
      s->Bind(1, key.key.id);
      s->Bind(2, key.key.user);
      s->Bind(3, key.key.description);
      s->Bind(4, key.key.created.micros());
      if (key.key.expires) {
        s->Bind(5, key.key.expires->micros());
      } else {
        s->BindNull(5);
      }
      s->Bind(6, int64_t{key.key.revoked});
      s->Bind(7, key.secret_hash);
      return s->Step().status();
    });
  }
  Status MarkKeyRevoked(std::string_view id) override {
    std::lock_guard lock(mu_);
    return Write([&]() -> Status {
      CTI_RETURN_IF_ERROR(Run("UPDATE account_keys SET revoked = 1 WHERE id = ?1", id));
      if (sqlite3_changes(db_) == 0) return NotFound("no API key '" + std::string(id) + "'");
      return Status::Ok();
    });
  }
  Result<std::vector<ApiKey>> Keys() override {
    std::lock_guard lock(mu_);
    CTI_ASSIGN_OR_RETURN(Lease s, Prepared(std::string("SELECT ") + kKeyColumns +
                                           " FROM account_keys ORDER BY created, id"));
    std::vector<ApiKey> out;
    for (;;) {
      CTI_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(ReadKey(*s).key);
    }
    return out;
  }
  Result<std::optional<StoredKey>> FindKey(std::string_view id) override {
    std::lock_guard lock(mu_);
    CTI_ASSIGN_OR_RETURN(Lease s, Prepared(std::string("SELECT ") + kKeyColumns +
                                           " FROM account_keys WHERE id = ?1"));
    s->Bind(1, id);
    CTI_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<StoredKey>();
    return std::optional<StoredKey>(ReadKey(*s));
  }

  Status WriteGrant(const Grant& grant) override {
    std::lock_guard lock(mu_);
    return Write([&]() -> Status {
      if (grant.permission == Permission::kNone) {
        CTI_ASSIGN_OR_RETURN(Lease s, Prepared("DELETE FROM account_grants WHERE "
                                               "collection_id = ?1 AND grantee = ?2"));
        s->Bind(1, grant.collection_id);
        s->Bind(2, grant.grantee);
        return s->Step().status();
      }
      std::string_view org = GranteeName(grant.grantee, "org:");
      std::string_view user = GranteeName(grant.grantee, "user:");
      if (!org.empty()) {
        CTI_ASSIGN_OR_RETURN(bool exists,
                             Exists("SELECT 1 FROM account_organisations WHERE name = ?1", org));
        if (!exists) {
          return NotFound("grant to " + grant.grantee + ": no organisation '" + std::string(org) +
                          "'");
        }
      }
      if (!user.empty()) {
        CTI_ASSIGN_OR_RETURN(bool exists,
                             Exists("SELECT 1 FROM account_users WHERE name = ?1", user));
        if (!exists) {
          return NotFound("grant to " + grant.grantee + ": no user '" + std::string(user) + "'");
        }
      }
      CTI_ASSIGN_OR_RETURN(Lease s, Prepared("INSERT INTO account_grants (collection_id, "
                                             "grantee, permission) VALUES (?1, ?2, ?3) "
                                             "ON CONFLICT (collection_id, grantee) DO UPDATE "
                                             "SET permission = excluded.permission"));
      s->Bind(1, grant.collection_id);
      s->Bind(2, grant.grantee);
      s->Bind(3, static_cast<int64_t>(grant.permission));
      return s->Step().status();
    });
  }
  Result<std::vector<Grant>> Grants() override {
    std::lock_guard lock(mu_);
    CTI_ASSIGN_OR_RETURN(Lease s, Prepared("SELECT collection_id, grantee, permission FROM "
                                           "account_grants ORDER BY collection_id, grantee"));
    std::vector<Grant> out;
    for (;;) {
      CTI_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(
          {std::string(s->Text(0)), std::string(s->Text(1)), static_cast<Permission>(s->Int(2) & 3)});
    }
    return out;
  }
  Result<Permission> GrantedOn(std::string_view collection_id,
                               const std::vector<std::string>& grantees) override {
    std::lock_guard lock(mu_);
    CTI_ASSIGN_OR_RETURN(Lease s, Prepared("SELECT permission FROM account_grants WHERE "
                                           "collection_id = ?1 AND grantee = ?2"));
    int64_t bits = 0;
    for (const std::string& grantee : grantees) {
      s->Reset();
      s->Bind(1, collection_id);
      s->Bind(2, grantee);
      CTI_ASSIGN_OR_RETURN(bool row, s->Step());
      if (row) bits |= s->Int(0);
    }
    return static_cast<Permission>(bits & 3);
  }

  Result<int64_t> Generation() override {
    std::lock_guard lock(mu_);
    CTI_ASSIGN_OR_RETURN(Lease s,
                         Prepared("SELECT value FROM accounts_meta WHERE key = 'generation'"));
    CTI_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return DataLoss("accounts: the generation row of accounts_meta is missing");
    return s->Int(0);
  }

 private:
  Result<bool> HasMetaTable() {
    CTI_ASSIGN_OR_RETURN(Lease q, Prepared("SELECT 1 FROM main.sqlite_master WHERE type = 'table' "
                                           "AND name = 'accounts_meta'"));
    return q->Step();
  }

  // Whether the file holds everything kSchema makes: its tables and indexes, and the two rows
  // of accounts_meta. (When it does, opening needs no write.)
  Result<bool> SchemaComplete() {
    {
      CTI_ASSIGN_OR_RETURN(Lease q,
                           Prepared("SELECT count(*) FROM main.sqlite_master WHERE name IN "
                                    "('accounts_meta', 'account_organisations', 'account_users', "
                                    "'account_users_by_certificate', 'account_keys', "
                                    "'account_keys_by_user', 'account_grants', "
                                    "'account_grants_by_grantee')"));
      CTI_ASSIGN_OR_RETURN(bool row, q->Step());
      if (!row || q->Int(0) != 8) return false;
    }
    CTI_ASSIGN_OR_RETURN(Lease q, Prepared("SELECT count(*) FROM main.accounts_meta WHERE key IN "
                                           "('generation', 'schema_version')"));
    CTI_ASSIGN_OR_RETURN(bool row, q->Step());
    return row && q->Int(0) == 2;
  }

  Status Exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error ? error : sqlite3_errmsg(db_);
      sqlite3_free(error);
      int code = sqlite3_errcode(db_);
      return Status(code == SQLITE_BUSY || code == SQLITE_LOCKED ? StatusCode::kUnavailable
                                                                 : StatusCode::kInternal,
                    "accounts: SQL failed (" + message + "): " + sql);
    }
    return Status::Ok();
  }
  // Precondition: mu_ held (statements belong to the connection).
  Result<Lease> Prepared(const std::string& sql) {
    for (auto& [text, stmt] : statements_) {
      if (text == sql) {
        stmt->Reset();
        return Lease(stmt.get());
      }
    }
    auto stmt = std::make_unique<Statement>();
    CTI_RETURN_IF_ERROR(stmt->Prepare(db_, sql));
    statements_.emplace_back(sql, std::move(stmt));
    return Lease(statements_.back().second.get());
  }
  Result<bool> Exists(const char* sql, std::string_view key) {
    CTI_ASSIGN_OR_RETURN(Lease s, Prepared(sql));
    s->Bind(1, key);
    return s->Step();
  }
  Status Run(const char* sql, std::string_view key) {
    CTI_ASSIGN_OR_RETURN(Lease s, Prepared(sql));
    s->Bind(1, key);
    return s->Step().status();
  }
  // Runs `body` in one write transaction that also advances the generation. IMMEDIATE takes the
  // write lock first, so the checks in `body` still hold when its writes commit. Precondition:
  // mu_ held.
  template <typename Body>
  Status Write(Body body) {
    CTI_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Status s = body();
    if (s.ok()) {
      s = Run("UPDATE accounts_meta SET value = value + 1 WHERE key = ?1", "generation");
    }
    if (s.ok()) s = Exec("COMMIT");
    if (!s.ok()) Exec("ROLLBACK").IgnoreError();
    return s;
  }
  Status BindOrganisationAndRun(Lease& s, const Organisation& org) {
    std::string communities = JoinLines(org.communities);
    s->Bind(1, org.name);
    s->Bind(2, org.title);
    s->Bind(3, org.identity_id);
    s->Bind(4, org.nation);
    s->Bind(5, communities);
    return s->Step().status();
  }
  Status BindUserAndRun(Lease& s, const User& user) {
    s->Bind(1, user.name);
    s->Bind(2, user.organisation);
    s->Bind(3, int64_t{user.admin});
    s->Bind(4, user.certificate_sha256);
    s->Bind(5, int64_t{user.disabled});
    return s->Step().status();
  }
  // Precondition: inside Write.
  Status CheckUserRefs(const User& user) {
    CTI_ASSIGN_OR_RETURN(
        bool org, Exists("SELECT 1 FROM account_organisations WHERE name = ?1", user.organisation));
    if (!org) {
      return NotFound("user '" + user.name + "': no organisation '" + user.organisation +
                      "' (create it with `ctihub org add`)");
    }
    if (user.certificate_sha256.empty()) return Status::Ok();
    CTI_ASSIGN_OR_RETURN(Lease s, Prepared("SELECT name FROM account_users WHERE "
                                           "certificate_sha256 = ?1 AND name <> ?2"));
    s->Bind(1, user.certificate_sha256);
    s->Bind(2, user.name);
    CTI_ASSIGN_OR_RETURN(bool taken, s->Step());
    if (taken) {
      return Status(StatusCode::kAlreadyExists,
                    "user '" + user.name + "': certificate " + user.certificate_sha256 +
                        " already identifies user '" + std::string(s->Text(0)) + "'");
    }
    return Status::Ok();
  }

  std::mutex mu_;
  sqlite3* db_ = nullptr;
  std::vector<std::pair<std::string, std::unique_ptr<Statement>>> statements_;
};

Result<std::unique_ptr<AccountTables>> SqliteAccountTables::Open(std::string_view path) {
  if (path.empty()) return InvalidArgument("sqlite: needs a file path, e.g. sqlite:hub.db");
  auto tables = std::unique_ptr<SqliteAccountTables>(new SqliteAccountTables());
  std::string file(path);
  int rc = OpenSqliteFile(file, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                          &tables->db_);
  if (rc != SQLITE_OK) {
    std::string message = tables->db_ ? sqlite3_errmsg(tables->db_) : sqlite3_errstr(rc);
    return Unavailable("cannot open accounts in '" + file + "': " + message);
  }
  sqlite3_busy_timeout(tables->db_, 10000);
  CTI_RETURN_IF_ERROR(sqlite::CheckNotForeign(tables->db_, file));
  // The same page size as the object store (store/sqlite), in case this connection is the one
  // that creates the file; it has no effect on an existing file. WAL and synchronous=FULL as in
  // the store: an acknowledged account change (a revoked key above all) survives power loss.
  for (const char* pragma : {"PRAGMA page_size=32768", "PRAGMA journal_mode=WAL",
                             "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
    if (Status s = tables->Exec(pragma); !s.ok()) {
      return Unavailable("cannot use '" + file + "' for accounts: " + s.message());
    }
  }
  // Tables already made are only read: no write lock is taken to open them. A store without
  // them that cannot be written (a read-only copy kept as evidence) gets empty ones in the
  // connection's TEMP schema, so the reading commands work on it and the file stays as it is.
  // A read-only file whose tables are there but not all of it (an index missing) is read as it
  // is: TEMP tables would hide the real ones.
  CTI_ASSIGN_OR_RETURN(bool made, tables->SchemaComplete());
  const bool read_only = sqlite3_db_readonly(tables->db_, "main") == 1;
  if (!made && read_only) {
    CTI_ASSIGN_OR_RETURN(made, tables->HasMetaTable());
  }
  if (!made) {
    std::string schema = kSchema;
    if (read_only) {
      for (size_t at = 0; (at = schema.find("CREATE TABLE ", at)) != std::string::npos;) {
        schema.replace(at, 13, "CREATE TEMP TABLE ");
      }
    }
    if (!read_only) CTI_RETURN_IF_ERROR(tables->Exec("BEGIN IMMEDIATE"));
    Status created = tables->Exec(schema.c_str());
    if (created.ok()) {
      created = tables->Exec(("INSERT OR IGNORE INTO accounts_meta (key, value) VALUES "
                              "('schema_version', " +
                              std::to_string(kSchemaVersion) + ")")
                                 .c_str());
    }
    if (!created.ok()) {
      if (!read_only) tables->Exec("ROLLBACK").IgnoreError();
      return Unavailable("cannot use '" + file + "' for accounts: " + created.message());
    }
    if (!read_only) CTI_RETURN_IF_ERROR(tables->Exec("COMMIT"));
  }
  {
    CTI_ASSIGN_OR_RETURN(Lease version, tables->Prepared("SELECT value FROM accounts_meta "
                                                         "WHERE key = 'schema_version'"));
    CTI_ASSIGN_OR_RETURN(bool row, version->Step());
    if (!row || version->Int(0) != kSchemaVersion) {
      return FailedPrecondition("accounts in '" + file + "' have schema version " +
                                (row ? std::to_string(version->Int(0)) : "?") +
                                "; this ctihub needs " + std::to_string(kSchemaVersion));
    }
  }
  return std::unique_ptr<AccountTables>(std::move(tables));
}

}  // namespace

Result<std::unique_ptr<AccountTables>> OpenSqliteAccountTables(std::string_view path) {
  return SqliteAccountTables::Open(path);
}

}  // namespace ctihub::auth::internal
