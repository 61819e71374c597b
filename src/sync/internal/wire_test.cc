#include "sync/internal/wire.h"

#include <gtest/gtest.h>

#include <string>

namespace ctihub::sync::internal {
namespace {

std::string Indicator(int n, std::string_view extra = "") {
  char id[64];
  std::snprintf(id, sizeof id, "indicator--%08d-0000-4000-8000-000000000000", n);
  return std::string(R"({"type":"indicator","spec_version":"2.1","id":")") + id +
         R"(","created":"2021-01-01T00:00:00.000Z","modified":"2021-01-01T00:00:00.000Z",)"
         R"("pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix",)"
         R"("valid_from":"2021-01-01T00:00:00Z")" +
         std::string(extra) + "}";
}

std::string IdOf(int n) {
  char id[64];
  std::snprintf(id, sizeof id, "indicator--%08d-0000-4000-8000-000000000000", n);
  return id;
}

TEST(WireEnvelope, ReadsMoreNextAndKeepsEachObjectsExactBytes) {
  // Odd spacing, key order and an escaped character: what is stored must be what was sent.
  const std::string spaced =
      "{ \"valid_from\" : \"2021-01-01T00:00:00Z\",\n  \"type\":\"indicator\", "
      "\"spec_version\":\"2.1\",\"id\":\"indicator--00000002-0000-4000-8000-000000000000\","
      "\"created\":\"2021-01-01T00:00:00.000Z\",\"modified\":\"2021-01-01T00:00:00.000Z\","
      "\"pattern\":\"[ipv4-addr:value = '10.0.0.2']\",\"pattern_type\":\"stix\","
      "\"description\":\"caf\\u00e9 \\\"quoted\\\"\" }";
  const std::string body = "{\"more\": true, \"next\": \"tok-3\", \"objects\": [" + Indicator(1) +
                           ",\n  " + spaced + "]}";
  stix::Validator validator;
  Result<EnvelopePage> page = ReadEnvelope(body, validator);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_TRUE(page->more);
  EXPECT_EQ(page->next, "tok-3");
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_TRUE(page->rejected.empty());
  EXPECT_EQ(page->objects[0].id, IdOf(1));
  EXPECT_EQ(page->objects[0].text, Indicator(1));
  EXPECT_EQ(page->objects[1].id, IdOf(2));
  EXPECT_EQ(page->objects[1].text, spaced);
  EXPECT_EQ(page->objects[1].type, "indicator");
}

TEST(WireEnvelope, LastPageAndEmptyEnvelopes) {
  stix::Validator validator;
  Result<EnvelopePage> last =
      ReadEnvelope("{\"more\":false,\"objects\":[" + Indicator(1) + "]}", validator);
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  EXPECT_FALSE(last->more);
  EXPECT_EQ(last->next, "");
  EXPECT_EQ(last->objects.size(), 1u);
  // TAXII 2.1 §3.7: `objects` and `more` are optional, so {} is an empty last page.
  for (std::string_view empty : {"{}", "{\"more\":false}", "{\"objects\":[]}"}) {
    Result<EnvelopePage> page = ReadEnvelope(empty, validator);
    ASSERT_TRUE(page.ok()) << empty << ": " << page.status().ToString();
    EXPECT_FALSE(page->more) << empty;
    EXPECT_TRUE(page->objects.empty()) << empty;
    EXPECT_TRUE(page->rejected.empty()) << empty;
  }
}

TEST(WireEnvelope, AnInvalidObjectIsRejectedWithTheValidatorsReasonOthersPass) {
  // Object 2 lacks its required `pattern` (STIX 2.1 §4.7); objects 1 and 3 are fine.
  std::string invalid = Indicator(2);
  invalid.replace(invalid.find("\"pattern\":"),
                  invalid.find("\"pattern_type\"") - invalid.find("\"pattern\":"), "");
  const std::string body =
      "{\"objects\":[" + Indicator(1) + "," + invalid + "," + Indicator(3) + "]}";
  stix::Validator validator;
  Result<EnvelopePage> page = ReadEnvelope(body, validator);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].id, IdOf(1));
  EXPECT_EQ(page->objects[1].id, IdOf(3));
  EXPECT_EQ(page->objects[1].text, Indicator(3));
  ASSERT_EQ(page->rejected.size(), 1u);
  EXPECT_EQ(page->rejected[0].rfind(IdOf(2) + ": ", 0), 0u) << page->rejected[0];
  EXPECT_NE(page->rejected[0].find("pattern"), std::string::npos) << page->rejected[0];
  // The reason names the validator's rule, as `ctihub import` reports it.
  EXPECT_NE(page->rejected[0].find('['), std::string::npos) << page->rejected[0];
}

