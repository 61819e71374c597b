#include "app/audit_commands.h"

#include <fmt/core.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "app/exit_codes.h"
#include "app/import_command.h"
#include "app/store_commands.h"
#include "common/utf8.h"
#include "stix/canonical_json.h"

namespace ctihub::app {
namespace {

struct AuditFlags {
  std::string store = DefaultStoreUri();
  std::string since, kind, format = "text";
  size_t limit = 100;
};

int Verify(const AuditFlags& flags) {
  if (Status s = RequireExistingStore(flags.store); !s.ok()) {
    fmt::print(stderr, "ctihub audit verify: {}\n", s.ToString());
    return kExitUsage;
  }
  Result<std::unique_ptr<audit::AuditLog>> log = audit::AuditLog::Open(flags.store);
  if (!log.ok()) {
    fmt::print(stderr, "ctihub audit verify: {}\n", log.status().ToString());
    return kExitUsage;
  }
  Result<audit::AuditReport> report = (*log)->Verify();
  if (!report.ok()) {
    fmt::print(stderr, "ctihub audit verify: {}\n", report.status().ToString());
    return kExitUsage;
  }
  if (!report->intact) {
    fmt::print("audit log TAMPERED: first bad entry {}: {}\n", report->first_bad_seq,
               report->problem);
    return kExitFindings;
  }
  fmt::print("audit log intact: {} entries, head {}\n", report->entries,
             report->head_mac.empty() ? "(empty)" : report->head_mac);
  return kExitOk;
}

// How much of an entry's details the text listing shows.
constexpr size_t kDetailsShown = 200;

int List(const AuditFlags& flags) {
  std::optional<Timestamp> since;
  if (!flags.since.empty()) {
    Result<Timestamp> t = Timestamp::Parse(flags.since);
    if (!t.ok()) {
      fmt::print(stderr, "ctihub audit list: --since: {}\n", t.status().message());
      return kExitUsage;
    }
    since = *t;
  }
  if (Status s = RequireExistingStore(flags.store); !s.ok()) {
    fmt::print(stderr, "ctihub audit list: {}\n", s.ToString());
    return kExitUsage;
  }
  Result<std::unique_ptr<audit::AuditLog>> log = audit::AuditLog::Open(flags.store);
  if (!log.ok()) {
    fmt::print(stderr, "ctihub audit list: {}\n", log.status().ToString());
    return kExitUsage;
  }
  Result<std::vector<audit::AuditEntry>> entries = (*log)->List(since, flags.kind, flags.limit);
  if (!entries.ok()) {
    fmt::print(stderr, "ctihub audit list: {}\n", entries.status().ToString());
    return kExitUsage;
  }
  if (entries->empty() && !flags.kind.empty()) {
    // A misspelt kind must not look like a quiet log.
    Result<std::vector<std::string>> kinds = (*log)->Kinds();
    if (kinds.ok() && std::find(kinds->begin(), kinds->end(), flags.kind) == kinds->end()) {
      fmt::print(stderr, "ctihub audit list: the log has no entry of kind '{}'; it holds: {}\n",
                 flags.kind,
                 kinds->empty() ? "(nothing yet)" : fmt::format("{}", fmt::join(*kinds, ", ")));
      return kExitUsage;
    }
  }
  const bool lines = flags.format == "jsonl";
  const bool json = flags.format == "json" || lines;
  stix::JsonWriter array;
  if (flags.format == "json") array.BeginArray();
  for (const audit::AuditEntry& e : *entries) {
    if (json) {
      stix::JsonWriter local;
      stix::JsonWriter& w = lines ? local : array;
      w.BeginObject()
          .Key("seq").Uint(e.seq)
          .Key("time").String(e.event.time.ToString())
          .Key("kind").String(e.event.kind)
          .Key("actor").String(e.event.actor)
          .Key("subject").String(e.event.subject)
          .Key("outcome").String(e.event.outcome)
          .Key("rules").BeginArray();
      for (const std::string& r : e.event.rules) w.String(r);
      w.EndArray().Key("details").String(e.event.details).EndObject();
      if (lines) fmt::print("{}\n", w.str());
    } else {
      // One line per entry: control characters (a newline in an imported file's name) shown
      // escaped, so no entry can forge a line; long details (a release lists up to 100 ids)
      // cut, the whole being in --format json.
      std::string details = e.event.details == "{}" ? "" : e.event.details;
      if (details.size() > kDetailsShown) {
        size_t cut = kDetailsShown;
        while (cut > 0 && (static_cast<unsigned char>(details[cut]) & 0xC0) == 0x80) --cut;
        details = fmt::format("{}… ({} bytes; --format json shows all)", details.substr(0, cut),
                              details.size());
      }
      fmt::print("{:>6} {} {:<14} {} | {} | {}{}\n", e.seq, e.event.time.ToString(),
                 WithVisibleControls(e.event.kind), WithVisibleControls(e.event.actor),
                 WithVisibleControls(e.event.subject), WithVisibleControls(e.event.outcome),
                 details.empty() ? "" : " " + WithVisibleControls(details));
    }
  }
  if (flags.format == "json") fmt::print("{}\n", array.EndArray().str());
  return kExitOk;
}

// Set by CheckAuditLog when this command found the store without a log and without anything
// whose creation is audited: its first entry, written after its change commits, may then start
// the log beside what the change made.
bool g_may_start_log = false;

}  // namespace

audit::AuditOpenOptions CliAuditOptions() {
  audit::AuditOpenOptions options;
  options.may_start_beside_content = g_may_start_log;
  return options;
}

Status AppendCliEvent(const std::string& store_uri, audit::AuditEvent event) {
  if (store_uri.rfind("sqlite:", 0) != 0) return Status::Ok();
  CTI_ASSIGN_OR_RETURN(std::unique_ptr<audit::AuditLog> log,
                       audit::AuditLog::Open(store_uri, CliAuditOptions()));
  if (event.actor.empty()) {
    const char* login = std::getenv("USER");
    event.actor = std::string("cli:") + (login && *login ? login : std::to_string(::getuid()));
  }
  CTI_RETURN_IF_ERROR(log->Append({std::move(event)}).status());
  g_may_start_log = false;  // started (or there already): never again in this process
  return Status::Ok();
}

void RecordCliEvent(const std::string& store_uri, audit::AuditEvent event) {
  Status s = AppendCliEvent(store_uri, std::move(event));
  if (!s.ok()) fmt::print(stderr, "ctihub: warning: not recorded in the audit log: {}\n", s.ToString());
}

Status CheckAuditLog(const std::string& store_uri) {
  if (store_uri.rfind("sqlite:", 0) != 0) return Status::Ok();
  // A store not made yet has no log to continue; opening one here would make the file before
  // the store sets its page size.
  struct stat st;
  if (::stat(store_uri.c_str() + 7, &st) != 0 && errno == ENOENT) {
    g_may_start_log = true;
    return Status::Ok();
  }
  CTI_ASSIGN_OR_RETURN(std::unique_ptr<audit::AuditLog> log, audit::AuditLog::Open(store_uri));
  CTI_ASSIGN_OR_RETURN(bool empty, log->CheckWritable());
  g_may_start_log = empty;
  return Status::Ok();
}

void AddAuditCommands(CLI::App& app, int& exit_code) {
  static AuditFlags flags;
  CLI::App* audit = app.add_subcommand("audit", "The node's tamper-evident audit log");
  audit->require_subcommand(1);
  CLI::App* verify = audit->add_subcommand(
      "verify", "Check every entry against the chain (exit 1 naming the first bad entry)");
  verify->add_option("--store", flags.store, "Store URI; default $CTIHUB_STORE or sqlite:ctihub.db");
  verify->callback([&exit_code] { exit_code = Verify(flags); });
  CLI::App* list = audit->add_subcommand("list", "Show audit entries");
  list->add_option("--store", flags.store, "Store URI; default $CTIHUB_STORE or sqlite:ctihub.db");
  list->add_option("--since", flags.since, "Only entries at or after this time (RFC 3339)");
  list->add_option(
      "--kind", flags.kind,
      "Only entries of this kind: import, release, sync, delete, login, login-failure, "
      "account-change, policy-change, node-start, …");
  list->add_option("--limit", flags.limit,
                   "Show the newest N matching entries, oldest first (default 100; 0: all)")
      ->check(CLI::Range(size_t{0}, size_t{1'000'000'000}));
  list->add_option("--format", flags.format, "text, json (one array) or jsonl (one entry per line)")
      ->check(CLI::IsMember({"text", "json", "jsonl"}));
  list->callback([&exit_code] { exit_code = List(flags); });
}

}  // namespace ctihub::app
