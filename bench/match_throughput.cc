// bench_match: `ctihub match` at scale, side by side with its baselines, in one run.
//
//   bench_match [--indicators 1000000] [--records 2000000] [--hit-permille 10] [--rounds 3] [--dir /tmp]
//   bench_match --conformance tests/pattern-conformance   # evaluator time per conformance case
//
// 1. Generates the indicators (mixed like a real feed: addresses, CIDRs, domains, URLs, hashes;
//    ~1% compound, LIKE/MATCHES and temporal patterns) and compiles them: load time, RSS.
// 2. Generates Zeek JSON and Suricata EVE logs (`records` each) where hit-permille of the records
//    carry an indicator's value (src/generate/telemetry).
// 3. Per format: simdjson parse-only over the same lines (the floor), the telemetry reader alone,
//    and reader + compiled matcher — records/s on one core, and the ratio matching / parsing.
// 4. The plain evaluator looping over every indicator, per record (measured on a slice of the
//    indicators and a few hundred records, scaled to all indicators): the compiled matcher's gain.
// 5. IPv4 and IPv6 block lists alone: the matcher with its prefix-length tables and without.
#include <arpa/inet.h>
#include <sys/resource.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <array>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <simdjson.h>

#include "generate/telemetry.h"
#include "pattern/evaluator.h"
#include "pattern/flat_observation.h"
#include "pattern/matcher.h"
#include "pattern/parser.h"
#include "telemetry/telemetry.h"

using namespace ctihub;

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// CPU time of this thread: on a machine shared with other work, wall time also counts the time
// the scheduler gave to others; both are printed.
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double PeakRssMib() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

std::string Hex(std::mt19937_64& rng, int digits) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < digits; ++i) s += kHex[rng() % 16];
  return s;
}

std::string Ipv4(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
         std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

struct Feed {
  std::vector<pattern::IndicatorSpec> specs;
  std::vector<pattern::SensorValue> hit_values;  // a sample of the exact values
};

// Per 1,000 CIDR indicators: 700 /24, 100 longer (/25–/30), 150 of /20–/23, 49 of /16–/19 and
// one of /12–/15 (few: a short prefix covers a large share of the planted addresses).
uint32_t CidrLength(std::mt19937_64& rng) {
  uint64_t r = rng() % 1000;
  if (r < 700) return 24;
  if (r < 800) return 25 + static_cast<uint32_t>(rng() % 6);
  if (r < 950) return 20 + static_cast<uint32_t>(rng() % 4);
  if (r < 999) return 16 + static_cast<uint32_t>(rng() % 4);
  return 12 + static_cast<uint32_t>(rng() % 4);
}

Feed MakeFeed(size_t n) {
  Feed feed;
  std::mt19937_64 rng(42);
  feed.specs.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    pattern::IndicatorSpec s;
    s.id = "indicator--" + std::to_string(i);
    s.valid_from = Timestamp(0);
    uint64_t r = rng() % 1000;
    std::string value;
    pattern::SensorValueKind kind = pattern::SensorValueKind::kIpv4;
    if (r < 400) {
      value = Ipv4(0x2D000000u + static_cast<uint32_t>(i));  // 45.0.0.0 upwards
      s.pattern = "[ipv4-addr:value = '" + value + "']";
    } else if (r < 450) {
      // CIDR lengths spread as block lists carry them: /24 most, every length from /12 to /30
      // present (each length present is one more probe per address for a per-length index).
      uint32_t length = CidrLength(rng);
      uint32_t base = (0x5B000000u + static_cast<uint32_t>(i << 8)) & ~((1u << (32 - length)) - 1);
      value = Ipv4(base) + "/" + std::to_string(length);
      s.pattern = "[ipv4-addr:value ISSUBSET '" + value + "']";
      kind = pattern::SensorValueKind::kIpv4Prefix;
    } else if (r < 700) {
      value = "d" + std::to_string(i) + ".threat-" + std::to_string(i % 97) + ".net";
      s.pattern = "[domain-name:value = '" + value + "']";
      kind = pattern::SensorValueKind::kDomain;
    } else if (r < 850) {
      value = "http://u" + std::to_string(i) + ".bad.example/p/" + std::to_string(i * 7);
      s.pattern = "[url:value = '" + value + "']";
      kind = pattern::SensorValueKind::kUrl;
    } else if (r < 920) {
      value = Hex(rng, 32);
      s.pattern = "[file:hashes.MD5 = '" + value + "']";
      kind = pattern::SensorValueKind::kMd5;
    } else if (r < 990) {
      value = Hex(rng, 64);
      s.pattern = "[file:hashes.'SHA-256' = '" + value + "']";
      kind = pattern::SensorValueKind::kSha256;
    } else {
      // ~1%: compound, LIKE/MATCHES and temporal patterns.
      switch (rng() % 4) {
        case 0:
          s.pattern = "[network-traffic:dst_ref.value = '" + Ipv4(0x2D000000u + static_cast<uint32_t>(i)) +
                      "' AND network-traffic:dst_port = 443]";
          break;
        case 1:
          s.pattern = "[domain-name:value LIKE '%.dga" + std::to_string(i % 1000) + ".example']";
          break;
        case 2:
          s.pattern = "[url:value MATCHES '^http://[a-z0-9.]+/wp-admin/x" + std::to_string(i % 1000) + "']";
          break;
        default:
          s.pattern = "([domain-name:value = 'beacon" + std::to_string(i) + ".example'] FOLLOWEDBY "
                      "[ipv4-addr:value = '" + Ipv4(0x2E000000u + static_cast<uint32_t>(i)) +
                      "']) WITHIN 300 SECONDS";
      }
    }
    if (!value.empty() && feed.hit_values.size() < 20000 && rng() % 50 == 0) {
      feed.hit_values.push_back(pattern::SensorValue{kind, value});
    }
    feed.specs.push_back(std::move(s));
  }
  return feed;
}

