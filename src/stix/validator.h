// stix/validator: checks STIX 2.1 content against every MUST of the specification that can be
// checked on the JSON, and reports SHOULDs as warnings. Each finding names the object, the JSON
// pointer, the rule and what was expected. Input of any shape or size — truncated, invalid UTF-8,
// deeply nested, huge — yields findings, never a crash.
//
//   Validator validator;
//   FileReport report = validator.ValidateFile("bundle.json", [](const Finding& f) {
//     std::cout << f.object_id << " " << f.pointer << " " << f.rule << ": " << f.message << "\n";
//   });
//   bool ok = report.errors == 0;
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include "stix/json_reader.h"
#include "stix/object.h"

namespace ctihub::stix {

enum class Severity { kError, kWarning };
std::string_view SeverityName(Severity severity);

struct Finding {
  Severity severity = Severity::kError;
  std::string object_id;  // empty when the object has no usable id
  std::string pointer;    // JSON pointer from the top-level value: "/objects/3/created"
  std::string rule;       // stable rule name, e.g. "timestamp-format"
  std::string message;    // what is wrong and what was expected
  uint64_t line = 0;      // 1-based line where the object starts (0 when unknown)
  uint64_t value_index = 0;  // which top-level value (JSON line) of the input
};

struct ValidatorOptions {
  bool strict = false;  // warnings count as errors
  // Findings beyond this per object are summarised in one "too-many-findings" finding.
  size_t max_findings_per_object = 50;
  // Threads that check objects; reading and the ordered bookkeeping stay on the calling thread,
  // and findings come out in input order whatever the number. 0 = one per core.
  int threads = 1;
  ReaderOptions reader;
};

struct FileReport {
  std::string path;
  uint64_t bytes = 0;
  uint64_t objects = 0;
  uint64_t invalid_objects = 0;
  uint64_t errors = 0;
  uint64_t warnings = 0;
  bool stix20 = false;     // the input was recognised as STIX 2.0
  bool io_error = false;   // the file could not be read at all (exit code 2 territory)
  std::string io_message;
  bool valid() const { return errors == 0 && !io_error; }
};

using FindingSink = std::function<void(const Finding&)>;

// The FindingSink of a reader over a TAXII envelope or bundle (the TAXII POST path, sync
// pulls): remembers the first finding that makes the input unreadable, and collects the errors
// about the current element of `objects`, worded relative to that object as TAXII status
// failures and sync reports show them ("/created: … [timestamp-format]"; "; " between them),
// until the object's verdict takes them. Findings about the envelope itself are ignored.
struct EnvelopeFindings {
  std::string unreadable;  // not well-formed JSON, too large, or an I/O error: the first one
  std::string errors;      // of the object being validated
  void Add(const Finding& f);
  std::string TakeErrors() { return std::exchange(errors, {}); }
};

// What validation decided about one object, for callers that act on objects (import).
struct ObjectVerdict {
  size_t errors = 0;          // errors of this object (after `strict`), incl. duplicate-id
  bool stix20 = false;        // inside a bundle declared STIX 2.0: not judged by 2.1 rules
  bool parse_failed = false;  // not even well-formed JSON
  // For a valid object: its extracted fields (as stix::ExtractObjectVersion makes them, text
  // left empty), taken while validating so importers need not parse it again. Null otherwise.
  ObjectVersion* version = nullptr;
};
// Called once per object, in input order, on the calling thread, after that object's findings
// went to the FindingSink. It may take (move out) raw.text.
using ObjectCallback = std::function<void(RawObject& raw, const ObjectVerdict& verdict)>;

class Validator {
 public:
  explicit Validator(ValidatorOptions options = {});
  ~Validator();
  Validator(const Validator&) = delete;
  Validator& operator=(const Validator&) = delete;

  // Streams a file ("-" = stdin) and reports each finding to `sink` in input order, on the
  // calling thread. Duplicate ids are detected within each top-level value (bundle, array, or
  // JSON line). A Validator is not thread-safe itself; use one per calling thread.
  FileReport ValidateFile(const std::string& path, const FindingSink& sink);
  // Same for in-memory text (tests, the TAXII POST path).
  FileReport ValidateText(std::string text, const FindingSink& sink);
  // Validates what `reader` yields and also reports a verdict per object (import). The caller
  // keeps the reader, e.g. to show progress from reader.input()->consumed() in `on_object`.
  FileReport ValidateReader(ObjectReader& reader, const std::string& path,
                            const FindingSink& sink, const ObjectCallback& on_object);

  // Validates one object's JSON text on its own. Returns the number of errors (after `strict`).
  size_t ValidateObject(const RawObject& raw, const FindingSink& sink);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctihub::stix
