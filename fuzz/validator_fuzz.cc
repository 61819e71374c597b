// Fuzzes the whole validation path: the streaming reader, simdjson parsing, every rule, the
// pattern parser behind indicators. Any crash, hang, leak or UB report is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "stix/validator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ctihub::stix::Validator* validator = [] {
    ctihub::stix::ValidatorOptions options;
    options.reader.max_object_bytes = 1 << 20;
    return new ctihub::stix::Validator(options);
  }();
  size_t findings = 0;
  validator->ValidateText(std::string(reinterpret_cast<const char*>(data), size),
                          [&](const ctihub::stix::Finding&) { ++findings; });
  return 0;
}
