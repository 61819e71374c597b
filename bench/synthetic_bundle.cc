// Writes a large, valid, realistic STIX 2.1 bundle for benchmarks: identities, indicators with
// STIX patterns, malware, attack patterns with kill chains and references, observed-data with
// SCOs (deterministic ids), sightings, relationships and reports — with varied text, so parsing
// and validation see what real feeds look like. Deterministic for a given seed.
//   bench_synthetic_bundle BYTES [SEED] > bundle.json
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "common/time.h"
#include "common/uuid.h"

namespace {

constexpr const char* kWords[] = {
    "actor",    "campaign", "loader",   "beacon",    "phishing", "credential", "exfiltration",
    "payload",  "dropper",  "registry", "persistence", "lateral", "movement",  "infrastructure",
    "domain",   "observed", "targeting", "ministry", "energy",   "sector",     "spear",
    "document", "macro",    "implant",  "command",   "control",  "server",     "rotating",
    "proxy",    "victim",   "network",  "telemetry", "sensor",   "alert",      "analysis"};

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  std::string Uuid4() {
    std::array<uint8_t, 16> b{};
    for (auto& x : b) x = static_cast<uint8_t>(rng_());
    b[6] = static_cast<uint8_t>((b[6] & 0x0F) | 0x40);
    b[8] = static_cast<uint8_t>((b[8] & 0x3F) | 0x80);
    return ctihub::Uuid(b).ToString();
  }
  std::string Words(int min, int max) {
    std::uniform_int_distribution<int> n(min, max), w(0, std::size(kWords) - 1);
    std::string out;
    int count = n(rng_);
    for (int i = 0; i < count; ++i) {
      if (i) out += ' ';
      out += kWords[w(rng_)];
    }
    return out;
  }
  std::string Time(int64_t base_micros) {
    std::uniform_int_distribution<int64_t> d(0, int64_t{86400} * 365 * 1000000);
    return ctihub::Timestamp(base_micros + d(rng_)).ToMillisString();
  }
  std::string Ip() {
    std::uniform_int_distribution<int> o(1, 254);
    return fmt::format("{}.{}.{}.{}", o(rng_), o(rng_), o(rng_), o(rng_));
  }
  std::string Hex(int n) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s(n, '0');
    for (auto& c : s) c = kHex[rng_() & 15];
    return s;
  }
  uint64_t Next() { return rng_(); }

 private:
  std::mt19937_64 rng_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_synthetic_bundle BYTES [SEED] > bundle.json\n");
    return 2;
  }
  uint64_t target = std::strtoull(argv[1], nullptr, 10);
  Generator g(argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 42);
  int64_t base = ctihub::Timestamp::Parse("2024-01-01T00:00:00Z")->micros();
  const ctihub::Uuid sco_ns = *ctihub::Uuid::Parse(ctihub::kStixScoNamespace);
  uint64_t written = 0;
  bool first = true;
  auto emit = [&](const std::string& obj) {
    if (!first) std::fputs(",\n", stdout);
    first = false;
    std::fwrite(obj.data(), 1, obj.size(), stdout);
    written += obj.size() + 2;
  };
  std::fputs("{\"type\":\"bundle\",\"id\":\"bundle--", stdout);
  std::fputs(g.Uuid4().c_str(), stdout);
  std::fputs("\",\"objects\":[\n", stdout);
  std::string identity = "identity--" + g.Uuid4();
  std::string created = g.Time(base);
  emit(fmt::format(R"({{"type":"identity","spec_version":"2.1","id":"{}","created":"{}","modified":"{}","name":"Synthetic CERT","identity_class":"organization","sectors":["government-national"]}})",
                   identity, created, created));
  std::vector<std::string> recent;
  while (written < target) {
    std::string t = g.Time(base);
    std::string ind = "indicator--" + g.Uuid4();
    std::string mal = "malware--" + g.Uuid4();
    std::string ap = "attack-pattern--" + g.Uuid4();
    std::string ip = g.Ip();
    std::string ip_id =
        "ipv4-addr--" + ctihub::Uuid::V5(sco_ns, "{\"value\":\"" + ip + "\"}").ToString();
    emit(fmt::format(
        R"({{"type":"indicator","spec_version":"2.1","id":"{}","created_by_ref":"{}","created":"{}","modified":"{}","name":"{}","description":"{}","indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '{}'] OR [file:hashes.'SHA-256' = '{}']","pattern_type":"stix","valid_from":"{}","confidence":{},"labels":["{}"],"object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}})",
        ind, identity, t, t, g.Words(2, 5), g.Words(10, 40), ip, g.Hex(64), t, g.Next() % 101,
        g.Words(1, 1)));
    emit(fmt::format(
        R"({{"type":"malware","spec_version":"2.1","id":"{}","created_by_ref":"{}","created":"{}","modified":"{}","name":"{}","description":"{}","is_family":true,"malware_types":["backdoor","remote-access-trojan"],"aliases":["{}","{}"],"kill_chain_phases":[{{"kill_chain_name":"mitre-attack","phase_name":"command-and-control"}}]}})",
        mal, identity, t, t, g.Words(1, 2), g.Words(20, 80), g.Words(1, 1), g.Words(1, 1)));
    emit(fmt::format(
        R"({{"type":"attack-pattern","spec_version":"2.1","id":"{}","created":"{}","modified":"{}","name":"{}","description":"{}","kill_chain_phases":[{{"kill_chain_name":"mitre-attack","phase_name":"initial-access"}}],"external_references":[{{"source_name":"capec","external_id":"CAPEC-{}","url":"https://capec.mitre.org/data/definitions/{}.html"}},{{"source_name":"vendor report","description":"{}"}}]}})",
        ap, t, t, g.Words(2, 4), g.Words(30, 120), g.Next() % 700, g.Next() % 700,
        g.Words(4, 10)));
    emit(fmt::format(
        R"({{"type":"relationship","spec_version":"2.1","id":"relationship--{}","created":"{}","modified":"{}","relationship_type":"indicates","source_ref":"{}","target_ref":"{}"}})",
        g.Uuid4(), t, t, ind, mal));
    emit(fmt::format(
        R"({{"type":"relationship","spec_version":"2.1","id":"relationship--{}","created":"{}","modified":"{}","relationship_type":"uses","source_ref":"{}","target_ref":"{}"}})",
        g.Uuid4(), t, t, mal, ap));
    emit(fmt::format(R"({{"type":"ipv4-addr","spec_version":"2.1","id":"{}","value":"{}"}})", ip_id,
                     ip));
    std::string od = "observed-data--" + g.Uuid4();
    emit(fmt::format(
        R"({{"type":"observed-data","spec_version":"2.1","id":"{}","created":"{}","modified":"{}","first_observed":"{}","last_observed":"{}","number_observed":{},"object_refs":["{}"]}})",
        od, t, t, t, t, 1 + g.Next() % 50, ip_id));
    emit(fmt::format(
        R"({{"type":"sighting","spec_version":"2.1","id":"sighting--{}","created":"{}","modified":"{}","sighting_of_ref":"{}","observed_data_refs":["{}"],"where_sighted_refs":["{}"],"count":{}}})",
        g.Uuid4(), t, t, ind, od, identity, 1 + g.Next() % 10));
    recent.push_back(ind);
    recent.push_back(mal);
    if (recent.size() >= 40) {
      std::string refs;
      for (const auto& r : recent) refs += (refs.empty() ? "\"" : ",\"") + r + "\"";
      emit(fmt::format(
          R"({{"type":"report","spec_version":"2.1","id":"report--{}","created":"{}","modified":"{}","name":"{}","description":"{}","published":"{}","report_types":["threat-report"],"object_refs":[{}]}})",
          g.Uuid4(), t, t, g.Words(3, 6), g.Words(50, 200), t, refs));
      recent.clear();
    }
  }
  std::fputs("\n]}\n", stdout);
  return 0;
}
