// app/generate_command: `ctihub generate` — deterministic synthetic STIX 2.1 for demos,
// exercises and benchmarks (src/generate/).
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace ctihub::app {

struct GenerateFlags {
  uint64_t seed = 1;
  uint64_t objects = 1000;
  std::string output = "-";
  std::string format = "bundle";  // bundle | jsonl
  std::string start;               // RFC 3339; default 2024-01-01T00:00:00Z
  int64_t span_days = 365;
  // Telemetry instead of STIX: "zeek-json" or "suricata-eve"; empty for STIX.
  std::string telemetry;
  uint64_t records = 1000;
  double hit_rate = 0.01;
  std::string indicators;  // STIX bundle / JSON lines whose values the hits carry
};

void AddGenerateCommand(CLI::App& app, GenerateFlags& flags, int& exit_code);

}  // namespace ctihub::app
