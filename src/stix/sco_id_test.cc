#include "stix/sco_id.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

namespace ctihub::stix {
namespace {

// Parses `json` and computes its id; "v4" for an empty optional, "error: <message>" on failure.
std::string IdOf(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element element;
  if (parser.parse(json).get(element) != simdjson::SUCCESS) return "unparsable test input";
  Result<std::optional<std::string>> id = ComputeScoId(element);
  if (!id.ok()) return "error: " + id.status().ToString();
  return id->has_value() ? **id : "v4";
}

Result<std::optional<std::string>> NameOf(const std::string& json, simdjson::dom::parser& parser) {
  return IdContributingJson(parser.parse(json).value());
}

struct KnownId {
  const char* source;
  const char* json;
  const char* expected_id;
};

// Expected ids published by others. "STIX 2.1 §x" = the example in that section of the STIX 2.1 OS
// text (oasis-tcs/cti-stix2 spec/stix-v2.1.md); each was also reproduced with the OASIS
// python-stix2 library (oasis-open/cti-python-stix2 @2270361).
const KnownId kKnownIds[] = {
    {"STIX 2.1 §6.8 IPv4 example",
     R"({"type":"ipv4-addr","spec_version":"2.1","value":"198.51.100.3"})",
     "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"},
    {"STIX 2.1 §6.4 domain-name example (resolves_to_refs does not contribute)",
     R"({"type":"domain-name","spec_version":"2.1","value":"example.com",
         "resolves_to_refs":["ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"]})",
     "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7"},
    {"STIX 2.1 §6.5 email-addr example (display_name does not contribute)",
     R"({"type":"email-addr","spec_version":"2.1","value":"john@example.com","display_name":"John Doe"})",
     "email-addr--7165e2a9-671f-585d-b1e1-ca59c671d934"},
    {"STIX 2.1 §6.2 autonomous-system example (integer value)",
     R"({"type":"autonomous-system","spec_version":"2.1","number":15139,"name":"Slime Industries",
         "rir":"ARIN"})",
     "autonomous-system--3aa27478-50b5-5ab8-9da9-cdc12b657fff"},
    {"STIX 2.1 §6.3 directory example (backslashes escaped)",
     R"({"type":"directory","spec_version":"2.1","path":"C:\\Windows\\System32"})",
     "directory--0a58d0c1-59e6-5afd-8252-dcd3f13e5622"},
    {"STIX 2.1 §6.1 artifact example",
     R"({"type":"artifact","spec_version":"2.1","mime_type":"image/jpeg",
         "payload_bin":"VBORw0KGgoAAAANSUhEUgAAADI== ..."})",
     "artifact--a785c567-cc53-52a1-abeb-026bb7ddf8ba"},
    {"STIX 2.1 §6.7 file example (non-ASCII name)",
     R"({"type":"file","spec_version":"2.1","hashes":{"SHA-256":
         "841a8921140aba50671ebb0770fecc4ee308c4952cfeff8de154ab14eeef4649"},
         "name":"qu\u00eary.dll","name_enc":"windows-1252"})",
     "file--7d1e3a18-89e7-5bc5-be36-9879f5b7f5c8"},
    {"STIX 2.1 §6.7.5 windows-pebinary-ext example (nested extension, fractions, large integers)",
     R"({"type":"file","spec_version":"2.1","name":"example.exe","extensions":{
         "windows-pebinary-ext":{"pe_type":"exe","machine_hex":"014c","number_of_sections":4,
         "time_date_stamp":"2016-01-22T12:31:12Z","pointer_to_symbol_table_hex":"74726144",
         "number_of_symbols":4542568,"size_of_optional_header":224,"characteristics_hex":"818f",
         "optional_header":{"magic_hex":"010b","major_linker_version":2,"minor_linker_version":25,
         "size_of_code":512,"size_of_initialized_data":283648,"size_of_uninitialized_data":0,
         "address_of_entry_point":4096,"base_of_code":4096,"base_of_data":8192,
         "image_base":14548992,"section_alignment":4096,"file_alignment":4096,
         "major_os_version":1,"minor_os_version":0,"major_image_version":0,
         "minor_image_version":0,"major_subsystem_version":4,"minor_subsystem_version":0,
         "win32_version_value_hex":"00","size_of_image":299008,"size_of_headers":4096,
         "checksum_hex":"00","subsystem_hex":"03","dll_characteristics_hex":"00",
         "size_of_stack_reserve":100000,"size_of_stack_commit":8192,
         "size_of_heap_reserve":100000,"size_of_heap_commit":4096,
         "loader_flags_hex":"abdbffde","number_of_rva_and_sizes":3758087646},
         "sections":[{"name":"CODE","entropy":0.061089},{"name":"DATA","entropy":7.980693},
         {"name":"NicolasB","entropy":0.607433},{"name":".idata","entropy":0.607433}]}}})",
     "file--9af228db-9a04-5787-ad43-ccadc137a0e2"},
    {"STIX 2.1 §6.9 IPv6 example",
     R"({"type":"ipv6-addr","spec_version":"2.1","value":"2001:0db8:85a3:0000:0000:8a2e:0370:7334"})",
     "ipv6-addr--85a85a8c-ee99-5722-946d-3c3a3270fc6f"},
    {"STIX 2.1 §6.10 mac-addr example",
     R"({"type":"mac-addr","spec_version":"2.1","value":"d2:fb:49:24:37:18"})",
     "mac-addr--757b1725-9903-54f5-a855-1240691d7659"},
    {"STIX 2.1 §6.11 mutex example",
     R"({"type":"mutex","spec_version":"2.1","name":"__CLEANSWEEP__"})",
     "mutex--f93fe911-e545-5239-b9b0-597840d0c871"},
    {"STIX 2.1 §6.14 software example",
     R"({"type":"software","spec_version":"2.1","name":"Word",
         "cpe":"cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*","version":"2002","vendor":"Microsoft"})",
     "software--710b0b41-d4d0-5d6c-a400-fc9254554ffc"},
    {"STIX 2.1 §6.15 url example",
     R"({"type":"url","spec_version":"2.1","value":"https://example.com/research/index.html"})",
     "url--47c3cf9a-5027-5bf0-997a-017c7edc7c55"},
    {"STIX 2.1 §6.16 user-account example",
     R"({"type":"user-account","spec_version":"2.1","user_id":"1001","account_login":"jdoe",
         "account_type":"unix","display_name":"John Doe","is_service_account":false,
         "is_privileged":false,"can_escalate_privs":true,"account_created":"2016-01-20T12:31:12Z",
         "credential_last_changed":"2016-01-20T14:27:43Z",
         "account_first_login":"2016-01-20T14:26:07Z","account_last_login":"2016-07-22T16:08:28Z"})",
     "user-account--f94d689e-707d-58c3-b803-c720bb6ed096"},
    {"STIX 2.1 §6.17 windows-registry-key example (values array)",
     R"({"type":"windows-registry-key","spec_version":"2.1","key":"hkey_local_machine\\system\\bar\\foo",
         "values":[{"name":"Foo","data":"qwerty","data_type":"REG_SZ"},
                   {"name":"Bar","data":"42","data_type":"REG_DWORD"}]})",
     "windows-registry-key--f6a11ddf-fa2b-54c8-97ab-e7f28413095a"},
    {"STIX 2.1 §6.18 x509-certificate example",
     R"({"type":"x509-certificate","spec_version":"2.1",
         "issuer":"C=ZA, ST=Western Cape, L=Cape Town, O=Thawte Consulting cc, OU=Certification Services Division, CN=Thawte Server CA/emailAddress=server-certs@thawte.com",
         "validity_not_before":"2016-03-12T12:00:00Z","validity_not_after":"2016-08-21T12:00:00Z",
         "subject":"C=US, ST=Maryland, L=Pasadena, O=Brent Baccala, OU=FreeSoft, CN=www.freesoft.org/emailAddress=baccala@freesoft.org",
         "serial_number":"36:f7:d4:32:f4:ab:70:ea:d3:ce:98:6e:ea:99:93:49:32:0a:b7:06"})",
     "x509-certificate--bf86f034-2390-54d7-8426-d08433db3fbe"},
    {"OASIS docs example sighting-of-observed-data.json (MD5 chosen over SHA-1)",
     R"({"type":"file","id":"file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d","spec_version":"2.1",
         "hashes":{"MD5":"1717b7fff97d37a1e1a0029d83492de1",
                   "SHA-1":"c79a326f8411e9488bdc3779753e1e3489aaedea"},
         "size":83968,"name":"resume.pdf"})",
     "file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d"},
    {"OASIS docs example sighting-of-observed-data.json (registry key)",
     R"({"type":"windows-registry-key","id":"windows-registry-key--16b80d14-d574-5620-abad-10ff304b1c26",
         "spec_version":"2.1","key":"HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\WSALG2"})",
     "windows-registry-key--16b80d14-d574-5620-abad-10ff304b1c26"},
    {"python-stix2 test_deterministic_ids.py test_id_gen_recursive_dict_conversion_1",
     R"({"type":"file","name":"example.exe","size":68000,"magic_number_hex":"50000000",
         "hashes":{"SHA-256":"841a8921140aba50671ebb0770fecc4ee308c4952cfeff8de154ab14eeef4649"},
         "extensions":{"windows-pebinary-ext":{"pe_type":"exe","machine_hex":"014c",
         "sections":[{"name":".data","size":4096,"entropy":7.980693,"hashes":{"SHA-256":
         "6e3b6f3978e5cd96ba7abee35c24e867b7e64072e2ecb22d0ee7a6e6af6894d0"}}]}}})",
     "file--ced31cd4-bdcb-537d-aefa-92d291bfc11d"},
    {"python-stix2 test_deterministic_ids.py test_id_gen_recursive_dict_conversion_2",
     R"({"type":"windows-registry-key","values":[{"name":"Foo","data":"qwerty"},
         {"name":"Bar","data":"42"}]})",
     "windows-registry-key--36594eba-bcc7-5014-9835-0e154264e588"},
    // The spec prints network-traffic--6e0cb830-… for this §6.12 example; §3.4 warns that some
    // example ids are inaccurate and python-stix2 computes the value below, as we do.
    {"python-stix2 on the STIX 2.1 §6.12 network-traffic example",
     R"({"type":"network-traffic","spec_version":"2.1",
         "src_ref":"ipv4-addr--9cf4a8ec-7640-5f40-a006-79942896168b",
         "dst_ref":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","protocols":["tcp"]})",
     "network-traffic--4292dccf-844d-5aa2-a8c2-285ed7a90c02"},
    {"python-stix2 on an email-message with from_ref, subject and a non-ASCII body",
     R"({"type":"email-message","is_multipart":false,
         "from_ref":"email-addr--7165e2a9-671f-585d-b1e1-ca59c671d934","subject":"Saying Hello",
         "body":"Hi\n\tthere \u00e9\u20ac\ud83d\ude02"})",
     "email-message--9ff9b165-b68c-5927-bd50-c08497c6c0ea"},
};

