// app/exit_codes: the one table that maps outcomes to process exit codes (STYLE.md: only app/
// knows exit codes).
#pragma once

namespace ctihub::app {

inline constexpr int kExitOk = 0;        // success, nothing found
inline constexpr int kExitFindings = 1;  // the command ran and found problems (invalid input)
inline constexpr int kExitUsage = 2;     // bad command line, or input that could not be read

}  // namespace ctihub::app