// Parses every line of `path` with simdjson's DOM parser; returns how many parsed.
size_t ParseEveryLine(const std::string& path) {
  constexpr size_t kChunk = 1 << 20;
  std::vector<char> buffer(2 * kChunk + simdjson::SIMDJSON_PADDING);
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return 0;
  simdjson::dom::parser parser;
  size_t parsed = 0, end = 0;
  for (;;) {
    if (buffer.size() - simdjson::SIMDJSON_PADDING - end < kChunk) {
      buffer.resize(end + kChunk + simdjson::SIMDJSON_PADDING);  // a line longer than the buffer
    }
    size_t got = std::fread(buffer.data() + end, 1, kChunk, f);
    end += got;
    size_t pos = 0;
    while (const void* nl = std::memchr(buffer.data() + pos, '\n', end - pos)) {
      size_t at = static_cast<size_t>(static_cast<const char*>(nl) - buffer.data());
      simdjson::dom::element e;
      if (at > pos && !parser.parse(buffer.data() + pos, at - pos, false).get(e)) ++parsed;
      pos = at + 1;
    }
    std::memmove(buffer.data(), buffer.data() + pos, end - pos);  // a line cut by the chunk
    end -= pos;
    if (got == 0) break;
  }
  std::fclose(f);
  return parsed;
}

