#include "stix/validator.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

namespace ctihub::stix {
namespace {

namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(CTIHUB_SOURCE_DIR) / "tests" / "corpus";
const fs::path kSharedData = fs::path(CTIHUB_SHARED_DATA);

struct Outcome {
  FileReport report;
  std::vector<Finding> findings;
  bool Has(std::string_view rule, std::string_view pointer) const {
    for (const Finding& f : findings) {
      if (f.rule == rule && f.pointer == pointer) return true;
    }
    return false;
  }
  std::string Dump() const {
    std::string out;
    for (const Finding& f : findings) {
      out += std::string(SeverityName(f.severity)) + " " + f.rule + " " + f.pointer + ": " +
             f.message + "\n";
    }
    return out;
  }
};

Outcome ValidatePath(const fs::path& path, ValidatorOptions options = {}) {
  Validator validator(options);
  Outcome run;
  run.report = validator.ValidateFile(path.string(), [&](const Finding& f) { run.findings.push_back(f); });
  return run;
}

Outcome ValidateString(std::string text, ValidatorOptions options = {}) {
  Validator validator(options);
  Outcome run;
  run.report = validator.ValidateText(std::move(text), [&](const Finding& f) { run.findings.push_back(f); });
  return run;
}

ValidatorOptions StrictOptions() {
  ValidatorOptions options;
  options.strict = true;
  return options;
}

// tests/corpus/expectations.tsv: each line names a corpus file and the finding it must produce.
TEST(ValidatorCorpus, EveryCaseProducesItsFinding) {
  std::ifstream in(kCorpus / "expectations.tsv");
  ASSERT_TRUE(in) << "missing " << (kCorpus / "expectations.tsv");
  std::string line;
  int cases = 0;
  std::set<std::string> listed;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string file, severity, rule, pointer;
    std::getline(fields, file, '\t');
    std::getline(fields, severity, '\t');
    std::getline(fields, rule, '\t');
    std::getline(fields, pointer, '\t');
    listed.insert(file);
    Outcome run = ValidatePath(kCorpus / file);
    ++cases;
    EXPECT_TRUE(run.Has(rule, pointer))
        << file << ": expected " << rule << " at '" << pointer << "', got:\n" << run.Dump();
    if (severity == "error") {
      EXPECT_FALSE(run.report.valid()) << file << " should be invalid";
    } else {
      EXPECT_TRUE(run.report.valid()) << file << " should be valid (warnings only):\n" << run.Dump();
      Outcome strict = ValidatePath(kCorpus / file, StrictOptions());
      EXPECT_FALSE(strict.report.valid()) << file << " should be invalid under --strict";
    }
  }
  EXPECT_GE(cases, 90);
  // Every invalid fixture is pinned by an expectation (no silent fixtures).
  for (const auto& entry : fs::directory_iterator(kCorpus / "invalid")) {
    EXPECT_TRUE(listed.count("invalid/" + entry.path().filename().string()))
        << entry.path() << " has no line in expectations.tsv";
  }
}

TEST(ValidatorCorpus, ValidFixturesHaveNoErrors) {
  for (const auto& entry : fs::directory_iterator(kCorpus / "valid")) {
    Outcome run = ValidatePath(entry.path());
    EXPECT_TRUE(run.report.valid()) << entry.path() << ":\n" << run.Dump();
    EXPECT_GT(run.report.objects, 0u) << entry.path();
  }
}

// spec_version, created and modified are common properties of language-content and
// extension-definition (§7.1, §7.3), not custom ones: a valid one draws no warning.
TEST(ValidatorCorpus, MetaObjectsCommonPropertiesAreNotCustom) {
  for (const char* name : {"language-content.json", "extension-definition.json"}) {
    Outcome run = ValidatePath(kCorpus / "valid" / name);
    EXPECT_EQ(run.report.errors + run.report.warnings, 0u) << name << ":\n" << run.Dump();
  }
}

TEST(Validator, FindingNamesObjectAndPointerInBundle) {
  Outcome run = ValidateString(R"({"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
    {"type":"identity","spec_version":"2.1","id":"identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
     "created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z"}]})");
  ASSERT_EQ(run.findings.size(), 1u) << run.Dump();
  EXPECT_EQ(run.findings[0].object_id, "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
  EXPECT_EQ(run.findings[0].pointer, "/objects/0/name");
  EXPECT_EQ(run.findings[0].rule, "required-property");
  EXPECT_EQ(run.findings[0].line, 2u);
}

