#include "taxii/service.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "common/uuid.h"
#include "store/sqlite/sqlite_store.h"

namespace ctihub::taxii {
namespace {

namespace fs = std::filesystem;

std::string Basic(std::string_view user, std::string_view password) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string in = std::string(user) + ":" + std::string(password), out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<uint8_t>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[n & 63] : '=';
  }
  return "Basic " + out;
}

std::string Indicator(int n, std::string_view modified = "2021-01-01T00:00:00.000Z") {
  char id[64];
  std::snprintf(id, sizeof id, "indicator--%08d-0000-4000-8000-000000000000", n);
  return std::string(R"({"type":"indicator","spec_version":"2.1","id":")") + id +
         R"(","created":"2021-01-01T00:00:00.000Z","modified":")" + std::string(modified) +
         R"(","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix",)"
         R"("valid_from":"2021-01-01T00:00:00Z"})";
}

std::string IdOf(int n) {
  char id[64];
  std::snprintf(id, sizeof id, "indicator--%08d-0000-4000-8000-000000000000", n);
  return id;
}

class TaxiiServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::RegisterSqliteBackend();
    path_ = fs::temp_directory_path() /
            ("ctihub-taxii-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    Cleanup();
    uri_ = "sqlite:" + path_.string();
    auto st = store::Store::Open(uri_);
    ASSERT_TRUE(st.ok());
    store_ = std::move(*st);
    feeds_ = store_->EnsureCollection("feeds")->id;
    secret_ = store_->EnsureCollection("secret")->id;
    auto accounts = auth::Accounts::Open(uri_, auth::HashingCost{1, 1024, 1, 8, 5000});
    ASSERT_TRUE(accounts.ok()) << accounts.status().ToString();
    accounts_ = std::move(*accounts);
    for (const char* org : {"cert-a", "cert-b"}) {
      auth::Organisation o;
      o.name = org;
      ASSERT_TRUE(accounts_->AddOrganisation(o).ok());
    }
    for (auto [name, org] : {std::pair{"alice", "cert-a"}, {"bob", "cert-b"}, {"rita", "cert-b"}}) {
      auth::User u;
      u.name = name;
      u.organisation = org;
      ASSERT_TRUE(accounts_->AddUser(u, kPassword).ok());
    }
    ASSERT_TRUE(
        accounts_->SetGrant({feeds_, "org:cert-a", auth::Permission::kReadWrite}).ok());
    ASSERT_TRUE(accounts_->SetGrant({secret_, "user:bob", auth::Permission::kWrite}).ok());
    ASSERT_TRUE(accounts_->SetGrant({feeds_, "user:rita", auth::Permission::kRead}).ok());
    service_ = std::make_unique<Service>(
        ServiceOptions{}, [this] { return store::Store::Open(uri_); }, accounts_.get(), &gate_,
        4);
  }
  void TearDown() override {
    service_.reset();
    accounts_.reset();
    store_.reset();
    Cleanup();
  }
  void Cleanup() {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_.string() + suffix);
  }

  Response Call(std::string method, std::string path, Params query = {},
                std::string user = "alice", std::string body = {}) {
    Request r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.query = std::move(query);
    r.headers.emplace_back("accept", "application/taxii+json;version=2.1");
    r.headers.emplace_back("host", "hub.example:9443");
    if (!user.empty()) r.headers.emplace_back("authorization", Basic(user, kPassword));
    if (!body.empty()) {
      r.headers.emplace_back("content-type", "application/taxii+json;version=2.1");
    }
    r.body = std::move(body);
    return service_->Handle(r);
  }
  // Adds the administrator "root" of `organisation`.
  bool AddAdmin(const std::string& organisation) {
    auth::User admin;
    admin.name = "root";
    admin.organisation = organisation;
    admin.admin = true;
    return accounts_->AddUser(admin, kPassword).ok();
  }

  Response Get(std::string path, Params query = {}, std::string user = "alice") {
    return Call("GET", std::move(path), std::move(query), std::move(user));
  }
  Response Post(std::string collection, const std::vector<std::string>& objects,
                std::string user = "alice") {
    std::string body = R"({"objects":[)";
    for (size_t i = 0; i < objects.size(); ++i) body += (i ? "," : "") + objects[i];
    body += "]}";
    return Call("POST", "/api/collections/" + collection + "/objects/", {}, std::move(user),
                std::move(body));
  }
  std::string Objects() { return "/api/collections/" + feeds_ + "/objects/"; }
  static std::string_view HeaderOf(const Response& r, std::string_view name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return {};
  }
  simdjson::dom::element Parse(const Response& r) {
    json_ = r.body;
    return parser_.parse(json_).value();
  }

  static constexpr std::string_view kPassword = "correct horse battery";
  fs::path path_;
  std::string uri_, feeds_, secret_, json_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<auth::Accounts> accounts_;
  store::AllowAllGate gate_;
  std::unique_ptr<Service> service_;
  simdjson::dom::parser parser_;
};

TEST_F(TaxiiServiceTest, EveryResourceNeedsCredentials) {
  for (std::string path : std::vector<std::string>{"/taxii2/", "/api/", "/api/collections/", Objects()}) {
    Response r = Get(path, {}, "");
    EXPECT_EQ(r.status, 401) << path;
    EXPECT_NE(HeaderOf(r, "WWW-Authenticate").find("Basic"), std::string_view::npos);
  }
  Request wrong;
  wrong.method = "GET";
  wrong.path = "/taxii2/";
  wrong.headers.emplace_back("authorization", Basic("alice", "wrong password!"));
  EXPECT_EQ(service_->Handle(wrong).status, 401);
  // An unknown path does not reveal itself to an anonymous caller either.
  EXPECT_EQ(Get("/nowhere/", {}, "").status, 401);
}

TEST_F(TaxiiServiceTest, DiscoveryListsApiRootsAsAbsoluteUrls) {
  Response r = Get("/taxii2/");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "application/taxii+json;version=2.1");
  auto doc = Parse(r);
  EXPECT_EQ(std::string_view(doc["default"]), "http://hub.example:9443/api/");
  EXPECT_EQ(std::string_view(doc["api_roots"].at(0)), "http://hub.example:9443/api/");
  auto root = Parse(Get("/api/"));
  EXPECT_EQ(std::string_view(root["versions"].at(0)), "application/taxii+json;version=2.1");
  EXPECT_EQ(uint64_t(root["max_content_length"]), 64u << 20);
}

TEST_F(TaxiiServiceTest, AConfiguredPublicBaseUrlWinsOverTheHostHeader) {
  ServiceOptions options;
  options.public_base_url = "https://hub.cert.example/";
  service_ = std::make_unique<Service>(
      options, [this] { return store::Store::Open(uri_); }, accounts_.get(), &gate_, 2);
  auto doc = Parse(Get("/taxii2/"));  // the request says Host: hub.example:9443
  EXPECT_EQ(std::string_view(doc["default"]), "https://hub.cert.example/api/");
}