// Addresses against block lists of CIDRs alone, the matcher with its prefix-length tables and
// without (probing every length the slot holds), side by side: 100,000 IPv4 CIDRs of /12–/30 and
// 100,000 IPv6 CIDRs of /29–/64 in 2000::/4, each against 200,000 single-address records (1%
// planted inside one; the rest random, in 2000::/4 for IPv6), handed over parsed as the readers do.
bool BenchPrefixTables(int rounds) {
  constexpr size_t kPrefixes = 100000, kRecords = 200000;
  std::mt19937_64 rng(9);
  auto v6_text = [](const unsigned char bytes[16]) {
    char text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, bytes, text, sizeof text);
    return std::string(text);
  };
  auto v4_text = [](const unsigned char bytes[4]) {
    return Ipv4(uint32_t{bytes[0]} << 24 | uint32_t{bytes[1]} << 16 | uint32_t{bytes[2]} << 8 | bytes[3]);
  };
  for (bool v6 : {false, true}) {
    std::vector<pattern::IndicatorSpec> specs;
    std::vector<std::pair<std::array<unsigned char, 16>, int>> nets;  // inside = these + host bits
    for (size_t i = 0; i < kPrefixes; ++i) {
      std::array<unsigned char, 16> bytes{};
      int length;
      if (v6) {
        static constexpr int kLengths[] = {29, 32, 32, 32, 36, 40, 44, 48, 48, 48, 56, 64};
        length = kLengths[rng() % std::size(kLengths)];
        uint64_t high = 0x2000000000000000ull | (rng() & 0x0FFFFFFFFFFFFFFFull);  // in 2000::/4
        for (int b = 0; b < 8; ++b) bytes[b] = static_cast<unsigned char>(high >> (56 - 8 * b));
      } else {
        length = static_cast<int>(CidrLength(rng));
        uint32_t a = static_cast<uint32_t>(rng());
        for (int b = 0; b < 4; ++b) bytes[b] = static_cast<unsigned char>(a >> (24 - 8 * b));
      }
      for (int bit = length; bit < (v6 ? 128 : 32); ++bit) bytes[bit / 8] &= static_cast<unsigned char>(~(0x80 >> (bit % 8)));
      std::string net = v6 ? v6_text(bytes.data()) : v4_text(bytes.data());
      pattern::IndicatorSpec spec;
      spec.id = "indicator--net-" + std::to_string(i);
      spec.pattern = std::string("[") + (v6 ? "ipv6-addr" : "ipv4-addr") + ":value ISSUBSET '" + net + "/" +
                     std::to_string(length) + "']";
      specs.push_back(std::move(spec));
      nets.emplace_back(bytes, length);
    }
    std::vector<std::string> addresses;
    std::vector<std::array<unsigned char, 16>> parsed;  // as the readers hand addresses over
    for (size_t i = 0; i < kRecords; ++i) {
      std::array<unsigned char, 16> bytes{};
      for (auto& b : bytes) b = static_cast<unsigned char>(rng());
      if (rng() % 100 == 0) {  // a hit: an address inside one of the prefixes
        const auto& [net, length] = nets[rng() % nets.size()];
        for (int bit = 0; bit < length; ++bit) {
          unsigned char mask = static_cast<unsigned char>(0x80 >> (bit % 8));
          bytes[bit / 8] = static_cast<unsigned char>((bytes[bit / 8] & ~mask) | (net[bit / 8] & mask));
        }
      } else if (v6) {
        bytes[0] = static_cast<unsigned char>(0x20 | (bytes[0] & 0x0F));  // global unicast, as the prefixes
      }
      addresses.push_back(v6 ? v6_text(bytes.data()) : v4_text(bytes.data()));
      parsed.push_back(bytes);
    }
    double rate[2] = {0, 0};
    size_t alerts[2] = {0, 0};
    for (bool tables : {true, false}) {
      pattern::MatcherOptions options;
      options.prefix_length_tables = tables;
      auto matcher = pattern::PatternMatcher::Compile(specs, options, nullptr);
      if (!matcher.ok()) return false;
      pattern::FlatObservation flat;
      std::vector<pattern::PatternMatch> out;
      double best = 1e300;
      for (int round = 0; round < rounds; ++round) {
        size_t found = 0;
        auto t = std::chrono::steady_clock::now();
        for (size_t k = 0; k < addresses.size(); ++k) {
          flat.Clear();
          uint32_t root = flat.Root(flat.AddObject(v6 ? "ipv6-addr" : "ipv4-addr"));
          if (v6) {
            flat.AddIpv6(root, "value", addresses[k], parsed[k].data());
          } else {
            flat.AddIpv4(root, "value", addresses[k], parsed[k].data());
          }
          out.clear();
          if (!(*matcher)->Match(flat, &out).ok()) return false;
          found += out.size();
        }
        best = std::min(best, Seconds(t));
        alerts[tables] = found;
      }
      rate[tables] = static_cast<double>(kRecords) / best;
    }
    std::printf("%s block list (%zu CIDRs, %s) vs %zu addresses: %.0f records/s with the prefix-length "
                "tables, %.0f/s probing every length: %.1fx (alerts %zu / %zu)\n",
                v6 ? "IPv6" : "IPv4", kPrefixes, v6 ? "/29-/64" : "/12-/30", kRecords, rate[1], rate[0],
                rate[1] / rate[0], alerts[1], alerts[0]);
    if (alerts[1] != alerts[0]) return false;
  }
  return true;
}

}  // namespace

