#include <gtest/gtest.h>
#include <zlib.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "pattern/matcher.h"
#include "telemetry/telemetry.h"

namespace ctihub::telemetry {
namespace {

namespace fs = std::filesystem;

// A record copied out of the reader (whose records are valid only until its next Next()).
struct Kept {
  pattern::Observation observation;
  std::string sensor;
  uint64_t line = 0;
};

struct ReadAll {
  std::vector<Kept> records;
  ReaderCounters counters;
  LogFormat format = LogFormat::kAuto;
};

ReadAll FromText(const std::string& text, ReaderOptions options = {}) {
  ReadAll out;
  Result<std::unique_ptr<TelemetryReader>> reader = TelemetryReader::FromText(text, "t", options);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  if (!reader.ok()) return out;
  for (;;) {
    TelemetryRecord r;
    Result<bool> more = (*reader)->Next(&r);
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (!more.ok() || !*more) break;
    // The observation points into the reader's buffers: keep a JSON copy in default storage.
    Kept kept;
    const pattern::Observation& json = r.observation.Json();
    kept.observation.objects = boost::json::object(json.objects, boost::json::storage_ptr());
    kept.observation.first_observed = r.observation.first_observed;
    kept.observation.last_observed = r.observation.last_observed;
    kept.observation.number_observed = r.observation.number_observed;
    kept.sensor = r.sensor;
    kept.line = r.line;
    out.records.push_back(std::move(kept));
  }
  out.counters = (*reader)->counters();
  out.format = (*reader)->format();
  return out;
}

std::string Objects(const Kept& r) { return boost::json::serialize(r.observation.objects); }

// Whether `pattern` matches `record` as `ctihub match` compiles it (literals canonicalised, so
// the reader must write values in the same form).
bool Fires(const Kept& record, const std::string& pattern) {
  pattern::IndicatorSpec spec;
  spec.id = "indicator--00000000-0000-4000-8000-000000000001";
  spec.pattern = pattern;
  pattern::MatcherOptions options;
  options.canonical_literals = true;
  pattern::CompileReport report;
  Result<std::unique_ptr<pattern::PatternMatcher>> matcher =
      pattern::PatternMatcher::Compile({spec}, options, &report);
  EXPECT_TRUE(matcher.ok()) << pattern << ": " << matcher.status().ToString();
  if (!matcher.ok()) return false;
  std::vector<pattern::PatternMatch> hits;
  Status s = (*matcher)->Match(record.observation, &hits);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return !hits.empty();
}

// A first line that is no JSON record (garbage, a record cut short) is one bad line: the reader
// neither gives up nor reads the rest of a (maybe endless) stream as one JSON document.
TEST(Reader, ABadFirstLineIsABadLineNotADocument) {
  const std::string conn =
      R"({"_path":"conn","ts":1521911720.5,"id.orig_h":"10.0.0.1","id.resp_h":"192.0.2.9","proto":"udp"})";
  ReaderOptions zeek;
  zeek.format = LogFormat::kZeekJson;
  std::string deep =
      R"({"_path":"conn","x":)" + std::string(2000, '[') + std::string(2000, ']') + "}";
  // Without --format, a first line that opens with '{' but is no record may begin a JSON
  // document (a pretty-printed bundle): when the whole input is none, it is one bad line too.
  for (const auto& [first, options] :
       {std::pair{std::string("garbage"), ReaderOptions{}},
        std::pair{std::string(R"({"_path":"conn","ts":15)"), zeek},
        std::pair{std::string(R"({"_path":"conn","ts":15)"), ReaderOptions{}},
        std::pair{deep, ReaderOptions{}}}) {
    ReadAll all = FromText(first + "\n" + conn + "\n" + conn + "\n", options);
    EXPECT_EQ(all.records.size(), 2u) << first.substr(0, 40);
    EXPECT_EQ(all.counters.bad, 1u) << first.substr(0, 40);
    EXPECT_EQ(all.counters.records, 3u);
    if (!all.records.empty()) {
      EXPECT_EQ(all.records.back().line, 3u);
    }
    ASSERT_EQ(all.counters.first_errors.size(), 1u);
    EXPECT_NE(all.counters.first_errors[0].find("t:1: not a JSON record"), std::string::npos)
        << all.counters.first_errors[0];
    EXPECT_EQ(all.format, LogFormat::kZeekJson);
  }
}

// A line past 64 MiB (a newline-free stream, a zero-filled tail) is skipped as one bad line
// instead of growing the buffer without bound; the lines around it are read.
TEST(Reader, AnOverlongLineIsSkippedAsOneBadLine) {
  const std::string conn =
      R"({"_path":"conn","ts":1521911720.5,"id.orig_h":"10.0.0.1","id.resp_h":"192.0.2.9","proto":"udp"})";
  ReadAll all =
      FromText(conn + "\n" + std::string((size_t{64} << 20) + 10, 'a') + "\n" + conn + "\n");
  EXPECT_EQ(all.records.size(), 2u);
  EXPECT_EQ(all.counters.bad, 1u);
  ASSERT_EQ(all.counters.first_errors.size(), 1u);
  EXPECT_NE(all.counters.first_errors[0].find("t:2: line longer than 64 MiB"), std::string::npos)
      << all.counters.first_errors[0];
}

// With a field name given twice the first counts, as a JSON object look-up finds it, among many
// fields no mapping reads (ZeekRecord keeps only the names a mapping reads).
TEST(ZeekJson, TheFirstOfDuplicateFieldNamesCounts) {
  std::string line =
      R"({"_path":"conn","ts":1521911720.5,"id.orig_h":"10.0.0.1","id.orig_h":"10.0.0.2",)";
  for (int i = 0; i < 200; ++i) line += "\"x" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  line +=
      R"("id.resp_h":"192.0.2.9","id.resp_p":53,"id.resp_p":80,"id.resp_h":"192.0.2.10","proto":"udp"})";
  ReadAll all = FromText(line + "\n");
  ASSERT_EQ(all.records.size(), 1u);
  const std::string objects = Objects(all.records[0]);
  EXPECT_NE(objects.find("\"10.0.0.1\""), std::string::npos) << objects;
  EXPECT_NE(objects.find("\"192.0.2.9\""), std::string::npos) << objects;
  EXPECT_NE(objects.find("\"dst_port\":53"), std::string::npos) << objects;
  EXPECT_EQ(objects.find("10.0.0.2"), std::string::npos) << objects;
  EXPECT_EQ(objects.find("192.0.2.10"), std::string::npos) << objects;
}

TEST(ZeekJson, ConnBecomesNetworkTrafficWithAddressRefs) {
  ReadAll all = FromText(
      R"({"_path":"conn","ts":1521911720.865716,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":41772,)"
      R"("id.resp_h":"2001:db8::5","id.resp_p":443,"proto":"tcp","service":"ssl,http","orig_pkts":3})"
      "\n");
  ASSERT_EQ(all.records.size(), 1u);
  EXPECT_EQ(all.format, LogFormat::kZeekJson);
  EXPECT_EQ(all.records[0].sensor, "zeek:conn");
  EXPECT_EQ(all.records[0].observation.first_observed.ToString(), "2018-03-24T17:15:20.865716Z");
  EXPECT_EQ(
      Objects(all.records[0]),
      R"({"0":{"type":"ipv4-addr","value":"10.0.0.1"},"1":{"type":"ipv6-addr","value":"2001:db8::5"},)"
      R"("2":{"type":"network-traffic","src_ref":"0","dst_ref":"1","src_port":41772,"dst_port":443,)"
      R"("protocols":["tcp","ssl","http"],"src_packets":3,"start":"2018-03-24T17:15:20.865716Z"}})");
}

// IPv6 addresses are written in RFC 5952 form, as pattern literals are canonicalised: Suricata
// logs every address in full ("2001:0db8:0000:…", DNS AAAA rdata too), Zeek's may be upper case.
// Before, only ISSUBSET matched them.
TEST(Reader, Ipv6AddressesAreWrittenInRfc5952Form) {
  ReadAll zeek = FromText(
      R"({"_path":"conn","ts":1.5,"id.orig_h":"2001:DB8::1","id.orig_p":5000,)"
      R"("id.resp_h":"2001:0db8:0000:0000:0000:0000:0000:0002","id.resp_p":443,"proto":"tcp"})"
      "\n"
      R"({"_path":"dns","ts":1.5,"id.orig_h":"2001:db8::1","id.resp_h":"2001:DB8::1",)"
      R"("query":"v6.example","answers":["2001:DB8:0:0::22","2001:db8::22"]})"
      "\n");
  ASSERT_EQ(zeek.records.size(), 2u);
  const std::string conn = Objects(zeek.records[0]);
  EXPECT_NE(conn.find(R"({"type":"ipv6-addr","value":"2001:db8::1"})"), std::string::npos) << conn;
  EXPECT_NE(conn.find(R"({"type":"ipv6-addr","value":"2001:db8::2"})"), std::string::npos) << conn;
  EXPECT_TRUE(Fires(zeek.records[0], "[ipv6-addr:value = '2001:db8::1']"));
  EXPECT_TRUE(Fires(zeek.records[0], "[network-traffic:dst_ref.value = '2001:db8::2']"));
  // One object per address, whichever way each mention writes it.
  const std::string dns = Objects(zeek.records[1]);
  EXPECT_EQ(dns.find("2001:DB8"), std::string::npos) << dns;
  EXPECT_NE(dns.find(R"("resolves_to_refs":["3"])"), std::string::npos) << dns;
  EXPECT_NE(dns.find(R"("3":{"type":"ipv6-addr","value":"2001:db8::22"})"), std::string::npos)
      << dns;

  ReadAll eve = FromText(
      R"({"timestamp":"2023-03-29T11:01:38Z","event_type":"dns","src_ip":"2001:0db8:0000:0000:0000:0000:0000:0001",)"
      R"("src_port":53,"dest_ip":"2606:4700:0000:0000:0000:0000:6810:84e5","dest_port":5353,"proto":"UDP",)"
      R"("dns":{"version":2,"type":"answer","rrname":"v6.example","answers":[{"rrname":"v6.example",)"
      R"("rrtype":"AAAA","rdata":"2001:0db8:0000:0000:0000:0000:0000:0022"}]}})"
      "\n");
  ASSERT_EQ(eve.records.size(), 1u);
  EXPECT_TRUE(Fires(eve.records[0], "[ipv6-addr:value = '2001:db8::1']"));
  EXPECT_TRUE(Fires(eve.records[0], "[ipv6-addr:value IN ('2606:4700::6810:84e5')]"));
  EXPECT_TRUE(Fires(eve.records[0], "[domain-name:resolves_to_refs[*].value = '2001:DB8::22']"));
  EXPECT_TRUE(Fires(eve.records[0], "[ipv6-addr:value ISSUBSET '2001:db8::/32']"));
}

TEST(ZeekJson, DnsQueryResolvesToAnswersAndIsoTimestampsWork) {
  ReadAll all = FromText(
      R"({"_path":"dns","ts":"2018-03-24T17:15:20.865716Z","id.orig_h":"10.47.1.100","id.orig_p":41772,)"
      R"("id.resp_h":"10.0.0.100","id.resp_p":53,"proto":"udp","query":"ISE.wrccdc.org",)"
      R"("answers":["ise.wrccdc.cpp.edu","134.71.3.16"]})");
  ASSERT_EQ(all.records.size(), 1u);
  std::string o = Objects(all.records[0]);
  EXPECT_NE(
      o.find(R"("3":{"type":"domain-name","value":"ise.wrccdc.org","resolves_to_refs":["4","5"]})"),
      std::string::npos)
      << o;
  EXPECT_NE(o.find(R"("4":{"type":"domain-name","value":"ise.wrccdc.cpp.edu"})"), std::string::npos)
      << o;
  EXPECT_NE(o.find(R"("5":{"type":"ipv4-addr","value":"134.71.3.16"})"), std::string::npos) << o;
}

// Answers are mapped whatever the query was: an address (a resolver asked for an IP literal, as
// in the sample dns.json) or unset. Before, they were dropped with the query.
TEST(ZeekJson, DnsAnswersAreMappedWhenTheQueryIsNoName) {
  ReadAll all = FromText(
      R"({"_path":"dns","ts":1.5,"id.orig_h":"10.47.7.10","id.resp_h":"10.0.0.100","proto":"udp",)"
      R"("query":"10.47.7.30","answers":["10.47.7.30","alias.example"]})"
      "\n"
      R"({"_path":"dns","ts":1.5,"id.orig_h":"10.47.7.10","id.resp_h":"10.0.0.100","proto":"udp",)"
      R"("query":"-","answers":["192.0.2.5"]})"
      "\n");
  ASSERT_EQ(all.records.size(), 2u);
  const std::string literal = Objects(all.records[0]);
  EXPECT_NE(literal.find(R"({"type":"ipv4-addr","value":"10.47.7.30"})"), std::string::npos)
      << literal;
  EXPECT_TRUE(Fires(all.records[0], "[domain-name:value = 'alias.example']")) << literal;
  EXPECT_EQ(literal.find("resolves_to_refs"), std::string::npos) << literal;
  EXPECT_TRUE(Fires(all.records[1], "[ipv4-addr:value = '192.0.2.5']"));
  ReadAll tsv = FromText(
      "#separator \\x09\n#path\tdns\n#fields\tts\tid.orig_h\tquery\tanswers\n"
      "#types\ttime\taddr\tstring\tvector[string]\n"
      "1.5\t10.1.1.3\t-\t192.0.2.6\n");
  ASSERT_EQ(tsv.records.size(), 1u);
  EXPECT_TRUE(Fires(tsv.records[0], "[ipv4-addr:value = '192.0.2.6']"));
}

TEST(ZeekJson, HttpFilesX509AndSmtp) {
  ReadAll all = FromText(
      R"({"_path":"http","ts":1.5,"id.orig_h":"10.0.0.1","id.orig_p":5,"id.resp_h":"198.51.100.1","id.resp_p":8080,"method":"GET","host":"Evil.example","uri":"/a?b=1","user_agent":"curl"})"
      "\n"
      R"({"_path":"files","ts":2.0,"filename":"x.exe","mime_type":"application/x-dosexec","total_bytes":68,"md5":"44d88612fea8a8f36de82e1278abb02f","tx_hosts":["198.51.100.1"]})"
      "\n"
      R"({"_path":"x509","ts":3.0,"fingerprint":"b2dafbcdbc75210672f137f27ce882ccb799887631655d4f11191d5a678e44fe","certificate.serial":"CC57FE54011E","certificate.subject":"CN=a","certificate.issuer":"O=b","certificate.not_valid_before":1315656902.0,"san.dns":["a.example"]})"
      "\n"
      R"({"_path":"smtp","ts":4.0,"id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2","mailfrom":"<bad@evil.example>","rcptto":["a@b.example","c@d.example"],"subject":"Invoice"})"
      "\n");
  ASSERT_EQ(all.records.size(), 4u);
  std::string http = Objects(all.records[0]);
  // The URL's host as indicators hold it (lower case); the header keeps what was sent.
  EXPECT_NE(http.find(R"({"type":"url","value":"http://evil.example:8080/a?b=1"})"),
            std::string::npos)
      << http;
  EXPECT_NE(http.find(R"({"type":"domain-name","value":"evil.example"})"), std::string::npos)
      << http;
  EXPECT_NE(
      http.find(
          R"("http-request-ext":{"request_method":"GET","request_value":"/a?b=1","request_header":{"Host":"Evil.example","User-Agent":"curl"}})"),
      std::string::npos)
      << http;
  std::string files = Objects(all.records[1]);
  EXPECT_NE(
      files.find(
          R"({"type":"file","name":"x.exe","mime_type":"application/x-dosexec","size":68,"hashes":{"MD5":"44d88612fea8a8f36de82e1278abb02f"}})"),
      std::string::npos)
      << files;
  std::string x509 = Objects(all.records[2]);
  EXPECT_NE(x509.find(R"("validity_not_before":"2011-09-10T12:15:02.000000Z")"), std::string::npos)
      << x509;
  EXPECT_NE(x509.find(R"("hashes":{"SHA-256":"b2dafbcd)"), std::string::npos) << x509;
  // As STIX writes serials (and Suricata logs them, in upper case): one value for both sensors.
  EXPECT_NE(x509.find(R"("serial_number":"cc:57:fe:54:01:1e")"), std::string::npos) << x509;
  EXPECT_NE(x509.find(R"({"type":"domain-name","value":"a.example"})"), std::string::npos) << x509;
  std::string smtp = Objects(all.records[3]);
  EXPECT_NE(
      smtp.find(
          R"({"type":"email-message","is_multipart":false,"from_ref":"3","to_refs":["4","5"],"subject":"Invoice"})"),
      std::string::npos)
      << smtp;
  EXPECT_NE(smtp.find(R"("3":{"type":"email-addr","value":"bad@evil.example"})"), std::string::npos)
      << smtp;
}

// Every address of a message is mapped: Cc as cc_refs; the envelope sender, when another address
// than From, and Reply-To as email-addr objects (Reply-To also as the header field). Before, the
// envelope sender was dropped whenever a From header was logged, and Cc and Reply-To never mapped.
TEST(ZeekJson, EveryAddressOfAMessageIsMapped) {
  ReadAll zeek = FromText(
      R"({"_path":"smtp","ts":4.0,"id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2","from":"Boss <boss@corp.example>",)"
      R"("mailfrom":"<bounce@Evil.Example>","to":["a@corp.example"],"cc":["Carl <c@corp.example>"],)"
      R"("rcptto":["<a@corp.example>","<c@corp.example>","<hidden@corp.example>"],)"
      R"("reply_to":"Boss <boss@evil.example>","subject":"Invoice"})"
      "\n"
      R"({"_path":"smtp","ts":4.0,"id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2","from":"x@evil.example",)"
      R"("mailfrom":"<x@Evil.Example>"})"
      "\n");
  ASSERT_EQ(zeek.records.size(), 2u);
  const Kept& mail = zeek.records[0];
  const std::string o = Objects(mail);
  for (const char* pattern :
       {"[email-addr:value = 'bounce@evil.example']", "[email-addr:value = 'bounce@EVIL.example']",
        "[email-addr:value = 'boss@evil.example']",
        "[email-message:cc_refs[*].value = 'c@corp.example']",
        "[email-message:to_refs[*].value = 'hidden@corp.example']",
        "[email-message:from_ref.value = 'boss@corp.example']",
        "[email-message:additional_header_fields.'Reply-To' = "
        "'Boss <boss@evil.example>']"}) {
    EXPECT_TRUE(Fires(mail, pattern)) << pattern << "\n" << o;
  }
  // A recipient Cc names is not a To recipient as well.
  EXPECT_FALSE(Fires(mail, "[email-message:to_refs[*].value = 'c@corp.example']")) << o;
  EXPECT_FALSE(Fires(mail, "[email-message:from_ref.value = 'bounce@evil.example']")) << o;
  // The same address in both: one object.
  const std::string same = Objects(zeek.records[1]);
  EXPECT_EQ(same.find("Evil"), std::string::npos) << same;
  EXPECT_EQ(same.find("\"email-addr\"", same.find("\"email-addr\"") + 1), std::string::npos)
      << same;

  ReadAll eve = FromText(
      R"({"timestamp":"2020-01-01T00:00:00Z","event_type":"smtp","src_ip":"10.0.0.1","src_port":5000,)"
      R"("dest_ip":"10.0.0.2","dest_port":25,"proto":"TCP","smtp":{"helo":"x","mail_from":"<bounce@evil.example>",)"
      R"("rcpt_to":["<a@corp.example>"]},"email":{"status":"PARSE_DONE","from":"Boss <boss@corp.example>",)"
      R"("to":["a@corp.example"],"cc":["c@corp.example"],"subject":"Invoice"}})"
      "\n");
  ASSERT_EQ(eve.records.size(), 1u);
  EXPECT_TRUE(Fires(eve.records[0], "[email-addr:value = 'bounce@evil.example']"))
      << Objects(eve.records[0]);
  EXPECT_TRUE(Fires(eve.records[0], "[email-message:cc_refs[*].value = 'c@corp.example']"))
      << Objects(eve.records[0]);
  EXPECT_TRUE(Fires(eve.records[0], "[email-message:from_ref.value = 'boss@corp.example']"))
      << Objects(eve.records[0]);
}

// What a record says is mapped as indicators are written: a URL requested through a proxy (the
// request target in absolute form) is that URL, its host in lower case; an e-mail address's
// domain in lower case; a Suricata http event's URL on the server's port, whichever is lower.
TEST(ZeekJson, UrlsAndAddressesAsIndicatorsWriteThem) {
  ReadAll zeek = FromText(
      R"({"_path":"http","ts":1.5,"id.orig_h":"10.0.0.1","id.orig_p":5,"id.resp_h":"198.51.100.1","id.resp_p":3128,"method":"GET","host":"evil2.example.com","uri":"HTTP://Evil2.Example.com:80/x?A=1"})"
      "\n"
      R"({"_path":"smtp","ts":4.0,"id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2","from":"\"Bad Guy\" <Bad.Guy@Example.COM>","subject":"Invoice"})"
      "\n");
  ASSERT_EQ(zeek.records.size(), 2u);
  const std::string proxied = Objects(zeek.records[0]);
  EXPECT_NE(proxied.find(R"({"type":"url","value":"http://evil2.example.com/x?A=1"})"),
            std::string::npos)
      << proxied;
  const std::string mail = Objects(zeek.records[1]);
  EXPECT_NE(mail.find(R"({"type":"email-addr","value":"Bad.Guy@example.com"})"), std::string::npos)
      << mail;
  ReadAll eve = FromText(
      R"({"timestamp":"2024-01-01T00:00:00Z","event_type":"http","src_ip":"10.0.0.1","src_port":3000,"dest_ip":"198.51.100.1","dest_port":8080,"proto":"TCP","http":{"hostname":"evil2.example.com","url":"/x"}})"
      "\n");
  ASSERT_EQ(eve.records.size(), 1u);
  const std::string http = Objects(eve.records[0]);
  EXPECT_NE(http.find(R"({"type":"url","value":"http://evil2.example.com:8080/x"})"),
            std::string::npos)
      << http;
}

// A request URL is built from the Host's name and port apart, as URL literals are canonicalised:
// an explicit default port is dropped and so is the DNS root dot. Before, "host:80" and
// "host." made URLs no indicator could match.
TEST(ZeekJson, RequestUrlsDropADefaultPortAndTheRootDot) {
  auto http = [](const std::string& host, int port, const std::string& uri) {
    return R"({"_path":"http","ts":1.5,"id.orig_h":"10.0.0.5","id.orig_p":50003,"id.resp_h":"198.51.100.3",)"
           R"("id.resp_p":)" +
           std::to_string(port) + R"(,"method":"GET","host":")" + host + R"(","uri":")" + uri +
           "\"}\n";
  };
  ReadAll zeek =
      FromText(http("default80.example:80", 8080, "/b") + http("dotted.example.", 80, "/c") +
               http("Dotted.Example.:8443", 80, "/d") + http("[2001:DB8::1]:8080", 80, "/e") +
               http("2001:db8::1", 8000, "/f"));
  ASSERT_EQ(zeek.records.size(), 5u);
  EXPECT_TRUE(Fires(zeek.records[0], "[url:value = 'http://default80.example/b']"))
      << Objects(zeek.records[0]);
  EXPECT_TRUE(Fires(zeek.records[1], "[url:value = 'http://dotted.example/c']"))
      << Objects(zeek.records[1]);
  EXPECT_TRUE(Fires(zeek.records[2], "[url:value = 'http://dotted.example:8443/d']"))
      << Objects(zeek.records[2]);
  EXPECT_NE(Objects(zeek.records[3]).find(R"("value":"http://[2001:db8::1]:8080/e")"),
            std::string::npos)
      << Objects(zeek.records[3]);
  EXPECT_NE(Objects(zeek.records[4]).find(R"("value":"http://[2001:db8::1]:8000/f")"),
            std::string::npos)
      << Objects(zeek.records[4]);

  ReadAll eve = FromText(
      R"({"timestamp":"2023-03-29T11:01:38Z","event_type":"http","src_ip":"10.0.0.5","src_port":50001,)"
      R"("dest_ip":"198.51.100.1","dest_port":80,"proto":"TCP","http":{"hostname":"Dotted.Example.",)"
      R"("url":"/g","http_method":"GET"}})"
      "\n");
  ASSERT_EQ(eve.records.size(), 1u);
  EXPECT_TRUE(Fires(eve.records[0], "[url:value = 'http://dotted.example/g']"))
      << Objects(eve.records[0]);
}

// A server named by host (HTTP Host, TLS server name) is also the dst_ref of the connection once
// more, so host-and-port indicators (MISP hostname|port) can match: the client and protocols
// are the connection's, the port the one the client asked the host for. A proxied request's
// connection is the proxy's, so it gets none.
TEST(Reader, ConnectAndAsteriskTargetsAreNoUrlPaths) {
  // CONNECT's target is a host and port to tunnel to (the host is kept, no URL is made of it);
  // OPTIONS *'s is the server itself.
  ReadAll zeek = FromText(
      R"({"_path":"http","ts":1.5,"id.orig_h":"10.0.0.1","id.orig_p":5,"id.resp_h":"198.51.100.1","id.resp_p":3128,"method":"CONNECT","host":"evil.example:443","uri":"evil.example:443"})"
      "\n"
      R"({"_path":"http","ts":1.5,"id.orig_h":"10.0.0.1","id.orig_p":5,"id.resp_h":"198.51.100.1","id.resp_p":80,"method":"OPTIONS","host":"a.example","uri":"*"})"
      "\n");
  ReadAll eve = FromText(
      R"({"timestamp":"2020-01-01T00:00:02Z","event_type":"http","src_ip":"10.0.0.1","src_port":50001,"dest_ip":"203.0.113.5","dest_port":3128,"proto":"TCP","http":{"hostname":"evil.example","http_port":443,"url":"evil.example:443","http_method":"CONNECT"}})"
      "\n");
  ASSERT_EQ(zeek.records.size(), 2u);
  ASSERT_EQ(eve.records.size(), 1u);
  for (const std::string& tunnel : {Objects(zeek.records[0]), Objects(eve.records[0])}) {
    EXPECT_EQ(tunnel.find(R"("type":"url")"), std::string::npos) << tunnel;
    EXPECT_NE(tunnel.find(R"({"type":"domain-name","value":"evil.example"})"), std::string::npos)
        << tunnel;
  }
  EXPECT_NE(Objects(zeek.records[1]).find(R"({"type":"url","value":"http://a.example/"})"),
            std::string::npos)
      << Objects(zeek.records[1]);
}

TEST(ZeekJson, ApplicationLogsWithoutProtoNameTheirTransport) {
  // Only conn.log has `proto`; HTTP, TLS and SMTP run over TCP, and DTLS (in ssl.log) over UDP.
  ReadAll zeek = FromText(
      R"({"_path":"http","ts":1.5,"id.orig_h":"10.0.0.1","id.orig_p":5,"id.resp_h":"198.51.100.1","id.resp_p":80,"uri":"/a"})"
      "\n"
      R"({"_path":"ssl","ts":1.5,"id.orig_h":"10.0.0.1","id.orig_p":6,"id.resp_h":"198.51.100.2","id.resp_p":443,"version":"TLSv13"})"
      "\n"
      R"({"_path":"ssl","ts":1.5,"id.orig_h":"10.0.0.1","id.orig_p":7,"id.resp_h":"198.51.100.2","id.resp_p":4433,"version":"DTLSv12"})"
      "\n"
      R"({"_path":"smtp","ts":1.5,"id.orig_h":"10.0.0.1","id.orig_p":8,"id.resp_h":"198.51.100.3","id.resp_p":25,"mailfrom":"a@b.example"})"
      "\n");
  ASSERT_EQ(zeek.records.size(), 4u);
  EXPECT_NE(Objects(zeek.records[0]).find(R"("protocols":["tcp","http"])"), std::string::npos)
      << Objects(zeek.records[0]);
  EXPECT_NE(Objects(zeek.records[1]).find(R"("protocols":["tcp","ssl"])"), std::string::npos)
      << Objects(zeek.records[1]);
  EXPECT_NE(Objects(zeek.records[2]).find(R"("protocols":["udp","ssl"])"), std::string::npos)
      << Objects(zeek.records[2]);
  EXPECT_NE(Objects(zeek.records[3]).find(R"("protocols":["tcp","smtp"])"), std::string::npos)
      << Objects(zeek.records[3]);
}

TEST(ZeekJson, AServerNamedByHostIsTheDestinationOfTheConnectionToo) {
  ReadAll zeek = FromText(
      R"({"_path":"http","ts":1.5,"id.orig_h":"10.0.0.1","id.orig_p":5,"id.resp_h":"198.51.100.1","id.resp_p":8080,"proto":"tcp","host":"Evil.example:8081","uri":"/a"})"
      "\n"
      R"({"_path":"ssl","ts":1.5,"id.orig_h":"10.0.0.1","id.orig_p":6,"id.resp_h":"198.51.100.2","id.resp_p":443,"proto":"tcp","server_name":"c2.example"})"
      "\n"
      R"({"_path":"http","ts":1.5,"id.orig_h":"10.0.0.1","id.orig_p":7,"id.resp_h":"198.51.100.1","id.resp_p":3128,"proto":"tcp","host":"evil2.example","uri":"http://evil2.example/x"})"
      "\n"
      R"({"_path":"http","ts":1.5,"id.orig_h":"10.0.0.1","id.orig_p":8,"id.resp_h":"198.51.100.1","id.resp_p":80,"proto":"tcp","host":"[2001:db8::1]:8080","uri":"/"})"
      "\n");
  ASSERT_EQ(zeek.records.size(), 4u);
  const std::string http = Objects(zeek.records[0]);
  EXPECT_NE(http.find(R"("3":{"type":"domain-name","value":"evil.example"})"), std::string::npos)
      << http;
  EXPECT_NE(http.find(R"("4":{"type":"network-traffic","src_ref":"0","dst_ref":"3","src_port":5,)"
                      R"("dst_port":8081,"protocols":["tcp","http"]})"),
            std::string::npos)
      << http;
  const std::string tls = Objects(zeek.records[1]);
  EXPECT_NE(tls.find(R"({"type":"network-traffic","src_ref":"0","dst_ref":"3","src_port":6,)"
                     R"("dst_port":443,"protocols":["tcp","ssl"]})"),
            std::string::npos)
      << tls;
  const std::string proxied = Objects(zeek.records[2]);
  EXPECT_EQ(proxied.find(R"("dst_ref":"3")"), std::string::npos) << proxied;
  // An address in the Host header is no host name: the connection already names it.
  const std::string literal = Objects(zeek.records[3]);
  EXPECT_EQ(literal.find("domain-name"), std::string::npos) << literal;

  // Suricata: which end is the server follows the event (here a download, server → client).
  ReadAll eve = FromText(
      R"({"timestamp":"2016-06-08T20:01:52Z","event_type":"fileinfo","src_ip":"188.40.238.250","src_port":80,"dest_ip":"10.16.1.11","dest_port":59908,"proto":"TCP","app_proto":"http","http":{"hostname":"WWW.eicar.org","url":"/x"}})"
      "\n"
      R"({"timestamp":"2020-01-01T00:00:01Z","event_type":"tls","src_ip":"10.0.0.1","src_port":50000,"dest_ip":"203.0.113.5","dest_port":443,"proto":"TCP","tls":{"sni":"x.example"}})"
      "\n"
      R"({"timestamp":"2020-01-01T00:00:02Z","event_type":"http","src_ip":"10.0.0.1","src_port":50001,"dest_ip":"203.0.113.5","dest_port":80,"proto":"TCP","http":{"hostname":"h.example","http_port":8080,"url":"/"}})"
      "\n");
  ASSERT_EQ(eve.records.size(), 3u);
  const std::string download = Objects(eve.records[0]);
  EXPECT_NE(
      download.find(R"({"type":"network-traffic","src_ref":"1","dst_ref":"3","src_port":59908,)"
                    R"("dst_port":80,"protocols":["tcp","http"]})"),
      std::string::npos)
      << download;
  const std::string sni = Objects(eve.records[1]);
  EXPECT_NE(sni.find(R"({"type":"network-traffic","src_ref":"0","dst_ref":"3","src_port":50000,)"
                     R"("dst_port":443,"protocols":["tcp"]})"),
            std::string::npos)
      << sni;
  // The Host header's port (http_port), as the client asked the host for it.
  const std::string asked = Objects(eve.records[2]);
  EXPECT_NE(asked.find(R"("dst_ref":"3","src_port":50001,"dst_port":8080,)"), std::string::npos)
      << asked;
}

// An address where a name is expected (an HTTP Host, a TLS server name, a DNS SAN) is mapped as
// an address rather than not at all; every certificate of a TLS chain is mapped; text answers
// (TXT) are no domain-names; Suricata ports written as strings of digits are read.
TEST(Reader, AddressesForNamesWholeChainsTextAnswersAndPortsAsStrings) {
  ReadAll zeek = FromText(
      R"({"_path":"http","ts":1.5,"id.orig_h":"10.0.0.1","id.orig_p":5,"id.resp_h":"198.51.100.1",)"
      R"("id.resp_p":80,"method":"GET","host":"203.0.113.80","uri":"/"})"
      "\n"
      R"({"_path":"ssl","ts":1.5,"id.orig_h":"10.0.0.1","id.orig_p":6,"id.resp_h":"198.51.100.2",)"
      R"("id.resp_p":443,"server_name":"2001:db8::443","cert_chain_fps":)"
      R"(["b2dafbcdbc75210672f137f27ce882ccb799887631655d4f11191d5a678e44fe",)"
      R"("1111111111111111111111111111111111111111111111111111111111111111"]})"
      "\n"
      R"({"_path":"x509","ts":3.0,"fingerprint":"b2dafbcdbc75210672f137f27ce882ccb799887631655d4f11191d5a678e44fe",)"
      R"("san.dns":["alt.example","192.0.2.77"]})"
      "\n"
      R"({"_path":"dns","ts":1.5,"id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.53","query":"spf.example",)"
      R"("answers":["TXT 27 v=spf1 include:x.example","192.0.2.9"]})"
      "\n");
  ASSERT_EQ(zeek.records.size(), 4u);
  EXPECT_TRUE(Fires(zeek.records[0], "[ipv4-addr:value = '203.0.113.80']"))
      << Objects(zeek.records[0]);
  EXPECT_TRUE(Fires(zeek.records[1], "[ipv6-addr:value = '2001:db8::443']"))
      << Objects(zeek.records[1]);
  EXPECT_TRUE(Fires(zeek.records[1],
                    "[x509-certificate:hashes.'SHA-256' = "
                    "'1111111111111111111111111111111111111111111111111111111111111111']"))
      << Objects(zeek.records[1]);
  EXPECT_TRUE(Fires(zeek.records[2], "[ipv4-addr:value = '192.0.2.77']"))
      << Objects(zeek.records[2]);
  const std::string txt = Objects(zeek.records[3]);
  EXPECT_EQ(txt.find("v=spf1"), std::string::npos) << txt;
  EXPECT_NE(txt.find(R"("resolves_to_refs":["4"])"), std::string::npos) << txt;

  ReadAll eve = FromText(
      R"({"timestamp":"2020-01-01T00:00:00Z","event_type":"dns","src_ip":"10.0.0.53","src_port":"53",)"
      R"("dest_ip":"10.0.0.1","dest_port":"5353","proto":"UDP","dns":{"version":2,"type":"answer",)"
      R"("rrname":"spf.example","answers":[{"rrname":"spf.example","rrtype":"TXT","rdata":"v=spf1"},)"
      R"({"rrname":"spf.example","rrtype":"A","rdata":"192.0.2.9"}],"grouped":{"TXT":["google-site-verification=x"]}}})"
      "\n"
      R"({"timestamp":"2020-01-01T00:00:01Z","event_type":"tls","src_ip":"10.0.0.1","src_port":50000,)"
      R"("dest_ip":"203.0.113.5","dest_port":443,"proto":"TCP","tls":{"sni":"203.0.113.6"}})"
      "\n");
  ASSERT_EQ(eve.records.size(), 2u);
  const std::string dns = Objects(eve.records[0]);
  EXPECT_EQ(dns.find(R"("value":"v=spf1")"), std::string::npos) << dns;
  EXPECT_EQ(dns.find("google-site-verification"), std::string::npos) << dns;
  EXPECT_TRUE(Fires(eve.records[0], "[domain-name:resolves_to_refs[*].value = '192.0.2.9']"))
      << dns;
  EXPECT_TRUE(
      Fires(eve.records[0], "[network-traffic:src_port = 53 AND network-traffic:dst_port = 5353]"))
      << dns;
  EXPECT_TRUE(Fires(eve.records[1], "[ipv4-addr:value = '203.0.113.6']"))
      << Objects(eve.records[1]);
}

TEST(ZeekJson, LeadingBlanksDoNotHideTheFormat) {
  ReadAll all = FromText(
      "\n   "
      R"({"_path":"conn","ts":1.0,"id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2"})"
      "\n");
  EXPECT_EQ(all.format, LogFormat::kZeekJson);
  EXPECT_EQ(all.records.size(), 1u);
}

TEST(ZeekJson, BadLinesAreCountedWithTheirLineNumberNeverFatal) {
  ReadAll all =
      FromText(R"({"_path":"conn","ts":1.0,"id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2"})"
               "\n"
               "{not json\n"
               "\n"
               R"({"_path":"conn","id.orig_h":"10.0.0.1"})"
               "\n"
               R"({"_path":"pe","ts":1.0,"machine":"I386"})"
               "\n"
               R"({"_path":"conn","ts":2.0,"id.orig_h":"10.0.0.3","id.resp_h":"10.0.0.4"})"
               "\n");
  EXPECT_EQ(all.records.size(), 2u);
  EXPECT_EQ(all.counters.lines, 6u);
  EXPECT_EQ(all.counters.records, 5u);
  EXPECT_EQ(all.counters.mapped, 2u);
  EXPECT_EQ(all.counters.unmapped, 1u);
  EXPECT_EQ(all.counters.bad, 2u);
  ASSERT_EQ(all.counters.first_errors.size(), 2u);
  EXPECT_EQ(all.counters.first_errors[0].rfind("t:2: not JSON", 0), 0u)
      << all.counters.first_errors[0];
  EXPECT_EQ(all.counters.first_errors[1], "t:4: no usable 'ts' field");
  EXPECT_EQ(all.records[1].line, 6u);
}

// Values no mapping reads are still checked, as a JSON parser would: a malformed or absurdly
// deep one makes the line bad (never a crash: 200,000 levels), one within simdjson's depth limit
// is read.
TEST(ZeekJson, UnreadNestedValuesAreCheckedAndDepthIsLimited) {
  const std::string head = R"({"_path":"conn","ts":1.0,"id.orig_h":"10.0.0.1","x":)";
  auto nested = [](size_t n) { return std::string(n, '[') + std::string(n, ']'); };
  ReadAll all = FromText(R"({"_path":"conn","ts":1.0,"id.orig_h":"10.0.0.9"})"
                         "\n" +
                         head + nested(1000) + "}\n" +                    // read
                         head + nested(200000) + "}\n" +                  // too deep
                         head + R"({"deep":[1,{"a":tru}]}})" + "\n" +     // malformed
                         head + R"([1,"a",null,{"b":[true]}]})" + "\n" +  // read
                         head + R"(1} trailing)" + "\n");                 // trailing text
  EXPECT_EQ(all.counters.records, 6u);
  EXPECT_EQ(all.counters.mapped, 3u);
  EXPECT_EQ(all.counters.bad, 3u);
  ASSERT_EQ(all.counters.first_errors.size(), 3u);
  EXPECT_NE(all.counters.first_errors[0].find("t:3: not JSON: The JSON document was too deep"),
            std::string::npos)
      << all.counters.first_errors[0];
  EXPECT_EQ(all.counters.first_errors[1].rfind("t:4: not JSON", 0), 0u)
      << all.counters.first_errors[1];
  EXPECT_EQ(all.counters.first_errors[2].rfind("t:6: not JSON", 0), 0u)
      << all.counters.first_errors[2];
}

// Numbers no sensor writes — times far outside years 1–9999, ports past int64 — make the line
// bad or the field absent; converting them was undefined behaviour (UBSan, zeek_json_fuzz).
TEST(ZeekJson, OutOfRangeNumbersAreRefusedNotConverted) {
  ReadAll all = FromText(
      R"({"_path":"conn","ts":1e300,"id.orig_h":"10.0.0.1"})"
      "\n"
      R"({"_path":"conn","ts":-1e300,"id.orig_h":"10.0.0.1"})"
      "\n"
      R"({"_path":"conn","ts":18446744073709551615,"id.orig_h":"10.0.0.1"})"
      "\n"
      // As text (TSV writes it so): the first second of year 10000, which no STIX time can say.
      R"({"_path":"conn","ts":"253402300800","id.orig_h":"10.0.0.1"})"
      "\n"
      R"({"_path":"conn","ts":1.5,"id.orig_h":"10.0.0.1","id.orig_p":12345678901234567890,"id.resp_h":"10.0.0.2","id.resp_p":443})"
      "\n");
  EXPECT_EQ(all.counters.bad, 4u);
  ASSERT_EQ(all.counters.first_errors.size(), 4u);
  EXPECT_EQ(all.counters.first_errors[3], "t:4: no usable 'ts' field");
  EXPECT_EQ(all.counters.first_errors[0], "t:1: no usable 'ts' field");
  ASSERT_EQ(all.records.size(), 1u);
  std::string conn = Objects(all.records[0]);
  EXPECT_EQ(conn.find("src_port"), std::string::npos) << conn;
  EXPECT_NE(conn.find(R"("dst_port":443)"), std::string::npos) << conn;
}

const char kTsv[] =
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n"
    "#open\t2024-04-12-19-29-12\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tanswers\tTTLs\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tvector[string]\tvector[interval]\n"
    "1521911720.865716\tC1\t10.47.1.100\t41772\t10.0.0.100\t53\tudp\tise.wrccdc.org\tise.wrccdc."
    "cpp.edu,134.71.3.16\t1.0,2.0\n"
    "1521911721.000000\tC2\t10.47.1.100\t41773\t10.0.0.100\t53\tudp\t-\t(empty)\t(empty)\n"
    "1521911722.5\tC3\ttoo\tfew\n"
    "#close\t2024-04-12-19-29-13\n";

TEST(ZeekTsv, HeadersSetsUnsetAndEmptyFields) {
  ReadAll all = FromText(kTsv);
  EXPECT_EQ(all.format, LogFormat::kZeekTsv);
  ASSERT_EQ(all.records.size(), 2u);
  EXPECT_EQ(all.records[0].sensor, "zeek:dns");
  EXPECT_EQ(all.records[0].line, 9u);
  EXPECT_EQ(all.records[0].observation.first_observed.ToString(), "2018-03-24T17:15:20.865716Z");
  std::string o = Objects(all.records[0]);
  EXPECT_NE(
      o.find(R"({"type":"domain-name","value":"ise.wrccdc.org","resolves_to_refs":["4","5"]})"),
      std::string::npos)
      << o;
  EXPECT_NE(o.find(R"("src_port":41772,"dst_port":53,"protocols":["udp","dns"])"),
            std::string::npos)
      << o;
  EXPECT_EQ(Objects(all.records[1]).find("domain-name"), std::string::npos);
  EXPECT_EQ(all.counters.records, 3u);
  EXPECT_EQ(all.counters.bad, 1u);
  EXPECT_EQ(all.counters.first_errors[0], "t:11: has 4 fields, the header names 10");
}

// No JSON line starts with '#': a banner or comment an exporter wrote above the records is
// skipped like a blank line (it made the whole log "Zeek TSV", every record then bad), and a
// Zeek TSV log is still told by its header, after a comment too.
TEST(Reader, CommentLinesAreSkippedAndZeekTsvIsToldByItsHeader) {
  const std::string conn =
      R"({"_path":"conn","ts":1521911720.5,"id.orig_h":"10.0.0.1","id.resp_h":"192.0.2.9","proto":"udp"})";
  ReaderOptions zeek;
  zeek.format = LogFormat::kZeekJson;
  for (const ReaderOptions& options : {ReaderOptions{}, zeek}) {
    ReadAll all =
        FromText("# exported by sensor-1\n" + conn + "\n  # more\n" + conn + "\n", options);
    EXPECT_EQ(all.format, LogFormat::kZeekJson);
    EXPECT_EQ(all.records.size(), 2u);
    EXPECT_EQ(all.counters.records, 2u);
    EXPECT_EQ(all.counters.bad, 0u);
  }
  ReadAll tsv = FromText("# copied from the sensor\n" + std::string(kTsv));
  EXPECT_EQ(tsv.format, LogFormat::kZeekTsv);
  EXPECT_EQ(tsv.records.size(), 2u);
}

// Zeek's ASCII writer escapes non-printable bytes and separators inside values as \xNN: values
// are read as the sensor saw them (a URI with é, a set member holding a comma).
TEST(ZeekTsv, EscapedBytesInValuesAreDecoded) {
  ReadAll all = FromText(
      "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\thttp\n"
      "#fields\tts\tid.orig_h\tid.resp_h\tid.resp_p\thost\turi\n"
      "#types\ttime\taddr\taddr\tport\tstring\tstring\n"
      "1.5\t10.0.0.1\t198.51.100.1\t80\tevil.example\t/caf\\xc3\\xa9?a=1\\x2c2\n");
  ASSERT_EQ(all.records.size(), 1u);
  const std::string o = Objects(all.records[0]);
  EXPECT_NE(o.find("\"value\":\"http://evil.example/caf\u00e9?a=1,2\""), std::string::npos) << o;
}

// Found by zeek_tsv_fuzz: a "\x" escape without hex digits threw from std::stoi, and an empty
// #set_separator made list splitting loop forever.
TEST(ZeekTsv, MalformedHeadersAreHarmless) {
  ReadAll all = FromText(
      "#separator \\x09\n#set_separatorto\n#set_separator \\x#s\n"
      "#set_separator\t\n#fields\tts\tanswers\n#types\ttime\tvector[string]\n"
      "1.0\ta,b\n");
  EXPECT_EQ(all.counters.records, 1u);
  EXPECT_EQ(all.counters.bad + all.counters.unmapped + all.counters.mapped, 1u);
}

TEST(SuricataEve, EventsOfEveryKindAndTimeZones) {
  ReadAll all = FromText(
      R"({"timestamp":"2018-03-24T14:37:19.037299-0600","event_type":"alert","src_ip":"0.0.0.0","src_port":26078,"dest_ip":"10.47.8.150","dest_port":22,"proto":"TCP","alert":{"signature":"ET SCAN"},"flow":{"pkts_toserver":1,"bytes_toserver":74,"start":"2018-03-24T14:37:19.037299-0600"}})"
      "\n"
      R"({"timestamp":"2016-06-08T20:01:52.875791+0000","event_type":"fileinfo","src_ip":"188.40.238.250","src_port":80,"dest_ip":"10.16.1.11","dest_port":59908,"proto":"TCP","http":{"hostname":"WWW.eicar.org","url":"/download/eicar.com","http_user_agent":"curl/7.43.0","http_method":"GET","protocol":"HTTP/1.1"},"app_proto":"http","fileinfo":{"filename":"/download/eicar.com","size":68,"md5":"44d88612fea8a8f36de82e1278abb02f"}})"
      "\n"
      R"({"timestamp":"2020-01-01T00:00:00.000000+0000","event_type":"dns","src_ip":"10.0.0.1","dest_ip":"10.0.0.53","proto":"UDP","dns":{"version":2,"type":"answer","rrname":"x.example","answers":[{"rrname":"x.example","rrtype":"A","rdata":"203.0.113.5"}]}})"
      "\n"
      R"({"timestamp":"2020-01-01T00:00:01.000000+0000","event_type":"tls","src_ip":"10.0.0.1","dest_ip":"203.0.113.5","dest_port":443,"proto":"TCP","tls":{"sni":"x.example","subject":"CN=x","issuerdn":"CN=ca","serial":"0C:9F:1A","fingerprint":"3a:9b:07:95:43:ae:6b:3b:04:32:25:4d:bd:9c:c3:36:d6:72:46:f8","notbefore":"2019-01-01T00:00:00"}})"
      "\n");
  ASSERT_EQ(all.records.size(), 4u);
  EXPECT_EQ(all.format, LogFormat::kSuricataEve);
  EXPECT_EQ(all.records[0].sensor, "suricata:alert");
  EXPECT_EQ(all.records[0].observation.first_observed.ToString(), "2018-03-24T20:37:19.037299Z");
  std::string alert = Objects(all.records[0]);
  EXPECT_NE(
      alert.find(R"("src_byte_count":74,"src_packets":1,"start":"2018-03-24T20:37:19.037299Z")"),
      std::string::npos)
      << alert;
  std::string file = Objects(all.records[1]);
  EXPECT_NE(file.find(R"({"type":"url","value":"http://www.eicar.org/download/eicar.com"})"),
            std::string::npos)
      << file;
  EXPECT_NE(
      file.find(
          R"({"type":"file","name":"eicar.com","size":68,"hashes":{"MD5":"44d88612fea8a8f36de82e1278abb02f"}})"),
      std::string::npos)
      << file;
  std::string dns = Objects(all.records[2]);
  EXPECT_NE(dns.find(R"({"type":"domain-name","value":"x.example","resolves_to_refs":["4"]})"),
            std::string::npos)
      << dns;
  std::string tls = Objects(all.records[3]);
  EXPECT_NE(tls.find(R"("hashes":{"SHA-1":"3a9b079543ae6b3b0432254dbd9cc336d67246f8"})"),
            std::string::npos)
      << tls;
  EXPECT_NE(tls.find(R"("validity_not_before":"2019-01-01T00:00:00.000000Z")"), std::string::npos)
      << tls;
  EXPECT_NE(tls.find(R"("serial_number":"0c:9f:1a")"), std::string::npos) << tls;
}

// Alert events of Suricata 5–7 nest their transaction's DNS as AlertJsonDns writes it: a `query`
// list and one `answer` object. Before, only top-level rrname/queries/answers were read.
TEST(SuricataEve, AlertEventsNestDnsQueriesAndAnswers) {
  ReadAll all = FromText(
      R"({"timestamp":"2023-03-29T11:01:38Z","event_type":"alert","src_ip":"10.0.0.5","src_port":5353,)"
      R"("dest_ip":"10.0.0.1","dest_port":53,"proto":"UDP","alert":{"signature_id":1},"app_proto":"dns",)"
      R"("dns":{"query":[{"type":"query","id":1,"rrname":"Query.Example","rrtype":"A","tx_id":0}]}})"
      "\n"
      R"({"timestamp":"2023-03-29T11:01:38Z","event_type":"alert","src_ip":"10.0.0.1","src_port":53,)"
      R"("dest_ip":"10.0.0.5","dest_port":5353,"proto":"UDP","alert":{"signature_id":2},"app_proto":"dns",)"
      R"("dns":{"answer":{"version":2,"type":"answer","id":2,"flags":"8180","qr":true,)"
      R"("rrname":"answer.example","rrtype":"A","rcode":"NOERROR","answers":[{"rrname":"answer.example",)"
      R"("rrtype":"CNAME","ttl":1,"rdata":"cname.example"},{"rrname":"cname.example","rrtype":"A",)"
      R"("ttl":1,"rdata":"192.0.2.33"}],"grouped":{"A":["192.0.2.33"]}}}})"
      "\n");
  ASSERT_EQ(all.records.size(), 2u);
  EXPECT_TRUE(Fires(all.records[0], "[domain-name:value = 'query.example']"));
  const std::string answer = Objects(all.records[1]);
  EXPECT_NE(
      answer.find(
          R"("3":{"type":"domain-name","value":"answer.example","resolves_to_refs":["4","5"]})"),
      std::string::npos)
      << answer;
  EXPECT_TRUE(Fires(all.records[1], "[domain-name:value = 'cname.example']"));
  EXPECT_TRUE(Fires(all.records[1], "[domain-name:resolves_to_refs[*].value = '192.0.2.33']"));
}

// The sensor kind comes from the log: interleaved kinds are each counted, and a log naming
// thousands of made-up kinds cannot grow the counters past a bound.
TEST(SuricataEve, RecordsAreCountedPerKindWithABoundOnKinds) {
  std::string text;
  auto event = [](const std::string& kind) {
    return R"({"timestamp":"2020-01-01T00:00:00Z","event_type":")" + kind +
           R"(","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":"TCP"})" + "\n";
  };
  for (int i = 0; i < 30; ++i) text += event("flow") + event("dns") + event("http");
  for (int i = 0; i < 1000; ++i) text += event("made-up-" + std::to_string(i));
  ReadAll all = FromText(text);
  ASSERT_EQ(all.counters.mapped, 1090u);
  const auto& by = all.counters.mapped_by_sensor;
  EXPECT_EQ(by.at("suricata:flow"), 30u);
  EXPECT_EQ(by.at("suricata:dns"), 30u);
  EXPECT_EQ(by.at("suricata:http"), 30u);
  EXPECT_EQ(by.size(), 65u);  // 64 kinds, then "(other kinds)"
  EXPECT_EQ(by.at("(other kinds)"), 1000u - 61u);
  uint64_t sum = 0;
  for (const auto& [kind, n] : by) sum += n;
  EXPECT_EQ(sum, all.counters.mapped);
  EXPECT_EQ(all.records.back().sensor, "suricata:made-up-999");  // the record keeps its own kind
}

TEST(SuricataEve, APrettyPrintedArrayOfEventsIsReadWhole) {
  ReadAll all = FromText(
      "[\n  {\n    \"timestamp\": \"2018-03-24T14:37:19.037299-0600\",\n    \"event_type\": "
      "\"alert\",\n"
      "    \"src_ip\": \"10.0.0.1\", \"dest_ip\": \"10.0.0.2\", \"proto\": \"TCP\"\n  },\n"
      "  {\"timestamp\": \"bad\", \"event_type\": \"alert\"}\n]\n");
  EXPECT_EQ(all.records.size(), 1u);
  EXPECT_EQ(all.counters.records, 2u);
  EXPECT_EQ(all.counters.bad, 1u);
  EXPECT_EQ(all.counters.first_errors[0], "t:2: no usable 'timestamp'");
}

TEST(Stix, BundlesAreReadWithTheEvaluatorsReader) {
  ReadAll all = FromText(R"({"type":"bundle","id":"bundle--1","objects":[
    {"type":"observed-data","id":"observed-data--1","first_observed":"2020-01-01T00:00:00Z",
     "last_observed":"2020-01-01T00:00:00Z","number_observed":1,"object_refs":["ipv4-addr--1"]},
    {"type":"ipv4-addr","id":"ipv4-addr--1","value":"203.0.113.33"}]})");
  ASSERT_EQ(all.records.size(), 1u);
  EXPECT_EQ(all.format, LogFormat::kStix);
  EXPECT_EQ(all.records[0].sensor, "stix:observed-data");
}

// One bad observed-data is one bad record of the bundle, not the end of the log.
TEST(Stix, ABadObservedDataIsOneBadRecord) {
  ReadAll all = FromText(R"({"type":"bundle","id":"bundle--1","objects":[
    {"type":"observed-data","id":"observed-data--1","first_observed":"2020-01-01T00:00:00Z",
     "last_observed":"2020-01-01T00:00:00Z","number_observed":1,"object_refs":["ipv4-addr--1"]},
    {"type":"observed-data","id":"observed-data--2","last_observed":"2020-01-01T00:00:00Z",
     "number_observed":1,"object_refs":["ipv4-addr--1"]},
    {"type":"observed-data","id":"observed-data--3","first_observed":"2020-01-01T00:00:00Z",
     "last_observed":"2020-01-01T00:00:00Z","number_observed":1,"object_refs":["ipv4-addr--1"]},
    {"type":"ipv4-addr","id":"ipv4-addr--1","value":"203.0.113.33"}]})");
  EXPECT_EQ(all.records.size(), 2u);
  EXPECT_EQ(all.counters.records, 3u);
  EXPECT_EQ(all.counters.bad, 1u);
  ASSERT_EQ(all.counters.first_errors.size(), 1u);
  EXPECT_EQ(all.counters.first_errors[0],
            "t: observed-data--2: observed-data needs first_observed, last_observed and "
            "number_observed");
}