TEST_F(TaxiiServiceTest, StatusResourcesExpireAfterTheirRetention) {
  Response first = Post(feeds_, {Indicator(1)});
  std::string old_id{std::string_view(Parse(first)["id"])};
  ASSERT_EQ(Get("/api/status/" + old_id + "/").status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // A new server (its first POST sweeps) keeping statuses for no time at all.
  ServiceOptions options;
  options.status_retention = std::chrono::minutes(0);
  service_ = std::make_unique<Service>(
      options, [this] { return store::Store::Open(uri_); }, accounts_.get(), &gate_, 2);
  Response second = Post(feeds_, {Indicator(2)});
  ASSERT_EQ(second.status, 202);
  EXPECT_EQ(Get("/api/status/" + old_id + "/").status, 404);
}

TEST_F(TaxiiServiceTest, ReleasesImportsDeletionsAndSignInsAreAudited) {
  auto log = audit::AuditLog::Open("memory:");
  ASSERT_TRUE(log.ok());
  audit::Recorder recorder(log->get());
  service_->SetAudit(&recorder);
  ASSERT_EQ(Post(feeds_, {Indicator(1), Indicator(2)}).status, 202);
  ASSERT_EQ(Get(Objects()).status, 200);
  ASSERT_EQ(Get(Objects()).status, 200);  // the same user again: one sign-in entry an hour
  ASSERT_EQ(Call("DELETE", Objects() + IdOf(1) + "/").status, 200);
  Request wrong;
  wrong.method = "GET";
  wrong.path = "/taxii2/";
  wrong.remote_address = "192.0.2.9:1";
  wrong.headers = {{"accept", "application/taxii+json;version=2.1"},
                   {"authorization", Basic("alice", "not the password")}};
  EXPECT_EQ(service_->Handle(wrong).status, 401);
  ASSERT_TRUE(recorder.Flush().ok());
  Result<std::vector<audit::AuditEntry>> entries = (*log)->List(std::nullopt, "", 100);
  ASSERT_TRUE(entries.ok());
  std::vector<std::string> kinds;
  for (const audit::AuditEntry& e : *entries) kinds.push_back(e.event.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"login", "import", "release", "release", "delete",
                                             "login-failure"}));
  EXPECT_EQ((*entries)[2].event.outcome, "released 2, redacted 0, withheld 0");
  EXPECT_EQ((*entries)[2].event.subject, feeds_);
  EXPECT_NE((*entries)[2].event.details.find("last_date_added"), std::string::npos);
  EXPECT_EQ((*entries)[5].event.actor, "(unauthenticated) from 192.0.2.9:1");
  // Which account was tried (found in review: "password or key" said nothing), never the secret.
  EXPECT_EQ((*entries)[5].event.subject, "user alice");
  EXPECT_TRUE((*log)->Verify()->intact);
  EXPECT_EQ(auth::AttemptedAccount("Bearer cth_0123456789abcdef_" + std::string(43, 'A')),
            "key 0123456789abcdef");
  EXPECT_EQ(auth::AttemptedAccount("Bearer nonsense"), "malformed key");
  EXPECT_EQ(auth::AttemptedAccount("Basic !!!"), "malformed Basic credentials");
}

TEST_F(TaxiiServiceTest, ContentNegotiation) {
  Request r;
  r.method = "GET";
  r.path = "/taxii2/";
  r.headers = {{"authorization", Basic("alice", kPassword)}, {"accept", "application/json"}};
  EXPECT_EQ(service_->Handle(r).status, 406);
  r.headers[1].second = "application/taxii+json;version=2.0";
  EXPECT_EQ(service_->Handle(r).status, 406);
  r.headers[1].second = "text/html, application/taxii+json; version=\"2.1\"";
  EXPECT_EQ(service_->Handle(r).status, 200);
  r.headers[1].second = "*/*";
  EXPECT_EQ(service_->Handle(r).status, 200);

  Request post;
  post.method = "POST";
  post.path = Objects();
  post.headers = {{"authorization", Basic("alice", kPassword)},
                  {"content-type", "application/json"}};
  post.body = R"({"objects":[)" + Indicator(1) + "]}";
  EXPECT_EQ(service_->Handle(post).status, 415);
  post.headers[1].second = "application/stix+json;version=2.1";
  EXPECT_EQ(service_->Handle(post).status, 415);
  post.headers[1].second = "application/taxii+json;version=2.1";
  EXPECT_EQ(service_->Handle(post).status, 202);
}

TEST_F(TaxiiServiceTest, CollectionsTheCallerCannotTouchLookLikeMissingOnes) {
  auto list = Parse(Get("/api/collections/", {}, "alice"));
  ASSERT_EQ(list["collections"].get_array().size(), 1u);
  EXPECT_EQ(std::string_view(list["collections"].at(0)["id"]), feeds_);
  Response hidden = Get("/api/collections/" + secret_ + "/objects/", {}, "alice");
  Response missing =
      Get("/api/collections/00000000-0000-4000-8000-000000000000/objects/", {}, "alice");
  EXPECT_EQ(hidden.status, 404);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Get("/api/collections/" + secret_ + "/", {}, "alice").status, 404);
  // The body does not tell them apart except by the id the caller sent.
  EXPECT_EQ(Parse(hidden)["title"].get_string().value(), "Not found");
  // Another organisation cannot write either.
  EXPECT_EQ(Post(feeds_, {Indicator(1)}, "bob").status, 404);
}

TEST_F(TaxiiServiceTest, ReadOnlyAndWriteOnlyCallersGet403) {
  EXPECT_EQ(Post(feeds_, {Indicator(1)}, "rita").status, 403);
  EXPECT_EQ(Get(Objects(), {}, "rita").status, 200);
  EXPECT_EQ(Post(secret_, {Indicator(2)}, "bob").status, 202);
  // Write alone does not allow probing what the caller cannot read.
  EXPECT_EQ(Call("DELETE", Objects() + IdOf(1) + "/", {}, "rita").status, 403);
  EXPECT_EQ(Get("/api/collections/" + secret_ + "/objects/", {}, "bob").status, 403);
  auto c = Parse(Get("/api/collections/" + secret_ + "/", {}, "bob"));
  EXPECT_FALSE(bool(c["can_read"]));
  EXPECT_TRUE(bool(c["can_write"]));
}

TEST_F(TaxiiServiceTest, PostReportsEachObjectWithTheValidatorsReason) {
  std::string bad = R"({"type":"indicator","spec_version":"2.1","id":"indicator--)"
                    R"(11111111-1111-4111-8111-111111111111","created":"2021-01-01T00:00:00.000Z",)"
                    R"("modified":"2021-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = ",)"
                    R"("pattern_type":"stix","valid_from":"2021-01-01T00:00:00Z"})";
  Response r = Post(feeds_, {Indicator(1), bad, Indicator(1)});
  ASSERT_EQ(r.status, 202) << r.body;
  auto status = Parse(r);
  EXPECT_EQ(std::string_view(status["status"]), "complete");
  EXPECT_EQ(uint64_t(status["total_count"]), 3u);
  EXPECT_EQ(uint64_t(status["success_count"]), 2u);  // the repeat is a duplicate, not a failure
  EXPECT_EQ(uint64_t(status["failure_count"]), 1u);
  EXPECT_EQ(uint64_t(status["pending_count"]), 0u);
  auto failure = status["failures"].at(0);
  EXPECT_EQ(std::string_view(failure["id"]), "indicator--11111111-1111-4111-8111-111111111111");
  EXPECT_NE(std::string_view(failure["message"]).find("/pattern"), std::string_view::npos);
  std::string id{std::string_view(status["id"])};
  // The status resource is kept, for its requester only.
  Response again = Get("/api/status/" + id + "/");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, r.body);
  EXPECT_EQ(Get("/api/status/" + id + "/", {}, "rita").status, 404);
}

