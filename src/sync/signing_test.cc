#include "sync/signing.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sync/internal/base64url.h"
#include "sync/internal/ed25519.h"

namespace ctihub::sync {
namespace {

namespace fs = std::filesystem;
using internal::Base64UrlDecode;
using internal::Base64UrlEncode;

// RFC 8037 appendix A.1 (the Ed25519 key), A.3 (its thumbprint) and A.4 (a signature).
constexpr char kRfcD[] = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
constexpr char kRfcX[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
constexpr char kRfcThumbprint[] = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
constexpr char kRfcSigningInput[] = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
constexpr char kRfcSignature[] =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
constexpr char kRfcPayload[] = "Example of Ed25519 signing";

SigningKey NewKey() {
  Result<SigningKey> key = SigningKey::Generate();
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return std::move(key).value();
}

TrustedKeys Trusting(const SigningKey& key) {
  TrustedKeys trusted;
  Status added = trusted.Add(key.public_key());
  EXPECT_TRUE(added.ok()) << added.ToString();
  return trusted;
}

// A JWS with the header replaced by `header_json` and the signature kept.
std::string WithHeader(const std::string& jws, std::string_view header_json) {
  return Base64UrlEncode(header_json) + jws.substr(jws.find('.'));
}

std::string Header(const std::string& jws) {
  return Base64UrlDecode(jws.substr(0, jws.find('.'))).value_or("<not base64url>");
}

void WritePem(const std::string& path, EVP_PKEY* key, bool public_only) {
  BIO* bio = BIO_new_file(path.c_str(), "w");
  ASSERT_NE(bio, nullptr);
  int ok = public_only ? PEM_write_bio_PUBKEY(bio, key)
                       : PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_EQ(ok, 1);
}

class SigningFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "ctihub-signing-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string File(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST(Signing, RoundTripVerifiesAndNamesTheKey) {
  SigningKey key = NewKey();
  TrustedKeys trusted = Trusting(key);
  std::string jws = key.SignDetached("{\"type\":\"bundle\"}");
  Result<std::string> who = trusted.VerifyDetached(jws, "{\"type\":\"bundle\"}");
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(*who, key.key_id());
  EXPECT_EQ(trusted.key_ids(), std::vector<std::string>{key.key_id()});
  EXPECT_EQ(key.public_key().size(), 43u);
  EXPECT_EQ(key.key_id().size(), 43u);
}

TEST(Signing, EmptyAndBinaryPayloadsVerify) {
  SigningKey key = NewKey();
  TrustedKeys trusted = Trusting(key);
  EXPECT_TRUE(trusted.VerifyDetached(key.SignDetached(""), "").ok());
  std::string binary("a\0b..c\xff", 7);
  EXPECT_TRUE(trusted.VerifyDetached(key.SignDetached(binary), binary).ok());
}

TEST(Signing, ProtectedHeaderIsExactlyTheDocumentedOne) {
  SigningKey key = NewKey();
  std::string jws = key.SignDetached("x");
  EXPECT_EQ(Header(jws),
            R"({"alg":"EdDSA","b64":false,"crit":["b64"],"kid":")" + key.key_id() + R"("})");
  EXPECT_NE(jws.find(".."), std::string::npos);
  EXPECT_EQ(jws.substr(jws.find("..") + 2).size(), 86u);  // 64 bytes
  EXPECT_EQ(jws, key.SignDetached("x"));                  // Ed25519 is deterministic
}

TEST(Signing, ChangedPayloadIsRefused) {
  SigningKey key = NewKey();
  TrustedKeys trusted = Trusting(key);
  std::string jws = key.SignDetached("sequence 7");
  for (std::string_view other : {"sequence 8", "sequence 7 ", "", "Sequence 7"}) {
    Result<std::string> r = trusted.VerifyDetached(jws, other);
    ASSERT_FALSE(r.ok()) << other;
    EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
    EXPECT_NE(r.status().message().find("signature does not verify"), std::string::npos)
        << r.status().message();
  }
}

TEST(Signing, TamperedHeadersAreRefusedWithTheReason) {
  SigningKey key = NewKey();
  TrustedKeys trusted = Trusting(key);
  std::string jws = key.SignDetached("body");
  const std::string kid = key.key_id();
  struct Case {
    std::string header;
    std::string expected;
  };
  const Case cases[] = {
      {R"({"alg":"none","b64":false,"crit":["b64"],"kid":")" + kid + "\"}",
       "unsupported algorithm 'none'"},
      {R"({"alg":"HS256","b64":false,"crit":["b64"],"kid":")" + kid + "\"}",
       "unsupported algorithm 'HS256'"},
      {R"({"alg":"eddsa","b64":false,"crit":["b64"],"kid":")" + kid + "\"}",
       "unsupported algorithm 'eddsa'"},
      {R"({"alg":7,"b64":false,"crit":["b64"],"kid":")" + kid + "\"}", "unsupported algorithm '7'"},
      {R"({"b64":false,"crit":["b64"],"kid":")" + kid + "\"}", "no \"alg\""},
      {R"({"alg":"EdDSA","crit":["b64"],"kid":")" + kid + "\"}", "\"b64\": false"},
      {R"({"alg":"EdDSA","b64":true,"crit":["b64"],"kid":")" + kid + "\"}", "\"b64\": false"},
      {R"({"alg":"EdDSA","b64":"false","crit":["b64"],"kid":")" + kid + "\"}", "\"b64\": false"},
      {R"({"alg":"EdDSA","b64":false,"kid":")" + kid + "\"}", "\"crit\": [\"b64\"]"},
      {R"({"alg":"EdDSA","b64":false,"crit":[],"kid":")" + kid + "\"}", "\"crit\": [\"b64\"]"},
      {R"({"alg":"EdDSA","b64":false,"crit":"b64","kid":")" + kid + "\"}", "\"crit\": [\"b64\"]"},
      {R"({"alg":"EdDSA","b64":false,"crit":["b64","exp"],"kid":")" + kid + "\"}",
       "'exp' critical"},
      {R"({"alg":"EdDSA","b64":false,"crit":["b64"]})", "no \"kid\""},
      {R"({"alg":"EdDSA","b64":false,"crit":["b64"],"kid":")" + kid + "\",\"typ\":\"JOSE\"}",
       "signature does not verify"},  // well-formed, but not what was signed
      {R"({"alg":"EdDSA","b64":false,"crit":["b64"],"kid":")" + kid + "\"} ",
       "signature does not verify"},
      {"[1,2]", "not a JSON object"},
      {"{\"alg\":", "not a JSON object"},
  };
  for (const Case& c : cases) {
    Result<std::string> r = trusted.VerifyDetached(WithHeader(jws, c.header), "body");
    ASSERT_FALSE(r.ok()) << c.header;
    EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated) << c.header;
    EXPECT_NE(r.status().message().find(c.expected), std::string::npos)
        << c.header << " -> " << r.status().message();
  }
}