TEST(ComputeScoId, MatchesPublishedDeterministicIds) {
  for (const KnownId& known : kKnownIds) {
    EXPECT_EQ(IdOf(known.json), known.expected_id) << known.source;
  }
}

TEST(ComputeScoId, IgnoresPropertyOrderWhitespaceAndExistingId) {
  EXPECT_EQ(IdOf(R"({ "value" : "198.51.100.3" ,
                     "id":"ipv4-addr--00000000-0000-4000-8000-000000000000", "type":"ipv4-addr" })"),
            "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4");
}

TEST(ComputeScoId, NonContributingPropertiesDoNotChangeTheId) {
  EXPECT_EQ(IdOf(R"({"type":"email-addr","value":"john@example.com","display_name":"Johnny"})"),
            IdOf(R"({"type":"email-addr","value":"john@example.com","display_name":"Janey"})"));
  EXPECT_NE(IdOf(R"({"type":"email-addr","value":"john@example.com"})"),
            IdOf(R"({"type":"email-addr","value":"jane@example.com"})"));
}

TEST(ComputeScoId, UsesOnlyTheMostPreferredHash) {
  // Same MD5, different other hashes: same id (only MD5 contributes).
  EXPECT_EQ(
      IdOf(R"({"type":"file","hashes":{"SHA-256":"aa","MD5":"1717b7fff97d37a1e1a0029d83492de1"},
                     "name":"resume.pdf"})"),
      "file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d");
  // SHA-256 is preferred over SHA-512 (python-stix2 gives the same id).
  EXPECT_EQ(IdOf(R"({"type":"file","name":"x","hashes":{
        "SHA-512":"a4abd4448c49562d828115d13a1fccea927f52b4d5459297f8b43e42da89238bc13626e43dcb38ddb082488927ec904fb42057443983e88585179d50551afe62",
        "SHA-256":"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"}})"),
            "file--5eecb264-c488-54d2-8b26-eb27a68cd7de");
}

