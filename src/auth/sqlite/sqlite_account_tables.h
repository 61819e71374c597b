// auth/sqlite: the accounts tables (account_*, accounts_meta) in an SQLite file — normally the
// store's own file, through a connection of their own.
#pragma once

#include <memory>
#include <string_view>

#include "auth/internal/account_tables.h"
#include "common/status.h"

namespace ctihub::auth::internal {

// Opens (creating when missing) the file and the accounts tables. Unavailable when the file
// cannot be opened or used; FailedPrecondition for tables of another schema version.
Result<std::unique_ptr<AccountTables>> OpenSqliteAccountTables(std::string_view path);

}  // namespace ctihub::auth::internal
