#include "sanitize/sanitizer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "ingest/misp.h"
#include "stix/json_reader.h"
#include "stix/validator.h"

namespace ctihub::sanitize {
namespace {

namespace fs = std::filesystem;

constexpr char kKey[] = "community-key-0123456789";
constexpr char kNode[] = "identity--d3d3c1b1-8ba4-4ba4-b1a4-2b7c0c3a9b1e";

SanitizeProfile Everything() {
  SanitizeProfile p;
  p.name = "everything";
  p.internal_addresses = p.victims = p.pseudonymise = p.personal_data = p.defang = true;
  p.pseudonymise_sources = true;
  p.key = kKey;
  p.node_identity = kNode;
  return p;
}

bool Valid(const std::string& text) {
  stix::Validator validator;
  stix::RawObject raw;
  raw.text = text;
  return validator.ValidateObject(raw, [](const stix::Finding&) {}) == 0;
}

std::string Indicator(const std::string& pattern, const std::string& extra = "") {
  return R"({"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111111","created":"2021-01-01T00:00:00.000Z","modified":"2021-01-01T00:00:00.000Z","pattern":")" +
         pattern + R"(","pattern_type":"stix","valid_from":"2021-01-01T00:00:00Z")" + extra + "}";
}

TEST(InternalAddresses, RangesAndHostNames) {
  for (const char* internal : {"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                               "100.64.0.1", "169.254.1.1", "127.0.0.1", "fd00::1", "fe80::1",
                               "::1", "10.0.0.0/8", "192.168.0.0/24"}) {
    EXPECT_TRUE(IsInternalAddress(internal)) << internal;
  }
  for (const char* external : {"8.8.8.8", "172.32.0.1", "100.128.0.1", "2001:db8::1",
                               "0.0.0.0/0", "10.0.0.0/7", "not an ip", "192.168.1.1/40"}) {
    EXPECT_FALSE(IsInternalAddress(external)) << external;
  }
  EXPECT_TRUE(IsInternalHostName("dc01.corp"));
  EXPECT_TRUE(IsInternalHostName("printer.HOME.ARPA"));
  EXPECT_FALSE(IsInternalHostName("example.com"));
}

TEST(Sanitizer, PatternsLoseInternalComparisonsWithoutWideningDetection) {
  Sanitizer s(Everything());
  // An OR loses its internal alternative.
  Sanitized a = s.Apply(Indicator("[ipv4-addr:value = '10.0.0.5' OR ipv4-addr:value = '198.51.100.7']"));
  ASSERT_FALSE(a.dropped) << a.reason;
  EXPECT_EQ(a.text.find("10.0.0.5"), std::string::npos);
  EXPECT_NE(a.text.find("198.51.100.7"), std::string::npos);
  EXPECT_NE(a.text.find("\"2021-01-01T00:00:00.001Z\""), std::string::npos) << "a new version";
  EXPECT_TRUE(Valid(a.text)) << a.text;
  // An AND with an internal part goes whole: dropping only that part would match far more.
  Sanitized b = s.Apply(Indicator(
      "[network-traffic:dst_ref.value = '192.168.1.10' AND network-traffic:dst_port = 445]"));
  EXPECT_TRUE(b.dropped);
  Sanitized c = s.Apply(Indicator(
      "([ipv4-addr:value = '198.51.100.1'] FOLLOWEDBY [domain-name:value = 'dc.corp']) OR "
      "[url:value = 'http://evil.example/x']"));
  ASSERT_FALSE(c.dropped) << c.reason;
  EXPECT_EQ(c.text.find("dc.corp"), std::string::npos);
  EXPECT_NE(c.text.find("evil.example"), std::string::npos) << "patterns are not defanged";
  // IN lists lose internal members.
  Sanitized d = s.Apply(Indicator("[ipv4-addr:value IN ('10.1.1.1', '203.0.113.9')]"));
  EXPECT_EQ(d.text.find("10.1.1.1"), std::string::npos);
  EXPECT_TRUE(Valid(d.text)) << d.text;
  // Nothing internal: unchanged, byte for byte.
  std::string clean = Indicator("[ipv4-addr:value = '203.0.113.9']", R"(,"created_by_ref":")" +
                                                                      std::string(kNode) + "\"");
  Sanitized e = s.Apply(clean);
  EXPECT_FALSE(e.changed);
  EXPECT_EQ(e.text, clean);
}

