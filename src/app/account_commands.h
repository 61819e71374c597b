// app/account_commands: `ctihub org add|list`, `ctihub user add|list|passwd|remove|set` and
// `ctihub key create|list|revoke` — the organisations, users and API keys of a node
// (auth/accounts.h), kept in the store's file. `ctihub collection grant|revoke|grants` sit with
// the other collection commands (store_commands.cc) and share this file's helpers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace CLI {
class App;
}

namespace ctihub::app {

void AddAccountCommands(CLI::App& app, int& exit_code);

// Prints the error and returns the exit code of a failed account or grant command: 1 when the
// command ran and the accounts refused it (no such user, already exists, damaged data), 2 for
// usage, input and I/O errors (invalid names, unreadable files, a store that will not open).
int AccountCommandFailed(const Status& status);

// Left-aligned columns under a header, for the text form of the list commands.
void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

}  // namespace ctihub::app
