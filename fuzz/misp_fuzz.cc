// Fuzzes the MISP event converter: any input is converted or rejected with a Status, never a
// crash, and whatever is produced must be valid STIX 2.1.
#include <cstddef>
#include <cstdint>

#include "converter_sink.h"
#include "ingest/misp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ctihub::ingest::ConversionStats stats;
  ctihub::ingest::MispOptions options;
  options.provenance.now = ctihub::Timestamp(1700000000000000);
  (void)ctihub::ingest::LooksLikeMispEvent(text);
  ctihub::Status s = ctihub::ingest::ConvertMispEvent(text, options, ValidatingSink(), &stats);
  (void)s;
  return 0;
}
