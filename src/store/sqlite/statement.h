// store/sqlite/statement: the small SQLite helpers every module keeping tables in the node's
// store file shares (the object store, the accounts): status mapping of SQLite errors, a prepared
// statement with 1-based binds, and a lease that resets it. Header-only, so a module using it
// needs SQLite but not the object store.
#pragma once

#include <sqlite3.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"

namespace ctihub::sqlite {

// busy or locked → Unavailable (retry), corrupt → DataLoss, full → ResourceExhausted.
inline Status SqlError(sqlite3* db, std::string_view what) {
  int code = sqlite3_errcode(db) & 0xff;  // the primary code, should extended ones be on
  StatusCode status = code == SQLITE_BUSY || code == SQLITE_LOCKED ? StatusCode::kUnavailable
                      : code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? StatusCode::kDataLoss
                      : code == SQLITE_FULL    ? StatusCode::kResourceExhausted
                                               : StatusCode::kInternal;
  return Status(status, std::string(what) + ": " + sqlite3_errmsg(db));
}

// FailedPrecondition when `file` is another application's SQLite database: tables, and none of
// ctihub's (meta, account_*, audit_*). A mistyped --store naming one must not get ctihub's tables
// added to it, nor pass a check as an empty store.
inline Status CheckNotForeign(sqlite3* db, const std::string& file) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db,
                         "SELECT name FROM sqlite_master WHERE type = 'table' AND "
                         "substr(name, 1, 7) <> 'sqlite_' ORDER BY name",
                         -1, &s, nullptr) != SQLITE_OK) {
    return Status::Ok();  // not readable as a database: the caller's own statements say so
  }
  bool ours = false;
  std::string others;
  size_t count = 0;
  while (sqlite3_step(s) == SQLITE_ROW) {
    const std::string name(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
    if (name == "meta" || name.rfind("account_", 0) == 0 || name.rfind("audit_", 0) == 0) {
      ours = true;
    } else if (count++ < 3) {
      others += (others.empty() ? "" : ", ") + name;
    }
  }
  sqlite3_finalize(s);
  if (ours || count == 0) return Status::Ok();
  return Status(StatusCode::kFailedPrecondition,
                file +
                    " is not a ctihub store: it is an SQLite database of something else (tables " +
                    others + (count > 3 ? ", …" : "") + "); check --store / $CTIHUB_STORE");
}

// Opens the store file with sqlite3_open_v2's `flags`. A WAL file this process can neither
// write nor find its WAL index beside (a read-only mount, an evidence copy in a read-only
// directory) cannot be read the usual way: SQLite has to make `FILE-shm`. When no connection has
// it open (there is no `FILE-wal`) it is opened immutable instead — read-only, without locks, and
// nothing made beside it. The caller's own statements report any other problem.
inline int OpenSqliteFile(const std::string& file, int flags, sqlite3** db) {
  int rc = sqlite3_open_v2(file.c_str(), db, flags, nullptr);
  if (rc != SQLITE_OK) return rc;
  if (sqlite3_exec(*db, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr) ==
      SQLITE_OK) {
    return SQLITE_OK;
  }
  const int code = sqlite3_errcode(*db) & 0xff;
  if ((code != SQLITE_READONLY && code != SQLITE_CANTOPEN) || ::access(file.c_str(), W_OK) == 0 ||
      ::access((file + "-wal").c_str(), F_OK) == 0) {
    return SQLITE_OK;
  }
  sqlite3_close_v2(*db);
  *db = nullptr;
  // A URI file name: '%', '?' and '#' in the path are escaped so they stay part of it.
  std::string uri = "file:";
  for (char c : file) {
    if (c == '%' || c == '?' || c == '#') {
      static constexpr char kHex[] = "0123456789ABCDEF";
      uri += '%';
      uri += kHex[static_cast<unsigned char>(c) >> 4];
      uri += kHex[static_cast<unsigned char>(c) & 15];
    } else {
      uri += c;
    }
  }
  uri += "?immutable=1";
  return sqlite3_open_v2(uri.c_str(), db,
                         SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | (flags & SQLITE_OPEN_NOMUTEX),
                         nullptr);
}

// A prepared statement, reset and reused; bind helpers take 1-based indexes like SQLite.
class Statement {
 public:
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  Status Prepare(sqlite3* db, std::string_view sql) {
    sqlite3_finalize(stmt_);
    db_ = db;
    if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                           SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK) {
      return SqlError(db, "preparing SQL");
    }
    return Status::Ok();
  }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  // The text must stay alive until the statement is reset (SQLITE_STATIC: no copy).
  void Bind(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void BindBlob(int i, std::string_view v) {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void BindNull(int i) { sqlite3_bind_null(stmt_, i); }
  bool IsBlob(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_BLOB; }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  // SQLITE_ROW → true, SQLITE_DONE → false.
  Result<bool> Step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqlError(db_, "executing SQL");
  }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string_view Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);
    return p ? std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(n))
             : std::string_view();
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// A statement in use: reset when the lease ends, so no finished-but-unreset statement keeps a
// read transaction (and with it an old snapshot, and the WAL) open between calls.
class Lease {
 public:
  explicit Lease(Statement* s) : s_(s) {}
  Lease(Lease&& other) noexcept : s_(std::exchange(other.s_, nullptr)) {}
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() {
    if (s_) s_->Reset();
  }
  Statement* operator->() const { return s_; }
  Statement& operator*() const { return *s_; }

 private:
  Statement* s_;
};

}  // namespace ctihub::sqlite
