// auth/internal/table_accounts: auth::Accounts over any AccountTables backend — field
// validation, Argon2id hashing, API key issue, authentication and its credential cache — so the
// backends hold rows only and share one set of semantics.
#pragma once

#include <memory>

#include "auth/accounts.h"
#include "auth/internal/account_tables.h"

namespace ctihub::auth::internal {

std::unique_ptr<Accounts> NewTableAccounts(std::unique_ptr<AccountTables> tables, HashingCost cost);

}  // namespace ctihub::auth::internal
