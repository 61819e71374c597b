#include "sync/transfer_file.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <utility>

#include "common/uuid.h"
#include "stix/json_reader.h"
#include "sync/internal/durable_file.h"
#include "sync/internal/wire.h"

namespace ctihub::sync {
namespace {

using internal::ErrnoStatus;

constexpr int kFormatVersion = 1;
constexpr std::string_view kHeaderPrefix = R"({"ctihub_transfer":)";
constexpr std::string_view kTrailerPrefix = R"({"manifest":)";
constexpr std::string_view kSignatureMember = R"(,"signature":")";
// The header line holds a few names and numbers; a longer one is not ours. The manifest line
// also lists up to kMaxTransferDeletions ids.
constexpr size_t kMaxLineBytes = 64 * 1024;
constexpr size_t kMaxManifestBytes = kMaxLineBytes + kMaxTransferDeletions * 160;
constexpr size_t kMaxNameBytes = 1024;
// Members line 1 repeats from the manifest, in the order they are written.
constexpr std::string_view kHeaderMembers[] = {
    "ctihub_transfer", "sender", "receiver", "sequence", "created", "sender_identity", "key_id"};

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

MdCtx NewSha256() {
  MdCtx ctx(EVP_MD_CTX_new());
  if (ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) ctx.reset();
  return ctx;
}

std::string FinishSha256Hex(EVP_MD_CTX* ctx) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx, digest, &length) != 1) {
    ERR_clear_error();
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

boost::json::object HeaderMembers(const TransferHeader& header, const std::string& key_id) {
  // boost::json::object keeps insertion order, so the text is the same for the same header.
  boost::json::object members;
  members["ctihub_transfer"] = kFormatVersion;
  members["sender"] = header.sender;
  members["receiver"] = header.receiver;
  members["sequence"] = header.sequence;
  members["created"] = header.created.ToString();
  members["sender_identity"] = header.sender_identity;
  members["key_id"] = key_id;
  return members;
}

// A value from the file in a message: JSON text, cut short.
std::string Quote(const boost::json::value* value) {
  if (!value) return "nothing";
  std::string text = boost::json::serialize(*value);
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  }
  return text;
}

Result<uint64_t> GetCount(const boost::json::object& members, std::string_view name) {
  const boost::json::value* v = members.if_contains(name);
  if (v && v->is_uint64()) return v->get_uint64();
  if (v && v->is_int64() && v->get_int64() >= 0) return static_cast<uint64_t>(v->get_int64());
  return InvalidArgument("\"" + std::string(name) + "\" is not a non-negative integer");
}

Result<std::string> GetString(const boost::json::object& members, std::string_view name) {
  const boost::json::value* v = members.if_contains(name);
  if (!v || !v->is_string()) {
    return InvalidArgument("\"" + std::string(name) + "\" is missing or not a string");
  }
  return std::string(v->get_string());
}

Result<TransferManifest> ParseManifest(const boost::json::object& members) {
  TransferManifest m;
  CTI_ASSIGN_OR_RETURN(uint64_t version, GetCount(members, "ctihub_transfer"));
  if (version != kFormatVersion) {
    return InvalidArgument("transfer format version " + std::to_string(version) +
                           " is not supported (this node reads version 1)");
  }
  CTI_ASSIGN_OR_RETURN(m.header.sender, GetString(members, "sender"));
  CTI_ASSIGN_OR_RETURN(m.header.receiver, GetString(members, "receiver"));
  CTI_ASSIGN_OR_RETURN(m.header.sequence, GetCount(members, "sequence"));
  CTI_ASSIGN_OR_RETURN(std::string created, GetString(members, "created"));
  CTI_ASSIGN_OR_RETURN(m.header.created, Timestamp::Parse(created));
  CTI_ASSIGN_OR_RETURN(m.header.sender_identity, GetString(members, "sender_identity"));
  CTI_ASSIGN_OR_RETURN(m.key_id, GetString(members, "key_id"));
  CTI_ASSIGN_OR_RETURN(m.objects, GetCount(members, "objects"));
  CTI_ASSIGN_OR_RETURN(m.bytes, GetCount(members, "bytes"));
  CTI_ASSIGN_OR_RETURN(m.sha256, GetString(members, "sha256"));
  if (const boost::json::value* d = members.if_contains("deletions")) {
    const boost::json::array* ids = d->if_array();
    if (!ids || ids->size() > kMaxTransferDeletions) {
      return InvalidArgument("\"deletions\" is not a list of at most " +
                             std::to_string(kMaxTransferDeletions) + " ids");
    }
    for (const boost::json::value& id : *ids) {
      if (!id.is_string() || !internal::IsStixId(id.get_string())) {
        return InvalidArgument("\"deletions\" holds " + Quote(&id) + ", not a STIX id");
      }
      m.deletions.emplace_back(id.get_string());
    }
  }
  return m;
}

