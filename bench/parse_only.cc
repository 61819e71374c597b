// Baseline for bench/validate: simdjson's DOM parse of a whole file, nothing else. Prints
// "<bytes> <seconds>" for the best of N runs (file already in memory, like the page cache gives
// ctihub).
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <simdjson.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_parse_only FILE [RUNS]\n");
    return 2;
  }
  int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  double best = 1e30;
  size_t bytes = 0;
  simdjson::dom::parser parser;
  for (int i = 0; i < runs; ++i) {
    auto start = std::chrono::steady_clock::now();
    simdjson::padded_string json;
    if (simdjson::padded_string::load(argv[1]).get(json)) {
      std::fprintf(stderr, "cannot load %s\n", argv[1]);
      return 2;
    }
    simdjson::dom::element doc;
    if (auto err = parser.parse(json).get(doc)) {
      std::fprintf(stderr, "parse error: %s\n", simdjson::error_message(err));
      return 1;
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    bytes = json.size();
    if (s < best) best = s;
  }
  std::printf("%zu %.6f\n", bytes, best);
  return 0;
}