TEST(Validator, HundredMegabyteStringIsHandled) {
  std::string text = R"({"type":"note","spec_version":"2.1","id":"note--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","object_refs":["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"],"content":")";
  text.append(100u << 20, 'a');
  text += "\"}";
  Outcome run = ValidateString(std::move(text));
  EXPECT_TRUE(run.report.valid()) << run.Dump();
  EXPECT_EQ(run.report.objects, 1u);
}

// simdjson says only "Problem while parsing a string": the finding names the escape and where.
TEST(Validator, ABadEscapeIsNamedWithItsOffset) {
  const std::string head = R"({"type":"note","content":")";
  for (const auto& [escape, said] : {std::pair<std::string, std::string>{
                                         R"(\ud800x)", "'\\ud800' is a lone UTF-16 high surrogate"},
                                     {R"(\udc00)", "'\\udc00' is a lone UTF-16 low surrogate"},
                                     {R"(\x41)", "'\\x' is no JSON escape"},
                                     {R"(\u12G4)", "a \\u escape without four hex digits"}}) {
    Outcome run = ValidateString("[" + head + R"(ok \ud83d\ude00 \n )" + escape + R"("}])");
    ASSERT_EQ(run.findings.size(), 1u) << run.Dump();
    const std::string& message = run.findings[0].message;
    EXPECT_NE(message.find(said), std::string::npos) << message;
    EXPECT_NE(message.find("at byte " + std::to_string(head.size() + 19) + " of the object"),
              std::string::npos)
        << message;
  }
}

TEST(Validator, ObjectOverSizeLimitIsAFinding) {
  ValidatorOptions options;
  options.reader.max_object_bytes = 1000;
  Outcome run = ValidateString("[{\"type\":\"note\",\"content\":\"" + std::string(5000, 'a') + "\"}]", options);
  EXPECT_TRUE(run.Has("object-too-large", "")) << run.Dump();
  EXPECT_FALSE(run.report.valid());
}

TEST(Validator, FindingsPerObjectAreCapped) {
  std::string obj = R"({"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[mutex:name = 'm']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z")";
  for (int i = 0; i < 200; ++i) obj += ",\"Bad" + std::to_string(i) + "\":1";
  obj += "}";
  ValidatorOptions options;
  options.max_findings_per_object = 10;
  Outcome run = ValidateString(obj, options);
  EXPECT_EQ(run.findings.size(), 11u);
  EXPECT_EQ(run.findings.back().rule, "too-many-findings");
  EXPECT_EQ(run.report.errors, 200u);  // all are counted, only 10 shown
}

TEST(Validator, JsonLinesDuplicateIdsAreNotDuplicatesAcrossLines) {
  std::string line = R"({"type":"identity","spec_version":"2.1","id":"identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","name":"A"})";
  Outcome run = ValidateString(line + "\n" + line + "\n");
  EXPECT_TRUE(run.report.valid()) << run.Dump();
  EXPECT_EQ(run.report.objects, 2u);
}

bool SharedDataPresent();

// The parallel path must report exactly what the sequential one does, in the same order.
TEST(Validator, ThreadsDoNotChangeFindingsOrOrder) {
  std::vector<fs::path> files;
  for (const char* dir : {"valid", "invalid"}) {
    for (const auto& entry : fs::directory_iterator(kCorpus / dir)) files.push_back(entry.path());
  }
  if (SharedDataPresent()) {
    files.push_back(kSharedData / "stix/capec/stix-capec-2.1-reassembled.json");
    files.push_back(kSharedData / "stix/attack/ics-attack-18.1.json");
    files.push_back(kSharedData / "stix/python-stix2-filesystem-v21/malware/malware--b42378e0-f147-496f-992a-26a49705395b/20170531213215263882.json");
  }
  // A generated bundle large enough for many batches, with duplicates and errors spread over it.
  std::string big = R"({"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[)";
  for (int i = 0; i < 3000; ++i) {
    if (i) big += ",\n";
    char id[64];
    std::snprintf(id, sizeof(id), "indicator--%08x-17d4-4cbf-938f-98ee46b3cd3f", i % 2900);
    big += std::string(R"({"type":"indicator","spec_version":"2.1","name":"n)") +
           std::to_string(i) + R"(","id":")" + id +
           R"(","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":")" +
           (i % 7 == 0 ? "[broken" : "[ipv4-addr:value = '198.51.100.1']") +
           R"(","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"})";
  }
  big += "]}";
  fs::path big_path = fs::temp_directory_path() / "ctihub-threads-test.json";
  std::ofstream(big_path) << big;
  files.push_back(big_path);
  ValidatorOptions parallel;
  parallel.threads = 3;
  for (const fs::path& file : files) {
    Outcome one = ValidatePath(file);
    Outcome many = ValidatePath(file, parallel);
    EXPECT_EQ(one.Dump(), many.Dump()) << file;
    EXPECT_EQ(one.report.errors, many.report.errors) << file;
    EXPECT_EQ(one.report.warnings, many.report.warnings) << file;
    EXPECT_EQ(one.report.objects, many.report.objects) << file;
    EXPECT_EQ(one.report.invalid_objects, many.report.invalid_objects) << file;
  }
  Outcome big_run = ValidatePath(big_path, parallel);
  EXPECT_EQ(big_run.report.objects, 3000u);
  size_t pattern_errors = 0, duplicates = 0;
  for (const Finding& f : big_run.findings) {
    pattern_errors += f.rule == "pattern-syntax";
    duplicates += f.rule == "duplicate-id";
  }
  EXPECT_EQ(pattern_errors, 429u);  // i % 7 == 0 for i < 3000
  EXPECT_EQ(duplicates, 100u);      // ids 0..99 appear twice, with different patterns
  fs::remove(big_path);
}

