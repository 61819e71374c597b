#include "app/store_commands.h"

#include <fmt/core.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <map>
#include <memory>

#include "app/account_commands.h"
#include "app/audit_commands.h"
#include "app/cli_checks.h"
#include "app/exit_codes.h"
#include "app/import_command.h"
#include "auth/accounts.h"
#include "stix/canonical_json.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace ctihub::app {
namespace {

Result<std::unique_ptr<store::Store>> OpenStore(const StoreFlags& flags) {
  store::RegisterSqliteBackend();
  return store::Store::Open(flags.store);
}

int Fail(const Status& s) {
  fmt::print(stderr, "ctihub: {}\n", s.ToString());
  return s.code() == StatusCode::kDataLoss ? kExitFindings : kExitUsage;
}

int CreateCollection(const StoreFlags& flags) {
  if (Status s = CheckAuditLog(flags.store); !s.ok()) return Fail(s);  // a change unaudited
  auto store = OpenStore(flags);  // the one command here that makes a new store
  if (!store.ok()) return Fail(store.status());
  store::Collection c;
  c.alias = flags.name;
  c.title = flags.title;
  c.description = flags.description;
  auto created = (*store)->CreateCollection(c);
  if (!created.ok()) {
    Fail(created.status());
    return ExitCodeForLookup(created.status());  // 1 when it exists already, as `org add` says
  }
  fmt::print("created collection '{}' ({})\n", created->alias, created->id);
  audit::AuditEvent e;
  e.kind = "policy-change";
  e.subject = created->alias;
  e.outcome = "collection created (" + created->id + ")";
  RecordCliEvent(flags.store, std::move(e));
  return kExitOk;
}

int ListCollections(const StoreFlags& flags) {
  auto store = OpenExistingStore(flags.store);
  if (!store.ok()) return Fail(store.status());
  auto list = (*store)->ListCollections();
  if (!list.ok()) return Fail(list.status());
  if (flags.format == "json") {
    stix::JsonWriter w;
    w.BeginArray();
    for (const store::Collection& c : *list) {
      w.BeginObject().Key("id").String(c.id).Key("name").String(c.alias);
      w.Key("title").String(c.title).Key("description").String(c.description);
      w.Key("media_types").BeginArray();
      for (const std::string& m : c.media_types) w.String(m);
      w.EndArray().EndObject();
    }
    w.EndArray();
    fmt::print("{}\n", w.str());
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const store::Collection& c : *list) {
    rows.push_back({c.id, c.alias, c.title == c.alias ? "" : c.title});
  }
  PrintTable({"ID", "NAME", "TITLE"}, rows);
  return kExitOk;
}

int CheckStore(const StoreFlags& flags) {
  // A file too damaged to open (truncated, overwritten) is the finding, not a usage error.
  auto broken = [&flags](const Status& s) {
    fmt::print("{}: BROKEN — {}\n", flags.store, s.message());
    return kExitFindings;
  };
  auto store = OpenExistingStore(flags.store);
  if (!store.ok()) {
    return store.status().code() == StatusCode::kDataLoss ? broken(store.status())
                                                          : Fail(store.status());
  }
  Status s = (*store)->Check();
  if (!s.ok()) return broken(s);
  auto stats = (*store)->Stats();
  if (!stats.ok()) {
    return stats.status().code() == StatusCode::kDataLoss ? broken(stats.status())
                                                          : Fail(stats.status());
  }
  fmt::print("{}: ok — {} collection{}, {} object version{}, {:.1f} MB\n", flags.store,
             stats->collections, stats->collections == 1 ? "" : "s", stats->objects,
             stats->objects == 1 ? "" : "s", static_cast<double>(stats->bytes) / 1e6);
  return kExitOk;
}

int MigrateStore(const StoreFlags& flags) {
  auto store = OpenExistingStore(flags.store, store::OpenMode::kMustExist);  // migrates on open
  if (!store.ok()) return Fail(store.status());
  fmt::print("{}: the schema is up to date\n", flags.store);
  return kExitOk;
}

// `collection grant|revoke|grants`: StoreFlags (store_commands.h) is shared with main, so these
// keep their own flags.
struct GrantFlags {
  std::string store;
  std::string collection, grantee, permission;
  std::string format = "text";
};

// The collection named by alias or id, through the object store the grants refer to. A grant
// needs a collection, so a store that is not there is refused, not made.
Result<store::Collection> ResolveCollection(const std::string& uri, const std::string& key) {
  CTI_ASSIGN_OR_RETURN(auto store, OpenExistingStore(uri));
  return store->FindCollection(key);
}

int SetGrant(const GrantFlags& flags, bool revoke) {
  auth::Permission permission = auth::Permission::kNone;
  if (!revoke) {
    Result<auth::Permission> parsed = auth::ParsePermission(flags.permission);
    if (!parsed.ok()) return AccountCommandFailed(parsed.status());
    permission = *parsed;
  }
  Result<store::Collection> c = ResolveCollection(flags.store, flags.collection);
  if (!c.ok()) return AccountCommandFailed(c.status());
  if (Status s = CheckAuditLog(flags.store); !s.ok()) return Fail(s);  // a change unaudited
  auto accounts = auth::Accounts::Open(flags.store);
  if (!accounts.ok()) return AccountCommandFailed(accounts.status());
  if (revoke) {
    auto grants = (*accounts)->ListGrants();
    if (!grants.ok()) return AccountCommandFailed(grants.status());
    bool found = std::any_of(grants->begin(), grants->end(), [&](const auth::Grant& g) {
      return g.collection_id == c->id && g.grantee == flags.grantee;
    });
    if (!found) {
      return AccountCommandFailed(NotFound("collection '" + c->alias + "' has no grant to " +
                                           flags.grantee + " (see `ctihub collection grants`)"));
    }
  }
  if (Status s = (*accounts)->SetGrant({c->id, flags.grantee, permission}); !s.ok()) {
    return AccountCommandFailed(s);
  }
  audit::AuditEvent change;
  change.kind = "policy-change";
  change.subject = "collection " + c->alias + " (" + c->id + ")";
  change.outcome = revoke ? "grant to " + flags.grantee + " revoked"
                          : std::string(auth::PermissionName(permission)) + " granted to " +
                                flags.grantee;
  RecordCliEvent(flags.store, std::move(change));
  if (revoke) {
    fmt::print("revoked the grant to {} on collection '{}' ({})\n", flags.grantee, c->alias,
               c->id);
  } else {
    fmt::print("granted {} on collection '{}' ({}) to {}\n", auth::PermissionName(permission),
               c->alias, c->id, flags.grantee);
  }
  return kExitOk;
}

int ListGrants(const GrantFlags& flags) {
  auto store = OpenExistingStore(flags.store);
  if (!store.ok()) return AccountCommandFailed(store.status());
  auto collections = (*store)->ListCollections();
  if (!collections.ok()) return AccountCommandFailed(collections.status());
  std::map<std::string, std::string> alias_of;
  for (const store::Collection& c : *collections) alias_of[c.id] = c.alias;
  std::string only;
  if (!flags.collection.empty()) {
    Result<store::Collection> c = (*store)->FindCollection(flags.collection);
    if (!c.ok()) return AccountCommandFailed(c.status());
    only = c->id;
  }
  auto accounts = auth::Accounts::Open(flags.store);
  if (!accounts.ok()) return AccountCommandFailed(accounts.status());
  auto grants = (*accounts)->ListGrants();
  if (!grants.ok()) return AccountCommandFailed(grants.status());
  std::vector<auth::Grant> shown;
  for (const auth::Grant& g : *grants) {
    if (only.empty() || g.collection_id == only) shown.push_back(g);
  }
  // A grant outlives a deleted collection; it shows without a name.
  auto alias = [&](const std::string& id) {
    auto it = alias_of.find(id);
    return it == alias_of.end() ? std::string("(no such collection)") : it->second;
  };
  if (flags.format == "json") {
    stix::JsonWriter w;
    w.BeginArray();
    for (const auth::Grant& g : shown) {
      w.BeginObject().Key("collection").String(alias(g.collection_id));
      w.Key("collection_id").String(g.collection_id).Key("grantee").String(g.grantee);
      w.Key("permission").String(auth::PermissionName(g.permission)).EndObject();
    }
    w.EndArray();
    fmt::print("{}\n", w.str());
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auth::Grant& g : shown) {
    rows.push_back({alias(g.collection_id), g.collection_id, g.grantee,
                    std::string(auth::PermissionName(g.permission))});
  }
  PrintTable({"COLLECTION", "ID", "GRANTEE", "PERMISSION"}, rows);
  return kExitOk;
}

void AddGrantCommands(CLI::App* collection, int& exit_code) {
  // Owned by the callbacks, which live as long as the app.
  auto flags = std::make_shared<GrantFlags>();
  flags->store = DefaultStoreUri();
  GrantFlags& f = *flags;
  CLI::App* grant = collection->add_subcommand(
      "grant", "Let an organisation, a user or every authenticated caller read or write a "
               "collection (replaces the grantee's earlier grant on it)");
  grant->add_option("collection", f.collection, "Collection name or id")->required();
  grant->add_option("grantee", f.grantee, "org:NAME, user:NAME or '*'")->required();
  grant->add_option("--permission", f.permission, "read, write or read-write")
      ->required()
      ->check(CLI::IsMember({"read", "write", "read-write", "rw"}));
  grant->add_option("--store", f.store, "Store URI; default $CTIHUB_STORE or sqlite:ctihub.db");
  grant->callback([flags, &exit_code] { exit_code = SetGrant(*flags, false); });
  CLI::App* revoke =
      collection->add_subcommand("revoke", "Remove a grantee's grant on a collection");
  revoke->add_option("collection", f.collection, "Collection name or id")->required();
  revoke->add_option("grantee", f.grantee, "org:NAME, user:NAME or '*'")->required();
  revoke->add_option("--store", f.store, "Store URI; default $CTIHUB_STORE or sqlite:ctihub.db");
  revoke->callback([flags, &exit_code] { exit_code = SetGrant(*flags, true); });
  CLI::App* list =
      collection->add_subcommand("grants", "List the grants, of one collection or all");
  list->add_option("collection", f.collection, "Collection name or id");
  list->add_option("--store", f.store, "Store URI; default $CTIHUB_STORE or sqlite:ctihub.db");
  list->add_option("--format", f.format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  list->callback([flags, &exit_code] { exit_code = ListGrants(*flags); });
}

}  // namespace

Result<std::unique_ptr<store::Store>> OpenExistingStore(const std::string& uri,
                                                        store::OpenMode mode) {
  store::RegisterSqliteBackend();
  // An empty file (truncated, or made by `touch`) is no store, and reads as one with nothing in
  // it: a check must not pass it.
  if (uri.rfind("sqlite:", 0) == 0) {
    struct stat st;
    const std::string file = uri.substr(7);
    if (::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 &&
        ::stat((file + "-wal").c_str(), &st) != 0) {
      return InvalidArgument(file +
                             " is an empty file, not a store: check --store / "
                             "$CTIHUB_STORE (a store emptied by accident is restored from "
                             "its backup)");
    }
  }
  Result<std::unique_ptr<store::Store>> opened = store::Store::Open(uri, mode);
  if (opened.status().code() == StatusCode::kNotFound) {
    return InvalidArgument(opened.status().message() +
                           ": check --store / $CTIHUB_STORE; `ctihub import` or `ctihub "
                           "collection create` makes a new one");
  }
  return opened;
}

Status RequireExistingStore(const std::string& uri, store::OpenMode mode) {
  return OpenExistingStore(uri, mode).status();
}

void AddStoreCommands(CLI::App& app, StoreFlags& flags, int& exit_code) {
  flags.store = DefaultStoreUri();
  CLI::App* collection = app.add_subcommand("collection", "Manage the collections of a store");
  collection->require_subcommand(1);
  CLI::App* create = collection->add_subcommand("create", "Create a collection");
  create->add_option("name", flags.name, "Short name (letters, digits, '-', '_', '.')")->required();
  create->add_option("--title", flags.title, "Title shown to TAXII clients")->check(Utf8Text());
  create->add_option("--description", flags.description, "Description")->check(Utf8Text());
  create->add_option("--store", flags.store,
                     "Store URI; default $CTIHUB_STORE or sqlite:ctihub.db");
  create->callback([&] { exit_code = CreateCollection(flags); });
  CLI::App* list = collection->add_subcommand("list", "List the collections");
  list->add_option("--store", flags.store, "Store URI; default $CTIHUB_STORE or sqlite:ctihub.db");
  list->add_option("--format", flags.format, "text or json")->check(CLI::IsMember({"text", "json"}));
  list->callback([&] { exit_code = ListCollections(flags); });
  AddGrantCommands(collection, exit_code);

  CLI::App* store_cmd = app.add_subcommand("store", "Inspect a store");
  store_cmd->require_subcommand(1);
  CLI::App* check = store_cmd->add_subcommand(
      "check", "Verify the store's integrity (exit 1 when it is damaged)");
  check->add_option("--store", flags.store, "Store URI; default $CTIHUB_STORE or sqlite:ctihub.db");
  check->callback([&] { exit_code = CheckStore(flags); });
  CLI::App* migrate = store_cmd->add_subcommand(
      "migrate",
      "Bring a store made by an older ctihub to this one's schema (commands that "
      "write do it too; those that only read or check refuse an older store)");
  migrate->add_option("--store", flags.store,
                      "Store URI; default $CTIHUB_STORE or sqlite:ctihub.db");
  migrate->callback([&] { exit_code = MigrateStore(flags); });
}

}  // namespace ctihub::app
