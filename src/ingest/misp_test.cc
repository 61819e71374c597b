#include "ingest/misp.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "pattern/parser.h"
#include "stix/canonical_json.h"
#include "stix/markings.h"
#include "stix/sco_id.h"
#include "stix/validator.h"

namespace ctihub::ingest {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kTlpClear = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
constexpr std::string_view kTlpGreen = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
constexpr std::string_view kTlpAmber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
constexpr std::string_view kTlpAmberStrict =
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";
constexpr std::string_view kTlpRed = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path SharedData() { return fs::path(CTIHUB_SHARED_DATA); }

// The converted objects of one document, each parsed once.
struct Output {
  Status status;
  ConversionStats stats;
  std::vector<std::string> texts;
  std::vector<std::unique_ptr<simdjson::dom::parser>> parsers;
  std::vector<simdjson::dom::element> objects;

  std::vector<simdjson::dom::element> OfType(std::string_view type) const {
    std::vector<simdjson::dom::element> out;
    for (const auto& o : objects) {
      std::string_view t;
      if (o["type"].get(t) == simdjson::SUCCESS && t == type) out.push_back(o);
    }
    return out;
  }
  std::optional<simdjson::dom::element> ById(std::string_view id) const {
    for (const auto& o : objects) {
      std::string_view v;
      if (o["id"].get(v) == simdjson::SUCCESS && v == id) return o;
    }
    return std::nullopt;
  }
  std::string Joined() const {
    std::string all;
    for (const std::string& t : texts) all += t + "\n";
    return all;
  }
};

MispOptions FixedOptions() {
  MispOptions options;
  options.provenance.now = *Timestamp::Parse("2024-01-02T03:04:05Z");
  return options;
}

std::unique_ptr<Output> Convert(std::string_view json,
                                const MispOptions& options = FixedOptions()) {
  auto out = std::make_unique<Output>();
  out->status = ConvertMispEvent(
      json, options,
      [&](std::string text) {
        out->texts.push_back(std::move(text));
        return Status::Ok();
      },
      &out->stats);
  for (const std::string& t : out->texts) {
    out->parsers.push_back(std::make_unique<simdjson::dom::parser>());
    simdjson::dom::element e;
    EXPECT_EQ(out->parsers.back()->parse(t).get(e), simdjson::SUCCESS) << t;
    out->objects.push_back(e);
  }
  return out;
}

std::string Str(simdjson::dom::element e, std::string_view pointer) {
  std::string_view v;
  if (e.at_pointer(pointer).get(v) != simdjson::SUCCESS) return {};
  return std::string(v);
}

std::vector<std::string> Strings(simdjson::dom::element e, std::string_view pointer) {
  std::vector<std::string> out;
  simdjson::dom::array a;
  if (e.at_pointer(pointer).get(a) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element item : a) {
    std::string_view v;
    if (item.get(v) == simdjson::SUCCESS) out.emplace_back(v);
  }
  return out;
}

// Runs the whole output, as one bundle, through ctihub's validator; returns the warnings' rules.
std::map<std::string, int> ExpectValid(const Output& out, const std::string& what) {
  std::string bundle =
      R"({"type":"bundle","id":"bundle--6f1b6f4e-3f0a-4d1e-9a8e-1f2d3c4b5a69","objects":[)";
  for (size_t i = 0; i < out.texts.size(); ++i) bundle += (i ? "," : "") + out.texts[i];
  bundle += "]}";
  std::map<std::string, int> warnings;
  stix::Validator validator;
  stix::FileReport report = validator.ValidateText(bundle, [&](const stix::Finding& f) {
    if (f.severity == stix::Severity::kError) {
      ADD_FAILURE() << what << ": " << f.object_id << " " << f.pointer << " " << f.rule << ": "
                    << f.message;
    } else {
      ++warnings[f.rule];
    }
  });
  EXPECT_EQ(report.errors, 0u) << what;
  return warnings;
}

// An event document with the given attributes/objects/tags/galaxies (JSON fragments).
std::string EventJson(const std::string& attributes, const std::string& extra = "") {
  return R"({"Event":{"uuid":"9f1c6b2e-1a7d-4c3e-8b5f-2d4e6a8c0b1d","info":"Test event",)"
         R"("date":"2024-03-01","timestamp":"1709300000","publish_timestamp":"1709301000",)"
         R"("published":true,)"
         R"("distribution":"1","Orgc":{"name":"CERT-Test",)"
         R"("uuid":"0b3c5d7e-9f1a-4b2c-8d4e-6f8a0b2c4d6e"},)"
         R"("Attribute":[)" +
         attributes + "]" + (extra.empty() ? "" : "," + extra) + "}}";
}

std::string AttributeJson(std::string_view type, std::string_view value, bool to_ids,
                          std::string_view uuid = "5d1f3a5c-7e9b-4d2f-a4b6-c8d0e2f4a6b8",
                          std::string_view extra = "", std::string_view distribution = "5") {
  stix::JsonWriter w;
  w.BeginObject().Key("uuid").String(uuid).Key("type").String(type);
  w.Key("category").String("Network activity").Key("value").String(value);
  w.Key("to_ids").Bool(to_ids).Key("timestamp").String("1709290000");
  w.Key("distribution").String(distribution);
  w.EndObject();
  std::string json = w.str();
  if (!extra.empty()) json = json.substr(0, json.size() - 1) + "," + std::string(extra) + "}";
  return json;
}

// ---------------------------------------------------------------------------------------------
// One attribute -> one indicator with this exact pattern.

struct PatternCase {
  std::string name;  // test name suffix
  std::string type;
  std::string value;
  std::string pattern;
};

class MispAttributePattern : public ::testing::TestWithParam<PatternCase> {};

TEST_P(MispAttributePattern, ToIdsAttributeBecomesIndicatorWithExactPattern) {
  const PatternCase& c = GetParam();
  auto out = Convert(EventJson(AttributeJson(c.type, c.value, true)));
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  auto indicators = out->OfType("indicator");
  ASSERT_EQ(indicators.size(), 1u) << out->Joined();
  EXPECT_EQ(Str(indicators[0], "/pattern"), c.pattern);
  EXPECT_EQ(Str(indicators[0], "/id"), "indicator--5d1f3a5c-7e9b-4d2f-a4b6-c8d0e2f4a6b8");
  EXPECT_EQ(Strings(indicators[0], "/indicator_types"),
            std::vector<std::string>{"malicious-activity"});
  Result<pattern::Pattern> parsed = pattern::ParsePattern(Str(indicators[0], "/pattern"));
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_TRUE(out->OfType("observed-data").empty());
  ExpectValid(*out, c.name);
}

const PatternCase kPatternCases[] = {
    // As sensors log them and the readers map them: names in lower case, IPv6 in RFC 5952 form,
    // defanged addresses refanged (as written, these indicators could never match).
    {"DomainUpperCase", "domain", "EVIL.Example", "[domain-name:value = 'evil.example']"},
    {"IpDstV6NotCanonical", "ip-dst", "2001:DB8::0:1",
     "[network-traffic:dst_ref.type = 'ipv6-addr' AND network-traffic:dst_ref.value = "
     "'2001:db8::1']"},
    {"IpDstV6CidrNotCanonical", "ip-dst", "2001:DB8:0:0::/32",
     "[network-traffic:dst_ref.type = 'ipv6-addr' AND network-traffic:dst_ref.value ISSUBSET "
     "'2001:db8::/32']"},
    {"IpDstDefanged", "ip-dst", "198.51.100[.]1",
     "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
     "'198.51.100.1']"},
    {"EmailDomainUpperCase", "email", "Bad.Guy@Example.COM",
     "[email-addr:value = 'Bad.Guy@example.com']"},
    {"UrlAsSensorsLogIt", "url", "Evil.Example:80/Path",
     "[url:value = 'http://evil.example/Path']"},
    {"DomainIpMixedCase", "domain|ip", "Evil.EXAMPLE|2001:DB8::0:2",
     "[domain-name:value = 'evil.example' AND domain-name:resolves_to_refs[*].value = "
     "'2001:db8::2']"},
    {"IpDst", "ip-dst", "198.51.100.7",
     "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
     "'198.51.100.7']"},
    {"IpSrc", "ip-src", "203.0.113.9",
     "[network-traffic:src_ref.type = 'ipv4-addr' AND network-traffic:src_ref.value = "
     "'203.0.113.9']"},
    {"IpDstCidr", "ip-dst", "198.51.100.0/24",
     "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value ISSUBSET "
     "'198.51.100.0/24']"},
    {"IpDstV6", "ip-dst", "2001:db8::1",
     "[network-traffic:dst_ref.type = 'ipv6-addr' AND network-traffic:dst_ref.value = "
     "'2001:db8::1']"},
    {"IpSrcV6Cidr", "ip-src", "2001:db8:abcd::/48",
     "[network-traffic:src_ref.type = 'ipv6-addr' AND network-traffic:src_ref.value ISSUBSET "
     "'2001:db8:abcd::/48']"},
    {"IpDstPort", "ip-dst|port", "198.51.100.7|443",
     "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
     "'198.51.100.7' AND network-traffic:dst_port = 443]"},
    {"IpSrcPort", "ip-src|port", "203.0.113.9|8080",
     "[network-traffic:src_ref.type = 'ipv4-addr' AND network-traffic:src_ref.value = "
     "'203.0.113.9' AND network-traffic:src_port = 8080]"},
    {"IpDstPortColon", "ip-dst|port", "198.51.100.7:53",
     "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
     "'198.51.100.7' AND network-traffic:dst_port = 53]"},
    {"IpDstPortV6", "ip-dst|port", "2001:db8::1|443",
     "[network-traffic:dst_ref.type = 'ipv6-addr' AND network-traffic:dst_ref.value = "
     "'2001:db8::1' AND network-traffic:dst_port = 443]"},
    {"Domain", "domain", "evil.example.com", "[domain-name:value = 'evil.example.com']"},
    {"Hostname", "hostname", "www.evil.example.com",
     "[domain-name:value = 'www.evil.example.com']"},
    {"DomainIp", "domain|ip", "evil.example.com|198.51.100.7",
     "[domain-name:value = 'evil.example.com' AND domain-name:resolves_to_refs[*].value = "
     "'198.51.100.7']"},
    {"HostnamePort", "hostname|port", "c2.example.net|8443",
     "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = "
     "'c2.example.net' AND network-traffic:dst_port = 8443]"},
    {"Url", "url", "http://evil.example.com/a?b=c",
     "[url:value = 'http://evil.example.com/a?b=c']"},
    {"Uri", "uri", "/gate.php", "[url:value = '/gate.php']"},
    {"Link", "link", "https://blog.example.org/post",
     "[url:value = 'https://blog.example.org/post']"},
    {"Email", "email", "actor@evil.example.com", "[email-addr:value = 'actor@evil.example.com']"},
    {"EmailSrc", "email-src", "phish@evil.example.com",
     "[email-message:from_ref.value = 'phish@evil.example.com']"},
    {"EmailDst", "email-dst", "victim@example.org",
     "[email-message:to_refs[*].value = 'victim@example.org']"},
    {"EmailSubject", "email-subject", "Invoice 4711", "[email-message:subject = 'Invoice 4711']"},
    {"EmailAttachment", "email-attachment", "invoice.zip",
     "[email-message:body_multipart[*].body_raw_ref.name = 'invoice.zip']"},
    {"EmailReplyTo", "email-reply-to", "reply@evil.example.com",
     "[email-message:additional_header_fields.'Reply-To' = 'reply@evil.example.com']"},
    {"EmailXMailer", "email-x-mailer", "Outlook 16",
     "[email-message:additional_header_fields.'X-Mailer' = 'Outlook 16']"},
    {"EmailMessageId", "email-message-id", "<1234@evil.example.com>",
     "[email-message:message_id = '<1234@evil.example.com>']"},
    {"Md5", "md5", "D41D8CD98F00B204E9800998ECF8427E",
     "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']"},
    {"Sha1", "sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
     "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']"},
    {"Sha256", "sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "[file:hashes.'SHA-256' = "
     "'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']"},
    {"Sha512", "sha512",
     "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877ee"
     "c2f"
     "63b931bd47417a81a538327af927da3e",
     "[file:hashes.'SHA-512' = "
     "'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877e"
     "ec2"
     "f63b931bd47417a81a538327af927da3e']"},
    {"Ssdeep", "ssdeep", "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C",
     "[file:hashes.SSDEEP = '3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C']"},
    {"Imphash", "imphash", "f34d5f2d4577ed6d9ceec516c1f5a744",
     "[file:extensions.'windows-pebinary-ext'.imphash = 'f34d5f2d4577ed6d9ceec516c1f5a744']"},
    {"Filename", "filename", "invoice.pdf.exe", "[file:name = 'invoice.pdf.exe']"},
    {"FilenameMd5", "filename|md5", "a.exe|d41d8cd98f00b204e9800998ecf8427e",
     "[file:name = 'a.exe' AND file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']"},
    {"FilenameSha1", "filename|sha1", "a.exe|da39a3ee5e6b4b0d3255bfef95601890afd80709",
     "[file:name = 'a.exe' AND file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']"},
    {"FilenameSha256", "filename|sha256",
     "a.exe|e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "[file:name = 'a.exe' AND file:hashes.'SHA-256' = "
     "'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']"},
    {"MalwareSample", "malware-sample", "drop.bin|d41d8cd98f00b204e9800998ecf8427e",
     "[file:name = 'drop.bin' AND file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']"},
    {"Mutex", "mutex", "Global\\QQ_Mutex", "[mutex:name = 'Global\\\\QQ_Mutex']"},
    {"Regkey", "regkey", "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
     "[windows-registry-key:key = "
     "'HKLM\\\\Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Run']"},
    {"RegkeyValue", "regkey|value", "HKCU\\Software\\Run|C:\\Users\\x\\evil.exe",
     "[windows-registry-key:key = 'HKCU\\\\Software\\\\Run' AND "
     "windows-registry-key:values[*].data = 'C:\\\\Users\\\\x\\\\evil.exe']"},
    {"UserAgent", "user-agent", "Mozilla/5.0 (X11; it's)",
     "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = "
     "'Mozilla/5.0 (X11; it\\'s)']"},
    {"HttpMethod", "http-method", "PROPFIND",
     "[network-traffic:extensions.'http-request-ext'.request_method = 'PROPFIND']"},
    {"AutonomousSystem", "AS", "AS64496", "[autonomous-system:number = 64496]"},
    {"MacAddress", "mac-address", "00-1A-2B-3C-4D-5E", "[mac-addr:value = '00:1a:2b:3c:4d:5e']"},
    {"X509Sha1", "x509-fingerprint-sha1",
     "DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09",
     "[x509-certificate:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']"},
    {"X509Sha256", "x509-fingerprint-sha256",
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "[x509-certificate:hashes.'SHA-256' = "
     "'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']"},
    {"Ja3", "ja3-fingerprint-md5", "e7d705a3286e19ea42f587b344ee6865",
     "[network-traffic:x_ja3_fingerprint_md5 = 'e7d705a3286e19ea42f587b344ee6865']"},
    {"Port", "port", "4444", "[network-traffic:dst_port = 4444]"},
    {"SizeInBytes", "size-in-bytes", "35", "[file:size = 35]"},
    {"QuotesBackslashesUnicode", "filename", "it's a \\ \"test\" \xE2\x80\x93 \xC3\xBC.exe",
     "[file:name = 'it\\'s a \\\\ \"test\" \xE2\x80\x93 \xC3\xBC.exe']"},
};

INSTANTIATE_TEST_SUITE_P(AllTypes, MispAttributePattern, ::testing::ValuesIn(kPatternCases),
                         [](const auto& info) { return info.param.name; });

TEST(MispConvert, EscapedPatternLiteralParsesBackToTheOriginalValue) {
  const std::string value = "C:\\Temp\\it's \"q\" \xE2\x98\x83.exe";
  auto out = Convert(EventJson(AttributeJson("filename", value, true)));
  ASSERT_TRUE(out->status.ok());
  auto parsed = pattern::ParsePattern(Str(out->OfType("indicator").at(0), "/pattern"));
  ASSERT_TRUE(parsed.ok());
  const pattern::Comparison& cmp = parsed->root.comparison.comparison;
  ASSERT_EQ(cmp.values.size(), 1u);
  EXPECT_EQ(std::get<std::string>(cmp.values[0].value), value);
}

TEST(MispConvert, IndicatorCarriesTimesKillChainLabelsAndComment) {
  auto out = Convert(EventJson(
      AttributeJson("domain", "evil.example.com", true, "5d1f3a5c-7e9b-4d2f-a4b6-c8d0e2f4a6b8",
                    R"("comment":"C2 domain","first_seen":"2024-02-01T10:00:00.123456+02:00",)"
                    R"("last_seen":"2024-02-20T00:00:00Z",)"
                    R"("Tag":[{"name":"admiralty-scale:source-reliability=\"b\""}])")));
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  auto ind = out->OfType("indicator").at(0);
  EXPECT_EQ(Str(ind, "/valid_from"), "2024-02-01T08:00:00.123Z");
  EXPECT_EQ(Str(ind, "/valid_until"), "2024-02-20T00:00:00.000Z");
  EXPECT_EQ(Str(ind, "/modified"), "2024-03-01T13:33:20.000Z");  // the event's timestamp
  EXPECT_EQ(Str(ind, "/created"), "2024-03-01T00:00:00.000Z");   // event date
  EXPECT_EQ(Str(ind, "/description"), "C2 domain");
  EXPECT_EQ(Str(ind, "/kill_chain_phases/0/kill_chain_name"), "misp-category");
  EXPECT_EQ(Str(ind, "/kill_chain_phases/0/phase_name"), "network-activity");
  EXPECT_EQ(Strings(ind, "/labels"),
            (std::vector<std::string>{"misp:type=\"domain\"", "misp:category=\"Network activity\"",
                                      "admiralty-scale:source-reliability=\"b\""}));
  EXPECT_EQ(Str(ind, "/created_by_ref"), "identity--0b3c5d7e-9f1a-4b2c-8d4e-6f8a0b2c4d6e");
  ExpectValid(*out, "indicator");
}

// ---------------------------------------------------------------------------------------------
// to_ids false -> observed-data + SCOs

TEST(MispConvert, NonIdsAttributeBecomesObservedDataWithDeterministicScoIds) {
  auto out = Convert(EventJson(AttributeJson("ip-dst", "198.51.100.3", false)));
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  EXPECT_TRUE(out->OfType("indicator").empty());
  auto od = out->OfType("observed-data");
  ASSERT_EQ(od.size(), 1u);
  EXPECT_EQ(Str(od[0], "/id"), "observed-data--5d1f3a5c-7e9b-4d2f-a4b6-c8d0e2f4a6b8");
  EXPECT_EQ(Str(od[0], "/first_observed"), "2024-03-01T10:46:40.000Z");
  EXPECT_EQ(Str(od[0], "/last_observed"), "2024-03-01T10:46:40.000Z");
  int64_t n = 0;
  ASSERT_EQ(od[0]["number_observed"].get(n), simdjson::SUCCESS);
  EXPECT_EQ(n, 1);
  std::vector<std::string> refs = Strings(od[0], "/object_refs");
  ASSERT_EQ(refs.size(), 2u);
  // The §2.9 id of {"type":"ipv4-addr","value":"198.51.100.3"} (stix/sco_id.h).
  EXPECT_EQ(refs[1], "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4");
  for (const std::string& ref : refs) {
    auto sco = out->ById(ref);
    ASSERT_TRUE(sco.has_value()) << ref;
    auto computed = stix::ComputeScoId(*sco);
    ASSERT_TRUE(computed.ok());
    ASSERT_TRUE(computed->has_value());
    EXPECT_EQ(**computed, ref);
  }
  auto nt = out->ById(refs[0]);
  EXPECT_EQ(Str(*nt, "/type"), "network-traffic");
  EXPECT_EQ(Str(*nt, "/dst_ref"), refs[1]);
  ExpectValid(*out, "observed-data");
}

TEST(MispConvert, MissingToIdsUsesMispTypeDefault) {
  // describeTypes: AS defaults to to_ids false, domain to true.
  std::string attrs =
      R"({"uuid":"2972c3a2-dda3-4de7-aca1-e96cf7ce5544","type":"AS","value":"AS174",)"
      R"("timestamp":"1603642920"},)"
      R"({"uuid":"4bb235a7-7d25-4aef-802f-2c6b45c5eceb","type":"domain","value":"circl.lu",)"
      R"("timestamp":"1603642920"})";
  auto out = Convert(EventJson(attrs));
  ASSERT_TRUE(out->status.ok());
  EXPECT_TRUE(out->ById("observed-data--2972c3a2-dda3-4de7-aca1-e96cf7ce5544").has_value());
  EXPECT_TRUE(out->ById("indicator--4bb235a7-7d25-4aef-802f-2c6b45c5eceb").has_value());
}

TEST(MispConvert, SharedObservableIsWrittenOnceWithTheMostRestrictiveMarking) {
  std::string attrs =
      AttributeJson("domain", "shared.example.com", false, "11111111-1111-4111-8111-111111111111",
                    R"("Tag":[{"name":"tlp:green"}])") +
      "," +
      AttributeJson("domain|ip", "shared.example.com|198.51.100.9", false,
                    "22222222-2222-4222-8222-222222222222", R"("Tag":[{"name":"tlp:red"}])");
  auto out = Convert(EventJson(attrs));
  ASSERT_TRUE(out->status.ok());
  auto domains = out->OfType("domain-name");
  ASSERT_EQ(domains.size(), 1u) << out->Joined();
  EXPECT_EQ(Strings(domains[0], "/object_marking_refs"),
            std::vector<std::string>{std::string(kTlpRed)});
  // The resolves_to_refs of the domain|ip attribute were merged into the one SCO.
  EXPECT_EQ(Strings(domains[0], "/resolves_to_refs").size(), 1u);
  ExpectValid(*out, "shared SCO");
}

TEST(MispConvert, NonIdsValueWithoutScoFormBecomesNote) {
  auto out = Convert(EventJson(AttributeJson("user-agent", "curl/8.0", false)));
  ASSERT_TRUE(out->status.ok());
  auto notes = out->OfType("note");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(Str(notes[0], "/content"), "curl/8.0");
  EXPECT_EQ(Strings(notes[0], "/object_refs"),
            std::vector<std::string>{"report--9f1c6b2e-1a7d-4c3e-8b5f-2d4e6a8c0b1d"});
  ExpectValid(*out, "note");
}

TEST(MispConvert, TextAndCommentBecomeNotes) {
  auto out = Convert(EventJson(
      AttributeJson("text", "Analyst summary", false) + "," +
      AttributeJson("comment", "UPX packed", true, "6e2f4a6c-8e0a-4e3f-b5c7-d9e1f3a5b7c9")));
  ASSERT_TRUE(out->status.ok());
  EXPECT_EQ(out->OfType("note").size(), 2u);
  EXPECT_TRUE(out->OfType("indicator").empty());
  EXPECT_EQ(out->stats.Get("misp.attributes.note"), 2u);
}

TEST(MispConvert, VulnerabilityBecomesVulnerabilityWithCveReference) {
  auto out = Convert(EventJson(AttributeJson("vulnerability", "CVE-2021-44228", true)));
  ASSERT_TRUE(out->status.ok());
  EXPECT_TRUE(out->OfType("indicator").empty());
  auto v = out->OfType("vulnerability");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(Str(v[0], "/name"), "CVE-2021-44228");
  EXPECT_EQ(Str(v[0], "/external_references/0/source_name"), "cve");
  EXPECT_EQ(Str(v[0], "/external_references/0/external_id"), "CVE-2021-44228");
  ExpectValid(*out, "vulnerability");
}

TEST(MispConvert, UnmappedTypeIsKeptAsANoteAndSaidOncePerType) {
  auto out = Convert(EventJson(
      AttributeJson("btc", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", true) + "," +
      AttributeJson("btc", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", true,
                    "6a3b5c7d-9f1b-4d3e-a5c7-e9f1a3b5c7d9") +
      "," +
      AttributeJson("domain", "ok.example.com", true, "7a3b5c7d-9f1b-4d3e-a5c7-e9f1a3b5c7d9")));
  ASSERT_TRUE(out->status.ok());
  EXPECT_EQ(out->stats.Get("misp.attributes.unmapped.btc"), 2u);
  EXPECT_EQ(out->OfType("indicator").size(), 1u);
  auto notes = out->OfType("note");
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(Str(notes[0], "/content"), "1BoatSLRHtKNngkdXEeobR76b53LETtpyT");
  size_t said = 0;
  for (const std::string& n : out->stats.notes) said += n.find("type btc") != std::string::npos;
  EXPECT_EQ(said, 1u);
  ExpectValid(*out, "unmapped");
}

TEST(MispConvert, InvalidValueBecomesNoteAndIsCounted) {
  auto out = Convert(EventJson(
      AttributeJson("md5", "not-a-hash", true) + "," +
      AttributeJson("ip-dst", "198.51.100.999", true, "8b4c6d8e-0a2c-4e4f-b6d8-f0a2b4c6d8e0")));
  ASSERT_TRUE(out->status.ok());
  EXPECT_TRUE(out->OfType("indicator").empty());
  EXPECT_EQ(out->OfType("note").size(), 2u);
  EXPECT_EQ(out->stats.Get("misp.attributes.invalid.md5"), 1u);
  EXPECT_EQ(out->stats.Get("misp.attributes.invalid.ip-dst"), 1u);
  ExpectValid(*out, "invalid values");
}

// Values from tools other than MISP are checked: defanged ones are refanged, host names and
// addresses that are none make no indicator, and a first_seen that is no time is noted.
TEST(MispConvert, ValuesAreCheckedRefangedAndNoted) {
  auto out = Convert(EventJson(
      AttributeJson("url", "hxxp://evil[.]example/x", true) + "," +
      AttributeJson("domain", "evil .com", true, "1a4c6d8e-0a2c-4e4f-b6d8-f0a2b4c6d8e1") + "," +
      AttributeJson("email-src", "a@@b.example", true, "2a4c6d8e-0a2c-4e4f-b6d8-f0a2b4c6d8e2") +
      "," +
      AttributeJson("domain", "good.example", true, "3a4c6d8e-0a2c-4e4f-b6d8-f0a2b4c6d8e3",
                    R"("first_seen":"last tuesday")")));
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  auto indicators = out->OfType("indicator");
  ASSERT_EQ(indicators.size(), 2u);
  std::vector<std::string> patterns;
  for (const auto& i : indicators) patterns.push_back(Str(i, "/pattern"));
  std::sort(patterns.begin(), patterns.end());
  EXPECT_EQ(patterns, (std::vector<std::string>{"[domain-name:value = 'good.example']",
                                                "[url:value = 'http://evil.example/x']"}));
  EXPECT_EQ(out->stats.Get("misp.attributes.refanged"), 1u);
  EXPECT_EQ(out->stats.Get("misp.attributes.invalid.domain"), 1u);
  EXPECT_EQ(out->stats.Get("misp.attributes.invalid.email-src"), 1u);
  EXPECT_EQ(out->stats.Get("misp.attributes.bad_time"), 1u);
  std::string notes;
  for (const std::string& n : out->stats.notes) notes += n + "\n";
  EXPECT_NE(notes.find("attribute 1a4c6d8e-0a2c-4e4f-b6d8-f0a2b4c6d8e1: domain value 'evil .com' is not a valid domain"),
            std::string::npos) << notes;
  EXPECT_NE(notes.find("'a@@b.example'"), std::string::npos) << notes;
  EXPECT_NE(notes.find("first_seen 'last tuesday' is not a time"), std::string::npos) << notes;
  ExpectValid(*out, "checked values");
}

TEST(MispConvert, DeletedAttributesAreSkipped) {
  auto out = Convert(
      EventJson(AttributeJson("domain", "gone.example.com", true,
                              "5d1f3a5c-7e9b-4d2f-a4b6-c8d0e2f4a6b8", R"("deleted":true)")));
  ASSERT_TRUE(out->status.ok());
  EXPECT_TRUE(out->OfType("indicator").empty());
  EXPECT_EQ(out->stats.Get("misp.attributes.deleted"), 1u);
}

// ---------------------------------------------------------------------------------------------
// MISP objects

std::string FileObject(bool size_to_ids) {
  return R"("Object":[{"uuid":"5e384ae7-672c-4250-9cda-3b4da964451a","name":"file",)"
         R"("meta-category":"file","timestamp":"1709295000","distribution":"5","Attribute":[)"
         R"({"uuid":"a0921e21-c7ae-4c7f-b84b-b84a7ce53d1f","type":"filename",)"
         R"("object_relation":"filename","value":"a.exe","to_ids":true},)"
         R"({"uuid":"b1ae0a21-c7ae-4c7f-b84b-b84a7ce53d1f","type":"md5","object_relation":"md5",)"
         R"("value":"8764605c6f388c89096b534d33565802","to_ids":true},)"
         R"({"uuid":"e4ae0a21-c7ae-4c7f-b84b-b84a7ce53d1f","type":"size-in-bytes",)"
         R"("object_relation":"size-in-bytes","value":"35","to_ids":)" +
         std::string(size_to_ids ? "true" : "false") +
         R"(},{"uuid":"34cb1a7c-55ec-412a-8684-ba4a88d83a45","type":"text",)"
         R"("object_relation":"path","value":"C:\\Temp","to_ids":)" +
         std::string(size_to_ids ? "true" : "false") + "}]}]";
}

TEST(MispConvert, ObjectToIdsAttributesCombineIntoOneIndicator) {
  auto out = Convert(EventJson("", FileObject(true)));
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  auto indicators = out->OfType("indicator");
  ASSERT_EQ(indicators.size(), 1u) << out->Joined();
  EXPECT_EQ(Str(indicators[0], "/id"), "indicator--5e384ae7-672c-4250-9cda-3b4da964451a");
  EXPECT_EQ(Str(indicators[0], "/pattern"),
            "[file:name = 'a.exe' AND file:hashes.MD5 = '8764605c6f388c89096b534d33565802' AND "
            "file:size = 35 AND file:parent_directory_ref.path = 'C:\\\\Temp']");
  EXPECT_TRUE(out->OfType("observed-data").empty());
  EXPECT_EQ(Strings(indicators[0], "/labels"),
            (std::vector<std::string>{"misp:name=\"file\"", "misp:meta-category=\"file\""}));
  ExpectValid(*out, "file object");
}

TEST(MispConvert, MixedObjectGetsIndicatorObservedDataAndBasedOn) {
  auto out = Convert(EventJson("", FileObject(false)));
  ASSERT_TRUE(out->status.ok());
  auto ind = out->OfType("indicator");
  ASSERT_EQ(ind.size(), 1u);
  EXPECT_EQ(Str(ind[0], "/pattern"),
            "[file:name = 'a.exe' AND file:hashes.MD5 = '8764605c6f388c89096b534d33565802']");
  auto od = out->OfType("observed-data");
  ASSERT_EQ(od.size(), 1u);
  std::vector<std::string> refs = Strings(od[0], "/object_refs");
  ASSERT_EQ(refs.size(), 2u);
  auto file = out->ById(refs[0]);
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(Str(*file, "/type"), "file");
  EXPECT_EQ(Str(*file, "/name"), "a.exe");
  EXPECT_EQ(Str(*file, "/hashes/MD5"), "8764605c6f388c89096b534d33565802");
  EXPECT_EQ(Str(*out->ById(Str(*file, "/parent_directory_ref")), "/path"), "C:\\Temp");
  auto rel = out->OfType("relationship");
  ASSERT_EQ(rel.size(), 1u);
  EXPECT_EQ(Str(rel[0], "/relationship_type"), "based-on");
  EXPECT_EQ(Str(rel[0], "/source_ref"), Str(ind[0], "/id"));
  EXPECT_EQ(Str(rel[0], "/target_ref"), Str(od[0], "/id"));
  ExpectValid(*out, "mixed object");
}

TEST(MispConvert, IpPortAndDomainIpObjectsCombinePatterns) {
  std::string objects =
      R"("Object":[{"uuid":"6a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","name":"ip-port",)"
      R"("meta-category":"network","Attribute":[)"
      R"({"uuid":"7a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","type":"ip-dst","object_relation":"ip",)"
      R"("value":"198.51.100.7","to_ids":true},)"
      R"({"uuid":"8a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","type":"port",)"
      R"("object_relation":"dst-port",)"
      R"("value":"443","to_ids":true}]},)"
      R"({"uuid":"9a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","name":"domain-ip",)"
      R"("meta-category":"network","Attribute":[)"
      R"({"uuid":"aa1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","type":"domain",)"
      R"("object_relation":"domain",)"
      R"("value":"circl.lu","to_ids":true},)"
      R"({"uuid":"ba1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","type":"ip-dst","object_relation":"ip",)"
      R"("value":"149.13.33.14","to_ids":true},)"
      R"({"uuid":"ca1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","type":"ip-dst","object_relation":"ip",)"
      R"("value":"149.13.33.15","to_ids":true}]}])";
  auto out = Convert(EventJson("", objects));
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  EXPECT_EQ(Str(*out->ById("indicator--6a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3"), "/pattern"),
            "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = "
            "'198.51.100.7' AND network-traffic:dst_port = 443]");
  EXPECT_EQ(Str(*out->ById("indicator--9a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3"), "/pattern"),
            "[domain-name:value = 'circl.lu' AND domain-name:resolves_to_refs[*].value = "
            "'149.13.33.14' AND domain-name:resolves_to_refs[*].value = '149.13.33.15']");
  ExpectValid(*out, "network objects");
}

TEST(MispConvert, NetworkConnectionObjectIsOneConnectionWithItsOwnPorts) {
  std::string objects =
      R"("Object":[{"uuid":"6b1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","name":"network-connection",)"
      R"("meta-category":"network","Attribute":[)"
      R"({"uuid":"7b1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","type":"ip-src",)"
      R"("object_relation":"ip-src","value":"10.0.0.5","to_ids":true},)"
      R"({"uuid":"8b1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","type":"ip-dst",)"
      R"("object_relation":"ip-dst","value":"203.0.113.50","to_ids":true},)"
      R"({"uuid":"9b1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","type":"port",)"
      R"("object_relation":"src-port","value":"49152","to_ids":true},)"
      R"({"uuid":"ab1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","type":"port",)"
      R"("object_relation":"dst-port","value":"443","to_ids":true},)"
      R"({"uuid":"bb1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","type":"text",)"
      R"("object_relation":"layer4-protocol","value":"TCP","to_ids":false},)"
      R"({"uuid":"cb1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","type":"text",)"
      R"("object_relation":"layer3-protocol","value":"IP","to_ids":true}]}])";
  auto out = Convert(EventJson("", objects));
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  auto indicators = out->OfType("indicator");
  ASSERT_EQ(indicators.size(), 1u);  // never a lone "dst_port = 443"
  EXPECT_EQ(Str(indicators[0], "/pattern"),
            "[network-traffic:src_ref.type = 'ipv4-addr' AND network-traffic:src_ref.value = "
            "'10.0.0.5' AND network-traffic:dst_ref.type = 'ipv4-addr' AND "
            "network-traffic:dst_ref.value = '203.0.113.50' AND network-traffic:src_port = 49152 "
            "AND network-traffic:dst_port = 443]");
  auto traffic = out->OfType("network-traffic").at(0);
  EXPECT_EQ(Strings(traffic, "/protocols"), std::vector<std::string>{"tcp"});
  ExpectValid(*out, "network-connection");
}

TEST(MispConvert, ObjectValuesAreNormalisedAndABadOneLeavesTheRestOfThePattern) {
  std::string objects =
      R"("Object":[{"uuid":"6c1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","name":"domain-ip",)"
      R"("meta-category":"network","Attribute":[)"
      R"({"uuid":"7c1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","type":"domain",)"
      R"("object_relation":"domain","value":"EVIL.Example","to_ids":true},)"
      R"({"uuid":"8c1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","type":"ip-dst",)"
      R"("object_relation":"ip","value":"203.0.113[.]52","to_ids":true},)"
      R"({"uuid":"9c1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","type":"ip-dst",)"
      R"("object_relation":"ip","value":"2001:DB8:0:0::1","to_ids":true}]},)"
      R"({"uuid":"6d1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","name":"file",)"
      R"("meta-category":"file","Attribute":[)"
      R"({"uuid":"7d1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","type":"filename",)"
      R"("object_relation":"filename","value":"x.exe","to_ids":true},)"
      R"({"uuid":"8d1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","type":"md5",)"
      R"("object_relation":"md5","value":"not-a-hash","to_ids":true},)"
      R"({"uuid":"9d1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","type":"sha256","object_relation":)"
      R"("sha256","value":"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",)"
      R"("to_ids":true}]},)"
      R"({"uuid":"6e1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","name":"url",)"
      R"("meta-category":"network","Attribute":[)"
      R"({"uuid":"7e1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","type":"url",)"
      R"("object_relation":"url","value":"hxxp://Evil.Example:80/x","to_ids":true}]},)"
      R"({"uuid":"6f1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","name":"email",)"
      R"("meta-category":"network","Attribute":[)"
      R"({"uuid":"7f1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3","type":"email-src",)"
      R"("object_relation":"from","value":"x@EVIL.Example","to_ids":true}]}])";
  auto out = Convert(EventJson("", objects));
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  EXPECT_EQ(Str(*out->ById("indicator--6c1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3"), "/pattern"),
            "[domain-name:value = 'evil.example' AND domain-name:resolves_to_refs[*].value = "
            "'203.0.113.52' AND domain-name:resolves_to_refs[*].value = '2001:db8::1']");
  // The bad MD5 is left out of the file's pattern, not the reason to split it.
  EXPECT_EQ(Str(*out->ById("indicator--6d1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3"), "/pattern"),
            "[file:name = 'x.exe' AND file:hashes.'SHA-256' = "
            "'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']");
  EXPECT_EQ(out->stats.Get("misp.attributes.invalid.md5"), 1u);
  EXPECT_EQ(Str(*out->ById("indicator--6e1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3"), "/pattern"),
            "[url:value = 'http://evil.example/x']");
  EXPECT_EQ(Str(*out->ById("indicator--6f1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3"), "/pattern"),
            "[email-message:from_ref.value = 'x@evil.example']");
  EXPECT_EQ(out->OfType("indicator").size(), 4u);
  ExpectValid(*out, "normalised objects");
}

TEST(MispConvert, EmailObjectKeepsOnlyToIdsComparisonsInPattern) {
  std::string objects =
      R"("Object":[{"uuid":"5e396622-2a54-4c8d-b61d-159da964451a","name":"email",)"
      R"("meta-category":"network","Attribute":[)"
      R"({"uuid":"f5ec3603-e3d0-42d7-a372-14c1c137699b","type":"email-src",)"
      R"("object_relation":"from","value":"donald.duck@disney.com","to_ids":true},)"
      R"({"uuid":"aebfd1b3-24bc-4da5-8e74-32cb669b8e46","type":"email-dst","object_relation":"to",)"
      R"("value":"jdoe@random.org","to_ids":false},)"
      R"({"uuid":"90bd7dae-b78c-4025-9073-568950c780fb","type":"email-subject",)"
      R"("object_relation":"subject","value":"Email test subject","to_ids":false}]}])";
  auto out = Convert(EventJson("", objects));
  ASSERT_TRUE(out->status.ok());
  EXPECT_EQ(Str(out->OfType("indicator").at(0), "/pattern"),
            "[email-message:from_ref.value = 'donald.duck@disney.com']");
  auto msg = out->OfType("email-message");
  ASSERT_EQ(msg.size(), 1u);
  EXPECT_EQ(Str(msg[0], "/subject"), "Email test subject");
  EXPECT_EQ(Strings(msg[0], "/to_refs").size(), 1u);
  ExpectValid(*out, "email object");
}

TEST(MispConvert, ObjectReferenceBecomesRelationship) {
  std::string objects =
      R"("Object":[{"uuid":"1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e","name":"url",)"
      R"("meta-category":"network","timestamp":"1709295000",)"
      R"("Attribute":[{"uuid":"2b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e","type":"url",)"
      R"("object_relation":"url","value":"http://evil.example.com/x","to_ids":true}],)"
      R"("ObjectReference":[{"uuid":"3b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",)"
      R"("object_uuid":"1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",)"
      R"("referenced_uuid":"4b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",)"
      R"("relationship_type":"Communicates_With","comment":"beacon"}]},)"
      R"({"uuid":"4b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e","name":"domain-ip",)"
      R"("meta-category":"network","timestamp":"1709295000",)"
      R"("Attribute":[{"uuid":"5b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e","type":"domain",)"
      R"("object_relation":"domain","value":"evil.example.com","to_ids":false}]}])";
  auto out = Convert(EventJson("", objects));
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  auto rel = out->OfType("relationship");
  ASSERT_EQ(rel.size(), 1u) << out->Joined();
  EXPECT_EQ(Str(rel[0], "/id"), "relationship--3b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e");
  EXPECT_EQ(Str(rel[0], "/relationship_type"), "communicates-with");
  EXPECT_EQ(Str(rel[0], "/description"), "beacon");
  EXPECT_EQ(Str(rel[0], "/source_ref"), "indicator--1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e");
  EXPECT_EQ(Str(rel[0], "/target_ref"), "observed-data--4b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e");
  EXPECT_EQ(out->stats.Get("misp.references.relationship"), 1u);
  ExpectValid(*out, "reference");
}

TEST(MispConvert, UnknownTemplateIsConvertedAttributeByAttribute) {
  std::string objects =
      R"("Object":[{"uuid":"1c2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e","name":"virustotal-report",)"
      R"("meta-category":"misc",)"
      R"("Attribute":[{"uuid":"2c2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e","type":"link",)"
      R"("object_relation":"permalink","value":"https://www.virustotal.com/x","to_ids":false},)"
      R"({"uuid":"3c2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e","type":"text",)"
      R"("object_relation":"detection-ratio","value":"3/60","to_ids":false}]}])";
  auto out = Convert(EventJson("", objects));
  ASSERT_TRUE(out->status.ok());
  EXPECT_EQ(out->stats.Get("misp.objects.per_attribute.virustotal-report"), 1u);
  EXPECT_EQ(out->OfType("observed-data").size(), 1u);
  EXPECT_EQ(out->OfType("note").size(), 1u);
  ExpectValid(*out, "per-attribute object");
}

// ---------------------------------------------------------------------------------------------
// Tags, markings, distribution

TEST(MispConvert, TlpTagsBecomeTlp20MarkingsAndMostRestrictiveWins) {
  std::string attrs =
      AttributeJson("domain", "a.example.com", true, "11111111-1111-4111-8111-111111111111") + "," +
      AttributeJson("domain", "b.example.com", true, "22222222-2222-4222-8222-222222222222",
                    R"("Tag":[{"name":"TLP:RED"}])") +
      "," +
      AttributeJson("domain", "c.example.com", true, "33333333-3333-4333-8333-333333333333",
                    R"("Tag":[{"name":"tlp:white"}])");
  auto out = Convert(EventJson(attrs, R"("Tag":[{"name":"tlp:amber"},{"name":"type:OSINT"}])"));
  ASSERT_TRUE(out->status.ok());
  auto marks = [&](std::string_view id) { return Strings(*out->ById(id), "/object_marking_refs"); };
  EXPECT_EQ(marks("indicator--11111111-1111-4111-8111-111111111111"),
            std::vector<std::string>{std::string(kTlpAmber)});
  EXPECT_EQ(marks("indicator--22222222-2222-4222-8222-222222222222"),
            std::vector<std::string>{std::string(kTlpRed)});
  // An attribute tag never widens the event's TLP.
  EXPECT_EQ(marks("indicator--33333333-3333-4333-8333-333333333333"),
            std::vector<std::string>{std::string(kTlpAmber)});
  auto report = out->OfType("report").at(0);
  EXPECT_EQ(Strings(report, "/object_marking_refs"),
            std::vector<std::string>{std::string(kTlpAmber)});
  EXPECT_EQ(Strings(report, "/labels"), std::vector<std::string>{"type:OSINT"});
  // The marking-definitions used are in the output, once, with the exact OASIS content.
  auto defs = out->OfType("marking-definition");
  ASSERT_EQ(defs.size(), 2u);
  for (const auto& def : defs) {
    std::string id = Str(def, "/id");
    std::string file = id == kTlpAmber ? "tlp-amber.json" : "tlp-red.json";
    fs::path oasis = SharedData() / "stix" / "tlp2.0" / file;
    if (!fs::exists(oasis)) continue;
    simdjson::dom::parser p;
    simdjson::dom::element expected;
    ASSERT_EQ(p.parse(ReadFile(oasis)).get(expected), simdjson::SUCCESS);
    simdjson::dom::element expected_obj = expected.at_pointer("/objects/0").value();
    EXPECT_EQ(stix::CanonicalJson(def), stix::CanonicalJson(expected_obj)) << id;
    const stix::TlpMarking* known = stix::FindTlpMarking(id);
    ASSERT_NE(known, nullptr);
    EXPECT_EQ(known->version, 2);
  }
  ExpectValid(*out, "tlp");
}

TEST(MispConvert, AmberStrictAndClearTagsMapToTheirTlp20Ids) {
  auto strict = Convert(EventJson(AttributeJson("domain", "a.example.com", true),
                                  R"("Tag":[{"name":"tlp:amber+strict"}])"));
  EXPECT_EQ(Strings(strict->OfType("indicator").at(0), "/object_marking_refs"),
            std::vector<std::string>{std::string(kTlpAmberStrict)});
  auto clear = Convert(
      EventJson(AttributeJson("domain", "a.example.com", true), R"("Tag":[{"name":"tlp:clear"}])"));
  EXPECT_EQ(Strings(clear->OfType("indicator").at(0), "/object_marking_refs"),
            std::vector<std::string>{std::string(kTlpClear)});
}

// TLP tags as MISP instances spell them; one naming no level known here fails closed (RED, and
// said), never open (no marking, then whatever unmarked content gets); TLP extensions stay labels.
TEST(MispConvert, TlpTagsInOtherSpellingsAndUnknownOnesFailClosed) {
  struct Case {
    std::string tag;
    std::vector<std::string> markings;
    bool noted;
  };
  const std::vector<Case> cases = {{"TLP: RED", {std::string(kTlpRed)}, false},
                                   {"tlp_amber", {std::string(kTlpAmber)}, false},
                                   {"tlp=\\\"green\\\"", {std::string(kTlpGreen)}, false},
                                   {"TLP:Amber Strict", {std::string(kTlpAmberStrict)}, false},
                                   {"tlp:unclear", {std::string(kTlpRed)}, true},
                                   {"TLP:REDD", {std::string(kTlpRed)}, true},
                                   {"tlp:ex:chr", {}, false},
                                   {"tlpx:red", {}, false}};
  for (const Case& c : cases) {
    auto out = Convert(EventJson(AttributeJson("domain", "a.example.com", true),
                                 R"("Tag":[{"name":")" + c.tag + R"("}])"));
    ASSERT_TRUE(out->status.ok()) << c.tag;
    auto ind = out->OfType("indicator").at(0);
    EXPECT_EQ(Strings(ind, "/object_marking_refs"), c.markings) << c.tag;
    bool noted = false;
    for (const std::string& n : out->stats.notes) {
      noted = noted || n.find("names no TLP level known here") != std::string::npos;
    }
    EXPECT_EQ(noted, c.noted) << c.tag;
  }
}

TEST(MispConvert, ProvenanceOptionsOverrideCreatorAndAddMarkings) {
  MispOptions options = FixedOptions();
  options.provenance.created_by_ref = "identity--7d2c6a1e-3b4f-4c5d-9e8f-0a1b2c3d4e5f";
  options.provenance.object_marking_refs = {
      std::string(kTlpGreen), "marking-definition--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"};
  auto out = Convert(EventJson(AttributeJson("domain", "a.example.com", true)), options);
  ASSERT_TRUE(out->status.ok());
  auto ind = out->OfType("indicator").at(0);
  EXPECT_EQ(Str(ind, "/created_by_ref"), "identity--7d2c6a1e-3b4f-4c5d-9e8f-0a1b2c3d4e5f");
  EXPECT_EQ(Strings(ind, "/object_marking_refs"),
            (std::vector<std::string>{std::string(kTlpGreen),
                                      "marking-definition--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"}));
  // The MISP organisation is still described, and referenced from the report.
  auto refs = Strings(out->OfType("report").at(0), "/object_refs");
  EXPECT_NE(std::find(refs.begin(), refs.end(), "identity--0b3c5d7e-9f1a-4b2c-8d4e-6f8a0b2c4d6e"),
            refs.end());
}

TEST(MispConvert, DistributionIsRecordedAndInheritedNeverWidened) {
  std::string a = AttributeJson("domain", "a.example.com", true,
                                "11111111-1111-4111-8111-111111111111", "", "5");
  std::string b = AttributeJson("domain", "b.example.com", true,
                                "22222222-2222-4222-8222-222222222222", "", "0");
  std::string c = AttributeJson("domain", "c.example.com", true,
                                "33333333-3333-4333-8333-333333333333", "", "3");
  auto out = Convert(EventJson(a + "," + b + "," + c));
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  auto dist = [&](std::string_view id) {
    int64_t v = -1;
    EXPECT_EQ((*out->ById(id))["x_misp_distribution"].get(v), simdjson::SUCCESS) << id;
    return v;
  };
  EXPECT_EQ(dist("indicator--11111111-1111-4111-8111-111111111111"), 1);  // 5 -> event's 1
  EXPECT_EQ(dist("indicator--22222222-2222-4222-8222-222222222222"), 0);
  EXPECT_EQ(dist("indicator--33333333-3333-4333-8333-333333333333"), 1);  // capped by the event
  EXPECT_EQ(dist("report--9f1c6b2e-1a7d-4c3e-8b5f-2d4e6a8c0b1d"), 1);
}

// The object `id` of `out` is marked with `tlp` alone.
void ExpectTlp(const Output& out, std::string_view id, std::string_view tlp) {
  EXPECT_EQ(Strings(*out.ById(id), "/object_marking_refs"),
            std::vector<std::string>{std::string(tlp)})
      << id;
}

TEST(MispConvert, OrganisationOnlyDistributionIsAtLeastAmberStrict) {
  std::string a = AttributeJson("domain", "a.example.com", true,
                                "11111111-1111-4111-8111-111111111111", "", "0");
  std::string b =
      AttributeJson("domain", "b.example.com", true, "22222222-2222-4222-8222-222222222222",
                    R"("Tag":[{"name":"tlp:red"}])", "0");
  std::string c = AttributeJson("domain", "c.example.com", true,
                                "33333333-3333-4333-8333-333333333333", "", "3");
  auto out = Convert(EventJson(a + "," + b + "," + c, R"("Tag":[{"name":"tlp:green"}])"));
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  // "Your organisation only" is TLP 2.0's AMBER+STRICT audience, whatever TLP tag is weaker.
  ExpectTlp(*out, "indicator--11111111-1111-4111-8111-111111111111", kTlpAmberStrict);
  ExpectTlp(*out, "indicator--22222222-2222-4222-8222-222222222222", kTlpRed);
  ExpectTlp(*out, "indicator--33333333-3333-4333-8333-333333333333", kTlpGreen);
  EXPECT_EQ(out->stats.Get("misp.distribution.org_only_as_amber_strict"), 1u);
  ExpectValid(*out, "org only");
}

// A sharing group names organisations the hub cannot know: set on the event (and inherited) or
// on an attribute, it fails closed to AMBER+STRICT as "your organisation only" does, and the group
// stays recorded for an administrator to re-mark.
TEST(MispConvert, ASharingGroupIsAtLeastAmberStrictOnTheEventOrTheAttribute) {
  std::string event = EventJson(
      AttributeJson("domain", "a.example.com", true, "11111111-1111-4111-8111-111111111111", "",
                    "5") +
          "," +
          AttributeJson("domain", "b.example.com", true, "22222222-2222-4222-8222-222222222222",
                        R"("Tag":[{"name":"tlp:red"}])", "5"),
      R"("Tag":[{"name":"tlp:green"}])");
  const std::string from = R"("distribution":"1",)";
  event.replace(event.find(from), from.size(),
                R"("distribution":"4","sharing_group_id":"7","SharingGroup":{"name":"NATO CERTs",)"
                R"("uuid":"5b0f8a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"},)");
  auto out = Convert(event);
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  ExpectTlp(*out, "indicator--11111111-1111-4111-8111-111111111111", kTlpAmberStrict);
  ExpectTlp(*out, "indicator--22222222-2222-4222-8222-222222222222", kTlpRed);
  ExpectTlp(*out, "report--9f1c6b2e-1a7d-4c3e-8b5f-2d4e6a8c0b1d", kTlpAmberStrict);
  std::string_view name;
  EXPECT_EQ((*out->ById(
                "indicator--11111111-1111-4111-8111-111111111111"))["x_misp_sharing_group"]["name"]
                .get(name),
            simdjson::SUCCESS);
  EXPECT_EQ(name, "NATO CERTs");
  EXPECT_GE(out->stats.Get("misp.distribution.sharing_group_as_amber_strict"), 2u);
  ExpectValid(*out, "sharing group");
}

TEST(MispConvert, ARetaggedEventGivesEveryObjectANewVersionUnderItsNewTlp) {
  // MISP bumps only the event's timestamp when the event is re-tagged; the attribute inherits
  // the new TLP, so its object must become a new version, not clash with the stored one.
  std::string green =
      EventJson(AttributeJson("ip-dst", "198.51.100.9", true), R"("Tag":[{"name":"tlp:green"}])");
  std::string red = green;
  red.replace(red.find("tlp:green"), 9, "tlp:red");
  red.replace(red.find("\"1709300000\""), 12, "\"1709400000\"");
  auto a = Convert(green);
  auto b = Convert(red);
  ASSERT_TRUE(a->status.ok() && b->status.ok());
  auto ia = a->OfType("indicator").at(0);
  auto ib = b->OfType("indicator").at(0);
  EXPECT_EQ(Str(ia, "/id"), Str(ib, "/id"));
  EXPECT_LT(Str(ia, "/modified"), Str(ib, "/modified"));
  EXPECT_EQ(Strings(ib, "/object_marking_refs"), std::vector<std::string>{std::string(kTlpRed)});
  // valid_from stays the attribute's own time: a re-tag does not move it.
  EXPECT_EQ(Str(ia, "/valid_from"), Str(ib, "/valid_from"));
}

TEST(MispConvert, UnpublishedEventIsAGroupingNotAPublishedReport) {
  std::string doc = EventJson(AttributeJson("domain", "a.example.com", true));
  doc.replace(doc.find(R"("published":true)"), 16, R"("published":false)");
  auto out = Convert(doc);
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  EXPECT_TRUE(out->OfType("report").empty());
  auto g = out->OfType("grouping").at(0);
  EXPECT_EQ(Str(g, "/id"), "grouping--9f1c6b2e-1a7d-4c3e-8b5f-2d4e6a8c0b1d");
  EXPECT_EQ(Str(g, "/context"), "suspicious-activity");
  EXPECT_EQ(Str(g, "/name"), "Test event");
  EXPECT_TRUE(out->Joined().find("\"published\"") == std::string::npos);
  ExpectValid(*out, "unpublished");
}

TEST(MispConvert, RestSearchAttributesKeepTheirEventsDistributionAndName) {
  std::string doc =
      R"({"response":{"Attribute":[)"
      R"({"uuid":"11111111-1111-4111-8111-111111111111","type":"ip-dst","category":"Network )"
      R"(activity","value":"198.51.100.1","to_ids":true,"timestamp":"1709290000",)"
      R"("distribution":"5","Event":{"uuid":"aaaaaaaa-1111-4111-8111-111111111111",)"
      R"("info":"org-only event","distribution":"0","org_id":"1"}},)"
      R"({"uuid":"22222222-2222-4222-8222-222222222222","type":"ip-dst","category":"Network )"
      R"(activity","value":"198.51.100.2","to_ids":true,"timestamp":"1709290000",)"
      R"("distribution":"5","Event":{"uuid":"bbbbbbbb-2222-4222-8222-222222222222",)"
      R"("info":"shared event","distribution":"3","org_id":"1"}}]}})";
  auto out = Convert(doc);
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  auto org_only = *out->ById("indicator--11111111-1111-4111-8111-111111111111");
  int64_t dist = -1;
  EXPECT_EQ(org_only["x_misp_distribution"].get(dist), simdjson::SUCCESS);
  EXPECT_EQ(dist, 0);
  EXPECT_EQ(Strings(org_only, "/object_marking_refs"),
            std::vector<std::string>{std::string(kTlpAmberStrict)});
  auto shared = *out->ById("indicator--22222222-2222-4222-8222-222222222222");
  EXPECT_EQ(shared["x_misp_distribution"].get(dist), simdjson::SUCCESS);
  EXPECT_EQ(dist, 3);
  auto groupings = out->OfType("grouping");
  ASSERT_EQ(groupings.size(), 2u);
  std::set<std::string> names = {Str(groupings[0], "/name"), Str(groupings[1], "/name")};
  EXPECT_EQ(names, (std::set<std::string>{"org-only event", "shared event"}));
  ExpectValid(*out, "restSearch attributes");
}

