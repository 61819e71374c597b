// app/cli_checks: option checks that several commands share.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "common/utf8.h"

namespace ctihub::app {

// Free text that is stored and served (titles, descriptions): UTF-8 only, since every JSON
// answer that carries it must be UTF-8 (RFC 8259 §8.1).
inline CLI::Validator Utf8Text() {
  return CLI::Validator(
      [](std::string& value) {
        return IsValidUtf8(value) ? std::string()
                                  : std::string(
                                        "is not UTF-8 text (is the terminal or the "
                                        "script's locale UTF-8?)");
      },
      "");
}

// A file to read, or "-" for standard input.
inline CLI::Validator ExistingFileOrStdin() {
  return CLI::Validator(
      [](std::string& value) { return value == "-" ? std::string() : CLI::ExistingFile(value); },
      "FILE or -");
}

// A value that must not be empty: for options whose empty value would mean "not given" and
// quietly fall back to the default (`--start ""` from an unset shell variable).
inline CLI::Validator NotEmpty() {
  return CLI::Validator(
      [](std::string& value) { return value.empty() ? std::string("is empty") : std::string(); },
      "");
}

}  // namespace ctihub::app
