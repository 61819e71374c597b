// End-to-end tests of `ctihub org|user|key …` and `ctihub collection grant|revoke|grants`: the
// real binary on a temporary store, checked through auth::Accounts opened on the same file — a
// second process, as the server is while an operator runs the CLI.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "auth/accounts.h"
#include "common/time.h"

namespace {

namespace fs = std::filesystem;
using ctihub::Result;
using ctihub::StatusCode;
using ctihub::Timestamp;
using ctihub::auth::Accounts;
using ctihub::auth::Permission;
using ctihub::auth::Principal;

// The text after `marker` up to the next character in `end`; empty when `marker` is absent.
// (std::regex trips g++ 12's -Wmaybe-uninitialized in the sanitizer build.)
std::string After(const std::string& text, const std::string& marker, const char* end = " \n") {
  size_t at = text.find(marker);
  if (at == std::string::npos) return {};
  at += marker.size();
  return text.substr(at, text.find_first_of(end, at) - at);
}

// The API key token in a command's output: "cth_" + 16 hex + "_" + 43 base64url.
std::string TokenIn(const std::string& text) {
  std::string token = After(text, "cth_", " \n\"");
  return token.size() == 60 ? "cth_" + token : std::string();
}

struct Output {
  int exit_code = -1;
  std::string out;  // stdout and stderr
};

class AccountCli : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = fs::temp_directory_path() /
           ("ctihub-account-cli-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    uri_ = "sqlite:" + (dir_ / "hub.db").string();
  }
  void TearDown() override {
    accounts_.reset();
    fs::remove_all(dir_);
  }

  // Runs ctihub with --store appended to the subcommand's arguments.
  Output Run(const std::string& args, const std::string& stdin_text = "") {
    std::string cmd = std::string(CTIHUB_BINARY) + " " + args + " --store '" + uri_ + "'";
    if (!stdin_text.empty()) {
      fs::path in = dir_ / "stdin.txt";
      std::ofstream(in) << stdin_text;
      cmd += " < '" + in.string() + "'";
    } else {
      cmd += " < /dev/null";
    }
    cmd += " 2>&1";
    Output o;
    FILE* p = popen(cmd.c_str(), "r");
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) o.out.append(buf.data(), n);
    int status = pclose(p);
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return o;
  }
  std::string WriteFile(const std::string& name, const std::string& text) {
    fs::path path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }
  // The accounts as the server sees them: another connection, in another process than the CLI.
  Accounts& Server() {
    if (!accounts_) {
      auto opened = Accounts::Open(uri_);
      EXPECT_TRUE(opened.ok()) << opened.status().ToString();
      accounts_ = std::move(*opened);
    }
    return *accounts_;
  }
  void AddOrgAndUser() {
    ASSERT_EQ(Run("org add cert-eu --title CERT-EU --nation FR --community nato").exit_code, 0);
    std::string pw = WriteFile("pw.txt", std::string(kPassword) + "\n");
    Output o = Run("user add ana --org cert-eu --password-file '" + pw + "'");
    ASSERT_EQ(o.exit_code, 0) << o.out;
  }

  static constexpr std::string_view kPassword = "correct horse battery";
  fs::path dir_;
  std::string uri_;
  std::unique_ptr<Accounts> accounts_;
};

TEST_F(AccountCli, HelpNamesTheSubcommands) {
  Output org = Run("org --help");
  EXPECT_EQ(org.exit_code, 0);
  EXPECT_NE(org.out.find("add"), std::string::npos);
  Output user = Run("user --help");
  EXPECT_EQ(user.exit_code, 0);
  for (const char* sub : {"add", "list", "passwd", "remove", "set"}) {
    EXPECT_NE(user.out.find(sub), std::string::npos) << sub;
  }
  Output key = Run("key create --help");
  EXPECT_EQ(key.exit_code, 0);
  EXPECT_NE(key.out.find("--expires"), std::string::npos);
  Output grant = Run("collection grant --help");
  EXPECT_EQ(grant.exit_code, 0);
  EXPECT_NE(grant.out.find("--permission"), std::string::npos);
}

