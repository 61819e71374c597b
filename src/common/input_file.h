// common/input_file: reads a file, standard input ("-"), or a gzip- or xz-compressed file, as
// one stream of bytes. Compression is recognised by its magic bytes, not the file name, so
// `cat feed.json.gz | ctihub import -` works too.
//
//   CTI_ASSIGN_OR_RETURN(auto in, InputFile::Open("feed.json.xz"));
//   char buf[65536];
//   for (;;) { CTI_ASSIGN_OR_RETURN(size_t n, in->Read(buf, sizeof buf)); if (!n) break; ... }
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ctihub {

class InputFile {
 public:
  enum class Compression { kNone, kGzip, kXz };

  // NotFound / Unavailable when the file cannot be opened.
  static Result<std::unique_ptr<InputFile>> Open(const std::string& path);
  virtual ~InputFile() = default;

  // Reads up to `size` decompressed bytes; 0 at the end. DataLoss for a corrupt or truncated
  // compressed stream, Unavailable for an I/O error.
  Result<size_t> Read(char* buffer, size_t size);
  // The next `size` decompressed bytes (fewer at the end) without consuming them, to sniff the
  // format of the content; Read returns them again.
  Result<std::string_view> Peek(size_t size);
  // Reads everything that is left (for formats that need the whole text, like a MISP event).
  // ResourceExhausted past `limit` bytes.
  Result<std::string> ReadAll(size_t limit = size_t{1} << 31);

  Compression compression() const { return compression_; }
  // Size of the file on disk when known (0 for stdin), and compressed bytes consumed so far:
  // together they give progress and an ETA.
  uint64_t file_size() const { return file_size_; }
  virtual uint64_t consumed() const = 0;
  const std::string& path() const { return path_; }

 protected:
  virtual Result<size_t> DoRead(char* buffer, size_t size) = 0;
  // What a decoder returns when `error` stops it after `produced` bytes of this call: those
  // bytes first (they decoded well), the error on the next Read.
  Result<size_t> StopAfter(size_t produced, Status error);
  Compression compression_ = Compression::kNone;
  uint64_t file_size_ = 0;
  std::string path_;

 private:
  std::string head_;  // peeked bytes not yet returned by Read
  Status deferred_;   // StopAfter's error, returned by the next Read
  size_t head_pos_ = 0;
};

}  // namespace ctihub
