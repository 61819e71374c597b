// Fuzzes the CSV / plain IOC list converter: no crash on any input, and every indicator it
// makes is valid STIX 2.1.
#include <cstddef>
#include <cstdint>

#include "converter_sink.h"
#include "ingest/ioc_list.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ctihub::ingest::ConversionStats stats;
  ctihub::ingest::IocOptions options;
  options.provenance.now = ctihub::Timestamp(1700000000000000);
  (void)ctihub::ingest::LooksLikeIocList(text);
  ctihub::Status s = ctihub::ingest::ConvertIocList(text, options, ValidatingSink(), &stats);
  (void)s;
  return 0;
}