TEST(Sanitizer, ObservablesVictimsSourcesAndText) {
  Sanitizer s(Everything());
  EXPECT_TRUE(s.Apply(R"({"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--1e8d2e56-5bbb-5f86-b0b2-e9a9e0d6f7b1","value":"10.20.30.40"})").dropped);
  Sanitized mail = s.Apply(R"({"type":"email-addr","spec_version":"2.1","id":"email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3","value":"jane.doe@victim.example","display_name":"Jane Doe"})");
  ASSERT_FALSE(mail.dropped) << mail.reason;
  EXPECT_EQ(mail.text.find("jane"), std::string::npos);
  EXPECT_EQ(mail.text.find("Jane"), std::string::npos);
  EXPECT_NE(mail.id, "email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3") << "new content, new id";
  EXPECT_TRUE(Valid(mail.text)) << mail.text;
  // The same address under the same key gives the same pseudonym; another key another one.
  EXPECT_EQ(s.Apply(R"({"type":"email-addr","spec_version":"2.1","id":"email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3","value":"Jane.Doe@victim.example"})").id, mail.id);
  SanitizeProfile other = Everything();
  other.key = "another-community-key-42";
  EXPECT_NE(Sanitizer(other).Apply(R"({"type":"email-addr","spec_version":"2.1","id":"email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3","value":"jane.doe@victim.example"})").id, mail.id);

  Sanitized victim = s.Apply(R"({"type":"identity","spec_version":"2.1","id":"identity--5b6a7c8d-0000-4000-8000-000000000001","created":"2021-01-01T00:00:00.000Z","modified":"2021-01-01T00:00:00.000Z","name":"ACME Power Ltd","identity_class":"organization","sectors":["energy"],"contact_information":"soc@acme.example, +33 1 23 45 67 89","description":"Our client in Lyon"})");
  ASSERT_FALSE(victim.dropped) << victim.reason;
  EXPECT_EQ(victim.text.find("ACME"), std::string::npos);
  EXPECT_EQ(victim.text.find("acme"), std::string::npos);
  EXPECT_EQ(victim.text.find("Lyon"), std::string::npos);
  EXPECT_NE(victim.text.find("An organisation in the energy sector"), std::string::npos);
  EXPECT_EQ(victim.id, "identity--5b6a7c8d-0000-4000-8000-000000000001") << "references still hold";
  EXPECT_TRUE(Valid(victim.text)) << victim.text;

  Sanitized report = s.Apply(R"({"type":"report","spec_version":"2.1","id":"report--5b6a7c8d-0000-4000-8000-000000000002","created":"2021-01-01T00:00:00.000Z","modified":"2021-01-01T00:00:00.000Z","name":"Intrusion at 10.1.2.3","published":"2021-01-01T00:00:00Z","object_refs":["identity--5b6a7c8d-0000-4000-8000-000000000001"],"created_by_ref":"identity--aaaaaaaa-0000-4000-8000-000000000009","description":"Call Jean on +33 6 12 34 56 78 or mail jean@victim.example; IBAN FR76 3000 6000 0112 3456 7890 189, SSN 123-45-6789. C2 at http://evil.example/gate.php and dc01.corp (fe80::1)."})");
  ASSERT_FALSE(report.dropped) << report.reason;
  for (const char* secret : {"10.1.2.3", "+33 6 12 34 56 78", "jean@victim.example", "FR76",
                             "123-45-6789", "dc01.corp", "fe80::1", "http://evil.example",
                             "aaaaaaaa-0000"}) {
    EXPECT_EQ(report.text.find(secret), std::string::npos) << secret << " in " << report.text;
  }
  EXPECT_NE(report.text.find("hxxp://evil[.]example/gate.php"), std::string::npos) << report.text;
  EXPECT_NE(report.text.find(kNode), std::string::npos);
  EXPECT_TRUE(Valid(report.text)) << report.text;
  bool recorded_source = false;
  for (const Step& step : report.steps) recorded_source |= step.id == "source";
  EXPECT_TRUE(recorded_source);
}

// Every MISP event in the shared data, converted to STIX and sanitized with every step: the
// results stay valid, and no internal address or e-mail address that was in the input survives.
TEST(Sanitizer, MispEventsStayValidAndLoseWhatTheyMust) {
  fs::path events = fs::path(CTIHUB_SHARED_DATA) / "misp" / "events";
  if (!fs::exists(events)) GTEST_SKIP() << "no " << events;
  Sanitizer s(Everything());
  size_t objects = 0, changed = 0, dropped = 0;
  for (const auto& entry : fs::directory_iterator(events)) {
    std::ifstream in(entry.path());
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::vector<std::string> stix;
    Status converted = ingest::ConvertMispEvent(buffer.str(), {}, [&](std::string object) {
      stix.push_back(std::move(object));
      return Status::Ok();
    }, nullptr);
    if (!converted.ok()) continue;
    for (const std::string& object : stix) {
      ++objects;
      Sanitized out = s.Apply(object);
      if (out.dropped) {
        ++dropped;
        EXPECT_EQ(out.reason.find("would not be valid"), std::string::npos) << out.reason << "\n" << object;
        continue;
      }
      changed += out.changed;
      EXPECT_TRUE(Valid(out.text)) << out.text;
      // Outside indicator patterns (detection content, kept), every e-mail address that is left
      // is a pseudonym.
      if (out.text.find("\"pattern\"") == std::string::npos) {
        for (size_t at = out.text.find('@'); at != std::string::npos; at = out.text.find('@', at + 1)) {
          EXPECT_EQ(out.text.compare(at, 18, "@pseudonym.invalid"), 0) << out.text;
        }
      }
    }
  }
  EXPECT_GT(objects, 100u);
  EXPECT_GT(changed, 0u);
  std::printf("MISP: %zu objects, %zu changed, %zu withheld\n", objects, changed, dropped);
}

// The OASIS example bundles (threat reports included): every object still valid afterwards.
TEST(Sanitizer, OasisExamplesStayValid) {
  fs::path dir = fs::path(CTIHUB_SHARED_DATA) / "stix" / "oasis-examples";
  if (!fs::exists(dir)) GTEST_SKIP() << "no " << dir;
  Sanitizer s(Everything());
  size_t objects = 0, checked_invalid_inputs = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    auto reader = stix::ObjectReader::OpenFile(entry.path().string());
    ASSERT_TRUE(reader.ok());
    stix::RawObject raw;
    while (true) {
      Result<bool> more = (*reader)->Next(&raw);
      if (!more.ok() || !*more) break;
      if (raw.pointer.rfind("/objects/", 0) != 0) continue;
      if (!Valid(raw.text)) {  // judge only what was valid to begin with
        ++checked_invalid_inputs;
        continue;
      }
      ++objects;
      Sanitized out = s.Apply(raw.text);
      if (out.dropped) {
        EXPECT_EQ(out.reason.find("would not be valid"), std::string::npos) << out.reason;
        continue;
      }
      EXPECT_TRUE(Valid(out.text)) << entry.path() << "\n" << out.text;
    }
  }
  EXPECT_GT(objects, 50u);
  std::printf("OASIS examples: %zu objects (%zu invalid inputs skipped)\n", objects,
              checked_invalid_inputs);
}

