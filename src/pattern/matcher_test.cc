#include "pattern/matcher.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "pattern/evaluator.h"
#include "pattern/parser.h"

namespace ctihub::pattern {
namespace {

namespace json = boost::json;

Observation Obs(const std::string& objects, int64_t seconds = 0) {
  Observation o;
  o.objects = json::parse(objects).as_object();
  o.first_observed = o.last_observed = Timestamp(seconds * 1000000);
  return o;
}

IndicatorSpec Spec(const std::string& id, const std::string& pattern) {
  IndicatorSpec s;
  s.id = id;
  s.pattern = pattern;
  return s;
}

std::unique_ptr<PatternMatcher> Compile(std::vector<IndicatorSpec> specs, CompileReport* report = nullptr,
                                        MatcherOptions options = {}) {
  Result<std::unique_ptr<PatternMatcher>> m = PatternMatcher::Compile(std::move(specs), options, report);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(*m) : nullptr;
}

std::set<std::string> Hits(PatternMatcher& m, const Observation& o) {
  std::vector<PatternMatch> out;
  Status s = m.Match(o, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  std::set<std::string> ids;
  for (const PatternMatch& p : out) ids.insert(m.spec(p.indicator).id);
  return ids;
}

using Ids = std::set<std::string>;

TEST(Matcher, EqualityInPrefixAndRegexIndexes) {
  CompileReport report;
  auto m = Compile({Spec("a", "[ipv4-addr:value = '198.51.100.7']"),
                    Spec("b", "[ipv4-addr:value IN ('10.0.0.1', '198.51.100.7')]"),
                    Spec("c", "[ipv4-addr:value ISSUBSET '198.51.100.0/24']"),
                    Spec("d", "[domain-name:value LIKE '%.evil.example']"),
                    Spec("e", "[domain-name:value MATCHES '^x[0-9]+\\\\.']"),
                    Spec("f", "[network-traffic:dst_port = 443.0 AND network-traffic:dst_ref.value = '198.51.100.7']"),
                    Spec("g", "[file:size > 100]"),
                    Spec("h", "[domain-name:value != 'a.example']")},
                   &report);
  ASSERT_TRUE(m);
  EXPECT_EQ(report.compiled, 8u);
  EXPECT_EQ(report.brackets_exact, 3u);    // a, b, c
  EXPECT_EQ(report.brackets_scanned, 2u);  // g, h
  Observation o = Obs(R"({"0":{"type":"ipv4-addr","value":"198.51.100.7"},
                          "1":{"type":"network-traffic","dst_ref":"0","dst_port":443,"protocols":["tcp"]},
                          "2":{"type":"domain-name","value":"x12.evil.example"}})");
  EXPECT_EQ(Hits(*m, o), (Ids{"a", "b", "c", "d", "e", "f", "h"}));
  EXPECT_EQ(Hits(*m, Obs(R"({"0":{"type":"ipv4-addr","value":"198.51.101.7"}})")), Ids{});
  EXPECT_EQ(Hits(*m, Obs(R"({"0":{"type":"file","size":101}})")), Ids{"g"});
  EXPECT_EQ(Hits(*m, Obs(R"({"0":{"type":"domain-name","value":"a.example"}})")), Ids{});
}

TEST(Matcher, MatchedValuesNameThePathAndValue) {
  auto m = Compile({Spec("a", "[network-traffic:dst_ref.value = '203.0.113.9']")});
  std::vector<PatternMatch> out;
  ASSERT_TRUE(m->Match(Obs(R"({"0":{"type":"ipv4-addr","value":"203.0.113.9"},
                              "1":{"type":"network-traffic","dst_ref":"0","protocols":["tcp"]}})"),
                       &out).ok());
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].values.size(), 1u);
  EXPECT_EQ(out[0].values[0].path, "network-traffic:dst_ref.value");
  EXPECT_EQ(out[0].values[0].value, "203.0.113.9");
}

