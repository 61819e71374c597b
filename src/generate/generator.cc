#include "generate/generator.h"

#include <algorithm>
#include <cassert>
#include <iterator>
#include <string>

#include "generate/internal/object_stream.h"
#include "generate/internal/values.h"
#include "generate/internal/vocabulary.h"

namespace ctihub::generate {
namespace internal {
namespace {

using K = Kind;

// After the preamble: one object of every kind, each after what it refers to.
constexpr KickoffStep kKickoff[] = {
    {Unit::kLocation},
    {Unit::kLocation},
    {Unit::kThreatActor},
    {Unit::kIntrusionSet},
    {Unit::kCampaign},
    {Unit::kMalware},
    {Unit::kMalware},
    {Unit::kTool},
    {Unit::kAttackPattern},
    {Unit::kAttackPattern},
    {Unit::kVulnerability},
    {Unit::kInfrastructure},
    {Unit::kCourseOfAction},
    {Unit::kObservation, K::kIdentity, {}, static_cast<int>(Scenario::kNetwork)},
    {Unit::kObservation, K::kIdentity, {}, static_cast<int>(Scenario::kFile)},
    {Unit::kObservation, K::kIdentity, {}, static_cast<int>(Scenario::kUrl)},
    {Unit::kIndicator},
    {Unit::kIndicator},
    {Unit::kIndicator},
    {Unit::kSighting},
    {Unit::kRelationship, K::kIndicator, "indicates"},
    {Unit::kRelationship, K::kIntrusionSet, "uses"},
    {Unit::kRelationship, K::kCampaign, "attributed-to"},
    {Unit::kRelationship, K::kThreatActor, "targets"},
    {Unit::kRelationship, K::kCourseOfAction, "mitigates"},
    {Unit::kRelationship, K::kMalware, "variant-of"},
    {Unit::kRelationship, K::kInfrastructure, "communicates-with"},
    {Unit::kRelationship, K::kIndicator, "based-on"},
    {Unit::kReport},
    {Unit::kGrouping},
    {Unit::kIncident},
    {Unit::kNote},
    {Unit::kOpinion},
    {Unit::kMalwareAnalysis},
    {Unit::kVersion},
    {Unit::kVersion, K::kIdentity, {}, -1, true},
};

}  // namespace

void ObjectStream::Commit(Kind kind, const Uuid& id, bool first_version) {
  w_.EndObject();
  if (!json_lines_ && emitted_ > 0) out_.append(",\n");
  out_.append(w_.str());
  if (json_lines_) out_.push_back('\n');
  ++emitted_;
  if (!first_version || kind == Kind::kMarkingDefinition) return;
  rings_[Index(kind)].Add(id);
  recent_[recent_next_] = Ref{kind, id};
  recent_next_ = (recent_next_ + 1) % recent_.size();
  if (recent_size_ < recent_.size()) ++recent_size_;
}

Status ObjectStream::MaybeFlush(bool final_chunk) {
  if (out_.empty() || (!final_chunk && out_.size() < kChunkBytes)) return Status::Ok();
  Status s = write_(out_);
  out_.clear();
  return s;
}

int64_t ObjectStream::Now() {
  using U128 = unsigned __int128;
  const U128 position = (static_cast<U128>(emitted_) << 20) + rng_.Below(uint64_t{1} << 20);
  const U128 offset = position * static_cast<U128>(span_ms_) / (static_cast<U128>(total_) << 20);
  return start_ms_ + static_cast<int64_t>(offset);
}

int64_t ObjectStream::ModifiedAfter(int64_t created) {
  if (rng_.Percent(55)) return created;
  return std::min(end_ms_, created + rng_.Between(kMinute, 20 * kDay));
}

void ObjectStream::SeenWindow(Rng& r, int64_t created, int64_t max_back, int64_t* first,
                              int64_t* last) const {
  // Uniform over what the span allows, so first sightings do not pile up at `start`.
  *first = created - r.Between(0, std::min(max_back, created - start_ms_));
  *last = r.Between(*first, created);
}

std::string_view ObjectStream::IdText(Kind kind, const Uuid& id) {
  const std::string_view type = TypeName(kind);
  std::copy(type.begin(), type.end(), id_buf_);
  id_buf_[type.size()] = '-';
  id_buf_[type.size() + 1] = '-';
  FormatUuid(id, id_buf_ + type.size() + 2);
  return std::string_view(id_buf_, type.size() + 2 + kUuidChars);
}

std::string_view ObjectStream::Ts(int64_t ms) {
  FormatMillis(ms, ts_buf_);
  return std::string_view(ts_buf_, kTimestampChars);
}

void ObjectStream::Id(std::string_view key, Kind kind, const Uuid& id) {
  w_.Key(key);
  w_.String(IdText(kind, id));
}

void ObjectStream::Time(std::string_view key, int64_t ms) {
  w_.Key(key);
  w_.String(Ts(ms));
}

void ObjectStream::List(std::string_view key, std::string_view csv) {
  const CsvList list(csv);
  w_.Key(key).BeginArray();
  for (size_t i = 0; i < list.size; ++i) w_.String(list.items[i]);
  w_.EndArray();
}

void ObjectStream::Subset(Rng& r, std::string_view key, std::string_view csv, size_t min,
                          size_t max) {
  CsvList list(csv);
  // A partial Fisher-Yates shuffle keeps the chosen items distinct.
  const size_t n = std::min(list.size, static_cast<size_t>(r.Between(static_cast<int64_t>(min),
                                                                     static_cast<int64_t>(max))));
  w_.Key(key).BeginArray();
  for (size_t i = 0; i < n; ++i) {
    const size_t j = i + r.Below(list.size - i);
    std::swap(list.items[i], list.items[j]);
    w_.String(list.items[i]);
  }
  w_.EndArray();
}

void ObjectStream::KillChain(Rng& r, std::string_view phases_csv, size_t max) {
  CsvList list(phases_csv);
  const size_t n = std::min(list.size, 1 + static_cast<size_t>(r.Below(max)));
  w_.Key("kill_chain_phases").BeginArray();
  for (size_t i = 0; i < n; ++i) {
    const size_t j = i + r.Below(list.size - i);
    std::swap(list.items[i], list.items[j]);
    w_.BeginObject();
    w_.Key("kill_chain_name").String("mitre-attack");
    w_.Key("phase_name").String(list.items[i]);
    w_.EndObject();
  }
  w_.EndArray();
}

void ObjectStream::Begin(Kind kind, const Uuid& id) {
  w_.Clear();
  w_.BeginObject();
  w_.Key("type").String(TypeName(kind));
  w_.Key("spec_version").String("2.1");
  Id("id", kind, id);
}

void ObjectStream::Head(Kind kind, const Uuid& id, const Meta& meta) {
  Begin(kind, id);
  if (meta.creator >= 0) Id("created_by_ref", Kind::kIdentity, identities_[meta.creator]);
  Time("created", meta.created);
  Time("modified", meta.modified);
}

void ObjectStream::Tail(const Meta& meta) {
  if (meta.revoked) w_.Key("revoked").Bool(true);
  if (!meta.label.empty()) w_.Key("labels").BeginArray().String(meta.label).EndArray();
  if (meta.confidence >= 0) w_.Key("confidence").Int(meta.confidence);
  if (meta.lang) w_.Key("lang").String("en");
  if (meta.tlp >= 0) {
    w_.Key("object_marking_refs").BeginArray().String(kTlp[meta.tlp].id).EndArray();
  }
  if (meta.granular_tlp >= 0) {
    w_.Key("granular_markings").BeginArray().BeginObject();
    w_.Key("selectors").BeginArray().String(meta.granular_selector).EndArray();
    w_.Key("marking_ref").String(kTlp[meta.granular_tlp].id);
    w_.EndObject().EndArray();
  }
}

// Creator, confidence, markings and label from the object's own generator, so that every version
// of an object carries the same ones.
void ObjectStream::PickCommon(Rng& r, Meta* meta, bool has_description, bool sensitive) {
  meta->creator = PickProducer(r);
  static constexpr int kConfidences[] = {15, 30, 50, 50, 60, 70, 75, 80, 85, 85, 90, 95, 100};
  meta->confidence = r.Percent(80) ? r.Pick(kConfidences) : -1;
  if (r.Percent(97)) {
    meta->tlp = static_cast<int>(PickWeighted(r, kTlpWeights));
    // Incidents and analyst notes are rarely shared openly.
    if (sensitive && meta->tlp < 2) meta->tlp = 2 + static_cast<int>(r.Below(3));
  }
  // A more restrictive marking on the free text, where the sensitive details usually are.
  if (has_description && meta->tlp >= 0 && meta->tlp < kTlpRed && r.Percent(8)) {
    meta->granular_tlp = meta->tlp + 1 + static_cast<int>(r.Below(kTlpRed - meta->tlp));
    meta->granular_selector = "description";
  }
  meta->lang = r.Percent(15);
}

void ObjectStream::ApplyRevision(const Revision& rev, Meta* meta, std::string* description) {
  meta->revoked = rev.revoked;
  for (int v = 2; v <= rev.version; ++v) {
    Rng u(rev.seed ^ (0x9E3779B97F4A7C15ull * static_cast<uint64_t>(v)));
    if (description != nullptr) {
      description->append(" Update ");
      AppendUint(static_cast<uint64_t>(v), description);
      description->append(": ");
      description->append(u.Pick(UpdateNotes()));
    }
    if (meta->confidence >= 0) {
      meta->confidence =
          static_cast<int>(std::clamp<int64_t>(meta->confidence + u.Between(-15, 15), 0, 100));
    }
  }
}

bool ObjectStream::PickRef(Kind kind, Uuid* out) {
  if (kind == Kind::kIdentity) {
    *out = PickVictim();
    return true;
  }
  const IdRing& ring = rings_[Index(kind)];
  if (ring.empty()) return false;
  *out = ring.Pick(rng_);
  return true;
}

const Uuid& ObjectStream::PickVictim() { return identities_[victims_[rng_.Below(victim_count_)]]; }

int ObjectStream::PickProducer(Rng& r) const { return producers_[r.Below(producer_count_)]; }

size_t ObjectStream::PickRecent(size_t count, std::array<Ref, 32>* out) {
  size_t n = 0;
  for (size_t attempt = 0; attempt < 3 * count && n < count && recent_size_ > 0; ++attempt) {
    // Mostly the latest objects, as a report covers what was just analysed.
    const size_t back = rng_.Percent(70) ? rng_.Below(std::min<size_t>(recent_size_, 32))
                                         : rng_.Below(recent_size_);
    const Ref& ref = recent_[(recent_next_ + recent_.size() - 1 - back) % recent_.size()];
    if (ref.id == Uuid()) continue;  // revoked since
    bool seen = false;
    for (size_t i = 0; i < n; ++i) seen |= (*out)[i].id == ref.id;
    if (!seen) (*out)[n++] = ref;
  }
  return n;
}

void ObjectStream::WriteVersionable(const VersionEntry& e, const Revision& rev) {
  switch (e.kind) {
    case Kind::kIdentity:
      return WriteIdentity(e.seed, e.aux, e.created, e.modified, rev);
    case Kind::kThreatActor:
      return WriteThreatActor(e.seed, e.created, e.modified, rev);
    case Kind::kIntrusionSet:
      return WriteIntrusionSet(e.seed, e.created, e.modified, rev);
    case Kind::kCampaign:
      return WriteCampaign(e.seed, e.created, e.modified, rev);
    case Kind::kMalware:
      return WriteMalware(e.seed, e.created, e.modified, rev);
    case Kind::kTool:
      return WriteTool(e.seed, e.aux, e.created, e.modified, rev);
    case Kind::kAttackPattern:
      return WriteAttackPattern(e.seed, e.aux, e.created, e.modified, rev);
    case Kind::kCourseOfAction:
      return WriteCourseOfAction(e.seed, e.aux, e.created, e.modified, rev);
    case Kind::kLocation:
      return WriteLocation(e.seed, e.aux, e.created, e.modified, rev);
    case Kind::kVulnerability:
      return WriteVulnerability(e.seed, e.created, e.modified, rev);
    case Kind::kInfrastructure:
      return WriteInfrastructure(e.seed, e.created, e.modified, rev);
    case Kind::kIndicator:
      return WriteIndicator(e.seed, e.aux, e.created, e.modified, rev, nullptr);
    default:
      return;  // not versionable
  }
}

void ObjectStream::NewVersionable(Kind kind, uint32_t aux) {
  VersionEntry e{kind, 1, aux, rng_.Next(), 0, 0};
  e.created = kind == Kind::kIdentity ? start_ms_ : Now();
  e.modified = kind == Kind::kIdentity ? start_ms_ : ModifiedAfter(e.created);
  WriteVersionable(e, Revision{e.seed, 1, false});
  if (versions_.size() < kMaxVersionable) {
    versions_.push_back(e);
  } else {
    versions_[rng_.Below(versions_.size())] = e;
  }
}

bool ObjectStream::Version(bool force_revoke) {
  if (versions_.empty()) return false;
  size_t index = rng_.Below(versions_.size());
  // Identities are updated, never revoked; a forced revocation looks for something else.
  for (size_t probe = 0; force_revoke && probe < versions_.size(); ++probe) {
    if (versions_[index].kind != Kind::kIdentity) break;
    index = (index + 1) % versions_.size();
  }
  VersionEntry& e = versions_[index];
  const int64_t now = Now();
  const int64_t modified = std::max(now, e.modified + rng_.Between(1000, kHour));
  const bool revocable = e.kind != Kind::kIdentity;
  const bool revoke = revocable && (force_revoke || rng_.Percent(12));
  e.modified = modified;
  ++e.version;
  WriteVersionable(e, Revision{e.seed, e.version, revoke});
  if (revoke) {  // a revoked object gets no further versions, and no new references
    Rng r(e.seed);
    const Uuid id = UuidV4(r);  // as every writer draws it first
    rings_[Index(e.kind)].Remove(id);
    for (Ref& ref : recent_) {
      if (ref.id == id) ref.id = Uuid();
    }
    versions_[index] = versions_.back();
    versions_.pop_back();
  }
  return true;
}

bool ObjectStream::Catalogue(Unit unit) {
  switch (unit) {
    case Unit::kAttackPattern:
      if (technique_next_ == technique_order_.size()) return false;
      NewVersionable(Kind::kAttackPattern, technique_order_[technique_next_++]);
      return true;
    case Unit::kCourseOfAction:
      if (mitigation_next_ == mitigation_order_.size()) return false;
      NewVersionable(Kind::kCourseOfAction, mitigation_order_[mitigation_next_++]);
      return true;
    case Unit::kTool:
      if (tool_next_ == tool_order_.size()) return false;
      NewVersionable(Kind::kTool, tool_order_[tool_next_++]);
      return true;
    default:
      if (location_next_ == location_order_.size()) return false;
      NewVersionable(Kind::kLocation, location_order_[location_next_++]);
      return true;
  }
}

void ObjectStream::RunUnit(Unit unit, const KickoffStep* step) {
  switch (unit) {
    case Unit::kIndicator:
      return Indicator();
    case Unit::kRelationship:
      if (!Relationship(step)) Indicator();
      return;
    case Unit::kObservation:
      return Observation(step != nullptr ? step->scenario : -1);
    case Unit::kSighting:
      return Sighting();
    case Unit::kMalware:
      return NewVersionable(Kind::kMalware, 0);
    case Unit::kThreatActor:
      return NewVersionable(Kind::kThreatActor, 0);
    case Unit::kIntrusionSet:
      return NewVersionable(Kind::kIntrusionSet, 0);
    case Unit::kCampaign:
      return NewVersionable(Kind::kCampaign, 0);
    case Unit::kVulnerability:
      return NewVersionable(Kind::kVulnerability, 0);
    case Unit::kInfrastructure:
      return NewVersionable(Kind::kInfrastructure, 0);
    case Unit::kAttackPattern:
    case Unit::kTool:
    case Unit::kCourseOfAction:
    case Unit::kLocation:
      if (!Catalogue(unit)) {
        unit_weights_[static_cast<size_t>(unit)] = 0;  // every entry has been emitted
        Indicator();
      }
      return;
    case Unit::kReport:
      return Report();
    case Unit::kGrouping:
      return Grouping();
    case Unit::kNote:
      return Note();
    case Unit::kOpinion:
      return Opinion();
    case Unit::kIncident:
      return Incident();
    case Unit::kMalwareAnalysis:
      return MalwareAnalysis();
    case Unit::kVersion:
      if (!Version(step != nullptr && step->revoke)) Indicator();
      return;
  }
}

Status ObjectStream::Run() {
  if (options_.span_days < 1 || options_.span_days > 36500) {
    return InvalidArgument("span_days is " + std::to_string(options_.span_days) +
                           "; it must be between 1 and 36500");
  }
  constexpr int64_t kYear9000Micros = int64_t{221845392000} * 1000000;  // 9000-01-01T00:00:00Z
  const int64_t start_micros = options_.start.micros();
  if (start_micros < 0 || start_micros + options_.span_days * kDay * 1000 >= kYear9000Micros) {
    return InvalidArgument("start " + options_.start.ToString() +
                           " plus span_days must stay within the years 1970-9000");
  }
  total_ = options_.objects;
  start_ms_ = (start_micros + 999) / 1000;  // never before `start`
  span_ms_ = options_.span_days * kDay;
  end_ms_ = start_ms_ + span_ms_;
  sco_namespace_ = Uuid::Parse(kStixScoNamespace).value();
  out_.reserve(kChunkBytes + (kChunkBytes >> 2));
  versions_.reserve(kMaxVersionable);
  label_key_ = static_cast<uint32_t>(rng_.Next());
  ipv4_key_ = static_cast<uint32_t>(rng_.Next());
  internal_key_ = static_cast<uint32_t>(rng_.Next());
  mutex_key_ = static_cast<uint32_t>(rng_.Next());
  ipv6_key_ = rng_.Next();
  auto shuffled = [&](size_t n) {
    std::vector<uint8_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint8_t>(i);
    for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng_.Below(i)]);
    return order;
  };
  technique_order_ = shuffled(Techniques().size());
  mitigation_order_ = shuffled(Mitigations().size());
  tool_order_ = shuffled(Tools().size());
  location_order_ = shuffled(Locations().size());
  std::copy(std::begin(kUnitWeights), std::end(kUnitWeights), unit_weights_.begin());
  const std::span<const Organisation> orgs = Organisations();
  assert(orgs.size() <= identities_.size() && "the identity arrays are too small");
  for (size_t i = 0; i < orgs.size(); ++i) {
    if (orgs[i].producer) {
      producers_[producer_count_++] = static_cast<uint8_t>(i);
    } else {
      victims_[victim_count_++] = static_cast<uint8_t>(i);
    }
  }
  const Uuid bundle_id = UuidV4(rng_);

