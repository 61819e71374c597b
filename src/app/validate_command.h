// app/validate_command: `ctihub validate FILE…` — wires stix::Validator to the command line.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace ctihub::app {

struct ValidateFlags {
  std::vector<std::string> files;
  std::string format = "text";  // text | json
  bool strict = false;
  bool quiet = false;           // text: only the summary lines
  size_t max_findings = 50;     // per object
  int threads = 0;              // 0 = one per core
};

// Registers the subcommand; `run` is called with the parsed flags and returns the exit code.
void AddValidateCommand(CLI::App& app, ValidateFlags& flags, int& exit_code);
int RunValidate(const ValidateFlags& flags);

}  // namespace ctihub::app
