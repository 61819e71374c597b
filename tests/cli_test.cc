// End-to-end tests of the ctihub binary: exit codes, help, output formats.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Output {
  int exit_code = -1;
  std::string out;
};

// Runs a shell command line; `out` is what it writes to the pipe it is given as standard output.
Output RunShell(const std::string& cmd) {
  Output o;
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) o.out.append(buf.data(), n);
  int status = pclose(p);
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return o;
}

Output RunCtihub(const std::string& args, const std::string& stdin_text = "") {
  std::string cmd = std::string(CTIHUB_BINARY) + " " + args + " 2>&1";
  if (!stdin_text.empty()) {
    // One file per process and call: ctest runs tests in parallel processes, and a shared name
    // let one test read another's input.
    static int calls = 0;
    fs::path in = fs::temp_directory_path() / ("ctihub-cli-stdin-" + std::to_string(::getpid()) +
                                               "-" + std::to_string(++calls) + ".json");
    std::ofstream(in) << stdin_text;
    Output o = RunShell(std::string(CTIHUB_BINARY) + " " + args + " < '" + in.string() + "' 2>&1");
    fs::remove(in);
    return o;
  }
  return RunShell(cmd);
}

// Runs ctihub with its standard output on /dev/full (a full disk); `out` is its standard error.
Output RunCtihubStdoutFull(const std::string& args) {
  return RunShell(std::string(CTIHUB_BINARY) + " " + args + " 2>&1 >/dev/full");
}

const std::string kCorpus = std::string(CTIHUB_SOURCE_DIR) + "/tests/corpus";

std::string ReadAll(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(Cli, VersionAndHelp) {
  Output v = RunCtihub("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find("ctihub "), std::string::npos);
  Output h = RunCtihub("--help");
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("validate"), std::string::npos);
  Output vh = RunCtihub("validate --help");
  EXPECT_EQ(vh.exit_code, 0);
  EXPECT_NE(vh.out.find("--strict"), std::string::npos);
}

TEST(Cli, PatternCheckAndExplain) {
  Output ok = RunCtihub("pattern check \"[ipv4-addr:value = '198.51.100.1']\"");
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("valid: [ipv4-addr:value = '198.51.100.1']"), std::string::npos) << ok.out;
  Output bad = RunCtihub("pattern check \"[ipv4-addr:value = \"");
  EXPECT_EQ(bad.exit_code, 1) << bad.out;
  EXPECT_NE(bad.out.find("offset 19"), std::string::npos) << bad.out;
  // Latin-1 from a terminal: no indicator (JSON, UTF-8) can carry it.
  Output latin1 = RunCtihub("pattern check \"[file:name = 'caf$(printf '\\351')']\"");
  EXPECT_EQ(latin1.exit_code, 1) << latin1.out;
  EXPECT_NE(latin1.out.find("invalid: not UTF-8 at offset 17"), std::string::npos) << latin1.out;
  EXPECT_EQ(RunCtihub("pattern explain \"[file:name = 'caf$(printf '\\351')']\"").exit_code, 1);
  Output utf8 = RunCtihub("pattern check \"[file:name = 'caf\xC3\xA9']\"");
  EXPECT_EQ(utf8.exit_code, 0) << utf8.out;
  // Valid STIX that this hub cannot evaluate (RE2 has no look-behind): said, with where.
  Output lookbehind = RunCtihub(
      "pattern check \"[file:size > 1] FOLLOWEDBY [domain-name:value MATCHES '(?<=a)b']\"");
  EXPECT_EQ(lookbehind.exit_code, 0) << lookbehind.out;
  EXPECT_NE(lookbehind.out.find("warning: MATCHES: '(?<=a)b' is not a regular expression"),
            std::string::npos)
      << lookbehind.out;
  EXPECT_NE(lookbehind.out.find("(offset 28); `ctihub match` leaves out"), std::string::npos)
      << lookbehind.out;
  EXPECT_EQ(ok.out.find("warning"), std::string::npos) << ok.out;
  Output explained = RunCtihub("pattern explain \"[file:size > 10] REPEATS 2 TIMES\"");
  EXPECT_EQ(explained.exit_code, 0) << explained.out;
  EXPECT_NE(explained.out.find("2 times"), std::string::npos) << explained.out;
  EXPECT_NE(explained.out.find("bracket 1: no indexable comparison; evaluated on every observation "
                               "with an object of type file"),
            std::string::npos)
      << explained.out;
  Output indexed = RunCtihub("pattern explain \"[ipv4-addr:value = '198.51.100.1']\"");
  EXPECT_NE(indexed.out.find("bracket 1: hash index on ipv4-addr:value"), std::string::npos)
      << indexed.out;
  EXPECT_NE(indexed.out.find("a hit is the answer"), std::string::npos) << indexed.out;
  Output sequence = RunCtihub(
      "pattern explain \"[ipv4-addr:value = '198.51.100.1'] FOLLOWEDBY "
      "[file:name LIKE 'a%']\"");
  EXPECT_NE(sequence.out.find("'198.51.100.1') — a hit answers this bracket"), std::string::npos)
      << sequence.out;
  EXPECT_NE(sequence.out.find("a hit is confirmed by the evaluator"), std::string::npos)
      << sequence.out;
  EXPECT_NE(sequence.out.find("then the whole pattern is evaluated"), std::string::npos)
      << sequence.out;
}

TEST(Cli, PatternMatchEvaluatesOverObservedData) {
  const std::string obs = R"([{"type":"observed-data","first_observed":"2020-01-01T00:00:00Z",)"
                          R"("last_observed":"2020-01-01T00:00:00Z","number_observed":1,)"
                          R"("objects":{"0":{"type":"ipv4-addr","value":"198.51.100.1"}}}])";
  Output hit = RunCtihub("pattern match \"[ipv4-addr:value ISSUBSET '198.51.100.0/24']\" -", obs);
  EXPECT_EQ(hit.exit_code, 0) << hit.out;
  EXPECT_NE(hit.out.find("match (1 observations)"), std::string::npos) << hit.out;
  Output miss = RunCtihub("pattern match \"[ipv4-addr:value = '198.51.100.2']\" -", obs);
  EXPECT_EQ(miss.exit_code, 1) << miss.out;
  EXPECT_NE(miss.out.find("no match"), std::string::npos) << miss.out;
  Output bad = RunCtihub("pattern match \"[ipv4-addr:value = '1']\" -", "[1]");
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("item 0 is neither observed-data nor a bundle"), std::string::npos)
      << bad.out;
  // A byte order mark, and JSON lines, as validate and import read them.
  const std::string one = R"({"type":"observed-data","first_observed":"2020-01-01T00:00:00Z",)"
                          R"("last_observed":"2020-01-01T00:00:00Z","number_observed":1,)"
                          R"("objects":{"0":{"type":"ipv4-addr","value":"198.51.100.1"}}})";
  Output lines = RunCtihub("pattern match \"[ipv4-addr:value = '198.51.100.1']\" -",
                           "\xEF\xBB\xBF" + one + "\n" + one + "\n");
  EXPECT_EQ(lines.exit_code, 0) << lines.out;
  EXPECT_NE(lines.out.find("match (2 observations)"), std::string::npos) << lines.out;
}

// Indicators and logs saved with a byte order mark are read as without; indicators can come from
// standard input (`export | match --indicators -`).
TEST(Cli, MatchReadsByteOrderMarksAndIndicatorsFromStandardInput) {
  fs::path dir = fs::temp_directory_path() / ("ctihub-bom-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string indicator =
      R"({"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",)"
      R"("created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z",)"
      R"("pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix",)"
      R"("valid_from":"2016-01-01T00:00:00Z"})";
  std::ofstream(dir / "ind.json") << "\xEF\xBB\xBF" << indicator << "\n";
  std::ofstream(dir / "conn.log")
      << "\xEF\xBB\xBF"
      << R"({"_path":"conn","ts":1700000000.0,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":1234,)"
      << R"("id.resp_h":"198.51.100.7","id.resp_p":443,"proto":"tcp"})"
      << "\n";
  Output bom = RunCtihub("match --indicators " + (dir / "ind.json").string() + " " +
                         (dir / "conn.log").string());
  EXPECT_EQ(bom.exit_code, 0) << bom.out;
  EXPECT_NE(bom.out.find("1 alert\n"), std::string::npos) << bom.out;
  EXPECT_NE(bom.out.find("0 bad"), std::string::npos) << bom.out;
  Output piped = RunCtihub("match --indicators - " + (dir / "conn.log").string(), indicator);
  EXPECT_EQ(piped.exit_code, 0) << piped.out;
  EXPECT_NE(piped.out.find("1 alert\n"), std::string::npos) << piped.out;
  fs::remove_all(dir);
}

// Options that would only fail, or do nothing, after the logs are matched are refused first:
// nothing is written, and the message names the option.
TEST(Cli, MatchRefusesOptionsItCannotUseBeforeMatching) {
  fs::path dir = fs::temp_directory_path() / ("ctihub-match-opts-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "ind.json")
      << R"({"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",)"
      << R"("created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z",)"
      << R"("pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix",)"
      << R"("valid_from":"2016-01-01T00:00:00Z"})"
      << "\n";
  std::ofstream(dir / "conn.log")
      << R"({"_path":"conn","ts":1700000000.0,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":1234,)"
      << R"("id.resp_h":"198.51.100.7","id.resp_p":443,"proto":"tcp"})"
      << "\n";
  std::ofstream(dir / "bad.toml") << "name = [\n";
  const std::string base = "match --indicators " + (dir / "ind.json").string() + " -o " +
                           (dir / "alerts.jsonl").string() + " " + (dir / "conn.log").string();
  ASSERT_EQ(RunCtihub(base).exit_code, 0);  // the same match without them raises its alert
  ASSERT_TRUE(fs::remove(dir / "alerts.jsonl"));
  const std::string store = " --store sqlite:" + (dir / "hub.db").string();
  const std::pair<std::string, std::string> cases[] = {
      {" --sighted-by identity--44444444-4444-4444-8444-444444444444",
       "--sighted-by only applies with --sightings"},
      {" --window 2h", "--window only applies with --sightings"},
      {" --sightings-collection mine", "--sightings-collection only applies with --sightings"},
      {store + " --sightings --sightings-collection 'bad name'",
       "--sightings-collection: collection name 'bad name'"},
      {" --mapping " + (dir / "bad.toml").string(), "bad.toml"},
  };
  for (const auto& [options, message] : cases) {
    SCOPED_TRACE(options);
    Output out = RunCtihub(base + options);
    EXPECT_EQ(out.exit_code, 2) << out.out;
    EXPECT_NE(out.out.find(message), std::string::npos) << out.out;
    EXPECT_EQ(out.out.find("indicators compiled"), std::string::npos) << out.out;
    EXPECT_FALSE(fs::exists(dir / "alerts.jsonl"));
  }
  EXPECT_FALSE(fs::exists(dir / "hub.db"));
  fs::remove_all(dir);
}

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(RunCtihub("").exit_code, 2);
  EXPECT_EQ(RunCtihub("no-such-command").exit_code, 2);
  EXPECT_EQ(RunCtihub("validate").exit_code, 2);
  EXPECT_EQ(RunCtihub("validate --format yaml x.json").exit_code, 2);
  // An empty value (an unset shell variable) is refused, not taken for "not given".
  Output start = RunCtihub("generate --objects 10 --start ''");
  EXPECT_EQ(start.exit_code, 2);
  EXPECT_NE(start.out.find("--start: is empty"), std::string::npos) << start.out;
  Output listen = RunCtihub("serve --store memory: --listen ''");
  EXPECT_EQ(listen.exit_code, 2);
  EXPECT_NE(listen.out.find("--listen: is empty"), std::string::npos) << listen.out;
}

TEST(Cli, UnreadableFileExitsTwo) {
  Output o = RunCtihub("validate /nonexistent/file.json");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.out.find("cannot"), std::string::npos) << o.out;
  // In JSON it has no STIX version: nothing of it was read.
  Output json = RunCtihub("validate --format json /nonexistent/file.json");
  EXPECT_NE(json.out.find("\"stix_version\":null"), std::string::npos) << json.out;
}

// Standard input can be read once: a second '-' would be an empty read reported as valid.
TEST(Cli, StandardInputNamedTwiceIsRefused) {
  for (const char* command : {"validate - -", "import --store memory: - -"}) {
    Output o = RunCtihub(command, "{}");
    EXPECT_EQ(o.exit_code, 2) << command << o.out;
    EXPECT_NE(o.out.find("'-' (standard input) can be read only once"), std::string::npos) << o.out;
  }
}

// A file name's control characters are shown escaped: a newline in one cannot forge a line.
TEST(Cli, ControlCharactersInFileNamesAreEscapedInTextOutput) {
  fs::path dir = fs::temp_directory_path() / ("ctihub-ctl-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path forged = dir / "x\nok.json: valid";
  fs::copy_file(kCorpus + "/valid/indicator.json", forged);
  Output o = RunCtihub("validate '" + forged.string() + "'");
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("x\\x0aok.json: valid: valid — 1 object, 0 errors, 0 warnings"),
            std::string::npos)
      << o.out;
  EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 1) << o.out;
  fs::remove_all(dir);
}

// An empty file (a truncated download) is no STIX document, and a directory with no STIX file
// below it checks nothing: neither passes as "valid".
TEST(Cli, EmptyInputIsNotValid) {
  fs::path dir = fs::temp_directory_path() / ("ctihub-empty-" + std::to_string(::getpid()));
  fs::create_directories(dir / "none");
  fs::create_directories(dir / "packed");
  std::ofstream(dir / "empty.json").close();
  Output empty = RunCtihub("validate " + (dir / "empty.json").string());
  EXPECT_EQ(empty.exit_code, 1) << empty.out;
  EXPECT_NE(empty.out.find("[empty-file]"), std::string::npos) << empty.out;
  Output none = RunCtihub("validate " + (dir / "none").string());
  EXPECT_EQ(none.exit_code, 2) << none.out;
  EXPECT_NE(none.out.find("no *.json or *.jsonl file"), std::string::npos) << none.out;
  // Compressed and upper-case names are found, as they are read when named.
  fs::copy_file(kCorpus + "/valid/indicator.json", dir / "packed" / "FEED.JSON");
  ASSERT_EQ(std::system(("gzip " + (dir / "packed" / "FEED.JSON").string()).c_str()), 0);
  Output packed = RunCtihub("validate " + (dir / "packed").string());
  EXPECT_EQ(packed.exit_code, 0) << packed.out;
  EXPECT_NE(packed.out.find("FEED.JSON.gz: valid"), std::string::npos) << packed.out;
  fs::remove_all(dir);
}

TEST(Cli, ValidFileExitsZero) {
  Output o = RunCtihub("validate " + kCorpus + "/valid/indicator.json");
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("valid"), std::string::npos);
}

TEST(Cli, InvalidFileExitsOneAndNamesRuleAndPointer) {
  Output o = RunCtihub("validate " + kCorpus + "/invalid/modified-before-created.json");
  EXPECT_EQ(o.exit_code, 1) << o.out;
  EXPECT_NE(o.out.find("[modified-before-created]"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f /modified"),
            std::string::npos)
      << o.out;
}

TEST(Cli, WarningsPassUnlessStrict) {
  std::string file = kCorpus + "/valid/open-vocab.json";
  EXPECT_EQ(RunCtihub("validate " + file).exit_code, 0);
  EXPECT_EQ(RunCtihub("validate --strict " + file).exit_code, 1);
}

TEST(Cli, JsonFormatIsOneDocument) {
  Output o = RunCtihub("validate --format json " + kCorpus + "/invalid/hash-value.json " + kCorpus +
                       "/valid/indicator.json");
  EXPECT_EQ(o.exit_code, 1);
  ASSERT_FALSE(o.out.empty());
  EXPECT_EQ(o.out.front(), '{');
  EXPECT_NE(o.out.find("\"rule\":\"hash-value\""), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("\"pointer\":\"/hashes/SHA-256\""), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("\"verdict\":\"valid\""), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("\"summary\":{"), std::string::npos) << o.out;
  // Valid JSON is checked where python3 exists (it does on Debian); a parse failure fails here.
  fs::path tmp = fs::temp_directory_path() / "ctihub-cli-out.json";
  std::ofstream(tmp) << o.out;
  std::string check =
      "python3 -c 'import json,sys; json.load(open(sys.argv[1]))' '" + tmp.string() + "'";
  if (std::system("command -v python3 >/dev/null") == 0) {
    EXPECT_EQ(std::system(check.c_str()), 0) << o.out;
  }
}

TEST(Cli, DirectoryMeansEveryJsonFileBelowIt) {
  Output o = RunCtihub("validate --quiet " + kCorpus + "/valid");
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("indicator.json: valid"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("json-lines.jsonl: valid"), std::string::npos) << o.out;
  Output bad = RunCtihub("validate --quiet " + kCorpus + "/invalid");
  EXPECT_EQ(bad.exit_code, 1);
}

TEST(Cli, ReadsStdin) {
  std::ifstream in(kCorpus + "/valid/json-lines.jsonl");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Output o = RunCtihub("validate -", text);
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("2 objects"), std::string::npos) << o.out;
}

}  // namespace