TEST(WireEnvelope, ReasonsDoNotLeakFromOneObjectToTheNext) {
  std::string bad_a = Indicator(1), bad_b = Indicator(2);
  bad_a.replace(bad_a.find("\"pattern_type\":\"stix\""), 21,
                "\"pattern_type\":\"stix\","
                "\"valid_until\":\"never\"");
  bad_b.replace(bad_b.find("\"valid_from\""), 12, "\"valid_fromx\"");
  const std::string body = "{\"objects\":[" + bad_a + "," + Indicator(3) + "," + bad_b + "]}";
  stix::Validator validator;
  Result<EnvelopePage> page = ReadEnvelope(body, validator);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 1u);
  ASSERT_EQ(page->rejected.size(), 2u);
  EXPECT_NE(page->rejected[0].find("valid_until"), std::string::npos) << page->rejected[0];
  EXPECT_NE(page->rejected[1].find("valid_from"), std::string::npos) << page->rejected[1];
  EXPECT_EQ(page->rejected[1].find("valid_until"), std::string::npos) << page->rejected[1];
}

TEST(WireEnvelope, WhatIsNotAnEnvelopeIsAnError) {
  stix::Validator validator;
  for (std::string_view body :
       {"", "not json", "[{\"type\":\"indicator\"}]", "42", "{\"objects\":[{\"type\":\"indicator\"",
        "<html>502</html>", "{\"objects\":5}"}) {
    Result<EnvelopePage> page = ReadEnvelope(body, validator);
    ASSERT_FALSE(page.ok()) << "accepted: " << body;
    EXPECT_EQ(page.status().code(), StatusCode::kInvalidArgument) << body;
    EXPECT_NE(page.status().message().find("envelope"), std::string::npos)
        << page.status().ToString();
  }
}

TEST(WireEnvelope, AStixObjectIsNotAnEnvelope) {
  // A server answering with one bare object must not pass for an empty last page: the round
  // would end "complete" having stored nothing.
  stix::Validator validator;
  Result<EnvelopePage> page = ReadEnvelope(Indicator(1), validator);
  ASSERT_FALSE(page.ok()) << "a bare STIX object was read as an envelope";
  EXPECT_EQ(page.status().code(), StatusCode::kInvalidArgument);
}

TEST(WireStatus, CompleteWithSuccessesAndFailures) {
  Result<StatusResource> s = ReadStatus(
      R"({"id":"2d086da7-4bdc-4f91-900e-d77486753710","status":"complete",)"
      R"("request_timestamp":"2021-01-01T00:00:00.000000Z","total_count":3,"success_count":2,)"
      R"("successes":[{"id":"indicator--a","version":"2021-01-01T00:00:00.000Z"}],)"
      R"("failure_count":1,"failures":[{"id":"indicator--b","version":"2021-02-02T00:00:00.000Z",)"
      R"("message":"conflicts with the stored version"}],"pending_count":0})");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->id, "2d086da7-4bdc-4f91-900e-d77486753710");
  EXPECT_EQ(s->status, "complete");
  EXPECT_EQ(s->total, 3u);
  EXPECT_EQ(s->succeeded, 2u);
  EXPECT_EQ(s->pending, 0u);
  ASSERT_EQ(s->failures.size(), 1u);
  EXPECT_EQ(s->failures[0].id, "indicator--b");
  EXPECT_EQ(s->failures[0].version, "2021-02-02T00:00:00.000Z");
  EXPECT_EQ(s->failures[0].message, "conflicts with the stored version");
}

TEST(WireStatus, PendingWithAndWithoutPendingCount) {
  Result<StatusResource> counted = ReadStatus(
      R"({"id":"s1","status":"pending","total_count":10,"success_count":3,"pending_count":7})");
  ASSERT_TRUE(counted.ok()) << counted.status().ToString();
  EXPECT_EQ(counted->status, "pending");
  EXPECT_EQ(counted->pending, 7u);
  // Without pending_count: what is not yet decided.
  Result<StatusResource> uncounted =
      ReadStatus(R"({"id":"s2","status":"pending","total_count":10,"success_count":3,)"
                 R"("failures":[{"id":"x--1","version":"v","message":"m"}]})");
  ASSERT_TRUE(uncounted.ok()) << uncounted.status().ToString();
  EXPECT_EQ(uncounted->pending, 6u);
  // Pending with nothing to go by is still pending (at least one), never taken as complete.
  Result<StatusResource> bare = ReadStatus(R"({"id":"s3","status":"pending"})");
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  EXPECT_GE(bare->pending, 1u);
  // Complete means nothing is pending, whatever a stray pending_count says.
  Result<StatusResource> complete =
      ReadStatus(R"({"id":"s4","status":"complete","total_count":1,"pending_count":1})");
  ASSERT_TRUE(complete.ok()) << complete.status().ToString();
  EXPECT_EQ(complete->pending, 0u);
}