TEST(MappedJson, AMappingFileTurnsAnyJsonIntoObservables) {
  fs::path mapping = fs::temp_directory_path() / "ctihub-mapping-test.toml";
  std::ofstream(mapping) << R"(name = "proxy"
timestamp = "time"

[[object]]
type = "ip-addr"
properties = { value = "client.ip" }

[[object]]
type = "url"
properties = { value = "request.url" }

[[object]]
type = "network-traffic"
properties = { dst_port = "request.port" }
refs = { src_ref = 0 }
constants = { protocols = ["tcp", "http"] }
)";
  ReaderOptions options;
  options.mapping_file = mapping.string();
  ReadAll all = FromText(
      R"({"time":"2024-01-01T00:00:00+01:00","client":{"ip":"192.0.2.4"},"request":{"url":"http://x.example/","port":8080}})"
      "\n"
      R"({"time":1704067200,"request":{"url":"http://y.example/"}})"
      "\n"
      R"({"client":{"ip":"192.0.2.4"}})"
      "\n",
      options);
  ASSERT_EQ(all.records.size(), 2u);
  EXPECT_EQ(all.records[0].sensor, "json:proxy");
  EXPECT_EQ(all.records[0].observation.first_observed.ToString(), "2023-12-31T23:00:00.000000Z");
  EXPECT_EQ(
      Objects(all.records[0]),
      R"({"0":{"type":"ipv4-addr","value":"192.0.2.4"},"1":{"type":"url","value":"http://x.example/"},)"
      R"("2":{"type":"network-traffic","dst_port":8080,"protocols":["tcp","http"],"src_ref":"0"}})");
  EXPECT_EQ(Objects(all.records[1]), R"({"0":{"type":"url","value":"http://y.example/"}})");
  EXPECT_EQ(all.counters.bad, 1u);
  // A port written as text is the integer a pattern compares with.
  ReadAll text_port =
      FromText(R"({"time":1704067200,"client":{"ip":"192.0.2.4"},"request":{"port":"8080"}})"
               "\n",
               options);
  ASSERT_EQ(text_port.records.size(), 1u);
  EXPECT_NE(Objects(text_port.records[0]).find(R"("dst_port":8080)"), std::string::npos)
      << Objects(text_port.records[0]);
  EXPECT_TRUE(Fires(text_port.records[0], "[network-traffic:dst_port = 8080]"));
  std::ofstream(mapping) << "name = 3\n";
  Result<std::unique_ptr<TelemetryReader>> bad = TelemetryReader::FromText("{}", "t", options);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'timestamp'"), std::string::npos)
      << bad.status().ToString();
  fs::remove(mapping);
}

