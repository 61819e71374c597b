// Baseline for bench/import: the least a store can do with STIX JSON lines — insert each line's
// raw text with its id into one SQLite table (unique id index), same durability settings and
// batch size as ctihub (WAL, synchronous=FULL, one transaction per batch), no validation, no
// extraction, no versioning. ctihub import's time over this one is the cost of our work.
//   bench_sqlite_raw_insert FILE.jsonl DB [BATCH]
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_sqlite_raw_insert FILE.jsonl DB [BATCH]\n");
    return 2;
  }
  size_t batch = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 5000;
  sqlite3* db;
  if (sqlite3_open(argv[2], &db) != SQLITE_OK) return 2;
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-131072;"
               "CREATE TABLE IF NOT EXISTS raw (id TEXT NOT NULL UNIQUE, json TEXT NOT NULL);",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* insert;
  sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO raw (id, json) VALUES (?1, ?2)", -1, &insert, nullptr);
  std::ifstream in(argv[1]);
  std::string line;
  size_t n = 0;
  auto start = std::chrono::steady_clock::now();
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  while (std::getline(in, line)) {
    // The id is the value after "id":" — found by a text search, as a baseline would.
    size_t p = line.find("\"id\":\"");
    if (p == std::string::npos) continue;
    size_t q = line.find('"', p + 6);
    sqlite3_bind_text(insert, 1, line.data() + p + 6, static_cast<int>(q - p - 6), SQLITE_STATIC);
    sqlite3_bind_text(insert, 2, line.data(), static_cast<int>(line.size()), SQLITE_STATIC);
    sqlite3_step(insert);
    sqlite3_reset(insert);
    if (++n % batch == 0) {
      sqlite3_exec(db, "COMMIT; BEGIN", nullptr, nullptr, nullptr);
    }
  }
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  sqlite3_finalize(insert);
  sqlite3_close(db);
  std::printf("%zu %.6f\n", n, s);
  return 0;
}
