#include "ingest/ioc_list.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/uuid.h"
#include "pattern/parser.h"
#include "stix/validator.h"

namespace ctihub::ingest {
namespace {

namespace fs = std::filesystem;

const fs::path kSharedData = fs::path(CTIHUB_SHARED_DATA);
constexpr std::string_view kTlpGreen = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
constexpr std::string_view kIdentity = "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";

Timestamp At(std::string_view text) { return Timestamp::Parse(text).value(); }

IocOptions FixedOptions() {
  IocOptions options;
  options.provenance.now = At("2024-04-05T10:00:00Z");
  return options;
}

// One indicator as the tests read it.
struct Indicator {
  std::string json;
  std::string id, name, pattern, valid_from, valid_until, created, modified, description;
  std::optional<int64_t> confidence;
  std::vector<std::string> labels, markings, indicator_types;
  std::string ext_source, ext_description;
};

struct Conversion {
  Status status;
  std::vector<Indicator> indicators;
  ConversionStats stats;
  size_t validation_errors = 0;
  std::string findings;  // errors, and warnings other than the expected id-uuid-version

  const Indicator* Find(std::string_view pattern) const {
    for (const Indicator& i : indicators) {
      if (i.pattern == pattern) return &i;
    }
    return nullptr;
  }
  std::vector<std::string> Patterns() const {
    std::vector<std::string> out;
    for (const Indicator& i : indicators) out.push_back(i.pattern);
    return out;
  }
};

using JsonValue = simdjson::simdjson_result<simdjson::dom::element>;

// The string, or "" when the member is absent or not a string.
std::string Str(JsonValue e) {
  std::string_view s;
  return e.get_string().get(s) == simdjson::SUCCESS ? std::string(s) : std::string();
}

std::vector<std::string> StrList(JsonValue e) {
  std::vector<std::string> out;
  simdjson::dom::array a;
  if (e.get_array().get(a) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element item : a) out.push_back(Str(JsonValue(std::move(item))));
  return out;
}

Indicator ReadIndicator(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  Indicator i;
  if (parser.parse(json).get(doc) != simdjson::SUCCESS) return i;
  i.json = json;
  i.id = Str(doc["id"]);
  i.name = Str(doc["name"]);
  i.pattern = Str(doc["pattern"]);
  i.valid_from = Str(doc["valid_from"]);
  i.valid_until = Str(doc["valid_until"]);
  i.created = Str(doc["created"]);
  i.modified = Str(doc["modified"]);
  i.description = Str(doc["description"]);
  int64_t c;
  if (doc["confidence"].get_int64().get(c) == simdjson::SUCCESS) i.confidence = c;
  i.labels = StrList(doc["labels"]);
  i.markings = StrList(doc["object_marking_refs"]);
  i.indicator_types = StrList(doc["indicator_types"]);
  simdjson::dom::element ref;
  if (doc["external_references"].at(0).get(ref) == simdjson::SUCCESS) {
    i.ext_source = Str(ref["source_name"]);
    i.ext_description = Str(ref["description"]);
  }
  return i;
}

// Converts, then checks what every test relies on: each object passes ctihub's validator with
// no error (the only warning allowed is id-uuid-version, see ioc_list.h), and each pattern
// parses.
Conversion Convert(std::string_view text, const IocOptions& options = FixedOptions()) {
  Conversion out;
  std::vector<std::string> objects;
  out.status = ConvertIocList(
      text, options,
      [&](std::string json) {
        objects.push_back(std::move(json));
        return Status::Ok();
      },
      &out.stats);
  std::string lines;
  std::set<std::string> ids;
  for (const std::string& json : objects) {
    out.indicators.push_back(ReadIndicator(json));
    lines += json + "\n";
    if (!ids.insert(out.indicators.back().id).second) {
      ++out.validation_errors;
      out.findings += "duplicate id " + out.indicators.back().id + "\n";
    }
    Result<pattern::Pattern> parsed = pattern::ParsePattern(out.indicators.back().pattern);
    if (!parsed.ok()) {
      ++out.validation_errors;
      out.findings +=
          "pattern " + out.indicators.back().pattern + ": " + parsed.status().ToString() + "\n";
    }
  }
  if (!objects.empty()) {
    stix::Validator validator;
    stix::FileReport report = validator.ValidateText(lines, [&](const stix::Finding& f) {
      if (f.severity == stix::Severity::kWarning && f.rule == "id-uuid-version") return;
      out.findings += std::string(stix::SeverityName(f.severity)) + " " + f.object_id + " " +
                      f.rule + " " + f.pointer + ": " + f.message + "\n";
    });
    out.validation_errors += report.errors;
  }
  return out;
}

#define EXPECT_VALID(conversion)                                             \
  do {                                                                       \
    EXPECT_TRUE((conversion).status.ok()) << (conversion).status.ToString(); \
    EXPECT_EQ((conversion).validation_errors, 0u) << (conversion).findings;  \
    EXPECT_EQ((conversion).findings, "");                                    \
  } while (false)

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The "list" strings of a MISP warninglist, one per line (the files put one per line).
std::vector<std::string> WarninglistValues(const fs::path& path) {
  simdjson::dom::parser parser;
  simdjson::padded_string json = simdjson::padded_string::load(path.string());
  std::vector<std::string> out;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc) != simdjson::SUCCESS) return out;
  simdjson::dom::array list;
  if (doc["list"].get_array().get(list) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element e : list) out.push_back(Str(JsonValue(std::move(e))));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Refang, detection, patterns

TEST(IocRefang, UndoesCommonDefangingStyles) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"hxxp://evil[.]example[.]com/a", "http://evil.example.com/a"},
      {"hXXps://evil(.)example{.}com", "https://evil.example.com"},
      {"HXXP[:]//evil[dot]com", "http://evil.com"},
      {"hxxp[://]evil.com/x", "http://evil.com/x"},
      {"hxxp[s]://evil1.example/a", "https://evil1.example/a"},
      {"HXXP[S][:]//evil1.example", "https://evil1.example"},
      {"fxp://files[.]evil.com/a.bin", "ftp://files.evil.com/a.bin"},
      {"fxps://files.evil.com", "ftps://files.evil.com"},
      {"1.2.3[.]4", "1.2.3.4"},
      {"198(.)51(.)100(.)7", "198.51.100.7"},
      {"user[@]evil[.]com", "user@evil.com"},
      {"user[at]evil(dot)com", "user@evil.com"},
      {"user(AT)evil{DOT}com", "user@evil.com"},
      {"evil\\.example\\.com", "evil.example.com"},
      {"http[:]//evil.com[/]path", "http://evil.com/path"},
      {"  \"evil[.]com\"  ", "evil.com"},
      {"'evil.com'", "evil.com"},
      {"`evil.com`\r", "evil.com"},
      {"hxxpevil.com", "hxxpevil.com"},  // not a scheme: no ':' or bracket follows
      {"http://evil.com/?q=hxxp", "http://evil.com/?q=hxxp"},
      {"[2001:db8::1]:443", "[2001:db8::1]:443"},  // IPv6 brackets are not a defang
      {"", ""},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(Refang(in), want) << in;
}

