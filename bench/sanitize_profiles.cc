// Sanitization cost per profile: objects/s of sanitize::Sanitizer over generated STIX (JSON
// lines), beside a baseline of Boost.JSON parse + serialize of the same objects (the floor any
// rewrite pays), in one run. Every profile runs with the victim directory the release gate uses
// (policy::VictimIndex over an in-memory store holding the same objects).
//   bench_sanitize FILE.jsonl [MAX_OBJECTS]
#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <simdjson.h>

#include "policy/victim_index.h"
#include "sanitize/sanitizer.h"
#include "stix/object.h"
#include "store/store.h"

using namespace ctihub;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_sanitize FILE.jsonl [MAX_OBJECTS]\n");
    return 2;
  }
  size_t max = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 200000;
  std::ifstream in(argv[1]);
  std::vector<std::string> objects;
  for (std::string line; objects.size() < max && std::getline(in, line);) {
    if (!line.empty()) objects.push_back(line);
  }
  auto rate = [&](auto&& fn) {
    auto t0 = Clock::now();
    size_t sink = 0;
    for (const std::string& o : objects) sink += fn(o);
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (sink == 42) std::printf(" ");
    return objects.size() / s;
  };
  double baseline = rate([](const std::string& o) {
    return boost::json::serialize(boost::json::parse(o)).size();
  });
  // The directory: the objects in a memory store, read as the gate reads its store.
  const std::vector<std::string> victim_domains = {"valdoria.example", "example.org"};
  std::shared_ptr<const policy::VictimIndex> directory;
  double index_seconds = 0;
  {
    auto st = store::Store::Open("memory:");
    std::string c = (*st)->EnsureCollection("c")->id;
    simdjson::dom::parser parser;
    std::vector<stix::ObjectVersion> batch;
    for (const std::string& o : objects) {
      Result<stix::ObjectVersion> v = stix::ExtractObjectVersion(parser, o);
      if (v.ok()) batch.push_back(std::move(*v));
    }
    if (!(*st)->Put(c, batch).ok()) return 1;
    policy::VictimIndex::Options options;
    options.node_identity = "identity--d3d3c1b1-8ba4-4ba4-b1a4-2b7c0c3a9b1e";
    options.victim_domains = victim_domains;
    auto t0 = Clock::now();
    Result<std::shared_ptr<const policy::VictimIndex>> read =
        std::make_shared<const policy::VictimIndex>(options)->Updated(**st);
    index_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!read.ok() || !*read) return 1;
    directory = *read;
  }
  std::printf("sanitize bench: %zu objects from %s\n", objects.size(), argv[1]);
  std::printf("%-34s %10.3f s (%zu identities)\n", "victim index: read from the store",
              index_seconds, directory->identities());
  std::printf("%-34s %10.0f objects/s\n", "baseline: Boost.JSON parse+serialize", baseline);
  auto profile = [](const char* name) {
    sanitize::SanitizeProfile p;
    p.name = name;
    p.key = "bench-community-key-0123";
    p.node_identity = "identity--d3d3c1b1-8ba4-4ba4-b1a4-2b7c0c3a9b1e";
    return p;
  };
  std::vector<sanitize::SanitizeProfile> profiles;
  profiles.push_back(profile("internal_addresses"));
  profiles.back().internal_addresses = true;
  profiles.push_back(profile("victims"));
  profiles.back().victims = true;
  profiles.push_back(profile("pseudonymise"));
  profiles.back().pseudonymise = true;
  profiles.push_back(profile("victim_domains"));
  profiles.back().pseudonymise = true;
  profiles.back().victim_domains = victim_domains;
  profiles.push_back(profile("personal_data"));
  profiles.back().personal_data = true;
  profiles.push_back(profile("defang"));
  profiles.back().defang = true;
  profiles.push_back(profile("sources"));
  profiles.back().pseudonymise_sources = true;
  profiles.push_back(profile("all steps"));
  {
    auto& p = profiles.back();
    p.internal_addresses = p.victims = p.pseudonymise = p.personal_data = p.defang = true;
    p.pseudonymise_sources = true;
    p.victim_domains = victim_domains;
  }
  for (const sanitize::SanitizeProfile& p : profiles) {
    sanitize::Sanitizer s(p);
    size_t changed = 0, dropped = 0;
    double r = rate([&](const std::string& o) {
      sanitize::Sanitized out = s.Apply(o, directory.get());
      changed += out.changed;
      dropped += out.dropped;
      return out.text.size();
    });
    std::printf("%-34s %10.0f objects/s  (%.2fx the baseline's time; %zu changed, %zu withheld)\n",
                p.name.c_str(), r, baseline / r, changed, dropped);
  }
  return 0;
}