TEST(Signing, MalformedJwsIsRefused) {
  SigningKey key = NewKey();
  TrustedKeys trusted = Trusting(key);
  std::string jws = key.SignDetached("body");
  const size_t dots = jws.find("..");
  const std::string header = jws.substr(0, dots);
  const std::string signature = jws.substr(dots + 2);
  const std::string cases[] = {
      "",
      "..",
      header,
      header + "." + signature,
      header + "." + Base64UrlEncode("body") + "." + signature,  // not detached
      header + ".." + signature + ".",
      header + "..",
      header + ".." + signature.substr(1),
      header + ".." + signature + "A",
      header + ".." + signature.substr(0, 85) + "B",  // non-canonical last character
      header + "=.." + signature,
      "!" + header.substr(1) + ".." + signature,
      std::string(5000, 'e') + ".." + signature,
  };
  for (const std::string& c : cases) {
    Result<std::string> r = trusted.VerifyDetached(c, "body");
    ASSERT_FALSE(r.ok()) << c;
    EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated) << c;
  }
}

TEST(Signing, UntrustedKeyIsNamed) {
  SigningKey key = NewKey();
  SigningKey other = NewKey();
  TrustedKeys trusted = Trusting(other);
  Result<std::string> r = trusted.VerifyDetached(key.SignDetached("body"), "body");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(r.status().message(), "key '" + key.key_id() + "' is not trusted");
  EXPECT_FALSE(TrustedKeys().VerifyDetached(key.SignDetached("body"), "body").ok());
}