TEST(IocDetect, RecognisesEveryType) {
  const std::pair<std::string_view, IocType> cases[] = {
      {"1.2.3.4", IocType::kIpv4},
      {"223.255.255.254", IocType::kIpv4},  // 240/4 (class E) is reserved
      {"10.1.2.3", IocType::kIpv4},         // private: kept
      {"1.2.3.4:8080", IocType::kIpv4},
      {"10.0.0.0/8", IocType::kIpv4Cidr},
      {"8.8.8.8/32", IocType::kIpv4Cidr},
      {"2001:db8::1", IocType::kIpv6},
      {"2001:DB8:0:0:0:0:0:1", IocType::kIpv6},
      {"::ffff:1.2.3.4", IocType::kIpv4},  // IPv4-mapped: the IPv4 address
      {"[2001:db8::1]", IocType::kIpv6},
      {"[2001:db8::1]:443", IocType::kIpv6},
      {"2001:db8::/32", IocType::kIpv6Cidr},
      {"evil.example.com", IocType::kDomain},
      {"EVIL.Example.COM.", IocType::kDomain},
      {"xn--80ak6aa92e.com", IocType::kDomain},
      {"example.xn--p1ai", IocType::kDomain},
      {"foo_bar.duckdns.org", IocType::kDomain},
      {"a-b.co", IocType::kDomain},
      {"payload.zip", IocType::kDomain},  // .zip is a real TLD
      {"http://evil.example.com/a?b=c#d", IocType::kUrl},
      {"https://1.2.3.4:8443/x", IocType::kUrl},
      {"ftp://user:pw@files.evil.com/a", IocType::kUrl},
      {"http://evil.com/ünïcode", IocType::kUrl},
      {"evil.com/gate.php", IocType::kUrl},
      {"1.2.3.4/admin/login", IocType::kUrl},
      {"1.2.3.4:8080/x", IocType::kUrl},
      {"evil.com:8080/x", IocType::kUrl},
      {"user@evil.example.com", IocType::kEmail},
      {"first.last+tag@Evil.COM", IocType::kEmail},
      {"o'brien@evil.com", IocType::kEmail},
      {"d41d8cd98f00b204e9800998ecf8427e", IocType::kMd5},
      {"DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", IocType::kSha1},
      {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", IocType::kSha256},
      {"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d287"
       "7eec2f63b931bd47417a81a538327af927da3e",
       IocType::kSha512},
  };
  for (const auto& [value, want] : cases) {
    EXPECT_EQ(DetectIocType(value), want) << value << " -> " << IocTypeName(DetectIocType(value));
  }
}

TEST(IocDetect, RejectsValuesThatAreNotIocs) {
  const std::string_view cases[] = {
      "",
      "   ",
      "999.1.1.1",  // octet > 255
      "1.2.3",      // three octets
      "1.2.3.4.5",
      "010.1.1.1",   // leading zero: octal to some tools
      "1.2.3.4/33",  // prefix too long
      "1.2.3.4:0",   // port 0
      "1.2.3.4:70000",
      "0.0.0.0",          // reserved: unspecified
      "127.0.0.1",        // loopback
      "224.0.0.251",      // multicast
      "255.255.255.255",  // broadcast
      "240.0.0.1",        // class E
      "::1",
      "::",
      "ff02::1",
      "2001:db8::/129",
      "2001:db8:::1",
      "fe80::1%eth0",  // zone id
      "localhost",     // one label
      "evil",
      "evil.c",    // one-letter TLD
      "evil.123",  // numeric TLD
      "-evil.com",
      "evil-.com",
      "ev il.com",
      "evil..com",
      "invoice.exe",  // file name, .exe is no TLD
      "index.php",
      "bücher.de",                         // IDN must come as punycode
      "d41d8cd98f00b204e9800998ecf8427",   // 31 hex digits
      "d41d8cd98f00b204e9800998ecf8427g",  // not hex
      "user@",
      "@evil.com",
      "a..b@evil.com",
      "user@evil",
      "a@b@evil.com",
      "http://",
      "://evil.com",
      "http:///path",
      "1http://evil.com",
      "javascript:alert(1)",
      "first_seen_utc",
      "dst_ip",
      "# comment",
      "hello world",
      std::string_view("evil\0.com", 9),
      "\xff\xfe.com",
  };
  for (std::string_view value : cases) {
    EXPECT_EQ(DetectIocType(value), IocType::kAuto) << value;
  }
}

TEST(IocDetect, EveryTldOfTheMispListMakesADomain) {
  const fs::path path = kSharedData / "misp" / "warninglists" / "tlds.json";
  if (!fs::exists(path)) GTEST_SKIP() << "shared data not found at " << path;
  std::vector<std::string> tlds = WarninglistValues(path);
  ASSERT_GT(tlds.size(), 1000u);
  for (const std::string& tld : tlds) {
    EXPECT_EQ(DetectIocType("example." + tld), IocType::kDomain) << tld;
  }
}

TEST(IocPattern, BuildsTheStixPatternOfEachType) {
  const std::tuple<IocType, std::string_view, std::string_view> cases[] = {
      {IocType::kAuto, "1.2.3.4", "[ipv4-addr:value = '1.2.3.4']"},
      {IocType::kAuto, "1.2.3.4:443",
       "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
       "'1.2.3.4' AND network-traffic:dst_port = 443]"},
      {IocType::kAuto, "10.1.2.3/8", "[ipv4-addr:value ISSUBSET '10.0.0.0/8']"},
      {IocType::kAuto, "2001:DB8:0:0:0:0:0:1", "[ipv6-addr:value = '2001:db8::1']"},
      {IocType::kAuto, "[2001:db8::1]:53",
       "[network-traffic:dst_ref.type = 'ipv6-addr' AND network-traffic:dst_ref.value = "
       "'2001:db8::1' AND network-traffic:dst_port = 53]"},
      {IocType::kAuto, "2001:DB8::/32", "[ipv6-addr:value ISSUBSET '2001:db8::/32']"},
      {IocType::kAuto, "Evil.Example.COM.", "[domain-name:value = 'evil.example.com']"},
      // URLs as sensors log them: scheme and host lower-cased (the path keeps its case), the
      // default port dropped, "/" for an empty path, "http://" for none (RFC 3986 §6.2).
      {IocType::kAuto, "http://Evil.com/A", "[url:value = 'http://evil.com/A']"},
      {IocType::kAuto, "HTTP://Evil.Example:80/x?Q=1", "[url:value = 'http://evil.example/x?Q=1']"},
      {IocType::kAuto, "https://x.example:443", "[url:value = 'https://x.example/']"},
      {IocType::kAuto, "https://x.example:8443#f", "[url:value = 'https://x.example:8443/#f']"},
      {IocType::kAuto, "a.example/Path", "[url:value = 'http://a.example/Path']"},
      {IocType::kAuto, "http://User@Host.EXAMPLE:8080/a",
       "[url:value = 'http://User@host.example:8080/a']"},
      {IocType::kAuto, "http://[2001:DB8::1]:8080/x",
       "[url:value = 'http://[2001:db8::1]:8080/x']"},
      {IocType::kAuto, "ftp://Files.example/a", "[url:value = 'ftp://files.example/a']"},
      {IocType::kAuto, "Mal.Ware@EVIL.com", "[email-addr:value = 'Mal.Ware@evil.com']"},
      {IocType::kAuto, "D41D8CD98F00B204E9800998ECF8427E",
       "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']"},
      {IocType::kAuto, "da39a3ee5e6b4b0d3255bfef95601890afd80709",
       "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']"},
      {IocType::kAuto, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "[file:hashes.'SHA-256' = "
       "'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']"},
      {IocType::kSha512,
       "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d287"
       "7eec2f63b931bd47417a81a538327af927da3e",
       "[file:hashes.'SHA-512' = "
       "'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d287"
       "7eec2f63b931bd47417a81a538327af927da3e']"},
      {IocType::kFileName, "invoice.pdf.exe", "[file:name = 'invoice.pdf.exe']"},
      {IocType::kDomain, "invoice.exe", "[domain-name:value = 'invoice.exe']"},
      {IocType::kIpv4, "127.0.0.1", "[ipv4-addr:value = '127.0.0.1']"},  // explicit type
  };
  for (const auto& [type, value, want] : cases) {
    Result<std::string> p = IocPattern(type, value);
    ASSERT_TRUE(p.ok()) << value << ": " << p.status().ToString();
    EXPECT_EQ(*p, want);
    EXPECT_TRUE(pattern::ParsePattern(*p).ok()) << *p;
  }
}

// ssdeep hashes are hashes, not IPv6 addresses: "3::" (empty input) was an ipv6-addr indicator
// and "3:abc:def" an invalid IP address.
TEST(IocDetect, SsdeepHashesAreNotAddresses) {
  const std::pair<std::string_view, IocType> cases[] = {
      {"3::", IocType::kSsdeep},
      {"3:abc:def", IocType::kSsdeep},
      {"96:Wq/+abcDEF:Wq/+x", IocType::kSsdeep},
      {"3072:XjF8pAzoOyWEKwE5Uq6m6oqFKYTuvzmQT3+Ny:XjF8pAgKwcUqo2TuvzmQT3+N,\"a.exe\"",
       IocType::kSsdeep},
      {"96::1", IocType::kIpv6},      // no ssdeep has an empty first part and more
      {"3072::", IocType::kIpv6},     // 3072:: is in 2000::/3: an address
      {"12:30:45", IocType::kAuto},   // a time of day
      {"5:abc:def", IocType::kAuto},  // block size not 3·2^k
      {"3:ab c:d", IocType::kAuto},
      {"3:abc:def:ghi", IocType::kAuto},
  };
  for (const auto& [value, want] : cases) {
    EXPECT_EQ(DetectIocType(value), want) << value << " -> " << IocTypeName(DetectIocType(value));
  }
  EXPECT_EQ(IocPattern(IocType::kAuto, "96:Wq/+abcDEF:Wq/+x,\"x y\"").status().code(),
            StatusCode::kInvalidArgument);
  Result<std::string> p = IocPattern(IocType::kSsdeep, "96:Wq/+abcDEF:Wq/+x");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, "[file:hashes.SSDEEP = '96:Wq/+abcDEF:Wq/+x']") << "its case is kept";
  EXPECT_EQ(ParseIocType("SSDEEP").value(), IocType::kSsdeep);

  Conversion c = Convert("3::\n3:abc:def\n");
  EXPECT_VALID(c);
  EXPECT_EQ(c.Patterns(), (std::vector<std::string>{"[file:hashes.SSDEEP = '3::']",
                                                    "[file:hashes.SSDEEP = '3:abc:def']"}));
  EXPECT_EQ(c.stats.Get("ioc.indicators.ssdeep"), 2u);
  EXPECT_EQ(c.indicators[1].name, "SSDEEP: 3:abc:def");
  // ssdeep's own output: its header line, then hash,"file name" lines.
  Conversion output = Convert(
      "ssdeep,1.1--blocksize:hash:hash,filename\n96:Wq/+abcDEF:Wq/+x,\"/tmp/b.exe\"\n"
      "48:abcdefgh:ijkl,\"/tmp/c d.exe\"\n");
  EXPECT_VALID(output);
  EXPECT_EQ(output.Patterns(),
            (std::vector<std::string>{"[file:hashes.SSDEEP = '96:Wq/+abcDEF:Wq/+x']",
                                      "[file:hashes.SSDEEP = '48:abcdefgh:ijkl']"}));
  IocOptions hashes = FixedOptions();
  hashes.forced_type = IocType::kAnyHash;
  EXPECT_EQ(Convert("3:abc:def\n", hashes).indicators.size(), 1u);
}

