// generate/internal/object_stream: the state machine behind GenerateBundle and
// GenerateJsonLines — which object comes next, the rings of recent ids that references are drawn
// from, the clock, and the writers of every object kind (split by family over
// domain_objects.cc, observations.cc and analysis.cc; the stream itself is in generator.cc).
//
// Memory is constant: rings of 64 ids per type, 256 recent objects, 1024 versionable objects
// (regenerated from a seed when a new version is due), 64 recent observables.
//
//   ObjectStream stream(options, /*json_lines=*/true, write);
//   Status s = stream.Run();
#pragma once

#include <array>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/uuid.h"
#include "generate/generator.h"
#include "generate/internal/random.h"
#include "generate/internal/values.h"
#include "stix/canonical_json.h"

namespace ctihub::generate::internal {

using stix::JsonWriter;

inline constexpr int64_t kMinute = 60'000;
inline constexpr int64_t kHour = 60 * kMinute;
inline constexpr int64_t kDay = 24 * kHour;
// Output is handed to the writer in pieces of about this size.
inline constexpr size_t kChunkBytes = size_t{256} << 10;

enum class Kind : uint8_t {
  kMarkingDefinition,
  kIdentity,
  kThreatActor,
  kIntrusionSet,
  kCampaign,
  kMalware,
  kTool,
  kAttackPattern,
  kVulnerability,
  kInfrastructure,
  kLocation,
  kCourseOfAction,
  kIndicator,
  kObservedData,
  kSighting,
  kRelationship,
  kReport,
  kGrouping,
  kIncident,
  kNote,
  kOpinion,
  kMalwareAnalysis,
  kIpv4Addr,
  kIpv6Addr,
  kDomainName,
  kUrl,
  kFile,
  kEmailAddr,
  kNetworkTraffic,
  kMutex,
};
inline constexpr size_t kKindCount = 30;
static_assert(static_cast<size_t>(Kind::kMutex) + 1 == kKindCount, "one type name per Kind");
inline constexpr std::string_view kTypeNames[kKindCount] = {
    "marking-definition",
    "identity",
    "threat-actor",
    "intrusion-set",
    "campaign",
    "malware",
    "tool",
    "attack-pattern",
    "vulnerability",
    "infrastructure",
    "location",
    "course-of-action",
    "indicator",
    "observed-data",
    "sighting",
    "relationship",
    "report",
    "grouping",
    "incident",
    "note",
    "opinion",
    "malware-analysis",
    "ipv4-addr",
    "ipv6-addr",
    "domain-name",
    "url",
    "file",
    "email-addr",
    "network-traffic",
    "mutex",
};
inline std::string_view TypeName(Kind kind) { return kTypeNames[static_cast<size_t>(kind)]; }
inline size_t Index(Kind kind) { return static_cast<size_t>(kind); }

// TLP 2.0 marking-definitions exactly as OASIS publishes them (cti-stix-common-objects,
// extension-definition-specifications/tlp-2.0), in TLP order.
struct TlpDefinition {
  std::string_view id;
  std::string_view name;
  std::string_view value;
};
inline constexpr TlpDefinition kTlp[] = {
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR", "clear"},
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN", "green"},
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER", "amber"},
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "TLP:AMBER+STRICT",
     "amber+strict"},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED", "red"},
};
inline constexpr int kTlpClear = 0, kTlpGreen = 1, kTlpRed = 4;
// Skewed as in real sharing communities: most content GREEN or AMBER, little CLEAR or RED.
inline constexpr uint32_t kTlpWeights[] = {9, 36, 34, 12, 9};

// The most recent ids of one type; references are drawn from here, so they always name an object
// written earlier, and memory stays constant however long the stream.
class IdRing {
 public:
  static constexpr size_t kCapacity = 64;
  void Add(const Uuid& id) {
    ids_[next_] = id;
    next_ = (next_ + 1) % kCapacity;
    if (size_ < kCapacity) ++size_;
  }
  // Drops `id` (a revoked object, which nothing new should point to), keeping the others' order.
  void Remove(const Uuid& id) {
    std::array<Uuid, kCapacity> kept{};
    size_t n = 0;
    for (size_t i = 0; i < size_; ++i) {
      const Uuid& old = ids_[(next_ + kCapacity - size_ + i) % kCapacity];
      if (!(old == id)) kept[n++] = old;
    }
    ids_ = kept;
    size_ = n;
    next_ = n % kCapacity;
  }
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  // Recent ids are twice as likely as older ones, as in real reporting.
  const Uuid& Pick(Rng& rng) const {
    if (size_ > 8 && rng.Percent(50))
      return ids_[(next_ + kCapacity - 1 - rng.Below(8)) % kCapacity];
    return ids_[rng.Below(size_)];
  }