TEST_F(AccountCli, OrganisationsAndUsersAreListedAsTextAndJson) {
  AddOrgAndUser();
  Output orgs = Run("org list");
  EXPECT_EQ(orgs.exit_code, 0);
  EXPECT_NE(orgs.out.find("cert-eu  CERT-EU  FR"), std::string::npos) << orgs.out;
  Output json = Run("org list --format json");
  EXPECT_EQ(json.out,
            "[{\"name\":\"cert-eu\",\"title\":\"CERT-EU\",\"identity\":\"\",\"nation\":\"FR\","
            "\"communities\":[\"nato\"]}]\n");
  Output users = Run("user list --format json");
  EXPECT_EQ(users.exit_code, 0);
  EXPECT_NE(users.out.find("{\"name\":\"ana\",\"organisation\":\"cert-eu\",\"admin\":false"),
            std::string::npos)
      << users.out;
  // Only a hash is stored; no listing shows it.
  EXPECT_EQ(users.out.find("argon2"), std::string::npos);
  EXPECT_TRUE(Server().AuthenticateBasic("ana", kPassword).ok());
}

TEST_F(AccountCli, OrgSetChangesOnlyWhatIsGiven) {
  AddOrgAndUser();
  Output o = Run("org set cert-eu --community eu --community nato-cyber --nation BE");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_EQ(Run("org list --format json").out,
            "[{\"name\":\"cert-eu\",\"title\":\"CERT-EU\",\"identity\":\"\",\"nation\":\"BE\","
            "\"communities\":[\"eu\",\"nato-cyber\"]}]\n");
  ASSERT_EQ(Run("org set cert-eu --no-community --title 'CERT EU'").exit_code, 0);
  EXPECT_EQ(Run("org list --format json").out,
            "[{\"name\":\"cert-eu\",\"title\":\"CERT EU\",\"identity\":\"\",\"nation\":\"BE\","
            "\"communities\":[]}]\n");
  Output both = Run("org set cert-eu --no-community --community eu");
  EXPECT_NE(both.exit_code, 0);
  EXPECT_NE(both.out.find("--no-community"), std::string::npos) << both.out;
  Output missing = Run("org set nobody --nation FR");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.out.find("nobody"), std::string::npos) << missing.out;
  Output bad = Run("org set cert-eu --identity not-an-identity");
  EXPECT_NE(bad.exit_code, 0) << bad.out;
  // The audit log says what changed, from and to (found in review: only "updated").
  Output log = Run("audit list --kind account-change");
  EXPECT_NE(log.out.find("org:cert-eu | updated: nation FR→BE communities nato→eu,nato-cyber"),
            std::string::npos)
      << log.out;
  EXPECT_NE(log.out.find("org:cert-eu | updated: title communities eu,nato-cyber→none"),
            std::string::npos)
      << log.out;
}

TEST_F(AccountCli, GeneratedPasswordIsShownOnceAndWorks) {
  ASSERT_EQ(Run("org add cert-eu").exit_code, 0);
  Output o = Run("user add bob --org cert-eu --admin");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  std::string password = After(o.out, "password: ");
  ASSERT_FALSE(password.empty()) << o.out;
  EXPECT_GE(password.size(), 12u);
  Result<Principal> who = Server().AuthenticateBasic("bob", password);
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_TRUE(who->admin);
  EXPECT_EQ(Run("user list").out.find(password), std::string::npos);
}

TEST_F(AccountCli, PasswordFromStdinAndPasswd) {
  ASSERT_EQ(Run("org add cert-eu").exit_code, 0);
  ASSERT_EQ(Run("user add carol --org cert-eu --password-stdin", "from standard input\n").exit_code,
            0);
  EXPECT_TRUE(Server().AuthenticateBasic("carol", "from standard input").ok());
  Output o = Run("user passwd carol --password-stdin", "a brand new password\r\n");
  ASSERT_EQ(o.exit_code, 0) << o.out;
  EXPECT_FALSE(Server().AuthenticateBasic("carol", "from standard input").ok());
  EXPECT_TRUE(Server().AuthenticateBasic("carol", "a brand new password").ok());
}