TEST(IocPattern, EscapesQuotesAndBackslashes) {
  Result<std::string> p = IocPattern(IocType::kAuto, R"(http://evil.com/it's\a'b\\c)");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, R"([url:value = 'http://evil.com/it\'s\\a\'b\\\\c'])");
  Result<pattern::Pattern> parsed = pattern::ParsePattern(*p);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();

  Result<std::string> email = IocPattern(IocType::kEmail, "o'brien@evil.com");
  ASSERT_TRUE(email.ok());
  EXPECT_EQ(*email, R"([email-addr:value = 'o\'brien@evil.com'])");
  Result<std::string> file = IocPattern(IocType::kFileName, "it's.exe");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(*file, R"([file:name = 'it\'s.exe'])");

  // End to end: the converted object carries the escaped pattern and validates.
  Conversion c = Convert("hxxp://evil[.]com/o'neil\\x.php\n");
  EXPECT_VALID(c);
  ASSERT_EQ(c.indicators.size(), 1u);
  EXPECT_EQ(c.indicators[0].pattern, R"([url:value = 'http://evil.com/o\'neil\\x.php'])");
}

TEST(IocPattern, PortParameterAndErrors) {
  Result<std::string> p = IocPattern(IocType::kIpv4, "192.0.2.1", 8080);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p,
            "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
            "'192.0.2.1' AND network-traffic:dst_port = 8080]");
  EXPECT_TRUE(IocPattern(IocType::kIpv4, "192.0.2.1:8080", 8080).ok());
  EXPECT_FALSE(IocPattern(IocType::kIpv4, "192.0.2.1:8080", 80).ok());
  EXPECT_FALSE(IocPattern(IocType::kIpv4, "192.0.2.1", 0).ok());
  EXPECT_FALSE(IocPattern(IocType::kUrl, "http://evil.com/", 80).ok());
  // A host name with a port, as MISP's hostname|port (evil.example:443 in a list).
  Result<std::string> host = IocPattern(IocType::kAuto, "Evil.Example:443");
  ASSERT_TRUE(host.ok()) << host.status().ToString();
  EXPECT_EQ(*host,
            "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = "
            "'evil.example' AND network-traffic:dst_port = 443]");
  EXPECT_TRUE(pattern::ParsePattern(*host).ok()) << *host;
  EXPECT_EQ(IocPattern(IocType::kDomain, "evil.com", 80).value(),
            "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = "
            "'evil.com' AND network-traffic:dst_port = 80]");
  EXPECT_FALSE(IocPattern(IocType::kAuto, "evil.example:0").ok());
  EXPECT_FALSE(IocPattern(IocType::kAuto, "evil.example:443:1").ok());
  Conversion c = Convert("evil.example:443\n");
  EXPECT_VALID(c);
  ASSERT_EQ(c.indicators.size(), 1u);
  EXPECT_EQ(c.indicators[0].name, "Domain: evil.example:443");
  EXPECT_EQ(c.stats.Get("ioc.with_port"), 1u);
  EXPECT_FALSE(IocPattern(IocType::kDomain, "1.2.3.4").ok());
  EXPECT_FALSE(IocPattern(IocType::kMd5, "da39a3ee5e6b4b0d3255bfef95601890afd80709").ok());
  EXPECT_FALSE(IocPattern(IocType::kAuto, "127.0.0.1").ok());
  Result<std::string> bad = IocPattern(IocType::kAuto, "999.1.1.1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("999.1.1.1"), std::string::npos);
  // A URL whose port no socket can have is no URL a sensor logs.
  EXPECT_FALSE(IocPattern(IocType::kAuto, "https://evil.example:99999/x").ok());
  EXPECT_FALSE(IocPattern(IocType::kUrl, "http://evil.example:0/").ok());
}

TEST(IocType, ParsesTypeNamesCaseInsensitively) {
  EXPECT_EQ(ParseIocType("auto").value(), IocType::kAuto);
  EXPECT_EQ(ParseIocType("IP").value(), IocType::kAnyIp);
  EXPECT_EQ(ParseIocType("ipv4").value(), IocType::kIpv4);
  EXPECT_EQ(ParseIocType("cidr").value(), IocType::kAnyCidr);
  EXPECT_EQ(ParseIocType("Domain").value(), IocType::kDomain);
  EXPECT_EQ(ParseIocType("url").value(), IocType::kUrl);
  EXPECT_EQ(ParseIocType("email").value(), IocType::kEmail);
  EXPECT_EQ(ParseIocType("md5").value(), IocType::kMd5);
  EXPECT_EQ(ParseIocType("SHA-1").value(), IocType::kSha1);
  EXPECT_EQ(ParseIocType("sha256").value(), IocType::kSha256);
  EXPECT_EQ(ParseIocType("sha512").value(), IocType::kSha512);
  EXPECT_EQ(ParseIocType("hash").value(), IocType::kAnyHash);
  EXPECT_EQ(ParseIocType("filename").value(), IocType::kFileName);
  Result<IocType> bad = ParseIocType("mutex");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'mutex'"), std::string::npos);
  EXPECT_NE(bad.status().message().find("sha256"), std::string::npos);
  for (IocType t : {IocType::kIpv4Cidr, IocType::kIpv6Cidr, IocType::kIpv6}) {
    EXPECT_EQ(ParseIocType(IocTypeName(t)).value(), t);
  }
}

// ---------------------------------------------------------------------------------------------
// CSV

TEST(IocCsv, DetectsEachDelimiterAndTheIndicatorColumnByName) {
  for (char d : {',', ';', '\t', '|'}) {
    std::string text =
        "first_seen;indicator;malware\n"
        "2024-01-02 03:04:05;evil.example.com;Emotet\n"
        "2024-01-03;hxxp://bad[.]example.net/x;Qakbot\n";
    for (char& c : text) {
      if (c == ';') c = d;
    }
    Conversion c = Convert(text);
    EXPECT_VALID(c);
    EXPECT_EQ(c.stats.Get("ioc.format.csv"), 1u) << "delimiter " << int(d);
    ASSERT_EQ(c.indicators.size(), 2u) << "delimiter " << int(d);
    EXPECT_EQ(c.indicators[0].pattern, "[domain-name:value = 'evil.example.com']");
    EXPECT_EQ(c.indicators[0].valid_from, "2024-01-02T03:04:05.000Z");
    EXPECT_EQ(c.indicators[0].labels, std::vector<std::string>{"Emotet"});
    EXPECT_EQ(c.indicators[1].pattern, "[url:value = 'http://bad.example.net/x']");
    EXPECT_EQ(c.indicators[1].valid_from, "2024-01-03T00:00:00.000Z");
    EXPECT_EQ(c.stats.Get("ioc.skipped.unrecognized"), 0u);
  }
}

TEST(IocCsv, QuotedFieldsKeepEmbeddedDelimitersQuotesAndLineBreaks) {
  const std::string text =
      "\"url\",\"comment\",\"tags\"\n"
      "\"http://evil.com/a,b;c\",\"said \"\"hi\"\", then left\",\"elf,mozi\"\n"
      "\"http://evil.com/q?x=1\",\"two\nlines\",\"\"\n"
      "  \"http://evil.com/z\" , plain comment , exe\n";
  Conversion c = Convert(text);
  EXPECT_VALID(c);
  ASSERT_EQ(c.indicators.size(), 3u);
  EXPECT_EQ(c.indicators[0].pattern, "[url:value = 'http://evil.com/a,b;c']");
  EXPECT_EQ(c.indicators[0].description, "said \"hi\", then left");
  EXPECT_EQ(c.indicators[0].labels, (std::vector<std::string>{"elf", "mozi"}));
  EXPECT_EQ(c.indicators[1].pattern, "[url:value = 'http://evil.com/q?x=1']");
  EXPECT_EQ(c.indicators[1].description, "two lines");  // control characters become spaces
  EXPECT_TRUE(c.indicators[1].labels.empty());
  EXPECT_EQ(c.indicators[2].pattern, "[url:value = 'http://evil.com/z']");
  EXPECT_EQ(c.indicators[2].description, "plain comment");
}

