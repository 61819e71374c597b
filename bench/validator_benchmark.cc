// Microbenchmarks of the validator on in-memory input (no file I/O).
#include <fstream>
#include <sstream>
#include <string>

#include <benchmark/benchmark.h>

#include "stix/validator.h"

namespace {

const char kIndicator[] =
    R"({"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",)"
    R"("created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","name":"Bad IP",)"
    R"("indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '198.51.100.1'] OR )"
    R"([domain-name:value = 'evil.example']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"})";

void BM_ValidateIndicator(benchmark::State& state) {
  ctihub::stix::Validator validator;
  size_t findings = 0;
  for (auto _ : state) {
    validator.ValidateText(kIndicator, [&](const ctihub::stix::Finding&) { ++findings; });
  }
  state.SetBytesProcessed(state.iterations() * (sizeof(kIndicator) - 1));
  benchmark::DoNotOptimize(findings);
}
BENCHMARK(BM_ValidateIndicator);

void BM_ValidateAttackIcs(benchmark::State& state) {
  std::ifstream in(std::string(CTIHUB_SHARED_DATA) + "/stix/attack/ics-attack-18.1.json");
  if (!in) {
    state.SkipWithError("../shared/data/stix/attack/ics-attack-18.1.json not found");
    return;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  ctihub::stix::Validator validator;
  for (auto _ : state) {
    auto report = validator.ValidateText(text, [](const ctihub::stix::Finding&) {});
    benchmark::DoNotOptimize(report);
  }
  state.SetBytesProcessed(state.iterations() * text.size());
}
BENCHMARK(BM_ValidateAttackIcs)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
