// PeerSync against real nodes in one process: each node is a SQLite store in a temporary
// directory, its accounts, a TAXII service (with a NodeSigner) served by net::HttpServer on
// 127.0.0.1:0. Hooks around a node's handler play the misbehaving or slow peer (errors, pending
// status resources, tampered bodies) and record what went over the wire.
#include "sync/peer_sync.h"
#include "sync/internal/wire.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>

#include "auth/accounts.h"
#include "net/http_server.h"
#include "policy/marking_registry.h"
#include "policy/policy_gate.h"
#include "stix/object.h"
#include "store/sqlite/sqlite_store.h"
#include "sync/node_signer.h"
#include "taxii/service.h"

namespace ctihub::sync {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPassword = "correct horse battery";
constexpr char kClear[] = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
constexpr char kGreen[] = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
constexpr char kAmber[] = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
constexpr char kRed[] = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

std::string IdOf(int n) {
  char id[64];
  std::snprintf(id, sizeof id, "indicator--%08d-0000-4000-8000-000000000000", n);
  return id;
}

// An indicator; `marking` adds object_marking_refs, `modified` makes another version.
std::string Indicator(int n, std::string_view marking = "",
                      std::string_view modified = "2021-01-01T00:00:00.000Z",
                      std::string_view description = "d") {
  std::string text = R"({"type":"indicator","spec_version":"2.1","id":")" + IdOf(n) +
                     R"(","created":"2021-01-01T00:00:00.000Z","modified":")" +
                     std::string(modified) +
                     R"(","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix",)"
                     R"("valid_from":"2021-01-01T00:00:00Z","description":")" +
                     std::string(description) + "\"";
  if (!marking.empty()) text += R"(,"object_marking_refs":[")" + std::string(marking) + "\"]";
  return text + "}";
}

std::string Key(std::string_view id, std::string_view version) {
  return std::string(id) + "@" + std::string(version);
}

bool HasPrefix(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string HeaderOf(const std::vector<std::pair<std::string, std::string>>& headers,
                     std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (n.size() == name.size() && std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
          return std::tolower(a) == std::tolower(b);
        })) {
      return v;
    }
  }
  return {};
}

net::HttpResponse TaxiiError(int status, std::string_view title) {
  taxii::Response r = taxii::Service::Error(status, title);
  return net::HttpResponse{r.status, std::move(r.headers), std::move(r.body)};
}

// One request as the serving node saw it.
struct Exchange {
  std::string method, target, path;
  int status = 0;
  std::string date_added_last;  // X-TAXII-Date-Added-Last of the response
};

// A hub: store, accounts, TAXII service, and its server once Serve() is called. The node's own
// organisation is `name`; `partner` is the other node's organisation, whose node signs in here
// as "<partner>-sync".
class Node {
 public:
  // Called before the service; a response ends the request there.
  using Before = std::function<std::optional<net::HttpResponse>(const net::HttpRequest&)>;
  // Called on the service's response before it is sent (signed already, when signing).
  using After = std::function<void(const net::HttpRequest&, net::HttpResponse&)>;

  Node(std::string name, std::string partner) : name_(std::move(name)) {
    partner_ = std::move(partner);
    path_ = fs::temp_directory_path() /
            ("ctihub-peer-sync-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + "-" + name_ + ".db");
    Cleanup();
    uri_ = "sqlite:" + path_.string();
  }
  ~Node() {
    Stop();
    service_.reset();
    accounts_.reset();
    store_.reset();
    Cleanup();
  }

  // Collections "feeds" (the partner may read) and "inbox" (it may read and write); the
  // partner's organisation and its account "<partner>-sync".
  void Init() {
    auto st = store::Store::Open(uri_);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    store_ = std::move(*st);
    feeds_ = store_->EnsureCollection("feeds")->id;
    inbox_ = store_->EnsureCollection("inbox")->id;
    auto accounts = auth::Accounts::Open(uri_, auth::HashingCost{1, 1024, 1, 8, 5000});
    ASSERT_TRUE(accounts.ok()) << accounts.status().ToString();
    accounts_ = std::move(*accounts);
    auth::Organisation org;
    org.name = partner_;
    ASSERT_TRUE(accounts_->AddOrganisation(org).ok());
    auth::User user;
    user.name = partner_ + "-sync";
    user.organisation = partner_;
    ASSERT_TRUE(accounts_->AddUser(user, kPassword).ok());
    const std::string grantee = "org:" + partner_;
    ASSERT_TRUE(accounts_->SetGrant({feeds_, grantee, auth::Permission::kRead}).ok());
    ASSERT_TRUE(accounts_->SetGrant({inbox_, grantee, auth::Permission::kReadWrite}).ok());
    Result<SigningKey> key = SigningKey::Generate();
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    key_ = std::make_unique<SigningKey>(std::move(*key));
    signer_ = std::make_unique<NodeSigner>(key_.get());
    gate_ = std::make_unique<store::AllowAllGate>();
  }

  // Another collection the partner may read and write.
  std::string AddCollection(const std::string& name) {
    Result<store::Collection> c = store_->EnsureCollection(name);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok()) return {};
    EXPECT_TRUE(accounts_->SetGrant({c->id, "org:" + partner_, auth::Permission::kReadWrite}).ok());
    return c->id;
  }

  // What this node releases to callers (and to the peers it pushes to); AllowAllGate until set.
  void SetGate(std::unique_ptr<store::ReleaseGate> gate) { gate_ = std::move(gate); }
  // A gate whose agreement with the partner has this TLP ceiling.
  void SetAgreement(policy::TlpLevel ceiling) {
    policy::Agreement agreement;
    agreement.tlp_ceiling = ceiling;
    SetAgreement(agreement);
  }
  void SetAgreement(policy::Agreement agreement) {
    policy::PolicyOptions options;
    options.node_organisation = name_;
    agreement.partner = partner_;
    options.agreements = {agreement};
    auto gate = policy::PolicyGate::Make(options, std::make_shared<policy::MarkingRegistry>());
    ASSERT_TRUE(gate.ok()) << gate.status().ToString();
    gate_ = std::move(*gate);
  }

  // Starts serving TAXII; `signed_responses` sets the node's NodeSigner on the service.
  // `deletion_feed`: the partner is told which of what it read here was deleted.
  void Serve(bool signed_responses = true, bool deletion_feed = false) {
    taxii::ServiceOptions service_options;
    if (deletion_feed) service_options.deletion_feed_organisations = {partner_};
    service_ = std::make_unique<taxii::Service>(
        service_options, [uri = uri_] { return store::Store::Open(uri); }, accounts_.get(), gate_.get(),
        4);
    if (signed_responses) service_->SetSigner(signer_.get());
    net::ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.threads = 1;
    options.handler_threads = 2;
    options.shutdown_timeout = std::chrono::milliseconds(2000);
    auto server = net::HttpServer::Start(
        options, [this](net::HttpRequest&& in) { return Handle(std::move(in)); });
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
  }
  void Stop() {
    if (!server_) return;
    server_->Shutdown();
    server_->Wait();
    server_.reset();
  }

  void SetHooks(Before before, After after = nullptr) {
    std::lock_guard lock(mu_);
    before_ = std::move(before);
    after_ = std::move(after);
  }
  std::vector<Exchange> log() const {
    std::lock_guard lock(mu_);
    return log_;
  }
  void ClearLog() {
    std::lock_guard lock(mu_);
    log_.clear();
  }
  size_t Count(std::string_view method, std::string_view path_part, int status = 0) const {
    size_t n = 0;
    for (const Exchange& e : log()) {
      if (e.method == method && e.path.find(path_part) != std::string::npos &&
          (status == 0 || e.status == status)) {
        ++n;
      }
    }
    return n;
  }