TEST(ComputeScoId, WithoutAPreferredHashUsesTheFirstHashAsPythonStix2Does) {
  const std::string tlsh = "ababababababababababababababababababababababababababababababababababab";
  // Expected ids computed with python-stix2 @2270361.
  EXPECT_EQ(
      IdOf(
          R"({"type":"file","name":"x","hashes":{"SSDEEP":"3:axgbicflgvnhbgcl6wcrfqev:axghsnhxlsr2c","TLSH":")" +
          tlsh + R"("}})"),
      "file--5eb9fa06-75f4-5cb0-80f0-fbecc8f2bc58");
  EXPECT_EQ(IdOf(R"({"type":"file","name":"x","hashes":{"TLSH":")" + tlsh +
                 R"(","SSDEEP":"3:axgbicflgvnhbgcl6wcrfqev:axghsnhxlsr2c"}})"),
            "file--c129f5f7-cb42-58d2-b03e-f18935213e2e");
}

TEST(IdContributingJson, IsCanonicalJsonOfThePresentPropertiesWithOneHash) {
  simdjson::dom::parser parser;
  Result<std::optional<std::string>> name = NameOf(
      R"({"type":"file","size":83968,"name":"r\u00e9sum\u00e9.pdf",
          "hashes":{"SHA-1":"c79a326f8411e9488bdc3779753e1e3489aaedea","MD5":"1717b7"},
          "parent_directory_ref":"directory--0a58d0c1-59e6-5afd-8252-dcd3f13e5622"})",
      parser);
  ASSERT_TRUE(name.ok()) << name.status().ToString();
  EXPECT_EQ(name->value(),
            "{\"hashes\":{\"MD5\":\"1717b7\"},\"name\":\"r\xC3\xA9sum\xC3\xA9.pdf\","
            "\"parent_directory_ref\":\"directory--0a58d0c1-59e6-5afd-8252-dcd3f13e5622\"}");
}