TEST_F(AccountCli, KeyTokenIsShownOnceAndRevokingStopsItInTheOtherProcess) {
  AddOrgAndUser();
  Output created = Run("key create --user ana --description 'SIEM connector' --expires 90d");
  ASSERT_EQ(created.exit_code, 0) << created.out;
  std::string token = TokenIn(created.out);
  ASSERT_FALSE(token.empty()) << created.out;
  std::string id = token.substr(4, 16);
  EXPECT_NE(created.out.find("will not be shown again"), std::string::npos) << created.out;

  Output list = Run("key list");
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find(id), std::string::npos);
  EXPECT_NE(list.out.find("active"), std::string::npos);
  EXPECT_NE(list.out.find("SIEM connector"), std::string::npos);
  EXPECT_EQ(list.out.find(token), std::string::npos) << "the secret must never be listed";

  // The server authenticates it twice (the second from its cache), then the CLI revokes it.
  ASSERT_TRUE(Server().AuthenticateHeader("Bearer " + token).ok());
  ASSERT_TRUE(Server().AuthenticateHeader("Bearer " + token).ok());
  Output revoked = Run("key revoke " + id);
  ASSERT_EQ(revoked.exit_code, 0) << revoked.out;
  auto after = Server().AuthenticateHeader("Bearer " + token);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(Run("key list").out.find("revoked"), std::string::npos);
  EXPECT_EQ(Run("key revoke 0123456789abcdef").exit_code, 1);
  // Again, and with the id in capitals: the same key, which says it was already revoked.
  std::string upper = id;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Output again = Run("key revoke " + upper);
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("API key " + id + " was already revoked"), std::string::npos)
      << again.out;
}

TEST_F(AccountCli, KeyCreateJsonAndRevokeByWholeToken) {
  AddOrgAndUser();
  Output created = Run("key create --user ana --format json --expires 2099-01-01T00:00:00Z");
  ASSERT_EQ(created.exit_code, 0) << created.out;
  std::string token = After(created.out, "\"token\":\"", "\"");
  ASSERT_EQ(token.size(), 64u) << created.out;
  EXPECT_NE(created.out.find("\"expires\":\"2099-01-01T00:00:00.000000Z\""), std::string::npos)
      << created.out;
  ASSERT_TRUE(Server().AuthenticateBearer(token).ok());
  ASSERT_EQ(Run("key revoke " + token).exit_code, 0);
  EXPECT_FALSE(Server().AuthenticateBearer(token).ok());
  // A date alone is midnight UTC; durations read as everywhere else (weeks too).
  Output dated = Run("key create --user ana --format json --expires 2099-01-01");
  EXPECT_NE(dated.out.find("\"expires\":\"2099-01-01T00:00:00.000000Z\""), std::string::npos)
      << dated.out;
  Output weeks = Run("key create --user ana --format json --expires 2w");
  EXPECT_EQ(weeks.exit_code, 0) << weeks.out;
  const std::string created_at = After(weeks.out, "\"created\":\"", "\"");
  const std::string expires_at = After(weeks.out, "\"expires\":\"", "\"");
  ASSERT_TRUE(Timestamp::Parse(created_at).ok() && Timestamp::Parse(expires_at).ok()) << weeks.out;
  EXPECT_NEAR(static_cast<double>(Timestamp::Parse(expires_at)->micros() -
                                  Timestamp::Parse(created_at)->micros()),
              14.0 * 86400e6, 60e6)
      << weeks.out;
}

