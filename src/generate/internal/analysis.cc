// Relationships, sightings, and the analyst objects that refer to earlier content: reports,
// groupings, notes, opinions, incidents, malware analyses.
#include <algorithm>

#include "generate/internal/object_stream.h"
#include "generate/internal/values.h"
#include "generate/internal/vocabulary.h"

namespace ctihub::generate::internal {

using K = Kind;

// Relationship types of STIX 2.1 §4 (each SDO's "Relationships" table) and Appendix B.
struct RelationshipRule {
  Kind source;
  std::string_view type;
  std::array<Kind, 7> targets;
  uint8_t target_count;
  uint32_t weight;
  std::string_view phrase;  // for the description: "<source> <phrase> <target>"
};
constexpr RelationshipRule kRules[] = {
    {K::kIndicator,
     "indicates",
     {K::kMalware, K::kThreatActor, K::kIntrusionSet, K::kCampaign, K::kAttackPattern,
      K::kInfrastructure, K::kTool},
     7,
     300,
     "indicates"},
    {K::kIndicator, "based-on", {K::kObservedData}, 1, 40, "was derived from"},
    {K::kIndicator, "derived-from", {K::kIndicator}, 1, 5, "refines"},
    {K::kMalware, "uses", {K::kAttackPattern, K::kTool, K::kInfrastructure}, 3, 60, "uses"},
    {K::kMalware, "variant-of", {K::kMalware}, 1, 20, "is a variant of"},
    {K::kMalware, "targets", {K::kIdentity, K::kLocation, K::kVulnerability}, 3, 30, "targets"},
    {K::kMalware,
     "communicates-with",
     {K::kIpv4Addr, K::kIpv6Addr, K::kDomainName, K::kUrl},
     4,
     40,
     "communicates with"},
    {K::kMalware, "exploits", {K::kVulnerability}, 1, 20, "exploits"},
    {K::kMalware, "authored-by", {K::kThreatActor, K::kIntrusionSet}, 2, 15, "was authored by"},
    {K::kMalware, "drops", {K::kMalware, K::kTool, K::kFile}, 3, 10, "drops"},
    {K::kMalware, "originates-from", {K::kLocation}, 1, 5, "originates from"},
    {K::kThreatActor,
     "uses",
     {K::kMalware, K::kTool, K::kAttackPattern, K::kInfrastructure},
     4,
     40,
     "uses"},
    {K::kThreatActor, "targets", {K::kIdentity, K::kLocation, K::kVulnerability}, 3, 25, "targets"},
    {K::kThreatActor, "located-at", {K::kLocation}, 1, 8, "is located in"},
    {K::kThreatActor, "impersonates", {K::kIdentity}, 1, 5, "impersonates"},
    {K::kIntrusionSet,
     "uses",
     {K::kMalware, K::kTool, K::kAttackPattern, K::kInfrastructure},
     4,
     40,
     "uses"},
    {K::kIntrusionSet, "attributed-to", {K::kThreatActor}, 1, 15, "is attributed to"},
    {K::kIntrusionSet,
     "targets",
     {K::kIdentity, K::kLocation, K::kVulnerability},
     3,
     25,
     "targets"},
    {K::kIntrusionSet, "originates-from", {K::kLocation}, 1, 8, "originates from"},
    {K::kIntrusionSet, "owns", {K::kInfrastructure}, 1, 8, "owns"},
    {K::kCampaign, "attributed-to", {K::kIntrusionSet, K::kThreatActor}, 2, 25, "is attributed to"},
    {K::kCampaign,
     "uses",
     {K::kMalware, K::kTool, K::kAttackPattern, K::kInfrastructure},
     4,
     35,
     "uses"},
    {K::kCampaign, "targets", {K::kIdentity, K::kLocation, K::kVulnerability}, 3, 25, "targets"},
    {K::kCampaign, "compromises", {K::kInfrastructure}, 1, 5, "compromised"},
    {K::kAttackPattern, "delivers", {K::kMalware}, 1, 8, "delivers"},
    {K::kAttackPattern,
     "targets",
     {K::kIdentity, K::kLocation, K::kVulnerability},
     3,
     8,
     "targets"},
    {K::kCourseOfAction,
     "mitigates",
     {K::kAttackPattern, K::kMalware, K::kTool, K::kVulnerability, K::kIndicator},
     5,
     40,
     "mitigates"},
    {K::kCourseOfAction, "remediates", {K::kMalware, K::kVulnerability}, 2, 8, "remediates"},
    {K::kTool, "delivers", {K::kMalware}, 1, 10, "delivers"},
    {K::kTool,
     "targets",
     {K::kIdentity, K::kInfrastructure, K::kLocation, K::kVulnerability},
     4,
     5,
     "targets"},
    {K::kInfrastructure,
     "communicates-with",
     {K::kInfrastructure, K::kIpv4Addr, K::kIpv6Addr, K::kDomainName, K::kUrl},
     5,
     25,
     "communicates with"},
    {K::kInfrastructure,
     "consists-of",
     {K::kInfrastructure, K::kObservedData, K::kIpv4Addr, K::kDomainName, K::kUrl},
     5,
     10,
     "consists of"},
    {K::kInfrastructure, "hosts", {K::kMalware, K::kTool}, 2, 15, "hosts"},
    {K::kInfrastructure, "located-at", {K::kLocation}, 1, 8, "is located in"},
    {K::kIdentity, "located-at", {K::kLocation}, 1, 5, "is located in"},
    {K::kMalwareAnalysis, "analysis-of", {K::kMalware}, 1, 8, "is an analysis of"},
    {K::kIncident,
     "related-to",
     {K::kCampaign, K::kMalware, K::kIntrusionSet, K::kThreatActor, K::kIndicator},
     5,
     10,
     "is related to"},
};
constexpr size_t kRuleCount = std::size(kRules);

// STIX 2.1 Incident Core Extension (oasis-open/cti-stix-common-objects), see POLICY.md §7.
constexpr std::string_view kIncidentCoreExtension =
    "extension-definition--ef765651-680c-498d-9894-99799f2fa126";

bool ObjectStream::Relationship(const KickoffStep* forced) {
  const RelationshipRule* rule = nullptr;
  Uuid source, target;
  Kind target_kind = Kind::kIdentity;
  for (int attempt = 0; attempt < 20 && rule == nullptr; ++attempt) {
    const RelationshipRule* candidate = nullptr;
    if (forced != nullptr) {
      for (const RelationshipRule& r : kRules) {
        if (r.source == forced->source && r.type == forced->type) candidate = &r;
      }
    } else {
      static const auto kWeights = [] {
        std::array<uint32_t, kRuleCount> w{};
        for (size_t i = 0; i < kRuleCount; ++i) w[i] = kRules[i].weight;
        return w;
      }();
      candidate = &kRules[PickWeighted(rng_, kWeights)];
    }
    if (candidate == nullptr || !PickRef(candidate->source, &source)) continue;
    // A target type that has objects already.
    std::array<Kind, 7> present;
    size_t count = 0;
    for (size_t i = 0; i < candidate->target_count; ++i) {
      const Kind t = candidate->targets[i];
      if (t == Kind::kIdentity || !rings_[Index(t)].empty()) present[count++] = t;
    }
    if (count == 0) continue;
    target_kind = present[rng_.Below(count)];
    if (!PickRef(target_kind, &target)) continue;
    if (target == source) continue;
    rule = candidate;
  }
  if (rule == nullptr) return false;

  const Uuid id = UuidV4(rng_);
  Meta meta;
  meta.created = Now();
  meta.modified = ModifiedAfter(meta.created);
  meta.creator = PickProducer(rng_);
  meta.confidence = rng_.Percent(70) ? static_cast<int>(rng_.Between(20, 100)) : -1;
  meta.tlp = static_cast<int>(PickWeighted(rng_, kTlpWeights));
  Head(Kind::kRelationship, id, meta);
  Text("relationship_type", rule->type);
  if (rng_.Percent(30)) {
    text_.assign("The ");
    text_.append(TypeName(rule->source));
    text_.push_back(' ');
    text_.append(rule->phrase);
    text_.append(" the ");
    text_.append(TypeName(target_kind));
    text_.append(" according to ");
    text_.append(rng_.Percent(50) ? "incident response findings." : "shared reporting.");
    Text("description", text_);
  }
  Id("source_ref", rule->source, source);
  Id("target_ref", target_kind, target);
  if (rng_.Percent(15)) {
    const int64_t start = std::max(start_ms_, meta.created - rng_.Between(kDay, 90 * kDay));
    Time("start_time", start);
    Time("stop_time", start + rng_.Between(kHour, 60 * kDay));
  }
  Tail(meta);
  Commit(Kind::kRelationship, id);
  return true;
}

void ObjectStream::Sighting() {
  Uuid of;
  Kind of_kind = Kind::kIndicator;
  if (rng_.Percent(15)) of_kind = rng_.Percent(50) ? Kind::kMalware : Kind::kAttackPattern;
  if (!PickRef(of_kind, &of)) {
    of_kind = Kind::kIndicator;
    if (!PickRef(of_kind, &of)) return Indicator();
  }
  const Uuid id = UuidV4(rng_);
  Meta meta;
  meta.created = Now();
  meta.modified = ModifiedAfter(meta.created);
  meta.creator = PickProducer(rng_);
  meta.confidence = rng_.Percent(60) ? static_cast<int>(rng_.Between(40, 100)) : -1;
  meta.tlp = static_cast<int>(PickWeighted(rng_, kTlpWeights));
  if (meta.tlp < 1) meta.tlp = 2;  // sightings reveal victims
  const int64_t first = std::max(start_ms_, meta.created - rng_.Between(kHour, 30 * kDay));
  const int64_t last = rng_.Between(first, meta.created);
  Head(Kind::kSighting, id, meta);
  if (rng_.Percent(30)) {
    text_.assign("Reported by a constituent after ");
    text_.append(rng_.Percent(50) ? "an EDR alert." : "a proxy log review.");
    Text("description", text_);
  }
  Time("first_seen", first);
  Time("last_seen", last);
  w_.Key("count").Int(static_cast<int64_t>(1 + rng_.Below(rng_.Percent(80) ? 20 : 5000)));
  Id("sighting_of_ref", of_kind, of);
  const IdRing& observed = rings_[Index(Kind::kObservedData)];
  if (!observed.empty()) {
    const Uuid a = observed.Pick(rng_);
    w_.Key("observed_data_refs").BeginArray().String(IdText(Kind::kObservedData, a));
    if (rng_.Percent(25)) {
      const Uuid b = observed.Pick(rng_);
      if (!(b == a)) w_.String(IdText(Kind::kObservedData, b));
    }
    w_.EndArray();
  }
  w_.Key("where_sighted_refs").BeginArray().String(IdText(Kind::kIdentity, PickVictim()));
  Uuid location;
  if (rng_.Percent(30) && PickRef(Kind::kLocation, &location)) {
    w_.String(IdText(Kind::kLocation, location));
  }
  w_.EndArray();
  if (rng_.Percent(10)) w_.Key("summary").Bool(true);
  Tail(meta);
  Commit(Kind::kSighting, id);
}

void ObjectStream::Report() {
  const uint64_t seed = rng_.Next();
  Rng r(seed);
  const Uuid id = UuidV4(r);
  Meta meta;
  meta.created = Now();
  meta.modified = ModifiedAfter(meta.created);
  PickCommon(r, &meta, true);
  std::array<Ref, 32> refs;
  const size_t n = PickRecent(3 + rng_.Below(13), &refs);
  name_.clear();
  AppendFromTemplate(r, r.Pick(ReportTitles()), &name_);
  text_.assign(r.Pick(AnalystPhrases()));
  text_.append(" the reported activity ");
  text_.append(r.Pick(Behaviours()));
  text_.append(". Initial access was gained through ");
  text_.append(r.Pick(Deliveries()));
  text_.append(". ");
  text_.append(r.Pick(Assessments()));
  text_.append(" This report references ");
  AppendUint(n, &text_);
  text_.append(" objects.");
  if (meta.granular_tlp < 0 && meta.tlp >= 0 && meta.tlp < kTlpRed && r.Percent(5)) {
    meta.granular_tlp = meta.tlp + 1;
    meta.granular_selector = "name";
  }
  Head(Kind::kReport, id, meta);
  Text("name", name_);
  Text("description", text_);
  w_.Key("report_types").BeginArray().String("threat-report");
  static constexpr std::string_view kExtraTypes[] = {"campaign", "indicator", "malware",
                                                     "threat-actor", "attack-pattern"};
  if (r.Percent(50)) w_.String(r.Pick(kExtraTypes));
  w_.EndArray();
  Time("published", meta.modified);
  w_.Key("object_refs").BeginArray();
  for (size_t i = 0; i < n; ++i) w_.String(IdText(refs[i].kind, refs[i].id));
  w_.EndArray();
  if (r.Percent(40)) {
    const Organisation& org = Organisations()[meta.creator];
    value_.assign("https://intel.");
    value_.append(org.contact.substr(org.contact.find('@') + 1));
    value_.append("/reports/");
    value_.append(Ts(meta.created).substr(0, 4));
    value_.push_back('/');
    AppendHex(r, 10, &value_);
    w_.Key("external_references").BeginArray().BeginObject();
    w_.Key("source_name").String(org.name);
    w_.Key("url").String(value_);
    w_.EndObject().EndArray();
  }
  Tail(meta);
  Commit(Kind::kReport, id);
}

void ObjectStream::Grouping() {
  Rng r(rng_.Next());
  const Uuid id = UuidV4(r);
  Meta meta;
  meta.created = Now();
  meta.modified = ModifiedAfter(meta.created);
  PickCommon(r, &meta, true);
  std::array<Ref, 32> refs;
  const size_t n = PickRecent(2 + rng_.Below(8), &refs);
  static constexpr std::string_view kContexts[] = {"suspicious-activity", "suspicious-activity",
                                                   "malware-analysis", "unspecified"};
  const std::string_view context = r.Pick(kContexts);
  name_.assign("Possible ");
  name_.append(r.Pick(IncidentKinds()));
  name_.append(" at a ");
  name_.append(r.Pick(SectorNouns()));
  name_.append(" constituent");
  text_.assign("Objects collected during triage; not yet assessed. ");
  text_.append(r.Pick(AnalystPhrases()));
  text_.append(" the activity ");
  text_.append(r.Pick(Behaviours()));
  text_.append(".");
  Head(Kind::kGrouping, id, meta);
  Text("name", name_);
  Text("description", text_);
  Text("context", context);
  w_.Key("object_refs").BeginArray();
  for (size_t i = 0; i < n; ++i) w_.String(IdText(refs[i].kind, refs[i].id));
  w_.EndArray();
  Tail(meta);
  Commit(Kind::kGrouping, id);
}

void ObjectStream::Note() {
  Rng r(rng_.Next());
  const Uuid id = UuidV4(r);
  Meta meta;
  meta.created = Now();
  meta.modified = ModifiedAfter(meta.created);
  PickCommon(r, &meta, false, true);
  std::array<Ref, 32> refs;
  const size_t n = PickRecent(1 + rng_.Below(3), &refs);
  text_.assign(r.Pick(AnalystPhrases()));
  text_.append(" the referenced objects belong together: the actor ");
  text_.append(r.Pick(Behaviours()));
  text_.append(". ");
  text_.append(r.Pick(Assessments()));
  if (meta.tlp >= 0 && meta.tlp < kTlpRed && r.Percent(10)) {
    meta.granular_tlp = meta.tlp + 1;
    meta.granular_selector = "content";
  }
  Head(Kind::kNote, id, meta);
  Text("abstract", r.Pick(NoteAbstracts()));
  Text("content", text_);
  value_.clear();
  AppendAuthor(r, &value_);
  w_.Key("authors").BeginArray().String(value_).EndArray();
  w_.Key("object_refs").BeginArray();
  for (size_t i = 0; i < n; ++i) w_.String(IdText(refs[i].kind, refs[i].id));
  w_.EndArray();
  Tail(meta);
  Commit(Kind::kNote, id);
}

void ObjectStream::Opinion() {
  Rng r(rng_.Next());
  const Uuid id = UuidV4(r);
  Meta meta;
  meta.created = Now();
  meta.modified = meta.created;
  PickCommon(r, &meta, false);
  static constexpr std::string_view kOpinions[] = {"strongly-disagree", "disagree", "neutral",
                                                   "agree", "strongly-agree"};
  static constexpr uint32_t kOpinionWeights[] = {7, 18, 25, 40, 10};
  Uuid target;
  Kind kind = Kind::kIndicator;
  if (rng_.Percent(20)) kind = rng_.Percent(50) ? Kind::kReport : Kind::kSighting;
  if (!PickRef(kind, &target)) {
    kind = Kind::kIndicator;
    if (!PickRef(kind, &target)) {
      kind = Kind::kIdentity;
      target = PickVictim();
    }
  }
  Head(Kind::kOpinion, id, meta);
  Text("explanation", r.Pick(OpinionExplanations()));
  value_.clear();
  AppendAuthor(r, &value_);
  w_.Key("authors").BeginArray().String(value_).EndArray();
  Text("opinion", kOpinions[PickWeighted(r, kOpinionWeights)]);
  w_.Key("object_refs").BeginArray().String(IdText(kind, target)).EndArray();
  Tail(meta);
  Commit(Kind::kOpinion, id);
}

void ObjectStream::Incident() {
  Rng r(rng_.Next());
  const Uuid id = UuidV4(r);
  Meta meta;
  meta.created = Now();
  meta.modified = ModifiedAfter(meta.created);
  PickCommon(r, &meta, true, true);
  const Organisation& victim = Organisations()[victims_[r.Below(victim_count_)]];
  const std::string_view incident_kind = r.Pick(IncidentKinds());
  name_.assign(incident_kind);
  Capitalize(&name_, 0);
  name_.append(" at ");
  name_.append(victim.name);
  text_.assign("The constituent reported ");
  text_.append(std::string_view("aeiou").find(incident_kind[0]) != std::string_view::npos ? "an "
                                                                                          : "a ");
  text_.append(incident_kind);
  text_.append(". The intruder ");
  text_.append(r.Pick(Behaviours()));
  text_.append(". Initial access is believed to have come through ");
  text_.append(r.Pick(Deliveries()));
  text_.append(".");
  Head(Kind::kIncident, id, meta);
  Text("name", name_);
  Text("description", text_);
  KillChain(r, "initial-access,execution,persistence,lateral-movement,exfiltration,impact", 3);
  w_.Key("extensions").BeginObject().Key(kIncidentCoreExtension).BeginObject();
  w_.Key("extension_type").String("property-extension");
  static constexpr std::string_view kDeterminations[] = {
      "successful-attempt", "successful-attempt", "failed-attempt", "blocked",
      "suspected",          "low-value",          "false-positive"};
  static constexpr std::string_view kStatuses[] = {"new", "open", "open", "closed"};
  static constexpr std::string_view kDetection[] = {
      "automated-tool", "human-review", "message-from-attacker", "system-outage", "user-reporting"};
  static constexpr std::string_view kTypes[] = {"compromised-system", "unauthorized-access",
                                                "denial-of-service", "supply-chain-vendor"};
  static constexpr std::string_view kRecoverability[] = {"regular", "supplemented", "extended",
                                                         "not-recoverable"};
  w_.Key("determination").String(r.Pick(kDeterminations));
  w_.Key("investigation_status").String(r.Pick(kStatuses));
  static constexpr int kCriticality[] = {15, 40, 40, 70, 95};
  w_.Key("criticality").Int(r.Pick(kCriticality));
  w_.Key("detection_methods").BeginArray().String(r.Pick(kDetection)).EndArray();
  w_.Key("incident_types").BeginArray().String(r.Pick(kTypes)).EndArray();
  w_.Key("recoverability").String(r.Pick(kRecoverability));
  w_.EndObject().EndObject();
  Tail(meta);
  Commit(Kind::kIncident, id);
}

void ObjectStream::MalwareAnalysis() {
  Rng r(rng_.Next());
  const Uuid id = UuidV4(r);
  Meta meta;
  meta.created = Now();
  meta.modified = meta.created;
  PickCommon(r, &meta, false);
  static constexpr std::string_view kResults[] = {"malicious", "suspicious", "benign", "unknown"};
  static constexpr uint32_t kResultWeights[] = {70, 20, 5, 5};
  const std::string_view result = kResults[PickWeighted(r, kResultWeights)];
  const int64_t started = std::max(start_ms_, meta.created - r.Between(5 * kMinute, kDay));
  const int64_t ended = std::min(meta.created, started + r.Between(2 * kMinute, 20 * kMinute));
  Head(Kind::kMalwareAnalysis, id, meta);
  Text("product", r.Pick(SandboxProducts()));
  value_.clear();
  AppendUint(1 + r.Below(3), &value_);
  value_.push_back('.');
  AppendUint(r.Below(20), &value_);
  Text("version", value_);
  Time("submitted", started);
  Time("analysis_started", started);
  Time("analysis_ended", ended);
  if (result == "malicious") {
    value_.assign("Trojan:Win32/");
    AppendFamilyName(r, &value_);
    value_.append(".A");
    Text("result_name", value_);
  }
  Text("result", result);
  Uuid sample;
  if (PickRef(Kind::kFile, &sample)) Id("sample_ref", Kind::kFile, sample);
  Tail(meta);
  Commit(Kind::kMalwareAnalysis, id);
}

}  // namespace ctihub::generate::internal