TEST(Signing, WrongKeyBehindATrustedKeyIdIsRefused) {
  SigningKey trusted_key = NewKey();
  TrustedKeys trusted = Trusting(trusted_key);
  // An attacker signs with their own key and claims the trusted key's id.
  auto attacker = internal::Ed25519PrivateKeyFromRaw(std::string(32, '\x42'));
  ASSERT_TRUE(attacker.ok());
  std::string header = Base64UrlEncode(R"({"alg":"EdDSA","b64":false,"crit":["b64"],"kid":")" +
                                       trusted_key.key_id() + "\"}");
  auto signature = internal::Ed25519Sign(attacker->get(), header + ".body");
  ASSERT_TRUE(signature.ok());
  Result<std::string> r =
      trusted.VerifyDetached(header + ".." + Base64UrlEncode(*signature), "body");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(r.status().message().find("signature does not verify"), std::string::npos);

  // Two trusted keys: a signature of one relabelled as the other's does not verify either.
  SigningKey second = NewKey();
  ASSERT_TRUE(trusted.Add(second.public_key()).ok());
  std::string relabelled = WithHeader(
      second.SignDetached("body"),
      R"({"alg":"EdDSA","b64":false,"crit":["b64"],"kid":")" + trusted_key.key_id() + "\"}");
  EXPECT_FALSE(trusted.VerifyDetached(relabelled, "body").ok());
  EXPECT_TRUE(trusted.VerifyDetached(second.SignDetached("body"), "body").ok());
}

TEST(Signing, Rfc8037VectorsMatch) {
  // A.3: the thumbprint of A.1's public key.
  EXPECT_EQ(internal::JwkThumbprint(*Base64UrlDecode(kRfcX)), kRfcThumbprint);
  // A.1: the public key derived from d; A.4: the signature bytes (Ed25519 is deterministic).
  auto key = internal::Ed25519PrivateKeyFromRaw(*Base64UrlDecode(kRfcD));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(Base64UrlEncode(internal::Ed25519RawPublicKey(key->get())), kRfcX);
  auto signature = internal::Ed25519Sign(key->get(), kRfcSigningInput);
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(Base64UrlEncode(*signature), kRfcSignature);
  auto public_key = internal::Ed25519PublicKeyFromRaw(*Base64UrlDecode(kRfcX));
  ASSERT_TRUE(public_key.ok());
  EXPECT_TRUE(internal::Ed25519Verify(public_key->get(), kRfcSigningInput,
                                      *Base64UrlDecode(kRfcSignature)));
}

TEST_F(SigningFiles, Rfc8037KeyLoadsAndSignsForItsThumbprint) {
  auto raw = internal::Ed25519PrivateKeyFromRaw(*Base64UrlDecode(kRfcD));
  ASSERT_TRUE(raw.ok());
  WritePem(File("rfc.key"), raw->get(), /*public_only=*/false);
  Result<SigningKey> key = SigningKey::Load(File("rfc.key"));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->public_key(), kRfcX);
  EXPECT_EQ(key->key_id(), kRfcThumbprint);

  TrustedKeys trusted;
  ASSERT_TRUE(trusted.Add(kRfcX).ok());
  Result<std::string> who = trusted.VerifyDetached(key->SignDetached(kRfcPayload), kRfcPayload);
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(*who, kRfcThumbprint);
}

TEST(Signing, StandardAttachedJwsIsNotAccepted) {
  // RFC 8037 A.4's JWS is valid JOSE, but attached and base64url-encoded: it must not pass as a
  // detached, unencoded signature — neither whole nor with its payload part removed.
  TrustedKeys trusted;
  ASSERT_TRUE(trusted.Add(kRfcX).ok());
  const std::string attached = std::string(kRfcSigningInput) + "." + kRfcSignature;
  EXPECT_EQ(trusted.VerifyDetached(attached, kRfcPayload).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(trusted.VerifyDetached(attached, "").status().code(), StatusCode::kUnauthenticated);
  const std::string detached = "eyJhbGciOiJFZERTQSJ9.." + std::string(kRfcSignature);
  for (std::string_view payload :
       {std::string_view(kRfcPayload), std::string_view("RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc")}) {
    Result<std::string> r = trusted.VerifyDetached(detached, payload);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
    EXPECT_NE(r.status().message().find("b64"), std::string::npos) << r.status().message();
  }
}

TEST_F(SigningFiles, SaveLoadRoundTripWithMode0600) {
  SigningKey key = NewKey();
  const std::string path = File("node.key");
  ASSERT_TRUE(key.Save(path).ok());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str().rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u) << text.str();

  Result<SigningKey> loaded = SigningKey::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->public_key(), key.public_key());
  EXPECT_EQ(loaded->key_id(), key.key_id());
  EXPECT_TRUE(Trusting(key).VerifyDetached(loaded->SignDetached("x"), "x").ok());
  // Nothing but the key is left in the directory (no temporary file).
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(SigningFiles, SaveNeverOverwrites) {
  SigningKey first = NewKey();
  SigningKey second = NewKey();
  const std::string path = File("node.key");
  ASSERT_TRUE(first.Save(path).ok());
  Status again = second.Save(path);
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.ToString();
  Result<SigningKey> loaded = SigningKey::Load(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->key_id(), first.key_id());
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
  EXPECT_FALSE(first.Save(File("missing-dir/node.key")).ok());
}