namespace {

// ---- import, collections, store check ---------------------------------------------------------

class CliImport : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ctihub-cli-import-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store_ = "sqlite:" + (dir_ / "hub.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  Output Import(const std::string& args) {
    return RunCtihub("import --store " + store_ + " --progress none " + args);
  }
  fs::path dir_;
  std::string store_;
};

// Commands started at once on a new store: one creates the schema, the others wait for it and
// use it (before, two of three failed on the schema the first had made in 9 of 12 runs:
// "duplicate column name: closed", or "database is locked" setting the journal mode).
TEST_F(CliImport, CommandsStartedAtOnceOnANewStoreAllSucceed) {
  const std::string bin = CTIHUB_BINARY;
  for (int round = 0; round < 8; ++round) {
    const fs::path db = dir_ / ("race-" + std::to_string(round) + ".db");
    const std::string store = " --store sqlite:" + db.string() + " ";
    Output o = RunShell("(" + bin + " import --progress none" + store + "--collection a " +
                        kCorpus + "/valid/indicator.json >/dev/null 2>&1; echo a=$?) & (" + bin +
                        " import --progress none" + store + "--collection b " + kCorpus +
                        "/valid/custom-object.json >/dev/null 2>&1; echo b=$?) & (" + bin +
                        " collection create c" + store + ">/dev/null 2>&1; echo c=$?) & wait");
    for (const char* ok : {"a=0", "b=0", "c=0"}) {
      EXPECT_NE(o.out.find(ok), std::string::npos) << "round " << round << ": " << o.out;
    }
    Output check = RunCtihub("store check" + store);
    EXPECT_EQ(check.exit_code, 0) << check.out;
    EXPECT_NE(check.out.find("3 collections, 2 object versions"), std::string::npos) << check.out;
  }
}

// A check only reads: a store of an older schema is refused (naming the command that migrates
// it), not silently rewritten to the current one; `store migrate` does that.
TEST_F(CliImport, StoreCheckRefusesAnOlderSchemaAndChangesNothing) {
  ASSERT_EQ(Import("--collection feeds " + kCorpus + "/valid/indicator.json").exit_code, 0);
  const std::string path = store_.substr(7);
  auto sql = [&](const std::string& statements) {
    return RunShell(
        "python3 -c \"import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        "print(c.executescript(sys.argv[2]) and c.execute(\\\"SELECT value FROM "
        "meta WHERE key = 'schema_version'\\\").fetchone()[0]); c.commit()\" '" +
        path + "' \"" + statements + "\" 2>&1");
  };
  // What a store of schema 7 looked like.
  Output downgraded =
      sql("ALTER TABLE deliveries DROP COLUMN closed; DELETE FROM meta WHERE key = "
          "'deliveries_closed_since'; UPDATE meta SET value = '7' WHERE key = 'schema_version';");
  ASSERT_EQ(downgraded.out, "7\n");
  for (const std::string& command :
       {std::string("store check"), std::string("collection list"),
        std::string("export --collection feeds -o ") + (dir_ / "out.json").string()}) {
    Output o = RunCtihub(command + " --store " + store_);
    EXPECT_EQ(o.exit_code, 2) << command << ": " << o.out;
    EXPECT_NE(o.out.find("has schema version 7; this ctihub needs 8: `ctihub store migrate "
                         "--store " +
                         store_ + "` migrates it"),
              std::string::npos)
        << command << ": " << o.out;
    EXPECT_EQ(sql("").out, "7\n") << command << " changed the store";
  }
  Output migrate = RunCtihub("store migrate --store " + store_);
  EXPECT_EQ(migrate.exit_code, 0) << migrate.out;
  EXPECT_EQ(sql("").out, "8\n");
  Output check = RunCtihub("store check --store " + store_);
  EXPECT_EQ(check.exit_code, 0) << check.out;
}

// Found in review: an empty file passed `store check` as an empty store, and another
// application's database was checked, listed and migrated (ctihub's tables added to it).
TEST_F(CliImport, EmptyAndForeignFilesAreNoStore) {
  const fs::path empty = dir_ / "empty.db";
  std::ofstream(empty).close();
  Output o = RunCtihub("store check --store sqlite:" + empty.string());
  EXPECT_EQ(o.exit_code, 2) << o.out;
  EXPECT_NE(o.out.find("is an empty file, not a store"), std::string::npos) << o.out;
  const fs::path foreign = dir_ / "foreign.db";
  Output made = RunShell(
      "python3 -c \"import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
      "c.execute('CREATE TABLE t (x)'); c.commit()\" '" +
      foreign.string() + "' 2>&1");
  ASSERT_EQ(made.exit_code, 0) << made.out;
  const auto size = fs::file_size(foreign);
  for (const std::string& command :
       {std::string("store check"), std::string("store migrate"), std::string("user list"),
        std::string("audit verify"),
        "import --collection feeds " + kCorpus + "/valid/indicator.json"}) {
    Output f = RunCtihub(command + " --store sqlite:" + foreign.string());
    EXPECT_EQ(f.exit_code, 2) << command << ": " << f.out;
    EXPECT_NE(f.out.find("is not a ctihub store"), std::string::npos) << command << ": " << f.out;
  }
  Output tables = RunShell(
      "python3 -c \"import sqlite3, sys; print([r[0] for r in sqlite3.connect("
      "sys.argv[1]).execute('SELECT name FROM sqlite_master')])\" '" +
      foreign.string() + "'");
  EXPECT_EQ(tables.out, "['t']\n") << "nothing was added to it";
  EXPECT_EQ(fs::file_size(foreign), size);
}

TEST_F(CliImport, ValidBundleGoesInAndAgainIsAllDuplicates) {
  std::string file = kCorpus + "/valid/bundle-two-versions.json";
  Output first = Import("--collection feeds " + file);
  EXPECT_EQ(first.exit_code, 0) << first.out;
  EXPECT_NE(first.out.find("1 new, 1 new version, 0 duplicates, 0 rejected"), std::string::npos)
      << first.out;
  Output second = Import("--collection feeds " + file);
  EXPECT_EQ(second.exit_code, 0) << second.out;
  EXPECT_NE(second.out.find("0 new, 0 new versions, 2 duplicates"), std::string::npos)
      << second.out;
  Output check = RunCtihub("store check --store " + store_);
  EXPECT_EQ(check.exit_code, 0) << check.out;
  EXPECT_NE(check.out.find("2 object versions"), std::string::npos) << check.out;
}

TEST_F(CliImport, InvalidObjectsAreRejectedWithTheValidatorsReason) {
  Output o = Import("--format json " + kCorpus + "/invalid/pattern-syntax.json " + kCorpus +
                    "/valid/indicator.json");
  EXPECT_EQ(o.exit_code, 1) << o.out;
  EXPECT_NE(o.out.find("[pattern-syntax]"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("\"rejected\":1"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("\"new\":1"), std::string::npos) << o.out;
}

TEST_F(CliImport, AllOrNothingWritesNothingWhenOneObjectIsBad) {
  Output o = Import("--all-or-nothing " + kCorpus + "/valid/indicator.json " + kCorpus +
                    "/invalid/hash-value.json");
  EXPECT_EQ(o.exit_code, 1) << o.out;
  EXPECT_NE(o.out.find("nothing was imported"), std::string::npos) << o.out;
  Output check = RunCtihub("store check --store " + store_);
  EXPECT_NE(check.out.find("0 object versions"), std::string::npos) << check.out;
}

TEST_F(CliImport, AllOrNothingCountsWhatItWrote) {
  Output o = Import("--all-or-nothing " + kCorpus + "/valid/bundle-two-versions.json");
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("1 new, 1 new version, 0 duplicates, 0 rejected"), std::string::npos)
      << o.out;
}

// A conflict only the store can see (same id and modified, other content, already stored)
// must also stop an --all-or-nothing import.
TEST_F(CliImport, AllOrNothingAlsoStopsOnStoreConflicts) {
  ASSERT_EQ(Import(kCorpus + "/valid/indicator.json").exit_code, 0);
  std::ifstream in(kCorpus + "/valid/indicator.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text.replace(text.find("Bad IP"), 6, "Changed");
  fs::path changed = dir_ / "changed.json";
  std::ofstream(changed) << text;
  Output o =
      Import("--all-or-nothing " + changed.string() + " " + kCorpus + "/valid/custom-object.json");
  EXPECT_EQ(o.exit_code, 1) << o.out;
  EXPECT_NE(o.out.find("nothing was imported"), std::string::npos) << o.out;
  Output check = RunCtihub("store check --store " + store_);
  EXPECT_NE(check.out.find(" 1 object version,"), std::string::npos) << check.out;
}

TEST_F(CliImport, CompressedInputAndStdin) {
  fs::path gz = dir_ / "two.jsonl";
  fs::copy_file(kCorpus + "/valid/json-lines.jsonl", gz);
  ASSERT_EQ(std::system(("gzip '" + gz.string() + "'").c_str()), 0);
  Output o = Import((gz.string() + ".gz").c_str());
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("2 objects read"), std::string::npos) << o.out;
  std::ifstream in(kCorpus + "/valid/indicator.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Output s = RunCtihub("import --store " + store_ + " --progress none --collection other -", text);
  EXPECT_EQ(s.exit_code, 0) << s.out;
}

TEST_F(CliImport, CollectionsCanBeCreatedAndListed) {
  Output c = RunCtihub("collection create partners --title 'Partner feed' --store " + store_);
  EXPECT_EQ(c.exit_code, 0) << c.out;
  // Already there: the store refused it (1), as `org add` of an existing organisation.
  EXPECT_EQ(RunCtihub("collection create partners --store " + store_).exit_code, 1);
  Output l = RunCtihub("collection list --format json --store " + store_);
  EXPECT_EQ(l.exit_code, 0);
  EXPECT_NE(l.out.find("\"title\":\"Partner feed\""), std::string::npos) << l.out;
  // A title that is not UTF-8 would make every JSON answer that carries it unparsable.
  Output bad =
      RunCtihub("collection create latin1 --title \"$(printf 'caf\\351')\" --store " + store_);
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("--title: is not UTF-8 text"), std::string::npos) << bad.out;
  EXPECT_EQ(RunCtihub("collection list --store " + store_).out.find("latin1"), std::string::npos);
}

// A mistyped command or option is named, with what was meant ("A subcommand is required" said
// neither).
TEST(Cli, TyposAreNamedWithWhatWasMeant) {
  Output c = RunCtihub("valdate x.json");
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.out.find("unknown command 'valdate' (did you mean 'validate'?)"), std::string::npos)
      << c.out;
  Output nested = RunCtihub("collection lst");
  EXPECT_EQ(nested.exit_code, 2);
  EXPECT_NE(nested.out.find("ctihub collection: unknown command 'lst' (did you mean 'list'?)"),
            std::string::npos)
      << nested.out;
  Output option = RunCtihub("validate --frmat json x.json");
  EXPECT_EQ(option.exit_code, 2);
  EXPECT_NE(option.out.find("did you mean '--format'?"), std::string::npos) << option.out;
}

TEST_F(CliImport, UnreadableFileAndBadStoreExitTwo) {
  EXPECT_EQ(Import("/nonexistent.json").exit_code, 2);
  // Said on stderr (the summary on stdout says it too).
  Output stderr_only = RunShell(std::string(CTIHUB_BINARY) + " import --store " + store_ +
                                " /nonexistent.json 2>&1 >/dev/null");
  EXPECT_NE(stderr_only.out.find("/nonexistent.json: cannot open"), std::string::npos)
      << stderr_only.out;
  EXPECT_EQ(RunCtihub("import --store nope:x " + kCorpus + "/valid/indicator.json").exit_code, 2);
  EXPECT_EQ(Import("--marking tlp:purple " + kCorpus + "/valid/indicator.json").exit_code, 2);
}

// A bundle with two "objects" lists: both are read (most JSON readers keep only the last), and the
// import says the file was ambiguous.
TEST_F(CliImport, BothObjectsListsOfAnAmbiguousBundleGoIn) {
  Output o = Import("--collection c " + kCorpus + "/invalid/bundle-objects-twice.json");
  EXPECT_EQ(o.exit_code, 1) << o.out;
  EXPECT_NE(o.out.find("2 objects read — 2 new"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("2 'objects' lists"), std::string::npos) << o.out;
}

// A feed of JSON lines with bad lines: each costs its line (a rejection naming it), not the rest.
TEST_F(CliImport, BadJsonLinesAreRejectedOneByOneAndTheRestGoesIn) {
  std::ifstream in(kCorpus + "/valid/indicator.json");
  std::string good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  good.erase(std::remove(good.begin(), good.end(), '\n'), good.end());
  std::string other = good;
  other.replace(other.find("indicator--") + 11, 8, "00000000");
  fs::path feed = dir_ / "feed.jsonl";
  std::ofstream(feed) << good << "\n{not json\n" << other << "\n";
  Output o = Import("--collection c " + feed.string());
  EXPECT_EQ(o.exit_code, 1) << o.out;
  EXPECT_NE(o.out.find("3 objects read — 2 new, 0 new versions, 0 duplicates, 1 rejected"),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("rejected line 2: not well-formed JSON"), std::string::npos) << o.out;
  // --all-or-nothing: the bad line stops the whole file.
  Output strict = RunCtihub("import --store " + store_ +
                            " --progress none --all-or-nothing "
                            "--collection d " +
                            feed.string());
  EXPECT_EQ(strict.exit_code, 1) << strict.out;
  EXPECT_NE(strict.out.find("nothing was imported"), std::string::npos) << strict.out;
}

// An object that does not parse is rejected for the validator's reason, with its rule, as
// `ctihub validate` says it — not a bare "not well-formed JSON".
TEST_F(CliImport, UnparseableObjectsAreRejectedWithTheValidatorsRule) {
  fs::path file = dir_ / "u.json";
  std::ofstream(file, std::ios::binary)
      << "{\"type\":\"bundle\",\"id\":\"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\",\"objects\":"
         "["
         "{\"type\":\"indicator\",\"name\":\"\xff\xfe\"},{\"type\":\"x-a\",\"a\":1e999}]}";
  Output o = Import("--collection c " + file.string());
  EXPECT_EQ(o.exit_code, 1) << o.out;
  EXPECT_NE(o.out.find("rejected object at /objects/0: [utf8]"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("rejected object at /objects/1: [json-number]"), std::string::npos) << o.out;
}

// An empty download is an error (exit 1), not a list of no values that imports cleanly.
TEST_F(CliImport, AnEmptyFileIsAnError) {
  fs::path empty = dir_ / "empty.txt", blank = dir_ / "blank.csv";
  std::ofstream(empty).close();
  std::ofstream(blank) << "\xEF\xBB\xBF \r\n\t\n";
  for (const fs::path& file : {empty, blank}) {
    Output o = Import("--collection c " + file.string());
    EXPECT_EQ(o.exit_code, 1) << o.out;
    EXPECT_NE(o.out.find(": nothing to import"), std::string::npos) << o.out;
  }
}

// A finding only the file shows (one version twice, different) is the reason too, not "invalid".
TEST_F(CliImport, AVersionTwiceInABundleIsRejectedForThatReason) {
  const std::string indicator =
      R"({"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111199","created":"2021-01-01T00:00:00.000Z","modified":"2021-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '1.2.3.4']","pattern_type":"stix","valid_from":"2021-01-01T00:00:00Z","name":")";
  fs::path file = dir_ / "twice.json";
  std::ofstream(file)
      << R"({"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[)"
      << indicator << R"(a"},)" << indicator << R"(b"}]})";
  Output o = Import("--collection c " + file.string());
  EXPECT_EQ(o.exit_code, 1) << o.out;
  EXPECT_NE(o.out.find("(object at /objects/1): [duplicate-id] another object with the same id"),
            std::string::npos)
      << o.out;
}

// Options that would make every created object invalid are usage errors, found before any input
// is read or the store is touched.
TEST_F(CliImport, ACreatorThatIsNoIdentityIdIsAUsageError) {
  fs::path list = dir_ / "iocs.txt";
  std::ofstream(list) << "198.51.100.7\nevil.example\n";
  for (const char* who : {"not-an-id", "malware--0a2c4e6f-8b1d-4f3a-9c5e-7d9f1b3a5c7e"}) {
    Output o = Import("--collection c --created-by " + std::string(who) + " " + list.string());
    EXPECT_EQ(o.exit_code, 2) << o.out;
    EXPECT_NE(o.out.find("is not an identity--<uuid> id"), std::string::npos) << o.out;
  }
  EXPECT_EQ(RunCtihub("export --store " + store_ + " --collection c").out.find("evil.example"),
            std::string::npos);
}

// Option mistakes are usage errors (exit 2) found before anything is read or written: a
// marking id that is no id, a --valid-for of zero, and a bare number (30 seconds, or 30 days?).
TEST_F(CliImport, BadMarkingAndValidForAreUsageErrors) {
  fs::path list = dir_ / "iocs.txt";
  std::ofstream(list) << "198.51.100.7\n";
  const std::pair<std::string, std::string> cases[] = {
      {"--marking marking-definition--foo", "is not a marking-definition--<uuid> id"},
      {"--valid-for 0d", "--valid-for '0d' is outside 1 second to 100 years"},
      {"--valid-for 101000d", "is outside 1 second to 100 years"},
      {"--valid-for 30", "--valid-for '30' needs a unit: 30d (days), 30h, 30m or 30s"},
      {"--valid-for d", "needs a number"},
      {"--valid-for 3x", "is not a duration"},
  };
  for (const auto& [option, message] : cases) {
    Output o = Import("--collection c " + option + " " + list.string());
    EXPECT_EQ(o.exit_code, 2) << option << "\n" << o.out;
    EXPECT_NE(o.out.find(message), std::string::npos) << option << "\n" << o.out;
    EXPECT_EQ(o.out.find("objects read"), std::string::npos) << option << "\n" << o.out;
  }
  EXPECT_EQ(RunCtihub("export --store " + store_ + " --collection c").out.find("198.51.100.7"),
            std::string::npos);
  // An end past the last STIX timestamp cannot be set: said, not dropped silently.
  Output late =
      Import("--collection c --valid-from 9999-12-31T00:00:00Z --valid-for 30d " + list.string());
  EXPECT_EQ(late.exit_code, 0) << late.out;
  EXPECT_NE(late.out.find("ioc.valid_until_unset: 1"), std::string::npos) << late.out;
  EXPECT_NE(late.out.find("note: line 1: valid_from 9999-12-31T00:00:00.000Z + valid-for is past "
                          "9999-12-31; the indicator has no valid_until"),
            std::string::npos)
      << late.out;
}

// In an IOC list, a value meant as an IOC but invalid (an address out of range, a prefix past
// /32) is a rejected object: exit 1, and under --all-or-nothing nothing of the file goes in. A
// line that is no IOC at all stays a note.
TEST_F(CliImport, InvalidIocValuesAreRejectedObjects) {
  fs::path list = dir_ / "mixed.txt";
  std::ofstream(list) << "198.51.100.7\n256.1.1.1\nevil.example\n1.2.3.4/33\nnot an ioc\n";
  Output all = Import("--collection strict --all-or-nothing " + list.string());
  EXPECT_EQ(all.exit_code, 1) << all.out;
  EXPECT_NE(all.out.find("rejected line 2 '256.1.1.1': not a valid IP address"), std::string::npos)
      << all.out;
  EXPECT_NE(all.out.find("rejected line 4 '1.2.3.4/33'"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("nothing was imported"), std::string::npos) << all.out;
  EXPECT_EQ(RunCtihub("export --store " + store_ + " --collection strict").out.find("evil.example"),
            std::string::npos);
  Output some = Import("--collection lax " + list.string());
  EXPECT_EQ(some.exit_code, 1) << some.out;
  EXPECT_NE(some.out.find("4 objects read — 2 new, 0 new versions, 0 duplicates, 2 rejected"),
            std::string::npos)
      << some.out;
}

// A list imported again (tomorrow's copy of a daily feed) repeats what the store holds: its
// unchanged indicators are duplicates, and a changed one is a new version that keeps the first
// version's `created` (STIX never lets a version change it) and valid_from.
TEST_F(CliImport, AListImportedAgainRepeatsWhatTheStoreHolds) {
  fs::path list = dir_ / "daily.txt";
  std::ofstream(list) << "198.51.100.7\nevil.example\n";
  auto created_and_valid_from = [&] {
    std::string out = RunCtihub("export --store " + store_ + " --collection daily").out;
    std::string found;
    for (const char* key : {"\"created\":\"", "\"valid_from\":\""}) {
      size_t at = out.find(key);
      found += at == std::string::npos ? "?" : out.substr(at, 40);
    }
    return found;
  };
  Output first = Import("--collection daily " + list.string());
  ASSERT_EQ(first.exit_code, 0) << first.out;
  const std::string before = created_and_valid_from();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Output again = Import("--collection daily " + list.string());
  EXPECT_NE(again.out.find("0 new, 0 new versions, 2 duplicates"), std::string::npos) << again.out;
  Output changed = Import("--collection daily --confidence 80 " + list.string());
  EXPECT_NE(changed.out.find("0 new, 2 new versions, 0 duplicates"), std::string::npos)
      << changed.out;
  EXPECT_EQ(created_and_valid_from(), before);
}

// --strict rejects objects with warnings, but not for the UUIDv5 ids the IOC list conversion
// derives on purpose; STIX input is still held to every warning.
TEST_F(CliImport, StrictAcceptsTheIdsAConversionDerives) {
  fs::path list = dir_ / "list.txt";
  std::ofstream(list) << "198.51.100.7\nevil.example\n";
  Output o = Import("--collection c --strict " + list.string());
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("2 objects read — 2 new, 0 new versions, 0 duplicates, 0 rejected"),
            std::string::npos)
      << o.out;
  fs::path bundle = dir_ / "v5.json";
  std::ofstream(bundle)
      << R"({"type":"indicator","spec_version":"2.1","id":"indicator--c3a1b2d4-5e6f-5a7b-8c9d-0e1f2a3b4c5d",)"
         R"("created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z",)"
         R"("pattern":"[ipv4-addr:value = '198.51.100.8']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"})";
  Output stix = Import("--collection c --strict " + bundle.string());
  EXPECT_EQ(stix.exit_code, 1) << stix.out;
  EXPECT_NE(stix.out.find("id-uuid-version"), std::string::npos) << stix.out;
}

// A list whose first line is a bracketed IPv6 address is a list, not a JSON array.
TEST_F(CliImport, AListStartingWithABracketedAddressIsAList) {
  fs::path list = dir_ / "v6.txt";
  std::ofstream(list) << "[2001:db8::1]:443\n[2001:db8::2]:8080\n";
  Output o = Import("--collection c " + list.string());
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("(ioc): 2 objects read — 2 new"), std::string::npos) << o.out;
  fs::path empty_array = dir_ / "empty.json";
  std::ofstream(empty_array) << "[ ]\n";
  EXPECT_NE(Import("--collection c " + empty_array.string()).out.find("(stix)"), std::string::npos);
}

