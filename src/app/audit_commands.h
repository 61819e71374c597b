// app/audit_commands: `ctihub audit verify|list`, and RecordCliEvent for the commands that
// change what the node releases or holds (import, export, grants, users, keys).
#pragma once

#include <string>

#include "audit/audit_log.h"

namespace CLI {
class App;
}

namespace ctihub::app {

void AddAuditCommands(CLI::App& app, int& exit_code);

// Appends one event (actor: "cli:<login name>") to the store's audit log. A store that is not
// "sqlite:" has none; an error is printed as a warning: the command's own work stands.
void RecordCliEvent(const std::string& store_uri, audit::AuditEvent event);
// Whether the store's audit log can take this command's entries: a command that records its work
// calls it before working, so that a store restored without its audit key (FailedPrecondition,
// naming the key file) is refused rather than changed unaudited. OK for a store that is not
// "sqlite:".
Status CheckAuditLog(const std::string& store_uri);

}  // namespace ctihub::app
