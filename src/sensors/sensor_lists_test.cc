#include "sensors/sensor_lists.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>

namespace ctihub::sensors {
namespace {

void AddAll(SensorLists& lists) {
  EXPECT_TRUE(lists.Add("indicator--1", "C2", "[ipv4-addr:value = '198.51.100.7']").ok());
  EXPECT_TRUE(lists.Add("indicator--2", "Phish", "[domain-name:value = 'Evil.Example']").ok());
  EXPECT_TRUE(lists.Add("indicator--3", "", "[url:value = 'http://evil.example/a']").ok());
  EXPECT_FALSE(lists.Add("indicator--4", "Seq", "[file:name = 'a'] FOLLOWEDBY [file:name = 'b']").ok());
  EXPECT_TRUE(lists.Add("indicator--5", "Dropper",
                        "[file:hashes.'SHA-256' = "
                        "'AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F']").ok());
}

TEST(SensorLists, ZeekIntelWritesEveryKindWithItsIntelType) {
  SensorLists lists(SensorFormat::kZeekIntel);
  AddAll(lists);
  std::ostringstream out;
  lists.WriteZeekIntel(out);
  EXPECT_EQ(out.str(),
            "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url\n"
            "198.51.100.7\tIntel::ADDR\tctihub\tC2 (indicator--1)\t-\n"
            "evil.example\tIntel::DOMAIN\tctihub\tPhish (indicator--2)\t-\n"
            "evil.example/a\tIntel::URL\tctihub\tindicator--3\t-\n"
            "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f\tIntel::FILE_HASH\t"
            "ctihub\tDropper (indicator--5)\t-\n");
  EXPECT_EQ(lists.report().indicators_seen, 4u + 1u);
  EXPECT_EQ(lists.report().indicators_exported, 4u);
  EXPECT_EQ(lists.report().skipped_by_reason.at("FOLLOWEDBY"), 1u);
  ASSERT_EQ(lists.report().first_skipped.size(), 1u);
  EXPECT_EQ(lists.report().first_skipped[0].first, "indicator--4");
}

// Values from partners are untrusted: what a sensor would load differently from what was
// exported (Zeek decodes \xNN; '#' starts a comment; '-' is unset), or would split into other
// entries (a Suricata 7 dataset line over 1 KiB), or would match far more than the indicator
// does, stays out with its reason.
TEST(SensorLists, ValuesASensorWouldReadOtherwiseStayOut) {
  SensorLists zeek(SensorFormat::kZeekIntel);
  // A backslash is no DNS name character.
  EXPECT_FALSE(zeek.Add("indicator--1", "", R"([domain-name:value = 'www\\x2eevil\\x2ecom'])").ok());
  EXPECT_TRUE(zeek.Add("indicator--2", "", "[file:name = '#evil.exe']").ok());
  EXPECT_TRUE(zeek.Add("indicator--3", "", "[file:name = '-']").ok());
  EXPECT_TRUE(zeek.Add("indicator--4", "", R"([file:name = 'a\\x41.exe'])").ok());
  EXPECT_TRUE(zeek.Add("indicator--5", "", "[url:value = 'http://u2.example:80/x']").ok());
  Status https = zeek.Add("indicator--6", "", "[url:value = 'https://u1.example/path']");
  EXPECT_NE(https.message().find("plain http://"), std::string::npos) << https.message();
  Status broad = zeek.Add("indicator--7", "", "[ipv4-addr:value ISSUBSET '0.0.0.0/0']");
  EXPECT_NE(broad.message().find("prefix this broad"), std::string::npos) << broad.message();
  EXPECT_TRUE(zeek.Add("indicator--8", "", "[ipv4-addr:value ISSUBSET '10.0.0.0/8']").ok());
  // Zeek keeps IPv4 as IPv4-mapped IPv6: these hold all, or half, of IPv4.
  EXPECT_FALSE(zeek.Add("indicator--10", "", "[ipv6-addr:value ISSUBSET '::ffff:0:0/96']").ok());
  EXPECT_FALSE(zeek.Add("indicator--11", "", "[ipv6-addr:value ISSUBSET '::/16']").ok());
  EXPECT_FALSE(zeek.Add("indicator--12", "", "[ipv6-addr:value ISSUBSET '::ffff:0.0.0.0/97']").ok());
  EXPECT_TRUE(zeek.Add("indicator--13", "", "[ipv6-addr:value ISSUBSET '2001:db8::/32']").ok());
  EXPECT_TRUE(zeek.Add("indicator--14", "", "[url:value = 'http://q.example:80?q=1']").ok());
  // Names a sensor never logs: one in Unicode (it logs the xn-- form), labels starting or
  // ending with '-' (a lone '-' is Zeek's unset field).
  Status idn = zeek.Add("indicator--15", "",
                        "[domain-name:value = 'b\xC3\xBC"
                        "cher.example']");
  EXPECT_NE(idn.message().find("xn--"), std::string::npos) << idn.message();
  EXPECT_FALSE(zeek.Add("indicator--16", "", "[domain-name:value = '-']").ok());
  EXPECT_FALSE(zeek.Add("indicator--17", "", "[domain-name:value = 'a-.example']").ok());
  EXPECT_FALSE(zeek.Add("indicator--18", "", "[domain-name:value = 'x.-b.example']").ok());
  EXPECT_TRUE(zeek.Add("indicator--19", "", "[domain-name:value = 'xn--bcher-kva.example']").ok());
  EXPECT_TRUE(zeek.Add("indicator--20", "", "[domain-name:value = '_dmarc.a-b.example']").ok());
  Status longname =
      zeek.Add("indicator--9", "", "[domain-name:value = '" + std::string(3069, 'a') + ".com']");
  EXPECT_NE(longname.message().find("1 to 253 bytes"), std::string::npos) << longname.message();
  std::ostringstream out;
  zeek.WriteZeekIntel(out);
  const std::string text = out.str();
  EXPECT_NE(text.find("\n\\x23evil.exe\tIntel::FILE_NAME"), std::string::npos) << text;
  EXPECT_NE(text.find("\n\\x2d\tIntel::FILE_NAME"), std::string::npos) << text;
  EXPECT_NE(text.find("\na\\x5cx41.exe\tIntel::FILE_NAME"), std::string::npos) << text;
  EXPECT_NE(text.find("\nu2.example/x\tIntel::URL"), std::string::npos) << text;
  EXPECT_NE(text.find("\nq.example/?q=1\tIntel::URL"), std::string::npos) << text;
  EXPECT_NE(text.find("\n10.0.0.0/8\tIntel::SUBNET"), std::string::npos) << text;
}

TEST(SensorLists, SuricataWritesDatasetsHashListsAndRulesAndReportsUrls) {
  SensorLists lists(SensorFormat::kSuricata);
  EXPECT_TRUE(lists.Add("indicator--1", "C2", "[ipv4-addr:value = '198.51.100.7']").ok());
  EXPECT_TRUE(lists.Add("indicator--2", "Phish", "[domain-name:value = 'Evil.Example']").ok());
  Status url = lists.Add("indicator--3", "", "[url:value = 'http://evil.example/a']");
  EXPECT_FALSE(url.ok());
  EXPECT_NE(url.message().find("url: Suricata"), std::string::npos);
  EXPECT_TRUE(lists.Add("indicator--5", "Dropper", "[file:hashes.MD5 = 'CEAD3F77F6CDA6EC00F57D76C9A6879F']").ok());
  std::vector<SensorLists::File> files = lists.SuricataFiles();
  std::map<std::string, std::string> by_name;
  std::vector<std::string> order;
  for (const SensorLists::File& f : files) {
    by_name[f.name] = f.content;
    order.push_back(f.name);
  }
  // The lists first, the rules that load them last.
  EXPECT_EQ(order, (std::vector<std::string>{"ctihub-ip.lst", "ctihub-domains.lst",
                                             "ctihub-md5.txt", "ctihub.rules"}));
  EXPECT_EQ(by_name["ctihub-ip.lst"], "198.51.100.7\n");
  EXPECT_EQ(by_name["ctihub-domains.lst"], "ZXZpbC5leGFtcGxl\n");  // base64("evil.example")
  EXPECT_EQ(by_name["ctihub-md5.txt"], "cead3f77f6cda6ec00f57d76c9a6879f\n");
  std::string rules = by_name["ctihub.rules"];
  EXPECT_NE(rules.find("ip.dst; dataset:isset,ctihub-ip,type ip,load ctihub-ip.lst;"), std::string::npos);
  EXPECT_NE(rules.find("dns.query; dataset:isset,ctihub-domains,type string"), std::string::npos);
  EXPECT_NE(rules.find("filemd5:ctihub-md5.txt;"), std::string::npos);
  EXPECT_EQ(rules.find("filesha256"), std::string::npos);  // no list, no rule
  // A connection's destination (or source) is matched there only, in a list of its own.
  SensorLists directed(SensorFormat::kSuricata);
  EXPECT_TRUE(
      directed.Add("indicator--7", "To", "[network-traffic:dst_ref.value = '198.51.100.17']").ok());
  EXPECT_TRUE(
      directed.Add("indicator--8", "From", "[network-traffic:src_ref.value = '198.51.100.18']")
          .ok());
  std::map<std::string, std::string> directed_files;
  for (const SensorLists::File& f : directed.SuricataFiles()) directed_files[f.name] = f.content;
  EXPECT_EQ(directed_files.count("ctihub-ip.lst"), 0u);
  EXPECT_EQ(directed_files["ctihub-ip-dst.lst"], "198.51.100.17\n");
  EXPECT_EQ(directed_files["ctihub-ip-src.lst"], "198.51.100.18\n");
  const std::string& directed_rules = directed_files["ctihub.rules"];
  EXPECT_NE(
      directed_rules.find("ip.dst; dataset:isset,ctihub-ip-dst,type ip,load ctihub-ip-dst.lst;"),
      std::string::npos)
      << directed_rules;
  EXPECT_NE(
      directed_rules.find("ip.src; dataset:isset,ctihub-ip-src,type ip,load ctihub-ip-src.lst;"),
      std::string::npos)
      << directed_rules;
  EXPECT_EQ(directed_rules.find("ip.dst; dataset:isset,ctihub-ip-src"), std::string::npos);
  EXPECT_EQ(directed_rules.find("ip.src; dataset:isset,ctihub-ip-dst"), std::string::npos);
  // An OR of a URL (no Suricata dataset matches a whole URL) and a domain goes out in part.
  EXPECT_TRUE(lists.Add("indicator--6", "", "[url:value = 'http://part.example/a' OR "
                                            "domain-name:value = 'part.example']").ok());
  EXPECT_EQ(lists.report().indicators_partial, 1u);
  ASSERT_EQ(lists.report().first_partial.size(), 1u);
  EXPECT_EQ(lists.report().first_partial[0].first, "indicator--6");
}

}  // namespace
}  // namespace ctihub::sensors