TEST(WireStatus, NotAStatusResourceIsAnError) {
  for (std::string_view body : {"", "nope", "[]", R"({"status":"complete"})", R"({"id":"s1"})",
                                R"({"title":"Internal error"})"}) {
    Result<StatusResource> s = ReadStatus(body);
    ASSERT_FALSE(s.ok()) << "accepted: " << body;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << body;
  }
}

TEST(WireCollections, FindsByIdOrTitle) {
  const std::string body =
      R"({"collections":[)"
      R"({"id":"91a7b528-80eb-42ed-a74d-c6fbd5a26116","title":"feeds","can_read":true,)"
      R"("can_write":false},)"
      R"({"id":"52892447-4d7e-4f70-b94d-d7f22742ff63","title":"inbox","can_read":false,)"
      R"("can_write":true}]})";
  EXPECT_EQ(FindCollection(body, "inbox").value(), "52892447-4d7e-4f70-b94d-d7f22742ff63");
  EXPECT_EQ(FindCollection(body, "feeds").value(), "91a7b528-80eb-42ed-a74d-c6fbd5a26116");
  EXPECT_EQ(FindCollection(body, "52892447-4d7e-4f70-b94d-d7f22742ff63").value(),
            "52892447-4d7e-4f70-b94d-d7f22742ff63");
  EXPECT_EQ(FindCollection(body, "missing").value(), "");
  EXPECT_EQ(FindCollection(body, "Feeds").value(), "") << "titles match exactly";
  // No collections at all (TAXII 2.1 §5.1: an empty resource is {}).
  EXPECT_EQ(FindCollection("{}", "feeds").value(), "");
  EXPECT_EQ(FindCollection("not json", "feeds").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(FindCollection("[]", "feeds").status().code(), StatusCode::kInvalidArgument);
}

TEST(WireEncoding, PercentEncodeKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(PercentEncode("2021-01-01T00:00:00.000000Z"), "2021-01-01T00%3A00%3A00.000000Z");
  EXPECT_EQ(PercentEncode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(PercentEncode("a b+c/d?e&f=g%h"), "a%20b%2Bc%2Fd%3Fe%26f%3Dg%25h");
  EXPECT_EQ(PercentEncode("\xc3\xa9"), "%C3%A9");  // UTF-8 bytes, upper-case hex
  EXPECT_EQ(PercentEncode(std::string_view("\0\xff", 2)), "%00%FF");
  EXPECT_EQ(PercentEncode(""), "");
}

TEST(WireEncoding, Base64) {
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(Base64("user:pa ss"), "dXNlcjpwYSBzcw==");
}

TEST(WireErrors, TaxiiErrorTextSaysTitleAndDescription) {
  EXPECT_EQ(TaxiiErrorText(R"({"title":"Not found","description":"no collection x",)"
                           R"("http_status":"404"})"),
            "Not found: no collection x");
  EXPECT_EQ(TaxiiErrorText(R"({"title":"Unauthorized"})"), "Unauthorized");
  // Not a TAXII error message: the start of the body, on one line.
  EXPECT_EQ(TaxiiErrorText("<html>\r\n<h1>502 Bad Gateway</h1>\n</html>"),
            "<html>\\x0d\\x0a<h1>502 Bad Gateway</h1>\\x0a</html>");
  // A hostile peer's escape sequences and forged lines reach no terminal (found in review).
  EXPECT_EQ(TaxiiErrorText(R"({"title":"x\u001b[2J","description":"\nFAKE: ok\u0007"})"),
            "x\\x1b[2J: \\x0aFAKE: ok\\x07");
  EXPECT_EQ(TaxiiErrorText(R"({"title":")" + std::string(300, 't') + R"(","description":")" +
                           std::string(900, 'd') + R"("})")
                .size(),
            200u + 2 + 500u);
  Result<StatusResource> status = ReadStatus(
      R"({"id":"s","status":"complete","total_count":1,"success_count":0,"failure_count":1,)"
      R"("failures":[{"id":"indicator--x","version":"v","message":"bad\u001b]0;x\u0007"}],)"
      R"("pending_count":0})");
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  ASSERT_EQ(status->failures.size(), 1u);
  EXPECT_EQ(status->failures[0].message, "bad\\x1b]0;x\\x07");
  EXPECT_EQ(TaxiiErrorText(R"({"error":"x"})"), R"({"error":"x"})");
  EXPECT_EQ(TaxiiErrorText(""), "(no body)");
  EXPECT_EQ(TaxiiErrorText(std::string(500, 'x')).size(), 200u);
}

}  // namespace
}  // namespace ctihub::sync::internal