  void Add(std::string_view collection, const std::vector<std::string>& texts,
           std::string_view origin = {}) {
    simdjson::dom::parser parser;
    std::vector<stix::ObjectVersion> batch;
    for (const std::string& text : texts) {
      Result<stix::ObjectVersion> v = stix::ExtractObjectVersion(parser, text);
      ASSERT_TRUE(v.ok()) << v.status().ToString();
      batch.push_back(std::move(*v));
    }
    Result<store::PutResult> put =
        store_->Put(collection, batch, store::PutMode::kAllOrNothing, origin);
    ASSERT_TRUE(put.ok()) << put.status().ToString();
    ASSERT_EQ(put->rejected, 0u);
  }
  // Every stored version of a collection: "id@modified" → exact text.
  std::map<std::string, std::string> Contents(std::string_view collection) {
    std::map<std::string, std::string> out;
    Result<store::Collection> c = store_->FindCollection(collection);
    if (!c.ok()) return out;
    store::Query q;
    q.versions = store::VersionMatch::All();
    q.limit = 10000;
    Result<store::Page> page = store_->List(c->id, q);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) return out;
    EXPECT_FALSE(page->more);
    for (const store::StoredObject& o : page->objects) {
      EXPECT_TRUE(out.emplace(Key(o.id, o.version_text), o.text).second) << "twice: " << o.id;
    }
    return out;
  }

  // How `peer` (this node's view of the partner's node) is configured by default: pull the
  // partner's "feeds" into "from-<partner>", push our "feeds" into its "inbox".
  PeerConfig PeerOf(const Node& other) const {
    PeerConfig p;
    p.name = other.name_;
    p.organisation = other.name_;
    p.url = other.url();
    p.pull_from = "feeds";
    p.pull_into = "from-" + other.name_;
    p.push_from = {"feeds"};
    p.push_to = "inbox";
    p.username = name_ + "-sync";
    p.password = std::string(kPassword);
    p.client.connect_timeout = std::chrono::milliseconds(2000);
    p.client.request_timeout = std::chrono::milliseconds(5000);
    p.status_timeout = std::chrono::seconds(5);
    return p;
  }
  Result<SyncReport> Sync(PeerConfig peer, const SigningKey* key) {
    PeerSync sync(std::move(peer), *store_, *gate_, key, name_);
    return sync.RunOnce();
  }
  Result<SyncReport> Sync(PeerConfig peer) { return Sync(std::move(peer), key_.get()); }

  std::string url() const {
    return server_ ? "http://127.0.0.1:" + std::to_string(server_->port()) : "";
  }
  const std::string& uri() const { return uri_; }
  const std::string& feeds() const { return feeds_; }
  const std::string& inbox() const { return inbox_; }
  store::Store& store() { return *store_; }
  const store::ReleaseGate& gate() const { return *gate_; }
  const SigningKey& key() const { return *key_; }
  NodeSigner& signer() { return *signer_; }

 private:
  net::HttpResponse Handle(net::HttpRequest&& in) {
    Before before;
    After after;
    {
      std::lock_guard lock(mu_);
      before = before_;
      after = after_;
    }
    net::HttpResponse response;
    std::optional<net::HttpResponse> early;
    if (before) early = before(in);
    if (early) {
      response = std::move(*early);
    } else {
      taxii::Request request;
      request.method = in.method;
      request.path = in.path;
      request.query = in.query;
      request.headers = in.headers;
      request.body = in.body;
      request.remote_address = in.remote_address;
      taxii::Response r = service_->Handle(request);
      response = net::HttpResponse{r.status, std::move(r.headers), std::move(r.body)};
      if (after) after(in, response);
    }
    std::lock_guard lock(mu_);
    log_.push_back({in.method, in.target, in.path, response.status,
                    HeaderOf(response.headers, "x-taxii-date-added-last")});
    return response;
  }

  void Cleanup() {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_.string() + suffix);
  }

  std::string name_, partner_;
  fs::path path_;
  std::string uri_, feeds_, inbox_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<auth::Accounts> accounts_;
  std::unique_ptr<store::ReleaseGate> gate_;
  std::unique_ptr<SigningKey> key_;
  std::unique_ptr<NodeSigner> signer_;
  std::unique_ptr<taxii::Service> service_;
  std::unique_ptr<net::HttpServer> server_;
  mutable std::mutex mu_;
  Before before_;
  After after_;
  std::vector<Exchange> log_;
};

bool IsObjectsGet(const net::HttpRequest& r) {
  return r.method == "GET" && r.path.find("/objects/") != std::string::npos;
}
bool IsObjectsGetTarget(std::string_view target) {
  return target.find("/objects/") != std::string_view::npos;
}
std::string PercentEncodeForTest(std::string_view v) { return internal::PercentEncode(v); }

class PeerSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::RegisterSqliteBackend();
    eu_ = std::make_unique<Node>("eu", "nato");
    nato_ = std::make_unique<Node>("nato", "eu");
    ASSERT_NO_FATAL_FAILURE(eu_->Init());
    ASSERT_NO_FATAL_FAILURE(nato_->Init());
  }
  void TearDown() override {
    eu_.reset();
    nato_.reset();
  }

  PeerConfig PullFromNato(size_t page_size = 1000) {
    PeerConfig p = eu_->PeerOf(*nato_);
    p.pull = true;
    p.page_size = page_size;
    return p;
  }
  PeerConfig PushToNato(size_t batch = 1000) {
    PeerConfig p = eu_->PeerOf(*nato_);
    p.push = true;
    p.push_batch = batch;
    return p;
  }
  PeerState StateOfNato() {
    Result<PeerState> state = LoadPeerState(eu_->store(), "nato");
    EXPECT_TRUE(state.ok()) << state.status().ToString();
    return state.ok() ? *state : PeerState{};
  }
  // The stored texts a collection of `texts` becomes.
  static std::map<std::string, std::string> Expected(const std::vector<std::string>& texts) {
    simdjson::dom::parser parser;
    std::map<std::string, std::string> out;
    for (const std::string& t : texts) {
      Result<stix::ObjectVersion> v = stix::ExtractObjectVersion(parser, t);
      EXPECT_TRUE(v.ok());
      if (v.ok()) out[Key(v->id, v->modified_text)] = t;
    }
    return out;
  }

  std::unique_ptr<Node> eu_, nato_;
};

// ---------------------------------------------------------------------------------------------
// Pull

TEST_F(PeerSyncTest, PullPagesThroughEverythingOnceWithExactBytesAndAWatermarkPerPage) {
  std::vector<std::string> texts;
  for (int n = 1; n <= 7; ++n) texts.push_back(Indicator(n, n % 2 ? kGreen : ""));
  // A second version of one object, and a text with its own spacing: both travel as they are.
  texts.push_back(Indicator(3, kGreen, "2022-02-02T00:00:00.000Z", "second version"));
  texts.push_back("{ \"type\": \"indicator\",  \"id\": \"" + IdOf(8) +
                  "\", \"spec_version\": \"2.1\", \"created\": \"2021-01-01T00:00:00.000Z\", "
                  "\"modified\": \"2021-01-01T00:00:00.000Z\", \"pattern_type\": \"stix\", "
                  "\"pattern\": \"[url:value = 'http://caf\\u00e9.example/']\", "
                  "\"valid_from\": \"2021-01-01T00:00:00Z\" }");
  ASSERT_NO_FATAL_FAILURE(nato_->Add(nato_->feeds(), texts));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());

  // What eu has persisted when each page is asked for (its own store connection, as a second
  // process would see it).
  std::mutex mu;
  std::vector<std::optional<Timestamp>> watermark_at_request;
  nato_->SetHooks([&](const net::HttpRequest& r) -> std::optional<net::HttpResponse> {
    if (!IsObjectsGet(r)) return std::nullopt;
    auto other = store::Store::Open(eu_->uri());
    EXPECT_TRUE(other.ok());
    std::optional<Timestamp> watermark;
    if (other.ok()) {
      Result<PeerState> state = LoadPeerState(**other, "nato");
      EXPECT_TRUE(state.ok());
      if (state.ok()) watermark = state->pull_watermark;
    }
    std::lock_guard lock(mu);
    watermark_at_request.push_back(watermark);
    return std::nullopt;
  });

  Result<SyncReport> report = eu_->Sync(PullFromNato(/*page_size=*/2));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->pulled_pages, 5u) << DescribeReport(*report);
  EXPECT_EQ(report->pulled_objects, 9u);
  EXPECT_EQ(report->pulled_new, 8u);
  EXPECT_EQ(report->pulled_new_versions, 1u);
  EXPECT_EQ(report->pulled_duplicates, 0u);
  EXPECT_EQ(report->pulled_rejected, 0u);
  EXPECT_TRUE(report->error.empty());
  EXPECT_EQ(eu_->Contents("from-nato"), Expected(texts));

  // Page i + 1 is asked for while page i is stored (prefetch), so by the time page i + 2 is asked
  // for, page i's watermark is persisted.
  std::vector<Exchange> pages;
  for (const Exchange& e : nato_->log()) {
    if (e.method == "GET" && e.path.find("/objects/") != std::string::npos) pages.push_back(e);
  }
  ASSERT_EQ(pages.size(), 5u);
  ASSERT_EQ(watermark_at_request.size(), 5u);
  EXPECT_FALSE(watermark_at_request[0].has_value());
  for (size_t i = 0; i < pages.size(); ++i) {
    EXPECT_EQ(pages[i].status, 200) << pages[i].target;
    ASSERT_FALSE(pages[i].date_added_last.empty()) << pages[i].target;
    if (i + 2 < pages.size()) {
      ASSERT_TRUE(watermark_at_request[i + 2].has_value()) << "page " << i + 2;
      EXPECT_GE(watermark_at_request[i + 2]->ToString(), pages[i].date_added_last)
          << "page " << i + 2;
    }
  }
  PeerState state = StateOfNato();
  ASSERT_TRUE(state.pull_watermark.has_value());
  EXPECT_EQ(state.pull_watermark->ToString(), pages.back().date_added_last);
  EXPECT_EQ(state.pull_next, "");
  EXPECT_FALSE(state.pull_remote_collection.empty());
  EXPECT_TRUE(state.last_success.has_value());
  EXPECT_EQ(state.last_error, "");
  EXPECT_EQ(state.consecutive_failures, 0u);

  // A second round asks from the watermark and moves nothing.
  nato_->ClearLog();
  Result<SyncReport> again = eu_->Sync(PullFromNato(2));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->pulled_objects, 0u) << DescribeReport(*again);
  EXPECT_EQ(again->pulled_new, 0u);
  EXPECT_EQ(nato_->Count("GET", "/objects/"), 1u);
  EXPECT_EQ(eu_->Contents("from-nato").size(), 9u);
}

