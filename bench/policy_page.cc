// The cost of the release decision on the hot path: walking a collection in TAXII pages of
// 1,000 through store::OutboundReader as an administrator (nothing restricted: the baseline) and
// as a partner under an agreement (TLP ceiling GREEN, classification ceiling RESTRICTED; the
// markings filtered in the query, each object decided), alternating runs in the same process on
// the same store. Prints objects/s, page time percentiles and the ratio restricted/unrestricted.
//   bench_policy_page sqlite:hub.db COLLECTION [PAGES] [ROUNDS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "policy/marking_registry.h"
#include "policy/policy_gate.h"
#include "store/release_gate.h"
#include "store/sqlite/sqlite_store.h"

using namespace ctihub;
using Clock = std::chrono::steady_clock;

struct Run {
  size_t objects = 0, pages = 0, bytes = 0;
  double seconds = 0, cpu_seconds = 0;
  double best_page_seconds = 0;  // the fastest round's time per page (totals only)
  std::vector<double> page_ms;
};

// This thread's CPU time: unlike wall time, not inflated when the (shared, virtual) host lends the
// core elsewhere mid-run.
static double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Walks up to `max_pages` pages of 1,000, each fetched by `fetch(query)`, timing each.
template <typename Fetch>
static Run Walk(store::Query q, size_t max_pages, Fetch fetch) {
  Run run;
  q.limit = 1000;
  auto start = Clock::now();
  double cpu_start = ThreadCpuSeconds();
  while (run.pages < max_pages) {
    auto t0 = Clock::now();
    Result<store::Page> page = fetch(q);
    if (!page.ok()) {
      std::fprintf(stderr, "%s\n", page.status().ToString().c_str());
      std::exit(2);
    }
    run.page_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    run.objects += page->objects.size();
    for (const store::StoredObject& o : page->objects) run.bytes += o.text.size();
    ++run.pages;
    if (!page->more) break;
    q.after = page->next;
  }
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  run.cpu_seconds = ThreadCpuSeconds() - cpu_start;
  return run;
}

// Through the release gate, as TAXII serves a recipient.
static Run WalkReleased(store::Store& st, const store::ReleaseGate& gate,
                        const std::string& collection, const store::Recipient& who,
                        size_t max_pages) {
  store::OutboundReader reader(st, gate);
  return Walk(store::Query{}, max_pages,
              [&](const store::Query& q) { return reader.List(collection, q, who); });
}

// The store query alone with the partner's constraints (the rows the index skips), no decision:
// splits a restricted page's cost into finding its rows and deciding on them.
static Run WalkQueryOnly(store::Store& st, const store::ReleaseGate& gate,
                         const std::string& collection, const store::Recipient& who,
                         size_t max_pages) {
  store::Query constrained;
  gate.Constrain(who, &constrained);
  return Walk(constrained, max_pages,
              [&](const store::Query& q) { return st.List(collection, q); });
}

