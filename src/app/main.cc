// ctihub: one binary, one subcommand per job (see ARCHITECTURE.md). This file only wires the
// subcommands to the command line and maps outcomes to exit codes (app/exit_codes.h).
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>

#include "app/account_commands.h"
#include "app/audit_commands.h"
#include "app/exit_codes.h"
#include "app/federation_commands.h"
#include "app/generate_command.h"
#include "app/import_command.h"
#include "app/match_command.h"
#include "app/pattern_commands.h"
#include "app/policy_commands.h"
#include "app/serve_command.h"
#include "app/store_commands.h"
#include "app/validate_command.h"

int main(int argc, char** argv) {
  using namespace ctihub::app;
  CLI::App app{
      "ctihub — a threat-intelligence sharing hub for STIX 2.1 and TAXII 2.1.\n"
      "Run 'ctihub <command> --help' for the options of one command."};
  app.set_version_flag("--version", std::string("ctihub ") + CTIHUB_VERSION);
  app.require_subcommand(1);
  int exit_code = kExitOk;

  ValidateFlags validate_flags;
  AddValidateCommand(app, validate_flags, exit_code);
  ImportFlags import_flags;
  AddImportCommand(app, import_flags, exit_code);
  StoreFlags store_flags;
  AddStoreCommands(app, store_flags, exit_code);
  AddAccountCommands(app, exit_code);
  GenerateFlags generate_flags;
  AddGenerateCommand(app, generate_flags, exit_code);
  ServeFlags serve_flags;
  AddServeCommand(app, serve_flags, exit_code);
  AddPolicyCommands(app, exit_code);
  AddAuditCommands(app, exit_code);
  AddPatternCommands(app, exit_code);
  AddMatchCommand(app, exit_code);
  AddFederationCommands(app, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ctihub: %s\n", e.what());
    return kExitUsage;
  }
  // Output lost on a full disk or a closed pipe makes the command fail, whatever it printed: a
  // script must not take a report, a list or a token it never received for done. A command that
  // already failed (exit 2) has said why.
  if (exit_code != kExitUsage) {
    errno = 0;
    // std::cout writes through stdout (synchronised with stdio): one fflush covers both.
    const bool flushed = std::fflush(stdout) == 0;
    if (!flushed || std::ferror(stdout) || !std::cout.flush()) {
      std::fprintf(stderr, "ctihub: could not write standard output: %s\n",
                   !flushed && errno != 0 ? std::strerror(errno) : "an earlier write failed");
      return kExitUsage;
    }
  }
  return exit_code;
}
