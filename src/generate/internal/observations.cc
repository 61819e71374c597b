// Indicators (patterns of every common kind), SCOs with deterministic ids, and the
// observed-data that groups them.
#include <algorithm>

#include "generate/internal/object_stream.h"
#include "generate/internal/values.h"
#include "generate/internal/vocabulary.h"

namespace ctihub::generate::internal {

void ObjectStream::BuildPattern(Rng& r, PatternKind kind, int64_t valid_from,
                                std::string_view* type, std::string_view* phase) {
  std::string& p = pattern_;
  std::string& v = value_;
  p.clear();
  v.clear();
  name_.clear();
  *type = "malicious-activity";
  *phase = "command-and-control";
  auto ipv4_eq = [&](std::string_view object_path) {
    v.clear();
    AppendIpv4(RandomPublicIpv4(r), &v);
    p.append(object_path);
    p.append(" = '");
    p.append(v);
    p.push_back('\'');
  };
  auto domain_eq = [&] {
    v.clear();
    AppendRandomDomain(r, &v);
    p.append("domain-name:value = '");
    p.append(v);
    p.push_back('\'');
  };
  auto hash_eq = [&](std::string_view algo, size_t digits) {
    v.clear();
    AppendHex(r, digits, &v);
    p.append("file:hashes.");
    p.append(algo);
    p.append(" = '");
    p.append(v);
    p.push_back('\'');
  };
  auto url_eq = [&] {
    v.clear();
    text2_.clear();
    AppendRandomDomain(r, &text2_);
    AppendUrl(r, text2_, &v);
    p.append("url:value = '");
    AppendPatternLiteral(v, &p);
    p.push_back('\'');
  };
  auto sender_eq = [&] {
    v.assign(r.Pick(MailLocalParts()));
    v.push_back('@');
    AppendRandomDomain(r, &v);
    p.append("email-message:from_ref.value = '");
    p.append(v);
    p.push_back('\'');
  };
  auto process_matches = [&] {
    p.append("process:command_line MATCHES '");
    AppendPatternLiteral(r.Pick(RegexPrefixes()), &p);
    p.push_back('\'');
  };
  switch (kind) {
    case PatternKind::kIpv4:
      p.push_back('[');
      ipv4_eq("ipv4-addr:value");
      p.push_back(']');
      name_.append("C2 server ");
      name_.append(v);
      break;
    case PatternKind::kIpv4Cidr: {
      const int prefix = r.Percent(70) ? 24 : 22;
      const uint32_t net = RandomPublicIpv4(r) & ~((uint32_t{1} << (32 - prefix)) - 1);
      AppendIpv4(net, &v);
      v.push_back('/');
      AppendUint(static_cast<uint64_t>(prefix), &v);
      p.append("[ipv4-addr:value ISSUBSET '");
      p.append(v);
      p.append("']");
      name_.append("Bulletproof hosting range ");
      name_.append(v);
      *type = "anomalous-activity";
      break;
    }
    case PatternKind::kIpv6: {
      // One draw per statement: the order of evaluation inside an expression is unspecified,
      // and output must not depend on the compiler.
      const uint64_t prefix = uint64_t{0x2a00} + r.Below(16);
      const uint64_t high = prefix << 48 | (r.Next() >> 16);
      const uint64_t low = r.Next();
      AppendIpv6(high, low, &v);
    }
      p.append("[ipv6-addr:value = '");
      p.append(v);
      p.append("']");
      name_.append("C2 server ");
      name_.append(v);
      break;
    case PatternKind::kDomain:
      p.push_back('[');
      domain_eq();
      p.push_back(']');
      name_.append(r.Percent(60) ? "Phishing domain " : "C2 domain ");
      name_.append(v);
      if (r.Percent(15)) *type = "compromised";
      *phase = "initial-access";
      break;
    case PatternKind::kUrl:
      p.push_back('[');
      url_eq();
      p.push_back(']');
      name_.append("Malicious URL on ");
      name_.append(text2_);
      *phase = "initial-access";
      break;
    case PatternKind::kEmail:
      p.push_back('[');
      sender_eq();
      p.append(" AND email-message:subject = '");
      AppendPatternLiteral(r.Pick(MailSubjects()), &p);
      p.append("']");
      name_.append("Phishing sender ");
      name_.append(v);
      *phase = "initial-access";
      break;
    case PatternKind::kMd5:
    case PatternKind::kSha1:
    case PatternKind::kSha256: {
      const bool md5 = kind == PatternKind::kMd5, sha1 = kind == PatternKind::kSha1;
      p.push_back('[');
      hash_eq(md5 ? "MD5" : sha1 ? "'SHA-1'" : "'SHA-256'", md5 ? 32 : sha1 ? 40 : 64);
      p.push_back(']');
      AppendFamilyName(r, &name_);
      name_.append(md5 ? " payload (MD5)" : sha1 ? " payload (SHA-1)" : " payload (SHA-256)");
      *phase = "execution";
      break;
    }
    case PatternKind::kFileNameHash:
      text2_.clear();
      AppendFileName(r, &text2_);
      p.append("[file:name = '");
      AppendPatternLiteral(text2_, &p);
      p.append("' AND ");
      hash_eq("'SHA-256'", 64);
      p.push_back(']');
      name_.append("Malicious attachment ");
      name_.append(text2_);
      *phase = "initial-access";
      break;
    case PatternKind::kNetworkTraffic: {
      static constexpr int kPorts[] = {443, 8443, 4444, 8080, 53, 1337, 9001, 22};
      p.append("[network-traffic:dst_ref.type = 'ipv4-addr' AND ");
      ipv4_eq("network-traffic:dst_ref.value");
      p.append(" AND network-traffic:dst_port = ");
      AppendUint(static_cast<uint64_t>(r.Pick(kPorts)), &p);
      p.push_back(']');
      name_.append("Beacon traffic to ");
      name_.append(v);
      break;
    }
    case PatternKind::kRegistry:
      p.append("[windows-registry-key:key = '");
      AppendPatternLiteral(r.Pick(RegistryKeys()), &p);
      p.append("' AND windows-registry-key:values[*].name = '");
      v.assign(r.Pick(RegistryValueNames()));
      p.append(v);
      p.append("']");
      name_.append("Registry persistence value ");
      name_.append(v);
      *type = "anomalous-activity";
      *phase = "persistence";
      break;
    case PatternKind::kProcess:
      p.push_back('[');
      process_matches();
      p.push_back(']');
      name_.append("Suspicious command line");
      *type = "anomalous-activity";
      *phase = "execution";
      break;
    case PatternKind::kX509:
      p.append("[x509-certificate:serial_number = '");
      for (int i = 0; i < 16; ++i) {
        if (i) p.push_back(':');
        AppendHex(r, 2, &p);
      }
      p.append("' AND x509-certificate:issuer = 'CN=");
      AppendRandomDomain(r, &p);
      p.append("']");
      name_.append("Self-signed C2 certificate");
      break;
    case PatternKind::kMutex:
      v.assign(r.Pick(MutexPrefixes()));
      AppendSyllables(r, 2, true, &v);
      v.push_back('_');
      AppendHex(r, 8, &v);
      p.append("[mutex:name = '");
      AppendPatternLiteral(v, &p);
      p.append("']");
      name_.append("Malware mutex ");
      name_.append(v);
      *phase = "execution";
      break;
    case PatternKind::kUserAgent:
      p.append("[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = '");
      AppendPatternLiteral(r.Pick(UserAgents()), &p);
      p.append("' AND network-traffic:dst_port = 80]");
      name_.append("Implant HTTP user agent");
      *type = "anomalous-activity";
      break;
    case PatternKind::kUrlLike:
      p.append("[url:value LIKE '%/");
      AppendUniqueLabel(r.Below(uint64_t{1} << 30), label_key_, &p);
      p.append("/gate.php%']");
      name_.append("Panel gate URL");
      break;
    case PatternKind::kOrDomains: {
      p.push_back('[');
      const int n = 2 + static_cast<int>(r.Below(3));
      for (int i = 0; i < n; ++i) {
        if (i) p.append(" OR ");
        domain_eq();
      }
      p.push_back(']');
      name_.append("Domain generation set");
      break;
    }
    case PatternKind::kAndObservations:
      p.push_back('[');
      hash_eq("'SHA-256'", 64);
      p.append("] AND [");
      ipv4_eq("network-traffic:dst_ref.value");
      p.append(" AND network-traffic:dst_port = 443]");
      name_.append("Dropper execution followed by C2 traffic");
      break;
    case PatternKind::kOrObservations:
      p.push_back('[');
      ipv4_eq("ipv4-addr:value");
      p.append("] OR [");
      domain_eq();
      p.push_back(']');
      name_.append("C2 endpoint ");
      name_.append(v);
      break;
    case PatternKind::kFollowedBy:
      p.append("([");
      sender_eq();
      p.append("] FOLLOWEDBY [");
      url_eq();
      p.append("]) WITHIN 600 SECONDS");
      name_.append("Phishing mail then credential page visit");
      *phase = "initial-access";
      break;
    case PatternKind::kWithin:
      p.append("([");
      process_matches();
      p.append("] AND [");
      ipv4_eq("network-traffic:dst_ref.value");
      p.append("]) WITHIN 300 SECONDS");
      name_.append("Encoded PowerShell followed by outbound connection");
      *phase = "execution";
      break;
    case PatternKind::kRepeats:
      p.push_back('[');
      ipv4_eq("network-traffic:src_ref.value");
      p.append(" AND network-traffic:dst_port IN (22, 3389, 445)] REPEATS ");
      AppendUint(3 + r.Below(8), &p);
      p.append(" TIMES WITHIN 60 SECONDS");
      name_.append("Brute force from ");
      name_.append(v);
      *type = "anomalous-activity";
      *phase = "credential-access";
      break;
    case PatternKind::kStartStop: {
      p.push_back('[');
      domain_eq();
      p.append("] START t'");
      p.append(Ts(valid_from));
      p.append("' STOP t'");
      p.append(Ts(valid_from + r.Between(1, 30) * kDay));
      p.push_back('\'');
      name_.append("Campaign domain ");
      name_.append(v);
      *phase = "initial-access";
      break;
    }
  }
}

void ObjectStream::BuildObservedPattern(Rng& r, const Observable& o, std::string_view* type,
                                        std::string_view* phase) {
  std::string& p = pattern_;
  p.clear();
  name_.clear();
  *type = "malicious-activity";
  *phase = "command-and-control";
  switch (o.kind) {
    case Kind::kIpv4Addr:
      if (!o.extra.empty() && r.Percent(50)) {
        p.append("[network-traffic:dst_ref.value = '");
        p.append(o.value);
        p.append("' AND network-traffic:dst_port = ");
        p.append(o.extra);
        p.push_back(']');
      } else {
        p.append("[ipv4-addr:value = '");
        p.append(o.value);
        p.append("']");
      }
      name_.append("Observed C2 address ");
      break;
    case Kind::kIpv6Addr:
      p.append("[ipv6-addr:value = '");
      p.append(o.value);
      p.append("']");
      name_.append("Observed C2 address ");
      break;
    case Kind::kDomainName:
      p.append("[domain-name:value = '");
      p.append(o.value);
      p.append("']");
      name_.append("Observed malicious domain ");
      break;
    case Kind::kUrl:
      p.append("[url:value = '");
      AppendPatternLiteral(o.value, &p);
      p.append("']");
      name_.append("Observed malicious URL ");
      *phase = "initial-access";
      break;
    case Kind::kFile:
      p.append("[file:hashes.'SHA-256' = '");
      p.append(o.value);
      if (r.Percent(50)) {
        p.append("' AND file:name = '");
        AppendPatternLiteral(o.extra, &p);
      }
      p.append("']");
      name_.append("Observed payload ");
      *phase = "execution";
      break;
    case Kind::kEmailAddr:
      p.append("[email-message:from_ref.value = '");
      p.append(o.value);
      p.append("']");
      name_.append("Observed phishing sender ");
      *phase = "initial-access";
      break;
    default:  // mutex
      p.append("[mutex:name = '");
      AppendPatternLiteral(o.value, &p);
      p.append("']");
      name_.append("Observed mutex ");
      *phase = "execution";
      break;
  }
  name_.append(o.kind == Kind::kFile ? std::string_view(o.extra) : std::string_view(o.value));
}

void ObjectStream::WriteIndicator(uint64_t seed, uint32_t pattern_kind, int64_t created,
                                  int64_t modified, const Revision& rev,
                                  const Observable* observed) {
  Rng r(seed);
  const Uuid id = UuidV4(r);
  Meta meta = MetaAt(created, modified);
  PickCommon(r, &meta, true);
  const int64_t valid_from = std::max(start_ms_, created - r.Between(0, 2 * kDay));
  std::string_view type, phase;
  if (observed != nullptr) {
    BuildObservedPattern(r, *observed, &type, &phase);
  } else {
    BuildPattern(r, static_cast<PatternKind>(pattern_kind), valid_from, &type, &phase);
  }
  text_.assign(r.Pick(AnalystPhrases()));
  text_.append(" this indicator is associated with ");
  AppendFamilyName(r, &text_);
  text_.push_back(' ');
  text_.append(r.Pick(MalwareArchetypes()).noun);
  text_.append(" activity against ");
  text_.append(r.Pick(SectorNouns()));
  text_.append(" organisations. ");
  text_.append(r.Pick(Assessments()));
  ApplyRevision(rev, &meta, &text_);

  Head(Kind::kIndicator, id, meta);
  Text("name", name_);
  Text("description", text_);
  w_.Key("indicator_types").BeginArray().String(type).EndArray();
  Text("pattern", pattern_);
  Text("pattern_type", "stix");
  Text("pattern_version", "2.1");
  Time("valid_from", valid_from);
  if (r.Percent(70)) Time("valid_until", valid_from + r.Between(7, 365) * kDay);
  if (r.Percent(40)) {
    w_.Key("kill_chain_phases").BeginArray().BeginObject();
    w_.Key("kill_chain_name").String("mitre-attack");
    w_.Key("phase_name").String(phase);
    w_.EndObject().EndArray();
  }
  if (r.Percent(20)) {
    const Organisation& source = Organisations()[PickProducer(r)];
    value2_.assign("https://feeds.");
    value2_.append(source.contact.substr(source.contact.find('@') + 1));
    value2_.append("/indicators/");
    AppendHex(r, 16, &value2_);
    w_.Key("external_references").BeginArray().BeginObject();
    w_.Key("source_name").String(source.name);
    w_.Key("url").String(value2_);
    w_.EndObject().EndArray();
  }
  Tail(meta);
  Commit(Kind::kIndicator, id, rev.version == 1);
}

void ObjectStream::Indicator() {
  const int64_t created = Now();
  const int64_t modified = ModifiedAfter(created);
  const uint64_t seed = rng_.Next();
  const uint64_t serial = indicator_serial_++;
  // The first indicators cycle through every pattern kind; later ones are weighted, and about a
  // third restate an observable seen earlier in the stream.
  if (serial >= kPatternKindCount && observed_size_ > 0 && rng_.Percent(35)) {
    const Observable& o = observed_[rng_.Below(observed_size_)];
    WriteIndicator(seed, 0, created, modified, Revision{seed, 1, false}, &o);
    return;  // not versionable: its content depends on the stream, not only on the seed
  }
  const uint32_t kind = serial < kPatternKindCount
                            ? static_cast<uint32_t>(serial)
                            : static_cast<uint32_t>(PickWeighted(rng_, kPatternWeights));
  VersionEntry e{Kind::kIndicator, 1, kind, seed, created, modified};
  WriteIndicator(seed, kind, created, modified, Revision{seed, 1, false}, nullptr);
  if (versions_.size() < kMaxVersionable) {
    versions_.push_back(e);
  } else {
    versions_[rng_.Below(versions_.size())] = e;
  }
}

Uuid ObjectStream::ValueSco(Kind kind, std::string_view key, std::string_view value,
                            const Uuid* resolves_to) {
  canon_.Clear();
  canon_.BeginObject().Key(key).String(value).EndObject();
  const Uuid id = Uuid::V5(sco_namespace_, canon_.str());
  Begin(kind, id);
  Text(key, value);
  if (resolves_to != nullptr) {
    w_.Key("resolves_to_refs").BeginArray();
    w_.String(IdText(Kind::kIpv4Addr, *resolves_to));
    w_.EndArray();
  }
  Commit(kind, id);
  return id;
}

Uuid ObjectStream::FileSco(Rng& r, std::string* sha256, std::string* name) {
  value_.clear();
  AppendHex(r, 32, &value_);  // MD5
  value2_.clear();
  AppendHex(r, 40, &value2_);  // SHA-1
  sha256->clear();
  AppendHex(r, 64, sha256);
  name->clear();
  AppendFileName(r, name);
  // ID contributing properties (§6.7): hashes cut to the first of MD5, SHA-1, … and name.
  canon_.Clear();
  canon_.BeginObject().Key("hashes").BeginObject().Key("MD5").String(value_).EndObject();
  canon_.Key("name").String(*name).EndObject();
  const Uuid id = Uuid::V5(sco_namespace_, canon_.str());
  Begin(Kind::kFile, id);
  w_.Key("hashes").BeginObject();
  w_.Key("MD5").String(value_);
  w_.Key("SHA-1").String(value2_);
  w_.Key("SHA-256").String(*sha256);
  w_.EndObject();
  w_.Key("size").Int(static_cast<int64_t>(2048 + r.Below(4 << 20)));
  Text("name", *name);
  Commit(Kind::kFile, id);
  return id;
}

void ObjectStream::RememberObservable(Kind kind, std::string_view value, std::string_view extra) {
  Observable& o = observed_[observed_next_];
  o.kind = kind;
  o.value.assign(value);
  o.extra.assign(extra);
  observed_next_ = (observed_next_ + 1) % observed_.size();
  if (observed_size_ < observed_.size()) ++observed_size_;
}

void ObjectStream::Observation(int forced_scenario) {
  size_t scenario = forced_scenario >= 0 ? static_cast<size_t>(forced_scenario)
                                         : PickWeighted(rng_, kScenarioWeights);
  if (kScenarioSizes[scenario] > remaining()) {
    scenario = static_cast<size_t>(Scenario::kFile);  // the smallest group
    if (kScenarioSizes[scenario] > remaining()) return Indicator();
  }
  Rng r(rng_.Next());  // values of this group
  std::array<Ref, 8> refs;
  size_t n = 0;
  int64_t first = 0, last = 0;
  int64_t created = 0;
  switch (static_cast<Scenario>(scenario)) {
    case Scenario::kNetwork: {
      created = Now();
      first = std::max(start_ms_, created - r.Between(10 * kMinute, 2 * kDay));
      last = std::min(created, first + r.Between(1000, kHour));
      value_.clear();
      const uint32_t host =
          Permute24(static_cast<uint32_t>(internal_counter_++ & 0xFFFFFF), internal_key_);
      AppendIpv4(0x0A000000u | host, &value_);
      refs[n++] = {Kind::kIpv4Addr, ValueSco(Kind::kIpv4Addr, "value", value_)};
      value_.clear();
      AppendIpv4(NextPublicIpv4(), &value_);
      text2_.assign(value_);  // the destination, for indicators
      refs[n++] = {Kind::kIpv4Addr, ValueSco(Kind::kIpv4Addr, "value", value_)};
      value_.clear();
      AppendDomain(r, domain_counter_++, &value_);
      refs[n++] = {Kind::kDomainName, ValueSco(Kind::kDomainName, "value", value_, &refs[1].id)};
      RememberObservable(Kind::kDomainName, value_, {});

      static constexpr int kPorts[] = {443, 443, 443, 80, 8443, 8080, 53, 4444, 22, 3389};
      const int dst_port = r.Pick(kPorts);
      const int src_port = static_cast<int>(r.Between(49152, 65535));
      value2_.clear();
      AppendUint(static_cast<uint64_t>(dst_port), &value2_);
      RememberObservable(Kind::kIpv4Addr, text2_, value2_);
      std::string_view app = dst_port == 443 || dst_port == 8443  ? "tls"
                             : dst_port == 80 || dst_port == 8080 ? "http"
                             : dst_port == 53                     ? "dns"
                             : dst_port == 22                     ? "ssh"
                             : dst_port == 3389                   ? "rdp"
                                                                  : "";
      const std::string_view transport = dst_port == 53 ? "udp" : "tcp";
      // ID contributing properties (§6.12) in RFC 8785 order.
      canon_.Clear();
      canon_.BeginObject();
      canon_.Key("dst_port").Int(dst_port);
      canon_.Key("dst_ref").String(IdText(Kind::kIpv4Addr, refs[1].id));
      canon_.Key("end").String(Ts(last));
      canon_.Key("protocols").BeginArray().String("ipv4").String(transport);
      if (!app.empty()) canon_.String(app);
      canon_.EndArray();
      canon_.Key("src_port").Int(src_port);
      canon_.Key("src_ref").String(IdText(Kind::kIpv4Addr, refs[0].id));
      canon_.Key("start").String(Ts(first));
      canon_.EndObject();
      const Uuid nt = Uuid::V5(sco_namespace_, canon_.str());
      Begin(Kind::kNetworkTraffic, nt);
      Time("start", first);
      Time("end", last);
      // §6.12: with `end` the traffic is over; the OASIS library requires it to be said.
      w_.Key("is_active").Bool(false);
      Id("src_ref", Kind::kIpv4Addr, refs[0].id);
      Id("dst_ref", Kind::kIpv4Addr, refs[1].id);
      w_.Key("src_port").Int(src_port);
      w_.Key("dst_port").Int(dst_port);
      w_.Key("protocols").BeginArray().String("ipv4").String(transport);
      if (!app.empty()) w_.String(app);
      w_.EndArray();
      w_.Key("src_byte_count").Int(static_cast<int64_t>(200 + r.Below(50000)));
      w_.Key("dst_byte_count").Int(static_cast<int64_t>(200 + r.Below(2000000)));
      Commit(Kind::kNetworkTraffic, nt);
      refs[n++] = {Kind::kNetworkTraffic, nt};
      break;
    }
    case Scenario::kFile: {
      created = Now();
      refs[n++] = {Kind::kFile, FileSco(r, &text2_, &name_)};
      RememberObservable(Kind::kFile, text2_, name_);
      break;
    }
    case Scenario::kUrl: {
      created = Now();
      text2_.clear();
      AppendDomain(r, domain_counter_++, &text2_);
      refs[n++] = {Kind::kDomainName, ValueSco(Kind::kDomainName, "value", text2_)};
      value_.clear();
      AppendUrl(r, text2_, &value_);
      refs[n++] = {Kind::kUrl, ValueSco(Kind::kUrl, "value", value_)};
      RememberObservable(Kind::kUrl, value_, {});
      break;
    }
    case Scenario::kDns: {
      created = Now();
      value_.clear();
      AppendIpv4(NextPublicIpv4(), &value_);
      refs[n++] = {Kind::kIpv4Addr, ValueSco(Kind::kIpv4Addr, "value", value_)};
      RememberObservable(Kind::kIpv4Addr, value_, {});
      value_.clear();
      AppendDomain(r, domain_counter_++, &value_);
      refs[n++] = {Kind::kDomainName, ValueSco(Kind::kDomainName, "value", value_, &refs[0].id)};
      RememberObservable(Kind::kDomainName, value_, {});
      break;
    }
    case Scenario::kEmail: {
      created = Now();
      value_.assign(r.Pick(MailLocalParts()));
      value_.push_back('@');
      AppendDomain(r, domain_counter_++, &value_);
      refs[n++] = {Kind::kEmailAddr, ValueSco(Kind::kEmailAddr, "value", value_)};
      RememberObservable(Kind::kEmailAddr, value_, {});
      break;
    }
    case Scenario::kIpv6: {
      created = Now();
      value_.clear();
      const uint64_t prefix = uint64_t{0x2a00} + r.Below(16);
      const uint64_t high = prefix << 48 | (r.Next() >> 16);
      AppendIpv6(high, Permute64(ipv6_counter_++, ipv6_key_), &value_);
      refs[n++] = {Kind::kIpv6Addr, ValueSco(Kind::kIpv6Addr, "value", value_)};
      RememberObservable(Kind::kIpv6Addr, value_, {});
      break;
    }
    case Scenario::kMutex: {
      created = Now();
      value_.assign(r.Pick(MutexPrefixes()));
      AppendSyllables(r, 2, true, &value_);
      value_.push_back('_');
      const uint32_t unique = Permute32(static_cast<uint32_t>(mutex_counter_++), mutex_key_);
      for (int shift = 28; shift >= 0; shift -= 4) {
        value_.push_back("0123456789abcdef"[(unique >> shift) & 0xF]);
      }
      refs[n++] = {Kind::kMutex, ValueSco(Kind::kMutex, "name", value_)};
      RememberObservable(Kind::kMutex, value_, {});
      refs[n++] = {Kind::kFile, FileSco(r, &text2_, &name_)};
      break;
    }
  }
  if (first == 0) {
    first = std::max(start_ms_, created - r.Between(kMinute, 3 * kDay));
    last = r.Between(first, created);
  }

  const Uuid id = UuidV4(r);
  Meta meta = MetaAt(created, created);
  meta.creator = PickProducer(r);
  meta.tlp = static_cast<int>(PickWeighted(r, kTlpWeights));
  meta.confidence = r.Percent(50) ? static_cast<int>(50 + r.Below(51)) : -1;
  Head(Kind::kObservedData, id, meta);
  Time("first_observed", first);
  Time("last_observed", last);
  w_.Key("number_observed").Int(static_cast<int64_t>(1 + r.Below(r.Percent(80) ? 5 : 500)));
  w_.Key("object_refs").BeginArray();
  for (size_t i = 0; i < n; ++i) w_.String(IdText(refs[i].kind, refs[i].id));
  w_.EndArray();
  Tail(meta);
  Commit(Kind::kObservedData, id);
}

}  // namespace ctihub::generate::internal