static double At(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_policy_page STORE_URI COLLECTION [PAGES] [ROUNDS]\n");
    return 2;
  }
  store::RegisterSqliteBackend();
  size_t max_pages = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 300;
  int rounds = argc > 4 ? std::atoi(argv[4]) : 3;
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
  std::vector<std::string> problems;
  auto registry = policy::LoadMarkings(st, /*trusted_origins=*/{}, &problems);
  if (!registry.ok()) return 2;
  policy::PolicyOptions options;
  options.accreditation = policy::Classification::kSecret;
  policy::Agreement a;
  a.partner = "partner";
  a.tlp_ceiling = policy::TlpLevel::kGreen;
  a.classification_ceiling = policy::Classification::kRestricted;
  // CTIHUB_BENCH_CEILING=red: a partner allowed everything, to separate the per-object cost of
  // deciding from the cost of skipping what a restricted partner may not see.
  if (const char* c = std::getenv("CTIHUB_BENCH_CEILING"); c && std::string(c) == "red") {
    a.tlp_ceiling = policy::TlpLevel::kRed;
    a.classification_ceiling = policy::Classification::kTopSecret;
    options.unmarked_tlp = policy::TlpLevel::kClear;
  }
  options.agreements = {a};
  options.organisations = {{"partner", "FR", {"eu"}, "", std::nullopt, {}}};
  policy::PolicyGate gate(options, *registry);
  // The same agreement with references to observables going as written: what the rule that they
  // follow the observables' markings (reference.withheld) costs, side by side.
  options.observable_references_follow_markings = false;
  policy::PolicyGate as_written(options, *registry);
  const store::Recipient admin{"admin", "local", true}, partner{"pat", "partner", false};
  std::printf("policy page bench: %s, collection %s, up to %zu pages of 1000, %d rounds each\n",
              argv[1], argv[2], max_pages, rounds);
  // The observable index is read once when a process starts serving (ctihub serve does it
  // before the first request): timed on its own, not as part of the first page.
  {
    auto t0 = Clock::now();
    if (Status s = gate.Refresh(st); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 2;
    }
    const double read = std::chrono::duration<double>(Clock::now() - t0).count();
    // What every page then pays to bring it up to date when nothing new came in.
    auto t1 = Clock::now();
    for (int i = 0; i < 200; ++i) (void)gate.Refresh(st);
    std::printf("observable index: read in %.2f s; brought up to date in %.0f us (nothing new)\n",
                read, std::chrono::duration<double, std::micro>(Clock::now() - t1).count() / 200);
  }

  Run base_total, restricted_total, query_total, as_written_total;
  for (int r = 0; r < rounds; ++r) {
    for (int which = 0; which < 4; ++which) {
      // CTIHUB_BENCH_ONLY=unrestricted|restricted|query|as-written runs one side (to profile it).
      static const char* const kSides[] = {"unrestricted", "restricted", "query", "as-written"};
      const char* only = std::getenv("CTIHUB_BENCH_ONLY");
      if (only && std::string(only) != kSides[which]) continue;
      Run run = which == 2   ? WalkQueryOnly(st, gate, collection->id, partner, max_pages)
                : which == 3 ? WalkReleased(st, as_written, collection->id, partner, max_pages)
                             : WalkReleased(st, gate, collection->id, which == 0 ? admin : partner,
                                            max_pages);
      Run& total = which == 0   ? base_total
                   : which == 1 ? restricted_total
                   : which == 2 ? query_total
                                : as_written_total;
      total.objects += run.objects;
      total.bytes += run.bytes;
      total.pages += run.pages;
      total.seconds += run.seconds;
      total.cpu_seconds += run.cpu_seconds;
      double per_page = run.seconds / static_cast<double>(std::max<size_t>(run.pages, 1));
      if (total.best_page_seconds == 0 || per_page < total.best_page_seconds) {
        total.best_page_seconds = per_page;
      }
      total.page_ms.insert(total.page_ms.end(), run.page_ms.begin(), run.page_ms.end());
    }
  }
  auto print = [](const char* name, const Run& run) {
    if (run.pages == 0) return;  // that side was not run (CTIHUB_BENCH_ONLY)
    std::printf("%-34s %5zu pages %8.0f objects/s %6.1f MB/s  avg object %5.0f B  page p50 %5.2f ms  "
                "p95 %5.2f ms  per page %5.2f ms (best round %5.2f, CPU %5.2f)\n",
                name, run.pages, run.objects / run.seconds, run.bytes / run.seconds / 1e6,
                static_cast<double>(run.bytes) / run.objects, At(run.page_ms, 0.5),
                At(run.page_ms, 0.95), 1000.0 * run.seconds / run.pages,
                1000.0 * run.best_page_seconds, 1000.0 * run.cpu_seconds / run.pages);
  };
  print("unrestricted (administrator)", base_total);
  print("restricted (partner, GREEN/RESTR.)", restricted_total);
  print("  its store query alone, no decision", query_total);
  print("  references to observables as written", as_written_total);
  if (base_total.pages == 0 || restricted_total.pages == 0) return 0;
  double base_page = base_total.seconds / base_total.pages;
  double restricted_page = restricted_total.seconds / restricted_total.pages;
  std::printf("ratio restricted/unrestricted, time per full page: %.2f (target <= 1.25); "
              "best rounds %.2f; CPU time %.2f\n",
              restricted_page / base_page,
              restricted_total.best_page_seconds / base_total.best_page_seconds,
              (restricted_total.cpu_seconds / restricted_total.pages) /
                  (base_total.cpu_seconds / base_total.pages));
  // Pages of different objects differ in size: the cost per byte served compares like with like.
  double base_per_byte = base_total.seconds / base_total.bytes;
  double restricted_per_byte = restricted_total.seconds / restricted_total.bytes;
  std::printf("ratio restricted/unrestricted, time per byte served:  %.2f\n",
              restricted_per_byte / base_per_byte);
  if (as_written_total.pages) {
    std::printf(
        "cost of references following observables' markings: %.2fx the restricted page "
        "with references as written\n",
        restricted_page / (as_written_total.seconds / as_written_total.pages));
  }
  return 0;
}
