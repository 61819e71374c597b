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

// A slot with many prefix lengths probes, per address, only the lengths some prefix has near it
// (IPv4: in its /16, prefixes shorter than /16 covering many; IPv6: in its /32 by hash, shorter
// lengths always): every prefix containing the address must still fire, at the edges of each
// prefix too, and for observed values that are themselves prefixes — with the tables and without.
TEST(Matcher, ManyPrefixLengthsAgreeWithTheEvaluator) {
  const std::vector<std::string> prefixes = {
      "0.0.0.0/0",       "128.0.0.0/1",       "10.0.0.0/8",         "172.16.0.0/12",
      "192.168.0.0/15",  "198.18.0.0/16",     "198.51.0.0/17",      "198.51.100.0/20",
      "198.51.100.0/24", "198.51.100.16/28",  "198.51.100.6/31",    "198.51.100.7/32",
      "203.0.113.5",     "::/0",              "2000::/3",           "2001:db8::/19",
      "2001:db8::/32",   "2001:db8:1::/48",   "2001:db8:1:2::/64",  "2001:db8:1:2::80/121",
      "2001:db8:1:2::7", "2a00:1450::/29",    "2a00:1450:4001::/48", "fe80::/10"};
  const std::vector<std::string> values = {
      "10.0.0.0",        "9.255.255.255",     "10.255.255.255",     "11.0.0.0",
      "172.15.255.255",  "172.16.0.0",        "172.31.255.255",     "172.32.0.0",
      "192.167.255.255", "192.168.0.0",       "192.169.255.255",    "192.170.0.0",
      "198.18.0.0",      "198.19.0.0",        "198.51.127.255",     "198.51.128.0",
      "198.51.100.255",  "198.51.101.0",      "198.51.100.16",      "198.51.100.31",
      "198.51.100.32",   "198.51.100.6",      "198.51.100.7",       "198.51.100.8",
      "203.0.113.5",     "203.0.113.6",       "127.255.255.255",    "128.0.0.0",
      "255.255.255.255", "0.0.0.0",           "198.51.100.0/24",    "198.51.100.0/23",
      "172.16.0.0/12",   "172.16.0.0/13",     "10.0.0.0/7",         "2001:db8::1",
      "2001:db8:1:2::7", "2001:db8:1:2::8",   "2001:db8:1:2::80",   "2001:db8:1:2::ff",
      "2001:db8:1:2::100", "2001:db8:1:3::1", "2001:db8:2::1",      "2001:db9::1",
      "2001:dff:ffff::1", "2001:e00::1",      "2a00:1450:4001::1",  "2a00:1457:ffff::1",
      "2a00:1458::1",    "fe80::1",           "febf::1",            "fec0::1",
      "3fff::1",         "4000::1",           "::1",                "2001:db8:1::/48",
      "2001:db8::/31",   "2001:db8:1:2::80/122", "2a00:1450::/30",  "2001:db8:1:2::/48",
      "198.51.100.7/24", "198.51.100.7/30"};
  std::vector<IndicatorSpec> specs;
  for (size_t i = 0; i < prefixes.size(); ++i) {
    const char* type = prefixes[i].find(':') != std::string::npos ? "ipv6-addr" : "ipv4-addr";
    specs.push_back(Spec("p" + std::to_string(i),
                         std::string("[") + type + ":value ISSUBSET '" + prefixes[i] + "']"));
  }
  for (bool tables : {true, false}) {
    MatcherOptions options;
    options.prefix_length_tables = tables;
    auto m = Compile(specs, nullptr, options);
    ASSERT_TRUE(m);
    for (const std::string& value : values) {
      const char* type = value.find(':') != std::string::npos ? "ipv6-addr" : "ipv4-addr";
      Observation o = Obs(R"({"0":{"type":")" + std::string(type) + R"(","value":")" + value + R"("}})");
      Ids want;
      for (const IndicatorSpec& spec : specs) {
        Result<bool> hit = Evaluate(*ParsePattern(spec.pattern), std::vector<Observation>{o});
        ASSERT_TRUE(hit.ok());
        if (*hit) want.insert(spec.id);
      }
      EXPECT_EQ(Hits(*m, o), want) << value << (tables ? " (tables)" : " (no tables)");
    }
  }
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
  // Two connections of one record to that address (to it, and to the host that named it): the
  // value is named once.
  out.clear();
  ASSERT_TRUE(m->Match(Obs(R"({"0":{"type":"ipv4-addr","value":"203.0.113.9"},
                              "1":{"type":"network-traffic","dst_ref":"0","protocols":["tcp"]},
                              "2":{"type":"network-traffic","dst_ref":"0","dst_port":80,
                                   "protocols":["tcp"]}})"),
                       &out)
                  .ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].values.size(), 1u);
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