// Random objects with planted internal addresses and personal data: none survives anywhere in
// the output bytes, and every output is valid STIX.
TEST(Sanitizer, PlantedSecretsNeverSurvive) {
  Sanitizer s(Everything());
  std::mt19937 rng(7);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  for (int i = 0; i < 3000; ++i) {
    std::string ip = "10." + std::to_string(pick(256)) + "." + std::to_string(pick(256)) + "." +
                     std::to_string(1 + pick(254));
    std::string mail = "user" + std::to_string(i) + "@victim" + std::to_string(pick(50)) + ".example";
    std::string phone = "+49 30 " + std::to_string(1000 + pick(8999)) + " " + std::to_string(1000 + pick(8999));
    std::string text = std::vector<std::string>{"Seen from ", "Host ", "Beacon to "}[pick(3)] + ip +
                       ", contact " + mail + " or " + phone + ".";
    std::string object = Indicator("[ipv4-addr:value = '" + ip + "' OR ipv4-addr:value = '198.51.100." +
                                       std::to_string(1 + pick(254)) + "']",
                                   R"(,"description":")" + text + "\"");
    Sanitized out = s.Apply(object);
    ASSERT_FALSE(out.dropped) << out.reason;
    for (const std::string& secret : {ip, mail, phone}) {
      ASSERT_EQ(out.text.find(secret), std::string::npos) << secret << " in " << out.text;
    }
    ASSERT_TRUE(Valid(out.text)) << out.text;
  }
}

TEST(SanitizeProfile, IncompleteProfilesAreRefused) {
  SanitizeProfile p;
  p.name = "x";
  p.pseudonymise = true;
  EXPECT_FALSE(CheckProfile(p).ok());
  p.key = kKey;
  EXPECT_TRUE(CheckProfile(p).ok());
  p.pseudonymise_sources = true;
  EXPECT_FALSE(CheckProfile(p).ok());
}

}  // namespace
}  // namespace ctihub::sanitize
