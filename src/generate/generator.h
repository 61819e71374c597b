// generate: synthetic, realistic STIX 2.1 threat intelligence for demos, tests and benchmarks —
// the engine behind `ctihub generate`. This module owns the object mix, the vocabularies and the
// pseudo-random scheme; it depends on `common` (Uuid, Timestamp, Status) and `stix` (JsonWriter)
// only, and never reads the clock, the network or the disk.
//
// Output is byte-for-byte deterministic for given options (a documented PRNG, xoshiro256**, and no
// implementation-defined distributions), contains exactly `objects` objects, and is produced in
// bounded memory whatever their number: state is a few fixed-size rings of recent ids, so
// references always point to objects written earlier in the stream. Every object passes
// stix::Validator without errors or warnings.
//
//   GeneratorOptions options;
//   options.seed = 42;
//   options.objects = 10'000;
//   Status s = GenerateBundle(options, [&](std::string_view chunk) {
//     out.write(chunk.data(), chunk.size());
//     return out ? Status::Ok() : Unavailable("write failed");
//   });
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "common/status.h"
#include "common/time.h"

namespace ctihub::generate {

struct GeneratorOptions {
  uint64_t seed = 1;
  // Exact number of objects written (marking-definitions, identities, SDOs, SROs and SCOs all
  // count; each version of a versioned object counts once).
  uint64_t objects = 1000;
  // Earliest timestamp used (default 2024-01-01T00:00:00Z). Timestamps come from the seed, never
  // from the clock. The five TLP 2.0 marking-definitions keep their fixed OASIS `created`
  // (2022-10-01) and are the only exception.
  Timestamp start = Timestamp(int64_t{1704067200} * 1000000);
  // Objects are created over [start, start + span_days]; later versions may be modified
  // slightly after that.
  int64_t span_days = 365;
};

// Receives consecutive pieces of the output; a non-OK Status stops generation and is returned.
using ChunkWriter = std::function<Status(std::string_view)>;

// Writes one STIX 2.1 bundle, one object per line inside `objects`, to `write` in chunks of about
// 256 KiB (memory stays bounded whatever `options.objects` is).
//
// The stream opens with the five TLP 2.0 marking-definitions (exact OASIS content) and a fixed
// set of identities (national CERTs, ministries, an ISAC, constituents of several sectors), then
// one object of every kind the generator makes, then a weighted random mix: indicators of many
// pattern kinds (compound and temporal ones included), relationships of the common types, SCO
// groups with the observed-data that references them, sightings, threat actors, intrusion sets,
// campaigns, malware, tools, attack patterns, courses of action, vulnerabilities,
// infrastructure, locations, reports, groupings, notes, opinions, incidents, malware analyses,
// and new versions (some revoking) of earlier objects.
//
// Returns OK after the last byte was accepted; InvalidArgument when `span_days` is not in
// 1..36500 or the time range leaves years 1970..9000; otherwise the first non-OK Status returned
// by `write`. Thread-safe: no shared state (concurrent calls need their own `write`).
Status GenerateBundle(const GeneratorOptions& options, const ChunkWriter& write);

// The same objects in the same order as JSON lines: one object per line, each followed by '\n',
// for streaming importers and benchmarks. Errors and chunking as GenerateBundle.
Status GenerateJsonLines(const GeneratorOptions& options, const ChunkWriter& write);

}  // namespace ctihub::generate