// True when `text` is one JSON object: '{', then the matching '}' as its last byte (strings and
// escapes respected). A boundary check only — the objects' contents are not validated here — but
// it keeps a bad text from changing the framing, which the receiver would refuse.
bool IsOneJsonObject(std::string_view text) {
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return false;
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return i + 1 == text.size();
    }
  }
  return false;
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  // NotFound when the file does not exist.
  static Result<FileDescriptor> OpenForReading(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return NotFound(path + " does not exist");
      return ErrnoStatus("cannot open", path, errno);
    }
    return FileDescriptor(fd);
  }
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Result<std::string> ReadAt(int fd, uint64_t offset, size_t size, const std::string& path) {
  std::string out(size, '\0');
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, out.data() + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot read", path, errno);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

// Where the body (everything the manifest's sha256 covers) ends, and the manifest line.
struct Layout {
  uint64_t body_end = 0;
  std::string trailer;  // the last line, without its '\n'
};

Result<Layout> Locate(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoStatus("cannot stat", path, errno);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  CTI_ASSIGN_OR_RETURN(std::string head, ReadAt(fd, 0, kHeaderPrefix.size(), path));
  if (head != kHeaderPrefix) {
    return InvalidArgument(path + " is not a ctihub transfer file (it does not start with " +
                           std::string(kHeaderPrefix) + ")");
  }
  const size_t tail_size = static_cast<size_t>(std::min<uint64_t>(size, kMaxManifestBytes + 1));
  CTI_ASSIGN_OR_RETURN(std::string tail, ReadAt(fd, size - tail_size, tail_size, path));
  if (tail.size() != tail_size || tail.back() != '\n') {
    return DataLoss(path + " is truncated: it does not end with the signed manifest line");
  }
  const size_t previous = tail.size() >= 2 ? tail.rfind('\n', tail.size() - 2) : std::string::npos;
  if (previous == std::string::npos && tail_size < size) {
    return DataLoss(path + " is truncated or altered: its last line is not a manifest");
  }
  Layout layout;
  const size_t start = previous == std::string::npos ? 0 : previous + 1;
  layout.trailer = tail.substr(start, tail.size() - 1 - start);
  layout.body_end = size - tail_size + start;
  if (layout.trailer.compare(0, kTrailerPrefix.size(), kTrailerPrefix) != 0) {
    return DataLoss(path + " is truncated or altered: its last line is not the signed manifest");
  }
  return layout;
}

// The body as an input for stix::ObjectReader: bytes [0, limit) of the file, hashed as they are
// read, so one pass both checks the sha256 and frames the objects.
class BodyInput : public InputFile {
 public:
  BodyInput(int fd, uint64_t limit, const std::string& path, bool hash)
      : fd_(fd), limit_(limit), sha_(hash ? NewSha256() : nullptr) {
    path_ = path;
    file_size_ = limit;
  }
  uint64_t consumed() const override { return position_; }
  bool hash_ok() const { return sha_ != nullptr; }

  // Reads (and hashes) what the reader left unread, then returns the hex digest.
  Result<std::string> FinishHash() {
    constexpr size_t kChunk = size_t{1} << 20;
    auto buffer = std::make_unique<char[]>(kChunk);
    for (;;) {
      CTI_ASSIGN_OR_RETURN(size_t n, DoRead(buffer.get(), kChunk));
      if (n == 0) break;
    }
    return FinishSha256Hex(sha_.get());
  }

 protected:
  Result<size_t> DoRead(char* buffer, size_t size) override {
    size = static_cast<size_t>(std::min<uint64_t>(size, limit_ - position_));
    if (size == 0) return size_t{0};
    ssize_t n;
    do {
      n = ::pread(fd_, buffer, size, static_cast<off_t>(position_));
    } while (n < 0 && errno == EINTR);
    if (n < 0) return ErrnoStatus("cannot read", path_, errno);
    // A file that shrank under us: the reader sees an early end, the hash a mismatch.
    if (sha_) EVP_DigestUpdate(sha_.get(), buffer, static_cast<size_t>(n));
    position_ += static_cast<uint64_t>(n);
    return static_cast<size_t>(n);
  }

 private:
  int fd_;
  uint64_t limit_;
  uint64_t position_ = 0;
  MdCtx sha_;
};

struct BodyScan {
  std::string sha256;  // empty unless hashing was asked for
  uint64_t objects = 0;
  std::string header_text;  // line 1's JSON value
  Status structure;         // how the body is not header + bundle, if it is not
};

// SHA-256 of bytes [0, size) of the file, lower-case hex.
Result<std::string> HashPrefix(int fd, uint64_t size, const std::string& path) {
  BodyInput body(fd, size, path, /*hash=*/true);
  if (!body.hash_ok()) return Internal("cannot start SHA-256: OpenSSL failed");
  return body.FinishHash();
}

// Reads the body as two JSON values, line 1's header and a bundle, calling `each` (when set)
// with every object. A structural problem is recorded in `structure` (after hashing the rest when
// `hash`, so a file that changed is reported as such); an error from `each` or from reading is
// returned.
Result<BodyScan> ScanBody(int fd, uint64_t body_end, const std::string& path, bool hash,
                          const std::function<Status(std::string_view)>* each) {
  auto input = std::make_unique<BodyInput>(fd, body_end, path, hash);
  BodyInput* body = input.get();
  if (hash && !body->hash_ok()) return Internal("cannot start SHA-256: OpenSSL failed");
  std::unique_ptr<stix::ObjectReader> reader = stix::ObjectReader::FromInput(std::move(input));
  BodyScan scan;
  Status caller_error;
  auto structure = [&]() -> Status {
    stix::RawObject object;
    CTI_ASSIGN_OR_RETURN(bool more, reader->Next(&object));
    if (!more || object.value_index != 0 || !object.pointer.empty()) {
      return InvalidArgument("line 1 is not a JSON object");
    }
    scan.header_text.assign(object.text);
    for (;;) {
      CTI_ASSIGN_OR_RETURN(more, reader->Next(&object));
      if (!more) break;
      if (object.value_index != 1 || object.pointer.rfind("/objects/", 0) != 0) {
        return InvalidArgument("unexpected JSON value at byte " +
                               std::to_string(object.byte_offset) +
                               " (expected the bundle's objects and then the manifest line)");
      }
      if (object.text.empty() || object.text.front() != '{') {
        return InvalidArgument("bundle element " + object.pointer + " is not a JSON object");
      }
      ++scan.objects;
      if (each) {
        // The callback's failure is the caller's, not a defect of the file: returned as is.
        caller_error = (*each)(object.text);
        if (!caller_error.ok()) return caller_error;
      }
    }
    std::vector<stix::Envelope> values = reader->TakeFinishedEnvelopes();
    if (values.size() != 2 || values[0].container != stix::Container::kSingleObject ||
        values[1].container != stix::Container::kBundle || !values[1].complete) {
      return InvalidArgument("the body is not a header line followed by one bundle");
    }
    bool is_bundle = false;
    for (const auto& [name, value] : values[1].properties) {
      if (name == "type") is_bundle = value == "\"bundle\"";
    }
    if (!is_bundle) return InvalidArgument("the second JSON value is not a STIX bundle");
    return Status::Ok();
  };
  scan.structure = structure();
  if (!caller_error.ok()) return caller_error;
  if (scan.structure.code() == StatusCode::kUnavailable) return scan.structure;  // I/O
  if (hash) {
    CTI_ASSIGN_OR_RETURN(scan.sha256, body->FinishHash());
  }
  return scan;
}

}  // namespace

