// Read latency of a store: get-by-id of random objects, and filtered 1,000-object pages (a
// type filter plus a random added_after, as a TAXII client polling a collection would ask).
// Prints p50/p99/max for each.
//   bench_store_latency sqlite:hub.db COLLECTION [GETS] [PAGES]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

using namespace ctihub;
using Clock = std::chrono::steady_clock;

static void Report(const char* what, std::vector<double> us) {
  std::sort(us.begin(), us.end());
  auto at = [&](double q) { return us[std::min(us.size() - 1, static_cast<size_t>(q * us.size()))]; };
  std::printf("%-40s n=%-6zu p50 %9.1f us  p99 %9.1f us  max %9.1f us\n", what, us.size(), at(0.5),
              at(0.99), us.back());
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_store_latency STORE_URI COLLECTION [GETS] [PAGES]\n");
    return 2;
  }
  store::RegisterSqliteBackend();
  size_t gets = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 10000;
  size_t pages = argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 200;
  auto opened = store::Store::Open(argv[1]);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return 2;
  }
  store::Store& st = **opened;
  auto collection = st.FindCollection(argv[2]);
  if (!collection.ok()) {
    std::fprintf(stderr, "%s\n", collection.status().ToString().c_str());
    return 2;
  }
  // Sample ids and date_added values with a manifest walk (every 97th object).
  std::vector<std::string> ids;
  std::vector<int64_t> added;
  store::Query walk;
  walk.limit = 100000;
  walk.with_text = false;
  walk.versions = store::VersionMatch::All();
  size_t seen = 0;
  for (;;) {
    auto page = st.List(collection->id, walk);
    if (!page.ok()) return 2;
    for (const auto& o : page->objects) {
      if (seen++ % 97 == 0) {
        ids.push_back(o.id);
        added.push_back(o.date_added.micros());
      }
    }
    if (!page->more) break;
    walk.after = page->next;
  }
  std::printf("store: %zu object versions\n", seen);
  std::mt19937_64 rng(7);
  std::vector<double> get_us;
  for (size_t i = 0; i < gets; ++i) {
    const std::string& id = ids[rng() % ids.size()];
    auto t0 = Clock::now();
    auto got = st.Get(collection->id, id);
    auto t1 = Clock::now();
    if (!got.ok() || got->empty()) {
      std::fprintf(stderr, "get %s failed\n", id.c_str());
      return 1;
    }
    get_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  Report("get by id (latest version)", get_us);
  const char* types[] = {"indicator", "malware", "relationship", "attack-pattern", "sighting"};
  std::vector<double> page_us;
  size_t returned = 0;
  for (size_t i = 0; i < pages; ++i) {
    store::Query q;
    q.types = {types[rng() % 5]};
    q.added_after = Timestamp(added[rng() % added.size()]);
    q.limit = 1000;
    auto t0 = Clock::now();
    auto page = st.List(collection->id, q);
    auto t1 = Clock::now();
    if (!page.ok()) return 1;
    returned += page->objects.size();
    page_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  Report("page of 1,000 (type + added_after)", page_us);
  std::printf("pages returned %zu objects on average\n", pages ? returned / pages : 0);
  return 0;
}