TEST(MispConvert, OnlyARestSearchResultIsSplitByItsAttributesEvents) {
  // A bare event without a uuid is an event: a nested "Event" in its attribute does not take the
  // attribute out of it (it kept neither the event's RED nor its distribution 0).
  auto bare = Convert(
      R"({"Event":{"info":"secret","distribution":"0","Tag":[{"name":"tlp:red"}],"Attribute":[)"
      R"({"type":"ip-dst","value":"198.51.100.4","to_ids":true,)"
      R"("uuid":"11111111-1111-4111-8111-111111111111","Event":{)"
      R"("uuid":"aaaaaaaa-1111-4111-8111-111111111111","info":"other","distribution":"3"}}]}})");
  ASSERT_TRUE(bare->status.ok()) << bare->status.ToString();
  auto ind = *bare->ById("indicator--11111111-1111-4111-8111-111111111111");
  EXPECT_EQ(Strings(ind, "/object_marking_refs"), std::vector<std::string>{std::string(kTlpRed)});
  int64_t dist = -1;
  EXPECT_EQ(ind["x_misp_distribution"].get(dist), simdjson::SUCCESS);
  EXPECT_EQ(dist, 0);
  // Two attributes naming one event with different distributions: the strictest, in any order.
  for (bool org_only_first : {true, false}) {
    std::string wide =
        R"({"uuid":"22222222-2222-4222-8222-222222222222","type":"ip-dst","value":"198.51.100.5",)"
        R"("to_ids":true,"Event":{"uuid":"bbbbbbbb-2222-4222-8222-222222222222","distribution":"3"}})";
    std::string narrow =
        R"({"uuid":"33333333-3333-4333-8333-333333333333","type":"ip-dst","value":"198.51.100.6",)"
        R"("to_ids":true,"Event":{"uuid":"bbbbbbbb-2222-4222-8222-222222222222","distribution":"0"}})";
    auto out = Convert(R"({"response":{"Attribute":[)" +
                       (org_only_first ? narrow + "," + wide : wide + "," + narrow) + "]}}");
    ASSERT_TRUE(out->status.ok()) << out->status.ToString();
    for (const char* id : {"indicator--22222222-2222-4222-8222-222222222222",
                           "indicator--33333333-3333-4333-8333-333333333333"}) {
      EXPECT_EQ(Strings(*out->ById(id), "/object_marking_refs"),
                std::vector<std::string>{std::string(kTlpAmberStrict)})
          << id << (org_only_first ? " (org-only first)" : " (org-only second)");
    }
  }
}