TEST_F(TaxiiServiceTest, AdmitDecidesOnAnUploadFromItsHeaderAlone) {
  auto head = [&](std::string method, std::string path, std::string user,
                  std::string content_type, std::string length) {
    Request r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.headers.emplace_back("accept", "application/taxii+json;version=2.1");
    if (!user.empty()) r.headers.emplace_back("authorization", Basic(user, kPassword));
    if (!content_type.empty()) r.headers.emplace_back("content-type", content_type);
    r.headers.emplace_back("content-length", length);
    std::optional<Response> refused = service_->Admit(r);
    return refused ? refused->status : 0;
  };
  const std::string taxii(kTaxiiMediaType);
  const std::string secret_objects = "/api/collections/" + secret_ + "/objects/";
  EXPECT_EQ(head("POST", Objects(), "", taxii, "100"), 401);
  EXPECT_EQ(head("POST", Objects(), "rita", taxii, "100"), 403);          // read-only
  EXPECT_EQ(head("POST", secret_objects, "alice", taxii, "100"), 404);    // no grant
  EXPECT_EQ(head("POST", "/api/collections/nope/objects/", "alice", taxii, "100"), 404);
  EXPECT_EQ(head("POST", Objects(), "alice", "application/json", "100"), 415);
  EXPECT_EQ(head("POST", Objects(), "alice", taxii, "99999999999"), 413);
  EXPECT_EQ(head("POST", Objects(), "alice", taxii, "100"), 0);
  EXPECT_EQ(head("POST", secret_objects, "bob", taxii, "100"), 0);        // write-only is enough
  // Requests that take no body: a stray small one is read and ignored, a large one refused.
  EXPECT_EQ(head("GET", Objects(), "alice", "", "10"), 0);
  EXPECT_EQ(head("GET", Objects(), "alice", "", "10000000"), 413);
  EXPECT_EQ(head("POST", "/api/collections/", "alice", taxii, "10000000"), 404);
}

TEST_F(TaxiiServiceTest, WriteOnlyCallersAreNotToldWhatTheCollectionHolds) {
  ASSERT_TRUE(AddAdmin("cert-a"));
  ASSERT_EQ(Post(secret_, {Indicator(7)}, "root").status, 202);
  std::string conflicting = Indicator(7);
  conflicting.replace(conflicting.find("10.0.0.1"), 8, "10.0.0.2");
  for (const std::string& object : {Indicator(7), conflicting}) {
    Response r = Post(secret_, {object}, "bob");
    ASSERT_EQ(r.status, 202) << r.body;
    auto status = Parse(r);
    EXPECT_EQ(uint64_t(status["success_count"]), 1u) << r.body;
    EXPECT_EQ(uint64_t(status["failure_count"]), 0u) << r.body;
    EXPECT_TRUE(status["successes"].at(0)["message"].error()) << r.body;
  }
  // A caller who can read is told.
  Response dup = Post(secret_, {Indicator(7)}, "root");
  EXPECT_NE(dup.body.find("duplicate"), std::string::npos) << dup.body;
  Response conflict = Post(secret_, {conflicting}, "root");
  EXPECT_EQ(uint64_t(Parse(conflict)["failure_count"]), 1u) << conflict.body;
}

// A caller that is not an administrator deletes only what its organisation supplied: another
// organisation's objects, or the node's own, are "not found" to it and stay, whether the gate
// releases them to it or not; an administrator deletes anything.
TEST_F(TaxiiServiceTest, ANonAdministratorDeletesOnlyWhatItsOrganisationSupplied) {
  struct WithholdTwo final : store::ReleaseGate {
    std::string withheld;
    void Constrain(const store::Recipient&, store::Query*) const override {}
    store::ReleaseDecision Decide(const store::Recipient& who,
                                  const store::StoredObject& o) const override {
      if (!who.admin && o.id == withheld) return {store::ReleaseAction::kWithhold, {}, {"test"}, {}, {}};
      return {store::ReleaseAction::kRelease, {}, {}, {}, {}};
    }
  } gate;
  gate.withheld = IdOf(2);
  service_ = std::make_unique<Service>(
      ServiceOptions{}, [this] { return store::Store::Open(uri_); }, accounts_.get(), &gate, 2);
  ASSERT_TRUE(AddAdmin("cert-b"));
  ASSERT_EQ(Post(feeds_, {Indicator(1), Indicator(2)}, "root").status, 202);
  EXPECT_EQ(Call("DELETE", Objects() + IdOf(2) + "/").status, 404) << "withheld from alice";
  EXPECT_EQ(Call("DELETE", Objects() + IdOf(2) + "/", {{"match[version]", "all"}}).status, 404);
  EXPECT_EQ(Get(Objects() + IdOf(2) + "/", {}, "root").status, 200) << "still there";
  // Released to her but not her organisation's: forbidden (§5.7), so she knows why.
  EXPECT_EQ(Call("DELETE", Objects() + IdOf(1) + "/").status, 403) << "released, not hers";
  EXPECT_EQ(Get(Objects() + IdOf(1) + "/", {}, "root").status, 200) << "still there";
  ASSERT_EQ(Post(feeds_, {Indicator(3)}).status, 202);
  EXPECT_EQ(Call("DELETE", Objects() + IdOf(3) + "/").status, 200) << "cert-a's own";
  EXPECT_EQ(Get(Objects() + IdOf(3) + "/", {}, "root").status, 404);
  EXPECT_EQ(Call("DELETE", Objects() + IdOf(2) + "/", {}, "root").status, 200) << "an administrator";
  EXPECT_EQ(Call("DELETE", Objects() + IdOf(1) + "/", {}, "root").status, 200);
  service_.reset();
}

// Nor is a reader told about a stored version the gate withholds from it: a clash with it is a
// plain success, as to a write-only caller; a clash with what it may see is reported.
TEST_F(TaxiiServiceTest, PostingAClashWithWhatTheGateWithholdsRevealsNothing) {
  struct WithholdTwo final : store::ReleaseGate {
    std::string withheld;
    void Constrain(const store::Recipient&, store::Query*) const override {}
    store::ReleaseDecision Decide(const store::Recipient& who,
                                  const store::StoredObject& o) const override {
      if (!who.admin && o.id == withheld) return {store::ReleaseAction::kWithhold, {}, {"test"}, {}, {}};
      return {store::ReleaseAction::kRelease, {}, {}, {}, {}};
    }
  } gate;
  gate.withheld = IdOf(2);
  service_ = std::make_unique<Service>(
      ServiceOptions{}, [this] { return store::Store::Open(uri_); }, accounts_.get(), &gate, 2);
  ASSERT_TRUE(AddAdmin("cert-b"));
  ASSERT_EQ(Post(feeds_, {Indicator(1), Indicator(2)}, "root").status, 202);
  auto conflicting = [](int n) {
    std::string o = Indicator(n);
    return o.replace(o.find("10.0.0.1"), 8, "10.0.0.2");
  };
  for (const std::string& object : {Indicator(2), conflicting(2)}) {
    Response r = Post(feeds_, {object});
    ASSERT_EQ(r.status, 202) << r.body;
    auto status = Parse(r);
    EXPECT_EQ(uint64_t(status["success_count"]), 1u) << r.body;
    EXPECT_EQ(uint64_t(status["failure_count"]), 0u) << r.body;
    EXPECT_TRUE(status["successes"].at(0)["message"].error()) << r.body;
  }
  EXPECT_EQ(Get(Objects() + IdOf(2) + "/", {}, "root").body.find("10.0.0.2"), std::string::npos)
      << "the stored version is unchanged";
  Response dup = Post(feeds_, {Indicator(1)});
  EXPECT_NE(dup.body.find("duplicate"), std::string::npos) << dup.body;
  Response conflict = Post(feeds_, {conflicting(1)});
  EXPECT_EQ(uint64_t(Parse(conflict)["failure_count"]), 1u) << conflict.body;
  // The administrator is told about either.
  Response admin_conflict = Post(feeds_, {conflicting(2)}, "root");
  EXPECT_EQ(uint64_t(Parse(admin_conflict)["failure_count"]), 1u) << admin_conflict.body;
  service_.reset();
}