  if (!json_lines_) {
    out_.append(R"({"type":"bundle","id":"bundle--)");
    char uuid[kUuidChars];
    FormatUuid(bundle_id, uuid);
    out_.append(uuid, sizeof(uuid));
    out_.push_back('"');
    if (total_ > 0) out_.append(",\"objects\":[\n");
  }
  WriteMarkings();
  for (size_t i = 0; i < orgs.size() && remaining() > 0; ++i) {
    NewVersionable(Kind::kIdentity, static_cast<uint32_t>(i));
  }
  CTI_RETURN_IF_ERROR(MaybeFlush());
  for (const KickoffStep& step : kKickoff) {
    if (remaining() == 0) break;
    RunUnit(step.unit, &step);
    CTI_RETURN_IF_ERROR(MaybeFlush());
  }
  while (remaining() > 0) {
    RunUnit(static_cast<Unit>(PickWeighted(rng_, unit_weights_)), nullptr);
    CTI_RETURN_IF_ERROR(MaybeFlush());
  }
  if (!json_lines_) out_.append(total_ > 0 ? "\n]}\n" : "}\n");
  return MaybeFlush(/*final_chunk=*/true);
}

}  // namespace internal

Status GenerateBundle(const GeneratorOptions& options, const ChunkWriter& write) {
  return internal::ObjectStream(options, /*json_lines=*/false, write).Run();
}

Status GenerateJsonLines(const GeneratorOptions& options, const ChunkWriter& write) {
  return internal::ObjectStream(options, /*json_lines=*/true, write).Run();
}

}  // namespace ctihub::generate