TEST(MispConvert, SharingGroupDistributionRecordsTheGroup) {
  std::string doc =
      R"({"Event":{"uuid":"9f1c6b2e-1a7d-4c3e-8b5f-2d4e6a8c0b1d","info":"SG","date":"2024-03-01",)"
      R"("timestamp":"1709300000","distribution":"4","sharing_group_id":"7",)"
      R"("SharingGroup":{"name":"NATO-CERTs","uuid":"5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"},)"
      R"("Attribute":[)" +
      AttributeJson("domain", "a.example.com", true) + "]}}";
  auto out = Convert(doc);
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  auto ind = out->OfType("indicator").at(0);
  int64_t level = -1;
  ASSERT_EQ(ind["x_misp_distribution"].get(level), simdjson::SUCCESS);
  EXPECT_EQ(level, 4);
  EXPECT_EQ(Str(ind, "/x_misp_sharing_group/name"), "NATO-CERTs");
  EXPECT_EQ(Str(ind, "/x_misp_sharing_group/uuid"), "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d");
  EXPECT_EQ(Str(ind, "/x_misp_sharing_group/id"), "7");
  ExpectValid(*out, "sharing group");
}

// ---------------------------------------------------------------------------------------------
// Galaxies

std::string GalaxyJson(std::string_view type, std::string_view name, std::string_view uuid,
                       std::string_view value, std::string_view meta = "{}") {
  return R"({"type":")" + std::string(type) + R"(","name":")" + std::string(name) +
         R"(","GalaxyCluster":[{"uuid":")" + std::string(uuid) + R"(","type":")" +
         std::string(type) + R"(","value":")" + std::string(value) +
         R"(","tag_name":"misp-galaxy:)" + std::string(type) + R"(=\")" + std::string(value) +
         R"(\"","description":"d","meta":)" + std::string(meta) + "}]}";
}

