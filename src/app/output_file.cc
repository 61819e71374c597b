#include "app/output_file.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "app/signals.h"

namespace ctihub::app {
namespace {

// The FILE.partial a fatal signal removes. A signal handler may only call async-signal-safe
// functions (unlink, raise; not std::remove or anything that allocates), so the path is copied
// into a fixed buffer before the handler is armed, and the handler does nothing else.
char g_partial[PATH_MAX];
volatile sig_atomic_t g_armed = 0;

void RemovePartial(int sig) {
  if (g_armed) ::unlink(g_partial);
  // SA_RESETHAND restored the default action: the signal, delivered when this returns, ends the
  // process as it would have, and its exit status names the signal.
  ::raise(sig);
}

// Arms the handler for `temp` unless another OutputFile holds it. Signals the process ignores
// (nohup's SIGHUP) or handles itself stay as they are.
void Arm(const std::string& temp) {
  if (g_armed || temp.size() >= sizeof(g_partial)) return;
  std::memcpy(g_partial, temp.c_str(), temp.size() + 1);
  g_armed = 1;
  CatchSignalsAtDefault({SIGINT, SIGTERM, SIGHUP, SIGXFSZ}, RemovePartial);
}

// The handlers stay installed: disarmed, they only re-raise, which is the default action.
void Disarm(const std::string& temp) {
  if (g_armed && temp == g_partial) g_armed = 0;
}

}  // namespace

OutputFile::~OutputFile() {
  if (file_ && file_ != stdout) std::fclose(file_);
  if (!temp_.empty()) {
    std::remove(temp_.c_str());
    Disarm(temp_);
  }
}

Status OutputFile::Open(const std::string& path, bool in_place) {
  if (path == "-") {
    file_ = stdout;
    return Status::Ok();
  }
  path_ = target_ = path;
  // /dev/stdout or /proc/self/fd/1 may lead to a regular file, but a FILE.partial beside them
  // cannot be made, nor renamed over them.
  struct stat st {};
  const bool special = path.rfind("/dev/", 0) == 0 || path.rfind("/proc/", 0) == 0 ||
                       (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode));
  if (!special && !in_place) {
    // Through a symbolic link, the file it leads to is replaced, not the link.
    std::error_code ec;
    std::filesystem::path target = std::filesystem::canonical(path, ec);
    if (!ec) target_ = target.string();
    temp_ = target_ + ".partial";
    Arm(temp_);  // before the file exists: a signal from then on finds it
  }
  const std::string opened = temp_.empty() ? target_ : temp_;
  file_ = std::fopen(opened.c_str(), "wb");
  if (!file_) {
    const int error = errno;
    Disarm(temp_);
    temp_.clear();
    return Unavailable("cannot write '" + opened + "': " + std::strerror(error));
  }
  return Status::Ok();
}

std::string OutputFile::name() const {
  return file_ == stdout ? std::string("standard output") : "'" + path_ + "'";
}

Status OutputFile::WriteError() {
  if (failed_.ok()) failed_ = Unavailable("cannot write " + name() + ": " + std::strerror(errno));
  return failed_;
}

Status OutputFile::Write(std::string_view chunk) {
  if (!failed_.ok()) return failed_;
  if (std::fwrite(chunk.data(), 1, chunk.size(), file_) != chunk.size()) return WriteError();
  return Status::Ok();
}

Status OutputFile::Flush() {
  if (!failed_.ok()) return failed_;
  if (std::fflush(file_) != 0) return WriteError();
  return Status::Ok();
}

Status OutputFile::Finish() {
  if (!failed_.ok()) return failed_;
  // fclose reports a failed final flush but not always its errno; fflush first does.
  if (std::fflush(file_) != 0 || std::ferror(file_)) return WriteError();
  if (file_ != stdout) {
    FILE* closing = file_;
    file_ = nullptr;
    if (std::fclose(closing) != 0) return WriteError();
  }
  if (!temp_.empty()) {
    if (std::rename(temp_.c_str(), target_.c_str()) != 0) {
      return Unavailable("cannot rename '" + temp_ + "' to '" + target_ +
                         "': " + std::strerror(errno));
    }
    Disarm(temp_);
    temp_.clear();
  }
  return Status::Ok();
}

Status RefuseOutputThatIsAnInput(const std::string& output,
                                 const std::vector<std::string>& inputs) {
  std::error_code ec;
  if (output == "-" || !std::filesystem::is_regular_file(output, ec)) return Status::Ok();
  for (const std::string& input : inputs) {
    if (input.empty() || input == "-") continue;
    if (std::filesystem::equivalent(output, input, ec) && !ec) {
      return InvalidArgument("output '" + output + "' is also an input ('" + input +
                             "'): writing it would replace what is read; choose another -o");
    }
  }
  return Status::Ok();
}

}  // namespace ctihub::app
