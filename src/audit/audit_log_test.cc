#include "audit/audit_log.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

namespace ctihub::audit {
namespace {

namespace fs = std::filesystem;

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = fs::temp_directory_path() /
            ("ctihub-audit-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    Cleanup();
  }
  void TearDown() override { Cleanup(); }
  void Cleanup() {
    for (const char* suffix : {"", "-wal", "-shm", ".audit-key"}) fs::remove(file_.string() + suffix);
  }
  std::unique_ptr<AuditLog> Open() {
    auto log = AuditLog::Open("sqlite:" + file_.string());
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return log.ok() ? std::move(*log) : nullptr;
  }
  void Fill(AuditLog& log, int n) {
    std::vector<AuditEvent> events;
    for (int i = 0; i < n; ++i) {
      AuditEvent e;
      e.kind = i % 2 ? "release" : "import";
      e.actor = "user" + std::to_string(i);
      e.subject = "indicator--" + std::to_string(i);
      e.outcome = "ok";
      e.rules = {"tlp.green", "release"};
      e.details = "{\"n\":" + std::to_string(i) + "}";
      events.push_back(e);
    }
    ASSERT_TRUE(log.Append(events).ok());
  }
  // Runs SQL on the file behind the log's back, as an attacker with write access would.
  void Tamper(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  AuditReport Verify() {
    auto log = Open();
    Result<AuditReport> r = log->Verify();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : AuditReport{};
  }

  fs::path file_;
};

TEST_F(AuditLogTest, AppendsVerifyAndList) {
  auto log = Open();
  Fill(*log, 5);
  Fill(*log, 3);
  Result<AuditReport> r = log->Verify();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->intact) << r->problem;
  EXPECT_EQ(r->entries, 8u);
  EXPECT_EQ(r->head_mac.size(), 64u);
  Result<std::vector<AuditEntry>> releases = log->List(std::nullopt, "release", 100);
  ASSERT_TRUE(releases.ok());
  EXPECT_EQ(releases->size(), 3u);  // odd ones of each batch: 2 + 1
  EXPECT_EQ(releases->front().event.rules, (std::vector<std::string>{"tlp.green", "release"}));
  EXPECT_EQ(releases->front().seq, 2u);
  // The key is a 0600 file beside the store.
  EXPECT_EQ(fs::status(file_.string() + ".audit-key").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

// A limit keeps the newest entries (a listing shows what happened last), still in seq order.
TEST_F(AuditLogTest, ListKeepsTheNewestEntriesInOrderAndKindsNamesWhatIsThere) {
  auto log = Open();
  EXPECT_TRUE(log->Kinds()->empty());
  Fill(*log, 7);
  Result<std::vector<AuditEntry>> last = log->List(std::nullopt, "import", 2);
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last->size(), 2u);
  EXPECT_EQ((*last)[0].seq, 5u);  // imports are seq 1, 3, 5, 7
  EXPECT_EQ((*last)[1].seq, 7u);
  EXPECT_EQ(log->List(std::nullopt, "", 0)->size(), 7u);  // 0: no limit
  EXPECT_EQ(*log->Kinds(), (std::vector<std::string>{"import", "release"}));
}

TEST_F(AuditLogTest, AnEditedEntryIsNamed) {
  Fill(*Open(), 6);
  Tamper("UPDATE audit_log SET outcome = 'withheld' WHERE seq = 4");
  AuditReport r = Verify();
  EXPECT_FALSE(r.intact);
  EXPECT_EQ(r.first_bad_seq, 4u);
  EXPECT_NE(r.problem.find("does not match its MAC"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, ADeletedEntryIsNamed) {
  Fill(*Open(), 6);
  Tamper("DELETE FROM audit_log WHERE seq = 3");
  AuditReport r = Verify();
  EXPECT_FALSE(r.intact);
  EXPECT_EQ(r.first_bad_seq, 3u);
  EXPECT_NE(r.problem.find("missing"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, ReorderedEntriesAreNamed) {
  Fill(*Open(), 6);
  Tamper("UPDATE audit_log SET seq = -2 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 5;"
         "UPDATE audit_log SET seq = 5 WHERE seq = -2");
  AuditReport r = Verify();
  EXPECT_FALSE(r.intact);
  EXPECT_EQ(r.first_bad_seq, 2u);
}

TEST_F(AuditLogTest, TruncatingTheTailIsDetectedEvenWithTheHeadMovedBack) {
  Fill(*Open(), 6);
  Tamper("DELETE FROM audit_log WHERE seq > 4");
  AuditReport r = Verify();
  EXPECT_FALSE(r.intact);
  EXPECT_EQ(r.first_bad_seq, 5u);
  // Pointing the head at the new last entry needs the key for its own MAC.
  Tamper("UPDATE audit_head SET seq = 4, mac = (SELECT mac FROM audit_log WHERE seq = 4)");
  r = Verify();
  EXPECT_FALSE(r.intact);
  EXPECT_NE(r.problem.find("head record"), std::string::npos) << r.problem;
}

// Removing the whole log (entries and head) needs no key; a store holding objects or accounts,
// whose creation is audited, then says so. A store with neither is simply new.
TEST_F(AuditLogTest, ALogRemovedWholeFromAStoreWithContentIsNamed) {
  Fill(*Open(), 3);
  Tamper("CREATE TABLE objects (row INTEGER PRIMARY KEY, id TEXT)");
  Tamper("DELETE FROM audit_log; DELETE FROM audit_head");
  // The key is made with the first entry: beside an empty log it says the log was removed (a
  // store file emptied or replaced, found in review).
  AuditReport keyed = Verify();
  EXPECT_FALSE(keyed.intact);
  EXPECT_NE(keyed.problem.find("exists but the log is empty"), std::string::npos) << keyed.problem;
  AuditEvent e;
  e.kind = "release";
  EXPECT_FALSE(Open()->Append({e}).ok()) << "nor is a new log started beside that key";
  fs::remove(file_.string() + ".audit-key");
  EXPECT_TRUE(Verify().intact) << "no content, no key: a new store";
  Tamper("INSERT INTO objects (id) VALUES ('indicator--x')");
  AuditReport r = Verify();
  EXPECT_FALSE(r.intact);
  EXPECT_NE(r.problem.find("the log is empty but the store holds objects"), std::string::npos)
      << r.problem;
}

// Found in review: after the log was removed (or its head row deleted), the next writer started
// a new chain that verified on its own, or every append failed with a constraint error that
// writers only warned about. Neither may be written onto.
TEST_F(AuditLogTest, NoWriterContinuesALogRemovedOrWithoutItsHead) {
  Fill(*Open(), 3);
  Tamper("CREATE TABLE objects (row INTEGER PRIMARY KEY, id TEXT)");
  Tamper("INSERT INTO objects (id) VALUES ('indicator--x')");
  Tamper("DELETE FROM audit_head");
  AuditEvent e;
  e.kind = "release";
  for (auto log = Open(); log;) {
    Result<uint64_t> appended = log->Append({e});
    ASSERT_FALSE(appended.ok());
    EXPECT_EQ(appended.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(appended.status().message().find("head record is missing"), std::string::npos)
        << appended.status().ToString();
    EXPECT_FALSE(log->CheckWritable().ok());
    break;
  }
  Tamper("DELETE FROM audit_log");
  Result<uint64_t> appended = Open()->Append({e});
  ASSERT_FALSE(appended.ok());
  EXPECT_NE(appended.status().message().find("the log was removed"), std::string::npos)
      << appended.status().ToString();
  EXPECT_FALSE(Verify().intact) << "nothing was chained onto the removed log";
  // A command that found the store new (no log, no key) may start its log beside what it then
  // made, once.
  fs::remove(file_.string() + ".audit-key");
  AuditOpenOptions first;
  first.may_start_beside_content = true;
  auto starting = AuditLog::Open("sqlite:" + file_.string(), first);
  ASSERT_TRUE(starting.ok());
  EXPECT_TRUE((*starting)->Append({e}).ok());
  EXPECT_TRUE(Verify().intact);
  Tamper("DELETE FROM audit_log; DELETE FROM audit_head");
  EXPECT_FALSE((*starting)->Append({e}).ok()) << "once";
}

// A key that is not the log's (another valid key, or a damaged one) chains nothing: entries
// made under it would break the log for good.
TEST_F(AuditLogTest, AnotherOrDamagedKeyWritesNothing) {
  Fill(*Open(), 2);
  const std::string key_file = file_.string() + ".audit-key";
  std::string key;
  std::ifstream(key_file) >> key;
  AuditEvent e;
  e.kind = "release";
  std::string other = key;
  other[0] = other[0] == 'a' ? 'b' : 'a';
  for (const std::string& written : {other, key.substr(0, 63) + "g", key + "7", key + "77"}) {
    std::ofstream(key_file, std::ios::trunc) << written;
    auto log = AuditLog::Open("sqlite:" + file_.string());
    if (log.ok()) {
      Result<uint64_t> appended = (*log)->Append({e});
      ASSERT_FALSE(appended.ok()) << written;
      EXPECT_NE(appended.status().message().find("does not verify under the audit key"),
                std::string::npos)
          << appended.status().ToString();
    } else {
      EXPECT_NE(log.status().message().find("is damaged"), std::string::npos) << written;
    }
  }
  // The right key, with a line end after it as an editor leaves one: the log goes on intact.
  std::ofstream(key_file, std::ios::trunc) << key << "\n";
  EXPECT_TRUE(Open()->Append({e}).ok());
  AuditReport r = Verify();
  EXPECT_TRUE(r.intact) << r.problem;
  EXPECT_EQ(r.entries, 3u);
}

// A recorder whose appends fail says so (healthy() false, the handler called) and, once the log
// takes entries again, records how many events were lost before going on.
TEST_F(AuditLogTest, ARecorderSaysWhenItCannotRecordAndLogsTheGap) {
  Fill(*Open(), 1);
  auto log = Open();
  Recorder recorder(log.get(), std::chrono::milliseconds(10));
  std::atomic<size_t> reported{0};
  recorder.OnError([&](const Status&, size_t lost) { reported = lost; });
  Tamper("CREATE TABLE saved AS SELECT * FROM audit_head; DELETE FROM audit_head");
  AuditEvent e;
  e.kind = "release";
  recorder.Record(e);
  recorder.Record(e);
  EXPECT_FALSE(recorder.Flush().ok());
  EXPECT_FALSE(recorder.healthy());
  EXPECT_EQ(reported.load(), 2u);
  Tamper("INSERT INTO audit_head SELECT * FROM saved");
  for (int i = 0; i < 500 && !recorder.healthy(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(recorder.healthy()) << "the gap entry alone is retried";
  recorder.Stop();
  Result<std::vector<AuditEntry>> entries = Open()->List(std::nullopt, "audit-gap", 0);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_NE((*entries)[0].event.outcome.find("2 event(s) not recorded"), std::string::npos)
      << (*entries)[0].event.outcome;
  EXPECT_TRUE(Verify().intact);
}

TEST_F(AuditLogTest, AChainRecomputedWithoutTheKeyIsRejected) {
  Fill(*Open(), 3);
  // An attacker rewrites entry 1 and recomputes every MAC with a key of their own.
  Tamper("UPDATE audit_log SET actor = 'nobody' WHERE seq = 1");
  auto log = Open();
  Result<std::vector<AuditEntry>> entries = log->List(std::nullopt, "", 10);
  ASSERT_TRUE(entries.ok());
  std::string mac, sql;
  for (const AuditEntry& e : *entries) {
    std::string input = mac + "\n" + CanonicalEvent(e.seq, e.event);
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha256(), "guess", 5, reinterpret_cast<const unsigned char*>(input.data()),
         input.size(), out, &n);
    mac.clear();
    for (unsigned i = 0; i < n; ++i) {
      char hex[3];
      std::snprintf(hex, sizeof hex, "%02x", out[i]);
      mac += hex;
    }
    sql += "UPDATE audit_log SET mac = '" + mac + "' WHERE seq = " + std::to_string(e.seq) + ";";
  }
  Tamper(sql);
  AuditReport r = Verify();
  EXPECT_FALSE(r.intact);
  EXPECT_EQ(r.first_bad_seq, 1u);
}

// A store copied or restored without PATH.audit-key: its entries cannot be checked, and a new
// key would chain the next entries under another key and break the log for good. So the log
// refuses to open (FailedPrecondition, naming the key file) and never makes a new key for it;
// putting the key back makes it whole again.
TEST_F(AuditLogTest, AMissingKeyOfALogWithEntriesIsNamedAndNeverReplaced) {
  Fill(*Open(), 3);
  const std::string key_file = file_.string() + ".audit-key";
  const fs::path saved = file_.string() + ".saved-key";
  fs::rename(key_file, saved);
  auto log = AuditLog::Open("sqlite:" + file_.string());
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(log.status().message(),
            "the audit key " + key_file + " is missing: restore it from where the store came from");
  EXPECT_FALSE(fs::exists(key_file)) << "a new key was made";
  fs::rename(saved, key_file);
  AuditReport r = Verify();
  EXPECT_TRUE(r.intact) << r.problem;
  EXPECT_EQ(r.entries, 3u);
}

// The key is made by the first append to an empty log, not by opening, verifying or listing it.
TEST_F(AuditLogTest, OnlyTheFirstAppendMakesAKey) {
  const std::string key_file = file_.string() + ".audit-key";
  auto log = Open();
  Result<AuditReport> r = log->Verify();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->intact);
  EXPECT_EQ(r->entries, 0u);
  ASSERT_TRUE(log->List(std::nullopt, "", 10).ok());
  EXPECT_FALSE(fs::exists(key_file));
  Fill(*log, 2);
  EXPECT_TRUE(fs::exists(key_file));
  EXPECT_TRUE(Verify().intact);
}

// A key whose write fails part-way (a full disk; here a file size limit) must not be left
// behind: a short key file is "damaged" for good, and it turned the audit log off. The key is
// written whole under a temporary name first, so it is either absent or complete, and the next
// append makes it.
TEST_F(AuditLogTest, AKeyThatCannotBeWrittenWholeIsNotLeftBehind) {
  const std::string key_file = file_.string() + ".audit-key";
  auto log = Open();
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  struct rlimit tiny = saved;
  tiny.rlim_cur = 16;  // the key's 64 hex digits do not fit
  auto previous = ::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &tiny), 0);
  AuditEvent e;
  e.kind = "import";
  Result<uint64_t> failed = log->Append({e});
  ::setrlimit(RLIMIT_FSIZE, &saved);
  ::signal(SIGXFSZ, previous);
  EXPECT_FALSE(failed.ok());
  EXPECT_FALSE(fs::exists(key_file))
      << "a partial key of " << fs::file_size(key_file) << " bytes was left";
  for (const auto& entry : fs::directory_iterator(file_.parent_path())) {
    EXPECT_EQ(entry.path().filename().string().find(file_.filename().string() + ".audit-key."),
              std::string::npos)
        << "a temporary key file was left: " << entry.path();
  }
  auto again = Open();
  ASSERT_NE(again, nullptr);
  ASSERT_TRUE(again->Append({e}).ok());
  EXPECT_EQ(fs::file_size(key_file), 64u);
  AuditReport r = Verify();
  EXPECT_TRUE(r.intact) << r.problem;
  EXPECT_EQ(r.entries, 1u);
}

// A damaged key (not 64 hex digits) is never used nor replaced: opening the log to write fails
// with DataLoss naming the file, so writers refuse before they change anything.
TEST_F(AuditLogTest, ADamagedKeyIsRefused) {
  Fill(*Open(), 1);
  const std::string key_file = file_.string() + ".audit-key";
  fs::resize_file(key_file, 0);
  auto log = AuditLog::Open("sqlite:" + file_.string());
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(log.status().message().find(key_file + " is damaged"), std::string::npos)
      << log.status().ToString();
  EXPECT_EQ(fs::file_size(key_file), 0u) << "the damaged key was replaced";
}

TEST_F(AuditLogTest, ConcurrentWritersFromSeveralConnectionsKeepOneUnbrokenChain) {
  Open();  // makes the schema (the first append makes the key)
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      auto log = Open();
      for (int i = 0; i < 50; ++i) Fill(*log, 4);
    });
  }
  for (std::thread& t : threads) t.join();
  AuditReport r = Verify();
  EXPECT_TRUE(r.intact) << r.problem;
  EXPECT_EQ(r.entries, 8u * 50u * 4u);
}

TEST_F(AuditLogTest, TheRecorderBatchesInTheBackgroundAndLosesNothing) {
  auto log = Open();
  {
    Recorder recorder(log.get(), std::chrono::milliseconds(50), /*max_queued=*/64);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 500; ++i) {
          AuditEvent e;
          e.kind = "release";
          e.actor = "t" + std::to_string(t);
          recorder.Record(e);
        }
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_TRUE(recorder.Flush().ok());
    EXPECT_EQ(log->Verify()->entries, 2000u);
    AuditEvent last;
    last.kind = "shutdown";
    recorder.Record(last);
  }  // the destructor writes what is still queued
  Result<AuditReport> r = log->Verify();
  EXPECT_TRUE(r->intact);
  EXPECT_EQ(r->entries, 2001u);
}

TEST(AuditLogMemory, WorksWithoutAFile) {
  auto log = AuditLog::Open("memory:");
  ASSERT_TRUE(log.ok());
  AuditEvent e;
  e.kind = "login";
  ASSERT_TRUE((*log)->Append({e, e}).ok());
  EXPECT_EQ((*log)->Verify()->entries, 2u);
  EXPECT_FALSE(AuditLog::Open("postgres://x").ok());
}

}  // namespace
}  // namespace ctihub::audit
