// Crash safety of the store under `ctihub import`: the importer is killed with SIGKILL at
// random moments, again and again. After every kill the store must open, pass its integrity
// check, and hold every write the importer had acknowledged ("committed N" lines, printed only
// after a durable commit). Finally an uninterrupted run completes the import exactly.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace {

namespace fs = std::filesystem;

// The input comes in chunks, one per run, so every run has fresh objects to write whatever
// earlier runs managed (a re-run of the same input would mostly find duplicates and finish
// before the kill).
constexpr int kChunks = 20;
constexpr int kPerChunk = 5000;
constexpr int kObjects = kChunks * kPerChunk;

std::string WriteInput(const fs::path& dir, int chunk) {
  fs::path path = dir / ("input-" + std::to_string(chunk) + ".jsonl");
  std::ofstream out(path);
  for (int i = chunk * kPerChunk; i < (chunk + 1) * kPerChunk; ++i) {
    char id[64];
    std::snprintf(id, sizeof(id), "indicator--%08x-17d4-4cbf-938f-98ee46b3cd3f", i);
    out << R"({"type":"indicator","spec_version":"2.1","id":")" << id
        << R"(","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","name":"kill test )"
        << i << R"(","pattern":"[ipv4-addr:value = '10.0.)" << (i / 250) % 256 << "." << i % 250
        << R"(']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"})" << "\n";
  }
  return path.string();
}

uint64_t StoredObjects(const std::string& db) {
  auto store = ctihub::store::Store::Open("sqlite:" + db);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return 0;
  ctihub::Status check = (*store)->Check();
  EXPECT_TRUE(check.ok()) << "store damaged after a kill: " << check.ToString();
  auto stats = (*store)->Stats();
  EXPECT_TRUE(stats.ok());
  return stats.ok() ? stats->objects : 0;
}

struct ImportRun {
  uint64_t acknowledged = 0;  // objects the importer reported as durably committed
  bool finished = false;
};

// The number in the last "committed N" line of `output`, 0 when none.
uint64_t LastCommitted(const std::string& output) {
  uint64_t last = 0;
  size_t pos = 0;
  while ((pos = output.find("committed ", pos)) != std::string::npos) {
    pos += 10;
    last = std::stoull(output.substr(pos));
  }
  return last;
}

// Starts the importer and, when `kill_after_commits` > 0, kills it `then` after it has reported
// that many durable commits (so that every killed run has acknowledged writes to lose, however
// slow the machine); collects the commit lines it printed before dying.
ImportRun ImportAndMaybeKill(const std::string& db, const std::vector<std::string>& inputs,
                             int kill_after_commits, std::chrono::microseconds then) {
  int pipe_fds[2];
  EXPECT_EQ(::pipe(pipe_fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipe_fds[1], 2);
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::close(pipe_fds[0]);
    std::string store = "sqlite:" + db;
    std::vector<const char*> argv = {CTIHUB_BINARY, "import", "--store", store.c_str(),
                                     "--collection", "crash", "--batch-size", "200",
                                     "--progress", "lines", "--threads", "1"};
    for (const std::string& input : inputs) argv.push_back(input.c_str());
    argv.push_back(nullptr);
    ::execv(CTIHUB_BINARY, const_cast<char* const*>(argv.data()));
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  // Everything printed before the kill is in the pipe.
  std::string output;
  char buf[4096];
  ssize_t n;
  bool killed = kill_after_commits == 0;
  while ((n = ::read(pipe_fds[0], buf, sizeof buf)) > 0) {
    output.append(buf, static_cast<size_t>(n));
    if (!killed) {
      int commits = 0;
      for (size_t pos = 0; (pos = output.find("committed ", pos)) != std::string::npos; pos += 10) {
        ++commits;
      }
      if (commits >= kill_after_commits) {
        std::this_thread::sleep_for(then);
        ::kill(pid, SIGKILL);
        killed = true;
      }
    }
  }
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ImportRun run;
  run.finished = WIFEXITED(status);
  run.acknowledged = LastCommitted(output);
  if (kill_after_commits == 0) {
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  }
  return run;
}

TEST(CrashSafety, KilledImportsLoseNoAcknowledgedWrite) {
  ctihub::store::RegisterSqliteBackend();
  fs::path dir = fs::temp_directory_path() / ("ctihub-kill-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::vector<std::string> inputs;
  for (int c = 0; c < kChunks; ++c) inputs.push_back(WriteInput(dir, c));
  std::string db = (dir / "hub.db").string();
  std::mt19937 rng(20261123);
  uint64_t stored = 0;
  int kills = 0, acknowledged_runs = 0;
  for (int i = 0; i < kChunks; ++i) {
    // A run commits 25 batches: killed after 1 to 20 of them, at once or up to 20 ms later
    // (inside the next batch's transaction, or its commit).
    const int commits = 1 + static_cast<int>(rng() % 20);
    const auto then = std::chrono::microseconds(rng() % 20000);
    ImportRun run = ImportAndMaybeKill(db, {inputs[i]}, commits, then);
    if (!run.finished) ++kills;
    if (run.acknowledged > 0) ++acknowledged_runs;
    uint64_t now = StoredObjects(db);
    // Every acknowledged new object of this run is there, on top of what was there before.
    EXPECT_GE(now, stored + run.acknowledged) << "run " << i << " lost acknowledged writes";
    EXPECT_LE(now, static_cast<uint64_t>(kObjects));
    stored = now;
  }
  std::printf("%d of %d runs killed mid-import; %d had acknowledged commits before the kill\n",
              kills, kChunks, acknowledged_runs);
  EXPECT_GE(kills, 5) << "the importer was rarely killed mid-run; the test proves little";
  EXPECT_GE(acknowledged_runs, 3);
  ImportRun last = ImportAndMaybeKill(db, inputs, 0, {});
  EXPECT_TRUE(last.finished);
  EXPECT_EQ(StoredObjects(db), static_cast<uint64_t>(kObjects));
  fs::remove_all(dir);
}

}  // namespace
