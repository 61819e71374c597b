#include "common/input_file.h"

#include <lzma.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <vector>

namespace ctihub {
namespace {

// Buffered raw bytes from a FILE*, with the first few bytes available to sniff the format.
class RawSource {
 public:
  explicit RawSource(FILE* f, bool owned) : file_(f), owned_(owned), buffer_(1 << 20) {}
  ~RawSource() {
    if (owned_ && file_) std::fclose(file_);
  }
  // Ensures at least `n` bytes are buffered if the file has them; returns what is available.
  Result<std::string_view> Peek(size_t n) {
    while (end_ - pos_ < n && !eof_) {
      if (pos_ > 0) {
        std::memmove(buffer_.data(), buffer_.data() + pos_, end_ - pos_);
        end_ -= pos_;
        pos_ = 0;
      }
      CTI_ASSIGN_OR_RETURN(size_t got, ReadSome(buffer_.data() + end_, buffer_.size() - end_));
      if (got == 0) eof_ = true;
      end_ += got;
      consumed_ += got;
    }
    return std::string_view(buffer_.data() + pos_, end_ - pos_);
  }
  // Up to `size` bytes, refilling as needed; empty at the end.
  Result<std::string_view> Next(size_t size) {
    if (pos_ == end_) {
      pos_ = end_ = 0;
      CTI_ASSIGN_OR_RETURN(std::string_view avail, Peek(1));
      if (avail.empty()) return avail;
    }
    size_t n = std::min(size, end_ - pos_);
    std::string_view out(buffer_.data() + pos_, n);
    pos_ += n;
    return out;
  }
  // Up to `size` bytes copied into `out`: what is buffered first, then straight from the file
  // (a plain file's bytes are not copied through the buffer); 0 at the end.
  Result<size_t> ReadInto(char* out, size_t size) {
    if (pos_ < end_) {
      size_t n = std::min(size, end_ - pos_);
      std::memcpy(out, buffer_.data() + pos_, n);
      pos_ += n;
      return n;
    }
    if (eof_ || size == 0) return size_t{0};
    CTI_ASSIGN_OR_RETURN(size_t got, ReadSome(out, size));
    if (got == 0) eof_ = true;
    consumed_ += got;
    return got;
  }
  uint64_t consumed() const { return consumed_ - (end_ - pos_); }

 private:
  // What the file has now, up to `size` bytes; 0 at its end. read(2), not fread: fread on a
  // pipe waits until the whole buffer is full, so a slow stream on standard input (a sensor's
  // `tail -f | ctihub match -`) would deliver nothing until a megabyte had arrived.
  Result<size_t> ReadSome(char* out, size_t size) {
    for (;;) {
      ssize_t got = ::read(fileno(file_), out, size);
      if (got >= 0) return static_cast<size_t>(got);
      if (errno != EINTR) return Unavailable(std::string("read failed: ") + std::strerror(errno));
    }
  }

  FILE* file_;
  bool owned_;
  std::vector<char> buffer_;
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  uint64_t consumed_ = 0;
};

class PlainFile final : public InputFile {
 public:
  explicit PlainFile(std::unique_ptr<RawSource> src) : src_(std::move(src)) {}
  Result<size_t> DoRead(char* buffer, size_t size) override { return src_->ReadInto(buffer, size); }
  uint64_t consumed() const override { return src_->consumed(); }

 private:
  std::unique_ptr<RawSource> src_;
};

class GzipFile final : public InputFile {
 public:
  explicit GzipFile(std::unique_ptr<RawSource> src) : src_(std::move(src)) {
    std::memset(&z_, 0, sizeof z_);
    // 16 + MAX_WBITS: gzip wrapper; concatenated members are handled in Read.
    ok_ = inflateInit2(&z_, 16 + MAX_WBITS) == Z_OK;
  }
  ~GzipFile() override { inflateEnd(&z_); }
  Result<size_t> DoRead(char* buffer, size_t size) override {
    if (!ok_) return Internal("zlib could not be initialised");
    z_.next_out = reinterpret_cast<Bytef*>(buffer);
    z_.avail_out = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    while (z_.avail_out > 0 && !done_) {
      if (z_.avail_in == 0) {
        CTI_ASSIGN_OR_RETURN(input_, src_->Next(1 << 20));
        if (input_.empty()) {
          if (!at_member_end_) {
            return StopAfter(size - z_.avail_out, DataLoss(path_ + ": gzip stream is truncated"));
          }
          done_ = true;
          break;
        }
        z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input_.data()));
        z_.avail_in = static_cast<uInt>(input_.size());
      }
      int rc = inflate(&z_, Z_NO_FLUSH);
      at_member_end_ = rc == Z_STREAM_END;
      if (rc == Z_STREAM_END) {
        inflateReset(&z_);  // another member may follow (cat a.gz b.gz)
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return StopAfter(size - z_.avail_out,
                         DataLoss(path_ + ": corrupt gzip data (" +
                                  (z_.msg ? z_.msg : "inflate failed") + ")"));
      }
    }
    return size - z_.avail_out;
  }
  uint64_t consumed() const override { return src_->consumed() - z_.avail_in; }