TEST_F(AccountCli, UserSetDisablesAndBindsACertificate) {
  AddOrgAndUser();
  ASSERT_TRUE(Server().AuthenticateBasic("ana", kPassword).ok());
  std::string digest(64, 'C');
  Output set = Run("user set ana --disabled true --certificate " + digest);
  ASSERT_EQ(set.exit_code, 0) << set.out;
  EXPECT_FALSE(Server().AuthenticateBasic("ana", kPassword).ok());
  EXPECT_FALSE(Server().AuthenticateCertificate(digest).ok());
  ASSERT_EQ(Run("user set ana --disabled false --admin true").exit_code, 0);
  Result<Principal> who = Server().AuthenticateCertificate(std::string(64, 'c'));
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_TRUE(who->admin);
  ASSERT_EQ(Run("user set ana --certificate none").exit_code, 0);
  EXPECT_FALSE(Server().AuthenticateCertificate(digest).ok());
}

TEST_F(AccountCli, RemoveUserRevokesKeys) {
  AddOrgAndUser();
  Output created = Run("key create --user ana");
  std::string token = TokenIn(created.out);
  ASSERT_FALSE(token.empty()) << created.out;
  ASSERT_TRUE(Server().AuthenticateBearer(token).ok());
  ASSERT_EQ(Run("user remove ana").exit_code, 0);
  EXPECT_FALSE(Server().AuthenticateBearer(token).ok());
  EXPECT_NE(Run("key list").out.find("revoked"), std::string::npos);
  EXPECT_EQ(Run("user remove ana").exit_code, 1);
}

TEST_F(AccountCli, GrantsResolveCollectionsAndAddUp) {
  AddOrgAndUser();
  Output c = Run("collection create feeds");
  ASSERT_EQ(c.exit_code, 0) << c.out;
  std::string id = After(c.out, "(", ")");
  ASSERT_EQ(id.size(), 36u) << c.out;
  Principal ana{"ana", "cert-eu", false, "basic"};

  Output g = Run("collection grant feeds org:cert-eu --permission read");
  ASSERT_EQ(g.exit_code, 0) << g.out;
  EXPECT_EQ(*Server().PermissionOn(ana, id), Permission::kRead);
  ASSERT_EQ(Run("collection grant " + id + " user:ana --permission write").exit_code, 0);
  ASSERT_EQ(Run("collection grant feeds '*' --permission read").exit_code, 0);
  EXPECT_EQ(*Server().PermissionOn(ana, id), Permission::kReadWrite);

  Output list = Run("collection grants feeds");
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find("feeds       " + id + "  org:cert-eu  read"), std::string::npos)
      << list.out;
  Output json = Run("collection grants --format json");
  EXPECT_NE(json.out.find("{\"collection\":\"feeds\",\"collection_id\":\"" + id +
                          "\",\"grantee\":\"user:ana\",\"permission\":\"write\"}"),
            std::string::npos)
      << json.out;

  ASSERT_EQ(Run("collection revoke feeds user:ana").exit_code, 0);
  EXPECT_EQ(*Server().PermissionOn(ana, id), Permission::kRead);
  EXPECT_EQ(Run("collection revoke feeds user:ana").exit_code, 1);
}