// Values a mapping copies are written in the builder's forms, so that canonicalised literals
// match them: before, an upper-case hash or domain, a "Name <a@b>" sender or a non-canonical IPv6
// address never matched `=`.
TEST(MappedJson, ValuesAreWrittenAsTheOtherReadersWriteThem) {
  fs::path mapping = fs::temp_directory_path() / "ctihub-mapping-forms-test.toml";
  std::ofstream(mapping) << R"(timestamp = "time"
[[object]]
type = "ip-addr"
properties = { value = "client" }
[[object]]
type = "url"
properties = { value = "url" }
[[object]]
type = "domain-name"
properties = { value = "host" }
[[object]]
type = "file"
properties = { hashes = "hashes", name = "name" }
[[object]]
type = "email-addr"
properties = { value = "sender" }
[[object]]
type = "email-message"
refs = { from_ref = 4 }
constants = { is_multipart = false }
properties = { subject = "subject" }
)";
  ReaderOptions options;
  options.mapping_file = mapping.string();
  ReadAll all = FromText(
      R"({"time":"2024-05-01T10:00:00Z","client":"2001:DB8:0:0::10","url":"HTTP://Evil.Example:80/Path?Q=1",)"
      R"("host":"WWW.Evil.Example.","hashes":{"MD5":"44D88612FEA8A8F36DE82E1278ABB02F","ssdeep":"3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C"},)"
      R"("name":"A.EXE","sender":"Bad Guy <X.Y@Evil.Example>","subject":"Hi"})"
      "\n",
      options);
  fs::remove(mapping);
  ASSERT_EQ(all.records.size(), 1u);
  const Kept& r = all.records[0];
  const std::string o = Objects(r);
  EXPECT_NE(o.find(R"({"type":"ipv6-addr","value":"2001:db8::10"})"), std::string::npos) << o;
  EXPECT_NE(o.find(R"({"type":"url","value":"http://evil.example/Path?Q=1"})"), std::string::npos)
      << o;
  EXPECT_NE(o.find(R"({"type":"domain-name","value":"www.evil.example"})"), std::string::npos) << o;
  EXPECT_NE(o.find(R"({"type":"email-addr","value":"X.Y@evil.example"})"), std::string::npos) << o;
  // Only what literals canonicalise: other text (a file name, a non-hex hash) stays as logged.
  EXPECT_NE(o.find(R"("name":"A.EXE")"), std::string::npos) << o;
  EXPECT_NE(o.find(R"("ssdeep":"3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C")"), std::string::npos)
      << o;
  for (const char* pattern :
       {"[ipv6-addr:value = '2001:db8::10']", "[url:value = 'http://evil.example/Path?Q=1']",
        "[domain-name:value = 'www.evil.example']",
        "[file:hashes.MD5 = '44d88612fea8a8f36de82e1278abb02f']",
        "[file:hashes.MD5 = '44D88612FEA8A8F36DE82E1278ABB02F']",
        "[email-addr:value = 'X.Y@evil.example']",
        "[email-message:from_ref.value = 'X.Y@Evil.Example']"}) {
    EXPECT_TRUE(Fires(r, pattern)) << pattern << "\n" << o;
  }
}

// A property named with a dot is a dictionary key ("hashes.SHA-256", or as a pattern writes it
// "hashes.'SHA-1'"): an EDR log's flat sha256 field can be a file hash. It was one literal key
// named "hashes.SHA-256", which no pattern can name.
TEST(MappedJson, DottedPropertyNamesAreDictionaryKeys) {
  fs::path mapping = fs::temp_directory_path() / "ctihub-mapping-dotted-test.toml";
  std::ofstream(mapping) << R"(timestamp = "time"
[[object]]
type = "file"
properties = { "hashes.SHA-256" = "file.sha256", "hashes.'SHA-1'" = "file.sha1", name = "file.name" }
)";
  ReaderOptions options;
  options.mapping_file = mapping.string();
  ReadAll all = FromText(
      R"({"time":"2024-05-01T10:00:00Z","file":{"name":"a.exe","sha1":"DA39A3EE5E6B4B0D3255BFEF95601890AFD80709",)"
      R"("sha256":"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"}})"
      "\n",
      options);
  fs::remove(mapping);
  ASSERT_EQ(all.records.size(), 1u);
  const Kept& r = all.records[0];
  for (const char* pattern : {"[file:hashes.'SHA-256' = "
                              "'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']",
                              "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709' "
                              "AND file:name = 'a.exe']"}) {
    EXPECT_TRUE(Fires(r, pattern)) << pattern << "\n" << Objects(r);
  }
}