// A UTF-16 or binary file is an error for that file (exit 1), not "0 objects read".
TEST_F(CliImport, Utf16AndBinaryFilesAreErrors) {
  fs::path utf16 = dir_ / "u16.txt";
  {
    std::ofstream out(utf16, std::ios::binary);
    out << "\xFF\xFE";
    for (char c : std::string("evil.example\r\n")) out << c << '\0';
  }
  Output o = Import("--collection c " + utf16.string());
  EXPECT_EQ(o.exit_code, 1) << o.out;
  EXPECT_NE(o.out.find("error: UTF-16 text: convert it to UTF-8, e.g. iconv -f UTF-16 -t UTF-8"),
            std::string::npos)
      << o.out;
  fs::path binary = dir_ / "bin.dat";
  std::ofstream(binary, std::ios::binary)
      << std::string("\x83\x94\\\xFA-\xCD~\x14\x07", 9) << std::string(100, '\x01');
  Output b = Import("--collection c " + binary.string());
  EXPECT_EQ(b.exit_code, 1) << b.out;
  EXPECT_NE(b.out.find("error: binary data, not an IOC list"), std::string::npos) << b.out;
}

// Under --all-or-nothing nothing is in the store until the end: the same value in a second file
// is compared with what this import queued, so it keeps `created` and, unchanged, is a duplicate.
TEST_F(CliImport, AllOrNothingSameValueInTwoFilesIsOneVersion) {
  fs::path a = dir_ / "a.txt";
  fs::path b = dir_ / "b.txt";
  std::ofstream(a) << "198.51.100.7\n";
  std::ofstream(b) << "198.51.100.7\n";
  Output o = Import("--collection c --all-or-nothing " + a.string() + " " + b.string());
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("a.txt (ioc): 1 object read — 1 new, 0 new versions, 0 duplicates"),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("b.txt (ioc): 1 object read — 0 new, 0 new versions, 1 duplicate,"),
            std::string::npos)
      << o.out;
}

// Notes stop at ten, and the summary says how many more there were, as it does for rejections.
TEST_F(CliImport, NotesPastTheFirstTenAreCounted) {
  fs::path list = dir_ / "notes.txt";
  {
    std::ofstream out(list);
    out << "198.51.100.7\n";
    for (int i = 0; i < 13; ++i) out << "word" << i << "\n";
  }
  Output o = Import("--collection c " + list.string());
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("note: line 11: 'word9': unrecognized\n  … and 3 more notes\n"),
            std::string::npos)
      << o.out;
  Output json = Import("--collection c --format json " + list.string());
  EXPECT_NE(json.out.find("\"more_notes\":3"), std::string::npos) << json.out;
  // Rejections past the twenty listed are counted in JSON too.
  fs::path bad = dir_ / "bad.txt";
  {
    std::ofstream out(bad);
    for (int i = 0; i < 23; ++i) out << "256.1.1." << i << "\n";
  }
  Output rejected = Import("--collection c --format json " + bad.string());
  EXPECT_NE(rejected.out.find("\"rejected\":23"), std::string::npos) << rejected.out;
  EXPECT_NE(rejected.out.find("\"rejections_not_listed\":3"), std::string::npos) << rejected.out;
}

// A daily feed comes under a dated name, its rows in another order: the unchanged indicators
// still repeat what the store holds (the list's reference is where the hub first saw them).
TEST_F(CliImport, ARenamedAndReorderedCopyOfAListIsAllDuplicates) {
  fs::path monday = dir_ / "ipblocklist-2024-04-04.csv";
  fs::path tuesday = dir_ / "ipblocklist-2024-04-05.csv";
  std::ofstream(monday) << "198.51.100.7\nevil.example\n";
  std::ofstream(tuesday) << "# updated\nevil.example\n198.51.100.7\n";
  Output first = Import("--collection daily " + monday.string());
  ASSERT_EQ(first.exit_code, 0) << first.out;
  Output again = Import("--collection daily " + tuesday.string());
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("0 new, 0 new versions, 2 duplicates"), std::string::npos) << again.out;
  std::string exported = RunCtihub("export --store " + store_ + " --collection daily").out;
  EXPECT_NE(exported.find("ipblocklist-2024-04-04.csv"), std::string::npos) << exported;
  EXPECT_EQ(exported.find("line "), std::string::npos) << exported;
}

// A rejected object that has an id is named by it (as `ctihub validate` names it), beside where
// it stood.
TEST_F(CliImport, RejectedObjectsAreNamedByTheirId) {
  fs::path file = dir_ / "bad-pattern.json";
  std::ofstream(file)
      << R"({"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[)"
         R"({"type":"indicator","spec_version":"2.1","id":"indicator--0a2c4e6f-8b1d-4f3a-9c5e-7d9f1b3a5c7e",)"
         R"("created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z",)"
         R"("pattern":"[ipv4-addr:value = ","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}]})";
  Output o = Import("--collection c " + file.string());
  EXPECT_EQ(o.exit_code, 1) << o.out;
  EXPECT_NE(o.out.find("rejected indicator--0a2c4e6f-8b1d-4f3a-9c5e-7d9f1b3a5c7e (object at "
                       "/objects/0): "),
            std::string::npos)
      << o.out;
}

