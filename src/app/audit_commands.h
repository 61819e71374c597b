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
// The same, for an entry that must be written before the work it announces (objects about to be
// stored): the error is returned, and the caller does not go on.
Status AppendCliEvent(const std::string& store_uri, audit::AuditEvent event);
// Whether the store's audit log can take this command's entries: a command that records its work
// calls it before working, so that a store restored without its audit key (FailedPrecondition,
// naming the key file), or whose log was removed or its head altered, is refused rather than
// changed unaudited. OK for a store that is not
// "sqlite:".
Status CheckAuditLog(const std::string& store_uri);
// How this command opens the log to record: a command whose CheckAuditLog found a new store may
// start its log (audit::AuditOpenOptions).
audit::AuditOpenOptions CliAuditOptions();

}  // namespace ctihub::app
