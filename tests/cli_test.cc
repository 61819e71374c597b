// End-to-end tests of the ctihub binary: exit codes, help, output formats.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;

struct Output {
  int exit_code = -1;
  std::string out;
};

Output RunCtihub(const std::string& args, const std::string& stdin_text = "") {
  std::string cmd = std::string(CTIHUB_BINARY) + " " + args + " 2>&1";
  if (!stdin_text.empty()) {
    fs::path in = fs::temp_directory_path() / "ctihub-cli-stdin.json";
    std::ofstream(in) << stdin_text;
    cmd = std::string(CTIHUB_BINARY) + " " + args + " < '" + in.string() + "' 2>&1";
  }
  Output o;
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) o.out.append(buf.data(), n);
  int status = pclose(p);
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return o;
}

const std::string kCorpus = std::string(CTIHUB_SOURCE_DIR) + "/tests/corpus";

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

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(RunCtihub("").exit_code, 2);
  EXPECT_EQ(RunCtihub("no-such-command").exit_code, 2);
  EXPECT_EQ(RunCtihub("validate").exit_code, 2);
  EXPECT_EQ(RunCtihub("validate --format yaml x.json").exit_code, 2);
}

TEST(Cli, UnreadableFileExitsTwo) {
  Output o = RunCtihub("validate /nonexistent/file.json");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.out.find("cannot"), std::string::npos) << o.out;
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
  std::string check = "python3 -c 'import json,sys; json.load(open(sys.argv[1]))' '" +
                      tmp.string() + "'";
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