// With canonical_literals (as `ctihub match` compiles), literals are written as the readers
// write what sensors log — names and hex hashes in lower case, IPv6 in RFC 5952 form, e-mail
// domains in lower case, URLs normalised — and the evaluator confirms with the same literals.
// Without it, STIX's exact string comparison stands.
TEST(Matcher, CanonicalLiteralsMatchWhatSensorsLog) {
  std::vector<IndicatorSpec> specs = {
      Spec("domain", "[domain-name:value = 'Evil.Example.COM.']"),
      Spec("md5", "[file:hashes.MD5 = '44D88612FEA8A8F36DE82E1278ABB02F']"),
      Spec("v6", "[network-traffic:dst_ref.value IN ('2001:DB8::0:A', '192.0.2.1')]"),
      Spec("mail", "[email-message:from_ref.value = 'Bad.Guy@Example.COM']"),
      Spec("url", "[url:value = 'HTTP://Evil.Example.COM:80']"),
      Spec("not",
           "[domain-name:value != 'EVIL.example.com' AND domain-name:value = 'Evil.Example.COM']"),
      Spec("ssdeep", "[file:hashes.SSDEEP = '3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C']"),
      Spec("regex", "[domain-name:value MATCHES '^Evil\\.']"),
      Spec("serial", "[x509-certificate:serial_number = '0A1B2C']")};
  const Observation o = Obs(R"({"0":{"type":"domain-name","value":"evil.example.com"},
      "1":{"type":"file","hashes":{"MD5":"44d88612fea8a8f36de82e1278abb02f","SSDEEP":"3:axgbicflgvnhbgcl6wcrfqev:axghsnhxlsr2c"}},
      "2":{"type":"ipv6-addr","value":"2001:db8::a"},
      "3":{"type":"network-traffic","dst_ref":"2","protocols":["tcp"]},
      "4":{"type":"email-addr","value":"Bad.Guy@example.com"},
      "5":{"type":"email-message","is_multipart":false,"from_ref":"4"},
      "6":{"type":"url","value":"http://evil.example.com/"},
      "7":{"type":"x509-certificate","serial_number":"0a:1b:2c"}})");
  MatcherOptions canonical;
  canonical.canonical_literals = true;
  auto m = Compile(specs, nullptr, canonical);
  ASSERT_TRUE(m);
  // SSDEEP is not hex (its case counts); a regex says its own case rules; `!=` is rewritten too.
  EXPECT_EQ(Hits(*m, o), (Ids{"domain", "md5", "v6", "mail", "url", "serial"}));
  auto exact = Compile(specs);
  ASSERT_TRUE(exact);
  EXPECT_EQ(Hits(*exact, o), Ids{});
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