TEST_F(PeerSyncTest, PullFollowsNextWithoutTheServerRefusingItsOwnTokens) {
  std::vector<std::string> texts;
  for (int n = 1; n <= 6; ++n) texts.push_back(Indicator(n));
  ASSERT_NO_FATAL_FAILURE(nato_->Add(nato_->feeds(), texts));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  Result<SyncReport> report = eu_->Sync(PullFromNato(2));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->pulled_new, 6u);
  // A `next` token belongs to the filters it was issued with (added_after included): sent with
  // other filters it is refused, and each page would cost a 400 and a second request.
  EXPECT_EQ(nato_->Count("GET", "/objects/", 400), 0u);
  EXPECT_EQ(nato_->Count("GET", "/objects/"), 3u);
  size_t with_next = 0;
  for (const Exchange& e : nato_->log()) {
    if (e.target.find("next=") != std::string::npos) ++with_next;
  }
  EXPECT_EQ(with_next, 2u);
}

// A server that forgets its `next` tokens (medallion keeps them in memory) answers 400: the pull
// goes on from just before the watermark, so objects sharing the last page's date_added (all of
// one POST, at medallion) are not skipped.
TEST_F(PeerSyncTest, PullGoesOnFromJustBeforeTheWatermarkWhenANextTokenIsRefused) {
  std::vector<std::string> texts;
  for (int n = 1; n <= 7; ++n) texts.push_back(Indicator(n));
  ASSERT_NO_FATAL_FAILURE(nato_->Add(nato_->feeds(), texts));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  nato_->SetHooks([&](const net::HttpRequest& r) -> std::optional<net::HttpResponse> {
    if (IsObjectsGet(r) && r.target.find("next=") != std::string::npos) {
      return TaxiiError(400, "Unknown next token");
    }
    return std::nullopt;
  });
  Result<SyncReport> report = eu_->Sync(PullFromNato(3));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(eu_->Contents("from-nato"), Expected(texts));
  EXPECT_EQ(report->pulled_new, 7u) << DescribeReport(*report);
  EXPECT_GT(report->pulled_duplicates, 0u) << "the object at the watermark comes again";
  std::string previous_last;
  for (const Exchange& e : nato_->log()) {
    if (!IsObjectsGetTarget(e.target) || e.status != 200) continue;
    if (!previous_last.empty()) {
      // Each page after the first asks from one microsecond before the previous page's end.
      Result<Timestamp> last = Timestamp::Parse(previous_last);
      ASSERT_TRUE(last.ok());
      const std::string expected =
          "added_after=" + PercentEncodeForTest(Timestamp(last->micros() - 1).ToString());
      EXPECT_NE(e.target.find(expected), std::string::npos) << e.target;
    }
    previous_last = e.date_added_last;
  }
}

TEST_F(PeerSyncTest, PullResumesAfterAFailureMidRoundFromTheLastStoredPage) {
  std::vector<std::string> texts = {Indicator(1)};
  ASSERT_NO_FATAL_FAILURE(nato_->Add(nato_->feeds(), texts));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  ASSERT_TRUE(eu_->Sync(PullFromNato(3)).ok());  // a first round: the next one has a watermark
  for (int n = 2; n <= 10; ++n) texts.push_back(Indicator(n));
  ASSERT_NO_FATAL_FAILURE(
      nato_->Add(nato_->feeds(), std::vector<std::string>(texts.begin() + 1, texts.end())));
  // Two pages are served, then the peer breaks down (for every retry too).
  std::atomic<int> pages{0};
  nato_->SetHooks([&](const net::HttpRequest& r) -> std::optional<net::HttpResponse> {
    if (IsObjectsGet(r) && ++pages > 2) return TaxiiError(500, "Internal error");
    return std::nullopt;
  });
  nato_->ClearLog();
  Result<SyncReport> failed = eu_->Sync(PullFromNato(3));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable) << failed.status().ToString();
  EXPECT_NE(failed.status().message().find("500"), std::string::npos) << failed.status().message();
  EXPECT_NE(failed.status().message().find("Internal error"), std::string::npos);
  EXPECT_NE(failed.status().message().find("gave up"), std::string::npos);
  EXPECT_EQ(eu_->Contents("from-nato").size(), 7u);
  std::string second_page_last;
  for (const Exchange& e : nato_->log()) {
    if (e.status == 200 && !e.date_added_last.empty()) second_page_last = e.date_added_last;
  }
  PeerState state = StateOfNato();
  ASSERT_TRUE(state.pull_watermark.has_value());
  EXPECT_EQ(state.pull_watermark->ToString(), second_page_last);
  EXPECT_FALSE(state.pull_next.empty()) << "the round stopped inside a paging sequence";
  EXPECT_EQ(state.last_error, failed.status().message());
  EXPECT_EQ(state.consecutive_failures, 1u);

  // The peer recovers: the next round goes on with the token where the last one stopped
  // (the server accepts it: same filters) and takes what is left, once.
  nato_->SetHooks(nullptr);
  nato_->ClearLog();
  Result<SyncReport> resumed = eu_->Sync(PullFromNato(3));
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(resumed->pulled_new, 3u) << DescribeReport(*resumed);
  EXPECT_LE(resumed->pulled_duplicates, 3u) << "at most the page being stored again";
  EXPECT_EQ(eu_->Contents("from-nato"), Expected(texts));
  std::vector<Exchange> log = nato_->log();
  auto first_page = std::find_if(log.begin(), log.end(), [](const Exchange& e) {
    return e.path.find("/objects/") != std::string::npos;
  });
  ASSERT_NE(first_page, log.end());
  EXPECT_NE(first_page->target.find("next="), std::string::npos) << first_page->target;
  EXPECT_EQ(nato_->Count("GET", "/objects/", 400), 0u);
  state = StateOfNato();
  EXPECT_EQ(state.consecutive_failures, 0u);
  EXPECT_EQ(state.last_error, "");
  EXPECT_EQ(state.pull_next, "");
  EXPECT_FALSE(state.pull_next_added_after.has_value());
}