TEST(IocCsv, HeaderlessFilePicksTheColumnByContent) {
  const std::string text =
      "1,2024-03-01,some text,198.51.100.7\n"
      "2,2024-03-02,more text,198.51.100.8\n"
      "3,2024-03-03,even more,not-an-ip\n";
  Conversion c = Convert(text);
  EXPECT_VALID(c);
  EXPECT_EQ(c.stats.Get("ioc.format.csv"), 1u);
  EXPECT_EQ(c.Patterns(), (std::vector<std::string>{"[ipv4-addr:value = '198.51.100.7']",
                                                    "[ipv4-addr:value = '198.51.100.8']"}));
  EXPECT_EQ(c.stats.Get("ioc.skipped.unrecognized"), 1u);
  // No header: no column is taken as valid_from.
  EXPECT_EQ(c.indicators[0].valid_from, "2024-04-05T10:00:00.000Z");
}

TEST(IocCsv, FirstRowWithAnIocIsDataEvenWhenAFieldLooksLikeAColumnName) {
  Conversion c = Convert("evil.example.com,malware\nbad.example.com,date\n");
  EXPECT_VALID(c);
  EXPECT_EQ(c.Patterns(), (std::vector<std::string>{"[domain-name:value = 'evil.example.com']",
                                                    "[domain-name:value = 'bad.example.com']"}));
}

// A headerless first row that yields nothing is data, skipped and noted, not taken for a header.
TEST(IocCsv, FirstRowWithoutAColumnNameIsDataEvenWhenItYieldsNothing) {
  Conversion bad = Convert("999.1.1.1,foo\n1.2.3.4,bar\n5.6.7.8,baz\n");
  EXPECT_VALID(bad);
  EXPECT_EQ(bad.stats.Get("ioc.format.csv"), 1u);
  EXPECT_EQ(bad.indicators.size(), 2u);
  EXPECT_EQ(bad.stats.Get("ioc.skipped.invalid_ip"), 1u);
  EXPECT_EQ(bad.stats.notes, std::vector<std::string>{"line 1: '999.1.1.1': invalid_ip"});

  Conversion loopback = Convert("127.0.0.1,foo\n1.2.3.4,bar\n5.6.7.8,baz\n");
  EXPECT_VALID(loopback);
  EXPECT_EQ(loopback.indicators.size(), 2u);
  EXPECT_EQ(loopback.stats.Get("ioc.skipped.reserved_ip"), 1u);
  EXPECT_EQ(loopback.stats.notes, std::vector<std::string>{"line 1: '127.0.0.1': reserved_ip"});
}

TEST(IocCsv, NamedColumnThatHoldsNoIocsFallsBackToContent) {
  const std::string text = "value,host\nhigh,evil.example.org\nlow,bad.example.org\n";
  Conversion c = Convert(text);
  EXPECT_VALID(c);
  EXPECT_EQ(c.Patterns(), (std::vector<std::string>{"[domain-name:value = 'evil.example.org']",
                                                    "[domain-name:value = 'bad.example.org']"}));
}

TEST(IocCsv, CommentedHeaderAsInUrlhausExports) {
  const std::string text =
      "################################################################\n"
      "# abuse.ch URLhaus Database Dump (CSV - recent URLs only)      #\n"
      "#\n"
      "# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n"
      "\"2835346\",\"2024-04-04 07:05:08\",\"http://115.55.236.5:52034/i\",\"online\","
      "\"2024-04-04 07:05:08\",\"malware_download\",\"32-bit,elf,mips,Mozi\","
      "\"https://urlhaus.abuse.ch/url/2835346/\",\"geenensp\"\n"
      "\"2835345\",\"2024-04-04 07:04:07\",\"http://evil.example.com/x.sh\",\"online\","
      "\"2024-04-04 07:04:07\",\"malware_download\",\"None\","
      "\"https://urlhaus.abuse.ch/url/2835345/\",\"lrz_urlhaus\"\n";
  Conversion c = Convert(text);
  EXPECT_VALID(c);
  ASSERT_EQ(c.indicators.size(), 2u);
  EXPECT_EQ(c.indicators[0].pattern, "[url:value = 'http://115.55.236.5:52034/i']");
  EXPECT_EQ(c.indicators[0].valid_from, "2024-04-04T07:05:08.000Z");
  EXPECT_EQ(c.indicators[0].labels,
            (std::vector<std::string>{"malware_download", "32-bit", "elf", "mips", "Mozi"}));
  EXPECT_EQ(c.indicators[1].labels, std::vector<std::string>{"malware_download"});
}

TEST(IocCsv, IpWithPortColumnBecomesNetworkTrafficPattern) {
  const std::string text =
      "ip,port,first_seen,confidence_level\n"
      "192.0.2.10,443,2024-02-01T10:00:00+02:00,75\n"
      "2001:db8::10,8443,1711000000,\n"
      "192.0.2.11,notaport,,150\n"
      "192.0.2.12:22,443,,\n";
  Conversion c = Convert(text);
  EXPECT_VALID(c);
  ASSERT_EQ(c.indicators.size(), 4u);
  // A confidence outside 0-100 is not kept, and the list says so.
  EXPECT_FALSE(c.indicators[2].confidence.has_value());
  EXPECT_EQ(c.stats.Get("ioc.confidence_ignored"), 1u);
  bool noted = false;
  for (const std::string& n : c.stats.notes)
    noted = noted || n == "line 4: confidence '150' is not 0-100; the indicator has none";
  EXPECT_TRUE(noted);
  EXPECT_EQ(c.indicators[0].pattern,
            "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
            "'192.0.2.10' AND network-traffic:dst_port = 443]");
  EXPECT_EQ(c.indicators[0].valid_from, "2024-02-01T08:00:00.000Z");  // offset applied
  EXPECT_EQ(c.indicators[0].confidence, 75);
  EXPECT_EQ(c.indicators[0].name, "IPv4: 192.0.2.10:443");
  EXPECT_EQ(c.indicators[1].pattern,
            "[network-traffic:dst_ref.type = 'ipv6-addr' AND network-traffic:dst_ref.value = "
            "'2001:db8::10' AND network-traffic:dst_port = 8443]");
  EXPECT_EQ(c.indicators[1].valid_from, "2024-03-21T05:46:40.000Z");  // Unix seconds
  EXPECT_FALSE(c.indicators[1].confidence.has_value());
  EXPECT_EQ(c.indicators[2].pattern, "[ipv4-addr:value = '192.0.2.11']");
  EXPECT_EQ(c.stats.Get("ioc.bad_port"), 1u);
  // A port in the value wins over the column.
  EXPECT_NE(c.indicators[3].pattern.find("dst_port = 22]"), std::string::npos);
  EXPECT_EQ(c.stats.Get("ioc.with_port"), 3u);
}

TEST(IocCsv, UnparseableFirstSeenFallsBackToNowAndIsCounted) {
  Conversion c = Convert("domain,first_seen\nevil.example.com,last tuesday\n");
  EXPECT_VALID(c);
  ASSERT_EQ(c.indicators.size(), 1u);
  EXPECT_EQ(c.indicators[0].valid_from, "2024-04-05T10:00:00.000Z");
  EXPECT_EQ(c.stats.Get("ioc.bad_first_seen"), 1u);
}

// A first-seen date past the import (a typo, a made-up year) is kept as the list says it,
// but said: the indicator matches nothing before it.
TEST(IocCsv, AFirstSeenInTheFutureIsKeptAndSaid) {
  Conversion c = Convert(
      "domain,first_seen\nevil.example.com,2099-01-01T00:00:00Z\nok.example.com,2024-04-05\n");
  EXPECT_VALID(c);
  ASSERT_EQ(c.indicators.size(), 2u);
  EXPECT_EQ(c.indicators[0].valid_from, "2099-01-01T00:00:00.000Z");
  EXPECT_EQ(c.stats.Get("ioc.first_seen_in_future"), 1u);
  ASSERT_EQ(c.stats.notes.size(), 1u);
  EXPECT_NE(c.stats.notes[0].find("line 2: first seen '2099-01-01T00:00:00Z' is in the future"),
            std::string::npos)
      << c.stats.notes[0];
}