TEST(MispConvert, GalaxiesMapToSdosInTheReport) {
  std::string galaxies =
      R"("Galaxy":[)" +
      GalaxyJson("threat-actor", "Threat Actor", "7cdff317-a673-4474-84ec-4f1754947823", "Sofacy",
                 R"({"synonyms":["APT28","Fancy Bear"]})") +
      "," +
      GalaxyJson("mitre-attack-pattern", "Attack Pattern", "6aac77c4-eaf2-4366-8c13-ce50ab951f38",
                 "Spearphishing Attachment - T1193",
                 R"({"kill_chain":["mitre-attack:enterprise-attack:initial-access"]})") +
      "," + GalaxyJson("malpedia", "Malpedia", "5e2b7b6d-1c4f-4b4e-9c7a-3d2f1e0a9b8c", "Emotet") +
      "," + GalaxyJson("tool", "Tool", "0d821b68-9d82-4c6d-86a6-1071a9e0f79f", "GAMEFISH") + "," +
      GalaxyJson("mitre-intrusion-set", "Intrusion Set", "c47f937f-1022-4f42-8525-e95d8f7d2a3b",
                 "APT1 - G0006") +
      "," + GalaxyJson("guidelines", "Guidelines", "4a3b2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1d", "Leak") +
      "]";
  auto out = Convert(EventJson(AttributeJson("domain", "a.example.com", true),
                               galaxies + R"(,"Tag":[{"name":"misp-galaxy:tool=\"GAMEFISH\""}])"));
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  auto ta = out->OfType("threat-actor");
  ASSERT_EQ(ta.size(), 1u);
  EXPECT_EQ(Str(ta[0], "/name"), "Sofacy");
  EXPECT_EQ(Strings(ta[0], "/aliases"), (std::vector<std::string>{"APT28", "Fancy Bear"}));
  auto ap = out->OfType("attack-pattern");
  ASSERT_EQ(ap.size(), 1u);
  EXPECT_EQ(Str(ap[0], "/name"), "Spearphishing Attachment");
  EXPECT_EQ(Str(ap[0], "/external_references/0/source_name"), "mitre-attack");
  EXPECT_EQ(Str(ap[0], "/external_references/0/external_id"), "T1193");
  EXPECT_EQ(Str(ap[0], "/kill_chain_phases/0/kill_chain_name"), "mitre-attack");
  EXPECT_EQ(Str(ap[0], "/kill_chain_phases/0/phase_name"), "initial-access");
  auto mw = out->OfType("malware");
  ASSERT_EQ(mw.size(), 1u);
  bool is_family = false;
  ASSERT_EQ(mw[0]["is_family"].get(is_family), simdjson::SUCCESS);
  EXPECT_TRUE(is_family);
  EXPECT_EQ(out->OfType("tool").size(), 1u);
  auto is = out->OfType("intrusion-set");
  ASSERT_EQ(is.size(), 1u);
  EXPECT_EQ(Str(is[0], "/name"), "APT1");
  EXPECT_EQ(Str(is[0], "/external_references/0/external_id"), "G0006");
  EXPECT_EQ(out->stats.Get("misp.galaxies.skipped.guidelines"), 1u);
  auto report = out->OfType("report").at(0);
  std::vector<std::string> refs = Strings(report, "/object_refs");
  for (const auto& o : {ta[0], ap[0], mw[0], is[0]}) {
    EXPECT_NE(std::find(refs.begin(), refs.end(), Str(o, "/id")), refs.end());
  }
  // Event-level clusters make no relationships (MISP does not say what indicates what); the
  // converted cluster's tag is not a label, the unconverted one is.
  EXPECT_TRUE(out->OfType("relationship").empty());
  std::vector<std::string> labels = Strings(report, "/labels");
  EXPECT_EQ(labels, std::vector<std::string>{"misp-galaxy:guidelines=\"Leak\""});
  ExpectValid(*out, "galaxies");
}