 private:
  std::unique_ptr<RawSource> src_;
  z_stream z_;
  bool ok_ = false;
  bool done_ = false;
  bool at_member_end_ = false;
  std::string_view input_;
};

class XzFile final : public InputFile {
 public:
  explicit XzFile(std::unique_ptr<RawSource> src) : src_(std::move(src)) {
    ok_ = lzma_stream_decoder(&s_, UINT64_MAX, LZMA_CONCATENATED) == LZMA_OK;
  }
  ~XzFile() override { lzma_end(&s_); }
  Result<size_t> DoRead(char* buffer, size_t size) override {
    if (!ok_) return Internal("liblzma could not be initialised");
    s_.next_out = reinterpret_cast<uint8_t*>(buffer);
    s_.avail_out = size;
    while (s_.avail_out > 0 && !done_) {
      lzma_action action = LZMA_RUN;
      if (s_.avail_in == 0) {
        CTI_ASSIGN_OR_RETURN(input_, src_->Next(1 << 20));
        if (input_.empty()) action = LZMA_FINISH;
        s_.next_in = reinterpret_cast<const uint8_t*>(input_.data());
        s_.avail_in = input_.size();
      }
      lzma_ret rc = lzma_code(&s_, action);
      if (rc == LZMA_STREAM_END) {
        done_ = true;
      } else if (rc != LZMA_OK) {
        return StopAfter(size - s_.avail_out,
                         DataLoss(path_ + (action == LZMA_FINISH ? ": xz stream is truncated"
                                                                 : ": corrupt xz data")));
      }
    }
    return size - s_.avail_out;
  }
  uint64_t consumed() const override { return src_->consumed() - s_.avail_in; }

 private:
  std::unique_ptr<RawSource> src_;
  lzma_stream s_ = LZMA_STREAM_INIT;
  bool ok_ = false;
  bool done_ = false;
  std::string_view input_;
};

}  // namespace

Result<std::unique_ptr<InputFile>> InputFile::Open(const std::string& path) {
  FILE* f = nullptr;
  bool owned = true;
  uint64_t size = 0;
  if (path == "-") {
    f = stdin;
    owned = false;
  } else {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      return InvalidArgument("'" + path + "' is a directory");
    }
    f = std::fopen(path.c_str(), "rb");
    if (!f) {
      return Status(errno == ENOENT ? StatusCode::kNotFound : StatusCode::kUnavailable,
                    "cannot open '" + path + "': " + std::strerror(errno));
    }
    if (::stat(path.c_str(), &st) == 0) size = static_cast<uint64_t>(st.st_size);
  }
  auto src = std::make_unique<RawSource>(f, owned);
  CTI_ASSIGN_OR_RETURN(std::string_view head, src->Peek(6));
  std::unique_ptr<InputFile> file;
  if (head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x1f &&
      static_cast<unsigned char>(head[1]) == 0x8b) {
    file = std::make_unique<GzipFile>(std::move(src));
    file->compression_ = Compression::kGzip;
  } else if (head.size() >= 6 && head.substr(0, 6) == std::string_view("\xFD" "7zXZ\0", 6)) {
    file = std::make_unique<XzFile>(std::move(src));
    file->compression_ = Compression::kXz;
  } else {
    file = std::make_unique<PlainFile>(std::move(src));
  }
  file->file_size_ = size;
  file->path_ = path;
  return file;
}

Result<size_t> InputFile::StopAfter(size_t produced, Status error) {
  if (produced == 0) return error;
  deferred_ = std::move(error);
  return produced;
}

Result<size_t> InputFile::Read(char* buffer, size_t size) {
  if (head_pos_ < head_.size()) {
    size_t n = std::min(size, head_.size() - head_pos_);
    std::memcpy(buffer, head_.data() + head_pos_, n);
    head_pos_ += n;
    if (head_pos_ == head_.size()) {
      head_.clear();
      head_pos_ = 0;
    }
    return n;
  }
  if (!deferred_.ok()) return deferred_;
  return DoRead(buffer, size);
}

Result<std::string_view> InputFile::Peek(size_t size) {
  if (head_pos_ > 0) {
    head_.erase(0, head_pos_);
    head_pos_ = 0;
  }
  while (head_.size() < size) {
    size_t old = head_.size();
    if (!deferred_.ok()) break;  // Read returns what was decoded, then the error
    head_.resize(size);
    CTI_ASSIGN_OR_RETURN(size_t n, DoRead(head_.data() + old, size - old));
    head_.resize(old + n);
    if (n == 0) break;
  }
  return std::string_view(head_).substr(0, std::min(size, head_.size()));
}

Result<std::string> InputFile::ReadAll(size_t limit) {
  std::string out;
  std::vector<char> buffer(1 << 20);
  for (;;) {
    CTI_ASSIGN_OR_RETURN(size_t n, Read(buffer.data(), buffer.size()));
    if (n == 0) break;
    if (out.size() + n > limit) {
      return ResourceExhausted("'" + path_ + "' is larger than " + std::to_string(limit) +
                               " bytes");
    }
    out.append(buffer.data(), n);
  }
  return out;
}

}  // namespace ctihub
