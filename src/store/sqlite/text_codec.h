// store/sqlite/text_codec: how the SQLite backend keeps each version's exact JSON text small —
// zstd with a dictionary trained on the store's own objects.
//
// Why: STIX objects are small (0.3–3 KB) and share most of their structure (property names,
// vocabularies, marking ids), so per-object compression without a dictionary gains little
// (1.6× on generated data) while a 64 KiB dictionary gains 4×. Fewer bytes per row means fewer
// pages through the WAL and the checkpoint, which is where an import spent a third of its time.
// The text returned is the exact input again (lossless), so "stored bytes, returned byte for
// byte" holds.
//
// Rows written before a dictionary existed, and rows of stores written by older versions, are
// TEXT; compressed rows are BLOBs holding one zstd frame whose header names its dictionary id,
// so old and new rows mix freely. Dictionaries live in the `dictionaries` table and are never
// changed or deleted once rows use them. Not thread-safe (one per connection).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

struct sqlite3;

namespace ctihub::store::internal {

class TextCodec {
 public:
  explicit TextCodec(sqlite3* db);
  ~TextCodec();

  // Whether Compress can be used: a dictionary exists (made here or by another connection).
  Result<bool> Ready();
  // Trains a dictionary from these texts and stores it durably (its own transaction: call it
  // outside one) when none exists yet and there are enough samples; otherwise does nothing.
  Status TrainIfNeeded(const std::vector<std::string_view>& samples);
  // One zstd frame for `text`, valid until the next call. Precondition: Ready().
  Result<std::string_view> Compress(std::string_view text);
  // The original text of a compressed row. DataLoss when the frame is damaged or names a
  // dictionary that is not in the store.
  Result<std::string> Decompress(std::string_view frame);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctihub::store::internal