TEST(MispConvert, AttributeGalaxyLinksIndicatorToMalware) {
  std::string attr = AttributeJson(
      "sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", true,
      "5d1f3a5c-7e9b-4d2f-a4b6-c8d0e2f4a6b8",
      R"("Galaxy":[)" +
          GalaxyJson("ransomware", "Ransomware", "3b4c5d6e-7f8a-4b9c-8d0e-1f2a3b4c5d6e", "SamSam") +
          "]");
  auto out = Convert(EventJson(attr));
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  auto rel = out->OfType("relationship");
  ASSERT_EQ(rel.size(), 1u);
  EXPECT_EQ(Str(rel[0], "/relationship_type"), "indicates");
  EXPECT_EQ(Str(rel[0], "/source_ref"), "indicator--5d1f3a5c-7e9b-4d2f-a4b6-c8d0e2f4a6b8");
  EXPECT_EQ(Str(rel[0], "/target_ref"), Str(out->OfType("malware").at(0), "/id"));
  ExpectValid(*out, "attribute galaxy");
}

TEST(MispConvert, GalaxyTagWithoutGalaxyEntryStillBecomesAnSdo) {
  std::string attr =
      AttributeJson("domain", "c2.example.com", true, "5d1f3a5c-7e9b-4d2f-a4b6-c8d0e2f4a6b8",
                    R"("Tag":[{"name":"misp-galaxy:rat=\"FALLCHILL\""}])");
  auto out =
      Convert(EventJson(attr, R"("Tag":[{"name":"misp-galaxy:threat-actor=\"Lazarus Group\""},)"
                              R"({"name":"misp-galaxy:tea-matrix=\"Milk in tea\""}])"));
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  auto ta = out->OfType("threat-actor");
  ASSERT_EQ(ta.size(), 1u);
  EXPECT_EQ(Str(ta[0], "/name"), "Lazarus Group");
  auto tool = out->OfType("tool");
  ASSERT_EQ(tool.size(), 1u);
  EXPECT_EQ(Str(tool[0], "/name"), "FALLCHILL");
  auto rel = out->OfType("relationship");
  ASSERT_EQ(rel.size(), 1u);
  EXPECT_EQ(Str(rel[0], "/relationship_type"), "indicates");
  EXPECT_EQ(Str(rel[0], "/target_ref"), Str(tool[0], "/id"));
  // Converted galaxy tags are not labels; a galaxy ctihub does not map stays one.
  EXPECT_EQ(Strings(out->OfType("report").at(0), "/labels"),
            std::vector<std::string>{"misp-galaxy:tea-matrix=\"Milk in tea\""});
  EXPECT_EQ(
      Strings(out->OfType("indicator").at(0), "/labels"),
      (std::vector<std::string>{"misp:type=\"domain\"", "misp:category=\"Network activity\""}));
  ExpectValid(*out, "galaxy tags");
}