TEST_F(PeerSyncTest, PullRetriesTransientErrorsAndSucceeds) {
  ASSERT_NO_FATAL_FAILURE(nato_->Add(nato_->feeds(), {Indicator(1), Indicator(2)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  std::atomic<int> seen{0};
  nato_->SetHooks([&](const net::HttpRequest&) -> std::optional<net::HttpResponse> {
    if (++seen <= 2) {
      net::HttpResponse busy = TaxiiError(503, "Busy");
      busy.headers.emplace_back("Retry-After", "0");
      return busy;
    }
    return std::nullopt;
  });
  Result<SyncReport> report = eu_->Sync(PullFromNato());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->pulled_new, 2u);
  EXPECT_EQ(nato_->Count("GET", "/", 503), 2u);
  EXPECT_EQ(StateOfNato().consecutive_failures, 0u);
}

TEST_F(PeerSyncTest, PullWaitsAsLongAsRetryAfterAsks) {
  ASSERT_NO_FATAL_FAILURE(nato_->Add(nato_->feeds(), {Indicator(1)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  std::atomic<int> seen{0};
  nato_->SetHooks([&](const net::HttpRequest&) -> std::optional<net::HttpResponse> {
    if (++seen > 1) return std::nullopt;
    net::HttpResponse busy = TaxiiError(429, "Slow down");
    busy.headers.emplace_back("Retry-After", "1");
    return busy;
  });
  const auto start = std::chrono::steady_clock::now();
  Result<SyncReport> report = eu_->Sync(PullFromNato());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
  EXPECT_EQ(report->pulled_new, 1u);
}

TEST_F(PeerSyncTest, PullStopsWhenAServerKeepsSayingMoreWithNothingInIt) {
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  std::atomic<int> pages{0};
  nato_->SetHooks(nullptr, [&](const net::HttpRequest& r, net::HttpResponse& response) {
    if (!IsObjectsGet(r)) return;
    response.status = 200;
    response.body = R"({"more":true,"next":"again)" + std::to_string(pages++) + R"(","objects":[]})";
  });
  Result<SyncReport> report = eu_->Sync(PullFromNato());
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("empty pages"), std::string::npos)
      << report.status().ToString();
  // Three stored, and at most the one asked for while the third was read.
  EXPECT_GE(pages.load(), 3);
  EXPECT_LE(pages.load(), 4);
}

// A peer whose `next` tokens come round again (one object a page, "p0", "p1", "p0" …) would keep
// a round going for ever: the repeat ends it.
TEST_F(PeerSyncTest, PullStopsWhenNextTokensGoRoundInACircle) {
  ASSERT_NO_FATAL_FAILURE(nato_->Add(nato_->feeds(), {Indicator(1)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve(/*signed_responses=*/false));
  std::atomic<int> pages{0};
  nato_->SetHooks(nullptr, [&](const net::HttpRequest& r, net::HttpResponse& response) {
    if (!IsObjectsGet(r) || response.status != 200) return;
    const std::string token = "p" + std::to_string(pages++ % 2);
    response.body.replace(response.body.find("\"more\":false"), 12,
                          "\"more\":true,\"next\":\"" + token + "\"");
  });
  Result<SyncReport> report = eu_->Sync(PullFromNato());
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("circle"), std::string::npos)
      << report.status().ToString();
  EXPECT_LE(pages.load(), 4);
}

// The watermark is the peer's X-TAXII-Date-Added-Last: one far in the future would skip all it
// adds until then, so it is refused (an unsigned peer's header, say changed on the way).
TEST_F(PeerSyncTest, PullRefusesAWatermarkInTheFuture) {
  ASSERT_NO_FATAL_FAILURE(nato_->Add(nato_->feeds(), {Indicator(1)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve(/*signed_responses=*/false));
  nato_->SetHooks(nullptr, [](const net::HttpRequest& r, net::HttpResponse& response) {
    if (!IsObjectsGet(r)) return;
    for (auto& [name, value] : response.headers) {
      if (name == "X-TAXII-Date-Added-Last") value = "2099-01-01T00:00:00.000000Z";
    }
  });
  Result<SyncReport> report = eu_->Sync(PullFromNato());
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("in the future"), std::string::npos)
      << report.status().ToString();
  EXPECT_FALSE(StateOfNato().pull_watermark.has_value());
}

// A signed response covers the request's nonce and the date headers: a watermark header changed
// on the way, or a response captured earlier and given to another request, is refused.
TEST_F(PeerSyncTest, ASignedResponseIsBoundToItsRequestAndDateHeaders) {
  ASSERT_NO_FATAL_FAILURE(nato_->Add(nato_->feeds(), {Indicator(1), Indicator(2)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  nato_->SetHooks(nullptr, [](const net::HttpRequest& r, net::HttpResponse& response) {
    if (!IsObjectsGet(r)) return;
    for (auto& [name, value] : response.headers) {
      if (name == "X-TAXII-Date-Added-Last") value = "2026-01-01T00:00:00.000000Z";
    }
  });
  PeerConfig peer = PullFromNato();
  peer.trusted_keys = {nato_->key().public_key()};
  peer.require_signatures = true;
  Result<SyncReport> report = eu_->Sync(peer);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("signature"), std::string::npos)
      << report.status().message();
  EXPECT_TRUE(eu_->Contents("from-nato").empty());
  EXPECT_FALSE(StateOfNato().pull_watermark.has_value());

  // Pushing: the first batch's signed status, given again as the answer to the second POST
  // (which never reaches nato), is refused rather than counted as accepted.
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), {Indicator(3), Indicator(4)}));
  std::mutex mu;
  std::optional<net::HttpResponse> captured;
  nato_->SetHooks(
      [&](const net::HttpRequest& r) -> std::optional<net::HttpResponse> {
        std::lock_guard lock(mu);
        if (r.method == "POST" && captured) return captured;
        return std::nullopt;
      },
      [&](const net::HttpRequest& r, net::HttpResponse& response) {
        std::lock_guard lock(mu);
        if (r.method == "POST" && !captured) captured = response;
      });
  PeerConfig push = PushToNato(/*batch=*/1);
  push.trusted_keys = {nato_->key().public_key()};
  push.require_signatures = true;
  Result<SyncReport> pushed = eu_->Sync(push);
  ASSERT_FALSE(pushed.ok());
  EXPECT_NE(pushed.status().message().find("signature"), std::string::npos)
      << pushed.status().message();
  EXPECT_EQ(nato_->Contents("inbox").size(), 1u);
}

// A push target's status names failures: only those of objects the batch sent are recorded,
// each once, so a hostile status cannot fill this node's store.
TEST_F(PeerSyncTest, OnlyFailuresOfWhatWasSentAreRecorded) {
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), {Indicator(1)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve(/*signed_responses=*/false));
  nato_->SetHooks(nullptr, [](const net::HttpRequest& r, net::HttpResponse& response) {
    if (r.method != "POST" || response.status != 202) return;
    std::string failures;
    for (int i = 0; i < 500; ++i) {
      failures += std::string(i ? "," : "") + R"({"id":"indicator--)" +
                  (i == 0 ? IdOf(1).substr(11) : "00000000-0000-4000-8000-" + std::to_string(100000000000 + i)) +
                  R"(","version":"2021-01-01T00:00:00.000Z","message":")" +
                  std::string(5000, 'x') + R"("})";
    }
    failures += R"(,{"id":")" + IdOf(1) + R"(","version":"2021-01-01T00:00:00.000Z","message":"again"})";
    response.body = R"({"id":"a1b2c3d4-0000-4000-8000-000000000000","status":"complete",)"
                    R"("total_count":1,"success_count":0,"failure_count":502,"failures":[)" +
                    failures + R"(],"pending_count":0})";
  });
  Result<SyncReport> report = eu_->Sync(PushToNato());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->pushed_failed, 1u) << DescribeReport(*report);
  EXPECT_EQ(StateOfNato().failed_objects, 1u);
  Result<std::optional<std::string>> record =
      eu_->store().GetRecord("sync-failure", "nato/" + Key(IdOf(1), "2021-01-01T00:00:00.000Z"));
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((*record)->size(), 1024u);
}

// A "complete" status that decides fewer objects than were sent (a broken or hostile peer) does
// not move the cursor: the round fails and the batch is sent again (found in review).
TEST_F(PeerSyncTest, AStatusThatLeavesObjectsUndecidedSendsTheBatchAgain) {
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), {Indicator(1), Indicator(2)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve(/*signed_responses=*/false));
  bool lie = true;
  nato_->SetHooks(nullptr, [&lie](const net::HttpRequest& r, net::HttpResponse& response) {
    if (!lie || r.method != "POST" || response.status != 202) return;
    response.body = R"({"id":"a1b2c3d4-0000-4000-8000-000000000000","status":"complete",)"
                    R"("total_count":2,"success_count":1,"failure_count":0,"pending_count":0})";
  });
  Result<SyncReport> report = eu_->Sync(PushToNato());
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("decided 1 of the 2 objects sent"), std::string::npos)
      << report.status().ToString();
  lie = false;
  Result<SyncReport> again = eu_->Sync(PushToNato());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->pushed_objects, 2u) << DescribeReport(*again);
}

