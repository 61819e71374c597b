// app/store_commands: `ctihub collection create|list` and `ctihub store check|stats`.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "store/store.h"

namespace CLI {
class App;
}

namespace ctihub::app {

struct StoreFlags {
  std::string store;
  std::string name, title, description;  // collection create
  std::string format = "text";
};

void AddStoreCommands(CLI::App& app, StoreFlags& flags, int& exit_code);

// Opens the store of a command that only reads or checks it (store::OpenMode::kMustExist): where
// there is none — a mistyped --store, a deleted store — InvalidArgument (exit 2) naming the path
// and how a store is made, and nothing is created. Commands that write open with
// store::Store::Open, which makes a new store.
Result<std::unique_ptr<store::Store>> OpenExistingStore(const std::string& uri);
// The same refusal, before anything else opens the file (the accounts, the audit log, which
// would create it and its key), for the commands that read through those.
Status RequireExistingStore(const std::string& uri);

}  // namespace ctihub::app
