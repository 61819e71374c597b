#include "app/store_commands.h"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "app/exit_codes.h"
#include "app/import_command.h"
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
  auto store = OpenStore(flags);
  if (!store.ok()) return Fail(store.status());
  store::Collection c;
  c.alias = flags.name;
  c.title = flags.title;
  c.description = flags.description;
  auto created = (*store)->CreateCollection(c);
  if (!created.ok()) return Fail(created.status());
  fmt::print("created collection '{}' ({})\n", created->alias, created->id);
  return kExitOk;
}

int ListCollections(const StoreFlags& flags) {
  auto store = OpenStore(flags);
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
  for (const store::Collection& c : *list) {
    fmt::print("{}  {}  {}\n", c.id, c.alias, c.title == c.alias ? "" : c.title);
  }
  return kExitOk;
}

int CheckStore(const StoreFlags& flags) {
  auto store = OpenStore(flags);
  if (!store.ok()) return Fail(store.status());
  Status s = (*store)->Check();
  auto stats = (*store)->Stats();
  if (!stats.ok()) return Fail(stats.status());
  if (!s.ok()) {
    fmt::print("{}: BROKEN — {}\n", flags.store, s.message());
    return kExitFindings;
  }
  fmt::print("{}: ok — {} collections, {} object versions, {:.1f} MB\n", flags.store,
             stats->collections, stats->objects, static_cast<double>(stats->bytes) / 1e6);
  return kExitOk;
}

}  // namespace

void AddStoreCommands(CLI::App& app, StoreFlags& flags, int& exit_code) {
  flags.store = DefaultStoreUri();
  CLI::App* collection = app.add_subcommand("collection", "Manage the collections of a store");
  collection->require_subcommand(1);
  CLI::App* create = collection->add_subcommand("create", "Create a collection");
  create->add_option("name", flags.name, "Short name (letters, digits, '-', '_', '.')")->required();
  create->add_option("--title", flags.title, "Title shown to TAXII clients");
  create->add_option("--description", flags.description, "Description");
  create->add_option("--store", flags.store, "Store URI");
  create->callback([&] { exit_code = CreateCollection(flags); });
  CLI::App* list = collection->add_subcommand("list", "List the collections");
  list->add_option("--store", flags.store, "Store URI");
  list->add_option("--format", flags.format, "text or json")->check(CLI::IsMember({"text", "json"}));
  list->callback([&] { exit_code = ListCollections(flags); });

  CLI::App* store_cmd = app.add_subcommand("store", "Inspect a store");
  store_cmd->require_subcommand(1);
  CLI::App* check = store_cmd->add_subcommand(
      "check", "Verify the store's integrity (exit 1 when it is damaged)");
  check->add_option("--store", flags.store, "Store URI");
  check->callback([&] { exit_code = CheckStore(flags); });
}

}  // namespace ctihub::app