// File hashes in upper case (some exporters and pipelines write them so) compare as the lower
// case literals are written.
TEST(Reader, FileHashesAreReadInLowerCase) {
  ReadAll zeek = FromText(
      R"({"_path":"files","ts":1700000000.0,"fuid":"F1","md5":"CEAD3F77F6CDA6EC00F57D76C9A6879F","sha1":"da39a3ee5e6b4b0d3255bfef95601890afd80709"})"
      "\n");
  ASSERT_EQ(zeek.records.size(), 1u);
  EXPECT_NE(Objects(zeek.records[0]).find("\"cead3f77f6cda6ec00f57d76c9a6879f\""),
            std::string::npos)
      << Objects(zeek.records[0]);
  EXPECT_TRUE(Fires(zeek.records[0], "[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']"));
  EXPECT_TRUE(Fires(zeek.records[0], "[file:hashes.MD5 = 'CEAD3F77F6CDA6EC00F57D76C9A6879F']"));
  ReadAll eve = FromText(
      R"({"timestamp":"2023-11-14T22:13:20.000000+0000","event_type":"fileinfo","src_ip":"10.0.0.1","dest_ip":"198.51.100.1","proto":"TCP","fileinfo":{"filename":"a.exe","sha256":"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855","size":0}})"
      "\n");
  ASSERT_EQ(eve.records.size(), 1u);
  EXPECT_TRUE(Fires(eve.records[0],
                    "[file:hashes.'SHA-256' = "
                    "'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']"))
      << Objects(eve.records[0]);
}