TEST(Matcher, ValidityWindowsAndRevokedIndicators) {
  IndicatorSpec later = Spec("later", "[domain-name:value = 'x.example']");
  later.valid_from = Timestamp(int64_t{100} * 1000000);
  later.valid_until = Timestamp(int64_t{200} * 1000000);
  IndicatorSpec revoked = Spec("revoked", "[domain-name:value = 'x.example']");
  revoked.revoked = true;
  auto m = Compile({later, revoked});
  const char kObs[] = R"({"0":{"type":"domain-name","value":"x.example"}})";
  EXPECT_EQ(Hits(*m, Obs(kObs, 99)), Ids{});
  EXPECT_EQ(Hits(*m, Obs(kObs, 100)), Ids{"later"});
  EXPECT_EQ(Hits(*m, Obs(kObs, 200)), Ids{});
}

TEST(Matcher, BadIndicatorsAreRejectedAndTheRestLoad) {
  CompileReport report;
  auto m = Compile({Spec("bad-syntax", "[ipv4-addr:value = ]"),
                    Spec("bad-regex", "[file:name MATCHES '(a']"),
                    Spec("bad-cidr", "[ipv4-addr:value ISSUBSET '300.1.1.1/8']"),
                    Spec("good", "[file:name = 'a']")},
                   &report);
  EXPECT_EQ(report.compiled, 1u);
  ASSERT_EQ(report.rejected.size(), 3u);
  EXPECT_EQ(report.rejected[0].first, "bad-syntax");
  EXPECT_NE(report.rejected[1].second.find("RE2"), std::string::npos);
  EXPECT_EQ(Hits(*m, Obs(R"({"0":{"type":"file","name":"a"}})")), Ids{"good"});
}

TEST(Matcher, MultiObservationPatternsKeepBoundedState) {
  MatcherOptions options;
  options.max_remembered = 4;
  auto m = Compile({Spec("seq", "([file:name = 'a'] FOLLOWEDBY [file:name = 'b']) WITHIN 60 SECONDS"),
                    Spec("rep", "[domain-name:value = 'c2.example'] REPEATS 3 TIMES")},
                   nullptr, options);
  EXPECT_EQ(Hits(*m, Obs(R"({"0":{"type":"file","name":"a"}})", 0)), Ids{});
  EXPECT_EQ(Hits(*m, Obs(R"({"0":{"type":"file","name":"b"}})", 30)), Ids{"seq"});
  // Consumed: the same b again does not re-alert without a new a.
  EXPECT_EQ(Hits(*m, Obs(R"({"0":{"type":"file","name":"b"}})", 31)), Ids{});
  // Too far apart.
  EXPECT_EQ(Hits(*m, Obs(R"({"0":{"type":"file","name":"a"}})", 100)), Ids{});
  EXPECT_EQ(Hits(*m, Obs(R"({"0":{"type":"file","name":"b"}})", 200)), Ids{});
  const char kC2[] = R"({"0":{"type":"domain-name","value":"c2.example"}})";
  EXPECT_EQ(Hits(*m, Obs(kC2, 300)), Ids{});
  EXPECT_EQ(Hits(*m, Obs(kC2, 301)), Ids{});
  EXPECT_EQ(Hits(*m, Obs(kC2, 302)), Ids{"rep"});
  for (int i = 0; i < 100; ++i) Hits(*m, Obs(R"({"0":{"type":"file","name":"a"}})", 400 + i));
  EXPECT_LE(m->remembered(), 4u + 1u);
}