// ---- shared/data: every file gets the verdict it deserves -------------------------------------

bool SharedDataPresent() { return fs::exists(kSharedData / "stix"); }

void ExpectValid(const fs::path& path) {
  Outcome run = ValidatePath(path);
  EXPECT_TRUE(run.report.valid()) << path << ":\n" << run.Dump();
  EXPECT_GT(run.report.objects, 0u) << path;
}

TEST(ValidatorSharedData, OasisExamplesAreValid) {
  if (!SharedDataPresent()) GTEST_SKIP() << "../shared/data is absent; shared-data tests skipped";
  int files = 0;
  for (const char* dir : {"oasis-examples", "oasis-docs-examples", "tlp2.0"}) {
    for (const auto& entry : fs::recursive_directory_iterator(kSharedData / "stix" / dir)) {
      if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
      if (entry.path().filename().string().find("INVALID") != std::string::npos) continue;
      ExpectValid(entry.path());
      ++files;
    }
  }
  EXPECT_GE(files, 20);
}

TEST(ValidatorSharedData, PythonStix2FilesystemCorpusIsValidOrStix20) {
  if (!SharedDataPresent()) GTEST_SKIP() << "../shared/data is absent; shared-data tests skipped";
  int files = 0, stix20 = 0;
  for (const auto& entry : fs::recursive_directory_iterator(kSharedData / "stix" / "python-stix2-filesystem-v21")) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
    Outcome run = ValidatePath(entry.path());
    ++files;
    if (run.report.stix20) {
      // A few files are 2.0 bundles whose spec_version comes after the objects (sorted keys):
      // recognised at the bundle's end and reported once, with no per-object findings.
      ++stix20;
      ASSERT_EQ(run.findings.size(), 1u) << entry.path() << ":\n" << run.Dump();
      EXPECT_EQ(run.findings[0].rule, "stix-2.0");
      continue;
    }
    EXPECT_TRUE(run.report.valid()) << entry.path() << ":\n" << run.Dump();
  }
  EXPECT_GE(files, 30);
  EXPECT_GE(stix20, 1);
}

TEST(ValidatorSharedData, AttackIcsAndMobileAreValid) {
  if (!SharedDataPresent()) GTEST_SKIP() << "../shared/data is absent; shared-data tests skipped";
  ExpectValid(kSharedData / "stix/attack/ics-attack-18.1.json");
  ExpectValid(kSharedData / "stix/attack/mobile-attack-17.1.json");
}

TEST(ValidatorSharedData, CapecIsValidExceptTwoUrlsWithLeadingSpaces) {
  if (!SharedDataPresent()) GTEST_SKIP() << "../shared/data is absent; shared-data tests skipped";
  Outcome run = ValidatePath(kSharedData / "stix/capec/stix-capec-2.1-reassembled.json");
  // Upstream CAPEC carries two reference URLs that start with a space, which RFC 3986 does not
  // allow; the OASIS validator flags the same two (docs/conformance.md).
  std::vector<std::string> error_ids;
  for (const Finding& f : run.findings) {
    if (f.severity == Severity::kError) {
      EXPECT_EQ(f.rule, "url-format") << run.Dump();
      error_ids.push_back(f.object_id);
    }
  }
  EXPECT_EQ(error_ids.size(), 2u) << run.Dump();
  EXPECT_EQ(run.report.objects, 2683u);
}