// An IPv6 address with its zone ("fe80::1%eth0") is the address: the connection keeps its end.
TEST(Reader, AnAddressWithAZoneIsTheAddress) {
  ReadAll zeek = FromText(
      R"({"_path":"conn","ts":1700000000.0,"id.orig_h":"fe80::1%eth0","id.orig_p":5353,"id.resp_h":"2001:db8::1%2","id.resp_p":53,"proto":"udp"})"
      "\n");
  ASSERT_EQ(zeek.records.size(), 1u);
  EXPECT_TRUE(Fires(zeek.records[0], "[network-traffic:src_ref.value = 'fe80::1']"))
      << Objects(zeek.records[0]);
  EXPECT_TRUE(Fires(zeek.records[0], "[network-traffic:dst_ref.value = '2001:db8::1']"));
  EXPECT_EQ(Objects(zeek.records[0]).find('%'), std::string::npos) << Objects(zeek.records[0]);
}

TEST(Reader, GzipInputAndFollowMode) {
  fs::path dir = fs::temp_directory_path() / ("ctihub-telemetry-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string line = R"({"_path":"conn","ts":1.0,"id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2"})"
                     "\n";
  gzFile gz = gzopen((dir / "conn.json.gz").c_str(), "wb");
  for (int i = 0; i < 3; ++i) gzwrite(gz, line.data(), static_cast<unsigned>(line.size()));
  gzclose(gz);
  Result<std::unique_ptr<TelemetryReader>> reader =
      TelemetryReader::Open((dir / "conn.json.gz").string(), {});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  TelemetryRecord r;
  int n = 0;
  while (*(*reader)->Next(&r)) ++n;
  EXPECT_EQ(n, 3);

  // Follow: records appended after the reader reached the end still arrive.
  fs::path live = dir / "live.log";
  std::ofstream(live) << line;
  std::atomic<bool> stop{false};
  ReaderOptions options;
  options.follow = true;
  options.stop = &stop;
  options.follow_poll_ms = 10;
  Result<std::unique_ptr<TelemetryReader>> follower = TelemetryReader::Open(live.string(), options);
  ASSERT_TRUE(follower.ok());
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::ofstream(live, std::ios::app) << line << line;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop = true;
  });
  int followed = 0;
  for (;;) {
    Result<bool> more = (*follower)->Next(&r);
    ASSERT_TRUE(more.ok());
    if (!*more) break;
    ++followed;
  }
  writer.join();
  EXPECT_EQ(followed, 3);

  // copytruncate: the file is emptied in place and, before the next poll, written past the old
  // end. Every new record still arrives, from the start of the new content.
  std::ofstream(live, std::ios::trunc) << line;
  stop = false;
  options.follow_poll_ms = 200;
  follower = TelemetryReader::Open(live.string(), options);
  ASSERT_TRUE(follower.ok());
  std::thread rotator([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::string fresh;
    for (int i = 2; i <= 4; ++i) {
      fresh += R"({"_path":"conn","ts":)" + std::to_string(i) +
               R"(.0,"id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2"})"
               "\n";
    }
    std::ofstream(live, std::ios::trunc) << fresh;  // truncated and refilled between two polls
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    stop = true;
  });
  std::vector<int64_t> seen;
  for (;;) {
    Result<bool> more = (*follower)->Next(&r);
    ASSERT_TRUE(more.ok());
    if (!*more) break;
    seen.push_back(r.observation.first_observed.micros() / 1000000);
  }
  rotator.join();
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 2, 3, 4}));

  // Rotation by rename: records the sensor still writes to the old file before it opens the new
  // one arrive (they were lost), then the new file's; and a truncate-and-rewrite of records that
  // differ only in their first bytes (a long common tail) is noticed.
  auto record = [](int ts) {
    return R"({"_path":"conn","ts":)" + std::to_string(ts) +
           R"(.0,"id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2","proto":"tcp","service":"http","orig_bytes":100,"resp_bytes":200,"conn_state":"SF"})"
           "\n";
  };
  std::ofstream(live, std::ios::trunc) << record(1);
  stop = false;
  options.follow_poll_ms = 100;
  follower = TelemetryReader::Open(live.string(), options);
  ASSERT_TRUE(follower.ok());
  std::thread logrotate([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    fs::rename(live, dir / "live.log.1");
    std::ofstream(dir / "live.log.1", std::ios::app) << record(2);  // the sensor, not moved on yet
    std::ofstream(live) << record(3);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    std::ofstream(live, std::ios::trunc) << record(4) << record(5) << record(6);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    stop = true;
  });
  seen.clear();
  for (;;) {
    Result<bool> more = (*follower)->Next(&r);
    ASSERT_TRUE(more.ok());
    if (!*more) break;
    seen.push_back(r.observation.first_observed.micros() / 1000000);
  }
  logrotate.join();
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
  fs::remove_all(dir);
}