// ---- differential: the compiled matcher against the plain evaluator ---------------------------

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  int Below(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) { return items[Below(N)]; }

  std::string Ip() {
    static const char* kIps[] = {"198.51.100.1", "198.51.100.7", "198.51.100.200", "203.0.113.5",
                                 "203.0.113.77", "10.1.2.3", "192.0.2.1"};
    return Pick(kIps);
  }
  std::string Domain() {
    static const char* kDomains[] = {"evil.example", "x1.evil.example", "good.example",
                                     "c2.bad.example", "a.example", "Mixed.Example"};
    return Pick(kDomains);
  }
  std::string Name() {
    static const char* kNames[] = {"a.exe", "b.dll", "report.pdf", "a_b.exe", "x%y.txt"};
    return Pick(kNames);
  }
  std::string Md5() {
    static const char* kMd5[] = {"44d88612fea8a8f36de82e1278abb02f", "cead3f77f6cda6ec00f57d76c9a6879f"};
    return Pick(kMd5);
  }

  std::string Comparison() {
    switch (Below(22)) {
      case 0: return "ipv4-addr:value = '" + Ip() + "'";
      case 1: return "ipv4-addr:value != '" + Ip() + "'";
      case 2: return "ipv4-addr:value IN ('" + Ip() + "', '" + Ip() + "')";
      case 3: return std::string("ipv4-addr:value ISSUBSET '") + Pick({"198.51.100.0/24", "198.51.100.0/25", "203.0.113.0/24", "0.0.0.0/0", "10.0.0.0/8"}) + "'";
      case 4: return std::string("ipv4-addr:value LIKE '") + Pick({"198.51.%", "%.7", "203.0.113._"}) + "'";
      case 5: return "domain-name:value = '" + Domain() + "'";
      case 6: return std::string("domain-name:value LIKE '") + Pick({"%.evil.example", "%example", "c2.%", "_1.%"}) + "'";
      case 7: return std::string("domain-name:value MATCHES '") + Pick({"^x[0-9]", "bad", "(?i)mixed", "example$"}) + "'";
      case 8: return "domain-name:resolves_to_refs[*].value = '" + Ip() + "'";
      case 9: return std::string("domain-name:resolves_to_refs[*].value ISSUBSET '") + Pick({"198.51.100.0/24", "203.0.113.0/28"}) + "'";
      case 10: return "network-traffic:dst_ref.value = '" + Ip() + "'";
      case 11: return std::string("network-traffic:dst_port ") + Pick({"=", "<", ">=", "!="}) + " " + Pick({"80", "443", "443.0", "53"});
      case 12: return std::string("network-traffic:dst_port IN (") + Pick({"80, 443", "53", "22, 8080.0"}) + ")";
      case 13: return std::string("network-traffic:protocols[*] = '") + Pick({"tcp", "udp", "dns"}) + "'";
      case 14: return "file:name = '" + Name() + "'";
      case 15: return std::string("file:name LIKE '") + Pick({"%.exe", "a_b%", "_.dll", "x%"}) + "'";
      case 16: return std::string("file:name NOT = '") + Name() + "'";
      case 17: return std::string("file:size ") + Pick({">", "<=", "="}) + " " + Pick({"100", "1000.5", "4096"});
      case 18: return "file:hashes.MD5 = '" + Md5() + "'";
      case 19: return std::string(Pick({"EXISTS ", "NOT EXISTS "})) + "file:hashes.'SHA-256'";
      case 20: return std::string("url:value LIKE '") + Pick({"http://%", "%/login.php", "https://evil.example/_"}) + "'";
      default: return std::string("url:value MATCHES '") + Pick({"login", "^http://[a-z0-9.]+/$", "evil"}) + "'";
    }
  }

  std::string Bracket(int depth = 0) {
    int r = Below(10);
    if (depth < 2 && r < 2) return Bracket(depth + 1) + " AND " + Bracket(depth + 1);
    if (depth < 2 && r < 4) return "(" + Bracket(depth + 1) + " OR " + Bracket(depth + 1) + ")";
    return Comparison();
  }

  std::string Pattern(bool multi) {
    if (!multi) return "[" + Bracket() + "]";
    std::string a = "[" + Bracket(1) + "]", b = "[" + Bracket(1) + "]";
    switch (Below(6)) {
      case 0: return a + " AND " + b;
      case 1: return a + " OR " + b;
      case 2: return "(" + a + " FOLLOWEDBY " + b + ") WITHIN 600 SECONDS";
      case 3: return a + " REPEATS 2 TIMES";
      case 4: return a + " FOLLOWEDBY " + b;
      default: return "(" + a + " AND " + b + ") WITHIN 30 SECONDS";
    }
  }

  // 1–4 objects of the kinds the patterns speak of, with refs between them.
  Observation Observed(int64_t seconds) {
    json::object objects;
    int n = 1 + Below(4);
    std::vector<std::string> ips;
    for (int i = 0; i < n; ++i) {
      std::string key = std::to_string(i);
      switch (Below(6)) {
        case 0:
          objects[key] = json::object{{"type", "ipv4-addr"}, {"value", Ip()}};
          ips.push_back(key);
          break;
        case 1: {
          json::object d{{"type", "domain-name"}, {"value", Domain()}};
          if (!ips.empty()) d["resolves_to_refs"] = json::array{json::value(ips[0])};
          objects[key] = std::move(d);
          break;
        }
        case 2: {
          json::object nt{{"type", "network-traffic"}, {"protocols", json::array{Pick({"tcp", "udp"}), Pick({"dns", "http", "ssl"})}}};
          if (!ips.empty()) nt["dst_ref"] = ips.back();
          if (Below(4)) nt["dst_port"] = Below(2) ? json::value(Pick({80, 443, 53, 8080})) : json::value(443.0);
          objects[key] = std::move(nt);
          break;
        }
        case 3: {
          json::object f{{"type", "file"}, {"name", Name()}};
          if (Below(2)) f["size"] = Pick({100, 4096, 1000});
          json::object hashes{{"MD5", Md5()}};
          if (Below(2)) hashes["SHA-256"] = "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f";
          f["hashes"] = std::move(hashes);
          objects[key] = std::move(f);
          break;
        }
        case 4:
          objects[key] = json::object{{"type", "url"}, {"value", Pick({"http://evil.example/login.php", "https://evil.example/a", "http://good.example/"})}};
          break;
        default:
          objects[key] = json::object{{"type", "ipv4-addr"}, {"value", Ip()}};
          ips.push_back(key);
          break;
      }
    }
    Observation o;
    o.objects = std::move(objects);
    o.first_observed = o.last_observed = Timestamp(seconds * 1000000);
    return o;
  }

 private:
  std::mt19937 rng_;
};