// Expressions RE2 cannot fit into one set together (each fits alone) still all load and match:
// the set is split, rather than the whole matcher failing.
TEST(Matcher, RegexesTooLargeForOneSetStillLoadAndMatch) {
  CompileReport report;
  auto m = Compile({Spec("l440", R"([file:name MATCHES '^\\pL{440}$'])"),
                    Spec("l439", R"([file:name MATCHES '^\\pL{439}$'])"),
                    Spec("l438", R"([file:name MATCHES '^\\pL{438}$'])"),
                    Spec("plain", "[file:name = 'a']")},
                   &report);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(report.compiled, 4u);
  EXPECT_EQ(Hits(*m, Obs(R"({"0":{"type":"file","name":")" + std::string(439, 'x') + R"("}})")),
            Ids{"l439"});
  EXPECT_EQ(Hits(*m, Obs(R"({"0":{"type":"file","name":"a"}})")), Ids{"plain"});
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

// A broad later bracket fills the memory long before the first bracket appears: the pattern is
// not evaluated while a bracket it needs has no observation (the cliff this avoids: ~0.2 ms per
// record), and answers exactly as the evaluator once it has. The memory rolls over many times
// its capacity meanwhile.
TEST(Matcher, BroadBracketsWaitForTheOthersAndStillAgreeWithTheEvaluator) {
  const std::string seq = "[ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [network-traffic:dst_port = 443]";
  const std::string both = "[domain-name:value = 'c2.example'] AND [network-traffic:dst_port = 443]";
  const std::string either = "[domain-name:value = 'nowhere.example'] OR ([ipv4-addr:value = "
                             "'192.0.2.9'] AND [network-traffic:dst_port = 443])";
  auto m = Compile({Spec("seq", seq), Spec("both", both), Spec("either", either)});
  auto traffic = [](int64_t t) {
    return Obs(R"({"0":{"type":"network-traffic","dst_port":443,"protocols":["tcp"]}})", t);
  };
  std::vector<Observation> stream;
  for (int i = 0; i < 300; ++i) {
    stream.push_back(traffic(i));
    EXPECT_EQ(Hits(*m, stream.back()), Ids{}) << i;
  }
  // AND does not mind the order: the remembered traffic pairs with the domain seen now.
  stream.push_back(Obs(R"({"0":{"type":"domain-name","value":"c2.example"}})", 300));
  EXPECT_EQ(Hits(*m, stream.back()), Ids{"both"});
  // FOLLOWEDBY does: traffic before the address does not count, traffic after it does.
  stream.push_back(Obs(R"({"0":{"type":"ipv4-addr","value":"192.0.2.1"}})", 301));
  EXPECT_EQ(Hits(*m, stream.back()), Ids{});
  stream.push_back(traffic(302));
  EXPECT_EQ(Hits(*m, stream.back()), Ids{"seq"});
  // The oracle agrees on the whole stream for each.
  for (const std::string& text : {seq, both}) {
    Result<bool> want = Evaluate(*ParsePattern(text), stream);
    ASSERT_TRUE(want.ok());
    EXPECT_TRUE(*want) << text;
  }
  Result<bool> want = Evaluate(*ParsePattern(either), stream);
  ASSERT_TRUE(want.ok());
  EXPECT_FALSE(*want);
}

// Regression (found by the wide differential test): WITHIN measures from the start of the newest
// observation's interval, so an observation ending exactly `d` before it starts still binds.
TEST(Matcher, WithinWindowCountsFromTheNewObservationsFirstObserved) {
  auto m = Compile({Spec("r", "[file:name = 'a'] REPEATS 2 TIMES WITHIN 20 SECONDS")});
  Observation early = Obs(R"({"0":{"type":"file","name":"a"}})", 5);
  Observation late = Obs(R"({"0":{"type":"file","name":"a"}})", 25);
  late.last_observed = Timestamp(int64_t{28} * 1000000);
  Observation both[] = {early, late};
  ASSERT_TRUE(*Evaluate(*ParsePattern("[file:name = 'a'] REPEATS 2 TIMES WITHIN 20 SECONDS"), both));
  EXPECT_EQ(Hits(*m, early), Ids{});
  EXPECT_EQ(Hits(*m, late), Ids{"r"});
}

// Regression: integers beyond 2^53 share a hash key as doubles; the evaluator tells them apart.
TEST(Matcher, LargeIntegersAreConfirmedNotTakenFromTheHashKey) {
  auto m = Compile({Spec("big", "[x-counter:n = 9007199254740993]")});
  EXPECT_EQ(Hits(*m, Obs(R"({"0":{"type":"x-counter","n":9007199254740992}})")), Ids{});
  EXPECT_EQ(Hits(*m, Obs(R"({"0":{"type":"x-counter","n":9007199254740993}})")), Ids{"big"});
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


// ---- differential, wider: every operator and qualifier, IPv6, timestamps, booleans, binary,
// list indexes, LIKE operands full of regex metacharacters, non-ASCII text -----------------------

class WideGenerator {
 public:
  explicit WideGenerator(uint32_t seed) : rng_(seed) {}

  int Below(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) { return items[Below(N)]; }

  static constexpr const char* kV4[] = {"198.51.100.7", "198.51.100.130", "203.0.113.5",
                                        "10.9.8.7", "198.51.100.0/28", "203.0.113.0/24"};
  static constexpr const char* kV6[] = {"2001:db8::1", "2001:db8:0:0:0:0:0:1", "2001:db8:1::5",
                                        "fe80::1", "2001:db8::/48", "::ffff:198.51.100.7"};
  static constexpr const char* kNames[] = {"a.b+c(1).exe", "straße.txt", "x%y_z.doc", "a.exe",
                                           "[x]$.ps1", "it's.js", "back\\slash.bat", "A.EXE"};
  static constexpr const char* kTimes[] = {"2020-01-01T00:00:00Z", "2020-01-01T00:00:00.000Z",
                                           "2020-01-01T00:00:01.5Z", "2021-06-30T12:00:00Z",
                                           "not a time"};
  static constexpr const char* kUrls[] = {"http://evil.example/login.php?a=1",
                                          "https://evil.example/a+b", "HTTP://Evil.Example/",
                                          "http://xn--strae-oqa.example/ß"};

  // A STIX string literal: quote and backslash escaped.
  static std::string Quote(const std::string& v) {
    std::string out = "'";
    for (char c : v) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    return out + "'";
  }

  std::string Comparison() {
    switch (Below(30)) {
      case 0: return "ipv4-addr:value = " + Quote(Pick(kV4));
      case 1: return "ipv4-addr:value ISSUBSET " + Quote(Pick({"198.51.100.0/24", "198.51.100.0/25", "198.51.100.128/25", "0.0.0.0/0", "203.0.113.4/30", "198.51.100.7"}));
      case 2: return "ipv4-addr:value ISSUPERSET " + Quote(Pick({"198.51.100.7", "198.51.100.3/32", "203.0.113.0/26"}));
      case 3: return "ipv6-addr:value = " + Quote(Pick(kV6));
      case 4: return "ipv6-addr:value ISSUBSET " + Quote(Pick({"2001:db8::/32", "2001:db8::/48", "2001:db8:1::/64", "::/0", "fe80::/10", "::ffff:0:0/96"}));
      case 5: return "ipv6-addr:value IN (" + Quote(Pick(kV6)) + ", " + Quote(Pick(kV6)) + ")";
      case 6: return std::string("ipv6-addr:value ") + Pick({"NOT ISSUBSET", "NOT =", "!=", ">", "<="}) + " " + Quote(Pick(kV6));
      case 7: return "file:name = " + Quote(Pick(kNames));
      case 8: return "file:name LIKE " + Quote(Pick({"a.b+c(%", "%.exe", "stra_e.txt", "x\\%y%", "[x]$._s1", "it_s.js", "back\\\\%", "%(1)%", "_.EXE", "%"}));
      case 9: return "file:name MATCHES " + Quote(Pick({"^a\\.b\\+", "(?i)^a\\.exe$", "ß", "\\[x\\]", "^.{5}$", "'s\\.js$"}));
      case 10: return "file:name " + Test({"NOT LIKE", "NOT MATCHES", "IN", "NOT IN"}, {"'%.exe'", "'^a'", "'a%'"}, {"('a.exe', 'A.EXE')", "('it\\'s.js')"});
      case 11: return std::string("file:name ") + Pick({"<", ">", "<=", ">="}) + " " + Quote(Pick(kNames));
      case 12: return "file:created = t'" + std::string(Pick({"2020-01-01T00:00:00Z", "2020-01-01T00:00:01.5Z", "2021-06-30T12:00:00Z"})) + "'";
      case 13: return std::string("file:created ") + Pick({"<", ">=", "!="}) + " t'2020-06-01T00:00:00Z'";
      case 14: return "file:created IN (t'2021-06-30T12:00:00Z', '2020-01-01T00:00:00Z')";
      case 15: return "file:size " + Test({"=", "IN", "<", ">=", "!="}, {"100", "100.0", "1000", "-5", "4096"}, {"(100, 4096)", "(100.0, -5)"});
      case 16: return std::string("file:hashes.MD5 ") + Pick({"=", "!="}) + " '44d88612fea8a8f36de82e1278abb02f'";
      case 17: return "file:hashes.'SHA-256' IN ('aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f', 'AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F')";
      case 18: return std::string(Pick({"EXISTS ", "NOT EXISTS "})) + Pick({"file:hashes.'SHA-256'", "file:parent_directory_ref.path", "network-traffic:src_ref"});
      case 19: return "file:parent_directory_ref.path " + std::string(Pick({"=", "LIKE"})) + " " + Pick({"'C:\\\\Temp'", "'%temp'", "'/tmp'"});
      case 20: return "network-traffic:is_active = " + std::string(Pick({"true", "false"}));
      case 21: return "network-traffic:dst_port " + Test({"=", "IN", ">", "!="}, {"443", "443.0", "8080"}, {"(53, 80)", "(443.0)"});
      case 22: return std::string("network-traffic:") + Pick({"src_ref", "dst_ref"}) + ".value " + Pick({"=", "ISSUBSET"}) + " " + Quote(Pick({"198.51.100.7", "198.51.100.0/24", "2001:db8::/32", "2001:db8::1"}));
      case 23: return std::string("network-traffic:protocols[") + Pick({"*", "0", "1", "-1", "5"}) + "] = " + Pick({"'tcp'", "'dns'", "'udp'"});
      case 24: return std::string("network-traffic:extensions.'http-request-ext'.request_header.Host ") + Pick({"=", "LIKE", "MATCHES"}) + " " + Pick({"'evil.example'", "'%.example'", "'^EVIL'"});
      case 25: return std::string("email-message:to_refs[") + Pick({"*", "0", "1"}) + "].value " + Test({"=", "LIKE", "IN"}, {"'a@evil.example'", "'%@evil.example'", "'b@good.example'"}, {"('a@evil.example')", "('x', 'b@good.example')"});
      case 26: return std::string("artifact:payload_bin ") + (Below(2) ? std::string(Pick({"=", "!=", "IN"})) == "IN" ? "IN (h'4d5a', 'MZ')" : std::string(Pick({"= ", "!= "})) + Pick({"h'4d5a'", "b'TVo='", "'MZ'"}) : std::string(Pick({"MATCHES ", "LIKE "})) + Pick({"'MZ'", "'^MZ'", "'M%'", "'\\\\x4d'"}));
      case 27: return "url:value " + Test({"=", "LIKE", "MATCHES", "IN"}, {"'http://evil.example/login.php?a=1'", "'%login.php?a=_'", "'(?i)^http://evil'", "'%/ß'", "'https://evil.example/a+b'", "'a+b'"}, {"('HTTP://Evil.Example/', 'x')", "('https://evil.example/a+b')"});
      case 28: return "domain-name:resolves_to_refs[*].value " + std::string(Pick({"ISSUBSET", "=", "NOT ="})) + " " + Quote(Pick({"198.51.100.0/24", "2001:db8::/32", "198.51.100.7"}));
      default: return "x-custom:score " + Test({"=", ">", "IN", "<=", "!="}, {"7", "7.0", "-1", "true", "'7'", "8.5"}, {"(7, 8.5)", "(true, '7')", "(-1.0)"});
    }
  }
  // An operator and an operand that fits it: a set for IN, a scalar for the rest; orderings get
  // no booleans (the grammar refuses them).
  std::string Test(std::vector<std::string> ops, std::vector<std::string> scalars,
                   std::vector<std::string> sets) {
    std::string op = ops[static_cast<size_t>(Below(static_cast<int>(ops.size())))];
    if (op == "IN" || op == "NOT IN") return op + " " + sets[static_cast<size_t>(Below(static_cast<int>(sets.size())))];
    std::string v;
    do {
      v = scalars[static_cast<size_t>(Below(static_cast<int>(scalars.size())))];
    } while ((op[0] == '<' || op[0] == '>') && v == "true");
    return op + " " + v;
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
    switch (Below(9)) {
      case 0: return a + " AND " + b;
      case 1: return a + " OR " + b;
      case 2: return "(" + a + " FOLLOWEDBY " + b + ") WITHIN " + Pick({"10", "60", "12.5"}) + " SECONDS";
      case 3: return a + " REPEATS " + Pick({"2", "3"}) + " TIMES";
      case 4: return a + " FOLLOWEDBY " + b;
      case 5: return "(" + a + " AND " + b + ") WITHIN 30 SECONDS";
      case 6: return a + " START t'2024-01-01T00:00:10Z' STOP t'2024-01-01T00:00:40Z'";
      case 7: return "(" + a + " OR " + b + ") REPEATS 2 TIMES WITHIN 20 SECONDS";
      default: return "(" + a + " FOLLOWEDBY " + b + " FOLLOWEDBY " + a + ")";
    }
  }

  Observation Observed(int64_t seconds) {
    json::object objects;
    int n = 1 + Below(4);
    std::vector<std::string> addrs;
    for (int i = 0; i < n; ++i) {
      std::string key = std::to_string(i);
      switch (Below(9)) {
        case 0:
          objects[key] = json::object{{"type", "ipv4-addr"}, {"value", Pick(kV4)}};
          addrs.push_back(key);
          break;
        case 1:
          objects[key] = json::object{{"type", "ipv6-addr"}, {"value", Pick(kV6)}};
          addrs.push_back(key);
          break;
        case 2: {
          json::object d{{"type", "domain-name"}, {"value", "evil.example"}};
          json::array refs;
          for (const std::string& a : addrs) refs.push_back(json::value(a));
          if (!refs.empty()) d["resolves_to_refs"] = std::move(refs);
          objects[key] = std::move(d);
          break;
        }
        case 3: {
          json::object nt{{"type", "network-traffic"}, {"protocols", json::array{Pick({"tcp", "udp"}), Pick({"dns", "http"})}}};
          if (!addrs.empty()) nt["dst_ref"] = addrs.back();
          if (addrs.size() > 1) nt["src_ref"] = addrs.front();
          if (Below(3)) nt["dst_port"] = Below(2) ? json::value(Pick({80, 443, 53, 8080})) : json::value(443.0);
          if (Below(2)) nt["is_active"] = Below(2) == 1;
          if (Below(3) == 0) {
            nt["extensions"] = json::object{{"http-request-ext", json::object{{"request_method", "GET"}, {"request_header", json::object{{"Host", Pick({"evil.example", "EVIL.example", "good.example"})}}}}}};
          }
          objects[key] = std::move(nt);
          break;
        }
        case 4: {
          json::object f{{"type", "file"}, {"name", Pick(kNames)}};
          if (Below(2)) f["size"] = Below(2) ? json::value(Pick({100, 4096, 1000, -5})) : json::value(100.0);
          if (Below(2)) f["created"] = Pick(kTimes);
          json::object hashes{{"MD5", Pick({"44d88612fea8a8f36de82e1278abb02f", "44D88612FEA8A8F36DE82E1278ABB02F"})}};
          if (Below(2)) hashes["SHA-256"] = "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f";
          f["hashes"] = std::move(hashes);
          if (Below(3) == 0) {
            std::string dir = std::to_string(n + i);
            objects[dir] = json::object{{"type", "directory"}, {"path", Pick({"C:\\Temp", "/tmp", "/var/temp"})}};
            f["parent_directory_ref"] = dir;
          }
          objects[key] = std::move(f);
          break;
        }
        case 5: {
          std::string a = std::to_string(n + 10 + i), b = std::to_string(n + 20 + i);
          objects[a] = json::object{{"type", "email-addr"}, {"value", "a@evil.example"}};
          objects[b] = json::object{{"type", "email-addr"}, {"value", "b@good.example"}};
          json::array to{json::value(Below(2) ? a : b)};
          if (Below(2)) to.push_back(json::value(b));
          objects[key] = json::object{{"type", "email-message"}, {"is_multipart", false}, {"to_refs", std::move(to)}};
          break;
        }
        case 6:
          objects[key] = json::object{{"type", "artifact"}, {"payload_bin", Pick({"TVo=", "TVqQAA==", "AAAA"})}};
          break;
        case 7:
          objects[key] = json::object{{"type", "url"}, {"value", Pick(kUrls)}};
          break;
        default: {
          json::value score = Below(2) ? json::value(Pick({7, 8, -1})) : json::value(Pick({7.0, 8.5}));
          if (Below(5) == 0) score = "7";
          if (Below(7) == 0) score = true;
          objects[key] = json::object{{"type", "x-custom"}, {"score", score}};
          break;
        }
      }
    }
    Observation o;
    o.objects = std::move(objects);
    o.first_observed = Timestamp(seconds * 1000000);
    o.last_observed = Timestamp((seconds + Below(4)) * 1000000);
    o.number_observed = 1 + Below(2);
    return o;
  }

 private:
  std::mt19937 rng_;
};

TEST(MatcherDifferential, WideSingleObservationPatternsAgreeWithTheEvaluator) {
  WideGenerator gen(77);
  std::vector<IndicatorSpec> specs;
  std::vector<Pattern> parsed;
  for (int i = 0; i < 2000; ++i) {
    std::string text = gen.Pattern(false);
    Result<Pattern> p = ParsePattern(text);
    ASSERT_TRUE(p.ok()) << text << ": " << p.status().ToString();
    parsed.push_back(std::move(*p));
    specs.push_back(Spec("w" + std::to_string(i), text));
  }
  CompileReport report;
  auto m = Compile(specs, &report);
  ASSERT_TRUE(m);
  ASSERT_EQ(report.compiled, specs.size()) << report.rejected[0].first << ": " << report.rejected[0].second;
  size_t cases = 0, hits = 0;
  const int64_t base = int64_t{1704067200};  // 2024-01-01
  for (int k = 0; k < 500; ++k) {
    Observation o = gen.Observed(base + k);
    Ids got = Hits(*m, o);
    Ids want;
    for (size_t i = 0; i < parsed.size(); ++i) {
      Result<bool> r = Evaluate(parsed[i], std::span<const Observation>(&o, 1));
      ASSERT_TRUE(r.ok()) << specs[i].pattern << ": " << r.status().ToString();
      if (*r) want.insert(specs[i].id);
      ++cases;
    }
    hits += want.size();
    if (got != want) {
      std::string diff;
      for (const std::string& id : want) if (!got.count(id)) diff += "\n  missed: " + specs[std::stoul(id.substr(1))].pattern;
      for (const std::string& id : got) if (!want.count(id)) diff += "\n  extra: " + specs[std::stoul(id.substr(1))].pattern;
      FAIL() << "observation " << k << ": " << json::serialize(o.objects) << diff;
    }
  }
  EXPECT_GT(hits, cases / 25);
  std::printf("differential (wide single): %zu cases, %zu hits; brackets %zu exact, %zu confirmed, %zu scanned\n",
              cases, hits, report.brackets_exact, report.brackets_confirmed, report.brackets_scanned);
}

TEST(MatcherDifferential, WideMultiObservationPatternsAgreeOverShortStreams) {
  WideGenerator gen(99);
  size_t cases = 0, fired = 0;
  const int64_t base = int64_t{1704067200};
  for (int i = 0; i < 3000; ++i) {
    std::string text = gen.Pattern(true);
    Result<Pattern> p = ParsePattern(text);
    ASSERT_TRUE(p.ok()) << text << ": " << p.status().ToString();
    auto m = Compile({Spec("p", text)});
    ASSERT_TRUE(m);
    std::vector<Observation> stream;
    bool matcher_fired = false;
    int64_t t = base;
    for (int k = 0; k < 7; ++k) {
      t += gen.Below(12);
      stream.push_back(gen.Observed(t));
      if (!Hits(*m, stream.back()).empty()) matcher_fired = true;
    }
    Result<bool> want = Evaluate(*p, stream);
    ASSERT_TRUE(want.ok()) << text;
    if (matcher_fired != *want) {
      std::string shown;
      for (const Observation& o : stream) {
        shown += "\n  " + o.first_observed.ToString() + " .. " + o.last_observed.ToString() + " x" +
                 std::to_string(o.number_observed) + " " + json::serialize(o.objects);
      }
      FAIL() << text << ": matcher " << matcher_fired << ", evaluator " << *want << shown;
    }
    ++cases;
    fired += *want;
  }
  EXPECT_GT(fired, cases / 20);
  std::printf("differential (wide multi): %zu streams, %zu matched\n", cases, fired);
}

}  // namespace
}  // namespace ctihub::pattern

namespace ctihub::pattern {
namespace {

// A port or a type is shared by half the traffic: an AND is found through its identifying part.
TEST(Matcher, AndIsIndexedThroughItsMostSelectiveConjunct) {
  Result<Pattern> p = ParsePattern(
      "[network-traffic:dst_port = 443 AND network-traffic:dst_ref.type = 'ipv4-addr' AND "
      "network-traffic:dst_ref.value = '198.51.100.7']");
  ASSERT_TRUE(p.ok());
  std::vector<std::string> lines = DescribeIndexing(*p);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("hash index on network-traffic:dst_ref.value"), std::string::npos)
      << lines[0];
  Result<Pattern> q = ParsePattern(
      "[network-traffic:dst_port = 443 AND network-traffic:dst_ref.value ISSUBSET '10.0.0.0/8']");
  ASSERT_TRUE(q.ok());
  EXPECT_NE(DescribeIndexing(*q)[0].find("prefix index"), std::string::npos);
}

}  // namespace
}  // namespace ctihub::pattern