 private:
  std::array<Uuid, kCapacity> ids_{};
  size_t size_ = 0;
  size_t next_ = 0;
};

struct Ref {
  Kind kind = Kind::kIdentity;
  Uuid id;
};

// A versionable object: its content is a pure function of (kind, seed, aux, created), so a later
// version is regenerated from these few bytes instead of being kept in memory.
struct VersionEntry {
  Kind kind;
  uint16_t version;
  uint32_t aux;
  uint64_t seed;
  int64_t created;
  int64_t modified;
};

struct Revision {
  uint64_t seed = 0;
  int version = 1;
  bool revoked = false;
};

// An observable that was emitted as an SCO; later indicators match some of them, as detections
// derived from observations do.
struct Observable {
  Kind kind = Kind::kIpv4Addr;
  std::string value;
  std::string extra;  // file name for files, destination port for addresses
};

enum class PatternKind : uint8_t {
  kIpv4,
  kIpv4Cidr,
  kIpv6,
  kDomain,
  kUrl,
  kEmail,
  kMd5,
  kSha1,
  kSha256,
  kFileNameHash,
  kNetworkTraffic,
  kRegistry,
  kProcess,
  kX509,
  kMutex,
  kUserAgent,
  kUrlLike,
  kOrDomains,
  kAndObservations,
  kOrObservations,
  kFollowedBy,
  kWithin,
  kRepeats,
  kStartStop,
};
inline constexpr uint32_t kPatternWeights[] = {14, 3, 3, 14, 10, 4, 5, 4, 10, 6, 5, 3,
                                               3,  2, 3, 2,  2,  3, 2, 2, 2,  2, 2, 2};
inline constexpr size_t kPatternKindCount = std::size(kPatternWeights);

// Units of the random phase: one object, or an SCO group with its observed-data.
enum class Unit : uint8_t {
  kIndicator,
  kRelationship,
  kObservation,
  kSighting,
  kMalware,
  kThreatActor,
  kIntrusionSet,
  kCampaign,
  kVulnerability,
  kInfrastructure,
  kAttackPattern,
  kTool,
  kCourseOfAction,
  kLocation,
  kReport,
  kGrouping,
  kNote,
  kOpinion,
  kIncident,
  kMalwareAnalysis,
  kVersion,
};
inline constexpr uint32_t kUnitWeights[] = {260, 220, 60, 60, 20, 4,  4,  8, 15, 15, 3,
                                            2,   2,   2,  18, 8,  18, 10, 8, 5,  40};
inline constexpr size_t kUnitCount = std::size(kUnitWeights);

// Observation scenarios: which SCOs one observed-data groups.
enum class Scenario : uint8_t { kNetwork, kFile, kUrl, kDns, kEmail, kIpv6, kMutex };
inline constexpr uint32_t kScenarioWeights[] = {30, 20, 15, 12, 8, 5, 10};
inline constexpr uint32_t kScenarioSizes[] = {5, 2, 3, 3, 2, 2, 3};  // SCOs + the observed-data

// The opening of the random phase: one object of every kind, in an order where every reference
// has a target, so that even a 100-object bundle shows the whole model.
struct KickoffStep {
  Unit unit;
  Kind source = Kind::kIdentity;  // relationships: the rule's source and type
  std::string_view type = {};
  int scenario = -1;  // observations
  bool revoke = false;
};

// Splits a comma-separated list into at most 16 views.
struct CsvList {
  std::array<std::string_view, 16> items;
  size_t size = 0;
  explicit CsvList(std::string_view csv) {
    while (!csv.empty() && size < items.size()) {
      const size_t comma = csv.find(',');
      items[size++] = csv.substr(0, comma);
      if (comma == std::string_view::npos) break;
      csv.remove_prefix(comma + 1);
    }
  }
};

inline void Capitalize(std::string* s, size_t at) {
  if (at < s->size() && (*s)[at] >= 'a' && (*s)[at] <= 'z')
    (*s)[at] = static_cast<char>((*s)[at] - 32);
}

// Common properties of an SDO/SRO being written.
struct Meta {
  int creator = -1;  // index into the organisations, -1 for none
  int64_t created = 0;
  int64_t modified = 0;
  bool revoked = false;
  int confidence = -1;
  int tlp = -1;
  int granular_tlp = -1;
  std::string_view granular_selector;
  std::string_view label;
  bool lang = false;
};