// A reader's "new version" of an object another source supplied (here, a revocation of the
// node's own indicator) is refused and said to be: a success would tell it, and the audit log,
// that its version was stored. It is not told who the source is; an administrator is.
TEST_F(TaxiiServiceTest, ANewVersionOfAnotherSourcesObjectIsReportedAsRefused) {
  ASSERT_TRUE(AddAdmin("cert-b"));
  ASSERT_EQ(Post(feeds_, {Indicator(3)}, "root").status, 202);
  std::string revoked = Indicator(3, "2021-02-01T00:00:00.000Z");
  revoked.insert(revoked.size() - 1, R"(,"revoked":true)");
  Response r = Post(feeds_, {revoked});
  ASSERT_EQ(r.status, 202) << r.body;
  auto status = Parse(r);
  EXPECT_EQ(uint64_t(status["success_count"]), 0u) << r.body;
  EXPECT_EQ(uint64_t(status["failure_count"]), 1u) << r.body;
  std::string_view message = status["failures"].at(0)["message"].get_string().value();
  EXPECT_NE(message.find("came from another source"), std::string_view::npos) << message;
  EXPECT_EQ(message.find("this node"), std::string_view::npos) << message;
  EXPECT_EQ(Get(Objects() + IdOf(3) + "/versions/").body.find("2021-02-01"), std::string::npos);
  // The administrator of another organisation posting it is the node itself: stored.
  Response admin = Post(feeds_, {revoked}, "root");
  EXPECT_EQ(uint64_t(Parse(admin)["success_count"]), 1u) << admin.body;
}

// match[version]=first / last pick among the versions the caller may receive: a withheld first
// or last version must not turn the answer into a 404 that says it exists.
TEST_F(TaxiiServiceTest, FirstAndLastAreOfTheVersionsTheCallerMayReceive) {
  struct WithholdVersion final : store::ReleaseGate {
    std::vector<int64_t> withheld;
    void Constrain(const store::Recipient&, store::Query*) const override {}
    store::ReleaseDecision Decide(const store::Recipient& who,
                                  const store::StoredObject& o) const override {
      if (!who.admin && std::find(withheld.begin(), withheld.end(), o.version) != withheld.end()) {
        return {store::ReleaseAction::kWithhold, {}, {"test"}, {}, {}};
      }
      return {store::ReleaseAction::kRelease, {}, {}, {}, {}};
    }
  } gate;
  const char* v1 = "2021-01-01T00:00:00.000Z";
  const char* v2 = "2021-02-01T00:00:00.000Z";
  const char* v3 = "2021-03-01T00:00:00.000Z";
  gate.withheld = {Timestamp::Parse(v1)->micros(), Timestamp::Parse(v3)->micros()};
  service_ = std::make_unique<Service>(
      ServiceOptions{}, [this] { return store::Store::Open(uri_); }, accounts_.get(), &gate, 2);
  ASSERT_EQ(Post(feeds_, {Indicator(5, v1), Indicator(5, v2), Indicator(5, v3)}).status, 202);
  // The audit says what was sent: of v1 and v2 (both released), only v2 went; v3 was withheld.
  {
    const std::vector<int64_t> saved = gate.withheld;
    gate.withheld = {Timestamp::Parse(v3)->micros()};
    auto log = audit::AuditLog::Open("memory:");
    ASSERT_TRUE(log.ok());
    audit::Recorder recorder(log->get());
    service_->SetAudit(&recorder);
    ASSERT_EQ(Get(Objects() + IdOf(5) + "/", {{"match[version]", "last"}}).status, 200);
    ASSERT_TRUE(recorder.Flush().ok());
    service_->SetAudit(nullptr);
    Result<std::vector<audit::AuditEntry>> entries = (*log)->List(std::nullopt, "", 100);
    ASSERT_TRUE(entries.ok());
    bool seen = false;
    for (const audit::AuditEntry& e : *entries) {
      if (e.event.kind != "release") continue;
      seen = true;
      EXPECT_EQ(e.event.outcome, "released 1, redacted 0, withheld 1");
    }
    EXPECT_TRUE(seen);
    gate.withheld = saved;
  }
  for (const char* version : {"first", "last", "first,last"}) {
    Response r = Get(Objects() + IdOf(5) + "/", {{"match[version]", version}});
    ASSERT_EQ(r.status, 200) << version << ": " << r.body;
    auto objects = Parse(r)["objects"].get_array();
    ASSERT_EQ(objects.size(), 1u) << version << ": " << r.body;
    EXPECT_EQ(std::string_view(objects.at(0)["modified"]), v2) << version;
  }
  // Lists naming the object (match[id]) choose the same way, objects and manifest alike, and
  // page by limit.
  ASSERT_EQ(Post(feeds_, {Indicator(6, v1), Indicator(6, v2)}).status, 202);
  for (const char* version : {"first", "last"}) {
    Response r = Get(Objects(), {{"match[id]", IdOf(5) + "," + IdOf(6)}, {"match[version]", version}});
    ASSERT_EQ(r.status, 200) << r.body;
    auto objects = Parse(r)["objects"].get_array();
    ASSERT_EQ(objects.size(), 2u) << version << ": " << r.body;
    EXPECT_EQ(std::string_view(objects.at(0)["modified"]), v2) << version;
    Response m = Get("/api/collections/" + feeds_ + "/manifest/", {{"match[id]", IdOf(5)}, {"match[version]", version}});
    ASSERT_EQ(m.status, 200) << m.body;
    EXPECT_NE(m.body.find(v2), std::string::npos) << m.body;
  }
  Response page = Get(Objects(), {{"match[id]", IdOf(5) + "," + IdOf(6)}, {"limit", "1"}});
  ASSERT_EQ(page.status, 200) << page.body;
  auto first_page = Parse(page);
  ASSERT_TRUE(bool(first_page["more"])) << page.body;
  Response rest = Get(Objects(), {{"match[id]", IdOf(5) + "," + IdOf(6)}, {"limit", "1"},
                                  {"next", std::string(std::string_view(first_page["next"]))}});
  ASSERT_EQ(rest.status, 200) << rest.body;
  EXPECT_EQ(Parse(rest)["objects"].get_array().size(), 1u) << rest.body;
  EXPECT_FALSE(bool(Parse(rest)["more"])) << rest.body;
  // DELETE's first and last are the caller's too: of the versions its organisation supplied.
  // Alice's cert-a supplied v2, the node (an administrator) v1 and v3 — which the gate withholds
  // from her: the store's first and last would answer 404, telling that they exist; v2 goes.
  ASSERT_TRUE(AddAdmin("cert-a"));
  for (const char* version : {"first", "last"}) {
    ASSERT_EQ(Post(feeds_, {Indicator(7, v2)}).status, 202);
    ASSERT_EQ(Post(feeds_, {Indicator(7, v1), Indicator(7, v3)}, "root").status, 202);
    Response d = Call("DELETE", Objects() + IdOf(7) + "/", {{"match[version]", version}});
    EXPECT_EQ(d.status, 200) << version << ": " << d.body;
    auto st = store::Store::Open(uri_);
    ASSERT_TRUE(st.ok());
    auto left = (*st)->Get(feeds_, IdOf(7), store::VersionMatch::All());
    ASSERT_TRUE(left.ok());
    std::vector<std::string> kept;
    for (const store::StoredObject& o : *left) kept.push_back(o.version_text);
    EXPECT_EQ(kept, (std::vector<std::string>{v1, v3})) << version;
    ASSERT_TRUE((*st)->Delete(feeds_, IdOf(7)).ok());
  }
  // A withheld version named by its timestamp is answered as a version that does not exist
  // (an empty envelope, §5.6: the object itself is released to the caller); a released one is
  // found.
  Response withheld = Get(Objects() + IdOf(5) + "/", {{"match[version]", v3}});
  EXPECT_EQ(withheld.status, 200);
  EXPECT_EQ(withheld.body, R"({"more":false})");
  EXPECT_EQ(Get(Objects() + IdOf(5) + "/", {{"match[version]", "2099-01-01T00:00:00.000Z"}}).body,
            withheld.body);
  EXPECT_EQ(Get(Objects() + IdOf(5) + "/", {{"match[version]", v2}}).status, 200);
  // With every version withheld, first and last find nothing, as for an unknown id.
  gate.withheld.push_back(Timestamp::Parse(v2)->micros());
  EXPECT_EQ(Get(Objects() + IdOf(5) + "/", {{"match[version]", "last"}}).status, 404);
  service_.reset();
}

