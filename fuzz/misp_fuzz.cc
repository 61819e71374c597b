// Fuzzes the MISP event converter: any input is converted or rejected with a Status, never a
// crash, and whatever is produced must be valid STIX 2.1.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ingest/misp.h"
#include "stix/validator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ctihub::stix::Validator* validator = new ctihub::stix::Validator();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ctihub::ingest::ConversionStats stats;
  ctihub::ingest::MispOptions options;
  options.provenance.now = ctihub::Timestamp(1700000000000000);
  (void)ctihub::ingest::LooksLikeMispEvent(text);
  ctihub::Status s = ctihub::ingest::ConvertMispEvent(
      text, options,
      [&](std::string json) {
        size_t errors = 0;
        validator->ValidateText(json, [&](const ctihub::stix::Finding& f) {
          if (f.severity == ctihub::stix::Severity::kError) ++errors;
        });
        if (errors) std::abort();  // a converter must never emit invalid STIX
        return ctihub::Status::Ok();
      },
      &stats);
  (void)s;
  return 0;
}