inline Meta MetaAt(int64_t created, int64_t modified) {
  Meta meta;
  meta.created = created;
  meta.modified = modified;
  return meta;
}

// One generation run. `options` and `write` must outlive it; Run() is called once.
class ObjectStream {
 public:
  ObjectStream(const GeneratorOptions& options, bool json_lines, const ChunkWriter& write)
      : options_(options), json_lines_(json_lines), write_(write), rng_(options.seed) {}
  ObjectStream(const ObjectStream&) = delete;
  ObjectStream& operator=(const ObjectStream&) = delete;

  // Contract of GenerateBundle / GenerateJsonLines.
  Status Run();

 private:
  // ---- Stream plumbing, time and writing helpers (generator.cc) ----
  uint64_t remaining() const { return total_ - emitted_; }
  void Commit(Kind kind, const Uuid& id, bool first_version = true);
  Status MaybeFlush(bool final_chunk = false);

  // Creation time of the next object: spread evenly over the span with jitter, never decreasing,
  // so an object is never older than the objects it references.
  int64_t Now();
  int64_t ModifiedAfter(int64_t created);
  void SeenWindow(Rng& r, int64_t created, int64_t max_back, int64_t* first, int64_t* last) const;

  // Writing into w_, which holds the object being written.
  std::string_view IdText(Kind kind, const Uuid& id);
  std::string_view Ts(int64_t ms);
  void Id(std::string_view key, Kind kind, const Uuid& id);
  void Time(std::string_view key, int64_t ms);
  void Text(std::string_view key, std::string_view value) { w_.Key(key).String(value); }
  void List(std::string_view key, std::string_view csv);
  void Subset(Rng& r, std::string_view key, std::string_view csv, size_t min, size_t max);
  void KillChain(Rng& r, std::string_view phases_csv, size_t max);
  void Begin(Kind kind, const Uuid& id);
  void Head(Kind kind, const Uuid& id, const Meta& meta);
  void Tail(const Meta& meta);
  void PickCommon(Rng& r, Meta* meta, bool has_description, bool sensitive = false);
  void ApplyRevision(const Revision& rev, Meta* meta, std::string* description);

  // ---- Text and values (domain_objects.cc) ----
  void AppendActorName(Rng& r, std::string* s);
  void AppendFamilyName(Rng& r, std::string* s);
  // A domain whose registrable label is distinct for every distinct `unique`.
  void AppendDomain(Rng& r, uint64_t unique, std::string* s);
  void AppendRandomDomain(Rng& r, std::string* s);
  void AppendUrl(Rng& r, std::string_view domain, std::string* s);
  void AppendFileName(Rng& r, std::string* s);
  void AppendAuthor(Rng& r, std::string* s);
  uint32_t RandomPublicIpv4(Rng& r);
  // Distinct on every call.
  uint32_t NextPublicIpv4();
  // Expands {actor}, {sector}, {region}, {malware}, {noun} and {product}.
  void AppendFromTemplate(Rng& r, std::string_view tmpl, std::string* s);

  // ---- Marking-definitions, identities and versionable SDOs (domain_objects.cc) ----
  // A Write* function of a versionable kind derives everything from (seed, aux, created), adds
  // `rev`'s changes, and registers the id in the rings only for version 1.
  void WriteMarkings();
  void WriteVersionable(const VersionEntry& entry, const Revision& rev);
  void NewVersionable(Kind kind, uint32_t aux);
  void WriteIdentity(uint64_t seed, uint32_t aux, int64_t created, int64_t modified,
                     const Revision& rev);
  void WriteThreatActor(uint64_t seed, int64_t created, int64_t modified, const Revision& rev);
  void WriteIntrusionSet(uint64_t seed, int64_t created, int64_t modified, const Revision& rev);
  void WriteCampaign(uint64_t seed, int64_t created, int64_t modified, const Revision& rev);
  void WriteMalware(uint64_t seed, int64_t created, int64_t modified, const Revision& rev);
  void WriteTool(uint64_t seed, uint32_t aux, int64_t created, int64_t modified,
                 const Revision& rev);
  void WriteAttackPattern(uint64_t seed, uint32_t aux, int64_t created, int64_t modified,
                          const Revision& rev);
  void WriteCourseOfAction(uint64_t seed, uint32_t aux, int64_t created, int64_t modified,
                           const Revision& rev);
  void WriteLocation(uint64_t seed, uint32_t aux, int64_t created, int64_t modified,
                     const Revision& rev);
  void WriteVulnerability(uint64_t seed, int64_t created, int64_t modified, const Revision& rev);
  void WriteInfrastructure(uint64_t seed, int64_t created, int64_t modified, const Revision& rev);