// Followed, a first line that opens with '{' but is not yet whole (the sensor is still writing
// it) is a bad line: before, auto mode took it for the start of a JSON document and read on to
// an end that a followed file never reaches, so nothing after it was ever matched.
TEST(Reader, FollowingNeverWaitsForTheEndOfADocument) {
  fs::path live = fs::temp_directory_path() /
                  ("ctihub-telemetry-follow-" + std::to_string(::getpid()) + ".json");
  std::ofstream(live)
      << R"({"_path":"ssl","ts":1521911720.1,"uid":"S1","id.or)"
         "\n"
      << R"({"_path":"conn","ts":2.0,"id.orig_h":"10.7.7.1","id.resp_h":"10.8.8.8"})"
      << "\n";
  std::atomic<bool> stop{false};
  ReaderOptions options;
  options.follow = true;
  options.stop = &stop;
  options.follow_poll_ms = 10;
  Result<std::unique_ptr<TelemetryReader>> reader = TelemetryReader::Open(live.string(), options);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  // Stops the reader after 3 s, or as soon as the test is done (it always joins: an ASSERT
  // return with a joinable thread would end the whole test binary).
  std::atomic<bool> done{false};
  std::thread stopper([&] {
    for (int i = 0; i < 300 && !done; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    stop = true;
  });
  TelemetryRecord r;
  Result<bool> more = (*reader)->Next(&r);
  const bool stopped_first = stop.load();  // the record came only once the reader was stopped
  EXPECT_TRUE(more.ok()) << more.status().ToString();
  EXPECT_TRUE(more.ok() && *more);
  EXPECT_FALSE(stopped_first);
  EXPECT_EQ(r.line, 2u);
  EXPECT_EQ((*reader)->format(), LogFormat::kZeekJson);
  EXPECT_EQ((*reader)->counters().bad, 1u);
  done = true;
  stopper.join();
  while (more.ok() && *more) more = (*reader)->Next(&r);
  fs::remove(live);
}

