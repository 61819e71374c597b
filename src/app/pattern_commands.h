// app/pattern_commands: `ctihub pattern check|explain PATTERN` — the STIX 2.1 pattern parser from
// the command line.
#pragma once

namespace CLI {
class App;
}

namespace ctihub::app {

void AddPatternCommands(CLI::App& app, int& exit_code);

}  // namespace ctihub::app