// A .gz cut short (a copy interrupted): what decoded before the cut goes in, and the error names
// the truncation, not the JSON that stopped mid-object.
TEST_F(CliImport, TruncatedCompressedFileKeepsWhatDecodedAndSaysTruncated) {
  fs::path bundle = dir_ / "g.json";
  ASSERT_EQ(RunCtihub("generate --seed 3 --objects 3000 -o " + bundle.string()).exit_code, 0);
  ASSERT_EQ(std::system(("gzip '" + bundle.string() + "'").c_str()), 0);
  fs::path gz = bundle.string() + ".gz";
  fs::resize_file(gz, fs::file_size(gz) / 2);
  Output o = Import("--collection c " + gz.string());
  EXPECT_EQ(o.exit_code, 2) << o.out;
  EXPECT_NE(o.out.find("gzip stream is truncated"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("not well-formed"), std::string::npos) << o.out;
  // The file is named once.
  EXPECT_NE(o.out.find("ctihub import: " + gz.string() + ": gzip stream is truncated"),
            std::string::npos)
      << o.out;
  size_t read = 0;
  ASSERT_EQ(std::sscanf(o.out.c_str() + o.out.find("(stix): ") + 8, "%zu objects read", &read), 1)
      << o.out;
  EXPECT_GT(read, 1000u) << "about half of 3000 decoded before the cut: " << o.out;
}

// A damaged .xz can decode to garbage before its check fails: the import names the damage, not
// the JSON error the garbage made first.
TEST_F(CliImport, ADamagedXzFileIsReportedAsDamagedNotAsBadJson) {
  fs::path lines = dir_ / "g.jsonl";
  ASSERT_EQ(
      RunCtihub("generate --seed 3 --objects 3000 --format jsonl -o " + lines.string()).exit_code,
      0);
  ASSERT_EQ(std::system(("xz -1 '" + lines.string() + "'").c_str()), 0);
  fs::path xz = lines.string() + ".xz";
  std::string bytes = ReadAll(xz);
  ASSERT_GT(bytes.size(), 50000u);
  bytes[50000] ^= 0x10;  // here the decoder gives garbage (a JSON error) before its CRC fails
  std::ofstream(xz, std::ios::binary | std::ios::trunc) << bytes;
  Output o = Import("--collection c " + xz.string());
  EXPECT_EQ(o.exit_code, 2) << o.out;
  const size_t error = o.out.find("  error: ");
  ASSERT_NE(error, std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("  error: " + xz.string() + ": corrupt xz data"), error) << o.out;
}

// Telemetry made for generated indicators hits them: every record that carries a planted value
// raises an alert. It used to start at --start whatever the indicators' validity (0 alerts), and
// to plant values of revoked, expired and https-URL indicators that no match can raise.
TEST_F(CliImport, GeneratedTelemetryAlertsOnEveryRecordThatCarriesAPlantedValue) {
  fs::path indicators = dir_ / "ind.json";
  ASSERT_EQ(RunCtihub("generate --seed 5 --objects 3000 -o " + indicators.string()).exit_code, 0);
  for (std::string format : {"zeek-json", "suricata-eve"}) {
    SCOPED_TRACE(format);
    fs::path log = dir_ / (format + ".log"), alerts = dir_ / (format + ".alerts");
    Output made = RunCtihub("generate --seed 9 --telemetry " + format +
                            " --records 20000 --hit-rate 0.05 --indicators " + indicators.string() +
                            " -o " + log.string());
    ASSERT_EQ(made.exit_code, 0) << made.out;
    size_t planted = 0;
    const size_t at = made.out.find(" of them carry");
    ASSERT_NE(at, std::string::npos) << made.out;
    ASSERT_EQ(std::sscanf(made.out.c_str() + made.out.rfind(", ", at) + 2, "%zu", &planted), 1);
    EXPECT_GT(planted, 600u) << made.out;
    ASSERT_EQ(RunCtihub("match --indicators " + indicators.string() + " -o " + alerts.string() +
                        " " + log.string())
                  .exit_code,
              0);
    std::set<std::string> lines;
    std::ifstream in(alerts);
    for (std::string line; std::getline(in, line);) {
      const size_t key = line.find("\"line\":");
      ASSERT_NE(key, std::string::npos) << line;
      lines.insert(line.substr(key, line.find(',', key) - key));
    }
    EXPECT_EQ(lines.size(), planted);
  }
}

// The logs start where the most indicators stay valid for their whole time (here 4 valid from
// 00:00 to 00:05, 4 more only 00:02.5-00:02.6 and 1 from 00:02.5 on; 1,000 records last about
// 3 s), and an indicator whose latest version is revoked gives nothing, whatever its first did.
TEST_F(CliImport, GeneratedTelemetryStartsWhereMostIndicatorsStayValid) {
  fs::path feed = dir_ / "feed.jsonl";
  std::ofstream out(feed);
  auto indicator = [&](int n, const char* from, const char* until, const char* extra = "") {
    out << R"({"type":"indicator","spec_version":"2.1","id":"indicator--40000000-0000-4000-8000-)"
        << std::string(12 - std::to_string(n).size(), '0') << n
        << R"(","created":"2024-05-01T00:00:00.000Z","modified":"2024-05-01T00:00:00.000Z",)"
        << R"("pattern":"[ipv4-addr:value = '45.33.32.)" << n
        << R"(']","pattern_type":"stix","valid_from":")" << from << '"'
        << (*until ? std::string(R"(,"valid_until":")") + until + '"' : std::string()) << extra
        << "}\n";
  };
  for (int n = 1; n <= 4; ++n) indicator(n, "2024-05-01T00:00:00.000Z", "2024-05-01T00:00:05.000Z");
  for (int n = 5; n <= 8; ++n) {
    indicator(n, "2024-05-01T00:00:02.500Z", "2024-05-01T00:00:02.600Z");
  }
  indicator(9, "2024-05-01T00:00:02.500Z", "");
  // Indicator 10: its second version is revoked (a compound pattern, nothing to plant).
  indicator(10, "2024-05-01T00:00:00.000Z", "");
  out << R"({"type":"indicator","spec_version":"2.1","id":"indicator--40000000-0000-4000-8000-000000000010","created":"2024-05-01T00:00:00.000Z","modified":"2024-05-01T00:00:01.000Z","revoked":true,"pattern":"[ipv4-addr:value = '45.33.32.10'] AND [domain-name:value = 'x.example']","pattern_type":"stix","valid_from":"2024-05-01T00:00:00.000Z"})"
      << "\n";
  out.close();
  Output made = RunCtihub("generate --telemetry zeek-json --records 1000 --indicators " +
                          feed.string() + " -o " + (dir_ / "z.log").string());
  EXPECT_EQ(made.exit_code, 0) << made.out;
  EXPECT_NE(made.out.find("from 2024-05-01T00:00:00"), std::string::npos) << made.out;
  EXPECT_NE(made.out.find("of 4 indicators valid then"), std::string::npos) << made.out;
  std::ifstream log(dir_ / "z.log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("45.33.32.10\""), std::string::npos) << "a revoked indicator's value";
}

TEST_F(CliImport, GenerateRefusesSeedsOutOfRangeAndOptionsOfTheOtherMode) {
  for (std::string seed : {"-1", "18446744073709551616", "99999999999999999999999", "1e3"}) {
    EXPECT_EQ(RunCtihub("generate --objects 5 --seed " + seed).exit_code, 2) << seed;
  }
  EXPECT_EQ(RunCtihub("generate --objects 5 --seed 18446744073709551615").exit_code, 0);
  EXPECT_EQ(RunCtihub("generate --objects 5 --records 10").exit_code, 2);
  EXPECT_EQ(RunCtihub("generate --telemetry zeek-json --objects 5").exit_code, 2);
  // A failed run leaves what was there: the output is written aside and renamed when complete.
  fs::path kept = dir_ / "kept.json", bad = dir_ / "bad.json";
  std::ofstream(kept) << "precious\n";
  std::ofstream(bad) << "{bad";
  EXPECT_EQ(RunCtihub("generate --telemetry zeek-json --indicators " + bad.string() + " -o " +
                      kept.string())
                .exit_code,
            2);
  std::ifstream in(kept);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "precious");
  EXPECT_FALSE(fs::exists(kept.string() + ".partial"));
  EXPECT_EQ(RunCtihub("generate --objects 5 -o " + kept.string()).exit_code, 0);
  EXPECT_GT(fs::file_size(kept), 100u);
  EXPECT_FALSE(fs::exists(kept.string() + ".partial"));
}

bool SharedData() { return fs::exists(std::string(CTIHUB_SHARED_DATA) + "/stix"); }

// An object without spec_version is upgraded as STIX 2.0 only when nothing in it is 2.1's own:
// an invalid 2.1 malware (malware_types, no spec_version) used to be stored as "upgraded", with an
// is_family it never claimed. A valid 2.1 object inside a bundle declared 2.0 goes in as it is
// (it was refused with the single word "invalid"), and the summary counts only stored changes.
TEST_F(CliImport, OnlyPlausibleStix20IsUpgradedAndOnlyStoredChangesAreCounted) {
  fs::path lines = dir_ / "m.jsonl";
  std::ofstream(lines)
      << R"({"type":"malware","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","created":"2016-04-06T20:07:09Z","modified":"2016-04-06T20:07:09Z","name":"Poison Ivy","malware_types":["remote-access-trojan"]})"
      << "\n";
  Output o = Import("--collection c " + lines.string());
  EXPECT_EQ(o.exit_code, 1) << o.out;
  EXPECT_NE(o.out.find("1 rejected"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("/is_family [required-property]"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("upgraded"), std::string::npos) << o.out;

  fs::path bundle = dir_ / "mixed.json";
  std::ofstream(bundle)
      << R"({"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","spec_version":"2.0","objects":[)"
      << R"({"type":"malware","id":"malware--b42378e0-f147-496f-992a-26a49705395b","created":"2017-05-31T21:32:15.263Z","modified":"2017-05-31T21:32:15.263Z","name":"PoisonIvy","labels":["remote-access-trojan"]},)"
      << R"({"type":"malware","id":"malware--c42378e0-f147-496f-992a-26a49705395b","created":"2017-05-31T21:32:15.263Z","modified":"2017-05-31T21:32:15.263Z","name":"Bad","labels":["remote-access-trojan"],"x_Bad Name":1},)"
      << R"({"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[file:name = 'a']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"}]})";
  Output m = Import("--collection d --format json " + bundle.string());
  EXPECT_EQ(m.exit_code, 1) << m.out;
  EXPECT_NE(m.out.find(R"("new":2)"), std::string::npos) << m.out;
  EXPECT_NE(m.out.find(R"("rejected":1)"), std::string::npos) << m.out;
  EXPECT_NE(m.out.find(R"("upgrade.objects":1)"), std::string::npos) << m.out;
  EXPECT_NE(m.out.find(R"("upgrade.labels_to_malware_types":1)"), std::string::npos) << m.out;
  // Under --all-or-nothing the rejection keeps everything out: no upgrade is claimed.
  Output none = Import("--collection e --all-or-nothing --format json " + bundle.string());
  EXPECT_EQ(none.exit_code, 1) << none.out;
  EXPECT_NE(none.out.find(R"("upgraded":0)"), std::string::npos) << none.out;
  EXPECT_EQ(none.out.find("upgrade."), std::string::npos) << none.out;
  // Nor does it leave an empty collection behind (TAXII clients would list it); nor does a file
  // that cannot be read.
  EXPECT_EQ(Import("--collection ghost /nonexistent.json").exit_code, 2);
  std::string listed = RunCtihub("collection list --format json --store " + store_).out;
  EXPECT_EQ(listed.find("\"name\":\"e\""), std::string::npos) << listed;
  EXPECT_EQ(listed.find("ghost"), std::string::npos) << listed;
  EXPECT_NE(listed.find("\"name\":\"d\""), std::string::npos) << listed;
}

// A 2.0 observed-data goes in with its observables as SCOs of their own (object_refs), once:
// the same file again is all duplicates. An observable referring to none is refused with the
// object, saying where.
TEST_F(CliImport, Stix20ObservedDataGoesInWithItsObservablesAsScos) {
  fs::path bundle = dir_ / "od.json";
  auto write = [&](std::string_view src_ref) {
    std::ofstream(bundle)
        << R"({"type":"bundle","id":"bundle--44af6c39-c09b-49c5-9de2-394224b04982","spec_version":"2.0","objects":[)"
        << R"({"type":"observed-data","id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf","created":"2016-04-06T19:58:16.000Z","modified":"2016-04-06T19:58:16.000Z","first_observed":"2015-12-21T19:00:00Z","last_observed":"2015-12-21T19:00:00Z","number_observed":50,)"
        << R"("objects":{"0":{"type":"ipv4-addr","value":"198.51.100.3"},"1":{"type":"ipv4-addr","value":"203.0.113.9"},"2":{"type":"network-traffic","src_ref":")"
        << src_ref << R"(","dst_ref":"1","dst_port":443,"protocols":["tcp"]}}}]})";
  };
  write("0");
  Output o = Import("--collection c " + bundle.string());
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("1 object read — 4 new"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("upgrade.observables_extracted: 3"), std::string::npos) << o.out;
  std::string stored = RunCtihub("export --store " + store_ + " --collection c").out;
  EXPECT_NE(stored.find(R"("src_ref":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4")"),
            std::string::npos)
      << stored;
  EXPECT_NE(stored.find(R"("object_refs":["ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4",)"),
            std::string::npos)
      << stored;
  Output again = Import("--collection c " + bundle.string());
  EXPECT_NE(again.out.find("0 new, 0 new versions, 4 duplicates"), std::string::npos) << again.out;
  write("9");
  Output bad = Import("--collection d " + bundle.string());
  EXPECT_EQ(bad.exit_code, 1) << bad.out;
  EXPECT_NE(bad.out.find("observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf"), std::string::npos)
      << bad.out;
  EXPECT_NE(bad.out.find("objects.2.src_ref: '9' names no object of 'objects'"), std::string::npos)
      << bad.out;
  EXPECT_NE(bad.out.find("0 new"), std::string::npos) << bad.out;
}

TEST_F(CliImport, AttackEnterprise20IsUpgradedOnImport) {
  if (!SharedData()) GTEST_SKIP() << "../shared/data is absent";
  Output o = Import(std::string(CTIHUB_SHARED_DATA) +
                    "/stix/attack/enterprise-attack-stix2.0-reassembled.json.xz");
  EXPECT_EQ(o.exit_code, 0) << o.out.substr(0, 3000);
  EXPECT_NE(o.out.find("24771 objects read — 24771 new"), std::string::npos)
      << o.out.substr(0, 3000);
  EXPECT_NE(o.out.find("24771 upgraded from STIX 2.0"), std::string::npos);
  EXPECT_NE(o.out.find("upgrade.spec_version_added: 24771"), std::string::npos);
}

TEST_F(CliImport, MispEventAndIocListsBecomeIndicators) {
  if (!SharedData()) GTEST_SKIP() << "../shared/data is absent";
  std::string data = CTIHUB_SHARED_DATA;
  Output misp = Import("--collection misp " + data + "/misp/events/pymisp-reportlab-galaxy_1.json");
  EXPECT_EQ(misp.exit_code, 0) << misp.out.substr(0, 3000);
  EXPECT_NE(misp.out.find("(misp)"), std::string::npos) << misp.out.substr(0, 2000);
  Output ioc = Import("--collection feodo --marking tlp:amber --confidence 80 --valid-for 30d " +
                      data + "/ioc/feodotracker-ipblocklist-2024-04-04.csv");
  EXPECT_EQ(ioc.exit_code, 0) << ioc.out;
  EXPECT_NE(ioc.out.find("(ioc): 28 objects read — 28 new"), std::string::npos) << ioc.out;
}

}  // namespace

namespace {

// ---- export for sensors ------------------------------------------------------------------------

TEST_F(CliImport, ExportForSensorsWritesExactValuesAndSaysWhatItLeftOut) {
  fs::path bundle = dir_ / "indicators.json";
  std::ofstream(bundle)
      << R"({"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
{"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111111","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"C2","pattern":"[ipv4-addr:value = '198.51.100.7' OR domain-name:value = 'evil.example']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--22222222-2222-4222-8222-222222222222","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"Sequence","pattern":"[file:name = 'a'] FOLLOWEDBY [file:name = 'b']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--33333333-3333-4333-8333-333333333333","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"Old","pattern":"[ipv4-addr:value = '203.0.113.9']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z","valid_until":"2021-01-01T00:00:00Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--44444444-4444-4444-8444-444444444444","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"Later","pattern":"[ipv4-addr:value = '203.0.113.10']","pattern_type":"stix","valid_from":"2099-01-01T00:00:00Z"}]})";
  ASSERT_EQ(Import("--collection intel " + bundle.string()).exit_code, 0);
  fs::path intel = dir_ / "intel.dat";
  Output zeek = RunCtihub("export --store " + store_ +
                          " --collection intel --format zeek-intel -o " + intel.string());
  EXPECT_EQ(zeek.exit_code, 0) << zeek.out;
  std::ifstream f(intel);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("198.51.100.7\tIntel::ADDR\tctihub\tC2 (indicator--1111"), std::string::npos)
      << text;
  EXPECT_NE(text.find("evil.example\tIntel::DOMAIN"), std::string::npos) << text;
  EXPECT_EQ(text.find("203.0.113.9"), std::string::npos) << "expired indicator exported";
  EXPECT_NE(zeek.out.find("2 values from 1 of 2 current released indicators"), std::string::npos)
      << zeek.out;
  EXPECT_NE(zeek.out.find("1  indicators left out: expired"), std::string::npos) << zeek.out;
  // Not valid yet: named too (it was counted nowhere), and not exported.
  EXPECT_NE(zeek.out.find("1  indicators left out: not valid yet"), std::string::npos) << zeek.out;
  EXPECT_EQ(text.find("203.0.113.10"), std::string::npos) << text;
  EXPECT_NE(zeek.out.find("indicator--22222222-2222-4222-8222-222222222222: FOLLOWEDBY"),
            std::string::npos)
      << zeek.out;

  Output no_dir =
      RunCtihub("export --store " + store_ + " --collection intel --format suricata-dataset");
  EXPECT_EQ(no_dir.exit_code, 2) << no_dir.out;
  Output suricata =
      RunCtihub("export --store " + store_ + " --collection intel --format suricata-dataset -o " +
                (dir_ / "suricata").string());
  EXPECT_EQ(suricata.exit_code, 0) << suricata.out;
  EXPECT_TRUE(fs::exists(dir_ / "suricata" / "ctihub.rules"));
  EXPECT_TRUE(fs::exists(dir_ / "suricata" / "ctihub-ip.lst"));
  EXPECT_TRUE(fs::exists(dir_ / "suricata" / "ctihub-domains.lst"));
  // Each file is written aside and renamed into place: nothing partial is left behind.
  for (const auto& entry : fs::directory_iterator(dir_ / "suricata")) {
    EXPECT_EQ(entry.path().extension(), entry.path().filename() == "ctihub.rules" ? ".rules"
                                        : entry.path().extension() == ".lst"      ? ".lst"
                                                                                  : ".txt")
        << entry.path();
  }
  // A second export replaces each file by renaming a complete new one over it (a new inode),
  // never by truncating it in place: Suricata reloading a list, or an export that fails part
  // way, never sees a half-written file.
  auto inode = [](const fs::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 ? st.st_ino : 0;
  };
  const auto ip_before = inode(dir_ / "suricata" / "ctihub-ip.lst");
  const auto rules_before = inode(dir_ / "suricata" / "ctihub.rules");
  ASSERT_EQ(
      RunCtihub("export --store " + store_ + " --collection intel --format suricata-dataset -o " +
                (dir_ / "suricata").string())
          .exit_code,
      0);
  EXPECT_NE(inode(dir_ / "suricata" / "ctihub-ip.lst"), ip_before);
  EXPECT_NE(inode(dir_ / "suricata" / "ctihub.rules"), rules_before);
  // A file where the directory should be is refused before anything is exported.
  std::ofstream(dir_ / "plain") << "keep";
  Output not_dir =
      RunCtihub("export --store " + store_ + " --collection intel --format suricata-dataset -o " +
                (dir_ / "plain").string());
  EXPECT_EQ(not_dir.exit_code, 2) << not_dir.out;
  EXPECT_NE(not_dir.out.find("plain: "), std::string::npos) << not_dir.out;
  EXPECT_EQ(not_dir.out.find("wrote"), std::string::npos) << not_dir.out;
  EXPECT_EQ(ReadAll(dir_ / "plain"), "keep");
  // A rules file that cannot be replaced (a directory in its place) fails the export and names
  // it; the lists written before it are whole.
  fs::path blocked = dir_ / "blocked";
  fs::create_directories(blocked / "ctihub.rules" / "x");
  Output cannot = RunCtihub("export --store " + store_ +
                            " --collection intel --format suricata-dataset -o " + blocked.string());
  EXPECT_EQ(cannot.exit_code, 2) << cannot.out;
  EXPECT_NE(cannot.out.find("ctihub.rules"), std::string::npos) << cannot.out;
  EXPECT_EQ(ReadAll(blocked / "ctihub-ip.lst"), ReadAll(dir_ / "suricata" / "ctihub-ip.lst"));
  for (const auto& entry : fs::directory_iterator(blocked)) {
    EXPECT_EQ(entry.path().string().find(".partial"), std::string::npos) << entry.path();
  }
}

}  // namespace

