// ctihub: one binary, one subcommand per job (see ARCHITECTURE.md). This file only wires the
// subcommands to the command line and maps outcomes to exit codes (app/exit_codes.h).
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

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

namespace {

// Edit distance, for suggesting the command a typo meant ("valdate" → "validate").
size_t Distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// CLI11 answers a mistyped command with "A subcommand is required": this names the word it did
// not know, the commands it knows there, and the closest one. Empty when every command word
// before the first option is known.
std::string UnknownCommand(const CLI::App& app, int argc, char** argv) {
  const CLI::App* at = &app;
  std::string path = "ctihub";
  for (int i = 1; i < argc; ++i) {
    std::string_view word = argv[i];
    std::vector<const CLI::App*> commands =
        at->get_subcommands([](const CLI::App*) { return true; });
    if (word.empty() || word[0] == '-' || commands.empty()) return {};
    const CLI::App* next = nullptr;
    for (const CLI::App* c : commands) {
      if (c->get_name() == word) next = c;
    }
    if (next) {
      at = next;
      path += " " + std::string(word);
      continue;
    }
    std::string names, closest;
    size_t best = 3;  // suggest only what is at most two edits away
    for (const CLI::App* c : commands) {
      names += (names.empty() ? "" : ", ") + c->get_name();
      if (size_t d = Distance(word, c->get_name()); d < best) {
        best = d;
        closest = c->get_name();
      }
    }
    return path + ": unknown command '" + std::string(word) + "'" +
           (closest.empty() ? "" : " (did you mean '" + closest + "'?)") + "; the commands are " +
           names;
  }
  return {};
}

// CLI11 says "The following argument was not expected: --frmat": this adds the option meant.
std::string UnknownOptionHint(const CLI::App& app, int argc, char** argv) {
  const CLI::App* at = &app;
  for (int i = 1; i < argc; ++i) {
    std::string_view word = argv[i];
    if (word.rfind("--", 0) != 0) {
      for (const CLI::App* c : at->get_subcommands([](const CLI::App*) { return true; })) {
        if (c->get_name() == word) at = c;
      }
      continue;
    }
    const std::string name(word.substr(2, word.find('=') - 2));
    std::string closest;
    size_t best = 3;
    bool known = false;
    for (const CLI::Option* o : at->get_options()) {
      for (const std::string& long_name : o->get_lnames()) {
        if (long_name == name) known = true;
        if (size_t d = Distance(name, long_name); d < best) {
          best = d;
          closest = long_name;
        }
      }
    }
    if (!known && !closest.empty()) return "did you mean '--" + closest + "'?";
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ctihub::app;
  // Stores (with their account hashes), exports and transfer files hold what partners may not
  // see: whatever the caller's umask, nothing this process creates is readable by other users.
  ::umask(::umask(0) | 077);
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
    if (std::string unknown = UnknownCommand(app, argc, argv); !unknown.empty()) {
      std::fprintf(stderr, "%s\n", unknown.c_str());
      return kExitUsage;
    }
    app.exit(e);
    if (std::string hint = UnknownOptionHint(app, argc, argv); !hint.empty()) {
      std::fprintf(stderr, "%s\n", hint.c_str());
    }
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