// ---- the public sample logs in ../shared/data/telemetry ---------------------------------------

uint64_t CountRecordLines(const std::string& text, bool tsv) {
  uint64_t n = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || (tsv && line[0] == '#')) continue;
    ++n;
  }
  return n;
}

std::string Decompressed(const fs::path& path) {
  std::string out;
  gzFile gz = gzopen(path.c_str(), "rb");
  char buf[1 << 16];
  int n;
  while ((n = gzread(gz, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  gzclose(gz);
  return out;
}

TEST(SampleData, EveryRecordOfEverySampleLogIsReadAndNoneIsBad) {
  fs::path root = fs::path(CTIHUB_SHARED_DATA) / "telemetry";
  if (!fs::exists(root)) GTEST_SKIP() << "../shared/data is absent";
  uint64_t files = 0;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(root)) {
    std::string name = e.path().filename().string();
    bool gz = name.size() > 3 && name.substr(name.size() - 3) == ".gz";
    bool log = name.find(".log") != std::string::npos || name.find(".json") != std::string::npos;
    if (!e.is_regular_file() || !log) continue;
    ++files;
    std::string text = gz ? Decompressed(e.path()) : [&] {
      std::ifstream f(e.path());
      std::stringstream s;
      s << f.rdbuf();
      return s.str();
    }();
    bool tsv = text.rfind("#separator", 0) == 0;
    bool array = text.find_first_not_of(" \n") != std::string::npos &&
                 text[text.find_first_not_of(" \n")] == '[';
    Result<std::unique_ptr<TelemetryReader>> reader = TelemetryReader::Open(e.path().string(), {});
    ASSERT_TRUE(reader.ok()) << e.path() << ": " << reader.status().ToString();
    TelemetryRecord r;
    for (;;) {
      Result<bool> more = (*reader)->Next(&r);
      ASSERT_TRUE(more.ok()) << e.path() << ": " << more.status().ToString();
      if (!*more) break;
      EXPECT_FALSE(r.observation.empty());
      EXPECT_FALSE(r.observation.Json().objects.empty());
    }
    const ReaderCounters& c = (*reader)->counters();
    SCOPED_TRACE(e.path().string());
    EXPECT_EQ(c.bad, 0u) << (c.first_errors.empty() ? "" : c.first_errors[0]);
    if (!array) {
      EXPECT_EQ(c.records, CountRecordLines(text, tsv));
    }
    EXPECT_EQ(c.records, c.mapped + c.unmapped + c.bad);
    // Only logs with no address, name or hash at all (Zeek's pe.log) are unmapped.
    if (name.rfind("pe.", 0) == 0) {
      EXPECT_EQ(c.unmapped, c.records) << name;
    } else {
      EXPECT_EQ(c.unmapped, 0u) << name;
      EXPECT_GT(c.mapped, 0u) << name;
    }
    std::printf("%-40s %7llu records, %7llu mapped\n", name.c_str(),
                static_cast<unsigned long long>(c.records),
                static_cast<unsigned long long>(c.mapped));
  }
  EXPECT_GE(files, 19u);
}

}  // namespace
}  // namespace ctihub::telemetry