namespace {

// ---- match
// ---------------------------------------------------------------------------------------

// Indicators read from a file are held to what import holds them to: validity times that cannot
// be read leave the indicator out (it fired as if valid for ever), a STIX 2.0 indicator (no
// pattern_type) is a STIX pattern, and one bad line of JSON lines is counted, not fatal.
TEST_F(CliImport, MatchReadsIndicatorFilesStrictlyAndStix20Too) {
  auto indicator = [](int n, const std::string& extra) {
    return R"({"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-00000000020)" +
           std::to_string(n) +
           R"(","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","pattern_type":"stix","pattern":"[ipv4-addr:value = '198.51.100.)" +
           std::to_string(n) + R"(']")" + extra + "}";
  };
  fs::path lines = dir_ / "indicators.jsonl";
  std::ofstream(lines)
      << indicator(
             1, R"(,"valid_from":"2019-01-01T00:00:00Z","valid_until":"2020-01-01T00:00:00+00:00")")
      << "\n"
      << indicator(2, R"(,"valid_from":"2099-01-01T00:00:00+00:00")") << "\n"
      << indicator(3, R"(,"valid_from":"not a time")") << "\n"
      << indicator(4, R"(,"valid_from":"2019-01-01T00:00:00Z","revoked":"true")") << "\n"
      << "{broken\n"
      << indicator(5, R"(,"valid_from":"2019-01-01T00:00:00Z")") << "\n"
      << R"({"type":"indicator","id":"indicator--00000000-0000-4000-8000-000000000206","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","labels":["malicious-activity"],"pattern":"[ipv4-addr:value = '198.51.100.6']","valid_from":"2020-01-01T00:00:00Z"})"
      << "\n";
  fs::path log = dir_ / "conn.log";
  {
    std::ofstream out(log);
    for (int n = 1; n <= 6; ++n) {
      out << R"({"_path":"conn","ts":1700000000.5,"id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"198.51.100.)"
          << n << R"(","id.resp_p":80,"proto":"tcp"})"
          << "\n";
    }
  }
  fs::path alerts = dir_ / "alerts.jsonl";
  Output o = RunCtihub("match --indicators " + lines.string() + " -o " + alerts.string() + " " +
                       log.string());
  EXPECT_EQ(o.exit_code, 0) << o.out;
  const std::string got = ReadAll(alerts);
  // Only the valid 2.1 indicator and the 2.0 one fire.
  EXPECT_EQ(std::count(got.begin(), got.end(), '\n'), 2) << got;
  EXPECT_NE(got.find("indicator--00000000-0000-4000-8000-000000000205"), std::string::npos) << got;
  EXPECT_NE(got.find("indicator--00000000-0000-4000-8000-000000000206"), std::string::npos) << got;
  EXPECT_NE(o.out.find("1 skipped: valid_until not a STIX timestamp"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("2 skipped: valid_from missing or not a STIX timestamp"), std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("1 skipped: revoked is not true or false"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("1 skipped: line not JSON (the first: line 5)"), std::string::npos) << o.out;
  // A file with no JSON object in it at all is refused, as before.
  fs::path junk = dir_ / "junk.txt";
  std::ofstream(junk) << "not\njson\n";
  EXPECT_EQ(RunCtihub("match --indicators " + junk.string() + " " + log.string()).exit_code, 2);
}

TEST_F(CliImport, MatchRaisesAlertsAndStoresSightingsFromRealLogFormats) {
  fs::path bundle = dir_ / "indicators.json";
  std::ofstream(bundle)
      << R"({"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
{"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111111","created":"2018-01-01T00:00:00.000Z","modified":"2018-01-01T00:00:00.000Z","name":"Simda DGA","pattern":"[domain-name:value = 'gatyfus.com']","pattern_type":"stix","valid_from":"2018-01-01T00:00:00Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--22222222-2222-4222-8222-222222222222","created":"2018-01-01T00:00:00.000Z","modified":"2018-01-01T00:00:00.000Z","name":"Login pages","pattern":"[url:value LIKE '%/login.php']","pattern_type":"stix","valid_from":"1970-01-01T00:00:00Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--33333333-3333-4333-8333-333333333333","created":"2018-01-01T00:00:00.000Z","modified":"2018-01-01T00:00:00.000Z","name":"Broken","pattern":"[file:name MATCHES '(a']","pattern_type":"stix","valid_from":"1970-01-01T00:00:00Z"}]})";
  ASSERT_EQ(Import("--collection intel " + bundle.string()).exit_code, 0);
  fs::path log = dir_ / "http.log";
  std::ofstream(log)
      << "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
         "#path\thttp\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\thost\turi\n"
         "#types\ttime\tstring\taddr\tport\taddr\tport\tstring\tstring\n"
         "1526300000.5\tC1\t192.168.1.116\t49161\t67.55.121.97\t80\tgatyfus.com\t/login.php\n"
         "1526300001.5\tC2\t192.168.1.116\t49162\t67.55.121.98\t80\tother.example\t/\n"
         "garbage line\n";
  fs::path alerts = dir_ / "alerts.jsonl";
  Output o = RunCtihub("match --store " + store_ +
                       " --collection intel --sightings --sighted-by "
                       "identity--44444444-4444-4444-8444-444444444444 -o " +
                       alerts.string() + " " + log.string());
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("2 indicators compiled"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("indicator--33333333-3333-4333-8333-333333333333: MATCHES"),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("3 records (2 mapped, 0 without observables, 1 bad), 2 alerts"),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find(":10: has 1 fields, the header names 8"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("sightings in collection sightings: 2 new"), std::string::npos) << o.out;
  std::ifstream f(alerts);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(
      text.find(
          R"("indicator":{"id":"indicator--11111111-1111-4111-8111-111111111111","name":"Simda DGA"},"matched":[{"path":"domain-name:value","value":"gatyfus.com"}],"time":"2018-05-14T12:13:20.500000Z")"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("line":8,"sensor":"zeek:http")"), std::string::npos) << text;
  // A second run over the same log stores nothing new: the Sightings are the same objects.
  Output again = RunCtihub("match --store " + store_ +
                           " --collection intel --sightings --sighted-by "
                           "identity--44444444-4444-4444-8444-444444444444 -o /dev/null " +
                           log.string());
  EXPECT_NE(again.out.find("0 new, 0 updated, 2 unchanged"), std::string::npos) << again.out;
  Output neither = RunCtihub("match --store " + store_ + " " + log.string());
  EXPECT_EQ(neither.exit_code, 2) << neither.out;
  // The identity that saw it goes into every Sighting: anything but an identity id is refused
  // before a log is read (it would make Sightings that are not valid STIX).
  for (const char* who : {"not-an-id", "malware--44444444-4444-4444-8444-444444444444"}) {
    Output bad =
        RunCtihub("match --store " + store_ + " --collection intel --sightings --sighted-by " +
                  who + " -o /dev/null " + log.string());
    EXPECT_EQ(bad.exit_code, 2) << bad.out;
    EXPECT_NE(bad.out.find("is not an identity--<uuid> id"), std::string::npos) << bad.out;
  }
}

// Sightings of one window from two runs (a later log) are one Sighting: the second run's is its
// next version, created unchanged, the counts added up; the same log again changes nothing. A
// Sighting carries its indicator's markings (here RED), so it goes no further than it.
TEST_F(CliImport, SightingsOfAWindowMergeAcrossRunsAndCarryTheIndicatorsMarkings) {
  fs::path list = dir_ / "red.txt";
  std::ofstream(list) << "c2.example\n";
  ASSERT_EQ(Import("--collection intel --marking tlp:red --valid-from 2024-01-01T00:00:00Z " +
                   list.string())
                .exit_code,
            0);
  auto log = [&](const std::string& name, double ts) {
    fs::path p = dir_ / name;
    std::ofstream(p) << R"({"_path":"dns","ts":)" << std::fixed << ts
                     << R"(,"id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2","query":"c2.example"})"
                     << "\n";
    return p.string();
  };
  const std::string early = log("early.json", 1709287200.5), late = log("late.json", 1709289000.5);
  const std::string match = "match --store " + store_ +
                            " --collection intel --sightings "
                            "--sighted-by identity--44444444-4444-4444-8444-444444444444 "
                            "-o /dev/null ";
  EXPECT_NE(RunCtihub(match + early).out.find("1 new, 0 updated"), std::string::npos);
  EXPECT_NE(RunCtihub(match + late).out.find("0 new, 1 updated"), std::string::npos);
  EXPECT_NE(RunCtihub(match + early).out.find("0 new, 0 updated, 1 unchanged"), std::string::npos);
  fs::path out = dir_ / "sightings.json";
  ASSERT_EQ(RunCtihub("export --store " + store_ + " --collection sightings -o " + out.string())
                .exit_code,
            0);
  std::ifstream f(out);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(R"("created":"2024-03-01T10:00:00.500Z")"), std::string::npos) << text;
  EXPECT_NE(
      text.find(
          R"("first_seen":"2024-03-01T10:00:00.500Z","last_seen":"2024-03-01T10:30:00.500Z","count":2)"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          R"("object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"])"),
      std::string::npos)
      << text;
}

// An event re-tagged in MISP (GREEN -> RED) bumps only the event's timestamp: imported again, its
// indicator becomes a new version under RED — it used to clash with the stored GREEN one (exit 1)
// and stay GREEN.
TEST_F(CliImport, AMispEventRetaggedRedReplacesItsGreenIndicators) {
  auto event = [&](std::string_view tlp, std::string_view timestamp) {
    fs::path path = dir_ / ("event-" + std::string(tlp) + ".json");
    std::ofstream(path)
        << R"({"Event":{"uuid":"9f1c6b2e-1a7d-4c3e-8b5f-2d4e6a8c0b1d","info":"C2","date":)"
           R"("2024-03-01","published":true,"timestamp":")"
        << timestamp << R"(","Tag":[{"name":"tlp:)" << tlp
        << R"("}],"Attribute":[{"type":"ip-dst","category":"Network activity","to_ids":true,)"
           R"("value":"198.51.100.9","uuid":"5d1f3a5c-7e9b-4d2f-a4b6-c8d0e2f4a6b8",)"
           R"("timestamp":"1709290000"},)"
           // An observation (not for IDS): observed-data naming an SCO, stored once.
           R"({"type":"ip-src","category":"Network activity","to_ids":false,)"
           R"("value":"203.0.113.77","uuid":"6d1f3a5c-7e9b-4d2f-a4b6-c8d0e2f4a6b9",)"
           R"("timestamp":"1709290000"}]}})";
    return path.string();
  };
  ASSERT_EQ(Import("--collection misp " + event("green", "1709300000")).exit_code, 0);
  Output again = Import("--collection misp " + event("red", "1709400000"));
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("0 rejected"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("is stored already under other markings, kept as stored"),
            std::string::npos)
      << again.out;
  std::string last = RunCtihub("export --store " + store_ + " --collection misp").out;
  const std::string red = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
  const size_t indicator = last.find("indicator--5d1f3a5c-7e9b-4d2f-a4b6-c8d0e2f4a6b8");
  ASSERT_NE(indicator, std::string::npos) << last;
  const size_t end = last.find('}', last.find("object_marking_refs", indicator));
  EXPECT_NE(last.substr(indicator, end - indicator).find(red), std::string::npos) << last;
}

// A MISP hostname|port attribute (a C2 host and port) fires on the HTTP and TLS records that
// name that host and port, and not on the same host at another port.
TEST_F(CliImport, MispHostAndPortIndicatorsMatchTheConnectionsThatNameThem) {
  fs::path event = dir_ / "event.json";
  std::ofstream(event)
      << R"({"Event":{"uuid":"9f1c6b2e-1a7d-4c3e-8b5f-2d4e6a8c0b1d","info":"C2","date":"2024-03-01",)"
         R"("timestamp":"1709300000","distribution":"1","Orgc":{"name":"CERT-Test",)"
         R"("uuid":"0b3c5d7e-9f1a-4b2c-8d4e-6f8a0b2c4d6e"},"Attribute":[{"type":"hostname|port",)"
         R"("category":"Network activity","to_ids":true,"value":"c2.example.net|8443",)"
         R"("uuid":"5d1f3a5c-7e9b-4d2f-a4b6-c8d0e2f4a6b8","timestamp":"1709300000"}]}})";
  ASSERT_EQ(
      Import("--collection misp --valid-from 2018-01-01T00:00:00Z " + event.string()).exit_code, 0);
  fs::path zeek = dir_ / "zeek.json";
  std::ofstream(zeek)
      << R"({"_path":"http","ts":1709400000.5,"id.orig_h":"10.0.0.1","id.orig_p":40000,"id.resp_h":"198.51.100.1","id.resp_p":8443,"proto":"tcp","host":"C2.example.net:8443","uri":"/gate"})"
      << "\n"
      << R"({"_path":"ssl","ts":1709400001.5,"id.orig_h":"10.0.0.1","id.orig_p":40001,"id.resp_h":"198.51.100.1","id.resp_p":8443,"proto":"tcp","server_name":"c2.example.net"})"
      << "\n"
      << R"({"_path":"ssl","ts":1709400002.5,"id.orig_h":"10.0.0.1","id.orig_p":40002,"id.resp_h":"198.51.100.1","id.resp_p":443,"proto":"tcp","server_name":"c2.example.net"})"
      << "\n";
  fs::path eve = dir_ / "eve.json";
  std::ofstream(eve)
      << R"({"timestamp":"2024-03-02T00:00:00Z","event_type":"tls","src_ip":"10.0.0.1","src_port":40003,"dest_ip":"198.51.100.1","dest_port":8443,"proto":"TCP","tls":{"sni":"c2.example.net"}})"
      << "\n";
  fs::path alerts = dir_ / "alerts.jsonl";
  Output o = RunCtihub("match --store " + store_ + " --collection misp -o " + alerts.string() +
                       " " + zeek.string() + " " + eve.string());
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("3 alerts"), std::string::npos) << o.out;
  std::ifstream f(alerts);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(R"("line":1,"sensor":"zeek:http")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("line":2,"sensor":"zeek:ssl")"), std::string::npos) << text;
  EXPECT_EQ(text.find(R"("line":3,)"), std::string::npos) << "port 443 is not the indicator's";
  EXPECT_NE(text.find(R"("sensor":"suricata:tls")"), std::string::npos) << text;
}

