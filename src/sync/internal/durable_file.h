// sync/internal/durable_file: files that appear complete or not at all, and are never replaced —
// for private keys and transfer files, where a half-written or overwritten file is a real loss.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace ctihub::sync::internal {

// Writes `data` to the new file `path` with permissions `mode`: a temporary file in the same
// directory (created with `mode`, whatever the umask), fsync, a rename that does not replace,
// fsync of the directory. AlreadyExists when `path` exists, Unavailable for an I/O error; on error
// nothing is left behind.
Status WriteNewFile(const std::string& path, std::string_view data, unsigned mode);

// Renames `from` to `to` unless `to` exists (AlreadyExists), then syncs the directory of `to`.
// Where the file system cannot rename without replacing (some removable-media file systems),
// falls back to a check followed by rename, which is only as safe as no concurrent writer.
Status RenameNoReplace(const std::string& from, const std::string& to);

// Unavailable naming `what` and `path`, with errno's text.
Status ErrnoStatus(const std::string& what, const std::string& path, int error);

}  // namespace ctihub::sync::internal