TEST_F(PeerSyncTest, PullRejectsInvalidObjectsOneByOneAndStoresTheRest) {
  ASSERT_NO_FATAL_FAILURE(nato_->Add(nato_->feeds(), {Indicator(1), Indicator(2)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  // The peer serves an object its own checks let through but ours do not (no pattern).
  std::string broken = Indicator(9);
  broken.replace(broken.find("\"pattern\":"),
                 broken.find("\"pattern_type\"") - broken.find("\"pattern\":"), "");
  nato_->SetHooks(nullptr, [&](const net::HttpRequest& r, net::HttpResponse& response) {
    if (!IsObjectsGet(r) || response.status != 200) return;
    size_t at = response.body.find("\"objects\":[");
    if (at != std::string::npos) response.body.insert(at + 11, broken + ",");
  });
  Result<SyncReport> report = eu_->Sync(PullFromNato());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->pulled_objects, 3u);
  EXPECT_EQ(report->pulled_new, 2u);
  EXPECT_EQ(report->pulled_rejected, 1u);
  ASSERT_EQ(report->rejections.size(), 1u);
  EXPECT_TRUE(HasPrefix(report->rejections[0], IdOf(9) + ": ")) << report->rejections[0];
  EXPECT_NE(report->rejections[0].find("pattern"), std::string::npos) << report->rejections[0];
  EXPECT_EQ(eu_->Contents("from-nato").size(), 2u);
}

TEST_F(PeerSyncTest, PullStartsOverWhenItsCollectionsChange) {
  // The peer's "archive" was filled before its "feeds": its objects are older than anything
  // the feeds watermark lets through.
  const std::string archive = nato_->AddCollection("archive");
  ASSERT_NO_FATAL_FAILURE(nato_->Add(archive, {Indicator(50), Indicator(51)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Add(nato_->feeds(), {Indicator(1), Indicator(2)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  ASSERT_TRUE(eu_->Sync(PullFromNato()).ok());
  EXPECT_EQ(eu_->Contents("from-nato").size(), 2u);
  PeerConfig peer = PullFromNato();
  peer.pull_from = "archive";
  Result<SyncReport> report = eu_->Sync(peer);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->pulled_new, 2u) << DescribeReport(*report);
  EXPECT_EQ(eu_->Contents("from-nato").size(), 4u);
  EXPECT_EQ(StateOfNato().pull_remote_collection, archive);
  // A new local collection gets the whole remote one too (duplicates elsewhere are harmless).
  peer.pull_into = "archive-of-nato";
  Result<SyncReport> into = eu_->Sync(peer);
  ASSERT_TRUE(into.ok()) << into.status().ToString();
  EXPECT_EQ(into->pulled_new, 2u) << DescribeReport(*into);
  EXPECT_EQ(eu_->Contents("archive-of-nato").size(), 2u);
  // Unchanged: nothing moves.
  Result<SyncReport> again = eu_->Sync(peer);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->pulled_objects, 0u);
}

// ---------------------------------------------------------------------------------------------
// Push

TEST_F(PeerSyncTest, PushStartsOverWhenItsTargetChanges) {
  const std::string other_inbox = nato_->AddCollection("other-inbox");
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), {Indicator(1), Indicator(2)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  ASSERT_TRUE(eu_->Sync(PushToNato()).ok());
  EXPECT_EQ(nato_->Contents("inbox").size(), 2u);
  PeerConfig peer = PushToNato();
  peer.push_to = "other-inbox";
  Result<SyncReport> report = eu_->Sync(peer);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->pushed_objects, 2u) << DescribeReport(*report);
  EXPECT_EQ(nato_->Contents("other-inbox").size(), 2u);
  EXPECT_EQ(StateOfNato().push_remote_collection, other_inbox);
  Result<SyncReport> again = eu_->Sync(peer);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->pushed_objects, 0u);
}

TEST_F(PeerSyncTest, PushSendsOnlyWhatTheAgreementReleasesAndCountsTheRest) {
  ASSERT_NO_FATAL_FAILURE(eu_->SetAgreement(policy::TlpLevel::kGreen));
  const std::vector<std::string> released = {Indicator(1, kGreen), Indicator(2, kClear),
                                             Indicator(3, kGreen), Indicator(4, kGreen)};
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), {released[0], released[1]}));
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), {Indicator(10, kAmber), Indicator(11, kRed)}));
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), {released[2]}));
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), {Indicator(12), Indicator(13, kAmber)}));
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), {released[3]}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());

  Result<SyncReport> report = eu_->Sync(PushToNato(/*batch=*/2));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->pushed_objects, 4u) << DescribeReport(*report);
  EXPECT_EQ(report->pushed_succeeded, 4u);
  EXPECT_EQ(report->pushed_failed, 0u);
  EXPECT_EQ(report->pushed_batches, 2u);
  EXPECT_EQ(nato_->Contents("inbox"), Expected(released));
  // Over the ceiling: never sent, and the report says why.
  EXPECT_EQ(report->withheld, 4u) << DescribeReport(*report);
  EXPECT_EQ(report->withheld_by_rule, (std::map<std::string, uint64_t>{
                                          {"tlp.amber", 2}, {"tlp.red", 1}, {"tlp.unmarked", 1}}))
      << DescribeReport(*report);
  PeerState state = StateOfNato();
  ASSERT_EQ(state.push_cursors.count(eu_->feeds()), 1u);
  EXPECT_FALSE(state.push_remote_collection.empty());
  EXPECT_EQ(nato_->Count("POST", "/objects/"), 2u);

  // Nothing new: nothing sent, nothing counted again.
  nato_->ClearLog();
  Result<SyncReport> again = eu_->Sync(PushToNato(2));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->pushed_objects, 0u) << DescribeReport(*again);
  EXPECT_EQ(again->withheld, 0u);
  EXPECT_EQ(nato_->Count("POST", "/"), 0u);

  // Something new: only it goes.
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), {Indicator(5, kGreen)}));
  Result<SyncReport> third = eu_->Sync(PushToNato(2));
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_EQ(third->pushed_objects, 1u);
  EXPECT_EQ(nato_->Contents("inbox").size(), 5u);
}

// An embargo is "not yet", not "never": the cursor must stay before what is still under
// embargo, or it would never be pushed once the embargo ends.
TEST_F(PeerSyncTest, PushLeavesTheCursorBeforeWhatIsStillUnderEmbargo) {
  policy::Agreement agreement;
  agreement.tlp_ceiling = policy::TlpLevel::kAmber;
  agreement.embargo = std::chrono::hours(1);
  ASSERT_NO_FATAL_FAILURE(eu_->SetAgreement(agreement));
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), {Indicator(1, kGreen), Indicator(2, kGreen)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  Result<SyncReport> report = eu_->Sync(PushToNato());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->pushed_objects, 0u) << DescribeReport(*report);
  EXPECT_EQ(report->withheld, 0u) << "under embargo is not withheld for good";
  EXPECT_EQ(StateOfNato().push_cursors.count(eu_->feeds()), 0u)
      << "the cursor moved past objects still under embargo";
  EXPECT_TRUE(nato_->Contents("inbox").empty());
  // The embargo over (an agreement without one): they go, once.
  agreement.embargo = std::chrono::hours(0);
  ASSERT_NO_FATAL_FAILURE(eu_->SetAgreement(agreement));
  Result<SyncReport> later = eu_->Sync(PushToNato());
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  EXPECT_EQ(later->pushed_objects, 2u) << DescribeReport(*later);
  EXPECT_EQ(nato_->Contents("inbox").size(), 2u);
}

// The push decides every version on its own (so that it can count what it withholds) where a
// TAXII read lets the query filter first: both must release exactly the same.
TEST_F(PeerSyncTest, PushReleasesExactlyWhatATaxiiReadByThePartnerWould) {
  policy::Agreement agreement;
  agreement.tlp_ceiling = policy::TlpLevel::kAmber;
  agreement.types = {"indicator", "sighting"};
  ASSERT_NO_FATAL_FAILURE(eu_->SetAgreement(agreement));
  const std::string kStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";
  const std::string kUnknown = "marking-definition--00000000-1111-4222-8333-444444444444";
  const std::vector<std::string> markings = {"", kClear, kGreen, kAmber, kStrict, kRed, kUnknown};
  std::vector<std::string> texts;
  for (int n = 0; n < 70; ++n) {
    const std::string& marking = markings[(n * 5 + n / 7) % markings.size()];
    const std::string refs =
        marking.empty() ? "" : R"(,"object_marking_refs":[")" + marking + "\"]";
    char uuid[40];
    std::snprintf(uuid, sizeof uuid, "%08d-0000-4000-8000-000000000000", n);
    switch (n % 3) {
      case 0:
        texts.push_back(Indicator(n, marking));
        break;
      case 1:
        texts.push_back(R"({"type":"malware","spec_version":"2.1","id":"malware--)" +
                        std::string(uuid) +
                        R"(","created":"2021-01-01T00:00:00.000Z",)"
                        R"("modified":"2021-01-01T00:00:00.000Z","name":"m","is_family":false)" +
                        refs + "}");
        break;
      default:
        texts.push_back(R"({"type":"sighting","spec_version":"2.1","id":"sighting--)" +
                        std::string(uuid) +
                        R"(","created":"2021-01-01T00:00:00.000Z",)"
                        R"("modified":"2021-01-01T00:00:00.000Z","sighting_of_ref":")" +
                        IdOf(0) + "\"" + refs + "}");
    }
  }
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), texts));
  // What nato's own TAXII read of eu's feeds would return.
  std::map<std::string, std::string> expected;
  {
    store::OutboundReader reader(eu_->store(), eu_->gate());
    store::Query q;
    q.versions = store::VersionMatch::All();
    q.limit = 1000;
    Result<store::Page> page = reader.List(eu_->feeds(), q, {"nato-sync", "nato", false});
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const store::StoredObject& o : page->objects) expected[Key(o.id, o.version_text)] = o.text;
  }
  ASSERT_GT(expected.size(), 5u);
  ASSERT_LT(expected.size(), 30u);
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  Result<SyncReport> report = eu_->Sync(PushToNato(/*batch=*/4));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(nato_->Contents("inbox"), expected);
  EXPECT_EQ(report->pushed_objects, expected.size());
  EXPECT_EQ(report->withheld, texts.size() - expected.size()) << DescribeReport(*report);
  for (const char* rule : {"agreement.type", "agreement.sightings", "tlp.red", "tlp.amber+strict",
                           "label.unresolved"}) {
    EXPECT_GT(report->withheld_by_rule[rule], 0u) << rule << "\n" << DescribeReport(*report);
  }
}