// A log older than the indicators (a retro-hunt with a list imported today) raises no alert, and
// says why; imported with --valid-from before the log, the same list matches.
TEST_F(CliImport, MatchesOutsideAnIndicatorsValiditySayWhyAndValidFromReachesBack) {
  fs::path list = dir_ / "hunt.txt";
  std::ofstream(list) << "gatyfus.com\n";
  fs::path log = dir_ / "old.json";
  std::ofstream(log)
      << R"({"_path":"dns","ts":1526300000.5,"id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2","query":"gatyfus.com"})"
      << "\n";
  ASSERT_EQ(Import("--collection today " + list.string()).exit_code, 0);
  Output today =
      RunCtihub("match --store " + store_ + " --collection today -o /dev/null " + log.string());
  EXPECT_EQ(today.exit_code, 0) << today.out;
  EXPECT_NE(today.out.find("0 alerts"), std::string::npos) << today.out;
  EXPECT_NE(today.out.find("1 matches raised no alert: the record is older than the indicator's "
                           "valid_from"),
            std::string::npos)
      << today.out;
  ASSERT_EQ(
      Import("--collection back --valid-from 2018-01-01T00:00:00Z " + list.string()).exit_code, 0);
  Output back =
      RunCtihub("match --store " + store_ + " --collection back -o /dev/null " + log.string());
  EXPECT_NE(back.out.find("1 alert\n"), std::string::npos) << back.out;
  EXPECT_EQ(back.out.find("raised no alert"), std::string::npos) << back.out;
  EXPECT_EQ(Import("--collection bad --valid-from yesterday " + list.string()).exit_code, 2);
}

