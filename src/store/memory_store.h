// store/memory_store: the "memory:" backend — the same semantics as SQLite, in process, for
// tests of everything above the store (LevelDB's in-memory Env idea). Not durable; not
// thread-safe.
#pragma once

#include <memory>

#include "store/store.h"

namespace ctihub::store {

std::unique_ptr<Store> NewMemoryStore();

}  // namespace ctihub::store