TEST_F(PeerSyncTest, WhatCameFromAPeerIsNeverPushedBackToIt) {
  ASSERT_NO_FATAL_FAILURE(eu_->SetAgreement(policy::TlpLevel::kAmber));
  ASSERT_NO_FATAL_FAILURE(nato_->Add(nato_->feeds(), {Indicator(100), Indicator(101, kGreen)}));
  const std::vector<std::string> local = {Indicator(1), Indicator(2, kGreen)};
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), local));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  // Pull into the very collection that is pushed.
  PeerConfig both = eu_->PeerOf(*nato_);
  both.pull = both.push = true;
  both.pull_into = "feeds";
  Result<SyncReport> report = eu_->Sync(both);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->pulled_new, 2u) << DescribeReport(*report);
  EXPECT_EQ(eu_->Contents("feeds").size(), 4u);
  EXPECT_EQ(report->pushed_objects, 2u) << DescribeReport(*report);
  // Not "withheld": they are the peer's own.
  EXPECT_EQ(report->withheld, 0u) << DescribeReport(*report);
  EXPECT_EQ(nato_->Contents("inbox"), Expected(local));
  // And nato's own, coming back by another path than the one they came by, are still held.
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->inbox(), {Indicator(102)}, "nato"));
  PeerConfig inbox = both;
  inbox.name = "nato-inbox";
  inbox.pull = false;
  inbox.push_from = {"inbox"};
  Result<SyncReport> from_inbox = eu_->Sync(inbox);
  ASSERT_TRUE(from_inbox.ok()) << from_inbox.status().ToString();
  EXPECT_EQ(from_inbox->pushed_objects, 0u) << DescribeReport(*from_inbox);
  EXPECT_EQ(from_inbox->withheld, 0u);
  EXPECT_EQ(nato_->Contents("inbox").size(), 2u);

  Result<SyncReport> again = eu_->Sync(both);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->pulled_objects, 0u) << DescribeReport(*again);
  EXPECT_EQ(again->pushed_objects, 0u);
}

TEST_F(PeerSyncTest, PushFollowsAPendingStatusAndRecordsWhatThePeerRefused) {
  // nato already holds another text under the same (id, modified): a conflict it refuses.
  ASSERT_NO_FATAL_FAILURE(
      nato_->Add(nato_->inbox(), {Indicator(2, "", "2021-01-01T00:00:00.000Z", "theirs")}));
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), {Indicator(1), Indicator(2), Indicator(3)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve(/*signed_responses=*/false));
  // The POST answers "pending", and so does the first poll of the status; the second poll
  // reaches the service, whose status is complete.
  std::mutex mu;
  std::map<std::string, int> polls;
  nato_->SetHooks(
      [&](const net::HttpRequest& r) -> std::optional<net::HttpResponse> {
        if (r.method != "GET" || r.path.find("/status/") == std::string::npos) return std::nullopt;
        std::lock_guard lock(mu);
        if (++polls[r.path] > 1) return std::nullopt;
        return net::HttpResponse{
            200,
            {{"Content-Type", "application/taxii+json;version=2.1"}},
            R"({"id":")" +
                r.path.substr(r.path.find("/status/") + 8,
                              r.path.size() - r.path.find("/status/") - 9) +
                R"(","status":"pending","total_count":3,"success_count":1,"pending_count":2})"};
      },
      [&](const net::HttpRequest& r, net::HttpResponse& response) {
        if (r.method != "POST" || response.status != 202) return;
        simdjson::dom::parser parser;
        std::string_view id = parser.parse(response.body)["id"].get_string().value();
        response.body = R"({"id":")" + std::string(id) +
                        R"(","status":"pending","total_count":3,"success_count":0,)"
                        R"("pending_count":3})";
      });
  Result<SyncReport> report = eu_->Sync(PushToNato());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(nato_->Count("GET", "/status/"), 2u);
  EXPECT_EQ(report->pushed_objects, 3u) << DescribeReport(*report);
  EXPECT_EQ(report->pushed_succeeded, 2u);
  EXPECT_EQ(report->pushed_failed, 1u);
  ASSERT_EQ(report->failures.size(), 1u);
  const std::string failed = Key(IdOf(2), "2021-01-01T00:00:00.000Z");
  EXPECT_TRUE(HasPrefix(report->failures[0], failed + ": ")) << report->failures[0];
  PeerState state = StateOfNato();
  EXPECT_EQ(state.failed_objects, 1u);
  Result<std::optional<std::string>> record =
      eu_->store().GetRecord("sync-failure", "nato/" + failed);
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  ASSERT_TRUE(record->has_value()) << "the refusal is recorded for `ctihub peers`";
  EXPECT_EQ(report->failures[0], failed + ": " + **record);
  // Nato kept its own text; the others arrived.
  std::map<std::string, std::string> inbox = nato_->Contents("inbox");
  EXPECT_EQ(inbox.size(), 3u);
  EXPECT_NE(inbox[failed].find("theirs"), std::string::npos);

  // The refused object is not sent again, and not counted again.
  Result<SyncReport> again = eu_->Sync(PushToNato());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->pushed_objects, 0u);
  EXPECT_EQ(StateOfNato().failed_objects, 1u);
}

