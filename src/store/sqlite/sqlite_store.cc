#include "store/sqlite/sqlite_store.h"

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "store/sqlite/statement.h"
#include "store/sqlite/text_codec.h"
#include "store/store.h"

namespace ctihub::store {
namespace {

using sqlite::Lease;
using sqlite::OpenSqliteFile;
using sqlite::SqlError;
using sqlite::Statement;

constexpr int kSchemaVersion = 8;

// The delivery ledger's tables (Store::RecordDeliveries; schema 5, see kMigrateTo5): created
// with the schema, and by the migration to 5.
constexpr const char* kDeliveryLedgerSql = R"sql(
CREATE TABLE IF NOT EXISTS delivery_routes (
  id INTEGER PRIMARY KEY,
  channel TEXT NOT NULL,
  coll TEXT NOT NULL,
  destination TEXT NOT NULL,
  UNIQUE (channel, coll, destination)
);
CREATE TABLE IF NOT EXISTS deliveries (
  idhash INTEGER NOT NULL,
  route INTEGER NOT NULL,
  local_id TEXT NOT NULL,
  sent_id TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_by_id ON deliveries (idhash);
)sql";

// The schema. `row` is the rowid: store-wide and increasing, the tie-breaker of the keyset
// (date_added, row). Every column a query filters on is extracted at write time; the JSON text
// is only ever returned, never searched. Objects are found by `idhash` (XXH3 of the id) in an
// 8-byte integer index rather than by the id text: ids share long prefixes ("indicator--…"),
// which made text-keyed index inserts the largest cost of an import. Every lookup also compares
// `id`, and Put enforces one row per (id, version), so a hash collision can never merge two
// objects.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS collections (
  pk INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  alias TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  media_types TEXT NOT NULL,
  last_added INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS objects (
  row INTEGER PRIMARY KEY,
  coll INTEGER NOT NULL REFERENCES collections(pk),
  idhash INTEGER NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  version_text TEXT NOT NULL,
  type TEXT NOT NULL,
  spec_version TEXT NOT NULL,
  date_added INTEGER NOT NULL,
  is_first INTEGER NOT NULL,
  is_latest INTEGER NOT NULL,
  revoked INTEGER NOT NULL,
  created_by TEXT,
  tlp INTEGER NOT NULL,
  markings TEXT NOT NULL,
  text_hash INTEGER NOT NULL,
  json TEXT NOT NULL,
  mset INTEGER NOT NULL DEFAULT 0,
  origin TEXT,
  latest_mset INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS objects_by_id ON objects (coll, idhash, version);
CREATE INDEX IF NOT EXISTS objects_by_added_v7 ON objects
  (coll, date_added, is_latest, mset, latest_mset);
CREATE INDEX IF NOT EXISTS objects_by_type ON objects (coll, type, date_added);
CREATE TABLE IF NOT EXISTS records (
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (kind, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dictionaries (id INTEGER PRIMARY KEY, bytes BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS marking_sets (id INTEGER PRIMARY KEY, markings TEXT NOT NULL UNIQUE);
)sql";

// Schema 2 → 3: each object's marking refs are also interned as a small integer (`mset`, 0 for
// none) and the date_added index carries it and is_latest, so the release gate's marking filter
// is decided from the index alone — a restricted partner's page skips the rows it may not see
// without reading them.
constexpr const char* kMigrateTo3 = R"sql(
CREATE TABLE IF NOT EXISTS marking_sets (id INTEGER PRIMARY KEY, markings TEXT NOT NULL UNIQUE);
INSERT OR IGNORE INTO marking_sets (markings)
  SELECT DISTINCT markings FROM objects WHERE markings != '';
UPDATE objects SET mset = (SELECT id FROM marking_sets m WHERE m.markings = objects.markings)
  WHERE markings != '';
DROP INDEX IF EXISTS objects_by_added;
CREATE INDEX IF NOT EXISTS objects_by_added_v3 ON objects (coll, date_added, is_latest, mset);
UPDATE meta SET value = '3' WHERE key = 'schema_version';
)sql";

// Schema 3 → 4: the federation peer each version came from (NULL for local content), so sync
// never sends a peer back what it sent.
constexpr const char* kMigrateTo4 = "UPDATE meta SET value = '4' WHERE key = 'schema_version';";

// Schema 4 → 5: the delivery ledger (Store::RecordDeliveries). It gets a row per delivered
// version, so rows are small: appended in rowid order, found by an 8-byte hash of the local id
// (like objects), the (channel, collection, destination) interned as a route, and sent_id NULL
// when it is the local id. Text keys of ~150 bytes (the records table held it at first) made
// every push and every peer's read ~15% slower.
constexpr const char* kMigrateTo5 =
    "UPDATE meta SET value = '5' WHERE key = 'schema_version';";  // after kDeliveryLedgerSql

// Schema 5 → 6: a delivery is recorded once. Before, every read of a page by a federation peer
// appended its rows again, so a peer re-reading a collection grew the ledger without bound;
// the duplicates are dropped once here (RecordDeliveries now skips what is recorded).
constexpr const char* kMigrateTo6 = R"sql(
DELETE FROM deliveries WHERE rowid NOT IN
  (SELECT min(rowid) FROM deliveries GROUP BY idhash, route, local_id, sent_id);
UPDATE meta SET value = '6' WHERE key = 'schema_version';
)sql";

// Schema 6 → 7: each version also holds the marking set of its object's latest version
// (`latest_mset`), and the date_added index carries it, so that a recipient's last versions are
// found from the index: an older version is read only where the latest one is withheld. -1
// when the latest has granular markings (or was written before they were recorded), which only
// a full decision can judge. CTIHUB_LATEST_MSET_OF(row) is that value for one row (a macro, so
// that it joins the SQL texts at compile time).
#define CTIHUB_LATEST_MSET_OF(row)                                                      \
  "(CASE WHEN " row ".markings GLOB '*g:?*' OR " row ".markings NOT GLOB '*g:*' THEN -1 " \
  "ELSE " row ".mset END)"
constexpr const char* kMigrateTo7 =
    "UPDATE objects SET latest_mset = coalesce((SELECT " CTIHUB_LATEST_MSET_OF("l")
    " FROM objects l WHERE l.coll = objects.coll AND l.idhash = objects.idhash AND "
    "l.id = objects.id AND l.is_latest = 1), -1);"
    R"sql(
DROP INDEX IF EXISTS objects_by_added_v3;
CREATE INDEX IF NOT EXISTS objects_by_added_v7 ON objects
  (coll, date_added, is_latest, mset, latest_mset);
UPDATE meta SET value = '7' WHERE key = 'schema_version';
)sql";

// Schema 7 → 8: a delivery records the tombstone that closed it (`closed`, the deletion its
// receiver is told of; NULL while the object lives), so that an object deleted, added again and
// deleted again is told the second time only to those that received it in between. Rows from
// before have no such bound: they count for every deletion (meta deliveries_closed_since says
// from when tombstones have one; a new store counts from 0). The column is also added on new
// stores, whose ledger table kDeliveryLedgerSql makes as schema 5 had it.
constexpr const char* kMigrateTo8 = "UPDATE meta SET value = '8' WHERE key = 'schema_version';";

// The steps from each schema version to the next, applied in one transaction under the write
// lock after the version is read again there, so that each step is applied once even when
// several processes open an old store at once. The column a step adds is added only when
// missing (AddColumnIfMissing), and the rest of each step can be run again, so a store whose
// work is partly there already (a schema_version set back by hand) is migrated too.
struct MigrationStep {
  std::string_view from;
  const char* table;  // with column and type: the column the step adds, or nullptr
  const char* column;
  const char* type;
  const char* sql;
};
constexpr MigrationStep kMigrations[] = {
    {"2", "objects", "mset", "INTEGER NOT NULL DEFAULT 0", kMigrateTo3},
    {"3", "objects", "origin", "TEXT", kMigrateTo4},
    {"4", nullptr, nullptr, nullptr, kMigrateTo5},  // after kDeliveryLedgerSql
    {"5", nullptr, nullptr, nullptr, kMigrateTo6},
    {"6", "objects", "latest_mset", "INTEGER NOT NULL DEFAULT 0", kMigrateTo7},
    {"7", "deliveries", "closed", "INTEGER", kMigrateTo8},  // and deliveries_closed_since
};

// The lookup key of an object id (see the schema comment): 64 bits of XXH3, as SQLite's signed
// INTEGER.
int64_t IdHash(std::string_view id) {
  return static_cast<int64_t>(XXH3_64bits(id.data(), id.size()));
}

std::string JoinMediaTypes(const std::vector<std::string>& types) {
  std::string out;
  for (const std::string& t : types) {
    if (!out.empty()) out += '\n';
    out += t;
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

class SqliteStore final : public Store {
 public:
  ~SqliteStore() override {
    statements_.clear();
    dynamic_statements_.clear();
    if (db_) sqlite3_close_v2(db_);
  }

  static Result<std::unique_ptr<Store>> Open(std::string_view path, OpenMode mode);

 private:
  Status Exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      sqlite3_free(error);
      // SqlError maps the code: busy or locked → Unavailable (retry), full → ResourceExhausted.
      return SqlError(db_, std::string("SQL failed: ") + sql);
    }
    return Status::Ok();
  }
  // `dynamic` statements (List queries, whose SQL varies with the filters) live in a bounded
  // cache that is trimmed only here, before a new one is made — no lease of one is alive then.
  Result<Lease> Prepared(std::string_view key_sql, bool dynamic = false) {
    auto& cache = dynamic ? dynamic_statements_ : statements_;
    for (auto& [sql, stmt] : cache) {
      if (sql == key_sql) {
        stmt->Reset();
        return Lease(stmt.get());
      }
    }
    if (dynamic && cache.size() >= 64) cache.erase(cache.begin(), cache.begin() + 32);
    auto stmt = std::make_unique<Statement>();
    CTI_RETURN_IF_ERROR(stmt->Prepare(db_, key_sql));
    cache.emplace_back(std::string(key_sql), std::move(stmt));
    return Lease(cache.back().second.get());
  }
  Result<int64_t> CollectionPk(const Collection& c) {
    CTI_ASSIGN_OR_RETURN(Lease s, Prepared("SELECT pk FROM collections WHERE id = ?1"));
    s->Bind(1, c.id);
    CTI_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return NotFound("collection " + c.id + " vanished");
    return s->Int(0);
  }

  Status DoCreateCollection(const Collection& c) override {
    CTI_ASSIGN_OR_RETURN(Lease s,
                         Prepared("INSERT INTO collections (id, alias, title, description, "
                                  "media_types) VALUES (?1, ?2, ?3, ?4, ?5)"));
    std::string media = JoinMediaTypes(c.media_types);
    s->Bind(1, c.id);
    s->Bind(2, c.alias);
    s->Bind(3, c.title);
    s->Bind(4, c.description);
    s->Bind(5, media);
    CTI_ASSIGN_OR_RETURN(bool row, s->Step());
    (void)row;
    return Status::Ok();
  }
  Result<std::optional<Collection>> DoFindCollection(std::string_view key) override {
    CTI_ASSIGN_OR_RETURN(Lease s,
                         Prepared("SELECT id, alias, title, description, media_types FROM "
                                  "collections WHERE id = ?1 OR alias = ?1"));
    s->Bind(1, key);
    CTI_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<Collection>();
    return std::optional<Collection>(ReadCollection(*s));
  }
  Result<std::vector<Collection>> DoListCollections() override {
    CTI_ASSIGN_OR_RETURN(Lease s,
                         Prepared("SELECT id, alias, title, description, media_types FROM "
                                  "collections ORDER BY pk"));
    std::vector<Collection> out;
    for (;;) {
      CTI_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(ReadCollection(*s));
    }
    return out;
  }
  static Collection ReadCollection(const Statement& s) {
    Collection c;
    c.id = std::string(s.Text(0));
    c.alias = std::string(s.Text(1));
    c.title = std::string(s.Text(2));
    c.description = std::string(s.Text(3));
    c.media_types = SplitLines(s.Text(4));
    return c;
  }

  Result<PutResult> DoPut(const Collection& collection,
                          const std::vector<stix::ObjectVersion>& batch, PutMode mode,
                          std::string_view origin) override;
  Result<PutResult> PutInTransaction(int64_t pk, const std::vector<stix::ObjectVersion>& batch,
                                     std::string_view origin);
  Result<Page> DoList(const Collection& collection, const Query& query) override;
  Result<uint64_t> DoDelete(const Collection& collection, std::string_view id,
                            const VersionMatch& versions) override;
  Status DoCheck() override;
  Result<StoreStats> DoStats() override;
  // BEGIN alone takes no snapshot until the first read: read now, so that it is this moment's.
  Status DoBeginSnapshot() override {
    CTI_RETURN_IF_ERROR(Exec("BEGIN"));
    Status read = Exec("SELECT 1 FROM meta LIMIT 1");
    if (!read.ok()) Exec("ROLLBACK").IgnoreError();
    return read;
  }
  Status DoEndSnapshot() override { return Exec("COMMIT"); }
  Status DoPutRecord(std::string_view kind, std::string_view key,
                     std::string_view value) override {
    // Each statement is its own transaction, committed with synchronous=FULL: durable on return.
    CTI_ASSIGN_OR_RETURN(Lease s, Prepared("INSERT INTO records (kind, key, value) VALUES "
                                           "(?1, ?2, ?3) ON CONFLICT (kind, key) DO UPDATE "
                                           "SET value = excluded.value"));
    s->Bind(1, kind);
    s->Bind(2, key);
    s->Bind(3, value);
    CTI_ASSIGN_OR_RETURN(bool row, s->Step());
    (void)row;
    return Status::Ok();
  }
  Result<std::optional<std::string>> DoGetRecord(std::string_view kind,
                                                 std::string_view key) override {
    CTI_ASSIGN_OR_RETURN(Lease s,
                         Prepared("SELECT value FROM records WHERE kind = ?1 AND key = ?2"));
    s->Bind(1, kind);
    s->Bind(2, key);
    CTI_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<std::string>();
    return std::optional<std::string>(std::string(s->Text(0)));
  }
  Result<uint64_t> DoDeleteRecordsBefore(std::string_view kind,
                                         std::string_view key_bound) override {
    CTI_ASSIGN_OR_RETURN(Lease s, Prepared("DELETE FROM records WHERE kind = ?1 AND key < ?2"));
    s->Bind(1, kind);
    s->Bind(2, key_bound);
    CTI_ASSIGN_OR_RETURN(bool row, s->Step());
    (void)row;
    return static_cast<uint64_t>(sqlite3_changes(db_));
  }
  Result<std::vector<Record>> DoListRecords(std::string_view kind, std::string_view after,
                                            size_t limit) override {
    CTI_ASSIGN_OR_RETURN(Lease s, Prepared("SELECT key, value FROM records WHERE kind = ?1 AND "
                                           "key > ?2 ORDER BY key LIMIT ?3"));
    s->Bind(1, kind);
    s->Bind(2, after);
    s->Bind(3, static_cast<int64_t>(limit));
    std::vector<Record> out;
    for (;;) {
      CTI_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back({std::string(s->Text(0)), std::string(s->Text(1))});
    }
    return out;
  }
  // The id of a delivery route, added when new (inside the caller's write transaction).
  Result<int64_t> RouteId(std::string_view channel, std::string_view coll,
                          std::string_view destination) {
    const std::string key = std::string(channel) + '\n' + std::string(coll) + '\n' +
                            std::string(destination);
    if (auto it = route_ids_.find(key); it != route_ids_.end()) return it->second;
    {
      CTI_ASSIGN_OR_RETURN(Lease add, Prepared("INSERT OR IGNORE INTO delivery_routes (channel, "
                                               "coll, destination) VALUES (?1, ?2, ?3)"));
      add->Bind(1, channel);
      add->Bind(2, coll);
      add->Bind(3, destination);
      CTI_ASSIGN_OR_RETURN(bool row, add->Step());
      (void)row;
    }
    CTI_ASSIGN_OR_RETURN(Lease find, Prepared("SELECT id FROM delivery_routes WHERE channel = ?1 "
                                              "AND coll = ?2 AND destination = ?3"));
    find->Bind(1, channel);
    find->Bind(2, coll);
    find->Bind(3, destination);
    CTI_ASSIGN_OR_RETURN(bool row, find->Step());
    if (!row) return Internal("delivery route vanished");
    // Routes are never removed, so an id once read stays right (also after a rollback: the
    // cache is cleared then).
    return route_ids_[key] = find->Int(0);
  }
  Status DoRecordDeliveries(std::string_view channel,
                            const std::vector<Delivery>& deliveries) override {
    Status done = InTransaction([&]() -> Status {
      // Once per delivery: a peer re-reading what it has read adds nothing (found through the
      // idhash index the insert updates anyway).
      CTI_ASSIGN_OR_RETURN(
          Lease s, Prepared("INSERT INTO deliveries (idhash, route, local_id, sent_id) "
                            "SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM deliveries "
                            "WHERE idhash = ?1 AND route = ?2 AND local_id = ?3 AND sent_id IS ?4 "
                            "AND closed IS NULL)"));
      for (const Delivery& d : deliveries) {
        CTI_ASSIGN_OR_RETURN(int64_t route, RouteId(channel, d.collection_id, d.destination));
        s->Reset();
        s->Bind(1, IdHash(d.local_id));
        s->Bind(2, route);
        s->Bind(3, d.local_id);
        if (d.sent_id == d.local_id) {
          s->BindNull(4);
        } else {
          s->Bind(4, d.sent_id);
        }
        CTI_ASSIGN_OR_RETURN(bool row, s->Step());
        (void)row;
      }
      return Status::Ok();
    });
    if (!done.ok()) route_ids_.clear();  // may hold ids of rolled-back routes
    return done;
  }
  Result<std::vector<Delivery>> DoDeliveries(std::string_view channel,
                                             std::string_view collection_id,
                                             std::string_view local_id) override {
    CTI_ASSIGN_OR_RETURN(Lease s,
                         Prepared("SELECT DISTINCT coalesce(d.sent_id, d.local_id), r.destination "
                                  "FROM deliveries d JOIN delivery_routes r ON d.route = r.id "
                                  "WHERE d.idhash = ?1 AND d.local_id = ?2 AND r.channel = ?3 "
                                  "AND r.coll = ?4 ORDER BY 1, 2"));
    s->Bind(1, IdHash(local_id));
    s->Bind(2, local_id);
    s->Bind(3, channel);
    s->Bind(4, collection_id);
    std::vector<Delivery> out;
    for (;;) {
      CTI_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back({std::string(collection_id), std::string(local_id), std::string(s->Text(0)),
                     std::string(s->Text(1))});
    }
    return out;
  }
  Result<std::vector<Delivery>> DoDeliveriesBefore(std::string_view channel,
                                                   std::string_view collection_id,
                                                   const Tombstone& mark) override {
    CTI_ASSIGN_OR_RETURN(
        Lease s, Prepared("SELECT DISTINCT coalesce(d.sent_id, d.local_id), r.destination "
                          "FROM deliveries d JOIN delivery_routes r ON d.route = r.id "
                          "WHERE d.idhash = ?1 AND d.local_id = ?2 AND r.channel = ?3 "
                          "AND r.coll = ?4 AND (d.closed = ?5 OR (d.closed IS NULL AND ?5 < ?6)) "
                          "ORDER BY 1, 2"));
    s->Bind(1, IdHash(mark.id));
    s->Bind(2, mark.id);
    s->Bind(3, channel);
    s->Bind(4, collection_id);
    s->Bind(5, mark.seq);
    s->Bind(6, deliveries_closed_since_);
    std::vector<Delivery> out;
    for (;;) {
      CTI_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back({std::string(collection_id), mark.id, std::string(s->Text(0)),
                     std::string(s->Text(1))});
    }
    return out;
  }
  // Puts the file in WAL mode (persistent: a store made by ctihub is in it already). Changing
  // the mode takes an exclusive lock without waiting in the busy handler, so a new store that
  // another process is setting up is tried again until the busy timeout.
  Status UseWal() {
    for (int attempt = 0;; ++attempt) {
      Statement mode;
      CTI_RETURN_IF_ERROR(mode.Prepare(db_, "PRAGMA journal_mode=WAL"));
      Result<bool> row = mode.Step();
      if (row.ok()) return Status::Ok();
      if (row.status().code() != StatusCode::kUnavailable || attempt >= 1000) return row.status();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  // Adds a column unless it is there (a migration step's, see kMigrations).
  Status AddColumnIfMissing(const char* table, const char* column, const char* type) {
    Statement has;  // not cached: the table changes under it
    CTI_RETURN_IF_ERROR(has.Prepare(db_, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2"));
    has.Bind(1, std::string_view(table));
    has.Bind(2, std::string_view(column));
    CTI_ASSIGN_OR_RETURN(bool present, has.Step());
    if (present) return Status::Ok();
    return Exec(
        ("ALTER TABLE " + std::string(table) + " ADD COLUMN " + column + " " + type).c_str());
  }
  // The schema version in meta, or none when the file has no schema yet (a new file).
  Result<std::optional<std::string>> SchemaVersion() {
    Statement has;  // not cached: meta may not exist yet
    CTI_RETURN_IF_ERROR(
        has.Prepare(db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"));
    CTI_ASSIGN_OR_RETURN(bool present, has.Step());
    if (!present) return std::optional<std::string>();
    Statement version;
    CTI_RETURN_IF_ERROR(
        version.Prepare(db_, "SELECT value FROM meta WHERE key = 'schema_version'"));
    CTI_ASSIGN_OR_RETURN(bool row, version.Step());
    if (!row) return std::optional<std::string>();
    return std::optional<std::string>(std::string(version.Text(0)));
  }
  // The rest of Open for OpenMode::kReadOnly: checks the schema, changes nothing.
  Status OpenToRead(const std::string& file);
  // What the store keeps in meta besides the schema version.
  Status LoadSettings();
  // Creates the schema, or migrates it to kSchemaVersion, in one write transaction.
  Status CreateOrMigrate();
  Status CreateOrMigrateInTransaction();
  Status DoForgetDeliveries(std::string_view channel,
                            const std::vector<Delivery>& deliveries) override {
    return InTransaction([&]() -> Status {
      CTI_ASSIGN_OR_RETURN(Lease s,
                           Prepared("DELETE FROM deliveries WHERE idhash = ?1 AND local_id = ?2 "
                                    "AND coalesce(sent_id, local_id) = ?3 AND route IN (SELECT "
                                    "id FROM delivery_routes WHERE channel = ?4 AND coll = ?5)"));
      for (const Delivery& d : deliveries) {
        s->Reset();
        s->Bind(1, IdHash(d.local_id));
        s->Bind(2, d.local_id);
        s->Bind(3, d.sent_id);
        s->Bind(4, channel);
        s->Bind(5, d.collection_id);
        CTI_ASSIGN_OR_RETURN(bool row, s->Step());
        (void)row;
      }
      return Status::Ok();
    });
  }
  // Runs `work` in one write transaction: committed when it succeeds, rolled back otherwise
  // (also when it throws).
  Status InTransaction(const std::function<Status()>& work) {
    CTI_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Status done = Internal("the transaction failed");
    try {
      done = work();
    } catch (const std::exception& e) {
      done = Internal(std::string("the transaction failed: ") + e.what());
    }
    if (done.ok()) done = Exec("COMMIT");
    if (!done.ok()) Exec("ROLLBACK").IgnoreError();
    return done;
  }
  // Inside the caller's write transaction: the tombstone of an object whose last version went.
  Status AddTombstone(const Collection& collection, std::string_view id) {
    std::optional<std::string> last_key;
    {
      CTI_ASSIGN_OR_RETURN(Lease last, Prepared("SELECT max(key) FROM records WHERE kind = ?1 "
                                                "AND key > ?2 AND key < ?3"));
      last->Bind(1, internal::kTombstoneKind);
      last->Bind(2, collection.id + ' ');
      last->Bind(3, collection.id + '~');
      CTI_ASSIGN_OR_RETURN(bool row, last->Step());
      if (row && !last->IsNull(0)) last_key = std::string(last->Text(0));
    }
    const int64_t seq = internal::NextTombstoneSeq(last_key);
    CTI_RETURN_IF_ERROR(
        DoPutRecord(internal::kTombstoneKind, internal::TombstoneKey(collection.id, seq), id));
    // The deliveries of the object are now those this deletion is told to (schema 8).
    CTI_ASSIGN_OR_RETURN(Lease close,
                         Prepared("UPDATE deliveries SET closed = ?1 WHERE idhash = ?2 AND "
                                  "local_id = ?3 AND closed IS NULL AND route IN (SELECT id FROM "
                                  "delivery_routes WHERE coll = ?4)"));
    close->Bind(1, seq);
    close->Bind(2, IdHash(id));
    close->Bind(3, id);
    close->Bind(4, collection.id);
    CTI_ASSIGN_OR_RETURN(bool row, close->Step());
    (void)row;
    return Status::Ok();
  }
  Status Remark(int64_t pk, std::string_view id);
  // The interned id of a space-separated marking list (0 for none), adding it when new (inside
  // the caller's write transaction).
  Result<int64_t> MarkingSetId(const std::string& markings);
  // The text in `text_column` of the current row (decompressed), checked against the hash in
  // `hash_column`; DataLoss naming the object when it is damaged.
  Result<std::string> StoredText(Statement& s, int text_column, int hash_column,
                                 std::string_view id, std::string_view version);
  // The ids of the marking sets Query::allowed_markings/required_markings admit (for anyone,
  // and for content of Query::owner_identity only).
  struct AdmittedSets {
    std::vector<int64_t> anyone, owner_only;
  };
  Result<AdmittedSets> AdmittedMarkingSets(const Query& q);

  sqlite3* db_ = nullptr;
  std::vector<std::pair<std::string, std::unique_ptr<Statement>>> statements_;
  std::vector<std::pair<std::string, std::unique_ptr<Statement>>> dynamic_statements_;

  // Bulk imports: the id hashes already in a collection, so a new object (nearly every object
  // of an import) needs no index probe to learn it has no earlier versions. Loaded on the first
  // large batch, kept while no other connection writes (PRAGMA data_version), dropped on any
  // failed transaction. A hit only means "look it up"; a miss is certain.
  struct KnownIds {
    bool loaded = false;
    absl::flat_hash_set<int64_t> hashes;
  };
  Result<KnownIds*> KnownIdsFor(int64_t pk, size_t batch_size);
  absl::flat_hash_map<int64_t, KnownIds> known_;
  absl::flat_hash_map<std::string, int64_t> route_ids_;  // "channel\ncoll\ndestination" → id
  // Tombstones from this time on close the deliveries they are told to (schema 8); older ones
  // count every delivery not closed since.
  int64_t deliveries_closed_since_ = 0;
  // Marking sets this connection knows: text → id for writes; (id, refs) for queries, reloaded
  // when the table has grown (rows are only ever added).
  absl::flat_hash_map<std::string, int64_t> mset_ids_;
  std::vector<std::pair<int64_t, std::vector<std::string>>> msets_;
  int64_t msets_max_id_ = -1;
  int64_t data_version_ = -1;
  std::unique_ptr<internal::TextCodec> codec_;  // compresses the stored JSON texts
};

namespace {

// A file that is not a sound SQLite database (truncated, overwritten) stays DataLoss, so that
// `store check` reports it as broken rather than as unusable.
Status CannotUse(const std::string& file, const Status& s) {
  std::string message = "cannot use '" + file + "' as a store: " + s.message();
  return s.code() == StatusCode::kDataLoss ? Status(StatusCode::kDataLoss, std::move(message))
                                           : Unavailable(std::move(message));
}

}  // namespace

Result<std::unique_ptr<Store>> SqliteStore::Open(std::string_view path, OpenMode mode) {
  if (path.empty()) return InvalidArgument("sqlite: needs a file path, e.g. sqlite:hub.db");
  auto store = std::unique_ptr<SqliteStore>(new SqliteStore());
  std::string file(path);
  // SQLite says only "unable to open database file" for these; say which it is.
  if (struct stat st; ::stat(file.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return InvalidArgument("'" + file + "' is a directory; a store is a file in one (sqlite:" +
                           file + "/ctihub.db, say)");
  }
  if (const size_t slash = file.rfind('/'); slash != std::string::npos && slash > 0) {
    const std::string dir = file.substr(0, slash);
    struct stat st;
    const bool found = ::stat(dir.c_str(), &st) == 0;
    if (!found || !S_ISDIR(st.st_mode)) {
      if (mode != OpenMode::kCreateIfMissing) return NotFound("no store at " + file);
      return NotFound("cannot make a store at " + file + ": '" + dir + "' " +
                      (found ? "is not a directory"
                       : errno == ENOENT
                           ? "does not exist"
                           : std::string("cannot be reached: ") + std::strerror(errno)));
    }
  }
  // Without SQLITE_OPEN_CREATE a missing file is an error, and no file (nor -wal) is made.
  const bool read_only = mode == OpenMode::kReadOnly;
  const int access = read_only                      ? SQLITE_OPEN_READONLY
                     : mode == OpenMode::kMustExist ? SQLITE_OPEN_READWRITE
                                                    : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  int rc = OpenSqliteFile(file, access | SQLITE_OPEN_NOMUTEX, &store->db_);
  if (rc != SQLITE_OK && mode != OpenMode::kCreateIfMissing) {
    struct stat st;
    if (::stat(file.c_str(), &st) != 0 && errno == ENOENT) return NotFound("no store at " + file);
  }
  if (rc != SQLITE_OK) {
    std::string message = store->db_ ? sqlite3_errmsg(store->db_) : sqlite3_errstr(rc);
    return Unavailable("cannot open store '" + file + "': " + message);
  }
  sqlite3_busy_timeout(store->db_, 10000);
  CTI_RETURN_IF_ERROR(sqlite::CheckNotForeign(store->db_, file));
  store->codec_ = std::make_unique<internal::TextCodec>(store->db_);
  // Only read: the page size and the journal mode (persistent, WAL since the store was made)
  // are left as they are, and nothing is created or migrated.
  if (read_only) {
    CTI_RETURN_IF_ERROR(store->OpenToRead(file));
    return std::unique_ptr<Store>(std::move(store));
  }
  // 32 KiB pages: STIX objects are 0.5–5 KB, so small pages waste space and spill big objects to
  // overflow pages; measured on 300k generated objects, 32 KiB pages import 1.8× faster and
  // store 9% smaller than 4 KiB ones. Only takes effect on a new, empty file.
  if (Status s = store->Exec("PRAGMA page_size=32768"); !s.ok()) {
    return CannotUse(file, s);
  }
  // WAL: readers do not block the writer nor it them. synchronous=FULL: a commit is fsynced
  // before it returns, so an acknowledged Put survives power loss, not only a crash.
  if (Status s = store->UseWal(); !s.ok()) {
    return CannotUse(file, s);
  }
  // The WAL is checkpointed once it holds 2,048 pages (64 MiB): a long import then needs that
  // much beside the store, not as much again as it wrote (16,384 pages let it reach 512 MiB).
  // Measured on 1M generated objects: the same import time (12.0–12.3 s either way).
  for (const char* pragma : {"PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON",
                             "PRAGMA cache_size=-131072", "PRAGMA temp_store=MEMORY",
                             "PRAGMA mmap_size=4294967296", "PRAGMA wal_autocheckpoint=2048"}) {
    Status s = store->Exec(pragma);
    if (!s.ok()) {
      return CannotUse(file, s);
    }
  }
  // The schema is created or migrated under the write lock only when it is not the current
  // one, so that opening another connection to a store in use (a server's next worker) never
  // waits for its writers.
  CTI_ASSIGN_OR_RETURN(std::optional<std::string> version, store->SchemaVersion());
  if (version != std::to_string(kSchemaVersion)) {
    CTI_RETURN_IF_ERROR(store->CreateOrMigrate());
    CTI_ASSIGN_OR_RETURN(version, store->SchemaVersion());
  }
  if (version != std::to_string(kSchemaVersion)) {
    return FailedPrecondition("store '" + file + "' has schema version " + version.value_or("?") +
                              "; this ctihub needs " + std::to_string(kSchemaVersion));
  }
  CTI_RETURN_IF_ERROR(store->LoadSettings());
  return std::unique_ptr<Store>(std::move(store));
}

Status SqliteStore::OpenToRead(const std::string& file) {
  for (const char* pragma : {"PRAGMA foreign_keys=ON", "PRAGMA cache_size=-131072",
                             "PRAGMA temp_store=MEMORY", "PRAGMA mmap_size=4294967296"}) {
    Status s = Exec(pragma);
    if (!s.ok()) return CannotUse(file, s);
  }
  CTI_ASSIGN_OR_RETURN(std::optional<std::string> version, SchemaVersion());
  if (!version) {
    // A file the objects have not been stored in yet (the accounts made it, or it is empty):
    // an empty store, its tables made in the connection's TEMP schema, so the file is not
    // written.
    for (const char* sql : {kSchema, kDeliveryLedgerSql}) {
      std::string temp = sql;
      for (size_t at = 0; (at = temp.find("CREATE TABLE ", at)) != std::string::npos;) {
        temp.replace(at, 13, "CREATE TEMP TABLE ");
      }
      CTI_RETURN_IF_ERROR(Exec(temp.c_str()));
    }
    CTI_RETURN_IF_ERROR(AddColumnIfMissing("deliveries", "closed", "INTEGER"));
    return Exec(("INSERT INTO meta (key, value) VALUES ('schema_version', '" +
                 std::to_string(kSchemaVersion) + "')")
                    .c_str());
  }
  if (*version != std::to_string(kSchemaVersion)) {
    const bool older = std::any_of(std::begin(kMigrations), std::end(kMigrations),
                                   [&](const MigrationStep& m) { return m.from == *version; });
    return FailedPrecondition(
        "store '" + file + "' has schema version " + *version + "; this ctihub needs " +
        std::to_string(kSchemaVersion) +
        (older ? ": `ctihub store migrate --store sqlite:" + file +
                     "` migrates it (a command that only reads or checks never changes a store)"
               : std::string()));
  }
  return LoadSettings();
}

Status SqliteStore::LoadSettings() {
  CTI_ASSIGN_OR_RETURN(Lease since,
                       Prepared("SELECT value FROM meta WHERE key = 'deliveries_closed_since'"));
  CTI_ASSIGN_OR_RETURN(bool has, since->Step());
  if (has) deliveries_closed_since_ = std::stoll(std::string(since->Text(0)));
  return Status::Ok();
}

Status SqliteStore::CreateOrMigrate() {
  CTI_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  Status done = CreateOrMigrateInTransaction();
  if (done.ok()) done = Exec("COMMIT");
  if (!done.ok()) Exec("ROLLBACK").IgnoreError();
  return done;
}

Status SqliteStore::CreateOrMigrateInTransaction() {
  // Read again under the write lock: another process may have created or migrated the store
  // while this one waited for it (three commands started at once on a new store failed on each
  // other's work before).
  CTI_ASSIGN_OR_RETURN(std::optional<std::string> version, SchemaVersion());
  if (!version) {
    CTI_RETURN_IF_ERROR(Exec(kSchema));
    CTI_RETURN_IF_ERROR(Exec(kDeliveryLedgerSql));
    CTI_RETURN_IF_ERROR(AddColumnIfMissing("deliveries", "closed", "INTEGER"));
    CTI_RETURN_IF_ERROR(
        Exec("INSERT OR REPLACE INTO meta (key, value) VALUES "
             "('deliveries_closed_since', '0')"));
    return Exec(("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', '" +
                 std::to_string(kSchemaVersion) + "')")
                    .c_str());
  }
  // One step at a time: 2 → 3 → 4 → 5 → 6 → 7 → 8. A version not among them (a newer
  // ctihub's) is left alone; Open refuses it.
  bool applying = false;
  for (const MigrationStep& step : kMigrations) {
    applying = applying || step.from == *version;
    if (!applying) continue;
    if (step.table) CTI_RETURN_IF_ERROR(AddColumnIfMissing(step.table, step.column, step.type));
    if (step.sql == kMigrateTo5) CTI_RETURN_IF_ERROR(Exec(kDeliveryLedgerSql));
    if (step.sql == kMigrateTo8) {
      // From now on tombstones close deliveries (kept if a step before set it).
      CTI_RETURN_IF_ERROR(
          Exec(("INSERT OR IGNORE INTO meta (key, value) VALUES ('deliveries_closed_since', '" +
                std::to_string(Timestamp::Now().micros()) + "')")
                   .c_str()));
    }
    CTI_RETURN_IF_ERROR(Exec(step.sql));
  }
  return Status::Ok();
}

Result<PutResult> SqliteStore::DoPut(const Collection& collection,
                                     const std::vector<stix::ObjectVersion>& batch, PutMode mode,
                                     std::string_view origin) {
  CTI_ASSIGN_OR_RETURN(int64_t pk, CollectionPk(collection));
  CTI_ASSIGN_OR_RETURN(bool compress, codec_->Ready());
  if (!compress && batch.size() >= 1000) {
    std::vector<std::string_view> samples;
    samples.reserve(batch.size());
    for (const stix::ObjectVersion& v : batch) samples.push_back(v.text);
    CTI_RETURN_IF_ERROR(codec_->TrainIfNeeded(samples));
  }
  // IMMEDIATE takes the write lock now, so the batch cannot fail half-way on a busy database.
  CTI_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  // An exception (out of memory while compressing) must still end in ROLLBACK: a transaction
  // left open would keep the write lock and wedge every writer of the node.
  Result<PutResult> result = Internal("storing the batch failed");
  try {
    result = PutInTransaction(pk, batch, origin);
  } catch (const std::exception& e) {
    result = Internal(std::string("storing the batch failed: ") + e.what());
  }
  if (!result.ok() || (mode == PutMode::kAllOrNothing && result->rejected > 0)) {
    Exec("ROLLBACK").IgnoreError();
    known_.clear();  // it may hold ids of the rolled-back rows
    mset_ids_.clear();
    if (result.ok()) result->committed = false;
    return result;
  }
  Status committed = Exec("COMMIT");
  if (!committed.ok()) {
    Exec("ROLLBACK").IgnoreError();
    known_.clear();
    mset_ids_.clear();
    return committed;
  }
  return result;
}

Result<SqliteStore::KnownIds*> SqliteStore::KnownIdsFor(int64_t pk, size_t batch_size) {
  // data_version changes when another connection commits; then what we know may be stale.
  CTI_ASSIGN_OR_RETURN(Lease version, Prepared("PRAGMA data_version"));
  CTI_ASSIGN_OR_RETURN(bool row, version->Step());
  int64_t now = row ? version->Int(0) : -1;
  if (now != data_version_) {
    known_.clear();
    data_version_ = now;
  }
  KnownIds& known = known_[pk];
  if (!known.loaded && batch_size >= 1000) {
    CTI_ASSIGN_OR_RETURN(Lease all, Prepared("SELECT idhash FROM objects WHERE coll = ?1"));
    all->Bind(1, pk);
    for (;;) {
      CTI_ASSIGN_OR_RETURN(bool more, all->Step());
      if (!more) break;
      known.hashes.insert(all->Int(0));
    }
    known.loaded = true;
  }
  return known.loaded ? &known : nullptr;
}

Result<PutResult> SqliteStore::PutInTransaction(int64_t pk,
                                                const std::vector<stix::ObjectVersion>& batch,
                                                std::string_view origin) {
  PutResult result;
  CTI_ASSIGN_OR_RETURN(Lease last,
                       Prepared("SELECT last_added FROM collections WHERE pk = ?1"));
  last->Bind(1, pk);
  CTI_ASSIGN_OR_RETURN(bool have_last, last->Step());
  int64_t last_added = have_last ? last->Int(0) : 0;
  int64_t added = std::max(Timestamp::Now().micros(), last_added + 1);
  CTI_ASSIGN_OR_RETURN(bool compress, codec_->Ready());

  CTI_ASSIGN_OR_RETURN(Lease versions,
                       Prepared("SELECT version, text_hash, created_by, origin, revoked "
                                "FROM objects WHERE coll = ?1 AND idhash = ?3 AND id = ?2"));
  CTI_ASSIGN_OR_RETURN(Lease clashing_text,
                       Prepared("SELECT json FROM objects WHERE coll = ?1 AND idhash = ?3 AND "
                                "id = ?2 AND version = ?4"));
  CTI_ASSIGN_OR_RETURN(Lease insert,
                       Prepared("INSERT INTO objects (coll, id, version, version_text, type, "
                                "spec_version, date_added, is_first, is_latest, revoked, "
                                "created_by, tlp, markings, text_hash, json, idhash, mset, "
                                "origin, latest_mset) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                                "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"));
  // A new latest version: every version of the id takes its value (kMigrateTo7).
  CTI_ASSIGN_OR_RETURN(Lease set_latest_mset,
                       Prepared("UPDATE objects SET latest_mset = ?4 WHERE coll = ?1 AND "
                                "idhash = ?3 AND id = ?2 AND latest_mset <> ?4"));
  // An older version: it takes the latest's.
  CTI_ASSIGN_OR_RETURN(Lease latest_mset,
                       Prepared("SELECT latest_mset FROM objects WHERE coll = ?1 AND idhash = ?3 "
                                "AND id = ?2 AND is_latest = 1"));
  CTI_ASSIGN_OR_RETURN(Lease clear_latest,
                       Prepared("UPDATE objects SET is_latest = 0 WHERE coll = ?1 AND idhash = ?3 "
                                "AND id = ?2 AND is_latest = 1"));
  CTI_ASSIGN_OR_RETURN(Lease clear_first,
                       Prepared("UPDATE objects SET is_first = 0 WHERE coll = ?1 AND idhash = ?3 "
                                "AND id = ?2 AND is_first = 1"));
  CTI_ASSIGN_OR_RETURN(KnownIds * known, KnownIdsFor(pk, batch.size()));
  std::vector<internal::ExistingVersion> existing;
  std::string markings;
  result.outcomes.reserve(batch.size());
  result.reasons.reserve(batch.size());
  for (const stix::ObjectVersion& v : batch) {
    uint64_t hash = internal::TextHash(v.text);
    existing.clear();
    const int64_t idhash = IdHash(v.id);
    if (!known || known->hashes.contains(idhash)) {
      versions->Reset();
      versions->Bind(1, pk);
      versions->Bind(2, v.id);
      versions->Bind(3, idhash);
      for (;;) {
        CTI_ASSIGN_OR_RETURN(bool row, versions->Step());
        if (!row) break;
        existing.push_back(
            {versions->Int(0), static_cast<uint64_t>(versions->Int(1)),
             std::string(versions->IsNull(2) ? std::string_view() : versions->Text(2)),
             std::string(versions->IsNull(3) ? std::string_view() : versions->Text(3)),
             versions->Int(4) != 0});
      }
    }
    internal::PutDecision d = internal::DecidePut(v, hash, existing, origin);
    // The text of a stored version of this id, for what its columns do not say.
    auto stored_text = [&](int64_t version) -> Result<std::optional<std::string>> {
      clashing_text->Reset();
      clashing_text->Bind(1, pk);
      clashing_text->Bind(2, v.id);
      clashing_text->Bind(3, idhash);
      clashing_text->Bind(4, version);
      CTI_ASSIGN_OR_RETURN(bool row, clashing_text->Step());
      if (!row) return std::optional<std::string>();
      if (clashing_text->IsBlob(0)) {
        CTI_ASSIGN_OR_RETURN(std::string text, codec_->Decompress(clashing_text->Text(0)));
        return std::optional<std::string>(std::move(text));
      }
      return std::optional<std::string>(std::string(clashing_text->Text(0)));
    };
    if (d.clash_with) {
      CTI_ASSIGN_OR_RETURN(std::optional<std::string> stored, stored_text(*d.clash_with));
      if (stored) internal::ReconsiderClash(d, v, *stored);
    }
    if (d.outcome == PutOutcome::kNewVersion && v.created) {
      CTI_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                           stored_text(existing.front().version));
      if (stored) internal::CheckCreatedKept(d, v, *stored);
    }
    result.outcomes.push_back(d.outcome);
    result.reasons.push_back(std::move(d.reason));
    switch (d.outcome) {
      case PutOutcome::kDuplicate: ++result.duplicates; continue;
      case PutOutcome::kRejected: ++result.rejected; continue;
      case PutOutcome::kAdded: ++result.added; break;
      case PutOutcome::kNewVersion: ++result.new_versions; break;
    }
    if (d.outcome == PutOutcome::kNewVersion) {
      for (Statement* clear : {d.latest ? &*clear_latest : nullptr,
                               d.first ? &*clear_first : nullptr}) {
        if (!clear) continue;
        clear->Reset();
        clear->Bind(1, pk);
        clear->Bind(2, v.id);
        clear->Bind(3, idhash);
        CTI_ASSIGN_OR_RETURN(bool row, clear->Step());
        (void)row;
      }
    }
    markings.clear();
    for (const std::string& m : v.object_marking_refs) {
      if (!markings.empty()) markings += ' ';
      markings += m;
    }
    // The marking set is interned on the object markings alone: few distinct sets keep the
    // release filter's `mset IN (…)` short.
    CTI_ASSIGN_OR_RETURN(int64_t mset, MarkingSetId(markings));
    // Then the granular markings' refs as "g:REF", ended by a bare "g:" that says they are
    // recorded (rows from before have no "g:" at all), so the release gate knows without
    // reading the text whether an object has granular markings and which.
    for (const stix::GranularMarking& g : v.granular_markings) {
      if (!g.marking_ref.empty()) markings += (markings.empty() ? "g:" : " g:") + g.marking_ref;
    }
    markings += markings.empty() ? "g:" : " g:";
    insert->Reset();
    insert->Bind(1, pk);
    insert->Bind(2, v.id);
    insert->Bind(3, internal::VersionOf(v));
    const std::string version_text = internal::VersionTextOf(v);
    insert->Bind(4, version_text);
    insert->Bind(5, v.type);
    insert->Bind(6, v.spec_version.empty() ? std::string_view("2.1") : v.spec_version);
    insert->Bind(7, added);
    insert->Bind(8, int64_t{d.first});
    insert->Bind(9, int64_t{d.latest});
    insert->Bind(10, int64_t{v.revoked});
    if (v.created_by_ref.empty()) {
      insert->BindNull(11);
    } else {
      insert->Bind(11, v.created_by_ref);
    }
    insert->Bind(12, int64_t{internal::HighestTlp(v.object_marking_refs)});
    insert->Bind(13, markings);
    insert->Bind(14, static_cast<int64_t>(hash));
    if (compress) {
      CTI_ASSIGN_OR_RETURN(std::string_view frame, codec_->Compress(v.text));
      insert->BindBlob(15, frame);
    } else {
      insert->Bind(15, v.text);
    }
    insert->Bind(16, idhash);
    insert->Bind(17, mset);
    if (origin.empty()) {
      insert->BindNull(18);
    } else {
      insert->Bind(18, origin);
    }
    // As CTIHUB_LATEST_MSET_OF: granular markings (recorded as "g:REF") need the full decision.
    const bool granular = std::any_of(v.granular_markings.begin(), v.granular_markings.end(),
                                      [](const stix::GranularMarking& g) {
                                        return !g.marking_ref.empty();
                                      });
    int64_t latest = granular ? -1 : mset;
    if (d.outcome == PutOutcome::kNewVersion) {
      Statement& s = d.latest ? *set_latest_mset : *latest_mset;
      s.Reset();
      s.Bind(1, pk);
      s.Bind(2, v.id);
      s.Bind(3, idhash);
      if (d.latest) s.Bind(4, latest);
      CTI_ASSIGN_OR_RETURN(bool found, s.Step());
      if (!d.latest && found) latest = s.Int(0);
    }
    insert->Bind(19, latest);
    CTI_ASSIGN_OR_RETURN(bool row, insert->Step());
    (void)row;
    if (known) known->hashes.insert(idhash);
    if (!result.first_date_added) result.first_date_added = Timestamp(added);
    result.last_date_added = Timestamp(added);
    last_added = added++;
  }
  CTI_ASSIGN_OR_RETURN(Lease update,
                       Prepared("UPDATE collections SET last_added = ?2 WHERE pk = ?1"));
  update->Bind(1, pk);
  update->Bind(2, last_added);
  CTI_ASSIGN_OR_RETURN(bool row, update->Step());
  (void)row;
  return result;
}

Result<Page> SqliteStore::DoList(const Collection& collection, const Query& q) {
  CTI_ASSIGN_OR_RETURN(int64_t pk, CollectionPk(collection));
  // Built from fixed fragments and numbered parameters only: values are never spliced into SQL.
  std::string sql =
      "SELECT row, date_added, id, type, spec_version, version, version_text, revoked";
  sql += q.with_text ? ", json" : ", ''";
  sql += ", markings, created_by, origin, is_first, is_latest, text_hash";
  sql += " FROM objects WHERE coll = ?1";
  int next = 2;
  std::vector<std::pair<int, std::string_view>> texts;
  std::vector<std::pair<int, int64_t>> ints;
  auto param_list = [&](const std::vector<std::string>& values) {
    std::string list = "(";
    for (size_t i = 0; i < values.size(); ++i) {
      if (i) list += ", ";
      list += "?" + std::to_string(next);
      texts.emplace_back(next++, values[i]);
    }
    return list + ")";
  };
  // With ids given, the (coll, idhash, version) index must find the rows: a date range (an
  // embargo's or victims.pending's added_until) let the planner walk the date_added index over
  // the whole collection instead, once per page of other-version lookups (an export under a
  // victims profile took ten times as long). "+" keeps a term from choosing an index.
  const std::string date_added = q.ids.empty() ? "date_added" : "+date_added";
  if (q.after) {
    sql += " AND (" + date_added + ", row) > (?" + std::to_string(next) + ", ?" +
           std::to_string(next + 1) + ")";
    ints.emplace_back(next++, q.after->date_added);
    ints.emplace_back(next++, q.after->row);
  }
  if (q.added_after) {
    sql += " AND " + date_added + " > ?" + std::to_string(next);
    ints.emplace_back(next++, q.added_after->micros());
  }
  if (q.added_until) {
    sql += " AND " + date_added + " <= ?" + std::to_string(next);
    ints.emplace_back(next++, q.added_until->micros());
  }
  // The release gate's marking filter (internal::MarkingsPass), decided once per distinct
  // marking set and applied as `mset IN (…)` on the date_added index.
  if (q.allowed_markings) {
    CTI_ASSIGN_OR_RETURN(AdmittedSets admitted, AdmittedMarkingSets(q));
    auto in_list = [&](const std::vector<int64_t>& ids, std::string_view column = "mset") {
      std::string list;
      for (int64_t id : ids) {
        list += (list.empty() ? "?" : ", ?") + std::to_string(next);
        ints.emplace_back(next++, id);
      }
      return list.empty() ? std::string("0") : std::string(column) + " IN (" + list + ")";
    };
    std::string anyone = in_list(admitted.anyone);
    if (!q.unmarked_types_decided.empty() &&
        std::find(admitted.anyone.begin(), admitted.anyone.end(), 0) == admitted.anyone.end()) {
      anyone =
          "(" + anyone + " OR (mset = 0 AND type IN " + param_list(q.unmarked_types_decided) + "))";
    }
    if (q.skip_superseded_when_latest_under) {
      // On the latest version's marking set, which the index carries too.
      Query under = q;
      under.allowed_markings = q.skip_superseded_when_latest_under;
      CTI_ASSIGN_OR_RETURN(AdmittedSets released, AdmittedMarkingSets(under));
      sql += " AND (is_latest = 1 OR NOT " + in_list(released.anyone, "latest_mset") + ")";
    }
    if (admitted.owner_only.empty()) {
      sql += " AND " + anyone;
    } else {
      // The owner's branch needs created_by (a table read) only for the rare rows whose
      // marking set is in it.
      std::string owner = in_list(admitted.owner_only);
      sql += " AND (" + anyone + " OR (" + owner + " AND created_by = ?" + std::to_string(next) +
             "))";
      texts.emplace_back(next++, std::string_view(q.owner_identity));
    }
  }
  if (!q.exclude_origins.empty()) {
    sql += " AND (origin IS NULL OR origin NOT IN " + param_list(q.exclude_origins) + ")";
  }
  if (!q.ids.empty()) {
    std::string hashes = "(";
    for (size_t i = 0; i < q.ids.size(); ++i) {
      if (i) hashes += ", ";
      hashes += "?" + std::to_string(next);
      ints.emplace_back(next++, IdHash(q.ids[i]));
    }
    sql += " AND idhash IN " + hashes + ") AND id IN " + param_list(q.ids);
  }
  if (!q.types.empty()) sql += " AND type IN " + param_list(q.types);
  if (!q.exclude_types.empty()) sql += " AND type NOT IN " + param_list(q.exclude_types);
  if (!q.spec_versions.empty()) sql += " AND spec_version IN " + param_list(q.spec_versions);
  if (!q.versions.all) {
    std::string cond;
    if (q.versions.last) cond += "is_latest = 1";
    if (q.versions.first) cond += std::string(cond.empty() ? "" : " OR ") + "is_first = 1";
    for (int64_t v : q.versions.at) {
      // An SCO (no version text) is named by its date_added (internal::Selected).
      std::string p = "?" + std::to_string(next);
      cond += std::string(cond.empty() ? "" : " OR ") + "(version = " + p +
              " AND version_text <> '') OR (version_text = '' AND date_added = " + p + ")";
      ints.emplace_back(next++, v);
    }
    sql += " AND (" + (cond.empty() ? std::string("0") : cond) + ")";
  }
  if (q.max_tlp) {
    sql += " AND (tlp BETWEEN 0 AND ?" + std::to_string(next);
    ints.emplace_back(next++, *q.max_tlp);
    sql += q.include_unmarked ? " OR tlp < 0)" : ")";
  }
  // Markings are stored space-separated; search for " ref " in " markings " so one id never
  // matches inside another. The padded copies outlive the statement's execution.
  std::vector<std::string> padded;
  padded.reserve(q.marking_refs.size());
  if (!q.marking_refs.empty()) {
    std::string cond;
    for (const std::string& m : q.marking_refs) {
      padded.push_back(" " + m + " ");
      cond += std::string(cond.empty() ? "" : " OR ") + "instr(' ' || markings || ' ', ?" +
              std::to_string(next) + ") > 0";
      texts.emplace_back(next++, std::string_view(padded.back()));
    }
    sql += " AND (" + cond + ")";
  }
  // With ids given, the (coll, id, version) index finds the few rows directly; without this the
  // planner (no statistics on a fresh store) walks the date_added index to avoid a sort — a
  // full scan for a get-by-id. "+ 0" keeps that ordering index out of consideration.
  // date_added is unique within a collection (strictly increasing), so it orders alone — and
  // the date_added index (which carries is_latest and mset after it) then needs no sort step.
  sql += q.ids.empty() ? " ORDER BY date_added" : " ORDER BY date_added + 0";
  sql += " LIMIT ?" + std::to_string(next);
  ints.emplace_back(next++, static_cast<int64_t>(q.limit) + 1);

  CTI_ASSIGN_OR_RETURN(Lease s, Prepared(sql, /*dynamic=*/true));
  s->Bind(1, pk);
  for (const auto& [index, value] : ints) s->Bind(index, value);
  for (const auto& [index, value] : texts) s->Bind(index, value);
  Page page;
  page.objects.reserve(std::min<size_t>(q.limit, 4096));  // no regrowth moves within a page
  size_t bytes = 0;
  for (;;) {
    CTI_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    if (page.objects.size() == q.limit || (q.max_text_bytes && bytes >= q.max_text_bytes)) {
      page.more = true;
      const StoredObject& last = page.objects.back();
      page.next = Cursor{last.date_added.micros(), last.row};
      break;
    }
    StoredObject o;
    o.row = s->Int(0);
    o.date_added = Timestamp(s->Int(1));
    o.id = std::string(s->Text(2));
    o.type = std::string(s->Text(3));
    o.spec_version = std::string(s->Text(4));
    o.version = s->Int(5);
    o.version_text = std::string(s->Text(6));
    o.revoked = s->Int(7) != 0;
    for (std::string_view rest = s->Text(9); !rest.empty();) {
      size_t space = rest.find(' ');
      std::string_view token = rest.substr(0, space);
      if (token.rfind("g:", 0) == 0) {
        o.granular_known = true;
        if (token.size() > 2) o.granular_refs.emplace_back(token.substr(2));
      } else {
        o.markings.emplace_back(token);
      }
      rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
    o.created_by = std::string(s->Text(10));
    o.origin = std::string(s->Text(11));
    o.is_first = s->Int(12) != 0;
    o.is_latest = s->Int(13) != 0;
    if (q.with_text) {
      CTI_ASSIGN_OR_RETURN(o.text, StoredText(*s, 8, 14, o.id, o.version_text));
    }
    bytes += o.text.size();
    page.objects.push_back(std::move(o));
  }
  return page;
}

Result<int64_t> SqliteStore::MarkingSetId(const std::string& markings) {
  if (markings.empty()) return int64_t{0};
  if (auto it = mset_ids_.find(markings); it != mset_ids_.end()) return it->second;
  CTI_ASSIGN_OR_RETURN(Lease find, Prepared("SELECT id FROM marking_sets WHERE markings = ?1"));
  find->Bind(1, markings);
  CTI_ASSIGN_OR_RETURN(bool found, find->Step());
  int64_t id = 0;
  if (found) {
    id = find->Int(0);
  } else {
    CTI_ASSIGN_OR_RETURN(Lease add, Prepared("INSERT INTO marking_sets (markings) VALUES (?1)"));
    add->Bind(1, markings);
    CTI_ASSIGN_OR_RETURN(bool row, add->Step());
    (void)row;
    id = sqlite3_last_insert_rowid(db_);
  }
  mset_ids_.emplace(markings, id);
  return id;
}

Result<SqliteStore::AdmittedSets> SqliteStore::AdmittedMarkingSets(const Query& q) {
  CTI_ASSIGN_OR_RETURN(Lease max, Prepared("SELECT coalesce(max(id), 0) FROM marking_sets"));
  CTI_ASSIGN_OR_RETURN(bool row, max->Step());
  int64_t max_id = row ? max->Int(0) : 0;
  if (max_id != msets_max_id_) {
    msets_.clear();
    CTI_ASSIGN_OR_RETURN(Lease all, Prepared("SELECT id, markings FROM marking_sets ORDER BY id"));
    for (;;) {
      CTI_ASSIGN_OR_RETURN(bool more, all->Step());
      if (!more) break;
      std::vector<std::string> refs;  // object markings only: "g:" ones are granular
      for (std::string_view rest = all->Text(1); !rest.empty();) {
        size_t space = rest.find(' ');
        std::string_view token = rest.substr(0, space);
        if (token.rfind("g:", 0) != 0) refs.emplace_back(token);
        rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
      }
      msets_.emplace_back(all->Int(0), std::move(refs));
    }
    msets_max_id_ = max_id;
  }
  AdmittedSets admitted;
  if (internal::MarkingsPass(q, {})) admitted.anyone.push_back(0);
  for (const auto& [id, refs] : msets_) {
    if (internal::MarkingsPass(q, refs)) {
      admitted.anyone.push_back(id);
    } else if (internal::MarkingsPass(q, refs, /*by_owner=*/true)) {
      admitted.owner_only.push_back(id);
    }
  }
  return admitted;
}

Status SqliteStore::Remark(int64_t pk, std::string_view id) {
  CTI_ASSIGN_OR_RETURN(Lease s,
      Prepared("UPDATE objects SET "
               "is_first = (version = (SELECT MIN(version) FROM objects o WHERE o.coll = ?1 AND "
               "o.idhash = ?3 AND o.id = ?2)), "
               "is_latest = (version = (SELECT MAX(version) FROM objects o WHERE o.coll = ?1 AND "
               "o.idhash = ?3 AND o.id = ?2)), "
               "latest_mset = (SELECT " CTIHUB_LATEST_MSET_OF("o") " FROM objects o WHERE "
               "o.coll = ?1 AND o.idhash = ?3 AND o.id = ?2 ORDER BY version DESC LIMIT 1) "
               "WHERE coll = ?1 AND idhash = ?3 AND id = ?2"));
  s->Bind(1, pk);
  s->Bind(2, id);
  s->Bind(3, IdHash(id));
  CTI_ASSIGN_OR_RETURN(bool row, s->Step());
  (void)row;
  return Status::Ok();
}

Result<uint64_t> SqliteStore::DoDelete(const Collection& collection, std::string_view id,
                                       const VersionMatch& versions) {
  CTI_ASSIGN_OR_RETURN(int64_t pk, CollectionPk(collection));
  CTI_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto run = [&]() -> Result<uint64_t> {
    CTI_ASSIGN_OR_RETURN(Lease s, Prepared("SELECT row, version, is_first, is_latest, date_added, "
                                           "version_text <> '' FROM objects WHERE coll = ?1 AND "
                                           "idhash = ?3 AND id = ?2"));
    s->Bind(1, pk);
    s->Bind(2, id);
    s->Bind(3, IdHash(id));
    std::vector<int64_t> doomed;
    size_t found = 0;
    for (;;) {
      CTI_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      ++found;
      if (internal::Selected(versions, s->Int(1), s->Int(5) != 0, s->Int(4), s->Int(2) != 0,
                             s->Int(3) != 0)) {
        doomed.push_back(s->Int(0));
      }
    }
    CTI_ASSIGN_OR_RETURN(Lease del, Prepared("DELETE FROM objects WHERE row = ?1"));
    for (int64_t row_id : doomed) {
      del->Reset();
      del->Bind(1, row_id);
      CTI_ASSIGN_OR_RETURN(bool row, del->Step());
      (void)row;
    }
    if (!doomed.empty()) CTI_RETURN_IF_ERROR(Remark(pk, id));
    if (!doomed.empty() && doomed.size() == found) {
      CTI_RETURN_IF_ERROR(AddTombstone(collection, id));
    }
    return static_cast<uint64_t>(doomed.size());
  };
  Result<uint64_t> removed = Internal("deleting failed");
  try {
    removed = run();
  } catch (const std::exception& e) {  // see DoPut: never leave the transaction open
    removed = Internal(std::string("deleting failed: ") + e.what());
  }
  if (!removed.ok()) {
    Exec("ROLLBACK").IgnoreError();
    return removed;
  }
  if (Status committed = Exec("COMMIT"); !committed.ok()) {
    Exec("ROLLBACK").IgnoreError();
    return committed;
  }
  known_.clear();
  return removed;
}

Result<std::string> SqliteStore::StoredText(Statement& s, int text_column, int hash_column,
                                            std::string_view id, std::string_view version) {
  std::string text;
  if (s.IsBlob(text_column)) {
    Result<std::string> decompressed = codec_->Decompress(s.Text(text_column));
    if (!decompressed.ok()) {
      return DataLoss("the stored text of " + std::string(id) + " " + std::string(version) +
                      " is damaged (" + decompressed.status().message() +
                      "); restore the store from a backup (`ctihub store check` lists what is "
                      "damaged)");
    }
    text = std::move(*decompressed);
  } else {
    text = std::string(s.Text(text_column));
  }
  // The hash taken when it was written: a flipped bit that still decompresses, or bytes put in
  // place of the text, are never served as the object.
  if (internal::TextHash(text) != static_cast<uint64_t>(s.Int(hash_column))) {
    return DataLoss("the stored text of " + std::string(id) + " " + std::string(version) +
                    " is damaged (it no longer matches its hash); restore the store from a "
                    "backup (`ctihub store check` lists what is damaged)");
  }
  return text;
}

Status SqliteStore::DoCheck() {
  CTI_ASSIGN_OR_RETURN(Lease s, Prepared("PRAGMA integrity_check"));
  std::string problems;
  for (;;) {
    CTI_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    if (s->Text(0) != "ok") problems += std::string(s->Text(0)) + "; ";
  }
  if (!problems.empty()) return DataLoss("SQLite integrity check failed: " + problems);
  CTI_ASSIGN_OR_RETURN(Lease marks,
                       Prepared("SELECT id, SUM(is_first), SUM(is_latest) FROM objects GROUP BY "
                                "coll, idhash, id HAVING SUM(is_first) <> 1 OR SUM(is_latest) <> 1 "
                                "LIMIT 5"));
  for (;;) {
    CTI_ASSIGN_OR_RETURN(bool row, marks->Step());
    if (!row) break;
    problems += std::string(marks->Text(0)) + " has " + std::to_string(marks->Int(1)) +
                " first and " + std::to_string(marks->Int(2)) + " latest versions; ";
  }
  CTI_ASSIGN_OR_RETURN(Lease latest,
                       Prepared("SELECT o.id FROM objects o JOIN objects l ON l.coll = o.coll AND "
                                "l.idhash = o.idhash AND l.id = o.id AND l.is_latest = 1 WHERE "
                                "o.latest_mset <> " CTIHUB_LATEST_MSET_OF("l") " LIMIT 5"));
  for (;;) {
    CTI_ASSIGN_OR_RETURN(bool row, latest->Step());
    if (!row) break;
    problems += std::string(latest->Text(0)) + " has a version that misremembers its latest "
                "version's markings; ";
  }
  // Every stored text, as a reader would get it (decompressed, and matching its hash).
  CTI_ASSIGN_OR_RETURN(Lease texts,
                       Prepared("SELECT id, version_text, json, text_hash FROM objects"));
  uint64_t damaged = 0;
  for (;;) {
    CTI_ASSIGN_OR_RETURN(bool row, texts->Step());
    if (!row) break;
    Result<std::string> text = StoredText(*texts, 2, 3, texts->Text(0), texts->Text(1));
    if (text.ok()) continue;
    if (text.status().code() != StatusCode::kDataLoss) return text.status();
    if (++damaged <= 5) {
      problems += std::string(texts->Text(0)) + " " + std::string(texts->Text(1)) + "; ";
    }
  }
  if (damaged > 5) problems += "and " + std::to_string(damaged - 5) + " more; ";
  if (!problems.empty()) {
    problems.resize(problems.size() - 2);  // the last "; "
    return DataLoss(damaged ? std::to_string(damaged) +
                                  " stored object texts are damaged "
                                  "(restore the store from a backup): " +
                                  problems
                            : "store invariant broken: " + problems);
  }
  return Status::Ok();
}

Result<StoreStats> SqliteStore::DoStats() {
  StoreStats stats;
  CTI_ASSIGN_OR_RETURN(Lease c, Prepared("SELECT COUNT(*) FROM collections"));
  CTI_ASSIGN_OR_RETURN(bool row, c->Step());
  if (row) stats.collections = static_cast<uint64_t>(c->Int(0));
  CTI_ASSIGN_OR_RETURN(Lease o, Prepared("SELECT COUNT(*) FROM objects"));
  CTI_ASSIGN_OR_RETURN(row, o->Step());
  if (row) stats.objects = static_cast<uint64_t>(o->Int(0));
  CTI_ASSIGN_OR_RETURN(Lease p,
                       Prepared("SELECT page_count * page_size FROM pragma_page_count(), "
                                "pragma_page_size()"));
  CTI_ASSIGN_OR_RETURN(row, p->Step());
  if (row) stats.bytes = static_cast<uint64_t>(p->Int(0));
  return stats;
}

}  // namespace

void RegisterSqliteBackend() {
  RegisterBackend(
      "sqlite", [](std::string_view path, OpenMode mode) { return SqliteStore::Open(path, mode); });
}

}  // namespace ctihub::store