// What a user posts has its organisation as origin (never sent back to it, and its marking-
// definitions define nothing unless trusted); what an administrator posts is the node's own.
TEST_F(TaxiiServiceTest, AnAdministratorsPostsAreLocalContent) {
  ASSERT_TRUE(AddAdmin("cert-b"));
  ASSERT_EQ(Post(feeds_, {Indicator(7)}).status, 202);
  ASSERT_EQ(Post(feeds_, {Indicator(8)}, "root").status, 202);
  auto st = store::Store::Open(uri_);
  ASSERT_TRUE(st.ok());
  auto page = (*st)->List(feeds_, store::Query{});
  ASSERT_TRUE(page.ok());
  std::map<std::string, std::string> origin_of;
  for (const store::StoredObject& o : page->objects) origin_of[o.id] = o.origin;
  EXPECT_EQ(origin_of[IdOf(7)], "cert-a");
  EXPECT_EQ(origin_of[IdOf(8)], "");
}

// A federation inbox: a partner that may write but not read deletes what its organisation sent,
// and 200-vs-404 tells it nothing about what others put there.
TEST_F(TaxiiServiceTest, WriteOnlyCallersDeleteOnlyWhatTheirOrganisationSent) {
  ASSERT_TRUE(AddAdmin("cert-a"));
  ASSERT_EQ(Post(secret_, {Indicator(1, "2021-01-01T00:00:00.000Z")}, "bob").status, 202);
  ASSERT_EQ(Post(secret_, {Indicator(1, "2021-06-01T00:00:00.000Z")}, "root").status, 202);
  ASSERT_EQ(Post(secret_, {Indicator(2)}, "root").status, 202);
  const std::string objects = "/api/collections/" + secret_ + "/objects/";
  EXPECT_EQ(Call("DELETE", objects + IdOf(2) + "/", {}, "bob").status, 404) << "not bob's";
  EXPECT_EQ(Call("DELETE", objects + IdOf(3) + "/", {}, "bob").status, 404) << "absent";
  EXPECT_EQ(Call("DELETE", objects + IdOf(1) + "/", {}, "bob").status, 200);
  // cert-a's version of the same object stays; so does the other object.
  Response left = Get(objects + IdOf(1) + "/versions/", {}, "root");
  ASSERT_EQ(left.status, 200) << left.body;
  EXPECT_EQ(Parse(left)["versions"].get_array().size(), 1u);
  EXPECT_EQ(std::string_view(Parse(left)["versions"].at(0)), "2021-06-01T00:00:00.000Z");
  EXPECT_EQ(Get(objects + IdOf(2) + "/", {}, "root").status, 200);
  EXPECT_EQ(Call("DELETE", objects + IdOf(1) + "/", {}, "bob").status, 404) << "nothing left";
}

// What a signed response is bound to: a query split differently (a '=' or '&' inside a key or
// value, encoded on the way) never reads as the same request.
TEST(ResponseSigning, ARequestLineCannotBeFakedByAnotherSplitOfTheQuery) {
  const std::string plain =
      RequestLine("GET", "/api/x/", {{"limit", "5"}, {"match[version]", "all"}});
  EXPECT_EQ(plain, "GET /api/x/?limit=5&match%5Bversion%5D=all");
  EXPECT_NE(RequestLine("GET", "/api/x/", {{"limit=5&match[version]", "all"}}), plain);
  EXPECT_NE(RequestLine("GET", "/api/x/", {{"limit", "5&match[version]=all"}}), plain);
  EXPECT_NE(RequestLine("GET", "/api/x/", {{"limit=5\x1fmatch[version]", "all"}}), plain);
  EXPECT_NE(RequestLine("POST", "/api/x/", {{"limit", "5"}, {"match[version]", "all"}}), plain);
}

// Each entry of an envelope has a line in its status: an envelope of more entries than the
// limit (tiny ones, `1`, cost 2 bytes each) is refused whole, before its status is written.
TEST_F(TaxiiServiceTest, AnEnvelopeOfTooManyEntriesIsRefusedWhole) {
  ServiceOptions options;
  options.max_envelope_objects = 3;
  service_ = std::make_unique<Service>(
      options, [this] { return store::Store::Open(uri_); }, accounts_.get(), &gate_, 2);
  Response refused = Post(feeds_, {Indicator(1), "1", "1", "1"});
  EXPECT_EQ(refused.status, 413) << refused.body;
  EXPECT_NE(refused.body.find("more than 3 objects"), std::string::npos) << refused.body;
  EXPECT_EQ(Get(Objects() + IdOf(1) + "/").status, 404) << "nothing stored";
  EXPECT_EQ(Post(feeds_, {Indicator(1), Indicator(2), Indicator(3)}).status, 202);
  service_.reset();
}

// Not TAXII 2.1: a federation peer (cert-b here) learns which of what it read was deleted, and
// nothing about anything it did not read.
TEST_F(TaxiiServiceTest, DeletionFeedNamesOnlyWhatThePeerRead) {
  ServiceOptions options;
  options.deletion_feed_organisations = {"cert-b"};
  service_ = std::make_unique<Service>(
      options, [this] { return store::Store::Open(uri_); }, accounts_.get(), &gate_, 2);
  ASSERT_EQ(Post(feeds_, {Indicator(1), Indicator(2), Indicator(3), Indicator(4)}).status, 202);
  ASSERT_EQ(Get(Objects() + IdOf(1) + "/", {}, "rita").status, 200);
  // A manifest names ids too: what it lists counts as read.
  ASSERT_EQ(Get("/api/collections/" + feeds_ + "/manifest/", {{"match[id]", IdOf(3)}}, "rita")
                .status,
            200);
  ASSERT_EQ(Get(Objects(), {{"match[id]", IdOf(2)}}, "rita").status, 200);
  ASSERT_EQ(Get(Objects(), {{"match[id]", IdOf(4)}}, "alice").status, 200);  // cert-a's read
  for (int n : {1, 2, 3, 4}) ASSERT_EQ(Call("DELETE", Objects() + IdOf(n) + "/").status, 200) << n;
  const std::string feed = "/api/collections/" + feeds_ + "/x-ctihub-deletions/";
  Response r = Get(feed, {}, "rita");
  ASSERT_EQ(r.status, 200) << r.body;
  auto page = Parse(r);
  std::vector<std::string> ids;
  for (auto id : page["deletions"].get_array()) ids.emplace_back(std::string_view(id));
  EXPECT_EQ(ids, (std::vector<std::string>{IdOf(1), IdOf(2), IdOf(3)}));
  EXPECT_FALSE(bool(page["more"]));
  const int64_t next = int64_t(page["next_after"]);
  // Read on from there: nothing new.
  Response later = Get(feed, {{"after", std::to_string(next)}}, "rita");
  ASSERT_EQ(later.status, 200) << later.body;
  EXPECT_EQ(Parse(later)["deletions"].get_array().size(), 0u);
  // Not a peer told about deletions, or no read permission: nothing.
  EXPECT_EQ(Get(feed, {}, "alice").status, 404);
  EXPECT_EQ(Get("/api/collections/" + secret_ + "/x-ctihub-deletions/", {}, "bob").status, 403);
  EXPECT_EQ(Get(feed, {{"after", "-1"}}, "rita").status, 400);
  EXPECT_EQ(Get(feed, {{"limit", "0"}}, "rita").status, 400);
  EXPECT_EQ(Get(feed, {{"added_after", "x"}}, "rita").status, 400);
  // Out of range is no number either (it listed everything from the start).
  EXPECT_EQ(Get(feed, {{"after", "99999999999999999999999"}}, "rita").status, 400);
  EXPECT_EQ(Get(feed, {{"limit", "99999999999999999999999"}}, "rita").status, 400);
  EXPECT_EQ(Get(feed, {{"after", ""}}, "rita").status, 400);
}

