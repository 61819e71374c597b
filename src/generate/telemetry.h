// generate/telemetry: synthetic sensor logs for exercises and benchmarks of `ctihub match` —
// Zeek JSON (conn, dns, http, ssl, files in one stream, told apart by `_path`) or Suricata EVE
// (flow, dns, http, tls, fileinfo), where a chosen fraction of records carries a value from the
// given indicators (an address, a domain, a URL, a file hash or name), so they hit.
//
// Deterministic for a seed (the generator's xoshiro256**), bounded memory, timestamps strictly
// increasing from `start`. Background values are drawn so they do not collide with planted ones
// (documentation and private address ranges, an `.invalid`-free but seeded domain space, random
// hashes), so the number of hitting records is exactly what the summary reports.
//
//   TelemetryOptions o;
//   o.records = 1'000'000; o.hit_ppm = 10000; o.hit_values = values_from_indicators;
//   TelemetrySummary summary;
//   Status s = GenerateTelemetry(o, write, &summary);
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "generate/generator.h"
#include "pattern/sensor_values.h"

namespace ctihub::generate {

enum class TelemetryFormat { kZeekJson, kSuricataEve };

struct TelemetryOptions {
  uint64_t seed = 1;
  uint64_t records = 1000;
  TelemetryFormat format = TelemetryFormat::kZeekJson;
  // Records per million that carry a planted value (0..1,000,000); ignored without hit_values.
  uint32_t hit_ppm = 10000;
  // Values to plant. Kinds a log cannot carry (e-mail, user names, certificate hashes, URLs other
  // than http://) are left out and counted in TelemetrySummary::values_unplantable.
  std::vector<pattern::SensorValue> hit_values;
  Timestamp start = Timestamp(int64_t{1704067200} * 1000000);
  // Mean gap between records.
  int64_t mean_gap_micros = 1000;
};

struct TelemetrySummary {
  uint64_t records = 0;
  uint64_t hits = 0;               // records that carry a planted value
  uint64_t values_unplantable = 0;
};

// Writes `records` JSON lines to `write` in chunks of about 256 KiB. InvalidArgument when
// hit_ppm > 1,000,000; otherwise the first non-OK Status from `write`.
Status GenerateTelemetry(const TelemetryOptions& options, const ChunkWriter& write,
                         TelemetrySummary* summary);

}  // namespace ctihub::generate