TEST(ComputeScoId, ProcessAlwaysNeedsARandomId) {
  EXPECT_EQ(IdOf(R"({"type":"process","pid":1221,"command_line":"./gedit-bin --new-window"})"),
            "v4");
}

TEST(ComputeScoId, NoContributingPropertyPresentNeedsARandomId) {
  EXPECT_EQ(IdOf(R"({"type":"email-message","is_multipart":false})"), "v4");
  EXPECT_EQ(IdOf(R"({"type":"file","size":25536})"), "v4");
}

TEST(ComputeScoId, RejectsInputThatIsNotAStixSco) {
  simdjson::dom::parser parser;
  const auto code_and_location = [&](const std::string& json) {
    Result<std::optional<std::string>> r = ComputeScoId(parser.parse(json).value());
    EXPECT_FALSE(r.ok()) << json;
    return std::make_pair(r.status().code(), r.status().location());
  };
  using Pair = std::pair<StatusCode, std::string>;
  EXPECT_EQ(code_and_location(R"(["ipv4-addr"])"), Pair(StatusCode::kInvalidArgument, ""));
  EXPECT_EQ(code_and_location(R"({"value":"198.51.100.3"})"),
            Pair(StatusCode::kInvalidArgument, "/type"));
  EXPECT_EQ(code_and_location(R"({"type":7,"value":"198.51.100.3"})"),
            Pair(StatusCode::kInvalidArgument, "/type"));
  EXPECT_EQ(code_and_location(
                R"({"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"})"),
            Pair(StatusCode::kInvalidArgument, "/type"));
  EXPECT_EQ(code_and_location(R"({"type":"x-custom-sco","value":"a"})"),
            Pair(StatusCode::kInvalidArgument, "/type"));
}

