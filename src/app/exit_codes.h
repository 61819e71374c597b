// app/exit_codes: the one table that maps outcomes to process exit codes (STYLE.md: only app/
// knows exit codes).
#pragma once

#include "common/status.h"

namespace ctihub::app {

inline constexpr int kExitOk = 0;        // success, nothing found
inline constexpr int kExitFindings = 1;  // the command ran and found problems (invalid input)
inline constexpr int kExitUsage = 2;     // bad command line, or input that could not be read

// For a command that named something the store must hold (an organisation, user, key,
// collection, object) and the store answered that it does not — or, creating one, that it
// already does: the command ran and the store refused it (1), as `grep` finds nothing; any other
// failure is 2.
inline int ExitCodeForLookup(const Status& status) {
  return status.code() == StatusCode::kNotFound || status.code() == StatusCode::kAlreadyExists
             ? kExitFindings
             : kExitUsage;
}

}  // namespace ctihub::app