TEST_F(AccountCli, ExitCodesSeparateRefusalsFromUsageErrors) {
  AddOrgAndUser();
  std::string pw = (dir_ / "pw.txt").string();
  ASSERT_EQ(Run("collection create feeds").exit_code, 0);
  // 2: bad command lines, invalid values, unreadable input.
  EXPECT_EQ(Run("org add 'Bad Name'").exit_code, 2);
  EXPECT_EQ(Run("org add x --nation France").exit_code, 2);
  EXPECT_EQ(Run("user add bob --org cert-eu --password-file " + pw + " --password-stdin").exit_code,
            2);
  EXPECT_EQ(Run("user add bob --org cert-eu --password-file /nonexistent/pw").exit_code, 2);
  EXPECT_EQ(Run("user add bob --org cert-eu --password-stdin", "too short\n").exit_code, 2);
  EXPECT_EQ(Run("user add bob").exit_code, 2);  // --org is required
  EXPECT_EQ(Run("user set ana").exit_code, 2);  // nothing to change
  Output org_set = Run("org set cert-eu");
  EXPECT_EQ(org_set.exit_code, 2);
  EXPECT_NE(org_set.out.find("org set: nothing to change"), std::string::npos) << org_set.out;
  Output dir_pw = Run("user add bob --org cert-eu --password-file " + dir_.string());
  EXPECT_EQ(dir_pw.exit_code, 2);
  EXPECT_NE(dir_pw.out.find("is a directory"), std::string::npos) << dir_pw.out;
  EXPECT_EQ(Run("user set ana --admin maybe").exit_code, 2);
  EXPECT_EQ(Run("key create --user ana --expires soon").exit_code, 2);
  EXPECT_EQ(Run("key create --user ana --expires 2001-01-01T00:00:00Z").exit_code, 2);
  EXPECT_EQ(Run("key revoke nonsense").exit_code, 2);
  EXPECT_EQ(Run("collection grant feeds group:x --permission read").exit_code, 2);
  EXPECT_EQ(Run("collection grant feeds '*' --permission admin").exit_code, 2);
  // 1: the command ran and the accounts refused it.
  EXPECT_EQ(Run("org add cert-eu").exit_code, 1);
  EXPECT_EQ(Run("user add ana --org cert-eu --password-file " + pw).exit_code, 1);
  EXPECT_EQ(Run("user add bob --org nowhere --password-file " + pw).exit_code, 1);
  EXPECT_EQ(Run("user passwd nobody --password-file " + pw).exit_code, 1);
  EXPECT_EQ(Run("key create --user nobody").exit_code, 1);
  EXPECT_EQ(Run("collection grant nosuch '*' --permission read").exit_code, 1);
  EXPECT_EQ(Run("collection grant feeds org:nowhere --permission read").exit_code, 1);
}

// A config's [[organisations]] entry for an organisation that exists applies only what it
// writes: one giving a clearance alone kept nothing of the nation, communities and title the CLI
// had set (and REL TO content silently stopped reaching the partner at every start).
TEST_F(AccountCli, AConfigEntryChangesOnlyWhatItWrites) {
  ASSERT_EQ(Run("collection create feeds").exit_code, 0);
  ASSERT_EQ(Run("org add cert-fr --title 'CERT-FR' --nation FR --community eu").exit_code, 0);
  const std::string clearance_only =
      WriteFile("a.toml", "[[organisations]]\nname = \"cert-fr\"\nclearance = \"secret\"\n");
  Output applied = Run("peers --config " + clearance_only);
  ASSERT_EQ(applied.exit_code, 0) << applied.out;
  Result<ctihub::auth::Organisation> org = Server().FindOrganisation("cert-fr");
  ASSERT_TRUE(org.ok());
  EXPECT_EQ(org->title, "CERT-FR");
  EXPECT_EQ(org->nation, "FR");
  EXPECT_EQ(org->communities, (std::vector<std::string>{"eu"}));
  // What it writes, it sets (a restart with the file sets what the file says again).
  const std::string nation = WriteFile("b.toml",
                                       "[[organisations]]\nname = \"cert-fr\"\nnation = \"BE\"\n"
                                       "communities = []\n");
  ASSERT_EQ(Run("peers --config " + nation).exit_code, 0);
  accounts_.reset();
  org = Server().FindOrganisation("cert-fr");
  ASSERT_TRUE(org.ok());
  EXPECT_EQ(org->title, "CERT-FR");
  EXPECT_EQ(org->nation, "BE");
  EXPECT_TRUE(org->communities.empty());
}

TEST_F(AccountCli, StoreDefaultsToTheEnvironment) {
  std::string cmd = "CTIHUB_STORE='" + uri_ + "' " + CTIHUB_BINARY + " org add from-env 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_TRUE(Server().FindOrganisation("from-env").ok());
}

}  // namespace