  // ---- Indicators, SCOs and observed-data (observations.cc) ----
  // `observed` non-null: the pattern restates that observable (such indicators are not
  // versionable, their content depends on the stream).
  void WriteIndicator(uint64_t seed, uint32_t pattern_kind, int64_t created, int64_t modified,
                      const Revision& rev, const Observable* observed);
  // Fill pattern_ and name_, and say which indicator type and kill-chain phase fit.
  void BuildPattern(Rng& r, PatternKind kind, int64_t valid_from, std::string_view* type,
                    std::string_view* phase);
  void BuildObservedPattern(Rng& r, const Observable& o, std::string_view* type,
                            std::string_view* phase);
  void Indicator();
  // An SCO group of `forced_scenario` (-1: random) and its observed-data; an indicator instead
  // when fewer objects remain than the group needs.
  void Observation(int forced_scenario);
  Uuid ValueSco(Kind kind, std::string_view key, std::string_view value,
                const Uuid* resolves_to = nullptr);
  Uuid FileSco(Rng& r, std::string* sha256, std::string* name);
  void RememberObservable(Kind kind, std::string_view value, std::string_view extra);

  // ---- Relationships, sightings and analyst objects (analysis.cc) ----
  // False when no rule has objects on both ends yet.
  bool Relationship(const KickoffStep* forced);
  void Sighting();
  void Report();
  void Grouping();
  void Note();
  void Opinion();
  void Incident();
  void MalwareAnalysis();

  // ---- Stream control (generator.cc) ----
  // A new version of a random versionable object; false when there is none.
  bool Version(bool force_revoke);
  // The next unseen catalogue entry of `unit`'s kind; false when all have been written.
  bool Catalogue(Unit unit);
  void RunUnit(Unit unit, const KickoffStep* step);

  // ---- References (generator.cc) ----
  bool PickRef(Kind kind, Uuid* out);
  const Uuid& PickVictim();
  int PickProducer(Rng& r) const;
  // Up to `count` distinct recent objects (any kind).
  size_t PickRecent(size_t count, std::array<Ref, 32>* out);

  const GeneratorOptions& options_;
  const bool json_lines_;
  const ChunkWriter& write_;
  Rng rng_;  // the stream's choices; object content comes from per-object seeds

  uint64_t total_ = 0;
  uint64_t emitted_ = 0;
  int64_t start_ms_ = 0;
  int64_t span_ms_ = 0;
  int64_t end_ms_ = 0;

  std::string out_;   // pending output
  JsonWriter w_;      // the object being written
  JsonWriter canon_;  // canonical ID-contributing JSON of an SCO
  std::string text_, text2_, value_, value2_, pattern_, name_;
  char id_buf_[96];
  char ts_buf_[kTimestampChars];
  Uuid sco_namespace_;

  std::array<IdRing, kKindCount> rings_;
  std::array<Ref, 256> recent_;
  size_t recent_size_ = 0;
  size_t recent_next_ = 0;
  std::vector<VersionEntry> versions_;  // at most kMaxVersionable
  static constexpr size_t kMaxVersionable = 1024;
  std::array<Observable, 64> observed_;
  size_t observed_size_ = 0;
  size_t observed_next_ = 0;

  std::array<Uuid, 16> identities_{};
  std::array<uint8_t, 16> producers_{};
  size_t producer_count_ = 0;
  std::array<uint8_t, 16> victims_{};
  size_t victim_count_ = 0;

  // Catalogue kinds (techniques, mitigations, tools, locations) are each emitted once, in a
  // seed-dependent order.
  std::vector<uint8_t> technique_order_, mitigation_order_, tool_order_, location_order_;
  size_t technique_next_ = 0, mitigation_next_ = 0, tool_next_ = 0, location_next_ = 0;
  std::array<uint32_t, kUnitCount> unit_weights_{};

  uint64_t indicator_serial_ = 0;
  // Counters behind observables that must never repeat (deterministic SCO ids would collide).
  uint64_t domain_counter_ = 0, ipv4_counter_ = 0, internal_counter_ = 0, ipv6_counter_ = 0,
           mutex_counter_ = 0;
  uint32_t label_key_ = 0, ipv4_key_ = 0, internal_key_ = 0, mutex_key_ = 0;
  uint64_t ipv6_key_ = 0;
};

}  // namespace ctihub::generate::internal