// One log that cannot be read to its end (a truncated .gz) or at all does not stop the others:
// its alerts so far stand, each failure is reported, and the exit code says that input was lost.
TEST_F(CliImport, MatchGoesOnPastALogItCannotFinish) {
  fs::path indicators = dir_ / "indicators.json";
  std::ofstream(indicators)
      << R"({"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111111","created":"2018-01-01T00:00:00.000Z","modified":"2018-01-01T00:00:00.000Z","name":"Simda DGA","pattern":"[domain-name:value = 'gatyfus.com']","pattern_type":"stix","valid_from":"2018-01-01T00:00:00Z"})";
  fs::path cut = dir_ / "dns.log";
  {
    std::ofstream log(cut);
    for (int i = 0; i < 40000; ++i) {
      log << R"({"_path":"dns","ts":)" << 1526300000 + i << R"(.5,"uid":"C)" << i
          << R"(","id.orig_h":"192.0.2.)" << i % 250
          << R"(","id.orig_p":5353,"id.resp_h":"198.51.100.1","id.resp_p":53,"query":")"
          << (i % 100 == 0 ? "gatyfus.com" : "q" + std::to_string(i) + ".example") << "\"}\n";
    }
  }
  ASSERT_EQ(std::system(("gzip '" + cut.string() + "'").c_str()), 0);
  fs::path gz = cut.string() + ".gz";
  fs::resize_file(gz, fs::file_size(gz) / 2);
  fs::path whole = dir_ / "whole.log";
  std::ofstream(whole)
      << R"({"_path":"dns","ts":1526300000.5,"uid":"Cw","id.orig_h":"192.0.2.1","id.orig_p":5353,"id.resp_h":"198.51.100.1","id.resp_p":53,"query":"gatyfus.com"})"
      << "\n";
  fs::path alerts = dir_ / "alerts.jsonl";
  Output o =
      RunCtihub("match --indicators " + indicators.string() + " -o " + alerts.string() + " " +
                gz.string() + " " + (dir_ / "absent.log").string() + " " + whole.string());
  EXPECT_EQ(o.exit_code, 2) << o.out;
  EXPECT_NE(o.out.find("gzip stream is truncated"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("absent.log"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("whole.log: 1 record (1 mapped, 0 without observables, 0 bad), 1 alert\n"),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("2 of 3 logs could not be read to their end"), std::string::npos) << o.out;
  std::ifstream f(alerts);
  size_t lines = 0;
  for (std::string line; std::getline(f, line);) ++lines;
  EXPECT_GT(lines, 10u) << "the truncated log's alerts before the cut, and the whole log's";
}

// Standard input may never end: Sightings whose window has closed are stored while it is still
// being read, not held (and lost) until an end that never comes.
TEST_F(CliImport, MatchOnStandardInputStoresClosedSightingsAsItGoes) {
  fs::path indicators = dir_ / "indicators.json";
  std::ofstream(indicators)
      << R"({"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111111","created":"2018-01-01T00:00:00.000Z","modified":"2018-01-01T00:00:00.000Z","name":"Simda DGA","pattern":"[domain-name:value = 'gatyfus.com']","pattern_type":"stix","valid_from":"2018-01-01T00:00:00Z"})";
  fs::path fifo = dir_ / "in.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  fs::path log = dir_ / "match.out";
  std::string cmd = std::string(CTIHUB_BINARY) + " match --store " + store_ + " --indicators " +
                    indicators.string() + " --sightings -o /dev/null - < '" + fifo.string() +
                    "' > '" + log.string() + "' 2>&1 &";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  FILE* in = std::fopen(fifo.c_str(), "w");
  ASSERT_NE(in, nullptr);
  // Three hits three hours apart: with one-hour windows, the first two windows close.
  for (int i = 0; i < 3; ++i) {
    std::fprintf(in,
                 R"({"_path":"dns","ts":%d.5,"uid":"C%d","id.orig_h":"192.0.2.1","id.orig_p":5353,)"
                 R"("id.resp_h":"198.51.100.1","id.resp_p":53,"query":"gatyfus.com"})"
                 "\n",
                 1526300000 + i * 3 * 3600, i);
    std::fflush(in);
  }
  std::string stored;
  for (int wait = 0; wait < 100 && stored.find("\"sighting\"") == std::string::npos; ++wait) {
    ::usleep(100 * 1000);
    stored = RunCtihub("export --store " + store_ + " --collection sightings").out;
  }
  EXPECT_NE(stored.find("\"type\":\"sighting\""), std::string::npos)
      << "stored while the input is still open: " << stored;
  std::fclose(in);  // the end: the last window is stored too
  std::string out;
  for (int wait = 0; wait < 100 && out.find("sightings in collection") == std::string::npos;
       ++wait) {
    ::usleep(100 * 1000);
    std::ifstream f(log);
    out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  EXPECT_NE(out.find("3 alerts"), std::string::npos) << out;
  stored = RunCtihub("export --store " + store_ + " --collection sightings").out;
  size_t sightings = 0;
  for (size_t at = stored.find("\"type\":\"sighting\""); at != std::string::npos;
       at = stored.find("\"type\":\"sighting\"", at + 1)) {
    ++sightings;
  }
  EXPECT_EQ(sightings, 3u) << stored;
}

// One indicator (indicator.json) and a one-record DNS log that matches it (dns.log) in `dir`.
void WriteOneHit(const fs::path& dir) {
  std::ofstream(dir / "indicator.json")
      << R"({"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111111","created":"2018-01-01T00:00:00.000Z","modified":"2018-01-01T00:00:00.000Z","name":"Simda DGA","pattern":"[domain-name:value = 'gatyfus.com']","pattern_type":"stix","valid_from":"2018-01-01T00:00:00Z"})";
  std::ofstream(dir / "dns.log")
      << R"({"_path":"dns","ts":1526300000.5,"uid":"Cw","id.orig_h":"192.0.2.1","id.orig_p":5353,"id.resp_h":"198.51.100.1","id.resp_p":53,"query":"gatyfus.com"})"
      << "\n";
}

std::string FirstLine(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

// Alerts that cannot be written are an error that names where they were to go: match exited 0
// and said "1 alerts" while the alerts were lost.
TEST_F(CliImport, MatchFailsWhenItsAlertsCannotBeWritten) {
  WriteOneHit(dir_);
  const std::string args = "match --indicators " + (dir_ / "indicator.json").string() + " ";
  const std::string log = (dir_ / "dns.log").string();
  Output file = RunCtihub(args + "-o /dev/full " + log);
  EXPECT_EQ(file.exit_code, 2) << file.out;
  EXPECT_NE(file.out.find("cannot write '/dev/full': No space left on device"), std::string::npos)
      << file.out;
  Output out = RunCtihubStdoutFull(args + log);
  EXPECT_EQ(out.exit_code, 2) << out.out;
  EXPECT_NE(out.out.find("standard output: No space left on device"), std::string::npos) << out.out;
}

// An output file is replaced only by a complete one. It was truncated before anything was read:
// a log that could not be opened, an export cut short, or an output that is also an input
// destroyed the last good file.
TEST_F(CliImport, MatchAndExportReplaceTheirOutputOnlyWithACompleteOne) {
  WriteOneHit(dir_);
  const std::string indicators = (dir_ / "indicator.json").string();
  const fs::path log = dir_ / "dns.log", alerts = dir_ / "alerts.jsonl";
  std::ofstream(alerts) << "precious\n";
  Output absent = RunCtihub("match --indicators " + indicators + " -o " + alerts.string() + " " +
                            (dir_ / "absent.log").string());
  EXPECT_EQ(absent.exit_code, 2) << absent.out;
  EXPECT_EQ(FirstLine(alerts), "precious");
  EXPECT_FALSE(fs::exists(alerts.string() + ".partial"));
  Output onto_log =
      RunCtihub("match --indicators " + indicators + " -o " + log.string() + " " + log.string());
  EXPECT_EQ(onto_log.exit_code, 2) << onto_log.out;
  EXPECT_NE(onto_log.out.find("is also an input"), std::string::npos) << onto_log.out;
  EXPECT_NE(FirstLine(log).find("gatyfus.com"), std::string::npos);
  Output matched =
      RunCtihub("match --indicators " + indicators + " -o " + alerts.string() + " " + log.string());
  EXPECT_EQ(matched.exit_code, 0) << matched.out;
  EXPECT_NE(FirstLine(alerts).find("indicator--11111111"), std::string::npos);
  EXPECT_FALSE(fs::exists(alerts.string() + ".partial"));

  fs::path feed = dir_ / "feed.json", bundle = dir_ / "bundle.json";
  ASSERT_EQ(RunCtihub("generate --seed 3 --objects 3000 -o " + feed.string()).exit_code, 0);
  ASSERT_EQ(Import("--collection feeds " + feed.string()).exit_code, 0);
  std::ofstream(bundle) << "precious\n";
  const std::string export_args = "export --store " + store_ + " --collection feeds -o ";
  // A file size limit of 0.5 or 1 MB (ulimit -f counts blocks of 512 or 1024 bytes) cuts the 2 MB
  // export short; the store's own writes stay below it.
  Output cut = RunShell("ulimit -f 1024; " + std::string(CTIHUB_BINARY) + " " + export_args +
                        bundle.string() + " 2>&1");
  EXPECT_NE(cut.exit_code, 0) << cut.out;
  EXPECT_EQ(FirstLine(bundle), "precious");
  EXPECT_FALSE(fs::exists(bundle.string() + ".partial"));
  const fs::path db = dir_ / "hub.db";
  const uintmax_t db_size = fs::file_size(db);
  Output onto_store = RunCtihub(export_args + db.string());
  EXPECT_EQ(onto_store.exit_code, 2) << onto_store.out;
  EXPECT_NE(onto_store.out.find("is also an input"), std::string::npos) << onto_store.out;
  EXPECT_EQ(fs::file_size(db), db_size);
  Output exported = RunCtihub(export_args + bundle.string());
  EXPECT_EQ(exported.exit_code, 0) << exported.out;
  EXPECT_EQ(FirstLine(bundle).rfind(R"({"type":"bundle")", 0), 0u) << FirstLine(bundle);
  EXPECT_FALSE(fs::exists(bundle.string() + ".partial"));
}

// Standard output that cannot be written is an error: these commands exited 0 with their output
// lost, and `key create` left an active key whose token nobody ever saw.
TEST_F(CliImport, CommandsFailWhenStandardOutputCannotBeWritten) {
  const std::string valid = kCorpus + "/valid/indicator.json";
  for (const std::string& args :
       {"validate " + valid,
        "import --progress none --collection c --store " + store_ + " " + valid,
        "collection list --format json --store " + store_}) {
    SCOPED_TRACE(args);
    Output o = RunCtihubStdoutFull(args);
    EXPECT_EQ(o.exit_code, 2) << o.out;
    EXPECT_NE(o.out.find("ctihub: could not write standard output: No space left on device"),
              std::string::npos)
        << o.out;
  }
  ASSERT_EQ(RunCtihub("org add cert-eu --store " + store_).exit_code, 0);
  ASSERT_EQ(RunCtihub("user add ana --org cert-eu --store " + store_).exit_code, 0);
  Output key = RunCtihubStdoutFull("key create --user ana --format json --store " + store_);
  EXPECT_EQ(key.exit_code, 2) << key.out;
  EXPECT_NE(key.out.find("the key is revoked"), std::string::npos) << key.out;
  Output keys = RunCtihub("key list --store " + store_);
  EXPECT_EQ(keys.out.find("active"), std::string::npos) << keys.out;
}

// Ctrl-C or SIGTERM during a long generate removes its partial file (it stayed, as large as what
// had been written) and keeps the previous output; the exit status still names the signal.
TEST_F(CliImport, AnInterruptedGenerateLeavesNoPartialFile) {
  const fs::path out = dir_ / "big.json", partial = dir_ / "big.json.partial";
  std::ofstream(out) << "precious\n";
  for (int sig : {SIGINT, SIGTERM}) {
    SCOPED_TRACE(sig);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      const int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
      // A background shell may have ignored SIGINT for us; ctihub leaves ignored signals alone.
      std::signal(SIGINT, SIG_DFL);
      std::signal(SIGTERM, SIG_DFL);
      ::execl(CTIHUB_BINARY, "ctihub", "generate", "--objects", "100000000", "-o", out.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int wait = 0; wait < 500 && !fs::exists(partial); ++wait) ::usleep(10 * 1000);
    EXPECT_TRUE(fs::exists(partial));
    ::usleep(100 * 1000);
    ::kill(pid, sig);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig) << status;
    EXPECT_FALSE(fs::exists(partial));
    EXPECT_EQ(FirstLine(out), "precious");
  }
}

// Federation commands refuse what would be unsafe or meaningless, saying why (the behaviour
// with real peers is in tests/federation/).
TEST(CliFederation, KeysAreNeverOverwrittenAndShowTheirPublicKey) {
  fs::path dir = fs::temp_directory_path() / ("ctihub-cli-fed-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string key = (dir / "node.key").string();
  Output made = RunCtihub("node-key generate -o " + key);
  ASSERT_EQ(made.exit_code, 0) << made.out;
  EXPECT_EQ(fs::status(key).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  Output again = RunCtihub("node-key generate -o " + key);
  EXPECT_EQ(again.exit_code, 2) << again.out;
  Output shown = RunCtihub("node-key show " + key);
  ASSERT_EQ(shown.exit_code, 0) << shown.out;
  const size_t at = made.out.find("public key: ");
  ASSERT_NE(at, std::string::npos) << made.out;
  EXPECT_NE(shown.out.find(made.out.substr(at, made.out.find('\n', at) - at)), std::string::npos)
      << shown.out;
  fs::remove_all(dir);
}

TEST(CliFederation, ConfigAndFileMistakesAreRefusedClearly) {
  fs::path dir = fs::temp_directory_path() / ("ctihub-cli-fed2-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string store = "--store sqlite:" + (dir / "hub.db").string();
  Output no_config = RunCtihub("sync " + store);
  EXPECT_EQ(no_config.exit_code, 2) << no_config.out;
  EXPECT_NE(no_config.out.find("--config is required"), std::string::npos) << no_config.out;

  // Pushing to a peer without an agreement would release to someone no agreement covers.
  std::ofstream(dir / "pw") << "secret-password\n";
  std::ofstream(dir / "push.toml") << "[[peers]]\nname = \"nato\"\nurl = \"http://127.0.0.1:1\"\n"
                                      "push_from = [\"feeds\"]\npush_to = \"inbox\"\n";
  Output no_agreement = RunCtihub("sync --config " + (dir / "push.toml").string() + " " + store);
  EXPECT_EQ(no_agreement.exit_code, 2) << no_agreement.out;
  EXPECT_NE(no_agreement.out.find("needs a sharing agreement"), std::string::npos)
      << no_agreement.out;

  // A peer that cannot be reached: the round fails (exit 1) and says which peer and why.
  std::ofstream(dir / "pull.toml") << "[[peers]]\nname = \"nato\"\nurl = \"http://127.0.0.1:1\"\n"
                                      "pull_from = \"feeds\"\n";
  Output down = RunCtihub("sync --config " + (dir / "pull.toml").string() + " " + store);
  EXPECT_EQ(down.exit_code, 1) << down.out;
  EXPECT_NE(down.out.find("nato: FAILED"), std::string::npos) << down.out;
  Output peers = RunCtihub("peers --json --config " + (dir / "pull.toml").string() + " " + store);
  EXPECT_EQ(peers.exit_code, 0) << peers.out;
  EXPECT_NE(peers.out.find("\"consecutive_failures\":1"), std::string::npos) << peers.out;

  // Anything that is not a transfer file is refused before anything is read as data.
  std::ofstream(dir / "bundle.json") << R"({"type":"bundle","id":"bundle--1","objects":[]})";
  Output not_transfer = RunCtihub("transfer import " + (dir / "bundle.json").string() +
                                  " --config " + (dir / "pull.toml").string() + " " + store);
  EXPECT_EQ(not_transfer.exit_code, 2) << not_transfer.out;
  EXPECT_NE(not_transfer.out.find("not a ctihub transfer file"), std::string::npos)
      << not_transfer.out;
  fs::remove_all(dir);
}

}  // namespace

// ---- a store that is not there ------------------------------------------------------------------

// A typo in --store, or a store deleted under a cron job, must not pass as an empty, intact
// store: every command that only reads or checks refuses it (exit 2, naming the path) and leaves
// nothing behind — no database, no -wal, no .audit-key.
TEST(CliMissingStore, ReadingAndCheckingCommandsRefuseItAndCreateNothing) {
  fs::path dir = fs::temp_directory_path() / ("ctihub-cli-missing-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "stores");
  const std::string path = (dir / "stores" / "typo.db").string();
  const std::string store = " --store sqlite:" + path;
  const std::string config = (dir / "node.toml").string();
  std::ofstream(config) << "[[peers]]\nname = \"nato\"\nurl = \"http://127.0.0.1:1\"\n"
                           "pull_from = \"feeds\"\n";
  const std::string log = (dir / "conn.log").string();
  std::ofstream(log) << "{\"id.orig_h\":\"198.51.100.1\"}\n";
  for (const std::string& command : std::vector<std::string>{
           "store check", "collection list", "collection grants", "audit verify", "audit list",
           "user list", "org list", "key list", "export --collection feeds",
           "policy explain indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f --to org:x --config " +
               config,
           "match --collection feeds " + log, "peers --config " + config,
           "transfer export --to nato -o " + (dir / "out.transfer").string() + " --config " +
               config}) {
    Output o = RunCtihub(command + store);
    EXPECT_EQ(o.exit_code, 2) << command << ": " << o.out;
    EXPECT_NE(o.out.find("no store at " + path), std::string::npos) << command << ": " << o.out;
    EXPECT_NE(o.out.find("`ctihub import` or `ctihub collection create` makes a new one"),
              std::string::npos)
        << command << ": " << o.out;
    EXPECT_TRUE(fs::is_empty(dir / "stores")) << command << " created a file";
    fs::remove_all(dir / "stores");
    fs::create_directories(dir / "stores");
  }
  // The commands that write still make a new store.
  Output created = RunCtihub("collection create feeds" + store);
  EXPECT_EQ(created.exit_code, 0) << created.out;
  Output check = RunCtihub("store check" + store);
  EXPECT_EQ(check.exit_code, 0) << check.out;
  EXPECT_NE(check.out.find("ok — 1 collection,"), std::string::npos) << check.out;
  fs::remove_all(dir);
}

// A store copied or restored without PATH.audit-key: `audit verify` names the missing key (not a
// tampered head), exit 2, and no command makes a new key for it — a writer refuses before it
// writes, since its audit entries would chain under another key and break the log for good.
TEST_F(CliImport, AStoreWithoutItsAuditKeyIsNamedAndGetsNoNewKey) {
  ASSERT_EQ(Import("--collection feeds " + kCorpus + "/valid/indicator.json").exit_code, 0);
  const std::string path = store_.substr(7);
  const std::string key = path + ".audit-key";
  ASSERT_TRUE(fs::exists(key));
  fs::rename(key, dir_ / "saved-key");
  const std::string missing =
      "the audit key " + key + " is missing: restore it from where the store came from";
  Output verify = RunCtihub("audit verify --store " + store_);
  EXPECT_EQ(verify.exit_code, 2) << verify.out;
  EXPECT_NE(verify.out.find(missing), std::string::npos) << verify.out;
  EXPECT_EQ(verify.out.find("TAMPERED"), std::string::npos) << verify.out;
  Output again = Import("--collection feeds " + kCorpus + "/valid/custom-object.json");
  EXPECT_EQ(again.exit_code, 2) << again.out;
  EXPECT_NE(again.out.find(missing), std::string::npos) << again.out;
  Output org = RunCtihub("org add cert-eu --store " + store_);
  EXPECT_EQ(org.exit_code, 2) << org.out;
  EXPECT_NE(org.out.find(missing), std::string::npos) << org.out;
  EXPECT_FALSE(fs::exists(key)) << "a new key was made";
  Output check = RunCtihub("store check --store " + store_);
  EXPECT_NE(check.out.find(" 1 object version,"), std::string::npos) << check.out;
  fs::rename(dir_ / "saved-key", key);
  Output restored = RunCtihub("audit verify --store " + store_);
  EXPECT_EQ(restored.exit_code, 0) << restored.out;
  // The import's two entries: its batch, before it committed, and its summary.
  EXPECT_NE(restored.out.find("audit log intact: 2 entries"), std::string::npos) << restored.out;
}

// A damaged key (a full disk left it short) is never used nor replaced: every command that
// writes audit entries refuses before it changes anything, exit 2, as for a missing key — it
// warned and went on, so the store changed with the audit log off for good.
TEST_F(CliImport, ADamagedAuditKeyStopsWritersBeforeTheyWrite) {
  ASSERT_EQ(Import("--collection feeds " + kCorpus + "/valid/indicator.json").exit_code, 0);
  const std::string key = store_.substr(7) + ".audit-key";
  fs::resize_file(key, 0);
  const std::string damaged = "audit key " + key + " is damaged";
  Output again = Import("--collection feeds " + kCorpus + "/valid/custom-object.json");
  EXPECT_EQ(again.exit_code, 2) << again.out;
  EXPECT_NE(again.out.find(damaged), std::string::npos) << again.out;
  Output org = RunCtihub("org add cert-eu --store " + store_);
  EXPECT_EQ(org.exit_code, 2) << org.out;
  EXPECT_NE(org.out.find(damaged), std::string::npos) << org.out;
  Output check = RunCtihub("store check --store " + store_);
  EXPECT_NE(check.out.find(" 1 object version,"), std::string::npos) << check.out;
  EXPECT_EQ(fs::file_size(key), 0u) << "the damaged key was replaced";
}

// Writes `n` distinct indicators as JSON lines.
std::string WriteIndicators(const fs::path& path, int n) {
  std::ofstream out(path);
  for (int i = 0; i < n; ++i) {
    char id[64];
    std::snprintf(id, sizeof(id), "indicator--%08x-17d4-4cbf-938f-98ee46b3cd3f", i);
    out << R"({"type":"indicator","spec_version":"2.1","id":")" << id
        << R"(","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z",)"
        << R"("pattern":"[ipv4-addr:value = '10.0.)" << (i / 250) % 256 << "." << i % 250
        << R"(']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"})"
        << "\n";
  }
  return path.string();
}

struct SignalledImport {
  int status = 0;        // as waitpid gives it
  std::string progress;  // standard error: progress lines and messages
  std::string summary;   // standard output
};

// Runs `ctihub import ARGS --progress lines` and sends it `sig` once it has reported its first
// durable commit.
SignalledImport ImportAndSignal(const std::string& args, int sig, const fs::path& dir) {
  const fs::path summary = dir / "summary.txt";
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 2);
    const int out = ::open(summary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::close(fds[0]);
    for (int s : {SIGINT, SIGTERM, SIGHUP}) std::signal(s, SIG_DFL);
    const std::string cmd = std::string(CTIHUB_BINARY) + " import --progress lines " + args;
    ::execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  SignalledImport run;
  char buf[4096];
  ssize_t n;
  bool sent = false;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) {
    run.progress.append(buf, static_cast<size_t>(n));
    if (!sent && run.progress.find("committed ") != std::string::npos) {
      ::kill(pid, sig);
      sent = true;
    }
  }
  ::close(fds[0]);
  ::waitpid(pid, &run.status, 0);
  std::ifstream in(summary);
  run.summary.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return run;
}

// An import killed after it committed (kill -9, SIGHUP) has audit entries for what it committed:
// its only entry was written at the end, so what it had committed was unaudited, and a store
// whose first import was killed was reported "TAMPERED: … the log and its head were removed".
TEST_F(CliImport, AnImportKilledAfterItCommittedIsAudited) {
  const std::string input = WriteIndicators(dir_ / "big.jsonl", 40000);
  for (int sig : {SIGKILL, SIGHUP}) {
    SCOPED_TRACE(sig);
    const std::string store =
        "sqlite:" + (dir_ / ("first-" + std::to_string(sig) + ".db")).string();
    SignalledImport run = ImportAndSignal(
        "--store " + store + " --collection a --batch-size 500 " + input, sig, dir_);
    ASSERT_TRUE(WIFSIGNALED(run.status) && WTERMSIG(run.status) == sig)
        << run.status << " " << run.progress;
    Output verify = RunCtihub("audit verify --store " + store);
    EXPECT_EQ(verify.exit_code, 0) << verify.out;
    EXPECT_NE(verify.out.find("audit log intact: "), std::string::npos) << verify.out;
    Output list = RunCtihub("audit list --kind import --store " + store);
    EXPECT_NE(list.out.find("committing batch 1"), std::string::npos) << list.out;
  }
  // A store with entries already: the killed import adds its own.
  ASSERT_EQ(Import("--collection a " + kCorpus + "/valid/indicator.json").exit_code, 0);
  Output before = RunCtihub("audit list --kind import --store " + store_);
  SignalledImport run = ImportAndSignal(
      "--store " + store_ + " --collection a --batch-size 500 " + input, SIGKILL, dir_);
  ASSERT_TRUE(WIFSIGNALED(run.status)) << run.status << " " << run.progress;
  Output after = RunCtihub("audit list --kind import --store " + store_);
  EXPECT_GT(std::count(after.out.begin(), after.out.end(), '\n'),
            std::count(before.out.begin(), before.out.end(), '\n'))
      << after.out;
  EXPECT_NE(after.out.find("committing batch 1"), std::string::npos) << after.out;
  EXPECT_EQ(RunCtihub("audit verify --store " + store_).exit_code, 0);
}

// Ctrl-C or SIGTERM: the import stops at the next object, commits no more, prints its summary
// marked "interrupted" with what was committed, audits it, and exits 128 + the signal.
TEST_F(CliImport, AnInterruptedImportSummarisesAuditsAndExitsWithTheSignal) {
  const std::string input = WriteIndicators(dir_ / "big.jsonl", 40000);
  for (int sig : {SIGINT, SIGTERM}) {
    SCOPED_TRACE(sig);
    const std::string name = sig == SIGINT ? "SIGINT" : "SIGTERM";
    const std::string store = "sqlite:" + (dir_ / (name + ".db")).string();
    SignalledImport run = ImportAndSignal(
        "--store " + store + " --collection a --batch-size 500 " + input, sig, dir_);
    ASSERT_TRUE(WIFEXITED(run.status)) << run.status << " " << run.progress;
    EXPECT_EQ(WEXITSTATUS(run.status), 128 + sig) << run.progress;
    // What the last progress line acknowledged is what the summary and the store say.
    const size_t last = run.progress.rfind("committed ");
    ASSERT_NE(last, std::string::npos);
    const std::string committed = std::to_string(std::stoull(run.progress.substr(last + 10)));
    EXPECT_NE(run.summary.find("interrupted by " + name + ": " + committed + " objects committed"),
              std::string::npos)
        << run.summary;
    Output check = RunCtihub("store check --store " + store);
    EXPECT_NE(check.out.find(" " + committed + " object versions"), std::string::npos) << check.out;
    Output list = RunCtihub("audit list --kind import --store " + store);
    EXPECT_NE(list.out.find(committed + " new, 0 new versions, 0 rejected, interrupted by " + name),
              std::string::npos)
        << list.out;
    EXPECT_EQ(RunCtihub("audit verify --store " + store).exit_code, 0);
  }
}

// URLs compare as RFC 3986 section 6.2 normalises them, on both sides: %-escapes of unreserved
// characters, dot segments and the host's root dot (only case and the default port were).
TEST_F(CliImport, MatchNormalisesUrlsOnBothSides) {
  fs::path indicators = dir_ / "url.json";
  auto indicator = [](int n, const std::string& url) {
    return R"({"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-00000000030)" +
           std::to_string(n) +
           R"(","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","pattern_type":"stix","pattern":"[url:value = ')" +
           url + R"(']","valid_from":"2020-01-01T00:00:00Z"})";
  };
  std::ofstream(indicators) << indicator(1, "http://evil.example.com/%7Euser/x") << "\n"
                            << indicator(2, "http://evil.example.com/a/./b") << "\n"
                            << indicator(3, "http://evil.example.com./c") << "\n";
  fs::path log = dir_ / "http.log";
  {
    std::ofstream out(log);
    int ts = 1700000000;
    for (const char* where :
         {R"("host":"evil.example.com","uri":"/~user/x")",
          R"("host":"evil.example.com","uri":"/a/b")", R"("host":"evil.example.com.","uri":"/c")",
          R"("host":"evil.example.com","uri":"/%7euser/x")",
          R"("host":"evil.example.com","uri":"/a/%7e/../b")",
          R"("host":"evil.example.com","uri":"/a/b/c")"}) {
      out << R"({"_path":"http","ts":)" << ts++
          << R"(,"id.orig_h":"10.0.0.1","id.orig_p":5000,"id.resp_h":"198.51.100.9","id.resp_p":80,"method":"GET",)"
          << where << "}\n";
    }
  }
  fs::path alerts = dir_ / "alerts.jsonl";
  Output o = RunCtihub("match --indicators " + indicators.string() + " -o " + alerts.string() +
                       " " + log.string());
  ASSERT_EQ(o.exit_code, 0) << o.out;
  const std::string got = ReadAll(alerts);
  for (int line = 1; line <= 5; ++line) {
    EXPECT_NE(got.find("\"line\":" + std::to_string(line) + ","), std::string::npos) << line;
  }
  EXPECT_EQ(got.find("\"line\":6,"), std::string::npos) << got;
}

