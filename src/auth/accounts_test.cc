#include "auth/accounts.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "auth/internal/credentials.h"

namespace ctihub::auth {
namespace {

namespace fs = std::filesystem;

constexpr HashingCost kCheap{1, 1024, 1, 8, 5000};
constexpr std::string_view kPassword = "correct horse battery";

// Field-by-field builders: g++ 12 warns (-Wmissing-field-initializers) on designated
// initializers that leave members out.
Organisation Org(
    std::string name, std::string title = "", void (*more)(Organisation&) = [](Organisation&) {}) {
  Organisation o;
  o.name = std::move(name);
  o.title = std::move(title);
  more(o);
  return o;
}

User Person(std::string name, std::string organisation, bool disabled = false,
            std::string certificate = "") {
  User u;
  u.name = std::move(name);
  u.organisation = std::move(organisation);
  u.disabled = disabled;
  u.certificate_sha256 = std::move(certificate);
  return u;
}

std::string Basic(std::string_view user, std::string_view password) {
  return "Basic " + internal::EncodeBase64(std::string(user) + ":" + std::string(password));
}

TEST(Secrets, HashIsArgon2idPhcStringAndRoundTrips) {
  Result<std::string> hash = HashSecret("s3cret-s3cret", kCheap);
  ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  EXPECT_EQ(hash->rfind("$argon2id$v=19$m=1024,t=1,p=1$", 0), 0u) << *hash;
  EXPECT_TRUE(VerifySecret(*hash, "s3cret-s3cret"));
  EXPECT_FALSE(VerifySecret(*hash, "s3cret-s3creT"));
  EXPECT_FALSE(VerifySecret(*hash, ""));
  // A random salt per hash.
  Result<std::string> again = HashSecret("s3cret-s3cret", kCheap);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*hash, *again);
}

TEST(Secrets, VerifyRefusesOtherVariantsAndGarbage) {
  Result<std::string> hash = HashSecret("pw", kCheap);
  ASSERT_TRUE(hash.ok());
  std::string argon2i = "$argon2i$" + hash->substr(10);
  EXPECT_FALSE(VerifySecret(argon2i, "pw"));
  EXPECT_FALSE(VerifySecret("", "pw"));
  EXPECT_FALSE(VerifySecret("$argon2id$garbage", "pw"));
}

TEST(Secrets, InvalidCostIsInvalidArgument) {
  Result<std::string> hash = HashSecret("pw", HashingCost{0, 1024, 1, 0, 250});
  ASSERT_FALSE(hash.ok());
  EXPECT_EQ(hash.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(hash.status().message().find("t=0"), std::string::npos);
}

TEST(Secrets, Base64DecodingIsStrict) {
  EXPECT_EQ(internal::DecodeBase64("YWxpY2U6cHc="), "alice:pw");
  EXPECT_EQ(internal::DecodeBase64("YQ=="), "a");
  EXPECT_EQ(internal::DecodeBase64(""), "");
  EXPECT_FALSE(internal::DecodeBase64("YWxpY2U6cHc"));  // padding missing
  EXPECT_FALSE(internal::DecodeBase64("YQ="));          // length not a multiple of 4
  EXPECT_FALSE(internal::DecodeBase64("Y==="));         // three '='
  EXPECT_FALSE(internal::DecodeBase64("YQ==YQ=="));     // padding in the middle
  EXPECT_FALSE(internal::DecodeBase64("YR=="));         // non-zero bits under the padding
  EXPECT_FALSE(internal::DecodeBase64("YW x"));         // not in the alphabet
  EXPECT_FALSE(internal::DecodeBase64("YW-_"));         // base64url is not Basic's alphabet
  for (std::string s : {"", "a", "ab", "abc", "abcd", "\xff\xfe\x00z"}) {
    EXPECT_EQ(internal::DecodeBase64(internal::EncodeBase64(s)), s);
  }
}

TEST(Permissions, NamesRoundTripAndRwAlias) {
  for (Permission p :
       {Permission::kNone, Permission::kRead, Permission::kWrite, Permission::kReadWrite}) {
    Result<Permission> parsed = ParsePermission(PermissionName(p));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, p);
  }
  EXPECT_EQ(*ParsePermission("rw"), Permission::kReadWrite);
  Result<Permission> bad = ParsePermission("admin");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'admin'"), std::string::npos);
  EXPECT_TRUE(CanRead(Permission::kReadWrite) && CanWrite(Permission::kReadWrite));
  EXPECT_FALSE(CanWrite(Permission::kRead));
}

TEST(Open, UnknownSchemeAndBadPaths) {
  auto unknown = Accounts::Open("postgres://x");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  auto empty = Accounts::Open("sqlite:");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  auto missing = Accounts::Open("sqlite:/nonexistent-dir/x/hub.db");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kUnavailable) << missing.status().ToString();
}

