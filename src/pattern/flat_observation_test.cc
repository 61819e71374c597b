#include "pattern/flat_observation.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "pattern/matcher.h"

namespace ctihub::pattern {
namespace {

namespace json = boost::json;

TEST(FlatObservation, BuildsTheJsonFormOnDemandWithRefsAsKeys) {
  FlatObservation o;
  o.first_observed = o.last_observed = Timestamp(1'700'000'000'000'000);
  uint32_t src = o.AddObject("ipv4-addr");
  o.AddString(o.Root(src), "value", "198.51.100.7");
  uint32_t nt = o.AddObject("network-traffic");
  o.AddRef(o.Root(nt), "src_ref", src);
  o.AddInteger(o.Root(nt), "dst_port", 443);
  uint32_t protocols = o.AddList(o.Root(nt), "protocols");
  o.AddString(protocols, {}, "tcp");
  uint32_t ext = o.AddMap(o.Root(nt), "extensions");
  uint32_t http = o.AddMap(ext, "http-request-ext");
  o.AddString(http, "request_value", o.Own(std::string("/index.html")));
  o.AddBool(o.Root(nt), "is_active", false);

  const Observation& j = o.Json();
  EXPECT_EQ(json::serialize(j.objects),
            R"({"0":{"type":"ipv4-addr","value":"198.51.100.7"},)"
            R"("1":{"type":"network-traffic","src_ref":"0","dst_port":443,"protocols":["tcp"],)"
            R"("extensions":{"http-request-ext":{"request_value":"/index.html"}},"is_active":false}})");
  EXPECT_EQ(j.first_observed, o.first_observed);
  EXPECT_EQ(&o.Json(), &j);  // made once

  EXPECT_EQ(o.Type(1), "network-traffic");
  uint32_t ref = o.Child(o.Root(nt), "src_ref");
  ASSERT_NE(ref, FlatObservation::kNone);
  EXPECT_EQ(o.node(ref).kind, FlatObservation::Kind::kRef);
  EXPECT_EQ(o.node(ref).object, src);
  EXPECT_EQ(o.Child(o.Root(nt), "missing"), FlatObservation::kNone);

  o.Clear();
  EXPECT_TRUE(o.empty());
  uint32_t d = o.AddObject("domain-name");
  o.AddString(o.Root(d), "value", "example.com");
  EXPECT_EQ(json::serialize(o.Json().objects), R"({"0":{"type":"domain-name","value":"example.com"}})");
}

TEST(FlatObservation, OwnedStringsSurviveManyRecordsAndLongValues) {
  FlatObservation o;
  for (int round = 0; round < 3; ++round) {
    o.Clear();
    std::vector<std::pair<uint32_t, std::string>> expected;
    for (int i = 0; i < 400; ++i) {
      std::string value(static_cast<size_t>(i % 7 == 0 ? 40000 : 100), static_cast<char>('a' + i % 26));
      uint32_t obj = o.AddObject("url");
      o.AddString(o.Root(obj), "value", o.Own(value));
      expected.emplace_back(obj, value);
    }
    for (const auto& [obj, value] : expected) {
      EXPECT_EQ(o.node(o.Child(o.Root(obj), "value")).text, value);
    }
    EXPECT_EQ(o.Key(300), "300");
  }
}

TEST(FlatObservation, AssignKeepsTheJsonAndResolvesOnlyReferences) {
  Observation j;
  j.objects = json::parse(R"({
    "file--1": {"type": "file", "name": "file--2", "parent_directory_ref": "directory--9",
                "x_list": [1, 2.5, 18446744073709551615, null, true]},
    "directory--9": {"type": "directory", "path": "C:\\"},
    "domain-name--3": {"type": "domain-name", "value": "a.example",
                       "resolves_to_refs": ["nowhere", "file--1"]},
    "odd": 7
  })").as_object();
  j.number_observed = 3;
  FlatObservation o;
  o.Assign(j);
  EXPECT_EQ(&o.Json(), &j);
  EXPECT_EQ(o.number_observed, 3);
  ASSERT_EQ(o.object_count(), 4u);
  EXPECT_EQ(o.Type(3), "");  // not an object: no slot ever reads it
  uint32_t file = o.Root(0);
  // A plain property holding an id-like string stays a string; a _ref resolves.
  EXPECT_EQ(o.node(o.Child(file, "name")).kind, FlatObservation::Kind::kString);
  uint32_t parent = o.Child(file, "parent_directory_ref");
  ASSERT_EQ(o.node(parent).kind, FlatObservation::Kind::kRef);
  EXPECT_EQ(o.Type(o.node(parent).object), "directory");
  uint32_t list = o.Child(file, "x_list");
  std::vector<FlatObservation::Kind> kinds;
  for (uint32_t c = o.node(list).first_child; c != FlatObservation::kNone; c = o.node(c).next) {
    kinds.push_back(o.node(c).kind);
  }
  EXPECT_EQ(kinds, (std::vector<FlatObservation::Kind>{
                       FlatObservation::Kind::kInteger, FlatObservation::Kind::kDouble,
                       FlatObservation::Kind::kUnsigned, FlatObservation::Kind::kNull,
                       FlatObservation::Kind::kBool}));
  uint32_t refs = o.Child(o.Root(2), "resolves_to_refs");
  uint32_t first = o.node(refs).first_child;
  EXPECT_EQ(o.node(first).kind, FlatObservation::Kind::kString);  // unresolved: kept as text
  EXPECT_EQ(o.node(o.node(first).next).kind, FlatObservation::Kind::kRef);
}

// The matcher reads the compact form; the same observation built flat and as JSON must fire the
// same indicators, including through refs, `_refs` lists with indexes, nested maps and numbers.
TEST(FlatObservation, MatcherAnswersTheSameForBothForms) {
  static const std::string kHash(64, 'a');
  std::vector<IndicatorSpec> specs;
  for (auto [id, text] : std::vector<std::pair<const char*, const char*>>{
      {"i-dst", "[network-traffic:dst_ref.value = '203.0.113.9']"},
      {"i-port", "[network-traffic:dst_port = 443.0]"},
      {"i-cidr", "[ipv4-addr:value ISSUBSET '203.0.113.0/24']"},
      {"i-refs0", "[domain-name:resolves_to_refs[0].value = '203.0.113.9']"},
      {"i-refs1", "[domain-name:resolves_to_refs[1].value = '203.0.113.9']"},
      {"i-any", "[domain-name:resolves_to_refs[*].value = '203.0.113.9']"},
      {"i-hash", "[file:hashes.'SHA-256' = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa']"},
      {"i-proto", "[network-traffic:protocols[*] = 'tcp']"},
      {"i-like", "[domain-name:value LIKE '%.example']"},
      {"i-hex", "[file:x_blob_hex = h'ab']"},
      {"i-confirm", "[domain-name:value = 'c2.example' AND domain-name:value NOT LIKE 'x%']"},
      {"i-v6cidr", "[ipv6-addr:value ISSUBSET '2001:db8:1::/48']"},
      {"i-v6other", "[ipv6-addr:value ISSUBSET '2001:db8:2::/48']"},
      {"i-v6eq", "[ipv6-addr:value = '2001:db8:1::7']"},
       }) {
    IndicatorSpec spec;
    spec.id = id;
    spec.pattern = text;
    specs.push_back(spec);
  }
  CompileReport report;
  auto matcher = PatternMatcher::Compile(specs, {}, &report);
  ASSERT_TRUE(matcher.ok()) << matcher.status().ToString();
  ASSERT_EQ(report.compiled, specs.size()) << report.rejected[0].first << ": " << report.rejected[0].second;

  FlatObservation flat;
  flat.first_observed = flat.last_observed = Timestamp(1'700'000'000'000'000);
  uint32_t ip = flat.AddObject("ipv4-addr");
  const unsigned char bytes[4] = {203, 0, 113, 9};  // parsed by the reader: the CIDR index reads these
  flat.AddIpv4(flat.Root(ip), "value", "203.0.113.9", bytes);
  uint32_t nt = flat.AddObject("network-traffic");
  flat.AddRef(flat.Root(nt), "dst_ref", ip);
  flat.AddInteger(flat.Root(nt), "dst_port", 443);
  flat.AddString(flat.AddList(flat.Root(nt), "protocols"), {}, "tcp");
  uint32_t d = flat.AddObject("domain-name");
  flat.AddString(flat.Root(d), "value", "c2.example");
  uint32_t refs = flat.AddList(flat.Root(d), "resolves_to_refs");
  flat.AddRef(refs, {}, ip);
  uint32_t f = flat.AddObject("file");
  flat.AddString(flat.AddMap(flat.Root(f), "hashes"), "SHA-256", std::string_view(kHash));
  flat.AddString(flat.Root(f), "x_blob_hex", "ab");
  uint32_t ip6 = flat.AddObject("ipv6-addr");
  unsigned char bytes6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1};  // 2001:db8:1::7, parsed by the reader
  bytes6[15] = 7;
  flat.AddIpv6(flat.Root(ip6), "value", "2001:db8:1::7", bytes6);

  auto ids = [&](auto& m, const auto& observation) {
    std::vector<PatternMatch> out;
    EXPECT_TRUE(m->Match(observation, &out).ok());
    std::vector<std::string> names;
    for (const PatternMatch& p : out) names.push_back(m->spec(p.indicator).id);
    std::sort(names.begin(), names.end());
    return names;
  };
  std::vector<std::string> from_flat = ids(*matcher, flat);
  Observation copy = flat.Json();  // a JSON observation of its own, read through Assign
  std::vector<std::string> from_json = ids(*matcher, copy);
  EXPECT_EQ(from_flat, from_json);
  EXPECT_EQ(from_flat, (std::vector<std::string>{"i-any", "i-cidr", "i-confirm", "i-dst", "i-hash",
                                                 "i-hex", "i-like", "i-port", "i-proto", "i-refs0",
                                                 "i-v6cidr", "i-v6eq"}));
}

}  // namespace
}  // namespace ctihub::pattern