// Times the plain evaluator over every case of the conformance suite (in-process, parsed once),
// for the side-by-side figure with stix2-matcher on the same cases (bench/match).
int TimeConformance(const std::string& dir) {
  struct Case {
    pattern::Pattern pattern;
    std::vector<pattern::Observation> observations;
  };
  std::vector<Case> cases;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".json") continue;
    std::ifstream in(e.path());
    std::stringstream text;
    text << in.rdbuf();
    boost::json::value all = boost::json::parse(text.str());
    for (const boost::json::value& c : all.as_array()) {
      const boost::json::object& o = c.as_object();
      if (!o.contains("observations")) continue;
      auto p = pattern::ParsePattern(o.at("pattern").as_string());
      auto obs = pattern::ParseObservations(boost::json::serialize(o.at("observations")));
      if (p.ok() && obs.ok()) cases.push_back(Case{std::move(*p), std::move(*obs)});
    }
  }
  const int kRounds = 200;
  size_t hits = 0;
  auto t = std::chrono::steady_clock::now();
  for (int round = 0; round < kRounds; ++round) {
    for (const Case& c : cases) {
      Result<bool> r = pattern::Evaluate(c.pattern, c.observations);
      hits += r.ok() && *r;
    }
  }
  double ms = Seconds(t) * 1000 / (kRounds * static_cast<double>(cases.size()));
  std::printf("conformance corpus: %zu cases, ctihub evaluator %.6f ms per case (%zu hits)\n",
              cases.size(), ms, hits / kRounds);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--conformance") return TimeConformance(argv[2]);
  size_t indicators = 1000000, records = 2000000;
  uint32_t hit_permille = 10;
  int rounds = 3;
  std::string dir = "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--indicators") indicators = std::stoull(argv[i + 1]);
    if (flag == "--records") records = std::stoull(argv[i + 1]);
    if (flag == "--rounds") rounds = std::max(1, std::stoi(argv[i + 1]));
    if (flag == "--hit-permille") hit_permille = static_cast<uint32_t>(std::stoul(argv[i + 1]));
    if (flag == "--dir") dir = argv[i + 1];
  }
  std::printf("bench_match: %zu indicators, %zu records per format, %u‰ planted hits\n",
              indicators, records, hit_permille);

  auto t0 = std::chrono::steady_clock::now();
  Feed feed = MakeFeed(indicators);
  std::vector<pattern::IndicatorSpec> sample_specs(feed.specs.begin(),
                                                   feed.specs.begin() + std::min<size_t>(20000, indicators));
  double generate_s = Seconds(t0);
  t0 = std::chrono::steady_clock::now();
  pattern::CompileReport report;
  auto matcher = pattern::PatternMatcher::Compile(std::move(feed.specs), {}, &report);
  if (!matcher.ok()) {
    std::fprintf(stderr, "%s\n", matcher.status().ToString().c_str());
    return 1;
  }
  double compile_s = Seconds(t0);
  std::printf("indicators: generated in %.2f s; compiled %zu in %.2f s (target < 5 s); "
              "%zu exact, %zu confirmed, %zu scanned brackets; peak RSS %.0f MiB\n",
              generate_s, report.compiled, compile_s, report.brackets_exact,
              report.brackets_confirmed, report.brackets_scanned, PeakRssMib());

  std::printf("%-14s %14s %14s %14s %10s %10s\n", "format", "parse-only/s", "reader/s",
              "match/s", "match/parse", "alerts");
  double total_records = 0, total_match_s = 0, total_cpu_s = 0;
  for (generate::TelemetryFormat format :
       {generate::TelemetryFormat::kZeekJson, generate::TelemetryFormat::kSuricataEve}) {
    bool zeek = format == generate::TelemetryFormat::kZeekJson;
    std::string path = dir + (zeek ? "/bench_match_zeek.json" : "/bench_match_eve.json");
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      generate::TelemetryOptions t;
      t.records = records;
      t.format = format;
      t.hit_ppm = hit_permille * 1000;
      t.hit_values = feed.hit_values;
      t.start = Timestamp(int64_t{1704067200} * 1000000);
      generate::TelemetrySummary summary;
      Status s = generate::GenerateTelemetry(t, [&](std::string_view chunk) {
        out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        return Status::Ok();
      }, &summary);
      if (!s.ok()) return 1;
    }
    // Each measurement runs `rounds` times and keeps its fastest (wall and CPU time apart): on a
    // machine shared with other work a single run mostly measures the neighbours.
    auto best = [&](auto&& run, double* wall, double* cpu) -> bool {
      *wall = *cpu = 1e300;
      for (int round = 0; round < rounds; ++round) {
        auto t = std::chrono::steady_clock::now();
        double c = CpuSeconds();
        if (!run(round)) return false;
        *wall = std::min(*wall, Seconds(t));
        *cpu = std::min(*cpu, CpuSeconds() - c);
      }
      return true;
    };
    // Baseline: simdjson DOM parse of every line, nothing else, read as the reader reads (1 MiB
    // chunks, lines found with memchr, parsed in place): std::getline cost as much as the parsing
    // itself and made matching look cheaper next to it than it is.
    double parse_s, parse_cpu;
    best([&](int) {
      size_t lines = ParseEveryLine(path);
      if (lines != records) std::fprintf(stderr, "parse errors\n");
      return true;
    }, &parse_s, &parse_cpu);
    // The reader alone (read file + parse + map to observations).
    double reader_s, reader_cpu;
    best([&](int) {
      auto reader = telemetry::TelemetryReader::Open(path, {});
      telemetry::TelemetryRecord r;
      while (*(*reader)->Next(&r)) {
      }
      return true;
    }, &reader_s, &reader_cpu);
    // Reader + compiled matcher: what `ctihub match` does per record. The alerts are counted in
    // the first round (later rounds replay times the multi-observation state has seen).
    double match_s, match_cpu;
    size_t alerts = 0;
    if (!best([&](int round) {
          auto reader = telemetry::TelemetryReader::Open(path, {});
          telemetry::TelemetryRecord r;
          std::vector<pattern::PatternMatch> out;
          while (*(*reader)->Next(&r)) {
            out.clear();
            if (!(*matcher)->Match(r.observation, &out).ok()) return false;
            if (round == 0) alerts += out.size();
          }
          return true;
        }, &match_s, &match_cpu)) {
      return 1;
    }
    double n = static_cast<double>(records);
    std::printf("%-14s %14.0f %14.0f %14.0f %10.2f %10zu\n", zeek ? "zeek-json" : "suricata-eve",
                n / parse_s, n / reader_s, n / match_s, match_s / parse_s, alerts);
    std::printf("%-14s %14.0f %14.0f %14.0f %10.2f   (by the bench thread's CPU time)\n", "  cpu time",
                n / parse_cpu, n / reader_cpu, n / match_cpu, match_cpu / parse_cpu);
    total_cpu_s += match_cpu;
    total_records += n;
    total_match_s += match_s;

    if (zeek) {
      // The plain evaluator over every indicator: measured on a slice, scaled to all.
      std::vector<pattern::Pattern> patterns;
      for (const pattern::IndicatorSpec& s : sample_specs) patterns.push_back(*pattern::ParsePattern(s.pattern));
      auto reader = telemetry::TelemetryReader::Open(path, {});
      telemetry::TelemetryRecord r;
      size_t evaluated = 0, hits = 0;
      auto t = std::chrono::steady_clock::now();
      while (evaluated < 200 && *(*reader)->Next(&r)) {
        for (const pattern::Pattern& p : patterns) {
          Result<bool> hit = pattern::Evaluate(p, std::span<const pattern::Observation>(&r.observation.Json(), 1));
          hits += hit.ok() && *hit;
        }
        ++evaluated;
      }
      double per_record = Seconds(t) / static_cast<double>(evaluated) *
                          (static_cast<double>(indicators) / static_cast<double>(patterns.size()));
      double compiled_per_record = match_s / n;
      std::printf("plain evaluator over all %zu indicators: %.1f records/s (measured on %zu indicators x "
                  "%zu records, scaled); compiled matcher %.0fx faster\n",
                  indicators, 1.0 / per_record, patterns.size(), evaluated, per_record / compiled_per_record);

      // Temporal patterns whose later bracket is broad (it fires on most records) and whose first
      // never does: each firing is remembered, but a window that holds no observation for the
      // first bracket cannot match, whatever the order or timing.
      std::vector<pattern::IndicatorSpec> broad;
      for (const char* p : {"[ipv4-addr:value = '192.0.2.250'] FOLLOWEDBY [network-traffic:protocols[*] = 'tcp']",
                            "[domain-name:value = 'never.example'] AND [network-traffic:protocols[*] = 'tcp'] WITHIN 600 SECONDS"}) {
        pattern::IndicatorSpec spec;
        spec.id = "indicator--broad-" + std::to_string(broad.size());
        spec.pattern = p;
        broad.push_back(spec);
      }
      auto broad_matcher = pattern::PatternMatcher::Compile(std::move(broad), {}, nullptr);
      if (!broad_matcher.ok()) return 1;
      size_t broad_records = std::min<size_t>(records, 100000);
      auto broad_reader = telemetry::TelemetryReader::Open(path, {});
      std::vector<pattern::PatternMatch> broad_out;
      size_t read = 0;
      auto tb = std::chrono::steady_clock::now();
      while (read < broad_records && *(*broad_reader)->Next(&r)) {
        broad_out.clear();
        if (!(*broad_matcher)->Match(r.observation, &broad_out).ok()) return 1;
        ++read;
      }
      double broad_s = Seconds(tb);
      std::printf("2 temporal indicators with a broad later bracket (fires on most records), %zu records: "
                  "%.0f records/s with the reader (reader alone: %.0f/s)\n",
                  read, static_cast<double>(read) / broad_s, n / reader_s);
    }
    std::remove(path.c_str());
  }
  std::printf("overall: %.0f records/s matched on one core (target >= 1,000,000), %.0f/s by CPU time; "
              "peak RSS %.0f MiB (target < 1536)\n",
              total_records / total_match_s, total_records / total_cpu_s, PeakRssMib());
  if (!BenchPrefixTables(rounds)) return 1;
  return 0;
}