// Every behaviour test runs against both backends.
class AccountsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      // Parameterised test names hold a '/': "Name/sqlite".
      std::string file = "ctihub-auth-" + std::to_string(::getpid()) + "-" +
                         ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
      std::replace(file.begin(), file.end(), '/', '_');
      path_ = (fs::temp_directory_path() / file).string();
      Cleanup();
      uri_ = "sqlite:" + path_;
    } else {
      uri_ = "memory:";
    }
    accounts_ = Open();
    ASSERT_NE(accounts_, nullptr);
  }
  void TearDown() override {
    accounts_.reset();
    if (!path_.empty()) Cleanup();
  }
  void Cleanup() {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_ + suffix);
  }
  std::unique_ptr<Accounts> Open(HashingCost cost = kCheap) {
    auto opened = Accounts::Open(uri_, cost);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened.ok() ? std::move(*opened) : nullptr;
  }
  // Organisation cert-a with users alice (admin false) and bob, both with kPassword.
  void AddPeople() {
    ASSERT_TRUE(accounts_->AddOrganisation(Org("cert-a", "CERT A")).ok());
    ASSERT_TRUE(accounts_->AddOrganisation(Org("cert-b")).ok());
    ASSERT_TRUE(accounts_->AddUser(Person("alice", "cert-a"), kPassword).ok());
    ASSERT_TRUE(accounts_->AddUser(Person("bob", "cert-b"), kPassword).ok());
  }

  std::string path_;
  std::string uri_;
  std::unique_ptr<Accounts> accounts_;
};

INSTANTIATE_TEST_SUITE_P(Backends, AccountsTest, ::testing::Values("memory", "sqlite"),
                         [](const auto& info) { return info.param; });

TEST_P(AccountsTest, OrganisationsAddFindListUpdate) {
  Organisation org = Org("cert-eu", "CERT-EU", [](Organisation& o) {
    o.identity_id = "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
    o.nation = "fr";
    o.communities = {"eu-csirts", "nato", "nato"};
  });
  ASSERT_TRUE(accounts_->AddOrganisation(org).ok());
  Result<Organisation> found = accounts_->FindOrganisation("cert-eu");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->title, "CERT-EU");
  EXPECT_EQ(found->identity_id, org.identity_id);
  EXPECT_EQ(found->nation, "FR");  // stored upper-case
  EXPECT_EQ(found->communities, (std::vector<std::string>{"eu-csirts", "nato"}));

  ASSERT_TRUE(accounts_->AddOrganisation(Org("a-first")).ok());
  Result<std::vector<Organisation>> list = accounts_->ListOrganisations();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "a-first");

  org.title = "CERT-EU (renamed)";
  org.communities = {};
  ASSERT_TRUE(accounts_->UpdateOrganisation(org).ok());
  found = accounts_->FindOrganisation("cert-eu");
  EXPECT_EQ(found->title, "CERT-EU (renamed)");
  EXPECT_TRUE(found->communities.empty());
}