TEST(MispConvert, RuleAttributesBecomeIndicatorsInTheirPatternLanguage) {
  std::string yara = "rule a { strings: $s = \"x\" condition: $s }";
  auto out = Convert(EventJson(
      AttributeJson("yara", yara, true, "11111111-1111-4111-8111-111111111111") + "," +
      AttributeJson("stix2-pattern", "[ipv4-addr:value = '203.0.113.1']", true,
                    "22222222-2222-4222-8222-222222222222") +
      "," +
      AttributeJson("stix2-pattern", "[broken", true, "33333333-3333-4333-8333-333333333333") +
      "," +
      AttributeJson("campaign-name", "Operation Test", false,
                    "44444444-4444-4444-8444-444444444444")));
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  auto y = out->ById("indicator--11111111-1111-4111-8111-111111111111");
  ASSERT_TRUE(y.has_value());
  EXPECT_EQ(Str(*y, "/pattern_type"), "yara");
  EXPECT_EQ(Str(*y, "/pattern"), yara);
  auto st = out->ById("indicator--22222222-2222-4222-8222-222222222222");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(Str(*st, "/pattern_type"), "stix");
  EXPECT_TRUE(out->ById("note--33333333-3333-4333-8333-333333333333").has_value());
  EXPECT_EQ(out->stats.Get("misp.attributes.invalid.stix2-pattern"), 1u);
  auto campaign = out->ById("campaign--44444444-4444-4444-8444-444444444444");
  ASSERT_TRUE(campaign.has_value());
  EXPECT_EQ(Str(*campaign, "/name"), "Operation Test");
  ExpectValid(*out, "rules");
}