TEST_F(TaxiiServiceTest, StatusBelongsToTheRootItWasMadeInAndIdsAreTimeOrdered) {
  ServiceOptions options;
  options.api_roots = {ApiRootOptions{"api", "one", "", {"*"}},
                       ApiRootOptions{"other", "two", "", {"nothing-here"}}};
  service_ = std::make_unique<Service>(
      options, [this] { return store::Store::Open(uri_); }, accounts_.get(), &gate_, 2);
  Response r = Post(feeds_, {Indicator(1)});
  ASSERT_EQ(r.status, 202) << r.body;
  std::string id{std::string_view(Parse(r)["id"])};
  Result<Uuid> uuid = Uuid::Parse(id);
  ASSERT_TRUE(uuid.ok());
  EXPECT_EQ(uuid->version(), 7);
  EXPECT_EQ(Get("/api/status/" + id + "/").status, 200);
  EXPECT_EQ(Get("/other/status/" + id + "/").status, 404);
}

TEST_F(TaxiiServiceTest, RepeatedFailedSignInsFromAnAddressAreThrottled) {
  ServiceOptions options;
  options.login_throttle = {3, std::chrono::seconds(60), 100};
  service_ = std::make_unique<Service>(
      options, [this] { return store::Store::Open(uri_); }, accounts_.get(), &gate_, 2);
  auto from = [&](std::string address, std::string password) {
    Request r;
    r.method = "GET";
    r.path = "/taxii2/";
    r.remote_address = std::move(address);
    r.headers.emplace_back("accept", "application/taxii+json;version=2.1");
    r.headers.emplace_back("authorization", Basic("alice", password));
    return service_->Handle(r);
  };
  auto bob = [&](std::string address) {
    Request r;
    r.method = "GET";
    r.path = "/taxii2/";
    r.remote_address = std::move(address);
    r.headers.emplace_back("accept", "application/taxii+json;version=2.1");
    r.headers.emplace_back("authorization", Basic("bob", kPassword));
    return service_->Handle(r);
  };
  EXPECT_EQ(bob("192.0.2.1:3999").status, 200);  // signed in before the guessing starts
  for (int i = 0; i < 3; ++i) EXPECT_EQ(from("192.0.2.1:4000", "wrong").status, 401);
  Response throttled = from("192.0.2.1:4001", std::string(kPassword));
  EXPECT_EQ(throttled.status, 429) << "even the right password waits: it could be a guess";
  EXPECT_EQ(HeaderOf(throttled, "Retry-After"), "60");
  EXPECT_EQ(from("192.0.2.1:4002", "wrong-again").status, 429);
  EXPECT_EQ(bob("192.0.2.1:4003").status, 200) << "a recently verified credential still works";
  // But only where it was verified: bob's credential, cached since he signed in from 192.0.2.9,
  // is a guess like any other from a throttled address he never used (else a guesser there
  // could test guesses at every recently used credential at hash speed).
  EXPECT_EQ(bob("192.0.2.9:5000").status, 200);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(from("192.0.2.7:4000", "wrong").status, 401);
  EXPECT_EQ(bob("192.0.2.7:4001").status, 429);
  // Loopback (the node itself, or a local reverse proxy) is not throttled.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(from("127.0.0.1:4000", "wrong").status, 401);
  EXPECT_EQ(from("127.0.0.1:4000", std::string(kPassword)).status, 200);
  EXPECT_EQ(from("192.0.2.2:4000", std::string(kPassword)).status, 200);
}

TEST_F(TaxiiServiceTest, MalformedEnvelopesAreRefusedWholly) {
  for (std::string body : {std::string("{\"objects\":[") + Indicator(1),  // truncated
                           std::string("[") + Indicator(1) + "]"}) {       // not an envelope
    Response r = Call("POST", Objects(), {}, "alice", body);
    EXPECT_EQ(r.status, 400) << body;
  }
  // Anything but one envelope is refused, naming what is wrong, and nothing of it is stored.
  for (auto [body, why] : std::vector<std::pair<std::string, std::string>>{
           {"{\"objects\":[" + Indicator(2) + "]} trailing", "not one well-formed JSON object"},
           {"{\"objects\":[" + Indicator(2) + "]}{\"objects\":[]}", "goes on after"},
           {"{\"objects\":\"x\"}", "'objects' must be an array"},
           {"{\"objects\":null}", "'objects' must be an array"},
           {"{\"objects\":{}}", "'objects' must be an array"},
           {"[]", "not one well-formed JSON object"},
           {"   ", "not one well-formed JSON object"},
           {"{\"foo\":[" + Indicator(2) + "]}", "'foo' is not a property of an envelope"},
           {"{\"more\":\"yes\"}", "'more' must be a boolean"},
           {"{\"objects\":[],\"objects\":[" + Indicator(2) + "]}", "'objects' appears twice"},
           {"{\"obj\\u0065cts\":[" + Indicator(2) + "]}", "written with escapes"},
           {"{\"type\":\"bundle\",\"id\":\"nope\",\"objects\":[]}", "bundle--<UUID>"},
           {"{\"type\":\"bundle\",\"more\":true,\"objects\":[]}", "belong to an envelope"},
           {Indicator(2), "one STIX object, not an envelope"}}) {
    Response r = Call("POST", Objects(), {}, "alice", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_NE(r.body.find(why), std::string::npos) << body << " → " << r.body;
  }
  EXPECT_TRUE(Parse(Get(Objects()))["objects"].error()) << "nothing was stored";
  // A bundle is an envelope too.
  Response bundle = Call("POST", Objects(), {}, "alice",
                         "{\"type\":\"bundle\",\"id\":\"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\","
                         "\"objects\":[" + Indicator(3) + "]}");
  EXPECT_EQ(bundle.status, 202) << bundle.body;
  EXPECT_EQ(uint64_t(Parse(bundle)["success_count"]), 1u);
  // A byte order mark before it, and custom x_ properties beside the objects, are fine.
  Response bom = Call("POST", Objects(), {}, "alice",
                      "\xEF\xBB\xBF{\"x_client\":\"ps\",\"objects\":[" + Indicator(4) + "]}");
  EXPECT_EQ(bom.status, 202) << bom.body;
  EXPECT_EQ(uint64_t(Parse(bom)["success_count"]), 1u) << bom.body;
  Response empty = Call("POST", Objects(), {}, "alice", "{}");
  EXPECT_EQ(empty.status, 202);
  EXPECT_EQ(uint64_t(Parse(empty)["total_count"]), 0u);
  EXPECT_EQ(Parse(Get(Objects()))["more"].get_bool().value(), false);
}

// Every failure names the object's version (TAXII 2.1 §4.3.1 makes it required), and a STIX 2.0
// object is told so, not called structureless.
TEST_F(TaxiiServiceTest, FailuresNameTheirVersionAndStix20IsNamed) {
  const std::string no_modified = R"({"type":"marking-definition","spec_version":"2.1","id":"marking-definition--0badc0de-0000-4000-8000-0000000000bb","created":"2020-01-01T00:00:00.000Z","definition_type":"statement"})";
  const std::string sco = R"({"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"not an address"})";
  const std::string stix20 = R"({"type":"indicator","id":"indicator--0badc0de-0000-4000-8000-0000000000cc","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","labels":["malicious-activity"],"pattern":"[ipv4-addr:value = '198.51.100.1']","valid_from":"2020-01-01T00:00:00Z"})";
  Response r = Post(feeds_, {no_modified, sco, stix20});
  ASSERT_EQ(r.status, 202) << r.body;
  auto status = Parse(r);
  ASSERT_EQ(uint64_t(status["failure_count"]), 3u) << r.body;
  std::map<std::string, std::pair<std::string, std::string>> failures;
  for (auto f : status["failures"].get_array()) {
    failures[std::string(std::string_view(f["id"]))] = {std::string(std::string_view(f["version"])),
                                                         std::string(std::string_view(f["message"]))};
  }
  EXPECT_EQ(failures["marking-definition--0badc0de-0000-4000-8000-0000000000bb"].first,
            "2020-01-01T00:00:00.000Z");
  EXPECT_FALSE(failures["ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"].first.empty()) << r.body;
  EXPECT_TRUE(Timestamp::Parse(failures["ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"].first).ok());
  const auto& [version20, message20] = failures["indicator--0badc0de-0000-4000-8000-0000000000cc"];
  EXPECT_EQ(version20, "2020-01-01T00:00:00.000Z");
  EXPECT_NE(message20.find("STIX 2.0"), std::string::npos) << message20;
  // Alone in its envelope as well.
  Response alone = Post(feeds_, {stix20});
  ASSERT_EQ(alone.status, 202) << alone.body;
  EXPECT_NE(alone.body.find("STIX 2.0"), std::string::npos) << alone.body;
}