// ---------------------------------------------------------------------------------------------
// Plain lists

TEST(IocPlain, SkipsCommentsAndKeepsTrailingCommentsAsDescription) {
  const std::string text =
      "\xEF\xBB\xBF# my list\r\n"
      "// another comment\r\n"
      "\r\n"
      "evil[.]example[.]com   # C2 seen 2024-04-01\r\n"
      "198.51.100.23 // scanner\r\n"
      "hxxps://phish[.]example[.]org/login\r\n"
      "  d41d8cd98f00b204e9800998ecf8427e\t; empty file\r\n"
      "not an ioc\r\n"
      "http://evil.com/#fragment\r\n";
  Conversion c = Convert(text);
  EXPECT_VALID(c);
  EXPECT_EQ(c.stats.Get("ioc.format.plain"), 1u);
  ASSERT_EQ(c.indicators.size(), 5u);
  EXPECT_EQ(c.indicators[0].pattern, "[domain-name:value = 'evil.example.com']");
  EXPECT_EQ(c.indicators[0].description, "C2 seen 2024-04-01");
  EXPECT_EQ(c.indicators[0].name, "Domain: evil.example.com");
  EXPECT_EQ(c.indicators[1].pattern, "[ipv4-addr:value = '198.51.100.23']");
  EXPECT_EQ(c.indicators[1].description, "scanner");
  EXPECT_EQ(c.indicators[2].pattern, "[url:value = 'https://phish.example.org/login']");
  EXPECT_EQ(c.indicators[3].pattern, "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']");
  EXPECT_EQ(c.indicators[3].description, "empty file");
  EXPECT_EQ(c.indicators[4].pattern, "[url:value = 'http://evil.com/#fragment']");
  EXPECT_EQ(c.stats.Get("ioc.skipped.unrecognized"), 1u);  // "not"
  EXPECT_EQ(c.stats.Get("ioc.refanged"), 2u);
  EXPECT_EQ(c.stats.Get("ioc.indicators"), 5u);
  EXPECT_EQ(c.stats.Get("ioc.indicators.domain"), 1u);
  EXPECT_EQ(c.stats.Get("ioc.indicators.url"), 2u);
}

TEST(IocPlain, HostsFileAndSpamhausDropLines) {
  Conversion hosts =
      Convert("127.0.0.1 localhost\n0.0.0.0 ads.example.com\n0.0.0.0\tt.example.net\n");
  EXPECT_VALID(hosts);
  EXPECT_EQ(hosts.Patterns(), (std::vector<std::string>{"[domain-name:value = 'ads.example.com']",
                                                        "[domain-name:value = 't.example.net']"}));
  EXPECT_EQ(hosts.stats.Get("ioc.skipped.unrecognized"), 1u);  // localhost

  Conversion drop = Convert(
      "; Spamhaus DROP List 2024/04/04 - (c) 2024 The Spamhaus Project\n"
      "; Last-Modified: Thu, 04 Apr 2024 12:00:00 GMT\n"
      "1.10.16.0/20 ; SBL256894\n"
      "1.19.0.0/16 ; SBL434604\n");
  EXPECT_VALID(drop);
  EXPECT_EQ(drop.stats.Get("ioc.format.plain"), 1u);
  ASSERT_EQ(drop.indicators.size(), 2u);
  EXPECT_EQ(drop.indicators[0].pattern, "[ipv4-addr:value ISSUBSET '1.10.16.0/20']");
  EXPECT_EQ(drop.indicators[0].description, "SBL256894");
  EXPECT_EQ(drop.indicators[1].name, "IPv4 CIDR: 1.19.0.0/16");
}

TEST(IocPlain, SingleColumnHeaderIsNotCountedAsGarbage) {
  Conversion c = Convert("domain\nevil.example.com\nbad.example.com\n");
  EXPECT_VALID(c);
  EXPECT_EQ(c.indicators.size(), 2u);
  EXPECT_EQ(c.stats.Get("ioc.skipped.unrecognized"), 0u);
}

TEST(IocPlain, AddressesArePrivateReservedInvalidOrNormalised) {
  Conversion c = Convert(
      "10.0.0.1\n192.168.1.1\nfd00::1\n127.0.0.1\n0.0.0.0\n224.0.0.1\n999.1.1.1\n"
      "10.1.2.3/8\n2001:0DB8:0000::0001\n");
  EXPECT_VALID(c);
  EXPECT_EQ(c.Patterns(),
            (std::vector<std::string>{
                "[ipv4-addr:value = '10.0.0.1']", "[ipv4-addr:value = '192.168.1.1']",
                "[ipv6-addr:value = 'fd00::1']", "[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
                "[ipv6-addr:value = '2001:db8::1']"}));
  EXPECT_EQ(c.stats.Get("ioc.private_ip"), 4u);
  EXPECT_EQ(c.stats.Get("ioc.skipped.reserved_ip"), 3u);
  EXPECT_EQ(c.stats.Get("ioc.skipped.invalid_ip"), 1u);
  EXPECT_EQ(c.stats.Get("ioc.cidr_normalised"), 1u);
}

TEST(IocPlain, DuplicatesAreEmittedOnce) {
  Conversion c = Convert("evil.com\nEVIL.COM\nevil[.]com\nhttp://evil.com\n");
  EXPECT_VALID(c);
  EXPECT_EQ(c.indicators.size(), 2u);
  EXPECT_EQ(c.stats.Get("ioc.skipped.duplicate"), 2u);
}

TEST(IocPlain, LongValuesGetAShortenedName) {
  std::string url = "http://evil.example.com/" + std::string(300, 'a');
  Conversion c = Convert(url + "\n");
  EXPECT_VALID(c);
  ASSERT_EQ(c.indicators.size(), 1u);
  EXPECT_EQ(c.indicators[0].name, "URL: " + url.substr(0, 97) + "...");
  EXPECT_EQ(c.indicators[0].pattern, "[url:value = '" + url + "']");
}

// ---------------------------------------------------------------------------------------------
// Options

TEST(IocOptions, ForcedTypeOverridesDetectionAndRejectsMisfits) {
  IocOptions options = FixedOptions();
  options.forced_type = IocType::kDomain;
  Conversion c =
      Convert("invoice.exe\nevil.example.com\n1.2.3.4\nhttp://evil.com/\ngarbage\n", options);
  EXPECT_VALID(c);
  EXPECT_EQ(c.Patterns(), (std::vector<std::string>{"[domain-name:value = 'invoice.exe']",
                                                    "[domain-name:value = 'evil.example.com']"}));
  EXPECT_EQ(c.stats.Get("ioc.skipped.type_mismatch"), 3u) << "garbage is no domain either";
  EXPECT_EQ(c.stats.Get("ioc.skipped.unrecognized"), 0u);

  options.forced_type = IocType::kSha256;
  std::vector<std::string> rejected;
  options.on_invalid = [&](uint64_t line, std::string_view value, std::string_view reason) {
    rejected.push_back(std::to_string(line) + " " + std::string(value) + " " + std::string(reason));
  };
  Conversion hashes = Convert(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "d41d8cd98f00b204e9800998ecf8427e\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85\n",
      options);
  EXPECT_VALID(hashes);
  EXPECT_EQ(hashes.indicators.size(), 1u);
  EXPECT_EQ(hashes.stats.Get("ioc.skipped.type_mismatch"), 2u);
  EXPECT_EQ(rejected,
            (std::vector<std::string>{
                "2 d41d8cd98f00b204e9800998ecf8427e type_mismatch",
                "3 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85 type_mismatch"}))
      << "63 hex digits are no SHA-256: rejected, not only noted";
  options.on_invalid = nullptr;
  options.forced_type = IocType::kMd5;
  Conversion md5 = Convert("d41d8cd98f00b204e9800998ecf8427e\ninvoice.exe\n", options);
  EXPECT_EQ(md5.stats.Get("ioc.skipped.type_mismatch"), 1u);
  // A first line may be a header we cannot name, and a hosts file names its own machine: notes.
  options.forced_type = IocType::kDomain;
  Conversion header = Convert("Zulu,Yankee\nevil.example,x\nbad.example,y\n", options);
  EXPECT_EQ(header.indicators.size(), 2u);
  EXPECT_EQ(header.stats.Get("ioc.skipped.type_mismatch"), 0u);
  Conversion hosts = Convert("127.0.0.1 localhost\n0.0.0.0 evil.example\n", options);
  EXPECT_EQ(hosts.indicators.size(), 1u);
  EXPECT_EQ(hosts.stats.Get("ioc.skipped.type_mismatch"), 0u);

  options.forced_type = IocType::kAnyIp;
  Conversion ips = Convert("1.2.3.4\n2001:db8::/32\nevil.com\n", options);
  EXPECT_VALID(ips);
  EXPECT_EQ(ips.indicators.size(), 2u);
  EXPECT_EQ(ips.stats.Get("ioc.skipped.type_mismatch"), 1u);

  options.forced_type = IocType::kFileName;
  Conversion files =
      Convert("# names\nMy Invoice.pdf.exe\nC:\\Users\\x\\a.exe\nit's.js\n", options);
  EXPECT_VALID(files);
  EXPECT_EQ(files.Patterns(), (std::vector<std::string>{"[file:name = 'My Invoice.pdf.exe']",
                                                        R"([file:name = 'it\'s.js'])"}));
  EXPECT_EQ(files.stats.Get("ioc.skipped.type_mismatch"), 1u);
  EXPECT_EQ(files.stats.Get("ioc.indicators.filename"), 2u);
}

