// app/output_file: where a command writes the file it makes (`generate -o`, `export -o`,
// `match -o`). Standard output for "-"; a device, FIFO or other special file as it is; else a
// temporary FILE.partial beside the target, renamed over it once complete, so a failed or
// interrupted run never leaves a truncated file, nor removes what it did not make.
//
//   OutputFile out;
//   CTI_RETURN_IF_ERROR(RefuseOutputThatIsAnInput(path, inputs));
//   CTI_RETURN_IF_ERROR(out.Open(path));
//   CTI_RETURN_IF_ERROR(out.Write(text));
//   CTI_RETURN_IF_ERROR(out.Finish());  // without it, the destructor removes FILE.partial
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ctihub::app {

class OutputFile {
 public:
  OutputFile() = default;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  // Closes the file; a FILE.partial not renamed by Finish() is removed.
  ~OutputFile();

  // Opens `path` ("-": standard output). `in_place` writes a regular file directly (truncated),
  // for output that is read while it grows (`match --follow`). Until Finish() or destruction,
  // SIGINT, SIGTERM, SIGHUP and SIGXFSZ (ulimit -f) remove FILE.partial before the process dies
  // of them (signals the process ignores stay ignored; a handler installed later, as `match
  // --follow` does, replaces this one). One OutputFile at a time has that protection.
  // Unavailable when the file cannot be created.
  Status Open(const std::string& path, bool in_place = false);

  // The open stream: standard output, or the file.
  FILE* file() const { return file_; }

  // Writes all of `chunk`; Unavailable, naming the output and the reason, when it cannot.
  Status Write(std::string_view chunk);
  // Hands on what is buffered (for output read while it grows).
  Status Flush();
  // Flushes and closes, and renames FILE.partial over the target. After a failed Write, returns
  // that failure (and the target keeps what it held).
  Status Finish();

  // "standard output" or the quoted path, for messages.
  std::string name() const;

 private:
  Status WriteError();

  FILE* file_ = nullptr;
  std::string path_;    // as given, for messages
  std::string target_;  // what FILE.partial replaces: the file a symbolic link leads to
  std::string temp_;    // FILE.partial while it exists
  Status failed_;
};

// InvalidArgument when `output` is an existing regular file that is also one of `inputs` (the same
// file under any name, std::filesystem::equivalent): writing it would replace what is read.
Status RefuseOutputThatIsAnInput(const std::string& output, const std::vector<std::string>& inputs);

}  // namespace ctihub::app