TEST_F(TaxiiServiceTest, ObjectsAreServedAsTheirStoredBytes) {
  std::string spaced = Indicator(7);
  spaced.insert(1, "  ");
  ASSERT_EQ(Post(feeds_, {spaced}).status, 202);
  Response r = Get(Objects());
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(spaced), std::string::npos);
  EXPECT_FALSE(HeaderOf(r, "X-TAXII-Date-Added-First").empty());
  EXPECT_EQ(HeaderOf(r, "X-TAXII-Date-Added-First"), HeaderOf(r, "X-TAXII-Date-Added-Last"));
}

TEST_F(TaxiiServiceTest, PagingVisitsEveryObjectOnceAndHeadersFrameEachPage) {
  std::vector<std::string> objects;
  for (int i = 0; i < 25; ++i) objects.push_back(Indicator(i));
  ASSERT_EQ(Post(feeds_, objects).status, 202);
  std::set<std::string> seen;
  std::string next;
  std::string last_added;
  int pages = 0;
  do {
    Params q{{"limit", "7"}, {"match[type]", "indicator"}};
    if (!next.empty()) q.emplace_back("next", next);
    Response r = Get(Objects(), q);
    ASSERT_EQ(r.status, 200) << r.body;
    ++pages;
    auto env = Parse(r);
    for (auto o : env["objects"].get_array()) {
      EXPECT_TRUE(seen.insert(std::string(std::string_view(o["id"]))).second);
    }
    std::string first(HeaderOf(r, "X-TAXII-Date-Added-First"));
    EXPECT_GT(first, last_added);
    last_added = std::string(HeaderOf(r, "X-TAXII-Date-Added-Last"));
    next = bool(env["more"]) ? std::string(std::string_view(env["next"])) : "";
  } while (!next.empty());
  EXPECT_EQ(seen.size(), 25u);
  EXPECT_EQ(pages, 4);
  // A token replayed with other filters is refused.
  Response first = Get(Objects(), {{"limit", "7"}});
  std::string token{std::string_view(Parse(first)["next"])};
  EXPECT_EQ(Get(Objects(), {{"match[type]", "malware"}, {"next", token}}).status, 400);
}

TEST_F(TaxiiServiceTest, APageEndsAtItsByteBudgetWithMoreAndNext) {
  ServiceOptions options;
  options.limits.max_page_bytes = 2 * Indicator(0).size() + 1;  // three objects pass it
  service_ = std::make_unique<Service>(
      options, [this] { return store::Store::Open(uri_); }, accounts_.get(), &gate_, 2);
  std::vector<std::string> objects;
  for (int i = 0; i < 7; ++i) objects.push_back(Indicator(i));
  ASSERT_EQ(Post(feeds_, objects).status, 202);
  auto page = Parse(Get(Objects(), {{"limit", "100"}}));
  EXPECT_EQ(page["objects"].get_array().size(), 3u);
  EXPECT_TRUE(bool(page["more"]));
  std::string next{std::string_view(page["next"])};
  auto rest = Parse(Get(Objects(), {{"limit", "100"}, {"next", next}}));
  EXPECT_EQ(rest["objects"].get_array().size(), 3u);
  // So do lists naming their objects, whose versions are chosen apart from the store's paging.
  std::string ids;
  for (int i = 0; i < 7; ++i) ids += (i ? "," : "") + IdOf(i);
  auto named = Parse(Get(Objects(), {{"limit", "100"}, {"match[id]", ids}}));
  EXPECT_EQ(named["objects"].get_array().size(), 3u);
  EXPECT_TRUE(bool(named["more"]));
  // Manifests carry no objects and are not cut short.
  EXPECT_EQ(Parse(Get("/api/collections/" + feeds_ + "/manifest/", {{"limit", "100"}}))["objects"]
                .get_array().size(), 7u);
}

TEST_F(TaxiiServiceTest, AddedAfterIsStrict) {
  ASSERT_EQ(Post(feeds_, {Indicator(1)}).status, 202);
  ASSERT_EQ(Post(feeds_, {Indicator(2)}).status, 202);
  Response all = Get(Objects());
  std::string first(HeaderOf(all, "X-TAXII-Date-Added-First"));
  auto env = Parse(Get(Objects(), {{"added_after", first}}));
  ASSERT_EQ(env["objects"].get_array().size(), 1u);
  EXPECT_EQ(std::string_view(env["objects"].at(0)["id"]), IdOf(2));
}

