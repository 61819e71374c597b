#include "sync/internal/durable_file.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2 (glibc ≥ 2.28, declared with _GNU_SOURCE, which g++ defines)
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ctihub::sync::internal {
namespace {

std::string ParentDirectory(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status SyncDirectoryOf(const std::string& path) {
  // The rename is durable only once the directory entry is (fsync(2), "Notes").
  std::string dir = ParentDirectory(path);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open directory", dir, errno);
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  // Some file systems (vfat via FUSE, some network mounts) refuse fsync on a directory; the
  // file's own data is synced by then.
  if (rc != 0 && saved != EINVAL && saved != ENOTSUP) {
    return ErrnoStatus("cannot sync directory", dir, saved);
  }
  return Status::Ok();
}

}  // namespace

Status ErrnoStatus(const std::string& what, const std::string& path, int error) {
  return Unavailable(what + " " + path + ": " + std::strerror(error));
}

Status RenameNoReplace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) != 0) {
    int error = errno;
    if (error == EEXIST) return Status(StatusCode::kAlreadyExists, to + " already exists");
    if (error != EINVAL && error != ENOSYS && error != ENOTSUP) {
      return ErrnoStatus("cannot rename " + from + " to", to, error);
    }
    // No RENAME_NOREPLACE on this file system.
    struct stat st;
    if (::lstat(to.c_str(), &st) == 0) {
      return Status(StatusCode::kAlreadyExists, to + " already exists");
    }
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return ErrnoStatus("cannot rename " + from + " to", to, errno);
    }
  }
  return SyncDirectoryOf(to);
}

Status WriteNewFile(const std::string& path, std::string_view data, unsigned mode) {
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    return Status(StatusCode::kAlreadyExists, path + " already exists");
  }
  std::string tmp = path + ".tmp.XXXXXX";
  int fd = ::mkstemp(tmp.data());  // O_EXCL, mode 0600
  if (fd < 0) return ErrnoStatus("cannot create", tmp, errno);
  auto fail = [&](const std::string& what, int error) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return ErrnoStatus(what, tmp, error);
  };
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) return fail("cannot set the mode of", errno);
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write", errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("cannot sync", errno);
  if (::close(fd) != 0) {
    int error = errno;
    ::unlink(tmp.c_str());
    return ErrnoStatus("cannot close", tmp, error);
  }
  Status renamed = RenameNoReplace(tmp, path);
  if (!renamed.ok()) ::unlink(tmp.c_str());
  return renamed;
}

}  // namespace ctihub::sync::internal
