// store/sqlite: the embedded default backend ("sqlite:PATH"). One file, WAL journal, every
// committed batch fsynced before Put returns; readers on other connections never block on the
// writer. The SQL is kept to what PostgreSQL also accepts (row values, standard types), so a
// postgres backend can share it. sqlite3.h stays out of this header.
#pragma once

namespace ctihub::store {

// Registers the "sqlite" scheme with Store::Open. Idempotent; call once at start.
void RegisterSqliteBackend();

}  // namespace ctihub::store