TEST(IocOptions, ForcedTypeAppliesToCsvColumns) {
  IocOptions options = FixedOptions();
  options.forced_type = IocType::kMd5;
  Conversion c = Convert(
      "sha256_hash,md5_hash\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855,"
      "d41d8cd98f00b204e9800998ecf8427e\n",
      options);
  EXPECT_VALID(c);
  EXPECT_EQ(c.Patterns(),
            std::vector<std::string>{"[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']"});
}

TEST(IocOptions, ConfidenceValidForMarkingCreatorAndSourceAreApplied) {
  IocOptions options = FixedOptions();
  options.confidence = 85;
  options.valid_for_seconds = 30 * 24 * 3600;
  options.provenance.object_marking_refs = {std::string(kTlpGreen)};
  options.provenance.created_by_ref = std::string(kIdentity);
  options.source_name = "blocklist.txt";
  Conversion c = Convert("# header\nevil.example.com\n", options);
  EXPECT_VALID(c);
  ASSERT_EQ(c.indicators.size(), 1u);
  const Indicator& i = c.indicators[0];
  EXPECT_EQ(i.confidence, 85);
  EXPECT_EQ(i.created, "2024-04-05T10:00:00.000Z");
  EXPECT_EQ(i.modified, "2024-04-05T10:00:00.000Z");
  EXPECT_EQ(i.valid_from, "2024-04-05T10:00:00.000Z");
  EXPECT_EQ(i.valid_until, "2024-05-05T10:00:00.000Z");
  EXPECT_EQ(i.markings, std::vector<std::string>{std::string(kTlpGreen)});
  EXPECT_EQ(i.indicator_types, std::vector<std::string>{"malicious-activity"});
  EXPECT_EQ(i.ext_source, "blocklist.txt");
  EXPECT_EQ(i.ext_description, "IOC list") << "the line is no property of the indicator";
  EXPECT_NE(i.json.find("\"created_by_ref\":\"" + std::string(kIdentity) + "\""),
            std::string::npos);
  EXPECT_NE(i.json.find("\"pattern_type\":\"stix\""), std::string::npos);
  EXPECT_NE(i.json.find("\"spec_version\":\"2.1\""), std::string::npos);

  // --valid-for counts from the import when first_seen is older, else from first_seen.
  Conversion dated = Convert(
      "domain,first_seen\nold.example.com,2023-01-01\nlater.example.com,2024-06-01\n", options);
  EXPECT_VALID(dated);
  ASSERT_EQ(dated.indicators.size(), 2u);
  EXPECT_EQ(dated.indicators[0].valid_from, "2023-01-01T00:00:00.000Z");
  EXPECT_EQ(dated.indicators[0].valid_until, "2024-05-05T10:00:00.000Z");
  EXPECT_EQ(dated.indicators[1].valid_from, "2024-06-01T00:00:00.000Z");
  EXPECT_EQ(dated.indicators[1].valid_until, "2024-07-01T00:00:00.000Z");

  // The option overrides a confidence column.
  Conversion col = Convert("domain,confidence\nevil.example.com,10\n", options);
  ASSERT_EQ(col.indicators.size(), 1u);
  EXPECT_EQ(col.indicators[0].confidence, 85);
}

TEST(IocOptions, OutOfRangeOptionsAreRejected) {
  auto status_of = [](const IocOptions& options) {
    return ConvertIocList(
        "evil.com\n", options, [](std::string) { return Status::Ok(); }, nullptr);
  };
  IocOptions options = FixedOptions();
  options.confidence = 101;
  EXPECT_EQ(status_of(options).code(), StatusCode::kInvalidArgument);
  options = FixedOptions();
  options.confidence = -1;
  EXPECT_EQ(status_of(options).code(), StatusCode::kInvalidArgument);
  options = FixedOptions();
  options.valid_for_seconds = 0;
  EXPECT_EQ(status_of(options).code(), StatusCode::kInvalidArgument);
  options = FixedOptions();
  options.provenance.object_marking_refs = {"TLP:GREEN"};
  Status s = status_of(options);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("TLP:GREEN"), std::string::npos);
  options = FixedOptions();
  options.provenance.created_by_ref = "identity--nope";
  EXPECT_EQ(status_of(options).code(), StatusCode::kInvalidArgument);
  options = FixedOptions();
  options.confidence = 0;
  options.valid_for_seconds = 1;
  EXPECT_TRUE(status_of(options).ok());
}

TEST(IocIds, SameListGivesSameIdsAndANewVersionLater) {
  const std::string text = "evil.example.com\n198.51.100.1\nhttp://evil.com/x\n";
  Conversion first = Convert(text);
  IocOptions later = FixedOptions();
  later.provenance.now = At("2024-05-01T00:00:00.123456Z");
  Conversion second = Convert(text, later);
  EXPECT_VALID(first);
  EXPECT_VALID(second);
  ASSERT_EQ(first.indicators.size(), 3u);
  ASSERT_EQ(second.indicators.size(), 3u);
  std::set<std::string> ids;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(first.indicators[i].id, second.indicators[i].id);
    EXPECT_EQ(second.indicators[i].modified, "2024-05-01T00:00:00.123Z");
    ids.insert(first.indicators[i].id);
  }
  EXPECT_EQ(ids.size(), 3u);
  // Byte-identical output for the same input and options.
  EXPECT_EQ(Convert(text).indicators[1].json, first.indicators[1].json);
  // The id is UUIDv5 over the pattern in the documented namespace.
  Uuid ns = Uuid::Parse(kIocIndicatorNamespace).value();
  EXPECT_EQ(first.indicators[0].id,
            "indicator--" + Uuid::V5(ns, "[domain-name:value = 'evil.example.com']").ToString());
  // Another producer gets its own ids.
  IocOptions other = FixedOptions();
  other.provenance.created_by_ref = std::string(kIdentity);
  EXPECT_NE(Convert(text, other).indicators[0].id, first.indicators[0].id);
}

TEST(IocSink, AnErrorFromTheSinkStopsTheConversion) {
  size_t calls = 0;
  Status s = ConvertIocList(
      "a.example.com\nb.example.com\nc.example.com\n", FixedOptions(),
      [&](std::string) {
        ++calls;
        return calls == 2 ? Status(StatusCode::kUnavailable, "store is down") : Status::Ok();
      },
      nullptr);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(calls, 2u);
}

// ---------------------------------------------------------------------------------------------
// Real data

TEST(IocFeodo, BlocklistConvertsTo28IpPortIndicators) {
  const fs::path path = kSharedData / "ioc" / "feodotracker-ipblocklist-2024-04-04.csv";
  if (!fs::exists(path)) GTEST_SKIP() << "shared data not found at " << path;
  IocOptions options = FixedOptions();
  options.source_name = path.filename().string();
  options.provenance.object_marking_refs = {std::string(kTlpGreen)};
  Conversion c = Convert(ReadFile(path), options);
  EXPECT_VALID(c);
  EXPECT_EQ(c.stats.Get("ioc.format.csv"), 1u);
  ASSERT_EQ(c.indicators.size(), 28u);
  EXPECT_EQ(c.stats.Get("ioc.indicators.ipv4"), 28u);
  EXPECT_EQ(c.stats.Get("ioc.with_port"), 28u);
  for (const auto& [name, n] : c.stats.counters) {
    EXPECT_EQ(name.find("ioc.skipped."), std::string::npos) << name << " = " << n;
  }
  for (const Indicator& i : c.indicators) {
    EXPECT_EQ(i.pattern.rfind("[network-traffic:dst_ref.type = 'ipv4-addr' AND "
                              "network-traffic:dst_ref.value = '",
                              0),
              0u)
        << i.pattern;
    EXPECT_EQ(i.labels, std::vector<std::string>{"Pikabot"});
    EXPECT_EQ(i.ext_source, "feodotracker-ipblocklist-2024-04-04.csv");
  }
  const Indicator& first = c.indicators.front();
  EXPECT_EQ(first.pattern,
            "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
            "'192.9.135.73' AND network-traffic:dst_port = 1194]");
  EXPECT_EQ(first.valid_from, "2023-05-23T17:51:44.000Z");
  EXPECT_EQ(first.name, "IPv4: 192.9.135.73:1194");
  EXPECT_EQ(first.ext_description, "IOC list");
  const Indicator& last = c.indicators.back();
  EXPECT_EQ(last.valid_from, "2024-04-04T07:03:03.000Z");
  EXPECT_NE(last.pattern.find("'172.233.221.61' AND network-traffic:dst_port = 5938]"),
            std::string::npos);
  EXPECT_TRUE(LooksLikeIocList(ReadFile(path)));
}