struct TransferWriter::Impl {
  std::string path;
  std::string partial;
  const SigningKey* key = nullptr;
  TransferHeader header;
  // Large writes go to the kernel in 1 MiB pieces: a transfer is often written to slow
  // removable media. The stream is closed (Finish, ~TransferWriter) before this goes away.
  std::unique_ptr<char[]> buffer;
  FILE* file = nullptr;
  MdCtx sha;
  uint64_t bytes = 0;
  uint64_t objects = 0;
  std::vector<std::string> deletions;
  bool sealed = false;    // complete and signed (Seal): kept, whatever follows
  bool finished = false;  // and renamed to `path` (Publish)
  Status failed;  // the first write error; the file is useless after it

  Status Write(std::string_view data) {
    if (std::fwrite(data.data(), 1, data.size(), file) != data.size()) {
      failed = ErrnoStatus("cannot write", partial, errno);
      return failed;
    }
    EVP_DigestUpdate(sha.get(), data.data(), data.size());
    bytes += data.size();
    return Status::Ok();
  }
};

TransferWriter::TransferWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

TransferWriter::~TransferWriter() {
  if (impl_->file) std::fclose(impl_->file);
  if (!impl_->finished && !impl_->sealed) ::unlink(impl_->partial.c_str());
}

Result<std::unique_ptr<TransferWriter>> TransferWriter::Create(const std::string& path,
                                                               TransferHeader header,
                                                               const SigningKey& key) {
  if (header.sender.empty() || header.receiver.empty()) {
    return InvalidArgument("a transfer file needs a sender and a receiver node name");
  }
  if (header.sender.size() > kMaxNameBytes || header.receiver.size() > kMaxNameBytes ||
      header.sender_identity.size() > kMaxNameBytes) {
    return InvalidArgument("sender, receiver and sender_identity are limited to 1024 bytes");
  }
  if (header.sequence == 0) {
    return InvalidArgument("transfer sequence numbers start at 1, not 0");
  }
  // The receiver parses these lines strictly (RFC 8259 UTF-8); refuse now what it would refuse.
  std::string header_line = boost::json::serialize(HeaderMembers(header, key.key_id()));
  boost::system::error_code ec;
  boost::json::parse(header_line, ec);
  if (ec) return InvalidArgument("sender, receiver and sender_identity must be valid UTF-8");

  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    return Status(StatusCode::kAlreadyExists, path + " already exists");
  }
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->partial = path + ".partial";
  impl->key = &key;
  impl->header = std::move(header);
  // O_EXCL: two writers must not interleave into one file. A .partial left by a crash has to be
  // removed by the operator, who knows whether a writer is still running.
  int fd = ::open(impl->partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) {
    if (errno == EEXIST) {
      return Status(StatusCode::kAlreadyExists,
                    impl->partial + " exists: another transfer to " + path +
                        " is being written, or one was interrupted (then remove it)");
    }
    return ErrnoStatus("cannot create", impl->partial, errno);
  }
  impl->file = ::fdopen(fd, "wb");
  if (!impl->file) {
    int error = errno;
    ::close(fd);
    ::unlink(impl->partial.c_str());
    return ErrnoStatus("cannot open", impl->partial, error);
  }
  std::unique_ptr<TransferWriter> writer(new TransferWriter(std::move(impl)));
  Impl& w = *writer->impl_;
  constexpr size_t kBufferBytes = size_t{1} << 20;
  w.buffer = std::make_unique<char[]>(kBufferBytes);
  std::setvbuf(w.file, w.buffer.get(), _IOFBF, kBufferBytes);
  w.sha = NewSha256();
  if (!w.sha) return Internal("cannot start SHA-256: OpenSSL failed");
  CTI_RETURN_IF_ERROR(w.Write(header_line));
  CTI_RETURN_IF_ERROR(w.Write("\n{\"type\":\"bundle\",\"id\":\"bundle--" +
                              Uuid::RandomV4().ToString() + "\",\"objects\":["));
  return writer;
}