TEST(MatcherDifferential, SingleObservationPatternsAgreeWithTheEvaluator) {
  Generator gen(20261204);
  std::vector<IndicatorSpec> specs;
  std::vector<Pattern> parsed;
  for (int i = 0; i < 1500; ++i) {
    std::string text = gen.Pattern(false);
    Result<Pattern> p = ParsePattern(text);
    ASSERT_TRUE(p.ok()) << text << ": " << p.status().ToString();
    parsed.push_back(std::move(*p));
    specs.push_back(Spec("i" + std::to_string(i), text));
  }
  CompileReport report;
  auto m = Compile(specs, &report);
  ASSERT_TRUE(m);
  ASSERT_EQ(report.compiled, specs.size());
  size_t cases = 0, hits = 0;
  for (int k = 0; k < 400; ++k) {
    Observation o = gen.Observed(k);
    Ids got = Hits(*m, o);
    Ids want;
    for (size_t i = 0; i < parsed.size(); ++i) {
      Result<bool> r = Evaluate(parsed[i], std::span<const Observation>(&o, 1));
      ASSERT_TRUE(r.ok()) << specs[i].pattern;
      if (*r) want.insert(specs[i].id);
      ++cases;
    }
    hits += want.size();
    ASSERT_EQ(got, want) << "observation " << k << ": " << json::serialize(o.objects);
  }
  EXPECT_GT(hits, cases / 20);  // the generator must produce plenty of hits to mean anything
  std::printf("differential (single): %zu cases, %zu hits; brackets %zu exact, %zu confirmed, %zu scanned\n",
              cases, hits, report.brackets_exact, report.brackets_confirmed, report.brackets_scanned);
}

TEST(MatcherDifferential, MultiObservationPatternsAgreeOverShortStreams) {
  Generator gen(4242);
  size_t cases = 0, fired = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string text = gen.Pattern(true);
    Result<Pattern> p = ParsePattern(text);
    ASSERT_TRUE(p.ok()) << text << ": " << p.status().ToString();
    auto m = Compile({Spec("p", text)});
    ASSERT_TRUE(m);
    std::vector<Observation> stream;
    bool matcher_fired = false;
    for (int k = 0; k < 6; ++k) {
      stream.push_back(gen.Observed(k * 5));
      if (!Hits(*m, stream.back()).empty()) matcher_fired = true;
    }
    // Bindings only grow as observations arrive, so "fired at some point" is the batch answer.
    Result<bool> want = Evaluate(*p, stream);
    ASSERT_TRUE(want.ok()) << text;
    ASSERT_EQ(matcher_fired, *want) << text;
    ++cases;
    fired += *want;
  }
  EXPECT_GT(fired, cases / 10);
  std::printf("differential (multi): %zu streams, %zu matched\n", cases, fired);
}

}  // namespace
}  // namespace ctihub::pattern