// ---------------------------------------------------------------------------------------------
// Determinism and versions

TEST(MispConvert, SameInputGivesByteIdenticalOutput) {
  std::string doc = ReadFile(SharedData() / "misp" / "events" / "pymisp-existing_event.json");
  if (doc.empty()) GTEST_SKIP() << "shared MISP data not found under " << SharedData();
  MispOptions later = FixedOptions();
  later.provenance.now = *Timestamp::Parse("2030-01-01T00:00:00Z");
  auto a = Convert(doc);
  auto b = Convert(doc);
  auto c = Convert(doc, later);
  ASSERT_TRUE(a->status.ok());
  EXPECT_EQ(a->texts, b->texts);
  EXPECT_EQ(a->texts, c->texts);  // the event has timestamps: `now` is not used
}

TEST(MispConvert, ChangedAttributeMakesANewVersionOfTheSameObject) {
  std::string v1 = EventJson(AttributeJson("domain", "a.example.com", true));
  std::string v2 = v1;
  // MISP bumps the event's timestamp with the attribute's.
  v2.replace(v2.find("1709290000"), 10, "1709399999");
  v2.replace(v2.find("\"1709300000\""), 12, "\"1709400000\"");
  auto a = Convert(v1);
  auto b = Convert(v2);
  auto ia = a->OfType("indicator").at(0);
  auto ib = b->OfType("indicator").at(0);
  EXPECT_EQ(Str(ia, "/id"), Str(ib, "/id"));
  EXPECT_EQ(Str(ia, "/created"), Str(ib, "/created"));
  EXPECT_LT(Str(ia, "/modified"), Str(ib, "/modified"));
}

TEST(MispConvert, EventWithoutUuidsStillGetsStableIds) {
  std::string doc =
      R"({"info":"no uuids","date":"2020-01-01","Attribute":[{"type":"domain",)"
      R"("value":"x.example.com","to_ids":true}]})";
  auto a = Convert(doc);
  auto b = Convert(doc);
  ASSERT_TRUE(a->status.ok()) << a->status.ToString();
  EXPECT_EQ(a->texts, b->texts);
  EXPECT_EQ(a->OfType("grouping").size(), 1u);  // not said to be published
  ExpectValid(*a, "no uuids");
}

// ---------------------------------------------------------------------------------------------
// Input shapes and errors

TEST(MispConvert, AcceptsEventWrapperBareEventAndResponseList) {
  std::string attr = AttributeJson("domain", "a.example.com", true);
  std::string event_body =
      R"({"uuid":"9f1c6b2e-1a7d-4c3e-8b5f-2d4e6a8c0b1d","info":"x","timestamp":"1709300000",)"
      R"("Attribute":[)" +
      attr + "]}";
  auto wrapped = Convert(R"({"Event":)" + event_body + "}");
  auto bare = Convert(event_body);
  auto response = Convert(R"({"response":[{"Event":)" + event_body + "}]}");
  ASSERT_TRUE(wrapped->status.ok());
  ASSERT_TRUE(bare->status.ok()) << bare->status.ToString();
  ASSERT_TRUE(response->status.ok());
  EXPECT_EQ(wrapped->texts, bare->texts);
  EXPECT_EQ(wrapped->texts, response->texts);
}

TEST(MispConvert, ResponseWithSeveralEventsEmitsSharedObjectsOnce) {
  std::string ev1 =
      EventJson(AttributeJson("domain", "a.example.com", true), R"("Tag":[{"name":"tlp:green"}])");
  std::string ev2 = ev1;
  ev2.replace(ev2.find("9f1c6b2e"), 8, "8f1c6b2e");
  ev2.replace(ev2.find("5d1f3a5c"), 8, "4d1f3a5c");
  std::string doc = R"({"response":[)" + ev1.substr(0) + "," + ev2 + "]}";
  auto out = Convert(doc);
  ASSERT_TRUE(out->status.ok()) << out->status.ToString();
  EXPECT_EQ(out->OfType("report").size(), 2u);
  EXPECT_EQ(out->OfType("identity").size(), 1u);
  EXPECT_EQ(out->OfType("marking-definition").size(), 1u);
  ExpectValid(*out, "two events");
}

struct BadInput {
  std::string name;
  std::string json;
  std::string location;      // expected Status::location()
  std::string message_part;  // expected in the message
};

class MispBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(MispBadInput, ReturnsInvalidArgumentNamingTheEntityAndPath) {
  const BadInput& c = GetParam();
  bool sink_called = false;
  Status s = ConvertMispEvent(
      c.json, FixedOptions(),
      [&](std::string) {
        sink_called = true;
        return Status::Ok();
      },
      nullptr);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_EQ(s.location(), c.location) << s.ToString();
  EXPECT_NE(s.message().find(c.message_part), std::string::npos) << s.ToString();
  EXPECT_FALSE(sink_called);
}

const BadInput kBadInputs[] = {
    {"NotJson", "this is not json", "", "not valid JSON"},
    {"TruncatedJson", R"({"Event":{"info":"x")", "", "not valid JSON"},
    {"TopLevelArray", "[1,2]", "", "top-level JSON value is an array"},
    {"NoEvent", R"({"foo":1})", "", "no 'Event'"},
    {"StixBundle", R"({"type":"bundle","id":"bundle--1","objects":[]})", "", "no 'Event'"},
    {"EventNotObject", R"({"Event":[1]})", "/Event", "expected an object"},
    {"AttributesNotArray", R"({"Event":{"info":"x","Attribute":"nope"}})", "/Event/Attribute",
     "'Attribute' must be an array"},
    {"AttributeValueObject",
     R"({"Event":{"info":"x","Attribute":[{"uuid":"5d1f3a5c-7e9b-4d2f-a4b6-c8d0e2f4a6b8",)"
     R"("type":"domain","value":{}}]}})",
     "/Event/Attribute/0/value", "attribute 5d1f3a5c-7e9b-4d2f-a4b6-c8d0e2f4a6b8"},
    {"AttributeWithoutType",
     R"({"Event":{"info":"x","Attribute":[{"uuid":"5d1f3a5c-7e9b-4d2f-a4b6-c8d0e2f4a6b8",)"
     R"("value":"a"}]}})",
     "/Event/Attribute/0/type", "missing 'type'"},
    {"BadToIds",
     R"({"Event":{"info":"x","Attribute":[{"uuid":"5d1f3a5c-7e9b-4d2f-a4b6-c8d0e2f4a6b8",)"
     R"("type":"domain","value":"a","to_ids":"maybe"}]}})",
     "/Event/Attribute/0/to_ids", "'to_ids' must be a boolean"},
    {"BadDistribution", R"({"Event":{"info":"x","distribution":"9"}})", "/Event/distribution",
     "must be 0-5"},
    {"BadTimestamp", R"({"Event":{"info":"x","timestamp":"yesterday"}})", "/Event/timestamp",
     "epoch seconds"},
    {"ObjectAttributeNotObject",
     R"({"Event":{"info":"x","Object":[{"uuid":"5e384ae7-672c-4250-9cda-3b4da964451a",)"
     R"("name":"file","Attribute":[7]}]}})",
     "/Event/Object/0/Attribute/0", "expected an object"},
    {"TagsNotArray", R"({"Event":{"info":"x","Tag":{"name":"tlp:red"}}})", "/Event/Tag",
     "'Tag' must be an array"},
    {"ResponseNumber", R"({"response":5})", "/response", "'response' must be an array"},
};

INSTANTIATE_TEST_SUITE_P(Cases, MispBadInput, ::testing::ValuesIn(kBadInputs),
                         [](const auto& info) { return info.param.name; });

TEST(MispConvert, SinkErrorStopsTheConversion) {
  int calls = 0;
  Status s = ConvertMispEvent(
      EventJson(AttributeJson("domain", "a.example.com", true)), FixedOptions(),
      [&](std::string) {
        ++calls;
        return ResourceExhausted("store full");
      },
      nullptr);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(calls, 1);
}