Status TransferWriter::Add(std::string_view object_text) {
  Impl& w = *impl_;
  if (w.sealed || w.finished) return FailedPrecondition("Add after Finish on " + w.path);
  CTI_RETURN_IF_ERROR(w.failed);
  if (!IsOneJsonObject(object_text)) {
    return InvalidArgument("object " + std::to_string(w.objects) +
                           " is not one JSON object text (from '{' to its matching '}')");
  }
  // Each object on a line of its own start: a pretty-printed object keeps its own newlines, so
  // readers must frame by JSON structure, not by lines.
  CTI_RETURN_IF_ERROR(w.Write(w.objects == 0 ? "\n" : ",\n"));
  CTI_RETURN_IF_ERROR(w.Write(object_text));
  ++w.objects;
  return Status::Ok();
}

Status TransferWriter::AddDeletion(std::string_view id) {
  Impl& w = *impl_;
  if (w.sealed || w.finished) {
    return FailedPrecondition("AddDeletion after Finish on " + w.path);
  }
  if (!internal::IsStixId(id)) {
    return InvalidArgument("'" + std::string(id.substr(0, 100)) + "' is not a STIX id");
  }
  if (w.deletions.size() >= kMaxTransferDeletions) {
    return ResourceExhausted("a transfer file carries at most " +
                             std::to_string(kMaxTransferDeletions) + " deletions");
  }
  w.deletions.emplace_back(id);
  return Status::Ok();
}

