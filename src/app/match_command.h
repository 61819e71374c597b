// app/match_command: `ctihub match` — the indicators of a collection (or a file) against sensor
// logs: alerts as JSON lines, and with --sightings STIX Sightings stored for sharing back.
#pragma once

namespace CLI {
class App;
}

namespace ctihub::app {

void AddMatchCommand(CLI::App& app, int& exit_code);

}  // namespace ctihub::app