TEST(MispSniff, RecognisesMispDocumentsAndRejectsOthers) {
  EXPECT_TRUE(LooksLikeMispEvent(R"({"Event":{"info":"x"}})"));
  EXPECT_TRUE(LooksLikeMispEvent("\xEF\xBB\xBF  {\n \"Event\" : {\"info\":\"x\"}}"));
  EXPECT_TRUE(LooksLikeMispEvent(R"({"response":[{"Event":{"info":"x"}}]})"));
  EXPECT_TRUE(LooksLikeMispEvent(R"({"response":{"Attribute":[]}})"));
  EXPECT_TRUE(LooksLikeMispEvent(R"({"response":[{"Object":{"name":"file"}}]})"));
  EXPECT_TRUE(LooksLikeMispEvent(R"({"uuid":"x","info":"bare","Attribute":[]})"));
  // A cut-off prefix (import sniffs the first 64 KiB) is judged on what it holds.
  EXPECT_TRUE(LooksLikeMispEvent(R"({"Event":{"info":"x","Attribute":[{"value":"trunc)"));
  EXPECT_TRUE(LooksLikeMispEvent(R"({"Attribute":[{"type":"domain","value":"x"},{"ty)"));
  EXPECT_FALSE(LooksLikeMispEvent(R"({"type":"bundle","id":"bundle--x","objects":[]})"));
  EXPECT_FALSE(LooksLikeMispEvent(R"({"type":"indicator","spec_version":"2.1"})"));
  EXPECT_FALSE(LooksLikeMispEvent(R"([{"type":"indicator"}])"));
  EXPECT_FALSE(LooksLikeMispEvent(R"({"timestamp":"1","type":"bar","value":"1"})"));
  EXPECT_FALSE(LooksLikeMispEvent(R"({"name":"Tea","type":"tea","GalaxyCluster":[]})"));
  EXPECT_FALSE(LooksLikeMispEvent(""));
  EXPECT_FALSE(LooksLikeMispEvent("not json at all"));
  EXPECT_FALSE(LooksLikeMispEvent(R"({"Event":"x"})"));
}

// ---------------------------------------------------------------------------------------------
// Shared data: every MISP event converts to valid STIX; the misp-stix pairs agree.

TEST(MispSharedData, EveryEventConvertsWithZeroValidatorErrors) {
  fs::path dir = SharedData() / "misp" / "events";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "no MISP events at " << dir;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  std::map<std::string, int> warnings;
  size_t converted = 0;
  for (const fs::path& f : files) {
    SCOPED_TRACE(f.filename().string());
    std::string text = ReadFile(f);
    auto out = Convert(text);
    if (!LooksLikeMispEvent(text)) {
      // Not events (a galaxy, a sighting): rejected cleanly.
      EXPECT_EQ(out->status.code(), StatusCode::kInvalidArgument) << f;
      EXPECT_TRUE(out->texts.empty());
      std::cout << "[ not MISP ] " << f.filename().string() << ": " << out->status.ToString()
                << "\n";
      continue;
    }
    ASSERT_TRUE(out->status.ok()) << f << ": " << out->status.ToString();
    EXPECT_GE(out->OfType("report").size() + out->OfType("grouping").size(), 1u) << f;
    for (const auto& ind : out->OfType("indicator")) {
      std::string_view pattern_type;
      if (ind["pattern_type"].get(pattern_type) == simdjson::SUCCESS && pattern_type != "stix") {
        continue;
      }
      auto parsed = pattern::ParsePattern(Str(ind, "/pattern"));
      EXPECT_TRUE(parsed.ok()) << Str(ind, "/pattern") << ": " << parsed.status().ToString();
    }
    for (const auto& [rule, n] : ExpectValid(*out, f.filename().string())) warnings[rule] += n;
    ++converted;
  }
  EXPECT_GE(converted, 15u);
  for (const auto& [rule, n] : warnings) std::cout << "[ warning ] " << rule << " x" << n << "\n";
}

// Semantic pattern equality: one observation of ANDed comparisons compares as the sorted list of
// its comparisons (misp-stix and ctihub order them differently); anything else by ToString().
std::string PatternKey(const std::string& text) {
  Result<pattern::Pattern> p = pattern::ParsePattern(text);
  if (!p.ok()) return "unparseable: " + text;
  const pattern::ObservationExpression& root = p->root;
  if (root.kind != pattern::ObservationKind::kObservation || !root.qualifiers.empty()) {
    return p->ToString();
  }
  std::vector<std::string> parts;
  if (root.comparison.kind == pattern::ComparisonKind::kComparison) {
    parts.push_back(root.comparison.comparison.ToString());
  } else if (root.comparison.kind == pattern::ComparisonKind::kAnd) {
    for (const auto& c : root.comparison.children) parts.push_back(c.ToString());
  } else {
    return p->ToString();
  }
  std::sort(parts.begin(), parts.end());
  std::string key;
  for (const std::string& s : parts) key += s + " && ";
  return key;
}

struct PairStats {
  int entities = 0, same_type = 0, patterns = 0, same_pattern = 0, observables = 0, same_scos = 0;
  // misp-stix also writes observed-data (+ based-on) for a to_ids attribute; ctihub writes the
  // indicator only (deliberate, see misp.h).
  int their_extra_observed = 0;
};

// For each MISP attribute/object of `inputs` whose uuid names an object in `expected` (misp-stix
// reuses the uuid), compares ours with theirs: an indicator's pattern semantically, an
// observed-data's referenced SCO types as a multiset.
void ComparePair(const std::vector<std::string>& inputs, const std::string& expected_file,
                 PairStats* stats, std::vector<std::string>* differences) {
  fs::path dir = SharedData() / "misp" / "misp-stix-pairs";
  simdjson::dom::parser eparser;
  simdjson::dom::element expected;
  ASSERT_EQ(eparser.parse(ReadFile(dir / expected_file)).get(expected), simdjson::SUCCESS);
  std::map<std::string, simdjson::dom::element> theirs;
  simdjson::dom::array eobjs = expected["objects"].get_array().value();
  for (simdjson::dom::element o : eobjs) theirs[Str(o, "/id")] = o;
  auto sco_types = [](simdjson::dom::element od) {
    std::vector<std::string> types;
    for (const std::string& ref : Strings(od, "/object_refs")) {
      types.push_back(ref.substr(0, ref.find("--")));
    }
    std::sort(types.begin(), types.end());
    return types;
  };
  for (const std::string& input : inputs) {
    std::string text = ReadFile(dir / input);
    auto ours = Convert(text);
    ASSERT_TRUE(ours->status.ok()) << input << ": " << ours->status.ToString();
    ExpectValid(*ours, input);
    // The MISP uuids of the input: attributes and objects.
    simdjson::dom::parser iparser;
    simdjson::dom::element doc;
    ASSERT_EQ(iparser.parse(text).get(doc), simdjson::SUCCESS);
    std::vector<std::pair<std::string, std::string>> entities;  // uuid, description
    std::function<void(simdjson::dom::element, bool)> walk = [&](simdjson::dom::element e,
                                                                 bool in_object) {
      simdjson::dom::object obj;
      simdjson::dom::array arr;
      if (e.get(arr) == simdjson::SUCCESS) {
        for (simdjson::dom::element item : arr) walk(item, in_object);
        return;
      }
      if (e.get(obj) != simdjson::SUCCESS) return;
      std::string_view uuid, type, name;
      bool is_object = obj["meta-category"].get(name) == simdjson::SUCCESS;
      if (obj["uuid"].get(uuid) == simdjson::SUCCESS &&
          (is_object || (!in_object && obj["type"].get(type) == simdjson::SUCCESS &&
                         obj["value"].error() == simdjson::SUCCESS))) {
        std::string_view oname;
        if (is_object && obj["name"].get(oname) != simdjson::SUCCESS) oname = "?";
        entities.emplace_back(std::string(uuid), is_object ? "object " + std::string(oname)
                                                           : "attribute " + std::string(type));
      }
      for (auto field : obj) {
        if (field.key == "Attribute" || field.key == "Object" || field.key == "Event" ||
            field.key == "response") {
          walk(field.value, in_object || is_object);
        }
      }
    };
    walk(doc, false);
    for (const auto& [uuid, what] : entities) {
      auto their_ind = theirs.find("indicator--" + uuid);
      auto their_od = theirs.find("observed-data--" + uuid);
      if (their_ind == theirs.end() && their_od == theirs.end()) continue;
      ++stats->entities;
      auto our_ind = ours->ById("indicator--" + uuid);
      auto our_od = ours->ById("observed-data--" + uuid);
      bool type_ok = (their_ind != theirs.end()) == our_ind.has_value();
      if (their_ind == theirs.end()) type_ok = type_ok && our_od.has_value();
      if (type_ok) {
        ++stats->same_type;
      } else {
        differences->push_back(what + " " + uuid + ": object type differs");
      }
      if (their_ind != theirs.end() && our_ind) {
        ++stats->patterns;
        std::string a = Str(their_ind->second, "/pattern"), b = Str(*our_ind, "/pattern");
        if (PatternKey(a) == PatternKey(b)) {
          ++stats->same_pattern;
        } else {
          differences->push_back(what + " " + uuid + ": misp-stix " + a + " / ctihub " + b);
        }
      }
      if (their_od != theirs.end() && their_ind != theirs.end() && !our_od) {
        ++stats->their_extra_observed;
      }
      if (their_od != theirs.end() && our_od) {
        ++stats->observables;
        if (sco_types(their_od->second) == sco_types(*our_od)) {
          ++stats->same_scos;
        } else {
          differences->push_back(what + " " + uuid + ": observed SCO types differ");
        }
      }
    }
  }
}

TEST(MispSharedData, MispStixPairsAgree) {
  fs::path dir = SharedData() / "misp" / "misp-stix-pairs";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "no misp-stix pairs at " << dir;
  PairStats stats;
  std::vector<std::string> differences;
  ComparePair({"test_attributes_collection_1.json", "test_attributes_collection_2.json"},
              "test_attributes_collection_stix21.json", &stats, &differences);
  ComparePair({"test_events_collection_1.json", "test_events_collection_2.json"},
              "test_events_collection_stix21.json", &stats, &differences);
  ComparePair({"test_events_collection_1.json"}, "test_event1_stix21.json", &stats, &differences);
  ComparePair({"test_events_collection_2.json"}, "test_event2_stix21.json", &stats, &differences);
  ComparePair({"test_objects_collection_1.json", "test_objects_collection_2.json"},
              "test_objects_collection_stix21.json", &stats, &differences);
  std::cout << "[ pairs ] entities " << stats.entities << ", same object type " << stats.same_type
            << ", patterns " << stats.same_pattern << "/" << stats.patterns
            << " semantically equal, observed SCO types " << stats.same_scos << "/"
            << stats.observables
            << "; misp-stix observed-data next to an indicator, not made by "
               "ctihub: "
            << stats.their_extra_observed << "\n";
  for (const std::string& d : differences) std::cout << "[ pairs ] " << d << "\n";
  EXPECT_GT(stats.entities, 0);
  EXPECT_EQ(stats.same_pattern, stats.patterns);
  EXPECT_EQ(stats.same_scos, stats.observables);
}

}  // namespace
}  // namespace ctihub::ingest

namespace ctihub::ingest {
namespace {

// Found by fuzz/misp_fuzz: an Orgc uuid of version 6 or 8 was reused as the identity id, which
// is not a valid STIX identifier. It now gets a stable UUIDv5.
TEST(MispRegression, OrgcUuidOfUndefinedVersionStillGivesAValidIdentity) {
  std::string event = R"({"Event":{"uuid":"5f1c2a9e-7b3d-4e55-9a1b-2c3d4e5f6a7b","info":"x","date":"2024-03-01","timestamp":"1709251200","distribution":"1","Orgc":{"name":"Demo CERT","uuid":"6a2b3c4d-5e6f-8a7b-8c9d-0e1f2a3b4c5d"},"Attribute":[{"uuid":"7b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e","type":"ip-dst","category":"Network activity","to_ids":true,"value":"198.51.100.7","timestamp":"1709251200"}]}})";
  stix::Validator validator;
  std::vector<std::string> ids;
  ConversionStats stats;
  Status s = ConvertMispEvent(event, MispOptions{}, [&](std::string json) {
    size_t errors = 0;
    validator.ValidateText(json, [&](const stix::Finding& f) {
      if (f.severity == stix::Severity::kError) ++errors;
    });
    EXPECT_EQ(errors, 0u) << json;
    if (json.find("\"type\":\"identity\"") != std::string::npos) ids.push_back(json);
    return Status::Ok();
  }, &stats);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0].find("6a2b3c4d-5e6f-8a7b"), std::string::npos) << "reused the invalid uuid";
}

}  // namespace
}  // namespace ctihub::ingest
