// Fuzzes the CSV / plain IOC list converter: no crash on any input, and every indicator it
// makes is valid STIX 2.1.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ingest/ioc_list.h"
#include "stix/validator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ctihub::stix::Validator* validator = new ctihub::stix::Validator();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ctihub::ingest::ConversionStats stats;
  ctihub::ingest::IocOptions options;
  options.provenance.now = ctihub::Timestamp(1700000000000000);
  (void)ctihub::ingest::LooksLikeIocList(text);
  ctihub::Status s = ctihub::ingest::ConvertIocList(
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