Result<TransferManifest> TransferWriter::Finish() {
  CTI_ASSIGN_OR_RETURN(TransferManifest manifest, Seal());
  if (Status published = Publish(); !published.ok()) {
    ::unlink(impl_->partial.c_str());
    return published;
  }
  return manifest;
}

Status TransferWriter::Publish() {
  Impl& w = *impl_;
  if (!w.sealed || w.finished) return FailedPrecondition("Publish without Seal on " + w.path);
  CTI_RETURN_IF_ERROR(internal::RenameNoReplace(w.partial, w.path));
  w.finished = true;
  return Status::Ok();
}

Result<TransferManifest> TransferWriter::Seal() {
  Impl& w = *impl_;
  if (w.sealed || w.finished) return FailedPrecondition("Finish called twice on " + w.path);
  CTI_RETURN_IF_ERROR(w.failed);
  CTI_RETURN_IF_ERROR(w.Write("\n]}\n"));

  TransferManifest manifest;
  manifest.header = w.header;
  manifest.key_id = w.key->key_id();
  manifest.objects = w.objects;
  manifest.bytes = w.bytes;
  manifest.sha256 = FinishSha256Hex(w.sha.get());
  if (manifest.sha256.empty()) return Internal("SHA-256 failed: OpenSSL error");

  boost::json::object members = HeaderMembers(w.header, manifest.key_id);
  members["objects"] = manifest.objects;
  members["bytes"] = manifest.bytes;
  members["sha256"] = manifest.sha256;
  if (!w.deletions.empty()) {
    boost::json::array ids;
    for (const std::string& id : w.deletions) ids.emplace_back(id);
    members["deletions"] = std::move(ids);
    manifest.deletions = w.deletions;
  }
  const std::string manifest_text = boost::json::serialize(members);
  const std::string signature = w.key->SignDetached(manifest_text);
  if (signature.empty()) return Internal("signing the manifest of " + w.path + " failed");
  const std::string trailer = std::string(kTrailerPrefix) + manifest_text +
                              std::string(kSignatureMember) + signature + "\"}\n";
  if (std::fwrite(trailer.data(), 1, trailer.size(), w.file) != trailer.size() ||
      std::fflush(w.file) != 0) {
    w.failed = ErrnoStatus("cannot write", w.partial, errno);
    return w.failed;
  }
  // Synced before the rename, so the name never points at a file whose data is not on disk.
  if (::fsync(::fileno(w.file)) != 0) {
    w.failed = ErrnoStatus("cannot sync", w.partial, errno);
    return w.failed;
  }
  FILE* file = std::exchange(w.file, nullptr);
  if (std::fclose(file) != 0) {
    w.failed = ErrnoStatus("cannot close", w.partial, errno);
    return w.failed;
  }
  w.sealed = true;
  return manifest;
}