TEST(ValidatorSharedData, InvalidFilesAreInvalidForTheRightReason) {
  if (!SharedDataPresent()) GTEST_SKIP() << "../shared/data is absent; shared-data tests skipped";
  struct Case {
    const char* file;
    const char* rule;
  } cases[] = {
      {"stix/tlp2.0/using-tlp2.0-green_INVALID-timestamp.json", "timestamp-format"},
      {"stix/validator-examples/invalid_braces.json", "json-syntax"},
      {"stix/validator-examples/invalid_comma.json", "json-syntax"},
      {"stix/validator-examples/invalid_identity.json", "required-property"},
      {"stix/validator-examples/invalid_timestamp.json", "modified-before-created"},
      {"stix/validator-custom-schemas/x-foo-bar.json", "json-syntax"},
  };
  for (const Case& c : cases) {
    Outcome run = ValidatePath(kSharedData / c.file);
    EXPECT_FALSE(run.report.valid()) << c.file;
    bool found = false;
    for (const Finding& f : run.findings) found |= f.rule == c.rule;
    EXPECT_TRUE(found) << c.file << " should report " << c.rule << ":\n" << run.Dump();
  }
}

TEST(ValidatorSharedData, ValidatorExamplesThatAreValid) {
  if (!SharedDataPresent()) GTEST_SKIP() << "../shared/data is absent; shared-data tests skipped";
  for (const char* f : {"identity.json", "tool.json", "tlp-amber.json", "identity_custom.json",
                        "identity_unicode.json", "identity_warning.json"}) {
    ExpectValid(kSharedData / "stix/validator-examples" / f);
  }
}

TEST(ValidatorSharedData, Stix20EnterpriseIsRecognised) {
  if (!SharedDataPresent()) GTEST_SKIP() << "../shared/data is absent; shared-data tests skipped";
  fs::path xz = kSharedData / "stix/attack/enterprise-attack-stix2.0-reassembled.json.xz";
  fs::path out = fs::temp_directory_path() / "ctihub-enterprise-2.0.json";
  std::string cmd = "xz -dc '" + xz.string() + "' > '" + out.string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "xz is needed to unpack " << xz;
  Outcome run = ValidatePath(out);
  fs::remove(out);
  EXPECT_TRUE(run.report.stix20);
  EXPECT_FALSE(run.report.valid());
  EXPECT_EQ(run.report.objects, 24771u);
  ASSERT_FALSE(run.findings.empty());
  EXPECT_EQ(run.findings[0].rule, "stix-2.0");
  // 2.0 content is reported once, not per object (the other finding: its bundle id is UUIDv5).
  EXPECT_EQ(run.report.errors, 1u) << run.Dump();
}

// Written with sorted keys, a 2.0 bundle says "spec_version": "2.0" after its objects: their
// 2.1 findings are held until then. 12,000 objects make ~24,000 of them, more than the 10,000
// once held, which then all came out as 2.1 errors.
TEST(Validator, SortedKeyStix20BundleIsReportedOnceHoweverLong) {
  std::string text = R"({"id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[)";
  for (int i = 0; i < 12000; ++i) {
    char id[64];
    std::snprintf(id, sizeof id, "indicator--8e2e2d2b-17d4-4cbf-938f-%012d", i);
    if (i) text += ",";
    text += std::string(R"({"created":"2016-04-06T20:03:48Z","id":")") + id +
            R"(","labels":["malicious-activity"],"modified":"2016-04-06T20:03:48Z",)"
            R"("pattern":"[ipv4-addr:value = '198.51.100.1']","type":"indicator",)"
            R"("valid_from":"2016-01-01T00:00:00Z"})";
  }
  text += R"(],"spec_version":"2.0","type":"bundle"})";
  Outcome run = ValidateString(text);
  EXPECT_TRUE(run.report.stix20);
  EXPECT_EQ(run.report.objects, 12000u);
  EXPECT_EQ(run.report.errors, 1u) << run.findings.size() << " findings, first "
                                   << (run.findings.empty() ? "" : run.findings[0].rule);
}

TEST(ValidatorSharedData, NonStixJsonFilesAreInvalid) {
  if (!SharedDataPresent()) GTEST_SKIP() << "../shared/data is absent; shared-data tests skipped";
  // Schemas and interop property lists are JSON but not STIX objects.
  int files = 0;
  for (const char* dir : {"schemas-2.1", "oasis-interop"}) {
    for (const auto& entry : fs::recursive_directory_iterator(kSharedData / "stix" / dir)) {
      if (!entry.is_regular_file()) continue;
      Outcome run = ValidatePath(entry.path());
      EXPECT_FALSE(run.report.valid()) << entry.path();
      ++files;
    }
  }
  EXPECT_GE(files, 70);
}

}  // namespace
}  // namespace ctihub::stix
