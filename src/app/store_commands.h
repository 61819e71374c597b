// app/store_commands: `ctihub collection create|list` and `ctihub store check|migrate`.
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

// Opens the store of a command that only reads or checks it (store::OpenMode::kReadOnly: it is
// neither changed nor migrated; FailedPrecondition naming `ctihub store migrate` for an older
// schema), or with kMustExist of one that changes what must already be there. Where there is
// none — a mistyped --store, a deleted store — InvalidArgument (exit 2) naming the path and how
// a store is made, and nothing is created. Commands that make a store open with
// store::Store::Open.
Result<std::unique_ptr<store::Store>> OpenExistingStore(
    const std::string& uri, store::OpenMode mode = store::OpenMode::kReadOnly);
// The same refusal, before anything else opens the file (the accounts, the audit log, which
// would create it and its key), for the commands that read or change through those.
Status RequireExistingStore(const std::string& uri,
                            store::OpenMode mode = store::OpenMode::kReadOnly);

}  // namespace ctihub::app