// SIGTERM (or Ctrl-C) while matching standard input that stays open (tail -F | ctihub match -):
// what was read is matched, summarised and its Sightings stored, and the exit says the signal.
// Before, the process died with the windows still open: their Sightings were lost.
TEST_F(CliImport, AStreamStoppedBySignalKeepsItsSightings) {
  fs::path bundle = dir_ / "indicators.json";
  std::ofstream(bundle)
      << R"({"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
{"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111111","created":"2018-01-01T00:00:00.000Z","modified":"2018-01-01T00:00:00.000Z","name":"C2","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2018-01-01T00:00:00Z"}]})";
  ASSERT_EQ(Import("--collection intel " + bundle.string()).exit_code, 0);
  const fs::path alerts = dir_ / "alerts.jsonl", err = dir_ / "err.txt";
  int in[2];
  ASSERT_EQ(::pipe(in), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::close(in[1]);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(e, 2);
    for (int s : {SIGINT, SIGTERM, SIGHUP}) std::signal(s, SIG_DFL);
    const std::string cmd = std::string(CTIHUB_BINARY) + " match --store " + store_ +
                            " --collection intel --sightings -o " + alerts.string() + " -";
    ::execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(in[0]);
  const std::string line =
      R"({"_path":"conn","ts":1700000000.5,"id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"198.51.100.7","id.resp_p":80,"proto":"tcp"})"
      "\n";
  ASSERT_EQ(::write(in[1], line.data(), line.size()), static_cast<ssize_t>(line.size()));
  // The alert is handed on as it comes: once it is there, the record has been matched.
  for (int i = 0; i < 200 && ReadAll(alerts).empty(); ++i) ::usleep(50000);
  ASSERT_FALSE(ReadAll(alerts).empty()) << ReadAll(err);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(in[1]);
  ASSERT_TRUE(WIFEXITED(status)) << status << " " << ReadAll(err);
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM) << ReadAll(err);
  EXPECT_NE(ReadAll(err).find("stopped by SIGTERM"), std::string::npos) << ReadAll(err);
  EXPECT_NE(ReadAll(err).find("sightings in collection sightings: 1 new"), std::string::npos)
      << ReadAll(err);
  Output stored = RunCtihub("export --store " + store_ + " --collection sightings");
  EXPECT_NE(stored.out.find("\"type\":\"sighting\""), std::string::npos) << stored.out;
}

// `audit list` shows the newest entries (like tail), says when a kind is misspelt, and its
// --format json is one document like every other command's.
TEST_F(CliImport, AuditListShowsTheNewestEntriesAndRefusesAnUnknownKind) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Import("--collection c" + std::to_string(i) + " " + kCorpus + "/valid/indicator.json")
                  .exit_code,
              0);
  }
  Output all = RunCtihub("audit list --kind import --limit 0 --store " + store_);
  ASSERT_EQ(all.exit_code, 0);
  Output last = RunCtihub("audit list --kind import --limit 1 --store " + store_);
  ASSERT_EQ(std::count(last.out.begin(), last.out.end(), '\n'), 1) << last.out;
  // The one line shown is the newest: the last line of the full listing.
  EXPECT_EQ(all.out.substr(all.out.rfind('\n', all.out.size() - 2) + 1), last.out);
  EXPECT_NE(last.out.find("| c2 |"), std::string::npos) << last.out;

  Output bogus = RunCtihub("audit list --kind imports --store " + store_);
  EXPECT_EQ(bogus.exit_code, 2);
  EXPECT_NE(bogus.out.find("no entry of kind 'imports'; it holds: "), std::string::npos)
      << bogus.out;
  EXPECT_NE(bogus.out.find("import"), std::string::npos) << bogus.out;
  EXPECT_EQ(RunCtihub("audit list --limit -1 --store " + store_).exit_code, 2);

  Output json = RunCtihub("audit list --format json --limit 2 --store " + store_);
  ASSERT_EQ(json.exit_code, 0);
  EXPECT_EQ(json.out.front(), '[') << json.out;
  EXPECT_EQ(json.out.substr(json.out.size() - 2), "]\n") << json.out;
  Output lines = RunCtihub("audit list --format jsonl --limit 2 --store " + store_);
  EXPECT_EQ(std::count(lines.out.begin(), lines.out.end(), '\n'), 2) << lines.out;
  EXPECT_EQ(lines.out.front(), '{') << lines.out;
  // The same two entries, one per line.
  std::string joined = "[" + lines.out.substr(0, lines.out.find('\n')) + "," +
                       lines.out.substr(lines.out.find('\n') + 1);
  joined.back() = ']';
  EXPECT_EQ(joined + "\n", json.out);

  // Long details (a release lists up to 100 ids; here a long file name) are cut in the text
  // listing, never in JSON; a newline in a file name cannot start a line of its own.
  fs::path long_name = dir_ / (std::string(180, 'n') + "\nforged.json");
  fs::copy_file(kCorpus + "/valid/indicator.json", long_name);
  ASSERT_EQ(Import("--collection c3 '" + long_name.string() + "'").exit_code, 0);
  Output text = RunCtihub("audit list --kind import --limit 1 --store " + store_);
  EXPECT_EQ(std::count(text.out.begin(), text.out.end(), '\n'), 1) << text.out;
  EXPECT_NE(text.out.find("bytes; --format json shows all)"), std::string::npos) << text.out;
  EXPECT_LT(text.out.size(), 400u) << text.out;
  Output whole = RunCtihub("audit list --kind import --limit 1 --format json --store " + store_);
  EXPECT_NE(whole.out.find("forged.json"), std::string::npos) << whole.out;
}

// A collection, object or recipient the store does not hold: the command ran and the store said
// no (exit 1, as the account commands say it of organisations and users); a bad command line
// stays 2.
TEST_F(CliImport, NamingWhatTheStoreDoesNotHoldExitsOne) {
  ASSERT_EQ(Import("--collection feeds " + kCorpus + "/valid/indicator.json").exit_code, 0);
  fs::path config = dir_ / "hub.toml";
  std::ofstream(config) << "[policy]\nunmarked_tlp = \"amber\"\n";
  const std::string with = " --store " + store_ + " --config " + config.string();
  Output no_collection = RunCtihub("export --collection nosuch -o /dev/null" + with);
  EXPECT_EQ(no_collection.exit_code, 1) << no_collection.out;
  EXPECT_NE(no_collection.out.find("nosuch"), std::string::npos) << no_collection.out;
  Output no_partner = RunCtihub("export --collection feeds --as nobody -o /dev/null" + with);
  EXPECT_EQ(no_partner.exit_code, 1) << no_partner.out;
  EXPECT_NE(no_partner.out.find("'nobody'"), std::string::npos) << no_partner.out;
  ASSERT_EQ(RunCtihub("org add partner --store " + store_).exit_code, 0);
  Output no_object = RunCtihub(
      "policy explain indicator--00000000-0000-4000-8000-000000000000 --to partner" + with);
  EXPECT_EQ(no_object.exit_code, 1) << no_object.out;
  EXPECT_NE(no_object.out.find("no object"), std::string::npos) << no_object.out;
  EXPECT_EQ(RunCtihub("policy explain indicator--00000000-0000-4000-8000-000000000000 --to "
                      "nobody" +
                      with)
                .exit_code,
            1);
  Output no_indicators = RunCtihub("match --collection nosuch --store " + store_ + " /dev/null");
  EXPECT_EQ(no_indicators.exit_code, 1) << no_indicators.out;
  EXPECT_EQ(RunCtihub("export --collection feeds --format nonsense" + with).exit_code, 2);
}

// `export` writes the latest versions, and says so; --all-versions writes every version, so the
// copy imported elsewhere keeps the history.
TEST_F(CliImport, ExportAllVersionsKeepsTheHistory) {
  fs::path feed = dir_ / "feed.json", latest = dir_ / "latest.json", all = dir_ / "all.json";
  ASSERT_EQ(RunCtihub("generate --seed 3 --objects 3000 -o " + feed.string()).exit_code, 0);
  Output imported = Import("--collection feeds " + feed.string());
  ASSERT_NE(imported.out.find("2882 new, 118 new versions"), std::string::npos) << imported.out;
  const std::string args = "export --store " + store_ + " --collection feeds -o ";
  Output l = RunCtihub(args + latest.string());
  EXPECT_NE(l.out.find("exported 2882 objects (latest versions) of feeds"), std::string::npos)
      << l.out;
  Output a = RunCtihub(args + all.string() + " --all-versions");
  EXPECT_NE(a.out.find("exported 3000 object versions of feeds"), std::string::npos) << a.out;
  const std::string copy = "sqlite:" + (dir_ / "copy.db").string();
  Output again = RunCtihub("import --store " + copy + " --collection feeds " + all.string());
  EXPECT_NE(again.out.find("2882 new, 118 new versions, 0 duplicates, 0 rejected"),
            std::string::npos)
      << again.out;
  Output sensors =
      RunCtihub(args + (dir_ / "intel.txt").string() + " --all-versions --format zeek-intel");
  EXPECT_EQ(sensors.exit_code, 2);
  EXPECT_NE(sensors.out.find("--all-versions needs --format stix"), std::string::npos)
      << sensors.out;
}

// A store file too damaged to open (cut short, or not a database at all) is what `store check`
// exists to find: BROKEN and exit 1, like damage found inside a store that opens.
TEST_F(CliImport, StoreCheckCallsAFileTooDamagedToOpenBroken) {
  ASSERT_EQ(Import("--collection a " + kCorpus + "/valid/indicator.json").exit_code, 0);
  const fs::path good = fs::path(store_.substr(7));
  const fs::path cut = dir_ / "cut.db", garbage = dir_ / "garbage.db";
  {
    std::ifstream in(good, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_GT(bytes.size(), 70000u);
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, 70000);
    std::string noise(70000, '\0');
    for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<char>((i * 2654435761u) >> 13);
    std::ofstream(garbage, std::ios::binary) << noise;
  }
  for (const fs::path& file : {cut, garbage}) {
    SCOPED_TRACE(file);
    Output check = RunCtihub("store check --store sqlite:" + file.string());
    EXPECT_EQ(check.exit_code, 1) << check.out;
    EXPECT_NE(check.out.find(": BROKEN — cannot use '" + file.string() + "' as a store"),
              std::string::npos)
        << check.out;
  }
}

// A store that cannot be written (a read-only copy kept as evidence, a store owned by another
// account) is still read: its account tables are not made in the file, and an export says that
// it could not be recorded in the audit log.
TEST_F(CliImport, ReadingCommandsWorkOnAStoreThatCannotBeWritten) {
  const fs::path ro = dir_ / "ro";
  fs::create_directories(ro);
  const std::string store = "sqlite:" + (ro / "hub.db").string();
  ASSERT_EQ(RunCtihub("import --store " + store + " --collection feeds " + kCorpus +
                      "/valid/indicator.json")
                .exit_code,
            0);
  const std::string before = ReadAll(ro / "hub.db");
  for (const char* name : {"hub.db", "hub.db.audit-key"}) {
    fs::permissions(ro / name,
                    fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  }
  fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                          fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
  // Root writes whatever the modes say: run as nobody then.
  const std::string as =
      ::geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "";
  auto run = [&](const std::string& args) {
    return RunShell(as + CTIHUB_BINARY + " " + args + " --store " + store + " 2>&1");
  };
  Output check = run("store check");
  EXPECT_EQ(check.exit_code, 0) << check.out;
  Output users = run("user list");
  EXPECT_EQ(users.exit_code, 0) << users.out;
  Output exported = run("export --collection feeds -o /dev/null");
  EXPECT_EQ(exported.exit_code, 0) << exported.out;
  EXPECT_NE(exported.out.find("exported 1 object"), std::string::npos) << exported.out;
  EXPECT_NE(exported.out.find("not recorded in the audit log"), std::string::npos) << exported.out;
  Output verify = run("audit verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  fs::permissions(ro, fs::perms::owner_all);  // so that the fixture can remove it
  EXPECT_EQ(ReadAll(ro / "hub.db"), before);  // nothing was written to the file
}

// SQLite says only "unable to open database file" when the store path is a directory or its
// directory is missing: the message says which.
TEST_F(CliImport, AStorePathThatCannotBeAStoreSaysWhy) {
  fs::create_directories(dir_ / "adir.db");
  std::ofstream(dir_ / "afile") << "x";
  const std::string input = " --collection a " + kCorpus + "/valid/indicator.json";
  const std::pair<std::string, std::string> cases[] = {
      {(dir_ / "adir.db").string(), "is a directory; a store is a file in one"},
      {(dir_ / "none" / "hub.db").string(), "/none' does not exist"},
      {(dir_ / "afile" / "hub.db").string(), "/afile' is not a directory"},
  };
  for (const auto& [path, message] : cases) {
    SCOPED_TRACE(path);
    Output out = RunCtihub("import --store sqlite:" + path + input);
    EXPECT_EQ(out.exit_code, 2) << out.out;
    EXPECT_NE(out.out.find(message), std::string::npos) << out.out;
  }
}

// A store that stops taking writes (here a file size limit, as a full disk would) ends the import
// there: it reads no further, and the summary says how many objects were committed — what the
// store then holds.
TEST_F(CliImport, AStoreErrorStopsTheImportAndTheSummarySaysWhatWasCommitted) {
  fs::path feed = dir_ / "feed.json";
  ASSERT_EQ(RunCtihub("generate --seed 3 --objects 10000 -o " + feed.string()).exit_code, 0);
  const std::string store = "sqlite:" + (dir_ / "limited.db").string();
  // 3 or 6 MB (ulimit -f counts blocks of 512 or 1024 bytes), of a store that needs ~7. Ignoring
  // SIGXFSZ makes a write past the limit fail (EFBIG) instead of killing the process.
  Output cut =
      RunShell("trap '' XFSZ; ulimit -f 6000; " + std::string(CTIHUB_BINARY) + " import --store " +
               store + " --collection a --batch-size 500 " + feed.string() + " 2>&1");
  EXPECT_EQ(cut.exit_code, 2) << cut.out;
  const size_t at = cut.out.find("; the import stopped there with ");
  ASSERT_NE(at, std::string::npos) << cut.out;
  size_t committed = 0, read = 0;
  ASSERT_EQ(std::sscanf(cut.out.c_str() + at, "; the import stopped there with %zu", &committed),
            1);
  ASSERT_EQ(std::sscanf(cut.out.c_str() + cut.out.find("(stix): ") + 8, "%zu", &read), 1);
  EXPECT_GT(committed, 0u) << cut.out;
  EXPECT_LT(read, 10000u) << "reading stops at the error: " << cut.out;
  EXPECT_LE(committed, read) << cut.out;
  Output check = RunCtihub("store check --store " + store);
  EXPECT_NE(check.out.find(" " + std::to_string(committed) + " object versions"), std::string::npos)
      << check.out << cut.out;
}

// The store's own rejection (changed content under a version it holds) says where the object
// stood in the input, as the validator's rejections do.
TEST_F(CliImport, AStoreRejectionNamesWhereTheObjectStood) {
  const std::string v1 =
      R"({"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",)"
      R"("created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z",)"
      R"("pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix",)"
      R"("valid_from":"2016-01-01T00:00:00Z"})";
  std::string v2 = v1;
  v2.replace(v2.find("100.7"), 5, "100.8");
  std::ofstream(dir_ / "v1.jsonl") << v1 << "\n";
  std::ofstream(dir_ / "v2.jsonl") << "\n" << v2 << "\n";
  std::ofstream(dir_ / "v2.json")
      << R"({"type":"bundle","id":"bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","objects":[)" << v2
      << "]}";
  ASSERT_EQ(Import("--collection a " + (dir_ / "v1.jsonl").string()).exit_code, 0);
  Output lines = Import("--collection a " + (dir_ / "v2.jsonl").string());
  EXPECT_NE(lines.out.find("rejected indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f (object at "
                           "line 2): version 2016-04-06T20:03:48.000Z"),
            std::string::npos)
      << lines.out;
  Output bundle = Import("--collection a " + (dir_ / "v2.json").string());
  EXPECT_NE(bundle.out.find("(object at /objects/0): version"), std::string::npos) << bundle.out;
}