TEST(IocWarninglists, MispListsConvertAsPlainLists) {
  const fs::path dir = kSharedData / "misp" / "warninglists";
  if (!fs::exists(dir)) GTEST_SKIP() << "shared data not found at " << dir;
  struct Case {
    const char* file;
    const char* counter;
  };
  for (const Case& k :
       {Case{"alexa.json", "ioc.indicators.domain"}, Case{"google-gcp.json", nullptr},
        Case{"public-dns-v6.json", "ioc.indicators.ipv6"},
        Case{"rfc1918.json", "ioc.indicators.ipv4-cidr"}}) {
    std::vector<std::string> values = WarninglistValues(dir / k.file);
    ASSERT_FALSE(values.empty()) << k.file;
    std::string text;
    for (const std::string& v : values) text += v + "\n";
    EXPECT_TRUE(LooksLikeIocList(text)) << k.file;
    Conversion c = Convert(text);
    EXPECT_VALID(c);
    uint64_t skipped = 0;
    for (const auto& [name, n] : c.stats.counters) {
      if (name.rfind("ioc.skipped.", 0) == 0 && name != "ioc.skipped.duplicate") skipped += n;
    }
    EXPECT_EQ(skipped, 0u) << k.file;
    EXPECT_EQ(c.indicators.size() + c.stats.Get("ioc.skipped.duplicate"), values.size()) << k.file;
    if (k.counter) {
      EXPECT_EQ(c.stats.Get(k.counter), c.indicators.size()) << k.file;
    }
  }
  // GCP ranges: IPv4 and IPv6 CIDR blocks, all with ISSUBSET.
  std::string gcp;
  for (const std::string& v : WarninglistValues(dir / "google-gcp.json")) gcp += v + "\n";
  Conversion c = Convert(gcp);
  for (const Indicator& i : c.indicators) {
    EXPECT_NE(i.pattern.find(" ISSUBSET '"), std::string::npos) << i.pattern;
  }
  EXPECT_EQ(Convert("fe80::/64\n").stats.Get("ioc.private_ip"), 1u);  // /10 is too broad
}

// ---------------------------------------------------------------------------------------------
// Sniffing and hostile input

TEST(IocSniff, RecognisesListsAndRejectsJsonXmlAndProse) {
  EXPECT_TRUE(LooksLikeIocList("evil.example.com\n1.2.3.4\n"));
  EXPECT_TRUE(LooksLikeIocList("# list\nhxxp://evil[.]com/a\n"));
  EXPECT_TRUE(LooksLikeIocList("ioc,type\nevil.com,domain\n"));
  EXPECT_TRUE(LooksLikeIocList("[2001:db8::1]:443\n"));
  EXPECT_FALSE(LooksLikeIocList(""));
  EXPECT_FALSE(LooksLikeIocList("   \n\n"));
  EXPECT_FALSE(LooksLikeIocList(R"({"type":"bundle","id":"bundle--1","objects":[]})"));
  EXPECT_FALSE(LooksLikeIocList(R"([{"type":"indicator"}])"));
  EXPECT_FALSE(LooksLikeIocList("[\"1.2.3.4\"]"));
  EXPECT_FALSE(LooksLikeIocList("<?xml version=\"1.0\"?><stix/>"));
  EXPECT_FALSE(LooksLikeIocList("#separator \\x09\n#fields\tts\tid.orig_h\n1.0\t1.2.3.4\n"));
  EXPECT_FALSE(LooksLikeIocList("This is a report.\nIt mentions evil.com once.\nAnd more.\n"));
  EXPECT_FALSE(LooksLikeIocList(std::string("evil.com\n\0\x01\x02", 12)));
}

TEST(IocGarbage, HostileInputNeverCrashesAndIsCounted) {
  std::vector<std::string> inputs = {
      "",
      "\n\n\n",
      std::string(100000, ','),
      std::string(100000, '"'),
      "\"unterminated,quote\nevil.example.com\n1.2.3.4\n",
      "a,b\n\"x\"\"\"\"\",\"y\n",
      std::string("evil.com\0evil.net\n", 18),
      "\xff\xfe\xfd\n\xc3\x28\n\xed\xa0\x80.com\n",
      std::string(20000, 'a') + ".com\n",
      "http://" + std::string(10000, 'x') + ".com/\n",
      ",,,,\n;;;;\n||||\n\t\t\t\n",
      "1.1.1.1/\n1.1.1.1/x\n::::::\n[\n[]\n[::1\n@\n@@\n://\n",
      "ip,port\n1.2.3.4,99999999999999999999\n",
      "domain,first_seen\nevil.com,99999-01-01\nbad.com,0000-00-00\nx.com,1969-12-31\n",
  };
  const size_t fixed = inputs.size();
  // Deterministic pseudo-random bytes, and pseudo-random lines made of IOC-ish characters.
  uint32_t state = 12345;
  auto next = [&] {
    state = state * 1103515245u + 12345u;
    return static_cast<unsigned char>(state >> 16);
  };
  for (int n = 0; n < 20; ++n) {
    std::string bytes;
    for (int i = 0; i < 4000; ++i) bytes += static_cast<char>(next());
    inputs.push_back(bytes);
    std::string ioc_ish;
    const std::string_view alphabet = "0123456789abcdef.:/[]()@\",;|\t #\nhxp";
    for (int i = 0; i < 4000; ++i) ioc_ish += alphabet[next() % alphabet.size()];
    inputs.push_back(ioc_ish);
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string& text = inputs[i];
    Conversion c = Convert(text);
    // What is no text at all is refused whole (see IocGarbage.BinaryAndUtf16AreErrors): random
    // bytes, NULs, a UTF-16 byte order mark — nothing else.
    const bool binary = (i >= fixed && (i - fixed) % 2 == 0) ||
                        text.find('\0') != std::string::npos || text.rfind("\xff\xfe", 0) == 0;
    if (binary && c.status.code() == StatusCode::kInvalidArgument) {
      EXPECT_TRUE(c.indicators.empty());
      continue;
    }
    SCOPED_TRACE("input " + std::to_string(i));
    EXPECT_VALID(c);
    (void)LooksLikeIocList(text);
  }
  // An empty feed is an empty list, not an error (a daily cron job must not fail on it).
  for (std::string empty : {std::string(), std::string("\xEF\xBB\xBF"), std::string("\n"),
                            std::string("# nothing today\n")}) {
    Conversion c = Convert(empty);
    EXPECT_VALID(c);
    EXPECT_TRUE(c.indicators.empty());
  }
  Conversion garbage = Convert("hello world\n!!!\n999.999.999.999\n\xff\n");
  EXPECT_VALID(garbage);
  EXPECT_TRUE(garbage.indicators.empty());
  EXPECT_EQ(garbage.stats.Get("ioc.skipped.unrecognized"), 2u);
  EXPECT_EQ(garbage.stats.Get("ioc.skipped.invalid_ip"), 1u);
  EXPECT_EQ(garbage.stats.Get("ioc.skipped.invalid_utf8"), 1u);
}

// Class E addresses are reserved; a CIDR broader than the sensor exports take (/8, /16) is a
// mistake in a list, skipped and noted.
TEST(IocList, ClassEIsReservedAndVeryBroadCidrsAreSkipped) {
  Conversion c = Convert(
      "240.1.2.3\n250.0.0.0/8\n128.0.0.0/1\n2000::/3\n8.0.0.0/8\n2001:db8::/16\n0.0.0.0/0\n");
  EXPECT_VALID(c);
  EXPECT_EQ(c.Patterns(), (std::vector<std::string>{"[ipv4-addr:value ISSUBSET '8.0.0.0/8']",
                                                    "[ipv6-addr:value ISSUBSET '2001::/16']"}));
  EXPECT_EQ(c.stats.Get("ioc.skipped.reserved_ip"), 2u);
  EXPECT_EQ(c.stats.Get("ioc.skipped.too_broad"), 3u);
  EXPECT_EQ(c.stats.notes,
            (std::vector<std::string>{
                "line 1: '240.1.2.3': reserved_ip", "line 2: '250.0.0.0/8': reserved_ip",
                "line 3: '128.0.0.0/1': too_broad", "line 4: '2000::/3': too_broad",
                "line 7: '0.0.0.0/0': too_broad"}));
}