TEST_F(PeerSyncTest, PushWhoseStatusNeverCompletesIsSentAgainNextRound) {
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), {Indicator(1)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve(false));
  std::atomic<bool> stuck{true};
  nato_->SetHooks(
      [&](const net::HttpRequest& r) -> std::optional<net::HttpResponse> {
        if (!stuck || r.path.find("/status/") == std::string::npos) return std::nullopt;
        return net::HttpResponse{200,
                                 {{"Content-Type", "application/taxii+json;version=2.1"}},
                                 R"({"id":"x","status":"pending","total_count":1})"};
      },
      [&](const net::HttpRequest& r, net::HttpResponse& response) {
        if (stuck && r.method == "POST" && response.status == 202) {
          response.body = R"({"id":"x","status":"pending","total_count":1,"pending_count":1})";
        }
      });
  PeerConfig peer = PushToNato();
  peer.status_timeout = std::chrono::seconds(0);
  Result<SyncReport> report = eu_->Sync(peer);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("pending"), std::string::npos)
      << report.status().ToString();
  EXPECT_EQ(StateOfNato().push_cursors.count(eu_->feeds()), 0u) << "the cursor did not move";
  stuck = false;
  Result<SyncReport> again = eu_->Sync(PushToNato());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->pushed_objects, 1u);
  EXPECT_EQ(again->pushed_succeeded, 1u);
  EXPECT_EQ(nato_->Contents("inbox").size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Signatures

TEST_F(PeerSyncTest, SignedPullWithTheRightKeyIsAccepted) {
  ASSERT_NO_FATAL_FAILURE(nato_->Add(nato_->feeds(), {Indicator(1), Indicator(2)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  PeerConfig peer = PullFromNato();
  peer.trusted_keys = {nato_->key().public_key()};
  peer.require_signatures = true;
  Result<SyncReport> report = eu_->Sync(peer);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->pulled_new, 2u);
}

TEST_F(PeerSyncTest, SignedPullWithAnotherKeyFailsAndStoresNothing) {
  ASSERT_NO_FATAL_FAILURE(nato_->Add(nato_->feeds(), {Indicator(1), Indicator(2)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  Result<SigningKey> other = SigningKey::Generate();
  ASSERT_TRUE(other.ok());
  PeerConfig peer = PullFromNato();
  peer.trusted_keys = {other->public_key()};
  peer.require_signatures = true;
  Result<SyncReport> report = eu_->Sync(peer);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kUnauthenticated) << report.status().ToString();
  EXPECT_NE(report.status().message().find("signature"), std::string::npos)
      << report.status().message();
  EXPECT_TRUE(eu_->Contents("from-nato").empty());
  EXPECT_NE(StateOfNato().last_error.find("signature"), std::string::npos);
}

TEST_F(PeerSyncTest, ATamperedPageIsRefusedBeforeAnythingFromItIsStored) {
  ASSERT_NO_FATAL_FAILURE(nato_->Add(nato_->feeds(), {Indicator(1), Indicator(2)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  // Signed by nato, then changed on the way (after the service signed it).
  nato_->SetHooks(nullptr, [](const net::HttpRequest& r, net::HttpResponse& response) {
    if (!IsObjectsGet(r)) return;
    size_t at = response.body.find("10.0.0.1");
    if (at != std::string::npos) response.body.replace(at, 8, "10.6.6.6");
  });
  PeerConfig peer = PullFromNato();
  peer.trusted_keys = {nato_->key().public_key()};
  peer.require_signatures = true;
  Result<SyncReport> report = eu_->Sync(peer);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("signature"), std::string::npos)
      << report.status().message();
  EXPECT_TRUE(eu_->Contents("from-nato").empty());
  EXPECT_FALSE(StateOfNato().pull_watermark.has_value());
}

TEST_F(PeerSyncTest, UnsignedResponsesFailWhenSignaturesAreRequired) {
  ASSERT_NO_FATAL_FAILURE(nato_->Add(nato_->feeds(), {Indicator(1)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve(/*signed_responses=*/false));
  PeerConfig peer = PullFromNato();
  peer.trusted_keys = {nato_->key().public_key()};
  peer.require_signatures = true;
  Result<SyncReport> report = eu_->Sync(peer);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(report.status().message().find("unsigned"), std::string::npos)
      << report.status().message();
  EXPECT_TRUE(eu_->Contents("from-nato").empty());
  // Not required: the same unsigned peer is fine.
  peer.require_signatures = false;
  Result<SyncReport> relaxed = eu_->Sync(peer);
  ASSERT_TRUE(relaxed.ok()) << relaxed.status().ToString();
  EXPECT_EQ(relaxed->pulled_new, 1u);
}

TEST_F(PeerSyncTest, SignedPushIsAcceptedByAPeerThatRequiresOurKey) {
  ASSERT_TRUE(nato_->signer().Trust("eu", {eu_->key().public_key()}, /*required=*/true).ok());
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), {Indicator(1), Indicator(2)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  PeerConfig peer = PushToNato();
  peer.trusted_keys = {nato_->key().public_key()};
  peer.require_signatures = true;
  Result<SyncReport> report = eu_->Sync(peer);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->pushed_succeeded, 2u);
  EXPECT_EQ(nato_->Contents("inbox").size(), 2u);
}

TEST_F(PeerSyncTest, PushSignedWithAnotherKeyOrUnsignedIsRefusedAndReported) {
  Result<SigningKey> other = SigningKey::Generate();
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(nato_->signer().Trust("eu", {eu_->key().public_key()}, /*required=*/true).ok());
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), {Indicator(1), Indicator(2)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  for (const SigningKey* key : std::vector<const SigningKey*>{&*other, nullptr}) {
    SCOPED_TRACE(key ? "another key" : "unsigned");
    Result<SyncReport> report = eu_->Sync(PushToNato(), key);
    ASSERT_FALSE(report.ok());
    EXPECT_NE(report.status().message().find("401"), std::string::npos)
        << report.status().message();
    EXPECT_NE(report.status().message().find("Signature refused"), std::string::npos)
        << report.status().message();
    PeerState state = StateOfNato();
    EXPECT_EQ(state.last_error, report.status().message());
    EXPECT_EQ(state.push_cursors.count(eu_->feeds()), 0u) << "nothing was pushed";
  }
  EXPECT_EQ(nato_->Count("POST", "/objects/", 401), 2u);
  EXPECT_TRUE(nato_->Contents("inbox").empty());
  EXPECT_EQ(StateOfNato().consecutive_failures, 2u);
}

// ---------------------------------------------------------------------------------------------
// Deletions

// The DELETE requests a node received, by object id.
std::vector<std::string> DeletedIds(const Node& node) {
  std::vector<std::string> out;
  for (const Exchange& e : node.log()) {
    if (e.method != "DELETE") continue;
    std::string path = e.path;
    if (!path.empty() && path.back() == '/') path.pop_back();
    out.push_back(path.substr(path.rfind('/') + 1));
  }
  return out;
}

class PeerSyncDeletionTest : public PeerSyncTest {
 protected:
  void SetUp() override {
    PeerSyncTest::SetUp();
    // eu releases up to GREEN to nato and tells it about deletions; nato's agreement with eu
    // covers only its feeds, so its inbox is write-only for eu: eu deletes only what eu sent.
    policy::Agreement to_nato;
    to_nato.tlp_ceiling = policy::TlpLevel::kGreen;
    to_nato.send_deletions = true;
    ASSERT_NO_FATAL_FAILURE(eu_->SetAgreement(to_nato));
    ASSERT_NO_FATAL_FAILURE(nato_->SetAgreement(NatosAgreement()));
  }
  virtual policy::Agreement NatosAgreement() {
    policy::Agreement to_eu;
    to_eu.collections = {"feeds"};
    return to_eu;
  }
  PeerConfig Push() {
    PeerConfig p = PushToNato();
    p.send_deletions = true;
    return p;
  }
  void Delete(const std::string& id) {
    Result<uint64_t> n = eu_->store().Delete(eu_->feeds(), id);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    ASSERT_GT(*n, 0u);
  }
};

TEST_F(PeerSyncDeletionTest, OnlyDeletionsOfWhatThePeerReceivedAreSentToIt) {
  ASSERT_NO_FATAL_FAILURE(
      eu_->Add(eu_->feeds(), {Indicator(1, kGreen), Indicator(2, kGreen), Indicator(10, kAmber)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  Result<SyncReport> first = eu_->Sync(Push());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->pushed_succeeded, 2u) << DescribeReport(*first);
  // nato's own version of an object under the same id stays: eu may delete only its own. (Made
  // by nato after eu's arrived: a partner adds no versions to an object the node supplied.)
  ASSERT_NO_FATAL_FAILURE(nato_->Add(nato_->inbox(), {Indicator(2, "", "2022-01-01T00:00:00.000Z")}));
  ASSERT_EQ(nato_->Contents("inbox").size(), 3u);
  // Deleted here: one it received, one it was never allowed (AMBER), one added and deleted
  // between two rounds.
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), {Indicator(3, kGreen)}));
  ASSERT_NO_FATAL_FAILURE(Delete(IdOf(1)));
  ASSERT_NO_FATAL_FAILURE(Delete(IdOf(2)));
  ASSERT_NO_FATAL_FAILURE(Delete(IdOf(10)));
  ASSERT_NO_FATAL_FAILURE(Delete(IdOf(3)));
  nato_->ClearLog();
  Result<SyncReport> second = eu_->Sync(Push());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->deletions_sent, 2u) << DescribeReport(*second);
  EXPECT_EQ(second->deletions_absent, 0u);
  EXPECT_EQ(second->pushed_objects, 0u);
  // Never a word about the AMBER object, nor about the one it never received.
  EXPECT_EQ(DeletedIds(*nato_), (std::vector<std::string>{IdOf(1), IdOf(2)}));
  std::map<std::string, std::string> left = nato_->Contents("inbox");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left.begin()->first, Key(IdOf(2), "2022-01-01T00:00:00.000Z")) << "nato's own stays";
  // Told once.
  nato_->ClearLog();
  Result<SyncReport> third = eu_->Sync(Push());
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_TRUE(DeletedIds(*nato_).empty());
  EXPECT_EQ(third->deletions_sent + third->deletions_absent, 0u);
}

// One object pushed from two collections: deleted from one, the other still releases it to the
// peer (and, its cursor past it, would never send it again), so the peer is not told; deleted
// from both, it is (found in review).
TEST_F(PeerSyncDeletionTest, ADeletionFromOneCollectionKeepsWhatAnotherPushedCollectionHolds) {
  const std::string other = eu_->AddCollection("other");
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), {Indicator(1, kGreen)}));
  ASSERT_NO_FATAL_FAILURE(eu_->Add(other, {Indicator(1, kGreen), Indicator(2, kGreen)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  PeerConfig both = Push();
  both.push_from = {"feeds", "other"};
  ASSERT_TRUE(eu_->Sync(both).ok());
  ASSERT_EQ(nato_->Contents("inbox").size(), 2u);
  for (const std::string& id : {IdOf(1), IdOf(2)}) {
    Result<uint64_t> n = eu_->store().Delete(other, id);
    ASSERT_TRUE(n.ok() && *n > 0);
  }
  nato_->ClearLog();
  Result<SyncReport> report = eu_->Sync(both);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->deletions_sent, 1u) << DescribeReport(*report);
  EXPECT_EQ(report->deletions_kept, 1u) << DescribeReport(*report);
  EXPECT_EQ(DeletedIds(*nato_), std::vector<std::string>{IdOf(2)});
  EXPECT_EQ(nato_->Contents("inbox"), Expected({Indicator(1, kGreen)}));
  ASSERT_NO_FATAL_FAILURE(Delete(IdOf(1)));
  Result<SyncReport> last = eu_->Sync(both);
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  EXPECT_EQ(last->deletions_sent, 1u) << DescribeReport(*last);
  EXPECT_TRUE(nato_->Contents("inbox").empty());
}

TEST_F(PeerSyncDeletionTest, AnObjectDeletedAndAddedAgainEndsUpOnThePeer) {
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), {Indicator(1, kGreen)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  ASSERT_TRUE(eu_->Sync(Push()).ok());
  ASSERT_NO_FATAL_FAILURE(Delete(IdOf(1)));
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), {Indicator(1, kGreen)}));
  Result<SyncReport> report = eu_->Sync(Push());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->deletions_sent, 1u) << DescribeReport(*report);
  EXPECT_EQ(report->pushed_succeeded, 1u);
  EXPECT_EQ(nato_->Contents("inbox"), Expected({Indicator(1, kGreen)}));
}

