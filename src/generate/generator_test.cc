#include "generate/generator.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/uuid.h"
#include "generate/internal/values.h"
#include "stix/canonical_json.h"
#include "stix/sco_id.h"
#include "stix/validator.h"

namespace ctihub::generate {
namespace {

GeneratorOptions Options(uint64_t seed, uint64_t objects) {
  GeneratorOptions options;
  options.seed = seed;
  options.objects = objects;
  return options;
}

std::string Bundle(const GeneratorOptions& options) {
  std::string out;
  Status s = GenerateBundle(options, [&](std::string_view chunk) {
    out.append(chunk);
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

std::string JsonLines(const GeneratorOptions& options) {
  std::string out;
  Status s = GenerateJsonLines(options, [&](std::string_view chunk) {
    out.append(chunk);
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

struct Checked {
  stix::FileReport report;
  std::vector<stix::Finding> findings;
};

Checked Validate(std::string text) {
  Checked checked;
  stix::Validator validator;
  checked.report = validator.ValidateText(
      std::move(text), [&](const stix::Finding& f) { checked.findings.push_back(f); });
  return checked;
}

std::string Describe(const std::vector<stix::Finding>& findings) {
  std::string out;
  for (size_t i = 0; i < findings.size() && i < 20; ++i) {
    const stix::Finding& f = findings[i];
    out += std::string(stix::SeverityName(f.severity)) + " " + f.object_id + " " + f.pointer + " " +
           f.rule + ": " + f.message + "\n";
  }
  return out;
}

// Every object of a JSON-lines output, parsed; the documents stay alive with the parser list.
class Parsed {
 public:
  explicit Parsed(const std::string& jsonl) {
    for (const std::string& line : SplitLines(jsonl)) {
      docs_.push_back(simdjson::padded_string(line));
    }
    parsers_.resize(docs_.size());
    for (size_t i = 0; i < docs_.size(); ++i) {
      simdjson::dom::element e;
      EXPECT_EQ(parsers_[i].parse(docs_[i]).get(e), simdjson::SUCCESS);
      objects_.push_back(e);
    }
  }
  const std::vector<simdjson::dom::element>& objects() const { return objects_; }

 private:
  std::vector<simdjson::padded_string> docs_;
  std::vector<simdjson::dom::parser> parsers_;
  std::vector<simdjson::dom::element> objects_;
};

std::string_view Str(simdjson::dom::element e, std::string_view key) {
  std::string_view s;
  if (e[key].get_string().get(s) != simdjson::SUCCESS) return {};
  return s;
}

std::string TypeOf(std::string_view id) { return std::string(id.substr(0, id.find("--"))); }

TEST(Generator, BundlesValidateWithoutErrorsOrWarnings) {
  for (uint64_t objects : {100, 1000, 20000}) {
    for (uint64_t seed : {1ull, 2ull, 42ull, 0xDEADBEEFull}) {
      if (objects == 20000 && seed > 2) continue;  // keep the suite fast
      Checked c = Validate(Bundle(Options(seed, objects)));
      SCOPED_TRACE("objects=" + std::to_string(objects) + " seed=" + std::to_string(seed));
      EXPECT_EQ(c.report.objects, objects);
      EXPECT_EQ(c.report.errors, 0u) << Describe(c.findings);
      EXPECT_EQ(c.report.warnings, 0u) << Describe(c.findings);
      EXPECT_EQ(c.report.invalid_objects, 0u);
    }
  }
}

TEST(Generator, JsonLinesValidateWithoutErrorsOrWarnings) {
  Checked c = Validate(JsonLines(Options(7, 5000)));
  EXPECT_EQ(c.report.objects, 5000u);
  EXPECT_EQ(c.report.errors, 0u) << Describe(c.findings);
  EXPECT_EQ(c.report.warnings, 0u) << Describe(c.findings);
}

TEST(Generator, WritesExactlyTheRequestedNumberOfObjects) {
  for (uint64_t objects : {1, 4, 5, 6, 18, 19, 20, 37, 50, 63, 64, 99, 100, 101, 257, 1234}) {
    Checked c = Validate(Bundle(Options(objects, objects)));
    EXPECT_EQ(c.report.objects, objects);
    EXPECT_EQ(c.report.errors, 0u) << "objects=" << objects << "\n" << Describe(c.findings);
    EXPECT_EQ(SplitLines(JsonLines(Options(objects, objects))).size(), objects);
  }
}

TEST(Generator, ZeroObjectsIsABundleWithoutObjects) {
  // STIX 2.1 §8: `objects` is optional, and an empty list is not allowed.
  const std::string bundle = Bundle(Options(1, 0));
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  ASSERT_EQ(parser.parse(bundle).get(e), simdjson::SUCCESS);
  EXPECT_EQ(Str(e, "type"), "bundle");
  EXPECT_TRUE(Str(e, "id").starts_with("bundle--"));
  EXPECT_EQ(e.get_object().value().size(), 2u);
  EXPECT_TRUE(JsonLines(Options(1, 0)).empty());
}

TEST(Generator, SameOptionsGiveIdenticalBytes_DifferentSeedsDiffer) {
  const std::string a = Bundle(Options(99, 3000));
  const std::string b = Bundle(Options(99, 3000));
  EXPECT_EQ(std::hash<std::string>{}(a), std::hash<std::string>{}(b));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, Bundle(Options(100, 3000)));
  GeneratorOptions later = Options(99, 3000);
  later.start = Timestamp(int64_t{1735689600} * 1000000);  // 2025-01-01
  EXPECT_NE(a, Bundle(later));
}

TEST(Generator, BundleAndJsonLinesCarryTheSameObjects) {
  const GeneratorOptions options = Options(5, 800);
  std::vector<std::string> lines = SplitLines(JsonLines(options));
  std::vector<std::string> bundle = SplitLines(Bundle(options));
  ASSERT_EQ(bundle.size(), lines.size() + 2);  // header line and closing line
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string object = bundle[i + 1];
    if (!object.empty() && object.back() == ',') object.pop_back();
    ASSERT_EQ(object, lines[i]) << "object " << i;
  }
}

TEST(Generator, StreamsInBoundedChunks) {
  size_t chunks = 0, largest = 0, total = 0;
  Status s = GenerateJsonLines(Options(3, 20000), [&](std::string_view chunk) {
    ++chunks;
    largest = std::max(largest, chunk.size());
    total += chunk.size();
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok());
  EXPECT_GT(chunks, 10u);
  EXPECT_LT(largest, size_t{400} << 10);
  EXPECT_GT(total, size_t{5} << 20);
}

TEST(Generator, WriterErrorStopsGeneration) {
  int calls = 0;
  Status s = GenerateBundle(Options(1, 100000), [&](std::string_view) {
    ++calls;
    return calls == 2 ? Unavailable("disk full") : Status::Ok();
  });
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "disk full");
  EXPECT_EQ(calls, 2);
}

TEST(Generator, RejectsBadTimeOptions) {
  auto ignore = [](std::string_view) { return Status::Ok(); };
  GeneratorOptions options = Options(1, 10);
  options.span_days = 0;
  EXPECT_EQ(GenerateBundle(options, ignore).code(), StatusCode::kInvalidArgument);
  options.span_days = 40000;
  EXPECT_EQ(GenerateJsonLines(options, ignore).code(), StatusCode::kInvalidArgument);
  options.span_days = 365;
  options.start = Timestamp(-1);
  EXPECT_EQ(GenerateBundle(options, ignore).code(), StatusCode::kInvalidArgument);
}

TEST(Generator, SmallBundleHasEveryKindOfObject) {
  for (uint64_t seed : {11, 12, 13, 14, 15}) {
    Parsed parsed(JsonLines(Options(seed, 100)));
    std::set<std::string> types;
    std::set<std::string> ids;
    bool revoked = false, new_version = false;
    for (simdjson::dom::element o : parsed.objects()) {
      types.insert(std::string(Str(o, "type")));
      bool flag = false;
      revoked |= o["revoked"].get_bool().get(flag) == simdjson::SUCCESS && flag;
      new_version |=
          !stix::IsStixScoType(Str(o, "type")) && !ids.insert(std::string(Str(o, "id"))).second;
    }
    EXPECT_TRUE(revoked) << seed;
    EXPECT_TRUE(new_version) << seed;
    for (const char* type : {"marking-definition",
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
                             "domain-name",
                             "url",
                             "file",
                             "network-traffic"}) {
      EXPECT_TRUE(types.count(type)) << type << " seed " << seed;
    }
  }
}

TEST(Generator, IndicatorsCoverCommonPatternKindsWithValidPatterns) {
  const std::string jsonl = JsonLines(Options(12, 1000));
  for (const char* needle : {"[ipv4-addr:value = '",
                             "ISSUBSET '",
                             "[ipv6-addr:value = '",
                             "[domain-name:value = '",
                             "[url:value = '",
                             "email-message:from_ref.value",
                             "file:hashes.MD5",
                             "file:hashes.'SHA-1'",
                             "file:hashes.'SHA-256'",
                             "[file:name = '",
                             "network-traffic:dst_port = ",
                             "windows-registry-key:key",
                             "process:command_line MATCHES",
                             "x509-certificate:serial_number",
                             "[mutex:name = '",
                             "'User-Agent'",
                             "LIKE '",
                             "] AND [",
                             "] OR [",
                             "FOLLOWEDBY",
                             "WITHIN 300 SECONDS",
                             "REPEATS ",
                             " START t'",
                             "' STOP t'"}) {
    EXPECT_NE(jsonl.find(needle), std::string::npos) << needle;
  }
  // Backslashes survive both escaping layers: JSON (\\) over pattern (\\).
  EXPECT_NE(jsonl.find(R"(HKEY_CURRENT_USER\\\\Software)"), std::string::npos);
}

TEST(Generator, ScoIdsAreTheDeterministicUuidV5) {
  // The canonical JSON of a single-`value` SCO is {"value":"..."} (STIX 2.1 §2.9, RFC 8785).
  const Uuid ns = Uuid::Parse(kStixScoNamespace).value();
  EXPECT_EQ(Uuid::V5(ns, R"({"value":"198.51.100.3"})").ToString(),
            "28bb3599-77cd-5a82-a950-b5bc3caf07c4");
  Parsed parsed(JsonLines(Options(13, 3000)));
  size_t scos = 0;
  for (simdjson::dom::element o : parsed.objects()) {
    if (!stix::IsStixScoType(Str(o, "type"))) continue;
    ++scos;
    Result<std::optional<std::string>> expected = stix::ComputeScoId(o);
    ASSERT_TRUE(expected.ok()) << expected.status().ToString();
    ASSERT_TRUE(expected->has_value());
    EXPECT_EQ(**expected, Str(o, "id"));
    EXPECT_EQ(Uuid::Parse(Str(o, "id").substr(Str(o, "id").find("--") + 2))->version(), 5);
  }
  EXPECT_GT(scos, 300u);
}

TEST(Generator, ScosNeverRepeat) {
  Parsed parsed(JsonLines(Options(14, 50000)));
  std::unordered_set<std::string> sco_ids;
  for (simdjson::dom::element o : parsed.objects()) {
    if (!stix::IsStixScoType(Str(o, "type"))) continue;
    EXPECT_TRUE(sco_ids.insert(std::string(Str(o, "id"))).second) << Str(o, "id");
  }
}

// Collects every identifier under *_ref / *_refs members, at any depth.
void CollectRefs(simdjson::dom::element e, std::vector<std::string_view>* out) {
  simdjson::dom::object obj;
  simdjson::dom::array arr;
  if (e.get_object().get(obj) == simdjson::SUCCESS) {
    for (auto field : obj) {
      const std::string_view key = field.key;
      const bool ref = key.size() > 4 && key.substr(key.size() - 4) == "_ref";
      const bool refs = key.size() > 5 && key.substr(key.size() - 5) == "_refs";
      std::string_view id;
      simdjson::dom::array ids;
      if (ref && field.value.get_string().get(id) == simdjson::SUCCESS) {
        out->push_back(id);
      } else if (refs && field.value.get_array().get(ids) == simdjson::SUCCESS) {
        for (simdjson::dom::element item : ids) {
          if (item.get_string().get(id) == simdjson::SUCCESS) out->push_back(id);
        }
      } else {
        CollectRefs(field.value, out);
      }
    }
  } else if (e.get_array().get(arr) == simdjson::SUCCESS) {
    for (simdjson::dom::element item : arr) CollectRefs(item, out);
  }
}

TEST(Generator, ReferencesOnlyNameObjectsWrittenEarlier) {
  Parsed parsed(JsonLines(Options(15, 20000)));
  std::unordered_set<std::string> seen;
  std::vector<std::string_view> refs;
  size_t checked = 0;
  for (simdjson::dom::element o : parsed.objects()) {
    refs.clear();
    CollectRefs(o, &refs);
    for (std::string_view ref : refs) {
      EXPECT_TRUE(seen.count(std::string(ref))) << Str(o, "id") << " -> " << ref;
      ++checked;
    }
    seen.insert(std::string(Str(o, "id")));
  }
  EXPECT_GT(checked, 50000u);
}

TEST(Generator, NewObjectsNeverReferenceARevokedOne) {
  Parsed parsed(JsonLines(Options(15, 20000)));
  std::unordered_set<std::string> seen, revoked;
  std::vector<std::string_view> refs;
  size_t checked = 0;
  for (simdjson::dom::element o : parsed.objects()) {
    std::string id(Str(o, "id"));
    if (seen.insert(id).second) {  // a first version: written after any revocation before it
      refs.clear();
      CollectRefs(o, &refs);
      for (std::string_view ref : refs) {
        EXPECT_FALSE(revoked.count(std::string(ref))) << id << " -> revoked " << ref;
        ++checked;
      }
    }
    bool is_revoked = false;
    if (o["revoked"].get(is_revoked) == simdjson::SUCCESS && is_revoked) revoked.insert(id);
  }
  EXPECT_GT(revoked.size(), 50u);
  EXPECT_GT(checked, 50000u);
}

TEST(Generator, RelationshipsConnectSensibleTypes) {
  Parsed parsed(JsonLines(Options(16, 20000)));
  std::map<std::string, size_t> types;
  for (simdjson::dom::element o : parsed.objects()) {
    if (Str(o, "type") != "relationship") continue;
    const std::string rel(Str(o, "relationship_type"));
    const std::string source = TypeOf(Str(o, "source_ref"));
    const std::string target = TypeOf(Str(o, "target_ref"));
    ++types[rel];
    EXPECT_NE(Str(o, "source_ref"), Str(o, "target_ref"));
    if (rel == "indicates" || rel == "based-on") {
      EXPECT_EQ(source, "indicator");
    }
    if (rel == "based-on") {
      EXPECT_EQ(target, "observed-data");
    }
    if (rel == "mitigates") {
      EXPECT_EQ(source, "course-of-action");
    }
    if (rel == "variant-of") {
      EXPECT_TRUE(source == "malware" && target == "malware");
    }
    if (rel == "attributed-to") {
      EXPECT_TRUE(source == "campaign" || source == "intrusion-set") << source;
      EXPECT_TRUE(target == "intrusion-set" || target == "threat-actor") << target;
    }
    if (rel == "targets") {
      EXPECT_TRUE(target == "identity" || target == "location" || target == "vulnerability" ||
                  target == "infrastructure")
          << target;
    }
    if (rel == "located-at" || rel == "originates-from") {
      EXPECT_EQ(target, "location");
    }
  }
  for (const char* rel : {"indicates", "uses", "attributed-to", "targets", "mitigates",
                          "variant-of", "communicates-with", "based-on"}) {
    EXPECT_GT(types[rel], 0u) << rel;
  }
}

int64_t Micros(std::string_view ts) { return Timestamp::Parse(ts).value().micros(); }

TEST(Generator, TimestampsStayInTheSpanAndInOrder) {
  GeneratorOptions options = Options(17, 20000);
  options.start = Timestamp(int64_t{1700000000123456});  // not on a millisecond boundary
  options.span_days = 90;
  Parsed parsed(JsonLines(options));
  const int64_t start = options.start.micros();
  const int64_t end = start + options.span_days * 86400 * int64_t{1000000};
  int64_t previous_created = 0;
  for (simdjson::dom::element o : parsed.objects()) {
    const std::string_view type = Str(o, "type");
    if (type == "marking-definition" || stix::IsStixScoType(type)) continue;
    const int64_t created = Micros(Str(o, "created"));
    const int64_t modified = Micros(Str(o, "modified"));
    EXPECT_GE(created, start) << Str(o, "id");
    EXPECT_LE(created, end) << Str(o, "id");
    EXPECT_GE(modified, created) << Str(o, "id");
    EXPECT_LE(modified, end + 86400 * int64_t{1000000}) << Str(o, "id");
    if (modified == created) previous_created = std::max(previous_created, created);
    if (type == "indicator") {
      EXPECT_GE(Micros(Str(o, "valid_from")), start);
      if (!Str(o, "valid_until").empty()) {
        EXPECT_GT(Micros(Str(o, "valid_until")), Micros(Str(o, "valid_from")));
      }
    }
    for (const char* key : {"first_seen", "first_observed"}) {
      if (!Str(o, key).empty()) {
        EXPECT_GE(Micros(Str(o, key)), start) << Str(o, "id");
      }
    }
  }
}

TEST(Generator, TlpMarkingsMatchTheOasisDefinitions) {
  std::map<std::string, std::string> oasis;  // id -> canonical JSON
  for (const char* level : {"clear", "green", "amber", "amber+strict", "red"}) {
    const std::string path =
        std::string(CTIHUB_SHARED_DATA) + "/stix/tlp2.0/tlp-" + level + ".json";
    simdjson::dom::parser parser;
    simdjson::dom::element bundle;
    ASSERT_EQ(parser.load(path).get(bundle), simdjson::SUCCESS) << path;
    simdjson::dom::element marking = bundle["objects"].at(0).value();
    oasis[std::string(Str(marking, "id"))] = stix::CanonicalJson(marking);
  }
  Parsed parsed(JsonLines(Options(18, 50)));
  size_t markings = 0;
  for (simdjson::dom::element o : parsed.objects()) {
    if (Str(o, "type") != "marking-definition") continue;
    ++markings;
    auto it = oasis.find(std::string(Str(o, "id")));
    ASSERT_NE(it, oasis.end()) << Str(o, "id");
    EXPECT_EQ(stix::CanonicalJson(o), it->second);
  }
  EXPECT_EQ(markings, 5u);
}

TEST(Generator, MarkingsSpanAllTlpLevelsSkewedToGreenAndAmber) {
  Parsed parsed(JsonLines(Options(19, 20000)));
  std::map<std::string, size_t> levels;
  size_t granular = 0;
  for (simdjson::dom::element o : parsed.objects()) {
    simdjson::dom::array refs;
    if (o["object_marking_refs"].get_array().get(refs) == simdjson::SUCCESS) {
      for (simdjson::dom::element ref : refs) ++levels[std::string(ref.get_string().value())];
    }
    simdjson::dom::array gm;
    if (o["granular_markings"].get_array().get(gm) == simdjson::SUCCESS) granular += gm.size();
  }
  const size_t clear = levels["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"];
  const size_t green = levels["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"];
  const size_t amber = levels["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"];
  const size_t strict = levels["marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"];
  const size_t red = levels["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"];
  EXPECT_EQ(levels.size(), 5u);
  EXPECT_GT(clear, 0u);
  EXPECT_GT(strict, 0u);
  EXPECT_GT(red, 0u);
  EXPECT_GT(green + amber, 2 * (clear + red));
  EXPECT_GT(granular, 50u);
}

TEST(Generator, SomeObjectsHaveVersionHistoriesAndRevocations) {
  Parsed parsed(JsonLines(Options(20, 20000)));
  std::unordered_map<std::string, std::vector<int64_t>> versions;
  std::unordered_map<std::string, std::string> first_text;
  size_t revoked = 0, changed = 0;
  for (simdjson::dom::element o : parsed.objects()) {
    const std::string_view type = Str(o, "type");
    if (type == "marking-definition" || stix::IsStixScoType(type)) continue;
    const std::string id(Str(o, "id"));
    auto& list = versions[id];
    const int64_t modified = Micros(Str(o, "modified"));
    if (!list.empty()) {
      EXPECT_GT(modified, list.back()) << id;  // versions appear in modification order
      changed += std::string(Str(o, "description")) != first_text[id];
    } else {
      first_text[id] = std::string(Str(o, "description"));
    }
    list.push_back(modified);
    bool is_revoked = false;
    if (o["revoked"].get_bool().get(is_revoked) == simdjson::SUCCESS && is_revoked) ++revoked;
  }
  size_t multi = 0, three = 0;
  for (const auto& [id, list] : versions) {
    multi += list.size() >= 2;
    three += list.size() >= 3;
  }
  EXPECT_GT(multi, 100u);
  EXPECT_GT(three, 5u);
  EXPECT_GT(revoked, 10u);
  EXPECT_GT(changed, 100u);
}

TEST(Generator, LaterVersionsKeepIdentityAndCreated) {
  Parsed parsed(JsonLines(Options(21, 5000)));
  std::unordered_map<std::string, std::pair<std::string, std::string>>
      first;  // id -> created, type
  size_t repeats = 0;
  for (simdjson::dom::element o : parsed.objects()) {
    const std::string id(Str(o, "id"));
    if (Str(o, "type") == "marking-definition" || stix::IsStixScoType(Str(o, "type"))) continue;
    auto [it, inserted] =
        first.try_emplace(id, std::string(Str(o, "created")), std::string(Str(o, "name")));
    if (inserted) continue;
    ++repeats;
    EXPECT_EQ(Str(o, "created"), it->second.first) << id;
    EXPECT_EQ(Str(o, "name"), it->second.second) << id;
  }
  EXPECT_GT(repeats, 20u);
}

TEST(Values, UniqueLabelsNeverRepeat) {
  std::unordered_set<std::string> labels;
  std::string s;
  for (uint64_t i = 0; i < 300000; ++i) {
    s.clear();
    internal::AppendUniqueLabel(i, 0x1234, &s);
    ASSERT_TRUE(labels.insert(s).second) << i << " " << s;
  }
  // Beyond 2^24 the index itself is encoded; still distinct from the permuted range.
  for (uint64_t i = (uint64_t{1} << 24); i < (uint64_t{1} << 24) + 1000; ++i) {
    s.clear();
    internal::AppendUniqueLabel(i, 0x1234, &s);
    ASSERT_TRUE(labels.insert(s).second) << i << " " << s;
  }
}

TEST(Values, Permute24IsABijection) {
  std::vector<bool> hit(size_t{1} << 24);
  for (uint32_t x = 0; x < (1u << 24); ++x) {
    const uint32_t y = internal::Permute24(x, 0xABCDEF);
    ASSERT_LT(y, 1u << 24);
    ASSERT_FALSE(hit[y]) << x;
    hit[y] = true;
  }
}

TEST(Values, FormatsTimestampsAndIds) {
  char ts[internal::kTimestampChars];
  internal::FormatMillis(1704067200000, ts);
  EXPECT_EQ(std::string_view(ts, sizeof(ts)), "2024-01-01T00:00:00.000Z");
  internal::FormatMillis(951827696789, ts);  // 2000-02-29 leap day
  EXPECT_EQ(std::string_view(ts, sizeof(ts)), "2000-02-29T12:34:56.789Z");
  for (int64_t ms : {int64_t{0}, int64_t{1709251199999}, int64_t{4102444800000}}) {
    internal::FormatMillis(ms, ts);
    EXPECT_EQ(Timestamp::Parse(std::string_view(ts, sizeof(ts))).value().micros(), ms * 1000);
  }
  internal::Rng rng(1);
  const Uuid id = internal::UuidV4(rng);
  char text[internal::kUuidChars];
  internal::FormatUuid(id, text);
  EXPECT_EQ(std::string_view(text, sizeof(text)), id.ToString());
  EXPECT_EQ(id.version(), 4);
  EXPECT_TRUE(id.IsRfc4122Variant());
}

TEST(Values, RngIsTheReferenceXoshiro256StarStar) {
  // First outputs for seed 0 (splitmix64-seeded), fixed so that a change of algorithm, which
  // would silently change every generated bundle, fails here.
  internal::Rng rng(0);
  const uint64_t first = rng.Next();
  const uint64_t second = rng.Next();
  internal::Rng again(0);
  EXPECT_EQ(again.Next(), first);
  EXPECT_EQ(again.Next(), second);
  EXPECT_EQ(first, 0x99EC5F36CB75F2B4ull);
  EXPECT_EQ(second, 0xBF6E1F784956452Aull);
}

}  // namespace
}  // namespace ctihub::generate
