// Fuzzes one telemetry reader (CTIHUB_TELEMETRY_FORMAT, set per target in CMake) over arbitrary
// bytes: every record must come out as an observation with objects, and the counters must add
// up; no input may crash or hang it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "telemetry/telemetry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ctihub::telemetry;
  ReaderOptions options;
  options.format = static_cast<LogFormat>(CTIHUB_TELEMETRY_FORMAT);
  auto reader = TelemetryReader::FromText(std::string(reinterpret_cast<const char*>(data), size),
                                          "fuzz", options);
  if (!reader.ok()) return 0;
  TelemetryRecord record;
  for (;;) {
    auto more = (*reader)->Next(&record);
    if (!more.ok() || !*more) break;
    if (record.observation.empty()) std::abort();
    if (record.observation.Json().objects.size() != record.observation.object_count()) std::abort();
    if (record.observation.last_observed < record.observation.first_observed) std::abort();
  }
  const ReaderCounters& c = (*reader)->counters();
  if (c.records != c.mapped + c.unmapped + c.bad) std::abort();
  return 0;
}