TEST_F(TaxiiServiceTest, VersionsManifestAndVersionSelection) {
  ASSERT_EQ(Post(feeds_, {Indicator(1, "2021-01-01T00:00:00.000Z")}).status, 202);
  ASSERT_EQ(Post(feeds_, {Indicator(1, "2021-06-01T00:00:00.000Z")}).status, 202);
  ASSERT_EQ(Post(feeds_, {Indicator(1, "2021-03-01T00:00:00.000Z")}).status, 202);
  std::string one = Objects() + IdOf(1) + "/";

  auto versions = Parse(Get(one + "versions/"));
  ASSERT_EQ(versions["versions"].get_array().size(), 3u);
  auto latest = Parse(Get(one));
  ASSERT_EQ(latest["objects"].get_array().size(), 1u);
  EXPECT_EQ(std::string_view(latest["objects"].at(0)["modified"]), "2021-06-01T00:00:00.000Z");
  auto firsts = Parse(Get(one, {{"match[version]", "first"}}));
  EXPECT_EQ(std::string_view(firsts["objects"].at(0)["modified"]), "2021-01-01T00:00:00.000Z");
  auto exact = Parse(Get(one, {{"match[version]", "2021-03-01T00:00:00.000Z"}}));
  EXPECT_EQ(std::string_view(exact["objects"].at(0)["modified"]), "2021-03-01T00:00:00.000Z");
  EXPECT_EQ(Parse(Get(one, {{"match[version]", "all"}}))["objects"].get_array().size(), 3u);

  auto manifest = Parse(Get("/api/collections/" + feeds_ + "/manifest/"));
  auto record = manifest["objects"].at(0);
  EXPECT_EQ(std::string_view(record["id"]), IdOf(1));
  EXPECT_EQ(std::string_view(record["version"]), "2021-06-01T00:00:00.000Z");
  EXPECT_EQ(std::string_view(record["media_type"]), "application/stix+json;version=2.1");
  EXPECT_FALSE(record["date_added"].error());

  EXPECT_EQ(Get(Objects() + IdOf(99) + "/").status, 404);
  EXPECT_EQ(Get(Objects() + IdOf(99) + "/versions/").status, 404);
}

// TAXII 2.1 §3.4.1, §5.3.1, §5.8: an object without `modified` is versioned by `created`.
TEST_F(TaxiiServiceTest, ObjectsWithoutModifiedAreVersionedByCreated) {
  std::string marking =
      R"({"type":"marking-definition","spec_version":"2.1","id":"marking-definition--)"
      R"(1f2e3d4c-5b6a-4978-8a6b-5c4d3e2f1a0b","created":"2022-10-01T00:00:00.000Z",)"
      R"("name":"Internal","definition_type":"statement","definition":{"statement":"x"}})";
  ASSERT_EQ(Post(feeds_, {marking}).status, 202);
  std::string id = "marking-definition--1f2e3d4c-5b6a-4978-8a6b-5c4d3e2f1a0b";
  auto manifest = Parse(Get("/api/collections/" + feeds_ + "/manifest/"));
  EXPECT_EQ(std::string_view(manifest["objects"].at(0)["version"]), "2022-10-01T00:00:00.000Z");
  auto versions = Parse(Get(Objects() + id + "/versions/"));
  EXPECT_EQ(std::string_view(versions["versions"].at(0)), "2022-10-01T00:00:00.000Z");
  Response exact = Get(Objects() + id + "/", {{"match[version]", "2022-10-01T00:00:00.000Z"}});
  EXPECT_EQ(exact.status, 200);
}

TEST_F(TaxiiServiceTest, ScosAreNamedByDateAddedAndThatNameSelectsThem) {
  std::string ip = R"({"type":"ipv4-addr","spec_version":"2.1",)"
                   R"("id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"})";
  std::string created_only =
      R"({"type":"marking-definition","spec_version":"2.1","id":"marking-definition--)"
      R"(2f2e3d4c-5b6a-4978-8a6b-5c4d3e2f1a0b","created":"2022-10-01T00:00:00.123456Z",)"
      R"("name":"Fine","definition_type":"statement","definition":{"statement":"x"}})";
  Response posted = Post(feeds_, {ip, created_only});
  ASSERT_EQ(posted.status, 202);
  // The status names a created-only object by its created, to the microsecond.
  EXPECT_NE(posted.body.find("2022-10-01T00:00:00.123456Z"), std::string::npos) << posted.body;
  std::string id = "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd";
  auto versions = Parse(Get(Objects() + id + "/versions/"));
  std::string version{std::string_view(versions["versions"].at(0))};
  Response exact = Get(Objects() + id + "/", {{"match[version]", version}});
  ASSERT_EQ(exact.status, 200) << version;
  EXPECT_NE(exact.body.find("198.51.100.3"), std::string::npos);
  EXPECT_EQ(Call("DELETE", Objects() + id + "/", {{"match[version]", version}}).status, 200);
  EXPECT_EQ(Get(Objects() + id + "/").status, 404);
}

TEST_F(TaxiiServiceTest, DeleteRemovesSelectedVersions) {
  ASSERT_EQ(Post(feeds_, {Indicator(1, "2021-01-01T00:00:00.000Z")}).status, 202);
  ASSERT_EQ(Post(feeds_, {Indicator(1, "2021-06-01T00:00:00.000Z")}).status, 202);
  std::string one = Objects() + IdOf(1) + "/";
  EXPECT_EQ(Call("DELETE", one, {}, "rita").status, 403);
  Response deleted = Call("DELETE", one, {{"match[version]", "first"}});
  EXPECT_EQ(deleted.status, 200);
  EXPECT_EQ(HeaderOf(deleted, "Content-Type"), "application/taxii+json;version=2.1");
  EXPECT_EQ(Parse(Get(one + "versions/"))["versions"].get_array().size(), 1u);
  EXPECT_EQ(Call("DELETE", one).status, 200);
  EXPECT_EQ(Get(one).status, 404);
  EXPECT_EQ(Call("DELETE", one).status, 404);
}

TEST_F(TaxiiServiceTest, WrongMethodsAndPathsAreClearErrors) {
  Response r = Call("PUT", Objects());
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(HeaderOf(r, "Allow"), "GET, HEAD, POST");
  EXPECT_EQ(Call("POST", "/taxii2/").status, 405);
  EXPECT_EQ(Get("/nope/").status, 404);
  EXPECT_EQ(Get("/api/collections/" + feeds_ + "/objects/x/y/z/").status, 404);
  EXPECT_EQ(Get(Objects(), {{"limit", "-1"}}).status, 400);
}

TEST_F(TaxiiServiceTest, PagingWhileWritingMissesNothingAndRepeatsNothing) {
  std::vector<std::string> initial;
  for (int i = 0; i < 300; ++i) initial.push_back(Indicator(i));
  ASSERT_EQ(Post(feeds_, initial).status, 202);
  std::atomic<bool> stop = false;
  std::thread writer([&] {
    for (int i = 300; i < 600 && !stop; i += 10) {
      std::vector<std::string> more;
      for (int j = i; j < i + 10; ++j) more.push_back(Indicator(j));
      EXPECT_EQ(Post(feeds_, more).status, 202);
    }
  });
  std::set<std::string> seen;
  std::string next;
  int repeats = 0;
  while (true) {
    Params q{{"limit", "13"}};
    if (!next.empty()) q.emplace_back("next", next);
    Response r = Get(Objects(), q);
    ASSERT_EQ(r.status, 200);
    simdjson::dom::parser parser;
    std::string body = r.body;
    auto env = parser.parse(body).value();
    if (!env["objects"].error()) {
      for (auto o : env["objects"].get_array()) {
        if (!seen.insert(std::string(std::string_view(o["id"]))).second) ++repeats;
      }
    }
    if (!bool(env["more"])) break;
    next = std::string(std::string_view(env["next"]));
  }
  stop = true;
  writer.join();
  EXPECT_EQ(repeats, 0);
  // Everything present before paging began was seen; the rest may or may not have been.
  for (int i = 0; i < 300; ++i) EXPECT_TRUE(seen.count(IdOf(i))) << i;
}

}  // namespace
}  // namespace ctihub::taxii