TEST_F(SigningFiles, LoadRefusesWhatIsNotAnEd25519PrivateKey) {
  Result<SigningKey> missing = SigningKey::Load(File("none.key"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find(File("none.key")), std::string::npos);

  std::ofstream(File("text.key")) << "hello\n";
  EXPECT_EQ(SigningKey::Load(File("text.key")).status().code(), StatusCode::kInvalidArgument);

  EVP_PKEY* ec = EVP_EC_gen("P-256");
  ASSERT_NE(ec, nullptr);
  WritePem(File("ec.key"), ec, /*public_only=*/false);
  EVP_PKEY_free(ec);
  Result<SigningKey> wrong_type = SigningKey::Load(File("ec.key"));
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_NE(wrong_type.status().message().find("Ed25519"), std::string::npos);

  // An encrypted key fails without prompting for a passphrase.
  auto raw = internal::Ed25519PrivateKeyFromRaw(std::string(32, '\x07'));
  ASSERT_TRUE(raw.ok());
  BIO* bio = BIO_new_file(File("encrypted.key").c_str(), "w");
  ASSERT_NE(bio, nullptr);
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio, raw->get(), EVP_aes_256_cbc(), "secret", 6, nullptr,
                                          nullptr),
            1);
  BIO_free(bio);
  EXPECT_EQ(SigningKey::Load(File("encrypted.key")).status().code(), StatusCode::kInvalidArgument);

  // A public key is not a signing key.
  WritePem(File("public.pem"), raw->get(), /*public_only=*/true);
  EXPECT_FALSE(SigningKey::Load(File("public.pem")).ok());
}

TEST_F(SigningFiles, TrustedKeysAcceptsBase64UrlOrPemPublicKeyFile) {
  SigningKey key = NewKey();
  ASSERT_TRUE(key.Save(File("node.key")).ok());
  BIO* bio = BIO_new_file(File("node.key").c_str(), "r");
  ASSERT_NE(bio, nullptr);
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(pkey, nullptr);
  WritePem(File("node.pub"), pkey, /*public_only=*/true);
  EVP_PKEY_free(pkey);

  TrustedKeys from_file;
  ASSERT_TRUE(from_file.Add(File("node.pub")).ok());
  EXPECT_EQ(from_file.key_ids(), std::vector<std::string>{key.key_id()});
  EXPECT_TRUE(from_file.VerifyDetached(key.SignDetached("x"), "x").ok());

  TrustedKeys trusted;
  EXPECT_TRUE(trusted.empty());
  ASSERT_TRUE(trusted.Add(key.public_key()).ok());
  ASSERT_TRUE(trusted.Add(key.public_key()).ok());  // once is enough
  EXPECT_EQ(trusted.key_ids().size(), 1u);
  EXPECT_FALSE(trusted.empty());

  // Neither a key nor a public-key file.
  for (const std::string& bad :
       {std::string(""), std::string("not a key"), key.public_key().substr(1),
        key.public_key() + "AA", Base64UrlEncode(std::string(31, 'a')), File("absent.pub"),
        File("node.key")}) {
    Status s = trusted.Add(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad << " " << s.ToString();
  }
  EXPECT_EQ(trusted.key_ids().size(), 1u);
}

TEST(Base64Url, RoundTripsAndIsStrict) {
  std::string bytes;
  for (int n = 0; n < 40; ++n) {
    std::string text = Base64UrlEncode(bytes);
    EXPECT_EQ(text.find_first_of("+/="), std::string::npos);
    EXPECT_EQ(Base64UrlDecode(text), bytes) << n;
    bytes += static_cast<char>(n * 37 + 250);
  }
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64UrlDecode("-_8"), "\xfb\xff");
  EXPECT_FALSE(Base64UrlDecode("+/8"));
  EXPECT_FALSE(Base64UrlDecode("AA=="));
  EXPECT_FALSE(Base64UrlDecode("A"));
  EXPECT_FALSE(Base64UrlDecode("AB"));  // unused bits set: "AA" is the only spelling of \0
  EXPECT_EQ(Base64UrlDecode("AA"), std::string(1, '\0'));
  EXPECT_FALSE(Base64UrlDecode("AA AA"));
}

}  // namespace
}  // namespace ctihub::sync
