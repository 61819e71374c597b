// The identity set, the TLP marking-definitions, and the named SDOs that can have several
// versions: threat actors, intrusion sets, campaigns, malware, tools, attack patterns, courses of
// action, locations, vulnerabilities, infrastructure.
#include <algorithm>

#include "generate/internal/object_stream.h"
#include "generate/internal/values.h"
#include "generate/internal/vocabulary.h"
#include "stix/markings.h"

namespace ctihub::generate::internal {

void ObjectStream::AppendActorName(Rng& r, std::string* s) {
  s->append(r.Pick(ActorAdjectives()));
  s->push_back(' ');
  s->append(r.Pick(ActorAnimals()));
}

void ObjectStream::AppendFamilyName(Rng& r, std::string* s) {
  AppendSyllables(r, 2 + static_cast<int>(r.Below(2)), true, s);
}

// Labels are unique per `unique` value; lures, sub-domains and TLDs only decorate them.
void ObjectStream::AppendDomain(Rng& r, uint64_t unique, std::string* s) {
  if (r.Percent(12)) {
    s->append(r.Pick(Subdomains()));
    s->push_back('.');
  }
  if (r.Percent(35)) {
    s->append(r.Pick(DomainLures()));
    s->push_back('-');
  }
  AppendUniqueLabel(unique, label_key_, s);
  s->push_back('.');
  s->append(r.Pick(Tlds()));
}

void ObjectStream::AppendRandomDomain(Rng& r, std::string* s) {
  AppendDomain(r, r.Below(uint64_t{1} << 30), s);
}

void ObjectStream::AppendUrl(Rng& r, std::string_view domain, std::string* s) {
  s->append(r.Percent(80) ? "https://" : "http://");
  s->append(domain);
  s->append(r.Pick(UrlPaths()));
  if (r.Percent(40)) {
    s->append("?id=");
    AppendHex(r, 12, s);
  }
}

void ObjectStream::AppendFileName(Rng& r, std::string* s) {
  s->append(r.Pick(FileNames()));
  if (r.Percent(50)) {
    s->push_back('_');
    AppendUint(r.Below(100000), s);
  }
  s->append(r.Pick(FileExtensions()));
}

void ObjectStream::AppendAuthor(Rng& r, std::string* s) {
  s->push_back(static_cast<char>('A' + r.Below(26)));
  s->append(". ");
  s->append(r.Pick(Surnames()));
}

uint32_t ObjectStream::RandomPublicIpv4(Rng& r) {
  for (;;) {
    const uint32_t a = static_cast<uint32_t>(r.Next() >> 32);
    if (IsPublicIpv4(a)) return a;
  }
}

// Distinct for every call: a permutation of a counter, skipping non-public results.
uint32_t ObjectStream::NextPublicIpv4() {
  for (;;) {
    const uint32_t a = Permute32(static_cast<uint32_t>(ipv4_counter_++), ipv4_key_);
    if (IsPublicIpv4(a)) return a;
  }
}

void ObjectStream::AppendFromTemplate(Rng& r, std::string_view tmpl, std::string* s) {
  while (!tmpl.empty()) {
    const size_t open = tmpl.find('{');
    s->append(tmpl.substr(0, open));
    if (open == std::string_view::npos) return;
    const size_t close = tmpl.find('}', open);
    const std::string_view field = tmpl.substr(open + 1, close - open - 1);
    tmpl.remove_prefix(close + 1);
    if (field == "actor") {
      AppendActorName(r, s);
    } else if (field == "sector") {
      s->append(r.Pick(SectorNouns()));
    } else if (field == "region") {
      s->append(r.Pick(Regions()));
    } else if (field == "malware") {
      AppendFamilyName(r, s);
    } else if (field == "noun") {
      s->append(r.Pick(MalwareArchetypes()).noun);
    } else if (field == "product") {
      s->append(r.Pick(Products()));
    }
  }
}

void ObjectStream::WriteMarkings() {
  for (int level = kTlpClear; level <= kTlpRed && remaining() > 0; ++level) {
    w_.Clear();
    w_.BeginObject();
    w_.Key("type").String("marking-definition");
    w_.Key("spec_version").String("2.1");
    w_.Key("id").String(kTlp[level].id);
    w_.Key("created").String("2022-10-01T00:00:00.000Z");
    w_.Key("name").String(kTlp[level].name);
    w_.Key("extensions").BeginObject().Key(stix::kTlp20ExtensionId).BeginObject();
    w_.Key("extension_type").String("property-extension");
    w_.Key("tlp_2_0").String(kTlp[level].value);
    w_.EndObject().EndObject();
    Commit(Kind::kMarkingDefinition, Uuid());
  }
}

void ObjectStream::WriteIdentity(uint64_t seed, uint32_t aux, int64_t created, int64_t modified,
                                 const Revision& rev) {
  const Organisation& org = Organisations()[aux];
  Rng r(seed);
  const Uuid id = UuidV4(r);
  if (rev.version == 1) identities_[aux] = id;
  Meta meta = MetaAt(created, modified);
  meta.tlp = r.Percent(60) ? kTlpClear : kTlpGreen;
  text_.assign(org.description);
  ApplyRevision(rev, &meta, &text_);
  Head(Kind::kIdentity, id, meta);
  Text("name", org.name);
  Text("description", text_);
  List("roles", org.roles);
  Text("identity_class", org.identity_class);
  List("sectors", org.sectors);
  if (!org.contact.empty()) Text("contact_information", org.contact);
  Tail(meta);
  Commit(Kind::kIdentity, id, rev.version == 1);
}

void ObjectStream::WriteThreatActor(uint64_t seed, int64_t created, int64_t modified,
                                    const Revision& rev) {
  Rng r(seed);
  const Uuid id = UuidV4(r);
  const ActorArchetype& a = r.Pick(ActorArchetypes());
  Meta meta = MetaAt(created, modified);
  PickCommon(r, &meta, true);
  meta.label = a.label;
  name_.clear();
  AppendActorName(r, &name_);
  int64_t first, last;
  SeenWindow(r, created, 3 * 365 * kDay, &first, &last);
  text_.assign(name_);
  text_.append(" is ");
  text_.append(a.description);
  text_.append(". ");
  text_.append(r.Pick(AnalystPhrases()));
  text_.append(" the actor ");
  text_.append(r.Pick(Behaviours()));
  text_.append(" and ");
  text_.append(r.Pick(Behaviours()));
  text_.append(". Initial access typically relies on ");
  text_.append(r.Pick(Deliveries()));
  text_.append("; targets include ");
  text_.append(r.Pick(SectorNouns()));
  text_.append(" organisations in ");
  text_.append(r.Pick(Regions()));
  text_.append(". ");
  text_.append(r.Pick(Assessments()));
  ApplyRevision(rev, &meta, &text_);

  Head(Kind::kThreatActor, id, meta);
  Text("name", name_);
  Text("description", text_);
  List("threat_actor_types", a.threat_actor_types);
  w_.Key("aliases").BeginArray();
  value_.assign("TA");
  AppendUint(100 + r.Below(900), &value_);
  w_.String(value_);
  if (r.Percent(50)) {
    value_.assign("UNC");
    AppendUint(1000 + r.Below(9000), &value_);
    w_.String(value_);
  }
  w_.EndArray();
  Time("first_seen", first);
  Time("last_seen", last);
  Subset(r, "roles", a.roles, 1, 2);
  w_.Key("goals").BeginArray().String(r.Pick(a.goals)).EndArray();
  {
    CsvList levels(a.sophistications);
    Text("sophistication", levels.items[r.Below(levels.size)]);
  }
  {
    CsvList levels(a.resource_levels);
    Text("resource_level", levels.items[r.Below(levels.size)]);
  }
  Text("primary_motivation", a.primary_motivation);
  Subset(r, "secondary_motivations", a.secondary_motivations, 1, 2);
  Tail(meta);
  Commit(Kind::kThreatActor, id, rev.version == 1);
}

void ObjectStream::WriteIntrusionSet(uint64_t seed, int64_t created, int64_t modified,
                                     const Revision& rev) {
  Rng r(seed);
  const Uuid id = UuidV4(r);
  const ActorArchetype& a = r.Pick(ActorArchetypes());
  Meta meta = MetaAt(created, modified);
  PickCommon(r, &meta, true);
  name_.clear();
  AppendActorName(r, &name_);
  int64_t first, last;
  SeenWindow(r, created, 2 * 365 * kDay, &first, &last);
  text_.assign("Activity cluster tracked as ");
  text_.append(name_);
  text_.append(". ");
  text_.append(r.Pick(AnalystPhrases()));
  text_.append(" the cluster ");
  text_.append(r.Pick(Behaviours()));
  text_.append(", with initial access through ");
  text_.append(r.Pick(Deliveries()));
  text_.append(". ");
  text_.append(r.Pick(Assessments()));
  ApplyRevision(rev, &meta, &text_);

  Head(Kind::kIntrusionSet, id, meta);
  Text("name", name_);
  Text("description", text_);
  w_.Key("aliases").BeginArray();
  value_.assign("Cluster ");
  AppendUint(1 + r.Below(999), &value_);
  w_.String(value_);
  w_.EndArray();
  Time("first_seen", first);
  Time("last_seen", last);
  w_.Key("goals").BeginArray().String(r.Pick(a.goals)).EndArray();
  {
    CsvList levels(a.resource_levels);
    Text("resource_level", levels.items[r.Below(levels.size)]);
  }
  Text("primary_motivation", a.primary_motivation);
  Subset(r, "secondary_motivations", a.secondary_motivations, 1, 2);
  Tail(meta);
  Commit(Kind::kIntrusionSet, id, rev.version == 1);
}

void ObjectStream::WriteCampaign(uint64_t seed, int64_t created, int64_t modified,
                                 const Revision& rev) {
  Rng r(seed);
  const Uuid id = UuidV4(r);
  Meta meta = MetaAt(created, modified);
  PickCommon(r, &meta, true);
  name_.assign("Operation ");
  name_.append(r.Pick(ActorAdjectives()));
  name_.push_back(' ');
  name_.append(r.Pick(OperationNouns()));
  int64_t first, last;
  SeenWindow(r, created, 120 * kDay, &first, &last);
  text_.assign(name_);
  text_.append(" targeted ");
  text_.append(r.Pick(SectorNouns()));
  text_.append(" organisations in ");
  text_.append(r.Pick(Regions()));
  text_.append(" through ");
  text_.append(r.Pick(Deliveries()));
  text_.append(". The actor behind it ");
  text_.append(r.Pick(Behaviours()));
  text_.append(". ");
  text_.append(r.Pick(Assessments()));
  ApplyRevision(rev, &meta, &text_);
  // Campaigns serve state or criminal ends (the first archetypes).
  const std::string_view objective = r.Pick(ActorArchetypes()[r.Below(4)].goals);

  Head(Kind::kCampaign, id, meta);
  Text("name", name_);
  Text("description", text_);
  Time("first_seen", first);
  Time("last_seen", last);
  Text("objective", objective);
  Tail(meta);
  Commit(Kind::kCampaign, id, rev.version == 1);
}

void ObjectStream::WriteMalware(uint64_t seed, int64_t created, int64_t modified,
                                const Revision& rev) {
  Rng r(seed);
  const Uuid id = UuidV4(r);
  const MalwareArchetype& a = r.Pick(MalwareArchetypes());
  Meta meta = MetaAt(created, modified);
  PickCommon(r, &meta, true);
  const bool family = r.Percent(85);
  name_.clear();
  AppendFamilyName(r, &name_);
  {
    CsvList suffixes(a.suffixes);
    name_.append(suffixes.items[r.Below(suffixes.size)]);
  }
  if (!family) {
    name_.append(" v");
    AppendUint(1 + r.Below(5), &name_);
    name_.push_back('.');
    AppendUint(r.Below(10), &name_);
  }
  int64_t first, last;
  SeenWindow(r, created, 2 * 365 * kDay, &first, &last);
  text_.assign(name_);
  text_.append(family ? " is a " : " is a sample of a ");
  text_.append(a.noun);
  text_.append(" family. It ");
  text_.append(r.Pick(Behaviours()));
  text_.append(" and ");
  text_.append(r.Pick(Behaviours()));
  text_.append(". Samples are distributed through ");
  text_.append(r.Pick(Deliveries()));
  text_.append(".");
  ApplyRevision(rev, &meta, &text_);

  Head(Kind::kMalware, id, meta);
  Text("name", name_);
  Text("description", text_);
  List("malware_types", a.malware_types);
  w_.Key("is_family").Bool(family);
  if (family && r.Percent(40)) {
    value_.clear();
    AppendFamilyName(r, &value_);
    w_.Key("aliases").BeginArray().String(value_).EndArray();
  }
  KillChain(r, a.phases, 2);
  Time("first_seen", first);
  Time("last_seen", last);
  w_.Key("architecture_execution_envs").BeginArray().String(r.Pick(Architectures()));
  w_.EndArray();
  w_.Key("implementation_languages").BeginArray();
  w_.String(r.Pick(ImplementationLanguages())).EndArray();
  Subset(r, "capabilities", a.capabilities, 2, 4);
  Tail(meta);
  Commit(Kind::kMalware, id, rev.version == 1);
}

void ObjectStream::WriteTool(uint64_t seed, uint32_t aux, int64_t created, int64_t modified,
                             const Revision& rev) {
  const ToolSpec& t = Tools()[aux];
  Rng r(seed);
  const Uuid id = UuidV4(r);
  Meta meta = MetaAt(created, modified);
  PickCommon(r, &meta, true);
  if (meta.tlp > 1) meta.tlp = 1;  // public tools: public knowledge
  if (meta.granular_tlp >= 0 && meta.granular_tlp <= meta.tlp) meta.granular_tlp = -1;
  text_.assign(t.summary);
  ApplyRevision(rev, &meta, &text_);
  Head(Kind::kTool, id, meta);
  Text("name", t.name);
  Text("description", text_);
  List("tool_types", t.tool_types);
  KillChain(r, t.phases, 2);
  Text("tool_version", t.version);
  Tail(meta);
  Commit(Kind::kTool, id, rev.version == 1);
}

void ObjectStream::WriteAttackPattern(uint64_t seed, uint32_t aux, int64_t created,
                                      int64_t modified, const Revision& rev) {
  const Technique& t = Techniques()[aux];
  Rng r(seed);
  const Uuid id = UuidV4(r);
  Meta meta = MetaAt(created, modified);
  PickCommon(r, &meta, false);
  meta.tlp = r.Percent(70) ? kTlpClear : kTlpGreen;
  text_.assign(t.summary);
  ApplyRevision(rev, &meta, &text_);
  Head(Kind::kAttackPattern, id, meta);
  Text("name", t.name);
  Text("description", text_);
  {
    const CsvList phases(t.phases);
    w_.Key("kill_chain_phases").BeginArray();
    for (size_t i = 0; i < phases.size; ++i) {
      w_.BeginObject().Key("kill_chain_name").String("mitre-attack");
      w_.Key("phase_name").String(phases.items[i]).EndObject();
    }
    w_.EndArray();
  }
  value_.assign("https://attack.mitre.org/techniques/");
  for (char c : t.id) value_.push_back(c == '.' ? '/' : c);
  w_.Key("external_references").BeginArray().BeginObject();
  w_.Key("source_name").String("mitre-attack");
  w_.Key("url").String(value_);
  w_.Key("external_id").String(t.id);
  w_.EndObject().EndArray();
  Tail(meta);
  Commit(Kind::kAttackPattern, id, rev.version == 1);
}

void ObjectStream::WriteCourseOfAction(uint64_t seed, uint32_t aux, int64_t created,
                                       int64_t modified, const Revision& rev) {
  const Mitigation& m = Mitigations()[aux];
  Rng r(seed);
  const Uuid id = UuidV4(r);
  Meta meta = MetaAt(created, modified);
  PickCommon(r, &meta, false);
  meta.tlp = r.Percent(60) ? kTlpClear : kTlpGreen;
  text_.assign(m.summary);
  ApplyRevision(rev, &meta, &text_);
  Head(Kind::kCourseOfAction, id, meta);
  Text("name", m.name);
  Text("description", text_);
  value_.assign("https://attack.mitre.org/mitigations/");
  value_.append(m.id);
  w_.Key("external_references").BeginArray().BeginObject();
  w_.Key("source_name").String("mitre-attack");
  w_.Key("url").String(value_);
  w_.Key("external_id").String(m.id);
  w_.EndObject().EndArray();
  Tail(meta);
  Commit(Kind::kCourseOfAction, id, rev.version == 1);
}

void ObjectStream::WriteLocation(uint64_t seed, uint32_t aux, int64_t created, int64_t modified,
                                 const Revision& rev) {
  const LocationSpec& l = Locations()[aux];
  Rng r(seed);
  const Uuid id = UuidV4(r);
  Meta meta = MetaAt(created, modified);
  PickCommon(r, &meta, false);
  meta.tlp = kTlpClear;
  ApplyRevision(rev, &meta, nullptr);
  Head(Kind::kLocation, id, meta);
  Text("name", l.name);
  Text("region", l.region);
  if (!l.country.empty()) {
    Text("country", l.country);
    // Integer ten-thousandths divided once: the same double on every platform.
    w_.Key("latitude").Double(l.latitude_e4 / 10000.0);
    w_.Key("longitude").Double(l.longitude_e4 / 10000.0);
    w_.Key("precision").Int(25000);
    Text("city", l.city);
  }
  Tail(meta);
  Commit(Kind::kLocation, id, rev.version == 1);
}

void ObjectStream::WriteVulnerability(uint64_t seed, int64_t created, int64_t modified,
                                      const Revision& rev) {
  Rng r(seed);
  const Uuid id = UuidV4(r);
  Meta meta = MetaAt(created, modified);
  PickCommon(r, &meta, true);
  name_.assign("CVE-");
  AppendUint(2015 + r.Below(10), &name_);
  name_.push_back('-');
  AppendUint(1000 + r.Below(49000), &name_);
  text_.assign(r.Pick(VulnClasses()));
  Capitalize(&text_, 0);
  text_.append(" in ");
  text_.append(r.Pick(Products()));
  text_.append(" allows ");
  text_.append(r.Percent(60) ? "an unauthenticated remote attacker" : "an authenticated user");
  text_.append(" to ");
  text_.append(r.Pick(VulnImpacts()));
  text_.append(". ");
  text_.append(r.Percent(50) ? "Exploitation in the wild has been reported."
                             : "A patch is available from the vendor.");
  ApplyRevision(rev, &meta, &text_);
  Head(Kind::kVulnerability, id, meta);
  Text("name", name_);
  Text("description", text_);
  w_.Key("external_references").BeginArray().BeginObject();
  w_.Key("source_name").String("cve");
  w_.Key("external_id").String(name_);
  w_.EndObject().EndArray();
  Tail(meta);
  Commit(Kind::kVulnerability, id, rev.version == 1);
}

void ObjectStream::WriteInfrastructure(uint64_t seed, int64_t created, int64_t modified,
                                       const Revision& rev) {
  Rng r(seed);
  const Uuid id = UuidV4(r);
  Meta meta = MetaAt(created, modified);
  PickCommon(r, &meta, true);
  const std::string_view kind = r.Pick(InfrastructureKinds());
  name_.clear();
  AppendFamilyName(r, &name_);
  name_.push_back(' ');
  name_.append(kind);
  name_.append(" infrastructure");
  int64_t first, last;
  SeenWindow(r, created, 180 * kDay, &first, &last);
  text_.assign("Servers used for ");
  for (char c : kind == "botnet" ? std::string_view("botnet control") : kind) {
    text_.push_back(c == '-' ? ' ' : c);
  }
  text_.append(". ");
  text_.append(r.Pick(AnalystPhrases()));
  text_.append(" the actor operating them ");
  text_.append(r.Pick(Behaviours()));
  text_.append(". ");
  text_.append(r.Pick(Assessments()));
  ApplyRevision(rev, &meta, &text_);
  Head(Kind::kInfrastructure, id, meta);
  Text("name", name_);
  Text("description", text_);
  w_.Key("infrastructure_types").BeginArray().String(kind).EndArray();
  KillChain(r, "command-and-control,exfiltration,resource-development", 1);
  Time("first_seen", first);
  Time("last_seen", last);
  Tail(meta);
  Commit(Kind::kInfrastructure, id, rev.version == 1);
}

}  // namespace ctihub::generate::internal