TEST_P(AccountsTest, OrganisationsDuplicateAndMissing) {
  ASSERT_TRUE(accounts_->AddOrganisation(Org("cert-eu")).ok());
  EXPECT_EQ(accounts_->AddOrganisation(Org("cert-eu")).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(accounts_->UpdateOrganisation(Org("nobody")).code(), StatusCode::kNotFound);
  EXPECT_EQ(accounts_->FindOrganisation("nobody").status().code(), StatusCode::kNotFound);
}

TEST_P(AccountsTest, OrganisationValidationNamesValueAndRule) {
  Status s = accounts_->AddOrganisation(Org("Cert EU"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'Cert EU'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("lower-case"), std::string::npos) << s.message();
  EXPECT_EQ(accounts_->AddOrganisation(Org("")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(accounts_->AddOrganisation(Org("-x")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(accounts_->AddOrganisation(Org(std::string(65, 'a'))).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(accounts_->AddOrganisation(Org(std::string(64, 'a'))).ok());

  s = accounts_->AddOrganisation(Org("x", "", [](Organisation& o) { o.nation = "France"; }));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("ISO 3166-1"), std::string::npos) << s.message();
  // The shape of a code is not enough: one that names no country would match no REL TO.
  for (const char* code : {"XX", "ZZZ", "SU"}) {
    Organisation bad = Org("x");
    bad.nation = code;
    s = accounts_->AddOrganisation(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << code;
    EXPECT_NE(s.message().find("'" + std::string(code) + "'"), std::string::npos) << s.message();
  }
  ASSERT_TRUE(
      accounts_->AddOrganisation(Org("trigraph", "", [](Organisation& o) { o.nation = "fra"; }))
          .ok());
  EXPECT_EQ(accounts_->FindOrganisation("trigraph")->nation, "FRA");
  s = accounts_->AddOrganisation(
      Org("x", "", [](Organisation& o) { o.identity_id = "identity--nope"; }));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("identity--nope"), std::string::npos) << s.message();
  s = accounts_->AddOrganisation(
      Org("x", "", [](Organisation& o) { o.communities = {"EU CSIRTs"}; }));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'EU CSIRTs'"), std::string::npos) << s.message();
  // Communities compare without case: NATO and nato are one, kept in lower case.
  ASSERT_TRUE(accounts_
                  ->AddOrganisation(Org("cert-de", "",
                                        [](Organisation& o) {
                                          o.communities = {"NATO", "nato", "EU-CSIRTs"};
                                        }))
                  .ok());
  EXPECT_EQ(accounts_->FindOrganisation("cert-de")->communities,
            (std::vector<std::string>{"nato", "eu-csirts"}));
  s = accounts_->AddOrganisation(Org("x", "line\nbreak"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(accounts_->FindOrganisation("x").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(accounts_->FindOrganisation("X Y").status().code(), StatusCode::kInvalidArgument);
}

TEST_P(AccountsTest, UsersAddFindListUpdateRemove) {
  EXPECT_FALSE(*accounts_->HasUsers());
  AddPeople();
  EXPECT_TRUE(*accounts_->HasUsers());
  Result<User> alice = accounts_->FindUser("alice");
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(alice->organisation, "cert-a");
  EXPECT_FALSE(alice->admin);
  EXPECT_FALSE(alice->disabled);

  User changed = *alice;
  changed.organisation = "cert-b";
  changed.admin = true;
  ASSERT_TRUE(accounts_->UpdateUser(changed).ok());
  alice = accounts_->FindUser("alice");
  EXPECT_EQ(alice->organisation, "cert-b");
  EXPECT_TRUE(alice->admin);
  // The password survives an update.
  EXPECT_TRUE(accounts_->AuthenticateBasic("alice", kPassword).ok());

  Result<std::vector<User>> users = accounts_->ListUsers();
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].name, "alice");
  EXPECT_EQ((*users)[1].name, "bob");

  ASSERT_TRUE(accounts_->RemoveUser("bob").ok());
  EXPECT_EQ(accounts_->FindUser("bob").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(accounts_->RemoveUser("bob").code(), StatusCode::kNotFound);
  EXPECT_EQ(accounts_->UpdateUser(Person("bob", "cert-b")).code(), StatusCode::kNotFound);
  EXPECT_EQ(accounts_->SetPassword("bob", kPassword).code(), StatusCode::kNotFound);
}

TEST_P(AccountsTest, UserValidationErrors) {
  AddPeople();
  Status s = accounts_->AddUser(Person("ana maria", "cert-a"), kPassword);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'ana maria'"), std::string::npos) << s.message();
  EXPECT_TRUE(accounts_->AddUser(Person("Ana.M_x@cert-a", "cert-a"), kPassword).ok());
  s = accounts_->AddUser(Person("carol", "nowhere"), kPassword);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("nowhere"), std::string::npos) << s.message();
  EXPECT_EQ(accounts_->AddUser(Person("alice", "cert-a"), kPassword).code(),
            StatusCode::kAlreadyExists);
  s = accounts_->AddUser(Person("Alice", "cert-b"), kPassword);
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << "differs only in case";
  EXPECT_NE(s.message().find("'alice'"), std::string::npos) << s.message();
  EXPECT_EQ(accounts_->AddUser(Person("ana.m_x@CERT-A", "cert-a"), kPassword).code(),
            StatusCode::kAlreadyExists);

  s = accounts_->AddUser(Person("carol", "cert-a"), "");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  s = accounts_->AddUser(Person("carol", "cert-a"), "elevenchars");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("12"), std::string::npos) << s.message();
  // Characters, not bytes: 11 two-byte characters are still too short, 12 are enough.
  std::string e11, e12;
  for (int i = 0; i < 11; ++i) e11 += "\xc3\xa9";
  e12 = e11 + "\xc3\xa9";
  EXPECT_EQ(accounts_->AddUser(Person("carol", "cert-a"), e11).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(accounts_->AddUser(Person("carol", "cert-a"), e12).ok());
  EXPECT_EQ(accounts_->SetPassword("carol", "short").code(), StatusCode::kInvalidArgument);

  s = accounts_->UpdateUser(Person("carol", "cert-a", false, "abc"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("64 hex"), std::string::npos) << s.message();
  EXPECT_EQ(accounts_->UpdateUser(Person("carol", "nowhere")).code(), StatusCode::kNotFound);
}

TEST_P(AccountsTest, BasicAuthenticationGoodBadAndDisabled) {
  AddPeople();
  Result<Principal> who = accounts_->AuthenticateBasic("alice", kPassword);
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->user, "alice");
  EXPECT_EQ(who->organisation, "cert-a");
  EXPECT_FALSE(who->admin);
  EXPECT_EQ(who->method, "basic");
  EXPECT_EQ(accounts_->AuthenticateBasic("alice", "wrong password!").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(accounts_->AuthenticateBasic("mallory", kPassword).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(accounts_->AuthenticateBasic("alice", "").status().code(),
            StatusCode::kUnauthenticated);

  ASSERT_TRUE(accounts_->UpdateUser(Person("alice", "cert-a", true)).ok());
  EXPECT_EQ(accounts_->AuthenticateBasic("alice", kPassword).status().code(),
            StatusCode::kUnauthenticated);
  ASSERT_TRUE(accounts_->UpdateUser(Person("alice", "cert-a")).ok());
  EXPECT_TRUE(accounts_->AuthenticateBasic("alice", kPassword).ok());
}

TEST_P(AccountsTest, SetPasswordReplacesTheCachedCredential) {
  AddPeople();
  ASSERT_TRUE(accounts_->AuthenticateBasic("alice", kPassword).ok());  // now cached
  ASSERT_TRUE(accounts_->SetPassword("alice", "another long password").ok());
  EXPECT_FALSE(accounts_->AuthenticateBasic("alice", kPassword).ok());
  EXPECT_TRUE(accounts_->AuthenticateBasic("alice", "another long password").ok());
}

TEST_P(AccountsTest, BearerKeyCreateAuthenticateRevoke) {
  AddPeople();
  Result<NewApiKey> key = accounts_->CreateKey("alice", "SIEM connector");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  // cth_<16 hex>_<43 base64url>
  EXPECT_TRUE(internal::ParseToken(key->token).has_value()) << key->token;
  EXPECT_EQ(key->token.size(), 64u);
  EXPECT_EQ(key->token.substr(4, 16), key->key.id);
  EXPECT_EQ(key->key.user, "alice");
  EXPECT_FALSE(key->key.revoked);

  Result<Principal> who = accounts_->AuthenticateBearer(key->token);
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->user, "alice");
  EXPECT_EQ(who->organisation, "cert-a");
  EXPECT_EQ(who->method, "bearer");

  // A wrong secret for the right id, and a token of the wrong shape.
  std::string wrong = key->token;
  wrong.back() = wrong.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(accounts_->AuthenticateBearer(wrong).ok());
  EXPECT_FALSE(accounts_->AuthenticateBearer(key->token.substr(1)).ok());
  EXPECT_FALSE(accounts_->AuthenticateBearer("").ok());

  Result<std::vector<ApiKey>> keys = accounts_->ListKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].id, key->key.id);
  EXPECT_EQ((*keys)[0].description, "SIEM connector");
  EXPECT_FALSE((*keys)[0].expires.has_value());

  ASSERT_TRUE(accounts_->RevokeKey(key->key.id).ok());
  EXPECT_EQ(accounts_->AuthenticateBearer(key->token).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_TRUE((*accounts_->ListKeys())[0].revoked);
  EXPECT_EQ(accounts_->RevokeKey("0123456789abcdef").code(), StatusCode::kNotFound);
  EXPECT_EQ(accounts_->RevokeKey("not-a-key").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(accounts_->CreateKey("nobody", "").status().code(), StatusCode::kNotFound);
}

TEST_P(AccountsTest, ExpiredKeyFailsEvenAfterBeingCached) {
  AddPeople();
  Timestamp soon(Timestamp::Now().micros() + 300'000);
  Result<NewApiKey> key = accounts_->CreateKey("bob", "short-lived", soon);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  ASSERT_TRUE(key->key.expires.has_value());
  EXPECT_TRUE(accounts_->AuthenticateBearer(key->token).ok());
  EXPECT_TRUE(accounts_->AuthenticateBearer(key->token).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(accounts_->AuthenticateBearer(key->token).status().code(),
            StatusCode::kUnauthenticated);

  Result<NewApiKey> past =
      accounts_->CreateKey("bob", "", Timestamp(Timestamp::Now().micros() - 1));
  EXPECT_EQ(past.status().code(), StatusCode::kInvalidArgument);
}

TEST_P(AccountsTest, KeyOfDisabledUserFails) {
  AddPeople();
  Result<NewApiKey> key = accounts_->CreateKey("bob", "");
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(accounts_->AuthenticateBearer(key->token).ok());
  ASSERT_TRUE(accounts_->UpdateUser(Person("bob", "cert-b", true)).ok());
  EXPECT_FALSE(accounts_->AuthenticateBearer(key->token).ok());
}

TEST_P(AccountsTest, OneMessageForEveryAuthenticationFailure) {
  AddPeople();
  Result<NewApiKey> revoked = accounts_->CreateKey("alice", "");
  ASSERT_TRUE(revoked.ok());
  ASSERT_TRUE(accounts_->RevokeKey(revoked->key.id).ok());
  Result<NewApiKey> live = accounts_->CreateKey("alice", "");
  ASSERT_TRUE(live.ok());
  std::string wrong_secret = live->token;
  wrong_secret.back() = wrong_secret.back() == 'A' ? 'B' : 'A';
  std::string unknown_id = live->token;
  unknown_id[4] = unknown_id[4] == '0' ? '1' : '0';
  ASSERT_TRUE(accounts_->UpdateUser(Person("bob", "cert-b", true)).ok());

  std::vector<Result<Principal>> failures = {
      accounts_->AuthenticateBasic("mallory", kPassword),        // wrong user
      accounts_->AuthenticateBasic("alice", "wrong password!"),  // wrong password
      accounts_->AuthenticateBasic("bob", kPassword),            // disabled user
      accounts_->AuthenticateBasic("bad name", kPassword),
      accounts_->AuthenticateBearer(revoked->token),  // revoked key
      accounts_->AuthenticateBearer(wrong_secret),
      accounts_->AuthenticateBearer(unknown_id),
      accounts_->AuthenticateBearer("cth_nonsense"),
      accounts_->AuthenticateCertificate(std::string(64, 'a')),
      accounts_->AuthenticateCertificate("zz"),
      accounts_->AuthenticateHeader("Digest username=alice"),
      accounts_->AuthenticateHeader("Basic !!!!"),
      accounts_->AuthenticateHeader(""),
  };
  for (size_t i = 0; i < failures.size(); ++i) {
    ASSERT_FALSE(failures[i].ok()) << "case " << i;
    EXPECT_EQ(failures[i].status().code(), StatusCode::kUnauthenticated) << "case " << i;
    EXPECT_EQ(failures[i].status().message(), "invalid credentials") << "case " << i;
  }
}

TEST_P(AccountsTest, HeaderParsesBasicAndBearerWithCaseInsensitiveScheme) {
  AddPeople();
  Result<NewApiKey> key = accounts_->CreateKey("bob", "");
  ASSERT_TRUE(key.ok());
  for (std::string header :
       {Basic("alice", kPassword), "basic " + Basic("alice", kPassword).substr(6),
        "BASIC   " + Basic("alice", kPassword).substr(6) + " "}) {
    Result<Principal> who = accounts_->AuthenticateHeader(header);
    ASSERT_TRUE(who.ok()) << header;
    EXPECT_EQ(who->user, "alice");
    EXPECT_EQ(who->method, "basic");
  }
  for (std::string header :
       {"Bearer " + key->token, "bearer " + key->token, "BEARER\t" + key->token}) {
    Result<Principal> who = accounts_->AuthenticateHeader(header);
    if (header.find('\t') != std::string::npos) {
      EXPECT_FALSE(who.ok());  // the scheme is separated by a space (RFC 9110 §11.4)
      continue;
    }
    ASSERT_TRUE(who.ok()) << header;
    EXPECT_EQ(who->user, "bob");
    EXPECT_EQ(who->method, "bearer");
  }
  // A password may hold colons; the user-id may not.
  ASSERT_TRUE(accounts_->SetPassword("alice", "pass:word:with:colons").ok());
  EXPECT_TRUE(accounts_->AuthenticateHeader(Basic("alice", "pass:word:with:colons")).ok());
  std::string unpadded = Basic("alice", "pass:word:with:colons");
  while (unpadded.back() == '=') unpadded.pop_back();
  if (unpadded != Basic("alice", "pass:word:with:colons")) {
    EXPECT_FALSE(accounts_->AuthenticateHeader(unpadded).ok());
  }
  EXPECT_FALSE(accounts_->AuthenticateHeader("Basic").ok());
  EXPECT_FALSE(accounts_->AuthenticateHeader("Bearer ").ok());
  EXPECT_FALSE(accounts_->AuthenticateHeader("Basic " + internal::EncodeBase64("alice")).ok());
  EXPECT_FALSE(accounts_->AuthenticateHeader("Token " + key->token).ok());
}

TEST_P(AccountsTest, CertificateIdentifiesItsUser) {
  AddPeople();
  std::string digest(64, 'A');
  digest[0] = '0';
  ASSERT_TRUE(accounts_->UpdateUser(Person("bob", "cert-b", false, digest)).ok());
  std::string lower = "0" + std::string(63, 'a');
  EXPECT_EQ(accounts_->FindUser("bob")->certificate_sha256, lower);
  for (const std::string& d : {digest, lower}) {
    Result<Principal> who = accounts_->AuthenticateCertificate(d);
    ASSERT_TRUE(who.ok()) << who.status().ToString();
    EXPECT_EQ(who->user, "bob");
    EXPECT_EQ(who->method, "certificate");
  }
  // One certificate, one user.
  Status taken = accounts_->UpdateUser(Person("alice", "cert-a", false, lower));
  EXPECT_EQ(taken.code(), StatusCode::kAlreadyExists) << taken.ToString();
  ASSERT_TRUE(accounts_->UpdateUser(Person("bob", "cert-b", true, lower)).ok());
  EXPECT_FALSE(accounts_->AuthenticateCertificate(lower).ok());
}

TEST_P(AccountsTest, PermissionIsUnionOfUserOrganisationAndEveryone) {
  AddPeople();
  Principal alice{"alice", "cert-a", false, "basic"};
  Principal bob{"bob", "cert-b", false, "basic"};
  EXPECT_EQ(*accounts_->PermissionOn(alice, "c1"), Permission::kNone);
  ASSERT_TRUE(accounts_->SetGrant({"c1", "org:cert-a", Permission::kRead}).ok());
  ASSERT_TRUE(accounts_->SetGrant({"c1", "user:alice", Permission::kWrite}).ok());
  EXPECT_EQ(*accounts_->PermissionOn(alice, "c1"), Permission::kReadWrite);
  EXPECT_EQ(*accounts_->PermissionOn(bob, "c1"), Permission::kNone);
  ASSERT_TRUE(accounts_->SetGrant({"c1", "*", Permission::kRead}).ok());
  EXPECT_EQ(*accounts_->PermissionOn(bob, "c1"), Permission::kRead);
  EXPECT_EQ(*accounts_->PermissionOn(bob, "c2"), Permission::kNone);

  // Replacing and removing.
  ASSERT_TRUE(accounts_->SetGrant({"c1", "user:alice", Permission::kNone}).ok());
  EXPECT_EQ(*accounts_->PermissionOn(alice, "c1"), Permission::kRead);
  ASSERT_TRUE(accounts_->SetGrant({"c1", "org:cert-a", Permission::kWrite}).ok());
  EXPECT_EQ(*accounts_->PermissionOn(alice, "c1"), Permission::kReadWrite);  // write + '*' read

  Principal admin{"root", "local", true, "basic"};
  EXPECT_EQ(*accounts_->PermissionOn(admin, "anything"), Permission::kReadWrite);

  Result<std::vector<Grant>> grants = accounts_->ListGrants();
  ASSERT_TRUE(grants.ok());
  ASSERT_EQ(grants->size(), 2u);
  EXPECT_EQ((*grants)[0].grantee, "*");
  EXPECT_EQ((*grants)[1].grantee, "org:cert-a");
  EXPECT_EQ((*grants)[1].permission, Permission::kWrite);

  EXPECT_EQ(accounts_->SetGrant({"c1", "org:nowhere", Permission::kRead}).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(accounts_->SetGrant({"c1", "user:nobody", Permission::kRead}).code(),
            StatusCode::kNotFound);
  Status bad = accounts_->SetGrant({"c1", "group:x", Permission::kRead});
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("'group:x'"), std::string::npos) << bad.message();
  EXPECT_EQ(accounts_->SetGrant({"", "*", Permission::kRead}).code(), StatusCode::kInvalidArgument);
}

TEST_P(AccountsTest, RemoveUserRevokesKeysAndGrants) {
  AddPeople();
  Result<NewApiKey> key = accounts_->CreateKey("bob", "");
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(accounts_->AuthenticateBearer(key->token).ok());  // cached
  ASSERT_TRUE(accounts_->SetGrant({"c1", "user:bob", Permission::kReadWrite}).ok());
  ASSERT_TRUE(accounts_->SetGrant({"c1", "org:cert-b", Permission::kRead}).ok());
  ASSERT_TRUE(accounts_->RemoveUser("bob").ok());
  EXPECT_FALSE(accounts_->AuthenticateBearer(key->token).ok());
  EXPECT_FALSE(accounts_->AuthenticateBasic("bob", kPassword).ok());
  EXPECT_TRUE((*accounts_->ListKeys())[0].revoked);
  Result<std::vector<Grant>> grants = accounts_->ListGrants();
  ASSERT_EQ(grants->size(), 1u);
  EXPECT_EQ((*grants)[0].grantee, "org:cert-b");
  // A new user of the same name does not inherit the old one's keys.
  ASSERT_TRUE(accounts_->AddUser(Person("bob", "cert-b"), kPassword).ok());
  EXPECT_FALSE(accounts_->AuthenticateBearer(key->token).ok());
}

TEST_P(AccountsTest, RepeatedAuthenticationIsServedFromTheCache) {
  // A cost whose verification is measurable, so that 50 uncached ones could not hide.
  accounts_ = Open(HashingCost{2, 8192, 1, 0, 250});
  AddPeople();
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(accounts_->AuthenticateBasic("alice", kPassword).ok());
  auto first = std::chrono::steady_clock::now() - start;
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(accounts_->AuthenticateBasic("alice", kPassword).ok());
  auto cached = std::chrono::steady_clock::now() - start;
  EXPECT_LT(cached, first * 10) << "50 cached authentications took as long as 10 Argon2 runs";
}

TEST_P(AccountsTest, VerificationsBeyondTheConcurrencyCapAreRefusedAsUnavailable) {
  // One slot, no waiting, and a cost that keeps it busy for a while: of eight simultaneous
  // wrong logins, those that find the slot taken are refused without an Argon2 run.
  accounts_ = Open(HashingCost{2, 16384, 1, 1, 0});
  AddPeople();
  std::atomic<int> unavailable{0}, rejected{0}, ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (ready.load() < 8) std::this_thread::yield();
      Result<Principal> r = accounts_->AuthenticateBasic("alice", "wrong-password-" +
                                                                      std::to_string(i));
      if (r.status().code() == StatusCode::kUnavailable) ++unavailable;
      if (r.status().code() == StatusCode::kUnauthenticated) ++rejected;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_GE(unavailable.load(), 1);
  EXPECT_GE(rejected.load(), 1);
  EXPECT_EQ(unavailable.load() + rejected.load(), 8);
  // Once the slot is free, a right password gets in.
  EXPECT_TRUE(accounts_->AuthenticateBasic("alice", kPassword).ok());
}

TEST_P(AccountsTest, ConcurrentAuthenticationsFromEightThreads) {
  AddPeople();
  Result<NewApiKey> key = accounts_->CreateKey("bob", "");
  ASSERT_TRUE(key.ok());
  std::atomic<int> wrong{0};
  std::atomic<bool> stop{false};
  // A writer keeps invalidating the caches while the readers authenticate.
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      Permission p = i % 2 ? Permission::kRead : Permission::kNone;
      if (!accounts_->SetGrant({"c1", "*", p}).ok()) ++wrong;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 8; ++t) {
    readers.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        switch ((t + i) % 4) {
          case 0:
            if (!accounts_->AuthenticateBasic("alice", kPassword).ok()) ++wrong;
            break;
          case 1:
            if (accounts_->AuthenticateBasic("alice", "wrong password!").ok()) ++wrong;
            break;
          case 2: {
            Result<Principal> who = accounts_->AuthenticateHeader("Bearer " + key->token);
            if (!who.ok() || who->user != "bob") ++wrong;
            break;
          }
          default:
            if (!accounts_->PermissionOn({"alice", "cert-a", false, "basic"}, "c1").ok()) ++wrong;
        }
      }
    });
  }
  for (std::thread& t : readers) t.join();
  stop = true;
  writer.join();
  EXPECT_EQ(wrong.load(), 0);
}

// memory: accounts are private to one instance; these hold for a shared file only.
class SqliteAccountsTest : public AccountsTest {};
INSTANTIATE_TEST_SUITE_P(File, SqliteAccountsTest, ::testing::Values("sqlite"),
                         [](const auto& info) { return info.param; });

TEST_P(SqliteAccountsTest, ChangesReachAnotherInstanceOnItsNextCallAndPersist) {
  AddPeople();
  Result<NewApiKey> key = accounts_->CreateKey("alice", "server key");
  ASSERT_TRUE(key.ok());
  // A second instance on the same file, as the server is while the CLI runs.
  std::unique_ptr<Accounts> server = Open();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->AuthenticateBearer(key->token).ok());
  ASSERT_TRUE(server->AuthenticateBearer(key->token).ok());  // from its cache
  ASSERT_TRUE(server->AuthenticateBasic("bob", kPassword).ok());
  ASSERT_TRUE(accounts_->RevokeKey(key->key.id).ok());
  EXPECT_EQ(server->AuthenticateBearer(key->token).status().code(), StatusCode::kUnauthenticated);
  ASSERT_TRUE(accounts_->UpdateUser(Person("bob", "cert-b", true)).ok());
  EXPECT_FALSE(server->AuthenticateBasic("bob", kPassword).ok());

  // Everything survives closing and reopening.
  accounts_.reset();
  server.reset();
  accounts_ = Open();
  ASSERT_NE(accounts_, nullptr);
  EXPECT_EQ(accounts_->ListUsers()->size(), 2u);
  EXPECT_EQ(accounts_->FindOrganisation("cert-a")->title, "CERT A");
  EXPECT_TRUE(accounts_->AuthenticateBasic("alice", kPassword).ok());
  EXPECT_TRUE((*accounts_->ListKeys())[0].revoked);
}

}  // namespace
}  // namespace ctihub::auth
