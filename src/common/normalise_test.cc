#include "common/normalise.h"

#include <gtest/gtest.h>

namespace ctihub {
namespace {

TEST(Normalise, UrlsAsRfc3986NormalisesThem) {
  EXPECT_EQ(NormaliseUrl("HTTP://Evil.Example:80/X?Q=1"), "http://evil.example/X?Q=1");
  EXPECT_EQ(NormaliseUrl("https://x.example:443"), "https://x.example/");
  EXPECT_EQ(NormaliseUrl("https://x.example:8443#f"), "https://x.example:8443/#f");
  EXPECT_EQ(NormaliseUrl("a.example/Path"), "http://a.example/Path");
  EXPECT_EQ(NormaliseUrl("http://User@Host.EXAMPLE:8080/a"), "http://User@host.example:8080/a");
  EXPECT_EQ(NormaliseUrl("http://[2001:DB8::1]:8080/x"), "http://[2001:db8::1]:8080/x");
  EXPECT_EQ(NormaliseUrl("ftp://Files.example/a"), "ftp://files.example/a");
  EXPECT_EQ(NormaliseUrl("http://evil.example:99999/"), std::nullopt);
  EXPECT_EQ(NormaliseUrl("http://evil.example:0/"), std::nullopt);
  EXPECT_EQ(NormaliseUrl("http:///x"), std::nullopt);
  // §6.2.2.1-2: unreserved characters decoded, other escapes in upper case.
  EXPECT_EQ(NormaliseUrl("http://evil.example.com/%7Euser/%41%2fx?q=%7e%2f#%7E"),
            "http://evil.example.com/~user/A%2Fx?q=~%2F#~");
  EXPECT_EQ(NormaliseUrl("http://e.example/100%"), "http://e.example/100%");  // not an escape
  // §6.2.2.3: dot segments, in the path only.
  EXPECT_EQ(NormaliseUrl("http://e.example/a/./b/../c"), "http://e.example/a/c");
  EXPECT_EQ(NormaliseUrl("http://e.example/a/b/.."), "http://e.example/a/");
  EXPECT_EQ(NormaliseUrl("http://e.example/../../x"), "http://e.example/x");
  EXPECT_EQ(NormaliseUrl("http://e.example/a/%2E%2E/b"), "http://e.example/b");
  EXPECT_EQ(NormaliseUrl("http://e.example/a?x=/../y"), "http://e.example/a?x=/../y");
  EXPECT_EQ(NormaliseUrl("http://e.example/a..b/.c"), "http://e.example/a..b/.c");
  // The DNS root dot, as a sensor logs the host without it.
  EXPECT_EQ(NormaliseUrl("http://Evil.Example.COM./c"), "http://evil.example.com/c");
}

TEST(Normalise, AddressesInOneForm) {
  EXPECT_EQ(CanonicalAddress("2001:DB8::0:1"), "2001:db8::1");
  EXPECT_EQ(CanonicalAddress("2001:DB8:0:0::/32"), "2001:db8::/32");
  EXPECT_EQ(CanonicalAddress("198.51.100.7"), "198.51.100.7");
  EXPECT_EQ(CanonicalAddress("not:an:address:x"), "not:an:address:x");
  EXPECT_EQ(LowerAscii("Evil.EXAMPLE-é"), "evil.example-é");
  EXPECT_EQ(PercentDecoded("vpn%2eministry%2Eexample/%zz%4"), "vpn.ministry.example/%zz%4");
}

TEST(Normalise, SerialNumbersAsStixWritesThem) {
  EXPECT_EQ(CanonicalSerialNumber("CC57FE54011E"), "cc:57:fe:54:01:1e");       // Zeek
  EXPECT_EQ(CanonicalSerialNumber("CC:57:FE:54:01:1E"), "cc:57:fe:54:01:1e");  // Suricata
  EXPECT_EQ(CanonicalSerialNumber("1"), "01");
  EXPECT_EQ(CanonicalSerialNumber("a 1b"), "0a:1b");
  EXPECT_EQ(CanonicalSerialNumber("not-hex"), "not-hex");
  EXPECT_EQ(CanonicalSerialNumber(":"), ":");
}

}  // namespace
}  // namespace ctihub