// An IPv4-mapped IPv6 address is the IPv4 address it maps, so the reserved and private rules
// apply to it.
TEST(IocList, Ipv4MappedAddressesAreTheirIpv4Address) {
  Conversion c = Convert(
      "::ffff:198.51.100.7\n::ffff:127.0.0.1\n[::FFFF:198.51.100.8]:443\n::ffff:10.0.0.0/104\n"
      "::ffff:c633:6409\n");
  EXPECT_VALID(c);
  EXPECT_EQ(c.Patterns(),
            (std::vector<std::string>{
                "[ipv4-addr:value = '198.51.100.7']",
                "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
                "'198.51.100.8' AND network-traffic:dst_port = 443]",
                "[ipv4-addr:value ISSUBSET '10.0.0.0/8']", "[ipv4-addr:value = '198.51.100.9']"}));
  EXPECT_EQ(c.stats.Get("ioc.skipped.reserved_ip"), 1u);
  EXPECT_EQ(c.stats.Get("ioc.private_ip"), 1u);
  EXPECT_EQ(c.stats.Get("ioc.ipv4_mapped_normalised"), 4u);
  IocOptions v6 = FixedOptions();
  v6.forced_type = IocType::kIpv6;
  EXPECT_EQ(Convert("::ffff:198.51.100.7\n", v6).indicators.size(), 1u);
}

// ctihub has no IDNA conversion: a URL with a Unicode host is kept as written, and noted.
TEST(IocList, UrlsWithUnicodeHostsAreNoted) {
  Conversion c = Convert(
      "http://\xD0\xBF\xD1\x80\xD0\xB8\xD0\xBC\xD0\xB5\xD1\x80.\xD1\x80\xD1\x84/x\n"
      "http://evil.example/\xC3\xBC\n");
  EXPECT_VALID(c);
  EXPECT_EQ(c.indicators.size(), 2u);
  EXPECT_EQ(c.stats.Get("ioc.idn_host"), 1u) << "a Unicode path is no IDN";
  ASSERT_EQ(c.stats.notes.size(), 1u);
  EXPECT_EQ(c.stats.notes[0].rfind("line 1: 'http://", 0), 0u) << c.stats.notes[0];
  EXPECT_NE(c.stats.notes[0].find("punycode"), std::string::npos) << c.stats.notes[0];
}

// A UTF-16 or binary file is an error, not a list with nothing in it.
TEST(IocGarbage, BinaryAndUtf16AreErrors) {
  auto utf16le = [](std::string_view ascii, bool bom) {
    std::string out = bom ? "\xFF\xFE" : "";
    for (char c : ascii) out += std::string{c, '\0'};
    return out;
  };
  auto utf16be = [](std::string_view ascii) {
    std::string out = "\xFE\xFF";
    for (char c : ascii) out += std::string{'\0', c};
    return out;
  };
  const std::string utf16_message =
      "UTF-16 text: convert it to UTF-8, e.g. iconv -f UTF-16 -t UTF-8";
  for (const std::string& text :
       {utf16le("evil.example\r\n1.2.3.4\r\n", true), utf16le("evil.example\n1.2.3.4\n", false),
        utf16be("evil.example\n")}) {
    Conversion c = Convert(text);
    EXPECT_EQ(c.status.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(c.status.message(), utf16_message);
  }
  std::string bytes;
  uint32_t state = 7;
  for (int i = 0; i < 4096; ++i) {
    state = state * 1103515245u + 12345u;
    bytes += static_cast<char>(state >> 16);
  }
  for (const std::string& text :
       {bytes, std::string("evil.com\0evil.net\n", 18), std::string(200, '\x01') + "a.example"}) {
    Conversion c = Convert(text);
    EXPECT_EQ(c.status.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(c.status.message(), "binary data, not an IOC list");
  }
  // Latin-1 comments in an otherwise ASCII list are still text.
  Conversion latin1 = Convert(
      "evil.example # C2 f\xFCr Bots\n1.2.3.4 ; Gr\xFC\xDF"
      "e\n");
  EXPECT_VALID(latin1);
  EXPECT_EQ(latin1.indicators.size(), 2u);
}

// What was left out is shown with its line and value, not only counted; a URL followed by more
// text (cut at a space?) is not turned into an indicator for its first part.
TEST(IocList, SkippedValuesAreNotedWhereTheyAre) {
  Conversion c = Convert(
      "http://exa mple.com\n198.51.100.1\nnot an ioc at all!!\nhxxp://evil[.]example/x\n1.2.3\n"
      "http://intranet/x\nhttps://evil.example/y suspicious download\n198.51.100.1\n"
      "https://evil.example/z # suspicious download\n");
  EXPECT_VALID(c);
  EXPECT_EQ(c.Find("[url:value = 'http://exa/']"), nullptr);
  EXPECT_EQ(c.Find("[domain-name:value = 'mple.com']"), nullptr);
  ASSERT_NE(c.Find("[url:value = 'https://evil.example/y']"), nullptr) << "unmarked, but said";
  EXPECT_EQ(c.Find("[url:value = 'https://evil.example/y']")->description, "suspicious download");
  ASSERT_NE(c.Find("[url:value = 'https://evil.example/z']"), nullptr) << "a marked comment";
  EXPECT_EQ(c.Find("[url:value = 'https://evil.example/z']")->description, "suspicious download");
  EXPECT_NE(c.Find("[url:value = 'http://intranet/x']"), nullptr) << "alone on its line";
  EXPECT_EQ(c.stats.Get("ioc.skipped.split_url"), 1u);
  EXPECT_EQ(c.stats.Get("ioc.url_text_as_description"), 1u);
  EXPECT_EQ(c.stats.notes,
            (std::vector<std::string>{
                "line 1: 'http://exa mple.com': split_url", "line 3: 'not': unrecognized",
                "line 5: '1.2.3': invalid_ip",
                "line 7: 'https://evil.example/y' is followed by 'suspicious download', taken as "
                "its description (a URL has no spaces; a comment is clearer after #)"}))
      << "the repeated 198.51.100.1 is counted, not noted";
}

// A value is never cut or dropped unsaid: several IOCs on a line are each imported, a URL with
// more text after it is skipped and noted, and a lone CR ends a line as LF does.
TEST(IocList, EveryValueOnALineIsReadAndNothingIsCutSilently) {
  Conversion c = Convert(
      "http://evil.example/a b\n1.2.3.4 5.6.7.8\n198.51.100.1 198.51.100.2 ; scanners\n"
      "0.0.0.0 a.example b.example\n198.51.100.3 999.1.1.1 nope\n"
      "evil.example mirror.example hosts the kit\n");
  EXPECT_VALID(c);
  EXPECT_EQ(c.Patterns(),
            (std::vector<std::string>{
                "[url:value = 'http://evil.example/a']", "[ipv4-addr:value = '1.2.3.4']",
                "[ipv4-addr:value = '5.6.7.8']", "[ipv4-addr:value = '198.51.100.1']",
                "[ipv4-addr:value = '198.51.100.2']", "[domain-name:value = 'a.example']",
                "[domain-name:value = 'b.example']", "[ipv4-addr:value = '198.51.100.3']",
                "[domain-name:value = 'evil.example']", "[domain-name:value = 'mirror.example']"}));
  EXPECT_EQ(c.Find("[domain-name:value = 'mirror.example']")->description, "hosts the kit")
      << "words after the last IOC are the comment";
  EXPECT_TRUE(c.Find("[ipv4-addr:value = '1.2.3.4']")->description.empty());
  EXPECT_EQ(c.Find("[ipv4-addr:value = '198.51.100.2']")->description, "scanners");
  EXPECT_EQ(c.stats.Get("ioc.multi_value_lines"), 5u);
  EXPECT_EQ(c.stats.notes,
            (std::vector<std::string>{"line 1: 'http://evil.example/a' is followed by 'b', taken "
                                      "as its description (a URL has no spaces; a comment is "
                                      "clearer after #)",
                                      "line 5: '999.1.1.1': invalid_ip"}));

  Conversion cr = Convert("evil1.example\revil2.example\r\r# c\revil3.example\r");
  EXPECT_VALID(cr);
  EXPECT_EQ(cr.Patterns(), (std::vector<std::string>{"[domain-name:value = 'evil1.example']",
                                                     "[domain-name:value = 'evil2.example']",
                                                     "[domain-name:value = 'evil3.example']"}));
  EXPECT_TRUE(LooksLikeIocList("evil1.example\revil2.example\r"));
  // CRLF stays one line end.
  EXPECT_EQ(Convert("a.example\r\nb.example\r\n").stats.Get("ioc.indicators"), 2u);
}

}  // namespace
}  // namespace ctihub::ingest