Result<TransferManifest> VerifyTransferFile(const std::string& path, const TrustedKeys& trusted) {
  CTI_ASSIGN_OR_RETURN(FileDescriptor fd, FileDescriptor::OpenForReading(path));
  CTI_ASSIGN_OR_RETURN(Layout layout, Locate(fd.get(), path));

  // 1. The signature over the manifest's exact bytes, before anything in the file is believed.
  const std::string_view trailer = layout.trailer;
  const size_t signature_at = trailer.rfind(kSignatureMember);
  if (signature_at == std::string_view::npos || signature_at < kTrailerPrefix.size() ||
      trailer.size() < signature_at + kSignatureMember.size() + 2 ||
      trailer.substr(trailer.size() - 2) != "\"}") {
    // A copy in text mode (a Windows share, a mail gateway) ends lines with CRLF: every byte
    // counts for the signature, so say what happened rather than only that it fails.
    if (!trailer.empty() && trailer.back() == '\r') {
      return Unauthenticated(path +
                             ": its lines end in CR LF — the file was copied as text, "
                             "which changes its bytes and so its signature; copy it as "
                             "binary");
    }
    return Unauthenticated(path + ": the manifest line carries no signature");
  }
  const std::string_view manifest_text =
      trailer.substr(kTrailerPrefix.size(), signature_at - kTrailerPrefix.size());
  const std::string_view jws =
      trailer.substr(signature_at + kSignatureMember.size(),
                     trailer.size() - 2 - signature_at - kSignatureMember.size());
  Result<std::string> signer = trusted.VerifyDetached(jws, manifest_text);
  if (!signer.ok()) {
    return Unauthenticated(path + ": manifest signature: " + signer.status().message());
  }

  // 2. The manifest (now known to come from a trusted key).
  boost::system::error_code ec;
  boost::json::value manifest_value = boost::json::parse(manifest_text, ec);
  if (ec || !manifest_value.is_object()) {
    return InvalidArgument(path + ": the signed manifest is not a JSON object");
  }
  const boost::json::object& manifest_members = manifest_value.get_object();
  Result<TransferManifest> parsed = ParseManifest(manifest_members);
  if (!parsed.ok()) {
    return InvalidArgument(path +
                           ": the signed manifest is not valid: " + parsed.status().message());
  }
  TransferManifest manifest = std::move(parsed).value();
  if (manifest.key_id != *signer) {
    return Unauthenticated(path + ": the manifest names key '" + manifest.key_id +
                           "' but was signed by '" + *signer + "'");
  }
  if (manifest.bytes != layout.body_end) {
    return DataLoss(path + ": " + std::to_string(layout.body_end) +
                    " bytes precede the manifest line, which covers " +
                    std::to_string(manifest.bytes) +
                    ": the file was truncated, or bytes were added or removed");
  }

  // 3. The body's hash. Only bytes the trusted key signed reach the JSON scanner in step 4:
  // the hash costs a second read of the file, but no parser sees unauthenticated input (the
  // reader keeps per-value state, so crafted input could otherwise make it grow).
  CTI_ASSIGN_OR_RETURN(std::string sha256, HashPrefix(fd.get(), layout.body_end, path));
  if (sha256 != manifest.sha256) {
    return DataLoss(path + ": the content does not match the signed manifest (sha256 " + sha256 +
                    ", signed " + manifest.sha256 + "): it was altered or damaged after signing");
  }

  // 4. Its shape, line 1 and the object count: what a sender that wrote an inconsistent file
  // would get wrong.
  CTI_ASSIGN_OR_RETURN(BodyScan scan,
                       ScanBody(fd.get(), layout.body_end, path, /*hash=*/false, nullptr));
  if (!scan.structure.ok()) {
    return DataLoss(path +
                    ": the signed content is not a transfer body: " + scan.structure.message() +
                    (scan.structure.location().empty() ? "" : " at " + scan.structure.location()));
  }
  boost::json::value header_value = boost::json::parse(scan.header_text, ec);
  if (ec || !header_value.is_object()) {
    return DataLoss(path + ": line 1 is not a JSON object");
  }
  const boost::json::object& header_members = header_value.get_object();
  for (std::string_view name : kHeaderMembers) {
    const boost::json::value* in_header = header_members.if_contains(name);
    const boost::json::value* in_manifest = manifest_members.if_contains(name);
    if (!in_header || !in_manifest || *in_header != *in_manifest) {
      return DataLoss(path + ": line 1 says \"" + std::string(name) + "\": " + Quote(in_header) +
                      " but the signed manifest says " + Quote(in_manifest));
    }
  }
  if (scan.objects != manifest.objects) {
    return DataLoss(path + ": the bundle holds " + std::to_string(scan.objects) +
                    " objects but the signed manifest says " + std::to_string(manifest.objects));
  }
  return manifest;
}