TEST_F(PeerSyncDeletionTest, WithoutSendDeletionsThePeerKeepsWhatItReceived) {
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), {Indicator(1, kGreen)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  PeerConfig keep = PushToNato();  // send_deletions false
  ASSERT_TRUE(eu_->Sync(keep).ok());
  ASSERT_NO_FATAL_FAILURE(Delete(IdOf(1)));
  Result<SyncReport> report = eu_->Sync(keep);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(DeletedIds(*nato_).empty());
  EXPECT_EQ(nato_->Contents("inbox").size(), 1u);
  // Turned on later, the ledger still knows what went before.
  Result<SyncReport> on = eu_->Sync(Push());
  ASSERT_TRUE(on.ok()) << on.status().ToString();
  EXPECT_EQ(on->deletions_sent, 1u) << DescribeReport(*on);
  EXPECT_TRUE(nato_->Contents("inbox").empty());
}

TEST_F(PeerSyncDeletionTest, SignedDeletionsAreVerifiedByAPeerThatRequiresOurKey) {
  ASSERT_TRUE(nato_->signer().Trust("eu", {eu_->key().public_key()}, /*required=*/true).ok());
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), {Indicator(1, kGreen), Indicator(2, kGreen)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  ASSERT_TRUE(eu_->Sync(Push()).ok());
  ASSERT_NO_FATAL_FAILURE(Delete(IdOf(1)));
  // Signed with another key: refused, nothing deleted, and told again next round.
  Result<SigningKey> other = SigningKey::Generate();
  ASSERT_TRUE(other.ok());
  Result<SyncReport> forged = eu_->Sync(Push(), &*other);
  ASSERT_FALSE(forged.ok());
  EXPECT_NE(forged.status().message().find("401"), std::string::npos) << forged.status().message();
  EXPECT_EQ(nato_->Contents("inbox").size(), 2u);
  Result<SyncReport> report = eu_->Sync(Push());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->deletions_sent, 1u) << DescribeReport(*report);
  EXPECT_EQ(nato_->Contents("inbox").size(), 1u);
}

// Pull: a ctihub peer's deletion feed names what we read there and it deleted since.
TEST_F(PeerSyncDeletionTest, PullDeletesWhatThePeerDeletedOfWhatItSentUs) {
  // nato releases to eu up to GREEN (its agreement), and tells eu about deletions.
  policy::Agreement to_eu;
  to_eu.tlp_ceiling = policy::TlpLevel::kGreen;
  ASSERT_NO_FATAL_FAILURE(nato_->SetAgreement(to_eu));
  ASSERT_NO_FATAL_FAILURE(nato_->Add(nato_->feeds(), {Indicator(1, kGreen), Indicator(2, kGreen),
                                                      Indicator(10, kAmber)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve(true, /*deletion_feed=*/true));
  ASSERT_TRUE(eu_->Sync(PullFromNato()).ok());
  ASSERT_EQ(eu_->Contents("from-nato").size(), 2u);
  // eu's own version of object 2, from elsewhere, stays whatever nato does.
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->store().FindCollection("from-nato")->id,
                                   {Indicator(2, "", "2030-01-01T00:00:00.000Z")}));
  ASSERT_NO_FATAL_FAILURE(nato_->Add(nato_->feeds(), {Indicator(3, kGreen)}));
  for (int n : {1, 2, 3, 10}) {
    ASSERT_EQ(*nato_->store().Delete(nato_->feeds(), IdOf(n)), 1u) << n;
  }
  // What the feed tells eu: only what eu read (1 and 2) — not 10 (withheld) nor 3 (never read).
  Result<SyncReport> report = eu_->Sync(PullFromNato());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->pulled_deletions, 2u) << DescribeReport(*report);
  std::map<std::string, std::string> left = eu_->Contents("from-nato");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left.begin()->first, Key(IdOf(2), "2030-01-01T00:00:00.000Z"));
  EXPECT_EQ(StateOfNato().pull_deletions_after > 0, true);
  // Re-added there: back here on the next round, and not deleted again.
  ASSERT_NO_FATAL_FAILURE(nato_->Add(nato_->feeds(), {Indicator(1, kGreen)}));
  Result<SyncReport> again = eu_->Sync(PullFromNato());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->pulled_deletions, 0u) << DescribeReport(*again);
  EXPECT_EQ(again->pulled_new, 1u);
  EXPECT_EQ(eu_->Contents("from-nato").size(), 2u);
}

TEST_F(PeerSyncDeletionTest, PullWithoutAFeedOrAcceptingNoDeletionsKeepsEverything) {
  ASSERT_NO_FATAL_FAILURE(nato_->SetAgreement(policy::TlpLevel::kGreen));
  ASSERT_NO_FATAL_FAILURE(nato_->Add(nato_->feeds(), {Indicator(1, kGreen)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve(true, /*deletion_feed=*/true));
  PeerConfig keep = PullFromNato();
  keep.accept_deletions = false;
  ASSERT_TRUE(eu_->Sync(keep).ok());
  ASSERT_EQ(*nato_->store().Delete(nato_->feeds(), IdOf(1)), 1u);
  Result<SyncReport> report = eu_->Sync(keep);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(eu_->Contents("from-nato").size(), 1u);
  EXPECT_EQ(nato_->Count("GET", "x-ctihub-deletions"), 0u) << "not even asked";
  // A server without the feed (404) is no error.
  nato_->Stop();
  ASSERT_NO_FATAL_FAILURE(nato_->Serve(true, /*deletion_feed=*/false));
  Result<SyncReport> plain = eu_->Sync(PullFromNato());
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->pulled_deletions, 0u);
  EXPECT_EQ(eu_->Contents("from-nato").size(), 1u);
  EXPECT_EQ(nato_->Count("GET", "x-ctihub-deletions", 404), 1u);
}

class PeerSyncRefusedDeletionTest : public PeerSyncDeletionTest {
 protected:
  policy::Agreement NatosAgreement() override {
    policy::Agreement to_eu = PeerSyncDeletionTest::NatosAgreement();
    to_eu.accept_deletions = false;
    return to_eu;
  }
};

TEST_F(PeerSyncRefusedDeletionTest, APeerThatKeepsWhatItReceivedRefusesOnceAndIsReported) {
  ASSERT_NO_FATAL_FAILURE(eu_->Add(eu_->feeds(), {Indicator(1, kGreen)}));
  ASSERT_NO_FATAL_FAILURE(nato_->Serve());
  ASSERT_TRUE(eu_->Sync(Push()).ok());
  ASSERT_NO_FATAL_FAILURE(Delete(IdOf(1)));
  Result<SyncReport> report = eu_->Sync(Push());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->deletions_refused, 1u) << DescribeReport(*report);
  ASSERT_EQ(report->failures.size(), 1u);
  EXPECT_NE(report->failures[0].find("does not accept"), std::string::npos) << report->failures[0];
  EXPECT_EQ(nato_->Contents("inbox").size(), 1u);
  nato_->ClearLog();
  Result<SyncReport> again = eu_->Sync(Push());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(DeletedIds(*nato_).empty()) << "not asked again";
}

}  // namespace
}  // namespace ctihub::sync
