// stix/json_reader: splits STIX input into one JSON text per object, with bounded memory.
//
// Accepts a bundle, a single object, a JSON array of objects, or JSON lines / concatenated JSON
// values (each of which may itself be a bundle or an array), from a file, stdin or a string. A
// bundle's `objects` array is streamed element by element, so a several-hundred-MB bundle needs
// memory for its largest single object only. The bundle's own properties (type, id, spec_version)
// are reported through `Envelope`. Each object keeps its exact input bytes.
//
//   CTI_ASSIGN_OR_RETURN(auto reader, ObjectReader::OpenFile("bundle.json"));
//   RawObject obj;
//   while (true) {
//     CTI_ASSIGN_OR_RETURN(bool more, reader->Next(&obj));
//     if (!more) break;
//     Use(obj.text, obj.pointer);   // "/objects/3"
//   }
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/input_file.h"
#include "common/status.h"

namespace ctihub::stix {

// How the top-level JSON value that contained an object was shaped.
enum class Container { kBundle, kArray, kSingleObject };

// One top-level value's own properties when it was a bundle (not its objects).
struct Envelope {
  Container container = Container::kSingleObject;
  uint64_t value_index = 0;   // 0 for the first top-level value, 1 for the next JSON line, …
  uint64_t byte_offset = 0;   // where the top-level value starts in the input
  // Each property other than `objects`, in input order: the raw JSON text of type, id and
  // spec_version, and the name only (empty value) for the others.
  std::vector<std::pair<std::string, std::string>> properties;
  bool has_objects_array = false;
  // How many `objects` lists it has: more than one is ambiguous JSON (most readers keep only the
  // last); every list is read, so nothing is lost, and the validator reports it.
  int objects_lists = 0;
  bool complete = false;       // the closing '}' has been read
};

struct RawObject {
  // Exact input bytes of the value. Capacity includes simdjson's padding, so it can be parsed
  // without a copy.
  std::string text;
  uint64_t byte_offset = 0;    // offset of the first byte in the whole input
  uint64_t line = 0;           // 1-based line of the first byte
  // JSON pointer of the object within its top-level value ("/objects/3", "/2", "").
  std::string pointer;
  uint64_t value_index = 0;    // which top-level value (JSON line) it came from
};

struct ReaderOptions {
  // An object larger than this is reported as ResourceExhausted instead of being buffered.
  size_t max_object_bytes = size_t{512} << 20;
};

class ObjectReader {
 public:
  // NotFound / Unavailable when the file cannot be opened. `path` "-" reads stdin; gzip and xz
  // input is decompressed on the fly (common/input_file.h).
  static Result<std::unique_ptr<ObjectReader>> OpenFile(const std::string& path,
                                                        ReaderOptions options = {});
  static std::unique_ptr<ObjectReader> FromInput(std::unique_ptr<InputFile> input,
                                                 ReaderOptions options = {});
  static std::unique_ptr<ObjectReader> FromString(std::string text, ReaderOptions options = {});
  ~ObjectReader();

  // Reads the next object into *out. Returns false at the clean end of input. A structural error
  // (truncated input, a stray character, an element that is not an object) returns a non-OK
  // Status whose location is "byte N"; reading cannot continue after it, unless
  // SkippedBadValue() says otherwise.
  Result<bool> Next(RawObject* out);
  // After Next returned an error: true when it was a structural error in one top-level value
  // after the first (JSON lines: one bad line in a feed), which was skipped to the end of its
  // line; Next may be called again for the lines after it. The RawObject passed to that Next
  // holds the bad value's line.
  bool SkippedBadValue() const;

  // The top-level value the last returned object came from. For a bundle whose trailing
  // properties follow `objects`, those are available once Next() has returned false or moved on;
  // `TakeFinishedEnvelopes` returns each top-level value exactly once after it closes.
  std::vector<Envelope> TakeFinishedEnvelopes();
  // The top-level value being read now (its properties so far).
  const Envelope& current_envelope() const;

  // Decompressed bytes consumed so far.
  uint64_t bytes_read() const;
  // The underlying file (for progress: compressed bytes consumed vs file size); null for text.
  const InputFile* input() const;

 private:
  class Impl;
  explicit ObjectReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctihub::stix