namespace {

Status ReadObjects(const std::string& path, const TransferManifest* verified,
                   const std::function<Status(std::string_view)>& each) {
  CTI_ASSIGN_OR_RETURN(FileDescriptor fd, FileDescriptor::OpenForReading(path));
  CTI_ASSIGN_OR_RETURN(Layout layout, Locate(fd.get(), path));
  CTI_ASSIGN_OR_RETURN(BodyScan scan, ScanBody(fd.get(), layout.body_end, path,
                                               /*hash=*/verified != nullptr, &each));
  if (verified && (scan.sha256 != verified->sha256 || layout.body_end != verified->bytes ||
                   scan.objects != verified->objects)) {
    return DataLoss(path + " changed after it was verified: discard what was read from it");
  }
  if (!scan.structure.ok()) {
    return DataLoss(path + ": not a transfer body: " + scan.structure.message() +
                    (scan.structure.location().empty() ? "" : " at " + scan.structure.location()));
  }
  return Status::Ok();
}

}  // namespace

Status ReadTransferObjects(const std::string& path,
                           const std::function<Status(std::string_view object_text)>& each) {
  return ReadObjects(path, nullptr, each);
}

Status ReadTransferObjects(const std::string& path, const TransferManifest& verified,
                           const std::function<Status(std::string_view object_text)>& each) {
  return ReadObjects(path, &verified, each);
}

Status CheckTransferSequence(uint64_t last_imported, uint64_t sequence, bool accept_gap) {
  if (sequence == 0) {
    return FailedPrecondition("transfer sequence 0 is not valid (they start at 1)");
  }
  if (sequence <= last_imported) {
    return FailedPrecondition(
        "transfer " + std::to_string(sequence) + " was refused: transfer " +
        std::to_string(last_imported) + " from this sender is already imported, so this is " +
        (sequence == last_imported ? "a replay" : "a replay or an out-of-order file") +
        "; the next expected is " + std::to_string(last_imported + 1));
  }
  if (sequence - last_imported == 1 || accept_gap) return Status::Ok();
  const uint64_t first_missing = last_imported + 1;
  const uint64_t last_missing = sequence - 1;
  std::string missing = first_missing == last_missing
                            ? "transfer " + std::to_string(first_missing) + " is"
                            : "transfers " + std::to_string(first_missing) + " to " +
                                  std::to_string(last_missing) + " are";
  return FailedPrecondition(missing + " missing (the last imported is " +
                            std::to_string(last_imported) + ", this is " +
                            std::to_string(sequence) +
                            "): import the missing files first, or, if they are lost, "
                            "import this one with --accept-gap");
}

}  // namespace ctihub::sync
