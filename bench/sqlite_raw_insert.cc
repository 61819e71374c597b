// Baseline for bench/import: the least a store can do with STIX JSON lines — insert each line's
// raw text with its id into one SQLite table (unique id index), same durability settings and
// batch size as ctihub (WAL, synchronous=FULL, one transaction per batch), no validation, no
// extraction, no versioning. ctihub import's time over this one is the cost of our work.
//   bench_sqlite_raw_insert FILE.jsonl DB [BATCH] [zstd]
// With "zstd", the stronger baseline: the texts are stored as ctihub stores them — zstd level 1
// with a 64 KiB dictionary trained (fastCover, same parameters) on 5,000 of the first batch's
// lines, training included in the time — in 32 KiB pages like ctihub's, so that the difference
// to ctihub is validation, extraction, versioning and the indexes alone.
#include <sqlite3.h>
#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

// ctihub's store/sqlite/text_codec.cc, condensed.
ZSTD_CDict* TrainDictionary(const std::vector<std::string>& lines) {
  std::string buffer;
  std::vector<size_t> sizes;
  size_t step = std::max<size_t>(1, lines.size() / 5000);
  for (size_t i = 0; i < lines.size() && sizes.size() < 5000; i += step) {
    buffer += lines[i];
    sizes.push_back(lines[i].size());
  }
  std::string dictionary(65536, '\0');
  ZDICT_fastCover_params_t params{};
  params.d = 8;
  params.steps = 4;
  params.accel = 5;
  params.zParams.compressionLevel = 1;
  params.zParams.dictID = 40000;
  size_t size = ZDICT_optimizeTrainFromBuffer_fastCover(
      dictionary.data(), dictionary.size(), buffer.data(), sizes.data(),
      static_cast<unsigned>(sizes.size()), &params);
  if (ZDICT_isError(size)) return nullptr;
  return ZSTD_createCDict(dictionary.data(), size, 1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_sqlite_raw_insert FILE.jsonl DB [BATCH] [zstd]\n");
    return 2;
  }
  size_t batch = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 5000;
  const bool zstd = argc > 4 && std::strcmp(argv[4], "zstd") == 0;
  sqlite3* db;
  if (sqlite3_open(argv[2], &db) != SQLITE_OK) return 2;
  if (zstd) sqlite3_exec(db, "PRAGMA page_size=32768", nullptr, nullptr, nullptr);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-131072;"
               "CREATE TABLE IF NOT EXISTS raw (id TEXT NOT NULL UNIQUE, json TEXT NOT NULL);",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* insert;
  sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO raw (id, json) VALUES (?1, ?2)", -1, &insert, nullptr);
  std::ifstream in(argv[1]);
  std::string line;
  size_t n = 0;
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CDict* cdict = nullptr;
  std::vector<std::string> pending;  // zstd: the first batch, held until the dictionary exists
  std::string frame;
  auto store = [&](const std::string& text) {
    // The id is the value after "id":" — found by a text search, as a baseline would.
    size_t p = text.find("\"id\":\"");
    if (p == std::string::npos) return;
    size_t q = text.find('"', p + 6);
    sqlite3_bind_text(insert, 1, text.data() + p + 6, static_cast<int>(q - p - 6), SQLITE_STATIC);
    if (cdict) {
      frame.resize(ZSTD_compressBound(text.size()));
      size_t size = ZSTD_compress_usingCDict(cctx, frame.data(), frame.size(), text.data(),
                                             text.size(), cdict);
      sqlite3_bind_blob(insert, 2, frame.data(), static_cast<int>(size), SQLITE_STATIC);
    } else {
      sqlite3_bind_text(insert, 2, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
    }
    sqlite3_step(insert);
    sqlite3_reset(insert);
    if (++n % batch == 0) {
      sqlite3_exec(db, "COMMIT; BEGIN", nullptr, nullptr, nullptr);
    }
  };
  auto start = std::chrono::steady_clock::now();
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  while (std::getline(in, line)) {
    if (!zstd || cdict) {
      store(line);
      continue;
    }
    pending.push_back(line);
    if (pending.size() == batch) {
      cdict = TrainDictionary(pending);
      for (const std::string& text : pending) store(text);
      pending.clear();
    }
  }
  if (zstd && !cdict) cdict = TrainDictionary(pending);
  for (const std::string& text : pending) store(text);
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  sqlite3_finalize(insert);
  sqlite3_close(db);
  ZSTD_freeCDict(cdict);
  ZSTD_freeCCtx(cctx);
  std::printf("%zu %.6f\n", n, s);
  return 0;
}