TEST(ComputeScoId, RejectsBadContributingValues) {
  simdjson::dom::parser parser;
  const auto status = [&](const std::string& json) {
    Result<std::optional<std::string>> r = ComputeScoId(parser.parse(json).value());
    EXPECT_FALSE(r.ok()) << json;
    return r.status();
  };
  Status s = status(R"({"type":"file","id":"file--1","hashes":{}})");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.location(), "/hashes");
  EXPECT_NE(s.message().find("file--1"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("empty"), std::string::npos) << s.message();

  s = status(R"({"type":"file","hashes":["MD5","aa"]})");
  EXPECT_EQ(s.location(), "/hashes");

  s = status(R"({"type":"domain-name","value":null})");
  EXPECT_EQ(s.location(), "/value");
  EXPECT_NE(s.message().find("null"), std::string::npos) << s.message();
}

TEST(IdContributingProperties, FollowsTheSpecTableForEveryScoType) {
  const struct {
    const char* type;
    std::vector<std::string_view> properties;
  } kTable[] = {
      {"artifact", {"hashes", "payload_bin"}},
      {"autonomous-system", {"number"}},
      {"directory", {"path"}},
      {"domain-name", {"value"}},
      {"email-addr", {"value"}},
      {"email-message", {"from_ref", "subject", "body"}},
      {"file", {"hashes", "name", "extensions", "parent_directory_ref"}},
      {"ipv4-addr", {"value"}},
      {"ipv6-addr", {"value"}},
      {"mac-addr", {"value"}},
      {"mutex", {"name"}},
      {"network-traffic",
       {"start", "end", "src_ref", "dst_ref", "src_port", "dst_port", "protocols", "extensions"}},
      {"software", {"name", "cpe", "swid", "vendor", "version"}},
      {"url", {"value"}},
      {"user-account", {"account_type", "user_id", "account_login"}},
      {"windows-registry-key", {"key", "values"}},
      {"x509-certificate", {"hashes", "serial_number"}},
  };
  for (const auto& row : kTable) {
    EXPECT_TRUE(IsStixScoType(row.type)) << row.type;
    const std::vector<std::string_view>* properties = IdContributingProperties(row.type);
    ASSERT_NE(properties, nullptr) << row.type;
    EXPECT_EQ(*properties, row.properties) << row.type;
  }
  EXPECT_TRUE(IsStixScoType("process"));
  EXPECT_EQ(IdContributingProperties("process"), nullptr);
  EXPECT_FALSE(IsStixScoType("indicator"));
  EXPECT_EQ(IdContributingProperties("indicator"), nullptr);
  EXPECT_EQ(IdContributingProperties("File"), nullptr);
}

}  // namespace
}  // namespace ctihub::stix
